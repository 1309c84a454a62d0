/*  sq_sha256 - SHA-256 (FIPS 180-4), for package checksums

    Packages travel from storm-submit to nimbus and from nimbus to
    supervisors with their SHA-256 as lowercase hex; both ends compute it
    with this class. A hash is a small value on the caller's stack:
    sq_sha256_init, any number of sq_sha256_update, then sq_sha256_final.
    sq_sha256_hex does all three for one buffer.

    DESIGN: written from the FIPS 180-4 description (section 6.2); the
    message is processed in 64-byte blocks, big-endian words, with the
    usual padding of a 1 bit, zeros and the 64-bit bit length. Not meant
    to resist timing attacks; it only checks that bytes arrived intact.
*/
#ifndef SQ_SHA256_H_INCLUDED
#define SQ_SHA256_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQ_SHA256_SIZE 32     //  bytes in a digest
#define SQ_SHA256_HEX_SIZE 65 //  chars in a hex digest, with its NUL

//  A hash in progress; initialise with sq_sha256_init.
typedef struct {
    uint32_t state[8]; //  the eight working hash words H0..H7
    uint64_t length;   //  bytes hashed so far
    uint8_t block[64]; //  bytes of the block being filled
    size_t block_used; //  bytes in block
} sq_sha256_t;

//  Start a new hash.
void sq_sha256_init (sq_sha256_t *self);
//  Hash size more bytes (data may be NULL when size is 0).
void sq_sha256_update (sq_sha256_t *self, const void *data, size_t size);
//  Finish: write the 32-byte digest. The hash must be initialised again
//  before further use.
void sq_sha256_final (sq_sha256_t *self, uint8_t digest[SQ_SHA256_SIZE]);
//  SHA-256 of one buffer as 64 lowercase hex digits and a NUL, into hex.
void sq_sha256_hex (const void *data, size_t size, char hex[SQ_SHA256_HEX_SIZE]);
//  True when text is 64 hex digits (either case) and nothing else.
bool sq_sha256_is_hex (const char *text);

#endif
