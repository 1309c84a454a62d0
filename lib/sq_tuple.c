/*  sq_tuple - the runtime's view of a tuple, and the public tuple getters */
#include "sq_tuple.h"
#include "sq_error.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(offsetof (sq_tuple_block_t, data) % SQ_TUPLE_ALIGN == 0,
               "tuples in a block must start aligned");

//  Blocks allocated and not yet freed. On a cache line of its own: the
//  threads that make and free blocks write it, and the linker had put the
//  clock's calibration in the same line, which every clock read loads.
static struct {
    _Alignas(SQ_CACHE_LINE) _Atomic size_t count;
} s_blocks_live;

sq_tuple_t *
sq_tuple_new (const sq_stream_t *stream, int source_task, int dest_task, const sq_edge_t *edges,
              size_t edge_count, const sq_value_t *values, size_t value_count)
{
    size_t bytes = sq_tuple_bytes (edge_count, values, value_count);
    void *memory = bytes ? malloc (bytes) : NULL;
    return memory ? sq_tuple_fill (memory, NULL, stream, source_task, dest_task, edges, edge_count,
                                   values, value_count)
                  : NULL;
}

//  Take count tuples' references off block (a negative count adds them);
//  frees it when none is left.
static void
s_block_release (sq_tuple_block_t *block, int64_t count)
{
    if (atomic_fetch_sub_explicit (&block->refs, count, memory_order_acq_rel) == count) {
        free (block);
        atomic_fetch_sub_explicit (&s_blocks_live.count, 1, memory_order_relaxed);
    }
}

size_t
sq_tuple_blocks_live (void)
{
    return atomic_load_explicit (&s_blocks_live.count, memory_order_relaxed);
}

void
sq_tuple_block_retire (sq_tuple_block_t **block_p)
{
    if (block_p && *block_p) {
        sq_tuple_block_t *block = *block_p;
        s_block_release (block, -block->carved);
        *block_p = NULL;
    }
}

sq_tuple_t *
sq_tuple_new_in_next (sq_tuple_block_t **block_p, size_t bytes, const sq_stream_t *stream,
                      int source_task, int dest_task, const sq_edge_t *edges, size_t edge_count,
                      const sq_value_t *values, size_t value_count)
{
    if (bytes == 0 || bytes > SQ_TUPLE_BLOCK_LARGEST)
        return sq_tuple_new (stream, source_task, dest_task, edges, edge_count, values,
                             value_count);
    sq_tuple_block_retire (block_p);
    sq_tuple_block_t *block = malloc (SQ_TUPLE_BLOCK_BYTES);
    if (!block)
        return NULL;
    atomic_fetch_add_explicit (&s_blocks_live.count, 1, memory_order_relaxed);
    atomic_init (&block->refs, 0);
    block->used = bytes;
    block->carved = 1;
    *block_p = block;
    return sq_tuple_fill (block->data, block, stream, source_task, dest_task, edges, edge_count,
                          values, value_count);
}

void
sq_tuple_destroy (sq_tuple_t **self_p)
{
    if (self_p && *self_p) {
        sq_tuple_t *self = *self_p;
        if (self->block)
            s_block_release (self->block, 1);
        else
            free (self);
        *self_p = NULL;
    }
}

void
sq_tuple_destroy_gathered (sq_tuple_t **self_p, sq_tuple_releases_t *releases)
{
    sq_tuple_t *self = self_p ? *self_p : NULL;
    if (!self || !self->block) {
        sq_tuple_destroy (self_p);
        return;
    }
    if (self->block != releases->block) {
        sq_tuple_releases_flush (releases);
        releases->block = self->block;
    }
    releases->count++;
    *self_p = NULL;
}

void
sq_tuple_releases_flush (sq_tuple_releases_t *releases)
{
    if (releases->block)
        s_block_release (releases->block, releases->count);
    releases->block = NULL;
    releases->count = 0;
}

static char *s_tick_fields[] = {"rate_secs"}; //  Storm's name for the period
static const sq_stream_t s_tick_stream = {
    .component = SQ_SYSTEM_COMPONENT,
    .name = SQ_TICK_STREAM,
    .fields = s_tick_fields,
    .field_count = 1,
    .index = -1,
};

const sq_stream_t *
sq_tuple_tick_stream (void)
{
    return &s_tick_stream;
}

sq_value_t
sq_str (const char *string)
{
    return string ? sq_strn (string, strlen (string)) : sq_null ();
}

//  ---------------------------------------------------------------------
//  Stream schemas

