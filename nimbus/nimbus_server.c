/*  nimbus_server - the nimbus daemon's engine */
#include "nimbus_server.h"
#include "nimbus_authorizer.h"
#include "nimbus_cluster.h"
#include "nimbus_failures.h"
#include "nimbus_history.h"
#include "nimbus_http.h"
#include "nimbus_leader.h"
#include "nimbus_ui_files.h"
#include "nimbus_liveness.h"
#include "nimbus_monitor.h"
#include "nimbus_principals.h"
#include "nimbus_refusals.h"
#include "nimbus_replica.h"
#include "nimbus_request.h"
#include "nimbus_rest.h"
#include "nimbus_scheduler.h"
#include "nimbus_store.h"
#include "nimbus_tokens.h"
#include "nimbus_topology.h"
#include "nimbus_traces.h"
#include "nimbus_validator.h"
#include "sq_cluster_config.h"
#include "sq_config.h"
#include "sq_curve.h"
#include "sq_curve_auth.h"
#include "sq_error.h"
#include "sq_ids.h"
#include "sq_sha256.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#ifndef NIMBUS_UI_DIR
#error "the build defines NIMBUS_UI_DIR, where the web UI's files install"
#endif

#define S_RETRY_MS 1000          //  delay before retrying a removal ZooKeeper refused
#define S_LIVENESS_CHECK_MS 100  //  between checks for supervisors lost by their heartbeats
#define S_MALFORMED_LOG_LIMIT 10 //  most malformed requests logged in one second
#define S_REFUSED_PEERS 1024     //  peers whose first refusal is remembered as logged
#define S_JSON_ROOM (1 << 20)    //  bytes a submit may have beyond its package

typedef struct _nimbus_server_t nimbus_server_t;

struct _nimbus_server_t {
    sq_config_t *config;         //  the daemon's config
    char *endpoint;              //  tcp://host:port bound
    zloop_t *loop;               //  the one loop
    zsock_t *router;             //  control requests come in here
    nimbus_store_t *store;       //  packages on disk
    nimbus_cluster_t *cluster;   //  ZooKeeper view
    nimbus_monitor_t *monitor;   //  heartbeats
    nimbus_liveness_t *liveness; //  supervisors' heartbeats
    zhashx_t *topologies;        //  id -> nimbus_topology_t
    zmq_pollitem_t zk_item;      //  ZooKeeper event descriptor
    int64_t max_package;         //  nimbus.package.max.bytes
    int validation_timeout_ms;   //  nimbus.validation.timeout.secs, in ms
    nimbus_sandbox_t *sandbox;   //  the walls around validations
    uint64_t requests;           //  requests received
    uint64_t malformed;          //  requests that broke the protocol
    int64_t malformed_second;    //  the second malformed_logged counts in
    uint64_t malformed_logged;   //  malformed requests logged in that second
    uint64_t malformed_unlogged; //  malformed requests not logged in that second
    uint64_t stale_heartbeats;   //  heartbeats of slots not assigned
    nimbus_http_t *http;         //  Storm's UI REST API, or NULL when off
    nimbus_ui_files_t *ui_files; //  the web UI's files (ui.dir), or NULL when not served
    int64_t started;             //  unix time (seconds) nimbus started

    nimbus_authorizer_t *authorizer; //  who may do what (nimbus.admins, ...)
    nimbus_principals_t *principals; //  CURVE key -> principal, NULL without CURVE
    nimbus_refusals_t *refusals;     //  refused requests, first of each peer logged
    nimbus_tokens_t *tokens;         //  the REST API's bearer tokens, or NULL
    bool http_open;                  //  REST actions need no token (as before tokens)
    bool http_gets_need_token;       //  GETs need a token too (non-loopback ui.host)
    sq_curve_t *curve;               //  own CURVE keys, or NULL when unsecured
    sq_curve_auth_t *auth;           //  who may connect, or NULL when unsecured
    zhashx_t *topology_keys;         //  topology id -> its zcert_t key pair (secured)
    uint64_t heartbeats_refused;     //  heartbeats not signed by their topology's key
    nimbus_history_t *history;       //  each topology's last points (the UI's plots)
    nimbus_traces_t *traces;         //  sampled trees of each topology, from heartbeats
    nimbus_leader_t *leader;         //  the election: whether this nimbus leads
    nimbus_replica_t *replica;       //  a standby's copies of the leader's packages
    nimbus_failures_t *failures;     //  latest worker failures of each topology
};

static void s_on_topology (nimbus_topology_t *topology, nimbus_topology_event_t event, void *arg);

//  True while this nimbus leads: only the leader writes to ZooKeeper
//  (nimbus_leader).
static bool
s_leads (nimbus_server_t *self)
{
    return self->leader && nimbus_leader_is_leader (self->leader);
}

//  The error a standby answers the verbs only the leader serves.
static const char *
s_leader_text (nimbus_server_t *self, char *buffer, size_t size)
{
    const char *leader = self->leader ? nimbus_leader_endpoint (self->leader) : NULL;
    snprintf (buffer, size, "not the leader; leader is %s",
              leader ? leader + strlen ("tcp://") : "unknown (no nimbus leads now)");
    return buffer;
}

//  ---------------------------------------------------------------------
//  Topology states (nimbus_topology), by submission id

static void
s_topology_free (void **item_p)
{
    nimbus_topology_destroy ((nimbus_topology_t **) item_p);
}

//  New state for topology name/id, registered in the server. NULL when
//  out of memory.
static nimbus_topology_t *
s_topology_new (nimbus_server_t *self, const char *name, const char *id)
{
    nimbus_topology_t *topology = nimbus_topology_new (name, id, self->loop, s_on_topology, self);
    if (topology && zhashx_insert (self->topologies, id, topology))
        nimbus_topology_destroy (&topology);
    return topology;
}

//  ---------------------------------------------------------------------
//  Topology keys: each topology of a secured nimbus has a CURVE key pair
//  its workers use towards nimbus and among themselves.

//  Allow a topology key pair (taken) and keep it.
static int
s_key_keep (nimbus_server_t *self, const char *id, zcert_t **cert_p)
{
    char *name = zsys_sprintf ("topology/%s", id);
    int rc = name ? sq_curve_auth_allow (self->auth, zcert_public_txt (*cert_p), name)
                  : sq_error_set ("out of memory");
    free (name);
    if (rc == 0 && zhashx_insert (self->topology_keys, id, *cert_p) == 0)
        *cert_p = NULL;
    zcert_destroy (cert_p);
    return rc;
}

//  Make and store the key pair of a new topology. 0 or -1.
static int
s_key_make (nimbus_server_t *self, const char *id)
{
    if (!self->curve)
        return 0;
    zcert_t *cert = zcert_new ();
    if (!cert)
        return sq_error_set ("cannot make a key pair for topology %s", id);
    zcert_set_meta (cert, "name", "topology/%s", id);
    if (nimbus_store_put_key (self->store, id, cert)) {
        zcert_destroy (&cert);
        return -1;
    }
    return s_key_keep (self, id, &cert);
}

//  Load the stored key pair of an adopted topology.
static void
s_key_adopt (nimbus_server_t *self, const char *name, const char *id)
{
    //  A standby that has not copied the package yet gets its key with it.
    if (!self->curve || zhashx_lookup (self->topology_keys, id) ||
        (!s_leads (self) && !nimbus_store_has (self->store, id)))
        return;
    zcert_t *cert = nimbus_store_get_key (self->store, id);
    if (!cert || s_key_keep (self, id, &cert))
        zsys_error ("topology=%s id=%s: no CURVE key pair (%s): its workers cannot reach this "
                    "secured nimbus; kill and submit it again",
                    name, id, cert ? sq_last_error () : "none stored");
}

//  Forget a topology's state (destroys it) and its key.
static void
s_topology_forget (nimbus_server_t *self, nimbus_topology_t *topology)
{
    const char *id = nimbus_topology_id (topology);
    zcert_t *cert = self->curve ? zhashx_lookup (self->topology_keys, id) : NULL;
    if (cert) {
        sq_curve_auth_forget (self->auth, zcert_public_txt (cert));
        zhashx_delete (self->topology_keys, id);
    }
    nimbus_history_forget (self->history, id);
    nimbus_traces_forget (self->traces, id);
    nimbus_failures_forget (self->failures, id);
    zhashx_delete (self->topologies, id);
}

//  The state of the topology named name, pending submissions included.
static nimbus_topology_t *
s_topology_named (nimbus_server_t *self, const char *name)
{
    for (nimbus_topology_t *topology = zhashx_first (self->topologies); topology;
         topology = zhashx_next (self->topologies))
        if (strcmp (nimbus_topology_name (topology), name) == 0)
            return topology;
    return NULL;
}

//  ---------------------------------------------------------------------
//  Validation

static void s_finish_submit (nimbus_server_t *self, nimbus_topology_t *topology);

//  A validation ended: finish the submit waiting for it, or take the
//  executors of a topology adopted at start.
static void
s_validation_done (nimbus_server_t *self, nimbus_topology_t *topology)
{
    if (nimbus_topology_submit (topology)) {
        s_finish_submit (self, topology);
        return;
    }
    const char *name = nimbus_topology_name (topology);
    const char *id = nimbus_topology_id (topology);
    const char *error = nimbus_validator_error (nimbus_topology_validator (topology));
    size_t executor_count;
    if (error)
        zsys_error ("topology=%s id=%s: cannot learn its executors again: %s; it runs on but "
                    "cannot be rescheduled",
                    name, id, error);
    else if (nimbus_topology_take_executors (topology))
        zsys_error ("topology=%s: %s", name, sq_last_error ());
    else {
        nimbus_topology_executors (topology, &executor_count);
        zsys_info ("topology=%s id=%s: package validated again executors=%zu", name, id,
                   executor_count);
    }
    nimbus_topology_stop_validation (topology);
}

//  Start validating the stored package of topology with config.
static int
s_start_validation (nimbus_server_t *self, nimbus_topology_t *topology, const sq_config_t *config)
{
    char *path = nimbus_store_path (self->store, nimbus_topology_id (topology));
    int rc = path ? nimbus_topology_validate (topology, path, config, self->sandbox,
                                              self->validation_timeout_ms)
                  : -1;
    zstr_free (&path);
    return rc;
}

//  ---------------------------------------------------------------------
//  Kill, rebalance

