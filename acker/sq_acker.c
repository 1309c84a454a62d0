/*  sq_acker - what an acker task does with one acking message */
#include "sq_acker.h"
#include "sq_counter.h"
#include "sq_error.h"
#include "sq_ids.h"

#include <assert.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>

int
sq_acker_handle (sq_ledger_t *ledger, const sq_message_t *message, sq_message_t *reply)
{
    assert (ledger);
    assert (message);
    assert (reply);
    if (message->kind != SQ_MSG_ACK_INIT && message->kind != SQ_MSG_ACK_ACK &&
        message->kind != SQ_MSG_ACK_FAIL && message->kind != SQ_MSG_RESET_TIMEOUT)
        return sq_error_set ("acker: not an acking message kind=%" PRIu32, message->kind);
    //  The spout task is needed to address the reply: a root naming no
    //  task is as malformed as one with its flag bits set.
    if (!sq_ledger_root_valid (message->root) || sq_ids_root_task (message->root) == 0)
        return sq_error_set ("acker: invalid root id kind=%" PRIu32 " root=%016" PRIx64,
                             message->kind, message->root);
    int result;
    if (message->kind == SQ_MSG_ACK_INIT)
        result = sq_ledger_init (ledger, message->root, message->value);
    else if (message->kind == SQ_MSG_ACK_ACK)
        result = sq_ledger_ack (ledger, message->root, message->value);
    else if (message->kind == SQ_MSG_ACK_FAIL)
        result = sq_ledger_fail (ledger, message->root);
    else
        result = sq_ledger_reset (ledger, message->root);
    if (result == SQ_LEDGER_NONE || result < 0)
        return result;

    //  A reset goes on to the spout, whose own pending map times the tree
    //  out too (as Storm's acker passes __ack_reset_timeout on).
    sq_message_kind_t kind = result == SQ_LEDGER_COMPLETE ? SQ_MSG_TREE_DONE
                             : result == SQ_LEDGER_FAILED ? SQ_MSG_TREE_FAILED
                                                          : SQ_MSG_RESET_TIMEOUT;
    sq_message_t done = {
        .kind = kind,
        .task = sq_ids_root_task (message->root),
        .root = message->root,
        .value = 0,
        .tuple = NULL,
    };
    *reply = done;
    return 1;
}

//  The system task's calls: the state of an acker task is its ledger and
//  its blame counts (see sq_ledger.h's DESIGN), written by the task's
//  thread only and read by any: relaxed atomics, no read-modify-write.

typedef struct {
    sq_ledger_t *ledger;                    //  pending trees
    int task_count;                         //  tasks of the topology
    int task_bits;                          //  task field of edge ids
    _Atomic uint64_t *timeouts_held;        //  by task id: expired trees it held
    _Atomic uint64_t *fails_by;             //  by task id: trees it failed
    _Atomic uint64_t timeouts_unattributed; //  expired trees naming no one task
    _Atomic uint64_t fails_unattributed;    //  fails naming no task
    _Atomic uint64_t expired_without_init;  //  entries expired before their init
} s_acker_t;

static void
s_destroy (void **state_p)
{
    s_acker_t *self = *state_p;
    if (self) {
        sq_ledger_destroy (&self->ledger);
        free (self->timeouts_held);
        free (self->fails_by);
        free (self);
    }
    *state_p = NULL;
}

static void *
s_create (const sq_config_t *config, size_t timeout_buckets, int task_count)
{
    (void) config;
    assert (task_count >= 0);
    void *state = calloc (1, sizeof (s_acker_t));
    s_acker_t *self = state;
    if (!self)
        return NULL;
    self->task_count = task_count;
    self->task_bits = sq_ids_task_bits (task_count);
    self->ledger = sq_ledger_new (timeout_buckets);
    self->timeouts_held = calloc ((size_t) task_count + 1, sizeof (_Atomic uint64_t));
    self->fails_by = calloc ((size_t) task_count + 1, sizeof (_Atomic uint64_t));
    if (!self->ledger || !self->timeouts_held || !self->fails_by)
        s_destroy (&state);
    return state;
}

static int
s_handle (void *state, const sq_message_t *message, sq_message_t *report)
{
    s_acker_t *self = state;
    int rc = sq_acker_handle (self->ledger, message, report);
    //  The first fail of a tree is the one reported: blame its sender.
    if (rc == 1 && message->kind == SQ_MSG_ACK_FAIL) {
        uint64_t task = message->value;
        if (task >= 1 && task <= (uint64_t) self->task_count)
            sq_counter_add (&self->fails_by[task], 1);
        else
            sq_counter_add (&self->fails_unattributed, 1);
    }
    return rc;
}

//  A tree expired: blame the task its one outstanding edge names.
static void
s_expired (void *arg, uint64_t root, uint64_t residual, bool init_seen)
{
    (void) root;
    s_acker_t *self = arg;
    //  No init: late acks of a tree that expired already (counted then),
    //  or a tree whose init was lost, whose XOR names nothing.
    if (!init_seen) {
        sq_counter_add (&self->expired_without_init, 1);
        return;
    }
    int task = sq_ids_edge_task (residual, self->task_bits);
    if (task >= 1 && task <= self->task_count)
        sq_counter_add (&self->timeouts_held[task], 1);
    else
        sq_counter_add (&self->timeouts_unattributed, 1);
}

static void
s_rotate (void *state)
{
    s_acker_t *self = state;
    sq_ledger_rotate_each (self->ledger, s_expired, self);
}

static void
s_blame (void *state, sq_blame_t *blame)
{
    s_acker_t *self = state;
    for (int id = 1; id <= self->task_count && id <= blame->task_count; id++) {
        blame->timeouts_held[id] +=
            atomic_load_explicit (&self->timeouts_held[id], memory_order_relaxed);
        blame->fails_by[id] += atomic_load_explicit (&self->fails_by[id], memory_order_relaxed);
    }
    blame->timeouts_unattributed +=
        atomic_load_explicit (&self->timeouts_unattributed, memory_order_relaxed);
    blame->fails_unattributed +=
        atomic_load_explicit (&self->fails_unattributed, memory_order_relaxed);
    blame->expired_without_init +=
        atomic_load_explicit (&self->expired_without_init, memory_order_relaxed);
}

static const sq_system_task_t s_acker_task = {.create = s_create,
                                              .destroy = s_destroy,
                                              .handle = s_handle,
                                              .rotate = s_rotate,
                                              .blame = s_blame};

const sq_system_task_t *
sq_acker_task (void)
{
    return &s_acker_task;
}
