/*  test_trace - sq_trace: the sampling function (never at 0, always at 1,
    a binomial fraction in between, monotonic in the rate), the bounds of
    the event buffer, the hostile-input check of a heartbeat's traces
    section, and the store's assembly of trees (hops in time order, where
    a failed or timed-out tree stopped, per-edge latency) and its bounds.
*/
#include "squall.h"
#include "sq_error.h"
#include "sq_ids.h"
#include "sq_trace.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOTS 200000 //  random roots per sampling run

//  A root id of spout_task with random part n (as sq_ids lays it out).
static uint64_t
s_root (uint64_t n, int spout_task)
{
    return (n << 18) | ((uint64_t) spout_task << 2);
}

START_TEST (test_sampling_bounds)
{
    ck_assert_uint_eq (sq_trace_threshold (0), 0);
    ck_assert_uint_eq (sq_trace_threshold (-1), 0);
    ck_assert_uint_eq (sq_trace_threshold (NAN), 0);
    ck_assert_uint_eq (sq_trace_threshold (1), SQ_TRACE_ALWAYS);
    ck_assert_uint_eq (sq_trace_threshold (7), SQ_TRACE_ALWAYS);
    //  The tiniest positive rate still traces some trees, eventually.
    ck_assert_uint_eq (sq_trace_threshold (1e-300), 1);
    size_t never = 0, always = 0;
    for (int i = 0; i < ROOTS; i++) {
        uint64_t root = sq_ids_root (1 + i % 100);
        never += sq_trace_sampled (root, sq_trace_threshold (0));
        always += sq_trace_sampled (root, sq_trace_threshold (1));
    }
    ck_assert_uint_eq (never, 0);
    ck_assert_uint_eq (always, ROOTS);
    //  Extreme hashes: every root traced at rate 1, including 0 and ~0.
    ck_assert (sq_trace_sampled (0, SQ_TRACE_ALWAYS));
    ck_assert (sq_trace_sampled (~0ULL, SQ_TRACE_ALWAYS));
}
END_TEST

START_TEST (test_sampling_fraction)
{
    static const double rates[] = {0.001, 0.01, 0.1, 0.5, 0.9};
    for (size_t r = 0; r < sizeof rates / sizeof *rates; r++) {
        double p = rates[r];
        uint64_t threshold = sq_trace_threshold (p);
        size_t hits = 0;
        for (int i = 0; i < ROOTS; i++)
            hits += sq_trace_sampled (sq_ids_root (1 + i % 1000), threshold);
        //  Binomial: within 5 standard deviations of the mean, which a
        //  fair sampler misses about once in 1.7 million runs.
        double mean = ROOTS * p, sigma = sqrt (ROOTS * p * (1 - p));
        if (fabs ((double) hits - mean) > 5 * sigma)
            ck_abort_msg ("rate %g: %zu of %d roots traced, expected %.0f +- %.0f", p, hits, ROOTS,
                          mean, 5 * sigma);
    }
    //  Sequential roots (a poor generator, or one spout's ids) fare as well.
    size_t hits = 0;
    for (int i = 1; i <= ROOTS; i++)
        hits += sq_trace_sampled (s_root ((uint64_t) i, 3), sq_trace_threshold (0.1));
    double sigma = sqrt (ROOTS * 0.1 * 0.9);
    ck_assert_msg (fabs ((double) hits - ROOTS * 0.1) <= 5 * sigma, "%zu sequential hits", hits);
}
END_TEST

START_TEST (test_sampling_agrees)
{
    //  A pure function: the same answer every time, and a tree traced at
    //  one rate is traced at every higher one.
    for (int i = 0; i < ROOTS; i++) {
        uint64_t root = sq_ids_root (7);
        bool low = sq_trace_sampled (root, sq_trace_threshold (0.01));
        ck_assert (low == sq_trace_sampled (root, sq_trace_threshold (0.01)));
        if (low)
            ck_assert (sq_trace_sampled (root, sq_trace_threshold (0.2)));
    }
}
END_TEST

