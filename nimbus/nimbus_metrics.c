/*  nimbus_metrics - the heartbeats' executor metrics, folded into windows

    A topology holds its executors in a table keyed "<first task>\n<component>";
    an executor holds its output streams and its inputs in lists (a few
    each, so a linear search is cheap), and each of those holds one
    nimbus_windows per figure. Windows are made when a source is first
    seen, so a failed allocation drops the source whole and the next
    snapshot tries again.
*/
#include "nimbus_metrics.h"
#include "sq_error.h"
#include "squall.h"

#include <czmq.h>
#include <string.h>

#define HELD_KINDS 3 //  max pending, backpressure, inactive

//  Counter figures of an output stream, in snapshot key order.
static const char *const s_stream_counters[] = {"emitted", "transferred", "acked", "failed",
                                                "timed_out"};
#define STREAM_COUNTERS 5
//  Counter figures of an input.
static const char *const s_input_counters[] = {"executed", "acked", "failed"};
#define INPUT_COUNTERS 3
static const char *const s_held_kinds[HELD_KINDS] = {"max_pending", "backpressure", "inactive"};
#define BLAME_KINDS 2 //  timeouts held, fails caused
//  The `blame` object's pair lists, per kind.
static const char *const s_blame_lists[BLAME_KINDS] = {"timeouts_held", "fails_by"};

typedef struct {
    char *component;                             //  inputs: the source component; else NULL
    char *stream;                                //  the stream
    nimbus_windows_t *counters[STREAM_COUNTERS]; //  per s_stream_counters or s_input_counters
    nimbus_windows_t *latency[2]; //  spouts' streams: complete; inputs: execute, process
} s_source_t;

typedef struct {
    char *component;                    //  the component
    int first_task;                     //  its task range
    int last_task;                      //  its task range
    bool spout;                         //  a spout, else a bolt
    uint64_t uptime_ms;                 //  at the latest snapshot
    uint64_t population;                //  receive queue, latest
    uint64_t capacity;                  //  receive queue size, latest
    nimbus_windows_t *errors;           //  errors_total
    nimbus_windows_t *held[HELD_KINDS]; //  held_ns per kind
    json_t *last_errors;                //  the latest snapshot's errors array
    zlistx_t *streams;                  //  s_source_t: output streams
    zlistx_t *inputs;                   //  s_source_t: inputs
} s_executor_t;

//  One culprit task's counts from one worker's ackers (doc/acking.md,
//  "Why a tree failed"): the ackers count per culprit task whichever
//  worker it runs in, so each worker's cumulative counts are a source of
//  their own, keyed by that worker's lowest acker task.
typedef struct {
    int task;                              //  the culprit task
    nimbus_windows_t *counts[BLAME_KINDS]; //  timeouts held, fails caused
} s_blame_t;

typedef struct {
    zhashx_t *executors; //  "<first task>\n<component>" -> s_executor_t
    zhashx_t *blame;     //  "<acker task>\n<culprit task>" -> s_blame_t
    size_t sources;      //  streams + inputs kept
    uint64_t refused;    //  figures refused by the caps
} s_topology_t;

struct _nimbus_metrics_t {
    zhashx_t *topologies; //  id -> s_topology_t
};

static void
s_source_destroy (void **item_p)
{
    s_source_t *source = *item_p;
    if (!source)
        return;
    free (source->component);
    free (source->stream);
    for (int c = 0; c < STREAM_COUNTERS; c++)
        nimbus_windows_destroy (&source->counters[c]);
    nimbus_windows_destroy (&source->latency[0]);
    nimbus_windows_destroy (&source->latency[1]);
    free (source);
    *item_p = NULL;
}

static void
s_executor_destroy (void **item_p)
{
    s_executor_t *executor = *item_p;
    if (!executor)
        return;
    free (executor->component);
    nimbus_windows_destroy (&executor->errors);
    for (int k = 0; k < HELD_KINDS; k++)
        nimbus_windows_destroy (&executor->held[k]);
    json_decref (executor->last_errors);
    zlistx_destroy (&executor->streams);
    zlistx_destroy (&executor->inputs);
    free (executor);
    *item_p = NULL;
}

static void
s_blame_destroy (void **item_p)
{
    s_blame_t *blame = *item_p;
    if (!blame)
        return;
    for (int k = 0; k < BLAME_KINDS; k++)
        nimbus_windows_destroy (&blame->counts[k]);
    free (blame);
    *item_p = NULL;
}

static void
s_topology_destroy (void **item_p)
{
    s_topology_t *topology = *item_p;
    if (!topology)
        return;
    zhashx_destroy (&topology->executors);
    zhashx_destroy (&topology->blame);
    free (topology);
    *item_p = NULL;
}

