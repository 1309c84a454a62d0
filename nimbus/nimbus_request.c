/*  nimbus_request - one control request received by nimbus, and its reply

    The grammar it decodes, after the ROUTER's routing id frame:

      request   = [ delimiter ] json [ package ]
      delimiter = empty frame            ; sent by REQ clients, echoed back
      json      = JSON object, at most NIMBUS_REQUEST_MAX_JSON bytes:
                  "version": 1 or 2, "verb": string, optional "request":
                  integer (echoed in the reply), and the verb's fields
                  (submit's "initial_status" needs version 2)
      package   = the package bytes      ; submit only

    Field types and ranges are in s_decode_fields; doc/control.md lists
    them for clients.
*/
#include "nimbus_request.h"
#include "sq_cluster_state.h"
#include "sq_control.h"
#include "sq_error.h"
#include "sq_executor_metrics.h"
#include "sq_topology.h"
#include "sq_trace.h"

#include <stdarg.h>
#include <string.h>

#define S_MAX_SENDER 32 //  most characters of a sender's routing id in logs

struct _nimbus_request_t {
    zframe_t *routing_id;           //  the sender's routing id
    char *sender;                   //  the routing id in hex, for logs
    bool delimiter;                 //  the sender sent an empty delimiter frame (REQ)
    json_t *body;                   //  the JSON object, NULL when there was none
    json_t *number;                 //  the "request" number to echo, or NULL
    int version;                    //  the request's protocol version; replies use it
    const char *verb_name;          //  "verb" as sent, "?" when absent
    char *error;                    //  what is malformed, or NULL
    char *metrics_refused;          //  heartbeat: why its metrics were dropped, or NULL
    char *traces_refused;           //  heartbeat: why its traces were dropped, or NULL
    nimbus_request_fields_t fields; //  the decoded fields
    char *user_id;                  //  the peer's CURVE public key (User-Id), or NULL
};

static const struct {
    const char *name;   //  verb as on the wire
    nimbus_verb_t verb; //  its value
} s_verbs[] = {
    {"submit", NIMBUS_VERB_SUBMIT},
    {"list", NIMBUS_VERB_LIST},
    {"kill", NIMBUS_VERB_KILL},
    {"activate", NIMBUS_VERB_ACTIVATE},
    {"deactivate", NIMBUS_VERB_DEACTIVATE},
    {"rebalance", NIMBUS_VERB_REBALANCE},
    {"download", NIMBUS_VERB_DOWNLOAD},
    {"heartbeat", NIMBUS_VERB_HEARTBEAT},
    {"metrics", NIMBUS_VERB_METRICS},
    {"trace", NIMBUS_VERB_TRACE},
    {"supervisor_heartbeat", NIMBUS_VERB_SUPERVISOR},
};

