/*  sq_collector - emit, ack and fail for spouts and bolts; the task context

    DESIGN: every tuple sent along an edge of a tuple tree gets a fresh
    random edge id. A spout's tracked emit creates a root id and tells the
    acker the XOR of the edge ids it sent. A bolt's anchored emit draws a
    fresh edge id per anchor and XORs it into that anchor's ack_val; the
    new tuple carries, for each root of its anchors, the XOR of the ids of
    its anchors in that tree. Acking an input sends, per root, the input's
    edge id XOR its ack_val; the acker's entry for the root returns to zero
    exactly when every edge was both created and acked.

    Each edge id also names the task the tuple goes to (sq_ids.h), and a
    fail tells the acker which task failed: that is how the acker names
    the task that held a tree that timed out or failed (doc/acking.md).
*/
#include "sq_runtime.h"
#include "sq_error.h"
#include "sq_ids.h"
#include "sq_task_hook.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define SQ_LOCAL_EDGES 32 //  edges built on the stack before using the heap

//  Ask the acker of root to apply a message.
static void
s_tell_acker (sq_task_t *task, sq_message_kind_t kind, uint64_t root, uint64_t value)
{
    sq_runtime_t *runtime = task->runtime;
    sq_message_t message = {
        .kind = kind, .task = sq_runtime_acker_for (runtime, root), .root = root, .value = value};
    //  A bolt acking many inputs of one tree in a row sends one message.
    if (kind == SQ_MSG_ACK_ACK && sq_executor_merge_ack (task->executor, &message))
        return;
    sq_executor_send_ack (task->executor, kind, message.task, root, value);
    sq_counter_add (&task->executor->stats.acker_messages, 1);
}

static sq_outlet_t *
s_outlet (sq_task_t *task, const char *stream)
{
    if (!stream)
        return task->default_outlet;
    const char *name = stream;
    for (size_t s = 0; s < task->component->stream_count; s++)
        if (strcmp (task->outlets[s].stream->name, name) == 0)
            return &task->outlets[s];
    return NULL;
}

//  A regular emit onto a stream that a bolt subscribes to with a direct
//  grouping, which Storm refuses too. Names that bolt; returns -1.
static int
s_direct_subscriber_error (sq_task_t *task, const sq_outlet_t *outlet,
                           const sq_grouping_t *grouping)
{
    const char *subscriber = "a bolt";
    for (int id = 1; id <= task->runtime->task_count; id++)
        if (sq_grouping_accepts (grouping, id)) {
            subscriber = task->runtime->task_component[id]->id;
            break;
        }
    return sq_error_set ("'%s' emits on stream '%s' without a target task, but '%s' subscribes "
                         "to it with a direct grouping: declare the stream with "
                         "sq_declarer_direct_stream and emit with sq_collector_emit_direct",
                         task->component->id, outlet->stream->name, subscriber);
}

//  The targets that the groupings of an outlet without direct groupings
//  choose for these values; returns how many, or -1.
static inline int
s_choose_targets (const sq_outlet_t *outlet, const sq_value_t *values, int *targets)
{
    int count = 0;
    for (size_t g = 0; g < outlet->grouping_count; g++) {
        int chosen = sq_grouping_choose (outlet->groupings[g], values, targets + count);
        if (chosen < 0)
            return -1;
        count += chosen;
    }
    return count;
}

//  Collect the target tasks; returns how many, or -1.
static int
s_targets (sq_task_t *task, const sq_outlet_t *outlet, const sq_emit_t *emit,
           const sq_value_t *values, int *targets)
{
    //  The common case: every subscriber's grouping chooses.
    if (!emit->direct_task && outlet->direct_groupings == 0)
        return s_choose_targets (outlet, values, targets);
    size_t count = 0;
    for (size_t g = 0; g < outlet->grouping_count; g++) {
        sq_grouping_t *grouping = outlet->groupings[g];
        bool direct = sq_grouping_type (grouping) == SQ_GROUPING_DIRECT;
        if (emit->direct_task && direct && sq_grouping_accepts (grouping, emit->direct_task))
            targets[count++] = emit->direct_task;
        else if (!emit->direct_task && !direct) {
            int chosen = sq_grouping_choose (grouping, values, targets + count);
            if (chosen < 0)
                return -1;
            count += (size_t) chosen;
        } else if (!emit->direct_task)
            return s_direct_subscriber_error (task, outlet, grouping);
    }
    if (emit->direct_task && count == 0)
        return sq_error_set ("task %d of '%s' emits direct to task %d, which does not subscribe "
                             "to stream '%s' with a direct grouping",
                             task->task_id, task->component->id, emit->direct_task,
                             outlet->stream->name);
    return (int) count;
}

