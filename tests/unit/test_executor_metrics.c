/*  test_executor_metrics - sq_executor_metrics: exact counts per stream
    and input, held times, the error ring, user metrics and their cap,
    snapshots taken while a writer runs, merge, the summary row and the
    JSON form with hostile inputs.
*/
#include "squall.h"
#include "sq_clock.h"
#include "sq_error.h"
#include "sq_executor_metrics.h"
#include "sq_histogram.h"
#include "sq_runtime.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const s_streams[] = {"default", "words"};
static const char *const s_sources[] = {"spout", "split"};
static const char *const s_source_streams[] = {"default", "words"};

static sq_executor_metrics_t *
s_bolt (void)
{
    sq_executor_metrics_shape_t shape = {.component = "count",
                                         .first_task = 3,
                                         .last_task = 4,
                                         .streams = s_streams,
                                         .stream_count = 2,
                                         .input_components = s_sources,
                                         .input_streams = s_source_streams,
                                         .input_count = 2,
                                         .queue_capacity = 1024,
                                         .created_ns = 1000};
    sq_executor_metrics_t *metrics = sq_executor_metrics_new (&shape);
    ck_assert_ptr_nonnull (metrics);
    return metrics;
}

static sq_executor_metrics_t *
s_spout (void)
{
    sq_executor_metrics_shape_t shape = {.component = "spout",
                                         .spout = true,
                                         .first_task = 1,
                                         .last_task = 1,
                                         .streams = s_streams,
                                         .stream_count = 2,
                                         .queue_capacity = 64,
                                         .created_ns = 0};
    sq_executor_metrics_t *metrics = sq_executor_metrics_new (&shape);
    ck_assert_ptr_nonnull (metrics);
    return metrics;
}

START_TEST (test_exact_counts)
{
    sq_executor_metrics_t *bolt = s_bolt ();
    for (int i = 0; i < 1000; i++) {
        sq_executor_metrics_executed (bolt, (size_t) (i % 2), 1000 + (uint64_t) i);
        if (i % 10 == 0)
            sq_executor_metrics_failed (bolt, (size_t) (i % 2));
        else
            sq_executor_metrics_acked (bolt, (size_t) (i % 2), 2000);
        sq_metrics_emits_add (sq_executor_metrics_emits (bolt, 1), 3);
    }
    sq_metrics_emits_add (sq_executor_metrics_emits (bolt, 0), 0);
    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (bolt, 17, 1000 + 5000000);
    ck_assert_ptr_nonnull (copy);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 0, SQ_METRICS_EXECUTED), 500);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 1, SQ_METRICS_EXECUTED), 500);
    //  Every tenth input (all on input 0) failed.
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 0, SQ_METRICS_ACKED), 400);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 1, SQ_METRICS_ACKED), 500);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 0, SQ_METRICS_FAILED), 100);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 1, SQ_METRICS_FAILED), 0);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 1, SQ_METRICS_EMITTED), 1000);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 1, SQ_METRICS_TRANSFERRED), 3000);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_EMITTED), 1);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_TRANSFERRED), 0);

    sq_component_metrics_t row;
    sq_executor_metrics_summary (copy, &row);
    ck_assert_str_eq (row.component, "count");
    ck_assert (!row.spout);
    ck_assert_uint_eq (row.executed, 1000);
    ck_assert_uint_eq (row.acked, 900);
    ck_assert_uint_eq (row.failed, 100);
    ck_assert_uint_eq (row.emitted, 1001);
    ck_assert_uint_eq (row.transferred, 3000);
    //  Execute latencies 1000..1999 ns: sum 1,499,500 ns over 5 ms of uptime.
    ck_assert_double_eq_tol (row.capacity, 1499500.0 / 5000000.0, 1e-9);
    ck_assert_double_eq_tol (row.execute_p50_ms, 0.0015, 0.0015 / 64);
    ck_assert_double_eq_tol (row.process_p99_ms, 0.002, 0.002 / 64);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&bolt);
    ck_assert_ptr_null (bolt);
    sq_executor_metrics_destroy (&bolt);
}
END_TEST

