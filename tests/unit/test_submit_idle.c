/*  test_submit_idle - submit_idle: when a local run counts as idle (quiet
    spouts, no tree in flight, empty queues, for the whole quiet period)
*/
#include "squall.h"
#include "submit_idle.h"

#include <check.h>
#include <stdlib.h>

START_TEST (test_quiet_for_the_whole_period)
{
    submit_idle_t *idle = submit_idle_new (2000);
    ck_assert_ptr_nonnull (idle);
    sq_topology_stats_t stats = {.spout_emitted = 10, .pending = 3, .queued = 5};
    ck_assert (!submit_idle_update (idle, &stats, 0));
    //  Trees in flight or messages queued: not idle, however long.
    stats.pending = 0;
    ck_assert (!submit_idle_update (idle, &stats, 5000));
    stats.queued = 0;
    //  Quiet from 6000 on: idle at 8000, not before.
    ck_assert (!submit_idle_update (idle, &stats, 6000));
    ck_assert (!submit_idle_update (idle, &stats, 7999));
    ck_assert (submit_idle_update (idle, &stats, 8000));
    //  The spout emits again: the quiet starts over.
    stats.spout_emitted = 11;
    ck_assert (!submit_idle_update (idle, &stats, 8100));
    ck_assert (!submit_idle_update (idle, &stats, 9000));
    ck_assert (submit_idle_update (idle, &stats, 11000));
    submit_idle_destroy (&idle);
    ck_assert_ptr_null (idle);
}
END_TEST

START_TEST (test_a_spout_that_never_emitted)
{
    submit_idle_t *idle = submit_idle_new (1000);
    sq_topology_stats_t stats = {0};
    ck_assert (!submit_idle_update (idle, &stats, 100));
    ck_assert (submit_idle_update (idle, &stats, 1100));
    submit_idle_destroy (&idle);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("submit_idle");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_quiet_for_the_whole_period);
    tcase_add_test (tc, test_a_spout_that_never_emitted);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
