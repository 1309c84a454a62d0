/*  test_nimbuses - nimbus.seeds and finding the leader (sq_nimbuses)

    Fake nimbuses, each a ROUTER socket in an actor thread on a free
    127.0.0.1 port, answer as a leader ("ok"), as a standby ("not the
    leader; leader is 127.0.0.1:PORT" of a leader), or refuse; a port
    where nothing listens plays a nimbus that is down.
*/
#include "sq_cluster_config.h"
#include "sq_config.h"
#include "sq_nimbuses.h"
#include "squall.h"

#include <check.h>
#include <czmq.h>
#include <jansson.h>
#include <string.h>

#define S_TIMEOUT_MS 5000 //  the longest a test waits for an answer

//  How a fake nimbus answers.
typedef struct {
    const char *error;  //  NULL: ok; else the error of every answer
    char text[128];     //  the error, when it has one
    zsock_t *router;    //  its socket
    int port;           //  its port
    zactor_t *actor;    //  the thread that answers
    size_t requests;    //  requests seen (read after the actor ended)
    char last_verb[64]; //  verb of the last request (idem)
} s_fake_t;

static void
s_fake_run (zsock_t *pipe, void *arg)
{
    s_fake_t *fake = arg;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, fake->router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != fake->router)
            break; //  $TERM, or interrupted
        zmsg_t *msg = zmsg_recv (fake->router);
        zframe_t *identity = msg ? zmsg_pop (msg) : NULL;
        char *text = msg ? zmsg_popstr (msg) : NULL;
        json_t *request = text ? json_loads (text, 0, NULL) : NULL;
        fake->requests++;
        const char *verb = json_string_value (json_object_get (request, "verb"));
        snprintf (fake->last_verb, sizeof fake->last_verb, "%s", verb ? verb : "");
        json_t *number = json_object_get (request, "request");
        if (identity && number) {
            json_t *reply = json_pack ("{s:b, s:i, s:O}", "ok", fake->error == NULL, "version", 1,
                                       "request", number);
            if (fake->error)
                json_object_set_new (reply, "error", json_string (fake->error));
            char *dumped = json_dumps (reply, JSON_COMPACT);
            zmsg_t *answer = zmsg_new ();
            zmsg_append (answer, &identity);
            zmsg_addstr (answer, dumped);
            zmsg_send (&answer, fake->router);
            free (dumped);
            json_decref (reply);
        }
        zframe_destroy (&identity);
        json_decref (request);
        free (text);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
}

//  Start a fake nimbus answering with error (NULL: ok).
static void
s_fake_start (s_fake_t *fake, const char *error)
{
    memset (fake, 0, sizeof *fake);
    snprintf (fake->text, sizeof fake->text, "%s", error ? error : "");
    fake->error = error ? fake->text : NULL;
    fake->router = zsock_new (ZMQ_ROUTER);
    ck_assert_ptr_nonnull (fake->router);
    fake->port = zsock_bind (fake->router, "tcp://127.0.0.1:*[49152-]");
    ck_assert_int_gt (fake->port, 0);
    fake->actor = zactor_new (s_fake_run, fake);
    ck_assert_ptr_nonnull (fake->actor);
}

//  Start a leader, and a standby that names it.
static void
s_fake_start_pair (s_fake_t *leader, s_fake_t *standby)
{
    s_fake_start (leader, NULL);
    char error[128];
    snprintf (error, sizeof error, "not the leader; leader is 127.0.0.1:%d", leader->port);
    s_fake_start (standby, error);
}

//  Stop it; its counts may be read afterwards.
static void
s_fake_stop (s_fake_t *fake)
{
    zactor_destroy (&fake->actor);
    zsock_destroy (&fake->router);
}

//  A port where nothing listens (bound, then closed).
static int
s_dead_port (void)
{
    zsock_t *socket = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (socket, "tcp://127.0.0.1:*[49152-]");
    zsock_destroy (&socket);
    ck_assert_int_gt (port, 0);
    return port;
}

static json_t *
s_list_request (void)
{
    return json_pack ("{s:s}", "verb", "list");
}

