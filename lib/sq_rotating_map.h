/*  sq_rotating_map - id map whose entries expire in whole buckets

    A rotating map is a row of sq_idmap buckets, newest first. New keys go
    into the newest bucket; find and remove look in every bucket. Each
    rotate() drops the oldest bucket, reporting its entries to an expiry
    callback, and puts an empty bucket in front. With N buckets, an entry
    still present is dropped by the N-th rotation after its insert.
    Rotating every T / (N - 1) seconds thus expires an entry when its age
    is more than T and at most T * N / (N - 1) seconds, and costs nothing
    per entry until then: live entries are never scanned.

    DESIGN: the idea of Storm's RotatingMap and Heron's rotating map, over
    sq_idmap buckets. An entry stays in the bucket it was inserted into, so
    its age counts from its insert, not from its last use. Entries, their
    key mask, flag bits and value layout are as in sq_idmap.h. Not thread
    safe.
*/
#ifndef SQ_ROTATING_MAP_H_INCLUDED
#define SQ_ROTATING_MAP_H_INCLUDED

#include "sq_idmap.h"

typedef struct _sq_rotating_map_t sq_rotating_map_t;

//  New rotating map of `buckets` (at least 2) empty buckets, with values of
//  value_size bytes keyed on key & key_mask, as for sq_idmap_new. Returns
//  NULL when out of memory. Caller owns.
sq_rotating_map_t *sq_rotating_map_new (size_t buckets, size_t value_size, uint64_t key_mask);
//  Destroy without calling any callback; NULL-safe; nulls the caller's
//  pointer.
void sq_rotating_map_destroy (sq_rotating_map_t **self_p);
//  The entry of key in any bucket, or NULL.
uint64_t *sq_rotating_map_find (sq_rotating_map_t *self, uint64_t key);
//  Add a key to the newest bucket, value zeroed. Returns the new entry, or
//  NULL when out of memory or when the newest bucket has the key. Only the
//  newest bucket is checked: a key still held by an older bucket gets a
//  second entry, which find returns first, until removed.
uint64_t *sq_rotating_map_insert (sq_rotating_map_t *self, uint64_t key);
//  Move the entry of key into the newest bucket, so that its age counts
//  again from now (Storm's RotatingMap.put of a key it holds). Returns the
//  entry, value and flag bits unchanged, or NULL when the key is not
//  present (nothing is added). Out of memory, the entry stays where it was
//  and that entry is returned. Entry pointers into the map may move.
uint64_t *sq_rotating_map_refresh (sq_rotating_map_t *self, uint64_t key);
//  Remove the entry of key from whichever bucket holds it. Returns 0, or -1
//  when the key is not present.
int sq_rotating_map_remove (sq_rotating_map_t *self, uint64_t key);
//  Remove an entry returned by find or insert (and not moved since).
void sq_rotating_map_remove_entry (sq_rotating_map_t *self, uint64_t *entry);
//  Drop the oldest bucket and put an empty one in front. Calls expired (if
//  not NULL) for each entry of the dropped bucket first; it must not touch
//  the map. Returns the number of entries dropped.
size_t sq_rotating_map_rotate (sq_rotating_map_t *self, sq_idmap_visit_fn *expired, void *arg);
//  Call visit for every entry of every bucket, newest bucket first.
void sq_rotating_map_foreach (sq_rotating_map_t *self, sq_idmap_visit_fn *visit, void *arg);
//  Number of buckets.
size_t sq_rotating_map_buckets (const sq_rotating_map_t *self);
//  Number of entries, over all buckets.
size_t sq_rotating_map_size (const sq_rotating_map_t *self);
//  Heap bytes owned, over all buckets.
size_t sq_rotating_map_bytes (const sq_rotating_map_t *self);

#endif
