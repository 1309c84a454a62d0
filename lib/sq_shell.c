/*  sq_shell - shell spouts and bolts: tasks whose work is done by a child
    process speaking Storm's multilang protocol (doc/multilang.md)

    Each task of a shell component starts its own child (sq_subprocess) in
    the topology's resources directory, sends it the handshake and waits
    for its {"pid": N}. From then on:

    - A shell spout is synchronous, as in Storm: next_tuple, ack, fail,
      activate and deactivate each send one command and read the child's
      emits, logs and errors until its "sync".
    - A shell bolt is asynchronous: execute sends the tuple and returns;
      what the child writes back (emits, acks, fails, ...) is read
      whenever the task runs (each execute, and between batches through
      the component's idle hook). A heartbeat tuple goes out every second
      and the child answers it with "sync". At most
      topology.shellbolt.max.pending tuples wait at the child; execute
      waits for room beyond that.

    DESIGN: one executor thread does all of it, so every wait polls the
    child's pipes with a deadline, reading while it writes: a child that
    is blocked writing to us while we write to it cannot deadlock us. The
    child must have written a whole message within
    topology.subprocess.timeout.secs of being asked for something (a
    command, a heartbeat, a tuple); a child that dies, stalls that long,
    or writes a malformed message, an oversized one or an unknown command
    has failed: one error names the component, the task, the reason and
    the child's stderr tail. In a cluster worker the runtime is told
    (sq_runtime_fatal) and the worker exits for its supervisor to restart;
    in local mode the task fails the inputs its child held, kills and
    reaps it, and starts a new child after a back-off. Spout message ids
    the old child emitted are kept, and their acks and fails go to the new
    child.
*/
#include "sq_runtime.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_multilang.h"
#include "sq_subprocess.h"
#include "sq_topology.h"

#include <czmq.h>
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SQ_SHELL_HEARTBEAT_MS 1000      //  between heartbeat tuples
#define SQ_SHELL_BACKOFF_MIN_MS 100     //  first wait before restarting a child
#define SQ_SHELL_BACKOFF_MAX_MS 2000    //  longest wait before restarting a child
#define SQ_SHELL_READ_CHUNK 16384       //  bytes read from the child at once
#define SQ_SHELL_BUSY_WAIT_MS 1         //  idle wait while the child holds work
#define SQ_SHELL_HANDSHAKE_MIN_MS 30000 //  least time a child has to answer the handshake
#define SQ_SHELL_MAX_OUT (64u << 20)    //  most bytes waiting for a child that does not read
#define SQ_PID_DIR_MAX 1024             //  longest pid directory; a longer $TMPDIR: /tmp

typedef struct {
    sq_task_t *task;               //  the task this shell serves
    bool spout;                    //  a shell spout, else a shell bolt
    sq_subprocess_t *child;        //  the running child, or NULL between restarts
    sq_multilang_reader_t *reader; //  what the child wrote, cut into messages
    char *out;                     //  bytes waiting for the child's stdin
    size_t out_size;               //  bytes in out
    size_t out_capacity;           //  room in out
    char pid_dir[SQ_PID_DIR_MAX];  //  where children write their pid file ("" if none)
    int64_t child_pid;             //  pid the child reported in the handshake, or 0
    bool handshaken;               //  the child answered the handshake
    int64_t timeout_ms;            //  topology.subprocess.timeout.secs
    size_t max_pending;            //  bolts: topology.shellbolt.max.pending
    int64_t last_heard_ms;         //  when the child last wrote, or was last asked
    int64_t next_heartbeat_ms;     //  bolts: when the next heartbeat is due
    bool heartbeat_out;            //  bolts: a heartbeat waits for its sync
    bool synced;                   //  spouts: the sync ending a command came
    sq_idmap_t *inputs;            //  bolts: tuple id -> input (sq_tuple_t *) at the child
    sq_idmap_t *messages;          //  spouts: msg id -> the child's id (json_t *)
    uint64_t next_id;              //  next tuple id (bolts) or msg id (spouts)
    int *targets;                  //  room for the tasks of one emit
    size_t target_room;            //  entries in targets
    int64_t restart_at_ms;         //  local mode: when the next child may start
    int backoff_ms;                //  local mode: the next back-off
    bool fatal;                    //  cluster: failed for good, the worker is exiting
    uint64_t restarts;             //  children started after the first
    sq_metric_t *metrics[8];       //  gauges the child set through "metrics"
    char *metric_names[8];         //  their names
} sq_shell_t;

static int64_t
s_now_ms (void)
{
    return sq_runtime_now_ns () / 1000000LL;
}

//  ---------------------------------------------------------------------
//  Talking to the child

