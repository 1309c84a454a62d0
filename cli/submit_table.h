/*  submit_table - the per-component table of a local run

    At the end of `storm-submit --local`, one line per component with
    Storm UI's columns: executors, emitted, transferred, acked, failed,
    timed out, executed, execute / process / complete latency (p50 and p99,
    milliseconds) and capacity. Columns that do not apply to a component
    (complete latency of a bolt, execute latency of a spout) print "-".
*/
#ifndef SUBMIT_TABLE_H_INCLUDED
#define SUBMIT_TABLE_H_INCLUDED

#include "squall.h"

#include <stdio.h>

//  Print the rows (from sq_local_cluster_component_metrics) on out.
void submit_table_print (const sq_component_metrics_t *rows, size_t count, FILE *out);

#endif
