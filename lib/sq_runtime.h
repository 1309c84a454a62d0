/*  sq_runtime - one topology running in this process

    The runtime turns a validated topology into tasks and executors: it
    numbers the tasks (sq_task_layout: contiguous ids per component, in the
    order the components were added, ackers last), gives each executor a
    bounded input queue and a thread, and gives each task one grouping
    instance per subscriber of each of its output streams. Local mode runs
    every executor of a topology in one runtime. Acker tasks run the
    sq_system_task_t that whoever assembles the runtime hands in.

    Executors (sq_executor.c) run the loops; the collector (sq_collector.c)
    implements emit, ack and fail on top of the structures declared here.
*/
#ifndef SQ_RUNTIME_H_INCLUDED
#define SQ_RUNTIME_H_INCLUDED

#include "sq_cache_line.h"
#include "sq_clock.h"
#include "sq_executor_metrics.h"
#include "sq_grouping.h"
#include "sq_idmap.h"
#include "sq_ids.h"
#include "sq_queue.h"
#include "sq_pending_trees.h"
#include "sq_system_task.h"
#include "sq_task_layout.h"
#include "sq_trace.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct _sq_runtime_t sq_runtime_t;
typedef struct _sq_executor_t sq_executor_t;
typedef struct _sq_context_t sq_task_t;

//  The subscribers of one output stream of a task.
typedef struct {
    const sq_stream_t *stream; //  the output stream
    sq_grouping_t **groupings; //  one per subscribing bolt
    size_t grouping_count;     //  number of subscribers
    size_t direct_groupings;   //  how many of them subscribe with a direct grouping
    size_t max_targets;        //  most tasks one emit can reach
    bool plain;                //  not direct, no direct grouping, at most SQ_PLAIN_TARGETS
    sq_metrics_emits_t *emits; //  the stream's emit counts in the executor's metrics
} sq_outlet_t;

#define SQ_PLAIN_TARGETS 16 //  most targets of an outlet emitted to by the short path

struct _sq_collector_t {
    sq_task_t *task;                 //  the task this collector emits for
    const sq_tuple_t *const *window; //  windowed bolts, in execute: NULL anchors mean these
    size_t window_count;             //  tuples in window
};

//  What one emit call asked for.
typedef struct {
    const char *stream;               //  stream name, NULL for default
    const sq_tuple_t *const *anchors; //  bolts: inputs to anchor to
    size_t anchor_count;              //  number of anchors
    bool tracked;                     //  spouts: follow the tree
    uint64_t msg_id;                  //  spouts: message id of a tracked emit
    int direct_task;                  //  emit-direct target, 0 for groupings
    int *targets_out;                 //  when not NULL: gets the task ids sent to
    size_t targets_room;              //  entries targets_out has room for
} sq_emit_t;

//  Emit as the public emit calls do (sq_collector.c), with every option
//  of sq_emit_t: the shell components' emits. Returns the number of tasks
//  sent to, or -1 with sq_last_error set.
int sq_collector_emit_request (sq_collector_t *self, const sq_emit_t *emit,
                               const sq_value_t *values, size_t count);
//  A task's own timer (windowed bolts): run when due on the executor
//  thread, returns when it is next due (sq_runtime_now_ns scale).
typedef int64_t (sq_task_timer_fn) (sq_task_t *task, int64_t now_ns);

//  One task hook: its table and its state (sq_task_hook.h).
typedef struct {
    const sq_task_hook_t *hook; //  callbacks; outlives the task
    void *state;                //  the hook's own state
} sq_hook_slot_t;

