/*  test_processes - what integration tests need to run daemons on this
    machine: free loopback ports, a monotonic clock, a sweep that kills
    every process a test left behind, and a directory per suite that is
    swept and removed at exit.
*/
#ifndef TEST_PROCESSES_H_INCLUDED
#define TEST_PROCESSES_H_INCLUDED

#include <stdbool.h>

//  A TCP port on 127.0.0.1 that nothing listens on now, or -1.
int test_processes_free_port (void);
//  Monotonic clock in milliseconds.
long long test_processes_now_ms (void);
//  True while pid runs and is not a zombie (kill (pid, 0) also succeeds
//  for a process that died and was not reaped yet).
bool test_processes_alive (int pid);
//  SIGKILL every process (but this one) whose command line contains text,
//  for instance a test's temporary directory. Processes whose command line
//  also contains `spare` (may be NULL) are left alone.
void test_processes_kill_mentioning (const char *text, const char *spare);

//  The suite's directory, made on the first call under $TMPDIR (or /tmp)
//  as <name>-XXXXXX, and set as TMPDIR so that what the tests make goes
//  inside. When the process that made it exits, every process whose
//  command line mentions it is killed and it is removed: also what a
//  failed test left (Check's forked test processes exit without their
//  teardown, and workers outlive their supervisors). NULL when it cannot be
//  made. Owned by the module.
const char *test_processes_suite_dir (const char *name);

#endif
