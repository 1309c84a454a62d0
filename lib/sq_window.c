/*  sq_window - the window manager of a windowed bolt (see sq_window.h)

    DESIGN: the tuples held are one array in time order (arrival order in
    processing time, timestamp order in event time, kept by inserting from
    the tail, which is where a timestamp in order lands). Whatever a
    window drops is always its oldest, so expiry takes entries off the
    front; the array is compacted when the front gap passes half of it.
*/
#include "sq_window.h"
#include "sq_error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _sq_window_manager_t {
    sq_window_spec_t spec;       //  what the window is
    sq_window_fire_fn *fire;     //  activation callback
    sq_window_expire_fn *expire; //  expiry callback
    void *arg;                   //  argument of both
    sq_window_entry_t *entries;  //  tuples held, in time order, from `head`
    size_t head;                 //  first live entry
    size_t tail;                 //  one past the last live entry
    size_t capacity;             //  room in entries
    size_t added;                //  processing time, count interval: adds since the last trigger
    int64_t next_due;            //  processing time, duration interval: next trigger
    int64_t next_end;            //  event time, duration interval: next window end, or INT64_MIN
    int64_t last_end;            //  event time, count interval: end of the last window
    sq_tuple_t **view;           //  the window handed to fire
    sq_tuple_t **fresh;          //  its new tuples
    sq_tuple_t **expired;        //  tuples expired since the last activation
    size_t expired_count;        //  how many
    size_t view_capacity;        //  room in view
    size_t fresh_capacity;       //  room in fresh
    size_t expired_capacity;     //  room in expired
};

int
sq_window_spec_check (const sq_window_spec_t *spec)
{
    if ((spec->length_count > 0) == (spec->length_ms > 0))
        return sq_error_set ("a window needs one length, a count or a duration, above 0");
    if ((spec->interval_count > 0) == (spec->interval_ms > 0))
        return sq_error_set ("a window needs one sliding interval, a count or a duration, above 0");
    if (spec->length_count < 0 || spec->length_ms < 0 || spec->interval_count < 0 ||
        spec->interval_ms < 0)
        return sq_error_set ("window length and interval must not be negative");
    if (spec->max_tuples < 1)
        return sq_error_set ("a window must be allowed to hold at least one tuple");
    return 0;
}

sq_window_manager_t *
sq_window_manager_new (const sq_window_spec_t *spec, sq_window_fire_fn *fire,
                       sq_window_expire_fn *expire, void *arg)
{
    assert (spec && fire && expire);
    assert (sq_window_spec_check (spec) == 0);
    sq_window_manager_t *self = calloc (1, sizeof (sq_window_manager_t));
    if (!self)
        return NULL;
    self->spec = *spec;
    self->fire = fire;
    self->expire = expire;
    self->arg = arg;
    self->next_due = INT64_MAX;
    self->next_end = INT64_MIN;
    self->last_end = INT64_MIN;
    return self;
}

void
sq_window_manager_destroy (sq_window_manager_t **self_p)
{
    if (!*self_p)
        return;
    sq_window_manager_t *self = *self_p;
    free (self->entries);
    free (self->view);
    free (self->fresh);
    free (self->expired);
    free (self);
    *self_p = NULL;
}

size_t
sq_window_manager_size (const sq_window_manager_t *self)
{
    return self->tail - self->head;
}

size_t
sq_window_manager_bytes (const sq_window_manager_t *self)
{
    return sizeof (sq_window_manager_t) + self->capacity * sizeof (sq_window_entry_t) +
           (self->view_capacity + self->fresh_capacity + self->expired_capacity) *
               sizeof (sq_tuple_t *);
}

int64_t
sq_window_manager_next_due (const sq_window_manager_t *self)
{
    return self->spec.event_time || !self->spec.interval_ms ? INT64_MAX : self->next_due;
}

