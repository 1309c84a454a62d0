/*  test_zk - sq_zk against a real ZooKeeper server

    main() starts one server (zk_server) for the suite; each test works
    under its own root so tests never see each other's nodes. Tests that
    stop the server start their own. Without java or the ZooKeeper
    server jar the suite skips (exit 77), or fails when every suite must
    run (zk_server_skip).
*/
#include "sq_zk.h"
#include "squall.h"
#include "zk_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SESSION_MS 4000 //  session timeout for most tests
#define CONNECT_MS 5000 //  connect timeout for most tests
#define EVENT_MS 5000   //  longest wait for an expected event

//  The suite's server, started by main() before Check forks the tests.
static const char *s_endpoint;

//  Asserts that the last error contains text.
#define ASSERT_ERROR(text)                                                                         \
    ck_assert_msg (strstr (sq_last_error (), (text)), "error '%s' lacks '%s'", sq_last_error (),   \
                   (text))

static long long
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  A client of the suite's server under root; fails the test if it cannot.
static sq_zk_t *
s_connect (const char *endpoint, const char *root)
{
    sq_zk_t *zk = sq_zk_new (endpoint, root, SESSION_MS, CONNECT_MS);
    ck_assert_msg (zk != NULL, "cannot connect: %s", sq_last_error ());
    return zk;
}

//  Waits, polling the client's descriptor with zpoller as a daemon's loop
//  would, for an event of type on path (NULL: any path); skips others.
static bool
s_wait_event (sq_zk_t *zk, sq_zk_event_type_t type, const char *path, int timeout_ms)
{
    int fd = sq_zk_fd (zk);
    zpoller_t *poller = zpoller_new (&fd, NULL);
    ck_assert_ptr_nonnull (poller);
    long long deadline = s_now_ms () + timeout_ms;
    bool found = false;
    while (!found) {
        long long left = deadline - s_now_ms ();
        if (left <= 0)
            break;
        if (zpoller_wait (poller, (int) left) != &fd)
            continue; //  timed out (the loop ends) or interrupted
        sq_zk_event_t event;
        while (!found && sq_zk_next_event (zk, &event) == 1)
            found = event.type == type && (!path || strcmp (event.path, path) == 0);
    }
    zpoller_destroy (&poller);
    return found;
}

//  True when the client's descriptor stays quiet for ms.
static bool
s_quiet (sq_zk_t *zk, int ms)
{
    struct pollfd item = {sq_zk_fd (zk), POLLIN, 0};
    return poll (&item, 1, ms) == 0;
}

//  Reads data and compares it with text.
static void
s_assert_data (sq_zk_t *zk, const char *path, const char *text)
{
    char *data = NULL;
    size_t len = 99;
    int rc = sq_zk_get (zk, path, &data, &len, false);
    ck_assert_msg (rc == 0, "get %s: %s", path, sq_last_error ());
    ck_assert_uint_eq (len, strlen (text));
    ck_assert_str_eq (data, text);
    free (data);
}

//  ---------------------------------------------------------------------

