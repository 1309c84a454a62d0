/*  test_nimbus - the nimbus daemon against a real ZooKeeper

    main() starts one ZooKeeper server (zk_server) and makes one temporary
    directory for the suite; each test gets its own ZooKeeper root, its own
    directory and a free port, and runs the real nimbus binary
    ($top_builddir/nimbus/nimbus) as a child process with a config file
    written there. The test plays the rest of the cluster: it registers
    fake supervisors (ephemeral /supervisors/<id> records written with
    sq_zk), talks to nimbus with sq_control as storm-submit and workers
    do, runs the real storm-submit for the CLI, and reads what nimbus
    wrote to ZooKeeper. Nimbus also serves Storm's UI REST API on a free
    port: the test_rest_* tests talk HTTP to it through a small raw-socket
    client (s_http), well-formed requests and hostile bytes alike.

    Cleanup: each test stops nimbus in its teardown; a test that fails or
    times out dies, and its nimbus with it (PR_SET_PDEATHSIG); main()
    removes the suite directory at the end (unless SQ_TEST_KEEP is set, to
    read nimbus.log in each test's directory). Without java or the
    ZooKeeper server jar the suite skips (exit 77), or fails when every
    suite must run (zk_server_skip).
*/
#include "sq_assignment.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"
#include "sq_config.h"
#include "sq_control.h"
#include "sq_histogram.h"
#include "sq_sha256.h"
#include "sq_topology.h"
#include "sq_zk.h"
#include "squall.h"
#include "http_client.h"
#include "test_processes.h"
#include "zk_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <czmq.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
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

#define WAIT_MS 10000    //  longest wait for something expected
#define REQUEST_MS 10000 //  how long a request may take

static const char *s_zk_endpoint; //  the suite's ZooKeeper server
static char s_base[256];          //  the suite's directory
static pid_t s_main_pid;          //  the process that made s_base

//  One test's world (in the forked test process).
static char s_dir[512];         //  the test's directory
static char s_root[64];         //  its ZooKeeper root
static char s_config[600];      //  nimbus's config file
static char s_nimbus[64];       //  "tcp://127.0.0.1:<port>"
static int s_port;              //  nimbus's port
static int s_ui_port;           //  nimbus's HTTP port (ui.port)
static pid_t s_nimbus_pid;      //  the nimbus process, 0 when stopped
static const char *s_pid_file;  //  s_start_nimbus: its --pid-file, or NULL
static sq_zk_t *s_zk;           //  the test's own ZooKeeper session
static sq_zk_t *s_supervisor_2; //  a second session, for a second supervisor
static sq_control_t *s_control; //  a client of nimbus

//  $top_builddir/name, in one of four static buffers used in turn.
static const char *
s_build_path (const char *name)
{
    static char paths[4][1024];
    static int next;
    char *path = paths[next++ % 4];
    const char *top = getenv ("top_builddir");
    snprintf (path, sizeof paths[0], "%s/%s", top ? top : ".", name);
    return path;
}

//  The web UI's files of the source tree ($top_srcdir/nimbus/ui), absolute.
static const char *
s_ui_dir (void)
{
    static char path[PATH_MAX];
    char relative[PATH_MAX];
    const char *top = getenv ("top_srcdir");
    snprintf (relative, sizeof relative, "%s/nimbus/ui", top ? top : ".");
    ck_assert_msg (realpath (relative, path), "no %s: %s", relative, strerror (errno));
    return path;
}

static int
s_remove_entry (const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    remove (path);
    return 0;
}

static void
s_remove_tree (const char *path)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        nftw (path, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        if (access (path, F_OK) != 0)
            return;
        usleep (50000);
    }
}

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    ck_assert_msg (file, "cannot write %s", path);
    fputs (text, file);
    fclose (file);
}

static void *
s_read_file (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    ck_assert_msg (file, "cannot read %s", path);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    void *data = malloc ((size_t) size + 1);
    ck_assert (fread (data, 1, (size_t) size, file) == (size_t) size);
    fclose (file);
    ((char *) data)[size] = 0; //  so that text files can be searched
    *size_p = (size_t) size;
    return data;
}

//  ---------------------------------------------------------------------
//  nimbus as a child process

//  Start nimbus with the test's config and extra -c options (NULL
//  terminated, may be NULL), and wait until it answers list.
static void
s_start_nimbus (const char *const *extra)
{
    const char *binary = s_build_path ("nimbus/nimbus");
    char *argv[32] = {(char *) binary, "--config", s_config};
    int argc = 3;
    if (s_pid_file) {
        argv[argc++] = "--pid-file";
        argv[argc++] = (char *) s_pid_file;
    }
    for (int i = 0; extra && extra[i] && argc < 29; i++) {
        argv[argc++] = "-c";
        argv[argc++] = (char *) extra[i];
    }
    argv[argc] = NULL;
    char log[600];
    snprintf (log, sizeof log, "%s/nimbus.log", s_dir);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    ck_assert (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        FILE *out = freopen (log, "a", stdout);
        if (out)
            dup2 (fileno (out), 2);
        execv (binary, argv);
        _exit (127);
    }
    s_nimbus_pid = pid;
    //  Answers once it is up; the client queues the request until then.
    sq_control_t *probe = sq_control_new (s_nimbus);
    json_t *reply = NULL;
    long long deadline = test_processes_now_ms () + 3 * WAIT_MS;
    while (!reply && test_processes_now_ms () < deadline) {
        json_t *request = json_pack ("{s:s}", "verb", "list");
        reply = sq_control_request (probe, request, NULL, 0, 500, NULL, NULL);
        json_decref (request);
        int status;
        ck_assert_msg (reply || waitpid (pid, &status, WNOHANG) == 0,
                       "nimbus exited at start: see %s", log);
    }
    ck_assert_msg (reply, "nimbus did not answer within %d ms: %s", 3 * WAIT_MS, sq_last_error ());
    json_decref (reply);
    sq_control_destroy (&probe);
}

//  Stop nimbus with signal (SIGKILL: as in a crash) and reap it.
static void
s_stop_nimbus (int signal)
{
    if (s_nimbus_pid <= 0)
        return;
    kill (s_nimbus_pid, signal);
    int status;
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (waitpid (s_nimbus_pid, &status, WNOHANG) == 0) {
        if (test_processes_now_ms () > deadline)
            kill (s_nimbus_pid, SIGKILL);
        usleep (10000);
    }
    s_nimbus_pid = 0;
}

static void
s_kill_nimbus_at_exit (void)
{
    if (s_nimbus_pid > 0)
        kill (s_nimbus_pid, SIGKILL);
}

//  ---------------------------------------------------------------------
//  The cluster around nimbus

//  Register a fake supervisor with four slot ports from first_port.
//  True once nimbus's log (of every start in this test) holds text;
//  polls until WAIT_MS pass.
static bool
s_nimbus_logged (const char *text)
{
    char path[600];
    snprintf (path, sizeof path, "%s/nimbus.log", s_dir);
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (true) {
        size_t size;
        char *log = s_read_file (path, &size);
        bool found = strstr (log, text) != NULL;
        free (log);
        if (found || test_processes_now_ms () >= deadline)
            return found;
        usleep (20000);
    }
}

static void
s_register_supervisor (sq_zk_t *zk, const char *id, int first_port)
{
    int ports[4] = {first_port, first_port + 1, first_port + 2, first_port + 3};
    sq_supervisor_info_t *info =
        sq_supervisor_info_new (id, "127.0.0.1", ports, 4, (int64_t) time (NULL));
    char *data = sq_supervisor_info_encode (info);
    char path[128];
    snprintf (path, sizeof path, "/supervisors/%s", id);
    ck_assert_msg (sq_zk_create (zk, path, data, strlen (data), true) == 0, "%s", sq_last_error ());
    free (data);
    sq_supervisor_info_destroy (&info);
}

//  The data of a node as a string (caller frees), or NULL when absent.
static char *
s_node (const char *path)
{
    char *data = NULL;
    size_t size;
    int rc = sq_zk_get (s_zk, path, &data, &size, false);
    ck_assert_msg (rc == 0 || rc == SQ_ENONODE, "%s", sq_last_error ());
    return data;
}

static sq_topology_record_t *
s_topology_record (const char *name)
{
    char path[128];
    snprintf (path, sizeof path, "/topologies/%s", name);
    char *data = s_node (path);
    sq_topology_record_t *record = data ? sq_topology_record_decode (data, strlen (data)) : NULL;
    ck_assert_msg (!data || record, "%s", sq_last_error ());
    free (data);
    return record;
}

static sq_assignment_t *
s_assignment (const char *name)
{
    char path[128];
    snprintf (path, sizeof path, "/assignments/%s", name);
    char *data = s_node (path);
    sq_assignment_t *assignment = data ? sq_assignment_decode (data, strlen (data)) : NULL;
    ck_assert_msg (!data || assignment, "%s", sq_last_error ());
    free (data);
    return assignment;
}

//  Send a request (taken) to nimbus; the reply (caller decrefs) or NULL.
static json_t *
s_request (json_t *request, const void *payload, size_t size, void **payload_p,
           size_t *payload_size_p)
{
    ck_assert (request);
    json_t *reply = sq_control_request (s_control, request, payload, size, REQUEST_MS, payload_p,
                                        payload_size_p);
    json_decref (request);
    return reply;
}

//  Expect a request to fail with an error containing expected.
static void
s_expect_error (json_t *request, const void *payload, size_t size, const char *expected)
{
    json_t *reply = s_request (request, payload, size, NULL, NULL);
    ck_assert_msg (!reply, "nimbus accepted what it should refuse (expected '%s')", expected);
    ck_assert_msg (strstr (sq_last_error (), expected), "error '%s' lacks '%s'", sq_last_error (),
                   expected);
}

