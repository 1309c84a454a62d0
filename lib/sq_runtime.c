/*  sq_runtime - one topology running in this process */
#include "sq_runtime.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_task_layout.h"
#include "sq_windowed_bolt.h"

#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Timeouts rotate through three buckets: a tree expires between one and
//  one and a half timeouts after it started.
#define SQ_TIMEOUT_BUCKETS 3

//  Check the config keys the runtime reads; component names the component
//  whose overrides the config includes, NULL for the topology's own.
static int
s_check_config (const sq_config_t *config, const char *component)
{
    char owner[200] = "";
    if (component)
        snprintf (owner, sizeof owner, " (component '%s')", component);
    static const char *non_negative[] = {
        "topology.acker.executors",
        "topology.message.timeout.secs",
        "topology.max.spout.pending",
        "topology.tick.tuple.freq.secs",
        "topology.sleep.spout.wait.strategy.time.ms",
        "topology.spout.wait.progressive.level1.count",
        "topology.spout.wait.progressive.level2.count",
        "topology.spout.wait.progressive.level3.sleep.millis",
        "squall.spout.wait.progressive.max.sleep.millis",
        "topology.bolt.wait.progressive.level1.count",
        "topology.bolt.wait.progressive.level2.count",
        "topology.bolt.wait.progressive.level3.sleep.millis",
        "topology.backpressure.wait.progressive.level1.count",
        "topology.backpressure.wait.progressive.level2.count",
        "topology.backpressure.wait.progressive.level3.sleep.millis",
    };
    for (size_t i = 0; i < sizeof non_negative / sizeof *non_negative; i++)
        if (sq_config_int (config, non_negative[i], 0) < 0)
            return sq_error_set ("config key '%s'%s must not be negative, got %lld",
                                 non_negative[i], owner,
                                 (long long) sq_config_int (config, non_negative[i], 0));
    if (sq_executor_check_wait_strategies (config))
        return sq_error_set ("%s%s", sq_last_error (), owner);
    static const char *positive[] = {"topology.executor.receive.buffer.size",
                                     "topology.producer.batch.size"};
    for (size_t i = 0; i < sizeof positive / sizeof *positive; i++)
        if (sq_config_int (config, positive[i], 0) < 1)
            return sq_error_set ("config key '%s'%s must be at least 1, got %lld", positive[i],
                                 owner, (long long) sq_config_int (config, positive[i], 0));
    return 0;
}

//  Check the effective config, and every component's overrides over it
//  (tasks run with those: topology.max.spout.pending, ticks).
static int
s_check_configs (const sq_topology_t *topology, const sq_config_t *effective)
{
    if (s_check_config (effective, NULL))
        return -1;
    for (size_t c = 0; c < sq_topology_component_count (topology); c++) {
        const sq_component_t *component = sq_topology_component_at (topology, c);
        sq_config_t *merged = sq_config_dup (effective);
        if (!merged)
            return sq_error_set ("out of memory");
        sq_config_merge (merged, component->config);
        int rc = s_check_config (merged, component->id);
        if (rc == 0 && component->windowed)
            rc = sq_windowed_bolt_check (component, merged, NULL);
        sq_config_destroy (&merged);
        if (rc)
            return -1;
    }
    return 0;
}

//  topology.stats.sample.rate, kept within (0, 1]: the fraction of
//  executes whose latency is measured.
static double
s_sample_rate (const sq_config_t *config)
{
    double rate = sq_config_double (config, "topology.stats.sample.rate", 0.05);
    if (!(rate > 0))
        return 1.0 / 1024;
    return rate > 1 ? 1 : rate;
}

//  Give an executor its metrics: output streams in declaration order,
//  inputs in subscription order, each input keyed by its source's schema
//  so that a tuple's stream pointer names its input.
static int
s_create_metrics (sq_runtime_t *self, sq_executor_t *executor)
{
    const sq_component_t *component = executor->component;
    size_t inputs = component->subscription_count;
    const char **streams = calloc (component->stream_count + 1, sizeof (char *));
    const char **sources = calloc (inputs + 1, sizeof (char *));
    const char **source_streams = calloc (inputs + 1, sizeof (char *));
    executor->inputs = calloc (inputs + 1, sizeof (sq_executor_input_t));
    int rc = streams && sources && source_streams && executor->inputs ? 0 : -1;
    for (size_t s = 0; rc == 0 && s < component->stream_count; s++)
        streams[s] = component->streams[s]->name;
    for (size_t i = 0; rc == 0 && i < inputs; i++) {
        const sq_subscription_t *input = &component->subscriptions[i];
        sources[i] = input->source;
        source_streams[i] = input->stream;
        const sq_component_t *source = sq_topology_component (self->topology, input->source);
        for (size_t s = 0; source && s < source->stream_count; s++)
            if (strcmp (source->streams[s]->name, input->stream) == 0)
                executor->inputs[i].schema = source->streams[s];
    }
    executor->input_count = inputs;
    if (rc == 0) {
        sq_executor_metrics_shape_t shape = {
            .component = component->id,
            .spout = component->spout != NULL,
            .first_task = executor->tasks[0]->task_id,
            .last_task = executor->tasks[executor->task_count - 1]->task_id,
            .streams = streams,
            .stream_count = component->stream_count,
            .input_components = sources,
            .input_streams = source_streams,
            .input_count = inputs,
            .queue_capacity = (size_t) sq_config_int (
                self->config, "topology.executor.receive.buffer.size", 16384),
            .created_ns = sq_runtime_now_ns (),
            .latency_sample_rate = s_sample_rate (executor->tasks[0]->config)};
        executor->metrics = sq_executor_metrics_new (&shape);
        for (size_t i = 0; executor->metrics && i < inputs; i++)
            executor->inputs[i].runs = sq_executor_metrics_runs (executor->metrics, i);
        const sq_config_t *config = executor->tasks[0]->config;
        executor->metrics_on = sq_config_bool (config, "topology.metrics.enabled", true);
        executor->time_all = shape.latency_sample_rate >= 1;
        executor->sample_span =
            executor->time_all ? 1 : (uint32_t) (1.0 / shape.latency_sample_rate + 0.5);
        executor->sample_random = 0x9e3779b97f4a7c15ULL * (uint64_t) shape.first_task;
        executor->sample_countdown = 1;
        sq_ids_source_seed (&executor->ids);
        rc = executor->metrics ? 0 : -1;
    }
    free (streams);
    free (sources);
    free (source_streams);
    return rc ? sq_error_set ("out of memory") : 0;
}

