/*  nimbus_rest - Storm's UI REST API on nimbus: routing and answers */
#include "nimbus_rest.h"
#include "nimbus_history.h"
#include "nimbus_topology.h"
#include "sq_assignment.h"
#include "sq_cluster_state.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"
#include "sq_zk_auth.h"

#include <ctype.h>
#include <string.h>

#define S_MAX_SEGMENTS 7                //  segments of the longest route
#define S_MAX_PARAMETER 32              //  longest decoded query value or :wait read
#define S_MAX_WAIT_SECS (7 * 24 * 3600) //  longest :wait of kill and rebalance

//  ---------------------------------------------------------------------
//  Routing

//  One path segment, decoded.
typedef struct {
    char text[NIMBUS_REST_MAX_ID + 1]; //  decoded bytes, NUL-terminated
    bool too_long;                     //  longer than NIMBUS_REST_MAX_ID once decoded
} s_segment_t;

static int
s_refuse (nimbus_rest_route_t *route, int status, const char *error)
{
    route->handler = NIMBUS_REST_NONE;
    route->status = status;
    route->error = error;
    return status;
}

static int
s_hex (int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

//  Percent-decode raw[0..length) into out (size bytes, NUL-terminated).
//  Returns the decoded length (size or more: it did not fit), or -1 on a
//  broken escape or a control character (NUL included).
static long
s_decode (const char *raw, size_t length, char *out, size_t size)
{
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        int c = (unsigned char) raw[i];
        if (c == '%') {
            if (i + 2 >= length)
                return -1;
            int high = s_hex ((unsigned char) raw[i + 1]);
            int low = s_hex ((unsigned char) raw[i + 2]);
            if (high < 0 || low < 0)
                return -1;
            c = high * 16 + low;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f)
            return -1;
        if (used + 1 < size)
            out[used] = (char) c;
        used++;
    }
    out[used + 1 < size ? used : size - 1] = 0;
    return (long) used;
}

//  Split and decode path into segments; *count_p gets their number.
//  Returns 0, or the refusal's status.
static int
s_split (const char *path, s_segment_t *segments, size_t *count_p, nimbus_rest_route_t *route)
{
    if (path[0] != '/')
        return s_refuse (route, 400, "the path must start with '/'");
    if (strcmp (path, "/") == 0)
        return s_refuse (route, 404, "no such path: the API is under /api/v1/");
    size_t count = 0;
    const char *start = path + 1;
    while (true) {
        const char *end = strchr (start, '/');
        size_t length = end ? (size_t) (end - start) : strlen (start);
        if (length == 0)
            return s_refuse (route, 400, "the path has an empty segment");
        if (count == S_MAX_SEGMENTS)
            return s_refuse (route, 404, "no such path");
        s_segment_t *segment = &segments[count++];
        long decoded = s_decode (start, length, segment->text, sizeof segment->text);
        if (decoded < 0)
            return s_refuse (route, 400,
                             "the path has a broken percent escape or a control character");
        segment->too_long = decoded > NIMBUS_REST_MAX_ID;
        if (strcmp (segment->text, ".") == 0 || strcmp (segment->text, "..") == 0)
            return s_refuse (route, 400, "the path has a '.' or '..' segment");
        if (!end)
            break;
        start = end + 1;
    }
    *count_p = count;
    return 0;
}

//  True when segment is exactly word.
static bool
s_is (const s_segment_t *segment, const char *word)
{
    return !segment->too_long && strcmp (segment->text, word) == 0;
}

//  The handler a path names (NONE when none), from its segments.
static nimbus_rest_handler_t
s_match (const s_segment_t *s, size_t count)
{
    if (count == 1 && s_is (&s[0], "metrics"))
        return NIMBUS_REST_METRICS;
    if (count < 4 || !s_is (&s[0], "api") || !s_is (&s[1], "v1"))
        return NIMBUS_REST_NONE;
    if (count == 4 && s_is (&s[3], "summary")) {
        if (s_is (&s[2], "cluster"))
            return NIMBUS_REST_CLUSTER_SUMMARY;
        if (s_is (&s[2], "nimbus"))
            return NIMBUS_REST_NIMBUS_SUMMARY;
        if (s_is (&s[2], "supervisor"))
            return NIMBUS_REST_SUPERVISOR_SUMMARY;
        if (s_is (&s[2], "topology"))
            return NIMBUS_REST_TOPOLOGY_SUMMARY;
    }
    if (count == 4 && s_is (&s[2], "cluster") && s_is (&s[3], "configuration"))
        return NIMBUS_REST_CLUSTER_CONFIGURATION;
    if (!s_is (&s[2], "topology"))
        return NIMBUS_REST_NONE;
    if (count == 4)
        return NIMBUS_REST_TOPOLOGY;
    if (count == 5 && s_is (&s[4], "visualization"))
        return NIMBUS_REST_VISUALIZATION;
    if (count == 5 && s_is (&s[4], "history"))
        return NIMBUS_REST_HISTORY;
    if (count == 5 && s_is (&s[4], "activate"))
        return NIMBUS_REST_ACTIVATE;
    if (count == 5 && s_is (&s[4], "deactivate"))
        return NIMBUS_REST_DEACTIVATE;
    if (count == 5 && s_is (&s[4], "traces"))
        return NIMBUS_REST_TRACES;
    //  Storm's debug route: .../debug/enable/:pct, .../debug/disable[/:pct]
    if ((count == 7 && s_is (&s[4], "debug") && s_is (&s[5], "enable")) ||
        ((count == 6 || count == 7) && s_is (&s[4], "debug") && s_is (&s[5], "disable")))
        return NIMBUS_REST_DEBUG;
    if (count != 6)
        return NIMBUS_REST_NONE;
    if (count == 6 && s_is (&s[4], "component"))
        return NIMBUS_REST_COMPONENT;
    if (count == 6 && s_is (&s[4], "rebalance"))
        return NIMBUS_REST_REBALANCE;
    if (count == 6 && s_is (&s[4], "kill"))
        return NIMBUS_REST_KILL;
    return NIMBUS_REST_NONE;
}

//  Read a decimal count of 1 to 9 digits from text (decoded); -1 when it
//  is not one.
static int
s_count (const char *text)
{
    size_t length = strlen (text);
    if (length == 0 || length > 9)
        return -1;
    for (size_t i = 0; i < length; i++)
        if (!isdigit ((unsigned char) text[i]))
            return -1;
    return atoi (text);
}

//  Read a percentage, 0 to 100 with at most 6 decimals, from text
//  (decoded); -1 when it is not one.
static double
s_percent (const char *text)
{
    size_t length = strlen (text), digits = 0, dots = 0;
    if (length == 0 || length > 10)
        return -1;
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '.')
            dots++;
        else if (isdigit ((unsigned char) text[i]))
            digits++;
        else
            return -1;
    }
    if (dots > 1 || digits == 0)
        return -1;
    double value = strtod (text, NULL);
    return value <= 100 ? value : -1;
}

//  Decode a raw query value into out (S_MAX_PARAMETER + 1 bytes); false
//  when it is broken or too long.
static bool
s_parameter (const char *raw, char *out)
{
    long length = s_decode (raw, strlen (raw), out, S_MAX_PARAMETER + 1);
    return length >= 0 && length <= S_MAX_PARAMETER;
}

//  Read the window and sys parameters into route. Returns 0, or the
//  refusal's status.
static int
s_query (const char *window, const char *sys, nimbus_rest_route_t *route)
{
    char text[S_MAX_PARAMETER + 1];
    if (window && *window) {
        if (!s_parameter (window, text))
            return s_refuse (route, 400, "parameter 'window' is malformed");
        if (strcmp (text, ":all-time") != 0) {
            route->window_secs = s_count (text);
            if (route->window_secs <= 0)
                return s_refuse (route, 400,
                                 "parameter 'window' must be ':all-time' or a number of seconds");
        }
    }
    if (sys && *sys) {
        if (!s_parameter (sys, text))
            return s_refuse (route, 400, "parameter 'sys' is malformed");
        if (strcmp (text, "1") == 0 || strcmp (text, "true") == 0)
            route->sys = true;
        else if (strcmp (text, "0") != 0 && strcmp (text, "false") != 0)
            return s_refuse (route, 400, "parameter 'sys' must be 1, 0, true or false");
    }
    return 0;
}

