/*  test_cluster - topologies on a real cluster: ZooKeeper, nimbus,
    supervisors and workers as separate processes on 127.0.0.1

    Each test starts a fresh cluster (cluster_harness), submits with the
    real storm-submit, and plays an operator's day: exact word counts
    across workers, kill -9 of a worker, of a supervisor with its workers,
    of nimbus, kill and rebalance, and garbage sent to the daemons' ports;
    and (case "status") a topology submitted inactive, then activated.
    With acking on, the probe topology's spout logs every acked message;
    at-least-once means that log ends up holding every message.
*/
#include "cluster_harness.h"
#include "http_client.h"
#include "test_processes.h"
#include "sq_assignment.h"
#include "sq_control.h"
#include "sq_grouping.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <czmq.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROBE_MESSAGES 3000

static cluster_harness_t *s_cluster;
static char s_probe_dir[4200];

static void
s_setup_with (bool secure)
{
    s_cluster = cluster_harness_new_with (2, 2, &(cluster_harness_options_t){.secure = secure});
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
    snprintf (s_probe_dir, sizeof s_probe_dir, "%s/probe", cluster_harness_dir (s_cluster));
    mkdir (s_probe_dir, 0755);
}

static void
s_setup (void)
{
    s_setup_with (false);
}

//  One supervisor with one slot: the worker of a one-worker topology is
//  known without looking for it.
static void
s_setup_one_slot (void)
{
    s_cluster = cluster_harness_new (1, 1);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
}

