/*  test_nimbus_request - nimbus's decoding of control requests and its replies

    Requests travel over an inproc ROUTER (nimbus's side) and DEALER or REQ
    (a client's side); each test sends frames, decodes them with
    nimbus_request_recv and checks the fields or the error, and the reply
    the client gets; and how a client (sq_control) reads replies.
*/
#include "nimbus_request.h"
#include "sq_control.h"
#include "sq_executor_metrics.h"

#include <check.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static zsock_t *s_router; //  nimbus's side
static zsock_t *s_dealer; //  a client

static void
s_setup (void)
{
    s_router = zsock_new_router ("inproc://nimbus-request");
    s_dealer = zsock_new_dealer ("inproc://nimbus-request");
    ck_assert (s_router && s_dealer);
    zsock_set_rcvtimeo (s_router, 2000);
    zsock_set_rcvtimeo (s_dealer, 2000);
}

static void
s_teardown (void)
{
    zsock_destroy (&s_dealer);
    zsock_destroy (&s_router);
}

//  Send frames (NULL terminated, each a string) from the dealer and
//  decode them on the router.
static nimbus_request_t *
s_exchange (const char *first, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list args;
    va_start (args, first);
    for (const char *frame = first; frame; frame = va_arg (args, const char *))
        zmsg_addstr (msg, frame);
    va_end (args);
    ck_assert_int_eq (zmsg_send (&msg, s_dealer), 0);
    nimbus_request_t *request = nimbus_request_recv (s_router);
    ck_assert (request);
    return request;
}

//  Expect the request to be malformed with an error containing text.
static void
s_expect_malformed (nimbus_request_t *request, const char *text)
{
    const char *error = nimbus_request_error (request);
    ck_assert_msg (error && strstr (error, text), "error '%s' lacks '%s'", error, text);
    ck_assert_int_eq (nimbus_request_fields (request)->verb, NIMBUS_VERB_UNKNOWN);
}

//  Expect a heartbeat whose metrics were dropped with an error containing
//  text, while the heartbeat itself (the worker's liveness) was taken.
static void
s_expect_metrics_refused (nimbus_request_t *request, const char *text)
{
    ck_assert_ptr_null (nimbus_request_error (request));
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_HEARTBEAT);
    ck_assert_ptr_null (fields->metrics);
    ck_assert_msg (fields->metrics_refused && strstr (fields->metrics_refused, text),
                   "refusal '%s' lacks '%s'", fields->metrics_refused, text);
    ck_assert_msg (strstr (fields->metrics_refused, "heartbeat: field 'metrics'"),
                   "refusal '%s' does not name the field", fields->metrics_refused);
    ck_assert_int_eq (fields->port, 6700);
}

//  The JSON reply the dealer gets (caller decrefs).
static json_t *
s_reply (void)
{
    char *text = zstr_recv (s_dealer);
    ck_assert (text);
    json_t *reply = json_loads (text, 0, NULL);
    ck_assert_msg (reply, "reply is not JSON: %s", text);
    zstr_free (&text);
    return reply;
}

