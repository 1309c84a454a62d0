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
#include "sq_task_hook.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define SQ_POP_MAX 256           //  messages taken from the queue at once
#define SQ_BOLT_IDLE_WAIT_MS 100 //  longest sleep of an idle bolt or acker

static void
s_count (_Atomic uint64_t *counter, uint64_t amount)
{
    //  One writer per counter: a plain load and store is enough.
    atomic_store_explicit (counter, atomic_load_explicit (counter, memory_order_relaxed) + amount,
                           memory_order_relaxed);
}

//  Move one destination's outbox to its queue. With wait, blocks while the
//  queue is full; returns true when the buffer is empty afterwards.
static bool
s_flush_one (sq_executor_t *self, size_t destination, bool wait)
{
    size_t count = self->outbox_count[destination];
    if (count == 0)
        return true;
    sq_runtime_t *runtime = self->runtime;
    sq_message_t *buffer = self->outbox[destination];
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
        s_count (&self->stats.dropped, count - pushed);
        pushed = count;
    }
    if (pushed && pushed < count)
        memmove (buffer, buffer + pushed, (count - pushed) * sizeof (sq_message_t));
    self->outbox_count[destination] = count - pushed;
    s_count (&self->stats.outbox, (uint64_t) 0 - pushed);
    return pushed == count;
}

//  Flush every destination (only those holding a full batch, with
//  full_only); returns true when no destination is left holding a full
//  batch or more.
static bool
s_flush_all (sq_executor_t *self, bool wait, bool full_only)
{
    size_t batch_size = self->runtime->batch_size;
    bool clear = true;
    for (size_t d = 0; d <= self->runtime->executor_count; d++) {
        if (full_only && self->outbox_count[d] < batch_size)
            continue;
        s_flush_one (self, d, wait);
        clear &= self->outbox_count[d] < batch_size;
    }
    return clear;
}

void
sq_executor_flush_for (sq_executor_t *self, int task)
{
    sq_executor_t *local = self->runtime->task_executor[task];
    s_flush_one (self, local ? (size_t) local->index : self->runtime->executor_count, true);
}

bool
sq_executor_merge_ack (sq_executor_t *self, const sq_message_t *message)
{
    sq_executor_t *local = self->runtime->task_executor[message->task];
    size_t destination = local ? (size_t) local->index : self->runtime->executor_count;
    size_t count = self->outbox_count[destination];
    if (count == 0)
        return false;
    sq_message_t *last = &self->outbox[destination][count - 1];
    if (last->kind != SQ_MSG_ACK_ACK || last->task != message->task || last->root != message->root)
        return false;
    last->value ^= message->value;
    return true;
}

