/*  test_security - a cluster with CURVE on every link, attacked from outside

    A real ZooKeeper, nimbus, supervisor and workers (cluster_harness,
    secure), each its own process on 127.0.0.1. A client without keys, or
    with a key nimbus does not know, gets no answer at all: the handshake
    is refused and counted. A principal nimbus knows cannot forge the
    heartbeat of a topology's worker: only that topology's key may send
    it; the refusal is counted in /metrics. The workers' own heartbeats,
    sent with the topology key, keep being taken. A stranger that knows a
    worker's public key cannot connect to it. A principal nimbus knows
    cannot hold more connections than nimbus.max.connections.per.peer
    allows its address: the others get no answer, are counted, and logged
    once; clients from other addresses keep being answered. Unfinished
    frames it starts on many connections (a CURVE client written by hand
    here, since libzmq sends only whole frames) hold at most what its
    allowed connections may: nimbus's memory stays under that bound.
*/
#include "cluster_harness.h"
#include "http_client.h"
#include "sq_config.h"
#include "sq_control.h"
#include "sq_curve.h"
#include "sq_error.h"
#include "test_processes.h"

#include <arpa/inet.h>
#include <check.h>
#include <czmq.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cluster_harness_t *s_cluster;

static void
s_setup (void)
{
    s_cluster = cluster_harness_new_with (1, 2, &(cluster_harness_options_t){.secure = true});
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
}

#define S_PER_PEER 3 //  nimbus.max.connections.per.peer of the limits' nimbus
#define S_TRIES 6    //  connections mallory opens

static void
s_setup_limits (void)
{
    cluster_harness_options_t options = {
        .secure = true,
        .nimbus_config = "\"nimbus.max.connections.per.peer\": 3, \"nimbus.max.connections\": 64, "
                         "\"nimbus.package.max.bytes\": 8388608"};
    s_cluster = cluster_harness_new_with (1, 1, &options);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

//  The value of a counter in nimbus's /metrics, or -1 when absent.
static long long
s_metric (const char *name)
{
    char *answer = NULL;
    http_client_request (cluster_harness_ui_port (s_cluster), "GET", "/metrics", NULL, 5000,
                         &answer);
    char needle[256];
    snprintf (needle, sizeof needle, "\n%s ", name);
    const char *line = answer ? strstr (answer, needle) : NULL;
    long long value = line ? atoll (line + strlen (needle)) : -1;
    free (answer);
    return value;
}

//  Poll /metrics until counter name reaches at least minimum.
static long long
s_wait_metric (const char *name, long long minimum, int seconds)
{
    long long value = -1;
    for (int waited = 0; waited < seconds * 10; waited++) {
        value = s_metric (name);
        if (value >= minimum)
            break;
        usleep (100000);
    }
    return value;
}

//  Poll /metrics until sample name is exactly value; its last value.
static long long
s_wait_exact (const char *name, long long value, int seconds)
{
    long long now = -1;
    for (int waited = 0; waited < seconds * 10 && now != value; waited++) {
        now = s_metric (name);
        if (now != value)
            usleep (100000);
    }
    return now;
}

static json_t *
s_list (sq_control_t *control, int timeout_ms)
{
    json_t *list = json_pack ("{s:s}", "verb", "list");
    json_t *reply = sq_control_request (control, list, NULL, 0, timeout_ms, NULL, NULL);
    json_decref (list);
    return reply;
}

START_TEST (test_unkeyed_and_unknown_clients_get_nothing)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d",
              cluster_harness_nimbus_port (s_cluster));
    //  No keys at all: the handshake fails, and is counted.
    long long refused_before = s_wait_metric ("squall_nimbus_connections_refused_total", 0, 10);
    ck_assert_int_ge (refused_before, 0);
    sq_control_t *plain = sq_control_new (endpoint);
    json_t *reply = s_list (plain, 1500);
    ck_assert_msg (reply == NULL, "a client without keys got an answer");
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "did not answer"));
    sq_control_destroy (&plain);
    long long refused =
        s_wait_metric ("squall_nimbus_connections_refused_total", refused_before + 1, 10);
    ck_assert_int_gt (refused, refused_before);
    refused_before = refused;

    //  A key pair of its own and nimbus's public key, but a key nimbus
    //  does not know: refused at the handshake, and counted.
    char nimbus_public[4300];
    snprintf (nimbus_public, sizeof nimbus_public, "%s/keys/nimbus",
              cluster_harness_dir (s_cluster));
    zcert_t *server = sq_curve_load_cert (nimbus_public, false);
    ck_assert_ptr_nonnull (server);
    zcert_t *stranger = zcert_new ();
    sq_curve_t *curve = sq_curve_new (&stranger, zcert_public_txt (server));
    zcert_destroy (&server);
    sq_control_t *unknown = sq_control_new (endpoint);
    ck_assert_int_eq (sq_control_set_curve (unknown, curve), 0);
    sq_curve_destroy (&curve);
    reply = s_list (unknown, 1500);
    ck_assert_msg (reply == NULL, "a client with an unknown key got an answer");
    sq_control_destroy (&unknown);
    ck_assert_int_gt (
        s_wait_metric ("squall_nimbus_connections_refused_total", refused_before + 1, 10),
        refused_before);

    //  The principal nimbus knows is answered.
    sq_control_t *operator= cluster_harness_control (s_cluster);
    reply = s_list (operator, 5000);
    ck_assert_msg (reply != NULL, "the operator got no answer: %s", sq_last_error ());
    json_decref (reply);
    sq_control_destroy (&operator);
    //  storm-submit without keys gets no answer either.
    char *binary = cluster_harness_build_path ("storm-submit");
    char command[4400];
    snprintf (command, sizeof command, "%s --nimbus 127.0.0.1:%d --timeout 1 list 2>&1", binary,
              cluster_harness_nimbus_port (s_cluster));
    free (binary);
    FILE *pipe = popen (command, "r");
    char output[1024] = "";
    size_t size = pipe ? fread (output, 1, sizeof output - 1, pipe) : 0;
    output[size] = 0;
    int status = pipe ? pclose (pipe) : -1;
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 1, "storm-submit: %s", output);
    ck_assert_ptr_nonnull (strstr (output, "did not answer"));
}
END_TEST