//  Edges of a new tuple anchored to these anchors, one per distinct
//  root. Each anchor gets its own edge id, drawn from ids, XORed into its
//  ack_val and into the new tuple's edge for each of its roots: two
//  anchors of one tree must not share an id, or the ids would cancel and
//  the new tuple would drop out of its tree.
//
//  With `slots` (many anchors: a windowed bolt's emit anchors to its whole
//  window), a root is found through a hash table of slot_count entries (a
//  power of two, at least twice the edges) holding edge index + 1, not by
//  scanning the edges: linear rather than quadratic in the anchors, and
//  the same edges in the same order.
static size_t
s_anchor_edges (sq_ids_source_t *ids, const sq_tuple_t *const *anchors, size_t anchor_count,
                int target, int task_bits, sq_edge_t *edges, uint32_t *slots, size_t slot_count)
{
    if (slots)
        memset (slots, 0, slot_count * sizeof (uint32_t));
    size_t count = 0;
    for (size_t a = 0; a < anchor_count; a++) {
        sq_tuple_t *anchor = (sq_tuple_t *) anchors[a];
        if (!anchor || anchor->edge_count == 0)
            continue;
        //  A window tuple its bolt acked or failed already is done with
        //  its trees: an edge anchored to it would never be acked.
        if ((anchor->state & (SQ_TUPLE_WINDOWED | SQ_TUPLE_ACKED)) ==
            (SQ_TUPLE_WINDOWED | SQ_TUPLE_ACKED))
            continue;
        uint64_t edge = sq_ids_edge_from (ids, target, task_bits);
        anchor->ack_val ^= edge;
        for (size_t e = 0; e < anchor->edge_count; e++) {
            uint64_t root = anchor->edges[e].root;
            size_t i = 0;
            if (slots) {
                size_t slot = (size_t) ((root * 0x9E3779B97F4A7C15ULL) >> 32) & (slot_count - 1);
                while (slots[slot] && edges[slots[slot] - 1].root != root)
                    slot = (slot + 1) & (slot_count - 1);
                if (!slots[slot])
                    slots[slot] = (uint32_t) count + 1;
                i = slots[slot] - 1;
            } else
                while (i < count && edges[i].root != root)
                    i++;
            if (i == count)
                edges[count++] = (sq_edge_t){root, 0};
            edges[i].edge ^= edge;
        }
    }
    return count;
}

//  Why an emit onto outlet (NULL: not declared) cannot go out; returns -1.
static int
s_emit_refused (sq_task_t *task, const sq_outlet_t *outlet, const sq_emit_t *emit, size_t count)
{
    const char *component = task->component->id;
    if (!outlet)
        return sq_error_set ("'%s' emits on stream '%s', which it does not declare", component,
                             emit->stream ? emit->stream : SQ_DEFAULT_STREAM);
    //  Storm's declareStream (id, direct, fields): a direct stream takes
    //  only direct emits, and only a direct stream takes them.
    if (outlet->stream->direct && !emit->direct_task)
        return sq_error_set ("'%s' emits on stream '%s' without a target task, but the stream is "
                             "declared direct: emit with sq_collector_emit_direct",
                             component, outlet->stream->name);
    if (!outlet->stream->direct && emit->direct_task)
        return sq_error_set ("'%s' emits direct on stream '%s', which is not declared direct: "
                             "declare it with sq_declarer_direct_stream",
                             component, outlet->stream->name);
    return sq_error_set ("'%s' emits %zu values on stream '%s', which declares %zu fields",
                         component, count, outlet->stream->name, outlet->stream->field_count);
}

//  What the tuples of an emit of these values onto outlet share.
static inline sq_emitted_t
s_emitted (const sq_task_t *task, const sq_outlet_t *outlet, const sq_value_t *values, size_t count)
{
    return (sq_emitted_t){
        .stream = outlet->stream,
        .source_task = task->task_id,
        .values = values,
        .value_count = count,
        .trace = atomic_load_explicit (&task->runtime->trace_threshold, memory_order_relaxed)};
}

