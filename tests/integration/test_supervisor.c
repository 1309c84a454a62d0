/*  test_supervisor - the supervisor daemon against a real ZooKeeper

    main() starts one ZooKeeper server (zk_server) and makes one temporary
    directory for the suite; each test gets its own ZooKeeper root, its own
    directory and free ports, and runs the real `supervisor` binary as a
    child process with a config file written there. Nimbus is played by
    the test itself: it writes /topologies and /assignments records into
    ZooKeeper and answers the supervisor's `download` requests from a
    ROUTER socket (an actor in this process). The worker is
    tests/integration/fake_worker (supervisor.worker.command), which
    records its argv and pid and touches its heartbeat file unless told
    to hang.

    Cleanup: each test stops what it started; whatever a failing test
    leaves behind (supervisors, workers) is killed by main() at the end,
    which finds them by the suite directory on their command lines, and
    the directory is removed. Without java or the ZooKeeper
    server jar the suite skips (exit 77), or fails when every suite must
    run (zk_server_skip).
*/
#include "sq_assignment.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"
#include "sq_config.h"
#include "sq_sha256.h"
#include "sq_zk.h"
#include "squall.h"
#include "test_processes.h"
#include "zk_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SESSION_MS 2000       //  the supervisor's ZooKeeper session timeout
#define WORKER_TIMEOUT_S 2    //  supervisor.worker.timeout.secs
#define SHUTDOWN_SLEEP_S 1    //  supervisor.worker.shutdown.sleep.secs
#define WAIT_MS 10000         //  longest wait for something expected
#define RESTART_LIMIT_MS 1500 //  a worker killed with SIGKILL must be back by then

static const char *s_endpoint;  //  the suite's ZooKeeper server
static char s_base[256];        //  the suite's directory
static char *s_supervisor_bin;  //  the supervisor under test
static char *s_fake_worker_bin; //  the worker stand-in

//  Contents of a file as a new string, or NULL.
static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *data = NULL;
    size_t size = 0;
    FILE *memory = open_memstream (&data, &size);
    char buffer[4096];
    size_t got;
    while ((got = fread (buffer, 1, sizeof buffer, file)) > 0)
        fwrite (buffer, 1, got, memory);
    fclose (file);
    fclose (memory);
    return data;
}

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    ck_assert_msg (file != NULL, "cannot write %s: %s", path, strerror (errno));
    fputs (text, file);
    fclose (file);
}

//  ---------------------------------------------------------------------
//  The fake nimbus: a ROUTER answering `download` with the package bytes

typedef struct {
    pthread_mutex_t lock; //  guards the fields below
    char *package;        //  bytes served as every package
    int downloads;        //  download requests answered
} nimbus_state_t;