int
nimbus_rest_route (const char *method, const char *path, const char *window, const char *sys,
                   nimbus_rest_route_t *route)
{
    assert (method && path && route);
    memset (route, 0, sizeof *route);
    route->status = 200;
    if (strlen (path) > NIMBUS_REST_MAX_PATH)
        return s_refuse (route, 414, "the path is too long");
    s_segment_t segments[S_MAX_SEGMENTS];
    size_t count = 0;
    if (s_split (path, segments, &count, route))
        return route->status;
    nimbus_rest_handler_t handler = s_match (segments, count);
    if (handler == NIMBUS_REST_NONE)
        return s_refuse (route, 404, "no such path");
    bool post = handler == NIMBUS_REST_ACTIVATE || handler == NIMBUS_REST_DEACTIVATE ||
                handler == NIMBUS_REST_REBALANCE || handler == NIMBUS_REST_KILL ||
                handler == NIMBUS_REST_DEBUG;
    bool allowed = post ? strcmp (method, "POST") == 0
                        : strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
    if (!allowed) {
        s_refuse (route, 405, post ? "this path takes POST" : "this path takes GET");
        route->allow = post ? "POST" : "GET, HEAD";
        return 405;
    }
    if (count >= 4 && handler != NIMBUS_REST_TOPOLOGY_SUMMARY &&
        handler != NIMBUS_REST_CLUSTER_SUMMARY && handler != NIMBUS_REST_NIMBUS_SUMMARY &&
        handler != NIMBUS_REST_SUPERVISOR_SUMMARY && handler != NIMBUS_REST_CLUSTER_CONFIGURATION) {
        if (segments[3].too_long)
            return s_refuse (route, 404, "no topology with that id");
        strcpy (route->topology_id, segments[3].text);
    }
    if (handler == NIMBUS_REST_COMPONENT) {
        if (segments[5].too_long)
            return s_refuse (route, 404, "no component with that id");
        strcpy (route->component_id, segments[5].text);
    }
    if (handler == NIMBUS_REST_REBALANCE || handler == NIMBUS_REST_KILL) {
        route->wait_secs = segments[5].too_long ? -1 : s_count (segments[5].text);
        if (route->wait_secs < 0 || route->wait_secs > S_MAX_WAIT_SECS)
            return s_refuse (route, 400,
                             "the wait time must be a number of seconds, at most 604800");
    }
    if (handler == NIMBUS_REST_DEBUG && s_is (&segments[5], "enable")) {
        route->sample_pct = segments[6].too_long ? -1 : s_percent (segments[6].text);
        if (route->sample_pct < 0)
            return s_refuse (route, 400, "the sample percentage must be a number from 0 to 100");
    }
    if (s_query (window, sys, route))
        return route->status;
    route->handler = handler;
    return 200;
}

int
nimbus_rest_rebalance_options (const char *body, size_t size, int *workers_p)
{
    assert (workers_p);
    *workers_p = 0;
    if (!body || size == 0)
        return 0;
    json_error_t error;
    json_t *json = json_loadb (body, size, 0, &error);
    if (!json)
        return sq_error_set ("the body is not JSON: %s", error.text);
    json_t *options = json_object_get (json, "rebalanceOptions");
    json_t *workers = json_object_get (options, "numWorkers");
    int rc = 0;
    if (!json_is_object (json) || (options && !json_is_object (options)))
        rc = sq_error_set ("the body must be an object, its 'rebalanceOptions' too");
    else if (json_object_get (options, "executors"))
        rc = sq_error_set ("'executors' cannot be changed by a rebalance in Squall");
    else if (workers && (!json_is_integer (workers) || json_integer_value (workers) < 1 ||
                         json_integer_value (workers) > SQ_CLUSTER_MAX_WORKERS))
        rc = sq_error_set ("'numWorkers' must be an integer from 1 to %d", SQ_CLUSTER_MAX_WORKERS);
    else if (workers)
        *workers_p = (int) json_integer_value (workers);
    json_decref (json);
    return rc;
}

//  ---------------------------------------------------------------------
//  Small answers

//  The reason phrase of the statuses this API answers.
static const char *
s_reason (int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

json_t *
nimbus_rest_error (int status, const char *message)
{
    char error[64];
    snprintf (error, sizeof error, "%d %s", status, s_reason (status));
    return json_pack ("{s:s, s:s}", "error", error, "errorMessage", message ? message : "");
}

json_t *
nimbus_rest_action (const char *operation, const char *topology_id)
{
    assert (operation && topology_id);
    return json_pack ("{s:s, s:s, s:s}", "topologyOperation", operation, "topologyId", topology_id,
                      "status", "success");
}

char *
nimbus_rest_pretty_duration (int64_t secs, char *text, size_t size)
{
    assert (text && size > 0);
    if (secs < 0)
        secs = 0;
    int64_t days = secs / 86400, hours = secs / 3600 % 24, minutes = secs / 60 % 60;
    if (days)
        snprintf (text, size, "%lldd %lldh %lldm %llds", (long long) days, (long long) hours,
                  (long long) minutes, (long long) (secs % 60));
    else if (hours)
        snprintf (text, size, "%lldh %lldm %llds", (long long) hours, (long long) minutes,
                  (long long) (secs % 60));
    else if (minutes)
        snprintf (text, size, "%lldm %llds", (long long) minutes, (long long) (secs % 60));
    else
        snprintf (text, size, "%llds", (long long) secs);
    return text;
}

//  Set key to a pretty duration and keySeconds to secs on object.
void
nimbus_rest_set_uptime (json_t *object, const char *key, const char *seconds_key, int64_t secs)
{
    char text[64];
    json_object_set_new (object, key,
                         json_string (nimbus_rest_pretty_duration (secs, text, sizeof text)));
    json_object_set_new (object, seconds_key, json_integer (secs > 0 ? secs : 0));
}

//  ---------------------------------------------------------------------
//  What nimbus knows about topologies

//  The assignment of the topology of record (NULL when it has none, or
//  one of another submission).
static const sq_assignment_t *
s_assignment (const nimbus_rest_view_t *view, const sq_topology_record_t *record)
{
    const sq_assignment_t *assignment = nimbus_cluster_assignment (view->cluster, record->name);
    return assignment && strcmp (assignment->topology_id, record->id) == 0 ? assignment : NULL;
}

static size_t
s_task_count (const sq_assignment_t *assignment)
{
    size_t tasks = 0;
    for (size_t w = 0; assignment && w < assignment->worker_count; w++)
        for (size_t e = 0; e < assignment->workers[w].executor_count; e++)
            tasks += (size_t) (assignment->workers[w].executors[e].last_task -
                               assignment->workers[w].executors[e].first_task + 1);
    return tasks;
}

//  Storm's status: ACTIVE, INACTIVE, KILLED or REBALANCING.
static const char *
s_status (const nimbus_rest_view_t *view, const sq_topology_record_t *record)
{
    nimbus_topology_t *topology = zhashx_lookup (view->topologies, record->id);
    if (record->status != SQ_TOPOLOGY_KILLED &&
        (record->rebalance_workers > 0 || (topology && nimbus_topology_rebalancing (topology))))
        return "REBALANCING";
    switch (record->status) {
    case SQ_TOPOLOGY_ACTIVE:
        return "ACTIVE";
    case SQ_TOPOLOGY_INACTIVE:
        return "INACTIVE";
    case SQ_TOPOLOGY_KILLED:
        return "KILLED";
    }
    return "UNKNOWN";
}

//  The fields every topology answer shares: id, name, status, uptime,
//  tasks, workers, executors.
static json_t *
s_topology_summary (const nimbus_rest_view_t *view, const sq_topology_record_t *record)
{
    const sq_assignment_t *assignment = s_assignment (view, record);
    json_t *summary = json_pack (
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:b}", "id", record->id, "name", record->name,
        "status", s_status (view, record), "tasksTotal", (json_int_t) s_task_count (assignment),
        "workersTotal", (json_int_t) (assignment ? assignment->worker_count : 0), "executorsTotal",
        (json_int_t) (assignment ? sq_assignment_executor_count (assignment) : 0),
        "replicationCount", 1, "schedulerDisplayResource", 0);
    if (summary)
        nimbus_rest_set_uptime (summary, "uptime", "uptimeSeconds", view->now - record->submitted);
    //  Squall's: the workers topology.workers asked for, and whether
    //  workers keep failing (with the latest failure).
    if (summary &&
        json_object_set_new (summary, "requestedWorkers", json_integer (record->workers)))
        json_decref (summary), summary = NULL;
    if (summary && view->failures) {
        json_t *failures = json_object ();
        if (failures) {
            nimbus_failures_summarize (view->failures, record->id, view->now, failures);
            json_object_set (summary, "failing", json_object_get (failures, "failing"));
            if (json_object_get (failures, "last_failure"))
                json_object_set (summary, "lastFailure",
                                 json_object_get (failures, "last_failure"));
        }
        json_decref (failures);
    }
    return summary;
}

