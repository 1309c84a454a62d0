/*  test_grouping - each grouping picks the tasks Storm users expect */
#include "sq_grouping.h"
#include "sq_error.h"
#include "test_random.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

//  ---------------------------------------------------------------------
//  Partial key grouping

static sq_grouping_t *
s_partial_key (int first_task, int task_count)
{
    static const int key_index[] = {0};
    sq_grouping_spec_t spec = {.type = SQ_GROUPING_PARTIAL_KEY,
                               .first_task = first_task,
                               .task_count = task_count,
                               .field_indices = key_index,
                               .field_count = 1};
    return sq_grouping_new (&spec);
}

START_TEST (test_partial_key_candidates_are_fixed)
{
    //  The candidates depend only on the values' bytes and the two fixed
    //  seeds, so every process agrees. These pins are a format: changing
    //  them moves keys between tasks across a rolling upgrade.
    static const struct {
        const char *key;
        int first, second;
    } pins[] = {{"apple", 9, 7}, {"banana", 6, 7}, {"cherry", 0, 1},
                {"", 2, 3},      {"storm", 4, 5},  {"squall", 0, 9}};
    int index = 0;
    for (size_t i = 0; i < sizeof pins / sizeof *pins; i++) {
        sq_value_t value = sq_str (pins[i].key);
        int first, second;
        sq_grouping_partial_key_candidates (&value, &index, 1, 10, &first, &second);
        ck_assert_int_eq (first, pins[i].first);
        ck_assert_int_eq (second, pins[i].second);
    }
    //  Only the grouped field counts.
    sq_value_t a[] = {sq_int (1), sq_str ("apple")};
    sq_value_t b[] = {sq_int (2), sq_str ("apple")};
    int field = 1, a1, a2, b1, b2;
    sq_grouping_partial_key_candidates (a, &field, 1, 10, &a1, &a2);
    sq_grouping_partial_key_candidates (b, &field, 1, 10, &b1, &b2);
    ck_assert_int_eq (a1, b1);
    ck_assert_int_eq (a2, b2);
}
END_TEST

START_TEST (test_partial_key_candidates_are_independent)
{
    //  The two hashes must act as independent choices, or a hot key's two
    //  candidates would crowd together. Over every three-letter key
    //  (17576) on 10 tasks, the 100 (first, second) pairs should each come
    //  up 175.76 times; Pearson's chi-square with 99 degrees of freedom
    //  exceeds 148.2 with probability 0.001 for independent uniform pairs.
    long cell[10][10] = {{0}};
    long keys = 0;
    char key[4] = {0};
    int index = 0;
    for (int i = 0; i < 26 * 26 * 26; i++) {
        key[0] = (char) ('a' + i % 26);
        key[1] = (char) ('a' + i / 26 % 26);
        key[2] = (char) ('a' + i / 676);
        sq_value_t value = sq_str (key);
        int first, second;
        sq_grouping_partial_key_candidates (&value, &index, 1, 10, &first, &second);
        cell[first][second]++;
        keys++;
    }
    double expected = (double) keys / 100, chi_square = 0;
    for (int first = 0; first < 10; first++)
        for (int second = 0; second < 10; second++) {
            double off = (double) cell[first][second] - expected;
            chi_square += off * off / expected;
        }
    printf ("partial key candidates of %ld keys on 10 tasks: chi-square %.1f (99 df)\n", keys,
            chi_square);
    ck_assert_double_lt (chi_square, 148.2);
}
END_TEST

START_TEST (test_partial_key_splits_one_hot_key_in_halves)
{
    //  Every tuple has the same key: fields grouping sends all of them to
    //  one task; partial key alternates between the key's two candidates
    //  (its counts for them differ by at most one at every step).
    int index = 0, first, second;
    sq_value_t value = sq_str ("hot");
    sq_grouping_partial_key_candidates (&value, &index, 1, 6, &first, &second);
    ck_assert_int_ne (first, second); //  else pick another key for this test
    sq_grouping_t *grouping = s_partial_key (11, 6);
    int hits[6] = {0};
    for (int i = 0; i < 1001; i++) {
        int target;
        ck_assert_int_eq (sq_grouping_choose (grouping, &value, &target), 1);
        ck_assert (target == 11 + first || target == 11 + second);
        hits[target - 11]++;
        ck_assert_int_le (abs (hits[first] - hits[second]), 1);
    }
    ck_assert_int_eq (hits[first], 501); //  the first candidate wins ties
    ck_assert_int_eq (hits[second], 500);
    sq_grouping_destroy (&grouping);
}
END_TEST