//  Room for one more entry at the tail; -1 when out of memory.
static int
s_make_room (sq_window_manager_t *self)
{
    if (self->tail < self->capacity)
        return 0;
    size_t live = self->tail - self->head;
    if (self->head > 0 && self->head >= self->capacity / 2) {
        memmove (self->entries, self->entries + self->head, live * sizeof (sq_window_entry_t));
        self->head = 0;
        self->tail = live;
        return 0;
    }
    size_t capacity = self->capacity ? self->capacity * 2 : 64;
    sq_window_entry_t *grown = realloc (self->entries, capacity * sizeof (sq_window_entry_t));
    if (!grown)
        return -1;
    self->entries = grown;
    self->capacity = capacity;
    return 0;
}

//  Grow an array of tuple pointers to hold `need`; -1 when out of memory.
static int
s_reserve (sq_tuple_t ***array_p, size_t *capacity_p, size_t need)
{
    if (need <= *capacity_p)
        return 0;
    size_t capacity = *capacity_p ? *capacity_p : 64;
    while (capacity < need)
        capacity *= 2;
    sq_tuple_t **grown = realloc (*array_p, capacity * sizeof (sq_tuple_t *));
    if (!grown)
        return -1;
    *array_p = grown;
    *capacity_p = capacity;
    return 0;
}

//  Move the `count` oldest entries to the expired list. When the list
//  cannot grow, they are handed to expire at once.
static void
s_expire_front (sq_window_manager_t *self, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        sq_tuple_t *tuple = self->entries[self->head++].tuple;
        if (s_reserve (&self->expired, &self->expired_capacity, self->expired_count + 1) == 0)
            self->expired[self->expired_count++] = tuple;
        else
            self->expire (self->arg, tuple);
    }
}

//  Hand the expired tuples over, after the activation that reported them.
static void
s_flush_expired (sq_window_manager_t *self)
{
    size_t count = self->expired_count;
    self->expired_count = 0;
    for (size_t i = 0; i < count; i++)
        self->expire (self->arg, self->expired[i]);
}

//  Activate the window of entries [head, head + count) ending at end_ts,
//  then hand over what expired.
static void
s_activate (sq_window_manager_t *self, size_t count, int64_t end_ts)
{
    if (count > 0 && s_reserve (&self->view, &self->view_capacity, count) == 0) {
        if (s_reserve (&self->fresh, &self->fresh_capacity, count) == 0) {
            size_t fresh = 0;
            for (size_t i = 0; i < count; i++) {
                sq_window_entry_t *entry = &self->entries[self->head + i];
                self->view[i] = entry->tuple;
                if (!entry->seen)
                    self->fresh[fresh++] = entry->tuple;
                entry->seen = true;
            }
            sq_window_t window = {
                .tuples = self->view,
                .count = count,
                .fresh = self->fresh,
                .fresh_count = fresh,
                .expired = self->expired,
                .expired_count = self->expired_count,
                .start_ts = self->spec.length_ms ? end_ts - self->spec.length_ms : 0,
                .end_ts = end_ts,
            };
            self->fire (self->arg, &window);
        }
    }
    s_flush_expired (self);
}

//  Processing-time trigger at `now`: evict, then activate what is left.
static void
s_trigger_processing (sq_window_manager_t *self, int64_t now)
{
    size_t live = self->tail - self->head;
    size_t drop = 0;
    if (self->spec.length_count) {
        if (live > (size_t) self->spec.length_count)
            drop = live - (size_t) self->spec.length_count;
    } else
        //  A tuple no activation saw stays for this one, even when a late
        //  trigger put it out of the length: a late trigger stretches the
        //  window rather than dropping tuples unseen.
        while (drop < live && self->entries[self->head + drop].seen &&
               self->entries[self->head + drop].ts <= now - self->spec.length_ms)
            drop++;
    s_expire_front (self, drop);
    s_activate (self, self->tail - self->head, now);
}

