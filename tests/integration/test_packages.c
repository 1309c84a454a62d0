/*  test_packages - packages that carry resources, in a cluster and locally

    The package is a directory: resources_topology.so and
    resources/secret.txt holding a random line. Its proof bolt writes what
    it finds in resources/secret.txt to a proof file, so the test sees
    that the worker that ran it could read the package's resources.

    - cluster: a real ZooKeeper, nimbus and supervisor (cluster_harness);
      storm-submit packs the directory, nimbus validates the archive in
      its sandbox, the supervisor downloads and unpacks it into
      <id>.pkg, and the worker opens that. Killing the topology removes
      the unpacked directory. A hostile archive sent straight to nimbus
      (past storm-submit's own check) is refused with the entry named.
    - local: storm-submit --local on the directory and on its .tar.gz.
*/
#include "cluster_harness.h"
#include "sq_archive.h"
#include "sq_control.h"
#include "sq_error.h"
#include "sq_sha256.h"
#include "test_processes.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 60000 //  longest wait for a worker's proof, or a package to go
#define RUN_MS 60000  //  longest a storm-submit --local run may take

static cluster_harness_t *s_cluster; //  the cluster tests' cluster
static char s_secret[64];            //  this run's line in resources/secret.txt

//  A new string printf'd (caller frees).
static char *__attribute__ ((format (printf, 1, 2))) s_format (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    ck_assert_int_ge (vasprintf (&text, format, args), 0);
    va_end (args);
    return text;
}

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    ck_assert_int_eq (fclose (file), 0);
}

//  Contents of path (up to 4 KB; caller frees), or NULL when it is missing.
static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char *text = calloc (1, 4097);
    size_t got = fread (text, 1, 4096, file);
    text[got] = 0;
    fclose (file);
    return text;
}

//  Make <dir>/pkg: the resources topology and resources/secret.txt with
//  a fresh random line, and <dir>/proof for its proof files.
static void
s_make_package (const char *dir)
{
    snprintf (s_secret, sizeof s_secret, "secret %08lx%08lx\n", (unsigned long) random (),
              (unsigned long) getpid ());
    char *pkg = s_format ("%s/pkg", dir);
    char *resources = s_format ("%s/pkg/resources", dir);
    char *proof = s_format ("%s/proof", dir);
    ck_assert_int_eq (mkdir (pkg, 0755), 0);
    ck_assert_int_eq (mkdir (resources, 0755), 0);
    ck_assert_int_eq (mkdir (proof, 0777), 0);
    chmod (proof, 0777);
    char *library = cluster_harness_build_path ("tests/integration/.libs/resources_topology.so");
    char *copy = s_format ("%s/resources_topology.so", pkg);
    int in = open (library, O_RDONLY), out = open (copy, O_WRONLY | O_CREAT, 0755);
    ck_assert_msg (in >= 0, "%s not built", library);
    ck_assert_int_ge (out, 0);
    char buffer[65536];
    ssize_t got;
    while ((got = read (in, buffer, sizeof buffer)) > 0)
        ck_assert_int_eq (write (out, buffer, (size_t) got), got);
    close (in);
    close (out);
    char *secret = s_format ("%s/secret.txt", resources);
    s_write_file (secret, s_secret);
    free (secret);
    free (copy);
    free (library);
    free (proof);
    free (resources);
    free (pkg);
}

//  Wait until a proof file in proof_dir appears; its contents (caller
//  frees), or NULL at the deadline.
static char *
s_wait_proof (const char *proof_dir, int timeout_ms)
{
    long long deadline = test_processes_now_ms () + timeout_ms;
    do {
        DIR *dir = opendir (proof_dir);
        struct dirent *entry;
        char *found = NULL;
        while (dir && !found && (entry = readdir (dir)))
            if (strncmp (entry->d_name, "proof-", 6) == 0 && !strstr (entry->d_name, ".tmp")) {
                char *path = s_format ("%s/%s", proof_dir, entry->d_name);
                found = s_read_file (path);
                free (path);
            }
        if (dir)
            closedir (dir);
        if (found)
            return found;
        usleep (100 * 1000);
    } while (test_processes_now_ms () < deadline);
    return NULL;
}

//  Number of entries of dir whose names end with suffix.
static int
s_count_suffix (const char *path, const char *suffix)
{
    DIR *dir = opendir (path);
    int count = 0;
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        size_t length = strlen (entry->d_name), tail = strlen (suffix);
        count += length > tail && strcmp (entry->d_name + length - tail, suffix) == 0;
    }
    if (dir)
        closedir (dir);
    return count;
}

