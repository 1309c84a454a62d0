/*  test_histogram - sq_histogram: layout, exact figures, quantiles against
    exact ones of random data, merge, subtract, and the JSON form with
    malformed inputs. Random runs are reproducible from the seed below.
*/
#include "squall.h"
#include "sq_error.h"
#include "sq_histogram.h"
#include "test_random.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SEED 0x6869737467726d31ULL //  first seed of the random runs
#define RANDOM_VALUES 200000       //  values per random run
#define RANDOM_RUNS 4              //  random runs, one seed each

static int
s_compare_uint64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

//  Asserts that two histograms hold the same figures, bucket by bucket.
static void
s_assert_same (const sq_histogram_t *a, const sq_histogram_t *b)
{
    ck_assert_uint_eq (sq_histogram_count (a), sq_histogram_count (b));
    ck_assert_uint_eq (sq_histogram_sum (a), sq_histogram_sum (b));
    ck_assert_uint_eq (sq_histogram_max (a), sq_histogram_max (b));
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++)
        if (sq_histogram_bucket (a, index) != sq_histogram_bucket (b, index))
            ck_abort_msg ("bucket %zu: %ju vs %ju", index,
                          (uintmax_t) sq_histogram_bucket (a, index),
                          (uintmax_t) sq_histogram_bucket (b, index));
}

//  A random value spread evenly over the logarithm of 1 ns .. 2^42 ns.
static uint64_t
s_random_value (void)
{
    unsigned octave = (unsigned) s_below (42);
    return (1ULL << octave) + (s_random () & ((1ULL << octave) - 1));
}

START_TEST (test_layout)
{
    ck_assert_int_eq (SQ_HISTOGRAM_BUCKETS, 1217);
    ck_assert_uint_eq (sq_histogram_bucket_low (0), 0);
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++) {
        uint64_t low = sq_histogram_bucket_low (index);
        uint64_t high = sq_histogram_bucket_high (index);
        ck_assert_uint_le (low, high);
        ck_assert_uint_eq (sq_histogram_index (low), index);
        ck_assert_uint_eq (sq_histogram_index (high), index);
        if (index > 0)
            ck_assert_uint_eq (low, sq_histogram_bucket_high (index - 1) + 1);
        if (index < SQ_HISTOGRAM_EXACT)
            ck_assert_uint_eq (low, high);
        else if (index < SQ_HISTOGRAM_BUCKETS - 1)
            //  Width at most 1/32 of the low end: the basis of the bound.
            ck_assert_uint_le ((high - low + 1) * 32, low);
    }
    ck_assert_uint_eq (sq_histogram_bucket_high (SQ_HISTOGRAM_BUCKETS - 2), (1ULL << 42) - 1);
    ck_assert_uint_eq (sq_histogram_index (1ULL << 42), SQ_HISTOGRAM_BUCKETS - 1);
    ck_assert_uint_eq (sq_histogram_index (UINT64_MAX), SQ_HISTOGRAM_BUCKETS - 1);
    ck_assert_uint_eq (sq_histogram_bucket_high (SQ_HISTOGRAM_BUCKETS - 1), UINT64_MAX);
    //  1 hour in nanoseconds has a fine bucket.
    ck_assert_uint_lt (sq_histogram_index (3600ULL * 1000000000ULL), SQ_HISTOGRAM_BUCKETS - 1);
}
END_TEST

