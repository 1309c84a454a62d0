/*  submit_ui - Storm's UI REST API and web UI for one local run (--ui-port) */
#include "submit_ui.h"
#include "nimbus_history.h"
#include "nimbus_http.h"
#include "nimbus_metrics.h"
#include "nimbus_rest.h"
#include "nimbus_ui_files.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_local_cluster.h"
#include "sq_prometheus.h"
#include "submit_trace.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _submit_ui_t {
    nimbus_http_t *http;         //  the server
    nimbus_metrics_t *metrics;   //  the run's metrics, folded before each answer
    sq_local_cluster_t *cluster; //  the local cluster (borrowed)
    const char *name;            //  the topology's name, also its id (borrowed)
    int64_t started;             //  unix time (seconds) the server started
    nimbus_history_t *history;   //  the run's last points (/history)
    zloop_t *loop;               //  the run's loop (borrowed)
    int timer;                   //  the history's sampling timer, or -1
    sq_trace_store_t *traces;    //  the run's sampled trees (borrowed), or NULL
    nimbus_ui_files_t *ui_files; //  the web UI's files (ui.dir), or NULL when not served
};

//  Fold the run's latest metrics; false when they cannot be read.
static bool
s_refresh (submit_ui_t *self)
{
    char *text = sq_local_cluster_metrics_json (self->cluster, self->name);
    json_t *metrics = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    int rc = metrics ? nimbus_metrics_fold (self->metrics, self->name, metrics,
                                            (uint64_t) zclock_mono ())
                     : -1;
    json_decref (metrics);
    return rc == 0;
}

//  Where nimbus_rest's builders read the run's metrics, now.
static nimbus_rest_source_t
s_source (submit_ui_t *self)
{
    return (nimbus_rest_source_t){.metrics = self->metrics,
                                  .topology_id = self->name,
                                  .now = zclock_time () / 1000,
                                  .now_ms = (uint64_t) zclock_mono ()};
}

//  Add a point to the run's history, as nimbus does for its topologies.
static int
s_on_sample (zloop_t *loop, int timer_id, void *arg)
{
    submit_ui_t *self = (submit_ui_t *) arg;
    nimbus_rest_source_t source = s_source (self);
    if (!s_refresh (self) || nimbus_history_sample (self->history, &source))
        zsys_warning ("--ui-port: no history point now (metrics unreadable or out of memory)");
    return 0;
}

//  Executors and tasks of component (every component when NULL), and
//  whether it is a spout, from the executors that sent metrics.
static void
s_counts (submit_ui_t *self, const char *component, json_int_t *executors_p, json_int_t *tasks_p,
          bool *spout_p)
{
    *executors_p = *tasks_p = 0;
    *spout_p = false;
    json_t *executors = nimbus_metrics_executors (self->metrics, self->name);
    size_t i;
    json_t *executor;
    json_array_foreach (executors, i, executor)
    {
        if (component && strcmp (json_string_value (json_array_get (executor, 0)), component))
            continue;
        (*executors_p)++;
        *tasks_p += json_integer_value (json_array_get (executor, 2)) -
                    json_integer_value (json_array_get (executor, 1)) + 1;
        *spout_p = json_is_true (json_array_get (executor, 3));
    }
    json_decref (executors);
}

//  Storm's fields of a topology summary, for the local run.
static json_t *
s_topology_summary (submit_ui_t *self, int64_t now)
{
    json_int_t executors, tasks;
    bool spout;
    s_counts (self, NULL, &executors, &tasks, &spout);
    json_t *summary =
        json_pack ("{s:s, s:s, s:s, s:I, s:i, s:I, s:i, s:b}", "id", self->name, "name", self->name,
                   "status", "ACTIVE", "tasksTotal", tasks, "workersTotal", 1, "executorsTotal",
                   executors, "replicationCount", 1, "schedulerDisplayResource", 0);
    if (summary)
        nimbus_rest_set_uptime (summary, "uptime", "uptimeSeconds", now - self->started);
    return summary;
}

