/*  nimbus_replica - a standby's copies of the leader's packages */
#include "nimbus_replica.h"
#include "sq_curve.h"
#include "sq_error.h"
#include "sq_nimbuses.h"

#include <czmq.h>
#include <string.h>

#define S_FETCH_TIMEOUT_MS 3000 //  longest wait for the leader's answer
#define S_FIRST_DELAY_MS 1000   //  back-off after the first failure
#define S_MAX_DELAY_MS 30000    //  longest back-off

//  When a package may be tried again.
typedef struct {
    int64_t next_attempt; //  monotonic ms
    int64_t delay_ms;     //  back-off after the next failure
} s_backoff_t;

struct _nimbus_replica_t {
    zhashx_t *backoffs; //  topology id -> s_backoff_t, for failed downloads
    sq_curve_t *curve;  //  keys for the downloads, or NULL
};

static void
s_backoff_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

nimbus_replica_t *
nimbus_replica_new (const sq_curve_t *curve)
{
    nimbus_replica_t *self = calloc (1, sizeof (nimbus_replica_t));
    if (!self)
        return NULL;
    self->backoffs = zhashx_new ();
    if (curve)
        self->curve = sq_curve_dup (curve);
    if (!self->backoffs || (curve && !self->curve)) {
        nimbus_replica_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->backoffs, s_backoff_free);
    return self;
}

void
nimbus_replica_destroy (nimbus_replica_t **self_p)
{
    assert (self_p);
    nimbus_replica_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->backoffs);
    sq_curve_destroy (&self->curve);
    free (self);
    *self_p = NULL;
}

int
nimbus_replica_fetch (nimbus_replica_t *self, nimbus_store_t *store, const char *leader,
                      const sq_topology_record_t *record)
{
    assert (self);
    assert (store && leader && record);
    if (nimbus_store_has (store, record->id))
        return 0;
    int64_t now = zclock_mono ();
    s_backoff_t *backoff = zhashx_lookup (self->backoffs, record->id);
    if (backoff && now < backoff->next_attempt)
        return 0;
    sq_nimbuses_t *nimbuses = sq_nimbuses_new (NULL, leader);
    json_t *reply = NULL;
    size_t size = 0;
    void *package = nimbuses && (!self->curve || sq_nimbuses_set_curve (nimbuses, self->curve) == 0)
                        ? sq_nimbuses_download (nimbuses, record->id, record->package_checksum,
                                                S_FETCH_TIMEOUT_MS, &size, &reply)
                        : NULL;
    sq_nimbuses_destroy (&nimbuses);
    //  Over CURVE the topology's key pair comes along: keep it first, so
    //  that a package stored always has its key.
    zcert_t *key = package && self->curve ? sq_nimbuses_topology_key (reply) : NULL;
    json_decref (reply);
    int rc = package && (!self->curve || key) ? 0 : -1;
    if (rc == 0 && key)
        rc = nimbus_store_put_key (store, record->id, key);
    if (rc == 0)
        rc = nimbus_store_put (store, record->id, package, size, record->package_checksum);
    zcert_destroy (&key);
    free (package);
    if (rc == 0) {
        zhashx_delete (self->backoffs, record->id);
        zsys_info ("replica: topology=%s id=%s package copied from the leader %s size=%zu",
                   record->name, record->id, leader, size);
        return 1;
    }
    if (!backoff) {
        backoff = calloc (1, sizeof (s_backoff_t));
        if (!backoff || zhashx_insert (self->backoffs, record->id, backoff)) {
            free (backoff);
            zsys_warning ("replica: topology=%s: %s", record->name, sq_last_error ());
            return -1;
        }
        backoff->delay_ms = S_FIRST_DELAY_MS;
    }
    zsys_warning ("replica: topology=%s id=%s: cannot copy its package from %s: %s; trying "
                  "again in %lld ms",
                  record->name, record->id, leader, sq_last_error (),
                  (long long) backoff->delay_ms);
    backoff->next_attempt = now + backoff->delay_ms;
    backoff->delay_ms =
        backoff->delay_ms * 2 < S_MAX_DELAY_MS ? backoff->delay_ms * 2 : S_MAX_DELAY_MS;
    return -1;
}
