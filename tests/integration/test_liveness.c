/*  test_liveness - nimbus notices a lost supervisor by its heartbeats, and
    a slow one loses nothing

    ZooKeeper, nimbus and two supervisors of two slots as separate
    processes (cluster_harness), with a ZooKeeper session timeout of 20 s,
    so that anything that moves within a few seconds was moved by the
    supervisors' heartbeats to nimbus (nimbus.supervisor.timeout.secs, 2 by
    default), not by the session's end. The probe topology runs on two
    workers, one on each supervisor.

    - A supervisor stopped (SIGSTOP) for 2 s, its workers still running:
      no reassignment, no worker restarted, and tuples keep flowing.
    - A supervisor killed (kill -9) with its workers: its executors are
      reassigned within the timeout and a little more, and every message
      is acked in the end.
*/
#include "cluster_harness.h"
#include "test_processes.h"
#include "sq_assignment.h"

#include <check.h>
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LIVENESS_SESSION_MS 20000 //  the daemons' ZooKeeper session timeout
#define LIVENESS_MESSAGES 4000    //  the probe's numbers, 200 a second
#define LIVENESS_STOP_MS 2000     //  how long a supervisor is stopped
#define LIVENESS_MOVE_MS 5000     //  a killed supervisor's executors move within this

static cluster_harness_t *s_cluster;

static void
s_setup (void)
{
    cluster_harness_options_t options = {.zk_session_timeout_ms = LIVENESS_SESSION_MS,
                                         .fast_loss_detection = true};
    s_cluster = cluster_harness_new_with (2, 2, &options);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
    char *probe = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    ck_assert_msg (probe != NULL, "probe_topology not built");
    char dir[4200], messages[64];
    snprintf (dir, sizeof dir, "probe.dir=%s", cluster_harness_dir (s_cluster));
    snprintf (messages, sizeof messages, "probe.messages=%d", LIVENESS_MESSAGES);
    const char *submit[] = {probe, "probe",
                            "-c",  dir,
                            "-c",  messages,
                            "-c",  "probe.rate=200",
                            "-c",  "topology.workers=2",
                            "-c",  "topology.message.timeout.secs=10",
                            NULL};
    char *output = NULL;
    int status = cluster_harness_cli (s_cluster, &output, submit);
    ck_assert_msg (status == 0, "storm-submit exited %d: %s", status, output);
    free (output);
    free (probe);
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

//  Distinct numbers in the acked log.
static int
s_acked (void)
{
    return cluster_harness_probe_acked (cluster_harness_dir (s_cluster), LIVENESS_MESSAGES);
}

//  True once at least `count` numbers are acked, polling up to timeout_ms.
static bool
s_wait_acked (int count, int64_t timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (s_acked () < count)
        if (zclock_mono () > deadline)
            return false;
        else
            zclock_sleep (50);
    return true;
}

//  The probe's assignment from ZooKeeper, or NULL.
static sq_assignment_t *
s_assignment (void)
{
    char *data = NULL;
    size_t size = 0;
    if (sq_zk_get (cluster_harness_zk (s_cluster), "/assignments/probe", &data, &size, false))
        return NULL;
    sq_assignment_t *assignment = sq_assignment_decode (data, size);
    free (data);
    return assignment;
}

//  Workers of supervisor index on the assignment.
static size_t
s_workers_on (const sq_assignment_t *assignment, int index)
{
    return sq_assignment_supervisor_slots (
        assignment, cluster_harness_supervisor_id (s_cluster, index), NULL, 0);
}

//  The worker pids of every slot, in supervisor then slot order.
static void
s_worker_pids (pid_t pids[4])
{
    for (int index = 0; index < 2; index++)
        for (int slot = 0; slot < 2; slot++)
            pids[index * 2 + slot] = cluster_harness_worker_pid (s_cluster, index, slot);
}

START_TEST (test_a_stopped_supervisor_loses_nothing)
{
    ck_assert (s_wait_acked (100, 60000));
    sq_assignment_t *before = s_assignment ();
    ck_assert_ptr_nonnull (before);
    ck_assert_uint_eq (s_workers_on (before, 0), 1);
    ck_assert_uint_eq (s_workers_on (before, 1), 1);
    pid_t pids[4], now[4];
    s_worker_pids (pids);
    pid_t supervisor = cluster_harness_supervisor_pid (s_cluster, 0);
    ck_assert_int_eq (kill (supervisor, SIGSTOP), 0);
    int64_t stopped_at = zclock_mono ();
    //  While it is stopped, and for the timeout after it resumes (when a
    //  wrong verdict would have been reached at the latest), nothing moves.
    bool resumed = false;
    while (zclock_mono () - stopped_at < LIVENESS_STOP_MS + LIVENESS_MOVE_MS) {
        if (!resumed && zclock_mono () - stopped_at >= LIVENESS_STOP_MS) {
            ck_assert_int_eq (kill (supervisor, SIGCONT), 0);
            resumed = true;
        }
        sq_assignment_t *assignment = s_assignment ();
        ck_assert_ptr_nonnull (assignment);
        ck_assert_msg (assignment->generation == before->generation &&
                           sq_assignment_same_placement (assignment, before),
                       "the assignment changed %lld ms after the supervisor stopped",
                       (long long) (zclock_mono () - stopped_at));
        sq_assignment_destroy (&assignment);
        s_worker_pids (now);
        ck_assert_msg (memcmp (now, pids, sizeof pids) == 0, "a worker was restarted");
        zclock_sleep (100);
    }
    //  And tuples flowed all along.
    ck_assert (s_wait_acked (LIVENESS_MESSAGES, 120000));
    sq_assignment_destroy (&before);
}
END_TEST

START_TEST (test_a_killed_supervisors_work_moves_within_the_timeout)
{
    ck_assert (s_wait_acked (100, 60000));
    sq_assignment_t *before = s_assignment ();
    ck_assert_ptr_nonnull (before);
    ck_assert_uint_eq (s_workers_on (before, 0), 1);
    sq_assignment_destroy (&before);
    int64_t killed_at = zclock_mono ();
    cluster_harness_stop_supervisor (s_cluster, 0, SIGKILL, true);
    int64_t moved_ms = -1;
    while (moved_ms < 0 && zclock_mono () - killed_at < LIVENESS_SESSION_MS) {
        sq_assignment_t *assignment = s_assignment ();
        if (assignment && s_workers_on (assignment, 0) == 0 && s_workers_on (assignment, 1) > 0)
            moved_ms = zclock_mono () - killed_at;
        sq_assignment_destroy (&assignment);
        zclock_sleep (50);
    }
    fprintf (stderr, "test_liveness: the killed supervisor's executors moved after %lld ms\n",
             (long long) moved_ms);
    ck_assert_msg (moved_ms >= 0 && moved_ms <= LIVENESS_MOVE_MS,
                   "the executors moved after %lld ms (-1: not within the session timeout)",
                   (long long) moved_ms);
    ck_assert_msg (s_wait_acked (LIVENESS_MESSAGES, 120000), "%d of %d messages acked", s_acked (),
                   LIVENESS_MESSAGES);
}
END_TEST

int
main (void)
{
    if (!test_processes_suite_dir ("test_liveness"))
        return 99;
    Suite *suite = suite_create ("liveness");
    TCase *tcase = tcase_create ("liveness");
    tcase_set_timeout (tcase, 200);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_a_stopped_supervisor_loses_nothing);
    tcase_add_test (tcase, test_a_killed_supervisors_work_moves_within_the_timeout);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
