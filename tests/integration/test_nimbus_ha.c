/*  test_nimbus_ha - nimbus high availability on a real cluster

    Two nimbuses (cluster_harness's standby_nimbuses) on their own ports
    and storm.local.dirs share one ZooKeeper; the supervisor and its
    workers know both through nimbus.seeds. Case "standby": the standby
    never writes an assignment while the first nimbus leads, answers the
    verbs only the leader serves by naming it, copies the leader's
    package, and storm-submit reaches the leader through the standby's
    address and through seeds that list a dead nimbus first; the REST API
    lists both with Storm's statuses. Case "takeover": nimbus is killed
    with SIGKILL in the middle of a probe run; the standby takes over
    within seconds, the workers keep running, the probe loses nothing
    (every acked number is in a sink log), the generation never goes
    backwards, a submit afterwards works, and the old leader, started
    again, stands by. Case "fencing": nimbus is frozen (SIGSTOP) past its
    ZooKeeper session timeout; the standby takes over; thawed, the old
    leader steps down, registers again and stands by, and nothing is lost.
*/
#include "cluster_harness.h"
#include "http_client.h"
#include "test_processes.h"
#include "sq_assignment.h"
#include "sq_topology_record.h"

#include <check.h>
#include <czmq.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROBE_MESSAGES 3000
#define SESSION_TIMEOUT_MS 4000 //  the daemons' ZooKeeper session timeout

static cluster_harness_t *s_cluster;
static char s_probe_dir[4200];

static void
s_setup (void)
{
    s_cluster = cluster_harness_new_with (
        1, 3,
        &(cluster_harness_options_t){.standby_nimbuses = 1,
                                     .zk_session_timeout_ms = SESSION_TIMEOUT_MS});
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
    snprintf (s_probe_dir, sizeof s_probe_dir, "%s/probe", cluster_harness_dir (s_cluster));
    mkdir (s_probe_dir, 0755);
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

//  Run storm-submit at nimbus (NULL: no --nimbus) with the arguments (NULL
//  terminated); assert its exit status; return its output (caller frees).
static char *
s_cli_via (const char *nimbus, int expected, ...)
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
    int status = cluster_harness_cli_via (s_cluster, nimbus, &output, args);
    ck_assert_msg (status == expected, "storm-submit %s exited %d, expected %d: %s", args[0],
                   status, expected, output);
    return output;
}

//  "127.0.0.1:PORT" of nimbus index, in a static buffer of its own.
static const char *
s_address (int index)
{
    static char addresses[4][64];
    snprintf (addresses[index], sizeof addresses[index], "127.0.0.1:%d",
              cluster_harness_nimbus_port_at (s_cluster, index));
    return addresses[index];
}

//  The probe's config options and package; submitted at nimbus.
static void
s_submit_probe (const char *nimbus, const char *name, int rate)
{
    char *package = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    ck_assert_ptr_nonnull (package);
    char dir[4400], messages[64], rate_option[64];
    snprintf (dir, sizeof dir, "probe.dir=%s", s_probe_dir);
    snprintf (messages, sizeof messages, "probe.messages=%d", PROBE_MESSAGES);
    snprintf (rate_option, sizeof rate_option, "probe.rate=%d", rate);
    free (s_cli_via (nimbus, 0, package, name, "-c", dir, "-c", messages, "-c",
                     "topology.workers=2", "-c", "probe.per.call=1", "-c", rate_option, "-c",
                     "topology.message.timeout.secs=5", "-c", "probe.groupings=false", NULL));
    free (package);
}

