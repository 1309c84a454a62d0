/*  submit_table - the per-component table of a local run */
#include "submit_table.h"

//  A latency pair "p50/p99" into buffer, or "-" when it does not apply.
static const char *
s_latency (char *buffer, size_t size, bool applies, double p50, double p99)
{
    if (!applies)
        return "-";
    snprintf (buffer, size, "%.3f/%.3f", p50, p99);
    return buffer;
}

//  A count into buffer, or "-" when it does not apply.
static const char *
s_count (char *buffer, size_t size, bool applies, uint64_t count)
{
    if (!applies)
        return "-";
    snprintf (buffer, size, "%llu", (unsigned long long) count);
    return buffer;
}

void
submit_table_print (const sq_component_metrics_t *rows, size_t count, FILE *out)
{
    fprintf (out, "%-20s %4s %12s %12s %12s %10s %10s %12s %19s %19s %19s %8s %13s %12s\n",
             "component", "exec", "emitted", "transferred", "acked", "failed", "timed-out",
             "executed", "execute-ms-p50/p99", "process-ms-p50/p99", "complete-ms-p50/p99",
             "capacity", "timeouts-held", "fails-blamed");
    for (size_t r = 0; r < count; r++) {
        const sq_component_metrics_t *row = &rows[r];
        char timed_out[24], executed[24], execute[48], process[48], complete[48], capacity[24],
            held[24], blamed[24];
        bool bolt = !row->spout;
        fprintf (
            out, "%-20s %4d %12llu %12llu %12llu %10llu %10s %12s %19s %19s %19s %8s %13s %12s\n",
            row->component, row->executors, (unsigned long long) row->emitted,
            (unsigned long long) row->transferred, (unsigned long long) row->acked,
            (unsigned long long) row->failed,
            s_count (timed_out, sizeof timed_out, row->spout, row->timed_out),
            s_count (executed, sizeof executed, bolt, row->executed),
            s_latency (execute, sizeof execute, bolt, row->execute_p50_ms, row->execute_p99_ms),
            s_latency (process, sizeof process, bolt, row->process_p50_ms, row->process_p99_ms),
            s_latency (complete, sizeof complete, row->spout, row->complete_p50_ms,
                       row->complete_p99_ms),
            bolt ? (snprintf (capacity, sizeof capacity, "%.3f", row->capacity), capacity) : "-",
            s_count (held, sizeof held, bolt, row->timeouts_held),
            s_count (blamed, sizeof blamed, bolt, row->fails_blamed));
    }
}
