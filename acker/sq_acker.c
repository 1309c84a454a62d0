/*  sq_acker - what an acker task does with one acking message */
#include "sq_acker.h"
#include "sq_error.h"
#include "sq_ids.h"

#include <assert.h>
#include <inttypes.h>

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

//  The system task's calls: the state of an acker task is its ledger.

static void *
s_create (const sq_config_t *config, size_t timeout_buckets)
{
    (void) config;
    return sq_ledger_new (timeout_buckets);
}

static void
s_destroy (void **state_p)
{
    sq_ledger_t *ledger = *state_p;
    sq_ledger_destroy (&ledger);
    *state_p = NULL;
}

static int
s_handle (void *state, const sq_message_t *message, sq_message_t *report)
{
    return sq_acker_handle (state, message, report);
}

static void
s_rotate (void *state)
{
    sq_ledger_rotate (state);
}

static const sq_system_task_t s_acker_task = {
    .create = s_create, .destroy = s_destroy, .handle = s_handle, .rotate = s_rotate};

const sq_system_task_t *
sq_acker_task (void)
{
    return &s_acker_task;
}