//  Create the executors and tasks that run here, numbered by the layout.
static int
s_create_tasks (sq_runtime_t *self, const sq_placement_t *placement)
{
    const sq_task_layout_t *layout = self->layout;
    self->task_count = layout->task_count;
    self->edge_task_bits = sq_ids_task_bits (self->task_count);
    if (placement && placement->task_count != self->task_count)
        return sq_error_set ("topology '%s' has %d tasks but its placement names %d", self->name,
                             self->task_count, placement->task_count);
    size_t ids = (size_t) self->task_count + 1;
    self->tasks = calloc (ids, sizeof (sq_task_t *));
    self->task_executor = calloc (ids, sizeof (sq_executor_t *));
    self->task_component = calloc (ids, sizeof (sq_component_t *));
    self->executors =
        calloc (layout->executor_count ? layout->executor_count : 1, sizeof (sq_executor_t *));
    if (!self->tasks || !self->task_executor || !self->task_component || !self->executors)
        return sq_error_set ("out of memory");

    size_t queue_capacity =
        (size_t) sq_config_int (self->config, "topology.executor.receive.buffer.size", 16384);
    for (size_t e = 0; e < layout->executor_count; e++) {
        const sq_task_layout_executor_t *range = &layout->executors[e];
        sq_component_t *component = sq_topology_component_at (self->topology, range->component);
        int component_first = layout->components[range->component].first_task;
        int local_tasks = 0;
        for (int id = range->first_task; id <= range->last_task; id++) {
            self->task_component[id] = component;
            local_tasks += placement ? placement->local[id] : 1;
        }
        if (local_tasks == 0)
            continue;
        if (local_tasks != range->last_task - range->first_task + 1)
            return sq_error_set ("the placement splits the executor of tasks %d-%d of '%s'",
                                 range->first_task, range->last_task, component->id);
        sq_executor_t *executor = aligned_alloc (SQ_CACHE_LINE, sizeof (sq_executor_t));
        if (!executor)
            return sq_error_set ("out of memory");
        memset (executor, 0, sizeof (sq_executor_t));
        self->executors[self->executor_count] = executor;
        executor->index = (int) self->executor_count++;
        executor->runtime = self;
        executor->component = component;
        executor->queue = sq_queue_new (queue_capacity);
        executor->tasks = calloc ((size_t) local_tasks, sizeof (sq_task_t *));
        if (!executor->queue || !executor->tasks)
            return sq_error_set ("out of memory");
        for (int id = range->first_task; id <= range->last_task; id++) {
            sq_task_t *task = calloc (1, sizeof (sq_task_t));
            if (!task)
                return sq_error_set ("out of memory");
            task->runtime = self;
            task->executor = executor;
            task->component = component;
            task->task_id = id;
            task->task_index = id - component_first;
            task->collector.task = task;
            task->config = sq_config_dup (self->config);
            sq_config_merge (task->config, component->config);
            //  The component's own value wins over the topology's, as in Storm.
            task->max_spout_pending = sq_config_int (task->config, "topology.max.spout.pending", 0);
            executor->tasks[executor->task_count++] = task;
            self->tasks[id] = task;
            self->task_executor[id] = executor;
        }
        if (s_create_metrics (self, executor))
            return -1;
    }
    return 0;
}

