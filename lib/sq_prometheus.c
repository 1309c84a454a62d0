/*  sq_prometheus - writer of Prometheus text exposition format 0.0.4

    Each sample is checked before its first byte is written (family type,
    label names), so a refused call leaves the text as it was. The
    escaping walks the bytes once, validating UTF-8 as it goes: a byte
    that does not start a well-formed sequence (no overlongs, no
    surrogates, nothing above U+10FFFF) becomes U+FFFD.
*/
#include "sq_prometheus.h"
#include "sq_error.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "squall_"            //  every family name starts so
#define NANOS UINT64_C (1000000000) //  nanoseconds in a second
#define REPLACEMENT "\xef\xbf\xbd"  //  U+FFFD in UTF-8
#define INITIAL_CAPACITY 4096       //  first buffer size

struct _sq_prometheus_t {
    char *data;                //  the text, NUL-terminated
    size_t size;               //  its length
    size_t capacity;           //  bytes allocated for data
    bool broken;               //  ran out of memory: every call fails
    char *family;              //  current family's sample name stem, or NULL
    sq_prometheus_type_t type; //  current family's type
    char **families;           //  family names written so far
    size_t family_count;       //  their number
};

static const char *const s_reserved_suffixes[] = {"_total", "_bucket", "_sum", "_count"};

sq_prometheus_t *
sq_prometheus_new (void)
{
    sq_prometheus_t *self = calloc (1, sizeof (sq_prometheus_t));
    if (!self)
        return NULL;
    self->data = malloc (INITIAL_CAPACITY);
    if (!self->data) {
        free (self);
        return NULL;
    }
    self->data[0] = 0;
    self->capacity = INITIAL_CAPACITY;
    return self;
}

void
sq_prometheus_destroy (sq_prometheus_t **self_p)
{
    assert (self_p);
    sq_prometheus_t *self = *self_p;
    if (!self)
        return;
    for (size_t at = 0; at < self->family_count; at++)
        free (self->families[at]);
    free (self->families);
    free (self->family);
    free (self->data);
    free (self);
    *self_p = NULL;
}

const char *
sq_prometheus_text (const sq_prometheus_t *self)
{
    assert (self);
    return self->data;
}

size_t
sq_prometheus_size (const sq_prometheus_t *self)
{
    assert (self);
    return self->size;
}

uint64_t
sq_prometheus_le_bound (size_t index)
{
    assert (index < SQ_PROMETHEUS_LE_BOUNDS);
    return (1ULL << (10 + 2 * index)) - 1;
}

//  ---------------------------------------------------------------------
//  The buffer

static int
s_reserve (sq_prometheus_t *self, size_t more)
{
    if (self->broken)
        return -1;
    if (self->size + more + 1 <= self->capacity)
        return 0;
    size_t capacity = self->capacity;
    while (capacity < self->size + more + 1)
        capacity *= 2;
    char *data = realloc (self->data, capacity);
    if (!data) {
        self->broken = true;
        return sq_error_set_code (SQ_ENOMEM, "prometheus: out of memory at %zu bytes", self->size);
    }
    self->data = data;
    self->capacity = capacity;
    return 0;
}

static int
s_append (sq_prometheus_t *self, const char *bytes, size_t size)
{
    if (s_reserve (self, size))
        return -1;
    memcpy (self->data + self->size, bytes, size);
    self->size += size;
    self->data[self->size] = 0;
    return 0;
}

static int
s_append_string (sq_prometheus_t *self, const char *string)
{
    return s_append (self, string, strlen (string));
}

static int s_append_format (sq_prometheus_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_append_format (sq_prometheus_t *self, const char *format, ...)
{
    char line[128];
    va_list args;
    va_start (args, format);
    int size = vsnprintf (line, sizeof line, format, args);
    va_end (args);
    assert (size >= 0 && (size_t) size < sizeof line);
    return s_append (self, line, (size_t) size);
}

//  Length of the well-formed UTF-8 sequence at text, or 0.
static size_t
s_utf8_length (const unsigned char *text)
{
    unsigned char lead = text[0];
    if (lead < 0x80)
        return 1;
    size_t length;
    uint32_t lowest;
    if (lead >= 0xc2 && lead <= 0xdf)
        length = 2, lowest = 0x80;
    else if (lead >= 0xe0 && lead <= 0xef)
        length = 3, lowest = 0x800;
    else if (lead >= 0xf0 && lead <= 0xf4)
        length = 4, lowest = 0x10000;
    else
        return 0;
    uint32_t point = lead & (0x3f >> (length - 1));
    for (size_t at = 1; at < length; at++) {
        if ((text[at] & 0xc0) != 0x80) //  also stops at the NUL
            return 0;
        point = point << 6 | (text[at] & 0x3f);
    }
    if (point < lowest || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff))
        return 0;
    return length;
}

