/*  test_nimbus_windows - nimbus_windows with a fake clock: windows rolling
    over, restarts, the first snapshot after a nimbus restart, spans,
    rates, capacity, histogram windows against the merge of their
    increments, and the memory bound under a hostile source.
*/
#include "nimbus_windows.h"
#include "test_random.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#define SEC 1000ULL                //  milliseconds in a second
#define T0 (1000000ULL * SEC)      //  fake monotonic clock at the test's start
#define SEED 0x77696e646f777331ULL //  seed of the random histogram run

//  One increment of 1 every 10 s, received 5 s into each 10 s slot:
//  exact window sums as the 10 minute window rolls.
START_TEST (test_counter_rolls)
{
    nimbus_windows_t *windows = nimbus_windows_new (false);
    ck_assert_ptr_nonnull (windows);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, T0), 0);
    for (uint64_t k = 0; k <= 120; k++) {
        uint64_t now = T0 + 5 * SEC + k * 10 * SEC;
        ck_assert_uint_eq (nimbus_windows_add_counter (windows, now, 5 * SEC + k * 10 * SEC, k + 1),
                           1);
    }
    //  At T0 + 1205 s: the slots of T0+610 s .. T0+1205 s, 60 increments.
    uint64_t now = T0 + 1205 * SEC;
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, now), 60);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_3H, now), 121);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_1D, now), 121);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_ALL, now), 121);
    //  The earliest counted increment began at the heartbeat of T0+605 s.
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, now), 600 * SEC);
    ck_assert (nimbus_windows_rate (60, 600 * SEC) == 0.1);
    //  The source began at T0 (uptime 5 s at T0 + 5 s).
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_3H, now), 1205 * SEC);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_ALL, now), 1205 * SEC);
    //  Still in the same slot: same figures.
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, now + 4999), 60);
    //  Into the next slot with no heartbeat: the oldest slot drops out.
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0 + 1210 * SEC), 59);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, T0 + 1210 * SEC),
                       595 * SEC);
    //  Ten minutes of silence empty the 10 minute window, not the others.
    now = T0 + 1805 * SEC;
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, now - 10 * SEC), 1);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, now), 0);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, now), 600 * SEC);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_3H, now), 121);
    //  Three hours after the last heartbeat, only the day and all time.
    now = T0 + 1205 * SEC + 3 * 3600 * SEC;
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_3H, now), 0);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_1D, now), 121);
    now = T0 + 1205 * SEC + 24 * 3600 * SEC;
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_1D, now), 0);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_ALL, now), 121);
    ck_assert_uint_eq (nimbus_windows_restarts (windows), 0);
    nimbus_windows_destroy (&windows);
    ck_assert_ptr_null (windows);
    nimbus_windows_destroy (&windows);
}
END_TEST

//  A counter that goes backwards is a restarted worker: its value is the
//  increment, never a negative one.
START_TEST (test_counter_restart)
{
    nimbus_windows_t *windows = nimbus_windows_new (false);
    ck_assert_ptr_nonnull (windows);
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0, 0, 0), 0);
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0 + 3 * SEC, 3 * SEC, 100), 100);
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0 + 6 * SEC, 2 * SEC, 30), 30);
    ck_assert_uint_eq (nimbus_windows_restarts (windows), 1);
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0 + 9 * SEC, 5 * SEC, 45), 15);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0 + 9 * SEC), 145);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_ALL, T0 + 9 * SEC), 145);
    //  A shorter uptime is a restart even when the value grew: the new
    //  run's 60 is the increment, not 60 - 45.
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0 + 9 * SEC, SEC, 60), 60);
    ck_assert_uint_eq (nimbus_windows_restarts (windows), 2);
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0 + 9 * SEC, 4 * SEC, 65), 5);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0 + 9 * SEC), 210);
    //  A clock that steps back is read as the last time seen.
    ck_assert_uint_eq (nimbus_windows_add_counter (windows, T0, 6 * SEC, 70), 5);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0), 215);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_ALL, T0), 9 * SEC);
    nimbus_windows_destroy (&windows);
}
END_TEST

