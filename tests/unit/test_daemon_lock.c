/*  test_daemon_lock - sq_daemon_lock: one holder per directory and kind,
    the refusal naming the holder's pid, the pid file written and removed,
    a lock free again once released, and the pid text it reads.

    flock locks belong to open files, not processes: a second
    sq_daemon_lock_new in the same process conflicts as another daemon's
    would, so the tests need no second process.
*/
#include "sq_daemon_lock.h"
#include "squall.h"
#include "test_tempdir.h"

#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[256]; //  this test's temporary directory

static void
s_setup (void)
{
    test_tempdir_make (s_dir, sizeof s_dir, "squall-test-daemon-lock");
}

static void
s_teardown (void)
{
    test_tempdir_remove (s_dir);
}

//  True when the file at path holds exactly text (short texts only).
static bool
s_holds (const char *path, const char *text)
{
    char contents[64] = "";
    int fd = open (path, O_RDONLY);
    ssize_t size = fd >= 0 ? read (fd, contents, sizeof contents - 1) : -1;
    if (fd >= 0)
        close (fd);
    return size >= 0 && (size_t) size == strlen (text) &&
           memcmp (contents, text, strlen (text)) == 0;
}

START_TEST (test_second_holder_is_refused)
{
    char local[300], pid_file[300], lock_file[320], expected[1024], own[32];
    snprintf (local, sizeof local, "%s/local/deeper", s_dir);
    snprintf (pid_file, sizeof pid_file, "%s/nimbus.pid", s_dir);
    snprintf (lock_file, sizeof lock_file, "%s/nimbus.lock", local);
    snprintf (own, sizeof own, "%ld\n", (long) getpid ());

    //  The directory is made; the lock and pid files hold our pid.
    sq_daemon_lock_t *first = sq_daemon_lock_new (local, "nimbus", pid_file);
    ck_assert_msg (first, "%s", sq_last_error ());
    ck_assert (s_holds (pid_file, own));
    ck_assert (s_holds (lock_file, own));

    //  A second nimbus is refused, naming the directory and the holder.
    sq_daemon_lock_t *second = sq_daemon_lock_new (local, "nimbus", NULL);
    ck_assert_ptr_null (second);
    snprintf (expected, sizeof expected,
              "storm.local.dir '%s' is in use by another nimbus (pid %ld holds %s)", local,
              (long) getpid (), lock_file);
    ck_assert_str_eq (sq_last_error (), expected);
    //  ...and its refusal leaves the holder's pid file alone.
    ck_assert (s_holds (pid_file, own));

    //  Another kind of daemon has a lock of its own in the same directory.
    sq_daemon_lock_t *supervisor = sq_daemon_lock_new (local, "supervisor", NULL);
    ck_assert_msg (supervisor, "%s", sq_last_error ());
    sq_daemon_lock_destroy (&supervisor);

    //  Released: the pid file goes, the lock file stays, and is free.
    sq_daemon_lock_destroy (&first);
    ck_assert_ptr_null (first);
    ck_assert_int_eq (access (pid_file, F_OK), -1);
    ck_assert_int_eq (access (lock_file, F_OK), 0);
    second = sq_daemon_lock_new (local, "nimbus", NULL);
    ck_assert_msg (second, "%s", sq_last_error ());
    sq_daemon_lock_destroy (&second);
    sq_daemon_lock_destroy (&second);
}
END_TEST

START_TEST (test_pid_file_errors)
{
    char pid_file[300], local[300];
    snprintf (local, sizeof local, "%s/local", s_dir);
    //  A pid file in a directory that does not exist: no lock is kept.
    snprintf (pid_file, sizeof pid_file, "%s/missing/nimbus.pid", s_dir);
    ck_assert_ptr_null (sq_daemon_lock_new (local, "nimbus", pid_file));
    ck_assert_msg (strstr (sq_last_error (), "pid file '") && strstr (sq_last_error (), pid_file),
                   "%s", sq_last_error ());
    sq_daemon_lock_t *lock = sq_daemon_lock_new (local, "nimbus", NULL);
    ck_assert_msg (lock, "the failed start kept the lock: %s", sq_last_error ());
    sq_daemon_lock_destroy (&lock);

    //  A pid file that names another process by now is not removed.
    snprintf (pid_file, sizeof pid_file, "%s/shared.pid", s_dir);
    lock = sq_daemon_lock_new (local, "nimbus", pid_file);
    ck_assert_msg (lock, "%s", sq_last_error ());
    FILE *file = fopen (pid_file, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("1\n", file);
    fclose (file);
    sq_daemon_lock_destroy (&lock);
    ck_assert_int_eq (access (pid_file, F_OK), 0);

    //  A storm.local.dir that is a file cannot be made.
    char plain[300];
    snprintf (plain, sizeof plain, "%s/plain", s_dir);
    file = fopen (plain, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    ck_assert_ptr_null (sq_daemon_lock_new (plain, "nimbus", NULL));
    ck_assert_msg (strstr (sq_last_error (), "storm.local.dir '"), "%s", sq_last_error ());
}
END_TEST

START_TEST (test_parse_pid)
{
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("1234\n"), 1234);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("77"), 77);
    ck_assert_int_eq (sq_daemon_lock_parse_pid (""), -1);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("\n"), -1);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("0\n"), -1);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("-5\n"), -1);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("12 34\n"), -1);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("12x"), -1);
    ck_assert_int_eq (sq_daemon_lock_parse_pid ("99999999999999999999999999\n"), -1);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("daemon_lock");
    TCase *tcase = tcase_create ("core");
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_second_holder_is_refused);
    tcase_add_test (tcase, test_pid_file_errors);
    tcase_add_test (tcase, test_parse_pid);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
