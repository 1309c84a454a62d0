/*  nimbus_request - one control request received by nimbus, and its reply

    The codec of the control protocol on nimbus's side (doc/control.md):
    it takes one message off the ROUTER socket, splits off the envelope
    (the sender's routing id, and the empty delimiter frame a REQ client
    adds), decodes the JSON request, checks the version, the verb and every
    field the verb takes, and keeps what a reply needs to reach the sender,
    so that a reply can be sent long after the request came (a submit
    waits for its validation).

    A request that breaks the protocol is still returned, with
    nimbus_request_error saying what is wrong, so that the server can
    answer it (when it is not a heartbeat) and count it. Only the absence
    of any message gives NULL.
*/
#ifndef NIMBUS_REQUEST_H_INCLUDED
#define NIMBUS_REQUEST_H_INCLUDED

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>

#define NIMBUS_REQUEST_MAX_JSON (1024 * 1024) //  largest JSON frame accepted, in bytes
#define NIMBUS_REQUEST_MAX_NAME 128           //  longest topology name, in bytes

//  What a request asks for.
typedef enum {
    NIMBUS_VERB_UNKNOWN = 0, //  malformed request: no known verb
    NIMBUS_VERB_SUBMIT,      //  store, validate and schedule a package
    NIMBUS_VERB_LIST,        //  list the topologies
    NIMBUS_VERB_KILL,        //  kill a topology after a wait
    NIMBUS_VERB_ACTIVATE,    //  let a topology's spouts emit
    NIMBUS_VERB_DEACTIVATE,  //  stop a topology's spouts
    NIMBUS_VERB_REBALANCE,   //  reschedule a topology, maybe over another worker count
    NIMBUS_VERB_DOWNLOAD,    //  send a topology's package
    NIMBUS_VERB_HEARTBEAT,   //  a worker is alive (no reply)
    NIMBUS_VERB_METRICS,     //  a topology's counts per component
    NIMBUS_VERB_TRACE,       //  a topology's sampled trees; may set its trace rate
    NIMBUS_VERB_SUPERVISOR   //  supervisor_heartbeat: a supervisor is alive (no reply)
} nimbus_verb_t;

//  A decoded request. The strings and JSON values are borrowed from the
//  request and live as long as it does.
typedef struct {
    nimbus_verb_t verb;          //  what it asks, NIMBUS_VERB_UNKNOWN when malformed
    const char *name;            //  submit, kill, (de)activate, rebalance, metrics: topology name
    const char *id;              //  download, heartbeat: topology id
    json_t *config;              //  submit: the config object
    const char *checksum;        //  submit: hex SHA-256 of the package
    bool inactive;               //  submit: "initial_status": "inactive" (version 2)
    zframe_t *package;           //  submit: the package bytes (frame 2)
    double wait_secs;            //  kill, rebalance: seconds to wait; -1 when not given
    int workers;                 //  rebalance: new worker count; 0 when not given
    const char *topology;        //  heartbeat: topology name
    const char *supervisor;      //  heartbeat, supervisor_heartbeat: supervisor id
    int port;                    //  heartbeat: slot port
    double uptime_secs;          //  heartbeat: the worker's uptime
    json_t *stats;               //  heartbeat: the worker's counters, or NULL
    json_t *metrics;             //  heartbeat: its executors' metrics (checked), or NULL
    const char *metrics_refused; //  heartbeat: why its metrics were dropped, or NULL
    json_t *traces;              //  heartbeat: events of traced trees (checked), or NULL
    const char *traces_refused;  //  heartbeat: why its traces were dropped, or NULL
    double sample_pct;           //  trace: new trace sample percentage; -1 when not given
    int limit;                   //  trace: most trees in the reply; 0 when not given
    json_t *failures;            //  supervisor_heartbeat: failure records, unchecked, or NULL
} nimbus_request_fields_t;

typedef struct _nimbus_request_t nimbus_request_t;

//  Receive one message from the ROUTER socket and decode it. Returns the
//  request (caller owns), also when malformed (see nimbus_request_error);
//  NULL when no message could be received.
nimbus_request_t *nimbus_request_recv (zsock_t *router);
//  Decode a message as the ROUTER socket delivers it (routing id first);
//  takes ownership of the message and nulls the caller's pointer. Returns
//  the request (caller owns), also when malformed; NULL only when out of
//  memory.
nimbus_request_t *nimbus_request_decode (zmsg_t **msg_p);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_request_destroy (nimbus_request_t **self_p);
//  NULL for a well-formed request, else what is wrong with it (owned by
//  self), e.g. "unknown verb 'sumbit'".
const char *nimbus_request_error (nimbus_request_t *self);
//  The decoded fields. Borrowed.
const nimbus_request_fields_t *nimbus_request_fields (nimbus_request_t *self);
//  The verb as the sender wrote it, for logs ("?" when absent). Borrowed.
const char *nimbus_request_verb_name (nimbus_request_t *self);
//  The sender, for logs: the routing id in hex. Borrowed.
const char *nimbus_request_sender (nimbus_request_t *self);
//  The sender's CURVE public key (Z85, the frames' User-Id), or NULL when
//  it did not come over CURVE. Borrowed.
const char *nimbus_request_user_id (nimbus_request_t *self);
//  True when the sender expects a reply: anything that is not a
//  heartbeat, malformed or not.
bool nimbus_request_wants_reply (nimbus_request_t *self);
//  Send {"version": V, "ok": true}, V the request's version (or, when it
//  had none this nimbus speaks, SQ_CONTROL_VERSION_MIN), with the fields
//  of extra (may be NULL; takes ownership and nulls it) and an optional
//  payload frame. Returns 0, or -1 when the reply could not be queued (the
//  sender is gone or does not read).
int nimbus_request_reply (nimbus_request_t *self, zsock_t *router, json_t **extra_p,
                          const void *payload, size_t payload_size);
//  Send {"version": V, "ok": false, "error": <formatted>}, V as for
//  nimbus_request_reply. Returns 0 or -1.
int nimbus_request_reply_error (nimbus_request_t *self, zsock_t *router, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
