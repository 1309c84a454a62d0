/*  test_log_file - sq_log_file: output sent to the file, rotation by size
    (explicit and by the watcher), how many old files stay, the paths
    under storm.log.dir, and a directory that cannot be made; and
    sq_slot_paths_replace_private, which writes the slot's other files.

    Each test runs in its own process (Check forks), so sending its stdout
    and stderr to a file touches no other test.
*/
#include "squall.h"
#include "sq_log_file.h"
#include "sq_slot_paths.h"

#include <check.h>
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[256]; //  this test's temporary directory

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/squall-test-log-XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (s_dir));
}

static void
s_teardown (void)
{
    char command[400];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    ck_assert_int_eq (system (command), 0);
}

//  Size of the file at path, -1 when it does not exist.
static long
s_size (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 ? (long) info.st_size : -1;
}

//  Whole content of path (at most 4 KiB) into buffer.
static const char *
s_read (const char *path, char *buffer, size_t size)
{
    buffer[0] = 0;
    FILE *file = fopen (path, "r");
    if (file) {
        size_t got = fread (buffer, 1, size - 1, file);
        buffer[got] = 0;
        fclose (file);
    }
    return buffer;
}

static sq_config_t *
s_config (void)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set_string (config, "storm.log.dir", s_dir), 0);
    return config;
}

START_TEST (test_output_goes_to_the_file)
{
    sq_config_t *config = s_config ();
    sq_log_file_t *log = NULL;
    ck_assert_int_eq (sq_log_file_start (config, "deep/nimbus.log", &log), 0);
    ck_assert_ptr_nonnull (log);
    printf ("to stdout\n");
    fprintf (stderr, "to stderr\n");
    fflush (stdout);
    char path[400], text[4096];
    snprintf (path, sizeof path, "%s/deep/nimbus.log", s_dir);
    s_read (path, text, sizeof text);
    ck_assert_msg (strstr (text, "to stdout\n") && strstr (text, "to stderr\n"), "log: %s", text);
    struct stat info;
    ck_assert_int_eq (stat (path, &info), 0);
    ck_assert_int_eq (info.st_mode & 0777, 0600);
    sq_log_file_destroy (&log);
    ck_assert_ptr_null (log);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_rotates_and_keeps_backups)
{
    sq_config_t *config = s_config ();
    char path[400], older[420], oldest[420], gone[420], text[4096];
    snprintf (path, sizeof path, "%s/worker.log", s_dir);
    snprintf (older, sizeof older, "%s.1", path);
    snprintf (oldest, sizeof oldest, "%s.2", path);
    snprintf (gone, sizeof gone, "%s.3", path);
    sq_log_file_t *log = sq_log_file_new (path, config);
    ck_assert_ptr_nonnull (log);
    sq_log_file_set_limits (log, 100, 2);
    ck_assert_int_eq (sq_log_file_check (log), 0); //  empty: nothing to do
    for (int round = 1; round <= 4; round++) {
        fprintf (stderr, "round %d %0100d\n", round, 0);
        ck_assert_int_eq (sq_log_file_check (log), 1);
        ck_assert_int_eq (s_size (path), 0);
    }
    //  Rounds 3 and 4 are kept, 1 and 2 were dropped.
    ck_assert_ptr_nonnull (strstr (s_read (older, text, sizeof text), "round 4 "));
    ck_assert_ptr_nonnull (strstr (s_read (oldest, text, sizeof text), "round 3 "));
    ck_assert_int_eq (s_size (gone), -1);
    fprintf (stderr, "after\n");
    ck_assert_str_eq (s_read (path, text, sizeof text), "after\n");
    sq_log_file_destroy (&log);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_watcher_rotates_on_its_own)
{
    sq_config_t *config = s_config ();
    ck_assert_int_eq (sq_config_set_int (config, "squall.log.max.mb", 1), 0);
    char path[400], older[420];
    snprintf (path, sizeof path, "%s/supervisor.log", s_dir);
    snprintf (older, sizeof older, "%s.1", path);
    sq_log_file_t *log = sq_log_file_new (path, config);
    ck_assert_ptr_nonnull (log);
    static char line[1024];
    memset (line, 'x', sizeof line - 2);
    line[sizeof line - 2] = '\n';
    for (int i = 0; i < 1100; i++)
        fputs (line, stderr);
    //  The watcher looks once a second.
    for (int waited = 0; waited < 100 && s_size (older) < 0; waited++)
        usleep (50000);
    ck_assert_int_ge (s_size (older), 1024 * 1024);
    ck_assert_int_lt (s_size (path), 1024 * 1024);
    sq_log_file_destroy (&log);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_paths)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_ptr_null (sq_log_file_path (config, "nimbus.log"));
    sq_log_file_t *log = (sq_log_file_t *) &log; //  must be cleared
    ck_assert_int_eq (sq_log_file_start (config, "nimbus.log", &log), 0);
    ck_assert_ptr_null (log);
    ck_assert_int_eq (sq_config_set_string (config, "storm.local.dir", "/var/lib/squall"), 0);
    char *path = sq_slot_paths_worker_log (config, 6700, "wc-1-17");
    ck_assert_str_eq (path, "/var/lib/squall/supervisor/workers/6700/worker.log");
    free (path);
    ck_assert_int_eq (sq_config_set_string (config, "storm.log.dir", "/var/log/squall"), 0);
    path = sq_slot_paths_worker_log (config, 6700, "wc-1-17");
    ck_assert_str_eq (path, "/var/log/squall/workers-artifacts/wc-1-17/6700/worker.log");
    free (path);
    //  An id that cannot be a file name keeps the slot's own log.
    path = sq_slot_paths_worker_log (config, 6700, "../../etc");
    ck_assert_str_eq (path, "/var/lib/squall/supervisor/workers/6700/worker.log");
    free (path);
    path = sq_log_file_path (config, "nimbus.log");
    ck_assert_str_eq (path, "/var/log/squall/nimbus.log");
    free (path);
    sq_config_destroy (&config);
}
END_TEST

