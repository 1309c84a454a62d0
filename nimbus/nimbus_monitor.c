/*  nimbus_monitor - which workers are alive, from their heartbeats */
#include "nimbus_monitor.h"
#include "sq_executor_metrics.h"

#include <czmq.h>
#include <limits.h>
#include <string.h>

//  What the monitor knows of one watched slot.
typedef struct {
    char *topology_id;      //  the topology whose worker runs there
    int64_t assigned_at;    //  when the slot was first seen in the assignment
    int64_t last_heartbeat; //  when its worker last sent a heartbeat; 0 never
    json_t *stats;          //  counters of its last heartbeat, or NULL
    json_t *metrics;        //  executors' metrics of its last heartbeat that had them, or NULL
} s_slot_t;

struct _nimbus_monitor_t {
    int64_t timeout_ms;        //  silence after which a worker is dead
    int64_t started;           //  when the monitor was created
    zhashx_t *slots;           //  "<id>\n<supervisor>\n<port>" -> s_slot_t
    nimbus_metrics_t *windows; //  the metrics' windows per topology
};

static void
s_slot_destroy (void **item_p)
{
    s_slot_t *slot = *item_p;
    if (slot) {
        free (slot->topology_id);
        json_decref (slot->stats);
        json_decref (slot->metrics);
        free (slot);
        *item_p = NULL;
    }
}

//  The key of a slot. Caller frees.
static char *
s_key (const char *topology_id, const char *supervisor_id, int port)
{
    return zsys_sprintf ("%s\n%s\n%d", topology_id, supervisor_id, port);
}

nimbus_monitor_t *
nimbus_monitor_new (int64_t timeout_ms, int64_t now)
{
    nimbus_monitor_t *self = calloc (1, sizeof (nimbus_monitor_t));
    if (!self)
        return NULL;
    self->timeout_ms = timeout_ms;
    self->started = now;
    self->slots = zhashx_new ();
    self->windows = nimbus_metrics_new ();
    if (!self->slots || !self->windows) {
        zhashx_destroy (&self->slots);
        nimbus_metrics_destroy (&self->windows);
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->slots, s_slot_destroy);
    return self;
}

void
nimbus_monitor_destroy (nimbus_monitor_t **self_p)
{
    assert (self_p);
    nimbus_monitor_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->slots);
    nimbus_metrics_destroy (&self->windows);
    free (self);
    *self_p = NULL;
}

//  Forget the slots of topology_id that keep does not hold (NULL: all).
static void
s_forget (nimbus_monitor_t *self, const char *topology_id, zhashx_t *keep)
{
    //  Keys are removed after the walk, which must not change the table.
    zlist_t *doomed = zlist_new ();
    if (!doomed)
        return;
    zlist_autofree (doomed);
    for (s_slot_t *slot = zhashx_first (self->slots); slot; slot = zhashx_next (self->slots)) {
        const char *key = zhashx_cursor (self->slots);
        if (strcmp (slot->topology_id, topology_id) == 0 && !(keep && zhashx_lookup (keep, key)))
            zlist_append (doomed, (void *) key);
    }
    for (char *key = zlist_first (doomed); key; key = zlist_next (doomed))
        zhashx_delete (self->slots, key);
    zlist_destroy (&doomed);
}

int
nimbus_monitor_watch (nimbus_monitor_t *self, const sq_assignment_t *assignment, int64_t now)
{
    assert (self);
    assert (assignment);
    zhashx_t *keep = zhashx_new ();
    if (!keep)
        return -1;
    int rc = 0;
    for (size_t w = 0; rc == 0 && w < assignment->worker_count; w++) {
        const sq_assignment_worker_t *worker = &assignment->workers[w];
        char *key = s_key (assignment->topology_id, worker->supervisor_id, worker->port);
        if (!key) {
            rc = -1;
            break;
        }
        zhashx_insert (keep, key, (void *) 1);
        if (!zhashx_lookup (self->slots, key)) {
            s_slot_t *slot = calloc (1, sizeof (s_slot_t));
            if (slot)
                slot->topology_id = strdup (assignment->topology_id);
            if (!slot || !slot->topology_id || zhashx_insert (self->slots, key, slot)) {
                s_slot_destroy ((void **) &slot);
                rc = -1;
            } else
                slot->assigned_at = now;
        }
        free (key);
    }
    if (rc == 0)
        s_forget (self, assignment->topology_id, keep);
    zhashx_destroy (&keep);
    return rc;
}

