/*  sq_pending_trees - a spout task's tracked trees in flight, by root id

    The slab: its first bucket_count entries are the heads of the buckets'
    circular lists, never trees; the others are trees (root non-zero) or
    free (root 0, chained through next). Position 0 is thus never a tree,
    and an index slot of 0 is empty.

    The index: a power-of-two array of slots, each (tag << 32 | position)
    where tag is the upper half of the root's multiplicative hash. A root's
    home slot comes from its tag alone, so probes and the backward shift
    of a removal compare tags and read the slab only on a tag match.
*/
#include "sq_pending_trees.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#define S_MIN_INDEX 16 //  smallest index (slots)
#define S_MIN_FREE 16  //  smallest room for trees in the slab

typedef struct {
    uint64_t root;        //  the tree's root id; 0 in a head or a free entry
    sq_pending_t pending; //  what is remembered of the tree
    uint32_t prev;        //  previous on the bucket's list
    uint32_t next;        //  next on the bucket's list, or on the free chain
} s_entry_t;

struct _sq_pending_trees_t {
    s_entry_t *entries;    //  entry_count entries: bucket heads, then trees and free ones
    size_t entry_count;    //  entries in the slab
    uint32_t free_first;   //  first free entry, 0 when none
    uint64_t *index;       //  index_capacity slots, 0 when empty
    size_t index_capacity; //  a power of two, at least twice size
    size_t size;           //  trees in flight
    uint32_t bucket_count; //  buckets, at least 2
    uint32_t newest;       //  head of the newest bucket
};

static uint32_t
s_tag (uint64_t root)
{
    return (uint32_t) ((root * 0x9E3779B97F4A7C15ULL) >> 32);
}

//  Home slot of a tag in an index of capacity slots.
static size_t
s_home (uint32_t tag, size_t capacity)
{
    return (size_t) (((uint64_t) tag * capacity) >> 32);
}

//  Put an index slot's value into the first free slot from its home.
static void
s_index_place (uint64_t *index, size_t capacity, uint64_t held)
{
    size_t slot = s_home ((uint32_t) (held >> 32), capacity);
    while (index[slot])
        slot = (slot + 1) & (capacity - 1);
    index[slot] = held;
}

//  Rebuild the index with capacity slots. Returns 0, or -1 (unchanged)
//  when out of memory.
static int
s_index_resize (sq_pending_trees_t *self, size_t capacity)
{
    uint64_t *index = calloc (capacity, sizeof (uint64_t));
    if (!index)
        return -1;
    for (size_t slot = 0; slot < self->index_capacity; slot++)
        if (self->index[slot])
            s_index_place (index, capacity, self->index[slot]);
    free (self->index);
    self->index = index;
    self->index_capacity = capacity;
    return 0;
}

//  The slot holding root, with *found true; else the empty slot that ends
//  its probe, with *found false.
static size_t
s_probe (const sq_pending_trees_t *self, uint64_t root, uint32_t tag, bool *found)
{
    size_t mask = self->index_capacity - 1;
    for (size_t slot = s_home (tag, self->index_capacity);; slot = (slot + 1) & mask) {
        uint64_t held = self->index[slot];
        if (!held ||
            ((uint32_t) (held >> 32) == tag && self->entries[(uint32_t) held].root == root)) {
            *found = held != 0;
            return slot;
        }
    }
}

//  The slab position of root's tree, its index slot in *slot_p; 0 when
//  root is not in flight.
static uint32_t
s_find (const sq_pending_trees_t *self, uint64_t root, size_t *slot_p)
{
    bool found;
    *slot_p = s_probe (self, root, s_tag (root), &found);
    return found ? (uint32_t) self->index[*slot_p] : 0;
}

//  Empty slot hole, shifting back the entries after it that may move
//  nearer their home: probes never meet a hole they should pass.
static void
s_index_remove (sq_pending_trees_t *self, size_t hole)
{
    size_t mask = self->index_capacity - 1;
    for (size_t slot = (hole + 1) & mask; self->index[slot]; slot = (slot + 1) & mask) {
        uint64_t held = self->index[slot];
        size_t home = s_home ((uint32_t) (held >> 32), self->index_capacity);
        if (((slot - home) & mask) >= ((slot - hole) & mask)) {
            self->index[hole] = held;
            hole = slot;
        }
    }
    self->index[hole] = 0;
}

//  Halve the index while it is less than an eighth full (best effort).
static void
s_index_shrink (sq_pending_trees_t *self)
{
    while (self->index_capacity > S_MIN_INDEX && self->size * 8 < self->index_capacity &&
           s_index_resize (self, self->index_capacity / 2) == 0)
        ;
}

//  Chain entries [from, to) as free, in order, ahead of the free chain.
static void
s_chain_free (sq_pending_trees_t *self, size_t from, size_t to)
{
    for (size_t position = from; position < to; position++)
        self->entries[position] =
            (s_entry_t){.next = position + 1 < to ? (uint32_t) (position + 1) : self->free_first};
    if (from < to)
        self->free_first = (uint32_t) from;
}

//  Make the list of head empty.
static void
s_head_empty (s_entry_t *entries, uint32_t head)
{
    entries[head] = (s_entry_t){.prev = head, .next = head};
}

//  A free entry's position, growing the slab when none is free; 0 when
//  out of memory.
static uint32_t
s_entry_new (sq_pending_trees_t *self)
{
    if (!self->free_first) {
        size_t count = self->entry_count * 2;
        s_entry_t *grown =
            count <= UINT32_MAX ? realloc (self->entries, count * sizeof (s_entry_t)) : NULL;
        if (!grown)
            return 0;
        self->entries = grown;
        s_chain_free (self, self->entry_count, count);
        self->entry_count = count;
    }
    uint32_t position = self->free_first;
    self->free_first = self->entries[position].next;
    return position;
}

