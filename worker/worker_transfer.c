/*  worker_transfer - carries tuples between worker processes over ZeroMQ */
#include "worker_transfer.h"
#include "sq_codec.h"
#include "sq_config.h"
#include "sq_error.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define TRANSFER_POP_MAX 1024     //  messages the send thread takes at once
#define TRANSFER_POLL_MS 100      //  how often threads look at the stop flag
#define TRANSFER_HWM 64           //  batches ZeroMQ buffers per socket
#define TRANSFER_LINGER_MS 0      //  nothing is sent after destroy

//  Messages that arrived for one local executor whose queue was full,
//  oldest first.
typedef struct {
    sq_message_t *messages; //  storage; the waiting ones are [head, head + count)
    size_t head;            //  index of the oldest waiting message
    size_t count;           //  messages waiting
    size_t capacity;        //  room in messages
} transfer_backlog_t;

//  One other worker of the topology.
typedef struct {
    char *endpoint;     //  its tcp endpoint
    zsock_t *push;      //  connected PUSH socket
    sq_codec_t *batch;  //  batch under construction for it
} transfer_peer_t;

struct _worker_transfer_t {
    zsock_t *pull;               //  bound PULL socket
    transfer_peer_t *peers;      //  the other workers
    size_t peer_count;           //  how many
    int *task_peer;              //  by task id: index in peers, -1 when local
    int task_count;              //  highest task id
    sq_queue_t *outgoing;        //  messages waiting for the send thread
    int send_timeout_ms;         //  how long a batch may wait for its peer
    sq_runtime_t *runtime;       //  receives what arrives
    transfer_backlog_t *backlogs; //  receive thread: one per local executor
    size_t backlog_count;        //  number of backlogs
    size_t backlog_total;        //  receive thread: messages in all backlogs
    size_t backlog_limit;        //  receive thread: stop reading at this many
    pthread_t sender;            //  send thread
    pthread_t receiver;          //  receive thread
    bool started;                //  threads running
    atomic_bool stopping;        //  threads must exit
    _Atomic uint64_t batches_sent;     //  counters, see worker_transfer_stats_t
    _Atomic uint64_t batches_received; //
    _Atomic uint64_t malformed;        //
    _Atomic uint64_t undeliverable;    //
};

static int
s_peer_index (worker_transfer_t *self, const char *endpoint)
{
    for (size_t p = 0; p < self->peer_count; p++)
        if (strcmp (self->peers[p].endpoint, endpoint) == 0)
            return (int) p;
    transfer_peer_t *grown = realloc (self->peers, (self->peer_count + 1) * sizeof (transfer_peer_t));
    if (!grown)
        return -1;
    self->peers = grown;
    transfer_peer_t *peer = &self->peers[self->peer_count];
    peer->endpoint = strdup (endpoint);
    peer->push = zsock_new (ZMQ_PUSH);
    peer->batch = sq_codec_new ();
    if (!peer->endpoint || !peer->push || !peer->batch) {
        free (peer->endpoint);
        zsock_destroy (&peer->push);
        sq_codec_destroy (&peer->batch);
        return -1;
    }
    zsock_set_sndhwm (peer->push, TRANSFER_HWM);
    zsock_set_linger (peer->push, TRANSFER_LINGER_MS);
    zsock_set_sndtimeo (peer->push, TRANSFER_POLL_MS);
    zsock_connect (peer->push, "%s", endpoint);
    return (int) self->peer_count++;
}

