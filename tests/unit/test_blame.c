/*  test_blame - naming the task that held or failed a tuple tree

    Edge ids carry their target task and a check (sq_ids.h): one edge id
    always decodes to its task, the XOR of several passes the check at the
    documented rate of 1 in 256. The acker system task (sq_acker_task) then
    counts, per task, the trees that expired while that task held their one
    outstanding edge and the trees it failed; these tests drive it with
    hand-built trees whose culprits they know.
*/
#include "sq_acker.h"
#include "sq_error.h"
#include "sq_executor_metrics.h"
#include "sq_ids.h"
#include "sq_ledger.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TASKS 12      //  task count of the simulated topology
#define ACKER_TASK 12 //  the acker's own task id
#define SPOUT_TASK 1  //  the spout's task id

//  ---------------------------------------------------------------------
//  Edge id layout

START_TEST (test_task_bits_hold_every_task_id)
{
    ck_assert_int_eq (sq_ids_task_bits (0), 1);
    ck_assert_int_eq (sq_ids_task_bits (1), 1);
    ck_assert_int_eq (sq_ids_task_bits (2), 2);
    ck_assert_int_eq (sq_ids_task_bits (3), 2);
    ck_assert_int_eq (sq_ids_task_bits (4), 3);
    ck_assert_int_eq (sq_ids_task_bits (127), 7);
    ck_assert_int_eq (sq_ids_task_bits (128), 8);
    ck_assert_int_eq (sq_ids_task_bits (SQ_IDS_MAX_TASK), 16);
    for (int count = 1; count <= SQ_IDS_MAX_TASK; count++) {
        int bits = sq_ids_task_bits (count);
        if (count >= (1 << bits) || (bits > 1 && count < (1 << (bits - 1))))
            ck_abort_msg ("%d tasks get %d bits", count, bits);
    }
}
END_TEST

//  Every edge id names its task exactly, at every field width, and keeps
//  the random bits above the task field random (both values of each).
START_TEST (test_one_edge_names_its_task)
{
    for (int bits = 1; bits <= 16; bits++) {
        uint64_t ones = 0, zeros = 0;
        for (int round = 0; round < 4000; round++) {
            int task = 1 + (int) (sq_ids_random () % (uint64_t) ((1 << bits) - 1));
            uint64_t id = sq_ids_edge (task, bits);
            if (id == 0 || sq_ids_edge_task (id, bits) != task)
                ck_abort_msg ("edge %016llx to task %d (%d bits) names task %d",
                              (unsigned long long) id, task, bits, sq_ids_edge_task (id, bits));
            if ((int) ((id >> SQ_IDS_CHECK_BITS) & ((1u << bits) - 1)) != task)
                ck_abort_msg ("task field of %016llx is not %d", (unsigned long long) id, task);
            ones |= id;
            zeros |= ~id;
        }
        uint64_t random_bits = ~0ULL << (SQ_IDS_CHECK_BITS + bits);
        ck_assert_uint_eq (ones & random_bits, random_bits);
        ck_assert_uint_eq (zeros & random_bits, random_bits);
    }
}
END_TEST

//  The XOR of k >= 2 edge ids passes the check with probability 1/256;
//  over N draws the count is binomial (N, 1/256): accept within 6 standard
//  deviations, which a correct layout misses about once in 10^9 runs.
START_TEST (test_several_edges_pass_the_check_one_time_in_256)
{
    const int draws = 200000;
    const double mean = draws / 256.0;
    const double spread = 6 * 27.9; //  6 sqrt (N p (1 - p))
    for (int k = 2; k <= 5; k++) {
        int passed = 0;
        for (int draw = 0; draw < draws; draw++) {
            uint64_t value = 0;
            for (int e = 0; e < k; e++)
                value ^= sq_ids_edge (1 + (int) (sq_ids_random () % SQ_IDS_MAX_TASK), 16);
            passed += sq_ids_edge_task (value, 16) != 0;
        }
        printf ("test_blame: XOR of %d edge ids named a task %d times in %d (expected %.0f)\n", k,
                passed, draws, mean);
        ck_assert_double_ge (passed, mean - spread);
        ck_assert_double_le (passed, mean + spread);
    }
}
END_TEST

//  ---------------------------------------------------------------------
//  The acker's counts

typedef struct {
    const sq_system_task_t *acker; //  sq_acker_task ()
    void *state;                   //  one acker task's state
    int bits;                      //  task field width for TASKS
} bench_t;

static bench_t
s_bench (void)
{
    bench_t bench = {.acker = sq_acker_task (), .bits = sq_ids_task_bits (TASKS)};
    bench.state = bench.acker->create (NULL, SQ_LEDGER_BUCKETS, TASKS);
    ck_assert_ptr_nonnull (bench.state);
    return bench;
}