//  A file replaced whole, private, with no temporary left; a directory
//  that is not there fails with errno set and leaves nothing.
START_TEST (test_replace_private)
{
    char path[400], temporary[420];
    snprintf (path, sizeof path, "%s/failure.json", s_dir);
    snprintf (temporary, sizeof temporary, "%s.tmp", path);
    ck_assert_int_eq (sq_slot_paths_replace_private (path, "first, and longer"), 0);
    ck_assert_int_eq (sq_slot_paths_replace_private (path, "second"), 0);
    char text[64] = "";
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (file);
    ck_assert_ptr_nonnull (fgets (text, sizeof text, file));
    fclose (file);
    ck_assert_str_eq (text, "second");
    struct stat info;
    ck_assert_int_eq (stat (path, &info), 0);
    ck_assert_int_eq (info.st_mode & 0777, 0600);
    ck_assert_int_ne (access (temporary, F_OK), 0);
    snprintf (path, sizeof path, "%s/missing/failure.json", s_dir);
    errno = 0;
    ck_assert_int_eq (sq_slot_paths_replace_private (path, "lost"), -1);
    ck_assert_int_eq (errno, ENOENT);
}
END_TEST

START_TEST (test_unwritable_directory_is_named)
{
    char blocker[400], path[440];
    snprintf (blocker, sizeof blocker, "%s/file", s_dir);
    FILE *file = fopen (blocker, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    snprintf (path, sizeof path, "%s/under/nimbus.log", blocker);
    sq_config_t *config = s_config ();
    ck_assert_ptr_null (sq_log_file_new (path, config));
    ck_assert_msg (strstr (sq_last_error (), blocker), "error: %s", sq_last_error ());
    sq_config_destroy (&config);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("log_file");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, test_output_goes_to_the_file);
    tcase_add_test (tc, test_rotates_and_keeps_backups);
    tcase_add_test (tc, test_watcher_rotates_on_its_own);
    tcase_add_test (tc, test_paths);
    tcase_add_test (tc, test_unwritable_directory_is_named);
    tcase_add_test (tc, test_replace_private);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
