/*  test_sandbox - package code cannot act as nimbus, nor run as root

    Real clusters (cluster_harness: ZooKeeper, the nimbus binary, the
    supervisor binary, real workers). Hostile packages (escape_topology.so)
    are submitted with the real storm-submit; each attack runs while nimbus
    validates the package:
      write     create a file outside the sandbox, in a directory anyone
                may write to (so only the sandbox can stop it)
      signal    SIGKILL its parent and nimbus (whose pid the test passes in
                the topology config: the environment is cleared)
      spin      burn CPU forever
      allocate  allocate without bound
      fork      fork until it cannot
    For each: nimbus lives on and still answers, the submit is refused with
    an error that says what happened, no file appeared, and no process of
    the package is left. Once with nimbus as root (the validation switches
    to nimbus.validation.user), once with nimbus as nobody (setpriv; the
    validation is isolated by namespaces and Landlock instead).

    test_worker_runs_as_submitter makes an account (useradd), submits a
    topology whose topology.submitter.user names it to a cluster whose
    supervisor has supervisor.run.worker.as.user, and reads the worker's
    uid in /proc; then one naming no account, which gets no worker and a
    clear error in the slot's worker.log. The account is removed at the
    end.

    Everything here needs root (to switch users): as another user the
    suite skips (77), which fails under CI=true (zk_server_skip).
*/
#include "cluster_harness.h"
#include "sq_sha256.h"
#include "test_processes.h"
#include "zk_server.h"

#include <check.h>
#include <czmq.h>
#include <jansson.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 30000               //  longest wait for something expected
#define ANSWER_MS 90000             //  longest wait for a refusal (beyond the 60 s timeout)
#define S_TEST_USER "sqsandboxtest" //  the account test_worker_runs_as_submitter makes

//  Limits small enough for the attacks to hit them fast.
#define S_LIMITS                                                                                   \
    "\"nimbus.validation.cpu.secs\": 2, \"nimbus.validation.memory.mb\": 64, "                     \
    "\"nimbus.validation.processes\": 16, \"nimbus.validation.timeout.secs\": 60"

static cluster_harness_t *s_cluster; //  the test's cluster

//  Processes whose comm is name (the fork attack's children).
static int
s_count_named (const char *name)
{
    int count = 0;
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    while (proc && (entry = readdir (proc))) {
        char path[300], comm[64] = "";
        snprintf (path, sizeof path, "/proc/%s/comm", entry->d_name);
        FILE *file = fopen (path, "r");
        if (file && fgets (comm, sizeof comm, file)) {
            comm[strcspn (comm, "\n")] = 0;
            count += strcmp (comm, name) == 0;
        }
        if (file)
            fclose (file);
    }
    if (proc)
        closedir (proc);
    return count;
}

//  Submit escape_topology.so as name with config (taken) straight to
//  nimbus, as storm-submit does but without its local check (which would
//  run the attack in the test): expect a refusal that contains expected;
//  Then nimbus must still run and answer list.
static void
s_attack (const char *name, const char *expected, json_t *config)
{
    char *path = cluster_harness_build_path ("tests/integration/.libs/escape_topology.so");
    ck_assert (path);
    FILE *file = fopen (path, "rb");
    ck_assert (file);
    static char package[1 << 20];
    size_t size = fread (package, 1, sizeof package, file);
    fclose (file);
    free (path);
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (package, size, checksum);
    json_t *request = json_pack ("{s:i, s:s, s:s, s:o, s:s}", "version", 1, "verb", "submit",
                                 "name", name, "config", config, "checksum", checksum);
    char *text = json_dumps (request, JSON_COMPACT);
    json_decref (request);
    zsock_t *dealer = zsock_new_dealer (NULL);
    ck_assert (dealer);
    ck_assert (
        zsock_connect (dealer, "tcp://127.0.0.1:%d", cluster_harness_nimbus_port (s_cluster)) == 0);
    zsock_set_rcvtimeo (dealer, ANSWER_MS);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, text);
    zmsg_addmem (msg, package, size);
    free (text);
    pid_t nimbus = cluster_harness_nimbus_pid (s_cluster);
    ck_assert (zmsg_send (&msg, dealer) == 0);
    char *answer = zstr_recv (dealer);
    zsock_destroy (&dealer);
    ck_assert_msg (answer, "attack %s: no answer within %d ms", name, ANSWER_MS);
    json_t *reply = json_loads (answer, 0, NULL);
    const char *error = json_string_value (json_object_get (reply, "error"));
    ck_assert_msg (json_is_false (json_object_get (reply, "ok")) && error &&
                       strstr (error, expected),
                   "attack %s: expected a refusal saying '%s', got %s", name, expected, answer);
    json_decref (reply);
    zstr_free (&answer);
    ck_assert_msg (test_processes_alive (nimbus), "attack %s killed nimbus", name);
    char *output = NULL;
    ck_assert_int_eq (cluster_harness_cli (s_cluster, &output, (const char *[]){"list", NULL}), 0);
    ck_assert_msg (!strstr (output, name), "attack %s is listed: %s", name, output);
    free (output);
}

