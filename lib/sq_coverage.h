/*  sq_coverage - write gcov's counters where a process would lose them

    Only a coverage build (./configure --enable-coverage, which defines
    SQ_COVERAGE) has counters; in any other build SQ_COVERAGE_FLUSH() is
    nothing at all. libgcov writes the counters at exit(), so a forked
    child that leaves with _exit(), or a daemon that may be killed while it
    shuts down, calls SQ_COVERAGE_FLUSH() first. It writes (merges into the
    .gcda files) and then zeroes the counters, so what runs afterwards is
    written at the next flush or at exit. A forked child starts with a
    copy of its parent's counters: it calls SQ_COVERAGE_FORKED() first, so
    that it writes only its own counts and nothing counts twice (GCC's
    fork wrapper, which would do that, is not used under -std=c11).
*/
#ifndef SQ_COVERAGE_H_INCLUDED
#define SQ_COVERAGE_H_INCLUDED

#ifdef SQ_COVERAGE
//  libgcov's own entry points (GCC 11 and later); no header declares them.
void __gcov_dump (void);
void __gcov_reset (void);
//  Write the counters now, then count again from zero.
#define SQ_COVERAGE_FLUSH() (__gcov_dump (), __gcov_reset ())
//  In a child just forked: drop the counts inherited from the parent.
#define SQ_COVERAGE_FORKED() __gcov_reset ()
#else
#define SQ_COVERAGE_FLUSH() ((void) 0)
#define SQ_COVERAGE_FORKED() ((void) 0)
#endif

#endif
