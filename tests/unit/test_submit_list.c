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

START_TEST (test_table)
{
    char *table = s_print ("{\"topologies\": [{\"name\": \"wordcount\", \"id\": \"wc-1\", "
                           "\"status\": \"active\", \"uptime_secs\": 3725, \"workers\": 2, "
                           "\"executors\": 9, \"tasks\": 12, \"emitted\": 300, \"acked\": 95, "
                           "\"failed\": 1, \"timed_out\": 2}]}");
    ck_assert_msg (strstr (table, "wordcount  wc-1") && strstr (table, "1h02m05s") &&
                       strstr (table, " 3\n"),
                   "table:\n%s", table);
    free (table);
    table = s_print ("{\"topologies\": []}");
    ck_assert_str_eq (table, "no topologies running\n");
    free (table);
}
END_TEST

START_TEST (test_counters_from_outside)
{
    //  Failed counts timeouts too; counts that add past the largest
    //  integer hold there (found by fuzz_reply's binary, on a hand-made
    //  reply).
    char *table = s_print ("{\"topologies\": [{\"name\": \"wc\", \"failed\": 9223372036854775807, "
                           "\"timed_out\": 5}]}");
    ck_assert_msg (strstr (table, " 9223372036854775807\n"), "table:\n%s", table);
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
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
