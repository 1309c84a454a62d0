/*  zk_server - a real ZooKeeper server for integration tests

    DESIGN: the server is configured through a zoo.cfg written into its
    directory: loopback only, no admin HTTP server (it would take port
    8080), a short tick so tests may ask for short sessions, and no fsync.
    A free port is found by binding port 0 and closing; should another
    process take it before the server binds, the server exits and
    zk_server_new tries again with a new port. Readiness is the `srvr`
    four-letter command answering "Mode: standalone". Live servers sit in
    a small process-wide table that the atexit handler walks. A process
    killed outright (SIGKILL, or a signal it does not catch) cannot clean
    up: its server dies with it (PR_SET_PDEATHSIG) and the next
    zk_server_new removes its directory, named after its pid.
*/
#include "zk_server.h"

#include <arpa/inet.h>
#include <dirent.h>
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

#define S_DEFAULT_CLASSPATH "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
#define S_SERVER_JAR "/usr/share/java/zookeeper.jar"
#define S_READY_TIMEOUT_MS 30000  //  longest wait for a server to answer
#define S_STOP_TIMEOUT_MS 5000    //  SIGTERM grace before SIGKILL
#define S_START_ATTEMPTS 3        //  ports tried by zk_server_new
#define S_MAX_SERVERS 16          //  servers one process may run at once
#define S_DIR_PREFIX "squall-zk-" //  name of a server directory: prefix, pid, '-', mkdtemp

struct _zk_server_t {
    char *parent_dir;  //  where dir lives, swept for stale directories
    char *dir;         //  temporary directory holding everything below
    char *config_path; //  dir/zoo.cfg
    char *log_path;    //  dir/zookeeper.log, the server's stdout and stderr
    char endpoint[32]; //  "127.0.0.1:PORT"
    int port;          //  loopback port the server listens on
    pid_t pid;         //  server process, 0 when stopped
    pid_t owner;       //  process that started the server and must reap it
};

//  Servers alive in this process, for the atexit handler.
static zk_server_t *s_servers[S_MAX_SERVERS];
static bool s_atexit_registered;

static int
s_remove_entry (const char *path, const struct stat *stat, int flag, struct FTW *ftw)
{
    (void) stat;
    (void) flag;
    (void) ftw;
    remove (path);
    return 0;
}

//  Removes a directory tree; quiet when it is already gone.
static void
s_remove_tree (const char *dir)
{
    if (dir)
        nftw (dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static long long
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_sleep_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) == -1 && errno == EINTR)
        ;
}

//  waitpid without blocking (timeout_ms 0) or up to timeout_ms; returns
//  true once the process is reaped.
static bool
s_reap (pid_t pid, int timeout_ms)
{
    long long deadline = s_now_ms () + timeout_ms;
    while (true) {
        int status;
        pid_t rc = waitpid (pid, &status, WNOHANG);
        if (rc == pid || (rc == -1 && errno == ECHILD))
            return true;
        if (s_now_ms () >= deadline)
            return false;
        s_sleep_ms (20);
    }
}

//  Kills and reaps the server process, gently first when grace_ms > 0.
static void
s_kill (zk_server_t *self, int grace_ms)
{
    if (self->pid <= 0)
        return;
    if (grace_ms > 0) {
        kill (self->pid, SIGTERM);
        kill (self->pid, SIGCONT); //  a paused JVM must run to handle SIGTERM
        if (s_reap (self->pid, grace_ms)) {
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
        zk_server_t *server = s_servers[i];
        if (server && server->owner == getpid ()) {
            s_kill (server, 0);
            s_remove_tree (server->dir);
            s_servers[i] = NULL;
        }
    }
}

static int
s_register (zk_server_t *self)
{
    if (!s_atexit_registered) {
        if (atexit (s_atexit) != 0)
            return -1;
        s_atexit_registered = true;
    }
    for (int i = 0; i < S_MAX_SERVERS; i++) {
        if (!s_servers[i]) {
            s_servers[i] = self;
            return 0;
        }
    }
    fprintf (stderr, "zk_server: more than %d servers at once\n", S_MAX_SERVERS);
    return -1;
}

static void
s_unregister (zk_server_t *self)
{
    for (int i = 0; i < S_MAX_SERVERS; i++)
        if (s_servers[i] == self)
            s_servers[i] = NULL;
}

//  A loopback port nobody listens on now, or -1.
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    int port = -1;
    if (bind (fd, (struct sockaddr *) &address, sizeof address) == 0 &&
        getsockname (fd, (struct sockaddr *) &address, &len) == 0)
        port = ntohs (address.sin_port);
    close (fd);
    return port;
}