//  Queue a message for the child's stdin.
static int
s_send (sq_shell_t *self, const json_t *message)
{
    size_t size;
    char *text = sq_multilang_encode (message, &size);
    if (!text)
        return sq_error_set ("out of memory encoding a message");
    if (self->out_size + size > SQ_SHELL_MAX_OUT) {
        free (text);
        return sq_error_set ("it does not read its stdin (%zu bytes wait for it)", self->out_size);
    }
    if (self->out_size + size > self->out_capacity) {
        size_t capacity = self->out_capacity ? self->out_capacity : 4096;
        while (capacity < self->out_size + size)
            capacity *= 2;
        char *grown = realloc (self->out, capacity);
        if (!grown) {
            free (text);
            return sq_error_set ("out of memory queueing a message");
        }
        self->out = grown;
        self->out_capacity = capacity;
    }
    memcpy (self->out + self->out_size, text, size);
    self->out_size += size;
    free (text);
    return 0;
}

//  Remove the pid file a child wrote.
static void
s_remove_pid_file (sq_shell_t *self)
{
    if (self->pid_dir[0] && self->child_pid > 0) {
        char path[SQ_PID_DIR_MAX + 32];
        snprintf (path, sizeof path, "%s/%lld", self->pid_dir, (long long) self->child_pid);
        unlink (path);
    }
    self->child_pid = 0;
}

//  Remove the pid directory with what is in it: pid files of children that
//  never finished their handshake are there too.
static void
s_remove_pid_dir (sq_shell_t *self)
{
    if (!self->pid_dir[0])
        return;
    DIR *dir = opendir (self->pid_dir);
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (entry->d_name[0] != '.') {
            char path[SQ_PID_DIR_MAX + 64];
            snprintf (path, sizeof path, "%s/%.40s", self->pid_dir, entry->d_name);
            unlink (path);
        }
    if (dir)
        closedir (dir);
    rmdir (self->pid_dir);
}

typedef struct {
    sq_shell_t *shell;   //  whose inputs are failed
    sq_tuple_t **tuples; //  the inputs collected
    size_t count;        //  how many
} sq_input_list_t;

static void
s_collect_input (uint64_t *entry, void *arg)
{
    sq_input_list_t *list = arg;
    if (list->tuples)
        list->tuples[list->count++] = *(sq_tuple_t **) sq_idmap_value (entry);
}

//  Fail every input the child held: their trees fail and replay.
static void
s_fail_inputs (sq_shell_t *self)
{
    size_t count = self->inputs ? sq_idmap_size (self->inputs) : 0;
    if (count == 0)
        return;
    sq_input_list_t list = {self, malloc (count * sizeof (sq_tuple_t *)), 0};
    sq_idmap_foreach (self->inputs, s_collect_input, &list);
    sq_idmap_clear (self->inputs);
    for (size_t i = 0; i < list.count; i++)
        sq_collector_fail (&self->task->collector, list.tuples[i]);
    free (list.tuples);
    //  Out of memory, the inputs are left to time out: still replayed.
}

//  The child failed: say so once, with its stderr tail, then kill and
//  reap it. Cluster: tell the runtime (the worker exits). Local: fail
//  what it held and restart it after a back-off. Returns -1.
static int __attribute__ ((format (printf, 2, 3)))
s_child_failed (sq_shell_t *self, const char *format, ...)
{
    char reason[512];
    va_list args;
    va_start (args, format);
    vsnprintf (reason, sizeof reason, format, args);
    va_end (args);
    sq_task_t *task = self->task;
    const char *tail = "";
    const char *ended = "";
    pid_t pid = 0;
    if (self->child) {
        pid = sq_subprocess_pid (self->child);
        //  A child that closed its pipes is usually on its way out: give it
        //  a moment to be reaped, so the error can say how it ended.
        for (int i = 0; i < 20 && !sq_subprocess_exited (self->child, NULL); i++)
            zclock_sleep (5);
        ended = sq_subprocess_describe_exit (self->child);
        tail = sq_subprocess_stderr_tail (self->child);
    }
    char *error =
        self->child
            ? zsys_sprintf ("shell %s %s task %d: child '%s' (pid %d) failed: %s; it %s; its "
                            "stderr ends with:\n%s",
                            self->spout ? "spout" : "bolt", task->component->id, task->task_id,
                            task->component->shell_argv[0], (int) pid, reason, ended,
                            *tail ? tail : "(nothing)")
            : zsys_sprintf ("shell %s %s task %d: %s", self->spout ? "spout" : "bolt",
                            task->component->id, task->task_id, reason);
    sq_error_set ("%s", error ? error : reason);
    sq_collector_report_error (&task->collector, error ? error : reason);
    sq_subprocess_destroy (&self->child);
    sq_multilang_reader_destroy (&self->reader);
    s_remove_pid_file (self);
    self->out_size = 0;
    self->heartbeat_out = false;
    self->handshaken = false;
    if (task->runtime->fatal_task_errors) {
        self->fatal = true;
        sq_runtime_fatal (task->runtime, error ? error : reason);
    } else {
        self->restart_at_ms = s_now_ms () + self->backoff_ms;
        self->backoff_ms = self->backoff_ms * 2 > SQ_SHELL_BACKOFF_MAX_MS ? SQ_SHELL_BACKOFF_MAX_MS
                                                                          : self->backoff_ms * 2;
    }
    zstr_free (&error);
    s_fail_inputs (self);
    return -1;
}

static int s_handle (sq_shell_t *self, json_t *message);

