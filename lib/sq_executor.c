/*  sq_executor - the loop of one executor thread

    An executor runs the tasks of one component. Its loop takes batches of
    messages from its input queue and hands each to the task it names; what
    the tasks emit collects in the executor's outbox, one buffer per
    destination executor, and moves to the destination's queue a batch at a
    time: when a buffer fills, and whenever the input queue runs dry (so a
    quiet topology still has low latency).

    DESIGN: backpressure without deadlock. Bolts and ackers wait while a
    destination queue is full. Spouts never wait: what does not fit stays in
    their outbox, and while a full batch or more is left there for some
    destination (or the spout has topology.max.spout.pending trees in
    flight, or a worker of the topology reports congestion) next_tuple is
    not called.
    Because spouts always drain their own queue, the ackers that complete
    trees never wait for long, and a slow bolt slows the spouts down through
    full queues, with memory bounded by the queue sizes.
*/
#include "sq_runtime.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_task_hook.h"

#include <czmq.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SQ_POP_MAX 256 //  messages taken from the queue at once
//  Emit rounds a spout runs between two looks at its inputs, the clock,
//  the topology's status and its outboxes: a look costs about as much as
//  the emit of a small tuple.
#define SQ_SPOUT_ROUNDS 8

//  ---------------------------------------------------------------------
//  Outboxes: one per destination this executor has sent to, found through
//  an open-addressing table keyed by destination, so an executor's memory
//  grows with the destinations it uses, not with the executors of the
//  process. The outboxes holding messages are also on the dirty list: a
//  flush visits those, not every destination.

//  The table slot of destination: its outbox, or the free slot it would
//  take. The table is never full.
static sq_outbox_t **
s_outbox_slot (sq_executor_t *self, size_t destination)
{
    size_t mask = self->outbox_slots - 1;
    size_t slot = (destination * 0x9e3779b97f4a7c15ULL >> 20) & mask;
    while (self->outboxes[slot] && self->outboxes[slot]->destination != destination)
        slot = (slot + 1) & mask;
    return &self->outboxes[slot];
}

//  The outbox of destination, or NULL when nothing was ever sent there.
static inline sq_outbox_t *
s_outbox_find (sq_executor_t *self, size_t destination)
{
    sq_outbox_t *last = self->last_outbox;
    if (last && last->destination == destination)
        return last;
    return self->outbox_slots ? *s_outbox_slot (self, destination) : NULL;
}

//  Double the table (and the dirty list's room); returns 0 or -1.
static int
s_outboxes_grow (sq_executor_t *self)
{
    size_t slots = self->outbox_slots ? self->outbox_slots * 2 : 8;
    sq_outbox_t **table = calloc (slots, sizeof (sq_outbox_t *));
    sq_outbox_t **dirty = realloc (self->dirty, slots * sizeof (sq_outbox_t *));
    if (!table || !dirty) {
        free (table);
        if (dirty)
            self->dirty = dirty;
        return -1;
    }
    sq_outbox_t **old = self->outboxes;
    size_t old_slots = self->outbox_slots;
    self->outboxes = table;
    self->outbox_slots = slots;
    self->dirty = dirty;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i])
            *s_outbox_slot (self, old[i]->destination) = old[i];
    free (old);
    return 0;
}

//  The outbox of destination, made on first use; NULL when out of memory.
static sq_outbox_t *
s_outbox_get_new (sq_executor_t *self, size_t destination)
{
    sq_outbox_t *outbox = self->outbox_slots ? *s_outbox_slot (self, destination) : NULL;
    if (!outbox) {
        //  At most half full, so probes stay short.
        if (2 * (self->outbox_count + 1) > self->outbox_slots && s_outboxes_grow (self))
            return NULL;
        outbox = calloc (1, sizeof (sq_outbox_t));
        if (!outbox)
            return NULL;
        outbox->destination = destination;
        *s_outbox_slot (self, destination) = outbox;
        self->outbox_count++;
    }
    self->last_outbox = outbox;
    return outbox;
}

//  s_outbox_get_new, with the common case (the same destination as the
//  last send) inline.
static inline sq_outbox_t *
s_outbox_get (sq_executor_t *self, size_t destination)
{
    sq_outbox_t *last = self->last_outbox;
    return last && last->destination == destination ? last : s_outbox_get_new (self, destination);
}

void
sq_executor_outboxes_destroy (sq_executor_t *self)
{
    for (size_t i = 0; i < self->outbox_slots; i++) {
        sq_outbox_t *outbox = self->outboxes[i];
        if (!outbox)
            continue;
        for (size_t m = 0; m < outbox->count; m++)
            sq_tuple_destroy (&outbox->messages[m].tuple);
        sq_tuple_block_retire (&outbox->block);
        free (outbox->messages);
        free (outbox);
    }
    free (self->outboxes);
    free (self->dirty);
    self->outboxes = NULL;
    self->dirty = NULL;
    self->outbox_slots = self->outbox_count = self->dirty_count = 0;
    self->last_outbox = NULL;
}

//  The destination of a message for task: its local executor's index, or
//  executor_count for a task in another process.
static size_t
s_destination (sq_executor_t *self, int task)
{
    sq_executor_t *local = self->runtime->task_executor[task];
    return local ? (size_t) local->index : self->runtime->executor_count;
}

