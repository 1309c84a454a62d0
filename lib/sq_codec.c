/*  sq_codec - the binary wire format for batches of messages between workers

    DESIGN: fixed-width fields are little-endian and written byte by byte,
    so the format does not depend on the host's byte order or alignment.
    Small unsigned numbers (tasks, stream indexes, counts, lengths) are
    LEB128 varints of at most five bytes, in their shortest form only, so
    one batch has one encoding. The decoder reads through s_reader_t, whose
    every read checks the bytes left first; a count is checked against the
    bytes left before anything is allocated for it, so a short hostile
    message cannot make the decoder allocate much more than its own size.
    See doc/wire.md for the grammar.
*/
#include "sq_codec.h"
#include "sq_error.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Wire constants; doc/wire.md is the reference.
#define S_MAGIC_0 0x53          //  'S'
#define S_MAGIC_1 0x51          //  'Q'
#define S_COUNT_OFFSET 3        //  where the header's message count sits
#define S_MIN_MESSAGE 6         //  smallest message: an empty tuple
#define S_EDGE_SIZE 16          //  root and edge id, 8 bytes each
#define S_ACKING_BODY 16        //  root and value, 8 bytes each
#define S_VARINT_MAX 5          //  longest varint the format allows
#define S_INITIAL_CAPACITY 4096 //  first buffer size of an encoder

//  Wire tags of value types. They happen to equal sq_type_t, but the wire
//  owns them: change sq_type_t and these stay.
#define S_TAG_NULL 0x00
#define S_TAG_INT 0x01
#define S_TAG_DOUBLE 0x02
#define S_TAG_STRING 0x03
#define S_TAG_BYTES 0x04
#define S_TAG_BOOL 0x05

struct _sq_codec_t {
    uint8_t *data;   //  the batch: header, then the messages added
    size_t size;     //  bytes used in data
    size_t capacity; //  bytes allocated for data
    uint32_t count;  //  messages in the batch
};

//  ---------------------------------------------------------------------
//  Byte order and varints, shared by the encoder and the hash

static void
s_put_u32 (uint8_t *target, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        target[i] = (uint8_t) (value >> (8 * i));
}

static void
s_put_u64 (uint8_t *target, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        target[i] = (uint8_t) (value >> (8 * i));
}

//  Writes value as a LEB128 varint into target (room for 10 bytes);
//  returns the number of bytes written.
static size_t
s_put_varint (uint8_t *target, uint64_t value)
{
    size_t size = 0;
    while (value >= 0x80) {
        target[size++] = (uint8_t) (value | 0x80);
        value >>= 7;
    }
    target[size++] = (uint8_t) value;
    return size;
}

static uint64_t
s_double_bits (double value)
{
    uint64_t bits;
    memcpy (&bits, &value, sizeof bits);
    return bits;
}

//  Wire tag of a value type, or -1 for a type the wire cannot carry.
static int
s_tag_of (sq_type_t type)
{
    switch (type) {
    case SQ_TYPE_NULL:
        return S_TAG_NULL;
    case SQ_TYPE_INT:
        return S_TAG_INT;
    case SQ_TYPE_DOUBLE:
        return S_TAG_DOUBLE;
    case SQ_TYPE_STRING:
        return S_TAG_STRING;
    case SQ_TYPE_BYTES:
        return S_TAG_BYTES;
    case SQ_TYPE_BOOL:
        return S_TAG_BOOL;
    }
    return -1;
}

//  Every kind but tuples: a task, a root and a value.
static bool
s_is_acking (uint32_t kind)
{
    return kind >= SQ_MSG_ACK_INIT && kind <= SQ_MSG_RESET_TIMEOUT;
}

//  ---------------------------------------------------------------------
//  Encoder

static void
s_write_header (sq_codec_t *self)
{
    self->data[0] = S_MAGIC_0;
    self->data[1] = S_MAGIC_1;
    self->data[2] = SQ_CODEC_VERSION;
    s_put_u32 (self->data + S_COUNT_OFFSET, 0);
    self->size = SQ_CODEC_HEADER_SIZE;
    self->count = 0;
}

sq_codec_t *
sq_codec_new (void)
{
    sq_codec_t *self = calloc (1, sizeof (sq_codec_t));
    if (!self)
        return NULL;
    self->data = malloc (S_INITIAL_CAPACITY);
    if (!self->data) {
        free (self);
        return NULL;
    }
    self->capacity = S_INITIAL_CAPACITY;
    s_write_header (self);
    return self;
}

