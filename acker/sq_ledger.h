/*  sq_ledger - the acker's record of pending tuple trees

    One entry per pending tree, keyed on the tree's root id, holding the XOR
    of every value received for the tree so far (see doc/acking.md). The
    spout's init and each bolt's ack XOR a value in; the tree is complete
    once its init has been seen and the XOR is back to 0. Inits, acks and
    fails of one root may arrive in any order.

    DESIGN: entries live in a rotating map (sq_rotating_map) of 16-byte
    slots: the root id, whose two low bits (always 0 in a root id, see
    sq_ids.h) hold the INIT_SEEN and FAILED flags, then the 64-bit XOR. With
    the map's load kept within [1/4, 3/4], a pending tree costs at most 64
    bytes of ledger memory whatever the size of the tree. Timeouts are the
    rotation of the buckets: an entry is forgotten, with no scan, by the
    N-th rotation after its first message. A failed tree is reported once
    and its entry kept, marked failed, so that its later messages are
    absorbed silently; it goes when its XOR would complete it or when it
    expires. A reset of a tree's timeout moves its entry to the newest
    bucket: same 16 bytes, in another bucket. Not thread safe: one ledger
    per acker task.

    DESIGN (why a tree failed): naming the task that held a tree that timed
    out costs the ledger no byte. Every edge id carries the task it was sent
    to and an 8-bit check (sq_ids.h), and an entry's XOR is, at any time,
    the XOR of the edge ids still outstanding (sent and not yet acked). A
    tuple dropped or stuck at one task, the common way a tree times out,
    leaves exactly one outstanding edge: the XOR then IS that edge id, its
    check holds, and its task field names the holder. With several edges
    outstanding the check holds only by a 1 in 256 chance (and the named
    task must also be one of the topology's): the acker counts those trees
    as unattributed, and misnames a tree with at most that probability.
    The acker reads the XOR when the entry expires (sq_ledger_rotate_each)
    and counts per task in its own state, bounded by the task count
    (acker/sq_acker.c). Explicit fails name their task in the fail message.
    The price is randomness: an edge id keeps 56 - w random bits (w, the
    task field, is 1 .. 16 bits, the fewest holding the topology's task
    ids; 40 at worst), so a tree with edges still outstanding looks
    complete by chance with probability at most 2^-(56-w) per message
    applied (2^-40 ~ 9.1e-13 for 65535 tasks; 2^-49 ~ 1.8e-15 for up to
    127 tasks), against 2^-64 with bare random ids. Rejected
    alternatives: a task id stored in the entry (the last task heard from)
    would name a task that did its part, not the holder, and cost bytes
    past the 16-byte slot; a fixed 16-bit task field would keep only 40
    random bits in every topology, where most need 7 task bits or fewer.
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
//  What sq_ledger_rotate_each reports for each tree it forgets that was
//  not reported failed: its root, the XOR of the values received (the XOR
//  of the edge ids outstanding, once init_seen) and whether the spout's
//  init had arrived.
typedef void (sq_ledger_expired_fn) (void *arg, uint64_t root, uint64_t residual, bool init_seen);
//  sq_ledger_rotate, calling expired (if not NULL) for each tree counted.
size_t sq_ledger_rotate_each (sq_ledger_t *self, sq_ledger_expired_fn *expired, void *arg);
//  Entries held: pending trees, including failed ones not yet dropped.
size_t sq_ledger_pending (const sq_ledger_t *self);
//  Heap bytes the ledger owns.
size_t sq_ledger_bytes (const sq_ledger_t *self);

#endif
