/*  squall.h - the one header a Squall topology author includes

    A topology is a graph of spouts (sources) and bolts (processors) joined by
    streams of tuples. Authors implement sq_spout_t and sq_bolt_t, describe
    the graph with sq_topology_t, and export one entry, squall_topology(),
    from a shared object: the topology package. storm-submit loads the
    package and runs it, in one process (--local) or on a cluster.

    Conventions: functions returning int return 0 (or a count) on success and
    -1 on error; sq_last_error() then says what went wrong, on this thread.
    "Caller owns" means the caller must destroy the value when done.
*/
#ifndef SQUALL_H_INCLUDED
#define SQUALL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Marks what libsquall exports: everything this header declares, and
//  nothing else (the library is built with -fvisibility=hidden).
#if defined(__GNUC__)
#define SQ_EXPORT __attribute__ ((visibility ("default")))
#else
#define SQ_EXPORT
#endif

#define SQUALL_VERSION_MAJOR 0
#define SQUALL_VERSION_MINOR 1
#define SQUALL_VERSION_PATCH 0

#define SQ_DEFAULT_STREAM "default"    //  stream used when none is named
#define SQ_TICK_STREAM "__tick"        //  stream of tick tuples
#define SQ_SYSTEM_COMPONENT "__system" //  source component of tick tuples
#define SQ_SYSTEM_TASK_ID (-1)         //  source task of tick tuples (Storm's system task)
#define SQ_SYSTEM_STREAM "__system"    //  implicit stream of every component (doc/runtime.md)
#define SQ_METRICS_STREAM "__metrics"  //  implicit stream of every component (doc/runtime.md)
#define SQ_ACKER_COMPONENT "__acker"   //  component id of the acker tasks
#define SQ_MAX_FIELDS 255              //  most values one tuple can hold

//  ---------------------------------------------------------------------
//  Values and tuples

typedef enum {
    SQ_TYPE_NULL = 0,
    SQ_TYPE_INT = 1,    //  int64_t
    SQ_TYPE_DOUBLE = 2, //  double
    SQ_TYPE_STRING = 3, //  UTF-8 text, length-counted
    SQ_TYPE_BYTES = 4,  //  opaque bytes, length-counted
    SQ_TYPE_BOOL = 5
} sq_type_t;

//  One typed value. Strings and bytes point at memory the value does not
//  own: when emitting, the runtime copies it before the emit returns.
typedef struct {
    sq_type_t type; //  which member of `as` is valid
    union {
        int64_t i; //  SQ_TYPE_INT
        double d;  //  SQ_TYPE_DOUBLE
        bool b;    //  SQ_TYPE_BOOL
        struct {
            const char *ptr; //  first byte (NUL-terminated in tuples)
            size_t len;      //  length in bytes, without the NUL
        } s;                 //  SQ_TYPE_STRING and SQ_TYPE_BYTES
    } as;
} sq_value_t;

//  Value constructors, for building the values of an emit.
static inline sq_value_t
sq_null (void)
{
    sq_value_t v = {.type = SQ_TYPE_NULL};
    return v;
}
static inline sq_value_t
sq_int (int64_t i)
{
    sq_value_t v = {.type = SQ_TYPE_INT, .as.i = i};
    return v;
}
static inline sq_value_t
sq_double (double d)
{
    sq_value_t v = {.type = SQ_TYPE_DOUBLE, .as.d = d};
    return v;
}
static inline sq_value_t
sq_bool (bool b)
{
    sq_value_t v = {.type = SQ_TYPE_BOOL, .as.b = b};
    return v;
}
static inline sq_value_t
sq_strn (const char *ptr, size_t len)
{
    sq_value_t v = {.type = SQ_TYPE_STRING, .as.s = {ptr, len}};
    return v;
}
//  A NUL-terminated string; NULL becomes the null value.
SQ_EXPORT sq_value_t sq_str (const char *string);
static inline sq_value_t
sq_bytes (const void *ptr, size_t len)
{
    sq_value_t v = {.type = SQ_TYPE_BYTES, .as.s = {(const char *) ptr, len}};
    return v;
}

//  Expands to "array, count" for the emit functions:
//  sq_collector_emit (collector, input, SQ_VALUES (sq_str (word), sq_int (1)));
#define SQ_VALUES(...)                                                                             \
    ((const sq_value_t[]){__VA_ARGS__}),                                                           \
        (sizeof ((const sq_value_t[]){__VA_ARGS__}) / sizeof (sq_value_t))

//  A tuple received by a bolt. It stays valid until the bolt acks or fails
//  it; a bolt may keep it past execute() and ack it later.
typedef struct _sq_tuple_t sq_tuple_t;