//  Sampled latencies: untimed executes and acks count, their latency not.
START_TEST (test_untimed_count_only)
{
    sq_executor_metrics_t *bolt = s_bolt ();
    for (int i = 0; i < 100; i++) {
        uint64_t latency = i % 20 == 0 ? 500 : SQ_METRICS_UNTIMED;
        sq_executor_metrics_executed (bolt, 0, latency);
        sq_executor_metrics_acked (bolt, 0, latency);
    }
    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (bolt, 0, 1000 + 1000000);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 0, SQ_METRICS_EXECUTED), 100);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 0, SQ_METRICS_ACKED), 100);
    json_t *json = sq_executor_metrics_encode (copy);
    json_t *input = json_array_get (json_object_get (json, "inputs"), 0);
    ck_assert_int_eq (
        json_integer_value (json_object_get (json_object_get (input, "execute_latency"), "count")),
        5);
    ck_assert_int_eq (
        json_integer_value (json_object_get (json_object_get (input, "process_latency"), "count")),
        5);
    ck_assert_int_eq (sq_executor_metrics_check (json), 0);
    json_decref (json);
    //  Capacity: 100 executes of 500 ns (the sampled mean) in 1 ms.
    sq_component_metrics_t row;
    sq_executor_metrics_summary (copy, &row);
    ck_assert_double_eq_tol (row.capacity, 0.05, 1e-9);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&bolt);
}
END_TEST

START_TEST (test_spout_streams)
{
    sq_executor_metrics_t *spout = s_spout ();
    for (int i = 0; i < 100; i++)
        sq_metrics_emits_add (sq_executor_metrics_emits (spout, 0), 2);
    for (int i = 0; i < 90; i++)
        sq_executor_metrics_spout_acked (spout, 0, 1000000);
    for (int i = 0; i < 7; i++)
        sq_executor_metrics_spout_failed (spout, 0);
    for (int i = 0; i < 3; i++)
        sq_executor_metrics_spout_timed_out (spout, 0);
    sq_metrics_emits_add (sq_executor_metrics_emits (spout, 1), 1);
    sq_executor_metrics_spout_timed_out (spout, 1);
    sq_executor_metrics_held (spout, SQ_METRICS_HELD_PENDING, 5);
    sq_executor_metrics_held (spout, SQ_METRICS_HELD_PENDING, 6);
    sq_executor_metrics_held (spout, SQ_METRICS_HELD_INACTIVE, 100);
    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (spout, 0, 10);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_ACKED), 90);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_FAILED), 7);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_TIMED_OUT), 3);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 1, SQ_METRICS_TIMED_OUT), 1);
    ck_assert_uint_eq (sq_executor_metrics_held_ns (copy, SQ_METRICS_HELD_PENDING), 11);
    ck_assert_uint_eq (sq_executor_metrics_held_ns (copy, SQ_METRICS_HELD_BACKPRESSURE), 0);
    ck_assert_uint_eq (sq_executor_metrics_held_ns (copy, SQ_METRICS_HELD_INACTIVE), 100);
    sq_component_metrics_t row;
    sq_executor_metrics_summary (copy, &row);
    ck_assert (row.spout);
    ck_assert_uint_eq (row.emitted, 101);
    ck_assert_uint_eq (row.transferred, 201);
    ck_assert_uint_eq (row.acked, 90);
    ck_assert_uint_eq (row.failed, 7);
    ck_assert_uint_eq (row.timed_out, 4);
    ck_assert_double_eq_tol (row.complete_p50_ms, 1.0, 1.0 / 64);
    ck_assert_double_eq (row.capacity, 0.0);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&spout);
}
END_TEST

