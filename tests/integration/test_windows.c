/*  test_windows - windowed bolts: the window manager and local mode

    The manager tests drive sq_window_manager with made-up times and check
    every activation exactly: the window, its new and expired tuples and
    the order of expiry, for every window kind in processing and event
    time. The local-mode tests run real topologies and check what authors
    rely on: exact windows, acks that come only when a tuple expires,
    emits anchored to the window (a failed output fails exactly the
    window's spout tuples), watermarks over two input streams, late tuples
    on their stream or acked, and the refusals of validation.
*/
#include "sq_window.h"
#include "sq_windowed_bolt.h"
#include "squall.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * NS_PER_S + now.tv_nsec;
}

//  ---------------------------------------------------------------------
//  The manager, with fake tuples: addresses in an array stand for tuples.

static char s_slots[64];
#define T(i) ((sq_tuple_t *) &s_slots[i])
#define ID(t) ((int) ((const char *) (t) -s_slots))

//  What the callbacks saw, as text: "w[1,2]n[1,2]x[]e10;" per activation
//  and "X3;" per expiry.
static char s_log[2048];

static void
s_append_ids (sq_tuple_t **tuples, size_t count)
{
    strcat (s_log, "[");
    for (size_t i = 0; i < count; i++) {
        char id[16];
        snprintf (id, sizeof id, "%s%d", i ? "," : "", ID (tuples[i]));
        strcat (s_log, id);
    }
    strcat (s_log, "]");
}

static void
s_log_fire (void *arg, const sq_window_t *window)
{
    (void) arg;
    strcat (s_log, "w");
    s_append_ids (window->tuples, window->count);
    strcat (s_log, "n");
    s_append_ids (window->fresh, window->fresh_count);
    strcat (s_log, "x");
    s_append_ids (window->expired, window->expired_count);
    char end[64];
    snprintf (end, sizeof end, "e%lld;", (long long) window->end_ts);
    strcat (s_log, end);
}

static void
s_log_expire (void *arg, sq_tuple_t *tuple)
{
    (void) arg;
    char text[16];
    snprintf (text, sizeof text, "X%d;", ID (tuple));
    strcat (s_log, text);
}

static sq_window_manager_t *
s_manager (int64_t length_count, int64_t length_ms, int64_t interval_count, int64_t interval_ms,
           bool event_time)
{
    s_log[0] = 0;
    sq_window_spec_t spec = {length_count, length_ms, interval_count, interval_ms, event_time, 100};
    ck_assert_int_eq (sq_window_spec_check (&spec), 0);
    sq_window_manager_t *manager = sq_window_manager_new (&spec, s_log_fire, s_log_expire, NULL);
    ck_assert_ptr_nonnull (manager);
    return manager;
}

START_TEST (test_sliding_count_by_count)
{
    sq_window_manager_t *manager = s_manager (3, 0, 2, 0, false);
    for (int i = 1; i <= 6; i++)
        ck_assert_int_eq (sq_window_manager_add (manager, T (i), 100 + i), 0);
    ck_assert_str_eq (s_log, "w[1,2]n[1,2]x[]e102;"
                             "w[2,3,4]n[3,4]x[1]e104;X1;"
                             "w[4,5,6]n[5,6]x[2,3]e106;X2;X3;");
    ck_assert_uint_eq (sq_window_manager_size (manager), 3);
    sq_window_manager_destroy (&manager);
    ck_assert_ptr_null (manager);
}
END_TEST