START_TEST (test_verbs_and_fields)
{
    nimbus_request_t *request =
        s_exchange ("{\"version\": 1, \"verb\": \"submit\", \"name\": \"wc\", \"config\": "
                    "{\"topology.workers\": 2}, \"checksum\": \"abc\", \"request\": 7}",
                    "PACKAGE", NULL);
    ck_assert_ptr_null (nimbus_request_error (request));
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_SUBMIT);
    ck_assert_str_eq (fields->name, "wc");
    ck_assert_str_eq (fields->checksum, "abc");
    ck_assert (json_is_object (fields->config));
    ck_assert_int_eq (zframe_size (fields->package), 7);
    ck_assert (!fields->inactive);
    ck_assert (nimbus_request_wants_reply (request));
    //  The reply echoes the request number, and carries extra fields.
    json_t *extra = json_pack ("{s:s}", "id", "wc-1");
    ck_assert_int_eq (nimbus_request_reply (request, s_router, &extra, NULL, 0), 0);
    ck_assert_ptr_null (extra);
    json_t *reply = s_reply ();
    ck_assert (json_is_true (json_object_get (reply, "ok")));
    ck_assert_int_eq (json_integer_value (json_object_get (reply, "version")), 1);
    ck_assert_int_eq (json_integer_value (json_object_get (reply, "request")), 7);
    ck_assert_str_eq (json_string_value (json_object_get (reply, "id")), "wc-1");
    json_decref (reply);
    nimbus_request_destroy (&request);
    nimbus_request_destroy (&request);

    //  Version 2: a submit may start inactive, and the reply speaks version 2.
    request = s_exchange ("{\"version\": 2, \"verb\": \"submit\", \"name\": \"wc\", "
                          "\"checksum\": \"abc\", \"initial_status\": \"inactive\"}",
                          "PACKAGE", NULL);
    ck_assert_ptr_null (nimbus_request_error (request));
    ck_assert (nimbus_request_fields (request)->inactive);
    ck_assert_int_eq (nimbus_request_reply (request, s_router, NULL, NULL, 0), 0);
    reply = s_reply ();
    ck_assert_int_eq (json_integer_value (json_object_get (reply, "version")), 2);
    json_decref (reply);
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 2, \"verb\": \"submit\", \"name\": \"wc\", "
                          "\"checksum\": \"abc\", \"initial_status\": \"active\"}",
                          "PACKAGE", NULL);
    ck_assert_ptr_null (nimbus_request_error (request));
    ck_assert (!nimbus_request_fields (request)->inactive);
    nimbus_request_destroy (&request);

    request = s_exchange ("{\"version\": 1, \"verb\": \"rebalance\", \"name\": \"wc\", "
                          "\"workers\": 3, \"wait_secs\": 0.5}",
                          NULL);
    fields = nimbus_request_fields (request);
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_REBALANCE);
    ck_assert_int_eq (fields->workers, 3);
    ck_assert (fields->wait_secs == 0.5);
    nimbus_request_destroy (&request);

    request = s_exchange ("{\"version\": 1, \"verb\": \"kill\", \"name\": \"wc\"}", NULL);
    ck_assert (nimbus_request_fields (request)->wait_secs < 0);
    nimbus_request_destroy (&request);

    request = s_exchange ("{\"version\": 1, \"verb\": \"heartbeat\", \"topology\": \"wc\", "
                          "\"id\": \"wc-1\", \"supervisor\": \"s1\", \"port\": 6700, "
                          "\"uptime_secs\": 12, \"stats\": {\"acked\": 5}}",
                          NULL);
    fields = nimbus_request_fields (request);
    ck_assert_ptr_null (nimbus_request_error (request));
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_HEARTBEAT);
    ck_assert_str_eq (fields->supervisor, "s1");
    ck_assert_int_eq (fields->port, 6700);
    ck_assert (!nimbus_request_wants_reply (request));
    nimbus_request_destroy (&request);
}
END_TEST

