/*  test_redis - the Redis Streams spout and sink bolt against a real Redis

    Each test starts its own redis-server (redis_server) on a free loopback
    port, pushes entries with hiredis, runs a local topology

        redis spout (stream "in") -> relay bolt -> redis bolt (stream "out")

    and reads the outcome back from Redis: what reached "out", what is
    still pending in the group, what went to the dead-letter stream. The
    relay bolt can fail chosen words, or hold every input without acking
    it, to play a slow or crashing topology.

    Also the connection class alone: backoff against a port where nothing
    listens, and a wrong password.
*/
#include "cluster_harness.h"
#include "redis_server.h"
#include "sq_redis_link.h"
#include "test_processes.h"
#include "zk_server.h"
#include "squall.h"

#include <check.h>
#include <czmq.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#define MAX_ENTRIES 4000

//  What the relay bolt does and saw; written by executor threads.
static struct {
    bool hold;                     //  keep every input, never ack it
    const char *poison;            //  fail inputs with this word (NULL: none)
    _Atomic long executed;         //  inputs seen
    _Atomic long poison_seen;      //  poison inputs seen
    _Atomic int seen[MAX_ENTRIES]; //  times each entry (by its "n" field) was seen
} s_relay;

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
    atomic_fetch_add (&s_relay.executed, 1);
    const char *word = sq_tuple_field_string (input, "word");
    const char *n = sq_tuple_field_string (input, "n");
    if (n && atoi (n) >= 0 && atoi (n) < MAX_ENTRIES)
        atomic_fetch_add (&s_relay.seen[atoi (n)], 1);
    if (s_relay.hold)
        return; //  never acked: stays pending in Redis
    if (word && s_relay.poison && strcmp (word, s_relay.poison) == 0) {
        atomic_fetch_add (&s_relay.poison_seen, 1);
        sq_collector_fail (collector, input);
        return;
    }
    sq_collector_emit (collector, input,
                       SQ_VALUES (sq_str (sq_tuple_field_string (input, "id")), sq_str (word)));
    sq_collector_ack (collector, input);
}

static const sq_bolt_t s_relay_bolt = {
    .declare_outputs = s_relay_declare,
    .prepare = s_relay_prepare,
    .execute = s_relay_execute,
};

static void
s_reset_relay (void)
{
    memset (&s_relay, 0, sizeof s_relay);
}

//  ---------------------------------------------------------------------
//  Redis, from the test's side

static redisContext *
s_connect (redis_server_t *server)
{
    redisContext *redis = redisConnect ("127.0.0.1", redis_server_port (server));
    ck_assert_msg (redis && !redis->err, "cannot connect to the test's redis-server");
    return redis;
}

//  The integer reply of a command, or -1 when the reply is no integer.
static long long
s_integer (redisContext *redis, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    redisReply *reply = redisvCommand (redis, format, args);
    va_end (args);
    long long value = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    if (reply)
        freeReplyObject (reply);
    return value;
}

//  Entries pending in the group of stream "in", or -1 (no group, no Redis).
static long long
s_pending (redisContext *redis)
{
    redisReply *reply = redisCommand (redis, "XPENDING in squall");
    long long value = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4 &&
        reply->element[0]->type == REDIS_REPLY_INTEGER)
        value = reply->element[0]->integer;
    if (reply)
        freeReplyObject (reply);
    return value;
}

//  Pushes entries n = first .. first+count-1 to "in", with field word.
static void
s_push (redisContext *redis, int first, int count, const char *(*word_of) (int) )
{
    for (int i = first; i < first + count; i++)
        redisAppendCommand (redis, "XADD in * n %d word %s", i, word_of (i));
    for (int i = 0; i < count; i++) {
        redisReply *reply = NULL;
        ck_assert_int_eq (redisGetReply (redis, (void **) &reply), REDIS_OK);
        ck_assert_int_eq (reply->type, REDIS_REPLY_STRING);
        freeReplyObject (reply);
    }
}

