/*  nimbus_history - the last 10 minutes of each topology, point by point

    The UI's plots (GET /api/v1/topology/:id/history, doc/metrics.md) need
    a time series, which Storm's windows are not: a window is one sum. So
    nimbus samples each live topology every NIMBUS_HISTORY_INTERVAL_SECS
    seconds and keeps the last NIMBUS_HISTORY_POINTS points of it, oldest
    overwritten first (a ring per topology).

    A sample is the topology's all-time figures at one instant (as
    nimbus_metrics adds them up): emitted over every non-system component,
    the spouts' trees acked and failed (timed out included, as Storm's
    failed), and the spouts' complete latency histogram. A point is the
    difference between a sample and the topology's previous one, over the
    milliseconds between them: rates per second, and the p50 and p99 of the
    latencies recorded in between (none: null). The first sample of a
    topology is a point over the span its figures cover (the executors'
    uptime), or no point when they cover none yet.

    Counter resets. All-time figures do not go back while nimbus keeps a
    source; they can when a rebalance drops an executor or a source goes
    over nimbus_metrics' cap. A figure below its previous value is taken
    as counted from zero since then: its increment is the figure itself,
    never a negative rate. A histogram with any bucket below its previous
    one is the same.

    Memory: NIMBUS_HISTORY_POINTS points of 48 bytes and one histogram
    (sq_histogram_bytes, 9,760 bytes on x86-64) per topology, 12.7 KB in
    all; nimbus frees it with nimbus_history_forget when the topology
    goes. Time is the caller's (a monotonic clock in milliseconds for
    rates, unix seconds for the points' times). Not thread safe.
*/
#ifndef NIMBUS_HISTORY_H_INCLUDED
#define NIMBUS_HISTORY_H_INCLUDED

#include "nimbus_rest.h"
#include "sq_histogram.h"

#include <jansson.h>
#include <stdint.h>

#define NIMBUS_HISTORY_POINTS 60        //  points kept per topology
#define NIMBUS_HISTORY_INTERVAL_SECS 10 //  seconds between samples

typedef struct _nimbus_history_t nimbus_history_t;

//  A topology's all-time figures at one instant.
typedef struct {
    uint64_t emitted;                       //  tuples emitted, non-system components
    uint64_t acked;                         //  spouts' trees acked
    uint64_t failed;                        //  spouts' trees failed or timed out
    uint64_t span_ms;                       //  time these figures cover (uptime)
    const sq_histogram_t *complete_latency; //  spouts' complete latency, ns; NULL: none
} nimbus_history_sample_t;

//  One point: what happened between two samples.
typedef struct {
    int64_t time;           //  unix seconds of the later sample
    double emitted;         //  per second
    double acked;           //  per second
    double failed;          //  per second
    double complete_p50_ms; //  median complete latency, ms; < 0: no tree completed
    double complete_p99_ms; //  99th percentile, ms; < 0: no tree completed
} nimbus_history_point_t;

//  New, empty. NULL when out of memory. Caller owns.
nimbus_history_t *nimbus_history_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_history_destroy (nimbus_history_t **self_p);
//  Add a sample of topology_id taken at now_ms (monotonic) and time (unix
//  seconds). Adds a point unless it is the topology's first sample and
//  covers no time, or now_ms is not after the previous sample's. Returns
//  0, or -1 when out of memory (the sample is dropped).
int nimbus_history_add (nimbus_history_t *self, const char *topology_id, uint64_t now_ms,
                        int64_t time, const nimbus_history_sample_t *sample);
//  Sample the topology source reads (its all-time figures at source->now
//  and source->now_ms) and add it. Returns 0, or -1 when out of memory.
int nimbus_history_sample (nimbus_history_t *self, const nimbus_rest_source_t *source);
//  Forget the topology's points; nothing when there are none.
void nimbus_history_forget (nimbus_history_t *self, const char *topology_id);
//  Number of points kept for the topology.
size_t nimbus_history_size (nimbus_history_t *self, const char *topology_id);
//  The index-th point of the topology, oldest first (index <
//  nimbus_history_size). Returns a copy.
nimbus_history_point_t nimbus_history_point (nimbus_history_t *self, const char *topology_id,
                                             size_t index);
//  The answer of GET /api/v1/topology/:id/history: {"topologyId",
//  "intervalSecs", "points": [...]} oldest first (doc/metrics.md); no
//  points for a topology never sampled. NULL when out of memory. Caller
//  owns.
json_t *nimbus_history_answer (nimbus_history_t *self, const char *topology_id);

#endif