//  Submit the package at path as name with config (a JSON object,
//  taken; NULL for none). Returns the id (caller frees), or NULL with the
//  error in sq_last_error().
static char *
s_submit_file (const char *path, const char *name, json_t *config)
{
    size_t size;
    void *package = s_read_file (path, &size);
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (package, size, checksum);
    json_t *request = json_pack ("{s:s, s:s, s:o, s:s}", "verb", "submit", "name", name, "config",
                                 config ? config : json_object (), "checksum", checksum);
    json_t *reply = s_request (request, package, size, NULL, NULL);
    free (package);
    char *id = reply ? strdup (json_string_value (json_object_get (reply, "id"))) : NULL;
    json_decref (reply);
    return id;
}

static const char *
s_wordcount (void)
{
    return s_build_path ("topologies/.libs/wordcount.so");
}

//  Submit word count as name; assert it was accepted; returns the id.
static char *
s_submit_wordcount (const char *name, int workers)
{
    char *id =
        s_submit_file (s_wordcount (), name, json_pack ("{s:i}", "topology.workers", workers));
    ck_assert_msg (id, "submit failed: %s", sq_last_error ());
    return id;
}

//  The list reply's topologies (caller decrefs the reply it holds).
static json_t *
s_list (void)
{
    json_t *reply = s_request (json_pack ("{s:s}", "verb", "list"), NULL, 0, NULL, NULL);
    ck_assert_msg (reply, "list failed: %s", sq_last_error ());
    ck_assert (json_is_array (json_object_get (reply, "topologies")));
    return reply;
}

//  The entry of topology name in a list reply, or NULL.
static json_t *
s_listed (json_t *reply, const char *name)
{
    size_t index;
    json_t *entry;
    json_array_foreach (json_object_get (reply, "topologies"), index,
                        entry) if (strcmp (json_string_value (json_object_get (entry, "name")),
                                           name) == 0) return entry;
    return NULL;
}

//  Run storm-submit against nimbus with args (NULL terminated); returns
//  its exit status, with its stdout and stderr in *output_p (caller frees).
static int
s_cli (char **output_p, const char *const *args)
{
    char nimbus[64];
    snprintf (nimbus, sizeof nimbus, "127.0.0.1:%d", s_port);
    const char *binary = s_build_path ("storm-submit");
    char *argv[32] = {(char *) binary, "--nimbus", nimbus, "--timeout", "5"};
    int argc = 5;
    for (int i = 0; args[i] && argc < 31; i++)
        argv[argc++] = (char *) args[i];
    argv[argc] = NULL;
    char log[600];
    snprintf (log, sizeof log, "%s/cli.out", s_dir);
    pid_t pid = fork ();
    ck_assert (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        FILE *out = freopen (log, "w", stdout);
        if (out)
            dup2 (fileno (out), 2);
        execv (binary, argv);
        _exit (127);
    }
    int status;
    waitpid (pid, &status, 0);
    size_t size;
    *output_p = s_read_file (log, &size);
    (*output_p)[size] = 0;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  ---------------------------------------------------------------------
//  HTTP, spoken by hand

//  A new connection to nimbus's HTTP port.
static int
s_http_connect (void)
{
    int fd = http_client_connect (s_ui_port);
    ck_assert_msg (fd >= 0, "cannot connect to ui.port %d: %s", s_ui_port, strerror (errno));
    return fd;
}

//  Send size bytes of raw to nimbus's HTTP port (http_client_raw, at most
//  REQUEST_MS); the answer's status, 0 when none came.
static int
s_http_raw (const char *raw, size_t size, char **answer_p)
{
    return http_client_raw (s_ui_port, raw, size, REQUEST_MS, answer_p);
}

//  Send method path with body (may be NULL) and return the status; the
//  answer's body, which must be JSON, goes to *json_p (caller decrefs).
static int
s_http (const char *method, const char *path, const char *body, json_t **json_p)
{
    char *answer;
    int status = http_client_request (s_ui_port, method, path, body, REQUEST_MS, &answer);
    ck_assert (answer);
    ck_assert_msg (status > 0, "%s %s: no HTTP answer: '%s'", method, path, answer);
    ck_assert_msg (strstr (answer, "\r\nContent-Type: application/json\r\n"), "%s %s: not JSON: %s",
                   method, path, answer);
    const char *start = http_client_body (answer);
    json_error_t error;
    *json_p = start ? json_loads (start, 0, &error) : NULL;
    ck_assert_msg (*json_p, "%s %s: the body is not JSON: %s", method, path, answer);
    free (answer);
    return status;
}

//  GET path, expecting 200; the JSON answer (caller decrefs).
static json_t *
s_http_get (const char *path)
{
    json_t *answer;
    int status = s_http ("GET", path, NULL, &answer);
    char *text = json_dumps (answer, JSON_COMPACT);
    ck_assert_msg (status == 200, "GET %s: %d %s", path, status, text);
    free (text);
    return answer;
}

//  The integer at key of object (0 when absent).
static json_int_t
s_int (json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    ck_assert_msg (json_is_integer (value), "field '%s' is not an integer", key);
    return json_integer_value (value);
}

//  The string at key of object; fails the test when absent.
static const char *
s_string (json_t *object, const char *key)
{
    const char *value = json_string_value (json_object_get (object, key));
    ck_assert_msg (value, "field '%s' is not a string", key);
    return value;
}

//  Expect method path (body may be NULL) to get status with Storm's JSON
//  error body.
static void
s_http_error (const char *method, const char *path, const char *body, int status)
{
    json_t *answer;
    int got = s_http (method, path, body, &answer);
    ck_assert_msg (got == status, "%s %s: %d, expected %d", method, path, got, status);
    char prefix[8];
    snprintf (prefix, sizeof prefix, "%d ", status);
    ck_assert (strncmp (s_string (answer, "error"), prefix, strlen (prefix)) == 0);
    ck_assert (strlen (s_string (answer, "errorMessage")) > 0);
    json_decref (answer);
}

//  ---------------------------------------------------------------------
//  Fixture

static void
s_setup (void)
{
    static int counter;
    snprintf (s_dir, sizeof s_dir, "%s/test-%d-%d", s_base, (int) getpid (), counter++);
    ck_assert (mkdir (s_dir, 0755) == 0);
    snprintf (s_root, sizeof s_root, "/nimbus-test-%d-%d", (int) getpid (), counter);
    s_port = test_processes_free_port ();
    s_ui_port = test_processes_free_port ();
    snprintf (s_nimbus, sizeof s_nimbus, "tcp://127.0.0.1:%d", s_port);
    const char *colon = strrchr (s_zk_endpoint, ':');
    char json[8192];
    snprintf (json, sizeof json,
              "{\"storm.zookeeper.servers\": [\"127.0.0.1\"], \"storm.zookeeper.port\": %s, "
              "\"storm.zookeeper.root\": \"%s\", \"nimbus.host\": \"127.0.0.1\", "
              "\"nimbus.port\": %d, \"storm.local.dir\": \"%s/local\", "
              "\"nimbus.task.timeout.secs\": 600, \"nimbus.monitor.freq.secs\": 1, "
              "\"ui.port\": %d, \"ui.connection.timeout.secs\": 2, \"ui.max.connections\": 48, "
              "\"ui.dir\": \"%s\"}\n",
              colon + 1, s_root, s_port, s_dir, s_ui_port, s_ui_dir ());
    snprintf (s_config, sizeof s_config, "%s/nimbus.json", s_dir);
    s_write_file (s_config, json);
    atexit (s_kill_nimbus_at_exit);
    s_zk = sq_zk_new (s_zk_endpoint, s_root, 10000, 10000);
    ck_assert_msg (s_zk, "%s", sq_last_error ());
    s_register_supervisor (s_zk, "sup-1", 6700);
    s_start_nimbus (NULL);
    s_control = sq_control_new (s_nimbus);
    ck_assert (s_control);
}

static void
s_teardown (void)
{
    sq_control_destroy (&s_control);
    s_stop_nimbus (SIGTERM);
    sq_zk_destroy (&s_supervisor_2);
    sq_zk_destroy (&s_zk);
}

//  ---------------------------------------------------------------------
//  Tests

//  Three unfinished messages that declare 200 MB each, more than a
//  package may have (nimbus.package.max.bytes, 100 MB, plus room for the
//  JSON): nimbus disconnects each at its header, holds nothing of them,
//  and keeps serving.
START_TEST (test_oversized_frames_are_dropped)
{
    long before = test_processes_rss_kb ((int) s_nimbus_pid);
    ck_assert_int_gt (before, 0);
    int fds[3];
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        size_t sent = 0;
        fds[i] = test_processes_zmtp_frame (s_port, "DEALER", 200 * 1000 * 1000, 190 * 1000 * 1000,
                                            &sent);
        ck_assert_int_ge (fds[i], 0);
        total += sent;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_msg (test_processes_closed_by_peer (fds[i], 5000),
                       "nimbus kept connection %d open", i);
        close (fds[i]);
    }
    long after = test_processes_rss_kb ((int) s_nimbus_pid);
    ck_assert_msg (total < (64 << 20), "nimbus took %zu bytes of the frames", total);
    ck_assert_msg (after - before < 64 * 1024, "nimbus's RSS grew from %ld to %ld KiB", before,
                   after);
    json_t *reply = s_list ();
    ck_assert_ptr_nonnull (reply);
    json_decref (reply);
}
END_TEST