nimbus_metrics_t *
nimbus_metrics_new (void)
{
    nimbus_metrics_t *self = calloc (1, sizeof (nimbus_metrics_t));
    if (!self)
        return NULL;
    self->topologies = zhashx_new ();
    if (!self->topologies) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->topologies, s_topology_destroy);
    return self;
}

void
nimbus_metrics_destroy (nimbus_metrics_t **self_p)
{
    assert (self_p);
    nimbus_metrics_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->topologies);
    free (self);
    *self_p = NULL;
}

void
nimbus_metrics_forget (nimbus_metrics_t *self, const char *topology_id)
{
    assert (self && topology_id);
    zhashx_delete (self->topologies, topology_id);
}

static s_topology_t *
s_topology (nimbus_metrics_t *self, const char *topology_id)
{
    return zhashx_lookup (self->topologies, topology_id);
}

uint64_t
nimbus_metrics_refused (nimbus_metrics_t *self, const char *topology_id)
{
    assert (self);
    s_topology_t *topology = s_topology (self, topology_id);
    return topology ? topology->refused : 0;
}

size_t
nimbus_metrics_sources (nimbus_metrics_t *self, const char *topology_id)
{
    assert (self);
    s_topology_t *topology = s_topology (self, topology_id);
    return topology ? topology->sources : 0;
}

//  ---------------------------------------------------------------------
//  Folding

static uint64_t
s_count (const json_t *object, const char *key)
{
    json_int_t value = json_integer_value (json_object_get (object, key));
    return value > 0 ? (uint64_t) value : 0;
}

//  New windows, all of them or none.
static int
s_windows (nimbus_windows_t **windows, size_t count, bool histogram)
{
    for (size_t w = 0; w < count; w++) {
        windows[w] = nimbus_windows_new (histogram);
        if (!windows[w]) {
            while (w-- > 0)
                nimbus_windows_destroy (&windows[w]);
            return -1;
        }
    }
    return 0;
}

static s_topology_t *
s_topology_require (nimbus_metrics_t *self, const char *topology_id)
{
    s_topology_t *topology = s_topology (self, topology_id);
    if (topology)
        return topology;
    topology = calloc (1, sizeof (s_topology_t));
    if (topology) {
        topology->executors = zhashx_new ();
        topology->blame = zhashx_new ();
    }
    if (!topology || !topology->executors || !topology->blame ||
        zhashx_insert (self->topologies, topology_id, topology)) {
        s_topology_destroy ((void **) &topology);
        return NULL;
    }
    zhashx_set_destructor (topology->executors, s_executor_destroy);
    zhashx_set_destructor (topology->blame, s_blame_destroy);
    return topology;
}

//  The executor of a snapshot entry, made when new; NULL when refused or
//  out of memory.
static s_executor_t *
s_executor_require (s_topology_t *topology, const json_t *entry)
{
    const char *component = json_string_value (json_object_get (entry, "component"));
    const json_t *tasks = json_object_get (entry, "tasks");
    int first = (int) json_integer_value (json_array_get (tasks, 0));
    int last = (int) json_integer_value (json_array_get (tasks, 1));
    if (!component)
        return NULL;
    char *key = zsys_sprintf ("%d\n%s", first, component);
    if (!key)
        return NULL;
    s_executor_t *executor = zhashx_lookup (topology->executors, key);
    if (!executor && zhashx_size (topology->executors) >= NIMBUS_METRICS_MAX_EXECUTORS)
        topology->refused++;
    else if (!executor) {
        executor = calloc (1, sizeof (s_executor_t));
        bool made = executor && (executor->component = strdup (component)) &&
                    (executor->streams = zlistx_new ()) && (executor->inputs = zlistx_new ()) &&
                    s_windows (&executor->errors, 1, false) == 0;
        if (made && s_windows (executor->held, HELD_KINDS, false) == 0)
            made = zhashx_insert (topology->executors, key, executor) == 0;
        else
            made = false;
        if (!made)
            s_executor_destroy ((void **) &executor);
        else {
            zlistx_set_destructor (executor->streams, s_source_destroy);
            zlistx_set_destructor (executor->inputs, s_source_destroy);
            executor->first_task = first;
            executor->last_task = last;
        }
    }
    free (key);
    return executor;
}

static bool
s_same (const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp (a, b) == 0);
}