static const char *
s_word (int i)
{
    static const char *words[] = {"apple", "pear", "plum", "fig", "kiwi"};
    return words[i % 5];
}

//  How many times each entry of "in" (by its n) reached "out", through
//  the "source" field the relay sets to the entry's id. Returns the
//  number of distinct entries of "in" seen in "out".
static int
s_read_out (redisContext *redis, int *counts, size_t max)
{
    memset (counts, 0, max * sizeof (int));
    zhashx_t *numbers = zhashx_new (); //  entry id of "in" -> n + 1
    redisReply *in = redisCommand (redis, "XRANGE in - +");
    ck_assert (in && in->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < in->elements; i++) {
        const redisReply *body = in->element[i]->element[1];
        ck_assert_str_eq (body->element[0]->str, "n");
        zhashx_insert (numbers, in->element[i]->element[0]->str,
                       (void *) (intptr_t) (atoi (body->element[1]->str) + 1));
    }
    freeReplyObject (in);
    redisReply *out = redisCommand (redis, "XRANGE out - +");
    ck_assert (out && out->type == REDIS_REPLY_ARRAY);
    int distinct = 0;
    for (size_t i = 0; i < out->elements; i++) {
        const redisReply *body = out->element[i]->element[1];
        ck_assert_str_eq (body->element[0]->str, "source");
        intptr_t n = (intptr_t) zhashx_lookup (numbers, body->element[1]->str) - 1;
        ck_assert_msg (n >= 0, "out holds %s, which is not in in", body->element[1]->str);
        if ((size_t) n < max && counts[n]++ == 0)
            distinct++;
    }
    freeReplyObject (out);
    zhashx_destroy (&numbers);
    return distinct;
}

//  Polls until the condition holds or timeout_ms passes.
#define WAIT_UNTIL(condition, timeout_ms)                                                          \
    do {                                                                                           \
        long long deadline_ = test_processes_now_ms () + (timeout_ms);                             \
        while (!(condition) && test_processes_now_ms () < deadline_)                               \
            usleep (20000);                                                                        \
    } while (0)

//  The topology of every test: spout -> relay -> sink.
static sq_topology_t *
s_topology (int spouts, int port)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_config_t *config = sq_topology_config (topology);
    sq_config_set_int (config, "redis.port", port);
    sq_config_set_int (config, "redis.backoff.initial.ms", 50);
    sq_config_set_int (config, "redis.backoff.max.ms", 400);
    sq_component_t *spout = sq_topology_set_redis_spout (topology, "spout", "n,word", spouts);
    sq_config_set_string (sq_component_config (spout), "redis.stream.key", "in");
    sq_component_t *relay = sq_topology_set_bolt (topology, "relay", &s_relay_bolt, 2);
    sq_component_shuffle_grouping (relay, "spout", NULL);
    sq_component_t *sink = sq_topology_set_redis_bolt (topology, "sink", 2);
    sq_component_shuffle_grouping (sink, "relay", NULL);
    sq_config_set_string (sq_component_config (sink), "redis.stream.key", "out");
    return topology;
}

static redis_server_t *
s_server (void)
{
    redis_server_t *server = redis_server_new (NULL);
    ck_assert_ptr_nonnull (server);
    return server;
}

//  What every topology test sets up: a server, a connection to it, a
//  local cluster and a config for the submit.
typedef struct {
    redis_server_t *server;      //  the test's redis-server
    redisContext *redis;         //  the test's own connection
    sq_local_cluster_t *cluster; //  runs the topology
    sq_config_t *config;         //  submit-time config
} s_setup_t;

static s_setup_t
s_begin (void)
{
    s_reset_relay ();
    s_setup_t setup = {.server = s_server ()};
    setup.redis = s_connect (setup.server);
    setup.cluster = sq_local_cluster_new ();
    setup.config = sq_config_new ();
    return setup;
}

//  Submits the test topology under name.
static void
s_submit (s_setup_t *setup, const char *name, int spouts)
{
    sq_topology_t *topology = s_topology (spouts, redis_server_port (setup->server));
    ck_assert_int_eq (sq_local_cluster_submit (setup->cluster, name, setup->config, &topology), 0);
}