//  ---------------------------------------------------------------------
//  In a cluster

static void
s_setup (void)
{
    s_cluster = cluster_harness_new (1, 1);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
}

static void
s_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

//  Run storm-submit against the cluster, expecting exit status expected;
//  its output (caller frees).
static char *
s_cli (int expected, const char *const *args)
{
    char *output = NULL;
    int status = cluster_harness_cli (s_cluster, &output, args);
    ck_assert_msg (status == expected, "storm-submit %s exited %d, expected %d: %s", args[0],
                   status, expected, output);
    return output;
}

START_TEST (test_cluster_directory_package)
{
    const char *dir = cluster_harness_dir (s_cluster);
    s_make_package (dir);
    char *pkg = s_format ("%s/pkg", dir);
    char *proof_dir = s_format ("%s/proof", dir);
    char *option = s_format ("resources.proof.dir=%s", proof_dir);
    free (s_cli (0, (const char *[]){pkg, "resources", "-c", option, NULL}));

    //  The worker read resources/secret.txt from the unpacked package.
    char *proof = s_wait_proof (proof_dir, WAIT_MS);
    ck_assert_msg (proof != NULL, "no proof from the worker in %d ms", WAIT_MS);
    ck_assert_str_eq (proof, s_secret);
    free (proof);

    //  Unpacked once, beside the downloaded archive; killing the topology
    //  removes both.
    char *packages = s_format ("%s/supervisor/packages", cluster_harness_local_dir (s_cluster, 0));
    ck_assert_int_eq (s_count_suffix (packages, ".pkg"), 1);
    ck_assert_int_eq (s_count_suffix (packages, ".so"), 1);
    free (s_cli (0, (const char *[]){"kill", "resources", "-w", "0", NULL}));
    long long deadline = test_processes_now_ms () + WAIT_MS;
    while (s_count_suffix (packages, ".pkg") > 0 && test_processes_now_ms () < deadline)
        usleep (100 * 1000);
    ck_assert_int_eq (s_count_suffix (packages, ".pkg"), 0);
    free (packages);
    free (option);
    free (proof_dir);
    free (pkg);
}
END_TEST

//  Write a gzip'd tar at path holding a good package's top (a copy of
//  the resources topology) and one entry named bad_name.
static void
s_make_hostile (const char *path, const char *bad_name)
{
    struct archive *archive = archive_write_new ();
    ck_assert_int_eq (archive_write_add_filter_gzip (archive), ARCHIVE_OK);
    ck_assert_int_eq (archive_write_set_format_pax_restricted (archive), ARCHIVE_OK);
    ck_assert_int_eq (archive_write_open_filename (archive, path), ARCHIVE_OK);
    struct archive_entry *entry = archive_entry_new ();
    archive_entry_set_pathname (entry, bad_name);
    archive_entry_set_filetype (entry, AE_IFREG);
    archive_entry_set_perm (entry, 0644);
    archive_entry_set_size (entry, 4);
    ck_assert_int_eq (archive_write_header (archive, entry), ARCHIVE_OK);
    ck_assert_int_eq (archive_write_data (archive, "evil", 4), 4);
    archive_entry_free (entry);
    ck_assert_int_eq (archive_write_close (archive), ARCHIVE_OK);
    archive_write_free (archive);
}

START_TEST (test_cluster_refuses_hostile_archive)
{
    //  storm-submit checks the archive itself first.
    const char *dir = cluster_harness_dir (s_cluster);
    char *path = s_format ("%s/hostile.tgz", dir);
    s_make_hostile (path, "../../../escaped.txt");
    char *output = s_cli (1, (const char *[]){path, "hostile", NULL});
    ck_assert_msg (strstr (output, "'../../../escaped.txt'"), "%s", output);
    free (output);

    //  Sent straight to nimbus: its validation refuses it the same way.
    FILE *file = fopen (path, "rb");
    ck_assert_ptr_nonnull (file);
    char bytes[65536];
    size_t size = fread (bytes, 1, sizeof bytes, file);
    fclose (file);
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (bytes, size, checksum);
    sq_control_t *control = cluster_harness_control (s_cluster);
    ck_assert_ptr_nonnull (control);
    json_t *request = json_pack ("{s:s, s:s, s:{}, s:s}", "verb", "submit", "name", "hostile",
                                 "config", "checksum", checksum);
    json_t *reply = sq_control_request (control, request, bytes, size, 30000, NULL, NULL);
    json_decref (request);
    ck_assert_ptr_null (reply);
    ck_assert_msg (strstr (sq_last_error (), "'../../../escaped.txt'"), "%s", sq_last_error ());
    sq_control_destroy (&control);
    //  Nimbus serves on.
    ck_assert (test_processes_alive (cluster_harness_nimbus_pid (s_cluster)));
    free (s_cli (0, (const char *[]){"list", NULL}));
    free (path);
}
END_TEST