//  A task: one instance of a component. Also the public sq_context_t.
struct _sq_context_t {
    sq_runtime_t *runtime;           //  owner
    sq_executor_t *executor;         //  the executor running this task
    const sq_component_t *component; //  its component
    int task_id;                     //  unique task id, from 1
    int task_index;                  //  index among its component's tasks
    sq_config_t *config;             //  topology config + component overrides
    sq_collector_t collector;        //  emits for this task
    void *state;                     //  from open / prepare
    bool opened;                     //  open / prepare succeeded
    sq_outlet_t *outlets;            //  one per output stream of the component
    sq_outlet_t *default_outlet;     //  the outlet of the default stream, or NULL
    sq_pending_trees_t *pending;     //  spouts: trees in flight
    uint64_t *ack_now;               //  spouts, acking off: msg ids to ack
    size_t ack_now_count;            //  entries in ack_now
    size_t ack_now_capacity;         //  room in ack_now
    int64_t max_spout_pending;       //  spouts: trees in flight at most, 0 = unlimited
    bool active;                     //  spouts: activated (activate called, no deactivate since)
    sq_tuple_t *held;                //  bolts: inputs kept past execute
    void *system_state;              //  system tasks (ackers): state of component->system
    sq_hook_slot_t *hooks;           //  task hooks, in the order added
    size_t hook_count;               //  number of hooks; 0 (no cost) in most tasks
    int64_t execute_ns;              //  timed (hooks, metrics): start of the execute running now
    sq_idmap_t *held_starts;         //  timed inputs held past execute -> their execute's start
    sq_task_timer_fn *timer;         //  bolts: the task's own timer, or NULL
    int64_t timer_due_ns;            //  when timer is next due
};

//  Counters of one executor: written by its thread only, read by anyone.
typedef struct {
    _Atomic uint64_t emitted;          //  tuples emitted
    _Atomic uint64_t spout_emitted;    //  of which by spouts
    _Atomic uint64_t executed;         //  inputs given to execute
    _Atomic uint64_t acked;            //  spout trees completed
    _Atomic uint64_t failed;           //  spout trees failed
    _Atomic uint64_t timed_out;        //  spout trees timed out
    _Atomic uint64_t acker_messages;   //  messages sent to ackers
    _Atomic uint64_t pending;          //  spout trees in flight
    _Atomic uint64_t max_pending;      //  most trees one task had in flight
    _Atomic uint64_t latency_ns_total; //  sum of complete latencies
    _Atomic uint64_t dropped;          //  messages dropped (unknown kind, shutdown)
    _Atomic uint64_t outbox;           //  messages waiting in the outbox
} sq_executor_stats_t;

//  What one executor has queued for one destination: a local executor,
//  or the other processes (destination executor_count).
typedef struct {
    size_t destination;      //  executor index, or executor_count for remote tasks
    size_t count;            //  messages queued
    size_t capacity;         //  room in messages
    size_t dirty_at;         //  its index in the executor's dirty list while count > 0
    sq_message_t *messages;  //  in the order sent
    sq_tuple_block_t *block; //  tuples for this destination are carved from it; may be NULL
} sq_outbox_t;

//  A progressive wait, Storm's WaitStrategyProgressive: idle rounds first
//  return at once (level 1), then yield the core (level 2), then park on
//  the executor's queue, which a producer wakes (level 3).
typedef struct {
    uint32_t level1; //  rounds that return at once
    uint32_t level2; //  rounds after those that yield the core
    int level3_ms;   //  first park, milliseconds; each next one twice as long
    int max_ms;      //  longest park, milliseconds; -1: until woken or a timer is due
    uint64_t rounds; //  idle rounds since the last one with work
} sq_wait_t;

//  One input of an executor: the source's schema, whose pointer a tuple's
//  stream is, and where the metrics count its executes and acks.
typedef struct {
    const sq_stream_t *schema; //  NULL when the source has no such stream
    sq_metrics_runs_t *runs;   //  its counts in the executor's metrics
} sq_executor_input_t;

