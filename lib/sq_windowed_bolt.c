/*  sq_windowed_bolt - runs an sq_windowed_bolt_t as a regular bolt

    DESIGN: the component's sq_bolt_t is s_adapter; the author's table
    hangs off the component (component->windowed). Per task the adapter
    keeps a window manager and, for event time, the largest timestamp seen
    on each input stream. The executor loop calls the task's timer when it
    is due (sq_task_t.timer); the timer ticks duration windows and, every
    watermark interval, computes the watermark (smallest per-stream
    maximum less the lag, once every input stream has been seen) and hands
    it to the manager when it moved forward.

    Input flow: a tuple goes into the window flagged SQ_TUPLE_WINDOWED, so
    that an ack or fail by the author (allowed, as in Storm) marks it done
    without freeing it; at expiry the adapter acks it, or only frees it
    when the author did. Emits inside the author's execute with a NULL
    anchor are anchored to the window (sq_collector_t.window), less the
    tuples the author acked or failed.
*/
#include "sq_windowed_bolt.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_runtime.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

//  One task of a windowed bolt.
typedef struct {
    const sq_windowed_bolt_t *bolt; //  the author's callbacks
    void *state;                    //  the author's state
    sq_task_t *task;                //  the task
    sq_collector_t *collector;      //  its collector
    sq_window_manager_t *manager;   //  its window
    sq_window_spec_t spec;          //  the window's shape
    const char *timestamp_field;    //  event time field, or NULL (processing time)
    const char *late_stream;        //  stream for late tuples, or NULL (log them)
    int64_t lag_ms;                 //  most a timestamp may lag the newest
    int64_t watermark_interval_ns;  //  between watermark computations
    int64_t *stream_max;            //  per input: largest timestamp seen, or INT64_MIN
    size_t input_count;             //  entries in stream_max
    int64_t watermark;              //  last watermark handed to the manager, or INT64_MIN
    int64_t next_watermark_ns;      //  when the next watermark is computed
    uint64_t late;                  //  late tuples seen
    uint64_t refused;               //  tuples failed because the window was full
    uint64_t unstamped;             //  tuples without an int timestamp field
} s_task_window_t;

//  Milliseconds since the epoch: processing time, as Storm reads it.
static int64_t
s_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  Log the first of a kind of event, then every 1024th, with its count.
static bool
s_worth_logging (uint64_t count)
{
    return count == 1 || (count & 1023) == 0;
}

static void
s_fire (void *arg, const sq_window_t *window)
{
    s_task_window_t *self = arg;
    sq_collector_t *collector = self->collector;
    collector->window = (const sq_tuple_t *const *) window->tuples;
    collector->window_count = window->count;
    self->bolt->execute (self->state, window);
    collector->window = NULL;
    collector->window_count = 0;
}

static void
s_expire (void *arg, sq_tuple_t *tuple)
{
    s_task_window_t *self = arg;
    tuple->state &= (uint8_t) ~SQ_TUPLE_WINDOWED;
    if (tuple->state & SQ_TUPLE_ACKED)
        sq_collector_release (self->task, tuple); //  the author acked or failed it
    else
        sq_collector_ack (self->collector, tuple);
}

//  Runs the window's timers; returns when it is next due (sq_clock ns).
static int64_t
s_timer (sq_task_t *task, int64_t now_ns)
{
    s_task_window_t *self = task->state;
    int64_t next = INT64_MAX;
    if (!self->timestamp_field) {
        int64_t now = s_wall_ms ();
        sq_window_manager_tick (self->manager, now);
        int64_t due = sq_window_manager_next_due (self->manager);
        if (due != INT64_MAX)
            next = now_ns + (due > now ? due - now : 1) * 1000000LL;
        else if (self->spec.interval_ms)
            next = now_ns + self->spec.interval_ms * 1000000LL;
        return next;
    }
    if (now_ns >= self->next_watermark_ns) {
        self->next_watermark_ns = now_ns + self->watermark_interval_ns;
        int64_t lowest = INT64_MAX;
        for (size_t i = 0; i < self->input_count; i++)
            if (self->stream_max[i] < lowest)
                lowest = self->stream_max[i];
        if (self->input_count && lowest != INT64_MIN) {
            int64_t watermark = lowest - self->lag_ms;
            if (watermark > self->watermark) {
                self->watermark = watermark;
                sq_window_manager_watermark (self->manager, watermark);
            }
        }
    }
    return self->next_watermark_ns;
}