//  Weight of key k (0-based) in a Zipf-like stream: floor (scale / (k + 1)).
#define ZIPF_KEYS 1000
#define ZIPF_TASKS 10
#define ZIPF_SCALE 13000

START_TEST (test_partial_key_is_far_more_even_than_fields_on_skewed_keys)
{
    //  A skewed stream: key k appears floor (13000 / (k + 1)) times (the
    //  hot key 13000 times, 13% of the ~99000 tuples), in a random order.
    static int stream[ZIPF_SCALE * 8];
    long weight[ZIPF_KEYS];
    size_t total = 0;
    for (int k = 0; k < ZIPF_KEYS; k++) {
        weight[k] = ZIPF_SCALE / (k + 1);
        for (long i = 0; i < weight[k]; i++) {
            ck_assert_uint_lt (total, sizeof stream / sizeof *stream);
            stream[total++] = k;
        }
    }
    s_rng = 20261129;
    for (size_t i = total - 1; i > 0; i--) {
        size_t j = s_below (i + 1);
        int swap = stream[i];
        stream[i] = stream[j];
        stream[j] = swap;
    }
    int index = 0;
    sq_grouping_spec_t spec = {.type = SQ_GROUPING_FIELDS,
                               .first_task = 1,
                               .task_count = ZIPF_TASKS,
                               .field_indices = &index,
                               .field_count = 1};
    sq_grouping_t *fields = sq_grouping_new (&spec);
    sq_grouping_t *partial = s_partial_key (1, ZIPF_TASKS);
    int candidate[ZIPF_KEYS][2];
    for (int k = 0; k < ZIPF_KEYS; k++) {
        sq_value_t value = sq_int (k);
        sq_grouping_partial_key_candidates (&value, &index, 1, ZIPF_TASKS, &candidate[k][0],
                                            &candidate[k][1]);
    }
    long fields_load[ZIPF_TASKS + 1] = {0};
    long partial_load[ZIPF_TASKS + 1] = {0};
    for (size_t i = 0; i < total; i++) {
        int k = stream[i];
        sq_value_t value = sq_int (k);
        int target;
        ck_assert_int_eq (sq_grouping_choose (fields, &value, &target), 1);
        fields_load[target]++;
        ck_assert_int_eq (sq_grouping_choose (partial, &value, &target), 1);
        ck_assert (target - 1 == candidate[k][0] || target - 1 == candidate[k][1]);
        partial_load[target]++;
    }
    long fields_max = 0, partial_max = 0;
    for (int t = 1; t <= ZIPF_TASKS; t++) {
        fields_max = fields_load[t] > fields_max ? fields_load[t] : fields_max;
        partial_max = partial_load[t] > partial_max ? partial_load[t] : partial_max;
    }
    //  The best any assignment can do when each key may only go to its two
    //  candidates: for every set S of tasks, the tuples whose candidates
    //  both lie in S must fit on S, so some task of S carries at least
    //  their count / |S| (S = all tasks gives the mean). By max-flow /
    //  min-cut this bound is also reached when keys may be split freely,
    //  so it is the optimum of an offline splitter that knows the counts.
    double optimum = 0;
    for (unsigned set = 1; set < (1u << ZIPF_TASKS); set++) {
        long inside = 0;
        for (int k = 0; k < ZIPF_KEYS; k++)
            if ((set >> candidate[k][0] & 1) && (set >> candidate[k][1] & 1))
                inside += weight[k];
        double share = (double) inside / __builtin_popcount (set);
        optimum = share > optimum ? share : optimum;
    }
    double mean = (double) total / ZIPF_TASKS;
    printf ("partial key over %zu skewed tuples on %d tasks: mean %.0f, optimum %.1f, "
            "partial key max %ld, fields max %ld\n",
            total, ZIPF_TASKS, mean, optimum, partial_max, fields_max);
    //  Fields grouping puts the whole hot key on one task: at least 13000,
    //  30% over the mean of ~9900.
    ck_assert_int_ge (fields_max, weight[0]);
    //  Partial key is online and greedy, so it cannot beat the offline
    //  optimum; on a shuffled stream it stays within 0.1% of the tuples of
    //  it (measured: 3 tuples over).
    ck_assert_int_ge (partial_max, (long) optimum);
    ck_assert_int_le (partial_max, (long) optimum + (long) total / 1000);
    //  Here the optimum is the mean (no small set of tasks is overloaded),
    //  so partial key is within 1% of perfectly even, fields far from it.
    ck_assert_double_lt (optimum, mean + 1);
    ck_assert_double_lt ((double) partial_max, mean * 1.01);
    ck_assert_double_gt ((double) fields_max, mean * 1.3);
    sq_grouping_destroy (&fields);
    sq_grouping_destroy (&partial);
}
END_TEST

