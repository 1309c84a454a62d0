/*  nimbus_refusals - counts refused requests and says which to log */
#include "nimbus_refusals.h"

#include <czmq.h>
#include <string.h>

struct _nimbus_refusals_t {
    zhashx_t *logged; //  peer name -> (unused) present: already logged
    char **ring;      //  the same names, oldest at ring[oldest]; owned
    size_t capacity;  //  most names remembered
    size_t count;     //  names remembered now
    size_t oldest;    //  index of the oldest name in ring
    uint64_t total;   //  refusals counted
};

nimbus_refusals_t *
nimbus_refusals_new (size_t capacity)
{
    nimbus_refusals_t *self = calloc (1, sizeof (nimbus_refusals_t));
    if (!self)
        return NULL;
    self->capacity = capacity ? capacity : 1;
    self->logged = zhashx_new ();
    self->ring = calloc (self->capacity, sizeof (char *));
    if (!self->logged || !self->ring)
        nimbus_refusals_destroy (&self);
    return self;
}

void
nimbus_refusals_destroy (nimbus_refusals_t **self_p)
{
    assert (self_p);
    nimbus_refusals_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->ring && i < self->capacity; i++)
        free (self->ring[i]);
    free (self->ring);
    zhashx_destroy (&self->logged);
    free (self);
    *self_p = NULL;
}

bool
nimbus_refusals_note (nimbus_refusals_t *self, const char *peer)
{
    assert (self);
    assert (peer);
    self->total++;
    char *name = strndup (peer, NIMBUS_REFUSALS_MAX_PEER);
    if (!name)
        return true; //  out of memory: log rather than lose the refusal
    if (zhashx_lookup (self->logged, name)) {
        free (name);
        return false;
    }
    if (self->count == self->capacity) {
        //  Forget the oldest: its slot takes the new name.
        zhashx_delete (self->logged, self->ring[self->oldest]);
        free (self->ring[self->oldest]);
        self->ring[self->oldest] = NULL;
        self->oldest = (self->oldest + 1) % self->capacity;
        self->count--;
    }
    size_t slot = (self->oldest + self->count) % self->capacity;
    if (zhashx_insert (self->logged, name, self) != 0) {
        free (name);
        return true;
    }
    self->ring[slot] = name;
    self->count++;
    return true;
}

uint64_t
nimbus_refusals_total (nimbus_refusals_t *self)
{
    assert (self);
    return self->total;
}

size_t
nimbus_refusals_peers (nimbus_refusals_t *self)
{
    assert (self);
    return self->count;
}
