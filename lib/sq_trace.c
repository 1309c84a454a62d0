/*  sq_trace - live tuple tracing: sampling, event buffer, tree store */
#include "sq_trace.h"
#include "sq_error.h"
#include "sq_ids.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_MS 1e15         //  largest time a report may carry (year 33658)
#define S_MAX_LATENCY_MS 1e12 //  largest complete latency a report may carry

static const char *s_kind_names[] = {"emit", "enqueue", "execute", "ack",
                                     "fail", "acked",   "failed",  "timedOut"};
#define S_KIND_COUNT (sizeof s_kind_names / sizeof *s_kind_names)

uint64_t
sq_trace_threshold (double rate)
{
    if (!(rate > 0))
        return 0;
    if (rate >= 1)
        return SQ_TRACE_ALWAYS;
    uint64_t threshold = (uint64_t) (rate * (double) SQ_TRACE_ALWAYS);
    return threshold ? threshold : 1;
}

double
sq_trace_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (double) now.tv_sec * 1000.0 + (double) (now.tv_nsec / 1000) / 1000.0;
}

//  ---------------------------------------------------------------------
//  Buffer

struct _sq_trace_buffer_t {
    pthread_mutex_t lock;     //  guards what follows
    sq_trace_event_t *events; //  ring of capacity events
    size_t capacity;          //  room in events
    size_t head;              //  index of the oldest event
    size_t size;              //  events held
    uint64_t lost;            //  events overwritten since the last take
};

sq_trace_buffer_t *
sq_trace_buffer_new (size_t capacity)
{
    assert (capacity > 0);
    sq_trace_buffer_t *self = calloc (1, sizeof (sq_trace_buffer_t));
    if (self)
        self->events = calloc (capacity, sizeof (sq_trace_event_t));
    if (!self || !self->events) {
        free (self);
        return NULL;
    }
    self->capacity = capacity;
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void
sq_trace_buffer_destroy (sq_trace_buffer_t **self_p)
{
    assert (self_p);
    sq_trace_buffer_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->lock);
    free (self->events);
    free (self);
    *self_p = NULL;
}

void
sq_trace_buffer_add (sq_trace_buffer_t *self, const sq_trace_event_t *events, size_t count)
{
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < count; i++) {
        if (self->size == self->capacity) {
            self->head = (self->head + 1) % self->capacity;
            self->size--;
            self->lost++;
        }
        self->events[(self->head + self->size) % self->capacity] = events[i];
        self->size++;
    }
    pthread_mutex_unlock (&self->lock);
}

size_t
sq_trace_buffer_size (sq_trace_buffer_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t size = self->size;
    pthread_mutex_unlock (&self->lock);
    return size;
}

static void
s_hex (uint64_t value, char *text)
{
    snprintf (text, 17, "%016llx", (unsigned long long) value);
}

//  The JSON of one event; NULL when out of memory.
static json_t *
s_event_json (const sq_trace_event_t *event)
{
    char root[17], edge[17];
    s_hex (event->root, root);
    json_t *json =
        json_pack ("{s:s, s:s, s:f, s:i, s:s}", "k", s_kind_names[event->kind], "root", root, "ms",
                   event->ms, "task", (int) event->task, "component", event->component);
    if (!json)
        return NULL;
    int rc = 0;
    if (event->kind <= SQ_TRACE_FAIL) {
        s_hex (event->edge, edge);
        rc |= json_object_set_new (json, "edge", json_string (edge));
        rc |= json_object_set_new (json, "from", json_integer (event->from_task));
        rc |= json_object_set_new (json, "fromComponent", json_string (event->from_component));
        rc |= json_object_set_new (json, "stream", json_string (event->stream));
    } else if (event->kind == SQ_TRACE_ACKED)
        rc |= json_object_set_new (json, "latencyMs", json_real (event->latency_ms));
    if (rc)
        json_decref (json);
    return rc ? NULL : json;
}