static void
s_cleanup (void *state)
{
    s_task_window_t *self = state;
    if (self->bolt->cleanup)
        self->bolt->cleanup (self->state);
    //  Tuples still in the window are freed with the task's held inputs.
    sq_window_manager_destroy (&self->manager);
    free (self->stream_max);
    free (self);
}

static int
s_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    sq_task_t *task = (sq_task_t *) context;
    const sq_component_t *component = task->component;
    s_task_window_t *self = calloc (1, sizeof (s_task_window_t));
    if (!self)
        return sq_error_set ("out of memory");
    self->bolt = component->windowed;
    self->task = task;
    self->collector = collector;
    self->watermark = INT64_MIN;
    if (sq_windowed_bolt_check (component, task->config, &self->spec)) {
        zsys_error ("topology=%s component=%s task=%d: %s", task->runtime->name, component->id,
                    task->task_id, sq_last_error ());
        free (self);
        return -1;
    }
    const char *field =
        sq_config_string (task->config, "topology.bolts.tuple.timestamp.field.name", "");
    const char *late = sq_config_string (task->config, "topology.bolts.late.tuple.stream", "");
    self->timestamp_field = *field ? field : NULL;
    self->late_stream = *late ? late : NULL;
    self->lag_ms = sq_config_int (task->config, "topology.bolts.tuple.timestamp.max.lag.ms", 0);
    self->watermark_interval_ns =
        sq_config_int (task->config, "topology.bolts.watermark.event.interval.ms", 1000) *
        1000000LL;
    self->input_count = task->executor->input_count;
    self->stream_max = calloc (self->input_count ? self->input_count : 1, sizeof (int64_t));
    self->manager = sq_window_manager_new (&self->spec, s_fire, s_expire, self);
    if (!self->stream_max || !self->manager) {
        sq_window_manager_destroy (&self->manager);
        free (self->stream_max);
        free (self);
        return sq_error_set ("out of memory");
    }
    //  An input whose stream another input already is (or unknown) never
    //  gets tuples of its own (sq_executor_input names the first): it must
    //  not hold the watermark back.
    const sq_executor_input_t *inputs = task->executor->inputs;
    for (size_t i = 0; i < self->input_count; i++) {
        self->stream_max[i] = inputs[i].schema ? INT64_MIN : INT64_MAX;
        for (size_t j = 0; j < i; j++)
            if (inputs[j].schema == inputs[i].schema)
                self->stream_max[i] = INT64_MAX;
    }
    if (self->bolt->prepare && self->bolt->prepare (&self->state, context, collector)) {
        sq_window_manager_destroy (&self->manager);
        free (self->stream_max);
        free (self);
        return -1;
    }
    *state_p = self;
    int64_t now_ns = sq_runtime_now_ns ();
    self->next_watermark_ns = now_ns + self->watermark_interval_ns;
    task->timer = s_timer;
    task->timer_due_ns = self->timestamp_field    ? self->next_watermark_ns
                         : self->spec.interval_ms ? now_ns + self->spec.interval_ms * 1000000LL
                                                  : INT64_MAX;
    return 0;
}

//  An event-time input: its timestamp, or false (and it was acked) when it
//  has none or is late.
static bool
s_event_time (s_task_window_t *self, const sq_tuple_t *input, int64_t *ts_p)
{
    sq_task_t *task = self->task;
    const sq_value_t *value = sq_tuple_field (input, self->timestamp_field);
    if (!value || value->type != SQ_TYPE_INT) {
        if (s_worth_logging (++self->unstamped))
            zsys_warning ("topology=%s component=%s task=%d: input from '%s' stream '%s' has no "
                          "int field '%s'; acked without windowing it (%llu so far)",
                          task->runtime->name, task->component->id, task->task_id,
                          sq_tuple_source_component (input), sq_tuple_stream (input),
                          self->timestamp_field, (unsigned long long) self->unstamped);
        sq_collector_ack (self->collector, input);
        return false;
    }
    int64_t ts = value->as.i;
    int number = sq_executor_input (task->executor, input->stream);
    if (number >= 0 && ts > self->stream_max[number])
        self->stream_max[number] = ts;
    if (ts >= self->watermark) {
        *ts_p = ts;
        return true;
    }
    self->late++;
    if (self->late_stream) {
        sq_collector_emit_stream (self->collector, self->late_stream, input, input->values,
                                  input->value_count);
    } else if (s_worth_logging (self->late)) {
        zsys_info ("topology=%s component=%s task=%d: late tuple from '%s' with ts=%lld before "
                   "watermark %lld; acked, not windowed (%llu late so far)",
                   task->runtime->name, task->component->id, task->task_id,
                   sq_tuple_source_component (input), (long long) ts, (long long) self->watermark,
                   (unsigned long long) self->late);
    }
    sq_collector_ack (self->collector, input);
    return false;
}