sq_stream_t *
sq_stream_new (const char *component, const char *name, const char *fields)
{
    sq_stream_t *self = calloc (1, sizeof (sq_stream_t));
    if (!self)
        return NULL;
    self->component = strdup (component);
    self->name = strdup (name);
    self->index = -1;
    size_t capacity = 1;
    for (const char *c = fields; *c; c++)
        capacity += *c == ',';
    self->fields = calloc (capacity, sizeof (char *));
    const char *start = fields;
    while (*fields && *start) {
        const char *end = strchr (start, ',');
        size_t len = end ? (size_t) (end - start) : strlen (start);
        while (len && start[0] == ' ')
            start++, len--;
        while (len && start[len - 1] == ' ')
            len--;
        char *field = strndup (start, len);
        if (len == 0 || sq_stream_field_index (self, field) >= 0) {
            sq_error_set ("stream '%s' of '%s': %s field name in '%s'", name, component,
                          len ? "repeated" : "empty", fields);
            free (field);
            sq_stream_destroy (&self);
            return NULL;
        }
        self->fields[self->field_count++] = field;
        if (!end)
            break;
        start = end + 1;
        if (!*start) {
            sq_error_set ("stream '%s' of '%s': empty field name in '%s'", name, component, fields);
            sq_stream_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
sq_stream_destroy (sq_stream_t **self_p)
{
    if (self_p && *self_p) {
        sq_stream_t *self = *self_p;
        for (size_t i = 0; i < self->field_count; i++)
            free (self->fields[i]);
        free (self->fields);
        free (self->component);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

int
sq_stream_field_index (const sq_stream_t *self, const char *field)
{
    for (size_t i = 0; i < self->field_count; i++)
        if (strcmp (self->fields[i], field) == 0)
            return (int) i;
    return -1;
}

//  ---------------------------------------------------------------------
//  Public getters

size_t
sq_tuple_size (const sq_tuple_t *self)
{
    return self->value_count;
}

const sq_value_t *
sq_tuple_value (const sq_tuple_t *self, size_t index)
{
    return index < self->value_count ? &self->values[index] : NULL;
}

int
sq_tuple_field_index (const sq_tuple_t *self, const char *field)
{
    return self->stream ? sq_stream_field_index (self->stream, field) : -1;
}

const sq_value_t *
sq_tuple_field (const sq_tuple_t *self, const char *field)
{
    int index = sq_tuple_field_index (self, field);
    return index < 0 ? NULL : sq_tuple_value (self, (size_t) index);
}

static const sq_value_t *
s_typed (const sq_value_t *value, sq_type_t type)
{
    return value && value->type == type ? value : NULL;
}

int64_t
sq_tuple_get_int (const sq_tuple_t *self, size_t index)
{
    const sq_value_t *value = s_typed (sq_tuple_value (self, index), SQ_TYPE_INT);
    return value ? value->as.i : 0;
}

double
sq_tuple_get_double (const sq_tuple_t *self, size_t index)
{
    const sq_value_t *value = s_typed (sq_tuple_value (self, index), SQ_TYPE_DOUBLE);
    return value ? value->as.d : 0;
}

bool
sq_tuple_get_bool (const sq_tuple_t *self, size_t index)
{
    const sq_value_t *value = s_typed (sq_tuple_value (self, index), SQ_TYPE_BOOL);
    return value ? value->as.b : false;
}

const char *
sq_tuple_get_string (const sq_tuple_t *self, size_t index)
{
    const sq_value_t *value = s_typed (sq_tuple_value (self, index), SQ_TYPE_STRING);
    return value ? value->as.s.ptr : NULL;
}

const void *
sq_tuple_get_bytes (const sq_tuple_t *self, size_t index, size_t *len_p)
{
    const sq_value_t *value = s_typed (sq_tuple_value (self, index), SQ_TYPE_BYTES);
    if (len_p)
        *len_p = value ? value->as.s.len : 0;
    return value ? value->as.s.ptr : NULL;
}

static size_t
s_field_position (const sq_tuple_t *self, const char *field)
{
    int index = sq_tuple_field_index (self, field);
    return index < 0 ? SIZE_MAX : (size_t) index;
}

int64_t
sq_tuple_field_int (const sq_tuple_t *self, const char *field)
{
    return sq_tuple_get_int (self, s_field_position (self, field));
}

double
sq_tuple_field_double (const sq_tuple_t *self, const char *field)
{
    return sq_tuple_get_double (self, s_field_position (self, field));
}

const char *
sq_tuple_field_string (const sq_tuple_t *self, const char *field)
{
    return sq_tuple_get_string (self, s_field_position (self, field));
}

const char *
sq_tuple_stream (const sq_tuple_t *self)
{
    return self->stream ? self->stream->name : NULL;
}

const char *
sq_tuple_source_component (const sq_tuple_t *self)
{
    return self->stream ? self->stream->component : NULL;
}

int
sq_tuple_source_task (const sq_tuple_t *self)
{
    return self->source_task;
}

bool
sq_tuple_is_tick (const sq_tuple_t *self)
{
    return self->stream == &s_tick_stream;
}