json_t *
sq_trace_buffer_take (sq_trace_buffer_t *self, size_t max_events, size_t max_bytes)
{
    json_t *events = json_array ();
    if (!events)
        return NULL;
    size_t used = 64; //  the envelope
    pthread_mutex_lock (&self->lock);
    //  Built under the lock (a heartbeat's worth, once a second): events
    //  that do not fit stay for the next report.
    while (json_array_size (events) < max_events && self->size) {
        json_t *event = s_event_json (&self->events[self->head]);
        char *text = event ? json_dumps (event, JSON_COMPACT) : NULL;
        size_t size = text ? strlen (text) + 1 : 0;
        free (text);
        if (event && used + size > max_bytes) {
            json_decref (event);
            break;
        }
        //  Out of memory, the event is lost rather than kept forever.
        if (!size || json_array_append_new (events, event))
            self->lost++;
        else
            event = NULL;
        json_decref (event);
        used += size;
        self->head = (self->head + 1) % self->capacity;
        self->size--;
    }
    uint64_t lost = self->lost;
    self->lost = 0;
    pthread_mutex_unlock (&self->lock);
    if (json_array_size (events) == 0 && lost == 0) {
        json_decref (events);
        return NULL;
    }
    return json_pack ("{s:i, s:I, s:o}", "v", 1, "lost", (json_int_t) lost, "events", events);
}

//  ---------------------------------------------------------------------
//  Checking a report

//  The kind called name, or -1.
static int
s_kind_of (const char *name)
{
    for (size_t k = 0; k < S_KIND_COUNT; k++)
        if (strcmp (name, s_kind_names[k]) == 0)
            return (int) k;
    return -1;
}

//  Read 16 hex digits; false when text is not exactly that.
static bool
s_parse_hex (const char *text, uint64_t *value_p)
{
    uint64_t value = 0;
    size_t i = 0;
    for (; text[i] && i < 17; i++) {
        int c = (unsigned char) text[i];
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0)
            return false;
        value = value << 4 | (uint64_t) digit;
    }
    *value_p = value;
    return i == 16;
}

static int
s_bad (size_t index, const char *what)
{
    return sq_error_set ("events[%zu]: %s", index, what);
}

//  Check a string member: 1 .. SQ_TRACE_MAX_ID bytes.
static bool
s_check_id (const json_t *event, const char *key)
{
    const json_t *value = json_object_get (event, key);
    size_t length = json_is_string (value) ? json_string_length (value) : 0;
    return length >= 1 && length <= SQ_TRACE_MAX_ID && strlen (json_string_value (value)) == length;
}

static bool
s_check_integer (const json_t *event, const char *key, json_int_t low, json_int_t high)
{
    const json_t *value = json_object_get (event, key);
    return json_is_integer (value) && json_integer_value (value) >= low &&
           json_integer_value (value) <= high;
}

static bool
s_check_number (const json_t *event, const char *key, double high)
{
    const json_t *value = json_object_get (event, key);
    double number = json_is_number (value) ? json_number_value (value) : -1;
    return isfinite (number) && number >= 0 && number <= high;
}

static bool
s_check_root (const json_t *event, const char *key)
{
    const json_t *value = json_object_get (event, key);
    uint64_t id;
    return json_is_string (value) && s_parse_hex (json_string_value (value), &id) && id != 0;
}

