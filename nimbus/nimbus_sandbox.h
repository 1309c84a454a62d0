/*  nimbus_sandbox - the walls around a package's validation process

    A validation runs code a stranger submitted (nimbus_validator). The
    sandbox makes sure that code cannot act as nimbus: nimbus forks a
    child (the keeper) that calls nimbus_sandbox_run, and the keeper forks
    the process that loads the package (the prisoner), which

    - runs as nimbus.validation.user ("nobody") when nimbus is root, else
      as nimbus's own user inside a user namespace of its own;
    - is the first process of its own PID namespace (it cannot see or
      name any process outside; when it dies, every process it started
      dies with it), with its own mount, IPC, network (no interfaces but
      a down loopback) and host name namespaces, when the kernel allows;
    - lives in its own session and process group (setsid in the keeper);
    - is bounded by RLIMIT_CPU, RLIMIT_AS (beyond what it starts with),
      RLIMIT_FSIZE, RLIMIT_NOFILE and RLIMIT_NPROC from the config;
    - may write only under a scratch directory (a small tmpfs when the
      mount namespace exists), and may neither signal processes outside
      its Landlock domain nor connect or bind TCP, when the kernel has
      Landlock (ABI 6 for signals, 4 for TCP);
    - has a minimal environment, /dev/null as stdin, stdout and stderr,
      and no descriptor but its answer pipe and the package.

    DESIGN: the keeper stays outside the walls, as nimbus's user: it reads
    the prisoner's answer, reaps it, and answers nimbus itself. It passes
    a successful answer on unchanged and otherwise writes one
    {"error": "..."} that says how the prisoner died: out of CPU time, out
    of memory, too large a file, a signal, an exit without answer. Each
    step of the walls that the kernel refuses is skipped; what a machine
    supports is probed once by nimbus_sandbox_new and logged by nimbus.
*/
#ifndef NIMBUS_SANDBOX_H_INCLUDED
#define NIMBUS_SANDBOX_H_INCLUDED

#include "squall.h"

#include <sys/types.h>

typedef struct _nimbus_sandbox_t nimbus_sandbox_t;

//  What the prisoner runs: validate the package at path and write its
//  JSON answer on answer_fd, then _exit. Never returns.
typedef void (nimbus_sandbox_fn) (int answer_fd, const char *path, void *arg);

//  The sandbox nimbus's config asks for (nimbus.validation.* keys), with
//  what this machine supports probed (the config holds each limit within
//  its key's range). NULL with sq_last_error() set when, nimbus being
//  root, nimbus.validation.user names no local account or root. Caller owns.
nimbus_sandbox_t *nimbus_sandbox_new (const sq_config_t *config);
//  Free. NULL-safe; nulls the caller's pointer.
void nimbus_sandbox_destroy (nimbus_sandbox_t **self_p);
//  One line saying how a validation is isolated on this machine (for
//  nimbus's start log). Belongs to self.
const char *nimbus_sandbox_summary (nimbus_sandbox_t *self);
//  A new empty scratch directory for one validation, writable by its
//  user only. NULL with sq_last_error() set on failure. Caller frees the
//  string after nimbus_sandbox_remove_scratch.
char *nimbus_sandbox_make_scratch (nimbus_sandbox_t *self);
//  Remove a scratch directory and all it holds (without following
//  symbolic links). NULL-safe.
void nimbus_sandbox_remove_scratch (const char *scratch);
//  In the keeper (a child nimbus just forked, parent_pid being nimbus):
//  build the walls, run fn in the prisoner on package_path, and write
//  the answer (the prisoner's, or an error) on answer_fd. Never returns.
void nimbus_sandbox_run (const nimbus_sandbox_t *self, pid_t parent_pid, const char *scratch,
                         int answer_fd, const char *package_path, nimbus_sandbox_fn *fn, void *arg)
    __attribute__ ((noreturn));
//  Write all of text to fd (an answer pipe), retrying short writes; gives
//  up silently on an error (the reader then sees no answer).
void nimbus_sandbox_write (int fd, const char *text);

#endif
