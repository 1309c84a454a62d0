/*  sq_task_layout - the task ids and executors of a topology, numbered once */
#include "sq_task_layout.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_topology.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

//  Check the counts and the task id limit before allocating anything.
//  Sets *executors_p to the executor total. 0 or -1.
static int
s_check_counts (const sq_topology_t *topology, int64_t ackers, size_t *executors_p)
{
    if (ackers < 0)
        return sq_error_set ("config key 'topology.acker.executors' must not be negative, got %lld",
                             (long long) ackers);
    //  Sums in 64 bits: each count is an int, so they cannot overflow.
    int64_t tasks = 0, executors = 0;
    for (size_t i = 0; i < sq_topology_component_count (topology); i++) {
        const sq_component_t *component = sq_topology_component_at (topology, i);
        if (component->parallelism < 1)
            return sq_error_set ("component '%s' has parallelism %d; it must be at least 1",
                                 component->id, component->parallelism);
        if (component->task_count < 0)
            return sq_error_set ("component '%s' has %d tasks; it must not be negative",
                                 component->id, component->task_count);
        if (component->task_count > 0 && component->task_count < component->parallelism)
            return sq_error_set ("component '%s' has %d tasks, fewer than its parallelism %d",
                                 component->id, component->task_count, component->parallelism);
        tasks += component->task_count;
        executors += component->task_count ? component->parallelism : 0;
    }
    if (ackers > SQ_TASK_LAYOUT_MAX_TASK || tasks + ackers > SQ_TASK_LAYOUT_MAX_TASK)
        return sq_error_set ("the topology needs %lld task ids (%lld for its components, %lld "
                             "for ackers); at most %d are supported",
                             (long long) (tasks + ackers), (long long) tasks, (long long) ackers,
                             SQ_TASK_LAYOUT_MAX_TASK);
    *executors_p = (size_t) (executors + ackers);
    return 0;
}

//  Append a component of task_count tasks over executor_count executors.
//  Returns 0, or -1 when out of memory.
static int
s_add_component (sq_task_layout_t *self, const char *id, int task_count, int executor_count)
{
    sq_task_layout_component_t *component = &self->components[self->component_count];
    component->component_id = strdup (id);
    if (!component->component_id)
        return sq_error_set ("out of memory");
    component->first_task = self->task_count + 1;
    component->task_count = task_count;
    component->first_executor = self->executor_count;
    component->executor_count = (size_t) executor_count;
    for (int e = 0; e < executor_count; e++) {
        //  64-bit products: T*e fits an int only for small topologies.
        int first = (int) ((int64_t) task_count * e / executor_count);
        int last = (int) ((int64_t) task_count * (e + 1) / executor_count);
        self->executors[self->executor_count++] = (sq_task_layout_executor_t){
            .component = self->component_count,
            .first_task = component->first_task + first,
            .last_task = component->first_task + last - 1,
        };
    }
    self->task_count += task_count;
    self->component_count++;
    return 0;
}

sq_task_layout_t *
sq_task_layout_new (const sq_topology_t *topology, int64_t ackers)
{
    assert (topology);
    size_t executor_total = 0;
    if (s_check_counts (topology, ackers, &executor_total))
        return NULL;
    size_t component_total = sq_topology_component_count (topology) + (ackers > 0);
    sq_task_layout_t *self = calloc (1, sizeof (sq_task_layout_t));
    if (self) {
        self->components =
            calloc (component_total ? component_total : 1, sizeof (sq_task_layout_component_t));
        self->executors =
            calloc (executor_total ? executor_total : 1, sizeof (sq_task_layout_executor_t));
    }
    int rc = self && self->components && self->executors ? 0 : sq_error_set ("out of memory");
    for (size_t i = 0; rc == 0 && i < sq_topology_component_count (topology); i++) {
        const sq_component_t *component = sq_topology_component_at (topology, i);
        //  A component without tasks gets no executors.
        rc = s_add_component (self, component->id, component->task_count,
                              component->task_count ? component->parallelism : 0);
    }
    if (rc == 0 && ackers > 0) {
        self->acker_first_task = self->task_count + 1;
        self->acker_count = (int) ackers;
        rc = s_add_component (self, SQ_ACKER_COMPONENT, (int) ackers, (int) ackers);
    }
    if (rc)
        sq_task_layout_destroy (&self);
    return self;
}

void
sq_task_layout_destroy (sq_task_layout_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sq_task_layout_t *self = *self_p;
    for (size_t i = 0; self->components && i < self->component_count; i++)
        free (self->components[i].component_id);
    free (self->components);
    free (self->executors);
    free (self);
    *self_p = NULL;
}

sq_task_layout_t *
sq_task_layout_from_config (const sq_topology_t *topology, const sq_config_t *config)
{
    assert (topology);
    //  The same merge as the runtime's effective config.
    sq_config_t *effective = sq_config_dup (sq_topology_config ((sq_topology_t *) topology));
    if (!effective) {
        sq_error_set ("out of memory");
        return NULL;
    }
    if (config)
        sq_config_merge (effective, config);
    int64_t ackers = sq_config_int (effective, "topology.acker.executors", 1);
    sq_config_destroy (&effective);
    return sq_task_layout_new (topology, ackers);
}
