/*  nimbus_rest - Storm's UI REST API on nimbus: routing and answers

    Two halves. The router, nimbus_rest_route, is a pure function of a
    request's method, raw path and query values: it decodes the path one
    segment at a time and names the handler and its parameters, or the
    4xx status and message a bad request gets. It never sees a socket, so
    it is unit-tested with hostile paths (tests/unit/test_nimbus_rest.c).
    The answers, nimbus_rest_*, build Storm's JSON (Storm's field names;
    Squall's extra fields are additions) from what nimbus knows, given as
    a nimbus_rest_view_t of borrowed parts; the per-component builders
    read one topology's metrics through a nimbus_rest_source_t, so that
    storm-submit --ui-port (cli/submit_ui) answers a local run with the
    same code. The POST actions are not here:
    they change nimbus's state, so nimbus_server runs them through the
    code its control protocol's verbs use and answers with
    nimbus_rest_action.

    doc/metrics.md lists every endpoint and which of Storm's fields are
    filled today.
*/
#ifndef NIMBUS_REST_H_INCLUDED
#define NIMBUS_REST_H_INCLUDED

#include "nimbus_cluster.h"
#include "nimbus_leader.h"
#include "nimbus_failures.h"
#include "nimbus_monitor.h"
#include "nimbus_traces.h"
#include "sq_assignment.h"
#include "squall.h"

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>

#define NIMBUS_REST_MAX_PATH 2048 //  longest raw path routed (longer: 414)
#define NIMBUS_REST_MAX_ID 255    //  longest decoded topology or component id

//  What a request asks for.
typedef enum {
    NIMBUS_REST_NONE,                  //  nothing: the route's status says why
    NIMBUS_REST_CLUSTER_CONFIGURATION, //  GET /api/v1/cluster/configuration
    NIMBUS_REST_CLUSTER_SUMMARY,       //  GET /api/v1/cluster/summary
    NIMBUS_REST_NIMBUS_SUMMARY,        //  GET /api/v1/nimbus/summary
    NIMBUS_REST_SUPERVISOR_SUMMARY,    //  GET /api/v1/supervisor/summary
    NIMBUS_REST_TOPOLOGY_SUMMARY,      //  GET /api/v1/topology/summary
    NIMBUS_REST_TOPOLOGY,              //  GET /api/v1/topology/:id
    NIMBUS_REST_COMPONENT,             //  GET /api/v1/topology/:id/component/:component
    NIMBUS_REST_VISUALIZATION,         //  GET /api/v1/topology/:id/visualization
    NIMBUS_REST_ACTIVATE,              //  POST /api/v1/topology/:id/activate
    NIMBUS_REST_DEACTIVATE,            //  POST /api/v1/topology/:id/deactivate
    NIMBUS_REST_REBALANCE,             //  POST /api/v1/topology/:id/rebalance/:wait
    NIMBUS_REST_KILL,                  //  POST /api/v1/topology/:id/kill/:wait
    NIMBUS_REST_METRICS,               //  GET /metrics (Prometheus text)
    NIMBUS_REST_HISTORY,               //  GET /api/v1/topology/:id/history
    NIMBUS_REST_TRACES,                //  GET /api/v1/topology/:id/traces
    NIMBUS_REST_DEBUG,                 //  POST .../debug/enable/:pct, .../debug/disable
} nimbus_rest_handler_t;

//  The router's decision.
typedef struct {
    nimbus_rest_handler_t handler;             //  what to run; NONE when refused
    int status;                                //  200, or the HTTP status of the refusal
    const char *error;                         //  when refused: why (static text)
    const char *allow;                         //  on 405: the methods the path takes
    char topology_id[NIMBUS_REST_MAX_ID + 1];  //  decoded :id, or ""
    char component_id[NIMBUS_REST_MAX_ID + 1]; //  decoded :component, or ""
    int wait_secs;                             //  :wait of rebalance and kill
    int window_secs;                           //  window parameter; 0 for all time
    bool sys;                                  //  sys parameter: show system components
    double sample_pct;                         //  debug: trace sample percentage, 0 .. 100
} nimbus_rest_route_t;

//  Route a request: method ("GET", ...), its raw path (percent-encoded,
//  without the query), and the raw values of its window and sys query
//  parameters (NULL when absent). Fills *route and returns its status
//  (200 when routed; 400, 404, 405 or 414 when refused).
int nimbus_rest_route (const char *method, const char *path, const char *window, const char *sys,
                       nimbus_rest_route_t *route);

//  Read the body of POST .../rebalance/:wait: empty, or Storm's
//  {"rebalanceOptions": {"numWorkers": N}}. Sets *workers_p to N, or 0
//  when not given. Returns 0, or -1 with sq_last_error() saying why the
//  body is refused (not JSON, numWorkers out of 1..SQ_CLUSTER_MAX_WORKERS,
//  or "executors", which Squall cannot change).
int nimbus_rest_rebalance_options (const char *body, size_t size, int *workers_p);

//  Storm's error body: {"error": "<status> <reason>", "errorMessage":
//  message}. NULL when out of memory. Caller owns.
json_t *nimbus_rest_error (int status, const char *message);

//  Storm's reply to a POST action: {"topologyOperation": operation,
//  "topologyId": id, "status": "success"}. NULL when out of memory.
json_t *nimbus_rest_action (const char *operation, const char *topology_id);

//  Storm's way of writing a duration: "1d 2h 3m 4s", leading zero units
//  left out ("5s", "10m 0s"). Writes into text (size bytes); returns text.
char *nimbus_rest_pretty_duration (int64_t secs, char *text, size_t size);

//  The builders the answers share with other servers of the same API
//  (storm-submit --local --ui-port, cli/submit_ui), so that both write
//  Storm's fields the same way.