void
sq_codec_destroy (sq_codec_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->data);
        free (*self_p);
        *self_p = NULL;
    }
}

//  Makes room for `more` bytes after size. Returns 0 or -1.
static int
s_reserve (sq_codec_t *self, size_t more)
{
    if (more <= self->capacity - self->size)
        return 0;
    if (more > SIZE_MAX / 2 - self->size)
        return sq_error_set ("wire: batch too large to encode");
    size_t capacity = self->capacity;
    while (capacity - self->size < more)
        capacity *= 2;
    uint8_t *data = realloc (self->data, capacity);
    if (!data)
        return sq_error_set ("wire: out of memory encoding a batch");
    self->data = data;
    self->capacity = capacity;
    return 0;
}

//  Bytes one message takes on the wire at most, to reserve once.
static size_t
s_message_bound (const sq_message_t *message)
{
    size_t bound = 1 + S_VARINT_MAX;
    if (message->kind != SQ_MSG_TUPLE)
        return bound + S_ACKING_BODY;
    const sq_tuple_t *tuple = message->tuple;
    bound += 3 * S_VARINT_MAX + 1 + (size_t) tuple->edge_count * S_EDGE_SIZE;
    for (size_t i = 0; i < tuple->value_count; i++) {
        bound += 1 + 8;
        sq_type_t type = tuple->values[i].type;
        if (type == SQ_TYPE_STRING || type == SQ_TYPE_BYTES)
            bound += S_VARINT_MAX + tuple->values[i].as.s.len;
    }
    return bound;
}

//  Checks that a message can go on the wire. Returns 0 or -1.
static int
s_check_message (const sq_message_t *message)
{
    if (message->kind != SQ_MSG_TUPLE && !s_is_acking (message->kind))
        return sq_error_set ("wire: cannot encode message kind %u", (unsigned) message->kind);
    if (message->task < 0)
        return sq_error_set ("wire: cannot encode task %d", (int) message->task);
    if (message->kind != SQ_MSG_TUPLE)
        return 0;
    const sq_tuple_t *tuple = message->tuple;
    if (!tuple || !tuple->stream)
        return sq_error_set ("wire: tuple message for task %d has no tuple or stream",
                             (int) message->task);
    const sq_stream_t *stream = tuple->stream;
    if (stream->index < 0)
        return sq_error_set ("wire: stream '%s' of '%s' has no wire index", stream->name,
                             stream->component);
    if (tuple->source_task < 0)
        return sq_error_set ("wire: cannot encode source task %d", (int) tuple->source_task);
    if (tuple->value_count > SQ_MAX_FIELDS || tuple->value_count != stream->field_count)
        return sq_error_set ("wire: tuple on stream '%s' has %u values, the stream %zu fields",
                             stream->name, (unsigned) tuple->value_count, stream->field_count);
    for (size_t i = 0; i < tuple->value_count; i++) {
        const sq_value_t *value = &tuple->values[i];
        if (s_tag_of (value->type) < 0)
            return sq_error_set ("wire: value %zu has unknown type %d", i, (int) value->type);
        if ((value->type == SQ_TYPE_STRING || value->type == SQ_TYPE_BYTES) &&
            value->as.s.len > UINT32_MAX)
            return sq_error_set ("wire: value %zu is too long (%zu bytes)", i, value->as.s.len);
    }
    return 0;
}

//  Appends the encoding of value; room was reserved.
static void
s_encode_value (sq_codec_t *self, const sq_value_t *value)
{
    uint8_t *cursor = self->data + self->size;
    *cursor++ = (uint8_t) s_tag_of (value->type);
    switch (value->type) {
    case SQ_TYPE_NULL:
        break;
    case SQ_TYPE_INT:
        s_put_u64 (cursor, (uint64_t) value->as.i);
        cursor += 8;
        break;
    case SQ_TYPE_DOUBLE:
        s_put_u64 (cursor, s_double_bits (value->as.d));
        cursor += 8;
        break;
    case SQ_TYPE_BOOL:
        *cursor++ = value->as.b ? 1 : 0;
        break;
    case SQ_TYPE_STRING:
    case SQ_TYPE_BYTES:
        cursor += s_put_varint (cursor, value->as.s.len);
        if (value->as.s.len)
            memcpy (cursor, value->as.s.ptr, value->as.s.len);
        cursor += value->as.s.len;
        break;
    }
    self->size = (size_t) (cursor - self->data);
}

