/*  redis_server - a real redis-server for integration tests

    DESIGN: everything is given on the command line (no config file):
    loopback only, no RDB snapshots, an append-only file with fsync on
    every write (what a test pushes or acks survives a stop and start), no
    protected mode (tests connect without a password unless they set one).
    A free port comes from test_processes_free_port; should another
    process take it before the server binds, the server exits and
    redis_server_new tries again with a new port. Readiness is PING
    answered with +PONG (a server still loading its data answers -LOADING).
    Live servers sit in a small process-wide table for the atexit handler.
*/
#include "redis_server.h"
#include "test_processes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_READY_TIMEOUT_MS 20000 //  longest wait for a server to answer
#define S_STOP_TIMEOUT_MS 5000   //  SIGTERM grace before SIGKILL
#define S_START_ATTEMPTS 3       //  ports tried by redis_server_new
#define S_MAX_SERVERS 8          //  servers one process may run at once

struct _redis_server_t {
    char *dir;      //  temporary directory: appendonly files and redis.log
    char *log_path; //  dir/redis.log
    int port;       //  loopback port the server listens on
    bool everysec;  //  appendfsync everysec, not always
    pid_t pid;      //  server process, 0 when stopped
    pid_t owner;    //  process that started the server and must reap it
};

//  Servers alive in this process, for the atexit handler.
static redis_server_t *s_servers[S_MAX_SERVERS];
static bool s_atexit_registered;

static int
s_unlink_entry (const char *path, const struct stat *stat, int flag, struct FTW *ftw)
{
    (void) stat, (void) flag, (void) ftw;
    remove (path);
    return 0;
}

static void
s_pause_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) == -1 && errno == EINTR)
        ;
}

//  Sends SIGTERM (when grace_ms > 0) and waits for the process, then
//  SIGKILL; the process is reaped when this returns.
static void
s_terminate (redis_server_t *self, int grace_ms)
{
    if (self->pid <= 0)
        return;
    if (grace_ms > 0 && kill (self->pid, SIGTERM) == 0) {
        long long deadline = test_processes_now_ms () + grace_ms;
        while (test_processes_now_ms () < deadline) {
            pid_t rc = waitpid (self->pid, NULL, WNOHANG);
            if (rc == self->pid || (rc == -1 && errno == ECHILD)) {
                self->pid = 0;
                return;
            }
            s_pause_ms (10);
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
        redis_server_t *server = s_servers[i];
        if (server && server->owner == getpid ()) {
            s_terminate (server, 0);
            nftw (server->dir, s_unlink_entry, 16, FTW_DEPTH | FTW_PHYS);
            s_servers[i] = NULL;
        }
    }
}

//  True when the server on port answers PING with +PONG.
static bool
s_pong (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct timeval timeout = {1, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    char reply[64] = "";
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0 &&
        send (fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
        ssize_t rc = recv (fd, reply, sizeof reply - 1, 0);
        reply[rc > 0 ? rc : 0] = '\0';
    }
    close (fd);
    return strncmp (reply, "+PONG", 5) == 0;
}

static void
s_print_log (redis_server_t *self)
{
    FILE *file = fopen (self->log_path, "r");
    if (!file)
        return;
    fprintf (stderr, "redis_server: %s:\n", self->log_path);
    char line[1024];
    while (fgets (line, sizeof line, file))
        fputs (line, stderr);
    fclose (file);
}

static const char *
s_binary (void)
{
    const char *binary = getenv ("SQ_REDIS_SERVER");
    return binary && *binary ? binary : "redis-server";
}

//  Child side of the fork: never returns.
static void
s_exec_server (redis_server_t *self, pid_t parent)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (127);
    int null_fd = open ("/dev/null", O_RDWR);
    if (null_fd < 0)
        _exit (127);
    dup2 (null_fd, STDIN_FILENO);
    dup2 (null_fd, STDOUT_FILENO);
    closefrom (3);
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
    char port[16];
    snprintf (port, sizeof port, "%d", self->port);
    char *argv[] = {(char *) s_binary (),
                    "--port",
                    port,
                    "--bind",
                    "127.0.0.1",
                    "--protected-mode",
                    "no",
                    "--dir",
                    self->dir,
                    "--logfile",
                    self->log_path,
                    "--daemonize",
                    "no",
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    NULL};
    execvp (argv[0], argv);
    fprintf (stderr, "redis_server: cannot run %s: %s\n", argv[0], strerror (errno));
    _exit (127);
}

//  Starts the server and waits until it answers. 0, or -1 with the
//  server stopped; *exited says whether it quit by itself (port taken).
static int
s_launch (redis_server_t *self, bool *exited)
{
    *exited = false;
    fflush (NULL);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        fprintf (stderr, "redis_server: fork: %s\n", strerror (errno));
        return -1;
    }
    if (pid == 0)
        s_exec_server (self, parent);
    self->pid = pid;
    self->owner = parent;
    long long deadline = test_processes_now_ms () + S_READY_TIMEOUT_MS;
    while (test_processes_now_ms () < deadline) {
        if (waitpid (pid, NULL, WNOHANG) == pid) {
            self->pid = 0;
            *exited = true;
            fprintf (stderr, "redis_server: server on port %d exited before answering\n",
                     self->port);
            return -1;
        }
        if (s_pong (self->port))
            return 0;
        s_pause_ms (20);
    }
    fprintf (stderr, "redis_server: server on port %d did not answer within %d ms\n", self->port,
             S_READY_TIMEOUT_MS);
    s_terminate (self, S_STOP_TIMEOUT_MS);
    return -1;
}