//  Move bytes both ways, waiting up to wait_ms for the pipes, and handle
//  every whole message read. Returns 0, or -1 when the child failed.
static int
s_pump (sq_shell_t *self, int wait_ms)
{
    if (!self->child)
        return -1;
    char buffer[SQ_SHELL_READ_CHUNK];
    size_t written, got;
    int rc = sq_subprocess_exchange (self->child, self->out, self->out_size, &written, buffer,
                                     sizeof buffer, &got, wait_ms);
    //  Handling messages may set the thread's last error: keep this one.
    char pipe_error[256] = "";
    if (rc)
        snprintf (pipe_error, sizeof pipe_error, "%s", sq_last_error ());
    if (written) {
        memmove (self->out, self->out + written, self->out_size - written);
        self->out_size -= written;
    }
    if (got && sq_multilang_reader_feed (self->reader, buffer, got))
        return s_child_failed (self, "%s", sq_last_error ());
    while (self->child) {
        json_t *message;
        int next = sq_multilang_reader_next (self->reader, &message);
        if (next < 0)
            return s_child_failed (self, "%s", sq_last_error ());
        if (next == 0)
            break;
        self->last_heard_ms = s_now_ms ();
        int handled = s_handle (self, message);
        json_decref (message);
        if (handled)
            return -1;
    }
    if (rc && self->child) {
        if (sq_multilang_reader_partial (self->reader))
            return s_child_failed (self, "%s in the middle of a message (no \"end\" line)",
                                   pipe_error);
        return s_child_failed (self, "%s", pipe_error);
    }
    return self->child ? 0 : -1;
}

//  Pump until *flag is true, failing the child when it stays silent for
//  timeout_ms. Returns 0, or -1 when the child failed.
static int
s_wait_for (sq_shell_t *self, const bool *flag, const char *what, int64_t timeout_ms)
{
    while (self->child && !*flag) {
        int64_t left = self->last_heard_ms + timeout_ms - s_now_ms ();
        if (left <= 0)
            return s_child_failed (self,
                                   "no answer to %s within %lld s "
                                   "(topology.subprocess.timeout.secs)",
                                   what, (long long) (timeout_ms / 1000));
        if (s_pump (self, left > 100 ? 100 : (int) left))
            return -1;
    }
    return self->child ? 0 : -1;
}

//  ---------------------------------------------------------------------
//  Handshake

//  {"type": "SHUFFLE", "fields": [...]} for a subscription.
static json_t *
s_grouping_json (const sq_subscription_t *subscription)
{
    char type[32];
    snprintf (type, sizeof type, "%s", sq_grouping_type_name (subscription->type));
    for (char *c = type; *c; c++)
        *c = *c == '-' ? '_' : (char) toupper ((unsigned char) *c);
    json_t *grouping = json_pack ("{s:s}", "type", type);
    if (grouping && subscription->fields) {
        json_t *fields = json_array ();
        char *copy = strdup (subscription->fields);
        char *save = NULL;
        for (char *field = copy ? strtok_r (copy, ", ", &save) : NULL; field;
             field = strtok_r (NULL, ", ", &save))
            json_array_append_new (fields, json_string (field));
        free (copy);
        json_object_set_new (grouping, "fields", fields);
    }
    return grouping;
}

static json_t *
s_fields_json (const sq_stream_t *stream)
{
    json_t *fields = json_array ();
    for (size_t f = 0; stream && f < stream->field_count; f++)
        json_array_append_new (fields, json_string (stream->fields[f]));
    return fields;
}

//  Set object[key1][key2] = value, making object[key1] as needed.
static void
s_set2 (json_t *object, const char *key1, const char *key2, json_t *value)
{
    json_t *inner = json_object_get (object, key1);
    if (!inner) {
        inner = json_object ();
        json_object_set_new (object, key1, inner);
    }
    json_object_set_new (inner, key2, value);
}