static int
s_probe_acked (void)
{
    return cluster_harness_probe_acked (s_probe_dir, PROBE_MESSAGES);
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

//  The assignment of topology name as ZooKeeper holds it, or NULL.
static sq_assignment_t *
s_assignment (const char *name)
{
    char path[256];
    snprintf (path, sizeof path, "/assignments/%s", name);
    char *data = NULL;
    size_t size = 0;
    if (sq_zk_get (cluster_harness_zk (s_cluster), path, &data, &size, false) != 0)
        return NULL;
    sq_assignment_t *assignment = sq_assignment_decode (data, size);
    free (data);
    return assignment;
}

//  Generation of topology name's assignment, -1 when it has none.
static int64_t
s_generation (const char *name)
{
    sq_assignment_t *assignment = s_assignment (name);
    int64_t generation = assignment ? assignment->generation : -1;
    sq_assignment_destroy (&assignment);
    return generation;
}

//  True when nimbus index holds the package of topology name.
static bool
s_has_package (int index, const char *name)
{
    char path[4400];
    snprintf (path, sizeof path, "/topologies/%s", name);
    char *data = NULL;
    size_t size = 0;
    if (sq_zk_get (cluster_harness_zk (s_cluster), path, &data, &size, false) != 0)
        return false;
    sq_topology_record_t *record = sq_topology_record_decode (data, size);
    free (data);
    if (!record)
        return false;
    snprintf (path, sizeof path, "%s/nimbus/packages/%s.so",
              cluster_harness_nimbus_local_at (s_cluster, index), record->id);
    sq_topology_record_destroy (&record);
    return access (path, R_OK) == 0;
}

static bool
s_wait_package (int index, const char *name, double seconds)
{
    for (int waited = 0; waited < seconds * 10; waited++) {
        if (s_has_package (index, name))
            return true;
        usleep (100000);
    }
    return false;
}

//  The REST nimbus summary of nimbus index (caller frees), or NULL.
static char *
s_summary (int index)
{
    char *answer = NULL;
    int status = http_client_request (cluster_harness_ui_port_at (s_cluster, index), "GET",
                                      "/api/v1/nimbus/summary", NULL, 5000, &answer);
    if (status != 200) {
        free (answer);
        return NULL;
    }
    return answer;
}

//  Occurrences of needle in text.
static int
s_count (const char *text, const char *needle)
{
    int count = 0;
    for (const char *at = strstr (text, needle); at; at = strstr (at + 1, needle))
        count++;
    return count;
}

//  Submit the probe at nimbus, wait until it runs and the standby has
//  copied its package.
static void
s_start_probe_run (const char *nimbus, int rate)
{
    s_submit_probe (nimbus, "probe", rate);
    ck_assert_msg (s_wait_probe_acked (100, 60), "the probe did not start: %d acked",
                   s_probe_acked ());
    ck_assert_msg (s_wait_package (1, "probe", 30), "the standby did not copy the package");
}

//  Wait until nimbus index leads, 30 s at most from since (ms). Returns
//  whether it does.
static bool
s_wait_leader (int index, long long since)
{
    while (cluster_harness_leader (s_cluster) != index) {
        if (test_processes_now_ms () - since >= 30000)
            return false;
        usleep (100000);
    }
    return true;
}

//  Every number acked at the spout, and every acked number in a sink log.
static void
s_assert_nothing_lost (void)
{
    ck_assert_msg (s_wait_probe_acked (PROBE_MESSAGES, 120), "only %d of %d messages acked",
                   s_probe_acked (), PROBE_MESSAGES);
    int stored = cluster_harness_probe_distinct (
        s_probe_dir, (const char *const[]){"sink-6.log", "sink-7.log", NULL}, PROBE_MESSAGES);
    ck_assert_msg (stored == PROBE_MESSAGES, "lost %d of %d acked messages: in no sink log",
                   PROBE_MESSAGES - stored, PROBE_MESSAGES);
}

START_TEST (test_standby_stands_by)
{
    ck_assert_int_eq (cluster_harness_leader (s_cluster), 0);
    //  Submitted through the standby's address: it names the leader, and
    //  storm-submit goes there.
    s_start_probe_run (s_address (1), 300);
    int64_t generation = s_generation ("probe");
    ck_assert_int_ge (generation, 1);

    //  The verbs only the leader serves: a standby names the leader.
    char *package = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    char endpoint[80];
    snprintf (endpoint, sizeof endpoint, "tcp://%s", s_address (1));
    sq_control_t *control = sq_control_new (endpoint);
    ck_assert_ptr_nonnull (control);
    json_t *request = json_pack ("{s:s, s:s}", "verb", "deactivate", "name", "probe");
    json_t *reply = sq_control_request (control, request, NULL, 0, 5000, NULL, NULL);
    json_decref (request);
    ck_assert_msg (!reply && sq_control_answered (control), "the standby deactivated: %s",
                   sq_last_error ());
    char expected[128];
    snprintf (expected, sizeof expected, "not the leader; leader is %s", s_address (0));
    ck_assert_msg (strstr (sq_last_error (), expected), "the standby said: %s", sq_last_error ());
    sq_control_destroy (&control);
    //  Read verbs are served by the standby itself.
    char *listed = s_cli_via (s_address (1), 0, "list", NULL);
    ck_assert_msg (strstr (listed, "probe"), "list at the standby: %s", listed);
    free (listed);

    //  Seeds with a nimbus that is not there first: storm-submit moves on.
    int dead_port = test_processes_free_port ();
    char seeds[256];
    snprintf (seeds, sizeof seeds, "nimbus.seeds=127.0.0.1:%d,%s,%s", dead_port, s_address (1),
              s_address (0));
    char dir[4400];
    snprintf (dir, sizeof dir, "probe.dir=%s/second", s_probe_dir);
    free (s_cli_via (NULL, 0, "--timeout", "3", "-c", seeds, package, "second", "-c", dir, "-c",
                     "topology.workers=1", "-c", "probe.messages=10", "-c", "probe.groupings=false",
                     NULL));
    free (package);

    //  The REST API of either nimbus lists both, one of them leading.
    for (int index = 0; index < 2; index++) {
        char *summary = s_summary (index);
        ck_assert_msg (summary, "no nimbus summary from nimbus %d", index);
        ck_assert_msg (s_count (summary, "\"Leader\"") == 1 &&
                           s_count (summary, "\"Not a Leader\"") == 1,
                       "nimbus %d's summary: %s", index, summary);
        free (summary);
    }

    //  While the first leads, nothing else writes: over ten monitor
    //  periods of the standby the generation stays where the leader put
    //  it (no worker died, so the leader has no reason to move it).
    for (int second = 0; second < 10; second++) {
        ck_assert_int_eq (s_generation ("probe"), generation);
        ck_assert_int_eq (cluster_harness_leader (s_cluster), 0);
        sleep (1);
    }
    char log[4400];
    snprintf (log, sizeof log, "%s/nimbus-1.log", cluster_harness_dir (s_cluster));
    FILE *file = fopen (log, "r");
    ck_assert_ptr_nonnull (file);
    char line[4096];
    bool standing_by = false, reassigned = false;
    while (fgets (line, sizeof line, file)) {
        standing_by |= strstr (line, "standing by") != NULL;
        reassigned |= strstr (line, "reassigned") != NULL || strstr (line, "leads now") != NULL;
    }
    fclose (file);
    ck_assert_msg (standing_by, "the standby's log does not say it stands by");
    ck_assert_msg (!reassigned, "the standby led or reassigned while the first nimbus led");
}
END_TEST

START_TEST (test_leader_killed_standby_takes_over)
{
    ck_assert_int_eq (cluster_harness_leader (s_cluster), 0);
    //  200 numbers a second: the run outlasts the takeover.
    s_start_probe_run (s_address (0), 200);
    int acked = s_probe_acked ();
    ck_assert_msg (acked < PROBE_MESSAGES / 2, "the run is not mid-way: %d acked", acked);
    int64_t generation = s_generation ("probe");
    pid_t workers[3];
    for (int slot = 0; slot < 3; slot++)
        workers[slot] = cluster_harness_worker_pid (s_cluster, 0, slot);

    cluster_harness_stop_nimbus_at (s_cluster, 0, SIGKILL);
    long long killed = test_processes_now_ms ();
    ck_assert_msg (s_wait_leader (1, killed), "the standby did not take over in 30 s");
    long long takeover_ms = test_processes_now_ms () - killed;
    fprintf (stderr,
             "test_nimbus_ha: the standby led %lld ms after the leader was killed "
             "(session timeout %d ms)\n",
             takeover_ms, SESSION_TIMEOUT_MS);

    s_assert_nothing_lost ();
    //  The workers ran on, and the generation did not go backwards.
    for (int slot = 0; slot < 3; slot++)
        ck_assert_msg (cluster_harness_worker_pid (s_cluster, 0, slot) == workers[slot],
                       "the worker of slot %d was restarted by the takeover", slot);
    ck_assert_int_ge (s_generation ("probe"), generation);

    //  The new leader serves submits, through seeds naming the dead one
    //  first, and has the package.
    char seeds[256];
    snprintf (seeds, sizeof seeds, "nimbus.seeds=%s,%s", s_address (0), s_address (1));
    char *package = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    char dir[4400];
    snprintf (dir, sizeof dir, "probe.dir=%s/after", s_probe_dir);
    free (s_cli_via (NULL, 0, "--timeout", "3", "-c", seeds, package, "after", "-c", dir, "-c",
                     "topology.workers=1", "-c", "probe.messages=10", "-c", "probe.groupings=false",
                     NULL));
    free (package);
    ck_assert (s_has_package (1, "probe"));
    ck_assert (s_has_package (1, "after"));

    //  The old leader, started again, stands by and copies the new package.
    ck_assert_int_eq (cluster_harness_start_nimbus_at (s_cluster, 0), 0);
    ck_assert_msg (s_wait_package (0, "after", 30), "the old leader did not copy the package");
    ck_assert_int_eq (cluster_harness_leader (s_cluster), 1);
    char *summary = NULL;
    for (int tries = 0; tries < 50 && !summary; tries++) {
        summary = s_summary (0);
        if (summary && s_count (summary, "\"Not a Leader\"") != 1)
            zstr_free (&summary);
        if (!summary)
            usleep (200000);
    }
    ck_assert_msg (summary, "the old leader's summary does not show it standing by");
    free (summary);
}
END_TEST

//  Lines of nimbus index's log that hold needle.
static int
s_log_count (int index, const char *needle)
{
    char path[4400];
    if (index == 0)
        snprintf (path, sizeof path, "%s/nimbus.log", cluster_harness_dir (s_cluster));
    else
        snprintf (path, sizeof path, "%s/nimbus-%d.log", cluster_harness_dir (s_cluster), index);
    FILE *file = fopen (path, "r");
    int count = 0;
    char line[4096];
    while (file && fgets (line, sizeof line, file))
        count += strstr (line, needle) != NULL;
    if (file)
        fclose (file);
    return count;
}

//  A leader frozen past its session timeout loses the lock; thawed, it
//  learns so, steps down without writing and stands by again.
START_TEST (test_frozen_leader_is_fenced)
{
    ck_assert_int_eq (cluster_harness_leader (s_cluster), 0);
    s_start_probe_run (s_address (0), 200);
    pid_t frozen = cluster_harness_nimbus_pid_at (s_cluster, 0);
    kill (frozen, SIGSTOP);
    bool taken_over = s_wait_leader (1, test_processes_now_ms ());
    int64_t generation = s_generation ("probe");
    int registrations = s_log_count (0, "leader: registered as");
    kill (frozen, SIGCONT);
    ck_assert_msg (taken_over, "the standby did not take over from a frozen leader in 30 s");
    //  Thawed: the session is gone; it steps down and registers again.
    long long thawed = test_processes_now_ms ();
    while ((s_log_count (0, "no longer leads") < 1 ||
            s_log_count (0, "leader: registered as") <= registrations) &&
           test_processes_now_ms () - thawed < 30000)
        usleep (100000);
    ck_assert_msg (s_log_count (0, "no longer leads") >= 1, "the thawed leader did not step down");
    ck_assert_msg (s_log_count (0, "leader: registered as") > registrations,
                   "the thawed leader did not register again");
    ck_assert_int_eq (cluster_harness_leader (s_cluster), 1);
    ck_assert_int_ge (s_generation ("probe"), generation);
    //  And nothing was lost meanwhile.
    s_assert_nothing_lost ();
    ck_assert_int_eq (cluster_harness_leader (s_cluster), 1);
}
END_TEST

int
main (void)
{
    if (!test_processes_suite_dir ("test_nimbus_ha"))
        return 99;
    Suite *suite = suite_create ("nimbus_ha");
    TCase *tcase = tcase_create ("standby");
    tcase_set_timeout (tcase, 240);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_standby_stands_by);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("takeover");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_leader_killed_standby_takes_over);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("fencing");
    tcase_set_timeout (tcase, 300);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_frozen_leader_is_fenced);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