//  Number of values in the tuple.
SQ_EXPORT size_t sq_tuple_size (const sq_tuple_t *self);
//  The value at index, or NULL when out of range.
SQ_EXPORT const sq_value_t *sq_tuple_value (const sq_tuple_t *self, size_t index);
//  Index of a declared field of the tuple's stream, or -1.
SQ_EXPORT int sq_tuple_field_index (const sq_tuple_t *self, const char *field);
//  The value of a named field, or NULL when the stream has no such field.
SQ_EXPORT const sq_value_t *sq_tuple_field (const sq_tuple_t *self, const char *field);
//  Typed getters: the value at index, or 0 / false / NULL when the index is
//  out of range or the value has another type. Strings are NUL-terminated.
SQ_EXPORT int64_t sq_tuple_get_int (const sq_tuple_t *self, size_t index);
SQ_EXPORT double sq_tuple_get_double (const sq_tuple_t *self, size_t index);
SQ_EXPORT bool sq_tuple_get_bool (const sq_tuple_t *self, size_t index);
SQ_EXPORT const char *sq_tuple_get_string (const sq_tuple_t *self, size_t index);
SQ_EXPORT const void *sq_tuple_get_bytes (const sq_tuple_t *self, size_t index, size_t *len_p);
//  Typed getters by field name, with the same rules.
SQ_EXPORT int64_t sq_tuple_field_int (const sq_tuple_t *self, const char *field);
SQ_EXPORT double sq_tuple_field_double (const sq_tuple_t *self, const char *field);
SQ_EXPORT const char *sq_tuple_field_string (const sq_tuple_t *self, const char *field);
//  Stream the tuple was emitted on.
SQ_EXPORT const char *sq_tuple_stream (const sq_tuple_t *self);
//  Component id and task id of the emitter: SQ_SYSTEM_COMPONENT and
//  SQ_SYSTEM_TASK_ID for tick tuples, as in Storm.
SQ_EXPORT const char *sq_tuple_source_component (const sq_tuple_t *self);
SQ_EXPORT int sq_tuple_source_task (const sq_tuple_t *self);
//  True for tick tuples (topology.tick.tuple.freq.secs).
SQ_EXPORT bool sq_tuple_is_tick (const sq_tuple_t *self);

//  ---------------------------------------------------------------------
//  Configuration, with Storm's key names. Every known key has a type and a
//  default (see doc/config.md); other keys are free for topologies to use.

typedef struct _sq_config_t sq_config_t;

//  New empty config: every known key reads as its default. Caller owns.
SQ_EXPORT sq_config_t *sq_config_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
SQ_EXPORT void sq_config_destroy (sq_config_t **self_p);
//  Copy of the config. Caller owns.
SQ_EXPORT sq_config_t *sq_config_dup (const sq_config_t *self);
//  Copy every key set in source into self, replacing what self had.
SQ_EXPORT void sq_config_merge (sq_config_t *self, const sq_config_t *source);
//  Set key from text, parsed by the key's type (known keys) or taken as a
//  JSON scalar or else as a string (other keys). -1 on a value of the wrong
//  type, with sq_last_error() naming key, expected type and value.
SQ_EXPORT int sq_config_set (sq_config_t *self, const char *key, const char *text);
//  Typed setters; -1 when a known key has another type.
SQ_EXPORT int sq_config_set_int (sq_config_t *self, const char *key, int64_t value);
SQ_EXPORT int sq_config_set_double (sq_config_t *self, const char *key, double value);
SQ_EXPORT int sq_config_set_bool (sq_config_t *self, const char *key, bool value);
SQ_EXPORT int sq_config_set_string (sq_config_t *self, const char *key, const char *value);
//  True when the key was set (defaults do not count).
SQ_EXPORT bool sq_config_has (const sq_config_t *self, const char *key);
//  Typed getters: the value set, else the key's default, else fallback.
SQ_EXPORT int64_t sq_config_int (const sq_config_t *self, const char *key, int64_t fallback);
SQ_EXPORT double sq_config_double (const sq_config_t *self, const char *key, double fallback);
SQ_EXPORT bool sq_config_bool (const sq_config_t *self, const char *key, bool fallback);
//  String value; owned by the config, valid until the key is set again.
SQ_EXPORT const char *sq_config_string (const sq_config_t *self, const char *key,
                                        const char *fallback);

//  ---------------------------------------------------------------------
//  What a running spout or bolt sees.

typedef struct _sq_context_t sq_context_t;
typedef struct _sq_collector_t sq_collector_t;

//  Task id of this instance (unique in the topology, starting at 1).
SQ_EXPORT int sq_context_task_id (const sq_context_t *self);
//  Index of this task among its component's tasks, from 0.
SQ_EXPORT int sq_context_task_index (const sq_context_t *self);
//  Component id of this instance.
SQ_EXPORT const char *sq_context_component_id (const sq_context_t *self);
//  The task ids of a component are contiguous: its first task id, or -1
//  for an unknown component or one with no tasks; task count in *count_p
//  (0 for both).
SQ_EXPORT int sq_context_component_tasks (const sq_context_t *self, const char *component,
                                          int *count_p);
//  The topology's config, with this component's overrides applied.
SQ_EXPORT const sq_config_t *sq_context_config (const sq_context_t *self);
//  Name the topology was submitted under.
SQ_EXPORT const char *sq_context_topology_name (const sq_context_t *self);

