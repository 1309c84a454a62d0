/*  sq_system_task - how the runtime drives a task of Squall's own

    Some components are not written by the topology's author: the runtime
    adds them (today the acker, SQ_ACKER_COMPONENT) and feeds their tasks
    system messages rather than tuples (sq_message.h: SQ_MSG_ACK_INIT,
    SQ_MSG_ACK_ACK, SQ_MSG_ACK_FAIL and SQ_MSG_RESET_TIMEOUT for an acker).
    The runtime knows only this interface: each task gets its own state,
    every message addressed to the task goes to handle, whose optional
    report (for an acker, a tree's completion or failure, or a timeout
    reset to pass on) the runtime sends on to the task it names, and the
    state's timeout buckets rotate on the runtime's clock.

    DESIGN: whoever assembles a runtime hands the implementation in
    (sq_runtime_options_t), so libsquall's runtime has no link to the
    acker's code: acker/sq_acker.c implements this, and local mode
    (local/sq_local_cluster.c) and the worker (worker/worker.c) pass it on.
    As in Storm, where the acker is a bolt fed over system streams.

    All calls for one task come from the thread of its executor.
*/
#ifndef SQ_SYSTEM_TASK_H_INCLUDED
#define SQ_SYSTEM_TASK_H_INCLUDED

#include "sq_message.h"

#include <stddef.h>

typedef struct {
    //  New state for one task, from its config (topology config with the
    //  component's overrides). What the state remembers expires after
    //  timeout_buckets calls of rotate. Returns NULL when out of memory.
    void *(*create) (const sq_config_t *config, size_t timeout_buckets);
    //  Destroy a state from create; NULL-safe; nulls the caller's pointer.
    void (*destroy) (void **state_p);
    //  Apply one message for the task. Returns 1 and fills *report (a
    //  message with no tuple, addressed to the task that must hear of it)
    //  for the runtime to send, 0 when there is nothing to send, and -1
    //  when the message is malformed or cannot be recorded: the runtime
    //  counts it as dropped and frees its tuple. Never takes ownership of
    //  the message or its tuple.
    int (*handle) (void *state, const sq_message_t *message, sq_message_t *report);
    //  Expire the oldest timeout bucket. The runtime calls it every
    //  topology.message.timeout.secs / (timeout_buckets - 1) when timeouts
    //  are on.
    void (*rotate) (void *state);
} sq_system_task_t;

#endif