//  Nimbus restarted under a running worker: the first snapshot holds two
//  hours of counts, which the 10 minute window cannot place in time.
START_TEST (test_counter_first_after_nimbus_restart)
{
    nimbus_windows_t *windows = nimbus_windows_new (false);
    ck_assert_ptr_nonnull (windows);
    nimbus_windows_add_counter (windows, T0, 2 * 3600 * SEC, 7200);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0), 0);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_3H, T0), 7200);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_1D, T0), 7200);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_ALL, T0), 7200);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, T0), 600 * SEC);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_3H, T0), 2 * 3600 * SEC);
    nimbus_windows_add_counter (windows, T0 + 10 * SEC, 2 * 3600 * SEC + 10 * SEC, 7210);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0 + 10 * SEC), 10);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, T0 + 10 * SEC),
                       10 * SEC);
    ck_assert (nimbus_windows_rate (10, 10 * SEC) == 1.0);
    //  Silent for four hours: that increment fits only the day.
    nimbus_windows_add_counter (windows, T0 + 4 * 3600 * SEC, 6 * 3600 * SEC, 7500);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_10M, T0 + 4 * 3600 * SEC), 0);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_3H, T0 + 4 * 3600 * SEC), 0);
    ck_assert_uint_eq (nimbus_windows_counter (windows, NIMBUS_WINDOW_1D, T0 + 4 * 3600 * SEC),
                       7500);
    nimbus_windows_destroy (&windows);
}
END_TEST

START_TEST (test_rate_and_capacity)
{
    ck_assert (nimbus_windows_rate (0, 0) == 0.0);
    ck_assert (nimbus_windows_rate (600, 600 * SEC) == 1.0);
    //  600 tuples of 1 ms in 600 s: busy 0.1% of the time.
    ck_assert (fabs (nimbus_windows_capacity (600, 1e6, 600 * SEC) - 0.001) < 1e-15);
    ck_assert (nimbus_windows_capacity (300000, 1e6, 600 * SEC) == 0.5);
    ck_assert (nimbus_windows_capacity (600001, 1e6, 600 * SEC) == 1.0);
    ck_assert (nimbus_windows_capacity (600, 1e6, 0) == 0.0);
    ck_assert (nimbus_windows_capacity (600, NAN, 600 * SEC) == 0.0);
    ck_assert (nimbus_windows_capacity (600, -1.0, 600 * SEC) == 0.0);
    ck_assert (nimbus_windows_capacity (0, 1e6, 600 * SEC) == 0.0);
    ck_assert_str_eq (nimbus_windows_name (NIMBUS_WINDOW_10M), "600");
    ck_assert_str_eq (nimbus_windows_name (NIMBUS_WINDOW_ALL), ":all-time");
    ck_assert_uint_eq (nimbus_windows_length_ms (NIMBUS_WINDOW_1D), 86400 * SEC);
}
END_TEST