//  Send the emitted tuple to target with these edges.
static inline void
s_send (sq_task_t *task, const sq_emitted_t *emitted, int target, const sq_edge_t *edges,
        size_t edge_count)
{
    if (!sq_executor_send_tuple (task->executor, emitted, target, edges, edge_count))
        zsys_error ("topology=%s task=%d out of memory emitting; tuple lost", task->runtime->name,
                    task->task_id);
}

//  Count an emit onto outlet that reached target_count tasks, in the
//  stats and the metrics; returns the stream's number.
static inline uint32_t
s_emit_counted (sq_task_t *task, const sq_outlet_t *outlet, int target_count)
{
    sq_executor_t *executor = task->executor;
    uint32_t stream = (uint32_t) (outlet - task->outlets);
    if (executor->metrics_on)
        sq_metrics_emits_add (outlet->emits, (uint64_t) target_count);
    sq_counter_add (&executor->stats.emitted, 1);
    if (task->component->spout)
        sq_counter_add (&executor->stats.spout_emitted, 1);
    return stream;
}

//  What an emit asked to see of itself: the targets it reached, and the
//  task's hooks.
static void
s_emit_report (sq_task_t *task, const sq_emit_t *emit, const sq_outlet_t *outlet,
               const sq_value_t *values, size_t count, const int *targets, int target_count)
{
    if (emit->targets_out) {
        size_t copied =
            (size_t) target_count < emit->targets_room ? (size_t) target_count : emit->targets_room;
        memcpy (emit->targets_out, targets, copied * sizeof (int));
    }
    if (task->hook_count)
        sq_task_hooks_emit (task, outlet->stream->name, values, count, targets, target_count);
}

//  A spout's tracked emit of the tree of root went out: the acker learns
//  the XOR of its edges.
static void
s_emit_tracked (sq_task_t *task, uint64_t root, uint64_t init_xor)
{
    sq_executor_stats_t *stats = &task->executor->stats;
    sq_counter_add (&stats->pending, 1);
    uint64_t in_flight = sq_pending_trees_size (task->pending);
    if (in_flight > atomic_load_explicit (&stats->max_pending, memory_order_relaxed))
        atomic_store_explicit (&stats->max_pending, in_flight, memory_order_relaxed);
    s_tell_acker (task, SQ_MSG_ACK_INIT, root, init_xor);
}

//  A tracked emit with no ackers: acked as soon as emitted (after
//  next_tuple returns). Returns 0, or -1 when out of memory.
static int
s_emit_ack_now (sq_task_t *task, const sq_emit_t *emit, uint32_t stream)
{
    if (task->ack_now_count == task->ack_now_capacity) {
        size_t capacity = task->ack_now_capacity ? task->ack_now_capacity * 2 : 64;
        uint64_t *grown = realloc (task->ack_now, capacity * sizeof (uint64_t));
        if (!grown)
            return sq_error_set ("out of memory");
        task->ack_now = grown;
        task->ack_now_capacity = capacity;
    }
    task->ack_now[task->ack_now_count++] = emit->msg_id;
    sq_executor_t *executor = task->executor;
    if (executor->metrics_on)
        sq_executor_metrics_spout_acked (executor->metrics, stream, 0);
    return 0;
}

