/*  sq_idmap - hash map from 64-bit ids to small fixed-size values

    Slots are slot_words 64-bit words each: the stored key, then the value.
    Empty slots are all zero, key and value, so a new entry needs no
    clearing. There is always at least one empty slot, which ends every
    probe.
*/
#include "sq_idmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_MIN_CAPACITY 8 //  smallest slot array, allocated on first insert

struct _sq_idmap_t {
    uint64_t *slots;   //  capacity * slot_words words; NULL when capacity is 0
    size_t capacity;   //  number of slots
    size_t size;       //  number of entries
    size_t slot_words; //  words per slot: 1 for the key, then the value
    uint64_t key_mask; //  bits of a key that are hashed and compared
};

//  Finalizer of SplitMix64: every input bit affects every output bit.
static uint64_t
s_mix (uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

//  High 64 bits of hash * range: maps a uniform hash onto [0, range).
static size_t
s_fastrange (uint64_t hash, size_t range)
{
#ifdef __SIZEOF_INT128__
    return (size_t) (((unsigned __int128) hash * (uint64_t) range) >> 64);
#else
    uint64_t range64 = (uint64_t) range;
    uint64_t hash_lo = hash & 0xFFFFFFFFULL, hash_hi = hash >> 32;
    uint64_t range_lo = range64 & 0xFFFFFFFFULL, range_hi = range64 >> 32;
    uint64_t lo_lo = hash_lo * range_lo;
    uint64_t hi_lo = hash_hi * range_lo;
    uint64_t lo_hi = hash_lo * range_hi;
    uint64_t hi_hi = hash_hi * range_hi;
    uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFULL) + lo_hi;
    return (size_t) (hi_hi + (hi_lo >> 32) + (middle >> 32));
#endif
}

//  Home slot of a masked key in a table of capacity slots.
static size_t
s_home (uint64_t masked_key, size_t capacity)
{
    return s_fastrange (s_mix (masked_key), capacity);
}

static uint64_t *
s_slot (const sq_idmap_t *self, size_t index)
{
    return self->slots + index * self->slot_words;
}

//  Steps from slot from forward to slot to, wrapping around.
static size_t
s_distance (size_t from, size_t to, size_t capacity)
{
    return to >= from ? to - from : to + capacity - from;
}

//  Move every entry into a new zeroed array of capacity slots. Returns 0,
//  or -1 (map unchanged) when out of memory.
static int
s_resize (sq_idmap_t *self, size_t capacity)
{
    assert (capacity > self->size);
    size_t slot_bytes = self->slot_words * sizeof (uint64_t);
    if (capacity > SIZE_MAX / slot_bytes)
        return -1;
    uint64_t *slots = calloc (capacity, slot_bytes);
    if (!slots)
        return -1;
    for (size_t index = 0; index < self->capacity; index++) {
        uint64_t *entry = s_slot (self, index);
        if (entry[0] == 0)
            continue;
        size_t target = s_home (entry[0] & self->key_mask, capacity);
        while (slots[target * self->slot_words] != 0)
            if (++target == capacity)
                target = 0;
        memcpy (slots + target * self->slot_words, entry, slot_bytes);
    }
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

sq_idmap_t *
sq_idmap_new (size_t value_size, uint64_t key_mask)
{
    assert (value_size % sizeof (uint64_t) == 0);
    assert (key_mask != 0);
    sq_idmap_t *self = calloc (1, sizeof (sq_idmap_t));
    if (!self)
        return NULL;
    self->slot_words = 1 + value_size / sizeof (uint64_t);
    self->key_mask = key_mask;
    return self;
}

void
sq_idmap_destroy (sq_idmap_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->slots);
        free (*self_p);
        *self_p = NULL;
    }
}

uint64_t *
sq_idmap_find (sq_idmap_t *self, uint64_t key)
{
    assert (self);
    uint64_t masked = key & self->key_mask;
    if (self->size == 0 || masked == 0)
        return NULL;
    size_t index = s_home (masked, self->capacity);
    while (true) {
        uint64_t *entry = s_slot (self, index);
        if (entry[0] == 0)
            return NULL;
        if ((entry[0] & self->key_mask) == masked)
            return entry;
        if (++index == self->capacity)
            index = 0;
    }
}

