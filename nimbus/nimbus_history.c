/*  nimbus_history - the last 10 minutes of each topology, point by point

    See nimbus_history.h. Each topology holds a fixed ring of points and
    its previous sample (three counters, the time and a histogram), in a
    hash by topology id.
*/
#include "nimbus_history.h"

#include <assert.h>
#include <czmq.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  One topology's points and previous sample.
typedef struct {
    nimbus_history_point_t points[NIMBUS_HISTORY_POINTS]; //  the ring
    size_t next;                                          //  where the next point goes
    size_t size;                                          //  points kept, at most the ring's
    bool sampled;                                         //  a previous sample exists
    uint64_t last_ms;                                     //  its monotonic time
    uint64_t emitted;                                     //  its emitted
    uint64_t acked;                                       //  its acked
    uint64_t failed;                                      //  its failed
    sq_histogram_t *latency;                              //  its complete latency
} s_topology_t;

struct _nimbus_history_t {
    zhashx_t *topologies;     //  topology id -> s_topology_t
    sq_histogram_t *interval; //  scratch: the latencies between two samples
};

static void
s_topology_destroy (void **item_p)
{
    s_topology_t *topology = *item_p;
    if (topology) {
        sq_histogram_destroy (&topology->latency);
        free (topology);
        *item_p = NULL;
    }
}

nimbus_history_t *
nimbus_history_new (void)
{
    nimbus_history_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->topologies = zhashx_new ();
    self->interval = sq_histogram_new ();
    if (!self->topologies || !self->interval) {
        nimbus_history_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->topologies, s_topology_destroy);
    return self;
}

void
nimbus_history_destroy (nimbus_history_t **self_p)
{
    assert (self_p);
    nimbus_history_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->topologies);
        sq_histogram_destroy (&self->interval);
        free (self);
        *self_p = NULL;
    }
}

//  The topology's state, made when absent; NULL when out of memory.
static s_topology_t *
s_topology (nimbus_history_t *self, const char *topology_id)
{
    s_topology_t *topology = zhashx_lookup (self->topologies, topology_id);
    if (topology)
        return topology;
    topology = calloc (1, sizeof *topology);
    if (!topology)
        return NULL;
    topology->latency = sq_histogram_new ();
    if (!topology->latency || zhashx_insert (self->topologies, topology_id, topology)) {
        void *item = topology;
        s_topology_destroy (&item);
        return NULL;
    }
    return topology;
}

//  What a cumulative figure grew by since previous; the figure itself
//  when it went back (counted again from zero meanwhile).
static uint64_t
s_increment (uint64_t current, uint64_t previous)
{
    return current >= previous ? current - previous : current;
}

//  A latency quantile of histogram in ms; -1 when it is empty.
static double
s_quantile_ms (const sq_histogram_t *histogram, double q)
{
    if (sq_histogram_count (histogram) == 0)
        return -1;
    return (double) sq_histogram_quantile (histogram, q) / 1e6;
}

int
nimbus_history_add (nimbus_history_t *self, const char *topology_id, uint64_t now_ms, int64_t time,
                    const nimbus_history_sample_t *sample)
{
    assert (self && topology_id && sample);
    s_topology_t *topology = s_topology (self, topology_id);
    if (!topology)
        return -1;
    uint64_t span_ms;
    if (topology->sampled) {
        if (now_ms <= topology->last_ms)
            return 0;
        span_ms = now_ms - topology->last_ms;
    } else
        span_ms = sample->span_ms;
    nimbus_history_point_t point = {.time = time};
    if (span_ms > 0) {
        double secs = (double) span_ms / 1000;
        point.emitted = (double) s_increment (sample->emitted, topology->emitted) / secs;
        point.acked = (double) s_increment (sample->acked, topology->acked) / secs;
        point.failed = (double) s_increment (sample->failed, topology->failed) / secs;
    }
    //  The latencies recorded in between: the difference of the two
    //  all-time histograms, or the whole of the later one after a reset.
    sq_histogram_reset (self->interval);
    if (sample->complete_latency &&
        sq_histogram_subtract (self->interval, sample->complete_latency, topology->latency))
        sq_histogram_merge (self->interval, sample->complete_latency);
    point.complete_p50_ms = s_quantile_ms (self->interval, 0.5);
    point.complete_p99_ms = s_quantile_ms (self->interval, 0.99);
    if (span_ms > 0) {
        topology->points[topology->next] = point;
        topology->next = (topology->next + 1) % NIMBUS_HISTORY_POINTS;
        if (topology->size < NIMBUS_HISTORY_POINTS)
            topology->size++;
    }
    topology->sampled = true;
    topology->last_ms = now_ms;
    topology->emitted = sample->emitted;
    topology->acked = sample->acked;
    topology->failed = sample->failed;
    sq_histogram_reset (topology->latency);
    if (sample->complete_latency)
        sq_histogram_merge (topology->latency, sample->complete_latency);
    return 0;
}

