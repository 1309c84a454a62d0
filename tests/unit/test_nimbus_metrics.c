/*  test_nimbus_metrics - heartbeat metrics folded into windows, with a
    fake clock: exact sums per component, stream and input, an executor
    restart, the sys filter, the source cap, forgetting a topology and the
    ackers' blame counts per component, executor and task.
*/
#include "nimbus_metrics.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000ULL           //  milliseconds in a second
#define T0 (1000000ULL * SEC) //  fake monotonic clock at the test's start

//  A histogram's JSON form holding count values of value_ns each.
static json_t *
s_histogram (uint64_t count, uint64_t value_ns)
{
    sq_histogram_t *histogram = sq_histogram_new ();
    for (uint64_t v = 0; v < count; v++)
        sq_histogram_record (histogram, value_ns);
    json_t *json = sq_histogram_encode (histogram);
    sq_histogram_destroy (&histogram);
    return json;
}

//  One heartbeat's metrics: a spout "numbers" [1-1] and a bolt "sink"
//  [2-3] that has seen every number, uptime secs.
static json_t *
s_snapshot (uint64_t uptime_secs, uint64_t emitted, uint64_t acked, uint64_t failed,
            uint64_t timed_out, uint64_t executed)
{
    json_t *spout = json_pack (
        "{s:s, s:b, s:[i,i], s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:[{s:s, s:I, s:I, s:I, "
        "s:I, s:I, s:o}, {s:s, s:I, s:I, s:I, s:I, s:I, s:o}], s:[], s:[], s:[]}",
        "component", "numbers", "spout", 1, "tasks", 1, 1, "uptime_ns",
        (json_int_t) (uptime_secs * 1000000000ULL), "errors_total", (json_int_t) 0, "queue",
        "population", (json_int_t) 3, "capacity", (json_int_t) 1024, "held_ns", "max_pending",
        (json_int_t) 7, "backpressure", (json_int_t) 0, "inactive", (json_int_t) 0, "streams",
        "stream", "default", "emitted", (json_int_t) emitted, "transferred", (json_int_t) emitted,
        "acked", (json_int_t) acked, "failed", (json_int_t) failed, "timed_out",
        (json_int_t) timed_out, "complete_latency", s_histogram (acked, 2000000), "stream",
        "__ack_init", "emitted", (json_int_t) emitted, "transferred", (json_int_t) emitted, "acked",
        (json_int_t) 0, "failed", (json_int_t) 0, "timed_out", (json_int_t) 0, "complete_latency",
        s_histogram (0, 0), "inputs", "errors", "user");
    json_t *bolt = json_pack (
        "{s:s, s:b, s:[i,i], s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:[], s:[{s:s, s:s, s:I, "
        "s:I, s:I, s:o, s:o}], s:[{s:I, s:i, s:s}], s:[]}",
        "component", "sink", "spout", 0, "tasks", 2, 3, "uptime_ns",
        (json_int_t) (uptime_secs * 1000000000ULL), "errors_total", (json_int_t) 1, "queue",
        "population", (json_int_t) 5, "capacity", (json_int_t) 1024, "held_ns", "max_pending",
        (json_int_t) 0, "backpressure", (json_int_t) 0, "inactive", (json_int_t) 0, "streams",
        "inputs", "component", "numbers", "stream", "default", "executed", (json_int_t) executed,
        "acked", (json_int_t) (executed - failed), "failed", (json_int_t) failed, "execute_latency",
        s_histogram (executed, 1000000), "process_latency", s_histogram (executed, 3000000),
        "errors", "time_ms", (json_int_t) 1234, "task", 3, "error", "boom", "user");
    ck_assert_ptr_nonnull (spout);
    ck_assert_ptr_nonnull (bolt);
    return json_pack ("{s:i, s:i, s:[o, o]}", "v", 1, "omitted", 0, "executors", spout, bolt);
}

static void
s_fold (nimbus_metrics_t *metrics, const char *id, json_t *snapshot, uint64_t now)
{
    ck_assert_ptr_nonnull (snapshot);
    ck_assert_int_eq (nimbus_metrics_fold (metrics, id, snapshot, now), 0);
    json_decref (snapshot);
}

