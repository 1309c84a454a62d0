/*  sq_executor_metrics - the metrics of one executor, Storm's names

    Counters are _Atomic only so that a reader's snapshot is not a data
    race; the single writer adds with a relaxed load and a relaxed store,
    which compile to the plain moves of an ordinary increment. Histograms
    follow the same rule (sq_histogram.h). User metric slots are allocated
    with the metrics; a new one is published by a release store of the
    count after its fields are written, so a reader that loads the count
    with acquire sees whole slots.
*/
#include "sq_executor_metrics.h"
#include "sq_error.h"
#include "sq_histogram.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define JSON_INT_MAX 0x7fffffffffffffffULL //  largest json_int_t

//  Figures of one output stream.
typedef struct {
    char *id;                         //  stream id
    sq_metrics_emits_t emits;         //  emit calls and tuples sent
    _Atomic uint64_t acked;           //  spouts: trees completed
    _Atomic uint64_t failed;          //  spouts: trees failed explicitly
    _Atomic uint64_t timed_out;       //  spouts: trees timed out
    sq_histogram_t *complete_latency; //  spouts: emit to completion, else NULL
} s_stream_t;

//  Figures of one input, a source component's stream.
typedef struct {
    char *component;                 //  source component id
    char *stream;                    //  source stream id
    sq_metrics_runs_t runs;          //  execute calls and inputs acked
    _Atomic uint64_t failed;         //  inputs failed
    sq_histogram_t *execute_latency; //  time in execute
    sq_histogram_t *process_latency; //  execute start to ack
} s_input_t;

//  One reported error.
typedef struct {
    uint64_t seq;                          //  order kept, from 1; 0: a free slot
    int64_t time_ms;                       //  wall clock, milliseconds since 1970
    int task;                              //  task that reported it
    char text[SQ_METRICS_ERROR_BYTES + 1]; //  the message, cut to fit
} s_error_t;

struct _sq_metric_t {
    char name[SQ_METRICS_NAME_MAX + 1]; //  metric name
    sq_metric_type_t type;              //  counter, gauge or histogram
    _Atomic uint64_t value;             //  counter value, or the bits of the gauge's double
    sq_histogram_t *histogram;          //  histograms: the distribution
};

struct _sq_executor_metrics_t {
    char *component;            //  component id
    bool spout;                 //  a spout's metrics
    int first_task;             //  first task id
    int last_task;              //  last task id
    s_stream_t *streams;        //  per output stream
    size_t stream_count;        //  number of streams
    s_input_t *inputs;          //  per input
    size_t input_count;         //  number of inputs
    size_t queue_capacity;      //  receive queue capacity, messages
    size_t queue_population;    //  snapshots: messages queued when taken
    int64_t created_ns;         //  monotonic time the executor was made
    int64_t uptime_ns;          //  snapshots: time from created to the snapshot
    double latency_sample_rate; //  fraction of executes timed
    _Atomic uint64_t held_ns[SQ_METRICS_HELD_REASONS]; //  spouts: time held back, per reason
    pthread_mutex_t error_lock;                        //  guards the error fields
    s_error_t *errors;                                 //  SQ_METRICS_ERRORS slots per task
    size_t error_slots;                                //  slots in errors
    uint64_t error_seq;                                //  errors kept so far: their order
    uint64_t error_total;                              //  errors ever reported
    sq_metric_t *user;                                 //  SQ_METRICS_USER_MAX slots
    _Atomic size_t user_count;                         //  slots in use
};

static inline uint64_t
s_load (const _Atomic uint64_t *field)
{
    return atomic_load_explicit (field, memory_order_relaxed);
}

static inline void
s_store (_Atomic uint64_t *field, uint64_t value)
{
    atomic_store_explicit (field, value, memory_order_relaxed);
}

sq_executor_metrics_t *
sq_executor_metrics_new (const sq_executor_metrics_shape_t *shape)
{
    assert (shape && shape->component);
    sq_executor_metrics_t *self = calloc (1, sizeof (sq_executor_metrics_t));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->error_lock, NULL);
    self->component = strdup (shape->component);
    self->spout = shape->spout;
    self->first_task = shape->first_task;
    self->last_task = shape->last_task;
    self->queue_capacity = shape->queue_capacity;
    self->created_ns = shape->created_ns;
    self->latency_sample_rate = shape->latency_sample_rate > 0 && shape->latency_sample_rate < 1
                                    ? shape->latency_sample_rate
                                    : 1.0;
    self->streams = calloc (shape->stream_count + 1, sizeof (s_stream_t));
    self->inputs = calloc (shape->input_count + 1, sizeof (s_input_t));
    self->user = calloc (SQ_METRICS_USER_MAX, sizeof (sq_metric_t));
    int tasks =
        shape->last_task >= shape->first_task ? shape->last_task - shape->first_task + 1 : 1;
    self->error_slots = (size_t) tasks * SQ_METRICS_ERRORS;
    self->errors = calloc (self->error_slots, sizeof (s_error_t));
    bool ok = self->component && self->streams && self->inputs && self->user && self->errors;
    for (size_t s = 0; ok && s < shape->stream_count; s++) {
        s_stream_t *stream = &self->streams[self->stream_count++];
        stream->id = strdup (shape->streams[s]);
        if (shape->spout)
            stream->complete_latency = sq_histogram_new ();
        ok = stream->id && (!shape->spout || stream->complete_latency);
    }
    for (size_t i = 0; ok && i < shape->input_count; i++) {
        s_input_t *input = &self->inputs[self->input_count++];
        input->component = strdup (shape->input_components[i]);
        input->stream = strdup (shape->input_streams[i]);
        input->execute_latency = sq_histogram_new ();
        input->process_latency = sq_histogram_new ();
        ok = input->component && input->stream && input->execute_latency && input->process_latency;
    }
    if (!ok)
        sq_executor_metrics_destroy (&self);
    return self;
}

