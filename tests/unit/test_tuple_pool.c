/*  test_tuple_pool - sq_tuple_pool recycles blocks across threads, bounded

    The pool is process-wide, so each test starts by noting what the depot
    holds and checks changes against that. Threads stand in for a producer
    executor (takes blocks) and a consumer (gives them back).
*/
#include "sq_tuple.h"
#include "sq_tuple_pool.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 1000     //  blocks moved from one thread to another
#define MAGAZINE 32     //  blocks per magazine (sq_tuple_pool.c)
#define DEPOT_MAX 16384 //  most blocks the depot keeps per class (512 magazines)
#define FLOOD 20000     //  blocks given back at once, beyond the depot's bound

//  Blocks handed to a thread that gives them all back, then ends.
typedef struct {
    void **blocks;    //  the blocks
    uint8_t *classes; //  their classes
    size_t count;     //  number of blocks
} giveaway_t;

static void *
s_give_all (void *argument)
{
    giveaway_t *giveaway = argument;
    for (size_t i = 0; i < giveaway->count; i++)
        sq_tuple_pool_give (giveaway->blocks[i], giveaway->classes[i]);
    return NULL;
}

//  Give the blocks back on a thread of their own, and wait for its end.
static void
s_give_on_thread (giveaway_t *giveaway)
{
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_give_all, giveaway), 0);
    ck_assert_int_eq (pthread_join (thread, NULL), 0);
}

static giveaway_t *
s_take_blocks (size_t count, size_t size)
{
    giveaway_t *giveaway = calloc (1, sizeof (giveaway_t));
    giveaway->blocks = calloc (count, sizeof (void *));
    giveaway->classes = calloc (count, 1);
    giveaway->count = count;
    for (size_t i = 0; i < count; i++) {
        giveaway->blocks[i] = sq_tuple_pool_take (size, &giveaway->classes[i]);
        ck_assert_ptr_nonnull (giveaway->blocks[i]);
        memset (giveaway->blocks[i], 0xA5, size);
    }
    return giveaway;
}

static void
s_giveaway_destroy (giveaway_t **giveaway_p)
{
    free ((*giveaway_p)->blocks);
    free ((*giveaway_p)->classes);
    free (*giveaway_p);
    *giveaway_p = NULL;
}

#ifndef SQ_TUPLE_POOL_OFF
START_TEST (test_same_thread_reuse)
{
    uint8_t size_class;
    void *block = sq_tuple_pool_take (100, &size_class);
    ck_assert_ptr_nonnull (block);
    ck_assert_int_eq (size_class, 1);
    sq_tuple_pool_give (block, size_class);
    uint8_t again_class;
    void *again = sq_tuple_pool_take (90, &again_class);
    ck_assert_ptr_eq (again, block);
    ck_assert_int_eq (again_class, size_class);
    sq_tuple_pool_give (again, again_class);
    sq_tuple_pool_give (NULL, 1);
}
END_TEST

