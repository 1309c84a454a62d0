/*  sq_codec - the binary wire format for batches of messages between workers

    A worker sends the messages for one peer worker as batches, one ZeroMQ
    message per batch. This class encodes sq_message_t (tuples, acking
    messages, backpressure signals) into a batch and decodes a batch back
    into messages. The format is written down as a grammar in doc/wire.md.

    DESIGN: an sq_codec_t is an encoder: a growable byte buffer holding one
    batch under construction. Messages are appended one at a time (or a run
    at once) and the header's message count is patched in place, so a
    sender can keep one codec per peer and reuse its memory from batch to
    batch. Decoding needs no object: it reads from the received bytes,
    checks every read against the end of the input and every count against
    the bytes left, and builds tuples with sq_tuple_new. Malformed input is
    never asserted on: it returns SQ_EMALFORMED with sq_last_error()
    naming the problem and its byte offset, after freeing whatever it had
    built. A message kind or value type tag it does not know is malformed
    too, found before anything that depends on it is read: that is why a
    new kind or type can join the current version (doc/wire.md, Versions).

    The same file holds the fields-grouping hash, because it hashes the
    values' wire encoding: every process, whatever its build or platform,
    sends equal values to the same task.
*/
#ifndef SQ_CODEC_H_INCLUDED
#define SQ_CODEC_H_INCLUDED

#include "sq_error.h"
#include "sq_message.h"

#define SQ_CODEC_VERSION 1            //  version byte this build writes and reads
#define SQ_CODEC_HEADER_SIZE 7        //  magic (2) + version (1) + count (4)
#define SQ_CODEC_MAX_EDGES 0xFFFF     //  most edges one tuple can carry
#define SQ_CODEC_MAX_INDEX 0x7FFFFFFF //  largest task id or stream index

typedef struct _sq_codec_t sq_codec_t;

//  Maps a stream index read off the wire to its schema, or NULL when the
//  topology has no such stream. Must not fail in any other way.
typedef const sq_stream_t *(sq_codec_resolve_fn) (int index, void *arg);

//  New encoder holding an empty batch (header only). NULL when out of
//  memory. Caller owns.
sq_codec_t *sq_codec_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_codec_destroy (sq_codec_t **self_p);
//  Append one message to the batch. Returns 0, or -1 when the message
//  cannot be encoded (unknown kind, negative task, tuple without a wire
//  stream, value count not the stream's field count, unknown value type,
//  string too long) or memory ran out; the batch is then left as it was.
int sq_codec_add (sq_codec_t *self, const sq_message_t *message);
//  Append count messages, all or none. Returns 0, or -1 as sq_codec_add
//  does and the batch is left as it was.
int sq_codec_encode_batch (sq_codec_t *self, const sq_message_t *messages, size_t count);
//  Number of messages in the batch.
size_t sq_codec_count (const sq_codec_t *self);
//  The encoded batch, ready to send; its size in *size_p. Owned by the
//  codec; valid until the next add, reset, detach or destroy.
const uint8_t *sq_codec_data (const sq_codec_t *self, size_t *size_p);
//  Hand the batch's bytes to the caller (for a zero-copy send), size in
//  *size_p, and start a new empty batch. Returns NULL when out of memory.
//  Caller owns the bytes and frees them with free().
uint8_t *sq_codec_detach (sq_codec_t *self, size_t *size_p);
//  Empty the batch, keeping the buffer's memory for the next one.
void sq_codec_reset (sq_codec_t *self);

//  Decode one batch. On success returns 0, stores a new array of the
//  messages in *messages_p (NULL when the batch is empty) and their number
//  in *count_p; caller owns both the array and the messages' tuples (free
//  them with sq_codec_messages_destroy). Returns SQ_EMALFORMED on malformed
//  input and SQ_ENOMEM when out of memory, with sq_last_error() saying what
//  and where, and *messages_p NULL, *count_p 0. Decoded tuples belong to
//  the stream that resolve (called with resolve_arg) returns for their
//  stream index; their dest_task is the message's task.
int sq_codec_decode_batch (const uint8_t *data, size_t size, sq_codec_resolve_fn *resolve,
                           void *resolve_arg, sq_message_t **messages_p, size_t *count_p);
//  Destroy the tuples of count messages and the array that holds them, as
//  sq_codec_decode_batch returned them. NULL-safe; nulls the caller's
//  pointer.
void sq_codec_messages_destroy (sq_message_t **messages_p, size_t count);

//  Fields-grouping hash of the values at indices[0 .. count - 1] (or of
//  values[0 .. count - 1] when indices is NULL): FNV-1a 64 over each
//  value's type tag and wire payload, then a final bit mix. Fixed and
//  seedless: the same in every process and on every platform. Doubles are
//  normalized first: -0.0 hashes as 0.0 and every NaN alike.
uint64_t sq_codec_hash_values (const sq_value_t *values, const int *indices, size_t count);
//  The same hash with the 8 bytes of seed (little-endian) fed first: a
//  family of fixed hashes, one per seed, for the partial key grouping.
uint64_t sq_codec_hash_values_seeded (const sq_value_t *values, const int *indices, size_t count,
                                      uint64_t seed);

#endif