//  The handshake's "context": Storm's topology context keys.
static json_t *
s_context_json (sq_shell_t *self)
{
    sq_task_t *task = self->task;
    sq_runtime_t *runtime = task->runtime;
    const sq_component_t *component = task->component;
    json_t *context = json_object ();
    json_t *task_component = json_object ();
    for (int t = 1; t <= runtime->task_count; t++) {
        char key[16];
        snprintf (key, sizeof key, "%d", t);
        json_object_set_new (task_component, key, json_string (runtime->task_component[t]->id));
    }
    json_object_set_new (context, "task->component", task_component);
    json_object_set_new (context, "taskid", json_integer (task->task_id));
    json_object_set_new (context, "componentid", json_string (component->id));
    json_t *targets = json_object ();
    size_t count = sq_topology_component_count (runtime->topology);
    for (size_t c = 0; c < count; c++) {
        const sq_component_t *other = sq_topology_component_at (runtime->topology, c);
        for (size_t s = 0; s < other->subscription_count; s++) {
            const sq_subscription_t *subscription = &other->subscriptions[s];
            if (strcmp (subscription->source, component->id) == 0)
                s_set2 (targets, subscription->stream, other->id, s_grouping_json (subscription));
        }
    }
    json_object_set_new (context, "stream->target->grouping", targets);
    json_t *streams = json_array ();
    json_t *output_fields = json_object ();
    for (size_t s = 0; s < component->stream_count; s++) {
        const sq_stream_t *stream = component->streams[s];
        if (strncmp (stream->name, "__", 2) == 0)
            continue;
        json_array_append_new (streams, json_string (stream->name));
        json_object_set_new (output_fields, stream->name, s_fields_json (stream));
    }
    json_object_set_new (context, "streams", streams);
    json_object_set_new (context, "stream->outputfields", output_fields);
    json_t *sources = json_object ();
    json_t *source_fields = json_object ();
    for (size_t s = 0; s < component->subscription_count; s++) {
        const sq_subscription_t *subscription = &component->subscriptions[s];
        s_set2 (sources, subscription->source, subscription->stream,
                s_grouping_json (subscription));
        const sq_component_t *source =
            sq_topology_component (runtime->topology, subscription->source);
        s_set2 (source_fields, subscription->source, subscription->stream,
                s_fields_json (source ? sq_component_stream (source, subscription->stream) : NULL));
    }
    json_object_set_new (context, "source->stream->grouping", sources);
    json_object_set_new (context, "source->stream->fields", source_fields);
    return context;
}

//  The handshake's "conf": every key set, and the defaults of the known
//  keys not set, as Storm sends its whole config. The ZooKeeper password
//  stays out: a child has no use for it.
static json_t *
s_conf_json (const sq_config_t *config)
{
    json_t *conf = sq_config_to_json (config);
    const sq_config_key_t *key;
    for (size_t i = 0; conf && (key = sq_config_key_at (i)); i++)
        if (!json_object_get (conf, key->name) && sq_config_json (config, key->name))
            json_object_set (conf, key->name, (json_t *) sq_config_json (config, key->name));
    json_object_del (conf, "storm.zookeeper.auth.payload");
    return conf;
}

//  Start a child and do the handshake. Returns 0, or -1 (the child, if
//  any, failed; the back-off is set).
static int
s_start_child (sq_shell_t *self)
{
    sq_task_t *task = self->task;
    const char *dir = sq_topology_resources_dir (task->runtime->topology);
    self->child = sq_subprocess_new ((const char *const *) task->component->shell_argv, dir);
    if (!self->child)
        return s_child_failed (self, "%s", sq_last_error ());
    self->reader = sq_multilang_reader_new (SQ_MULTILANG_MAX_MESSAGE);
    if (!self->reader)
        return s_child_failed (self, "out of memory");
    json_t *setup = json_object ();
    json_object_set_new (setup, "conf", s_conf_json (task->config));
    json_object_set_new (setup, "pidDir", json_string (self->pid_dir));
    json_object_set_new (setup, "context", s_context_json (self));
    int rc = s_send (self, setup);
    json_decref (setup);
    if (rc)
        return s_child_failed (self, "%s", sq_last_error ());
    self->last_heard_ms = s_now_ms ();
    //  Starting an interpreter may take longer than answering a tuple.
    int64_t timeout_ms =
        self->timeout_ms > SQ_SHELL_HANDSHAKE_MIN_MS ? self->timeout_ms : SQ_SHELL_HANDSHAKE_MIN_MS;
    if (s_wait_for (self, &self->handshaken, "the handshake", timeout_ms))
        return -1;
    zsys_info ("topology=%s component=%s task=%d: shell child '%s' pid %d started",
               task->runtime->name, task->component->id, task->task_id,
               task->component->shell_argv[0], (int) sq_subprocess_pid (self->child));
    self->next_heartbeat_ms = s_now_ms () + SQ_SHELL_HEARTBEAT_MS;
    return 0;
}

//  A child to talk to: the running one, or a new one once the back-off
//  has passed (waiting for it with wait). Returns 0, or -1.
static int
s_ensure_child (sq_shell_t *self, bool wait)
{
    if (self->child)
        return 0;
    if (self->fatal || atomic_load (&self->task->runtime->stopping))
        return -1;
    int64_t left = self->restart_at_ms - s_now_ms ();
    if (left > 0) {
        if (!wait)
            return -1;
        zclock_sleep ((int) left);
    }
    self->restarts++;
    if (s_start_child (self))
        return -1;
    self->backoff_ms = SQ_SHELL_BACKOFF_MIN_MS;
    return 0;
}

//  ---------------------------------------------------------------------
//  Messages from the child

//  The tuple id a child sent back (a string, as we send them, or a
//  number), or 0 when it is neither.
static uint64_t
s_tuple_id (const json_t *id)
{
    if (json_is_integer (id))
        return (uint64_t) json_integer_value (id);
    if (json_is_string (id)) {
        char *end;
        uint64_t value = strtoull (json_string_value (id), &end, 10);
        return *end ? 0 : value;
    }
    return 0;
}

static sq_tuple_t *
s_input (sq_shell_t *self, const json_t *id)
{
    uint64_t key = s_tuple_id (id);
    uint64_t *entry = key && self->inputs ? sq_idmap_find (self->inputs, key) : NULL;
    return entry ? *(sq_tuple_t **) sq_idmap_value (entry) : NULL;
}