//  Give a task one grouping per subscriber of each of its output streams.
static int
s_create_outlets (sq_runtime_t *self, sq_task_t *task)
{
    const sq_component_t *source = task->component;
    task->outlets = calloc (source->stream_count ? source->stream_count : 1, sizeof (sq_outlet_t));
    if (!task->outlets)
        return sq_error_set ("out of memory");
    size_t component_count = sq_topology_component_count (self->topology);
    for (size_t s = 0; s < source->stream_count; s++) {
        sq_outlet_t *outlet = &task->outlets[s];
        outlet->stream = source->streams[s];
        outlet->emits = sq_executor_metrics_emits (task->executor->metrics, s);
        if (strcmp (outlet->stream->name, SQ_DEFAULT_STREAM) == 0)
            task->default_outlet = outlet;
        for (size_t c = 0; c < component_count; c++) {
            sq_component_t *target = sq_topology_component_at (self->topology, c);
            for (size_t i = 0; i < target->subscription_count; i++) {
                const sq_subscription_t *input = &target->subscriptions[i];
                if (strcmp (input->source, source->id) ||
                    strcmp (input->stream, outlet->stream->name))
                    continue;
                //  Storm sends nothing to a component without tasks.
                if (target->task_count == 0)
                    continue;
                int field_indices[SQ_MAX_FIELDS];
                size_t field_count = 0;
                if (input->type == SQ_GROUPING_FIELDS || input->type == SQ_GROUPING_PARTIAL_KEY) {
                    sq_stream_t *grouped = sq_stream_new (source->id, input->stream, input->fields);
                    for (size_t f = 0; grouped && f < grouped->field_count; f++)
                        field_indices[field_count++] =
                            sq_stream_field_index (outlet->stream, grouped->fields[f]);
                    sq_stream_destroy (&grouped);
                }
                int first_task = self->layout->components[c].first_task;
                sq_grouping_spec_t spec = {
                    .type = input->type,
                    .first_task = first_task,
                    .task_count = target->task_count,
                    .field_indices = field_indices,
                    .field_count = field_count,
                    .local = self->local ? self->local + first_task : NULL,
                    .custom = input->custom,
                    .context = task,
                    .source_task = task->task_id,
                    .value_count = outlet->stream->field_count,
                    .source = source->id,
                    .stream = outlet->stream->name,
                    .target = target->id,
                };
                sq_grouping_t **grown =
                    realloc (outlet->groupings, (outlet->grouping_count + 1) * sizeof (void *));
                if (!grown)
                    return sq_error_set ("out of memory");
                outlet->groupings = grown;
                sq_grouping_t *grouping = sq_grouping_new (&spec);
                if (!grouping)
                    return -1; //  sq_grouping_new said why
                outlet->groupings[outlet->grouping_count++] = grouping;
                outlet->direct_groupings += sq_grouping_type (grouping) == SQ_GROUPING_DIRECT;
                outlet->max_targets += sq_grouping_max_targets (grouping);
            }
        }
        outlet->plain = !outlet->stream->direct && outlet->direct_groupings == 0 &&
                        outlet->max_targets <= SQ_PLAIN_TARGETS;
    }
    return 0;
}

static int
s_create_task_state (sq_runtime_t *self, sq_task_t *task)
{
    if (s_create_outlets (self, task))
        return -1;
    if (task->component->spout && self->acker_count) {
        task->pending = sq_pending_trees_new (SQ_TIMEOUT_BUCKETS);
        if (!task->pending)
            return sq_error_set ("out of memory");
    }
    const sq_system_task_t *system = task->component->system;
    if (system) {
        task->system_state = system->create (task->config, SQ_TIMEOUT_BUCKETS, self->task_count);
        if (!task->system_state)
            return sq_error_set ("out of memory");
    }
    return 0;
}