//  Emit a tuple from a bolt, anchored to `anchor` (NULL: unanchored), on
//  the default stream. Returns the number of tasks it was sent to, or -1
//  (undeclared stream, wrong number of values; see sq_last_error()).
//
//  Wrong emits are programming errors, where Storm throws: an emit on a
//  stream the component does not declare, with the wrong number of values,
//  a regular emit onto a direct stream (or onto a stream some bolt
//  subscribes to with a direct grouping), a direct emit onto a stream not
//  declared direct or to a task that does not subscribe to it directly.
//  Each returns -1 at once and sends nothing, with sq_last_error() naming
//  the component, the stream and the mistake; the task goes on running, so
//  check the result. The first wrong emit of each task is also logged at
//  error level; later ones are not (a spout repeating one mistake in every
//  next_tuple would flood the log).
SQ_EXPORT int sq_collector_emit (sq_collector_t *self, const sq_tuple_t *anchor,
                                 const sq_value_t *values, size_t count);
//  Same, on a named stream.
SQ_EXPORT int sq_collector_emit_stream (sq_collector_t *self, const char *stream,
                                        const sq_tuple_t *anchor, const sq_value_t *values,
                                        size_t count);
//  Emit anchored to several inputs (a multi-anchored tuple).
SQ_EXPORT int sq_collector_emit_anchored (sq_collector_t *self, const char *stream,
                                          const sq_tuple_t *const *anchors, size_t anchor_count,
                                          const sq_value_t *values, size_t count);
//  Emit to one task, on a stream declared with sq_declarer_direct_stream;
//  the task must subscribe to it with a direct grouping. From a bolt,
//  anchored to `anchor` (may be NULL); from a spout, anchor must be NULL
//  and the tuple is untracked (see sq_collector_emit_direct_tracked).
SQ_EXPORT int sq_collector_emit_direct (sq_collector_t *self, int task, const char *stream,
                                        const sq_tuple_t *anchor, const sq_value_t *values,
                                        size_t count);
//  A spout's tracked emit to one task: sq_collector_emit_direct's rules
//  plus sq_collector_emit_tracked's message id and ack / fail calls.
SQ_EXPORT int sq_collector_emit_direct_tracked (sq_collector_t *self, int task, const char *stream,
                                                uint64_t msg_id, const sq_value_t *values,
                                                size_t count);
//  Emit a tracked tuple from a spout: its tree is followed to completion
//  and the spout's ack(msg_id) or fail(msg_id) is called. Any msg_id is
//  allowed, 0 included. stream NULL means the default stream. When acking
//  is off (topology.acker.executors = 0) nothing is followed: ack(msg_id)
//  is called right after the current next_tuple returns, and never fail.
SQ_EXPORT int sq_collector_emit_tracked (sq_collector_t *self, const char *stream, uint64_t msg_id,
                                         const sq_value_t *values, size_t count);
//  Ack an input tuple (bolts). Every input must be acked or failed once;
//  after that the tuple must not be used.
SQ_EXPORT void sq_collector_ack (sq_collector_t *self, const sq_tuple_t *input);
//  Fail an input tuple: its tree fails at once and the spout may replay.
SQ_EXPORT void sq_collector_fail (sq_collector_t *self, const sq_tuple_t *input);
//  Push the timeout of the input's tuple trees back (Storm's resetTimeout),
//  for a bolt still working on an input it has not acked: each tree
//  expires a full topology.message.timeout.secs (up to 1.5 times it) from
//  now instead of from its spout emit, at the acker and at the spout. Call
//  it again before that time passes to keep going. No effect on a tree
//  that already failed, completed or timed out, nor when acking is off.
SQ_EXPORT void sq_collector_reset_timeout (sq_collector_t *self, const sq_tuple_t *input);
//  Report an error from a component; it is logged with the task's identity.
SQ_EXPORT void sq_collector_report_error (sq_collector_t *self, const char *message);

//  ---------------------------------------------------------------------
//  User metrics (Storm's metrics v2 registerCounter / Gauge / Histogram).
//  A task registers them in open or prepare (or later, on its own thread)
//  and updates them on its own thread only; the worker reports them with
//  the built-in metrics (doc/metrics.md). Tasks of one executor that
//  register the same name share one metric. At most 32 per executor.

typedef struct _sq_metric_t sq_metric_t;

typedef enum {
    SQ_METRIC_COUNTER,  //  a count that only grows: sq_metric_inc
    SQ_METRIC_GAUGE,    //  a value set now and then: sq_metric_set
    SQ_METRIC_HISTOGRAM //  a distribution of non-negative values: sq_metric_record
} sq_metric_type_t;

//  Register (or find) a metric of this task's executor. The name has 1 to
//  64 letters, digits, '_', '.', ':' or '-'. Returns NULL, with
//  sq_last_error() set, for a bad name, a name registered with another
//  type, or one metric too many. The metric lives as long as the task.
SQ_EXPORT sq_metric_t *sq_context_register_counter (const sq_context_t *self, const char *name);
SQ_EXPORT sq_metric_t *sq_context_register_gauge (const sq_context_t *self, const char *name);
SQ_EXPORT sq_metric_t *sq_context_register_histogram (const sq_context_t *self, const char *name);
//  Add amount to a counter.
SQ_EXPORT void sq_metric_inc (sq_metric_t *self, uint64_t amount);
//  Set a gauge.
SQ_EXPORT void sq_metric_set (sq_metric_t *self, double value);
//  Record a value (e.g. nanoseconds) in a histogram.
SQ_EXPORT void sq_metric_record (sq_metric_t *self, uint64_t value);

