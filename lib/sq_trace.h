/*  sq_trace - live tuple tracing: which trees are sampled, the events of
    their hops, a bounded buffer of events and a bounded store of trees

    A fraction of spout trees (topology.trace.sample.rate) is traced. The
    decision is sq_trace_sampled, a pure function of the tree's root id and
    the rate, so every executor of every worker agrees on which trees are
    traced without a byte more on the wire: a tuple carries its roots.

    Each hop of a traced tree (one tuple sent from one task to another)
    gives up to four events, written where they happen: emit (by the
    sender), enqueue (the tuple arrives in the receiving executor's queue),
    execute (its execute starts) and ack or fail (by the receiving bolt).
    The events of one hop share the tuple's edge id in that tree, which
    every process sees, so whoever assembles them needs nothing else. The
    spout adds the tree's outcome: acked (with its complete latency),
    failed or timed out. Times are wall-clock milliseconds (CLOCK_REALTIME)
    so that events from different machines line up; they are only as good
    as the machines' clock agreement (doc/metrics.md, "Tracing").

    DESIGN: bounded everywhere. A runtime keeps events in one ring buffer
    of fixed size (sq_trace_buffer_t); when it is full the oldest events
    are overwritten and counted as lost. A heartbeat takes at most
    SQ_TRACE_REPORT_EVENTS of them. The receiver of a report (nimbus, or a
    local run's UI) checks it as hostile input (sq_trace_check_report) and
    folds it into a sq_trace_store_t, which keeps the last max_trees trees
    and at most max_hops hops per tree, and writes the JSON of
    GET /api/v1/topology/:id/traces.
*/
#ifndef SQ_TRACE_H_INCLUDED
#define SQ_TRACE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQ_TRACE_BUFFER_EVENTS 4096        //  events a runtime keeps until a report takes them
#define SQ_TRACE_REPORT_EVENTS 1024        //  events in one report (heartbeat) at most
#define SQ_TRACE_REPORT_BYTES (256 * 1024) //  JSON bytes of one report at most
#define SQ_TRACE_MAX_TREES 100             //  trees a store keeps per topology
#define SQ_TRACE_MAX_HOPS 64               //  hops a store keeps per tree
#define SQ_TRACE_MAX_ID 256                //  longest component or stream id in a report
#define SQ_TRACE_ALWAYS (1ULL << 53)       //  threshold of rate 1: every tree

//  What happened.
typedef enum {
    SQ_TRACE_EMIT = 0,      //  a task emitted the tuple (sender's clock)
    SQ_TRACE_ENQUEUE = 1,   //  it reached the receiving executor's queue
    SQ_TRACE_EXECUTE = 2,   //  the receiving task's execute started
    SQ_TRACE_ACK = 3,       //  the receiving bolt acked it
    SQ_TRACE_FAIL = 4,      //  the receiving bolt failed it
    SQ_TRACE_ACKED = 5,     //  the spout saw the tree complete
    SQ_TRACE_FAILED = 6,    //  the spout saw the tree fail
    SQ_TRACE_TIMED_OUT = 7, //  the spout timed the tree out
} sq_trace_kind_t;

//  One event. The strings are borrowed (from the topology, which outlives
//  the runtime's buffer).
typedef struct {
    uint64_t root;              //  root id of the tree
    uint64_t edge;              //  hop events: the tuple's edge id in that tree; 0 for outcomes
    double ms;                  //  wall-clock time, unix milliseconds
    double latency_ms;          //  SQ_TRACE_ACKED: complete latency
    const char *component;      //  receiving component (hops) or the spout (outcomes)
    const char *from_component; //  hops: the emitting component
    const char *stream;         //  hops: the stream
    int32_t task;               //  receiving task (hops) or spout task (outcomes)
    int32_t from_task;          //  hops: the emitting task
    sq_trace_kind_t kind;       //  what happened
} sq_trace_event_t;

//  The threshold sq_trace_sampled compares with for a sample rate: 0 for
//  rate <= 0 (or NaN), SQ_TRACE_ALWAYS for rate >= 1.
uint64_t sq_trace_threshold (double rate);

//  True when the tree of root is traced at threshold (sq_trace_threshold):
//  never at 0, always at SQ_TRACE_ALWAYS, for a fraction rate of random
//  roots in between. A tree traced at one rate is traced at every higher
//  one. A multiply and a few shifts.
static inline bool
sq_trace_sampled (uint64_t root, uint64_t threshold)
{
    uint64_t z = root;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (z >> 11) < threshold;
}

//  Wall-clock time now, unix milliseconds with microseconds.
double sq_trace_now_ms (void);

//  ---------------------------------------------------------------------
//  Buffer: events waiting for a report. Thread-safe.

typedef struct _sq_trace_buffer_t sq_trace_buffer_t;

//  New buffer of capacity (>= 1) events. NULL when out of memory.
sq_trace_buffer_t *sq_trace_buffer_new (size_t capacity);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_trace_buffer_destroy (sq_trace_buffer_t **self_p);
//  Add count events; when full, the oldest are overwritten (and counted
//  lost). Any thread.
void sq_trace_buffer_add (sq_trace_buffer_t *self, const sq_trace_event_t *events, size_t count);
//  Events held now.
size_t sq_trace_buffer_size (sq_trace_buffer_t *self);
//  Take (remove) the oldest events, at most max_events and max_bytes of
//  compact JSON, as a report: {"v": 1, "lost": n, "events": [...]}
//  (doc/control.md), lost counting the events overwritten (or lost to
//  memory) since the last take. Events that do not fit stay. NULL when
//  there is nothing to report, or when out of memory. Caller owns.
json_t *sq_trace_buffer_take (sq_trace_buffer_t *self, size_t max_events, size_t max_bytes);

//  0 when report follows the grammar of a heartbeat's traces section
//  (doc/control.md), else -1 with sq_last_error() saying where it breaks.
//  For outside input: bounds every count, string and number.
int sq_trace_check_report (const json_t *report);

//  ---------------------------------------------------------------------
//  Store: the last trees of one topology, assembled from reports.

typedef struct _sq_trace_store_t sq_trace_store_t;

//  New store keeping max_trees trees (>= 1) of at most max_hops hops
//  (>= 1) each. NULL when out of memory. Caller owns.
sq_trace_store_t *sq_trace_store_new (size_t max_trees, size_t max_hops);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_trace_store_destroy (sq_trace_store_t **self_p);
//  Fold a report that passed sq_trace_check_report, from worker ("host:port"
//  or "local"). A tree not seen before replaces the one seen first when
//  the store is full; the events of one of the last max_trees trees
//  replaced are dropped and counted (lateEvents); hops past max_hops are
//  counted, not kept. Returns 0,
//  or -1 when out of memory (part of the report may be lost).
int sq_trace_store_add (sq_trace_store_t *self, const json_t *report, const char *worker);
//  Trees held now.
size_t sq_trace_store_size (sq_trace_store_t *self);
//  The answer of GET /api/v1/topology/:id/traces (doc/metrics.md): at most
//  max_trees trees, newest first, and the hop latency per edge over every
//  tree held. NULL when out of memory. Caller owns.
json_t *sq_trace_store_json (sq_trace_store_t *self, const char *topology_id, double sample_pct,
                             size_t max_trees);

#endif
