/*  window_bench - windowed bolt throughput and memory per windowed tuple

    `make bench` runs this program. It prints `BENCH <name> <value> <unit>`
    lines, and explanatory lines that never start with BENCH:

    window_tuples_per_s        a sliding count window in a local cluster,
                               acked: spout (1, tracked, max spout pending
                               WINDOW_PENDING) -global-> windowed bolt (1,
                               length WINDOW_LENGTH, interval
                               WINDOW_INTERVAL, sums the window and emits
                               the sum anchored to it) -global-> sink (1,
                               acks). Tuples/s are spout trees completed
                               (each acked once it left the window and the
                               sums anchored to it were acked) between two
                               samples taken after warm-up; median of
                               ROUNDS rounds.
    window_bytes_per_tuple     heap bytes per tuple a window holds: the
                               tuple's allocation (malloc_usable_size of a
                               two-field tuple, a 16-byte word and an int,
                               with one edge) plus the manager's arrays, with
                               WINDOW_HELD tuples held, divided by them.

    `window_bench LENGTH INTERVAL` runs only the throughput, with that
    window, for seeing how the cost grows with the window.

    DESIGN: the spout emits one tuple per next_tuple call; the windowed
    bolt's per-activation work is the sum over the window (WINDOW_LENGTH
    reads) and one emit anchored to WINDOW_LENGTH tuples, whose tuple
    carries one edge per distinct spout tree; the sink's ack of it sends
    one ack per tree. The spout's count of acks is checked against what
    it emitted so the work cannot be skipped.
*/
#include "sq_runtime.h"
#include "sq_window.h"
#include "squall.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_LENGTH 100   //  tuples in the window (the BENCH figure's)
#define WINDOW_INTERVAL 10  //  tuples between activations (the BENCH figure's)
#define WINDOW_PENDING 5000 //  topology.max.spout.pending
#define ROUNDS 3            //  rounds, median reported
#define WARMUP_SECS 1.0     //  run before sampling
#define ROUND_SECS 4.0      //  sampled time per round
#define WINDOW_HELD 100000  //  tuples held for the memory figure

static struct {
    _Alignas(64) _Atomic uint64_t acked;   //  spout trees completed
    _Alignas(64) _Atomic uint64_t failed;  //  spout trees failed
    _Alignas(64) _Atomic uint64_t emitted; //  spout emits
} s_probe;

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + now.tv_nsec / 1e9;
}

static void
s_spout_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word,count");
}

static int
s_spout_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

static void
s_spout_next (void *state)
{
    uint64_t id = atomic_fetch_add (&s_probe.emitted, 1);
    sq_collector_emit_tracked (state, NULL, id,
                               SQ_VALUES (sq_str ("windowed-word-16"), sq_int (1)));
}

static void
s_spout_ack (void *state, uint64_t id)
{
    (void) state;
    (void) id;
    atomic_fetch_add_explicit (&s_probe.acked, 1, memory_order_relaxed);
}

static void
s_spout_fail (void *state, uint64_t id)
{
    (void) state;
    (void) id;
    atomic_fetch_add_explicit (&s_probe.failed, 1, memory_order_relaxed);
}

static const sq_spout_t s_spout = {
    .declare_outputs = s_spout_declare,
    .open = s_spout_open,
    .next_tuple = s_spout_next,
    .ack = s_spout_ack,
    .fail = s_spout_fail,
};

static void
s_window_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "sum");
}

static void
s_window_execute (void *state, const sq_window_t *window)
{
    int64_t sum = 0;
    for (size_t i = 0; i < sq_window_count (window); i++)
        sum += sq_tuple_get_int (sq_window_tuple (window, i), 1);
    sq_collector_emit (state, NULL, SQ_VALUES (sq_int (sum)));
}

static const sq_windowed_bolt_t s_window = {
    .declare_outputs = s_window_declare,
    .prepare = s_spout_open, //  keeps the collector as its state
    .execute = s_window_execute,
};

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_sink = {
    .prepare = s_spout_open,
    .execute = s_sink_execute,
};

