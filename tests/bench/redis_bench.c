/*  redis_bench - how fast the Redis Streams spout moves entries, acked

    `make bench` runs this program after squall_bench. It starts a
    redis-server (tests/integration/redis_server) on a free loopback port,
    with appendfsync everysec (Redis's default; with always, what is
    measured is the disk's fsync rate), fills the stream "in" with ENTRIES
    entries of one field, and prints:

    redis_spout_entries_per_s      ENTRIES / the time from submit until the
                                   spout's ack count reaches ENTRIES, in a
                                   local cluster: redis spout (1 task,
                                   default settings: COUNT 64, 1000
                                   pending) -shuffle-> a bolt that acks
                                   (1 task), one acker. Every ack is an
                                   XACK Redis answered before the entry's
                                   slot is freed. Median of ROUNDS rounds,
                                   each on a fresh stream.
    redis_client_entries_per_s     the bound Redis sets: one hiredis client
                                   doing what the spout does, with nothing
                                   else: XREADGROUP COUNT 64 then XACK of
                                   those ids, until the stream is drained.

    Each spout round also prints the CPU time the topology's process and
    redis-server used, to tell whether either was busy: on a loaded
    machine neither is, and the round trips (one per next_tuple: the XACK
    of the acks since the last call pipelined with an XREADGROUP of up to
    64 entries) are what costs; doc/redis.md has the figures.
*/
#include "redis_server.h"
#include "squall.h"
#include "test_processes.h"

#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENTRIES 100000 //  entries per round
#define ROUNDS 3       //  rounds per figure; the median is printed
#define BATCH 1000     //  XADDs per pipeline when filling

static int
s_ack_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_ack_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_ack_bolt = {.prepare = s_ack_prepare, .execute = s_ack_execute};

//  Deletes the streams and fills "in" with ENTRIES entries; 0 or -1.
static int
s_fill (redisContext *redis)
{
    redisReply *reply = redisCommand (redis, "DEL in");
    if (!reply)
        return -1;
    freeReplyObject (reply);
    for (int done = 0; done < ENTRIES; done += BATCH) {
        for (int i = 0; i < BATCH; i++)
            redisAppendCommand (redis, "XADD in * word w%d", (done + i) % 997);
        for (int i = 0; i < BATCH; i++) {
            if (redisGetReply (redis, (void **) &reply) != REDIS_OK)
                return -1;
            freeReplyObject (reply);
        }
    }
    return 0;
}

//  CPU seconds (user + system) process pid has used, from /proc.
static double
s_cpu_secs (int pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[1024] = "";
    char *got = fgets (line, sizeof line, file);
    fclose (file);
    const char *after = got ? strrchr (line, ')') : NULL;
    unsigned long user = 0, system = 0;
    //  After the command: state and fields 4..13, then utime and stime.
    if (!after || sscanf (after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user,
                          &system) != 2)
        return 0;
    return (double) (user + system) / (double) sysconf (_SC_CLK_TCK);
}

//  Entries per second through the spout, acked; -1 on failure. Prints
//  the CPU time this process and redis-server used meanwhile.
static double
s_spout_round (redisContext *redis, int port, int redis_pid)
{
    if (s_fill (redis) != 0)
        return -1;
    sq_topology_t *topology = sq_topology_new ();
    sq_config_set_int (sq_topology_config (topology), "redis.port", port);
    sq_component_t *spout = sq_topology_set_redis_spout (topology, "spout", "word", 1);
    sq_config_set_string (sq_component_config (spout), "redis.stream.key", "in");
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "ack", &s_ack_bolt, 1), "spout",
                                   NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double own_cpu = s_cpu_secs (getpid ()), redis_cpu = s_cpu_secs (redis_pid);
    long long start = test_processes_now_ms ();
    if (sq_local_cluster_submit (cluster, "bench", NULL, &topology) != 0) {
        fprintf (stderr, "redis_bench: %s\n", sq_last_error ());
        sq_local_cluster_destroy (&cluster);
        return -1;
    }
    sq_topology_stats_t stats = {0};
    long long deadline = start + 300000;
    while (stats.acked < ENTRIES && test_processes_now_ms () < deadline) {
        usleep (5000);
        sq_local_cluster_stats (cluster, "bench", &stats);
    }
    long long elapsed = test_processes_now_ms () - start;
    printf ("spout round: %.2f s, CPU of the topology's process %.2f s, of redis-server %.2f s\n",
            elapsed / 1000.0, s_cpu_secs (getpid ()) - own_cpu, s_cpu_secs (redis_pid) - redis_cpu);
    sq_local_cluster_kill (cluster, "bench", 0);
    sq_local_cluster_destroy (&cluster);
    if (stats.acked < ENTRIES) {
        fprintf (stderr, "redis_bench: only %llu of %d entries acked in time\n",
                 (unsigned long long) stats.acked, ENTRIES);
        return -1;
    }
    return ENTRIES / (elapsed / 1000.0);
}

//  Entries per second through a bare client: XREADGROUP, then XACK.
//  Prints the CPU time redis-server used meanwhile.
static double
s_client_round (redisContext *redis, int redis_pid)
{
    if (s_fill (redis) != 0)
        return -1;
    redisReply *reply = redisCommand (redis, "XGROUP CREATE in bare 0");
    if (!reply)
        return -1;
    freeReplyObject (reply);
    double redis_cpu = s_cpu_secs (redis_pid);
    long long start = test_processes_now_ms ();
    long taken = 0;
    while (taken < ENTRIES) {
        reply = redisCommand (redis, "XREADGROUP GROUP bare c COUNT 64 STREAMS in >");
        if (!reply || reply->type != REDIS_REPLY_ARRAY)
            break;
        const redisReply *entries = reply->element[0]->element[1];
        const char *argv[3 + 64] = {"XACK", "in", "bare"};
        for (size_t i = 0; i < entries->elements; i++)
            argv[3 + i] = entries->element[i]->element[0]->str;
        redisReply *acked = redisCommandArgv (redis, 3 + (int) entries->elements, argv, NULL);
        taken += (long) entries->elements;
        freeReplyObject (reply);
        if (!acked)
            return -1;
        freeReplyObject (acked);
    }
    long long elapsed = test_processes_now_ms () - start;
    printf ("client round: %.2f s, CPU of redis-server %.2f s\n", elapsed / 1000.0,
            s_cpu_secs (redis_pid) - redis_cpu);
    return taken == ENTRIES ? ENTRIES / (elapsed / 1000.0) : -1;
}

static int
s_order (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double
s_median (double *values)
{
    qsort (values, ROUNDS, sizeof (double), s_order);
    return values[ROUNDS / 2];
}

int
main (void)
{
    const char *missing = redis_server_missing ();
    if (missing) {
        fprintf (stderr, "redis_bench: %s; skipped\n", missing);
        return 0;
    }
    test_processes_suite_dir ("redis_bench");
    redis_server_t *server = redis_server_new_everysec (NULL);
    if (!server)
        return 1;
    redisContext *redis = redisConnect ("127.0.0.1", redis_server_port (server));
    if (!redis || redis->err)
        return 1;
    double spout[ROUNDS], client[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
        spout[round] = s_spout_round (redis, redis_server_port (server), redis_server_pid (server));
        client[round] = s_client_round (redis, redis_server_pid (server));
        if (spout[round] < 0 || client[round] < 0)
            return 1;
    }
    printf ("BENCH redis_spout_entries_per_s %.0f entries/s\n", s_median (spout));
    printf ("BENCH redis_client_entries_per_s %.0f entries/s\n", s_median (client));
    redisFree (redis);
    redis_server_destroy (&server);
    return 0;
}