START_TEST (test_seeds_become_endpoints)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set_option (config, "nimbus.port=7000"), 0);
    //  Without seeds: nimbus.host:nimbus.port, as before.
    zlist_t *endpoints = sq_cluster_config_nimbuses (config);
    ck_assert_ptr_nonnull (endpoints);
    ck_assert_int_eq (zlist_size (endpoints), 1);
    ck_assert_str_eq (zlist_first (endpoints), "tcp://127.0.0.1:7000");
    zlist_destroy (&endpoints);
    //  A host alone gets nimbus.port; a repeated seed counts once.
    ck_assert_int_eq (sq_config_set_option (config, "nimbus.seeds=a.example,b.example:6627,"
                                                    "a.example"),
                      0);
    endpoints = sq_cluster_config_nimbuses (config);
    ck_assert_ptr_nonnull (endpoints);
    ck_assert_int_eq (zlist_size (endpoints), 2);
    ck_assert_str_eq (zlist_first (endpoints), "tcp://a.example:7000");
    ck_assert_str_eq (zlist_next (endpoints), "tcp://b.example:6627");
    zlist_destroy (&endpoints);
    //  Malformed seeds: one clear error naming the key and the entry.
    const char *bad[] = {"nimbus.seeds=b.example:", "nimbus.seeds=:6627",
                         "nimbus.seeds=b.example:70000", "nimbus.seeds=b.example:66x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq (sq_config_set_option (config, bad[i]), 0);
        ck_assert_ptr_null (sq_cluster_config_nimbuses (config));
        ck_assert_msg (strstr (sq_last_error (), "nimbus.seeds") &&
                           strstr (sq_last_error (), strchr (bad[i], '=') + 1),
                       "%s: %s", bad[i], sq_last_error ());
    }
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_standby_answer_is_followed_to_the_leader)
{
    s_fake_t leader, standby;
    s_fake_start_pair (&leader, &standby);
    char endpoints[128];
    snprintf (endpoints, sizeof endpoints, "tcp://127.0.0.1:%d", standby.port);
    sq_nimbuses_t *nimbuses = sq_nimbuses_new (NULL, endpoints);
    ck_assert_ptr_nonnull (nimbuses);
    json_t *request = s_list_request ();
    json_t *reply = sq_nimbuses_request (nimbuses, request, NULL, 0, S_TIMEOUT_MS, NULL, NULL);
    ck_assert_msg (reply, "no reply: %s", sq_last_error ());
    char expected[64];
    snprintf (expected, sizeof expected, "tcp://127.0.0.1:%d", leader.port);
    ck_assert_str_eq (sq_nimbuses_current (nimbuses), expected);
    json_decref (reply);
    //  The next request goes to the leader straight away.
    reply = sq_nimbuses_request (nimbuses, request, NULL, 0, S_TIMEOUT_MS, NULL, NULL);
    ck_assert_ptr_nonnull (reply);
    json_decref (reply);
    json_decref (request);
    sq_nimbuses_destroy (&nimbuses);
    s_fake_stop (&leader);
    s_fake_stop (&standby);
    ck_assert_int_eq (standby.requests, 1);
    ck_assert_int_eq (leader.requests, 2);
}
END_TEST

START_TEST (test_silent_nimbus_is_skipped)
{
    s_fake_t leader;
    s_fake_start (&leader, NULL);
    char endpoints[128];
    snprintf (endpoints, sizeof endpoints, "tcp://127.0.0.1:%d,tcp://127.0.0.1:%d", s_dead_port (),
              leader.port);
    sq_nimbuses_t *nimbuses = sq_nimbuses_new (NULL, endpoints);
    json_t *request = s_list_request ();
    json_t *reply = sq_nimbuses_request (nimbuses, request, NULL, 0, 300, NULL, NULL);
    ck_assert_msg (reply, "no reply: %s", sq_last_error ());
    json_decref (reply);
    json_decref (request);
    sq_nimbuses_destroy (&nimbuses);
    s_fake_stop (&leader);
    ck_assert_int_eq (leader.requests, 1);
}
END_TEST

