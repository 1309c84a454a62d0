/*  test_failures - failures a topology's workers meet reach the operator

    ZooKeeper, nimbus and one supervisor of one slot as separate processes
    (cluster_harness); packages from tests/integration/bad_topology.c:

    - a bolt that fails in prepare: storm-submit --wait exits non-zero
      naming the component and the cause, with the worker log's last
      lines; list shows the topology failing, and the REST API shows the
      component's lastError where its worker ran;
    - a bolt that dies of SIGSEGV on its first tuple: --wait names the
      signal; its worker is restarted with a growing back-off (the
      failure records count the restarts and the delay), and killing the
      topology frees the slot at once: a good topology submitted next
      runs (--wait exits 0) well before the pending restart was due;
    - a topology asking for two workers on one slot: the submit, list and
      REST API say so.

    Every wait polls with a deadline; no assertion is on a time but for
    those generous deadlines.
*/
#include "cluster_harness.h"
#include "http_client.h"
#include "test_processes.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAILURES_WAIT "60"          //  storm-submit --wait of a topology that fails, seconds
#define FAILURES_GONE_MS 30000      //  a killed topology leaves the list within this
#define FAILURES_BACKOFF_MS 120000  //  the crash loop's back-off reaches its mark within this
#define FAILURES_BACKOFF_MARK 25600 //  next_restart_ms the crash loop waits for, then is killed
#define FAILURES_GOOD_WAIT "20"     //  --wait of the good topology: far below the mark's delay
#define FAILURES_REQUEST_MS 10000   //  longest an HTTP request may take

static cluster_harness_t *s_cluster;
static char *s_package; //  bad_topology.so

//  storm-submit with args; its exit status, its output in *output_p.
static int
s_cli (char **output_p, const char *const *args)
{
    *output_p = NULL;
    return cluster_harness_cli (s_cluster, output_p, args);
}

//  Submit bad_topology.so as name with bad.behaviour=behaviour and
//  --wait=seconds; the exit status, the output in *output_p.
static int
s_submit (const char *name, const char *behaviour, const char *seconds, char **output_p)
{
    char setting[64], wait[32];
    snprintf (setting, sizeof setting, "bad.behaviour=%s", behaviour);
    snprintf (wait, sizeof wait, "--wait=%s", seconds);
    const char *args[] = {s_package, name, "-c", setting, wait, NULL};
    return s_cli (output_p, args);
}

//  The last 1200 bytes of the supervisor's log and of its slot's
//  worker.log, for the messages of failed checks (caller frees; with the
//  rest of a message, within what Check can carry: 4 KiB).
static char *
s_logs (void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    ck_assert (out);
    char paths[2][4200];
    snprintf (paths[0], sizeof paths[0], "%s/supervisor-0.log", cluster_harness_dir (s_cluster));
    snprintf (paths[1], sizeof paths[1], "%s/supervisor/workers/%d/worker.log",
              cluster_harness_local_dir (s_cluster, 0),
              cluster_harness_slot_port (s_cluster, 0, 0));
    for (int i = 0; i < 2; i++) {
        FILE *file = fopen (paths[i], "r");
        fprintf (out, "\n---- end of %s%s\n", paths[i], file ? "" : " (none)");
        if (!file)
            continue;
        fseek (file, 0, SEEK_END);
        long length = ftell (file);
        fseek (file, length > 1200 ? length - 1200 : 0, SEEK_SET);
        int byte;
        while ((byte = getc (file)) != EOF)
            putc (byte, out);
        fclose (file);
    }
    fclose (out);
    return text;
}

//  GET path of nimbus's REST API, as JSON (caller decrefs).
static json_t *
s_rest (const char *path)
{
    char *answer = NULL;
    int status = http_client_request (cluster_harness_ui_port (s_cluster), "GET", path, NULL,
                                      FAILURES_REQUEST_MS, &answer);
    ck_assert_msg (status == 200, "GET %s: status %d: %s", path, status, answer);
    json_error_t error;
    json_t *json = json_loads (http_client_body (answer), 0, &error);
    ck_assert_msg (json, "GET %s: not JSON: %s", path, answer);
    free (answer);
    return json;
}

