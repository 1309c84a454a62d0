/*  nimbus_windows - Storm's metric windows over one source's snapshots

    The three timed windows keep their rings in one array: window w's slot
    for time t is slots[w * 60 + (t / slot length) % 60], and a slot knows
    which period it holds (its epoch, period number + 1, 0 when unused), so
    a slot left from an older lap reads as empty. A histogram slot holds
    its non-empty buckets as one allocation: the counts, then the uint16
    indexes. Adding an increment builds each touched slot's new arrays
    first and swaps them in only when all three were allocated, so a
    failure leaves every window as it was.
*/
#include "nimbus_windows.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TIMED_WINDOWS 3 //  windows with rings: all but NIMBUS_WINDOW_ALL
#define RING_SLOTS (TIMED_WINDOWS * NIMBUS_WINDOWS_SLOTS)

typedef struct {
    uint64_t epoch;   //  period number + 1 held here; 0 when unused
    uint64_t from_ms; //  when its earliest increment began to accrue
    uint64_t value;   //  sum of the increments in the period
} counter_slot_t;

typedef struct {
    uint64_t epoch;    //  period number + 1 held here; 0 when unused
    uint64_t from_ms;  //  when its earliest increment began to accrue
    uint64_t count;    //  values in the period's increments
    uint64_t sum;      //  their sum, saturating
    uint64_t max;      //  their largest value
    uint32_t used;     //  non-empty buckets
    uint64_t *buckets; //  used counts, then used uint16 indexes; or NULL
} histogram_slot_t;

struct _nimbus_windows_t {
    bool histogram;                    //  a histogram source, else a counter
    bool started;                      //  a snapshot was added
    uint64_t last_ms;                  //  latest time seen
    uint64_t restarts;                 //  restarts seen
    uint64_t uptime_ms;                //  source's uptime at the last snapshot
    uint64_t origin_ms;                //  when the first increment began to accrue
    uint64_t previous;                 //  counter: last cumulative value
    uint64_t total;                    //  counter: all increments, saturating
    counter_slot_t *counter_slots;     //  counter: RING_SLOTS slots
    histogram_slot_t *histogram_slots; //  histogram: RING_SLOTS slots
    sq_histogram_t *last;              //  histogram: last cumulative snapshot
    sq_histogram_t *all;               //  histogram: all increments
};

static const uint64_t s_length_ms[NIMBUS_WINDOW_COUNT] = {600000, 10800000, 86400000, 0};
static const char *const s_names[NIMBUS_WINDOW_COUNT] = {"600", "10800", "86400", ":all-time"};

static uint64_t
s_add_saturating (uint64_t a, uint64_t b)
{
    uint64_t sum = a + b;
    return sum < a ? UINT64_MAX : sum;
}

uint64_t
nimbus_windows_length_ms (nimbus_window_t window)
{
    assert (window < NIMBUS_WINDOW_COUNT);
    return s_length_ms[window];
}

const char *
nimbus_windows_name (nimbus_window_t window)
{
    assert (window < NIMBUS_WINDOW_COUNT);
    return s_names[window];
}

static uint64_t
s_slot_ms (int window)
{
    return s_length_ms[window] / NIMBUS_WINDOWS_SLOTS;
}

//  Position in the rings of window's slot for time now_ms.
static size_t
s_position (int window, uint64_t now_ms)
{
    return (size_t) window * NIMBUS_WINDOWS_SLOTS +
           (size_t) (now_ms / s_slot_ms (window) % NIMBUS_WINDOWS_SLOTS);
}

//  Epoch a slot holds when it counts in window at now_ms: true when its
//  period is now's or one of the 59 before.
static bool
s_in_window (uint64_t epoch, int window, uint64_t now_ms)
{
    uint64_t current = now_ms / s_slot_ms (window) + 1;
    return epoch && epoch <= current && current - epoch < NIMBUS_WINDOWS_SLOTS;
}

