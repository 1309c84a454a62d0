/*  sq_rotating_map - id map whose entries expire in whole buckets

    The buckets live in an array, newest at index 0. Rotation clears the
    oldest bucket, which releases its slot array, and moves it to the
    front, so a rotation allocates nothing.
*/
#include "sq_rotating_map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _sq_rotating_map_t {
    sq_idmap_t **buckets; //  bucket_count buckets, newest first
    size_t bucket_count;  //  number of buckets, at least 2
    size_t value_size;    //  bytes of value after each key
};

sq_rotating_map_t *
sq_rotating_map_new (size_t buckets, size_t value_size, uint64_t key_mask)
{
    assert (buckets >= 2);
    sq_rotating_map_t *self = calloc (1, sizeof (sq_rotating_map_t));
    if (!self)
        return NULL;
    self->buckets = calloc (buckets, sizeof (sq_idmap_t *));
    if (!self->buckets) {
        free (self);
        return NULL;
    }
    self->bucket_count = buckets;
    self->value_size = value_size;
    for (size_t index = 0; index < buckets; index++) {
        self->buckets[index] = sq_idmap_new (value_size, key_mask);
        if (!self->buckets[index]) {
            sq_rotating_map_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
sq_rotating_map_destroy (sq_rotating_map_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        sq_rotating_map_t *self = *self_p;
        for (size_t index = 0; index < self->bucket_count; index++)
            sq_idmap_destroy (&self->buckets[index]);
        free (self->buckets);
        free (self);
        *self_p = NULL;
    }
}

uint64_t *
sq_rotating_map_find (sq_rotating_map_t *self, uint64_t key)
{
    assert (self);
    for (size_t index = 0; index < self->bucket_count; index++) {
        uint64_t *entry = sq_idmap_find (self->buckets[index], key);
        if (entry)
            return entry;
    }
    return NULL;
}

uint64_t *
sq_rotating_map_insert (sq_rotating_map_t *self, uint64_t key)
{
    assert (self);
    return sq_idmap_insert (self->buckets[0], key);
}

uint64_t *
sq_rotating_map_refresh (sq_rotating_map_t *self, uint64_t key)
{
    assert (self);
    uint64_t *entry = sq_idmap_find (self->buckets[0], key);
    for (size_t index = 1; !entry && index < self->bucket_count; index++) {
        uint64_t *old = sq_idmap_find (self->buckets[index], key);
        if (!old)
            continue;
        //  Insert first: the old bucket keeps the entry if this fails.
        //  The two buckets are separate arrays, so old stays valid.
        entry = sq_idmap_insert (self->buckets[0], old[0]);
        if (!entry)
            return old;
        memcpy (sq_idmap_value (entry), sq_idmap_value (old), self->value_size);
        sq_idmap_remove_entry (self->buckets[index], old);
    }
    return entry;
}

int
sq_rotating_map_remove (sq_rotating_map_t *self, uint64_t key)
{
    assert (self);
    for (size_t index = 0; index < self->bucket_count; index++)
        if (sq_idmap_remove (self->buckets[index], key) == 0)
            return 0;
    return -1;
}

void
sq_rotating_map_remove_entry (sq_rotating_map_t *self, uint64_t *entry)
{
    assert (self);
    for (size_t index = 0; index < self->bucket_count; index++)
        if (sq_idmap_holds (self->buckets[index], entry)) {
            sq_idmap_remove_entry (self->buckets[index], entry);
            return;
        }
    assert (false); //  entry belongs to no bucket
}

size_t
sq_rotating_map_rotate (sq_rotating_map_t *self, sq_idmap_visit_fn *expired, void *arg)
{
    assert (self);
    sq_idmap_t *oldest = self->buckets[self->bucket_count - 1];
    size_t dropped = sq_idmap_size (oldest);
    if (expired && dropped)
        sq_idmap_foreach (oldest, expired, arg);
    sq_idmap_clear (oldest);
    memmove (self->buckets + 1, self->buckets, (self->bucket_count - 1) * sizeof (sq_idmap_t *));
    self->buckets[0] = oldest;
    return dropped;
}

void
sq_rotating_map_foreach (sq_rotating_map_t *self, sq_idmap_visit_fn *visit, void *arg)
{
    assert (self);
    for (size_t index = 0; index < self->bucket_count; index++)
        sq_idmap_foreach (self->buckets[index], visit, arg);
}

size_t
sq_rotating_map_buckets (const sq_rotating_map_t *self)
{
    assert (self);
    return self->bucket_count;
}

size_t
sq_rotating_map_size (const sq_rotating_map_t *self)
{
    assert (self);
    size_t size = 0;
    for (size_t index = 0; index < self->bucket_count; index++)
        size += sq_idmap_size (self->buckets[index]);
    return size;
}

size_t
sq_rotating_map_bytes (const sq_rotating_map_t *self)
{
    assert (self);
    size_t bytes = sizeof (sq_rotating_map_t) + self->bucket_count * sizeof (sq_idmap_t *);
    for (size_t index = 0; index < self->bucket_count; index++)
        bytes += sq_idmap_bytes (self->buckets[index]);
    return bytes;
}
