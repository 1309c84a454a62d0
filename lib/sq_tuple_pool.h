/*  sq_tuple_pool - recycled memory blocks for tuples

    A tuple is usually made by one executor thread and freed by another
    (split makes a word, count frees it). Through malloc, every such free
    is a free of another thread's memory: the most expensive path of any
    allocator, and one that moves cache lines between the two threads one
    tuple at a time. The pool recycles tuple blocks of a few fixed sizes
    instead, in batches.

    DESIGN: a magazine allocator. Each thread keeps a small cache of free
    blocks per size class; taking and giving back a block touch only that
    cache. A cache that runs full hands a magazine (a batch of blocks) to
    the process-wide depot; a cache that runs empty takes a magazine from
    it. The depot's lock is taken once per magazine, not per tuple, and a
    block travels between threads in a batch with many others. Memory is
    bounded: the depot keeps at most 512 magazines of 32 blocks per size
    class (128, 256 and 512 bytes: 14 MiB in all, reached only after that
    many tuples were alive at once) and frees what comes beyond; a
    thread's cache (64 blocks per class) goes to the depot, or is freed,
    when the thread ends. Larger blocks come from malloc and go to free.

    Address sanitizer builds use malloc for every block, so that a use
    after free of a tuple is still caught.
*/
#ifndef SQ_TUPLE_POOL_H_INCLUDED
#define SQ_TUPLE_POOL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Defined in address sanitizer builds, which take every block from malloc.
#if defined(__SANITIZE_ADDRESS__)
#define SQ_TUPLE_POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SQ_TUPLE_POOL_OFF 1
#endif
#endif

//  A block of at least size bytes, aligned for any type; NULL when out of
//  memory. *size_class gets the class to give it back with (0: it came
//  from malloc). Any thread may call.
void *sq_tuple_pool_take (size_t size, uint8_t *size_class);
//  Give back a block taken with sq_tuple_pool_take, with the class it
//  gave; any thread may give back any thread's blocks. NULL-safe.
void sq_tuple_pool_give (void *block, uint8_t size_class);
//  Blocks the depot holds now (all classes), for tests.
size_t sq_tuple_pool_depot_blocks (void);

#endif
