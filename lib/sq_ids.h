/*  sq_ids - random 64-bit root and edge ids for XOR acking

    Ids come from xoshiro256** generators, seeded from the OS, one for each
    user, so id generation takes no lock: an sq_ids_source_t that its owner
    (an executor, for the ids of the tuples its tasks emit) keeps and seeds
    itself, drawn from inline with no call; or, for the functions without
    a source, one per thread, seeded on first use. Ids are never 0: a zero
    edge id would vanish from the XOR.

    DESIGN: a root id also names the spout task that owns the tree. Bits 63-18
    are random (never all zero), bits 17-2 hold the spout task id, and bits
    1-0 are zero, left free for the acker ledger's flags. Any acker can thus
    tell the spout of a tree from its root alone, even when an ack arrives
    before the tree's init.

    DESIGN: an edge id also names the task the tuple was sent to, so that
    the acker can name the task holding a tree that times out (see
    doc/acking.md, "Why a tree failed"). From the low bits up: an 8-bit
    check, then a task field of w bits holding the target task, then 56 - w
    random bits, where w = sq_ids_task_bits (task count) is the fewest bits
    that hold every task id of the topology (1 .. 16); every process of a
    topology knows its task count, so all agree on w. The check is the top 8
    bits of the product of the other 56 bits with an odd constant: a fixed
    hash, so a single edge id always passes it, while the XOR of several
    edge ids passes it only by a 1 in 256 chance. Ids are never 0 since a
    task id is never 0. Making one costs a shift, an OR and a multiply more
    than a bare random number.
*/
#ifndef SQ_IDS_H_INCLUDED
#define SQ_IDS_H_INCLUDED

#include <assert.h>
#include <stdint.h>

#define SQ_IDS_MAX_TASK 0xFFFF //  largest task id a root id can carry

#define SQ_IDS_CHECK_BITS 8 //  low bits of an edge id that check the others

//  A generator for one thread's use at a time: xoshiro256** state.
typedef struct {
    uint64_t state[4]; //  never all zero once seeded
} sq_ids_source_t;

//  Seed source from the OS (from the clock and its address when the OS
//  has no entropy to give).
void sq_ids_source_seed (sq_ids_source_t *source);

//  Next 64 random bits of source (may be 0).
static inline uint64_t
sq_ids_source_next (sq_ids_source_t *source)
{
    uint64_t *state = source->state;
    uint64_t product = state[1] * 5;
    uint64_t result = ((product << 7) | (product >> 57)) * 9;
    uint64_t shifted = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= shifted;
    state[3] = (state[3] << 45) | (state[3] >> 19);
    return result;
}

//  The check of an edge id's upper 56 bits (its low 8 bits zero): the top
//  bits of their product with an odd constant.
static inline uint64_t
sq_ids_check (uint64_t upper)
{
    return (upper * 0x9E3779B97F4A7C15ULL) >> (64 - SQ_IDS_CHECK_BITS);
}

//  Random non-zero edge id, drawn from source, for a tuple sent to
//  target_task (1 .. 2^task_bits - 1), task_bits from sq_ids_task_bits.
static inline uint64_t
sq_ids_edge_from (sq_ids_source_t *source, int target_task, int task_bits)
{
    assert (task_bits >= 1 && task_bits <= 16);
    assert (target_task > 0 && target_task < (1 << task_bits));
    int shift = SQ_IDS_CHECK_BITS + task_bits;
    uint64_t upper =
        (sq_ids_source_next (source) << shift) | ((uint64_t) target_task << SQ_IDS_CHECK_BITS);
    return upper | sq_ids_check (upper);
}

//  Bits of the task field of edge ids in a topology of task_count tasks:
//  the fewest that hold task_count, at least 1 and at most 16.
int sq_ids_task_bits (int task_count);
//  As sq_ids_edge_from, from the calling thread's generator.
uint64_t sq_ids_edge (int target_task, int task_bits);
//  When value is one edge id (its check holds), the task it was sent to;
//  else 0. Never 0 for an id from sq_ids_edge; for the XOR of several ids,
//  non-zero with probability 1/256 (SQ_IDS_CHECK_BITS).
int sq_ids_edge_task (uint64_t value, int task_bits);
//  Random root id, drawn from source, owned by spout_task (1 ..
//  SQ_IDS_MAX_TASK).
uint64_t sq_ids_root_from (sq_ids_source_t *source, int spout_task);
//  As sq_ids_root_from, from the calling thread's generator.
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
