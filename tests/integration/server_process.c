/*  server_process - a server program a test runs as its child

    DESIGN: fork, then in the child: die with the parent's thread, stdin
    from /dev/null, stdout and stderr appended to the log, no inherited
    descriptors, signals as a fresh program expects them, exec. The parent
    polls waitpid and the readiness probe in turns, so a server that quits
    at once (its port taken) is told apart from one that hangs. Live
    servers sit in a small process-wide table that the atexit handler
    walks.
*/
#include "server_process.h"

#include "test_processes.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_SERVERS 16     //  servers one process may have at once
#define S_POLL_MS 20         //  pause between readiness probes
#define S_STOP_GRACE_MS 5000 //  SIGTERM grace for a server that never answered

struct _server_process_t {
    char *name;     //  prefix of our messages
    char *log_path; //  the server's stdout and stderr
    char *dir;      //  removed at exit when the server is still alive, or NULL
    pid_t pid;      //  server process, 0 when stopped
    pid_t owner;    //  process that started the server and must reap it
};

//  Servers of this process, for the atexit handler.
static server_process_t *s_servers[S_MAX_SERVERS];
static bool s_atexit_registered;

static int
s_remove_entry (const char *path, const struct stat *stat, int flag, struct FTW *ftw)
{
    (void) stat, (void) flag, (void) ftw;
    remove (path);
    return 0;
}

void
server_process_remove_tree (const char *dir)
{
    if (dir)
        nftw (dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool
server_process_found (const char *program)
{
    if (strchr (program, '/'))
        return access (program, X_OK) == 0;
    const char *path = getenv ("PATH");
    char *dirs = path ? strdup (path) : NULL;
    bool found = false;
    for (char *save = NULL, *dir = dirs ? strtok_r (dirs, ":", &save) : NULL; dir && !found;
         dir = strtok_r (NULL, ":", &save)) {
        char candidate[4096];
        snprintf (candidate, sizeof candidate, "%s/%s", dir, program);
        found = access (candidate, X_OK) == 0;
    }
    free (dirs);
    return found;
}

static void
s_pause_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) == -1 && errno == EINTR)
        ;
}

//  True once pid is reaped (or is no child of ours), waiting up to
//  timeout_ms; the exit status in *status_p when it was reaped here.
static bool
s_reap (pid_t pid, int timeout_ms, int *status_p)
{
    long long deadline = test_processes_now_ms () + timeout_ms;
    while (true) {
        pid_t rc = waitpid (pid, status_p, WNOHANG);
        if (rc == pid || (rc == -1 && errno == ECHILD))
            return true;
        if (test_processes_now_ms () >= deadline)
            return false;
        s_pause_ms (S_POLL_MS);
    }
}

//  Kills and reaps the server, gently first when grace_ms > 0.
static void
s_kill (server_process_t *self, int grace_ms)
{
    if (self->pid <= 0)
        return;
    if (grace_ms > 0) {
        kill (self->pid, SIGTERM);
        kill (self->pid, SIGCONT); //  a paused server must run to handle SIGTERM
        if (s_reap (self->pid, grace_ms, NULL)) {
            self->pid = 0;
            return;
        }
    }
    kill (self->pid, SIGKILL);
    while (waitpid (self->pid, NULL, 0) == -1 && errno == EINTR)
        ;
    self->pid = 0;
}

static void
s_atexit (void)
{
    for (int i = 0; i < S_MAX_SERVERS; i++) {
        server_process_t *server = s_servers[i];
        if (server && server->owner == getpid ()) {
            s_kill (server, 0);
            server_process_remove_tree (server->dir);
        }
    }
}

