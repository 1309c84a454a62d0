/*  test_authz - who may do what on a nimbus secured with CURVE keys and tokens

    Each test starts a cluster (cluster_harness: a real ZooKeeper and the
    real nimbus binary; no supervisors, one fake supervisor registered in
    ZooKeeper gives the slots), makes CURVE certificates for nimbus and for
    the principals alice, bob and ada (an admin) with czmq, restarts
    nimbus as a CURVE server that accepts them (squall.curve.secret.key.file,
    squall.curve.allowed.dir) with a tokens file for its REST API, and
    talks to it as each principal: over CURVE DEALER sockets built here
    (the control protocol of doc/control.md) and over HTTP with bearer
    tokens.

    Checked: the owner nimbus records at submit is the authenticated
    principal whatever the client wrote; a non-owner cannot kill,
    rebalance, deactivate, read metrics or download, with a clear answer;
    the list hides other principals' topologies; the owner and an admin
    can; the owner is still known after nimbus restarts; refusals are
    counted in /metrics and logged once per peer; a key without a name
    gets nothing; REST actions answer 401 without or with an unknown token,
    403 to a non-owner's token and 200 to the owner's; nimbus refuses to
    start with a tokens file others can read, or with a non-loopback
    ui.host (0.0.0.0) without tokens, whose GETs then need a token.
*/
#include "cluster_harness.h"
#include "http_client.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"
#include "sq_sha256.h"
#include "sq_zk.h"
#include "squall.h"
#include "test_processes.h"
#include "zk_server.h"

#include <check.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 30000    //  longest wait for nimbus to come up or log
#define REQUEST_MS 10000 //  longest wait for one reply

#define TOKEN_ALICE "alice-0123456789abcdef0123456789abcdef"
#define TOKEN_BOB "bob-0123456789abcdef0123456789abcdef-xyz"
#define TOKEN_ADA "ada-0123456789abcdef0123456789abcdef-xyz"

static cluster_harness_t *s_cluster; //  the test's cluster
static zcert_t *s_nimbus_cert;       //  nimbus's key pair
static zcert_t *s_alice;             //  a principal that owns nothing
static zcert_t *s_bob;               //  the principal that submits
static zcert_t *s_ada;               //  an admin (nimbus.admins)
static zcert_t *s_nameless;          //  an allowed key without a name
static char s_tokens[1024];          //  the tokens file
static int s_request_number;         //  "request" of the next control request

//  ---------------------------------------------------------------------
//  Files and nimbus

static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    ck_assert_msg (file, "cannot read %s", path);
    char *text = NULL;
    size_t size = 0;
    char buffer[4096];
    size_t got;
    while ((got = fread (buffer, 1, sizeof buffer, file)) > 0) {
        text = realloc (text, size + got + 1);
        memcpy (text + size, buffer, got);
        size += got;
    }
    fclose (file);
    if (!text)
        text = calloc (1, 1);
    text[size] = 0;
    return text;
}

//  Occurrences of text in nimbus's log.
static int
s_logged_count (const char *text)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/nimbus.log", cluster_harness_dir (s_cluster));
    char *log = s_read_file (path);
    int count = 0;
    for (const char *at = strstr (log, text); at; at = strstr (at + 1, text))
        count++;
    free (log);
    return count;
}

//  Wait until nimbus's log holds text at least once; false after WAIT_MS.
static bool
s_logged (const char *text)
{
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (s_logged_count (text) == 0) {
        if (test_processes_now_ms () > deadline)
            return false;
        usleep (20000);
    }
    return true;
}

//  Save cert's secret and public files under the cluster's directory:
//  secret/NAME(_secret), and keys/NAME (the allowed directory).
static zcert_t *
s_principal_cert (const char *name)
{
    zcert_t *cert = zcert_new ();
    ck_assert (cert);
    if (name)
        zcert_set_meta (cert, "name", "%s", name);
    char path[1200];
    snprintf (path, sizeof path, "%s/secret/%s", cluster_harness_dir (s_cluster),
              name ? name : "nameless");
    ck_assert_int_eq (zcert_save (cert, path), 0);
    snprintf (path, sizeof path, "%s/keys/%s", cluster_harness_dir (s_cluster),
              name ? name : "nameless");
    ck_assert_int_eq (zcert_save_public (cert, path), 0);
    return cert;
}

