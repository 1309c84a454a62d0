/*  sq_subprocess - one child process that a task talks to over pipes

    DESIGN: the child's stdin is one end of a socket pair rather than a
    pipe, so that writing to a child that died returns EPIPE
    (MSG_NOSIGNAL) instead of raising SIGPIPE in a process that may not
    ignore it. Its stdout and stderr are plain pipes. Our ends are
    non-blocking; every wait is a poll with a deadline. A failed exec is
    reported back through a close-on-exec pipe: the child writes its errno
    there, and an exec that works closes the pipe with nothing written.
*/
#include "sq_subprocess.h"
#include "sq_child.h"
#include "sq_error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct _sq_subprocess_t {
    pid_t pid;                               //  the child's process id
    bool reaped;                             //  waitpid returned it
    int status;                              //  its wait status, once reaped
    int stdin_fd;                            //  our end of its stdin (socket), or -1
    int stdout_fd;                           //  read end of its stdout, or -1
    int stderr_fd;                           //  read end of its stderr, or -1
    char ring[SQ_SUBPROCESS_TAIL_BYTES];     //  last bytes of its stderr, circular
    size_t ring_next;                        //  where the next stderr byte goes
    size_t ring_size;                        //  bytes held in ring
    char tail[SQ_SUBPROCESS_TAIL_BYTES + 1]; //  the tail handed out, in order
    char exit_text[64];                      //  how it ended, in words
};

static void
s_close (int *fd_p)
{
    if (*fd_p >= 0)
        close (*fd_p);
    *fd_p = -1;
}

//  In the child, after fork: only async-signal-safe calls until exec.
static void __attribute__ ((noreturn))
s_run_child (const char *const *argv, const char *dir, pid_t parent, int stdin_fd, int stdout_fd,
             int stderr_fd, int report_fd)
{
    //  Killed when the forking thread ends; if that already happened,
    //  the parent changed before we asked, so go now.
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (127);
    sq_child_reset_signals ();
    if (dup2 (stdin_fd, 0) < 0 || dup2 (stdout_fd, 1) < 0 || dup2 (stderr_fd, 2) < 0)
        goto failed;
    if (dir && chdir (dir) < 0)
        goto failed;
    execvp (argv[0], (char *const *) argv);
failed : {
    int error = errno;
    ssize_t ignored = write (report_fd, &error, sizeof error);
    (void) ignored;
    _exit (127);
}
}

sq_subprocess_t *
sq_subprocess_new (const char *const *argv, const char *dir)
{
    if (!argv || !argv[0] || !*argv[0]) {
        sq_error_set ("no command to run");
        return NULL;
    }
    sq_subprocess_t *self = calloc (1, sizeof (sq_subprocess_t));
    if (!self) {
        sq_error_set ("out of memory starting '%s'", argv[0]);
        return NULL;
    }
    self->stdin_fd = self->stdout_fd = self->stderr_fd = -1;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) || pipe2 (out, O_CLOEXEC) ||
        pipe2 (err, O_CLOEXEC) || pipe2 (report, O_CLOEXEC)) {
        sq_error_set ("cannot make pipes for '%s': %s", argv[0], strerror (errno));
        goto failed;
    }
    pid_t parent = getpid ();
    self->pid = fork ();
    if (self->pid < 0) {
        sq_error_set ("cannot start '%s': fork: %s", argv[0], strerror (errno));
        goto failed;
    }
    if (self->pid == 0)
        s_run_child (argv, dir, parent, in[1], out[1], err[1], report[1]);
    s_close (&in[1]);
    s_close (&out[1]);
    s_close (&err[1]);
    s_close (&report[1]);
    int error = 0;
    ssize_t got;
    do
        got = read (report[0], &error, sizeof error);
    while (got < 0 && errno == EINTR);
    s_close (&report[0]);
    if (got > 0) {
        waitpid (self->pid, NULL, 0);
        sq_error_set ("cannot run '%s'%s%s: %s", argv[0], dir ? " in " : "", dir ? dir : "",
                      strerror (error));
        self->pid = 0;
        goto failed;
    }
    self->stdin_fd = in[0];
    self->stdout_fd = out[0];
    self->stderr_fd = err[0];
    fcntl (self->stdin_fd, F_SETFL, O_NONBLOCK);
    fcntl (self->stdout_fd, F_SETFL, O_NONBLOCK);
    fcntl (self->stderr_fd, F_SETFL, O_NONBLOCK);
    return self;

failed:
    for (int i = 0; i < 2; i++) {
        s_close (&in[i]);
        s_close (&out[i]);
        s_close (&err[i]);
        s_close (&report[i]);
    }
    free (self);
    return NULL;
}