static int
s_check_event (const json_t *event, size_t index)
{
    if (!json_is_object (event))
        return s_bad (index, "must be an object");
    const json_t *kind_json = json_object_get (event, "k");
    int kind = json_is_string (kind_json) ? s_kind_of (json_string_value (kind_json)) : -1;
    if (kind < 0)
        return s_bad (index, "field 'k' must name an event kind");
    if (!s_check_root (event, "root"))
        return s_bad (index, "field 'root' must be 16 lowercase hex digits, not all zero");
    if (!s_check_number (event, "ms", S_MAX_MS))
        return s_bad (index, "field 'ms' must be a time in unix milliseconds");
    if (!s_check_integer (event, "task", 1, SQ_IDS_MAX_TASK))
        return s_bad (index, "field 'task' must be a task id (1 .. 65535)");
    if (!s_check_id (event, "component"))
        return s_bad (index, "field 'component' must be a string of 1 to 256 bytes");
    if (kind <= SQ_TRACE_FAIL) {
        if (!s_check_root (event, "edge"))
            return s_bad (index, "field 'edge' must be 16 lowercase hex digits, not all zero");
        if (!s_check_integer (event, "from", 1, SQ_IDS_MAX_TASK))
            return s_bad (index, "field 'from' must be a task id (1 .. 65535)");
        if (!s_check_id (event, "fromComponent") || !s_check_id (event, "stream"))
            return s_bad (index, "fields 'fromComponent' and 'stream' must be strings of 1 to "
                                 "256 bytes");
    } else if (kind == SQ_TRACE_ACKED && !s_check_number (event, "latencyMs", S_MAX_LATENCY_MS))
        return s_bad (index, "field 'latencyMs' must be a number of milliseconds");
    return 0;
}

int
sq_trace_check_report (const json_t *report)
{
    if (!json_is_object (report))
        return sq_error_set ("must be an object");
    const json_t *version = json_object_get (report, "v");
    if (!json_is_integer (version) || json_integer_value (version) != 1)
        return sq_error_set ("field 'v' must be 1");
    const json_t *lost = json_object_get (report, "lost");
    if (!json_is_integer (lost) || json_integer_value (lost) < 0)
        return sq_error_set ("field 'lost' must be an integer >= 0");
    const json_t *events = json_object_get (report, "events");
    if (!json_is_array (events))
        return sq_error_set ("field 'events' must be an array");
    if (json_array_size (events) > SQ_TRACE_REPORT_EVENTS)
        return sq_error_set ("field 'events' has %zu events, at most %d are allowed",
                             json_array_size (events), SQ_TRACE_REPORT_EVENTS);
    for (size_t i = 0; i < json_array_size (events); i++)
        if (s_check_event (json_array_get (events, i), i))
            return -1;
    return 0;
}

//  ---------------------------------------------------------------------
//  Store

#define S_UNKNOWN NAN //  a time not reported (yet)

typedef enum { S_PENDING, S_ACKED, S_FAILED, S_TIMED_OUT } s_status_t;

//  One hop: a tuple of the tree, from one task to another.
typedef struct {
    uint64_t edge;        //  its edge id in the tree
    char *component;      //  receiving component
    char *from_component; //  emitting component
    char *stream;         //  stream
    char *worker;         //  where it executed ("host:port", "local"), or NULL
    int task;             //  receiving task
    int from_task;        //  emitting task
    double emit;          //  emit time (ms), NAN when not reported
    double enqueue;       //  arrival in the receiver's queue
    double execute;       //  execute start
    double done;          //  ack or fail
    s_status_t outcome;   //  S_PENDING, S_ACKED or S_FAILED
} s_hop_t;

typedef struct {
    uint64_t root;       //  root id, 0 for an unused slot
    uint64_t seen;       //  order in which the store first saw it
    char *spout;         //  spout component, or NULL until known
    s_status_t status;   //  the spout's outcome
    double outcome_ms;   //  when the spout saw it end
    double latency_ms;   //  complete latency when acked
    double first_ms;     //  earliest time seen
    double spout_ms;     //  earliest emit by the spout task, NAN until seen
    s_hop_t *hops;       //  hops, at most max_hops
    size_t hop_count;    //  hops held
    size_t hops_dropped; //  hops past max_hops
} s_tree_t;

struct _sq_trace_store_t {
    s_tree_t *trees;      //  max_trees slots
    size_t max_trees;     //  slots
    size_t max_hops;      //  hops per tree at most
    size_t size;          //  slots in use
    uint64_t seen;        //  trees seen so far
    uint64_t *evicted;    //  roots of the last max_trees trees replaced (a ring)
    size_t evicted_next;  //  where the next replaced root goes
    uint64_t late_events; //  events of a replaced tree, dropped
};

