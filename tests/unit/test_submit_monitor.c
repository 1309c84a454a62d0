/*  test_submit_monitor - storm-submit monitor's rates and table

    Each test feeds metrics replies, as nimbus sends them, with times of
    its choosing, and reads the lines printed into memory.
*/
#include "squall.h"
#include "submit_monitor.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

//  A metrics reply with one spout and one bolt and the given counts.
static json_t *
s_reply (int spout_emitted, int spout_acked, int spout_timed_out, int bolt_transferred)
{
    json_t *reply = json_pack (
        "{s:s, s:{s:{s:b, s:i, s:{s:i}, s:{s:i}, s:i, s:i, s:i, s:i},"
        " s:{s:b, s:i, s:{s:i}, s:{s:i}, s:i, s:i, s:i, s:i},"
        " s:{s:b, s:i, s:{}, s:{}, s:i, s:i, s:i, s:i}}}",
        "name", "wc", "components", "sentences", "spout", 1, "executors", 2, "emitted", "default",
        spout_emitted, "transferred", "default", spout_emitted, "acked", spout_acked, "failed", 0,
        "timed_out", spout_timed_out, "executed", 0, "split", "spout", 0, "executors", 3, "emitted",
        "default", 2 * bolt_transferred, "transferred", "default", bolt_transferred, "acked", 0,
        "failed", 0, "timed_out", 0, "executed", 0, "__acker", "spout", 0, "executors", 1,
        "emitted", "transferred", "acked", 0, "failed", 0, "timed_out", 0, "executed", 0);
    ck_assert (reply);
    return reply;
}

//  Feed the reply (taken) at now_ms; return what was printed (caller
//  frees) and the result in *rc_p.
static char *
s_update (submit_monitor_t *monitor, json_t *reply, int64_t now_ms, int *rc_p)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    ck_assert (out);
    *rc_p = submit_monitor_update (monitor, reply, now_ms, out);
    fclose (out);
    json_decref (reply);
    return text;
}

//  The printed line of a component, or NULL (static buffer).
static const char *
s_line (const char *text, const char *component)
{
    static char line[512];
    char key[64];
    snprintf (key, sizeof key, "  %s ", component);
    const char *at = strstr (text, key);
    if (!at)
        return NULL;
    while (at > text && at[-1] != '\n')
        at--;
    size_t length = strcspn (at, "\n");
    snprintf (line, sizeof line, "%.*s", (int) length, at);
    return line;
}