START_TEST (test_partial_key_counts_per_instance)
{
    //  Each emitting task balances its own sends: a fresh instance starts
    //  from zero and picks the first candidate again.
    int index = 0, first, second;
    sq_value_t value = sq_str ("hot");
    sq_grouping_partial_key_candidates (&value, &index, 1, 6, &first, &second);
    sq_grouping_t *a = s_partial_key (1, 6);
    sq_grouping_t *b = s_partial_key (1, 6);
    int target;
    sq_grouping_choose (a, &value, &target);
    ck_assert_int_eq (target, 1 + first);
    sq_grouping_choose (a, &value, &target);
    ck_assert_int_eq (target, 1 + second);
    sq_grouping_choose (b, &value, &target);
    ck_assert_int_eq (target, 1 + first);
    sq_grouping_destroy (&a);
    sq_grouping_destroy (&b);
    //  One task: both candidates are it.
    sq_grouping_t *single = s_partial_key (7, 1);
    ck_assert_int_eq (sq_grouping_choose (single, &value, &target), 1);
    ck_assert_int_eq (target, 7);
    sq_grouping_destroy (&single);
}
END_TEST

//  ---------------------------------------------------------------------
//  Custom grouping

//  A test grouping: prepare records what it was given; choose returns
//  whatever the test asks for through the state.
typedef struct {
    int targets[8];      //  target tasks given to prepare
    size_t target_count; //  how many
    char stream[32];     //  stream given to prepare
    int reply[8];        //  tasks choose writes
    int reply_count;     //  what choose returns
    int last_task_id;    //  task_id choose saw last
    int64_t last_value;  //  value 0 choose saw last
    size_t last_count;   //  value count choose saw last
    int cleanups;        //  cleanup calls
    bool refuse_prepare; //  prepare returns -1
} s_custom_state_t;

static s_custom_state_t s_custom; //  the one instance the tests create at a time

static int
s_custom_prepare (void **state_p, const sq_context_t *context, const char *stream,
                  const int *target_tasks, size_t target_count)
{
    (void) context;
    if (s_custom.refuse_prepare)
        return -1;
    memcpy (s_custom.targets, target_tasks, target_count * sizeof (int));
    s_custom.target_count = target_count;
    snprintf (s_custom.stream, sizeof s_custom.stream, "%s", stream);
    *state_p = &s_custom;
    return 0;
}

static int
s_custom_choose (void *state, int task_id, const sq_value_t *values, size_t count, int *chosen)
{
    s_custom_state_t *self = state;
    self->last_task_id = task_id;
    self->last_value = values[0].as.i;
    self->last_count = count;
    //  Writes no more than the room it has, but may claim more.
    for (int i = 0; i < self->reply_count && i < (int) self->target_count; i++)
        chosen[i] = self->reply[i];
    return self->reply_count;
}

static void
s_custom_cleanup (void *state)
{
    ((s_custom_state_t *) state)->cleanups++;
}

static const sq_custom_grouping_t s_custom_grouping = {
    .prepare = s_custom_prepare, .choose = s_custom_choose, .cleanup = s_custom_cleanup};

static sq_grouping_t *
s_custom_new (void)
{
    sq_grouping_spec_t spec = {.type = SQ_GROUPING_CUSTOM,
                               .first_task = 4,
                               .task_count = 3,
                               .custom = &s_custom_grouping,
                               .source_task = 9,
                               .value_count = 2,
                               .source = "words",
                               .stream = "lines",
                               .target = "count"};
    return sq_grouping_new (&spec);
}

