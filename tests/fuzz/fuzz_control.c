/*  fuzz_control - fuzz target for the control messages of doc/control.md

    The bytes are cut into ZeroMQ frames at every "\n\0\n" and decoded
    twice: as a request arriving on nimbus's ROUTER socket (the first frame
    is the sender's routing id; nimbus/nimbus_request.h), and as a reply
    reaching a client (storm-submit, a supervisor downloading a package;
    lib/sq_control.h). Either must come back decoded or refused with a
    reason; never a crash, hang or leak. A request nimbus accepts must
    carry the fields its verb needs (verdict: the verb's name); a refused
    one names its reason; a reply accepted (verdict "reply") says ok and
    has its payload if any. Built with libFuzzer by `make fuzz`,
    and replayed over tests/fuzz/corpus/control by `make check`.
*/
#include "fuzz_target.h"
#include "nimbus_request.h"
#include "sq_control.h"

char fuzz_verdict[FUZZ_VERDICT_SIZE];

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

//  An accepted request has what its verb needs.
static void
s_check_request (nimbus_request_t *request)
{
    FUZZ_REQUIRE (request, "a request decodes or says why not");
    const char *error = nimbus_request_error (request);
    if (error) {
        FUZZ_REQUIRE (*error, "a refused request names its reason");
        return;
    }
    fuzz_accepted (nimbus_request_verb_name (request));
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    switch (fields->verb) {
    case NIMBUS_VERB_SUBMIT:
        FUZZ_REQUIRE (fields->name && fields->checksum && fields->package &&
                          (!fields->config || json_is_object (fields->config)),
                      "an accepted submit has name, checksum, package and an object config");
        break;
    case NIMBUS_VERB_KILL:
    case NIMBUS_VERB_ACTIVATE:
    case NIMBUS_VERB_DEACTIVATE:
    case NIMBUS_VERB_REBALANCE:
    case NIMBUS_VERB_METRICS:
    case NIMBUS_VERB_TRACE:
        FUZZ_REQUIRE (fields->name && strlen (fields->name) <= NIMBUS_REQUEST_MAX_NAME,
                      "an accepted request for a topology names it within the limit");
        break;
    case NIMBUS_VERB_DOWNLOAD:
        FUZZ_REQUIRE (fields->id, "an accepted download names its topology id");
        break;
    case NIMBUS_VERB_HEARTBEAT:
        FUZZ_REQUIRE (fields->id && fields->topology && fields->supervisor && fields->port > 0,
                      "an accepted heartbeat has id, topology, supervisor and port");
        FUZZ_REQUIRE (!(fields->metrics && fields->metrics_refused),
                      "a heartbeat's metrics are either taken or dropped with a reason");
        FUZZ_REQUIRE (!(fields->traces && fields->traces_refused),
                      "a heartbeat's traces are either taken or dropped with a reason");
        break;
    case NIMBUS_VERB_SUPERVISOR:
        FUZZ_REQUIRE (fields->supervisor, "an accepted supervisor heartbeat names the supervisor");
        break;
    case NIMBUS_VERB_LIST:
        break;
    case NIMBUS_VERB_UNKNOWN:
        FUZZ_REQUIRE (false, "an accepted request has a known verb");
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_verdict_reset ();
    zmsg_t *msg = s_frames (data, size);
    nimbus_request_t *request = nimbus_request_decode (&msg);
    s_check_request (request);
    nimbus_request_destroy (&request);

    msg = s_frames (data, size);
    void *payload = NULL;
    size_t payload_size = 0;
    json_t *reply = sq_control_reply_decode (&msg, "tcp://fuzz:1", &payload, &payload_size);
    if (reply) {
        fuzz_accepted ("reply");
        FUZZ_REQUIRE (json_is_true (json_object_get (reply, "ok")), "an accepted reply says ok");
        FUZZ_REQUIRE (!payload_size || payload, "a reply's payload comes with its bytes");
    } else
        FUZZ_REQUIRE (!payload && !payload_size, "a refused reply hands over no payload");
    json_decref (reply);
    free (payload);
    return 0;
}
