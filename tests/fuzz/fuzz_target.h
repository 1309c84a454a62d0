/*  fuzz_target - what every fuzz target shares with the corpus replay

    A target checks properties of what it decoded with FUZZ_REQUIRE: a
    failure names itself on stderr and aborts, which libFuzzer reports as
    a crash and the replay (fuzz_replay.c) as a failed input.

    A target also says what it made of each input: fuzz_accepted ("batch")
    once for every way the input decoded, in a fixed order. The verdict is
    those names joined by '+', or "bad" when nothing accepted the input.
    The replay requires every corpus file to be named "<verdict>-<what it
    is>" and fails the file when the target's verdict differs, so a
    decoder that starts to accept or refuse everything is caught, not only
    one that crashes. libFuzzer ignores the verdict.

    fuzz_verdict is per-process state, written by the target and read by
    the replay after each input; each target defines it (one target per
    program).
*/
#ifndef FUZZ_TARGET_H_INCLUDED
#define FUZZ_TARGET_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_VERDICT_SIZE 256 //  room for the joined names

extern char fuzz_verdict[FUZZ_VERDICT_SIZE]; //  what the last input decoded as

//  libFuzzer's entry point, which every target defines.
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Aborts with the failed property's text (and where) on stderr.
#define FUZZ_REQUIRE(condition, what)                                                              \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf (stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, (what));          \
            abort ();                                                                              \
        }                                                                                          \
    } while (0)

//  Starts the verdict of a new input: nothing accepted it yet.
static inline void
fuzz_verdict_reset (void)
{
    fuzz_verdict[0] = 0;
}

//  Notes that the input decoded as kind.
static inline void
fuzz_accepted (const char *kind)
{
    size_t used = strlen (fuzz_verdict);
    snprintf (fuzz_verdict + used, FUZZ_VERDICT_SIZE - used, "%s%s", used ? "+" : "", kind);
}

#endif