//  Move one outbox to its queue. With wait, blocks while the queue is
//  full; returns true when the outbox is empty afterwards. The caller
//  takes an emptied outbox off the dirty list.
static bool
s_flush_one (sq_executor_t *self, sq_outbox_t *outbox, bool wait)
{
    size_t count = outbox->count;
    if (count == 0)
        return true;
    sq_runtime_t *runtime = self->runtime;
    size_t destination = outbox->destination;
    sq_message_t *buffer = outbox->messages;
    //  An executor never waits on its own queue: it is the one to drain it.
    bool may_wait = wait && destination != (size_t) self->index;
    size_t pushed;
    if (destination == runtime->executor_count)
        pushed = runtime->remote_send (runtime->remote_arg, buffer, count, may_wait);
    else if (atomic_load_explicit (&runtime->trace_threshold, memory_order_relaxed))
        pushed = sq_runtime_push_traced (runtime, runtime->executors[destination]->queue, buffer,
                                         count, may_wait, false);
    else
        pushed = sq_queue_push (runtime->executors[destination]->queue, buffer, count, may_wait);
    if (pushed < count && may_wait) {
        //  Closed while waiting: the topology is stopping.
        for (size_t i = pushed; i < count; i++)
            sq_tuple_destroy (&buffer[i].tuple);
        sq_counter_add (&self->stats.dropped, count - pushed);
        pushed = count;
    }
    if (pushed && pushed < count)
        memmove (buffer, buffer + pushed, (count - pushed) * sizeof (sq_message_t));
    outbox->count = count - pushed;
    sq_counter_add (&self->stats.outbox, (uint64_t) 0 - pushed);
    return pushed == count;
}

//  Take an emptied outbox off the dirty list: the last entry takes its place.
static void
s_undirty (sq_executor_t *self, sq_outbox_t *outbox)
{
    sq_outbox_t *moved = self->dirty[--self->dirty_count];
    self->dirty[outbox->dirty_at] = moved;
    moved->dirty_at = outbox->dirty_at;
}

//  Flush the outboxes holding messages (only those holding a full batch,
//  with full_only); returns true when none is left holding a full batch or
//  more. Work in proportion to the dirty outboxes, not the destinations.
static bool
s_flush_all (sq_executor_t *self, bool wait, bool full_only)
{
    size_t batch_size = self->runtime->batch_size;
    bool clear = true;
    size_t d = 0;
    while (d < self->dirty_count) {
        sq_outbox_t *outbox = self->dirty[d];
        if (!full_only || outbox->count >= batch_size)
            s_flush_one (self, outbox, wait);
        clear &= outbox->count < batch_size;
        if (outbox->count == 0)
            s_undirty (self, outbox);
        else
            d++;
    }
    return clear;
}

//  Flush one outbox now, keeping the dirty list true.
static void
s_flush_now (sq_executor_t *self, sq_outbox_t *outbox, bool wait)
{
    if (outbox->count && s_flush_one (self, outbox, wait))
        s_undirty (self, outbox);
}

void
sq_executor_flush_for (sq_executor_t *self, int task)
{
    sq_outbox_t *outbox = s_outbox_find (self, s_destination (self, task));
    if (outbox)
        s_flush_now (self, outbox, true);
}

bool
sq_executor_merge_ack (sq_executor_t *self, const sq_message_t *message)
{
    sq_outbox_t *outbox = s_outbox_find (self, s_destination (self, message->task));
    if (!outbox || outbox->count == 0)
        return false;
    sq_message_t *last = &outbox->messages[outbox->count - 1];
    if (last->kind != SQ_MSG_ACK_ACK || last->task != message->task || last->root != message->root)
        return false;
    last->value ^= message->value;
    return true;
}

//  Drop an acking message for task that cannot be queued (out of memory).
static void
s_drop_ack (sq_executor_t *self, int task)
{
    zsys_error ("topology=%s task=%d out of memory queueing a message; dropped",
                self->runtime->name, task);
    sq_counter_add (&self->stats.dropped, 1);
}

//  Grow outbox's messages for one more; false when out of memory (nothing
//  changed).
static bool
s_outbox_grow (sq_executor_t *self, sq_outbox_t *outbox)
{
    size_t capacity = outbox->count ? outbox->count * 2 : self->runtime->batch_size;
    sq_message_t *grown = realloc (outbox->messages, capacity * sizeof (sq_message_t));
    if (!grown)
        return false;
    outbox->messages = grown;
    outbox->capacity = capacity;
    return true;
}

//  Where outbox's next message goes, NULL when out of memory. The caller
//  writes the message there field by field, then s_outbox_add counts it.
//  (A message built elsewhere and copied whole is read back in wider
//  pieces than it was written in, which the store buffer cannot forward:
//  perf put a tenth of a word count's samples on that wait.)
static inline sq_message_t *
s_outbox_next (sq_executor_t *self, sq_outbox_t *outbox)
{
    if (outbox->count == outbox->capacity && !s_outbox_grow (self, outbox))
        return NULL;
    return &outbox->messages[outbox->count];
}

