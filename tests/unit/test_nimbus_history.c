/*  test_nimbus_history - nimbus_history with a fake clock: rates from
    all-time counters, the first sample, counter resets (never a negative
    rate), the ring wrapping at 60 points, latency quantiles of the
    interval only, the JSON answer, forgetting a topology, and a sample
    read from nimbus_metrics after real heartbeat snapshots.
*/
#include "nimbus_history.h"
#include "nimbus_metrics.h"

#include <check.h>
#include <stdlib.h>

#define SEC 1000ULL           //  milliseconds in a second
#define T0 (1000000ULL * SEC) //  fake monotonic clock at the test's start
#define UNIX0 1700000000      //  fake unix time at the test's start

//  Add a sample of counters only, k intervals after the start.
static void
s_add (nimbus_history_t *history, const char *id, uint64_t k, uint64_t emitted, uint64_t acked,
       uint64_t failed)
{
    nimbus_history_sample_t sample = {
        .emitted = emitted, .acked = acked, .failed = failed, .span_ms = 5 * SEC};
    ck_assert_int_eq (
        nimbus_history_add (history, id, T0 + k * 10 * SEC, UNIX0 + (int64_t) k * 10, &sample), 0);
}

//  Every 10 s, 100 more emitted, 50 more acked, 10 more failed: 10, 5
//  and 1 per second. The first sample counts over its span (5 s).
START_TEST (test_rates_from_counters)
{
    nimbus_history_t *history = nimbus_history_new ();
    ck_assert_ptr_nonnull (history);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 0);
    s_add (history, "t-1", 0, 40, 20, 5);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 1);
    nimbus_history_point_t first = nimbus_history_point (history, "t-1", 0);
    ck_assert (first.emitted == 8 && first.acked == 4 && first.failed == 1);
    ck_assert_int_eq (first.time, UNIX0);
    for (uint64_t k = 1; k <= 5; k++)
        s_add (history, "t-1", k, 40 + 100 * k, 20 + 50 * k, 5 + 10 * k);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 6);
    for (size_t i = 1; i < 6; i++) {
        nimbus_history_point_t point = nimbus_history_point (history, "t-1", i);
        ck_assert (point.emitted == 10 && point.acked == 5 && point.failed == 1);
        ck_assert_int_eq (point.time, UNIX0 + (int64_t) i * 10);
        ck_assert (point.complete_p50_ms < 0 && point.complete_p99_ms < 0);
    }
    //  A sample no later than the previous one adds nothing.
    nimbus_history_sample_t same = {.emitted = 10000};
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0 + 50 * SEC, UNIX0 + 50, &same), 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 6);
    //  Topologies are apart.
    ck_assert_uint_eq (nimbus_history_size (history, "t-2"), 0);
    nimbus_history_destroy (&history);
    ck_assert_ptr_null (history);
    nimbus_history_destroy (&history);
}
END_TEST

//  A first sample that covers no time (no executor reported yet) is only
//  a baseline.
START_TEST (test_first_sample_without_span)
{
    nimbus_history_t *history = nimbus_history_new ();
    nimbus_history_sample_t sample = {0};
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0, UNIX0, &sample), 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 0);
    sample.emitted = 30;
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0 + 10 * SEC, UNIX0 + 10, &sample), 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 1);
    ck_assert (nimbus_history_point (history, "t-1", 0).emitted == 3);
    nimbus_history_destroy (&history);
}
END_TEST

//  Counters that go back (a rebalance dropped an executor, a worker
//  restarted with its counters from zero) count from zero: the figure
//  itself is the increment, and no rate is ever negative.
START_TEST (test_counter_reset)
{
    nimbus_history_t *history = nimbus_history_new ();
    s_add (history, "t-1", 0, 0, 0, 0);
    s_add (history, "t-1", 1, 5000, 4000, 300);
    s_add (history, "t-1", 2, 200, 100, 0);
    s_add (history, "t-1", 3, 300, 100, 10);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 4);
    nimbus_history_point_t reset = nimbus_history_point (history, "t-1", 2);
    ck_assert (reset.emitted == 20 && reset.acked == 10 && reset.failed == 0);
    nimbus_history_point_t after = nimbus_history_point (history, "t-1", 3);
    ck_assert (after.emitted == 10 && after.acked == 0 && after.failed == 1);
    for (size_t i = 0; i < 4; i++) {
        nimbus_history_point_t point = nimbus_history_point (history, "t-1", i);
        ck_assert (point.emitted >= 0 && point.acked >= 0 && point.failed >= 0);
    }
    nimbus_history_destroy (&history);
}
END_TEST

