/*  test_grouping - each grouping picks the tasks Storm users expect */
#include "sq_grouping.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static sq_grouping_t *
s_grouping (sq_grouping_type_t type, int first_task, int task_count)
{
    sq_grouping_spec_t spec = {.type = type, .first_task = first_task, .task_count = task_count};
    return sq_grouping_new (&spec);
}

START_TEST (test_shuffle_spreads_evenly)
{
    sq_grouping_t *grouping = s_grouping (SQ_GROUPING_SHUFFLE, 5, 4);
    int hits[4] = {0};
    for (int i = 0; i < 4000; i++) {
        int target;
        ck_assert_uint_eq (sq_grouping_choose (grouping, NULL, &target), 1);
        ck_assert_int_ge (target, 5);
        ck_assert_int_le (target, 8);
        hits[target - 5]++;
    }
    for (int t = 0; t < 4; t++)
        ck_assert_int_eq (hits[t], 1000);
    sq_grouping_destroy (&grouping);
    ck_assert_ptr_null (grouping);
}
END_TEST

START_TEST (test_shuffle_order_is_not_fixed)
{
    //  Two instances should not walk the tasks in lockstep forever.
    sq_grouping_t *a = s_grouping (SQ_GROUPING_NONE, 1, 16);
    sq_grouping_t *b = s_grouping (SQ_GROUPING_NONE, 1, 16);
    int differences = 0;
    for (int i = 0; i < 160; i++) {
        int ta, tb;
        sq_grouping_choose (a, NULL, &ta);
        sq_grouping_choose (b, NULL, &tb);
        differences += ta != tb;
    }
    ck_assert_int_gt (differences, 0);
    sq_grouping_destroy (&a);
    sq_grouping_destroy (&b);
}
END_TEST

START_TEST (test_fields_same_key_same_task)
{
    int indices[] = {1};
    sq_grouping_spec_t spec = {.type = SQ_GROUPING_FIELDS,
                               .first_task = 3,
                               .task_count = 7,
                               .field_indices = indices,
                               .field_count = 1};
    sq_grouping_t *first = sq_grouping_new (&spec);
    sq_grouping_t *second = sq_grouping_new (&spec);
    int used[7] = {0};
    for (int i = 0; i < 500; i++) {
        char word[32];
        snprintf (word, sizeof word, "word-%d", i);
        //  Field 0 differs between the two calls; only field 1 is grouped.
        sq_value_t values_a[] = {sq_int (i), sq_str (word)};
        sq_value_t values_b[] = {sq_int (-i), sq_str (word)};
        int task_a, task_b, again;
        sq_grouping_choose (first, values_a, &task_a);
        sq_grouping_choose (second, values_b, &task_b);
        sq_grouping_choose (first, values_a, &again);
        ck_assert_int_eq (task_a, task_b);
        ck_assert_int_eq (task_a, again);
        ck_assert_int_ge (task_a, 3);
        ck_assert_int_le (task_a, 9);
        used[task_a - 3]++;
    }
    for (int t = 0; t < 7; t++)
        ck_assert_int_gt (used[t], 20); //  every task gets a fair share of 500 keys
    sq_grouping_destroy (&first);
    sq_grouping_destroy (&second);
}
END_TEST

START_TEST (test_all_reaches_every_task)
{
    sq_grouping_t *grouping = s_grouping (SQ_GROUPING_ALL, 10, 3);
    ck_assert_uint_eq (sq_grouping_max_targets (grouping), 3);
    int targets[3];
    ck_assert_uint_eq (sq_grouping_choose (grouping, NULL, targets), 3);
    ck_assert_int_eq (targets[0], 10);
    ck_assert_int_eq (targets[1], 11);
    ck_assert_int_eq (targets[2], 12);
    sq_grouping_destroy (&grouping);
}
END_TEST

START_TEST (test_global_picks_lowest_task)
{
    sq_grouping_t *grouping = s_grouping (SQ_GROUPING_GLOBAL, 4, 5);
    for (int i = 0; i < 10; i++) {
        int target;
        ck_assert_uint_eq (sq_grouping_choose (grouping, NULL, &target), 1);
        ck_assert_int_eq (target, 4);
    }
    sq_grouping_destroy (&grouping);
}
END_TEST

START_TEST (test_direct_leaves_choice_to_emitter)
{
    sq_grouping_t *grouping = s_grouping (SQ_GROUPING_DIRECT, 4, 2);
    int target = 0;
    ck_assert_uint_eq (sq_grouping_choose (grouping, NULL, &target), 0);
    ck_assert (sq_grouping_accepts (grouping, 4));
    ck_assert (sq_grouping_accepts (grouping, 5));
    ck_assert (!sq_grouping_accepts (grouping, 3));
    ck_assert (!sq_grouping_accepts (grouping, 6));
    sq_grouping_destroy (&grouping);
}
END_TEST

START_TEST (test_local_or_shuffle_prefers_local_tasks)
{
    bool local[] = {false, true, false, true};
    sq_grouping_spec_t spec = {
        .type = SQ_GROUPING_LOCAL_OR_SHUFFLE, .first_task = 1, .task_count = 4, .local = local};
    sq_grouping_t *grouping = sq_grouping_new (&spec);
    int hits[5] = {0};
    for (int i = 0; i < 100; i++) {
        int target;
        sq_grouping_choose (grouping, NULL, &target);
        hits[target]++;
    }
    ck_assert_int_eq (hits[2], 50);
    ck_assert_int_eq (hits[4], 50);
    sq_grouping_destroy (&grouping);

    bool none_local[] = {false, false};
    spec = (sq_grouping_spec_t){.type = SQ_GROUPING_LOCAL_OR_SHUFFLE,
                                .first_task = 1,
                                .task_count = 2,
                                .local = none_local};
    grouping = sq_grouping_new (&spec);
    int seen[3] = {0};
    for (int i = 0; i < 10; i++) {
        int target;
        sq_grouping_choose (grouping, NULL, &target);
        seen[target]++;
    }
    ck_assert_int_eq (seen[1], 5);
    ck_assert_int_eq (seen[2], 5);
    sq_grouping_destroy (&grouping);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("grouping");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_shuffle_spreads_evenly);
    tcase_add_test (tcase, test_shuffle_order_is_not_fixed);
    tcase_add_test (tcase, test_fields_same_key_same_task);
    tcase_add_test (tcase, test_all_reaches_every_task);
    tcase_add_test (tcase, test_global_picks_lowest_task);
    tcase_add_test (tcase, test_direct_leaves_choice_to_emitter);
    tcase_add_test (tcase, test_local_or_shuffle_prefers_local_tasks);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