sq_trace_store_t *
sq_trace_store_new (size_t max_trees, size_t max_hops)
{
    assert (max_trees > 0 && max_hops > 0);
    sq_trace_store_t *self = calloc (1, sizeof (sq_trace_store_t));
    if (self) {
        self->trees = calloc (max_trees, sizeof (s_tree_t));
        self->evicted = calloc (max_trees, sizeof (uint64_t));
    }
    if (!self || !self->trees || !self->evicted) {
        if (self)
            free (self->trees);
        free (self);
        return NULL;
    }
    self->max_trees = max_trees;
    self->max_hops = max_hops;
    return self;
}

static void
s_tree_clear (s_tree_t *tree)
{
    for (size_t h = 0; h < tree->hop_count; h++) {
        free (tree->hops[h].component);
        free (tree->hops[h].from_component);
        free (tree->hops[h].stream);
        free (tree->hops[h].worker);
    }
    free (tree->hops);
    free (tree->spout);
    memset (tree, 0, sizeof *tree);
}

void
sq_trace_store_destroy (sq_trace_store_t **self_p)
{
    assert (self_p);
    sq_trace_store_t *self = *self_p;
    if (!self)
        return;
    for (size_t t = 0; t < self->max_trees; t++)
        s_tree_clear (&self->trees[t]);
    free (self->trees);
    free (self->evicted);
    free (self);
    *self_p = NULL;
}

size_t
sq_trace_store_size (sq_trace_store_t *self)
{
    return self->size;
}

//  The tree of root, made (replacing the one seen first when full) if new;
//  NULL for a root replaced lately: the late hops of a tree that is gone
//  (other workers report after the spout's) must not start it again as a
//  stub that pushes out a live tree in turn.
static s_tree_t *
s_tree (sq_trace_store_t *self, uint64_t root)
{
    s_tree_t *oldest = NULL, *free_slot = NULL;
    for (size_t t = 0; t < self->max_trees; t++) {
        s_tree_t *tree = &self->trees[t];
        if (tree->root == root)
            return tree;
        if (!tree->root)
            free_slot = free_slot ? free_slot : tree;
        else if (!oldest || tree->seen < oldest->seen)
            oldest = tree;
    }
    for (size_t e = 0; e < self->max_trees; e++)
        if (self->evicted[e] == root)
            return NULL;
    s_tree_t *tree = free_slot ? free_slot : oldest;
    if (free_slot)
        self->size++;
    else {
        self->evicted[self->evicted_next] = tree->root;
        self->evicted_next = (self->evicted_next + 1) % self->max_trees;
        s_tree_clear (tree);
    }
    tree->root = root;
    tree->seen = self->seen++;
    tree->first_ms = S_UNKNOWN;
    tree->outcome_ms = S_UNKNOWN;
    tree->latency_ms = S_UNKNOWN;
    tree->spout_ms = S_UNKNOWN;
    return tree;
}

//  The hop of edge in tree, made if new; NULL when the tree is full (the
//  hop is counted) or out of memory.
static s_hop_t *
s_hop (sq_trace_store_t *self, s_tree_t *tree, uint64_t edge, const json_t *event)
{
    for (size_t h = 0; h < tree->hop_count; h++)
        if (tree->hops[h].edge == edge)
            return &tree->hops[h];
    if (tree->hop_count == self->max_hops) {
        tree->hops_dropped++;
        return NULL;
    }
    if (!tree->hops) {
        tree->hops = calloc (self->max_hops, sizeof (s_hop_t));
        if (!tree->hops)
            return NULL;
    }
    s_hop_t *hop = &tree->hops[tree->hop_count];
    *hop = (s_hop_t){
        .edge = edge,
        .component = strdup (json_string_value (json_object_get (event, "component"))),
        .from_component = strdup (json_string_value (json_object_get (event, "fromComponent"))),
        .stream = strdup (json_string_value (json_object_get (event, "stream"))),
        .task = (int) json_integer_value (json_object_get (event, "task")),
        .from_task = (int) json_integer_value (json_object_get (event, "from")),
        .emit = S_UNKNOWN,
        .enqueue = S_UNKNOWN,
        .execute = S_UNKNOWN,
        .done = S_UNKNOWN,
    };
    if (!hop->component || !hop->from_component || !hop->stream) {
        free (hop->component);
        free (hop->from_component);
        free (hop->stream);
        return NULL;
    }
    tree->hop_count++;
    return hop;
}