worker_transfer_t *
worker_transfer_new (const char *endpoint, const char *const *task_endpoints, int task_count,
                     const sq_config_t *config)
{
    worker_transfer_t *self = calloc (1, sizeof (worker_transfer_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    atomic_init (&self->stopping, false);
    self->task_count = task_count;
    self->send_timeout_ms
        = (int) sq_config_int (config, "topology.transfer.send.timeout.ms", 2000);
    self->outgoing = sq_queue_new (
        (size_t) sq_config_int (config, "topology.executor.receive.buffer.size", 16384));
    self->task_peer = calloc ((size_t) task_count + 1, sizeof (int));
    self->pull = zsock_new (ZMQ_PULL);
    if (!self->outgoing || !self->task_peer || !self->pull) {
        worker_transfer_destroy (&self);
        sq_error_set ("out of memory");
        return NULL;
    }
    zsock_set_rcvhwm (self->pull, TRANSFER_HWM);
    zsock_set_linger (self->pull, TRANSFER_LINGER_MS);
    zsock_set_rcvtimeo (self->pull, TRANSFER_POLL_MS);
    if (zsock_bind (self->pull, "%s", endpoint) < 0) {
        sq_error_set ("cannot bind the worker port %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        worker_transfer_destroy (&self);
        return NULL;
    }
    for (int task = 1; task <= task_count; task++) {
        self->task_peer[task] = -1;
        if (task_endpoints[task]) {
            self->task_peer[task] = s_peer_index (self, task_endpoints[task]);
            if (self->task_peer[task] < 0) {
                worker_transfer_destroy (&self);
                sq_error_set ("out of memory");
                return NULL;
            }
        }
    }
    return self;
}

void
worker_transfer_destroy (worker_transfer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_transfer_t *self = *self_p;
    worker_transfer_stop (self);
    for (size_t p = 0; p < self->peer_count; p++) {
        free (self->peers[p].endpoint);
        zsock_destroy (&self->peers[p].push);
        sq_codec_destroy (&self->peers[p].batch);
    }
    free (self->peers);
    free (self->task_peer);
    for (size_t e = 0; e < self->backlog_count; e++) {
        transfer_backlog_t *backlog = &self->backlogs[e];
        for (size_t m = 0; m < backlog->count; m++)
            sq_tuple_destroy (&backlog->messages[backlog->head + m].tuple);
        free (backlog->messages);
    }
    free (self->backlogs);
    zsock_destroy (&self->pull);
    sq_queue_destroy (&self->outgoing);
    free (self);
    *self_p = NULL;
}

void
worker_transfer_stop (worker_transfer_t *self)
{
    atomic_store (&self->stopping, true);
    if (self->outgoing)
        sq_queue_close (self->outgoing);
    if (self->started) {
        pthread_join (self->sender, NULL);
        pthread_join (self->receiver, NULL);
        self->started = false;
    }
}

size_t
worker_transfer_send (void *arg, const sq_message_t *messages, size_t count, bool wait)
{
    worker_transfer_t *self = arg;
    return sq_queue_push (self->outgoing, messages, count, wait);
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
            sq_message_t fail = {.kind = SQ_MSG_ACK_FAIL,
                                 .task = sq_runtime_acker_for (runtime, root),
                                 .root = root};
            //  Never wait here: the acker's tree times out if this is lost.
            int executor = sq_runtime_executor_of (runtime, fail.task);
            if (executor >= 0)
                sq_runtime_push (runtime, executor, &fail, 1, false);
            else
                sq_queue_push (self->outgoing, &fail, 1, false);
        }
    }
}

//  Send one peer's batch, waiting up to the send timeout for room.
static void
s_send_batch (worker_transfer_t *self, transfer_peer_t *peer, sq_message_t *messages,
              size_t count)
{
    sq_codec_reset (peer->batch);
    if (sq_codec_encode_batch (peer->batch, messages, count)) {
        zsys_error ("transfer: cannot encode a batch for %s: %s; %zu messages dropped",
                    peer->endpoint, sq_last_error (), count);
        atomic_fetch_add (&self->undeliverable, count);
        return;
    }
    size_t size;
    const uint8_t *data = sq_codec_data (peer->batch, &size);
    int64_t deadline = zclock_mono () + self->send_timeout_ms;
    void *handle = zsock_resolve (peer->push);
    while (zmq_send (handle, data, size, 0) < 0) {
        if (atomic_load (&self->stopping))
            return;
        if (zclock_mono () >= deadline) {
            zsys_warning ("transfer: worker %s unreachable for %d ms; failing %zu tuples' trees",
                          peer->endpoint, self->send_timeout_ms, count);
            s_fail_trees (self, messages, count);
            atomic_fetch_add (&self->undeliverable, count);
            return;
        }
    }
    atomic_fetch_add (&self->batches_sent, 1);
}

static void *
s_sender (void *argument)
{
    worker_transfer_t *self = argument;
    sq_message_t *taken = malloc (TRANSFER_POP_MAX * sizeof (sq_message_t));
    sq_message_t *grouped = malloc (TRANSFER_POP_MAX * sizeof (sq_message_t));
    while (taken && grouped && !atomic_load (&self->stopping)) {
        size_t count = sq_queue_pop (self->outgoing, taken, TRANSFER_POP_MAX, TRANSFER_POLL_MS);
        //  One batch per peer, in the order the messages came.
        for (size_t p = 0; p < self->peer_count; p++) {
            size_t grouped_count = 0;
            for (size_t m = 0; m < count; m++) {
                int task = taken[m].task;
                if (task >= 1 && task <= self->task_count && self->task_peer[task] == (int) p)
                    grouped[grouped_count++] = taken[m];
            }
            if (grouped_count)
                s_send_batch (self, &self->peers[p], grouped, grouped_count);
        }
        for (size_t m = 0; m < count; m++) {
            int task = taken[m].task;
            if (task < 1 || task > self->task_count || self->task_peer[task] < 0)
                atomic_fetch_add (&self->undeliverable, 1);
            sq_tuple_destroy (&taken[m].tuple);
        }
    }
    free (taken);
    free (grouped);
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
        }
        else {
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
        size_t pushed = sq_runtime_push (self->runtime, (int) e,
                                         backlog->messages + backlog->head, backlog->count, false);
        backlog->head += pushed;
        backlog->count -= pushed;
        self->backlog_total -= pushed;
        if (backlog->count == 0)
            backlog->head = 0;
    }
}