START_TEST (test_submit_and_list)
{
    char *id = s_submit_wordcount ("wordcount", 2);

    //  The records nimbus wrote.
    sq_topology_record_t *record = s_topology_record ("wordcount");
    ck_assert (record);
    ck_assert_str_eq (record->id, id);
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    ck_assert_int_eq (record->workers, 2);
    ck_assert_int_eq (sq_config_int (record->config, "topology.workers", 0), 2);
    sq_assignment_t *assignment = s_assignment ("wordcount");
    ck_assert (assignment);
    ck_assert_str_eq (assignment->topology_id, id);
    ck_assert_int_eq (assignment->generation, 1);
    ck_assert_int_eq (assignment->worker_count, 2);
    //  sentences 1 + split 2 + count 2 + report 1 + one acker.
    ck_assert_int_eq (sq_assignment_executor_count (assignment), 7);
    for (int task = 1; task <= 7; task++)
        ck_assert_msg (sq_assignment_find_task (assignment, task), "task %d unassigned", task);
    ck_assert_str_eq (assignment->workers[0].supervisor_id, "sup-1");

    //  list shows it.
    json_t *reply = s_list ();
    json_t *entry = s_listed (reply, "wordcount");
    ck_assert (entry);
    ck_assert_str_eq (json_string_value (json_object_get (entry, "id")), id);
    ck_assert_str_eq (json_string_value (json_object_get (entry, "status")), "active");
    ck_assert_int_eq (json_integer_value (json_object_get (entry, "workers")), 2);
    ck_assert_int_eq (json_integer_value (json_object_get (entry, "executors")), 7);
    ck_assert_int_eq (json_integer_value (json_object_get (entry, "tasks")), 7);
    json_decref (reply);

    //  Supervisors download the package by id, checksum included.
    void *package = NULL;
    size_t size = 0, expected_size;
    reply = s_request (json_pack ("{s:s, s:s}", "verb", "download", "id", id), NULL, 0, &package,
                       &size);
    ck_assert_msg (reply, "download failed: %s", sq_last_error ());
    void *expected = s_read_file (s_wordcount (), &expected_size);
    ck_assert_int_eq (size, expected_size);
    ck_assert_mem_eq (package, expected, size);
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (expected, expected_size, checksum);
    ck_assert_str_eq (json_string_value (json_object_get (reply, "checksum")), checksum);
    json_decref (reply);
    free (package);
    free (expected);

    //  Deactivate and activate change the record's status.
    reply = s_request (json_pack ("{s:s, s:s}", "verb", "deactivate", "name", "wordcount"), NULL, 0,
                       NULL, NULL);
    ck_assert_msg (reply, "%s", sq_last_error ());
    json_decref (reply);
    sq_topology_record_destroy (&record);
    record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_INACTIVE);
    reply = s_request (json_pack ("{s:s, s:s}", "verb", "activate", "name", "wordcount"), NULL, 0,
                       NULL, NULL);
    ck_assert_msg (reply, "%s", sq_last_error ());
    json_decref (reply);
    sq_topology_record_destroy (&record);
    record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);

    //  The CLI: list prints the table, deactivate works by name.
    char *output;
    ck_assert_int_eq (s_cli (&output, (const char *[]){"list", NULL}), 0);
    ck_assert_msg (strstr (output, "NAME") && strstr (output, "wordcount") && strstr (output, id) &&
                       strstr (output, "active"),
                   "list printed: %s", output);
    free (output);
    ck_assert_int_eq (s_cli (&output, (const char *[]){"deactivate", "wordcount", NULL}), 0);
    free (output);
    sq_topology_record_destroy (&record);
    record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_INACTIVE);

    //  And the CLI's own submit: validates here, then uploads; with
    //  --inactive (control protocol version 2) the topology starts inactive.
    ck_assert_int_eq (s_cli (&output, (const char *[]){"list", "--inactive", NULL}), 2);
    free (output);
    int status = s_cli (&output, (const char *[]){s_wordcount (), "wc2", "--inactive", "-c",
                                                  "topology.workers=1", NULL});
    ck_assert_msg (status == 0 && strstr (output, "submitted topology 'wc2'") &&
                       strstr (output, "(inactive)"),
                   "submit exited %d and printed: %s", status, output);
    free (output);
    sq_topology_record_destroy (&record);
    record = s_topology_record ("wc2");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_INACTIVE);
    ck_assert_int_eq (s_cli (&output, (const char *[]){"activate", "wc2", NULL}), 0);
    free (output);
    sq_topology_record_destroy (&record);
    record = s_topology_record ("wc2");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    sq_assignment_t *second = s_assignment ("wc2");
    ck_assert (second);
    ck_assert_int_eq (second->worker_count, 1);
    //  Its slot is not one of the first topology's.
    ck_assert (!sq_assignment_find_slot (assignment, second->workers[0].supervisor_id,
                                         second->workers[0].port));
    sq_assignment_destroy (&second);

    sq_assignment_destroy (&assignment);
    sq_topology_record_destroy (&record);
    free (id);
}
END_TEST

START_TEST (test_bad_requests)
{
    char *id = s_submit_wordcount ("wordcount", 1);
    size_t size;
    void *package = s_read_file (s_wordcount (), &size);

    //  A checksum that does not match the bytes.
    s_expect_error (json_pack ("{s:s, s:s, s:{}, s:s}", "verb", "submit", "name", "other", "config",
                               "checksum",
                               "0000000000000000000000000000000000000000000000000000000000000000"),
                    package, size, "package checksum mismatch: expected 0000");
    //  A checksum that is not one.
    s_expect_error (
        json_pack ("{s:s, s:s, s:s}", "verb", "submit", "name", "other", "checksum", "abc"),
        package, size, "must be 64 hex digits");
    //  A package that is not a shared object (text, with its right checksum).
    char text_path[600];
    snprintf (text_path, sizeof text_path, "%s/not-a-package.so", s_dir);
    s_write_file (text_path, "this is not a shared object\n");
    ck_assert (!s_submit_file (text_path, "text", NULL));
    ck_assert_msg (strstr (sq_last_error (), "topology invalid") &&
                       strstr (sq_last_error (), "not a loadable shared object"),
                   "error: %s", sq_last_error ());
    //  A name in use.
    ck_assert (!s_submit_file (s_wordcount (), "wordcount", NULL));
    ck_assert_str_eq (sq_last_error (), "topology 'wordcount' is already running");
    //  A name that cannot be a node name.
    s_expect_error (json_pack ("{s:s, s:s}", "verb", "kill", "name", "../etc"), NULL, 0,
                    "invalid topology name '../etc'");
    //  Storm's rule for submitted names, with local mode's message.
    const char *names[] = {"test/aaa", "a.b", "a:b", "a\\b"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char expected[256];
        ck_assert_int_eq (sq_topology_check_name (names[i]), -1);
        snprintf (expected, sizeof expected, "%s", sq_last_error ());
        ck_assert (!s_submit_file (s_wordcount (), names[i], NULL));
        ck_assert_str_eq (sq_last_error (), expected);
    }
    //  A config key of the wrong type.
    ck_assert (
        !s_submit_file (s_wordcount (), "typed", json_pack ("{s:s}", "topology.workers", "two")));
    ck_assert_msg (strstr (sq_last_error (), "invalid config"), "error: %s", sq_last_error ());
    //  A window longer than the message timeout (doc/windows.md).
    ck_assert (!s_submit_file (s_build_path ("topologies/.libs/windows.so"), "windowed",
                               json_pack ("{s:i}", "topology.message.timeout.secs", 3)));
    ck_assert_msg (strstr (sq_last_error (), "windowed bolt 'tumbling_avg': window duration "
                                             "(length + sliding interval) 4000 ms is more than "
                                             "topology.message.timeout.secs 3 s"),
                   "error: %s", sq_last_error ());
    //  Unknown verb, missing and mistyped fields, an extra frame.
    s_expect_error (json_pack ("{s:s}", "verb", "sumbit"), NULL, 0, "unknown verb 'sumbit'");
    s_expect_error (json_pack ("{s:s}", "verb", "kill"), NULL, 0, "field 'name' is missing");
    s_expect_error (
        json_pack ("{s:s, s:s, s:s}", "verb", "kill", "name", "wordcount", "wait_secs", "soon"),
        NULL, 0, "field 'wait_secs' must be a number");
    s_expect_error (
        json_pack ("{s:s, s:s, s:i}", "verb", "rebalance", "name", "wordcount", "workers", 0), NULL,
        0, "field 'workers' must be an integer from 1");
    s_expect_error (json_pack ("{s:s}", "verb", "list"), "x", 1, "too many frames");
    s_expect_error (json_pack ("{s:s}", "novel", "list"), NULL, 0, "no 'verb'");
    s_expect_error (json_pack ("{s:s, s:s}", "verb", "kill", "name", "nope"), NULL, 0,
                    "no topology named 'nope'");
    s_expect_error (json_pack ("{s:s, s:s}", "verb", "download", "id", "../../etc/passwd"), NULL, 0,
                    "no topology with id");

    //  Raw frames: malformed JSON, not an object, another version.
    zsock_t *dealer = zsock_new_dealer (s_nimbus);
    ck_assert (dealer);
    zsock_set_rcvtimeo (dealer, REQUEST_MS);
    const char *raw[][2] = {
        {"{\"verb\": \"list\", ", "not valid JSON"},
        {"[1, 2, 3]", "not a JSON object"},
        {"{\"version\": 3, \"verb\": \"list\"}", "unsupported control protocol version 3"},
        {"\x01\x02garbage\xff", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        zstr_send (dealer, raw[i][0]);
        char *answer = zstr_recv (dealer);
        ck_assert_msg (answer, "no answer to '%s'", raw[i][0]);
        json_t *reply = json_loads (answer, 0, NULL);
        ck_assert_msg (reply && json_is_false (json_object_get (reply, "ok")) &&
                           strstr (json_string_value (json_object_get (reply, "error")), raw[i][1]),
                       "answer to '%s': %s", raw[i][0], answer);
        json_decref (reply);
        zstr_free (&answer);
    }
    //  An empty message, and a heartbeat without its fields: no answer to
    //  the heartbeat (workers do not read), an answer to the rest.
    zstr_send (dealer, "{\"version\": 1, \"verb\": \"heartbeat\"}");
    //  (An empty first frame is a REQ envelope's delimiter, which the
    //  answer echoes before its JSON.)
    zstr_send (dealer, "");
    zmsg_t *msg = zmsg_recv (dealer);
    ck_assert (msg && zmsg_size (msg) == 2);
    zframe_t *delimiter = zmsg_pop (msg);
    ck_assert_int_eq (zframe_size (delimiter), 0);
    zframe_destroy (&delimiter);
    char *answer = zmsg_popstr (msg);
    ck_assert_msg (answer && strstr (answer, "no JSON frame"), "answer: %s", answer);
    zstr_free (&answer);
    zmsg_destroy (&msg);
    zsock_destroy (&dealer);

    //  Bytes that are not ZeroMQ at all.
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) s_port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert (connect (fd, (struct sockaddr *) &address, sizeof address) == 0);
    char garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char) (i * 7919 % 251);
    ck_assert (write (fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
    ssize_t written = write (fd, garbage, sizeof garbage);
    (void) written;
    //  Hang up once nimbus's ZeroMQ engine has taken the connection (it
    //  sends its greeting); nimbus must survive what it then reads.
    bool greeted = false;
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (!greeted && test_processes_now_ms () < deadline) {
        struct pollfd item = {fd, POLLIN, 0};
        char bytes[64];
        greeted = poll (&item, 1, 100) == 1 && read (fd, bytes, sizeof bytes) > 0;
    }
    close (fd);
    ck_assert_msg (greeted, "nimbus did not answer a TCP connection");

    //  Nimbus serves on: list still works and shows the one topology.
    json_t *reply = s_list ();
    ck_assert_int_eq (json_array_size (json_object_get (reply, "topologies")), 1);
    ck_assert (s_listed (reply, "wordcount"));
    json_decref (reply);
    ck_assert (!s_topology_record ("other") && !s_topology_record ("text"));

    //  The CLI reports nimbus's errors on one line and exits 1.
    char *output;
    ck_assert_int_eq (s_cli (&output, (const char *[]){"kill", "nope", NULL}), 1);
    ck_assert_str_eq (output, "storm-submit: no topology named 'nope'\n");
    free (output);
    free (package);
    free (id);
}
END_TEST

//  A package whose squall_topology() never returns: nimbus answers other
//  requests while it validates, refuses the submit once
//  nimbus.validation.timeout.secs is over (2 s here), and serves on.
START_TEST (test_validation_timeout)
{
    s_stop_nimbus (SIGTERM);
    s_start_nimbus ((const char *[]){"nimbus.validation.timeout.secs=2", NULL});
    size_t size;
    void *package = s_read_file (s_build_path ("tests/integration/.libs/bad_topology.so"), &size);
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (package, size, checksum);
    json_t *request =
        json_pack ("{s:i, s:s, s:s, s:{s:s}, s:s}", "version", 1, "verb", "submit", "name", "stuck",
                   "config", "bad.behaviour", "hang", "checksum", checksum);
    char *text = json_dumps (request, JSON_COMPACT);
    json_decref (request);
    //  The submit goes on a socket of its own, so it can wait while the
    //  test's client asks for the list.
    zsock_t *dealer = zsock_new_dealer (s_nimbus);
    ck_assert (dealer);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, text);
    zmsg_addmem (msg, package, size);
    long long sent = test_processes_now_ms ();
    ck_assert (zmsg_send (&msg, dealer) == 0);
    free (text);
    free (package);

    json_t *reply = s_list ();
    ck_assert_msg (!(zsock_events (dealer) & ZMQ_POLLIN),
                   "the submit was answered before the list");
    ck_assert (!s_listed (reply, "stuck"));
    json_decref (reply);

    zsock_set_rcvtimeo (dealer, WAIT_MS);
    char *answer = zstr_recv (dealer);
    long long waited = test_processes_now_ms () - sent;
    ck_assert_msg (answer, "no answer to the submit within %d ms", WAIT_MS);
    reply = json_loads (answer, 0, NULL);
    const char *error = json_string_value (json_object_get (reply, "error"));
    ck_assert_msg (json_is_false (json_object_get (reply, "ok")) && error &&
                       strstr (error, "the package took longer than 2 s to build and validate"),
                   "answer: %s", answer);
    ck_assert_msg (waited >= 2000, "refused after %lld ms, before the timeout", waited);
    json_decref (reply);
    zstr_free (&answer);
    zsock_destroy (&dealer);

    //  Nothing of it stayed, and nimbus serves on: the name is free and a
    //  good package goes through.
    ck_assert (!s_topology_record ("stuck"));
    char *id = s_submit_wordcount ("stuck", 1);
    reply = s_list ();
    ck_assert (s_listed (reply, "stuck"));
    json_decref (reply);
    free (id);
}
END_TEST