//  A hop event for the buffer, numbered n.
static sq_trace_event_t
s_event (int n)
{
    return (sq_trace_event_t){.root = s_root ((uint64_t) n + 1, 1),
                              .edge = (uint64_t) n + 100,
                              .ms = 1000.0 + n,
                              .component = "bolt",
                              .from_component = "spout",
                              .stream = "default",
                              .task = 2,
                              .from_task = 1,
                              .kind = SQ_TRACE_EXECUTE};
}

START_TEST (test_buffer_bounds)
{
    sq_trace_buffer_t *buffer = sq_trace_buffer_new (8);
    ck_assert_ptr_nonnull (buffer);
    ck_assert_ptr_null (sq_trace_buffer_take (buffer, 100, SIZE_MAX));
    for (int n = 0; n < 20; n++) {
        sq_trace_event_t event = s_event (n);
        sq_trace_buffer_add (buffer, &event, 1);
        ck_assert_uint_le (sq_trace_buffer_size (buffer), 8);
    }
    ck_assert_uint_eq (sq_trace_buffer_size (buffer), 8);
    //  The oldest 12 were overwritten; a take of 5 gets events 12 .. 16.
    json_t *report = sq_trace_buffer_take (buffer, 5, SIZE_MAX);
    ck_assert_ptr_nonnull (report);
    ck_assert_int_eq (sq_trace_check_report (report), 0);
    ck_assert_int_eq (json_integer_value (json_object_get (report, "lost")), 12);
    json_t *events = json_object_get (report, "events");
    ck_assert_uint_eq (json_array_size (events), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq (json_number_value (json_object_get (json_array_get (events, i), "ms")),
                             1000.0 + 12 + i);
    json_decref (report);
    ck_assert_uint_eq (sq_trace_buffer_size (buffer), 3);
    report = sq_trace_buffer_take (buffer, 100, SIZE_MAX);
    ck_assert_int_eq (json_integer_value (json_object_get (report, "lost")), 0);
    ck_assert_uint_eq (json_array_size (json_object_get (report, "events")), 3);
    json_decref (report);
    ck_assert_ptr_null (sq_trace_buffer_take (buffer, 100, SIZE_MAX));
    //  A report never holds more than the take allows, however many wait.
    sq_trace_buffer_t *big = sq_trace_buffer_new (SQ_TRACE_BUFFER_EVENTS);
    for (int n = 0; n < SQ_TRACE_BUFFER_EVENTS * 2; n++) {
        sq_trace_event_t event = s_event (n);
        sq_trace_buffer_add (big, &event, 1);
    }
    report = sq_trace_buffer_take (big, SQ_TRACE_REPORT_EVENTS, SIZE_MAX);
    ck_assert_uint_eq (json_array_size (json_object_get (report, "events")),
                       SQ_TRACE_REPORT_EVENTS);
    ck_assert_int_eq (sq_trace_check_report (report), 0);
    json_decref (report);
    //  And never more bytes than allowed: the rest waits for the next take.
    size_t before = sq_trace_buffer_size (big);
    report = sq_trace_buffer_take (big, SQ_TRACE_REPORT_EVENTS, 4096);
    char *text = json_dumps (report, JSON_COMPACT);
    ck_assert_uint_le (strlen (text), 4096);
    size_t taken = json_array_size (json_object_get (report, "events"));
    ck_assert_uint_gt (taken, 0);
    ck_assert_uint_eq (sq_trace_buffer_size (big), before - taken);
    free (text);
    json_decref (report);
    sq_trace_buffer_destroy (&big);
    sq_trace_buffer_destroy (&buffer);
    ck_assert_ptr_null (buffer);
    sq_trace_buffer_destroy (&buffer);
}
END_TEST

//  A report of one event given as JSON text (single quotes for double).
static json_t *
s_report_of (const char *event)
{
    char text[4096];
    snprintf (text, sizeof text, "{\"v\": 1, \"lost\": 0, \"events\": [%s]}", event);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t error;
    json_t *report = json_loads (text, JSON_ALLOW_NUL, &error);
    if (!report)
        ck_abort_msg ("bad test JSON %s: %s", text, error.text);
    return report;
}

#define S_GOOD_HOP                                                                                 \
    "'k': 'emit', 'root': '00000000000c0004', 'edge': '00000000000000ff', 'ms': 1.5e12, "          \
    "'task': 3, 'component': 'split', 'from': 1, 'fromComponent': 'spout', 'stream': 'default'"

START_TEST (test_check_report)
{
    //  Well-formed: hop events, outcomes, unknown keys ignored.
    static const char *good[] = {
        "{" S_GOOD_HOP "}",
        "{" S_GOOD_HOP ", 'later': [1, 2]}",
        "{'k': 'acked', 'root': '00000000000c0004', 'ms': 5, 'task': 1, 'component': 's', "
        "'latencyMs': 3.25}",
        "{'k': 'timedOut', 'root': '00000000000c0004', 'ms': 5, 'task': 1, 'component': 's'}",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        json_t *report = s_report_of (good[i]);
        if (sq_trace_check_report (report))
            ck_abort_msg ("refused %s: %s", good[i], sq_last_error ());
        json_decref (report);
    }
    //  Broken: each names what breaks.
    static const struct {
        const char *event; //  the one event of the report
        const char *error; //  part of the error expected
    } bad[] = {
        {"5", "must be an object"},
        {"{" S_GOOD_HOP ", 'k': 'teleport'}", "'k'"},
        {"{'k': 3, 'root': '00000000000c0004'}", "'k'"},
        {"{" S_GOOD_HOP ", 'root': '00000000000C0004'}", "'root'"},
        {"{" S_GOOD_HOP ", 'root': '0000000000000000'}", "'root'"},
        {"{" S_GOOD_HOP ", 'root': '0c0004'}", "'root'"},
        {"{" S_GOOD_HOP ", 'root': '00000000000c00041'}", "'root'"},
        {"{" S_GOOD_HOP ", 'ms': -1}", "'ms'"},
        {"{" S_GOOD_HOP ", 'ms': 1e300}", "'ms'"},
        {"{" S_GOOD_HOP ", 'ms': '5'}", "'ms'"},
        {"{" S_GOOD_HOP ", 'task': 0}", "'task'"},
        {"{" S_GOOD_HOP ", 'task': 65536}", "'task'"},
        {"{" S_GOOD_HOP ", 'task': 2.5}", "'task'"},
        {"{" S_GOOD_HOP ", 'component': ''}", "'component'"},
        {"{" S_GOOD_HOP ", 'component': 'a\\u0000b'}", "'component'"},
        {"{" S_GOOD_HOP ", 'edge': null}", "'edge'"},
        {"{" S_GOOD_HOP ", 'from': -3}", "'from'"},
        {"{" S_GOOD_HOP ", 'stream': 7}", "'stream'"},
        {"{'k': 'acked', 'root': '00000000000c0004', 'ms': 5, 'task': 1, 'component': 's'}",
         "'latencyMs'"},
        {"{'k': 'acked', 'root': '00000000000c0004', 'ms': 5, 'task': 1, 'component': 's', "
         "'latencyMs': -2}",
         "'latencyMs'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *report = s_report_of (bad[i].event);
        if (sq_trace_check_report (report) == 0)
            ck_abort_msg ("accepted %s", bad[i].event);
        if (!strstr (sq_last_error (), bad[i].error))
            ck_abort_msg ("%s: error '%s' does not name %s", bad[i].event, sq_last_error (),
                          bad[i].error);
        json_decref (report);
    }
    //  A long id, and the envelope.
    char long_id[SQ_TRACE_MAX_ID + 2];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    json_t *report = s_report_of ("{" S_GOOD_HOP "}");
    //  Ours too: the events array it sits in is replaced below.
    json_t *event = json_incref (json_array_get (json_object_get (report, "events"), 0));
    json_object_set_new (event, "component", json_string (long_id));
    ck_assert_int_eq (sq_trace_check_report (report), -1);
    long_id[SQ_TRACE_MAX_ID] = 0;
    json_object_set_new (event, "component", json_string (long_id));
    ck_assert_int_eq (sq_trace_check_report (report), 0);
    json_object_set_new (report, "v", json_integer (2));
    ck_assert_int_eq (sq_trace_check_report (report), -1);
    json_object_set_new (report, "v", json_integer (1));
    json_object_set_new (report, "lost", json_integer (-1));
    ck_assert_int_eq (sq_trace_check_report (report), -1);
    json_object_set_new (report, "lost", json_integer (0));
    json_object_set_new (report, "events", json_object ());
    ck_assert_int_eq (sq_trace_check_report (report), -1);
    json_t *many = json_array ();
    for (int i = 0; i <= SQ_TRACE_REPORT_EVENTS; i++)
        json_array_append (many, event);
    json_object_set_new (report, "events", many);
    ck_assert_int_eq (sq_trace_check_report (report), -1);
    ck_assert (strstr (sq_last_error (), "at most"));
    json_decref (event);
    json_decref (report);
    ck_assert_int_eq (sq_trace_check_report (NULL), -1);
}
END_TEST

//  Append one event to report's events.
static void
s_add (json_t *report, const char *kind, uint64_t root, uint64_t edge, double ms, int task,
       const char *component, int from, const char *from_component)
{
    char root_hex[17], edge_hex[17];
    snprintf (root_hex, sizeof root_hex, "%016llx", (unsigned long long) root);
    snprintf (edge_hex, sizeof edge_hex, "%016llx", (unsigned long long) edge);
    json_t *event = json_pack ("{s:s, s:s, s:f, s:i, s:s}", "k", kind, "root", root_hex, "ms", ms,
                               "task", task, "component", component);
    if (edge) {
        json_t *hop = json_pack ("{s:s, s:i, s:s, s:s}", "edge", edge_hex, "from", from,
                                 "fromComponent", from_component, "stream", "default");
        json_object_update (event, hop);
        json_decref (hop);
    }
    json_array_append_new (json_object_get (report, "events"), event);
}

static json_t *
s_empty_report (void)
{
    return json_pack ("{s:i, s:i, s:[]}", "v", 1, "lost", 0, "events");
}

//  The trace of root in answer, or fail.
static json_t *
s_trace_of (json_t *answer, uint64_t root)
{
    char hex[17];
    snprintf (hex, sizeof hex, "%016llx", (unsigned long long) root);
    size_t i;
    json_t *trace;
    json_array_foreach (json_object_get (answer, "traces"), i, trace)
    {
        if (strcmp (json_string_value (json_object_get (trace, "rootId")), hex) == 0)
            return trace;
    }
    ck_abort_msg ("no trace of root %s", hex);
    return NULL;
}

START_TEST (test_store_assembles)
{
    sq_trace_store_t *store = sq_trace_store_new (10, 10);
    uint64_t failed = s_root (11, 1), lost = s_root (12, 1), good = s_root (13, 1);
    double t = 1.7e12;
    //  Failed tree: spout(1) -> split(3) acked; split -> count(5) failed.
    //  Events come from two workers, out of order: assembly needs none.
    json_t *worker_a = s_empty_report (), *worker_b = s_empty_report ();
    s_add (worker_b, "fail", failed, 0x22, t + 9, 5, "count", 3, "split");
    s_add (worker_a, "emit", failed, 0x11, t, 3, "split", 1, "spout");
    s_add (worker_a, "enqueue", failed, 0x11, t + 1, 3, "split", 1, "spout");
    s_add (worker_a, "execute", failed, 0x11, t + 2, 3, "split", 1, "spout");
    s_add (worker_a, "emit", failed, 0x22, t + 3, 5, "count", 3, "split");
    s_add (worker_a, "ack", failed, 0x11, t + 4, 3, "split", 1, "spout");
    s_add (worker_b, "enqueue", failed, 0x22, t + 5, 5, "count", 3, "split");
    s_add (worker_b, "execute", failed, 0x22, t + 7, 5, "count", 3, "split");
    s_add (worker_a, "failed", failed, 0, t + 10, 1, "spout", 0, NULL);
    //  Timed-out tree: one tuple emitted that never arrived.
    s_add (worker_a, "emit", lost, 0x33, t + 20, 3, "split", 1, "spout");
    s_add (worker_a, "timedOut", lost, 0, t + 30020, 1, "spout", 0, NULL);
    //  Acked tree.
    s_add (worker_a, "emit", good, 0x44, t + 40, 3, "split", 1, "spout");
    s_add (worker_a, "enqueue", good, 0x44, t + 40.5, 3, "split", 1, "spout");
    s_add (worker_a, "execute", good, 0x44, t + 42, 3, "split", 1, "spout");
    s_add (worker_a, "ack", good, 0x44, t + 43, 3, "split", 1, "spout");
    s_add (worker_a, "acked", good, 0, t + 44, 1, "spout", 0, NULL);
    json_object_set_new (
        json_array_get (json_object_get (worker_a, "events"),
                        json_array_size (json_object_get (worker_a, "events")) - 1),
        "latencyMs", json_real (4.0));
    ck_assert_int_eq (sq_trace_check_report (worker_a), 0);
    ck_assert_int_eq (sq_trace_check_report (worker_b), 0);
    ck_assert_int_eq (sq_trace_store_add (store, worker_b, "hostb:6701"), 0);
    ck_assert_int_eq (sq_trace_store_add (store, worker_a, "hosta:6700"), 0);
    ck_assert_uint_eq (sq_trace_store_size (store), 3);
    json_t *answer = sq_trace_store_json (store, "wc-1", 1.0, 100);
    ck_assert_str_eq (json_string_value (json_object_get (answer, "topologyId")), "wc-1");
    ck_assert_uint_eq (json_array_size (json_object_get (answer, "traces")), 3);
    //  Newest first.
    ck_assert_str_eq (json_string_value (json_object_get (
                          json_array_get (json_object_get (answer, "traces"), 0), "rootId")),
                      "0000000000340004");

    json_t *trace = s_trace_of (answer, failed);
    ck_assert_str_eq (json_string_value (json_object_get (trace, "status")), "failed");
    ck_assert_str_eq (json_string_value (json_object_get (trace, "spout")), "spout");
    ck_assert_int_eq (json_integer_value (json_object_get (trace, "spoutTask")), 1);
    ck_assert_double_eq (json_number_value (json_object_get (trace, "startMs")), t);
    ck_assert (json_is_null (json_object_get (trace, "completeMs")));
    json_t *hops = json_object_get (trace, "hops");
    ck_assert_uint_eq (json_array_size (hops), 2);
    json_t *first = json_array_get (hops, 0), *second = json_array_get (hops, 1);
    ck_assert_str_eq (json_string_value (json_object_get (first, "component")), "split");
    ck_assert_str_eq (json_string_value (json_object_get (first, "worker")), "hosta:6700");
    ck_assert_str_eq (json_string_value (json_object_get (first, "outcome")), "acked");
    ck_assert_double_eq (json_number_value (json_object_get (first, "emitMs")), 0);
    ck_assert_double_eq (json_number_value (json_object_get (first, "enqueueMs")), 1);
    ck_assert_double_eq (json_number_value (json_object_get (first, "executeMs")), 2);
    ck_assert_double_eq (json_number_value (json_object_get (first, "doneMs")), 4);
    ck_assert_str_eq (json_string_value (json_object_get (second, "component")), "count");
    ck_assert_str_eq (json_string_value (json_object_get (second, "fromComponent")), "split");
    ck_assert_int_eq (json_integer_value (json_object_get (second, "fromTask")), 3);
    ck_assert_str_eq (json_string_value (json_object_get (second, "worker")), "hostb:6701");
    ck_assert_str_eq (json_string_value (json_object_get (second, "outcome")), "failed");
    ck_assert_double_eq (json_number_value (json_object_get (second, "doneMs")), 9);
    json_t *stopped = json_object_get (trace, "stoppedAt");
    ck_assert_uint_eq (json_array_size (stopped), 1);
    ck_assert_str_eq (
        json_string_value (json_object_get (json_array_get (stopped, 0), "component")), "count");
    ck_assert_int_eq (json_integer_value (json_object_get (json_array_get (stopped, 0), "task")),
                      5);
    ck_assert (strstr (json_string_value (json_object_get (json_array_get (stopped, 0), "reason")),
                       "failed"));

    trace = s_trace_of (answer, lost);
    ck_assert_str_eq (json_string_value (json_object_get (trace, "status")), "timedOut");
    stopped = json_object_get (trace, "stoppedAt");
    ck_assert_uint_eq (json_array_size (stopped), 1);
    ck_assert (strstr (json_string_value (json_object_get (json_array_get (stopped, 0), "reason")),
                       "never arrived"));
    hops = json_object_get (trace, "hops");
    ck_assert (json_is_null (json_object_get (json_array_get (hops, 0), "executeMs")));
    ck_assert (json_is_null (json_object_get (json_array_get (hops, 0), "worker")));

    trace = s_trace_of (answer, good);
    ck_assert_str_eq (json_string_value (json_object_get (trace, "status")), "acked");
    ck_assert_double_eq (json_number_value (json_object_get (trace, "completeMs")), 4.0);
    ck_assert_uint_eq (json_array_size (json_object_get (trace, "stoppedAt")), 0);

    //  Edges: spout -> split has hops of latency 2 (failed tree) and 2
    //  (acked tree); the timed-out hop has no execute and does not count.
    json_t *edges = json_object_get (answer, "edges");
    ck_assert_uint_eq (json_array_size (edges), 2);
    size_t i;
    json_t *edge;
    int seen = 0;
    json_array_foreach (edges, i, edge)
    {
        const char *to = json_string_value (json_object_get (edge, "to"));
        if (strcmp (to, "split") == 0) {
            ck_assert_int_eq (json_integer_value (json_object_get (edge, "count")), 2);
            ck_assert_double_eq (json_number_value (json_object_get (edge, "p50Ms")), 2);
            ck_assert_double_eq (json_number_value (json_object_get (edge, "p99Ms")), 2);
            seen++;
        } else {
            ck_assert_str_eq (to, "count");
            ck_assert_str_eq (json_string_value (json_object_get (edge, "from")), "split");
            ck_assert_double_eq (json_number_value (json_object_get (edge, "p50Ms")), 4);
            seen++;
        }
    }
    ck_assert_int_eq (seen, 2);
    json_decref (answer);
    json_decref (worker_a);
    json_decref (worker_b);
    sq_trace_store_destroy (&store);
    ck_assert_ptr_null (store);
}
END_TEST

START_TEST (test_store_bounds)
{
    sq_trace_store_t *store = sq_trace_store_new (3, 2);
    json_t *report = s_empty_report ();
    //  Five trees, seen one after the other: the first two go.
    for (int n = 1; n <= 5; n++)
        s_add (report, "emit", s_root ((uint64_t) n, 2), 0x10 + (uint64_t) n, 1000.0 * n, 4, "bolt",
               2, "spout");
    //  The last tree gets four hops; two are kept.
    for (int h = 0; h < 3; h++)
        s_add (report, "execute", s_root (5, 2), 0x100 + (uint64_t) h, 5001.0 + h, 4, "bolt", 2,
               "spout");
    ck_assert_int_eq (sq_trace_store_add (store, report, "local"), 0);
    ck_assert_uint_eq (sq_trace_store_size (store), 3);
    json_t *answer = sq_trace_store_json (store, "t", 50.0, 100);
    json_t *traces = json_object_get (answer, "traces");
    ck_assert_uint_eq (json_array_size (traces), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *trace = json_array_get (traces, i);
        char expected[17];
        snprintf (expected, sizeof expected, "%016llx", (unsigned long long) s_root (5 - i, 2));
        ck_assert_str_eq (json_string_value (json_object_get (trace, "rootId")), expected);
        ck_assert_uint_le (json_array_size (json_object_get (trace, "hops")), 2);
    }
    json_t *newest = json_array_get (traces, 0);
    ck_assert_uint_eq (json_array_size (json_object_get (newest, "hops")), 2);
    ck_assert_int_eq (json_integer_value (json_object_get (newest, "hopsDropped")), 2);
    ck_assert_double_eq (json_number_value (json_object_get (answer, "samplePct")), 50.0);
    ck_assert_int_eq (json_integer_value (json_object_get (answer, "lateEvents")), 0);
    json_decref (answer);
    //  max_trees in the answer.
    answer = sq_trace_store_json (store, "t", 50.0, 1);
    ck_assert_uint_eq (json_array_size (json_object_get (answer, "traces")), 1);
    json_decref (answer);
    json_decref (report);
    //  A late hop of a tree replaced (another worker reports after the
    //  spout's) is dropped and counted: it pushes no live tree out.
    report = s_empty_report ();
    s_add (report, "execute", s_root (1, 2), 0x200, 1500.0, 4, "bolt", 2, "spout");
    ck_assert_int_eq (sq_trace_store_add (store, report, "local"), 0);
    answer = sq_trace_store_json (store, "t", 50.0, 100);
    traces = json_object_get (answer, "traces");
    ck_assert_uint_eq (json_array_size (traces), 3);
    char oldest_kept[17];
    snprintf (oldest_kept, sizeof oldest_kept, "%016llx", (unsigned long long) s_root (3, 2));
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (traces, 2), "rootId")),
                      oldest_kept);
    ck_assert_int_eq (json_integer_value (json_object_get (answer, "lateEvents")), 1);
    json_decref (answer);
    json_decref (report);
    sq_trace_store_destroy (&store);
}
END_TEST

