/*  sq_histogram - log-bucket latency histogram in nanoseconds

    The bucket of a value v >= 64 is found from its top bit m (63 - clz):
    the next five bits below it pick one of 32 buckets in the octave. The
    fields are _Atomic only so that a snapshot on another thread is not a
    data race; the writer uses relaxed loads and stores (see the header).
*/
#include "sq_histogram.h"
#include "sq_error.h"

#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#define SUB_BITS 5 //  log2 (SQ_HISTOGRAM_SUB_BUCKETS)
#define OVERFLOW_INDEX (SQ_HISTOGRAM_BUCKETS - 1)
#define JSON_INT_MAX 0x7fffffffffffffffULL //  largest json_int_t

//  The buckets are allocated by the first write, so a histogram that never
//  records (an idle executor's) holds no bucket memory.
struct _sq_histogram_t {
    _Atomic uint64_t count;               //  values recorded
    _Atomic uint64_t sum;                 //  their sum, saturating
    _Atomic uint64_t max;                 //  largest value, 0 when empty
    _Atomic (_Atomic uint64_t *) buckets; //  count per bucket; NULL until the first write
};

static inline uint64_t
s_load (const _Atomic uint64_t *field)
{
    return atomic_load_explicit (field, memory_order_relaxed);
}

static inline void
s_store (_Atomic uint64_t *field, uint64_t value)
{
    atomic_store_explicit (field, value, memory_order_relaxed);
}

static inline uint64_t
s_add_saturating (uint64_t a, uint64_t b)
{
    uint64_t sum = a + b;
    return sum < a ? UINT64_MAX : sum;
}

//  The buckets to read; NULL means all are 0.
static inline const _Atomic uint64_t *
s_buckets (const sq_histogram_t *self)
{
    return atomic_load_explicit (&self->buckets, memory_order_acquire);
}

static inline uint64_t
s_bucket (const _Atomic uint64_t *buckets, size_t index)
{
    return buckets ? s_load (&buckets[index]) : 0;
}

//  The buckets to write (the one writer's call), made all 0 on first use;
//  NULL when out of memory.
static _Atomic uint64_t *
s_writable (sq_histogram_t *self)
{
    _Atomic uint64_t *buckets = atomic_load_explicit (&self->buckets, memory_order_relaxed);
    if (!buckets) {
        buckets = calloc (SQ_HISTOGRAM_BUCKETS, sizeof (_Atomic uint64_t));
        if (buckets)
            atomic_store_explicit (&self->buckets, buckets, memory_order_release);
    }
    return buckets;
}

sq_histogram_t *
sq_histogram_new (void)
{
    sq_histogram_t *self = calloc (1, sizeof (sq_histogram_t));
    if (self)
        sq_histogram_reset (self);
    return self;
}

void
sq_histogram_destroy (sq_histogram_t **self_p)
{
    assert (self_p);
    if (*self_p)
        free ((void *) s_buckets (*self_p));
    free (*self_p);
    *self_p = NULL;
}

void
sq_histogram_reset (sq_histogram_t *self)
{
    assert (self);
    s_store (&self->count, 0);
    s_store (&self->sum, 0);
    s_store (&self->max, 0);
    _Atomic uint64_t *buckets = atomic_load_explicit (&self->buckets, memory_order_relaxed);
    for (size_t index = 0; buckets && index < SQ_HISTOGRAM_BUCKETS; index++)
        s_store (&buckets[index], 0);
}

size_t
sq_histogram_index (uint64_t value)
{
    if (value < SQ_HISTOGRAM_EXACT)
        return (size_t) value;
    if (value >= SQ_HISTOGRAM_LIMIT)
        return OVERFLOW_INDEX;
    unsigned top = 63u - (unsigned) __builtin_clzll (value); //  6 .. 41
    unsigned sub = (unsigned) (value >> (top - SUB_BITS)) - SQ_HISTOGRAM_SUB_BUCKETS;
    return SQ_HISTOGRAM_EXACT + (size_t) (top - 6) * SQ_HISTOGRAM_SUB_BUCKETS + sub;
}

uint64_t
sq_histogram_bucket_low (size_t index)
{
    assert (index < SQ_HISTOGRAM_BUCKETS);
    if (index < SQ_HISTOGRAM_EXACT)
        return index;
    if (index == OVERFLOW_INDEX)
        return SQ_HISTOGRAM_LIMIT;
    size_t fine = index - SQ_HISTOGRAM_EXACT;
    unsigned top = 6 + (unsigned) (fine / SQ_HISTOGRAM_SUB_BUCKETS);
    uint64_t sub = SQ_HISTOGRAM_SUB_BUCKETS + fine % SQ_HISTOGRAM_SUB_BUCKETS;
    return sub << (top - SUB_BITS);
}

