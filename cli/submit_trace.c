/*  submit_trace - print sampled tuple trees as text timelines */
#include "submit_trace.h"
#include "sq_local_cluster.h"
#include "sq_runtime.h"

#include <math.h>
#include <string.h>
#include <time.h>

//  A string member, or "?".
static const char *
s_text (const json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : "?";
}

//  A number member, or NAN when absent or null.
static double
s_number (const json_t *object, const char *key)
{
    const json_t *value = json_object_get (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

//  Write a time in ms (or "-" when unknown) into text.
static const char *
s_ms (double ms, char *text, size_t size, const char *sign)
{
    if (isnan (ms))
        snprintf (text, size, "-");
    else
        snprintf (text, size, "%s%.3f", sign, ms);
    return text;
}

static void
s_print_hop (const json_t *hop, FILE *out)
{
    double emit = s_number (hop, "emitMs"), enqueue = s_number (hop, "enqueueMs");
    double execute = s_number (hop, "executeMs"), done = s_number (hop, "doneMs");
    char at[32], latency[32], wait[32], finished[32];
    double start = !isnan (emit) ? emit : !isnan (enqueue) ? enqueue : execute;
    fprintf (out, "  %9s  %s:%lld -> %s:%lld [%s] on %s  hop %s ms  queued %s ms  %s %s\n",
             s_ms (start, at, sizeof at, "+"), s_text (hop, "fromComponent"),
             (long long) json_integer_value (json_object_get (hop, "fromTask")),
             s_text (hop, "component"),
             (long long) json_integer_value (json_object_get (hop, "task")), s_text (hop, "stream"),
             json_is_string (json_object_get (hop, "worker")) ? s_text (hop, "worker") : "-",
             s_ms (execute - emit, latency, sizeof latency, ""),
             s_ms (execute - enqueue, wait, sizeof wait, ""), s_text (hop, "outcome"),
             s_ms (done, finished, sizeof finished, "+"));
}

static void
s_print_tree (const json_t *trace, FILE *out)
{
    double start = s_number (trace, "startMs");
    char when[64] = "?";
    if (!isnan (start)) {
        time_t secs = (time_t) (start / 1000);
        struct tm utc;
        gmtime_r (&secs, &utc);
        size_t length = strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S", &utc);
        snprintf (when + length, sizeof when - length, ".%03d UTC", (int) fmod (start, 1000.0));
    }
    const char *status = s_text (trace, "status");
    fprintf (out, "tree %s from %s:%lld at %s: %s", s_text (trace, "rootId"),
             s_text (trace, "spout"),
             (long long) json_integer_value (json_object_get (trace, "spoutTask")), when, status);
    double complete = s_number (trace, "completeMs");
    if (!isnan (complete))
        fprintf (out, " in %.3f ms", complete);
    fprintf (out, "\n");
    size_t i;
    const json_t *hop;
    json_array_foreach (json_object_get (trace, "hops"), i, hop)
    {
        s_print_hop (hop, out);
    }
    json_int_t dropped = json_integer_value (json_object_get (trace, "hopsDropped"));
    if (dropped > 0)
        fprintf (out, "  (%lld more hops not kept)\n", (long long) dropped);
    const json_t *stop;
    json_array_foreach (json_object_get (trace, "stoppedAt"), i, stop)
    {
        fprintf (out, "  stopped at %s:%lld: %s\n", s_text (stop, "component"),
                 (long long) json_integer_value (json_object_get (stop, "task")),
                 s_text (stop, "reason"));
    }
}

int
submit_trace_print (const json_t *answer, FILE *out)
{
    if (!json_is_object (answer))
        return -1;
    const json_t *traces = json_object_get (answer, "traces");
    fprintf (out, "topology %s: tracing %g%% of spout trees; %zu sampled trees (newest first)\n",
             s_text (answer, "topologyId"), s_number (answer, "samplePct"),
             json_array_size (traces));
    size_t i;
    const json_t *trace;
    json_array_foreach (traces, i, trace)
    {
        fprintf (out, "\n");
        s_print_tree (trace, out);
    }
    const json_t *edges = json_object_get (answer, "edges");
    if (json_array_size (edges) == 0)
        return 0;
    fprintf (out, "\nhop latency per edge (execute start - emit, ms):\n");
    fprintf (out, "  %-40s %8s %10s %10s\n", "edge [stream]", "hops", "p50", "p99");
    const json_t *edge;
    json_array_foreach (edges, i, edge)
    {
        char name[256], p50[32], p99[32];
        snprintf (name, sizeof name, "%s -> %s [%s]", s_text (edge, "from"), s_text (edge, "to"),
                  s_text (edge, "stream"));
        fprintf (out, "  %-40s %8lld %10s %10s\n", name,
                 (long long) json_integer_value (json_object_get (edge, "count")),
                 s_ms (s_number (edge, "p50Ms"), p50, sizeof p50, ""),
                 s_ms (s_number (edge, "p99Ms"), p99, sizeof p99, ""));
    }
    return 0;
}

int
submit_trace_fold_local (sq_local_cluster_t *cluster, const char *name, sq_trace_store_t *store)
{
    sq_runtime_t *runtime = sq_local_cluster_runtime (cluster, name);
    int rc = 0;
    json_t *report;
    //  Each take empties the buffer by up to a report's worth; what the
    //  executors add meanwhile waits for the next call.
    for (int takes = 0; runtime && takes <= SQ_TRACE_BUFFER_EVENTS / SQ_TRACE_REPORT_EVENTS;
         takes++) {
        report = sq_runtime_traces (runtime, SQ_TRACE_REPORT_EVENTS, SQ_TRACE_REPORT_BYTES);
        if (!report)
            break;
        rc |= sq_trace_store_add (store, report, "local");
        json_decref (report);
    }
    return rc;
}
