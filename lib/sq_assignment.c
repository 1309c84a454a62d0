/*  sq_assignment - where a topology's executors run, /assignments/<name> in ZooKeeper */
#include "sq_assignment.h"
#include "sq_cluster_state.h"
#include "sq_error.h"
#include "sq_task_layout.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ASSIGNMENT "assignment" //  record kind, as error messages name it

sq_assignment_t *
sq_assignment_new (const char *topology_name, const char *topology_id)
{
    assert (topology_name);
    assert (topology_id);
    sq_assignment_t *self = calloc (1, sizeof (sq_assignment_t));
    if (self) {
        self->topology_name = strdup (topology_name);
        self->topology_id = strdup (topology_id);
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
    worker->supervisor_id = strdup (supervisor_id);
    worker->host = strdup (host);
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

//  Sort ranges[0, count) by first task. Large records go by buckets
//  indexed by first task (linear: a record may hold tens of thousands of
//  executors); qsort when a first task repeats or memory is short, which
//  orders them the same way.
static void
s_sort_ranges (s_placed_range_t *ranges, size_t count)
{
    size_t *bucket = count > 1024 ? calloc (SQ_TASK_LAYOUT_MAX_TASK + 1, sizeof *bucket) : NULL;
    s_placed_range_t *sorted = bucket ? malloc (count * sizeof *sorted) : NULL;
    bool repeats = false;
    for (size_t i = 0; sorted && i < count && !repeats; i++) {
        int first = ranges[i].first_task;
        repeats = bucket[first] != 0;
        bucket[first] = i + 1;
    }
    if (sorted && !repeats) {
        size_t next = 0;
        for (size_t task = 0; task <= SQ_TASK_LAYOUT_MAX_TASK; task++)
            if (bucket[task])
                sorted[next++] = ranges[bucket[task] - 1];
        memcpy (ranges, sorted, count * sizeof *sorted);
    } else
        qsort (ranges, count, sizeof *ranges, s_compare_ranges);
    free (bucket);
    free (sorted);
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
    s_sort_ranges (ranges, count);
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
    if (sq_cluster_state_check_name (S_ASSIGNMENT, "topology_name", self->topology_name,
                                     SQ_CLUSTER_NODE_NAME) ||
        sq_cluster_state_check_name (S_ASSIGNMENT, "topology_id", self->topology_id,
                                     SQ_CLUSTER_TEXT))
        return -1;
    if (self->generation < 0)
        return sq_error_set ("%s: field 'generation' is out of range (0..%lld), got %lld",
                             S_ASSIGNMENT, (long long) INT64_MAX, (long long) self->generation);
    if (self->worker_count > SQ_CLUSTER_MAX_WORKERS)
        return sq_error_set ("%s: field 'workers' has %zu entries, at most %d are allowed",
                             S_ASSIGNMENT, self->worker_count, SQ_CLUSTER_MAX_WORKERS);
    size_t executor_total = 0;
    char path[SQ_CLUSTER_PATH_MAX];
    for (size_t w = 0; w < self->worker_count; w++) {
        const sq_assignment_worker_t *worker = &self->workers[w];
        snprintf (path, sizeof path, "workers[%zu].supervisor_id", w);
        if (sq_cluster_state_check_name (S_ASSIGNMENT, path, worker->supervisor_id,
                                         SQ_CLUSTER_NODE_NAME))
            return -1;
        snprintf (path, sizeof path, "workers[%zu].host", w);
        if (sq_cluster_state_check_name (S_ASSIGNMENT, path, worker->host, SQ_CLUSTER_TEXT))
            return -1;
        snprintf (path, sizeof path, "workers[%zu].port", w);
        if (sq_cluster_state_check_integer (S_ASSIGNMENT, path, worker->port, 1, 65535))
            return -1;
        if (worker->executor_count == 0)
            return sq_error_set ("%s: field 'workers[%zu].executors' is empty; a worker runs at "
                                 "least one executor",
                                 S_ASSIGNMENT, w);
        for (size_t e = 0; e < worker->executor_count; e++) {
            const sq_task_range_t *range = &worker->executors[e];
            if (range->first_task < 1 || range->last_task > SQ_TASK_LAYOUT_MAX_TASK)
                return sq_error_set ("%s: field 'workers[%zu].executors[%zu]' ([%d, %d]) is out "
                                     "of range: task ids run from 1 to %d",
                                     S_ASSIGNMENT, w, e, range->first_task, range->last_task,
                                     SQ_TASK_LAYOUT_MAX_TASK);
            if (range->first_task > range->last_task)
                return sq_error_set ("%s: field 'workers[%zu].executors[%zu]' ([%d, %d]) is "
                                     "reversed: the first task comes after the last",
                                     S_ASSIGNMENT, w, e, range->first_task, range->last_task);
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

static int
s_compare_task_ranges (const void *a, const void *b)
{
    const sq_task_range_t *left = a, *right = b;
    return (left->first_task > right->first_task) - (left->first_task < right->first_task);
}

bool
sq_assignment_worker_same_executors (const sq_assignment_worker_t *self,
                                     const sq_assignment_worker_t *other)
{
    assert (self);
    assert (other);
    size_t count = self->executor_count;
    if (count != other->executor_count)
        return false;
    //  Sorted copies compared in one pass: a worker may run thousands.
    sq_task_range_t *mine = malloc ((count ? count : 1) * sizeof *mine);
    sq_task_range_t *theirs = malloc ((count ? count : 1) * sizeof *theirs);
    bool same = true;
    if (mine && theirs) {
        if (count) {
            memcpy (mine, self->executors, count * sizeof *mine);
            memcpy (theirs, other->executors, count * sizeof *theirs);
        }
        qsort (mine, count, sizeof *mine, s_compare_task_ranges);
        qsort (theirs, count, sizeof *theirs, s_compare_task_ranges);
        for (size_t e = 0; e < count && same; e++)
            same = mine[e].first_task == theirs[e].first_task &&
                   mine[e].last_task == theirs[e].last_task;
    } else //  out of memory: the slow way
        for (size_t e = 0; e < count && same; e++)
            same = s_worker_has_executor (other, self->executors[e]);
    free (mine);
    free (theirs);
    return same;
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

//  The workers of an assignment sorted by slot, or NULL when out of memory.
static const sq_assignment_worker_t **
s_workers_by_slot (const sq_assignment_t *self)
{
    const sq_assignment_worker_t **workers =
        malloc ((self->worker_count ? self->worker_count : 1) * sizeof *workers);
    if (!workers)
        return NULL;
    for (size_t w = 0; w < self->worker_count; w++)
        workers[w] = &self->workers[w];
    qsort (workers, self->worker_count, sizeof *workers, s_compare_slots);
    return workers;
}

bool
sq_assignment_same_placement (const sq_assignment_t *self, const sq_assignment_t *other)
{
    assert (self);
    assert (other);
    if (self->worker_count != other->worker_count)
        return false;
    //  Both sorted by slot and compared pairwise: thousands of workers.
    const sq_assignment_worker_t **mine = s_workers_by_slot (self);
    const sq_assignment_worker_t **theirs = s_workers_by_slot (other);
    bool same = true;
    for (size_t w = 0; w < self->worker_count && same; w++) {
        const sq_assignment_worker_t *left = mine ? mine[w] : &self->workers[w];
        const sq_assignment_worker_t *right =
            theirs && mine ? theirs[w]
                           : sq_assignment_find_slot (other, left->supervisor_id, left->port);
        same = right && left->port == right->port &&
               strcmp (left->supervisor_id, right->supervisor_id) == 0 &&
               strcmp (left->host, right->host) == 0 &&
               sq_assignment_worker_same_executors (left, right);
    }
    free (mine);
    free (theirs);
    return same;
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
            sq_cluster_state_set (entry, "supervisor_id", json_string (worker->supervisor_id), &rc);
            sq_cluster_state_set (entry, "host", json_string (worker->host), &rc);
            sq_cluster_state_set (entry, "port", json_integer (worker->port), &rc);
            sq_cluster_state_set (entry, "executors", executors, &rc);
        } else
            json_decref (executors);
        if (json_array_append_new (workers, entry))
            rc = -1;
    }
    if (root) {
        sq_cluster_state_set (root, "version", json_integer (SQ_CLUSTER_STATE_VERSION), &rc);
        sq_cluster_state_set (root, "topology_name", json_string (self->topology_name), &rc);
        sq_cluster_state_set (root, "topology_id", json_string (self->topology_id), &rc);
        sq_cluster_state_set (root, "generation", json_integer (self->generation), &rc);
        sq_cluster_state_set (root, "workers", workers, &rc);
    } else
        json_decref (workers);
    return sq_cluster_state_dump (S_ASSIGNMENT, root, rc);
}

//  Decode workers[index] into self; *total counts executors so far. 0 or -1.
static int
s_decode_worker (sq_assignment_t *self, json_t *workers, size_t index, size_t *total)
{
    char prefix[SQ_CLUSTER_PATH_MAX], list_path[SQ_CLUSTER_PATH_MAX],
        range_path[SQ_CLUSTER_PATH_MAX], end_path[SQ_CLUSTER_PATH_MAX];
    json_t *entry =
        sq_cluster_state_element (S_ASSIGNMENT, workers, "workers", index, JSON_OBJECT, prefix);
    if (!entry)
        return -1;
    const char *supervisor_id, *host;
    long long port;
    json_t *executors = NULL;
    if (sq_cluster_state_get_name (S_ASSIGNMENT, entry, prefix, "supervisor_id",
                                   SQ_CLUSTER_NODE_NAME, &supervisor_id) ||
        sq_cluster_state_get_name (S_ASSIGNMENT, entry, prefix, "host", SQ_CLUSTER_TEXT, &host) ||
        sq_cluster_state_get_integer (S_ASSIGNMENT, entry, prefix, "port", 1, 65535, &port) ||
        !(executors = sq_cluster_state_member (S_ASSIGNMENT, entry, prefix, "executors", JSON_ARRAY,
                                               list_path)) ||
        sq_cluster_state_check_array_size (S_ASSIGNMENT, list_path, executors,
                                           SQ_CLUSTER_MAX_EXECUTORS))
        return -1;
    *total += json_array_size (executors);
    if (*total > SQ_CLUSTER_MAX_EXECUTORS)
        return sq_error_set ("%s: the workers hold more than %d executors", S_ASSIGNMENT,
                             SQ_CLUSTER_MAX_EXECUTORS);
    int worker = sq_assignment_add_worker (self, supervisor_id, host, (int) port);
    if (worker < 0)
        return -1;
    for (size_t e = 0; e < json_array_size (executors); e++) {
        json_t *range = sq_cluster_state_element (S_ASSIGNMENT, executors, list_path, e, JSON_ARRAY,
                                                  range_path);
        if (!range)
            return -1;
        if (json_array_size (range) != 2)
            return sq_error_set ("%s: field '%s' must be a [first_task, last_task] pair, got "
                                 "%zu entries",
                                 S_ASSIGNMENT, range_path, json_array_size (range));
        long long ends[2];
        for (size_t i = 0; i < 2; i++) {
            json_t *end = sq_cluster_state_element (S_ASSIGNMENT, range, range_path, i,
                                                    JSON_INTEGER, end_path);
            if (!end ||
                sq_cluster_state_check_integer (S_ASSIGNMENT, end_path, json_integer_value (end), 1,
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
    json_t *root = sq_cluster_state_parse (S_ASSIGNMENT, data, size);
    if (!root)
        return NULL;
    sq_assignment_t *self = NULL;
    const char *name, *id;
    long long generation;
    char path[SQ_CLUSTER_PATH_MAX];
    json_t *workers = NULL;
    if (sq_cluster_state_get_name (S_ASSIGNMENT, root, "", "topology_name", SQ_CLUSTER_NODE_NAME,
                                   &name) ||
        sq_cluster_state_get_name (S_ASSIGNMENT, root, "", "topology_id", SQ_CLUSTER_TEXT, &id) ||
        sq_cluster_state_get_integer (S_ASSIGNMENT, root, "", "generation", 0, INT64_MAX,
                                      &generation) ||
        !(workers =
              sq_cluster_state_member (S_ASSIGNMENT, root, "", "workers", JSON_ARRAY, path)) ||
        sq_cluster_state_check_array_size (S_ASSIGNMENT, "workers", workers,
                                           SQ_CLUSTER_MAX_WORKERS))
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