static void
s_execute (void *state, const sq_tuple_t *input)
{
    s_task_window_t *self = state;
    if (sq_tuple_is_tick (input)) {
        sq_collector_ack (self->collector, input);
        return;
    }
    int64_t ts;
    if (self->timestamp_field) {
        if (!s_event_time (self, input, &ts))
            return;
    } else
        ts = s_wall_ms ();
    sq_tuple_t *tuple = (sq_tuple_t *) input;
    tuple->state |= SQ_TUPLE_WINDOWED;
    if (sq_window_manager_add (self->manager, tuple, ts) == 0)
        return;
    tuple->state &= (uint8_t) ~SQ_TUPLE_WINDOWED;
    sq_task_t *task = self->task;
    if (s_worth_logging (++self->refused))
        zsys_warning ("topology=%s component=%s task=%d: %s; input failed (%llu so far)",
                      task->runtime->name, task->component->id, task->task_id, sq_last_error (),
                      (unsigned long long) self->refused);
    sq_collector_fail (self->collector, input);
}

static const sq_bolt_t s_adapter = {
    .prepare = s_prepare,
    .execute = s_execute,
    .cleanup = s_cleanup,
};

//  What a windowed bolt without execute runs as, for validation to refuse.
static const sq_bolt_t s_no_execute = {0};

sq_component_t *
sq_topology_set_windowed_bolt (sq_topology_t *self, const char *id, const sq_windowed_bolt_t *bolt,
                               int parallelism)
{
    sq_component_t *component = sq_topology_set_bolt (self, id, &s_adapter, parallelism);
    if (component) {
        component->windowed = bolt;
        if (bolt && bolt->declare_outputs)
            bolt->declare_outputs (&(sq_declarer_t){component});
        if (!bolt || !bolt->execute)
            component->bolt = &s_no_execute; //  validation names the missing execute
    }
    return component;
}

//  ---------------------------------------------------------------------
//  Setters: Storm's keys in the component config; 0 means "not this one".

static void
s_set_window (sq_component_t *self, int64_t length_count, int64_t length_ms, int64_t interval_count,
              int64_t interval_ms)
{
    sq_config_t *config = sq_component_config (self);
    sq_config_set_int (config, "topology.bolts.window.length.count", length_count);
    sq_config_set_int (config, "topology.bolts.window.length.duration.ms", length_ms);
    sq_config_set_int (config, "topology.bolts.sliding.interval.count", interval_count);
    sq_config_set_int (config, "topology.bolts.sliding.interval.duration.ms", interval_ms);
}

void
sq_component_window_sliding_count (sq_component_t *self, int64_t length, int64_t interval)
{
    s_set_window (self, length, 0, interval, 0);
}

void
sq_component_window_sliding_duration (sq_component_t *self, int64_t length_ms, int64_t interval_ms)
{
    s_set_window (self, 0, length_ms, 0, interval_ms);
}

void
sq_component_window_sliding_count_by_duration (sq_component_t *self, int64_t length,
                                               int64_t interval_ms)
{
    s_set_window (self, length, 0, 0, interval_ms);
}

void
sq_component_window_sliding_duration_by_count (sq_component_t *self, int64_t length_ms,
                                               int64_t interval)
{
    s_set_window (self, 0, length_ms, interval, 0);
}

void
sq_component_window_tumbling_count (sq_component_t *self, int64_t length)
{
    s_set_window (self, length, 0, length, 0);
}

void
sq_component_window_tumbling_duration (sq_component_t *self, int64_t length_ms)
{
    s_set_window (self, 0, length_ms, 0, length_ms);
}

