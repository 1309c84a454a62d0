/*  submit_isolation - a package's own code, run where it cannot harm storm-submit

    Before storm-submit submits a package or runs it locally it checks
    that the package loads, builds its topology (the package's
    squall_topology(), a stranger's code) and validates. That code may
    crash, loop or call exit(); so the check runs in a child process with
    a deadline, and each of those ends becomes one clear error instead of
    a storm-submit that dies by a signal, hangs, or exits 0 having done
    nothing.
*/
#ifndef SUBMIT_ISOLATION_H_INCLUDED
#define SUBMIT_ISOLATION_H_INCLUDED

#include "squall.h"

//  0 when the package at path loads, builds with config and validates in
//  a child process within timeout_ms; else -1 with sq_last_error() saying
//  why: the package's own error, or that its code crashed (the signal),
//  exited (the status) or did not return in time (then the child is
//  killed).
int submit_isolation_check (const char *path, const sq_config_t *config, int timeout_ms);

#endif
