/*  test_nimbus_monitor - which workers nimbus declares dead, on a fake clock

    The monitor takes the time from its caller, so these tests walk a
    clock by hand through heartbeats, assignments and timeouts.
*/
#include "nimbus_monitor.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MS 2000 //  nimbus.task.timeout.secs of the tests

//  An assignment of topology id "wc-1" with one executor per slot.
static sq_assignment_t *
s_assignment (const char *slots[][2], size_t count)
{
    sq_assignment_t *assignment = sq_assignment_new ("wc", "wc-1");
    for (size_t i = 0; i < count; i++) {
        int worker =
            sq_assignment_add_worker (assignment, slots[i][0], "127.0.0.1", atoi (slots[i][1]));
        ck_assert_int_ge (worker, 0);
        ck_assert_int_eq (
            sq_assignment_add_executor (assignment, (size_t) worker, (int) i + 1, (int) i + 1), 0);
    }
    return assignment;
}

//  The dead slots at now as "sup:port,sup:port" (static buffer).
static const char *
s_dead (nimbus_monitor_t *monitor, const sq_assignment_t *assignment, int64_t now)
{
    static char text[256];
    nimbus_slot_t *slots;
    size_t count = nimbus_monitor_dead_slots (monitor, assignment, now, &slots);
    text[0] = 0;
    for (size_t i = 0; i < count; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "%s%s:%d", i ? "," : "",
                  slots[i].supervisor_id, slots[i].port);
    free (slots);
    return text;
}

START_TEST (test_silence_counts_from_start_and_heartbeats)
{
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 1000);
    ck_assert (monitor);
    const char *slots[][2] = {{"sup-1", "6700"}, {"sup-2", "6700"}};
    sq_assignment_t *assignment = s_assignment (slots, 2);
    //  Watched long after nimbus started: the count starts at the watch.
    ck_assert_int_eq (nimbus_monitor_watch (monitor, assignment, 5000), 0);
    ck_assert_str_eq (s_dead (monitor, assignment, 7000), "");
    ck_assert_str_eq (s_dead (monitor, assignment, 7001), "sup-1:6700,sup-2:6700");
    //  A heartbeat keeps its worker alive for the timeout.
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6700, NULL, 6500), 0);
    ck_assert_str_eq (s_dead (monitor, assignment, 7001), "sup-2:6700");
    ck_assert_str_eq (s_dead (monitor, assignment, 8500), "sup-2:6700");
    ck_assert_str_eq (s_dead (monitor, assignment, 8501), "sup-1:6700,sup-2:6700");
    ck_assert_int_eq (nimbus_monitor_silence (monitor, "wc-1", "sup-1", 6700, 8500), 2000);
    ck_assert_int_eq (nimbus_monitor_silence (monitor, "wc-1", "sup-2", 6700, 8500), -1);
    sq_assignment_destroy (&assignment);
    nimbus_monitor_destroy (&monitor);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_latest_metrics_per_worker)
{
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 0);
    const char *slots[][2] = {{"sup-1", "6700"}, {"sup-2", "6701"}};
    sq_assignment_t *assignment = s_assignment (slots, 2);
    ck_assert_int_eq (nimbus_monitor_watch (monitor, assignment, 0), 0);
    json_t *first = json_pack ("{s:i, s:[], s:i}", "v", 1, "executors", "omitted", 1);
    json_t *second = json_pack ("{s:i, s:[], s:i}", "v", 1, "executors", "omitted", 2);
    ck_assert_ptr_null (nimbus_monitor_metrics (monitor, "wc-1", "sup-1", 6700));
    ck_assert_int_eq (nimbus_monitor_store_metrics (monitor, "wc-1", "sup-1", 6700, first), 0);
    ck_assert_int_eq (nimbus_monitor_store_metrics (monitor, "wc-1", "sup-1", 6700, second), 0);
    //  The latest replaces the one before; unwatched slots keep nothing.
    ck_assert_ptr_eq (nimbus_monitor_metrics (monitor, "wc-1", "sup-1", 6700), second);
    ck_assert_int_eq (nimbus_monitor_store_metrics (monitor, "wc-1", "sup-3", 6700, first), -1);
    ck_assert_ptr_null (nimbus_monitor_metrics (monitor, "wc-1", "sup-3", 6700));
    ck_assert_ptr_null (nimbus_monitor_metrics (monitor, "wc-1", "sup-2", 6701));
    json_t *workers = nimbus_monitor_topology_metrics (monitor, "wc-1");
    ck_assert_uint_eq (json_array_size (workers), 1);
    json_t *worker = json_array_get (workers, 0);
    ck_assert_str_eq (json_string_value (json_object_get (worker, "supervisor")), "sup-1");
    ck_assert_int_eq (json_integer_value (json_object_get (worker, "port")), 6700);
    ck_assert_ptr_eq (json_object_get (worker, "metrics"), second);
    json_decref (workers);
    //  Its windows: one executor's stream, folded.
    json_t *folded = json_pack (
        "{s:i, s:i, s:[{s:s, s:b, s:[i,i], s:i, s:i, s:[{s:s, s:i, s:i}], s:[], s:[], s:[]}]}", "v",
        1, "omitted", 0, "executors", "component", "split", "spout", 0, "tasks", 2, 3, "uptime_ns",
        1000000000, "errors_total", 0, "streams", "stream", "default", "emitted", 9, "transferred",
        9, "inputs", "errors", "user");
    nimbus_metrics_t *windows = nimbus_monitor_windows (monitor);
    ck_assert_int_eq (nimbus_metrics_fold (windows, "wc-1", folded, 1000), 0);
    ck_assert_uint_eq (nimbus_metrics_sources (windows, "wc-1"), 1);
    json_decref (folded);
    //  Forgetting the topology drops them, and its windows.
    nimbus_monitor_forget (monitor, "wc-1");
    ck_assert_uint_eq (nimbus_metrics_sources (windows, "wc-1"), 0);
    ck_assert_ptr_null (nimbus_monitor_metrics (monitor, "wc-1", "sup-1", 6700));
    ck_assert_int_eq (second->refcount, 1);
    json_decref (first);
    json_decref (second);
    sq_assignment_destroy (&assignment);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