uint64_t
sq_histogram_bucket_high (size_t index)
{
    assert (index < SQ_HISTOGRAM_BUCKETS);
    if (index == OVERFLOW_INDEX)
        return UINT64_MAX;
    return sq_histogram_bucket_low (index + 1) - 1;
}

void
sq_histogram_record (sq_histogram_t *self, uint64_t value)
{
    _Atomic uint64_t *buckets = s_writable (self);
    if (!buckets)
        return; //  out of memory: the value is not counted at all
    _Atomic uint64_t *bucket = &buckets[sq_histogram_index (value)];
    s_store (bucket, s_load (bucket) + 1);
    s_store (&self->count, s_load (&self->count) + 1);
    s_store (&self->sum, s_add_saturating (s_load (&self->sum), value));
    if (value > s_load (&self->max))
        s_store (&self->max, value);
}

void
sq_histogram_snapshot (sq_histogram_t *dest, const sq_histogram_t *source)
{
    assert (dest && source && dest != source);
    //  Records that land during the copy may show in sum and max but not
    //  in the buckets (or the reverse); the count is the buckets' own
    //  total, and max is kept inside the highest bucket copied, so the
    //  snapshot is a histogram the decoder accepts (a heartbeat carrying
    //  one it refused would be dropped whole).
    const _Atomic uint64_t *from = s_buckets (source);
    _Atomic uint64_t *to = from ? s_writable (dest) : NULL;
    if (!to) {
        //  Nothing recorded yet (or out of memory): an empty histogram.
        sq_histogram_reset (dest);
        return;
    }
    uint64_t count = 0;
    size_t highest = SQ_HISTOGRAM_BUCKETS;
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++) {
        uint64_t value = s_load (&from[index]);
        s_store (&to[index], value);
        count = s_add_saturating (count, value);
        if (value)
            highest = index;
    }
    s_store (&dest->count, count);
    uint64_t max = 0, sum = 0;
    if (count) {
        max = s_load (&source->max);
        if (max < sq_histogram_bucket_low (highest))
            max = sq_histogram_bucket_low (highest);
        if (max > sq_histogram_bucket_high (highest))
            max = sq_histogram_bucket_high (highest);
        sum = s_load (&source->sum);
    }
    s_store (&dest->max, max);
    s_store (&dest->sum, sum);
}

void
sq_histogram_merge (sq_histogram_t *dest, const sq_histogram_t *source)
{
    assert (dest && source);
    const _Atomic uint64_t *from = s_buckets (source);
    _Atomic uint64_t *to = from ? s_writable (dest) : NULL;
    if (from && !to)
        return; //  out of memory: source is left out whole
    for (size_t index = 0; from && index < SQ_HISTOGRAM_BUCKETS; index++)
        s_store (&to[index], s_add_saturating (s_load (&to[index]), s_load (&from[index])));
    s_store (&dest->count, s_add_saturating (s_load (&dest->count), s_load (&source->count)));
    s_store (&dest->sum, s_add_saturating (s_load (&dest->sum), s_load (&source->sum)));
    if (s_load (&source->max) > s_load (&dest->max))
        s_store (&dest->max, s_load (&source->max));
}

int
sq_histogram_subtract (sq_histogram_t *dest, const sq_histogram_t *later,
                       const sq_histogram_t *earlier)
{
    assert (dest && later && earlier);
    if (s_load (&later->count) < s_load (&earlier->count) ||
        s_load (&later->sum) < s_load (&earlier->sum))
        return -1;
    const _Atomic uint64_t *later_buckets = s_buckets (later);
    const _Atomic uint64_t *earlier_buckets = s_buckets (earlier);
    for (size_t index = 0; index < SQ_HISTOGRAM_BUCKETS; index++)
        if (s_bucket (later_buckets, index) < s_bucket (earlier_buckets, index))
            return -1;
    _Atomic uint64_t *to = later_buckets ? s_writable (dest) : NULL;
    if (later_buckets && !to)
        return -1; //  out of memory, dest untouched
    if (!later_buckets)
        sq_histogram_reset (dest);
    size_t highest = SQ_HISTOGRAM_BUCKETS;
    for (size_t index = 0; to && index < SQ_HISTOGRAM_BUCKETS; index++) {
        uint64_t value = s_load (&later_buckets[index]) - s_bucket (earlier_buckets, index);
        s_store (&to[index], value);
        if (value)
            highest = index;
    }
    s_store (&dest->count, s_load (&later->count) - s_load (&earlier->count));
    s_store (&dest->sum, s_load (&later->sum) - s_load (&earlier->sum));
    uint64_t later_max = s_load (&later->max);
    uint64_t max = 0;
    if (later_max > s_load (&earlier->max))
        max = later_max;
    else if (highest < SQ_HISTOGRAM_BUCKETS) {
        max = sq_histogram_bucket_high (highest);
        if (max > later_max)
            max = later_max;
    }
    s_store (&dest->max, max);
    return 0;
}