void
sq_component_window_timestamp_field (sq_component_t *self, const char *field)
{
    sq_config_set_string (sq_component_config (self), "topology.bolts.tuple.timestamp.field.name",
                          field ? field : "");
}

void
sq_component_window_lag_ms (sq_component_t *self, int64_t ms)
{
    sq_config_set_int (sq_component_config (self), "topology.bolts.tuple.timestamp.max.lag.ms", ms);
}

void
sq_component_window_watermark_interval_ms (sq_component_t *self, int64_t ms)
{
    sq_config_set_int (sq_component_config (self), "topology.bolts.watermark.event.interval.ms",
                       ms);
}

void
sq_component_window_late_tuple_stream (sq_component_t *self, const char *stream)
{
    sq_config_set_string (sq_component_config (self), "topology.bolts.late.tuple.stream",
                          stream ? stream : "");
}

//  ---------------------------------------------------------------------
//  Validation (Storm's WindowedBoltExecutor.validate, and Squall's bounds)

//  The timestamp field must be in every input stream, and the late-tuple
//  stream (or NULL) must have as many fields as each.
static int
s_check_inputs (const sq_component_t *component, const char *field, const char *late)
{
    const sq_stream_t *late_stream = late ? sq_component_stream (component, late) : NULL;
    for (size_t i = 0; i < component->subscription_count; i++) {
        const sq_subscription_t *input = &component->subscriptions[i];
        const sq_component_t *source = sq_topology_component (component->topology, input->source);
        const sq_stream_t *stream = source ? sq_component_stream (source, input->stream) : NULL;
        if (stream && sq_stream_field_index (stream, field) < 0)
            return sq_error_set ("windowed bolt '%s': input stream '%s' of '%s' has no timestamp "
                                 "field '%s' (topology.bolts.tuple.timestamp.field.name)",
                                 component->id, input->stream, input->source, field);
        if (stream && late_stream && late_stream->field_count != stream->field_count)
            return sq_error_set ("windowed bolt '%s': late-tuple stream '%s' has %zu fields, but "
                                 "input stream '%s' of '%s' has %zu; late tuples are emitted with "
                                 "their own values",
                                 component->id, late, late_stream->field_count, input->stream,
                                 input->source, stream->field_count);
    }
    return 0;
}

