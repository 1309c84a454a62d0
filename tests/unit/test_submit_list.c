/*  test_submit_list - the table storm-submit list prints from a reply

    Each test prints a list reply into memory and looks at the lines.
*/
#include "submit_list.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

//  The table printed for the reply given as JSON text. Caller frees.
static char *
s_print (const char *text)
{
    json_t *reply = json_loads (text, 0, NULL);
    ck_assert (reply);
    char *table = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&table, &size);
    ck_assert (out);
    ck_assert_int_eq (submit_list_print (reply, out), 0);
    fclose (out);
    json_decref (reply);
    return table;
}

//  The value in the column titled title of the first topology line
//  (static buffer), or NULL.
static const char *
s_column (const char *table, const char *title)
{
    static char value[64];
    const char *header = table, *row = strchr (table, '\n');
    ck_assert (row);
    row++;
    //  Columns are right-aligned under their titles: the value ends where
    //  the title ends.
    const char *at = strstr (header, title);
    if (!at || at > row)
        return NULL;
    size_t end = (size_t) (at - header) + strlen (title);
    size_t start = end;
    while (start > 0 && row[start - 1] != ' ')
        start--;
    snprintf (value, sizeof value, "%.*s", (int) (end - start), row + start);
    return value;
}

START_TEST (test_table)
{
    char *table = s_print ("{\"topologies\": [{\"name\": \"wordcount\", \"id\": \"wc-1\", "
                           "\"status\": \"active\", \"uptime_secs\": 3725, \"workers\": 2, "
                           "\"executors\": 9, \"tasks\": 12, \"emitted\": 300, \"executed\": 280, "
                           "\"acked\": 95, \"failed\": 1, \"timed_out\": 2, \"pending\": 4}]}");
    ck_assert_msg (strstr (table, "wordcount  wc-1") && strstr (table, "1h02m05s"), "table:\n%s",
                   table);
    //  Every counter in its column; fails and timeouts apart.
    static const char *const columns[][2] = {
        {"WORKERS", "2"},   {"EXECUTORS", "9"},  {"TASKS", "12"},
        {"EMITTED", "300"}, {"EXECUTED", "280"}, {"ACKED", "95"},
        {"FAILED", "1"},    {"TIMED_OUT", "2"},  {"PENDING", "4"}};
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        const char *value = s_column (table, columns[i][0]);
        ck_assert_msg (value && strcmp (value, columns[i][1]) == 0, "%s is '%s' in:\n%s",
                       columns[i][0], value, table);
    }
    free (table);
    table = s_print ("{\"topologies\": []}");
    ck_assert_str_eq (table, "no topologies running\n");
    free (table);
}
END_TEST

START_TEST (test_failing_and_short_of_workers)
{
    char *table = s_print (
        "{\"topologies\": [{\"name\": \"wc\", \"id\": \"wc-1\", \"status\": \"active\", "
        "\"workers\": 6, \"requested_workers\": 7, \"failing\": true, \"last_failure\": "
        "{\"id\": \"s:1\", \"host\": \"h1\", \"port\": 6700, \"time_ms\": 0, \"cause\": "
        "\"exit status 1\", \"component\": \"split\", \"task\": 3, \"message\": \"no file\", "
        "\"restarts\": 4, \"next_restart_ms\": 800, \"log_tail\": \"a\\nb\\n\"}}]}");
    ck_assert_msg (strstr (table, "active (failing)"), "table:\n%s", table);
    ck_assert_msg (strstr (table, "on h1:6700 component split task 3: exit status 1: no file "
                                  "(4 in a row, restart in 800 ms)\n"),
                   "table:\n%s", table);
    ck_assert_msg (strstr (table, "warning: 6 of the 7 workers asked for"), "table:\n%s", table);
    //  The log's tail is for --wait, not the list.
    ck_assert_msg (!strstr (table, "worker log"), "table:\n%s", table);
    free (table);
    //  Not failing: no line, even with a failure kept.
    table = s_print ("{\"topologies\": [{\"name\": \"wc\", \"status\": \"active\", "
                     "\"failing\": false, \"last_failure\": {\"cause\": \"exit status 1\"}}]}");
    ck_assert_msg (!strstr (table, "failing") && !strstr (table, "last failure"), "table:\n%s",
                   table);
    free (table);
}
END_TEST

START_TEST (test_counters_from_outside)
{
    //  The largest integer, and missing counters (an older nimbus), keep
    //  the table whole.
    char *table = s_print ("{\"topologies\": [{\"name\": \"wc\", \"failed\": 9223372036854775807, "
                           "\"timed_out\": 5}]}");
    //  A value wider than its column pushes the next ones right; the
    //  columns after it stay in order.
    ck_assert_msg (strstr (table, "  0  9223372036854775807          5        0\n"), "table:\n%s",
                   table);
    free (table);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("submit_list");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_table);
    tcase_add_test (tcase, test_counters_from_outside);
    tcase_add_test (tcase, test_failing_and_short_of_workers);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