//  The REST summary of topology name (from /topology/summary; caller
//  decrefs), or NULL when not listed.
static json_t *
s_rest_summary (const char *name)
{
    json_t *all = s_rest ("/api/v1/topology/summary");
    json_t *entry = http_client_entry (json_object_get (all, "topologies"), "name", name);
    json_incref (entry);
    json_decref (all);
    return entry;
}

//  Kill topology name at once, and wait until the list no longer has it.
static void
s_kill (const char *name)
{
    char *output;
    const char *kill[] = {"kill", name, "-w", "0", NULL};
    int status = s_cli (&output, kill);
    ck_assert_msg (status == 0, "kill %s exited %d: %s", name, status, output);
    free (output);
    long long deadline = test_processes_now_ms () + FAILURES_GONE_MS;
    while (true) {
        json_t *summary = s_rest_summary (name);
        json_decref (summary);
        if (!summary)
            break;
        ck_assert_msg (test_processes_now_ms () < deadline, "%s still listed after the kill", name);
        usleep (100000);
    }
}

static void
s_setup (void)
{
    s_cluster = cluster_harness_new (1, 1);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
    s_package = cluster_harness_build_path ("tests/integration/.libs/bad_topology.so");
    ck_assert (s_package);
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
    free (s_package);
    s_package = NULL;
}

START_TEST (test_prepare_failure_is_shown)
{
    char *output;
    int status = s_submit ("unprepared", "prepare", FAILURES_WAIT, &output);
    ck_assert_msg (status != 0, "--wait exited 0 for a bolt that cannot prepare: %.1000s%s", output,
                   s_logs ());
    ck_assert_msg (strstr (output, "component sink") && strstr (output, "exit status 1") &&
                       strstr (output, "failed to open or prepare"),
                   "--wait does not name the component and the cause: %s", output);
    //  The worker log's last lines, the bolt's own line among them.
    ck_assert_msg (strstr (output, "worker log") &&
                       strstr (output, "bad_topology: sink refuses to prepare"),
                   "--wait does not show the log's tail: %s", output);
    free (output);

    const char *list[] = {"list", NULL};
    status = s_cli (&output, list);
    ck_assert_msg (status == 0, "list exited %d: %s", status, output);
    ck_assert_msg (strstr (output, "active (failing)") && strstr (output, "last failure") &&
                       strstr (output, "component sink"),
                   "list does not show the failure: %s", output);
    free (output);

    json_t *summary = s_rest_summary ("unprepared");
    ck_assert (summary);
    ck_assert (json_is_true (json_object_get (summary, "failing")));
    json_t *last = json_object_get (summary, "lastFailure");
    ck_assert_str_eq (json_string_value (json_object_get (last, "component")), "sink");
    ck_assert_int_eq (json_integer_value (json_object_get (last, "port")),
                      cluster_harness_slot_port (s_cluster, 0, 0));
    char path[512];
    snprintf (path, sizeof path, "/api/v1/topology/%s",
              json_string_value (json_object_get (summary, "id")));
    json_decref (summary);
    json_t *topology = s_rest (path);
    json_t *sink = http_client_entry (json_object_get (topology, "bolts"), "boltId", "sink");
    ck_assert_msg (sink, "no sink bolt in %s", path);
    const char *error = json_string_value (json_object_get (sink, "lastError"));
    ck_assert_msg (error && strstr (error, "exit status 1") && strstr (error, "prepare"),
                   "sink's lastError: %s", error ? error : "(none)");
    ck_assert_int_eq (json_integer_value (json_object_get (sink, "errorPort")),
                      cluster_harness_slot_port (s_cluster, 0, 0));
    ck_assert_str_eq (json_string_value (json_object_get (sink, "errorHost")), "127.0.0.1");
    ck_assert (json_integer_value (json_object_get (sink, "errorTime")) > 0);
    json_t *lines = http_client_entry (json_object_get (topology, "spouts"), "spoutId", "lines");
    ck_assert_str_eq (json_string_value (json_object_get (lines, "lastError")), "");
    json_decref (topology);
    s_kill ("unprepared");
}
END_TEST

