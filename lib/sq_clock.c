/*  sq_clock - a cheap monotonic nanosecond clock for per-tuple metrics */
#include "sq_clock.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CALIBRATION_NS 20000000LL //  time the counter is measured against
#define BRACKET_TRIES 16          //  reads of each end, the tightest kept

sq_clock_calibration_t sq_clock_calibration;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static int64_t
s_monotonic_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
}

//  True when /proc/cpuinfo says the counter runs at one rate always.
static bool
s_tsc_is_steady (void)
{
    FILE *file = fopen ("/proc/cpuinfo", "r");
    if (!file)
        return false;
    char line[4096];
    bool steady = false;
    while (!steady && fgets (line, sizeof line, file))
        if (strncmp (line, "flags", 5) == 0)
            steady = strstr (line, " constant_tsc") && strstr (line, " nonstop_tsc");
    fclose (file);
    return steady;
}

#if defined(__x86_64__)
//  One end of the calibration: a counter read with the monotonic time it
//  was taken at. Each try brackets the counter between two monotonic reads
//  and the tightest bracket wins, so a preemption (a busy machine,
//  valgrind) between the reads cannot skew the rate.
static void
s_read_pair (uint64_t *counter_p, int64_t *ns_p)
{
    int64_t tightest = INT64_MAX;
    for (int i = 0; i < BRACKET_TRIES; i++) {
        int64_t before = s_monotonic_ns ();
        uint64_t counter = __rdtsc ();
        int64_t after = s_monotonic_ns ();
        if (after - before < tightest) {
            tightest = after - before;
            *counter_p = counter;
            *ns_p = before + (after - before) / 2;
        }
    }
}
#endif

static void
s_calibrate (void)
{
#if defined(__x86_64__)
    if (!s_tsc_is_steady ())
        return;
    uint64_t start = 0, end = 0;
    int64_t start_ns = 0, end_ns = 0;
    s_read_pair (&start, &start_ns);
    struct timespec pause = {0, CALIBRATION_NS};
    while (nanosleep (&pause, &pause) != 0)
        ;
    s_read_pair (&end, &end_ns);
    if (end <= start || end_ns <= start_ns)
        return;
    sq_clock_calibration.mult =
        (uint64_t) (((unsigned __int128) (end_ns - start_ns) << 32) / (end - start));
    sq_clock_calibration.base = end;
    sq_clock_calibration.base_ns = end_ns;
    sq_clock_calibration.tsc = sq_clock_calibration.mult > 0;
#endif
}

void
sq_clock_init (void)
{
    pthread_once (&s_once, s_calibrate);
}

bool
sq_clock_uses_tsc (void)
{
    return sq_clock_calibration.tsc;
}