START_TEST (test_rates_over_the_interval)
{
    submit_monitor_options_t options = {.stream = "default"};
    submit_monitor_t *monitor = submit_monitor_new ("wc", &options);
    int rc;
    //  The first reply is the baseline: nothing to print yet.
    char *text = s_update (monitor, s_reply (1000, 900, 10, 500), 10000, &rc);
    ck_assert_int_eq (rc, 0);
    ck_assert_str_eq (text, "");
    free (text);
    //  Two seconds later: 4000 more emitted, 3000 more acked, 20 more
    //  timed out.
    text = s_update (monitor, s_reply (5000, 3900, 30, 1500), 12000, &rc);
    ck_assert_int_eq (rc, 0);
    ck_assert_msg (strstr (text, "COMPONENT") && strstr (text, "THROUGHPUT/S") &&
                       strstr (text, "EMITTED"),
                   "no header in:\n%s", text);
    const char *line = s_line (text, "sentences");
    ck_assert_msg (line, "no spout line in:\n%s", text);
    ck_assert_msg (strstr (line, " 2000 ") && strstr (line, " 4000 ") &&
                       strstr (line, " 2000.0 ") && strstr (line, " 1500.0 ") &&
                       strstr (line, " 10.0"),
                   "spout line: %s", line);
    line = s_line (text, "split");
    //  The bolt emitted 2000 on default over 2 s.
    ck_assert_msg (line && strstr (line, " 2000 ") && strstr (line, " 1000.0 "), "bolt line: %s",
                   line);
    //  System components are left out unless asked for.
    ck_assert_ptr_null (s_line (text, "__acker"));
    free (text);
    //  The header is printed once.
    text = s_update (monitor, s_reply (5000, 3900, 30, 1500), 13000, &rc);
    ck_assert_ptr_null (strstr (text, "COMPONENT"));
    line = s_line (text, "sentences");
    ck_assert_msg (line && strstr (line, " 0.0 "), "idle spout line: %s", line);
    free (text);
    submit_monitor_destroy (&monitor);
    submit_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_worker_restart_gives_no_negative_rate)
{
    submit_monitor_options_t options = {.component = "sentences", .stream = "default"};
    submit_monitor_t *monitor = submit_monitor_new ("wc", &options);
    int rc;
    free (s_update (monitor, s_reply (5000, 4000, 7, 0), 0, &rc));
    //  A worker restarted: the sums went back. No rate, and no minus sign.
    char *text = s_update (monitor, s_reply (3000, 2500, 7, 0), 1000, &rc);
    ck_assert_int_eq (rc, 0);
    const char *line = s_line (text, "sentences");
    ck_assert_msg (line && strstr (line, "  -  "), "line: %s", line);
    for (const char *minus = strchr (line, '-'); minus; minus = strchr (minus + 1, '-'))
        ck_assert_msg (minus[1] < '0' || minus[1] > '9', "negative number in: %s", line);
    //  timed_out did not go back: its rate is still told.
    ck_assert_msg (strstr (line, " 0.0"), "line: %s", line);
    ck_assert_ptr_null (s_line (text, "split"));
    free (text);
    //  The next interval counts from the lower sums again.
    text = s_update (monitor, s_reply (3500, 2600, 7, 0), 2000, &rc);
    line = s_line (text, "sentences");
    ck_assert_msg (line && strstr (line, " 500 ") && strstr (line, " 500.0 ") &&
                       strstr (line, " 100.0 ") && !strstr (line, "  -"),
                   "line: %s", line);
    free (text);
    submit_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_watch_transferred_and_other_stream)
{
    submit_monitor_options_t options = {
        .component = "split", .stream = "default", .transferred = true};
    submit_monitor_t *monitor = submit_monitor_new ("wc", &options);
    int rc;
    free (s_update (monitor, s_reply (0, 0, 0, 100), 0, &rc));
    char *text = s_update (monitor, s_reply (0, 0, 0, 600), 500, &rc);
    const char *line = s_line (text, "split");
    //  500 transferred (1000 emitted) in half a second.
    ck_assert_msg (strstr (text, "TRANSFERRED") && line && strstr (line, " 500 ") &&
                       strstr (line, " 1000.0 "),
                   "table:\n%s", text);
    free (text);
    submit_monitor_destroy (&monitor);
    //  A stream a component does not have counts 0.
    options.stream = "errors";
    monitor = submit_monitor_new ("wc", &options);
    free (s_update (monitor, s_reply (0, 0, 0, 100), 0, &rc));
    text = s_update (monitor, s_reply (0, 0, 0, 600), 1000, &rc);
    line = s_line (text, "split");
    ck_assert_msg (line && strstr (line, "errors") && strstr (line, " 0.0 "), "line: %s", line);
    free (text);
    submit_monitor_destroy (&monitor);
}
END_TEST

//  The ackers' counts are shown as they stand, not as rates.
START_TEST (test_timeouts_held_and_fails_blamed_columns)
{
    submit_monitor_options_t options = {.stream = "default"};
    submit_monitor_t *monitor = submit_monitor_new ("wc", &options);
    int rc;
    free (s_update (monitor, s_reply (0, 0, 0, 0), 0, &rc));
    json_t *reply = s_reply (0, 0, 0, 0);
    json_t *split = json_object_get (json_object_get (reply, "components"), "split");
    json_object_set_new (split, "timeouts_held", json_integer (37));
    json_object_set_new (split, "fails_blamed", json_integer (5));
    char *text = s_update (monitor, reply, 1000, &rc);
    ck_assert_int_eq (rc, 0);
    ck_assert_msg (strstr (text, "  TIMEOUTS-HELD  FAILS-BLAMED\n"), "header in:\n%s", text);
    const char *line = s_line (text, "split");
    size_t length = line ? strlen (line) : 0;
    ck_assert_msg (length > 29 && strcmp (line + length - 29, "             37             5") == 0,
                   "bolt line: %s", line);
    line = s_line (text, "sentences");
    length = line ? strlen (line) : 0;
    ck_assert_msg (length > 29 && strcmp (line + length - 29, "              0             0") == 0,
                   "spout line: %s", line);
    free (text);
    submit_monitor_destroy (&monitor);
}
END_TEST

