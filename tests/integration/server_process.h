/*  server_process - a server program a test runs as its child: started
    with its output in a log file, waited for until a probe says it
    serves, stopped gently then hard, and always reaped. What zk_server
    and redis_server share; each adds its program's own configuration.

    A server dies with the thread that started it (PR_SET_PDEATHSIG), and
    the servers a process has not destroyed when it exits are killed by an
    atexit handler, which also removes the directory each was given.
    Only the process that started a server stops or reaps it: Check's
    forked test processes see it, but leave it to their parent.
*/
#ifndef SERVER_PROCESS_H_INCLUDED
#define SERVER_PROCESS_H_INCLUDED

#include <stdbool.h>
#include <sys/types.h>

typedef struct _server_process_t server_process_t;

//  True when the server listening on loopback port serves.
typedef bool (server_process_ready_fn) (int port);

//  A server not started yet. name prefixes its messages on stderr;
//  log_path receives its stdout and stderr; dir (may be NULL) is removed
//  when this process exits before destroying the server. NULL when full (at
//  most 16 at once) or out of memory. Both strings are copied.
server_process_t *server_process_new (const char *name, const char *log_path, const char *dir);
//  Stops (SIGTERM, then SIGKILL after grace_ms) and forgets the server.
void server_process_destroy (server_process_t **self_p, int grace_ms);

//  Runs argv (argv[0] looked up on the PATH) and polls ready (port)
//  until it answers true, for at most timeout_ms. 0 when it serves; -1
//  when it cannot start, exits first (*exited set: a port someone else
//  took, say) or does not answer in time (then it is stopped).
int server_process_launch (server_process_t *self, char *const argv[], int port,
                           server_process_ready_fn *ready, int timeout_ms, bool *exited);
//  SIGTERM (and SIGCONT, for a paused server) and up to grace_ms for it to
//  exit, then SIGKILL; reaped on return. -1 when it is not running or
//  this process did not start it.
int server_process_stop (server_process_t *self, int grace_ms);
//  True while the server runs (reaps it when it has exited).
bool server_process_running (server_process_t *self);
//  The server's pid, 0 when stopped.
pid_t server_process_pid (server_process_t *self);
//  Prints the last max_bytes of the log to stderr.
void server_process_print_log (server_process_t *self, long max_bytes);

//  Removes a directory tree; quiet when it is already gone.
void server_process_remove_tree (const char *dir);
//  True when program can be run: an executable path, or a name found on
//  the PATH.
bool server_process_found (const char *program);

#endif