//  Two heartbeats, 10 s apart: all-time sums are the latest cumulative
//  values; the 10 minute window leaves out the first snapshot, which
//  accrued over an hour of uptime before nimbus saw it.
START_TEST (test_fold_exact)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    ck_assert_ptr_nonnull (metrics);
    s_fold (metrics, "t-1", s_snapshot (3600, 100, 90, 4, 6, 100), T0);
    s_fold (metrics, "t-1", s_snapshot (3610, 150, 135, 6, 9, 150), T0 + 10 * SEC);
    ck_assert_uint_eq (nimbus_metrics_sources (metrics, "t-1"), 3);

    nimbus_metrics_stats_t stats;
    ck_assert_int_eq (nimbus_metrics_stats_init (&stats), 0);
    nimbus_metrics_filter_t spout = {.component = "numbers"};
    nimbus_metrics_stats (metrics, "t-1", &spout, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.emitted, 150); //  __ack_init left out: sys false
    ck_assert_uint_eq (stats.transferred, 150);
    ck_assert_uint_eq (stats.acked, 135);
    ck_assert_uint_eq (stats.failed, 6);
    ck_assert_uint_eq (stats.timed_out, 9);
    ck_assert_uint_eq (stats.executors, 1);
    ck_assert_uint_eq (stats.held_ns[0], 7);
    ck_assert_uint_eq (stats.queue_population, 3);
    ck_assert_uint_eq (sq_histogram_count (stats.complete_latency), 135);
    ck_assert_uint_eq (sq_histogram_max (stats.complete_latency), 2000000);

    spout.sys = true;
    nimbus_metrics_stats (metrics, "t-1", &spout, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.emitted, 300);
    nimbus_metrics_stats (metrics, "t-1", &spout, NIMBUS_WINDOW_10M, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.emitted, 100); //  the second increment only, both streams
    ck_assert_uint_eq (stats.acked, 45);
    ck_assert_uint_eq (stats.timed_out, 3);
    ck_assert_uint_eq (sq_histogram_count (stats.complete_latency), 45);

    nimbus_metrics_filter_t sink = {.component = "sink"};
    nimbus_metrics_stats (metrics, "t-1", &sink, NIMBUS_WINDOW_10M, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.emitted, 0);
    ck_assert_uint_eq (stats.executed, 50);
    ck_assert_uint_eq (stats.acked, 48);
    ck_assert_uint_eq (stats.failed, 2);
    ck_assert_uint_eq (stats.errors, 0);
    ck_assert_uint_eq (stats.span_ms, 10 * SEC);
    //  Capacity: 50 executed x 1 ms over 10 s.
    ck_assert_double_eq_tol (stats.capacity, 0.005, 1e-9);
    ck_assert_uint_eq (sq_histogram_max (stats.process_latency), 3000000);
    nimbus_metrics_stats (metrics, "t-1", &sink, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.errors, 1);
    ck_assert_uint_eq (stats.executed, 150);

    //  Inputs filter: from numbers:default only; outputs skipped.
    nimbus_metrics_filter_t input = {.input_component = "numbers", .input_stream = "default"};
    nimbus_metrics_stats (metrics, "t-1", &input, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.executed, 150);
    ck_assert_uint_eq (stats.emitted, 0);
    input.input_stream = "other";
    nimbus_metrics_stats (metrics, "t-1", &input, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.executed, 0);

    json_t *streams = nimbus_metrics_keys (metrics, "t-1", "numbers", false, false);
    ck_assert_uint_eq (json_array_size (streams), 1);
    ck_assert_str_eq (json_string_value (json_array_get (streams, 0)), "default");
    json_decref (streams);
    json_t *inputs = nimbus_metrics_keys (metrics, "t-1", "sink", true, false);
    ck_assert_uint_eq (json_array_size (inputs), 1);
    ck_assert_str_eq (json_string_value (json_array_get (json_array_get (inputs, 0), 0)),
                      "numbers");
    json_decref (inputs);
    json_t *errors = nimbus_metrics_errors (metrics, "t-1", "sink", 10);
    ck_assert_uint_eq (json_array_size (errors), 1);
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (errors, 0), "error")),
                      "boom");
    json_decref (errors);
    json_t *executors = nimbus_metrics_executors (metrics, "t-1");
    ck_assert_uint_eq (json_array_size (executors), 2);
    json_decref (executors);

    nimbus_metrics_stats_free (&stats);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