START_TEST (test_forged_heartbeat_is_refused_and_counted)
{
    char *package = cluster_harness_build_path ("topologies/.libs/exclamation.so");
    ck_assert_ptr_nonnull (package);
    const char *args[] = {package, "exclaim", NULL};
    char *output = NULL;
    int status = cluster_harness_cli (s_cluster, &output, args);
    ck_assert_msg (status == 0, "submit failed: %s", output);
    free (output);
    free (package);

    //  The workers' heartbeats (topology key) are taken: counts show up.
    sq_control_t *operator= cluster_harness_control (s_cluster);
    char id[256] = "";
    long long emitted = 0;
    for (int waited = 0; waited < 600 && emitted == 0; waited++) {
        json_t *reply = s_list (operator, 5000);
        json_t *entry = json_array_get (json_object_get (reply, "topologies"), 0);
        if (entry) {
            snprintf (id, sizeof id, "%s", json_string_value (json_object_get (entry, "id")));
            emitted = json_integer_value (json_object_get (entry, "emitted"));
        }
        json_decref (reply);
        if (emitted == 0)
            usleep (100000);
    }
    ck_assert_msg (emitted > 0, "no heartbeat of the workers was taken");
    ck_assert_int_eq (s_metric ("squall_nimbus_heartbeats_refused_total"), 0);

    //  The operator (a key nimbus knows) forges one of them.
    int port = cluster_harness_slot_port (s_cluster, 0, 0);
    json_t *heartbeat =
        json_pack ("{s:s, s:s, s:s, s:s, s:i, s:i, s:{s:I}}", "verb", "heartbeat", "topology",
                   "exclaim", "id", id, "supervisor", cluster_harness_supervisor_id (s_cluster, 0),
                   "port", port, "uptime_secs", 1, "stats", "failed", (json_int_t) 999999999);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq (sq_control_send (operator, heartbeat), 0);
    json_decref (heartbeat);
    ck_assert_int_ge (s_wait_metric ("squall_nimbus_heartbeats_refused_total", 3, 10), 3);
    json_t *reply = s_list (operator, 5000);
    json_t *entry = json_array_get (json_object_get (reply, "topologies"), 0);
    ck_assert_ptr_nonnull (entry);
    ck_assert_int_lt (json_integer_value (json_object_get (entry, "failed")), 999999999);
    json_decref (reply);
    sq_control_destroy (&operator);
    //  Logged once for that peer, not once per heartbeat.
    char log[4300];
    snprintf (log, sizeof log, "%s/nimbus.log", cluster_harness_dir (s_cluster));
    FILE *file = fopen (log, "r");
    char line[2048];
    int lines = 0;
    while (file && fgets (line, sizeof line, file))
        lines += strstr (line, "heartbeat refused") != NULL;
    if (file)
        fclose (file);
    ck_assert_int_eq (lines, 1);

    //  A stranger that knows the worker's public key (the topology's)
    //  sends it frames: refused at the handshake, logged by the worker,
    //  which keeps running.
    int slot = cluster_harness_worker_pid (s_cluster, 0, 0) > 0 ? 0 : 1;
    pid_t worker = cluster_harness_worker_pid (s_cluster, 0, slot);
    ck_assert_int_gt (worker, 0);
    port = cluster_harness_slot_port (s_cluster, 0, slot);
    char key_path[4400];
    snprintf (key_path, sizeof key_path, "%s/nimbus-local/nimbus/packages/%s.key_secret",
              cluster_harness_dir (s_cluster), id);
    zcert_t *topology_key = sq_curve_load_cert (key_path, true);
    ck_assert_ptr_nonnull (topology_key);
    zcert_t *stranger = zcert_new ();
    zsock_t *push = zsock_new_push (NULL);
    zsock_set_linger (push, 0);
    zcert_apply (stranger, push);
    zsock_set_curve_serverkey (push, zcert_public_txt (topology_key));
    zsock_connect (push, "tcp://127.0.0.1:%d", port);
    zsock_send (push, "b", "SQ\x01injected", (size_t) 11);
    snprintf (log, sizeof log, "%s/supervisor-0-local/supervisor/workers/%d/worker.log",
              cluster_harness_dir (s_cluster), port);
    char needle[128];
    snprintf (needle, sizeof needle, "connection refused: key %s", zcert_public_txt (stranger));
    bool refused = false;
    for (int waited = 0; waited < 100 && !refused; waited++) {
        file = fopen (log, "r");
        while (file && !refused && fgets (line, sizeof line, file))
            refused = strstr (line, needle) != NULL;
        if (file)
            fclose (file);
        if (!refused)
            usleep (100000);
    }
    zsock_destroy (&push);
    zcert_destroy (&stranger);
    zcert_destroy (&topology_key);
    ck_assert_msg (refused, "the worker did not log the refusal of the stranger's key");
    ck_assert_int_eq (cluster_harness_worker_pid (s_cluster, 0, slot), worker);
}
END_TEST

