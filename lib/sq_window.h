/*  sq_window - the window manager of a windowed bolt: which tuples a
    window holds, when it triggers, which tuples expire

    Pure logic over tuple pointers and millisecond timestamps, with no
    clock and no collector of its own, so tests drive it with made-up
    times. The caller (sq_windowed_bolt.c) adds each input with its time
    (processing time or event time), calls sq_window_manager_tick when
    processing time passes and sq_window_manager_watermark when event time
    advances; the manager calls `fire` with each window activation and
    then `expire` with every tuple that left the window, which the caller
    acks. The manager never frees a tuple.

    Rules (Storm's, doc/windows.md). Processing time: a count interval
    triggers on every interval-th tuple added, a duration interval on
    every tick at or past the next due time. At a trigger at time `now`,
    a count window keeps the newest `length` tuples and a duration window
    the tuples with time in (now - length, now], and any tuple that no
    activation has seen yet (a trigger that runs late must not drop
    tuples unseen); the others expire. Event
    time: tuples are kept in timestamp order; a watermark W fires every
    window whose end is at most W. Duration windows end at multiples of
    the interval, starting from the first end at or after the earliest
    timestamp, and skip ends whose window would be empty; count windows
    end at every interval-th tuple (by timestamp) up to W and hold the
    newest `length` tuples up to their end. Tuples newer than the end stay
    for later windows. A window with no tuple does not fire; what expired
    is still passed to `expire`.

    Memory: one sq_window_entry_t (24 bytes) per tuple held, plus three
    pointer arrays sized to the largest window, reused between triggers.
    The manager refuses a tuple beyond `max_tuples` held (add returns -1).
*/
#ifndef SQ_WINDOW_H_INCLUDED
#define SQ_WINDOW_H_INCLUDED

#include "sq_tuple.h"

//  What a window looks like; exactly one of each pair is non-zero.
typedef struct {
    int64_t length_count;   //  window length in tuples, or 0
    int64_t length_ms;      //  window length in ms, or 0
    int64_t interval_count; //  sliding interval in tuples, or 0
    int64_t interval_ms;    //  sliding interval in ms, or 0
    bool event_time;        //  times are event timestamps (watermarks drive it)
    size_t max_tuples;      //  most tuples held at once
} sq_window_spec_t;

//  One tuple held.
typedef struct {
    sq_tuple_t *tuple; //  the tuple (not owned)
    int64_t ts;        //  its time in ms
    bool seen;         //  was in an activation already (else it is new)
} sq_window_entry_t;

struct _sq_window_t {
    sq_tuple_t **tuples;  //  the window, oldest first
    size_t count;         //  tuples in it
    sq_tuple_t **fresh;   //  tuples new since the last activation
    size_t fresh_count;   //  how many
    sq_tuple_t **expired; //  tuples that left since the last activation
    size_t expired_count; //  how many
    int64_t start_ts;     //  window start (duration windows), else 0
    int64_t end_ts;       //  trigger time
};

typedef struct _sq_window_manager_t sq_window_manager_t;

//  Called with each activation (valid during the call only).
typedef void (sq_window_fire_fn) (void *arg, const sq_window_t *window);
//  Called with each tuple that left, after the activation that saw it go.
typedef void (sq_window_expire_fn) (void *arg, sq_tuple_t *tuple);

//  New manager; the spec must be valid (sq_window_spec_check). Returns
//  NULL when out of memory. Caller owns.
sq_window_manager_t *sq_window_manager_new (const sq_window_spec_t *spec, sq_window_fire_fn *fire,
                                            sq_window_expire_fn *expire, void *arg);
//  Destroy; NULL-safe; nulls the caller's pointer. Tuples still held are
//  not touched.
void sq_window_manager_destroy (sq_window_manager_t **self_p);
//  0 when spec describes a window, else -1 and sq_last_error() says why.
int sq_window_spec_check (const sq_window_spec_t *spec);
//  Add a tuple with its time (ms). Processing time: `ts` is now, and a
//  count interval may trigger from inside this call. Returns -1 without
//  taking it when max_tuples are held, or when out of memory.
int sq_window_manager_add (sq_window_manager_t *self, sq_tuple_t *tuple, int64_t ts);
//  Processing time passed: trigger a duration interval when due.
void sq_window_manager_tick (sq_window_manager_t *self, int64_t now);
//  Processing time with a duration interval: when the next trigger is due
//  (ms), else INT64_MAX.
int64_t sq_window_manager_next_due (const sq_window_manager_t *self);
//  Event time advanced to `watermark`: fire every window that ends by it.
void sq_window_manager_watermark (sq_window_manager_t *self, int64_t watermark);
//  Tuples held now.
size_t sq_window_manager_size (const sq_window_manager_t *self);
//  Heap bytes the manager owns (its arrays, not the tuples).
size_t sq_window_manager_bytes (const sq_window_manager_t *self);

#endif