//  A worker restart: the counters go back to small values and the uptime
//  too; the new run's values add to what was counted, never subtract.
START_TEST (test_restart)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    s_fold (metrics, "t-1", s_snapshot (60, 100, 90, 4, 6, 100), T0);
    s_fold (metrics, "t-1", s_snapshot (70, 120, 100, 5, 7, 120), T0 + 10 * SEC);
    s_fold (metrics, "t-1", s_snapshot (5, 30, 20, 1, 0, 30), T0 + 20 * SEC);
    nimbus_metrics_stats_t stats;
    ck_assert_int_eq (nimbus_metrics_stats_init (&stats), 0);
    nimbus_metrics_filter_t spout = {.component = "numbers"};
    nimbus_metrics_stats (metrics, "t-1", &spout, NIMBUS_WINDOW_ALL, T0 + 20 * SEC, &stats);
    ck_assert_uint_eq (stats.emitted, 150);
    ck_assert_uint_eq (stats.acked, 120);
    ck_assert_uint_eq (stats.failed, 6);
    ck_assert_uint_eq (stats.timed_out, 7);
    ck_assert_uint_eq (stats.uptime_ms, 5 * SEC);
    nimbus_metrics_filter_t all = {0};
    nimbus_metrics_stats (metrics, "t-1", &all, NIMBUS_WINDOW_ALL, T0 + 20 * SEC, &stats);
    ck_assert_uint_eq (stats.executed, 150);
    ck_assert_uint_eq (stats.executors, 2);
    nimbus_metrics_stats_free (&stats);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

//  Forgetting a topology drops its windows; another topology keeps its.
START_TEST (test_forget)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    s_fold (metrics, "t-1", s_snapshot (60, 100, 90, 4, 6, 100), T0);
    s_fold (metrics, "t-2", s_snapshot (60, 10, 9, 1, 0, 10), T0);
    nimbus_metrics_forget (metrics, "t-1");
    ck_assert_uint_eq (nimbus_metrics_sources (metrics, "t-1"), 0);
    ck_assert_uint_eq (nimbus_metrics_sources (metrics, "t-2"), 3);
    nimbus_metrics_stats_t stats;
    ck_assert_int_eq (nimbus_metrics_stats_init (&stats), 0);
    nimbus_metrics_filter_t all = {0};
    nimbus_metrics_stats (metrics, "t-1", &all, NIMBUS_WINDOW_ALL, T0, &stats);
    ck_assert_uint_eq (stats.emitted, 0);
    ck_assert_uint_eq (stats.executors, 0);
    nimbus_metrics_stats (metrics, "t-2", &all, NIMBUS_WINDOW_ALL, T0, &stats);
    ck_assert_uint_eq (stats.emitted, 10);
    nimbus_metrics_stats_free (&stats);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

//  A hostile worker sending more streams than the cap: the topology keeps
//  NIMBUS_METRICS_MAX_SOURCES and counts the rest as refused.
START_TEST (test_source_cap)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    json_t *streams = json_array ();
    for (int s = 0; s < NIMBUS_METRICS_MAX_SOURCES + 10; s++) {
        char name[32];
        snprintf (name, sizeof name, "s%d", s);
        json_array_append_new (
            streams, json_pack ("{s:s, s:i, s:i}", "stream", name, "emitted", 1, "transferred", 1));
    }
    json_t *snapshot = json_pack (
        "{s:i, s:i, s:[{s:s, s:b, s:[i,i], s:i, s:i, s:o, s:[], s:[], s:[]}]}", "v", 1, "omitted",
        0, "executors", "component", "many", "spout", 0, "tasks", 1, 1, "uptime_ns", 1000000000,
        "errors_total", 0, "streams", streams, "inputs", "errors", "user");
    s_fold (metrics, "t-1", snapshot, T0);
    ck_assert_uint_eq (nimbus_metrics_sources (metrics, "t-1"), NIMBUS_METRICS_MAX_SOURCES);
    ck_assert_uint_eq (nimbus_metrics_refused (metrics, "t-1"), 10);
    nimbus_metrics_stats_t stats;
    ck_assert_int_eq (nimbus_metrics_stats_init (&stats), 0);
    nimbus_metrics_filter_t all = {0};
    nimbus_metrics_stats (metrics, "t-1", &all, NIMBUS_WINDOW_ALL, T0, &stats);
    ck_assert_uint_eq (stats.emitted, NIMBUS_METRICS_MAX_SOURCES);
    sq_prometheus_t *out = sq_prometheus_new ();
    ck_assert_int_eq (nimbus_metrics_prometheus (metrics, out, NULL, T0), 0);
    ck_assert_ptr_nonnull (
        strstr (sq_prometheus_text (out),
                "\nsquall_topology_metrics_refused_total{topology=\"t-1\"} 10\n"));
    sq_prometheus_destroy (&out);
    nimbus_metrics_stats_free (&stats);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

