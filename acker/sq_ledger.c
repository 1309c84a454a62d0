/*  sq_ledger - the acker's record of pending tuple trees

    Entry layout (two 64-bit words):
        word 0: root id, bits 63-2; bit 1 FAILED; bit 0 INIT_SEEN
        word 1: XOR of the init and ack values received for the root
*/
#include "sq_ledger.h"
#include "sq_error.h"
#include "sq_rotating_map.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#define S_INIT_SEEN 0x1ULL //  the spout's init has been applied
#define S_FAILED 0x2ULL    //  the tree failed and was reported
#define S_FLAGS (S_INIT_SEEN | S_FAILED)

struct _sq_ledger_t {
    sq_rotating_map_t *trees; //  root -> XOR, flags in the key's low bits
};

//  Counts expired entries that were not already reported failed.
static void
s_count_expired (uint64_t *entry, void *arg)
{
    if (!(entry[0] & S_FAILED))
        (*(size_t *) arg)++;
}

//  XOR value into the entry of root and set flags on it, creating the
//  entry if needed; drop the entry when it completes.
static int
s_apply (sq_ledger_t *self, uint64_t root, uint64_t value, uint64_t flags)
{
    if (!sq_ledger_root_valid (root))
        return sq_error_set ("ledger: invalid root id root=%016" PRIx64, root);
    uint64_t *entry = sq_rotating_map_find (self->trees, root);
    if (!entry) {
        //  An ack of 0 for an unknown root changes nothing: skip the entry.
        if (value == 0 && flags == 0)
            return SQ_LEDGER_NONE;
        entry = sq_rotating_map_insert (self->trees, root);
        if (!entry)
            return sq_error_set ("ledger: out of memory root=%016" PRIx64 " pending=%zu", root,
                                 sq_rotating_map_size (self->trees));
    }
    entry[0] |= flags;
    entry[1] ^= value;
    if ((entry[0] & S_INIT_SEEN) && entry[1] == 0) {
        bool failed = (entry[0] & S_FAILED) != 0;
        sq_rotating_map_remove_entry (self->trees, entry);
        return failed ? SQ_LEDGER_NONE : SQ_LEDGER_COMPLETE;
    }
    return SQ_LEDGER_NONE;
}

sq_ledger_t *
sq_ledger_new (size_t buckets)
{
    assert (buckets >= 2);
    sq_ledger_t *self = calloc (1, sizeof (sq_ledger_t));
    if (!self)
        return NULL;
    self->trees = sq_rotating_map_new (buckets, sizeof (uint64_t), ~S_FLAGS);
    if (!self->trees) {
        free (self);
        return NULL;
    }
    return self;
}

void
sq_ledger_destroy (sq_ledger_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        sq_rotating_map_destroy (&(*self_p)->trees);
        free (*self_p);
        *self_p = NULL;
    }
}

bool
sq_ledger_root_valid (uint64_t root)
{
    return root != 0 && (root & S_FLAGS) == 0;
}

int
sq_ledger_init (sq_ledger_t *self, uint64_t root, uint64_t value)
{
    assert (self);
    return s_apply (self, root, value, S_INIT_SEEN);
}

int
sq_ledger_ack (sq_ledger_t *self, uint64_t root, uint64_t value)
{
    assert (self);
    return s_apply (self, root, value, 0);
}

int
sq_ledger_fail (sq_ledger_t *self, uint64_t root)
{
    assert (self);
    if (!sq_ledger_root_valid (root))
        return sq_error_set ("ledger: invalid root id root=%016" PRIx64, root);
    uint64_t *entry = sq_rotating_map_find (self->trees, root);
    if (!entry) {
        //  Out of memory: report the fail anyway; it may then be reported
        //  again if another fail of the root arrives.
        entry = sq_rotating_map_insert (self->trees, root);
        if (entry)
            entry[0] |= S_FAILED;
        return SQ_LEDGER_FAILED;
    }
    if (entry[0] & S_FAILED)
        return SQ_LEDGER_NONE;
    entry[0] |= S_FAILED;
    return SQ_LEDGER_FAILED;
}

int
sq_ledger_reset (sq_ledger_t *self, uint64_t root)
{
    assert (self);
    if (!sq_ledger_root_valid (root))
        return sq_error_set ("ledger: invalid root id root=%016" PRIx64, root);
    uint64_t *entry = sq_rotating_map_find (self->trees, root);
    if (!entry || (entry[0] & S_FAILED))
        return SQ_LEDGER_NONE;
    sq_rotating_map_refresh (self->trees, root);
    return SQ_LEDGER_RESET;
}

size_t
sq_ledger_rotate (sq_ledger_t *self)
{
    assert (self);
    size_t expired = 0;
    sq_rotating_map_rotate (self->trees, s_count_expired, &expired);
    return expired;
}

size_t
sq_ledger_pending (const sq_ledger_t *self)
{
    assert (self);
    return sq_rotating_map_size (self->trees);
}

size_t
sq_ledger_bytes (const sq_ledger_t *self)
{
    assert (self);
    return sizeof (sq_ledger_t) + sq_rotating_map_bytes (self->trees);
}