//  Count the message just written at s_outbox_next.
static inline void
s_outbox_add (sq_executor_t *self, sq_outbox_t *outbox)
{
    size_t count = outbox->count;
    //  The dirty list has room for every outbox: it grows with the table.
    if (count == 0) {
        outbox->dirty_at = self->dirty_count;
        self->dirty[self->dirty_count++] = outbox;
    }
    outbox->count = count + 1;
    //  The next cache line of messages, for this outbox's next appends:
    //  with many destinations it is long out of cache by then.
    __builtin_prefetch (&outbox->messages[count + 2], 1);
    sq_counter_add (&self->stats.outbox, 1);
    //  Spouts keep emitting into the outbox and flush between calls; bolts
    //  and ackers send a full batch at once, waiting for room if need be.
    if (count + 1 >= self->runtime->batch_size && !self->component->spout)
        s_flush_now (self, outbox, true);
}

void
sq_executor_send_ack (sq_executor_t *self, sq_message_kind_t kind, int task, uint64_t root,
                      uint64_t value)
{
    sq_outbox_t *outbox = s_outbox_get (self, s_destination (self, task));
    sq_message_t *next = outbox ? s_outbox_next (self, outbox) : NULL;
    if (!next) {
        s_drop_ack (self, task);
        return;
    }
    *next = (sq_message_t){.kind = kind, .task = task, .root = root, .value = value};
    s_outbox_add (self, outbox);
}

bool
sq_executor_send_tuple (sq_executor_t *self, const sq_emitted_t *emitted, int dest_task,
                        const sq_edge_t *edges, size_t edge_count)
{
    sq_runtime_t *runtime = self->runtime;
    sq_executor_t *reader = runtime->task_executor[dest_task];
    sq_outbox_t *outbox = s_outbox_get (self, s_destination (self, dest_task));
    if (!outbox) {
        sq_counter_add (&self->stats.dropped, 1);
        return false;
    }
    //  Tuples for other processes go to the transfer thread, which may
    //  keep them while a peer is away: their own allocations, as tuples
    //  for an executor that keeps its inputs.
    sq_message_t *next = s_outbox_next (self, outbox);
    if (!next) {
        sq_counter_add (&self->stats.dropped, 1);
        return false;
    }
    sq_tuple_t *tuple;
    if (reader && !atomic_load_explicit (&reader->keeps_inputs, memory_order_relaxed))
        tuple = sq_tuple_new_in (&outbox->block, emitted->stream, emitted->source_task, dest_task,
                                 edges, edge_count, emitted->values, emitted->value_count);
    else
        tuple = sq_tuple_new (emitted->stream, emitted->source_task, dest_task, edges, edge_count,
                              emitted->values, emitted->value_count);
    if (!tuple) {
        sq_counter_add (&self->stats.dropped, 1);
        return false;
    }
    if (emitted->trace && edge_count)
        sq_runtime_trace_tuple (runtime, tuple, SQ_TRACE_EMIT, emitted->trace);
    *next = (sq_message_t){.kind = SQ_MSG_TUPLE, .task = dest_task, .tuple = tuple};
    s_outbox_add (self, outbox);
    return true;
}

//  ---------------------------------------------------------------------
//  Wait strategies: what an executor does with nothing to do

//  Storm's class names of the strategies, taken as the short ones.
#define SQ_STORM_PROGRESSIVE "org.apache.storm.policy.WaitStrategyProgressive"
#define SQ_STORM_SLEEP "org.apache.storm.spout.SleepSpoutWaitStrategy"

static bool
s_is_strategy (const char *value, const char *name, const char *storm_name)
{
    return value && (strcmp (value, name) == 0 || strcmp (value, storm_name) == 0);
}

int
sq_executor_check_wait_strategies (const sq_config_t *config)
{
    const char *spout = sq_config_string (config, "topology.spout.wait.strategy", "progressive");
    if (!s_is_strategy (spout, "progressive", SQ_STORM_PROGRESSIVE) &&
        !s_is_strategy (spout, "sleep", SQ_STORM_SLEEP))
        return sq_error_set ("config key 'topology.spout.wait.strategy' must be \"progressive\" "
                             "or \"sleep\", got \"%s\"",
                             spout ? spout : "");
    static const char *progressive_only[] = {"topology.bolt.wait.strategy",
                                             "topology.backpressure.wait.strategy"};
    for (size_t i = 0; i < sizeof progressive_only / sizeof *progressive_only; i++) {
        const char *value = sq_config_string (config, progressive_only[i], "progressive");
        if (!s_is_strategy (value, "progressive", SQ_STORM_PROGRESSIVE))
            return sq_error_set ("config key '%s' must be \"progressive\", got \"%s\"",
                                 progressive_only[i], value ? value : "");
    }
    return 0;
}

static int
s_config_ms (const sq_config_t *config, const char *key, int64_t fallback)
{
    int64_t value = sq_config_int (config, key, fallback);
    return value > INT_MAX / 4 ? INT_MAX / 4 : (int) value;
}

//  The progressive wait of situation ("spout", "bolt", "backpressure")
//  from its topology.<situation>.wait.progressive.* keys.
static sq_wait_t
s_wait_progressive (const sq_config_t *config, const char *situation)
{
    char key[96];
    sq_wait_t wait = {0};
    snprintf (key, sizeof key, "topology.%s.wait.progressive.level1.count", situation);
    wait.level1 = (uint32_t) s_config_ms (config, key, 0);
    snprintf (key, sizeof key, "topology.%s.wait.progressive.level2.count", situation);
    wait.level2 = (uint32_t) s_config_ms (config, key, 0);
    snprintf (key, sizeof key, "topology.%s.wait.progressive.level3.sleep.millis", situation);
    wait.level3_ms = s_config_ms (config, key, 1);
    wait.max_ms = wait.level3_ms;
    return wait;
}