//  Asks the server for `srvr`; true when it says it serves.
static bool
s_answers (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct timeval timeout = {1, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    char reply[2048];
    size_t len = 0;
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0 &&
        send (fd, "srvr", 4, MSG_NOSIGNAL) == 4) {
        ssize_t rc;
        while (len < sizeof reply - 1 &&
               (rc = recv (fd, reply + len, sizeof reply - 1 - len, 0)) > 0)
            len += (size_t) rc;
    }
    close (fd);
    reply[len] = '\0';
    return strstr (reply, "Mode: standalone") != NULL;
}

//  Prints the end of the server's log to stderr.
static void
s_print_log (zk_server_t *self)
{
    FILE *file = fopen (self->log_path, "r");
    if (!file)
        return;
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, size > 4000 ? size - 4000 : 0, SEEK_SET);
    fprintf (stderr, "zk_server: end of %s:\n", self->log_path);
    char line[1024];
    while (fgets (line, sizeof line, file))
        fputs (line, stderr);
    fclose (file);
}

//  Writes zoo.cfg for the current port.
static int
s_write_config (zk_server_t *self)
{
    FILE *file = fopen (self->config_path, "w");
    if (!file)
        return -1;
    fprintf (file,
             "# written by the Squall test harness (tests/integration/zk_server.c)\n"
             "tickTime=250\n"
             "minSessionTimeout=500\n"
             "maxSessionTimeout=60000\n"
             "dataDir=%s/data\n"
             "clientPort=%d\n"
             "clientPortAddress=127.0.0.1\n"
             "maxClientCnxns=0\n"
             "admin.enableServer=false\n"
             "4lw.commands.whitelist=srvr,ruok,stat,cons\n"
             "forceSync=no\n"
             "preAllocSize=1024\n",
             self->dir, self->port);
    return fclose (file) == 0 ? 0 : -1;
}

//  Child side of the fork: never returns.
static void
s_exec_server (zk_server_t *self, pid_t parent)
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

    const char *java = getenv ("SQ_ZK_JAVA");
    const char *classpath = getenv ("SQ_ZK_CLASSPATH");
    char *argv[] = {(char *) (java && *java ? java : "java"),
                    "-Xmx256m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Djava.awt.headless=true",
                    "-Dzookeeper.admin.enableServer=false",
                    "-Dzookeeper.jmx.log4j.disable=true",
                    "-Dorg.slf4j.simpleLogger.showDateTime=true",
                    "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                    "-cp",
                    (char *) (classpath && *classpath ? classpath : S_DEFAULT_CLASSPATH),
                    "org.apache.zookeeper.server.ZooKeeperServerMain",
                    self->config_path,
                    NULL};
    execvp (argv[0], argv);
    fprintf (stderr, "zk_server: cannot run %s: %s\n", argv[0], strerror (errno));
    _exit (127);
}