START_TEST (test_kill)
{
    char *id = s_submit_wordcount ("wordcount", 1);
    char package_path[700];
    snprintf (package_path, sizeof package_path, "%s/local/nimbus/packages/%s.so", s_dir, id);
    ck_assert (access (package_path, R_OK) == 0);

    json_t *reply = s_request (
        json_pack ("{s:s, s:s, s:f}", "verb", "kill", "name", "wordcount", "wait_secs", 1.5), NULL,
        0, NULL, NULL);
    ck_assert_msg (reply, "%s", sq_last_error ());
    json_decref (reply);
    //  Killed at once: the record says so, workers deactivate their spouts.
    sq_topology_record_t *record = s_topology_record ("wordcount");
    ck_assert (record);
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_KILLED);
    sq_topology_record_destroy (&record);
    reply = s_list ();
    ck_assert_str_eq (json_string_value (json_object_get (s_listed (reply, "wordcount"), "status")),
                      "killed");
    json_decref (reply);
    s_expect_error (json_pack ("{s:s, s:s}", "verb", "kill", "name", "wordcount"), NULL, 0,
                    "is being killed");
    s_expect_error (json_pack ("{s:s, s:s}", "verb", "activate", "name", "wordcount"), NULL, 0,
                    "is being killed");

    //  After the wait, the records and the package are gone.
    long long deadline = test_processes_now_ms () + WAIT_MS;
    char *topology = NULL, *assignment = NULL;
    do {
        free (topology);
        free (assignment);
        usleep (100000);
        topology = s_node ("/topologies/wordcount");
        assignment = s_node ("/assignments/wordcount");
    } while ((topology || assignment) && test_processes_now_ms () < deadline);
    ck_assert_msg (!topology && !assignment, "records still there after the kill");
    ck_assert_msg (access (package_path, F_OK) != 0, "package still there after the kill");
    reply = s_list ();
    ck_assert_int_eq (json_array_size (json_object_get (reply, "topologies")), 0);
    json_decref (reply);

    //  The name is free again.
    free (id);
    id = s_submit_wordcount ("wordcount", 1);
    free (id);
}
END_TEST

//  A second nimbus on the same storm.local.dir (the same config) exits 1
//  at once, naming the directory and the first one's pid, and the first
//  keeps serving. A --pid-file holds nimbus's pid while it runs and is
//  gone once SIGTERM stopped it.
START_TEST (test_one_nimbus_per_local_dir)
{
    char log[600], expected[2048];
    snprintf (log, sizeof log, "%s/second-nimbus.log", s_dir);
    pid_t pid = fork ();
    ck_assert (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        FILE *out = freopen (log, "w", stdout);
        if (out)
            dup2 (fileno (out), 2);
        const char *binary = s_build_path ("nimbus/nimbus");
        execl (binary, binary, "--config", s_config, (char *) NULL);
        _exit (127);
    }
    int status = 0;
    long long deadline = test_processes_now_ms () + WAIT_MS;
    pid_t done;
    while ((done = waitpid (pid, &status, WNOHANG)) == 0 && test_processes_now_ms () < deadline)
        usleep (10000);
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        ck_abort_msg ("a second nimbus on the same storm.local.dir kept running");
    }
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 1, "status %d", status);
    size_t size;
    char *said = s_read_file (log, &size);
    snprintf (expected, sizeof expected,
              "nimbus: storm.local.dir '%s/local' is in use by another nimbus (pid %d holds "
              "%s/local/nimbus.lock)\n",
              s_dir, (int) s_nimbus_pid, s_dir);
    ck_assert_str_eq (said, expected);
    free (said);
    json_t *reply = s_list ();
    ck_assert_msg (reply, "the first nimbus stopped serving");
    json_decref (reply);

    char pid_file[600], pid_text[32];
    snprintf (pid_file, sizeof pid_file, "%s/nimbus.pid", s_dir);
    s_stop_nimbus (SIGTERM);
    s_pid_file = pid_file;
    s_start_nimbus (NULL);
    s_pid_file = NULL;
    said = s_read_file (pid_file, &size);
    snprintf (pid_text, sizeof pid_text, "%d\n", (int) s_nimbus_pid);
    ck_assert_str_eq (said, pid_text);
    free (said);
    kill (s_nimbus_pid, SIGTERM);
    deadline = test_processes_now_ms () + WAIT_MS;
    while ((done = waitpid (s_nimbus_pid, &status, WNOHANG)) == 0 &&
           test_processes_now_ms () < deadline)
        usleep (10000);
    ck_assert_msg (done == s_nimbus_pid, "nimbus did not stop on SIGTERM");
    s_nimbus_pid = 0;
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    ck_assert_msg (access (pid_file, F_OK) != 0, "%s is still there", pid_file);
}
END_TEST

START_TEST (test_restart)
{
    char *id = s_submit_wordcount ("wordcount", 2);
    char *before = s_node ("/assignments/wordcount");
    ck_assert (before);

    //  A crash: nothing is cleaned up.
    s_stop_nimbus (SIGKILL);
    s_start_nimbus (NULL);

    json_t *reply = s_list ();
    json_t *entry = s_listed (reply, "wordcount");
    ck_assert (entry);
    ck_assert_str_eq (json_string_value (json_object_get (entry, "id")), id);
    ck_assert_str_eq (json_string_value (json_object_get (entry, "status")), "active");
    ck_assert_int_eq (json_integer_value (json_object_get (entry, "workers")), 2);
    json_decref (reply);

    //  Some monitor rounds later the assignment is still the same bytes.
    usleep (2500000);
    char *after = s_node ("/assignments/wordcount");
    ck_assert (after);
    ck_assert_str_eq (after, before);
    //  The package survived the restart.
    void *package = NULL;
    size_t size = 0;
    reply = s_request (json_pack ("{s:s, s:s}", "verb", "download", "id", id), NULL, 0, &package,
                       &size);
    ck_assert_msg (reply && size > 0, "download after restart: %s", sq_last_error ());
    json_decref (reply);
    free (package);
    //  And the restarted nimbus knows the executors again: rebalance works.
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (!(reply = s_request (json_pack ("{s:s, s:s, s:i, s:i}", "verb", "rebalance", "name",
                                           "wordcount", "workers", 3, "wait_secs", 0),
                                NULL, 0, NULL, NULL)) &&
           strstr (sq_last_error (), "cannot be rebalanced yet") &&
           test_processes_now_ms () < deadline)
        usleep (100000);
    ck_assert_msg (reply, "rebalance after restart: %s", sq_last_error ());
    json_decref (reply);
    free (before);
    free (after);
    free (id);
}
END_TEST

