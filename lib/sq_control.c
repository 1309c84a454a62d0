/*  sq_control - JSON requests to nimbus over ZeroMQ (doc/control.md)

    DESIGN: one DEALER socket, connected without ZMQ_IMMEDIATE so that a
    request sent before the connection is up waits in the socket's queue
    (nimbus may be starting). Every request carries a "request" number
    that nimbus echoes; a reply with another number is a late answer to an
    earlier request and is dropped. When a request times out the socket is
    destroyed with everything queued in it and a new one is connected, so
    nothing of the old exchange can be read as the answer to the next one.
    Sends never block (send timeout 0): a full queue is an error.
*/
#include "sq_control.h"
#include "sq_curve.h"
#include "sq_error.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>

#define S_MAX_FRAMES 3 //  most frames a reply may have (delimiter, JSON, payload)

struct _sq_control_t {
    char *endpoint;       //  nimbus's endpoint, "tcp://host:port"
    zsock_t *dealer;      //  socket connected to it; NULL after a failed connect
    char *connect_error;  //  why the last connect failed, or NULL
    int64_t next_request; //  number of the next request, from 1
    sq_curve_t *curve;    //  CURVE keys for the link, or NULL for none
    bool answered;        //  the last request got a reply (ok or not)
};

//  (Re)create the socket. On failure dealer stays NULL and connect_error
//  says why.
static void
s_connect (sq_control_t *self)
{
    zsock_destroy (&self->dealer);
    zstr_free (&self->connect_error);
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer) {
        self->connect_error = zsys_sprintf ("cannot create a socket for nimbus at %s: %s",
                                            self->endpoint, zmq_strerror (zmq_errno ()));
        return;
    }
    zsock_set_linger (self->dealer, 0);
    zsock_set_sndtimeo (self->dealer, 0);
    if (self->curve)
        sq_curve_apply_client (self->curve, self->dealer);
    if (zsock_connect (self->dealer, "%s", self->endpoint)) {
        self->connect_error = zsys_sprintf ("cannot connect to nimbus at '%s': %s", self->endpoint,
                                            zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->dealer);
    }
}

sq_control_t *
sq_control_new (const char *endpoint)
{
    assert (endpoint);
    sq_control_t *self = calloc (1, sizeof (sq_control_t));
    if (!self)
        return NULL;
    self->endpoint = strdup (endpoint);
    if (!self->endpoint) {
        free (self);
        return NULL;
    }
    self->next_request = 1;
    s_connect (self);
    return self;
}

void
sq_control_destroy (sq_control_t **self_p)
{
    assert (self_p);
    sq_control_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    zstr_free (&self->connect_error);
    sq_curve_destroy (&self->curve);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

int
sq_control_set_curve (sq_control_t *self, const sq_curve_t *curve)
{
    assert (self);
    sq_curve_destroy (&self->curve);
    if (curve) {
        self->curve = sq_curve_dup (curve);
        if (!self->curve)
            return sq_error_set ("out of memory");
    }
    s_connect (self);
    return 0;
}

//  Queue the frames of a message without blocking. Returns 0 or -1.
static int
s_send (sq_control_t *self, json_t *message, int64_t request_number, const void *payload,
        size_t payload_size)
{
    if (!self->dealer)
        s_connect (self);
    if (!self->dealer)
        return sq_error_set ("%s", self->connect_error);
    json_t *copy = json_copy (message);
    bool versioned = copy && json_object_get (copy, "version");
    if (!copy ||
        (!versioned &&
         json_object_set_new (copy, "version", json_integer (SQ_CONTROL_VERSION_MIN))) ||
        (request_number && json_object_set_new (copy, "request", json_integer (request_number)))) {
        json_decref (copy);
        return sq_error_set ("out of memory");
    }
    char *text = json_dumps (copy, JSON_COMPACT);
    json_decref (copy);
    if (!text)
        return sq_error_set ("out of memory");
    zmsg_t *msg = zmsg_new ();
    int rc = msg ? zmsg_addstr (msg, text) : -1;
    free (text);
    if (rc == 0 && payload)
        rc = zmsg_addmem (msg, payload, payload_size);
    if (rc) {
        zmsg_destroy (&msg);
        return sq_error_set ("out of memory");
    }
    if (zmsg_send (&msg, self->dealer)) {
        zmsg_destroy (&msg);
        return sq_error_set ("cannot queue a request for nimbus at %s: %s", self->endpoint,
                             zmq_strerror (zmq_errno ()));
    }
    return 0;
}

//  Wait for the reply to request_number until deadline (monotonic ms).
//  The "request" number a reply's JSON frame carries, or -1 when it has
//  none (a malformed reply is taken as the answer, and refused as such).
static int64_t
s_reply_number (zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    json_t *reply =
        frame ? json_loadb ((const char *) zframe_data (frame), zframe_size (frame), 0, NULL)
              : NULL;
    json_t *number = json_object_get (reply, "request");
    int64_t value = json_is_integer (number) ? (int64_t) json_integer_value (number) : -1;
    json_decref (reply);
    return value;
}

//  Returns the reply's frames (an empty delimiter frame removed), or NULL
//  on timeout or interruption with the error set.
static zmsg_t *
s_wait_reply (sq_control_t *self, int64_t request_number, int64_t deadline, int timeout_ms)
{
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0)
            break;
        zmq_pollitem_t item = {zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll (&item, 1, (long) remaining);
        if (rc < 0 && errno == EINTR && !zsys_interrupted)
            continue;
        if (rc < 0) {
            sq_error_set ("interrupted while waiting for nimbus at %s", self->endpoint);
            return NULL;
        }
        if (rc == 0)
            break;
        zmsg_t *msg = zmsg_recv (self->dealer);
        if (!msg)
            continue;
        zframe_t *first = zmsg_first (msg);
        if (first && zframe_size (first) == 0) {
            first = zmsg_pop (msg);
            zframe_destroy (&first);
        }
        int64_t number = s_reply_number (msg);
        if (number >= 0 && number != request_number) {
            //  The late answer to an earlier request: not ours.
            zmsg_destroy (&msg);
            continue;
        }
        return msg;
    }
    sq_error_set ("nimbus at %s did not answer within %g s (is it running, and is the address "
                  "right?)",
                  self->endpoint, timeout_ms / 1000.0);
    return NULL;
}