void
sq_executor_metrics_destroy (sq_executor_metrics_t **self_p)
{
    assert (self_p);
    sq_executor_metrics_t *self = *self_p;
    if (!self)
        return;
    for (size_t s = 0; self->streams && s < self->stream_count; s++) {
        free (self->streams[s].id);
        sq_histogram_destroy (&self->streams[s].complete_latency);
    }
    for (size_t i = 0; self->inputs && i < self->input_count; i++) {
        free (self->inputs[i].component);
        free (self->inputs[i].stream);
        sq_histogram_destroy (&self->inputs[i].execute_latency);
        sq_histogram_destroy (&self->inputs[i].process_latency);
    }
    size_t users = self->user ? atomic_load (&self->user_count) : 0;
    for (size_t u = 0; u < users; u++)
        sq_histogram_destroy (&self->user[u].histogram);
    pthread_mutex_destroy (&self->error_lock);
    free (self->errors);
    free (self->user);
    free (self->streams);
    free (self->inputs);
    free (self->component);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Recording

sq_metrics_runs_t *
sq_executor_metrics_runs (sq_executor_metrics_t *self, size_t input)
{
    assert (input < self->input_count);
    return &self->inputs[input].runs;
}

sq_metrics_emits_t *
sq_executor_metrics_emits (sq_executor_metrics_t *self, size_t stream)
{
    assert (stream < self->stream_count);
    return &self->streams[stream].emits;
}

void
sq_executor_metrics_spout_acked (sq_executor_metrics_t *self, size_t stream, uint64_t complete_ns)
{
    assert (stream < self->stream_count && self->spout);
    sq_counter_add (&self->streams[stream].acked, 1);
    sq_histogram_record (self->streams[stream].complete_latency, complete_ns);
}

void
sq_executor_metrics_spout_failed (sq_executor_metrics_t *self, size_t stream)
{
    assert (stream < self->stream_count);
    sq_counter_add (&self->streams[stream].failed, 1);
}

void
sq_executor_metrics_spout_timed_out (sq_executor_metrics_t *self, size_t stream)
{
    assert (stream < self->stream_count);
    sq_counter_add (&self->streams[stream].timed_out, 1);
}

void
sq_executor_metrics_executed (sq_executor_metrics_t *self, size_t input, uint64_t execute_ns)
{
    assert (input < self->input_count);
    sq_counter_add (&self->inputs[input].runs.executed, 1);
    if (execute_ns != SQ_METRICS_UNTIMED)
        sq_histogram_record (self->inputs[input].execute_latency, execute_ns);
}

void
sq_executor_metrics_acked (sq_executor_metrics_t *self, size_t input, uint64_t process_ns)
{
    assert (input < self->input_count);
    sq_counter_add (&self->inputs[input].runs.acked, 1);
    if (process_ns != SQ_METRICS_UNTIMED)
        sq_histogram_record (self->inputs[input].process_latency, process_ns);
}

void
sq_executor_metrics_failed (sq_executor_metrics_t *self, size_t input)
{
    assert (input < self->input_count);
    sq_counter_add (&self->inputs[input].failed, 1);
}

void
sq_executor_metrics_held (sq_executor_metrics_t *self, sq_metrics_held_t reason, uint64_t held_ns)
{
    assert (reason < SQ_METRICS_HELD_REASONS);
    sq_counter_add (&self->held_ns[reason], held_ns);
}

//  Keep one error: in a free slot while its task has fewer than
//  SQ_METRICS_ERRORS (there is one then: each task has that many slots),
//  else over its task's oldest. The caller holds the lock.
static void
s_keep_error (sq_executor_metrics_t *self, int task, int64_t time_ms, const char *message)
{
    s_error_t *free_slot = NULL, *oldest_of_task = NULL, *oldest = NULL;
    size_t of_task = 0;
    for (size_t e = 0; e < self->error_slots; e++) {
        s_error_t *slot = &self->errors[e];
        if (!slot->seq) {
            free_slot = free_slot ? free_slot : slot;
            continue;
        }
        if (!oldest || slot->seq < oldest->seq)
            oldest = slot;
        if (slot->task == task) {
            of_task++;
            if (!oldest_of_task || slot->seq < oldest_of_task->seq)
                oldest_of_task = slot;
        }
    }
    s_error_t *error = of_task >= SQ_METRICS_ERRORS ? oldest_of_task : free_slot;
    if (!error)
        error = oldest_of_task ? oldest_of_task : oldest; //  a task not of this executor
    error->seq = ++self->error_seq;
    error->time_ms = time_ms;
    error->task = task;
    snprintf (error->text, sizeof error->text, "%s", message ? message : "");
}

void
sq_executor_metrics_error (sq_executor_metrics_t *self, int task, int64_t time_ms,
                           const char *message)
{
    pthread_mutex_lock (&self->error_lock);
    s_keep_error (self, task, time_ms, message);
    self->error_total++;
    pthread_mutex_unlock (&self->error_lock);
}

//  ---------------------------------------------------------------------
//  User metrics

static bool
s_valid_name (const char *name)
{
    size_t length = name ? strlen (name) : 0;
    if (length == 0 || length > SQ_METRICS_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.' || *c == ':' || *c == '-'))
            return false;
    return true;
}

static const char *
s_type_name (sq_metric_type_t type)
{
    return type == SQ_METRIC_COUNTER ? "counter" : type == SQ_METRIC_GAUGE ? "gauge" : "histogram";
}

sq_metric_t *
sq_executor_metrics_register (sq_executor_metrics_t *self, const char *name, sq_metric_type_t type)
{
    if (!s_valid_name (name)) {
        sq_error_set ("'%s': a metric name has 1 to %d letters, digits, '_', '.', ':' or '-'",
                      name ? name : "(null)", SQ_METRICS_NAME_MAX);
        return NULL;
    }
    size_t count = atomic_load_explicit (&self->user_count, memory_order_relaxed);
    for (size_t u = 0; u < count; u++)
        if (strcmp (self->user[u].name, name) == 0) {
            if (self->user[u].type == type)
                return &self->user[u];
            sq_error_set ("'%s' metric '%s' is already registered as a %s", self->component, name,
                          s_type_name (self->user[u].type));
            return NULL;
        }
    if (count == SQ_METRICS_USER_MAX) {
        sq_error_set ("'%s' cannot register metric '%s': an executor has at most %d user metrics",
                      self->component, name, SQ_METRICS_USER_MAX);
        return NULL;
    }
    sq_metric_t *metric = &self->user[count];
    if (type == SQ_METRIC_HISTOGRAM && !(metric->histogram = sq_histogram_new ())) {
        sq_error_set ("out of memory");
        return NULL;
    }
    snprintf (metric->name, sizeof metric->name, "%s", name);
    metric->type = type;
    s_store (&metric->value, 0);
    atomic_store_explicit (&self->user_count, count + 1, memory_order_release);
    return metric;
}

void
sq_metric_inc (sq_metric_t *self, uint64_t amount)
{
    assert (self && self->type == SQ_METRIC_COUNTER);
    sq_counter_add (&self->value, amount);
}

void
sq_metric_set (sq_metric_t *self, double value)
{
    assert (self && self->type == SQ_METRIC_GAUGE);
    uint64_t bits;
    memcpy (&bits, &value, sizeof bits);
    s_store (&self->value, bits);
}

void
sq_metric_record (sq_metric_t *self, uint64_t value)
{
    assert (self && self->type == SQ_METRIC_HISTOGRAM);
    sq_histogram_record (self->histogram, value);
}

static double
s_gauge_value (const sq_metric_t *metric)
{
    uint64_t bits = s_load (&metric->value);
    double value;
    memcpy (&value, &bits, sizeof value);
    return value;
}

//  ---------------------------------------------------------------------
//  Reading

//  A new empty object of self's shape.
static sq_executor_metrics_t *
s_same_shape (const sq_executor_metrics_t *self)
{
    const char **streams = calloc (self->stream_count + 1, sizeof (char *));
    const char **components = calloc (self->input_count + 1, sizeof (char *));
    const char **sources = calloc (self->input_count + 1, sizeof (char *));
    sq_executor_metrics_t *copy = NULL;
    if (streams && components && sources) {
        for (size_t s = 0; s < self->stream_count; s++)
            streams[s] = self->streams[s].id;
        for (size_t i = 0; i < self->input_count; i++) {
            components[i] = self->inputs[i].component;
            sources[i] = self->inputs[i].stream;
        }
        sq_executor_metrics_shape_t shape = {
            self->component,   self->spout,          self->first_task, self->last_task,
            streams,           self->stream_count,   components,       sources,
            self->input_count, self->queue_capacity, self->created_ns, self->latency_sample_rate};
        copy = sq_executor_metrics_new (&shape);
    }
    free (streams);
    free (components);
    free (sources);
    return copy;
}

sq_executor_metrics_t *
sq_executor_metrics_snapshot (sq_executor_metrics_t *self, size_t queue_population, int64_t now_ns)
{
    sq_executor_metrics_t *copy = s_same_shape (self);
    if (!copy)
        return NULL;
    copy->queue_population = queue_population;
    copy->uptime_ns = now_ns > self->created_ns ? now_ns - self->created_ns : 0;
    for (size_t s = 0; s < self->stream_count; s++) {
        s_stream_t *from = &self->streams[s], *to = &copy->streams[s];
        s_store (&to->emits.emitted, s_load (&from->emits.emitted));
        s_store (&to->emits.transferred, s_load (&from->emits.transferred));
        s_store (&to->acked, s_load (&from->acked));
        s_store (&to->failed, s_load (&from->failed));
        s_store (&to->timed_out, s_load (&from->timed_out));
        if (from->complete_latency)
            sq_histogram_snapshot (to->complete_latency, from->complete_latency);
    }
    for (size_t i = 0; i < self->input_count; i++) {
        s_input_t *from = &self->inputs[i], *to = &copy->inputs[i];
        s_store (&to->runs.executed, s_load (&from->runs.executed));
        s_store (&to->runs.acked, s_load (&from->runs.acked));
        s_store (&to->failed, s_load (&from->failed));
        sq_histogram_snapshot (to->execute_latency, from->execute_latency);
        sq_histogram_snapshot (to->process_latency, from->process_latency);
    }
    for (int r = 0; r < SQ_METRICS_HELD_REASONS; r++)
        s_store (&copy->held_ns[r], s_load (&self->held_ns[r]));
    pthread_mutex_lock (&self->error_lock);
    memcpy (copy->errors, self->errors, self->error_slots * sizeof (s_error_t));
    copy->error_seq = self->error_seq;
    copy->error_total = self->error_total;
    pthread_mutex_unlock (&self->error_lock);
    size_t users = atomic_load_explicit (&self->user_count, memory_order_acquire);
    for (size_t u = 0; u < users; u++) {
        const sq_metric_t *from = &self->user[u];
        sq_metric_t *to = sq_executor_metrics_register (copy, from->name, from->type);
        if (!to) {
            sq_executor_metrics_destroy (&copy);
            return NULL;
        }
        s_store (&to->value, s_load (&from->value));
        if (from->histogram)
            sq_histogram_snapshot (to->histogram, from->histogram);
    }
    return copy;
}

//  True when both have the same component, streams and inputs.
static bool
s_same_shape_as (const sq_executor_metrics_t *a, const sq_executor_metrics_t *b)
{
    if (strcmp (a->component, b->component) != 0 || a->spout != b->spout ||
        a->stream_count != b->stream_count || a->input_count != b->input_count)
        return false;
    for (size_t s = 0; s < a->stream_count; s++)
        if (strcmp (a->streams[s].id, b->streams[s].id) != 0)
            return false;
    for (size_t i = 0; i < a->input_count; i++)
        if (strcmp (a->inputs[i].component, b->inputs[i].component) != 0 ||
            strcmp (a->inputs[i].stream, b->inputs[i].stream) != 0)
            return false;
    return true;
}

//  Latest first: by time, then by the order kept.
static int
s_later_first (const void *a, const void *b)
{
    const s_error_t *x = *(const s_error_t *const *) a, *y = *(const s_error_t *const *) b;
    if (x->time_ms != y->time_ms)
        return (x->time_ms < y->time_ms) - (x->time_ms > y->time_ms);
    return (x->seq < y->seq) - (x->seq > y->seq);
}

//  The errors kept, latest first, into a new array of their number
//  (*count_p). NULL when there are none or out of memory. Caller frees.
static const s_error_t **
s_errors_sorted (const sq_executor_metrics_t *self, size_t *count_p)
{
    *count_p = 0;
    const s_error_t **sorted = calloc (self->error_slots + 1, sizeof (s_error_t *));
    for (size_t e = 0; sorted && e < self->error_slots; e++)
        if (self->errors[e].seq)
            sorted[(*count_p)++] = &self->errors[e];
    if (sorted)
        qsort (sorted, *count_p, sizeof (s_error_t *), s_later_first);
    return sorted;
}

int
sq_executor_metrics_merge (sq_executor_metrics_t *dest, const sq_executor_metrics_t *source)
{
    if (!s_same_shape_as (dest, source))
        return sq_error_set ("metrics of '%s' and '%s' differ in shape", dest->component,
                             source->component);
    for (size_t s = 0; s < dest->stream_count; s++) {
        s_stream_t *to = &dest->streams[s];
        const s_stream_t *from = &source->streams[s];
        sq_counter_add (&to->emits.emitted, s_load (&from->emits.emitted));
        sq_counter_add (&to->emits.transferred, s_load (&from->emits.transferred));
        sq_counter_add (&to->acked, s_load (&from->acked));
        sq_counter_add (&to->failed, s_load (&from->failed));
        sq_counter_add (&to->timed_out, s_load (&from->timed_out));
        if (to->complete_latency)
            sq_histogram_merge (to->complete_latency, from->complete_latency);
    }
    for (size_t i = 0; i < dest->input_count; i++) {
        s_input_t *to = &dest->inputs[i];
        const s_input_t *from = &source->inputs[i];
        sq_counter_add (&to->runs.executed, s_load (&from->runs.executed));
        sq_counter_add (&to->runs.acked, s_load (&from->runs.acked));
        sq_counter_add (&to->failed, s_load (&from->failed));
        sq_histogram_merge (to->execute_latency, from->execute_latency);
        sq_histogram_merge (to->process_latency, from->process_latency);
    }
    for (int r = 0; r < SQ_METRICS_HELD_REASONS; r++)
        sq_counter_add (&dest->held_ns[r], s_load (&source->held_ns[r]));
    dest->queue_population += source->queue_population;
    dest->queue_capacity += source->queue_capacity;
    if (source->uptime_ns > dest->uptime_ns)
        dest->uptime_ns = source->uptime_ns;
    if (source->first_task < dest->first_task)
        dest->first_task = source->first_task;
    if (source->last_task > dest->last_task)
        dest->last_task = source->last_task;
    //  Errors: both sets (their tasks differ), in slots added for them.
    s_error_t *grown =
        realloc (dest->errors, (dest->error_slots + source->error_slots) * sizeof (s_error_t));
    if (!grown)
        return sq_error_set ("out of memory");
    dest->errors = grown;
    for (size_t e = 0; e < source->error_slots; e++) {
        s_error_t *slot = &dest->errors[dest->error_slots + e];
        *slot = source->errors[e];
        if (slot->seq)
            slot->seq += dest->error_seq;
    }
    dest->error_slots += source->error_slots;
    dest->error_seq += source->error_seq;
    dest->error_total += source->error_total;
    size_t users = atomic_load (&source->user_count);
    for (size_t u = 0; u < users; u++) {
        const sq_metric_t *from = &source->user[u];
        sq_metric_t *to = sq_executor_metrics_register (dest, from->name, from->type);
        if (!to)
            continue; //  full, or another type under that name: dropped from the sum
        if (from->type == SQ_METRIC_COUNTER)
            sq_counter_add (&to->value, s_load (&from->value));
        else if (from->type == SQ_METRIC_GAUGE)
            s_store (&to->value, s_load (&from->value));
        else
            sq_histogram_merge (to->histogram, from->histogram);
    }
    return 0;
}

const char *
sq_executor_metrics_component (const sq_executor_metrics_t *self)
{
    return self->component;
}

static double
s_ms (uint64_t ns)
{
    return (double) ns / 1e6;
}

void
sq_executor_metrics_summary (const sq_executor_metrics_t *self, sq_component_metrics_t *row)
{
    memset (row, 0, sizeof *row);
    row->component = self->component;
    row->spout = self->spout;
    row->executors = 1;
    row->errors = self->error_total;
    sq_histogram_t *execute = sq_histogram_new ();
    sq_histogram_t *process = sq_histogram_new ();
    sq_histogram_t *complete = sq_histogram_new ();
    for (size_t s = 0; s < self->stream_count; s++) {
        const s_stream_t *stream = &self->streams[s];
        row->emitted += s_load (&stream->emits.emitted);
        row->transferred += s_load (&stream->emits.transferred);
        if (self->spout) {
            row->acked += s_load (&stream->acked);
            row->failed += s_load (&stream->failed);
            row->timed_out += s_load (&stream->timed_out);
            if (complete)
                sq_histogram_merge (complete, stream->complete_latency);
        }
    }
    for (size_t i = 0; i < self->input_count; i++) {
        const s_input_t *input = &self->inputs[i];
        row->executed += s_load (&input->runs.executed);
        row->acked += s_load (&input->runs.acked);
        row->failed += s_load (&input->failed);
        if (execute)
            sq_histogram_merge (execute, input->execute_latency);
        if (process)
            sq_histogram_merge (process, input->process_latency);
    }
    if (execute) {
        row->execute_p50_ms = s_ms (sq_histogram_quantile (execute, 0.5));
        row->execute_p99_ms = s_ms (sq_histogram_quantile (execute, 0.99));
        //  Executed x mean execute latency: with sampling, the mean is the
        //  sampled executes'.
        if (self->uptime_ns > 0)
            row->capacity =
                (double) row->executed * sq_histogram_mean (execute) / (double) self->uptime_ns;
    }
    if (process) {
        row->process_p50_ms = s_ms (sq_histogram_quantile (process, 0.5));
        row->process_p99_ms = s_ms (sq_histogram_quantile (process, 0.99));
    }
    if (complete) {
        row->complete_p50_ms = s_ms (sq_histogram_quantile (complete, 0.5));
        row->complete_p99_ms = s_ms (sq_histogram_quantile (complete, 0.99));
    }
    sq_histogram_destroy (&execute);
    sq_histogram_destroy (&process);
    sq_histogram_destroy (&complete);
}

uint64_t
sq_executor_metrics_stream_count (const sq_executor_metrics_t *self, size_t stream,
                                  sq_metrics_count_t which)
{
    assert (stream < self->stream_count);
    const s_stream_t *entry = &self->streams[stream];
    switch (which) {
    case SQ_METRICS_EMITTED:
        return s_load (&entry->emits.emitted);
    case SQ_METRICS_TRANSFERRED:
        return s_load (&entry->emits.transferred);
    case SQ_METRICS_ACKED:
        return s_load (&entry->acked);
    case SQ_METRICS_FAILED:
        return s_load (&entry->failed);
    case SQ_METRICS_TIMED_OUT:
        return s_load (&entry->timed_out);
    default:
        return 0;
    }
}

uint64_t
sq_executor_metrics_input_count (const sq_executor_metrics_t *self, size_t input,
                                 sq_metrics_count_t which)
{
    assert (input < self->input_count);
    const s_input_t *entry = &self->inputs[input];
    switch (which) {
    case SQ_METRICS_EXECUTED:
        return s_load (&entry->runs.executed);
    case SQ_METRICS_ACKED:
        return s_load (&entry->runs.acked);
    case SQ_METRICS_FAILED:
        return s_load (&entry->failed);
    default:
        return 0;
    }
}

uint64_t
sq_executor_metrics_held_ns (const sq_executor_metrics_t *self, sq_metrics_held_t reason)
{
    assert (reason < SQ_METRICS_HELD_REASONS);
    return s_load (&self->held_ns[reason]);
}

size_t
sq_executor_metrics_error_count (const sq_executor_metrics_t *self)
{
    size_t count = 0;
    for (size_t e = 0; e < self->error_slots; e++)
        count += self->errors[e].seq != 0;
    return count;
}

size_t
sq_executor_metrics_user_count (const sq_executor_metrics_t *self)
{
    return atomic_load_explicit (&self->user_count, memory_order_acquire);
}

//  ---------------------------------------------------------------------
//  JSON form

static json_int_t
s_int (uint64_t value)
{
    return (json_int_t) (value > JSON_INT_MAX ? JSON_INT_MAX : value);
}

//  Set key to value in object, stealing value; false when either is NULL
//  or out of memory.
static bool
s_set (json_t *object, const char *key, json_t *value)
{
    return object && value && json_object_set_new (object, key, value) == 0;
}

static bool
s_set_int (json_t *object, const char *key, uint64_t value)
{
    return s_set (object, key, json_integer (s_int (value)));
}

static json_t *
s_encode_stream (const sq_executor_metrics_t *self, const s_stream_t *stream)
{
    json_t *json = json_object ();
    bool ok = s_set (json, "stream", json_string (stream->id)) &&
              s_set_int (json, "emitted", s_load (&stream->emits.emitted)) &&
              s_set_int (json, "transferred", s_load (&stream->emits.transferred));
    if (ok && self->spout)
        ok = s_set_int (json, "acked", s_load (&stream->acked)) &&
             s_set_int (json, "failed", s_load (&stream->failed)) &&
             s_set_int (json, "timed_out", s_load (&stream->timed_out)) &&
             s_set (json, "complete_latency", sq_histogram_encode (stream->complete_latency));
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

static json_t *
s_encode_input (const s_input_t *input)
{
    json_t *json = json_object ();
    bool ok = s_set (json, "component", json_string (input->component)) &&
              s_set (json, "stream", json_string (input->stream)) &&
              s_set_int (json, "executed", s_load (&input->runs.executed)) &&
              s_set_int (json, "acked", s_load (&input->runs.acked)) &&
              s_set_int (json, "failed", s_load (&input->failed)) &&
              s_set (json, "execute_latency", sq_histogram_encode (input->execute_latency)) &&
              s_set (json, "process_latency", sq_histogram_encode (input->process_latency));
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

static json_t *
s_encode_user (const sq_metric_t *metric)
{
    json_t *json = json_object ();
    bool ok = s_set (json, "name", json_string (metric->name)) &&
              s_set (json, "type", json_string (s_type_name (metric->type)));
    if (ok && metric->type == SQ_METRIC_COUNTER)
        ok = s_set_int (json, "value", s_load (&metric->value));
    else if (ok && metric->type == SQ_METRIC_GAUGE) {
        double value = s_gauge_value (metric);
        ok = s_set (json, "value", json_real (isfinite (value) ? value : 0.0));
    } else if (ok)
        ok = s_set (json, "value", sq_histogram_encode (metric->histogram));
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

json_t *
sq_executor_metrics_encode (const sq_executor_metrics_t *self)
{
    json_t *json = json_object ();
    json_t *streams = json_array (), *inputs = json_array (), *errors = json_array (),
           *user = json_array ();
    bool ok = json && streams && inputs && errors && user;
    for (size_t s = 0; ok && s < self->stream_count; s++)
        ok = json_array_append_new (streams, s_encode_stream (self, &self->streams[s])) == 0;
    for (size_t i = 0; ok && i < self->input_count; i++)
        ok = json_array_append_new (inputs, s_encode_input (&self->inputs[i])) == 0;
    size_t error_count;
    const s_error_t **sorted = ok ? s_errors_sorted (self, &error_count) : NULL;
    ok = ok && sorted;
    for (size_t e = 0; ok && e < error_count; e++)
        ok = json_array_append_new (
                 errors, json_pack ("{s:I, s:i, s:s}", "time_ms", (json_int_t) sorted[e]->time_ms,
                                    "task", sorted[e]->task, "error", sorted[e]->text)) == 0;
    free (sorted);
    size_t users = atomic_load (&self->user_count);
    for (size_t u = 0; ok && u < users; u++)
        ok = json_array_append_new (user, s_encode_user (&self->user[u])) == 0;
    ok =
        ok && s_set (json, "component", json_string (self->component)) &&
        s_set (json, "spout", json_boolean (self->spout)) &&
        s_set (json, "tasks", json_pack ("[i, i]", self->first_task, self->last_task)) &&
        s_set_int (json, "uptime_ns", (uint64_t) self->uptime_ns) &&
        s_set (json, "latency_sample_rate", json_real (self->latency_sample_rate)) &&
        s_set (json, "queue",
               json_pack ("{s:I, s:I}", "population", s_int (self->queue_population), "capacity",
                          s_int (self->queue_capacity))) &&
        s_set (json, "held_ns",
               json_pack ("{s:I, s:I, s:I}", "max_pending",
                          s_int (s_load (&self->held_ns[SQ_METRICS_HELD_PENDING])), "backpressure",
                          s_int (s_load (&self->held_ns[SQ_METRICS_HELD_BACKPRESSURE])), "inactive",
                          s_int (s_load (&self->held_ns[SQ_METRICS_HELD_INACTIVE])))) &&
        s_set_int (json, "errors_total", self->error_total);
    if (ok) {
        json_object_set_new (json, "streams", streams);
        json_object_set_new (json, "inputs", inputs);
        json_object_set_new (json, "errors", errors);
        json_object_set_new (json, "user", user);
        return json;
    }
    json_decref (streams);
    json_decref (inputs);
    json_decref (errors);
    json_decref (user);
    json_decref (json);
    return NULL;
}

//  ---------------------------------------------------------------------
//  Checking the JSON form (outside input)

static int
s_bad (const char *what, const char *key)
{
    return sq_error_set_code (SQ_EMALFORMED, "metrics: '%s' %s", key, what);
}

//  A required non-negative integer member.
static int
s_check_count (const json_t *object, const char *key)
{
    const json_t *value = json_object_get (object, key);
    if (!value)
        return s_bad ("is missing", key);
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return s_bad ("must be a non-negative integer", key);
    return 0;
}

//  A required string member of 1 to max bytes.
static int
s_check_string (const json_t *object, const char *key, size_t max)
{
    const json_t *value = json_object_get (object, key);
    if (!value)
        return s_bad ("is missing", key);
    if (!json_is_string (value) || json_string_length (value) == 0 ||
        json_string_length (value) > max)
        return sq_error_set_code (SQ_EMALFORMED, "metrics: '%s' must be a string of 1 to %zu bytes",
                                  key, max);
    return 0;
}

//  A required histogram member, checked with a scratch histogram.
static int
s_check_histogram (const json_t *object, const char *key, sq_histogram_t *scratch)
{
    const json_t *value = json_object_get (object, key);
    if (!value)
        return s_bad ("is missing", key);
    if (sq_histogram_decode (scratch, value) != 0)
        return sq_error_set_code (SQ_EMALFORMED, "metrics: '%s': %s", key, sq_last_error ());
    return 0;
}

//  A required array member of at most max elements; *array_p set.
static int
s_check_array (const json_t *object, const char *key, size_t max, const json_t **array_p)
{
    const json_t *value = json_object_get (object, key);
    if (!value)
        return s_bad ("is missing", key);
    if (!json_is_array (value))
        return s_bad ("must be an array", key);
    if (json_array_size (value) > max)
        return sq_error_set_code (SQ_EMALFORMED, "metrics: '%s' has %zu entries (at most %zu)", key,
                                  json_array_size (value), max);
    *array_p = value;
    return 0;
}

static int
s_check_stream (const json_t *stream, bool spout, sq_histogram_t *scratch)
{
    if (!json_is_object (stream))
        return s_bad ("entries must be objects", "streams");
    if (s_check_string (stream, "stream", SQ_METRICS_ID_MAX) || s_check_count (stream, "emitted") ||
        s_check_count (stream, "transferred"))
        return -1;
    if (spout && (s_check_count (stream, "acked") || s_check_count (stream, "failed") ||
                  s_check_count (stream, "timed_out") ||
                  s_check_histogram (stream, "complete_latency", scratch)))
        return -1;
    return 0;
}

static int
s_check_input (const json_t *input, sq_histogram_t *scratch)
{
    if (!json_is_object (input))
        return s_bad ("entries must be objects", "inputs");
    return s_check_string (input, "component", SQ_METRICS_ID_MAX) ||
                   s_check_string (input, "stream", SQ_METRICS_ID_MAX) ||
                   s_check_count (input, "executed") || s_check_count (input, "acked") ||
                   s_check_count (input, "failed") ||
                   s_check_histogram (input, "execute_latency", scratch) ||
                   s_check_histogram (input, "process_latency", scratch)
               ? -1
               : 0;
}

static int
s_check_error (const json_t *error, json_int_t first_task, json_int_t last_task)
{
    if (!json_is_object (error))
        return s_bad ("entries must be objects", "errors");
    if (s_check_count (error, "time_ms") || s_check_count (error, "task"))
        return -1;
    json_int_t task = json_integer_value (json_object_get (error, "task"));
    if (task < first_task || task > last_task)
        return s_bad ("must be one of the executor's tasks", "task");
    const json_t *text = json_object_get (error, "error");
    if (!json_is_string (text) || json_string_length (text) > SQ_METRICS_ERROR_BYTES)
        return sq_error_set_code (SQ_EMALFORMED,
                                  "metrics: 'error' must be a string of at most %d bytes",
                                  SQ_METRICS_ERROR_BYTES);
    return 0;
}

static int
s_check_user (const json_t *metric, sq_histogram_t *scratch)
{
    if (!json_is_object (metric))
        return s_bad ("entries must be objects", "user");
    const json_t *name = json_object_get (metric, "name");
    if (!json_is_string (name) || !s_valid_name (json_string_value (name)) ||
        strlen (json_string_value (name)) != json_string_length (name))
        return s_bad ("must be a valid metric name", "name");
    const json_t *type = json_object_get (metric, "type");
    const char *text = json_is_string (type) ? json_string_value (type) : "";
    if (strcmp (text, "counter") == 0)
        return s_check_count (metric, "value");
    if (strcmp (text, "gauge") == 0)
        return json_is_number (json_object_get (metric, "value"))
                   ? 0
                   : s_bad ("must be a number", "value");
    if (strcmp (text, "histogram") == 0)
        return s_check_histogram (metric, "value", scratch);
    return s_bad ("must be \"counter\", \"gauge\" or \"histogram\"", "type");
}

//  Most errors an executor of tasks first..last keeps: SQ_METRICS_ERRORS
//  per task, within SQ_METRICS_LIST_MAX.
static size_t
s_errors_max (json_int_t first, json_int_t last)
{
    json_int_t tasks = last - first + 1;
    if (tasks > SQ_METRICS_LIST_MAX / SQ_METRICS_ERRORS)
        return SQ_METRICS_LIST_MAX;
    return (size_t) tasks * SQ_METRICS_ERRORS;
}

//  The checks of one executor, with a scratch histogram.
static int
s_check_executor (const json_t *json, sq_histogram_t *scratch)
{
    if (!json_is_object (json))
        return sq_error_set_code (SQ_EMALFORMED, "metrics: an executor must be an object");
    const json_t *spout = json_object_get (json, "spout");
    if (!json_is_boolean (spout))
        return s_bad ("must be true or false", "spout");
    const json_t *tasks = json_object_get (json, "tasks");
    if (!json_is_array (tasks) || json_array_size (tasks) != 2 ||
        !json_is_integer (json_array_get (tasks, 0)) ||
        !json_is_integer (json_array_get (tasks, 1)) ||
        json_integer_value (json_array_get (tasks, 0)) < 1 ||
        json_integer_value (json_array_get (tasks, 1)) <
            json_integer_value (json_array_get (tasks, 0)))
        return s_bad ("must be [first, last] task ids, 1 <= first <= last", "tasks");
    json_int_t first = json_integer_value (json_array_get (tasks, 0));
    json_int_t last = json_integer_value (json_array_get (tasks, 1));
    const json_t *rate = json_object_get (json, "latency_sample_rate");
    if (rate &&
        (!json_is_number (rate) || !(json_number_value (rate) > 0) || json_number_value (rate) > 1))
        return s_bad ("must be a number in (0, 1]", "latency_sample_rate");
    const json_t *queue = json_object_get (json, "queue");
    if (!json_is_object (queue))
        return s_bad ("must be an object", "queue");
    const json_t *held = json_object_get (json, "held_ns");
    if (!json_is_object (held))
        return s_bad ("must be an object", "held_ns");
    if (s_check_string (json, "component", SQ_METRICS_ID_MAX) ||
        s_check_count (json, "uptime_ns") || s_check_count (json, "errors_total") ||
        s_check_count (queue, "population") || s_check_count (queue, "capacity") ||
        s_check_count (held, "max_pending") || s_check_count (held, "backpressure") ||
        s_check_count (held, "inactive"))
        return -1;
    const json_t *streams, *inputs, *errors, *user;
    if (s_check_array (json, "streams", SQ_METRICS_LIST_MAX, &streams) ||
        s_check_array (json, "inputs", SQ_METRICS_LIST_MAX, &inputs) ||
        s_check_array (json, "errors", s_errors_max (first, last), &errors) ||
        s_check_array (json, "user", SQ_METRICS_USER_MAX, &user))
        return -1;
    size_t index;
    const json_t *entry;
    json_array_foreach (streams, index,
                        entry) if (s_check_stream (entry, json_is_true (spout), scratch)) return -1;
    json_array_foreach (inputs, index, entry) if (s_check_input (entry, scratch)) return -1;
    json_array_foreach (errors, index, entry) if (s_check_error (entry, first, last)) return -1;
    json_array_foreach (user, index, entry) if (s_check_user (entry, scratch)) return -1;
    return 0;
}

int
sq_executor_metrics_check (const json_t *json)
{
    sq_histogram_t *scratch = sq_histogram_new ();
    if (!scratch)
        return sq_error_set_code (SQ_ENOMEM, "out of memory");
    int rc = s_check_executor (json, scratch);
    sq_histogram_destroy (&scratch);
    return rc ? SQ_EMALFORMED : 0;
}

//  A `blame` list: at most SQ_METRICS_BLAME_MAX [task, count] pairs, task
//  1 .. 65535, count non-negative.
static int
s_check_blame_pairs (const json_t *blame, const char *key)
{
    const json_t *pairs;
    if (s_check_array (blame, key, SQ_METRICS_BLAME_MAX, &pairs))
        return -1;
    size_t index;
    const json_t *pair;
    json_array_foreach (pairs, index, pair) {
        const json_t *task = json_array_get (pair, 0), *count = json_array_get (pair, 1);
        if (!json_is_array (pair) || json_array_size (pair) != 2 || !json_is_integer (task) ||
            json_integer_value (task) < 1 || json_integer_value (task) > SQ_METRICS_BLAME_MAX ||
            !json_is_integer (count) || json_integer_value (count) < 0)
            return s_bad ("must hold [task, count] pairs, task 1 .. 65535", key);
    }
    return 0;
}

//  Sum of the counts of a checked blame list for tasks first .. last.
static uint64_t
s_blame_sum (const json_t *pairs, int first, int last)
{
    uint64_t sum = 0;
    size_t index;
    const json_t *pair;
    json_array_foreach (pairs, index, pair) {
        json_int_t task = json_integer_value (json_array_get (pair, 0));
        if (task >= first && task <= last)
            sum += (uint64_t) json_integer_value (json_array_get (pair, 1));
    }
    return sum;
}

void
sq_executor_metrics_blame_add (const json_t *blame, int first_task, int last_task,
                               uint64_t *timeouts_held, uint64_t *fails)
{
    *timeouts_held += s_blame_sum (json_object_get (blame, "timeouts_held"), first_task, last_task);
    *fails += s_blame_sum (json_object_get (blame, "fails_by"), first_task, last_task);
}

//  The optional `blame` object of a report (the ackers' counts).
static int
s_check_blame (const json_t *blame)
{
    if (!json_is_object (blame))
        return s_bad ("must be an object", "blame");
    if (s_check_blame_pairs (blame, "timeouts_held") || s_check_blame_pairs (blame, "fails_by") ||
        s_check_count (blame, "timeouts_unattributed") ||
        s_check_count (blame, "fails_unattributed") ||
        s_check_count (blame, "expired_without_init"))
        return -1;
    return 0;
}

int
sq_executor_metrics_check_report (const json_t *json)
{
    if (!json_is_object (json))
        return sq_error_set_code (SQ_EMALFORMED, "metrics: must be an object");
    const json_t *version = json_object_get (json, "v");
    if (!json_is_integer (version) || json_integer_value (version) != SQ_METRICS_VERSION)
        return sq_error_set_code (SQ_EMALFORMED, "metrics: 'v' must be %d", SQ_METRICS_VERSION);
    if (s_check_count (json, "omitted"))
        return SQ_EMALFORMED;
    const json_t *blame = json_object_get (json, "blame");
    if (blame && s_check_blame (blame))
        return SQ_EMALFORMED;
    const json_t *executors;
    if (s_check_array (json, "executors", SQ_METRICS_EXECUTORS_MAX, &executors))
        return SQ_EMALFORMED;
    sq_histogram_t *scratch = sq_histogram_new ();
    if (!scratch)
        return sq_error_set_code (SQ_ENOMEM, "out of memory");
    int rc = 0;
    size_t index;
    const json_t *entry;
    json_array_foreach (executors, index,
                        entry) if ((rc = s_check_executor (entry, scratch)) != 0) break;
    sq_histogram_destroy (&scratch);
    return rc ? SQ_EMALFORMED : 0;
}