//  ---------------------------------------------------------------------
//  Local mode

//  Run storm-submit --local package for 3 s with the proof dir; 0 when it
//  exited 0 (its output in <dir>/<tag>.out).
static int
s_run_local (const char *dir, const char *tag, const char *package, const char *proof_dir)
{
    char *binary = cluster_harness_build_path ("storm-submit");
    char *option = s_format ("resources.proof.dir=%s", proof_dir);
    char *out = s_format ("%s/%s.out", dir, tag);
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        int fd = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2 (fd, 1);
        dup2 (fd, 2);
        execl (binary, binary, "--local", package, tag, "--duration", "3", "-c", option,
               (char *) NULL);
        _exit (127);
    }
    long long deadline = test_processes_now_ms () + RUN_MS;
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid (pid, &status, WNOHANG)) == 0 && test_processes_now_ms () < deadline)
        usleep (50 * 1000);
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
    }
    char *output = s_read_file (out);
    ck_assert_msg (done == pid && WIFEXITED (status) && WEXITSTATUS (status) == 0,
                   "storm-submit --local %s failed: %s", package, output ? output : "");
    free (output);
    free (out);
    free (option);
    free (binary);
    return 0;
}

//  The proof a finished run left in proof_dir (caller frees), the proof
//  files removed; fails the test when there is none.
static char *
s_take_proof (const char *proof_dir, const char *run)
{
    char *proof = s_wait_proof (proof_dir, 0);
    ck_assert_msg (proof != NULL, "no proof from the local run on the %s", run);
    DIR *listing = opendir (proof_dir);
    struct dirent *entry;
    while (listing && (entry = readdir (listing)))
        if (strncmp (entry->d_name, "proof-", 6) == 0) {
            char *path = s_format ("%s/%s", proof_dir, entry->d_name);
            unlink (path);
            free (path);
        }
    if (listing)
        closedir (listing);
    return proof;
}

START_TEST (test_local_directory_and_archive)
{
    const char *dir = test_processes_suite_dir ("test_packages");
    char *local = s_format ("%s/local", dir);
    ck_assert_int_eq (mkdir (local, 0700), 0);
    s_make_package (local);
    char *pkg = s_format ("%s/pkg", local);
    char *proof_dir = s_format ("%s/proof", local);

    s_run_local (local, "directory", pkg, proof_dir);
    char *proof = s_take_proof (proof_dir, "directory");
    ck_assert_str_eq (proof, s_secret);
    free (proof);

    //  The same as an archive: unpacked under $TMPDIR (the suite's
    //  directory) and removed at the end.
    char *archive = s_format ("%s/pkg.tgz", local);
    ck_assert_int_eq (sq_archive_pack (pkg, archive), 0);
    s_run_local (local, "archive", archive, proof_dir);
    proof = s_take_proof (proof_dir, "archive");
    ck_assert_str_eq (proof, s_secret);
    free (proof);
    DIR *listing = opendir (dir);
    struct dirent *entry;
    while ((entry = readdir (listing)))
        ck_assert_msg (strncmp (entry->d_name, "squall-package-", 15) != 0,
                       "unpacked package %s left behind", entry->d_name);
    closedir (listing);
    free (archive);
    free (proof_dir);
    free (pkg);
    free (local);
}
END_TEST

int
main (void)
{
    if (!test_processes_suite_dir ("test_packages"))
        return 99;
    srandom ((unsigned) getpid () ^ (unsigned) time (NULL));
    Suite *suite = suite_create ("packages");
    TCase *local = tcase_create ("local");
    tcase_set_timeout (local, 180);
    tcase_add_test (local, test_local_directory_and_archive);
    suite_add_tcase (suite, local);
    TCase *cluster = tcase_create ("cluster");
    tcase_set_timeout (cluster, 180);
    tcase_add_checked_fixture (cluster, s_setup, s_teardown);
    tcase_add_test (cluster, test_cluster_directory_package);
    tcase_add_test (cluster, test_cluster_refuses_hostile_archive);
    suite_add_tcase (suite, cluster);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
