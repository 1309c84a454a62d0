/*  nimbus_replica - a standby's copies of the leader's packages

    A nimbus may lead only when it has the package of every topology that
    is not being killed (nimbus_leader). A standby gets them as the
    supervisors do: the control verb "download" (sq_nimbuses_download),
    from the leader, checked against the record's checksum, into its own
    store. A failed download is tried again after a back-off that doubles
    from 1 s to 30 s; a download waits at most S_FETCH_TIMEOUT_MS, so a
    leader that died meanwhile holds the standby up briefly.
*/
#ifndef NIMBUS_REPLICA_H_INCLUDED
#define NIMBUS_REPLICA_H_INCLUDED

#include "nimbus_store.h"
#include "sq_curve.h"
#include "sq_topology_record.h"

typedef struct _nimbus_replica_t nimbus_replica_t;

//  New replica state; curve (NULL: plain) is copied for the downloads:
//  this nimbus's own key pair and the leader's public key. Over CURVE the
//  topology's key pair is kept with its package (nimbus_store_put_key).
//  NULL when out of memory. Caller owns.
nimbus_replica_t *nimbus_replica_new (const sq_curve_t *curve);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_replica_destroy (nimbus_replica_t **self_p);
//  Copy the package of record into store from the nimbus at leader
//  ("tcp://host:port"), unless it is there or its back-off is not over.
//  Returns 1 when it was copied now, 0 when there was nothing to do, -1
//  when the download failed (logged).
int nimbus_replica_fetch (nimbus_replica_t *self, nimbus_store_t *store, const char *leader,
                          const sq_topology_record_t *record);

#endif
