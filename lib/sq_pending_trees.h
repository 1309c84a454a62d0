/*  sq_pending_trees - a spout task's tracked trees in flight, by root id

    Every tracked tuple a spout task emits is pending until the acker
    reports its tree done or failed, or until it times out. The set holds
    what the spout needs then (its message id, when it was emitted, its
    stream), found by the tree's root id, and ages its entries in whole
    buckets as Storm's RotatingMap does: each rotate() times out the
    entries of the oldest bucket and starts an empty newest one. With N
    buckets, rotating every T / (N - 1) seconds times an entry out when its
    age is more than T and at most T * N / (N - 1) seconds.

    DESIGN: one entry per tree in a slab that never moves an entry while it
    lives, each entry on the doubly linked list of its bucket, and one
    open-addressing index from root id to slab position. A find, an add
    (which also refuses a root still in flight) and a removal each probe
    one index kept at most half full, instead of one hash table per bucket;
    a rotation walks only the entries it times out. This is the spout's
    hottest bookkeeping: each tracked tuple is added once and taken once.
    Not thread safe.
*/
#ifndef SQ_PENDING_TREES_H_INCLUDED
#define SQ_PENDING_TREES_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  What the spout executor remembers of a tracked tuple in flight.
typedef struct {
    uint64_t msg_id;  //  the spout's message id
    int64_t start_ns; //  monotonic time of the emit
    uint32_t stream;  //  number of the stream it was emitted on (metrics)
} sq_pending_t;

typedef struct _sq_pending_trees_t sq_pending_trees_t;

//  Called by rotate for each tree it times out; must not touch the set.
typedef void (sq_pending_trees_expired_fn) (uint64_t root, const sq_pending_t *pending, void *arg);

//  New empty set that ages entries over `buckets` (at least 2) buckets.
//  Returns NULL when out of memory. Caller owns.
sq_pending_trees_t *sq_pending_trees_new (size_t buckets);
//  Destroy without calling any callback; NULL-safe; nulls the caller's
//  pointer.
void sq_pending_trees_destroy (sq_pending_trees_t **self_p);
//  Add the tree of root (non-zero) to the newest bucket. Returns 0; 1 when
//  root is in flight already (nothing changes); -1 when out of memory.
int sq_pending_trees_add (sq_pending_trees_t *self, uint64_t root, const sq_pending_t *pending);
//  Remove the tree of root, copying what was remembered of it into
//  *pending. Returns 0, or -1 when root is not in flight.
int sq_pending_trees_take (sq_pending_trees_t *self, uint64_t root, sq_pending_t *pending);
//  Move the tree of root into the newest bucket, so that its age counts
//  again from now (Storm's reset of a tuple's timeout). Returns 0, or -1
//  when root is not in flight.
int sq_pending_trees_refresh (sq_pending_trees_t *self, uint64_t root);
//  Time out every tree of the oldest bucket, calling expired (if not NULL)
//  for each, and make that bucket the newest, empty. Returns the number of
//  trees timed out.
size_t sq_pending_trees_rotate (sq_pending_trees_t *self, sq_pending_trees_expired_fn *expired,
                                void *arg);
//  Number of trees in flight.
size_t sq_pending_trees_size (const sq_pending_trees_t *self);

#endif