//  The five attacks against the cluster's nimbus.
static void
s_attack_all (void)
{
    //  A directory anyone may write to, like /tmp: only the sandbox stops
    //  the write.
    char open_dir[4300], target[4400];
    snprintf (open_dir, sizeof open_dir, "%s/open", cluster_harness_dir (s_cluster));
    ck_assert (mkdir (open_dir, 0777) == 0 && chmod (open_dir, 01777) == 0);
    ck_assert (chmod (cluster_harness_dir (s_cluster), 0711) == 0);
    snprintf (target, sizeof target, "%s/escaped", open_dir);
    s_attack ("write", "refused to build its topology",
              json_pack ("{s:s, s:s}", "escape.attack", "write", "escape.path", target));
    ck_assert_msg (access (target, F_OK) != 0, "the package wrote %s", target);

    s_attack ("signal", "refused to build its topology",
              json_pack ("{s:s, s:i}", "escape.attack", "signal", "escape.nimbus.pid",
                         (int) cluster_harness_nimbus_pid (s_cluster)));

    //  Refused by the CPU limit (the 60 s timeout would say so).
    s_attack ("spin", "used up the 2 s of CPU time a validation may take",
              json_pack ("{s:s}", "escape.attack", "spin"));

    s_attack ("allocate", "ran out of the 64 MB of memory a validation may use",
              json_pack ("{s:s}", "escape.attack", "allocate"));

    s_attack ("fork", "refused to build its topology",
              json_pack ("{s:s}", "escape.attack", "fork"));
    //  The PID namespace ended with the validation: its children too,
    //  though each left the process group in a session of its own.
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (s_count_named ("escape.child") > 0 && test_processes_now_ms () < deadline)
        usleep (20000);
    ck_assert_int_eq (s_count_named ("escape.child"), 0);
}

//  True when the file dir/name (of the test's cluster) contains text.
static bool
s_file_says (const char *name, const char *text)
{
    char path[4400];
    snprintf (path, sizeof path, "%s/%s", cluster_harness_dir (s_cluster), name);
    FILE *file = fopen (path, "r");
    static char content[1 << 20];
    size_t size = file ? fread (content, 1, sizeof content - 1, file) : 0;
    content[size] = 0;
    if (file)
        fclose (file);
    return strstr (content, text) != NULL;
}

//  s_file_says, waiting up to WAIT_MS for the text to be written.
static bool
s_file_comes_to_say (const char *name, const char *text)
{
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (!s_file_says (name, text) && test_processes_now_ms () < deadline)
        usleep (20000);
    return s_file_says (name, text);
}

START_TEST (test_root_nimbus_survives_hostile_packages)
{
    cluster_harness_options_t options = {.nimbus_config = S_LIMITS};
    s_cluster = cluster_harness_new_with (1, 1, &options);
    ck_assert (s_cluster);
    //  Its supervisor is root without supervisor.run.worker.as.user.
    ck_assert (s_file_comes_to_say ("supervisor-0.log", "workers will run as root"));
    ck_assert (s_file_comes_to_say ("nimbus.log", "validation runs as nobody (uid 65534)"));
    s_attack_all ();
    cluster_harness_destroy (&s_cluster);
}
END_TEST

START_TEST (test_unprivileged_nimbus_survives_hostile_packages)
{
    cluster_harness_options_t options = {.nimbus_config = S_LIMITS, .nimbus_user = "nobody"};
    s_cluster = cluster_harness_new_with (1, 1, &options);
    ck_assert (s_cluster);
    ck_assert (
        s_file_comes_to_say ("nimbus.log", "validation runs as nimbus's own user (uid 65534)"));
    s_attack_all ();
    cluster_harness_destroy (&s_cluster);
}
END_TEST

//  ---------------------------------------------------------------------
//  Workers as their submitter

//  Real uid of pid, from /proc/PID/status, or -1.
static long
s_uid_of (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    long uid = -1;
    while (file && fgets (line, sizeof line, file))
        if (sscanf (line, "Uid: %ld", &uid) == 1)
            break;
    if (file)
        fclose (file);
    return uid;
}