START_TEST (test_custom_prepares_chooses_and_cleans_up)
{
    memset (&s_custom, 0, sizeof s_custom);
    sq_grouping_t *grouping = s_custom_new ();
    ck_assert_ptr_nonnull (grouping);
    ck_assert_uint_eq (s_custom.target_count, 3);
    ck_assert_int_eq (s_custom.targets[0], 4);
    ck_assert_int_eq (s_custom.targets[2], 6);
    ck_assert_str_eq (s_custom.stream, "lines");
    ck_assert_uint_eq (sq_grouping_max_targets (grouping), 3);

    s_custom.reply_count = 2;
    s_custom.reply[0] = 6;
    s_custom.reply[1] = 4;
    sq_value_t values[] = {sq_int (77), sq_str ("x")};
    int targets[3] = {0};
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), 2);
    ck_assert_int_eq (targets[0], 6);
    ck_assert_int_eq (targets[1], 4);
    ck_assert_int_eq (s_custom.last_task_id, 9);
    ck_assert_int_eq (s_custom.last_value, 77);
    ck_assert_uint_eq (s_custom.last_count, 2);

    s_custom.reply_count = 0; //  nowhere is a valid choice
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), 0);
    ck_assert_int_eq (s_custom.cleanups, 0);
    sq_grouping_destroy (&grouping);
    ck_assert_int_eq (s_custom.cleanups, 1);
}
END_TEST

START_TEST (test_custom_bad_choices_fail_cleanly)
{
    memset (&s_custom, 0, sizeof s_custom);
    sq_grouping_t *grouping = s_custom_new ();
    sq_value_t values[] = {sq_int (1), sq_str ("x")};
    int targets[3] = {-5, -5, -5};
    //  A task of another component: refused, nothing written to targets.
    s_custom.reply_count = 2;
    s_custom.reply[0] = 5;
    s_custom.reply[1] = 7;
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), -1);
    ck_assert_str_eq (sq_last_error (),
                      "the custom grouping of 'count' on stream 'lines' of 'words' chose task 7, "
                      "which is not one of its target tasks 4-6");
    ck_assert_int_eq (targets[0], -5);
    s_custom.reply[1] = 3;
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), -1);
    s_custom.reply[1] = 0;
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), -1);
    ck_assert_int_eq (targets[0], -5);
    //  A negative count, or more tasks than there are targets.
    s_custom.reply_count = -1;
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "refused a tuple"));
    s_custom.reply_count = 4;
    s_custom.reply[0] = s_custom.reply[1] = 4;
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "chose 4 tasks; it has 3 target tasks"));
    ck_assert_int_eq (targets[0], -5);
    //  Still usable after refusals.
    s_custom.reply_count = 1;
    ck_assert_int_eq (sq_grouping_choose (grouping, values, targets), 1);
    ck_assert_int_eq (targets[0], 4);
    sq_grouping_destroy (&grouping);
    ck_assert_int_eq (s_custom.cleanups, 1);
}
END_TEST

START_TEST (test_custom_failed_prepare_is_reported)
{
    memset (&s_custom, 0, sizeof s_custom);
    s_custom.refuse_prepare = true;
    ck_assert_ptr_null (s_custom_new ());
    ck_assert_str_eq (sq_last_error (),
                      "the custom grouping of 'count' on stream 'lines' of 'words' failed to "
                      "prepare");
    ck_assert_int_eq (s_custom.cleanups, 0); //  no cleanup without a prepare
    //  prepare and cleanup are optional.
    static const sq_custom_grouping_t bare = {.choose = s_custom_choose};
    sq_grouping_spec_t spec = {
        .type = SQ_GROUPING_CUSTOM, .first_task = 1, .task_count = 2, .custom = &bare};
    sq_grouping_t *grouping = sq_grouping_new (&spec);
    ck_assert_ptr_nonnull (grouping);
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
    tcase_add_test (tcase, test_partial_key_candidates_are_fixed);
    tcase_add_test (tcase, test_partial_key_candidates_are_independent);
    tcase_add_test (tcase, test_partial_key_splits_one_hot_key_in_halves);
    tcase_add_test (tcase, test_partial_key_is_far_more_even_than_fields_on_skewed_keys);
    tcase_add_test (tcase, test_partial_key_counts_per_instance);
    tcase_add_test (tcase, test_custom_prepares_chooses_and_cleans_up);
    tcase_add_test (tcase, test_custom_bad_choices_fail_cleanly);
    tcase_add_test (tcase, test_custom_failed_prepare_is_reported);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
