/*  worker_transfer - carries tuples between worker processes over ZeroMQ

    A worker binds one PULL socket on its slot port and connects one PUSH
    socket to every other worker of its topology. Messages for tasks in
    other workers arrive here from the executors (as the runtime's remote
    send) and wait in a bounded queue per destination worker; a send
    thread encodes them into batches for that worker (doc/wire.md) and
    sends each as one ZeroMQ message. A receive thread decodes arriving batches and hands the
    messages to the local executors.

    When nimbus moves other workers' executors, reroute points their tasks
    at the new workers while everything keeps running.

    DESIGN: no thread of the transfer ever waits on one peer or one
    executor. Each peer has its own bounded queue and one batch in flight,
    sent without waiting: while a peer's ZeroMQ buffers are full only its
    batch waits, its queue fills, and only the bolts and ackers that emit
    to it wait (spouts never do). The receive thread never stops reading
    either: what does not fit in an executor's queue waits in that
    executor's backlog. When the backlogs pass four times
    topology.executor.receive.buffer.size messages, the worker sends every
    peer a backpressure signal (wire kind 7) and every spout of the
    topology holds off until they are down to a quarter of that
    (doc/runtime.md). A batch that cannot be sent within the send timeout
    (its peer is gone) is dropped and every tree its tuples belong to is
    failed at once, so spouts replay them. A malformed batch is counted,
    logged and dropped.
*/
#ifndef WORKER_TRANSFER_H_INCLUDED
#define WORKER_TRANSFER_H_INCLUDED

#include "sq_runtime.h"

typedef struct _worker_transfer_t worker_transfer_t;
typedef struct _sq_curve_t sq_curve_t;
typedef struct _sq_curve_auth_t sq_curve_auth_t;

//  Counters of a transfer; read from any thread.
typedef struct {
    uint64_t batches_sent;     //  batches handed to ZeroMQ
    uint64_t batches_received; //  well-formed batches received
    uint64_t malformed;        //  batches dropped as malformed
    uint64_t undeliverable;    //  messages dropped: peer unreachable or unknown task
} worker_transfer_stats_t;

//  New transfer bound on endpoint (e.g. "tcp://127.0.0.1:6700").
//  task_endpoints[id] for id 1..task_count is the endpoint of the worker
//  running that task, NULL for tasks of this worker. NULL with
//  sq_last_error() set when the endpoint cannot be bound. curve: the
//  topology's key pair (copied), used as CURVE server key of the bound
//  socket and client key towards the peers; NULL for plain ZeroMQ. The
//  bound socket refuses messages over storm.messaging.max.message.bytes.
//  Caller owns.
worker_transfer_t *worker_transfer_new (const char *endpoint, const char *const *task_endpoints,
                                        int task_count, const sq_config_t *config,
                                        const sq_curve_t *curve);
//  Count the failed handshakes and dropped connections of the bound
//  socket in auth (sq_curve_auth_watch); before worker_transfer_start.
//  Returns 0 or -1 with sq_last_error() set.
int worker_transfer_watch (worker_transfer_t *self, sq_curve_auth_t *auth);
//  Follow a new assignment that leaves this worker's executors where they
//  are: task_endpoints as for new (the same task_count; the same tasks
//  local). Messages for a moved task go to its new worker from now on;
//  those already queued for the old one go there, or fail their trees when
//  it does not answer. Call from the thread that created the transfer.
//  Returns 0, or -1 with sq_last_error() set (then restart the worker).
int worker_transfer_reroute (worker_transfer_t *self, const char *const *task_endpoints,
                             int task_count);
//  Stop the threads: nothing more is received or sent, and remote sends
//  return at once. Call before destroying the runtime the transfer
//  delivers to. Idempotent.
void worker_transfer_stop (worker_transfer_t *self);
//  Destroy: stops the threads, drops what is still queued; NULL-safe.
void worker_transfer_destroy (worker_transfer_t **self_p);
//  The remote send for sq_placement_t; arg is the transfer.
size_t worker_transfer_send (void *arg, const sq_message_t *messages, size_t count, bool wait);
//  Start the threads, delivering received messages to runtime, whose
//  topology resolves stream indices. Returns 0 or -1.
int worker_transfer_start (worker_transfer_t *self, sq_runtime_t *runtime);
//  Copy the counters.
void worker_transfer_stats (worker_transfer_t *self, worker_transfer_stats_t *stats);

#endif
