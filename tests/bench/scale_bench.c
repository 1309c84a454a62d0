/*  scale_bench - figures for scale: many count tasks, a quiet ZooKeeper,
    and the time from submit to the first ack

    Part of `make bench` (doc/benchmarks.md says how each is measured):

    - scale_count_tasks_ratio: the unacked word-count package in local
      mode with 64 count executors over with 4, in turns in the same run
      (SCALE_ROUNDS pairs), the median of the pairs' ratios;
    - submit_to_first_ack_s: on a local cluster of ZooKeeper, nimbus and
      two supervisors of two slots, the probe topology on 4 workers: from
      the start of `storm-submit` until the spout logs its first ack;
    - zk_writes_per_min_steady: on that cluster, once the probe has run
      for a while, ZooKeeper's last transaction id (`srvr`, "Zxid") before
      and after a quiet window (SCALE_BENCH_ZK_SECONDS, 60 by default):
      every create, set, delete and session is one transaction; scaled to
      a minute.

    SCALE_BENCH_ONLY=local runs only the first figure, =cluster only the
    other two.
*/
#include "cluster_harness.h"
#include "test_processes.h"
#include "sq_package.h"
#include "squall.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCALE_ROUNDS 3        //  pairs of word-count runs
#define SCALE_WARM_UP_MS 2000 //  before the first sample of a run
#define SCALE_MEASURE_MS 4000 //  between the two samples

static int
s_compare_doubles (const void *a, const void *b)
{
    double left = *(const double *) a, right = *(const double *) b;
    return (left > right) - (left < right);
}

//  Words per second of the unacked word count with `counts` count executors.
static double
s_words_per_s (sq_package_t *package, int counts)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 0);
    sq_config_set_int (config, "wordcount.count.executors", counts);
    sq_config_set (config, "wordcount.report.secs", "3600");
    sq_topology_t *topology = sq_package_build (package, config);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double words = 0;
    if (topology && sq_local_cluster_submit (cluster, "wordcount", config, &topology) == 0) {
        zclock_sleep (SCALE_WARM_UP_MS);
        sq_topology_stats_t first, last;
        sq_local_cluster_stats (cluster, "wordcount", &first);
        int64_t start = zclock_mono ();
        zclock_sleep (SCALE_MEASURE_MS);
        sq_local_cluster_stats (cluster, "wordcount", &last);
        int64_t elapsed = zclock_mono () - start;
        //  S sentences and W words execute S + 2W tuples (split, count, report).
        double executed = (double) (last.executed - first.executed);
        double sentences = (double) (last.spout_emitted - first.spout_emitted);
        words = (executed - sentences) / 2 * 1000.0 / (double) elapsed;
    } else
        fprintf (stderr, "scale_bench: %s\n", sq_last_error ());
    sq_topology_destroy (&topology);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    return words;
}

static double
s_count_tasks_ratio (const char *package_path)
{
    sq_package_t *package = sq_package_open (package_path);
    if (!package) {
        fprintf (stderr, "scale_bench: %s\n", sq_last_error ());
        return -1;
    }
    double ratios[SCALE_ROUNDS];
    for (int round = 0; round < SCALE_ROUNDS; round++) {
        double four = s_words_per_s (package, 4);
        double many = s_words_per_s (package, 64);
        printf ("scale_bench: round %d: %.0f words/s with 4 count executors, %.0f with 64\n",
                round + 1, four, many);
        ratios[round] = four > 0 ? many / four : -1;
    }
    sq_package_destroy (&package);
    qsort (ratios, SCALE_ROUNDS, sizeof ratios[0], s_compare_doubles);
    return ratios[SCALE_ROUNDS / 2];
}

