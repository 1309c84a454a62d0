/*  nimbus_monitor - which workers are alive, from their heartbeats

    Every worker sends nimbus a heartbeat every few seconds
    (doc/control.md). The monitor keeps, in memory only, the time and the
    counters of the last heartbeat of each watched slot (topology id,
    supervisor, port), the latest executor metrics it sent (and, in a
    nimbus_metrics it owns, their windows per executor), and the time
    the slot was assigned; it adds the
    counters up per topology (for `storm-submit list`) and tells which
    workers have been silent for longer than nimbus.task.timeout.secs:
    counting from their last heartbeat, or from when their slot was
    assigned or the monitor was created (nimbus started), whichever is
    latest, so that neither a new worker nor a restarted nimbus declares
    anybody dead too early.

    The clock is the caller's (monotonic milliseconds), which keeps the
    class pure and testable. Heartbeats of slots that are not watched are
    refused, so memory stays bounded by the assignments whatever workers
    or strangers send.
*/
#ifndef NIMBUS_MONITOR_H_INCLUDED
#define NIMBUS_MONITOR_H_INCLUDED

#include <jansson.h>

#include "nimbus_metrics.h"
#include "nimbus_scheduler.h"
#include "sq_assignment.h"

#include <stdint.h>

typedef struct _nimbus_monitor_t nimbus_monitor_t;

//  New monitor declaring workers dead after timeout_ms of silence, now
//  being the start of every count. NULL when out of memory. Caller owns.
nimbus_monitor_t *nimbus_monitor_new (int64_t timeout_ms, int64_t now);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_monitor_destroy (nimbus_monitor_t **self_p);
//  Watch the slots of an assignment: slots new to it count as assigned
//  now, slots it no longer has are forgotten. Returns 0, or -1 when out
//  of memory.
int nimbus_monitor_watch (nimbus_monitor_t *self, const sq_assignment_t *assignment, int64_t now);
//  Forget every slot of the topology with this id.
void nimbus_monitor_forget (nimbus_monitor_t *self, const char *topology_id);
//  Record a heartbeat of the worker of topology_id on supervisor:port,
//  with its counters (may be NULL; copied). Returns 0, or -1 when that slot
//  is not watched (nothing is recorded).
int nimbus_monitor_heartbeat (nimbus_monitor_t *self, const char *topology_id,
                              const char *supervisor_id, int port, const json_t *stats,
                              int64_t now);
//  Keep the `metrics` object of a heartbeat of a watched slot (checked by
//  nimbus_request; a reference is taken, nothing copied), replacing the
//  one before: the latest snapshot of each worker, in memory only.
//  Returns 0, or -1 when the slot is not watched.
int nimbus_monitor_store_metrics (nimbus_monitor_t *self, const char *topology_id,
                                  const char *supervisor_id, int port, json_t *metrics);
//  The latest metrics object of a watched slot, or NULL when it sent none
//  (or is not watched). Borrowed: valid until that slot's next heartbeat
//  with metrics or until it is forgotten.
const json_t *nimbus_monitor_metrics (nimbus_monitor_t *self, const char *topology_id,
                                      const char *supervisor_id, int port);
//  The windows the heartbeats' metrics are folded into
//  (nimbus_metrics_fold); nimbus_monitor_forget forgets a topology's.
//  Owned by the monitor.
nimbus_metrics_t *nimbus_monitor_windows (nimbus_monitor_t *self);
//  The latest metrics of every watched slot of the topology that sent
//  some: an array of {"supervisor": id, "port": n, "metrics": object}.
//  Caller decrefs; NULL when out of memory.
json_t *nimbus_monitor_topology_metrics (nimbus_monitor_t *self, const char *topology_id);
//  The counts of each component of the topology, added up over the latest
//  metrics of every watched slot: an object of component id ->
//  {"spout": boolean, "executors": n, "tasks": n,
//   "emitted": {stream: n}, "transferred": {stream: n},
//   "acked": n, "failed": n, "timed_out": n, "executed": n,
//   "timeouts_held": n, "fails_blamed": n}
//  (a spout's acked, failed and timed_out are its trees', from its
//  streams; a bolt's acked, failed and executed are over its inputs;
//  timeouts_held and fails_blamed are what every worker's ackers blame on
//  the component's tasks; each worker counts from its own start; sums
//  hold at the largest integer).
//  Caller decrefs; NULL when out of memory.
json_t *nimbus_monitor_component_counts (nimbus_monitor_t *self, const char *topology_id);
//  The integer counters of the last heartbeat of each watched slot of the
//  topology, added up (each worker counts from its own start). Caller
//  decrefs; NULL when out of memory.
json_t *nimbus_monitor_totals (nimbus_monitor_t *self, const char *topology_id);
//  The slots of the assignment whose workers are dead at now, into a new
//  array (caller frees; its supervisor ids are borrowed from the
//  assignment). Returns their number; *slots_p is NULL when there are
//  none (or out of memory).
size_t nimbus_monitor_dead_slots (nimbus_monitor_t *self, const sq_assignment_t *assignment,
                                  int64_t now, nimbus_slot_t **slots_p);
//  Milliseconds since the last heartbeat of a watched slot, or -1 when it
//  never sent one (or is not watched).
int64_t nimbus_monitor_silence (nimbus_monitor_t *self, const char *topology_id,
                                const char *supervisor_id, int port, int64_t now);
//  Milliseconds since anything was heard of the workers on supervisor_id:
//  the latest of the monitor's start and, over its watched slots, their
//  assignment and last heartbeat; -1 when none of its slots is watched.
int64_t nimbus_monitor_supervisor_silence (nimbus_monitor_t *self, const char *supervisor_id,
                                           int64_t now);

#endif