static void
s_remove_user (void)
{
    if (getpwnam (S_TEST_USER))
        ck_assert (system ("userdel " S_TEST_USER " >/dev/null 2>&1") == 0);
}

//  Submit, as S_TEST_USER, a package directory whose resources/secret.txt
//  the resources topology's bolt reads and copies to a proof file, and
//  wait for that proof (written by uid) to match.
static void
s_expect_resources_read_as_user (uid_t uid)
{
    const char *dir = cluster_harness_dir (s_cluster);
    char *library = cluster_harness_build_path ("tests/integration/.libs/resources_topology.so");
    char *command =
        zsys_sprintf ("mkdir -p %s/pkg/resources %s/proof && chmod 777 %s/proof && "
                      "cp %s %s/pkg/ && echo 'secret of %d' > %s/pkg/resources/secret.txt",
                      dir, dir, dir, library, dir, (int) getpid (), dir);
    ck_assert_int_eq (system (command), 0);
    //  A worker that runs all the way (not just starts) reads nimbus's
    //  public certificate, which the harness keeps in a private directory.
    char *keys = zsys_sprintf ("%s/keys", dir);
    char *nimbus_cert = zsys_sprintf ("%s/keys/nimbus", dir);
    ck_assert_int_eq (chmod (keys, 0711), 0);
    ck_assert_int_eq (chmod (nimbus_cert, 0644), 0);
    zstr_free (&nimbus_cert);
    zstr_free (&keys);
    char *pkg = zsys_sprintf ("%s/pkg", dir);
    char *option = zsys_sprintf ("resources.proof.dir=%s/proof", dir);
    char *output = NULL;
    int status = cluster_harness_cli_as (s_cluster, S_TEST_USER, &output,
                                         (const char *[]){pkg, "resources", "-c", option, NULL});
    ck_assert_msg (status == 0, "submit: %s", output);
    free (output);
    char *expected = zsys_sprintf ("secret of %d\n", (int) getpid ());
    char *proof_dir = zsys_sprintf ("%s/proof", dir);
    bool found = false;
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (!found && test_processes_now_ms () < deadline) {
        DIR *listing = opendir (proof_dir);
        struct dirent *entry;
        while (listing && !found && (entry = readdir (listing))) {
            if (strncmp (entry->d_name, "proof-", 6) || strstr (entry->d_name, ".tmp"))
                continue;
            char *path = zsys_sprintf ("%s/%s", proof_dir, entry->d_name);
            FILE *file = fopen (path, "r");
            char line[256] = "";
            if (file && fgets (line, sizeof line, file)) {
                struct stat info;
                ck_assert_msg (strcmp (line, expected) == 0, "the worker read '%s'", line);
                ck_assert_int_eq (stat (path, &info), 0);
                ck_assert_int_eq (info.st_uid, uid);
                found = true;
            }
            if (file)
                fclose (file);
            zstr_free (&path);
        }
        if (listing)
            closedir (listing);
        if (!found)
            usleep (50000);
    }
    if (!found) {
        char *dump =
            zsys_sprintf ("tail -n 5 %s/supervisor-0-local/supervisor/workers/*/worker.log", dir);
        ck_assert_int_ge (system (dump), 0);
        zstr_free (&dump);
    }
    ck_assert_msg (found, "no proof that the worker read its package's resources");
    ck_assert_int_eq (
        cluster_harness_cli_as (s_cluster, S_TEST_USER, NULL,
                                (const char *[]){"kill", "resources", "-w", "0", NULL}),
        0);
    zstr_free (&proof_dir);
    zstr_free (&expected);
    zstr_free (&option);
    zstr_free (&pkg);
    zstr_free (&command);
    free (library);
}