//  The executors nimbus knows for the topology of record (NULL, count 0,
//  while its package is being validated again).
static const nimbus_executor_t *
s_executors (const nimbus_rest_view_t *view, const sq_topology_record_t *record, size_t *count_p)
{
    nimbus_topology_t *topology = zhashx_lookup (view->topologies, record->id);
    *count_p = 0;
    return topology ? nimbus_topology_executors (topology, count_p) : NULL;
}

//  The component kinds and inputs nimbus knows, or NULL.
static const json_t *
s_components (const nimbus_rest_view_t *view, const sq_topology_record_t *record)
{
    nimbus_topology_t *topology = zhashx_lookup (view->topologies, record->id);
    return topology ? nimbus_topology_components (topology) : NULL;
}

//  "spout" or "bolt" (ackers and unknown components are bolts).
static const char *
s_component_type (const json_t *components, const char *component)
{
    const char *type =
        json_string_value (json_object_get (json_object_get (components, component), "type"));
    return type && strcmp (type, "spout") == 0 ? "spout" : "bolt";
}

static bool
s_is_system (const char *component)
{
    return strncmp (component, "__", 2) == 0;
}

//  The task range [first-last] as Storm writes an executor id.
static json_t *
s_executor_id (const nimbus_executor_t *executor)
{
    char text[64];
    snprintf (text, sizeof text, "[%d-%d]", executor->first_task, executor->last_task);
    return json_string (text);
}

//  ---------------------------------------------------------------------
//  Metrics: the heartbeats' executor metrics, per window (nimbus_metrics)

//  The window a route asks for: Storm's windows by their seconds (600,
//  10800, 86400); another number takes the shortest window at least that
//  long, beyond a day all time.
nimbus_window_t
nimbus_rest_window (const nimbus_rest_route_t *route)
{
    if (route->window_secs <= 0)
        return NIMBUS_WINDOW_ALL;
    for (nimbus_window_t w = NIMBUS_WINDOW_10M; w < NIMBUS_WINDOW_ALL; w++)
        if ((uint64_t) route->window_secs * 1000 <= nimbus_windows_length_ms (w))
            return w;
    return NIMBUS_WINDOW_ALL;
}

//  Storm's window and windowPretty of a window.
static void
s_set_window_names (json_t *object, nimbus_window_t window)
{
    char pretty[64] = "All time";
    if (window != NIMBUS_WINDOW_ALL)
        nimbus_rest_pretty_duration ((int64_t) (nimbus_windows_length_ms (window) / 1000), pretty,
                                     sizeof pretty);
    json_object_set_new (object, "window", json_string (nimbus_windows_name (window)));
    json_object_set_new (object, "windowPretty", json_string (pretty));
}

//  Storm writes latencies and capacity as strings with 3 decimals.
static json_t *
s_decimal (double value)
{
    char text[64];
    snprintf (text, sizeof text, "%.3f", value);
    return json_string (text);
}

//  A latency as Storm's mean in milliseconds (key), plus Squall's
//  keyP50, keyP99 and keyMax from the histogram.
static void
s_set_latency (json_t *object, const char *key, const sq_histogram_t *histogram)
{
    char name[64];
    json_object_set_new (object, key, s_decimal (sq_histogram_mean (histogram) / 1e6));
    snprintf (name, sizeof name, "%sP50", key);
    json_object_set_new (object, name,
                         s_decimal ((double) sq_histogram_quantile (histogram, 0.5) / 1e6));
    snprintf (name, sizeof name, "%sP99", key);
    json_object_set_new (object, name,
                         s_decimal ((double) sq_histogram_quantile (histogram, 0.99) / 1e6));
    snprintf (name, sizeof name, "%sMax", key);
    json_object_set_new (object, name, s_decimal ((double) sq_histogram_max (histogram) / 1e6));
}

//  Storm's counters and latencies of a spout's or a bolt's stats, and
//  Squall's additions: timedOut (Storm's failed counts fails plus
//  timeouts), the latency quantiles, the spout's held seconds, the
//  receive queue and the ackers' timeouts held and fails blamed.
void
nimbus_rest_set_stats (json_t *object, const nimbus_metrics_stats_t *stats, bool spout)
{
    json_object_set_new (object, "emitted", json_integer ((json_int_t) stats->emitted));
    json_object_set_new (object, "transferred", json_integer ((json_int_t) stats->transferred));
    json_object_set_new (object, "acked", json_integer ((json_int_t) stats->acked));
    json_object_set_new (object, "failed",
                         json_integer ((json_int_t) (stats->failed + stats->timed_out)));
    if (spout) {
        json_object_set_new (object, "timedOut", json_integer ((json_int_t) stats->timed_out));
        s_set_latency (object, "completeLatency", stats->complete_latency);
        json_object_set_new (object, "heldSecs",
                             json_pack ("{s:f, s:f, s:f}", "maxPending", stats->held_ns[0] / 1e9,
                                        "backpressure", stats->held_ns[1] / 1e9, "inactive",
                                        stats->held_ns[2] / 1e9));
    } else {
        json_object_set_new (object, "executed", json_integer ((json_int_t) stats->executed));
        s_set_latency (object, "executeLatency", stats->execute_latency);
        s_set_latency (object, "processLatency", stats->process_latency);
        json_object_set_new (object, "capacity", s_decimal (stats->capacity));
    }
    //  Why trees failed, from every worker's ackers: summed over the
    //  selected executors' tasks (doc/metrics.md).
    json_object_set_new (object, "timeoutsHeld", json_integer ((json_int_t) stats->timeouts_held));
    json_object_set_new (object, "failsBlamed", json_integer ((json_int_t) stats->fails_blamed));
    json_object_set_new (object, "receiveQueuePopulation",
                         json_integer ((json_int_t) stats->queue_population));
    json_object_set_new (
        object, "receiveQueuePercentFull",
        json_real (stats->queue_capacity
                       ? 100.0 * (double) stats->queue_population / (double) stats->queue_capacity
                       : 0.0));
}

//  Add up the sources filter selects over window into stats; false when
//  out of memory (stats then not initialised).
bool
nimbus_rest_stats (const nimbus_rest_source_t *source, const nimbus_metrics_filter_t *filter,
                   nimbus_window_t window, nimbus_metrics_stats_t *stats)
{
    if (nimbus_metrics_stats_init (stats))
        return false;
    nimbus_metrics_stats (source->metrics, source->topology_id, filter, window, source->now_ms,
                          stats);
    return true;
}