int
sq_windowed_bolt_check (const sq_component_t *component, const sq_config_t *config,
                        sq_window_spec_t *spec)
{
    const char *id = component->id;
    sq_window_spec_t window = {
        .length_count = sq_config_int (config, "topology.bolts.window.length.count", 0),
        .length_ms = sq_config_int (config, "topology.bolts.window.length.duration.ms", 0),
        .interval_count = sq_config_int (config, "topology.bolts.sliding.interval.count", 0),
        .interval_ms = sq_config_int (config, "topology.bolts.sliding.interval.duration.ms", 0),
    };
    //  As in Storm: a count wins over a duration; no length at all is a
    //  sliding count window of 1, sliding by 1 unless told otherwise.
    if (window.length_count > 0)
        window.length_ms = 0;
    if (window.interval_count > 0)
        window.interval_ms = 0;
    if (window.length_count <= 0 && window.length_ms <= 0)
        window.length_count = 1;
    if (window.interval_count <= 0 && window.interval_ms <= 0)
        window.interval_count = 1;
    int64_t max_tuples =
        sq_config_int (config, "topology.bolts.window.max.tuples", SQ_WINDOW_MAX_TUPLES_DEFAULT);
    if (max_tuples < 1 || max_tuples > SQ_WINDOW_MAX_TUPLES_CEILING)
        return sq_error_set ("windowed bolt '%s': topology.bolts.window.max.tuples is %lld; it "
                             "must be 1 to %d",
                             id, (long long) max_tuples, SQ_WINDOW_MAX_TUPLES_CEILING);
    window.max_tuples = (size_t) max_tuples;
    if (window.length_count < 0 || window.length_ms < 0 || window.interval_count < 0 ||
        window.interval_ms < 0)
        return sq_error_set ("windowed bolt '%s': window length and sliding interval must not be "
                             "negative",
                             id);
    //  Storm's rule: what the window holds, length plus interval of the
    //  same kind, must fit in the message timeout (durations) and in max
    //  spout pending (counts), or its tuples' trees would time out or the
    //  spouts stall before the window fills.
    int64_t duration = window.length_ms + window.interval_ms;
    bool timeouts = sq_config_bool (config, "topology.enable.message.timeouts", true);
    int64_t timeout_ms = sq_config_int (config, "topology.message.timeout.secs", 30) * 1000;
    if (timeouts && duration > timeout_ms)
        return sq_error_set ("windowed bolt '%s': window duration (length + sliding interval) "
                             "%lld ms is more than topology.message.timeout.secs %lld s",
                             id, (long long) duration, (long long) (timeout_ms / 1000));
    int64_t count = window.length_count + window.interval_count;
    int64_t pending = sq_config_int (config, "topology.max.spout.pending", 0);
    if (pending > 0 && count > pending)
        return sq_error_set ("windowed bolt '%s': window count (length + sliding interval) %lld "
                             "is more than topology.max.spout.pending %lld",
                             id, (long long) count, (long long) pending);
    if (count > max_tuples)
        return sq_error_set ("windowed bolt '%s': window count (length + sliding interval) %lld "
                             "is more than topology.bolts.window.max.tuples %lld",
                             id, (long long) count, (long long) max_tuples);
    const char *field = sq_config_string (config, "topology.bolts.tuple.timestamp.field.name", "");
    const char *late = sq_config_string (config, "topology.bolts.late.tuple.stream", "");
    if (*late && !*field)
        return sq_error_set ("windowed bolt '%s': a late-tuple stream ('%s') needs a timestamp "
                             "field (topology.bolts.tuple.timestamp.field.name)",
                             id, late);
    if (*late && !sq_component_stream (component, late))
        return sq_error_set ("windowed bolt '%s': late-tuple stream '%s' is not declared by the "
                             "bolt",
                             id, late);
    if (*field && s_check_inputs (component, field, *late ? late : NULL))
        return -1;
    if (*field && sq_config_int (config, "topology.bolts.watermark.event.interval.ms", 1000) < 1)
        return sq_error_set ("windowed bolt '%s': topology.bolts.watermark.event.interval.ms must "
                             "be at least 1",
                             id);
    if (*field && sq_config_int (config, "topology.bolts.tuple.timestamp.max.lag.ms", 0) < 0)
        return sq_error_set ("windowed bolt '%s': topology.bolts.tuple.timestamp.max.lag.ms must "
                             "not be negative",
                             id);
    window.event_time = *field != 0;
    if (sq_window_spec_check (&window))
        return -1;
    if (spec)
        *spec = window;
    return 0;
}

int
sq_windowed_bolts_check (const sq_topology_t *topology, const sq_config_t *config)
{
    for (size_t c = 0; c < sq_topology_component_count (topology); c++) {
        const sq_component_t *component = sq_topology_component_at (topology, c);
        if (!component->windowed)
            continue;
        sq_config_t *merged = sq_config_dup (sq_topology_config ((sq_topology_t *) topology));
        if (!merged)
            return sq_error_set ("out of memory");
        if (config)
            sq_config_merge (merged, config);
        sq_config_merge (merged, component->config);
        int rc = sq_windowed_bolt_check (component, merged, NULL);
        sq_config_destroy (&merged);
        if (rc)
            return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  sq_window_t accessors

size_t
sq_window_count (const sq_window_t *self)
{
    return self->count;
}

const sq_tuple_t *
sq_window_tuple (const sq_window_t *self, size_t index)
{
    return index < self->count ? self->tuples[index] : NULL;
}

size_t
sq_window_new_count (const sq_window_t *self)
{
    return self->fresh_count;
}

const sq_tuple_t *
sq_window_new_tuple (const sq_window_t *self, size_t index)
{
    return index < self->fresh_count ? self->fresh[index] : NULL;
}

size_t
sq_window_expired_count (const sq_window_t *self)
{
    return self->expired_count;
}

const sq_tuple_t *
sq_window_expired_tuple (const sq_window_t *self, size_t index)
{
    return index < self->expired_count ? self->expired[index] : NULL;
}

int64_t
sq_window_start_ts (const sq_window_t *self)
{
    return self->start_ts;
}

int64_t
sq_window_end_ts (const sq_window_t *self)
{
    return self->end_ts;
}
