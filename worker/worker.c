/*  worker - one worker process: a slot's share of a topology */
#include "worker.h"
#include "sq_curve.h"
#include "sq_curve_auth.h"
#include "sq_acker.h"
#include "sq_cluster_config.h"
#include "sq_assignment.h"
#include "sq_topology_record.h"
#include "sq_config.h"
#include "sq_nimbuses.h"
#include "sq_error.h"
#include "sq_package.h"
#include "sq_runtime.h"
#include "sq_slot_paths.h"
#include "sq_task_layout.h"
#include "worker_transfer.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define WORKER_POLL_MS 200                             //  longest wait in the loop
#define WORKER_METRICS_MAX_BYTES (512 * 1024)          //  metrics in one heartbeat, JSON bytes
#define WORKER_TRACE_RATE "topology.trace.sample.rate" //  the record's key we follow

struct _worker_t {
    sq_config_t *config;           //  the daemon config
    char *name;                    //  topology name
    char *id;                      //  topology id
    char *supervisor_id;           //  our supervisor
    int port;                      //  our slot port
    sq_zk_t *zk;                   //  ZooKeeper session
    sq_package_t *package;         //  the loaded topology package
    sq_topology_record_t *record;  //  /topologies/<name>, latest seen
    sq_assignment_t *assignment;   //  /assignments/<name> we started with
    sq_runtime_t *runtime;         //  our executors
    int task_count;                //  tasks of the topology, ackers included
    worker_transfer_t *transfer;   //  tuples to and from other workers
    sq_nimbuses_t *nimbus;         //  heartbeats go to every nimbus here
    char *heartbeat_path;          //  file our supervisor watches
    int64_t started_ms;            //  monotonic start time
    int64_t heartbeat_interval_ms; //  worker.heartbeat.frequency.secs
    int64_t next_heartbeat_ms;     //  when the next heartbeat is due
    sq_curve_t *curve;             //  the topology's key pair, or NULL: unsecured
    sq_curve_auth_t *auth;         //  lets in only that key, or NULL: unsecured
};

//  Leave why this worker stops for its supervisor, which reports it to
//  nimbus with the exit status: workers/<port>/failure.json holds
//  {"message", and "component" and "task" when one task's open or prepare
//  failed}. Best effort: a worker that cannot write it still exits
//  non-zero, and the supervisor reports the status alone.
static void
s_record_failure (const sq_config_t *config, int port, const char *component, int task,
                  const char *message)
{
    char *path = sq_slot_paths_worker_file (config, port, "failure.json");
    json_t *record = json_pack ("{s:s%}", "message", message ? message : "",
                                message ? strnlen (message, 1024) : 0);
    if (record && component) {
        json_object_set_new (record, "component",
                             json_stringn (component, strnlen (component, 256)));
        json_object_set_new (record, "task", json_integer (task));
    }
    char *text = record ? json_dumps (record, JSON_COMPACT) : NULL;
    if (!path || !text || sq_slot_paths_replace_private (path, text) != 0)
        zsys_warning ("worker port=%d: cannot leave its failure in %s", port,
                      path ? path : "its slot directory");
    json_decref (record);
    free (text);
    free (path);
}

//  Read /topologies/<name> (arming a watch); NULL when absent or invalid.
static sq_topology_record_t *
s_read_record (worker_t *self)
{
    char *path = zsys_sprintf ("/topologies/%s", self->name);
    char *data = NULL;
    size_t size = 0;
    int rc = sq_zk_get (self->zk, path, &data, &size, true);
    free (path);
    sq_topology_record_t *record = rc == 0 ? sq_topology_record_decode (data, size) : NULL;
    if (rc == SQ_ENONODE)
        sq_error_set ("topology '%s' is not in ZooKeeper", self->name);
    free (data);
    return record;
}

//  Read /assignments/<name> (arming a watch); NULL when absent or invalid.
static sq_assignment_t *
s_read_assignment (worker_t *self)
{
    char *path = zsys_sprintf ("/assignments/%s", self->name);
    char *data = NULL;
    size_t size = 0;
    int rc = sq_zk_get (self->zk, path, &data, &size, true);
    free (path);
    sq_assignment_t *assignment = rc == 0 ? sq_assignment_decode (data, size) : NULL;
    if (rc == SQ_ENONODE)
        sq_error_set ("topology '%s' has no assignment", self->name);
    free (data);
    return assignment;
}