//  The metrics source of a topology nimbus knows (record), now.
static nimbus_rest_source_t
s_source (const nimbus_rest_view_t *view, const sq_topology_record_t *record)
{
    return (nimbus_rest_source_t){.metrics = nimbus_monitor_windows (view->monitor),
                                  .topology_id = record->id,
                                  .assignment = s_assignment (view, record),
                                  .now = view->now,
                                  .now_ms = (uint64_t) view->now_mono,
                                  .failures = view->failures};
}

//  nimbus_rest_stats of the heartbeats' metrics, now.
static bool
s_stats (const nimbus_rest_view_t *view, const char *topology_id,
         const nimbus_metrics_filter_t *filter, nimbus_window_t window,
         nimbus_metrics_stats_t *stats)
{
    nimbus_rest_source_t source = {.metrics = nimbus_monitor_windows (view->monitor),
                                   .topology_id = topology_id,
                                   .now = view->now,
                                   .now_ms = (uint64_t) view->now_mono};
    return nimbus_rest_stats (&source, filter, window, stats);
}

//  A component id as Storm's encoded ids write it: percent-encoded but for
//  letters, digits and -_.~.
json_t *
nimbus_rest_encoded (const char *id)
{
    char text[3 * NIMBUS_REST_MAX_ID + 1];
    size_t at = 0;
    for (const unsigned char *c = (const unsigned char *) id; *c && at + 4 <= sizeof text; c++) {
        if (isalnum (*c) || strchr ("-_.~", *c))
            text[at++] = (char) *c;
        else
            at += (size_t) snprintf (text + at, 4, "%%%02X", *c);
    }
    text[at] = 0;
    return json_string (text);
}

//  Storm's topologyStats: one entry per window, spouts' trees and every
//  component's emitted and transferred; Squall adds timedOut and executed.
json_t *
nimbus_rest_topology_stats (const nimbus_rest_source_t *source, const nimbus_rest_route_t *route)
{
    json_t *entries = json_array ();
    for (nimbus_window_t w = 0; entries && w < NIMBUS_WINDOW_COUNT; w++) {
        nimbus_metrics_stats_t all, spouts;
        nimbus_metrics_filter_t filter = {.sys = route->sys};
        if (!nimbus_rest_stats (source, &filter, w, &all))
            break;
        filter.spouts = true;
        if (!nimbus_rest_stats (source, &filter, w, &spouts)) {
            nimbus_metrics_stats_free (&all);
            break;
        }
        json_t *entry = json_object ();
        if (entry) {
            s_set_window_names (entry, w);
            nimbus_rest_set_stats (entry, &spouts, true);
            json_object_set_new (entry, "emitted", json_integer ((json_int_t) all.emitted));
            json_object_set_new (entry, "transferred", json_integer ((json_int_t) all.transferred));
            json_object_set_new (entry, "executed", json_integer ((json_int_t) all.executed));
            //  The ackers blame any component's tasks, not only spouts'.
            json_object_set_new (entry, "timeoutsHeld",
                                 json_integer ((json_int_t) all.timeouts_held));
            json_object_set_new (entry, "failsBlamed",
                                 json_integer ((json_int_t) all.fails_blamed));
        }
        nimbus_metrics_stats_free (&all);
        nimbus_metrics_stats_free (&spouts);
        if (json_array_append_new (entries, entry))
            json_decref (entries), entries = NULL;
    }
    return entries;
}

//  Storm's error fields of an error record ({"time_ms", "task", "error"}):
//  errorTime (ms), errorLapsedSecs, errorHost and errorPort of the worker
//  running the task; Squall adds errorTask.
static void
s_set_error (json_t *object, const nimbus_rest_source_t *source, const json_t *error,
             const char *text_key)
{
    const sq_assignment_t *assignment = source->assignment;
    json_int_t time_ms = json_integer_value (json_object_get (error, "time_ms"));
    json_int_t task = json_integer_value (json_object_get (error, "task"));
    json_object_set_new (object, text_key, json_incref (json_object_get (error, "error")));
    json_object_set_new (object, "errorTime", json_integer (time_ms));
    json_int_t lapsed = source->now - time_ms / 1000;
    json_object_set_new (object, "errorLapsedSecs", json_integer (lapsed > 0 ? lapsed : 0));
    json_object_set_new (object, "errorTask", json_integer (task));
    const sq_assignment_worker_t *worker =
        assignment ? sq_assignment_find_task (assignment, (int) task) : NULL;
    if (worker) {
        json_object_set_new (object, "errorHost", json_string (worker->host));
        json_object_set_new (object, "errorPort", json_integer (worker->port));
    }
}

//  Storm's error fields of a worker failure (nimbus_failures): lastError
//  is its cause and message, the host and port those of the worker.
static void
s_set_failure (json_t *object, const nimbus_rest_source_t *source, const json_t *failure)
{
    const char *cause = json_string_value (json_object_get (failure, "cause"));
    const char *message = json_string_value (json_object_get (failure, "message"));
    json_int_t time_ms = json_integer_value (json_object_get (failure, "time_ms"));
    json_object_set_new (object, "lastError",
                         message && *message ? json_sprintf ("worker %s: %s", cause, message)
                                             : json_sprintf ("worker %s", cause));
    json_object_set_new (object, "errorTime", json_integer (time_ms));
    json_int_t lapsed = source->now - time_ms / 1000;
    json_object_set_new (object, "errorLapsedSecs", json_integer (lapsed > 0 ? lapsed : 0));
    json_object_set (object, "errorHost", json_object_get (failure, "host"));
    json_object_set (object, "errorPort", json_object_get (failure, "port"));
    if (json_object_get (failure, "task"))
        json_object_set (object, "errorTask", json_object_get (failure, "task"));
}

//  A component's stats over the route's window, into entry, with its last
//  error (Storm's lastError and the error fields; "" when none).
void
nimbus_rest_set_component_stats (json_t *entry, const nimbus_rest_source_t *source,
                                 const nimbus_rest_route_t *route, const char *component,
                                 bool spout)
{
    nimbus_metrics_stats_t stats;
    nimbus_metrics_filter_t filter = {.component = component, .sys = route->sys};
    if (nimbus_rest_stats (source, &filter, nimbus_rest_window (route), &stats)) {
        nimbus_rest_set_stats (entry, &stats, spout);
        nimbus_metrics_stats_free (&stats);
    }
    json_t *errors = nimbus_metrics_errors (source->metrics, source->topology_id, component, 1);
    const json_t *failure =
        source->failures
            ? nimbus_failures_last_of (source->failures, source->topology_id, component)
            : NULL;
    json_int_t error_ms =
        json_integer_value (json_object_get (json_array_get (errors, 0), "time_ms"));
    if (failure && (!json_array_size (errors) ||
                    json_integer_value (json_object_get (failure, "time_ms")) >= error_ms))
        s_set_failure (entry, source, failure);
    else if (json_array_size (errors))
        s_set_error (entry, source, json_array_get (errors, 0), "lastError");
    else
        json_object_set_new (entry, "lastError", json_string (""));
    json_decref (errors);
}

//  The executor starting at first_task, or NULL. Executors come in task
//  order (nimbus_scheduler_executors): a binary search, so that a topology
//  of many executors costs nimbus's loop little per request.
static const nimbus_executor_t *
s_find_executor (const nimbus_executor_t *executors, size_t count, int first_task)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (executors[middle].first_task < first_task)
            low = middle + 1;
        else
            high = middle;
    }
    return low < count && executors[low].first_task == first_task ? &executors[low] : NULL;
}

