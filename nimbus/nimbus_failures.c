/*  nimbus_failures - the latest worker failures of each topology */
#include "nimbus_failures.h"
#include "sq_error.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct _nimbus_failures_t {
    zhashx_t *topologies; //  topology id -> json_t array of records, newest first
};

static void
s_records_free (void **item_p)
{
    json_t *records = *item_p;
    json_decref (records);
    *item_p = NULL;
}

nimbus_failures_t *
nimbus_failures_new (void)
{
    nimbus_failures_t *self = calloc (1, sizeof (nimbus_failures_t));
    if (!self)
        return NULL;
    self->topologies = zhashx_new ();
    if (!self->topologies) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->topologies, s_records_free);
    return self;
}

void
nimbus_failures_destroy (nimbus_failures_t **self_p)
{
    assert (self_p);
    nimbus_failures_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->topologies);
    free (self);
    *self_p = NULL;
}

//  Checks field key of record: a string of 1..max bytes (0..max when
//  empty_ok), present unless optional. 0 or -1 with the error.
static int
s_check_string (const json_t *record, const char *key, size_t max, bool optional, bool empty_ok)
{
    const json_t *value = json_object_get (record, key);
    if (!value)
        return optional ? 0 : sq_error_set ("failure record: field '%s' is missing", key);
    if (!json_is_string (value))
        return sq_error_set ("failure record: field '%s' must be a string", key);
    size_t length = json_string_length (value);
    if (length > max)
        return sq_error_set ("failure record: field '%s' is %zu bytes, at most %zu", key, length,
                             max);
    if (length == 0 && !empty_ok)
        return sq_error_set ("failure record: field '%s' is empty", key);
    if (strlen (json_string_value (value)) != length)
        return sq_error_set ("failure record: field '%s' holds a NUL byte", key);
    return 0;
}

//  Checks field key of record: an integer from minimum to maximum,
//  present unless optional. 0 or -1 with the error.
static int
s_check_integer (const json_t *record, const char *key, json_int_t minimum, json_int_t maximum,
                 bool optional)
{
    const json_t *value = json_object_get (record, key);
    if (!value)
        return optional ? 0 : sq_error_set ("failure record: field '%s' is missing", key);
    if (!json_is_integer (value))
        return sq_error_set ("failure record: field '%s' must be an integer", key);
    json_int_t number = json_integer_value (value);
    if (number < minimum || number > maximum)
        return sq_error_set ("failure record: field '%s' is %lld, not from %lld to %lld", key,
                             (long long) number, (long long) minimum, (long long) maximum);
    return 0;
}

int
nimbus_failures_check (const json_t *record)
{
    static const char *const known[] = {
        "id",       "topology",        "topology_id", "host",      "port", "time_ms", "cause",
        "restarts", "next_restart_ms", "log_tail",    "component", "task", "message"};
    if (!json_is_object (record))
        return sq_error_set ("failure record: must be an object");
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) record, key, value)
    {
        bool found = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !found; i++)
            found = strcmp (key, known[i]) == 0;
        if (!found)
            return sq_error_set ("failure record: unknown field '%.64s'", key);
    }
    if (s_check_string (record, "id", NIMBUS_FAILURES_TEXT_MAX, false, false) ||
        s_check_string (record, "topology", NIMBUS_FAILURES_TEXT_MAX, false, false) ||
        s_check_string (record, "topology_id", NIMBUS_FAILURES_TEXT_MAX, false, false) ||
        s_check_string (record, "host", NIMBUS_FAILURES_TEXT_MAX, false, false) ||
        s_check_string (record, "cause", NIMBUS_FAILURES_TEXT_MAX, false, false) ||
        s_check_integer (record, "port", 1, 65535, false) ||
        s_check_integer (record, "time_ms", 0, INT64_MAX, false) ||
        s_check_integer (record, "restarts", 0, INT32_MAX, false) ||
        s_check_integer (record, "next_restart_ms", -1, 86400000, false) ||
        s_check_string (record, "log_tail", NIMBUS_FAILURES_LOG_MAX, false, true) ||
        s_check_string (record, "component", NIMBUS_FAILURES_TEXT_MAX, true, false) ||
        s_check_integer (record, "task", 0, INT32_MAX, true) ||
        s_check_string (record, "message", NIMBUS_FAILURES_MESSAGE_MAX, true, true))
        return -1;
    if (json_object_get (record, "task") && !json_object_get (record, "component"))
        return sq_error_set ("failure record: field 'task' without a 'component'");
    return 0;
}