//  The wait of a kill is over: delete the topology's records and package.
//  Tried again a second later while ZooKeeper refuses.
static void
s_remove (nimbus_server_t *self, nimbus_topology_t *topology)
{
    const char *name = nimbus_topology_name (topology);
    const char *id = nimbus_topology_id (topology);
    if (!s_leads (self)) {
        nimbus_topology_schedule_removal (topology, S_RETRY_MS / 1000.0);
        return;
    }
    if (nimbus_cluster_remove (self->cluster, name)) {
        zsys_warning ("topology=%s: cannot remove it yet: %s", name, sq_last_error ());
        nimbus_topology_schedule_removal (topology, S_RETRY_MS / 1000.0);
        return;
    }
    if (nimbus_store_remove (self->store, id))
        zsys_warning ("topology=%s: %s", name, sq_last_error ());
    nimbus_monitor_forget (self->monitor, id);
    zsys_info ("topology=%s id=%s: killed and removed", name, id);
    s_topology_forget (self, topology);
}

//  Give a topology the fresh assignment its record's rebalance asks for,
//  and end the rebalance. Returns 0, or -1 when ZooKeeper could not be
//  written (the rebalance stays, to be tried again).
static int
s_rebalance_now (nimbus_server_t *self, nimbus_topology_t *topology,
                 const sq_topology_record_t *record)
{
    const char *name = nimbus_topology_name (topology);
    const sq_assignment_t *current = nimbus_cluster_assignment (self->cluster, name);
    int64_t generation = current ? current->generation : 0;
    size_t executor_count;
    const nimbus_executor_t *executors = nimbus_topology_executors (topology, &executor_count);
    sq_assignment_t *assignment = nimbus_cluster_schedule (
        self->cluster, record, executors, executor_count, NULL, 0, record->rebalance_workers);
    if (!assignment)
        //  No room, say: the topology keeps its placement; the monitor
        //  moves it towards the new worker count when it can.
        zsys_error ("topology=%s: rebalance failed: %s", name, sq_last_error ());
    else {
        if (assignment->generation <= generation)
            assignment->generation = generation + 1;
        size_t workers = assignment->worker_count;
        int64_t new_generation = assignment->generation;
        if (nimbus_cluster_put_assignment (self->cluster, &assignment)) {
            zsys_error ("topology=%s: rebalance not written: %s", name, sq_last_error ());
            return -1;
        }
        nimbus_monitor_watch (self->monitor, nimbus_cluster_assignment (self->cluster, name),
                              zclock_mono ());
        zsys_info ("topology=%s: rebalanced workers=%zu generation=%lld", name, workers,
                   (long long) new_generation);
    }
    if (nimbus_cluster_end_rebalance (self->cluster, name)) {
        zsys_error ("topology=%s: cannot end its rebalance: %s", name, sq_last_error ());
        return -1;
    }
    return 0;
}

//  The wait of a rebalance is over: reschedule and restore the status.
//  Tried again a second later while nimbus does not know the executors
//  yet (after a restart, the package is being validated again) or
//  ZooKeeper cannot be written.
static void
s_end_rebalance (nimbus_server_t *self, nimbus_topology_t *topology)
{
    const sq_topology_record_t *record =
        nimbus_cluster_topology (self->cluster, nimbus_topology_name (topology));
    if (!record || record->rebalance_workers == 0 || record->status == SQ_TOPOLOGY_KILLED) {
        nimbus_topology_end_rebalance (topology);
        return;
    }
    size_t executor_count;
    if (!s_leads (self) || !nimbus_topology_executors (topology, &executor_count) ||
        s_rebalance_now (self, topology, record)) {
        nimbus_topology_schedule_rebalance (topology, S_RETRY_MS);
        return;
    }
    nimbus_topology_end_rebalance (topology);
}

//  Arm the end of the rebalance a topology's record notes, when it is due.
static void
s_schedule_rebalance (nimbus_topology_t *topology, const sq_topology_record_t *record)
{
    nimbus_topology_schedule_rebalance (topology, record->rebalance_due - zclock_time ());
}

//  A topology's validation or timer ended.
static void
s_on_topology (nimbus_topology_t *topology, nimbus_topology_event_t event, void *arg)
{
    nimbus_server_t *self = arg;
    switch (event) {
    case NIMBUS_TOPOLOGY_VALIDATED:
        s_validation_done (self, topology);
        break;
    case NIMBUS_TOPOLOGY_REMOVAL_DUE:
        s_remove (self, topology);
        break;
    case NIMBUS_TOPOLOGY_REBALANCE_DUE:
        s_end_rebalance (self, topology);
        break;
    }
}

//  ---------------------------------------------------------------------
//  Verbs. Each answers its request (or, for submit, arranges the answer).

//  The record of the topology a request names, or NULL having answered
//  the error.
static const sq_topology_record_t *
s_named_topology (nimbus_server_t *self, nimbus_request_t *request)
{
    const char *name = nimbus_request_fields (request)->name;
    const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, name);
    if (!record)
        nimbus_request_reply_error (request, self->router, "no topology named '%s'", name);
    return record;
}

//  ---------------------------------------------------------------------
//  Authorization (nimbus_authorizer; doc/security.md)

//  Count a refusal of peer; log it when it is the peer's first (so a
//  flood of refused requests is one line per peer).
static void
s_note_refusal (nimbus_server_t *self, const char *peer, const char *text)
{
    if (nimbus_refusals_note (self->refusals, peer))
        zsys_warning ("refused peer=%s: %s (its further refusals are counted in "
                      "squall_nimbus_unauthorized_total, not logged)",
                      peer, text);
}

//  Refuse a control request: count, log once per peer, answer text.
static void
s_refuse_request (nimbus_server_t *self, nimbus_request_t *request, const char *peer,
                  const char *text)
{
    s_note_refusal (self, peer, text);
    nimbus_request_reply_error (request, self->router, "%s", text);
}

//  True when principal may do action on the topology of record (NULL:
//  submit and list).
static bool
s_permits (nimbus_server_t *self, const char *principal, nimbus_action_t action,
           const sq_topology_record_t *record)
{
    const sq_config_t *config = record ? record->config : NULL;
    return nimbus_authorizer_permits (self->authorizer, principal, action,
                                      nimbus_authorizer_owner (config), config);
}

//  Refuse a request of principal for action on record (NULL for submit),
//  answering "not authorized: ...".
static void
s_refuse_action (nimbus_server_t *self, nimbus_request_t *request, const char *principal,
                 nimbus_action_t action, const sq_topology_record_t *record)
{
    char *text =
        nimbus_authorizer_refusal (principal, action, record ? record->name : NULL,
                                   record ? nimbus_authorizer_owner (record->config) : NULL);
    s_refuse_request (self, request, principal, text ? text : "not authorized");
    zstr_free (&text);
}

//  The principal of a request into *principal_p: the name of the allowed
//  certificate whose key the peer authenticated with (NULL without CURVE:
//  no authentication). Returns -1 having refused the request when its
//  key names nobody.
static int
s_principal (nimbus_server_t *self, nimbus_request_t *request, const char **principal_p)
{
    const char *key = nimbus_request_user_id (request);
    *principal_p = NULL;
    if (!key)
        return 0;
    *principal_p = self->principals ? nimbus_principals_name (self->principals, key) : NULL;
    if (*principal_p)
        return 0;
    char *text = zsys_sprintf ("not authorized: key %.64s is not the key of a named certificate "
                               "in squall.curve.allowed.dir",
                               key);
    s_refuse_request (self, request, key, text ? text : "not authorized");
    zstr_free (&text);
    return -1;
}

//  The record of the topology a request names when principal may do
//  action on it; else NULL having answered the error or the refusal.
static const sq_topology_record_t *
s_permitted_topology (nimbus_server_t *self, nimbus_request_t *request, const char *principal,
                      nimbus_action_t action)
{
    const sq_topology_record_t *record = s_named_topology (self, request);
    if (record && !s_permits (self, principal, action, record)) {
        s_refuse_action (self, request, principal, action, record);
        return NULL;
    }
    return record;
}

//  Refuse a submit that cannot go on (name taken, bad checksum or size,
//  no free slot), answering it. Returns true when it refused.
static bool
s_submit_refused (nimbus_server_t *self, nimbus_request_t *request)
{
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, fields->name);
    size_t size = zframe_size (fields->package);
    if (record)
        nimbus_request_reply_error (
            request, self->router, "topology '%s' is already %s", fields->name,
            record->status == SQ_TOPOLOGY_KILLED ? "being killed" : "running");
    else if (s_topology_named (self, fields->name))
        nimbus_request_reply_error (request, self->router, "topology '%s' is being submitted",
                                    fields->name);
    else if (!sq_sha256_is_hex (fields->checksum))
        nimbus_request_reply_error (request, self->router,
                                    "submit: field 'checksum' must be 64 hex digits (SHA-256)");
    else if (size == 0 || (int64_t) size > self->max_package)
        nimbus_request_reply_error (request, self->router,
                                    "package of %zu bytes refused: it must have 1 to %lld "
                                    "bytes (nimbus.package.max.bytes)",
                                    size, (long long) self->max_package);
    else if (nimbus_cluster_free_slot_count (self->cluster) == 0)
        nimbus_request_reply_error (request, self->router,
                                    "not enough free slots: the cluster has 0 free slots "
                                    "(%zu live supervisors)",
                                    nimbus_cluster_supervisor_count (self->cluster));
    else
        return false;
    return true;
}

//  The config of a submit: the client's, with the owner nimbus records
//  (topology.submitter.user = principal) in place of whatever the client
//  wrote there; without a principal, without any. NULL when invalid.
static sq_config_t *
s_submit_config (const json_t *sent, const char *principal)
{
    json_t *json = sent ? json_copy ((json_t *) sent) : json_object ();
    if (json)
        json_object_del (json, "topology.submitter.user");
    sq_config_t *config = json ? sq_config_from_json (json) : NULL;
    json_decref (json);
    if (config && principal && sq_config_set_string (config, "topology.submitter.user", principal))
        sq_config_destroy (&config);
    return config;
}

