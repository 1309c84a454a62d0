/*  nimbus_traces - the sampled trees of every topology, from heartbeats

    Workers put the events of traced trees in their heartbeats (the
    `traces` section, doc/control.md), checked by nimbus_request as hostile
    input. This class keeps one sq_trace_store_t per topology id: the last
    SQ_TRACE_MAX_TREES trees, SQ_TRACE_MAX_HOPS hops each, assembled by
    root id. Memory only: a restarted nimbus starts with none.
*/
#ifndef NIMBUS_TRACES_H_INCLUDED
#define NIMBUS_TRACES_H_INCLUDED

#include "sq_trace.h"

#include <jansson.h>

typedef struct _nimbus_traces_t nimbus_traces_t;

//  New, empty. NULL when out of memory. Caller owns.
nimbus_traces_t *nimbus_traces_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_traces_destroy (nimbus_traces_t **self_p);
//  Fold a checked report (sq_trace_check_report) from worker ("host:port")
//  of topology id. Returns 0, or -1 when out of memory.
int nimbus_traces_add (nimbus_traces_t *self, const char *id, const json_t *report,
                       const char *worker);
//  Forget the trees of topology id (it is gone).
void nimbus_traces_forget (nimbus_traces_t *self, const char *id);
//  GET /api/v1/topology/:id/traces (sq_trace_store_json): at most
//  max_trees trees; none when nimbus holds none of id. NULL when out of
//  memory. Caller owns.
json_t *nimbus_traces_json (nimbus_traces_t *self, const char *id, double sample_pct,
                            size_t max_trees);

#endif