uint64_t *
sq_idmap_insert (sq_idmap_t *self, uint64_t key)
{
    assert (self);
    uint64_t masked = key & self->key_mask;
    assert (masked != 0);
    if ((self->size + 1) * 4 > self->capacity * 3) {
        //  By a third: the load lands at 9/16, and more than half the
        //  entries must go before the shrink below 1/4.
        size_t capacity = self->capacity ? self->capacity + self->capacity / 3 : S_MIN_CAPACITY;
        //  When the array cannot grow, fill it fuller as long as one slot
        //  stays empty to end probes.
        if (s_resize (self, capacity) != 0 && self->size + 2 > self->capacity)
            return NULL;
    }
    size_t index = s_home (masked, self->capacity);
    while (true) {
        uint64_t *entry = s_slot (self, index);
        if (entry[0] == 0) {
            entry[0] = key;
            self->size++;
            return entry;
        }
        if ((entry[0] & self->key_mask) == masked)
            return NULL; //  already present
        if (++index == self->capacity)
            index = 0;
    }
}

void
sq_idmap_remove_entry (sq_idmap_t *self, uint64_t *entry)
{
    assert (self);
    assert (sq_idmap_holds (self, entry));
    assert (entry[0] != 0);
    size_t hole = (size_t) (entry - self->slots) / self->slot_words;
    size_t slot_bytes = self->slot_words * sizeof (uint64_t);
    //  Walk the rest of the cluster; an entry whose probe path crosses the
    //  hole moves back into it, and the hole moves to where it was.
    size_t index = hole;
    while (true) {
        if (++index == self->capacity)
            index = 0;
        uint64_t *next = s_slot (self, index);
        if (next[0] == 0)
            break;
        size_t home = s_home (next[0] & self->key_mask, self->capacity);
        if (s_distance (home, index, self->capacity) >= s_distance (hole, index, self->capacity)) {
            memcpy (s_slot (self, hole), next, slot_bytes);
            hole = index;
        }
    }
    memset (s_slot (self, hole), 0, slot_bytes);
    self->size--;

    if (self->capacity > S_MIN_CAPACITY && self->size * 4 < self->capacity) {
        //  Back to a load of 1/2: half as many entries again before the
        //  next growth. A failed shrink costs only memory.
        size_t capacity = self->size * 2;
        if (capacity < S_MIN_CAPACITY)
            capacity = S_MIN_CAPACITY;
        if (capacity < self->capacity)
            s_resize (self, capacity);
    }
}

int
sq_idmap_remove (sq_idmap_t *self, uint64_t key)
{
    uint64_t *entry = sq_idmap_find (self, key);
    if (!entry)
        return -1;
    sq_idmap_remove_entry (self, entry);
    return 0;
}

bool
sq_idmap_holds (const sq_idmap_t *self, const uint64_t *entry)
{
    assert (self);
    if (!self->slots || !entry)
        return false;
    uintptr_t first = (uintptr_t) self->slots;
    uintptr_t address = (uintptr_t) entry;
    size_t slot_bytes = self->slot_words * sizeof (uint64_t);
    return address >= first && address < first + self->capacity * slot_bytes &&
           (address - first) % slot_bytes == 0;
}

void
sq_idmap_foreach (sq_idmap_t *self, sq_idmap_visit_fn *visit, void *arg)
{
    assert (self);
    assert (visit);
    for (size_t index = 0; index < self->capacity; index++) {
        uint64_t *entry = s_slot (self, index);
        if (entry[0] != 0)
            visit (entry, arg);
    }
}

void
sq_idmap_clear (sq_idmap_t *self)
{
    assert (self);
    free (self->slots);
    self->slots = NULL;
    self->capacity = 0;
    self->size = 0;
}

size_t
sq_idmap_size (const sq_idmap_t *self)
{
    assert (self);
    return self->size;
}

size_t
sq_idmap_capacity (const sq_idmap_t *self)
{
    assert (self);
    return self->capacity;
}

size_t
sq_idmap_bytes (const sq_idmap_t *self)
{
    assert (self);
    return sizeof (sq_idmap_t) + self->capacity * self->slot_words * sizeof (uint64_t);
}