//  Store the package and start its validation; s_finish_submit answers
//  when it ends. Takes the request when it keeps it.
static void
s_submit (nimbus_server_t *self, nimbus_request_t **request_p, const char *principal)
{
    nimbus_request_t *request = *request_p;
    if (!s_permits (self, principal, NIMBUS_ACTION_SUBMIT, NULL)) {
        s_refuse_action (self, request, principal, NIMBUS_ACTION_SUBMIT, NULL);
        return;
    }
    if (s_submit_refused (self, request))
        return;
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    sq_config_t *config = s_submit_config (fields->config, principal);
    if (!config) {
        nimbus_request_reply_error (request, self->router, "invalid config: %s", sq_last_error ());
        return;
    }
    char *id = zsys_sprintf ("%s-%lld-%08x", fields->name, (long long) time (NULL),
                             (unsigned) (sq_ids_random () & 0xffffffff));
    nimbus_topology_t *topology = id ? s_topology_new (self, fields->name, id) : NULL;
    zstr_free (&id);
    if (!topology || nimbus_topology_set_checksum (topology, fields->checksum)) {
        sq_config_destroy (&config);
        if (topology)
            s_topology_forget (self, topology);
        nimbus_request_reply_error (request, self->router, "out of memory");
        return;
    }
    const char *name = nimbus_topology_name (topology);
    const char *topology_id = nimbus_topology_id (topology);
    size_t size = zframe_size (fields->package);
    if (nimbus_store_put (self->store, topology_id, zframe_data (fields->package), size,
                          nimbus_topology_checksum (topology)) ||
        s_key_make (self, topology_id) || s_start_validation (self, topology, config)) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        nimbus_store_remove (self->store, topology_id);
        sq_config_destroy (&config);
        s_topology_forget (self, topology);
        return;
    }
    nimbus_topology_hold_submit (topology, request_p, &config);
    zsys_info ("topology=%s id=%s: package stored bytes=%zu; validating", name, topology_id, size);
}

//  The validation of a submitted package ended: schedule and answer.
static void
s_finish_submit (nimbus_server_t *self, nimbus_topology_t *topology)
{
    nimbus_request_t *request = nimbus_topology_submit (topology);
    nimbus_validator_t *validator = nimbus_topology_validator (topology);
    const char *name = nimbus_topology_name (topology);
    const char *id = nimbus_topology_id (topology);
    const char *error = nimbus_validator_error (validator);
    if (error) {
        zsys_warning ("topology=%s: submit refused: topology invalid: %s", name, error);
        nimbus_request_reply_error (request, self->router, "topology invalid: %s", error);
        goto refused;
    }
    if (nimbus_topology_take_executors (topology)) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        goto refused;
    }
    sq_topology_record_t *record = sq_topology_record_new (
        name, id, nimbus_topology_checksum (topology), nimbus_topology_submit_config (topology));
    if (!record) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        goto refused;
    }
    record->submitted = (int64_t) time (NULL);
    record->workers = nimbus_validator_workers (validator);
    if (nimbus_request_fields (request)->inactive)
        record->status = SQ_TOPOLOGY_INACTIVE;
    size_t executor_count;
    const nimbus_executor_t *executors = nimbus_topology_executors (topology, &executor_count);
    sq_assignment_t *assignment =
        nimbus_cluster_schedule (self->cluster, record, executors, executor_count, NULL, 0, 0);
    if (!assignment) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        sq_topology_record_destroy (&record);
        goto refused;
    }
    size_t workers = assignment->worker_count;
    int asked = record->workers;
    if (nimbus_cluster_add (self->cluster, &record, &assignment)) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        goto refused;
    }
    nimbus_monitor_watch (self->monitor, nimbus_cluster_assignment (self->cluster, name),
                          zclock_mono ());
    json_t *reply = json_pack ("{s:s}", "id", id);
    //  Fewer free slots (or executors) than topology.workers asks for: it
    //  runs on what there is, and the submitter hears it (as the list
    //  does).
    if (reply && (size_t) asked > workers) {
        zsys_warning ("topology=%s id=%s: scheduled on %zu of the %d workers topology.workers "
                      "asks for: fewer free slots or executors",
                      name, id, workers, asked);
        json_object_set_new (reply, "warning",
                             json_sprintf ("scheduled on %zu of the %d workers topology.workers "
                                           "asks for: fewer free slots or executors",
                                           workers, asked));
    }
    nimbus_request_reply (request, self->router, &reply, NULL, 0);
    zsys_info ("topology=%s id=%s: submitted workers=%zu executors=%zu status=%s", name, id,
               workers, executor_count,
               nimbus_request_fields (request)->inactive ? "inactive" : "active");
    nimbus_topology_end_submit (topology);
    return;

refused:
    nimbus_store_remove (self->store, id);
    s_topology_forget (self, topology);
}

//  One line of the list: a topology's summary.
static json_t *
s_summary (nimbus_server_t *self, const sq_topology_record_t *record)
{
    const sq_assignment_t *assignment = nimbus_cluster_assignment (self->cluster, record->name);
    if (assignment && strcmp (assignment->topology_id, record->id) != 0)
        assignment = NULL;
    size_t tasks = 0;
    for (size_t w = 0; assignment && w < assignment->worker_count; w++)
        for (size_t e = 0; e < assignment->workers[w].executor_count; e++)
            tasks += (size_t) (assignment->workers[w].executors[e].last_task -
                               assignment->workers[w].executors[e].first_task + 1);
    nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
    const char *status = topology && nimbus_topology_rebalancing (topology)
                             ? "rebalancing"
                             : sq_topology_record_status_name (record->status);
    int64_t uptime = (int64_t) time (NULL) - record->submitted;
    json_t *totals = nimbus_monitor_totals (self->monitor, record->id);
    json_t *summary =
        json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "name", record->name, "id", record->id,
                   "status", status, "uptime_secs", (json_int_t) (uptime > 0 ? uptime : 0),
                   "workers", (json_int_t) (assignment ? assignment->worker_count : 0), "executors",
                   (json_int_t) (assignment ? sq_assignment_executor_count (assignment) : 0),
                   "tasks", (json_int_t) tasks);
    //  Workers heartbeat once every executor of theirs opened or
    //  prepared: those heard within nimbus.task.timeout.secs run.
    int64_t now = zclock_mono ();
    int64_t timeout_ms = sq_config_int (self->config, "nimbus.task.timeout.secs", 5) * 1000;
    json_int_t running = 0;
    for (size_t w = 0; assignment && w < assignment->worker_count; w++) {
        int64_t silence =
            nimbus_monitor_silence (self->monitor, record->id, assignment->workers[w].supervisor_id,
                                    assignment->workers[w].port, now);
        running += silence >= 0 && silence <= timeout_ms;
    }
    if (summary &&
        (json_object_set_new (summary, "requested_workers", json_integer (record->workers)) ||
         json_object_set_new (summary, "running_workers", json_integer (running)))) {
        json_decref (summary);
        summary = NULL;
    }
    //  The workers' counters, from their latest heartbeats: emitted,
    //  acked, failed, ... Workers name them: none replaces a field above.
    if (summary && totals)
        json_object_update_missing (summary, totals);
    json_decref (totals);
    if (summary)
        nimbus_failures_summarize (self->failures, record->id, (int64_t) time (NULL), summary);
    return summary;
}

//  The list shows a principal only the topologies it may view.
static void
s_list (nimbus_server_t *self, nimbus_request_t *request, const char *principal)
{
    json_t *list = json_array ();
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; list && name;
         name = zlist_next (names)) {
        const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, name);
        if (s_permits (self, principal, NIMBUS_ACTION_VIEW, record))
            json_array_append_new (list, s_summary (self, record));
    }
    zlist_destroy (&names);
    json_t *reply = list ? json_pack ("{s:o}", "topologies", list) : NULL;
    if (reply)
        nimbus_request_reply (request, self->router, &reply, NULL, 0);
    else
        nimbus_request_reply_error (request, self->router, "out of memory");
}

//  True when a component of nimbus_validator_components is a spout.
static bool
s_is_spout (const json_t *component)
{
    const char *type = json_string_value (json_object_get (component, "type"));
    return type && strcmp (type, "spout") == 0;
}

//  The counts of each component of a named topology, from its workers'
//  latest metrics. Components the last validation found are listed even
//  before any worker reported them (with zero counts), so that a client
//  can tell a component that exists from one that does not.
static void
s_metrics (nimbus_server_t *self, nimbus_request_t *request, const char *principal)
{
    const sq_topology_record_t *record =
        s_permitted_topology (self, request, principal, NIMBUS_ACTION_VIEW);
    if (!record)
        return;
    json_t *counts = nimbus_monitor_component_counts (self->monitor, record->id);
    nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
    const json_t *known = topology ? nimbus_topology_components (topology) : NULL;
    const char *id;
    json_t *component;
    json_object_foreach ((json_t *) known, id, component)
    {
        if (!counts || json_object_get (counts, id))
            continue;
        json_t *zero =
            json_pack ("{s:b, s:i, s:i, s:{}, s:{}, s:i, s:i, s:i, s:i}", "spout",
                       s_is_spout (component), "executors", 0, "tasks", 0, "emitted", "transferred",
                       "acked", 0, "failed", 0, "timed_out", 0, "executed", 0);
        if (!zero || json_object_set_new (counts, id, zero)) {
            json_decref (counts);
            counts = NULL;
        }
    }
    json_t *reply = counts ? json_pack ("{s:s, s:s, s:o}", "name", record->name, "id", record->id,
                                        "components", counts)
                           : NULL;
    const json_t *failure = nimbus_failures_last (self->failures, record->id);
    if (reply && failure)
        json_object_set_new (reply, "last_failure", json_deep_copy (failure));
    if (reply)
        nimbus_request_reply (request, self->router, &reply, NULL, 0);
    else
        nimbus_request_reply_error (request, self->router, "out of memory");
}

//  What an action on a topology (kill, activate, deactivate, rebalance)
//  came to. The control protocol's verbs and the REST API's POST actions
//  both run these.
#define S_DONE 0      //  done
#define S_REFUSED 1   //  the topology's state forbids it; sq_last_error() says why
#define S_FAILED (-1) //  ZooKeeper or memory failed; sq_last_error() says why