START_TEST (test_create_get_set)
{
    sq_zk_t *zk = s_connect (s_endpoint, "/t_basic/storm");
    ck_assert (sq_zk_connected (zk));
    ck_assert (!sq_zk_expired (zk));
    ck_assert (sq_zk_session_id (zk) != 0);
    ck_assert_int_gt (sq_zk_session_timeout (zk), 0);

    //  Parents and the root itself come with the first create.
    ck_assert (!sq_zk_exists (zk, "/", false));
    ck_assert_int_eq (sq_zk_create (zk, "/topologies/wc", "{\"v\":1}", 7, false), 0);
    ck_assert (sq_zk_exists (zk, "/", false));
    ck_assert (sq_zk_exists (zk, "/topologies", false));
    s_assert_data (zk, "/topologies/wc", "{\"v\":1}");
    s_assert_data (zk, "/topologies", "");
    s_assert_data (zk, "/", "");

    //  Paths are relative to the root: a client without one sees the prefix.
    sq_zk_t *plain = s_connect (s_endpoint, NULL);
    s_assert_data (plain, "/t_basic/storm/topologies/wc", "{\"v\":1}");
    sq_zk_destroy (&plain);
    ck_assert_ptr_null (plain);
    sq_zk_destroy (&plain); //  NULL-safe

    ck_assert_int_eq (sq_zk_create (zk, "/topologies/wc", "x", 1, false), SQ_ENODEEXISTS);
    ASSERT_ERROR ("/t_basic/storm/topologies/wc");
    ASSERT_ERROR ("exists");

    ck_assert_int_eq (sq_zk_set (zk, "/topologies/wc", "{\"v\":2}", 7), 0);
    s_assert_data (zk, "/topologies/wc", "{\"v\":2}");
    //  Set creates what is missing, parents included.
    ck_assert_int_eq (sq_zk_set (zk, "/assignments/deep/wc", "a", 1), 0);
    s_assert_data (zk, "/assignments/deep/wc", "a");
    //  Empty data, and binary data with a NUL inside.
    ck_assert_int_eq (sq_zk_set (zk, "/assignments/deep/wc", NULL, 0), 0);
    s_assert_data (zk, "/assignments/deep/wc", "");
    ck_assert_int_eq (sq_zk_set (zk, "/bytes", "a\0b", 3), 0);
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq (sq_zk_get (zk, "/bytes", &data, &len, false), 0);
    ck_assert_uint_eq (len, 3);
    ck_assert (memcmp (data, "a\0b", 4) == 0);
    free (data);

    //  Data larger than the first read buffer.
    size_t big_len = 300 * 1000;
    char *big = malloc (big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char) ('a' + i % 26);
    ck_assert_int_eq (sq_zk_set (zk, "/big", big, big_len), 0);
    ck_assert_int_eq (sq_zk_get (zk, "/big", &data, &len, false), 0);
    ck_assert_uint_eq (len, big_len);
    ck_assert (memcmp (data, big, big_len) == 0);
    ck_assert_int_eq (data[len], '\0');
    free (data);
    free (big);

    ck_assert_int_eq (sq_zk_delete (zk, "/", true), 0);
    sq_zk_destroy (&zk);
}
END_TEST

START_TEST (test_missing_and_invalid)
{
    sq_zk_t *zk = s_connect (s_endpoint, "/t_missing/");
    char *data = (char *) "untouched";
    size_t len = 99;
    ck_assert_int_eq (sq_zk_get (zk, "/assignments/nope", &data, &len, false), SQ_ENONODE);
    ck_assert_ptr_null (data);
    ck_assert_uint_eq (len, 0);
    ASSERT_ERROR ("get /t_missing/assignments/nope");
    ASSERT_ERROR ("no such node");

    zlist_t *children = (zlist_t *) &len;
    ck_assert_int_eq (sq_zk_children (zk, "/nope", &children, false), SQ_ENONODE);
    ck_assert_ptr_null (children);
    ck_assert_int_eq (sq_zk_delete (zk, "/nope", false), SQ_ENONODE);
    ck_assert_int_eq (sq_zk_delete (zk, "/nope", true), SQ_ENONODE);
    ck_assert (!sq_zk_exists (zk, "/nope", false));

    //  Malformed paths are errors, not crashes.
    const char *bad[] = {"", "relative", "/trailing/", "/double//slash"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq (sq_zk_get (zk, bad[i], &data, &len, false), -1);
        ASSERT_ERROR ("invalid path");
        ck_assert_int_eq (sq_zk_create (zk, bad[i], "x", 1, false), -1);
        ck_assert_int_eq (sq_zk_delete (zk, bad[i], true), -1);
    }
    //  Invalid names ZooKeeper itself rejects come back as errors too.
    ck_assert_int_eq (sq_zk_create (zk, "/a/.", "x", 1, false), -1);
    ASSERT_ERROR ("create /t_missing/a/.");
    ASSERT_ERROR ("bad arguments");
    sq_zk_destroy (&zk);

    ck_assert_ptr_null (sq_zk_new (s_endpoint, "no-slash", SESSION_MS, CONNECT_MS));
    ASSERT_ERROR ("must start with '/'");
    ck_assert_ptr_null (sq_zk_new (s_endpoint, "/storm", 0, CONNECT_MS));
    ASSERT_ERROR ("must be positive");
}
END_TEST