//  The source of a stream (component NULL) or input in list, made when
//  new; NULL when refused or out of memory.
static s_source_t *
s_source_require (s_topology_t *topology, zlistx_t *list, const char *component, const char *stream,
                  bool input, int histograms)
{
    for (s_source_t *source = zlistx_first (list); source; source = zlistx_next (list))
        if (s_same (source->component, component) && strcmp (source->stream, stream) == 0)
            return source;
    if (topology->sources >= NIMBUS_METRICS_MAX_SOURCES) {
        topology->refused++;
        return NULL;
    }
    s_source_t *source = calloc (1, sizeof (s_source_t));
    bool made = source && (source->stream = strdup (stream)) &&
                (!component || (source->component = strdup (component))) &&
                s_windows (source->counters, input ? INPUT_COUNTERS : STREAM_COUNTERS, false) == 0;
    if (made && s_windows (source->latency, (size_t) histograms, true) == 0)
        made = zlistx_add_end (list, source) != NULL;
    else
        made = false;
    if (!made) {
        s_source_destroy ((void **) &source);
        return NULL;
    }
    topology->sources++;
    return source;
}

//  Fold a snapshot histogram into windows. Returns 0 or -1.
static int
s_fold_histogram (nimbus_windows_t *windows, const json_t *json, uint64_t now_ms,
                  uint64_t uptime_ms, sq_histogram_t *scratch)
{
    if (!windows || !json)
        return 0;
    if (sq_histogram_decode (scratch, json))
        return 0; //  checked already; a stranger's form is skipped
    return nimbus_windows_add_histogram (windows, now_ms, uptime_ms, scratch);
}

static int
s_fold_executor (s_topology_t *topology, s_executor_t *executor, const json_t *entry,
                 uint64_t now_ms, sq_histogram_t *scratch)
{
    uint64_t uptime_ms = s_count (entry, "uptime_ns") / 1000000;
    executor->spout = json_is_true (json_object_get (entry, "spout"));
    executor->uptime_ms = uptime_ms;
    const json_t *queue = json_object_get (entry, "queue");
    executor->population = s_count (queue, "population");
    executor->capacity = s_count (queue, "capacity");
    nimbus_windows_add_counter (executor->errors, now_ms, uptime_ms,
                                s_count (entry, "errors_total"));
    const json_t *held = json_object_get (entry, "held_ns");
    for (int k = 0; k < HELD_KINDS; k++)
        nimbus_windows_add_counter (executor->held[k], now_ms, uptime_ms,
                                    s_count (held, s_held_kinds[k]));
    json_t *errors = json_object_get (entry, "errors");
    json_decref (executor->last_errors);
    executor->last_errors = json_incref (errors);

    int rc = 0;
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (entry, "streams"), i, item)
    {
        const char *stream = json_string_value (json_object_get (item, "stream"));
        s_source_t *source = stream ? s_source_require (topology, executor->streams, NULL, stream,
                                                        false, executor->spout ? 1 : 0)
                                    : NULL;
        if (!source)
            continue;
        for (int c = 0; c < STREAM_COUNTERS; c++)
            nimbus_windows_add_counter (source->counters[c], now_ms, uptime_ms,
                                        s_count (item, s_stream_counters[c]));
        rc |= s_fold_histogram (source->latency[0], json_object_get (item, "complete_latency"),
                                now_ms, uptime_ms, scratch);
    }
    json_array_foreach (json_object_get (entry, "inputs"), i, item)
    {
        const char *component = json_string_value (json_object_get (item, "component"));
        const char *stream = json_string_value (json_object_get (item, "stream"));
        s_source_t *source = component && stream ? s_source_require (topology, executor->inputs,
                                                                     component, stream, true, 2)
                                                 : NULL;
        if (!source)
            continue;
        for (int c = 0; c < INPUT_COUNTERS; c++)
            nimbus_windows_add_counter (source->counters[c], now_ms, uptime_ms,
                                        s_count (item, s_input_counters[c]));
        rc |= s_fold_histogram (source->latency[0], json_object_get (item, "execute_latency"),
                                now_ms, uptime_ms, scratch);
        rc |= s_fold_histogram (source->latency[1], json_object_get (item, "process_latency"),
                                now_ms, uptime_ms, scratch);
    }
    return rc;
}

//  The culprit task's windows for the worker whose lowest acker task is
//  acker, made when new; NULL when refused or out of memory.
static s_blame_t *
s_blame_require (s_topology_t *topology, int acker, int task)
{
    char key[32];
    snprintf (key, sizeof key, "%d\n%d", acker, task);
    s_blame_t *blame = zhashx_lookup (topology->blame, key);
    if (blame)
        return blame;
    if (zhashx_size (topology->blame) >= NIMBUS_METRICS_MAX_BLAME) {
        topology->refused++;
        return NULL;
    }
    blame = calloc (1, sizeof (s_blame_t));
    if (!blame || s_windows (blame->counts, BLAME_KINDS, false) ||
        zhashx_insert (topology->blame, key, blame)) {
        s_blame_destroy ((void **) &blame);
        return NULL;
    }
    blame->task = task;
    return blame;
}