START_TEST (test_malformed)
{
    struct {
        const char *json;     //  frame 1
        const char *package;  //  frame 2, or NULL
        const char *expected; //  part of the error
    } cases[] = {
        {"{\"version\": 1, \"verb\": \"list\"", NULL, "not valid JSON"},
        {"\"list\"", NULL, "not a JSON object"},
        {"{\"verb\": \"list\"}", NULL, "no 'version'"},
        {"{\"version\": \"1\", \"verb\": \"list\"}", NULL, "unsupported control protocol version"},
        {"{\"version\": 3, \"verb\": \"list\"}", NULL, "version 3 (this nimbus speaks 1 to 2)"},
        {"{\"version\": 1, \"verb\": \"submit\", \"name\": \"wc\", \"checksum\": \"c\", "
         "\"initial_status\": \"inactive\"}",
         "x", "'initial_status' needs \"version\": 2"},
        {"{\"version\": 2, \"verb\": \"submit\", \"name\": \"wc\", \"checksum\": \"c\", "
         "\"initial_status\": \"paused\"}",
         "x", "'initial_status' must be \"active\" or \"inactive\""},
        {"{\"version\": 1}", NULL, "no 'verb'"},
        {"{\"version\": 1, \"verb\": 3}", NULL, "no 'verb'"},
        {"{\"version\": 1, \"verb\": \"lsit\"}", NULL, "unknown verb 'lsit'"},
        {"{\"version\": 1, \"verb\": \"list\", \"request\": \"x\"}", NULL, "'request'"},
        {"{\"version\": 1, \"verb\": \"list\"}", "x", "too many frames"},
        {"{\"version\": 1, \"verb\": \"kill\"}", NULL, "field 'name' is missing"},
        {"{\"version\": 1, \"verb\": \"kill\", \"name\": 3}", NULL, "must be a string"},
        {"{\"version\": 1, \"verb\": \"kill\", \"name\": \"\"}", NULL, "invalid topology name"},
        {"{\"version\": 1, \"verb\": \"kill\", \"name\": \".hidden\"}", NULL,
         "invalid topology name"},
        {"{\"version\": 1, \"verb\": \"kill\", \"name\": \"a/b\"}", NULL, "invalid topology name"},
        {"{\"version\": 1, \"verb\": \"kill\", \"name\": \"wc\", \"wait_secs\": -1}", NULL,
         "wait_secs"},
        {"{\"version\": 1, \"verb\": \"rebalance\", \"name\": \"wc\", \"workers\": 1.5}", NULL,
         "workers"},
        {"{\"version\": 1, \"verb\": \"submit\", \"name\": \"wc\", \"checksum\": \"c\"}", NULL,
         "package frame is missing"},
        {"{\"version\": 1, \"verb\": \"submit\", \"name\": \"wc\", \"checksum\": \"c\", "
         "\"config\": []}",
         "x", "'config' must be an object"},
        {"{\"version\": 1, \"verb\": \"download\"}", NULL, "field 'id' is missing"},
        {"{\"version\": 1, \"verb\": \"heartbeat\", \"topology\": \"wc\", \"id\": \"i\", "
         "\"supervisor\": \"s\", \"port\": 70000}",
         NULL, "field 'port'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nimbus_request_t *request = s_exchange (cases[i].json, cases[i].package, NULL);
        s_expect_malformed (request, cases[i].expected);
        if (nimbus_request_wants_reply (request)) {
            ck_assert_int_eq (nimbus_request_reply_error (request, s_router, "%s",
                                                          nimbus_request_error (request)),
                              0);
            json_t *reply = s_reply ();
            ck_assert (json_is_false (json_object_get (reply, "ok")));
            ck_assert (
                strstr (json_string_value (json_object_get (reply, "error")), cases[i].expected));
            json_decref (reply);
        }
        nimbus_request_destroy (&request);
    }
    //  A malformed heartbeat still wants no reply.
    nimbus_request_t *request = s_exchange ("{\"version\": 1, \"verb\": \"heartbeat\"}", NULL);
    s_expect_malformed (request, "field 'topology' is missing");
    ck_assert (!nimbus_request_wants_reply (request));
    nimbus_request_destroy (&request);
}
END_TEST

//  A heartbeat carrying metrics (a JSON text, inserted as is).
static nimbus_request_t *
s_heartbeat_with (const char *metrics)
{
    char *text = zsys_sprintf ("{\"version\": 1, \"verb\": \"heartbeat\", \"topology\": "
                               "\"wc\", \"id\": \"wc-1\", \"supervisor\": \"s1\", "
                               "\"port\": 6700, \"metrics\": %s}",
                               metrics);
    nimbus_request_t *request = s_exchange (text, NULL);
    zstr_free (&text);
    return request;
}

//  The JSON text of a valid metrics object: one bolt executor, with what
//  the metrics class itself encodes. Caller frees.
static char *
s_valid_metrics (void)
{
    const char *streams[] = {"default"}, *sources[] = {"spout"}, *source_streams[] = {"default"};
    sq_executor_metrics_shape_t shape = {.component = "split",
                                         .first_task = 2,
                                         .last_task = 3,
                                         .streams = streams,
                                         .stream_count = 1,
                                         .input_components = sources,
                                         .input_streams = source_streams,
                                         .input_count = 1,
                                         .queue_capacity = 16};
    sq_executor_metrics_t *metrics = sq_executor_metrics_new (&shape);
    sq_executor_metrics_executed (metrics, 0, 1500);
    sq_executor_metrics_acked (metrics, 0, 1600);
    sq_metrics_emits_add (sq_executor_metrics_emits (metrics, 0), 2);
    sq_executor_metrics_error (metrics, 2, 1700000000000, "bad input");
    sq_executor_metrics_t *copy = sq_executor_metrics_snapshot (metrics, 3, 1000);
    json_t *report = json_pack ("{s:i, s:[o], s:i}", "v", 1, "executors",
                                sq_executor_metrics_encode (copy), "omitted", 0);
    char *text = json_dumps (report, JSON_COMPACT);
    json_decref (report);
    sq_executor_metrics_destroy (&copy);
    sq_executor_metrics_destroy (&metrics);
    ck_assert (text);
    return text;
}

//  The valid metrics text with its first `from` replaced by `to`. Caller frees.
static char *
s_changed_metrics (const char *from, const char *to)
{
    char *valid = s_valid_metrics ();
    char *at = strstr (valid, from);
    ck_assert_msg (at, "'%s' not in %s", from, valid);
    *at = 0;
    char *text = zsys_sprintf ("%s%s%s", valid, to, at + strlen (from));
    free (valid);
    return text;
}

//  A heartbeat carrying traces and, optionally, metrics (JSON texts).
static nimbus_request_t *
s_heartbeat_traces (const char *traces, const char *metrics)
{
    char *text = zsys_sprintf ("{\"version\": 1, \"verb\": \"heartbeat\", \"topology\": "
                               "\"wc\", \"id\": \"wc-1\", \"supervisor\": \"s1\", "
                               "\"port\": 6700, \"traces\": %s%s%s}",
                               traces, metrics ? ", \"metrics\": " : "", metrics ? metrics : "");
    nimbus_request_t *request = s_exchange (text, NULL);
    zstr_free (&text);
    return request;
}

#define S_TRACES                                                                                   \
    "{\"v\":1,\"lost\":3,\"events\":[{\"k\":\"execute\",\"root\":\"00000000000c0004\","            \
    "\"edge\":\"00000000000000ff\",\"ms\":1.5e12,\"task\":3,\"component\":\"split\","              \
    "\"from\":1,\"fromComponent\":\"spout\",\"stream\":\"default\"}]}"

START_TEST (test_heartbeat_traces)
{
    char *metrics = s_valid_metrics ();
    nimbus_request_t *request = s_heartbeat_traces (S_TRACES, metrics);
    ck_assert_ptr_null (nimbus_request_error (request));
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    ck_assert (json_is_object (fields->traces));
    ck_assert_ptr_null (fields->traces_refused);
    ck_assert (json_is_object (fields->metrics));
    nimbus_request_destroy (&request);
    //  Bad traces cost the traces, not the heartbeat nor its metrics.
    static const char *bad[] = {
        "[]",
        "{\"v\":1,\"lost\":0}",
        "{\"v\":1,\"lost\":0,\"events\":[{\"k\":\"emit\"}]}",
        "{\"v\":1,\"lost\":0,\"events\":[{\"k\":\"acked\",\"root\":\"00000000000c0004\","
        "\"ms\":1,\"task\":1,\"component\":\"s\",\"latencyMs\":\"fast\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        request = s_heartbeat_traces (bad[i], metrics);
        ck_assert_ptr_null (nimbus_request_error (request));
        fields = nimbus_request_fields (request);
        ck_assert_int_eq (fields->verb, NIMBUS_VERB_HEARTBEAT);
        ck_assert_ptr_null (fields->traces);
        ck_assert_msg (fields->traces_refused &&
                           strstr (fields->traces_refused, "heartbeat: field 'traces'"),
                       "%s: refusal '%s'", bad[i], fields->traces_refused);
        ck_assert (json_is_object (fields->metrics));
        nimbus_request_destroy (&request);
    }
    free (metrics);
}
END_TEST

//  A supervisor's heartbeat names the supervisor and gets no reply.
START_TEST (test_supervisor_heartbeat_verb)
{
    nimbus_request_t *request = s_exchange ("{\"version\": 1, \"verb\": \"supervisor_heartbeat\", "
                                            "\"supervisor\": \"sup-1\"}",
                                            NULL);
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_SUPERVISOR);
    ck_assert_str_eq (fields->supervisor, "sup-1");
    ck_assert (!nimbus_request_wants_reply (request));
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 1, \"verb\": \"supervisor_heartbeat\"}", NULL);
    s_expect_malformed (request, "supervisor_heartbeat: field 'supervisor' is missing");
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 1, \"verb\": \"supervisor_heartbeat\", "
                          "\"supervisor\": 7}",
                          NULL);
    s_expect_malformed (request, "supervisor_heartbeat: field 'supervisor' must be a string");
    nimbus_request_destroy (&request);
}
END_TEST

