/*  test_zk_acl - a cluster with ZooKeeper digest auth keeps its znodes
    and files to itself

    Each test starts a real cluster (cluster_harness with zk_auth: a random
    user:password in a 0600 file named by every daemon's config) and
    submits the word count. Then plain ZooKeeper C clients play the
    hostile local user: one without credentials and one with the right
    user and a wrong password may neither read, list, write, delete,
    re-ACL nor add children to any Squall znode, while one with the
    cluster's credentials may (so the refusals are not an accident of the
    test). The daemons' own sessions are made to expire (SIGSTOP past the
    session timeout) and must come back authenticated. Last, the files the
    daemons wrote are 0600 in 0700 directories.
*/
//  The C client declares its own zsock_t and zcert_t, which clash with
//  czmq's (see lib/sq_zk.c): rename them around its header.
#define THREADED
#define zsock_t test_zk_client_zsock_t
#define zcert_t test_zk_client_zcert_t
#include <zookeeper/zookeeper.h>
#undef zsock_t
#undef zcert_t

#include "cluster_harness.h"
#include "test_processes.h"
#include "zk_server.h"

#include <check.h>
#include <czmq.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Session timeout of the daemons: short, so that expiry tests are quick.
#define SESSION_MS 2000

static cluster_harness_t *s_cluster;