START_TEST (test_rebalance)
{
    char *id = s_submit_wordcount ("wordcount", 1);
    sq_assignment_t *before = s_assignment ("wordcount");
    ck_assert_int_eq (before->worker_count, 1);

    char *output;
    ck_assert_int_eq (
        s_cli (&output, (const char *[]){"rebalance", "wordcount", "-n", "3", "-w", "1", NULL}), 0);
    free (output);
    //  During the wait the spouts are off, and list says why.
    sq_topology_record_t *record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_INACTIVE);
    sq_topology_record_destroy (&record);
    json_t *reply = s_list ();
    ck_assert_str_eq (json_string_value (json_object_get (s_listed (reply, "wordcount"), "status")),
                      "rebalancing");
    json_decref (reply);

    long long deadline = test_processes_now_ms () + WAIT_MS;
    sq_assignment_t *after = NULL;
    do {
        sq_assignment_destroy (&after);
        usleep (100000);
        after = s_assignment ("wordcount");
    } while (after->worker_count != 3 && test_processes_now_ms () < deadline);
    ck_assert_int_eq (after->worker_count, 3);
    ck_assert_int_gt (after->generation, before->generation);
    ck_assert_int_eq (sq_assignment_executor_count (after), 7);
    //  Back to active, with the new worker count.
    deadline = test_processes_now_ms () + WAIT_MS;
    do {
        sq_topology_record_destroy (&record);
        usleep (50000);
        record = s_topology_record ("wordcount");
    } while (record->status != SQ_TOPOLOGY_ACTIVE && test_processes_now_ms () < deadline);
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    ck_assert_int_eq (record->workers, 3);
    sq_topology_record_destroy (&record);
    sq_assignment_destroy (&before);
    sq_assignment_destroy (&after);
    free (id);
}
END_TEST

START_TEST (test_lost_supervisor)
{
    s_supervisor_2 = sq_zk_new (s_zk_endpoint, s_root, 10000, 10000);
    ck_assert (s_supervisor_2);
    s_register_supervisor (s_supervisor_2, "sup-2", 6800);
    //  Nimbus sees it through its watch.
    ck_assert_msg (s_nimbus_logged ("supervisor joined id=sup-2"), "nimbus did not see sup-2");
    char *id = s_submit_wordcount ("wordcount", 2);
    sq_assignment_t *before = s_assignment ("wordcount");
    ck_assert_int_eq (before->worker_count, 2);
    ck_assert_msg (sq_assignment_supervisor_slots (before, "sup-2", NULL, 0) == 1,
                   "the workers are not spread over both supervisors");

    //  sup-2's session ends: its node goes, and its executors move.
    sq_zk_destroy (&s_supervisor_2);
    long long deadline = test_processes_now_ms () + WAIT_MS;
    sq_assignment_t *after = NULL;
    do {
        sq_assignment_destroy (&after);
        usleep (100000);
        after = s_assignment ("wordcount");
    } while (sq_assignment_supervisor_slots (after, "sup-2", NULL, 0) > 0 &&
             test_processes_now_ms () < deadline);
    ck_assert_int_eq (sq_assignment_supervisor_slots (after, "sup-2", NULL, 0), 0);
    ck_assert_int_eq (sq_assignment_executor_count (after), 7);
    ck_assert_int_eq (after->generation, before->generation + 1);
    //  What ran on sup-1 stays where it was.
    const sq_assignment_worker_t *kept = NULL;
    for (size_t w = 0; w < before->worker_count; w++)
        if (strcmp (before->workers[w].supervisor_id, "sup-1") == 0)
            kept = &before->workers[w];
    ck_assert (kept);
    for (size_t e = 0; e < kept->executor_count; e++) {
        const sq_assignment_worker_t *now =
            sq_assignment_find_task (after, kept->executors[e].first_task);
        ck_assert (now && now->port == kept->port && strcmp (now->supervisor_id, "sup-1") == 0);
    }
    sq_assignment_destroy (&before);
    sq_assignment_destroy (&after);
    free (id);
}
END_TEST

START_TEST (test_dead_worker)
{
    //  A short task timeout for this test.
    s_stop_nimbus (SIGTERM);
    s_start_nimbus ((const char *[]){"nimbus.task.timeout.secs=2", NULL});
    char *id = s_submit_wordcount ("wordcount", 1);
    sq_assignment_t *before = s_assignment ("wordcount");
    ck_assert_int_eq (before->worker_count, 1);
    int port = before->workers[0].port;

    //  The worker heartbeats: it stays where it is, well past the timeout.
    //  Its counters show in the list, but cannot replace the list's own
    //  fields, whatever names a worker gives them.
    long long until = test_processes_now_ms () + 4000;
    while (test_processes_now_ms () < until) {
        json_t *heartbeat =
            json_pack ("{s:s, s:s, s:s, s:s, s:i, s:i, s:{s:i, s:s, s:i}}", "verb", "heartbeat",
                       "topology", "wordcount", "id", id, "supervisor", "sup-1", "port", port,
                       "uptime_secs", 1, "stats", "acked", 7, "name", "forged", "workers", 99);
        ck_assert_int_eq (sq_control_send (s_control, heartbeat), 0);
        json_decref (heartbeat);
        usleep (300000);
    }
    json_t *reply = s_list ();
    json_t *entry = s_listed (reply, "wordcount");
    ck_assert_msg (entry, "the heartbeat renamed the topology in the list");
    ck_assert_int_eq (json_integer_value (json_object_get (entry, "acked")), 7);
    ck_assert_int_eq (json_integer_value (json_object_get (entry, "workers")), 1);
    json_decref (reply);
    sq_assignment_t *after = s_assignment ("wordcount");
    ck_assert_int_eq (after->generation, before->generation);
    ck_assert_int_eq (after->workers[0].port, port);

    //  It falls silent: its executors move to another slot.
    long long deadline = test_processes_now_ms () + WAIT_MS;
    do {
        sq_assignment_destroy (&after);
        usleep (100000);
        after = s_assignment ("wordcount");
    } while (after->workers[0].port == port && test_processes_now_ms () < deadline);
    ck_assert_int_ne (after->workers[0].port, port);
    ck_assert_int_eq (after->worker_count, 1);
    ck_assert_int_eq (after->generation, before->generation + 1);
    ck_assert_int_eq (sq_assignment_executor_count (after), 7);
    sq_assignment_destroy (&before);
    sq_assignment_destroy (&after);
    free (id);
}
END_TEST

START_TEST (test_session_expiry)
{
    //  A short session, so that freezing nimbus expires it.
    s_stop_nimbus (SIGTERM);
    s_start_nimbus ((const char *[]){"storm.zookeeper.session.timeout=1000", NULL});
    char *id = s_submit_wordcount ("wordcount", 1);

    //  Frozen past its session timeout: ZooKeeper ends the session and its
    //  watches. A supervisor joins meanwhile.
    ck_assert_int_eq (kill (s_nimbus_pid, SIGSTOP), 0);
    usleep (3000000);
    s_supervisor_2 = sq_zk_new (s_zk_endpoint, s_root, 10000, 10000);
    ck_assert (s_supervisor_2);
    s_register_supervisor (s_supervisor_2, "sup-2", 6800);
    ck_assert_int_eq (kill (s_nimbus_pid, SIGCONT), 0);

    //  Thawed, nimbus opens a new session and reads the cluster again: it
    //  serves, knows its topology, and follows the supervisors with a new
    //  watch, so that sup-1 leaving moves the executors to sup-2.
    json_t *reply = s_list ();
    ck_assert (s_listed (reply, "wordcount"));
    json_decref (reply);
    ck_assert_msg (s_nimbus_logged ("state re-read"), "nimbus did not open a new session");
    ck_assert_int_eq (sq_zk_delete (s_zk, "/supervisors/sup-1", false), 0);
    long long deadline = test_processes_now_ms () + WAIT_MS;
    sq_assignment_t *after = NULL;
    do {
        sq_assignment_destroy (&after);
        usleep (100000);
        after = s_assignment ("wordcount");
    } while (sq_assignment_supervisor_slots (after, "sup-2", NULL, 0) == 0 &&
             test_processes_now_ms () < deadline);
    ck_assert_msg (sq_assignment_supervisor_slots (after, "sup-2", NULL, 0) == 1,
                   "the executors did not move to sup-2 after the session was renewed");
    ck_assert_str_eq (after->topology_id, id);
    sq_assignment_destroy (&after);
    free (id);
}
END_TEST

//  ---------------------------------------------------------------------