START_TEST (test_error_ring)
{
    sq_executor_metrics_t *bolt = s_bolt ();
    char text[600];
    memset (text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;
    sq_executor_metrics_error (bolt, 3, 1, text);
    for (int i = 2; i <= 25; i++) {
        char message[32];
        snprintf (message, sizeof message, "error %d", i);
        sq_executor_metrics_error (bolt, 3 + i % 2, i, message);
    }
    //  Each task keeps its last 10: task 3 those of 6, 8 .. 24, task 4 those
    //  of 7, 9 .. 25.
    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (bolt, 0, 0);
    ck_assert_uint_eq (sq_executor_metrics_error_count (copy), 2 * SQ_METRICS_ERRORS);
    json_t *json = sq_executor_metrics_encode (copy);
    ck_assert_ptr_nonnull (json);
    ck_assert_int_eq (json_integer_value (json_object_get (json, "errors_total")), 25);
    json_t *errors = json_object_get (json, "errors");
    ck_assert_uint_eq (json_array_size (errors), 2 * SQ_METRICS_ERRORS);
    //  Latest first: 25 down to 6.
    for (size_t e = 0; e < 2 * SQ_METRICS_ERRORS; e++) {
        json_t *error = json_array_get (errors, e);
        int64_t time = 25 - (int64_t) e;
        ck_assert_int_eq (json_integer_value (json_object_get (error, "time_ms")), time);
        ck_assert_int_eq (json_integer_value (json_object_get (error, "task")), 3 + time % 2);
    }
    ck_assert_int_eq (sq_executor_metrics_check (json), 0);
    json_decref (json);

    //  A task that reports many errors does not push out another's.
    for (int i = 100; i < 130; i++)
        sq_executor_metrics_error (bolt, 4, i, "flood");
    sq_executor_metrics_t *flooded = sq_executor_metrics_snapshot (bolt, 0, 0);
    json = sq_executor_metrics_encode (flooded);
    errors = json_object_get (json, "errors");
    ck_assert_uint_eq (json_array_size (errors), 2 * SQ_METRICS_ERRORS);
    for (size_t e = 0; e < 2 * SQ_METRICS_ERRORS; e++) {
        json_t *error = json_array_get (errors, e);
        int64_t time = json_integer_value (json_object_get (error, "time_ms"));
        int task = (int) json_integer_value (json_object_get (error, "task"));
        if (e < SQ_METRICS_ERRORS)
            ck_assert (task == 4 && time == 129 - (int64_t) e);
        else
            ck_assert (task == 3 && time == 24 - 2 * (int64_t) (e - SQ_METRICS_ERRORS));
    }
    json_decref (json);
    sq_executor_metrics_destroy (&flooded);

    //  A long text is cut.
    sq_executor_metrics_t *fresh = s_bolt ();
    sq_executor_metrics_error (fresh, 3, 7, text);
    sq_executor_metrics_t *one = sq_executor_metrics_snapshot (fresh, 0, 0);
    json = sq_executor_metrics_encode (one);
    const char *kept = json_string_value (
        json_object_get (json_array_get (json_object_get (json, "errors"), 0), "error"));
    ck_assert_uint_eq (strlen (kept), SQ_METRICS_ERROR_BYTES);
    json_decref (json);

    //  Merging keeps the errors of both, latest first.
    ck_assert_int_eq (sq_executor_metrics_merge (one, copy), 0);
    ck_assert_uint_eq (sq_executor_metrics_error_count (one), 2 * SQ_METRICS_ERRORS + 1);
    json = sq_executor_metrics_encode (one);
    ck_assert_int_eq (json_integer_value (json_object_get (json, "errors_total")), 26);
    errors = json_object_get (json, "errors");
    ck_assert_int_eq (json_integer_value (json_object_get (json_array_get (errors, 0), "time_ms")),
                      25);
    ck_assert_int_eq (json_integer_value (json_object_get (json_array_get (errors, 20), "time_ms")),
                      6);
    json_decref (json);
    sq_executor_metrics_destroy (&one);
    sq_executor_metrics_destroy (&fresh);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&bolt);
}
END_TEST

