/*  sq_executor_metrics - the metrics of one executor, Storm's names

    Each executor owns one: per output stream (emitted, transferred; for
    spouts also acked, failed, timed out and the complete latency), per
    input component:stream (executed, acked, failed, execute latency,
    process latency), how long a spout was held back (max spout pending,
    backpressure, inactive), the last SQ_METRICS_ERRORS errors each of its
    tasks reported, and the user metrics its tasks registered (counters,
    gauges, histograms). Latencies are sq_histogram distributions.

    DESIGN: one writer, the executor's thread. Streams and inputs are
    numbered when the metrics are made (the component's output streams in
    declaration order, its subscriptions in order), so recording is an
    array index and a few relaxed loads and stores: no lock, no string, no
    read-modify-write. Readers on other threads call
    sq_executor_metrics_snapshot, which copies every figure with relaxed
    loads into a new object of the same shape; encoding, merging and
    summing work on such copies. Only the error list takes a lock, and
    errors are rare. Memory is fixed when the metrics are made (streams and
    inputs are known), but for user metrics, which are capped at
    SQ_METRICS_USER_MAX per executor and whose slots are also allocated up
    front.

    The JSON form (sq_executor_metrics_encode / _check) is what a worker
    puts in its heartbeat; doc/metrics.md gives its grammar.
*/
#ifndef SQ_EXECUTOR_METRICS_H_INCLUDED
#define SQ_EXECUTOR_METRICS_H_INCLUDED

#include "sq_counter.h"
#include "squall.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQ_METRICS_VERSION 1          //  version of the JSON form
#define SQ_METRICS_ERRORS 10          //  errors kept per task
#define SQ_METRICS_ERROR_BYTES 256    //  longest error text kept, bytes
#define SQ_METRICS_USER_MAX 32        //  user metrics per executor
#define SQ_METRICS_NAME_MAX 64        //  longest user metric name, bytes
#define SQ_METRICS_ID_MAX 256         //  longest component or stream id in the JSON form
#define SQ_METRICS_LIST_MAX 1024      //  most streams or inputs per executor in the JSON form
#define SQ_METRICS_EXECUTORS_MAX 4096 //  most executors in one heartbeat's metrics
#define SQ_METRICS_UNTIMED UINT64_MAX //  an execute or ack counted but not timed (sampling)
#define SQ_METRICS_BLAME_MAX 65535    //  most [task, count] pairs in a report's blame lists

typedef struct _sq_executor_metrics_t sq_executor_metrics_t;

//  The counts of one output stream that every emit moves.
typedef struct {
    _Atomic uint64_t emitted;     //  emit calls
    _Atomic uint64_t transferred; //  tuples sent (targets of the emits)
} sq_metrics_emits_t;

//  The counts of one input that every execute and its ack move.
typedef struct {
    _Atomic uint64_t executed; //  execute calls
    _Atomic uint64_t acked;    //  inputs acked
} sq_metrics_runs_t;

//  Why a spout executor did not call next_tuple.
typedef enum {
    SQ_METRICS_HELD_PENDING,      //  every task had topology.max.spout.pending trees in flight
    SQ_METRICS_HELD_BACKPRESSURE, //  full outbox batches, or a congested worker
    SQ_METRICS_HELD_INACTIVE,     //  the topology is deactivated
    SQ_METRICS_HELD_REASONS       //  number of reasons
} sq_metrics_held_t;

//  What the metrics are made for.
typedef struct {
    const char *component;               //  component id
    bool spout;                          //  a spout: streams carry acks and complete latency
    int first_task;                      //  first task id of the executor
    int last_task;                       //  last task id of the executor
    const char *const *streams;          //  output stream ids, indexed by stream number
    size_t stream_count;                 //  number of output streams
    const char *const *input_components; //  per input: the source component
    const char *const *input_streams;    //  per input: the source stream
    size_t input_count;                  //  number of inputs
    size_t queue_capacity;               //  messages the receive queue holds
    int64_t created_ns;                  //  monotonic time the executor was made
    double latency_sample_rate;          //  fraction of executes timed, (0, 1]; 0 means 1
} sq_executor_metrics_shape_t;

//  New metrics of that shape, all zero (ids are copied). NULL when out of
//  memory. Caller owns.
sq_executor_metrics_t *sq_executor_metrics_new (const sq_executor_metrics_shape_t *shape);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_executor_metrics_destroy (sq_executor_metrics_t **self_p);

//  Recording: the executor's thread only. `stream` and `input` are the
//  numbers of the shape; out-of-range numbers are programmer errors.

//  Where the emit counts of stream are, for as long as the metrics live:
//  the emit path keeps this and counts through sq_metrics_emits_add,
//  inline, with no call and no lookup per emit.
sq_metrics_emits_t *sq_executor_metrics_emits (sq_executor_metrics_t *self, size_t stream);
//  One emit, sent to `targets` tasks.
static inline void
sq_metrics_emits_add (sq_metrics_emits_t *self, uint64_t targets)
{
    sq_counter_add (&self->emitted, 1);
    sq_counter_add (&self->transferred, targets);
}
//  Where the execute and ack counts of input are, for as long as the
//  metrics live: an untimed execute counts through sq_metrics_runs_add,
//  inline (a timed one through sq_executor_metrics_executed and _acked,
//  which also record its latencies).
sq_metrics_runs_t *sq_executor_metrics_runs (sq_executor_metrics_t *self, size_t input);
//  One untimed execute, its input acked in it or not.
static inline void
sq_metrics_runs_add (sq_metrics_runs_t *self, bool acked)
{
    sq_counter_add (&self->executed, 1);
    if (acked)
        sq_counter_add (&self->acked, 1);
}
//  Spouts: a tree of stream completed after complete_ns.
void sq_executor_metrics_spout_acked (sq_executor_metrics_t *self, size_t stream,
                                      uint64_t complete_ns);
