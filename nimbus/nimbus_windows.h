/*  nimbus_windows - Storm's metric windows over one source's snapshots

    A source (one executor's counter, or one executor's histogram) sends
    cumulative snapshots with its heartbeats; nimbus adds each one here
    with the time it received it. The class answers the value over the
    last 10 minutes, 3 hours, 1 day and all time: for a counter the sum of
    its increments, for a histogram the merge of its increments. Nothing
    is written anywhere: a nimbus restart starts every window again.

    Increments. Each snapshot minus the previous one is an increment,
    received at the snapshot's time. A snapshot below the previous one (a
    counter that went backwards, a histogram with any bucket, its count or
    its sum lower), or with a shorter uptime than the previous one, means
    the source restarted: the snapshot itself is the increment, never a
    negative one. The first snapshot is an increment too, accrued over the
    source's uptime, which the caller passes with every snapshot.

    Windows. Each window is a ring of 60 slots of window / 60 (10 s, 180 s,
    1440 s); an increment lands in the slot of its time. The value of a
    window at time now is the sum of the slots from the 59 before now's
    slot up to now's: between 59/60 of the window and all of it, so the
    window's front edge is one slot coarse. An increment that accrued
    over more than a window's length (the first snapshot after a nimbus
    restart, a source silent for hours) cannot be placed in time and is
    left out of that window, so a window never counts what happened
    before it; all time counts every increment.

    Spans. Rates and capacity divide by the time a window's figures cover
    (nimbus_windows_span_ms): from the start of the earliest increment the
    window counts to now. That is the window's length, give or take the
    time between heartbeats, or less while the source is younger; a rate
    read just after a heartbeat is then exact, not off by a slot.

    Memory per source, whatever it sends (x86-64): a counter holds 3 x 60
    slots of 24 bytes, 4,400 bytes in all. A histogram holds two full
    histograms (the previous snapshot and all time, 9,760 bytes each) and
    3 x 60 slots of 56 bytes, about 29 KB, plus 10 bytes per non-empty
    bucket in each slot: a latency spread over 50 buckets in every slot
    adds 90 KB, and the most it can add, with all 1,217 buckets non-empty
    in all 180 slots, is 2,190,600 bytes (2.2 MB in all).

    DESIGN: Storm keeps 20 buckets per window; 60 slots make the front
    edge 1.7% of the window instead of 5%. Slots hold only their
    non-empty buckets, because a second's latencies fill a few dozen of
    a histogram's 1,217 buckets. Time is the caller's (a monotonic clock
    in milliseconds, or a fake one in tests); a time earlier than the last
    one seen is taken as the last one. Not thread safe.
*/
#ifndef NIMBUS_WINDOWS_H_INCLUDED
#define NIMBUS_WINDOWS_H_INCLUDED

#include "sq_histogram.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NIMBUS_WINDOWS_SLOTS 60 //  slots per timed window

//  The windows, as Storm names them in its UI and REST API ("600",
//  "10800", "86400", ":all-time").
typedef enum {
    NIMBUS_WINDOW_10M,  //  last 600 s
    NIMBUS_WINDOW_3H,   //  last 10800 s
    NIMBUS_WINDOW_1D,   //  last 86400 s
    NIMBUS_WINDOW_ALL,  //  since nimbus first saw the source
    NIMBUS_WINDOW_COUNT //  number of windows
} nimbus_window_t;

typedef struct _nimbus_windows_t nimbus_windows_t;

//  New windows for one source: a histogram source when histogram is true,
//  else a counter. Returns NULL when out of memory. Caller owns.
nimbus_windows_t *nimbus_windows_new (bool histogram);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_windows_destroy (nimbus_windows_t **self_p);
//  Add a counter source's cumulative value, received at now_ms, from a
//  source up for uptime_ms. Returns the increment it made.
uint64_t nimbus_windows_add_counter (nimbus_windows_t *self, uint64_t now_ms, uint64_t uptime_ms,
                                     uint64_t cumulative);
//  Add a histogram source's cumulative snapshot, received at now_ms, from
//  a source up for uptime_ms. Returns 0, or -1 when out of memory (the
//  snapshot is then dropped whole, and the next one makes up for it).
int nimbus_windows_add_histogram (nimbus_windows_t *self, uint64_t now_ms, uint64_t uptime_ms,
                                  const sq_histogram_t *cumulative);
//  A counter source's value over window at now_ms.
uint64_t nimbus_windows_counter (nimbus_windows_t *self, nimbus_window_t window, uint64_t now_ms);
//  A histogram source's merge over window at now_ms, into out (emptied
//  first).
void nimbus_windows_histogram (nimbus_windows_t *self, nimbus_window_t window, uint64_t now_ms,
                               sq_histogram_t *out);
//  Milliseconds the window's figures cover at now_ms: from the start of
//  the earliest increment the window counts (an increment starts at the
//  previous snapshot, the first one at the source's start) to now_ms.
//  When the window counts nothing: the window's length, or the time since
//  the source's start if shorter. 0 before the first snapshot.
uint64_t nimbus_windows_span_ms (nimbus_windows_t *self, nimbus_window_t window, uint64_t now_ms);
//  Number of restarts seen (snapshots below their predecessor, or with a
//  shorter uptime).
uint64_t nimbus_windows_restarts (const nimbus_windows_t *self);
//  Heap bytes owned.
size_t nimbus_windows_bytes (const nimbus_windows_t *self);
//  Length of a timed window in milliseconds; 0 for NIMBUS_WINDOW_ALL.
uint64_t nimbus_windows_length_ms (nimbus_window_t window);
//  Storm's name of a window ("600", "10800", "86400", ":all-time").
const char *nimbus_windows_name (nimbus_window_t window);

//  Events per second: count over span_ms; 0 when span_ms is 0.
double nimbus_windows_rate (uint64_t count, uint64_t span_ms);
//  Storm's capacity: executed x mean execute latency (ns) / span, the
//  share of the span the executor spent executing. Clamped to [0, 1]:
//  one executor thread cannot be busy for longer than the span, so more
//  comes only from heartbeat timing. 0 when span_ms is 0 or the latency
//  is not a finite positive number.
double nimbus_windows_capacity (uint64_t executed, double mean_latency_ns, uint64_t span_ms);

#endif