static int
s_emit (sq_task_t *task, const sq_emit_t *emit, const sq_value_t *values, size_t count)
{
    sq_runtime_t *runtime = task->runtime;
    sq_outlet_t *outlet = s_outlet (task, emit->stream);
    if (!outlet || outlet->stream->direct != (emit->direct_task != 0) ||
        count != outlet->stream->field_count)
        return s_emit_refused (task, outlet, emit, count);
    int stack_targets[16];
    int *targets =
        outlet->max_targets <= 16 ? stack_targets : malloc (outlet->max_targets * sizeof (int));
    int target_count =
        targets ? s_targets (task, outlet, emit, values, targets) : sq_error_set ("out of memory");
    if (target_count < 0) {
        if (targets != stack_targets)
            free (targets);
        return -1;
    }
    bool tracked = emit->tracked && runtime->acker_count > 0;
    uint64_t root = 0;
    if (tracked) {
        sq_pending_t pending = {emit->msg_id, sq_runtime_now_ns (),
                                (uint32_t) (outlet - task->outlets)};
        //  A root id still in flight comes up again only by a 1 in 2^46
        //  chance; draw another then.
        int added;
        do
            root = sq_ids_root_from (&task->executor->ids, task->task_id);
        while ((added = sq_pending_trees_add (task->pending, root, &pending)) == 1);
        if (added < 0) {
            if (targets != stack_targets)
                free (targets);
            return sq_error_set ("out of memory tracking a spout tuple");
        }
    }
    //  Anchors matter only to the acker: room for an edge per root of each.
    bool anchored = !tracked && emit->anchor_count && runtime->acker_count;
    size_t edge_room = 1;
    for (size_t a = 0; anchored && a < emit->anchor_count; a++)
        edge_room += emit->anchors[a] ? emit->anchors[a]->edge_count : 0;
    sq_edge_t stack_edges[SQ_LOCAL_EDGES];
    sq_edge_t *edges =
        edge_room <= SQ_LOCAL_EDGES ? stack_edges : malloc (edge_room * sizeof (sq_edge_t));
    size_t slot_count = 0;
    uint32_t *slots = NULL;
    if (edge_room > SQ_LOCAL_EDGES && runtime->acker_count) {
        slot_count = SQ_LOCAL_EDGES;
        while (slot_count < 2 * edge_room)
            slot_count *= 2;
        slots = malloc (slot_count * sizeof (uint32_t));
    }
    uint64_t init_xor = 0;
    sq_emitted_t emitted = s_emitted (task, outlet, values, count);
    for (int t = 0; edges && t < target_count; t++) {
        size_t edge_count = 0;
        if (tracked) {
            edges[0] = (sq_edge_t){
                root, sq_ids_edge_from (&task->executor->ids, targets[t], runtime->edge_task_bits)};
            init_xor ^= edges[0].edge;
            edge_count = 1;
        } else if (anchored)
            edge_count =
                s_anchor_edges (&task->executor->ids, emit->anchors, emit->anchor_count, targets[t],
                                runtime->edge_task_bits, edges, slots, slot_count);
        s_send (task, &emitted, targets[t], edges, edge_count);
    }
    if (emit->targets_out || task->hook_count)
        s_emit_report (task, emit, outlet, values, count, targets, target_count);
    //  Only what was allocated: a free (NULL) costs a call into the
    //  allocator, a noticeable share of an emit.
    if (edges != stack_edges)
        free (edges);
    if (slots)
        free (slots);
    if (targets != stack_targets)
        free (targets);
    uint32_t stream = s_emit_counted (task, outlet, target_count);
    if (tracked)
        s_emit_tracked (task, root, init_xor);
    else if (emit->tracked && s_emit_ack_now (task, emit, stream))
        return -1;
    return target_count;
}

//  Report a misuse of the collector once per task, then stay quiet.
static int
s_misuse (sq_collector_t *self)
{
    static _Thread_local int reported_task;
    if (reported_task != self->task->task_id) {
        reported_task = self->task->task_id;
        zsys_error ("topology=%s component=%s task=%d: %s", self->task->runtime->name,
                    self->task->component->id, self->task->task_id, sq_last_error ());
    }
    return -1;
}

static inline int
s_emit_checked (sq_collector_t *self, const sq_emit_t *emit, const sq_value_t *values, size_t count)
{
    if (self->task->component->spout && emit->anchor_count)
        sq_error_set ("spout '%s' cannot anchor tuples; use sq_collector_emit_tracked",
                      self->task->component->id);
    else if (!self->task->component->spout && emit->tracked)
        sq_error_set ("bolt '%s' cannot emit tracked tuples; anchor them to inputs",
                      self->task->component->id);
    else {
        int rc = s_emit (self->task, emit, values, count);
        return rc < 0 ? s_misuse (self) : rc;
    }
    return s_misuse (self);
}

