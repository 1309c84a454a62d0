/*  sq_multilang - the framing and values of Storm's multilang protocol

    Every message, both ways, is one JSON text followed by a line holding
    only "end" (doc/multilang.md). The reader takes the bytes a child
    writes, in whatever pieces they arrive, and hands back whole messages;
    what a child writes is outside input, so a message is bounded in size
    and a malformed one is an error, never an assert.

    Values: Squall's ints, doubles, strings, bools and null map to the JSON
    types of the same name; bytes go out as an array of signed byte values
    (-128..127), as Storm's JSON serializer writes a Java byte[]. Coming
    back, an array or object inside a tuple becomes a string holding its
    compact JSON text: Squall tuples have no nested values.
*/
#ifndef SQ_MULTILANG_H_INCLUDED
#define SQ_MULTILANG_H_INCLUDED

#include <jansson.h>
#include <squall.h>

//  Largest message a child may write, in bytes, unless told otherwise.
#define SQ_MULTILANG_MAX_MESSAGE (16u * 1024 * 1024)

typedef struct _sq_multilang_reader_t sq_multilang_reader_t;

//  New reader that refuses messages longer than max_message bytes. NULL
//  when out of memory. Caller owns.
sq_multilang_reader_t *sq_multilang_reader_new (size_t max_message);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_multilang_reader_destroy (sq_multilang_reader_t **self_p);
//  Append bytes read from the child. Returns 0, or -1 (sq_last_error set)
//  when the message being read grows past max_message (no "end" line in
//  time) or memory runs out.
int sq_multilang_reader_feed (sq_multilang_reader_t *self, const char *data, size_t size);
//  Take the next whole message: 1 and *message_p (a JSON object or array;
//  caller decrefs), 0 when no whole message is buffered, -1 with
//  sq_last_error set when the next one is not JSON, or not an object or
//  array (the message is dropped; the reader can go on).
int sq_multilang_reader_next (sq_multilang_reader_t *self, json_t **message_p);
//  Bytes buffered that are not a whole message yet (a child that stops in
//  the middle of a message).
size_t sq_multilang_reader_partial (const sq_multilang_reader_t *self);

//  The text of a message: compact JSON and the "end" line, "\nend\n"
//  included. NULL when out of memory. Caller frees (free()); *size_p gets
//  its length.
char *sq_multilang_encode (const json_t *message, size_t *size_p);
//  JSON of a value. NULL when out of memory. Caller decrefs.
json_t *sq_multilang_value_to_json (const sq_value_t *value);
//  Value of a JSON element of a tuple. Strings point into json (or, for
//  arrays and objects, into *text_p, which the caller frees; NULL
//  otherwise). Returns 0, or -1 when out of memory.
int sq_multilang_value_from_json (const json_t *json, sq_value_t *value, char **text_p);

#endif