//  ---------------------------------------------------------------------
//  Spouts and bolts. A component is a table of callbacks; any callback but
//  next_tuple / execute may be NULL. Each task gets its own state from
//  open / prepare; `state_p` starts NULL.
//
//  Threads: all callbacks of one task run on its executor's thread, one at
//  a time, and never from inside an emit, so task state needs no lock.
//  Tasks of one component may run on different threads: share nothing
//  between tasks without locking it. When open or prepare fails (returns
//  -1), close or cleanup is not called: free what was allocated first.
//  Strings the context returns live as long as the task.

typedef struct _sq_declarer_t sq_declarer_t;

//  Declare an output stream and its comma-separated field names, e.g.
//  sq_declarer_stream (d, SQ_DEFAULT_STREAM, "word,count"). Stream ids
//  starting with "__" are reserved for the system (validation refuses them).
SQ_EXPORT void sq_declarer_stream (sq_declarer_t *self, const char *stream, const char *fields);
//  Shorthand for the default stream.
SQ_EXPORT void sq_declarer_fields (sq_declarer_t *self, const char *fields);
//  Declare a direct stream (Storm's declareStream (id, true, fields)): its
//  tuples go only to the task an emit names (sq_collector_emit_direct),
//  among the bolts subscribed with a direct grouping.
SQ_EXPORT void sq_declarer_direct_stream (sq_declarer_t *self, const char *stream,
                                          const char *fields);

typedef struct {
    void (*declare_outputs) (sq_declarer_t *declarer); //  output streams
    //  Called once per task before anything else; returns 0 or -1 to stop.
    int (*open) (void **state_p, const sq_context_t *context, sq_collector_t *collector);
    //  Emit zero or more tuples; must not block. Called again and again.
    void (*next_tuple) (void *state);
    void (*ack) (void *state, uint64_t msg_id);  //  tree of msg_id completed
    void (*fail) (void *state, uint64_t msg_id); //  failed or timed out
    void (*activate) (void *state);              //  topology activated
    void (*deactivate) (void *state);            //  no next_tuple until activated
    void (*close) (void *state);                 //  last call; free state
} sq_spout_t;

typedef struct {
    void (*declare_outputs) (sq_declarer_t *declarer); //  output streams
    //  Called once per task before any execute; returns 0 or -1 to stop.
    int (*prepare) (void **state_p, const sq_context_t *context, sq_collector_t *collector);
    //  Process one input; ack or fail it now or later.
    void (*execute) (void *state, const sq_tuple_t *input);
    void (*cleanup) (void *state); //  last call; free state
} sq_bolt_t;

//  A custom grouping (Storm's CustomStreamGrouping): callbacks that pick the
//  target tasks of each tuple. Every emitting task gets its own instance
//  for each subscription using the grouping, with its own `state` (starts
//  NULL), so the callbacks need no lock. prepare runs once per instance
//  before the emitting task's open / prepare; choose runs on the emitting
//  task's thread, inside its emits; cleanup runs after the task stopped.
//  Only choose is required. The table must outlive the topology.
typedef struct {
    //  The emitting task's context, the stream, and the subscribing
    //  component's task ids (Storm's targetTasks); returns 0 or -1 to stop.
    int (*prepare) (void **state_p, const sq_context_t *context, const char *stream,
                    const int *target_tasks, size_t target_count);
    //  Write into `chosen` (room for target_count ids) the tasks that get
    //  the tuple emitted by task_id with these values; return how many, 0
    //  for none. -1, more than target_count, or a task not among the target
    //  tasks fails the emit (it returns -1 and sends nothing).
    int (*choose) (void *state, int task_id, const sq_value_t *values, size_t count, int *chosen);
    void (*cleanup) (void *state); //  last call; free state
} sq_custom_grouping_t;

//  ---------------------------------------------------------------------
//  Task hooks (Storm's ITaskHook): callbacks that watch what one task does,
//  for metrics or tracing without changing the component. A hook is a
//  table of callbacks, any of them NULL, that must outlive the task (a
//  static const is usual), and a state pointer of its own. Hooks run on the
//  task's executor thread, right after the event, in the order they were
//  added; they must not block, emit, ack or fail. Latencies are in
//  milliseconds of the monotonic clock. A task with no hook pays one
//  predictable branch per event.
//
//  Two ways to add one: from a component's open or prepare, with
//  sq_context_add_task_hook; or from config, naming exported hook tables in
//  topology.auto.task.hooks (Storm's key; C has no classes to name, so a
//  name is the symbol of a `const sq_task_hook_t` the topology package
//  exports, looked up with dlsym in the package, then in the program and
//  the libraries loaded globally). Config hooks are added to every spout
//  and bolt task (not the ackers) before its open or prepare runs, with a
//  NULL state, so their prepare usually allocates it. A name that cannot
//  be found fails the task's start, and with it the submit.

