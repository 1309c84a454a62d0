/*  supervisor_assignments - which worker each slot of this supervisor runs

    Nimbus writes /assignments/<name> (sq_assignment_t) for every running
    topology and /topologies/<name> (sq_topology_record_t) with its id,
    status and package checksum. This class watches both and answers, per
    slot port of this supervisor, what should run there: a topology name,
    its id, the executors of the slot and the package checksum. Other
    workers' moves (a new generation that leaves this slot's executors be)
    do not change a slot: its worker follows them in place.

    DESIGN: a ZooKeeper event about /assignments or anything under
    /assignments or /topologies marks the view stale; sync then reads the
    children of /assignments and every assignment (arming a children watch
    and one data watch each), and the topology record of each assignment
    that names this supervisor (arming a data watch, or an exists watch
    when it is missing). ZooKeeper keeps one watch per path and watcher, so
    reading everything again never doubles events. The new view replaces
    the old one only when every read succeeded: while ZooKeeper is away the
    supervisor keeps running what it ran. A slot is left empty when its
    topology is killed, its record is missing or names another submission,
    or a record does not decode (logged). Topology names, ids and checksums
    come from ZooKeeper and are outside input; names and ids that cannot be
    file names are refused here.
*/
#ifndef SUPERVISOR_ASSIGNMENTS_H_INCLUDED
#define SUPERVISOR_ASSIGNMENTS_H_INCLUDED

#include "sq_zk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  What one slot should run.
typedef struct {
    int port;            //  slot port
    char *topology_name; //  topology assigned to the slot
    char *topology_id;   //  id of its submission
    int64_t generation;  //  generation of the assignment
    char *executors;     //  the slot's executors (sq_assignment_worker_executors_text)
    char *checksum;      //  package checksum from the topology record
    char *submitter;     //  its config's topology.submitter.user, or NULL
    int64_t max_heap_mb; //  its config's topology.worker.max.heap.size.mb
} supervisor_slot_t;

typedef struct _supervisor_assignments_t supervisor_assignments_t;

//  New view of the slots ports[0..port_count) of supervisor supervisor_id,
//  read through zk (borrowed; it must outlive the view). The view starts
//  stale and empty. Copies id and ports. NULL when out of memory. Caller
//  owns.
supervisor_assignments_t *supervisor_assignments_new (sq_zk_t *zk, const char *supervisor_id,
                                                      const int *ports, size_t port_count);
//  Destroy; NULL-safe; nulls the caller's pointer.
void supervisor_assignments_destroy (supervisor_assignments_t **self_p);
//  Take a ZooKeeper event: true when it concerned assignments or topology
//  records (the view is then stale).
bool supervisor_assignments_handle_event (supervisor_assignments_t *self,
                                          const sq_zk_event_t *event);
//  Mark the view stale, e.g. after a new session, whose watches are gone.
void supervisor_assignments_invalidate (supervisor_assignments_t *self);
//  True when the view is stale (sync has work to do).
bool supervisor_assignments_stale (supervisor_assignments_t *self);
//  When stale, read ZooKeeper again and re-arm the watches. Returns 0 when
//  the view is current, -1 when a read failed (logged; the previous view
//  stays and the view stays stale).
int supervisor_assignments_sync (supervisor_assignments_t *self);
//  True once a sync has succeeded.
bool supervisor_assignments_ready (supervisor_assignments_t *self);
//  What slot port should run, or NULL for nothing. Borrowed: valid until
//  the next sync.
const supervisor_slot_t *supervisor_assignments_slot (supervisor_assignments_t *self, int port);

#endif