//  Kills the topology and takes everything down.
static void
s_end (s_setup_t *setup, const char *name)
{
    ck_assert_int_eq (sq_local_cluster_kill (setup->cluster, name, 0), 0);
    sq_local_cluster_destroy (&setup->cluster);
    sq_config_destroy (&setup->config);
    redisFree (setup->redis);
    redis_server_destroy (&setup->server);
}

//  Waits until "out" holds expected entries and nothing is pending, and
//  checks both.
static void
s_expect_done (s_setup_t *setup, long long expected, int timeout_ms)
{
    WAIT_UNTIL (s_integer (setup->redis, "XLEN out") == expected && s_pending (setup->redis) == 0,
                timeout_ms);
    ck_assert_int_eq (s_integer (setup->redis, "XLEN out"), expected);
    ck_assert_int_eq (s_pending (setup->redis), 0);
}

//  Checks that the relay saw entries 0 .. count-1 once each.
static void
s_expect_seen_once (int count)
{
    for (int i = 0; i < count; i++)
        ck_assert_msg (s_relay.seen[i] == 1, "entry %d seen %d times", i, s_relay.seen[i]);
}

//  Waits until every entry 0 .. total-1 of "in" reached "out" at least
//  once and nothing is pending, up to the monotonic deadline; then checks
//  that, and that nothing went to the dead-letter stream.
static void
s_expect_all_out (redisContext *redis, int total, long long deadline)
{
    static int counts[MAX_ENTRIES];
    int distinct = 0;
    while (test_processes_now_ms () < deadline) {
        distinct = s_read_out (redis, counts, MAX_ENTRIES);
        if (distinct == total && s_pending (redis) == 0)
            break;
        usleep (200 * 1000);
    }
    for (int i = 0; i < total; i++)
        ck_assert_msg (counts[i] >= 1, "entry %d never reached out (%d of %d did)", i, distinct,
                       total);
    ck_assert_int_eq (s_pending (redis), 0);
    ck_assert_int_eq (s_integer (redis, "XLEN in:dead"), 0);
}

//  ---------------------------------------------------------------------
//  Tests

START_TEST (test_spout_to_sink_exact)
{
    s_setup_t t = s_begin ();
    const int total = 3000;
    s_push (t.redis, 0, 2000, s_word);
    s_submit (&t, "exact", 2);
    s_push (t.redis, 2000, total - 2000, s_word); //  some arrive while it runs
    s_expect_done (&t, total, 60000);
    sq_topology_stats_t stats;
    ck_assert_int_eq (sq_local_cluster_stats (t.cluster, "exact", &stats), 0);
    ck_assert_uint_eq (stats.acked, (uint64_t) total);
    ck_assert_uint_eq (stats.failed + stats.timed_out, 0);
    static int counts[MAX_ENTRIES];
    s_read_out (t.redis, counts, MAX_ENTRIES);
    for (int i = 0; i < total; i++)
        ck_assert_msg (counts[i] == 1 && s_relay.seen[i] == 1, "entry %d: %d in out, seen %d", i,
                       counts[i], s_relay.seen[i]);
    //  Two tasks, two consumers named <topology>-<component>-<task index>.
    redisReply *consumers = redisCommand (t.redis, "XINFO CONSUMERS in squall");
    ck_assert (consumers && consumers->type == REDIS_REPLY_ARRAY);
    ck_assert_int_eq (consumers->elements, 2);
    bool named[2] = {false, false};
    for (size_t i = 0; i < consumers->elements; i++) {
        const redisReply *row = consumers->element[i];
        ck_assert_str_eq (row->element[0]->str, "name");
        named[0] |= strcmp (row->element[1]->str, "exact-spout-0") == 0;
        named[1] |= strcmp (row->element[1]->str, "exact-spout-1") == 0;
    }
    freeReplyObject (consumers);
    ck_assert (named[0] && named[1]);
    s_end (&t, "exact");
}
END_TEST