START_TEST (test_user_metrics)
{
    sq_executor_metrics_t *bolt = s_bolt ();
    sq_metric_t *counter = sq_executor_metrics_register (bolt, "words.seen", SQ_METRIC_COUNTER);
    ck_assert_ptr_nonnull (counter);
    ck_assert_ptr_eq (sq_executor_metrics_register (bolt, "words.seen", SQ_METRIC_COUNTER),
                      counter);
    ck_assert_ptr_null (sq_executor_metrics_register (bolt, "words.seen", SQ_METRIC_GAUGE));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "already registered as a counter"));
    ck_assert_ptr_null (sq_executor_metrics_register (bolt, "", SQ_METRIC_COUNTER));
    ck_assert_ptr_null (sq_executor_metrics_register (bolt, "a b", SQ_METRIC_COUNTER));
    ck_assert_ptr_null (sq_executor_metrics_register (bolt, "quote\"", SQ_METRIC_COUNTER));
    char long_name[SQ_METRICS_NAME_MAX + 2];
    memset (long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    ck_assert_ptr_null (sq_executor_metrics_register (bolt, long_name, SQ_METRIC_COUNTER));
    long_name[SQ_METRICS_NAME_MAX] = 0;
    ck_assert_ptr_nonnull (sq_executor_metrics_register (bolt, long_name, SQ_METRIC_COUNTER));

    sq_metric_t *gauge = sq_executor_metrics_register (bolt, "queue:depth", SQ_METRIC_GAUGE);
    sq_metric_t *histogram = sq_executor_metrics_register (bolt, "lookup-ns", SQ_METRIC_HISTOGRAM);
    ck_assert_ptr_nonnull (gauge);
    ck_assert_ptr_nonnull (histogram);
    sq_metric_inc (counter, 5);
    sq_metric_inc (counter, 7);
    sq_metric_set (gauge, 2.5);
    for (uint64_t v = 1; v <= 100; v++)
        sq_metric_record (histogram, v);
    //  Up to the cap, then a clear error.
    for (size_t u = sq_executor_metrics_user_count (bolt); u < SQ_METRICS_USER_MAX; u++) {
        char name[32];
        snprintf (name, sizeof name, "extra_%zu", u);
        ck_assert_ptr_nonnull (sq_executor_metrics_register (bolt, name, SQ_METRIC_COUNTER));
    }
    ck_assert_ptr_null (sq_executor_metrics_register (bolt, "one_more", SQ_METRIC_COUNTER));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "at most 32 user metrics"));

    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (bolt, 0, 0);
    json_t *json = sq_executor_metrics_encode (copy);
    json_t *user = json_object_get (json, "user");
    ck_assert_uint_eq (json_array_size (user), SQ_METRICS_USER_MAX);
    json_t *first = json_array_get (user, 0);
    ck_assert_str_eq (json_string_value (json_object_get (first, "name")), "words.seen");
    ck_assert_str_eq (json_string_value (json_object_get (first, "type")), "counter");
    ck_assert_int_eq (json_integer_value (json_object_get (first, "value")), 12);
    json_t *third = json_array_get (user, 2);
    ck_assert_double_eq (json_real_value (json_object_get (third, "value")), 2.5);
    json_t *fourth = json_array_get (user, 3);
    sq_histogram_t *decoded = sq_histogram_new ();
    ck_assert_int_eq (sq_histogram_decode (decoded, json_object_get (fourth, "value")), 0);
    ck_assert_uint_eq (sq_histogram_count (decoded), 100);
    ck_assert_uint_eq (sq_histogram_sum (decoded), 5050);
    sq_histogram_destroy (&decoded);
    ck_assert_int_eq (sq_executor_metrics_check (json), 0);

    //  Merging two executors adds counters and histograms.
    ck_assert_int_eq (sq_executor_metrics_merge (copy, copy), 0);
    json_decref (json);
    json = sq_executor_metrics_encode (copy);
    first = json_array_get (json_object_get (json, "user"), 0);
    ck_assert_int_eq (json_integer_value (json_object_get (first, "value")), 24);
    json_decref (json);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&bolt);
}
END_TEST

//  A writer thread records while the test takes snapshots.
typedef struct {
    sq_executor_metrics_t *metrics; //  written
    atomic_bool stop;               //  set by the reader
    uint64_t written;               //  executes recorded, once stopped
} s_writer_t;

static void *
s_writer (void *argument)
{
    s_writer_t *writer = argument;
    uint64_t written = 0;
    while (!atomic_load (&writer->stop) || written < 100000) {
        sq_executor_metrics_executed (writer->metrics, 0, written % 5000);
        sq_metrics_emits_add (sq_executor_metrics_emits (writer->metrics, 0), 2);
        written++;
    }
    writer->written = written;
    return NULL;
}

START_TEST (test_snapshot_while_writing)
{
    s_writer_t writer = {.metrics = s_bolt ()};
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_writer, &writer), 0);
    uint64_t last = 0;
    for (int round = 0; round < 50; round++) {
        sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (writer.metrics, 0, 0);
        uint64_t executed = sq_executor_metrics_input_count (copy, 0, SQ_METRICS_EXECUTED);
        uint64_t transferred = sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_TRANSFERRED);
        ck_assert_uint_ge (executed, last); //  counters never go back
        last = executed;
        //  The JSON form of a snapshot is always valid: histogram counts add up.
        json_t *json = sq_executor_metrics_encode (copy);
        ck_assert_int_eq (sq_executor_metrics_check (json), 0);
        json_decref (json);
        //  Streams are copied before inputs, and the writer counts the
        //  execute before the emit, so the copy has no emit without its execute.
        ck_assert_uint_le (transferred, 2 * executed);
        sq_executor_metrics_destroy (&copy);
    }
    atomic_store (&writer.stop, true);
    pthread_join (thread, NULL);
    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (writer.metrics, 0, 0);
    ck_assert_uint_eq (sq_executor_metrics_input_count (copy, 0, SQ_METRICS_EXECUTED),
                       writer.written);
    ck_assert_uint_eq (sq_executor_metrics_stream_count (copy, 0, SQ_METRICS_TRANSFERRED),
                       2 * writer.written);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&writer.metrics);
}
END_TEST

