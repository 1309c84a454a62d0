/*  sq_cache_line - the unit in which cores share memory

    Data that one thread writes all the time must not share a cache line
    with data other threads read or write: each access would wait for the
    line to move between cores. Executors, queues, tuple blocks and the
    clock keep such fields apart with this size. 64 bytes is the line of
    x86-64 cores and of most AArch64 ones.
*/
#ifndef SQ_CACHE_LINE_H_INCLUDED
#define SQ_CACHE_LINE_H_INCLUDED

#define SQ_CACHE_LINE 64 //  bytes of a cache line

#endif