//  The REST API's answers agree with what the test made and ZooKeeper
//  holds: one supervisor of 4 slots, word count on 2 workers.
START_TEST (test_rest_answers)
{
    char *id = s_submit_wordcount ("wordcount", 2);
    sq_assignment_t *assignment = s_assignment ("wordcount");
    ck_assert (assignment);

    json_t *answer = s_http_get ("/api/v1/cluster/summary");
    ck_assert_int_eq (s_int (answer, "supervisors"), 1);
    ck_assert_int_eq (s_int (answer, "topologies"), 1);
    ck_assert_int_eq (s_int (answer, "slotsTotal"), 4);
    ck_assert_int_eq (s_int (answer, "slotsUsed"), 2);
    ck_assert_int_eq (s_int (answer, "slotsFree"), 2);
    ck_assert_int_eq (s_int (answer, "executorsTotal"), 7);
    ck_assert_int_eq (s_int (answer, "tasksTotal"), 7);
    ck_assert_int_ge (s_int (answer, "nimbusUptimeSeconds"), 0);
    s_string (answer, "nimbusUptime");
    json_decref (answer);

    answer = s_http_get ("/api/v1/nimbus/summary");
    json_t *nimbus = json_array_get (json_object_get (answer, "nimbuses"), 0);
    ck_assert_int_eq (s_int (nimbus, "port"), s_port);
    ck_assert_str_eq (s_string (nimbus, "host"), "127.0.0.1");
    ck_assert_str_eq (s_string (nimbus, "status"), "Leader");
    json_decref (answer);

    answer = s_http_get ("/api/v1/supervisor/summary");
    ck_assert_int_eq (json_array_size (json_object_get (answer, "supervisors")), 1);
    json_t *supervisor = http_client_entry (json_object_get (answer, "supervisors"), "id", "sup-1");
    ck_assert (supervisor);
    ck_assert_str_eq (s_string (supervisor, "host"), "127.0.0.1");
    ck_assert_int_eq (s_int (supervisor, "slotsTotal"), 4);
    ck_assert_int_eq (s_int (supervisor, "slotsUsed"), 2);
    json_decref (answer);

    answer = s_http_get ("/api/v1/topology/summary");
    ck_assert_int_eq (json_array_size (json_object_get (answer, "topologies")), 1);
    json_t *summary = http_client_entry (json_object_get (answer, "topologies"), "id", id);
    ck_assert (summary);
    ck_assert_str_eq (s_string (summary, "name"), "wordcount");
    ck_assert_str_eq (s_string (summary, "status"), "ACTIVE");
    ck_assert_int_eq (s_int (summary, "workersTotal"), 2);
    ck_assert_int_eq (s_int (summary, "executorsTotal"), 7);
    ck_assert_int_eq (s_int (summary, "tasksTotal"), 7);
    json_decref (answer);

    //  The topology: components split into spouts and bolts, the acker
    //  only with sys=1, workers where the assignment put them.
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s", id);
    answer = s_http_get (path);
    ck_assert_str_eq (s_string (answer, "id"), id);
    ck_assert_str_eq (s_string (answer, "window"), ":all-time");
    ck_assert_int_eq (s_int (answer, "msgTimeout"), 30);
    json_t *spouts = json_object_get (answer, "spouts");
    json_t *bolts = json_object_get (answer, "bolts");
    ck_assert_int_eq (json_array_size (spouts), 1);
    ck_assert_int_eq (s_int (http_client_entry (spouts, "spoutId", "sentences"), "executors"), 1);
    ck_assert_int_eq (json_array_size (bolts), 3);
    ck_assert_int_eq (s_int (http_client_entry (bolts, "boltId", "split"), "executors"), 2);
    ck_assert_int_eq (s_int (http_client_entry (bolts, "boltId", "count"), "tasks"), 2);
    ck_assert_int_eq (s_int (http_client_entry (bolts, "boltId", "report"), "executors"), 1);
    ck_assert_ptr_null (http_client_entry (bolts, "boltId", SQ_ACKER_COMPONENT));
    json_t *workers = json_object_get (answer, "workers");
    ck_assert_int_eq (json_array_size (workers), 2);
    json_int_t executors = 0;
    for (size_t w = 0; w < 2; w++) {
        json_t *worker = json_array_get (workers, w);
        ck_assert_str_eq (s_string (worker, "supervisorId"), "sup-1");
        ck_assert (sq_assignment_find_slot (assignment, "sup-1", (int) s_int (worker, "port")));
        executors += s_int (worker, "executorsTotal");
    }
    ck_assert_int_eq (executors, 7);
    json_t *configuration = json_object_get (answer, "configuration");
    ck_assert_int_eq (s_int (configuration, "topology.workers"), 2);
    ck_assert_str_eq (s_string (configuration, "storm.id"), id);
    ck_assert (json_is_array (json_object_get (answer, "topologyStats")));
    json_decref (answer);
    snprintf (path, sizeof path, "/api/v1/topology/%s?sys=1&window=600", id);
    answer = s_http_get (path);
    ck_assert_str_eq (s_string (answer, "window"), "600");
    ck_assert_str_eq (s_string (answer, "windowHint"), "10m 0s");
    ck_assert (http_client_entry (json_object_get (answer, "bolts"), "boltId", SQ_ACKER_COMPONENT));
    json_decref (answer);

    //  A component, and its executors' places.
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/split", id);
    answer = s_http_get (path);
    ck_assert_str_eq (s_string (answer, "componentType"), "bolt");
    ck_assert_str_eq (s_string (answer, "topologyId"), id);
    ck_assert_int_eq (s_int (answer, "executors"), 2);
    json_t *executor_stats = json_object_get (answer, "executorStats");
    ck_assert_int_eq (json_array_size (executor_stats), 2);
    for (size_t e = 0; e < 2; e++) {
        json_t *executor = json_array_get (executor_stats, e);
        ck_assert_str_eq (s_string (executor, "host"), "127.0.0.1");
        s_string (executor, "id");
        ck_assert (sq_assignment_find_slot (assignment, "sup-1", (int) s_int (executor, "port")));
    }
    json_decref (answer);
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/sentences", id);
    answer = s_http_get (path);
    ck_assert_str_eq (s_string (answer, "componentType"), "spout");
    json_decref (answer);

    //  The visualization: each bolt's inputs.
    snprintf (path, sizeof path, "/api/v1/topology/%s/visualization", id);
    answer = s_http_get (path);
    json_t *split_inputs = json_object_get (json_object_get (answer, "split"), ":inputs");
    ck_assert_int_eq (json_array_size (split_inputs), 1);
    ck_assert_str_eq (s_string (json_array_get (split_inputs, 0), ":component"), "sentences");
    ck_assert_str_eq (s_string (json_array_get (split_inputs, 0), ":grouping"), "shuffle");
    ck_assert_str_eq (s_string (json_object_get (answer, "sentences"), ":type"), "spout");
    json_decref (answer);

    //  Unknown ids are 404.
    s_http_error ("GET", "/api/v1/topology/no-such-id", NULL, 404);
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/nope", id);
    s_http_error ("GET", path, NULL, 404);

    //  Prometheus.
    char *text;
    ck_assert_int_eq (s_http_raw ("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                  strlen ("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: "
                                          "close\r\n\r\n"),
                                  &text),
                      200);
    ck_assert_msg (strstr (text, "\r\nContent-Type: text/plain; version=0.0.4") &&
                       strstr (text, "\nsquall_supervisors 1\n") &&
                       strstr (text, "\nsquall_slots 4\n") &&
                       strstr (text, "\nsquall_slots_used 2\n") &&
                       strstr (text, "\n# TYPE squall_topology_workers gauge\n") &&
                       strstr (text, "\nsquall_topology_workers{topology=\"wordcount\"} 2\n") &&
                       strstr (text, "\nsquall_topology_executors{topology=\"wordcount\"} 7\n"),
                   "/metrics: %s", text);
    free (text);

    sq_assignment_destroy (&assignment);
    free (id);
}
END_TEST

//  ---------------------------------------------------------------------
//  Metrics carried by heartbeats, in the REST answers and /metrics

//  A histogram's JSON form holding count values of value_ns each.
static json_t *
s_latencies (int count, uint64_t value_ns)
{
    sq_histogram_t *histogram = sq_histogram_new ();
    for (int v = 0; v < count; v++)
        sq_histogram_record (histogram, value_ns);
    json_t *json = sq_histogram_encode (histogram);
    sq_histogram_destroy (&histogram);
    return json;
}

//  A heartbeat's metrics: the spout "sentences" (tasks spout_task) and
//  the first "split" executor (tasks split_first..split_last), up for
//  uptime_secs, with the cumulative counts given; error: one error of the
//  spout's task, or none.
static json_t *
s_metrics (int spout_task, int split_first, int split_last, int uptime_secs, int emitted, int acked,
           int failed, int timed_out, bool error)
{
    json_t *errors =
        error ? json_pack ("[{s:I, s:i, s:s}]", "time_ms", (json_int_t) time (NULL) * 1000, "task",
                           spout_task, "error", "spout trouble")
              : json_array ();
    json_t *spout = json_pack (
        "{s:s, s:b, s:[i,i], s:I, s:i, s:{s:i, s:i}, s:{s:i, s:i, s:i}, s:[{s:s, s:i, s:i, s:i, "
        "s:i, s:i, s:o}], s:[], s:o, s:[]}",
        "component", "sentences", "spout", 1, "tasks", spout_task, spout_task, "uptime_ns",
        (json_int_t) uptime_secs * 1000000000, "errors_total", error ? 1 : 0, "queue", "population",
        0, "capacity", 1024, "held_ns", "max_pending", 0, "backpressure", 0, "inactive", 0,
        "streams", "stream", "default", "emitted", emitted, "transferred", emitted, "acked", acked,
        "failed", failed, "timed_out", timed_out, "complete_latency", s_latencies (acked, 2000000),
        "inputs", "errors", errors, "user");
    json_t *split = json_pack (
        "{s:s, s:b, s:[i,i], s:I, s:i, s:{s:i, s:i}, s:{s:i, s:i, s:i}, s:[], s:[{s:s, s:s, s:i, "
        "s:i, s:i, s:o, s:o}], s:[], s:[]}",
        "component", "split", "spout", 0, "tasks", split_first, split_last, "uptime_ns",
        (json_int_t) uptime_secs * 1000000000, "errors_total", 0, "queue", "population", 2,
        "capacity", 1024, "held_ns", "max_pending", 0, "backpressure", 0, "inactive", 0, "streams",
        "inputs", "component", "sentences", "stream", "default", "executed", emitted, "acked",
        emitted - 1, "failed", 1, "execute_latency", s_latencies (emitted, 1000000),
        "process_latency", s_latencies (emitted, 1000000), "errors", "user");
    ck_assert (spout && split);
    return json_pack ("{s:i, s:i, s:[o, o]}", "v", 1, "omitted", 0, "executors", spout, split);
}

//  The first and last task of the first executor of component.
static void
s_executor_tasks (const char *id, const char *component, int *first_p, int *last_p)
{
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/%s", id, component);
    json_t *answer = s_http_get (path);
    const char *executor =
        s_string (json_array_get (json_object_get (answer, "executorStats"), 0), "id");
    ck_assert_int_eq (sscanf (executor, "[%d-%d]", first_p, last_p), 2);
    json_decref (answer);
}

