/*  reliability - at-least-once delivery you can watch

    numbers (spout, 1) -shuffle-> flaky (2) -shuffle-> sink (2)

    The spout emits 1, 2, 3, ... as tracked tuples whose msg id is the
    number itself. flaky fails a share of its inputs at random and passes
    the others on to sink, anchored, before acking them; sink acks. Each
    failed number comes back to the spout's fail(), which queues it to be
    emitted again, so in the end every number is acked. Every 2 seconds,
    and once more on close, the spout prints

        emitted=N acked=N failed=N replayed=N pending=N

    where emitted counts new numbers, replayed counts emits of failed ones,
    and pending is what is in flight now. With acking off
    (topology.acker.executors=0) the runtime acks each number as soon as
    next_tuple returns, and nothing ever fails.

    Config keys:
        reliability.fail.percent=P   share of inputs flaky fails (10)
        reliability.max.messages=N   emit no new number after N (0: no end)
*/
#include <squall.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAIL_PERCENT_DEFAULT 10  //  reliability.fail.percent when not set
#define MAX_PENDING_DEFAULT 1000 //  topology.max.spout.pending unless set
#define PRINT_SECS 2             //  seconds between two status lines

//  ---------------------------------------------------------------------
//  Spout "numbers"

typedef struct {
    sq_collector_t *collector; //  where numbers go
    uint64_t max_messages;     //  last new number to emit; 0: no end
    uint64_t last_number;      //  latest new number emitted
    uint64_t *replays;         //  ring of failed numbers to emit again
    size_t replay_capacity;    //  slots in the ring
    size_t replay_head;        //  slot of the oldest failed number
    size_t replay_count;       //  failed numbers waiting
    uint64_t emitted;          //  new numbers emitted
    uint64_t acked;            //  ack calls
    uint64_t failed;           //  fail calls
    uint64_t replayed;         //  failed numbers emitted again
    uint64_t pending;          //  numbers in flight
    struct timespec print_at;  //  when to print the next status line
} numbers_t;

static void
s_declare_number (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "number");
}

static int
s_numbers_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    numbers_t *self = calloc (1, sizeof (numbers_t));
    if (!self)
        return -1;
    const sq_config_t *config = sq_context_config (context);
    int64_t max_messages = sq_config_int (config, "reliability.max.messages", 0);
    self->collector = collector;
    self->max_messages = max_messages > 0 ? (uint64_t) max_messages : 0;
    clock_gettime (CLOCK_MONOTONIC, &self->print_at);
    self->print_at.tv_sec += PRINT_SECS;
    *state_p = self;
    return 0;
}

static void
s_numbers_print (numbers_t *self)
{
    printf ("emitted=%" PRIu64 " acked=%" PRIu64 " failed=%" PRIu64 " replayed=%" PRIu64
            " pending=%" PRIu64 "\n",
            self->emitted, self->acked, self->failed, self->replayed, self->pending);
    fflush (stdout);
}

//  Emit a number; true when it went out.
static bool
s_numbers_emit (numbers_t *self, uint64_t number)
{
    if (sq_collector_emit_tracked (self->collector, NULL, number,
                                   SQ_VALUES (sq_int ((int64_t) number))) == -1) {
        sq_collector_report_error (self->collector, sq_last_error ());
        return false;
    }
    self->pending++;
    return true;
}

//  One number per call, which keeps topology.max.spout.pending exact:
//  a failed one if any, else a new one while below the maximum.
static void
s_numbers_next_tuple (void *state)
{
    numbers_t *self = state;
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    if (now.tv_sec > self->print_at.tv_sec ||
        (now.tv_sec == self->print_at.tv_sec && now.tv_nsec >= self->print_at.tv_nsec)) {
        s_numbers_print (self);
        self->print_at = now;
        self->print_at.tv_sec += PRINT_SECS;
    }
    if (self->replay_count > 0) {
        uint64_t number = self->replays[self->replay_head];
        self->replay_head = (self->replay_head + 1) % self->replay_capacity;
        self->replay_count--;
        if (s_numbers_emit (self, number))
            self->replayed++;
    } else if (self->max_messages == 0 || self->last_number < self->max_messages) {
        if (s_numbers_emit (self, self->last_number + 1)) {
            self->last_number++;
            self->emitted++;
        }
    }
}