//  Fold the snapshot's `blame` object, if any: its ackers' uptime is the
//  longest of its acker executors'. A snapshot whose acker executors were
//  left out (the size cap) is keyed 0 with uptime 0: two such workers
//  would share windows, which then count a restart where there was none.
//  Returns 0, or -1 when out of memory.
static int
s_fold_blame (s_topology_t *topology, const json_t *metrics, uint64_t now_ms)
{
    const json_t *blame = json_object_get (metrics, "blame");
    if (!json_is_object (blame))
        return 0;
    int acker = 0;
    uint64_t uptime_ms = 0;
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (metrics, "executors"), i, entry)
    {
        const char *component = json_string_value (json_object_get (entry, "component"));
        if (!component || strcmp (component, SQ_ACKER_COMPONENT) != 0)
            continue;
        int first = (int) json_integer_value (json_array_get (json_object_get (entry, "tasks"), 0));
        if (acker == 0 || first < acker)
            acker = first;
        uint64_t uptime = s_count (entry, "uptime_ns") / 1000000;
        if (uptime > uptime_ms)
            uptime_ms = uptime;
    }
    int rc = 0;
    for (int k = 0; k < BLAME_KINDS; k++) {
        json_t *pair;
        json_array_foreach (json_object_get (blame, s_blame_lists[k]), i, pair)
        {
            json_int_t task = json_integer_value (json_array_get (pair, 0));
            json_int_t count = json_integer_value (json_array_get (pair, 1));
            if (task < 1 || task > 65535 || count < 0)
                continue; //  checked already; skipped all the same
            uint64_t refused = topology->refused;
            s_blame_t *windows = s_blame_require (topology, acker, (int) task);
            if (windows)
                nimbus_windows_add_counter (windows->counts[k], now_ms, uptime_ms,
                                            (uint64_t) count);
            else if (topology->refused == refused)
                rc = -1; //  out of memory, not the cap
        }
    }
    return rc;
}

int
nimbus_metrics_fold (nimbus_metrics_t *self, const char *topology_id, const json_t *metrics,
                     uint64_t now_ms)
{
    assert (self && topology_id);
    const json_t *executors = json_object_get (metrics, "executors");
    if (!json_is_array (executors))
        return 0;
    s_topology_t *topology = s_topology_require (self, topology_id);
    sq_histogram_t *scratch = sq_histogram_new ();
    if (!topology || !scratch) {
        sq_histogram_destroy (&scratch);
        return -1;
    }
    int rc = 0;
    size_t i;
    json_t *entry;
    json_array_foreach (executors, i, entry)
    {
        s_executor_t *executor = s_executor_require (topology, entry);
        if (executor)
            rc |= s_fold_executor (topology, executor, entry, now_ms, scratch);
    }
    sq_histogram_destroy (&scratch);
    rc |= s_fold_blame (topology, metrics, now_ms);
    return rc ? -1 : 0;
}

//  ---------------------------------------------------------------------
//  Reading

int
nimbus_metrics_stats_init (nimbus_metrics_stats_t *stats)
{
    assert (stats);
    *stats = (nimbus_metrics_stats_t){0};
    stats->complete_latency = sq_histogram_new ();
    stats->execute_latency = sq_histogram_new ();
    stats->process_latency = sq_histogram_new ();
    if (stats->complete_latency && stats->execute_latency && stats->process_latency)
        return 0;
    nimbus_metrics_stats_free (stats);
    return -1;
}

void
nimbus_metrics_stats_free (nimbus_metrics_stats_t *stats)
{
    assert (stats);
    sq_histogram_destroy (&stats->complete_latency);
    sq_histogram_destroy (&stats->execute_latency);
    sq_histogram_destroy (&stats->process_latency);
}

static bool
s_is_system (const char *id)
{
    return id && strncmp (id, "__", 2) == 0;
}