sq_runtime_t *
sq_runtime_new (const char *name, sq_topology_t **topology_p, const sq_config_t *config,
                const sq_runtime_options_t *options)
{
    sq_clock_init ();
    const sq_placement_t *placement = options ? options->placement : NULL;
    const sq_system_task_t *acker = options ? options->acker : NULL;
    sq_topology_t *topology = *topology_p;
    *topology_p = NULL;
    if (sq_topology_validate (topology)) {
        sq_topology_destroy (&topology);
        return NULL;
    }
    sq_config_t *effective = sq_config_dup (sq_topology_config (topology));
    if (config)
        sq_config_merge (effective, config);
    if (s_check_configs (topology, effective)) {
        sq_config_destroy (&effective);
        sq_topology_destroy (&topology);
        return NULL;
    }
    sq_runtime_t *self = calloc (1, sizeof (sq_runtime_t));
    if (!self) {
        sq_config_destroy (&effective);
        sq_topology_destroy (&topology);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->name = strdup (name);
    self->topology = topology;
    self->traces = sq_trace_buffer_new (SQ_TRACE_BUFFER_EVENTS);
    atomic_init (&self->trace_threshold, sq_trace_threshold (sq_config_double (
                                             effective, "topology.trace.sample.rate", 0)));
    self->config = effective;
    pthread_mutex_init (&self->start_lock, NULL);
    pthread_cond_init (&self->start_cond, NULL);
    atomic_init (&self->active, true);
    atomic_init (&self->stopping, false);
    atomic_init (&self->throttled, false);
    self->fatal_task_errors = options && options->fatal_task_errors;
    if (options && options->start_watch)
        self->start_watch = *options->start_watch;

    //  Numbered before the acker component is added: the layout puts the
    //  ackers last, where sq_topology_add_acker appends their component.
    self->layout =
        sq_task_layout_new (topology, sq_config_int (effective, "topology.acker.executors", 1));
    int rc = self->layout ? 0 : -1;
    if (rc == 0 && self->layout->acker_count > 0 && !acker)
        rc = sq_error_set ("topology '%s': topology.acker.executors is %d but this runtime was "
                           "given no acker; set it to 0 to run without acking",
                           name, self->layout->acker_count);
    if (rc == 0 && self->layout->acker_count > 0 &&
        !sq_topology_add_acker (topology, self->layout->acker_count, acker))
        rc = sq_error_set ("out of memory");
    if (rc == 0) {
        assert (sq_topology_component_count (topology) == self->layout->component_count);
        self->acker_first_task = self->layout->acker_first_task;
        self->acker_count = self->layout->acker_count;
    }
    self->batch_size = (size_t) sq_config_int (effective, "topology.producer.batch.size", 256);
    if (sq_config_bool (effective, "topology.enable.message.timeouts", true))
        self->rotation_ns = sq_config_int (effective, "topology.message.timeout.secs", 30) *
                            1000000000LL / (SQ_TIMEOUT_BUCKETS - 1);

    if (rc == 0)
        rc = s_create_tasks (self, placement);
    if (rc == 0 && placement) {
        self->remote_send = placement->send;
        self->remote_arg = placement->arg;
        self->local = malloc ((size_t) (self->task_count + 1) * sizeof (bool));
        if (self->local)
            memcpy (self->local, placement->local, (size_t) (self->task_count + 1) * sizeof (bool));
        else
            rc = sq_error_set ("out of memory");
    }
    for (int id = 1; rc == 0 && id <= self->task_count; id++)
        if (self->tasks[id])
            rc = s_create_task_state (self, self->tasks[id]);
    if (rc) {
        char error[512];
        snprintf (error, sizeof error, "%s", sq_last_error ());
        sq_runtime_destroy (&self);
        sq_error_set ("%s", error);
    }
    return self;
}

//  True when the executor is still in a task's open or prepare.
static bool
s_opening (const sq_executor_t *executor)
{
    return executor->started && !atomic_load (&executor->open_returned);
}

//  True when the executor's thread is still running.
static bool
s_running (const sq_executor_t *executor)
{
    return executor->started && !executor->joined;
}

//  "component 'spin' task 3" or "component 'spin' tasks 3, 4" for each
//  executor that is stuck, joined by "; ", into text (size bytes).
static void
s_describe (sq_runtime_t *self, bool (*stuck) (const sq_executor_t *), char *text, size_t size)
{
    size_t used = 0;
    text[0] = 0;
    for (size_t e = 0; e < self->executor_count && used < size; e++) {
        sq_executor_t *executor = self->executors[e];
        if (!stuck (executor))
            continue;
        used += (size_t) snprintf (text + used, size - used, "%scomponent '%s' task%s ",
                                   used ? "; " : "", executor->component->id,
                                   executor->task_count > 1 ? "s" : "");
        for (size_t t = 0; t < executor->task_count && used < size; t++)
            used += (size_t) snprintf (text + used, size - used, "%s%d", t ? ", " : "",
                                       executor->tasks[t]->task_id);
    }
}

//  Wait, holding start_lock, until every executor is done with open and
//  prepare. With a start watch, poll it meanwhile; once it gives the start
//  up, wait at most its grace. True when every executor is done; sets
//  *given_up when the watch gave up.
static bool
s_wait_prepared (sq_runtime_t *self, bool *given_up)
{
    *given_up = false;
    int64_t deadline = 0;
    while (self->prepared < (int) self->executor_count) {
        if (!self->start_watch.abandoned) {
            pthread_cond_wait (&self->start_cond, &self->start_lock);
            continue;
        }
        if (!*given_up && self->start_watch.abandoned (self->start_watch.arg)) {
            *given_up = true;
            deadline = sq_runtime_now_ns () + (int64_t) (self->start_watch.grace_secs * 1e9);
        }
        if (*given_up && sq_runtime_now_ns () >= deadline)
            return false;
        struct timespec until = sq_clock_deadline (CLOCK_REALTIME, 50);
        pthread_cond_timedwait (&self->start_cond, &self->start_lock, &until);
    }
    return true;
}

int
sq_runtime_start (sq_runtime_t *self)
{
    for (size_t e = 0; e < self->executor_count; e++) {
        sq_executor_t *executor = self->executors[e];
        if (pthread_create (&executor->thread, NULL, sq_executor_run, executor) != 0) {
            pthread_mutex_lock (&self->start_lock);
            self->open_failures++;
            self->prepared += (int) (self->executor_count - e);
            pthread_mutex_unlock (&self->start_lock);
            break;
        }
        executor->started = true;
    }
    pthread_mutex_lock (&self->start_lock);
    bool given_up;
    bool all_prepared = s_wait_prepared (self, &given_up);
    int failures = self->open_failures;
    if (failures || given_up)
        atomic_store (&self->stopping, true);
    self->go = true;
    pthread_cond_broadcast (&self->start_cond);
    pthread_mutex_unlock (&self->start_lock);
    if (!all_prepared) {
        char stuck[1024];
        s_describe (self, s_opening, stuck, sizeof stuck);
        sq_error_set ("topology '%s': %s did not return from open or prepare within %g s of the "
                      "stop",
                      self->name, stuck, self->start_watch.grace_secs);
        return SQ_RUNTIME_STUCK;
    }
    if (given_up)
        return sq_error_set ("topology '%s': stopped while its spouts and bolts opened",
                             self->name);
    if (failures && self->open_failed_component)
        return sq_error_set ("topology '%s': %d task(s) failed to open or prepare, the first "
                             "of component '%s' task %d; see the log",
                             self->name, failures, self->open_failed_component,
                             self->open_failed_task);
    if (failures)
        return sq_error_set ("topology '%s': %d task(s) failed to open or prepare; see the log",
                             self->name, failures);
    return 0;
}

void
sq_runtime_set_active (sq_runtime_t *self, bool active)
{
    atomic_store (&self->active, active);
}

void
sq_runtime_set_throttled (sq_runtime_t *self, bool throttled)
{
    atomic_store (&self->throttled, throttled);
}

void
sq_runtime_drain (sq_runtime_t *self, double wait_secs)
{
    int64_t deadline = sq_runtime_now_ns () + (int64_t) (wait_secs * 1e9);
    int quiet_checks = 0;
    while (quiet_checks < 3 && sq_runtime_now_ns () < deadline) {
        sq_topology_stats_t stats;
        sq_runtime_stats (self, &stats);
        quiet_checks = stats.pending == 0 && stats.queued == 0 ? quiet_checks + 1 : 0;
        nanosleep (&(struct timespec){0, 10000000}, NULL);
    }
}

static void
s_task_destroy (sq_task_t **task_p)
{
    sq_task_t *task = *task_p;
    if (!task)
        return;
    for (size_t s = 0; task->outlets && s < task->component->stream_count; s++) {
        for (size_t g = 0; g < task->outlets[s].grouping_count; g++)
            sq_grouping_destroy (&task->outlets[s].groupings[g]);
        free (task->outlets[s].groupings);
    }
    free (task->outlets);
    sq_pending_trees_destroy (&task->pending);
    sq_idmap_destroy (&task->held_starts);
    if (task->component->system)
        task->component->system->destroy (&task->system_state);
    free (task->ack_now);
    sq_config_destroy (&task->config);
    free (task);
    *task_p = NULL;
}

//  Tell the executors to stop: their loops check stopping, and a thread
//  blocked on a queue (popping, or pushing to a full one) wakes up.
static void
s_signal_stop (sq_runtime_t *self)
{
    atomic_store (&self->stopping, true);
    for (size_t e = 0; e < self->executor_count; e++)
        if (self->executors[e]->queue)
            sq_queue_close (self->executors[e]->queue);
}

//  Join the executor threads that have returned. Returns how many have not.
static size_t
s_join_returned (sq_runtime_t *self)
{
    size_t running = 0;
    for (size_t e = 0; e < self->executor_count; e++) {
        sq_executor_t *executor = self->executors[e];
        if (!executor->started || executor->joined)
            continue;
        if (atomic_load (&executor->returned)) {
            pthread_join (executor->thread, NULL);
            executor->joined = true;
        } else
            running++;
    }
    return running;
}

int
sq_runtime_stop (sq_runtime_t *self, double grace_secs)
{
    assert (self);
    s_signal_stop (self);
    int64_t deadline = sq_runtime_now_ns () + (int64_t) (grace_secs * 1e9);
    size_t running;
    while ((running = s_join_returned (self)) > 0 && sq_runtime_now_ns () < deadline)
        nanosleep (&(struct timespec){0, 10000000}, NULL);
    if (running == 0)
        return 0;
    char stuck[1024];
    s_describe (self, s_running, stuck, sizeof stuck);
    return sq_error_set ("topology '%s': %s did not return within %g s of the stop", self->name,
                         stuck, grace_secs);
}

void
sq_runtime_destroy (sq_runtime_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sq_runtime_t *self = *self_p;
    s_signal_stop (self);
    for (size_t e = 0; e < self->executor_count; e++)
        if (self->executors[e]->started && !self->executors[e]->joined)
            pthread_join (self->executors[e]->thread, NULL);
    for (size_t e = 0; e < self->executor_count; e++) {
        sq_executor_t *executor = self->executors[e];
        sq_executor_outboxes_destroy (executor);
        sq_queue_destroy (&executor->queue);
        sq_executor_metrics_destroy (&executor->metrics);
        free (executor->inputs);
        free (executor->tasks);
        free (executor);
    }
    for (int id = 1; self->tasks && id <= self->task_count; id++)
        s_task_destroy (&self->tasks[id]);
    free (self->tasks);
    free (self->task_executor);
    free (self->task_component);
    free (self->local);
    free (self->executors);
    for (size_t c = 0; c < self->summary_count; c++)
        sq_executor_metrics_destroy (&self->summaries[c]);
    free (self->summaries);
    sq_task_layout_destroy (&self->layout);
    pthread_cond_destroy (&self->start_cond);
    pthread_mutex_destroy (&self->start_lock);
    sq_topology_destroy (&self->topology);
    sq_config_destroy (&self->config);
    sq_trace_buffer_destroy (&self->traces);
    free (self->fatal_error);
    free (self->open_failed_component);
    free (self->name);
    free (self);
    *self_p = NULL;
}

int
sq_runtime_executor_of (const sq_runtime_t *self, int task)
{
    if (task < 1 || task > self->task_count || !self->task_executor[task])
        return -1;
    return self->task_executor[task]->index;
}

size_t
sq_runtime_push (sq_runtime_t *self, int executor, const sq_message_t *messages, size_t count,
                 bool wait)
{
    assert (executor >= 0 && (size_t) executor < self->executor_count);
    sq_queue_t *queue = self->executors[executor]->queue;
    if (atomic_load_explicit (&self->trace_threshold, memory_order_relaxed))
        return sq_runtime_push_traced (self, queue, messages, count, wait, true);
    return sq_queue_push (queue, messages, count, wait);
}

//  ---------------------------------------------------------------------
//  Tracing (sq_trace.h): the hot paths test one word before coming here.

void
sq_runtime_set_trace_rate (sq_runtime_t *self, double rate)
{
    atomic_store (&self->trace_threshold, sq_trace_threshold (rate));
}

json_t *
sq_runtime_traces (sq_runtime_t *self, size_t max_events, size_t max_bytes)
{
    return self->traces ? sq_trace_buffer_take (self->traces, max_events, max_bytes) : NULL;
}

//  Fill events[] with the events of tuple, one per traced tree; returns
//  how many (at most SQ_TRACE_TUPLE_EVENTS).
#define SQ_TRACE_TUPLE_EVENTS 8 //  traced trees of one tuple recorded at most
static size_t
s_tuple_events (sq_runtime_t *self, const sq_tuple_t *tuple, sq_trace_kind_t kind,
                uint64_t threshold, double ms, sq_trace_event_t *events)
{
    size_t count = 0;
    for (size_t e = 0; e < tuple->edge_count && count < SQ_TRACE_TUPLE_EVENTS; e++) {
        if (!sq_trace_sampled (tuple->edges[e].root, threshold))
            continue;
        const sq_component_t *from =
            tuple->source_task >= 1 && tuple->source_task <= self->task_count
                ? self->task_component[tuple->source_task]
                : NULL;
        events[count++] = (sq_trace_event_t){
            .root = tuple->edges[e].root,
            .edge = tuple->edges[e].edge,
            .ms = ms,
            .component = self->task_component[tuple->dest_task]->id,
            .from_component = from ? from->id : "?",
            .stream = tuple->stream->name,
            .task = tuple->dest_task,
            .from_task = tuple->source_task,
            .kind = kind,
        };
    }
    return count;
}

void
sq_runtime_trace_tuple (sq_runtime_t *self, sq_tuple_t *tuple, sq_trace_kind_t kind,
                        uint64_t threshold)
{
    //  Most tuples are in no traced tree: no clock read for them.
    bool traced = false;
    for (size_t e = 0; e < tuple->edge_count && !traced; e++)
        traced = sq_trace_sampled (tuple->edges[e].root, threshold);
    if (!traced)
        return;
    sq_trace_event_t events[SQ_TRACE_TUPLE_EVENTS];
    size_t count = s_tuple_events (self, tuple, kind, threshold, sq_trace_now_ms (), events);
    if (kind == SQ_TRACE_EMIT)
        tuple->state |= SQ_TUPLE_TRACED;
    if (self->traces)
        sq_trace_buffer_add (self->traces, events, count);
}

size_t
sq_runtime_push_traced (sq_runtime_t *self, sq_queue_t *queue, const sq_message_t *messages,
                        size_t count, bool wait, bool mark)
{
    uint64_t threshold = atomic_load_explicit (&self->trace_threshold, memory_order_relaxed);
    //  Events are made before the push (the receiver may free a tuple as
    //  soon as it is queued) and kept only for the messages pushed.
    size_t slots = 0; //  events the traced tuples can make at most
    for (size_t i = 0; i < count; i++) {
        sq_tuple_t *tuple = messages[i].kind == SQ_MSG_TUPLE ? messages[i].tuple : NULL;
        if (tuple && mark && tuple->stream && tuple->edge_count) {
            for (size_t e = 0; e < tuple->edge_count; e++)
                if (sq_trace_sampled (tuple->edges[e].root, threshold))
                    tuple->state |= SQ_TUPLE_TRACED;
        }
        if (tuple && (tuple->state & SQ_TUPLE_TRACED))
            slots += tuple->edge_count < SQ_TRACE_TUPLE_EVENTS ? tuple->edge_count
                                                               : SQ_TRACE_TUPLE_EVENTS;
    }
    if (!slots || !self->traces)
        return sq_queue_push (queue, messages, count, wait);
    sq_trace_event_t *events = malloc (slots * sizeof (sq_trace_event_t));
    size_t *ends = malloc (count * sizeof (size_t)); //  events of messages[0 .. i] end at ends[i]
    size_t made = 0;
    //  The time the batch is handed over: the receiver may execute a
    //  tuple before the push returns, so no later clock read would do.
    double now = sq_trace_now_ms ();
    for (size_t i = 0; events && ends && i < count; i++) {
        sq_tuple_t *tuple = messages[i].kind == SQ_MSG_TUPLE ? messages[i].tuple : NULL;
        if (tuple && (tuple->state & SQ_TUPLE_TRACED))
            made += s_tuple_events (self, tuple, SQ_TRACE_ENQUEUE, threshold, now, events + made);
        ends[i] = made;
    }
    size_t pushed = sq_queue_push (queue, messages, count, wait);
    if (events && ends && pushed)
        sq_trace_buffer_add (self->traces, events, ends[pushed - 1]);
    free (events);
    free (ends);
    return pushed;
}

void
sq_runtime_stats (sq_runtime_t *self, sq_topology_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    uint64_t latency_ns = 0;
    for (size_t e = 0; e < self->executor_count; e++) {
        sq_executor_t *executor = self->executors[e];
        sq_executor_stats_t *counters = &executor->stats;
        stats->emitted += atomic_load (&counters->emitted);
        stats->spout_emitted += atomic_load (&counters->spout_emitted);
        stats->executed += atomic_load (&counters->executed);
        stats->acked += atomic_load (&counters->acked);
        stats->failed += atomic_load (&counters->failed);
        stats->timed_out += atomic_load (&counters->timed_out);
        stats->acker_messages += atomic_load (&counters->acker_messages);
        stats->pending += atomic_load (&counters->pending);
        uint64_t max_pending = atomic_load (&counters->max_pending);
        if (max_pending > stats->max_pending)
            stats->max_pending = max_pending;
        latency_ns += atomic_load (&counters->latency_ns_total);
        stats->queued += sq_queue_depth (executor->queue) + atomic_load (&counters->outbox);
        size_t max_depth = sq_queue_max_depth (executor->queue);
        if (max_depth > stats->max_queued)
            stats->max_queued = max_depth;
    }
    if (stats->acked)
        stats->complete_latency_ms = (double) latency_ns / 1e6 / (double) stats->acked;
}

sq_blame_t *
sq_runtime_blame (sq_runtime_t *self)
{
    assert (self);
    sq_blame_t *blame = calloc (1, sizeof (sq_blame_t));
    size_t entries = (size_t) self->task_count + 1;
    if (blame) {
        blame->task_count = self->task_count;
        blame->timeouts_held = calloc (entries, sizeof (uint64_t));
        blame->fails_by = calloc (entries, sizeof (uint64_t));
    }
    if (!blame || !blame->timeouts_held || !blame->fails_by) {
        sq_blame_destroy (&blame);
        sq_error_set ("out of memory");
        return NULL;
    }
    for (int id = 1; id <= self->task_count; id++) {
        sq_task_t *task = self->tasks[id];
        const sq_system_task_t *system = task ? task->component->system : NULL;
        if (system && system->blame && task->system_state)
            system->blame (task->system_state, blame);
    }
    return blame;
}

void
sq_blame_destroy (sq_blame_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->timeouts_held);
        free ((*self_p)->fails_by);
        free (*self_p);
        *self_p = NULL;
    }
}