START_TEST (test_pending_recovered_after_restart)
{
    s_setup_t t = s_begin ();
    const int total = 500;
    s_push (t.redis, 0, total, s_word);
    //  First run: every entry is delivered, none acked; then the task dies.
    s_relay.hold = true;
    sq_config_set_int (t.config, "topology.message.timeout.secs", 300);
    sq_config_set_int (t.config, "redis.stream.claim.idle.ms", 0); //  only the PEL scan finds them
    s_submit (&t, "recover", 1);
    WAIT_UNTIL (atomic_load (&s_relay.executed) == total, 30000);
    ck_assert_int_eq (atomic_load (&s_relay.executed), total);
    ck_assert_int_eq (sq_local_cluster_kill (t.cluster, "recover", 0), 0);
    ck_assert_int_eq (s_pending (t.redis), total);
    ck_assert_int_eq (s_integer (t.redis, "XLEN out"), 0);
    //  Second run, same names: the consumer reads its own PEL from 0.
    s_reset_relay ();
    s_submit (&t, "recover", 1);
    s_push (t.redis, total, 100, s_word); //  and new entries after them
    s_expect_done (&t, total + 100, 30000);
    s_expect_seen_once (total + 100);
    s_end (&t, "recover");
}
END_TEST

START_TEST (test_autoclaim_from_dead_consumer)
{
    s_setup_t t = s_begin ();
    const int total = 300;
    s_push (t.redis, 0, total, s_word);
    //  A consumer that reads everything and dies.
    redisReply *reply = redisCommand (t.redis, "XGROUP CREATE in squall 0");
    ck_assert_int_eq (reply->type, REDIS_REPLY_STATUS);
    freeReplyObject (reply);
    reply = redisCommand (t.redis, "XREADGROUP GROUP squall ghost COUNT %d STREAMS in >", total);
    ck_assert (reply && reply->type == REDIS_REPLY_ARRAY);
    freeReplyObject (reply);
    ck_assert_int_eq (s_pending (t.redis), total);
    sq_config_set_int (t.config, "redis.stream.claim.idle.ms", 500);
    long long start = test_processes_now_ms ();
    s_submit (&t, "claim", 1);
    s_expect_done (&t, total, 30000);
    ck_assert_int_ge (test_processes_now_ms () - start, 500); //  not before they were idle
    s_expect_seen_once (total);
    s_end (&t, "claim");
}
END_TEST

static const char *
s_word_with_poison (int i)
{
    return i % 20 == 7 ? "poison" : s_word (i);
}

START_TEST (test_dead_letter_after_max_deliveries)
{
    s_setup_t t = s_begin ();
    s_relay.poison = "poison";
    const int total = 200, poisoned = 10;
    s_push (t.redis, 0, total, s_word_with_poison);
    sq_config_set_int (t.config, "redis.stream.max.deliveries", 3);
    s_submit (&t, "dlq", 1);
    WAIT_UNTIL (s_integer (t.redis, "XLEN out") == total - poisoned &&
                    s_integer (t.redis, "XLEN in:dead") == poisoned && s_pending (t.redis) == 0,
                30000);
    ck_assert_int_eq (s_integer (t.redis, "XLEN out"), total - poisoned);
    ck_assert_int_eq (s_integer (t.redis, "XLEN in:dead"), poisoned);
    ck_assert_int_eq (s_pending (t.redis), 0);
    //  Each poison entry was delivered exactly 3 times, then moved.
    ck_assert_int_eq (atomic_load (&s_relay.poison_seen), 3 * poisoned);
    redisReply *dead = redisCommand (t.redis, "XRANGE in:dead - +");
    ck_assert (dead && dead->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < dead->elements; i++) {
        const redisReply *body = dead->element[i]->element[1];
        ck_assert_int_eq (body->elements, 8); //  n, word, squall.source.id, squall.deliveries
        ck_assert_str_eq (body->element[2]->str, "word");
        ck_assert_str_eq (body->element[3]->str, "poison");
        ck_assert_str_eq (body->element[4]->str, "squall.source.id");
        ck_assert_str_eq (body->element[6]->str, "squall.deliveries");
        ck_assert_str_eq (body->element[7]->str, "3");
        ck_assert_int_eq (atoi (body->element[1]->str) % 20, 7);
    }
    freeReplyObject (dead);
    s_end (&t, "dlq");
}
END_TEST