//  Refuse an action (printf-style). Returns S_REFUSED.
static int s_refuse (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static int
s_refuse (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    sq_error_set ("%s", text ? text : "refused");
    zstr_free (&text);
    return S_REFUSED;
}

//  Answer a verb with what its action came to.
static void
s_reply_outcome (nimbus_server_t *self, nimbus_request_t *request, int outcome)
{
    if (outcome == S_DONE)
        nimbus_request_reply (request, self->router, NULL, NULL, 0);
    else
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
}

//  Kill the topology of record: its status becomes killed at once, its
//  records and package go after wait_secs (negative: its message
//  timeout).
static int
s_kill_topology (nimbus_server_t *self, const sq_topology_record_t *record, double wait_secs)
{
    if (record->status == SQ_TOPOLOGY_KILLED)
        return s_refuse ("topology '%s' is being killed", record->name);
    nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
    if (wait_secs < 0)
        wait_secs = topology ? nimbus_topology_message_timeout (topology)
                             : sq_config_int (record->config, "topology.message.timeout.secs", 30);
    if (!topology)
        topology = s_topology_new (self, record->name, record->id);
    if (!topology)
        return sq_error_set ("out of memory");
    if (nimbus_cluster_set_status (self->cluster, record->name, SQ_TOPOLOGY_KILLED))
        return S_FAILED;
    nimbus_topology_stop_validation (topology);
    nimbus_topology_schedule_removal (topology, wait_secs);
    zsys_info ("topology=%s: killed; removal in %g s", record->name, wait_secs);
    return S_DONE;
}

//  Activate or deactivate the topology of record.
static int
s_activate_topology (nimbus_server_t *self, const sq_topology_record_t *record, bool active)
{
    if (record->status == SQ_TOPOLOGY_KILLED)
        return s_refuse ("topology '%s' is being killed", record->name);
    nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
    sq_topology_status_t status = active ? SQ_TOPOLOGY_ACTIVE : SQ_TOPOLOGY_INACTIVE;
    if (topology && nimbus_topology_rebalancing (topology))
        return s_refuse ("topology '%s' is being rebalanced; try again when it is done",
                         record->name);
    if (record->status != status && nimbus_cluster_set_status (self->cluster, record->name, status))
        return S_FAILED;
    zsys_info ("topology=%s: %s", record->name, active ? "activated" : "deactivated");
    return S_DONE;
}

//  Rebalance the topology of record over workers workers (0: as many as
//  it has) after wait_secs (negative: its message timeout).
static int
s_rebalance_topology (nimbus_server_t *self, const sq_topology_record_t *record, double wait_secs,
                      int workers)
{
    if (record->status == SQ_TOPOLOGY_KILLED)
        return s_refuse ("topology '%s' is being killed", record->name);
    nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
    if (topology && nimbus_topology_rebalancing (topology))
        return s_refuse ("topology '%s' is being rebalanced", record->name);
    size_t executor_count;
    if (!topology || !nimbus_topology_executors (topology, &executor_count))
        return s_refuse ("topology '%s' cannot be rebalanced yet: nimbus does not know its "
                         "executors (its package is being validated again, or is missing)",
                         record->name);
    if (wait_secs < 0)
        wait_secs = nimbus_topology_message_timeout (topology);
    if (workers <= 0)
        workers = record->workers;
    int64_t due = zclock_time () + (int64_t) (wait_secs * 1000);
    if (nimbus_cluster_begin_rebalance (self->cluster, record->name, workers, due))
        return S_FAILED;
    s_schedule_rebalance (topology, record);
    zsys_info ("topology=%s: rebalancing to workers=%d in %g s", record->name, workers, wait_secs);
    return S_DONE;
}

static void
s_kill (nimbus_server_t *self, nimbus_request_t *request, const char *principal)
{
    const sq_topology_record_t *record =
        s_permitted_topology (self, request, principal, NIMBUS_ACTION_KILL);
    if (record)
        s_reply_outcome (
            self, request,
            s_kill_topology (self, record, nimbus_request_fields (request)->wait_secs));
}

static void
s_set_active (nimbus_server_t *self, nimbus_request_t *request, const char *principal, bool active)
{
    const sq_topology_record_t *record = s_permitted_topology (
        self, request, principal, active ? NIMBUS_ACTION_ACTIVATE : NIMBUS_ACTION_DEACTIVATE);
    if (record)
        s_reply_outcome (self, request, s_activate_topology (self, record, active));
}

static void
s_rebalance (nimbus_server_t *self, nimbus_request_t *request, const char *principal)
{
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    const sq_topology_record_t *record =
        s_permitted_topology (self, request, principal, NIMBUS_ACTION_REBALANCE);
    if (record)
        s_reply_outcome (self, request,
                         s_rebalance_topology (self, record, fields->wait_secs, fields->workers));
}

static void
s_download (nimbus_server_t *self, nimbus_request_t *request, const char *principal)
{
    const char *id = nimbus_request_fields (request)->id;
    const sq_topology_record_t *record = nimbus_cluster_topology_by_id (self->cluster, id);
    if (!record) {
        nimbus_request_reply_error (request, self->router, "no topology with id '%.*s'",
                                    SQ_CLUSTER_MAX_NAME, id);
        return;
    }
    if (!s_permits (self, principal, NIMBUS_ACTION_DOWNLOAD, record)) {
        s_refuse_action (self, request, principal, NIMBUS_ACTION_DOWNLOAD, record);
        return;
    }
    if (!s_leads (self) && !nimbus_store_has (self->store, id)) {
        char text[320];
        nimbus_request_reply_error (request, self->router, "%s",
                                    s_leader_text (self, text, sizeof text));
        return;
    }
    size_t size;
    char checksum[SQ_SHA256_HEX_SIZE];
    void *package = nimbus_store_get (self->store, id, &size, checksum);
    if (!package) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        return;
    }
    json_t *reply = json_pack ("{s:s}", "checksum", checksum);
    //  The topology's key pair goes to its supervisors with the package,
    //  only ever over CURVE.
    zcert_t *key = nimbus_request_user_id (request) && self->topology_keys
                       ? zhashx_lookup (self->topology_keys, id)
                       : NULL;
    if (reply && key)
        json_object_update_new (reply, json_pack ("{s:s, s:s}", "topology_public_key",
                                                  zcert_public_txt (key), "topology_secret_key",
                                                  zcert_secret_txt (key)));
    nimbus_request_reply (request, self->router, &reply, package, size);
    free (package);
}

static void s_log_malformed (nimbus_server_t *self, nimbus_request_t *request, const char *error);

//  On a secured nimbus a heartbeat for topology T counts only when it
//  came with T's key. Returns true when it refused (counted, logged once
//  per peer).
static bool
s_heartbeat_refused (nimbus_server_t *self, nimbus_request_t *request)
{
    if (!self->curve)
        return false;
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    zcert_t *key = zhashx_lookup (self->topology_keys, fields->id);
    const char *user_id = nimbus_request_user_id (request);
    if (key && user_id && strcmp (user_id, zcert_public_txt (key)) == 0)
        return false;
    self->heartbeats_refused++;
    const char *peer = user_id ? user_id : "(none)";
    if (nimbus_refusals_note (self->refusals, peer)) {
        zsys_warning ("heartbeat refused: key %s is not the key of topology id=%.200s "
                      "worker=%.200s:%d heartbeats_refused=%llu",
                      peer, fields->id, fields->supervisor, fields->port,
                      (unsigned long long) self->heartbeats_refused);
    }
    return true;
}

//  Keep a heartbeat's trace events, when its slot is assigned; the
//  worker is named by its host and port.
static void
s_store_traces (nimbus_server_t *self, const nimbus_request_fields_t *fields)
{
    const sq_topology_record_t *record = nimbus_cluster_topology_by_id (self->cluster, fields->id);
    const sq_assignment_t *assignment =
        record ? nimbus_cluster_assignment (self->cluster, record->name) : NULL;
    const sq_assignment_worker_t *slot =
        assignment ? sq_assignment_find_slot (assignment, fields->supervisor, fields->port) : NULL;
    if (!slot)
        return;
    char worker[300];
    snprintf (worker, sizeof worker, "%s:%d", slot->host, slot->port);
    if (nimbus_traces_add (self->traces, fields->id, fields->traces, worker))
        zsys_warning ("topology id=%s: out of memory keeping a heartbeat's traces", fields->id);
}

//  The trace sample percentage of a topology record.
static double
s_sample_pct (const sq_topology_record_t *record)
{
    return sq_config_double (record->config, "topology.trace.sample.rate", 0) * 100;
}

//  Set the trace sample percentage of the topology of record (0 .. 100).
static int
s_trace_topology (nimbus_server_t *self, const sq_topology_record_t *record, double pct)
{
    if (record->status == SQ_TOPOLOGY_KILLED)
        return s_refuse ("topology '%s' is being killed", record->name);
    if (nimbus_cluster_set_trace_rate (self->cluster, record->name, pct / 100))
        return S_FAILED;
    zsys_info ("topology=%s: trace sample rate %g%%", record->name, pct);
    return S_DONE;
}

//  A topology's sampled trees, after setting its trace rate when asked.
static void
s_trace (nimbus_server_t *self, nimbus_request_t *request, const char *principal)
{
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    //  Reading a topology's trees is viewing it; changing its rate is
    //  Storm's debug action.
    const sq_topology_record_t *record =
        s_permitted_topology (self, request, principal,
                              fields->sample_pct >= 0 ? NIMBUS_ACTION_DEBUG : NIMBUS_ACTION_VIEW);
    if (!record)
        return;
    if (fields->sample_pct >= 0 && s_trace_topology (self, record, fields->sample_pct) != S_DONE) {
        nimbus_request_reply_error (request, self->router, "%s", sq_last_error ());
        return;
    }
    json_t *reply = nimbus_traces_json (self->traces, record->id, s_sample_pct (record),
                                        fields->limit ? (size_t) fields->limit : 20);
    if (reply)
        json_object_set_new (reply, "name", json_string (record->name));
    if (reply)
        nimbus_request_reply (request, self->router, &reply, NULL, 0);
    else
        nimbus_request_reply_error (request, self->router, "out of memory");
}

static void
s_heartbeat (nimbus_server_t *self, nimbus_request_t *request)
{
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    if (s_heartbeat_refused (self, request))
        return;
    if (fields->metrics_refused) {
        self->malformed++;
        s_log_malformed (self, request, fields->metrics_refused);
    }
    if (fields->traces_refused) {
        self->malformed++;
        s_log_malformed (self, request, fields->traces_refused);
    }
    if (nimbus_monitor_heartbeat (self->monitor, fields->id, fields->supervisor, fields->port,
                                  fields->stats, zclock_mono ())) {
        self->stale_heartbeats++;
        zsys_debug ("heartbeat of a slot not assigned topology=%s id=%s worker=%s:%d",
                    fields->topology, fields->id, fields->supervisor, fields->port);
    } else if (fields->metrics) {
        nimbus_monitor_store_metrics (self->monitor, fields->id, fields->supervisor, fields->port,
                                      fields->metrics);
        if (nimbus_metrics_fold (nimbus_monitor_windows (self->monitor), fields->id,
                                 fields->metrics, (uint64_t) zclock_mono ()))
            zsys_warning ("topology id=%s: out of memory folding a heartbeat's metrics",
                          fields->id);
    }
    if (fields->traces)
        s_store_traces (self, fields);
}