//  Rewrite nimbus's config with the keys of extra (a JSON object, taken).
static void
s_configure_nimbus (json_t *extra)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/nimbus.json", cluster_harness_dir (s_cluster));
    json_error_t error;
    json_t *config = json_load_file (path, 0, &error);
    ck_assert_msg (config, "%s: %s", path, error.text);
    json_object_update (config, extra);
    json_decref (extra);
    ck_assert_int_eq (json_dump_file (config, path, JSON_INDENT (1)), 0);
    json_decref (config);
}

//  ---------------------------------------------------------------------
//  The control protocol over CURVE

//  A DEALER connected to nimbus as the principal of cert.
static zsock_t *
s_client (zcert_t *cert)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    ck_assert (dealer);
    zsock_set_linger (dealer, 0);
    zcert_apply (cert, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (s_nimbus_cert));
    ck_assert_int_eq (
        zsock_connect (dealer, "tcp://127.0.0.1:%d", cluster_harness_nimbus_port (s_cluster)), 0);
    return dealer;
}

//  Send request (taken) with an optional payload as a REQ client would
//  (empty delimiter first) and wait up to timeout_ms for its reply, which
//  is returned (caller decrefs), or NULL when none came.
static json_t *
s_call_within (zsock_t *client, json_t *request, const void *payload, size_t size, int timeout_ms)
{
    int number = ++s_request_number;
    json_object_set_new (request, "version", json_integer (1));
    json_object_set_new (request, "request", json_integer (number));
    char *text = json_dumps (request, JSON_COMPACT);
    json_decref (request);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, text);
    free (text);
    if (payload)
        zmsg_addmem (msg, payload, size);
    ck_assert_int_eq (zmsg_send (&msg, client), 0);
    long long deadline = test_processes_now_ms () + timeout_ms;
    zpoller_t *poller = zpoller_new (client, NULL);
    json_t *reply = NULL;
    while (!reply && test_processes_now_ms () < deadline) {
        if (!zpoller_wait (poller, (int) (deadline - test_processes_now_ms ())))
            continue;
        zmsg_t *answer = zmsg_recv (client);
        char *delimiter = answer ? zmsg_popstr (answer) : NULL;
        char *body = answer ? zmsg_popstr (answer) : NULL;
        json_t *json = body ? json_loads (body, 0, NULL) : NULL;
        if (json && json_integer_value (json_object_get (json, "request")) == number)
            reply = json;
        else
            json_decref (json); //  the late reply of an earlier request
        free (delimiter);
        free (body);
        zmsg_destroy (&answer);
    }
    zpoller_destroy (&poller);
    return reply;
}

//  s_call_within REQUEST_MS; fails the test when no reply came.
static json_t *
s_call (zsock_t *client, json_t *request, const void *payload, size_t size)
{
    json_t *reply = s_call_within (client, request, payload, size, REQUEST_MS);
    ck_assert_msg (reply, "nimbus did not reply within %d ms", REQUEST_MS);
    return reply;
}

//  Expect request (taken) to be refused with exactly the error expected
//  (or, when prefix, an error starting with it).
static void
s_expect_refused (zsock_t *client, json_t *request, const char *expected, bool prefix)
{
    json_t *reply = s_call (client, request, NULL, 0);
    ck_assert_msg (json_is_false (json_object_get (reply, "ok")), "accepted, expected '%s'",
                   expected);
    const char *error = json_string_value (json_object_get (reply, "error"));
    ck_assert (error);
    if (prefix)
        ck_assert_msg (strncmp (error, expected, strlen (expected)) == 0, "'%s' not '%s...'", error,
                       expected);
    else
        ck_assert_str_eq (error, expected);
    json_decref (reply);
}

//  Expect request (taken) to succeed; returns the reply (caller decrefs).
static json_t *
s_expect_ok (zsock_t *client, json_t *request)
{
    json_t *reply = s_call (client, request, NULL, 0);
    char *text = json_dumps (reply, JSON_COMPACT);
    ck_assert_msg (json_is_true (json_object_get (reply, "ok")), "refused: %s", text);
    free (text);
    return reply;
}