//  The sink's XADD refused (its key holds a string): every input is
//  failed, never acked, so the spout replays each entry until it goes to
//  the dead-letter stream, and nothing reaches "out".
START_TEST (test_sink_refused_fails_inputs)
{
    s_setup_t t = s_begin ();
    const int total = 50;
    redisReply *reply = redisCommand (t.redis, "SET out not-a-stream");
    ck_assert_int_eq (reply->type, REDIS_REPLY_STATUS);
    freeReplyObject (reply);
    s_push (t.redis, 0, total, s_word);
    sq_config_set_int (t.config, "redis.stream.max.deliveries", 2);
    s_submit (&t, "refused", 1);
    WAIT_UNTIL (s_integer (t.redis, "XLEN in:dead") == total && s_pending (t.redis) == 0, 30000);
    ck_assert_int_eq (s_integer (t.redis, "XLEN in:dead"), total);
    ck_assert_int_eq (s_pending (t.redis), 0);
    sq_topology_stats_t stats;
    ck_assert_int_eq (sq_local_cluster_stats (t.cluster, "refused", &stats), 0);
    ck_assert_uint_eq (stats.acked, 0);
    ck_assert_uint_eq (stats.failed, 2 * total);
    reply = redisCommand (t.redis, "GET out");
    ck_assert_str_eq (reply->str, "not-a-stream");
    freeReplyObject (reply);
    s_end (&t, "refused");
}
END_TEST

START_TEST (test_redis_restart_mid_run)
{
    s_setup_t t = s_begin ();
    const int total = 3000;
    s_push (t.redis, 0, total, s_word);
    sq_config_set_int (t.config, "topology.message.timeout.secs", 5);
    sq_config_set_int (t.config, "redis.stream.count", 16);
    sq_config_set_int (t.config, "redis.stream.max.pending", 64);
    s_submit (&t, "restart", 2);
    WAIT_UNTIL (s_integer (t.redis, "XLEN out") >= total / 4, 30000);
    long long before = s_integer (t.redis, "XLEN out");
    ck_assert_int_ge (before, total / 4);
    ck_assert_int_lt (before, total); //  stopped mid-run
    redisFree (t.redis);
    ck_assert_int_eq (redis_server_stop (t.server), 0);
    long executed_when_down = atomic_load (&s_relay.executed);
    usleep (1500 * 1000); //  down for a while: the topology must wait, not end
    ck_assert_int_eq (redis_server_start (t.server), 0);
    t.redis = s_connect (t.server);
    ck_assert_int_ge (s_integer (t.redis, "XLEN out"), before); //  nothing acked was lost
    s_expect_all_out (t.redis, total, test_processes_now_ms () + 60000);
    ck_assert_int_gt (atomic_load (&s_relay.executed), executed_when_down);
    s_end (&t, "restart");
}
END_TEST

//  ---------------------------------------------------------------------
//  On a cluster: ZooKeeper, nimbus, two supervisors of two slots, four
//  workers running redis_topology.so against the test's Redis. Entries
//  keep arriving while a fault strikes mid-run; at the end every entry
//  reached "out" at least once, the group delivered up to the last entry
//  and nothing is pending (every entry was XACKed).

typedef enum { S_KILL_WORKERS, S_RESTART_REDIS } s_fault_t;