//  Keep the failure records a supervisor's heartbeat carries: each checked
//  (nimbus_failures), and only of topologies we know, under their names;
//  a bad one is counted and logged as malformed, the rest are kept.
static void
s_take_failures (nimbus_server_t *self, nimbus_request_t *request)
{
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    const json_t *failures = fields->failures;
    if (!failures)
        return;
    if (!json_is_array (failures) || json_array_size (failures) > NIMBUS_FAILURES_PER_HEARTBEAT) {
        self->malformed++;
        s_log_malformed (self, request,
                         "supervisor_heartbeat: field 'failures' must be an array of at most "
                         "16 records");
        return;
    }
    size_t index;
    const json_t *record;
    json_array_foreach (failures, index, record)
    {
        const char *topology_id = json_string_value (json_object_get (record, "topology_id"));
        const char *name = json_string_value (json_object_get (record, "topology"));
        nimbus_topology_t *topology =
            topology_id ? zhashx_lookup (self->topologies, topology_id) : NULL;
        if (!topology || !name || strcmp (nimbus_topology_name (topology), name) != 0)
            continue; //  a topology killed since, or never ours: nothing to show it on
        int rc = nimbus_failures_add (self->failures, fields->supervisor, record);
        if (rc < 0) {
            self->malformed++;
            s_log_malformed (self, request, sq_last_error ());
        } else if (rc == 1)
            zsys_warning ("topology=%s worker failed supervisor=%s port=%lld: %s%s%s", name,
                          fields->supervisor,
                          (long long) json_integer_value (json_object_get (record, "port")),
                          json_string_value (json_object_get (record, "cause")),
                          json_object_get (record, "component") ? " component=" : "",
                          json_object_get (record, "component")
                              ? json_string_value (json_object_get (record, "component"))
                              : "");
    }
}

//  A supervisor's heartbeat: only of a supervisor registered in ZooKeeper
//  (memory stays bounded), and on a secured nimbus only from a named
//  principal that may act as a supervisor (nimbus.supervisor.users, or an
//  admin). Never answered, refusals included.
static void
s_supervisor_heartbeat (nimbus_server_t *self, nimbus_request_t *request)
{
    const char *id = nimbus_request_fields (request)->supervisor;
    const char *key = nimbus_request_user_id (request);
    const char *principal =
        key && self->principals ? nimbus_principals_name (self->principals, key) : NULL;
    if (key && (!principal || !nimbus_authorizer_permits (self->authorizer, principal,
                                                          NIMBUS_ACTION_DOWNLOAD, NULL, NULL))) {
        self->heartbeats_refused++;
        zsys_debug ("supervisor heartbeat refused: key %.64s may not act as a supervisor", key);
        return;
    }
    if (!nimbus_cluster_supervisor_alive (self->cluster, id)) {
        self->stale_heartbeats++;
        zsys_debug ("heartbeat of a supervisor not registered supervisor=%.200s", id);
        return;
    }
    s_take_failures (self, request);
    int64_t now = zclock_mono ();
    int64_t silence = nimbus_liveness_silence (self->liveness, id, now);
    if (nimbus_liveness_heartbeat (self->liveness, id, now))
        zsys_warning ("supervisor=%s: out of memory recording its heartbeat", id);
    if (nimbus_cluster_supervisor_lost (self->cluster, id)) {
        nimbus_cluster_set_supervisor_lost (self->cluster, id, false);
        zsys_info ("supervisor=%s heartbeats again after %lld ms; its slots are free for "
                   "scheduling",
                   id, (long long) silence);
    }
}

//  ---------------------------------------------------------------------
//  Storm's UI REST API (nimbus_rest) over HTTP (nimbus_http)

//  What the REST answers read, now.
static void
s_view (nimbus_server_t *self, nimbus_rest_view_t *view)
{
    *view = (nimbus_rest_view_t){
        .cluster = self->cluster,
        .monitor = self->monitor,
        .topologies = self->topologies,
        .config = self->config,
        .nimbus_host = sq_config_string (self->config, "nimbus.host", "127.0.0.1"),
        .nimbus_port = (int) sq_config_int (self->config, "nimbus.port", 6627),
        .started = self->started,
        .now = (int64_t) time (NULL),
        .now_mono = zclock_mono (),
        .requests = self->requests,
        .malformed = self->malformed,
        .stale_heartbeats = self->stale_heartbeats,
        .heartbeats_refused = self->heartbeats_refused,
        .connections_refused = self->auth ? sq_curve_auth_handshakes_failed (self->auth) : 0,
        .disconnects = self->auth ? sq_curve_auth_disconnects (self->auth) : 0,
        .connections_over_limit = self->auth ? sq_curve_auth_over_limit (self->auth) : 0,
        .connections_open = self->auth ? sq_curve_auth_open (self->auth) : 0,
        .http_requests = self->http ? nimbus_http_requests (self->http) : 0,
        .unauthorized = nimbus_refusals_total (self->refusals),
        .leader = self->leader,
        .history = self->history,
        .traces = self->traces,
        .failures = self->failures,
    };
}

//  Run a POST action through the code the control verbs use; returns
//  Storm's answer and its status in *status_p.
static json_t *
s_http_action (nimbus_server_t *self, const nimbus_http_request_t *request,
               const nimbus_rest_route_t *route, const char *principal, int *status_p)
{
    if (!s_leads (self)) {
        char text[320];
        *status_p = 503;
        return nimbus_rest_error (503, s_leader_text (self, text, sizeof text));
    }
    const sq_topology_record_t *record =
        nimbus_cluster_topology_by_id (self->cluster, route->topology_id);
    if (!record) {
        *status_p = 404;
        return nimbus_rest_error (404, "no topology with that id");
    }
    nimbus_action_t action = route->handler == NIMBUS_REST_ACTIVATE     ? NIMBUS_ACTION_ACTIVATE
                             : route->handler == NIMBUS_REST_DEACTIVATE ? NIMBUS_ACTION_DEACTIVATE
                             : route->handler == NIMBUS_REST_KILL       ? NIMBUS_ACTION_KILL
                             : route->handler == NIMBUS_REST_DEBUG      ? NIMBUS_ACTION_DEBUG
                                                                        : NIMBUS_ACTION_REBALANCE;
    if (!s_permits (self, principal, action, record)) {
        char *text = nimbus_authorizer_refusal (principal, action, record->name,
                                                nimbus_authorizer_owner (record->config));
        s_note_refusal (self, principal, text ? text : "not authorized");
        *status_p = 403;
        json_t *answer = nimbus_rest_error (403, text ? text : "not authorized");
        zstr_free (&text);
        return answer;
    }
    const char *operation = NULL;
    int outcome = S_DONE;
    int workers = 0;
    size_t size;
    const char *body = nimbus_http_request_body (request, &size);
    switch (route->handler) {
    case NIMBUS_REST_ACTIVATE:
    case NIMBUS_REST_DEACTIVATE:
        operation = route->handler == NIMBUS_REST_ACTIVATE ? "activate" : "deactivate";
        outcome = s_activate_topology (self, record, route->handler == NIMBUS_REST_ACTIVATE);
        break;
    case NIMBUS_REST_KILL:
        operation = "kill";
        outcome = s_kill_topology (self, record, route->wait_secs);
        break;
    case NIMBUS_REST_REBALANCE:
        operation = "rebalance";
        if (nimbus_rest_rebalance_options (body, size, &workers)) {
            *status_p = 400;
            return nimbus_rest_error (400, sq_last_error ());
        }
        outcome = s_rebalance_topology (self, record, route->wait_secs, workers);
        break;
    case NIMBUS_REST_DEBUG:
        operation = "debug";
        outcome = s_trace_topology (self, record, route->sample_pct);
        break;
    default:
        assert (false);
    }
    *status_p = outcome == S_DONE ? 200 : outcome == S_REFUSED ? 409 : 503;
    return outcome == S_DONE ? nimbus_rest_action (operation, route->topology_id)
                             : nimbus_rest_error (*status_p, sq_last_error ());
}

//  True for the POST actions (kill, activate, ...).
static bool
s_http_is_action (const nimbus_rest_route_t *route)
{
    return route->handler == NIMBUS_REST_ACTIVATE || route->handler == NIMBUS_REST_DEACTIVATE ||
           route->handler == NIMBUS_REST_REBALANCE || route->handler == NIMBUS_REST_KILL ||
           route->handler == NIMBUS_REST_DEBUG;
}

//  The principal of an HTTP request's bearer token into *principal_p
//  (NULL when the request needs none). Returns NULL, or the 401 answer
//  (caller owns) when it needs a token and has no known one.
static json_t *
s_http_authenticate (nimbus_server_t *self, const nimbus_http_request_t *request,
                     const nimbus_rest_route_t *route, const char **principal_p)
{
    *principal_p = NULL;
    if (s_http_is_action (route) ? self->http_open : !self->http_gets_need_token)
        return NULL;
    const char *header = nimbus_http_request_header (request, "Authorization");
    *principal_p = self->tokens ? nimbus_tokens_principal (self->tokens, header) : NULL;
    if (*principal_p)
        return NULL;
    const char *text = !self->tokens
                           ? "this nimbus takes no REST actions: ui.tokens.file is not set"
                       : header ? "unknown bearer token"
                                : "an 'Authorization: Bearer TOKEN' header is required";
    char peer[96];
    snprintf (peer, sizeof peer, "http client %s", nimbus_http_request_peer (request));
    s_note_refusal (self, peer, text);
    return nimbus_rest_error (401, text);
}

