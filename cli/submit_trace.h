/*  submit_trace - print sampled tuple trees as text timelines

    storm-submit trace NAME prints what nimbus's `trace` verb answers (the
    JSON of GET /api/v1/topology/:id/traces, doc/metrics.md): each tree
    with one line per hop, in time order (times in ms after the tree
    started, the hop's latency = execute start - emit, its queue wait =
    execute start - enqueue), where a failed or timed-out tree stopped,
    and the hop latency percentiles of each edge. A local run prints the
    same at its end (storm-submit --local with topology.trace.sample.rate).
*/
#ifndef SUBMIT_TRACE_H_INCLUDED
#define SUBMIT_TRACE_H_INCLUDED

#include "squall.h"
#include "sq_trace.h"

#include <jansson.h>
#include <stdio.h>

//  Print answer (the traces JSON) on out. Fields missing or of the wrong
//  type print as "?". Returns 0, or -1 when answer is not an object.
int submit_trace_print (const json_t *answer, FILE *out);
//  Move the trace events that local topology name recorded so far into
//  store, as from worker "local". Returns 0, or -1 when out of memory.
int submit_trace_fold_local (sq_local_cluster_t *cluster, const char *name,
                             sq_trace_store_t *store);

#endif
