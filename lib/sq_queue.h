/*  sq_queue - bounded multi-producer, single-consumer queue of messages

    Each executor reads its input from one queue. Producers push whole
    batches under one lock, so the lock is taken once per batch, not per
    tuple. The queue holds at most `capacity` messages: a producer that
    finds it full either waits (bolts and ackers: backpressure) or takes
    back what did not fit (spouts, which must never block).

    DESIGN: a ring buffer guarded by a mutex with two condition variables.
    Waiters are counted so that a push or pop signals only when somebody
    sleeps: a busy consumer costs its producers no system call, and an idle
    one sleeps in the kernel until the first push. Closing wakes everyone:
    pushes stop waiting and pops stop blocking, which is how executors shut
    down.
*/
#ifndef SQ_QUEUE_H_INCLUDED
#define SQ_QUEUE_H_INCLUDED

#include "sq_message.h"

typedef struct _sq_queue_t sq_queue_t;

//  New empty queue holding at most capacity messages. Caller owns.
sq_queue_t *sq_queue_new (size_t capacity);
//  Destroy; frees the tuples of messages still queued; NULL-safe.
void sq_queue_destroy (sq_queue_t **self_p);
//  Append messages in order. With wait, blocks while the queue is full
//  until all fit or the queue is closed; without, pushes what fits now.
//  Returns how many were pushed (the caller keeps the rest).
size_t sq_queue_push (sq_queue_t *self, const sq_message_t *messages, size_t count, bool wait);
//  Move up to max messages into out; when the queue is empty, waits up to
//  timeout_ms (0: do not wait, nor take the lock when the queue looks
//  empty; negative: until a push or sq_queue_close). Returns how many
//  were moved.
size_t sq_queue_pop (sq_queue_t *self, sq_message_t *out, size_t max, int timeout_ms);
//  Wake every waiter and make pushes and pops stop waiting.
void sq_queue_close (sq_queue_t *self);
//  Messages waiting now, and the most that ever waited.
size_t sq_queue_depth (sq_queue_t *self);
size_t sq_queue_max_depth (sq_queue_t *self);

#endif
