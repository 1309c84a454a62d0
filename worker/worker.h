/*  worker - one worker process: a slot's share of a topology

    A supervisor starts one worker per assigned slot. The worker reads its
    topology and assignment from ZooKeeper, loads the topology package,
    runs the executors assigned to its slot with the core runtime, carries
    tuples to and from the other workers (worker_transfer), and reports:
    heartbeats to nimbus over ZeroMQ and a heartbeat file for its
    supervisor. It follows the topology's status (activate, deactivate) and
    the moves of other workers' executors (routing to their new workers),
    and exits when its own slot's executors change or its assignment goes
    away, so that the supervisor starts the worker the new assignment asks
    for.
*/
#ifndef WORKER_H_INCLUDED
#define WORKER_H_INCLUDED

#include "squall.h"

typedef struct _worker_t worker_t;

//  Who this worker is, as the supervisor told it.
typedef struct {
    const char *topology_name; //  topology to run
    const char *topology_id;   //  id of the submission, to detect a resubmit
    const char *supervisor_id; //  supervisor that started the worker
    int port;                  //  slot port to bind
    const char *package_path;  //  the topology package on local disk
} worker_identity_t;

//  Start the worker: read ZooKeeper, load the package, bind the port, start
//  the executors. NULL with sq_last_error() set when any step fails.
//  Caller owns.
worker_t *worker_new (const sq_config_t *config, const worker_identity_t *identity);
//  Stop the executors (cleanup and close run) and free; NULL-safe. After a
//  worker_stop that failed, do not call: end the process instead.
void worker_destroy (worker_t **self_p);
//  Deactivate the spouts, stop the executors and wait up to grace_secs for
//  them to return from their callbacks, then stop the transfer threads.
//  Returns 0, or -1 with sq_last_error() naming the components and tasks
//  that did not return (sq_runtime_stop): their threads still run the
//  package's code, so the caller logs that and ends the process.
int worker_stop (worker_t *self, double grace_secs);
//  Serve until *interrupted becomes non-zero or the worker's assignment
//  changes; returns 0 for a normal stop, -1 when it must be restarted
//  (assignment changed or ZooKeeper lost).
int worker_run (worker_t *self, volatile int *interrupted);

#endif
