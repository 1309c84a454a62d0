/*  sq_error - error codes, and the per-thread last error behind sq_last_error() */
#include "sq_error.h"
#include "squall.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char s_last_error[512] = "no error";

//  Text for a code not in the table; per thread, like the last error.
static _Thread_local char s_unknown[48];

//  Formats into a buffer of its own first: the arguments may point into
//  s_last_error itself (a message that wraps the previous one), and
//  vsnprintf may not write where it reads.
static void
s_set (const char *format, va_list args)
{
    char text[sizeof s_last_error];
    vsnprintf (text, sizeof text, format, args);
    memcpy (s_last_error, text, sizeof text);
}

int
sq_error_set (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_set (format, args);
    va_end (args);
    return SQ_EFAIL;
}

int
sq_error_set_code (int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_set (format, args);
    va_end (args);
    return code;
}

const char *
sq_last_error (void)
{
    return s_last_error;
}

const char *
sq_strerror (int code)
{
    switch (code) {
#define SQ_ERROR_TEXT(name, value, text)                                                           \
    case SQ_##name:                                                                                \
        return text;
        SQ_ERROR_MAP (SQ_ERROR_TEXT)
#undef SQ_ERROR_TEXT
    case 0:
        return "no error";
    default:
        snprintf (s_unknown, sizeof s_unknown, "unknown error code %d", code);
        return s_unknown;
    }
}

const char *
sq_err_name (int code)
{
    switch (code) {
#define SQ_ERROR_NAME(name, value, text)                                                           \
    case SQ_##name:                                                                                \
        return "SQ_" #name;
        SQ_ERROR_MAP (SQ_ERROR_NAME)
#undef SQ_ERROR_NAME
    default:
        return "unknown";
    }
}