//  The Prometheus families: all-time counters per stream and input, with
//  the topology's name, the executor's tasks and the stream as labels;
//  latencies in seconds. A worker restart never makes a counter go back.
START_TEST (test_prometheus)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    s_fold (metrics, "t-1", s_snapshot (60, 100, 90, 4, 6, 100), T0);
    s_fold (metrics, "t-1", s_snapshot (5, 30, 20, 1, 0, 30), T0 + 10 * SEC);
    sq_prometheus_t *out = sq_prometheus_new ();
    json_t *names = json_pack ("{s:s}", "t-1", "probe");
    ck_assert_int_eq (nimbus_metrics_prometheus (metrics, out, names, T0 + 10 * SEC), 0);
    const char *text = sq_prometheus_text (out);
    const char *expected[] = {
        "squall_stream_emitted_tuples_total{topology=\"probe\",component=\"numbers\",task=\"1-1\","
        "stream=\"default\"} 130\n",
        "squall_stream_acked_trees_total{topology=\"probe\",component=\"numbers\",task=\"1-1\","
        "stream=\"default\"} 110\n",
        "squall_stream_failed_trees_total{topology=\"probe\",component=\"numbers\",task=\"1-1\","
        "stream=\"default\"} 5\n",
        "squall_stream_timed_out_trees_total{topology=\"probe\",component=\"numbers\","
        "task=\"1-1\",stream=\"default\"} 6\n",
        "squall_input_executed_tuples_total{topology=\"probe\",component=\"sink\",task=\"2-3\","
        "stream=\"default\",source_component=\"numbers\"} 130\n",
        "squall_input_failed_tuples_total{topology=\"probe\",component=\"sink\",task=\"2-3\","
        "stream=\"default\",source_component=\"numbers\"} 5\n",
        "squall_input_execute_latency_seconds_count{topology=\"probe\",component=\"sink\","
        "task=\"2-3\",stream=\"default\",source_component=\"numbers\"} 130\n",
        "squall_executor_errors_total{topology=\"probe\",component=\"sink\",task=\"2-3\"} 2\n",
        "squall_executor_receive_queue_population{topology=\"probe\",component=\"sink\","
        "task=\"2-3\"} 5\n",
        "squall_executor_uptime_seconds{topology=\"probe\",component=\"numbers\",task=\"1-1\"} "
        "5\n",
    };
    for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++)
        ck_assert_msg (strstr (text, expected[e]), "missing: %s in\n%s", expected[e], text);
    //  Spout-only families leave bolts out; one TYPE line per family.
    ck_assert_ptr_null (strstr (text, "squall_stream_acked_trees_total{topology=\"probe\","
                                      "component=\"sink\""));
    ck_assert_ptr_nonnull (strstr (text, "# TYPE squall_stream_emitted_tuples_total counter\n"));
    json_decref (names);
    sq_prometheus_destroy (&out);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

//  A worker's snapshot with an acker executor [acker-acker] up for
//  uptime_secs and its ackers' blame object from held and fails (JSON
//  pair lists); executors: the worker's other executors (stolen), or NULL.
static json_t *
s_blame_snapshot (json_t *executors, int acker, uint64_t uptime_secs, const char *held,
                  const char *fails)
{
    json_t *snapshot =
        executors ? executors : json_pack ("{s:i, s:i, s:[]}", "v", 1, "omitted", 0, "executors");
    json_t *entry =
        json_pack ("{s:s, s:b, s:[i,i], s:I}", "component", "__acker", "spout", 0, "tasks", acker,
                   acker, "uptime_ns", (json_int_t) (uptime_secs * 1000000000ULL));
    json_t *blame =
        json_pack ("{s:o, s:o, s:i, s:i, s:i}", "timeouts_held", json_loads (held, 0, NULL),
                   "fails_by", json_loads (fails, 0, NULL), "timeouts_unattributed", 0,
                   "fails_unattributed", 0, "expired_without_init", 0);
    ck_assert_ptr_nonnull (snapshot);
    ck_assert_ptr_nonnull (entry);
    ck_assert_ptr_nonnull (blame);
    json_array_append_new (json_object_get (snapshot, "executors"), entry);
    json_object_set_new (snapshot, "blame", blame);
    return snapshot;
}

