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

#endif