//  Mark the request malformed. Returns -1.
static int s_malformed (nimbus_request_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_malformed (nimbus_request_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    free (self->error);
    self->error = zsys_vprintf (format, args);
    va_end (args);
    if (!self->error)
        self->error = strdup ("out of memory");
    self->fields.verb = NIMBUS_VERB_UNKNOWN;
    return -1;
}

//  A required (or optional) string field into *value_p.
static int
s_string (nimbus_request_t *self, const char *field, bool required, const char **value_p)
{
    json_t *value = json_object_get (self->body, field);
    if (!value && !required)
        return 0;
    if (!json_is_string (value))
        return s_malformed (self, "%s: field '%s' %s", self->verb_name, field,
                            value ? "must be a string" : "is missing");
    *value_p = json_string_value (value);
    return 0;
}

//  A topology name: it becomes a ZooKeeper node name and part of file
//  names, so only a safe alphabet is accepted. A submitted name follows
//  the rule of local mode (sq_topology_check_name); the other verbs accept
//  the older, wider alphabet too ('.' inside a name), so that topologies
//  submitted before the rule stay reachable.
static int
s_name (nimbus_request_t *self, bool submit, const char **name_p)
{
    if (s_string (self, "name", true, name_p))
        return -1;
    const char *name = *name_p;
    if (submit)
        return sq_topology_check_name (name) ? s_malformed (self, "%s", sq_last_error ()) : 0;
    size_t length = strlen (name);
    bool safe = length > 0 && length <= NIMBUS_REQUEST_MAX_NAME && name[0] != '.';
    for (size_t i = 0; safe && i < length; i++)
        safe = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
               (name[i] >= '0' && name[i] <= '9') || name[i] == '.' || name[i] == '_' ||
               name[i] == '-';
    if (!safe)
        return s_malformed (self,
                            "invalid topology name '%.*s': use 1 to %d letters, digits, '.', '_' "
                            "or '-', not starting with '.'",
                            NIMBUS_REQUEST_MAX_NAME + 8, name, NIMBUS_REQUEST_MAX_NAME);
    return 0;
}

//  An optional number of seconds, at least 0.
static int
s_seconds (nimbus_request_t *self, const char *field, double *value_p)
{
    *value_p = -1;
    json_t *value = json_object_get (self->body, field);
    if (!value)
        return 0;
    if (!json_is_number (value) || json_number_value (value) < 0 ||
        json_number_value (value) > 365 * 86400.0)
        return s_malformed (self, "%s: field '%s' must be a number of seconds (0 or more)",
                            self->verb_name, field);
    *value_p = json_number_value (value);
    return 0;
}

//  An integer field within [low, high]; optional ones leave *value_p.
static int
s_integer (nimbus_request_t *self, const char *field, bool required, long long low, long long high,
           int *value_p)
{
    json_t *value = json_object_get (self->body, field);
    if (!value && !required)
        return 0;
    if (!json_is_integer (value) || json_integer_value (value) < low ||
        json_integer_value (value) > high)
        return s_malformed (self, "%s: field '%s' must be an integer from %lld to %lld",
                            self->verb_name, field, low, high);
    *value_p = (int) json_integer_value (value);
    return 0;
}

//  Submit's optional "initial_status" (protocol version 2): "active" or
//  "inactive"; *inactive_p true for the latter.
static int
s_initial_status (nimbus_request_t *self, bool *inactive_p)
{
    json_t *value = json_object_get (self->body, "initial_status");
    *inactive_p = false;
    if (!value)
        return 0;
    if (self->version < 2)
        return s_malformed (self, "submit: field 'initial_status' needs \"version\": 2");
    const char *status = json_string_value (value);
    if (!status || (strcmp (status, "active") != 0 && strcmp (status, "inactive") != 0))
        return s_malformed (self,
                            "submit: field 'initial_status' must be \"active\" or \"inactive\"");
    *inactive_p = strcmp (status, "inactive") == 0;
    return 0;
}

//  Decode the fields of the verb.
static int
s_decode_fields (nimbus_request_t *self, zmsg_t *msg)
{
    nimbus_request_fields_t *fields = &self->fields;
    fields->wait_secs = -1;
    if (zmsg_size (msg) > (self->delimiter ? 3u : 2u))
        return s_malformed (self, "%s: too many frames", self->verb_name);
    zframe_t *package = zmsg_next (msg);
    if (package && fields->verb != NIMBUS_VERB_SUBMIT)
        return s_malformed (self, "%s: too many frames: only submit carries a package",
                            self->verb_name);
    switch (fields->verb) {
    case NIMBUS_VERB_SUBMIT:
        if (s_name (self, true, &fields->name) ||
            s_string (self, "checksum", true, &fields->checksum))
            return -1;
        if (s_initial_status (self, &fields->inactive))
            return -1;
        fields->config = json_object_get (self->body, "config");
        if (fields->config && !json_is_object (fields->config))
            return s_malformed (self, "submit: field 'config' must be an object");
        if (!package)
            return s_malformed (self, "submit: the package frame is missing");
        zmsg_remove (msg, package);
        fields->package = package;
        return 0;
    case NIMBUS_VERB_LIST:
        return 0;
    case NIMBUS_VERB_KILL:
        return s_name (self, false, &fields->name) ||
               s_seconds (self, "wait_secs", &fields->wait_secs);
    case NIMBUS_VERB_ACTIVATE:
    case NIMBUS_VERB_DEACTIVATE:
    case NIMBUS_VERB_METRICS:
        return s_name (self, false, &fields->name);
    case NIMBUS_VERB_REBALANCE:
        return s_name (self, false, &fields->name) ||
               s_seconds (self, "wait_secs", &fields->wait_secs) ||
               s_integer (self, "workers", false, 1, SQ_CLUSTER_MAX_WORKERS, &fields->workers);
    case NIMBUS_VERB_DOWNLOAD:
        return s_string (self, "id", true, &fields->id);
    case NIMBUS_VERB_SUPERVISOR:
        //  Checked by the server (nimbus_failures): bad records cost the
        //  records only, never the supervisor's liveness.
        fields->failures = json_object_get (self->body, "failures");
        return s_string (self, "supervisor", true, &fields->supervisor);
    case NIMBUS_VERB_HEARTBEAT: {
        if (s_string (self, "topology", true, &fields->topology) ||
            s_string (self, "id", true, &fields->id) ||
            s_string (self, "supervisor", true, &fields->supervisor) ||
            s_integer (self, "port", true, 1, 65535, &fields->port))
            return -1;
        json_t *uptime = json_object_get (self->body, "uptime_secs");
        if (uptime && !json_is_number (uptime))
            return s_malformed (self, "heartbeat: field 'uptime_secs' must be a number");
        fields->uptime_secs = uptime ? json_number_value (uptime) : 0;
        fields->stats = json_object_get (self->body, "stats");
        if (fields->stats && !json_is_object (fields->stats))
            return s_malformed (self, "heartbeat: field 'stats' must be an object");
        //  Bad metrics cost the metrics, never the liveness: a worker whose
        //  report nimbus cannot read is still alive and keeps its slot.
        fields->metrics = json_object_get (self->body, "metrics");
        if (fields->metrics && sq_executor_metrics_check_report (fields->metrics)) {
            fields->metrics = NULL;
            self->metrics_refused =
                zsys_sprintf ("heartbeat: field 'metrics': %s", sq_last_error ());
            fields->metrics_refused = self->metrics_refused;
        }
        //  Bad traces cost the traces only, as bad metrics do.
        fields->traces = json_object_get (self->body, "traces");
        if (fields->traces && sq_trace_check_report (fields->traces)) {
            fields->traces = NULL;
            self->traces_refused = zsys_sprintf ("heartbeat: field 'traces': %s", sq_last_error ());
            fields->traces_refused = self->traces_refused;
        }
        return 0;
    }
    case NIMBUS_VERB_TRACE: {
        fields->sample_pct = -1;
        json_t *pct = json_object_get (self->body, "sample_pct");
        if (pct && (!json_is_number (pct) || !(json_number_value (pct) >= 0) ||
                    json_number_value (pct) > 100))
            return s_malformed (self, "trace: field 'sample_pct' must be a number from 0 to 100");
        if (pct)
            fields->sample_pct = json_number_value (pct);
        return s_name (self, false, &fields->name) ||
               s_integer (self, "limit", false, 1, SQ_TRACE_MAX_TREES, &fields->limit);
    }
    default:
        return s_malformed (self, "unknown verb");
    }
}

//  Decode the frames after the routing id.
static void
s_decode (nimbus_request_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    if (frame && zframe_size (frame) == 0) {
        self->delimiter = true;
        frame = zmsg_next (msg);
    }
    if (!frame) {
        s_malformed (self, "empty request: no JSON frame");
        return;
    }
    if (zframe_size (frame) > NIMBUS_REQUEST_MAX_JSON) {
        s_malformed (self, "request too large: %zu bytes of JSON (at most %d)", zframe_size (frame),
                     NIMBUS_REQUEST_MAX_JSON);
        return;
    }
    json_error_t error;
    self->body = json_loadb ((const char *) zframe_data (frame), zframe_size (frame),
                             JSON_DECODE_ANY, &error);
    if (!self->body) {
        s_malformed (self, "request is not valid JSON: %s at position %d", error.text,
                     error.position);
        return;
    }
    if (!json_is_object (self->body)) {
        s_malformed (self, "request is not a JSON object");
        return;
    }
    self->number = json_object_get (self->body, "request");
    if (self->number && !json_is_integer (self->number)) {
        self->number = NULL;
        s_malformed (self, "field 'request' must be an integer");
        return;
    }
    const char *verb = json_string_value (json_object_get (self->body, "verb"));
    if (verb)
        self->verb_name = verb;
    json_t *version = json_object_get (self->body, "version");
    if (!version) {
        s_malformed (self, "request has no 'version' (this nimbus speaks %d to %d)",
                     SQ_CONTROL_VERSION_MIN, SQ_CONTROL_VERSION);
        return;
    }
    if (!json_is_integer (version) || json_integer_value (version) < SQ_CONTROL_VERSION_MIN ||
        json_integer_value (version) > SQ_CONTROL_VERSION) {
        char *text = json_dumps (version, JSON_ENCODE_ANY | JSON_COMPACT);
        s_malformed (self,
                     "unsupported control protocol version %.32s (this nimbus speaks %d to %d)",
                     text ? text : "?", SQ_CONTROL_VERSION_MIN, SQ_CONTROL_VERSION);
        free (text);
        return;
    }
    self->version = (int) json_integer_value (version);
    if (!verb) {
        s_malformed (self, "request has no 'verb' string");
        return;
    }
    for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
        if (strcmp (verb, s_verbs[i].name) == 0)
            self->fields.verb = s_verbs[i].verb;
    if (self->fields.verb == NIMBUS_VERB_UNKNOWN) {
        s_malformed (self, "unknown verb '%.64s'", verb);
        return;
    }
    s_decode_fields (self, msg);
}

nimbus_request_t *
nimbus_request_recv (zsock_t *router)
{
    assert (router);
    zmsg_t *msg = zmsg_recv (router);
    return msg ? nimbus_request_decode (&msg) : NULL;
}

//  The User-Id a ZAP handler gave the connection, from the frames of
//  its message (libzmq puts it on every frame received), copied; NULL
//  when there is none (no CURVE) or it is empty.
static char *
s_user_id (zframe_t *routing_id, zmsg_t *msg)
{
    const char *key = routing_id ? zframe_meta (routing_id, "User-Id") : NULL;
    zframe_t *frame = zmsg_first (msg);
    if (!key && frame)
        key = zframe_meta (frame, "User-Id");
    return key && *key ? strndup (key, 64) : NULL;
}

nimbus_request_t *
nimbus_request_decode (zmsg_t **msg_p)
{
    assert (msg_p && *msg_p);
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    nimbus_request_t *self = calloc (1, sizeof (nimbus_request_t));
    if (!self) {
        zmsg_destroy (&msg);
        return NULL;
    }
    self->verb_name = "?";
    self->version = SQ_CONTROL_VERSION_MIN;
    self->routing_id = zmsg_pop (msg);
    self->user_id = s_user_id (self->routing_id, msg);
    self->sender = self->routing_id ? zframe_strhex (self->routing_id) : strdup ("?");
    //  Routing ids are short unless a peer sent nonsense; logs stay short.
    if (self->sender && strlen (self->sender) > S_MAX_SENDER)
        strcpy (self->sender + S_MAX_SENDER - 3, "...");
    if (self->routing_id)
        s_decode (self, msg);
    else
        s_malformed (self, "no routing id");
    zmsg_destroy (&msg);
    return self;
}

void
nimbus_request_destroy (nimbus_request_t **self_p)
{
    assert (self_p);
    nimbus_request_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->routing_id);
    zframe_destroy (&self->fields.package);
    zstr_free (&self->sender);
    json_decref (self->body);
    free (self->error);
    zstr_free (&self->metrics_refused);
    free (self->user_id);
    zstr_free (&self->traces_refused);
    free (self);
    *self_p = NULL;
}

