/*  test_nimbus_rest - routing of Storm's UI REST API, without sockets

    nimbus_rest_route is a pure function of method, raw path and query
    values: these tests feed it Storm's paths, wrong methods and hostile
    paths (broken escapes, encoded slashes and NULs, dot segments, empty
    segments, very long ids and paths) and check the handler, parameters
    or refusal it names. A randomized test assembles paths from Storm's
    segments and hostile pieces and checks what every decision must hold
    (reproducible with SQ_TEST_SEED). The small pure helpers (Storm's
    durations, its error and action bodies, rebalance options) are checked
    too.
*/
#include "nimbus_rest.h"
#include "sq_error.h"
#include "test_random.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Route and return the route (status in route.status).
static nimbus_rest_route_t
s_route (const char *method, const char *path, const char *window, const char *sys)
{
    nimbus_rest_route_t route;
    int status = nimbus_rest_route (method, path, window, sys, &route);
    ck_assert_int_eq (status, route.status);
    ck_assert ((status == 200) == (route.handler != NIMBUS_REST_NONE));
    ck_assert (status == 200 || route.error);
    return route;
}

//  Expect method path to be refused with status.
static void
s_refused (const char *method, const char *path, int status)
{
    nimbus_rest_route_t route = s_route (method, path, NULL, NULL);
    ck_assert_msg (route.status == status, "%s %s: got %d, expected %d", method, path, route.status,
                   status);
}

