/*  sq_ledger - the acker's record of pending tuple trees

    One entry per pending tree, keyed on the tree's root id, holding the XOR
    of every value received for the tree so far (see doc/acking.md). The
    spout's init and each bolt's ack XOR a value in; the tree is complete
    once its init has been seen and the XOR is back to 0. Inits, acks and
    fails of one root may arrive in any order.

    DESIGN: entries live in a rotating map (sq_rotating_map) of 16-byte
    slots: the root id, whose two low bits (always 0 in a root id, see
    sq_ids.h) hold the INIT_SEEN and FAILED flags, then the 64-bit XOR. With
    the map's load kept within [1/2, 3/4], a pending tree costs at most 32
    bytes of ledger memory whatever the size of the tree. Timeouts are the
    rotation of the buckets: an entry is forgotten, with no scan, by the
    N-th rotation after its first message. A failed tree is reported once
    and its entry kept, marked failed, so that its later messages are
    absorbed silently; it goes when its XOR would complete it or when it
    expires. A reset of a tree's timeout moves its entry to the newest
    bucket: same 16 bytes, in another bucket. Not thread safe: one ledger
    per acker task.
*/
#ifndef SQ_LEDGER_H_INCLUDED
#define SQ_LEDGER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sq_ledger_t sq_ledger_t;

//  What applying one message to the ledger means for its tree.
typedef enum {
    SQ_LEDGER_NONE = 0,     //  nothing to report: pending, or absorbed
    SQ_LEDGER_COMPLETE = 1, //  tree completed: tell the spout (reported once)
    SQ_LEDGER_FAILED = 2,   //  tree failed: tell the spout (reported once)
    SQ_LEDGER_RESET = 3,    //  timeout pushed back: tell the spout too
} sq_ledger_result_t;

#define SQ_LEDGER_BUCKETS 3 //  default bucket count, as in Storm

//  New empty ledger whose entries expire after `buckets` rotations (at
//  least 2). Returns NULL when out of memory. Caller owns.
sq_ledger_t *sq_ledger_new (size_t buckets);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_ledger_destroy (sq_ledger_t **self_p);
//  True when root can be a root id: non-zero, with bits 1-0 clear.
bool sq_ledger_root_valid (uint64_t root);
//  The spout's init of root: XOR of the edge ids it emitted. Returns
//  SQ_LEDGER_COMPLETE or SQ_LEDGER_NONE; -1 on an invalid root or when out
//  of memory (sq_last_error says which).
int sq_ledger_init (sq_ledger_t *self, uint64_t root, uint64_t value);
//  A bolt's ack for root: input edge XOR the edges emitted anchored to it.
//  Returns as sq_ledger_init.
int sq_ledger_ack (sq_ledger_t *self, uint64_t root, uint64_t value);
//  A fail for root. Returns SQ_LEDGER_FAILED for the first fail of a
//  pending or unknown root, then SQ_LEDGER_NONE; -1 on an invalid root.
int sq_ledger_fail (sq_ledger_t *self, uint64_t root);
//  A bolt's reset of root's timeout: the root's entry moves to the newest
//  bucket, so it expires `buckets` rotations from now, as if just made.
//  Returns SQ_LEDGER_RESET when it moved; SQ_LEDGER_NONE, changing nothing,
//  for a root with no entry (unknown, completed or expired: a reset never
//  creates one) or one already reported failed; -1 on an invalid root.
int sq_ledger_reset (sq_ledger_t *self, uint64_t root);
//  Expire the oldest bucket of entries. Returns the number of trees
//  forgotten, not counting trees already reported failed.
size_t sq_ledger_rotate (sq_ledger_t *self);
//  Entries held: pending trees, including failed ones not yet dropped.
size_t sq_ledger_pending (const sq_ledger_t *self);
//  Heap bytes the ledger owns.
size_t sq_ledger_bytes (const sq_ledger_t *self);

#endif