//  Appends text escaped: backslash and newline always, double quote when
//  quotes is true; non-UTF-8 bytes as U+FFFD.
static int
s_append_escaped (sq_prometheus_t *self, const char *text, bool quotes)
{
    const unsigned char *at = (const unsigned char *) text;
    while (*at) {
        size_t length = s_utf8_length (at);
        int rc;
        if (length == 0)
            rc = s_append_string (self, REPLACEMENT), length = 1;
        else if (*at == '\\')
            rc = s_append_string (self, "\\\\");
        else if (*at == '\n')
            rc = s_append_string (self, "\\n");
        else if (*at == '"' && quotes)
            rc = s_append_string (self, "\\\"");
        else
            rc = s_append (self, (const char *) at, length);
        if (rc)
            return -1;
        at += length;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Names

static bool
s_name_char (char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

static int
s_check_family_name (const char *name)
{
    if (!name || strncmp (name, PREFIX, strlen (PREFIX)) != 0 || !name[strlen (PREFIX)])
        return sq_error_set ("prometheus: family name \"%s\" does not start with \"" PREFIX "\"",
                             name ? name : "(null)");
    for (const char *at = name; *at; at++)
        if (!s_name_char (*at, at == name))
            return sq_error_set ("prometheus: family name \"%s\" has a byte not in "
                                 "[a-zA-Z0-9_]",
                                 name);
    size_t length = strlen (name);
    for (size_t at = 0; at < sizeof s_reserved_suffixes / sizeof s_reserved_suffixes[0]; at++) {
        size_t suffix = strlen (s_reserved_suffixes[at]);
        if (length >= suffix && strcmp (name + length - suffix, s_reserved_suffixes[at]) == 0)
            return sq_error_set ("prometheus: family name \"%s\" ends in reserved \"%s\"", name,
                                 s_reserved_suffixes[at]);
    }
    return 0;
}

//  Checks a sample's labels against the current family.
static int
s_check_sample (sq_prometheus_t *self, sq_prometheus_type_t type, const char *const *labels)
{
    if (self->broken)
        return sq_error_set_code (SQ_ENOMEM, "prometheus: out of memory earlier");
    if (!self->family || self->type != type)
        return sq_error_set ("prometheus: sample does not match the current family (%s)",
                             self->family ? self->family : "none");
    for (size_t at = 0; labels && labels[at]; at += 2) {
        const char *name = labels[at];
        if (!labels[at + 1])
            return sq_error_set ("prometheus: label \"%s\" has no value", name);
        bool valid = *name && strncmp (name, "__", 2) != 0;
        for (const char *c = name; valid && *c; c++)
            valid = s_name_char (*c, c == name);
        if (!valid)
            return sq_error_set ("prometheus: invalid label name \"%s\"", name);
        if (type == SQ_PROMETHEUS_HISTOGRAM && strcmp (name, "le") == 0)
            return sq_error_set ("prometheus: label \"le\" is the histogram's own");
        for (size_t before = 0; before < at; before += 2)
            if (strcmp (labels[before], name) == 0)
                return sq_error_set ("prometheus: label \"%s\" given twice", name);
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Lines

int
sq_prometheus_family (sq_prometheus_t *self, const char *name, sq_prometheus_type_t type,
                      const char *help)
{
    assert (self);
    assert (type == SQ_PROMETHEUS_COUNTER || type == SQ_PROMETHEUS_GAUGE ||
            type == SQ_PROMETHEUS_HISTOGRAM);
    if (self->broken)
        return sq_error_set_code (SQ_ENOMEM, "prometheus: out of memory earlier");
    if (s_check_family_name (name))
        return -1;
    for (size_t at = 0; at < self->family_count; at++)
        if (strcmp (self->families[at], name) == 0)
            return sq_error_set ("prometheus: family \"%s\" written twice", name);
    char **families = realloc (self->families, (self->family_count + 1) * sizeof (char *));
    if (!families)
        return sq_error_set_code (SQ_ENOMEM, "prometheus: out of memory");
    self->families = families;
    size_t length = strlen (name);
    char *stem = malloc (length + sizeof "_total");
    char *copy = strdup (name);
    if (!stem || !copy) {
        free (stem);
        free (copy);
        return sq_error_set_code (SQ_ENOMEM, "prometheus: out of memory");
    }
    memcpy (stem, name, length + 1);
    if (type == SQ_PROMETHEUS_COUNTER)
        strcat (stem, "_total");
    self->families[self->family_count++] = copy;
    free (self->family);
    self->family = stem;
    self->type = type;
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    int rc = 0;
    if (help)
        rc = s_append_string (self, "# HELP ") || s_append_string (self, stem) ||
             s_append_string (self, " ") || s_append_escaped (self, help, false) ||
             s_append_string (self, "\n");
    rc = rc || s_append_string (self, "# TYPE ") || s_append_string (self, stem) ||
         s_append_string (self, " ") || s_append_string (self, type_names[type]) ||
         s_append_string (self, "\n");
    return rc ? SQ_ENOMEM : 0;
}

//  Writes `<family><suffix>{labels[,le="<le>"]} ` (no braces without
//  labels), up to the value.
static int
s_append_name (sq_prometheus_t *self, const char *suffix, const char *const *labels, const char *le)
{
    if (s_append_string (self, self->family) || s_append_string (self, suffix))
        return -1;
    bool any = (labels && labels[0]) || le;
    if (any && s_append_string (self, "{"))
        return -1;
    for (size_t at = 0; labels && labels[at]; at += 2)
        if ((at && s_append_string (self, ",")) || s_append_string (self, labels[at]) ||
            s_append_string (self, "=\"") || s_append_escaped (self, labels[at + 1], true) ||
            s_append_string (self, "\""))
            return -1;
    if (le &&
        ((labels && labels[0] && s_append_string (self, ",")) || s_append_string (self, "le=\"") ||
         s_append_string (self, le) || s_append_string (self, "\"")))
        return -1;
    if (any && s_append_string (self, "}"))
        return -1;
    return s_append_string (self, " ");
}

int
sq_prometheus_counter (sq_prometheus_t *self, const char *const *labels, uint64_t value)
{
    assert (self);
    int rc = s_check_sample (self, SQ_PROMETHEUS_COUNTER, labels);
    if (rc)
        return rc;
    if (s_append_name (self, "", labels, NULL) || s_append_format (self, "%" PRIu64 "\n", value))
        return SQ_ENOMEM;
    return 0;
}

//  Shortest text that reads back as value (Go's ParseFloat accepts it).
static void
s_format_double (char *text, size_t size, double value)
{
    if (isnan (value))
        snprintf (text, size, "NaN");
    else if (isinf (value))
        snprintf (text, size, value > 0 ? "+Inf" : "-Inf");
    else {
        snprintf (text, size, "%.15g", value);
        if (strtod (text, NULL) != value)
            snprintf (text, size, "%.17g", value);
    }
}

int
sq_prometheus_gauge (sq_prometheus_t *self, const char *const *labels, double value)
{
    assert (self);
    int rc = s_check_sample (self, SQ_PROMETHEUS_GAUGE, labels);
    if (rc)
        return rc;
    char text[40];
    s_format_double (text, sizeof text, value);
    if (s_append_name (self, "", labels, NULL) || s_append_string (self, text) ||
        s_append_string (self, "\n"))
        return SQ_ENOMEM;
    return 0;
}

//  Nanoseconds as exact decimal seconds, trailing zeros dropped.
static void
s_format_seconds (char *text, size_t size, uint64_t nanos)
{
    int length = snprintf (text, size, "%" PRIu64 ".%09" PRIu64, nanos / NANOS, nanos % NANOS);
    assert (length > 0 && (size_t) length < size);
    while (text[length - 1] == '0')
        text[--length] = 0;
    if (text[length - 1] == '.')
        text[--length] = 0;
}

int
sq_prometheus_histogram (sq_prometheus_t *self, const char *const *labels,
                         const sq_histogram_t *histogram)
{
    assert (self && histogram);
    int rc = s_check_sample (self, SQ_PROMETHEUS_HISTOGRAM, labels);
    if (rc)
        return rc;
    char le[32];
    for (size_t index = 0; index < SQ_PROMETHEUS_LE_BOUNDS; index++) {
        uint64_t bound = sq_prometheus_le_bound (index);
        s_format_seconds (le, sizeof le, bound);
        if (s_append_name (self, "_bucket", labels, le) ||
            s_append_format (self, "%" PRIu64 "\n", sq_histogram_count_at_most (histogram, bound)))
            return SQ_ENOMEM;
    }
    //  +Inf is every bucket: the same total the finite bounds were cut
    //  from, even in a snapshot whose count field lags its buckets.
    uint64_t count = sq_histogram_count_at_most (histogram, UINT64_MAX);
    char sum[32];
    s_format_seconds (sum, sizeof sum, sq_histogram_sum (histogram));
    if (s_append_name (self, "_bucket", labels, "+Inf") ||
        s_append_format (self, "%" PRIu64 "\n", count) ||
        s_append_name (self, "_sum", labels, NULL) || s_append_string (self, sum) ||
        s_append_string (self, "\n") || s_append_name (self, "_count", labels, NULL) ||
        s_append_format (self, "%" PRIu64 "\n", count))
        return SQ_ENOMEM;
    return 0;
}