START_TEST (test_storm_paths)
{
    struct {
        const char *method;
        const char *path;
        nimbus_rest_handler_t handler;
    } cases[] = {
        {"GET", "/api/v1/cluster/summary", NIMBUS_REST_CLUSTER_SUMMARY},
        {"GET", "/api/v1/cluster/configuration", NIMBUS_REST_CLUSTER_CONFIGURATION},
        {"GET", "/api/v1/nimbus/summary", NIMBUS_REST_NIMBUS_SUMMARY},
        {"GET", "/api/v1/supervisor/summary", NIMBUS_REST_SUPERVISOR_SUMMARY},
        {"GET", "/api/v1/topology/summary", NIMBUS_REST_TOPOLOGY_SUMMARY},
        {"HEAD", "/api/v1/topology/summary", NIMBUS_REST_TOPOLOGY_SUMMARY},
        {"GET", "/api/v1/topology/wc-1-2", NIMBUS_REST_TOPOLOGY},
        {"GET", "/api/v1/topology/wc-1-2/component/split", NIMBUS_REST_COMPONENT},
        {"GET", "/api/v1/topology/wc-1-2/visualization", NIMBUS_REST_VISUALIZATION},
        {"GET", "/api/v1/topology/wc-1-2/history", NIMBUS_REST_HISTORY},
        {"POST", "/api/v1/topology/wc-1-2/activate", NIMBUS_REST_ACTIVATE},
        {"POST", "/api/v1/topology/wc-1-2/deactivate", NIMBUS_REST_DEACTIVATE},
        {"POST", "/api/v1/topology/wc-1-2/rebalance/0", NIMBUS_REST_REBALANCE},
        {"POST", "/api/v1/topology/wc-1-2/kill/30", NIMBUS_REST_KILL},
        {"GET", "/metrics", NIMBUS_REST_METRICS},
        {"GET", "/api/v1/topology/wc-1-2/traces", NIMBUS_REST_TRACES},
        {"POST", "/api/v1/topology/wc-1-2/debug/enable/10", NIMBUS_REST_DEBUG},
        {"POST", "/api/v1/topology/wc-1-2/debug/disable", NIMBUS_REST_DEBUG},
        {"POST", "/api/v1/topology/wc-1-2/debug/disable/10", NIMBUS_REST_DEBUG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nimbus_rest_route_t route = s_route (cases[i].method, cases[i].path, NULL, NULL);
        ck_assert_msg (route.handler == cases[i].handler, "%s %s", cases[i].method, cases[i].path);
        ck_assert_int_eq (route.window_secs, 0);
        ck_assert (!route.sys);
    }
    nimbus_rest_route_t route =
        s_route ("GET", "/api/v1/topology/wc-1-2/component/split", NULL, NULL);
    ck_assert_str_eq (route.topology_id, "wc-1-2");
    ck_assert_str_eq (route.component_id, "split");
    route = s_route ("POST", "/api/v1/topology/wc-1-2/kill/30", NULL, NULL);
    ck_assert_str_eq (route.topology_id, "wc-1-2");
    ck_assert_int_eq (route.wait_secs, 30);
    route = s_route ("POST", "/api/v1/topology/wc-1-2/rebalance/0", NULL, NULL);
    ck_assert_int_eq (route.wait_secs, 0);
    route = s_route ("POST", "/api/v1/topology/wc-1-2/debug/enable/0.5", NULL, NULL);
    ck_assert_double_eq (route.sample_pct, 0.5);
    ck_assert_str_eq (route.topology_id, "wc-1-2");
    route = s_route ("POST", "/api/v1/topology/wc-1-2/debug/enable/100", NULL, NULL);
    ck_assert_double_eq (route.sample_pct, 100);
    route = s_route ("POST", "/api/v1/topology/wc-1-2/debug/disable", NULL, NULL);
    ck_assert_double_eq (route.sample_pct, 0);
    const char *bad_pcts[] = {"100.5", "-1",  "1e2",  "abc",        ".",
                              "1..2",  "%00", "5%25", "12345678901"};
    for (size_t i = 0; i < sizeof bad_pcts / sizeof *bad_pcts; i++) {
        char path[128];
        snprintf (path, sizeof path, "/api/v1/topology/t/debug/enable/%s", bad_pcts[i]);
        s_refused ("POST", path, 400);
    }
    s_refused ("POST", "/api/v1/topology/t/debug/enable", 404);
    s_refused ("POST", "/api/v1/topology/t/debug/maybe/5", 404);
    s_refused ("GET", "/api/v1/topology/t/debug/enable/5", 405);
    s_refused ("POST", "/api/v1/topology/t/traces", 405);
    s_refused ("GET", "/api/v1/topology/t/traces/x", 404);
    //  The summaries win over ids of the same name, as in Storm.
    route = s_route ("GET", "/api/v1/topology/summary", NULL, NULL);
    ck_assert_str_eq (route.topology_id, "");
}
END_TEST

START_TEST (test_query)
{
    nimbus_rest_route_t route = s_route ("GET", "/api/v1/topology/t", "600", "1");
    ck_assert_int_eq (route.window_secs, 600);
    ck_assert (route.sys);
    route = s_route ("GET", "/api/v1/topology/t", ":all-time", "0");
    ck_assert_int_eq (route.window_secs, 0);
    ck_assert (!route.sys);
    route = s_route ("GET", "/api/v1/topology/t", "%3Aall-time", "true");
    ck_assert_int_eq (route.status, 200);
    ck_assert_int_eq (route.window_secs, 0);
    ck_assert (route.sys);
    route = s_route ("GET", "/api/v1/topology/t", "", "");
    ck_assert_int_eq (route.status, 200);
    const char *bad_windows[] = {"0", "-5", "abc", "600x", "9999999999", "%zz", "%00", "1e3"};
    for (size_t i = 0; i < sizeof bad_windows / sizeof bad_windows[0]; i++) {
        route = s_route ("GET", "/api/v1/topology/t", bad_windows[i], NULL);
        ck_assert_msg (route.status == 400, "window=%s: %d", bad_windows[i], route.status);
    }
    const char *bad_sys[] = {"2", "yes", "TRUE", "%"};
    for (size_t i = 0; i < sizeof bad_sys / sizeof bad_sys[0]; i++) {
        route = s_route ("GET", "/api/v1/cluster/summary", NULL, bad_sys[i]);
        ck_assert_msg (route.status == 400, "sys=%s: %d", bad_sys[i], route.status);
    }
    //  A window of 40 characters is malformed, not read past its end.
    char long_window[64];
    memset (long_window, '1', 40);
    long_window[40] = 0;
    ck_assert_int_eq (s_route ("GET", "/api/v1/topology/t", long_window, NULL).status, 400);
}
END_TEST

START_TEST (test_wrong_methods)
{
    nimbus_rest_route_t route = s_route ("POST", "/api/v1/cluster/summary", NULL, NULL);
    ck_assert_int_eq (route.status, 405);
    ck_assert_str_eq (route.allow, "GET, HEAD");
    route = s_route ("GET", "/api/v1/topology/t/kill/0", NULL, NULL);
    ck_assert_int_eq (route.status, 405);
    ck_assert_str_eq (route.allow, "POST");
    s_refused ("DELETE", "/api/v1/topology/t", 405);
    s_refused ("PUT", "/metrics", 405);
    s_refused ("GET", "/api/v1/topology/t/activate", 405);
    s_refused ("POST", "/api/v1/topology/t/history", 405);
    //  An unknown path is 404 whatever the method.
    s_refused ("DELETE", "/api/v1/nothing", 404);
}
END_TEST

START_TEST (test_unknown_paths)
{
    const char *paths[] = {
        "/",
        "/api",
        "/api/v1",
        "/api/v2/cluster/summary",
        "/api/v1/cluster",
        "/api/v1/cluster/summaries",
        "/api/v1/topology/t/component",
        "/api/v1/topology/t/component/c/extra",
        "/api/v1/topology/t/kill",
        "/api/v1/topology/t/explode/3",
        "/api/v1/topology/t/a/b/c/d/e/f/g",
        "/metrics/x",
        "/index.html",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        s_refused ("GET", paths[i], 404);
}
END_TEST

START_TEST (test_hostile_paths)
{
    //  Broken escapes, control characters, encoded NULs.
    s_refused ("GET", "/api/v1/topology/a%", 400);
    s_refused ("GET", "/api/v1/topology/a%4", 400);
    s_refused ("GET", "/api/v1/topology/a%zz", 400);
    s_refused ("GET", "/api/v1/topology/a%00b", 400);
    s_refused ("GET", "/api/v1/topology/a%0Ab", 400);
    s_refused ("GET", "/api/v1/topology/a\tb", 400);
    //  Dot segments, plain or encoded, never walk anywhere.
    s_refused ("GET", "/api/v1/topology/..", 400);
    s_refused ("GET", "/api/v1/topology/%2e%2E", 400);
    s_refused ("GET", "/api/v1/topology/./component/x", 400);
    s_refused ("GET", "/api/v1/../v1/cluster/summary", 400);
    //  Empty segments, and paths not starting with '/'.
    s_refused ("GET", "/api//v1/cluster/summary", 400);
    s_refused ("GET", "/api/v1/cluster/summary/", 400);
    s_refused ("GET", "//", 400);
    s_refused ("GET", "", 400);
    s_refused ("GET", "api/v1/cluster/summary", 400);
    s_refused ("GET", "*", 400);
    //  An encoded slash stays inside its segment: an id, not a path.
    nimbus_rest_route_t route =
        s_route ("GET", "/api/v1/topology/a%2Fb/component/c%20d", NULL, NULL);
    ck_assert_int_eq (route.handler, NIMBUS_REST_COMPONENT);
    ck_assert_str_eq (route.topology_id, "a/b");
    ck_assert_str_eq (route.component_id, "c d");
    //  Encoded fixed segments are the same segments.
    ck_assert_int_eq (s_route ("GET", "/%61pi/v1/cluster/summary", NULL, NULL).handler,
                      NIMBUS_REST_CLUSTER_SUMMARY);
    //  Bytes above 127 (UTF-8) are allowed in ids.
    route = s_route ("GET", "/api/v1/topology/w%C3%B6rter", NULL, NULL);
    ck_assert_str_eq (route.topology_id, "w\xc3\xb6rter");
}
END_TEST

START_TEST (test_long_ids_and_paths)
{
    char path[NIMBUS_REST_MAX_PATH + 64];
    //  An id of exactly the longest length is routed.
    int length = snprintf (path, sizeof path, "/api/v1/topology/");
    memset (path + length, 'x', NIMBUS_REST_MAX_ID);
    path[length + NIMBUS_REST_MAX_ID] = 0;
    nimbus_rest_route_t route = s_route ("GET", path, NULL, NULL);
    ck_assert_int_eq (route.status, 200);
    ck_assert_uint_eq (strlen (route.topology_id), NIMBUS_REST_MAX_ID);
    //  One more byte: no topology can have it.
    strcat (path, "x");
    ck_assert_int_eq (s_route ("GET", path, NULL, NULL).status, 404);
    //  The same through escapes: the decoded length counts.
    length = snprintf (path, sizeof path, "/api/v1/topology/t/component/");
    for (int i = 0; i < NIMBUS_REST_MAX_ID + 1; i++)
        length += snprintf (path + length, sizeof path - (size_t) length, "%%41");
    ck_assert_int_eq (s_route ("GET", path, NULL, NULL).status, 404);
    //  A path over the limit is 414, however it ends.
    memset (path, 'a', sizeof path);
    path[0] = '/';
    path[NIMBUS_REST_MAX_PATH + 1] = 0;
    ck_assert_int_eq (s_route ("GET", path, NULL, NULL).status, 414);
    //  Waits: digits only, within a week.
    s_refused ("POST", "/api/v1/topology/t/kill/-1", 400);
    s_refused ("POST", "/api/v1/topology/t/kill/1.5", 400);
    s_refused ("POST", "/api/v1/topology/t/kill/604801", 400);
    s_refused ("POST", "/api/v1/topology/t/rebalance/99999999999", 400);
    ck_assert_int_eq (s_route ("POST", "/api/v1/topology/t/kill/604800", NULL, NULL).wait_secs,
                      604800);
}
END_TEST

START_TEST (test_helpers)
{
    char text[64];
    ck_assert_str_eq (nimbus_rest_pretty_duration (0, text, sizeof text), "0s");
    ck_assert_str_eq (nimbus_rest_pretty_duration (59, text, sizeof text), "59s");
    ck_assert_str_eq (nimbus_rest_pretty_duration (600, text, sizeof text), "10m 0s");
    ck_assert_str_eq (nimbus_rest_pretty_duration (10800, text, sizeof text), "3h 0m 0s");
    ck_assert_str_eq (nimbus_rest_pretty_duration (86400, text, sizeof text), "1d 0h 0m 0s");
    ck_assert_str_eq (nimbus_rest_pretty_duration (90061, text, sizeof text), "1d 1h 1m 1s");
    ck_assert_str_eq (nimbus_rest_pretty_duration (-3, text, sizeof text), "0s");

    json_t *error = nimbus_rest_error (404, "no topology with that id");
    ck_assert_str_eq (json_string_value (json_object_get (error, "error")), "404 Not Found");
    ck_assert_str_eq (json_string_value (json_object_get (error, "errorMessage")),
                      "no topology with that id");
    json_decref (error);
    json_t *action = nimbus_rest_action ("kill", "wc-1-2");
    ck_assert_str_eq (json_string_value (json_object_get (action, "topologyOperation")), "kill");
    ck_assert_str_eq (json_string_value (json_object_get (action, "topologyId")), "wc-1-2");
    ck_assert_str_eq (json_string_value (json_object_get (action, "status")), "success");
    json_decref (action);

    int workers = -1;
    ck_assert_int_eq (nimbus_rest_rebalance_options (NULL, 0, &workers), 0);
    ck_assert_int_eq (workers, 0);
    const char *good = "{\"rebalanceOptions\": {\"numWorkers\": 3}, \"callback\": \"foo\"}";
    ck_assert_int_eq (nimbus_rest_rebalance_options (good, strlen (good), &workers), 0);
    ck_assert_int_eq (workers, 3);
    const char *bad[] = {
        "not json",
        "[1]",
        "{\"rebalanceOptions\": 5}",
        "{\"rebalanceOptions\": {\"numWorkers\": 0}}",
        "{\"rebalanceOptions\": {\"numWorkers\": \"2\"}}",
        "{\"rebalanceOptions\": {\"numWorkers\": 2, \"executors\": {\"spout\": 4}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        workers = -1;
        ck_assert_msg (nimbus_rest_rebalance_options (bad[i], strlen (bad[i]), &workers) == -1,
                       "accepted %s", bad[i]);
        ck_assert_int_eq (workers, 0);
    }
    //  A body with a NUL inside is not JSON.
    ck_assert_int_eq (nimbus_rest_rebalance_options ("{}\0{}", 5, &workers), -1);
}
END_TEST

static uint64_t s_seed = 0x7e57ae5700000001ULL; //  SQ_TEST_SEED replays a run

//  True when text has no byte below 0x20 and no 0x7f.
static bool
s_printable (const char *text)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

//  A random piece of pieces, or a run of up to 300 bytes (in a static
//  buffer) one time in 40.
static const char *
s_piece (const char *const *pieces, size_t count)
{
    static char run[301];
    if (s_below (40) > 0)
        return pieces[s_below (count)];
    size_t length = s_below (sizeof run);
    memset (run, 'y', length);
    run[length] = 0;
    return run;
}

//  Random paths from Storm's segments and hostile pieces: the router
//  never reads past its input, and every decision is coherent: a routed
//  request has a method its handler takes, ids within the limit without
//  control characters, parameters in range; a refused one a 4xx status
//  and a reason.
//  Nimbus's config is served, but never the ZooKeeper password.
START_TEST (test_configuration_hides_zookeeper_password)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_string (config, "storm.zookeeper.auth.scheme", "digest");
    sq_config_set_string (config, "storm.zookeeper.auth.payload", "squall:s3cret");
    sq_config_set_int (config, "nimbus.port", 7000);
    nimbus_rest_view_t view = {.config = config};
    nimbus_rest_route_t route = s_route ("GET", "/api/v1/cluster/configuration", NULL, NULL);
    int status = 0;
    json_t *answer = nimbus_rest_answer (&view, &route, &status);
    ck_assert_int_eq (status, 200);
    char *text = json_dumps (answer, JSON_COMPACT);
    ck_assert_msg (!strstr (text, "s3cret"), "the password is shown: %s", text);
    ck_assert_str_eq (json_string_value (json_object_get (answer, "storm.zookeeper.auth.payload")),
                      "########");
    ck_assert_int_eq (json_integer_value (json_object_get (answer, "nimbus.port")), 7000);
    free (text);
    json_decref (answer);
    //  The config itself keeps it: the daemon still authenticates.
    ck_assert_str_eq (sq_config_string (config, "storm.zookeeper.auth.payload", ""),
                      "squall:s3cret");
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_random_paths)
{
    static const char *pieces[] = {"api",
                                   "v1",
                                   "topology",
                                   "cluster",
                                   "summary",
                                   "component",
                                   "kill",
                                   "rebalance",
                                   "activate",
                                   "deactivate",
                                   "visualization",
                                   "history",
                                   "metrics",
                                   "nimbus",
                                   "supervisor",
                                   "configuration",
                                   "wc-1-2",
                                   "0",
                                   "30",
                                   "999999999",
                                   "..",
                                   ".",
                                   "%2e%2e",
                                   "%2F",
                                   "%00",
                                   "%",
                                   "%4",
                                   "%zz",
                                   "%41",
                                   "%C3%B6",
                                   "\x7f",
                                   "\t",
                                   "",
                                   "a b",
                                   "__acker",
                                   "?",
                                   "#"};
    static const char *templates[] = {"/api/v1/topology/%s",
                                      "/api/v1/topology/%s/component/%s",
                                      "/api/v1/topology/%s/kill/%s",
                                      "/api/v1/topology/%s/rebalance/%s",
                                      "/api/v1/topology/%s/%s",
                                      "/api/v1/%s/summary%s",
                                      "/%s%s",
                                      "/api/v1/cluster/%s%s"};
    static const char *methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "", "get"};
    static const char *values[] = {NULL,  "",          "1",   "0",  "true",
                                   "600", ":all-time", "%3A", "-1", "x"};
    s_rng = s_seed;
    char path[8 * 3200];
    int routed = 0, refused[6] = {0}; //  refused by status: 400, 404, 405, 414, other
    for (int round = 0; round < 20000; round++) {
        size_t length = 0;
        if (s_below (2) == 0) {
            //  Half the rounds: a Storm path with random pieces in its
            //  holes, which the router mostly takes.
            const char *template = templates[s_below (sizeof templates / sizeof templates[0])];
            const char *hole_1 = s_piece (pieces, sizeof pieces / sizeof pieces[0]);
            const char *hole_2 = s_piece (pieces, sizeof pieces / sizeof pieces[0]);
            length = (size_t) snprintf (path, sizeof path, template, hole_1, hole_2);
        } else {
            //  The other half: any sequence of pieces, slashes mostly
            //  between them, now and then a long run.
            size_t segments = s_below (8);
            for (size_t i = 0; i < segments; i++) {
                if (s_below (10) > 0)
                    path[length++] = '/';
                if (s_below (50) == 0) {
                    size_t run = s_below (3000);
                    memset (path + length, 'x', run);
                    length += run;
                } else {
                    const char *piece = s_piece (pieces, sizeof pieces / sizeof pieces[0]);
                    memcpy (path + length, piece, strlen (piece));
                    length += strlen (piece);
                }
            }
        }
        path[length] = 0;
        const char *method = methods[s_below (sizeof methods / sizeof methods[0])];
        const char *window = values[s_below (sizeof values / sizeof values[0])];
        const char *sys = values[s_below (sizeof values / sizeof values[0])];
        nimbus_rest_route_t route;
        int status = nimbus_rest_route (method, path, window, sys, &route);
        ck_assert_int_eq (status, route.status);
        if (status != 200) {
            ck_assert_msg (status >= 400 && status < 500 && route.error && *route.error,
                           "seed 0x%016" PRIx64 " round %d: %s %s", s_seed, round, method, path);
            ck_assert_int_eq (route.handler, NIMBUS_REST_NONE);
            ck_assert ((status == 405) == (route.allow != NULL));
            refused[status == 400   ? 0
                    : status == 404 ? 1
                    : status == 405 ? 2
                    : status == 414 ? 3
                                    : 4]++;
            continue;
        }
        ck_assert_int_ne (route.handler, NIMBUS_REST_NONE);
        bool post = route.handler == NIMBUS_REST_ACTIVATE ||
                    route.handler == NIMBUS_REST_DEACTIVATE ||
                    route.handler == NIMBUS_REST_REBALANCE || route.handler == NIMBUS_REST_KILL;
        ck_assert_msg (post ? strcmp (method, "POST") == 0
                            : strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0,
                       "%s %s routed", method, path);
        ck_assert (strlen (route.topology_id) <= NIMBUS_REST_MAX_ID);
        ck_assert (strlen (route.component_id) <= NIMBUS_REST_MAX_ID);
        ck_assert (s_printable (route.topology_id) && s_printable (route.component_id));
        ck_assert (strcmp (route.topology_id, "..") != 0 && strcmp (route.topology_id, ".") != 0);
        ck_assert (route.wait_secs >= 0 && route.wait_secs <= 604800);
        ck_assert (route.window_secs >= 0);
        ck_assert (length <= NIMBUS_REST_MAX_PATH);
        routed++;
    }
    //  The draw reaches every outcome, not only the easy refusals.
    printf ("test_random_paths: routed=%d 400=%d 404=%d 405=%d 414=%d\n", routed, refused[0],
            refused[1], refused[2], refused[3]);
    fflush (stdout);
    ck_assert_int_ge (routed, 50);
    for (int i = 0; i < 4; i++)
        ck_assert_int_ge (refused[i], 10);
    ck_assert_int_eq (refused[4], 0);
}
END_TEST

int
main (void)
{
    s_seed = test_random_seed ("test_nimbus_rest", s_seed);
    Suite *suite = suite_create ("nimbus_rest");
    TCase *tcase = tcase_create ("route");
    tcase_add_test (tcase, test_storm_paths);
    tcase_add_test (tcase, test_query);
    tcase_add_test (tcase, test_wrong_methods);
    tcase_add_test (tcase, test_unknown_paths);
    tcase_add_test (tcase, test_hostile_paths);
    tcase_add_test (tcase, test_long_ids_and_paths);
    tcase_add_test (tcase, test_helpers);
    tcase_add_test (tcase, test_random_paths);
    tcase_add_test (tcase, test_configuration_hides_zookeeper_password);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