//  Free endpoints made by s_endpoints_new and null the pointer.
static void
s_endpoints_destroy (char ***endpoints_p, int task_count)
{
    for (int task = 0; *endpoints_p && task <= task_count; task++)
        free ((*endpoints_p)[task]);
    free (*endpoints_p);
    *endpoints_p = NULL;
}

//  The routes of an assignment: endpoints[task] is the endpoint of the
//  worker running task, NULL for tasks of our slot; local[task] (when
//  local is not NULL) says which are ours. Returns the endpoints (free
//  with s_endpoints_destroy), or NULL with sq_last_error() set.
static char **
s_endpoints_new (worker_t *self, const sq_assignment_t *assignment, int task_count, bool *local)
{
    const sq_assignment_worker_t *slot =
        sq_assignment_find_slot (assignment, self->supervisor_id, self->port);
    if (!slot) {
        sq_error_set ("the assignment of '%s' has no worker on %s:%d", self->name,
                      self->supervisor_id, self->port);
        return NULL;
    }
    char **endpoints = calloc ((size_t) task_count + 1, sizeof (char *));
    int rc = endpoints ? 0 : sq_error_set ("out of memory");
    for (int task = 1; rc == 0 && task <= task_count; task++) {
        const sq_assignment_worker_t *owner = sq_assignment_find_task (assignment, task);
        if (!owner)
            rc = sq_error_set ("the assignment of '%s' gives task %d to no worker", self->name,
                               task);
        else if (owner != slot)
            endpoints[task] = zsys_sprintf ("tcp://%s:%d", owner->host, owner->port);
        if (local)
            local[task] = owner == slot;
    }
    if (rc)
        s_endpoints_destroy (&endpoints, task_count);
    return endpoints;
}

//  Build the runtime and the transfer for our slot of the assignment.
static int
s_start_executors (worker_t *self, sq_topology_t **topology_p)
{
    //  Numbered as the runtime will number them, ackers included.
    sq_task_layout_t *layout = sq_task_layout_from_config (*topology_p, self->record->config);
    if (!layout) {
        sq_topology_destroy (topology_p);
        return -1;
    }
    self->task_count = layout->task_count;
    sq_task_layout_destroy (&layout);
    int task_count = self->task_count;
    bool *local = calloc ((size_t) task_count + 1, sizeof (bool));
    char **endpoints = local ? s_endpoints_new (self, self->assignment, task_count, local) : NULL;
    int rc = endpoints ? 0 : -1;
    if (rc == 0) {
        const sq_assignment_worker_t *slot =
            sq_assignment_find_slot (self->assignment, self->supervisor_id, self->port);
        char *bind = zsys_sprintf ("tcp://%s:%d", slot->host, slot->port);
        rc = bind ? sq_curve_check_secure (self->config, "worker", slot->host, self->curve != NULL)
                  : sq_error_set ("out of memory");
        self->transfer = rc == 0
                             ? worker_transfer_new (bind, (const char *const *) endpoints,
                                                    task_count, self->record->config, self->curve)
                             : NULL;
        free (bind);
        rc = self->transfer ? 0 : -1;
    }
    if (rc == 0) {
        sq_placement_t placement = {.local = local,
                                    .task_count = task_count,
                                    .send = worker_transfer_send,
                                    .arg = self->transfer};
        sq_runtime_options_t options = {
            .placement = &placement, .acker = sq_acker_task (), .fatal_task_errors = true};
        self->runtime = sq_runtime_new (self->name, topology_p, self->record->config, &options);
        rc = self->runtime ? 0 : -1;
    }
    s_endpoints_destroy (&endpoints, task_count);
    free (local);
    sq_topology_destroy (topology_p);
    if (rc == 0 && self->auth)
        rc = worker_transfer_watch (self->transfer, self->auth);
    if (rc == 0)
        rc = worker_transfer_start (self->transfer, self->runtime);
    if (rc == 0) {
        sq_runtime_set_active (self->runtime, self->record->status == SQ_TOPOLOGY_ACTIVE);
        rc = sq_runtime_start (self->runtime);
    }
    return rc;
}