START_TEST (test_store_edge_quantiles)
{
    //  One edge, 100 hops of latencies 1 .. 100 ms (in a scrambled order),
    //  and a second edge of one hop: nearest-rank p50 50, p99 99.
    sq_trace_store_t *store = sq_trace_store_new (100, 2);
    json_t *report = s_empty_report ();
    for (int n = 1; n <= 100; n++) {
        int latency = 1 + (n * 37) % 100;
        uint64_t root = s_root ((uint64_t) n, 1);
        s_add (report, "emit", root, 0x10, 1000.0 * n, 2, "bolt", 1, "spout");
        s_add (report, "execute", root, 0x10, 1000.0 * n + latency, 2, "bolt", 1, "spout");
    }
    s_add (report, "emit", s_root (100, 1), 0x20, 1e6, 3, "sink", 2, "bolt");
    s_add (report, "execute", s_root (100, 1), 0x20, 1e6 + 0.25, 3, "sink", 2, "bolt");
    ck_assert_int_eq (sq_trace_check_report (report), 0);
    ck_assert_int_eq (sq_trace_store_add (store, report, "local"), 0);
    json_t *answer = sq_trace_store_json (store, "t", 1, 1);
    json_t *edges = json_object_get (answer, "edges");
    ck_assert_uint_eq (json_array_size (edges), 2);
    //  Edges come sorted by from, to and stream.
    json_t *edge = json_array_get (edges, 1);
    ck_assert_str_eq (json_string_value (json_object_get (edge, "to")), "bolt");
    ck_assert_int_eq (json_integer_value (json_object_get (edge, "count")), 100);
    ck_assert_double_eq (json_number_value (json_object_get (edge, "p50Ms")), 50);
    ck_assert_double_eq (json_number_value (json_object_get (edge, "p99Ms")), 99);
    edge = json_array_get (edges, 0);
    ck_assert_str_eq (json_string_value (json_object_get (edge, "from")), "bolt");
    ck_assert_int_eq (json_integer_value (json_object_get (edge, "count")), 1);
    ck_assert_double_eq (json_number_value (json_object_get (edge, "p50Ms")), 0.25);
    ck_assert_double_eq (json_number_value (json_object_get (edge, "p99Ms")), 0.25);
    json_decref (answer);
    json_decref (report);
    sq_trace_store_destroy (&store);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("trace");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_sampling_bounds);
    tcase_add_test (tc, test_sampling_fraction);
    tcase_add_test (tc, test_sampling_agrees);
    tcase_add_test (tc, test_buffer_bounds);
    tcase_add_test (tc, test_check_report);
    tcase_add_test (tc, test_store_assembles);
    tcase_add_test (tc, test_store_bounds);
    tcase_add_test (tc, test_store_edge_quantiles);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