struct _sq_executor_t {
    sq_runtime_t *runtime;           //  owner
    int index;                       //  index in the runtime's executor list
    const sq_component_t *component; //  component of every task here
    sq_task_t **tasks;               //  tasks run by this executor
    size_t task_count;               //  number of tasks
    sq_queue_t *queue;               //  input queue
    pthread_t thread;                //  the executor thread
    bool started;                    //  thread was created
    atomic_bool open_returned;       //  every task's open or prepare returned
    atomic_bool returned;            //  the thread closed its tasks and is ending
    bool joined;                     //  the thread was joined
    sq_outbox_t **outboxes;          //  table by destination (sq_executor.c); NULL: free
    size_t outbox_slots;             //  size of outboxes: 0 or a power of 2
    size_t outbox_count;             //  destinations this executor has sent to
    sq_outbox_t **dirty;             //  the outboxes holding messages (outbox_slots room)
    size_t dirty_count;              //  entries in dirty
    sq_outbox_t *last_outbox;        //  the outbox sent to last, NULL before the first
    int64_t next_tick_ns;            //  bolts: when the next tick tuple is due
    int64_t tick_interval_ns;        //  bolts: tick period, 0 for none
    int64_t next_rotation_ns;        //  spouts and ackers: next timeout rotation
    sq_executor_metrics_t *metrics;  //  its metrics (owned); user metrics even when off
    bool metrics_on;                 //  topology.metrics.enabled: record per tuple
    bool time_all;                   //  topology.stats.sample.rate >= 1: time every execute
    uint32_t sample_span;            //  otherwise: executes between timed ones average this
    uint32_t sample_countdown;       //  executes until the next timed one
    uint64_t sample_random;          //  xorshift state drawing the countdowns
    sq_ids_source_t ids;             //  draws the ids of the tuples its tasks emit
    sq_wait_t idle_wait;             //  nothing to do: spout or bolt wait strategy
    sq_wait_t backpressure_wait;     //  spouts: held back by full destination queues
    sq_executor_input_t *inputs;     //  by input number, in subscription order
    size_t input_count;              //  number of inputs
    //  Set once a task here kept an input past its execute: from then on
    //  tuples for this executor get allocations of their own, since one
    //  kept tuple would keep the whole block it was carved from.
    atomic_bool keeps_inputs;
    //  On cache lines of their own: written all the time by this thread,
    //  they must not share a line with another executor's fields.
    _Alignas(SQ_CACHE_LINE) sq_executor_stats_t stats; //  counters
    sq_tuple_releases_t releases; //  inputs destroyed in this batch, off their blocks after it
};

//  Carries messages to tasks that run in other processes. Returns how many
//  it took; with wait it takes all (blocking while its buffers are full)
//  unless the runtime is stopping. Called from executor threads.
typedef size_t (sq_remote_send_fn) (void *arg, const sq_message_t *messages, size_t count,
                                    bool wait);

//  Where tasks run, for a cluster worker; local mode runs every task.
typedef struct {
    const bool *local;       //  local[task_id], ackers included: runs in this process
    int task_count;          //  entries in local, less the unused local[0]
    sq_remote_send_fn *send; //  carries messages for the other tasks
    void *arg;               //  argument of send
} sq_placement_t;

//  Who may give up a start while open and prepare callbacks still run
//  (local mode: a stop asked for before the run began).
typedef struct {
    bool (*abandoned) (void *arg); //  polled while callbacks open: true gives the start up
    void *arg;                     //  its argument
    double grace_secs;             //  then how long the callbacks still get to return
} sq_start_watch_t;

#define SQ_RUNTIME_STUCK -2 //  sq_runtime_start: given up, and callbacks did not return

