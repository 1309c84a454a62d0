/*  sq_subprocess - one child process that a task talks to over pipes

    Runs a program in a directory with its stdin, stdout and stderr on
    pipes of ours (every descriptor close-on-exec, so no other child
    inherits them). The child is killed when the thread that started it
    ends (PR_SET_PDEATHSIG: on Linux the parent is the forking thread), so
    a dying worker leaves no child behind. Nothing here blocks without a
    deadline: writes and reads take a timeout, and what the child writes
    on stderr is drained into a ring of the last 4 KiB whenever we wait on
    it, so a chatty child never blocks on a full stderr pipe.
*/
#ifndef SQ_SUBPROCESS_H_INCLUDED
#define SQ_SUBPROCESS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

//  Bytes of stderr kept, and lines of it shown in errors.
#define SQ_SUBPROCESS_TAIL_BYTES 4096
#define SQ_SUBPROCESS_TAIL_LINES 20

typedef struct _sq_subprocess_t sq_subprocess_t;

//  Start argv[0] (looked up in PATH when it has no '/'), with argv, in
//  directory dir (NULL: ours). NULL with sq_last_error set when it cannot
//  start (no such program, a directory that cannot be entered, ...).
//  Caller owns.
sq_subprocess_t *sq_subprocess_new (const char *const *argv, const char *dir);
//  Kill the child (SIGKILL) unless it is gone, reap it, close the pipes;
//  NULL-safe; nulls the caller's pointer.
void sq_subprocess_destroy (sq_subprocess_t **self_p);
//  Process id of the child.
pid_t sq_subprocess_pid (const sq_subprocess_t *self);

//  Wait up to timeout_ms (0: do not wait) until the child's stdin takes
//  bytes or its stdout has some, draining stderr meanwhile. Writes what
//  it can of data (*written gets the count) and reads what is there into
//  buffer (*read_p gets the count). Returns 0, or -1 (sq_last_error set)
//  when the child closed stdout or stdin or a pipe failed; bytes moved
//  before that are still counted.
int sq_subprocess_exchange (sq_subprocess_t *self, const char *data, size_t size, size_t *written,
                            char *buffer, size_t capacity, size_t *read_p, int timeout_ms);
//  Whether the child has exited; reaps it and fills *status (waitpid's)
//  when it has. Never blocks.
bool sq_subprocess_exited (sq_subprocess_t *self, int *status);
//  The last lines of what the child wrote on stderr (at most
//  SQ_SUBPROCESS_TAIL_LINES lines, SQ_SUBPROCESS_TAIL_BYTES bytes), after
//  draining what is there now; "" when none. Valid until the next call.
const char *sq_subprocess_stderr_tail (sq_subprocess_t *self);
//  How the child ended, in words ("exited with status 3", "killed by
//  signal 9"), or "is still running"; reaps it when it ended.
const char *sq_subprocess_describe_exit (sq_subprocess_t *self);

#endif