//  The workers of an assignment, Storm's way; components of the
//  executors given are counted per worker (system ones with sys).
static json_t *
s_workers (const sq_topology_record_t *record, const sq_assignment_t *assignment,
           const nimbus_executor_t *executors, size_t executor_count, bool sys)
{
    json_t *workers = json_array ();
    for (size_t w = 0; workers && assignment && w < assignment->worker_count; w++) {
        const sq_assignment_worker_t *worker = &assignment->workers[w];
        json_t *tasks = json_object ();
        for (size_t e = 0; tasks && e < worker->executor_count; e++) {
            const nimbus_executor_t *executor =
                s_find_executor (executors, executor_count, worker->executors[e].first_task);
            if (!executor || (!sys && s_is_system (executor->component_id)))
                continue;
            const char *component = executor->component_id;
            json_int_t before = json_integer_value (json_object_get (tasks, component));
            json_object_set_new (
                tasks, component,
                json_integer (before + executor->last_task - executor->first_task + 1));
        }
        json_t *entry =
            tasks ? json_pack ("{s:s, s:s, s:i, s:s, s:s, s:I, s:o}", "supervisorId",
                               worker->supervisor_id, "host", worker->host, "port", worker->port,
                               "topologyId", record->id, "topologyName", record->name,
                               "executorsTotal", (json_int_t) worker->executor_count,
                               "componentNumTasks", tasks)
                  : NULL;
        if (json_array_append_new (workers, entry))
            json_decref (workers), workers = NULL;
    }
    return workers;
}

//  Executors and tasks of one component.
static void
s_component_counts (const nimbus_executor_t *executors, size_t count, const char *component,
                    json_int_t *executors_p, json_int_t *tasks_p)
{
    *executors_p = *tasks_p = 0;
    for (size_t x = 0; x < count; x++)
        if (strcmp (executors[x].component_id, component) == 0) {
            (*executors_p)++;
            *tasks_p += executors[x].last_task - executors[x].first_task + 1;
        }
}

//  Storm's spouts and bolts arrays, with what nimbus knows of each
//  component: its executors and tasks.
static void
s_set_components (json_t *answer, const nimbus_rest_view_t *view, const nimbus_rest_route_t *route,
                  const sq_topology_record_t *record, const nimbus_executor_t *executors,
                  size_t count, const json_t *components)
{
    bool sys = route->sys;
    nimbus_rest_source_t source = s_source (view, record);
    json_t *spouts = json_array ();
    json_t *bolts = json_array ();
    for (size_t x = 0; spouts && bolts && x < count; x++) {
        const char *component = executors[x].component_id;
        if ((x > 0 && strcmp (executors[x - 1].component_id, component) == 0) ||
            (!sys && s_is_system (component)))
            continue; //  executors of a component are contiguous: one entry each
        //  The component's executors are the run that starts here.
        json_int_t executor_count = 0, task_count = 0;
        for (size_t y = x; y < count && strcmp (executors[y].component_id, component) == 0; y++) {
            executor_count++;
            task_count += executors[y].last_task - executors[y].first_task + 1;
        }
        bool spout = strcmp (s_component_type (components, component), "spout") == 0;
        json_t *entry = json_pack ("{s:s, s:s, s:I, s:I}", spout ? "spoutId" : "boltId", component,
                                   spout ? "encodedSpoutId" : "encodedBoltId", component,
                                   "executors", executor_count, "tasks", task_count);
        if (entry) {
            json_object_set_new (entry, spout ? "encodedSpoutId" : "encodedBoltId",
                                 nimbus_rest_encoded (component));
            nimbus_rest_set_component_stats (entry, &source, route, component, spout);
        }
        json_array_append_new (spout ? spouts : bolts, entry);
    }
    json_object_set_new (answer, "spouts", spouts);
    json_object_set_new (answer, "bolts", bolts);
}

//  Storm's window and windowHint fields.
void
nimbus_rest_set_window (json_t *answer, const nimbus_rest_route_t *route)
{
    char window[32];
    char hint[64] = "All time";
    if (route->window_secs > 0) {
        snprintf (window, sizeof window, "%d", route->window_secs);
        nimbus_rest_pretty_duration (route->window_secs, hint, sizeof hint);
    } else
        snprintf (window, sizeof window, ":all-time");
    json_object_set_new (answer, "window", json_string (window));
    json_object_set_new (answer, "windowHint", json_string (hint));
}

static json_t *
s_topology (const nimbus_rest_view_t *view, const nimbus_rest_route_t *route,
            const sq_topology_record_t *record)
{
    json_t *answer = s_topology_summary (view, record);
    if (!answer)
        return NULL;
    nimbus_rest_source_t source = s_source (view, record);
    size_t count;
    const nimbus_executor_t *executors = s_executors (view, record, &count);
    nimbus_rest_set_window (answer, route);
    json_object_set_new (
        answer, "msgTimeout",
        json_integer (sq_config_int (record->config, "topology.message.timeout.secs", 30)));
    json_object_set_new (answer, "debug",
                         json_boolean (sq_config_bool (record->config, "topology.debug", false)));
    json_object_set_new (answer, "topologyStats", nimbus_rest_topology_stats (&source, route));
    s_set_components (answer, view, route, record, executors, count, s_components (view, record));
    json_object_set_new (
        answer, "workers",
        s_workers (record, s_assignment (view, record), executors, count, route->sys));
    json_t *configuration = sq_config_to_json (record->config);
    sq_zk_auth_redact (configuration);
    if (configuration)
        json_object_set_new (configuration, "storm.id", json_string (record->id));
    json_object_set_new (answer, "configuration", configuration);
    return answer;
}

//  Storm's spoutSummary or boltStats: the component's stats per window.
json_t *
nimbus_rest_component_windows (const nimbus_rest_source_t *source, const nimbus_rest_route_t *route,
                               const char *component, bool spout)
{
    json_t *entries = json_array ();
    for (nimbus_window_t w = 0; entries && w < NIMBUS_WINDOW_COUNT; w++) {
        nimbus_metrics_stats_t stats;
        nimbus_metrics_filter_t filter = {.component = component, .sys = route->sys};
        if (!nimbus_rest_stats (source, &filter, w, &stats))
            break;
        json_t *entry = json_object ();
        if (entry) {
            s_set_window_names (entry, w);
            nimbus_rest_set_stats (entry, &stats, spout);
        }
        nimbus_metrics_stats_free (&stats);
        if (json_array_append_new (entries, entry))
            json_decref (entries), entries = NULL;
    }
    return entries;
}

//  Storm's outputStats (per stream) or, when inputs, inputStats (per
//  input component and stream) of a component over the route's window.
json_t *
nimbus_rest_component_streams (const nimbus_rest_source_t *source, const nimbus_rest_route_t *route,
                               const char *component, bool spout, bool inputs)
{
    json_t *keys =
        nimbus_metrics_keys (source->metrics, source->topology_id, component, inputs, route->sys);
    json_t *entries = keys ? json_array () : NULL;
    size_t i;
    json_t *key;
    json_array_foreach (keys, i, key)
    {
        if (!entries)
            break;
        nimbus_metrics_filter_t filter = {.component = component, .sys = route->sys};
        if (inputs) {
            filter.input_component = json_string_value (json_array_get (key, 0));
            filter.input_stream = json_string_value (json_array_get (key, 1));
        } else
            filter.stream = json_string_value (key);
        nimbus_metrics_stats_t stats;
        if (!nimbus_rest_stats (source, &filter, nimbus_rest_window (route), &stats))
            break;
        json_t *entry = json_object ();
        if (entry && inputs) {
            json_object_set_new (entry, "component", json_string (filter.input_component));
            json_object_set_new (entry, "encodedComponentId",
                                 nimbus_rest_encoded (filter.input_component));
            json_object_set_new (entry, "stream", json_string (filter.input_stream));
            json_object_set_new (entry, "executed", json_integer ((json_int_t) stats.executed));
            json_object_set_new (entry, "acked", json_integer ((json_int_t) stats.acked));
            json_object_set_new (entry, "failed", json_integer ((json_int_t) stats.failed));
            s_set_latency (entry, "executeLatency", stats.execute_latency);
            s_set_latency (entry, "processLatency", stats.process_latency);
        } else if (entry) {
            json_object_set_new (entry, "stream", json_string (filter.stream));
            json_object_set_new (entry, "emitted", json_integer ((json_int_t) stats.emitted));
            json_object_set_new (entry, "transferred",
                                 json_integer ((json_int_t) stats.transferred));
            if (spout) {
                json_object_set_new (entry, "acked", json_integer ((json_int_t) stats.acked));
                json_object_set_new (entry, "failed",
                                     json_integer ((json_int_t) (stats.failed + stats.timed_out)));
                json_object_set_new (entry, "timedOut",
                                     json_integer ((json_int_t) stats.timed_out));
                s_set_latency (entry, "completeLatency", stats.complete_latency);
            }
        }
        nimbus_metrics_stats_free (&stats);
        if (json_array_append_new (entries, entry))
            json_decref (entries), entries = NULL;
    }
    json_decref (keys);
    return entries;
}