struct _sq_runtime_t {
    char *name;                            //  topology name
    sq_topology_t *topology;               //  the topology (owned)
    sq_config_t *config;                   //  effective topology config (owned)
    sq_task_layout_t *layout;              //  task ids and executors, all processes' (owned)
    sq_task_t **tasks;                     //  by task id, NULL for remote tasks; [0] unused
    int task_count;                        //  highest task id
    int edge_task_bits;                    //  task field of edge ids (sq_ids_task_bits)
    const sq_component_t **task_component; //  by task id: its component
    sq_executor_t **executors;             //  executors running in this process
    size_t executor_count;                 //  number of executors here
    sq_executor_t **task_executor;         //  by task id: its executor, NULL when remote
    bool *local;                           //  by task id: runs here; NULL when all do
    sq_remote_send_fn *remote_send;        //  carries messages for remote tasks
    void *remote_arg;                      //  argument of remote_send
    int acker_first_task;                  //  first acker task id
    int acker_count;                       //  acker tasks; 0 when acking is off
    size_t batch_size;                     //  topology.producer.batch.size
    int64_t rotation_ns;                   //  timeout bucket rotation period, 0 = off
    atomic_bool active;                    //  spouts may emit
    atomic_bool throttled;                 //  a worker is congested: spouts hold off
    atomic_bool stopping;                  //  executors must exit
    pthread_mutex_t start_lock;            //  guards the start-up fields below
    pthread_cond_t start_cond;             //  signals start-up progress
    int prepared;                          //  executors done with open/prepare
    int open_failures;                     //  tasks whose open/prepare failed
    char *open_failed_component;           //  component of the first such task, or NULL
    int open_failed_task;                  //  that task's id
    bool go;                               //  all prepared: run
    sq_executor_metrics_t **summaries;     //  per component: merged snapshots of the last summary
    size_t summary_count;                  //  entries in summaries
    _Atomic uint64_t trace_threshold;      //  sq_trace_threshold of the sample rate; 0: off
    sq_trace_buffer_t *traces;             //  events of traced trees, until reported
    bool fatal_task_errors;                //  a task's fatal error stops the process (workers)
    char *fatal_error;                     //  the first fatal task error, or NULL (start_lock)
    sq_start_watch_t start_watch;          //  who may give up the start; abandoned NULL: none
};

//  What whoever assembles a runtime (local mode, a worker) supplies.
typedef struct {
    const sq_placement_t *placement; //  tasks run here and the way to the others; NULL: all here
    const sq_system_task_t *acker;   //  runs the acker tasks (acker/sq_acker.h); NULL: none
    bool fatal_task_errors;          //  workers: a shell child's failure stops the process
    const sq_start_watch_t *start_watch; //  may give up the start; NULL: wait as long as it takes
} sq_runtime_options_t;

//  Build the runtime of a validated topology. Takes ownership of the
//  topology; options (may be NULL) are borrowed, and options->acker must
//  outlive the runtime. With a placement, runs only the tasks it marks
//  local, and messages for other tasks go to placement->send. Returns NULL
//  with sq_last_error() set on failure: an invalid topology or config, a
//  placement that does not fit the topology (task count) or splits an
//  executor, or acking on (topology.acker.executors > 0) with no acker.
sq_runtime_t *sq_runtime_new (const char *name, sq_topology_t **topology_p,
                              const sq_config_t *config, const sq_runtime_options_t *options);
//  Index of the executor in this process that runs task, or -1 for a task
//  that is unknown or runs elsewhere. For handing over messages that
//  arrived from other processes.
int sq_runtime_executor_of (const sq_runtime_t *self, int task);
//  Append messages to the queue of local executor `executor`, all of them
//  (waiting while it is full) or, without wait, what fits now. Returns how
//  many were queued; the caller keeps the rest.
size_t sq_runtime_push (sq_runtime_t *self, int executor, const sq_message_t *messages,
                        size_t count, bool wait);
