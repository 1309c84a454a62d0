/*  test_pending_trees - sq_pending_trees against a brute-force reference

    A fixed example walks through adding, taking, refreshing and timing
    out; random runs check every operation against plain arrays over a
    universe of root ids, through growth, shrinking and compaction. Runs
    are reproducible: the seed is printed and can be set with SQ_TEST_SEED.
*/
#include "sq_pending_trees.h"
#include "test_random.h"

#include <check.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

//  Check's ck_assert records every passing check with a system call,
//  which the hot loops here cannot afford: this calls Check only on
//  failure, naming the expression and both values.
#define CHECK_INT(x, op, y)                                                                        \
    do {                                                                                           \
        intmax_t x_ = (intmax_t) (x), y_ = (intmax_t) (y);                                         \
        if (!(x_ op y_))                                                                           \
            ck_abort_msg ("check failed: %s %s %s (%jd vs %jd)", #x, #op, #y, x_, y_);             \
    } while (0)

#define BUCKETS 3

static uint64_t s_seed = 0x7e57d00dcafe1234ULL;

static void
s_setup (void)
{
    s_rng = s_seed;
}

//  The start time remembered for tree n: any value, as long as it is
//  within int64_t for every n.
static int64_t
s_start_ns (uint64_t n)
{
    return (int64_t) (n % 1000003) * 11;
}

static sq_pending_t
s_pending (uint64_t n)
{
    return (sq_pending_t){.msg_id = n * 7, .start_ns = s_start_ns (n), .stream = (uint32_t) n};
}

//  Roots reported by rotate, and whether each report was well formed.
typedef struct {
    uint64_t roots[64];
    size_t count;
} reported_t;

static void
s_collect (uint64_t root, const sq_pending_t *pending, void *arg)
{
    reported_t *reported = arg;
    CHECK_INT (pending->msg_id, ==, root * 7);
    if (reported->count < 64)
        reported->roots[reported->count] = root;
    reported->count++;
}

static bool
s_reported (const reported_t *reported, uint64_t root)
{
    for (size_t i = 0; i < reported->count && i < 64; i++)
        if (reported->roots[i] == root)
            return true;
    return false;
}

START_TEST (test_example)
{
    sq_pending_trees_t *trees = sq_pending_trees_new (BUCKETS);
    ck_assert_ptr_nonnull (trees);
    reported_t reported = {.count = 0};
    //  Three generations of ten trees, one rotation apart.
    for (uint64_t root = 1; root <= 30; root++) {
        sq_pending_t pending = s_pending (root);
        ck_assert_int_eq (sq_pending_trees_add (trees, root, &pending), 0);
        if (root % 10 == 0 && root < 30)
            ck_assert_int_eq (sq_pending_trees_rotate (trees, s_collect, &reported), 0);
    }
    ck_assert_uint_eq (sq_pending_trees_size (trees), 30);
    sq_pending_t pending = s_pending (99);
    ck_assert_int_eq (sq_pending_trees_add (trees, 22, &pending), 1);
    ck_assert_uint_eq (sq_pending_trees_size (trees), 30);

    ck_assert_int_eq (sq_pending_trees_take (trees, 4, &pending), 0);
    ck_assert_uint_eq (pending.msg_id, 28);
    ck_assert_int_eq (pending.start_ns, 44);
    ck_assert_uint_eq (pending.stream, 4);
    ck_assert_int_eq (sq_pending_trees_take (trees, 4, &pending), -1);
    ck_assert_int_eq (sq_pending_trees_refresh (trees, 4), -1);
    ck_assert_int_eq (sq_pending_trees_take (trees, 0, &pending), -1);
    //  Tree 7, refreshed, leaves the oldest bucket for the newest.
    ck_assert_int_eq (sq_pending_trees_refresh (trees, 7), 0);
    ck_assert_uint_eq (sq_pending_trees_size (trees), 29);

    //  The first generation times out on the third rotation after its
    //  adds: all of it but the taken and the refreshed tree.
    ck_assert_int_eq (sq_pending_trees_rotate (trees, s_collect, &reported), 8);
    ck_assert_uint_eq (reported.count, 8);
    for (uint64_t root = 1; root <= 10; root++)
        ck_assert (s_reported (&reported, root) == (root != 4 && root != 7));
    ck_assert_int_eq (sq_pending_trees_take (trees, 1, &pending), -1);
    //  Without a callback the trees go all the same.
    ck_assert_int_eq (sq_pending_trees_rotate (trees, NULL, NULL), 10);
    reported.count = 0;
    ck_assert_int_eq (sq_pending_trees_rotate (trees, s_collect, &reported), 11);
    ck_assert (s_reported (&reported, 7) && s_reported (&reported, 30));
    ck_assert_int_eq (sq_pending_trees_rotate (trees, s_collect, &reported), 0);
    ck_assert_uint_eq (sq_pending_trees_size (trees), 0);
    sq_pending_trees_destroy (&trees);
    ck_assert_ptr_null (trees);
    sq_pending_trees_destroy (&trees);
}
END_TEST

//  The reference: for each root of the universe, the epoch (rotations so
//  far) of its add or last refresh, or -1 while absent.
typedef struct {
    uint64_t *roots; //  root i is random above bit 24 and holds i + 1 below
    long *epoch;
    size_t universe;
    long now;    //  rotations so far
    size_t seen; //  trees the rotation being checked reported
} reference_t;

#define UNIVERSE_BITS 22 //  bits of a root that hold its place in the universe

static uint64_t
s_universe_root (size_t i)
{
    return (s_random () << (UNIVERSE_BITS + 2)) | ((uint64_t) (i + 1) << 2);
}

static size_t
s_position (uint64_t root)
{
    return (size_t) ((root >> 2) & ((1u << UNIVERSE_BITS) - 1)) - 1;
}

static void
s_check_expired (uint64_t root, const sq_pending_t *pending, void *arg)
{
    reference_t *reference = arg;
    size_t i = s_position (root);
    CHECK_INT (reference->epoch[i], ==, reference->now - (BUCKETS - 1));
    CHECK_INT (pending->msg_id, ==, root * 7);
    reference->epoch[i] = -1;
    reference->seen++;
}

//  One rotation, checked: it times out exactly the trees whose epoch is
//  BUCKETS - 1 rotations old. Returns how many.
static size_t
s_check_rotation (sq_pending_trees_t *trees, reference_t *reference)
{
    size_t due = 0;
    for (size_t k = 0; k < reference->universe; k++)
        due += reference->epoch[k] >= 0 && reference->epoch[k] == reference->now - (BUCKETS - 1);
    reference->seen = 0;
    CHECK_INT (sq_pending_trees_rotate (trees, s_check_expired, reference), ==, due);
    CHECK_INT (reference->seen, ==, due);
    reference->now++;
    return due;
}

//  Random operations over a universe of roots, weighted towards adds
//  in the first and third quarter of the steps and towards takes in the
//  others, with a rotation one step in rotate_one_in. Returns the largest
//  size the set reached.
static size_t
s_random_run (size_t universe, size_t steps, size_t rotate_one_in)
{
    reference_t reference = {.universe = universe};
    reference.roots = calloc (universe, sizeof (uint64_t));
    reference.epoch = calloc (universe, sizeof (long));
    ck_assert (reference.roots && reference.epoch);
    for (size_t i = 0; i < universe; i++) {
        reference.roots[i] = s_universe_root (i);
        reference.epoch[i] = -1;
    }
    sq_pending_trees_t *trees = sq_pending_trees_new (BUCKETS);
    ck_assert_ptr_nonnull (trees);
    size_t size = 0, largest = 0;
    for (size_t step = 0; step < steps; step++) {
        bool grow = (step / (steps / 4)) % 2 == 0;
        size_t i = s_below (universe);
        uint64_t root = reference.roots[i];
        size_t pick = s_below (1000);
        if (s_below (rotate_one_in) == 0)
            size -= s_check_rotation (trees, &reference);
        else if (pick < (grow ? 600u : 250u)) {
            sq_pending_t pending = s_pending (root);
            int rc = sq_pending_trees_add (trees, root, &pending);
            CHECK_INT (rc, ==, reference.epoch[i] >= 0 ? 1 : 0);
            if (rc == 0) {
                reference.epoch[i] = reference.now;
                size++;
            }
        } else if (pick < 950) {
            sq_pending_t pending;
            int rc = sq_pending_trees_take (trees, root, &pending);
            CHECK_INT (rc, ==, reference.epoch[i] >= 0 ? 0 : -1);
            if (rc == 0) {
                CHECK_INT (pending.msg_id, ==, root * 7);
                CHECK_INT (pending.start_ns, ==, s_start_ns (root));
                reference.epoch[i] = -1;
                size--;
            }
        } else {
            int rc = sq_pending_trees_refresh (trees, root);
            CHECK_INT (rc, ==, reference.epoch[i] >= 0 ? 0 : -1);
            if (rc == 0)
                reference.epoch[i] = reference.now;
        }
        CHECK_INT (sq_pending_trees_size (trees), ==, size);
        if (size > largest)
            largest = size;
    }
    //  Whatever is left is there, with its value, and nothing else is.
    for (size_t i = 0; i < universe; i++) {
        sq_pending_t pending;
        CHECK_INT (sq_pending_trees_take (trees, reference.roots[i], &pending), ==,
                   reference.epoch[i] >= 0 ? 0 : -1);
    }
    CHECK_INT (sq_pending_trees_size (trees), ==, 0);
    sq_pending_trees_destroy (&trees);
    free (reference.roots);
    free (reference.epoch);
    return largest;
}

START_TEST (test_random_small)
{
    for (int run = 0; run < 50; run++)
        s_random_run (40, 4000, 200);
}
END_TEST

START_TEST (test_random_large)
{
    //  Few rotations: the set grows to most of the universe (through
    //  index and slab growth) and back (through shrinking).
    size_t largest = s_random_run (3000, 200000, 20000);
    ck_assert_uint_gt (largest, 1500);
}
END_TEST

//  A burst far past the slab's size, then quiet: the trees left stay
//  findable through the compaction of the next rotations.
START_TEST (test_burst_then_compaction)
{
    sq_pending_trees_t *trees = sq_pending_trees_new (BUCKETS);
    ck_assert_ptr_nonnull (trees);
    enum { BURST = 100000, KEPT = 100 };
    for (uint64_t root = 1; root <= BURST; root++) {
        sq_pending_t pending = s_pending (root);
        CHECK_INT (sq_pending_trees_add (trees, root << 18, &pending), ==, 0);
    }
    for (uint64_t root = KEPT + 1; root <= BURST; root++) {
        sq_pending_t pending;
        CHECK_INT (sq_pending_trees_take (trees, root << 18, &pending), ==, 0);
        CHECK_INT (pending.msg_id, ==, root * 7);
    }
    ck_assert_int_eq (sq_pending_trees_rotate (trees, NULL, NULL), 0);
    ck_assert_int_eq (sq_pending_trees_refresh (trees, 1 << 18), 0);
    ck_assert_int_eq (sq_pending_trees_rotate (trees, NULL, NULL), 0);
    for (uint64_t root = 2; root <= KEPT; root++) {
        sq_pending_t pending;
        CHECK_INT (sq_pending_trees_take (trees, root << 18, &pending), ==, 0);
        CHECK_INT (pending.msg_id, ==, root * 7);
    }
    ck_assert_uint_eq (sq_pending_trees_size (trees), 1);
    //  The burst's bucket is empty now; the refreshed tree times out on
    //  the third rotation after its refresh.
    ck_assert_int_eq (sq_pending_trees_rotate (trees, NULL, NULL), 0);
    ck_assert_int_eq (sq_pending_trees_rotate (trees, NULL, NULL), 1);
    ck_assert_uint_eq (sq_pending_trees_size (trees), 0);
    sq_pending_trees_destroy (&trees);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("pending_trees");
    TCase *tcase = tcase_create ("core");
    tcase_add_checked_fixture (tcase, s_setup, NULL);
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_example);
    tcase_add_test (tcase, test_random_small);
    tcase_add_test (tcase, test_random_large);
    tcase_add_test (tcase, test_burst_then_compaction);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    s_seed = test_random_seed ("test_pending_trees", s_seed);
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