START_TEST (test_worker_runs_as_submitter)
{
    s_remove_user ();
    ck_assert (system ("useradd --system --no-create-home " S_TEST_USER) == 0);
    struct passwd *account = getpwnam (S_TEST_USER);
    ck_assert (account);
    uid_t uid = account->pw_uid;
    //  Nimbus names the owner from the submitter's key (doc/security.md),
    //  so the cluster runs secured and the test submits as the account.
    cluster_harness_options_t options = {
        .secure = true, .supervisor_config = "\"supervisor.run.worker.as.user\": true"};
    s_cluster = cluster_harness_new_with (1, 2, &options);
    ck_assert (s_cluster);
    //  The worker reads its files under the supervisor's directory.
    ck_assert (chmod (cluster_harness_dir (s_cluster), 0711) == 0);

    char *package = cluster_harness_build_path ("topologies/.libs/wordcount.so");
    ck_assert (package);
    char *output = NULL;
    int status = cluster_harness_cli_as (s_cluster, S_TEST_USER, &output,
                                         (const char *[]){package, "mine", NULL});
    ck_assert_msg (status == 0, "submit: %s", output);
    free (output);
    long long deadline = test_processes_now_ms () + WAIT_MS;
    pid_t worker = -1;
    while (test_processes_now_ms () < deadline) {
        worker = cluster_harness_worker_pid (s_cluster, 0, 0);
        if (worker <= 0)
            worker = cluster_harness_worker_pid (s_cluster, 0, 1);
        if (worker > 0 && test_processes_alive (worker) && s_uid_of (worker) == (long) uid)
            break;
        usleep (50000);
    }
    ck_assert_msg (worker > 0, "no worker started");
    ck_assert_int_eq (s_uid_of (worker), (long) uid);
    ck_assert_int_eq (cluster_harness_cli_as (s_cluster, S_TEST_USER, NULL,
                                              (const char *[]){"kill", "mine", "-w", "0", NULL}),
                      0);

    //  A package directory with resources (doc/packages.md): the worker,
    //  as the account, reads them from its own unpacked copy.
    s_expect_resources_read_as_user (uid);

    //  A submitter with no account on this machine gets no worker, and
    //  the slot's worker.log says why.
    status = cluster_harness_cli_as (s_cluster, "no-such-user-x", &output,
                                     (const char *[]){package, "nobodys", NULL});
    ck_assert_msg (status == 0, "submit: %s", output);
    free (output);
    const char *expected = "topology.submitter.user 'no-such-user-x' is not a user of this machine";
    //  The slot the topology got says why in its worker.log.
    char logs[2][128];
    for (int slot = 0; slot < 2; slot++)
        snprintf (logs[slot], sizeof logs[slot],
                  "supervisor-0-local/supervisor/workers/%d/worker.log",
                  cluster_harness_slot_port (s_cluster, 0, slot));
    bool found = false;
    deadline = test_processes_now_ms () + WAIT_MS;
    while (!(found = s_file_says (logs[0], expected) || s_file_says (logs[1], expected)) &&
           test_processes_now_ms () < deadline)
        usleep (50000);
    ck_assert_msg (found, "no worker.log says '%s'", expected);
    ck_assert (s_file_says ("supervisor-0.log", expected));
    ck_assert (!s_file_says ("supervisor-0.log", "workers will run as root"));
    for (int slot = 0; slot < 2; slot++)
        ck_assert_int_le (cluster_harness_worker_pid (s_cluster, 0, slot), 0);
    free (package);
    cluster_harness_destroy (&s_cluster);
    s_remove_user ();
}
END_TEST

int
main (void)
{
    if (geteuid () != 0)
        return zk_server_skip ("test_sandbox", "the sandbox tests switch users: they need root");
#ifdef __SANITIZE_ADDRESS__
    //  In an AddressSanitizer build (nimbus and the package alike), the
    //  allocator that reaches the memory limit otherwise hangs in its own
    //  error report (seen: the prisoner waiting on a futex until the
    //  validation timeout); with this it returns NULL as malloc would.
    const char *asan = getenv ("ASAN_OPTIONS");
    char options[1024];
    snprintf (options, sizeof options, "%s%sallocator_may_return_null=1", asan ? asan : "",
              asan && *asan ? ":" : "");
    setenv ("ASAN_OPTIONS", options, 1);
#endif
    const char *dir = test_processes_suite_dir ("test_sandbox");
    //  Nimbus as nobody, and workers as the test's account, reach the
    //  clusters' directories inside.
    if (!dir || chmod (dir, 0711) != 0)
        return 99;
    Suite *suite = suite_create ("sandbox");
    TCase *tcase = tcase_create ("validation");
    tcase_set_timeout (tcase, 300);
    tcase_add_test (tcase, test_root_nimbus_survives_hostile_packages);
    tcase_add_test (tcase, test_unprivileged_nimbus_survives_hostile_packages);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("workers");
    tcase_set_timeout (tcase, 300);
    tcase_add_test (tcase, test_worker_runs_as_submitter);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    //  A failed test exits without removing its account.
    if (getpwnam (S_TEST_USER) && system ("userdel " S_TEST_USER " >/dev/null 2>&1") != 0)
        failed++;
    return failed ? 1 : 0;
}