START_TEST (test_children_and_delete)
{
    sq_zk_t *zk = s_connect (s_endpoint, "/t_children");
    const char *names[] = {"sup-c", "sup-a", "sup-b"};
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf (path, sizeof path, "/supervisors/%s", names[i]);
        ck_assert_int_eq (sq_zk_create (zk, path, "{}", 2, false), 0);
    }
    ck_assert_int_eq (sq_zk_create (zk, "/supervisors/sup-a/deeper/still", NULL, 0, false), 0);

    zlist_t *children = NULL;
    ck_assert_int_eq (sq_zk_children (zk, "/supervisors", &children, false), 3);
    ck_assert_str_eq (zlist_first (children), "sup-a");
    ck_assert_str_eq (zlist_next (children), "sup-b");
    ck_assert_str_eq (zlist_next (children), "sup-c");
    zlist_destroy (&children);
    ck_assert_int_eq (sq_zk_children (zk, "/supervisors/sup-b", &children, false), 0);
    ck_assert_uint_eq (zlist_size (children), 0);
    zlist_destroy (&children);
    ck_assert_int_eq (sq_zk_children (zk, "/", &children, false), 1);
    ck_assert_str_eq (zlist_first (children), "supervisors");
    zlist_destroy (&children);

    //  A node with children stays unless the delete is recursive.
    ck_assert_int_eq (sq_zk_delete (zk, "/supervisors/sup-a", false), -1);
    ASSERT_ERROR ("delete /t_children/supervisors/sup-a");
    ASSERT_ERROR ("not empty");
    ck_assert_int_eq (sq_zk_delete (zk, "/supervisors/sup-b", false), 0);
    ck_assert_int_eq (sq_zk_delete (zk, "/supervisors/sup-a", true), 0);
    ck_assert_int_eq (sq_zk_children (zk, "/supervisors", &children, false), 1);
    ck_assert_str_eq (zlist_first (children), "sup-c");
    zlist_destroy (&children);

    //  The root itself goes with a recursive delete of "/".
    ck_assert_int_eq (sq_zk_delete (zk, "/", true), 0);
    ck_assert (!sq_zk_exists (zk, "/", false));
    sq_zk_destroy (&zk);
}
END_TEST

START_TEST (test_ephemeral_goes_with_session)
{
    sq_zk_t *supervisor = s_connect (s_endpoint, "/t_ephemeral");
    sq_zk_t *nimbus = s_connect (s_endpoint, "/t_ephemeral");
    ck_assert_int_eq (sq_zk_create (supervisor, "/supervisors/s1", "{\"slots\":[6700]}", 16, true),
                      0);
    //  Parents of an ephemeral node are persistent.
    ck_assert_int_eq (sq_zk_create (supervisor, "/supervisors/s1/child", "x", 1, false), -1);
    ASSERT_ERROR ("ephemeral");

    zlist_t *children = NULL;
    ck_assert_int_eq (sq_zk_children (nimbus, "/supervisors", &children, true), 1);
    zlist_destroy (&children);
    s_assert_data (nimbus, "/supervisors/s1", "{\"slots\":[6700]}");
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq (sq_zk_get (nimbus, "/supervisors/s1", &data, &len, true), 0);
    free (data);
    ck_assert (s_quiet (nimbus, 100));

    sq_zk_destroy (&supervisor); //  closing the session removes the node at once
    ck_assert (s_wait_event (nimbus, SQ_ZK_DELETED, "/supervisors/s1", EVENT_MS));
    ck_assert (s_wait_event (nimbus, SQ_ZK_CHILDREN, "/supervisors", EVENT_MS));
    ck_assert (!sq_zk_exists (nimbus, "/supervisors/s1", false));
    ck_assert (s_quiet (nimbus, 100)); //  the descriptor is drained with the queue
    ck_assert_int_eq (sq_zk_children (nimbus, "/supervisors", &children, false), 0);
    zlist_destroy (&children);

    ck_assert_int_eq (sq_zk_delete (nimbus, "/", true), 0);
    sq_zk_destroy (&nimbus);
}
END_TEST

