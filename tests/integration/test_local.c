/*  test_local - topologies running in local mode, end to end

    Each test builds a small topology with the public API (or loads an
    example package), runs it in a local cluster, and checks what Storm
    users rely on: exact results, at-least-once under failures and silent
    drops, at-most-once without acking traffic, max spout pending, and
    backpressure that slows the spout without losing tuples, and custom
    and partial key groupings delivering exactly the expected tuples, and
    exact per-stream and per-input metrics (sq_local_cluster_metrics_json).
*/
#include "sq_executor_metrics.h"
#include "sq_grouping.h"
#include "sq_local_cluster.h"
#include "sq_package.h"
#include "sq_trace.h"
#include "squall.h"

#include <check.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGES 4000
#define TIMED_MESSAGES 5 //  dropped messages whose timeouts are timed
#define TIMED_TICKS 4    //  tick tuples whose arrival is timed

//  What the tests observe; written by executor threads, read by the test.
static struct {
    int total;                               //  messages the spout emits (new ones)
    int emits_per_call;                      //  most new messages per next_tuple
    bool untracked;                          //  emit without message ids
    _Atomic int acks[MAX_MESSAGES];          //  spout ack calls per message
    _Atomic int fail_calls;                  //  spout fail calls
    _Atomic int replays;                     //  messages emitted again after a fail
    _Atomic int max_in_flight;               //  most messages the spout saw in flight
    _Atomic long emitted;                    //  spout emits (new and replayed)
    _Atomic long executed;                   //  inputs seen by the last bolt
    _Atomic long flaky_inputs;               //  inputs seen by the flaky bolt
    _Atomic long flaky_passed;               //  inputs the flaky bolt passed on
    _Atomic long flaky_failed;               //  inputs the flaky bolt failed
    _Atomic int ticks;                       //  tick tuples seen
    _Atomic int wrong_task;                  //  direct tuples that reached another task
    _Atomic int bad_emit_rc;                 //  return code of an emit on an undeclared stream
    int fail_percent;                        //  flaky bolt: inputs failed
    int drop_percent;                        //  flaky bolt: inputs never acked
    int sleep_us;                            //  sink bolt: time per input
    _Atomic int64_t emit_ns[TIMED_MESSAGES]; //  timed spout: monotonic time of each emit
    _Atomic int64_t fail_ns[TIMED_MESSAGES]; //  timed spout: monotonic time of its fail
    _Atomic int64_t tick_ns[TIMED_TICKS];    //  sink: monotonic time of the first ticks
} s_probe;

static void
s_reset_probe (int total)
{
    memset (&s_probe, 0, sizeof s_probe);
    s_probe.total = total;
    s_probe.emits_per_call = 8;
}

#define NS_PER_S 1000000000LL //  nanoseconds in a second

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * NS_PER_S + now.tv_nsec;
}

//  ---------------------------------------------------------------------
//  Components used by the tests

typedef struct {
    sq_collector_t *collector; //  where to emit
    int next;                  //  next new message number
    int *replay;               //  failed messages to emit again
    size_t replay_count;       //  how many
    long acked_or_failed;      //  trees ended, to compute in-flight
    long tracked;              //  tracked emits
} numbers_state_t;

static void
s_declare_number (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "number");
}

static int
s_numbers_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    numbers_state_t *self = calloc (1, sizeof (numbers_state_t));
    self->collector = collector;
    self->replay = calloc (MAX_MESSAGES, sizeof (int));
    *state_p = self;
    return 0;
}

static void
s_numbers_emit (numbers_state_t *self, int number)
{
    if (s_probe.untracked)
        sq_collector_emit (self->collector, NULL, SQ_VALUES (sq_int (number)));
    else {
        sq_collector_emit_tracked (self->collector, NULL, (uint64_t) number,
                                   SQ_VALUES (sq_int (number)));
        self->tracked++;
    }
    atomic_fetch_add (&s_probe.emitted, 1);
    int in_flight = (int) (self->tracked - self->acked_or_failed);
    if (in_flight > atomic_load (&s_probe.max_in_flight))
        atomic_store (&s_probe.max_in_flight, in_flight);
}

static void
s_numbers_next (void *state)
{
    numbers_state_t *self = state;
    for (int i = 0; i < s_probe.emits_per_call; i++) {
        if (self->replay_count) {
            atomic_fetch_add (&s_probe.replays, 1);
            s_numbers_emit (self, self->replay[--self->replay_count]);
        } else if (self->next < s_probe.total)
            s_numbers_emit (self, self->next++);
        else
            return;
    }
}

static void
s_numbers_ack (void *state, uint64_t msg_id)
{
    numbers_state_t *self = state;
    self->acked_or_failed++;
    if (msg_id < MAX_MESSAGES)
        atomic_fetch_add (&s_probe.acks[msg_id], 1);
}

static void
s_numbers_fail (void *state, uint64_t msg_id)
{
    numbers_state_t *self = state;
    self->acked_or_failed++;
    atomic_fetch_add (&s_probe.fail_calls, 1);
    if (self->replay_count < MAX_MESSAGES)
        self->replay[self->replay_count++] = (int) msg_id;
}

static void
s_numbers_close (void *state)
{
    numbers_state_t *self = state;
    free (self->replay);
    free (self);
}

static const sq_spout_t s_numbers = {
    .declare_outputs = s_declare_number,
    .open = s_numbers_open,
    .next_tuple = s_numbers_next,
    .ack = s_numbers_ack,
    .fail = s_numbers_fail,
    .close = s_numbers_close,
};

typedef struct {
    sq_collector_t *collector; //  where to emit
    unsigned seed;             //  for rand_r
} flaky_state_t;

static int
s_flaky_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    flaky_state_t *self = calloc (1, sizeof (flaky_state_t));
    self->collector = collector;
    self->seed = (unsigned) sq_context_task_id (context) * 7919u;
    *state_p = self;
    return 0;
}

//  Fails fail_percent of its inputs, silently drops drop_percent (never
//  acks them, so they time out), passes the rest on anchored and acks.
static void
s_flaky_execute (void *state, const sq_tuple_t *input)
{
    flaky_state_t *self = state;
    int dice = rand_r (&self->seed) % 100;
    if (dice < s_probe.fail_percent) {
        sq_collector_fail (self->collector, input);
        atomic_fetch_add (&s_probe.flaky_failed, 1);
    } else if (dice >= s_probe.fail_percent + s_probe.drop_percent) {
        sq_collector_emit (self->collector, input,
                           SQ_VALUES (sq_int (sq_tuple_get_int (input, 0))));
        atomic_fetch_add (&s_probe.flaky_passed, 1);
        sq_collector_ack (self->collector, input);
    }
    //  Counted last, so that a test that sees every input counted also
    //  sees every one passed on.
    atomic_fetch_add (&s_probe.flaky_inputs, 1);
}

static const sq_bolt_t s_flaky = {
    .declare_outputs = s_declare_number,
    .prepare = s_flaky_prepare,
    .execute = s_flaky_execute,
    .cleanup = free,
};

static int
s_sink_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    if (s_probe.sleep_us)
        usleep ((useconds_t) s_probe.sleep_us);
    if (sq_tuple_is_tick (input)) {
        int tick = atomic_fetch_add (&s_probe.ticks, 1);
        if (tick < TIMED_TICKS)
            atomic_store (&s_probe.tick_ns[tick], s_now_ns ());
    } else
        atomic_fetch_add (&s_probe.executed, 1);
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_sink = {.prepare = s_sink_prepare, .execute = s_sink_execute};

//  ---------------------------------------------------------------------
//  Helpers

static sq_topology_stats_t
s_stats (sq_local_cluster_t *cluster, const char *name)
{
    sq_topology_stats_t stats;
    ck_assert_int_eq (sq_local_cluster_stats (cluster, name, &stats), 0);
    return stats;
}

static int
s_messages_acked (void)
{
    int acked = 0;
    for (int i = 0; i < s_probe.total; i++)
        acked += atomic_load (&s_probe.acks[i]) > 0;
    return acked;
}

//  Poll until every message was acked at least once, or seconds pass.
static bool
s_wait_all_acked (double seconds)
{
    for (int waited = 0; waited < seconds * 100; waited++) {
        if (s_messages_acked () == s_probe.total)
            return true;
        usleep (10000);
    }
    return false;
}

static sq_topology_t *
s_pipeline (int flaky_parallelism)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_shuffle_grouping (
        sq_topology_set_bolt (topology, "flaky", &s_flaky, flaky_parallelism), "numbers", NULL);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 2), "flaky",
                                   NULL);
    return topology;
}

//  ---------------------------------------------------------------------
//  Tests

START_TEST (test_at_least_once_with_fails_and_drops)
{
    s_reset_probe (2000);
    s_probe.fail_percent = 10;
    s_probe.drop_percent = 10;
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", 1);
    sq_config_set_int (config, "topology.acker.executors", 2);
    sq_topology_t *topology = s_pipeline (2);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "reliable", config, &topology), 0);
    bool all_acked = s_wait_all_acked (90);
    sq_topology_stats_t stats = s_stats (cluster, "reliable");
    ck_assert_msg (all_acked, "only %d of %d messages acked", s_messages_acked (), s_probe.total);
    ck_assert_uint_gt (stats.failed, 0);    //  explicit fails reached the spout
    ck_assert_uint_gt (stats.timed_out, 0); //  silent drops timed out
    ck_assert_int_gt (atomic_load (&s_probe.replays), 0);
    ck_assert_int_eq (atomic_load (&s_probe.fail_calls), (int) (stats.failed + stats.timed_out));
    ck_assert_uint_gt (stats.acker_messages, 0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "reliable", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_at_most_once_sends_no_acks)
{
    s_reset_probe (2000);
    s_probe.fail_percent = 10;
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 0);
    sq_topology_t *topology = s_pipeline (1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "lossy", config, &topology), 0);
    ck_assert (s_wait_all_acked (30));
    sq_local_cluster_deactivate (cluster, "lossy");
    //  Drained: the flaky bolt saw every message and the sink every one it
    //  passed on. Nothing more can happen after that.
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    while ((atomic_load (&s_probe.flaky_inputs) < 2000 ||
            atomic_load (&s_probe.executed) < atomic_load (&s_probe.flaky_passed)) &&
           s_now_ns () < deadline)
        usleep (10000);
    ck_assert_int_eq (atomic_load (&s_probe.flaky_inputs), 2000);
    ck_assert_int_eq (atomic_load (&s_probe.executed), atomic_load (&s_probe.flaky_passed));
    sq_topology_stats_t stats = s_stats (cluster, "lossy");
    ck_assert_uint_eq (stats.acker_messages, 0);
    ck_assert_uint_eq (stats.failed, 0);
    ck_assert_uint_eq (stats.timed_out, 0);
    ck_assert_int_eq (atomic_load (&s_probe.fail_calls), 0);
    ck_assert_int_eq (atomic_load (&s_probe.replays), 0);
    ck_assert_int_eq (atomic_load (&s_probe.emitted), 2000);
    for (int i = 0; i < s_probe.total; i++)
        ck_assert_int_eq (atomic_load (&s_probe.acks[i]), 1);
    //  Failed inputs are lost, as at-most-once allows: fewer reach the sink.
    ck_assert_int_lt (atomic_load (&s_probe.executed), 2000);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_max_spout_pending_is_respected)
{
    s_reset_probe (1500);
    s_probe.sleep_us = 100;
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.max.spout.pending", 20);
    sq_topology_t *topology = s_pipeline (1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "capped", config, &topology), 0);
    ck_assert (s_wait_all_acked (60));
    sq_topology_stats_t stats = s_stats (cluster, "capped");
    //  The cap is checked before each next_tuple call, as in Storm; a spout
    //  that emits several tuples per call can pass it by one call's worth.
    uint64_t limit = 20 + (uint64_t) s_probe.emits_per_call - 1;
    ck_assert_uint_le (stats.max_pending, limit);
    ck_assert_uint_ge (stats.max_pending, 10); //  the cap, not something else, was the limit
    ck_assert_int_le (atomic_load (&s_probe.max_in_flight), (int) limit);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_backpressure_bounds_queues_and_loses_nothing)
{
    s_reset_probe (0);
    s_probe.total = 1 << 30; //  more than the bolt can take in the time
    s_probe.untracked = true;
    s_probe.emits_per_call = 64;
    s_probe.sleep_us = 20;
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 0);
    sq_config_set_int (config, "topology.executor.receive.buffer.size", 1024);
    sq_config_set_int (config, "topology.producer.batch.size", 64);
    sq_topology_t *topology = s_pipeline (1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "slow", config, &topology), 0);
    //  Everything emitted but not yet executed sits in the queues of the
    //  flaky bolt and the two sinks, in the batch each of those bolts took
    //  from its queue (at most 256), or in outboxes (below a batch per
    //  destination, plus the 8 next_tuple calls of 64 emits that the
    //  spout executor makes between two looks at its outboxes).
    long bound = 3 * 1024 + 3 * 256 + 3 * 64 + 8 * 64;
    for (int sample = 0; sample < 20; sample++) {
        usleep (100000);
        sq_topology_stats_t stats = s_stats (cluster, "slow");
        ck_assert_uint_le (stats.max_queued, 1024);
        long backlog = atomic_load (&s_probe.emitted) - atomic_load (&s_probe.executed);
        ck_assert_msg (backlog <= bound, "backlog %ld exceeds %ld", backlog, bound);
    }
    sq_local_cluster_deactivate (cluster, "slow");
    //  Drain: every emitted tuple reaches the sink.
    for (int waited = 0; waited < 3000; waited++) {
        if (atomic_load (&s_probe.executed) == atomic_load (&s_probe.emitted))
            break;
        usleep (10000);
    }
    ck_assert_int_gt (atomic_load (&s_probe.emitted), 10000);
    ck_assert_int_eq (atomic_load (&s_probe.executed), atomic_load (&s_probe.emitted));
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_tick_tuples_arrive)
{
    s_reset_probe (0);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_shuffle_grouping (sink, "numbers", NULL);
    sq_config_set_int (sq_component_config (sink), "topology.tick.tuple.freq.secs", 1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "ticks", NULL, &topology), 0);
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    while (atomic_load (&s_probe.ticks) < TIMED_TICKS && s_now_ns () < deadline)
        usleep (10000);
    sq_local_cluster_destroy (&cluster);
    ck_assert_int_ge (atomic_load (&s_probe.ticks), TIMED_TICKS);
    //  One a second: never sooner, and late only by a loaded machine's
    //  scheduling delay.
    for (int tick = 1; tick < TIMED_TICKS; tick++) {
        double gap = (double) (s_probe.tick_ns[tick] - s_probe.tick_ns[tick - 1]) / NS_PER_S;
        ck_assert_msg (gap >= 0.9 && gap < 1.5, "tick %d came %.3f s after the one before", tick,
                       gap);
    }
}
END_TEST

