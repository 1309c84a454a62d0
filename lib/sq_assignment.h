/*  sq_assignment - where a topology's executors run, as nimbus assigned them

    Assignment: /assignments/<name>, written by nimbus, read by supervisors
    and workers. Executors are ranges of task ids, both ends included.

    The record is JSON, decoded as sq_cluster_state.h says: ZooKeeper data
    is outside input. doc/cluster.md describes every field.
*/
#ifndef SQ_ASSIGNMENT_H_INCLUDED
#define SQ_ASSIGNMENT_H_INCLUDED

#include "squall.h"
#include "sq_cluster_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int first_task; //  first task id of the executor
    int last_task;  //  last task id of the executor (included)
} sq_task_range_t;

//  One worker of the topology: the slot it runs in and its executors.
typedef struct {
    char *supervisor_id;        //  supervisor running the worker
    char *host;                 //  that supervisor's host
    int port;                   //  the slot port the worker binds
    sq_task_range_t *executors; //  executors the worker runs
    size_t executor_count;      //  number of executors
    size_t executor_capacity;   //  room in executors
} sq_assignment_worker_t;

typedef struct {
    char *topology_name;             //  topology name (node name)
    char *topology_id;               //  id of the submission this assignment is for
    int64_t generation;              //  incremented on every change of the assignment
    sq_assignment_worker_t *workers; //  the workers, one per slot
    size_t worker_count;             //  number of workers
    size_t worker_capacity;          //  room in workers
} sq_assignment_t;

//  New assignment without workers, generation 0; copies the strings. NULL
//  when out of memory. Caller owns.
sq_assignment_t *sq_assignment_new (const char *topology_name, const char *topology_id);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_assignment_destroy (sq_assignment_t **self_p);
//  Add a worker without executors on a slot; copies the strings. Returns
//  the worker's index, or -1 when out of memory. Worker pointers taken
//  before the call may move.
int sq_assignment_add_worker (sq_assignment_t *self, const char *supervisor_id, const char *host,
                              int port);
//  Add the executor running tasks first_task..last_task to the worker at
//  index `worker` (which must exist). Returns 0, or -1 when out of memory.
int sq_assignment_add_executor (sq_assignment_t *self, size_t worker, int first_task,
                                int last_task);
//  Check the assignment as decode does: ports and task ids in range, every
//  worker with at least one executor, no slot twice, no task in two
//  executors. Returns 0, or -1 with sq_last_error() naming the problem.
int sq_assignment_validate (const sq_assignment_t *self);
//  The worker running `task`, or NULL when no executor has it. Borrowed:
//  valid until the assignment changes.
const sq_assignment_worker_t *sq_assignment_find_task (const sq_assignment_t *self, int task);
//  The worker on slot supervisor_id:port, or NULL. Borrowed, as above.
const sq_assignment_worker_t *sq_assignment_find_slot (const sq_assignment_t *self,
                                                       const char *supervisor_id, int port);
//  The slot ports the assignment gives a supervisor: writes up to `max` of
//  them, lowest first, into ports (may be NULL when max is 0), and returns
//  how many there are in all.
size_t sq_assignment_supervisor_slots (const sq_assignment_t *self, const char *supervisor_id,
                                       int *ports, size_t max);
//  Total number of executors over all workers.
size_t sq_assignment_executor_count (const sq_assignment_t *self);
//  True when both workers run the same executors, in any order.
bool sq_assignment_worker_same_executors (const sq_assignment_worker_t *self,
                                          const sq_assignment_worker_t *other);
//  A worker's executors as text, "first-last" ranges in task order joined
//  by commas ("1-1,4-5"): equal texts mean the same executors. NULL when
//  out of memory. Caller owns (free).
char *sq_assignment_worker_executors_text (const sq_assignment_worker_t *self);
//  True when both assign the same executors to the same slots (hosts too),
//  in any order; names, ids and generations are not compared.
bool sq_assignment_same_placement (const sq_assignment_t *self, const sq_assignment_t *other);
//  The record as a compact JSON string. NULL when out of memory. Caller
//  owns (free).
char *sq_assignment_encode (const sq_assignment_t *self);
//  Decode the bytes of an /assignments node, validated as by
//  sq_assignment_validate. NULL (sq_last_error() says why) when they are
//  not a valid version 1 record. Caller owns.
sq_assignment_t *sq_assignment_decode (const void *data, size_t size);

#endif
