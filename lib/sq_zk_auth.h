/*  sq_zk_auth - ZooKeeper credentials from config (storm.zookeeper.auth.*)

    Storm's keys: storm.zookeeper.auth.scheme names the scheme (only
    "digest" here; unset means no authentication, an insecure cluster) and
    storm.zookeeper.auth.payload is "user:password". Squall adds
    storm.zookeeper.auth.payload.file, a file holding the payload, so the
    password need not sit in a config file that is copied and shown
    around. The file must be a regular file owned by the daemon's user and
    readable by nobody else (no group or other permission bits), as ssh
    asks of a private key; anything else is refused with the reason.
*/
#ifndef SQ_ZK_AUTH_H_INCLUDED
#define SQ_ZK_AUTH_H_INCLUDED

#include "squall.h"

#include <jansson.h>

//  Most bytes a payload file may hold.
#define SQ_ZK_AUTH_MAX_BYTES 4096

//  Check a digest payload: "user:password", both non-empty, no line break
//  or NUL. origin names where it came from, for the error. Returns 0, or
//  -1 with sq_last_error() saying what is wrong (never the payload).
int sq_zk_auth_check_payload (const char *payload, const char *origin);

//  Read a digest payload from the file at path, refusing a file that is
//  not regular, not owned by this process's effective user, readable or
//  writable by group or others, empty, larger than SQ_ZK_AUTH_MAX_BYTES,
//  or not a valid payload. One trailing line break is dropped. Returns 0
//  with *payload_p a new string (caller frees it; wipe it first), or -1
//  with sq_last_error() naming the file and the reason, *payload_p NULL.
int sq_zk_auth_read_file (const char *path, char **payload_p);

//  The digest payload config asks for into *payload_p: NULL when
//  storm.zookeeper.auth.scheme is unset or empty (no authentication);
//  else from storm.zookeeper.auth.payload.file, or, with a warning, from
//  the inline storm.zookeeper.auth.payload. A scheme other than "digest",
//  a payload without a scheme, both payload keys at once, or neither with
//  a scheme is an error. Returns 0, or -1 with sq_last_error() set.
//  Caller frees *payload_p (wipe it first).
int sq_zk_auth_from_config (const sq_config_t *config, char **payload_p);

//  Replace the value of every secret key in a config's JSON object (as
//  sq_config_to_json makes) with a placeholder, for showing it (REST).
void sq_zk_auth_redact (json_t *config_json);

//  Wipe and free a payload. NULL-safe; nulls the caller's pointer.
void sq_zk_auth_free (char **payload_p);

#endif