//  An emit with nothing unusual about it, which most are: onto a stream
//  that no direct grouping subscribes to and that reaches at most
//  SQ_PLAIN_TARGETS tasks, by a task without hooks, anchored to at most
//  one input (not a window) of few enough trees. It does what s_emit does
//  for such an emit, minus the checks and the rare cases (in the word
//  count, 150 instructions an emit before the tuple is made rather than
//  220). Returns the number of targets, or -1.
static int
s_emit_plain (sq_task_t *task, const sq_outlet_t *outlet, const sq_tuple_t *const *anchor_p,
              const sq_value_t *values, size_t count)
{
    int targets[SQ_PLAIN_TARGETS];
    int target_count = s_choose_targets (outlet, values, targets);
    if (target_count < 0)
        return -1;
    sq_runtime_t *runtime = task->runtime;
    size_t anchor_count = *anchor_p && runtime->acker_count ? 1 : 0;
    sq_edge_t edges[SQ_LOCAL_EDGES];
    sq_emitted_t emitted = s_emitted (task, outlet, values, count);
    for (int t = 0; t < target_count; t++) {
        size_t edge_count = anchor_count
                                ? s_anchor_edges (&task->executor->ids, anchor_p, 1, targets[t],
                                                  runtime->edge_task_bits, edges, NULL, 0)
                                : 0;
        s_send (task, &emitted, targets[t], edges, edge_count);
    }
    s_emit_counted (task, outlet, target_count);
    return target_count;
}

//  An emit on stream anchored to *anchor_p (NULL: to the window the
//  collector emits for, if any).
static inline int
s_emit_on (sq_collector_t *self, const char *stream, const sq_tuple_t *const *anchor_p,
           const sq_value_t *values, size_t count)
{
    sq_task_t *task = self->task;
    const sq_tuple_t *anchor = *anchor_p;
    const sq_outlet_t *outlet = stream ? NULL : task->default_outlet;
    if (outlet && outlet->plain && count == outlet->stream->field_count && !task->hook_count &&
        !self->window &&
        (!anchor || (!task->component->spout && anchor->edge_count < SQ_LOCAL_EDGES))) {
        int rc = s_emit_plain (task, outlet, anchor_p, values, count);
        return rc < 0 ? s_misuse (self) : rc;
    }
    sq_emit_t emit = {.stream = stream, .anchors = anchor_p, .anchor_count = *anchor_p != NULL};
    if (!*anchor_p && self->window) {
        emit.anchors = self->window;
        emit.anchor_count = self->window_count;
    }
    return s_emit_checked (self, &emit, values, count);
}

int
sq_collector_emit (sq_collector_t *self, const sq_tuple_t *anchor, const sq_value_t *values,
                   size_t count)
{
    return s_emit_on (self, NULL, &anchor, values, count);
}

int
sq_collector_emit_stream (sq_collector_t *self, const char *stream, const sq_tuple_t *anchor,
                          const sq_value_t *values, size_t count)
{
    return s_emit_on (self, stream, &anchor, values, count);
}

int
sq_collector_emit_anchored (sq_collector_t *self, const char *stream,
                            const sq_tuple_t *const *anchors, size_t anchor_count,
                            const sq_value_t *values, size_t count)
{
    sq_emit_t emit = {.stream = stream, .anchors = anchors, .anchor_count = anchor_count};
    return s_emit_checked (self, &emit, values, count);
}

//  An emit to one task (emit->direct_task).
static int
s_emit_direct (sq_collector_t *self, const sq_emit_t *emit, const sq_value_t *values, size_t count)
{
    if (emit->direct_task < 1) {
        sq_error_set ("'%s' emits direct to task %d: task ids start at 1",
                      self->task->component->id, emit->direct_task);
        return s_misuse (self);
    }
    return s_emit_checked (self, emit, values, count);
}

int
sq_collector_emit_direct (sq_collector_t *self, int task, const char *stream,
                          const sq_tuple_t *anchor, const sq_value_t *values, size_t count)
{
    sq_emit_t emit = {
        .stream = stream, .anchors = &anchor, .anchor_count = anchor != NULL, .direct_task = task};
    if (!anchor && self->window) {
        emit.anchors = self->window;
        emit.anchor_count = self->window_count;
    }
    return s_emit_direct (self, &emit, values, count);
}

int
sq_collector_emit_direct_tracked (sq_collector_t *self, int task, const char *stream,
                                  uint64_t msg_id, const sq_value_t *values, size_t count)
{
    sq_emit_t emit = {.stream = stream, .tracked = true, .msg_id = msg_id, .direct_task = task};
    return s_emit_direct (self, &emit, values, count);
}