int
nimbus_history_sample (nimbus_history_t *self, const nimbus_rest_source_t *source)
{
    assert (self && source);
    nimbus_metrics_stats_t all, spouts;
    nimbus_metrics_filter_t filter = {.sys = false};
    if (!nimbus_rest_stats (source, &filter, NIMBUS_WINDOW_ALL, &all))
        return -1;
    filter.spouts = true;
    if (!nimbus_rest_stats (source, &filter, NIMBUS_WINDOW_ALL, &spouts)) {
        nimbus_metrics_stats_free (&all);
        return -1;
    }
    nimbus_history_sample_t sample = {
        .emitted = all.emitted,
        .acked = spouts.acked,
        .failed = spouts.failed + spouts.timed_out,
        .span_ms = all.executors ? all.span_ms : 0,
        .complete_latency = spouts.complete_latency,
    };
    int rc = nimbus_history_add (self, source->topology_id, source->now_ms, source->now, &sample);
    nimbus_metrics_stats_free (&all);
    nimbus_metrics_stats_free (&spouts);
    return rc;
}

void
nimbus_history_forget (nimbus_history_t *self, const char *topology_id)
{
    assert (self && topology_id);
    zhashx_delete (self->topologies, topology_id);
}

size_t
nimbus_history_size (nimbus_history_t *self, const char *topology_id)
{
    assert (self && topology_id);
    s_topology_t *topology = zhashx_lookup (self->topologies, topology_id);
    return topology ? topology->size : 0;
}

nimbus_history_point_t
nimbus_history_point (nimbus_history_t *self, const char *topology_id, size_t index)
{
    assert (self && topology_id);
    s_topology_t *topology = zhashx_lookup (self->topologies, topology_id);
    assert (topology && index < topology->size);
    size_t oldest =
        (topology->next + NIMBUS_HISTORY_POINTS - topology->size) % NIMBUS_HISTORY_POINTS;
    return topology->points[(oldest + index) % NIMBUS_HISTORY_POINTS];
}

//  A number rounded to 3 decimals, or null when negative (none).
static json_t *
s_number (double value)
{
    return value < 0 ? json_null () : json_real (round (value * 1000) / 1000);
}

json_t *
nimbus_history_answer (nimbus_history_t *self, const char *topology_id)
{
    assert (self && topology_id);
    json_t *points = json_array ();
    size_t size = nimbus_history_size (self, topology_id);
    for (size_t i = 0; points && i < size; i++) {
        nimbus_history_point_t point = nimbus_history_point (self, topology_id, i);
        json_t *entry = json_pack (
            "{s:I, s:o, s:o, s:o, s:o, s:o}", "time", (json_int_t) point.time, "emitted",
            s_number (point.emitted), "acked", s_number (point.acked), "failed",
            s_number (point.failed), "completeLatencyP50Ms", s_number (point.complete_p50_ms),
            "completeLatencyP99Ms", s_number (point.complete_p99_ms));
        if (json_array_append_new (points, entry))
            json_decref (points), points = NULL;
    }
    if (!points)
        return NULL;
    return json_pack ("{s:s, s:i, s:o}", "topologyId", topology_id, "intervalSecs",
                      NIMBUS_HISTORY_INTERVAL_SECS, "points", points);
}