START_TEST (test_merge_shapes)
{
    sq_executor_metrics_t *a = s_bolt ();
    sq_executor_metrics_t *spout = s_spout ();
    sq_executor_metrics_executed (a, 0, 10);
    sq_executor_metrics_t *one = sq_executor_metrics_snapshot (a, 5, 2000);
    sq_executor_metrics_t *two = sq_executor_metrics_snapshot (a, 7, 3000);
    sq_executor_metrics_t *other = sq_executor_metrics_snapshot (spout, 0, 0);
    ck_assert_int_eq (sq_executor_metrics_merge (one, other), -1);
    ck_assert_int_eq (sq_executor_metrics_merge (one, two), 0);
    ck_assert_uint_eq (sq_executor_metrics_input_count (one, 0, SQ_METRICS_EXECUTED), 2);
    json_t *json = sq_executor_metrics_encode (one);
    json_t *queue = json_object_get (json, "queue");
    ck_assert_int_eq (json_integer_value (json_object_get (queue, "population")), 12);
    ck_assert_int_eq (json_integer_value (json_object_get (queue, "capacity")), 2048);
    ck_assert_int_eq (json_integer_value (json_object_get (json, "uptime_ns")), 2000);
    json_decref (json);
    sq_executor_metrics_destroy (&one);
    sq_executor_metrics_destroy (&two);
    sq_executor_metrics_destroy (&other);
    sq_executor_metrics_destroy (&spout);
    sq_executor_metrics_destroy (&a);
}
END_TEST

//  A valid report of one spout and one bolt executor.
static json_t *
s_report (void)
{
    sq_executor_metrics_t *bolt = s_bolt (), *spout = s_spout ();
    sq_executor_metrics_executed (bolt, 0, 100);
    sq_executor_metrics_spout_acked (spout, 0, 100);
    sq_executor_metrics_t *b = sq_executor_metrics_snapshot (bolt, 0, 0);
    sq_executor_metrics_t *s = sq_executor_metrics_snapshot (spout, 0, 0);
    json_t *report =
        json_pack ("{s:i, s:[o, o], s:i}", "v", 1, "executors", sq_executor_metrics_encode (s),
                   sq_executor_metrics_encode (b), "omitted", 0);
    sq_executor_metrics_destroy (&b);
    sq_executor_metrics_destroy (&s);
    sq_executor_metrics_destroy (&bolt);
    sq_executor_metrics_destroy (&spout);
    ck_assert_ptr_nonnull (report);
    ck_assert_int_eq (sq_executor_metrics_check_report (report), 0);
    return report;
}

//  Applies one change to a valid report and expects it refused.
static void
s_expect_refused (const char *path_json, const char *expected)
{
    json_t *report = s_report ();
    json_error_t error;
    json_t *change = json_loads (path_json, 0, &error);
    ck_assert_ptr_nonnull (change);
    //  change: {"at": "report" | "spout" | "bolt" | "stream" | "input", "set": {...}, "del": k}
    const char *at = json_string_value (json_object_get (change, "at"));
    json_t *target = report;
    json_t *executors = json_object_get (report, "executors");
    if (strcmp (at, "spout") == 0)
        target = json_array_get (executors, 0);
    else if (strcmp (at, "bolt") == 0)
        target = json_array_get (executors, 1);
    else if (strcmp (at, "stream") == 0)
        target = json_array_get (json_object_get (json_array_get (executors, 0), "streams"), 0);
    else if (strcmp (at, "input") == 0)
        target = json_array_get (json_object_get (json_array_get (executors, 1), "inputs"), 0);
    json_t *set = json_object_get (change, "set");
    if (set)
        json_object_update (target, set);
    json_t *del = json_object_get (change, "del");
    if (del)
        json_object_del (target, json_string_value (del));
    int rc = sq_executor_metrics_check_report (report);
    if (rc != SQ_EMALFORMED)
        ck_abort_msg ("accepted: %s", path_json);
    if (!strstr (sq_last_error (), expected))
        ck_abort_msg ("%s: error '%s' does not mention '%s'", path_json, sq_last_error (),
                      expected);
    json_decref (change);
    json_decref (report);
}

