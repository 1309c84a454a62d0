/*  nimbus_liveness - which supervisors are lost, from their heartbeats */
#include "nimbus_liveness.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>

struct _nimbus_liveness_t {
    zhashx_t *last_heartbeat; //  supervisor id -> int64_t * (monotonic ms of its last heartbeat)
    int64_t timeout_ms;       //  silence after which a supervisor is silent
};

static void
s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

nimbus_liveness_t *
nimbus_liveness_new (int64_t timeout_ms)
{
    assert (timeout_ms > 0);
    nimbus_liveness_t *self = calloc (1, sizeof (nimbus_liveness_t));
    if (!self)
        return NULL;
    self->timeout_ms = timeout_ms;
    self->last_heartbeat = zhashx_new ();
    if (!self->last_heartbeat) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->last_heartbeat, s_free);
    return self;
}

void
nimbus_liveness_destroy (nimbus_liveness_t **self_p)
{
    assert (self_p);
    nimbus_liveness_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->last_heartbeat);
    free (self);
    *self_p = NULL;
}

int
nimbus_liveness_heartbeat (nimbus_liveness_t *self, const char *supervisor_id, int64_t now)
{
    assert (self);
    assert (supervisor_id);
    int64_t *last = zhashx_lookup (self->last_heartbeat, supervisor_id);
    if (!last) {
        last = malloc (sizeof *last);
        if (!last || zhashx_insert (self->last_heartbeat, supervisor_id, last)) {
            free (last);
            return -1;
        }
    }
    *last = now;
    return 0;
}

int64_t
nimbus_liveness_silence (nimbus_liveness_t *self, const char *supervisor_id, int64_t now)
{
    assert (self);
    assert (supervisor_id);
    const int64_t *last = zhashx_lookup (self->last_heartbeat, supervisor_id);
    return last ? now - *last : -1;
}

bool
nimbus_liveness_silent (nimbus_liveness_t *self, const char *supervisor_id, int64_t now)
{
    return nimbus_liveness_silence (self, supervisor_id, now) > self->timeout_ms;
}

void
nimbus_liveness_forget (nimbus_liveness_t *self, const char *supervisor_id)
{
    assert (self);
    assert (supervisor_id);
    zhashx_delete (self->last_heartbeat, supervisor_id);
}

size_t
nimbus_liveness_size (nimbus_liveness_t *self)
{
    assert (self);
    return zhashx_size (self->last_heartbeat);
}

zlist_t *
nimbus_liveness_ids (nimbus_liveness_t *self)
{
    assert (self);
    zlist_t *ids = zlist_new ();
    if (!ids)
        return NULL;
    zlist_autofree (ids);
    for (void *item = zhashx_first (self->last_heartbeat); item;
         item = zhashx_next (self->last_heartbeat))
        if (zlist_append (ids, (void *) zhashx_cursor (self->last_heartbeat))) {
            zlist_destroy (&ids);
            return NULL;
        }
    return ids;
}

int64_t
nimbus_liveness_timeout (nimbus_liveness_t *self)
{
    assert (self);
    return self->timeout_ms;
}
