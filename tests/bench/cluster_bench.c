/*  cluster_bench - the word count across two workers, and recovery times

    Part of `make bench`. In one run, on a cluster of real processes on this
    machine (cluster_harness: ZooKeeper, nimbus, supervisors, workers):

    - the word-count package in local mode and on two workers of a cluster,
      acking off and on, as words per second and as the ratio of cluster to
      local; words are counted from the runtime's counters: the topology
      executes S + 2W tuples for S sentences and W words (split, count and
      report each take their share), so W = (executed - spout tuples) / 2;
    - the acked word count on a secured cluster (CURVE on every link,
      doc/security.md) and on an unsecured one, measured in turns in the
      same run, as the median of the runs' secured / unsecured ratios;
      CLUSTER_BENCH_ONLY=secure in the environment runs only this part;
    - seconds from kill -9 of the worker running the probe topology's spout
      until messages are acked again, and from the loss of its supervisor
      (kill -9 of it and its workers) until they are acked again elsewhere;
      CLUSTER_BENCH_ONLY=recovery runs only this part;
    - idle_cpu_percent: the CPU of nimbus, one supervisor and its worker
      over 10 s (from /proc/<pid>/stat), in percent of one core, with the
      probe topology deployed and its spout emitting nothing (probe.messages
      0), 3 s after the spout's first call; CLUSTER_BENCH_ONLY=idle runs
      only this part.
*/
#include "cluster_harness.h"
#include "test_processes.h"
#include "sq_assignment.h"
#include "sq_control.h"
#include "sq_package.h"
#include "squall.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WARM_UP_MS 4000 //  before the first sample of a throughput run
#define MEASURE_MS 8000 //  between the two samples

//  Counters of a running word count: tuples executed and spout tuples.
typedef struct {
    double executed;      //  tuples executed by all bolts
    double spout_emitted; //  sentences emitted
    int64_t at_ms;        //  when sampled
} bench_sample_t;

static double
s_words_per_s (const bench_sample_t *first, const bench_sample_t *last)
{
    double words =
        ((last->executed - last->spout_emitted) - (first->executed - first->spout_emitted)) / 2;
    return words * 1000.0 / (double) (last->at_ms - first->at_ms);
}

static bench_sample_t
s_local_sample (sq_local_cluster_t *cluster)
{
    sq_topology_stats_t stats;
    sq_local_cluster_stats (cluster, "wordcount", &stats);
    return (bench_sample_t){(double) stats.executed, (double) stats.spout_emitted, zclock_mono ()};
}

//  The word count in this process for MEASURE_MS after WARM_UP_MS.
static double
s_local_words_per_s (const char *package_path, int ackers)
{
    sq_package_t *package = sq_package_open (package_path);
    if (!package) {
        fprintf (stderr, "cluster_bench: %s\n", sq_last_error ());
        return 0;
    }
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", ackers);
    sq_config_set (config, "wordcount.report.secs", "3600");
    sq_topology_t *topology = sq_package_build (package, config);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double words = 0;
    if (topology && sq_local_cluster_submit (cluster, "wordcount", config, &topology) == 0) {
        zclock_sleep (WARM_UP_MS);
        bench_sample_t first = s_local_sample (cluster);
        zclock_sleep (MEASURE_MS);
        bench_sample_t last = s_local_sample (cluster);
        words = s_words_per_s (&first, &last);
    }
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    sq_package_destroy (&package);
    return words;
}

//  The topology's counters from nimbus's list (the workers' heartbeats).
static bool
s_cluster_sample (sq_control_t *control, const char *name, bench_sample_t *sample)
{
    json_t *request = json_pack ("{s:s}", "verb", "list");
    json_t *reply = sq_control_request (control, request, NULL, 0, 5000, NULL, NULL);
    json_decref (request);
    json_t *topologies = reply ? json_object_get (reply, "topologies") : NULL;
    bool found = false;
    for (size_t i = 0; topologies && i < json_array_size (topologies); i++) {
        json_t *entry = json_array_get (topologies, i);
        if (strcmp (json_string_value (json_object_get (entry, "name")), name) == 0) {
            sample->executed = (double) json_integer_value (json_object_get (entry, "executed"));
            sample->spout_emitted =
                (double) json_integer_value (json_object_get (entry, "spout_emitted"));
            sample->at_ms = zclock_mono ();
            found = true;
        }
    }
    json_decref (reply);
    return found;
}

