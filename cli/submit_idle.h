/*  submit_idle - when a local run has nothing left to do (--until-idle)

    A local run with --until-idle ends by itself once its spouts have run
    dry and every tuple tree is done: for a whole quiet period no spout
    emitted, no tree was in flight and no message waited in a queue.
    Storm's spouts have no "exhausted" state, so a spout that stops
    emitting for the quiet period counts as done; one that emits again
    later starts the period over.
*/
#ifndef SUBMIT_IDLE_H_INCLUDED
#define SUBMIT_IDLE_H_INCLUDED

#include "squall.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _submit_idle_t submit_idle_t;

//  Watch for quiet_ms of quiet. NULL when out of memory. Caller owns.
submit_idle_t *submit_idle_new (int64_t quiet_ms);
//  Destroy; NULL-safe; nulls the caller's pointer.
void submit_idle_destroy (submit_idle_t **self_p);
//  Take the topology's stats at now_ms (monotonic); true once the run has
//  been quiet for the whole quiet period up to now.
bool submit_idle_update (submit_idle_t *self, const sq_topology_stats_t *stats, int64_t now_ms);

#endif
