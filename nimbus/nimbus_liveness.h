/*  nimbus_liveness - which supervisors are lost, from their heartbeats

    Every supervisor sends nimbus a heartbeat every
    supervisor.heartbeat.frequency.secs (doc/control.md,
    "supervisor_heartbeat"). The liveness keeps, in memory only, when each
    supervisor last sent one, and tells which have been silent for longer
    than nimbus.supervisor.timeout.secs. A supervisor that never sent a
    heartbeat since nimbus started is never silent: only its ZooKeeper
    session tells about it (a restarted nimbus, or a supervisor of an older
    build). The owner records heartbeats only of supervisors registered in
    ZooKeeper and forgets those that leave, so memory stays bounded by the
    cluster whatever strangers send.

    Whether a silent supervisor is lost is the owner's decision (nimbus
    also asks whether its workers went silent: a supervisor stopped for a
    while whose workers still run loses nothing).

    The clock is the caller's (monotonic milliseconds), which keeps the
    class pure and testable.
*/
#ifndef NIMBUS_LIVENESS_H_INCLUDED
#define NIMBUS_LIVENESS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _nimbus_liveness_t nimbus_liveness_t;

//  New liveness calling a supervisor silent after timeout_ms without a
//  heartbeat. NULL when out of memory. Caller owns.
nimbus_liveness_t *nimbus_liveness_new (int64_t timeout_ms);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_liveness_destroy (nimbus_liveness_t **self_p);
//  Record a heartbeat of supervisor_id at now. Returns 0, or -1 when out
//  of memory.
int nimbus_liveness_heartbeat (nimbus_liveness_t *self, const char *supervisor_id, int64_t now);
//  True when supervisor_id sent a heartbeat once and none for more than
//  the timeout before now.
bool nimbus_liveness_silent (nimbus_liveness_t *self, const char *supervisor_id, int64_t now);
//  Milliseconds since supervisor_id's last heartbeat, or -1 when it sent none.
int64_t nimbus_liveness_silence (nimbus_liveness_t *self, const char *supervisor_id, int64_t now);
//  Forget a supervisor (it left ZooKeeper).
void nimbus_liveness_forget (nimbus_liveness_t *self, const char *supervisor_id);
//  Number of supervisors remembered.
size_t nimbus_liveness_size (nimbus_liveness_t *self);
//  Ids of the supervisors remembered; caller destroys the list (NULL when
//  out of memory).
zlist_t *nimbus_liveness_ids (nimbus_liveness_t *self);
//  The timeout, in milliseconds.
int64_t nimbus_liveness_timeout (nimbus_liveness_t *self);

#endif