//  Starts the server process and waits until it answers. Returns 0, or -1
//  with the server stopped; *exited tells whether it quit on its own (as
//  it does when its port is taken).
static int
s_launch (zk_server_t *self, bool *exited)
{
    *exited = false;
    fflush (NULL); //  the child must not flush our buffers again
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        fprintf (stderr, "zk_server: fork: %s\n", strerror (errno));
        return -1;
    }
    if (pid == 0)
        s_exec_server (self, parent);
    self->pid = pid;
    self->owner = parent;

    long long deadline = s_now_ms () + S_READY_TIMEOUT_MS;
    while (s_now_ms () < deadline) {
        int status;
        if (waitpid (pid, &status, WNOHANG) == pid) {
            self->pid = 0;
            *exited = true;
            fprintf (stderr, "zk_server: server on port %d exited (status %d) before answering\n",
                     self->port, WIFEXITED (status) ? WEXITSTATUS (status) : -WTERMSIG (status));
            return -1;
        }
        if (s_answers (self->port))
            return 0;
        s_sleep_ms (50);
    }
    fprintf (stderr, "zk_server: server on port %d did not answer within %d ms\n", self->port,
             S_READY_TIMEOUT_MS);
    s_kill (self, S_STOP_TIMEOUT_MS);
    return -1;
}

//  Removes the directories that killed test processes left in parent_dir:
//  S_DIR_PREFIX<pid>-XXXXXX where no process <pid> exists any more.
static void
s_remove_stale (const char *parent_dir)
{
    DIR *dir = opendir (parent_dir);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        const char *name = entry->d_name;
        if (strncmp (name, S_DIR_PREFIX, strlen (S_DIR_PREFIX)) != 0)
            continue;
        char *end = NULL;
        long pid = strtol (name + strlen (S_DIR_PREFIX), &end, 10);
        if (pid <= 0 || !end || *end != '-' || strlen (end) != 7)
            continue;
        if (kill ((pid_t) pid, 0) == -1 && errno == ESRCH) {
            char path[4096];
            snprintf (path, sizeof path, "%s/%s", parent_dir, name);
            s_remove_tree (path);
        }
    }
    closedir (dir);
}

//  True when java names a program that can be run: a path that is
//  executable, or a name found on the PATH.
static bool
s_java_found (const char *java)
{
    if (strchr (java, '/'))
        return access (java, X_OK) == 0;
    const char *path = getenv ("PATH");
    if (!path)
        return false;
    char *dirs = strdup (path);
    if (!dirs)
        return false;
    bool found = false;
    for (char *save = NULL, *dir = strtok_r (dirs, ":", &save); dir && !found;
         dir = strtok_r (NULL, ":", &save)) {
        char candidate[4096];
        snprintf (candidate, sizeof candidate, "%s/%s", dir, java);
        found = access (candidate, X_OK) == 0;
    }
    free (dirs);
    return found;
}

const char *
zk_server_missing (void)
{
    const char *classpath = getenv ("SQ_ZK_CLASSPATH");
    if (!(classpath && *classpath) && access (S_SERVER_JAR, R_OK) != 0)
        return "no ZooKeeper server jar (" S_SERVER_JAR "; install the Debian package "
               "zookeeper, or set SQ_ZK_CLASSPATH)";
    const char *java = getenv ("SQ_ZK_JAVA");
    if (java && *java)
        return s_java_found (java) ? NULL : "SQ_ZK_JAVA names no program that can be run";
    return s_java_found ("java") ? NULL
                                 : "no java on the PATH (install the Debian package zookeeper, "
                                   "which brings one, or set SQ_ZK_JAVA)";
}

//  True when a suite that cannot run must fail rather than skip.
static bool
s_every_suite_required (void)
{
    const char *require = getenv ("SQUALL_REQUIRE_ALL");
    if (require && *require)
        return strcmp (require, "0") != 0;
    const char *ci = getenv ("CI");
    return ci && (strcmp (ci, "true") == 0 || strcmp (ci, "1") == 0);
}

int
zk_server_skip (const char *suite, const char *reason)
{
    if (s_every_suite_required ()) {
        fprintf (stderr,
                 "%s: cannot run: %s; FAILED, as every suite must run here "
                 "(SQUALL_REQUIRE_ALL=1, or CI=true)\n",
                 suite, reason);
        return 99;
    }
    fprintf (stderr, "%s: cannot run: %s; skipped\n", suite, reason);
    return 77;
}

