/*  sq_tuple - the runtime's view of a tuple: values, stream, tree edges

    A tuple is one allocation: this header, then its values, then its edges
    (one per root tree it descends from), then the bytes of its strings and
    byte values, each followed by a NUL. Tuples are immutable once made,
    apart from ack_val and state, which only the receiving task touches.
*/
#ifndef SQ_TUPLE_H_INCLUDED
#define SQ_TUPLE_H_INCLUDED

#include "squall.h"

//  An output stream of a component: the schema its tuples share.
typedef struct {
    char *component;    //  id of the emitting component
    char *name;         //  stream id
    char **fields;      //  field names, field_count of them
    size_t field_count; //  number of fields every tuple carries
    int index;          //  stream number in the topology, used on the wire
    bool direct;        //  declared direct: only direct emits go onto it
} sq_stream_t;

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
    sq_edge_t *edges;          //  edge_count edges, inside this allocation
    sq_value_t values[];       //  value_count values; payload bytes follow edges
};

//  New tuple holding copies of the values and edges. Returns NULL when out
//  of memory or given more than 65535 edges or values. Caller owns.
sq_tuple_t *sq_tuple_new (const sq_stream_t *stream, int source_task, int dest_task,
                          const sq_edge_t *edges, size_t edge_count, const sq_value_t *values,
                          size_t value_count);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_tuple_destroy (sq_tuple_t **self_p);
//  The schema of tick tuples: stream __tick from component __system, one
//  field, rate_secs (the period in seconds), as in Storm.
const sq_stream_t *sq_tuple_tick_stream (void);

//  Stream schema: new with comma-separated fields; NULL when a field name
//  is empty or repeated (sq_last_error() says which). Caller owns.
sq_stream_t *sq_stream_new (const char *component, const char *name, const char *fields);
void sq_stream_destroy (sq_stream_t **self_p);
//  Index of a field, or -1.
int sq_stream_field_index (const sq_stream_t *self, const char *field);

#endif