//  What an emit hook sees of one emit.
typedef struct {
    const char *stream;       //  stream emitted on
    const sq_value_t *values; //  the values emitted (valid during the call)
    size_t value_count;       //  number of values
    int task;                 //  emitting task
    const int *out_tasks;     //  tasks the tuple was sent to
    size_t out_task_count;    //  number of them (0: no subscriber took it)
} sq_hook_emit_t;

typedef struct {
    //  Called once when the hook is added; *state_p holds the state given
    //  to sq_context_add_task_hook (NULL for config hooks) and may be set.
    //  Returns 0, or -1 to refuse (the hook is not added).
    int (*prepare) (void **state_p, const sq_context_t *context);
    //  Every emit of the task (spouts and bolts), after it was sent.
    void (*emit) (void *state, const sq_hook_emit_t *emit);
    //  A spout's tree completed (ack called): time from emit to ack.
    void (*spout_ack) (void *state, uint64_t msg_id, double complete_latency_ms);
    //  A spout's tree failed or timed out (fail called): time since emit.
    void (*spout_fail) (void *state, uint64_t msg_id, double fail_latency_ms);
    //  A bolt's execute returned for input (tick tuples included): time
    //  spent in execute. The input is readable during the call, even when
    //  execute acked it.
    void (*bolt_execute) (void *state, const sq_tuple_t *input, double execute_latency_ms);
    //  A bolt acked input: time from the start of its execute to the ack.
    //  Called before the ack releases it, so the input is still readable.
    void (*bolt_ack) (void *state, const sq_tuple_t *input, double process_latency_ms);
    //  A bolt failed input: time from the start of its execute to the fail.
    void (*bolt_fail) (void *state, const sq_tuple_t *input, double fail_latency_ms);
    //  Last call, before the component's own close or cleanup: free state.
    void (*cleanup) (void *state);
} sq_task_hook_t;

//  Add a hook to this task, from the component's open or prepare (Storm's
//  TopologyContext.addTaskHook); calls its prepare. Returns 0, or -1 when
//  the task is already running or prepare refused.
SQ_EXPORT int sq_context_add_task_hook (const sq_context_t *self, const sq_task_hook_t *hook,
                                        void *state);

//  ---------------------------------------------------------------------
//  Topology builder. Mistakes (unknown components, duplicate ids, ...) are
//  collected and reported by validation, so builder calls need no checks.

typedef struct _sq_topology_t sq_topology_t;
typedef struct _sq_component_t sq_component_t;

//  New empty topology. Caller owns.
SQ_EXPORT sq_topology_t *sq_topology_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
SQ_EXPORT void sq_topology_destroy (sq_topology_t **self_p);
//  Add a spout with `parallelism` executors (and as many tasks). The
//  spout table must outlive the topology (a static const is usual).
SQ_EXPORT sq_component_t *sq_topology_set_spout (sq_topology_t *self, const char *id,
                                                 const sq_spout_t *spout, int parallelism);
//  Add a bolt with `parallelism` executors (and as many tasks).
SQ_EXPORT sq_component_t *sq_topology_set_bolt (sq_topology_t *self, const char *id,
                                                const sq_bolt_t *bolt, int parallelism);
//  Default config the topology runs with; submit-time config overrides it.
SQ_EXPORT sq_config_t *sq_topology_config (sq_topology_t *self);
//  0 when the topology is valid, else -1 and sq_last_error() names the
//  first problem found.
SQ_EXPORT int sq_topology_validate (const sq_topology_t *self);

//  Number of tasks (instances): at least the parallelism, or 0 (as Storm
//  allows) for a component that runs nowhere: no executor, no open or
//  prepare, and what is emitted to it is dropped.
SQ_EXPORT void sq_component_set_num_tasks (sq_component_t *self, int tasks);
//  Config overrides for this component only (e.g. its tick frequency).
SQ_EXPORT sq_config_t *sq_component_config (sq_component_t *self);
//  Subscribe to `source`'s `stream` (NULL: default) with a grouping.
SQ_EXPORT void sq_component_shuffle_grouping (sq_component_t *self, const char *source,
                                              const char *stream);
//  Fields grouping on comma-separated fields, e.g. "word" or "user,day".
SQ_EXPORT void sq_component_fields_grouping (sq_component_t *self, const char *source,
                                             const char *stream, const char *fields);
SQ_EXPORT void sq_component_all_grouping (sq_component_t *self, const char *source,
                                          const char *stream);
SQ_EXPORT void sq_component_global_grouping (sq_component_t *self, const char *source,
                                             const char *stream);
SQ_EXPORT void sq_component_direct_grouping (sq_component_t *self, const char *source,
                                             const char *stream);
SQ_EXPORT void sq_component_local_or_shuffle_grouping (sq_component_t *self, const char *source,
                                                       const char *stream);
SQ_EXPORT void sq_component_none_grouping (sq_component_t *self, const char *source,
                                           const char *stream);
