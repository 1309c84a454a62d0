/*  submit_client - storm-submit's cluster commands, over the control protocol

    Each command is one request to nimbus (doc/control.md) through
    sq_control, waiting up to the client's timeout. storm-submit checks a
    package before it submits it (submit_isolation: it loads, builds and
    validates in a child process), so that a broken topology is refused
    before anything is sent. Errors
    come back as -1 with sq_last_error() holding nimbus's sentence, or
    naming the endpoint when nimbus did not answer.
*/
#ifndef SUBMIT_CLIENT_H_INCLUDED
#define SUBMIT_CLIENT_H_INCLUDED

#include "squall.h"

#include <jansson.h>
#include <stdio.h>

typedef struct _submit_client_t submit_client_t;
typedef struct _sq_curve_t sq_curve_t;

//  New client for the nimbuses at endpoint ("tcp://host:port", or several
//  separated by commas: requests go to the leader, sq_nimbuses), waiting
//  up to timeout_ms for each nimbus's answer. NULL when out of memory.
//  Caller owns.
submit_client_t *submit_client_new (const char *endpoint, int timeout_ms);
//  Talk CURVE with a copy of curve's keys (NULL: plain). Returns 0, or -1
//  when out of memory.
int submit_client_set_curve (submit_client_t *self, const sq_curve_t *curve);
//  Destroy; NULL-safe; nulls the caller's pointer.
void submit_client_destroy (submit_client_t **self_p);
//  Submit the package at path (checked by submit_isolation) as topology
//  name, with options (NULL: the defaults; an inactive initial
//  status is sent as protocol version 2). Returns 0 with the new topology
//  id in *id_p (caller frees), or -1.
int submit_client_submit (submit_client_t *self, const char *path, const char *name,
                          const sq_config_t *config, const sq_submit_options_t *options,
                          char **id_p);
#define SUBMIT_CLIENT_POLL_MS 250    //  --wait: between list requests
#define SUBMIT_CLIENT_SETTLE_MS 5000 //  --wait: running this long without a failure counts
//  Wait up to wait_secs until topology name (submission id) runs: every
//  worker assigned has heartbeated and no failure came in
//  SUBMIT_CLIENT_SETTLE_MS, polling nimbus's list. Returns 0 when it
//  runs (said on out); -1 when a failure was recorded (printed on out
//  with the worker log's last lines; sq_last_error() names the component
//  and cause), at the deadline, or when the topology left the list.
int submit_client_wait_running (submit_client_t *self, const char *name, const char *id,
                                double wait_secs, FILE *out);
//  Print the topologies as a table (submit_list) on out. Returns 0 or -1.
int submit_client_list (submit_client_t *self, FILE *out);
//  The counts per component of topology name (the metrics verb): nimbus's
//  reply into *reply_p (caller decrefs). Returns 0 or -1.
int submit_client_metrics (submit_client_t *self, const char *name, json_t **reply_p);
//  The sampled trees of topology name (the trace verb), at most limit,
//  after setting its trace sample percentage to sample_pct when that is 0
//  or more: nimbus's reply into *reply_p (caller decrefs). Returns 0 or -1.
int submit_client_trace (submit_client_t *self, const char *name, double sample_pct, int limit,
                         json_t **reply_p);
//  Kill topology name after wait_secs (negative: the topology's
//  topology.message.timeout.secs). Returns 0 or -1.
int submit_client_kill (submit_client_t *self, const char *name, double wait_secs);
//  Activate (active true) or deactivate topology name. Returns 0 or -1.
int submit_client_set_active (submit_client_t *self, const char *name, bool active);
//  Rebalance topology name over workers workers (0: as many as now) after
//  wait_secs (negative: the topology's message timeout). Returns 0 or -1.
int submit_client_rebalance (submit_client_t *self, const char *name, int workers,
                             double wait_secs);

#endif
