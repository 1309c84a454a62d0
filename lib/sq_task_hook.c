/*  sq_task_hook - the task hooks of one task (Storm's ITaskHook)

    DESIGN: Storm names auto hooks by Java class. A C hook is a table, so
    topology.auto.task.hooks names exported `const sq_task_hook_t` symbols.
    They are looked up first in the shared object that holds the
    component's own table (the topology package: it is loaded RTLD_LOCAL,
    so only its handle finds its symbols), then in the global namespace
    (the program, if linked with -export-dynamic, and libraries loaded
    RTLD_GLOBAL or preloaded).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE //  dladdr, RTLD_DEFAULT, RTLD_NOLOAD
#endif
#include "sq_task_hook.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_idmap.h"

#include <dlfcn.h>
#include <jansson.h>
#include <stdlib.h>

int
sq_context_add_task_hook (const sq_context_t *self, const sq_task_hook_t *hook, void *state)
{
    //  The context handed to open / prepare is the task itself.
    sq_task_t *task = (sq_task_t *) self;
    if (!hook)
        return sq_error_set ("task %d: add of a NULL task hook", task->task_id);
    if (task->opened)
        return sq_error_set ("task %d: task hooks are added from open or prepare, before the task "
                             "runs",
                             task->task_id);
    sq_hook_slot_t *grown = realloc (task->hooks, (task->hook_count + 1) * sizeof (sq_hook_slot_t));
    if (!grown)
        return sq_error_set ("task %d: out of memory adding a task hook", task->task_id);
    task->hooks = grown;
    if (hook->prepare && hook->prepare (&state, self))
        return sq_error_set ("task %d: a task hook's prepare refused", task->task_id);
    task->hooks[task->hook_count++] = (sq_hook_slot_t){hook, state};
    return 0;
}

//  The hook table exported under name, or NULL.
static const sq_task_hook_t *
s_find_hook (const sq_component_t *component, const char *name)
{
    const void *table =
        component->spout ? (const void *) component->spout : (const void *) component->bolt;
    void *symbol = NULL;
    Dl_info info;
    if (table && dladdr (table, &info) && info.dli_fname) {
        void *handle = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (handle) {
            symbol = dlsym (handle, name);
            dlclose (handle);
        }
    }
    if (!symbol)
        symbol = dlsym (RTLD_DEFAULT, name);
    return symbol;
}

int
sq_task_hooks_add_from_config (sq_task_t *task)
{
    const json_t *names = sq_config_list (task->config, "topology.auto.task.hooks");
    size_t index;
    const json_t *name;
    json_array_foreach (names, index, name)
    {
        const char *symbol = json_string_value (name);
        const sq_task_hook_t *hook = symbol ? s_find_hook (task->component, symbol) : NULL;
        if (!hook)
            return sq_error_set ("topology.auto.task.hooks: no exported task hook named '%s' "
                                 "(a `const sq_task_hook_t` symbol of the package or program)",
                                 symbol ? symbol : "?");
        if (sq_context_add_task_hook (task, hook, NULL))
            return sq_error_set ("topology.auto.task.hooks: the prepare of '%s' refused", symbol);
    }
    return 0;
}

void
sq_task_hooks_cleanup (sq_task_t *task)
{
    size_t count = task->hook_count;
    task->hook_count = 0;
    for (size_t h = 0; h < count; h++)
        if (task->hooks[h].hook->cleanup)
            task->hooks[h].hook->cleanup (task->hooks[h].state);
    free (task->hooks);
    task->hooks = NULL;
}

static double
s_ms (int64_t ns)
{
    return (double) ns / 1e6;
}

void
sq_task_hooks_emit (sq_task_t *task, const char *stream, const sq_value_t *values,
                    size_t value_count, const int *out_tasks, int out_task_count)
{
    sq_hook_emit_t emit = {.stream = stream,
                           .values = values,
                           .value_count = value_count,
                           .task = task->task_id,
                           .out_tasks = out_tasks,
                           .out_task_count = (size_t) out_task_count};
    for (size_t h = 0; h < task->hook_count; h++)
        if (task->hooks[h].hook->emit)
            task->hooks[h].hook->emit (task->hooks[h].state, &emit);
}

void
sq_task_hooks_spout_done (sq_task_t *task, uint64_t msg_id, int64_t latency_ns, bool acked)
{
    for (size_t h = 0; h < task->hook_count; h++) {
        const sq_task_hook_t *hook = task->hooks[h].hook;
        void (*call) (void *, uint64_t, double) = acked ? hook->spout_ack : hook->spout_fail;
        if (call)
            call (task->hooks[h].state, msg_id, s_ms (latency_ns));
    }
}

void
sq_task_hooks_executed (sq_task_t *task, const sq_tuple_t *input, int64_t latency_ns)
{
    double latency_ms = s_ms (latency_ns);
    for (size_t h = 0; h < task->hook_count; h++)
        if (task->hooks[h].hook->bolt_execute)
            task->hooks[h].hook->bolt_execute (task->hooks[h].state, input, latency_ms);
}

void
sq_task_hooks_bolt_done (sq_task_t *task, const sq_tuple_t *input, bool acked, int64_t latency_ns)
{
    for (size_t h = 0; h < task->hook_count; h++) {
        const sq_task_hook_t *hook = task->hooks[h].hook;
        void (*call) (void *, const sq_tuple_t *, double) =
            acked ? hook->bolt_ack : hook->bolt_fail;
        if (call)
            call (task->hooks[h].state, input, s_ms (latency_ns));
    }
}