//  Fold one checked event; -1 when out of memory.
static int
s_fold (sq_trace_store_t *self, const json_t *event, const char *worker)
{
    sq_trace_kind_t kind =
        (sq_trace_kind_t) s_kind_of (json_string_value (json_object_get (event, "k")));
    uint64_t root, edge = 0;
    s_parse_hex (json_string_value (json_object_get (event, "root")), &root);
    double ms = json_number_value (json_object_get (event, "ms"));
    s_tree_t *tree = s_tree (self, root);
    if (!tree) {
        self->late_events++;
        return 0;
    }
    if (!(tree->first_ms <= ms))
        tree->first_ms = ms;
    const char *component = json_string_value (json_object_get (event, "component"));
    if (kind >= SQ_TRACE_ACKED) {
        tree->status = kind == SQ_TRACE_ACKED    ? S_ACKED
                       : kind == SQ_TRACE_FAILED ? S_FAILED
                                                 : S_TIMED_OUT;
        tree->outcome_ms = ms;
        if (kind == SQ_TRACE_ACKED) {
            tree->latency_ms = json_number_value (json_object_get (event, "latencyMs"));
            if (!(tree->first_ms <= ms - tree->latency_ms))
                tree->first_ms = ms - tree->latency_ms;
        }
        if (!tree->spout)
            tree->spout = strdup (component);
        return tree->spout ? 0 : -1;
    }
    s_parse_hex (json_string_value (json_object_get (event, "edge")), &edge);
    //  The spout's own emits start the tree, and name the spout before
    //  any outcome does.
    if (kind == SQ_TRACE_EMIT &&
        json_integer_value (json_object_get (event, "from")) == sq_ids_root_task (root)) {
        if (!(tree->spout_ms <= ms))
            tree->spout_ms = ms;
        if (!tree->spout)
            tree->spout = strdup (json_string_value (json_object_get (event, "fromComponent")));
        if (!tree->spout)
            return -1;
    }
    s_hop_t *hop = s_hop (self, tree, edge, event);
    if (!hop)
        return tree->hop_count == self->max_hops ? 0 : -1;
    switch (kind) {
    case SQ_TRACE_EMIT:
        hop->emit = ms;
        break;
    case SQ_TRACE_ENQUEUE:
        hop->enqueue = ms;
        break;
    case SQ_TRACE_EXECUTE:
        hop->execute = ms;
        if (!hop->worker)
            hop->worker = strdup (worker);
        break;
    default:
        hop->done = ms;
        hop->outcome = kind == SQ_TRACE_ACK ? S_ACKED : S_FAILED;
    }
    return 0;
}

int
sq_trace_store_add (sq_trace_store_t *self, const json_t *report, const char *worker)
{
    const json_t *events = json_object_get (report, "events");
    int rc = 0;
    for (size_t i = 0; i < json_array_size (events); i++)
        rc |= s_fold (self, json_array_get (events, i), worker);
    return rc ? sq_error_set ("out of memory folding trace events") : 0;
}

static const char *s_status_names[] = {"pending", "acked", "failed", "timedOut"};

//  A time relative to start, or null when unknown.
static json_t *
s_relative (double ms, double start)
{
    return isnan (ms) ? json_null () : json_real (round ((ms - start) * 1000) / 1000);
}

