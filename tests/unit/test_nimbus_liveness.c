/*  test_nimbus_liveness - a supervisor is silent after the timeout without
    heartbeats, never before its first one, and forgotten when it leaves */
#include "nimbus_liveness.h"

#include <check.h>
#include <stdlib.h>

#define TIMEOUT_MS 2000 //  nimbus.supervisor.timeout.secs of the tests

START_TEST (test_silent_after_the_timeout)
{
    nimbus_liveness_t *liveness = nimbus_liveness_new (TIMEOUT_MS);
    ck_assert_ptr_nonnull (liveness);
    ck_assert_int_eq (nimbus_liveness_timeout (liveness), TIMEOUT_MS);
    ck_assert_int_eq (nimbus_liveness_heartbeat (liveness, "sup-1", 1000), 0);
    ck_assert (!nimbus_liveness_silent (liveness, "sup-1", 3000));
    ck_assert (nimbus_liveness_silent (liveness, "sup-1", 3001));
    ck_assert_int_eq (nimbus_liveness_silence (liveness, "sup-1", 3001), 2001);
    //  A heartbeat ends the silence.
    ck_assert_int_eq (nimbus_liveness_heartbeat (liveness, "sup-1", 3500), 0);
    ck_assert (!nimbus_liveness_silent (liveness, "sup-1", 3600));
    ck_assert_int_eq (nimbus_liveness_silence (liveness, "sup-1", 3600), 100);
    nimbus_liveness_destroy (&liveness);
    ck_assert_ptr_null (liveness);
    nimbus_liveness_destroy (&liveness);
}
END_TEST

START_TEST (test_never_heard_is_never_silent)
{
    nimbus_liveness_t *liveness = nimbus_liveness_new (TIMEOUT_MS);
    ck_assert (!nimbus_liveness_silent (liveness, "sup-1", 1000000));
    ck_assert_int_eq (nimbus_liveness_silence (liveness, "sup-1", 1000000), -1);
    ck_assert_uint_eq (nimbus_liveness_size (liveness), 0);
    nimbus_liveness_destroy (&liveness);
}
END_TEST

START_TEST (test_forget_and_list)
{
    nimbus_liveness_t *liveness = nimbus_liveness_new (TIMEOUT_MS);
    ck_assert_int_eq (nimbus_liveness_heartbeat (liveness, "sup-1", 0), 0);
    ck_assert_int_eq (nimbus_liveness_heartbeat (liveness, "sup-2", 0), 0);
    ck_assert_int_eq (nimbus_liveness_heartbeat (liveness, "sup-2", 10), 0);
    ck_assert_uint_eq (nimbus_liveness_size (liveness), 2);
    zlist_t *ids = nimbus_liveness_ids (liveness);
    ck_assert_uint_eq (zlist_size (ids), 2);
    zlist_sort (ids, NULL);
    ck_assert_str_eq (zlist_first (ids), "sup-1");
    ck_assert_str_eq (zlist_next (ids), "sup-2");
    zlist_destroy (&ids);
    nimbus_liveness_forget (liveness, "sup-1");
    nimbus_liveness_forget (liveness, "sup-3"); //  not known: nothing happens
    ck_assert_uint_eq (nimbus_liveness_size (liveness), 1);
    ck_assert (!nimbus_liveness_silent (liveness, "sup-1", 100000));
    ck_assert (nimbus_liveness_silent (liveness, "sup-2", 100000));
    nimbus_liveness_destroy (&liveness);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_liveness");
    TCase *tcase = tcase_create ("liveness");
    tcase_add_test (tcase, test_silent_after_the_timeout);
    tcase_add_test (tcase, test_never_heard_is_never_silent);
    tcase_add_test (tcase, test_forget_and_list);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