static void
s_setup (void)
{
    cluster_harness_options_t options = {.zk_auth = true, .zk_session_timeout_ms = SESSION_MS};
    s_cluster = cluster_harness_new_with (1, 2, &options);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
    ck_assert_ptr_nonnull (cluster_harness_zk_digest (s_cluster));
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

//  Run storm-submit with args (NULL terminated); assert it exits 0.
static void
s_cli_ok (const char *const *args)
{
    char *output = NULL;
    int status = cluster_harness_cli (s_cluster, &output, args);
    ck_assert_msg (status == 0, "storm-submit %s exited %d: %s", args[0], status, output);
    free (output);
}

//  Submit the word count as name over two workers.
static void
s_submit (const char *name)
{
    char *package = cluster_harness_build_path ("topologies/.libs/wordcount.so");
    ck_assert_ptr_nonnull (package);
    const char *args[] = {package, name, "-c", "topology.workers=2", NULL};
    s_cli_ok (args);
    free (package);
}

//  Wait up to seconds for the node at path (relative to /storm) to exist
//  (want true) or be gone, through the harness's authenticated session.
static bool
s_wait_node (const char *path, bool want, double seconds)
{
    long long deadline = test_processes_now_ms () + (long long) (seconds * 1000);
    while (test_processes_now_ms () < deadline) {
        char *data = NULL;
        size_t size = 0;
        int rc = sq_zk_get (cluster_harness_zk (s_cluster), path, &data, &size, false);
        free (data);
        if ((rc == 0) == want && (want || rc == SQ_ENONODE))
            return true;
        usleep (50000);
    }
    return false;
}

//  Wait up to seconds for the file at path to contain text.
static bool
s_wait_file_holds (const char *path, const char *text, double seconds)
{
    long long deadline = test_processes_now_ms () + (long long) (seconds * 1000);
    while (test_processes_now_ms () < deadline) {
        char *content = NULL;
        FILE *file = fopen (path, "r");
        if (file) {
            content = calloc (1, 1 << 20);
            size_t size = fread (content, 1, (1 << 20) - 1, file);
            content[size] = '\0';
            fclose (file);
        }
        bool found = content && strstr (content, text);
        free (content);
        if (found)
            return true;
        usleep (50000);
    }
    return false;
}

//  Wait up to seconds for the file at path to contain text n times.
static bool
s_wait_count (const char *path, const char *text, int n, double seconds)
{
    long long deadline = test_processes_now_ms () + (long long) (seconds * 1000);
    while (test_processes_now_ms () < deadline) {
        int count = 0;
        FILE *file = fopen (path, "r");
        char line[4096];
        while (file && fgets (line, sizeof line, file))
            count += strstr (line, text) != NULL;
        if (file)
            fclose (file);
        if (count >= n)
            return true;
        usleep (50000);
    }
    return false;
}

//  ---------------------------------------------------------------------
//  A plain ZooKeeper client, as a hostile user would write one

static void
s_quiet_watcher (zhandle_t *handle, int type, int state, const char *path, void *context)
{
    (void) handle, (void) type, (void) state, (void) path, (void) context;
}

static void
s_auth_done (int rc, const void *data)
{
    *(int *) data = rc;
}

//  A connected session on the cluster's ZooKeeper, with digest credentials
//  "user:password" when digest is not NULL.
static zhandle_t *
s_client (const char *digest)
{
    zoo_set_debug_level (ZOO_LOG_LEVEL_ERROR);
    zhandle_t *handle = zookeeper_init (cluster_harness_zk_endpoint (s_cluster), s_quiet_watcher,
                                        10000, NULL, NULL, 0);
    ck_assert_ptr_nonnull (handle);
    long long deadline = test_processes_now_ms () + 10000;
    while (zoo_state (handle) != ZOO_CONNECTED_STATE && test_processes_now_ms () < deadline)
        usleep (10000);
    ck_assert_int_eq (zoo_state (handle), ZOO_CONNECTED_STATE);
    if (digest) {
        static int auth_rc;
        auth_rc = 1;
        ck_assert_int_eq (
            zoo_add_auth (handle, "digest", digest, (int) strlen (digest), s_auth_done, &auth_rc),
            ZOK);
        while (auth_rc == 1 && test_processes_now_ms () < deadline)
            usleep (10000);
        ck_assert_int_eq (auth_rc, ZOK);
    }
    return handle;
}

//  Asserts that handle may do nothing to the node at path: every call
//  fails with ZNOAUTH (not ZNONODE: the node is there), and leaves the
//  node as it was.
static void
s_assert_refused (zhandle_t *handle, const char *who, const char *path)
{
    char buffer[256];
    int len = sizeof buffer;
    struct Stat stat;
    struct String_vector children = {0, NULL};
    struct ACL_vector acl = {0, NULL};
    char child[512];
    snprintf (child, sizeof child, "%s/intruder", path);
    struct {
        const char *call; //  what was tried
        int rc;           //  what ZooKeeper said
    } tries[] = {
        {"get", zoo_get (handle, path, 0, buffer, &len, &stat)},
        {"get_children", zoo_get_children (handle, path, 0, &children)},
        {"get_acl", zoo_get_acl (handle, path, &acl, &stat)},
        {"set", zoo_set (handle, path, "{\"forged\": true}", 16, -1)},
        {"create child", zoo_create (handle, child, "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0)},
        {"set_acl", zoo_set_acl (handle, path, -1, &ZOO_OPEN_ACL_UNSAFE)},
    };
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        ck_assert_msg (tries[i].rc == ZNOAUTH, "%s: %s %s gave %d (%s), not ZNOAUTH", who,
                       tries[i].call, path, tries[i].rc, zerror (tries[i].rc));
    //  Deleting needs DELETE on the parent, the root's on the root.
    char parent[512];
    snprintf (parent, sizeof parent, "%s", path);
    *strrchr (parent, '/') = '\0';
    if (*parent) {
        int rc = zoo_delete (handle, path, -1);
        ck_assert_msg (rc == ZNOAUTH, "%s: delete %s gave %d (%s), not ZNOAUTH", who, path, rc,
                       zerror (rc));
    }
}

//  Asserts that handle (with the cluster's credentials) may read the node
//  at path, and that its ACL is only the cluster's digest identity.
static void
s_assert_private (zhandle_t *handle, const char *path)
{
    char buffer[16];
    int len = sizeof buffer;
    struct Stat stat;
    ck_assert_int_eq (zoo_get (handle, path, 0, buffer, &len, &stat), ZOK);
    struct ACL_vector acl = {0, NULL};
    ck_assert_int_eq (zoo_get_acl (handle, path, &acl, &stat), ZOK);
    ck_assert_msg (acl.count == 1, "%s has %d ACL entries", path, acl.count);
    ck_assert_str_eq (acl.data[0].id.scheme, "digest");
    ck_assert_msg (strncmp (acl.data[0].id.id, "squall:", 7) == 0, "%s: ACL id %s", path,
                   acl.data[0].id.id);
    ck_assert_int_eq (acl.data[0].perms, ZOO_PERM_ALL);
    deallocate_ACL_vector (&acl);
}

//  Every node Squall keeps for topology name and supervisor 0.
static void
s_squall_nodes (const char *name, char nodes[][256], size_t *count_p)
{
    const char *fixed[] = {"/storm", "/storm/topologies", "/storm/assignments",
                           "/storm/supervisors"};
    size_t count = 0;
    for (size_t i = 0; i < 4; i++)
        snprintf (nodes[count++], 256, "%s", fixed[i]);
    snprintf (nodes[count++], 256, "/storm/topologies/%s", name);
    snprintf (nodes[count++], 256, "/storm/assignments/%s", name);
    snprintf (nodes[count++], 256, "/storm/supervisors/%s",
              cluster_harness_supervisor_id (s_cluster, 0));
    *count_p = count;
}

//  ---------------------------------------------------------------------

START_TEST (test_strangers_can_do_nothing_to_squall_znodes)
{
    s_submit ("wc");
    ck_assert (s_wait_node ("/assignments/wc", true, 30));
    char nodes[8][256];
    size_t count = 0;
    s_squall_nodes ("wc", nodes, &count);

    zhandle_t *owner = s_client (cluster_harness_zk_digest (s_cluster));
    zhandle_t *anonymous = s_client (NULL);
    zhandle_t *guesser = s_client ("squall:not-the-password");
    for (size_t i = 0; i < count; i++) {
        s_assert_private (owner, nodes[i]);
        s_assert_refused (anonymous, "no credentials", nodes[i]);
        s_assert_refused (guesser, "wrong password", nodes[i]);
    }
    //  The record nobody could forge is still the one nimbus wrote, and
    //  nimbus still serves it.
    char data[65536];
    int len = sizeof data - 1;
    struct Stat stat;
    ck_assert_int_eq (zoo_get (owner, "/storm/topologies/wc", 0, data, &len, &stat), ZOK);
    data[len > 0 ? len : 0] = '\0';
    ck_assert_ptr_null (strstr (data, "forged"));
    ck_assert_int_eq (zoo_exists (owner, "/storm/topologies/wc/intruder", 0, NULL), ZNONODE);
    const char *list[] = {"list", NULL};
    s_cli_ok (list);
    zookeeper_close (owner);
    zookeeper_close (anonymous);
    zookeeper_close (guesser);
}
END_TEST

//  Nodes made while auth was off (open to anyone) are taken over when
//  nimbus starts with auth: here one made open and one opened up by a
//  client with the cluster's credentials, as an older Squall left them.
START_TEST (test_nimbus_takes_over_open_nodes)
{
    zhandle_t *owner = s_client (cluster_harness_zk_digest (s_cluster));
    zhandle_t *anonymous = s_client (NULL);
    ck_assert_int_eq (
        zoo_create (owner, "/storm/left-over", "{}", 2, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    ck_assert_int_eq (zoo_set_acl (owner, "/storm/supervisors", -1, &ZOO_OPEN_ACL_UNSAFE), ZOK);
    struct String_vector children = {0, NULL};
    ck_assert_int_eq (zoo_get_children (anonymous, "/storm/supervisors", 0, &children), ZOK);
    deallocate_String_vector (&children);

    cluster_harness_stop_nimbus (s_cluster, SIGTERM);
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    char log[4200];
    snprintf (log, sizeof log, "%s/nimbus.log", cluster_harness_dir (s_cluster));
    ck_assert (s_wait_file_holds (log, "2 ZooKeeper nodes had an ACL open to others", 30));
    s_assert_private (owner, "/storm/left-over");
    s_assert_private (owner, "/storm/supervisors");
    s_assert_refused (anonymous, "no credentials", "/storm/left-over");
    s_assert_refused (anonymous, "no credentials", "/storm/supervisors");

    //  A node nimbus may not re-ACL (anyone may read it, nobody may do
    //  more) keeps nimbus from starting, named in its log; once it is
    //  removed, nimbus starts.
    struct ACL read_only_entry = {ZOO_PERM_READ, {(char *) "world", (char *) "anyone"}};
    struct ACL_vector read_only = {1, &read_only_entry};
    ck_assert_int_eq (zoo_create (owner, "/storm/squatted", "x", 1, &read_only, 0, NULL, 0), ZOK);
    cluster_harness_stop_nimbus (s_cluster, SIGTERM);
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    ck_assert (
        s_wait_file_holds (log, "ZooKeeper protect /storm/squatted failed: not authorized", 30));
    pid_t nimbus = cluster_harness_nimbus_pid (s_cluster);
    long long deadline = test_processes_now_ms () + 30000;
    while (test_processes_alive (nimbus) && test_processes_now_ms () < deadline)
        usleep (50000);
    ck_assert_msg (!test_processes_alive (nimbus), "nimbus runs on a root it cannot protect");
    cluster_harness_stop_nimbus (s_cluster, SIGKILL); //  reaps it
    ck_assert_int_eq (zoo_delete (owner, "/storm/squatted", -1), ZOK);
    ck_assert_int_eq (cluster_harness_start_nimbus (s_cluster), 0);
    //  Started three times now: at setup, after the take-over, and here.
    ck_assert (s_wait_count (log, "cluster: connected to ZooKeeper", 3, 30));
    zookeeper_close (owner);
    zookeeper_close (anonymous);
}
END_TEST

START_TEST (test_daemons_authenticate_again_after_session_expiry)
{
    s_submit ("wc");
    ck_assert (s_wait_node ("/assignments/wc", true, 30));
    zhandle_t *owner = s_client (cluster_harness_zk_digest (s_cluster));
    zhandle_t *anonymous = s_client (NULL);

    //  A frozen supervisor loses its session and its node; thawed, it
    //  registers again on a new session, authenticated.
    char supervisor_node[256];
    snprintf (supervisor_node, sizeof supervisor_node, "/supervisors/%s",
              cluster_harness_supervisor_id (s_cluster, 0));
    pid_t supervisor = cluster_harness_supervisor_pid (s_cluster, 0);
    ck_assert_int_eq (kill (supervisor, SIGSTOP), 0);
    bool gone = s_wait_node (supervisor_node, false, 30);
    kill (supervisor, SIGCONT);
    ck_assert_msg (gone, "the frozen supervisor's node outlived its session");
    ck_assert_msg (s_wait_node (supervisor_node, true, 30), "the supervisor did not come back");
    char full[300];
    snprintf (full, sizeof full, "/storm%s", supervisor_node);
    s_assert_private (owner, full);
    s_assert_refused (anonymous, "no credentials", full);

    //  A frozen nimbus: the server expires its session (its log says so);
    //  thawed, nimbus opens a new one and must still write and delete.
    char nimbus_log[4200], zk_log[4200];
    snprintf (nimbus_log, sizeof nimbus_log, "%s/nimbus.log", cluster_harness_dir (s_cluster));
    snprintf (zk_log, sizeof zk_log, "%s/zookeeper.log", cluster_harness_zk_dir (s_cluster));
    pid_t nimbus = cluster_harness_nimbus_pid (s_cluster);
    char *session = NULL;
    {
        FILE *file = fopen (nimbus_log, "r");
        ck_assert_ptr_nonnull (file);
        char line[1024];
        while (!session && fgets (line, sizeof line, file)) {
            char *at = strstr (line, "connected to ZooKeeper session=0x");
            if (at) {
                at += strlen ("connected to ZooKeeper session=0x");
                session = strndup (at, strspn (at, "0123456789abcdef"));
            }
        }
        fclose (file);
    }
    ck_assert_ptr_nonnull (session);
    char expiring[128];
    snprintf (expiring, sizeof expiring, "Expiring session 0x%s", session);
    free (session);
    ck_assert_int_eq (kill (nimbus, SIGSTOP), 0);
    bool expired = s_wait_file_holds (zk_log, expiring, 30);
    kill (nimbus, SIGCONT);
    ck_assert_msg (expired, "ZooKeeper did not log '%s'", expiring);
    ck_assert (s_wait_file_holds (nimbus_log, "new ZooKeeper session=", 30));
    const char *kill_args[] = {"kill", "wc", "-w", "1", NULL};
    s_cli_ok (kill_args);
    ck_assert_msg (s_wait_node ("/assignments/wc", false, 30), "nimbus could not delete");
    s_submit ("wc2");
    ck_assert_msg (s_wait_node ("/assignments/wc2", true, 30), "nimbus could not assign");
    s_assert_private (owner, "/storm/assignments/wc2");
    s_assert_refused (anonymous, "no credentials", "/storm/topologies/wc2");
    zookeeper_close (owner);
    zookeeper_close (anonymous);
}
END_TEST

//  Checks every entry under dir: directories 0700, files 0600 at most;
//  counts the regular files in *files_p.
static void
s_assert_private_tree (const char *dir, int *files_p)
{
    struct stat info;
    ck_assert_int_eq (lstat (dir, &info), 0);
    ck_assert_msg ((info.st_mode & 077) == 0, "directory %s has mode %04o", dir,
                   (unsigned) (info.st_mode & 07777));
    DIR *handle = opendir (dir);
    ck_assert_ptr_nonnull (handle);
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        ck_assert_int_eq (lstat (path, &info), 0);
        if (S_ISDIR (info.st_mode))
            s_assert_private_tree (path, files_p);
        else {
            ck_assert_msg ((info.st_mode & 077) == 0, "file %s has mode %04o", path,
                           (unsigned) (info.st_mode & 07777));
            (*files_p)++;
        }
    }
    closedir (handle);
}

START_TEST (test_daemon_files_are_private)
{
    s_submit ("wc");
    ck_assert (s_wait_node ("/assignments/wc", true, 30));
    //  Wait for both workers to heartbeat: every kind of file exists then.
    const char *local = cluster_harness_local_dir (s_cluster, 0);
    char heartbeat[2][4300];
    for (int slot = 0; slot < 2; slot++) {
        snprintf (heartbeat[slot], sizeof heartbeat[slot], "%s/supervisor/workers/%d/heartbeat",
                  local, cluster_harness_slot_port (s_cluster, 0, slot));
        long long deadline = test_processes_now_ms () + 30000;
        while (access (heartbeat[slot], F_OK) != 0 && test_processes_now_ms () < deadline)
            usleep (50000);
        ck_assert_msg (access (heartbeat[slot], F_OK) == 0, "no %s", heartbeat[slot]);
    }
    int nimbus_files = 0, supervisor_files = 0;
    s_assert_private_tree (cluster_harness_local_dir (s_cluster, -1), &nimbus_files);
    s_assert_private_tree (local, &supervisor_files);
    ck_assert_int_ge (nimbus_files, 1); //  the package
    //  config.json, the package, and pid, slot, heartbeat, worker.log per worker.
    ck_assert_int_ge (supervisor_files, 2 + 2 * 4);
    const char *names[] = {"pid", "slot", "heartbeat", "worker.log"};
    for (size_t i = 0; i < 4; i++) {
        char path[4300];
        snprintf (path, sizeof path, "%s/supervisor/workers/%d/%s", local,
                  cluster_harness_slot_port (s_cluster, 0, 0), names[i]);
        ck_assert_msg (access (path, F_OK) == 0, "no %s", path);
    }
    char path[4300];
    snprintf (path, sizeof path, "%s/supervisor/config.json", local);
    ck_assert_msg (access (path, F_OK) == 0, "no %s", path);
    //  The harness's payload file, as quickstart writes it.
    snprintf (path, sizeof path, "%s/zk-auth", cluster_harness_dir (s_cluster));
    struct stat info;
    ck_assert_int_eq (stat (path, &info), 0);
    ck_assert_int_eq (info.st_mode & 0777, 0600);
}
END_TEST

int
main (void)
{
    const char *missing = zk_server_missing ();
    if (missing)
        return zk_server_skip ("test_zk_acl", missing);
    if (!test_processes_suite_dir ("test_zk_acl"))
        return 99;
    Suite *suite = suite_create ("zk_acl");
    TCase *tcase = tcase_create ("acl");
    tcase_set_timeout (tcase, 180);
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_strangers_can_do_nothing_to_squall_znodes);
    tcase_add_test (tcase, test_nimbus_takes_over_open_nodes);
    tcase_add_test (tcase, test_daemons_authenticate_again_after_session_expiry);
    tcase_add_test (tcase, test_daemon_files_are_private);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
