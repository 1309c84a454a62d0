/*  sq_histogram - log-bucket latency histogram in nanoseconds

    A histogram counts values (nanoseconds, uint64) in buckets whose width
    is at most 1/32 of their lower bound, so a quantile read from it is
    within 1/64 (1.6%) of the exact one. It keeps count, sum and max
    exactly. Histograms of one layout merge by adding buckets, which is
    how executors are summed and windows are built.

    Layout (SQ_HISTOGRAM_BUCKETS = 1217 buckets): values 0..63 have one
    bucket each (exact). Each octave [2^m, 2^(m+1)) for m = 6..41 is cut
    into 32 buckets of width 2^(m-5). That covers 0 ns .. 2^42 ns (73
    minutes) with the bound above; larger values share one overflow
    bucket, whose quantile is reported as the exact max. Memory: count,
    sum and max, and from the first value recorded, 1217 counters of 8
    bytes: 9,768 bytes in all (a histogram nothing was recorded in, such as
    an idle executor's, holds 32).

    DESIGN: one writer, any number of readers. The writer (the executor's
    thread) records with relaxed atomic loads and stores, never with a
    read-modify-write: on x86-64 and AArch64 these compile to the plain
    moves of an ordinary increment, no lock prefix, no fence, and the C11
    memory model still calls a concurrent reader race-free. A reader on
    another thread takes sq_histogram_snapshot, a copy made with relaxed
    loads: every bucket it copies is a value that bucket held during the
    copy, so it lags the writer by at most the records made while copying.
    The copy's count is recomputed from the copied buckets, so its
    quantiles agree with its own count; its sum and max may already
    include a record or two its buckets miss. Only sq_histogram_record may
    run concurrently with a snapshot; every other function wants the
    histogram to itself.

    Sums saturate at 2^64 - 1 ns (584 years) instead of wrapping.
*/
#ifndef SQ_HISTOGRAM_H_INCLUDED
#define SQ_HISTOGRAM_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SQ_HISTOGRAM_EXACT 64       //  values below this have a bucket each
#define SQ_HISTOGRAM_SUB_BUCKETS 32 //  buckets per octave above that
#define SQ_HISTOGRAM_TOP_OCTAVE 41  //  last octave with fine buckets: below 2^42
#define SQ_HISTOGRAM_BUCKETS                                                                       \
    (SQ_HISTOGRAM_EXACT + (SQ_HISTOGRAM_TOP_OCTAVE - 5) * SQ_HISTOGRAM_SUB_BUCKETS + 1)
#define SQ_HISTOGRAM_LIMIT (1ULL << (SQ_HISTOGRAM_TOP_OCTAVE + 1)) //  overflow from here
#define SQ_HISTOGRAM_VERSION 1 //  layout number carried in the JSON form

typedef struct _sq_histogram_t sq_histogram_t;

//  New empty histogram. Returns NULL when out of memory. Caller owns.
sq_histogram_t *sq_histogram_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_histogram_destroy (sq_histogram_t **self_p);
//  Empty the histogram.
void sq_histogram_reset (sq_histogram_t *self);
//  Record one value in nanoseconds. For the single writer only; safe while
//  another thread runs sq_histogram_snapshot.
void sq_histogram_record (sq_histogram_t *self, uint64_t value);
//  Copy source into dest (both of this layout). Only source's single
//  writer may run meanwhile; see DESIGN for what the copy holds.
void sq_histogram_snapshot (sq_histogram_t *dest, const sq_histogram_t *source);
//  Add source's buckets, count and sum into dest; dest's max becomes the
//  larger of the two. Saturates instead of wrapping.
void sq_histogram_merge (sq_histogram_t *dest, const sq_histogram_t *source);
//  Set dest to later - earlier, bucket by bucket, for two cumulative
//  snapshots of one source. Returns 0, or -1 (dest untouched) when any
//  bucket, the count or the sum of later is below earlier's, which means
//  the source restarted (or when out of memory). dest's max is later's
//  max when that grew, else the top of dest's highest non-empty bucket,
//  capped at later's max.
int sq_histogram_subtract (sq_histogram_t *dest, const sq_histogram_t *later,
                           const sq_histogram_t *earlier);
//  Add count values to bucket index and to the count, saturating: for
//  rebuilding a histogram from its non-empty buckets.
void sq_histogram_add_bucket (sq_histogram_t *self, size_t index, uint64_t count);
//  Add sum to the sum (saturating) and raise max to at least max: the
//  rest of such a rebuild.
void sq_histogram_add_sum (sq_histogram_t *self, uint64_t sum, uint64_t max);
//  Heap bytes one histogram owns once it holds a value.
size_t sq_histogram_bytes (void);
//  Number of values recorded.
uint64_t sq_histogram_count (const sq_histogram_t *self);
//  Sum of the values recorded, nanoseconds (saturating).
uint64_t sq_histogram_sum (const sq_histogram_t *self);
//  Largest value recorded, or 0 when empty.
uint64_t sq_histogram_max (const sq_histogram_t *self);
//  Mean value in nanoseconds, or 0 when empty.
double sq_histogram_mean (const sq_histogram_t *self);
//  The q-quantile (0 <= q <= 1) in nanoseconds: the value of rank
//  max(1, ceil(q * count)) in sorted order, within 1/64 of it relative,
//  exact below 64 ns and never above max. The overflow bucket reports max.
//  Returns 0 when empty.
uint64_t sq_histogram_quantile (const sq_histogram_t *self, double q);
//  Count in bucket index (0 <= index < SQ_HISTOGRAM_BUCKETS).
uint64_t sq_histogram_bucket (const sq_histogram_t *self, size_t index);
//  Bucket index that value falls into.
size_t sq_histogram_index (uint64_t value);
//  Smallest value of bucket index.
uint64_t sq_histogram_bucket_low (size_t index);
//  Largest value of bucket index (UINT64_MAX for the overflow bucket).
uint64_t sq_histogram_bucket_high (size_t index);
//  Number of values below or at limit, counted from whole buckets: exact
//  when limit is the largest value of a bucket (sq_histogram_bucket_high),
//  else it also counts the values above limit in limit's own bucket.
uint64_t sq_histogram_count_at_most (const sq_histogram_t *self, uint64_t limit);

//  JSON form: {"v":1,"count":N,"sum":S,"max":M,"b":[index,count,...]},
//  the non-empty buckets as pairs with strictly increasing indexes.
//  Numbers above 2^63 - 1 (JSON integers here are signed) are sent as
//  2^63 - 1. Returns NULL when out of memory. Caller owns.
json_t *sq_histogram_encode (const sq_histogram_t *self);
//  Decode the JSON form into self (outside input: everything checked).
//  Returns 0, or SQ_EMALFORMED (self emptied, sq_last_error() says what
//  was wrong) when it is not an object of that shape and version, a number
//  is negative or not an integer, an index is out of range or not
//  increasing, a bucket count is 0, the counts do not add up to count, or
//  max does not lie in the highest non-empty bucket. Unknown keys are
//  ignored.
int sq_histogram_decode (sq_histogram_t *self, const json_t *json);

#endif
