/*  sq_curve - CURVE keys of a Squall process, and applying them to sockets

    Every ZeroMQ link of a secured cluster runs CURVE (doc/security.md). A
    principal's key pair is a czmq certificate pair: DIR/NAME (public) and
    DIR/NAME_secret (secret, mode 0600), with metadata "name". A process
    learns its keys from the config (squall.curve.secret.key.file,
    squall.curve.server.public.key.file); workers use their topology's key
    pair instead. A server socket takes the process's own key; a client
    socket takes its own key and the server's public key.
*/
#ifndef SQ_CURVE_H_INCLUDED
#define SQ_CURVE_H_INCLUDED

#include "squall.h"
#include <czmq.h>
#include <stdbool.h>

typedef struct _sq_curve_t sq_curve_t;

//  Keys from cert (taken; the caller's pointer is nulled) and, for a
//  client, the server's Z85 public key (copied; may be NULL). NULL when
//  out of memory. Caller owns.
sq_curve_t *sq_curve_new (zcert_t **cert_p, const char *server_public);
//  The keys the config names. Returns 0 with *curve_p NULL when
//  squall.curve.secret.key.file is not set (security off), 0 with
//  *curve_p set (caller owns) when it is, or -1 with sq_last_error()
//  naming the file when a key file cannot be read or holds no secret key.
//  need_server: squall.curve.server.public.key.file must be set too
//  (every client of nimbus).
int sq_curve_from_config (const sq_config_t *config, bool need_server, sq_curve_t **curve_p);
//  A copy. NULL when out of memory. Caller owns.
sq_curve_t *sq_curve_dup (const sq_curve_t *self);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_curve_destroy (sq_curve_t **self_p);
//  The own public key (Z85, 40 characters). Borrowed.
const char *sq_curve_public_key (const sq_curve_t *self);
//  The own key pair. Borrowed.
zcert_t *sq_curve_cert (const sq_curve_t *self);
//  Make sock a CURVE server with the own key. Call before bind.
void sq_curve_apply_server (const sq_curve_t *self, zsock_t *sock);
//  Make sock a CURVE client of the server whose public key the keys
//  hold (server_public, else the own public key: peers sharing one key
//  pair). Call before connect.
void sq_curve_apply_client (const sq_curve_t *self, zsock_t *sock);

//  Load the certificate in path (a zcert file; for a _secret file both
//  keys; for DIR/NAME, DIR/NAME_secret when that exists, as zcert_load
//  does). need_secret: refuse a file without a secret key. NULL with
//  sq_last_error() naming the file. Caller owns.
zcert_t *sq_curve_load_cert (const char *path, bool need_secret);
//  Save a new key pair for principal name in directory (created 0700 if
//  missing): DIR/NAME and DIR/NAME_secret (0600). Refuses to overwrite.
//  Returns 0, or -1 with sq_last_error() set.
int sq_curve_keygen (const char *directory, const char *name);
//  Save cert's secret certificate (both keys) at path, mode 0600,
//  replacing what is there. Returns 0 or -1 with sq_last_error() set.
int sq_curve_save_secret (zcert_t *cert, const char *path);

//  True when host names a loopback address ("127.x.y.z", "localhost",
//  "::1"); "0.0.0.0", "*" and everything else are not.
bool sq_curve_host_is_loopback (const char *host);
//  The secure-by-default rule for a daemon about to bind host: returns 0
//  when keyed, when host is loopback, or when squall.insecure is true (then
//  it logs a warning naming daemon); else -1 with sq_last_error() saying
//  what to configure.
int sq_curve_check_secure (const sq_config_t *config, const char *daemon, const char *host,
                           bool keyed);

#endif