static void
s_nimbus_actor (zsock_t *pipe, void *args)
{
    nimbus_state_t *state = (nimbus_state_t *) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = router ? zsock_bind (router, "tcp://127.0.0.1:*") : -1;
    zsock_signal (pipe, 0);
    zstr_sendf (pipe, "%d", port);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break; //  $TERM or interrupted
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = msg ? zmsg_pop (msg) : NULL;
        char *text = msg ? zmsg_popstr (msg) : NULL;
        json_t *request = text ? json_loads (text, 0, NULL) : NULL;
        const char *verb = json_string_value (json_object_get (request, "verb"));
        json_t *number = json_object_get (request, "request");
        if (identity && verb && strcmp (verb, "download") == 0) {
            pthread_mutex_lock (&state->lock);
            char hex[SQ_SHA256_HEX_SIZE];
            sq_sha256_hex (state->package, strlen (state->package), hex);
            zmsg_t *reply = zmsg_new ();
            zmsg_append (reply, &identity);
            char *answer = zsys_sprintf ("{\"version\": 1, \"ok\": true, \"checksum\": \"%s\", "
                                         "\"request\": %lld}",
                                         hex, (long long) json_integer_value (number));
            zmsg_addstr (reply, answer);
            zmsg_addmem (reply, state->package, strlen (state->package));
            state->downloads++;
            pthread_mutex_unlock (&state->lock);
            zmsg_send (&reply, router);
            free (answer);
        }
        zframe_destroy (&identity);
        json_decref (request);
        free (text);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  ---------------------------------------------------------------------
//  One test's world

typedef struct {
    char dir[512];          //  the test's directory
    char local[600];        //  storm.local.dir
    char config[600];       //  the supervisor's config file
    char log[600];          //  the supervisor's stdout and stderr
    char root[64];          //  ZooKeeper root
    char id[64];            //  supervisor id
    char node[128];         //  "/supervisors/<id>"
    int ports[2];           //  slot ports
    pid_t pid;              //  the supervisor, 0 when not running
    sq_zk_t *zk;            //  the test's session (nimbus's view)
    nimbus_state_t nimbus;  //  what the fake nimbus serves
    zactor_t *nimbus_actor; //  the fake nimbus
    int nimbus_port;        //  the port it answers on
} env_t;

static void
s_dump_log (env_t *env)
{
    char *log = s_read_file (env->log);
    fprintf (stderr, "---- supervisor log %s\n%s---- end\n", env->log, log ? log : "(none)\n");
    free (log);
}

//  Waits until cond holds, for up to timeout_ms; else prints the
//  supervisor's log and fails with the message. The verdict is the last
//  evaluation's: a second one could see the world changed since.
#define WAIT_UNTIL(env, cond, timeout_ms, ...)                                                     \
    do {                                                                                           \
        long long deadline_ = test_processes_now_ms () + (timeout_ms);                             \
        bool met_;                                                                                 \
        while (!(met_ = (cond)) && test_processes_now_ms () < deadline_)                           \
            usleep (20 * 1000);                                                                    \
        if (!met_) {                                                                               \
            s_dump_log (env);                                                                      \
            ck_abort_msg (__VA_ARGS__);                                                            \
        }                                                                                          \
    } while (0)

static void s_write_config (env_t *env);

static void
s_env_init (env_t *env, const char *name)
{
    memset (env, 0, sizeof *env);
    snprintf (env->dir, sizeof env->dir, "%s/%s", s_base, name);
    ck_assert_int_eq (mkdir (env->dir, 0755), 0);
    snprintf (env->local, sizeof env->local, "%s/local", env->dir);
    snprintf (env->config, sizeof env->config, "%s/supervisor.json", env->dir);
    snprintf (env->log, sizeof env->log, "%s/supervisor.log", env->dir);
    snprintf (env->root, sizeof env->root, "/%s", name);
    snprintf (env->id, sizeof env->id, "sup-%s", name);
    snprintf (env->node, sizeof env->node, "/supervisors/%s", env->id);
    env->ports[0] = test_processes_free_port ();
    env->ports[1] = test_processes_free_port ();
    ck_assert (env->ports[0] > 0 && env->ports[1] > 0 && env->ports[0] != env->ports[1]);
    pthread_mutex_init (&env->nimbus.lock, NULL);
    env->nimbus.package = strdup ("package bytes of wc-1-1000\n");
    env->nimbus_actor = zactor_new (s_nimbus_actor, &env->nimbus);
    ck_assert_ptr_nonnull (env->nimbus_actor);
    char *port = zstr_recv (env->nimbus_actor);
    int nimbus_port = port ? atoi (port) : -1;
    free (port);
    ck_assert_int_gt (nimbus_port, 0);
    env->nimbus_port = nimbus_port;
    s_write_config (env);
    env->zk = sq_zk_new (s_endpoint, env->root, 10000, 5000);
    ck_assert_msg (env->zk != NULL, "cannot connect: %s", sq_last_error ());
}

//  Writes the supervisor's config file from env.
static void
s_write_config (env_t *env)
{
    char json[4096];
    snprintf (json, sizeof json,
              "{\n"
              "  \"storm.zookeeper.servers\": [\"%s\"],\n"
              "  \"storm.zookeeper.root\": \"%s\",\n"
              "  \"storm.zookeeper.session.timeout\": %d,\n"
              "  \"storm.local.dir\": \"%s\",\n"
              "  \"storm.local.hostname\": \"127.0.0.1\",\n"
              "  \"nimbus.host\": \"127.0.0.1\",\n"
              "  \"nimbus.port\": %d,\n"
              "  \"supervisor.slots.ports\": [%d, %d],\n"
              "  \"supervisor.worker.timeout.secs\": %d,\n"
              "  \"supervisor.monitor.frequency.secs\": 1,\n"
              "  \"supervisor.worker.shutdown.sleep.secs\": %d,\n"
              "  \"supervisor.worker.command\": \"%s\"\n"
              "}\n",
              s_endpoint, env->root, SESSION_MS, env->local, env->nimbus_port, env->ports[0],
              env->ports[1], WORKER_TIMEOUT_S, SHUTDOWN_SLEEP_S, s_fake_worker_bin);
    s_write_file (env->config, json);
}

//  Starts the supervisor; it dies with this process's main thread.
static void
s_start (env_t *env)
{
    ck_assert_int_eq (env->pid, 0);
    char *argv[] = {s_supervisor_bin, "--config", env->config, "--id", env->id, NULL};
    int log_fd = open (env->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ck_assert_int_ge (log_fd, 0);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (1);
        dup2 (log_fd, 1);
        dup2 (log_fd, 2);
        execv (argv[0], argv);
        _exit (127);
    }
    close (log_fd);
    env->pid = pid;
}

//  Waits for the supervisor to exit, up to timeout_ms; returns its wait
//  status, or -1 when it did not exit (it is then killed).
static int
s_wait_exit (env_t *env, int timeout_ms)
{
    long long deadline = test_processes_now_ms () + timeout_ms;
    int status = -1;
    while (true) {
        pid_t done = waitpid (env->pid, &status, WNOHANG);
        if (done == env->pid)
            break;
        if (test_processes_now_ms () >= deadline) {
            kill (env->pid, SIGKILL);
            waitpid (env->pid, NULL, 0);
            status = -1;
            break;
        }
        usleep (20 * 1000);
    }
    env->pid = 0;
    return status;
}

//  Sends signal to the supervisor and waits for it to exit.
static int
s_stop (env_t *env, int signal)
{
    if (env->pid <= 0)
        return -1;
    kill (env->pid, signal);
    return s_wait_exit (env, WAIT_MS);
}

static bool
s_registered (env_t *env)
{
    return sq_zk_exists (env->zk, env->node, false);
}

//  Path of a file in the directory of the worker on port.
static char *
s_worker_file (env_t *env, int port, const char *name)
{
    return zsys_sprintf ("%s/supervisor/workers/%d/%s", env->local, port, name);
}

//  The pid in the slot's pid file, 0 when none.
static int
s_worker_pid (env_t *env, int port)
{
    char *path = s_worker_file (env, port, "pid");
    char *text = s_read_file (path);
    int pid = text ? atoi (text) : 0;
    free (text);
    free (path);
    return pid;
}

//  The pid of the slot's running worker (pid file and process), or 0.
static int
s_running_worker (env_t *env, int port)
{
    int pid = s_worker_pid (env, port);
    return test_processes_alive (pid) ? pid : 0;
}

//  The pid of the slot's running worker when it is not `old`, or 0. One
//  read of the pid file: reading it twice races with old's death (the
//  first read sees old alive, the second sees no worker at all).
static int
s_replacement_worker (env_t *env, int port, int old)
{
    int pid = s_running_worker (env, port);
    return pid != old ? pid : 0;
}

//  Lines in the slot's `starts` file: how many workers started there.
static int
s_worker_starts (env_t *env, int port)
{
    char *path = s_worker_file (env, port, "starts");
    char *text = s_read_file (path);
    int count = 0;
    for (const char *c = text; c && *c; c++)
        count += *c == '\n';
    free (text);
    free (path);
    return count;
}

static bool
s_log_has (env_t *env, const char *text)
{
    char *log = s_read_file (env->log);
    bool found = log && strstr (log, text);
    free (log);
    return found;
}

static void
s_touch_worker_file (env_t *env, int port, const char *name)
{
    char *dir = zsys_sprintf ("%s/supervisor/workers/%d", env->local, port);
    char *command = zsys_sprintf ("mkdir -p '%s' && touch '%s/%s'", dir, dir, name);
    ck_assert_int_eq (system (command), 0);
    free (command);
    free (dir);
}

static void
s_remove_worker_file (env_t *env, int port, const char *name)
{
    char *path = s_worker_file (env, port, name);
    unlink (path);
    free (path);
}

//  Writes /topologies/<name> (status, checksum of the package the fake
//  nimbus serves now) and /assignments/<name> with one worker per port of
//  ports[0..count), the worker on ports[i] running task generation + i: a
//  new generation gives every slot other executors.
static void
s_assign (env_t *env, const char *name, const char *topology_id, int64_t generation,
          sq_topology_status_t status, const int *ports, int count)
{
    char hex[SQ_SHA256_HEX_SIZE];
    pthread_mutex_lock (&env->nimbus.lock);
    sq_sha256_hex (env->nimbus.package, strlen (env->nimbus.package), hex);
    pthread_mutex_unlock (&env->nimbus.lock);
    sq_topology_record_t *record = sq_topology_record_new (name, topology_id, hex, NULL);
    ck_assert_ptr_nonnull (record);
    record->status = status;
    char *text = sq_topology_record_encode (record);
    char *path = zsys_sprintf ("/topologies/%s", name);
    ck_assert_int_eq (sq_zk_set (env->zk, path, text, strlen (text)), 0);
    free (path);
    free (text);
    sq_topology_record_destroy (&record);

    sq_assignment_t *assignment = sq_assignment_new (name, topology_id);
    ck_assert_ptr_nonnull (assignment);
    assignment->generation = generation;
    for (int i = 0; i < count; i++) {
        int worker = sq_assignment_add_worker (assignment, env->id, "127.0.0.1", ports[i]);
        ck_assert_int_ge (worker, 0);
        int task = (int) generation + i;
        ck_assert_int_eq (sq_assignment_add_executor (assignment, (size_t) worker, task, task), 0);
    }
    text = sq_assignment_encode (assignment);
    path = zsys_sprintf ("/assignments/%s", name);
    ck_assert_int_eq (sq_zk_set (env->zk, path, text, strlen (text)), 0);
    free (path);
    free (text);
    sq_assignment_destroy (&assignment);
}

static int
s_downloads (env_t *env)
{
    pthread_mutex_lock (&env->nimbus.lock);
    int downloads = env->nimbus.downloads;
    pthread_mutex_unlock (&env->nimbus.lock);
    return downloads;
}

static void
s_set_package (env_t *env, const char *bytes)
{
    pthread_mutex_lock (&env->nimbus.lock);
    free (env->nimbus.package);
    env->nimbus.package = strdup (bytes);
    pthread_mutex_unlock (&env->nimbus.lock);
}

static void
s_env_destroy (env_t *env)
{
    if (env->pid > 0)
        s_stop (env, SIGKILL);
    if (env->zk) {
        sq_zk_delete (env->zk, "/", true);
        sq_zk_destroy (&env->zk);
    }
    zactor_destroy (&env->nimbus_actor);
    free (env->nimbus.package);
    pthread_mutex_destroy (&env->nimbus.lock);
}

//  ---------------------------------------------------------------------
//  Tests

START_TEST (test_registration_and_sigterm)
{
    env_t env;
    s_env_init (&env, "registration");
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register");

    char *data = NULL;
    size_t size = 0;
    ck_assert_int_eq (sq_zk_get (env.zk, env.node, &data, &size, false), 0);
    sq_supervisor_info_t *info = sq_supervisor_info_decode (data, size);
    ck_assert_msg (info != NULL, "bad record: %s", sq_last_error ());
    ck_assert_str_eq (info->id, env.id);
    ck_assert_str_eq (info->host, "127.0.0.1");
    ck_assert_int_eq (info->port_count, 2);
    ck_assert_int_eq (info->ports[0], env.ports[0]);
    ck_assert_int_eq (info->ports[1], env.ports[1]);
    ck_assert (info->started > 0);
    sq_supervisor_info_destroy (&info);
    free (data);

    //  The workers' config: the effective one, with an absolute local dir.
    char *path = zsys_sprintf ("%s/supervisor/config.json", env.local);
    sq_config_t *config = sq_config_load_file (path);
    ck_assert_msg (config != NULL, "%s", sq_last_error ());
    ck_assert_str_eq (sq_config_string (config, "storm.local.dir", ""), env.local);
    ck_assert_int_eq (sq_config_int (config, "supervisor.worker.timeout.secs", 0),
                      WORKER_TIMEOUT_S);
    sq_config_destroy (&config);
    free (path);

    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    ck_assert (!s_registered (&env)); //  deleted on the way out, not at session end
    s_env_destroy (&env);
}
END_TEST

START_TEST (test_worker_lifecycle)
{
    env_t env;
    s_env_init (&env, "lifecycle");
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register");
    int p0 = env.ports[0], p1 = env.ports[1];

    //  An assignment for slot p0 starts a worker with the right argv and
    //  the package downloaded from nimbus.
    s_assign (&env, "wc", "wc-1-1000", 1, SQ_TOPOLOGY_ACTIVE, &p0, 1);
    char *argv_path = s_worker_file (&env, p0, "argv");
    WAIT_UNTIL (&env, access (argv_path, F_OK) == 0, WAIT_MS, "no worker started");
    char *argv_text = s_read_file (argv_path);
    char *expected = zsys_sprintf ("--config\n%s/supervisor/config.json\n--topology\nwc\n"
                                   "--id\nwc-1-1000\n--supervisor\n%s\n--port\n%d\n"
                                   "--package\n%s/supervisor/packages/wc-1-1000.so\n",
                                   env.local, env.id, p0, env.local);
    ck_assert_str_eq (argv_text, expected);
    free (expected);
    free (argv_text);
    char *package_path = zsys_sprintf ("%s/supervisor/packages/wc-1-1000.so", env.local);
    char *package = s_read_file (package_path);
    ck_assert_ptr_nonnull (package);
    ck_assert_str_eq (package, env.nimbus.package);
    free (package);
    ck_assert_int_eq (s_downloads (&env), 1);
    WAIT_UNTIL (&env, s_running_worker (&env, p0) > 0, WAIT_MS, "no pid file");
    int pid1 = s_running_worker (&env, p0);

    //  kill -9: back within RESTART_LIMIT_MS, without a new download.
    long long killed = test_processes_now_ms ();
    ck_assert_int_eq (kill (pid1, SIGKILL), 0);
    WAIT_UNTIL (&env, s_replacement_worker (&env, p0, pid1) > 0, WAIT_MS,
                "worker not restarted after kill -9");
    long long took = test_processes_now_ms () - killed;
    ck_assert_msg (took <= RESTART_LIMIT_MS, "restart took %lld ms", took);
    ck_assert_int_eq (s_downloads (&env), 1);
    ck_assert (s_log_has (&env, "worker exited status=signal-9"));
    int pid2 = s_running_worker (&env, p0);

    //  A worker that stops heartbeating is killed after the timeout and
    //  restarted; not before.
    s_touch_worker_file (&env, p0, "hang");
    long long hung = test_processes_now_ms ();
    WAIT_UNTIL (&env, s_running_worker (&env, p0) != pid2, WAIT_MS, "hung worker not killed");
    s_remove_worker_file (&env, p0, "hang");
    ck_assert_msg (test_processes_now_ms () - hung >= WORKER_TIMEOUT_S * 1000 - 300,
                   "killed after %lld ms", test_processes_now_ms () - hung);
    ck_assert (!test_processes_alive (pid2));
    ck_assert (s_log_has (&env, "heartbeat timed out"));
    WAIT_UNTIL (&env, s_running_worker (&env, p0) > 0, WAIT_MS, "hung worker not restarted");
    int pid3 = s_running_worker (&env, p0);
    //  Healthy again: left alone for longer than the timeout.
    usleep ((WORKER_TIMEOUT_S + 2) * 1000 * 1000);
    ck_assert_int_eq (s_running_worker (&env, p0), pid3);

    //  A new generation of the assignment replaces the worker.
    int starts = s_worker_starts (&env, p0);
    s_assign (&env, "wc", "wc-1-1000", 2, SQ_TOPOLOGY_ACTIVE, &p0, 1);
    WAIT_UNTIL (&env, s_replacement_worker (&env, p0, pid3) > 0, WAIT_MS,
                "worker not replaced after a new generation");
    ck_assert (!test_processes_alive (pid3));
    //  The new worker notes its start a moment after its pid file appears.
    WAIT_UNTIL (&env, s_worker_starts (&env, p0) >= starts + 1, WAIT_MS,
                "the new worker did not start");
    ck_assert_int_eq (s_worker_starts (&env, p0), starts + 1);
    int pid4 = s_running_worker (&env, p0);

    //  A new generation that moves only another supervisor's executors
    //  leaves the worker running: it follows such moves in place.
    sq_assignment_t *moved = sq_assignment_new ("wc", "wc-1-1000");
    ck_assert_ptr_nonnull (moved);
    moved->generation = 7;
    ck_assert_int_eq (sq_assignment_add_worker (moved, env.id, "127.0.0.1", p0), 0);
    ck_assert_int_eq (sq_assignment_add_executor (moved, 0, 2, 2), 0);
    ck_assert_int_eq (sq_assignment_add_worker (moved, "elsewhere", "127.0.0.2", 7000), 1);
    ck_assert_int_eq (sq_assignment_add_executor (moved, 1, 3, 3), 0);
    char *text = sq_assignment_encode (moved);
    ck_assert_int_eq (sq_zk_set (env.zk, "/assignments/wc", text, strlen (text)), 0);
    free (text);
    sq_assignment_destroy (&moved);
    //  Nothing should happen, so there is no event to wait for: give the
    //  supervisor a few of its monitor rounds to get it wrong.
    usleep (3 * 1000 * 1000);
    ck_assert_int_eq (s_running_worker (&env, p0), pid4);
    ck_assert_int_eq (s_worker_starts (&env, p0), starts + 1);

    //  Moved to the other slot: p0 stops, p1 starts.
    s_assign (&env, "wc", "wc-1-1000", 3, SQ_TOPOLOGY_ACTIVE, &p1, 1);
    WAIT_UNTIL (&env, s_running_worker (&env, p1) > 0, WAIT_MS, "worker not started on p1");
    WAIT_UNTIL (&env, !test_processes_alive (pid4) && s_worker_pid (&env, p0) == 0, WAIT_MS,
                "worker on p0 not stopped");
    int pid5 = s_running_worker (&env, p1);

    //  Assignment removed: the worker goes, and so does the package.
    ck_assert_int_eq (sq_zk_delete (env.zk, "/assignments/wc", false), 0);
    WAIT_UNTIL (&env, !test_processes_alive (pid5) && s_worker_pid (&env, p1) == 0, WAIT_MS,
                "worker not stopped after its assignment went");
    WAIT_UNTIL (&env, access (package_path, F_OK) != 0, WAIT_MS, "unused package kept");
    free (package_path);
    free (argv_path);

    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&env);
}
END_TEST