START_TEST (test_exact_figures)
{
    sq_histogram_t *histogram = sq_histogram_new ();
    ck_assert_ptr_nonnull (histogram);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 0.5), 0);
    ck_assert (sq_histogram_mean (histogram) == 0.0);
    //  1 .. 10: small values are exact, so are their quantiles.
    for (uint64_t value = 1; value <= 10; value++)
        sq_histogram_record (histogram, value);
    ck_assert_uint_eq (sq_histogram_count (histogram), 10);
    ck_assert_uint_eq (sq_histogram_sum (histogram), 55);
    ck_assert_uint_eq (sq_histogram_max (histogram), 10);
    ck_assert (sq_histogram_mean (histogram) == 5.5);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 0.0), 1);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 0.5), 5);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 0.51), 6);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 0.99), 10);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 1.0), 10);
    ck_assert_uint_eq (sq_histogram_count_at_most (histogram, 4), 4);
    //  1000 ns lies in [992, 1007]: the middle is 999, never above max.
    sq_histogram_reset (histogram);
    sq_histogram_record (histogram, 1000);
    ck_assert_uint_eq (sq_histogram_bucket_low (sq_histogram_index (1000)), 992);
    ck_assert_uint_eq (sq_histogram_bucket_high (sq_histogram_index (1000)), 1007);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 0.5), 999);
    sq_histogram_record (histogram, 995);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 1.0), 999);
    sq_histogram_reset (histogram);
    sq_histogram_record (histogram, 993);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 1.0), 993);
    //  Beyond 2^42 ns the overflow bucket answers with the exact max.
    sq_histogram_record (histogram, 5ULL << 42);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 1.0), 5ULL << 42);
    //  The sum saturates instead of wrapping.
    sq_histogram_record (histogram, UINT64_MAX - 1);
    ck_assert_uint_eq (sq_histogram_sum (histogram), UINT64_MAX);
    ck_assert_uint_eq (sq_histogram_count (histogram), 3);
    sq_histogram_destroy (&histogram);
    ck_assert_ptr_null (histogram);
    sq_histogram_destroy (&histogram);
}
END_TEST

//  Quantiles of random data, checked against the exact ones of the same
//  rank definition: within 1/64 relative (exact below 64 ns).
START_TEST (test_quantiles_against_exact)
{
    static const double quantiles[] = {0.0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0};
    uint64_t *values = calloc (RANDOM_VALUES, sizeof (uint64_t));
    sq_histogram_t *histogram = sq_histogram_new ();
    ck_assert (values && histogram);
    for (int run = 0; run < RANDOM_RUNS; run++) {
        s_rng = SEED + (uint64_t) run;
        sq_histogram_reset (histogram);
        //  Half the runs log-uniform, half clustered like real latencies.
        uint64_t sum = 0;
        for (size_t at = 0; at < RANDOM_VALUES; at++) {
            values[at] = run % 2 ? s_random_value () : 20000 + s_below (5000) * s_below (40);
            sq_histogram_record (histogram, values[at]);
            sum += values[at];
        }
        qsort (values, RANDOM_VALUES, sizeof (uint64_t), s_compare_uint64);
        ck_assert_uint_eq (sq_histogram_count (histogram), RANDOM_VALUES);
        ck_assert_uint_eq (sq_histogram_sum (histogram), sum);
        ck_assert_uint_eq (sq_histogram_max (histogram), values[RANDOM_VALUES - 1]);
        for (size_t at = 0; at < sizeof quantiles / sizeof quantiles[0]; at++) {
            double q = quantiles[at];
            size_t rank = (size_t) ceil (q * RANDOM_VALUES);
            uint64_t exact = values[rank ? rank - 1 : 0];
            uint64_t estimate = sq_histogram_quantile (histogram, q);
            double error = fabs ((double) estimate - (double) exact);
            if (error > (double) exact / 64.0)
                ck_abort_msg ("seed %ju q %g: estimate %ju, exact %ju", (uintmax_t) (SEED + run), q,
                              (uintmax_t) estimate, (uintmax_t) exact);
        }
    }
    sq_histogram_destroy (&histogram);
    free (values);
}
END_TEST