START_TEST (test_crash_loop_backs_off_and_frees_its_slot)
{
    char *output;
    int status = s_submit ("crashing", "segv", FAILURES_WAIT, &output);
    ck_assert_msg (status != 0, "--wait exited 0 for a bolt that crashes: %.1000s%s", output,
                   s_logs ());
    ck_assert_msg (strstr (output, "killed by signal 11 (SIGSEGV)"),
                   "--wait does not name the signal: %s", output);
    free (output);

    //  The restarts back off: the delay the failure records announce
    //  grows until it reaches the mark (a worker that lived 5 s would
    //  start it afresh: the deadline allows for a slow start or two).
    long long deadline = test_processes_now_ms () + FAILURES_BACKOFF_MS;
    json_int_t delay = 0, restarts = 0;
    while (delay < FAILURES_BACKOFF_MARK) {
        ck_assert_msg (test_processes_now_ms () < deadline,
                       "the back-off did not reach %d ms: restarts=%lld next_restart_ms=%lld",
                       FAILURES_BACKOFF_MARK, (long long) restarts, (long long) delay);
        json_t *summary = s_rest_summary ("crashing");
        ck_assert (summary);
        json_t *last = json_object_get (summary, "lastFailure");
        ck_assert_msg (strstr (json_string_value (json_object_get (last, "cause")), "SIGSEGV"),
                       "cause: %s", json_string_value (json_object_get (last, "cause")));
        restarts = json_integer_value (json_object_get (last, "restarts"));
        delay = json_integer_value (json_object_get (last, "next_restart_ms"));
        json_decref (summary);
        usleep (200000);
    }
    ck_assert_int_ge (restarts, 9); //  100 ms doubled to 25600 ms: the ninth in a row

    //  Killed while its restart is pending, it leaves the slot to the next
    //  topology at once, not after the delay.
    s_kill ("crashing");
    status = s_submit ("good", "idle", FAILURES_GOOD_WAIT, &output);
    ck_assert_msg (status == 0, "the next topology did not run within %s s: %.1000s%s",
                   FAILURES_GOOD_WAIT, output, s_logs ());
    ck_assert_msg (strstr (output, "is running"), "--wait said: %s", output);
    free (output);
    json_t *summary = s_rest_summary ("good");
    ck_assert (summary);
    ck_assert (json_is_false (json_object_get (summary, "failing")));
    ck_assert_ptr_null (json_object_get (summary, "lastFailure"));
    json_decref (summary);
    s_kill ("good");
}
END_TEST

START_TEST (test_fewer_workers_than_asked_is_said)
{
    //  Two workers asked for, one slot in the cluster.
    char *output;
    const char *submit[] = {
        s_package, "wide", "-c", "bad.behaviour=idle", "-c", "topology.workers=2", NULL};
    int status = s_cli (&output, submit);
    ck_assert_msg (status == 0, "submit exited %d: %s", status, output);
    ck_assert_msg (strstr (output, "warning: scheduled on 1 of the 2 workers"),
                   "submit does not warn: %s", output);
    free (output);
    const char *list[] = {"list", NULL};
    status = s_cli (&output, list);
    ck_assert_msg (status == 0 && strstr (output, "warning: 1 of the 2 workers asked for"),
                   "list exited %d: %s", status, output);
    free (output);
    json_t *summary = s_rest_summary ("wide");
    ck_assert_int_eq (json_integer_value (json_object_get (summary, "requestedWorkers")), 2);
    ck_assert_int_eq (json_integer_value (json_object_get (summary, "workersTotal")), 1);
    json_decref (summary);
    s_kill ("wide");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("failures");
    TCase *tcase = tcase_create ("failures");
    tcase_set_timeout (tcase, 240);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_prepare_failure_is_shown);
    tcase_add_test (tcase, test_crash_loop_backs_off_and_frees_its_slot);
    tcase_add_test (tcase, test_fewer_workers_than_asked_is_said);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