START_TEST (test_data_watch)
{
    sq_zk_t *watcher = s_connect (s_endpoint, "/t_data");
    sq_zk_t *writer = s_connect (s_endpoint, "/t_data");
    ck_assert_int_eq (sq_zk_set (writer, "/assignments/wc", "1", 1), 0);

    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq (sq_zk_get (watcher, "/assignments/wc", &data, &len, true), 0);
    free (data);
    ck_assert_int_eq (sq_zk_set (writer, "/assignments/wc", "2", 1), 0);
    ck_assert (s_wait_event (watcher, SQ_ZK_CHANGED, "/assignments/wc", EVENT_MS));

    //  Watches fire once: without a new watch, the next change is silent.
    ck_assert_int_eq (sq_zk_set (writer, "/assignments/wc", "3", 1), 0);
    ck_assert (s_quiet (watcher, 300));
    ck_assert_int_eq (sq_zk_get (watcher, "/assignments/wc", &data, &len, true), 0);
    ck_assert_str_eq (data, "3");
    free (data);
    //  Several armings before one change still give one event.
    ck_assert_int_eq (sq_zk_get (watcher, "/assignments/wc", &data, &len, true), 0);
    free (data);
    ck_assert_int_eq (sq_zk_delete (writer, "/assignments/wc", false), 0);
    ck_assert (s_wait_event (watcher, SQ_ZK_DELETED, "/assignments/wc", EVENT_MS));
    ck_assert (s_quiet (watcher, 300));

    //  An exists watch on a missing node reports its creation.
    ck_assert (!sq_zk_exists (watcher, "/assignments/wc", true));
    ck_assert_int_eq (sq_zk_create (writer, "/assignments/wc", "4", 1, false), 0);
    ck_assert (s_wait_event (watcher, SQ_ZK_CREATED, "/assignments/wc", EVENT_MS));

    //  A watch on the root reports path "/".
    ck_assert_int_eq (sq_zk_get (watcher, "/", &data, &len, true), 0);
    free (data);
    ck_assert_int_eq (sq_zk_set (writer, "/", "root", 4), 0);
    ck_assert (s_wait_event (watcher, SQ_ZK_CHANGED, "/", EVENT_MS));

    //  Events queue up until taken, in order.
    ck_assert_int_eq (sq_zk_get (watcher, "/assignments/wc", &data, &len, true), 0);
    free (data);
    ck_assert (!sq_zk_exists (watcher, "/assignments/other", true));
    ck_assert_int_eq (sq_zk_set (writer, "/assignments/wc", "5", 1), 0);
    ck_assert_int_eq (sq_zk_set (writer, "/assignments/other", "6", 1), 0);
    ck_assert (sq_zk_exists (writer, "/assignments/other", false));
    long long deadline = s_now_ms () + EVENT_MS;
    while (sq_zk_event_count (watcher) < 2 && s_now_ms () < deadline)
        usleep (5000);
    ck_assert_uint_eq (sq_zk_event_count (watcher), 2);
    sq_zk_event_t event;
    ck_assert_int_eq (sq_zk_next_event (watcher, &event), 1);
    ck_assert_int_eq (event.type, SQ_ZK_CHANGED);
    ck_assert_str_eq (event.path, "/assignments/wc");
    ck_assert_int_eq (sq_zk_next_event (watcher, &event), 1);
    ck_assert_int_eq (event.type, SQ_ZK_CREATED);
    ck_assert_str_eq (event.path, "/assignments/other");
    ck_assert_str_eq (sq_zk_event_type_name (event.type), "created");
    ck_assert_int_eq (sq_zk_next_event (watcher, &event), 0);
    ck_assert (s_quiet (watcher, 50));

    ck_assert_int_eq (sq_zk_delete (writer, "/", true), 0);
    sq_zk_destroy (&writer);
    sq_zk_destroy (&watcher);
}
END_TEST

