/*  sq_tuple - the runtime's view of a tuple: values, stream, tree edges

    A tuple is one piece of memory: this header, then its values, then its
    edges (one per root tree it descends from), then the bytes of its
    strings and byte values, each followed by a NUL. Tuples are immutable
    once made, apart from ack_val and state, which only the receiving task
    touches.

    The piece is its own allocation (sq_tuple_new), or carved from a tuple
    block that the tuples an executor sends to one destination share
    (sq_tuple_new_in): a pointer bump instead of a malloc, a counter
    instead of a free, and consecutive tuples side by side in memory for
    the reader. A block is freed when its maker has retired it and every
    tuple carved from it was destroyed, on whichever thread that happens,
    so one tuple kept long keeps its whole block: the executor carves only
    for readers that do not keep their inputs past execute (sq_executor.c).
*/
#ifndef SQ_TUPLE_H_INCLUDED
#define SQ_TUPLE_H_INCLUDED

#include "sq_cache_line.h"
#include "squall.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

//  An output stream of a component: the schema its tuples share.
typedef struct {
    char *component;    //  id of the emitting component
    char *name;         //  stream id
    char **fields;      //  field names, field_count of them
    size_t field_count; //  number of fields every tuple carries
    int index;          //  stream number in the topology, used on the wire
    bool direct;        //  declared direct: only direct emits go onto it
} sq_stream_t;

//  Memory that many tuples are carved from (below).
typedef struct _sq_tuple_block_t sq_tuple_block_t;

//  Place of a tuple in one tuple tree.
typedef struct {
    uint64_t root; //  root id of the tree (see sq_ids.h)
    uint64_t edge; //  this tuple's edge id in that tree
} sq_edge_t;

#define SQ_TUPLE_ACKED 0x01     //  acked or failed by its bolt
#define SQ_TUPLE_EXECUTING 0x02 //  inside execute(); freed on return if acked
#define SQ_TUPLE_FAILED 0x04    //  with SQ_TUPLE_ACKED: it was failed, not acked
#define SQ_TUPLE_TIMED 0x08     //  its execute was timed for the metrics
#define SQ_TUPLE_TRACED 0x10    //  one of its trees is traced (sq_trace.h)
#define SQ_TUPLE_WINDOWED 0x20  //  in a window: acked or failed, the window frees it

struct _sq_tuple_t {
    const sq_stream_t *stream; //  schema; NULL only while being decoded
    int32_t source_task;       //  emitting task, SQ_SYSTEM_TASK_ID for tick tuples
    int32_t dest_task;         //  receiving task
    uint64_t ack_val;          //  XOR of edge ids emitted anchored to this tuple
    uint16_t value_count;      //  number of values
    uint16_t edge_count;       //  number of trees this tuple belongs to
    uint8_t state;             //  SQ_TUPLE_* flags
    sq_tuple_t *held_prev;     //  list of tuples a bolt holds past execute
    sq_tuple_t *held_next;     //  (both NULL when not held)
    sq_tuple_block_t *block;   //  the block it was carved from; NULL: its own allocation
    sq_edge_t *edges;          //  edge_count edges, inside this piece of memory
    sq_value_t values[];       //  value_count values; payload bytes follow edges
};

//  New tuple holding copies of the values and edges. Returns NULL when out
//  of memory or given more than 65535 edges or values. Caller owns.
sq_tuple_t *sq_tuple_new (const sq_stream_t *stream, int source_task, int dest_task,
                          const sq_edge_t *edges, size_t edge_count, const sq_value_t *values,
                          size_t value_count);
//  The same, carved from *block_p, which the caller keeps for its next
//  tuples: a full block is retired and a new one started in its place (a
//  NULL *block_p too). A tuple too big to share a block gets its own
//  allocation. Only one thread carves from a block. (Inline, below.)
static inline sq_tuple_t *sq_tuple_new_in (sq_tuple_block_t **block_p, const sq_stream_t *stream,
                                           int source_task, int dest_task, const sq_edge_t *edges,
                                           size_t edge_count, const sq_value_t *values,
                                           size_t value_count);
//  The maker is done carving from *block_p: it is freed with its last
//  tuple (now, when none is left). NULL-safe; nulls the caller's pointer.
void sq_tuple_block_retire (sq_tuple_block_t **block_p);
//  Tuple blocks of this process not yet freed: their memory is
//  SQ_TUPLE_BLOCK_BYTES each.
size_t sq_tuple_blocks_live (void);
//  Destroy; any thread may destroy any tuple. NULL-safe; nulls the
//  caller's pointer.
void sq_tuple_destroy (sq_tuple_t **self_p);
//  References to blocks that one thread takes off together: the tuples of
//  an input batch come mostly from one block, and destroying them costs
//  one atomic operation for the run instead of one a tuple.
typedef struct {
    sq_tuple_block_t *block; //  NULL: none waiting
    int64_t count;           //  references waiting to come off block
} sq_tuple_releases_t;
//  sq_tuple_destroy, but a block tuple's reference waits in releases
//  while the tuples destroyed next come from the same block; the block
//  stays allocated until sq_tuple_releases_flush. NULL-safe.
void sq_tuple_destroy_gathered (sq_tuple_t **self_p, sq_tuple_releases_t *releases);
//  Take the references waiting in releases off their block.
void sq_tuple_releases_flush (sq_tuple_releases_t *releases);
//  The schema of tick tuples: stream __tick from component __system, one
//  field, rate_secs (the period in seconds), as in Storm.
const sq_stream_t *sq_tuple_tick_stream (void);

