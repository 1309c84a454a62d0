/*  fuzz_control - fuzz target for the control messages of doc/control.md

    The bytes are cut into ZeroMQ frames at every "\n\0\n" and decoded
    twice: as a request arriving on nimbus's ROUTER socket (the first frame
    is the sender's routing id; nimbus/nimbus_request.h), and as a reply
    reaching a client (storm-submit, a supervisor downloading a package;
    lib/sq_control.h). Either must come back decoded or refused with a
    reason; never a crash, hang or leak. A request nimbus accepts must
    carry the fields its verb needs. Built with libFuzzer by `make fuzz`,
    and replayed over tests/fuzz/corpus/control by `make check`.
*/
#include "nimbus_request.h"
#include "sq_control.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const uint8_t s_separator[] = {'\n', 0, '\n'};

//  The frames of data, cut at every separator.
static zmsg_t *
s_frames (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    size_t start = 0;
    for (size_t at = 0; at + sizeof s_separator <= size; at++)
        if (memcmp (data + at, s_separator, sizeof s_separator) == 0) {
            zmsg_addmem (msg, data + start, at - start);
            start = at + sizeof s_separator;
            at = start - 1;
        }
    zmsg_addmem (msg, data + start, size - start);
    return msg;
}

//  An accepted request has what its verb needs; abort () otherwise.
static void
s_check_request (nimbus_request_t *request)
{
    if (!request)
        abort ();
    if (nimbus_request_error (request))
        return;
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    switch (fields->verb) {
    case NIMBUS_VERB_SUBMIT:
        if (!fields->name || !fields->checksum || !fields->package ||
            (fields->config && !json_is_object (fields->config)))
            abort ();
        break;
    case NIMBUS_VERB_KILL:
    case NIMBUS_VERB_ACTIVATE:
    case NIMBUS_VERB_DEACTIVATE:
    case NIMBUS_VERB_REBALANCE:
        if (!fields->name || strlen (fields->name) > NIMBUS_REQUEST_MAX_NAME)
            abort ();
        break;
    case NIMBUS_VERB_DOWNLOAD:
        if (!fields->id)
            abort ();
        break;
    case NIMBUS_VERB_HEARTBEAT:
        if (!fields->id || !fields->topology || !fields->supervisor || fields->port <= 0)
            abort ();
        break;
    case NIMBUS_VERB_LIST:
        break;
    case NIMBUS_VERB_UNKNOWN:
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = s_frames (data, size);
    nimbus_request_t *request = nimbus_request_decode (&msg);
    s_check_request (request);
    nimbus_request_destroy (&request);

    msg = s_frames (data, size);
    void *payload = NULL;
    size_t payload_size = 0;
    json_t *reply = sq_control_reply_decode (&msg, "tcp://fuzz:1", &payload, &payload_size);
    if (reply && !json_is_true (json_object_get (reply, "ok")))
        abort ();
    json_decref (reply);
    free (payload);
    return 0;
}