START_TEST (test_sigterm_stops_workers)
{
    env_t env;
    s_env_init (&env, "sigterm");
    //  The worker on the second slot ignores SIGTERM: it needs the SIGKILL.
    s_touch_worker_file (&env, env.ports[1], "ignore-term");
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register");
    s_assign (&env, "wc", "wc-1-1000", 1, SQ_TOPOLOGY_ACTIVE, env.ports, 2);
    WAIT_UNTIL (&env,
                s_running_worker (&env, env.ports[0]) && s_running_worker (&env, env.ports[1]),
                WAIT_MS, "workers not started");
    int pid0 = s_running_worker (&env, env.ports[0]);
    int pid1 = s_running_worker (&env, env.ports[1]);
    //  Let the second worker read its ignore-term file.
    char *argv_path = s_worker_file (&env, env.ports[1], "argv");
    WAIT_UNTIL (&env, access (argv_path, F_OK) == 0, WAIT_MS, "worker did not start up");
    free (argv_path);

    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    ck_assert (!test_processes_alive (pid0));
    ck_assert (!test_processes_alive (pid1));
    ck_assert (!s_registered (&env));
    ck_assert (s_log_has (&env, "sending SIGKILL"));
    s_env_destroy (&env);
}
END_TEST

START_TEST (test_sigkill_and_adopted_workers)
{
    env_t env;
    s_env_init (&env, "sigkill");
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register");
    int p0 = env.ports[0];
    s_assign (&env, "wc", "wc-1-1000", 1, SQ_TOPOLOGY_ACTIVE, &p0, 1);
    WAIT_UNTIL (&env, s_running_worker (&env, p0) > 0, WAIT_MS, "worker not started");
    int pid1 = s_running_worker (&env, p0);

    //  kill -9: the node stays until the session times out; the worker
    //  outlives its supervisor.
    s_stop (&env, SIGKILL);
    long long killed = test_processes_now_ms ();
    ck_assert (s_registered (&env));
    WAIT_UNTIL (&env, !s_registered (&env), SESSION_MS + WAIT_MS, "node outlived its session");
    long long took = test_processes_now_ms () - killed;
    ck_assert_msg (took >= SESSION_MS / 2, "node went after %lld ms", took);
    ck_assert (test_processes_alive (pid1));

    //  The next supervisor of the slots adopts the worker: it keeps
    //  running, watched as if this run had started it.
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register again");
    WAIT_UNTIL (&env, s_log_has (&env, "adopting worker"), WAIT_MS, "worker not adopted");
    ck_assert (test_processes_alive (pid1));
    ck_assert_int_eq (s_running_worker (&env, p0), pid1);
    ck_assert_int_eq (s_worker_starts (&env, p0), 1);

    //  An adopted worker is not the supervisor's child; its death is
    //  noticed all the same, and it is restarted.
    kill (pid1, SIGKILL);
    WAIT_UNTIL (&env, s_replacement_worker (&env, p0, pid1) > 0, WAIT_MS,
                "adopted worker not restarted after it died");
    int pid2 = s_running_worker (&env, p0);

    //  A worker whose record does not say what it runs is killed.
    s_stop (&env, SIGKILL);
    s_remove_worker_file (&env, p0, "slot");
    s_start (&env);
    WAIT_UNTIL (&env, !test_processes_alive (pid2), WAIT_MS, "unrecorded worker not killed");
    ck_assert (s_log_has (&env, "does not say what it runs"));
    WAIT_UNTIL (&env, s_replacement_worker (&env, p0, pid2) > 0, WAIT_MS, "no new worker");
    int pid3 = s_running_worker (&env, p0);

    //  Restarted within the session timeout: the new supervisor replaces
    //  the node the dead session still holds, keeps it after that session
    //  expires, and adopts the worker again.
    s_stop (&env, SIGKILL);
    ck_assert (s_registered (&env));
    s_start (&env);
    WAIT_UNTIL (&env, s_log_has (&env, "replacing node"), WAIT_MS, "node not replaced");
    usleep ((SESSION_MS + 2000) * 1000);
    ck_assert (s_registered (&env));
    ck_assert_int_eq (s_running_worker (&env, p0), pid3);

    //  An adopted worker that is no longer wanted is stopped.
    s_assign (&env, "wc", "wc-1-1000", 2, SQ_TOPOLOGY_ACTIVE, &env.ports[1], 1);
    WAIT_UNTIL (&env, !test_processes_alive (pid3), WAIT_MS, "unwanted adopted worker not stopped");
    WAIT_UNTIL (&env, s_running_worker (&env, env.ports[1]) > 0, WAIT_MS,
                "no worker on the new slot");

    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&env);
}
END_TEST