//  Set the executor's wait strategies from its component's config.
static void
s_waits_init (sq_executor_t *self)
{
    const sq_config_t *config = self->tasks[0]->config;
    if (self->component->spout) {
        const char *strategy = sq_config_string (config, "topology.spout.wait.strategy", "");
        if (s_is_strategy (strategy, "sleep", SQ_STORM_SLEEP)) {
            //  Storm 1's fixed sleep between idle rounds.
            int sleep_ms = s_config_ms (config, "topology.sleep.spout.wait.strategy.time.ms", 1);
            self->idle_wait = (sq_wait_t){.level3_ms = sleep_ms, .max_ms = sleep_ms};
        } else {
            self->idle_wait = s_wait_progressive (config, "spout");
            int max_ms =
                s_config_ms (config, "squall.spout.wait.progressive.max.sleep.millis", 100);
            self->idle_wait.max_ms =
                max_ms > self->idle_wait.level3_ms ? max_ms : self->idle_wait.level3_ms;
        }
        self->backpressure_wait = s_wait_progressive (config, "backpressure");
    } else {
        self->idle_wait = s_wait_progressive (config, "bolt");
        self->idle_wait.max_ms = -1;
    }
}

//  One idle round of a wait: returns how long to wait on the queue for
//  input, in milliseconds (0: look again now; -1: until input arrives).
//  Level 2 rounds sleep briefly first.
static int
s_wait_round (sq_wait_t *wait)
{
    uint64_t round = ++wait->rounds;
    if (round <= wait->level1)
        return 0;
    if (round <= (uint64_t) wait->level1 + wait->level2) {
        //  Storm's parkNanos(1): the shortest sleep the kernel gives (the
        //  timer slack, some 50 us). Unlike sched_yield, it leaves the
        //  core to others even when a thousand executors are in level 2.
        nanosleep (&(struct timespec){0, 1000}, NULL);
        return 0;
    }
    if (wait->max_ms < 0)
        return -1;
    uint64_t parks = round - wait->level1 - wait->level2; //  1 on the first park
    int64_t ms = wait->level3_ms;
    for (uint64_t p = 1; p < parks && ms < wait->max_ms; p++)
        ms *= 2;
    return (int) (ms < wait->max_ms ? ms : wait->max_ms);
}

//  The shorter of a wait (as s_wait_round gives it) and a timer due in
//  timer_ms (-1: none).
static int
s_wait_until (int wait_ms, int timer_ms)
{
    if (wait_ms == 0 || timer_ms < 0)
        return wait_ms;
    return wait_ms < 0 || timer_ms < wait_ms ? timer_ms : wait_ms;
}

//  Milliseconds until due_ns, at least 1 (a wait of 0 would not wait).
static int
s_ms_until (int64_t due_ns, int64_t now)
{
    int64_t ms = (due_ns - now) / 1000000LL + 1;
    return ms < 1 ? 1 : ms > INT_MAX / 4 ? INT_MAX / 4 : (int) ms;
}

//  ---------------------------------------------------------------------
//  Start-up and shut-down

static int
s_open_task (sq_task_t *task)
{
    const sq_component_t *component = task->component;
    int rc = 0;
    if (!component->system && sq_task_hooks_add_from_config (task)) {
        zsys_error ("topology=%s component=%s task=%d: %s", task->runtime->name, component->id,
                    task->task_id, sq_last_error ());
        return -1;
    }
    if (component->spout && component->spout->open)
        rc = component->spout->open (&task->state, task, &task->collector);
    else if (component->bolt && component->bolt->prepare)
        rc = component->bolt->prepare (&task->state, task, &task->collector);
    if (rc) {
        zsys_error ("topology=%s component=%s task=%d failed to %s", task->runtime->name,
                    component->id, task->task_id, component->spout ? "open" : "prepare");
        return -1;
    }
    task->opened = true;
    return 0;
}

//  Open every task, report to the runtime, and wait for the word to run.
//  Returns false when the topology must not run.
static bool
s_start (sq_executor_t *self)
{
    int failures = 0;
    const sq_task_t *first_failed = NULL;
    for (size_t t = 0; t < self->task_count; t++)
        if (s_open_task (self->tasks[t])) {
            failures++;
            if (!first_failed)
                first_failed = self->tasks[t];
        }
    atomic_store (&self->open_returned, true);
    sq_runtime_t *runtime = self->runtime;
    pthread_mutex_lock (&runtime->start_lock);
    runtime->open_failures += failures;
    if (first_failed && !runtime->open_failed_component) {
        //  Out of memory leaves it unnamed: the count still stops the start.
        runtime->open_failed_component = strdup (first_failed->component->id);
        runtime->open_failed_task = first_failed->task_id;
    }
    runtime->prepared++;
    pthread_cond_broadcast (&runtime->start_cond);
    while (!runtime->go)
        pthread_cond_wait (&runtime->start_cond, &runtime->start_lock);
    pthread_mutex_unlock (&runtime->start_lock);
    return !atomic_load (&runtime->stopping);
}

