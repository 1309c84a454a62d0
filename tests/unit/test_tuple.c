/*  test_tuple - tuples made on their own and carved from tuple blocks

    A block must hand out tuples that hold copies of their values, side by
    side, and must be freed exactly when its maker retired it and its last
    tuple was destroyed, in either order and on any thread. The count of
    live blocks (sq_tuple_blocks_live) shows when a block is freed; the
    memcheck and sanitizer runs of this suite show that nothing is freed
    twice, read after its free, or left behind.
*/
#include "sq_queue.h"
#include "sq_tuple.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CROSS_THREAD_TUPLES 200000 //  tuples the producer thread hands over
#define CROSS_THREAD_BATCH 64      //  tuples pushed onto the queue at once
#define CROSS_THREAD_QUEUE 1024    //  room in the queue between the threads

static sq_stream_t *s_stream;

static void
s_setup (void)
{
    s_stream = sq_stream_new ("split", "default", "word,n");
    ck_assert_ptr_nonnull (s_stream);
}

static void
s_teardown (void)
{
    sq_stream_destroy (&s_stream);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 0);
}

//  A tuple of the test stream, carved from *block_p: (word, n).
static sq_tuple_t *
s_carve (sq_tuple_block_t **block_p, const char *word, int64_t n)
{
    sq_value_t values[] = {sq_str (word), sq_int (n)};
    return sq_tuple_new_in (block_p, s_stream, 1, 2, NULL, 0, values, 2);
}

START_TEST (test_carved_tuples_hold_copies_side_by_side)
{
    sq_tuple_block_t *block = NULL;
    char word[] = "harbour";
    sq_edge_t edges[] = {{11, 12}, {21, 22}};
    sq_value_t values[] = {sq_str (word), sq_int (7)};
    sq_tuple_t *first = sq_tuple_new_in (&block, s_stream, 3, 4, edges, 2, values, 2);
    sq_tuple_t *second = s_carve (&block, "town", 8);
    ck_assert_ptr_nonnull (first);
    ck_assert_ptr_nonnull (second);
    word[0] = 'X'; //  the tuple holds a copy, not the caller's bytes
    ck_assert_str_eq (sq_tuple_get_string (first, 0), "harbour");
    ck_assert_int_eq (sq_tuple_get_int (first, 1), 7);
    ck_assert_int_eq (sq_tuple_source_task (first), 3);
    ck_assert_int_eq (first->dest_task, 4);
    ck_assert_uint_eq (first->edge_count, 2);
    ck_assert_uint_eq (first->edges[1].root, 21);
    ck_assert_uint_eq (first->edges[1].edge, 22);
    ck_assert_str_eq (sq_tuple_field_string (second, "word"), "town");
    ck_assert_ptr_eq (first->block, second->block);
    //  The second follows the first, with only alignment between them.
    ptrdiff_t gap = (char *) second - (char *) first;
    ck_assert_int_gt (gap, 0);
    ck_assert_int_lt (gap, 256);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 1);
    sq_tuple_destroy (&first);
    sq_tuple_destroy (&second);
    ck_assert_ptr_null (first);
    sq_tuple_block_retire (&block);
    ck_assert_ptr_null (block);
}
END_TEST

START_TEST (test_block_freed_with_its_last_tuple_after_retirement)
{
    sq_tuple_block_t *block = NULL;
    sq_tuple_t *tuples[3];
    for (int i = 0; i < 3; i++)
        tuples[i] = s_carve (&block, "word", i);
    sq_tuple_block_retire (&block);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 1);
    sq_tuple_destroy (&tuples[2]);
    sq_tuple_destroy (&tuples[0]);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 1);
    //  Still readable: the block lives on for it.
    ck_assert_int_eq (sq_tuple_get_int (tuples[1], 1), 1);
    sq_tuple_destroy (&tuples[1]);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 0);
}
END_TEST

START_TEST (test_block_freed_at_retirement_when_tuples_are_gone)
{
    sq_tuple_block_t *block = NULL;
    sq_tuple_t *tuple = s_carve (&block, "word", 1);
    sq_tuple_destroy (&tuple);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 1);
    sq_tuple_block_retire (&block);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 0);
    sq_tuple_block_retire (&block); //  NULL-safe
}
END_TEST