void
sq_runtime_component_blame (const sq_runtime_t *self, const sq_blame_t *blame,
                            const char *component, uint64_t *timeouts_held, uint64_t *fails)
{
    assert (self);
    assert (blame);
    *timeouts_held = 0;
    *fails = 0;
    for (int id = 1; id <= self->task_count && id <= blame->task_count; id++)
        if (strcmp (self->task_component[id]->id, component) == 0) {
            *timeouts_held += blame->timeouts_held[id];
            *fails += blame->fails_by[id];
        }
}

//  A snapshot of one executor's metrics, now.
static sq_executor_metrics_t *
s_snapshot (sq_executor_t *executor)
{
    return sq_executor_metrics_snapshot (executor->metrics, sq_queue_depth (executor->queue),
                                         sq_runtime_now_ns ());
}

//  [[task, count], ...] for the non-zero counts of tasks 1 .. task_count.
static json_t *
s_blame_pairs (const uint64_t *counts, int task_count)
{
    json_t *pairs = json_array ();
    for (int id = 1; pairs && id <= task_count; id++)
        if (counts[id] &&
            json_array_append_new (pairs, json_pack ("[i, I]", id, (json_int_t) counts[id]))) {
            json_decref (pairs);
            pairs = NULL;
        }
    return pairs;
}