static bool
s_assignment_gone (cluster_harness_t *cluster, const char *name)
{
    char path[256];
    snprintf (path, sizeof path, "/assignments/%s", name);
    for (int waited = 0; waited < 300; waited++) {
        if (!sq_zk_exists (cluster_harness_zk (cluster), path, false))
            return true;
        zclock_sleep (100);
    }
    return false;
}

//  The word count on two workers of one supervisor for MEASURE_MS.
static double
s_cluster_words_per_s (cluster_harness_t *cluster, sq_control_t *control, const char *package,
                       const char *name, int ackers)
{
    char ackers_option[64];
    snprintf (ackers_option, sizeof ackers_option, "topology.acker.executors=%d", ackers);
    const char *submit[] = {package, name,          "-c", "topology.workers=2",
                            "-c",    ackers_option, "-c", "wordcount.report.secs=3600",
                            NULL};
    char *output = NULL;
    if (cluster_harness_cli (cluster, &output, submit) != 0) {
        fprintf (stderr, "cluster_bench: submit failed: %s\n", output ? output : "");
        free (output);
        return 0;
    }
    free (output);
    zclock_sleep (WARM_UP_MS + 1000);
    bench_sample_t first = {0}, last = {0};
    bool sampled = s_cluster_sample (control, name, &first);
    zclock_sleep (MEASURE_MS);
    sampled = sampled && s_cluster_sample (control, name, &last);
    double words = sampled ? s_words_per_s (&first, &last) : 0;
    //  Counters count from each worker's start: a drop means a restart.
    if (last.executed < first.executed) {
        printf ("cluster_bench: a worker of %s restarted during the measurement\n", name);
        words = 0;
    }
    const char *kill_args[] = {"kill", name, "-w", "0", NULL};
    cluster_harness_cli (cluster, NULL, kill_args);
    s_assignment_gone (cluster, name);
    return words;
}

//  ---------------------------------------------------------------------
//  Recovery

static off_t
s_file_size (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 ? info.st_size : 0;
}

//  Milliseconds until the acked log grows past its size now, or -1.
static int64_t
s_ms_until_acked (const char *acked_log, int64_t since, int64_t limit_ms)
{
    off_t size = s_file_size (acked_log);
    while (zclock_mono () - since < limit_ms) {
        if (s_file_size (acked_log) > size)
            return zclock_mono () - since;
        zclock_sleep (20);
    }
    return -1;
}

//  Supervisor index and slot of the worker running task 1 (the spout).
static bool
s_spout_slot (cluster_harness_t *cluster, int supervisors, int slots, int *index_p, int *slot_p)
{
    char *data = NULL;
    size_t size = 0;
    if (sq_zk_get (cluster_harness_zk (cluster), "/assignments/probe", &data, &size, false) != 0)
        return false;
    sq_assignment_t *assignment = sq_assignment_decode (data, size);
    free (data);
    const sq_assignment_worker_t *worker =
        assignment ? sq_assignment_find_task (assignment, 1) : NULL;
    bool found = false;
    for (int index = 0; worker && index < supervisors && !found; index++)
        for (int slot = 0; slot < slots && !found; slot++)
            if (strcmp (cluster_harness_supervisor_id (cluster, index), worker->supervisor_id) ==
                    0 &&
                cluster_harness_slot_port (cluster, index, slot) == worker->port) {
                *index_p = index;
                *slot_p = slot;
                found = true;
            }
    sq_assignment_destroy (&assignment);
    return found;
}