//  ZooKeeper's last transaction id from `srvr` at host:port, or -1.
static long long
s_zxid (const char *endpoint)
{
    char host[64];
    int port = 0;
    if (sscanf (endpoint, "%63[^:]:%d", host, &port) != 2)
        return -1;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    char reply[4096];
    size_t length = 0;
    if (fd >= 0 && inet_pton (AF_INET, host, &address.sin_addr) == 1 &&
        connect (fd, (struct sockaddr *) &address, sizeof address) == 0 &&
        send (fd, "srvr", 4, MSG_NOSIGNAL) == 4) {
        ssize_t got;
        while (length < sizeof reply - 1 &&
               (got = recv (fd, reply + length, sizeof reply - 1 - length, 0)) > 0)
            length += (size_t) got;
    }
    if (fd >= 0)
        close (fd);
    reply[length] = 0;
    const char *field = strstr (reply, "Zxid: ");
    return field ? strtoll (field + 6, NULL, 16) : -1;
}

static off_t
s_file_size (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 ? info.st_size : 0;
}

//  Milliseconds from since until the file grows past `size`, or -1 after limit_ms.
static int64_t
s_ms_until_grows (const char *path, off_t size, int64_t since, int64_t limit_ms)
{
    while (zclock_mono () - since < limit_ms) {
        if (s_file_size (path) > size)
            return zclock_mono () - since;
        zclock_sleep (10);
    }
    return -1;
}

static void
s_cluster_figures (const char *probe_package, double *first_ack_s, double *writes_per_min)
{
    *first_ack_s = *writes_per_min = -1;
    cluster_harness_t *cluster = cluster_harness_new (2, 2);
    if (!cluster)
        return;
    char dir[4200], acked_log[4300];
    snprintf (dir, sizeof dir, "probe.dir=%s", cluster_harness_dir (cluster));
    snprintf (acked_log, sizeof acked_log, "%s/acked.log", cluster_harness_dir (cluster));
    const char *submit[] = {probe_package, "probe",
                            "-c",          dir,
                            "-c",          "probe.messages=1000000",
                            "-c",          "probe.rate=200",
                            "-c",          "topology.workers=4",
                            NULL};
    int64_t start = zclock_mono ();
    if (cluster_harness_cli (cluster, NULL, submit) == 0) {
        int64_t ms = s_ms_until_grows (acked_log, 0, start, 60000);
        *first_ack_s = ms < 0 ? -1 : (double) ms / 1000.0;
    }
    const char *window = getenv ("SCALE_BENCH_ZK_SECONDS");
    int seconds = window && atoi (window) > 0 ? atoi (window) : 60;
    if (*first_ack_s >= 0) {
        zclock_sleep (10000); //  every worker up and heartbeating
        off_t acked = s_file_size (acked_log);
        long long before = s_zxid (cluster_harness_zk_endpoint (cluster));
        zclock_sleep (seconds * 1000);
        long long after = s_zxid (cluster_harness_zk_endpoint (cluster));
        if (before >= 0 && after >= before && s_file_size (acked_log) > acked)
            *writes_per_min = (double) (after - before) * 60.0 / seconds;
        else
            fprintf (stderr, "scale_bench: no zxid from ZooKeeper, or the probe stopped acking\n");
    }
    cluster_harness_destroy (&cluster);
}

int
main (void)
{
    setenv ("top_builddir", ".", 0);
    if (!test_processes_suite_dir ("scale_bench"))
        return 1;
    char *wordcount = cluster_harness_build_path ("topologies/.libs/wordcount.so");
    char *probe = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    if (!wordcount || !probe) {
        fprintf (stderr, "scale_bench: build the packages first (make all check)\n");
        return 1;
    }
    const char *only = getenv ("SCALE_BENCH_ONLY");
    if (!only || strcmp (only, "cluster") != 0)
        printf ("BENCH scale_count_tasks_ratio %.3f ratio\n", s_count_tasks_ratio (wordcount));
    if (!only || strcmp (only, "local") != 0) {
        double first_ack_s, writes_per_min;
        s_cluster_figures (probe, &first_ack_s, &writes_per_min);
        printf ("BENCH submit_to_first_ack_s %.2f s\n", first_ack_s);
        printf ("BENCH zk_writes_per_min_steady %.1f writes/min\n", writes_per_min);
    }
    free (wordcount);
    free (probe);
    return 0;
}
