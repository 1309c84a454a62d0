/*  test_codec - the wire codec: round trips, hostile input, the grouping hash */
#include "sq_codec.h"
#include "test_guard.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---------------------------------------------------------------------
//  Fixture: a topology's streams, resolved by index

#define STREAM_COUNT 5
static sq_stream_t *s_streams[STREAM_COUNT]; //  index i holds stream i

static const sq_stream_t *
s_resolve (int index, void *arg)
{
    (void) arg;
    return index >= 0 && index < STREAM_COUNT ? s_streams[index] : NULL;
}

static void
s_setup (void)
{
    s_streams[0] = sq_stream_new ("spout", "default", "word");
    s_streams[1] = sq_stream_new ("split", "default", "word,count");
    s_streams[2] = sq_stream_new ("mixed", "all", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p");
    //  255 fields: f0 .. f254
    char fields[255 * 6] = "";
    size_t used = 0;
    for (int i = 0; i < 255; i++)
        used += (size_t) snprintf (fields + used, sizeof fields - used, "%sf%d", i ? "," : "", i);
    s_streams[3] = sq_stream_new ("wide", "wide", fields);
    s_streams[4] = sq_stream_new ("empty", "nothing", "");
    for (int i = 0; i < STREAM_COUNT; i++) {
        ck_assert_ptr_nonnull (s_streams[i]);
        s_streams[i]->index = i;
    }
    ck_assert_uint_eq (s_streams[3]->field_count, 255);
    ck_assert_uint_eq (s_streams[4]->field_count, 0);
}

static void
s_teardown (void)
{
    for (int i = 0; i < STREAM_COUNT; i++)
        sq_stream_destroy (&s_streams[i]);
}

//  Deterministic generator for fuzzing (xorshift64*), fixed seed per test.
static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

//  Hash of all the values, for use with SQ_VALUES.
static uint64_t
s_hash_all (const sq_value_t *values, size_t count)
{
    return sq_codec_hash_values (values, NULL, count);
}

static sq_message_t
s_tuple_message (int task, const sq_stream_t *stream, int source, const sq_edge_t *edges,
                 size_t edge_count, const sq_value_t *values, size_t value_count)
{
    sq_message_t message = {.kind = SQ_MSG_TUPLE, .task = task};
    message.tuple = sq_tuple_new (stream, source, task, edges, edge_count, values, value_count);
    ck_assert_ptr_nonnull (message.tuple);
    return message;
}

static void
s_assert_value_eq (const sq_value_t *a, const sq_value_t *b)
{
    ck_assert_int_eq (a->type, b->type);
    switch (a->type) {
    case SQ_TYPE_NULL:
        break;
    case SQ_TYPE_INT:
        ck_assert_int_eq (a->as.i, b->as.i);
        break;
    case SQ_TYPE_DOUBLE:
        ck_assert (memcmp (&a->as.d, &b->as.d, sizeof (double)) == 0);
        break;
    case SQ_TYPE_BOOL:
        ck_assert (a->as.b == b->as.b);
        break;
    case SQ_TYPE_STRING:
    case SQ_TYPE_BYTES:
        ck_assert_uint_eq (a->as.s.len, b->as.s.len);
        ck_assert (a->as.s.len == 0 || memcmp (a->as.s.ptr, b->as.s.ptr, a->as.s.len) == 0);
        ck_assert_int_eq (b->as.s.ptr[b->as.s.len], 0);
        break;
    }
}

static void
s_assert_message_eq (const sq_message_t *a, const sq_message_t *b)
{
    ck_assert_uint_eq (a->kind, b->kind);
    ck_assert_int_eq (a->task, b->task);
    if (a->kind != SQ_MSG_TUPLE) {
        ck_assert_uint_eq (a->root, b->root);
        ck_assert_uint_eq (a->value, b->value);
        ck_assert_ptr_null (b->tuple);
        return;
    }
    const sq_tuple_t *x = a->tuple, *y = b->tuple;
    ck_assert_ptr_eq (x->stream, y->stream);
    ck_assert_int_eq (x->source_task, y->source_task);
    ck_assert_int_eq (y->dest_task, a->task);
    ck_assert_uint_eq (y->ack_val, 0);
    ck_assert_uint_eq (y->state, 0);
    ck_assert_uint_eq (x->edge_count, y->edge_count);
    for (size_t i = 0; i < x->edge_count; i++) {
        ck_assert_uint_eq (x->edges[i].root, y->edges[i].root);
        ck_assert_uint_eq (x->edges[i].edge, y->edges[i].edge);
    }
    ck_assert_uint_eq (x->value_count, y->value_count);
    for (size_t i = 0; i < x->value_count; i++)
        s_assert_value_eq (&x->values[i], &y->values[i]);
}

//  Encodes messages, decodes them, checks the copy, frees everything.
static void
s_round_trip (sq_message_t *messages, size_t count)
{
    sq_codec_t *codec = sq_codec_new ();
    ck_assert_ptr_nonnull (codec);
    ck_assert_int_eq (sq_codec_encode_batch (codec, messages, count), 0);
    ck_assert_uint_eq (sq_codec_count (codec), count);
    size_t size;
    const uint8_t *encoded = sq_codec_data (codec, &size);
    const uint8_t *data = test_guard_copy (encoded, size);
    sq_message_t *decoded;
    size_t decoded_count;
    int rc = sq_codec_decode_batch (data, size, s_resolve, NULL, &decoded, &decoded_count);
    test_guard_free (&data, size); //  the decoded tuples own their bytes
    ck_assert_msg (rc == 0, "decode failed: %s", sq_last_error ());
    ck_assert_uint_eq (decoded_count, count);
    for (size_t i = 0; i < count; i++)
        s_assert_message_eq (&messages[i], &decoded[i]);
    sq_codec_messages_destroy (&decoded, decoded_count);
    ck_assert_ptr_null (decoded);
    sq_codec_destroy (&codec);
    ck_assert_ptr_null (codec);
    for (size_t i = 0; i < count; i++)
        sq_tuple_destroy (&messages[i].tuple);
}

//  The last decode error must name a place inside the input it was given:
//  "... at byte N of M" with N <= M and M the input's size. A decoder that
//  read past the end reports a place past it (or faults on the guard page
//  first).
static void
s_assert_offset_inside (size_t size)
{
    const char *error = sq_last_error ();
    const char *at = strstr (error, " at byte ");
    ck_assert_msg (at, "error '%s' names no offset", error);
    unsigned long long offset = 0, total = 0;
    ck_assert_msg (sscanf (at, " at byte %llu of %llu", &offset, &total) == 2,
                   "error '%s' names no 'at byte N of M'", error);
    ck_assert_msg (total == size && offset <= size, "error '%s' for an input of %zu bytes", error,
                   size);
}

//  Decodes a guarded copy (test_guard.h) of bytes that must be rejected;
//  checks SQ_EMALFORMED, nothing returned, and an error naming a place inside them.
static void
s_assert_malformed (const uint8_t *data, size_t size, const char *expected_error)
{
    const uint8_t *copy = test_guard_copy (data, size);
    sq_message_t *decoded = (sq_message_t *) 1;
    size_t count = 99;
    int rc = sq_codec_decode_batch (copy, size, s_resolve, NULL, &decoded, &count);
    test_guard_free (&copy, size);
    ck_assert_int_eq (rc, SQ_EMALFORMED);
    ck_assert_ptr_null (decoded);
    ck_assert_uint_eq (count, 0);
    s_assert_offset_inside (size);
    if (expected_error)
        ck_assert_msg (strstr (sq_last_error (), expected_error), "error '%s' lacks '%s'",
                       sq_last_error (), expected_error);
}

//  Decodes a guarded copy of bytes that may or may not be valid: never
//  anything but 0 or SQ_EMALFORMED, never a read past the end. What decodes must
//  encode back to the same bytes (one encoding per batch); what does not
//  must say where. Returns the decoder's return code.
static int
s_decode_anything (const uint8_t *data, size_t size)
{
    const uint8_t *copy = test_guard_copy (data, size);
    sq_message_t *decoded;
    size_t count;
    int rc = sq_codec_decode_batch (copy, size, s_resolve, NULL, &decoded, &count);
    test_guard_free (&copy, size); //  the decoded tuples own their bytes
    ck_assert (rc == 0 || rc == SQ_EMALFORMED);
    if (rc == SQ_EMALFORMED) {
        ck_assert_ptr_null (decoded);
        s_assert_offset_inside (size);
        return rc;
    }
    sq_codec_t *codec = sq_codec_new ();
    ck_assert_int_eq (sq_codec_encode_batch (codec, decoded, count), 0);
    size_t again_size;
    const uint8_t *again = sq_codec_data (codec, &again_size);
    ck_assert_uint_eq (again_size, size);
    ck_assert (memcmp (again, data, size) == 0);
    sq_codec_destroy (&codec);
    sq_codec_messages_destroy (&decoded, count);
    return rc;
}

//  A batch of a bit of everything, for the hostile-input tests. Caller
//  frees with free().
static uint8_t *
s_sample_batch (size_t *size_p)
{
    sq_edge_t edges[] = {{0x1111, 0x2222}, {0x3333, 0x4444}};
    sq_message_t messages[4];
    messages[0] =
        s_tuple_message (3, s_streams[1], 2, edges, 2, SQ_VALUES (sq_str ("hello"), sq_int (7)));
    messages[1] = (sq_message_t){.kind = SQ_MSG_ACK_ACK, .task = 9, .root = 55, .value = 66};
    messages[2] = s_tuple_message (4, s_streams[2], 1, edges, 1,
                                   SQ_VALUES (sq_null (), sq_int (-1), sq_double (2.5),
                                              sq_bool (true), sq_bytes ("a\0b", 3), sq_str (""),
                                              sq_int (INT64_MIN), sq_double (NAN), sq_bool (false),
                                              sq_null (), sq_str ("x"), sq_int (0), sq_int (1),
                                              sq_int (300), sq_bytes ("", 0), sq_double (-0.0)));
    messages[3] = s_tuple_message (5, s_streams[4], 1, NULL, 0, NULL, 0);
    sq_codec_t *codec = sq_codec_new ();
    ck_assert_int_eq (sq_codec_encode_batch (codec, messages, 4), 0);
    uint8_t *batch = sq_codec_detach (codec, size_p);
    ck_assert_ptr_nonnull (batch);
    sq_codec_destroy (&codec);
    for (int i = 0; i < 4; i++)
        sq_tuple_destroy (&messages[i].tuple);
    return batch;
}

//  ---------------------------------------------------------------------
//  Round trips

START_TEST (test_every_value_type)
{
    char nul_bytes[] = {'a', 0, 'b', 0, 0};
    sq_value_t values[][16] = {
        {sq_null (), sq_int (0), sq_int (INT64_MIN), sq_int (INT64_MAX), sq_int (-1),
         sq_double (0.0), sq_double (-0.0), sq_double (NAN), sq_double (INFINITY),
         sq_double (-INFINITY), sq_double (DBL_MIN), sq_double (DBL_MAX), sq_bool (true),
         sq_bool (false), sq_str (""), sq_bytes ("", 0)},
        {sq_str ("h\xc3\xa9llo w\xc3\xb6rld"), sq_bytes (nul_bytes, sizeof nul_bytes),
         sq_strn ("with\0nul", 8), sq_double (-1.5e-300), sq_double (4.9e-324), sq_int (127),
         sq_int (128), sq_int (-128), sq_int (1LL << 40), sq_null (), sq_null (), sq_bool (1),
         sq_str ("a"), sq_bytes ("\xff\xfe", 2), sq_double (1.0 / 3.0), sq_int (42)},
    };
    sq_message_t messages[2];
    for (int i = 0; i < 2; i++)
        messages[i] = s_tuple_message (1 + i, s_streams[2], 7, NULL, 0, values[i], 16);
    s_round_trip (messages, 2);
}
END_TEST

START_TEST (test_long_values)
{
    //  Lengths around the varint steps: 127/128 and 16383/16384 bytes.
    size_t lengths[] = {127, 128, 16383, 16384, 100000};
    char *text = malloc (100000);
    memset (text, 'z', 100000);
    sq_message_t messages[5];
    for (int i = 0; i < 5; i++)
        messages[i] = s_tuple_message (
            2, s_streams[1], 1, NULL, 0,
            SQ_VALUES (sq_strn (text, lengths[i]), sq_bytes (text, lengths[4 - i])));
    s_round_trip (messages, 5);
    free (text);
}
END_TEST

START_TEST (test_255_values)
{
    sq_value_t values[255];
    char text[255][16];
    for (int i = 0; i < 255; i++) {
        snprintf (text[i], sizeof text[i], "v%d", i);
        values[i] = i % 3 == 0 ? sq_int (i) : i % 3 == 1 ? sq_str (text[i]) : sq_double (i / 2.0);
    }
    sq_message_t message = s_tuple_message (12, s_streams[3], 11, NULL, 0, values, 255);
    s_round_trip (&message, 1);
}
END_TEST

START_TEST (test_edges)
{
    sq_edge_t edges[300];
    for (int i = 0; i < 300; i++)
        edges[i] = (sq_edge_t){.root = UINT64_MAX - (uint64_t) i, .edge = (uint64_t) i * 0x9e37};
    sq_message_t messages[4];
    messages[0] = s_tuple_message (1, s_streams[0], 2, NULL, 0, SQ_VALUES (sq_str ("none")));
    messages[1] = s_tuple_message (1, s_streams[0], 2, edges, 1, SQ_VALUES (sq_str ("one")));
    messages[2] = s_tuple_message (1, s_streams[0], 2, edges, 3, SQ_VALUES (sq_str ("three")));
    messages[3] = s_tuple_message (1, s_streams[0], 2, edges, 300, SQ_VALUES (sq_str ("many")));
    s_round_trip (messages, 4);
}
END_TEST

START_TEST (test_acking_messages)
{
    sq_message_t messages[] = {
        {.kind = SQ_MSG_ACK_INIT, .task = 1, .root = 0xdeadbeefcafef00dULL, .value = 1},
        {.kind = SQ_MSG_ACK_ACK, .task = 2, .root = 1, .value = UINT64_MAX},
        {.kind = SQ_MSG_ACK_FAIL, .task = 3, .root = 0x8000000000000000ULL},
        {.kind = SQ_MSG_TREE_DONE, .task = 0x7fffffff, .root = 42},
        {.kind = SQ_MSG_TREE_FAILED, .task = 0, .root = 43},
        {.kind = SQ_MSG_BACKPRESSURE, .task = 0, .root = 44, .value = 1},
        {.kind = SQ_MSG_RESET_TIMEOUT, .task = 65535, .root = 0xfffffffffffffffcULL},
    };
    s_round_trip (messages, sizeof messages / sizeof messages[0]);
}
END_TEST

START_TEST (test_many_messages)
{
    size_t count = 20000;
    sq_message_t *messages = calloc (count, sizeof (sq_message_t));
    uint64_t state = 0x5eed;
    char word[32];
    for (size_t i = 0; i < count; i++) {
        uint64_t r = s_random (&state);
        if (r % 3 == 0) {
            messages[i] = (sq_message_t){.kind = (uint32_t) (SQ_MSG_ACK_INIT + r % 7),
                                         .task = (int32_t) (r % 1000),
                                         .root = s_random (&state),
                                         .value = s_random (&state)};
            continue;
        }
        snprintf (word, sizeof word, "word-%llu", (unsigned long long) (r % 100000));
        sq_edge_t edge = {s_random (&state), s_random (&state)};
        messages[i] = s_tuple_message ((int) (r % 70000), s_streams[1], (int) (i % 50), &edge,
                                       r % 2, SQ_VALUES (sq_str (word), sq_int ((int64_t) r)));
    }
    s_round_trip (messages, count);
    free (messages);
}
END_TEST

START_TEST (test_empty_batch)
{
    sq_codec_t *codec = sq_codec_new ();
    size_t size;
    const uint8_t *data = sq_codec_data (codec, &size);
    ck_assert_uint_eq (size, SQ_CODEC_HEADER_SIZE);
    sq_message_t *decoded = (sq_message_t *) 1;
    size_t count = 99;
    ck_assert_int_eq (sq_codec_decode_batch (data, size, s_resolve, NULL, &decoded, &count), 0);
    ck_assert_ptr_null (decoded);
    ck_assert_uint_eq (count, 0);
    sq_codec_messages_destroy (&decoded, count);
    sq_codec_destroy (&codec);
    sq_codec_destroy (&codec);
    sq_codec_destroy (NULL);
}
END_TEST

//  The exact bytes of a small batch, as doc/wire.md shows them: a change
//  of the format must change the version byte and this test.
START_TEST (test_golden_bytes)
{
    sq_edge_t edge = {0x0102030405060708ULL, 0x1112131415161718ULL};
    sq_message_t messages[2];
    messages[0] =
        s_tuple_message (7, s_streams[1], 300, &edge, 1, SQ_VALUES (sq_str ("hi"), sq_int (-2)));
    messages[1] = (sq_message_t){.kind = SQ_MSG_ACK_ACK, .task = 1, .root = 5, .value = 6};
    sq_codec_t *codec = sq_codec_new ();
    ck_assert_int_eq (sq_codec_encode_batch (codec, messages, 2), 0);
    static const uint8_t expected[] = {
        'S',  'Q',  0x01, 0x02, 0x00, 0x00, 0x00, //  header: v1, 2 messages
        0x01, 0x07, 0x01, 0xac, 0x02, 0x01,       //  tuple, task 7, stream 1, source 300, 1 edge
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,       //  root
        0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,       //  edge
        0x02,                                                 //  2 values
        0x03, 0x02, 'h',  'i',                                //  string "hi"
        0x01, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, //  int -2
        0x03, 0x01,                                           //  ack, task 1
        0x05, 0,    0,    0,    0,    0,    0,    0,          //  root 5
        0x06, 0,    0,    0,    0,    0,    0,    0,          //  value 6
    };
    size_t size;
    const uint8_t *data = sq_codec_data (codec, &size);
    ck_assert_uint_eq (size, sizeof expected);
    ck_assert (memcmp (data, expected, size) == 0);
    sq_codec_destroy (&codec);
    sq_tuple_destroy (&messages[0].tuple);
}
END_TEST

//  The second example of doc/wire.md: kind 8, added to version 1 after
//  its first release, laid out as every acking message.
START_TEST (test_golden_reset_timeout)
{
    sq_message_t message = {
        .kind = SQ_MSG_RESET_TIMEOUT, .task = 200, .root = 0x0102030405060708ULL, .value = 0};
    sq_codec_t *codec = sq_codec_new ();
    ck_assert_int_eq (sq_codec_encode_batch (codec, &message, 1), 0);
    static const uint8_t expected[] = {
        'S',  'Q',  0x01, 0x01, 0x00, 0x00, 0x00,       //  header: v1, 1 message
        0x08, 0xc8, 0x01,                               //  RESET_TIMEOUT, task 200
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, //  root
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //  value 0
    };
    size_t size;
    const uint8_t *data = sq_codec_data (codec, &size);
    ck_assert_uint_eq (size, sizeof expected);
    ck_assert (memcmp (data, expected, size) == 0);
    sq_message_t *decoded;
    size_t count;
    ck_assert_int_eq (
        sq_codec_decode_batch (expected, sizeof expected, s_resolve, NULL, &decoded, &count), 0);
    ck_assert_uint_eq (count, 1);
    ck_assert_uint_eq (decoded[0].kind, SQ_MSG_RESET_TIMEOUT);
    ck_assert_int_eq (decoded[0].task, 200);
    ck_assert_uint_eq (decoded[0].root, message.root);
    sq_codec_messages_destroy (&decoded, count);
    sq_codec_destroy (&codec);
}
END_TEST

//  ---------------------------------------------------------------------
//  Encoder

START_TEST (test_encoder_rejects)
{
    sq_codec_t *codec = sq_codec_new ();
    sq_message_t good = s_tuple_message (1, s_streams[0], 1, NULL, 0, SQ_VALUES (sq_str ("a")));
    ck_assert_int_eq (sq_codec_add (codec, &good), 0);
    size_t size_before;
    sq_codec_data (codec, &size_before);

    sq_message_t bad_kind = {.kind = 99, .task = 1};
    ck_assert_int_eq (sq_codec_add (codec, &bad_kind), -1);
    ck_assert (strstr (sq_last_error (), "kind 99"));
    sq_message_t negative = {.kind = SQ_MSG_ACK_ACK, .task = -3};
    ck_assert_int_eq (sq_codec_add (codec, &negative), -1);
    sq_message_t no_tuple = {.kind = SQ_MSG_TUPLE, .task = 1};
    ck_assert_int_eq (sq_codec_add (codec, &no_tuple), -1);
    //  Tick tuples (stream index -1) never cross the wire.
    sq_message_t tick =
        s_tuple_message (1, sq_tuple_tick_stream (), 0, NULL, 0, SQ_VALUES (sq_int (1)));
    ck_assert_int_eq (sq_codec_add (codec, &tick), -1);
    ck_assert (strstr (sq_last_error (), "__tick"));
    //  Two values on a one-field stream.
    sq_message_t wrong_count =
        s_tuple_message (1, s_streams[0], 1, NULL, 0, SQ_VALUES (sq_str ("a"), sq_int (1)));
    ck_assert_int_eq (sq_codec_add (codec, &wrong_count), -1);
    sq_message_t bad_type = s_tuple_message (1, s_streams[0], 1, NULL, 0, SQ_VALUES (sq_int (1)));
    bad_type.tuple->values[0].type = (sq_type_t) 17;
    ck_assert_int_eq (sq_codec_add (codec, &bad_type), -1);

    //  A failed run leaves the batch as it was, all or none.
    sq_message_t run[] = {good, good, wrong_count};
    ck_assert_int_eq (sq_codec_encode_batch (codec, run, 3), -1);
    size_t size_after;
    sq_codec_data (codec, &size_after);
    ck_assert_uint_eq (size_after, size_before);
    ck_assert_uint_eq (sq_codec_count (codec), 1);
    const uint8_t *data = sq_codec_data (codec, &size_after);
    ck_assert_uint_eq (data[3], 1); //  header count patched back

    sq_tuple_destroy (&good.tuple);
    sq_tuple_destroy (&tick.tuple);
    sq_tuple_destroy (&wrong_count.tuple);
    sq_tuple_destroy (&bad_type.tuple);
    sq_codec_destroy (&codec);
}
END_TEST

START_TEST (test_detach_and_reset)
{
    sq_codec_t *codec = sq_codec_new ();
    sq_message_t ack = {.kind = SQ_MSG_ACK_INIT, .task = 4, .root = 8, .value = 9};
    for (int i = 0; i < 1000; i++) //  grows the buffer past its first size
        ck_assert_int_eq (sq_codec_add (codec, &ack), 0);
    size_t size;
    uint8_t *batch = sq_codec_detach (codec, &size);
    ck_assert_uint_eq (size, SQ_CODEC_HEADER_SIZE + 1000 * 18);
    ck_assert_uint_eq (sq_codec_count (codec), 0);
    sq_message_t *decoded;
    size_t count;
    ck_assert_int_eq (sq_codec_decode_batch (batch, size, s_resolve, NULL, &decoded, &count), 0);
    ck_assert_uint_eq (count, 1000);
    ck_assert_uint_eq (decoded[999].value, 9);
    sq_codec_messages_destroy (&decoded, count);
    free (batch);

    ck_assert_int_eq (sq_codec_add (codec, &ack), 0);
    sq_codec_reset (codec);
    ck_assert_uint_eq (sq_codec_count (codec), 0);
    sq_codec_data (codec, &size);
    ck_assert_uint_eq (size, SQ_CODEC_HEADER_SIZE);
    sq_codec_destroy (&codec);
}
END_TEST

//  ---------------------------------------------------------------------
//  Hostile input

START_TEST (test_truncation)
{
    size_t size;
    uint8_t *batch = s_sample_batch (&size);
    ck_assert_int_eq (s_decode_anything (batch, size), 0); //  the whole batch is fine
    //  Every prefix, decoded from a guarded copy: a read past the cut
    //  faults, with or without a sanitizer.
    for (size_t cut = 0; cut < size; cut++)
        s_assert_malformed (batch, cut, "at byte");
    //  No bytes at all, not even a buffer.
    sq_message_t *decoded = (sq_message_t *) 1;
    size_t count = 99;
    ck_assert_int_eq (sq_codec_decode_batch (NULL, 0, s_resolve, NULL, &decoded, &count),
                      SQ_EMALFORMED);
    ck_assert_ptr_null (decoded);
    ck_assert_str_eq (sq_last_error (), "wire: malformed batch: truncated header at byte 0 of 0");
    free (batch);
}
END_TEST

START_TEST (test_bit_flips)
{
    size_t size;
    uint8_t *batch = s_sample_batch (&size);
    uint8_t *copy = malloc (size);
    int decoded = 0, rejected = 0;
    for (size_t i = 0; i < size; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy (copy, batch, size);
            copy[i] ^= (uint8_t) (1 << bit);
            if (s_decode_anything (copy, size) == 0)
                decoded++;
            else
                rejected++;
        }
    //  Flips in payloads decode to other values; flips in structure fail.
    ck_assert_int_gt (decoded, 100);
    ck_assert_int_gt (rejected, 100);
    free (copy);
    free (batch);
}
END_TEST

START_TEST (test_random_garbage)
{
    size_t sample_size;
    uint8_t *sample = s_sample_batch (&sample_size);
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    uint8_t *buffer = malloc (512);
    for (int round = 0; round < 5000; round++) {
        size_t size = s_random (&state) % 512;
        for (size_t i = 0; i < size; i++)
            buffer[i] = (uint8_t) s_random (&state);
        //  Most rounds start with a valid header or a valid prefix, so the
        //  garbage reaches the message decoder.
        int mode = round % 3;
        size_t prefix = mode == 0 ? 0 : mode == 1 ? 3 : s_random (&state) % sample_size;
        if (prefix > size)
            prefix = size;
        memcpy (buffer, sample, prefix);
        if (mode == 1 && size >= SQ_CODEC_HEADER_SIZE) { //  a small count, to go deep
            buffer[3] = (uint8_t) (s_random (&state) % 8);
            buffer[4] = buffer[5] = buffer[6] = 0;
        }
        s_decode_anything (buffer, size);
    }
    //  Splices of the sample at random places, with random bytes between.
    for (int round = 0; round < 2000; round++) {
        size_t size = sample_size;
        memcpy (buffer, sample, size);
        int changes = 1 + (int) (s_random (&state) % 4);
        for (int i = 0; i < changes; i++)
            buffer[SQ_CODEC_HEADER_SIZE + s_random (&state) % (size - SQ_CODEC_HEADER_SIZE)] =
                (uint8_t) s_random (&state);
        s_decode_anything (buffer, size);
    }
    free (buffer);
    free (sample);
}
END_TEST

START_TEST (test_header_errors)
{
    uint8_t bad_magic[] = {'S', 'X', 1, 0, 0, 0, 0};
    s_assert_malformed (bad_magic, sizeof bad_magic, "bad magic");
    uint8_t old_version[] = {'S', 'Q', 0, 0, 0, 0, 0};
    s_assert_malformed (old_version, sizeof old_version, "unsupported version 0");
    uint8_t new_version[] = {'S', 'Q', 2, 0, 0, 0, 0};
    s_assert_malformed (new_version, sizeof new_version,
                        "unsupported version 2 (this build reads 1) at byte 2");
    uint8_t short_header[] = {'S', 'Q', 1, 0, 0, 0};
    s_assert_malformed (short_header, sizeof short_header, "truncated header at byte 3");
    //  Four billion messages claimed in 13 bytes: rejected before allocating.
    uint8_t absurd[] = {'S', 'Q', 1, 0xff, 0xff, 0xff, 0xff, 1, 1, 0, 1, 0, 0};
    s_assert_malformed (absurd, sizeof absurd, "4294967295 messages cannot fit in 6 bytes");
    uint8_t trailing[] = {'S', 'Q', 1, 0, 0, 0, 0, 0};
    s_assert_malformed (trailing, sizeof trailing,
                        "trailing bytes after the last message at byte 7");
}
END_TEST

START_TEST (test_message_errors)
{
    //  Each case: a header for one message, then the message's bytes.
    struct {
        uint8_t bytes[40]; //  the message
        size_t size;       //  its length
        const char *error; //  what the error must say
    } cases[] = {
        {{9, 1, 0, 0, 0, 0, 0, 0}, 8, "unknown message kind 9 at byte 7"},
        {{0, 1, 0, 0, 0, 0, 0, 0}, 8, "unknown message kind 0 at byte 7"},
        {{1, 1, 9, 1, 0, 1, 0}, 7, "unknown stream index 9 at byte 9"},
        {{1, 1, 0, 1, 0, 2, 3, 0, 0}, 9, "2 values for stream 'default' of 1 fields at byte 12"},
        {{1, 1, 0, 1, 0, 1, 9}, 7, "unknown value type 9 at byte 13"},
        {{1, 1, 0, 1, 0, 1, 5, 2}, 8, "bool value neither 0 nor 1 at byte 14"},
        {{1, 1, 0, 1, 0, 1, 3, 5, 'a', 'b'}, 10, "value length 5 beyond the end at byte 14"},
        {{1, 1, 0, 1, 0, 1, 3, 0xff, 0xff, 0xff, 0xff, 0x0f}, 12, "value length 4294967295 beyond"},
        {{1, 1, 0, 1, 0, 1, 3, 0xff, 0xff, 0xff, 0xff, 0x1f}, 12, "value length 8589934591 out"},
        {{1, 1, 0, 1, 0, 1, 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0}, 13, "longer than 5 bytes"},
        {{1, 0x81, 0x00, 0, 1, 0, 1, 0}, 8, "task not in its shortest form at byte 8"},
        {{1, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 1, 0, 1, 0}, 11, "task 2147483648 out of range"},
        {{1, 1, 0, 1, 0x80, 0x80, 0x04, 0}, 8, "edge count 65536 out of range at byte 11"},
        {{1, 1, 0, 1, 0xfe, 0xff, 0x03}, 7, "65534 edges cannot fit in 0 bytes at byte 11"},
        {{1, 1, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}, 21, "2 edges cannot fit"},
        {{1, 1, 0, 1, 0, 1, 1, 1, 2, 3}, 10, "truncated int value at byte 14"},
        {{1, 1, 0, 1, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7}, 14, "truncated double value at byte 14"},
        {{3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 17, "truncated acking value"},
        {{3, 1, 1, 2, 3, 4, 5, 6, 7}, 9, "truncated root id at byte 9"},
        {{1, 1, 0, 1, 0, 1, 0, 0xaa}, 8, "trailing bytes after the last message at byte 14"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t batch[64] = {'S', 'Q', 1, 1, 0, 0, 0};
        memcpy (batch + SQ_CODEC_HEADER_SIZE, cases[i].bytes, cases[i].size);
        s_assert_malformed (batch, SQ_CODEC_HEADER_SIZE + cases[i].size, cases[i].error);
    }
    //  A batch whose second tuple is bad frees the first one (ASAN checks).
    uint8_t two[] = {'S', 'Q', 1,   2, 0, 0, 0, 1, 1, 0, 1, 0,  1,
                     3,   1,   'a', 1, 1, 0, 1, 0, 1, 3, 9, 'b'};
    s_assert_malformed (two, sizeof two, "value length 9 beyond the end at byte 23");
    //  The same batch, fixed, decodes.
    two[23] = 1;
    sq_message_t *decoded;
    size_t count;
    ck_assert_int_eq (sq_codec_decode_batch (two, sizeof two, s_resolve, NULL, &decoded, &count),
                      0);
    ck_assert_uint_eq (count, 2);
    ck_assert_str_eq (sq_tuple_get_string (decoded[1].tuple, 0), "b");
    sq_codec_messages_destroy (&decoded, count);
}
END_TEST

//  ---------------------------------------------------------------------
//  Fields-grouping hash

//  doc/wire.md, Versions: a new message kind or value type joins version 1
//  because a decoder rejects the whole batch when it meets a kind or type
//  tag it does not know, before reading anything that depends on it. Every
//  byte this build does not know must be refused so, even behind a good
//  message and with the bytes that follow laid out as a known kind's.
START_TEST (test_unknown_kinds_and_types)
{
    //  A good tuple (task 1, stream 0, one null value), then an acking
    //  message's bytes under the kind being tried, at byte 14.
    uint8_t batch[] = {'S', 'Q', 1, 2, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 7, 1,
                       1,   2,   3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    sq_message_t *decoded;
    size_t count;
    ck_assert_int_eq (
        sq_codec_decode_batch (batch, sizeof batch, s_resolve, NULL, &decoded, &count), 0);
    ck_assert_uint_eq (count, 2);
    ck_assert_uint_eq (decoded[1].kind, SQ_MSG_BACKPRESSURE);
    sq_codec_messages_destroy (&decoded, count);
    for (unsigned kind = 0; kind <= 0xff; kind++) {
        if (kind >= SQ_MSG_TUPLE && kind <= SQ_MSG_RESET_TIMEOUT)
            continue;
        batch[14] = (uint8_t) kind;
        char error[64];
        snprintf (error, sizeof error, "unknown message kind %u at byte 14", kind);
        s_assert_malformed (batch, sizeof batch, error);
    }
    //  One tuple whose value's type tag is at byte 13, eight bytes after it
    //  as an int or a double would have.
    uint8_t tuple[] = {'S', 'Q', 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    for (unsigned tag = 6; tag <= 0xff; tag++) {
        tuple[13] = (uint8_t) tag;
        char error[64];
        snprintf (error, sizeof error, "unknown value type %u at byte 13", tag);
        s_assert_malformed (tuple, sizeof tuple, error);
    }
}
END_TEST

START_TEST (test_hash_known_values)
{
    //  Computed once by this implementation (and checked against a model
    //  of doc/wire.md's definition). If one of these changes, the hash changed and workers of
    //  different builds would disagree on fields groupings: do not update them lightly.
    ck_assert_uint_eq (sq_codec_hash_values (NULL, NULL, 0), 0xefd01f60ba992926ULL);
    ck_assert_uint_eq (s_hash_all (SQ_VALUES (sq_str ("apple"))), 0x30148710eff19d00ULL);
    ck_assert_uint_eq (s_hash_all (SQ_VALUES (sq_int (42))), 0x0640467e21fb54bbULL);
    ck_assert_uint_eq (s_hash_all (SQ_VALUES (sq_str ("user-7"), sq_int (-1), sq_double (2.5),
                                              sq_bool (true), sq_null (), sq_bytes ("\0\1", 2))),
                       0x0aa596018a0af581ULL);
}
END_TEST

START_TEST (test_hash_rules)
{
    sq_value_t a[] = {sq_str ("apple"), sq_int (1), sq_double (0.5)};
    char copy[] = "apple";
    sq_value_t b[] = {sq_str (copy), sq_int (1), sq_double (0.5)};
    //  Same values, different memory: same hash.
    ck_assert_uint_eq (sq_codec_hash_values (a, NULL, 3), sq_codec_hash_values (b, NULL, 3));
    //  Only the selected fields count.
    sq_value_t c[] = {sq_str ("pear"), sq_int (1), sq_double (99)};
    int second[] = {1};
    ck_assert_uint_eq (sq_codec_hash_values (a, second, 1), sq_codec_hash_values (c, second, 1));
    ck_assert_uint_ne (sq_codec_hash_values (a, NULL, 3), sq_codec_hash_values (c, NULL, 3));
    int first[] = {0};
    ck_assert_uint_ne (sq_codec_hash_values (a, first, 1), sq_codec_hash_values (c, first, 1));
    //  Selection order matters; indices equal to NULL-selection agree.
    int forward[] = {0, 2}, backward[] = {2, 0}, all[] = {0, 1, 2};
    ck_assert_uint_ne (sq_codec_hash_values (a, forward, 2), sq_codec_hash_values (a, backward, 2));
    ck_assert_uint_eq (sq_codec_hash_values (a, all, 3), sq_codec_hash_values (a, NULL, 3));
    //  The type is part of the hash: a string and bytes of the same text differ.
    ck_assert_uint_ne (s_hash_all (SQ_VALUES (sq_str ("x"))),
                       s_hash_all (SQ_VALUES (sq_bytes ("x", 1))));
    ck_assert_uint_ne (s_hash_all (SQ_VALUES (sq_int (0))), s_hash_all (SQ_VALUES (sq_null ())));
    //  Lengths separate values: ("ab","c") is not ("a","bc").
    ck_assert_uint_ne (s_hash_all (SQ_VALUES (sq_str ("ab"), sq_str ("c"))),
                       s_hash_all (SQ_VALUES (sq_str ("a"), sq_str ("bc"))));
    //  Doubles: -0.0 is 0.0, and every NaN is alike.
    uint64_t quiet = 0x7ff8000000000001ULL;
    double other_nan;
    memcpy (&other_nan, &quiet, sizeof other_nan);
    ck_assert_uint_eq (s_hash_all (SQ_VALUES (sq_double (-0.0))),
                       s_hash_all (SQ_VALUES (sq_double (0.0))));
    ck_assert_uint_eq (s_hash_all (SQ_VALUES (sq_double (NAN))),
                       s_hash_all (SQ_VALUES (sq_double (other_nan))));
}
END_TEST

START_TEST (test_hash_survives_the_wire)
{
    sq_message_t message = s_tuple_message (1, s_streams[1], 1, NULL, 0,
                                            SQ_VALUES (sq_str ("carrot"), sq_int (12345)));
    uint64_t before = sq_codec_hash_values (message.tuple->values, NULL, 2);
    sq_codec_t *codec = sq_codec_new ();
    ck_assert_int_eq (sq_codec_add (codec, &message), 0);
    size_t size;
    const uint8_t *data = sq_codec_data (codec, &size);
    sq_message_t *decoded;
    size_t count;
    ck_assert_int_eq (sq_codec_decode_batch (data, size, s_resolve, NULL, &decoded, &count), 0);
    ck_assert_uint_eq (sq_codec_hash_values (decoded[0].tuple->values, NULL, 2), before);
    sq_codec_messages_destroy (&decoded, count);
    sq_codec_destroy (&codec);
    sq_tuple_destroy (&message.tuple);
}
END_TEST

START_TEST (test_hash_spreads)
{
    //  10000 distinct words over 7 tasks: every task gets a fair share.
    int buckets[7] = {0};
    char word[32];
    for (int i = 0; i < 10000; i++) {
        snprintf (word, sizeof word, "w%d", i);
        buckets[s_hash_all (SQ_VALUES (sq_str (word))) % 7]++;
    }
    for (int i = 0; i < 7; i++)
        ck_assert_msg (buckets[i] > 1250 && buckets[i] < 1600, "bucket %d has %d", i, buckets[i]);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("sq_codec");
    TCase *round_trip = tcase_create ("round trip");
    tcase_add_checked_fixture (round_trip, s_setup, s_teardown);
    tcase_add_test (round_trip, test_every_value_type);
    tcase_add_test (round_trip, test_long_values);
    tcase_add_test (round_trip, test_255_values);
    tcase_add_test (round_trip, test_edges);
    tcase_add_test (round_trip, test_acking_messages);
    tcase_add_test (round_trip, test_many_messages);
    tcase_add_test (round_trip, test_empty_batch);
    tcase_add_test (round_trip, test_golden_bytes);
    tcase_add_test (round_trip, test_golden_reset_timeout);
    tcase_add_test (round_trip, test_encoder_rejects);
    tcase_add_test (round_trip, test_detach_and_reset);
    suite_add_tcase (suite, round_trip);

    TCase *hostile = tcase_create ("hostile input");
    tcase_add_checked_fixture (hostile, s_setup, s_teardown);
    tcase_add_test (hostile, test_truncation);
    tcase_add_test (hostile, test_bit_flips);
    tcase_add_test (hostile, test_random_garbage);
    tcase_add_test (hostile, test_header_errors);
    tcase_add_test (hostile, test_message_errors);
    tcase_add_test (hostile, test_unknown_kinds_and_types);
    suite_add_tcase (suite, hostile);

    TCase *hash = tcase_create ("hash");
    tcase_add_checked_fixture (hash, s_setup, s_teardown);
    tcase_add_test (hash, test_hash_known_values);
    tcase_add_test (hash, test_hash_rules);
    tcase_add_test (hash, test_hash_survives_the_wire);
    tcase_add_test (hash, test_hash_spreads);
    suite_add_tcase (suite, hash);
    return suite;
}

int
main (void)
{
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
