/*  test_transfer - two workers' runtimes in one process, joined only by
    worker_transfer over ZeroMQ on 127.0.0.1

    The topology numbers (1) -shuffle-> relay (2) -fields-> sink (2) is
    split so that every hop crosses between the two "workers", acking
    included. Checks that every tracked tuple completes across the wire,
    that garbage sent to a worker's port is counted and dropped while
    tuples keep flowing, and that a peer that is gone fails the trees of
    the tuples it cannot receive, so the spout replays them.
*/
#include "sq_acker.h"
#include "sq_curve.h"
#include "sq_curve_auth.h"
#include "sq_runtime.h"
#include "test_processes.h"
#include "worker_transfer.h"

#include <check.h>
#include <czmq.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define MESSAGES 5000

static _Atomic int s_acked;  //  spout ack calls
static _Atomic int s_failed; //  spout fail calls
static _Atomic int s_sunk;   //  tuples the sinks executed
static _Atomic int s_emitted; //  tuples the spout emitted
static bool s_flood;          //  spout: untracked numbers without end
static int s_sink_sleep_us;   //  sink: time per input
static sq_curve_t *s_curve;   //  the topology's key pair when secured, else NULL

typedef struct {
    sq_collector_t *collector; //  where to emit
    int next;                  //  next number
    int *replay;               //  failed numbers to emit again
    int replay_count;          //  how many
} numbers_t;

static void
s_declare_number (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "number");
}

static int
s_numbers_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    numbers_t *self = calloc (1, sizeof (numbers_t));
    self->collector = collector;
    self->replay = calloc (MESSAGES, sizeof (int));
    *state_p = self;
    return 0;
}

static void
s_numbers_next (void *state)
{
    numbers_t *self = state;
    if (s_flood) {
        for (int i = 0; i < 64; i++)
            sq_collector_emit (self->collector, NULL, SQ_VALUES (sq_int (self->next++)));
        atomic_fetch_add (&s_emitted, 64);
        return;
    }
    int number = self->replay_count      ? self->replay[--self->replay_count]
                 : self->next < MESSAGES ? self->next++
                                         : -1;
    if (number >= 0)
        sq_collector_emit_tracked (self->collector, NULL, (uint64_t) number,
                                   SQ_VALUES (sq_int (number)));
}

static void
s_numbers_ack (void *state, uint64_t msg_id)
{
    atomic_fetch_add (&s_acked, 1);
}

static void
s_numbers_fail (void *state, uint64_t msg_id)
{
    numbers_t *self = state;
    atomic_fetch_add (&s_failed, 1);
    self->replay[self->replay_count++] = (int) msg_id;
}

static void
s_numbers_close (void *state)
{
    numbers_t *self = state;
    free (self->replay);
    free (self);
}

static const sq_spout_t s_numbers = {.declare_outputs = s_declare_number,
                                     .open = s_numbers_open,
                                     .next_tuple = s_numbers_next,
                                     .ack = s_numbers_ack,
                                     .fail = s_numbers_fail,
                                     .close = s_numbers_close};

static int
s_keep_collector (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_relay_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_emit (state, input, SQ_VALUES (sq_int (sq_tuple_get_int (input, 0))));
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_relay = {
    .declare_outputs = s_declare_number, .prepare = s_keep_collector, .execute = s_relay_execute};

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    if (s_sink_sleep_us)
        usleep ((useconds_t) s_sink_sleep_us);
    atomic_fetch_add (&s_sunk, 1);
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_sink = {.prepare = s_keep_collector, .execute = s_sink_execute};

static sq_topology_t *
s_topology (void)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "relay", &s_relay, 2), "numbers",
                                   NULL);
    sq_component_fields_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 2), "relay",
                                  NULL, "number");
    sq_config_set_int (sq_topology_config (topology), "topology.message.timeout.secs", 2);
    return topology;
}

//  Tasks: numbers 1, relay 2-3, sink 4-5, acker 6. Worker A runs 1, 2, 4, 6
//  and worker B runs 3, 5: every hop can cross.
#define TASKS 6
static const bool s_on_a[TASKS + 1] = {false, true, true, false, true, false, true};

typedef struct {
    worker_transfer_t *transfer; //  its transfer
    sq_runtime_t *runtime;       //  its executors
    int port;                    //  its port
} test_worker_t;

//  Only the spout and the acker on A: everything the spout emits crosses.
static const bool s_spout_on_a[TASKS + 1] = {false, true, false, false, false, false, true};