//  Wait until nimbus answers a list over CURVE (it was just started).
static void
s_wait_nimbus (void)
{
    zsock_t *client = s_client (s_ada);
    long long deadline = test_processes_now_ms () + WAIT_MS;
    json_t *reply = NULL;
    while (!reply && test_processes_now_ms () < deadline)
        reply = s_call_within (client, json_pack ("{s:s}", "verb", "list"), NULL, 0, 500);
    ck_assert_msg (reply, "nimbus did not answer over CURVE within %d ms", WAIT_MS);
    json_decref (reply);
    zsock_destroy (&client);
}

//  Submit word count as name from client, its config saying it belongs to
//  ada (nimbus must not believe it). Returns the id (caller frees).
static char *
s_submit (zsock_t *client, const char *name)
{
    char *path = cluster_harness_build_path ("topologies/.libs/wordcount.so");
    char *package = s_read_file (path);
    struct stat info;
    ck_assert_int_eq (stat (path, &info), 0);
    free (path);
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (package, (size_t) info.st_size, checksum);
    json_t *request =
        json_pack ("{s:s, s:s, s:s, s:{s:s, s:i}}", "verb", "submit", "name", name, "checksum",
                   checksum, "config", "topology.submitter.user", "ada", "topology.workers", 1);
    json_t *reply = s_call (client, request, package, (size_t) info.st_size);
    free (package);
    char *text = json_dumps (reply, JSON_COMPACT);
    ck_assert_msg (json_is_true (json_object_get (reply, "ok")), "submit refused: %s", text);
    free (text);
    char *id = strdup (json_string_value (json_object_get (reply, "id")));
    json_decref (reply);
    return id;
}

//  True when the list client gets shows name.
static bool
s_lists (zsock_t *client, const char *name)
{
    json_t *reply = s_expect_ok (client, json_pack ("{s:s}", "verb", "list"));
    bool found = http_client_entry (json_object_get (reply, "topologies"), "name", name) != NULL;
    json_decref (reply);
    return found;
}

//  The topology record of name in ZooKeeper (caller destroys), or NULL.
static sq_topology_record_t *
s_record (const char *name)
{
    char path[256];
    snprintf (path, sizeof path, "/topologies/%s", name);
    char *data = NULL;
    size_t size;
    if (sq_zk_get (cluster_harness_zk (s_cluster), path, &data, &size, false) != 0)
        return NULL;
    sq_topology_record_t *record = sq_topology_record_decode (data, size);
    free (data);
    return record;
}

//  ---------------------------------------------------------------------
//  HTTP

//  method path with an Authorization header of token (NULL: none);
//  returns the status, the answer in *answer_p (caller frees).
static int
s_http (const char *method, const char *path, const char *token, char **answer_p)
{
    char raw[1024];
    snprintf (raw, sizeof raw,
              "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%sContent-Length: "
              "0\r\n\r\n",
              method, path, token ? "Authorization: Bearer " : "", token ? token : "",
              token ? "\r\n" : "");
    return http_client_raw (cluster_harness_ui_port (s_cluster), raw, strlen (raw), REQUEST_MS,
                            answer_p);
}

//  The value of squall_nimbus_unauthorized_total on /metrics.
static long
s_unauthorized_total (void)
{
    char *answer;
    int status = s_http ("GET", "/metrics", NULL, &answer);
    ck_assert_int_eq (status, 200);
    const char *line = strstr (answer, "\nsquall_nimbus_unauthorized_total ");
    ck_assert_msg (line, "/metrics lacks squall_nimbus_unauthorized_total");
    long value = strtol (line + strlen ("\nsquall_nimbus_unauthorized_total "), NULL, 10);
    free (answer);
    return value;
}

