/*  submit_monitor - the throughput table of storm-submit monitor

    `storm-submit monitor NAME` (Storm's `storm monitor`) asks nimbus for
    the topology's counts per component (the `metrics` verb,
    doc/control.md) every interval, and prints, per component, what it
    emitted (or transferred) on one stream over the interval and that
    count per second, with the acked, failed and timed-out tuples per
    second, and the trees timed out while its tasks held them
    and the trees they failed first, as the ackers count them (totals,
    not rates: the ackers' sums as they stand).

    This class is the arithmetic and the printing, without sockets or
    clocks: the caller hands it each reply with the time it came. The
    first reply only sets the baseline. Counts are cumulative per worker
    and summed by nimbus, so a restarted worker makes a sum go back: a
    count lower than the one before gives no rate for that interval
    ("-"), never a negative one. The reply comes from outside the process:
    missing counts read as 0.
*/
#ifndef SUBMIT_MONITOR_H_INCLUDED
#define SUBMIT_MONITOR_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

//  What a monitor watches.
typedef struct {
    const char *component; //  the one component to show, or NULL: all but system ones
    const char *stream;    //  the stream whose emitted/transferred count is shown
    bool transferred;      //  watch transferred tuples instead of emitted ones
} submit_monitor_options_t;

typedef struct _submit_monitor_t submit_monitor_t;

//  New monitor of topology name with options (copied). NULL when out of
//  memory. Caller owns.
submit_monitor_t *submit_monitor_new (const char *name, const submit_monitor_options_t *options);
//  Destroy; NULL-safe; nulls the caller's pointer.
void submit_monitor_destroy (submit_monitor_t **self_p);
//  Take a metrics reply received at now_ms (a monotonic clock). The first
//  one sets the baseline and prints nothing; each later one prints a line
//  per watched component (and the header before the first lines) with
//  the rates since the reply before. Returns 0, or -1 with the error set
//  when the reply has no components object or lacks the watched
//  component.
int submit_monitor_update (submit_monitor_t *self, const json_t *reply, int64_t now_ms, FILE *out);

#endif
