/*  test_nimbus_failures - failure records from supervisors: every field
    checked, each kept once, the newest five per topology, forgotten with
    their topology */
#include "nimbus_failures.h"
#include "squall.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

//  A well-formed record: topology "wc" (id wc-1), made at time_ms.
static json_t *
s_record (const char *id, json_int_t time_ms)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:i, s:i, s:s, s:s, s:i, s:s}", "id", id,
                      "topology", "wc", "topology_id", "wc-1", "host", "h1", "port", 6700,
                      "time_ms", time_ms, "cause", "exit status 1", "restarts", 2,
                      "next_restart_ms", 200, "log_tail", "line 1\nline 2\n", "component", "split",
                      "task", 3, "message", "prepare failed");
}

//  Checks record after field key was set to value (stolen); returns the
//  check's result.
static int
s_check_with (const char *key, json_t *value)
{
    json_t *record = s_record ("s1:1", 1000);
    if (value)
        json_object_set_new (record, key, value);
    else
        json_object_del (record, key);
    int rc = nimbus_failures_check (record);
    json_decref (record);
    return rc;
}

START_TEST (test_well_formed_is_taken)
{
    json_t *record = s_record ("s1:1", 1000);
    ck_assert_int_eq (nimbus_failures_check (record), 0);
    //  The optional fields may go.
    json_object_del (record, "component");
    json_object_del (record, "task");
    json_object_del (record, "message");
    ck_assert_int_eq (nimbus_failures_check (record), 0);
    json_decref (record);
    ck_assert_int_eq (s_check_with ("next_restart_ms", json_integer (-1)), 0);
    ck_assert_int_eq (s_check_with ("log_tail", json_string ("")), 0);
}
END_TEST

START_TEST (test_malformed_fields_are_refused)
{
    ck_assert_int_eq (nimbus_failures_check (NULL), -1);
    json_t *array = json_array ();
    ck_assert_int_eq (nimbus_failures_check (array), -1);
    json_decref (array);
    //  Missing, of the wrong type, empty, out of range.
    ck_assert_int_eq (s_check_with ("id", NULL), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "'id'"));
    ck_assert_int_eq (s_check_with ("cause", json_integer (3)), -1);
    ck_assert_int_eq (s_check_with ("topology_id", json_string ("")), -1);
    ck_assert_int_eq (s_check_with ("port", json_integer (0)), -1);
    ck_assert_int_eq (s_check_with ("port", json_integer (65536)), -1);
    ck_assert_int_eq (s_check_with ("port", json_string ("6700")), -1);
    ck_assert_int_eq (s_check_with ("time_ms", json_integer (-5)), -1);
    ck_assert_int_eq (s_check_with ("time_ms", json_real (1.5)), -1);
    ck_assert_int_eq (s_check_with ("restarts", json_integer (-1)), -1);
    ck_assert_int_eq (s_check_with ("next_restart_ms", json_integer (-2)), -1);
    ck_assert_int_eq (s_check_with ("next_restart_ms", json_integer (86400001)), -1);
    ck_assert_int_eq (s_check_with ("task", json_integer (-1)), -1);
    ck_assert_int_eq (s_check_with ("component", json_true ()), -1);
    ck_assert_int_eq (s_check_with ("message", json_array ()), -1);
    ck_assert_int_eq (s_check_with ("unknown", json_string ("x")), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "unknown"));
    //  A NUL byte inside a string.
    ck_assert_int_eq (s_check_with ("host", json_stringn ("a\0b", 3)), -1);
    //  A task needs its component.
    json_t *record = s_record ("s1:1", 1000);
    json_object_del (record, "component");
    ck_assert_int_eq (nimbus_failures_check (record), -1);
    json_decref (record);
}
END_TEST

START_TEST (test_sizes_are_bounded)
{
    char *text = malloc (NIMBUS_FAILURES_LOG_MAX + 2);
    memset (text, 'x', NIMBUS_FAILURES_LOG_MAX + 1);
    text[NIMBUS_FAILURES_LOG_MAX + 1] = 0;
    ck_assert_int_eq (s_check_with ("log_tail", json_string (text)), -1);
    text[NIMBUS_FAILURES_LOG_MAX] = 0;
    ck_assert_int_eq (s_check_with ("log_tail", json_string (text)), 0);
    text[NIMBUS_FAILURES_MESSAGE_MAX + 1] = 0;
    ck_assert_int_eq (s_check_with ("message", json_string (text)), -1);
    text[NIMBUS_FAILURES_MESSAGE_MAX] = 0;
    ck_assert_int_eq (s_check_with ("message", json_string (text)), 0);
    text[NIMBUS_FAILURES_TEXT_MAX + 1] = 0;
    ck_assert_int_eq (s_check_with ("cause", json_string (text)), -1);
    ck_assert_int_eq (s_check_with ("component", json_string (text)), -1);
    text[NIMBUS_FAILURES_TEXT_MAX] = 0;
    ck_assert_int_eq (s_check_with ("cause", json_string (text)), 0);
    free (text);
}
END_TEST