nimbus_windows_t *
nimbus_windows_new (bool histogram)
{
    nimbus_windows_t *self = calloc (1, sizeof (nimbus_windows_t));
    if (!self)
        return NULL;
    self->histogram = histogram;
    if (histogram) {
        self->histogram_slots = calloc (RING_SLOTS, sizeof (histogram_slot_t));
        self->last = sq_histogram_new ();
        self->all = sq_histogram_new ();
        if (!self->histogram_slots || !self->last || !self->all)
            nimbus_windows_destroy (&self);
    } else {
        self->counter_slots = calloc (RING_SLOTS, sizeof (counter_slot_t));
        if (!self->counter_slots)
            nimbus_windows_destroy (&self);
    }
    return self;
}

void
nimbus_windows_destroy (nimbus_windows_t **self_p)
{
    assert (self_p);
    nimbus_windows_t *self = *self_p;
    if (!self)
        return;
    if (self->histogram_slots)
        for (size_t at = 0; at < RING_SLOTS; at++)
            free (self->histogram_slots[at].buckets);
    free (self->histogram_slots);
    free (self->counter_slots);
    sq_histogram_destroy (&self->last);
    sq_histogram_destroy (&self->all);
    free (self);
    *self_p = NULL;
}

//  The time of a snapshot received at now_ms: never before the last one.
static uint64_t
s_time (const nimbus_windows_t *self, uint64_t now_ms)
{
    return now_ms < self->last_ms ? self->last_ms : now_ms;
}

//  When the increment of a snapshot at now_ms began to accrue: at the
//  previous snapshot, or for the first one, at the source's start.
static uint64_t
s_accrued_from (const nimbus_windows_t *self, uint64_t now_ms, uint64_t uptime_ms)
{
    if (self->started)
        return self->last_ms;
    return now_ms - (uptime_ms < now_ms ? uptime_ms : now_ms);
}

//  Is a snapshot with this uptime from a source that restarted since the
//  last one? Uptime only grows within one run of a source.
static bool
s_younger (const nimbus_windows_t *self, uint64_t uptime_ms)
{
    return self->started && uptime_ms < self->uptime_ms;
}

//  Records a snapshot's time and uptime, and the first one's start of
//  accrual.
static void
s_advance (nimbus_windows_t *self, uint64_t now_ms, uint64_t from, uint64_t uptime_ms)
{
    if (!self->started)
        self->origin_ms = from;
    self->started = true;
    self->last_ms = now_ms;
    self->uptime_ms = uptime_ms;
}

uint64_t
nimbus_windows_add_counter (nimbus_windows_t *self, uint64_t now_ms, uint64_t uptime_ms,
                            uint64_t cumulative)
{
    assert (self && !self->histogram);
    bool first = !self->started;
    bool younger = s_younger (self, uptime_ms);
    now_ms = s_time (self, now_ms);
    uint64_t from = s_accrued_from (self, now_ms, uptime_ms);
    s_advance (self, now_ms, from, uptime_ms);
    uint64_t increment = cumulative;
    if (!first && !younger && cumulative >= self->previous)
        increment = cumulative - self->previous;
    else if (!first)
        self->restarts++;
    self->previous = cumulative;
    self->total = s_add_saturating (self->total, increment);
    for (int window = 0; window < TIMED_WINDOWS; window++) {
        if (now_ms - from > s_length_ms[window])
            continue; //  accrued over more than the window: cannot place it
        counter_slot_t *slot = &self->counter_slots[s_position (window, now_ms)];
        uint64_t epoch = now_ms / s_slot_ms (window) + 1;
        if (slot->epoch != epoch) {
            slot->epoch = epoch;
            slot->from_ms = from;
            slot->value = 0;
        }
        slot->value = s_add_saturating (slot->value, increment);
    }
    return increment;
}