static void
s_on_http (const nimbus_http_request_t *request, nimbus_http_reply_t *reply, void *arg)
{
    nimbus_server_t *self = arg;
    const char *path = nimbus_http_request_path (request);
    if (nimbus_ui_files_serve (self->ui_files, request, reply))
        return;
    nimbus_rest_route_t route;
    nimbus_rest_route (nimbus_http_request_method (request), path,
                       nimbus_http_request_query (request, "window"),
                       nimbus_http_request_query (request, "sys"), &route);
    const char *principal;
    json_t *answer = s_http_authenticate (self, request, &route, &principal);
    if (answer) {
        reply->authenticate = "Bearer";
        nimbus_http_reply_json (reply, 401, &answer);
        return;
    }
    nimbus_rest_view_t view;
    s_view (self, &view);
    int status = route.status;
    switch (route.handler) {
    case NIMBUS_REST_NONE:
        answer = nimbus_rest_error (route.status, route.error);
        reply->allow = route.allow;
        break;
    case NIMBUS_REST_METRICS: {
        char *text = nimbus_rest_metrics (&view);
        if (text) {
            nimbus_http_reply_text (reply, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                                    strlen (text));
            free (text);
            return;
        }
        break; //  out of memory: nimbus_http_reply_json answers 500
    }
    case NIMBUS_REST_ACTIVATE:
    case NIMBUS_REST_DEACTIVATE:
    case NIMBUS_REST_REBALANCE:
    case NIMBUS_REST_KILL:
    case NIMBUS_REST_DEBUG:
        answer = s_http_action (self, request, &route, principal, &status);
        break;
    default:
        answer = nimbus_rest_answer (&view, &route, &status);
    }
    nimbus_http_reply_json (reply, status, &answer);
}

//  Serve the REST API on ui.host:ui.port unless ui.port is negative. A
//  port that cannot be had is logged and leaves nimbus without it: the
//  control protocol matters more than the UI (as in Storm, where the UI
//  is a daemon apart).
static void
s_start_http (nimbus_server_t *self)
{
    const sq_config_t *config = self->config;
    int64_t port = sq_config_int (config, "ui.port", 8080);
    if (port < 0) {
        zsys_info ("nimbus serves no REST API (ui.port is negative)");
        return;
    }
    if (port > 65535) {
        zsys_error ("nimbus serves no REST API: ui.port %lld is not a port", (long long) port);
        return;
    }
    int64_t connections = sq_config_int (config, "ui.max.connections", 64);
    int64_t memory = sq_config_int (config, "ui.connection.memory.bytes", 32768);
    int64_t timeout = sq_config_int (config, "ui.connection.timeout.secs", 10);
    int64_t body = sq_config_int (config, "ui.max.request.bytes", 16384);
    nimbus_http_options_t options = {
        .host = sq_config_string (config, "ui.host", "127.0.0.1"),
        .port = (int) port,
        .max_connections = (unsigned) (connections < 1        ? 1
                                       : connections > 100000 ? 100000
                                                              : connections),
        .connection_memory = (size_t) (memory < 4096        ? 4096
                                       : memory > (1 << 24) ? (1 << 24)
                                                            : memory),
        .timeout_secs = (unsigned) (timeout < 1       ? 1
                                    : timeout > 86400 ? 86400
                                                      : timeout),
        .max_body = (size_t) (body < 0           ? 0
                              : body > (1 << 24) ? (1 << 24)
                                                 : body),
    };
    //  The web UI's files, read once (ui.dir; the build says where they
    //  install). Without them the REST API is served all the same.
    const char *ui_dir = sq_config_string (config, "ui.dir", "");
    self->ui_files = nimbus_ui_files_new (*ui_dir ? ui_dir : NIMBUS_UI_DIR);
    if (!self->ui_files)
        zsys_warning ("nimbus serves no web UI: %s", sq_last_error ());
    self->http = nimbus_http_new (&options, self->loop, s_on_http, self);
    if (self->http && self->ui_files)
        zsys_info ("nimbus serving its web UI on http://%s:%d/ (%zu files, %zu bytes)",
                   options.host, nimbus_http_port (self->http),
                   nimbus_ui_files_count (self->ui_files), nimbus_ui_files_bytes (self->ui_files));
    if (self->http)
        zsys_info ("nimbus serving Storm's UI REST API on http://%s:%d/api/v1/", options.host,
                   nimbus_http_port (self->http));
    else
        zsys_error ("nimbus serves no REST API (ui.host, ui.port): %s", sq_last_error ());
}

//  ---------------------------------------------------------------------
//  The loop

//  Log a malformed request: one line each, but at most
//  S_MALFORMED_LOG_LIMIT a second, so that a flood cannot flood the log.
static void
s_log_malformed (nimbus_server_t *self, nimbus_request_t *request, const char *error)
{
    int64_t second = zclock_mono () / 1000;
    if (second != self->malformed_second) {
        if (self->malformed_unlogged)
            zsys_warning ("%llu more malformed requests were not logged",
                          (unsigned long long) self->malformed_unlogged);
        self->malformed_second = second;
        self->malformed_logged = 0;
        self->malformed_unlogged = 0;
    }
    if (self->malformed_logged++ < S_MALFORMED_LOG_LIMIT)
        zsys_warning ("malformed request sender=%s verb=%.32s malformed=%llu: %s",
                      nimbus_request_sender (request), nimbus_request_verb_name (request),
                      (unsigned long long) self->malformed, error);
    else
        self->malformed_unlogged++;
}

static int
s_on_request (zloop_t *loop, zsock_t *router, void *arg)
{
    nimbus_server_t *self = arg;
    nimbus_request_t *request = nimbus_request_recv (router);
    if (!request)
        return 0;
    self->requests++;
    const char *error = nimbus_request_error (request);
    if (error) {
        self->malformed++;
        s_log_malformed (self, request, error);
        if (nimbus_request_wants_reply (request))
            nimbus_request_reply_error (request, router, "%s", error);
        nimbus_request_destroy (&request);
        return 0;
    }
    //  Heartbeats prove their topology with its own key (not here).
    const char *principal = NULL;
    nimbus_verb_t verb = nimbus_request_fields (request)->verb;
    if (verb != NIMBUS_VERB_HEARTBEAT && verb != NIMBUS_VERB_SUPERVISOR &&
        s_principal (self, request, &principal)) {
        nimbus_request_destroy (&request);
        return 0;
    }
    //  A standby serves what only reads; the rest goes to the leader.
    if (!s_leads (self) && verb != NIMBUS_VERB_LIST && verb != NIMBUS_VERB_METRICS &&
        verb != NIMBUS_VERB_DOWNLOAD && verb != NIMBUS_VERB_HEARTBEAT &&
        verb != NIMBUS_VERB_SUPERVISOR) {
        char text[320];
        nimbus_request_reply_error (request, router, "%s", s_leader_text (self, text, sizeof text));
        nimbus_request_destroy (&request);
        return 0;
    }
    switch (verb) {
    case NIMBUS_VERB_SUBMIT:
        s_submit (self, &request, principal);
        break;
    case NIMBUS_VERB_LIST:
        s_list (self, request, principal);
        break;
    case NIMBUS_VERB_KILL:
        s_kill (self, request, principal);
        break;
    case NIMBUS_VERB_ACTIVATE:
        s_set_active (self, request, principal, true);
        break;
    case NIMBUS_VERB_DEACTIVATE:
        s_set_active (self, request, principal, false);
        break;
    case NIMBUS_VERB_REBALANCE:
        s_rebalance (self, request, principal);
        break;
    case NIMBUS_VERB_DOWNLOAD:
        s_download (self, request, principal);
        break;
    case NIMBUS_VERB_HEARTBEAT:
        s_heartbeat (self, request);
        break;
    case NIMBUS_VERB_METRICS:
        s_metrics (self, request, principal);
        break;
    case NIMBUS_VERB_TRACE:
        s_trace (self, request, principal);
        break;
    case NIMBUS_VERB_SUPERVISOR:
        s_supervisor_heartbeat (self, request);
        break;
    default:
        assert (false);
    }
    nimbus_request_destroy (&request);
    return 0;
}

//  Adopt a topology found in ZooKeeper: learn its executors again from
//  its package, or finish killing it.
static void
s_adopt (nimbus_server_t *self, const sq_topology_record_t *record)
{
    nimbus_topology_t *topology = s_topology_new (self, record->name, record->id);
    if (!topology) {
        zsys_error ("topology=%s: out of memory", record->name);
        return;
    }
    s_key_adopt (self, record->name, record->id);
    nimbus_topology_set_message_timeout (
        topology, (int) sq_config_int (record->config, "topology.message.timeout.secs", 30));
    if (record->status == SQ_TOPOLOGY_KILLED) {
        zsys_info ("topology=%s id=%s: was being killed; removal in %d s", record->name, record->id,
                   nimbus_topology_message_timeout (topology));
        nimbus_topology_schedule_removal (topology, nimbus_topology_message_timeout (topology));
    } else if (!nimbus_store_has (self->store, record->id) && !s_leads (self))
        zsys_info ("topology=%s id=%s: its package is to be copied from the leader", record->name,
                   record->id);
    else if (!nimbus_store_has (self->store, record->id))
        zsys_error ("topology=%s id=%s: its package is missing from this nimbus; it runs on but "
                    "cannot be rescheduled or downloaded",
                    record->name, record->id);
    else if (s_start_validation (self, topology, record->config))
        zsys_error ("topology=%s: %s", record->name, sq_last_error ());
    if (record->status != SQ_TOPOLOGY_KILLED && record->rebalance_workers > 0) {
        zsys_info ("topology=%s id=%s: was being rebalanced; finishing that", record->name,
                   record->id);
        s_schedule_rebalance (topology, record);
    }
    const sq_assignment_t *assignment = nimbus_cluster_assignment (self->cluster, record->name);
    if (assignment && strcmp (assignment->topology_id, record->id) == 0)
        nimbus_monitor_watch (self->monitor, assignment, zclock_mono ());
}

//  Keep one state per topology record: adopt new records (after a
//  session was renewed, say), forget states whose record is gone.
static void
s_sync_topologies (nimbus_server_t *self)
{
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names)) {
        const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, name);
        if (!zhashx_lookup (self->topologies, record->id))
            s_adopt (self, record);
    }
    zlist_destroy (&names);
    zlist_t *ids = zlist_new ();
    zlist_autofree (ids);
    for (nimbus_topology_t *topology = zhashx_first (self->topologies); topology;
         topology = zhashx_next (self->topologies))
        if (!nimbus_topology_submit (topology) &&
            !nimbus_cluster_topology_by_id (self->cluster, nimbus_topology_id (topology)))
            zlist_append (ids, (char *) nimbus_topology_id (topology)); //  autofree: copied
    for (const char *id = zlist_first (ids); id; id = zlist_next (ids)) {
        nimbus_topology_t *topology = zhashx_lookup (self->topologies, id);
        zsys_info ("topology=%s id=%s: its record is gone; forgetting it",
                   nimbus_topology_name (topology), id);
        nimbus_monitor_forget (self->monitor, id);
        s_topology_forget (self, topology);
    }
    zlist_destroy (&ids);
}

