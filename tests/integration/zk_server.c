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

#include "server_process.h"
#include "test_processes.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define S_DEFAULT_CLASSPATH "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
#define S_SERVER_JAR "/usr/share/java/zookeeper.jar"
#define S_READY_TIMEOUT_MS 30000  //  longest wait for a server to answer
#define S_STOP_TIMEOUT_MS 5000    //  SIGTERM grace before SIGKILL
#define S_START_ATTEMPTS 3        //  ports tried by zk_server_new
#define S_LOG_TAIL_BYTES 4000     //  how much of the log a failed start prints
#define S_DIR_PREFIX "squall-zk-" //  name of a server directory: prefix, pid, '-', mkdtemp

struct _zk_server_t {
    char *parent_dir;          //  where dir lives, swept for stale directories
    char *dir;                 //  temporary directory holding everything below
    char *config_path;         //  dir/zoo.cfg
    char endpoint[32];         //  "127.0.0.1:PORT"
    int port;                  //  loopback port the server listens on
    server_process_t *process; //  the java process, started and stopped
};

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

//  Starts the server and waits until it answers: server_process_launch.
static int
s_launch (zk_server_t *self, bool *exited)
{
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
    return server_process_launch (self->process, argv, self->port, s_answers, S_READY_TIMEOUT_MS,
                                  exited);
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
            server_process_remove_tree (path);
        }
    }
    closedir (dir);
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
        return server_process_found (java) ? NULL : "SQ_ZK_JAVA names no program that can be run";
    return server_process_found ("java")
               ? NULL
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
    char *data_dir = NULL, *log_path = NULL;
    if (asprintf (&self->config_path, "%s/zoo.cfg", self->dir) < 0 ||
        asprintf (&log_path, "%s/zookeeper.log", self->dir) < 0 ||
        asprintf (&data_dir, "%s/data", self->dir) < 0 || mkdir (data_dir, 0755) != 0 ||
        !(self->process = server_process_new ("zk_server", log_path, self->dir))) {
        fprintf (stderr, "zk_server: cannot prepare %s\n", self->dir);
        free (data_dir);
        free (log_path);
        zk_server_destroy (&self);
        return NULL;
    }
    free (data_dir);
    free (log_path);

    for (int attempt = 0; attempt < S_START_ATTEMPTS; attempt++) {
        self->port = test_processes_free_port ();
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
    server_process_print_log (self->process, S_LOG_TAIL_BYTES);
    zk_server_destroy (&self);
    return NULL;
}

void
zk_server_destroy (zk_server_t **self_p)
{
    if (self_p && *self_p) {
        zk_server_t *self = *self_p;
        server_process_destroy (&self->process, S_STOP_TIMEOUT_MS);
        server_process_remove_tree (self->dir);
        //  Also what Check children killed on timeout left behind.
        s_remove_stale (self->parent_dir);
        free (self->parent_dir);
        free (self->dir);
        free (self->config_path);
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
    return server_process_stop (self->process, S_STOP_TIMEOUT_MS);
}

int
zk_server_start (zk_server_t *self)
{
    if (server_process_running (self->process))
        return -1;
    bool exited;
    if (s_launch (self, &exited) != 0) {
        server_process_print_log (self->process, S_LOG_TAIL_BYTES);
        return -1;
    }
    return 0;
}

//  Sends signal to the server; 0, or -1 when it is not running.
static int
s_signal (zk_server_t *self, int signal)
{
    pid_t pid = server_process_pid (self->process);
    return pid > 0 && kill (pid, signal) == 0 ? 0 : -1;
}

int
zk_server_pause (zk_server_t *self)
{
    return s_signal (self, SIGSTOP);
}

int
zk_server_resume (zk_server_t *self)
{
    return s_signal (self, SIGCONT);
}

bool
zk_server_running (zk_server_t *self)
{
    return server_process_running (self->process);
}