static void
s_close_task (sq_task_t *task)
{
    const sq_component_t *component = task->component;
    //  Hooks first, as in Storm: the component's close may free what a
    //  hook it added points at.
    if (task->hooks)
        sq_task_hooks_cleanup (task);
    if (task->opened) {
        if (component->spout && component->spout->close)
            component->spout->close (task->state);
        else if (component->bolt && component->bolt->cleanup)
            component->bolt->cleanup (task->state);
    }
    while (task->held) {
        sq_tuple_t *tuple = task->held;
        task->held = tuple->held_next;
        sq_tuple_destroy (&tuple);
    }
}

//  ---------------------------------------------------------------------
//  Spouts

//  Record the end of a traced tree, as its spout sees it.
static void
s_trace_outcome (sq_runtime_t *runtime, sq_task_t *task, uint64_t root, sq_trace_kind_t kind,
                 int64_t latency_ns)
{
    sq_trace_event_t event = {.root = root,
                              .ms = sq_trace_now_ms (),
                              .latency_ms = (double) latency_ns / 1e6,
                              .component = task->component->id,
                              .task = task->task_id,
                              .kind = kind};
    sq_trace_buffer_add (runtime->traces, &event, 1);
}

//  The spout's ack or fail of a tree it has in flight.
static void
s_spout_tree_ended (sq_executor_t *self, sq_task_t *task, uint64_t root, bool completed)
{
    sq_pending_t pending;
    if (!task->pending || sq_pending_trees_take (task->pending, root, &pending))
        return; //  already timed out, or a duplicate report
    sq_counter_add (&self->stats.pending, (uint64_t) -1);
    const sq_spout_t *spout = task->component->spout;
    int64_t latency_ns = 0;
    uint64_t threshold =
        atomic_load_explicit (&self->runtime->trace_threshold, memory_order_relaxed);
    if (threshold && sq_trace_sampled (root, threshold))
        s_trace_outcome (self->runtime, task, root, completed ? SQ_TRACE_ACKED : SQ_TRACE_FAILED,
                         sq_runtime_now_ns () - pending.start_ns);
    if (completed) {
        latency_ns = sq_runtime_now_ns () - pending.start_ns;
        sq_counter_add (&self->stats.acked, 1);
        sq_counter_add (&self->stats.latency_ns_total, (uint64_t) latency_ns);
        if (self->metrics_on)
            sq_executor_metrics_spout_acked (self->metrics, pending.stream, (uint64_t) latency_ns);
        if (spout->ack)
            spout->ack (task->state, pending.msg_id);
    } else {
        sq_counter_add (&self->stats.failed, 1);
        if (self->metrics_on)
            sq_executor_metrics_spout_failed (self->metrics, pending.stream);
        if (spout->fail)
            spout->fail (task->state, pending.msg_id);
    }
    if (task->hook_count)
        sq_task_hooks_spout_done (task, pending.msg_id,
                                  completed ? latency_ns : sq_runtime_now_ns () - pending.start_ns,
                                  completed);
}

typedef struct {
    sq_executor_t *executor; //  executor whose task timed out
    sq_task_t *task;         //  spout task whose trees expired
} sq_expiry_t;

static void
s_spout_tree_expired (uint64_t root, const sq_pending_t *pending, void *arg)
{
    sq_expiry_t *expiry = arg;
    sq_runtime_t *runtime = expiry->executor->runtime;
    uint64_t threshold = atomic_load_explicit (&runtime->trace_threshold, memory_order_relaxed);
    if (threshold && sq_trace_sampled (root, threshold))
        s_trace_outcome (runtime, expiry->task, root, SQ_TRACE_TIMED_OUT,
                         sq_runtime_now_ns () - pending->start_ns);
    sq_counter_add (&expiry->executor->stats.pending, (uint64_t) -1);
    sq_counter_add (&expiry->executor->stats.timed_out, 1);
    if (expiry->executor->metrics_on)
        sq_executor_metrics_spout_timed_out (expiry->executor->metrics, pending->stream);
    const sq_spout_t *spout = expiry->task->component->spout;
    if (spout->fail)
        spout->fail (expiry->task->state, pending->msg_id);
    if (expiry->task->hook_count)
        sq_task_hooks_spout_done (expiry->task, pending->msg_id,
                                  sq_runtime_now_ns () - pending->start_ns, false);
}

static void
s_dispatch_to_spout (sq_executor_t *self, sq_message_t *message)
{
    sq_task_t *task = self->runtime->tasks[message->task];
    if (message->kind == SQ_MSG_TREE_DONE || message->kind == SQ_MSG_TREE_FAILED)
        s_spout_tree_ended (self, task, message->root, message->kind == SQ_MSG_TREE_DONE);
    else if (message->kind == SQ_MSG_RESET_TIMEOUT) {
        //  The acker moved its entry to its newest bucket: do the same, so
        //  the spout does not time the tree out on its own clock.
        if (task->pending)
            sq_pending_trees_refresh (task->pending, message->root);
    } else {
        sq_tuple_destroy (&message->tuple);
        sq_counter_add (&self->stats.dropped, 1);
    }
}

