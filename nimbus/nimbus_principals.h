/*  nimbus_principals - the names of the CURVE keys nimbus accepts

    squall.curve.allowed.dir holds one public certificate per principal
    (zcert_save's DIR/NAME; the DIR/NAME_secret files are skipped), each
    with a `name` metadata: that name is the principal of a peer whose
    CURVE public key (the frame's User-Id) is the certificate's. A
    certificate without a name, or that czmq cannot read, names nobody
    (and is logged once per load).

    The directory is read again when its modification time changes
    (certificates added, removed or renamed into place; an edit in place
    of an existing file is seen at the next change of the directory). At
    most NIMBUS_PRINCIPALS_MAX certificates of at most 64 KiB each.
*/
#ifndef NIMBUS_PRINCIPALS_H_INCLUDED
#define NIMBUS_PRINCIPALS_H_INCLUDED

#include <stddef.h>

#define NIMBUS_PRINCIPALS_MAX 4096 //  most certificates read from the directory

typedef struct _nimbus_principals_t nimbus_principals_t;

//  Read the certificates of dir. NULL with sq_last_error() set when the
//  directory cannot be read. Caller owns.
nimbus_principals_t *nimbus_principals_new (const char *dir);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_principals_destroy (nimbus_principals_t **self_p);
//  The principal name of a Z85 public key (40 characters), or NULL when
//  no certificate of the directory has that key and a name. Reads the
//  directory again first when it changed. Borrowed until the next call.
const char *nimbus_principals_name (nimbus_principals_t *self, const char *public_key);
//  Number of named keys known now.
size_t nimbus_principals_count (nimbus_principals_t *self);

#endif
