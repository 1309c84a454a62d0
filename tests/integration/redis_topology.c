/*  redis_topology - a test package that moves a Redis stream to another

        redis spout (stream "in", 2 tasks) -shuffle-> relay (4)
            -shuffle-> redis bolt (stream "out", 2)

    The relay passes on the entry id as "source" and the entry's "word",
    anchored, then acks; the sink XADDs (source, word) to "out". A test
    pushes entries to "in", kills workers or Redis while they move, and
    then checks that every entry of "in" reached "out" at least once and
    that nothing is pending in the spout's group.

    Config keys: redis.port (required, the test's server); the other
    redis.* keys as documented, e.g. redis.stream.claim.idle.ms.
*/
#include <squall.h>

static void
s_relay_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "source,word");
}

static int
s_relay_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_relay_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_t *collector = state;
    sq_collector_emit (collector, input,
                       SQ_VALUES (sq_str (sq_tuple_field_string (input, "id")),
                                  sq_str (sq_tuple_field_string (input, "word"))));
    sq_collector_ack (collector, input);
}

static const sq_bolt_t s_relay = {
    .declare_outputs = s_relay_declare,
    .prepare = s_relay_prepare,
    .execute = s_relay_execute,
};

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    sq_component_t *spout = sq_topology_set_redis_spout (topology, "spout", "word", 2);
    sq_config_set_string (sq_component_config (spout), "redis.stream.key", "in");
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "relay", &s_relay, 4), "spout",
                                   NULL);
    sq_component_t *sink = sq_topology_set_redis_bolt (topology, "sink", 2);
    sq_config_set_string (sq_component_config (sink), "redis.stream.key", "out");
    sq_component_shuffle_grouping (sink, "relay", NULL);
    return 0;
}