//  An executor that executes 1000 tuples of 5 ms every 10 s, from a fresh
//  start: its capacity over the last 10 minutes is exactly 0.5.
START_TEST (test_capacity_from_histogram_windows)
{
    nimbus_windows_t *windows = nimbus_windows_new (true);
    sq_histogram_t *cumulative = sq_histogram_new ();
    sq_histogram_t *window = sq_histogram_new ();
    ck_assert (windows && cumulative && window);
    for (uint64_t k = 1; k <= 90; k++) {
        for (int tuple = 0; tuple < 1000; tuple++)
            sq_histogram_record (cumulative, 5000000);
        ck_assert_int_eq (
            nimbus_windows_add_histogram (windows, T0 + k * 10 * SEC, k * 10 * SEC, cumulative), 0);
    }
    uint64_t now = T0 + 900 * SEC;
    nimbus_windows_histogram (windows, NIMBUS_WINDOW_10M, now, window);
    ck_assert_uint_eq (sq_histogram_count (window), 60000);
    ck_assert_uint_eq (sq_histogram_sum (window), 60000ULL * 5000000);
    ck_assert_uint_eq (sq_histogram_max (window), 5000000);
    uint64_t span = nimbus_windows_span_ms (windows, NIMBUS_WINDOW_10M, now);
    ck_assert_uint_eq (span, 600 * SEC);
    ck_assert (nimbus_windows_capacity (sq_histogram_count (window), sq_histogram_mean (window),
                                        span) == 0.5);
    nimbus_windows_histogram (windows, NIMBUS_WINDOW_ALL, now, window);
    ck_assert_uint_eq (sq_histogram_count (window), 90000);
    ck_assert_uint_eq (nimbus_windows_span_ms (windows, NIMBUS_WINDOW_ALL, now), 900 * SEC);
    //  The worker restarts: the new process's first snapshot is the increment.
    sq_histogram_reset (cumulative);
    sq_histogram_record (cumulative, 7);
    ck_assert_int_eq (nimbus_windows_add_histogram (windows, now + 10 * SEC, SEC, cumulative), 0);
    ck_assert_uint_eq (nimbus_windows_restarts (windows), 1);
    nimbus_windows_histogram (windows, NIMBUS_WINDOW_ALL, now + 10 * SEC, window);
    ck_assert_uint_eq (sq_histogram_count (window), 90001);
    ck_assert_uint_eq (sq_histogram_bucket (window, 7), 1);
    //  Restarted again, and already past the old counts: the uptime says so.
    for (int tuple = 0; tuple < 5; tuple++)
        sq_histogram_record (cumulative, 7);
    ck_assert_int_eq (nimbus_windows_add_histogram (windows, now + 20 * SEC, 0, cumulative), 0);
    ck_assert_uint_eq (nimbus_windows_restarts (windows), 2);
    nimbus_windows_histogram (windows, NIMBUS_WINDOW_ALL, now + 20 * SEC, window);
    ck_assert_uint_eq (sq_histogram_bucket (window, 7), 7);
    sq_histogram_destroy (&cumulative);
    sq_histogram_destroy (&window);
    nimbus_windows_destroy (&windows);
}
END_TEST

//  Random latencies at irregular heartbeats: each window's merge equals
//  the merge of the increments whose slots it counts, bucket by bucket.
START_TEST (test_histogram_windows_random)
{
    enum { BEATS = 400 };
    nimbus_windows_t *windows = nimbus_windows_new (true);
    sq_histogram_t *cumulative = sq_histogram_new ();
    sq_histogram_t *got = sq_histogram_new ();
    sq_histogram_t *want = sq_histogram_new ();
    sq_histogram_t **increments = calloc (BEATS, sizeof (sq_histogram_t *));
    uint64_t *times = calloc (BEATS, sizeof (uint64_t));
    ck_assert (windows && cumulative && got && want && increments && times);
    s_rng = SEED;
    uint64_t now = T0;
    for (int beat = 0; beat < BEATS; beat++) {
        now += 1 + s_below (60 * SEC);
        times[beat] = now;
        increments[beat] = sq_histogram_new ();
        ck_assert_ptr_nonnull (increments[beat]);
        size_t values = s_below (200);
        for (size_t at = 0; at < values; at++) {
            uint64_t value = 1000 + s_below (1000000) * (1 + s_below (30));
            sq_histogram_record (cumulative, value);
            sq_histogram_record (increments[beat], value);
        }
        //  Uptime 0 at the first: the source starts as nimbus sees it.
        ck_assert_int_eq (nimbus_windows_add_histogram (windows, now, now - T0, cumulative), 0);
    }
    for (int window = 0; window < NIMBUS_WINDOW_ALL; window++) {
        uint64_t slot = nimbus_windows_length_ms (window) / NIMBUS_WINDOWS_SLOTS;
        for (uint64_t query = now; query < now + 2 * nimbus_windows_length_ms (window);
             query += nimbus_windows_length_ms (window) / 7) {
            sq_histogram_reset (want);
            uint64_t current = query / slot;
            for (int beat = 0; beat < BEATS; beat++) {
                //  Heartbeats are less than 10 minutes apart: all placed.
                uint64_t period = times[beat] / slot;
                if (period <= current && current - period < NIMBUS_WINDOWS_SLOTS)
                    sq_histogram_merge (want, increments[beat]);
            }
            nimbus_windows_histogram (windows, window, query, got);
            ck_assert_uint_eq (sq_histogram_count (got), sq_histogram_count (want));
            ck_assert_uint_eq (sq_histogram_sum (got), sq_histogram_sum (want));
            for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++)
                if (sq_histogram_bucket (got, index) != sq_histogram_bucket (want, index))
                    ck_abort_msg ("window %d bucket %zu: %ju vs %ju", window, index,
                                  (uintmax_t) sq_histogram_bucket (got, index),
                                  (uintmax_t) sq_histogram_bucket (want, index));
            //  The max is exact when it grew the cumulative max, else the
            //  top of its bucket: never below, never another bucket.
            ck_assert_uint_ge (sq_histogram_max (got), sq_histogram_max (want));
            ck_assert_uint_eq (sq_histogram_index (sq_histogram_max (got)),
                               sq_histogram_index (sq_histogram_max (want)));
        }
    }
    nimbus_windows_histogram (windows, NIMBUS_WINDOW_ALL, now, got);
    ck_assert_uint_eq (sq_histogram_count (got), sq_histogram_count (cumulative));
    ck_assert_uint_eq (sq_histogram_max (got), sq_histogram_max (cumulative));
    for (int beat = 0; beat < BEATS; beat++)
        sq_histogram_destroy (&increments[beat]);
    free (increments);
    free (times);
    sq_histogram_destroy (&cumulative);
    sq_histogram_destroy (&got);
    sq_histogram_destroy (&want);
    nimbus_windows_destroy (&windows);
}
END_TEST

