/*  worker_transfer - carries tuples between worker processes over ZeroMQ */
#include "worker_transfer.h"
#include "sq_curve.h"
#include "sq_curve_auth.h"
#include "sq_codec.h"
#include "sq_config.h"
#include "sq_error.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define TRANSFER_POP_MAX 256       //  most messages in one batch
#define TRANSFER_POLL_MS 100        //  how often threads look at the stop flag
#define TRANSFER_HWM 16            //  batches ZeroMQ buffers per socket
#define TRANSFER_TCP_BUFFER 262144 //  bytes the kernel buffers per connection
#define TRANSFER_LINGER_MS 0        //  nothing is sent after destroy
#define TRANSFER_CONGESTION_MS 1000 //  a congested worker repeats its signal this often

//  Messages that arrived for one local executor whose queue was full,
//  oldest first.
typedef struct {
    sq_message_t *messages; //  storage; the waiting ones are [head, head + count)
    size_t head;            //  index of the oldest waiting message
    size_t count;           //  messages waiting
    size_t capacity;        //  room in messages
} transfer_backlog_t;

//  A peer that said it is congested, and until when that holds unless it
//  says so again (a peer that died never says it is not).
typedef struct {
    uint64_t peer_id; //  the peer's self_id
    int64_t until;    //  monotonic ms
} transfer_congestion_t;

//  One other worker of the topology.
typedef struct {
    char *endpoint;        //  its tcp endpoint
    zsock_t *push;         //  connected PUSH socket
    sq_queue_t *queue;     //  messages for it, from the executors
    sq_codec_t *batch;     //  send thread: the encoded batch being sent
    sq_message_t *pending; //  send thread: the messages of that batch
    size_t pending_count;  //  send thread: how many; 0 when no batch is out
    int64_t waiting_since; //  send thread: when that batch was first tried
} transfer_peer_t;

struct _worker_transfer_t {
    zsock_t *pull;                          //  bound PULL socket
    sq_curve_t *curve;                      //  the topology's keys, or NULL: plain
    transfer_peer_t *peers;                 //  the other workers, room for peer_capacity
    size_t peer_capacity;                   //  peers never moves: threads index it
    _Atomic size_t peer_count;              //  how many; grows when reroute finds new ones
    _Atomic int *task_peer;                 //  by task id: index in peers, -1 when local
    int task_count;                         //  highest task id
    size_t queue_capacity;                  //  messages each peer's queue holds
    int send_timeout_ms;                    //  how long a batch may wait for its peer
    pthread_mutex_t doorbell_lock;          //  guards rung
    pthread_cond_t doorbell;                //  signalled when messages were queued
    bool rung;                              //  messages were queued since the send thread looked
    sq_runtime_t *runtime;                  //  receives what arrives
    transfer_backlog_t *backlogs;           //  receive thread: one per local executor
    size_t backlog_count;                   //  number of backlogs
    size_t backlog_total;                   //  receive thread: messages in all backlogs
    size_t backlog_high;                    //  receive thread: congested from this many on
    uint64_t self_id;                       //  names this worker in backpressure signals
    bool congested;                         //  receive thread: our backlogs are too long
    int64_t announced_at;                   //  receive thread: when we last told the peers
    transfer_congestion_t *congested_peers; //  receive thread: peers that said so
    size_t congested_peer_count;            //  receive thread: how many
    pthread_t sender;                       //  send thread
    pthread_t receiver;                     //  receive thread
    bool started;                           //  threads running
    atomic_bool stopping;                   //  threads must exit
    _Atomic uint64_t batches_sent;          //  counters, see worker_transfer_stats_t
    _Atomic uint64_t batches_received;      //
    _Atomic uint64_t malformed;             //
    _Atomic uint64_t undeliverable;         //
};

static void
s_peer_free (transfer_peer_t *peer)
{
    for (size_t m = 0; m < peer->pending_count; m++)
        sq_tuple_destroy (&peer->pending[m].tuple);
    free (peer->pending);
    free (peer->endpoint);
    zsock_destroy (&peer->push);
    sq_queue_destroy (&peer->queue);
    sq_codec_destroy (&peer->batch);
}