static int
s_handle_emit (sq_shell_t *self, json_t *message)
{
    sq_task_t *task = self->task;
    json_t *tuple = json_object_get (message, "tuple");
    if (!json_is_array (tuple))
        return s_child_failed (self, "an emit without a \"tuple\" array");
    json_t *stream = json_object_get (message, "stream");
    json_t *direct = json_object_get (message, "task");
    json_t *need = json_object_get (message, "need_task_ids");
    json_t *id = json_object_get (message, "id");
    json_t *anchors = json_object_get (message, "anchors");
    if ((stream && !json_is_string (stream) && !json_is_null (stream)) ||
        (direct && !json_is_integer (direct) && !json_is_null (direct)) ||
        (anchors && !json_is_array (anchors) && !json_is_null (anchors)))
        return s_child_failed (self, "an emit whose stream, task or anchors has the wrong type");
    size_t count = json_array_size (tuple);
    if (count > SQ_MAX_FIELDS)
        return s_child_failed (self, "an emit of %zu values; at most %d", count, SQ_MAX_FIELDS);
    sq_value_t values[SQ_MAX_FIELDS];
    char *texts[SQ_MAX_FIELDS];
    for (size_t i = 0; i < count; i++)
        if (sq_multilang_value_from_json (json_array_get (tuple, i), &values[i], &texts[i]))
            values[i] = sq_null (); //  out of memory for an array's text
    size_t anchor_count = self->spout ? 0 : json_array_size (anchors);
    const sq_tuple_t *stack_anchors[16];
    const sq_tuple_t **anchor_list =
        anchor_count <= 16 ? stack_anchors : malloc (anchor_count * sizeof (sq_tuple_t *));
    size_t found = 0;
    for (size_t a = 0; anchor_list && a < anchor_count; a++) {
        const sq_tuple_t *input = s_input (self, json_array_get (anchors, a));
        if (input)
            anchor_list[found++] = input;
    }
    uint64_t msg_id = 0;
    bool tracked = self->spout && id && !json_is_null (id);
    if (tracked) {
        msg_id = ++self->next_id;
        uint64_t *entry = sq_idmap_insert (self->messages, msg_id);
        if (entry)
            *(json_t **) sq_idmap_value (entry) = json_incref (id);
        else
            tracked = false;
    }
    sq_emit_t emit = {.stream = json_is_string (stream) ? json_string_value (stream) : NULL,
                      .anchors = anchor_list,
                      .anchor_count = anchor_list ? found : 0,
                      .tracked = tracked,
                      .msg_id = msg_id,
                      .direct_task =
                          json_is_integer (direct) ? (int) json_integer_value (direct) : 0,
                      .targets_out = self->targets,
                      .targets_room = self->target_room};
    int sent = sq_collector_emit_request (&task->collector, &emit, values, count);
    if (sent < 0) {
        //  A wrong emit is the child's mistake, as a C component's would
        //  be: reported, and the task goes on (sq_collector_emit).
        sq_collector_report_error (&task->collector, sq_last_error ());
        if (tracked) {
            uint64_t *entry = sq_idmap_find (self->messages, msg_id);
            json_decref (*(json_t **) sq_idmap_value (entry));
            sq_idmap_remove_entry (self->messages, entry);
        }
    }
    for (size_t i = 0; i < count; i++)
        free (texts[i]);
    if (anchor_list != stack_anchors)
        free (anchor_list);
    //  Storm answers with the task ids unless told not to.
    if (!need || json_is_true (need)) {
        json_t *ids = json_array ();
        for (int t = 0; t < sent && (size_t) t < self->target_room; t++)
            json_array_append_new (ids, json_integer (self->targets[t]));
        int rc = s_send (self, ids);
        json_decref (ids);
        if (rc)
            return s_child_failed (self, "%s", sq_last_error ());
    }
    return 0;
}

static int
s_handle_ack (sq_shell_t *self, json_t *message, bool ack)
{
    json_t *id = json_object_get (message, "id");
    uint64_t key = s_tuple_id (id);
    uint64_t *entry = key ? sq_idmap_find (self->inputs, key) : NULL;
    if (!entry) {
        //  Acked twice, or an id we never sent: Storm ignores it too.
        zsys_warning ("topology=%s component=%s task=%d: shell bolt %ss unknown tuple id",
                      self->task->runtime->name, self->task->component->id, self->task->task_id,
                      ack ? "ack" : "fail");
        return 0;
    }
    sq_tuple_t *input = *(sq_tuple_t **) sq_idmap_value (entry);
    sq_idmap_remove_entry (self->inputs, entry);
    if (ack)
        sq_collector_ack (&self->task->collector, input);
    else
        sq_collector_fail (&self->task->collector, input);
    return 0;
}

