/*  sq_ids - random 64-bit root and edge ids for XOR acking

    Each thread has its own xoshiro256** generator, seeded from the OS on
    first use, so id generation takes no lock. Ids are never 0: a zero edge
    id would vanish from the XOR.

    DESIGN: a root id also names the spout task that owns the tree. Bits 63-18
    are random (never all zero), bits 17-2 hold the spout task id, and bits
    1-0 are zero, left free for the acker ledger's flags. Any acker can thus
    tell the spout of a tree from its root alone, even when an ack arrives
    before the tree's init.
*/
#ifndef SQ_IDS_H_INCLUDED
#define SQ_IDS_H_INCLUDED

#include <stdint.h>

#define SQ_IDS_MAX_TASK 0xFFFF //  largest task id a root id can carry

//  Random non-zero 64-bit edge id.
uint64_t sq_ids_edge (void);
//  Random root id owned by spout_task (1 .. SQ_IDS_MAX_TASK).
uint64_t sq_ids_root (int spout_task);
//  The spout task encoded in a root id.
static inline int
sq_ids_root_task (uint64_t root)
{
    return (int) ((root >> 2) & SQ_IDS_MAX_TASK);
}
//  Random 64 bits (may be 0), for shuffles and sampling.
uint64_t sq_ids_random (void);

#endif