//  Start every executor; returns 0 once every task opened, else -1 (and the
//  runtime has stopped again). With a start watch that gives the start up,
//  -1 when every open and prepare returned within its grace, else
//  SQ_RUNTIME_STUCK with sq_last_error() naming the components and tasks
//  still in one: their threads still use the runtime, so the caller must
//  not destroy it, and ends the process instead.
int sq_runtime_start (sq_runtime_t *self);
//  Set whether spouts emit (activate / deactivate). A runtime starts
//  active; set it inactive before sq_runtime_start to start with no
//  next_tuple call (a topology submitted inactive). Any thread.
void sq_runtime_set_active (sq_runtime_t *self, bool active);
//  Hold spouts back (no next_tuple calls) while a worker of the topology
//  is congested, or let them go again. Any thread.
void sq_runtime_set_throttled (sq_runtime_t *self, bool throttled);
//  Set the fraction of spout trees traced (topology.trace.sample.rate;
//  0 turns tracing off). Any thread.
void sq_runtime_set_trace_rate (sq_runtime_t *self, double rate);
//  Take the trace events recorded since the last call, at most max_events
//  and max_bytes of JSON, as a heartbeat's traces section
//  (sq_trace_buffer_take). NULL when there are none. Any thread. Caller
//  owns.
json_t *sq_runtime_traces (sq_runtime_t *self, size_t max_events, size_t max_bytes);
//  Record event kind of tuple, at time ms, for each of its trees that is
//  traced at threshold; an emit (SQ_TRACE_EMIT) marks the tuple
//  SQ_TUPLE_TRACED when one is. Called only when tracing is on.
void sq_runtime_trace_tuple (sq_runtime_t *self, sq_tuple_t *tuple, sq_trace_kind_t kind,
                             uint64_t threshold);
//  sq_queue_push with tracing on: records the enqueue of the traced tuples
//  that were pushed. With mark (tuples from other processes), first marks
//  the tuples whose tree is traced (SQ_TUPLE_TRACED).
size_t sq_runtime_push_traced (sq_runtime_t *self, sq_queue_t *queue, const sq_message_t *messages,
                               size_t count, bool wait, bool mark);
//  A task cannot go on (a shell component's child failed): record error
//  (the first one counts) for whoever runs the runtime to act on. Any
//  thread.
void sq_runtime_fatal (sq_runtime_t *self, const char *error);
//  Copy of the first fatal task error, or NULL when there was none. Any
//  thread. Caller frees (free()).
char *sq_runtime_fatal_error (sq_runtime_t *self);
//  The component of the first task whose open or prepare failed in
//  sq_runtime_start, with its task id in *task_p; NULL when none failed.
//  Owned by the runtime. Call after sq_runtime_start returned.
const char *sq_runtime_open_failure (sq_runtime_t *self, int *task_p);
//  Wait up to wait_secs until nothing is pending or queued.
void sq_runtime_drain (sq_runtime_t *self, double wait_secs);
//  Stop every executor (close / cleanup run on their threads) and wait up
//  to grace_secs for their threads to return. Returns 0 when all did, else
//  -1 with sq_last_error() naming the components and tasks whose threads
//  are still in a callback ("component 'spin' task 3 did not return within
//  3 s of the stop"): those threads still use the runtime, so the caller
//  must not destroy it, and ends the process instead. Any one thread.
int sq_runtime_stop (sq_runtime_t *self, double grace_secs);
//  Stop every executor (close / cleanup run on their threads), waiting as
//  long as they take, and destroy.
void sq_runtime_destroy (sq_runtime_t **self_p);
//  Sum the counters.
void sq_runtime_stats (sq_runtime_t *self, sq_topology_stats_t *stats);
//  Why trees failed, summed over the acker tasks that run here: a new
//  sq_blame_t (sq_system_task.h) sized for the topology's tasks, all zero
//  without ackers. Any thread. Returns NULL when out of memory.
sq_blame_t *sq_runtime_blame (sq_runtime_t *self);
//  Destroy a blame from sq_runtime_blame; NULL-safe; nulls the pointer.
void sq_blame_destroy (sq_blame_t **self_p);
//  Sum blame's per-task counts over the tasks of component (none for an
//  unknown name) into *timeouts_held and *fails.
void sq_runtime_component_blame (const sq_runtime_t *self, const sq_blame_t *blame,
                                 const char *component, uint64_t *timeouts_held, uint64_t *fails);
