/*  submit_list - the table storm-submit list prints from nimbus's reply

    Reads the "topologies" array of a list reply (doc/control.md) and
    prints one line per topology. The reply comes from outside the
    process: missing fields print as "?" or 0, and no value, however
    large, breaks the table.
*/
#ifndef SUBMIT_LIST_H_INCLUDED
#define SUBMIT_LIST_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

//  Print the topologies of a list reply as a table (name, id, status,
//  uptime, workers, executors, tasks, and the counters emitted, executed,
//  acked, failed, timed out and pending) on out.
//  Returns 0, or -1 with the error set when the reply has no topology
//  list.
//  A failing topology (its "failing" field) says so in its status and
//  gets a line with its "last_failure"; one with fewer "workers" than
//  "requested_workers" gets a warning line.
int submit_list_print (const json_t *reply, FILE *out);
//  Print a failure record of nimbus's (doc/control.md, "list") as one
//  line on out: how long ago at unix time now, where, the component and
//  task when known, the cause and message, the restarts; with_log adds
//  the worker log's last lines, indented. Fields missing print as "?".
void submit_list_print_failure (const json_t *failure, int64_t now, bool with_log, FILE *out);

#endif