START_TEST (test_second_supervisor_with_the_same_id_takes_over)
{
    env_t first, second;
    s_env_init (&first, "duplicate-first");
    s_start (&first);
    WAIT_UNTIL (&first, s_registered (&first), WAIT_MS, "supervisor did not register");
    int64_t first_owner = 0;
    ck_assert_int_eq (sq_zk_owner (first.zk, first.node, &first_owner), 0);

    //  A second supervisor with the same id in the same cluster (a copied
    //  config, or a restart while the old process still runs): the newer
    //  one takes the node, and the older one steps aside for good instead
    //  of taking it back (the two would flap, and nimbus would reassign
    //  their slots at every flap).
    s_env_init (&second, "duplicate-second");
    snprintf (second.root, sizeof second.root, "%s", first.root);
    snprintf (second.id, sizeof second.id, "%s", first.id);
    s_write_config (&second);
    s_start (&second);
    int status = s_wait_exit (&first, WAIT_MS);
    if (status == -1)
        s_dump_log (&first);
    ck_assert_msg (status != -1, "the superseded supervisor keeps running");
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) != 0, "status %d", status);
    ck_assert (s_log_has (&first, "took over"));
    int64_t owner = 0;
    ck_assert_int_eq (sq_zk_owner (first.zk, first.node, &owner), 0);
    ck_assert (owner != 0 && owner != first_owner);
    ck_assert (test_processes_alive (second.pid));

    status = s_stop (&second, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&second);
    s_env_destroy (&first);
}
END_TEST

