/*  supervisor_workers - the worker processes of a supervisor's slots

    One worker process per assigned slot, started as a child: fork and exec
    of the worker command (squall-worker) with

      --config FILE --topology NAME --id TOPOLOGY_ID --supervisor ID
      --port PORT --package PATH

    its stdout and stderr appended to workers/<port>/worker.log, its
    process id in workers/<port>/pid, and its own process group. The
    caller says what each slot should run (want); check then starts,
    stops and restarts workers until the slots run that:

    - a worker that exits while wanted is restarted at once, and again
      after a back-off (100 ms doubling to 30 s) when it keeps dying
      within 5 s of its start; each such end that is a failure (a signal,
      a kill of ours, an exit status but 0 and a plain 1: a worker that
      fails says why in its failure file and exits 1) leaves a failure
      record (supervisor_failures) for the heartbeats to nimbus;
    - a worker whose heartbeat file is older than
      supervisor.worker.timeout.secs (counted from its start) gets SIGKILL
      and is restarted the same way;
    - a worker whose slot is no longer assigned to its topology, or whose
      slot's executors changed, gets SIGTERM, then SIGKILL after
      supervisor.worker.shutdown.sleep.secs; the new one starts once the
      old one has been reaped. A new assignment that moves only other
      workers' executors leaves it running (it updates its routes).

    Workers outlive a supervisor killed with SIGKILL (as in Storm), and
    the next supervisor of the same slots adopts them (adopt): a process
    recorded in a slot's pid file whose command line names this supervisor
    and that port, and whose slot file (workers/<port>/slot: topology name,
    id and executors, one a line) says what it runs. It is then treated as
    if this run had started it: kept while wanted, stopped when not,
    killed when its heartbeat is late. Not being our child, its end is
    seen in /proc by reap. A recorded worker without a readable slot file
    is killed.

    DESIGN: the class never blocks but in adopt and stop_all; the
    owner calls reap when SIGCHLD arrives and check when timeout says so.
    Signals go to the worker's process group, so helpers a worker started
    go with it. Everything the child does between fork and exec is
    async-signal-safe: the argv, file descriptors and messages are made
    before the fork.
*/
#ifndef SUPERVISOR_WORKERS_H_INCLUDED
#define SUPERVISOR_WORKERS_H_INCLUDED

#include "squall.h"
#include "supervisor_assignments.h"

#include <czmq.h>
#include <jansson.h>

typedef struct _supervisor_workers_t supervisor_workers_t;

//  New manager of the slots ports[0..port_count) of supervisor
//  supervisor_id, starting `command` with --config config_path. The config
//  (storm.local.dir, supervisor.worker.timeout.secs,
//  supervisor.worker.shutdown.sleep.secs, supervisor.monitor.frequency.secs)
//  is borrowed and must outlive the manager; the strings and ports are
//  copied. NULL when out of memory. Caller owns.
supervisor_workers_t *supervisor_workers_new (const sq_config_t *config, const char *supervisor_id,
                                              const int *ports, size_t port_count,
                                              const char *command, const char *config_path);
//  Destroy. Workers still running are left running (call stop_all first
//  to stop them). NULL-safe; nulls the caller's pointer.
void supervisor_workers_destroy (supervisor_workers_t **self_p);
//  Adopt the workers of our slots left running by an earlier run of this
//  supervisor, as recorded in their pid and slot files; kill (SIGKILL) those
//  whose slot file is missing and wait up to 2 s for them to go. Call once,
//  before the first want. Returns how many were adopted.
int supervisor_workers_adopt (supervisor_workers_t *self);
//  Say what slot port should run: slot (NULL: nothing), from the package
//  file at package (NULL: not downloaded yet, so nothing new starts).
//  Copies what it needs. Takes effect in check.
void supervisor_workers_want (supervisor_workers_t *self, int port, const supervisor_slot_t *slot,
                              const char *package);
//  Reap every child that exited, and notice adopted workers that are gone
//  (call on SIGCHLD, and now and then for the adopted ones).
//  Returns how many workers exited without being asked to (a worker may
//  exit because it saw its assignment change before the caller did).
int supervisor_workers_reap (supervisor_workers_t *self);
//  Start, stop, kill and check heartbeats as due. Never blocks.
void supervisor_workers_check (supervisor_workers_t *self);
//  Milliseconds until check has something to do (0: now), at most 1000.
int supervisor_workers_timeout (supervisor_workers_t *self);
//  Insert the topology ids of running workers as keys of ids (values are
//  a non-NULL placeholder), e.g. to keep their packages.
void supervisor_workers_topology_ids (supervisor_workers_t *self, zhash_t *ids);
//  The failure records of workers that ended without being asked to, in
//  the last minute (supervisor_failures), as a new array for a heartbeat
//  to nimbus; NULL when out of memory. Caller owns.
json_t *supervisor_workers_failures (supervisor_workers_t *self);
//  Number of worker processes alive (not yet reaped).
size_t supervisor_workers_alive (supervisor_workers_t *self);
//  Process id of the worker on slot port, 0 when none.
int supervisor_workers_pid (supervisor_workers_t *self, int port);
//  Stop every worker: SIGTERM, SIGKILL to those left after
//  supervisor.worker.shutdown.sleep.secs, and reap them all. Blocks until
//  done. Nothing is started afterwards until want is called again.
void supervisor_workers_stop_all (supervisor_workers_t *self);

#endif
