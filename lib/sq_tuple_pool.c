/*  sq_tuple_pool - recycled memory blocks for tuples (see the header) */
#include "sq_tuple_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SQ_TUPLE_POOL_CLASSES 3   //  size classes
#define SQ_TUPLE_POOL_MAGAZINE 32 //  blocks moved to or from the depot at once
#define SQ_TUPLE_POOL_CACHE (2 * SQ_TUPLE_POOL_MAGAZINE) //  most blocks a thread keeps per class
#define SQ_TUPLE_POOL_DEPOT_MAX 512 //  most magazines the depot keeps per class

//  Bytes of the blocks of class c + 1.
static const size_t s_class_size[SQ_TUPLE_POOL_CLASSES] = {128, 256, 512};

//  One thread's free blocks of one class.
typedef struct {
    size_t count;                      //  blocks held
    size_t skip;                       //  takes left that go to malloc without asking the depot
    void *blocks[SQ_TUPLE_POOL_CACHE]; //  the blocks, the most recently freed last
} s_cache_t;

//  What one thread keeps; its address is taken once per call, as every
//  reach into thread-local storage of a library is a function call.
typedef struct {
    s_cache_t caches[SQ_TUPLE_POOL_CLASSES]; //  free blocks, by class
    bool exit_armed;                         //  the caches are emptied at the thread's exit
} s_thread_t;

static _Thread_local s_thread_t s_thread;

//  The caller's s_thread. Out of line, so that one call finds it: the
//  compiler would repeat the lookup for each use of s_thread otherwise.
__attribute__ ((noinline)) static s_thread_t *
s_thread_self (void)
{
    return &s_thread;
}

//  The depot of one class: full magazines, shared by all threads.
typedef struct {
    pthread_mutex_t lock; //  guards the two fields below
    size_t count;         //  magazines held
    void *magazines[SQ_TUPLE_POOL_DEPOT_MAX][SQ_TUPLE_POOL_MAGAZINE]; //  their blocks
} s_depot_t;

static s_depot_t s_depots[SQ_TUPLE_POOL_CLASSES] = {
    {.lock = PTHREAD_MUTEX_INITIALIZER},
    {.lock = PTHREAD_MUTEX_INITIALIZER},
    {.lock = PTHREAD_MUTEX_INITIALIZER},
};

static pthread_key_t s_exit_key; //  its destructor empties a thread's caches
static pthread_once_t s_exit_once = PTHREAD_ONCE_INIT;
static bool s_exit_key_made; //  pthread_key_create succeeded

//  Hand the last magazine's worth of blocks of cache to the depot, or
//  free them when the depot is full.
static void
s_spill (s_cache_t *cache, s_depot_t *depot)
{
    void **blocks = cache->blocks + cache->count - SQ_TUPLE_POOL_MAGAZINE;
    cache->count -= SQ_TUPLE_POOL_MAGAZINE;
    pthread_mutex_lock (&depot->lock);
    bool kept = depot->count < SQ_TUPLE_POOL_DEPOT_MAX;
    if (kept)
        memcpy (depot->magazines[depot->count++], blocks, sizeof depot->magazines[0]);
    pthread_mutex_unlock (&depot->lock);
    if (!kept)
        for (size_t i = 0; i < SQ_TUPLE_POOL_MAGAZINE; i++)
            free (blocks[i]);
}

//  Thread exit: full magazines go to the depot, the rest is freed.
static void
s_thread_exit (void *unused)
{
    (void) unused;
    //  A later destructor that frees tuples arms the exit again, and this
    //  runs once more.
    s_thread_t *thread = s_thread_self ();
    thread->exit_armed = false;
    for (size_t c = 0; c < SQ_TUPLE_POOL_CLASSES; c++) {
        s_cache_t *cache = &thread->caches[c];
        while (cache->count >= SQ_TUPLE_POOL_MAGAZINE)
            s_spill (cache, &s_depots[c]);
        while (cache->count)
            free (cache->blocks[--cache->count]);
    }
}

static void
s_make_exit_key (void)
{
    s_exit_key_made = pthread_key_create (&s_exit_key, s_thread_exit) == 0;
}

void *
sq_tuple_pool_take (size_t size, uint8_t *size_class)
{
    size_t c = 0;
#ifndef SQ_TUPLE_POOL_OFF
    while (c < SQ_TUPLE_POOL_CLASSES && size > s_class_size[c])
        c++;
#else
    c = SQ_TUPLE_POOL_CLASSES;
#endif
    if (c == SQ_TUPLE_POOL_CLASSES) {
        *size_class = 0;
        return malloc (size);
    }
    *size_class = (uint8_t) (c + 1);
    s_cache_t *cache = &s_thread_self ()->caches[c];
    if (cache->count == 0) {
        //  An empty depot is asked again only a magazine's worth of
        //  takes later: its lock is taken once per magazine, hit or miss.
        if (cache->skip) {
            cache->skip--;
            return malloc (s_class_size[c]);
        }
        s_depot_t *depot = &s_depots[c];
        pthread_mutex_lock (&depot->lock);
        if (depot->count) {
            memcpy (cache->blocks, depot->magazines[--depot->count], sizeof depot->magazines[0]);
            cache->count = SQ_TUPLE_POOL_MAGAZINE;
        }
        pthread_mutex_unlock (&depot->lock);
        if (cache->count == 0) {
            cache->skip = SQ_TUPLE_POOL_MAGAZINE - 1;
            return malloc (s_class_size[c]);
        }
    }
    return cache->blocks[--cache->count];
}

//  Arm the exit of thread (the caller), which empties its caches; false
//  when that cannot be done (blocks go straight back to free then).
static bool
s_arm_exit (s_thread_t *thread)
{
    if (!thread->exit_armed) {
        pthread_once (&s_exit_once, s_make_exit_key);
        thread->exit_armed = s_exit_key_made && pthread_setspecific (s_exit_key, thread) == 0;
    }
    return thread->exit_armed;
}

void
sq_tuple_pool_give (void *block, uint8_t size_class)
{
    if (!block)
        return;
    s_thread_t *thread = s_thread_self ();
    if (size_class == 0 || size_class > SQ_TUPLE_POOL_CLASSES || !s_arm_exit (thread)) {
        free (block);
        return;
    }
    s_cache_t *cache = &thread->caches[size_class - 1];
    if (cache->count == SQ_TUPLE_POOL_CACHE)
        s_spill (cache, &s_depots[size_class - 1]);
    cache->blocks[cache->count++] = block;
}

size_t
sq_tuple_pool_depot_blocks (void)
{
    size_t blocks = 0;
    for (size_t c = 0; c < SQ_TUPLE_POOL_CLASSES; c++) {
        pthread_mutex_lock (&s_depots[c].lock);
        blocks += s_depots[c].count * SQ_TUPLE_POOL_MAGAZINE;
        pthread_mutex_unlock (&s_depots[c].lock);
    }
    return blocks;
}