static json_t *
s_hop_json (const s_hop_t *hop, double start)
{
    json_t *json = json_pack (
        "{s:s, s:i, s:s?, s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:s}", "component", hop->component,
        "task", hop->task, "worker", hop->worker, "fromComponent", hop->from_component, "fromTask",
        hop->from_task, "stream", hop->stream, "emitMs", s_relative (hop->emit, start), "enqueueMs",
        s_relative (hop->enqueue, start), "executeMs", s_relative (hop->execute, start), "doneMs",
        s_relative (hop->done, start), "outcome", s_status_names[hop->outcome]);
    return json;
}

//  Where a failed or timed-out tree stopped: hops failed, never executed
//  or never acked.
static json_t *
s_stopped_at (const s_tree_t *tree)
{
    json_t *stopped = json_array ();
    for (size_t h = 0; stopped && h < tree->hop_count; h++) {
        const s_hop_t *hop = &tree->hops[h];
        const char *reason =
            hop->outcome == S_FAILED ? "failed by the bolt"
            : isnan (hop->execute)
                ? (isnan (hop->enqueue) ? "emitted, never arrived" : "queued, never executed")
            : hop->outcome == S_PENDING ? "executed, never acked"
                                        : NULL;
        if (reason && json_array_append_new (stopped, json_pack ("{s:s, s:i, s:s}", "component",
                                                                 hop->component, "task", hop->task,
                                                                 "reason", reason))) {
            json_decref (stopped);
            stopped = NULL;
        }
    }
    return stopped;
}

//  The hop order of a timeline: by the first time known of each hop.
static double
s_hop_start (const s_hop_t *hop)
{
    return !isnan (hop->emit) ? hop->emit : !isnan (hop->enqueue) ? hop->enqueue : hop->execute;
}

static int
s_compare_hops (const void *a, const void *b)
{
    double x = s_hop_start (a), y = s_hop_start (b);
    return x < y ? -1 : x > y ? 1 : 0;
}

//  When a tree started: its spout's emit, else the earliest time known.
static double
s_tree_start (const s_tree_t *tree)
{
    return isnan (tree->spout_ms) ? tree->first_ms : tree->spout_ms;
}

static json_t *
s_tree_json (s_tree_t *tree)
{
    double start = s_tree_start (tree);
    char root[17];
    s_hex (tree->root, root);
    if (tree->hop_count > 1) //  a tree known only by its spout has no hops array
        qsort (tree->hops, tree->hop_count, sizeof (s_hop_t), s_compare_hops);
    json_t *hops = json_array ();
    for (size_t h = 0; hops && h < tree->hop_count; h++)
        if (json_array_append_new (hops, s_hop_json (&tree->hops[h], start))) {
            json_decref (hops);
            hops = NULL;
        }
    bool stopped = tree->status == S_FAILED || tree->status == S_TIMED_OUT;
    json_t *json =
        json_pack ("{s:s, s:s?, s:i, s:f, s:s, s:o, s:o*, s:o*, s:I}", "rootId", root, "spout",
                   tree->spout, "spoutTask", sq_ids_root_task (tree->root), "startMs", start,
                   "status", s_status_names[tree->status], "completeMs",
                   isnan (tree->latency_ms) ? json_null () : json_real (tree->latency_ms), "hops",
                   hops, "stoppedAt", stopped ? s_stopped_at (tree) : json_array (), "hopsDropped",
                   (json_int_t) tree->hops_dropped);
    return json;
}

//  A hop with both an emit and an execute time, for the edge latencies.
typedef struct {
    const s_hop_t *hop; //  the hop
    double latency;     //  its execute - emit
} s_timed_hop_t;

//  Order by edge (from, to, stream), then by latency.
static int
s_compare_timed_hops (const void *a, const void *b)
{
    const s_timed_hop_t *x = a, *y = b;
    int rc = strcmp (x->hop->from_component, y->hop->from_component);
    if (!rc)
        rc = strcmp (x->hop->component, y->hop->component);
    if (!rc)
        rc = strcmp (x->hop->stream, y->hop->stream);
    if (!rc)
        rc = x->latency < y->latency ? -1 : x->latency > y->latency;
    return rc;
}