//  Storm's componentErrors: the latest errors of the component's tasks,
//  newest first (at most 10 per task, as the workers keep them).
json_t *
nimbus_rest_component_errors (const nimbus_rest_source_t *source, const char *component)
{
    json_t *errors =
        nimbus_metrics_errors (source->metrics, source->topology_id, component, SIZE_MAX);
    json_t *entries = errors ? json_array () : NULL;
    size_t i;
    json_t *error;
    json_array_foreach (errors, i, error)
    {
        json_t *entry = json_object ();
        if (entry)
            s_set_error (entry, source, error, "error");
        if (!entries || json_array_append_new (entries, entry))
            break;
    }
    json_decref (errors);
    return entries;
}

static json_t *
s_component (const nimbus_rest_view_t *view, const nimbus_rest_route_t *route,
             const sq_topology_record_t *record, int *status_p)
{
    size_t count;
    const nimbus_executor_t *executors = s_executors (view, record, &count);
    json_int_t executor_count, task_count;
    s_component_counts (executors, count, route->component_id, &executor_count, &task_count);
    if (executor_count == 0) {
        *status_p = 404;
        return nimbus_rest_error (404, "no component with that id in this topology (or nimbus "
                                       "does not know its components yet)");
    }
    const json_t *components = s_components (view, record);
    bool spout = strcmp (s_component_type (components, route->component_id), "spout") == 0;
    const sq_assignment_t *assignment = s_assignment (view, record);
    nimbus_rest_source_t source = s_source (view, record);
    json_t *executor_stats = json_array ();
    for (size_t x = 0; executor_stats && x < count; x++) {
        if (strcmp (executors[x].component_id, route->component_id) != 0)
            continue;
        const sq_assignment_worker_t *worker =
            assignment ? sq_assignment_find_task (assignment, executors[x].first_task) : NULL;
        json_t *entry = json_pack ("{s:o}", "id", s_executor_id (&executors[x]));
        if (entry) {
            json_object_set_new (entry, "encodedId", json_incref (json_object_get (entry, "id")));
            nimbus_metrics_stats_t stats;
            nimbus_metrics_filter_t filter = {.component = route->component_id,
                                              .first_task = executors[x].first_task,
                                              .sys = route->sys};
            if (s_stats (view, record->id, &filter, nimbus_rest_window (route), &stats)) {
                nimbus_rest_set_stats (entry, &stats, spout);
                if (stats.executors)
                    nimbus_rest_set_uptime (entry, "uptime", "uptimeSeconds",
                                            (int64_t) (stats.uptime_ms / 1000));
                nimbus_metrics_stats_free (&stats);
            }
        }
        if (entry && worker) {
            json_object_set_new (entry, "host", json_string (worker->host));
            json_object_set_new (entry, "port", json_integer (worker->port));
            json_object_set_new (entry, "supervisorId", json_string (worker->supervisor_id));
        }
        if (json_array_append_new (executor_stats, entry))
            json_decref (executor_stats), executor_stats = NULL;
    }
    json_t *answer = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:b, s:o, s:o}", "id", route->component_id,
        "name", record->name, "topologyId", record->id, "topologyStatus", s_status (view, record),
        "componentType", spout ? "spout" : "bolt", "executors", executor_count, "tasks", task_count,
        "debug", sq_config_bool (record->config, "topology.debug", false),
        "schedulerDisplayResource", 0, "componentErrors",
        nimbus_rest_component_errors (&source, route->component_id), "executorStats",
        executor_stats);
    if (!answer)
        return NULL;
    nimbus_rest_set_window (answer, route);
    json_object_set_new (answer, "encodedId", nimbus_rest_encoded (route->component_id));
    json_object_set_new (
        answer, spout ? "spoutSummary" : "boltStats",
        nimbus_rest_component_windows (&source, route, route->component_id, spout));
    json_object_set_new (
        answer, "outputStats",
        nimbus_rest_component_streams (&source, route, route->component_id, spout, false));
    if (!spout)
        json_object_set_new (
            answer, "inputStats",
            nimbus_rest_component_streams (&source, route, route->component_id, spout, true));
    return answer;
}

//  Storm's visualization: per component, its type and its inputs.
static json_t *
s_visualization (const nimbus_rest_view_t *view, const nimbus_rest_route_t *route,
                 const sq_topology_record_t *record)
{
    const json_t *components = s_components (view, record);
    json_t *answer = json_object ();
    const char *id;
    json_t *component;
    json_object_foreach ((json_t *) components, id, component)
    {
        if (!answer)
            break;
        if (!route->sys && s_is_system (id))
            continue;
        json_t *inputs = json_array ();
        size_t i;
        json_t *input;
        json_array_foreach (json_object_get (component, "inputs"), i, input)
        {
            const char *source = json_string_value (json_object_get (input, "component"));
            const char *stream = json_string_value (json_object_get (input, "stream"));
            if (!route->sys && (s_is_system (source) || s_is_system (stream)))
                continue;
            json_array_append_new (
                inputs, json_pack ("{s:s, s:s, s:s, s:s}", ":component", source, ":stream", stream,
                                   ":sani-stream", stream, ":grouping",
                                   json_string_value (json_object_get (input, "grouping"))));
        }
        json_t *entry = json_pack ("{s:s, s:o}", ":type",
                                   json_string_value (json_object_get (component, "type")),
                                   ":inputs", inputs ? inputs : json_array ());
        //  Storm's :capacity, :latency (mean ms: execute for bolts,
        //  complete for spouts) and :transferred over the route's window.
        nimbus_metrics_stats_t stats;
        nimbus_metrics_filter_t filter = {.component = id, .sys = route->sys};
        if (entry && s_stats (view, record->id, &filter, nimbus_rest_window (route), &stats)) {
            bool spout = strcmp (s_component_type (components, id), "spout") == 0;
            json_object_set_new (entry, ":capacity", json_real (stats.capacity));
            json_object_set_new (entry, ":latency",
                                 json_real (sq_histogram_mean (spout ? stats.complete_latency
                                                                     : stats.execute_latency) /
                                            1e6));
            json_object_set_new (entry, ":transferred",
                                 json_integer ((json_int_t) stats.transferred));
            nimbus_metrics_stats_free (&stats);
        }
        json_object_set_new (answer, id, entry);
    }
    return answer;
}

//  ---------------------------------------------------------------------
//  Cluster answers

//  Slots of live supervisors, and how many of them assignments use.
static void
s_slots (const nimbus_rest_view_t *view, size_t *total_p, size_t *used_p)
{
    size_t total = 0;
    zlist_t *ids = nimbus_cluster_supervisor_ids (view->cluster);
    for (const char *id = ids ? zlist_first (ids) : NULL; id; id = zlist_next (ids))
        total += nimbus_cluster_supervisor (view->cluster, id)->port_count;
    zlist_destroy (&ids);
    size_t free_slots = nimbus_cluster_free_slot_count (view->cluster);
    *total_p = total;
    *used_p = total > free_slots ? total - free_slots : 0;
}