//  A second supervisor on the same storm.local.dir (another id, the same
//  ZooKeeper root) exits 1 before it registers, naming the directory and
//  the first one's pid; the first keeps its membership.
START_TEST (test_second_supervisor_on_the_same_dir_is_refused)
{
    env_t first, second;
    s_env_init (&first, "shared-dir-first");
    s_start (&first);
    WAIT_UNTIL (&first, s_registered (&first), WAIT_MS, "supervisor did not register");
    s_env_init (&second, "shared-dir-second");
    snprintf (second.root, sizeof second.root, "%s", first.root);
    snprintf (second.local, sizeof second.local, "%s", first.local);
    s_write_config (&second);
    s_start (&second);
    int status = s_wait_exit (&second, WAIT_MS);
    if (status == -1)
        s_dump_log (&second);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 1, "status %d", status);
    char expected[2048];
    snprintf (expected, sizeof expected,
              "supervisor: storm.local.dir '%s' is in use by another supervisor (pid %d holds "
              "%s/supervisor.lock)\n",
              first.local, (int) first.pid, first.local);
    ck_assert_msg (s_log_has (&second, expected), "no refusal naming the holder");
    ck_assert (!s_registered (&second));
    ck_assert (test_processes_alive (first.pid));
    ck_assert (s_registered (&first));
    status = s_stop (&first, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&second);
    s_env_destroy (&first);
}
END_TEST