START_TEST (test_children_watch)
{
    sq_zk_t *supervisor = s_connect (s_endpoint, "/t_kids");
    sq_zk_t *nimbus = s_connect (s_endpoint, "/t_kids");
    ck_assert_int_eq (sq_zk_create (nimbus, "/assignments", NULL, 0, false), 0);

    zlist_t *children = NULL;
    ck_assert_int_eq (sq_zk_children (supervisor, "/assignments", &children, true), 0);
    zlist_destroy (&children);
    ck_assert_int_eq (sq_zk_create (nimbus, "/assignments/wc", "{}", 2, false), 0);
    ck_assert (s_wait_event (supervisor, SQ_ZK_CHILDREN, "/assignments", EVENT_MS));

    //  Re-arming is reading again; a data change of a child does not count.
    ck_assert_int_eq (sq_zk_children (supervisor, "/assignments", &children, true), 1);
    ck_assert_str_eq (zlist_first (children), "wc");
    zlist_destroy (&children);
    ck_assert_int_eq (sq_zk_set (nimbus, "/assignments/wc", "{\"v\":2}", 7), 0);
    ck_assert (s_quiet (supervisor, 300));
    ck_assert_int_eq (sq_zk_delete (nimbus, "/assignments/wc", false), 0);
    ck_assert (s_wait_event (supervisor, SQ_ZK_CHILDREN, "/assignments", EVENT_MS));

    ck_assert_int_eq (sq_zk_delete (nimbus, "/", true), 0);
    sq_zk_destroy (&supervisor);
    sq_zk_destroy (&nimbus);
}
END_TEST

START_TEST (test_connect_fails_in_time)
{
    //  A port nobody listens on: bind one, read its number, close it.
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ck_assert_int_eq (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    ck_assert_int_eq (getsockname (fd, (struct sockaddr *) &address, &size), 0);
    close (fd);
    char servers[64];
    snprintf (servers, sizeof servers, "127.0.0.1:%d", ntohs (address.sin_port));

    long long start = s_now_ms ();
    ck_assert_ptr_null (sq_zk_new (servers, "/storm", SESSION_MS, 1000));
    long long took = s_now_ms () - start;
    ck_assert_msg (took >= 900 && took < 3000, "failing took %lld ms", took);
    ASSERT_ERROR (servers);
    ASSERT_ERROR ("within 1000 ms");

    ck_assert_ptr_null (sq_zk_new ("no-such-host.invalid:2181", "/storm", SESSION_MS, 1000));
    ASSERT_ERROR ("no-such-host.invalid:2181");
    ASSERT_ERROR ("unknown host");
}
END_TEST

//  A supervisor in another process: registers an ephemeral node, and when
//  told its session expired, reconnects and registers again. Reports each
//  step as one byte on report_fd; exits when command_fd closes.
static void
s_supervisor_process (const char *root, int report_fd, int command_fd)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    alarm (60);
    sq_zk_t *zk = sq_zk_new (s_endpoint, root, 1000, CONNECT_MS);
    if (!zk || sq_zk_create (zk, "/supervisors/s1", "1", 1, true) != 0)
        _exit (1);
    char report = 'r';
    if (write (report_fd, &report, 1) != 1)
        _exit (1);
    struct pollfd items[2] = {{sq_zk_fd (zk), POLLIN, 0}, {command_fd, POLLIN, 0}};
    while (true) {
        if (poll (items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items[1].revents)
            break;
        sq_zk_event_t event;
        while (sq_zk_next_event (zk, &event) == 1) {
            if (event.type != SQ_ZK_SESSION_EXPIRED)
                continue;
            report = sq_zk_expired (zk) ? 'e' : '?';
            if (write (report_fd, &report, 1) != 1)
                _exit (1);
            report = sq_zk_reconnect (zk) == 0 && !sq_zk_expired (zk) &&
                             sq_zk_create (zk, "/supervisors/s1", "2", 1, true) == 0
                         ? 'c'
                         : 'f';
            if (write (report_fd, &report, 1) != 1)
                _exit (1);
        }
    }
    sq_zk_destroy (&zk);
    zsys_shutdown (); //  _exit skips czmq's atexit cleanup
    _exit (0);
}

//  One byte from fd within timeout_ms, or 0.
static char
s_read_report (int fd, int timeout_ms)
{
    struct pollfd item = {fd, POLLIN, 0};
    char report = 0;
    if (poll (&item, 1, timeout_ms) == 1 && read (fd, &report, 1) != 1)
        report = 0;
    return report;
}

START_TEST (test_session_expiry_and_reconnect)
{
    //  Freeze a client process longer than its session timeout: the server
    //  expires the session and deletes its ephemeral node; once thawed, the
    //  client hears SESSION_EXPIRED, reconnects and registers again. The
    //  fork comes first, before this process has ZooKeeper threads.
    int report[2], command[2];
    ck_assert_int_eq (pipe (report), 0);
    ck_assert_int_eq (pipe (command), 0);
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        close (report[0]);
        close (command[1]);
        s_supervisor_process ("/t_expiry", report[1], command[0]);
    }
    close (report[1]);
    close (command[0]);
    ck_assert_int_eq (s_read_report (report[0], 10000), 'r');

    sq_zk_t *nimbus = s_connect (s_endpoint, "/t_expiry");
    s_assert_data (nimbus, "/supervisors/s1", "1");
    ck_assert (sq_zk_exists (nimbus, "/supervisors/s1", true));
    ck_assert_int_eq (kill (pid, SIGSTOP), 0);
    ck_assert (s_wait_event (nimbus, SQ_ZK_DELETED, "/supervisors/s1", EVENT_MS));
    ck_assert_int_eq (kill (pid, SIGCONT), 0);
    ck_assert_int_eq (s_read_report (report[0], 10000), 'e');
    ck_assert_int_eq (s_read_report (report[0], 10000), 'c');
    s_assert_data (nimbus, "/supervisors/s1", "2");

    close (command[1]); //  the supervisor exits, its new session with it
    int status = -1;
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    close (report[0]);
    ck_assert_int_eq (sq_zk_delete (nimbus, "/", true), 0);
    sq_zk_destroy (&nimbus);
}
END_TEST

