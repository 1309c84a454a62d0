/*  sq_error - the per-thread last error behind sq_last_error()

    Functions that fail set a message here and return -1; the caller reads
    it with sq_last_error(). The buffer is thread-local, so threads never
    see each other's errors.
*/
#ifndef SQ_ERROR_H_INCLUDED
#define SQ_ERROR_H_INCLUDED

//  Format the calling thread's last error (printf-style). Always returns -1,
//  so a failing function can `return sq_error_set (...)`.
int sq_error_set (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

#endif