//  One count of a component of nimbus_monitor_component_counts; path is
//  "field" or "field/stream".
static json_int_t
s_count (const json_t *counts, const char *component, const char *field, const char *stream)
{
    const json_t *value = json_object_get (json_object_get (counts, component), field);
    if (stream)
        value = json_object_get (value, stream);
    ck_assert_msg (json_is_integer (value), "%s %s %s missing", component, field,
                   stream ? stream : "");
    return json_integer_value (value);
}

START_TEST (test_component_counts_add_up_workers)
{
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 0);
    const char *slots[][2] = {{"sup-1", "6700"}, {"sup-2", "6701"}};
    sq_assignment_t *assignment = s_assignment (slots, 2);
    ck_assert_int_eq (nimbus_monitor_watch (monitor, assignment, 0), 0);
    json_t *one = json_loads (
        "{\"v\": 1, \"omitted\": 0, \"executors\": [{\"component\": \"spout\", \"spout\": true, "
        "\"tasks\": [1, 1], \"streams\": [{\"stream\": \"default\", \"emitted\": 10, "
        "\"transferred\": 9, \"acked\": 6, \"failed\": 1, \"timed_out\": 2}], \"inputs\": []}], "
        "\"blame\": {\"timeouts_held\": [[4, 3]], \"fails_by\": [[4, 1]]}}",
        0, NULL);
    json_t *two = json_loads (
        "{\"v\": 1, \"omitted\": 0, \"executors\": [{\"component\": \"spout\", \"spout\": true, "
        "\"tasks\": [2, 3], \"streams\": [{\"stream\": \"default\", \"emitted\": 5, "
        "\"transferred\": 5, \"acked\": 4, \"failed\": 0, \"timed_out\": 1}], \"inputs\": []}, "
        "{\"component\": \"count\", \"spout\": false, \"tasks\": [4, 4], \"streams\": "
        "[{\"stream\": \"totals\", \"emitted\": 3, \"transferred\": 0}], \"inputs\": "
        "[{\"component\": \"spout\", \"stream\": \"default\", \"executed\": 12, \"acked\": 11, "
        "\"failed\": 1}, {\"component\": \"spout\", \"stream\": \"other\", \"executed\": 2, "
        "\"acked\": 2, \"failed\": 0}]}], \"blame\": {\"timeouts_held\": [[4, 2], [2, 1]], "
        "\"fails_by\": []}}",
        0, NULL);
    ck_assert (one && two);
    ck_assert_int_eq (nimbus_monitor_store_metrics (monitor, "wc-1", "sup-1", 6700, one), 0);
    ck_assert_int_eq (nimbus_monitor_store_metrics (monitor, "wc-1", "sup-2", 6701, two), 0);
    json_t *counts = nimbus_monitor_component_counts (monitor, "wc-1");
    ck_assert_uint_eq (json_object_size (counts), 2);
    ck_assert (json_is_true (json_object_get (json_object_get (counts, "spout"), "spout")));
    ck_assert_int_eq (s_count (counts, "spout", "executors", NULL), 2);
    ck_assert_int_eq (s_count (counts, "spout", "tasks", NULL), 3);
    ck_assert_int_eq (s_count (counts, "spout", "emitted", "default"), 15);
    ck_assert_int_eq (s_count (counts, "spout", "transferred", "default"), 14);
    ck_assert_int_eq (s_count (counts, "spout", "acked", NULL), 10);
    ck_assert_int_eq (s_count (counts, "spout", "failed", NULL), 1);
    ck_assert_int_eq (s_count (counts, "spout", "timed_out", NULL), 3);
    ck_assert (json_is_false (json_object_get (json_object_get (counts, "count"), "spout")));
    ck_assert_int_eq (s_count (counts, "count", "emitted", "totals"), 3);
    ck_assert_int_eq (s_count (counts, "count", "executed", NULL), 14);
    ck_assert_int_eq (s_count (counts, "count", "acked", NULL), 13);
    ck_assert_int_eq (s_count (counts, "count", "failed", NULL), 1);
    //  Each worker's ackers blame tasks of any worker: task 4 (count) is
    //  blamed by both, task 2 (spout) by the second only.
    ck_assert_int_eq (s_count (counts, "count", "timeouts_held", NULL), 5);
    ck_assert_int_eq (s_count (counts, "count", "fails_blamed", NULL), 1);
    ck_assert_int_eq (s_count (counts, "spout", "timeouts_held", NULL), 1);
    ck_assert_int_eq (s_count (counts, "spout", "fails_blamed", NULL), 0);
    json_decref (counts);
    //  Another topology has none.
    counts = nimbus_monitor_component_counts (monitor, "other-1");
    ck_assert_uint_eq (json_object_size (counts), 0);
    json_decref (counts);
    json_decref (one);
    json_decref (two);
    sq_assignment_destroy (&assignment);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_start_of_nimbus_counts)
{
    //  An assignment read at start is watched "now": a restarted nimbus
    //  gives every worker the full timeout to heartbeat.
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 100000);
    const char *slots[][2] = {{"sup-1", "6700"}};
    sq_assignment_t *assignment = s_assignment (slots, 1);
    //  Not even watched: silence counts from the monitor's start.
    ck_assert_str_eq (s_dead (monitor, assignment, 102000), "");
    ck_assert_str_eq (s_dead (monitor, assignment, 102001), "sup-1:6700");
    sq_assignment_destroy (&assignment);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_watch_follows_the_assignment)
{
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 0);
    const char *before_slots[][2] = {{"sup-1", "6700"}, {"sup-2", "6700"}};
    sq_assignment_t *before = s_assignment (before_slots, 2);
    ck_assert_int_eq (nimbus_monitor_watch (monitor, before, 0), 0);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6700, NULL, 1000), 0);
    //  Heartbeats of slots not watched, or of another topology, are refused.
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6701, NULL, 1000), -1);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-2", "sup-1", 6700, NULL, 1000), -1);

    //  sup-2's executors moved to sup-3: sup-1 keeps its history, sup-3
    //  starts its count at the move, sup-2 is forgotten.
    const char *after_slots[][2] = {{"sup-1", "6700"}, {"sup-3", "6701"}};
    sq_assignment_t *after = s_assignment (after_slots, 2);
    ck_assert_int_eq (nimbus_monitor_watch (monitor, after, 2500), 0);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-2", 6700, NULL, 2600), -1);
    ck_assert_str_eq (s_dead (monitor, after, 3001), "sup-1:6700");
    ck_assert_str_eq (s_dead (monitor, after, 4501), "sup-1:6700,sup-3:6701");

    //  The counters of the latest heartbeat of each slot add up.
    json_t *first = json_pack ("{s:I, s:I, s:f}", "acked", (json_int_t) 10, "failed",
                               (json_int_t) 1, "complete_latency_ms", 2.5);
    json_t *second = json_pack ("{s:I}", "acked", (json_int_t) 32);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6700, first, 2700), 0);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-3", 6701, second, 2700), 0);
    json_object_set_new (first, "acked", json_integer (20)); //  copied, not kept
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6700, first, 2800), 0);
    json_t *totals = nimbus_monitor_totals (monitor, "wc-1");
    ck_assert_int_eq (json_integer_value (json_object_get (totals, "acked")), 52);
    ck_assert_int_eq (json_integer_value (json_object_get (totals, "failed")), 1);
    ck_assert_ptr_null (json_object_get (totals, "complete_latency_ms"));
    json_decref (totals);
    totals = nimbus_monitor_totals (monitor, "wc-2");
    ck_assert_uint_eq (json_object_size (totals), 0);
    json_decref (totals);
    json_decref (first);
    json_decref (second);

    //  Forgetting the topology forgets its slots.
    nimbus_monitor_forget (monitor, "wc-1");
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6700, NULL, 5000), -1);
    sq_assignment_destroy (&before);
    sq_assignment_destroy (&after);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_totals_hold_at_the_ends)
{
    //  Counters come from workers, whatever they send: sums that do not
    //  fit hold at the largest (or smallest) integer (found by
    //  fuzz_request).
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 0);
    const char *slots[][2] = {{"sup-1", "6700"}, {"sup-1", "6701"}, {"sup-2", "6700"}};
    sq_assignment_t *assignment = s_assignment (slots, 3);
    ck_assert_int_eq (nimbus_monitor_watch (monitor, assignment, 0), 0);
    json_t *stats =
        json_pack ("{s:I, s:I}", "acked", (json_int_t) LLONG_MAX, "failed", (json_int_t) LLONG_MIN);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq (
            nimbus_monitor_heartbeat (monitor, "wc-1", slots[i][0], atoi (slots[i][1]), stats, 100),
            0);
    json_t *totals = nimbus_monitor_totals (monitor, "wc-1");
    ck_assert (json_integer_value (json_object_get (totals, "acked")) == LLONG_MAX);
    ck_assert (json_integer_value (json_object_get (totals, "failed")) == LLONG_MIN);
    json_decref (totals);
    json_decref (stats);
    sq_assignment_destroy (&assignment);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