//  Measure worker and supervisor recovery on a fresh cluster.
static void
s_recovery (const char *probe_package, double *worker_s, double *supervisor_s)
{
    *worker_s = *supervisor_s = -1;
    cluster_harness_t *cluster =
        cluster_harness_new_with (2, 2, &(cluster_harness_options_t){.fast_loss_detection = true});
    if (!cluster)
        return;
    char dir[4200], acked_log[4300];
    snprintf (dir, sizeof dir, "probe.dir=%s", cluster_harness_dir (cluster));
    snprintf (acked_log, sizeof acked_log, "%s/acked.log", cluster_harness_dir (cluster));
    const char *submit[] = {probe_package, "probe",
                            "-c",          dir,
                            "-c",          "probe.messages=1000000",
                            "-c",          "probe.rate=2000",
                            "-c",          "topology.workers=2",
                            "-c",          "topology.message.timeout.secs=5",
                            NULL};
    int index, slot;
    if (cluster_harness_cli (cluster, NULL, submit) == 0 &&
        s_ms_until_acked (acked_log, zclock_mono (), 30000) >= 0 &&
        s_spout_slot (cluster, 2, 2, &index, &slot)) {
        zclock_sleep (1000);
        pid_t pid = cluster_harness_worker_pid (cluster, index, slot);
        int64_t killed_at = zclock_mono ();
        if (pid > 0 && kill (pid, SIGKILL) == 0) {
            int64_t ms = s_ms_until_acked (acked_log, killed_at, 60000);
            *worker_s = ms < 0 ? -1 : (double) ms / 1000.0;
        }
    }
    if (*worker_s >= 0 && s_ms_until_acked (acked_log, zclock_mono (), 30000) >= 0) {
        zclock_sleep (2000);
        if (s_spout_slot (cluster, 2, 2, &index, &slot)) {
            int64_t lost_at = zclock_mono ();
            cluster_harness_stop_supervisor (cluster, index, SIGKILL, true);
            int64_t ms = s_ms_until_acked (acked_log, lost_at, 60000);
            *supervisor_s = ms < 0 ? -1 : (double) ms / 1000.0;
        }
    }
    cluster_harness_destroy (&cluster);
}

//  ---------------------------------------------------------------------
//  Idle: a deployed topology with no input

#define IDLE_SETTLE_MS 3000   //  after the spout's first call, before measuring
#define IDLE_MEASURE_MS 10000 //  the measured time