//  Two workers' ackers blame the sink's tasks 2 and 3: a component's and
//  an executor's counts are the sums over both workers, each worker's
//  cumulative counts windowed on their own; /metrics shows them per task.
START_TEST (test_blame)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    ck_assert_ptr_nonnull (metrics);
    s_fold (metrics, "t-1",
            s_blame_snapshot (s_snapshot (3600, 100, 90, 4, 6, 100), 4, 3600, "[[2, 3], [3, 1]]",
                              "[[3, 2]]"),
            T0);
    s_fold (metrics, "t-1", s_blame_snapshot (NULL, 5, 3600, "[[2, 4]]", "[]"), T0);
    //  Worker A again, 10 s on: task 2 held two more.
    s_fold (metrics, "t-1",
            s_blame_snapshot (s_snapshot (3610, 150, 135, 6, 9, 150), 4, 3610, "[[2, 5], [3, 1]]",
                              "[[3, 2]]"),
            T0 + 10 * SEC);

    nimbus_metrics_stats_t stats;
    ck_assert_int_eq (nimbus_metrics_stats_init (&stats), 0);
    nimbus_metrics_filter_t sink = {.component = "sink"};
    nimbus_metrics_stats (metrics, "t-1", &sink, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.timeouts_held, 10); //  5 + 1 from A, 4 from B
    ck_assert_uint_eq (stats.fails_blamed, 2);
    nimbus_metrics_stats (metrics, "t-1", &sink, NIMBUS_WINDOW_10M, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.timeouts_held, 2); //  the first snapshots accrued over an hour
    ck_assert_uint_eq (stats.fails_blamed, 0);
    nimbus_metrics_filter_t executor = {.component = "sink", .first_task = 2};
    nimbus_metrics_stats (metrics, "t-1", &executor, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.timeouts_held, 10);
    nimbus_metrics_filter_t spout = {.component = "numbers"};
    nimbus_metrics_stats (metrics, "t-1", &spout, NIMBUS_WINDOW_ALL, T0 + 10 * SEC, &stats);
    ck_assert_uint_eq (stats.timeouts_held, 0);
    ck_assert_uint_eq (stats.fails_blamed, 0);
    nimbus_metrics_stats_free (&stats);

    //  Worker B's ackers restart and count again from 1.
    s_fold (metrics, "t-1", s_blame_snapshot (NULL, 5, 5, "[[3, 1]]", "[]"), T0 + 20 * SEC);
    sq_prometheus_t *out = sq_prometheus_new ();
    json_t *names = json_pack ("{s:s}", "t-1", "probe");
    ck_assert_int_eq (nimbus_metrics_prometheus (metrics, out, names, T0 + 20 * SEC), 0);
    const char *text = sq_prometheus_text (out);
    const char *expected[] = {
        "squall_timeouts_held_total{topology=\"probe\",component=\"sink\",task=\"2\"} 9\n",
        "squall_timeouts_held_total{topology=\"probe\",component=\"sink\",task=\"3\"} 2\n",
        "squall_timeouts_held_total{topology=\"probe\",component=\"numbers\",task=\"1\"} 0\n",
        "squall_fails_blamed_total{topology=\"probe\",component=\"sink\",task=\"3\"} 2\n",
        "squall_fails_blamed_total{topology=\"probe\",component=\"sink\",task=\"2\"} 0\n",
        "# TYPE squall_timeouts_held_total counter\n",
    };
    for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++)
        ck_assert_msg (strstr (text, expected[e]), "missing: %s in\n%s", expected[e], text);
    json_decref (names);
    sq_prometheus_destroy (&out);

    //  The cap: a third worker blaming more tasks than fit is refused the
    //  rest: 4 [worker, task] pairs are kept already (tasks 2 and 3 from
    //  each of the first two workers), so its last 4 tasks do not fit.
    char *held = calloc (NIMBUS_METRICS_MAX_BLAME * 16 + 8, 1);
    ck_assert_ptr_nonnull (held);
    size_t at = (size_t) sprintf (held, "[");
    for (int task = 1; task <= NIMBUS_METRICS_MAX_BLAME; task++)
        at += (size_t) sprintf (held + at, "%s[%d, 1]", task > 1 ? ", " : "", task);
    sprintf (held + at, "]");
    uint64_t refused = nimbus_metrics_refused (metrics, "t-1");
    s_fold (metrics, "t-1", s_blame_snapshot (NULL, 6, 5, held, "[]"), T0 + 30 * SEC);
    ck_assert_uint_eq (nimbus_metrics_refused (metrics, "t-1") - refused, 4);
    free (held);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_metrics");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_fold_exact);
    tcase_add_test (tc, test_restart);
    tcase_add_test (tc, test_forget);
    tcase_add_test (tc, test_source_cap);
    tcase_add_test (tc, test_prometheus);
    tcase_add_test (tc, test_blame);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