//  Expect method path with token to get status and Storm's JSON error
//  whose errorMessage contains message.
static void
s_expect_http_error (const char *method, const char *path, const char *token, int status,
                     const char *message)
{
    char *answer;
    int got = s_http (method, path, token, &answer);
    ck_assert_msg (got == status, "%s %s: %d, expected %d: %s", method, path, got, status, answer);
    const char *body = http_client_body (answer);
    json_t *json = body ? json_loads (body, 0, NULL) : NULL;
    ck_assert_msg (json, "not JSON: %s", answer);
    char prefix[8];
    snprintf (prefix, sizeof prefix, "%d ", status);
    const char *error = json_string_value (json_object_get (json, "error"));
    const char *text = json_string_value (json_object_get (json, "errorMessage"));
    ck_assert (error && strncmp (error, prefix, strlen (prefix)) == 0);
    ck_assert_msg (text && strstr (text, message), "'%s' lacks '%s'", text, message);
    if (status == 401)
        ck_assert_msg (strstr (answer, "\r\nWWW-Authenticate: Bearer\r\n"), "%s", answer);
    json_decref (json);
    free (answer);
}

//  ---------------------------------------------------------------------
//  Fixture

static void
s_setup (void)
{
    s_cluster = cluster_harness_new (0, 0);
    ck_assert_msg (s_cluster, "the cluster did not start");
    const char *dir = cluster_harness_dir (s_cluster);
    char path[1200];
    snprintf (path, sizeof path, "%s/keys", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/secret", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    s_nimbus_cert = zcert_new ();
    zcert_set_meta (s_nimbus_cert, "name", "nimbus");
    snprintf (path, sizeof path, "%s/secret/nimbus", dir);
    ck_assert_int_eq (zcert_save (s_nimbus_cert, path), 0);
    s_alice = s_principal_cert ("alice");
    s_bob = s_principal_cert ("bob");
    s_ada = s_principal_cert ("ada");
    s_nameless = s_principal_cert (NULL);
    snprintf (s_tokens, sizeof s_tokens, "%s/tokens", dir);
    FILE *file = fopen (s_tokens, "w");
    ck_assert (file);
    fputs ("# REST tokens\n" TOKEN_ALICE " alice\n" TOKEN_BOB " bob\n" TOKEN_ADA " ada\n", file);
    fclose (file);
    ck_assert_int_eq (chmod (s_tokens, 0600), 0);

    //  One fake supervisor gives nimbus free slots.
    int ports[2] = {test_processes_free_port (), test_processes_free_port ()};
    sq_supervisor_info_t *info =
        sq_supervisor_info_new ("sup-1", "127.0.0.1", ports, 2, (int64_t) time (NULL));
    char *data = sq_supervisor_info_encode (info);
    ck_assert_int_eq (sq_zk_create (cluster_harness_zk (s_cluster), "/supervisors/sup-1", data,
                                    strlen (data), true),
                      0);
    free (data);
    sq_supervisor_info_destroy (&info);

    cluster_harness_stop_nimbus (s_cluster, SIGTERM);
    char secret[1200], keys[1200];
    snprintf (secret, sizeof secret, "%s/secret/nimbus_secret", dir);
    snprintf (keys, sizeof keys, "%s/keys", dir);
    s_configure_nimbus (json_pack ("{s:s, s:s, s:[s], s:[s], s:s}", "squall.curve.secret.key.file",
                                   secret, "squall.curve.allowed.dir", keys, "nimbus.admins", "ada",
                                   "nimbus.supervisor.users", "sup", "ui.tokens.file", s_tokens));
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    s_wait_nimbus ();
}

static void
s_teardown (void)
{
    zcert_destroy (&s_nimbus_cert);
    zcert_destroy (&s_alice);
    zcert_destroy (&s_bob);
    zcert_destroy (&s_ada);
    zcert_destroy (&s_nameless);
    cluster_harness_destroy (&s_cluster);
}

//  ---------------------------------------------------------------------
//  Tests

START_TEST (test_owner_non_owner_admin)
{
    zsock_t *alice = s_client (s_alice);
    zsock_t *bob = s_client (s_bob);
    zsock_t *ada = s_client (s_ada);
    long refused_before = s_unauthorized_total ();

    //  The owner is the authenticated principal, not what the client wrote.
    char *id = s_submit (bob, "wc");
    sq_topology_record_t *record = s_record ("wc");
    ck_assert (record);
    ck_assert_str_eq (sq_config_string (record->config, "topology.submitter.user", ""), "bob");
    sq_topology_record_destroy (&record);

    //  The list hides other principals' topologies; the admin sees all.
    ck_assert (s_lists (bob, "wc"));
    ck_assert (s_lists (ada, "wc"));
    ck_assert (!s_lists (alice, "wc"));

    //  A keyed non-owner cannot touch it, and is told why.
    const char *kill = "not authorized: principal alice may not kill topology wc (owner bob)";
    s_expect_refused (alice, json_pack ("{s:s, s:s}", "verb", "kill", "name", "wc"), kill, false);
    s_expect_refused (alice, json_pack ("{s:s, s:s}", "verb", "kill", "name", "wc"), kill, false);
    s_expect_refused (alice, json_pack ("{s:s, s:s}", "verb", "deactivate", "name", "wc"),
                      "not authorized: principal alice may not deactivate topology wc (owner bob)",
                      false);
    s_expect_refused (
        alice, json_pack ("{s:s, s:s, s:i}", "verb", "rebalance", "name", "wc", "workers", 2),
        "not authorized: principal alice may not rebalance topology wc (owner bob)", false);
    s_expect_refused (alice, json_pack ("{s:s, s:s}", "verb", "metrics", "name", "wc"),
                      "not authorized: principal alice may not view topology wc (owner bob)",
                      false);
    s_expect_refused (alice, json_pack ("{s:s, s:s}", "verb", "download", "id", id),
                      "not authorized: principal alice may not download topology wc (owner bob)",
                      false);
    record = s_record ("wc");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    sq_topology_record_destroy (&record);

    //  A key nimbus accepts but that names nobody gets nothing.
    zsock_t *nameless = s_client (s_nameless);
    char expected[200];
    snprintf (expected, sizeof expected, "not authorized: key %s is not the key",
              zcert_public_txt (s_nameless));
    s_expect_refused (nameless, json_pack ("{s:s}", "verb", "list"), expected, true);
    zsock_destroy (&nameless);

    //  Counted, and logged once per peer.
    ck_assert_int_eq (s_unauthorized_total (), refused_before + 7);
    ck_assert (s_logged ("refused peer=alice: "));
    ck_assert_int_eq (s_logged_count ("refused peer=alice: "), 1);

    //  The owner is still known after nimbus restarts.
    cluster_harness_stop_nimbus (s_cluster, SIGTERM);
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    s_wait_nimbus ();
    s_expect_refused (alice, json_pack ("{s:s, s:s}", "verb", "kill", "name", "wc"), kill, false);

    //  The admin and the owner can.
    json_decref (s_expect_ok (ada, json_pack ("{s:s, s:s}", "verb", "deactivate", "name", "wc")));
    json_decref (s_expect_ok (bob, json_pack ("{s:s, s:s}", "verb", "activate", "name", "wc")));
    json_t *metrics = s_expect_ok (bob, json_pack ("{s:s, s:s}", "verb", "metrics", "name", "wc"));
    ck_assert (json_is_object (json_object_get (metrics, "components")));
    json_decref (metrics);
    json_decref (s_expect_ok (
        bob, json_pack ("{s:s, s:s, s:i}", "verb", "kill", "name", "wc", "wait_secs", 0)));
    record = s_record ("wc");
    ck_assert (!record || record->status == SQ_TOPOLOGY_KILLED);
    sq_topology_record_destroy (&record);

    //  Alice's own topology: hers to see, bob's not; the admin kills it.
    free (id);
    id = s_submit (alice, "mine");
    ck_assert (s_lists (alice, "mine"));
    ck_assert (!s_lists (bob, "mine"));
    s_expect_refused (bob, json_pack ("{s:s, s:s}", "verb", "kill", "name", "mine"),
                      "not authorized: principal bob may not kill topology mine (owner alice)",
                      false);
    json_decref (s_expect_ok (
        ada, json_pack ("{s:s, s:s, s:i}", "verb", "kill", "name", "mine", "wait_secs", 0)));
    free (id);
    zsock_destroy (&alice);
    zsock_destroy (&bob);
    zsock_destroy (&ada);
}
END_TEST

START_TEST (test_rest_tokens)
{
    zsock_t *bob = s_client (s_bob);
    char *id = s_submit (bob, "wcr");
    zsock_destroy (&bob);
    char path[256];
    snprintf (path, sizeof path, "/api/v1/topology/%s/kill/0", id);
    long refused_before = s_unauthorized_total ();

    s_expect_http_error ("POST", path, NULL, 401, "'Authorization: Bearer TOKEN' header");
    s_expect_http_error ("POST", path, "unknown-0123456789abcdef0123456789abcdef", 401,
                         "unknown bearer token");
    s_expect_http_error ("POST", path, TOKEN_ALICE, 403,
                         "not authorized: principal alice may not kill topology wcr (owner bob)");
    char deactivate[256];
    snprintf (deactivate, sizeof deactivate, "/api/v1/topology/%s/deactivate", id);
    s_expect_http_error ("POST", deactivate, TOKEN_ALICE, 403,
                         "may not deactivate topology wcr (owner bob)");
    ck_assert_int_eq (s_unauthorized_total (), refused_before + 4);
    sq_topology_record_t *record = s_record ("wcr");
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    sq_topology_record_destroy (&record);

    //  GETs stay open on a loopback ui.host.
    char *answer;
    ck_assert_int_eq (s_http ("GET", "/api/v1/topology/summary", NULL, &answer), 200);
    ck_assert (strstr (answer, "wcr"));
    free (answer);

    //  The owner's token kills it.
    ck_assert_int_eq (s_http ("POST", path, TOKEN_BOB, &answer), 200);
    ck_assert_msg (strstr (answer, "\"status\":\"success\""), "%s", answer);
    free (answer);
    record = s_record ("wcr");
    ck_assert (!record || record->status == SQ_TOPOLOGY_KILLED);
    sq_topology_record_destroy (&record);
    free (id);

    //  A tokens file others may read: nimbus refuses to start.
    cluster_harness_stop_nimbus (s_cluster, SIGTERM);
    ck_assert_int_eq (chmod (s_tokens, 0644), 0);
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    ck_assert (s_logged ("is open to its group or others (mode 0644): make it 0600"));
    cluster_harness_stop_nimbus (s_cluster, SIGKILL);
    ck_assert_int_eq (chmod (s_tokens, 0600), 0);

    //  A non-loopback ui.host without tokens: nimbus refuses to start...
    s_configure_nimbus (json_pack ("{s:s, s:s}", "ui.host", "0.0.0.0", "ui.tokens.file", ""));
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    ck_assert (s_logged ("nimbus cannot start: ui.host 0.0.0.0 is not a loopback address"));
    cluster_harness_stop_nimbus (s_cluster, SIGKILL);
    //  ...and with them, its GETs need a token too.
    s_configure_nimbus (json_pack ("{s:s}", "ui.tokens.file", s_tokens));
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    s_wait_nimbus ();
    s_expect_http_error ("GET", "/api/v1/cluster/summary", NULL, 401,
                         "'Authorization: Bearer TOKEN' header");
    s_expect_http_error ("GET", "/metrics", "unknown-0123456789abcdef0123456789abcdef", 401,
                         "unknown bearer token");
    ck_assert_int_eq (s_http ("GET", "/api/v1/cluster/summary", TOKEN_ALICE, &answer), 200);
    free (answer);
    ck_assert_int_eq (s_http ("GET", "/metrics", TOKEN_ALICE, &answer), 200);
    ck_assert (strstr (answer, "\nsquall_nimbus_unauthorized_total 2\n"));
    free (answer);
}
END_TEST

int
main (void)
{
    const char *missing = zk_server_missing ();
    if (missing)
        return zk_server_skip ("test_authz", missing);
    if (!test_processes_suite_dir ("test_authz"))
        return 99;
    Suite *suite = suite_create ("authz");
    TCase *tc = tcase_create ("control");
    tcase_set_timeout (tc, 180);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, test_owner_non_owner_admin);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("rest");
    tcase_set_timeout (tc, 180);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, test_rest_tokens);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