START_TEST (test_kept_once_newest_first_bounded)
{
    nimbus_failures_t *failures = nimbus_failures_new ();
    ck_assert_ptr_nonnull (failures);
    ck_assert_ptr_null (nimbus_failures_last (failures, "wc-1"));
    json_t *record = s_record ("s1:1", 1000);
    ck_assert_int_eq (nimbus_failures_add (failures, "sup-1", record), 1);
    //  The same record again (the next heartbeat): known.
    ck_assert_int_eq (nimbus_failures_add (failures, "sup-1", record), 0);
    json_decref (record);
    const json_t *last = nimbus_failures_last (failures, "wc-1");
    ck_assert_str_eq (json_string_value (json_object_get (last, "supervisor")), "sup-1");
    ck_assert_str_eq (json_string_value (json_object_get (last, "component")), "split");
    //  Ten more: the newest five stay, newest first; one that comes late
    //  goes where its time puts it.
    for (int i = 2; i <= 11; i++) {
        char id[32];
        snprintf (id, sizeof id, "s1:%d", i);
        record = s_record (id, 1000 + i * 10);
        ck_assert_int_eq (nimbus_failures_add (failures, "sup-1", record), 1);
        json_decref (record);
    }
    record = s_record ("s2:1", 1005); //  older than all five kept
    ck_assert_int_eq (nimbus_failures_add (failures, "sup-2", record), 0);
    json_decref (record);
    json_t *list = nimbus_failures_list (failures, "wc-1");
    ck_assert_uint_eq (json_array_size (list), NIMBUS_FAILURES_KEPT);
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (list, 0), "id")),
                      "s1:11");
    ck_assert_str_eq (json_string_value (json_object_get (json_array_get (list, 4), "id")), "s1:7");
    json_decref (list);
    //  A malformed record changes nothing.
    record = s_record ("s1:99", 99999);
    json_object_set_new (record, "port", json_integer (-1));
    ck_assert_int_eq (nimbus_failures_add (failures, "sup-1", record), -1);
    json_decref (record);
    ck_assert_str_eq (
        json_string_value (json_object_get (nimbus_failures_last (failures, "wc-1"), "id")),
        "s1:11");
    nimbus_failures_destroy (&failures);
    ck_assert_ptr_null (failures);
}
END_TEST

START_TEST (test_summary_and_forget)
{
    nimbus_failures_t *failures = nimbus_failures_new ();
    json_t *summary = json_object ();
    nimbus_failures_summarize (failures, "wc-1", 100, summary);
    ck_assert (json_is_false (json_object_get (summary, "failing")));
    ck_assert_ptr_null (json_object_get (summary, "last_failure"));
    json_t *record = s_record ("s1:1", 100000); //  unix time 100 s
    nimbus_failures_add (failures, "sup-1", record);
    json_decref (record);
    ck_assert_ptr_nonnull (nimbus_failures_last_of (failures, "wc-1", "split"));
    ck_assert_ptr_null (nimbus_failures_last_of (failures, "wc-1", "count"));
    nimbus_failures_summarize (failures, "wc-1", 130, summary);
    ck_assert (json_is_true (json_object_get (summary, "failing")));
    ck_assert_str_eq (
        json_string_value (json_object_get (json_object_get (summary, "last_failure"), "cause")),
        "exit status 1");
    //  A minute later without a new failure: no longer failing.
    nimbus_failures_summarize (failures, "wc-1", 100 + NIMBUS_FAILURES_FAILING_SECS, summary);
    ck_assert (json_is_false (json_object_get (summary, "failing")));
    json_decref (summary);
    ck_assert_uint_eq (nimbus_failures_topologies (failures), 1);
    nimbus_failures_forget (failures, "wc-1");
    ck_assert_uint_eq (nimbus_failures_topologies (failures), 0);
    ck_assert_ptr_null (nimbus_failures_last (failures, "wc-1"));
    nimbus_failures_destroy (&failures);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_failures");
    TCase *tcase = tcase_create ("failures");
    tcase_add_test (tcase, test_well_formed_is_taken);
    tcase_add_test (tcase, test_malformed_fields_are_refused);
    tcase_add_test (tcase, test_sizes_are_bounded);
    tcase_add_test (tcase, test_kept_once_newest_first_bounded);
    tcase_add_test (tcase, test_summary_and_forget);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