void
sq_histogram_add_bucket (sq_histogram_t *self, size_t index, uint64_t count)
{
    assert (self && index < SQ_HISTOGRAM_BUCKETS);
    _Atomic uint64_t *buckets = s_writable (self);
    if (!buckets)
        return; //  out of memory: left out, count included
    s_store (&buckets[index], s_add_saturating (s_load (&buckets[index]), count));
    s_store (&self->count, s_add_saturating (s_load (&self->count), count));
}

void
sq_histogram_add_sum (sq_histogram_t *self, uint64_t sum, uint64_t max)
{
    assert (self);
    s_store (&self->sum, s_add_saturating (s_load (&self->sum), sum));
    if (max > s_load (&self->max))
        s_store (&self->max, max);
}

size_t
sq_histogram_bytes (void)
{
    return sizeof (sq_histogram_t) + SQ_HISTOGRAM_BUCKETS * sizeof (uint64_t);
}

uint64_t
sq_histogram_count (const sq_histogram_t *self)
{
    assert (self);
    return s_load (&self->count);
}

uint64_t
sq_histogram_sum (const sq_histogram_t *self)
{
    assert (self);
    return s_load (&self->sum);
}

uint64_t
sq_histogram_max (const sq_histogram_t *self)
{
    assert (self);
    return s_load (&self->max);
}

double
sq_histogram_mean (const sq_histogram_t *self)
{
    assert (self);
    uint64_t count = s_load (&self->count);
    return count ? (double) s_load (&self->sum) / (double) count : 0.0;
}

uint64_t
sq_histogram_bucket (const sq_histogram_t *self, size_t index)
{
    assert (self && index < SQ_HISTOGRAM_BUCKETS);
    return s_bucket (s_buckets (self), index);
}

uint64_t
sq_histogram_quantile (const sq_histogram_t *self, double q)
{
    assert (self);
    assert (q >= 0.0 && q <= 1.0);
    uint64_t count = s_load (&self->count);
    if (count == 0)
        return 0;
    double wanted = ceil (q * (double) count);
    uint64_t rank = wanted < 1.0 ? 1 : wanted >= (double) count ? count : (uint64_t) wanted;
    uint64_t max = s_load (&self->max);
    const _Atomic uint64_t *buckets = s_buckets (self);
    uint64_t seen = 0;
    for (size_t index = 0; buckets && index < SQ_HISTOGRAM_BUCKETS; index++) {
        seen += s_load (&buckets[index]);
        if (seen >= rank) {
            if (index == OVERFLOW_INDEX)
                return max;
            //  The middle of the bucket: at most half its width from any
            //  value in it, and its width is at most 1/32 of its low end.
            uint64_t low = sq_histogram_bucket_low (index);
            uint64_t middle = low + (sq_histogram_bucket_high (index) - low) / 2;
            return middle > max ? max : middle;
        }
    }
    return max; //  count ran ahead of the buckets: only in a torn snapshot
}

uint64_t
sq_histogram_count_at_most (const sq_histogram_t *self, uint64_t limit)
{
    assert (self);
    size_t last = sq_histogram_index (limit);
    const _Atomic uint64_t *buckets = s_buckets (self);
    uint64_t total = 0;
    for (size_t index = 0; buckets && index <= last; index++)
        total = s_add_saturating (total, s_load (&buckets[index]));
    return total;
}

//  ---------------------------------------------------------------------
//  JSON form

static json_int_t
s_json_number (uint64_t value)
{
    return (json_int_t) (value > JSON_INT_MAX ? JSON_INT_MAX : value);
}

json_t *
sq_histogram_encode (const sq_histogram_t *self)
{
    assert (self);
    json_t *pairs = json_array ();
    const _Atomic uint64_t *buckets = s_buckets (self);
    for (size_t index = 0; pairs && buckets && index < SQ_HISTOGRAM_BUCKETS; index++) {
        uint64_t value = s_load (&buckets[index]);
        if (value && (json_array_append_new (pairs, json_integer ((json_int_t) index)) ||
                      json_array_append_new (pairs, json_integer (s_json_number (value))))) {
            json_decref (pairs);
            return NULL;
        }
    }
    if (!pairs)
        return NULL;
    return json_pack ("{s:i, s:I, s:I, s:I, s:o}", "v", SQ_HISTOGRAM_VERSION, "count",
                      s_json_number (s_load (&self->count)), "sum",
                      s_json_number (s_load (&self->sum)), "max",
                      s_json_number (s_load (&self->max)), "b", pairs);
}