//  Run binary with --config holding json (and extra arguments); its exit
//  status, its output in output.
static int
s_run_daemon (const char *binary_name, const char *json, const char *extra, char *output,
              size_t size)
{
    char config[4300];
    snprintf (config, sizeof config, "%s/daemon.json", test_processes_suite_dir ("test_security"));
    FILE *file = fopen (config, "w");
    ck_assert_ptr_nonnull (file);
    fputs (json, file);
    fclose (file);
    char *binary = cluster_harness_build_path (binary_name);
    ck_assert_ptr_nonnull (binary);
    char command[9000];
    snprintf (command, sizeof command, "timeout 20 %s --config %s %s 2>&1", binary, config, extra);
    free (binary);
    FILE *pipe = popen (command, "r");
    size_t got = pipe ? fread (output, 1, size - 1, pipe) : 0;
    output[got] = 0;
    int status = pipe ? pclose (pipe) : -1;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  True when a list request on control is answered within timeout_ms.
static bool
s_answered (sq_control_t *control, int timeout_ms)
{
    json_t *list = json_pack ("{s:s}", "verb", "list");
    json_t *reply = sq_control_request (control, list, NULL, 0, timeout_ms, NULL, NULL);
    json_decref (list);
    bool answered = reply != NULL;
    json_decref (reply);
    return answered;
}

//  Lines of nimbus's log that contain text.
static int
s_log_lines (const char *text)
{
    char path[4200];
    snprintf (path, sizeof path, "%s/nimbus.log", cluster_harness_dir (s_cluster));
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (file);
    char line[4096];
    int count = 0;
    while (fgets (line, sizeof line, file))
        if (strstr (line, text) && ++count == 1)
            printf ("nimbus.log: %s", line);
    fclose (file);
    return count;
}

//  A control client keyed as mallory, connecting from 127.0.0.2.
static sq_control_t *
s_mallory (const sq_curve_t *curve)
{
    char endpoint[96];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.2:0;127.0.0.1:%d",
              cluster_harness_nimbus_port (s_cluster));
    sq_control_t *control = sq_control_new (endpoint);
    ck_assert_ptr_nonnull (control);
    ck_assert_int_eq (sq_control_set_curve (control, curve), 0);
    return control;
}