static void
s_entry_free (sq_pending_trees_t *self, uint32_t position)
{
    self->entries[position] = (s_entry_t){.next = self->free_first};
    self->free_first = position;
}

//  Append the entry at position to the list of head.
static void
s_link (s_entry_t *entries, uint32_t head, uint32_t position)
{
    uint32_t last = entries[head].prev;
    entries[position].prev = last;
    entries[position].next = head;
    entries[last].next = position;
    entries[head].prev = position;
}

static void
s_unlink (s_entry_t *entries, uint32_t position)
{
    entries[entries[position].prev].next = entries[position].next;
    entries[entries[position].next].prev = entries[position].prev;
}

//  Move the trees into a slab sized for them when the slab is more than
//  four times that (best effort): a burst of trees in flight does not
//  hold its memory for good.
static void
s_compact (sq_pending_trees_t *self)
{
    size_t room = self->size * 2 > S_MIN_FREE ? self->size * 2 : S_MIN_FREE;
    size_t count = self->bucket_count + room;
    if (self->entry_count <= 4 * count)
        return;
    s_entry_t *entries = malloc (count * sizeof (s_entry_t));
    uint64_t *index = calloc (self->index_capacity, sizeof (uint64_t));
    if (!entries || !index) {
        free (entries);
        free (index);
        return;
    }
    uint32_t used = self->bucket_count;
    for (uint32_t head = 0; head < self->bucket_count; head++) {
        s_head_empty (entries, head);
        for (uint32_t old = self->entries[head].next; old != head; old = self->entries[old].next) {
            entries[used] = self->entries[old];
            s_link (entries, head, used);
            s_index_place (index, self->index_capacity,
                           (uint64_t) s_tag (entries[used].root) << 32 | used);
            used++;
        }
    }
    free (self->entries);
    free (self->index);
    self->entries = entries;
    self->index = index;
    self->entry_count = count;
    self->free_first = 0;
    s_chain_free (self, used, count);
}

sq_pending_trees_t *
sq_pending_trees_new (size_t buckets)
{
    assert (buckets >= 2 && buckets < S_MIN_FREE);
    sq_pending_trees_t *self = calloc (1, sizeof (sq_pending_trees_t));
    if (!self)
        return NULL;
    self->bucket_count = (uint32_t) buckets;
    self->entry_count = buckets + S_MIN_FREE;
    self->entries = malloc (self->entry_count * sizeof (s_entry_t));
    self->index_capacity = S_MIN_INDEX;
    self->index = calloc (self->index_capacity, sizeof (uint64_t));
    if (!self->entries || !self->index) {
        sq_pending_trees_destroy (&self);
        return NULL;
    }
    for (uint32_t head = 0; head < self->bucket_count; head++)
        s_head_empty (self->entries, head);
    s_chain_free (self, buckets, self->entry_count);
    return self;
}

void
sq_pending_trees_destroy (sq_pending_trees_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        sq_pending_trees_t *self = *self_p;
        free (self->entries);
        free (self->index);
        free (self);
        *self_p = NULL;
    }
}

int
sq_pending_trees_add (sq_pending_trees_t *self, uint64_t root, const sq_pending_t *pending)
{
    assert (self);
    assert (root);
    assert (pending);
    if ((self->size + 1) * 2 > self->index_capacity &&
        s_index_resize (self, self->index_capacity * 2))
        return -1;
    uint32_t tag = s_tag (root);
    bool found;
    size_t slot = s_probe (self, root, tag, &found);
    if (found)
        return 1;
    uint32_t position = s_entry_new (self);
    if (!position)
        return -1;
    self->entries[position].root = root;
    self->entries[position].pending = *pending;
    s_link (self->entries, self->newest, position);
    self->index[slot] = (uint64_t) tag << 32 | position;
    self->size++;
    return 0;
}

int
sq_pending_trees_take (sq_pending_trees_t *self, uint64_t root, sq_pending_t *pending)
{
    assert (self);
    assert (pending);
    size_t slot;
    uint32_t position = s_find (self, root, &slot);
    if (!position)
        return -1;
    *pending = self->entries[position].pending;
    s_index_remove (self, slot);
    s_unlink (self->entries, position);
    s_entry_free (self, position);
    self->size--;
    s_index_shrink (self);
    return 0;
}

int
sq_pending_trees_refresh (sq_pending_trees_t *self, uint64_t root)
{
    assert (self);
    size_t slot;
    uint32_t position = s_find (self, root, &slot);
    if (!position)
        return -1;
    s_unlink (self->entries, position);
    s_link (self->entries, self->newest, position);
    return 0;
}

size_t
sq_pending_trees_rotate (sq_pending_trees_t *self, sq_pending_trees_expired_fn *expired, void *arg)
{
    assert (self);
    uint32_t oldest = (self->newest + 1) % self->bucket_count;
    size_t count = 0;
    uint32_t position = self->entries[oldest].next;
    while (position != oldest) {
        s_entry_t *entry = &self->entries[position];
        uint32_t next = entry->next;
        if (expired)
            expired (entry->root, &entry->pending, arg);
        size_t slot;
        uint32_t found = s_find (self, entry->root, &slot);
        assert (found == position);
        (void) found;
        s_index_remove (self, slot);
        s_entry_free (self, position);
        count++;
        position = next;
    }
    s_head_empty (self->entries, oldest);
    self->newest = oldest;
    self->size -= count;
    s_index_shrink (self);
    s_compact (self);
    return count;
}

size_t
sq_pending_trees_size (const sq_pending_trees_t *self)
{
    assert (self);
    return self->size;
}