//  The metrics of every executor here, as a heartbeat's `metrics` object
//  (doc/metrics.md): executors are added while the text stays within
//  max_bytes, the rest are counted in `omitted`. Any thread. NULL when
//  out of memory. Caller decrefs.
json_t *sq_runtime_metrics (sq_runtime_t *self, size_t max_bytes);
//  Per-component summary rows (sq_local_cluster_component_metrics), in
//  component order, system components left out; strings borrowed from
//  snapshots kept in the runtime until the next call. Returns the number
//  of components, or -1 when out of memory. Any one thread at a time.
int sq_runtime_component_metrics (sq_runtime_t *self, sq_component_metrics_t *rows, size_t max);
//  Monotonic clock in nanoseconds: sq_clock_ns, cheap enough to time every
//  execute. Runtime times are compared only with each other.
static inline int64_t
sq_runtime_now_ns (void)
{
    return sq_clock_ns ();
}

//  Executor loop (sq_executor.c): thread entry, argument an sq_executor_t.
void *sq_executor_run (void *executor);
//  Remember when the execute of an input the bolt keeps began (its
//  process latency is measured from there; sq_executor.c).
void sq_executor_remember_start (sq_task_t *task, const sq_tuple_t *tuple, int64_t start_ns);
//  The start of the execute of an input being acked or failed: the
//  running execute's, or the one remembered (and forgotten now), or 0 when
//  it was not timed.
int64_t sq_executor_take_start (sq_task_t *task, const sq_tuple_t *tuple);
//  Mark an input acked or failed and free it, unless execute() is running
//  on it or a window holds it (sq_collector.c).
void sq_collector_release (sq_task_t *task, sq_tuple_t *tuple);
//  Queue an acking message, one without a tuple, for task (sq_executor.c).
void sq_executor_send_ack (sq_executor_t *self, sq_message_kind_t kind, int task, uint64_t root,
                           uint64_t value);
//  What the tuples of one emit share, whatever task each goes to.
typedef struct {
    const sq_stream_t *stream; //  the stream emitted on
    int source_task;           //  the emitting task
    const sq_value_t *values;  //  the values, value_count of them
    size_t value_count;
    uint64_t trace; //  the trace threshold (sq_trace.h), 0 when tracing is off
} sq_emitted_t;

//  Make emitted's tuple for dest_task, with these edges, and queue it,
//  recording its emit when the trace threshold samples one of its trees.
//  It is carved from a block shared with the other tuples for the same
//  executor, unless that executor keeps its inputs or runs in another
//  process. False when out of memory: no tuple was sent.
bool sq_executor_send_tuple (sq_executor_t *self, const sq_emitted_t *emitted, int dest_task,
                             const sq_edge_t *edges, size_t edge_count);
//  Hand what is queued for task's executor (or for the remote side) over
//  now rather than at the end of the batch, waiting for room: a reset
//  timeout sent from inside a long execute must not wait for it to return.
void sq_executor_flush_for (sq_executor_t *self, int task);
//  0 when config's wait strategy keys name strategies the executors know;
//  else -1 with sq_last_error() naming the key and value (sq_executor.c).
int sq_executor_check_wait_strategies (const sq_config_t *config);
//  Free an executor's outboxes and the tuples still in them (sq_executor.c).
void sq_executor_outboxes_destroy (sq_executor_t *self);
//  When the last message queued for the same acker task is an ack of the
//  same root, fold this ack into it (XOR is associative, so the acker sees
//  the same result) and return true; else false, and nothing changes.
bool sq_executor_merge_ack (sq_executor_t *self, const sq_message_t *message);

//  Number of the executor's input that stream (a source's schema) is, or
//  -1 (tick tuples): a pointer comparison per input, no string.
static inline int
sq_executor_input (const sq_executor_t *self, const sq_stream_t *stream)
{
    for (size_t i = 0; i < self->input_count; i++)
        if (self->inputs[i].schema == stream)
            return (int) i;
    return -1;
}

//  Task id of the acker that tracks root.
static inline int
sq_runtime_acker_for (const sq_runtime_t *self, uint64_t root)
{
    return self->acker_first_task + (int) ((root >> 18) % (uint64_t) self->acker_count);
}

#endif
