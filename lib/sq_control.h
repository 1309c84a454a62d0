/*  sq_control - JSON requests to nimbus over ZeroMQ (doc/control.md)

    The client side of the control protocol, used by storm-submit,
    supervisors (to download packages) and workers (heartbeats). One
    request at a time: connect a DEALER, send the request frames, and wait
    for the reply up to a timeout. Heartbeats are sent without waiting.
*/
#ifndef SQ_CONTROL_H_INCLUDED
#define SQ_CONTROL_H_INCLUDED

#include "squall.h"
#include <czmq.h>
#include <jansson.h>

//  Protocol versions (doc/control.md): a message carries the lowest
//  version that defines every field it uses, and nimbus answers in the
//  version of the request. Version 2 added submit's "initial_status".
#define SQ_CONTROL_VERSION 2     //  newest version this build speaks
#define SQ_CONTROL_VERSION_MIN 1 //  oldest version this build speaks; the default

typedef struct _sq_control_t sq_control_t;
typedef struct _sq_curve_t sq_curve_t;

//  New client for the nimbus at endpoint ("tcp://127.0.0.1:6627"). NULL
//  when out of memory. Caller owns.
sq_control_t *sq_control_new (const char *endpoint);
//  Talk CURVE from now on with a copy of curve's keys (own key pair and
//  nimbus's public key), or plain ZeroMQ when curve is NULL; the
//  connection is made again. Returns 0, or -1 when out of memory.
int sq_control_set_curve (sq_control_t *self, const sq_curve_t *curve);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_control_destroy (sq_control_t **self_p);
//  Send a request (with "version" SQ_CONTROL_VERSION_MIN added unless it
//  has one: set a higher one when using a field that version added) with
//  an optional payload
//  frame, and wait up to timeout_ms for the reply. Returns the reply
//  object when it says ok (caller decrefs), with the reply's payload frame,
//  if any, in *payload_p / *payload_size_p (caller frees; pass NULL when
//  none is expected). Returns NULL when nimbus answers ok: false (with its
//  error as sq_last_error()), does not answer in time (the error names the
//  endpoint), or answers something malformed (or in a version this build
//  does not speak).
json_t *sq_control_request (sq_control_t *self, json_t *request, const void *payload,
                            size_t payload_size, int timeout_ms, void **payload_p,
                            size_t *payload_size_p);
//  Decode a reply's frames (the delimiter removed): the JSON frame and an
//  optional payload frame. Takes ownership of the message and nulls the
//  caller's pointer. Returns what sq_control_request returns (errors name
//  endpoint), the "request" field kept.
json_t *sq_control_reply_decode (zmsg_t **msg_p, const char *endpoint, void **payload_p,
                                 size_t *payload_size_p);
//  Send a message that gets no reply (heartbeat); never blocks. Returns 0,
//  or -1 when it could not be queued.
int sq_control_send (sq_control_t *self, json_t *message);
//  True when the last sq_control_request got a reply, ok or not; false
//  when it could not be sent or nobody answered in time.
bool sq_control_answered (sq_control_t *self);
//  The endpoint self talks to. Borrowed.
const char *sq_control_endpoint (sq_control_t *self);

#endif