//  Partial key grouping (Storm's partialKeyGrouping) on comma-separated
//  fields: two fixed hashes of the values pick two candidate tasks, and
//  each emitting task sends to the one it has sent fewer tuples so far.
SQ_EXPORT void sq_component_partial_key_grouping (sq_component_t *self, const char *source,
                                                  const char *stream, const char *fields);
//  Custom grouping: `grouping` picks the tasks (see sq_custom_grouping_t).
SQ_EXPORT void sq_component_custom_grouping (sq_component_t *self, const char *source,
                                             const char *stream,
                                             const sq_custom_grouping_t *grouping);

//  ---------------------------------------------------------------------
//  Topology packages: a shared object exporting this function, which fills
//  in an empty topology. `config` is the submit-time config (read your own
//  keys from it); return 0, or -1 to refuse.
#define SQ_TOPOLOGY_ENTRY "squall_topology"
typedef int (sq_topology_entry_fn) (sq_topology_t *topology, const sq_config_t *config);
SQ_EXPORT int squall_topology (sq_topology_t *topology, const sq_config_t *config);

//  ---------------------------------------------------------------------
//  Local mode: run topologies inside this process, as tests do.

typedef struct _sq_local_cluster_t sq_local_cluster_t;

//  Counters of one running topology, summed over its tasks.
typedef struct {
    uint64_t spout_emitted;     //  tuples emitted by spouts
    uint64_t emitted;           //  tuples emitted by all components
    uint64_t executed;          //  tuples given to bolts' execute
    uint64_t acked;             //  spout trees completed (spout ack calls)
    uint64_t failed;            //  spout trees failed (explicit fail)
    uint64_t timed_out;         //  spout trees timed out
    uint64_t acker_messages;    //  init/ack/fail/reset messages sent to ackers
    uint64_t pending;           //  spout trees in flight now
    uint64_t max_pending;       //  most trees any spout task had in flight
    uint64_t queued;            //  messages waiting in executor queues now
    uint64_t max_queued;        //  most messages ever waiting in one queue
    double complete_latency_ms; //  mean time from spout emit to ack
} sq_topology_stats_t;

//  New local cluster, running nothing. Caller owns.
SQ_EXPORT sq_local_cluster_t *sq_local_cluster_new (void);
//  Kill every topology and destroy; NULL-safe; nulls the caller's pointer.
SQ_EXPORT void sq_local_cluster_destroy (sq_local_cluster_t **self_p);
//  Validate and start a topology under `name`. Takes ownership of the
//  topology (nulls *topology_p) whether or not it starts. `config` (may be
//  NULL) overrides the topology's own; it is copied. -1 on an invalid
//  topology or config, a name in use, or a component that fails to open.
SQ_EXPORT int sq_local_cluster_submit (sq_local_cluster_t *self, const char *name,
                                       const sq_config_t *config, sq_topology_t **topology_p);
//  How a topology starts (Storm's TopologyInitialStatus).
typedef enum {
    SQ_INITIAL_STATUS_ACTIVE = 0,  //  spouts are activated and emit at once (the default)
    SQ_INITIAL_STATUS_INACTIVE = 1 //  no activate, no next_tuple until activated
} sq_initial_status_t;

//  Options of a submit (Storm's SubmitOptions). All zero: Storm's defaults.
typedef struct {
    sq_initial_status_t initial_status; //  active or inactive at start
} sq_submit_options_t;

//  sq_local_cluster_submit with options (Storm's submitTopologyWithOpts);
//  options NULL means the defaults. Submitted inactive, the topology's
//  tasks open (or prepare) but no spout's next_tuple (nor activate) is
//  called until sq_local_cluster_activate.
SQ_EXPORT int sq_local_cluster_submit_with_options (sq_local_cluster_t *self, const char *name,
                                                    const sq_config_t *config,
                                                    sq_topology_t **topology_p,
                                                    const sq_submit_options_t *options);
//  Deactivate the spouts, wait `wait_secs` for tuples in flight, then stop
//  every task (cleanup and close run) and forget the topology. -1 when no
//  topology has that name.
SQ_EXPORT int sq_local_cluster_kill (sq_local_cluster_t *self, const char *name, double wait_secs);
//  Deactivate or activate the spouts of a topology. Each spout task's
//  deactivate (activate) is called once, on its executor's thread, before
//  it stops (resumes) calling next_tuple. -1 for an unknown name.
SQ_EXPORT int sq_local_cluster_deactivate (sq_local_cluster_t *self, const char *name);
SQ_EXPORT int sq_local_cluster_activate (sq_local_cluster_t *self, const char *name);
//  Fill *stats for a topology. -1 for an unknown name.
SQ_EXPORT int sq_local_cluster_stats (sq_local_cluster_t *self, const char *name,
                                      sq_topology_stats_t *stats);

