/*  sq_multilang - the framing and values of Storm's multilang protocol

    DESIGN: the reader keeps one buffer of what the child wrote. It scans
    only the bytes it has not scanned yet for a line "end" (a line is cut
    at '\n'; a '\r' before it is dropped, for children that write CRLF),
    so a message arriving a byte at a time costs linear time. Everything
    before that line is one message; what follows stays for the next.
*/
#include "sq_multilang.h"
#include "sq_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _sq_multilang_reader_t {
    char *data;         //  bytes received and not yet taken
    size_t size;        //  bytes in data
    size_t capacity;    //  room in data
    size_t scanned;     //  bytes of data already searched for the "end" line
    size_t line_start;  //  offset of the line being scanned
    size_t max_message; //  largest message accepted
};

sq_multilang_reader_t *
sq_multilang_reader_new (size_t max_message)
{
    sq_multilang_reader_t *self = calloc (1, sizeof (sq_multilang_reader_t));
    if (self)
        self->max_message = max_message;
    return self;
}

void
sq_multilang_reader_destroy (sq_multilang_reader_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->data);
        free (*self_p);
        *self_p = NULL;
    }
}

int
sq_multilang_reader_feed (sq_multilang_reader_t *self, const char *data, size_t size)
{
    //  The bound counts the message, its "end" line and the start of the
    //  next message that came in the same read.
    if (self->size + size > self->max_message + 4096)
        return sq_error_set ("message longer than %zu bytes (or no \"end\" line after it)",
                             self->max_message);
    if (self->size + size > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 4096;
        while (capacity < self->size + size)
            capacity *= 2;
        char *grown = realloc (self->data, capacity);
        if (!grown)
            return sq_error_set ("out of memory reading a message");
        self->data = grown;
        self->capacity = capacity;
    }
    memcpy (self->data + self->size, data, size);
    self->size += size;
    return 0;
}

//  Drop the first `count` bytes of the buffer.
static void
s_consume (sq_multilang_reader_t *self, size_t count)
{
    memmove (self->data, self->data + count, self->size - count);
    self->size -= count;
    self->scanned = 0;
    self->line_start = 0;
}

int
sq_multilang_reader_next (sq_multilang_reader_t *self, json_t **message_p)
{
    *message_p = NULL;
    while (self->scanned < self->size) {
        char *newline = memchr (self->data + self->scanned, '\n', self->size - self->scanned);
        if (!newline) {
            self->scanned = self->size;
            break;
        }
        size_t line_end = (size_t) (newline - self->data);
        size_t length = line_end - self->line_start;
        const char *line = self->data + self->line_start;
        if (length && line[length - 1] == '\r')
            length--;
        bool is_end = length == 3 && memcmp (line, "end", 3) == 0;
        size_t message_size = self->line_start;
        self->scanned = line_end + 1;
        self->line_start = line_end + 1;
        if (!is_end)
            continue;
        if (message_size > self->max_message) {
            s_consume (self, line_end + 1);
            return sq_error_set ("message of %zu bytes; at most %zu", message_size,
                                 self->max_message);
        }
        json_error_t error;
        json_t *message = json_loadb (self->data, message_size, JSON_DECODE_ANY, &error);
        char excerpt[81];
        snprintf (excerpt, sizeof excerpt, "%.*s", (int) (message_size < 80 ? message_size : 80),
                  self->data);
        s_consume (self, line_end + 1);
        if (!message)
            return sq_error_set ("malformed JSON (%s) in message '%s'", error.text, excerpt);
        if (!json_is_object (message) && !json_is_array (message)) {
            json_decref (message);
            return sq_error_set ("message '%s' is neither a JSON object nor an array", excerpt);
        }
        *message_p = message;
        return 1;
    }
    if (self->size > self->max_message)
        return sq_error_set ("message longer than %zu bytes (or no \"end\" line after it)",
                             self->max_message);
    return 0;
}

size_t
sq_multilang_reader_partial (const sq_multilang_reader_t *self)
{
    return self->size;
}

char *
sq_multilang_encode (const json_t *message, size_t *size_p)
{
    char *text = json_dumps (message, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return NULL;
    size_t length = strlen (text);
    char *framed = realloc (text, length + 6);
    if (!framed) {
        free (text);
        return NULL;
    }
    memcpy (framed + length, "\nend\n", 6);
    *size_p = length + 5;
    return framed;
}

json_t *
sq_multilang_value_to_json (const sq_value_t *value)
{
    switch (value->type) {
    case SQ_TYPE_INT:
        return json_integer (value->as.i);
    case SQ_TYPE_DOUBLE:
        return json_real (value->as.d);
    case SQ_TYPE_STRING:
        return json_stringn_nocheck (value->as.s.ptr, value->as.s.len);
    case SQ_TYPE_BOOL:
        return json_boolean (value->as.b);
    case SQ_TYPE_BYTES: {
        json_t *array = json_array ();
        for (size_t i = 0; array && i < value->as.s.len; i++)
            if (json_array_append_new (array, json_integer ((signed char) value->as.s.ptr[i]))) {
                json_decref (array);
                return NULL;
            }
        return array;
    }
    case SQ_TYPE_NULL:
    default:
        return json_null ();
    }
}

int
sq_multilang_value_from_json (const json_t *json, sq_value_t *value, char **text_p)
{
    *text_p = NULL;
    switch (json_typeof (json)) {
    case JSON_INTEGER:
        *value = sq_int (json_integer_value (json));
        return 0;
    case JSON_REAL:
        *value = sq_double (json_real_value (json));
        return 0;
    case JSON_STRING:
        *value = sq_strn (json_string_value (json), json_string_length (json));
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        *value = sq_bool (json_is_true (json));
        return 0;
    case JSON_NULL:
        *value = sq_null ();
        return 0;
    default:
        *text_p = json_dumps (json, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!*text_p)
            return -1;
        *value = sq_strn (*text_p, strlen (*text_p));
        return 0;
    }
}