int
sq_window_manager_add (sq_window_manager_t *self, sq_tuple_t *tuple, int64_t ts)
{
    if (self->tail - self->head >= self->spec.max_tuples)
        return sq_error_set ("window holds its maximum of %zu tuples", self->spec.max_tuples);
    if (s_make_room (self))
        return sq_error_set ("out of memory");
    size_t at = self->tail;
    if (self->spec.event_time)
        while (at > self->head && self->entries[at - 1].ts > ts)
            at--;
    memmove (self->entries + at + 1, self->entries + at,
             (self->tail - at) * sizeof (sq_window_entry_t));
    self->entries[at] = (sq_window_entry_t){tuple, ts, false};
    self->tail++;
    if (self->spec.event_time)
        return 0;
    if (self->spec.interval_count) {
        if (++self->added >= (size_t) self->spec.interval_count) {
            self->added = 0;
            s_trigger_processing (self, ts);
        }
    } else if (self->next_due == INT64_MAX)
        self->next_due = ts + self->spec.interval_ms;
    return 0;
}

void
sq_window_manager_tick (sq_window_manager_t *self, int64_t now)
{
    if (self->spec.event_time || !self->spec.interval_ms)
        return;
    if (self->next_due == INT64_MAX)
        self->next_due = now + self->spec.interval_ms;
    if (now < self->next_due)
        return;
    //  One trigger however late the tick is; the next is an interval on.
    self->next_due = now + self->spec.interval_ms;
    s_trigger_processing (self, now);
}

//  Index (from head) of the first entry with ts > bound.
static size_t
s_count_upto (const sq_window_manager_t *self, int64_t bound)
{
    size_t n = 0;
    while (self->head + n < self->tail && self->entries[self->head + n].ts <= bound)
        n++;
    return n;
}

//  Smallest multiple of interval at or above ts.
static int64_t
s_align_up (int64_t ts, int64_t interval)
{
    int64_t rest = ts % interval;
    if (rest < 0)
        rest += interval;
    return rest ? ts + (interval - rest) : ts;
}

//  Event-time duration windows up to the watermark.
static void
s_watermark_duration (sq_window_manager_t *self, int64_t watermark)
{
    int64_t interval = self->spec.interval_ms;
    int64_t length = self->spec.length_ms;
    if (self->next_end == INT64_MIN) {
        if (self->head == self->tail)
            return;
        self->next_end = s_align_up (self->entries[self->head].ts, interval);
    }
    while (self->next_end <= watermark) {
        int64_t end = self->next_end;
        size_t expired = s_count_upto (self, end - length);
        s_expire_front (self, expired);
        size_t count = s_count_upto (self, end);
        if (count > 0) {
            s_activate (self, count, end);
            self->next_end = end + interval;
            continue;
        }
        //  Empty window: skip to the first end that holds a tuple, if one
        //  came in by the watermark; else wait here for one.
        s_flush_expired (self);
        if (self->head == self->tail || self->entries[self->head].ts > watermark)
            break;
        self->next_end = s_align_up (self->entries[self->head].ts, interval);
    }
}

//  Event-time count windows up to the watermark.
static void
s_watermark_count (sq_window_manager_t *self, int64_t watermark)
{
    size_t interval = (size_t) self->spec.interval_count;
    size_t length = (size_t) self->spec.length_count;
    for (;;) {
        //  Tuples after the last window's end, up to the watermark.
        size_t done = self->last_end == INT64_MIN ? 0 : s_count_upto (self, self->last_end);
        size_t upto = s_count_upto (self, watermark);
        if (upto - done < interval)
            return;
        int64_t end = self->entries[self->head + done + interval - 1].ts;
        size_t count = s_count_upto (self, end);
        if (count > length) {
            s_expire_front (self, count - length);
            count = length;
        }
        self->last_end = end;
        s_activate (self, count, end);
    }
}

void
sq_window_manager_watermark (sq_window_manager_t *self, int64_t watermark)
{
    if (!self->spec.event_time)
        return;
    if (self->spec.interval_ms)
        s_watermark_duration (self, watermark);
    else
        s_watermark_count (self, watermark);
}