int
sq_codec_add (sq_codec_t *self, const sq_message_t *message)
{
    assert (self);
    assert (message);
    if (s_check_message (message))
        return -1;
    if (self->count == UINT32_MAX)
        return sq_error_set ("wire: batch already holds %u messages", (unsigned) self->count);
    if (s_reserve (self, s_message_bound (message)))
        return -1;

    uint8_t *cursor = self->data + self->size;
    *cursor++ = (uint8_t) message->kind;
    cursor += s_put_varint (cursor, (uint64_t) message->task);
    if (message->kind == SQ_MSG_TUPLE) {
        const sq_tuple_t *tuple = message->tuple;
        cursor += s_put_varint (cursor, (uint64_t) tuple->stream->index);
        cursor += s_put_varint (cursor, (uint64_t) tuple->source_task);
        cursor += s_put_varint (cursor, tuple->edge_count);
        for (size_t i = 0; i < tuple->edge_count; i++) {
            s_put_u64 (cursor, tuple->edges[i].root);
            s_put_u64 (cursor + 8, tuple->edges[i].edge);
            cursor += S_EDGE_SIZE;
        }
        *cursor++ = (uint8_t) tuple->value_count;
        self->size = (size_t) (cursor - self->data);
        for (size_t i = 0; i < tuple->value_count; i++)
            s_encode_value (self, &tuple->values[i]);
    } else {
        s_put_u64 (cursor, message->root);
        s_put_u64 (cursor + 8, message->value);
        cursor += S_ACKING_BODY;
        self->size = (size_t) (cursor - self->data);
    }
    self->count++;
    s_put_u32 (self->data + S_COUNT_OFFSET, self->count);
    return 0;
}

int
sq_codec_encode_batch (sq_codec_t *self, const sq_message_t *messages, size_t count)
{
    assert (self);
    assert (messages || count == 0);
    size_t size = self->size;
    uint32_t prior = self->count;
    for (size_t i = 0; i < count; i++) {
        if (sq_codec_add (self, &messages[i])) {
            self->size = size;
            self->count = prior;
            s_put_u32 (self->data + S_COUNT_OFFSET, prior);
            return -1;
        }
    }
    return 0;
}

size_t
sq_codec_count (const sq_codec_t *self)
{
    assert (self);
    return self->count;
}

const uint8_t *
sq_codec_data (const sq_codec_t *self, size_t *size_p)
{
    assert (self);
    assert (size_p);
    *size_p = self->size;
    return self->data;
}

uint8_t *
sq_codec_detach (sq_codec_t *self, size_t *size_p)
{
    assert (self);
    assert (size_p);
    uint8_t *fresh = malloc (S_INITIAL_CAPACITY);
    if (!fresh) {
        sq_error_set ("wire: out of memory detaching a batch");
        return NULL;
    }
    uint8_t *batch = self->data;
    *size_p = self->size;
    self->data = fresh;
    self->capacity = S_INITIAL_CAPACITY;
    s_write_header (self);
    return batch;
}

void
sq_codec_reset (sq_codec_t *self)
{
    assert (self);
    s_write_header (self);
}

//  ---------------------------------------------------------------------
//  Decoder

typedef struct {
    const uint8_t *data; //  the batch
    size_t size;         //  bytes in data
    size_t pos;          //  offset of the next byte to read
} s_reader_t;

static size_t
s_left (const s_reader_t *reader)
{
    return reader->size - reader->pos;
}

//  Names the problem and its offset; returns SQ_EMALFORMED. Every reader
//  returns 0, or SQ_EMALFORMED through here.
static int __attribute__ ((format (printf, 3, 4)))
s_malformed (const s_reader_t *reader, size_t offset, const char *format, ...)
{
    char what[256];
    va_list args;
    va_start (args, format);
    vsnprintf (what, sizeof what, format, args);
    va_end (args);
    return sq_error_set_code (SQ_EMALFORMED, "wire: malformed batch: %s at byte %zu of %zu", what,
                              offset, reader->size);
}

static int
s_read_u8 (s_reader_t *reader, const char *what, uint8_t *value_p)
{
    if (s_left (reader) < 1)
        return s_malformed (reader, reader->pos, "truncated %s", what);
    *value_p = reader->data[reader->pos++];
    return 0;
}

static int
s_read_u64 (s_reader_t *reader, const char *what, uint64_t *value_p)
{
    if (s_left (reader) < 8)
        return s_malformed (reader, reader->pos, "truncated %s", what);
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = value << 8 | reader->data[reader->pos + (size_t) i];
    reader->pos += 8;
    *value_p = value;
    return 0;
}

