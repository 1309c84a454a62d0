/*  sq_redis_bolt - a bolt that appends its inputs to a Redis stream

    DESIGN: one XADD per input, sent and answered before execute returns,
    so the input is acked only once Redis replied with the new entry's id
    (with appendfsync always, once it is on disk) and failed otherwise:
    the spout of its tree replays it, and the stream may then hold it
    twice (at least once, as everywhere). While the link is down and
    backing off, inputs are failed at once without waiting on Redis. An
    error reply (WRONGTYPE, OOM, ...) fails the input and is logged when
    it differs from the last one logged; a success re-arms the log.
*/
#include "sq_error.h"
#include "sq_redis_link.h"
#include "sq_topology.h"
#include "sq_tuple.h"
#include "squall.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ARGS (6 + 2 * SQ_MAX_FIELDS) //  XADD key MAXLEN ~ n * and the pairs
#define S_NUMBER_BYTES 32                  //  room for one number as text

typedef struct {
    sq_collector_t *collector;                   //  acks and fails for this task
    sq_redis_link_t *link;                       //  the connection
    char *key;                                   //  redis.stream.key
    char maxlen[24];                             //  redis.stream.maxlen as text, "" for none
    const char *argv[S_MAX_ARGS];                //  the XADD being built
    size_t lengths[S_MAX_ARGS];                  //  lengths of its arguments
    char numbers[SQ_MAX_FIELDS][S_NUMBER_BYTES]; //  text of number and bool values
    char last_error[256];                        //  error reply logged last, "" when none
} s_bolt_t;

//  Sets argument at to the text of value, using number as room for it.
static void
s_value_text (s_bolt_t *self, size_t at, const sq_value_t *value, char *number)
{
    switch (value->type) {
    case SQ_TYPE_STRING:
    case SQ_TYPE_BYTES:
        self->argv[at] = value->as.s.ptr ? value->as.s.ptr : "";
        self->lengths[at] = value->as.s.ptr ? value->as.s.len : 0;
        return;
    case SQ_TYPE_INT:
        snprintf (number, S_NUMBER_BYTES, "%" PRId64, value->as.i);
        break;
    case SQ_TYPE_DOUBLE:
        snprintf (number, S_NUMBER_BYTES, "%.17g", value->as.d);
        break;
    case SQ_TYPE_BOOL:
        snprintf (number, S_NUMBER_BYTES, "%s", value->as.b ? "true" : "false");
        break;
    default:
        number[0] = '\0';
        break;
    }
    self->argv[at] = number;
    self->lengths[at] = strlen (number);
}

static void
s_execute (void *state, const sq_tuple_t *input)
{
    s_bolt_t *self = state;
    if (sq_tuple_is_tick (input)) {
        sq_collector_ack (self->collector, input);
        return;
    }
    if (!sq_redis_link_ready (self->link)) {
        sq_collector_fail (self->collector, input); //  Redis down: the spout replays it later
        return;
    }
    size_t argc = 0;
    self->argv[argc++] = "XADD";
    self->argv[argc++] = self->key;
    if (self->maxlen[0]) {
        self->argv[argc++] = "MAXLEN";
        self->argv[argc++] = "~";
        self->argv[argc++] = self->maxlen;
    }
    self->argv[argc++] = "*";
    for (size_t i = 0; i < argc; i++)
        self->lengths[i] = strlen (self->argv[i]);
    const sq_stream_t *stream = input->stream;
    size_t count = sq_tuple_size (input);
    for (size_t i = 0; i < count && i < stream->field_count; i++) {
        self->argv[argc] = stream->fields[i];
        self->lengths[argc] = strlen (stream->fields[i]);
        s_value_text (self, argc + 1, sq_tuple_value (input, i), self->numbers[i]);
        argc += 2;
    }
    if (count == 0) {
        //  A stream entry needs one field at least.
        self->argv[argc] = "", self->lengths[argc++] = 0;
        self->argv[argc] = "", self->lengths[argc++] = 0;
    }
    redisReply *reply = sq_redis_link_command (self->link, (int) argc, self->argv, self->lengths);
    if (reply && reply->type == REDIS_REPLY_STRING) {
        self->last_error[0] = '\0';
        sq_collector_ack (self->collector, input);
    } else {
        if (reply && strcmp (self->last_error, reply->str ? reply->str : "?") != 0) {
            snprintf (self->last_error, sizeof self->last_error, "%s",
                      reply->str ? reply->str : "?");
            zsys_error ("%s stream=%s: XADD refused: %s; failing inputs until it succeeds",
                        sq_redis_link_who (self->link), self->key, self->last_error);
        }
        sq_collector_fail (self->collector, input);
    }
    if (reply)
        freeReplyObject (reply);
}

static void
s_cleanup (void *state)
{
    s_bolt_t *self = state;
    if (self) {
        sq_redis_link_destroy (&self->link);
        free (self->key);
        free (self);
    }
}

static int
s_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    const sq_config_t *config = sq_context_config (context);
    const char *key = sq_config_string (config, "redis.stream.key", "");
    int64_t maxlen = sq_config_int (config, "redis.stream.maxlen", 0);
    if (!*key || maxlen < 0) {
        sq_error_set ("redis bolt %s: redis.stream.key must be set and redis.stream.maxlen not "
                      "negative",
                      sq_context_component_id (context));
        return -1;
    }
    s_bolt_t *self = calloc (1, sizeof (s_bolt_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->key = strdup (key);
    self->link = sq_redis_link_for_task (context);
    if (maxlen > 0)
        snprintf (self->maxlen, sizeof self->maxlen, "%lld", (long long) maxlen);
    if (!self->key || !self->link) {
        s_cleanup (self);
        sq_error_set ("redis bolt: out of memory");
        return -1;
    }
    *state_p = self;
    return 0;
}

static const sq_bolt_t s_bolt = {
    .prepare = s_prepare,
    .execute = s_execute,
    .cleanup = s_cleanup,
};

sq_component_t *
sq_topology_set_redis_bolt (sq_topology_t *self, const char *id, int parallelism)
{
    return sq_topology_set_bolt (self, id, &s_bolt, parallelism);
}