//  CURVE on every link (doc/security.md).
static void
s_setup_secure (void)
{
    s_setup_with (true);
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

static char s_log_dir[64]; //  storm.log.dir of the "logs" cluster

//  Every daemon and worker logs under a storm.log.dir of its own.
static void
s_setup_logs (void)
{
    snprintf (s_log_dir, sizeof s_log_dir, "/tmp/squall-test-logs-XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (s_log_dir));
    char member[128];
    snprintf (member, sizeof member, "\"storm.log.dir\": \"%s\"", s_log_dir);
    s_cluster = cluster_harness_new_with (
        1, 2, &(cluster_harness_options_t){.nimbus_config = member, .supervisor_config = member});
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
    snprintf (s_probe_dir, sizeof s_probe_dir, "%s/probe", cluster_harness_dir (s_cluster));
    mkdir (s_probe_dir, 0755);
}

static void
s_teardown_logs (void)
{
    cluster_harness_destroy (&s_cluster);
    char command[128];
    snprintf (command, sizeof command, "rm -rf '%s'", s_log_dir);
    ck_assert_int_eq (system (command), 0);
}

//  Run storm-submit with the arguments (NULL terminated), assert its exit
//  status, and return its output (caller frees).
static char *
s_cli (int expected, ...)
{
    const char *args[32];
    size_t count = 0;
    va_list list;
    va_start (list, expected);
    const char *arg;
    while (count < 31 && (arg = va_arg (list, const char *)))
        args[count++] = arg;
    va_end (list);
    args[count] = NULL;
    char *output = NULL;
    int status = cluster_harness_cli (s_cluster, &output, args);
    ck_assert_msg (status == expected, "storm-submit %s exited %d, expected %d: %s", args[0],
                   status, expected, output);
    return output;
}

#define CLI_OK(...) free (s_cli (0, __VA_ARGS__, NULL))

static char *
s_package (const char *name)
{
    char relative[256];
    snprintf (relative, sizeof relative, "%s.so", name);
    char *path = cluster_harness_build_path (relative);
    ck_assert_msg (path != NULL, "package %s not built", name);
    return path;
}

//  Distinct messages in the probe's acked log: what the spout saw acked.
static int
s_probe_acked (void)
{
    return cluster_harness_probe_acked (s_probe_dir, PROBE_MESSAGES);
}

//  Distinct messages in the logs of the sink (tasks 6 and 7): what was
//  delivered. The sink writes a line before it acks it, so a message acked
//  and in no sink log was lost.
static int
s_probe_stored (void)
{
    return cluster_harness_probe_distinct (
        s_probe_dir, (const char *const[]){"sink-6.log", "sink-7.log", NULL}, PROBE_MESSAGES);
}

static bool
s_wait_probe_acked (int messages, double seconds)
{
    for (int waited = 0; waited < seconds * 10; waited++) {
        if (s_probe_acked () >= messages)
            return true;
        usleep (100000);
    }
    return false;
}

//  Wait up to `seconds` for every message to be acked at the spout, then
//  check each is in a sink log: lost counts what no sink holds.
static void
s_assert_probe_complete (double seconds)
{
    ck_assert_msg (s_wait_probe_acked (PROBE_MESSAGES, seconds), "only %d of %d messages acked",
                   s_probe_acked (), PROBE_MESSAGES);
    int stored = s_probe_stored ();
    ck_assert_msg (stored == PROBE_MESSAGES, "lost %d of %d acked messages: in no sink log",
                   PROBE_MESSAGES - stored, PROBE_MESSAGES);
}

//  Submit the probe topology with message timeout T = timeout_secs; with
//  drop_every > 0 its sink drops the first delivery of every drop_every-th
//  number (see probe_topology.c); `extra` is one more config option
//  ("key=value").
static void
s_submit_probe_with (const char *workers, const char *per_call, const char *rate, int timeout_secs,
                     int drop_every, const char *extra)
{
    char *package = s_package ("tests/integration/.libs/probe_topology");
    char dir[4400], messages[64];
    snprintf (dir, sizeof dir, "probe.dir=%s", s_probe_dir);
    snprintf (messages, sizeof messages, "probe.messages=%d", PROBE_MESSAGES);
    char workers_option[64], per_call_option[64];
    snprintf (workers_option, sizeof workers_option, "topology.workers=%s", workers);
    snprintf (per_call_option, sizeof per_call_option, "probe.per.call=%s", per_call);
    char rate_option[64], timeout_option[64], drop_option[64];
    snprintf (rate_option, sizeof rate_option, "probe.rate=%s", rate);
    snprintf (timeout_option, sizeof timeout_option, "topology.message.timeout.secs=%d",
              timeout_secs);
    snprintf (drop_option, sizeof drop_option, "probe.drop.every=%d", drop_every);
    CLI_OK (package, "probe", "-c", dir, "-c", messages, "-c", workers_option, "-c",
            per_call_option, "-c", rate_option, "-c", timeout_option, "-c", drop_option, "-c",
            extra);
    free (package);
}

static void
s_submit_probe_at (const char *workers, const char *per_call, const char *rate)
{
    s_submit_probe_with (workers, per_call, rate, 5, 0, "probe.groupings=false");
}

//  300 new messages a second: faults strike in the middle of the run.
static void
s_submit_probe (const char *workers, const char *per_call)
{
    s_submit_probe_at (workers, per_call, "300");
}

//  Assert the run is still going, so the fault that follows hits it.
static void
s_assert_mid_run (void)
{
    int acked = s_probe_acked ();
    ck_assert_msg (acked < PROBE_MESSAGES / 2, "the run is not mid-way: %d acked", acked);
}

//  The data of the node folder/name, or NULL. Caller frees.
static char *
s_node_data (const char *folder, const char *name, size_t *size_p)
{
    char path[256];
    snprintf (path, sizeof path, "/%s/%s", folder, name);
    char *data = NULL;
    if (sq_zk_get (cluster_harness_zk (s_cluster), path, &data, size_p, false) != 0)
        return NULL;
    return data;
}

//  The assignment of a topology as nimbus wrote it, or NULL.
static sq_assignment_t *
s_assignment (const char *name)
{
    size_t size = 0;
    char *data = s_node_data ("assignments", name, &size);
    sq_assignment_t *assignment = data ? sq_assignment_decode (data, size) : NULL;
    free (data);
    return assignment;
}

//  ---------------------------------------------------------------------

//  True when the file at path holds needle (reads at most 64 KiB).
static bool
s_file_has (const char *path, const char *needle)
{
    static char text[65536];
    FILE *file = fopen (path, "r");
    size_t got = file ? fread (text, 1, sizeof text - 1, file) : 0;
    if (file)
        fclose (file);
    text[got] = 0;
    return strstr (text, needle) != NULL;
}

//  With storm.log.dir: nimbus.log, supervisor.log and one worker.log per
//  topology and port under workers-artifacts/<topology id>/<port>/, each
//  private to its owner.
//  A worker over topology.worker.max.heap.size.mb is killed by its
//  supervisor, which says why in its log and in the worker's, and started
//  again (to be killed again while the topology asks for too much).
START_TEST (test_worker_over_memory_limit_is_killed)
{
    char *package = s_package ("tests/integration/.libs/probe_topology");
    char dir[4400];
    snprintf (dir, sizeof dir, "probe.dir=%s", s_probe_dir);
    CLI_OK (package, "hog", "-c", dir, "-c", "topology.workers=1", "-c",
            "topology.worker.max.heap.size.mb=64", "-c", "probe.hog.mb=160", "-c",
            "probe.groupings=false");
    free (package);
    //  The worker runs under either supervisor.
    char paths[2][4400];
    for (int i = 0; i < 2; i++)
        snprintf (paths[i], sizeof paths[i], "%s/supervisor-%d.log",
                  cluster_harness_dir (s_cluster), i);
    int killer = -1;
    for (int waited = 0; waited < 600 && killer < 0; waited++) {
        for (int i = 0; i < 2 && killer < 0; i++)
            if (s_file_has (paths[i], "topology=hog killed: resident memory"))
                killer = i;
        if (killer < 0)
            usleep (100000);
    }
    ck_assert_msg (killer >= 0, "no supervisor killed the worker over its memory limit");
    ck_assert (s_file_has (paths[killer], "over topology.worker.max.heap.size.mb=64"));
    CLI_OK ("kill", "hog", "-w", "1");
}
END_TEST

//  Path of the first file matching pattern into path (size bytes); false
//  when none does.
static bool
s_glob_first (const char *pattern, char *path, size_t size)
{
    glob_t found;
    bool any = glob (pattern, 0, NULL, &found) == 0 && found.gl_pathc > 0;
    if (any)
        snprintf (path, size, "%s", found.gl_pathv[0]);
    globfree (&found);
    return any;
}

//  A worker whose bolt never returns from execute still ends when its
//  topology is killed: on its own, within half the shutdown sleep, saying
//  which task did not return in its worker.log, and not by the
//  supervisor's SIGKILL.
START_TEST (test_stuck_bolt_does_not_keep_its_worker)
{
    char *package = s_package ("tests/integration/.libs/bad_topology");
    CLI_OK (package, "stuck", "-c", "bad.behaviour=loop-bolt", "-c", "topology.workers=1", "-c",
            "topology.acker.executors=0");
    free (package);
    char pattern[4400], log[4400], supervisor_log[4400];
    snprintf (pattern, sizeof pattern, "%s/supervisor/workers/*/worker.log",
              cluster_harness_local_dir (s_cluster, 0));
    snprintf (supervisor_log, sizeof supervisor_log, "%s/supervisor-0.log",
              cluster_harness_dir (s_cluster));
    long long deadline = test_processes_now_ms () + 60000;
    bool looping = false;
    while (!looping && test_processes_now_ms () < deadline) {
        looping =
            s_glob_first (pattern, log, sizeof log) && s_file_has (log, "execute of 'spin' loops");
        if (!looping)
            usleep (100000);
    }
    ck_assert_msg (looping, "the bolt never got a tuple");
    pid_t worker = cluster_harness_worker_pid (s_cluster, 0, 0);
    ck_assert_int_gt (worker, 0);

    CLI_OK ("kill", "stuck", "-w", "0");
    deadline = test_processes_now_ms () + 60000;
    while (test_processes_alive (worker) && test_processes_now_ms () < deadline)
        usleep (100000);
    ck_assert_msg (!test_processes_alive (worker), "the worker still runs a minute after the kill");
    ck_assert_msg (s_file_has (log, "component 'spin' task 2 did not return within 1.5 s of the "
                                    "stop; exiting"),
                   "%s does not name the stuck task", log);
    ck_assert_msg (!s_file_has (supervisor_log, "after SIGTERM; sending SIGKILL"),
                   "the supervisor had to SIGKILL the worker");
}
END_TEST

START_TEST (test_logs_go_under_storm_log_dir)
{
    s_submit_probe ("2", "2");
    ck_assert (s_wait_probe_acked (100, 60));
    char path[256];
    snprintf (path, sizeof path, "%s/nimbus.log", s_log_dir);
    ck_assert_msg (s_file_has (path, "probe"), "nimbus.log does not name the topology");
    snprintf (path, sizeof path, "%s/supervisor.log", s_log_dir);
    ck_assert_msg (s_file_has (path, "probe"), "supervisor.log does not name the topology");
    snprintf (path, sizeof path, "%s/workers-artifacts/probe-*/*/worker.log", s_log_dir);
    glob_t found;
    ck_assert_int_eq (glob (path, 0, NULL, &found), 0);
    ck_assert_uint_eq (found.gl_pathc, 2);
    for (size_t i = 0; i < found.gl_pathc; i++) {
        ck_assert_msg (s_file_has (found.gl_pathv[i], "starting worker topology=probe"),
                       "%s lacks the supervisor's start line", found.gl_pathv[i]);
        struct stat info;
        ck_assert_int_eq (stat (found.gl_pathv[i], &info), 0);
        ck_assert_int_eq (info.st_mode & 0777, 0600);
    }
    globfree (&found);
    CLI_OK ("kill", "probe", "-w", "1");
}
END_TEST

START_TEST (test_wordcount_exact_counts_across_workers)
{
    enum { LINES = 2000, WORDS = 6 };
    static const char *vocabulary[WORDS] = {"nimbus", "supervisor", "worker",
                                            "slot",   "tuple",      "zk"};
    long expected[WORDS] = {0};
    char input[4300], output[4300];
    snprintf (input, sizeof input, "%s/input.txt", cluster_harness_dir (s_cluster));
    snprintf (output, sizeof output, "%s/counts.tsv", cluster_harness_dir (s_cluster));
    FILE *file = fopen (input, "w");
    unsigned seed = 7;
    for (int line = 0; line < LINES; line++) {
        int words = 1 + rand_r (&seed) % 8;
        for (int i = 0; i < words; i++) {
            int w = rand_r (&seed) % WORDS;
            expected[w]++;
            fprintf (file, "%s%s", i ? " " : "", vocabulary[w]);
        }
        fputc ('\n', file);
    }
    fclose (file);
    char *package = s_package ("topologies/.libs/wordcount");
    char input_option[4400], output_option[4400];
    snprintf (input_option, sizeof input_option, "wordcount.input=%s", input);
    snprintf (output_option, sizeof output_option, "wordcount.output=%s", output);
    CLI_OK (package, "wordcount", "-c", input_option, "-c", output_option, "-c",
            "topology.workers=4", "-c", "topology.acker.executors=2");
    free (package);

    //  Four workers over both supervisors: the fields grouping crosses them.
    sq_assignment_t *assignment = s_assignment ("wordcount");
    ck_assert_ptr_nonnull (assignment);
    ck_assert_uint_eq (assignment->worker_count, 4);
    sq_assignment_destroy (&assignment);

    //  Counts are final once every line is acked: nimbus sums the workers'
    //  heartbeats in `list`.
    sq_control_t *control = cluster_harness_control (s_cluster);
    ck_assert_ptr_nonnull (control);
    long acked = 0;
    json_t *list = json_pack ("{s:s}", "verb", "list");
    for (int waited = 0; waited < 600 && acked < LINES; waited++) {
        usleep (100000);
        json_t *reply = sq_control_request (control, list, NULL, 0, 5000, NULL, NULL);
        json_t *topologies = reply ? json_object_get (reply, "topologies") : NULL;
        json_t *first = topologies ? json_array_get (topologies, 0) : NULL;
        acked = first ? (long) json_integer_value (json_object_get (first, "acked")) : 0;
        json_decref (reply);
    }
    json_decref (list);
    sq_control_destroy (&control);
    ck_assert_int_eq (acked, LINES);
    CLI_OK ("kill", "wordcount", "-w", "1");
    //  The counters write their files when their workers stop.
    long seen[WORDS] = {0};
    for (int waited = 0; waited < 300; waited++) {
        memset (seen, 0, sizeof seen);
        file = fopen (output, "r");
        char word[64];
        long count;
        int lines = 0;
        while (file && fscanf (file, "%63[^\t]\t%ld\n", word, &count) == 2) {
            lines++;
            for (int w = 0; w < WORDS; w++)
                if (strcmp (word, vocabulary[w]) == 0)
                    seen[w] += count;
        }
        if (file)
            fclose (file);
        if (lines == WORDS)
            break;
        usleep (100000);
    }
    for (int w = 0; w < WORDS; w++)
        ck_assert_msg (seen[w] == expected[w], "'%s': counted %ld, expected %ld", vocabulary[w],
                       seen[w], expected[w]);
}
END_TEST

START_TEST (test_worker_kill_loses_nothing)
{
    s_submit_probe ("4", "2");
    ck_assert (s_wait_probe_acked (200, 60));
    s_assert_mid_run ();
    //  kill -9 every worker of the first supervisor, the spout's among them
    //  or not: the supervisor restarts them and the spout replays.
    pid_t killed[2];
    for (int slot = 0; slot < 2; slot++) {
        killed[slot] = cluster_harness_worker_pid (s_cluster, 0, slot);
        ck_assert_msg (killed[slot] > 0, "no worker on slot %d of supervisor 0", slot);
        kill (killed[slot], SIGKILL);
    }
    //  Restarted means a new process in each slot: the killed one's pid
    //  stays in the pid file until the supervisor replaces it.
    int64_t killed_at = zclock_mono ();
    bool restarted = false;
    while (!restarted && zclock_mono () - killed_at < 20000) {
        restarted = true;
        for (int slot = 0; slot < 2; slot++) {
            pid_t pid = cluster_harness_worker_pid (s_cluster, 0, slot);
            restarted = restarted && pid > 0 && pid != killed[slot];
        }
        usleep (50000);
    }
    ck_assert_msg (restarted, "the supervisor did not restart both workers");
    s_assert_probe_complete (120);
}
END_TEST

//  Storm's promise, as doc/ states it: a tuple not acked fails between T
//  and 1.5T after its emit. Asserted with room for a loaded machine: not
//  before T, and before 2T. The spout measures each delay itself.
START_TEST (test_message_timeout_fires_between_t_and_2t)
{
    enum { TIMEOUT_S = 3, DROP_EVERY = 100 };
    //  Two workers, so that the dropped tuples cross processes; the 30
    //  dropped numbers go out over the 10 s of the run, at every phase of
    //  the timeout rotation.
    s_submit_probe_with ("2", "2", "300", TIMEOUT_S, DROP_EVERY, "probe.groupings=false");
    s_assert_probe_complete (120);
    char path[4300];
    snprintf (path, sizeof path, "%s/failed.log", s_probe_dir);
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (file);
    static bool failed[PROBE_MESSAGES];
    memset (failed, 0, sizeof failed);
    int number, fails = 0;
    double delay, shortest = 1e9, longest = 0;
    while (fscanf (file, "%d %lf\n", &number, &delay) == 2) {
        ck_assert_msg (number >= 0 && number < PROBE_MESSAGES, "failed.log: number %d", number);
        failed[number] = true;
        fails++;
        shortest = delay < shortest ? delay : shortest;
        longest = delay > longest ? delay : longest;
        ck_assert_msg (delay >= TIMEOUT_S, "message %d failed %.3f s after its emit, before %d s",
                       number, delay, TIMEOUT_S);
        ck_assert_msg (delay < 2 * TIMEOUT_S,
                       "message %d failed %.3f s after its emit, not before %d s", number, delay,
                       2 * TIMEOUT_S);
    }
    ck_assert (feof (file));
    fclose (file);
    for (number = 0; number < PROBE_MESSAGES; number += DROP_EVERY)
        ck_assert_msg (failed[number], "dropped message %d never failed", number);
    ck_assert_int_ge (fails, PROBE_MESSAGES / DROP_EVERY);
    printf ("timeouts: %d fails %.3f to %.3f s after their emits (T = %d s)\n", fails, shortest,
            longest, TIMEOUT_S);
}
END_TEST

//  Index of the slot of supervisor index that the assignment of `name`
//  uses, or -1.
static int
s_assigned_slot (const char *name, int index)
{
    sq_assignment_t *assignment = s_assignment (name);
    int port = 0, slot = -1;
    if (assignment && sq_assignment_supervisor_slots (
                          assignment, cluster_harness_supervisor_id (s_cluster, index), &port, 1))
        for (int candidate = 0; candidate < 2; candidate++)
            if (cluster_harness_slot_port (s_cluster, index, candidate) == port)
                slot = candidate;
    sq_assignment_destroy (&assignment);
    return slot;
}

START_TEST (test_supervisor_loss_moves_executors)
{
    //  Two workers, one on each supervisor, and a free slot on each.
    s_submit_probe ("2", "2");
    ck_assert (s_wait_probe_acked (200, 60));
    s_assert_mid_run ();
    int survivor_slot = s_assigned_slot ("probe", 1);
    ck_assert_int_ge (survivor_slot, 0);
    pid_t survivor = cluster_harness_worker_pid (s_cluster, 1, survivor_slot);
    ck_assert_int_gt (survivor, 0);
    cluster_harness_stop_supervisor (s_cluster, 0, SIGKILL, true);
    const char *lost = cluster_harness_supervisor_id (s_cluster, 0);
    //  Nimbus notices the session end and moves the executors.
    bool moved = false;
    for (int waited = 0; waited < 300 && !moved; waited++) {
        sq_assignment_t *assignment = s_assignment ("probe");
        moved = assignment && sq_assignment_supervisor_slots (assignment, lost, NULL, 0) == 0;
        sq_assignment_destroy (&assignment);
        usleep (100000);
    }
    ck_assert_msg (moved, "executors of the lost supervisor were not reassigned");
    s_assert_probe_complete (120);
    //  The surviving worker kept its executors, so it kept running and
    //  only rerouted to the moved ones.
    ck_assert_msg (cluster_harness_worker_pid (s_cluster, 1, survivor_slot) == survivor,
                   "the surviving worker was restarted");
}
END_TEST

START_TEST (test_nimbus_restart_keeps_processing)
{
    //  200 messages a second: the run outlasts nimbus's absence.
    s_submit_probe_at ("2", "1", "200");
    ck_assert (s_wait_probe_acked (100, 60));
    s_assert_mid_run ();
    //  The placement nimbus made, read before it dies: whatever the new
    //  one writes must match it.
    sq_assignment_t *before_restart = s_assignment ("probe");
    ck_assert_ptr_nonnull (before_restart);
    cluster_harness_stop_nimbus (s_cluster, SIGKILL);
    int before = s_probe_acked ();
    //  Workers go on without nimbus.
    bool progressed = false;
    for (int waited = 0; waited < 100 && !progressed; waited++) {
        progressed = s_probe_acked () > before + 50;
        usleep (100000);
    }
    ck_assert_msg (progressed, "processing stopped while nimbus was down");
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    char *output = NULL;
    for (int tries = 0; tries < 50; tries++) {
        free (output);
        output = NULL;
        if (cluster_harness_cli (s_cluster, &output, (const char *[]){"list", NULL}) == 0)
            break;
        usleep (200000);
    }
    ck_assert_msg (output && strstr (output, "probe"), "list after restart: %s", output);
    free (output);
    s_assert_probe_complete (120);
    sq_assignment_t *after_restart = s_assignment ("probe");
    ck_assert (sq_assignment_same_placement (before_restart, after_restart));
    sq_assignment_destroy (&before_restart);
    sq_assignment_destroy (&after_restart);
}
END_TEST

START_TEST (test_kill_frees_slots_and_rebalance_moves_executors)
{
    s_submit_probe ("2", "1");
    sq_assignment_t *assignment = s_assignment ("probe");
    ck_assert_ptr_nonnull (assignment);
    ck_assert_uint_eq (assignment->worker_count, 2);
    sq_assignment_destroy (&assignment);
    ck_assert (s_wait_probe_acked (100, 60));
    s_assert_mid_run ();
    CLI_OK ("rebalance", "probe", "-n", "4", "-w", "1");
    bool rebalanced = false;
    for (int waited = 0; waited < 200 && !rebalanced; waited++) {
        assignment = s_assignment ("probe");
        rebalanced = assignment && assignment->worker_count == 4;
        sq_assignment_destroy (&assignment);
        usleep (100000);
    }
    ck_assert_msg (rebalanced, "rebalance did not spread the topology over 4 workers");
    s_assert_probe_complete (120);

    //  The cluster is full: a second topology has no slot until the first dies.
    char *package = s_package ("topologies/.libs/wordcount");
    char *output = s_cli (1, package, "second", NULL);
    ck_assert_msg (strstr (output, "slot"), "no-slot error: %s", output);
    free (output);
    CLI_OK ("kill", "probe", "-w", "0");
    bool freed = false;
    for (int waited = 0; waited < 200 && !freed; waited++) {
        assignment = s_assignment ("probe");
        freed = assignment == NULL;
        sq_assignment_destroy (&assignment);
        usleep (100000);
    }
    ck_assert_msg (freed, "kill did not remove the assignment");
    CLI_OK (package, "second", "-c", "topology.workers=4");
    free (package);
}
END_TEST

//  True when the topology record of name has every text of has and none
//  of lacks (both NULL terminated).
static bool
s_record_says (const char *name, const char *const *has, const char *const *lacks)
{
    size_t size = 0;
    char *data = s_node_data ("topologies", name, &size);
    bool says = data != NULL;
    for (size_t i = 0; says && has[i]; i++)
        says = strstr (data, has[i]) != NULL;
    for (size_t i = 0; says && lacks[i]; i++)
        says = strstr (data, lacks[i]) == NULL;
    free (data);
    return says;
}

START_TEST (test_rebalance_survives_nimbus_restart)
{
    s_submit_probe ("2", "1");
    ck_assert (s_wait_probe_acked (100, 60));
    s_assert_mid_run ();
    CLI_OK ("rebalance", "probe", "-n", "4", "-w", "3");
    //  Nimbus dies during the wait and comes back after the rebalance was
    //  due; the record told what was going on.
    cluster_harness_stop_nimbus (s_cluster, SIGKILL);
    const char *const pending[] = {"\"status\":\"inactive\"", "\"rebalance\":{", "\"workers\":4",
                                   NULL};
    const char *const nothing[] = {NULL};
    ck_assert (s_record_says ("probe", pending, nothing));
    sleep (4);
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    const char *const done[] = {"\"status\":\"active\"", "\"workers\":4", NULL};
    const char *const no_rebalance[] = {"\"rebalance\"", NULL};
    bool finished = false;
    for (int waited = 0; waited < 300 && !finished; waited++) {
        sq_assignment_t *assignment = s_assignment ("probe");
        finished = assignment && assignment->worker_count == 4 &&
                   s_record_says ("probe", done, no_rebalance);
        sq_assignment_destroy (&assignment);
        usleep (100000);
    }
    ck_assert_msg (finished, "the restarted nimbus did not finish the rebalance");
    s_assert_probe_complete (120);
}
END_TEST

//  The lines of supervisor index's log that contain text, joined by " | "
//  into buffer (cut to its size): for failure messages.
static const char *
s_supervisor_lines (int index, const char *text, char *buffer, size_t size)
{
    char path[4300];
    snprintf (path, sizeof path, "%s/supervisor-%d.log", cluster_harness_dir (s_cluster), index);
    buffer[0] = 0;
    FILE *file = fopen (path, "r");
    char line[1024];
    size_t length = 0;
    while (file && fgets (line, sizeof line, file))
        if (strstr (line, text) && length + 4 < size) {
            line[strcspn (line, "\n")] = 0;
            length += (size_t) snprintf (buffer + length, size - length, "%s%s",
                                         length ? " | " : "", line);
            if (length >= size)
                length = size - 1;
        }
    if (file)
        fclose (file);
    return buffer[0] ? buffer : "(nothing logged)";
}

START_TEST (test_garbage_is_dropped_and_everyone_keeps_running)
{
    s_submit_probe ("4", "1");
    ck_assert (s_wait_probe_acked (100, 60));
    s_assert_mid_run ();
    //  The four workers, whose processes must all outlive the garbage.
    pid_t workers[2][2];
    for (int index = 0; index < 2; index++)
        for (int slot = 0; slot < 2; slot++) {
            workers[index][slot] = cluster_harness_worker_pid (s_cluster, index, slot);
            ck_assert_msg (workers[index][slot] > 0, "no worker on slot %d of supervisor %d", slot,
                           index);
        }
    int ports[] = {cluster_harness_nimbus_port (s_cluster),
                   cluster_harness_slot_port (s_cluster, 0, 0),
                   cluster_harness_slot_port (s_cluster, 1, 1)};
    unsigned seed = 99;
    for (size_t p = 0; p < sizeof ports / sizeof *ports; p++) {
        //  Random bytes as ZeroMQ messages of the socket types peers use...
        zsock_t *push = zsock_new_push (NULL);
        zsock_t *dealer = zsock_new_dealer (NULL);
        zsock_set_linger (push, 2000);
        zsock_set_linger (dealer, 2000);
        zsock_connect (push, "tcp://127.0.0.1:%d", ports[p]);
        zsock_connect (dealer, "tcp://127.0.0.1:%d", ports[p]);
        for (int message = 0; message < 50; message++) {
            char bytes[200];
            size_t size = (size_t) (rand_r (&seed) % sizeof bytes);
            for (size_t i = 0; i < size; i++)
                bytes[i] = (char) rand_r (&seed);
            zsock_send (p == 0 ? dealer : push, "b", bytes, size);
        }
        zclock_sleep (200);
        zsock_destroy (&push);
        zsock_destroy (&dealer);
        //  ...and raw bytes that are not ZeroMQ at all.
        char command[128];
        snprintf (command, sizeof command,
                  "head -c 4096 /dev/urandom > /dev/tcp/127.0.0.1/%d 2>/dev/null", ports[p]);
        char *argv[] = {"bash", "-c", command, NULL};
        pid_t pid = fork ();
        if (pid == 0) {
            execvp ("bash", argv);
            _exit (127);
        }
        waitpid (pid, NULL, 0);
    }
    //  Everyone still serves: nimbus answers, workers run, nothing is lost.
    char *output = s_cli (0, "list", NULL);
    ck_assert_ptr_nonnull (strstr (output, "probe"));
    free (output);
    s_assert_probe_complete (120);
    //  No worker crashed and was restarted: the same processes still run.
    //  A failure quotes what the supervisor logged about its workers' ends.
    char why[2048];
    for (int index = 0; index < 2; index++)
        for (int slot = 0; slot < 2; slot++)
            ck_assert_msg (cluster_harness_worker_pid (s_cluster, index, slot) ==
                               workers[index][slot],
                           "the worker on slot %d of supervisor %d was replaced: %s", slot, index,
                           s_supervisor_lines (index, "worker exited", why, sizeof why));
}
END_TEST

//  Custom and partial key groupings across workers. Workers rebuild the
//  topology from the package, so both groupings run in every process; the
//  probe's extra bolts log what they receive, and the logs must show every
//  number at the task its grouping allows.
START_TEST (test_custom_and_partial_key_groupings_across_workers)
{
    s_submit_probe_with ("2", "10", "0", 5, 0, "probe.groupings=true");
    sq_assignment_t *assignment = s_assignment ("probe");
    ck_assert_ptr_nonnull (assignment);
    ck_assert_uint_eq (assignment->worker_count, 2);
    //  Both groupings cross processes: each worker runs relay tasks (2-5)
    //  and custom or partial tasks (8-11) are in both workers.
    for (size_t w = 0; w < 2; w++) {
        bool relay = false, grouped = false;
        for (int task = 2; task <= 11; task++)
            if (sq_assignment_find_task (assignment, task) == &assignment->workers[w]) {
                relay |= task <= 5;
                grouped |= task >= 8;
            }
        ck_assert (relay && grouped);
    }
    sq_assignment_destroy (&assignment);
    s_assert_probe_complete (120);
    //  The bolts close their logs when their workers stop.
    CLI_OK ("kill", "probe", "-w", "1");
    //  Task ids follow the order components were added: numbers 1, relay
    //  2-5, sink 6-7, custom 8-9 (number n at 8 + n % 2), partial 10-11
    //  (number n at 10 + one of its two candidates).
    static bool custom_seen[PROBE_MESSAGES], partial_seen[PROBE_MESSAGES];
    int custom = 0, partial = 0, misplaced = 0;
    for (int waited = 0; waited < 300 && (custom < PROBE_MESSAGES || partial < PROBE_MESSAGES);
         waited++) {
        usleep (100000);
        memset (custom_seen, 0, sizeof custom_seen);
        memset (partial_seen, 0, sizeof partial_seen);
        custom = partial = misplaced = 0;
        for (int task = 8; task <= 11; task++) {
            char path[4400];
            snprintf (path, sizeof path, "%s/sink-%d.log", s_probe_dir, task);
            FILE *file = fopen (path, "r");
            int number;
            while (file && fscanf (file, "%d\n", &number) == 1) {
                if (number < 0 || number >= PROBE_MESSAGES) {
                    misplaced++;
                    continue;
                }
                int index = 0, first, second;
                sq_value_t value = sq_int (number);
                sq_grouping_partial_key_candidates (&value, &index, 1, 2, &first, &second);
                if (task < 10 && task == 8 + number % 2) {
                    custom += !custom_seen[number];
                    custom_seen[number] = true;
                } else if (task >= 10 && (task == 10 + first || task == 10 + second)) {
                    partial += !partial_seen[number];
                    partial_seen[number] = true;
                } else
                    misplaced++;
            }
            if (file)
                fclose (file);
        }
    }
    ck_assert_int_eq (misplaced, 0);
    ck_assert_int_eq (custom, PROBE_MESSAGES);
    ck_assert_int_eq (partial, PROBE_MESSAGES);
}
END_TEST

//  ---------------------------------------------------------------------
//  Topology status: submitted inactive, activated, deactivated

//  The probe spout's lifecycle log (see probe_topology.c) into text.
static void
s_spout_log (char *text, size_t size)
{
    char path[4300];
    snprintf (path, sizeof path, "%s/spout.log", s_probe_dir);
    FILE *file = fopen (path, "r");
    size_t length = file ? fread (text, 1, size - 1, file) : 0;
    text[length] = 0;
    if (file)
        fclose (file);
}

//  Poll until the spout's log reads expected, or seconds pass.
static bool
s_wait_spout_log (const char *expected, double seconds)
{
    char text[512];
    for (int waited = 0; waited < seconds * 20; waited++) {
        s_spout_log (text, sizeof text);
        if (strcmp (text, expected) == 0)
            return true;
        usleep (50000);
    }
    return false;
}

//  How long the test watches a spout that must not be called: an active
//  one is called within milliseconds of its open.
#define INACTIVE_WATCH_SECS 2

START_TEST (test_submitted_inactive_emits_only_once_activated)
{
    char *package = s_package ("tests/integration/.libs/probe_topology");
    char dir[4400], messages[64];
    snprintf (dir, sizeof dir, "probe.dir=%s", s_probe_dir);
    snprintf (messages, sizeof messages, "probe.messages=%d", PROBE_MESSAGES);
    char *output = s_cli (0, package, "probe", "--inactive", "-c", dir, "-c", messages, "-c",
                          "topology.workers=2", "-c", "probe.rate=300", NULL);
    ck_assert_msg (strstr (output, "(inactive)"), "submit said: %s", output);
    free (output);
    free (package);
    const char *const inactive[] = {"\"inactive\"", NULL}, *const nothing[] = {NULL};
    ck_assert (s_record_says ("probe", inactive, nothing));
    //  The worker starts and opens the spout, which is then left alone.
    char text[512];
    ck_assert_msg (s_wait_spout_log ("open\n", 60), "spout log: %s",
                   (s_spout_log (text, sizeof text), text));
    for (int waited = 0; waited < INACTIVE_WATCH_SECS * 20; waited++) {
        s_spout_log (text, sizeof text);
        ck_assert_str_eq (text, "open\n");
        usleep (50000);
    }
    ck_assert_int_eq (s_probe_acked (), 0);
    output = s_cli (0, "list", NULL);
    ck_assert_msg (strstr (output, "inactive"), "list said: %s", output);
    free (output);

    //  Activated: activate comes first, then next_tuple, and numbers flow.
    CLI_OK ("activate", "probe");
    ck_assert_msg (s_wait_spout_log ("open\nactivate\nnext\n", 30), "spout log: %s",
                   (s_spout_log (text, sizeof text), text));
    ck_assert (s_wait_probe_acked (100, 60));
    CLI_OK ("deactivate", "probe");
    ck_assert_msg (s_wait_spout_log ("open\nactivate\nnext\ndeactivate\n", 30), "spout log: %s",
                   (s_spout_log (text, sizeof text), text));
    CLI_OK ("activate", "probe");
    ck_assert_msg (s_wait_spout_log ("open\nactivate\nnext\ndeactivate\nactivate\nnext\n", 30),
                   "spout log: %s", (s_spout_log (text, sizeof text), text));
    s_assert_probe_complete (120);
}
END_TEST

//  The largest throughput `monitor` printed on a line of component
//  (columns: topology, component, executors, stream, time-diff ms, count,
//  throughput/s, ...), and the number of such lines in *lines_p; -1 when
//  none.
static double
s_monitor_throughput (const char *output, const char *component, int *lines_p)
{
    double best = -1;
    *lines_p = 0;
    for (const char *line = output; line && *line;
         line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
        char topology[64], name[64], stream[64], count[32], rate[32];
        long executors, diff_ms;
        if (sscanf (line, "%63s %63s %ld %63s %ld %31s %31s", topology, name, &executors, stream,
                    &diff_ms, count, rate) != 7 ||
            strcmp (name, component) != 0)
            continue;
        (*lines_p)++;
        //  "-": a worker restarted in that interval; no rate.
        double value = strcmp (rate, "-") == 0 ? -1 : atof (rate);
        ck_assert_msg (value >= 0 || strcmp (rate, "-") == 0, "negative rate in: %.200s", line);
        ck_assert_msg (diff_ms > 0, "no time difference in: %.200s", line);
        if (value > best)
            best = value;
    }
    return best;
}

//  storm-submit monitor (issue 10, item 6): per-component throughput from
//  the workers' heartbeats, refreshed every second; --count stops it.
//  Errors name an unknown topology or component.
START_TEST (test_monitor_shows_throughput_per_component)
{
    //  100 numbers a second for 30 seconds: the topology emits throughout.
    s_submit_probe_at ("2", "1", "100");
    ck_assert (s_wait_probe_acked (50, 60));
    char *output = s_cli (0, "monitor", "probe", "-m", "numbers", "-i", "1", "--count", "4", NULL);
    int lines;
    double rate = s_monitor_throughput (output, "numbers", &lines);
    ck_assert_msg (strstr (output, "THROUGHPUT/S") && lines == 4, "monitor printed:\n%s", output);
    ck_assert_msg (rate > 0, "no throughput in:\n%s", output);
    ck_assert_msg (!strstr (output, "  relay "), "-m numbers showed relay:\n%s", output);
    free (output);
    //  Every component, on the transferred count.
    output = s_cli (0, "monitor", "probe", "-i", "1", "--count", "2", "-w", "transferred", NULL);
    ck_assert_msg (strstr (output, "TRANSFERRED"), "monitor printed:\n%s", output);
    for (const char *component = "numbers"; component;
         component = strcmp (component, "numbers") == 0 ? "relay"
                     : strcmp (component, "relay") == 0 ? "sink"
                                                        : NULL) {
        s_monitor_throughput (output, component, &lines);
        ck_assert_msg (lines == 2, "%s: %d lines in:\n%s", component, lines, output);
    }
    ck_assert_msg (!strstr (output, "__acker"), "system component shown:\n%s", output);
    free (output);

    output = s_cli (1, "monitor", "nosuch", "-i", "1", "--count", "1", NULL);
    ck_assert_msg (strstr (output, "no topology named 'nosuch'"), "monitor said: %s", output);
    free (output);
    output = s_cli (1, "monitor", "probe", "-m", "nosuch", "-i", "1", "--count", "1", NULL);
    ck_assert_msg (strstr (output, "topology 'probe' has no component 'nosuch'"),
                   "monitor said: %s", output);
    free (output);
    output = s_cli (2, "monitor", "probe", "-w", "executed", NULL);
    ck_assert_msg (strstr (output, "-w expects emitted or transferred"), "monitor said: %s",
                   output);
    free (output);

    //  list: the counters as columns.
    output = s_cli (0, "list", NULL);
    ck_assert_msg (strstr (output, "EMITTED") && strstr (output, "ACKED") &&
                       strstr (output, "FAILED") && strstr (output, "TIMED_OUT") &&
                       strstr (output, "probe"),
                   "list said:\n%s", output);
    free (output);
}
END_TEST

//  Storm parity on a cluster (issue 9, items 11 and 13). The probe's sink
//  holds numbers 0, 1000 and 2000 for 2.5 T each and resets their timeout
//  every T/2, the reset crossing workers to the acker and on to the spout:
//  none of them may fail. The probe's exported hook, named in
//  topology.auto.task.hooks, counts per task what it sees; once the
//  topology is killed its counts must match the probe's own logs.
START_TEST (test_reset_timeout_and_task_hooks_across_workers)
{
    enum { TIMEOUT_S = 2, HOLD_EVERY = 1000, TASKS = 7 }; //  spout 1, relay 2-5, sink 6-7
    char *package = s_package ("tests/integration/.libs/probe_topology");
    char dir[4400], messages[64], timeout[64];
    snprintf (dir, sizeof dir, "probe.dir=%s", s_probe_dir);
    snprintf (messages, sizeof messages, "probe.messages=%d", PROBE_MESSAGES);
    snprintf (timeout, sizeof timeout, "topology.message.timeout.secs=%d", TIMEOUT_S);
    CLI_OK (package, "probe", "-c", dir, "-c", messages, "-c", "topology.workers=2", "-c",
            "probe.rate=300", "-c", timeout, "-c", "probe.hold.every=1000", "-c",
            "probe.hold.secs=5", "-c", "probe.reset.secs=1", "-c",
            "topology.auto.task.hooks=probe_counting_hook");
    free (package);
    s_assert_probe_complete (180);
    //  Trees queued behind a held tuple may time out; the held ones not.
    char path[4300];
    snprintf (path, sizeof path, "%s/failed.log", s_probe_dir);
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (file);
    int number;
    long fails = 0;
    double delay;
    while (fscanf (file, "%d %lf\n", &number, &delay) == 2) {
        ck_assert_msg (number % HOLD_EVERY != 0,
                       "held message %d failed %.3f s after its emit despite its resets", number,
                       delay);
        fails++;
    }
    fclose (file);
    CLI_OK ("kill", "probe", "-w", "1");

    //  Hook counts, summed per component, once every task wrote its line.
    enum { NUMBERS, RELAY, SINK };
    long counts[3][7];
    bool complete = false;
    for (int waited = 0; waited < 300 && !complete; waited++) {
        memset (counts, 0, sizeof counts);
        complete = true;
        for (int task = 1; task <= TASKS; task++) {
            snprintf (path, sizeof path, "%s/hooks-%d.log", s_probe_dir, task);
            file = fopen (path, "r");
            char component[32];
            long c[7];
            if (!file || fscanf (file, "%31s %ld %ld %ld %ld %ld %ld %ld", component, &c[0], &c[1],
                                 &c[2], &c[3], &c[4], &c[5], &c[6]) != 8)
                complete = false;
            else {
                int which = strcmp (component, "numbers") == 0 ? NUMBERS
                            : strcmp (component, "relay") == 0 ? RELAY
                                                               : SINK;
                for (int k = 0; k < 7; k++)
                    counts[which][k] += c[k];
            }
            if (file)
                fclose (file);
        }
        if (!complete)
            usleep (100000);
    }
    ck_assert_msg (complete, "not every task's hook wrote its counts");
    //  Columns: emits, emit targets, spout acks, spout fails, executes,
    //  bolt acks, bolt fails.
    long sink_lines = 0;
    for (int task = 6; task <= 7; task++) {
        snprintf (path, sizeof path, "%s/sink-%d.log", s_probe_dir, task);
        file = fopen (path, "r");
        while (file && fscanf (file, "%d\n", &number) == 1)
            sink_lines++;
        if (file)
            fclose (file);
    }
    ck_assert_int_eq (counts[NUMBERS][2], PROBE_MESSAGES);
    ck_assert_int_eq (counts[NUMBERS][3], fails);
    ck_assert_int_eq (counts[NUMBERS][0], PROBE_MESSAGES + fails);
    ck_assert_int_eq (counts[NUMBERS][1], counts[NUMBERS][0]);
    ck_assert_int_eq (counts[RELAY][4], counts[NUMBERS][0]);
    ck_assert_int_eq (counts[RELAY][5], counts[RELAY][4]);
    ck_assert_int_eq (counts[RELAY][0], counts[RELAY][4]);
    ck_assert_int_eq (counts[SINK][4], counts[RELAY][1]);
    ck_assert_int_eq (counts[SINK][5], sink_lines);
    ck_assert_int_eq (counts[SINK][5], counts[SINK][4]);
    ck_assert_int_eq (counts[RELAY][6] + counts[SINK][6], 0);
    printf ("cluster parity: %d acked, %ld fails (none held), hooks saw %ld spout emits, %ld "
            "relay and %ld sink executes\n",
            PROBE_MESSAGES, fails, counts[NUMBERS][0], counts[RELAY][4], counts[SINK][4]);
}
END_TEST

//  ---------------------------------------------------------------------
//  Metrics in nimbus's REST API and /metrics

//  GET path from nimbus's HTTP port (HTTP/1.0: nimbus closes when done);
//  the body, or NULL when no 200 answer came within 10 s. Caller frees.
static char *
s_ui_get (const char *path)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert (fd >= 0);
    struct timeval timeout = {10, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port =
                                      htons ((uint16_t) cluster_harness_ui_port (s_cluster)),
                                  .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    char *request = zsys_sprintf ("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    zchunk_t *answer = zchunk_new (NULL, 1 << 16);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0 &&
        send (fd, request, strlen (request), MSG_NOSIGNAL) == (ssize_t) strlen (request)) {
        char buffer[4096];
        ssize_t got;
        while ((got = recv (fd, buffer, sizeof buffer, 0)) > 0)
            zchunk_extend (answer, buffer, (size_t) got);
    }
    close (fd);
    zstr_free (&request);
    zchunk_extend (answer, "", 1);
    const char *text = (const char *) zchunk_data (answer);
    const char *body = strstr (text, "\r\n\r\n");
    char *result = strncmp (text, "HTTP/1.1 200 ", 13) == 0 && body ? strdup (body + 4) : NULL;
    zchunk_destroy (&answer);
    return result;
}

//  GET path as JSON, or NULL. Caller decrefs.
static json_t *
s_ui_json (const char *path)
{
    char *body = s_ui_get (path);
    json_t *json = body ? json_loads (body, 0, NULL) : NULL;
    free (body);
    return json;
}

//  The integer key of the entry of array whose field id_key is id, or -1.
static json_int_t
s_field (json_t *array, const char *id_key, const char *id, const char *key)
{
    size_t index;
    json_t *entry;
    json_array_foreach (array, index, entry)
    {
        if (strcmp (json_string_value (json_object_get (entry, id_key)) ?: "", id) == 0)
            return json_is_integer (json_object_get (entry, key))
                       ? json_integer_value (json_object_get (entry, key))
                       : -1;
    }
    return -1;
}

//  The probe spout emits exactly PROBE_MESSAGES numbers; the sink drops
//  the first delivery of every DROP_EVERY-th, whose trees time out, and
//  fails the first delivery of every number n with n % FAIL_EVERY == 1;
//  both are emitted again. Nimbus's REST API and /metrics, fed by the
//  workers' heartbeats, must end with exactly those counts, and the
//  ackers' blame must name the sink as holding exactly the DROPPED
//  timed-out trees and as failing exactly the FAILED ones.
START_TEST (test_metrics_rest_and_prometheus)
{
    enum {
        DROP_EVERY = 100,
        DROPPED = PROBE_MESSAGES / DROP_EVERY,
        FAIL_EVERY = 150,
        FAILED = PROBE_MESSAGES / FAIL_EVERY,
        DELIVERED = PROBE_MESSAGES + DROPPED + FAILED
    };
    char fail_option[64];
    snprintf (fail_option, sizeof fail_option, "probe.fail.every=%d", FAIL_EVERY);
    s_submit_probe_with ("2", "2", "600", 3, DROP_EVERY, fail_option);
    s_assert_probe_complete (120);
    sq_assignment_t *assignment = s_assignment ("probe");
    ck_assert_ptr_nonnull (assignment);
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s", assignment->topology_id);
    //  Heartbeats come every few seconds: poll until the spout's last
    //  acks have reached nimbus.
    json_t *answer = NULL;
    json_t *spouts = NULL, *bolts = NULL;
    long long deadline = test_processes_now_ms () + 30000;
    while (test_processes_now_ms () < deadline) {
        json_decref (answer);
        answer = s_ui_json (path);
        spouts = json_object_get (answer, "spouts");
        bolts = json_object_get (answer, "bolts");
        if (s_field (spouts, "spoutId", "numbers", "acked") == PROBE_MESSAGES &&
            s_field (bolts, "boltId", "sink", "executed") == DELIVERED &&
            s_field (bolts, "boltId", "sink", "timeoutsHeld") == DROPPED &&
            s_field (bolts, "boltId", "sink", "failsBlamed") == FAILED)
            break;
        usleep (200000);
    }
    ck_assert_msg (answer, "no answer from %s", path);
    ck_assert_int_eq (s_field (spouts, "spoutId", "numbers", "acked"), PROBE_MESSAGES);
    ck_assert_int_eq (s_field (spouts, "spoutId", "numbers", "emitted"), DELIVERED);
    ck_assert_int_eq (s_field (spouts, "spoutId", "numbers", "timedOut"), DROPPED);
    //  Storm's failed counts timeouts too.
    ck_assert_int_eq (s_field (spouts, "spoutId", "numbers", "failed"), DROPPED + FAILED);
    ck_assert_int_eq (s_field (bolts, "boltId", "sink", "executed"), DELIVERED);
    ck_assert_int_eq (s_field (bolts, "boltId", "sink", "acked"), PROBE_MESSAGES);
    ck_assert_int_eq (s_field (bolts, "boltId", "sink", "failed"), FAILED);
    ck_assert_int_eq (s_field (bolts, "boltId", "relay", "executed"), DELIVERED);
    //  The culprit: the sink held every timed-out tree and failed the rest.
    ck_assert_int_eq (s_field (bolts, "boltId", "sink", "timeoutsHeld"), DROPPED);
    ck_assert_int_eq (s_field (bolts, "boltId", "sink", "failsBlamed"), FAILED);
    ck_assert_int_eq (s_field (bolts, "boltId", "relay", "timeoutsHeld"), 0);
    ck_assert_int_eq (s_field (bolts, "boltId", "relay", "failsBlamed"), 0);
    ck_assert_int_eq (s_field (spouts, "spoutId", "numbers", "timeoutsHeld"), 0);
    //  The run took less than 10 minutes: the 600 s window holds it all.
    json_t *stats = json_object_get (answer, "topologyStats");
    ck_assert_int_eq (s_field (stats, "window", "600", "acked"), PROBE_MESSAGES);
    ck_assert_int_eq (s_field (stats, "window", ":all-time", "timedOut"), DROPPED);
    ck_assert_int_eq (s_field (stats, "window", ":all-time", "timeoutsHeld"), DROPPED);
    json_decref (answer);

    //  The sink's page: per window and summed over its executors.
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/sink", assignment->topology_id);
    answer = s_ui_json (path);
    ck_assert_msg (answer, "no answer from %s", path);
    json_t *windows = json_object_get (answer, "boltStats");
    ck_assert_int_eq (s_field (windows, "window", "600", "timeoutsHeld"), DROPPED);
    ck_assert_int_eq (s_field (windows, "window", ":all-time", "timeoutsHeld"), DROPPED);
    ck_assert_int_eq (s_field (windows, "window", ":all-time", "failsBlamed"), FAILED);
    json_int_t held = 0;
    size_t index;
    json_t *executor;
    json_array_foreach (json_object_get (answer, "executorStats"), index, executor) held +=
        json_integer_value (json_object_get (executor, "timeoutsHeld"));
    ck_assert_int_eq (held, DROPPED);
    json_decref (answer);

    //  The spout's executor, as /metrics labels it.
    snprintf (path, sizeof path, "/api/v1/topology/%s/component/numbers", assignment->topology_id);
    answer = s_ui_json (path);
    const char *id = json_string_value (
        json_object_get (json_array_get (json_object_get (answer, "executorStats"), 0), "id"));
    int first = 0, last = 0;
    ck_assert_msg (id && sscanf (id, "[%d-%d]", &first, &last) == 2, "no executor id");
    char task[64];
    snprintf (task, sizeof task, "%d-%d", first, last);
    json_decref (answer);

    char *text = s_ui_get ("/metrics");
    ck_assert_ptr_nonnull (text);
    char line[256];
    snprintf (line, sizeof line,
              "squall_stream_acked_trees_total{topology=\"probe\",component=\"numbers\","
              "task=\"%s\",stream=\"default\"} %d\n",
              task, PROBE_MESSAGES);
    ck_assert_msg (strstr (text, line), "/metrics lacks %s", line);
    snprintf (line, sizeof line,
              "squall_stream_timed_out_trees_total{topology=\"probe\",component=\"numbers\","
              "task=\"%s\",stream=\"default\"} %d\n",
              task, DROPPED);
    ck_assert_msg (strstr (text, line), "/metrics lacks %s", line);
    //  The sink's tasks' timeouts held add up to the drops.
    const char *prefix = "squall_timeouts_held_total{topology=\"probe\",component=\"sink\",task=\"";
    long long sink_held = 0;
    int sink_tasks = 0;
    for (const char *at = strstr (text, prefix); at; at = strstr (at + 1, prefix)) {
        const char *value = strstr (at, "} ");
        ck_assert_ptr_nonnull (value);
        sink_held += atoll (value + 2);
        sink_tasks++;
    }
    ck_assert_int_gt (sink_tasks, 0);
    ck_assert_int_eq (sink_held, DROPPED);
    free (text);
    sq_assignment_destroy (&assignment);
}
END_TEST

//  ---------------------------------------------------------------------
//  Tuple tracing across workers

//  An acked tree of traces whose hops reach relay and sink, each on a
//  worker "127.0.0.1:port", times in order; NULL when there is none.
static json_t *
s_whole_tree (json_t *traces)
{
    size_t t, h;
    json_t *trace, *hop;
    json_array_foreach (traces, t, trace)
    {
        if (strcmp (json_string_value (json_object_get (trace, "status")) ?: "", "acked"))
            continue;
        bool relay = false, sink = false, ordered = true;
        json_array_foreach (json_object_get (trace, "hops"), h, hop)
        {
            const char *component = json_string_value (json_object_get (hop, "component")) ?: "";
            const char *worker = json_string_value (json_object_get (hop, "worker")) ?: "";
            json_t *emit = json_object_get (hop, "emitMs");
            json_t *execute = json_object_get (hop, "executeMs");
            json_t *done = json_object_get (hop, "doneMs");
            ordered &= strncmp (worker, "127.0.0.1:", 10) == 0 && json_is_number (emit) &&
                       json_is_number (execute) && json_is_number (done) &&
                       json_number_value (execute) >= json_number_value (emit) &&
                       json_number_value (done) >= json_number_value (execute);
            relay |= strcmp (component, "relay") == 0;
            sink |= strcmp (component, "sink") == 0;
        }
        if (relay && sink && ordered)
            return trace;
    }
    return NULL;
}

//  True when a tree of traces has hops executed on two workers.
static bool
s_crosses_workers (json_t *traces)
{
    size_t t, h;
    json_t *trace, *hop;
    json_array_foreach (traces, t, trace)
    {
        const char *first = NULL;
        json_array_foreach (json_object_get (trace, "hops"), h, hop)
        {
            const char *worker = json_string_value (json_object_get (hop, "worker"));
            if (worker && first && strcmp (worker, first) != 0)
                return true;
            first = first ? first : worker;
        }
    }
    return false;
}

//  A failed tree of traces that says it stopped at the sink, which
//  failed it; NULL when there is none.
static json_t *
s_tree_failed_at_sink (json_t *traces)
{
    size_t t;
    json_t *trace;
    json_array_foreach (traces, t, trace)
    {
        if (strcmp (json_string_value (json_object_get (trace, "status")) ?: "", "failed"))
            continue;
        json_t *where = json_array_get (json_object_get (trace, "stoppedAt"), 0);
        if (strcmp (json_string_value (json_object_get (where, "component")) ?: "", "sink") == 0 &&
            strstr (json_string_value (json_object_get (where, "reason")) ?: "", "failed"))
            return trace;
    }
    return NULL;
}

//  The probe runs over two workers with tracing off; the REST debug route
//  turns it on at run time (through the topology's record in ZooKeeper),
//  and the traces endpoint then shows whole trees whose hops name their
//  workers, and a tree the sink failed stopping at the sink; storm-submit
//  trace --off turns it off again and prints the same trees.
START_TEST (test_traces_across_workers)
{
    enum { FAIL_EVERY = 150 };
    char fail_option[64];
    snprintf (fail_option, sizeof fail_option, "probe.fail.every=%d", FAIL_EVERY);
    s_submit_probe_with ("2", "1", "100", 5, 0, fail_option);
    ck_assert (s_wait_probe_acked (50, 60));
    sq_assignment_t *assignment = s_assignment ("probe");
    ck_assert_ptr_nonnull (assignment);
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s/traces", assignment->topology_id);
    json_t *answer = s_ui_json (path);
    ck_assert_msg (answer, "no answer from %s", path);
    ck_assert_double_eq (json_number_value (json_object_get (answer, "samplePct")), 0);
    ck_assert_uint_eq (json_array_size (json_object_get (answer, "traces")), 0);
    json_decref (answer);

    char debug[512];
    snprintf (debug, sizeof debug, "/api/v1/topology/%s/debug/enable/50", assignment->topology_id);
    char *reply = NULL;
    int status = http_client_request (cluster_harness_ui_port (s_cluster), "POST", debug, NULL,
                                      10000, &reply);
    ck_assert_msg (status == 200, "POST %s: %d %s", debug, status, reply);
    ck_assert (strstr (http_client_body (reply), "\"debug\""));
    free (reply);

    json_t *whole = NULL, *failed = NULL;
    long long deadline = test_processes_now_ms () + 60000;
    answer = NULL;
    while (test_processes_now_ms () < deadline && !(whole && failed)) {
        json_decref (answer);
        answer = s_ui_json (path);
        json_t *traces = json_object_get (answer, "traces");
        whole = s_whole_tree (traces);
        failed = s_tree_failed_at_sink (traces);
        if (!(whole && failed))
            usleep (250000);
    }
    ck_assert_msg (answer, "no answer from %s", path);
    ck_assert_double_eq (json_number_value (json_object_get (answer, "samplePct")), 50);
    ck_assert_msg (whole, "no acked tree with every hop on a worker");
    ck_assert_msg (failed, "no failed tree stopping at the sink");
    ck_assert_msg (s_crosses_workers (json_object_get (answer, "traces")),
                   "no tree crosses from one worker to the other");
    ck_assert_str_eq (json_string_value (json_object_get (whole, "spout")), "numbers");
    printf ("trace: %zu trees held; an acked one of %zu hops, a failed one of %zu\n",
            json_array_size (json_object_get (answer, "traces")),
            json_array_size (json_object_get (whole, "hops")),
            json_array_size (json_object_get (failed, "hops")));
    ck_assert_uint_ge (json_array_size (json_object_get (answer, "edges")), 2);
    json_decref (answer);

    char *output = s_cli (0, "trace", "probe", "--off", NULL);
    ck_assert_msg (strstr (output, "tracing 0% of spout trees from now on"), "%s", output);
    ck_assert_msg (strstr (output, "numbers:"), "no hop in %s", output);
    ck_assert_msg (strstr (output, "hop latency per edge"), "no edges in %s", output);
    free (output);
    answer = s_ui_json (path);
    ck_assert_double_eq (json_number_value (json_object_get (answer, "samplePct")), 0);
    json_decref (answer);
    sq_assignment_destroy (&assignment);
}
END_TEST

int
main (void)
{
    //  Every cluster of the suite lives in it, so nothing a failed test
    //  leaves (its workers outlive their supervisors) survives the suite.
    if (!test_processes_suite_dir ("test_cluster"))
        return 99;
    Suite *suite = suite_create ("cluster");
    TCase *tcase = tcase_create ("operations");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_wordcount_exact_counts_across_workers);
    tcase_add_test (tcase, test_worker_kill_loses_nothing);
    tcase_add_test (tcase, test_message_timeout_fires_between_t_and_2t);
    tcase_add_test (tcase, test_supervisor_loss_moves_executors);
    tcase_add_test (tcase, test_nimbus_restart_keeps_processing);
    tcase_add_test (tcase, test_kill_frees_slots_and_rebalance_moves_executors);
    tcase_add_test (tcase, test_rebalance_survives_nimbus_restart);
    tcase_add_test (tcase, test_garbage_is_dropped_and_everyone_keeps_running);
    suite_add_tcase (suite, tcase);
    //  Its own case, so that CK_RUN_CASE=groupings runs it alone.
    TCase *groupings = tcase_create ("groupings");
    tcase_set_timeout (groupings, 300);
    tcase_add_checked_fixture (groupings, s_setup, s_teardown);
    tcase_add_test (groupings, test_custom_and_partial_key_groupings_across_workers);
    suite_add_tcase (suite, groupings);
    TCase *status = tcase_create ("status");
    tcase_set_timeout (status, 300);
    tcase_add_checked_fixture (status, s_setup, s_teardown);
    tcase_add_test (status, test_submitted_inactive_emits_only_once_activated);
    suite_add_tcase (suite, status);
    //  A case of its own: CK_RUN_CASE=parity runs just it.
    tcase = tcase_create ("parity");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_reset_timeout_and_task_hooks_across_workers);
    suite_add_tcase (suite, tcase);
    //  The same with CURVE on every link: CK_RUN_CASE=secure.
    tcase = tcase_create ("secure");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup_secure, s_teardown);
    tcase_add_test (tcase, test_wordcount_exact_counts_across_workers);
    tcase_add_test (tcase, test_worker_kill_loses_nothing);
    suite_add_tcase (suite, tcase);
    //  CK_RUN_CASE=metrics runs just it.
    tcase = tcase_create ("memory");
    tcase_set_timeout (tcase, 240);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_worker_over_memory_limit_is_killed);
    suite_add_tcase (suite, tcase);

    //  CK_RUN_CASE=stuck runs just it.
    tcase = tcase_create ("stuck");
    tcase_set_timeout (tcase, 240);
    tcase_add_checked_fixture (tcase, s_setup_one_slot, s_teardown);
    tcase_add_test (tcase, test_stuck_bolt_does_not_keep_its_worker);
    suite_add_tcase (suite, tcase);

    tcase = tcase_create ("logs");
    tcase_set_timeout (tcase, 240);
    tcase_add_checked_fixture (tcase, s_setup_logs, s_teardown_logs);
    tcase_add_test (tcase, test_logs_go_under_storm_log_dir);
    suite_add_tcase (suite, tcase);

    tcase = tcase_create ("metrics");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_metrics_rest_and_prometheus);
    suite_add_tcase (suite, tcase);
    //  CK_RUN_CASE=trace runs just it.
    tcase = tcase_create ("trace");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_traces_across_workers);
    suite_add_tcase (suite, tcase);
    //  A case of its own: CK_RUN_CASE=monitor runs just it.
    tcase = tcase_create ("monitor");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_monitor_shows_throughput_per_component);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