void
nimbus_monitor_forget (nimbus_monitor_t *self, const char *topology_id)
{
    assert (self);
    assert (topology_id);
    s_forget (self, topology_id, NULL);
    nimbus_metrics_forget (self->windows, topology_id);
}

nimbus_metrics_t *
nimbus_monitor_windows (nimbus_monitor_t *self)
{
    assert (self);
    return self->windows;
}

int
nimbus_monitor_heartbeat (nimbus_monitor_t *self, const char *topology_id,
                          const char *supervisor_id, int port, const json_t *stats, int64_t now)
{
    assert (self);
    char *key = s_key (topology_id, supervisor_id, port);
    s_slot_t *slot = key ? zhashx_lookup (self->slots, key) : NULL;
    free (key);
    if (!slot)
        return -1;
    slot->last_heartbeat = now;
    json_decref (slot->stats);
    slot->stats = stats ? json_deep_copy (stats) : NULL;
    return 0;
}

//  The watched slot of a worker, or NULL.
static s_slot_t *
s_slot (nimbus_monitor_t *self, const char *topology_id, const char *supervisor_id, int port)
{
    char *key = s_key (topology_id, supervisor_id, port);
    s_slot_t *slot = key ? zhashx_lookup (self->slots, key) : NULL;
    free (key);
    return slot;
}

int
nimbus_monitor_store_metrics (nimbus_monitor_t *self, const char *topology_id,
                              const char *supervisor_id, int port, json_t *metrics)
{
    assert (self);
    assert (metrics);
    s_slot_t *slot = s_slot (self, topology_id, supervisor_id, port);
    if (!slot)
        return -1;
    json_decref (slot->metrics);
    slot->metrics = json_incref (metrics);
    return 0;
}

const json_t *
nimbus_monitor_metrics (nimbus_monitor_t *self, const char *topology_id, const char *supervisor_id,
                        int port)
{
    assert (self);
    s_slot_t *slot = s_slot (self, topology_id, supervisor_id, port);
    return slot ? slot->metrics : NULL;
}

json_t *
nimbus_monitor_topology_metrics (nimbus_monitor_t *self, const char *topology_id)
{
    assert (self);
    json_t *workers = json_array ();
    for (s_slot_t *slot = zhashx_first (self->slots); workers && slot;
         slot = zhashx_next (self->slots)) {
        if (strcmp (slot->topology_id, topology_id) != 0 || !slot->metrics)
            continue;
        //  The key is "<id>\n<supervisor>\n<port>"; ids hold no newline.
        const char *key = zhashx_cursor (self->slots);
        const char *supervisor = strchr (key, '\n') + 1;
        const char *port = strrchr (key, '\n') + 1;
        json_t *worker = json_pack ("{s:s%, s:i, s:O}", "supervisor", supervisor,
                                    (size_t) (port - 1 - supervisor), "port", atoi (port),
                                    "metrics", slot->metrics);
        if (!worker || json_array_append_new (workers, worker)) {
            json_decref (workers);
            return NULL;
        }
    }
    return workers;
}

//  Add the integer field of from to the integer field name of to (a
//  missing field counts 0), holding at the largest integer.
static int
s_add (json_t *to, const char *name, json_int_t add)
{
    json_int_t total = json_integer_value (json_object_get (to, name));
    if (__builtin_add_overflow (total, add, &total))
        total = LLONG_MAX;
    return json_object_set_new (to, name, json_integer (total));
}

