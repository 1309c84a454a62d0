/*  nimbus_server - the nimbus daemon's engine

    Serves the control protocol (doc/control.md) on a ROUTER socket,
    stores, validates and schedules submitted topologies, serves packages
    to supervisors, takes heartbeats, and every nimbus.monitor.freq.secs
    moves the executors of dead workers and lost supervisors, and serves
    Storm's UI REST API and /metrics on http://ui.host:ui.port. One zloop
    polls the socket, the ZooKeeper event descriptor, the pipes of package
    validations and the HTTP server's epoll descriptor, and runs the
    timers of kills, rebalances, the monitor and the HTTP server; no
    handler blocks for long (ZooKeeper writes excepted).

    DESIGN: the parts are classes of their own: nimbus_request decodes
    requests and sends replies, nimbus_store keeps packages on disk,
    nimbus_validator checks a package in a child process, nimbus_cluster
    holds the ZooKeeper view and writes records, nimbus_monitor tracks
    heartbeats, nimbus_scheduler places executors, nimbus_http and
    nimbus_rest serve and answer HTTP, nimbus_topology keeps,
    per topology, what ZooKeeper does not hold (its executors, its pending
    timer, a submit waiting for its validation). This class serves the
    verbs, reacts to the topologies' validations and timers, and wires the
    parts together; the REST API's POST actions run the same code as the
    verbs kill, activate, deactivate and rebalance. At
    start it adopts every topology found in ZooKeeper and re-validates its
    stored package to learn its executors again, so a restarted nimbus
    carries on where the last one stopped.
*/
#ifndef NIMBUS_SERVER_H_INCLUDED
#define NIMBUS_SERVER_H_INCLUDED

#include "squall.h"

typedef struct _nimbus_server_t nimbus_server_t;

//  Connect to ZooKeeper, adopt the topologies found there, open the
//  package store under storm.local.dir and bind tcp://nimbus.host:
//  nimbus.port, and (unless ui.port is negative) HTTP on ui.host:ui.port:
//  an HTTP port it cannot bind is logged, not fatal. The config is copied.
//  NULL with sq_last_error() set. Caller owns.
nimbus_server_t *nimbus_server_new (const sq_config_t *config);
//  Stop (children killed, timers dropped) and free; NULL-safe; nulls the
//  caller's pointer. Topologies keep running: their state is in ZooKeeper.
void nimbus_server_destroy (nimbus_server_t **self_p);
//  Serve until SIGINT or SIGTERM (zsys_interrupted). Returns 0, or -1 when
//  the loop failed.
int nimbus_server_run (nimbus_server_t *self);
//  The endpoint the server is bound to, "tcp://host:port". Borrowed.
const char *nimbus_server_endpoint (nimbus_server_t *self);

#endif
