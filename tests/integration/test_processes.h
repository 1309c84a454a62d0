/*  test_processes - what integration tests need to run daemons on this
    machine: free loopback ports, a monotonic clock, a sweep that kills
    every process a test left behind, and a directory per suite that is
    swept and removed at exit.
*/
#ifndef TEST_PROCESSES_H_INCLUDED
#define TEST_PROCESSES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

//  Speak ZeroMQ by hand to 127.0.0.1:port as a peer of socket_type
//  ("PUSH", "DEALER"; ZMTP 3.0, NULL mechanism): greet, then declare one
//  message of `declared` bytes and send up to max_send bytes of it (less
//  when the server closes first), leaving the message unfinished. Returns
//  the connection (caller closes) with the bytes of the message sent in
//  *sent_p, or -1 when it cannot connect.
int test_processes_zmtp_frame (int port, const char *socket_type, uint64_t declared,
                               size_t max_send, size_t *sent_p);
//  On a connection whose handshake is done (fd), declare one message
//  frame of `declared` bytes and send up to max_send bytes of it, as
//  test_processes_zmtp_frame does. 0, or -1 when a send failed first;
//  the bytes of the message sent in *sent_p.
int test_processes_start_frame (int fd, uint64_t declared, size_t max_send, size_t *sent_p);
//  True when the server closes the connection fd within timeout_ms
//  (whatever it sent before is read and ignored).
bool test_processes_closed_by_peer (int fd, int timeout_ms);
//  Resident memory of process pid in KiB (VmRSS), or -1.
long test_processes_rss_kb (int pid);

//  The suite's directory, made on the first call under $TMPDIR (or /tmp)
//  as <name>-XXXXXX, and set as TMPDIR so that what the tests make goes
//  inside. When the process that made it exits, every process whose
//  command line mentions it is killed and it is removed: also what a
//  failed test left (Check's forked test processes exit without their
//  teardown, and workers outlive their supervisors). NULL when it cannot be
//  made. Owned by the module.
const char *test_processes_suite_dir (const char *name);

#endif