//  Message timeouts: a spout that stamps each emit and each fail() with the
//  monotonic clock, in front of a bolt that drops every input, so that
//  each tree ends by timing out.
#define TIMEOUT_S 2                  //  topology.message.timeout.secs
#define TIMED_SPACING_NS 350000000LL //  between emits, so they meet rotations at other phases

static void
s_timed_next (void *state)
{
    numbers_state_t *self = state;
    if (self->next >= TIMED_MESSAGES)
        return;
    if (self->next > 0 &&
        s_now_ns () < atomic_load (&s_probe.emit_ns[self->next - 1]) + TIMED_SPACING_NS)
        return;
    sq_collector_emit_tracked (self->collector, NULL, (uint64_t) self->next,
                               SQ_VALUES (sq_int (self->next)));
    //  Stamped once the tree is registered, so no timeout can look early.
    atomic_store (&s_probe.emit_ns[self->next], s_now_ns ());
    self->next++;
}

static void
s_timed_fail (void *state, uint64_t msg_id)
{
    int64_t now = s_now_ns ();
    if (msg_id < TIMED_MESSAGES)
        atomic_store (&s_probe.fail_ns[msg_id], now);
    atomic_fetch_add (&s_probe.fail_calls, 1);
}

static void
s_drop_execute (void *state, const sq_tuple_t *input)
{
    atomic_fetch_add (&s_probe.executed, 1); //  and never acked
}

//  Storm's promise, as doc/ states it: a tuple not acked fails between T
//  and 1.5T after its emit. Asserted with room for a loaded machine: not
//  before T, and before 2T.
START_TEST (test_message_timeout_fires_between_t_and_2t)
{
    s_reset_probe (TIMED_MESSAGES);
    static const sq_spout_t timed = {.declare_outputs = s_declare_number,
                                     .open = s_numbers_open,
                                     .next_tuple = s_timed_next,
                                     .ack = s_numbers_ack,
                                     .fail = s_timed_fail,
                                     .close = s_numbers_close};
    static const sq_bolt_t dropper = {.prepare = s_sink_prepare, .execute = s_drop_execute};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "timed", &timed, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "drop", &dropper, 1), "timed",
                                   NULL);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", TIMEOUT_S);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "timeouts", config, &topology), 0);
    //  Wait for every fail(), but no longer than 2T (and a little, for
    //  the polling) after the last emit: a later fail() is wrong anyway.
    const int64_t limit_ns = 2 * TIMEOUT_S * NS_PER_S;
    int64_t give_up = s_now_ns () + 60 * NS_PER_S;
    while (atomic_load (&s_probe.fail_calls) < TIMED_MESSAGES && s_now_ns () < give_up) {
        int64_t last_emit = atomic_load (&s_probe.emit_ns[TIMED_MESSAGES - 1]);
        if (last_emit && s_now_ns () > last_emit + limit_ns + NS_PER_S / 5)
            break;
        usleep (10000);
    }
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    ck_assert_int_eq (atomic_load (&s_probe.executed), TIMED_MESSAGES);
    double shortest = 1e9, longest = 0;
    for (int message = 0; message < TIMED_MESSAGES; message++) {
        int64_t emitted = atomic_load (&s_probe.emit_ns[message]);
        int64_t failed = atomic_load (&s_probe.fail_ns[message]);
        ck_assert_msg (emitted > 0, "message %d was never emitted", message);
        ck_assert_msg (failed > 0, "message %d: no fail() within %d s of its emit", message,
                       2 * TIMEOUT_S);
        double delay = (double) (failed - emitted) / NS_PER_S;
        shortest = delay < shortest ? delay : shortest;
        longest = delay > longest ? delay : longest;
        ck_assert_msg (delay >= TIMEOUT_S, "message %d failed %.3f s after its emit, before %d s",
                       message, delay, TIMEOUT_S);
        ck_assert_msg (delay < 2 * TIMEOUT_S,
                       "message %d failed %.3f s after its emit, not before %d s", message, delay,
                       2 * TIMEOUT_S);
    }
    ck_assert_int_eq (atomic_load (&s_probe.fail_calls), TIMED_MESSAGES);
    ck_assert_int_eq (s_messages_acked (), 0);
    printf ("timeouts: %d messages failed %.3f to %.3f s after their emits (T = %d s)\n",
            TIMED_MESSAGES, shortest, longest, TIMEOUT_S);
}
END_TEST

//  Direct grouping: the spout picks the task; emitting on an undeclared
//  stream or to a task that is not subscribed direct fails cleanly.
static int s_direct_first_task;
static int s_direct_task_count;

static int
s_direct_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    s_direct_first_task = sq_context_component_tasks (context, "direct", &s_direct_task_count);
    return s_numbers_open (state_p, context, collector);
}

static void
s_direct_next (void *state)
{
    numbers_state_t *self = state;
    if (self->next == 0) {
        atomic_store (&s_probe.bad_emit_rc, sq_collector_emit_stream (self->collector, "nope", NULL,
                                                                      SQ_VALUES (sq_int (1))));
        ck_assert_int_eq (
            sq_collector_emit_direct (self->collector, 1, NULL, NULL, SQ_VALUES (sq_int (0))),
            -1); //  task 1 is the spout itself
    }
    if (self->next >= s_probe.total)
        return;
    int task = s_direct_first_task + self->next % s_direct_task_count;
    sq_collector_emit_direct (self->collector, task, NULL, NULL, SQ_VALUES (sq_int (task)));
    self->next++;
}

static int
s_direct_check_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    static int task_ids[8];
    int index = sq_context_task_index (context);
    task_ids[index] = sq_context_task_id (context);
    *state_p = &task_ids[index];
    (void) collector;
    return 0;
}

static void
s_direct_check_execute (void *state, const sq_tuple_t *input)
{
    if (sq_tuple_get_int (input, 0) != *(int *) state)
        atomic_fetch_add (&s_probe.wrong_task, 1);
    atomic_fetch_add (&s_probe.executed, 1);
}

static void
s_declare_direct_number (sq_declarer_t *declarer)
{
    sq_declarer_direct_stream (declarer, SQ_DEFAULT_STREAM, "number");
}

START_TEST (test_direct_grouping_and_emit_errors)
{
    s_reset_probe (300);
    static const sq_spout_t direct_spout = {.declare_outputs = s_declare_direct_number,
                                            .open = s_direct_open,
                                            .next_tuple = s_direct_next,
                                            .close = s_numbers_close};
    static const sq_bolt_t checker = {.prepare = s_direct_check_prepare,
                                      .execute = s_direct_check_execute};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &direct_spout, 1);
    sq_component_t *direct = sq_topology_set_bolt (topology, "direct", &checker, 3);
    sq_component_direct_grouping (direct, "numbers", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "direct", NULL, &topology), 0);
    for (int waited = 0; waited < 1000 && atomic_load (&s_probe.executed) < 300; waited++)
        usleep (10000);
    ck_assert_int_eq (atomic_load (&s_probe.executed), 300);
    ck_assert_int_eq (atomic_load (&s_probe.wrong_task), 0);
    ck_assert_int_eq (atomic_load (&s_probe.bad_emit_rc), -1);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  Direct streams (Storm's declareStream (id, true, fields)): only direct
//  emits may go onto a stream declared direct, and only onto one; a
//  regular emit onto a stream a bolt subscribes to with a direct grouping
//  is refused too. Each wrong emit returns -1 at once with an error naming
//  component, stream and mistake. A spout's direct emit can be tracked.
#define DIRECT_MISTAKES 3

static struct {
    int rc[DIRECT_MISTAKES];          //  return code of each wrong emit
    char error[DIRECT_MISTAKES][256]; //  sq_last_error() after it
    _Atomic bool done;                //  the fields above are written
} s_mistakes;

static void
s_declare_picked_and_default (sq_declarer_t *declarer)
{
    sq_declarer_direct_stream (declarer, "picked", "number");
    sq_declarer_fields (declarer, "number");
}

static void
s_mistake (int index, int rc)
{
    s_mistakes.rc[index] = rc;
    snprintf (s_mistakes.error[index], sizeof s_mistakes.error[index], "%s", sq_last_error ());
}

static void
s_picking_next (void *state)
{
    numbers_state_t *self = state;
    if (self->next == 0 && !atomic_load (&s_mistakes.done)) {
        s_mistake (
            0, sq_collector_emit_stream (self->collector, "picked", NULL, SQ_VALUES (sq_int (0))));
        s_mistake (1, sq_collector_emit_direct (self->collector, s_direct_first_task, NULL, NULL,
                                                SQ_VALUES (sq_int (0))));
        s_mistake (2, sq_collector_emit (self->collector, NULL, SQ_VALUES (sq_int (0))));
        atomic_store (&s_mistakes.done, true);
    }
    if (self->next >= s_probe.total)
        return;
    int task = s_direct_first_task + self->next % s_direct_task_count;
    if (sq_collector_emit_direct_tracked (self->collector, task, "picked", (uint64_t) self->next,
                                          SQ_VALUES (sq_int (task))) == 1)
        self->next++;
}

typedef struct {
    sq_collector_t *collector; //  where to ack
    int task_id;               //  this task
} picked_state_t;

static int
s_picked_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    picked_state_t *self = calloc (1, sizeof (picked_state_t));
    self->collector = collector;
    self->task_id = sq_context_task_id (context);
    *state_p = self;
    return 0;
}

static void
s_picked_execute (void *state, const sq_tuple_t *input)
{
    picked_state_t *self = state;
    if (sq_tuple_get_int (input, 0) != self->task_id)
        atomic_fetch_add (&s_probe.wrong_task, 1);
    atomic_fetch_add (&s_probe.executed, 1);
    sq_collector_ack (self->collector, input);
}

//  Assert the wrong emit `index` returned -1 with an error holding `a` and `b`.
static void
s_assert_mistake (int index, const char *a, const char *b)
{
    ck_assert_int_eq (s_mistakes.rc[index], -1);
    ck_assert_msg (strstr (s_mistakes.error[index], a) && strstr (s_mistakes.error[index], b),
                   "error '%s' lacks '%s' or '%s'", s_mistakes.error[index], a, b);
}

START_TEST (test_direct_streams_and_tracked_direct_emits)
{
    s_reset_probe (200);
    memset (&s_mistakes, 0, sizeof s_mistakes);
    static const sq_spout_t picking = {.declare_outputs = s_declare_picked_and_default,
                                       .open = s_direct_open,
                                       .next_tuple = s_picking_next,
                                       .ack = s_numbers_ack,
                                       .fail = s_numbers_fail,
                                       .close = s_numbers_close};
    static const sq_bolt_t picked = {
        .prepare = s_picked_prepare, .execute = s_picked_execute, .cleanup = free};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &picking, 1);
    sq_component_direct_grouping (sq_topology_set_bolt (topology, "direct", &picked, 3), "numbers",
                                  "picked");
    //  A direct grouping on a stream not declared direct: Storm accepts the
    //  topology and refuses the regular emit.
    sq_component_direct_grouping (sq_topology_set_bolt (topology, "undeclared", &picked, 1),
                                  "numbers", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "picked", NULL, &topology), 0);
    sq_topology_stats_t stats = {0};
    for (int waited = 0; waited < 1000 && stats.acked < 200; waited++) {
        usleep (10000);
        ck_assert_int_eq (sq_local_cluster_stats (cluster, "picked", &stats), 0);
    }
    ck_assert_uint_eq (stats.acked, 200);
    ck_assert_int_eq (atomic_load (&s_probe.executed), 200);
    ck_assert_int_eq (atomic_load (&s_probe.wrong_task), 0);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq (atomic_load (&s_probe.acks[i]), 1);
    ck_assert (atomic_load (&s_mistakes.done));
    s_assert_mistake (0, "'numbers' emits on stream 'picked'", "declared direct");
    s_assert_mistake (1, "'numbers' emits direct on stream 'default'", "not declared direct");
    s_assert_mistake (2, "'numbers' emits on stream 'default'", "'undeclared' subscribes");
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  Multi-anchoring: a joiner holds every even input until the next odd
//  one and emits one tuple anchored to both.
typedef struct {
    sq_collector_t *collector; //  where to emit
    const sq_tuple_t *held;    //  input waiting for its partner
} joiner_state_t;

static int
s_joiner_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    joiner_state_t *self = calloc (1, sizeof (joiner_state_t));
    self->collector = collector;
    *state_p = self;
    return 0;
}

static void
s_joiner_execute (void *state, const sq_tuple_t *input)
{
    joiner_state_t *self = state;
    if (!self->held) {
        self->held = input;
        return;
    }
    const sq_tuple_t *anchors[] = {self->held, input};
    int64_t sum = sq_tuple_get_int (self->held, 0) + sq_tuple_get_int (input, 0);
    sq_collector_emit_anchored (self->collector, NULL, anchors, 2, SQ_VALUES (sq_int (sum)));
    sq_collector_ack (self->collector, self->held);
    sq_collector_ack (self->collector, input);
    self->held = NULL;
}

START_TEST (test_multi_anchored_trees_complete)
{
    s_reset_probe (1000);
    static const sq_bolt_t joiner = {.declare_outputs = s_declare_number,
                                     .prepare = s_joiner_prepare,
                                     .execute = s_joiner_execute,
                                     .cleanup = free};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_global_grouping (sq_topology_set_bolt (topology, "join", &joiner, 1), "numbers",
                                  NULL);
    sq_component_all_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 2), "join", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "join", NULL, &topology), 0);
    ck_assert (s_wait_all_acked (30));
    sq_topology_stats_t stats = s_stats (cluster, "join");
    ck_assert_uint_eq (stats.acked, 1000);
    ck_assert_uint_eq (stats.failed + stats.timed_out, 0);
    //  500 joined tuples, each sent to both sink tasks (all grouping).
    ck_assert_int_eq (atomic_load (&s_probe.executed), 1000);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  A tuple anchored to two inputs of the same tree stays in that tree: when