START_TEST (test_tumbling_count)
{
    sq_window_manager_t *manager = s_manager (3, 0, 3, 0, false);
    for (int i = 1; i <= 7; i++)
        sq_window_manager_add (manager, T (i), i);
    ck_assert_str_eq (s_log, "w[1,2,3]n[1,2,3]x[]e3;w[4,5,6]n[4,5,6]x[1,2,3]e6;X1;X2;X3;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_sliding_duration_by_duration)
{
    sq_window_manager_t *manager = s_manager (0, 100, 0, 50, false);
    sq_window_manager_add (manager, T (1), 10);
    ck_assert_int_eq (sq_window_manager_next_due (manager), 60);
    sq_window_manager_add (manager, T (2), 20);
    sq_window_manager_tick (manager, 59); //  not due yet
    ck_assert_str_eq (s_log, "");
    sq_window_manager_tick (manager, 60);
    sq_window_manager_add (manager, T (3), 70);
    sq_window_manager_tick (manager, 110);
    sq_window_manager_add (manager, T (4), 130);
    sq_window_manager_tick (manager, 160);
    ck_assert_str_eq (s_log, "w[1,2]n[1,2]x[]e60;"
                             "w[2,3]n[3]x[1]e110;X1;"
                             "w[3,4]n[4]x[2]e160;X2;");
    //  Everything expired: no activation, the expiry still happens.
    sq_window_manager_tick (manager, 300);
    ck_assert_str_eq (strstr (s_log, "e160;X2;") + 8, "X3;X4;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_sliding_duration_by_count)
{
    sq_window_manager_t *manager = s_manager (0, 100, 2, 0, false);
    sq_window_manager_add (manager, T (1), 0);
    sq_window_manager_add (manager, T (2), 50);
    sq_window_manager_add (manager, T (3), 120);
    sq_window_manager_add (manager, T (4), 130);
    ck_assert_str_eq (s_log, "w[1,2]n[1,2]x[]e50;w[2,3,4]n[3,4]x[1]e130;X1;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_sliding_count_by_duration)
{
    sq_window_manager_t *manager = s_manager (2, 0, 0, 100, false);
    sq_window_manager_add (manager, T (1), 0);
    sq_window_manager_add (manager, T (2), 10);
    sq_window_manager_add (manager, T (3), 20);
    sq_window_manager_tick (manager, 100);
    ck_assert_str_eq (s_log, "w[2,3]n[2,3]x[1]e100;X1;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_tumbling_duration)
{
    sq_window_manager_t *manager = s_manager (0, 100, 0, 100, false);
    sq_window_manager_add (manager, T (1), 0);
    sq_window_manager_add (manager, T (2), 40);
    sq_window_manager_tick (manager, 100);
    sq_window_manager_add (manager, T (3), 150);
    sq_window_manager_tick (manager, 200);
    ck_assert_str_eq (s_log, "w[1,2]n[1,2]x[]e100;w[3]n[3]x[1,2]e200;X1;X2;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_event_time_duration_windows)
{
    sq_window_manager_t *manager = s_manager (0, 20, 0, 10, true);
    sq_window_manager_add (manager, T (3), 3);
    sq_window_manager_add (manager, T (15), 15);
    sq_window_manager_add (manager, T (12), 12); //  out of order: sorted in
    sq_window_manager_add (manager, T (31), 31);
    sq_window_manager_watermark (manager, 25);
    ck_assert_str_eq (s_log, "w[3]n[3]x[]e10;w[3,12,15]n[12,15]x[]e20;");
    s_log[0] = 0;
    sq_window_manager_watermark (manager, 40);
    ck_assert_str_eq (s_log, "w[12,15]n[]x[3]e30;X3;w[31]n[31]x[12,15]e40;X12;X15;");
    //  31 is in its second window (30, 50]; then a gap: the empty windows
    //  ending 60 to 90 are skipped.
    s_log[0] = 0;
    sq_window_manager_add (manager, T (45), 95);
    sq_window_manager_watermark (manager, 100);
    ck_assert_str_eq (s_log, "w[31]n[]x[]e50;X31;w[45]n[45]x[]e100;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_event_time_count_windows)
{
    sq_window_manager_t *manager = s_manager (3, 0, 2, 0, true);
    int order[] = {5, 1, 3, 9, 7};
    for (int i = 0; i < 5; i++)
        sq_window_manager_add (manager, T (order[i]), order[i]);
    sq_window_manager_watermark (manager, 6);
    ck_assert_str_eq (s_log, "w[1,3]n[1,3]x[]e3;");
    sq_window_manager_watermark (manager, 10);
    ck_assert_str_eq (s_log, "w[1,3]n[1,3]x[]e3;w[3,5,7]n[5,7]x[1]e7;X1;");
    sq_window_manager_destroy (&manager);
}
END_TEST

START_TEST (test_window_is_bounded)
{
    s_log[0] = 0;
    sq_window_spec_t spec = {0, 1000, 0, 1000, false, 2};
    sq_window_manager_t *manager = sq_window_manager_new (&spec, s_log_fire, s_log_expire, NULL);
    ck_assert_int_eq (sq_window_manager_add (manager, T (1), 1), 0);
    ck_assert_int_eq (sq_window_manager_add (manager, T (2), 2), 0);
    ck_assert_int_eq (sq_window_manager_add (manager, T (3), 3), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "maximum of 2"));
    ck_assert_uint_eq (sq_window_manager_size (manager), 2);
    sq_window_manager_destroy (&manager);
    sq_window_spec_t none = {0, 0, 1, 0, false, 2};
    ck_assert_int_eq (sq_window_spec_check (&none), -1);
}
END_TEST

//  ---------------------------------------------------------------------
//  Local mode. Spouts "a" and "b" emit (id, ts) tuples from a script, a
//  step at a time as the test allows; the windowed bolt records each
//  window and emits (sum, count) anchored to it; the sink records sums
//  and fails the one the test names; "late" records late tuples.

#define MAX_IDS 512
#define WINDOW_TEXT 2048
#define MAX_WINDOWS 64
#define MAX_STEPS 300

typedef struct {
    int ids[MAX_STEPS];    //  ids emitted at each step (ts = id unless ts set)
    int64_t ts[MAX_STEPS]; //  timestamps, or 0: the id
    int steps;             //  ids in the script
} s_script_t;

static struct {
    pthread_mutex_t lock;                  //  guards the windows
    s_script_t script[2];                  //  spout a, spout b
    _Atomic int allowed[2];                //  steps each spout may emit so far
    _Atomic int acks[MAX_IDS];             //  spout ack calls per id
    _Atomic int fails[MAX_IDS];            //  spout fail calls per id
    _Atomic int windows;                   //  windows recorded
    char window[MAX_WINDOWS][WINDOW_TEXT]; //  each as "ids|new|expired|end"
    _Atomic long sums;                     //  sums seen by the sink
    long sum[MAX_WINDOWS];                 //  each sum, in arrival order
    long fail_sum;                         //  the sink fails the tuple with this sum (0: none)
    int fail_id;                           //  the windowed bolt fails this new input (0: none)
    _Atomic int late;                      //  late tuples seen on the late stream
    int late_id[MAX_IDS];                  //  their ids
} s_probe;

static void
s_reset (void)
{
    memset (&s_probe, 0, sizeof s_probe);
    pthread_mutex_init (&s_probe.lock, NULL);
}

static void
s_script (int spout, const int *ids, const int64_t *ts, int steps)
{
    for (int i = 0; i < steps; i++) {
        s_probe.script[spout].ids[i] = ids[i];
        s_probe.script[spout].ts[i] = ts ? ts[i] : ids[i];
    }
    s_probe.script[spout].steps = steps;
}

typedef struct {
    sq_collector_t *collector; //  emits
    int spout;                 //  0 for "a", 1 for "b"
    int next;                  //  next step of the script
} s_spout_state_t;

static void
s_spout_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "id,ts");
}

static int
s_spout_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    s_spout_state_t *self = calloc (1, sizeof (s_spout_state_t));
    self->collector = collector;
    self->spout = strcmp (sq_context_component_id (context), "b") == 0;
    *state_p = self;
    return 0;
}

static void
s_spout_next (void *state)
{
    s_spout_state_t *self = state;
    s_script_t *script = &s_probe.script[self->spout];
    if (self->next >= script->steps || self->next >= atomic_load (&s_probe.allowed[self->spout]))
        return;
    int id = script->ids[self->next];
    int64_t ts = script->ts[self->next];
    self->next++;
    sq_collector_emit_tracked (self->collector, NULL, (uint64_t) id,
                               SQ_VALUES (sq_int (id), sq_int (ts)));
}

static void
s_spout_ack (void *state, uint64_t id)
{
    (void) state;
    atomic_fetch_add (&s_probe.acks[id % MAX_IDS], 1);
}

static void
s_spout_fail (void *state, uint64_t id)
{
    (void) state;
    atomic_fetch_add (&s_probe.fails[id % MAX_IDS], 1);
}

static void
s_spout_close (void *state)
{
    free (state);
}

static const sq_spout_t s_spout = {
    .declare_outputs = s_spout_declare,
    .open = s_spout_open,
    .next_tuple = s_spout_next,
    .ack = s_spout_ack,
    .fail = s_spout_fail,
    .close = s_spout_close,
};

static void
s_window_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "sum,count");
    sq_declarer_stream (declarer, "late", "id,ts");
}

//  The state of the window and sink bolts: their collector.
static int
s_keep_collector (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

//  Append separator, then the ids of a list of the window, as far as
//  they fit.
static void
s_join (char *text, size_t size, const char *separator, const sq_window_t *window,
        size_t (*count) (const sq_window_t *),
        const sq_tuple_t *(*at) (const sq_window_t *, size_t))
{
    size_t used = strlen (text);
    if (used + strlen (separator) < size)
        strcat (text, separator);
    used = strlen (text);
    for (size_t i = 0; i < count (window) && used < size; i++) {
        int written = snprintf (text + used, size - used, "%s%lld", i ? "," : "",
                                (long long) sq_tuple_field_int (at (window, i), "id"));
        used += written > 0 ? (size_t) written : 0;
    }
}

static void
s_window_execute (void *state, const sq_window_t *window)
{
    sq_collector_t *collector = state;
    char text[WINDOW_TEXT] = "";
    s_join (text, sizeof text, "", window, sq_window_count, sq_window_tuple);
    s_join (text, sizeof text, "|", window, sq_window_new_count, sq_window_new_tuple);
    s_join (text, sizeof text, "|", window, sq_window_expired_count, sq_window_expired_tuple);
    int64_t sum = 0;
    for (size_t i = 0; i < sq_window_count (window); i++)
        sum += sq_tuple_field_int (sq_window_tuple (window, i), "id");
    for (size_t i = 0; i < sq_window_new_count (window); i++)
        if (s_probe.fail_id &&
            sq_tuple_field_int (sq_window_new_tuple (window, i), "id") == s_probe.fail_id)
            sq_collector_fail (collector, sq_window_new_tuple (window, i));
    int n = atomic_load (&s_probe.windows);
    if (n < MAX_WINDOWS) {
        //  Event time: the end is the event time; print it too.
        if (sq_window_end_ts (window) < 1000000)
            snprintf (text + strlen (text), sizeof text - strlen (text), "|%lld",
                      (long long) sq_window_end_ts (window));
        memcpy (s_probe.window[n], text, sizeof text);
        atomic_store (&s_probe.windows, n + 1);
    }
    sq_collector_emit (collector, NULL,
                       SQ_VALUES (sq_int (sum), sq_int ((int64_t) sq_window_count (window))));
}

static const sq_windowed_bolt_t s_window_bolt = {
    .declare_outputs = s_window_declare,
    .prepare = s_keep_collector,
    .execute = s_window_execute,
};

//  A windowed bolt whose late-tuple stream is narrower than its input.
static void
s_narrow_late_declare (sq_declarer_t *declarer)
{
    sq_declarer_stream (declarer, "late", "id");
}

static const sq_windowed_bolt_t s_narrow_late_bolt = {
    .declare_outputs = s_narrow_late_declare,
    .execute = s_window_execute,
};

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_t *collector = state;
    if (strcmp (sq_tuple_stream (input), "late") == 0) {
        int n = atomic_load (&s_probe.late);
        if (n < MAX_IDS)
            s_probe.late_id[n] = (int) sq_tuple_field_int (input, "id");
        atomic_store (&s_probe.late, n + 1);
        sq_collector_ack (collector, input);
        return;
    }
    long sum = (long) sq_tuple_field_int (input, "sum");
    long n = atomic_load (&s_probe.sums);
    if (n < MAX_WINDOWS)
        s_probe.sum[n] = sum;
    atomic_store (&s_probe.sums, n + 1);
    if (s_probe.fail_sum && sum == s_probe.fail_sum)
        sq_collector_fail (collector, input);
    else
        sq_collector_ack (collector, input);
}

static const sq_bolt_t s_sink = {
    .prepare = s_keep_collector,
    .execute = s_sink_execute,
};

//  Spout "a" (and "b" when two) into windowed bolt "w", into "sink".
static sq_topology_t *
s_topology (bool two_spouts, sq_component_t **window_p)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "a", &s_spout, 1);
    if (two_spouts)
        sq_topology_set_spout (topology, "b", &s_spout, 1);
    sq_component_t *window = sq_topology_set_windowed_bolt (topology, "w", &s_window_bolt, 1);
    sq_component_global_grouping (window, "a", NULL);
    if (two_spouts)
        sq_component_global_grouping (window, "b", NULL);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_global_grouping (sink, "w", NULL);
    sq_component_global_grouping (sink, "w", "late");
    *window_p = window;
    return topology;
}

//  Wait up to secs for *counter to reach at least target.
static bool
s_wait_for (_Atomic int *counter, int target, double secs)
{
    int64_t deadline = s_now_ns () + (int64_t) (secs * NS_PER_S);
    while (atomic_load (counter) < target && s_now_ns () < deadline)
        usleep (2000);
    return atomic_load (counter) >= target;
}

static int
s_count (_Atomic int *counters, int from, int to)
{
    int total = 0;
    for (int i = from; i <= to; i++)
        total += atomic_load (&counters[i]);
    return total;
}

//  Spout "a" emits ids 1..n (ts = id) as fast as it can: reset the probe
//  and build the one-spout topology.
static sq_topology_t *
s_sequence (int n, sq_component_t **window_p)
{
    s_reset ();
    int ids[MAX_STEPS];
    for (int i = 0; i < n && i < MAX_STEPS; i++)
        ids[i] = i + 1;
    s_script (0, ids, NULL, n);
    atomic_store (&s_probe.allowed[0], n);
    return s_topology (false, window_p);
}

//  Submit under name to a new local cluster, which the caller destroys.
static sq_local_cluster_t *
s_submit (const char *name, sq_topology_t **topology_p)
{
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, name, NULL, topology_p), 0);
    return cluster;
}

START_TEST (test_count_window_acks_on_expiry)
{
    sq_component_t *window;
    sq_topology_t *topology = s_sequence (12, &window);
    sq_component_window_tumbling_count (window, 4);
    sq_local_cluster_t *cluster = s_submit ("count", &topology);
    ck_assert (s_wait_for (&s_probe.windows, 3, 30));
    //  Tuples 1..8 left the window when the third activated; 9..12 are
    //  still in it (no input after them), so they are not acked.
    ck_assert (s_wait_for (&s_probe.acks[8], 1, 30));
    ck_assert_int_eq (s_count (s_probe.acks, 1, 8), 8);
    ck_assert_int_eq (s_count (s_probe.acks, 9, 12), 0);
    ck_assert_int_eq (s_count (s_probe.fails, 1, 12), 0);
    ck_assert_str_eq (s_probe.window[0], "1,2,3,4|1,2,3,4|");
    ck_assert_str_eq (s_probe.window[1], "5,6,7,8|5,6,7,8|1,2,3,4");
    ck_assert_str_eq (s_probe.window[2], "9,10,11,12|9,10,11,12|5,6,7,8");
    ck_assert_int_eq (atomic_load (&s_probe.windows), 3);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "count", 0), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_sliding_count_window_exact)
{
    sq_component_t *window;
    sq_topology_t *topology = s_sequence (9, &window);
    sq_component_window_sliding_count (window, 4, 3);
    sq_local_cluster_t *cluster = s_submit ("sliding", &topology);
    ck_assert (s_wait_for (&s_probe.windows, 3, 30));
    ck_assert_str_eq (s_probe.window[0], "1,2,3|1,2,3|");
    ck_assert_str_eq (s_probe.window[1], "3,4,5,6|4,5,6|1,2");
    ck_assert_str_eq (s_probe.window[2], "6,7,8,9|7,8,9|3,4,5");
    ck_assert (s_wait_for (&s_probe.acks[5], 1, 30));
    ck_assert_int_eq (s_count (s_probe.acks, 1, 5), 5);
    ck_assert_int_eq (s_count (s_probe.acks, 6, 9), 0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "sliding", 0), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  A tumbling window of `length` over 3 * length ids, the sink failing
//  the second window's sum: exactly that window's trees fail, the first
//  window's are acked, the third's are still held. Past 32 anchors the
//  emit finds the roots through a hash table, not a scan.
static void
s_run_failed_output (int length)
{
    sq_component_t *window;
    sq_topology_t *topology = s_sequence (3 * length, &window);
    s_probe.fail_sum = (long) (length + 1 + 2 * length) * length / 2;
    sq_component_window_tumbling_count (window, length);
    sq_local_cluster_t *cluster = s_submit ("anchored", &topology);
    ck_assert (s_wait_for (&s_probe.windows, 3, 60));
    int64_t deadline = s_now_ns () + 60 * NS_PER_S;
    while ((s_count (s_probe.fails, length + 1, 2 * length) < length ||
            s_count (s_probe.acks, 1, length) < length) &&
           s_now_ns () < deadline)
        usleep (2000);
    ck_assert_int_eq (s_count (s_probe.fails, length + 1, 2 * length), length);
    ck_assert_int_eq (s_count (s_probe.acks, 1, length), length);
    ck_assert_int_eq (s_count (s_probe.acks, length + 1, 3 * length), 0);
    ck_assert_int_eq (s_count (s_probe.fails, 1, length) +
                          s_count (s_probe.fails, 2 * length + 1, 3 * length),
                      0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "anchored", 0), 0);
    sq_local_cluster_destroy (&cluster);
}

START_TEST (test_failed_output_fails_the_window_trees)
{
    s_run_failed_output (3);
}
END_TEST

START_TEST (test_failed_output_of_a_large_window)
{
    s_run_failed_output (100);
}
END_TEST

START_TEST (test_bolt_may_fail_a_window_tuple)
{
    sq_component_t *window;
    sq_topology_t *topology = s_sequence (9, &window);
    s_probe.fail_id = 5;
    sq_component_window_tumbling_count (window, 3);
    sq_local_cluster_t *cluster = s_submit ("failing", &topology);
    //  5 fails at once; 4 and 6 are acked when the third window expires
    //  them, and the sum emitted from their window (anchored to 4 and 6
    //  only) was acked by the sink. 5 is not acked again at expiry.
    ck_assert (s_wait_for (&s_probe.fails[5], 1, 30));
    ck_assert (s_wait_for (&s_probe.acks[6], 1, 30));
    ck_assert (s_wait_for (&s_probe.acks[4], 1, 30));
    ck_assert_int_eq (atomic_load (&s_probe.windows), 3);
    ck_assert_str_eq (s_probe.window[1], "4,5,6|4,5,6|1,2,3");
    ck_assert_int_eq (s_count (s_probe.acks, 1, 6), 5);
    ck_assert_int_eq (s_probe.acks[5], 0);
    ck_assert_int_eq (s_count (s_probe.fails, 1, 9), 1);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "failing", 0), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_tumbling_duration_window_sees_each_tuple_once)
{
    sq_component_t *window;
    sq_topology_t *topology = s_sequence (10, &window);
    sq_component_window_tumbling_duration (window, 200);
    sq_local_cluster_t *cluster = s_submit ("duration", &topology);
    //  However the tuples fall into windows, each is in exactly one, and
    //  every one is acked once the window after it triggered.
    ck_assert (s_wait_for (&s_probe.acks[10], 1, 30));
    ck_assert_int_eq (s_count (s_probe.acks, 1, 10), 10);
    int seen[11] = {0};
    for (int w = 0; w < atomic_load (&s_probe.windows); w++) {
        char copy[WINDOW_TEXT];
        memcpy (copy, s_probe.window[w], sizeof copy);
        *strchr (copy, '|') = 0;
        for (char *id = strtok (copy, ","); id; id = strtok (NULL, ","))
            seen[atoi (id)]++;
    }
    for (int i = 1; i <= 10; i++)
        ck_assert_int_eq (seen[i], 1);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "duration", 0), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  Two input streams, event time: the watermark is the smaller of their