//  Index of the peer at endpoint, connecting a new one when there is none.
//  Only the owner's thread adds peers; a new one is complete before the
//  count that shows it to the other threads grows. -1 when out of memory
//  or out of room.
static int
s_peer_index (worker_transfer_t *self, const char *endpoint)
{
    size_t count = atomic_load (&self->peer_count);
    for (size_t p = 0; p < count; p++)
        if (strcmp (self->peers[p].endpoint, endpoint) == 0)
            return (int) p;
    if (count == self->peer_capacity)
        return -1;
    transfer_peer_t *peer = &self->peers[count];
    *peer = (transfer_peer_t){
        .endpoint = strdup (endpoint),
        .push = zsock_new (ZMQ_PUSH),
        .queue = sq_queue_new (self->queue_capacity),
        .batch = sq_codec_new (),
        .pending = malloc (TRANSFER_POP_MAX * sizeof (sq_message_t)),
    };
    if (!peer->endpoint || !peer->push || !peer->queue || !peer->batch || !peer->pending) {
        s_peer_free (peer);
        return -1;
    }
    //  Small buffers all along, so that what is in flight between two
    //  workers stays small and backpressure takes hold fast.
    zsock_set_sndhwm (peer->push, TRANSFER_HWM);
    zsock_set_sndbuf (peer->push, TRANSFER_TCP_BUFFER);
    //  A peer that starts later (or again) is reached within milliseconds.
    zsock_set_reconnect_ivl (peer->push, 10);
    zsock_set_linger (peer->push, TRANSFER_LINGER_MS);
    if (self->curve)
        sq_curve_apply_client (self->curve, peer->push);
    zsock_connect (peer->push, "%s", endpoint);
    atomic_store (&self->peer_count, count + 1);
    return (int) count;
}

//  Point every remote task at its worker's peer. Returns 0, or -1 when a
//  task would change between local and remote, or a peer cannot be added.
static int
s_route (worker_transfer_t *self, const char *const *task_endpoints, bool initial)
{
    for (int task = 1; task <= self->task_count; task++) {
        int now = atomic_load (&self->task_peer[task]);
        bool remote = task_endpoints[task] != NULL;
        if (!initial && remote != (now >= 0))
            return sq_error_set ("task %d would move %s this worker", task,
                                 remote ? "away from" : "into");
        int peer = remote ? s_peer_index (self, task_endpoints[task]) : -1;
        if (remote && peer < 0)
            return sq_error_set ("cannot add a connection to %s", task_endpoints[task]);
        atomic_store (&self->task_peer[task], peer);
    }
    return 0;
}

