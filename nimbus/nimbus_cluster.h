/*  nimbus_cluster - nimbus's view of the cluster state in ZooKeeper

    Nimbus is the only writer of /topologies/<name> and
    /assignments/<name>, and a reader of /supervisors/<id> (ephemeral nodes
    of the live supervisors). This class holds the session, a copy of every
    record in memory, and the writes: a record changes in memory only once
    ZooKeeper took it, so the view never runs ahead of the cluster.

    At start (and after a session expired) the view is rebuilt from
    ZooKeeper, which is how a restarted nimbus carries on with the
    topologies it left running. Supervisors are followed with a children
    watch on /supervisors; the owner polls nimbus_cluster_fd with its
    sockets and calls nimbus_cluster_handle_events when it is readable.
    Records that do not decode (a newer build, a person with zkCli) are
    logged and left alone.

    Scheduling glue lives here too: nimbus_cluster_schedule feeds the
    scheduler with the live supervisors and the slots other topologies
    hold.
*/
#ifndef NIMBUS_CLUSTER_H_INCLUDED
#define NIMBUS_CLUSTER_H_INCLUDED

#include "nimbus_scheduler.h"
#include "sq_assignment.h"
#include "sq_topology_record.h"
#include "sq_zk.h"

#include <czmq.h>

typedef struct _nimbus_cluster_t nimbus_cluster_t;

//  Connect to ZooKeeper as config says (sq_cluster_config), create
//  /supervisors, /topologies and /assignments when missing, and read
//  every record. NULL with sq_last_error() set. Caller owns.
nimbus_cluster_t *nimbus_cluster_new (const sq_config_t *config);
//  Close the session and free the view; NULL-safe; nulls the caller's
//  pointer.
void nimbus_cluster_destroy (nimbus_cluster_t **self_p);
//  Descriptor to poll for ZooKeeper events (sq_zk_fd). Belongs to self.
int nimbus_cluster_fd (nimbus_cluster_t *self);
//  Handle queued ZooKeeper events: re-read the supervisors when they
//  change, reconnect and re-read everything when the session expired.
//  Returns 1 when the supervisors may have changed, else 0.
int nimbus_cluster_handle_events (nimbus_cluster_t *self);
//  Reconnect if an earlier reconnection failed (call now and then).
//  Returns 0 while the session is fine, -1 while it is not.
int nimbus_cluster_check_session (nimbus_cluster_t *self);

//  Read every record and the supervisors again (a standby follows the
//  leader's writes this way; a new leader starts from them). Returns 0,
//  or -1 with sq_last_error() set (the view is left as it was).
int nimbus_cluster_reload (nimbus_cluster_t *self);
//  The ZooKeeper session, for the election (nimbus_leader) to share.
//  Belongs to self.
sq_zk_t *nimbus_cluster_zk (nimbus_cluster_t *self);

//  Names of the topologies, sorted. Caller destroys the list.
zlist_t *nimbus_cluster_topology_names (nimbus_cluster_t *self);
//  The record of topology name, or NULL. Borrowed until the next write
//  or handle_events.
const sq_topology_record_t *nimbus_cluster_topology (nimbus_cluster_t *self, const char *name);
//  The record of the topology with submission id, or NULL. Borrowed.
const sq_topology_record_t *nimbus_cluster_topology_by_id (nimbus_cluster_t *self, const char *id);
//  The assignment of topology name, or NULL. Borrowed, as above.
const sq_assignment_t *nimbus_cluster_assignment (nimbus_cluster_t *self, const char *name);
//  True when supervisor id is registered in ZooKeeper.
bool nimbus_cluster_supervisor_alive (nimbus_cluster_t *self, const char *id);
//  Ids of the live supervisors, sorted. Caller destroys the list.
zlist_t *nimbus_cluster_supervisor_ids (nimbus_cluster_t *self);
//  The record of live supervisor id, or NULL. Borrowed until the next
//  handle_events.
const sq_supervisor_info_t *nimbus_cluster_supervisor (nimbus_cluster_t *self, const char *id);
//  Mark a registered supervisor lost (its heartbeats and its workers'
//  stopped: nimbus_liveness), or no longer lost. A lost supervisor gets no
//  executors from nimbus_cluster_schedule, so its executors move. Returns
//  0, or -1 when out of memory.
int nimbus_cluster_set_supervisor_lost (nimbus_cluster_t *self, const char *id, bool lost);
//  True when supervisor id is marked lost.
bool nimbus_cluster_supervisor_lost (nimbus_cluster_t *self, const char *id);
//  Number of live supervisors.
size_t nimbus_cluster_supervisor_count (nimbus_cluster_t *self);
//  Number of slots of live supervisors that no assignment uses.
size_t nimbus_cluster_free_slot_count (nimbus_cluster_t *self);

//  Write a new topology and its assignment (topology first, then the
//  assignment supervisors act on). Takes ownership of both and nulls the
//  pointers. Returns 0, or -1 with sq_last_error() set, having removed
//  what it wrote.
int nimbus_cluster_add (nimbus_cluster_t *self, sq_topology_record_t **record_p,
                        sq_assignment_t **assignment_p);
//  Write a topology's new status. Returns 0, or -1 (the record is left
//  as it was) with sq_last_error() set.
int nimbus_cluster_set_status (nimbus_cluster_t *self, const char *name,
                               sq_topology_status_t status);
//  Write a topology's trace sample rate (its config's
//  topology.trace.sample.rate, 0 .. 1), which its workers follow. Returns
//  0 or -1, as above.
int nimbus_cluster_set_trace_rate (nimbus_cluster_t *self, const char *name, double rate);
//  Start a rebalance of a topology that is not being killed: it goes
//  inactive, and its record notes the workers it will have, the status it
//  had (to resume) and when the rebalance is due (unix time, ms), so that a
//  nimbus started meanwhile can finish it. Returns 0 or -1, as above.
int nimbus_cluster_begin_rebalance (nimbus_cluster_t *self, const char *name, int workers,
                                    int64_t due_ms);
//  End the rebalance the record notes: the noted status and worker count
//  are written and the note goes. Returns 0 or -1, as above.
int nimbus_cluster_end_rebalance (nimbus_cluster_t *self, const char *name);
//  Write an assignment (for a topology that exists). Takes ownership and
//  nulls the pointer. Returns 0, or -1 with sq_last_error() set.
int nimbus_cluster_put_assignment (nimbus_cluster_t *self, sq_assignment_t **assignment_p);
//  Delete a topology's assignment, then its record. Returns 0, or -1
//  with sq_last_error() set (what was deleted stays deleted).
int nimbus_cluster_remove (nimbus_cluster_t *self, const char *name);

//  Schedule the executors of the topology of record (in the view or
//  about to be added) over the live supervisors' slots (not those marked
//  lost) that other topologies leave free, for record->workers workers,
//  keeping its current assignment where it can; slots in dead_slots are
//  treated as taken, so
//  their executors move. With workers > 0, rebalance over that many
//  workers instead, ignoring the current placement. Returns the new
//  assignment (caller owns), or NULL with sq_last_error() set.
sq_assignment_t *nimbus_cluster_schedule (nimbus_cluster_t *self,
                                          const sq_topology_record_t *record,
                                          const nimbus_executor_t *executors, size_t executor_count,
                                          const nimbus_slot_t *dead_slots, size_t dead_slot_count,
                                          int workers);

#endif
