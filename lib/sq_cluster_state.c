/*  sq_cluster_state - what the ZooKeeper records share: version, limits, checks

    Decoding reads a field in two steps: sq_cluster_state_member or
    sq_cluster_state_element checks that it is there and has the right JSON
    type, then sq_cluster_state_check_integer or _check_name checks its
    value. Every message starts with the record kind and names the field by
    its path in the record ("workers[2].executors[0]").
*/
#include "sq_cluster_state.h"
#include "sq_error.h"
#include "sq_task_layout.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

json_t *
sq_cluster_state_member (const char *kind, json_t *object, const char *prefix, const char *field,
                         json_type type, char *path)
{
    int length = snprintf (path, SQ_CLUSTER_PATH_MAX, "%s%s%s", prefix, *prefix ? "." : "", field);
    assert (length > 0 && length < SQ_CLUSTER_PATH_MAX); //  paths are short: arrays are bounded
    json_t *value = json_object_get (object, field);
    if (!value) {
        sq_error_set ("%s: field '%s' is missing", kind, path);
        return NULL;
    }
    return s_check_type (kind, value, path, type);
}

json_t *
sq_cluster_state_element (const char *kind, json_t *array, const char *prefix, size_t index,
                          json_type type, char *path)
{
    int length = snprintf (path, SQ_CLUSTER_PATH_MAX, "%s[%zu]", prefix, index);
    assert (length > 0 && length < SQ_CLUSTER_PATH_MAX);
    return s_check_type (kind, json_array_get (array, index), path, type);
}

int
sq_cluster_state_check_integer (const char *kind, const char *path, long long value, long long min,
                                long long max)
{
    if (value < min || value > max)
        return sq_error_set ("%s: field '%s' is out of range (%lld..%lld), got %lld", kind, path,
                             min, max, value);
    return 0;
}

int
sq_cluster_state_check_array_size (const char *kind, const char *path, const json_t *array,
                                   size_t max)
{
    if (json_array_size (array) > max)
        return sq_error_set ("%s: field '%s' has %zu entries, at most %zu are allowed", kind, path,
                             json_array_size (array), max);
    return 0;
}

int
sq_cluster_state_check_name (const char *kind, const char *path, const char *value,
                             sq_cluster_name_rule_t rule)
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
    if (rule == SQ_CLUSTER_NODE_NAME && strchr (value, '/'))
        return sq_error_set ("%s: field '%s' must not contain '/', got \"%s\"", kind, path, value);
    if (rule == SQ_CLUSTER_NODE_NAME && (strcmp (value, ".") == 0 || strcmp (value, "..") == 0))
        return sq_error_set ("%s: field '%s' must not be \"%s\"", kind, path, value);
    return 0;
}

int
sq_cluster_state_get_integer (const char *kind, json_t *object, const char *prefix,
                              const char *field, long long min, long long max, long long *value_p)
{
    char path[SQ_CLUSTER_PATH_MAX];
    json_t *value = sq_cluster_state_member (kind, object, prefix, field, JSON_INTEGER, path);
    if (!value)
        return -1;
    *value_p = json_integer_value (value);
    return sq_cluster_state_check_integer (kind, path, *value_p, min, max);
}

int
sq_cluster_state_get_name (const char *kind, json_t *object, const char *prefix, const char *field,
                           sq_cluster_name_rule_t rule, const char **value_p)
{
    char path[SQ_CLUSTER_PATH_MAX];
    json_t *value = sq_cluster_state_member (kind, object, prefix, field, JSON_STRING, path);
    if (!value)
        return -1;
    *value_p = json_string_value (value);
    return sq_cluster_state_check_name (kind, path, *value_p, rule);
}

json_t *
sq_cluster_state_parse (const char *kind, const void *data, size_t size)
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
    if (sq_cluster_state_get_integer (kind, root, "", "version", 0, 0x7FFFFFFF, &version)) {
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

void
sq_cluster_state_set (json_t *object, const char *field, json_t *value, int *rc)
{
    if (json_object_set_new (object, field, value))
        *rc = -1;
}

char *
sq_cluster_state_dump (const char *kind, json_t *root, int rc)
{
    char *text = root && rc == 0 ? json_dumps (root, JSON_COMPACT) : NULL;
    json_decref (root);
    if (!text)
        sq_error_set ("%s: cannot encode (out of memory, or a string that is not UTF-8)", kind);
    return text;
}