START_TEST (test_merge_snapshot_subtract)
{
    sq_histogram_t *whole = sq_histogram_new ();
    sq_histogram_t *first = sq_histogram_new ();
    sq_histogram_t *second = sq_histogram_new ();
    sq_histogram_t *copy = sq_histogram_new ();
    ck_assert (whole && first && second && copy);
    s_rng = SEED;
    for (int at = 0; at < 10000; at++) {
        uint64_t value = s_random_value ();
        sq_histogram_record (whole, value);
        sq_histogram_record (at < 6000 ? first : second, value);
    }
    //  Merging the halves gives the whole.
    sq_histogram_snapshot (copy, first);
    s_assert_same (copy, first);
    sq_histogram_merge (copy, second);
    s_assert_same (copy, whole);
    //  The whole minus the first half is the second half, except max:
    //  the second half's max is exact only when it is the whole's max.
    ck_assert_int_eq (sq_histogram_subtract (copy, whole, first), 0);
    ck_assert_uint_eq (sq_histogram_count (copy), sq_histogram_count (second));
    ck_assert_uint_eq (sq_histogram_sum (copy), sq_histogram_sum (second));
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++)
        ck_assert_uint_eq (sq_histogram_bucket (copy, index), sq_histogram_bucket (second, index));
    uint64_t max = sq_histogram_max (copy);
    ck_assert_uint_ge (max, sq_histogram_max (second));
    ck_assert_uint_eq (sq_histogram_index (max), sq_histogram_index (sq_histogram_max (second)));
    //  A later snapshot smaller than the earlier one: a restart.
    sq_histogram_snapshot (copy, whole);
    ck_assert_int_eq (sq_histogram_subtract (copy, first, whole), -1);
    s_assert_same (copy, whole); //  untouched
    //  Equal snapshots: an empty difference.
    ck_assert_int_eq (sq_histogram_subtract (copy, first, first), 0);
    ck_assert_uint_eq (sq_histogram_count (copy), 0);
    ck_assert_uint_eq (sq_histogram_max (copy), 0);
    //  The max of a difference grows when the later max grew.
    sq_histogram_reset (first);
    sq_histogram_record (first, 100);
    sq_histogram_snapshot (second, first);
    sq_histogram_record (second, 7000);
    ck_assert_int_eq (sq_histogram_subtract (copy, second, first), 0);
    ck_assert_uint_eq (sq_histogram_max (copy), 7000);
    sq_histogram_destroy (&whole);
    sq_histogram_destroy (&first);
    sq_histogram_destroy (&second);
    sq_histogram_destroy (&copy);
}
END_TEST

START_TEST (test_json_round_trip)
{
    sq_histogram_t *histogram = sq_histogram_new ();
    sq_histogram_t *decoded = sq_histogram_new ();
    ck_assert (histogram && decoded);
    //  Golden form: the non-empty buckets as index, count pairs.
    sq_histogram_record (histogram, 3);
    sq_histogram_record (histogram, 3);
    sq_histogram_record (histogram, 1000);
    json_t *json = sq_histogram_encode (histogram);
    ck_assert_ptr_nonnull (json);
    char *text = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (text, "{\"b\":[3,2,190,1],\"count\":3,\"max\":1000,\"sum\":1006,\"v\":1}");
    free (text);
    ck_assert_int_eq (sq_histogram_decode (decoded, json), 0);
    s_assert_same (decoded, histogram);
    json_decref (json);
    //  Random data, including the overflow bucket.
    s_rng = SEED;
    for (int at = 0; at < 5000; at++)
        sq_histogram_record (histogram, s_random_value ());
    sq_histogram_record (histogram, 1ULL << 50);
    json = sq_histogram_encode (histogram);
    ck_assert_int_eq (sq_histogram_decode (decoded, json), 0);
    s_assert_same (decoded, histogram);
    json_decref (json);
    //  Empty.
    sq_histogram_reset (histogram);
    json = sq_histogram_encode (histogram);
    ck_assert_int_eq (sq_histogram_decode (decoded, json), 0);
    s_assert_same (decoded, histogram);
    json_decref (json);
    sq_histogram_destroy (&histogram);
    sq_histogram_destroy (&decoded);
}
END_TEST

