/*  test_connections - open connections by peer address, from monitor events

    Checks the counts through opens and ends in any order, an end that
    never came (swept), an accept that replaces a descriptor whose end was
    lost, a randomized run against a plain model, and the system's view
    of a real connected socket (getpeername).
*/
#include "sq_connections.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

START_TEST (test_counts_by_address)
{
    sq_connections_t *connections = sq_connections_new ();
    ck_assert (connections);
    ck_assert_int_eq (sq_connections_opened (connections, 7, "10.0.0.1", "10.0.0.1:4000"), 0);
    ck_assert_int_eq (sq_connections_opened (connections, 8, "10.0.0.1", "10.0.0.1:4001"), 0);
    ck_assert_int_eq (sq_connections_opened (connections, 9, "10.0.0.2", "10.0.0.2:4000"), 0);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.1"), 2);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.2"), 1);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.3"), 0);
    ck_assert_uint_eq (sq_connections_total (connections), 3);
    sq_connections_closed (connections, 7);
    sq_connections_closed (connections, 7);  //  reported twice: no effect
    sq_connections_closed (connections, 42); //  never opened: no effect
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.1"), 1);
    ck_assert_uint_eq (sq_connections_total (connections), 2);
    sq_connections_closed (connections, 8);
    sq_connections_closed (connections, 9);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.1"), 0);
    ck_assert_uint_eq (sq_connections_total (connections), 0);
    sq_connections_destroy (&connections);
    sq_connections_destroy (&connections);
    ck_assert_ptr_null (connections);
}
END_TEST

//  Lost end: the descriptor comes back for another peer.
START_TEST (test_reused_descriptor_replaces)
{
    sq_connections_t *connections = sq_connections_new ();
    ck_assert_int_eq (sq_connections_opened (connections, 7, "10.0.0.1", "10.0.0.1:4000"), 0);
    ck_assert_int_eq (sq_connections_opened (connections, 7, "10.0.0.2", "10.0.0.2:5000"), 0);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.1"), 0);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.2"), 1);
    ck_assert_uint_eq (sq_connections_total (connections), 1);
    sq_connections_destroy (&connections);
}
END_TEST

static bool
s_only_even (int fd, const char *peer, void *arg)
{
    (void) peer;
    (*(int *) arg)++;
    return fd % 2 == 0;
}

//  Lost ends of descriptors never reused: the sweep finds them.
START_TEST (test_sweep_drops_unreported_ends)
{
    sq_connections_t *connections = sq_connections_new ();
    for (int fd = 0; fd < 10; fd++) {
        char peer[32];
        snprintf (peer, sizeof peer, "10.0.0.1:%d", 4000 + fd);
        ck_assert_int_eq (sq_connections_opened (connections, fd, "10.0.0.1", peer), 0);
    }
    int asked = 0;
    ck_assert_uint_eq (sq_connections_sweep (connections, s_only_even, &asked), 5);
    ck_assert_int_eq (asked, 10);
    ck_assert_uint_eq (sq_connections_of (connections, "10.0.0.1"), 5);
    ck_assert_uint_eq (sq_connections_total (connections), 5);
    ck_assert_uint_eq (sq_connections_sweep (connections, s_only_even, &asked), 0);
    sq_connections_destroy (&connections);
}
END_TEST

//  Random opens, ends, repeated and lost events against a plain array.
START_TEST (test_random_against_model)
{
    enum { FDS = 64, ADDRESSES = 5 };
    int model[FDS]; //  address index per descriptor, -1 when closed
    for (int fd = 0; fd < FDS; fd++)
        model[fd] = -1;
    sq_connections_t *connections = sq_connections_new ();
    srand (12);
    for (int step = 0; step < 20000; step++) {
        int fd = rand () % FDS;
        char address[16];
        char peer[32];
        if (rand () % 2) {
            int which = rand () % ADDRESSES;
            snprintf (address, sizeof address, "10.0.0.%d", which);
            snprintf (peer, sizeof peer, "%s:%d", address, step);
            ck_assert_int_eq (sq_connections_opened (connections, fd, address, peer), 0);
            model[fd] = which;
        } else {
            sq_connections_closed (connections, fd);
            model[fd] = -1;
        }
        if (step % 997 == 0) {
            size_t total = 0;
            for (int which = 0; which < ADDRESSES; which++) {
                size_t count = 0;
                for (int i = 0; i < FDS; i++)
                    count += model[i] == which;
                snprintf (address, sizeof address, "10.0.0.%d", which);
                ck_assert_uint_eq (sq_connections_of (connections, address), count);
                total += count;
            }
            ck_assert_uint_eq (sq_connections_total (connections), total);
        }
    }
    sq_connections_destroy (&connections);
}
END_TEST

//  A real TCP connection: its peer, and alive until it closes.
START_TEST (test_system_view)
{
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge (listener, 0);
    struct sockaddr_in where = {.sin_family = AF_INET};
    where.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof where;
    ck_assert_int_eq (bind (listener, (struct sockaddr *) &where, sizeof where), 0);
    ck_assert_int_eq (listen (listener, 4), 0);
    ck_assert_int_eq (getsockname (listener, (struct sockaddr *) &where, &size), 0);
    int client = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq (connect (client, (struct sockaddr *) &where, sizeof where), 0);
    int server = accept (listener, NULL, NULL);
    ck_assert_int_ge (server, 0);
    struct sockaddr_in mine;
    size = sizeof mine;
    ck_assert_int_eq (getsockname (client, (struct sockaddr *) &mine, &size), 0);
    char expected[64];
    snprintf (expected, sizeof expected, "127.0.0.1:%u", ntohs (mine.sin_port));

    char address[SQ_CONNECTIONS_MAX_ADDRESS];
    char peer[SQ_CONNECTIONS_MAX_ADDRESS];
    ck_assert_int_eq (sq_connections_peer_of (server, address, peer), 0);
    ck_assert_str_eq (address, "127.0.0.1");
    ck_assert_str_eq (peer, expected);
    ck_assert (sq_connections_alive (server, expected, NULL));
    ck_assert (!sq_connections_alive (server, "127.0.0.1:1", NULL));
    ck_assert_int_eq (sq_connections_peer_of (listener, address, peer), -1); //  not connected
    close (server);
    ck_assert (!sq_connections_alive (server, expected, NULL));
    ck_assert_int_eq (sq_connections_peer_of (-1, address, peer), -1);
    close (client);
    close (listener);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("connections");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_counts_by_address);
    tcase_add_test (tc, test_reused_descriptor_replaces);
    tcase_add_test (tc, test_sweep_drops_unreported_ends);
    tcase_add_test (tc, test_random_against_model);
    tcase_add_test (tc, test_system_view);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