START_TEST (test_trace_verb)
{
    nimbus_request_t *request = s_exchange ("{\"version\": 1, \"verb\": \"trace\", "
                                            "\"name\": \"wc\"}",
                                            NULL);
    const nimbus_request_fields_t *fields = nimbus_request_fields (request);
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_TRACE);
    ck_assert_str_eq (fields->name, "wc");
    ck_assert (fields->sample_pct < 0);
    ck_assert_int_eq (fields->limit, 0);
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 1, \"verb\": \"trace\", \"name\": \"wc\", "
                          "\"sample_pct\": 0.5, \"limit\": 7}",
                          NULL);
    fields = nimbus_request_fields (request);
    ck_assert_int_eq (fields->verb, NIMBUS_VERB_TRACE);
    ck_assert_double_eq (fields->sample_pct, 0.5);
    ck_assert_int_eq (fields->limit, 7);
    nimbus_request_destroy (&request);
    static const char *bad[] = {"\"sample_pct\": -1", "\"sample_pct\": 100.5",
                                "\"sample_pct\": \"5\"", "\"limit\": 0", "\"limit\": 101"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *text =
            zsys_sprintf ("{\"version\": 1, \"verb\": \"trace\", \"name\": \"wc\", %s}", bad[i]);
        request = s_exchange (text, NULL);
        s_expect_malformed (request, "trace: field");
        nimbus_request_destroy (&request);
        zstr_free (&text);
    }
}
END_TEST

