/*  supervisor_server - a supervisor: membership, assignments, packages, workers

    The engine of the `supervisor` daemon. It registers the supervisor in
    ZooKeeper (supervisor_registry), follows the assignments of its slots
    (supervisor_assignments), fetches the packages they need
    (supervisor_packages), and runs one worker process per assigned slot
    (supervisor_workers). supervisor_main.c owns argv, config and signals,
    and drives the server from its poll loop:

        poll the signal descriptor and supervisor_server_fd for up to
        supervisor_server_timeout ms; on SIGCHLD call
        supervisor_server_reap; then supervisor_server_handle_zk and
        supervisor_server_tick; on SIGTERM, or once
        supervisor_server_superseded, call supervisor_server_stop.

    DESIGN: one thread does everything; nothing blocks but ZooKeeper calls,
    a package download and a session renewal, each bounded by a timeout,
    and the waits for workers to exit at start (stale workers of an earlier
    run) and at stop. While ZooKeeper is unreachable the workers keep
    running as last assigned; when the session expires the server opens a
    new one, registers again and re-reads the assignments, and only then
    stops workers whose slots nimbus gave away meanwhile.
*/
#ifndef SUPERVISOR_SERVER_H_INCLUDED
#define SUPERVISOR_SERVER_H_INCLUDED

#include "squall.h"

typedef struct _supervisor_server_t supervisor_server_t;

//  Start a supervisor with id (a ZooKeeper node name) and config (copied):
//  check the slot ports, make storm.local.dir absolute and create
//  <storm.local.dir>/supervisor, write config.json there for the workers,
//  find the worker command, connect to ZooKeeper (waiting for it as the
//  storm.zookeeper.retry.* keys say), adopt the workers of an earlier run,
//  and register. NULL when the config is unusable or ZooKeeper cannot be
//  reached, with sq_last_error() saying why. Caller owns.
supervisor_server_t *supervisor_server_new (const sq_config_t *config, const char *id);
//  Destroy: close the ZooKeeper session (so the node goes at once) and
//  free. Call stop first to stop the workers. NULL-safe; nulls the
//  caller's pointer.
void supervisor_server_destroy (supervisor_server_t **self_p);
//  Descriptor that is readable when ZooKeeper events wait (for the poll
//  loop); owned by the server.
int supervisor_server_fd (supervisor_server_t *self);
//  Milliseconds until tick has something to do (0 to 1000).
int supervisor_server_timeout (supervisor_server_t *self);
//  Take the queued ZooKeeper events.
void supervisor_server_handle_zk (supervisor_server_t *self);
//  Reap exited workers (on SIGCHLD).
void supervisor_server_reap (supervisor_server_t *self);
//  Do what is due: renew the session, register, re-read assignments,
//  fetch packages, start, stop and check workers.
void supervisor_server_tick (supervisor_server_t *self);
//  True when another supervisor with our id took over our membership
//  node: this one should stop, and exit with an error.
bool supervisor_server_superseded (supervisor_server_t *self);
//  Shut down: stop every worker (SIGTERM, then SIGKILL), delete the
//  membership node. Blocks up to supervisor.worker.shutdown.sleep.secs
//  and a little more.
void supervisor_server_stop (supervisor_server_t *self);
//  The effective config (storm.local.dir absolute). Owned by the server.
const sq_config_t *supervisor_server_config (supervisor_server_t *self);

#endif
