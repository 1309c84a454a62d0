/*  sq_cluster_state - the records nimbus and supervisors keep in ZooKeeper

    Decoding reads a field in two steps: s_member / s_element check that it
    is there and has the right JSON type, then s_check_integer / s_check_name
    check its value. Every message starts with the record kind and names the
    field by its path in the record ("workers[2].executors[0]").
*/
#include "sq_cluster_state.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_task_layout.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SUPERVISOR "supervisor info"
#define S_TOPOLOGY "topology record"
#define S_ASSIGNMENT "assignment"
#define S_PATH_MAX 160 //  room for a field path such as "workers[4095].executors[65534]"

//  How strictly s_check_name treats a string.
typedef enum {
    S_TEXT,     //  1..SQ_CLUSTER_MAX_NAME bytes, no control characters
    S_NODE_NAME //  also usable as a ZooKeeper node name: no '/', not "." or ".."
} s_name_rule_t;

static char *
s_strdup (const char *string)
{
    assert (string);
    size_t size = strlen (string) + 1;
    char *copy = malloc (size);
    if (copy)
        memcpy (copy, string, size);
    return copy;
}

//  "an integer", "a string", ... for the type of a JSON value.
static const char *
s_type_name (json_type type)
{
    switch (type) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

//  The value, if it has the wanted type; else NULL with the error set.
static json_t *
s_check_type (const char *kind, json_t *value, const char *path, json_type type)
{
    if (json_typeof (value) == type)
        return value;
    sq_error_set ("%s: field '%s' must be %s, got %s", kind, path, s_type_name (type),
                  s_type_name (json_typeof (value)));
    return NULL;
}

//  Member `field` of object (whose own path is prefix, "" at the top),
//  with the wanted type; else NULL with the error set. Writes the member's
//  path into path (S_PATH_MAX bytes).
static json_t *
s_member (const char *kind, json_t *object, const char *prefix, const char *field, json_type type,
          char *path)
{
    int length = snprintf (path, S_PATH_MAX, "%s%s%s", prefix, *prefix ? "." : "", field);
    assert (length > 0 && length < S_PATH_MAX); //  paths are short: arrays are bounded
    json_t *value = json_object_get (object, field);
    if (!value) {
        sq_error_set ("%s: field '%s' is missing", kind, path);
        return NULL;
    }
    return s_check_type (kind, value, path, type);
}

//  Element index of array (whose path is prefix), with the wanted type.
static json_t *
s_element (const char *kind, json_t *array, const char *prefix, size_t index, json_type type,
           char *path)
{
    int length = snprintf (path, S_PATH_MAX, "%s[%zu]", prefix, index);
    assert (length > 0 && length < S_PATH_MAX);
    return s_check_type (kind, json_array_get (array, index), path, type);
}

static int
s_check_integer (const char *kind, const char *path, long long value, long long min, long long max)
{
    if (value < min || value > max)
        return sq_error_set ("%s: field '%s' is out of range (%lld..%lld), got %lld", kind, path,
                             min, max, value);
    return 0;
}

static int
s_check_array_size (const char *kind, const char *path, const json_t *array, size_t max)
{
    if (json_array_size (array) > max)
        return sq_error_set ("%s: field '%s' has %zu entries, at most %zu are allowed", kind, path,
                             json_array_size (array), max);
    return 0;
}

static int
s_check_name (const char *kind, const char *path, const char *value, s_name_rule_t rule)
{
    size_t length = strlen (value);
    if (length == 0)
        return sq_error_set ("%s: field '%s' must not be empty", kind, path);
    if (length > SQ_CLUSTER_MAX_NAME)
        return sq_error_set ("%s: field '%s' is %zu bytes long, at most %d are allowed", kind, path,
                             length, SQ_CLUSTER_MAX_NAME);
    for (size_t i = 0; i < length; i++)
        if ((unsigned char) value[i] < 0x20 || value[i] == 0x7F)
            return sq_error_set ("%s: field '%s' contains a control character", kind, path);
    if (rule == S_NODE_NAME && strchr (value, '/'))
        return sq_error_set ("%s: field '%s' must not contain '/', got \"%s\"", kind, path, value);
    if (rule == S_NODE_NAME && (strcmp (value, ".") == 0 || strcmp (value, "..") == 0))
        return sq_error_set ("%s: field '%s' must not be \"%s\"", kind, path, value);
    return 0;
}

//  Integer member in min..max, stored in *value_p; 0 or -1.
static int
s_get_integer (const char *kind, json_t *object, const char *prefix, const char *field,
               long long min, long long max, long long *value_p)
{
    char path[S_PATH_MAX];
    json_t *value = s_member (kind, object, prefix, field, JSON_INTEGER, path);
    if (!value)
        return -1;
    *value_p = json_integer_value (value);
    return s_check_integer (kind, path, *value_p, min, max);
}

//  String member that passes s_check_name, borrowed into *value_p; 0 or -1.
static int
s_get_name (const char *kind, json_t *object, const char *prefix, const char *field,
            s_name_rule_t rule, const char **value_p)
{
    char path[S_PATH_MAX];
    json_t *value = s_member (kind, object, prefix, field, JSON_STRING, path);
    if (!value)
        return -1;
    *value_p = json_string_value (value);
    return s_check_name (kind, path, *value_p, rule);
}

//  Parse a record's bytes: a JSON object of the version this build reads.
//  Returns the object (caller owns), or NULL with the error set.
static json_t *
s_parse (const char *kind, const void *data, size_t size)
{
    if (!data || size == 0) {
        sq_error_set ("%s: the record is empty", kind);
        return NULL;
    }
    if (size > SQ_CLUSTER_MAX_RECORD_SIZE) {
        sq_error_set ("%s: the record is %zu bytes, at most %d are read", kind, size,
                      SQ_CLUSTER_MAX_RECORD_SIZE);
        return NULL;
    }
    json_error_t error;
    json_t *root = json_loadb (data, size, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        sq_error_set ("%s: not valid JSON: %s (line %d, column %d)", kind, error.text, error.line,
                      error.column);
        return NULL;
    }
    if (!json_is_object (root)) {
        sq_error_set ("%s: the record must be a JSON object, got %s", kind,
                      s_type_name (json_typeof (root)));
        json_decref (root);
        return NULL;
    }
    long long version;
    if (s_get_integer (kind, root, "", "version", 0, 0x7FFFFFFF, &version)) {
        json_decref (root);
        return NULL;
    }
    if (version != SQ_CLUSTER_STATE_VERSION) {
        sq_error_set ("%s: field 'version' is %lld; this build reads version %d only", kind,
                      version, SQ_CLUSTER_STATE_VERSION);
        json_decref (root);
        return NULL;
    }
    return root;
}

//  Set a member, taking the value; collects failures into *rc.
static void
s_set (json_t *object, const char *field, json_t *value, int *rc)
{
    if (json_object_set_new (object, field, value))
        *rc = -1;
}

//  Dump a record built by an encoder (taking it); NULL with the error set
//  when building failed.
static char *
s_dump (const char *kind, json_t *root, int rc)
{
    char *text = root && rc == 0 ? json_dumps (root, JSON_COMPACT) : NULL;
    json_decref (root);
    if (!text)
        sq_error_set ("%s: cannot encode (out of memory, or a string that is not UTF-8)", kind);
    return text;
}

//  ---------------------------------------------------------------------
//  Supervisor info

sq_supervisor_info_t *
sq_supervisor_info_new (const char *id, const char *host, const int *ports, size_t port_count,
                        int64_t started)
{
    assert (id);
    assert (host);
    assert (ports || port_count == 0);
    sq_supervisor_info_t *self = calloc (1, sizeof (sq_supervisor_info_t));
    if (self) {
        self->id = s_strdup (id);
        self->host = s_strdup (host);
        self->ports = malloc ((port_count ? port_count : 1) * sizeof (int));
        self->port_count = port_count;
        self->started = started;
    }
    if (!self || !self->id || !self->host || !self->ports) {
        sq_supervisor_info_destroy (&self);
        sq_error_set ("%s: out of memory", S_SUPERVISOR);
        return NULL;
    }
    if (port_count)
        memcpy (self->ports, ports, port_count * sizeof (int));
    return self;
}

void
sq_supervisor_info_destroy (sq_supervisor_info_t **self_p)
{
    assert (self_p);
    sq_supervisor_info_t *self = *self_p;
    if (!self)
        return;
    free (self->id);
    free (self->host);
    free (self->ports);
    free (self);
    *self_p = NULL;
}

bool
sq_supervisor_info_has_port (const sq_supervisor_info_t *self, int port)
{
    assert (self);
    for (size_t i = 0; i < self->port_count; i++)
        if (self->ports[i] == port)
            return true;
    return false;
}

char *
sq_supervisor_info_encode (const sq_supervisor_info_t *self)
{
    assert (self);
    int rc = 0;
    json_t *root = json_object ();
    json_t *ports = json_array ();
    for (size_t i = 0; ports && i < self->port_count; i++)
        if (json_array_append_new (ports, json_integer (self->ports[i])))
            rc = -1;
    if (root) {
        s_set (root, "version", json_integer (SQ_CLUSTER_STATE_VERSION), &rc);
        s_set (root, "id", json_string (self->id), &rc);
        s_set (root, "host", json_string (self->host), &rc);
        s_set (root, "ports", ports, &rc);
        s_set (root, "started", json_integer (self->started), &rc);
    } else
        json_decref (ports);
    return s_dump (S_SUPERVISOR, root, rc);
}

sq_supervisor_info_t *
sq_supervisor_info_decode (const void *data, size_t size)
{
    json_t *root = s_parse (S_SUPERVISOR, data, size);
    if (!root)
        return NULL;
    sq_supervisor_info_t *self = NULL;
    const char *id, *host;
    long long started;
    char path[S_PATH_MAX];
    json_t *ports = NULL;
    int *values = NULL;
    if (s_get_name (S_SUPERVISOR, root, "", "id", S_NODE_NAME, &id) ||
        s_get_name (S_SUPERVISOR, root, "", "host", S_TEXT, &host) ||
        !(ports = s_member (S_SUPERVISOR, root, "", "ports", JSON_ARRAY, path)) ||
        s_check_array_size (S_SUPERVISOR, "ports", ports, SQ_CLUSTER_MAX_PORTS) ||
        s_get_integer (S_SUPERVISOR, root, "", "started", 0, INT64_MAX, &started))
        goto done;
    size_t count = json_array_size (ports);
    values = malloc ((count ? count : 1) * sizeof (int));
    if (!values) {
        sq_error_set ("%s: out of memory", S_SUPERVISOR);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *port = s_element (S_SUPERVISOR, ports, "ports", i, JSON_INTEGER, path);
        if (!port || s_check_integer (S_SUPERVISOR, path, json_integer_value (port), 1, 65535))
            goto done;
        values[i] = (int) json_integer_value (port);
        for (size_t j = 0; j < i; j++)
            if (values[j] == values[i]) {
                sq_error_set ("%s: field '%s' repeats port %d of 'ports[%zu]'", S_SUPERVISOR, path,
                              values[i], j);
                goto done;
            }
    }
    self = sq_supervisor_info_new (id, host, values, count, (int64_t) started);
done:
    free (values);
    json_decref (root);
    return self;
}

//  ---------------------------------------------------------------------
//  Topology record

static const char *s_status_names[] = {"active", "inactive", "killed"};

sq_topology_record_t *
sq_topology_record_new (const char *name, const char *id, const char *package_checksum,
                        const sq_config_t *config)
{
    assert (name);
    assert (id);
    assert (package_checksum);
    sq_topology_record_t *self = calloc (1, sizeof (sq_topology_record_t));
    if (self) {
        self->name = s_strdup (name);
        self->id = s_strdup (id);
        self->status = SQ_TOPOLOGY_ACTIVE;
        self->package_checksum = s_strdup (package_checksum);
        self->config = config ? sq_config_dup (config) : sq_config_new ();
    }
    if (!self || !self->name || !self->id || !self->package_checksum || !self->config) {
        sq_topology_record_destroy (&self);
        sq_error_set ("%s: out of memory", S_TOPOLOGY);
        return NULL;
    }
    self->workers = (int) sq_config_int (self->config, "topology.workers", 1);
    return self;
}

void
sq_topology_record_destroy (sq_topology_record_t **self_p)
{
    assert (self_p);
    sq_topology_record_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    free (self->id);
    free (self->package_checksum);
    sq_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

const char *
sq_topology_record_status_name (sq_topology_status_t status)
{
    if ((int) status >= 0 && (size_t) status < sizeof s_status_names / sizeof *s_status_names)
        return s_status_names[status];
    return "unknown";
}

char *
sq_topology_record_encode (const sq_topology_record_t *self)
{
    assert (self);
    assert (self->config);
    int rc = 0;
    json_t *root = json_object ();
    json_t *config = sq_config_to_json (self->config);
    if (root) {
        s_set (root, "version", json_integer (SQ_CLUSTER_STATE_VERSION), &rc);
        s_set (root, "name", json_string (self->name), &rc);
        s_set (root, "id", json_string (self->id), &rc);
        s_set (root, "status", json_string (sq_topology_record_status_name (self->status)), &rc);
        s_set (root, "package_checksum", json_string (self->package_checksum), &rc);
        s_set (root, "config", config, &rc);
        s_set (root, "submitted", json_integer (self->submitted), &rc);
        s_set (root, "workers", json_integer (self->workers), &rc);
        if (self->rebalance_workers > 0) {
            json_t *rebalance = json_object ();
            if (rebalance) {
                s_set (rebalance, "workers", json_integer (self->rebalance_workers), &rc);
                s_set (rebalance, "resume",
                       json_string (sq_topology_record_status_name (self->rebalance_resume)),
                       &rc);
                s_set (rebalance, "due", json_integer (self->rebalance_due), &rc);
            }
            s_set (root, "rebalance", rebalance, &rc);
        }
    } else
        json_decref (config);
    return s_dump (S_TOPOLOGY, root, rc);
}

//  The status called name, as field `field` of a topology record: any
//  status, or with killed false only active and inactive. -1 (with the
//  error set) for another name.
static int
s_status_of_name (const char *field, const char *name, bool killed)
{
    size_t count = killed ? sizeof s_status_names / sizeof *s_status_names : 2;
    for (size_t i = 0; i < count; i++)
        if (strcmp (name, s_status_names[i]) == 0)
            return (int) i;
    sq_error_set ("%s: field '%s' must be \"active\"%s \"inactive\"%s, got \"%s\"", S_TOPOLOGY,
                  field, killed ? "," : " or", killed ? " or \"killed\"" : "", name);
    return -1;
}

sq_topology_record_t *
sq_topology_record_decode (const void *data, size_t size)
{
    json_t *root = s_parse (S_TOPOLOGY, data, size);
    if (!root)
        return NULL;
    sq_topology_record_t *self = NULL;
    sq_config_t *config = NULL;
    const char *name, *id, *checksum, *status_name;
    long long submitted, workers;
    char path[S_PATH_MAX];
    json_t *config_json = NULL;
    if (s_get_name (S_TOPOLOGY, root, "", "name", S_NODE_NAME, &name) ||
        s_get_name (S_TOPOLOGY, root, "", "id", S_TEXT, &id) ||
        s_get_name (S_TOPOLOGY, root, "", "status", S_TEXT, &status_name) ||
        s_get_name (S_TOPOLOGY, root, "", "package_checksum", S_TEXT, &checksum) ||
        !(config_json = s_member (S_TOPOLOGY, root, "", "config", JSON_OBJECT, path)) ||
        s_get_integer (S_TOPOLOGY, root, "", "submitted", 0, INT64_MAX, &submitted) ||
        s_get_integer (S_TOPOLOGY, root, "", "workers", 1, SQ_CLUSTER_MAX_WORKERS, &workers))
        goto done;
    int status = s_status_of_name ("status", status_name, true);
    if (status < 0)
        goto done;
    long long rebalance_workers = 0, rebalance_due = 0;
    int rebalance_resume = SQ_TOPOLOGY_ACTIVE;
    json_t *rebalance = json_object_get (root, "rebalance");
    if (rebalance) {
        const char *resume_name;
        if (!s_member (S_TOPOLOGY, root, "", "rebalance", JSON_OBJECT, path) ||
            s_get_integer (S_TOPOLOGY, rebalance, "rebalance", "workers", 1,
                           SQ_CLUSTER_MAX_WORKERS, &rebalance_workers) ||
            s_get_name (S_TOPOLOGY, rebalance, "rebalance", "resume", S_TEXT, &resume_name) ||
            s_get_integer (S_TOPOLOGY, rebalance, "rebalance", "due", 0, INT64_MAX,
                           &rebalance_due))
            goto done;
        rebalance_resume = s_status_of_name ("rebalance.resume", resume_name, false);
        if (rebalance_resume < 0)
            goto done;
    }
    config = sq_config_from_json (config_json);
    if (!config) {
        char reason[400];
        snprintf (reason, sizeof reason, "%s", sq_last_error ());
        sq_error_set ("%s: field 'config': %s", S_TOPOLOGY, reason);
        goto done;
    }
    self = sq_topology_record_new (name, id, checksum, config);
    if (self) {
        self->status = (sq_topology_status_t) status;
        self->submitted = (int64_t) submitted;
        self->workers = (int) workers;
        self->rebalance_workers = (int) rebalance_workers;
        self->rebalance_resume = (sq_topology_status_t) rebalance_resume;
        self->rebalance_due = (int64_t) rebalance_due;
    }
done:
    sq_config_destroy (&config);
    json_decref (root);
    return self;
}

//  ---------------------------------------------------------------------
//  Assignment

sq_assignment_t *
sq_assignment_new (const char *topology_name, const char *topology_id)
{
    assert (topology_name);
    assert (topology_id);
    sq_assignment_t *self = calloc (1, sizeof (sq_assignment_t));
    if (self) {
        self->topology_name = s_strdup (topology_name);
        self->topology_id = s_strdup (topology_id);
    }
    if (!self || !self->topology_name || !self->topology_id) {
        sq_assignment_destroy (&self);
        sq_error_set ("%s: out of memory", S_ASSIGNMENT);
        return NULL;
    }
    return self;
}

void
sq_assignment_destroy (sq_assignment_t **self_p)
{
    assert (self_p);
    sq_assignment_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->worker_count; i++) {
        free (self->workers[i].supervisor_id);
        free (self->workers[i].host);
        free (self->workers[i].executors);
    }
    free (self->workers);
    free (self->topology_name);
    free (self->topology_id);
    free (self);
    *self_p = NULL;
}

int
sq_assignment_add_worker (sq_assignment_t *self, const char *supervisor_id, const char *host,
                          int port)
{
    assert (self);
    assert (supervisor_id);
    assert (host);
    if (self->worker_count == self->worker_capacity) {
        size_t capacity = self->worker_capacity ? self->worker_capacity * 2 : 4;
        sq_assignment_worker_t *workers =
            realloc (self->workers, capacity * sizeof (sq_assignment_worker_t));
        if (!workers)
            return sq_error_set ("%s: out of memory", S_ASSIGNMENT);
        self->workers = workers;
        self->worker_capacity = capacity;
    }
    sq_assignment_worker_t *worker = &self->workers[self->worker_count];
    memset (worker, 0, sizeof *worker);
    worker->supervisor_id = s_strdup (supervisor_id);
    worker->host = s_strdup (host);
    worker->port = port;
    if (!worker->supervisor_id || !worker->host) {
        free (worker->supervisor_id);
        free (worker->host);
        return sq_error_set ("%s: out of memory", S_ASSIGNMENT);
    }
    return (int) self->worker_count++;
}

int
sq_assignment_add_executor (sq_assignment_t *self, size_t worker_index, int first_task,
                            int last_task)
{
    assert (self);
    assert (worker_index < self->worker_count);
    sq_assignment_worker_t *worker = &self->workers[worker_index];
    if (worker->executor_count == worker->executor_capacity) {
        size_t capacity = worker->executor_capacity ? worker->executor_capacity * 2 : 8;
        sq_task_range_t *executors =
            realloc (worker->executors, capacity * sizeof (sq_task_range_t));
        if (!executors)
            return sq_error_set ("%s: out of memory", S_ASSIGNMENT);
        worker->executors = executors;
        worker->executor_capacity = capacity;
    }
    worker->executors[worker->executor_count++] =
        (sq_task_range_t){.first_task = first_task, .last_task = last_task};
    return 0;
}

//  One executor of an assignment, for the overlap check.
typedef struct {
    int first_task; //  its range
    int last_task;  //  its range (included)
    size_t worker;  //  index of its worker
    size_t index;   //  index among the worker's executors
} s_placed_range_t;

static int
s_compare_ranges (const void *a, const void *b)
{
    const s_placed_range_t *left = a, *right = b;
    return (left->first_task > right->first_task) - (left->first_task < right->first_task);
}

static int
s_compare_slots (const void *a, const void *b)
{
    const sq_assignment_worker_t *left = *(const sq_assignment_worker_t *const *) a;
    const sq_assignment_worker_t *right = *(const sq_assignment_worker_t *const *) b;
    int order = strcmp (left->supervisor_id, right->supervisor_id);
    return order ? order : (left->port > right->port) - (left->port < right->port);
}

//  No slot twice, no task in two executors. 0 or -1.
static int
s_check_disjoint (const sq_assignment_t *self, size_t executor_total)
{
    int rc = 0;
    const sq_assignment_worker_t **slots =
        malloc ((self->worker_count ? self->worker_count : 1) * sizeof *slots);
    s_placed_range_t *ranges = malloc ((executor_total ? executor_total : 1) * sizeof *ranges);
    if (!slots || !ranges) {
        rc = sq_error_set ("%s: out of memory", S_ASSIGNMENT);
        goto done;
    }
    for (size_t i = 0; i < self->worker_count; i++)
        slots[i] = &self->workers[i];
    qsort (slots, self->worker_count, sizeof *slots, s_compare_slots);
    for (size_t i = 1; i < self->worker_count; i++)
        if (s_compare_slots (&slots[i - 1], &slots[i]) == 0) {
            rc = sq_error_set ("%s: field 'workers[%zu]' uses slot %s:%d, as does 'workers[%zu]'",
                               S_ASSIGNMENT, (size_t) (slots[i] - self->workers),
                               slots[i]->supervisor_id, slots[i]->port,
                               (size_t) (slots[i - 1] - self->workers));
            goto done;
        }
    size_t count = 0;
    for (size_t w = 0; w < self->worker_count; w++)
        for (size_t e = 0; e < self->workers[w].executor_count; e++)
            ranges[count++] = (s_placed_range_t){self->workers[w].executors[e].first_task,
                                                 self->workers[w].executors[e].last_task, w, e};
    qsort (ranges, count, sizeof *ranges, s_compare_ranges);
    for (size_t i = 1; i < count; i++) {
        const s_placed_range_t *previous = &ranges[i - 1], *range = &ranges[i];
        if (range->first_task <= previous->last_task) {
            //  Name the executor that comes later in the record.
            if (previous->worker > range->worker ||
                (previous->worker == range->worker && previous->index > range->index)) {
                const s_placed_range_t *swap = previous;
                previous = range;
                range = swap;
            }
            rc = sq_error_set ("%s: field 'workers[%zu].executors[%zu]' ([%d, %d]) overlaps "
                               "'workers[%zu].executors[%zu]' ([%d, %d])",
                               S_ASSIGNMENT, range->worker, range->index, range->first_task,
                               range->last_task, previous->worker, previous->index,
                               previous->first_task, previous->last_task);
            goto done;
        }
    }
done:
    free (slots);
    free (ranges);
    return rc;
}

int
sq_assignment_validate (const sq_assignment_t *self)
{
    assert (self);
    if (s_check_name (S_ASSIGNMENT, "topology_name", self->topology_name, S_NODE_NAME) ||
        s_check_name (S_ASSIGNMENT, "topology_id", self->topology_id, S_TEXT))
        return -1;
    if (self->generation < 0)
        return sq_error_set ("%s: field 'generation' is out of range (0..%lld), got %lld",
                             S_ASSIGNMENT, (long long) INT64_MAX, (long long) self->generation);
    if (self->worker_count > SQ_CLUSTER_MAX_WORKERS)
        return sq_error_set ("%s: field 'workers' has %zu entries, at most %d are allowed",
                             S_ASSIGNMENT, self->worker_count, SQ_CLUSTER_MAX_WORKERS);
    size_t executor_total = 0;
    char path[S_PATH_MAX];
    for (size_t w = 0; w < self->worker_count; w++) {
        const sq_assignment_worker_t *worker = &self->workers[w];
        snprintf (path, sizeof path, "workers[%zu].supervisor_id", w);
        if (s_check_name (S_ASSIGNMENT, path, worker->supervisor_id, S_NODE_NAME))
            return -1;
        snprintf (path, sizeof path, "workers[%zu].host", w);
        if (s_check_name (S_ASSIGNMENT, path, worker->host, S_TEXT))
            return -1;
        snprintf (path, sizeof path, "workers[%zu].port", w);
        if (s_check_integer (S_ASSIGNMENT, path, worker->port, 1, 65535))
            return -1;
        if (worker->executor_count == 0)
            return sq_error_set ("%s: field 'workers[%zu].executors' is empty; a worker runs at "
                                 "least one executor",
                                 S_ASSIGNMENT, w);
        for (size_t e = 0; e < worker->executor_count; e++) {
            const sq_task_range_t *range = &worker->executors[e];
            snprintf (path, sizeof path, "workers[%zu].executors[%zu]", w, e);
            if (range->first_task < 1 || range->last_task > SQ_TASK_LAYOUT_MAX_TASK)
                return sq_error_set ("%s: field '%s' ([%d, %d]) is out of range: task ids run "
                                     "from 1 to %d",
                                     S_ASSIGNMENT, path, range->first_task, range->last_task,
                                     SQ_TASK_LAYOUT_MAX_TASK);
            if (range->first_task > range->last_task)
                return sq_error_set ("%s: field '%s' ([%d, %d]) is reversed: the first task "
                                     "comes after the last",
                                     S_ASSIGNMENT, path, range->first_task, range->last_task);
        }
        executor_total += worker->executor_count;
    }
    if (executor_total > SQ_CLUSTER_MAX_EXECUTORS)
        return sq_error_set ("%s: the workers hold %zu executors, at most %d are allowed",
                             S_ASSIGNMENT, executor_total, SQ_CLUSTER_MAX_EXECUTORS);
    return s_check_disjoint (self, executor_total);
}

const sq_assignment_worker_t *
sq_assignment_find_task (const sq_assignment_t *self, int task)
{
    assert (self);
    for (size_t w = 0; w < self->worker_count; w++)
        for (size_t e = 0; e < self->workers[w].executor_count; e++)
            if (self->workers[w].executors[e].first_task <= task &&
                task <= self->workers[w].executors[e].last_task)
                return &self->workers[w];
    return NULL;
}

const sq_assignment_worker_t *
sq_assignment_find_slot (const sq_assignment_t *self, const char *supervisor_id, int port)
{
    assert (self);
    assert (supervisor_id);
    for (size_t w = 0; w < self->worker_count; w++)
        if (self->workers[w].port == port &&
            strcmp (self->workers[w].supervisor_id, supervisor_id) == 0)
            return &self->workers[w];
    return NULL;
}

size_t
sq_assignment_supervisor_slots (const sq_assignment_t *self, const char *supervisor_id, int *ports,
                                size_t max)
{
    assert (self);
    assert (supervisor_id);
    assert (ports || max == 0);
    size_t total = 0;
    for (size_t w = 0; w < self->worker_count; w++)
        if (strcmp (self->workers[w].supervisor_id, supervisor_id) == 0)
            total++;
    //  Selection by increasing port: a supervisor has few slots.
    int previous = -1;
    for (size_t written = 0; written < max && written < total; written++) {
        int lowest = -1;
        for (size_t w = 0; w < self->worker_count; w++) {
            int port = self->workers[w].port;
            if (port > previous && (lowest < 0 || port < lowest) &&
                strcmp (self->workers[w].supervisor_id, supervisor_id) == 0)
                lowest = port;
        }
        if (lowest < 0)
            break; //  a port repeated in an unvalidated assignment
        ports[written] = previous = lowest;
    }
    return total;
}

size_t
sq_assignment_executor_count (const sq_assignment_t *self)
{
    assert (self);
    size_t count = 0;
    for (size_t w = 0; w < self->worker_count; w++)
        count += self->workers[w].executor_count;
    return count;
}

static bool
s_worker_has_executor (const sq_assignment_worker_t *worker, sq_task_range_t range)
{
    for (size_t e = 0; e < worker->executor_count; e++)
        if (worker->executors[e].first_task == range.first_task &&
            worker->executors[e].last_task == range.last_task)
            return true;
    return false;
}

bool
sq_assignment_worker_same_executors (const sq_assignment_worker_t *self,
                                     const sq_assignment_worker_t *other)
{
    assert (self);
    assert (other);
    if (self->executor_count != other->executor_count)
        return false;
    for (size_t e = 0; e < self->executor_count; e++)
        if (!s_worker_has_executor (other, self->executors[e]))
            return false;
    return true;
}

static int
s_compare_task_ranges (const void *a, const void *b)
{
    const sq_task_range_t *left = a, *right = b;
    return (left->first_task > right->first_task) - (left->first_task < right->first_task);
}

char *
sq_assignment_worker_executors_text (const sq_assignment_worker_t *self)
{
    assert (self);
    size_t count = self->executor_count;
    sq_task_range_t *sorted = malloc ((count ? count : 1) * sizeof *sorted);
    //  Two numbers of at most 11 characters, a dash and a comma a range.
    char *text = malloc (count * 24 + 1);
    if (!sorted || !text) {
        free (sorted);
        free (text);
        return NULL;
    }
    if (count)
        memcpy (sorted, self->executors, count * sizeof *sorted);
    qsort (sorted, count, sizeof *sorted, s_compare_task_ranges);
    size_t length = 0;
    text[0] = 0;
    for (size_t e = 0; e < count; e++)
        length += (size_t) snprintf (text + length, 25, "%s%d-%d", e ? "," : "",
                                     sorted[e].first_task, sorted[e].last_task);
    free (sorted);
    return text;
}

bool
sq_assignment_same_placement (const sq_assignment_t *self, const sq_assignment_t *other)
{
    assert (self);
    assert (other);
    if (self->worker_count != other->worker_count)
        return false;
    for (size_t w = 0; w < self->worker_count; w++) {
        const sq_assignment_worker_t *mine = &self->workers[w];
        const sq_assignment_worker_t *theirs =
            sq_assignment_find_slot (other, mine->supervisor_id, mine->port);
        if (!theirs || strcmp (mine->host, theirs->host) != 0 ||
            !sq_assignment_worker_same_executors (mine, theirs))
            return false;
    }
    return true;
}

char *
sq_assignment_encode (const sq_assignment_t *self)
{
    assert (self);
    int rc = 0;
    json_t *root = json_object ();
    json_t *workers = json_array ();
    for (size_t w = 0; workers && w < self->worker_count; w++) {
        const sq_assignment_worker_t *worker = &self->workers[w];
        json_t *entry = json_object ();
        json_t *executors = json_array ();
        for (size_t e = 0; executors && e < worker->executor_count; e++) {
            json_t *range = json_array ();
            if (!range ||
                json_array_append_new (range, json_integer (worker->executors[e].first_task)) ||
                json_array_append_new (range, json_integer (worker->executors[e].last_task)))
                rc = -1;
            if (json_array_append_new (executors, range))
                rc = -1;
        }
        if (entry) {
            s_set (entry, "supervisor_id", json_string (worker->supervisor_id), &rc);
            s_set (entry, "host", json_string (worker->host), &rc);
            s_set (entry, "port", json_integer (worker->port), &rc);
            s_set (entry, "executors", executors, &rc);
        } else
            json_decref (executors);
        if (json_array_append_new (workers, entry))
            rc = -1;
    }
    if (root) {
        s_set (root, "version", json_integer (SQ_CLUSTER_STATE_VERSION), &rc);
        s_set (root, "topology_name", json_string (self->topology_name), &rc);
        s_set (root, "topology_id", json_string (self->topology_id), &rc);
        s_set (root, "generation", json_integer (self->generation), &rc);
        s_set (root, "workers", workers, &rc);
    } else
        json_decref (workers);
    return s_dump (S_ASSIGNMENT, root, rc);
}

//  Decode workers[index] into self; *total counts executors so far. 0 or -1.
static int
s_decode_worker (sq_assignment_t *self, json_t *workers, size_t index, size_t *total)
{
    char prefix[S_PATH_MAX], list_path[S_PATH_MAX], range_path[S_PATH_MAX], end_path[S_PATH_MAX];
    json_t *entry = s_element (S_ASSIGNMENT, workers, "workers", index, JSON_OBJECT, prefix);
    if (!entry)
        return -1;
    const char *supervisor_id, *host;
    long long port;
    json_t *executors = NULL;
    if (s_get_name (S_ASSIGNMENT, entry, prefix, "supervisor_id", S_NODE_NAME, &supervisor_id) ||
        s_get_name (S_ASSIGNMENT, entry, prefix, "host", S_TEXT, &host) ||
        s_get_integer (S_ASSIGNMENT, entry, prefix, "port", 1, 65535, &port) ||
        !(executors = s_member (S_ASSIGNMENT, entry, prefix, "executors", JSON_ARRAY, list_path)) ||
        s_check_array_size (S_ASSIGNMENT, list_path, executors, SQ_CLUSTER_MAX_EXECUTORS))
        return -1;
    *total += json_array_size (executors);
    if (*total > SQ_CLUSTER_MAX_EXECUTORS)
        return sq_error_set ("%s: the workers hold more than %d executors", S_ASSIGNMENT,
                             SQ_CLUSTER_MAX_EXECUTORS);
    int worker = sq_assignment_add_worker (self, supervisor_id, host, (int) port);
    if (worker < 0)
        return -1;
    for (size_t e = 0; e < json_array_size (executors); e++) {
        json_t *range = s_element (S_ASSIGNMENT, executors, list_path, e, JSON_ARRAY, range_path);
        if (!range)
            return -1;
        if (json_array_size (range) != 2)
            return sq_error_set ("%s: field '%s' must be a [first_task, last_task] pair, got "
                                 "%zu entries",
                                 S_ASSIGNMENT, range_path, json_array_size (range));
        long long ends[2];
        for (size_t i = 0; i < 2; i++) {
            json_t *end = s_element (S_ASSIGNMENT, range, range_path, i, JSON_INTEGER, end_path);
            if (!end || s_check_integer (S_ASSIGNMENT, end_path, json_integer_value (end), 1,
                                         SQ_TASK_LAYOUT_MAX_TASK))
                return -1;
            ends[i] = json_integer_value (end);
        }
        if (sq_assignment_add_executor (self, (size_t) worker, (int) ends[0], (int) ends[1]))
            return -1;
    }
    return 0;
}

sq_assignment_t *
sq_assignment_decode (const void *data, size_t size)
{
    json_t *root = s_parse (S_ASSIGNMENT, data, size);
    if (!root)
        return NULL;
    sq_assignment_t *self = NULL;
    const char *name, *id;
    long long generation;
    char path[S_PATH_MAX];
    json_t *workers = NULL;
    if (s_get_name (S_ASSIGNMENT, root, "", "topology_name", S_NODE_NAME, &name) ||
        s_get_name (S_ASSIGNMENT, root, "", "topology_id", S_TEXT, &id) ||
        s_get_integer (S_ASSIGNMENT, root, "", "generation", 0, INT64_MAX, &generation) ||
        !(workers = s_member (S_ASSIGNMENT, root, "", "workers", JSON_ARRAY, path)) ||
        s_check_array_size (S_ASSIGNMENT, "workers", workers, SQ_CLUSTER_MAX_WORKERS))
        goto done;
    self = sq_assignment_new (name, id);
    if (!self)
        goto done;
    self->generation = (int64_t) generation;
    size_t total = 0;
    for (size_t w = 0; w < json_array_size (workers); w++)
        if (s_decode_worker (self, workers, w, &total)) {
            sq_assignment_destroy (&self);
            goto done;
        }
    if (sq_assignment_validate (self))
        sq_assignment_destroy (&self);
done:
    json_decref (root);
    return self;
}