//  75 samples: the ring keeps the newest 60, oldest first.
START_TEST (test_ring_wraps)
{
    nimbus_history_t *history = nimbus_history_new ();
    for (uint64_t k = 0; k < 75; k++)
        s_add (history, "t-1", k, k * k * 10, 0, 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), NIMBUS_HISTORY_POINTS);
    for (size_t i = 0; i < NIMBUS_HISTORY_POINTS; i++) {
        uint64_t k = 15 + i;
        nimbus_history_point_t point = nimbus_history_point (history, "t-1", i);
        ck_assert_int_eq (point.time, UNIX0 + (int64_t) k * 10);
        //  (k^2 - (k-1)^2) * 10 / 10 s
        ck_assert (point.emitted == (double) (2 * k - 1));
    }
    json_t *answer = nimbus_history_answer (history, "t-1");
    ck_assert_ptr_nonnull (answer);
    json_t *points = json_object_get (answer, "points");
    ck_assert_uint_eq (json_array_size (points), NIMBUS_HISTORY_POINTS);
    ck_assert_int_eq (json_integer_value (json_object_get (json_array_get (points, 0), "time")),
                      UNIX0 + 150);
    ck_assert_int_eq (json_integer_value (json_object_get (json_array_get (points, 59), "time")),
                      UNIX0 + 740);
    json_decref (answer);
    nimbus_history_forget (history, "t-1");
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 0);
    nimbus_history_forget (history, "t-1");
    nimbus_history_destroy (&history);
}
END_TEST

//  Latencies: each point's quantiles are those of the trees completed in
//  its interval, not of all time; a histogram that went back counts whole.
START_TEST (test_latency_of_interval)
{
    nimbus_history_t *history = nimbus_history_new ();
    sq_histogram_t *cumulative = sq_histogram_new ();
    nimbus_history_sample_t sample = {.complete_latency = cumulative, .span_ms = 10 * SEC};
    for (int i = 0; i < 1000; i++)
        sq_histogram_record (cumulative, 2000000); //  2 ms
    sample.acked = 1000;
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0, UNIX0, &sample), 0);
    for (int i = 0; i < 100; i++)
        sq_histogram_record (cumulative, 50000000); //  50 ms
    sample.acked = 1100;
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0 + 10 * SEC, UNIX0 + 10, &sample), 0);
    //  No tree completed in the third interval.
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0 + 20 * SEC, UNIX0 + 20, &sample), 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 3);
    nimbus_history_point_t first = nimbus_history_point (history, "t-1", 0);
    ck_assert_double_eq_tol (first.complete_p50_ms, 2, 2.0 / 64);
    ck_assert_double_eq_tol (first.complete_p99_ms, 2, 2.0 / 64);
    nimbus_history_point_t slow = nimbus_history_point (history, "t-1", 1);
    ck_assert_double_eq_tol (slow.complete_p50_ms, 50, 50.0 / 64);
    ck_assert (slow.acked == 10);
    nimbus_history_point_t idle = nimbus_history_point (history, "t-1", 2);
    ck_assert (idle.complete_p50_ms < 0 && idle.complete_p99_ms < 0);
    //  A restart: the histogram starts again with 10 values of 1 ms.
    sq_histogram_reset (cumulative);
    for (int i = 0; i < 10; i++)
        sq_histogram_record (cumulative, 1000000);
    sample.acked = 10;
    ck_assert_int_eq (nimbus_history_add (history, "t-1", T0 + 30 * SEC, UNIX0 + 30, &sample), 0);
    nimbus_history_point_t restarted = nimbus_history_point (history, "t-1", 3);
    ck_assert_double_eq_tol (restarted.complete_p99_ms, 1, 1.0 / 64);
    ck_assert (restarted.acked == 1);
    //  In JSON: null where no tree completed.
    json_t *answer = nimbus_history_answer (history, "t-1");
    ck_assert_str_eq (json_string_value (json_object_get (answer, "topologyId")), "t-1");
    ck_assert_int_eq (json_integer_value (json_object_get (answer, "intervalSecs")), 10);
    json_t *points = json_object_get (answer, "points");
    ck_assert (json_is_null (json_object_get (json_array_get (points, 2), "completeLatencyP50Ms")));
    ck_assert (json_is_real (json_object_get (json_array_get (points, 1), "completeLatencyP99Ms")));
    ck_assert (json_real_value (json_object_get (json_array_get (points, 1), "acked")) == 10);
    json_decref (answer);
    sq_histogram_destroy (&cumulative);
    nimbus_history_destroy (&history);
}
END_TEST