START_TEST (test_full_block_is_retired_for_a_new_one)
{
    sq_tuple_block_t *block = NULL;
    size_t count = 2 * SQ_TUPLE_BLOCK_BYTES / sizeof (sq_tuple_t);
    sq_tuple_t **tuples = calloc (count, sizeof (sq_tuple_t *));
    size_t blocks_seen = 1;
    for (size_t i = 0; i < count; i++) {
        tuples[i] = s_carve (&block, "some words", (int64_t) i);
        ck_assert_ptr_nonnull (tuples[i]);
        ck_assert_ptr_eq (tuples[i]->block, block);
        if (i && tuples[i]->block != tuples[i - 1]->block)
            blocks_seen++;
    }
    ck_assert_uint_ge (blocks_seen, 3);
    ck_assert_uint_eq (sq_tuple_blocks_live (), blocks_seen);
    //  The full blocks were retired: destroying their tuples frees them,
    //  and only the block still carved from remains.
    for (size_t i = 0; i < count; i++) {
        ck_assert_int_eq (sq_tuple_get_int (tuples[i], 1), (int64_t) i);
        sq_tuple_destroy (&tuples[i]);
    }
    ck_assert_uint_eq (sq_tuple_blocks_live (), 1);
    sq_tuple_block_retire (&block);
    free (tuples);
}
END_TEST

START_TEST (test_large_tuple_gets_its_own_allocation)
{
    sq_tuple_block_t *block = NULL;
    size_t len = SQ_TUPLE_BLOCK_BYTES;
    char *text = malloc (len + 1);
    memset (text, 'a', len);
    text[len] = 0;
    sq_tuple_t *large = s_carve (&block, text, 1);
    ck_assert_ptr_nonnull (large);
    ck_assert_ptr_null (large->block);
    ck_assert_ptr_null (block);
    ck_assert_str_eq (sq_tuple_get_string (large, 0), text);
    sq_tuple_destroy (&large);
    free (text);
}
END_TEST

START_TEST (test_too_many_values_make_no_tuple)
{
    sq_tuple_block_t *block = NULL;
    size_t count = 65536;
    sq_value_t *values = calloc (count, sizeof (sq_value_t));
    ck_assert_ptr_null (sq_tuple_new_in (&block, s_stream, 1, 2, NULL, 0, values, count));
    ck_assert_ptr_null (sq_tuple_new (s_stream, 1, 2, NULL, 0, values, count));
    ck_assert_uint_eq (sq_tuple_blocks_live (), 0);
    free (values);
}
END_TEST

//  The reading side of the cross-thread test: checks and destroys every
//  tuple it pops, in order.
static void *
s_consume (void *arg)
{
    sq_queue_t *queue = arg;
    sq_message_t batch[CROSS_THREAD_BATCH];
    int64_t expected = 0;
    while (expected < CROSS_THREAD_TUPLES) {
        size_t count = sq_queue_pop (queue, batch, CROSS_THREAD_BATCH, -1);
        for (size_t i = 0; i < count; i++) {
            if (sq_tuple_get_int (batch[i].tuple, 1) != expected++)
                return "tuple out of order or damaged";
            sq_tuple_destroy (&batch[i].tuple);
        }
    }
    return NULL;
}

START_TEST (test_tuples_destroyed_on_another_thread)
{
    sq_queue_t *queue = sq_queue_new (CROSS_THREAD_QUEUE);
    pthread_t reader;
    ck_assert_int_eq (pthread_create (&reader, NULL, s_consume, queue), 0);
    sq_tuple_block_t *block = NULL;
    sq_message_t batch[CROSS_THREAD_BATCH];
    for (int64_t n = 0; n < CROSS_THREAD_TUPLES; n += CROSS_THREAD_BATCH) {
        for (int i = 0; i < CROSS_THREAD_BATCH; i++)
            batch[i] = (sq_message_t){
                .kind = SQ_MSG_TUPLE, .task = 2, .tuple = s_carve (&block, "crows", n + i)};
        ck_assert_uint_eq (sq_queue_push (queue, batch, CROSS_THREAD_BATCH, true),
                           CROSS_THREAD_BATCH);
    }
    void *failure = NULL;
    pthread_join (reader, &failure);
    ck_assert_msg (failure == NULL, "%s", (const char *) failure);
    ck_assert_uint_eq (sq_tuple_blocks_live (), 1);
    sq_tuple_block_retire (&block);
    sq_queue_destroy (&queue);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("sq_tuple");
    TCase *tcase = tcase_create ("blocks");
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_carved_tuples_hold_copies_side_by_side);
    tcase_add_test (tcase, test_block_freed_with_its_last_tuple_after_retirement);
    tcase_add_test (tcase, test_block_freed_at_retirement_when_tuples_are_gone);
    tcase_add_test (tcase, test_full_block_is_retired_for_a_new_one);
    tcase_add_test (tcase, test_large_tuple_gets_its_own_allocation);
    tcase_add_test (tcase, test_too_many_values_make_no_tuple);
    tcase_add_test (tcase, test_tuples_destroyed_on_another_thread);
    tcase_set_timeout (tcase, 60);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