//  it fails downstream, the spout hears fail, never ack.
static void
s_twice_execute (void *state, const sq_tuple_t *input)
{
    joiner_state_t *self = state;
    for (int copy = 0; copy < 2; copy++)
        sq_collector_emit (self->collector, input,
                           SQ_VALUES (sq_int (sq_tuple_get_int (input, 0))));
    sq_collector_ack (self->collector, input);
}

static void
s_reject_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_fail (state, input);
}

START_TEST (test_diamond_fails_when_its_joined_tuple_fails)
{
    s_reset_probe (200);
    static const sq_bolt_t twice = {.declare_outputs = s_declare_number,
                                    .prepare = s_joiner_prepare,
                                    .execute = s_twice_execute,
                                    .cleanup = free};
    static const sq_bolt_t joiner = {.declare_outputs = s_declare_number,
                                     .prepare = s_joiner_prepare,
                                     .execute = s_joiner_execute,
                                     .cleanup = free};
    static const sq_bolt_t reject = {.prepare = s_sink_prepare, .execute = s_reject_execute};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "twice", &twice, 1), "numbers",
                                   NULL);
    sq_component_global_grouping (sq_topology_set_bolt (topology, "join", &joiner, 1), "twice",
                                  NULL);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "reject", &reject, 1), "join",
                                   NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "diamond", NULL, &topology), 0);
    for (int waited = 0; waited < 3000 && atomic_load (&s_probe.fail_calls) < 200; waited++)
        usleep (10000);
    sq_local_cluster_deactivate (cluster, "diamond");
    ck_assert_int_ge (atomic_load (&s_probe.fail_calls), 200);
    ck_assert_int_eq (s_messages_acked (), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

static int
s_refuse_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    return -1;
}

START_TEST (test_open_failure_stops_submit)
{
    static const sq_spout_t refusing = {
        .declare_outputs = s_declare_number, .open = s_refuse_open, .next_tuple = s_numbers_next};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &refusing, 2);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "refused", NULL, &topology), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "2 task(s) failed to open"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "the first of component 'numbers' task"));
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "refused", 0), -1);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

static atomic_bool s_held_in_execute; //  the holding bolt is in execute
static atomic_bool s_held_release;    //  the holding bolt may return

//  Returns only once s_held_release is set: a bolt stuck in execute.
static void
s_holding_execute (void *state, const sq_tuple_t *input)
{
    (void) state, (void) input;
    atomic_store (&s_held_in_execute, true);
    while (!atomic_load (&s_held_release))
        usleep (1000);
}

//  sq_runtime_stop waits for an executor stuck in a callback no longer
//  than its grace, names its component and task, and can be called again
//  once the callback returned; a kill then ends the topology as usual.
START_TEST (test_stop_waits_for_a_stuck_callback_only_its_grace)
{
    static const sq_bolt_t holding = {.execute = s_holding_execute};
    s_reset_probe (10);
    atomic_store (&s_held_in_execute, false);
    atomic_store (&s_held_release, false);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 0);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "held", &holding, 1), "numbers",
                                   NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "held", config, &topology), 0);
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    while (!atomic_load (&s_held_in_execute) && s_now_ns () < deadline)
        usleep (1000);
    ck_assert (atomic_load (&s_held_in_execute));

    sq_runtime_t *runtime = sq_local_cluster_runtime (cluster, "held");
    ck_assert_ptr_nonnull (runtime);
    int64_t start = s_now_ns ();
    ck_assert_int_eq (sq_runtime_stop (runtime, 0.3), -1);
    int64_t waited = s_now_ns () - start;
    ck_assert_str_eq (sq_last_error (),
                      "topology 'held': component 'held' task 2 did not return within 0.3 s of "
                      "the stop");
    ck_assert_int_ge (waited, 300 * 1000000LL);
    ck_assert_msg (waited < 10 * NS_PER_S, "stop waited %lld ns", (long long) waited);

    atomic_store (&s_held_release, true);
    ck_assert_int_eq (sq_runtime_stop (runtime, 30), 0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "held", 0), 0);
    ck_assert_ptr_null (sq_local_cluster_runtime (cluster, "held"));
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_component_max_spout_pending_overrides_topology)
{
    //  The spout's own 20 wins over the submitted 1000, as in Storm.
    s_reset_probe (1500);
    s_probe.sleep_us = 100;
    sq_topology_t *topology = sq_topology_new ();
    sq_component_t *spout = sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_config_set_int (sq_component_config (spout), "topology.max.spout.pending", 20);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 1), "numbers",
                                   NULL);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.max.spout.pending", 1000);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "capped", config, &topology), 0);
    ck_assert (s_wait_all_acked (60));
    sq_topology_stats_t stats = s_stats (cluster, "capped");
    uint64_t limit = 20 + (uint64_t) s_probe.emits_per_call - 1;
    ck_assert_uint_le (stats.max_pending, limit);
    ck_assert_uint_ge (stats.max_pending, 10);
    ck_assert_int_le (atomic_load (&s_probe.max_in_flight), (int) limit);

    //  A negative value in a component's config is refused when it is
    //  set, like the topology's, with the key's range.
    topology = sq_topology_new ();
    spout = sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    ck_assert_int_eq (
        sq_config_set_int (sq_component_config (spout), "topology.max.spout.pending", -1), -1);
    ck_assert_str_eq (sq_last_error (), "config key 'topology.max.spout.pending' must be between "
                                        "0 and 100000000, got -1");
    sq_topology_destroy (&topology);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

//  A spout that records its lifecycle in s_events: 'o' open, 'a'
//  activate, 'n' the first next_tuple after open or a status change, 'd'
//  deactivate, 'c' close; and counts next_tuple calls made while it was
//  not activated, which Storm never makes.
#define MAX_EVENTS 32
static _Atomic int s_events[MAX_EVENTS];
static _Atomic int s_event_count;
static _Atomic int s_calls_while_inactive;
static _Atomic long s_next_calls;

typedef struct {
    bool activated; //  activate seen, no deactivate since
    bool called;    //  next_tuple called since the last event
} lifecycle_t;

static void
s_event (int event)
{
    int index = atomic_load (&s_event_count);
    if (index < MAX_EVENTS) {
        atomic_store (&s_events[index], event);
        atomic_store (&s_event_count, index + 1);
    }
}

//  The events so far, as a string.
static void
s_events_text (char *text)
{
    int count = atomic_load (&s_event_count);
    for (int i = 0; i < count; i++)
        text[i] = (char) atomic_load (&s_events[i]);
    text[count] = 0;
}

//  Poll until the events read `expected`, or seconds pass; true when they do.
static bool
s_wait_events (const char *expected, double seconds)
{
    char text[MAX_EVENTS + 1];
    int64_t deadline = s_now_ns () + (int64_t) (seconds * NS_PER_S);
    do {
        s_events_text (text);
        if (strcmp (text, expected) == 0)
            return true;
        usleep (2000);
    } while (s_now_ns () < deadline);
    return false;
}

static int
s_lifecycle_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = calloc (1, sizeof (lifecycle_t));
    s_event ('o');
    return 0;
}

static void
s_lifecycle_next (void *state)
{
    lifecycle_t *self = state;
    atomic_fetch_add (&s_next_calls, 1);
    if (!self->activated)
        atomic_fetch_add (&s_calls_while_inactive, 1);
    if (!self->called)
        s_event ('n');
    self->called = true;
}

//  Record a status change the spout was told of.
static void
s_lifecycle_status (lifecycle_t *self, bool activated)
{
    self->activated = activated;
    self->called = false;
    s_event (activated ? 'a' : 'd');
}

static void
s_lifecycle_activate (void *state)
{
    s_lifecycle_status (state, true);
}

static void
s_lifecycle_deactivate (void *state)
{
    s_lifecycle_status (state, false);
}

static void
s_lifecycle_close (void *state)
{
    free (state);
    s_event ('c');
}

static const sq_spout_t s_lifecycle = {
    .declare_outputs = s_declare_number,
    .open = s_lifecycle_open,
    .next_tuple = s_lifecycle_next,
    .activate = s_lifecycle_activate,
    .deactivate = s_lifecycle_deactivate,
    .close = s_lifecycle_close,
};

static sq_topology_t *
s_lifecycle_topology (void)
{
    atomic_store (&s_event_count, 0);
    atomic_store (&s_calls_while_inactive, 0);
    atomic_store (&s_next_calls, 0);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "lifecycle", &s_lifecycle, 1);
    return topology;
}

#define EVENT_WAIT_SECS 10 //  longest wait for a spout to see a status change

START_TEST (test_activate_before_first_next_tuple_and_after_each_deactivate)
{
    sq_topology_t *topology = s_lifecycle_topology ();
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "lifecycle", NULL, &topology), 0);
    char text[MAX_EVENTS + 1];
    ck_assert_msg (s_wait_events ("oan", EVENT_WAIT_SECS), "events %s",
                   (s_events_text (text), text));
    ck_assert_int_eq (sq_local_cluster_deactivate (cluster, "lifecycle"), 0);
    ck_assert_msg (s_wait_events ("oand", EVENT_WAIT_SECS), "events %s",
                   (s_events_text (text), text));
    ck_assert_int_eq (sq_local_cluster_activate (cluster, "lifecycle"), 0);
    ck_assert_msg (s_wait_events ("oandan", EVENT_WAIT_SECS), "events %s",
                   (s_events_text (text), text));
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "lifecycle", 0.1), 0);
    s_events_text (text);
    ck_assert_msg (strcmp (text, "oandandc") == 0, "events %s", text);
    ck_assert_int_eq (atomic_load (&s_calls_while_inactive), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  How long a test watches an inactive spout for a next_tuple call that
//  must not come: an active spout is called within milliseconds.
#define INACTIVE_WATCH_NS (NS_PER_S / 2)

START_TEST (test_submitted_inactive_calls_no_next_tuple_until_activated)
{
    sq_topology_t *topology = s_lifecycle_topology ();
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_submit_options_t options = {.initial_status = SQ_INITIAL_STATUS_INACTIVE};
    ck_assert_int_eq (
        sq_local_cluster_submit_with_options (cluster, "dormant", NULL, &topology, &options), 0);
    //  Open ran before the submit returned; then nothing, however long.
    int64_t until = s_now_ns () + INACTIVE_WATCH_NS;
    while (s_now_ns () < until && atomic_load (&s_next_calls) == 0)
        usleep (5000);
    ck_assert_int_eq (atomic_load (&s_next_calls), 0);
    char text[MAX_EVENTS + 1];
    s_events_text (text);
    ck_assert_str_eq (text, "o");
    //  Deactivating what was never activated calls nothing (Storm's rule).
    ck_assert_int_eq (sq_local_cluster_deactivate (cluster, "dormant"), 0);
    ck_assert_int_eq (sq_local_cluster_activate (cluster, "dormant"), 0);
    ck_assert_msg (s_wait_events ("oan", EVENT_WAIT_SECS), "events %s",
                   (s_events_text (text), text));
    ck_assert_int_eq (atomic_load (&s_calls_while_inactive), 0);
    //  An unknown initial status is refused, and nothing runs.
    topology = s_lifecycle_topology ();
    options.initial_status = (sq_initial_status_t) 7;
    ck_assert_int_eq (
        sq_local_cluster_submit_with_options (cluster, "odd", NULL, &topology, &options), -1);
    ck_assert_ptr_null (topology);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "initial status"));
    sq_local_cluster_destroy (&cluster);
}
END_TEST

//  ---------------------------------------------------------------------
//  The word-count example package, with exact counts over a finite input

typedef struct {
    char word[32]; //  the word
    long count;    //  expected occurrences
    long seen;     //  occurrences in the output file
} word_count_t;

START_TEST (test_wordcount_package_exact_counts)
{
    static const char *vocabulary[] = {"storm", "squall", "tuple",  "bolt",  "spout",
                                       "acker", "stream", "fields", "émoji", "a"};
    enum { WORDS = 10, LINES = 3000 };
    word_count_t expected[WORDS];
    memset (expected, 0, sizeof expected);
    for (int w = 0; w < WORDS; w++)
        snprintf (expected[w].word, sizeof expected[w].word, "%s", vocabulary[w]);
    char input[] = "/tmp/squall-wc-input-XXXXXX";
    char output[] = "/tmp/squall-wc-output-XXXXXX";
    int input_fd = mkstemp (input);
    int output_fd = mkstemp (output);
    ck_assert_int_ge (input_fd, 0);
    ck_assert_int_ge (output_fd, 0);
    close (output_fd);
    unlink (output);
    FILE *file = fdopen (input_fd, "w");
    unsigned seed = 42;
    const char *separators[] = {" ", "  ", "\t", " \t "};
    for (int line = 0; line < LINES; line++) {
        int words = 1 + rand_r (&seed) % 12;
        for (int i = 0; i < words; i++) {
            int w = rand_r (&seed) % WORDS;
            expected[w].count++;
            fprintf (file, "%s%s", i ? separators[rand_r (&seed) % 4] : "", vocabulary[w]);
        }
        fputc ('\n', file);
    }
    fclose (file);

    const char *top = getenv ("top_builddir");
    char path[4096];
    snprintf (path, sizeof path, "%s/topologies/.libs/wordcount.so", top ? top : ".");
    sq_package_t *package = sq_package_open (path);
    ck_assert_msg (package != NULL, "%s", sq_last_error ());
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "wordcount.input", input), 0);
    ck_assert_int_eq (sq_config_set (config, "wordcount.output", output), 0);
    ck_assert_int_eq (sq_config_set (config, "wordcount.report.secs", "1"), 0);
    sq_topology_t *topology = sq_package_build (package, config);
    ck_assert_ptr_nonnull (topology);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "wordcount", config, &topology), 0);
    sq_topology_stats_t stats = s_stats (cluster, "wordcount");
    for (int waited = 0; waited < 3000 && stats.acked < LINES; waited++) {
        usleep (10000);
        stats = s_stats (cluster, "wordcount");
    }
    ck_assert_uint_eq (stats.acked, LINES);
    ck_assert_uint_eq (stats.spout_emitted, LINES);
    ck_assert_uint_eq (stats.failed + stats.timed_out, 0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "wordcount", 1), 0);
    sq_local_cluster_destroy (&cluster);
    sq_package_destroy (&package);

    file = fopen (output, "r");
    ck_assert_ptr_nonnull (file);
    char word[64];
    long count;
    int lines = 0;
    while (fscanf (file, "%63[^\t]\t%ld\n", word, &count) == 2) {
        lines++;
        bool known = false;
        for (int w = 0; w < WORDS; w++)
            if (strcmp (word, expected[w].word) == 0) {
                known = true;
                expected[w].seen += count;
            }
        ck_assert_msg (known, "unexpected word '%s' in the output", word);
    }
    ck_assert (feof (file));
    fclose (file);
    ck_assert_int_eq (lines, WORDS);
    for (int w = 0; w < WORDS; w++)
        ck_assert_msg (expected[w].seen == expected[w].count, "'%s': counted %ld, expected %ld",
                       expected[w].word, expected[w].seen, expected[w].count);
    unlink (input);
    unlink (output);
    sq_config_destroy (&config);
}
END_TEST