int
sq_collector_emit_request (sq_collector_t *self, const sq_emit_t *emit, const sq_value_t *values,
                           size_t count)
{
    return emit->direct_task ? s_emit_direct (self, emit, values, count)
                             : s_emit_checked (self, emit, values, count);
}

int
sq_collector_emit_tracked (sq_collector_t *self, const char *stream, uint64_t msg_id,
                           const sq_value_t *values, size_t count)
{
    sq_emit_t emit = {.stream = stream, .tracked = true, .msg_id = msg_id};
    return s_emit_checked (self, &emit, values, count);
}

void
sq_collector_release (sq_task_t *task, sq_tuple_t *tuple)
{
    tuple->state |= SQ_TUPLE_ACKED;
    if (tuple->state & (SQ_TUPLE_EXECUTING | SQ_TUPLE_WINDOWED))
        return;
    if (tuple->held_prev)
        tuple->held_prev->held_next = tuple->held_next;
    else if (task->held == tuple)
        task->held = tuple->held_next;
    if (tuple->held_next)
        tuple->held_next->held_prev = tuple->held_prev;
    sq_tuple_destroy (&tuple);
}

//  Why an input handed to ack or fail is refused; logs it.
static void
s_invalid_input (sq_collector_t *self, const sq_tuple_t *input, const char *verb)
{
    if (!input)
        sq_error_set ("%s of a NULL tuple", verb);
    else if (self->task->component->spout)
        sq_error_set ("spouts cannot %s tuples", verb);
    else if (input->dest_task != self->task->task_id)
        sq_error_set ("%s of a tuple that belongs to task %d", verb, input->dest_task);
    else
        sq_error_set ("%s of a tuple that was already acked or failed", verb);
    s_misuse (self);
}

//  Checks an input handed to ack or fail; false (and logs) on misuse.
static inline bool
s_valid_input (sq_collector_t *self, const sq_tuple_t *input, const char *verb)
{
    const sq_task_t *task = self->task;
    if (input && input->dest_task == task->task_id && !(input->state & SQ_TUPLE_ACKED) &&
        !task->component->spout)
        return true;
    s_invalid_input (self, input, verb);
    return false;
}

//  Record the ack or fail of a traced input.
static void
s_trace_done (sq_task_t *task, sq_tuple_t *tuple, bool acked)
{
    uint64_t threshold =
        atomic_load_explicit (&task->runtime->trace_threshold, memory_order_relaxed);
    sq_runtime_trace_tuple (task->runtime, tuple, acked ? SQ_TRACE_ACK : SQ_TRACE_FAIL, threshold);
}

//  The hooks and metrics of an input acked or failed, with one clock read
//  for both, from the start of its execute. The metrics time an ack made
//  inside execute when execute returns (sq_executor.c), with the clock
//  read that ends it.
static void
s_input_done_now (sq_task_t *task, sq_tuple_t *tuple, bool acked)
{
    sq_executor_t *executor = task->executor;
    if (!acked)
        tuple->state |= SQ_TUPLE_FAILED;
    bool executing = tuple->state & SQ_TUPLE_EXECUTING;
    bool timed = tuple->state & SQ_TUPLE_TIMED;
    int64_t latency_ns = 0;
    //  A start is kept when hooks or the metrics timed the execute.
    if (task->hook_count || timed) {
        int64_t start = sq_executor_take_start (task, tuple);
        bool needed = task->hook_count || (acked && !executing);
        if (start && needed)
            latency_ns = sq_runtime_now_ns () - start;
    }
    if (task->hook_count)
        sq_task_hooks_bolt_done (task, tuple, acked, latency_ns);
    //  An input acked inside its execute is counted when execute returns.
    if (acked && executing)
        return;
    int number = executor->metrics_on ? sq_executor_input (executor, tuple->stream) : -1;
    if (number < 0)
        return;
    if (!acked)
        sq_executor_metrics_failed (executor->metrics, (size_t) number);
    else
        sq_executor_metrics_acked (executor->metrics, (size_t) number,
                                   timed ? (uint64_t) (latency_ns > 0 ? latency_ns : 0)
                                         : SQ_METRICS_UNTIMED);
}

//  s_input_done_now, but for the common case inline: an input acked
//  inside its execute by a task without hooks has nothing to do now.
static inline void
s_input_done (sq_task_t *task, sq_tuple_t *tuple, bool acked)
{
    if (!acked || !(tuple->state & SQ_TUPLE_EXECUTING) || task->hook_count)
        s_input_done_now (task, tuple, acked);
}