//  On a secured cluster (squall.curve.server.public.key.file set) the
//  worker's keys are its topology's: the supervisor left them in
//  <worker dir>/topology.key_secret. They sign heartbeats to nimbus and
//  are the only keys the transfer socket lets in. 0 or -1.
static int
s_load_keys (worker_t *self, const char *directory)
{
    const char *server = sq_config_string (self->config, "squall.curve.server.public.key.file", "");
    if (!server || !*server)
        return 0;
    char *path = zsys_sprintf ("%s/topology.key_secret", directory);
    zcert_t *cert = path ? sq_curve_load_cert (path, true) : NULL;
    free (path);
    zcert_t *server_cert = cert ? sq_curve_load_cert (server, false) : NULL;
    zcert_t *own = server_cert ? zcert_dup (cert) : NULL;
    sq_curve_t *nimbus = own ? sq_curve_new (&own, zcert_public_txt (server_cert)) : NULL;
    zcert_destroy (&server_cert);
    self->curve = nimbus ? sq_curve_new (&cert, NULL) : NULL;
    zcert_destroy (&cert);
    char *name = zsys_sprintf ("topology/%s", self->id);
    int rc = self->curve && name ? 0 : -1;
    if (rc == 0)
        rc = sq_nimbuses_set_curve (self->nimbus, nimbus);
    if (rc == 0) {
        self->auth = sq_curve_auth_new (NULL, "worker transfer");
        rc = self->auth ? sq_curve_auth_allow (self->auth, sq_curve_public_key (self->curve), name)
                        : -1;
    }
    sq_curve_destroy (&nimbus);
    free (name);
    return rc;
}