//  True when records holds one with the id of record.
static bool
s_known (const json_t *records, const char *id)
{
    size_t index;
    const json_t *kept;
    json_array_foreach (records, index, kept)
    {
        if (strcmp (json_string_value (json_object_get (kept, "id")), id) == 0)
            return true;
    }
    return false;
}

int
nimbus_failures_add (nimbus_failures_t *self, const char *supervisor_id, const json_t *record)
{
    assert (self);
    assert (supervisor_id);
    if (nimbus_failures_check (record))
        return -1;
    const char *topology_id = json_string_value (json_object_get (record, "topology_id"));
    const char *id = json_string_value (json_object_get (record, "id"));
    json_t *records = zhashx_lookup (self->topologies, topology_id);
    if (records && s_known (records, id))
        return 0;
    json_t *copy = json_deep_copy (record);
    if (!copy || json_object_set_new (copy, "supervisor",
                                      json_stringn (supervisor_id, strnlen (supervisor_id, 256)))) {
        json_decref (copy);
        return sq_error_set ("out of memory");
    }
    if (!records) {
        records = json_array ();
        if (!records || zhashx_insert (self->topologies, topology_id, records)) {
            json_decref (records);
            json_decref (copy);
            return sq_error_set ("out of memory");
        }
    }
    //  Newest first by the supervisor's clock; a record that comes late
    //  (a heartbeat delayed) goes where its time puts it.
    json_int_t time_ms = json_integer_value (json_object_get (copy, "time_ms"));
    size_t at = 0;
    while (at < json_array_size (records) &&
           json_integer_value (json_object_get (json_array_get (records, at), "time_ms")) > time_ms)
        at++;
    if (json_array_insert_new (records, at, copy))
        return sq_error_set ("out of memory");
    while (json_array_size (records) > NIMBUS_FAILURES_KEPT)
        json_array_remove (records, json_array_size (records) - 1);
    return at < NIMBUS_FAILURES_KEPT ? 1 : 0;
}

json_t *
nimbus_failures_list (nimbus_failures_t *self, const char *topology_id)
{
    assert (self);
    assert (topology_id);
    json_t *records = zhashx_lookup (self->topologies, topology_id);
    return records ? json_deep_copy (records) : json_array ();
}

const json_t *
nimbus_failures_last (nimbus_failures_t *self, const char *topology_id)
{
    assert (self);
    assert (topology_id);
    return json_array_get (zhashx_lookup (self->topologies, topology_id), 0);
}

const json_t *
nimbus_failures_last_of (nimbus_failures_t *self, const char *topology_id, const char *component)
{
    assert (self);
    assert (topology_id);
    assert (component);
    size_t index;
    const json_t *record;
    json_array_foreach ((json_t *) zhashx_lookup (self->topologies, topology_id), index, record)
    {
        const char *named = json_string_value (json_object_get (record, "component"));
        if (named && strcmp (named, component) == 0)
            return record;
    }
    return NULL;
}

void
nimbus_failures_summarize (nimbus_failures_t *self, const char *topology_id, int64_t now,
                           json_t *summary)
{
    assert (self);
    assert (topology_id);
    assert (summary);
    const json_t *last = nimbus_failures_last (self, topology_id);
    json_int_t age = last ? now - json_integer_value (json_object_get (last, "time_ms")) / 1000 : 0;
    json_object_set_new (summary, "failing",
                         json_boolean (last && age < NIMBUS_FAILURES_FAILING_SECS));
    if (last)
        json_object_set_new (summary, "last_failure", json_deep_copy (last));
}

void
nimbus_failures_forget (nimbus_failures_t *self, const char *topology_id)
{
    assert (self);
    assert (topology_id);
    zhashx_delete (self->topologies, topology_id);
}

size_t
nimbus_failures_topologies (nimbus_failures_t *self)
{
    assert (self);
    return zhashx_size (self->topologies);
}