START_TEST (test_no_nimbus_answers)
{
    char endpoints[128];
    int first = s_dead_port (), second = s_dead_port ();
    snprintf (endpoints, sizeof endpoints, "tcp://127.0.0.1:%d,tcp://127.0.0.1:%d", first, second);
    sq_nimbuses_t *nimbuses = sq_nimbuses_new (NULL, endpoints);
    json_t *request = s_list_request ();
    ck_assert_ptr_null (sq_nimbuses_request (nimbuses, request, NULL, 0, 200, NULL, NULL));
    char port[16];
    snprintf (port, sizeof port, ":%d", second);
    ck_assert_msg (strstr (sq_last_error (), "no nimbus answered") &&
                       strstr (sq_last_error (), port),
                   "%s", sq_last_error ());
    json_decref (request);
    sq_nimbuses_destroy (&nimbuses);
}
END_TEST

START_TEST (test_refusals_are_not_retried)
{
    //  A refusal of the request itself, and a standby that knows no
    //  leader: said as they are, no other nimbus asked.
    const char *errors[] = {"no topology named 'x'",
                            "not the leader; leader is unknown (no nimbus leads now)"};
    for (size_t i = 0; i < 2; i++) {
        s_fake_t refuser, other;
        s_fake_start (&refuser, errors[i]);
        s_fake_start (&other, NULL);
        char endpoints[128];
        snprintf (endpoints, sizeof endpoints, "tcp://127.0.0.1:%d,tcp://127.0.0.1:%d",
                  refuser.port, other.port);
        sq_nimbuses_t *nimbuses = sq_nimbuses_new (NULL, endpoints);
        json_t *request = s_list_request ();
        ck_assert_ptr_null (
            sq_nimbuses_request (nimbuses, request, NULL, 0, S_TIMEOUT_MS, NULL, NULL));
        ck_assert_str_eq (sq_last_error (), errors[i]);
        json_decref (request);
        sq_nimbuses_destroy (&nimbuses);
        s_fake_stop (&refuser);
        s_fake_stop (&other);
        ck_assert_int_eq (other.requests, 0);
    }
}
END_TEST

START_TEST (test_heartbeats_reach_every_nimbus)
{
    //  A standby naming the leader: a request after the heartbeat goes
    //  over both links, each of which keeps its order, so both saw the
    //  heartbeat once the answer is in.
    s_fake_t leader, standby;
    s_fake_start_pair (&leader, &standby);
    char endpoints[128];
    snprintf (endpoints, sizeof endpoints, "tcp://127.0.0.1:%d,tcp://127.0.0.1:%d", standby.port,
              leader.port);
    sq_nimbuses_t *nimbuses = sq_nimbuses_new (NULL, endpoints);
    json_t *heartbeat = json_pack ("{s:s, s:s}", "verb", "supervisor_heartbeat", "supervisor", "a");
    ck_assert_int_eq (sq_nimbuses_send (nimbuses, heartbeat), 0);
    json_decref (heartbeat);
    json_t *request = s_list_request ();
    json_t *reply = sq_nimbuses_request (nimbuses, request, NULL, 0, S_TIMEOUT_MS, NULL, NULL);
    ck_assert_msg (reply, "no reply: %s", sq_last_error ());
    json_decref (reply);
    json_decref (request);
    sq_nimbuses_destroy (&nimbuses);
    s_fake_stop (&leader);
    s_fake_stop (&standby);
    ck_assert_int_eq (standby.requests, 2);
    ck_assert_int_eq (leader.requests, 2);
    ck_assert_str_eq (leader.last_verb, "list");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbuses");
    TCase *tcase = tcase_create ("core");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_seeds_become_endpoints);
    tcase_add_test (tcase, test_standby_answer_is_followed_to_the_leader);
    tcase_add_test (tcase, test_silent_nimbus_is_skipped);
    tcase_add_test (tcase, test_no_nimbus_answers);
    tcase_add_test (tcase, test_refusals_are_not_retried);
    tcase_add_test (tcase, test_heartbeats_reach_every_nimbus);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