//  Custom and partial key groupings. The spout's custom grouping sends
//  each odd number n to target task n % 3 of "pick" and even numbers
//  nowhere (their trees complete at once); a second custom grouping, on
//  stream "bad", picks the spout's own task, which must fail that emit.
//  "pick" re-emits every number under the one key "hot", partial-key
//  grouped over the 4 tasks of "count".
static struct {
    _Atomic int prepares;        //  custom prepare calls
    _Atomic int cleanups;        //  custom cleanup calls
    _Atomic int bad_values;      //  choose calls with the wrong value count
    _Atomic int wrong_pick;      //  numbers "pick" got on the wrong task
    _Atomic int count_hits[4];   //  tuples each "count" task executed
    _Atomic int victim_executed; //  tuples the "bad" stream delivered
    _Atomic int bad_rc;          //  return code of the bad custom emit
    char bad_error[256];         //  its sq_last_error ()
    int target_tasks[3];         //  target tasks "pick" was prepared with
    char stream[32];             //  stream given to that prepare
} s_grouped;

typedef struct {
    int targets[4]; //  target tasks given to prepare
    size_t count;   //  how many
    bool wrong;     //  choose the emitting task, which is no target
} by_number_state_t;

static int
s_by_number_prepare (void **state_p, const sq_context_t *context, const char *stream,
                     const int *target_tasks, size_t target_count)
{
    by_number_state_t *self = calloc (1, sizeof (by_number_state_t));
    if (!self || target_count > 4 || strcmp (sq_context_component_id (context), "numbers")) {
        free (self);
        return -1;
    }
    memcpy (self->targets, target_tasks, target_count * sizeof (int));
    self->count = target_count;
    self->wrong = strcmp (stream, "bad") == 0;
    if (!self->wrong) {
        memcpy (s_grouped.target_tasks, target_tasks, target_count * sizeof (int));
        snprintf (s_grouped.stream, sizeof s_grouped.stream, "%s", stream);
    }
    atomic_fetch_add (&s_grouped.prepares, 1);
    *state_p = self;
    return 0;
}

static int
s_by_number_choose (void *state, int task_id, const sq_value_t *values, size_t count, int *chosen)
{
    by_number_state_t *self = state;
    if (count != 1)
        atomic_fetch_add (&s_grouped.bad_values, 1);
    if (self->wrong) {
        chosen[0] = task_id;
        return 1;
    }
    int64_t number = values[0].as.i;
    if (number % 2 == 0)
        return 0;
    chosen[0] = self->targets[number % (int64_t) self->count];
    return 1;
}

static void
s_by_number_cleanup (void *state)
{
    atomic_fetch_add (&s_grouped.cleanups, 1);
    free (state);
}

static const sq_custom_grouping_t s_by_number = {
    .prepare = s_by_number_prepare, .choose = s_by_number_choose, .cleanup = s_by_number_cleanup};

static void
s_declare_number_and_bad (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "number");
    sq_declarer_stream (declarer, "bad", "number");
}

static void
s_grouped_spout_next (void *state)
{
    numbers_state_t *self = state;
    if (self->next == 0 && atomic_load (&s_grouped.bad_rc) == 0) {
        int rc = sq_collector_emit_tracked (self->collector, "bad", 0, SQ_VALUES (sq_int (1)));
        snprintf (s_grouped.bad_error, sizeof s_grouped.bad_error, "%s", sq_last_error ());
        atomic_store (&s_grouped.bad_rc, rc);
    }
    s_numbers_next (state);
}

typedef struct {
    sq_collector_t *collector; //  where to emit
    int index;                 //  task index
} indexed_state_t;

static int
s_indexed_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    indexed_state_t *self = calloc (1, sizeof (indexed_state_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->index = sq_context_task_index (context);
    *state_p = self;
    return 0;
}

//  ---------------------------------------------------------------------
//  Reset timeout (Storm's OutputCollector.resetTimeout): a bolt holds its
//  one input for 2.5 T. In topology "reset-on" it calls
//  sq_collector_reset_timeout every T/2 meanwhile, and the tree is acked;
//  in "reset-off" it does not, and the tree times out while still held.
//  Both run at once in one local cluster.
#define RESET_T_S 2                                  //  topology.message.timeout.secs
#define RESET_HOLD_NS (5 * RESET_T_S * NS_PER_S / 2) //  how long the bolt holds its input

//  Written by executor threads, read by the test; [0] "reset-off", [1] "reset-on".
static struct {
    _Atomic int64_t emit_ns[2]; //  spout: its one tracked emit
    _Atomic int64_t ack_ns[2];  //  spout: ack() of it
    _Atomic int64_t fail_ns[2]; //  spout: fail() of it
    _Atomic int acks[2];        //  spout: ack() calls
    _Atomic int fails[2];       //  spout: fail() calls
    _Atomic int resets[2];      //  bolt: reset_timeout calls
    _Atomic int64_t held_ns[2]; //  bolt: when it acked, after holding the input
} s_reset;

typedef struct {
    sq_collector_t *collector; //  where to emit
    int tree;                  //  0: no resets, 1: resets ("test.reset.tree")
    bool emitted;              //  spout: its one tuple went out
    int64_t every_ns;          //  bolt: reset period, 0 for none
} reset_state_t;

static int
s_reset_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    reset_state_t *self = calloc (1, sizeof (reset_state_t));
    self->collector = collector;
    self->tree = (int) sq_config_int (sq_context_config (context), "test.reset.tree", 0);
    self->every_ns = self->tree ? RESET_T_S * NS_PER_S / 2 : 0;
    *state_p = self;
    return 0;
}

static void
s_declare_key_number (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "key,number");
}

static void
s_pick_execute (void *state, const sq_tuple_t *input)
{
    indexed_state_t *self = state;
    int64_t number = sq_tuple_get_int (input, 0);
    if (number % 2 == 0 || number % 3 != self->index)
        atomic_fetch_add (&s_grouped.wrong_pick, 1);
    sq_collector_emit (self->collector, input, SQ_VALUES (sq_str ("hot"), sq_int (number)));
    sq_collector_ack (self->collector, input);
}

static void
s_count_execute (void *state, const sq_tuple_t *input)
{
    indexed_state_t *self = state;
    if (self->index < 4)
        atomic_fetch_add (&s_grouped.count_hits[self->index], 1);
    sq_collector_ack (self->collector, input);
}

static void
s_victim_execute (void *state, const sq_tuple_t *input)
{
    indexed_state_t *self = state;
    atomic_fetch_add (&s_grouped.victim_executed, 1);
    sq_collector_ack (self->collector, input);
}

START_TEST (test_custom_and_partial_key_groupings)
{
    s_reset_probe (1200);
    memset (&s_grouped, 0, sizeof s_grouped);
    static const sq_spout_t spout = {.declare_outputs = s_declare_number_and_bad,
                                     .open = s_numbers_open,
                                     .next_tuple = s_grouped_spout_next,
                                     .ack = s_numbers_ack,
                                     .fail = s_numbers_fail,
                                     .close = s_numbers_close};
    static const sq_bolt_t pick = {.declare_outputs = s_declare_key_number,
                                   .prepare = s_indexed_prepare,
                                   .execute = s_pick_execute,
                                   .cleanup = free};
    static const sq_bolt_t count = {
        .prepare = s_indexed_prepare, .execute = s_count_execute, .cleanup = free};
    static const sq_bolt_t victim = {
        .prepare = s_indexed_prepare, .execute = s_victim_execute, .cleanup = free};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &spout, 1);
    sq_component_custom_grouping (sq_topology_set_bolt (topology, "pick", &pick, 3), "numbers",
                                  NULL, &s_by_number);
    sq_component_partial_key_grouping (sq_topology_set_bolt (topology, "count", &count, 4), "pick",
                                       NULL, "key");
    sq_component_custom_grouping (sq_topology_set_bolt (topology, "victim", &victim, 1), "numbers",
                                  "bad", &s_by_number);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "grouped", NULL, &topology), 0);
    //  One instance per emitting task and subscription, prepared before
    //  anything runs, with the subscriber's task ids (2, 3, 4: the spout
    //  is task 1).
    ck_assert_int_eq (atomic_load (&s_grouped.prepares), 2);
    ck_assert_str_eq (s_grouped.stream, "default");
    ck_assert_int_eq (s_grouped.target_tasks[0], 2);
    ck_assert_int_eq (s_grouped.target_tasks[2], 4);
    ck_assert (s_wait_all_acked (30));
    int executed = 0;
    for (int waited = 0; waited < 1000 && executed < 600; waited++) {
        executed = 0;
        for (int t = 0; t < 4; t++)
            executed += atomic_load (&s_grouped.count_hits[t]);
        if (executed < 600)
            usleep (10000);
    }
    sq_topology_stats_t stats = s_stats (cluster, "grouped");
    ck_assert_uint_eq (stats.acked, 1200); //  even numbers' trees had no edges
    ck_assert_uint_eq (stats.failed + stats.timed_out, 0);
    ck_assert_int_eq (atomic_load (&s_grouped.wrong_pick), 0);
    ck_assert_int_eq (atomic_load (&s_grouped.bad_values), 0);
    //  The bad choice failed its emit, named the subscription, sent nothing.
    ck_assert_int_eq (atomic_load (&s_grouped.bad_rc), -1);
    ck_assert_str_eq (s_grouped.bad_error,
                      "the custom grouping of 'victim' on stream 'bad' of 'numbers' chose task 1, "
                      "which is not one of its target tasks 9-9");
    ck_assert_int_eq (atomic_load (&s_grouped.victim_executed), 0);
    //  Each "pick" task got 200 odd numbers and sent them all under key
    //  "hot", alternating between the key's two candidates: 100 to each
    //  from each of the 3 tasks, and nothing to the other two tasks.
    int index = 0, first, second;
    sq_value_t key = sq_str ("hot");
    sq_grouping_partial_key_candidates (&key, &index, 1, 4, &first, &second);
    ck_assert_int_ne (first, second);
    for (int t = 0; t < 4; t++)
        ck_assert_int_eq (atomic_load (&s_grouped.count_hits[t]),
                          t == first || t == second ? 300 : 0);
    sq_local_cluster_destroy (&cluster);
    ck_assert_int_eq (atomic_load (&s_grouped.cleanups), 2);
}
END_TEST

static void
s_reset_next (void *state)
{
    reset_state_t *self = state;
    if (self->emitted)
        return;
    sq_collector_emit_tracked (self->collector, NULL, (uint64_t) self->tree,
                               SQ_VALUES (sq_int (self->tree)));
    atomic_store (&s_reset.emit_ns[self->tree], s_now_ns ());
    self->emitted = true;
}

static void
s_reset_ack (void *state, uint64_t msg_id)
{
    atomic_store (&s_reset.ack_ns[msg_id], s_now_ns ());
    atomic_fetch_add (&s_reset.acks[msg_id], 1);
}

static void
s_reset_fail (void *state, uint64_t msg_id)
{
    atomic_store (&s_reset.fail_ns[msg_id], s_now_ns ());
    atomic_fetch_add (&s_reset.fails[msg_id], 1);
}

//  Slow work on one input, pushing its timeout back every every_ns.
static void
s_reset_execute (void *state, const sq_tuple_t *input)
{
    reset_state_t *self = state;
    int64_t now = s_now_ns (), end = now + RESET_HOLD_NS;
    while (now < end) {
        int64_t nap = self->every_ns && self->every_ns < end - now ? self->every_ns : end - now;
        usleep ((useconds_t) (nap / 1000));
        now = s_now_ns ();
        if (self->every_ns && now < end) {
            sq_collector_reset_timeout (self->collector, input);
            atomic_fetch_add (&s_reset.resets[self->tree], 1);
        }
    }
    atomic_store (&s_reset.held_ns[self->tree], now);
    sq_collector_ack (self->collector, input);
}

