/*  sq_counter - a counter that one thread writes and any thread reads

    Executors, their metrics and the acker count per tuple into 64-bit
    counters that only their own thread writes and that other threads read
    (snapshots, heartbeats, the UI). With a single writer a relaxed load
    and a relaxed store are enough: on x86-64 and AArch64 they are plain
    moves, where an atomic read-modify-write would lock the cache line.
*/
#ifndef SQ_COUNTER_H_INCLUDED
#define SQ_COUNTER_H_INCLUDED

#include <stdatomic.h>
#include <stdint.h>

//  Add amount to counter; its one writing thread only.
static inline void
sq_counter_add (_Atomic uint64_t *counter, uint64_t amount)
{
    atomic_store_explicit (counter, atomic_load_explicit (counter, memory_order_relaxed) + amount,
                           memory_order_relaxed);
}

#endif