START_TEST (test_heartbeat_metrics)
{
    char *valid = s_valid_metrics ();
    nimbus_request_t *request = s_heartbeat_with (valid);
    ck_assert_ptr_null (nimbus_request_error (request));
    ck_assert_ptr_null (nimbus_request_fields (request)->metrics_refused);
    const json_t *metrics = nimbus_request_fields (request)->metrics;
    ck_assert (json_is_object (metrics));
    json_t *executor = json_array_get (json_object_get (metrics, "executors"), 0);
    ck_assert_str_eq (json_string_value (json_object_get (executor, "component")), "split");
    nimbus_request_destroy (&request);
    free (valid);

    //  Hostile metrics objects: each dropped with a precise error, never a
    //  reply, while the heartbeat itself still counts.
    struct {
        const char *from;     //  text of the valid object to replace
        const char *to;       //  by this
        const char *expected; //  part of the error
    } cases[] = {
        {"{\"v\":1", "{\"v\":2", "'v' must be 1"},
        {"\"omitted\":0", "\"omitted\":-1", "'omitted'"},
        {"\"executors\":[", "\"executors\":[7,", "an executor must be an object"},
        {"\"component\":\"split\"", "\"component\":[]", "'component'"},
        {"\"tasks\":[2,3]", "\"tasks\":[3,2]", "'tasks'"},
        {"\"tasks\":[2,3]", "\"tasks\":[2,3,4]", "'tasks'"},
        {"\"executed\":1", "\"executed\":1e300", "'executed'"},
        {"\"executed\":1", "\"executed\":\"1\"", "'executed'"},
        {"\"transferred\":2", "\"transferred\":-2", "'transferred'"},
        {"\"population\":3", "\"population\":null", "'population'"},
        {"\"spout\":false", "\"spout\":\"no\"", "'spout'"},
        {"\"streams\":[", "\"streams\":[[],", "entries must be objects"},
        {"\"inputs\":[", "\"inputs\":7,\"x\":[", "'inputs' must be an array"},
        {"\"count\":1", "\"count\":2", "'execute_latency'"},
        {"\"b\":[", "\"b\":[5000,", "'execute_latency'"},
        {"\"error\":\"bad input\"", "\"error\":{}", "'error'"},
        {"\"user\":[]", "\"user\":[{\"name\":\"x\",\"type\":\"gauge\",\"value\":\"hi\"}]",
         "'value'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = s_changed_metrics (cases[i].from, cases[i].to);
        request = s_heartbeat_with (text);
        s_expect_metrics_refused (request, cases[i].expected);
        ck_assert (!nimbus_request_wants_reply (request));
        nimbus_request_destroy (&request);
        free (text);
    }
    //  Not an object at all.
    request = s_heartbeat_with ("[1,2]");
    s_expect_metrics_refused (request, "metrics: must be an object");
    nimbus_request_destroy (&request);

    //  Too many executors, though each is tiny and the frame is small.
    size_t room = 64 + 3 * (SQ_METRICS_EXECUTORS_MAX + 1);
    char *many = malloc (room);
    size_t used = (size_t) snprintf (many, room, "{\"v\":1,\"omitted\":0,\"executors\":[");
    for (int e = 0; e <= SQ_METRICS_EXECUTORS_MAX; e++)
        used += (size_t) snprintf (many + used, room - used, "%s{}", e ? "," : "");
    snprintf (many + used, room - used, "]}");
    request = s_heartbeat_with (many);
    s_expect_metrics_refused (request, "(at most 4096)");
    nimbus_request_destroy (&request);
    free (many);

    //  A component id longer than any the runtime allows.
    char long_id[SQ_METRICS_ID_MAX + 8];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    char *quoted = zsys_sprintf ("\"component\":\"%s\"", long_id);
    char *text = s_changed_metrics ("\"component\":\"split\"", quoted);
    request = s_heartbeat_with (text);
    s_expect_metrics_refused (request, "'component' must be a string of 1 to 256 bytes");
    nimbus_request_destroy (&request);
    free (text);
    zstr_free (&quoted);
}
END_TEST

START_TEST (test_metrics_verb)
{
    //  Any version nimbus speaks: an older nimbus answers "unknown verb".
    nimbus_request_t *request =
        s_exchange ("{\"version\": 1, \"verb\": \"metrics\", \"name\": \"wordcount\"}", NULL);
    ck_assert_ptr_null (nimbus_request_error (request));
    ck_assert_int_eq (nimbus_request_fields (request)->verb, NIMBUS_VERB_METRICS);
    ck_assert_str_eq (nimbus_request_fields (request)->name, "wordcount");
    ck_assert (nimbus_request_wants_reply (request));
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 2, \"verb\": \"metrics\", \"name\": \"old.name\"}", NULL);
    ck_assert_ptr_null (nimbus_request_error (request));
    nimbus_request_destroy (&request);

    request = s_exchange ("{\"version\": 1, \"verb\": \"metrics\"}", NULL);
    s_expect_malformed (request, "metrics: field 'name' is missing");
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 1, \"verb\": \"metrics\", \"name\": 7}", NULL);
    s_expect_malformed (request, "metrics: field 'name' must be a string");
    nimbus_request_destroy (&request);
    request = s_exchange ("{\"version\": 1, \"verb\": \"metrics\", \"name\": \"../x\"}", NULL);
    s_expect_malformed (request, "invalid topology name");
    nimbus_request_destroy (&request);
    request =
        s_exchange ("{\"version\": 1, \"verb\": \"metrics\", \"name\": \"wc\"}", "PACKAGE", NULL);
    s_expect_malformed (request, "metrics: too many frames");
    nimbus_request_destroy (&request);
}
END_TEST

