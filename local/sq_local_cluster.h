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
//  sq_local_cluster_submit with its start watched: when watch gives the
//  start up while open and prepare callbacks run, they get its grace to
//  return. Returns 0; -1 with sq_last_error() set (also when the start was
//  given up and every callback returned); or SQ_RUNTIME_STUCK, naming the
//  components and tasks still in a callback, whose runtime is left
//  abandoned as by sq_local_cluster_stop: end the process with _exit.
int sq_local_cluster_submit_watched (sq_local_cluster_t *self, const char *name,
                                     const sq_config_t *config, sq_topology_t **topology_p,
                                     const sq_start_watch_t *watch);

#endif