//  Follow the topology's status, as Storm's spout executor does: each
//  task's activate is called once when the status turns active (the first
//  time before its first next_tuple), its deactivate once when it turns
//  inactive after an activate. A topology that starts inactive sees no
//  call until it is activated.
static void
s_spout_follow_status (sq_executor_t *self, bool active)
{
    for (size_t t = 0; t < self->task_count; t++) {
        sq_task_t *task = self->tasks[t];
        const sq_spout_t *spout = task->component->spout;
        if (task->active == active)
            continue;
        task->active = active;
        if (active && spout->activate)
            spout->activate (task->state);
        if (!active && spout->deactivate)
            spout->deactivate (task->state);
    }
}

//  Call next_tuple on every task that may emit; returns tuples emitted,
//  and in *called the number of tasks not held back by max spout pending.
static uint64_t
s_spout_emit_round (sq_executor_t *self, size_t *called)
{
    *called = 0;
    uint64_t before = atomic_load_explicit (&self->stats.spout_emitted, memory_order_relaxed);
    for (size_t t = 0; t < self->task_count; t++) {
        sq_task_t *task = self->tasks[t];
        const sq_spout_t *spout = task->component->spout;
        size_t in_flight = task->pending ? sq_pending_trees_size (task->pending) : 0;
        if (task->max_spout_pending && in_flight >= (size_t) task->max_spout_pending)
            continue;
        (*called)++;
        spout->next_tuple (task->state);
        //  Acking is off: tracked tuples count as acked once emitted.
        for (size_t i = 0; i < task->ack_now_count; i++) {
            sq_counter_add (&self->stats.acked, 1);
            if (spout->ack)
                spout->ack (task->state, task->ack_now[i]);
            if (task->hook_count)
                sq_task_hooks_spout_done (task, task->ack_now[i], 0, true);
        }
        task->ack_now_count = 0;
    }
    return atomic_load_explicit (&self->stats.spout_emitted, memory_order_relaxed) - before;
}

static void
s_rotate_spout_timeouts (sq_executor_t *self)
{
    for (size_t t = 0; t < self->task_count; t++) {
        sq_task_t *task = self->tasks[t];
        if (task->pending) {
            sq_expiry_t expiry = {self, task};
            sq_pending_trees_rotate (task->pending, s_spout_tree_expired, &expiry);
        }
    }
}

//  Time a spout is held back, by reason: the clock is read only while
//  held and when that ends, never while the spout emits freely.
typedef struct {
    int reason;    //  sq_metrics_held_t, or -1 while not held
    int64_t since; //  when the time not yet counted began
} sq_held_t;

static void
s_spout_held (sq_executor_t *self, sq_held_t *held, int reason)
{
    if (reason < 0 && held->reason < 0)
        return;
    int64_t now = sq_runtime_now_ns ();
    if (held->reason >= 0)
        sq_executor_metrics_held (self->metrics, (sq_metrics_held_t) held->reason,
                                  (uint64_t) (now - held->since));
    held->reason = reason;
    held->since = now;
}

static void
s_spout_loop (sq_executor_t *self)
{
    sq_runtime_t *runtime = self->runtime;
    sq_message_t inbox[SQ_POP_MAX];
    sq_held_t held = {-1, 0};
    while (!atomic_load_explicit (&runtime->stopping, memory_order_relaxed)) {
        size_t received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, 0);
        for (size_t i = 0; i < received; i++)
            s_dispatch_to_spout (self, &inbox[i]);
        if (runtime->rotation_ns && sq_runtime_now_ns () >= self->next_rotation_ns) {
            s_rotate_spout_timeouts (self);
            self->next_rotation_ns = sq_runtime_now_ns () + runtime->rotation_ns;
        }
        bool active = atomic_load (&runtime->active);
        s_spout_follow_status (self, active);
        //  Full batches go out now; a spout whose batches do not fit is
        //  held back until they do.
        bool clear = s_flush_all (self, false, true) &&
                     !atomic_load_explicit (&runtime->throttled, memory_order_relaxed);
        uint64_t emitted = 0;
        size_t called = 0, called_again;
        if (clear && active) {
            //  More rounds while they emit; the first says who was held.
            uint64_t more = emitted = s_spout_emit_round (self, &called);
            for (int round = 1; round < SQ_SPOUT_ROUNDS && more; round++) {
                more = s_spout_emit_round (self, &called_again);
                emitted += more;
            }
        }
        if (self->metrics_on)
            s_spout_held (self, &held,
                          !active                           ? SQ_METRICS_HELD_INACTIVE
                          : !clear                          ? SQ_METRICS_HELD_BACKPRESSURE
                          : called == 0 && self->task_count ? SQ_METRICS_HELD_PENDING
                                                            : -1);
        if (emitted == 0) {
            //  Idle or held back: hand over what is buffered, then wait as
            //  the strategy says, woken early by an ack, never past the
            //  next timeout rotation.
            s_flush_all (self, false, false);
            sq_wait_t *wait = clear ? &self->idle_wait : &self->backpressure_wait;
            int wait_ms = s_wait_round (wait);
            if (runtime->rotation_ns)
                wait_ms = s_wait_until (wait_ms,
                                        s_ms_until (self->next_rotation_ns, sq_runtime_now_ns ()));
            received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, wait_ms);
            //  Woken by an ack before the sleep ran out: the topology is
            //  busy, so the next sleep is no longer than this one. Only
            //  sleeps that run out double.
            if (received && wait_ms > 0)
                wait->rounds--;
            for (size_t i = 0; i < received; i++)
                s_dispatch_to_spout (self, &inbox[i]);
        } else
            self->idle_wait.rounds = self->backpressure_wait.rounds = 0;
    }
    //  Stopped after a deactivation (a kill): deactivate comes before close.
    if (!atomic_load (&runtime->active))
        s_spout_follow_status (self, false);
}