START_TEST (test_server_restart_keeps_session)
{
    //  A server of our own, to stop and start.
    zk_server_t *server = zk_server_new (NULL);
    ck_assert_ptr_nonnull (server);
    sq_zk_t *zk = sq_zk_new (zk_server_endpoint (server), "/storm", SESSION_MS, 1500);
    ck_assert_msg (zk != NULL, "cannot connect: %s", sq_last_error ());
    int64_t session = sq_zk_session_id (zk);
    ck_assert_int_eq (sq_zk_create (zk, "/supervisors/s1", "x", 1, true), 0);
    ck_assert_int_eq (sq_zk_set (zk, "/topologies/wc", "t", 1), 0);

    ck_assert_int_eq (zk_server_stop (server), 0);
    ck_assert (!zk_server_running (server));
    ck_assert (s_wait_event (zk, SQ_ZK_DISCONNECTED, "", EVENT_MS));
    ck_assert (!sq_zk_connected (zk));
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq (sq_zk_get (zk, "/topologies/wc", &data, &len, false), -1);
    ASSERT_ERROR ("get /storm/topologies/wc failed");

    //  Back within the session timeout: same session, nodes and all.
    ck_assert_int_eq (zk_server_start (server), 0);
    ck_assert (zk_server_running (server));
    ck_assert (s_wait_event (zk, SQ_ZK_CONNECTED, "", SESSION_MS + EVENT_MS));
    ck_assert (sq_zk_connected (zk));
    ck_assert (!sq_zk_expired (zk));
    ck_assert (sq_zk_session_id (zk) == session);
    s_assert_data (zk, "/supervisors/s1", "x");
    s_assert_data (zk, "/topologies/wc", "t");

    //  sq_zk_reconnect also works on a live session: a new one replaces it.
    ck_assert_int_eq (sq_zk_reconnect (zk), 0);
    ck_assert (sq_zk_session_id (zk) != session);
    ck_assert (!sq_zk_exists (zk, "/supervisors/s1", false));

    //  A reconnect that fails leaves no session until one succeeds.
    ck_assert_int_eq (zk_server_stop (server), 0);
    ck_assert_int_eq (sq_zk_reconnect (zk), -1);
    ASSERT_ERROR ("within 1500 ms");
    ck_assert (sq_zk_expired (zk));
    ck_assert (!sq_zk_connected (zk));
    ck_assert (sq_zk_session_id (zk) == 0);
    ck_assert_int_eq (sq_zk_set (zk, "/topologies/wc", "u", 1), -1);
    ASSERT_ERROR ("reconnect");
    ck_assert_int_eq (zk_server_start (server), 0);
    ck_assert_int_eq (sq_zk_reconnect (zk), 0);
    ck_assert (!sq_zk_expired (zk));
    s_assert_data (zk, "/topologies/wc", "t");

    sq_zk_destroy (&zk);
    char *dir = strdup (zk_server_dir (server));
    zk_server_destroy (&server);
    ck_assert_ptr_null (server);
    ck_assert_int_eq (access (dir, F_OK), -1); //  its directory is gone
    free (dir);
}
END_TEST