//  Reads a varint in its shortest form, of at most `limit`.
static int
s_read_varint (s_reader_t *reader, const char *what, uint64_t limit, uint64_t *value_p)
{
    size_t start = reader->pos;
    uint64_t value = 0;
    for (int i = 0; i < S_VARINT_MAX; i++) {
        if (s_left (reader) < 1)
            return s_malformed (reader, reader->pos, "truncated %s", what);
        uint8_t byte = reader->data[reader->pos++];
        value |= (uint64_t) (byte & 0x7F) << (7 * i);
        if (!(byte & 0x80)) {
            if (byte == 0 && i > 0)
                return s_malformed (reader, start, "%s not in its shortest form", what);
            if (value > limit)
                return s_malformed (reader, start, "%s %llu out of range", what,
                                    (unsigned long long) value);
            *value_p = value;
            return 0;
        }
    }
    return s_malformed (reader, start, "%s longer than 5 bytes", what);
}

//  Reads one value into *value; strings and bytes point into the batch.
static int
s_decode_value (s_reader_t *reader, sq_value_t *value)
{
    size_t start = reader->pos;
    uint8_t tag = 0;
    if (s_read_u8 (reader, "value type", &tag))
        return SQ_EMALFORMED;
    uint64_t bits = 0;
    uint8_t byte = 0;
    switch (tag) {
    case S_TAG_NULL:
        *value = sq_null ();
        return 0;
    case S_TAG_INT:
        if (s_read_u64 (reader, "int value", &bits))
            return SQ_EMALFORMED;
        *value = sq_int ((int64_t) bits);
        return 0;
    case S_TAG_DOUBLE: {
        if (s_read_u64 (reader, "double value", &bits))
            return SQ_EMALFORMED;
        double d;
        memcpy (&d, &bits, sizeof d);
        *value = sq_double (d);
        return 0;
    }
    case S_TAG_BOOL:
        if (s_read_u8 (reader, "bool value", &byte))
            return SQ_EMALFORMED;
        if (byte > 1)
            return s_malformed (reader, reader->pos - 1, "bool value neither 0 nor 1");
        *value = sq_bool (byte == 1);
        return 0;
    case S_TAG_STRING:
    case S_TAG_BYTES: {
        size_t len_at = reader->pos;
        uint64_t len = 0;
        if (s_read_varint (reader, "value length", UINT32_MAX, &len))
            return SQ_EMALFORMED;
        if (len > s_left (reader))
            return s_malformed (reader, len_at, "value length %llu beyond the end",
                                (unsigned long long) len);
        const char *ptr = (const char *) reader->data + reader->pos;
        reader->pos += (size_t) len;
        *value = tag == S_TAG_STRING ? sq_strn (ptr, (size_t) len) : sq_bytes (ptr, (size_t) len);
        return 0;
    }
    default:
        return s_malformed (reader, start, "unknown value type %u", (unsigned) tag);
    }
}

//  Decoding state of one batch: the scratch memory tuples are built from.
typedef struct {
    sq_codec_resolve_fn *resolve;     //  stream index -> schema
    void *resolve_arg;                //  argument for resolve
    sq_edge_t *edges;                 //  scratch edges, edge_capacity of them
    size_t edge_capacity;             //  room in edges
    sq_value_t values[SQ_MAX_FIELDS]; //  scratch values
} s_decoder_t;