void
sq_executor_send (sq_executor_t *self, const sq_message_t *message)
{
    sq_runtime_t *runtime = self->runtime;
    sq_executor_t *local = runtime->task_executor[message->task];
    size_t destination = local ? (size_t) local->index : runtime->executor_count;
    size_t count = self->outbox_count[destination];
    if (count == self->outbox_capacity[destination]) {
        size_t capacity = count ? count * 2 : runtime->batch_size;
        sq_message_t *grown = realloc (self->outbox[destination], capacity * sizeof (sq_message_t));
        if (!grown) {
            zsys_error ("topology=%s task=%d out of memory queueing a message; dropped",
                        runtime->name, message->task);
            sq_tuple_t *tuple = message->tuple;
            sq_tuple_destroy (&tuple);
            s_count (&self->stats.dropped, 1);
            return;
        }
        self->outbox[destination] = grown;
        self->outbox_capacity[destination] = capacity;
    }
    self->outbox[destination][count] = *message;
    self->outbox_count[destination] = count + 1;
    s_count (&self->stats.outbox, 1);
    //  Spouts keep emitting into the outbox and flush between calls; bolts
    //  and ackers send a full batch at once, waiting for room if need be.
    if (count + 1 >= runtime->batch_size && !self->component->spout)
        s_flush_one (self, destination, true);
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
    for (size_t t = 0; t < self->task_count; t++)
        if (s_open_task (self->tasks[t]))
            failures++;
    sq_runtime_t *runtime = self->runtime;
    pthread_mutex_lock (&runtime->start_lock);
    runtime->open_failures += failures;
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
    uint64_t *entry = task->pending ? sq_rotating_map_find (task->pending, root) : NULL;
    if (!entry)
        return; //  already timed out, or a duplicate report
    sq_pending_t pending = *(sq_pending_t *) sq_idmap_value (entry);
    sq_rotating_map_remove_entry (task->pending, entry);
    s_count (&self->stats.pending, (uint64_t) -1);
    const sq_spout_t *spout = task->component->spout;
    int64_t latency_ns = 0;
    uint64_t threshold =
        atomic_load_explicit (&self->runtime->trace_threshold, memory_order_relaxed);
    if (threshold && sq_trace_sampled (root, threshold))
        s_trace_outcome (self->runtime, task, root, completed ? SQ_TRACE_ACKED : SQ_TRACE_FAILED,
                         sq_runtime_now_ns () - pending.start_ns);
    if (completed) {
        latency_ns = sq_runtime_now_ns () - pending.start_ns;
        s_count (&self->stats.acked, 1);
        s_count (&self->stats.latency_ns_total, (uint64_t) latency_ns);
        if (self->metrics_on)
            sq_executor_metrics_spout_acked (self->metrics, pending.stream, (uint64_t) latency_ns);
        if (spout->ack)
            spout->ack (task->state, pending.msg_id);
    } else {
        s_count (&self->stats.failed, 1);
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
s_spout_tree_expired (uint64_t *entry, void *arg)
{
    sq_expiry_t *expiry = arg;
    const sq_pending_t *pending = sq_idmap_value (entry);
    sq_runtime_t *runtime = expiry->executor->runtime;
    uint64_t threshold = atomic_load_explicit (&runtime->trace_threshold, memory_order_relaxed);
    if (threshold && sq_trace_sampled (*entry, threshold))
        s_trace_outcome (runtime, expiry->task, *entry, SQ_TRACE_TIMED_OUT,
                         sq_runtime_now_ns () - pending->start_ns);
    s_count (&expiry->executor->stats.pending, (uint64_t) -1);
    s_count (&expiry->executor->stats.timed_out, 1);
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
            sq_rotating_map_refresh (task->pending, message->root);
    } else {
        sq_tuple_destroy (&message->tuple);
        s_count (&self->stats.dropped, 1);
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
        size_t in_flight = task->pending ? sq_rotating_map_size (task->pending) : 0;
        if (task->max_spout_pending && in_flight >= (size_t) task->max_spout_pending)
            continue;
        (*called)++;
        spout->next_tuple (task->state);
        //  Acking is off: tracked tuples count as acked once emitted.
        for (size_t i = 0; i < task->ack_now_count; i++) {
            s_count (&self->stats.acked, 1);
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
            sq_rotating_map_rotate (task->pending, s_spout_tree_expired, &expiry);
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
        size_t called = 0;
        if (clear && active)
            emitted = s_spout_emit_round (self, &called);
        if (self->metrics_on)
            s_spout_held (self, &held,
                          !active                           ? SQ_METRICS_HELD_INACTIVE
                          : !clear                          ? SQ_METRICS_HELD_BACKPRESSURE
                          : called == 0 && self->task_count ? SQ_METRICS_HELD_PENDING
                                                            : -1);
        if (emitted == 0) {
            //  Idle or held back: hand over what is buffered, then sleep
            //  until an ack arrives or the wait strategy's time passes.
            s_flush_all (self, false, false);
            received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, runtime->spout_wait_ms);
            for (size_t i = 0; i < received; i++)
                s_dispatch_to_spout (self, &inbox[i]);
        }
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
    uint64_t latency = tuple->state & SQ_TUPLE_TIMED ? (uint64_t) (end > start ? end - start : 0)
                                                     : SQ_METRICS_UNTIMED;
    sq_executor_metrics_executed (self->metrics, (size_t) number, latency);
    if ((tuple->state & (SQ_TUPLE_ACKED | SQ_TUPLE_FAILED)) == SQ_TUPLE_ACKED)
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
    s_count (&self->stats.executed, 1);
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
        sq_tuple_destroy (&tuple);
    else {
        //  The bolt keeps it to ack later: remember when its execute began,
        //  for its process latency.
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
            sq_executor_send (self, &report);
        else if (rc < 0) {
            sq_tuple_destroy (&message->tuple);
            s_count (&self->stats.dropped, 1);
        }
    } else {
        sq_tuple_destroy (&message->tuple);
        s_count (&self->stats.dropped, 1);
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

//  Run timers that are due; returns milliseconds until the next one.
static int
s_bolt_timers (sq_executor_t *self)
{
    sq_runtime_t *runtime = self->runtime;
    int64_t now = sq_runtime_now_ns ();
    int64_t wait_ns = SQ_BOLT_IDLE_WAIT_MS * 1000000LL;
    if (self->tick_interval_ns) {
        if (now >= self->next_tick_ns) {
            s_send_ticks (self);
            self->next_tick_ns = now + self->tick_interval_ns;
        }
        if (self->next_tick_ns - now < wait_ns)
            wait_ns = self->next_tick_ns - now;
    }
    for (size_t t = 0; t < self->task_count; t++) {
        sq_task_t *task = self->tasks[t];
        if (!task->timer)
            continue;
        if (now >= task->timer_due_ns)
            task->timer_due_ns = task->timer (task, now);
        if (task->timer_due_ns - now < wait_ns)
            wait_ns = task->timer_due_ns - now;
    }
    const sq_system_task_t *system = self->component->system;
    if (system && runtime->rotation_ns) {
        if (now >= self->next_rotation_ns) {
            for (size_t t = 0; t < self->task_count; t++)
                system->rotate (self->tasks[t]->system_state);
            self->next_rotation_ns = now + runtime->rotation_ns;
        }
        if (self->next_rotation_ns - now < wait_ns)
            wait_ns = self->next_rotation_ns - now;
    }
    return (int) (wait_ns / 1000000LL) + 1;
}

static void
s_bolt_loop (sq_executor_t *self)
{
    sq_runtime_t *runtime = self->runtime;
    sq_message_t inbox[SQ_POP_MAX];
    while (!atomic_load_explicit (&runtime->stopping, memory_order_relaxed)) {
        int wait_ms = s_bolt_timers (self);
        size_t received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, 0);
        if (received == 0) {
            s_flush_all (self, true, false);
            received = sq_queue_pop (self->queue, inbox, SQ_POP_MAX, wait_ms);
        }
        int64_t clock = 0; //  a batch's executes share their clock reads
        for (size_t i = 0; i < received; i++)
            s_dispatch_to_bolt (self, &inbox[i], &clock);
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
    if (s_start (self)) {
        if (self->component->spout)
            s_spout_loop (self);
        else
            s_bolt_loop (self);
    }
    for (size_t t = 0; t < self->task_count; t++)
        s_close_task (self->tasks[t]);
    return NULL;
}