//  newest timestamps, so "a" running ahead fires nothing until "b" moves.
static void
s_run_watermarks (bool late_stream)
{
    s_reset ();
    int a_ids[4] = {1, 5, 12, 3};
    int64_t a_ts[4] = {1, 5, 12, 3};
    int b_ids[3] = {2, 8, 30};
    s_script (0, a_ids, a_ts, 4);
    s_script (1, b_ids, NULL, 3);
    atomic_store (&s_probe.allowed[0], 3);
    atomic_store (&s_probe.allowed[1], 2);
    sq_component_t *window;
    sq_topology_t *topology = s_topology (true, &window);
    sq_component_window_tumbling_duration (window, 10);
    sq_component_window_timestamp_field (window, "ts");
    sq_component_window_watermark_interval_ms (window, 10);
    if (late_stream)
        sq_component_window_late_tuple_stream (window, "late");
    sq_local_cluster_t *cluster = s_submit ("events", &topology);
    //  a is at 12, b at 8: watermark 8, no window ends by then. Give the
    //  watermark timer 30 intervals to prove it fires nothing.
    sq_topology_stats_t stats;
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    do {
        usleep (2000);
        sq_local_cluster_stats (cluster, "events", &stats);
    } while (stats.executed < 5 && s_now_ns () < deadline);
    ck_assert_uint_ge (stats.executed, 5);
    usleep (300 * 1000);
    ck_assert_int_eq (atomic_load (&s_probe.windows), 0);
    //  b jumps to 30: watermark 12 fires the window ending at 10.
    atomic_store (&s_probe.allowed[1], 3);
    ck_assert (s_wait_for (&s_probe.windows, 1, 30));
    ck_assert_str_eq (s_probe.window[0], "1,2,5,8|1,2,5,8||10");
    //  3 is now older than the watermark (12): late.
    atomic_store (&s_probe.allowed[0], 4);
    ck_assert (s_wait_for (&s_probe.acks[3], 1, 30));
    if (late_stream) {
        ck_assert (s_wait_for (&s_probe.late, 1, 30));
        ck_assert_int_eq (s_probe.late_id[0], 3);
    } else
        ck_assert_int_eq (atomic_load (&s_probe.late), 0);
    //  1, 2, 5, 8 are still in the window: the window ending at 20 has not
    //  fired (the watermark is 12), so nothing expired.
    ck_assert_int_eq (s_count (s_probe.acks, 1, 2) + s_probe.acks[5] + s_probe.acks[8], 0);
    ck_assert_int_eq (atomic_load (&s_probe.windows), 1);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "events", 0), 0);
    sq_local_cluster_destroy (&cluster);
}