//  Each malformed form is rejected with SQ_EMALFORMED and leaves the
//  histogram empty; the valid base form decodes.
START_TEST (test_json_malformed)
{
    static const char *const malformed[] = {
        "[]",
        "3",
        "{}",
        "{\"v\":2,\"count\":0,\"sum\":0,\"max\":0,\"b\":[]}",
        "{\"v\":1,\"count\":0,\"sum\":0,\"max\":0}",
        "{\"v\":1,\"count\":0,\"sum\":0,\"max\":0,\"b\":{}}",
        "{\"v\":1,\"count\":\"1\",\"sum\":3,\"max\":3,\"b\":[3,1]}",
        "{\"v\":1,\"count\":1.0,\"sum\":3,\"max\":3,\"b\":[3,1]}",
        "{\"v\":1,\"count\":-1,\"sum\":3,\"max\":3,\"b\":[3,1]}",
        "{\"v\":1,\"count\":1,\"sum\":-3,\"max\":3,\"b\":[3,1]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[3]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[-1,1]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[1217,1]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[99999999999,1]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[3,0]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[3,-1]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":3,\"b\":[3,\"1\"]}",
        "{\"v\":1,\"count\":2,\"sum\":3,\"max\":3,\"b\":[3,1]}",
        "{\"v\":1,\"count\":2,\"sum\":7,\"max\":4,\"b\":[4,1,3,1]}",
        "{\"v\":1,\"count\":2,\"sum\":6,\"max\":3,\"b\":[3,1,3,1]}",
        "{\"v\":1,\"count\":1,\"sum\":3,\"max\":4,\"b\":[3,1]}",
        "{\"v\":1,\"count\":1,\"sum\":1000,\"max\":2000,\"b\":[190,1]}",
        "{\"v\":1,\"count\":0,\"sum\":0,\"max\":5,\"b\":[]}",
        "{\"v\":1,\"count\":0,\"sum\":5,\"max\":0,\"b\":[]}",
        "{\"v\":1,\"count\":9223372036854775807,\"sum\":3,\"max\":3,"
        "\"b\":[3,9223372036854775807,4,9223372036854775807]}",
    };
    sq_histogram_t *histogram = sq_histogram_new ();
    ck_assert_ptr_nonnull (histogram);
    for (size_t at = 0; at < sizeof malformed / sizeof malformed[0]; at++) {
        json_error_t error;
        json_t *json = json_loads (malformed[at], JSON_DECODE_ANY, &error);
        ck_assert_msg (json != NULL, "test input %zu is not JSON", at);
        sq_histogram_record (histogram, 42);
        int rc = sq_histogram_decode (histogram, json);
        ck_assert_msg (rc == SQ_EMALFORMED, "input %zu accepted: %s", at, malformed[at]);
        ck_assert_uint_eq (sq_histogram_count (histogram), 0);
        ck_assert_uint_eq (sq_histogram_bucket (histogram, 3), 0);
        ck_assert_ptr_nonnull (strstr (sq_last_error (), "histogram: "));
        json_decref (json);
    }
    json_t *json = json_loads (
        "{\"v\":1,\"count\":2,\"sum\":1003,\"max\":1000,\"b\":[3,1,190,1],\"later\":true}", 0,
        NULL);
    ck_assert_int_eq (sq_histogram_decode (histogram, json), 0);
    ck_assert_uint_eq (sq_histogram_count (histogram), 2);
    ck_assert_uint_eq (sq_histogram_quantile (histogram, 1.0), 999);
    json_decref (json);
    sq_histogram_destroy (&histogram);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("histogram");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_layout);
    tcase_add_test (tc, test_exact_figures);
    tcase_add_test (tc, test_quantiles_against_exact);
    tcase_add_test (tc, test_merge_snapshot_subtract);
    tcase_add_test (tc, test_json_round_trip);
    tcase_add_test (tc, test_json_malformed);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
