/*  sq_local_cluster - what local mode offers beyond squall.h, in-tree only

    The public LocalCluster API is in include/squall.h. This header gives
    tests and in-tree tools the runtime behind a running topology, for
    counters that have no public form yet, such as why trees failed
    (sq_runtime_blame).
*/
#ifndef SQ_LOCAL_CLUSTER_H_INCLUDED
#define SQ_LOCAL_CLUSTER_H_INCLUDED

#include "sq_runtime.h"
#include "squall.h"

//  The runtime of the topology running under name, or NULL. Borrowed: valid
//  until the topology is killed or the cluster destroyed.
sq_runtime_t *sq_local_cluster_runtime (sq_local_cluster_t *self, const char *name);

//  Kill topology name as sq_local_cluster_kill does, but wait at most
//  grace_secs for its executors to return from their callbacks once told
//  to stop. Returns 0, or -1 with sq_last_error() naming the components
//  and tasks that did not return: their threads still run the package's
//  code, so the topology's runtime is left allocated (abandoned: neither
//  freed nor listed) and the caller should end the process with _exit
//  rather than unload the package.
int sq_local_cluster_stop (sq_local_cluster_t *self, const char *name, double wait_secs,
                           double grace_secs);

#endif