//  A connection lost and regained within the session keeps its identity:
//  the client sends the credentials again by itself.
START_TEST (test_server_restart_keeps_auth)
{
    zk_server_t *server = zk_server_new (NULL);
    ck_assert_ptr_nonnull (server);
    sq_zk_t *zk =
        sq_zk_new_auth (zk_server_endpoint (server), "/storm", SESSION_MS, 1500, "squall:right");
    ck_assert_msg (zk != NULL, "cannot connect: %s", sq_last_error ());
    int64_t session = sq_zk_session_id (zk);
    ck_assert_int_eq (sq_zk_set (zk, "/topologies/wc", "t", 1), 0);
    ck_assert_int_eq (zk_server_stop (server), 0);
    ck_assert (s_wait_event (zk, SQ_ZK_DISCONNECTED, "", EVENT_MS));
    ck_assert_int_eq (zk_server_start (server), 0);
    ck_assert (s_wait_event (zk, SQ_ZK_CONNECTED, "", SESSION_MS + EVENT_MS));
    ck_assert (sq_zk_session_id (zk) == session);
    s_assert_data (zk, "/topologies/wc", "t");
    ck_assert_int_eq (sq_zk_create (zk, "/topologies/wc2", "u", 1, false), 0);
    sq_zk_t *anonymous = s_connect (zk_server_endpoint (server), "/storm");
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq (sq_zk_get (anonymous, "/topologies/wc2", &data, &len, false), -1);
    ASSERT_ERROR ("not authorized");
    sq_zk_destroy (&anonymous);
    sq_zk_destroy (&zk);
    zk_server_destroy (&server);
}
END_TEST