//  The heartbeat's `blame` object: what the ackers here counted (see
//  doc/metrics.md). NULL when out of memory.
static json_t *
s_blame_json (sq_runtime_t *self)
{
    sq_blame_t *blame = sq_runtime_blame (self);
    if (!blame)
        return NULL;
    json_t *held = s_blame_pairs (blame->timeouts_held, blame->task_count);
    json_t *fails = s_blame_pairs (blame->fails_by, blame->task_count);
    json_t *json = NULL;
    if (held && fails)
        json = json_pack ("{s:O, s:O, s:I, s:I, s:I}", "timeouts_held", held, "fails_by", fails,
                          "timeouts_unattributed", (json_int_t) blame->timeouts_unattributed,
                          "fails_unattributed", (json_int_t) blame->fails_unattributed,
                          "expired_without_init", (json_int_t) blame->expired_without_init);
    json_decref (held);
    json_decref (fails);
    sq_blame_destroy (&blame);
    return json;
}

//  True when an acker task runs in this process.
static bool
s_runs_ackers (const sq_runtime_t *self)
{
    for (int a = 0; a < self->acker_count; a++)
        if (self->tasks[self->acker_first_task + a])
            return true;
    return false;
}

json_t *
sq_runtime_metrics (sq_runtime_t *self, size_t max_bytes)
{
    json_t *executors = json_array ();
    json_t *report = executors
                         ? json_pack ("{s:i, s:o}", "v", SQ_METRICS_VERSION, "executors", executors)
                         : NULL;
    if (!report)
        return NULL;
    size_t used = 64, omitted = 0;
    //  The ackers' blame goes first: a few bytes per task at most.
    if (s_runs_ackers (self)) {
        json_t *blame = s_blame_json (self);
        char *text = blame ? json_dumps (blame, JSON_COMPACT) : NULL;
        used += text ? strlen (text) + 16 : 0;
        free (text);
        if (!blame || json_object_set_new (report, "blame", blame)) {
            json_decref (report);
            return NULL;
        }
    }
    for (size_t e = 0; e < self->executor_count; e++) {
        sq_executor_metrics_t *snapshot = s_snapshot (self->executors[e]);
        json_t *json = snapshot ? sq_executor_metrics_encode (snapshot) : NULL;
        sq_executor_metrics_destroy (&snapshot);
        char *text = json ? json_dumps (json, JSON_COMPACT) : NULL;
        size_t size = text ? strlen (text) + 1 : 0;
        free (text);
        if (!json || used + size > max_bytes || json_array_append_new (executors, json)) {
            if (json && used + size > max_bytes)
                json_decref (json);
            omitted++;
            continue;
        }
        used += size;
    }
    if (json_object_set_new (report, "omitted", json_integer ((json_int_t) omitted))) {
        json_decref (report);
        return NULL;
    }
    return report;
}

