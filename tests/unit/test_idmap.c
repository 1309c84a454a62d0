/*  test_idmap - sq_idmap and sq_rotating_map against brute-force references

    Random operations are checked against plain arrays indexed by a small
    universe of keys. Runs are reproducible: the seed is printed and can be
    set with SQ_TEST_SEED.
*/
#include "sq_idmap.h"
#include "sq_rotating_map.h"
#include "test_random.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Check's ck_assert records every passing check with a system call,
//  which the hot loops here cannot afford; these call Check only on
//  failure, naming the expression and both values.
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg ("check failed: %s", #expr);                                              \
    } while (0)
#define CHECK_UINT(x, op, y)                                                                       \
    do {                                                                                           \
        uintmax_t x_ = (uintmax_t) (x), y_ = (uintmax_t) (y);                                      \
        if (!(x_ op y_))                                                                           \
            ck_abort_msg ("check failed: %s %s %s (%ju vs %ju)", #x, #op, #y, x_, y_);             \
    } while (0)
#define CHECK_INT(x, op, y)                                                                        \
    do {                                                                                           \
        intmax_t x_ = (intmax_t) (x), y_ = (intmax_t) (y);                                         \
        if (!(x_ op y_))                                                                           \
            ck_abort_msg ("check failed: %s %s %s (%jd vs %jd)", #x, #op, #y, x_, y_);             \
    } while (0)

#define FLAG_MASK 0x3ULL //  flag bits the tests keep in stored keys

static uint64_t s_seed = 0x5eed5eed12345678ULL;
static void
s_setup (void)
{
    s_rng = s_seed;
}

static int
s_compare_keys (const void *a, const void *b)
{
    uint64_t left = *(const uint64_t *) a, right = *(const uint64_t *) b;
    return left < right ? -1 : left > right;
}

//  Distinct random keys with non-zero masked parts and clear flag bits.
static uint64_t *
s_new_keys (size_t count)
{
    uint64_t *keys = calloc (count, sizeof (uint64_t));
    uint64_t *sorted = calloc (count, sizeof (uint64_t));
    CHECK (keys && sorted);
    bool distinct = false;
    while (!distinct) {
        for (size_t index = 0; index < count; index++)
            do
                keys[index] = s_random () & ~FLAG_MASK;
            while (keys[index] == 0);
        memcpy (sorted, keys, count * sizeof (uint64_t));
        qsort (sorted, count, sizeof (uint64_t), s_compare_keys);
        distinct = true;
        for (size_t index = 1; index < count; index++)
            if (sorted[index] == sorted[index - 1])
                distinct = false;
    }
    free (sorted);
    return keys;
}

//  Load stays within [1/4, 3/4] once past the smallest capacity.
static void
s_assert_load (const sq_idmap_t *map)
{
    size_t size = sq_idmap_size (map);
    size_t capacity = sq_idmap_capacity (map);
    CHECK_UINT (size * 4, <=, capacity * 3);
    if (capacity > 8)
        CHECK_UINT (size * 4, >=, capacity);
}

//  ---------------------------------------------------------------------
//  sq_idmap

START_TEST (test_empty)
{
    sq_idmap_t *map = sq_idmap_new (8, ~0ULL);
    CHECK (map != NULL);
    CHECK_UINT (sq_idmap_size (map), ==, 0);
    CHECK_UINT (sq_idmap_capacity (map), ==, 0);
    CHECK_UINT (sq_idmap_bytes (map), >, 0);
    CHECK (sq_idmap_find (map, 42) == NULL);
    CHECK_INT (sq_idmap_remove (map, 42), ==, -1);
    CHECK (!sq_idmap_holds (map, NULL));
    sq_idmap_destroy (&map);
    CHECK (map == NULL);
    sq_idmap_destroy (&map);
}
END_TEST

START_TEST (test_insert_find_remove)
{
    sq_idmap_t *map = sq_idmap_new (16, ~0ULL);
    uint64_t *entry = sq_idmap_insert (map, 7);
    CHECK (entry != NULL);
    CHECK_UINT (entry[0], ==, 7);
    uint64_t *value = sq_idmap_value (entry);
    CHECK_UINT (value[0], ==, 0);
    CHECK_UINT (value[1], ==, 0);
    value[0] = 1234;
    value[1] = 5678;
    CHECK_UINT (sq_idmap_size (map), ==, 1);
    CHECK_UINT (sq_idmap_capacity (map), ==, 8);
    CHECK_UINT (sq_idmap_bytes (map), >=, 8 * 24);
    CHECK (sq_idmap_find (map, 7) == entry);
    //  A key already present is refused and left as it was.
    CHECK (sq_idmap_insert (map, 7) == NULL);
    CHECK_UINT (sq_idmap_size (map), ==, 1);
    CHECK_UINT (value[0], ==, 1234);
    CHECK (sq_idmap_holds (map, entry));
    CHECK (!sq_idmap_holds (map, entry + 1));
    CHECK (sq_idmap_find (map, 8) == NULL);
    CHECK (sq_idmap_find (map, 0) == NULL);
    CHECK_INT (sq_idmap_remove (map, 7), ==, 0);
    CHECK_INT (sq_idmap_remove (map, 7), ==, -1);
    CHECK_UINT (sq_idmap_size (map), ==, 0);
    //  The slot of a removed entry comes back zeroed.
    entry = sq_idmap_insert (map, 7);
    value = sq_idmap_value (entry);
    CHECK_UINT (value[0], ==, 0);
    CHECK_UINT (value[1], ==, 0);
    sq_idmap_destroy (&map);
}
END_TEST

//  Many random inserts, removes and finds against a reference indexed by a
//  universe of keys, in phases that grow and shrink the map. Stored keys
//  carry random flag bits, which must survive every move.
START_TEST (test_random_against_reference)
{
    enum { UNIVERSE = 20000, OPS = 400000 };
    uint64_t *keys = s_new_keys (UNIVERSE);
    bool *present = calloc (UNIVERSE, sizeof (bool));
    uint64_t *flags = calloc (UNIVERSE, sizeof (uint64_t));
    uint64_t (*values)[2] = calloc (UNIVERSE, sizeof *values);
    sq_idmap_t *map = sq_idmap_new (16, ~FLAG_MASK);
    size_t size = 0, max_capacity = 0, shrinks = 0;
    for (size_t op = 0; op < OPS; op++) {
        //  Phases of 50000 operations alternate between mostly inserting
        //  and mostly removing: the map swings between about 14,500 and
        //  2,200 entries, wide enough to cross the shrink at a load of 1/4.
        bool growing = (op / 50000) % 2 == 0;
        size_t which = s_below (UNIVERSE);
        uint64_t query = keys[which] | (s_random () & FLAG_MASK);
        uint64_t *entry = sq_idmap_find (map, query);
        CHECK (present[which] == (entry != NULL));
        if (entry) {
            CHECK_UINT (entry[0], ==, keys[which] | flags[which]);
            uint64_t *value = sq_idmap_value (entry);
            CHECK_UINT (value[0], ==, values[which][0]);
            CHECK_UINT (value[1], ==, values[which][1]);
        }
        size_t roll = s_below (10);
        if (!entry && roll < (growing ? 8u : 1u)) {
            flags[which] = s_random () & FLAG_MASK;
            entry = sq_idmap_insert (map, keys[which] | flags[which]);
            CHECK (entry != NULL);
            uint64_t *value = sq_idmap_value (entry);
            CHECK_UINT (value[0], ==, 0);
            CHECK_UINT (value[1], ==, 0);
            values[which][0] = value[0] = s_random ();
            values[which][1] = value[1] = s_random ();
            present[which] = true;
            size++;
        } else if (entry && roll < (growing ? 3u : 8u)) {
            size_t capacity = sq_idmap_capacity (map);
            if (s_below (2))
                CHECK_INT (sq_idmap_remove (map, query), ==, 0);
            else
                sq_idmap_remove_entry (map, entry);
            if (sq_idmap_capacity (map) < capacity)
                shrinks++;
            present[which] = false;
            size--;
        } else if (entry) {
            //  Change flag bits in place.
            flags[which] = s_random () & FLAG_MASK;
            entry[0] = (entry[0] & ~FLAG_MASK) | flags[which];
        }
        CHECK_UINT (sq_idmap_size (map), ==, size);
        s_assert_load (map);
        if (sq_idmap_capacity (map) > max_capacity)
            max_capacity = sq_idmap_capacity (map);
        if (op % 20000 == 0) {
            for (size_t index = 0; index < UNIVERSE; index++) {
                entry = sq_idmap_find (map, keys[index]);
                CHECK (present[index] == (entry != NULL));
                if (entry)
                    CHECK_UINT (((uint64_t *) sq_idmap_value (entry))[0], ==, values[index][0]);
            }
        }
    }
    CHECK_UINT (max_capacity, >, 10000);
    //  Each of the four shrinking phases falls below a load of 1/4.
    CHECK_UINT (shrinks, >=, 4);
    sq_idmap_destroy (&map);
    free (keys);
    free (present);
    free (flags);
    free (values);
}
END_TEST

//  Tiny tables: clusters wrap around the end of the array all the time,
//  so every backward shift case comes up. After each operation, every key
//  of the universe must be found exactly when it is present.
START_TEST (test_backward_shift_small)
{
    enum { UNIVERSE = 12, OPS = 200000 };
    for (int value_size = 0; value_size <= 16; value_size += 8) {
        uint64_t *keys = s_new_keys (UNIVERSE);
        bool present[UNIVERSE] = {false};
        sq_idmap_t *map = sq_idmap_new ((size_t) value_size, ~0ULL);
        for (size_t op = 0; op < OPS; op++) {
            size_t which = s_below (UNIVERSE);
            if (present[which]) {
                CHECK_INT (sq_idmap_remove (map, keys[which]), ==, 0);
                present[which] = false;
            } else {
                uint64_t *entry = sq_idmap_insert (map, keys[which]);
                CHECK (entry != NULL);
                if (value_size)
                    *(uint64_t *) sq_idmap_value (entry) = keys[which] ^ 1;
                present[which] = true;
            }
            for (size_t index = 0; index < UNIVERSE; index++) {
                uint64_t *entry = sq_idmap_find (map, keys[index]);
                CHECK (present[index] == (entry != NULL));
                if (entry && value_size)
                    CHECK_UINT (*(uint64_t *) sq_idmap_value (entry), ==, keys[index] ^ 1);
            }
            s_assert_load (map);
        }
        sq_idmap_destroy (&map);
        free (keys);
    }
}
END_TEST

//  Consecutive keys, and keys that differ only in high bits: the mixer must
//  spread them so that probes stay short.
START_TEST (test_patterned_keys)
{
    sq_idmap_t *map = sq_idmap_new (8, ~0ULL);
    for (uint64_t key = 1; key <= 50000; key++)
        CHECK (sq_idmap_insert (map, key) != NULL);
    for (uint64_t key = 1; key <= 50000; key++)
        CHECK (sq_idmap_insert (map, key << 40) != NULL);
    CHECK_UINT (sq_idmap_size (map), ==, 100000);
    for (uint64_t key = 1; key <= 50000; key++) {
        CHECK (sq_idmap_find (map, key) != NULL);
        CHECK (sq_idmap_find (map, key << 40) != NULL);
    }
    for (uint64_t key = 1; key <= 50000; key += 2)
        CHECK_INT (sq_idmap_remove (map, key), ==, 0);
    for (uint64_t key = 1; key <= 50000; key++)
        CHECK ((sq_idmap_find (map, key) != NULL) == (key % 2 == 0));
    s_assert_load (map);
    sq_idmap_destroy (&map);
}
END_TEST

START_TEST (test_key_mask_flags)
{
    enum { COUNT = 3000 };
    uint64_t *keys = s_new_keys (COUNT);
    sq_idmap_t *map = sq_idmap_new (8, ~FLAG_MASK);
    for (size_t index = 0; index < COUNT; index++) {
        uint64_t *entry = sq_idmap_insert (map, keys[index] | (index % 4));
        CHECK_UINT (entry[0], ==, keys[index] | (index % 4));
        *(uint64_t *) sq_idmap_value (entry) = index;
    }
    //  Any flag bits in the query find the same entry.
    for (size_t index = 0; index < COUNT; index++)
        for (uint64_t query_flags = 0; query_flags < 4; query_flags++) {
            uint64_t *entry = sq_idmap_find (map, keys[index] | query_flags);
            CHECK (entry != NULL);
            CHECK_UINT (entry[0], ==, keys[index] | (index % 4));
        }
    //  The same key with other flag bits is the same key.
    CHECK (sq_idmap_insert (map, keys[0] | 0x3) == NULL);
    CHECK_UINT (sq_idmap_size (map), ==, COUNT);
    //  A key whose masked part is 0 is never found.
    CHECK (sq_idmap_find (map, 0) == NULL);
    CHECK (sq_idmap_find (map, 2) == NULL);
    //  Set a flag in place, remove two thirds (moving the rest), check the
    //  flags and values that are left.
    for (size_t index = 0; index < COUNT; index++)
        sq_idmap_find (map, keys[index])[0] |= 0x2;
    for (size_t index = 0; index < COUNT; index++)
        if (index % 3 != 0)
            CHECK_INT (sq_idmap_remove (map, keys[index] | 0x1), ==, 0);
    CHECK_UINT (sq_idmap_size (map), ==, COUNT / 3);
    for (size_t index = 0; index < COUNT; index++) {
        uint64_t *entry = sq_idmap_find (map, keys[index]);
        if (index % 3 != 0) {
            CHECK (entry == NULL);
            continue;
        }
        CHECK (entry != NULL);
        CHECK_UINT (entry[0], ==, keys[index] | (index % 4) | 0x2);
        CHECK_UINT (*(uint64_t *) sq_idmap_value (entry), ==, index);
    }
    sq_idmap_destroy (&map);
    free (keys);
}
END_TEST

static void
s_visit_sum (uint64_t *entry, void *arg)
{
    uint64_t *sums = (uint64_t *) arg;
    sums[0] += entry[0];
    sums[1] += *(uint64_t *) sq_idmap_value (entry);
    sums[2]++;
    (*(uint64_t *) sq_idmap_value (entry))++;
}

START_TEST (test_foreach_and_clear)
{
    sq_idmap_t *map = sq_idmap_new (8, ~0ULL);
    uint64_t sums[3] = {0, 0, 0};
    sq_idmap_foreach (map, s_visit_sum, sums);
    CHECK_UINT (sums[2], ==, 0);
    uint64_t key_sum = 0, value_sum = 0;
    for (uint64_t key = 100; key < 1100; key++) {
        *(uint64_t *) sq_idmap_value (sq_idmap_insert (map, key)) = key * 3;
        key_sum += key;
        value_sum += key * 3;
    }
    sq_idmap_foreach (map, s_visit_sum, sums);
    CHECK_UINT (sums[0], ==, key_sum);
    CHECK_UINT (sums[1], ==, value_sum);
    CHECK_UINT (sums[2], ==, 1000);
    //  The visit changed every value in place.
    CHECK_UINT (*(uint64_t *) sq_idmap_value (sq_idmap_find (map, 500)), ==, 1501);
    size_t bytes_full = sq_idmap_bytes (map);
    sq_idmap_clear (map);
    CHECK_UINT (sq_idmap_size (map), ==, 0);
    CHECK_UINT (sq_idmap_capacity (map), ==, 0);
    CHECK_UINT (sq_idmap_bytes (map), <, bytes_full);
    CHECK (sq_idmap_find (map, 500) == NULL);
    CHECK (sq_idmap_insert (map, 500) != NULL);
    CHECK_UINT (*(uint64_t *) sq_idmap_value (sq_idmap_find (map, 500)), ==, 0);
    sq_idmap_destroy (&map);
}
END_TEST

//  Bytes per entry, for every value size, once the map is past its
//  smallest size: at most twice the slot while it grows (a growth lands
//  at a load of 9/16), at most four times while it shrinks (not below a
//  load of 1/4).
START_TEST (test_bytes)
{
    for (size_t value_size = 0; value_size <= 24; value_size += 8) {
        sq_idmap_t *map = sq_idmap_new (value_size, ~0ULL);
        size_t slot = 8 + value_size;
        size_t header = sq_idmap_bytes (map);
        for (uint64_t key = 1; key <= 100000; key++) {
            sq_idmap_insert (map, key);
            CHECK_UINT (sq_idmap_bytes (map), ==, header + sq_idmap_capacity (map) * slot);
            if (key > 8)
                CHECK_UINT (sq_idmap_bytes (map) - header, <=, 2 * slot * key);
        }
        for (uint64_t key = 1; key <= 99990; key++) {
            sq_idmap_remove (map, key);
            size_t size = 100000 - key;
            if (sq_idmap_capacity (map) > 8)
                CHECK_UINT (sq_idmap_bytes (map) - header, <=, 4 * slot * size);
        }
        CHECK_UINT (sq_idmap_capacity (map), <=, 4 * 10 + 3);
        sq_idmap_destroy (&map);
    }
}
END_TEST

//  ---------------------------------------------------------------------
//  sq_rotating_map

typedef struct {
    uint64_t keys[64]; //  keys reported expired
    size_t count;      //  how many
} expired_t;

static void
s_collect (uint64_t *entry, void *arg)
{
    expired_t *expired = (expired_t *) arg;
    CHECK_UINT (expired->count, <, 64);
    expired->keys[expired->count++] = entry[0];
}

static bool
s_reported (const expired_t *expired, uint64_t key)
{
    for (size_t index = 0; index < expired->count; index++)
        if (expired->keys[index] == key)
            return true;
    return false;
}

START_TEST (test_rotating_basic)
{
    sq_rotating_map_t *map = sq_rotating_map_new (3, 8, ~0ULL);
    CHECK (map != NULL);
    CHECK_UINT (sq_rotating_map_buckets (map), ==, 3);
    expired_t expired = {.count = 0};
    //  Keys 1-10 in one bucket, 11-20 in the next, 21-30 in the next.
    for (uint64_t key = 1; key <= 10; key++)
        *(uint64_t *) sq_idmap_value (sq_rotating_map_insert (map, key)) = key;
    CHECK_UINT (sq_rotating_map_rotate (map, s_collect, &expired), ==, 0);
    for (uint64_t key = 11; key <= 20; key++)
        sq_rotating_map_insert (map, key);
    CHECK_UINT (sq_rotating_map_rotate (map, s_collect, &expired), ==, 0);
    for (uint64_t key = 21; key <= 30; key++)
        sq_rotating_map_insert (map, key);
    CHECK_UINT (sq_rotating_map_size (map), ==, 30);
    CHECK (sq_rotating_map_insert (map, 22) == NULL);
    //  find and remove reach every bucket.
    CHECK_UINT (*(uint64_t *) sq_idmap_value (sq_rotating_map_find (map, 4)), ==, 4);
    CHECK_INT (sq_rotating_map_remove (map, 3), ==, 0);
    CHECK_INT (sq_rotating_map_remove (map, 3), ==, -1);
    sq_rotating_map_remove_entry (map, sq_rotating_map_find (map, 5));
    CHECK_INT (sq_rotating_map_remove (map, 15), ==, 0);
    CHECK_INT (sq_rotating_map_remove (map, 25), ==, 0);
    CHECK_UINT (sq_rotating_map_size (map), ==, 26);
    //  Third rotation: exactly the oldest bucket's remaining keys.
    CHECK_UINT (sq_rotating_map_rotate (map, s_collect, &expired), ==, 8);
    CHECK_UINT (expired.count, ==, 8);
    for (uint64_t key = 1; key <= 10; key++) {
        CHECK (s_reported (&expired, key) == (key != 3 && key != 5));
        CHECK (sq_rotating_map_find (map, key) == NULL);
    }
    CHECK (sq_rotating_map_find (map, 11) != NULL);
    //  A rotation without callback still drops the bucket.
    CHECK_UINT (sq_rotating_map_rotate (map, NULL, NULL), ==, 9);
    expired.count = 0;
    CHECK_UINT (sq_rotating_map_rotate (map, s_collect, &expired), ==, 9);
    CHECK (s_reported (&expired, 30) && !s_reported (&expired, 25));
    CHECK_UINT (sq_rotating_map_rotate (map, s_collect, &expired), ==, 0);
    CHECK_UINT (sq_rotating_map_size (map), ==, 0);
    sq_rotating_map_destroy (&map);
    CHECK (map == NULL);
    sq_rotating_map_destroy (&map);
}
END_TEST

typedef struct {
    const uint64_t *keys; //  the universe of keys
    size_t universe;      //  number of keys
    long *epoch;          //  per key: epoch of its insert, -1 when absent
    long expiring;        //  epoch whose keys the rotation drops
    size_t seen;          //  entries reported
} expiry_check_t;

static void
s_check_expired (uint64_t *entry, void *arg)
{
    expiry_check_t *check = (expiry_check_t *) arg;
    //  Find the key by a linear scan: the universe is small.
    size_t which = 0;
    while (which < check->universe && check->keys[which] != (entry[0] & ~FLAG_MASK))
        which++;
    CHECK_UINT (which, <, check->universe);
    CHECK_INT (check->epoch[which], ==, check->expiring);
    CHECK_UINT (*(uint64_t *) sq_idmap_value (entry), ==, check->keys[which] >> 2);
    check->epoch[which] = -1;
    check->seen++;
}

//  Random inserts, removes and rotations for several bucket counts: each
//  rotation reports exactly the keys still present from its oldest epoch.
START_TEST (test_rotating_random)
{
    enum { UNIVERSE = 400, OPS = 60000 };
    size_t bucket_counts[] = {2, 3, 5};
    for (size_t run = 0; run < 3; run++) {
        size_t buckets = bucket_counts[run];
        uint64_t *keys = s_new_keys (UNIVERSE);
        long epoch_of[UNIVERSE];
        for (size_t index = 0; index < UNIVERSE; index++)
            epoch_of[index] = -1;
        sq_rotating_map_t *map = sq_rotating_map_new (buckets, 8, ~FLAG_MASK);
        long epoch = 0;
        size_t size = 0;
        for (size_t op = 0; op < OPS; op++) {
            size_t which = s_below (UNIVERSE);
            uint64_t *entry = sq_rotating_map_find (map, keys[which]);
            CHECK ((entry != NULL) == (epoch_of[which] >= 0));
            size_t roll = s_below (100);
            if (roll == 0) {
                expiry_check_t check = {keys, UNIVERSE, epoch_of, epoch - (long) buckets + 1, 0};
                size_t expected = 0;
                for (size_t index = 0; index < UNIVERSE; index++)
                    if (epoch_of[index] >= 0 && epoch_of[index] == check.expiring)
                        expected++;
                CHECK_UINT (sq_rotating_map_rotate (map, s_check_expired, &check), ==, expected);
                CHECK_UINT (check.seen, ==, expected);
                size -= expected;
                epoch++;
            } else if (!entry && roll < 60) {
                entry = sq_rotating_map_insert (map, keys[which] | (roll & FLAG_MASK));
                CHECK (entry != NULL);
                *(uint64_t *) sq_idmap_value (entry) = keys[which] >> 2;
                epoch_of[which] = epoch;
                size++;
            } else if (entry && roll < 60) {
                if (roll % 2)
                    CHECK_INT (sq_rotating_map_remove (map, keys[which]), ==, 0);
                else
                    sq_rotating_map_remove_entry (map, entry);
                epoch_of[which] = -1;
                size--;
            }
            CHECK_UINT (sq_rotating_map_size (map), ==, size);
        }
        //  Rotating `buckets` times empties the map.
        for (size_t turn = 0; turn < buckets; turn++)
            sq_rotating_map_rotate (map, NULL, NULL);
        CHECK_UINT (sq_rotating_map_size (map), ==, 0);
        sq_rotating_map_destroy (&map);
        free (keys);
    }
}
END_TEST

START_TEST (test_rotating_bytes)
{
    sq_rotating_map_t *map = sq_rotating_map_new (4, 8, ~0ULL);
    size_t empty = sq_rotating_map_bytes (map);
    for (uint64_t key = 1; key <= 30000; key++) {
        sq_rotating_map_insert (map, key);
        if (key % 10000 == 0)
            sq_rotating_map_rotate (map, NULL, NULL);
    }
    CHECK_UINT (sq_rotating_map_size (map), ==, 30000);
    CHECK_UINT (sq_rotating_map_bytes (map) - empty, <=, 30000 * 32);
    for (int turn = 0; turn < 4; turn++)
        sq_rotating_map_rotate (map, NULL, NULL);
    CHECK_UINT (sq_rotating_map_bytes (map), ==, empty);
    sq_rotating_map_destroy (&map);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("idmap");
    TCase *tcase = tcase_create ("idmap");
    tcase_add_checked_fixture (tcase, s_setup, NULL);
    tcase_add_test (tcase, test_empty);
    tcase_add_test (tcase, test_insert_find_remove);
    tcase_add_test (tcase, test_random_against_reference);
    tcase_add_test (tcase, test_backward_shift_small);
    tcase_add_test (tcase, test_patterned_keys);
    tcase_add_test (tcase, test_key_mask_flags);
    tcase_add_test (tcase, test_foreach_and_clear);
    tcase_add_test (tcase, test_bytes);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("rotating_map");
    tcase_add_checked_fixture (tcase, s_setup, NULL);
    tcase_add_test (tcase, test_rotating_basic);
    tcase_add_test (tcase, test_rotating_random);
    tcase_add_test (tcase, test_rotating_bytes);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    s_seed = test_random_seed ("test_idmap", s_seed);
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