//  New bucket arrays for slot plus increment (slot read as empty when
//  stale): *buckets_p gets the allocation (NULL when empty), *used_p its
//  size. Returns 0, or -1 when out of memory.
static int
s_merge_buckets (const histogram_slot_t *slot, bool stale, const sq_histogram_t *increment,
                 uint64_t **buckets_p, uint32_t *used_p)
{
    uint32_t old_used = stale ? 0 : slot->used;
    const uint64_t *old_counts = slot->buckets;
    const uint16_t *old_indexes = (const uint16_t *) (old_counts + old_used);
    uint32_t used = 0, at = 0;
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++) {
        bool in_old = at < old_used && old_indexes[at] == index;
        if (in_old || sq_histogram_bucket (increment, index))
            used++;
        at += in_old;
    }
    *used_p = used;
    *buckets_p = NULL;
    if (used == 0)
        return 0;
    uint64_t *counts = malloc (used * (sizeof (uint64_t) + sizeof (uint16_t)));
    if (!counts)
        return -1;
    uint16_t *indexes = (uint16_t *) (counts + used);
    uint32_t out = 0;
    at = 0;
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++) {
        uint64_t value = sq_histogram_bucket (increment, index);
        if (at < old_used && old_indexes[at] == index)
            value = s_add_saturating (value, old_counts[at++]);
        if (value) {
            counts[out] = value;
            indexes[out++] = (uint16_t) index;
        }
    }
    *buckets_p = counts;
    return 0;
}

int
nimbus_windows_add_histogram (nimbus_windows_t *self, uint64_t now_ms, uint64_t uptime_ms,
                              const sq_histogram_t *cumulative)
{
    assert (self && self->histogram && cumulative);
    sq_histogram_t *increment = sq_histogram_new ();
    if (!increment)
        return -1;
    now_ms = s_time (self, now_ms);
    uint64_t from = s_accrued_from (self, now_ms, uptime_ms);
    bool restart = false;
    if (!self->started || s_younger (self, uptime_ms) ||
        sq_histogram_subtract (increment, cumulative, self->last) != 0) {
        sq_histogram_snapshot (increment, cumulative);
        restart = self->started;
    }
    //  Build every touched slot's arrays before changing anything.
    uint64_t *fresh[TIMED_WINDOWS] = {NULL};
    uint32_t used[TIMED_WINDOWS] = {0};
    bool placed[TIMED_WINDOWS] = {false};
    for (int window = 0; window < TIMED_WINDOWS; window++) {
        if (now_ms - from > s_length_ms[window])
            continue;
        const histogram_slot_t *slot = &self->histogram_slots[s_position (window, now_ms)];
        bool stale = slot->epoch != now_ms / s_slot_ms (window) + 1;
        if (s_merge_buckets (slot, stale, increment, &fresh[window], &used[window])) {
            for (int undo = 0; undo < window; undo++)
                free (fresh[undo]);
            sq_histogram_destroy (&increment);
            return -1;
        }
        placed[window] = true;
    }
    s_advance (self, now_ms, from, uptime_ms);
    self->restarts += restart;
    for (int window = 0; window < TIMED_WINDOWS; window++) {
        if (!placed[window])
            continue;
        histogram_slot_t *slot = &self->histogram_slots[s_position (window, now_ms)];
        uint64_t epoch = now_ms / s_slot_ms (window) + 1;
        if (slot->epoch != epoch) {
            slot->epoch = epoch;
            slot->from_ms = from;
            slot->count = slot->sum = slot->max = 0;
        }
        free (slot->buckets);
        slot->buckets = fresh[window];
        slot->used = used[window];
        slot->count = s_add_saturating (slot->count, sq_histogram_count (increment));
        slot->sum = s_add_saturating (slot->sum, sq_histogram_sum (increment));
        if (sq_histogram_max (increment) > slot->max)
            slot->max = sq_histogram_max (increment);
    }
    sq_histogram_merge (self->all, increment);
    sq_histogram_snapshot (self->last, cumulative);
    sq_histogram_destroy (&increment);
    return 0;
}

uint64_t
nimbus_windows_counter (nimbus_windows_t *self, nimbus_window_t window, uint64_t now_ms)
{
    assert (self && !self->histogram && window < NIMBUS_WINDOW_COUNT);
    if (window == NIMBUS_WINDOW_ALL)
        return self->total;
    now_ms = s_time (self, now_ms);
    uint64_t value = 0;
    const counter_slot_t *ring = self->counter_slots + (size_t) window * NIMBUS_WINDOWS_SLOTS;
    for (size_t at = 0; at < NIMBUS_WINDOWS_SLOTS; at++)
        if (s_in_window (ring[at].epoch, window, now_ms))
            value = s_add_saturating (value, ring[at].value);
    return value;
}