START_TEST (test_req_envelope)
{
    //  A REQ client sends an empty delimiter frame; the reply echoes it,
    //  which is what REQ needs to take it.
    zsock_t *req = zsock_new_req ("inproc://nimbus-request");
    zsock_set_rcvtimeo (req, 2000);
    zstr_send (req, "{\"version\": 1, \"verb\": \"list\"}");
    nimbus_request_t *request = nimbus_request_recv (s_router);
    ck_assert_ptr_null (nimbus_request_error (request));
    ck_assert_int_eq (nimbus_request_fields (request)->verb, NIMBUS_VERB_LIST);
    ck_assert_int_eq (nimbus_request_reply (request, s_router, NULL, "payload", 7), 0);
    zmsg_t *msg = zmsg_recv (req);
    ck_assert (msg);
    ck_assert_int_eq (zmsg_size (msg), 2);
    char *json = zmsg_popstr (msg);
    ck_assert (strstr (json, "\"ok\": true") || strstr (json, "\"ok\":true"));
    char *payload = zmsg_popstr (msg);
    ck_assert_str_eq (payload, "payload");
    zstr_free (&json);
    zstr_free (&payload);
    zmsg_destroy (&msg);
    nimbus_request_destroy (&request);
    zsock_destroy (&req);
}
END_TEST

