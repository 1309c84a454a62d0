/*  nimbus_tokens - the bearer tokens of the REST API, each bound to a principal

    The file named by ui.tokens.file holds one token per line:

      line      = blank / comment / binding
      comment   = *space "#" *any-char
      binding   = *space token 1*space principal *space
      token     = 32 to 256 visible ASCII characters (no space, no "#" first)
      principal = 1 to 128 of [A-Za-z0-9._@-]

    `storm-submit token NAME` prints a fresh binding line to append.

    The file is a secret: nimbus refuses it (and so refuses to start) when
    it is not a regular file, or when its mode lets its group or others
    read or write it. Every line must parse: a bad line refuses the whole
    file, naming its line number, so that a typo never silently drops a
    token. At most 1 MiB and 10000 tokens.

    DESIGN: tokens are kept only as the hex SHA-256 of their text, the key
    of a hash table. A request's token is hashed and looked up, so the
    time a lookup takes says nothing about how much of a token matched,
    and the plain tokens do not stay in nimbus's memory.
*/
#ifndef NIMBUS_TOKENS_H_INCLUDED
#define NIMBUS_TOKENS_H_INCLUDED

#include <stddef.h>

#define NIMBUS_TOKENS_MAX_FILE (1024 * 1024) //  largest tokens file, in bytes
#define NIMBUS_TOKENS_MAX_COUNT 10000        //  most tokens in one file
#define NIMBUS_TOKENS_MIN_LENGTH 32          //  shortest token accepted
#define NIMBUS_TOKENS_MAX_LENGTH 256         //  longest token accepted
#define NIMBUS_TOKENS_MAX_PRINCIPAL 128      //  longest principal name

typedef struct _nimbus_tokens_t nimbus_tokens_t;

//  Load the tokens file at path. NULL with sq_last_error() naming the
//  file and what is wrong (its mode, a line, its size). Caller owns.
nimbus_tokens_t *nimbus_tokens_load (const char *path);
//  Parse the text of a tokens file (size bytes, need not end with NUL);
//  name is the file's name for errors. NULL with sq_last_error() set when
//  a line is bad. Caller owns.
nimbus_tokens_t *nimbus_tokens_parse (const char *text, size_t size, const char *name);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_tokens_destroy (nimbus_tokens_t **self_p);
//  Number of tokens.
size_t nimbus_tokens_count (nimbus_tokens_t *self);
//  A new binding line for principal: "TOKEN PRINCIPAL\n", the token 64
//  hex digits of the kernel's randomness. NULL with sq_last_error() set
//  when principal is not a valid name or no randomness could be had.
//  Caller frees.
char *nimbus_tokens_mint (const char *principal);
//  The principal of an Authorization header's value ("Bearer TOKEN"; the
//  scheme in any case), or NULL when the header is NULL, not a bearer
//  token, or the token is unknown. Borrowed from self.
const char *nimbus_tokens_principal (nimbus_tokens_t *self, const char *authorization);

#endif