START_TEST (test_connections_over_the_limit_get_nothing)
{
    //  Make mallory's keys (nimbus accepts them) and load them.
    char *output = NULL;
    ck_assert_msg (cluster_harness_cli_as (s_cluster, "mallory", &output,
                                           (const char *const[]){"list", NULL}) == 0,
                   "storm-submit list as mallory: %s", output ? output : "");
    free (output);
    char path[4200];
    snprintf (path, sizeof path, "%s/client-mallory.json", cluster_harness_dir (s_cluster));
    sq_config_t *config = sq_config_load_file (path);
    ck_assert_ptr_nonnull (config);
    sq_curve_t *curve = NULL;
    ck_assert_int_eq (sq_curve_from_config (config, true, &curve), 0);
    ck_assert_ptr_nonnull (curve);
    sq_config_destroy (&config);

    //  The supervisor's heartbeat connection is open for good (it may
    //  still be on its way on a loaded machine): count from after it.
    long long open_before = s_wait_metric ("squall_nimbus_connections_open", 1, 10);
    ck_assert_int_ge (open_before, 1);
    ck_assert_int_eq (s_metric ("squall_nimbus_connections_over_limit_total"), 0);

    sq_control_t *mallory[S_TRIES];
    for (int i = 0; i < S_TRIES; i++) {
        mallory[i] = s_mallory (curve);
        bool answered = s_answered (mallory[i], i < S_PER_PEER ? 5000 : 1500);
        ck_assert_msg (answered == (i < S_PER_PEER), "connection %d of mallory: %s", i,
                       answered ? "answered over the limit" : sq_last_error ());
    }
    //  Each refused connection was refused at least once (libzmq retries).
    long long over =
        s_wait_metric ("squall_nimbus_connections_over_limit_total", S_TRIES - S_PER_PEER, 10);
    ck_assert_int_ge (over, S_TRIES - S_PER_PEER);
    ck_assert_int_ge (s_metric ("squall_nimbus_connections_refused_total"), over);
    //  One log line for the address, however many refusals.
    ck_assert_int_eq (s_log_lines ("connections open from 127.0.0.2"), 1);

    //  A client from another address is answered meanwhile.
    sq_control_t *operator= cluster_harness_control (s_cluster);
    ck_assert_msg (s_answered (operator, 5000), "the operator got no answer: %s", sq_last_error ());
    sq_control_destroy (&operator);

    //  Mallory closes a connection it was allowed and the ones refused:
    //  a new connection of it is answered, and the count comes back.
    for (int i = S_PER_PEER - 1; i < S_TRIES; i++)
        sq_control_destroy (&mallory[i]);
    ck_assert_int_eq (
        s_wait_exact ("squall_nimbus_connections_open", open_before + S_PER_PEER - 1, 10),
        open_before + S_PER_PEER - 1);
    sq_control_t *again = s_mallory (curve);
    ck_assert_msg (s_answered (again, 5000), "mallory's connection under the limit: %s",
                   sq_last_error ());
    sq_control_destroy (&again);
    for (int i = 0; i < S_PER_PEER - 1; i++)
        sq_control_destroy (&mallory[i]);
    ck_assert_int_eq (s_wait_exact ("squall_nimbus_connections_open", open_before, 10),
                      open_before);
    ck_assert_int_eq (s_log_lines ("connections open from 127.0.0.2"), 1);
    sq_curve_destroy (&curve);
}
END_TEST