START_TEST (test_watermarks_over_two_streams_late_to_stream)
{
    s_run_watermarks (true);
}
END_TEST

START_TEST (test_watermarks_late_tuples_logged_and_acked)
{
    s_run_watermarks (false);
}
END_TEST

//  Submit a one-window topology with this window and config; the error.
static const char *
s_refusal (int64_t length_count, int64_t length_ms, const char *key, int64_t value)
{
    static char error[512];
    sq_component_t *window;
    sq_topology_t *topology = s_topology (false, &window);
    if (length_count)
        sq_component_window_sliding_count (window, length_count, 5);
    else
        sq_component_window_sliding_duration (window, length_ms, 1000);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, key, value);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    int rc = sq_local_cluster_submit (cluster, "refused", config, &topology);
    snprintf (error, sizeof error, "%s", rc == 0 ? "accepted" : sq_last_error ());
    if (rc == 0)
        sq_local_cluster_kill (cluster, "refused", 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    return error;
}

START_TEST (test_validation_refuses_windows_that_cannot_fit)
{
    s_reset ();
    ck_assert_str_eq (s_refusal (0, 30000, "topology.message.timeout.secs", 30),
                      "windowed bolt 'w': window duration (length + sliding interval) 31000 ms "
                      "is more than topology.message.timeout.secs 30 s");
    ck_assert_str_eq (s_refusal (0, 29000, "topology.message.timeout.secs", 30), "accepted");
    ck_assert_str_eq (s_refusal (10, 0, "topology.max.spout.pending", 14),
                      "windowed bolt 'w': window count (length + sliding interval) 15 is more "
                      "than topology.max.spout.pending 14");
    ck_assert_str_eq (s_refusal (10, 0, "topology.max.spout.pending", 15), "accepted");
    ck_assert_str_eq (s_refusal (10, 0, "topology.bolts.window.max.tuples", 12),
                      "windowed bolt 'w': window count (length + sliding interval) 15 is more "
                      "than topology.bolts.window.max.tuples 12");
    //  A late-tuple stream needs event time, and a declared stream.
    sq_component_t *window;
    sq_topology_t *topology = s_topology (false, &window);
    sq_component_window_late_tuple_stream (window, "late");
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "refused", NULL, &topology), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "needs a timestamp field"));
    topology = s_topology (false, &window);
    sq_component_window_timestamp_field (window, "when");
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "refused", NULL, &topology), -1);
    ck_assert_str_eq (sq_last_error (), "windowed bolt 'w': input stream 'default' of 'a' has no "
                                        "timestamp field 'when' "
                                        "(topology.bolts.tuple.timestamp.field.name)");
    //  Late tuples keep their values: the stream must fit them.
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "a", &s_spout, 1);
    window = sq_topology_set_windowed_bolt (topology, "w", &s_narrow_late_bolt, 1);
    sq_component_global_grouping (window, "a", NULL);
    sq_component_window_timestamp_field (window, "ts");
    sq_component_window_late_tuple_stream (window, "late");
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "refused", NULL, &topology), -1);
    ck_assert_str_eq (sq_last_error (), "windowed bolt 'w': late-tuple stream 'late' has 1 fields, "
                                        "but input stream 'default' of 'a' has 2; late tuples are "
                                        "emitted with their own values");
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  What nimbus runs on a submitted package: the topology's config, the
//  submit's over it, the component's over both.
START_TEST (test_nimbus_check_uses_the_submit_config)
{
    s_reset ();
    sq_component_t *window;
    sq_topology_t *topology = s_topology (false, &window);
    sq_component_window_sliding_duration (window, 40000, 1000);
    ck_assert_int_eq (sq_windowed_bolts_check (topology, NULL), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "41000 ms is more than"));
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", 41);
    ck_assert_int_eq (sq_windowed_bolts_check (topology, config), 0);
    sq_config_set_int (sq_component_config (window), "topology.message.timeout.secs", 40);
    ck_assert_int_eq (sq_windowed_bolts_check (topology, config), -1);
    sq_config_destroy (&config);
    sq_topology_destroy (&topology);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("windows");
    TCase *manager = tcase_create ("manager");
    tcase_add_test (manager, test_sliding_count_by_count);
    tcase_add_test (manager, test_tumbling_count);
    tcase_add_test (manager, test_sliding_duration_by_duration);
    tcase_add_test (manager, test_sliding_duration_by_count);
    tcase_add_test (manager, test_sliding_count_by_duration);
    tcase_add_test (manager, test_tumbling_duration);
    tcase_add_test (manager, test_event_time_duration_windows);
    tcase_add_test (manager, test_event_time_count_windows);
    tcase_add_test (manager, test_window_is_bounded);
    suite_add_tcase (suite, manager);
    TCase *local = tcase_create ("local");
    tcase_set_timeout (local, 120);
    tcase_add_test (local, test_count_window_acks_on_expiry);
    tcase_add_test (local, test_sliding_count_window_exact);
    tcase_add_test (local, test_failed_output_fails_the_window_trees);
    tcase_add_test (local, test_failed_output_of_a_large_window);
    tcase_add_test (local, test_bolt_may_fail_a_window_tuple);
    tcase_add_test (local, test_tumbling_duration_window_sees_each_tuple_once);
    tcase_add_test (local, test_watermarks_over_two_streams_late_to_stream);
    tcase_add_test (local, test_watermarks_late_tuples_logged_and_acked);
    tcase_add_test (local, test_validation_refuses_windows_that_cannot_fit);
    tcase_add_test (local, test_nimbus_check_uses_the_submit_config);
    suite_add_tcase (suite, local);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
