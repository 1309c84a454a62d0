/*  sq_queue - bounded multi-producer, single-consumer queue of messages */
#include "sq_queue.h"

#include "sq_cache_line.h"
#include "sq_clock.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _sq_queue_t {
    pthread_mutex_t lock;     //  guards everything below
    pthread_cond_t not_empty; //  signalled when messages arrive
    pthread_cond_t not_full;  //  signalled when room appears
    sq_message_t *ring;       //  capacity slots
    size_t capacity;          //  size of ring
    size_t head;              //  index of the oldest message
    size_t depth;             //  messages in the ring
    atomic_size_t filled;     //  depth, stored after each change: read without the lock
    size_t max_depth;         //  most messages ever in the ring
    int waiting_consumers;    //  threads waiting in pop
    int waiting_producers;    //  threads waiting in push
    bool closed;              //  set by sq_queue_close
};

sq_queue_t *
sq_queue_new (size_t capacity)
{
    assert (capacity > 0);
    //  On cache lines of its own: producers and the consumer take this
    //  queue's lock all the time, and must not contend with the threads
    //  of a neighbouring allocation (another executor's queue) for a line.
    size_t size = (sizeof (sq_queue_t) + SQ_CACHE_LINE - 1) / SQ_CACHE_LINE * SQ_CACHE_LINE;
    sq_queue_t *self = aligned_alloc (SQ_CACHE_LINE, size);
    if (!self)
        return NULL;
    memset (self, 0, size);
    self->ring = calloc (capacity, sizeof (sq_message_t));
    if (!self->ring) {
        free (self);
        return NULL;
    }
    self->capacity = capacity;
    atomic_init (&self->filled, 0);
    pthread_mutex_init (&self->lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init (&attributes);
    pthread_condattr_setclock (&attributes, CLOCK_MONOTONIC);
    pthread_cond_init (&self->not_empty, &attributes);
    pthread_cond_init (&self->not_full, &attributes);
    pthread_condattr_destroy (&attributes);
    return self;
}

void
sq_queue_destroy (sq_queue_t **self_p)
{
    if (self_p && *self_p) {
        sq_queue_t *self = *self_p;
        for (size_t i = 0; i < self->depth; i++)
            sq_tuple_destroy (&self->ring[(self->head + i) % self->capacity].tuple);
        pthread_cond_destroy (&self->not_empty);
        pthread_cond_destroy (&self->not_full);
        pthread_mutex_destroy (&self->lock);
        free (self->ring);
        free (self);
        *self_p = NULL;
    }
}

//  Copy up to count messages into the ring; returns how many fit.
static size_t
s_append (sq_queue_t *self, const sq_message_t *messages, size_t count)
{
    size_t room = self->capacity - self->depth;
    size_t taken = count < room ? count : room;
    size_t tail = (self->head + self->depth) % self->capacity;
    size_t first = self->capacity - tail < taken ? self->capacity - tail : taken;
    memcpy (self->ring + tail, messages, first * sizeof (sq_message_t));
    memcpy (self->ring, messages + first, (taken - first) * sizeof (sq_message_t));
    self->depth += taken;
    atomic_store_explicit (&self->filled, self->depth, memory_order_relaxed);
    if (self->depth > self->max_depth)
        self->max_depth = self->depth;
    return taken;
}

size_t
sq_queue_push (sq_queue_t *self, const sq_message_t *messages, size_t count, bool wait)
{
    size_t pushed = 0;
    bool wake_consumer = false;
    pthread_mutex_lock (&self->lock);
    while (!self->closed) {
        size_t taken = s_append (self, messages + pushed, count - pushed);
        pushed += taken;
        wake_consumer = taken && self->waiting_consumers;
        if (pushed == count || !wait)
            break;
        //  Full: the consumer must run to make room before this waits.
        if (wake_consumer)
            pthread_cond_signal (&self->not_empty);
        wake_consumer = false;
        self->waiting_producers++;
        pthread_cond_wait (&self->not_full, &self->lock);
        self->waiting_producers--;
    }
    pthread_mutex_unlock (&self->lock);
    //  Signalled after the unlock: woken while the lock is still held, the
    //  consumer would only block on it again (one more switch per wake).
    //  The queue outlives its producers (sq_runtime.c joins them first).
    if (wake_consumer)
        pthread_cond_signal (&self->not_empty);
    return pushed;
}

size_t
sq_queue_pop (sq_queue_t *self, sq_message_t *out, size_t max, int timeout_ms)
{
    //  A look that finds nothing takes no lock: a consumer that polls
    //  while it works does not make its producers wait for the lock, nor
    //  move its cache line, for nothing. A push it misses is seen next time.
    if (timeout_ms == 0 && atomic_load_explicit (&self->filled, memory_order_relaxed) == 0)
        return 0;
    pthread_mutex_lock (&self->lock);
    if (self->depth == 0 && timeout_ms < 0 && !self->closed) {
        //  Parked until a producer or sq_queue_close wakes it.
        self->waiting_consumers++;
        while (self->depth == 0 && !self->closed)
            pthread_cond_wait (&self->not_empty, &self->lock);
        self->waiting_consumers--;
    } else if (self->depth == 0 && timeout_ms > 0 && !self->closed) {
        struct timespec deadline = sq_clock_deadline (CLOCK_MONOTONIC, timeout_ms);
        self->waiting_consumers++;
        while (self->depth == 0 && !self->closed)
            if (pthread_cond_timedwait (&self->not_empty, &self->lock, &deadline) == ETIMEDOUT)
                break;
        self->waiting_consumers--;
    }
    size_t taken = self->depth < max ? self->depth : max;
    size_t first = self->capacity - self->head < taken ? self->capacity - self->head : taken;
    memcpy (out, self->ring + self->head, first * sizeof (sq_message_t));
    memcpy (out + first, self->ring, (taken - first) * sizeof (sq_message_t));
    self->head = (self->head + taken) % self->capacity;
    self->depth -= taken;
    atomic_store_explicit (&self->filled, self->depth, memory_order_relaxed);
    //  Wake waiting producers only once a good share of the queue is free,
    //  so that they move a lot at once instead of a little at a time.
    bool wake_producers = taken && self->waiting_producers && self->depth <= self->capacity / 2;
    pthread_mutex_unlock (&self->lock);
    if (wake_producers)
        pthread_cond_broadcast (&self->not_full);
    return taken;
}

void
sq_queue_close (sq_queue_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->closed = true;
    pthread_cond_broadcast (&self->not_empty);
    pthread_cond_broadcast (&self->not_full);
    pthread_mutex_unlock (&self->lock);
}

size_t
sq_queue_depth (sq_queue_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t depth = self->depth;
    pthread_mutex_unlock (&self->lock);
    return depth;
}

size_t
sq_queue_max_depth (sq_queue_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t max_depth = self->max_depth;
    pthread_mutex_unlock (&self->lock);
    return max_depth;
}