//  Add one executor of a checked metrics snapshot to the counts, with its
//  tasks' share of blames (the topology's workers' `blame` objects).
static int
s_add_executor (json_t *counts, const json_t *executor, const json_t *blames)
{
    const char *id = json_string_value (json_object_get (executor, "component"));
    json_t *component = json_object_get (counts, id);
    if (!component) {
        component = json_pack ("{s:O, s:{}, s:{}}", "spout", json_object_get (executor, "spout"),
                               "emitted", "transferred");
        if (!component || json_object_set_new (counts, id, component))
            return -1;
        for (const char **field =
                 (const char *[]){"acked", "failed", "timed_out", "executed", "executors", "tasks",
                                  "timeouts_held", "fails_blamed", NULL};
             *field; field++)
            if (json_object_set_new (component, *field, json_integer (0)))
                return -1;
    }
    json_t *tasks = json_object_get (executor, "tasks");
    int rc = s_add (component, "executors", 1) ||
             s_add (component, "tasks",
                    json_integer_value (json_array_get (tasks, 1)) -
                        json_integer_value (json_array_get (tasks, 0)) + 1);
    size_t index;
    json_t *item;
    uint64_t held = 0, fails = 0;
    json_array_foreach (blames, index, item) sq_executor_metrics_blame_add (
        item, (int) json_integer_value (json_array_get (tasks, 0)),
        (int) json_integer_value (json_array_get (tasks, 1)), &held, &fails);
    rc = rc || s_add (component, "timeouts_held", held > LLONG_MAX ? LLONG_MAX : (json_int_t) held);
    rc =
        rc || s_add (component, "fails_blamed", fails > LLONG_MAX ? LLONG_MAX : (json_int_t) fails);
    json_array_foreach (json_object_get (executor, "streams"), index, item)
    {
        const char *stream = json_string_value (json_object_get (item, "stream"));
        rc = rc || s_add (json_object_get (component, "emitted"), stream,
                          json_integer_value (json_object_get (item, "emitted")));
        rc = rc || s_add (json_object_get (component, "transferred"), stream,
                          json_integer_value (json_object_get (item, "transferred")));
        for (const char **field = (const char *[]){"acked", "failed", "timed_out", NULL};
             !rc && *field; field++)
            rc = s_add (component, *field, json_integer_value (json_object_get (item, *field)));
    }
    json_array_foreach (json_object_get (executor, "inputs"), index, item)
    {
        for (const char **field = (const char *[]){"acked", "failed", "executed", NULL};
             !rc && *field; field++)
            rc = s_add (component, *field, json_integer_value (json_object_get (item, *field)));
    }
    return rc ? -1 : 0;
}

json_t *
nimbus_monitor_component_counts (nimbus_monitor_t *self, const char *topology_id)
{
    assert (self);
    json_t *counts = json_object ();
    //  The ackers count per culprit task, whatever worker runs it: every
    //  worker's blame counts for every executor.
    json_t *blames = json_array ();
    for (s_slot_t *slot = zhashx_first (self->slots); blames && slot;
         slot = zhashx_next (self->slots)) {
        json_t *blame = json_object_get (slot->metrics, "blame");
        if (strcmp (slot->topology_id, topology_id) == 0 && blame &&
            json_array_append (blames, blame)) {
            json_decref (blames);
            blames = NULL;
        }
    }
    for (s_slot_t *slot = zhashx_first (self->slots); counts && blames && slot;
         slot = zhashx_next (self->slots)) {
        if (strcmp (slot->topology_id, topology_id) != 0 || !slot->metrics)
            continue;
        size_t index;
        json_t *executor;
        json_array_foreach (json_object_get (slot->metrics, "executors"), index, executor)
        {
            if (s_add_executor (counts, executor, blames)) {
                json_decref (counts);
                counts = NULL;
                break;
            }
        }
    }
    if (!blames) {
        json_decref (counts);
        counts = NULL;
    }
    json_decref (blames);
    return counts;
}