//  CPU ticks (user and system) pid used so far; -1 when it is gone.
static long long
s_process_ticks (pid_t pid)
{
    char path[64], text[1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    size_t size = file ? fread (text, 1, sizeof text - 1, file) : 0;
    if (file)
        fclose (file);
    text[size] = 0;
    //  Fields after the command name (in parentheses, which may hold
    //  spaces): state is field 3, utime 14 and stime 15.
    char *after = strrchr (text, ')');
    unsigned long long utime, stime;
    if (!after || sscanf (after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                          &utime, &stime) != 2)
        return -1;
    return (long long) (utime + stime);
}

//  True once the probe spout's log holds a "next": its worker runs it.
static bool
s_spout_called (const char *spout_log)
{
    FILE *file = fopen (spout_log, "r");
    char line[64];
    bool called = false;
    while (file && !called && fgets (line, sizeof line, file))
        called = strncmp (line, "next", 4) == 0;
    if (file)
        fclose (file);
    return called;
}

//  The idle_cpu_percent figure: CPU of nimbus, the supervisor and the
//  worker over IDLE_MEASURE_MS, in percent of one core, with the probe
//  topology deployed and its spout emitting nothing. -1 on failure.
static double
s_idle_cpu_percent (const char *probe_package)
{
    cluster_harness_t *cluster = cluster_harness_new (1, 1);
    if (!cluster)
        return -1;
    char dir[4200], spout_log[4300];
    snprintf (dir, sizeof dir, "probe.dir=%s", cluster_harness_dir (cluster));
    snprintf (spout_log, sizeof spout_log, "%s/spout.log", cluster_harness_dir (cluster));
    const char *submit[] = {probe_package, "probe", "-c", dir, "-c", "probe.messages=0", NULL};
    double percent = -1;
    int64_t deadline = zclock_mono () + 60000;
    if (cluster_harness_cli (cluster, NULL, submit) == 0) {
        while (!s_spout_called (spout_log) && zclock_mono () < deadline)
            zclock_sleep (50);
    }
    pid_t pids[3] = {cluster_harness_nimbus_pid (cluster),
                     cluster_harness_supervisor_pid (cluster, 0),
                     cluster_harness_worker_pid (cluster, 0, 0)};
    const char *names[3] = {"nimbus", "supervisor", "worker"};
    if (s_spout_called (spout_log) && pids[2] > 0) {
        zclock_sleep (IDLE_SETTLE_MS);
        long long before[3], after[3], total = 0;
        for (int p = 0; p < 3; p++)
            before[p] = s_process_ticks (pids[p]);
        int64_t start = zclock_mono ();
        zclock_sleep (IDLE_MEASURE_MS);
        double seconds = (double) (zclock_mono () - start) / 1000.0;
        double tick = (double) sysconf (_SC_CLK_TCK);
        bool alive = true;
        printf ("cluster_bench: idle CPU over %.1f s:", seconds);
        for (int p = 0; p < 3; p++) {
            after[p] = s_process_ticks (pids[p]);
            alive = alive && before[p] >= 0 && after[p] >= before[p];
            total += after[p] - before[p];
            printf (" %s %.2f%%", names[p],
                    100.0 * (double) (after[p] - before[p]) / tick / seconds);
        }
        printf ("\n");
        if (alive && cluster_harness_worker_pid (cluster, 0, 0) == pids[2])
            percent = 100.0 * (double) total / tick / seconds;
        else
            printf ("cluster_bench: a process of the idle cluster restarted or died\n");
    } else
        printf ("cluster_bench: the idle topology's spout did not start in 60 s\n");
    cluster_harness_destroy (&cluster);
    return percent;
}

#define SECURE_RUNS 3 //  secured / unsecured pairs whose median ratio is reported

static int
s_compare_doubles (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

//  Median over SECURE_RUNS of secured / unsecured acked throughput, each
//  pair measured one after the other on two clusters alive side by side.
//  0 when a cluster did not start or a run measured nothing.
static double
s_secure_ratio (const char *wordcount)
{
    cluster_harness_t *plain = cluster_harness_new_with (1, 2, NULL);
    cluster_harness_t *secure =
        plain ? cluster_harness_new_with (1, 2, &(cluster_harness_options_t){.secure = true})
              : NULL;
    sq_control_t *plain_control = plain ? cluster_harness_control (plain) : NULL;
    sq_control_t *secure_control = secure ? cluster_harness_control (secure) : NULL;
    double ratios[SECURE_RUNS] = {0};
    int runs = 0;
    for (int run = 0; secure_control && plain_control && run < SECURE_RUNS; run++) {
        char plain_name[32], secure_name[32];
        snprintf (plain_name, sizeof plain_name, "wcp%d", run);
        snprintf (secure_name, sizeof secure_name, "wcs%d", run);
        double unsecured = s_cluster_words_per_s (plain, plain_control, wordcount, plain_name, 1);
        double secured = s_cluster_words_per_s (secure, secure_control, wordcount, secure_name, 1);
        printf ("cluster_bench: run %d acked words/s unsecured %.0f secured %.0f\n", run + 1,
                unsecured, secured);
        if (unsecured > 0 && secured > 0)
            ratios[runs++] = secured / unsecured;
    }
    sq_control_destroy (&plain_control);
    sq_control_destroy (&secure_control);
    cluster_harness_destroy (&secure);
    cluster_harness_destroy (&plain);
    if (runs < SECURE_RUNS)
        return 0;
    qsort (ratios, SECURE_RUNS, sizeof ratios[0], s_compare_doubles);
    return ratios[SECURE_RUNS / 2];
}

int
main (void)
{
    setenv ("top_builddir", ".", 0);
    if (!test_processes_suite_dir ("cluster_bench"))
        return 1;
    char *wordcount = cluster_harness_build_path ("topologies/.libs/wordcount.so");
    char *probe = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    if (!wordcount || !probe) {
        fprintf (stderr, "cluster_bench: build the packages first (make all check)\n");
        return 1;
    }
    if (getenv ("CLUSTER_BENCH_ONLY") && strcmp (getenv ("CLUSTER_BENCH_ONLY"), "idle") == 0) {
        double idle = s_idle_cpu_percent (probe);
        printf ("BENCH idle_cpu_percent %.2f %%\n", idle);
        free (wordcount);
        free (probe);
        return idle < 0;
    }
    if (getenv ("CLUSTER_BENCH_ONLY") && strcmp (getenv ("CLUSTER_BENCH_ONLY"), "secure") == 0) {
        printf ("BENCH cluster_acked_secure_ratio %.3f ratio\n", s_secure_ratio (wordcount));
        free (wordcount);
        free (probe);
        return 0;
    }
    if (getenv ("CLUSTER_BENCH_ONLY") && strcmp (getenv ("CLUSTER_BENCH_ONLY"), "recovery") == 0) {
        double worker_s, supervisor_s;
        s_recovery (probe, &worker_s, &supervisor_s);
        printf ("BENCH worker_recovery_s %.2f s\n", worker_s);
        printf ("BENCH supervisor_recovery_s %.2f s\n", supervisor_s);
        free (wordcount);
        free (probe);
        return 0;
    }
    printf ("cluster_bench: word count in local mode and on 2 workers of a local cluster "
            "(%d s after %d s warm-up), then recovery times with the probe topology\n",
            MEASURE_MS / 1000, WARM_UP_MS / 1000);
    double local_unacked = s_local_words_per_s (wordcount, 0);
    double local_acked = s_local_words_per_s (wordcount, 1);

    double cluster_unacked = 0, cluster_acked = 0;
    cluster_harness_t *cluster = cluster_harness_new (1, 2);
    if (cluster) {
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d",
                  cluster_harness_nimbus_port (cluster));
        sq_control_t *control = sq_control_new (endpoint);
        cluster_unacked = s_cluster_words_per_s (cluster, control, wordcount, "wcu", 0);
        cluster_acked = s_cluster_words_per_s (cluster, control, wordcount, "wca", 1);
        sq_control_destroy (&control);
        cluster_harness_destroy (&cluster);
    }
    double secure_ratio = s_secure_ratio (wordcount);
    double worker_s, supervisor_s;
    s_recovery (probe, &worker_s, &supervisor_s);
    double idle = s_idle_cpu_percent (probe);

    printf ("BENCH local_package_unacked_words_per_s %.0f words/s\n", local_unacked);
    printf ("BENCH local_package_acked_words_per_s %.0f words/s\n", local_acked);
    printf ("BENCH cluster_unacked_words_per_s %.0f words/s\n", cluster_unacked);
    printf ("BENCH cluster_acked_words_per_s %.0f words/s\n", cluster_acked);
    printf ("BENCH cluster_unacked_ratio_to_local %.3f ratio\n",
            local_unacked > 0 ? cluster_unacked / local_unacked : 0);
    printf ("BENCH cluster_acked_ratio_to_local %.3f ratio\n",
            local_acked > 0 ? cluster_acked / local_acked : 0);
    printf ("BENCH cluster_acked_secure_ratio %.3f ratio\n", secure_ratio);
    printf ("cluster_bench: recovery is from kill -9 until the spout's acked log grows again; "
            "a lost supervisor is noticed by its heartbeats to nimbus and its workers' "
            "(nimbus.supervisor.timeout.secs, 2 by default)\n");
    printf ("BENCH worker_recovery_s %.2f s\n", worker_s);
    printf ("BENCH supervisor_recovery_s %.2f s\n", supervisor_s);
    printf ("BENCH idle_cpu_percent %.2f %%\n", idle);
    free (wordcount);
    free (probe);
    return 0;
}