//  Slots of supervisor id that assignments use.
static size_t
s_supervisor_slots_used (const nimbus_rest_view_t *view, const char *id)
{
    size_t used = 0;
    zlist_t *names = nimbus_cluster_topology_names (view->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names)) {
        const sq_assignment_t *assignment = nimbus_cluster_assignment (view->cluster, name);
        if (assignment)
            used += sq_assignment_supervisor_slots (assignment, id, NULL, 0);
    }
    zlist_destroy (&names);
    return used;
}

//  Executors and tasks of every assignment.
static void
s_cluster_counts (const nimbus_rest_view_t *view, size_t *topologies_p, size_t *executors_p,
                  size_t *tasks_p)
{
    *topologies_p = *executors_p = *tasks_p = 0;
    zlist_t *names = nimbus_cluster_topology_names (view->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names)) {
        const sq_assignment_t *assignment =
            s_assignment (view, nimbus_cluster_topology (view->cluster, name));
        (*topologies_p)++;
        if (assignment) {
            *executors_p += sq_assignment_executor_count (assignment);
            *tasks_p += s_task_count (assignment);
        }
    }
    zlist_destroy (&names);
}

static json_t *
s_cluster_summary (const nimbus_rest_view_t *view)
{
    size_t slots, used, topologies, executors, tasks;
    s_slots (view, &slots, &used);
    s_cluster_counts (view, &topologies, &executors, &tasks);
    json_t *answer = json_pack (
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "stormVersion", PACKAGE_VERSION,
        "supervisors", (json_int_t) nimbus_cluster_supervisor_count (view->cluster), "topologies",
        (json_int_t) topologies, "slotsTotal", (json_int_t) slots, "slotsUsed", (json_int_t) used,
        "slotsFree", (json_int_t) (slots - used), "executorsTotal", (json_int_t) executors,
        "tasksTotal", (json_int_t) tasks, "schedulerDisplayResource", 0);
    if (answer)
        nimbus_rest_set_uptime (answer, "nimbusUptime", "nimbusUptimeSeconds",
                                view->now - view->started);
    return answer;
}

//  One nimbus of the summary, with Storm's pretty uptime beside seconds.
static json_t *
s_nimbus_entry (const char *host, json_int_t port, const char *status, const char *version,
                int64_t secs)
{
    char uptime[64], seconds[32];
    nimbus_rest_pretty_duration (secs, uptime, sizeof uptime);
    snprintf (seconds, sizeof seconds, "%lld", (long long) (secs > 0 ? secs : 0));
    return json_pack ("{s:s, s:I, s:s, s:s, s:s, s:s}", "host", host, "port", port, "status",
                      status, "version", version, "nimbusUpTime", uptime, "nimbusUpTimeSeconds",
                      seconds);
}

//  Every nimbus registered in ZooKeeper with Storm's status ("Leader",
//  "Not a Leader"); without an election (or when ZooKeeper cannot be
//  read) this one, as leader.
static json_t *
s_nimbus_summary (const nimbus_rest_view_t *view)
{
    json_t *registered = view->leader ? nimbus_leader_nimbuses (view->leader, view->now) : NULL;
    json_t *nimbuses = json_array ();
    size_t index;
    json_t *item;
    json_array_foreach (registered, index, item) json_array_append_new (
        nimbuses,
        s_nimbus_entry (json_string_value (json_object_get (item, "host")),
                        json_integer_value (json_object_get (item, "port")),
                        json_string_value (json_object_get (item, "status")),
                        json_string_value (json_object_get (item, "version")),
                        json_integer_value (json_object_get (item, "nimbusUpTimeSeconds"))));
    if (nimbuses && json_array_size (nimbuses) == 0)
        json_array_append_new (nimbuses,
                               s_nimbus_entry (view->nimbus_host, view->nimbus_port, "Leader",
                                               PACKAGE_VERSION, view->now - view->started));
    json_decref (registered);
    return nimbuses ? json_pack ("{s:o}", "nimbuses", nimbuses) : NULL;
}

static json_t *
s_supervisor_summary (const nimbus_rest_view_t *view)
{
    json_t *supervisors = json_array ();
    zlist_t *ids = nimbus_cluster_supervisor_ids (view->cluster);
    for (const char *id = ids ? zlist_first (ids) : NULL; supervisors && id;
         id = zlist_next (ids)) {
        const sq_supervisor_info_t *info = nimbus_cluster_supervisor (view->cluster, id);
        json_t *entry =
            json_pack ("{s:s, s:s, s:I, s:I, s:s}", "id", info->id, "host", info->host,
                       "slotsTotal", (json_int_t) info->port_count, "slotsUsed",
                       (json_int_t) s_supervisor_slots_used (view, id), "version", PACKAGE_VERSION);
        if (entry)
            nimbus_rest_set_uptime (entry, "uptime", "uptimeSeconds", view->now - info->started);
        if (json_array_append_new (supervisors, entry))
            json_decref (supervisors), supervisors = NULL;
    }
    zlist_destroy (&ids);
    return supervisors
               ? json_pack ("{s:o, s:b}", "supervisors", supervisors, "schedulerDisplayResource", 0)
               : NULL;
}

static json_t *
s_all_topologies (const nimbus_rest_view_t *view)
{
    json_t *topologies = json_array ();
    zlist_t *names = nimbus_cluster_topology_names (view->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; topologies && name;
         name = zlist_next (names))
        if (json_array_append_new (topologies, s_topology_summary (view, nimbus_cluster_topology (
                                                                             view->cluster, name))))
            json_decref (topologies), topologies = NULL;
    zlist_destroy (&names);
    return topologies
               ? json_pack ("{s:o, s:b}", "topologies", topologies, "schedulerDisplayResource", 0)
               : NULL;
}

json_t *
nimbus_rest_answer (const nimbus_rest_view_t *view, const nimbus_rest_route_t *route, int *status_p)
{
    assert (view && route && status_p);
    *status_p = 200;
    switch (route->handler) {
    case NIMBUS_REST_CLUSTER_CONFIGURATION: {
        json_t *configuration = sq_config_to_json (view->config);
        sq_zk_auth_redact (configuration); //  never show the ZooKeeper password
        return configuration;
    }
    case NIMBUS_REST_CLUSTER_SUMMARY:
        return s_cluster_summary (view);
    case NIMBUS_REST_NIMBUS_SUMMARY:
        return s_nimbus_summary (view);
    case NIMBUS_REST_SUPERVISOR_SUMMARY:
        return s_supervisor_summary (view);
    case NIMBUS_REST_TOPOLOGY_SUMMARY:
        return s_all_topologies (view);
    default:
        break;
    }
    const sq_topology_record_t *record =
        nimbus_cluster_topology_by_id (view->cluster, route->topology_id);
    if (!record) {
        *status_p = 404;
        return nimbus_rest_error (404, "no topology with that id");
    }
    switch (route->handler) {
    case NIMBUS_REST_TOPOLOGY:
        return s_topology (view, route, record);
    case NIMBUS_REST_COMPONENT:
        return s_component (view, route, record, status_p);
    case NIMBUS_REST_VISUALIZATION:
        return s_visualization (view, route, record);
    case NIMBUS_REST_HISTORY:
        return view->history ? nimbus_history_answer (view->history, record->id)
                             : json_pack ("{s:s, s:i, s:[]}", "topologyId", record->id,
                                          "intervalSecs", NIMBUS_HISTORY_INTERVAL_SECS, "points");
    case NIMBUS_REST_TRACES:
        if (view->traces)
            return nimbus_traces_json (
                view->traces, record->id,
                sq_config_double (record->config, "topology.trace.sample.rate", 0) * 100,
                SQ_TRACE_MAX_TREES);
        *status_p = 404;
        return nimbus_rest_error (404, "this server keeps no traces");
    default:
        assert (false); //  POST actions and /metrics are not answered here
        return NULL;
    }
}