//  Reschedule one topology when workers died or supervisors left.
static void
s_check_topology (nimbus_server_t *self, const sq_topology_record_t *record, int64_t now)
{
    nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
    size_t executor_count;
    const nimbus_executor_t *executors =
        topology ? nimbus_topology_executors (topology, &executor_count) : NULL;
    if (record->status == SQ_TOPOLOGY_KILLED || !executors ||
        nimbus_topology_rebalancing (topology))
        return;
    const sq_assignment_t *current = nimbus_cluster_assignment (self->cluster, record->name);
    if (current && strcmp (current->topology_id, record->id) != 0)
        current = NULL;
    nimbus_slot_t *dead = NULL;
    size_t dead_count =
        current ? nimbus_monitor_dead_slots (self->monitor, current, now, &dead) : 0;
    size_t lost = 0;
    for (size_t w = 0; current && w < current->worker_count; w++)
        lost += !nimbus_cluster_supervisor_alive (self->cluster, current->workers[w].supervisor_id);
    sq_assignment_t *assignment = nimbus_cluster_schedule (self->cluster, record, executors,
                                                           executor_count, dead, dead_count, 0);
    free (dead);
    if (!assignment) {
        if (nimbus_topology_note_unschedulable (topology, true))
            zsys_warning ("topology=%s: cannot move its executors: %s", record->name,
                          sq_last_error ());
        return;
    }
    nimbus_topology_note_unschedulable (topology, false);
    if (current && current->generation == assignment->generation &&
        sq_assignment_same_placement (current, assignment)) {
        sq_assignment_destroy (&assignment);
        return;
    }
    int64_t generation = assignment->generation;
    if (nimbus_cluster_put_assignment (self->cluster, &assignment)) {
        if (nimbus_topology_note_unwritable (topology, true))
            zsys_warning ("topology=%s: cannot write its new assignment: %s", record->name,
                          sq_last_error ());
        return;
    }
    nimbus_topology_note_unwritable (topology, false);
    nimbus_monitor_watch (self->monitor, nimbus_cluster_assignment (self->cluster, record->name),
                          now);
    zsys_info ("topology=%s: reassigned dead_workers=%zu lost_workers=%zu generation=%lld",
               record->name, dead_count, lost, (long long) generation);
}

static void
s_check_topologies (nimbus_server_t *self)
{
    if (nimbus_cluster_check_session (self->cluster) || !s_leads (self))
        return;
    s_sync_topologies (self);
    int64_t now = zclock_mono ();
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names))
        s_check_topology (self, nimbus_cluster_topology (self->cluster, name), now);
    zlist_destroy (&names);
}

//  True when the store holds the package of every topology not being
//  killed: only then may this nimbus lead (Storm's blobstore rule).
static bool
s_has_packages (nimbus_server_t *self)
{
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    bool all = names != NULL;
    for (const char *name = names ? zlist_first (names) : NULL; all && name;
         name = zlist_next (names)) {
        const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, name);
        all = record->status == SQ_TOPOLOGY_KILLED || nimbus_store_has (self->store, record->id);
    }
    zlist_destroy (&names);
    return all;
}

//  A standby copies the packages it lacks from the leader, and learns
//  the executors of each (so that it can reschedule once it leads).
static void
s_replicate (nimbus_server_t *self)
{
    const char *leader = nimbus_leader_endpoint (self->leader);
    if (!leader || strcmp (leader, self->endpoint) == 0)
        return;
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names)) {
        const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, name);
        if (record->status == SQ_TOPOLOGY_KILLED ||
            nimbus_replica_fetch (self->replica, self->store, leader, record) != 1)
            continue;
        s_key_adopt (self, name, record->id);
        nimbus_topology_t *topology = zhashx_lookup (self->topologies, record->id);
        size_t count;
        if (topology && !nimbus_topology_executors (topology, &count) &&
            !nimbus_topology_validator (topology) &&
            s_start_validation (self, topology, record->config))
            zsys_error ("topology=%s: %s", name, sq_last_error ());
    }
    zlist_destroy (&names);
}

//  Take part in the election. A nimbus that starts leading reads the
//  cluster afresh first (a standby's view may be old), so that its
//  writes build on the last leader's: generations never go backwards.
static void
s_check_leader (nimbus_server_t *self)
{
    bool session_ok = nimbus_cluster_check_session (self->cluster) == 0;
    nimbus_leader_change_t change =
        nimbus_leader_check (self->leader, session_ok && s_has_packages (self));
    if (change != NIMBUS_LEADER_GAINED)
        return;
    if (nimbus_cluster_reload (self->cluster)) {
        zsys_error ("nimbus: cannot read the cluster on taking over: %s", sq_last_error ());
        return;
    }
    s_sync_topologies (self);
    int64_t now = zclock_mono ();
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names)) {
        const sq_assignment_t *assignment = nimbus_cluster_assignment (self->cluster, name);
        if (assignment)
            nimbus_monitor_watch (self->monitor, assignment, now);
    }
    zlist_destroy (&names);
}

static int
s_on_monitor (zloop_t *loop, int timer_id, void *arg)
{
    nimbus_server_t *self = arg;
    //  A standby follows the cluster by reading it again (only the
    //  leader writes it, so nothing tells a standby of changes).
    if (!s_leads (self) && nimbus_cluster_check_session (self->cluster) == 0) {
        if (nimbus_cluster_reload (self->cluster))
            zsys_warning ("nimbus: cannot read the cluster: %s", sq_last_error ());
        else {
            s_sync_topologies (self);
            s_replicate (self);
        }
    }
    s_check_leader (self);
    s_check_topologies (self);
    return 0;
}

//  Mark supervisors lost whose heartbeats stopped and whose workers went
//  silent too (nimbus.supervisor.timeout.secs), and move their executors;
//  forget supervisors that left ZooKeeper. A supervisor that is only slow
//  (stopped for a while, its workers still heartbeating) loses nothing.
static int
s_on_liveness (zloop_t *loop, int timer_id, void *arg)
{
    nimbus_server_t *self = arg;
    if (!s_leads (self))
        return 0;
    int64_t now = zclock_mono (), timeout = nimbus_liveness_timeout (self->liveness);
    bool lost_one = false;
    zlist_t *ids = nimbus_liveness_ids (self->liveness);
    for (const char *id = ids ? zlist_first (ids) : NULL; id; id = zlist_next (ids)) {
        if (!nimbus_cluster_supervisor_alive (self->cluster, id)) {
            nimbus_liveness_forget (self->liveness, id);
            nimbus_cluster_set_supervisor_lost (self->cluster, id, false);
            continue;
        }
        if (nimbus_cluster_supervisor_lost (self->cluster, id) ||
            !nimbus_liveness_silent (self->liveness, id, now))
            continue;
        int64_t workers = nimbus_monitor_supervisor_silence (self->monitor, id, now);
        if (workers >= 0 && workers <= timeout)
            continue;
        if (nimbus_cluster_set_supervisor_lost (self->cluster, id, true) == 0) {
            zsys_warning ("supervisor=%s lost: no heartbeat for %lld ms, none from its workers "
                          "for %lld ms; moving its executors",
                          id, (long long) nimbus_liveness_silence (self->liveness, id, now),
                          (long long) workers);
            lost_one = true;
        }
    }
    zlist_destroy (&ids);
    if (lost_one)
        s_check_topologies (self);
    return 0;
}

//  Add a point to the history of every topology nimbus runs.
static int
s_on_history (zloop_t *loop, int timer_id, void *arg)
{
    nimbus_server_t *self = arg;
    zlist_t *names = nimbus_cluster_topology_names (self->cluster);
    for (const char *name = names ? zlist_first (names) : NULL; name; name = zlist_next (names)) {
        const sq_topology_record_t *record = nimbus_cluster_topology (self->cluster, name);
        if (record->status == SQ_TOPOLOGY_KILLED || !zhashx_lookup (self->topologies, record->id))
            continue;
        nimbus_rest_source_t source = {.metrics = nimbus_monitor_windows (self->monitor),
                                       .topology_id = record->id,
                                       .now = (int64_t) time (NULL),
                                       .now_ms = (uint64_t) zclock_mono ()};
        if (nimbus_history_sample (self->history, &source))
            zsys_warning ("topology=%s id=%s: out of memory sampling its history", name,
                          record->id);
    }
    zlist_destroy (&names);
    return 0;
}

static int
s_on_zookeeper (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    nimbus_server_t *self = arg;
    bool led = s_leads (self);
    int changed = nimbus_cluster_handle_events (self->cluster);
    s_check_leader (self);
    if (changed || (!led && s_leads (self)))
        s_check_topologies (self);
    return 0;
}

//  ---------------------------------------------------------------------
//  Construction

//  Set up who may use the REST API: load ui.tokens.file, and refuse a
//  non-loopback ui.host without tokens unless squall.insecure. Returns 0
//  or -1 with the error set.
static int
s_http_access (nimbus_server_t *self)
{
    const sq_config_t *config = self->config;
    const char *path = sq_config_string (config, "ui.tokens.file", "");
    if (*path && !(self->tokens = nimbus_tokens_load (path)))
        return -1;
    const char *host = sq_config_string (config, "ui.host", "127.0.0.1");
    bool loopback = sq_curve_host_is_loopback (host);
    bool insecure = sq_config_bool (config, "squall.insecure", false);
    if (sq_config_int (config, "ui.port", 8080) >= 0 && !loopback && !insecure && !self->tokens)
        return sq_error_set ("ui.host %s is not a loopback address: set ui.tokens.file "
                             "(doc/security.md), or squall.insecure: true to serve it open",
                             host);
    if (!loopback && insecure && !self->tokens)
        zsys_warning ("squall.insecure: the REST API on %s takes actions from anyone who "
                      "reaches it",
                      host);
    //  Actions need a token once anything is secured: tokens are set, or
    //  control clients authenticate (CURVE), or the API is on the network.
    self->http_open = !self->tokens && !self->principals && (loopback || insecure);
    self->http_gets_need_token = !loopback && !insecure;
    if (self->tokens)
        zsys_info ("nimbus: %zu REST tokens from %s", nimbus_tokens_count (self->tokens), path);
    return 0;
}

