/*  fuzz_codec - fuzz target for the tuple batch decoder (doc/wire.md)

    Decodes arbitrary bytes as a batch for a fixed set of streams. Whatever
    decodes (verdict "batch") must encode back to exactly the same bytes
    (one encoding per batch), and those bytes must decode again to the
    same messages; anything else must be refused cleanly (SQ_EMALFORMED or
    SQ_ENOMEM, nothing returned), never crash, hang or leak. Built with libFuzzer by
    `make fuzz`, and replayed over tests/fuzz/corpus/codec by `make check`
    (fuzz_replay.c).
*/
#include "fuzz_target.h"
#include "sq_codec.h"

char fuzz_verdict[FUZZ_VERDICT_SIZE];

static sq_stream_t *s_streams[3];

static const sq_stream_t *
s_resolve (int index, void *arg)
{
    (void) arg;
    return index >= 0 && index < 3 ? s_streams[index] : NULL;
}

//  True when b is what a decoded: same kind, task, acking fields, stream,
//  source, edges and values. Values are compared through their grouping
//  hash, which covers type and payload but takes -0.0 for 0.0 and every
//  NaN alike; the byte comparison of the caller is exact.
static bool
s_same_message (const sq_message_t *a, const sq_message_t *b)
{
    if (a->kind != b->kind || a->task != b->task || a->root != b->root || a->value != b->value ||
        !a->tuple != !b->tuple)
        return false;
    if (!a->tuple)
        return true;
    const sq_tuple_t *x = a->tuple, *y = b->tuple;
    return x->stream == y->stream && x->source_task == y->source_task &&
           x->dest_task == y->dest_task && x->edge_count == y->edge_count &&
           (x->edge_count == 0 ||
            memcmp (x->edges, y->edges, x->edge_count * sizeof (sq_edge_t)) == 0) &&
           x->value_count == y->value_count &&
           sq_codec_hash_values (x->values, NULL, x->value_count) ==
               sq_codec_hash_values (y->values, NULL, y->value_count);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_verdict_reset ();
    if (!s_streams[0]) {
        s_streams[0] = sq_stream_new ("words", "default", "word");
        s_streams[1] = sq_stream_new ("split", "default", "word,count");
        s_streams[2] = sq_stream_new ("join", "pairs", "a,b,c");
        for (int i = 0; i < 3; i++)
            s_streams[i]->index = i;
    }
    sq_message_t *messages = (sq_message_t *) 1;
    size_t count = 99;
    int rc = sq_codec_decode_batch (data, size, s_resolve, NULL, &messages, &count);
    if (rc != 0) {
        FUZZ_REQUIRE (rc == SQ_EMALFORMED || rc == SQ_ENOMEM,
                      "a refused batch returns SQ_EMALFORMED or SQ_ENOMEM");
        FUZZ_REQUIRE (!messages && count == 0, "a refused batch returns no messages");
        return 0;
    }
    fuzz_accepted ("batch");
    sq_codec_t *codec = sq_codec_new ();
    FUZZ_REQUIRE (sq_codec_encode_batch (codec, messages, count) == 0,
                  "a decoded batch encodes again");
    size_t encoded_size;
    const uint8_t *encoded = sq_codec_data (codec, &encoded_size);
    FUZZ_REQUIRE (encoded_size == size && memcmp (encoded, data, size) == 0,
                  "a decoded batch encodes to the bytes it came from");
    sq_message_t *again = NULL;
    size_t again_count = 0;
    FUZZ_REQUIRE (
        sq_codec_decode_batch (encoded, encoded_size, s_resolve, NULL, &again, &again_count) == 0 &&
            again_count == count,
        "a re-encoded batch decodes again");
    for (size_t i = 0; i < count; i++)
        FUZZ_REQUIRE (s_same_message (&messages[i], &again[i]),
                      "a re-encoded batch decodes to the same messages");
    sq_codec_messages_destroy (&again, again_count);
    sq_codec_destroy (&codec);
    sq_codec_messages_destroy (&messages, count);
    return 0;
}