void
sq_subprocess_destroy (sq_subprocess_t **self_p)
{
    if (self_p && *self_p) {
        sq_subprocess_t *self = *self_p;
        if (self->pid > 0 && !self->reaped) {
            kill (self->pid, SIGKILL);
            while (waitpid (self->pid, &self->status, 0) < 0 && errno == EINTR)
                ;
        }
        s_close (&self->stdin_fd);
        s_close (&self->stdout_fd);
        s_close (&self->stderr_fd);
        free (self);
        *self_p = NULL;
    }
}

pid_t
sq_subprocess_pid (const sq_subprocess_t *self)
{
    return self->pid;
}

//  Read what stderr holds now into the ring.
static void
s_drain_stderr (sq_subprocess_t *self)
{
    char chunk[4096];
    while (self->stderr_fd >= 0) {
        ssize_t got = read (self->stderr_fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                s_close (&self->stderr_fd);
            return;
        }
        for (ssize_t i = 0; i < got; i++) {
            self->ring[self->ring_next] = chunk[i];
            self->ring_next = (self->ring_next + 1) % sizeof self->ring;
        }
        self->ring_size += (size_t) got;
        if (self->ring_size > sizeof self->ring)
            self->ring_size = sizeof self->ring;
    }
}

int
sq_subprocess_exchange (sq_subprocess_t *self, const char *data, size_t size, size_t *written,
                        char *buffer, size_t capacity, size_t *read_p, int timeout_ms)
{
    *written = 0;
    *read_p = 0;
    if (self->stdin_fd < 0 || self->stdout_fd < 0)
        return sq_error_set ("its pipes are closed");
    struct pollfd fds[3] = {{self->stdin_fd, size ? POLLOUT : 0, 0},
                            {self->stdout_fd, capacity ? POLLIN : 0, 0},
                            {self->stderr_fd, POLLIN, 0}};
    int ready = poll (fds, self->stderr_fd >= 0 ? 3 : 2, timeout_ms);
    if (ready < 0 && errno != EINTR)
        return sq_error_set ("poll: %s", strerror (errno));
    if (ready <= 0)
        return 0;
    if (fds[2].revents)
        s_drain_stderr (self);
    if (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) {
        ssize_t got = read (self->stdout_fd, buffer, capacity);
        if (got == 0)
            return sq_error_set ("it closed its stdout");
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return sq_error_set ("reading its stdout: %s", strerror (errno));
        *read_p = got > 0 ? (size_t) got : 0;
    }
    //  Read first: a child that wrote its last words and exited is heard
    //  before its closed stdin is noticed.
    if (fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
        ssize_t sent = send (self->stdin_fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && errno == EPIPE)
            return sq_error_set ("it closed its stdin");
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return sq_error_set ("writing to its stdin: %s", strerror (errno));
        *written = sent > 0 ? (size_t) sent : 0;
    }
    return 0;
}

bool
sq_subprocess_exited (sq_subprocess_t *self, int *status)
{
    if (!self->reaped && self->pid > 0) {
        pid_t got = waitpid (self->pid, &self->status, WNOHANG);
        self->reaped = got == self->pid;
    }
    if (self->reaped && status)
        *status = self->status;
    return self->reaped;
}

const char *
sq_subprocess_stderr_tail (sq_subprocess_t *self)
{
    s_drain_stderr (self);
    size_t start = (self->ring_next + sizeof self->ring - self->ring_size) % sizeof self->ring;
    for (size_t i = 0; i < self->ring_size; i++)
        self->tail[i] = self->ring[(start + i) % sizeof self->ring];
    size_t size = self->ring_size;
    while (size && self->tail[size - 1] == '\n')
        size--;
    self->tail[size] = '\0';
    //  Keep the last SQ_SUBPROCESS_TAIL_LINES lines.
    size_t lines = 0;
    for (size_t i = size; i > 0; i--)
        if (self->tail[i - 1] == '\n' && ++lines == SQ_SUBPROCESS_TAIL_LINES)
            return self->tail + i;
    return self->tail;
}

const char *
sq_subprocess_describe_exit (sq_subprocess_t *self)
{
    int status;
    if (!sq_subprocess_exited (self, &status))
        snprintf (self->exit_text, sizeof self->exit_text, "is still running");
    else if (WIFEXITED (status))
        snprintf (self->exit_text, sizeof self->exit_text, "exited with status %d",
                  WEXITSTATUS (status));
    else if (WIFSIGNALED (status))
        snprintf (self->exit_text, sizeof self->exit_text, "was killed by signal %d",
                  WTERMSIG (status));
    else
        snprintf (self->exit_text, sizeof self->exit_text, "ended (wait status %d)", status);
    return self->exit_text;
}