START_TEST (test_unknown_component_and_bad_replies)
{
    submit_monitor_options_t options = {.component = "nosuch", .stream = "default"};
    submit_monitor_t *monitor = submit_monitor_new ("wc", &options);
    int rc;
    char *text = s_update (monitor, s_reply (0, 0, 0, 0), 0, &rc);
    ck_assert_int_eq (rc, -1);
    ck_assert_str_eq (sq_last_error (), "topology 'wc' has no component 'nosuch'");
    free (text);
    submit_monitor_destroy (&monitor);
    options.component = NULL;
    monitor = submit_monitor_new ("wc", &options);
    text = s_update (monitor, json_pack ("{s:[]}", "components"), 0, &rc);
    ck_assert_int_eq (rc, -1);
    ck_assert (strstr (sq_last_error (), "without the components"));
    free (text);
    //  Counts that are not integers, or missing, read as 0.
    free (s_update (monitor, json_pack ("{s:{s:{s:s}}}", "components", "odd", "emitted", "x"), 0,
                    &rc));
    ck_assert_int_eq (rc, 0);
    text = s_update (monitor, json_pack ("{s:{s:{}}}", "components", "odd"), 1000, &rc);
    ck_assert_int_eq (rc, 0);
    const char *line = s_line (text, "odd");
    ck_assert_msg (line && strstr (line, " 0.0 "), "line: %s", line);
    free (text);
    //  A clock that did not move prints nothing.
    text = s_update (monitor, json_pack ("{s:{s:{}}}", "components", "odd"), 1000, &rc);
    ck_assert_str_eq (text, "");
    free (text);
    submit_monitor_destroy (&monitor);
}
END_TEST

//  s_reply with a last_failure of id (and cause "killed by signal 11").
static json_t *
s_reply_failed (const char *id)
{
    json_t *reply = s_reply (0, 0, 0, 0);
    json_object_set_new (reply, "last_failure",
                         json_pack ("{s:s, s:s, s:i, s:I, s:s, s:i, s:i}", "id", id, "host", "h1",
                                    "port", 6700, "time_ms", (json_int_t) 0, "cause",
                                    "killed by signal 11 (SIGSEGV)", "restarts", 3,
                                    "next_restart_ms", 400));
    return reply;
}

START_TEST (test_each_failure_printed_once)
{
    submit_monitor_options_t options = {.stream = "default"};
    submit_monitor_t *monitor = submit_monitor_new ("wc", &options);
    int rc;
    char *text = s_update (monitor, s_reply_failed ("s:1"), 0, &rc);
    ck_assert_int_eq (rc, 0);
    ck_assert_msg (strstr (text, "topology wc: a worker failed\n") &&
                       strstr (text, "on h1:6700: killed by signal 11 (SIGSEGV) (3 in a row, "
                                     "restart in 400 ms)\n"),
                   "printed: %s", text);
    free (text);
    //  The same failure again: not printed; a new one is.
    text = s_update (monitor, s_reply_failed ("s:1"), 1000, &rc);
    ck_assert_msg (!strstr (text, "failed"), "printed: %s", text);
    free (text);
    text = s_update (monitor, s_reply_failed ("s:2"), 2000, &rc);
    ck_assert_msg (strstr (text, "a worker failed"), "printed: %s", text);
    free (text);
    submit_monitor_destroy (&monitor);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("submit_monitor");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_rates_over_the_interval);
    tcase_add_test (tcase, test_worker_restart_gives_no_negative_rate);
    tcase_add_test (tcase, test_watch_transferred_and_other_stream);
    tcase_add_test (tcase, test_unknown_component_and_bad_replies);
    tcase_add_test (tcase, test_timeouts_held_and_fails_blamed_columns);
    tcase_add_test (tcase, test_each_failure_printed_once);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