//  Storm's spouts and bolts arrays: one entry per component (a
//  component's executors need not come one after the other).
static void
s_set_components (submit_ui_t *self, json_t *answer, const nimbus_rest_route_t *route)
{
    nimbus_rest_source_t source = s_source (self);
    json_t *spouts = json_array ();
    json_t *bolts = json_array ();
    json_t *executors = nimbus_metrics_executors (self->metrics, self->name);
    json_t *seen = json_object ();
    size_t i;
    json_t *executor;
    json_array_foreach (executors, i, executor)
    {
        const char *component = json_string_value (json_array_get (executor, 0));
        if (!seen || json_object_get (seen, component) ||
            (!route->sys && strncmp (component, "__", 2) == 0))
            continue;
        json_object_set_new (seen, component, json_true ());
        json_int_t executor_count, task_count;
        bool spout;
        s_counts (self, component, &executor_count, &task_count, &spout);
        json_t *entry =
            json_pack ("{s:s, s:o, s:I, s:I}", spout ? "spoutId" : "boltId", component,
                       spout ? "encodedSpoutId" : "encodedBoltId", nimbus_rest_encoded (component),
                       "executors", executor_count, "tasks", task_count);
        if (entry)
            nimbus_rest_set_component_stats (entry, &source, route, component, spout);
        json_array_append_new (spout ? spouts : bolts, entry);
    }
    json_decref (seen);
    json_decref (executors);
    json_object_set_new (answer, "spouts", spouts);
    json_object_set_new (answer, "bolts", bolts);
}

static json_t *
s_topology (submit_ui_t *self, const nimbus_rest_route_t *route, int64_t now)
{
    json_t *answer = s_topology_summary (self, now);
    if (!answer)
        return NULL;
    nimbus_rest_set_window (answer, route);
    nimbus_rest_source_t source = s_source (self);
    json_object_set_new (answer, "topologyStats", nimbus_rest_topology_stats (&source, route));
    s_set_components (self, answer, route);
    return answer;
}

static json_t *
s_component (submit_ui_t *self, const nimbus_rest_route_t *route, int *status_p)
{
    json_int_t executors, tasks;
    bool spout;
    s_counts (self, route->component_id, &executors, &tasks, &spout);
    if (executors == 0) {
        *status_p = 404;
        return nimbus_rest_error (404, "no component with that id in this topology");
    }
    json_t *answer =
        json_pack ("{s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:I}", "id", route->component_id,
                   "encodedId", nimbus_rest_encoded (route->component_id), "name", self->name,
                   "topologyId", self->name, "topologyStatus", "ACTIVE", "componentType",
                   spout ? "spout" : "bolt", "executors", executors, "tasks", tasks);
    if (!answer)
        return NULL;
    nimbus_rest_source_t source = s_source (self);
    const char *component = route->component_id;
    nimbus_rest_set_window (answer, route);
    json_object_set_new (answer, spout ? "spoutSummary" : "boltStats",
                         nimbus_rest_component_windows (&source, route, component, spout));
    json_object_set_new (answer, "outputStats",
                         nimbus_rest_component_streams (&source, route, component, spout, false));
    if (!spout)
        json_object_set_new (
            answer, "inputStats",
            nimbus_rest_component_streams (&source, route, component, spout, true));
    json_object_set_new (answer, "componentErrors",
                         nimbus_rest_component_errors (&source, component));
    return answer;
}

static char *
s_prometheus (submit_ui_t *self)
{
    json_t *names = json_pack ("{s:s}", self->name, self->name);
    sq_prometheus_t *writer = names ? sq_prometheus_new () : NULL;
    char *text = NULL;
    if (writer &&
        nimbus_metrics_prometheus (self->metrics, writer, names, (uint64_t) zclock_mono ()) == 0)
        text = strndup (sq_prometheus_text (writer), sq_prometheus_size (writer));
    sq_prometheus_destroy (&writer);
    json_decref (names);
    return text;
}

//  The run's sampled trees, with what was traced since the last answer.
static json_t *
s_traces (submit_ui_t *self)
{
    submit_trace_fold_local (self->cluster, self->name, self->traces);
    sq_runtime_t *runtime = sq_local_cluster_runtime (self->cluster, self->name);
    double rate = runtime ? sq_config_double (runtime->config, "topology.trace.sample.rate", 0) : 0;
    return sq_trace_store_json (self->traces, self->name, rate * 100, SQ_TRACE_MAX_TREES);
}