json_t *
sq_control_request (sq_control_t *self, json_t *request, const void *payload, size_t payload_size,
                    int timeout_ms, void **payload_p, size_t *payload_size_p)
{
    assert (self);
    assert (json_is_object (request));
    if (payload_p)
        *payload_p = NULL;
    if (payload_size_p)
        *payload_size_p = 0;
    int64_t request_number = self->next_request++;
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    self->answered = false;
    if (s_send (self, request, request_number, payload, payload_size))
        return NULL;
    zmsg_t *msg = s_wait_reply (self, request_number, deadline, timeout_ms);
    if (!msg) {
        //  Nothing of this exchange may reach the next request.
        s_connect (self);
        return NULL;
    }
    self->answered = true;
    json_t *reply = sq_control_reply_decode (&msg, self->endpoint, payload_p, payload_size_p);
    if (reply)
        json_object_del (reply, "request");
    return reply;
}

json_t *
sq_control_reply_decode (zmsg_t **msg_p, const char *endpoint, void **payload_p,
                         size_t *payload_size_p)
{
    assert (msg_p && *msg_p);
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    if (payload_p)
        *payload_p = NULL;
    if (payload_size_p)
        *payload_size_p = 0;
    zframe_t *frame = zmsg_first (msg);
    json_t *reply =
        frame ? json_loadb ((const char *) zframe_data (frame), zframe_size (frame), 0, NULL)
              : NULL;
    json_t *version = json_object_get (reply, "version");
    json_t *ok = json_object_get (reply, "ok");
    if (!json_is_object (reply) || !json_is_boolean (ok) || zmsg_size (msg) > S_MAX_FRAMES - 1) {
        sq_error_set ("malformed reply from nimbus at %s", endpoint);
        goto fail;
    }
    if (!json_is_integer (version) || json_integer_value (version) < SQ_CONTROL_VERSION_MIN ||
        json_integer_value (version) > SQ_CONTROL_VERSION) {
        sq_error_set ("nimbus at %s answered with control protocol version %lld; this build "
                      "speaks versions %d to %d",
                      endpoint, (long long) json_integer_value (version), SQ_CONTROL_VERSION_MIN,
                      SQ_CONTROL_VERSION);
        goto fail;
    }
    if (!json_is_true (ok)) {
        const char *error = json_string_value (json_object_get (reply, "error"));
        sq_error_set ("%s",
                      error && *error ? error : "nimbus refused the request without saying why");
        goto fail;
    }
    frame = zmsg_next (msg);
    if (frame && payload_p) {
        *payload_p = malloc (zframe_size (frame) ? zframe_size (frame) : 1);
        if (!*payload_p) {
            sq_error_set ("out of memory");
            goto fail;
        }
        memcpy (*payload_p, zframe_data (frame), zframe_size (frame));
        if (payload_size_p)
            *payload_size_p = zframe_size (frame);
    }
    zmsg_destroy (&msg);
    return reply;

fail:
    json_decref (reply);
    zmsg_destroy (&msg);
    return NULL;
}

int
sq_control_send (sq_control_t *self, json_t *message)
{
    assert (self);
    assert (json_is_object (message));
    return s_send (self, message, 0, NULL, 0);
}

bool
sq_control_answered (sq_control_t *self)
{
    assert (self);
    return self->answered;
}

const char *
sq_control_endpoint (sq_control_t *self)
{
    assert (self);
    return self->endpoint;
}
