/*  submit_isolation - a package's own code, run where it cannot harm storm-submit */
#include "submit_isolation.h"

#include "sq_archive.h"
#include "sq_child.h"
#include "sq_error.h"
#include "sq_package.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_MAX_ANSWER 4096 //  most bytes read of the child's answer

//  In the child, the first of the exit handlers to run when the package's
//  code calls exit(): leave with its status, running none of the handlers
//  the child inherited (ZeroMQ's, the sanitizers' leak check).
static void
s_leave_now (int status, void *arg)
{
    (void) arg;
    _exit (status);
}

//  The child: check the package and write 'O', or 'E' and the error, on
//  fd; then leave at once, running none of the package's exit handlers.
//  An archive is unpacked under scratch, which the parent removes however
//  the child ends.
static void
s_check_in_child (int fd, const char *path, const sq_config_t *config, const char *scratch)
{
    sq_child_reset_signals ();
    on_exit (s_leave_now, NULL);
    setenv ("TMPDIR", scratch, 1);
    sq_package_t *package = sq_package_open (path);
    sq_topology_t *topology = package ? sq_package_build (package, config) : NULL;
    int rc = topology ? sq_topology_validate (topology) : -1;
    char answer[S_MAX_ANSWER];
    int length = rc == 0 ? snprintf (answer, sizeof answer, "O")
                 : topology ? snprintf (answer, sizeof answer, "Etopology invalid: %s",
                                        sq_last_error ())
                            : snprintf (answer, sizeof answer, "E%s", sq_last_error ());
    if (length >= (int) sizeof answer)
        length = (int) sizeof answer - 1;
    ssize_t written = write (fd, answer, (size_t) length);
    (void) written;
    _exit (0);
}

//  Read the child's answer until it closes the pipe or the deadline
//  (monotonic ms) passes. Returns the bytes read, -1 at the deadline.
static int
s_read_answer (int fd, char *answer, size_t size, int64_t deadline)
{
    size_t got = 0;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return -1;
        struct pollfd item = {.fd = fd, .events = POLLIN};
        int ready = poll (&item, 1, (int) left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return -1;
        if (ready < 0)
            break;
        ssize_t bytes = read (fd, answer + got, size - 1 - got);
        if (bytes < 0 && errno == EINTR)
            continue;
        if (bytes <= 0 || (got += (size_t) bytes) == size - 1)
            break;
    }
    answer[got] = 0;
    return (int) got;
}

//  Run the check in a child. Returns 0 with its answer in answer (empty
//  when it wrote none) and its wait status in *status_p, 1 when it did not
//  end within timeout_ms (it is killed), or -1 with the error set when no
//  child could start.
static int
s_run_child (const char *path, const sq_config_t *config, int timeout_ms, const char *scratch,
             char *answer, size_t size, int *status_p)
{
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC))
        return sq_error_set ("cannot check package '%s': pipe: %s", path, strerror (errno));
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid < 0) {
        close (fds[0]);
        close (fds[1]);
        return sq_error_set ("cannot check package '%s': fork: %s", path, strerror (errno));
    }
    if (pid == 0) {
        close (fds[0]);
        s_check_in_child (fds[1], path, config, scratch);
    }
    close (fds[1]);
    int got = s_read_answer (fds[0], answer, size, zclock_mono () + timeout_ms);
    close (fds[0]);
    if (got < 0)
        kill (pid, SIGKILL);
    while (waitpid (pid, status_p, 0) < 0 && errno == EINTR)
        ;
    return got < 0 ? 1 : 0;
}

int
submit_isolation_check (const char *path, const sq_config_t *config, int timeout_ms)
{
    assert (path);
    const char *tmp = getenv ("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char scratch[4096];
    snprintf (scratch, sizeof scratch, "%s/squall-check-XXXXXX", tmp);
    if (!mkdtemp (scratch))
        return sq_error_set ("cannot check package '%s': cannot make a directory in %s: %s", path,
                             tmp, strerror (errno));
    char answer[S_MAX_ANSWER] = "";
    int status = 0;
    int rc = s_run_child (path, config, timeout_ms, scratch, answer, sizeof answer, &status);
    sq_archive_remove_tree (scratch);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return sq_error_set ("package '%s': building its topology did not end within %.1f s "
                             "(squall_topology() loops or blocks?); stopped it",
                             path, timeout_ms / 1000.0);
    if (answer[0] == 'O')
        return 0;
    if (answer[0] == 'E')
        return sq_error_set ("%s", answer + 1);
    if (WIFSIGNALED (status))
        return sq_error_set ("package '%s' crashed while building its topology: signal %d (%s)",
                             path, WTERMSIG (status), strsignal (WTERMSIG (status)));
    return sq_error_set ("package '%s' exited with status %d while building its topology "
                         "(its code called exit()?)",
                         path, WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}