int
sq_runtime_component_metrics (sq_runtime_t *self, sq_component_metrics_t *rows, size_t max)
{
    for (size_t c = 0; c < self->summary_count; c++)
        sq_executor_metrics_destroy (&self->summaries[c]);
    self->summary_count = 0;
    size_t components = sq_topology_component_count (self->topology);
    if (!self->summaries) {
        self->summaries = calloc (components + 1, sizeof (sq_executor_metrics_t *));
        if (!self->summaries)
            return sq_error_set ("out of memory");
    }
    //  What the ackers here blame on each component (all of them in local
    //  mode; a cluster worker sees only its own ackers' counts).
    sq_blame_t *blame = sq_runtime_blame (self);
    if (!blame)
        return -1;
    int count = 0;
    for (size_t c = 0; c < components; c++) {
        const sq_component_t *component = sq_topology_component_at (self->topology, c);
        if (component->system)
            continue;
        sq_executor_metrics_t *sum = NULL;
        int executors = 0;
        double busiest = 0; //  Storm's component capacity: its busiest executor's
        for (size_t e = 0; e < self->executor_count; e++) {
            if (self->executors[e]->component != component)
                continue;
            sq_executor_metrics_t *snapshot = s_snapshot (self->executors[e]);
            if (!snapshot) {
                sq_blame_destroy (&blame);
                return sq_error_set ("out of memory");
            }
            sq_component_metrics_t one;
            sq_executor_metrics_summary (snapshot, &one);
            if (one.capacity > busiest)
                busiest = one.capacity;
            if (!sum)
                sum = snapshot;
            else {
                int rc = sq_executor_metrics_merge (sum, snapshot);
                sq_executor_metrics_destroy (&snapshot);
                if (rc) {
                    sq_executor_metrics_destroy (&sum);
                    sq_blame_destroy (&blame);
                    return -1;
                }
            }
            executors++;
        }
        if (!sum)
            continue; //  no executor here (0 tasks, or all remote)
        self->summaries[self->summary_count++] = sum;
        if ((size_t) count < max) {
            sq_executor_metrics_summary (sum, &rows[count]);
            rows[count].executors = executors;
            rows[count].capacity = busiest;
            sq_runtime_component_blame (self, blame, component->id, &rows[count].timeouts_held,
                                        &rows[count].fails_blamed);
        }
        count++;
    }
    sq_blame_destroy (&blame);
    return count;
}

void
sq_runtime_fatal (sq_runtime_t *self, const char *error)
{
    pthread_mutex_lock (&self->start_lock);
    if (!self->fatal_error)
        self->fatal_error = strdup (error ? error : "fatal task error");
    pthread_mutex_unlock (&self->start_lock);
}

const char *
sq_runtime_open_failure (sq_runtime_t *self, int *task_p)
{
    assert (self);
    assert (task_p);
    pthread_mutex_lock (&self->start_lock);
    const char *component = self->open_failed_component;
    *task_p = self->open_failed_task;
    pthread_mutex_unlock (&self->start_lock);
    return component;
}

char *
sq_runtime_fatal_error (sq_runtime_t *self)
{
    pthread_mutex_lock (&self->start_lock);
    char *copy = self->fatal_error ? strdup (self->fatal_error) : NULL;
    pthread_mutex_unlock (&self->start_lock);
    return copy;
}
