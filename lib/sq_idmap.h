/*  sq_idmap - hash map from 64-bit ids to small fixed-size values

    Maps uint64_t keys to values of a fixed size (a multiple of 8 bytes,
    chosen at creation). Built for the acker's ledger and the spout's
    pending map: millions of small entries, no per-entry allocation.

    An entry is a run of 64-bit words in one flat array: word 0 is the
    stored key, the value follows it (sq_idmap_value). find and insert
    return a pointer to word 0. The map hashes and compares keys as
    (key & key_mask); bits outside the mask are flag bits that belong to
    the caller, who may read and change them in the stored key at will.
    A key whose masked part is 0 is never stored: a stored key of 0 marks
    an empty slot.

    DESIGN: open addressing with linear probing; a key's home slot is its
    64-bit mix mapped onto the capacity with a multiply-high ("fastrange"),
    so the capacity need not be a power of two. Before an insert would push
    the load above 3/4 the capacity grows by a third (to a load of 9/16);
    after a remove leaves it below 1/4 the map shrinks to a load of 1/2.
    After a growth more than half the entries must go before the map
    shrinks, after a shrink half as many again must come before it grows:
    a size that swings by up to twice does not resize in turn. The acker's
    pending trees swing like that each time a held-back spout resumes, and
    every resize lands on fresh pages (page faults, and the allocator's
    madvise with its TLB shootdowns): with a band of [1/2, 3/4] a 20 M-word
    acked run resized its ledger 115 times and took 22 k page faults
    (doc/runtime.md). Once past the smallest capacity (8 slots) the load
    thus stays within [1/4, 3/4] and an entry costs at most four times its
    slot. Removal shifts the following entries
    of the cluster back into the hole (no tombstones), so lookups never
    slow down with churn.

    Entry pointers stay valid until the next insert or remove on the same
    map (both may move entries). Not thread safe.
*/
#ifndef SQ_IDMAP_H_INCLUDED
#define SQ_IDMAP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sq_idmap_t sq_idmap_t;

//  Called for each entry by sq_idmap_foreach; entry points at the stored
//  key, the value follows. It may change the value and the flag bits but
//  must not insert into or remove from the map.
typedef void (sq_idmap_visit_fn) (uint64_t *entry, void *arg);

//  The value of an entry: the words right after its stored key.
static inline void *
sq_idmap_value (uint64_t *entry)
{
    return entry + 1;
}

//  New empty map of values of value_size bytes (a multiple of 8, may be 0)
//  keyed on key & key_mask (key_mask non-zero). Returns NULL when out of
//  memory. Caller owns.
sq_idmap_t *sq_idmap_new (size_t value_size, uint64_t key_mask);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_idmap_destroy (sq_idmap_t **self_p);
//  The entry whose masked key equals key & key_mask, or NULL. The flag
//  bits of key are ignored; a key with a masked part of 0 finds nothing.
uint64_t *sq_idmap_find (sq_idmap_t *self, uint64_t key);
//  Add a key (its masked part must be non-zero), stored as given, flag
//  bits included, with a zeroed value. Returns the new entry, or NULL when
//  the key is already present (the map is unchanged) or out of memory.
uint64_t *sq_idmap_insert (sq_idmap_t *self, uint64_t key);
//  Remove the entry of key. Returns 0, or -1 when the key is not present.
int sq_idmap_remove (sq_idmap_t *self, uint64_t key);
//  Remove an entry returned by find or insert (and not moved since).
void sq_idmap_remove_entry (sq_idmap_t *self, uint64_t *entry);
//  True when entry points at an entry slot of this map.
bool sq_idmap_holds (const sq_idmap_t *self, const uint64_t *entry);
//  Call visit for every entry, in no particular order.
void sq_idmap_foreach (sq_idmap_t *self, sq_idmap_visit_fn *visit, void *arg);
//  Remove every entry and release the slot array.
void sq_idmap_clear (sq_idmap_t *self);
//  Number of entries.
size_t sq_idmap_size (const sq_idmap_t *self);
//  Number of slots in the slot array (0 before the first insert).
size_t sq_idmap_capacity (const sq_idmap_t *self);
//  Heap bytes the map owns: its header and its slot array.
size_t sq_idmap_bytes (const sq_idmap_t *self);

#endif