static uint64_t
s_add (uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

//  Does the filter take this executor?
static bool
s_takes_executor (const nimbus_metrics_filter_t *filter, const s_executor_t *executor)
{
    if (filter->component && strcmp (filter->component, executor->component) != 0)
        return false;
    if (filter->first_task && filter->first_task != executor->first_task)
        return false;
    if (filter->spouts && !executor->spout)
        return false;
    return filter->sys || !s_is_system (executor->component);
}

//  Does the filter take this source (inputs: component not NULL)?
static bool
s_takes_source (const nimbus_metrics_filter_t *filter, const s_source_t *source)
{
    if (!filter->sys && (s_is_system (source->stream) || s_is_system (source->component)))
        return false;
    if (source->component) {
        if (filter->stream)
            return false;
        if (filter->input_component && strcmp (filter->input_component, source->component) != 0)
            return false;
        return !filter->input_stream || strcmp (filter->input_stream, source->stream) == 0;
    }
    if (filter->input_component)
        return false;
    return !filter->stream || strcmp (filter->stream, source->stream) == 0;
}

void
nimbus_metrics_stats (nimbus_metrics_t *self, const char *topology_id,
                      const nimbus_metrics_filter_t *filter, nimbus_window_t window,
                      uint64_t now_ms, nimbus_metrics_stats_t *stats)
{
    assert (self && filter && stats && stats->complete_latency);
    sq_histogram_t *complete = stats->complete_latency;
    sq_histogram_t *execute = stats->execute_latency;
    sq_histogram_t *process = stats->process_latency;
    *stats = (nimbus_metrics_stats_t){
        .complete_latency = complete, .execute_latency = execute, .process_latency = process};
    sq_histogram_reset (complete);
    sq_histogram_reset (execute);
    sq_histogram_reset (process);
    s_topology_t *topology = s_topology (self, topology_id);
    sq_histogram_t *one = topology ? sq_histogram_new () : NULL;
    sq_histogram_t *mine = topology ? sq_histogram_new () : NULL;
    for (s_executor_t *executor = one && mine ? zhashx_first (topology->executors) : NULL; executor;
         executor = zhashx_next (topology->executors)) {
        if (!s_takes_executor (filter, executor))
            continue;
        stats->executors++;
        stats->queue_population = s_add (stats->queue_population, executor->population);
        stats->queue_capacity = s_add (stats->queue_capacity, executor->capacity);
        if (executor->uptime_ms > stats->uptime_ms)
            stats->uptime_ms = executor->uptime_ms;
        stats->errors =
            s_add (stats->errors, nimbus_windows_counter (executor->errors, window, now_ms));
        for (int k = 0; k < HELD_KINDS; k++)
            stats->held_ns[k] = s_add (stats->held_ns[k],
                                       nimbus_windows_counter (executor->held[k], window, now_ms));
        uint64_t span = nimbus_windows_span_ms (executor->errors, window, now_ms);
        if (span > stats->span_ms)
            stats->span_ms = span;
        for (s_blame_t *blame = zhashx_first (topology->blame); blame;
             blame = zhashx_next (topology->blame)) {
            if (blame->task < executor->first_task || blame->task > executor->last_task)
                continue;
            stats->timeouts_held = s_add (
                stats->timeouts_held, nimbus_windows_counter (blame->counts[0], window, now_ms));
            stats->fails_blamed = s_add (stats->fails_blamed,
                                         nimbus_windows_counter (blame->counts[1], window, now_ms));
        }
        for (s_source_t *source = zlistx_first (executor->streams); source;
             source = zlistx_next (executor->streams)) {
            if (!s_takes_source (filter, source))
                continue;
            uint64_t value[STREAM_COUNTERS];
            for (int c = 0; c < STREAM_COUNTERS; c++)
                value[c] = nimbus_windows_counter (source->counters[c], window, now_ms);
            stats->emitted = s_add (stats->emitted, value[0]);
            stats->transferred = s_add (stats->transferred, value[1]);
            stats->acked = s_add (stats->acked, value[2]);
            stats->failed = s_add (stats->failed, value[3]);
            stats->timed_out = s_add (stats->timed_out, value[4]);
            if (source->latency[0]) {
                nimbus_windows_histogram (source->latency[0], window, now_ms, one);
                sq_histogram_merge (complete, one);
            }
        }
        //  Capacity is the executor's: all its inputs, whatever the filter.
        uint64_t executed_all = 0;
        sq_histogram_reset (mine);
        for (s_source_t *source = zlistx_first (executor->inputs); source;
             source = zlistx_next (executor->inputs)) {
            uint64_t executed = nimbus_windows_counter (source->counters[0], window, now_ms);
            nimbus_windows_histogram (source->latency[0], window, now_ms, one);
            executed_all = s_add (executed_all, executed);
            sq_histogram_merge (mine, one);
            if (!s_takes_source (filter, source))
                continue;
            sq_histogram_merge (execute, one);
            stats->executed = s_add (stats->executed, executed);
            stats->acked =
                s_add (stats->acked, nimbus_windows_counter (source->counters[1], window, now_ms));
            stats->failed =
                s_add (stats->failed, nimbus_windows_counter (source->counters[2], window, now_ms));
            nimbus_windows_histogram (source->latency[1], window, now_ms, one);
            sq_histogram_merge (process, one);
        }
        double capacity = nimbus_windows_capacity (executed_all, sq_histogram_mean (mine), span);
        if (capacity > stats->capacity)
            stats->capacity = capacity;
    }
    sq_histogram_destroy (&one);
    sq_histogram_destroy (&mine);
}

json_t *
nimbus_metrics_keys (nimbus_metrics_t *self, const char *topology_id, const char *component,
                     bool inputs, bool sys)
{
    assert (self && component);
    json_t *keys = json_array ();
    s_topology_t *topology = s_topology (self, topology_id);
    for (s_executor_t *executor = keys && topology ? zhashx_first (topology->executors) : NULL;
         executor; executor = zhashx_next (topology->executors)) {
        if (strcmp (executor->component, component) != 0)
            continue;
        zlistx_t *list = inputs ? executor->inputs : executor->streams;
        for (s_source_t *source = zlistx_first (list); source; source = zlistx_next (list)) {
            if (!sys && (s_is_system (source->stream) || s_is_system (source->component)))
                continue;
            json_t *key = inputs ? json_pack ("[s, s]", source->component, source->stream)
                                 : json_string (source->stream);
            bool known = false;
            size_t i;
            json_t *other;
            json_array_foreach (keys, i, other) known |= json_equal (other, key);
            if (known)
                json_decref (key);
            else if (json_array_append_new (keys, key)) {
                json_decref (keys);
                return NULL;
            }
        }
    }
    return keys;
}

static int
s_newest_first (const void *a, const void *b)
{
    json_int_t ta = json_integer_value (json_object_get (*(json_t *const *) a, "time_ms"));
    json_int_t tb = json_integer_value (json_object_get (*(json_t *const *) b, "time_ms"));
    return ta < tb ? 1 : ta > tb ? -1 : 0;
}

json_t *
nimbus_metrics_errors (nimbus_metrics_t *self, const char *topology_id, const char *component,
                       size_t limit)
{
    assert (self && component);
    s_topology_t *topology = s_topology (self, topology_id);
    size_t total = 0;
    for (s_executor_t *executor = topology ? zhashx_first (topology->executors) : NULL; executor;
         executor = zhashx_next (topology->executors))
        if (strcmp (executor->component, component) == 0)
            total += json_array_size (executor->last_errors);
    json_t **all = calloc (total ? total : 1, sizeof (json_t *));
    json_t *errors = all ? json_array () : NULL;
    if (!errors) {
        free (all);
        return NULL;
    }
    size_t count = 0;
    for (s_executor_t *executor = topology ? zhashx_first (topology->executors) : NULL; executor;
         executor = zhashx_next (topology->executors)) {
        if (strcmp (executor->component, component) != 0)
            continue;
        size_t i;
        json_t *error;
        json_array_foreach (executor->last_errors, i, error) all[count++] = error;
    }
    qsort (all, count, sizeof (json_t *), s_newest_first);
    for (size_t e = 0; e < count && e < limit; e++)
        json_array_append (errors, all[e]);
    free (all);
    return errors;
}

json_t *
nimbus_metrics_executors (nimbus_metrics_t *self, const char *topology_id)
{
    assert (self);
    json_t *executors = json_array ();
    s_topology_t *topology = s_topology (self, topology_id);
    for (s_executor_t *executor = executors && topology ? zhashx_first (topology->executors) : NULL;
         executor; executor = zhashx_next (topology->executors))
        json_array_append_new (executors,
                               json_pack ("[s, i, i, b]", executor->component, executor->first_task,
                                          executor->last_task, executor->spout));
    return executors;
}

//  ---------------------------------------------------------------------
//  Prometheus

//  What a family shows: an output stream's or an input's figure (counter
//  or histogram), or an executor's.
typedef enum { S_STREAM, S_INPUT, S_EXECUTOR } s_scope_t;

static const struct {
    const char *name;          //  family name (counters get _total)
    sq_prometheus_type_t type; //  counter, gauge or histogram
    s_scope_t scope;           //  what it is per
    int figure;                //  counter or latency index; executor: which figure
    bool spouts;               //  only spouts' streams
    const char *help;          //  its meaning
} s_families[] = {
    {"squall_stream_emitted_tuples", SQ_PROMETHEUS_COUNTER, S_STREAM, 0, false,
     "Tuples emitted on the stream by the executor."},
    {"squall_stream_transferred_tuples", SQ_PROMETHEUS_COUNTER, S_STREAM, 1, false,
     "Tuples sent to tasks on the stream by the executor."},
    {"squall_stream_acked_trees", SQ_PROMETHEUS_COUNTER, S_STREAM, 2, true,
     "Spout tuple trees completed."},
    {"squall_stream_failed_trees", SQ_PROMETHEUS_COUNTER, S_STREAM, 3, true,
     "Spout tuple trees failed explicitly (timeouts apart)."},
    {"squall_stream_timed_out_trees", SQ_PROMETHEUS_COUNTER, S_STREAM, 4, true,
     "Spout tuple trees timed out."},
    {"squall_stream_complete_latency_seconds", SQ_PROMETHEUS_HISTOGRAM, S_STREAM, 0, true,
     "Time from a spout's emit to its tree's completion."},
    {"squall_input_executed_tuples", SQ_PROMETHEUS_COUNTER, S_INPUT, 0, false,
     "Tuples of the input given to the bolt's execute."},
    {"squall_input_acked_tuples", SQ_PROMETHEUS_COUNTER, S_INPUT, 1, false,
     "Tuples of the input the bolt acked."},
    {"squall_input_failed_tuples", SQ_PROMETHEUS_COUNTER, S_INPUT, 2, false,
     "Tuples of the input the bolt failed."},
    {"squall_input_execute_latency_seconds", SQ_PROMETHEUS_HISTOGRAM, S_INPUT, 0, false,
     "Time the bolt's execute took per tuple of the input."},
    {"squall_input_process_latency_seconds", SQ_PROMETHEUS_HISTOGRAM, S_INPUT, 1, false,
     "Time from a tuple's arrival to its ack."},
    {"squall_executor_errors", SQ_PROMETHEUS_COUNTER, S_EXECUTOR, 0, false,
     "Errors the executor's tasks reported."},
    {"squall_executor_held_seconds", SQ_PROMETHEUS_GAUGE, S_EXECUTOR, 1, true,
     "Seconds the spout was held back, by reason (max pending, backpressure, inactive)."},
    {"squall_executor_receive_queue_population", SQ_PROMETHEUS_GAUGE, S_EXECUTOR, 2, false,
     "Messages in the receive queue at the latest heartbeat."},
    {"squall_executor_receive_queue_capacity", SQ_PROMETHEUS_GAUGE, S_EXECUTOR, 3, false,
     "Size of the receive queue."},
    {"squall_executor_capacity_ratio", SQ_PROMETHEUS_GAUGE, S_EXECUTOR, 4, false,
     "Storm's capacity over the last 10 minutes: share of the time spent executing."},
    {"squall_executor_uptime_seconds", SQ_PROMETHEUS_GAUGE, S_EXECUTOR, 5, false,
     "Executor uptime at the latest heartbeat."},
};

//  Samples of family f for one executor, labels filled up to the task.
static int
s_write_executor (sq_prometheus_t *out, size_t f, s_executor_t *executor, const char **labels,
                  uint64_t now_ms, sq_histogram_t *scratch)
{
    int rc = 0;
    if (s_families[f].spouts && !executor->spout)
        return 0;
    if (s_families[f].scope == S_EXECUTOR) {
        if (s_families[f].figure == 0)
            return sq_prometheus_counter (
                out, labels, nimbus_windows_counter (executor->errors, NIMBUS_WINDOW_ALL, now_ms));
        if (s_families[f].figure == 1) {
            for (int k = 0; rc == 0 && k < HELD_KINDS; k++) {
                labels[6] = "reason";
                labels[7] = s_held_kinds[k];
                rc = sq_prometheus_gauge (
                    out, labels,
                    nimbus_windows_counter (executor->held[k], NIMBUS_WINDOW_ALL, now_ms) / 1e9);
            }
            return rc;
        }
        double value = (double) executor->population;
        if (s_families[f].figure == 3)
            value = (double) executor->capacity;
        else if (s_families[f].figure == 5)
            value = (double) executor->uptime_ms / 1000.0;
        else if (s_families[f].figure == 4) {
            uint64_t executed = 0;
            sq_histogram_t *one = sq_histogram_new ();
            if (!one)
                return SQ_ENOMEM;
            sq_histogram_reset (scratch);
            for (s_source_t *source = zlistx_first (executor->inputs); source;
                 source = zlistx_next (executor->inputs)) {
                executed = s_add (executed, nimbus_windows_counter (source->counters[0],
                                                                    NIMBUS_WINDOW_10M, now_ms));
                nimbus_windows_histogram (source->latency[0], NIMBUS_WINDOW_10M, now_ms, one);
                sq_histogram_merge (scratch, one);
            }
            sq_histogram_destroy (&one);
            value = nimbus_windows_capacity (
                executed, sq_histogram_mean (scratch),
                nimbus_windows_span_ms (executor->errors, NIMBUS_WINDOW_10M, now_ms));
        }
        return sq_prometheus_gauge (out, labels, value);
    }
    bool input = s_families[f].scope == S_INPUT;
    zlistx_t *list = input ? executor->inputs : executor->streams;
    for (s_source_t *source = zlistx_first (list); rc == 0 && source; source = zlistx_next (list)) {
        labels[6] = "stream";
        labels[7] = source->stream;
        labels[8] = input ? "source_component" : NULL;
        labels[9] = input ? source->component : NULL;
        if (s_families[f].type == SQ_PROMETHEUS_HISTOGRAM && !source->latency[s_families[f].figure])
            continue; //  a bolt's output streams have no complete latency
        if (s_families[f].type == SQ_PROMETHEUS_HISTOGRAM) {
            nimbus_windows_histogram (source->latency[s_families[f].figure], NIMBUS_WINDOW_ALL,
                                      now_ms, scratch);
            rc = sq_prometheus_histogram (out, labels, scratch);
        } else
            rc = sq_prometheus_counter (
                out, labels,
                nimbus_windows_counter (source->counters[s_families[f].figure], NIMBUS_WINDOW_ALL,
                                        now_ms));
    }
    return rc;
}

static const struct {
    const char *name; //  family name (a counter: gets _total)
    const char *help; //  its meaning
} s_blame_families[BLAME_KINDS] = {
    {"squall_timeouts_held", "Tuple trees that timed out while the task held them (all ackers)."},
    {"squall_fails_blamed", "Tuple trees whose first fail came from the task (all ackers)."},
};

//  The blame family of kind k: one sample per task of every executor that
//  sent metrics, summed over every worker's ackers; tasks of no known
//  executor have no component and are left out.
static int
s_write_blame (nimbus_metrics_t *self, sq_prometheus_t *out, const json_t *names, int k,
               uint64_t now_ms)
{
    int rc = sq_prometheus_family (out, s_blame_families[k].name, SQ_PROMETHEUS_COUNTER,
                                   s_blame_families[k].help);
    uint64_t *per_task = calloc (65536, sizeof (uint64_t));
    if (!per_task)
        return SQ_ENOMEM;
    for (s_topology_t *topology = zhashx_first (self->topologies); rc == 0 && topology;
         topology = zhashx_next (self->topologies)) {
        const char *id = zhashx_cursor (self->topologies);
        const char *name = json_string_value (json_object_get (names, id));
        memset (per_task, 0, 65536 * sizeof (uint64_t));
        for (s_blame_t *blame = zhashx_first (topology->blame); blame;
             blame = zhashx_next (topology->blame))
            per_task[blame->task] =
                s_add (per_task[blame->task],
                       nimbus_windows_counter (blame->counts[k], NIMBUS_WINDOW_ALL, now_ms));
        for (s_executor_t *executor = zhashx_first (topology->executors); rc == 0 && executor;
             executor = zhashx_next (topology->executors))
            for (int task = executor->first_task;
                 rc == 0 && task <= executor->last_task && task >= 1 && task <= 65535; task++) {
                char label[16];
                snprintf (label, sizeof label, "%d", task);
                const char *labels[] = {
                    "topology", name ? name : id, "component", executor->component, "task", label,
                    NULL};
                rc = sq_prometheus_counter (out, labels, per_task[task]);
            }
    }
    free (per_task);
    return rc;
}

int
nimbus_metrics_prometheus (nimbus_metrics_t *self, sq_prometheus_t *out, const json_t *names,
                           uint64_t now_ms)
{
    assert (self && out);
    sq_histogram_t *scratch = sq_histogram_new ();
    if (!scratch)
        return SQ_ENOMEM;
    int rc = 0;
    for (size_t f = 0; rc == 0 && f < sizeof s_families / sizeof s_families[0]; f++) {
        rc = sq_prometheus_family (out, s_families[f].name, s_families[f].type, s_families[f].help);
        for (s_topology_t *topology = zhashx_first (self->topologies); rc == 0 && topology;
             topology = zhashx_next (self->topologies)) {
            const char *id = zhashx_cursor (self->topologies);
            const char *name = json_string_value (json_object_get (names, id));
            for (s_executor_t *executor = zhashx_first (topology->executors); rc == 0 && executor;
                 executor = zhashx_next (topology->executors)) {
                char task[32];
                snprintf (task, sizeof task, "%d-%d", executor->first_task, executor->last_task);
                const char *labels[11] = {"topology",          name ? name : id, "component",
                                          executor->component, "task",           task};
                rc = s_write_executor (out, f, executor, labels, now_ms, scratch);
            }
        }
    }
    sq_histogram_destroy (&scratch);
    for (int k = 0; rc == 0 && k < BLAME_KINDS; k++)
        rc = s_write_blame (self, out, names, k, now_ms);
    if (rc == 0)
        rc = sq_prometheus_family (out, "squall_topology_metrics_refused", SQ_PROMETHEUS_COUNTER,
                                   "Heartbeat figures nimbus did not keep: the topology has "
                                   "more streams, inputs or executors than its caps.");
    for (s_topology_t *topology = zhashx_first (self->topologies); rc == 0 && topology;
         topology = zhashx_next (self->topologies)) {
        const char *id = zhashx_cursor (self->topologies);
        const char *name = json_string_value (json_object_get (names, id));
        const char *labels[] = {"topology", name ? name : id, NULL};
        rc = sq_prometheus_counter (out, labels, topology->refused);
    }
    return rc;
}
