/*  test_random - a small seedable generator (SplitMix64) for unit tests
    that draw random cases and must be able to replay them from a seed.
    Each test program that includes this has its own generator state.
*/
#ifndef TEST_RANDOM_H_INCLUDED
#define TEST_RANDOM_H_INCLUDED

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t s_rng; //  generator state; set it to the seed

//  Next 64 random bits.
static inline uint64_t
s_random (void)
{
    uint64_t z = (s_rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

//  Uniform in [0, bound).
static inline size_t
s_below (size_t bound)
{
    return (size_t) (s_random () % bound);
}

//  The seed of a run: SQ_TEST_SEED when set, else fallback. Printed with
//  the program's name, so that a failing run can be replayed.
static inline uint64_t
test_random_seed (const char *program, uint64_t fallback)
{
    const char *given = getenv ("SQ_TEST_SEED");
    uint64_t seed = given ? strtoull (given, NULL, 0) : fallback;
    printf ("%s: SQ_TEST_SEED=0x%016" PRIx64 "\n", program, seed);
    return seed;
}

#endif