//  The member key of object as a non-negative integer into *value.
static int
s_decode_number (const json_t *object, const char *key, uint64_t *value)
{
    json_t *member = json_object_get (object, key);
    if (!json_is_integer (member))
        return sq_error_set_code (SQ_EMALFORMED, "histogram: \"%s\" missing or not an integer",
                                  key);
    json_int_t number = json_integer_value (member);
    if (number < 0)
        return sq_error_set_code (SQ_EMALFORMED, "histogram: \"%s\" is negative (%lld)", key,
                                  (long long) number);
    *value = (uint64_t) number;
    return 0;
}

static int
s_decode (sq_histogram_t *self, const json_t *json)
{
    if (!json_is_object (json))
        return sq_error_set_code (SQ_EMALFORMED, "histogram: not a JSON object");
    uint64_t version, count, sum, max;
    if (s_decode_number (json, "v", &version) || s_decode_number (json, "count", &count) ||
        s_decode_number (json, "sum", &sum) || s_decode_number (json, "max", &max))
        return SQ_EMALFORMED;
    if (version != SQ_HISTOGRAM_VERSION)
        return sq_error_set_code (SQ_EMALFORMED, "histogram: layout version %llu, want %d",
                                  (unsigned long long) version, SQ_HISTOGRAM_VERSION);
    json_t *pairs = json_object_get (json, "b");
    if (!json_is_array (pairs))
        return sq_error_set_code (SQ_EMALFORMED, "histogram: \"b\" missing or not an array");
    size_t size = json_array_size (pairs);
    if (size % 2 || size / 2 > SQ_HISTOGRAM_BUCKETS)
        return sq_error_set_code (SQ_EMALFORMED,
                                  "histogram: \"b\" has %zu numbers, want pairs of at most %d",
                                  size, SQ_HISTOGRAM_BUCKETS);
    uint64_t total = 0;
    size_t highest = SQ_HISTOGRAM_BUCKETS;
    for (size_t at = 0; at < size; at += 2) {
        json_t *index_json = json_array_get (pairs, at);
        json_t *value_json = json_array_get (pairs, at + 1);
        if (!json_is_integer (index_json) || !json_is_integer (value_json))
            return sq_error_set_code (SQ_EMALFORMED,
                                      "histogram: \"b\"[%zu] is not a pair of integers", at);
        json_int_t index = json_integer_value (index_json);
        json_int_t value = json_integer_value (value_json);
        if (index < 0 || index >= SQ_HISTOGRAM_BUCKETS)
            return sq_error_set_code (SQ_EMALFORMED, "histogram: bucket index %lld out of range",
                                      (long long) index);
        if (highest < SQ_HISTOGRAM_BUCKETS && (size_t) index <= highest)
            return sq_error_set_code (SQ_EMALFORMED,
                                      "histogram: bucket index %lld not above the previous %zu",
                                      (long long) index, highest);
        if (value <= 0)
            return sq_error_set_code (SQ_EMALFORMED, "histogram: bucket %lld has count %lld",
                                      (long long) index, (long long) value);
        _Atomic uint64_t *buckets = s_writable (self);
        if (!buckets)
            return sq_error_set_code (SQ_ENOMEM, "histogram: out of memory");
        s_store (&buckets[index], (uint64_t) value);
        total = s_add_saturating (total, (uint64_t) value);
        highest = (size_t) index;
    }
    if (total != count)
        return sq_error_set_code (SQ_EMALFORMED,
                                  "histogram: buckets hold %llu values, count says %llu",
                                  (unsigned long long) total, (unsigned long long) count);
    if (count == 0
            ? max != 0 || sum != 0
            : max < sq_histogram_bucket_low (highest) || max > sq_histogram_bucket_high (highest))
        return sq_error_set_code (SQ_EMALFORMED,
                                  "histogram: max %llu (or sum) does not fit the buckets",
                                  (unsigned long long) max);
    s_store (&self->count, count);
    s_store (&self->sum, sum);
    s_store (&self->max, max);
    return 0;
}

int
sq_histogram_decode (sq_histogram_t *self, const json_t *json)
{
    assert (self);
    sq_histogram_reset (self);
    int rc = s_decode (self, json);
    if (rc)
        sq_histogram_reset (self);
    return rc;
}
