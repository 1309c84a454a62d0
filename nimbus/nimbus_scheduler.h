/*  nimbus_scheduler - decide which slot runs each executor of a topology

    A pure function of its input: the topology's executors, the workers it
    wants, the live supervisors and their slot ports, the slots other
    topologies hold, and (optionally) the topology's current assignment. No
    I/O, no clock, no randomness: the same input gives the same assignment.

    DESIGN: scheduling first picks the slots, then places the executors.
    Slots: the topology gets min(workers wanted, free slots, executors)
    slots. A free slot is a port of a live supervisor that no other
    topology holds. Slots are taken round-robin over the supervisors sorted
    by id, each supervisor giving its lowest free port first, so workers
    spread over machines; when some slots are kept, the next slot goes to
    the supervisor with the fewest slots of this topology (ties: lowest id).
    Executors: in task order, each goes to the slot with the fewest
    executors, ties broken by the fewest executors of the same component
    there, then by the round-robin order of the slots. So executor counts
    per worker differ by at most one, and a component's executors (the
    ackers too) spread over the workers.

    With a current assignment, schedule() keeps every executor whose slot is
    still free to this topology where it is; only the executors of dead or
    lost slots move, onto the least loaded slots (new slots first, when the
    topology has fewer than it wants). rebalance() ignores the current
    placement and computes a fresh even assignment for a new worker count.

    doc/cluster.md describes the rules with examples.
*/
#ifndef NIMBUS_SCHEDULER_H_INCLUDED
#define NIMBUS_SCHEDULER_H_INCLUDED

#include "sq_assignment.h"
#include "sq_supervisor_info.h"
#include "sq_topology.h"

//  One executor: a range of task ids of one component.
typedef struct {
    const char *component_id; //  component of its tasks (SQ_ACKER_COMPONENT for ackers)
    int first_task;           //  first task id
    int last_task;            //  last task id (included)
} nimbus_executor_t;

//  A slot: one port of one supervisor.
typedef struct {
    const char *supervisor_id; //  the supervisor
    int port;                  //  the slot port
} nimbus_slot_t;

//  What the scheduler decides from. Every pointer is borrowed.
typedef struct {
    const char *topology_name;                //  name of the topology
    const char *topology_id;                  //  id of its submission
    const nimbus_executor_t *executors;       //  its executors, in task order
    size_t executor_count;                    //  number of executors
    int workers;                              //  workers wanted (topology.workers)
    sq_supervisor_info_t *const *supervisors; //  the live supervisors
    size_t supervisor_count;                  //  number of live supervisors
    const nimbus_slot_t *used_slots;          //  slots held by other topologies
    size_t used_slot_count;                   //  number of used slots
    const sq_assignment_t *current;           //  current assignment, or NULL
} nimbus_scheduler_input_t;

//  The executors of a topology, numbered as the runtime numbers them
//  (sq_task_layout.h, which both use): task ids are contiguous per
//  component in the order the components were added, from 1; executor e
//  of a component with T tasks and P executors runs its tasks
//  [T*e/P, T*(e+1)/P), and one with no tasks has no executor; then come
//  the topology.acker.executors acker executors (component
//  SQ_ACKER_COMPONENT), one task each; at most
//  SQ_TASK_LAYOUT_MAX_TASK tasks in all. config (may be NULL) overrides
//  the topology's own config, as at submit. The topology must validate; it
//  is not changed. Returns the executors in task order and their number in
//  *count_p, or NULL with sq_last_error() set (invalid topology or acker
//  count, too many tasks, out of memory). Caller owns: destroy with
//  nimbus_scheduler_executors_destroy (the component ids live in the same
//  allocation).
nimbus_executor_t *nimbus_scheduler_executors (const sq_topology_t *topology,
                                               const sq_config_t *config, size_t *count_p);
//  Destroy an executor list from nimbus_scheduler_executors; NULL-safe;
//  nulls the caller's pointer.
void nimbus_scheduler_executors_destroy (nimbus_executor_t **executors_p);

//  Assign the topology's executors to slots, keeping executors of
//  input->current whose slot is still free to this topology in place. The
//  result's generation is the current one when nothing changed, the
//  current one plus one when something did, and 1 without a current
//  assignment. Returns NULL with sq_last_error() set when there is no free
//  slot, no executor, or input->workers < 1. Caller owns.
sq_assignment_t *nimbus_scheduler_schedule (const nimbus_scheduler_input_t *input);
//  A fresh even assignment over `workers` workers, ignoring where
//  input->current placed executors (but continuing its generation);
//  input->workers is not used. NULL and errors as for schedule. Caller
//  owns.
sq_assignment_t *nimbus_scheduler_rebalance (const nimbus_scheduler_input_t *input, int workers);

#endif
