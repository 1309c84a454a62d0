/*  sq_task_layout - the task ids and executors of a topology, numbered once

    Every process that runs or schedules a topology must number its tasks
    and executors the same way: the runtime (lib/sq_runtime.c) to build its
    tasks, nimbus's scheduler to place executors on workers, a worker to
    size its routing tables. They all take the numbers from here.

    The rules (doc/runtime.md, doc/cluster.md):
    1. Task ids start at 1 and are contiguous per component, the components
       in the order the topology added them.
    2. Executor e (from 0) of a component with T tasks and P executors runs
       the component's tasks with index T*e/P up to, not including,
       T*(e+1)/P: seven tasks over three executors give 0-1, 2-3, 4-6. A
       component with no tasks (as Storm allows) has no executors and
       takes no ids.
    3. The acker tasks come last, one executor each, with the highest ids.
    4. No task id is above SQ_TASK_LAYOUT_MAX_TASK, ackers included.
*/
#ifndef SQ_TASK_LAYOUT_H_INCLUDED
#define SQ_TASK_LAYOUT_H_INCLUDED

#include "sq_ids.h"
#include "squall.h"

#include <stddef.h>
#include <stdint.h>

//  Largest task id, ackers included: a root id carries its spout's task
//  id in SQ_IDS_MAX_TASK's bits (sq_ids.h), and assignments (sq_cluster_state.h)
//  and the wire format rely on the same bound.
#define SQ_TASK_LAYOUT_MAX_TASK SQ_IDS_MAX_TASK

//  One component's share of the task ids and executors.
typedef struct {
    char *component_id;    //  its id (SQ_ACKER_COMPONENT for the ackers)
    int first_task;        //  its first task id
    int task_count;        //  its tasks: first_task .. first_task + task_count - 1
    size_t first_executor; //  index of its first executor in the layout's executors
    size_t executor_count; //  its executors
} sq_task_layout_component_t;

//  One executor: a range of task ids of one component.
typedef struct {
    size_t component; //  index of its component in the layout's components
    int first_task;   //  first task id
    int last_task;    //  last task id (included)
} sq_task_layout_executor_t;

//  The numbering of one topology. Read-only once made.
typedef struct {
    sq_task_layout_component_t *components; //  in task order, the ackers' last
    size_t component_count;                 //  components, the ackers' included when any
    sq_task_layout_executor_t *executors;   //  every executor, in task order
    size_t executor_count;                  //  number of executors
    int task_count;                         //  highest task id, ackers included
    int acker_first_task;                   //  first acker task id, 0 without ackers
    int acker_count;                        //  acker tasks (one executor each)
} sq_task_layout_t;

//  Number the tasks and executors of topology (its components in the order
//  added, each with its task and executor counts; nothing else is read, and
//  the topology need not have been validated) followed by `ackers` acker
//  tasks. Returns NULL with sq_last_error() set when a count is out of
//  range (executors < 1, tasks < 0, 0 < tasks < executors, ackers < 0),
//  when the task ids would pass SQ_TASK_LAYOUT_MAX_TASK, or when out of
//  memory. Caller owns.
sq_task_layout_t *sq_task_layout_new (const sq_topology_t *topology, int64_t ackers);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_task_layout_destroy (sq_task_layout_t **self_p);
//  The layout of topology as a runtime started with config (may be NULL)
//  numbers it: with topology.acker.executors ackers, from config, else
//  from the topology's own config, else 1. NULL and errors as
//  sq_task_layout_new. Caller owns.
sq_task_layout_t *sq_task_layout_from_config (const sq_topology_t *topology,
                                              const sq_config_t *config);

#endif