//  What nimbus heard last of a supervisor's workers: the latest of its
//  slots' assignment and heartbeats, and of the monitor's start.
START_TEST (test_supervisor_silence_is_its_latest_worker)
{
    nimbus_monitor_t *monitor = nimbus_monitor_new (TIMEOUT_MS, 1000);
    ck_assert (monitor);
    const char *slots[][2] = {{"sup-1", "6700"}, {"sup-1", "6701"}, {"sup-10", "6700"}};
    sq_assignment_t *assignment = s_assignment (slots, 3);
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup-1", 3000), -1);
    ck_assert_int_eq (nimbus_monitor_watch (monitor, assignment, 2000), 0);
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup-1", 3000), 1000);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6701, NULL, 4000), 0);
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-1", 6700, NULL, 3500), 0);
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup-1", 5000), 1000);
    //  "sup-10" is another supervisor: its worker does not speak for "sup-1".
    ck_assert_int_eq (nimbus_monitor_heartbeat (monitor, "wc-1", "sup-10", 6700, NULL, 4900), 0);
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup-1", 5000), 1000);
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup-10", 5000), 100);
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup", 5000), -1);
    nimbus_monitor_forget (monitor, "wc-1");
    ck_assert_int_eq (nimbus_monitor_supervisor_silence (monitor, "sup-1", 5000), -1);
    sq_assignment_destroy (&assignment);
    nimbus_monitor_destroy (&monitor);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_monitor");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_silence_counts_from_start_and_heartbeats);
    tcase_add_test (tcase, test_start_of_nimbus_counts);
    tcase_add_test (tcase, test_latest_metrics_per_worker);
    tcase_add_test (tcase, test_component_counts_add_up_workers);
    tcase_add_test (tcase, test_watch_follows_the_assignment);
    tcase_add_test (tcase, test_totals_hold_at_the_ends);
    tcase_add_test (tcase, test_supervisor_silence_is_its_latest_worker);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