static void
s_start_placed_worker (test_worker_t *worker, bool is_a, int peer_port, sq_config_t *config,
                       const bool *on_a)
{
    char endpoint[64], peer[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", worker->port);
    snprintf (peer, sizeof peer, "tcp://127.0.0.1:%d", peer_port);
    const char *endpoints[TASKS + 1] = {NULL};
    bool local[TASKS + 1] = {false};
    for (int task = 1; task <= TASKS; task++) {
        local[task] = on_a[task] == is_a;
        endpoints[task] = local[task] ? NULL : peer;
    }
    worker->transfer = worker_transfer_new (endpoint, endpoints, TASKS, config, s_curve);
    ck_assert_msg (worker->transfer != NULL, "%s", sq_last_error ());
    sq_placement_t placement = {
        .local = local, .task_count = TASKS, .send = worker_transfer_send, .arg = worker->transfer};
    sq_topology_t *topology = s_topology ();
    sq_runtime_options_t options = {.placement = &placement, .acker = sq_acker_task ()};
    worker->runtime = sq_runtime_new (is_a ? "a" : "b", &topology, config, &options);
    ck_assert_msg (worker->runtime != NULL, "%s", sq_last_error ());
    ck_assert_int_eq (worker_transfer_start (worker->transfer, worker->runtime), 0);
    ck_assert_int_eq (sq_runtime_start (worker->runtime), 0);
}

static void
s_start_worker (test_worker_t *worker, bool is_a, int peer_port, sq_config_t *config)
{
    s_start_placed_worker (worker, is_a, peer_port, config, s_on_a);
}

static void
s_stop_worker (test_worker_t *worker)
{
    worker_transfer_stop (worker->transfer);
    sq_runtime_destroy (&worker->runtime);
    worker_transfer_destroy (&worker->transfer);
}

static bool
s_wait_acked (int count, int seconds)
{
    for (int waited = 0; waited < seconds * 100 && atomic_load (&s_acked) < count; waited++)
        zclock_sleep (10);
    return atomic_load (&s_acked) >= count;
}

START_TEST (test_tuples_and_acks_cross_workers)
{
    atomic_store (&s_acked, 0);
    atomic_store (&s_sunk, 0);
    sq_config_t *config = sq_config_new ();
    test_worker_t a = {.port = test_processes_free_port ()}, b = {.port = test_processes_free_port ()};
    s_start_worker (&b, false, a.port, config);
    s_start_worker (&a, true, b.port, config);
    ck_assert_msg (s_wait_acked (MESSAGES, 60), "acked %d of %d", atomic_load (&s_acked), MESSAGES);
    ck_assert_int_eq (atomic_load (&s_failed), 0);
    ck_assert_int_eq (atomic_load (&s_sunk), MESSAGES);
    worker_transfer_stats_t stats;
    worker_transfer_stats (b.transfer, &stats);
    ck_assert_uint_gt (stats.batches_received, 0);
    ck_assert_uint_gt (stats.batches_sent, 0);

    //  Garbage to B's port: counted, dropped, and tuples keep crossing.
    zsock_t *push = zsock_new_push (NULL);
    zsock_set_linger (push, 2000); //  deliver everything before closing
    zsock_connect (push, "tcp://127.0.0.1:%d", b.port);
    unsigned seed = 5;
    for (int i = 0; i < 100; i++) {
        char bytes[64];
        for (size_t j = 0; j < sizeof bytes; j++)
            bytes[j] = (char) rand_r (&seed);
        if (i % 2)
            memcpy (bytes, "SQ\x01", 3); //  a valid header with a broken body
        zsock_send (push, "b", bytes, (size_t) (1 + i % (int) sizeof bytes));
    }
    zsock_destroy (&push);
    for (int waited = 0; waited < 500; waited++) {
        worker_transfer_stats (b.transfer, &stats);
        if (stats.malformed == 100)
            break;
        zclock_sleep (10);
    }
    ck_assert_uint_eq (stats.malformed, 100);
    s_stop_worker (&a);
    s_stop_worker (&b);
    sq_config_destroy (&config);
}
END_TEST

//  Send 100 frames of garbage to port from a PUSH socket set up by
//  prepare (NULL: plain), and close it once they are sent or refused.
static void
s_send_garbage (int port, zcert_t *own, const char *server_key)
{
    zsock_t *push = zsock_new_push (NULL);
    zsock_set_linger (push, 2000);
    if (own) {
        zcert_apply (own, push);
        zsock_set_curve_serverkey (push, server_key);
    }
    zsock_connect (push, "tcp://127.0.0.1:%d", port);
    for (int i = 0; i < 100; i++)
        zsock_send (push, "b", "SQ\x01garbage", (size_t) 10);
    zsock_destroy (&push);
}

START_TEST (test_secured_transfer_lets_in_only_the_topology_key)
{
    atomic_store (&s_acked, 0);
    atomic_store (&s_sunk, 0);
    //  The key pair both workers share, the only one their ZAP handler
    //  (one per process, as in a worker) lets in.
    zcert_t *key = zcert_new ();
    zcert_t *copy = zcert_dup (key);
    s_curve = sq_curve_new (&copy, NULL);
    sq_curve_auth_t *auth = sq_curve_auth_new (NULL, "test transfer");
    ck_assert_ptr_nonnull (auth);
    ck_assert_int_eq (sq_curve_auth_allow (auth, zcert_public_txt (key), "topology/test"), 0);
    sq_config_t *config = sq_config_new ();
    test_worker_t a = {.port = test_processes_free_port ()}, b = {.port = test_processes_free_port ()};
    s_start_worker (&b, false, a.port, config);
    s_start_worker (&a, true, b.port, config);
    ck_assert_msg (s_wait_acked (MESSAGES, 60), "acked %d of %d", atomic_load (&s_acked), MESSAGES);
    ck_assert_int_eq (atomic_load (&s_sunk), MESSAGES);
    ck_assert_uint_eq (sq_curve_auth_refused (auth), 0);

    //  Frames from a peer without keys, and from one with a key of its
    //  own that knows the worker's public key: refused at the handshake.
    s_send_garbage (b.port, NULL, NULL);
    zcert_t *stranger = zcert_new ();
    s_send_garbage (b.port, stranger, zcert_public_txt (key));
    zcert_destroy (&stranger);
    for (int waited = 0; waited < 500 && sq_curve_auth_refused (auth) < 1; waited++)
        zclock_sleep (10);
    ck_assert_uint_ge (sq_curve_auth_refused (auth), 1);
    //  The same frames with the topology key do reach the decoder (which
    //  drops them as malformed): exactly those 100, none of the others.
    s_send_garbage (b.port, key, zcert_public_txt (key));
    worker_transfer_stats_t stats;
    for (int waited = 0; waited < 500; waited++) {
        worker_transfer_stats (b.transfer, &stats);
        if (stats.malformed >= 100)
            break;
        zclock_sleep (10);
    }
    ck_assert_uint_eq (stats.malformed, 100);
    ck_assert_int_eq (atomic_load (&s_sunk), MESSAGES);
    s_stop_worker (&a);
    s_stop_worker (&b);
    sq_curve_destroy (&s_curve);
    sq_curve_auth_destroy (&auth);
    zcert_destroy (&key);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_frame_declaring_4_gb_is_dropped_at_its_header)
{
    atomic_store (&s_acked, 0);
    sq_config_t *config = sq_config_new ();
    test_worker_t a = {.port = test_processes_free_port ()}, b = {.port = test_processes_free_port ()};
    s_start_worker (&b, false, a.port, config);
    s_start_worker (&a, true, b.port, config);
    ck_assert_msg (s_wait_acked (100, 60), "acked %d", atomic_load (&s_acked));
    long before = test_processes_rss_kb ((int) getpid ());
    //  4 GB declared, up to 256 MB sent: the worker (here, this process)
    //  disconnects at the header (storm.messaging.max.message.bytes).
    size_t sent = 0;
    int fd = test_processes_zmtp_frame (b.port, "PUSH", 4ULL << 30, 256 << 20, &sent);
    ck_assert_int_ge (fd, 0);
    ck_assert_msg (test_processes_closed_by_peer (fd, 5000), "the worker kept the connection");
    close (fd);
    long after = test_processes_rss_kb ((int) getpid ());
    ck_assert_msg (sent < (64 << 20), "the worker took %zu bytes of the frame", sent);
    ck_assert_msg (after - before < 64 * 1024, "RSS grew from %ld to %ld KiB", before, after);
    //  Tuples keep crossing.
    ck_assert_msg (s_wait_acked (MESSAGES, 60), "acked %d of %d", atomic_load (&s_acked), MESSAGES);
    s_stop_worker (&a);
    s_stop_worker (&b);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_unreachable_peer_fails_trees)
{
    atomic_store (&s_acked, 0);
    atomic_store (&s_failed, 0);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.transfer.send.timeout.ms", 300);
    test_worker_t a = {.port = test_processes_free_port ()};
    //  Worker B never starts: what A sends to it cannot be delivered.
    s_start_worker (&a, true, test_processes_free_port (), config);
    for (int waited = 0; waited < 3000 && atomic_load (&s_failed) < 10; waited++)
        zclock_sleep (10);
    //  Every tree needs worker B (relay task 3 or sink task 5 or both are
    //  there, or the tree is acked without it): the ones that crossed fail.
    ck_assert_int_ge (atomic_load (&s_failed), 10);
    s_stop_worker (&a);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_reroute_sends_moved_tasks_to_their_new_worker)
{
    atomic_store (&s_acked, 0);
    atomic_store (&s_failed, 0);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.transfer.send.timeout.ms", 300);
    //  A starts with B's tasks on a worker that is gone: their trees fail.
    test_worker_t a = {.port = test_processes_free_port ()}, b = {.port = test_processes_free_port ()};
    s_start_worker (&a, true, test_processes_free_port (), config);
    for (int waited = 0; waited < 3000 && atomic_load (&s_failed) < 10; waited++)
        zclock_sleep (10);
    ck_assert_int_ge (atomic_load (&s_failed), 10);

    //  B's tasks move to a new worker; A follows while its executors send.
    s_start_worker (&b, false, a.port, config);
    char moved[64];
    snprintf (moved, sizeof moved, "tcp://127.0.0.1:%d", b.port);
    const char *endpoints[TASKS + 1] = {NULL};
    for (int task = 1; task <= TASKS; task++)
        endpoints[task] = s_on_a[task] ? NULL : moved;
    ck_assert_int_eq (worker_transfer_reroute (a.transfer, endpoints, TASKS), 0);
    ck_assert_msg (s_wait_acked (MESSAGES, 60), "acked %d of %d", atomic_load (&s_acked), MESSAGES);

    //  A task of A's own cannot be routed away, nor the task count change.
    endpoints[1] = moved;
    ck_assert_int_eq (worker_transfer_reroute (a.transfer, endpoints, TASKS), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "task 1"));
    ck_assert_int_eq (worker_transfer_reroute (a.transfer, endpoints, TASKS + 1), -1);
    s_stop_worker (&a);
    s_stop_worker (&b);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_slow_bolts_on_one_worker_hold_back_the_spout_on_another)
{
    atomic_store (&s_sunk, 0);
    atomic_store (&s_emitted, 0);
    s_flood = true;
    s_sink_sleep_us = 50;
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.executor.receive.buffer.size", 1024);
    sq_config_set_int (config, "topology.producer.batch.size", 64);
    test_worker_t a = {.port = test_processes_free_port ()}, b = {.port = test_processes_free_port ()};
    s_start_placed_worker (&b, false, a.port, config, s_spout_on_a);
    s_start_placed_worker (&a, true, b.port, config, s_spout_on_a);
    //  What the spout emitted but no sink executed yet sits in bounded
    //  places: executor queues and outboxes, the peer queues, ZeroMQ's
    //  buffers, and the receive backlogs, which stop the spout (through the
    //  backpressure signal) at 4 x 1024 messages. Without backpressure the
    //  spout would be millions ahead within seconds.
    long most_ahead = 0;
    for (int sample = 0; sample < 30; sample++) {
        zclock_sleep (100);
        long ahead = atomic_load (&s_emitted) - atomic_load (&s_sunk);
        if (ahead > most_ahead)
            most_ahead = ahead;
    }
    ck_assert_msg (most_ahead < 100000, "the spout ran %ld tuples ahead of the sinks", most_ahead);
    ck_assert_int_gt (atomic_load (&s_emitted), 5000);
    //  Nothing is lost: once the spout stops, the sinks catch up exactly.
    sq_runtime_set_active (a.runtime, false);
    for (int waited = 0; waited < 6000; waited++) {
        if (atomic_load (&s_sunk) == atomic_load (&s_emitted))
            break;
        zclock_sleep (10);
    }
    ck_assert_int_eq (atomic_load (&s_sunk), atomic_load (&s_emitted));
    s_stop_worker (&a);
    s_stop_worker (&b);
    sq_config_destroy (&config);
    s_flood = false;
    s_sink_sleep_us = 0;
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("transfer");
    TCase *tcase = tcase_create ("two workers");
    tcase_set_timeout (tcase, 120);
    tcase_add_test (tcase, test_tuples_and_acks_cross_workers);
    tcase_add_test (tcase, test_unreachable_peer_fails_trees);
    tcase_add_test (tcase, test_secured_transfer_lets_in_only_the_topology_key);
    tcase_add_test (tcase, test_frame_declaring_4_gb_is_dropped_at_its_header);
    tcase_add_test (tcase, test_reroute_sends_moved_tasks_to_their_new_worker);
    tcase_add_test (tcase, test_slow_bolts_on_one_worker_hold_back_the_spout_on_another);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