START_TEST (test_reset_timeout_keeps_a_slow_tree_alive)
{
    memset (&s_reset, 0, sizeof s_reset);
    static const sq_spout_t spout = {.declare_outputs = s_declare_number,
                                     .open = s_reset_open,
                                     .next_tuple = s_reset_next,
                                     .ack = s_reset_ack,
                                     .fail = s_reset_fail,
                                     .close = free};
    static const sq_bolt_t bolt = {
        .prepare = s_reset_open, .execute = s_reset_execute, .cleanup = free};
    static const char *names[2] = {"reset-off", "reset-on"};
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    for (int tree = 0; tree < 2; tree++) {
        sq_topology_t *topology = sq_topology_new ();
        sq_topology_set_spout (topology, "slow", &spout, 1);
        sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "hold", &bolt, 1), "slow",
                                       NULL);
        sq_config_t *config = sq_config_new ();
        sq_config_set_int (config, "topology.message.timeout.secs", RESET_T_S);
        sq_config_set_int (config, "test.reset.tree", tree);
        ck_assert_int_eq (sq_local_cluster_submit (cluster, names[tree], config, &topology), 0);
        sq_config_destroy (&config);
    }
    //  Until both bolts let go and "reset-on" heard its outcome.
    int64_t give_up = s_now_ns () + 60 * NS_PER_S;
    while ((!atomic_load (&s_reset.held_ns[0]) || !atomic_load (&s_reset.held_ns[1]) ||
            atomic_load (&s_reset.acks[1]) + atomic_load (&s_reset.fails[1]) == 0) &&
           s_now_ns () < give_up)
        usleep (10000);
    sq_topology_stats_t on = s_stats (cluster, "reset-on");
    //  Let the late ack of "reset-off" reach the acker and the spout.
    sq_local_cluster_kill (cluster, "reset-off", 10);
    sq_local_cluster_destroy (&cluster);

    int64_t emitted = atomic_load (&s_reset.emit_ns[1]);
    int64_t held = atomic_load (&s_reset.held_ns[1]);
    ck_assert_msg (emitted && held, "reset-on: the bolt never finished");
    ck_assert_int_ge (held - emitted, RESET_HOLD_NS);
    ck_assert_int_ge (atomic_load (&s_reset.resets[1]), 4);
    ck_assert_msg (atomic_load (&s_reset.fails[1]) == 0,
                   "reset-on: fail() %.3f s after the emit, though reset every %.1f s",
                   (double) (atomic_load (&s_reset.fail_ns[1]) - emitted) / NS_PER_S,
                   RESET_T_S / 2.0);
    ck_assert_int_eq (atomic_load (&s_reset.acks[1]), 1);
    ck_assert_int_ge (atomic_load (&s_reset.ack_ns[1]), held);
    ck_assert_uint_eq (on.acked, 1);
    ck_assert_uint_eq (on.failed + on.timed_out, 0);

    emitted = atomic_load (&s_reset.emit_ns[0]);
    held = atomic_load (&s_reset.held_ns[0]);
    int64_t failed = atomic_load (&s_reset.fail_ns[0]);
    ck_assert_int_eq (atomic_load (&s_reset.fails[0]), 1);
    ck_assert_int_eq (atomic_load (&s_reset.acks[0]), 0);
    ck_assert_int_eq (atomic_load (&s_reset.resets[0]), 0);
    ck_assert_int_ge (failed - emitted, RESET_T_S * NS_PER_S);
    ck_assert_int_lt (failed - emitted, 2 * RESET_T_S * NS_PER_S);
    ck_assert_int_lt (failed, held);
    printf ("reset timeout: held %.2f s; with %d resets acked %.3f s after the emit; without, "
            "failed after %.3f s (T = %d s)\n",
            (double) RESET_HOLD_NS / NS_PER_S, atomic_load (&s_reset.resets[1]),
            (double) (atomic_load (&s_reset.ack_ns[1]) - atomic_load (&s_reset.emit_ns[1])) /
                NS_PER_S,
            (double) (failed - emitted) / NS_PER_S, RESET_T_S);
}
END_TEST

//  ---------------------------------------------------------------------
//  Metrics: a topology whose every count the test knows

#define METRICS_N 300   //  tracked tuples the source emits on "default"
#define METRICS_SIDE 40 //  tracked tuples it emits on "side"
#define METRICS_K 30    //  of the N, failed by the judge (number % 10 == 0)
#define METRICS_D 30    //  of the N, dropped silently by the judge (number % 10 == 1)

typedef struct {
    sq_collector_t *collector; //  where to emit
    int next;                  //  next number
} metrics_source_t;

static void
s_declare_two_streams (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "number");
    sq_declarer_stream (declarer, "side", "number");
}

static int
s_metrics_source_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    metrics_source_t *self = calloc (1, sizeof (metrics_source_t));
    self->collector = collector;
    *state_p = self;
    return 0;
}

//  Emits N numbers on "default", then SIDE on "side", each once; fails
//  and timeouts are not replayed.
static void
s_metrics_source_next (void *state)
{
    metrics_source_t *self = state;
    if (self->next < METRICS_N)
        sq_collector_emit_tracked (self->collector, NULL, (uint64_t) self->next,
                                   SQ_VALUES (sq_int (self->next)));
    else if (self->next < METRICS_N + METRICS_SIDE)
        sq_collector_emit_tracked (self->collector, "side", (uint64_t) self->next,
                                   SQ_VALUES (sq_int (self->next)));
    else
        return;
    self->next++;
}

static const sq_spout_t s_metrics_source = {
    .declare_outputs = s_declare_two_streams,
    .open = s_metrics_source_open,
    .next_tuple = s_metrics_source_next,
    .close = free,
};

typedef struct {
    sq_collector_t *collector; //  where to emit
    sq_metric_t *judged;       //  user counter: inputs seen
    sq_metric_t *last;         //  user gauge: last number seen
} judge_state_t;

static int
s_judge_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    judge_state_t *self = calloc (1, sizeof (judge_state_t));
    self->collector = collector;
    self->judged = sq_context_register_counter (context, "judged");
    self->last = sq_context_register_gauge (context, "last");
    *state_p = self;
    return self->judged && self->last ? 0 : -1;
}

//  "side" inputs are acked; "default" ones are failed (number % 10 == 0,
//  with an error reported), dropped (== 1) or passed on anchored and acked.
static void
s_judge_execute (void *state, const sq_tuple_t *input)
{
    judge_state_t *self = state;
    int64_t number = sq_tuple_get_int (input, 0);
    sq_metric_inc (self->judged, 1);
    sq_metric_set (self->last, (double) number);
    if (number >= METRICS_N)
        sq_collector_ack (self->collector, input);
    else if (number % 10 == 0) {
        sq_collector_report_error (self->collector, "number ends in 0");
        sq_collector_fail (self->collector, input);
    } else if (number % 10 != 1) {
        sq_collector_emit (self->collector, input, SQ_VALUES (sq_int (number)));
        sq_collector_ack (self->collector, input);
    }
}

static const sq_bolt_t s_judge = {
    .declare_outputs = s_declare_number,
    .prepare = s_judge_prepare,
    .execute = s_judge_execute,
    .cleanup = free,
};

static sq_topology_t *
s_metrics_topology (void)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "source", &s_metrics_source, 1);
    sq_component_t *judge = sq_topology_set_bolt (topology, "judge", &s_judge, 2);
    sq_component_shuffle_grouping (judge, "source", NULL);
    sq_component_shuffle_grouping (judge, "source", "side");
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 1), "judge",
                                   NULL);
    return topology;
}

//  Sum of an integer field over the executors of component: at the
//  executor itself (list NULL), in its object member list ("held_ns"), or
//  in the entry of list ("streams",
//  "inputs", "user") whose key_name is key, or in that entry's object
//  member sub (e.g. a histogram's "count").
static long
s_metric_sum (const json_t *report, const char *component, const char *list, const char *key_name,
              const char *key, const char *field, const char *sub)
{
    long sum = 0;
    size_t e, i;
    const json_t *executor, *entry;
    json_array_foreach (json_object_get (report, "executors"), e, executor)
    {
        if (strcmp (json_string_value (json_object_get (executor, "component")), component))
            continue;
        const json_t *members = list ? json_object_get (executor, list) : executor;
        if (json_is_object (members)) {
            sum += (long) json_integer_value (json_object_get (members, field));
            continue;
        }
        json_array_foreach (json_object_get (executor, list), i, entry)
        {
            if (strcmp (json_string_value (json_object_get (entry, key_name)), key))
                continue;
            const json_t *value = json_object_get (entry, field);
            sum += (long) json_integer_value (sub ? json_object_get (value, sub) : value);
        }
    }
    return sum;
}

static long
s_stream (const json_t *report, const char *component, const char *stream, const char *field)
{
    return s_metric_sum (report, component, "streams", "stream", stream, field, NULL);
}

//  An input is named by its source component; each test input has one stream.
static long
s_input (const json_t *report, const char *component, const char *source_stream, const char *field)
{
    return s_metric_sum (report, component, "inputs", "stream", source_stream, field, NULL);
}

static json_t *
s_metrics_report (sq_local_cluster_t *cluster, const char *name)
{
    char *text = sq_local_cluster_metrics_json (cluster, name);
    ck_assert_ptr_nonnull (text);
    json_t *report = json_loads (text, 0, NULL);
    free (text);
    ck_assert_ptr_nonnull (report);
    return report;
}

//  True once every tree has ended at the spout and the sink executed all.
static bool
s_metrics_settled (const json_t *report)
{
    long ended = 0;
    const char *fields[] = {"acked", "failed", "timed_out"};
    for (int f = 0; f < 3; f++)
        ended += s_stream (report, "source", "default", fields[f]) +
                 s_stream (report, "source", "side", fields[f]);
    return ended == METRICS_N + METRICS_SIDE &&
           s_input (report, "sink", "default", "acked") == METRICS_N - METRICS_K - METRICS_D;
}

START_TEST (test_metrics_exact_per_stream_and_input)
{
    s_reset_probe (0);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", 1);
    //  Time every execute (the default samples 5%), so that latency counts
    //  equal the counts they time.
    sq_config_set_double (config, "topology.stats.sample.rate", 1.0);
    sq_topology_t *topology = s_metrics_topology ();
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "metrics", config, &topology), 0);
    //  Drops time out 1 to 2 s after their emit; allow far more.
    json_t *report = s_metrics_report (cluster, "metrics");
    for (int waited = 0; waited < 3000 && !s_metrics_settled (report); waited++) {
        usleep (10000);
        json_decref (report);
        report = s_metrics_report (cluster, "metrics");
    }
    long passed = METRICS_N - METRICS_K - METRICS_D;
    //  The source, per stream: emitted, transferred, and each tree's end.
    ck_assert_int_eq (s_stream (report, "source", "default", "emitted"), METRICS_N);
    ck_assert_int_eq (s_stream (report, "source", "default", "transferred"), METRICS_N);
    ck_assert_int_eq (s_stream (report, "source", "default", "acked"), passed);
    ck_assert_int_eq (s_stream (report, "source", "default", "failed"), METRICS_K);
    ck_assert_int_eq (s_stream (report, "source", "default", "timed_out"), METRICS_D);
    ck_assert_int_eq (s_metric_sum (report, "source", "streams", "stream", "default",
                                    "complete_latency", "count"),
                      passed);
    ck_assert_int_eq (s_stream (report, "source", "side", "emitted"), METRICS_SIDE);
    ck_assert_int_eq (s_stream (report, "source", "side", "acked"), METRICS_SIDE);
    ck_assert_int_eq (s_stream (report, "source", "side", "failed"), 0);
    ck_assert_int_eq (s_stream (report, "source", "side", "timed_out"), 0);
    ck_assert_int_eq (
        s_metric_sum (report, "source", "streams", "stream", "side", "complete_latency", "count"),
        METRICS_SIDE);
    //  The judge, per input (source:default, source:side) and its output.
    ck_assert_int_eq (s_input (report, "judge", "default", "executed"), METRICS_N);
    ck_assert_int_eq (s_input (report, "judge", "default", "acked"), passed);
    ck_assert_int_eq (s_input (report, "judge", "default", "failed"), METRICS_K);
    ck_assert_int_eq (s_input (report, "judge", "side", "executed"), METRICS_SIDE);
    ck_assert_int_eq (s_input (report, "judge", "side", "acked"), METRICS_SIDE);
    ck_assert_int_eq (s_input (report, "judge", "side", "failed"), 0);
    ck_assert_int_eq (
        s_metric_sum (report, "judge", "inputs", "stream", "default", "execute_latency", "count"),
        METRICS_N);
    ck_assert_int_eq (
        s_metric_sum (report, "judge", "inputs", "stream", "default", "process_latency", "count"),
        passed);
    ck_assert_int_eq (
        s_metric_sum (report, "judge", "inputs", "stream", "side", "execute_latency", "count"),
        METRICS_SIDE);
    ck_assert_int_eq (s_stream (report, "judge", "default", "emitted"), passed);
    ck_assert_int_eq (s_stream (report, "judge", "default", "transferred"), passed);
    //  The sink.
    ck_assert_int_eq (s_input (report, "sink", "default", "executed"), passed);
    ck_assert_int_eq (s_input (report, "sink", "default", "failed"), 0);
    ck_assert_int_eq (
        s_metric_sum (report, "sink", "inputs", "stream", "default", "execute_latency", "count"),
        passed);
    //  Errors and user metrics of the judge, summed over its two executors.
    ck_assert_int_eq (s_metric_sum (report, "judge", NULL, NULL, NULL, "errors_total", NULL),
                      METRICS_K);
    ck_assert_int_eq (s_metric_sum (report, "judge", "user", "name", "judged", "value", NULL),
                      METRICS_N + METRICS_SIDE);
    json_decref (report);

    //  The summary rows storm-submit --local prints.
    sq_component_metrics_t rows[8];
    ck_assert_int_eq (sq_local_cluster_component_metrics (cluster, "metrics", rows, 8), 3);
    ck_assert_str_eq (rows[0].component, "source");
    ck_assert (rows[0].spout);
    ck_assert_uint_eq (rows[0].emitted, METRICS_N + METRICS_SIDE);
    ck_assert_uint_eq (rows[0].acked, (uint64_t) passed + METRICS_SIDE);
    ck_assert_uint_eq (rows[0].failed, METRICS_K);
    ck_assert_uint_eq (rows[0].timed_out, METRICS_D);
    ck_assert_str_eq (rows[1].component, "judge");
    ck_assert_int_eq (rows[1].executors, 2);
    ck_assert_uint_eq (rows[1].executed, METRICS_N + METRICS_SIDE);
    ck_assert_uint_eq (rows[1].failed, METRICS_K);
    ck_assert_uint_eq (rows[1].errors, METRICS_K);
    ck_assert_uint_eq (rows[2].executed, (uint64_t) passed);
    ck_assert (rows[2].capacity >= 0 && rows[2].capacity <= 1.0);
    ck_assert_int_eq (sq_local_cluster_component_metrics (cluster, "nope", rows, 8), -1);

    //  A deactivated spout's time counts as held back while inactive, and
    //  only then.
    report = s_metrics_report (cluster, "metrics");
    ck_assert_int_eq (s_metric_sum (report, "source", "held_ns", NULL, NULL, "inactive", NULL), 0);
    json_decref (report);
    ck_assert_int_eq (sq_local_cluster_deactivate (cluster, "metrics"), 0);
    long inactive = 0;
    for (int waited = 0; waited < 500 && inactive < 20000000; waited++) {
        usleep (10000);
        report = s_metrics_report (cluster, "metrics");
        inactive = s_metric_sum (report, "source", "held_ns", NULL, NULL, "inactive", NULL);
        json_decref (report);
    }
    ck_assert_int_ge (inactive, 20000000);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "metrics", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_metrics_off_records_nothing_per_tuple)
{
    s_reset_probe (0);
    sq_config_t *config = sq_config_new ();
    sq_config_set_bool (config, "topology.metrics.enabled", false);
    sq_topology_t *topology = s_metrics_topology ();
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "quiet", config, &topology), 0);
    //  The totals still count: wait for every input the sink gets.
    long passed = METRICS_N - METRICS_K - METRICS_D;
    for (int waited = 0; waited < 3000 && atomic_load (&s_probe.executed) < passed; waited++)
        usleep (10000);
    ck_assert_int_eq (atomic_load (&s_probe.executed), passed);
    json_t *report = s_metrics_report (cluster, "quiet");
    ck_assert_int_eq (s_stream (report, "source", "default", "emitted"), 0);
    ck_assert_int_eq (s_input (report, "judge", "default", "executed"), 0);
    ck_assert_int_eq (s_input (report, "sink", "default", "executed"), 0);
    //  User metrics are the component's own: they still count.
    ck_assert_int_eq (s_metric_sum (report, "judge", "user", "name", "judged", "value", NULL),
                      METRICS_N + METRICS_SIDE);
    json_decref (report);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "quiet", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

