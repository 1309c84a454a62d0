/*  test_queue - sq_queue: order, bounds, waits, closing, and several
    producers against a consumer that polls without waiting

    The messages carry no tuples (kind SQ_MSG_ACK_ACK): a message's root
    says which producer sent it and its value the producer's count, so the
    consumer can check that each producer's messages arrive whole and in
    order. Also one of the thread tests (make check-threads).
*/
#include "sq_queue.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define PRODUCERS 2
#define PER_PRODUCER 200000
#define BATCH 32

static sq_message_t
s_message (uint64_t producer, uint64_t count)
{
    return (sq_message_t){.kind = SQ_MSG_ACK_ACK, .task = 1, .root = producer, .value = count};
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

START_TEST (test_order_bound_and_empty_pops)
{
    sq_queue_t *queue = sq_queue_new (4);
    ck_assert_ptr_nonnull (queue);
    sq_message_t out[8];
    ck_assert_uint_eq (sq_queue_pop (queue, out, 8, 0), 0);
    sq_message_t in[6];
    for (uint64_t i = 0; i < 6; i++)
        in[i] = s_message (0, i);
    //  Without waiting, a push takes what fits and leaves the rest.
    ck_assert_uint_eq (sq_queue_push (queue, in, 6, false), 4);
    ck_assert_uint_eq (sq_queue_depth (queue), 4);
    ck_assert_uint_eq (sq_queue_pop (queue, out, 3, 0), 3);
    for (uint64_t i = 0; i < 3; i++)
        ck_assert_uint_eq (out[i].value, i);
    //  Around the end of the ring, still in order.
    ck_assert_uint_eq (sq_queue_push (queue, in + 4, 2, false), 2);
    ck_assert_uint_eq (sq_queue_pop (queue, out, 8, 0), 3);
    ck_assert_uint_eq (out[0].value, 3);
    ck_assert_uint_eq (out[1].value, 4);
    ck_assert_uint_eq (out[2].value, 5);
    ck_assert_uint_eq (sq_queue_pop (queue, out, 8, 0), 0);
    ck_assert_uint_eq (sq_queue_depth (queue), 0);
    ck_assert_uint_eq (sq_queue_max_depth (queue), 4);
    sq_queue_destroy (&queue);
    ck_assert_ptr_null (queue);
}
END_TEST

START_TEST (test_timed_pop_waits_and_close_ends_waits)
{
    sq_queue_t *queue = sq_queue_new (2);
    sq_message_t out[2];
    int64_t start = s_now_ms ();
    ck_assert_uint_eq (sq_queue_pop (queue, out, 2, 50), 0);
    ck_assert_int_ge (s_now_ms () - start, 45);
    sq_queue_close (queue);
    //  Closed: a pop that would wait for ever returns at once, and a push
    //  takes nothing.
    ck_assert_uint_eq (sq_queue_pop (queue, out, 2, -1), 0);
    sq_message_t in = s_message (0, 0);
    ck_assert_uint_eq (sq_queue_push (queue, &in, 1, true), 0);
    sq_queue_destroy (&queue);
}
END_TEST

typedef struct {
    sq_queue_t *queue;
    uint64_t producer;
} producer_t;

static void *
s_produce (void *arg)
{
    producer_t *self = arg;
    sq_message_t batch[BATCH];
    for (uint64_t count = 0; count < PER_PRODUCER; count += BATCH) {
        for (uint64_t i = 0; i < BATCH; i++)
            batch[i] = s_message (self->producer, count + i);
        if (sq_queue_push (self->queue, batch, BATCH, true) != BATCH)
            return "push with wait took part of a batch";
    }
    return NULL;
}

//  The consumer polls without waiting, as a busy spout does, and parks
//  only now and then: every message arrives, each producer's in order.
START_TEST (test_producers_and_a_polling_consumer)
{
    sq_queue_t *queue = sq_queue_new (256);
    producer_t producers[PRODUCERS];
    pthread_t threads[PRODUCERS];
    for (uint64_t p = 0; p < PRODUCERS; p++) {
        producers[p] = (producer_t){queue, p};
        ck_assert_int_eq (pthread_create (&threads[p], NULL, s_produce, &producers[p]), 0);
    }
    uint64_t next[PRODUCERS] = {0};
    uint64_t received = 0, empty_polls = 0;
    sq_message_t out[64];
    while (received < PRODUCERS * PER_PRODUCER) {
        size_t count = sq_queue_pop (queue, out, 64, empty_polls % 64 == 63 ? 10 : 0);
        empty_polls += count == 0;
        for (size_t i = 0; i < count; i++) {
            uint64_t producer = out[i].root;
            ck_assert_uint_lt (producer, PRODUCERS);
            if (out[i].value != next[producer])
                ck_abort_msg ("producer %ju: got %ju, expected %ju", (uintmax_t) producer,
                              (uintmax_t) out[i].value, (uintmax_t) next[producer]);
            next[producer]++;
        }
        received += count;
    }
    for (int p = 0; p < PRODUCERS; p++) {
        void *failure = NULL;
        pthread_join (threads[p], &failure);
        ck_assert_msg (failure == NULL, "%s", (const char *) failure);
    }
    ck_assert_uint_eq (sq_queue_pop (queue, out, 64, 0), 0);
    ck_assert_uint_le (sq_queue_max_depth (queue), 256);
    sq_queue_destroy (&queue);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("sq_queue");
    TCase *tcase = tcase_create ("queue");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_order_bound_and_empty_pops);
    tcase_add_test (tcase, test_timed_pop_waits_and_close_ends_waits);
    tcase_add_test (tcase, test_producers_and_a_polling_consumer);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
