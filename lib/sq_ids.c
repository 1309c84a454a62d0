/*  sq_ids - random 64-bit root and edge ids for XOR acking */
#include "sq_ids.h"

#include <assert.h>
#include <stdbool.h>
#include <sys/random.h>
#include <time.h>

//  The calling thread's generator, for the functions without a source.
typedef struct {
    sq_ids_source_t source; //  its state
    bool seeded;            //  source was seeded
} s_generator_t;

static _Thread_local s_generator_t s_generator;

//  The calling thread's source, seeded. Out of line, so that a call finds
//  it once: the compiler repeats the lookup of thread-local storage in a
//  library for each use otherwise.
__attribute__ ((noinline)) static sq_ids_source_t *
s_thread_source (void)
{
    s_generator_t *self = &s_generator;
    if (!self->seeded) {
        sq_ids_source_seed (&self->source);
        self->seeded = true;
    }
    return &self->source;
}

void
sq_ids_source_seed (sq_ids_source_t *source)
{
    uint64_t *state = source->state;
    if (getrandom (state, sizeof source->state, 0) != (ssize_t) sizeof source->state) {
        //  No entropy source: mix the clock and the source's address, so
        //  sources still differ from each other.
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC, &now);
        uint64_t mix =
            (uint64_t) now.tv_nsec ^ ((uint64_t) now.tv_sec << 32) ^ (uint64_t) (uintptr_t) source;
        for (int i = 0; i < 4; i++) {
            mix += 0x9E3779B97F4A7C15ULL;
            uint64_t z = mix;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            state[i] = z ^ (z >> 31);
        }
    }
    if ((state[0] | state[1] | state[2] | state[3]) == 0)
        state[0] = 1;
}

uint64_t
sq_ids_random (void)
{
    return sq_ids_source_next (s_thread_source ());
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
    return sq_ids_edge_from (s_thread_source (), target_task, task_bits);
}

int
sq_ids_edge_task (uint64_t value, int task_bits)
{
    assert (task_bits >= 1 && task_bits <= 16);
    uint64_t upper = value & ~((1ULL << SQ_IDS_CHECK_BITS) - 1);
    if ((value ^ upper) != sq_ids_check (upper))
        return 0;
    return (int) ((value >> SQ_IDS_CHECK_BITS) & ((1ULL << task_bits) - 1));
}

uint64_t
sq_ids_root_from (sq_ids_source_t *source, int spout_task)
{
    assert (spout_task > 0 && spout_task <= SQ_IDS_MAX_TASK);
    uint64_t random_part;
    do
        random_part = sq_ids_source_next (source) >> 18;
    while (random_part == 0);
    return (random_part << 18) | ((uint64_t) spout_task << 2);
}

uint64_t
sq_ids_root (int spout_task)
{
    return sq_ids_root_from (s_thread_source (), spout_task);
}
