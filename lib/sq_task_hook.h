/*  sq_task_hook - the task hooks of one task (Storm's ITaskHook)

    A task keeps its hooks in a small array (sq_task_t.hooks). The runtime
    calls the sq_task_hooks_* notifiers only when the task has a hook
    (`if (task->hook_count)` at each call site), so a task without hooks
    pays one predictable branch per event and reads no clock for them.
    Latencies passed in are monotonic nanoseconds (sq_runtime_now_ns);
    hooks get milliseconds. All calls come from the task's executor thread.
*/
#ifndef SQ_TASK_HOOK_H_INCLUDED
#define SQ_TASK_HOOK_H_INCLUDED

#include "sq_runtime.h"

//  Add the hooks named by topology.auto.task.hooks in the task's config,
//  each with a NULL state. Returns 0, or -1 (sq_last_error() names the
//  hook) when a name is not found or a prepare refuses.
int sq_task_hooks_add_from_config (sq_task_t *task);
//  Call every hook's cleanup and forget the hooks; no hook runs after.
void sq_task_hooks_cleanup (sq_task_t *task);

//  Notifiers, one per event of sq_task_hook_t.
void sq_task_hooks_emit (sq_task_t *task, const char *stream, const sq_value_t *values,
                         size_t value_count, const int *out_tasks, int out_task_count);
//  A spout tree ended: acked (spout_ack) or failed or timed out (spout_fail).
void sq_task_hooks_spout_done (sq_task_t *task, uint64_t msg_id, int64_t latency_ns, bool acked);
void sq_task_hooks_bolt_execute (sq_task_t *task, const sq_tuple_t *input, int64_t latency_ns);
//  A bolt acked (bolt_ack) or failed (bolt_fail) an input.
void sq_task_hooks_bolt_done (sq_task_t *task, const sq_tuple_t *input, int64_t latency_ns,
                              bool acked);

#endif