//  ---------------------------------------------------------------------
//  A CURVE client written by hand (RFC 23 and 26), to start a frame and
//  never finish it, which libzmq does not do.

#define S_MAX_FRAME ((8 << 20) + (1 << 20)) //  nimbus's ZMQ_MAXMSGSIZE in the limits' cluster

//  Read exactly size bytes; 0 or -1.
static int
s_read_all (int fd, void *buffer, size_t size)
{
    for (size_t got = 0; got < size;) {
        ssize_t n = recv (fd, (char *) buffer + got, size - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    return 0;
}

//  Read one ZMTP frame of at most capacity bytes into body; its size or -1.
static ssize_t
s_read_frame (int fd, unsigned char *body, size_t capacity)
{
    unsigned char flags;
    unsigned char size_bytes[8] = {0};
    if (s_read_all (fd, &flags, 1) || s_read_all (fd, size_bytes, (flags & 0x02) ? 8 : 1))
        return -1;
    uint64_t size = 0;
    for (int i = 0; i < ((flags & 0x02) ? 8 : 1); i++)
        size = (size << 8) | size_bytes[i];
    if (size > capacity || s_read_all (fd, body, (size_t) size))
        return -1;
    return (ssize_t) size;
}

//  Send a command frame (short or long).
static int
s_send_command (int fd, const unsigned char *body, size_t size)
{
    unsigned char header[9] = {size > 255 ? 0x06 : 0x04};
    size_t header_size = 2;
    if (size > 255) {
        for (int i = 0; i < 8; i++)
            header[1 + i] = (unsigned char) ((uint64_t) size >> (56 - 8 * i));
        header_size = 9;
    } else
        header[1] = (unsigned char) size;
    return send (fd, header, header_size, MSG_NOSIGNAL) == (ssize_t) header_size &&
                   send (fd, body, size, MSG_NOSIGNAL) == (ssize_t) size
               ? 0
               : -1;
}

//  The CURVE handshake as a DEALER with key pair cert towards server's
//  public key; 0 when nimbus answered READY, -1 when it refused.
static int
s_curve_handshake (int fd, zcert_t *cert, const unsigned char *server)
{
    unsigned char greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0};
    memcpy (greeting + 12, "CURVE", 5);
    if (send (fd, greeting, sizeof greeting, MSG_NOSIGNAL) != (ssize_t) sizeof greeting ||
        s_read_all (fd, greeting, sizeof greeting))
        return -1;
    unsigned char transient[32], transient_secret[32];
    crypto_box_keypair (transient, transient_secret);
    unsigned char nonce[24];
    unsigned char zeros[64] = {0};

    //  HELLO: version, padding, transient key, short nonce, box of zeros.
    unsigned char hello[200] = "\x05HELLO\x01\x00";
    memcpy (hello + 80, transient, 32);
    unsigned char short_nonce[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    memcpy (hello + 112, short_nonce, 8);
    memcpy (nonce, "CurveZMQHELLO---", 16);
    memcpy (nonce + 16, short_nonce, 8);
    if (crypto_box_easy (hello + 120, zeros, 64, nonce, server, transient_secret) ||
        s_send_command (fd, hello, sizeof hello))
        return -1;

    //  WELCOME: long nonce, box of the server's transient key and cookie.
    unsigned char welcome[168];
    unsigned char opened[128];
    if (s_read_frame (fd, welcome, sizeof welcome) != 168 || memcmp (welcome, "\x07WELCOME", 8))
        return -1;
    memcpy (nonce, "WELCOME-", 8);
    memcpy (nonce + 8, welcome + 8, 16);
    if (crypto_box_open_easy (opened, welcome + 24, 144, nonce, server, transient_secret))
        return -1;
    const unsigned char *server_transient = opened;
    const unsigned char *cookie = opened + 32;

    //  INITIATE: cookie, short nonce, box of our key, the vouch, metadata.
    unsigned char vouch_plain[64];
    memcpy (vouch_plain, transient, 32);
    memcpy (vouch_plain + 32, server, 32);
    unsigned char plain[32 + 16 + 80 + 22];
    memcpy (plain, zcert_public_key (cert), 32);
    memcpy (nonce, "VOUCH---", 8);
    randombytes_buf (nonce + 8, 16);
    memcpy (plain + 32, nonce + 8, 16);
    if (crypto_box_easy (plain + 48, vouch_plain, 64, nonce, server_transient,
                         zcert_secret_key (cert)))
        return -1;
    memcpy (plain + 128,
            "\x0bSocket-Type\x00\x00\x00\x06"
            "DEALER",
            22);
    unsigned char initiate[9 + 96 + 8 + sizeof plain + 16];
    memcpy (initiate, "\x08INITIATE", 9);
    memcpy (initiate + 9, cookie, 96);
    short_nonce[7] = 2;
    memcpy (initiate + 105, short_nonce, 8);
    memcpy (nonce, "CurveZMQINITIATE", 16);
    memcpy (nonce + 16, short_nonce, 8);
    if (crypto_box_easy (initiate + 113, plain, sizeof plain, nonce, server_transient,
                         transient_secret) ||
        s_send_command (fd, initiate, sizeof initiate))
        return -1;
    unsigned char ready[256];
    ssize_t size = s_read_frame (fd, ready, sizeof ready);
    return size > 6 && memcmp (ready, "\x05READY", 6) == 0 ? 0 : -1;
}

//  Connect from 127.0.0.2 as cert, and when nimbus lets the handshake
//  through, start a message frame that declares declared bytes and send
//  send_size of them. The descriptor (the caller closes it), or -1 when
//  the connection failed; *sent_p: the frame's bytes sent.
static int
s_unfinished_frame (zcert_t *cert, const unsigned char *server, uint64_t declared, size_t send_size,
                    size_t *sent_p)
{
    *sent_p = 0;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in source = {.sin_family = AF_INET};
    source.sin_addr.s_addr = htonl (0x7f000002);
    struct sockaddr_in where = {.sin_family = AF_INET,
                                .sin_port =
                                    htons ((uint16_t) cluster_harness_nimbus_port (s_cluster))};
    where.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    struct timeval timeout = {.tv_sec = 5};
    if (fd < 0 || bind (fd, (struct sockaddr *) &source, sizeof source) ||
        setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) ||
        setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) ||
        connect (fd, (struct sockaddr *) &where, sizeof where)) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    if (s_curve_handshake (fd, cert, server) == 0)
        test_processes_start_frame (fd, declared, send_size, sent_p);
    return fd;
}