//  Reads the tuple of a tuple message for task into message->tuple.
static int
s_decode_tuple (s_decoder_t *decoder, s_reader_t *reader, int task, sq_message_t *message)
{
    size_t start = reader->pos;
    uint64_t index = 0, source = 0, edge_count = 0;
    if (s_read_varint (reader, "stream index", SQ_CODEC_MAX_INDEX, &index))
        return SQ_EMALFORMED;
    const sq_stream_t *stream = decoder->resolve ((int) index, decoder->resolve_arg);
    if (!stream)
        return s_malformed (reader, start, "unknown stream index %llu", (unsigned long long) index);
    if (s_read_varint (reader, "source task", SQ_CODEC_MAX_INDEX, &source))
        return SQ_EMALFORMED;
    size_t count_at = reader->pos;
    if (s_read_varint (reader, "edge count", SQ_CODEC_MAX_EDGES, &edge_count))
        return SQ_EMALFORMED;
    if (edge_count > s_left (reader) / S_EDGE_SIZE)
        return s_malformed (reader, count_at, "%llu edges cannot fit in %zu bytes",
                            (unsigned long long) edge_count, s_left (reader));
    if (edge_count > decoder->edge_capacity) {
        sq_edge_t *edges = realloc (decoder->edges, (size_t) edge_count * sizeof (sq_edge_t));
        if (!edges)
            return sq_error_set_code (SQ_ENOMEM, "wire: out of memory decoding %u edges",
                                      (unsigned) edge_count);
        decoder->edges = edges;
        decoder->edge_capacity = (size_t) edge_count;
    }
    //  The count check above guarantees these reads succeed.
    for (size_t i = 0; i < edge_count; i++) {
        s_read_u64 (reader, "edge", &decoder->edges[i].root);
        s_read_u64 (reader, "edge", &decoder->edges[i].edge);
    }
    count_at = reader->pos;
    uint8_t value_count = 0;
    if (s_read_u8 (reader, "value count", &value_count))
        return SQ_EMALFORMED;
    if (value_count != stream->field_count)
        return s_malformed (reader, count_at, "%u values for stream '%s' of %zu fields",
                            (unsigned) value_count, stream->name, stream->field_count);
    for (size_t i = 0; i < value_count; i++)
        if (s_decode_value (reader, &decoder->values[i]))
            return SQ_EMALFORMED;
    message->tuple = sq_tuple_new (stream, (int) source, task, decoder->edges, (size_t) edge_count,
                                   decoder->values, value_count);
    if (!message->tuple)
        return sq_error_set_code (SQ_ENOMEM, "wire: out of memory decoding a tuple");
    return 0;
}

//  Reads one message into *message.
static int
s_decode_message (s_decoder_t *decoder, s_reader_t *reader, sq_message_t *message)
{
    size_t start = reader->pos;
    uint8_t kind = 0;
    if (s_read_u8 (reader, "message kind", &kind))
        return SQ_EMALFORMED;
    //  Checked before the rest is read, so an older build refuses a kind
    //  added later instead of misreading it (doc/wire.md, Versions).
    if (kind != SQ_MSG_TUPLE && !s_is_acking (kind))
        return s_malformed (reader, start, "unknown message kind %u", (unsigned) kind);
    uint64_t task = 0;
    if (s_read_varint (reader, "task", SQ_CODEC_MAX_INDEX, &task))
        return SQ_EMALFORMED;
    message->kind = kind;
    message->task = (int32_t) task;
    if (kind == SQ_MSG_TUPLE)
        return s_decode_tuple (decoder, reader, (int) task, message);
    if (s_read_u64 (reader, "root id", &message->root) ||
        s_read_u64 (reader, "acking value", &message->value))
        return SQ_EMALFORMED;
    return 0;
}

int
sq_codec_decode_batch (const uint8_t *data, size_t size, sq_codec_resolve_fn *resolve,
                       void *resolve_arg, sq_message_t **messages_p, size_t *count_p)
{
    assert (data || size == 0);
    assert (resolve);
    assert (messages_p);
    assert (count_p);
    *messages_p = NULL;
    *count_p = 0;

    s_reader_t reader = {data, size, 0};
    uint8_t magic_0 = 0, magic_1 = 0, version = 0;
    if (s_read_u8 (&reader, "header", &magic_0) || s_read_u8 (&reader, "header", &magic_1))
        return SQ_EMALFORMED;
    if (magic_0 != S_MAGIC_0 || magic_1 != S_MAGIC_1)
        return s_malformed (&reader, 0, "bad magic (not a Squall batch)");
    if (s_read_u8 (&reader, "header", &version))
        return SQ_EMALFORMED;
    if (version != SQ_CODEC_VERSION)
        return s_malformed (&reader, 2, "unsupported version %u (this build reads %u)",
                            (unsigned) version, (unsigned) SQ_CODEC_VERSION);
    if (s_left (&reader) < 4)
        return s_malformed (&reader, reader.pos, "truncated header");
    uint32_t count = 0;
    for (int i = 3; i >= 0; i--)
        count = count << 8 | reader.data[reader.pos + (size_t) i];
    reader.pos += 4;
    if (count > s_left (&reader) / S_MIN_MESSAGE)
        return s_malformed (&reader, S_COUNT_OFFSET, "%u messages cannot fit in %zu bytes",
                            (unsigned) count, s_left (&reader));
    if (count == 0) {
        if (s_left (&reader))
            return s_malformed (&reader, reader.pos, "trailing bytes after the last message");
        return 0;
    }

    sq_message_t *messages = calloc (count, sizeof (sq_message_t));
    s_decoder_t *decoder = calloc (1, sizeof (s_decoder_t));
    if (!messages || !decoder) {
        free (messages);
        free (decoder);
        return sq_error_set_code (SQ_ENOMEM, "wire: out of memory decoding %u messages",
                                  (unsigned) count);
    }
    decoder->resolve = resolve;
    decoder->resolve_arg = resolve_arg;
    int rc = 0;
    size_t decoded = 0;
    while (decoded < count && rc == 0) {
        rc = s_decode_message (decoder, &reader, &messages[decoded]);
        if (rc == 0)
            decoded++;
    }
    if (rc == 0 && s_left (&reader))
        rc = s_malformed (&reader, reader.pos, "trailing bytes after the last message");
    free (decoder->edges);
    free (decoder);
    if (rc) {
        sq_codec_messages_destroy (&messages, decoded);
        return rc;
    }
    *messages_p = messages;
    *count_p = count;
    return 0;
}