//  Load the keys and start the authenticator, or check that running
//  without may be allowed. 0 or -1 with the error set.
static int
s_secure (nimbus_server_t *self)
{
    const sq_config_t *config = self->config;
    if (sq_curve_from_config (config, false, &self->curve))
        return -1;
    if (sq_curve_check_secure (config, "nimbus", sq_config_string (config, "nimbus.host", ""),
                               self->curve != NULL))
        return -1;
    if (!self->curve)
        return 0;
    const char *allowed = sq_config_string (config, "squall.curve.allowed.dir", "");
    if (!allowed || !*allowed)
        return sq_error_set ("squall.curve.secret.key.file is set but squall.curve.allowed.dir "
                             "is not: nimbus would accept no user nor supervisor");
    self->auth = sq_curve_auth_new (allowed, "nimbus");
    self->topology_keys = zhashx_new ();
    self->principals = self->auth ? nimbus_principals_new (allowed) : NULL;
    if (!self->auth || !self->principals || !self->topology_keys)
        return self->auth ? sq_error_set ("out of memory") : -1;
    zhashx_set_destructor (self->topology_keys, (zhashx_destructor_fn *) zcert_destroy);
    return 0;
}

nimbus_server_t *
nimbus_server_new (const sq_config_t *config)
{
    assert (config);
    nimbus_server_t *self = calloc (1, sizeof (nimbus_server_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->zk_item.fd = -1;
    self->started = (int64_t) time (NULL);
    self->config = sq_config_dup (config);
    self->topologies = zhashx_new ();
    self->loop = zloop_new ();
    self->history = nimbus_history_new ();
    if (!self->config || !self->topologies || !self->loop || !self->history) {
        sq_error_set ("out of memory");
        nimbus_server_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->topologies, s_topology_free);
    self->authorizer = nimbus_authorizer_new (config);
    self->refusals = nimbus_refusals_new (S_REFUSED_PEERS);
    if (!self->authorizer || !self->refusals) {
        sq_error_set ("out of memory");
        nimbus_server_destroy (&self);
        return NULL;
    }
    self->max_package = sq_config_int (config, "nimbus.package.max.bytes", 100 << 20);
    int64_t validation_secs = sq_config_int (config, "nimbus.validation.timeout.secs", 30);
    self->validation_timeout_ms = (int) (validation_secs > 0 ? validation_secs * 1000 : 1000);
    self->sandbox = nimbus_sandbox_new (config);
    if (!self->sandbox) {
        nimbus_server_destroy (&self);
        return NULL;
    }
    zsys_info ("nimbus: %s", nimbus_sandbox_summary (self->sandbox));
    int64_t timeout_secs = sq_config_int (config, "nimbus.task.timeout.secs", 5);
    int64_t monitor_secs = sq_config_int (config, "nimbus.monitor.freq.secs", 1);

    if (s_secure (self)) {
        nimbus_server_destroy (&self);
        return NULL;
    }
    self->store = nimbus_store_new (sq_config_string (config, "storm.local.dir", NULL));
    self->monitor = nimbus_monitor_new (timeout_secs * 1000, zclock_mono ());
    double supervisor_secs = sq_config_double (config, "nimbus.supervisor.timeout.secs", 2);
    self->liveness = nimbus_liveness_new (
        supervisor_secs >= 0.1 ? (int64_t) (supervisor_secs * 1000) : S_LIVENESS_CHECK_MS);
    self->traces = nimbus_traces_new ();
    self->failures = nimbus_failures_new ();
    self->cluster = self->store ? nimbus_cluster_new (config) : NULL;
    if (!self->store || !self->monitor || !self->liveness || !self->traces || !self->failures ||
        !self->cluster) {
        nimbus_server_destroy (&self);
        return NULL;
    }
    s_sync_topologies (self);
    zlist_t *keep = zlist_new ();
    zlist_autofree (keep);
    for (nimbus_topology_t *topology = zhashx_first (self->topologies); topology;
         topology = zhashx_next (self->topologies))
        zlist_append (keep, (char *) nimbus_topology_id (topology)); //  autofree: copied
    nimbus_store_prune (self->store, keep);
    zlist_destroy (&keep);

    self->endpoint = sq_cluster_config_nimbus (config);
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->endpoint || !self->router) {
        sq_error_set ("out of memory");
        nimbus_server_destroy (&self);
        return NULL;
    }
    zsock_set_linger (self->router, 0);
    zsock_set_sndtimeo (self->router, 0);
    //  Each peer's pipe holds at most this many received messages; when
    //  full, libzmq stops reading that connection (doc/security.md).
    int64_t hwm = sq_config_int (config, "nimbus.zmq.rcvhwm", 4);
    zsock_set_rcvhwm (self->router, (int) (hwm > 0 && hwm < INT32_MAX ? hwm : 4));
    //  The largest legitimate frame is a submit's package; its JSON frame
    //  is small. A larger frame disconnects its sender at its header.
    zsock_set_maxmsgsize (self->router, (int) (self->max_package < INT32_MAX - S_JSON_ROOM
                                                   ? self->max_package + S_JSON_ROOM
                                                   : INT32_MAX));
    if (self->curve)
        sq_curve_apply_server (self->curve, self->router);
    if (s_http_access (self)) {
        nimbus_server_destroy (&self);
        return NULL;
    }
    if (zsock_bind (self->router, "%s", self->endpoint) < 0) {
        sq_error_set ("cannot listen on %s: %s", self->endpoint, zmq_strerror (zmq_errno ()));
        nimbus_server_destroy (&self);
        return NULL;
    }
    int64_t per_peer = sq_config_int (config, "nimbus.max.connections.per.peer", 32);
    int64_t connections = sq_config_int (config, "nimbus.max.connections", 1024);
    if (self->auth && (sq_curve_auth_watch (self->auth, self->router) ||
                       sq_curve_auth_limit (self->auth, per_peer > 0 ? (size_t) per_peer : 0,
                                            connections > 0 ? (size_t) connections : 0))) {
        nimbus_server_destroy (&self);
        return NULL;
    }
    self->zk_item = (zmq_pollitem_t){NULL, nimbus_cluster_fd (self->cluster), ZMQ_POLLIN, 0};
    if (zloop_reader (self->loop, self->router, s_on_request, self) ||
        zloop_poller (self->loop, &self->zk_item, s_on_zookeeper, self) ||
        zloop_timer (self->loop, (size_t) (monitor_secs > 0 ? monitor_secs : 1) * 1000, 0,
                     s_on_monitor, self) < 0 ||
        zloop_timer (self->loop, NIMBUS_HISTORY_INTERVAL_SECS * 1000, 0, s_on_history, self) < 0 ||
        zloop_timer (self->loop, S_LIVENESS_CHECK_MS, 0, s_on_liveness, self) < 0) {
        sq_error_set ("cannot set up the loop");
        nimbus_server_destroy (&self);
        return NULL;
    }
    zloop_reader_set_tolerant (self->loop, self->router);
    self->leader = nimbus_leader_new (nimbus_cluster_zk (self->cluster), self->endpoint,
                                      sq_config_int (config, "ui.port", 8080));
    //  A standby fetches packages as a client of the leader: over CURVE
    //  with its own keys and the leader's public key
    //  (squall.curve.server.public.key.file, else our own: nimbuses that
    //  share a key pair).
    sq_curve_t *client = NULL;
    if (self->curve && sq_curve_from_config (config, false, &client)) {
        nimbus_server_destroy (&self);
        return NULL;
    }
    self->replica = nimbus_replica_new (client);
    sq_curve_destroy (&client);
    if (!self->leader || !self->replica) {
        sq_error_set ("out of memory");
        nimbus_server_destroy (&self);
        return NULL;
    }
    s_check_leader (self);
    if (!s_leads (self))
        zsys_info ("nimbus: standing by; %s leads", nimbus_leader_endpoint (self->leader)
                                                        ? nimbus_leader_endpoint (self->leader)
                                                        : "no nimbus");
    zsys_info ("nimbus listening on %s (%s)", self->endpoint,
               self->curve ? "CURVE: authenticated and encrypted" : "plain: no CURVE keys");
    s_start_http (self);
    return self;
}

void
nimbus_server_destroy (nimbus_server_t **self_p)
{
    assert (self_p);
    nimbus_server_t *self = *self_p;
    if (!self)
        return;
    //  States and the HTTP server end their timers and pollers: the loop
    //  goes last.
    nimbus_http_destroy (&self->http);
    nimbus_ui_files_destroy (&self->ui_files);
    nimbus_leader_destroy (&self->leader);
    nimbus_replica_destroy (&self->replica);
    zhashx_destroy (&self->topologies);
    nimbus_history_destroy (&self->history);
    zloop_destroy (&self->loop);
    zsock_destroy (&self->router);
    nimbus_principals_destroy (&self->principals);
    nimbus_tokens_destroy (&self->tokens);
    nimbus_refusals_destroy (&self->refusals);
    nimbus_authorizer_destroy (&self->authorizer);
    nimbus_cluster_destroy (&self->cluster);
    nimbus_monitor_destroy (&self->monitor);
    nimbus_liveness_destroy (&self->liveness);
    nimbus_traces_destroy (&self->traces);
    nimbus_failures_destroy (&self->failures);
    nimbus_store_destroy (&self->store);
    nimbus_sandbox_destroy (&self->sandbox);
    zhashx_destroy (&self->topology_keys);
    sq_curve_auth_destroy (&self->auth);
    sq_curve_destroy (&self->curve);
    sq_config_destroy (&self->config);
    zstr_free (&self->endpoint);
    free (self);
    *self_p = NULL;
}

int
nimbus_server_run (nimbus_server_t *self)
{
    assert (self);
    int rc = zloop_start (self->loop);
    zsys_info ("nimbus stopping requests=%llu malformed=%llu stale_heartbeats=%llu "
               "unauthorized=%llu heartbeats_refused=%llu connections_refused=%llu "
               "connections_over_limit=%llu http_requests=%llu",
               (unsigned long long) self->requests, (unsigned long long) self->malformed,
               (unsigned long long) self->stale_heartbeats,
               (unsigned long long) nimbus_refusals_total (self->refusals),
               (unsigned long long) self->heartbeats_refused,
               (unsigned long long) (self->auth ? sq_curve_auth_handshakes_failed (self->auth) : 0),
               (unsigned long long) (self->auth ? sq_curve_auth_over_limit (self->auth) : 0),
               (unsigned long long) (self->http ? nimbus_http_requests (self->http) : 0));
    return rc < 0 ? -1 : 0;
}

const char *
nimbus_server_endpoint (nimbus_server_t *self)
{
    assert (self);
    return self->endpoint;
}