#define S_FRAME_TRIES 10 //  unfinished frames mallory starts

//  Mallory's key pair and nimbus's public key, from the config
//  cluster_harness_cli_as wrote for mallory.
static zcert_t *
s_mallory_cert (zcert_t **server_p)
{
    char path[4200];
    snprintf (path, sizeof path, "%s/client-mallory.json", cluster_harness_dir (s_cluster));
    sq_config_t *config = sq_config_load_file (path);
    ck_assert_ptr_nonnull (config);
    zcert_t *cert =
        sq_curve_load_cert (sq_config_string (config, "squall.curve.secret.key.file", ""), true);
    *server_p = sq_curve_load_cert (
        sq_config_string (config, "squall.curve.server.public.key.file", ""), false);
    sq_config_destroy (&config);
    ck_assert_ptr_nonnull (cert);
    ck_assert_ptr_nonnull (*server_p);
    return cert;
}

//  Unfinished frames on more connections than mallory may have: nimbus
//  holds at most what the allowed ones sent, and keeps serving.
START_TEST (test_unfinished_frames_are_bounded_per_peer)
{
    ck_assert_int_eq (sodium_init () >= 0, 1);
    char *output = NULL;
    ck_assert_msg (cluster_harness_cli_as (s_cluster, "mallory", &output,
                                           (const char *const[]){"list", NULL}) == 0,
                   "storm-submit list as mallory: %s", output ? output : "");
    free (output);
    zcert_t *server = NULL;
    zcert_t *cert = s_mallory_cert (&server);
    int nimbus = (int) cluster_harness_nimbus_pid (s_cluster);
    long before = test_processes_rss_kb (nimbus);
    ck_assert_int_gt (before, 0);

    //  Each allowed connection may hold one frame of at most S_MAX_FRAME
    //  being received, nothing of it before it is whole; every frame
    //  sent here stays unfinished. Bound: S_PER_PEER such frames.
    const size_t send_size = 8 << 20;
    const long bound_kb = (long) S_PER_PEER * (S_MAX_FRAME / 1024) + 8 * 1024; //  + 8 MiB slack
    int fds[S_FRAME_TRIES];
    int started = 0;
    size_t total = 0;
    for (int i = 0; i < S_FRAME_TRIES; i++) {
        size_t sent = 0;
        fds[i] = s_unfinished_frame (cert, zcert_public_key (server), S_MAX_FRAME - 4096, send_size,
                                     &sent);
        ck_assert_int_ge (fds[i], 0);
        started += sent == send_size;
        total += sent;
    }
    ck_assert_int_eq (started, S_PER_PEER);
    ck_assert_uint_eq (total, S_PER_PEER * send_size);
    //  The attempt was larger than the bound: the limit is what held.
    ck_assert_int_gt ((long) (S_FRAME_TRIES * (send_size / 1024)), bound_kb);
    //  Wait until nimbus has read what was sent (its memory grows by it).
    long grown = 0;
    for (int waited = 0; waited < 100; waited++) {
        grown = test_processes_rss_kb (nimbus) - before;
        if (grown >= (long) (S_PER_PEER * send_size / 1024) * 9 / 10)
            break;
        usleep (100000);
    }
    ck_assert_msg (grown >= (long) (S_PER_PEER * send_size / 1024) * 9 / 10,
                   "nimbus's RSS grew by %ld KiB only: did it read the frames?", grown);
    ck_assert_msg (grown <= bound_kb, "nimbus's RSS grew by %ld KiB, over the bound of %ld KiB",
                   grown, bound_kb);
    printf ("unfinished frames: %d connections tried, %d let in, %zu bytes sent; nimbus's RSS "
            "grew by %ld KiB (bound %ld KiB)\n",
            S_FRAME_TRIES, started, total, grown, bound_kb);
    for (int i = 0; i < S_FRAME_TRIES; i++)
        close (fds[i]);
    sq_control_t *operator= cluster_harness_control (s_cluster);
    ck_assert_msg (s_answered (operator, 5000), "the operator got no answer: %s", sq_last_error ());
    sq_control_destroy (&operator);
    zcert_destroy (&cert);
    zcert_destroy (&server);
}
END_TEST

