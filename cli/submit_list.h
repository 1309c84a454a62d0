/*  submit_list - the table storm-submit list prints from nimbus's reply

    Reads the "topologies" array of a list reply (doc/control.md) and
    prints one line per topology. The reply comes from outside the
    process: missing fields print as "?" or 0, and no value, however
    large, breaks the table.
*/
#ifndef SUBMIT_LIST_H_INCLUDED
#define SUBMIT_LIST_H_INCLUDED

#include <jansson.h>
#include <stdio.h>

//  Print the topologies of a list reply as a table (name, id, status,
//  uptime, workers, executors, tasks, and the counters emitted, executed,
//  acked, failed, timed out and pending) on out.
//  Returns 0, or -1 with the error set when the reply has no topology
//  list.
int submit_list_print (const json_t *reply, FILE *out);

#endif