//  With credentials every node is private to that identity, also after
//  a new session; sq_zk_protect takes over what was open.
START_TEST (test_digest_auth_and_protect)
{
    const char *root = "/test-auth";
    sq_zk_t *owner = sq_zk_new_auth (s_endpoint, root, SESSION_MS, CONNECT_MS, "squall:right");
    ck_assert_msg (owner != NULL, "cannot connect: %s", sq_last_error ());
    sq_zk_t *anonymous = s_connect (s_endpoint, root);
    sq_zk_t *guesser = sq_zk_new_auth (s_endpoint, root, SESSION_MS, CONNECT_MS, "squall:wrong");
    ck_assert_ptr_nonnull (guesser);

    ck_assert_int_eq (sq_zk_create (owner, "/a/b", "data", 4, false), 0);
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq (sq_zk_get (owner, "/a/b", &data, &len, false), 0);
    ck_assert_str_eq (data, "data");
    free (data);
    //  The root and the parent made on the way are private too.
    const char *paths[] = {"/", "/a", "/a/b"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq (sq_zk_get (anonymous, paths[i], &data, &len, false), -1);
        ASSERT_ERROR ("not authorized");
        ASSERT_ERROR ("unauthenticated clients");
        ck_assert_int_eq (sq_zk_get (guesser, paths[i], &data, &len, false), -1);
        ASSERT_ERROR ("this client's digest identity");
    }
    ck_assert_int_eq (sq_zk_set (anonymous, "/a/b", "forged", 6), -1);
    ck_assert_int_eq (sq_zk_create (guesser, "/a/c", NULL, 0, false), -1);
    ck_assert_int_eq (sq_zk_delete (anonymous, "/a", true), -1);

    //  A new session authenticates again before any call: creating needs
    //  an authenticated identity, reading needs this one.
    ck_assert_int_eq (sq_zk_reconnect (owner), 0);
    ck_assert_int_eq (sq_zk_create (owner, "/a/d", NULL, 0, true), 0);
    ck_assert_int_eq (sq_zk_get (owner, "/a/b", &data, &len, false), 0);
    free (data);
    ck_assert_int_eq (sq_zk_get (anonymous, "/a/d", &data, &len, false), -1);

    //  Protect: nothing open yet, then an open node made by a client
    //  without credentials where it may (its own root) is taken over.
    ck_assert_int_eq (sq_zk_protect (owner), 0);
    ck_assert_int_eq (sq_zk_protect (anonymous), 0); //  no credentials: nothing to do
    sq_zk_t *open_owner = sq_zk_new (s_endpoint, "/test-auth-open", SESSION_MS, CONNECT_MS);
    ck_assert_ptr_nonnull (open_owner);
    ck_assert_int_eq (sq_zk_create (open_owner, "/x/y", NULL, 0, false), 0);
    sq_zk_t *taker =
        sq_zk_new_auth (s_endpoint, "/test-auth-open", SESSION_MS, CONNECT_MS, "squall:right");
    ck_assert_ptr_nonnull (taker);
    ck_assert_int_eq (sq_zk_protect (taker), 3); //  the root, /x and /x/y
    ck_assert_int_eq (sq_zk_protect (taker), 0); //  all private now
    ck_assert_int_eq (sq_zk_get (open_owner, "/x/y", &data, &len, false), -1);
    ASSERT_ERROR ("not authorized");
    //  With credentials, the root must be a node of Squall's own.
    sq_zk_t *whole = sq_zk_new_auth (s_endpoint, "/", SESSION_MS, CONNECT_MS, "squall:right");
    ck_assert_ptr_nonnull (whole);
    ck_assert_int_eq (sq_zk_protect (whole), -1);
    ASSERT_ERROR ("not ZooKeeper's root /");

    sq_zk_destroy (&whole);
    sq_zk_destroy (&taker);
    sq_zk_destroy (&open_owner);
    sq_zk_destroy (&guesser);
    sq_zk_destroy (&anonymous);
    sq_zk_destroy (&owner);
}
END_TEST

int
main (void)
{
    const char *missing = zk_server_missing ();
    if (missing)
        return zk_server_skip ("test_zk", missing);
    zk_server_t *server = zk_server_new (NULL);
    if (!server)
        return 99; //  a hard error for the test driver
    s_endpoint = zk_server_endpoint (server);

    Suite *suite = suite_create ("zookeeper");
    TCase *tcase = tcase_create ("sq_zk");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_create_get_set);
    tcase_add_test (tcase, test_missing_and_invalid);
    tcase_add_test (tcase, test_children_and_delete);
    tcase_add_test (tcase, test_ephemeral_goes_with_session);
    tcase_add_test (tcase, test_data_watch);
    tcase_add_test (tcase, test_children_watch);
    tcase_add_test (tcase, test_connect_fails_in_time);
    tcase_add_test (tcase, test_session_expiry_and_reconnect);
    tcase_add_test (tcase, test_server_restart_keeps_session);
    tcase_add_test (tcase, test_digest_auth_and_protect);
    tcase_add_test (tcase, test_server_restart_keeps_auth);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    zk_server_destroy (&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