static bool
s_same_edge (const s_hop_t *x, const s_hop_t *y)
{
    return !strcmp (x->from_component, y->from_component) && !strcmp (x->component, y->component) &&
           !strcmp (x->stream, y->stream);
}

//  The nearest-rank quantile q of count sorted latencies, rounded to us.
static json_t *
s_quantile (const s_timed_hop_t *sorted, size_t count, double q)
{
    size_t rank = (size_t) ceil (q * (double) count);
    return json_real (round (sorted[rank ? rank - 1 : 0].latency * 1000) / 1000);
}

//  Per edge (from, to, stream): hop latency (execute start - emit) p50 and
//  p99 over the hops timed at both ends. Sorting keeps it n log n in the
//  hops held, whatever names a worker reported.
static json_t *
s_edges_json (sq_trace_store_t *self)
{
    s_timed_hop_t *timed = calloc (self->max_trees * self->max_hops, sizeof (s_timed_hop_t));
    json_t *json = timed ? json_array () : NULL;
    size_t count = 0;
    for (size_t t = 0; json && t < self->max_trees; t++)
        for (size_t h = 0; h < self->trees[t].hop_count; h++) {
            const s_hop_t *hop = &self->trees[t].hops[h];
            if (!isnan (hop->emit) && !isnan (hop->execute))
                timed[count++] = (s_timed_hop_t){hop, hop->execute - hop->emit};
        }
    if (json)
        qsort (timed, count, sizeof (s_timed_hop_t), s_compare_timed_hops);
    for (size_t first = 0, next; json && first < count; first = next) {
        next = first + 1;
        while (next < count && s_same_edge (timed[first].hop, timed[next].hop))
            next++;
        const s_hop_t *hop = timed[first].hop;
        json_t *entry =
            json_pack ("{s:s, s:s, s:s, s:I, s:o, s:o}", "from", hop->from_component, "to",
                       hop->component, "stream", hop->stream, "count", (json_int_t) (next - first),
                       "p50Ms", s_quantile (timed + first, next - first, 0.5), "p99Ms",
                       s_quantile (timed + first, next - first, 0.99));
        if (json_array_append_new (json, entry)) {
            json_decref (json);
            json = NULL;
        }
    }
    free (timed);
    return json;
}

static int
s_compare_trees (const void *a, const void *b)
{
    const s_tree_t *x = *(s_tree_t *const *) a, *y = *(s_tree_t *const *) b;
    //  Newest first: by start time, then by the order they were seen.
    double x_start = s_tree_start (x), y_start = s_tree_start (y);
    if (x_start != y_start)
        return x_start > y_start ? -1 : 1;
    return x->seen > y->seen ? -1 : x->seen < y->seen ? 1 : 0;
}

json_t *
sq_trace_store_json (sq_trace_store_t *self, const char *topology_id, double sample_pct,
                     size_t max_trees)
{
    s_tree_t **order = calloc (self->max_trees, sizeof (s_tree_t *));
    if (!order)
        return NULL;
    size_t count = 0;
    for (size_t t = 0; t < self->max_trees; t++)
        if (self->trees[t].root)
            order[count++] = &self->trees[t];
    qsort (order, count, sizeof (s_tree_t *), s_compare_trees);
    json_t *traces = json_array ();
    for (size_t t = 0; traces && t < count && t < max_trees; t++)
        if (json_array_append_new (traces, s_tree_json (order[t]))) {
            json_decref (traces);
            traces = NULL;
        }
    free (order);
    json_t *edges = traces ? s_edges_json (self) : NULL;
    if (!edges) {
        json_decref (traces);
        return NULL;
    }
    return json_pack ("{s:s, s:f, s:I, s:o, s:o}", "topologyId", topology_id, "samplePct",
                      sample_pct, "lateEvents", (json_int_t) self->late_events, "traces", traces,
                      "edges", edges);
}