//  A hostile source that fills every bucket in every heartbeat for a
//  day: memory stops at the bound the header states.
START_TEST (test_memory_bound)
{
    nimbus_windows_t *counter = nimbus_windows_new (false);
    ck_assert_ptr_nonnull (counter);
    size_t counter_bytes = nimbus_windows_bytes (counter);
    for (uint64_t k = 0; k < 9000; k++)
        nimbus_windows_add_counter (counter, T0 + k * 10 * SEC, 0, s_random ());
    ck_assert_uint_eq (nimbus_windows_bytes (counter), counter_bytes);
    ck_assert_uint_le (counter_bytes, 4500);
    nimbus_windows_destroy (&counter);

    nimbus_windows_t *windows = nimbus_windows_new (true);
    sq_histogram_t *cumulative = sq_histogram_new ();
    ck_assert (windows && cumulative);
    size_t idle = nimbus_windows_bytes (windows);
    ck_assert_uint_le (idle, 30 * 1024);
    for (uint64_t k = 0; k < 8700; k++) {
        for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++)
            sq_histogram_add_bucket (cumulative, index, 1 + (index & k));
        sq_histogram_add_sum (cumulative, 1000, UINT64_MAX);
        ck_assert_int_eq (nimbus_windows_add_histogram (windows, T0 + k * 10 * SEC, 0, cumulative),
                          0);
    }
    size_t full = idle + 3 * NIMBUS_WINDOWS_SLOTS * SQ_HISTOGRAM_BUCKETS * 10;
    ck_assert_uint_eq (nimbus_windows_bytes (windows), full);
    ck_assert_uint_le (full, 2300000);
    sq_histogram_destroy (&cumulative);
    nimbus_windows_destroy (&windows);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_windows");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_counter_rolls);
    tcase_add_test (tc, test_counter_restart);
    tcase_add_test (tc, test_counter_first_after_nimbus_restart);
    tcase_add_test (tc, test_rate_and_capacity);
    tcase_add_test (tc, test_capacity_from_histogram_windows);
    tcase_add_test (tc, test_histogram_windows_random);
    tcase_add_test (tc, test_memory_bound);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