//  One round: spout trees completed per second, or -1.
static double
s_round (sq_local_cluster_t *cluster, int round, int length, int interval)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "spout", &s_spout, 1);
    sq_component_t *window = sq_topology_set_windowed_bolt (topology, "window", &s_window, 1);
    sq_component_global_grouping (window, "spout", NULL);
    sq_component_window_sliding_count (window, length, interval);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_global_grouping (sink, "window", NULL);
    sq_config_set_int (sq_topology_config (topology), "topology.max.spout.pending", WINDOW_PENDING);
    char name[32];
    snprintf (name, sizeof name, "window-%d", round);
    memset (&s_probe, 0, sizeof s_probe);
    if (sq_local_cluster_submit (cluster, name, NULL, &topology)) {
        fprintf (stderr, "window_bench: %s\n", sq_last_error ());
        return -1;
    }
    usleep ((useconds_t) (WARMUP_SECS * 1e6));
    double start = s_now ();
    uint64_t acked_start = atomic_load (&s_probe.acked);
    usleep ((useconds_t) (ROUND_SECS * 1e6));
    double secs = s_now () - start;
    uint64_t acked = atomic_load (&s_probe.acked) - acked_start;
    sq_local_cluster_kill (cluster, name, 0);
    uint64_t failed = atomic_load (&s_probe.failed);
    if (acked == 0 || failed || atomic_load (&s_probe.acked) > atomic_load (&s_probe.emitted)) {
        fprintf (stderr, "window_bench: %llu acked, %llu failed of %llu emitted\n",
                 (unsigned long long) acked, (unsigned long long) failed,
                 (unsigned long long) atomic_load (&s_probe.emitted));
        return -1;
    }
    return (double) acked / secs;
}

static void
s_ignore_fire (void *arg, const sq_window_t *window)
{
    (void) arg;
    (void) window;
}

static void
s_ignore_expire (void *arg, sq_tuple_t *tuple)
{
    (void) arg;
    (void) tuple;
}

//  Heap bytes per tuple held, or -1.
static double
s_bytes_per_tuple (void)
{
    sq_stream_t *stream = sq_stream_new ("spout", SQ_DEFAULT_STREAM, "word,count");
    sq_window_spec_t spec = {0, 1000, 0, 1000, false, WINDOW_HELD};
    sq_window_manager_t *manager =
        sq_window_manager_new (&spec, s_ignore_fire, s_ignore_expire, NULL);
    sq_tuple_t **tuples = calloc (WINDOW_HELD, sizeof (sq_tuple_t *));
    if (!stream || !manager || !tuples)
        return -1;
    size_t tuple_bytes = 0;
    sq_edge_t edge = {12345, 678};
    for (size_t i = 0; i < WINDOW_HELD; i++) {
        tuples[i] = sq_tuple_new (stream, 1, 2, &edge, 1,
                                  SQ_VALUES (sq_str ("windowed-word-16"), sq_int ((int64_t) i)));
        if (!tuples[i] || sq_window_manager_add (manager, tuples[i], 1))
            return -1;
        tuple_bytes += malloc_usable_size (tuples[i]);
    }
    //  One activation sizes the arrays a window handed to execute uses.
    sq_window_manager_tick (manager, 1001);
    double bytes = (double) (tuple_bytes + sq_window_manager_bytes (manager)) / WINDOW_HELD;
    printf ("window memory: %.1f bytes per tuple allocation, %.1f bytes of manager arrays per "
            "tuple held\n",
            (double) tuple_bytes / WINDOW_HELD,
            (double) sq_window_manager_bytes (manager) / WINDOW_HELD);
    sq_window_manager_destroy (&manager);
    for (size_t i = 0; i < WINDOW_HELD; i++)
        sq_tuple_destroy (&tuples[i]);
    free (tuples);
    sq_stream_destroy (&stream);
    return bytes;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int
main (int argc, char *argv[])
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    bool custom = argc == 3;
    int length = custom ? atoi (argv[1]) : WINDOW_LENGTH;
    int interval = custom ? atoi (argv[2]) : WINDOW_INTERVAL;
    if (length < 1 || interval < 1 || length + interval > WINDOW_PENDING) {
        fprintf (stderr, "usage: window_bench [LENGTH INTERVAL], length + interval <= %d\n",
                 WINDOW_PENDING);
        return EXIT_FAILURE;
    }
    printf ("window_bench: sliding count window (length %d, interval %d), acked, local, max spout "
            "pending %d;\n%d rounds of %.0f s, median reported\n",
            length, interval, WINDOW_PENDING, ROUNDS, ROUND_SECS);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double rates[ROUNDS];
    int rc = 0;
    for (int round = 0; rc == 0 && round < ROUNDS; round++) {
        rates[round] = s_round (cluster, round, length, interval);
        rc = rates[round] < 0 ? -1 : 0;
        if (rc == 0)
            printf ("round %d: %.0f tuples/s\n", round + 1, rates[round]);
    }
    sq_local_cluster_destroy (&cluster);
    if (rc == 0)
        qsort (rates, ROUNDS, sizeof (double), s_compare);
    if (rc == 0 && custom)
        printf ("median %.0f tuples/s\n", rates[ROUNDS / 2]);
    else if (rc == 0) {
        printf ("BENCH window_tuples_per_s %.0f tuples/s\n", rates[ROUNDS / 2]);
        double bytes = s_bytes_per_tuple ();
        rc = bytes < 0 ? -1 : 0;
        if (rc == 0)
            printf ("BENCH window_bytes_per_tuple %.1f bytes\n", bytes);
    }
    return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
