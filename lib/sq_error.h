/*  sq_error - error codes, and the per-thread last error behind sq_last_error()

    Functions that fail set a message here and return a negative code; the
    caller reads the message with sq_last_error(). The buffer is
    thread-local, so threads never see each other's errors.

    Most functions have one way to fail and return -1 (SQ_EFAIL). A function
    whose callers must tell outcomes apart returns a named code from
    SQ_ERROR_MAP instead, and its header comment lists which ones; callers
    compare against the names, never against numbers. Each code means one
    thing wherever it is returned, and sq_last_error() still carries the
    details (which node, which byte).

    DESIGN: the codes are one X-macro table, so the enum, sq_strerror and
    sq_err_name cannot drift apart, and two codes with one value do not
    compile (sq_strerror would have a duplicate case). A new code takes the
    next unused negative value; values are never reused, because a value
    that changes meaning turns an old comparison into a silent bug.
*/
#ifndef SQ_ERROR_H_INCLUDED
#define SQ_ERROR_H_INCLUDED

//  XX (name, value, text): every error code, its value and what it means.
#define SQ_ERROR_MAP(XX)                                                                           \
    XX (EFAIL, -1, "failed (sq_last_error() says why)")                                            \
    XX (EMALFORMED, -2, "malformed input")                                                         \
    XX (ENOMEM, -3, "out of memory")                                                               \
    XX (ENONODE, -4, "no such ZooKeeper node")                                                     \
    XX (ENODEEXISTS, -5, "ZooKeeper node already exists")                                          \
    XX (ETAKENOVER, -6, "taken over by another supervisor with the same id")

//  SQ_EFAIL, SQ_EMALFORMED, ...
enum {
#define SQ_ERROR_ENUM(name, value, text) SQ_##name = value,
    SQ_ERROR_MAP (SQ_ERROR_ENUM)
#undef SQ_ERROR_ENUM
};

//  Format the calling thread's last error (printf-style). Always returns -1
//  (SQ_EFAIL), so a failing function can `return sq_error_set (...)`.
int sq_error_set (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

//  The same, for a function that fails with another code: returns code, so
//  that it can `return sq_error_set_code (SQ_ENOMEM, ...)`.
int sq_error_set_code (int code, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  What an error code means ("malformed input"); "no error" for 0, and
//  "unknown error code <code>" for a code not in SQ_ERROR_MAP (that text
//  lives in a per-thread buffer, valid until the next such call on this
//  thread). Never NULL.
const char *sq_strerror (int code);

//  The code's name ("SQ_EMALFORMED"), or "unknown" for 0 and for a code
//  not in SQ_ERROR_MAP. Never NULL; static storage.
const char *sq_err_name (int code);

#endif