server_process_t *
server_process_new (const char *name, const char *log_path, const char *dir)
{
    if (!s_atexit_registered) {
        if (atexit (s_atexit) != 0)
            return NULL;
        s_atexit_registered = true;
    }
    int slot = 0;
    while (slot < S_MAX_SERVERS && s_servers[slot])
        slot++;
    if (slot == S_MAX_SERVERS) {
        fprintf (stderr, "%s: more than %d servers at once\n", name, S_MAX_SERVERS);
        return NULL;
    }
    server_process_t *self = calloc (1, sizeof (server_process_t));
    if (!self)
        return NULL;
    self->name = strdup (name);
    self->log_path = strdup (log_path);
    self->dir = dir ? strdup (dir) : NULL;
    if (!self->name || !self->log_path || (dir && !self->dir)) {
        server_process_destroy (&self, 0);
        return NULL;
    }
    self->owner = getpid ();
    s_servers[slot] = self;
    return self;
}

void
server_process_destroy (server_process_t **self_p, int grace_ms)
{
    if (self_p && *self_p) {
        server_process_t *self = *self_p;
        if (self->owner == getpid ())
            s_kill (self, grace_ms);
        for (int i = 0; i < S_MAX_SERVERS; i++)
            if (s_servers[i] == self)
                s_servers[i] = NULL;
        free (self->name);
        free (self->log_path);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

//  Child side of the fork: never returns.
static void
s_exec (server_process_t *self, char *const argv[], pid_t parent)
{
    //  Die with the thread that started us, even when it gets SIGKILL.
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (127);
    int null_fd = open ("/dev/null", O_RDONLY);
    int log_fd = open (self->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd < 0 || log_fd < 0)
        _exit (127);
    dup2 (null_fd, STDIN_FILENO);
    dup2 (log_fd, STDOUT_FILENO);
    dup2 (log_fd, STDERR_FILENO);
    closefrom (3);
    //  Undo what a test may have blocked or ignored.
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
    execvp (argv[0], argv);
    fprintf (stderr, "%s: cannot run %s: %s\n", self->name, argv[0], strerror (errno));
    _exit (127);
}

int
server_process_launch (server_process_t *self, char *const argv[], int port,
                       server_process_ready_fn *ready, int timeout_ms, bool *exited)
{
    *exited = false;
    if (self->pid > 0)
        return -1;
    fflush (NULL); //  the child must not flush our buffers again
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        fprintf (stderr, "%s: fork: %s\n", self->name, strerror (errno));
        return -1;
    }
    if (pid == 0)
        s_exec (self, argv, parent);
    self->pid = pid;
    self->owner = parent;
    long long deadline = test_processes_now_ms () + timeout_ms;
    while (test_processes_now_ms () < deadline) {
        int status = 0;
        if (s_reap (pid, 0, &status)) {
            self->pid = 0;
            *exited = true;
            fprintf (stderr, "%s: server on port %d exited (status %d) before answering\n",
                     self->name, port,
                     WIFEXITED (status) ? WEXITSTATUS (status) : -WTERMSIG (status));
            return -1;
        }
        if (ready (port))
            return 0;
        s_pause_ms (S_POLL_MS);
    }
    fprintf (stderr, "%s: server on port %d did not answer within %d ms\n", self->name, port,
             timeout_ms);
    s_kill (self, S_STOP_GRACE_MS);
    return -1;
}

int
server_process_stop (server_process_t *self, int grace_ms)
{
    if (self->pid <= 0 || self->owner != getpid ())
        return -1;
    s_kill (self, grace_ms);
    return 0;
}

bool
server_process_running (server_process_t *self)
{
    if (self->pid <= 0)
        return false;
    if (self->owner == getpid () && s_reap (self->pid, 0, NULL)) {
        self->pid = 0;
        return false;
    }
    return true;
}

pid_t
server_process_pid (server_process_t *self)
{
    return self->pid;
}

void
server_process_print_log (server_process_t *self, long max_bytes)
{
    FILE *file = fopen (self->log_path, "r");
    if (!file)
        return;
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, size > max_bytes ? size - max_bytes : 0, SEEK_SET);
    fprintf (stderr, "%s: end of %s:\n", self->name, self->log_path);
    char line[1024];
    while (fgets (line, sizeof line, file))
        fputs (line, stderr);
    fclose (file);
}