void
sq_codec_messages_destroy (sq_message_t **messages_p, size_t count)
{
    if (messages_p && *messages_p) {
        sq_message_t *messages = *messages_p;
        for (size_t i = 0; i < count; i++)
            sq_tuple_destroy (&messages[i].tuple);
        free (messages);
        *messages_p = NULL;
    }
}

//  ---------------------------------------------------------------------
//  Fields-grouping hash

#define S_FNV_OFFSET 0xcbf29ce484222325ULL //  FNV-1a 64 offset basis
#define S_FNV_PRIME 0x100000001b3ULL       //  FNV-1a 64 prime

static uint64_t
s_fnv (uint64_t hash, const void *bytes, size_t size)
{
    const uint8_t *byte = bytes;
    for (size_t i = 0; i < size; i++) {
        hash ^= byte[i];
        hash *= S_FNV_PRIME;
    }
    return hash;
}

//  Spreads FNV's weak high-to-low mixing over all 64 bits, so that
//  hash % tasks is even for small task counts.
static uint64_t
s_finish (uint64_t hash)
{
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    hash *= 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 33;
    return hash;
}

static uint64_t
s_hash_values (uint64_t hash, const sq_value_t *values, const int *indices, size_t count)
{
    assert (values || count == 0);
    uint8_t scratch[10];
    for (size_t i = 0; i < count; i++) {
        assert (!indices || indices[i] >= 0);
        const sq_value_t *value = &values[indices ? (size_t) indices[i] : i];
        int tag = s_tag_of (value->type);
        uint8_t tag_byte = (uint8_t) (tag < 0 ? 0xFF : tag);
        hash = s_fnv (hash, &tag_byte, 1);
        switch (value->type) {
        case SQ_TYPE_NULL:
            break;
        case SQ_TYPE_INT:
            s_put_u64 (scratch, (uint64_t) value->as.i);
            hash = s_fnv (hash, scratch, 8);
            break;
        case SQ_TYPE_DOUBLE: {
            double d = value->as.d;
            uint64_t bits = isnan (d) ? 0x7ff8000000000000ULL : s_double_bits (d == 0 ? 0.0 : d);
            s_put_u64 (scratch, bits);
            hash = s_fnv (hash, scratch, 8);
            break;
        }
        case SQ_TYPE_BOOL:
            scratch[0] = value->as.b ? 1 : 0;
            hash = s_fnv (hash, scratch, 1);
            break;
        case SQ_TYPE_STRING:
        case SQ_TYPE_BYTES:
            hash = s_fnv (hash, scratch, s_put_varint (scratch, value->as.s.len));
            if (value->as.s.len)
                hash = s_fnv (hash, value->as.s.ptr, value->as.s.len);
            break;
        }
    }
    return s_finish (hash);
}

uint64_t
sq_codec_hash_values (const sq_value_t *values, const int *indices, size_t count)
{
    return s_hash_values (S_FNV_OFFSET, values, indices, count);
}

uint64_t
sq_codec_hash_values_seeded (const sq_value_t *values, const int *indices, size_t count,
                             uint64_t seed)
{
    uint8_t seed_bytes[8];
    s_put_u64 (seed_bytes, seed);
    return s_hash_values (s_fnv (S_FNV_OFFSET, seed_bytes, 8), values, indices, count);
}
