/*  test_nimbus_refusals - nimbus logs the first refusal of each peer only

    Checks which refusals the set says to log, that it never remembers more
    than its capacity, in which order it forgets, and that hostile peer
    names (long, many) cost bounded memory.
*/
#include "nimbus_refusals.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST (test_once_per_peer)
{
    nimbus_refusals_t *refusals = nimbus_refusals_new (4);
    ck_assert (refusals);
    ck_assert (nimbus_refusals_note (refusals, "alice"));
    for (int i = 0; i < 1000; i++)
        ck_assert (!nimbus_refusals_note (refusals, "alice"));
    ck_assert (nimbus_refusals_note (refusals, "bob"));
    ck_assert (!nimbus_refusals_note (refusals, "bob"));
    ck_assert (!nimbus_refusals_note (refusals, "alice"));
    ck_assert_uint_eq (nimbus_refusals_total (refusals), 1004);
    ck_assert_uint_eq (nimbus_refusals_peers (refusals), 2);
    nimbus_refusals_destroy (&refusals);
    nimbus_refusals_destroy (&refusals);
    ck_assert_ptr_null (refusals);
}
END_TEST

START_TEST (test_bounded_forgets_oldest)
{
    nimbus_refusals_t *refusals = nimbus_refusals_new (3);
    ck_assert (nimbus_refusals_note (refusals, "a"));
    ck_assert (nimbus_refusals_note (refusals, "b"));
    ck_assert (nimbus_refusals_note (refusals, "c"));
    ck_assert_uint_eq (nimbus_refusals_peers (refusals), 3);
    //  d pushes a out: a is logged again, which pushes b out.
    ck_assert (nimbus_refusals_note (refusals, "d"));
    ck_assert_uint_eq (nimbus_refusals_peers (refusals), 3);
    ck_assert (!nimbus_refusals_note (refusals, "c"));
    ck_assert (!nimbus_refusals_note (refusals, "d"));
    ck_assert (nimbus_refusals_note (refusals, "a"));
    ck_assert (nimbus_refusals_note (refusals, "b"));
    ck_assert (!nimbus_refusals_note (refusals, "a"));
    ck_assert_uint_eq (nimbus_refusals_peers (refusals), 3);
    ck_assert_uint_eq (nimbus_refusals_total (refusals), 9);
    nimbus_refusals_destroy (&refusals);
    //  Capacity 0 means 1.
    refusals = nimbus_refusals_new (0);
    ck_assert (nimbus_refusals_note (refusals, "a"));
    ck_assert (!nimbus_refusals_note (refusals, "a"));
    ck_assert (nimbus_refusals_note (refusals, "b"));
    ck_assert (nimbus_refusals_note (refusals, "a"));
    ck_assert_uint_eq (nimbus_refusals_peers (refusals), 1);
    nimbus_refusals_destroy (&refusals);
}
END_TEST

START_TEST (test_flood_of_peers)
{
    //  A flood of distinct peers: every first refusal is logged, the set
    //  stays at its capacity, and a peer seen within the last `capacity`
    //  distinct peers is not logged again.
    nimbus_refusals_t *refusals = nimbus_refusals_new (256);
    char peer[32];
    for (int i = 0; i < 100000; i++) {
        snprintf (peer, sizeof peer, "peer-%d", i);
        ck_assert (nimbus_refusals_note (refusals, peer));
        ck_assert_uint_le (nimbus_refusals_peers (refusals), 256);
        snprintf (peer, sizeof peer, "peer-%d", i > 255 ? i - 255 : 0);
        ck_assert (!nimbus_refusals_note (refusals, peer));
    }
    ck_assert_uint_eq (nimbus_refusals_peers (refusals), 256);
    ck_assert_uint_eq (nimbus_refusals_total (refusals), 200000);
    nimbus_refusals_destroy (&refusals);
}
END_TEST

START_TEST (test_long_names_cut)
{
    //  Names are kept to NIMBUS_REFUSALS_MAX_PEER bytes: two names that
    //  differ only beyond are one peer.
    nimbus_refusals_t *refusals = nimbus_refusals_new (8);
    char *first = malloc (100000), *second = malloc (100000);
    memset (first, 'x', 99999);
    first[99999] = 0;
    strcpy (second, first);
    second[NIMBUS_REFUSALS_MAX_PEER + 5] = 'y';
    ck_assert (nimbus_refusals_note (refusals, first));
    ck_assert (!nimbus_refusals_note (refusals, second));
    second[NIMBUS_REFUSALS_MAX_PEER - 1] = 'y';
    ck_assert (nimbus_refusals_note (refusals, second));
    ck_assert (nimbus_refusals_note (refusals, ""));
    ck_assert (!nimbus_refusals_note (refusals, ""));
    free (first);
    free (second);
    nimbus_refusals_destroy (&refusals);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_refusals");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_once_per_peer);
    tcase_add_test (tc, test_bounded_forgets_oldest);
    tcase_add_test (tc, test_flood_of_peers);
    tcase_add_test (tc, test_long_names_cut);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