START_TEST (test_daemons_refuse_routable_addresses_without_keys)
{
    char json[2048], output[8192];
    snprintf (json, sizeof json,
              "{\"nimbus.host\": \"0.0.0.0\", \"nimbus.port\": %d, \"ui.port\": -1, "
              "\"storm.local.dir\": \"%s/nimbus\"}\n",
              test_processes_free_port (), test_processes_suite_dir ("test_security"));
    ck_assert_int_eq (s_run_daemon ("nimbus/nimbus", json, "", output, sizeof output), 1);
    ck_assert_msg (strstr (output, "not a loopback address, without keys"), "nimbus: %s", output);
    snprintf (json, sizeof json,
              "{\"storm.local.hostname\": \"10.1.2.3\", \"storm.local.dir\": "
              "\"%s/supervisor\"}\n",
              test_processes_suite_dir ("test_security"));
    ck_assert_int_eq (
        s_run_daemon ("supervisor/supervisor", json, "--id s1", output, sizeof output), 1);
    ck_assert_msg (strstr (output, "not a loopback address, without keys"), "supervisor: %s",
                   output);
}
END_TEST

int
main (void)
{
    if (!test_processes_suite_dir ("test_security"))
        return 99;
    Suite *suite = suite_create ("security");
    TCase *tcase = tcase_create ("curve");
    tcase_set_timeout (tcase, 120);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_unkeyed_and_unknown_clients_get_nothing);
    tcase_add_test (tcase, test_forged_heartbeat_is_refused_and_counted);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("limits");
    tcase_set_timeout (tcase, 120);
    tcase_add_checked_fixture (tcase, s_setup_limits, s_teardown);
    tcase_add_test (tcase, test_connections_over_the_limit_get_nothing);
    tcase_add_test (tcase, test_unfinished_frames_are_bounded_per_peer);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("defaults");
    tcase_add_test (tcase, test_daemons_refuse_routable_addresses_without_keys);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