//  One component's metrics in a local topology, summed over its executors
//  (Storm's UI columns). Latencies in milliseconds; 0 when nothing was
//  measured.
typedef struct {
    const char *component;  //  component id (valid until the next call)
    bool spout;             //  a spout (complete latency) or a bolt
    int executors;          //  executors of the component
    uint64_t emitted;       //  tuples emitted, all streams
    uint64_t transferred;   //  tuples sent to tasks (one emit may reach several)
    uint64_t acked;         //  spouts: trees completed; bolts: inputs acked
    uint64_t failed;        //  spouts: trees failed explicitly; bolts: inputs failed
    uint64_t timed_out;     //  spouts: trees timed out
    uint64_t executed;      //  bolts: inputs executed
    double execute_p50_ms;  //  bolts: execute latency, median
    double execute_p99_ms;  //  bolts: execute latency, 99th percentile
    double process_p50_ms;  //  bolts: execute start to ack, median
    double process_p99_ms;  //  bolts: execute start to ack, 99th percentile
    double complete_p50_ms; //  spouts: emit to tree completion, median
    double complete_p99_ms; //  spouts: emit to tree completion, 99th percentile
    double capacity;        //  bolts: time spent in execute / run time, busiest executor
    uint64_t errors;        //  errors reported (the last few are kept)
    uint64_t timeouts_held; //  trees that timed out while a task of it held them
    uint64_t fails_blamed;  //  trees whose first fail came from a task of it
} sq_component_metrics_t;

//  Per-component metrics of a running topology, in the order the
//  components were added (system components left out), into rows (at most
//  max). Returns the number of components (which may exceed max), or -1
//  for an unknown name or when out of memory. Strings in rows live until
//  the next call on this cluster.
SQ_EXPORT int sq_local_cluster_component_metrics (sq_local_cluster_t *self, const char *name,
                                                  sq_component_metrics_t *rows, size_t max);
//  Every executor's metrics, as the JSON text a worker puts in its
//  heartbeat (doc/metrics.md). NULL for an unknown name or when out of
//  memory. Caller frees (free()).
SQ_EXPORT char *sq_local_cluster_metrics_json (sq_local_cluster_t *self, const char *name);

//  ---------------------------------------------------------------------
//  Shell components (Storm's ShellSpout / ShellBolt): each task runs
//  `command` with `args` (NULL-terminated, may be NULL) as a child process
//  speaking Storm's multilang protocol (doc/multilang.md), with the
//  topology's resources directory as working directory. `fields` are the
//  comma-separated fields of the default stream (NULL or "": none).
SQ_EXPORT sq_component_t *sq_shell_spout (sq_topology_t *topology, const char *id,
                                          const char *command, const char *const *args,
                                          const char *fields, int parallelism);
SQ_EXPORT sq_component_t *sq_shell_bolt (sq_topology_t *topology, const char *id,
                                         const char *command, const char *const *args,
                                         const char *fields, int parallelism);
//  Declare one more output stream of a shell component (direct: a direct
//  stream).
SQ_EXPORT void sq_shell_stream (sq_component_t *component, const char *stream, const char *fields,
                                bool direct);

//  ---------------------------------------------------------------------
//  Windowed bolts (Storm's IWindowedBolt; doc/windows.md). The runtime
//  keeps a window of the bolt's inputs and calls execute with the whole
//  window each time it slides (the trigger), instead of once per tuple.
//
//  A window has a length and a sliding interval, each a count of tuples
//  or a duration; a tumbling window slides by its own length. Time is the
//  processing time (when the tuple arrived) unless a timestamp field is
//  set: then it is the event time read from that field (an int, in ms),
//  windows advance with watermarks (the smallest, over the input streams,
//  of the largest timestamp seen, less the lag), and a tuple older than
//  the last watermark is late: emitted on the late-tuple stream when one
//  is set (with its values as they are) or logged, and acked either way.
//
//  Acking is the runtime's: a window tuple is acked when it leaves the
//  window (expires); the bolt need not ack it. Emits from execute with a
//  NULL anchor are anchored to every tuple of the window, so a downstream
//  failure fails their trees. A bolt may still ack or fail a window tuple
//  itself, as in Storm: that takes effect at once, and the window drops
//  the tuple without acking it again when it expires. Every setter writes
//  Storm's config keys into the component config; the same keys can be
//  set directly. A window must fit the topology: its length plus sliding
//  interval at most topology.message.timeout.secs (durations) or
//  topology.max.spout.pending (counts, when that is set), and at most
//  topology.bolts.window.max.tuples tuples held; the submit is refused
//  otherwise.

//  The tuples of one window activation, valid during execute only.
typedef struct _sq_window_t sq_window_t;

//  Tuples in the window, oldest first, and the one at index (NULL when
//  out of range).
SQ_EXPORT size_t sq_window_count (const sq_window_t *self);
SQ_EXPORT const sq_tuple_t *sq_window_tuple (const sq_window_t *self, size_t index);
//  Tuples that entered the window since the last activation.
SQ_EXPORT size_t sq_window_new_count (const sq_window_t *self);
SQ_EXPORT const sq_tuple_t *sq_window_new_tuple (const sq_window_t *self, size_t index);
//  Tuples that left the window since the last activation (they are acked
//  after this execute returns).
SQ_EXPORT size_t sq_window_expired_count (const sq_window_t *self);
SQ_EXPORT const sq_tuple_t *sq_window_expired_tuple (const sq_window_t *self, size_t index);
//  Start and end of the window in ms (Storm's TupleWindow getStartTimestamp
//  and getEndTimestamp): the end is the trigger time (event time or
//  processing time, ms since the epoch); the start is the end less the
//  window length for duration windows, else 0.
SQ_EXPORT int64_t sq_window_start_ts (const sq_window_t *self);
SQ_EXPORT int64_t sq_window_end_ts (const sq_window_t *self);

