/*  test_processes - what integration tests need to run daemons on this
    machine: free loopback ports, a monotonic clock, and a sweep that kills
    every process a test left behind.
*/
#ifndef TEST_PROCESSES_H_INCLUDED
#define TEST_PROCESSES_H_INCLUDED

//  A TCP port on 127.0.0.1 that nothing listens on now, or -1.
int test_processes_free_port (void);
//  Monotonic clock in milliseconds.
long long test_processes_now_ms (void);
//  SIGKILL every process (but this one) whose command line contains text,
//  for instance a test's temporary directory. Processes whose command line
//  also contains `spare` (may be NULL) are left alone.
void test_processes_kill_mentioning (const char *text, const char *spare);

#endif
