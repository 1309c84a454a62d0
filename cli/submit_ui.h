/*  submit_ui - Storm's UI REST API and web UI for one local run (--ui-port)

    storm-submit --local --ui-port PORT serves, on 127.0.0.1:PORT while
    the run lasts, the read-only part of nimbus's REST API that one local
    topology has: /api/v1/cluster/summary, /api/v1/topology/summary,
    /api/v1/topology/:id, /api/v1/topology/:id/component/:component,
    /api/v1/topology/:id/history (sampled every 10 s on the caller's loop,
    as nimbus does), /api/v1/topology/:id/traces (sampled tuple trees) and
    GET /metrics. The topology's id is its name. Other routes nimbus
    knows answer 404 (no nimbus, supervisors or visualization here), and
    its POST actions 405: a local run takes no commands. The web UI's
    pages (nimbus_ui_files, from ui.dir as nimbus reads it) are served at
    the same paths as nimbus serves them; they show what the local run
    has and disable the actions.

    DESIGN: no copy of nimbus's server. nimbus_http serves (on the caller's
    zloop), nimbus_rest_route routes, and before each answer the local
    cluster's heartbeat-format metrics are folded into a nimbus_metrics,
    which nimbus_rest's builders read (a nimbus_rest_source_t without an
    assignment: no hosts or ports): the field names and the window and
    sys parameters are nimbus's by construction. The windows start with
    the server, so for a run shorter than ten minutes every window holds
    the whole run. Not served: nimbus's and the supervisors' summaries,
    the cluster configuration, visualization, and a topology's workers and
    configuration, and a component's executorStats (404, or left out).
*/
#ifndef SUBMIT_UI_H_INCLUDED
#define SUBMIT_UI_H_INCLUDED

#include "squall.h"
#include "sq_trace.h"

#include <czmq.h>

typedef struct _submit_ui_t submit_ui_t;

//  Serve topology name of cluster (both borrowed: they must outlive the
//  server) on 127.0.0.1:port from loop (borrowed), with the web UI's
//  files of directory ui_dir (ui.dir; NULL or "": the installed one; when
//  they cannot be read, a warning and the REST API alone). NULL with
//  sq_last_error() set when the port cannot be used. Caller owns.
submit_ui_t *submit_ui_new (zloop_t *loop, int port, sq_local_cluster_t *cluster, const char *name,
                            const char *ui_dir);
//  Stop serving and free; NULL-safe; nulls the caller's pointer.
void submit_ui_destroy (submit_ui_t **self_p);
//  Serve GET /api/v1/topology/:id/traces from store (borrowed; it must
//  outlive the server), into which the run's trace events are folded
//  before each answer. Without a store, that route answers 404.
void submit_ui_set_traces (submit_ui_t *self, sq_trace_store_t *store);
//  The port served (the one picked when port was 0).
int submit_ui_port (submit_ui_t *self);

#endif