void
sq_collector_ack (sq_collector_t *self, const sq_tuple_t *input)
{
    if (!s_valid_input (self, input, "ack"))
        return;
    sq_tuple_t *tuple = (sq_tuple_t *) input;
    for (size_t e = 0; e < tuple->edge_count; e++)
        s_tell_acker (self->task, SQ_MSG_ACK_ACK, tuple->edges[e].root,
                      tuple->edges[e].edge ^ tuple->ack_val);
    if (tuple->state & SQ_TUPLE_TRACED)
        s_trace_done (self->task, tuple, true);
    s_input_done (self->task, tuple, true);
    sq_collector_release (self->task, tuple);
}

void
sq_collector_fail (sq_collector_t *self, const sq_tuple_t *input)
{
    if (!s_valid_input (self, input, "fail"))
        return;
    sq_tuple_t *tuple = (sq_tuple_t *) input;
    //  The value names the failing task, for the acker's blame counts.
    for (size_t e = 0; e < tuple->edge_count; e++)
        s_tell_acker (self->task, SQ_MSG_ACK_FAIL, tuple->edges[e].root,
                      (uint64_t) self->task->task_id);
    if (tuple->state & SQ_TUPLE_TRACED)
        s_trace_done (self->task, tuple, false);
    s_input_done (self->task, tuple, false);
    sq_collector_release (self->task, tuple);
}

void
sq_collector_reset_timeout (sq_collector_t *self, const sq_tuple_t *input)
{
    if (!s_valid_input (self, input, "reset timeout"))
        return;
    //  Each acker passes the reset on to the spout task (sq_acker.c). Sent
    //  at once: the bolt is likely in the middle of a long execute.
    for (size_t e = 0; e < input->edge_count; e++) {
        uint64_t root = input->edges[e].root;
        s_tell_acker (self->task, SQ_MSG_RESET_TIMEOUT, root, 0);
        sq_executor_flush_for (self->task->executor,
                               sq_runtime_acker_for (self->task->runtime, root));
    }
}

void
sq_collector_report_error (sq_collector_t *self, const char *message)
{
    sq_executor_metrics_error (self->task->executor->metrics, self->task->task_id, zclock_time (),
                               message);
    zsys_error ("topology=%s component=%s task=%d error: %s", self->task->runtime->name,
                self->task->component->id, self->task->task_id, message ? message : "");
}

//  ---------------------------------------------------------------------
//  Context

int
sq_context_task_id (const sq_context_t *self)
{
    return self->task_id;
}

int
sq_context_task_index (const sq_context_t *self)
{
    return self->task_index;
}

const char *
sq_context_component_id (const sq_context_t *self)
{
    return self->component->id;
}

int
sq_context_component_tasks (const sq_context_t *self, const char *component, int *count_p)
{
    sq_runtime_t *runtime = self->runtime;
    for (int id = 1; id <= runtime->task_count; id++)
        if (strcmp (runtime->task_component[id]->id, component) == 0) {
            if (count_p)
                *count_p = runtime->task_component[id]->task_count;
            return id;
        }
    if (count_p)
        *count_p = 0;
    return -1;
}

const sq_config_t *
sq_context_config (const sq_context_t *self)
{
    return self->config;
}

const char *
sq_context_topology_name (const sq_context_t *self)
{
    return self->runtime->name;
}

static sq_metric_t *
s_register (const sq_context_t *self, const char *name, sq_metric_type_t type)
{
    sq_metric_t *metric = sq_executor_metrics_register (self->executor->metrics, name, type);
    if (!metric)
        zsys_error ("topology=%s component=%s task=%d: %s", self->runtime->name,
                    self->component->id, self->task_id, sq_last_error ());
    return metric;
}

sq_metric_t *
sq_context_register_counter (const sq_context_t *self, const char *name)
{
    return s_register (self, name, SQ_METRIC_COUNTER);
}

sq_metric_t *
sq_context_register_gauge (const sq_context_t *self, const char *name)
{
    return s_register (self, name, SQ_METRIC_GAUGE);
}

sq_metric_t *
sq_context_register_histogram (const sq_context_t *self, const char *name)
{
    return s_register (self, name, SQ_METRIC_HISTOGRAM);
}