//  The reply a client decodes from the single JSON frame text.
static json_t *
s_client_decodes (const char *text, void **payload_p)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, text);
    size_t size = 0;
    return sq_control_reply_decode (&msg, "tcp://nimbus:6627", payload_p, &size);
}

START_TEST (test_client_reads_replies)
{
    void *payload = NULL;
    json_t *reply = s_client_decodes ("{\"version\": 1, \"ok\": true, \"id\": \"wc-1\"}", &payload);
    ck_assert_ptr_nonnull (reply);
    ck_assert_str_eq (json_string_value (json_object_get (reply, "id")), "wc-1");
    ck_assert_ptr_null (payload);
    json_decref (reply);
    ck_assert_ptr_null (s_client_decodes ("{\"version\": 1, \"ok\": false, \"error\": \"no such "
                                          "topology\"}",
                                          &payload));
    ck_assert_str_eq (sq_last_error (), "no such topology");
    //  An empty reason reads as none (found by helper-10's reply fuzzer).
    ck_assert_ptr_null (
        s_client_decodes ("{\"version\": 1, \"ok\": false, \"error\": \"\"}", &payload));
    ck_assert_str_eq (sq_last_error (), "nimbus refused the request without saying why");
    //  Version 2 replies are read; a version this build does not speak is not.
    reply = s_client_decodes ("{\"version\": 2, \"ok\": true}", &payload);
    ck_assert_ptr_nonnull (reply);
    json_decref (reply);
    ck_assert_ptr_null (s_client_decodes ("{\"version\": 3, \"ok\": true}", &payload));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "version 3"));
    ck_assert_ptr_null (s_client_decodes ("[1]", &payload));
    ck_assert_str_eq (sq_last_error (), "malformed reply from nimbus at tcp://nimbus:6627");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_request");
    TCase *tcase = tcase_create ("core");
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_verbs_and_fields);
    tcase_add_test (tcase, test_malformed);
    tcase_add_test (tcase, test_heartbeat_metrics);
    tcase_add_test (tcase, test_heartbeat_traces);
    tcase_add_test (tcase, test_trace_verb);
    tcase_add_test (tcase, test_supervisor_heartbeat_verb);
    tcase_add_test (tcase, test_metrics_verb);
    tcase_add_test (tcase, test_req_envelope);
    tcase_add_test (tcase, test_client_reads_replies);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