//  A heartbeat snapshot of one spout [1-1] whose "default" stream emitted
//  emitted tuples and acked trees of 4 ms each, plus a system stream.
static json_t *
s_spout_snapshot (uint64_t uptime_secs, uint64_t emitted, uint64_t acked, uint64_t timed_out)
{
    sq_histogram_t *latency = sq_histogram_new ();
    json_t *none = sq_histogram_encode (latency);
    for (uint64_t i = 0; i < acked; i++)
        sq_histogram_record (latency, 4000000);
    json_t *stream = json_pack (
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "stream", "default", "emitted", (json_int_t) emitted,
        "transferred", (json_int_t) emitted, "acked", (json_int_t) acked, "failed", (json_int_t) 1,
        "timed_out", (json_int_t) timed_out, "complete_latency", sq_histogram_encode (latency));
    json_t *system = json_pack (
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "stream", "__ack_init", "emitted",
        (json_int_t) (5 * emitted), "transferred", (json_int_t) emitted, "acked", (json_int_t) 0,
        "failed", (json_int_t) 0, "timed_out", (json_int_t) 0, "complete_latency", none);
    sq_histogram_destroy (&latency);
    json_t *spout = json_pack (
        "{s:s, s:b, s:[i,i], s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:[o, o], s:[], s:[]}",
        "component", "spout", "spout", 1, "tasks", 1, 1, "uptime_ns",
        (json_int_t) (uptime_secs * 1000000000ULL), "errors_total", (json_int_t) 0, "queue",
        "population", (json_int_t) 0, "capacity", (json_int_t) 1024, "held_ns", "max_pending",
        (json_int_t) 0, "backpressure", (json_int_t) 0, "inactive", (json_int_t) 0, "streams",
        stream, system, "inputs", "errors");
    ck_assert_ptr_nonnull (spout);
    return json_pack ("{s:i, s:i, s:[o]}", "v", 1, "omitted", 0, "executors", spout);
}

//  nimbus_history_sample reads the all-time figures nimbus_metrics keeps:
//  system streams left out, timed out trees counted as failed.
START_TEST (test_sample_from_metrics)
{
    nimbus_metrics_t *metrics = nimbus_metrics_new ();
    nimbus_history_t *history = nimbus_history_new ();
    nimbus_rest_source_t source = {
        .metrics = metrics, .topology_id = "t-1", .now = UNIX0, .now_ms = T0};
    //  Nothing reported yet: a baseline, no point.
    ck_assert_int_eq (nimbus_history_sample (history, &source), 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 0);
    json_t *snapshot = s_spout_snapshot (20, 200, 100, 9);
    ck_assert_ptr_nonnull (snapshot);
    ck_assert_int_eq (nimbus_metrics_fold (metrics, "t-1", snapshot, T0 + 5 * SEC), 0);
    json_decref (snapshot);
    source.now_ms = T0 + 10 * SEC;
    source.now = UNIX0 + 10;
    ck_assert_int_eq (nimbus_history_sample (history, &source), 0);
    snapshot = s_spout_snapshot (30, 400, 300, 19);
    ck_assert_int_eq (nimbus_metrics_fold (metrics, "t-1", snapshot, T0 + 15 * SEC), 0);
    json_decref (snapshot);
    source.now_ms = T0 + 20 * SEC;
    source.now = UNIX0 + 20;
    ck_assert_int_eq (nimbus_history_sample (history, &source), 0);
    ck_assert_uint_eq (nimbus_history_size (history, "t-1"), 2);
    nimbus_history_point_t point = nimbus_history_point (history, "t-1", 1);
    ck_assert_int_eq (point.time, UNIX0 + 20);
    ck_assert (point.emitted == 20 && point.acked == 20 && point.failed == 1);
    ck_assert_double_eq_tol (point.complete_p50_ms, 4, 4.0 / 64);
    nimbus_history_destroy (&history);
    nimbus_metrics_destroy (&metrics);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_history");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_rates_from_counters);
    tcase_add_test (tc, test_first_sample_without_span);
    tcase_add_test (tc, test_counter_reset);
    tcase_add_test (tc, test_ring_wraps);
    tcase_add_test (tc, test_latency_of_interval);
    tcase_add_test (tc, test_sample_from_metrics);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