START_TEST (test_start_waits_for_zookeeper)
{
    //  A ZooKeeper server of its own, down when the supervisor starts.
    zk_server_t *late = zk_server_new (NULL);
    ck_assert_ptr_nonnull (late);
    const char *suite_endpoint = s_endpoint;
    s_endpoint = zk_server_endpoint (late);
    env_t env;
    s_env_init (&env, "late-zookeeper");
    s_endpoint = suite_endpoint;
    ck_assert_int_eq (zk_server_stop (late), 0);
    s_start (&env);
    WAIT_UNTIL (&env, s_log_has (&env, "trying again"), WAIT_MS,
                "no retry while ZooKeeper is down");
    ck_assert (test_processes_alive (env.pid));
    ck_assert_int_eq (zk_server_start (late), 0);
    WAIT_UNTIL (&env, s_registered (&env), 4 * WAIT_MS,
                "supervisor did not register once "
                "ZooKeeper was up");
    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&env);
    zk_server_destroy (&late);
}
END_TEST

START_TEST (test_session_expiry)
{
    env_t env;
    s_env_init (&env, "expiry");
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register");
    int p0 = env.ports[0];
    s_assign (&env, "wc", "wc-1-1000", 1, SQ_TOPOLOGY_ACTIVE, &p0, 1);
    WAIT_UNTIL (&env, s_running_worker (&env, p0) > 0, WAIT_MS, "worker not started");
    int pid = s_running_worker (&env, p0);

    //  Frozen past its session timeout, the supervisor loses its session
    //  and node; thawed, it opens a new session and registers again, and
    //  its worker runs on untouched.
    ck_assert_int_eq (kill (env.pid, SIGSTOP), 0);
    WAIT_UNTIL (&env, !s_registered (&env), SESSION_MS + WAIT_MS, "session did not expire");
    ck_assert_int_eq (kill (env.pid, SIGCONT), 0);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register again");
    ck_assert (s_log_has (&env, "session expired"));
    ck_assert_int_eq (s_running_worker (&env, p0), pid);

    //  Its watches are armed again: a new generation reaches it.
    s_assign (&env, "wc", "wc-1-1000", 2, SQ_TOPOLOGY_ACTIVE, &p0, 1);
    WAIT_UNTIL (&env, s_replacement_worker (&env, p0, pid) > 0, WAIT_MS,
                "assignment change not seen after the new session");

    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&env);
}
END_TEST