static void
s_handle (const nimbus_http_request_t *request, nimbus_http_reply_t *reply, void *arg)
{
    submit_ui_t *self = (submit_ui_t *) arg;
    const char *path = nimbus_http_request_path (request);
    if (nimbus_ui_files_serve (self->ui_files, request, reply))
        return;
    nimbus_rest_route_t route;
    int status = nimbus_rest_route (nimbus_http_request_method (request), path,
                                    nimbus_http_request_query (request, "window"),
                                    nimbus_http_request_query (request, "sys"), &route);
    json_t *answer = NULL;
    if (status == 200 && !s_refresh (self)) {
        status = 503;
        answer = nimbus_rest_error (503, "the local run's metrics cannot be read now");
    } else if (status != 200) {
        answer = nimbus_rest_error (status, route.error);
        reply->allow = route.allow;
    } else if (route.handler == NIMBUS_REST_METRICS) {
        char *text = s_prometheus (self);
        if (text) {
            nimbus_http_reply_text (reply, 200, "text/plain; version=0.0.4", text, strlen (text));
            free (text);
            return;
        }
    } else if (route.handler == NIMBUS_REST_CLUSTER_SUMMARY) {
        json_int_t executors, tasks;
        bool spout;
        s_counts (self, NULL, &executors, &tasks, &spout);
        answer = json_pack ("{s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:b}", "stormVersion",
                            PACKAGE_VERSION, "supervisors", 0, "topologies", 1, "slotsTotal", 0,
                            "slotsUsed", 0, "slotsFree", 0, "executorsTotal", executors,
                            "tasksTotal", tasks, "schedulerDisplayResource", 0);
    } else if (route.handler == NIMBUS_REST_TOPOLOGY_SUMMARY)
        answer = json_pack ("{s:[o?], s:b}", "topologies",
                            s_topology_summary (self, zclock_time () / 1000),
                            "schedulerDisplayResource", 0);
    else if ((route.handler == NIMBUS_REST_TOPOLOGY || route.handler == NIMBUS_REST_COMPONENT ||
              route.handler == NIMBUS_REST_HISTORY || route.handler == NIMBUS_REST_TRACES) &&
             strcmp (route.topology_id, self->name) != 0) {
        status = 404;
        answer = nimbus_rest_error (404, "no topology with that id");
    } else if (route.handler == NIMBUS_REST_TOPOLOGY)
        answer = s_topology (self, &route, zclock_time () / 1000);
    else if (route.handler == NIMBUS_REST_COMPONENT)
        answer = s_component (self, &route, &status);
    else if (route.handler == NIMBUS_REST_HISTORY)
        answer = nimbus_history_answer (self->history, self->name);
    else if (route.handler == NIMBUS_REST_TRACES && self->traces)
        answer = s_traces (self);
    else if (route.handler == NIMBUS_REST_ACTIVATE || route.handler == NIMBUS_REST_DEACTIVATE ||
             route.handler == NIMBUS_REST_REBALANCE || route.handler == NIMBUS_REST_KILL ||
             route.handler == NIMBUS_REST_DEBUG) {
        status = 405;
        reply->allow = "";
        answer = nimbus_rest_error (405, "a local run takes no commands");
    } else {
        status = 404;
        answer = nimbus_rest_error (404, "not served in local mode");
    }
    nimbus_http_reply_json (reply, status, &answer);
}

submit_ui_t *
submit_ui_new (zloop_t *loop, int port, sq_local_cluster_t *cluster, const char *name,
               const char *ui_dir)
{
    assert (loop && cluster && name);
    submit_ui_t *self = (submit_ui_t *) calloc (1, sizeof (submit_ui_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->cluster = cluster;
    self->name = name;
    self->started = zclock_time () / 1000;
    self->loop = loop;
    self->timer = -1;
    self->metrics = nimbus_metrics_new ();
    self->history = nimbus_history_new ();
    nimbus_http_options_t options = {.host = "127.0.0.1",
                                     .port = port,
                                     .max_connections = 16,
                                     .connection_memory = 16384,
                                     .timeout_secs = 10,
                                     .max_body = 4096};
    self->http =
        self->metrics && self->history ? nimbus_http_new (&options, loop, s_handle, self) : NULL;
    if (self->http)
        self->timer = zloop_timer (loop, NIMBUS_HISTORY_INTERVAL_SECS * 1000, 0, s_on_sample, self);
    if (!self->http || self->timer < 0) {
        if (!self->metrics || !self->history || self->http)
            sq_error_set ("out of memory");
        submit_ui_destroy (&self);
        return NULL;
    }
    //  The pages, as nimbus serves them; without them, the REST API alone.
    self->ui_files = nimbus_ui_files_new (ui_dir && *ui_dir ? ui_dir : NIMBUS_UI_DIR);
    if (!self->ui_files)
        zsys_warning ("--ui-port serves no web UI: %s", sq_last_error ());
    return self;
}

void
submit_ui_destroy (submit_ui_t **self_p)
{
    assert (self_p);
    submit_ui_t *self = *self_p;
    if (self) {
        if (self->timer >= 0)
            zloop_timer_end (self->loop, self->timer);
        nimbus_http_destroy (&self->http);
        nimbus_metrics_destroy (&self->metrics);
        nimbus_history_destroy (&self->history);
        nimbus_ui_files_destroy (&self->ui_files);
        free (self);
        *self_p = NULL;
    }
}

int
submit_ui_port (submit_ui_t *self)
{
    assert (self);
    return nimbus_http_port (self->http);
}

void
submit_ui_set_traces (submit_ui_t *self, sq_trace_store_t *store)
{
    assert (self);
    self->traces = store;
}