//  Decode one batch and queue its messages for their executors.
static void
s_receive_batch (worker_transfer_t *self, zmq_msg_t *frame)
{
    sq_message_t *messages;
    size_t count;
    int rc = sq_codec_decode_batch (zmq_msg_data (frame), zmq_msg_size (frame), s_resolve,
                                    self->runtime, &messages, &count);
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
        int executor = sq_runtime_executor_of (self->runtime, messages[m].task);
        if (executor < 0 || s_backlog_append (self, executor, &messages[m])) {
            sq_tuple_destroy (&messages[m].tuple);
            atomic_fetch_add (&self->undeliverable, 1);
        }
    }
    free (messages);
}

//  DESIGN: the receive thread never waits for one executor's queue. What
//  does not fit waits in that executor's backlog while messages for the
//  others go on; only when the backlogs hold backlog_limit messages does
//  it stop reading, so that ZeroMQ's buffers fill and the senders slow
//  down. Waiting on one full queue instead would let two workers whose
//  bolts feed each other stall each other for good.
static void *
s_receiver (void *argument)
{
    worker_transfer_t *self = argument;
    void *handle = zsock_resolve (self->pull);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    while (!atomic_load (&self->stopping)) {
        s_backlog_drain (self);
        if (self->backlog_total >= self->backlog_limit) {
            zclock_sleep (1);
            continue;
        }
        zmq_pollitem_t item = {.socket = handle, .events = ZMQ_POLLIN};
        //  With messages waiting, look at the queues again soon.
        if (zmq_poll (&item, 1, self->backlog_total ? 1 : TRANSFER_POLL_MS) <= 0)
            continue;
        if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) >= 0)
            s_receive_batch (self, &frame);
    }
    zmq_msg_close (&frame);
    return NULL;
}

int
worker_transfer_start (worker_transfer_t *self, sq_runtime_t *runtime)
{
    self->runtime = runtime;
    self->backlogs = calloc (runtime->executor_count ? runtime->executor_count : 1,
                             sizeof (transfer_backlog_t));
    if (!self->backlogs)
        return sq_error_set ("out of memory");
    self->backlog_count = runtime->executor_count;
    self->backlog_limit = 4 * (size_t) sq_config_int (
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
