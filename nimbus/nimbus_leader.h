/*  nimbus_leader - which nimbus leads, elected through ZooKeeper

    Every nimbus registers an ephemeral node /nimbuses/<host:port> whose
    data tells where it serves (control endpoint, UI port, version). One
    of them holds the ephemeral node /leader, whose data is the same
    object: the first eligible nimbus to create it leads, for as long as
    its session lives. The others keep a watch on /leader and try again
    when it goes. Eligible means the nimbus has the package of every
    topology that is not being killed (the owner decides, as Storm's
    blobstore rule does).

    DESIGN: the election shares nimbus_cluster's session, so a nimbus
    whose session expired can no longer write anything either: its
    /leader node went with the session. Fencing goes one step further:
    the moment the client reports the connection lost (before the server
    could expire the session and let another nimbus lead), the nimbus
    stops acting as leader; it leads again only once connected and still
    the owner of /leader, or having won a new election.
*/
#ifndef NIMBUS_LEADER_H_INCLUDED
#define NIMBUS_LEADER_H_INCLUDED

#include "sq_zk.h"

#include <czmq.h>
#include <jansson.h>

typedef struct _nimbus_leader_t nimbus_leader_t;

//  What nimbus_leader_check found changed.
typedef enum {
    NIMBUS_LEADER_SAME = 0, //  nothing
    NIMBUS_LEADER_GAINED,   //  this nimbus leads from now on
    NIMBUS_LEADER_LOST      //  this nimbus no longer leads
} nimbus_leader_change_t;

//  New election member for the nimbus serving control requests on
//  endpoint ("tcp://host:port") and HTTP on ui_port (negative: none),
//  over zk (borrowed: nimbus_cluster's session, which must outlive self).
//  Nothing is written until nimbus_leader_check. NULL when out of memory.
//  Caller owns.
nimbus_leader_t *nimbus_leader_new (sq_zk_t *zk, const char *endpoint, int64_t ui_port);
//  Give up leadership and registration (the nodes are deleted when the
//  session is fine) and free; NULL-safe; nulls the caller's pointer.
void nimbus_leader_destroy (nimbus_leader_t **self_p);
//  Bring self up to date with ZooKeeper: step down when the connection is
//  lost, register again after a new session, take part in the election
//  when eligible. Call on every ZooKeeper event and now and then. Returns
//  what changed.
nimbus_leader_change_t nimbus_leader_check (nimbus_leader_t *self, bool eligible);
//  True while this nimbus leads: it won the election and its ZooKeeper
//  connection is up at this instant.
bool nimbus_leader_is_leader (nimbus_leader_t *self);
//  The leader's control endpoint ("tcp://host:port") as last read, or
//  NULL when none is known. Borrowed until the next check.
const char *nimbus_leader_endpoint (nimbus_leader_t *self);
//  Every registered nimbus as Storm's UI lists them: an array of
//  {"host", "port", "status": "Leader" | "Not a Leader", "version",
//  "nimbusUpTimeSeconds", "uiPort"}, sorted by host:port. Reads
//  ZooKeeper. NULL with sq_last_error() set. Caller decrefs.
json_t *nimbus_leader_nimbuses (nimbus_leader_t *self, int64_t now);

#endif