//  ---------------------------------------------------------------------
//  Bolts and ackers

//  The metrics of one execute: latency end - start when the tuple was
//  timed. An input acked inside its execute is timed to the end of it.
static void
s_executed (sq_executor_t *self, const sq_tuple_t *tuple, int64_t start, int64_t end)
{
    int number = sq_executor_input (self, tuple->stream);
    if (number < 0)
        return; //  tick tuples have no input
    bool acked = (tuple->state & (SQ_TUPLE_ACKED | SQ_TUPLE_FAILED)) == SQ_TUPLE_ACKED;
    if (!(tuple->state & SQ_TUPLE_TIMED)) {
        sq_metrics_runs_add (self->inputs[number].runs, acked);
        return;
    }
    uint64_t latency = (uint64_t) (end > start ? end - start : 0);
    sq_executor_metrics_executed (self->metrics, (size_t) number, latency);
    if (acked)
        sq_executor_metrics_acked (self->metrics, (size_t) number, latency);
}

//  Whether to time this execute: all of them, or one in sample_span on
//  average, at random intervals (no clock read for the others).
static bool
s_time_this (sq_executor_t *self)
{
    if (self->time_all)
        return true;
    if (--self->sample_countdown)
        return false;
    uint64_t x = self->sample_random;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->sample_random = x;
    self->sample_countdown = 1 + (uint32_t) (x % (2 * (uint64_t) self->sample_span - 1));
    return true;
}

//  Run execute on an input. The clock is read around it when the metrics
//  time it or the task has hooks, once for both. *clock is the time the
//  previous execute of the batch ended (0: unknown, read the clock), and
//  becomes the time this one ended (0 when untimed): back to back, one
//  clock read per input.
static void
s_execute (sq_executor_t *self, sq_task_t *task, sq_tuple_t *tuple, int64_t *clock)
{
    tuple->state |= SQ_TUPLE_EXECUTING;
    sq_counter_add (&self->stats.executed, 1);
    if (tuple->state & SQ_TUPLE_TRACED)
        sq_runtime_trace_tuple (
            self->runtime, tuple, SQ_TRACE_EXECUTE,
            atomic_load_explicit (&self->runtime->trace_threshold, memory_order_relaxed));
    bool timed = self->metrics_on && s_time_this (self);
    bool clocked = timed || task->hook_count;
    int64_t start = 0;
    if (clocked) {
        start = *clock ? *clock : sq_runtime_now_ns ();
        task->execute_ns = start;
    }
    if (timed)
        tuple->state |= SQ_TUPLE_TIMED;
    task->component->bolt->execute (task->state, tuple);
    tuple->state &= (uint8_t) ~SQ_TUPLE_EXECUTING;
    int64_t end = clocked ? sq_runtime_now_ns () : 0;
    *clock = end;
    if (task->hook_count)
        sq_task_hooks_executed (task, tuple, end - start);
    if (self->metrics_on)
        s_executed (self, tuple, start, end);
    //  A window's tuple stays, whether or not its bolt acked or failed it: the
    //  window frees it when it expires.
    if ((tuple->state & (SQ_TUPLE_ACKED | SQ_TUPLE_WINDOWED)) == SQ_TUPLE_ACKED)
        sq_tuple_destroy_gathered (&tuple, &self->releases);
    else {
        //  The bolt keeps it to ack later: remember when its execute began,
        //  for its process latency.
        if (tuple->block && !atomic_load_explicit (&self->keeps_inputs, memory_order_relaxed))
            atomic_store_explicit (&self->keeps_inputs, true, memory_order_relaxed);
        if (clocked)
            sq_executor_remember_start (task, tuple, start);
        tuple->held_prev = NULL;
        tuple->held_next = task->held;
        if (task->held)
            task->held->held_prev = tuple;
        task->held = tuple;
    }
}

void
sq_executor_remember_start (sq_task_t *task, const sq_tuple_t *tuple, int64_t start_ns)
{
    //  Out of memory, its process latency reads 0.
    if (!task->held_starts)
        task->held_starts = sq_idmap_new (sizeof (int64_t), ~(uint64_t) 0);
    uint64_t *entry = task->held_starts
                          ? sq_idmap_insert (task->held_starts, (uint64_t) (uintptr_t) tuple)
                          : NULL;
    if (entry)
        *(int64_t *) sq_idmap_value (entry) = start_ns;
}

int64_t
sq_executor_take_start (sq_task_t *task, const sq_tuple_t *tuple)
{
    if (tuple->state & SQ_TUPLE_EXECUTING)
        return task->execute_ns;
    uint64_t *entry =
        task->held_starts ? sq_idmap_find (task->held_starts, (uint64_t) (uintptr_t) tuple) : NULL;
    if (!entry)
        return 0;
    int64_t start = *(int64_t *) sq_idmap_value (entry);
    sq_idmap_remove_entry (task->held_starts, entry);
    return start;
}