//  Storm's counters and latencies of a spout's (spout) or a bolt's stats
//  into object, with Squall's additions (timedOut, latency quantiles, the
//  spout's heldSecs, the receive queue).
void nimbus_rest_set_stats (json_t *object, const nimbus_metrics_stats_t *stats, bool spout);
//  A component id as Storm's encoded ids write it (percent-encoded but
//  for letters, digits and -_.~). NULL when out of memory.
json_t *nimbus_rest_encoded (const char *id);
//  Storm's window and windowHint fields of the route into answer.
void nimbus_rest_set_window (json_t *answer, const nimbus_rest_route_t *route);
//  Set key to secs as a pretty duration ("1h 2m 3s") and seconds_key to
//  secs (0 when negative) on object, Storm's pair of uptime fields.
void nimbus_rest_set_uptime (json_t *object, const char *key, const char *seconds_key,
                             int64_t secs);
//  The window a route asks for (Storm's windows by their seconds; another
//  number takes the shortest window at least that long; 0 all time).
nimbus_window_t nimbus_rest_window (const nimbus_rest_route_t *route);

//  Where the per-component answers read one topology's executor metrics.
//  Every pointer is borrowed.
typedef struct {
    nimbus_metrics_t *metrics;         //  the executors' metrics, in windows
    const char *topology_id;           //  the topology's id in metrics
    const sq_assignment_t *assignment; //  where its tasks run (error hosts), or NULL
    int64_t now;                       //  unix time (seconds) of the request
    uint64_t now_ms;                   //  metrics' clock (monotonic ms) now

    nimbus_failures_t *failures; //  worker failures (a component's lastError), or NULL
} nimbus_rest_source_t;

//  Add up into stats (initialised here) the sources filter selects over
//  window. False when out of memory (stats then not initialised).
bool nimbus_rest_stats (const nimbus_rest_source_t *source, const nimbus_metrics_filter_t *filter,
                        nimbus_window_t window, nimbus_metrics_stats_t *stats);
//  Storm's topologyStats: one entry per window. NULL when out of memory.
//  Caller owns.
json_t *nimbus_rest_topology_stats (const nimbus_rest_source_t *source,
                                    const nimbus_rest_route_t *route);
//  A component's stats over the route's window into entry (a spouts or
//  bolts entry of /topology/:id), with its lastError ("" when none): the
//  newer of the errors its tasks reported and the failures of workers
//  that named it (nimbus_failures).
void nimbus_rest_set_component_stats (json_t *entry, const nimbus_rest_source_t *source,
                                      const nimbus_rest_route_t *route, const char *component,
                                      bool spout);
//  Storm's spoutSummary (spout) or boltStats of a component: its stats
//  per window. NULL when out of memory. Caller owns.
json_t *nimbus_rest_component_windows (const nimbus_rest_source_t *source,
                                       const nimbus_rest_route_t *route, const char *component,
                                       bool spout);
//  Storm's outputStats (per stream) or, when inputs, inputStats (per input
//  component and stream) of a component over the route's window. NULL
//  when out of memory. Caller owns.
json_t *nimbus_rest_component_streams (const nimbus_rest_source_t *source,
                                       const nimbus_rest_route_t *route, const char *component,
                                       bool spout, bool inputs);
//  Storm's componentErrors: the component's latest errors, newest first.
//  NULL when out of memory. Caller owns.
json_t *nimbus_rest_component_errors (const nimbus_rest_source_t *source, const char *component);

typedef struct _nimbus_history_t nimbus_history_t;

//  What the answers read. Every pointer is borrowed.
typedef struct {
    nimbus_cluster_t *cluster; //  the ZooKeeper view
    nimbus_monitor_t *monitor; //  heartbeats
    zhashx_t *topologies;      //  id -> nimbus_topology_t
    const sq_config_t *config; //  nimbus's config
    const char *nimbus_host;   //  nimbus.host
    int nimbus_port;           //  nimbus.port
    int64_t started;           //  unix time (seconds) nimbus started
    int64_t now;               //  unix time (seconds) of the request
    int64_t now_mono;          //  the monitor's clock (monotonic ms) now
    uint64_t requests;         //  control requests received
    uint64_t malformed;        //  control requests that broke the protocol
    uint64_t stale_heartbeats; //  heartbeats of slots not assigned

    //  Security (doc/security.md); 0 on an unsecured nimbus.
    uint64_t heartbeats_refused;     //  heartbeats without their topology's key
    uint64_t connections_refused;    //  CURVE handshakes that failed
    uint64_t disconnects;            //  control connections that ended
    uint64_t connections_over_limit; //  handshakes refused for the connection limits
    uint64_t connections_open;       //  control connections open now

    uint64_t http_requests;    //  HTTP requests answered before this one
    uint64_t unauthorized;     //  requests refused as not authenticated or not authorized
    nimbus_history_t *history; //  the topologies' last points, or NULL
    nimbus_traces_t *traces;   //  sampled trees, or NULL (none)
    nimbus_leader_t *leader;   //  the election (every nimbus, who leads), or NULL: this one leads
    nimbus_failures_t *failures; //  latest worker failures, or NULL (none)
} nimbus_rest_view_t;

//  The answer to a routed GET, into *status_p (200, or 404 when the
//  topology or component is unknown). NULL when out of memory. Caller
//  owns. Not for METRICS (nimbus_rest_metrics) nor the POST actions.
json_t *nimbus_rest_answer (const nimbus_rest_view_t *view, const nimbus_rest_route_t *route,
                            int *status_p);

//  GET /metrics: what nimbus knows, in Prometheus's text format (0.0.4).
//  NULL when out of memory. Caller frees.
char *nimbus_rest_metrics (const nimbus_rest_view_t *view);

#endif
