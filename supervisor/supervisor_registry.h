/*  supervisor_registry - the supervisor's membership node in ZooKeeper

    A live supervisor is an ephemeral node /supervisors/<id> holding its
    sq_supervisor_info_t record (id, host, slot ports, start time). Nimbus
    schedules workers on the slots of the supervisors it finds there; the
    node vanishes when the supervisor's ZooKeeper session ends.

    DESIGN: register creates the node, replacing a node of the same id left
    by an earlier session of this supervisor (a restart within the session
    timeout), and arms an exists watch on it. When the watch reports the
    node deleted (someone removed it) the owner calls sync, which creates it
    again a second later, unless another live session owns it by then: a
    second supervisor with the same id replaced it (the newest wins), and
    sync says so (SQ_ETAKENOVER), for the owner to stop. Only a node left
    by an earlier session is replaced, never one that appeared after ours
    was deleted. After a session expiry the owner reconnects and calls
    register: the old session's node is gone with it.
*/
#ifndef SUPERVISOR_REGISTRY_H_INCLUDED
#define SUPERVISOR_REGISTRY_H_INCLUDED

#include "sq_error.h"
#include "sq_supervisor_info.h"
#include "sq_zk.h"

#include <stdbool.h>

typedef struct _supervisor_registry_t supervisor_registry_t;

//  New registry for the supervisor described by info, using the session zk
//  (borrowed; it must outlive the registry). Copies what it needs from
//  info. Nothing is written until register. NULL when out of memory.
//  Caller owns.
supervisor_registry_t *supervisor_registry_new (sq_zk_t *zk, const sq_supervisor_info_t *info);
//  Destroy without touching ZooKeeper; NULL-safe; nulls the caller's
//  pointer.
void supervisor_registry_destroy (supervisor_registry_t **self_p);
//  Create the node (replacing one of an earlier session) and watch it.
//  Returns 0, or -1 (logged; sync tries again).
int supervisor_registry_register (supervisor_registry_t *self);
//  Take a ZooKeeper event: true when it was about this supervisor's node
//  (then the node is checked again on the next sync).
bool supervisor_registry_handle_event (supervisor_registry_t *self, const sq_zk_event_t *event);
//  Register again when the node went missing or an earlier attempt failed.
//  Returns 0 when registered, -1 when not (yet), and SQ_ETAKENOVER
//  (logged) when a second supervisor with our id owns the node now.
int supervisor_registry_sync (supervisor_registry_t *self);
//  True while the node is believed to exist.
bool supervisor_registry_registered (supervisor_registry_t *self);
//  Delete the node (on shutdown). Returns 0 or -1 (logged).
int supervisor_registry_deregister (supervisor_registry_t *self);
//  The node's path relative to the ZooKeeper root. Owned by self.
const char *supervisor_registry_path (supervisor_registry_t *self);

#endif