//  Hand one acking message to the acker; returns what handle returns.
static int
s_send (bench_t *bench, sq_message_kind_t kind, uint64_t root, uint64_t value)
{
    sq_message_t message = {.kind = kind, .task = ACKER_TASK, .root = root, .value = value};
    sq_message_t report = {.kind = 0};
    int rc = bench->acker->handle (bench->state, &message, &report);
    ck_assert_int_ge (rc, 0);
    return rc;
}

static uint64_t
s_edge (bench_t *bench, int task)
{
    return sq_ids_edge (task, bench->bits);
}

//  Expire everything pending and read the counts.
static sq_blame_t
s_expire_all (bench_t *bench)
{
    for (int turn = 0; turn < SQ_LEDGER_BUCKETS; turn++)
        bench->acker->rotate (bench->state);
    static uint64_t held[TASKS + 1], fails[TASKS + 1];
    for (int id = 0; id <= TASKS; id++)
        held[id] = fails[id] = 0;
    sq_blame_t blame = {.task_count = TASKS, .timeouts_held = held, .fails_by = fails};
    bench->acker->blame (bench->state, &blame);
    return blame;
}

//  A spout tuple to task 2, which emits one child to task `leaf` and acks;
//  the leaf acks unless drop. Returns the root.
static uint64_t
s_chain (bench_t *bench, int leaf, bool drop)
{
    uint64_t root = sq_ids_root (SPOUT_TASK);
    uint64_t first = s_edge (bench, 2), child = s_edge (bench, leaf);
    s_send (bench, SQ_MSG_ACK_INIT, root, first);
    s_send (bench, SQ_MSG_ACK_ACK, root, first ^ child);
    if (!drop)
        ck_assert_int_eq (s_send (bench, SQ_MSG_ACK_ACK, root, child), 1);
    return root;
}

//  Trees dropped at one task each are blamed on exactly that task; trees
//  that complete are blamed on no one.
START_TEST (test_a_dropping_task_is_named_with_its_count)
{
    bench_t bench = s_bench ();
    const int dropped[TASKS + 1] = {[3] = 7, [4] = 1, [9] = 25};
    for (int round = 0; round < 3; round++)
        for (int task = 3; task <= 10; task++) {
            s_chain (&bench, task, false); //  completes
            for (int d = 0; d < dropped[task]; d++)
                if (d % 3 == round)
                    s_chain (&bench, task, true);
        }
    sq_blame_t blame = s_expire_all (&bench);
    for (int id = 1; id <= TASKS; id++) {
        ck_assert_uint_eq (blame.timeouts_held[id], (uint64_t) dropped[id]);
        ck_assert_uint_eq (blame.fails_by[id], 0);
    }
    ck_assert_uint_eq (blame.timeouts_unattributed, 0);
    bench.acker->destroy (&bench.state);
    ck_assert_ptr_null (bench.state);
}
END_TEST

//  A task that stalls on its input (neither emits nor acks) holds the
//  spout's edge: it is named, not the spout.
START_TEST (test_a_stalling_task_is_named)
{
    bench_t bench = s_bench ();
    for (int tree = 0; tree < 5; tree++) {
        uint64_t root = sq_ids_root (SPOUT_TASK);
        s_send (&bench, SQ_MSG_ACK_INIT, root, s_edge (&bench, 6));
    }
    sq_blame_t blame = s_expire_all (&bench);
    ck_assert_uint_eq (blame.timeouts_held[6], 5);
    ck_assert_uint_eq (blame.timeouts_unattributed, 0);
    bench.acker->destroy (&bench.state);
}
END_TEST

//  Two outstanding edges name no task but at the documented rate: at most
//  1/256 of the trees, plus a margin. A tree whose init never came names
//  none and is counted apart (late acks, or a lost init).
START_TEST (test_several_outstanding_edges_are_unattributed)
{
    bench_t bench = s_bench ();
    const int trees = 20000;
    for (int tree = 0; tree < trees; tree++) {
        uint64_t root = sq_ids_root (SPOUT_TASK);
        uint64_t left = s_edge (&bench, 3), right = s_edge (&bench, 4);
        if (tree % 2)
            s_send (&bench, SQ_MSG_ACK_INIT, root, left ^ right); //  both dropped
        else
            s_send (&bench, SQ_MSG_ACK_ACK, root, left); //  no init: the spout's message lost
    }
    sq_blame_t blame = s_expire_all (&bench);
    uint64_t named = 0;
    for (int id = 1; id <= TASKS; id++)
        named += blame.timeouts_held[id];
    printf ("test_blame: %llu of %d trees with several outstanding edges named a task\n",
            (unsigned long long) named, trees / 2);
    //  Expected at most (trees / 2) / 256 ~ 39: binomial, 6 deviations above.
    ck_assert_uint_le (named, 39 + 6 * 7);
    ck_assert_uint_eq (named + blame.timeouts_unattributed, (uint64_t) trees / 2);
    ck_assert_uint_eq (blame.expired_without_init, (uint64_t) trees / 2);
    bench.acker->destroy (&bench.state);
}
END_TEST