void
nimbus_windows_histogram (nimbus_windows_t *self, nimbus_window_t window, uint64_t now_ms,
                          sq_histogram_t *out)
{
    assert (self && self->histogram && window < NIMBUS_WINDOW_COUNT && out);
    sq_histogram_reset (out);
    if (window == NIMBUS_WINDOW_ALL) {
        sq_histogram_merge (out, self->all);
        return;
    }
    now_ms = s_time (self, now_ms);
    const histogram_slot_t *ring = self->histogram_slots + (size_t) window * NIMBUS_WINDOWS_SLOTS;
    for (size_t at = 0; at < NIMBUS_WINDOWS_SLOTS; at++) {
        const histogram_slot_t *slot = &ring[at];
        if (!s_in_window (slot->epoch, window, now_ms))
            continue;
        const uint16_t *indexes = (const uint16_t *) (slot->buckets + slot->used);
        for (uint32_t entry = 0; entry < slot->used; entry++)
            sq_histogram_add_bucket (out, indexes[entry], slot->buckets[entry]);
        sq_histogram_add_sum (out, slot->sum, slot->max);
    }
}

uint64_t
nimbus_windows_span_ms (nimbus_windows_t *self, nimbus_window_t window, uint64_t now_ms)
{
    assert (self && window < NIMBUS_WINDOW_COUNT);
    if (!self->started)
        return 0;
    now_ms = s_time (self, now_ms);
    if (window == NIMBUS_WINDOW_ALL)
        return now_ms - self->origin_ms;
    uint64_t earliest = UINT64_MAX;
    for (size_t at = 0; at < NIMBUS_WINDOWS_SLOTS; at++) {
        size_t position = (size_t) window * NIMBUS_WINDOWS_SLOTS + at;
        uint64_t epoch = self->histogram ? self->histogram_slots[position].epoch
                                         : self->counter_slots[position].epoch;
        uint64_t from_ms = self->histogram ? self->histogram_slots[position].from_ms
                                           : self->counter_slots[position].from_ms;
        if (s_in_window (epoch, window, now_ms) && from_ms < earliest)
            earliest = from_ms;
    }
    if (earliest != UINT64_MAX)
        return now_ms - earliest;
    //  Nothing counted: the window as far as the source's life reaches.
    uint64_t life = now_ms - self->origin_ms;
    return life < s_length_ms[window] ? life : s_length_ms[window];
}

uint64_t
nimbus_windows_restarts (const nimbus_windows_t *self)
{
    assert (self);
    return self->restarts;
}

size_t
nimbus_windows_bytes (const nimbus_windows_t *self)
{
    assert (self);
    size_t bytes = sizeof (nimbus_windows_t);
    if (self->counter_slots)
        bytes += RING_SLOTS * sizeof (counter_slot_t);
    if (self->histogram_slots) {
        bytes += RING_SLOTS * sizeof (histogram_slot_t) + 2 * sq_histogram_bytes ();
        for (size_t at = 0; at < RING_SLOTS; at++)
            bytes += self->histogram_slots[at].used * (sizeof (uint64_t) + sizeof (uint16_t));
    }
    return bytes;
}

double
nimbus_windows_rate (uint64_t count, uint64_t span_ms)
{
    return span_ms ? (double) count * 1000.0 / (double) span_ms : 0.0;
}

double
nimbus_windows_capacity (uint64_t executed, double mean_latency_ns, uint64_t span_ms)
{
    if (span_ms == 0 || !isfinite (mean_latency_ns) || mean_latency_ns <= 0.0)
        return 0.0;
    double capacity = (double) executed * mean_latency_ns / ((double) span_ms * 1e6);
    return capacity > 1.0 ? 1.0 : capacity;
}