//  ---------------------------------------------------------------------
//  Prometheus

//  Append a label value, escaped as the text format wants.
static void
s_label (zchunk_t *out, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (*c == '\\' || *c == '"')
            zchunk_extend (out, "\\", 1);
        if (*c == '\n')
            zchunk_extend (out, "\\n", 2);
        else
            zchunk_extend (out, c, 1);
    }
}

//  Append "# HELP", "# TYPE" and the sample of a metric without labels.
static void
s_metric (zchunk_t *out, const char *name, const char *type, const char *help, uint64_t value)
{
    char text[512];
    int length = snprintf (text, sizeof text, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help,
                           name, type, name, (unsigned long long) value);
    zchunk_extend (out, text, (size_t) length);
}

//  Append the header of a metric with a topology label.
static void
s_family (zchunk_t *out, const char *name, const char *type, const char *help)
{
    char text[512];
    int length =
        snprintf (text, sizeof text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    zchunk_extend (out, text, (size_t) length);
}

//  Append one sample of name{topology="..."}.
static void
s_topology_sample (zchunk_t *out, const char *name, const char *topology, uint64_t value)
{
    char text[64];
    zchunk_extend (out, name, strlen (name));
    zchunk_extend (out, "{topology=\"", 11);
    s_label (out, topology);
    int length = snprintf (text, sizeof text, "\"} %llu\n", (unsigned long long) value);
    zchunk_extend (out, text, (size_t) length);
}

//  The per-topology families: what the assignment and the heartbeats say.
static const struct {
    const char *name;    //  metric name
    const char *type;    //  gauge or counter
    const char *help;    //  its meaning
    const char *counter; //  heartbeat counter it shows, or NULL for assignment counts
} s_topology_metrics[] = {
    {"squall_topology_workers", "gauge", "Workers assigned to the topology.", NULL},
    {"squall_topology_executors", "gauge", "Executors assigned to the topology.", NULL},
    {"squall_topology_tasks", "gauge", "Tasks assigned to the topology.", NULL},
    {"squall_topology_emitted_total", "counter",
     "Tuples emitted, summed over the workers' latest heartbeats.", "emitted"},
    {"squall_topology_executed_total", "counter",
     "Tuples given to bolts' execute, summed over the workers' latest heartbeats.", "executed"},
    {"squall_topology_acked_total", "counter",
     "Spout trees completed, summed over the workers' latest heartbeats.", "acked"},
    {"squall_topology_failed_total", "counter",
     "Spout trees failed explicitly, summed over the workers' latest heartbeats.", "failed"},
    {"squall_topology_timed_out_total", "counter",
     "Spout trees timed out, summed over the workers' latest heartbeats.", "timed_out"},
};

char *
nimbus_rest_metrics (const nimbus_rest_view_t *view)
{
    assert (view);
    zchunk_t *out = zchunk_new (NULL, 4096);
    if (!out)
        return NULL;
    size_t slots, used, topologies, executors, tasks;
    s_slots (view, &slots, &used);
    s_cluster_counts (view, &topologies, &executors, &tasks);
    s_metric (out, "squall_nimbus_uptime_seconds", "gauge", "Seconds since nimbus started.",
              (uint64_t) (view->now > view->started ? view->now - view->started : 0));
    s_metric (out, "squall_supervisors", "gauge", "Live supervisors.",
              nimbus_cluster_supervisor_count (view->cluster));
    s_metric (out, "squall_slots", "gauge", "Worker slots of the live supervisors.", slots);
    s_metric (out, "squall_slots_used", "gauge", "Worker slots that assignments use.", used);
    s_metric (out, "squall_topologies", "gauge", "Topologies nimbus knows, killed ones included.",
              topologies);
    s_metric (out, "squall_executors", "gauge", "Executors over all assignments.", executors);
    s_metric (out, "squall_tasks", "gauge", "Tasks over all assignments.", tasks);
    s_metric (out, "squall_nimbus_requests_total", "counter",
              "Control protocol requests nimbus received.", view->requests);
    s_metric (out, "squall_nimbus_malformed_requests_total", "counter",
              "Control protocol requests that broke the protocol.", view->malformed);
    s_metric (out, "squall_nimbus_stale_heartbeats_total", "counter",
              "Heartbeats of slots that are not assigned.", view->stale_heartbeats);
    s_metric (out, "squall_nimbus_heartbeats_refused_total", "counter",
              "Heartbeats refused: not sent with their topology's CURVE key.",
              view->heartbeats_refused);
    s_metric (out, "squall_nimbus_connections_refused_total", "counter",
              "Handshakes refused: clients without keys or with a key not allowed.",
              view->connections_refused);
    s_metric (out, "squall_nimbus_disconnects_total", "counter",
              "Control connections that ended, oversized messages included.", view->disconnects);
    s_metric (out, "squall_nimbus_connections_over_limit_total", "counter",
              "Handshakes refused: the peer address or nimbus had too many connections open.",
              view->connections_over_limit);
    s_metric (out, "squall_nimbus_connections_open", "gauge",
              "Control connections open now (accepted, not yet ended).", view->connections_open);
    s_metric (out, "squall_nimbus_http_requests_total", "counter",
              "HTTP requests nimbus answered before this one.", view->http_requests);
    s_metric (out, "squall_nimbus_unauthorized_total", "counter",
              "Control and REST requests refused: no or unknown credentials, or not authorized.",
              view->unauthorized);

    zlist_t *names = nimbus_cluster_topology_names (view->cluster);
    size_t families = sizeof s_topology_metrics / sizeof s_topology_metrics[0];
    for (size_t f = 0; names && f < families; f++) {
        s_family (out, s_topology_metrics[f].name, s_topology_metrics[f].type,
                  s_topology_metrics[f].help);
        for (const char *name = zlist_first (names); name; name = zlist_next (names)) {
            const sq_topology_record_t *record = nimbus_cluster_topology (view->cluster, name);
            const sq_assignment_t *assignment = s_assignment (view, record);
            uint64_t value = 0;
            const char *counter = s_topology_metrics[f].counter;
            if (counter) {
                json_t *totals = nimbus_monitor_totals (view->monitor, record->id);
                value = (uint64_t) json_integer_value (json_object_get (totals, counter));
                json_decref (totals);
            } else if (assignment)
                value = f == 0   ? assignment->worker_count
                        : f == 1 ? sq_assignment_executor_count (assignment)
                                 : s_task_count (assignment);
            s_topology_sample (out, s_topology_metrics[f].name, name, value);
        }
    }
    //  The executors' metrics, per stream and input: the topologies' names
    //  label them.
    json_t *ids = json_object ();
    for (const char *name = names ? zlist_first (names) : NULL; ids && name;
         name = zlist_next (names))
        json_object_set_new (ids, nimbus_cluster_topology (view->cluster, name)->id,
                             json_string (name));
    zlist_destroy (&names);
    sq_prometheus_t *writer = ids ? sq_prometheus_new () : NULL;
    if (writer && nimbus_metrics_prometheus (nimbus_monitor_windows (view->monitor), writer, ids,
                                             (uint64_t) view->now_mono) == 0)
        zchunk_extend (out, sq_prometheus_text (writer), sq_prometheus_size (writer));
    else
        zsys_warning ("GET /metrics: the executors' metrics are left out: %s", sq_last_error ());
    sq_prometheus_destroy (&writer);
    json_decref (ids);
    zchunk_extend (out, "", 1);
    char *text = strdup ((char *) zchunk_data (out));
    zchunk_destroy (&out);
    return text;
}