//  ---------------------------------------------------------------------
//  System streams, the system task and components without tasks

//  What the system tests observe; written by executor threads.
static struct {
    _Atomic int ticks;          //  tick tuples seen
    _Atomic int tick_task;      //  source task of the first tick
    _Atomic int64_t tick_rate;  //  its rate_secs field
    _Atomic bool tick_names_ok; //  its component is __system and stream __tick
    _Atomic int executed;       //  tuples the watching bolt executed
    _Atomic int started;        //  open or prepare calls of components with no tasks
    _Atomic int idle_first;     //  first task id of "idle", as the context tells a bolt
    _Atomic int idle_count;     //  its task count, as the context tells a bolt
} s_system;

static void
s_ticked_execute (void *state, const sq_tuple_t *input)
{
    if (sq_tuple_is_tick (input) && atomic_fetch_add (&s_system.ticks, 1) == 0) {
        atomic_store (&s_system.tick_task, sq_tuple_source_task (input));
        atomic_store (&s_system.tick_rate, sq_tuple_field_int (input, "rate_secs"));
        atomic_store (&s_system.tick_names_ok,
                      strcmp (sq_tuple_source_component (input), SQ_SYSTEM_COMPONENT) == 0 &&
                          strcmp (sq_tuple_stream (input), SQ_TICK_STREAM) == 0);
    }
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_ticked = {.prepare = s_sink_prepare, .execute = s_ticked_execute};

//  Storm's tick tuples come from component __system, stream __tick, task
//  -1 (its system task id), with one field, rate_secs.
START_TEST (test_ticks_come_from_the_system_task)
{
    s_reset_probe (0);
    memset (&s_system, 0, sizeof s_system);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_t *ticked = sq_topology_set_bolt (topology, "ticked", &s_ticked, 1);
    sq_component_shuffle_grouping (ticked, "numbers", NULL);
    sq_config_set_int (sq_component_config (ticked), "topology.tick.tuple.freq.secs", 1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "system-ticks", NULL, &topology), 0);
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    while (atomic_load (&s_system.ticks) == 0 && s_now_ns () < deadline)
        usleep (10000);
    sq_local_cluster_destroy (&cluster);
    //  Executor threads are joined: plain reads from here.
    int ticks = atomic_load (&s_system.ticks), tick_task = atomic_load (&s_system.tick_task);
    ck_assert_int_gt (ticks, 0);
    ck_assert_int_eq (SQ_SYSTEM_TASK_ID, -1);
    ck_assert_int_eq (tick_task, SQ_SYSTEM_TASK_ID);
    ck_assert (atomic_load (&s_system.tick_names_ok));
    int64_t tick_rate = atomic_load (&s_system.tick_rate);
    ck_assert_int_eq (tick_rate, 1);
}
END_TEST

static void
s_watch_execute (void *state, const sq_tuple_t *input)
{
    atomic_fetch_add (&s_system.executed, 1);
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_watch = {.prepare = s_sink_prepare, .execute = s_watch_execute};

//  A bolt may subscribe to the streams Storm declares on every component;
//  Squall's runtime emits nothing on them (doc/runtime.md).
START_TEST (test_bolt_subscribes_to_system_streams)
{
    s_reset_probe (300);
    memset (&s_system, 0, sizeof s_system);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 1), "numbers",
                                   NULL);
    sq_component_t *watch = sq_topology_set_bolt (topology, "watch", &s_watch, 1);
    sq_component_shuffle_grouping (watch, "numbers", "__system");
    sq_component_fields_grouping (watch, "sink", "__system", "event");
    sq_component_all_grouping (watch, "numbers", "__metrics");
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_msg (sq_local_cluster_submit (cluster, "system-streams", NULL, &topology) == 0,
                   "submit: %s", sq_last_error ());
    ck_assert (s_wait_all_acked (60));
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "system-streams", 5), 0);
    sq_local_cluster_destroy (&cluster);
    ck_assert_int_eq (atomic_load (&s_probe.executed), 300);
    ck_assert_int_eq (atomic_load (&s_system.executed), 0);
}
END_TEST

static int
s_never_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    atomic_fetch_add (&s_system.started, 1);
    *state_p = collector;
    return 0;
}

static void
s_never_next (void *state)
{
    (void) state;
    atomic_fetch_add (&s_system.started, 1);
}

//  A sink that asks its context about the component without tasks.
static int
s_asking_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    int count = -1;
    atomic_store (&s_system.idle_first, sq_context_component_tasks (context, "idle", &count));
    atomic_store (&s_system.idle_count, count);
    *state_p = collector;
    return 0;
}

static const sq_bolt_t s_asking_sink = {.prepare = s_asking_prepare, .execute = s_sink_execute};

static const sq_spout_t s_never_spout = {
    .declare_outputs = s_declare_number, .open = s_never_open, .next_tuple = s_never_next};
static const sq_bolt_t s_never_bolt = {
    .declare_outputs = s_declare_number, .prepare = s_never_open, .execute = s_watch_execute};

//  Components with no tasks (Storm's setNumTasks (0)) run nothing, and
//  what is sent to them is dropped, as Storm drops it: trees through the
//  other subscribers complete.
START_TEST (test_components_without_tasks)
{
    s_reset_probe (500);
    memset (&s_system, 0, sizeof s_system);
    sq_topology_t *topology = sq_topology_new ();
    sq_component_set_num_tasks (sq_topology_set_spout (topology, "ghost", &s_never_spout, 2), 0);
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_t *idle = sq_topology_set_bolt (topology, "idle", &s_never_bolt, 2);
    sq_component_shuffle_grouping (idle, "numbers", NULL);
    sq_component_set_num_tasks (idle, 0);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_asking_sink, 2);
    sq_component_fields_grouping (sink, "numbers", NULL, "number");
    sq_component_shuffle_grouping (sink, "idle", NULL);
    sq_component_shuffle_grouping (sink, "ghost", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_msg (sq_local_cluster_submit (cluster, "no-tasks", NULL, &topology) == 0,
                   "submit: %s", sq_last_error ());
    ck_assert (s_wait_all_acked (60));
    sq_topology_stats_t stats = s_stats (cluster, "no-tasks");
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "no-tasks", 5), 0);
    sq_local_cluster_destroy (&cluster);
    ck_assert_int_eq (atomic_load (&s_probe.executed), 500);
    ck_assert_uint_eq (stats.failed + stats.timed_out, 0);
    ck_assert_int_eq (atomic_load (&s_system.started), 0);
    ck_assert_int_eq (atomic_load (&s_system.executed), 0);
    int idle_first = atomic_load (&s_system.idle_first),
        idle_count = atomic_load (&s_system.idle_count);
    ck_assert_int_eq (idle_first, -1);
    ck_assert_int_eq (idle_count, 0);

    //  A tree whose only receiver has no tasks completes at once.
    s_reset_probe (200);
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    idle = sq_topology_set_bolt (topology, "idle", &s_never_bolt, 1);
    sq_component_shuffle_grouping (idle, "numbers", NULL);
    sq_component_set_num_tasks (idle, 0);
    cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "no-receiver", NULL, &topology), 0);
    ck_assert (s_wait_all_acked (60));
    stats = s_stats (cluster, "no-receiver");
    sq_local_cluster_destroy (&cluster);
    ck_assert_uint_eq (stats.failed + stats.timed_out, 0);
    ck_assert_int_eq (atomic_load (&s_system.started), 0);
}
END_TEST

//  ---------------------------------------------------------------------
//  Task hooks: test_counting_hook, named in topology.auto.task.hooks, runs
//  on every spout and bolt task and counts what it sees; the sink also adds
//  a hook of its own from prepare. What the hooks count must match what
//  the topology counts itself.
#define HOOKED_SLEEP_US 300 //  the hooked sink's time per input

//  Written by executor threads, read by the test.
static struct {
    _Atomic long prepares;       //  config hook: prepare calls
    _Atomic long cleanups;       //  config hook: cleanup calls
    _Atomic long emits;          //  config hook: emits seen
    _Atomic long emit_targets;   //  config hook: out tasks over all emits
    _Atomic long spout_acks;     //  config hook: spout_ack calls
    _Atomic long spout_fails;    //  config hook: spout_fail calls
    _Atomic int64_t complete_ns; //  config hook: sum of complete latencies
    _Atomic long executes;       //  config hook: bolt_execute calls
    _Atomic long slow_executes;  //  of which, sink executes lasting the sink's sleep
    _Atomic long bolt_acks;      //  config hook: bolt_ack calls
    _Atomic long slow_acks;      //  of which, sink acks after the sink's sleep
    _Atomic long held_slow_acks; //  of which, acks of held inputs after two sleeps
    _Atomic long bolt_fails;     //  config hook: bolt_fail calls
    _Atomic long sink_executes;  //  sink's own hook: bolt_execute calls
    _Atomic long sink_cleanups;  //  sink's own hook: cleanup calls
    _Atomic int late_add_rc;     //  sq_context_add_task_hook from execute
    _Atomic long held;           //  sink: inputs held past execute
    _Atomic long held_acks;      //  of which, acked since
} s_hooked;

typedef struct {
    bool sink; //  the task is a sink task
} counting_hook_t;

static int
s_counting_prepare (void **state_p, const sq_context_t *context)
{
    ck_assert_ptr_null (*state_p);
    counting_hook_t *self = calloc (1, sizeof (counting_hook_t));
    self->sink = strcmp (sq_context_component_id (context), "sink") == 0;
    *state_p = self;
    atomic_fetch_add (&s_hooked.prepares, 1);
    return 0;
}

static void
s_counting_emit (void *state, const sq_hook_emit_t *emit)
{
    atomic_fetch_add (&s_hooked.emits, 1);
    atomic_fetch_add (&s_hooked.emit_targets, (long) emit->out_task_count);
    ck_assert_int_eq ((int) emit->value_count, 1);
}

static void
s_counting_spout_ack (void *state, uint64_t msg_id, double latency_ms)
{
    atomic_fetch_add (&s_hooked.spout_acks, 1);
    atomic_fetch_add (&s_hooked.complete_ns, (int64_t) (latency_ms * 1e6 + 0.5));
}

static void
s_counting_spout_fail (void *state, uint64_t msg_id, double latency_ms)
{
    atomic_fetch_add (&s_hooked.spout_fails, 1);
}

static void
s_counting_execute (void *state, const sq_tuple_t *input, double latency_ms)
{
    counting_hook_t *self = state;
    atomic_fetch_add (&s_hooked.executes, 1);
    if (self->sink && latency_ms >= HOOKED_SLEEP_US / 1000.0)
        atomic_fetch_add (&s_hooked.slow_executes, 1);
}

static void
s_counting_bolt_ack (void *state, const sq_tuple_t *input, double latency_ms)
{
    counting_hook_t *self = state;
    atomic_fetch_add (&s_hooked.bolt_acks, 1);
    if (!self->sink || sq_tuple_is_tick (input))
        return;
    if (latency_ms >= HOOKED_SLEEP_US / 1000.0)
        atomic_fetch_add (&s_hooked.slow_acks, 1);
    if (sq_tuple_get_int (input, 0) % 2 == 0 && latency_ms >= 2 * HOOKED_SLEEP_US / 1000.0 &&
        latency_ms < 60000)
        atomic_fetch_add (&s_hooked.held_slow_acks, 1);
}

static void
s_counting_bolt_fail (void *state, const sq_tuple_t *input, double latency_ms)
{
    atomic_fetch_add (&s_hooked.bolt_fails, 1);
}

static void
s_counting_cleanup (void *state)
{
    free (state);
    atomic_fetch_add (&s_hooked.cleanups, 1);
}

//  Exported (the test links with -export-dynamic) for dlsym to find.
SQ_EXPORT const sq_task_hook_t test_counting_hook = {.prepare = s_counting_prepare,
                                                     .emit = s_counting_emit,
                                                     .spout_ack = s_counting_spout_ack,
                                                     .spout_fail = s_counting_spout_fail,
                                                     .bolt_execute = s_counting_execute,
                                                     .bolt_ack = s_counting_bolt_ack,
                                                     .bolt_fail = s_counting_bolt_fail,
                                                     .cleanup = s_counting_cleanup};

static void
s_sink_hook_execute (void *state, const sq_tuple_t *input, double latency_ms)
{
    atomic_fetch_add (&s_hooked.sink_executes, 1);
}

static void
s_sink_hook_cleanup (void *state)
{
    atomic_fetch_add (&s_hooked.sink_cleanups, 1);
}

typedef struct {
    sq_collector_t *collector;   //  where to ack
    const sq_context_t *context; //  to try a late hook
    bool tried;                  //  tried it
    const sq_tuple_t *held;      //  an even input kept until the next execute
} hooked_sink_t;

static int
s_hooked_sink_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    static const sq_task_hook_t own = {.bolt_execute = s_sink_hook_execute,
                                       .cleanup = s_sink_hook_cleanup};
    hooked_sink_t *self = calloc (1, sizeof (hooked_sink_t));
    self->collector = collector;
    self->context = context;
    *state_p = self;
    return sq_context_add_task_hook (context, &own, NULL);
}

static void
s_hooked_sink_execute (void *state, const sq_tuple_t *input)
{
    hooked_sink_t *self = state;
    static const sq_task_hook_t late = {.bolt_execute = s_sink_hook_execute};
    if (!self->tried) {
        self->tried = true;
        atomic_store (&s_hooked.late_add_rc, sq_context_add_task_hook (self->context, &late, NULL));
    }
    //  Even numbers are held and acked in the next execute (tick tuples
    //  included), after its sleep: their process latency covers two.
    usleep (HOOKED_SLEEP_US);
    if (self->held) {
        sq_collector_ack (self->collector, self->held);
        atomic_fetch_add (&s_hooked.held_acks, 1);
        self->held = NULL;
    }
    if (sq_tuple_is_tick (input)) {
        atomic_fetch_add (&s_probe.ticks, 1);
        sq_collector_ack (self->collector, input);
        return;
    }
    atomic_fetch_add (&s_probe.executed, 1);
    if (sq_tuple_get_int (input, 0) % 2 == 0) {
        self->held = input;
        atomic_fetch_add (&s_hooked.held, 1);
    } else
        sq_collector_ack (self->collector, input);
}

