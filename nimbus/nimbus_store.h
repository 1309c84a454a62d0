/*  nimbus_store - topology packages on nimbus's disk

    Nimbus keeps each submitted package as
    <storm.local.dir>/nimbus/packages/<topology id>.so until the topology
    is killed, and serves it to supervisors from there. A package is
    written under a temporary name and renamed into place, so a reader
    (or a nimbus restarted after a crash) never sees half a file, and it
    is only kept when its bytes match the SHA-256 the submitter sent. On a
    secured nimbus each topology's CURVE key pair sits beside its package.
*/
#ifndef NIMBUS_STORE_H_INCLUDED
#define NIMBUS_STORE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _nimbus_store_t nimbus_store_t;

//  Open the store under local_dir (storm.local.dir), creating
//  <local_dir>/nimbus/packages as needed and removing temporary files a
//  crash left there. NULL with sq_last_error() set when the directory
//  cannot be made. Caller owns.
nimbus_store_t *nimbus_store_new (const char *local_dir);
//  Destroy (the files stay); NULL-safe; nulls the caller's pointer.
void nimbus_store_destroy (nimbus_store_t **self_p);
//  True when id can be a file name: 1 to 200 bytes of letters, digits,
//  '.', '_' and '-', not starting with '.'. Ids reach nimbus from outside.
bool nimbus_store_valid_id (const char *id);
//  Path of the package of topology id (valid ids only). Caller frees.
char *nimbus_store_path (nimbus_store_t *self, const char *id);
//  Verify that data hashes to checksum (hex SHA-256, either case) and
//  store it as the package of id. Returns 0, or -1 with sq_last_error()
//  set (checksum mismatch, disk error); nothing is left behind on error.
int nimbus_store_put (nimbus_store_t *self, const char *id, const void *data, size_t size,
                      const char *checksum);
//  Read the package of id into a new buffer, its size in *size_p and its
//  hex SHA-256 into checksum. Returns the buffer (caller frees), or NULL
//  with sq_last_error() set when there is no such package.
void *nimbus_store_get (nimbus_store_t *self, const char *id, size_t *size_p, char checksum[65]);
//  True when the package of id is stored.
bool nimbus_store_has (nimbus_store_t *self, const char *id);
//  Keep cert (both keys) as the CURVE key pair of topology id, in
//  <id>.key_secret beside its package, mode 0600. Returns 0, or -1 with
//  sq_last_error() set.
int nimbus_store_put_key (nimbus_store_t *self, const char *id, zcert_t *cert);
//  The key pair of topology id, or NULL when it has none (submitted to an
//  unsecured nimbus) or it cannot be read. Caller owns.
zcert_t *nimbus_store_get_key (nimbus_store_t *self, const char *id);
//  Remove the package of id and its key pair. Returns 0, or -1 when it
//  could not be removed (a missing package is not an error).
int nimbus_store_remove (nimbus_store_t *self, const char *id);
//  Remove every stored package whose id is not in keep (a list of
//  strings): the leftovers of topologies killed while nimbus was down.
//  Returns the number removed.
size_t nimbus_store_prune (nimbus_store_t *self, zlist_t *keep);

#endif