json_t *
nimbus_monitor_totals (nimbus_monitor_t *self, const char *topology_id)
{
    assert (self);
    json_t *totals = json_object ();
    for (s_slot_t *slot = zhashx_first (self->slots); totals && slot;
         slot = zhashx_next (self->slots)) {
        if (strcmp (slot->topology_id, topology_id) != 0 || !slot->stats)
            continue;
        const char *name;
        json_t *value;
        json_object_foreach (slot->stats, name, value)
        {
            //  Counters add up; other fields (latencies) are not totals.
            if (!json_is_integer (value))
                continue;
            //  Workers send what they like: a sum that does not fit holds
            //  at the end it ran past.
            json_t *sum = json_object_get (totals, name);
            json_int_t total = sum ? json_integer_value (sum) : 0;
            json_int_t add = json_integer_value (value);
            if (__builtin_add_overflow (total, add, &total))
                total = add > 0 ? LLONG_MAX : LLONG_MIN;
            json_object_set_new (totals, name, json_integer (total));
        }
    }
    return totals;
}

size_t
nimbus_monitor_dead_slots (nimbus_monitor_t *self, const sq_assignment_t *assignment, int64_t now,
                           nimbus_slot_t **slots_p)
{
    assert (self);
    assert (assignment);
    assert (slots_p);
    *slots_p = NULL;
    size_t count = 0;
    for (size_t w = 0; w < assignment->worker_count; w++) {
        const sq_assignment_worker_t *worker = &assignment->workers[w];
        char *key = s_key (assignment->topology_id, worker->supervisor_id, worker->port);
        s_slot_t *slot = key ? zhashx_lookup (self->slots, key) : NULL;
        free (key);
        int64_t since = self->started;
        if (slot && slot->assigned_at > since)
            since = slot->assigned_at;
        if (slot && slot->last_heartbeat > since)
            since = slot->last_heartbeat;
        if (now - since <= self->timeout_ms)
            continue;
        if (!*slots_p)
            *slots_p = calloc (assignment->worker_count, sizeof (nimbus_slot_t));
        if (!*slots_p)
            return 0;
        (*slots_p)[count++] = (nimbus_slot_t){worker->supervisor_id, worker->port};
    }
    return count;
}

int64_t
nimbus_monitor_silence (nimbus_monitor_t *self, const char *topology_id, const char *supervisor_id,
                        int port, int64_t now)
{
    assert (self);
    char *key = s_key (topology_id, supervisor_id, port);
    s_slot_t *slot = key ? zhashx_lookup (self->slots, key) : NULL;
    free (key);
    return slot && slot->last_heartbeat ? now - slot->last_heartbeat : -1;
}

int64_t
nimbus_monitor_supervisor_silence (nimbus_monitor_t *self, const char *supervisor_id, int64_t now)
{
    assert (self);
    assert (supervisor_id);
    size_t length = strlen (supervisor_id);
    int64_t latest = -1;
    for (s_slot_t *slot = zhashx_first (self->slots); slot; slot = zhashx_next (self->slots)) {
        //  The key is "<id>\n<supervisor>\n<port>"; the id has no newline.
        const char *key = zhashx_cursor (self->slots);
        const char *supervisor = strchr (key, '\n');
        if (!supervisor || strncmp (supervisor + 1, supervisor_id, length) != 0 ||
            supervisor[1 + length] != '\n')
            continue;
        int64_t heard = self->started;
        if (slot->assigned_at > heard)
            heard = slot->assigned_at;
        if (slot->last_heartbeat > heard)
            heard = slot->last_heartbeat;
        if (heard > latest)
            latest = heard;
    }
    return latest < 0 ? -1 : now - latest;
}
