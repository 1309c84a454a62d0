/*  nimbus_traces - the sampled trees of every topology, from heartbeats */
#include "nimbus_traces.h"
#include "sq_error.h"

#include <czmq.h>

struct _nimbus_traces_t {
    zhashx_t *stores; //  topology id -> sq_trace_store_t
};

static void
s_store_free (void **item_p)
{
    sq_trace_store_destroy ((sq_trace_store_t **) item_p);
}

nimbus_traces_t *
nimbus_traces_new (void)
{
    nimbus_traces_t *self = calloc (1, sizeof (nimbus_traces_t));
    if (self)
        self->stores = zhashx_new ();
    if (!self || !self->stores) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->stores, s_store_free);
    return self;
}

void
nimbus_traces_destroy (nimbus_traces_t **self_p)
{
    assert (self_p);
    nimbus_traces_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->stores);
    free (self);
    *self_p = NULL;
}

int
nimbus_traces_add (nimbus_traces_t *self, const char *id, const json_t *report, const char *worker)
{
    sq_trace_store_t *store = zhashx_lookup (self->stores, id);
    if (!store) {
        store = sq_trace_store_new (SQ_TRACE_MAX_TREES, SQ_TRACE_MAX_HOPS);
        if (!store || zhashx_insert (self->stores, id, store)) {
            sq_trace_store_destroy (&store);
            return sq_error_set ("out of memory");
        }
    }
    return sq_trace_store_add (store, report, worker);
}

void
nimbus_traces_forget (nimbus_traces_t *self, const char *id)
{
    zhashx_delete (self->stores, id);
}

json_t *
nimbus_traces_json (nimbus_traces_t *self, const char *id, double sample_pct, size_t max_trees)
{
    sq_trace_store_t *store = zhashx_lookup (self->stores, id);
    if (store)
        return sq_trace_store_json (store, id, sample_pct, max_trees);
    //  Nothing reported yet: an empty store answers the same shape.
    sq_trace_store_t *empty = sq_trace_store_new (1, 1);
    json_t *json = empty ? sq_trace_store_json (empty, id, sample_pct, max_trees) : NULL;
    sq_trace_store_destroy (&empty);
    return json;
}
