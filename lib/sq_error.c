/*  sq_error - the per-thread last error behind sq_last_error() */
#include "sq_error.h"
#include "squall.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char s_last_error[512] = "no error";

int
sq_error_set (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (s_last_error, sizeof s_last_error, format, args);
    va_end (args);
    return -1;
}

const char *
sq_last_error (void)
{
    return s_last_error;
}
