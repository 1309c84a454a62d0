/*  sq_prometheus - writer of Prometheus text exposition format 0.0.4

    Builds the body of a `GET /metrics` answer in a growable buffer, one
    metric family at a time: sq_prometheus_family writes the family's
    `# HELP` and `# TYPE` lines, then the sample calls write its samples.
    The rules the writer keeps, whatever names and values it is given:

    - Family names start with `squall_`, then letters, digits and `_`;
      they may not end in `_total`, `_bucket`, `_sum` or `_count`, so no
      two families can produce one sample name. A family is written once.
    - Counters get `_total` appended (`squall_tuples_emitted_total`), in
      the `# HELP`/`# TYPE` lines too, as format 0.0.4 names them.
    - Label names are letters, digits and `_`, not starting with a digit
      or `__`, none twice in a sample; `le` is the writer's own in
      histograms. Label values are escaped: backslash as `\\`, double
      quote as `\"`, newline as `\n`; bytes that are not UTF-8 become
      U+FFFD. Help text escapes backslash and newline the same way.
    - Values are base units. Histograms (nanoseconds in sq_histogram) are
      written in seconds as cumulative `_bucket{le="..."}` lines, then
      `_sum` and `_count`. The bounds are 2^k - 1 nanoseconds for k = 10,
      12, ..., 42 (1.023 us to 73 minutes, every 4x) and +Inf. A bound of
      2^k - 1 ns is the top of a histogram bucket, so each cumulative
      count is exact, not interpolated; the bounds print exactly
      (le="0.000001023").
    - Sample lines carry no timestamps; the scrape's time is theirs.
    - Not checked here: that no two samples of a family have the same
      label set. The caller writes each series once.

    A call that breaks a rule writes nothing, returns -1 and says why in
    sq_last_error(); the text written so far stays valid. Out of memory,
    a call returns SQ_ENOMEM, may leave a partial line, and every later
    call fails too: drop the writer. Not thread safe.
*/
#ifndef SQ_PROMETHEUS_H_INCLUDED
#define SQ_PROMETHEUS_H_INCLUDED

#include "sq_histogram.h"

#include <stddef.h>
#include <stdint.h>

#define SQ_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SQ_PROMETHEUS_LE_BOUNDS 17 //  finite le bounds of a histogram

typedef enum {
    SQ_PROMETHEUS_COUNTER,  //  monotonic count: `<name>_total`
    SQ_PROMETHEUS_GAUGE,    //  value that goes up and down
    SQ_PROMETHEUS_HISTOGRAM //  sq_histogram in seconds
} sq_prometheus_type_t;

typedef struct _sq_prometheus_t sq_prometheus_t;

//  New empty writer. Returns NULL when out of memory. Caller owns.
sq_prometheus_t *sq_prometheus_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_prometheus_destroy (sq_prometheus_t **self_p);
//  Start a family: write its `# HELP` (when help is not NULL) and
//  `# TYPE` lines. Returns 0, -1 when the name breaks the rules or was
//  written before, or SQ_ENOMEM.
int sq_prometheus_family (sq_prometheus_t *self, const char *name, sq_prometheus_type_t type,
                          const char *help);
//  Write a sample of the current family, which must be a counter. labels
//  is NULL or a NULL-terminated list of name, value, name, value, ...
//  Returns 0, -1 when a rule is broken, or SQ_ENOMEM.
int sq_prometheus_counter (sq_prometheus_t *self, const char *const *labels, uint64_t value);
//  Write a sample of the current family, which must be a gauge. NaN and
//  infinities are written as NaN, +Inf, -Inf. Returns 0, -1 or SQ_ENOMEM.
int sq_prometheus_gauge (sq_prometheus_t *self, const char *const *labels, double value);
//  Write the `_bucket`, `_sum` and `_count` lines of one histogram (in
//  nanoseconds) of the current family, which must be a histogram.
//  Returns 0, -1 or SQ_ENOMEM.
int sq_prometheus_histogram (sq_prometheus_t *self, const char *const *labels,
                             const sq_histogram_t *histogram);
//  The text written so far, NUL-terminated. Owned by the writer; valid
//  until its next call.
const char *sq_prometheus_text (const sq_prometheus_t *self);
//  Its length in bytes.
size_t sq_prometheus_size (const sq_prometheus_t *self);
//  The finite le bound index (0 <= index < SQ_PROMETHEUS_LE_BOUNDS) in
//  nanoseconds: 2^(10 + 2 index) - 1.
uint64_t sq_prometheus_le_bound (size_t index);

#endif
