/*  fuzz_codec - fuzz target for the tuple batch decoder (doc/wire.md)

    Decodes arbitrary bytes as a batch for a fixed set of streams. Whatever
    decodes must encode back to exactly the same bytes; anything else must
    be refused cleanly (SQ_EMALFORMED, or SQ_ENOMEM), never crash, hang or
    leak; any other return code aborts. Built with libFuzzer by `make fuzz`,
    and replayed over tests/fuzz/corpus/codec by `make check`
    (fuzz_replay.c).
*/
#include "sq_codec.h"

#include <stdlib.h>
#include <string.h>

static sq_stream_t *s_streams[3];

static const sq_stream_t *
s_resolve (int index, void *arg)
{
    (void) arg;
    return index >= 0 && index < 3 ? s_streams[index] : NULL;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_streams[0]) {
        s_streams[0] = sq_stream_new ("words", "default", "word");
        s_streams[1] = sq_stream_new ("split", "default", "word,count");
        s_streams[2] = sq_stream_new ("join", "pairs", "a,b,c");
        for (int i = 0; i < 3; i++)
            s_streams[i]->index = i;
    }
    sq_message_t *messages = NULL;
    size_t count = 0;
    int rc = sq_codec_decode_batch (data, size, s_resolve, NULL, &messages, &count);
    if (rc == SQ_EMALFORMED || rc == SQ_ENOMEM)
        return 0;
    if (rc != 0)
        abort ();
    sq_codec_t *codec = sq_codec_new ();
    if (sq_codec_encode_batch (codec, messages, count) != 0)
        abort ();
    size_t encoded_size;
    const uint8_t *encoded = sq_codec_data (codec, &encoded_size);
    if (encoded_size != size || memcmp (encoded, data, size) != 0)
        abort ();
    sq_codec_destroy (&codec);
    sq_codec_messages_destroy (&messages, count);
    return 0;
}