typedef struct {
    void (*declare_outputs) (sq_declarer_t *declarer); //  output streams
    //  Called once per task before any execute; returns 0 or -1 to stop.
    int (*prepare) (void **state_p, const sq_context_t *context, sq_collector_t *collector);
    //  Process one window activation; emit with a NULL anchor to anchor to
    //  the whole window.
    void (*execute) (void *state, const sq_window_t *window);
    void (*cleanup) (void *state); //  last call; free state
} sq_windowed_bolt_t;

//  Add a windowed bolt with `parallelism` executors (and as many tasks).
//  Without a window setter it is a sliding count window of length 1.
SQ_EXPORT sq_component_t *sq_topology_set_windowed_bolt (sq_topology_t *self, const char *id,
                                                         const sq_windowed_bolt_t *bolt,
                                                         int parallelism);
//  Sliding windows (Storm's withWindow): length and interval each in
//  tuples (count) or in ms (duration), in the four combinations.
SQ_EXPORT void sq_component_window_sliding_count (sq_component_t *self, int64_t length,
                                                  int64_t interval);
SQ_EXPORT void sq_component_window_sliding_duration (sq_component_t *self, int64_t length_ms,
                                                     int64_t interval_ms);
SQ_EXPORT void sq_component_window_sliding_count_by_duration (sq_component_t *self, int64_t length,
                                                              int64_t interval_ms);
SQ_EXPORT void sq_component_window_sliding_duration_by_count (sq_component_t *self,
                                                              int64_t length_ms, int64_t interval);
//  Tumbling windows (Storm's withTumblingWindow): the interval is the length.
SQ_EXPORT void sq_component_window_tumbling_count (sq_component_t *self, int64_t length);
SQ_EXPORT void sq_component_window_tumbling_duration (sq_component_t *self, int64_t length_ms);
//  Event time from this int field of every input (withTimestampField).
SQ_EXPORT void sq_component_window_timestamp_field (sq_component_t *self, const char *field);
//  Most a timestamp may lag behind the newest one seen (withLag).
SQ_EXPORT void sq_component_window_lag_ms (sq_component_t *self, int64_t ms);
//  How often watermarks are computed (withWatermarkInterval).
SQ_EXPORT void sq_component_window_watermark_interval_ms (sq_component_t *self, int64_t ms);
//  Stream that late tuples are emitted on (withLateTupleStream); the bolt
//  declares it, with as many fields as its inputs carry.
SQ_EXPORT void sq_component_window_late_tuple_stream (sq_component_t *self, const char *stream);

//  ---------------------------------------------------------------------
//  Redis Streams (doc/redis.md): a spout that reads a stream through a
//  consumer group, and a bolt that appends its inputs to a stream. Both
//  read their settings from the component's config (the topology's, with
//  sq_component_config's overrides): redis.host, redis.port,
//  redis.stream.key, ... (doc/config.md). Both run on their executor's
//  thread and never wait on Redis for longer than redis.timeout.ms.
//
//  The spout emits one tuple per stream entry on the default stream, with
//  the fields "id" (the entry id, a string such as "1700000000000-0")
//  followed by `fields`: the values of those entry fields, as strings
//  (null when the entry lacks the field). Each tuple is tracked; an ack
//  XACKs the entry, a fail emits it again after a delay that doubles with
//  each delivery (redis.backoff.initial.ms up to redis.backoff.max.ms),
//  and an entry delivered more than redis.stream.max.deliveries times is
//  moved to the dead-letter stream. Each task reads as consumer <topology>-<component>-<task
//  index> (redis.stream.consumer replaces the first two parts), so a
//  restarted task finds its own pending entries again.

//  Add a Redis Streams spout under `id` with `parallelism` executors;
//  `fields` is a comma-separated list of entry field names (may be empty:
//  only "id" is emitted). Returns the component, as sq_topology_set_spout.
SQ_EXPORT sq_component_t *sq_topology_set_redis_spout (sq_topology_t *self, const char *id,
                                                       const char *fields, int parallelism);
//  Add a Redis Streams sink bolt: each input becomes one entry, XADDed to
//  redis.stream.key, whose fields are the input's field names and whose
//  values are its values as text (ints in decimal, doubles with 17
//  significant digits, bools as true / false, null as the empty string).
//  The input is acked once Redis replied with the new entry's id, and
//  failed when Redis replied with an error or could not be reached. It
//  declares no output stream.
SQ_EXPORT sq_component_t *sq_topology_set_redis_bolt (sq_topology_t *self, const char *id,
                                                      int parallelism);

//  ---------------------------------------------------------------------
//  Errors

//  Text of the last error on this thread; never NULL.
SQ_EXPORT const char *sq_last_error (void);

#ifdef __cplusplus
}
#endif

#endif