static void
s_handle_log (sq_shell_t *self, json_t *message)
{
    const char *text = json_string_value (json_object_get (message, "msg"));
    json_t *level = json_object_get (message, "level");
    int64_t number = json_is_integer (level) ? json_integer_value (level) : 2;
    const char *format = "topology=%s component=%s task=%d: %s";
    sq_task_t *task = self->task;
    const char *name = task->runtime->name, *component = task->component->id;
    text = text ? text : "";
    //  Storm's levels: 0 trace, 1 debug, 2 info, 3 warn, 4 error.
    if (number <= 1)
        zsys_debug (format, name, component, task->task_id, text);
    else if (number == 2)
        zsys_info (format, name, component, task->task_id, text);
    else if (number == 3)
        zsys_warning (format, name, component, task->task_id, text);
    else
        zsys_error (format, name, component, task->task_id, text);
}

static void
s_handle_metrics (sq_shell_t *self, json_t *message)
{
    const char *name = json_string_value (json_object_get (message, "name"));
    json_t *params = json_object_get (message, "params");
    if (!name || !json_is_number (params)) {
        zsys_warning ("topology=%s component=%s task=%d: shell metrics message needs a name and "
                      "a number in params; ignored",
                      self->task->runtime->name, self->task->component->id, self->task->task_id);
        return;
    }
    size_t slots = sizeof self->metrics / sizeof self->metrics[0];
    size_t slot = 0;
    while (slot < slots && self->metric_names[slot] && strcmp (self->metric_names[slot], name))
        slot++;
    if (slot == slots)
        return;
    if (!self->metric_names[slot]) {
        self->metrics[slot] = sq_context_register_gauge (self->task, name);
        if (!self->metrics[slot]) {
            zsys_warning ("topology=%s component=%s task=%d: shell metric: %s",
                          self->task->runtime->name, self->task->component->id, self->task->task_id,
                          sq_last_error ());
            return;
        }
        self->metric_names[slot] = strdup (name);
    }
    sq_metric_set (self->metrics[slot], json_number_value (params));
}

//  Handle one message from the child. Returns 0, or -1 when the child
//  failed (wrote something it must not).
static int
s_handle (sq_shell_t *self, json_t *message)
{
    if (!self->handshaken) {
        json_t *pid = json_is_object (message) ? json_object_get (message, "pid") : NULL;
        if (!json_is_integer (pid))
            return s_child_failed (self, "the handshake's answer is not {\"pid\": N}");
        self->child_pid = json_integer_value (pid);
        self->handshaken = true;
        return 0;
    }
    const char *command =
        json_is_object (message) ? json_string_value (json_object_get (message, "command")) : NULL;
    if (!command)
        return s_child_failed (self, "a message without a \"command\"");
    if (strcmp (command, "sync") == 0) {
        if (self->spout)
            self->synced = true;
        else
            self->heartbeat_out = false;
        return 0;
    }
    if (strcmp (command, "emit") == 0)
        return s_handle_emit (self, message);
    if (!self->spout && (strcmp (command, "ack") == 0 || strcmp (command, "fail") == 0))
        return s_handle_ack (self, message, command[0] == 'a');
    if (strcmp (command, "log") == 0) {
        s_handle_log (self, message);
        return 0;
    }
    if (strcmp (command, "error") == 0) {
        const char *text = json_string_value (json_object_get (message, "msg"));
        sq_collector_report_error (&self->task->collector, text ? text : "");
        return 0;
    }
    if (strcmp (command, "metrics") == 0) {
        s_handle_metrics (self, message);
        return 0;
    }
    char shown[64];
    snprintf (shown, sizeof shown, "%s", command);
    return s_child_failed (self, "unknown command '%s'", shown);
}

//  ---------------------------------------------------------------------
//  Task life

static void s_close (void *state);
static int s_open_task (void **state_p, const sq_context_t *context, bool spout);

//  Open or prepare a task: its state and its first child. On failure,
//  what was made is freed again (close is not called then).
static int
s_open (void **state_p, const sq_context_t *context, bool spout)
{
    int rc = s_open_task (state_p, context, spout);
    if (rc) {
        s_close (*state_p);
        *state_p = NULL;
    }
    return rc;
}

static int
s_open_task (void **state_p, const sq_context_t *context, bool spout)
{
    sq_task_t *task = (sq_task_t *) context;
    sq_shell_t *self = calloc (1, sizeof (sq_shell_t));
    if (!self)
        return sq_error_set ("out of memory");
    self->task = task;
    self->spout = spout;
    *state_p = self;
    if (!task->component->shell_argv || !task->component->shell_argv[0][0]) {
        zsys_error ("topology=%s component=%s task=%d: shell component without a command",
                    task->runtime->name, task->component->id, task->task_id);
        return -1;
    }
    self->timeout_ms = 1000 * sq_config_int (task->config, "topology.subprocess.timeout.secs", 30);
    int64_t pending = sq_config_int (task->config, "topology.shellbolt.max.pending", 100);
    self->max_pending = pending > 0 ? (size_t) pending : 1;
    self->backoff_ms = SQ_SHELL_BACKOFF_MIN_MS;
    self->target_room = (size_t) task->runtime->task_count;
    self->targets = calloc (self->target_room + 1, sizeof (int));
    if (spout)
        self->messages = sq_idmap_new (sizeof (json_t *), ~(uint64_t) 0);
    else
        self->inputs = sq_idmap_new (sizeof (sq_tuple_t *), ~(uint64_t) 0);
    const char *tmp = getenv ("TMPDIR");
    snprintf (self->pid_dir, sizeof self->pid_dir, "%s/squall-shell-XXXXXX",
              tmp && *tmp && strlen (tmp) < SQ_PID_DIR_MAX - 32 ? tmp : "/tmp");
    if (!mkdtemp (self->pid_dir)) {
        zsys_error ("topology=%s component=%s task=%d: cannot make a pid directory: %s",
                    task->runtime->name, task->component->id, task->task_id, strerror (errno));
        self->pid_dir[0] = '\0';
    }
    if (!self->targets || (spout ? !self->messages : !self->inputs) || !self->pid_dir[0])
        return sq_error_set ("out of memory");
    return s_start_child (self);
}