START_TEST (test_hostile_json)
{
    ck_assert_int_eq (sq_executor_metrics_check_report (NULL), SQ_EMALFORMED);
    s_expect_refused ("{\"at\":\"report\",\"set\":{\"v\":2}}", "'v' must be 1");
    s_expect_refused ("{\"at\":\"report\",\"set\":{\"v\":\"1\"}}", "'v' must be 1");
    s_expect_refused ("{\"at\":\"report\",\"del\":\"omitted\"}", "'omitted' is missing");
    s_expect_refused ("{\"at\":\"report\",\"set\":{\"executors\":{}}}", "must be an array");
    s_expect_refused ("{\"at\":\"report\",\"set\":{\"executors\":[1]}}", "must be an object");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"spout\":1}}", "'spout'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"tasks\":[2,1]}}", "'tasks'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"tasks\":[0,1]}}", "'tasks'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"tasks\":[1]}}", "'tasks'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"component\":\"\"}}", "'component'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"component\":7}}", "'component'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"uptime_ns\":-1}}", "'uptime_ns'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"latency_sample_rate\":0}}",
                      "'latency_sample_rate'");
    s_expect_refused ("{\"at\":\"bolt\",\"set\":{\"latency_sample_rate\":1.5}}",
                      "'latency_sample_rate'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"uptime_ns\":1.5}}", "'uptime_ns'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"queue\":[]}}", "'queue'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"queue\":{\"population\":1}}}", "'capacity'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"held_ns\":{\"max_pending\":0,"
                      "\"backpressure\":0,\"inactive\":\"x\"}}}",
                      "'inactive'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"errors\":[{\"time_ms\":1,\"task\":1,"
                      "\"error\":5}]}}",
                      "'error'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"errors\":[{\"time_ms\":1,\"task\":2,"
                      "\"error\":\"\"}]}}",
                      "'task' must be one of the executor's tasks");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"user\":[{\"name\":\"a b\",\"type\":"
                      "\"counter\",\"value\":1}]}}",
                      "'name'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"user\":[{\"name\":\"a\",\"type\":"
                      "\"timer\",\"value\":1}]}}",
                      "'type'");
    s_expect_refused ("{\"at\":\"spout\",\"set\":{\"user\":[{\"name\":\"a\",\"type\":"
                      "\"histogram\",\"value\":{\"v\":1,\"count\":2,\"sum\":0,\"max\":0,"
                      "\"b\":[0,1]}}]}}",
                      "'value'");
    s_expect_refused ("{\"at\":\"stream\",\"del\":\"timed_out\"}", "'timed_out' is missing");
    s_expect_refused ("{\"at\":\"stream\",\"set\":{\"complete_latency\":{\"v\":9}}}",
                      "'complete_latency'");
    s_expect_refused ("{\"at\":\"input\",\"set\":{\"executed\":-3}}", "'executed'");
    s_expect_refused ("{\"at\":\"input\",\"set\":{\"execute_latency\":[]}}", "'execute_latency'");

    //  Too many entries.
    json_t *report = s_report ();
    json_t *executor = json_array_get (json_object_get (report, "executors"), 0);
    json_t *errors = json_object_get (executor, "errors");
    for (int e = 0; e <= SQ_METRICS_ERRORS; e++)
        json_array_append_new (errors,
                               json_pack ("{s:i, s:i, s:s}", "time_ms", 1, "task", 1, "error", ""));
    ck_assert_int_eq (sq_executor_metrics_check_report (report), SQ_EMALFORMED);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "(at most 10)"));
    json_decref (report);

    //  A string too long.
    report = s_report ();
    executor = json_array_get (json_object_get (report, "executors"), 0);
    char id[SQ_METRICS_ID_MAX + 2];
    memset (id, 'c', sizeof id - 1);
    id[sizeof id - 1] = 0;
    json_object_set_new (executor, "component", json_string (id));
    ck_assert_int_eq (sq_executor_metrics_check_report (report), SQ_EMALFORMED);
    json_decref (report);
}
END_TEST

static int64_t
s_monotonic_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
}