static void
s_dispatch_to_bolt (sq_executor_t *self, sq_message_t *message, int64_t *clock)
{
    sq_task_t *task = self->runtime->tasks[message->task];
    if (message->kind == SQ_MSG_TUPLE && task->component->bolt)
        s_execute (self, task, message->tuple, clock);
    else if (task->system_state) {
        sq_message_t report;
        int rc = self->component->system->handle (task->system_state, message, &report);
        if (rc == 1)
            sq_executor_send_ack (self, report.kind, report.task, report.root, report.value);
        else if (rc < 0) {
            sq_tuple_destroy (&message->tuple);
            sq_counter_add (&self->stats.dropped, 1);
        }
    } else {
        sq_tuple_destroy (&message->tuple);
        sq_counter_add (&self->stats.dropped, 1);
    }
}

static void
s_send_ticks (sq_executor_t *self)
{
    int64_t seconds = self->tick_interval_ns / 1000000000LL;
    for (size_t t = 0; t < self->task_count; t++) {
        sq_task_t *task = self->tasks[t];
        sq_tuple_t *tick =
            sq_tuple_new (sq_tuple_tick_stream (), SQ_SYSTEM_TASK_ID, task->task_id, NULL, 0,
                          &(sq_value_t){.type = SQ_TYPE_INT, .as.i = seconds}, 1);
        int64_t clock = 0;
        if (tick)
            s_execute (self, task, tick, &clock);
    }
}

//  Run timers that are due; returns milliseconds until the next one, or
//  -1 when the executor has none.
static int
s_bolt_timers (sq_executor_t *self)
{
    sq_runtime_t *runtime = self->runtime;
    int64_t now = sq_runtime_now_ns ();
    int64_t next = INT64_MAX;
    if (self->tick_interval_ns) {
        if (now >= self->next_tick_ns) {
            s_send_ticks (self);
            self->next_tick_ns = now + self->tick_interval_ns;
        }
        next = self->next_tick_ns;
    }
    for (size_t t = 0; t < self->task_count; t++) {
        sq_task_t *task = self->tasks[t];
        if (!task->timer)
            continue;
        if (now >= task->timer_due_ns)
            task->timer_due_ns = task->timer (task, now);
        if (task->timer_due_ns < next)
            next = task->timer_due_ns;
    }
    //  Shell bolts read their children here, and say how soon to look again.
    if (self->component->idle)
        for (size_t t = 0; t < self->task_count; t++)
            if (self->tasks[t]->opened) {
                int64_t due = now + self->component->idle (self->tasks[t]->state) * 1000000LL;
                if (due < next)
                    next = due;
            }
    const sq_system_task_t *system = self->component->system;
    if (system && runtime->rotation_ns) {
        if (now >= self->next_rotation_ns) {
            for (size_t t = 0; t < self->task_count; t++)
                system->rotate (self->tasks[t]->system_state);
            self->next_rotation_ns = now + runtime->rotation_ns;
        }
        if (self->next_rotation_ns < next)
            next = self->next_rotation_ns;
    }
    return next == INT64_MAX ? -1 : s_ms_until (next, now);
}

static void
s_bolt_loop (sq_executor_t *self)
{
    sq_runtime_t *runtime = self->runtime;
    sq_message_t inbox[SQ_POP_MAX];
    while (!atomic_load_explicit (&runtime->stopping, memory_order_relaxed)) {
        int timer_ms = s_bolt_timers (self);
        size_t received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, 0);
        if (received == 0) {
            //  Nothing to do: hand over what is buffered, then wait as the
            //  strategy says; parked, a push or the next timer wakes it.
            s_flush_all (self, true, false);
            int wait_ms = s_wait_until (s_wait_round (&self->idle_wait), timer_ms);
            received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, wait_ms);
        }
        if (received)
            self->idle_wait.rounds = 0;
        int64_t clock = 0; //  a batch's executes share their clock reads
        for (size_t i = 0; i < received; i++)
            s_dispatch_to_bolt (self, &inbox[i], &clock);
        sq_tuple_releases_flush (&self->releases);
        if (received < SQ_POP_MAX)
            s_flush_all (self, true, false);
    }
}

void *
sq_executor_run (void *argument)
{
    sq_executor_t *self = argument;
    sq_runtime_t *runtime = self->runtime;
    int64_t now = sq_runtime_now_ns ();
    self->next_rotation_ns = now + runtime->rotation_ns;
    int64_t tick_secs = sq_config_int (self->tasks[0]->config, "topology.tick.tuple.freq.secs", 0);
    if (self->component->bolt && tick_secs > 0) {
        self->tick_interval_ns = tick_secs * 1000000000LL;
        self->next_tick_ns = now + self->tick_interval_ns;
    }
    s_waits_init (self);
    if (s_start (self)) {
        if (self->component->spout)
            s_spout_loop (self);
        else
            s_bolt_loop (self);
    }
    for (size_t t = 0; t < self->task_count; t++)
        s_close_task (self->tasks[t]);
    atomic_store (&self->returned, true);
    return NULL;
}