static long
s_spout_acks (void)
{
    long acks = 0;
    for (int i = 0; i < s_probe.total; i++)
        acks += atomic_load (&s_probe.acks[i]);
    return acks;
}

START_TEST (test_task_hooks_see_what_the_topology_counts)
{
    s_reset_probe (400);
    memset (&s_hooked, 0, sizeof s_hooked);
    atomic_store (&s_hooked.late_add_rc, 99);
    s_probe.fail_percent = 10;
    s_probe.drop_percent = 5;
    static const sq_bolt_t sink = {
        .prepare = s_hooked_sink_prepare, .execute = s_hooked_sink_execute, .cleanup = free};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "flaky", &s_flaky, 2), "numbers",
                                   NULL);
    sq_component_t *sinks = sq_topology_set_bolt (topology, "sink", &sink, 2);
    sq_component_shuffle_grouping (sinks, "flaky", NULL);
    //  Ticks release the inputs a sink task holds when no other input comes.
    sq_config_set_int (sq_component_config (sinks), "topology.tick.tuple.freq.secs", 1);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", 1);
    ck_assert_int_eq (sq_config_set (config, "topology.auto.task.hooks", "test_counting_hook"), 0);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "hooked", config, &topology), 0);
    ck_assert (s_wait_all_acked (90));
    //  Every message acked: the spout emits no more and its trees are all
    //  done. Let the last spout hook calls land (each follows the count it
    //  is compared with), then read the topology's figures.
    sq_topology_stats_t stats = s_stats (cluster, "hooked");
    int64_t give_up = s_now_ns () + 20 * NS_PER_S;
    while ((atomic_load (&s_hooked.spout_acks) != (long) stats.acked ||
            atomic_load (&s_hooked.spout_fails) != (long) (stats.failed + stats.timed_out)) &&
           s_now_ns () < give_up) {
        usleep (10000);
        stats = s_stats (cluster, "hooked");
    }
    ck_assert_int_eq (atomic_load (&s_hooked.spout_acks), stats.acked);
    ck_assert_int_eq (atomic_load (&s_hooked.spout_fails), stats.failed + stats.timed_out);
    ck_assert_int_ge (stats.acked, 400);
    ck_assert_int_gt (stats.failed, 0);
    ck_assert_int_gt (stats.timed_out, 0);
    //  The complete latencies hooks saw are the ones the stats average.
    double hook_mean_ms = (double) atomic_load (&s_hooked.complete_ns) / 1e6 / (double) stats.acked;
    ck_assert_double_eq_tol (hook_mean_ms, stats.complete_latency_ms, 1e-3);
    //  Stopped, every count holds still (ticks stop too).
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "hooked", 2), 0);
    long executed = atomic_load (&s_probe.executed), ticks = atomic_load (&s_probe.ticks);
    long holding = atomic_load (&s_hooked.held) - atomic_load (&s_hooked.held_acks);
    ck_assert_int_eq (atomic_load (&s_hooked.spout_acks), s_spout_acks ());
    ck_assert_int_eq (atomic_load (&s_hooked.spout_fails), atomic_load (&s_probe.fail_calls));
    ck_assert_int_eq (atomic_load (&s_hooked.emits),
                      atomic_load (&s_probe.emitted) + atomic_load (&s_probe.flaky_passed));
    //  Spout emits reach one flaky task each, flaky emits one sink task.
    ck_assert_int_eq (atomic_load (&s_hooked.emit_targets), atomic_load (&s_hooked.emits));
    ck_assert_int_eq (atomic_load (&s_hooked.executes),
                      atomic_load (&s_probe.flaky_inputs) + executed + ticks);
    ck_assert_int_eq (atomic_load (&s_hooked.bolt_acks),
                      atomic_load (&s_probe.flaky_passed) + executed - holding + ticks);
    ck_assert_int_eq (atomic_load (&s_hooked.bolt_fails), atomic_load (&s_probe.flaky_failed));
    //  The sink sleeps in every execute and acks after its sleep; what it
    //  holds, it acks after the sleep of a later execute.
    ck_assert_int_eq (atomic_load (&s_hooked.slow_executes), executed + ticks);
    ck_assert_int_eq (atomic_load (&s_hooked.slow_acks), executed - holding);
    ck_assert_int_gt (atomic_load (&s_hooked.held_acks), 100);
    ck_assert_int_eq (atomic_load (&s_hooked.held_slow_acks), atomic_load (&s_hooked.held_acks));
    ck_assert_int_eq (atomic_load (&s_hooked.sink_executes), executed + ticks);
    ck_assert_int_eq (atomic_load (&s_hooked.late_add_rc), -1);
    //  One config hook per spout and bolt task (1 + 2 + 2), all cleaned up.
    ck_assert_int_eq (atomic_load (&s_hooked.prepares), 5);
    ck_assert_int_eq (atomic_load (&s_hooked.cleanups), 5);
    ck_assert_int_eq (atomic_load (&s_hooked.sink_cleanups), 2);
    printf ("task hooks: %ld emits, %ld spout acks (mean %.3f ms), %ld spout fails, %ld "
            "executes, %ld bolt acks (%ld held), %ld bolt fails\n",
            atomic_load (&s_hooked.emits), atomic_load (&s_hooked.spout_acks), hook_mean_ms,
            atomic_load (&s_hooked.spout_fails), atomic_load (&s_hooked.executes),
            atomic_load (&s_hooked.bolt_acks), atomic_load (&s_hooked.held_acks),
            atomic_load (&s_hooked.bolt_fails));

    //  A name that no one exports fails the submit.
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    ck_assert_int_eq (sq_config_set (config, "topology.auto.task.hooks", "no_such_hook"), 0);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "unhooked", config, &topology), -1);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

//  ---------------------------------------------------------------------
//  Why trees failed: a spout emits each number once (no replay); "dropper"
//  silently drops the numbers it is told to, "failer" fails others,
//  "staller" sleeps past the message timeout on some. The ackers must name
//  the component, with the count, through sq_runtime_blame.

#define BLAME_N 1000      //  numbers emitted
#define BLAME_TIMEOUT_S 2 //  topology.message.timeout.secs
#define STALL_N 20        //  numbers emitted in the stall test
#define STALL_US 2500000  //  staller's sleep: past T·1.5, when the acker expires
#define STALLED(n) ((n) % 10 == 5)
#define DROPPED(n) ((n) % 50 == 7)
#define FAILED(n) ((n) % 40 == 3 && !DROPPED (n))

static struct {
    int total;          //  numbers to emit
    _Atomic int acked;  //  spout ack calls
    _Atomic int failed; //  spout fail calls (fails and timeouts)
} s_once_probe;

typedef struct {
    sq_collector_t *collector; //  where to emit
    int next;                  //  next number
} once_state_t;

static int
s_once_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    once_state_t *self = calloc (1, sizeof (once_state_t));
    if (!self)
        return -1;
    self->collector = collector;
    *state_p = self;
    return 0;
}

static void
s_once_next (void *state)
{
    once_state_t *self = state;
    for (int i = 0; i < 16 && self->next < s_once_probe.total; i++, self->next++)
        sq_collector_emit_tracked (self->collector, NULL, (uint64_t) self->next,
                                   SQ_VALUES (sq_int (self->next)));
}

static void
s_once_ack (void *state, uint64_t msg_id)
{
    atomic_fetch_add (&s_once_probe.acked, 1);
}

static void
s_once_fail (void *state, uint64_t msg_id)
{
    atomic_fetch_add (&s_once_probe.failed, 1);
}

static const sq_spout_t s_once = {
    .declare_outputs = s_declare_number,
    .open = s_once_open,
    .next_tuple = s_once_next,
    .ack = s_once_ack,
    .fail = s_once_fail,
    .close = free,
};

//  Passes its input on anchored and acks it.
static void
s_pass_on (sq_collector_t *collector, const sq_tuple_t *input)
{
    sq_collector_emit (collector, input, SQ_VALUES (sq_int (sq_tuple_get_int (input, 0))));
    sq_collector_ack (collector, input);
}

static void
s_dropper_execute (void *state, const sq_tuple_t *input)
{
    if (!DROPPED (sq_tuple_get_int (input, 0)))
        s_pass_on (state, input);
}

static void
s_failer_execute (void *state, const sq_tuple_t *input)
{
    if (FAILED (sq_tuple_get_int (input, 0)))
        sq_collector_fail (state, input);
    else
        s_pass_on (state, input);
}

static void
s_staller_execute (void *state, const sq_tuple_t *input)
{
    if (STALLED (sq_tuple_get_int (input, 0)))
        usleep (STALL_US);
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_dropper = {
    .declare_outputs = s_declare_number, .prepare = s_sink_prepare, .execute = s_dropper_execute};
static const sq_bolt_t s_failer = {
    .declare_outputs = s_declare_number, .prepare = s_sink_prepare, .execute = s_failer_execute};
static const sq_bolt_t s_staller = {.prepare = s_sink_prepare, .execute = s_staller_execute};

//  Poll until the spout has heard of every tree, or seconds pass.
static bool
s_wait_once_done (double seconds)
{
    for (int waited = 0; waited < seconds * 100; waited++) {
        if (atomic_load (&s_once_probe.acked) + atomic_load (&s_once_probe.failed) >=
            s_once_probe.total)
            return true;
        usleep (10000);
    }
    return false;
}

//  What the ackers blame on component, summed over its tasks.
typedef struct {
    uint64_t held;                  //  timeouts held
    uint64_t fails;                 //  fails
    uint64_t timeouts_unattributed; //  topology-wide
    uint64_t fails_unattributed;    //  topology-wide
} blamed_t;

static blamed_t
s_blamed (sq_local_cluster_t *cluster, const char *name, const char *component)
{
    sq_runtime_t *runtime = sq_local_cluster_runtime (cluster, name);
    ck_assert_ptr_nonnull (runtime);
    sq_blame_t *blame = sq_runtime_blame (runtime);
    ck_assert_ptr_nonnull (blame);
    blamed_t blamed = {.timeouts_unattributed = blame->timeouts_unattributed,
                       .fails_unattributed = blame->fails_unattributed};
    sq_runtime_component_blame (runtime, blame, component, &blamed.held, &blamed.fails);
    sq_blame_destroy (&blame);
    return blamed;
}

//  Poll until component is blamed for at least held timeouts and fails
//  fails, or seconds pass; returns what it is blamed for then.
static blamed_t
s_wait_blamed (sq_local_cluster_t *cluster, const char *name, const char *component, uint64_t held,
               uint64_t fails, double seconds)
{
    blamed_t blamed = s_blamed (cluster, name, component);
    for (int waited = 0; waited < seconds * 100 && (blamed.held < held || blamed.fails < fails);
         waited++) {
        usleep (10000);
        blamed = s_blamed (cluster, name, component);
    }
    return blamed;
}

//  The same counts in the component rows and in the heartbeat's metrics
//  object, whose blame lists name tasks of dropper and failer only.
static void
s_check_blame_metrics (sq_local_cluster_t *cluster, const char *name, uint64_t dropped,
                       uint64_t failed)
{
    sq_component_metrics_t rows[8];
    int count = sq_local_cluster_component_metrics (cluster, name, rows, 8);
    ck_assert_int_eq (count, 4);
    for (int r = 0; r < count; r++) {
        bool is_dropper = strcmp (rows[r].component, "dropper") == 0;
        bool is_failer = strcmp (rows[r].component, "failer") == 0;
        ck_assert_uint_eq (rows[r].timeouts_held, is_dropper ? dropped : 0);
        ck_assert_uint_eq (rows[r].fails_blamed, is_failer ? failed : 0);
    }
    char *text = sq_local_cluster_metrics_json (cluster, name);
    ck_assert_ptr_nonnull (text);
    json_t *report = json_loads (text, 0, NULL);
    free (text);
    ck_assert_ptr_nonnull (report);
    ck_assert_int_eq (sq_executor_metrics_check_report (report), 0);
    sq_runtime_t *runtime = sq_local_cluster_runtime (cluster, name);
    json_t *blame = json_object_get (report, "blame");
    const char *lists[2] = {"timeouts_held", "fails_by"};
    const char *culprits[2] = {"dropper", "failer"};
    uint64_t expected[2] = {dropped, failed};
    for (int l = 0; l < 2; l++) {
        uint64_t sum = 0;
        size_t index;
        json_t *pair;
        json_array_foreach (json_object_get (blame, lists[l]), index, pair)
        {
            json_int_t task = json_integer_value (json_array_get (pair, 0));
            ck_assert_str_eq (runtime->task_component[task]->id, culprits[l]);
            sum += (uint64_t) json_integer_value (json_array_get (pair, 1));
        }
        ck_assert_uint_eq (sum, expected[l]);
    }
    ck_assert_int_eq (json_integer_value (json_object_get (blame, "timeouts_unattributed")), 0);
    json_decref (report);
}

//  once -> dropper -> failer -> sink, two tasks per bolt.
static sq_topology_t *
s_blame_topology (void)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "once", &s_once, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "dropper", &s_dropper, 2),
                                   "once", NULL);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "failer", &s_failer, 2),
                                   "dropper", NULL);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 2), "failer",
                                   NULL);
    return topology;
}

//  Its config: a short message timeout, two ackers.
static sq_config_t *
s_blame_config (void)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", BLAME_TIMEOUT_S);
    sq_config_set_int (config, "topology.acker.executors", 2);
    return config;
}