//  The metrics clock never goes back and keeps CLOCK_MONOTONIC's pace.
START_TEST (test_clock)
{
    sq_clock_init ();
    sq_clock_init ();
    int64_t previous = sq_clock_ns ();
    for (int i = 0; i < 1000000; i++) {
        int64_t now = sq_clock_ns ();
        ck_assert_int_ge (now, previous);
        previous = now;
    }
    //  Each read of the cycle clock is bracketed by two monotonic reads, so
    //  a preemption between reads (a busy machine, valgrind) widens the
    //  bounds instead of failing the test.
    int64_t before_start = s_monotonic_ns ();
    int64_t clock_start = sq_clock_ns ();
    int64_t after_start = s_monotonic_ns ();
    nanosleep (&(struct timespec){0, 200000000}, NULL);
    int64_t before_end = s_monotonic_ns ();
    int64_t clock_end = sq_clock_ns ();
    int64_t after_end = s_monotonic_ns ();
    int64_t clock_span = clock_end - clock_start;
    int64_t shortest = before_end - after_start, longest = after_end - before_start;
    //  Within 0.1% of the monotonic span the reads allow.
    ck_assert_int_ge (clock_span, shortest - shortest / 1000);
    ck_assert_int_le (clock_span, longest + longest / 1000);
    //  And on the same scale as CLOCK_MONOTONIC, near enough to log beside it.
    int64_t before = s_monotonic_ns (), now = sq_clock_ns (), after = s_monotonic_ns ();
    ck_assert_int_ge (now, before - 10000000);
    ck_assert_int_le (now, after + 10000000);
}
END_TEST

//  ---------------------------------------------------------------------
//  A runtime's report (what a worker puts in its heartbeat) stays within
//  its byte budget, counting the executors left out.

static void
s_declare_word (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
}

static void
s_nothing (void *state)
{
    (void) state;
}

static void
s_execute_nothing (void *state, const sq_tuple_t *input)
{
    (void) state;
    (void) input;
}

static const sq_spout_t s_idle_spout = {.declare_outputs = s_declare_word, .next_tuple = s_nothing};
static const sq_bolt_t s_idle_bolt = {.execute = s_execute_nothing};

START_TEST (test_report_size_bound)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_idle_spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "sink", &s_idle_bolt, 3),
                                   "words", NULL);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 0);
    sq_runtime_t *runtime = sq_runtime_new ("bound", &topology, config, NULL);
    ck_assert_ptr_nonnull (runtime);
    json_t *all = sq_runtime_metrics (runtime, SIZE_MAX);
    ck_assert_int_eq (sq_executor_metrics_check_report (all), 0);
    json_t *executors = json_object_get (all, "executors");
    ck_assert_uint_eq (json_array_size (executors), 4);
    ck_assert_int_eq (json_integer_value (json_object_get (all, "omitted")), 0);
    char *first = json_dumps (json_array_get (executors, 0), JSON_COMPACT);
    size_t budget = 64 + strlen (first) + 1;
    free (first);
    json_t *bounded = sq_runtime_metrics (runtime, budget);
    ck_assert_int_eq (sq_executor_metrics_check_report (bounded), 0);
    ck_assert_uint_eq (json_array_size (json_object_get (bounded, "executors")), 1);
    ck_assert_int_eq (json_integer_value (json_object_get (bounded, "omitted")), 3);
    char *text = json_dumps (json_object_get (bounded, "executors"), JSON_COMPACT);
    ck_assert_uint_le (strlen (text), budget);
    free (text);
    json_t *none = sq_runtime_metrics (runtime, 10);
    ck_assert_uint_eq (json_array_size (json_object_get (none, "executors")), 0);
    ck_assert_int_eq (json_integer_value (json_object_get (none, "omitted")), 4);
    json_decref (none);
    json_decref (bounded);
    json_decref (all);
    sq_runtime_destroy (&runtime);
    sq_config_destroy (&config);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("executor_metrics");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_exact_counts);
    tcase_add_test (tc, test_untimed_count_only);
    tcase_add_test (tc, test_spout_streams);
    tcase_add_test (tc, test_error_ring);
    tcase_add_test (tc, test_user_metrics);
    tcase_add_test (tc, test_snapshot_while_writing);
    tcase_add_test (tc, test_merge_shapes);
    tcase_add_test (tc, test_hostile_json);
    tcase_add_test (tc, test_clock);
    tcase_add_test (tc, test_report_size_bound);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