//  Each failed tree is blamed once, on the task its fail names; a fail
//  naming no task of the topology is unattributed. Failed trees are not
//  counted again when they expire.
START_TEST (test_fails_are_blamed_on_the_failing_task)
{
    bench_t bench = s_bench ();
    for (int tree = 0; tree < 9; tree++) {
        uint64_t root = s_chain (&bench, 5, true);
        ck_assert_int_eq (s_send (&bench, SQ_MSG_ACK_FAIL, root, 5), 1);
        ck_assert_int_eq (s_send (&bench, SQ_MSG_ACK_FAIL, root, 8), 0); //  reported once
    }
    uint64_t root = sq_ids_root (SPOUT_TASK);
    ck_assert_int_eq (s_send (&bench, SQ_MSG_ACK_FAIL, root, 0), 1);
    root = sq_ids_root (SPOUT_TASK);
    ck_assert_int_eq (s_send (&bench, SQ_MSG_ACK_FAIL, root, TASKS + 1), 1);
    sq_blame_t blame = s_expire_all (&bench);
    ck_assert_uint_eq (blame.fails_by[5], 9);
    ck_assert_uint_eq (blame.fails_by[8], 0);
    ck_assert_uint_eq (blame.fails_unattributed, 2);
    ck_assert_uint_eq (blame.timeouts_held[5], 0);
    ck_assert_uint_eq (blame.timeouts_unattributed, 0);
    bench.acker->destroy (&bench.state);
}
END_TEST

//  ---------------------------------------------------------------------
//  The blame object of a heartbeat's metrics, as hostile input

//  Check a report whose blame is the given JSON text.
static int
s_check_blame_text (const char *blame)
{
    char text[512];
    snprintf (text, sizeof text, "{\"v\": %d, \"executors\": [], \"omitted\": 0, \"blame\": %s}",
              SQ_METRICS_VERSION, blame);
    json_t *report = json_loads (text, 0, NULL);
    ck_assert_ptr_nonnull (report);
    int rc = sq_executor_metrics_check_report (report);
    json_decref (report);
    return rc;
}

START_TEST (test_report_blame_is_checked)
{
    const char *good = "{\"timeouts_held\": [[3, 7], [65535, 1]], \"fails_by\": [], "
                       "\"timeouts_unattributed\": 2, \"fails_unattributed\": 0, "
                       "\"expired_without_init\": 5}";
    ck_assert_int_eq (s_check_blame_text (good), 0);
    const char *bad[] = {
        "[]",
        "{\"timeouts_held\": [[0, 7]], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [[65536, 7]], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [[3, -1]], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [[3, 1, 2]], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [3], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [[\"3\", 1]], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [], \"timeouts_unattributed\": 0, \"fails_unattributed\": 0, "
        "\"expired_without_init\": 0}",
        "{\"timeouts_held\": [], \"fails_by\": [], \"timeouts_unattributed\": -1, "
        "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
        "{\"timeouts_held\": [], \"fails_by\": [], \"timeouts_unattributed\": 0, "
        "\"fails_unattributed\": 0}",
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        if (s_check_blame_text (bad[b]) != SQ_EMALFORMED)
            ck_abort_msg ("accepted blame %s", bad[b]);
}
END_TEST

//  One executor's share of a worker's blame: the pairs of its tasks only.
START_TEST (test_report_blame_adds_up_per_executor)
{
    json_t *blame = json_loads ("{\"timeouts_held\": [[2, 5], [3, 7], [9, 100]], "
                                "\"fails_by\": [[3, 4], [4, 1]], \"timeouts_unattributed\": 0, "
                                "\"fails_unattributed\": 0, \"expired_without_init\": 0}",
                                0, NULL);
    ck_assert_ptr_nonnull (blame);
    uint64_t held = 1, fails = 2; //  added to, not set
    sq_executor_metrics_blame_add (blame, 3, 4, &held, &fails);
    ck_assert_uint_eq (held, 1 + 7);
    ck_assert_uint_eq (fails, 2 + 4 + 1);
    held = fails = 0;
    sq_executor_metrics_blame_add (blame, 5, 8, &held, &fails);
    ck_assert_uint_eq (held + fails, 0);
    sq_executor_metrics_blame_add (NULL, 1, 9, &held, &fails); //  a report without blame
    ck_assert_uint_eq (held + fails, 0);
    json_decref (blame);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("blame");
    TCase *tcase = tcase_create ("ids");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_task_bits_hold_every_task_id);
    tcase_add_test (tcase, test_one_edge_names_its_task);
    tcase_add_test (tcase, test_several_edges_pass_the_check_one_time_in_256);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("acker");
    tcase_add_test (tcase, test_a_dropping_task_is_named_with_its_count);
    tcase_add_test (tcase, test_a_stalling_task_is_named);
    tcase_add_test (tcase, test_several_outstanding_edges_are_unattributed);
    tcase_add_test (tcase, test_fails_are_blamed_on_the_failing_task);
    tcase_add_test (tcase, test_report_blame_is_checked);
    tcase_add_test (tcase, test_report_blame_adds_up_per_executor);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failures = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