//  Spouts: a tree of stream failed explicitly.
void sq_executor_metrics_spout_failed (sq_executor_metrics_t *self, size_t stream);
//  Spouts: a tree of stream timed out.
void sq_executor_metrics_spout_timed_out (sq_executor_metrics_t *self, size_t stream);
//  Bolts: execute ran for execute_ns on an input (SQ_METRICS_UNTIMED: it
//  was not timed, only counted).
void sq_executor_metrics_executed (sq_executor_metrics_t *self, size_t input, uint64_t execute_ns);
//  Bolts: an input was acked process_ns after its execute began
//  (SQ_METRICS_UNTIMED: not timed, only counted).
void sq_executor_metrics_acked (sq_executor_metrics_t *self, size_t input, uint64_t process_ns);
//  Bolts: an input was failed.
void sq_executor_metrics_failed (sq_executor_metrics_t *self, size_t input);
//  Spouts: held back for held_ns nanoseconds for reason.
void sq_executor_metrics_held (sq_executor_metrics_t *self, sq_metrics_held_t reason,
                               uint64_t held_ns);
//  A task reported an error at wall-clock time_ms (any thread; locks).
//  Keeps the last SQ_METRICS_ERRORS of each task, text cut at
//  SQ_METRICS_ERROR_BYTES.
void sq_executor_metrics_error (sq_executor_metrics_t *self, int task, int64_t time_ms,
                                const char *message);

//  User metrics. Registration finds the metric of that name and type or
//  adds one (tasks of one executor share it); NULL with sq_last_error() set
//  when the name is empty, too long or has characters other than letters,
//  digits, '_', '.', ':' and '-', when the name is taken by another type,
//  or when the executor already has SQ_METRICS_USER_MAX. Executor thread
//  only; the metric lives as long as self.
sq_metric_t *sq_executor_metrics_register (sq_executor_metrics_t *self, const char *name,
                                           sq_metric_type_t type);

//  Reading, from any thread.

//  A copy of every figure, taken with relaxed loads while the writer may
//  go on (each counter is a value it held during the copy), with the
//  queue population given and the uptime counted to now_ns. NULL when out
//  of memory. Caller owns.
sq_executor_metrics_t *sq_executor_metrics_snapshot (sq_executor_metrics_t *self,
                                                     size_t queue_population, int64_t now_ns);
//  Add source's figures into dest, of the same component and shape
//  (executors of one component): counters, histograms, held times, queue
//  population and capacity, the errors of both, user metrics by name (as
//  many as fit), the task range widened, the longer uptime kept. Both must
//  be snapshots. Returns 0, or -1 when the shapes differ or out of memory.
int sq_executor_metrics_merge (sq_executor_metrics_t *dest, const sq_executor_metrics_t *source);
//  The component id.
const char *sq_executor_metrics_component (const sq_executor_metrics_t *self);
//  Fill a per-component summary row (its strings are borrowed from self).
void sq_executor_metrics_summary (const sq_executor_metrics_t *self, sq_component_metrics_t *row);
//  Which count sq_executor_metrics_stream_count / _input_count return.
typedef enum {
    SQ_METRICS_EMITTED,     //  streams
    SQ_METRICS_TRANSFERRED, //  streams
    SQ_METRICS_ACKED,       //  spout streams, inputs
    SQ_METRICS_FAILED,      //  spout streams, inputs
    SQ_METRICS_TIMED_OUT,   //  spout streams
    SQ_METRICS_EXECUTED     //  inputs
} sq_metrics_count_t;

//  A count of an output stream (in range); 0 for a count streams lack.
uint64_t sq_executor_metrics_stream_count (const sq_executor_metrics_t *self, size_t stream,
                                           sq_metrics_count_t which);
//  A count of an input (in range); 0 for a count inputs lack.
uint64_t sq_executor_metrics_input_count (const sq_executor_metrics_t *self, size_t input,
                                          sq_metrics_count_t which);
//  Spouts: time held back for reason, nanoseconds.
uint64_t sq_executor_metrics_held_ns (const sq_executor_metrics_t *self, sq_metrics_held_t reason);
//  Number of errors kept.
size_t sq_executor_metrics_error_count (const sq_executor_metrics_t *self);
//  Number of user metrics.
size_t sq_executor_metrics_user_count (const sq_executor_metrics_t *self);

//  The JSON form of a snapshot (doc/metrics.md, "Executor metrics"). NULL
//  when out of memory. Caller decrefs.
json_t *sq_executor_metrics_encode (const sq_executor_metrics_t *self);
//  Check one executor's JSON form as outside input: types, ranges, sizes,
//  histograms (sq_histogram_decode). Returns 0, or SQ_EMALFORMED with
//  sq_last_error() naming the first problem.
int sq_executor_metrics_check (const json_t *json);
//  Add to *timeouts_held and *fails the counts a checked `blame` object
//  (sq_executor_metrics_check_report) gives tasks first_task .. last_task:
//  for nimbus, one executor's share of one worker's ackers' counts.
void sq_executor_metrics_blame_add (const json_t *blame, int first_task, int last_task,
                                    uint64_t *timeouts_held, uint64_t *fails);
//  Check a heartbeat's `metrics` object: {"v": 1, "executors": [...],
//  "omitted": N} and, from a worker running ackers, "blame": {...}
//  (doc/metrics.md). Returns 0, or SQ_EMALFORMED as above.
int sq_executor_metrics_check_report (const json_t *json);

#endif