const char *
nimbus_request_error (nimbus_request_t *self)
{
    assert (self);
    return self->error;
}

const nimbus_request_fields_t *
nimbus_request_fields (nimbus_request_t *self)
{
    assert (self);
    return &self->fields;
}

const char *
nimbus_request_verb_name (nimbus_request_t *self)
{
    assert (self);
    return self->verb_name;
}

const char *
nimbus_request_user_id (nimbus_request_t *self)
{
    assert (self);
    return self->user_id;
}

const char *
nimbus_request_sender (nimbus_request_t *self)
{
    assert (self);
    return self->sender ? self->sender : "?";
}

bool
nimbus_request_wants_reply (nimbus_request_t *self)
{
    assert (self);
    return self->routing_id && strcmp (self->verb_name, "heartbeat") != 0 &&
           strcmp (self->verb_name, "supervisor_heartbeat") != 0;
}

//  Send the reply object (taken) and payload to the sender.
static int
s_send (nimbus_request_t *self, zsock_t *router, json_t *reply, const void *payload,
        size_t payload_size)
{
    int rc = -1;
    if (reply && self->number)
        json_object_set (reply, "request", self->number);
    char *text = reply ? json_dumps (reply, JSON_COMPACT) : NULL;
    json_decref (reply);
    zmsg_t *msg = text && self->routing_id ? zmsg_new () : NULL;
    if (msg) {
        zmsg_append (msg, &(zframe_t *){zframe_dup (self->routing_id)});
        if (self->delimiter)
            zmsg_addmem (msg, NULL, 0);
        zmsg_addstr (msg, text);
        if (payload)
            zmsg_addmem (msg, payload, payload_size);
        rc = zmsg_send (&msg, router);
        zmsg_destroy (&msg);
    }
    free (text);
    return rc;
}

int
nimbus_request_reply (nimbus_request_t *self, zsock_t *router, json_t **extra_p,
                      const void *payload, size_t payload_size)
{
    assert (self);
    json_t *reply = json_pack ("{s:i, s:b}", "version", self->version, "ok", 1);
    if (reply && extra_p && *extra_p)
        json_object_update (reply, *extra_p);
    if (extra_p) {
        json_decref (*extra_p);
        *extra_p = NULL;
    }
    return s_send (self, router, reply, payload, payload_size);
}

int
nimbus_request_reply_error (nimbus_request_t *self, zsock_t *router, const char *format, ...)
{
    assert (self);
    va_list args;
    va_start (args, format);
    char *error = zsys_vprintf (format, args);
    va_end (args);
    json_t *reply = json_pack ("{s:i, s:b, s:s}", "version", self->version, "ok", 0, "error",
                               error ? error : "out of memory");
    free (error);
    return s_send (self, router, reply, NULL, 0);
}