START_TEST (test_bad_input_and_killed_topology)
{
    env_t env;
    s_env_init (&env, "badinput");
    s_start (&env);
    WAIT_UNTIL (&env, s_registered (&env), WAIT_MS, "supervisor did not register");
    int p0 = env.ports[0];

    //  Garbage in ZooKeeper is logged and ignored.
    ck_assert_int_eq (sq_zk_set (env.zk, "/assignments/junk", "{not json", 9), 0);
    WAIT_UNTIL (&env, s_log_has (&env, "malformed assignment"), WAIT_MS, "junk not reported");

    //  A package whose bytes do not match the record's checksum is not
    //  used; once nimbus serves the right bytes, the worker starts.
    s_assign (&env, "wc", "wc-1-1000", 1, SQ_TOPOLOGY_ACTIVE, &p0, 1);
    s_set_package (&env, "tampered bytes\n");
    WAIT_UNTIL (&env, s_log_has (&env, "checksum mismatch"), WAIT_MS, "mismatch not reported");
    usleep (500 * 1000);
    ck_assert_int_eq (s_worker_pid (&env, p0), 0);
    s_set_package (&env, "package bytes of wc-1-1000\n");
    WAIT_UNTIL (&env, s_running_worker (&env, p0) > 0, WAIT_MS + 5000,
                "worker not started after the package was fixed");
    int pid = s_running_worker (&env, p0);
    ck_assert (kill (env.pid, 0) == 0);

    //  A killed topology's workers stop, though its assignment remains.
    s_assign (&env, "wc", "wc-1-1000", 1, SQ_TOPOLOGY_KILLED, &p0, 1);
    WAIT_UNTIL (&env, !test_processes_alive (pid) && s_worker_pid (&env, p0) == 0, WAIT_MS,
                "worker of a killed topology still runs");

    int status = s_stop (&env, SIGTERM);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    s_env_destroy (&env);
}
END_TEST

