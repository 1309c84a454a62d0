/*  sq_task_hook - the task hooks of one task (Storm's ITaskHook)

    A task keeps its hooks in a small array (sq_task_t.hooks). The runtime
    calls the sq_task_hooks_* notifiers only when the task has a hook
    (`if (task->hook_count)` at each call site), so a task without hooks
    pays one predictable branch per event and reads no clock for them.
    Latencies are measured with sq_runtime_now_ns, in nanoseconds; hooks
    get milliseconds. All calls come from the task's executor thread.

    DESIGN: a bolt's process latency runs from the start of the input's
    execute to its ack or fail. Tuples carry no time (that would cost every
    task 8 bytes per tuple): the start of the execute running now is in the
    task, and an input the bolt keeps past execute has its start in a
    side map (held_starts, sq_executor.c) until it is acked or failed. The
    executor reads the clock around an execute once for hooks and metrics
    alike, and hands the hooks their latencies.
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
//  The bolt's execute returned for input after latency_ns (bolt_execute).
void sq_task_hooks_executed (sq_task_t *task, const sq_tuple_t *input, int64_t latency_ns);
//  A bolt acked (bolt_ack) or failed (bolt_fail) an input, which has not
//  been released yet, latency_ns after the start of its execute.
void sq_task_hooks_bolt_done (sq_task_t *task, const sq_tuple_t *input, bool acked,
                              int64_t latency_ns);

#endif
