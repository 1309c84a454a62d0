/*  supervisor_server - a supervisor: membership, assignments, packages, workers

    The engine of the `supervisor` daemon. It registers the supervisor in
    ZooKeeper (supervisor_registry), follows the assignments of its slots
    (supervisor_assignments), fetches the packages they need
    (supervisor_packages), and runs one worker process per assigned slot
    (supervisor_workers). supervisor_main.c owns argv, config and signals;
    supervisor_server_run is the loop: it polls the signal descriptor main
    gives it and the ZooKeeper descriptor, reaps workers on SIGCHLD, takes
    ZooKeeper events, does what is due, and on SIGTERM or SIGINT, or once
    another supervisor with its id has taken over, stops every worker
    (waiting for them to exit) and deletes the membership node.

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
//  free. Run stops the workers before it returns. NULL-safe; nulls the
//  caller's pointer.
void supervisor_server_destroy (supervisor_server_t **self_p);
//  Serve until a signal other than SIGCHLD arrives on signal_fd (a
//  non-blocking signalfd the caller owns, for SIGCHLD, SIGTERM and SIGINT)
//  or another supervisor with our id takes over our membership node; then
//  stop every worker (SIGTERM, then SIGKILL, blocking up to
//  supervisor.worker.shutdown.sleep.secs and a little more) and delete the
//  membership node. Returns 0 when a signal stopped it, -1 when it was
//  superseded (the daemon should exit with an error).
int supervisor_server_run (supervisor_server_t *self, int signal_fd);
//  The effective config (storm.local.dir absolute). Owned by the server.
const sq_config_t *supervisor_server_config (supervisor_server_t *self);

#endif