static void
s_cluster_run (s_fault_t fault)
{
    s_setup_t t = s_begin ();
    cluster_harness_t *cluster = cluster_harness_new (2, 2);
    ck_assert_msg (cluster != NULL, "the cluster did not start");
    const int total = 3000, batch = 100;
    int pushed = 1000;
    s_push (t.redis, 0, pushed, s_word);
    char *package = cluster_harness_build_path ("tests/integration/.libs/redis_topology.so");
    char port[64];
    snprintf (port, sizeof port, "redis.port=%d", redis_server_port (t.server));
    char *output = NULL;
    int status =
        cluster_harness_cli (cluster, &output,
                             (const char *[]){package, "redis-e2e", "-c", "topology.workers=4",
                                              "-c", port, "-c", "topology.message.timeout.secs=5",
                                              "-c", "redis.stream.claim.idle.ms=10000", "-c",
                                              "redis.backoff.max.ms=500", NULL});
    ck_assert_msg (status == 0, "storm-submit exited %d: %s", status, output);
    free (output);
    free (package);
    //  The rest arrives in batches; the fault strikes once a sixth is out.
    bool struck = false;
    long long deadline = test_processes_now_ms () + 120000;
    while ((pushed < total || !struck) && test_processes_now_ms () < deadline) {
        if (pushed < total) {
            s_push (t.redis, pushed, batch, s_word);
            pushed += batch;
        }
        long long out = s_integer (t.redis, "XLEN out");
        if (!struck && out >= total / 6) {
            ck_assert_msg (out < total, "the run was over before the fault: %lld out", out);
            fprintf (stderr, "test_redis: %s with %lld of %d entries out\n",
                     fault == S_KILL_WORKERS ? "kill -9 of two workers" : "Redis restart", out,
                     total);
            if (fault == S_KILL_WORKERS)
                for (int slot = 0; slot < 2; slot++) {
                    pid_t pid = cluster_harness_worker_pid (cluster, 0, slot);
                    ck_assert_msg (pid > 0, "no worker on slot %d of supervisor 0", slot);
                    kill (pid, SIGKILL);
                }
            else {
                redisFree (t.redis);
                ck_assert_int_eq (redis_server_stop (t.server), 0);
                usleep (2000 * 1000); //  down for a while: the topology must wait, not end
                ck_assert_int_eq (redis_server_start (t.server), 0);
                t.redis = s_connect (t.server);
            }
            struck = true;
        }
        usleep (100 * 1000);
    }
    ck_assert_int_eq (pushed, total);
    ck_assert (struck);
    s_expect_all_out (t.redis, total, deadline);
    fprintf (stderr,
             "test_redis: all %d entries out, %lld entries in out (duplicates from replays)\n",
             total, s_integer (t.redis, "XLEN out"));
    //  The group delivered everything: its last id is the last entry's.
    redisReply *last = redisCommand (t.redis, "XREVRANGE in + - COUNT 1");
    redisReply *groups = redisCommand (t.redis, "XINFO GROUPS in");
    ck_assert (last && last->elements == 1 && groups && groups->elements == 1);
    const redisReply *group = groups->element[0];
    bool found = false;
    for (size_t f = 0; f + 1 < group->elements; f += 2)
        if (strcmp (group->element[f]->str, "last-delivered-id") == 0) {
            ck_assert_str_eq (group->element[f + 1]->str, last->element[0]->element[0]->str);
            found = true;
        }
    ck_assert (found);
    freeReplyObject (last);
    freeReplyObject (groups);
    cluster_harness_destroy (&cluster);
    sq_local_cluster_destroy (&t.cluster);
    sq_config_destroy (&t.config);
    redisFree (t.redis);
    redis_server_destroy (&t.server);
}

START_TEST (test_cluster_workers_killed)
{
    s_cluster_run (S_KILL_WORKERS);
}
END_TEST

START_TEST (test_cluster_redis_restarted)
{
    s_cluster_run (S_RESTART_REDIS);
}
END_TEST

