/*  sq_ids - random 64-bit root and edge ids for XOR acking */
#include "sq_ids.h"

#include <assert.h>
#include <stdbool.h>
#include <sys/random.h>
#include <time.h>

//  One thread's generator.
typedef struct {
    uint64_t state[4]; //  xoshiro256** state, never all zero once seeded
    bool seeded;       //  state was seeded
} s_generator_t;

static _Thread_local s_generator_t s_generator;

//  The calling thread's generator. Out of line, so that a call finds it
//  once: the compiler repeats the lookup of thread-local storage in a
//  library for each use otherwise.
__attribute__ ((noinline)) static s_generator_t *
s_generator_self (void)
{
    return &s_generator;
}

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void
s_seed (s_generator_t *self)
{
    if (getrandom (self->state, sizeof self->state, 0) != (ssize_t) sizeof self->state) {
        //  No entropy source: mix the clock and this thread's address, so
        //  threads still differ from each other.
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC, &now);
        uint64_t mix = (uint64_t) now.tv_nsec ^ ((uint64_t) now.tv_sec << 32) ^
                       (uint64_t) (uintptr_t) &self->state;
        for (int i = 0; i < 4; i++) {
            mix += 0x9E3779B97F4A7C15ULL;
            uint64_t z = mix;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            self->state[i] = z ^ (z >> 31);
        }
    }
    if ((self->state[0] | self->state[1] | self->state[2] | self->state[3]) == 0)
        self->state[0] = 1;
    self->seeded = true;
}

uint64_t
sq_ids_random (void)
{
    s_generator_t *self = s_generator_self ();
    if (!self->seeded)
        s_seed (self);
    uint64_t *state = self->state;
    uint64_t result = s_rotl (state[1] * 5, 7) * 9;
    uint64_t t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = s_rotl (state[3], 45);
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