//  The :all-time entry of a topology's topologyStats.
static json_int_t
s_all_time (const char *id, const char *key)
{
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s", id);
    json_t *answer = s_http_get (path);
    json_t *stats =
        http_client_entry (json_object_get (answer, "topologyStats"), "window", ":all-time");
    json_int_t value = stats ? s_int (stats, key) : -1;
    json_decref (answer);
    return value;
}

//  Send a heartbeat with metrics until the topology's all-time emitted
//  is expected (heartbeats are not answered; resending the same
//  cumulative counts adds nothing).
static void
s_send_metrics_until (const char *id, int port, json_t *metrics, json_int_t expected)
{
    long long deadline = test_processes_now_ms () + 10000;
    json_int_t seen = -1;
    while (seen != expected && test_processes_now_ms () < deadline) {
        json_t *heartbeat = json_pack ("{s:s, s:s, s:s, s:s, s:i, s:i, s:O}", "verb", "heartbeat",
                                       "topology", "wordcount", "id", id, "supervisor", "sup-1",
                                       "port", port, "uptime_secs", 1, "metrics", metrics);
        ck_assert_int_eq (sq_control_send (s_control, heartbeat), 0);
        json_decref (heartbeat);
        seen = s_all_time (id, "emitted");
        if (seen != expected)
            usleep (100000);
    }
    ck_assert_int_eq (seen, expected);
}

//  Heartbeats with metrics from the one worker of word count, then the
//  same worker restarted: the REST answers and /metrics hold the exact
//  sums, the restart adding to them, never subtracting.
START_TEST (test_rest_metrics)
{
    char *id = s_submit_wordcount ("wordcount", 1);
    sq_assignment_t *assignment = s_assignment ("wordcount");
    int port = assignment->workers[0].port;
    int spout_task, spout_last, split_first, split_last;
    s_executor_tasks (id, "sentences", &spout_task, &spout_last);
    s_executor_tasks (id, "split", &split_first, &split_last);

    json_t *metrics = s_metrics (spout_task, split_first, split_last, 10, 40, 30, 3, 2, true);
    s_send_metrics_until (id, port, metrics, 40);
    json_decref (metrics);
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/sentences", id);
    json_t *answer = s_http_get (path);
    json_t *errors = json_object_get (answer, "componentErrors");
    ck_assert_int_eq (json_array_size (errors), 1);
    ck_assert_str_eq (s_string (json_array_get (errors, 0), "error"), "spout trouble");
    ck_assert_int_eq (s_int (json_array_get (errors, 0), "errorPort"), port);
    json_decref (answer);

    //  The worker restarted: its counts start again from 0.
    metrics = s_metrics (spout_task, split_first, split_last, 3, 10, 9, 1, 0, false);
    s_send_metrics_until (id, port, metrics, 50);
    json_decref (metrics);

    snprintf (path, sizeof path, "/api/v1/topology/%s", id);
    answer = s_http_get (path);
    json_t *stats = json_object_get (answer, "topologyStats");
    ck_assert_int_eq (json_array_size (stats), 4);
    const char *windows[] = {"600", "10800", "86400", ":all-time"};
    for (size_t w = 0; w < 4; w++) {
        json_t *entry = http_client_entry (stats, "window", windows[w]);
        ck_assert_msg (entry, "no topologyStats entry for window %s", windows[w]);
        ck_assert_int_eq (s_int (entry, "emitted"), 50);
        ck_assert_int_eq (s_int (entry, "acked"), 39);
        ck_assert_int_eq (s_int (entry, "failed"), 6); //  fails plus timeouts
        ck_assert_int_eq (s_int (entry, "timedOut"), 2);
        ck_assert_str_eq (s_string (entry, "completeLatency"), "2.000");
    }
    json_t *spout = http_client_entry (json_object_get (answer, "spouts"), "spoutId", "sentences");
    ck_assert_int_eq (s_int (spout, "emitted"), 50);
    ck_assert_int_eq (s_int (spout, "acked"), 39);
    ck_assert_int_eq (s_int (spout, "failed"), 6);
    ck_assert_int_eq (s_int (spout, "timedOut"), 2);
    json_t *split = http_client_entry (json_object_get (answer, "bolts"), "boltId", "split");
    ck_assert_int_eq (s_int (split, "executed"), 50);
    ck_assert_int_eq (s_int (split, "acked"), 48);
    ck_assert_int_eq (s_int (split, "failed"), 2);
    ck_assert_str_eq (s_string (split, "executeLatency"), "1.000");
    s_string (split, "capacity");
    json_decref (answer);

    snprintf (path, sizeof path, "/api/v1/topology/%s/component/split?window=600", id);
    answer = s_http_get (path);
    json_t *input = json_array_get (json_object_get (answer, "inputStats"), 0);
    ck_assert_str_eq (s_string (input, "component"), "sentences");
    ck_assert_str_eq (s_string (input, "stream"), "default");
    ck_assert_int_eq (s_int (input, "executed"), 50);
    ck_assert_int_eq (s_int (input, "failed"), 2);
    ck_assert_int_eq (json_array_size (json_object_get (answer, "boltStats")), 4);
    json_decref (answer);

    char *text;
    const char *request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq (s_http_raw (request, strlen (request), &text), 200);
    char *line = zsys_sprintf ("\nsquall_stream_emitted_tuples_total{topology=\"wordcount\","
                               "component=\"sentences\",task=\"%d-%d\",stream=\"default\"} 50\n",
                               spout_task, spout_last);
    ck_assert_msg (strstr (text, line), "/metrics lacks %s: %s", line, text);
    zstr_free (&line);
    line = zsys_sprintf ("\nsquall_stream_timed_out_trees_total{topology=\"wordcount\","
                         "component=\"sentences\",task=\"%d-%d\",stream=\"default\"} 2\n",
                         spout_task, spout_last);
    ck_assert_msg (strstr (text, line), "/metrics lacks %s: %s", line, text);
    zstr_free (&line);
    free (text);
    sq_assignment_destroy (&assignment);
    free (id);
}
END_TEST

//  The POST actions change what the control verbs change.
START_TEST (test_rest_actions)
{
    char *id = s_submit_wordcount ("wordcount", 1);
    char path[512];
    json_t *answer;

    snprintf (path, sizeof path, "/api/v1/topology/%s/deactivate", id);
    ck_assert_int_eq (s_http ("POST", path, NULL, &answer), 200);
    ck_assert_str_eq (s_string (answer, "topologyOperation"), "deactivate");
    ck_assert_str_eq (s_string (answer, "topologyId"), id);
    ck_assert_str_eq (s_string (answer, "status"), "success");
    json_decref (answer);
    sq_topology_record_t *record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_INACTIVE);
    sq_topology_record_destroy (&record);
    //  GET on an action: 405, saying what it takes.
    char *raw = zsys_sprintf ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    char *text;
    ck_assert_int_eq (s_http_raw (raw, strlen (raw), &text), 405);
    ck_assert_msg (strstr (text, "\r\nAllow: POST\r\n"), "%s", text);
    free (text);
    zstr_free (&raw);

    snprintf (path, sizeof path, "/api/v1/topology/%s/activate", id);
    ck_assert_int_eq (s_http ("POST", path, NULL, &answer), 200);
    json_decref (answer);
    record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    sq_topology_record_destroy (&record);
    s_http_error ("POST", "/api/v1/topology/no-such-id/activate", NULL, 404);

    //  Rebalance: a body Squall cannot honour is 400 and changes nothing;
    //  numWorkers is honoured.
    snprintf (path, sizeof path, "/api/v1/topology/%s/rebalance/0", id);
    s_http_error ("POST", path, "{\"rebalanceOptions\": {\"executors\": {\"split\": 4}}}", 400);
    s_http_error ("POST", path, "{not json", 400);
    record = s_topology_record ("wordcount");
    ck_assert_int_eq (record->rebalance_workers, 0);
    sq_topology_record_destroy (&record);
    ck_assert_int_eq (s_http ("POST", path, "{\"rebalanceOptions\": {\"numWorkers\": 2}}", &answer),
                      200);
    ck_assert_str_eq (s_string (answer, "topologyOperation"), "rebalance");
    json_decref (answer);
    long long deadline = test_processes_now_ms () + WAIT_MS;
    sq_assignment_t *assignment = NULL;
    do {
        sq_assignment_destroy (&assignment);
        usleep (50000);
        assignment = s_assignment ("wordcount");
    } while (assignment->worker_count != 2 && test_processes_now_ms () < deadline);
    ck_assert_int_eq (assignment->worker_count, 2);
    sq_assignment_destroy (&assignment);

    //  A body over ui.max.request.bytes: 413, whatever it holds.
    char *big = malloc (20001);
    memset (big, ' ', 20000);
    big[20000] = 0;
    s_http_error ("POST", path, big, 413);
    free (big);

    //  Kill: the status is killed at once, the records go after the wait.
    snprintf (path, sizeof path, "/api/v1/topology/%s/kill/0", id);
    ck_assert_int_eq (s_http ("POST", path, NULL, &answer), 200);
    ck_assert_str_eq (s_string (answer, "topologyOperation"), "kill");
    json_decref (answer);
    deadline = test_processes_now_ms () + WAIT_MS;
    while ((record = s_topology_record ("wordcount")) && test_processes_now_ms () < deadline) {
        sq_topology_record_destroy (&record);
        usleep (50000);
    }
    ck_assert_ptr_null (record);
    snprintf (path, sizeof path, "/api/v1/topology/%s", id);
    s_http_error ("GET", path, NULL, 404);
    free (id);
}
END_TEST

//  Hostile HTTP gets 4xx answers or a closed connection, idle
//  connections are closed after ui.connection.timeout.secs and do not
//  stop others from being served, and the control port serves on.
//  GET or HEAD path with extra headers (may be ""); the status, and the
//  whole answer in *answer_p (caller frees).
static int
s_http_plain (const char *method, const char *path, const char *headers, char **answer_p)
{
    char raw[2048];
    snprintf (raw, sizeof raw, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
              method, path, headers);
    int status = s_http_raw (raw, strlen (raw), answer_p);
    ck_assert_msg (status > 0, "%s %s: no HTTP answer", method, path);
    return status;
}