const char *
redis_server_missing (void)
{
    const char *binary = s_binary ();
    if (strchr (binary, '/'))
        return access (binary, X_OK) == 0 ? NULL
                                          : "SQ_REDIS_SERVER names no program that can be run";
    const char *path = getenv ("PATH");
    char *dirs = path ? strdup (path) : NULL;
    bool found = false;
    for (char *save = NULL, *dir = dirs ? strtok_r (dirs, ":", &save) : NULL; dir && !found;
         dir = strtok_r (NULL, ":", &save)) {
        char candidate[4096];
        snprintf (candidate, sizeof candidate, "%s/%s", dir, binary);
        found = access (candidate, X_OK) == 0;
    }
    free (dirs);
    return found ? NULL
                 : "no redis-server on the PATH (install the Debian package redis-server, or set "
                   "SQ_REDIS_SERVER)";
}

static redis_server_t *
s_new (const char *parent_dir, bool everysec)
{
    if (!parent_dir)
        parent_dir = getenv ("TMPDIR");
    if (!parent_dir || !*parent_dir)
        parent_dir = "/tmp";
    if (!s_atexit_registered) {
        if (atexit (s_atexit) != 0)
            return NULL;
        s_atexit_registered = true;
    }
    int slot = 0;
    while (slot < S_MAX_SERVERS && s_servers[slot])
        slot++;
    if (slot == S_MAX_SERVERS) {
        fprintf (stderr, "redis_server: more than %d servers at once\n", S_MAX_SERVERS);
        return NULL;
    }
    redis_server_t *self = calloc (1, sizeof (redis_server_t));
    if (!self)
        return NULL;
    self->everysec = everysec;
    if (asprintf (&self->dir, "%s/squall-redis-XXXXXX", parent_dir) < 0) {
        free (self);
        return NULL;
    }
    if (!mkdtemp (self->dir) || asprintf (&self->log_path, "%s/redis.log", self->dir) < 0) {
        fprintf (stderr, "redis_server: cannot make %s: %s\n", self->dir, strerror (errno));
        free (self->dir);
        free (self);
        return NULL;
    }
    s_servers[slot] = self;
    for (int attempt = 0; attempt < S_START_ATTEMPTS; attempt++) {
        self->port = test_processes_free_port ();
        bool exited;
        if (self->port > 0 && s_launch (self, &exited) == 0)
            return self;
        if (self->port <= 0 || !exited)
            break;
    }
    s_print_log (self);
    redis_server_destroy (&self);
    return NULL;
}

redis_server_t *
redis_server_new (const char *parent_dir)
{
    return s_new (parent_dir, false);
}

redis_server_t *
redis_server_new_everysec (const char *parent_dir)
{
    return s_new (parent_dir, true);
}

void
redis_server_destroy (redis_server_t **self_p)
{
    if (self_p && *self_p) {
        redis_server_t *self = *self_p;
        if (self->owner == getpid ())
            s_terminate (self, S_STOP_TIMEOUT_MS);
        for (int i = 0; i < S_MAX_SERVERS; i++)
            if (s_servers[i] == self)
                s_servers[i] = NULL;
        nftw (self->dir, s_unlink_entry, 16, FTW_DEPTH | FTW_PHYS);
        free (self->dir);
        free (self->log_path);
        free (self);
        *self_p = NULL;
    }
}

int
redis_server_port (redis_server_t *self)
{
    return self->port;
}

int
redis_server_pid (redis_server_t *self)
{
    return self->pid;
}

const char *
redis_server_dir (redis_server_t *self)
{
    return self->dir;
}

int
redis_server_stop (redis_server_t *self)
{
    if (self->pid <= 0 || self->owner != getpid ())
        return -1;
    s_terminate (self, S_STOP_TIMEOUT_MS);
    return 0;
}

int
redis_server_start (redis_server_t *self)
{
    if (self->pid > 0)
        return -1;
    bool exited;
    if (s_launch (self, &exited) != 0) {
        s_print_log (self);
        return -1;
    }
    return 0;
}

bool
redis_server_running (redis_server_t *self)
{
    if (self->pid <= 0)
        return false;
    if (self->owner == getpid ()) {
        pid_t rc = waitpid (self->pid, NULL, WNOHANG);
        if (rc == self->pid || (rc == -1 && errno == ECHILD)) {
            self->pid = 0;
            return false;
        }
    }
    return true;
}