static void
s_release_message (uint64_t *entry, void *arg)
{
    (void) arg;
    json_decref (*(json_t **) sq_idmap_value (entry));
}

static void
s_close (void *state)
{
    sq_shell_t *self = state;
    if (!self)
        return;
    sq_subprocess_destroy (&self->child);
    sq_multilang_reader_destroy (&self->reader);
    s_remove_pid_file (self);
    s_remove_pid_dir (self);
    //  Inputs still at the child are released by the executor with the
    //  task's held tuples; their trees time out and replay.
    sq_idmap_destroy (&self->inputs);
    if (self->messages)
        sq_idmap_foreach (self->messages, s_release_message, NULL);
    sq_idmap_destroy (&self->messages);
    for (size_t i = 0; i < sizeof self->metric_names / sizeof self->metric_names[0]; i++)
        free (self->metric_names[i]);
    free (self->targets);
    free (self->out);
    free (self);
}

//  ---------------------------------------------------------------------
//  Shell spout

static int
s_spout_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) collector;
    return s_open (state_p, context, true);
}

//  Send a command (with the child's id of msg_id, for ack and fail) and
//  read until the child's sync.
static void
s_spout_command (sq_shell_t *self, const char *command, const json_t *id)
{
    if (s_ensure_child (self, id != NULL))
        return;
    json_t *message = json_pack ("{s:s}", "command", command);
    if (id)
        json_object_set (message, "id", (json_t *) id);
    int rc = message ? s_send (self, message) : sq_error_set ("out of memory");
    json_decref (message);
    if (rc) {
        s_child_failed (self, "%s", sq_last_error ());
        return;
    }
    self->synced = false;
    self->last_heard_ms = s_now_ms ();
    char what[32];
    snprintf (what, sizeof what, "\"%s\"", command);
    s_wait_for (self, &self->synced, what, self->timeout_ms);
}

static void
s_spout_next (void *state)
{
    s_spout_command (state, "next", NULL);
}

static void
s_spout_done (sq_shell_t *self, uint64_t msg_id, const char *command)
{
    uint64_t *entry = sq_idmap_find (self->messages, msg_id);
    if (!entry)
        return;
    json_t *id = *(json_t **) sq_idmap_value (entry);
    sq_idmap_remove_entry (self->messages, entry);
    s_spout_command (self, command, id);
    json_decref (id);
}

static void
s_spout_ack (void *state, uint64_t msg_id)
{
    s_spout_done (state, msg_id, "ack");
}

static void
s_spout_fail (void *state, uint64_t msg_id)
{
    s_spout_done (state, msg_id, "fail");
}

static void
s_spout_activate (void *state)
{
    s_spout_command (state, "activate", NULL);
}

static void
s_spout_deactivate (void *state)
{
    s_spout_command (state, "deactivate", NULL);
}

static const sq_spout_t s_shell_spout = {.open = s_spout_open,
                                         .next_tuple = s_spout_next,
                                         .ack = s_spout_ack,
                                         .fail = s_spout_fail,
                                         .activate = s_spout_activate,
                                         .deactivate = s_spout_deactivate,
                                         .close = s_close};

//  ---------------------------------------------------------------------
//  Shell bolt

static int
s_bolt_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) collector;
    return s_open (state_p, context, false);
}

//  {"id", "comp", "stream", "task", "tuple"}: a tuple as the child sees it.
static json_t *
s_tuple_json (const char *id, const char *component, const char *stream, int task,
              const sq_tuple_t *input)
{
    json_t *values = json_array ();
    for (size_t i = 0; input && i < sq_tuple_size (input); i++)
        json_array_append_new (values, sq_multilang_value_to_json (sq_tuple_value (input, i)));
    return json_pack ("{s:s, s:s, s:s, s:i, s:o}", "id", id, "comp", component, "stream", stream,
                      "task", task, "tuple", values);
}