//  Stream schema: new with comma-separated fields; NULL when a field name
//  is empty or repeated (sq_last_error() says which). Caller owns.
sq_stream_t *sq_stream_new (const char *component, const char *name, const char *fields);
void sq_stream_destroy (sq_stream_t **self_p);
//  Index of a field, or -1.
int sq_stream_field_index (const sq_stream_t *self, const char *field);

//  ---------------------------------------------------------------------
//  Making tuples. What the emit path runs for every tuple is inline: as
//  calls, it cost a fifth of an emit.

#define SQ_TUPLE_BLOCK_BYTES 8192 //  size of a tuple block, header included
#define SQ_TUPLE_ALIGN 8          //  tuples in a block start at multiples of this

//  refs is written by the threads that destroy a block's tuples, the rest
//  only by the thread that carves: a cache line apart. (Padding, not
//  _Alignas: malloc promises less than a cache line of alignment.)
struct _sq_tuple_block_t {
    //  Tuples carved (added when the maker retires the block) minus
    //  tuples destroyed: the block is freed when it comes back to zero.
    //  Before the retirement it is at most zero, so it cannot get there.
    _Atomic int64_t refs;
    char apart[SQ_CACHE_LINE - sizeof (int64_t)];
    size_t used;    //  bytes of data carved
    int64_t carved; //  tuples carved
    char data[];    //  the tuples, from an offset a multiple of SQ_TUPLE_ALIGN
};

#define SQ_TUPLE_BLOCK_ROOM (SQ_TUPLE_BLOCK_BYTES - offsetof (sq_tuple_block_t, data))
//  Bigger tuples get their own allocation: they would waste much of a block.
#define SQ_TUPLE_BLOCK_LARGEST (SQ_TUPLE_BLOCK_ROOM / 8)

static inline bool
sq_value_has_payload (const sq_value_t *value)
{
    return value->type == SQ_TYPE_STRING || value->type == SQ_TYPE_BYTES;
}

//  Bytes a tuple of these values and edge_count edges takes, rounded up to
//  SQ_TUPLE_ALIGN; 0 when the counts do not fit the header: more trees
//  than that (an emit anchored to a huge window of multi-rooted tuples)
//  make no tuple.
static inline size_t
sq_tuple_bytes (size_t edge_count, const sq_value_t *values, size_t value_count)
{
    if (edge_count > UINT16_MAX || value_count > UINT16_MAX)
        return 0;
    size_t bytes =
        sizeof (sq_tuple_t) + value_count * sizeof (sq_value_t) + edge_count * sizeof (sq_edge_t);
    for (size_t i = 0; i < value_count; i++)
        if (sq_value_has_payload (&values[i]))
            bytes += values[i].as.s.len + 1;
    return (bytes + SQ_TUPLE_ALIGN - 1) & ~(size_t) (SQ_TUPLE_ALIGN - 1);
}

//  Fill memory (sq_tuple_bytes of it) with a tuple; returns it.
static inline sq_tuple_t *
sq_tuple_fill (void *memory, sq_tuple_block_t *block, const sq_stream_t *stream, int source_task,
               int dest_task, const sq_edge_t *edges, size_t edge_count, const sq_value_t *values,
               size_t value_count)
{
    sq_tuple_t *self = (sq_tuple_t *) memory;
    *self = (sq_tuple_t){.stream = stream,
                         .source_task = source_task,
                         .dest_task = dest_task,
                         .value_count = (uint16_t) value_count,
                         .edge_count = (uint16_t) edge_count,
                         .block = block,
                         .edges = (sq_edge_t *) (self->values + value_count)};
    if (edge_count)
        memcpy (self->edges, edges, edge_count * sizeof (sq_edge_t));
    char *cursor = (char *) (self->edges + edge_count);
    for (size_t i = 0; i < value_count; i++) {
        if (!sq_value_has_payload (&values[i])) {
            self->values[i] = values[i];
            continue;
        }
        //  Field by field: the emitter has just written them one by one,
        //  and a wider read of them would wait for the stores to land.
        size_t len = values[i].as.s.len;
        self->values[i].type = values[i].type;
        self->values[i].as.s.len = len;
        self->values[i].as.s.ptr = cursor;
        if (len)
            memcpy (cursor, values[i].as.s.ptr, len);
        cursor[len] = 0;
        cursor += len + 1;
    }
    return self;
}

//  sq_tuple_new_in when the tuple does not fit what is left of *block_p
//  (sq_tuple.c).
sq_tuple_t *sq_tuple_new_in_next (sq_tuple_block_t **block_p, size_t bytes,
                                  const sq_stream_t *stream, int source_task, int dest_task,
                                  const sq_edge_t *edges, size_t edge_count,
                                  const sq_value_t *values, size_t value_count);

static inline sq_tuple_t *
sq_tuple_new_in (sq_tuple_block_t **block_p, const sq_stream_t *stream, int source_task,
                 int dest_task, const sq_edge_t *edges, size_t edge_count, const sq_value_t *values,
                 size_t value_count)
{
    size_t bytes = sq_tuple_bytes (edge_count, values, value_count);
    sq_tuple_block_t *block = *block_p;
    if (!block || bytes == 0 || bytes > SQ_TUPLE_BLOCK_LARGEST ||
        block->used + bytes > SQ_TUPLE_BLOCK_ROOM)
        return sq_tuple_new_in_next (block_p, bytes, stream, source_task, dest_task, edges,
                                     edge_count, values, value_count);
    void *memory = block->data + block->used;
    block->used += bytes;
    block->carved++;
    //  Where the maker's next tuple goes: with many destinations, each
    //  carving from a block of its own, it is long out of cache by then.
    __builtin_prefetch (block->data + block->used + SQ_CACHE_LINE, 1);
    return sq_tuple_fill (memory, block, stream, source_task, dest_task, edges, edge_count, values,
                          value_count);
}

#endif
