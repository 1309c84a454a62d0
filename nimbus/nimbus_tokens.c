/*  nimbus_tokens - the bearer tokens of the REST API, each bound to a principal */
#include "nimbus_tokens.h"
#include "sq_error.h"
#include "squall.h"
#include "sq_sha256.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct _nimbus_tokens_t {
    zhashx_t *principals; //  hex SHA-256 of a token -> its principal (owned strings)
};

//  True for a character a principal name may hold.
static bool
s_principal_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
}

//  True for a visible ASCII character (a token's).
static bool
s_visible (char c)
{
    return c > ' ' && c < 0x7f;
}

static bool
s_space (char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

//  Parse one line (without its newline) into self. Returns 0, or -1 with
//  the error set (naming name and number, never the token).
static int
s_parse_line (nimbus_tokens_t *self, const char *line, size_t length, const char *name,
              size_t number)
{
    size_t at = 0;
    while (at < length && s_space (line[at]))
        at++;
    if (at == length || line[at] == '#')
        return 0;
    size_t token_start = at;
    while (at < length && s_visible (line[at]))
        at++;
    size_t token_length = at - token_start;
    if (at < length && !s_space (line[at]))
        return sq_error_set ("%s:%zu: a token holds only visible ASCII characters", name, number);
    if (token_length < NIMBUS_TOKENS_MIN_LENGTH || token_length > NIMBUS_TOKENS_MAX_LENGTH)
        return sq_error_set ("%s:%zu: a token has %d to %d characters, this one %zu", name, number,
                             NIMBUS_TOKENS_MIN_LENGTH, NIMBUS_TOKENS_MAX_LENGTH, token_length);
    while (at < length && s_space (line[at]))
        at++;
    size_t principal_start = at;
    while (at < length && s_principal_char (line[at]))
        at++;
    size_t principal_length = at - principal_start;
    while (at < length && s_space (line[at]))
        at++;
    if (principal_length == 0 || principal_length > NIMBUS_TOKENS_MAX_PRINCIPAL || at < length)
        return sq_error_set ("%s:%zu: expected 'TOKEN PRINCIPAL', the principal 1 to %d of "
                             "letters, digits, '.', '_', '@' or '-'",
                             name, number, NIMBUS_TOKENS_MAX_PRINCIPAL);
    if (zhashx_size (self->principals) >= NIMBUS_TOKENS_MAX_COUNT)
        return sq_error_set ("%s:%zu: more than %d tokens", name, number, NIMBUS_TOKENS_MAX_COUNT);
    char hash[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (line + token_start, token_length, hash);
    if (zhashx_lookup (self->principals, hash))
        return sq_error_set ("%s:%zu: this token is already on an earlier line", name, number);
    char *principal = strndup (line + principal_start, principal_length);
    if (!principal || zhashx_insert (self->principals, hash, principal)) {
        free (principal);
        return sq_error_set ("out of memory");
    }
    return 0;
}

static void
s_free_string (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

nimbus_tokens_t *
nimbus_tokens_parse (const char *text, size_t size, const char *name)
{
    assert (text || size == 0);
    assert (name);
    nimbus_tokens_t *self = calloc (1, sizeof (nimbus_tokens_t));
    if (self)
        self->principals = zhashx_new ();
    if (!self || !self->principals) {
        nimbus_tokens_destroy (&self);
        sq_error_set ("out of memory");
        return NULL;
    }
    zhashx_set_destructor (self->principals, s_free_string);
    if (size > NIMBUS_TOKENS_MAX_FILE) {
        nimbus_tokens_destroy (&self);
        sq_error_set ("%s: more than %d bytes", name, NIMBUS_TOKENS_MAX_FILE);
        return NULL;
    }
    size_t number = 1;
    for (size_t start = 0; start < size; number++) {
        const char *newline = memchr (text + start, '\n', size - start);
        size_t length = newline ? (size_t) (newline - text) - start : size - start;
        int rc = memchr (text + start, 0, length)
                     ? sq_error_set ("%s:%zu: a NUL byte", name, number)
                     : s_parse_line (self, text + start, length, name, number);
        if (rc) {
            nimbus_tokens_destroy (&self);
            return NULL;
        }
        start += length + 1;
    }
    return self;
}

nimbus_tokens_t *
nimbus_tokens_load (const char *path)
{
    assert (path);
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        sq_error_set ("cannot open the tokens file %s (ui.tokens.file): %s", path,
                      strerror (errno));
        return NULL;
    }
    struct stat info;
    char *text = NULL;
    ssize_t got = 0;
    if (fstat (fd, &info) || !S_ISREG (info.st_mode))
        sq_error_set ("the tokens file %s (ui.tokens.file) is not a regular file", path);
    else if (info.st_mode & (S_IRWXG | S_IRWXO))
        sq_error_set ("the tokens file %s (ui.tokens.file) is open to its group or others "
                      "(mode %04o): make it 0600 (chmod 600 %s)",
                      path, (unsigned) (info.st_mode & 07777), path);
    else if (info.st_size > NIMBUS_TOKENS_MAX_FILE)
        sq_error_set ("the tokens file %s (ui.tokens.file) has more than %d bytes", path,
                      NIMBUS_TOKENS_MAX_FILE);
    else if (!(text = malloc ((size_t) info.st_size + 1)))
        sq_error_set ("out of memory");
    else {
        //  One more byte than the size asks for: a file that grew between
        //  fstat and read is refused rather than cut.
        size_t want = (size_t) info.st_size + 1;
        while ((size_t) got < want) {
            ssize_t rc = read (fd, text + got, want - (size_t) got);
            if (rc <= 0)
                break;
            got += rc;
        }
        if ((size_t) got == want) {
            sq_error_set ("the tokens file %s (ui.tokens.file) changed while read", path);
            zstr_free (&text);
        }
    }
    close (fd);
    nimbus_tokens_t *self = text ? nimbus_tokens_parse (text, (size_t) got, path) : NULL;
    free (text);
    return self;
}

void
nimbus_tokens_destroy (nimbus_tokens_t **self_p)
{
    assert (self_p);
    nimbus_tokens_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->principals);
    free (self);
    *self_p = NULL;
}

size_t
nimbus_tokens_count (nimbus_tokens_t *self)
{
    assert (self);
    return zhashx_size (self->principals);
}

char *
nimbus_tokens_mint (const char *principal)
{
    assert (principal);
    size_t length = strlen (principal);
    bool valid = length > 0 && length <= NIMBUS_TOKENS_MAX_PRINCIPAL;
    for (size_t i = 0; valid && i < length; i++)
        valid = s_principal_char (principal[i]);
    if (!valid) {
        sq_error_set ("invalid principal name '%.*s': use 1 to %d letters, digits, '.', '_', "
                      "'@' or '-'",
                      NIMBUS_TOKENS_MAX_PRINCIPAL + 8, principal, NIMBUS_TOKENS_MAX_PRINCIPAL);
        return NULL;
    }
    unsigned char random[32];
    if (getrandom (random, sizeof random, 0) != (ssize_t) sizeof random) {
        sq_error_set ("no randomness for a token: %s", strerror (errno));
        return NULL;
    }
    char token[2 * sizeof random + 1];
    for (size_t i = 0; i < sizeof random; i++)
        snprintf (token + 2 * i, 3, "%02x", random[i]);
    char *line = zsys_sprintf ("%s %s\n", token, principal);
    if (!line)
        sq_error_set ("out of memory");
    return line;
}

const char *
nimbus_tokens_principal (nimbus_tokens_t *self, const char *authorization)
{
    assert (self);
    if (!authorization)
        return NULL;
    while (s_space (*authorization))
        authorization++;
    if (strncasecmp (authorization, "Bearer", 6) != 0 || !s_space (authorization[6]))
        return NULL;
    const char *token = authorization + 7;
    while (s_space (*token))
        token++;
    size_t length = 0;
    while (s_visible (token[length]) && length <= NIMBUS_TOKENS_MAX_LENGTH)
        length++;
    const char *rest = token + length;
    while (s_space (*rest))
        rest++;
    if (length < NIMBUS_TOKENS_MIN_LENGTH || length > NIMBUS_TOKENS_MAX_LENGTH || *rest)
        return NULL;
    char hash[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (token, length, hash);
    return zhashx_lookup (self->principals, hash);
}