static void
s_bolt_execute (void *state, const sq_tuple_t *input)
{
    sq_shell_t *self = state;
    sq_collector_t *collector = &self->task->collector;
    if (s_ensure_child (self, true)) {
        sq_collector_fail (collector, input);
        return;
    }
    uint64_t id = ++self->next_id;
    uint64_t *entry = sq_idmap_insert (self->inputs, id);
    char text[24];
    snprintf (text, sizeof text, "%llu", (unsigned long long) id);
    json_t *message = s_tuple_json (text, sq_tuple_source_component (input),
                                    sq_tuple_stream (input), sq_tuple_source_task (input), input);
    if (!entry || !message || s_send (self, message)) {
        if (entry)
            sq_idmap_remove_entry (self->inputs, entry);
        json_decref (message);
        sq_collector_fail (collector, input);
        if (entry && message)
            s_child_failed (self, "%s", sq_last_error ());
        return;
    }
    json_decref (message);
    *(const sq_tuple_t **) sq_idmap_value (entry) = input;
    if (sq_idmap_size (self->inputs) == 1)
        self->last_heard_ms = s_now_ms (); //  the child's clock starts with its first tuple
    if (s_pump (self, 0))
        return;
    //  Bounded: wait while the child holds max_pending tuples.
    while (self->child && sq_idmap_size (self->inputs) >= self->max_pending) {
        int64_t left = self->last_heard_ms + self->timeout_ms - s_now_ms ();
        if (left <= 0) {
            s_child_failed (self,
                            "no answer within topology.subprocess.timeout.secs (%lld s) "
                            "with %zu tuples waiting at the child",
                            (long long) (self->timeout_ms / 1000), sq_idmap_size (self->inputs));
            return;
        }
        if (s_pump (self, left > 100 ? 100 : (int) left))
            return;
    }
}

//  Between batches: read what the child wrote, send the heartbeat when it
//  is due, and fail a child that has been silent too long.
static int
s_bolt_idle (void *state)
{
    sq_shell_t *self = state;
    if (!self->child && s_ensure_child (self, false))
        return 100;
    if (s_pump (self, 0))
        return 100;
    int64_t now = s_now_ms ();
    if (now >= self->next_heartbeat_ms && !self->heartbeat_out) {
        json_t *heartbeat =
            s_tuple_json ("-1", SQ_SYSTEM_COMPONENT, "__heartbeat", SQ_SYSTEM_TASK_ID, NULL);
        int rc = heartbeat ? s_send (self, heartbeat) : sq_error_set ("out of memory");
        json_decref (heartbeat);
        if (rc) {
            s_child_failed (self, "%s", sq_last_error ());
            return 100;
        }
        if (!self->heartbeat_out && sq_idmap_size (self->inputs) == 0)
            self->last_heard_ms = now;
        self->heartbeat_out = true;
        self->next_heartbeat_ms = now + SQ_SHELL_HEARTBEAT_MS;
        if (s_pump (self, 0))
            return 100;
    }
    bool waiting = self->heartbeat_out || sq_idmap_size (self->inputs) || self->out_size;
    if (waiting && now - self->last_heard_ms > self->timeout_ms) {
        s_child_failed (self, "no message for %lld ms (topology.subprocess.timeout.secs is %lld)",
                        (long long) (now - self->last_heard_ms),
                        (long long) (self->timeout_ms / 1000));
        return 100;
    }
    if (sq_idmap_size (self->inputs) || self->out_size)
        return SQ_SHELL_BUSY_WAIT_MS;
    int64_t until = self->next_heartbeat_ms - now;
    return until < 1 ? 1 : until > 100 ? 100 : (int) until;
}

static const sq_bolt_t s_shell_bolt = {
    .prepare = s_bolt_prepare, .execute = s_bolt_execute, .cleanup = s_close};

//  ---------------------------------------------------------------------
//  Builder

//  Give component the argv of its children and declare its default
//  stream.
static sq_component_t *
s_configure (sq_component_t *component, const char *command, const char *const *args,
             const char *fields)
{
    if (!component)
        return NULL;
    size_t count = 0;
    while (args && args[count])
        count++;
    char **argv = calloc (count + 2, sizeof (char *));
    if (argv) {
        argv[0] = strdup (command ? command : "");
        for (size_t i = 0; i < count; i++)
            argv[i + 1] = strdup (args[i]);
    }
    component->shell_argv = argv;
    if (fields && *fields)
        sq_component_declare (component, SQ_DEFAULT_STREAM, fields, false);
    return component;
}

sq_component_t *
sq_shell_spout (sq_topology_t *topology, const char *id, const char *command,
                const char *const *args, const char *fields, int parallelism)
{
    return s_configure (sq_topology_set_spout (topology, id, &s_shell_spout, parallelism), command,
                        args, fields);
}

sq_component_t *
sq_shell_bolt (sq_topology_t *topology, const char *id, const char *command,
               const char *const *args, const char *fields, int parallelism)
{
    sq_component_t *component = s_configure (
        sq_topology_set_bolt (topology, id, &s_shell_bolt, parallelism), command, args, fields);
    if (component)
        component->idle = s_bolt_idle;
    return component;
}

void
sq_shell_stream (sq_component_t *component, const char *stream, const char *fields, bool direct)
{
    sq_component_declare (component, stream, fields, direct);
}
