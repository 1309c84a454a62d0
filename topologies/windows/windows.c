/*  windows - windowed bolts: a sliding sum and a tumbling average

    numbers (spout, 1) -shuffle-> sliding_sum (1) -global-> tumbling_avg (1)

    numbers emits tracked integers 0..99 (field "n"), 1000 a second, with
    the time they were made (field "ts", ms since the epoch). sliding_sum is a sliding
    count window of the last 30 numbers, sliding by 10: every 10 numbers
    it emits the sum of the last 30 and how many there were. tumbling_avg
    is a tumbling event-time window of 2 seconds over those sums, by their
    "ts" (the end of the window they came from), with 500 ms of lag: every
    2 s of event time it prints the average of the sums it saw. Emits are
    anchored to the window automatically, and the runtime acks each number
    when it leaves the window, so a number's tree completes once its sums
    are averaged. Config: windows.print (default true) turns printing off.
*/
#include <squall.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NUMBERS_PER_MS 1 //  rate of the spout

static int64_t
s_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  ---------------------------------------------------------------------
//  Spout "numbers"

typedef struct {
    sq_collector_t *collector; //  where numbers go
    uint64_t next;             //  next message id; the number is next % 100
    int64_t start_ms;          //  when the first was emitted
} numbers_t;

static void
s_numbers_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "n,ts");
}

static int
s_numbers_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    numbers_t *self = calloc (1, sizeof (numbers_t));
    if (!self)
        return -1;
    self->collector = collector;
    *state_p = self;
    return 0;
}

static void
s_numbers_next (void *state)
{
    numbers_t *self = state;
    int64_t now = s_wall_ms ();
    if (!self->start_ms)
        self->start_ms = now;
    //  1000 a second: the event-time window downstream fires only as new
    //  sums move its watermark, so numbers must keep coming (doc/windows.md).
    if ((int64_t) self->next > (now - self->start_ms) * NUMBERS_PER_MS)
        return;
    uint64_t id = self->next++;
    sq_collector_emit_tracked (self->collector, NULL, id,
                               SQ_VALUES (sq_int ((int64_t) (id % 100)), sq_int (s_wall_ms ())));
}

static void
s_numbers_close (void *state)
{
    free (state);
}

static const sq_spout_t s_numbers = {
    .declare_outputs = s_numbers_declare,
    .open = s_numbers_open,
    .next_tuple = s_numbers_next,
    .close = s_numbers_close,
};

//  ---------------------------------------------------------------------
//  Windowed bolt "sliding_sum"

static void
s_sum_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "sum,count,ts");
}

static int
s_keep_collector (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

static void
s_sum_execute (void *state, const sq_window_t *window)
{
    int64_t sum = 0;
    for (size_t i = 0; i < sq_window_count (window); i++)
        sum += sq_tuple_field_int (sq_window_tuple (window, i), "n");
    //  NULL anchor: anchored to every number in the window.
    sq_collector_emit (state, NULL,
                       SQ_VALUES (sq_int (sum), sq_int ((int64_t) sq_window_count (window)),
                                  sq_int (sq_window_end_ts (window))));
}

static const sq_windowed_bolt_t s_sliding_sum = {
    .declare_outputs = s_sum_declare,
    .prepare = s_keep_collector,
    .execute = s_sum_execute,
};

//  ---------------------------------------------------------------------
//  Windowed bolt "tumbling_avg"

typedef struct {
    bool print; //  windows.print
} average_t;

static int
s_average_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) collector;
    average_t *self = calloc (1, sizeof (average_t));
    if (!self)
        return -1;
    self->print = sq_config_bool (sq_context_config (context), "windows.print", true);
    *state_p = self;
    return 0;
}

static void
s_average_execute (void *state, const sq_window_t *window)
{
    average_t *self = state;
    double total = 0;
    size_t count = sq_window_count (window);
    for (size_t i = 0; i < count; i++)
        total += (double) sq_tuple_field_int (sq_window_tuple (window, i), "sum");
    if (self->print)
        printf ("window (%" PRId64 ", %" PRId64 "]: %zu sums, average %.1f, %zu new, %zu "
                "expired\n",
                sq_window_start_ts (window), sq_window_end_ts (window), count,
                count ? total / (double) count : 0.0, sq_window_new_count (window),
                sq_window_expired_count (window));
}

static void
s_average_cleanup (void *state)
{
    free (state);
}

static const sq_windowed_bolt_t s_tumbling_avg = {
    .prepare = s_average_prepare,
    .execute = s_average_execute,
    .cleanup = s_average_cleanup,
};

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    (void) config;
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_t *sum =
        sq_topology_set_windowed_bolt (topology, "sliding_sum", &s_sliding_sum, 1);
    sq_component_shuffle_grouping (sum, "numbers", NULL);
    sq_component_window_sliding_count (sum, 30, 10);
    sq_component_t *average =
        sq_topology_set_windowed_bolt (topology, "tumbling_avg", &s_tumbling_avg, 1);
    sq_component_global_grouping (average, "sliding_sum", NULL);
    sq_component_window_tumbling_duration (average, 2000);
    sq_component_window_timestamp_field (average, "ts");
    sq_component_window_lag_ms (average, 500);
    //  A number's tree lasts until the sums anchored to it leave the
    //  tumbling window: up to 4.5 s of numbers are pending. The limit must
    //  exceed that, or the spout stops, the watermark with it, and no
    //  tree can complete (doc/windows.md).
    sq_config_set_int (sq_topology_config (topology), "topology.max.spout.pending", 20000);
    return 0;
}