//  The value of header name in a whole answer, copied into value.
static const char *
s_header (const char *answer, const char *name, char *value, size_t size)
{
    char key[64];
    snprintf (key, sizeof key, "\r\n%s: ", name);
    const char *start = strstr (answer, key);
    ck_assert_msg (start, "no %s header in %s", name, answer);
    start += strlen (key);
    size_t length = strcspn (start, "\r\n");
    ck_assert (length < size);
    memcpy (value, start, length);
    value[length] = 0;
    return value;
}

START_TEST (test_web_ui)
{
    //  The pages and their files, from ui.dir, beside the API.
    char *answer;
    ck_assert_int_eq (s_http_plain ("GET", "/", "", &answer), 200);
    ck_assert_ptr_nonnull (strstr (answer, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
    ck_assert_ptr_nonnull (strstr (answer, "\r\nCache-Control: no-cache\r\n"));
    ck_assert_ptr_nonnull (strstr (answer, "\r\nContent-Security-Policy: default-src 'self'"));
    ck_assert_ptr_nonnull (strstr (http_client_body (answer), "id=\"topologies\""));
    char etag[64];
    s_header (answer, "ETag", etag, sizeof etag);
    //  The page links its script at its version, which may be cached for
    //  good; the bare address is revalidated.
    const char *link = strstr (http_client_body (answer), "/ui/common.js?v=");
    ck_assert_msg (link, "no versioned link in %s", answer);
    char versioned[64];
    snprintf (versioned, sizeof versioned, "%.*s", (int) strlen ("/ui/common.js?v=") + 16, link);
    free (answer);
    ck_assert_int_eq (s_http_plain ("GET", versioned, "", &answer), 200);
    ck_assert_ptr_nonnull (
        strstr (answer, "\r\nCache-Control: public, max-age=31536000, immutable\r\n"));
    free (answer);
    const char *pages[] = {"/topology.html", "/component.html", "/ui/common.js", "/ui/squall.css"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq (s_http_plain ("GET", pages[i], "", &answer), 200);
        ck_assert (strlen (http_client_body (answer)) > 100);
        free (answer);
    }
    //  Revalidation: the same tag gets 304 and no body; HEAD no body either.
    char condition[128];
    snprintf (condition, sizeof condition, "If-None-Match: %s\r\n", etag);
    ck_assert_int_eq (s_http_plain ("GET", "/", condition, &answer), 304);
    const char *body = http_client_body (answer);
    ck_assert (!body || !*body);
    free (answer);
    ck_assert_int_eq (s_http_plain ("HEAD", "/ui/topology.js", "", &answer), 200);
    body = http_client_body (answer);
    ck_assert (!body || !*body);
    free (answer);
    //  Paths that climb out of ui.dir, over the wire: nothing but 404.
    const char *hostile[] = {"/ui/../../README.md",     "/ui/%2e%2e/%2e%2e/README.md",
                             "/ui/..%2f..%2fREADME.md", "/ui/..%2F..%2Fconfigure.ac",
                             "/ui//etc/passwd",         "/ui/%2fetc%2fpasswd",
                             "/ui/../nimbus_server.c",  "/ui/Makemodule.am",
                             "/ui/index.html%00.js",    "/ui/./index.html"};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        int status = s_http_plain ("GET", hostile[i], "", &answer);
        ck_assert_msg (status == 404 || status == 400, "GET %s: %d", hostile[i], status);
        ck_assert_ptr_null (strstr (answer, "AC_INIT"));
        ck_assert_ptr_null (strstr (answer, "root:"));
        ck_assert_ptr_null (strstr (answer, "nimbus_server"));
        free (answer);
    }
    ck_assert_int_eq (s_http_plain ("POST", "/ui/common.js", "", &answer), 405);
    ck_assert_ptr_nonnull (strstr (answer, "\r\nAllow: GET, HEAD\r\n"));
    free (answer);
    //  The API is still the API.
    json_t *summary = s_http_get ("/api/v1/cluster/summary");
    json_decref (summary);
    s_http_error ("GET", "/api/v1/nothing", NULL, 404);
}
END_TEST

START_TEST (test_rest_hostile)
{
    //  Garbage instead of a request line.
    const char garbage[] = "\x01\x02\xff garbage \x7f\r\n\r\n";
    int status = s_http_raw (garbage, sizeof garbage - 1, NULL);
    ck_assert_msg (status >= 400 && status < 500, "garbage got %d", status);
    //  Headers larger than ui.connection.memory.bytes.
    size_t size = 100000;
    char *huge = malloc (size + 128);
    int length = snprintf (huge, 128, "GET /api/v1/cluster/summary HTTP/1.1\r\nX-Big: ");
    memset (huge + length, 'a', size);
    memcpy (huge + length + size, "\r\n\r\n", 5);
    status = s_http_raw (huge, strlen (huge), NULL);
    ck_assert_msg (status == 431 || status == 413, "huge headers got %d", status);
    //  A URL larger than that memory.
    length = snprintf (huge, 128, "GET /api/v1/topology/");
    memset (huge + length, 'b', size);
    memcpy (huge + length + size, " HTTP/1.1\r\n\r\n", 14);
    status = s_http_raw (huge, strlen (huge), NULL);
    ck_assert_msg (status == 414 || status == 431, "huge URL got %d", status);
    free (huge);
    //  Unknown paths, wrong methods, broken escapes: Storm's JSON errors.
    s_http_error ("GET", "/api/v1/nothing", NULL, 404);
    s_http_error ("DELETE", "/api/v1/cluster/summary", NULL, 405);
    s_http_error ("POST", "/metrics", NULL, 405);
    s_http_error ("GET", "/api/v1/topology/%zz", NULL, 400);
    s_http_error ("GET", "/api/v1/topology/..", NULL, 400);
    s_http_error ("GET", "/api/v1/cluster/summary?sys=maybe", NULL, 400);

    //  Forty idle connections, one with half a request line.
    int idle[40];
    for (int i = 0; i < 40; i++)
        idle[i] = s_http_connect ();
    ck_assert (send (idle[0], "GET /api/v1/clu", 15, MSG_NOSIGNAL) == 15);
    long long started = test_processes_now_ms ();
    json_t *answer = s_http_get ("/api/v1/cluster/summary");
    ck_assert_int_eq (s_int (answer, "supervisors"), 1);
    json_decref (answer);
    json_decref (s_list ());
    //  They are closed once idle for 2 s (ui.connection.timeout.secs).
    for (int i = 0; i < 40; i++) {
        struct pollfd item = {idle[i], POLLIN, 0};
        long long left = started + WAIT_MS - test_processes_now_ms ();
        ck_assert_msg (poll (&item, 1, left > 0 ? (int) left : 0) == 1,
                       "idle connection %d still open after %d ms", i, WAIT_MS);
        char byte;
        ck_assert_int_le (recv (idle[i], &byte, 1, 0), 0);
        close (idle[i]);
    }
    ck_assert_int_ge (test_processes_now_ms () - started, 1000);

    //  More idle connections than ui.max.connections (48): those over the
    //  limit wait or are closed; once they all go, nimbus serves again.
    //  (It once stayed deaf here: libmicrohttpd polls its listening
    //  socket again only at the start of a run that nothing triggered.)
    int crowd[60];
    for (int i = 0; i < 60; i++)
        crowd[i] = s_http_connect ();
    //  Not a check: whether this one is closed at once, answered once the
    //  crowd timed out, or neither depends on timing. It makes nimbus
    //  reach its limit before the crowd leaves.
    const char *request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    s_http_raw (request, strlen (request), NULL);
    for (int i = 0; i < 60; i++)
        close (crowd[i]);
    answer = s_http_get ("/api/v1/cluster/summary");
    json_decref (answer);

    //  After all that, both ports serve.
    answer = s_http_get ("/api/v1/topology/summary");
    ck_assert_int_eq (json_array_size (json_object_get (answer, "topologies")), 0);
    json_decref (answer);
    json_decref (s_list ());
    ck_assert (test_processes_alive (s_nimbus_pid));
}
END_TEST

static void
s_remove_base (void)
{
    if (getpid () != s_main_pid || !s_base[0])
        return;
    if (getenv ("SQ_TEST_KEEP"))
        fprintf (stderr, "test_nimbus: SQ_TEST_KEEP: leaving %s\n", s_base);
    else
        s_remove_tree (s_base);
}

int
main (void)
{
    const char *missing = zk_server_missing ();
    if (missing)
        return zk_server_skip ("test_nimbus", missing);
    s_main_pid = getpid ();
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_base, sizeof s_base, "%s/test_nimbus-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (s_base)) {
        perror ("test_nimbus: mkdtemp");
        return 1;
    }
    atexit (s_remove_base);
    zk_server_t *zk = zk_server_new (s_base);
    if (!zk)
        return 1;
    s_zk_endpoint = zk_server_endpoint (zk);

    Suite *suite = suite_create ("nimbus");
    TCase *tcase = tcase_create ("daemon");
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_set_timeout (tcase, 90);
    tcase_add_test (tcase, test_submit_and_list);
    tcase_add_test (tcase, test_oversized_frames_are_dropped);
    tcase_add_test (tcase, test_bad_requests);
    tcase_add_test (tcase, test_validation_timeout);
    tcase_add_test (tcase, test_kill);
    tcase_add_test (tcase, test_restart);
    tcase_add_test (tcase, test_one_nimbus_per_local_dir);
    tcase_add_test (tcase, test_rebalance);
    tcase_add_test (tcase, test_lost_supervisor);
    tcase_add_test (tcase, test_dead_worker);
    tcase_add_test (tcase, test_session_expiry);
    tcase_add_test (tcase, test_rest_answers);
    tcase_add_test (tcase, test_rest_metrics);
    tcase_add_test (tcase, test_rest_actions);
    tcase_add_test (tcase, test_rest_hostile);
    tcase_add_test (tcase, test_web_ui);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    zk_server_destroy (&zk);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