//  The connection alone: a port where nothing listens fails fast, and
//  the next attempt waits out the backoff, which doubles up to its cap.
START_TEST (test_link_backs_off)
{
    int port = test_processes_free_port ();
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "redis.port", port);
    sq_config_set_int (config, "redis.backoff.initial.ms", 100);
    sq_config_set_int (config, "redis.backoff.max.ms", 400);
    sq_redis_link_t *link = sq_redis_link_new (config, "test=backoff");
    ck_assert (sq_redis_link_ready (link));
    const char *ping[] = {"PING"};
    ck_assert_ptr_null (sq_redis_link_command (link, 1, ping, NULL));
    ck_assert (!sq_redis_link_ready (link));
    //  While backing off, a command does not even try.
    ck_assert_ptr_null (sq_redis_link_command (link, 1, ping, NULL));
    long long waits[4];
    for (int i = 0; i < 4; i++) {
        long long start = test_processes_now_ms ();
        WAIT_UNTIL (sq_redis_link_ready (link), 5000);
        waits[i] = test_processes_now_ms () - start;
        ck_assert_ptr_null (sq_redis_link_command (link, 1, ping, NULL));
    }
    //  100, 200, 400, 400 ms (polled every 20 ms, on a loaded machine).
    ck_assert_int_ge (waits[0], 80);
    ck_assert_int_ge (waits[1], 180);
    ck_assert_int_ge (waits[2], 380);
    ck_assert_int_ge (waits[3], 380);
    ck_assert_int_lt (waits[3], 2000);
    //  A server comes up there: the link connects on its next attempt.
    sq_redis_link_destroy (&link);
    redis_server_t *server = s_server ();
    sq_config_set_int (config, "redis.port", redis_server_port (server));
    link = sq_redis_link_new (config, "test=backoff");
    redisReply *reply = sq_redis_link_command (link, 1, ping, NULL);
    ck_assert_ptr_nonnull (reply);
    ck_assert_str_eq (reply->str, "PONG");
    freeReplyObject (reply);
    ck_assert (sq_redis_link_fresh (link));
    ck_assert (!sq_redis_link_fresh (link));
    sq_redis_link_destroy (&link);
    //  A wrong password: the link is down, not connected.
    redisContext *redis = s_connect (server);
    reply = redisCommand (redis, "CONFIG SET requirepass sesame");
    freeReplyObject (reply);
    redisFree (redis);
    sq_config_set_string (config, "redis.password", "wrong");
    link = sq_redis_link_new (config, "test=backoff");
    ck_assert_ptr_null (sq_redis_link_command (link, 1, ping, NULL));
    ck_assert (!sq_redis_link_ready (link));
    sq_redis_link_destroy (&link);
    sq_config_set_string (config, "redis.password", "sesame");
    link = sq_redis_link_new (config, "test=backoff");
    reply = sq_redis_link_command (link, 1, ping, NULL);
    ck_assert_ptr_nonnull (reply);
    freeReplyObject (reply);
    sq_redis_link_destroy (&link);
    sq_config_destroy (&config);
    redis_server_destroy (&server);
}
END_TEST

int
main (void)
{
    const char *missing = redis_server_missing ();
    if (!missing)
        missing = zk_server_missing ();
    if (missing)
        return zk_server_skip ("test_redis", missing);
    //  Every server and cluster of the suite lives in it, so nothing a
    //  failed test leaves survives the suite.
    if (!test_processes_suite_dir ("test_redis"))
        return 99;
    Suite *suite = suite_create ("redis");
    TCase *tcase = tcase_create ("local");
    tcase_set_timeout (tcase, 90);
    tcase_add_test (tcase, test_link_backs_off);
    tcase_add_test (tcase, test_spout_to_sink_exact);
    tcase_add_test (tcase, test_pending_recovered_after_restart);
    tcase_add_test (tcase, test_autoclaim_from_dead_consumer);
    tcase_add_test (tcase, test_dead_letter_after_max_deliveries);
    tcase_add_test (tcase, test_sink_refused_fails_inputs);
    tcase_add_test (tcase, test_redis_restart_mid_run);
    suite_add_tcase (suite, tcase);
    TCase *cluster = tcase_create ("cluster");
    tcase_set_timeout (cluster, 180);
    tcase_add_test (cluster, test_cluster_workers_killed);
    tcase_add_test (cluster, test_cluster_redis_restarted);
    suite_add_tcase (suite, cluster);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
