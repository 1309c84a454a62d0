/*  nimbus_metrics - the heartbeats' executor metrics, folded into windows

    Each worker heartbeat may carry a `metrics` snapshot (doc/control.md,
    "Heartbeat metrics"): per executor, cumulative counters and latency
    histograms per output stream and per input. nimbus_metrics_fold adds
    every figure of a snapshot to Storm's windows (nimbus_windows: 10 min,
    3 h, 1 day, all time) of its source, which is keyed by topology,
    component, the executor's task range and the stream or input, so an
    executor that moves to another worker keeps its windows; a restarted
    executor (its counters go back, or its uptime does) is nimbus_windows'
    restart rule. The readers add sources up over a filter (a component,
    an executor, a stream, an input) for one window.

    The ackers' `blame` object (doc/metrics.md, "Why trees failed") is
    folded per worker and culprit task: each worker's ackers count, from
    their own start, the trees any task held when they timed out and the
    fails it caused first, so a worker is keyed by its lowest acker task
    and its ackers' uptime is the restart rule. An executor's (and so a
    component's) timeouts held and fails blamed are the sum over every
    worker of the tasks of its range; at most NIMBUS_METRICS_MAX_BLAME
    [worker, task] pairs per topology, the rest refused.

    In memory only: a restarted nimbus starts every window again, and
    nimbus_metrics_forget drops a killed topology's windows. Bounded: at
    most NIMBUS_METRICS_MAX_SOURCES output streams plus inputs per
    topology (and NIMBUS_METRICS_MAX_EXECUTORS executors); figures of
    sources beyond the cap are not kept and are counted in
    nimbus_metrics_refused.

    DESIGN: the snapshot was checked against the grammar by nimbus_request,
    so only what the grammar guarantees is relied on; still, nothing here
    asserts on it. Time is the caller's monotonic milliseconds. Not thread
    safe.
*/
#ifndef NIMBUS_METRICS_H_INCLUDED
#define NIMBUS_METRICS_H_INCLUDED

#include "nimbus_windows.h"
#include "sq_histogram.h"
#include "sq_prometheus.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NIMBUS_METRICS_MAX_SOURCES 512   //  output streams + inputs kept per topology
#define NIMBUS_METRICS_MAX_EXECUTORS 512 //  executors kept per topology
#define NIMBUS_METRICS_MAX_BLAME 4096    //  [worker's ackers, culprit task] pairs kept per topology

typedef struct _nimbus_metrics_t nimbus_metrics_t;

//  Which sources a reader adds up. Zeroed: every source of the topology.
typedef struct {
    const char *component;       //  only this component's executors; NULL all
    int first_task;              //  only the executor starting there; 0 all
    const char *stream;          //  only this output stream (inputs skipped); NULL all
    const char *input_component; //  only inputs from it (outputs skipped); NULL all
    const char *input_stream;    //  with input_component: only this stream; NULL all
    bool sys;                    //  count system components and streams ("__...")
    bool spouts;                 //  only spouts' executors
} nimbus_metrics_filter_t;

//  The sum of the sources a filter selects, over one window.
typedef struct {
    uint64_t emitted;                 //  tuples emitted on output streams
    uint64_t transferred;             //  tuples sent to tasks
    uint64_t acked;                   //  spouts: trees completed; bolts: inputs acked
    uint64_t failed;                  //  spouts: trees failed explicitly; bolts: inputs failed
    uint64_t timed_out;               //  spouts: trees timed out (apart from failed)
    uint64_t executed;                //  bolts: inputs given to execute
    uint64_t errors;                  //  errors reported
    uint64_t held_ns[3];              //  spouts held: max pending, backpressure, inactive
    uint64_t timeouts_held;           //  trees timed out while a selected task held them
    uint64_t fails_blamed;            //  trees whose first fail came from a selected task
    uint64_t queue_population;        //  latest receive queue population, summed
    uint64_t queue_capacity;          //  latest receive queue capacity, summed
    uint64_t uptime_ms;               //  longest uptime of the executors
    uint64_t span_ms;                 //  longest span of the window's figures
    double capacity;                  //  largest executor capacity, 0..1
    size_t executors;                 //  executors selected that sent metrics
    sq_histogram_t *complete_latency; //  spouts: tree latency, ns
    sq_histogram_t *execute_latency;  //  bolts: execute latency, ns
    sq_histogram_t *process_latency;  //  bolts: input to ack latency, ns
} nimbus_metrics_stats_t;

//  New, empty. NULL when out of memory. Caller owns.
nimbus_metrics_t *nimbus_metrics_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_metrics_destroy (nimbus_metrics_t **self_p);
//  Fold a checked heartbeat metrics object of topology_id, received at
//  now_ms. Returns 0, or -1 when out of memory (figures may be partly
//  folded; the next snapshot makes up for them).
int nimbus_metrics_fold (nimbus_metrics_t *self, const char *topology_id, const json_t *metrics,
                         uint64_t now_ms);
//  Forget every window of the topology.
void nimbus_metrics_forget (nimbus_metrics_t *self, const char *topology_id);
//  Snapshot figures refused for the topology because of the caps.
uint64_t nimbus_metrics_refused (nimbus_metrics_t *self, const char *topology_id);
//  Output streams plus inputs kept for the topology.
size_t nimbus_metrics_sources (nimbus_metrics_t *self, const char *topology_id);

//  Zero stats and give it empty histograms. Returns 0, or -1 when out of
//  memory.
int nimbus_metrics_stats_init (nimbus_metrics_stats_t *stats);
//  Free stats' histograms.
void nimbus_metrics_stats_free (nimbus_metrics_stats_t *stats);
//  Add up into stats (initialised; emptied first) the sources of the
//  topology the filter selects, over window at now_ms.
void nimbus_metrics_stats (nimbus_metrics_t *self, const char *topology_id,
                           const nimbus_metrics_filter_t *filter, nimbus_window_t window,
                           uint64_t now_ms, nimbus_metrics_stats_t *stats);
//  The output streams of a component's executors (distinct names), or,
//  when inputs, its inputs as [component, stream] pairs: a JSON array,
//  system ones only with sys. Caller decrefs; NULL when out of memory.
json_t *nimbus_metrics_keys (nimbus_metrics_t *self, const char *topology_id, const char *component,
                             bool inputs, bool sys);
//  The latest errors of a component's executors, newest first, each
//  {"time_ms", "task", "error"} as the workers sent them; at most limit.
//  Caller decrefs; NULL when out of memory.
json_t *nimbus_metrics_errors (nimbus_metrics_t *self, const char *topology_id,
                               const char *component, size_t limit);
//  The executors of the topology that sent metrics, as [component,
//  first_task, last_task, spout] arrays. Caller decrefs; NULL when out of
//  memory.
json_t *nimbus_metrics_executors (nimbus_metrics_t *self, const char *topology_id);
//  Write the per executor, stream and input families in Prometheus text
//  into out, all time (counters never go back, whatever the workers'
//  restarts), labelled topology (its name from names, an object id ->
//  name; the id when absent there), component, task (the executor's task
//  range "first-last"), and stream and source_component where they
//  apply. Returns 0, or what sq_prometheus returned (-1, SQ_ENOMEM).
int nimbus_metrics_prometheus (nimbus_metrics_t *self, sq_prometheus_t *out, const json_t *names,
                               uint64_t now_ms);

#endif
