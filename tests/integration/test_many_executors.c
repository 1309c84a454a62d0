/*  test_many_executors - one worker of 5,000 executors on a real cluster

    ZooKeeper, nimbus, one supervisor of one slot and its worker as
    separate processes (cluster_harness). The probe topology with 4,996
    relay executors, its spout, two sinks and one acker (5,000 executors in
    one worker), acking on: every message is acked, each exactly once in
    the spout's log, and nothing fails. The worker's resident memory is
    measured and must stay within a worker's default memory (Storm's
    worker.heap.memory.mb, 768 MB); the suite prints it.
*/
#include "cluster_harness.h"
#include "test_processes.h"

#include <check.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MANY_EXECUTORS 5000     //  in the one worker
#define MANY_MESSAGES 2000      //  the probe's numbers
#define MANY_MEMORY_KIB 786432  //  768 MB, Storm's worker.heap.memory.mb default
#define MANY_DEADLINE_MS 400000 //  until every message is acked (a sanitizer build needs minutes)

//  A sanitizer build holds several times the memory of the same code built
//  for use: the bound on the worker's memory is checked without one only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MANY_SANITIZED true
#else
#define MANY_SANITIZED false
#endif

//  Resident KiB of a process, or -1.
static long
s_rss_kib (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    long kib = -1;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kib = strtol (line + 6, NULL, 10);
    if (file)
        fclose (file);
    return kib;
}

//  Lines of the acked log: distinct numbers in *distinct_p, all in *total_p.
static void
s_acked (const char *path, int *distinct_p, int *total_p)
{
    static bool seen[MANY_MESSAGES];
    memset (seen, 0, sizeof seen);
    *distinct_p = *total_p = 0;
    FILE *file = fopen (path, "r");
    int number;
    while (file && fscanf (file, "%d\n", &number) == 1) {
        (*total_p)++;
        if (number >= 0 && number < MANY_MESSAGES && !seen[number]) {
            seen[number] = true;
            (*distinct_p)++;
        }
    }
    if (file)
        fclose (file);
}

START_TEST (test_one_worker_of_5000_executors_acks_every_message_once)
{
    cluster_harness_t *cluster = cluster_harness_new (1, 1);
    ck_assert_msg (cluster != NULL, "the cluster did not start");
    char *probe = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    ck_assert_msg (probe != NULL, "probe_topology not built");
    char dir[4200], acked_log[4300], failed_log[4300], relays[64], messages[64];
    snprintf (dir, sizeof dir, "probe.dir=%s", cluster_harness_dir (cluster));
    snprintf (acked_log, sizeof acked_log, "%s/acked.log", cluster_harness_dir (cluster));
    snprintf (failed_log, sizeof failed_log, "%s/failed.log", cluster_harness_dir (cluster));
    //  numbers (1) + relay + sink (2) + acker (1)
    snprintf (relays, sizeof relays, "probe.relay.executors=%d", MANY_EXECUTORS - 4);
    snprintf (messages, sizeof messages, "probe.messages=%d", MANY_MESSAGES);
    const char *submit[] = {probe, "probe",
                            "-c",  dir,
                            "-c",  relays,
                            "-c",  messages,
                            "-c",  "topology.workers=1",
                            "-c",  "topology.acker.executors=1",
                            "-c",  "topology.message.timeout.secs=120",
                            NULL};
    char *output = NULL;
    int status = cluster_harness_cli (cluster, &output, submit);
    ck_assert_msg (status == 0, "storm-submit exited %d: %s", status, output);
    free (output);
    int distinct = 0, total = 0;
    long most_kib = -1;
    int64_t start = zclock_mono (), first_ack = -1;
    while (distinct < MANY_MESSAGES && zclock_mono () < start + MANY_DEADLINE_MS) {
        pid_t worker = cluster_harness_worker_pid (cluster, 0, 0);
        long kib = worker > 0 ? s_rss_kib (worker) : -1;
        if (kib > most_kib)
            most_kib = kib;
        s_acked (acked_log, &distinct, &total);
        if (distinct > 0 && first_ack < 0)
            first_ack = zclock_mono () - start;
        zclock_sleep (200);
    }
    fprintf (stderr,
             "test_many_executors: %d executors in one worker: %d of %d messages acked "
             "(first after %.1f s, the last after %.1f s), worker resident memory at most %ld "
             "KiB (%.1f KiB an executor)\n",
             MANY_EXECUTORS, distinct, MANY_MESSAGES, (double) first_ack / 1000,
             (double) (zclock_mono () - start) / 1000, most_kib,
             (double) most_kib / MANY_EXECUTORS);
    ck_assert_msg (distinct == MANY_MESSAGES, "%d of %d messages acked within %d s", distinct,
                   MANY_MESSAGES, MANY_DEADLINE_MS / 1000);
    ck_assert_msg (total == MANY_MESSAGES, "%d acks for %d messages", total, MANY_MESSAGES);
    struct stat info;
    ck_assert_msg (stat (failed_log, &info) != 0 || info.st_size == 0, "messages failed");
    ck_assert_msg (most_kib > 0, "the worker's memory could not be read");
    ck_assert_msg (MANY_SANITIZED || most_kib <= MANY_MEMORY_KIB,
                   "the worker held %ld KiB, more than %d", most_kib, MANY_MEMORY_KIB);
    free (probe);
    cluster_harness_destroy (&cluster);
}
END_TEST

int
main (void)
{
    if (!test_processes_suite_dir ("test_many_executors"))
        return 99;
    Suite *suite = suite_create ("many_executors");
    TCase *tcase = tcase_create ("many_executors");
    tcase_set_timeout (tcase, 480);
    tcase_add_test (tcase, test_one_worker_of_5000_executors_acks_every_message_once);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
