/*  sq_clock - a cheap monotonic nanosecond clock for per-tuple metrics

    Executors time every execute; clock_gettime costs about 30 ns even
    through the vDSO, a tenth of the CPU a word costs in the word count.
    On x86-64 processors whose time-stamp counter runs at a constant rate
    in every power state (constant_tsc and nonstop_tsc in /proc/cpuinfo),
    sq_clock_ns reads the counter instead (about 12 ns) and scales it to
    nanoseconds with a factor measured once per process against
    CLOCK_MONOTONIC (sq_clock_init, which sleeps 20 ms the first time and
    keeps the tightest of 16 bracketed reads at each end).
    Elsewhere it is clock_gettime (CLOCK_MONOTONIC). sq_clock_deadline
    turns a wait in milliseconds into the absolute time a condition
    variable's timed wait takes.

    Its values are nanoseconds on a monotonic scale of their own, close
    to CLOCK_MONOTONIC but drifting from it by the calibration error (a
    few parts per million): subtract only sq_clock_ns values from each
    other. The counters of all cores are in step on such processors, so a
    thread that moves between cores still measures right; a difference
    that comes out negative anyway should be taken as 0.

    DESIGN: the calibration is the one process-wide state, written once
    under pthread_once before any executor runs and only read afterwards.
*/
#ifndef SQ_CLOCK_H_INCLUDED
#define SQ_CLOCK_H_INCLUDED

#include "sq_cache_line.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

//  The calibration; read through sq_clock_ns only. It fills a cache line
//  of its own, so that no counter another thread writes shares it: every
//  clock read would then miss.
typedef struct {
    _Alignas(SQ_CACHE_LINE) bool tsc; //  read the time-stamp counter
    uint64_t mult;                    //  nanoseconds per tick, times 2^32
    uint64_t base;                    //  counter value at calibration
    int64_t base_ns;                  //  CLOCK_MONOTONIC at calibration
} sq_clock_calibration_t;

extern sq_clock_calibration_t sq_clock_calibration;

//  Calibrate, the first time in a process; later calls return at once.
//  Call before the first sq_clock_ns (sq_runtime_new does).
void sq_clock_init (void);
//  Whether sq_clock_ns reads the time-stamp counter.
bool sq_clock_uses_tsc (void);

//  Monotonic nanoseconds (see above for what they may be compared with).
static inline int64_t
sq_clock_ns (void)
{
#if defined(__x86_64__)
    if (sq_clock_calibration.tsc) {
        unsigned __int128 ticks = (unsigned __int128) (__rdtsc () - sq_clock_calibration.base);
        return sq_clock_calibration.base_ns + (int64_t) ((ticks * sq_clock_calibration.mult) >> 32);
    }
#endif
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
}

//  The time ms milliseconds from now on clock, the absolute deadline
//  pthread_cond_timedwait takes (on CLOCK_REALTIME, unless the condition
//  was made with pthread_condattr_setclock).
static inline struct timespec
sq_clock_deadline (clockid_t clock, int64_t ms)
{
    struct timespec deadline;
    clock_gettime (clock, &deadline);
    deadline.tv_sec += (time_t) (ms / 1000);
    deadline.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

#endif