START_TEST (test_size_classes)
{
    static const struct {
        size_t size;
        uint8_t size_class;
    } cases[] = {{1, 1}, {128, 1}, {129, 2}, {256, 2}, {257, 3}, {512, 3}, {513, 0}, {5000, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t size_class = 99;
        void *block = sq_tuple_pool_take (cases[i].size, &size_class);
        ck_assert_ptr_nonnull (block);
        ck_assert_int_eq (size_class, cases[i].size_class);
        memset (block, 0, cases[i].size);
        sq_tuple_pool_give (block, size_class);
    }
}
END_TEST

//  Blocks one thread took and another gave back reach the first thread
//  again through the depot, in whole magazines.
START_TEST (test_cross_thread_recycling)
{
    size_t before = sq_tuple_pool_depot_blocks ();
    giveaway_t *giveaway = s_take_blocks (BLOCKS, 200);
    void **given = calloc (BLOCKS, sizeof (void *));
    memcpy (given, giveaway->blocks, BLOCKS * sizeof (void *));
    s_give_on_thread (giveaway);
    //  The giving thread ended: its full magazines are in the depot, and
    //  the blocks short of a magazine were freed.
    size_t kept = BLOCKS / MAGAZINE * MAGAZINE;
    ck_assert_uint_eq (sq_tuple_pool_depot_blocks (), before + kept);
    //  Taking as many again (and the mallocs this thread makes before it
    //  asks an empty depot again: fewer than a magazine) gets every block
    //  that thread gave away.
    giveaway_t *again = s_take_blocks (kept + MAGAZINE - 1, 200);
    size_t recycled = 0;
    for (size_t i = 0; i < again->count; i++)
        for (size_t b = 0; b < BLOCKS; b++)
            if (given[b] && given[b] == again->blocks[i]) {
                given[b] = NULL;
                recycled++;
                break;
            }
    ck_assert_uint_ge (recycled, kept); //  malloc may hand out a freed one too
    ck_assert_uint_le (sq_tuple_pool_depot_blocks (), before);
    s_give_on_thread (again);
    free (given);
    s_giveaway_destroy (&giveaway);
    s_giveaway_destroy (&again);
}
END_TEST

//  However many blocks come back at once, the depot keeps a bounded
//  number and frees the rest.
START_TEST (test_depot_bound)
{
    for (int flood = 0; flood < 2; flood++) {
        giveaway_t *giveaway = s_take_blocks (FLOOD, 64);
        s_give_on_thread (giveaway);
        s_giveaway_destroy (&giveaway);
        //  Class 1 is full; the other classes hold what the tests before
        //  gave them back, far less.
        size_t held = sq_tuple_pool_depot_blocks ();
        ck_assert_uint_ge (held, DEPOT_MAX);
        ck_assert_uint_le (held, DEPOT_MAX + 2 * BLOCKS);
    }
}
END_TEST

//  Tuples come from the pool and go back to it.
START_TEST (test_tuples_use_the_pool)
{
    sq_stream_t *stream = sq_stream_new ("c", "default", "word");
    sq_value_t word = sq_str ("hello");
    sq_tuple_t *tuple = sq_tuple_new (stream, 1, 2, NULL, 0, &word, 1);
    ck_assert_ptr_nonnull (tuple);
    ck_assert_int_eq (tuple->block_class, 1);
    ck_assert_str_eq (sq_tuple_get_string (tuple, 0), "hello");
    void *block = tuple;
    sq_tuple_destroy (&tuple);
    ck_assert_ptr_null (tuple);
    sq_tuple_t *next = sq_tuple_new (stream, 1, 2, NULL, 0, &word, 1);
    ck_assert_ptr_eq (next, block);
    ck_assert_str_eq (sq_tuple_get_string (next, 0), "hello");
    sq_tuple_destroy (&next);
    //  A tuple too large for any class comes from malloc.
    char *text = malloc (4000);
    memset (text, 'x', 3999);
    text[3999] = 0;
    sq_value_t large = sq_str (text);
    sq_tuple_t *big = sq_tuple_new (stream, 1, 2, NULL, 0, &large, 1);
    ck_assert_ptr_nonnull (big);
    ck_assert_int_eq (big->block_class, 0);
    ck_assert_str_eq (sq_tuple_get_string (big, 0), text);
    sq_tuple_destroy (&big);
    free (text);
    sq_stream_destroy (&stream);
}
END_TEST

#endif

#ifdef SQ_TUPLE_POOL_OFF
//  Address sanitizer builds: every block comes from malloc, class 0.
START_TEST (test_pool_off)
{
    uint8_t size_class = 99;
    void *block = sq_tuple_pool_take (100, &size_class);
    ck_assert_ptr_nonnull (block);
    ck_assert_int_eq (size_class, 0);
    sq_tuple_pool_give (block, size_class);
    ck_assert_uint_eq (sq_tuple_pool_depot_blocks (), 0);
}
END_TEST
#endif

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("tuple_pool");
    TCase *tcase = tcase_create ("tuple_pool");
#ifndef SQ_TUPLE_POOL_OFF
    tcase_add_test (tcase, test_same_thread_reuse);
    tcase_add_test (tcase, test_size_classes);
    tcase_add_test (tcase, test_cross_thread_recycling);
    tcase_add_test (tcase, test_depot_bound);
    tcase_add_test (tcase, test_tuples_use_the_pool);
#else
    tcase_add_test (tcase, test_pool_off);
#endif
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    SRunner *runner = srunner_create (s_suite ());
    //  One process: the tests share the depot, as executors do.
    srunner_set_fork_status (runner, CK_NOFORK);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