//  ---------------------------------------------------------------------

static char *
s_build_path (const char *name)
{
    const char *top = getenv ("top_builddir");
    char relative[4096];
    snprintf (relative, sizeof relative, "%s/%s", top ? top : ".", name);
    return realpath (relative, NULL);
}

int
main (void)
{
    const char *missing = zk_server_missing ();
    if (missing)
        return zk_server_skip ("test_supervisor", missing);
    s_supervisor_bin = s_build_path ("supervisor/supervisor");
    s_fake_worker_bin = s_build_path ("tests/integration/fake_worker");
    if (!s_supervisor_bin || !s_fake_worker_bin) {
        fprintf (stderr,
                 "test_supervisor: supervisor/supervisor or "
                 "tests/integration/fake_worker not built (top_builddir=%s)\n",
                 getenv ("top_builddir") ? getenv ("top_builddir") : "(unset)");
        return 99;
    }
    const char *base = test_processes_suite_dir ("test_supervisor");
    if (!base)
        return 99;
    snprintf (s_base, sizeof s_base, "%s", base);
    zk_server_t *server = zk_server_new (NULL);
    if (!server)
        return 99;
    s_endpoint = zk_server_endpoint (server);

    Suite *suite = suite_create ("supervisor");
    TCase *tcase = tcase_create ("supervisor");
    tcase_set_timeout (tcase, 90);
    tcase_add_test (tcase, test_registration_and_sigterm);
    tcase_add_test (tcase, test_worker_lifecycle);
    tcase_add_test (tcase, test_sigterm_stops_workers);
    tcase_add_test (tcase, test_sigkill_and_adopted_workers);
    tcase_add_test (tcase, test_second_supervisor_with_the_same_id_takes_over);
    tcase_add_test (tcase, test_second_supervisor_on_the_same_dir_is_refused);
    tcase_add_test (tcase, test_start_waits_for_zookeeper);
    tcase_add_test (tcase, test_session_expiry);
    tcase_add_test (tcase, test_bad_input_and_killed_topology);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    zk_server_destroy (&server);
    free (s_supervisor_bin);
    free (s_fake_worker_bin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
