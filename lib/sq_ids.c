/*  sq_ids - random 64-bit root and edge ids for XOR acking */
#include "sq_ids.h"

#include <assert.h>
#include <stdbool.h>
#include <sys/random.h>
#include <time.h>

static _Thread_local uint64_t s_state[4];
static _Thread_local bool s_seeded;

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void
s_seed (void)
{
    if (getrandom (s_state, sizeof s_state, 0) != (ssize_t) sizeof s_state) {
        //  No entropy source: mix the clock and this thread's address, so
        //  threads still differ from each other.
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC, &now);
        uint64_t mix = (uint64_t) now.tv_nsec ^ ((uint64_t) now.tv_sec << 32) ^
                       (uint64_t) (uintptr_t) &s_state;
        for (int i = 0; i < 4; i++) {
            mix += 0x9E3779B97F4A7C15ULL;
            uint64_t z = mix;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            s_state[i] = z ^ (z >> 31);
        }
    }
    if ((s_state[0] | s_state[1] | s_state[2] | s_state[3]) == 0)
        s_state[0] = 1;
    s_seeded = true;
}

uint64_t
sq_ids_random (void)
{
    if (!s_seeded)
        s_seed ();
    uint64_t result = s_rotl (s_state[1] * 5, 7) * 9;
    uint64_t t = s_state[1] << 17;
    s_state[2] ^= s_state[0];
    s_state[3] ^= s_state[1];
    s_state[1] ^= s_state[2];
    s_state[0] ^= s_state[3];
    s_state[2] ^= t;
    s_state[3] = s_rotl (s_state[3], 45);
    return result;
}

#define S_CHECK_FACTOR 0x9E3779B97F4A7C15ULL //  odd: the check's multiplier

//  The check of an edge id's upper 56 bits (its low 8 bits zero).
static inline uint64_t
s_check (uint64_t upper)
{
    return (upper * S_CHECK_FACTOR) >> (64 - SQ_IDS_CHECK_BITS);
}

int
sq_ids_task_bits (int task_count)
{
    int bits = 1;
    while (bits < 16 && (task_count >> bits) > 0)
        bits++;
    return bits;
}

uint64_t
sq_ids_edge (int target_task, int task_bits)
{
    assert (task_bits >= 1 && task_bits <= 16);
    assert (target_task > 0 && target_task < (1 << task_bits));
    int shift = SQ_IDS_CHECK_BITS + task_bits;
    uint64_t upper = (sq_ids_random () << shift) | ((uint64_t) target_task << SQ_IDS_CHECK_BITS);
    return upper | s_check (upper);
}

int
sq_ids_edge_task (uint64_t value, int task_bits)
{
    assert (task_bits >= 1 && task_bits <= 16);
    uint64_t upper = value & ~((1ULL << SQ_IDS_CHECK_BITS) - 1);
    if ((value ^ upper) != s_check (upper))
        return 0;
    return (int) ((value >> SQ_IDS_CHECK_BITS) & ((1ULL << task_bits) - 1));
}

uint64_t
sq_ids_root (int spout_task)
{
    assert (spout_task > 0 && spout_task <= SQ_IDS_MAX_TASK);
    uint64_t random_part;
    do
        random_part = sq_ids_random () >> 18;
    while (random_part == 0);
    return (random_part << 18) | ((uint64_t) spout_task << 2);
}