START_TEST (test_acker_names_the_dropping_and_the_failing_bolt)
{
    s_reset_probe (BLAME_N);
    memset (&s_once_probe, 0, sizeof s_once_probe);
    s_once_probe.total = BLAME_N;
    int dropped = 0, failed = 0;
    for (int n = 0; n < BLAME_N; n++) {
        dropped += DROPPED (n);
        failed += FAILED (n);
    }
    ck_assert_int_eq (dropped, 20);
    ck_assert_int_eq (failed, 25);

    sq_topology_t *topology = s_blame_topology ();
    sq_config_t *config = s_blame_config ();
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "blame", config, &topology), 0);

    ck_assert (s_wait_once_done (30));
    ck_assert_int_eq (atomic_load (&s_once_probe.acked), BLAME_N - dropped - failed);
    ck_assert_int_eq (atomic_load (&s_once_probe.failed), dropped + failed);
    //  The spout and the ackers time trees out on their own clocks: wait
    //  for the ackers' counts, then check that they are exact.
    blamed_t dropper =
        s_wait_blamed (cluster, "blame", "dropper", (uint64_t) dropped, 0, 3 * BLAME_TIMEOUT_S);
    blamed_t failer =
        s_wait_blamed (cluster, "blame", "failer", 0, (uint64_t) failed, 3 * BLAME_TIMEOUT_S);
    blamed_t sink = s_blamed (cluster, "blame", "sink");
    blamed_t once = s_blamed (cluster, "blame", "once");
    printf ("blame: dropper held %llu timeouts (dropped %d), failer failed %llu (failed %d)\n",
            (unsigned long long) dropper.held, dropped, (unsigned long long) failer.fails, failed);
    ck_assert_uint_eq (dropper.held, (uint64_t) dropped);
    ck_assert_uint_eq (dropper.fails, 0);
    ck_assert_uint_eq (failer.fails, (uint64_t) failed);
    ck_assert_uint_eq (failer.held, 0);
    ck_assert_uint_eq (sink.held + sink.fails + once.held + once.fails, 0);
    ck_assert_uint_eq (sink.timeouts_unattributed, 0);
    ck_assert_uint_eq (sink.fails_unattributed, 0);
    s_check_blame_metrics (cluster, "blame", (uint64_t) dropped, (uint64_t) failed);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "blame", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_acker_names_the_stalling_bolt)
{
    memset (&s_once_probe, 0, sizeof s_once_probe);
    s_once_probe.total = STALL_N;
    int stalled = 0;
    for (int n = 0; n < STALL_N; n++)
        stalled += STALLED (n);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "once", &s_once, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "staller", &s_staller, 1),
                                   "once", NULL);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", 1);
    sq_config_set_int (config, "topology.acker.executors", 1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "stall", config, &topology), 0);

    //  Each stalled number holds its tree past the timeout (and the trees
    //  queued behind it wait at the staller too): all are the staller's.
    ck_assert (s_wait_once_done (30));
    ck_assert_int_ge (atomic_load (&s_once_probe.failed), stalled);
    blamed_t staller = s_wait_blamed (cluster, "stall", "staller", (uint64_t) stalled, 0, 5);
    blamed_t once = s_blamed (cluster, "stall", "once");
    printf ("blame: staller held %llu timeouts (%d stalled; the spout saw %d time out)\n",
            (unsigned long long) staller.held, stalled, atomic_load (&s_once_probe.failed));
    ck_assert_uint_ge (staller.held, (uint64_t) stalled);
    ck_assert_uint_le (staller.held, STALL_N);
    ck_assert_uint_eq (staller.fails + once.held + once.fails, 0);
    ck_assert_uint_eq (staller.timeouts_unattributed, 0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "stall", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

//  ---------------------------------------------------------------------
//  Tracing: every tree sampled at rate 1, none at 0

#define TRACE_N 200 //  numbers emitted in the trace tests

//  Run once -> dropper -> failer -> sink at trace rate until the spout has
//  heard of every tree, folding the trace events into a store as they
//  come (so the runtime's buffer never overflows). Returns the store.
static sq_trace_store_t *
s_traced_run (double rate, int total)
{
    s_reset_probe (total);
    memset (&s_once_probe, 0, sizeof s_once_probe);
    s_once_probe.total = total;
    sq_topology_t *topology = s_blame_topology ();
    sq_config_t *config = s_blame_config ();
    sq_config_set_double (config, "topology.trace.sample.rate", rate);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "traced", config, &topology), 0);
    sq_runtime_t *runtime = sq_local_cluster_runtime (cluster, "traced");
    sq_trace_store_t *store = sq_trace_store_new ((size_t) total, SQ_TRACE_MAX_HOPS);
    ck_assert_ptr_nonnull (store);
    //  Until every tree ended at the spout (the dropped ones time out),
    //  then once more for what the last ones recorded.
    bool done = false;
    for (int waited = 0; !done && waited < 3000; waited++) {
        done = atomic_load (&s_once_probe.acked) + atomic_load (&s_once_probe.failed) >= total;
        json_t *report;
        while ((report = sq_runtime_traces (runtime, SQ_TRACE_REPORT_EVENTS, SIZE_MAX))) {
            ck_assert_int_eq (sq_trace_check_report (report), 0);
            ck_assert_int_eq (json_integer_value (json_object_get (report, "lost")), 0);
            ck_assert_int_eq (sq_trace_store_add (store, report, "local"), 0);
            json_decref (report);
        }
        if (!done)
            usleep (10000);
    }
    ck_assert (done);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "traced", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    return store;
}

//  The hop of trace from component `from` to component `to`, or NULL.
static json_t *
s_hop_between (json_t *trace, const char *from, const char *to)
{
    size_t i;
    json_t *hop;
    json_array_foreach (json_object_get (trace, "hops"), i, hop)
    {
        if (strcmp (json_string_value (json_object_get (hop, "fromComponent")), from) == 0 &&
            strcmp (json_string_value (json_object_get (hop, "component")), to) == 0)
            return hop;
    }
    return NULL;
}

static double
s_ms_of (json_t *hop, const char *key)
{
    json_t *value = json_object_get (hop, key);
    ck_assert_msg (json_is_number (value), "%s is not a number", key);
    return json_number_value (value);
}

//  A hop that arrived and executed: its times in order, on "local".
static void
s_check_executed_hop (json_t *hop)
{
    ck_assert_str_eq (json_string_value (json_object_get (hop, "worker")), "local");
    double emit = s_ms_of (hop, "emitMs"), enqueue = s_ms_of (hop, "enqueueMs");
    double execute = s_ms_of (hop, "executeMs");
    ck_assert (emit >= 0);
    ck_assert (enqueue >= emit);
    ck_assert (execute >= enqueue);
}

//  The outcome of a hop ("acked", "failed" or "pending"); "" for none.
static const char *
s_outcome (json_t *hop)
{
    const char *outcome = json_string_value (json_object_get (hop, "outcome"));
    return outcome ? outcome : "";
}

START_TEST (test_traces_show_every_hop_and_where_trees_stopped)
{
    int dropped = 0, failed = 0;
    for (int n = 0; n < TRACE_N; n++) {
        dropped += DROPPED (n);
        failed += FAILED (n);
    }
    sq_trace_store_t *store = s_traced_run (1.0, TRACE_N);
    json_t *answer = sq_trace_store_json (store, "traced", 100, TRACE_N);
    ck_assert_ptr_nonnull (answer);
    json_t *traces = json_object_get (answer, "traces");
    //  Rate 1: every tree was traced.
    ck_assert_uint_eq (json_array_size (traces), TRACE_N);
    int acked = 0, failed_here = 0, dropped_here = 0;
    size_t i;
    json_t *trace;
    json_array_foreach (traces, i, trace)
    {
        const char *status = json_string_value (json_object_get (trace, "status"));
        ck_assert_str_eq (json_string_value (json_object_get (trace, "spout")), "once");
        json_t *hops = json_object_get (trace, "hops");
        json_t *first = s_hop_between (trace, "once", "dropper");
        ck_assert_ptr_nonnull (first);
        s_check_executed_hop (first);
        ck_assert_double_eq (s_ms_of (first, "emitMs"), 0);
        json_t *second = s_hop_between (trace, "dropper", "failer");
        json_t *third = s_hop_between (trace, "failer", "sink");
        json_t *stopped = json_object_get (trace, "stoppedAt");
        //  Hops in time order: each one's emit after the previous execute.
        for (size_t h = 1; h < json_array_size (hops); h++)
            ck_assert (s_ms_of (json_array_get (hops, h), "emitMs") >=
                       s_ms_of (json_array_get (hops, h - 1), "executeMs"));
        if (strcmp (status, "acked") == 0) {
            //  A hop for every component it passed, all acked.
            acked++;
            ck_assert_uint_eq (json_array_size (hops), 3);
            ck_assert_ptr_nonnull (second);
            ck_assert_ptr_nonnull (third);
            ck_assert (json_array_get (hops, 0) == first && json_array_get (hops, 2) == third);
            for (size_t h = 0; h < 3; h++) {
                json_t *hop = json_array_get (hops, h);
                s_check_executed_hop (hop);
                ck_assert_str_eq (s_outcome (hop), "acked");
                ck_assert (s_ms_of (hop, "doneMs") >= s_ms_of (hop, "executeMs"));
            }
            ck_assert (json_is_number (json_object_get (trace, "completeMs")));
            ck_assert_uint_eq (json_array_size (stopped), 0);
        } else if (second && strcmp (s_outcome (second), "failed") == 0) {
            //  Failed by the failer: the tree says so, and names it.
            failed_here++;
            ck_assert_str_eq (status, "failed");
            ck_assert_uint_eq (json_array_size (hops), 2);
            ck_assert_ptr_null (third);
            s_check_executed_hop (second);
            ck_assert_uint_eq (json_array_size (stopped), 1);
            json_t *where = json_array_get (stopped, 0);
            ck_assert_str_eq (json_string_value (json_object_get (where, "component")), "failer");
            ck_assert (strstr (json_string_value (json_object_get (where, "reason")), "failed"));
        } else {
            //  Dropped by the dropper: executed there, never acked; the
            //  tree timed out (the spout's clock) or failed (the acker's).
            dropped_here++;
            ck_assert (strcmp (status, "timedOut") == 0 || strcmp (status, "failed") == 0);
            ck_assert_uint_eq (json_array_size (hops), 1);
            ck_assert_str_eq (s_outcome (first), "pending");
            ck_assert_uint_eq (json_array_size (stopped), 1);
            json_t *where = json_array_get (stopped, 0);
            ck_assert_str_eq (json_string_value (json_object_get (where, "component")), "dropper");
            ck_assert (
                strstr (json_string_value (json_object_get (where, "reason")), "never acked"));
        }
    }
    printf ("traces: %d acked, %d failed by the failer, %d dropped (expected %d, %d, %d)\n", acked,
            failed_here, dropped_here, TRACE_N - failed - dropped, failed, dropped);
    ck_assert_int_eq (acked, TRACE_N - failed - dropped);
    ck_assert_int_eq (failed_here, failed);
    ck_assert_int_eq (dropped_here, dropped);
    //  Every edge has hop latencies.
    json_t *edges = json_object_get (answer, "edges");
    ck_assert_uint_eq (json_array_size (edges), 3);
    json_t *edge;
    json_array_foreach (edges, i, edge)
    {
        ck_assert_int_gt (json_integer_value (json_object_get (edge, "count")), 0);
        ck_assert (s_ms_of (edge, "p99Ms") >= s_ms_of (edge, "p50Ms"));
    }
    json_decref (answer);
    sq_trace_store_destroy (&store);
}
END_TEST

START_TEST (test_traces_off_records_nothing)
{
    sq_trace_store_t *store = s_traced_run (0, 50);
    ck_assert_uint_eq (sq_trace_store_size (store), 0);
    sq_trace_store_destroy (&store);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("local mode");
    TCase *tcase = tcase_create ("topologies");
    tcase_set_timeout (tcase, 180);
    tcase_add_test (tcase, test_wordcount_package_exact_counts);
    tcase_add_test (tcase, test_at_least_once_with_fails_and_drops);
    tcase_add_test (tcase, test_at_most_once_sends_no_acks);
    tcase_add_test (tcase, test_max_spout_pending_is_respected);
    tcase_add_test (tcase, test_backpressure_bounds_queues_and_loses_nothing);
    tcase_add_test (tcase, test_direct_grouping_and_emit_errors);
    tcase_add_test (tcase, test_direct_streams_and_tracked_direct_emits);
    tcase_add_test (tcase, test_multi_anchored_trees_complete);
    tcase_add_test (tcase, test_diamond_fails_when_its_joined_tuple_fails);
    tcase_add_test (tcase, test_open_failure_stops_submit);
    tcase_add_test (tcase, test_stop_waits_for_a_stuck_callback_only_its_grace);
    tcase_add_test (tcase, test_custom_and_partial_key_groupings);
    tcase_add_test (tcase, test_component_max_spout_pending_overrides_topology);
    tcase_add_test (tcase, test_activate_before_first_next_tuple_and_after_each_deactivate);
    tcase_add_test (tcase, test_submitted_inactive_calls_no_next_tuple_until_activated);
    tcase_add_test (tcase, test_metrics_exact_per_stream_and_input);
    tcase_add_test (tcase, test_metrics_off_records_nothing_per_tuple);
    tcase_add_test (tcase, test_task_hooks_see_what_the_topology_counts);
    suite_add_tcase (suite, tcase);
    //  Tests that measure time or hang on timeouts (here and "blame"): make
    //  memcheck leaves them out
    //  (CK_EXCLUDE_TAGS=timing), as valgrind runs everything many times slower.
    TCase *timing = tcase_create ("timing");
    tcase_set_tags (timing, "timing");
    tcase_set_timeout (timing, 180);
    tcase_add_test (timing, test_tick_tuples_arrive);
    tcase_add_test (timing, test_message_timeout_fires_between_t_and_2t);
    tcase_add_test (timing, test_reset_timeout_keeps_a_slow_tree_alive);
    suite_add_tcase (suite, timing);
    TCase *blame = tcase_create ("blame");
    tcase_set_tags (blame, "timing");
    tcase_set_timeout (blame, 120);
    tcase_add_test (blame, test_acker_names_the_dropping_and_the_failing_bolt);
    tcase_add_test (blame, test_acker_names_the_stalling_bolt);
    suite_add_tcase (suite, blame);
    //  Not tagged timing: it waits for timeouts but measures no time, so
    //  make memcheck runs the tracing code too.
    TCase *trace = tcase_create ("trace");
    tcase_set_timeout (trace, 120);
    tcase_add_test (trace, test_traces_show_every_hop_and_where_trees_stopped);
    tcase_add_test (trace, test_traces_off_records_nothing);
    suite_add_tcase (suite, trace);
    TCase *system = tcase_create ("system");
    tcase_set_timeout (system, 120);
    tcase_add_test (system, test_ticks_come_from_the_system_task);
    tcase_add_test (system, test_bolt_subscribes_to_system_streams);
    tcase_add_test (system, test_components_without_tasks);
    suite_add_tcase (suite, system);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
