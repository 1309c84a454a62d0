/*  redis_server - a real redis-server for integration tests

    DESIGN: everything is given on the command line (no config file):
    loopback only, no RDB snapshots, an append-only file with fsync on
    every write (what a test pushes or acks survives a stop and start; the
    everysec variant fsyncs once a second), no protected mode (tests
    connect without a password unless they set one). A free port comes
    from test_processes_free_port; should another process take it before
    the server binds, the server exits and redis_server_new tries again
    with a new port. Readiness is PING answered with +PONG (a server still
    loading its data answers -LOADING). The process itself is a
    server_process.
*/
#include "redis_server.h"

#include "server_process.h"
#include "test_processes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define S_READY_TIMEOUT_MS 20000 //  longest wait for a server to answer
#define S_STOP_TIMEOUT_MS 5000   //  SIGTERM grace before SIGKILL
#define S_START_ATTEMPTS 3       //  ports tried by redis_server_new
#define S_LOG_TAIL_BYTES 8000    //  how much of the log a failed start prints

struct _redis_server_t {
    char *dir;                 //  temporary directory: appendonly files and redis.log
    char *log_path;            //  dir/redis.log
    int port;                  //  loopback port the server listens on
    bool everysec;             //  appendfsync everysec, not always
    server_process_t *process; //  the redis-server process, started and stopped
};

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

static const char *
s_binary (void)
{
    const char *binary = getenv ("SQ_REDIS_SERVER");
    return binary && *binary ? binary : "redis-server";
}

//  Starts the server and waits until it answers: server_process_launch.
static int
s_launch (redis_server_t *self, bool *exited)
{
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
                    self->everysec ? "everysec" : "always",
                    NULL};
    return server_process_launch (self->process, argv, self->port, s_pong, S_READY_TIMEOUT_MS,
                                  exited);
}

const char *
redis_server_missing (void)
{
    const char *binary = s_binary ();
    if (server_process_found (binary))
        return NULL;
    return strchr (binary, '/') ? "SQ_REDIS_SERVER names no program that can be run"
                                : "no redis-server on the PATH (install the Debian package "
                                  "redis-server, or set SQ_REDIS_SERVER)";
}

static redis_server_t *
s_new (const char *parent_dir, bool everysec)
{
    if (!parent_dir)
        parent_dir = getenv ("TMPDIR");
    if (!parent_dir || !*parent_dir)
        parent_dir = "/tmp";
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
    self->process = server_process_new ("redis_server", self->log_path, self->dir);
    for (int attempt = 0; self->process && attempt < S_START_ATTEMPTS; attempt++) {
        self->port = test_processes_free_port ();
        bool exited;
        if (self->port > 0 && s_launch (self, &exited) == 0)
            return self;
        if (self->port <= 0 || !exited)
            break;
    }
    if (self->process)
        server_process_print_log (self->process, S_LOG_TAIL_BYTES);
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
        server_process_destroy (&self->process, S_STOP_TIMEOUT_MS);
        server_process_remove_tree (self->dir);
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
    return server_process_pid (self->process);
}

const char *
redis_server_dir (redis_server_t *self)
{
    return self->dir;
}

int
redis_server_stop (redis_server_t *self)
{
    return server_process_stop (self->process, S_STOP_TIMEOUT_MS);
}

int
redis_server_start (redis_server_t *self)
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

bool
redis_server_running (redis_server_t *self)
{
    return server_process_running (self->process);
}