worker_transfer_t *
worker_transfer_new (const char *endpoint, const char *const *task_endpoints, int task_count,
                     const sq_config_t *config, const sq_curve_t *curve)
{
    worker_transfer_t *self = calloc (1, sizeof (worker_transfer_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    atomic_init (&self->stopping, false);
    self->task_count = task_count;
    self->send_timeout_ms = (int) sq_config_int (config, "topology.transfer.send.timeout.ms", 2000);
    self->queue_capacity =
        (size_t) sq_config_int (config, "topology.executor.receive.buffer.size", 16384);
    pthread_mutex_init (&self->doorbell_lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init (&attributes);
    pthread_condattr_setclock (&attributes, CLOCK_MONOTONIC);
    pthread_cond_init (&self->doorbell, &attributes);
    pthread_condattr_destroy (&attributes);
    self->task_peer = calloc ((size_t) task_count + 1, sizeof (_Atomic int));
    //  Room for every task on a worker of its own, and as many again for
    //  workers that later reroutes bring; past that a reroute fails and
    //  the worker is restarted instead.
    self->peer_capacity = 2 * (size_t) task_count + 2;
    self->peers = calloc (self->peer_capacity, sizeof (transfer_peer_t));
    self->pull = zsock_new (ZMQ_PULL);
    self->curve = curve ? sq_curve_dup (curve) : NULL;
    if (!self->task_peer || !self->peers || !self->pull || (curve && !self->curve)) {
        worker_transfer_destroy (&self);
        sq_error_set ("out of memory");
        return NULL;
    }
    zsock_set_rcvhwm (self->pull, TRANSFER_HWM);
    zsock_set_rcvbuf (self->pull, TRANSFER_TCP_BUFFER);
    zsock_set_linger (self->pull, TRANSFER_LINGER_MS);
    //  A peer that declares a larger message is disconnected at its header.
    int64_t max_message = sq_config_int (config, "storm.messaging.max.message.bytes", 16 << 20);
    zsock_set_maxmsgsize (self->pull, (int) (max_message < 1024        ? 1024
                                             : max_message > INT32_MAX ? INT32_MAX
                                                                       : max_message));
    if (self->curve)
        sq_curve_apply_server (self->curve, self->pull);
    //  FNV-1a of the endpoint: the same for the life of the slot.
    self->self_id = 0xcbf29ce484222325ULL;
    for (const char *c = endpoint; *c; c++)
        self->self_id = (self->self_id ^ (uint8_t) *c) * 0x100000001b3ULL;
    if (zsock_bind (self->pull, "%s", endpoint) < 0) {
        sq_error_set ("cannot bind the worker port %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        worker_transfer_destroy (&self);
        return NULL;
    }
    if (s_route (self, task_endpoints, true)) {
        worker_transfer_destroy (&self);
        return NULL;
    }
    return self;
}

int
worker_transfer_watch (worker_transfer_t *self, sq_curve_auth_t *auth)
{
    assert (self);
    assert (!self->started);
    return sq_curve_auth_watch (auth, self->pull);
}

int
worker_transfer_reroute (worker_transfer_t *self, const char *const *task_endpoints,
                         int task_count)
{
    if (task_count != self->task_count)
        return sq_error_set ("the topology has %d tasks, not %d", self->task_count, task_count);
    return s_route (self, task_endpoints, false);
}

void
worker_transfer_destroy (worker_transfer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_transfer_t *self = *self_p;
    worker_transfer_stop (self);
    for (size_t p = 0; p < atomic_load (&self->peer_count); p++)
        s_peer_free (&self->peers[p]);
    free (self->peers);
    free (self->task_peer);
    for (size_t e = 0; e < self->backlog_count; e++) {
        transfer_backlog_t *backlog = &self->backlogs[e];
        for (size_t m = 0; m < backlog->count; m++)
            sq_tuple_destroy (&backlog->messages[backlog->head + m].tuple);
        free (backlog->messages);
    }
    free (self->backlogs);
    free (self->congested_peers);
    zsock_destroy (&self->pull);
    sq_curve_destroy (&self->curve);
    pthread_cond_destroy (&self->doorbell);
    pthread_mutex_destroy (&self->doorbell_lock);
    free (self);
    *self_p = NULL;
}

void
worker_transfer_stop (worker_transfer_t *self)
{
    atomic_store (&self->stopping, true);
    for (size_t p = 0; p < atomic_load (&self->peer_count); p++)
        sq_queue_close (self->peers[p].queue);
    if (self->started) {
        pthread_join (self->sender, NULL);
        pthread_join (self->receiver, NULL);
        self->started = false;
    }
}

static void
s_ring (worker_transfer_t *self)
{
    pthread_mutex_lock (&self->doorbell_lock);
    self->rung = true;
    pthread_cond_signal (&self->doorbell);
    pthread_mutex_unlock (&self->doorbell_lock);
}

//  Queue messages for their peers, in order. An executor that waits, waits
//  only for the peer its next message goes to.
size_t
worker_transfer_send (void *arg, const sq_message_t *messages, size_t count, bool wait)
{
    worker_transfer_t *self = arg;
    size_t done = 0;
    while (done < count) {
        int task = messages[done].task;
        int peer = task >= 1 && task <= self->task_count ? atomic_load (&self->task_peer[task]) : -1;
        if (peer < 0) {
            //  Not a task of another worker: the runtime sent it here by mistake.
            sq_tuple_t *tuple = messages[done++].tuple;
            sq_tuple_destroy (&tuple);
            atomic_fetch_add (&self->undeliverable, 1);
            continue;
        }
        size_t run = 1;
        while (done + run < count && messages[done + run].task >= 1 &&
               messages[done + run].task <= self->task_count &&
               atomic_load (&self->task_peer[messages[done + run].task]) == peer)
            run++;
        size_t pushed = sq_queue_push (self->peers[peer].queue, messages + done, run, wait);
        done += pushed;
        if (pushed)
            s_ring (self);
        if (pushed < run)
            break;
    }
    return done;
}

//  ---------------------------------------------------------------------
//  Send thread

//  The trees of tuples that could not be delivered fail now, so their
//  spouts replay them instead of waiting for the timeout.
static void
s_fail_trees (worker_transfer_t *self, const sq_message_t *messages, size_t count)
{
    sq_runtime_t *runtime = self->runtime;
    for (size_t m = 0; m < count; m++) {
        const sq_tuple_t *tuple = messages[m].tuple;
        for (size_t e = 0; tuple && runtime->acker_count && e < tuple->edge_count; e++) {
            uint64_t root = tuple->edges[e].root;
            //  Blamed on the task the tuple could not reach.
            sq_message_t fail = {.kind = SQ_MSG_ACK_FAIL,
                                 .task = sq_runtime_acker_for (runtime, root),
                                 .root = root,
                                 .value = (uint64_t) messages[m].task};
            //  Never wait here: the acker's tree times out if this is lost.
            int executor = sq_runtime_executor_of (runtime, fail.task);
            if (executor >= 0)
                sq_runtime_push (runtime, executor, &fail, 1, false);
            else
                worker_transfer_send (self, &fail, 1, false);
        }
    }
}

//  The peer's batch is done with: sent, or given up on.
static void
s_batch_done (transfer_peer_t *peer)
{
    for (size_t m = 0; m < peer->pending_count; m++)
        sq_tuple_destroy (&peer->pending[m].tuple);
    peer->pending_count = 0;
}

//  Move one peer on: take and encode its next batch if none is out, and
//  try to send it without waiting. Returns true when something moved.
static bool
s_serve_peer (worker_transfer_t *self, transfer_peer_t *peer, int64_t now)
{
    if (peer->pending_count == 0) {
        peer->pending_count = sq_queue_pop (peer->queue, peer->pending, TRANSFER_POP_MAX, 0);
        if (peer->pending_count == 0)
            return false;
        sq_codec_reset (peer->batch);
        if (sq_codec_encode_batch (peer->batch, peer->pending, peer->pending_count)) {
            zsys_error ("transfer: cannot encode a batch for %s: %s; %zu messages dropped",
                        peer->endpoint, sq_last_error (), peer->pending_count);
            atomic_fetch_add (&self->undeliverable, peer->pending_count);
            s_batch_done (peer);
            return true;
        }
        peer->waiting_since = now;
    }
    size_t size;
    const uint8_t *data = sq_codec_data (peer->batch, &size);
    if (zmq_send (zsock_resolve (peer->push), data, size, ZMQ_DONTWAIT) >= 0) {
        atomic_fetch_add (&self->batches_sent, 1);
        s_batch_done (peer);
        return true;
    }
    if (now - peer->waiting_since < self->send_timeout_ms)
        return false;
    zsys_warning ("transfer: worker %s unreachable for %d ms; failing %zu tuples' trees",
                  peer->endpoint, self->send_timeout_ms, peer->pending_count);
    s_fail_trees (self, peer->pending, peer->pending_count);
    atomic_fetch_add (&self->undeliverable, peer->pending_count);
    s_batch_done (peer);
    return true;
}

//  DESIGN: every peer has its own queue and its own batch in flight, and
//  the send thread never waits on one peer: a slow or dead worker holds up
//  only the executors that send to it, never the traffic to the others.
static void *
s_sender (void *argument)
{
    worker_transfer_t *self = argument;
    while (!atomic_load (&self->stopping)) {
        int64_t now = zclock_mono ();
        bool moved = false, stuck = false;
        size_t peer_count = atomic_load (&self->peer_count);
        for (size_t p = 0; p < peer_count; p++) {
            moved |= s_serve_peer (self, &self->peers[p], now);
            stuck |= self->peers[p].pending_count > 0;
        }
        if (moved)
            continue;
        //  Nothing moved: sleep until messages are queued, or for a moment
        //  when a batch waits for its peer to make room.
        pthread_mutex_lock (&self->doorbell_lock);
        if (!self->rung) {
            struct timespec deadline;
            clock_gettime (CLOCK_MONOTONIC, &deadline);
            long wait_ns = stuck ? 1000000L : TRANSFER_POLL_MS * 1000000L;
            deadline.tv_nsec += wait_ns;
            deadline.tv_sec += deadline.tv_nsec / 1000000000L;
            deadline.tv_nsec %= 1000000000L;
            pthread_cond_timedwait (&self->doorbell, &self->doorbell_lock, &deadline);
        }
        self->rung = false;
        pthread_mutex_unlock (&self->doorbell_lock);
    }
    return NULL;
}

//  ---------------------------------------------------------------------
//  Receive thread

static const sq_stream_t *
s_resolve (int index, void *arg)
{
    return sq_topology_stream_at (((sq_runtime_t *) arg)->topology, index);
}

//  Queue a message for its local executor behind those already waiting.
static int
s_backlog_append (worker_transfer_t *self, int executor, const sq_message_t *message)
{
    transfer_backlog_t *backlog = &self->backlogs[executor];
    if (backlog->head + backlog->count == backlog->capacity) {
        if (backlog->head > 0) {
            memmove (backlog->messages, backlog->messages + backlog->head,
                     backlog->count * sizeof (sq_message_t));
            backlog->head = 0;
        } else {
            size_t capacity = backlog->capacity ? backlog->capacity * 2 : 256;
            sq_message_t *grown = realloc (backlog->messages, capacity * sizeof (sq_message_t));
            if (!grown)
                return -1;
            backlog->messages = grown;
            backlog->capacity = capacity;
        }
    }
    backlog->messages[backlog->head + backlog->count++] = *message;
    self->backlog_total++;
    return 0;
}

//  Hand waiting messages to their executors as far as their queues have
//  room, never waiting: one full queue must not hold up the others.
static void
s_backlog_drain (worker_transfer_t *self)
{
    for (size_t e = 0; self->backlog_total && e < self->backlog_count; e++) {
        transfer_backlog_t *backlog = &self->backlogs[e];
        if (backlog->count == 0)
            continue;
        size_t pushed = sq_runtime_push (self->runtime, (int) e, backlog->messages + backlog->head,
                                         backlog->count, false);
        backlog->head += pushed;
        backlog->count -= pushed;
        self->backlog_total -= pushed;
        if (backlog->count == 0)
            backlog->head = 0;
    }
}

//  A peer's backpressure signal: remember or forget that it is congested.
static void
s_peer_signal (worker_transfer_t *self, const sq_message_t *signal, int64_t now)
{
    size_t i = 0;
    while (i < self->congested_peer_count && self->congested_peers[i].peer_id != signal->root)
        i++;
    if (signal->value && i == self->congested_peer_count) {
        transfer_congestion_t *grown =
            realloc (self->congested_peers, (i + 1) * sizeof (transfer_congestion_t));
        if (!grown)
            return;
        self->congested_peers = grown;
        self->congested_peer_count++;
        self->congested_peers[i].peer_id = signal->root;
    }
    if (signal->value)
        self->congested_peers[i].until = now + 3 * TRANSFER_CONGESTION_MS;
    else if (i < self->congested_peer_count)
        self->congested_peers[i] = self->congested_peers[--self->congested_peer_count];
}

//  Decode one batch and queue its messages for their executors.
static void
s_receive_batch (worker_transfer_t *self, zmq_msg_t *frame, int64_t now)
{
    sq_message_t *messages;
    size_t count;
    int rc = sq_codec_decode_batch (zmq_msg_data (frame), zmq_msg_size (frame), s_resolve,
                                    self->runtime, &messages, &count);
    if (rc == SQ_ENOMEM) {
        //  Not malformed, only lost: its trees time out and are replayed.
        zsys_error ("transfer: dropped a batch of %zu bytes: %s", zmq_msg_size (frame),
                    sq_last_error ());
        return;
    }
    if (rc) {
        uint64_t malformed = atomic_fetch_add (&self->malformed, 1) + 1;
        //  Log the first few, then one in a thousand.
        if (malformed <= 10 || malformed % 1000 == 0)
            zsys_warning ("transfer: dropped malformed batch #%llu of %zu bytes: %s",
                          (unsigned long long) malformed, zmq_msg_size (frame), sq_last_error ());
        return;
    }
    atomic_fetch_add (&self->batches_received, 1);
    for (size_t m = 0; m < count; m++) {
        if (messages[m].kind == SQ_MSG_BACKPRESSURE) {
            s_peer_signal (self, &messages[m], now);
            continue;
        }
        int executor = sq_runtime_executor_of (self->runtime, messages[m].task);
        if (executor < 0 || s_backlog_append (self, executor, &messages[m])) {
            sq_tuple_destroy (&messages[m].tuple);
            atomic_fetch_add (&self->undeliverable, 1);
        }
    }
    free (messages);
}

//  Work out whether spouts must hold off, here and in the other workers:
//  tell the peers when our own backlogs cross the high mark (and again
//  every second while they stay there), or fall back under a quarter of it.
static void
s_backpressure (worker_transfer_t *self, int64_t now)
{
    bool congested = self->congested ? self->backlog_total > self->backlog_high / 4
                                     : self->backlog_total >= self->backlog_high;
    if (congested != self->congested ||
        (congested && now - self->announced_at >= TRANSFER_CONGESTION_MS)) {
        if (congested != self->congested)
            zsys_info ("transfer: %s, %zu messages waiting for executors",
                       congested ? "congested" : "no longer congested", self->backlog_total);
        self->congested = congested;
        self->announced_at = now;
        for (size_t p = 0; p < atomic_load (&self->peer_count); p++) {
            sq_message_t signal = {
                .kind = SQ_MSG_BACKPRESSURE, .root = self->self_id, .value = congested};
            //  Straight to the peer's queue; a full queue means the signal
            //  goes again in a second.
            sq_queue_push (self->peers[p].queue, &signal, 1, false);
        }
        s_ring (self);
    }
    size_t i = 0;
    while (i < self->congested_peer_count)
        if (self->congested_peers[i].until < now)
            self->congested_peers[i] = self->congested_peers[--self->congested_peer_count];
        else
            i++;
    sq_runtime_set_throttled (self->runtime, self->congested || self->congested_peer_count > 0);
}

//  DESIGN: the receive thread never waits for an executor's queue and
//  never stops reading. What does not fit waits in that executor's backlog
//  while messages for the others go on, so no worker can stall another
//  through a shared socket. Memory stays bounded because a worker whose
//  backlogs grow long tells every worker, and all spouts of the topology
//  hold off until the backlogs drain (backpressure, as in Storm 2).
static void *
s_receiver (void *argument)
{
    worker_transfer_t *self = argument;
    void *handle = zsock_resolve (self->pull);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    while (!atomic_load (&self->stopping)) {
        s_backlog_drain (self);
        int64_t now = zclock_mono ();
        s_backpressure (self, now);
        zmq_pollitem_t item = {.socket = handle, .events = ZMQ_POLLIN};
        //  With messages waiting, look at the queues again soon.
        if (zmq_poll (&item, 1, self->backlog_total ? 1 : TRANSFER_POLL_MS) <= 0)
            continue;
        //  Read what is there, but give the backlogs a turn now and then.
        for (int batch = 0; batch < 16; batch++) {
            if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0)
                break;
            s_receive_batch (self, &frame, now);
        }
    }
    zmq_msg_close (&frame);
    return NULL;
}

int
worker_transfer_start (worker_transfer_t *self, sq_runtime_t *runtime)
{
    self->runtime = runtime;
    self->backlogs =
        calloc (runtime->executor_count ? runtime->executor_count : 1, sizeof (transfer_backlog_t));
    if (!self->backlogs)
        return sq_error_set ("out of memory");
    self->backlog_count = runtime->executor_count;
    self->backlog_high = 4 * (size_t) sq_config_int (
                                 runtime->config, "topology.executor.receive.buffer.size", 16384);
    if (pthread_create (&self->sender, NULL, s_sender, self) != 0)
        return sq_error_set ("cannot start the transfer send thread");
    if (pthread_create (&self->receiver, NULL, s_receiver, self) != 0) {
        atomic_store (&self->stopping, true);
        pthread_join (self->sender, NULL);
        return sq_error_set ("cannot start the transfer receive thread");
    }
    self->started = true;
    return 0;
}

void
worker_transfer_stats (worker_transfer_t *self, worker_transfer_stats_t *stats)
{
    stats->batches_sent = atomic_load (&self->batches_sent);
    stats->batches_received = atomic_load (&self->batches_received);
    stats->malformed = atomic_load (&self->malformed);
    stats->undeliverable = atomic_load (&self->undeliverable);
}