worker_t *
worker_new (const sq_config_t *config, const worker_identity_t *identity)
{
    worker_t *self = calloc (1, sizeof (worker_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->config = sq_config_dup (config);
    self->name = strdup (identity->topology_name);
    self->id = strdup (identity->topology_id);
    self->supervisor_id = strdup (identity->supervisor_id);
    self->port = identity->port;
    self->started_ms = zclock_mono ();
    self->heartbeat_interval_ms =
        sq_config_int (config, "worker.heartbeat.frequency.secs", 1) * 1000;
    char *directory = sq_slot_paths_worker_dir (config, identity->port);
    self->heartbeat_path = directory ? zsys_sprintf ("%s/heartbeat", directory) : NULL;
    self->nimbus = sq_nimbuses_new (config, NULL);

    int rc = !self->nimbus ? -1 : self->heartbeat_path ? 0 : sq_error_set ("out of memory");
    if (rc == 0)
        rc = s_load_keys (self, directory);
    free (directory);
    if (rc == 0) {
        self->zk = sq_cluster_config_connect (config);
        rc = self->zk ? 0 : -1;
    }
    if (rc == 0) {
        self->record = s_read_record (self);
        self->assignment = self->record ? s_read_assignment (self) : NULL;
        rc = self->assignment ? 0 : -1;
    }
    if (rc == 0 && strcmp (self->record->id, self->id) != 0)
        rc = sq_error_set ("topology '%s' is now submission %s, not %s", self->name,
                           self->record->id, self->id);
    if (rc == 0) {
        self->package = sq_package_open (identity->package_path);
        rc = self->package ? 0 : -1;
    }
    sq_topology_t *topology = NULL;
    if (rc == 0) {
        topology = sq_package_build (self->package, self->record->config);
        rc = topology ? 0 : -1;
    }
    if (rc == 0)
        rc = s_start_executors (self, &topology);
    if (rc) {
        char error[512];
        snprintf (error, sizeof error, "%s", sq_last_error ());
        int task = -1;
        const char *component =
            self->runtime ? sq_runtime_open_failure (self->runtime, &task) : NULL;
        if (self->config)
            s_record_failure (self->config, self->port, component, task, error);
        worker_destroy (&self);
        sq_error_set ("%s", error);
        return NULL;
    }
    zsys_info ("worker topology=%s id=%s supervisor=%s port=%d started: %zu executors", self->name,
               self->id, self->supervisor_id, self->port, self->runtime->executor_count);
    return self;
}

int
worker_stop (worker_t *self, double grace_secs)
{
    sq_runtime_set_active (self->runtime, false);
    //  The executors first: closing their queues also frees a transfer
    //  thread waiting to deliver into a full one.
    if (sq_runtime_stop (self->runtime, grace_secs))
        return -1;
    worker_transfer_stop (self->transfer);
    return 0;
}

void
worker_destroy (worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_t *self = *self_p;
    if (self->runtime)
        sq_runtime_set_active (self->runtime, false);
    //  The transfer threads stop first: they deliver into the runtime.
    if (self->transfer)
        worker_transfer_stop (self->transfer);
    sq_runtime_destroy (&self->runtime);
    worker_transfer_destroy (&self->transfer);
    sq_package_destroy (&self->package);
    sq_assignment_destroy (&self->assignment);
    sq_topology_record_destroy (&self->record);
    sq_zk_destroy (&self->zk);
    sq_nimbuses_destroy (&self->nimbus);
    if (self->auth)
        zsys_info ("worker topology=%s port=%d: transfer handshakes refused=%llu "
                   "disconnects=%llu",
                   self->name, self->port,
                   (unsigned long long) sq_curve_auth_handshakes_failed (self->auth),
                   (unsigned long long) sq_curve_auth_disconnects (self->auth));
    sq_curve_auth_destroy (&self->auth);
    sq_curve_destroy (&self->curve);
    sq_config_destroy (&self->config);
    free (self->heartbeat_path);
    free (self->name);
    free (self->id);
    free (self->supervisor_id);
    free (self);
    *self_p = NULL;
}

static void
s_heartbeat (worker_t *self)
{
    sq_topology_stats_t stats;
    sq_runtime_stats (self->runtime, &stats);
    worker_transfer_stats_t transfer;
    worker_transfer_stats (self->transfer, &transfer);
    json_t *message = json_pack (
        "{s:s, s:s, s:s, s:s, s:i, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I}}",
        "verb", "heartbeat", "topology", self->name, "id", self->id, "supervisor",
        self->supervisor_id, "port", self->port, "uptime_secs",
        (json_int_t) ((zclock_mono () - self->started_ms) / 1000), "stats", "spout_emitted",
        (json_int_t) stats.spout_emitted, "emitted", (json_int_t) stats.emitted, "executed",
        (json_int_t) stats.executed, "acked", (json_int_t) stats.acked, "failed",
        (json_int_t) stats.failed, "timed_out", (json_int_t) stats.timed_out, "pending",
        (json_int_t) stats.pending, "queued", (json_int_t) stats.queued, "complete_latency_ms",
        stats.complete_latency_ms, "malformed_batches", (json_int_t) transfer.malformed,
        "undeliverable", (json_int_t) transfer.undeliverable);
    //  The executors' metrics, within half the 1 MiB a request may have.
    json_t *metrics = message ? sq_runtime_metrics (self->runtime, WORKER_METRICS_MAX_BYTES) : NULL;
    if (metrics)
        json_object_set_new (message, "metrics", metrics);
    //  Events of traced trees since the last heartbeat (none when off).
    json_t *traces =
        message ? sq_runtime_traces (self->runtime, SQ_TRACE_REPORT_EVENTS, SQ_TRACE_REPORT_BYTES)
                : NULL;
    if (traces)
        json_object_set_new (message, "traces", traces);
    if (message)
        sq_nimbuses_send (self->nimbus, message);
    json_decref (message);
    //  For the supervisor: the file's content is our uptime; its mtime counts.
    FILE *file = sq_slot_paths_fopen_private (self->heartbeat_path, "w");
    if (file) {
        fprintf (file, "%lld\n", (long long) (zclock_mono () - self->started_ms));
        fclose (file);
    }
}

//  Follow a new assignment: nothing to do when it places every executor as
//  before; routes updated in place when only other workers' executors
//  moved. Returns 0, or -1 when our slot's executors changed (or the
//  routes cannot be updated): then the supervisor must start us anew.
static int
s_follow_assignment (worker_t *self, sq_assignment_t **assignment_p)
{
    sq_assignment_t *assignment = *assignment_p;
    if (sq_assignment_same_placement (self->assignment, assignment))
        return 0;
    const sq_assignment_worker_t *now =
        sq_assignment_find_slot (self->assignment, self->supervisor_id, self->port);
    const sq_assignment_worker_t *next =
        sq_assignment_find_slot (assignment, self->supervisor_id, self->port);
    if (!next || strcmp (now->host, next->host) != 0 ||
        !sq_assignment_worker_same_executors (now, next))
        return sq_error_set ("the executors of this slot changed");
    char **endpoints = s_endpoints_new (self, assignment, self->task_count, NULL);
    int rc = endpoints ? worker_transfer_reroute (self->transfer, (const char *const *) endpoints,
                                                  self->task_count)
                       : -1;
    s_endpoints_destroy (&endpoints, self->task_count);
    if (rc == 0) {
        zsys_info ("worker topology=%s port=%d: other workers moved (generation %lld); routes "
                   "updated",
                   self->name, self->port, (long long) assignment->generation);
        sq_assignment_destroy (&self->assignment);
        self->assignment = assignment;
        *assignment_p = NULL;
    }
    return rc;
}

//  React to a ZooKeeper event; returns 1 to go on, 0 to stop, -1 to have
//  the supervisor restart us.
static int
s_handle_event (worker_t *self, const sq_zk_event_t *event)
{
    if (event->type == SQ_ZK_SESSION_EXPIRED) {
        zsys_warning ("worker topology=%s port=%d: ZooKeeper session expired, reconnecting",
                      self->name, self->port);
        if (sq_zk_reconnect (self->zk))
            return -1;
    }
    if (strncmp (event->path, "/topologies/", 12) == 0 || event->type == SQ_ZK_SESSION_EXPIRED) {
        sq_topology_record_t *record = s_read_record (self);
        if (!record || strcmp (record->id, self->id) != 0) {
            sq_topology_record_destroy (&record);
            zsys_info ("worker topology=%s port=%d: topology gone, stopping", self->name,
                       self->port);
            return 0;
        }
        if (record->status != self->record->status)
            zsys_info ("worker topology=%s port=%d: status %s", self->name, self->port,
                       sq_topology_record_status_name (record->status));
        sq_topology_record_destroy (&self->record);
        self->record = record;
        sq_runtime_set_active (self->runtime, record->status == SQ_TOPOLOGY_ACTIVE);
        //  Nimbus writes the trace rate into the record's config (storm-submit
        //  trace, the REST debug route); absent, the topology's own stands.
        if (sq_config_json (record->config, WORKER_TRACE_RATE))
            sq_runtime_set_trace_rate (self->runtime,
                                       sq_config_double (record->config, WORKER_TRACE_RATE, 0));
    }
    if (strncmp (event->path, "/assignments/", 13) == 0 || event->type == SQ_ZK_SESSION_EXPIRED) {
        sq_assignment_t *assignment = s_read_assignment (self);
        if (!assignment) {
            zsys_info ("worker topology=%s port=%d: assignment gone, stopping", self->name,
                       self->port);
            return 0;
        }
        int rc = s_follow_assignment (self, &assignment);
        sq_assignment_destroy (&assignment);
        if (rc) {
            zsys_info ("worker topology=%s port=%d: assignment changed (%s), restarting",
                       self->name, self->port, sq_last_error ());
            return -1;
        }
    }
    return 1;
}

int
worker_run (worker_t *self, volatile int *interrupted)
{
    int zk_fd = sq_zk_fd (self->zk);
    zpoller_t *poller = zpoller_new (&zk_fd, NULL);
    int result = 1;
    while (result == 1 && !*interrupted) {
        int64_t now = zclock_mono ();
        if (now >= self->next_heartbeat_ms) {
            s_heartbeat (self);
            self->next_heartbeat_ms = now + self->heartbeat_interval_ms;
        }
        zpoller_wait (poller, WORKER_POLL_MS);
        //  A shell component's child failed: exit non-zero so that the
        //  supervisor restarts us and the trees in flight fail and replay.
        char *fatal = sq_runtime_fatal_error (self->runtime);
        if (fatal) {
            zsys_error ("worker topology=%s port=%d: stopping: %s", self->name, self->port, fatal);
            s_record_failure (self->config, self->port, NULL, -1, fatal);
            free (fatal);
            result = -1;
            break;
        }
        sq_zk_event_t event;
        while (result == 1 && sq_zk_next_event (self->zk, &event) == 1)
            result = s_handle_event (self, &event);
    }
    zpoller_destroy (&poller);
    return result < 0 ? -1 : 0;
}