zk_server_t *
zk_server_new (const char *parent_dir)
{
    if (!parent_dir)
        parent_dir = getenv ("TMPDIR");
    if (!parent_dir || !*parent_dir)
        parent_dir = "/tmp";
    zk_server_t *self = calloc (1, sizeof (zk_server_t));
    if (!self)
        return NULL;
    s_remove_stale (parent_dir);
    self->parent_dir = strdup (parent_dir);
    if (!self->parent_dir ||
        asprintf (&self->dir, "%s/" S_DIR_PREFIX "%d-XXXXXX", parent_dir, (int) getpid ()) < 0) {
        free (self->parent_dir);
        free (self);
        return NULL;
    }
    if (!mkdtemp (self->dir)) {
        fprintf (stderr, "zk_server: mkdtemp %s: %s\n", self->dir, strerror (errno));
        free (self->dir);
        free (self->parent_dir);
        free (self);
        return NULL;
    }
    char *data_dir = NULL;
    if (asprintf (&self->config_path, "%s/zoo.cfg", self->dir) < 0 ||
        asprintf (&self->log_path, "%s/zookeeper.log", self->dir) < 0 ||
        asprintf (&data_dir, "%s/data", self->dir) < 0 || mkdir (data_dir, 0755) != 0 ||
        s_register (self) != 0) {
        fprintf (stderr, "zk_server: cannot prepare %s\n", self->dir);
        free (data_dir);
        zk_server_destroy (&self);
        return NULL;
    }
    free (data_dir);

    for (int attempt = 0; attempt < S_START_ATTEMPTS; attempt++) {
        self->port = s_free_port ();
        if (self->port < 0 || s_write_config (self) != 0) {
            fprintf (stderr, "zk_server: cannot pick a port or write %s\n", self->config_path);
            break;
        }
        snprintf (self->endpoint, sizeof self->endpoint, "127.0.0.1:%d", self->port);
        bool exited;
        if (s_launch (self, &exited) == 0)
            return self;
        if (!exited)
            break; //  hung, not a port clash: trying again would not help
    }
    s_print_log (self);
    zk_server_destroy (&self);
    return NULL;
}

void
zk_server_destroy (zk_server_t **self_p)
{
    if (self_p && *self_p) {
        zk_server_t *self = *self_p;
        if (self->owner == getpid ())
            s_kill (self, S_STOP_TIMEOUT_MS);
        s_unregister (self);
        s_remove_tree (self->dir);
        //  Also what Check children killed on timeout left behind.
        s_remove_stale (self->parent_dir);
        free (self->parent_dir);
        free (self->dir);
        free (self->config_path);
        free (self->log_path);
        free (self);
        *self_p = NULL;
    }
}

const char *
zk_server_endpoint (zk_server_t *self)
{
    return self->endpoint;
}

int
zk_server_port (zk_server_t *self)
{
    return self->port;
}

const char *
zk_server_dir (zk_server_t *self)
{
    return self->dir;
}

int
zk_server_stop (zk_server_t *self)
{
    if (self->pid <= 0 || self->owner != getpid ())
        return -1;
    s_kill (self, S_STOP_TIMEOUT_MS);
    return 0;
}

int
zk_server_start (zk_server_t *self)
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

int
zk_server_pause (zk_server_t *self)
{
    return self->pid > 0 && kill (self->pid, SIGSTOP) == 0 ? 0 : -1;
}

int
zk_server_resume (zk_server_t *self)
{
    return self->pid > 0 && kill (self->pid, SIGCONT) == 0 ? 0 : -1;
}

bool
zk_server_running (zk_server_t *self)
{
    if (self->pid <= 0)
        return false;
    if (self->owner == getpid () && s_reap (self->pid, 0)) {
        self->pid = 0;
        return false;
    }
    return true;
}