static void
s_numbers_ack (void *state, uint64_t msg_id)
{
    numbers_t *self = state;
    (void) msg_id;
    self->acked++;
    self->pending--;
}

//  Queue the number to be emitted again. The ring doubles when full.
static void
s_numbers_fail (void *state, uint64_t msg_id)
{
    numbers_t *self = state;
    self->failed++;
    self->pending--;
    if (self->replay_count == self->replay_capacity) {
        size_t capacity = self->replay_capacity ? self->replay_capacity * 2 : 64;
        uint64_t *replays = malloc (capacity * sizeof (uint64_t));
        if (!replays) {
            fprintf (stderr, "reliability: out of memory, number %" PRIu64 " is lost\n", msg_id);
            return;
        }
        for (size_t i = 0; i < self->replay_count; i++)
            replays[i] = self->replays[(self->replay_head + i) % self->replay_capacity];
        free (self->replays);
        self->replays = replays;
        self->replay_capacity = capacity;
        self->replay_head = 0;
    }
    self->replays[(self->replay_head + self->replay_count) % self->replay_capacity] = msg_id;
    self->replay_count++;
}

static void
s_numbers_close (void *state)
{
    numbers_t *self = state;
    s_numbers_print (self);
    free (self->replays);
    free (self);
}

static const sq_spout_t s_numbers_spout = {
    .declare_outputs = s_declare_number,
    .open = s_numbers_open,
    .next_tuple = s_numbers_next_tuple,
    .ack = s_numbers_ack,
    .fail = s_numbers_fail,
    .close = s_numbers_close,
};

//  ---------------------------------------------------------------------
//  Bolt "flaky": fails some inputs, passes the rest on

typedef struct {
    sq_collector_t *collector; //  where numbers go
    uint64_t random;           //  generator state (splitmix64)
    int64_t fail_percent;      //  share of inputs to fail, 0 to 100
} flaky_t;

static uint64_t
s_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int
s_flaky_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    int64_t fail_percent = sq_config_int (sq_context_config (context), "reliability.fail.percent",
                                          FAIL_PERCENT_DEFAULT);
    if (fail_percent < 0 || fail_percent > 100) {
        fprintf (stderr,
                 "reliability: reliability.fail.percent must be 0 to 100, not %" PRId64 "\n",
                 fail_percent);
        return -1;
    }
    flaky_t *self = calloc (1, sizeof (flaky_t));
    if (!self)
        return -1;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    self->collector = collector;
    self->random = ((uint64_t) now.tv_sec << 30) ^ (uint64_t) now.tv_nsec ^
                   ((uint64_t) sq_context_task_id (context) << 52);
    self->fail_percent = fail_percent;
    *state_p = self;
    return 0;
}

static void
s_flaky_execute (void *state, const sq_tuple_t *input)
{
    flaky_t *self = state;
    if ((int64_t) (s_random (&self->random) % 100) < self->fail_percent)
        sq_collector_fail (self->collector, input);
    else {
        sq_collector_emit (self->collector, input,
                           SQ_VALUES (sq_int (sq_tuple_field_int (input, "number"))));
        sq_collector_ack (self->collector, input);
    }
}

static void
s_flaky_cleanup (void *state)
{
    free (state);
}

static const sq_bolt_t s_flaky_bolt = {
    .declare_outputs = s_declare_number,
    .prepare = s_flaky_prepare,
    .execute = s_flaky_execute,
    .cleanup = s_flaky_cleanup,
};

//  ---------------------------------------------------------------------
//  Bolt "sink": acks. Its state is just the collector.

static int
s_sink_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_sink_bolt = {
    .prepare = s_sink_prepare,
    .execute = s_sink_execute,
};

//  ---------------------------------------------------------------------
//  The topology

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    (void) config;
    //  Cap the numbers in flight, so "pending" stays readable
    if (sq_config_set_int (sq_topology_config (topology), "topology.max.spout.pending",
                           MAX_PENDING_DEFAULT) == -1) {
        fprintf (stderr, "reliability: %s\n", sq_last_error ());
        return -1;
    }
    sq_topology_set_spout (topology, "numbers", &s_numbers_spout, 1);
    sq_component_t *flaky = sq_topology_set_bolt (topology, "flaky", &s_flaky_bolt, 2);
    sq_component_shuffle_grouping (flaky, "numbers", NULL);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink_bolt, 2);
    sq_component_shuffle_grouping (sink, "flaky", NULL);
    return 0;
}
