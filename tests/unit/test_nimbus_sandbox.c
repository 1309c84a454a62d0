/*  test_nimbus_sandbox - the walls around a validation, and what the
    keeper answers for each way its prisoner ends

    Each test runs a prisoner function (not a package) through
    nimbus_sandbox_run in a forked keeper, as nimbus_validator does, and
    reads the keeper's answer. Run as root, the prisoner must be
    nimbus.validation.user (nobody); as another user, that user.
*/
#include "nimbus_sandbox.h"
#include "sq_config.h"
#include "sq_error.h"

#include <check.h>
#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

//  Prisoners: each writes an answer on fd or ends some other way.
static void
s_answer_ids (int fd, const char *path, void *arg)
{
    (void) path;
    (void) arg;
    char text[256];
    int group = kill (0, 0) == 0 ? 0 : errno;
    int itself = kill (getpid (), 0) == 0 ? 0 : errno;
    snprintf (text, sizeof text,
              "{\"uid\": %d, \"pid\": %d, \"ppid\": %d, \"group\": %d, \"itself\": %d}",
              (int) getuid (), (int) getpid (), (int) getppid (), group, itself);
    nimbus_sandbox_write (fd, text);
    _exit (0);
}

static void
s_write_outside (int fd, const char *path, void *arg)
{
    (void) path;
    FILE *file = fopen ((const char *) arg, "w");
    char text[256];
    snprintf (text, sizeof text, "{\"outside\": \"%s\", \"inside\": \"%s\"}",
              file ? "written" : strerror (errno),
              fopen ("inside", "w") ? "written" : strerror (errno));
    nimbus_sandbox_write (fd, text);
    _exit (0);
}

static void
s_crash (int fd, const char *path, void *arg)
{
    (void) fd;
    (void) path;
    (void) arg;
    //  A fault, not raise: process 1 of a PID namespace ignores a signal
    //  it sends itself. SIGILL, which AddressSanitizer leaves alone (it
    //  turns a SIGSEGV into exit status 1).
    __builtin_trap ();
}

static void
s_exit_silently (int fd, const char *path, void *arg)
{
    (void) fd;
    (void) path;
    (void) arg;
    _exit (3);
}

static void
s_spin (int fd, const char *path, void *arg)
{
    (void) fd;
    (void) path;
    (void) arg;
    volatile unsigned long counter = 0;
    while (true)
        counter++;
}

//  Run prisoner in sandbox; the keeper's answer, parsed (caller frees).
static json_t *
s_run (nimbus_sandbox_t *sandbox, nimbus_sandbox_fn *prisoner, void *arg)
{
    char *scratch = nimbus_sandbox_make_scratch (sandbox);
    ck_assert_msg (scratch, "%s", sq_last_error ());
    int fds[2];
    ck_assert (pipe (fds) == 0);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    ck_assert (pid >= 0);
    if (pid == 0) {
        close (fds[0]);
        nimbus_sandbox_run (sandbox, parent, scratch, fds[1], "/dev/null", prisoner, arg);
    }
    close (fds[1]);
    char text[4096];
    size_t size = 0;
    ssize_t got;
    while ((got = read (fds[0], text + size, sizeof text - 1 - size)) > 0)
        size += (size_t) got;
    text[size] = 0;
    close (fds[0]);
    int status;
    ck_assert (waitpid (pid, &status, 0) == pid);
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the keeper ended %d", status);
    nimbus_sandbox_remove_scratch (scratch);
    ck_assert_msg (access (scratch, F_OK) != 0, "%s is still there", scratch);
    zstr_free (&scratch);
    json_t *answer = json_loads (text, 0, NULL);
    ck_assert_msg (answer, "the keeper answered '%s'", text);
    return answer;
}

static nimbus_sandbox_t *
s_sandbox (const char *option)
{
    sq_config_t *config = sq_config_new ();
    if (option)
        ck_assert (sq_config_set_option (config, option) == 0);
    nimbus_sandbox_t *sandbox = nimbus_sandbox_new (config);
    sq_config_destroy (&config);
    ck_assert_msg (sandbox, "%s", sq_last_error ());
    return sandbox;
}

static const char *
s_error (json_t *answer)
{
    const char *error = json_string_value (json_object_get (answer, "error"));
    ck_assert_msg (error, "no error in %s", json_dumps (answer, 0));
    return error;
}

START_TEST (test_bad_config)
{
    sq_config_t *config = sq_config_new ();
    ck_assert (sq_config_set_option (config, "nimbus.validation.cpu.secs=0") == -1);
    ck_assert_str_eq (sq_last_error (),
                      "config key 'nimbus.validation.cpu.secs' must be between 1 and 3600, got 0");
    sq_config_destroy (&config);
    if (geteuid () == 0) {
        config = sq_config_new ();
        ck_assert (sq_config_set_option (config, "nimbus.validation.user=no-such-user-x") == 0);
        ck_assert (!nimbus_sandbox_new (config));
        ck_assert_str_eq (sq_last_error (), "config key 'nimbus.validation.user': no user named "
                                            "'no-such-user-x' on this machine");
        sq_config_destroy (&config);
        config = sq_config_new ();
        ck_assert (sq_config_set_option (config, "nimbus.validation.user=root") == 0);
        ck_assert (!nimbus_sandbox_new (config));
        ck_assert (strstr (sq_last_error (), "must not run as root"));
        sq_config_destroy (&config);
    }
}
END_TEST

//  The prisoner's answer passes unchanged; it is its PID namespace's
//  first process (when the kernel allows one), runs as the validation
//  user, and may signal only itself (seccomp).
START_TEST (test_answer_and_identity)
{
    nimbus_sandbox_t *sandbox = s_sandbox (NULL);
    json_t *answer = s_run (sandbox, s_answer_ids, NULL);
    uid_t expected = geteuid () == 0 ? getpwnam ("nobody")->pw_uid : geteuid ();
    ck_assert_int_eq (json_integer_value (json_object_get (answer, "uid")), expected);
    if (strstr (nimbus_sandbox_summary (sandbox), " pid ")) {
        ck_assert_int_eq (json_integer_value (json_object_get (answer, "pid")), 1);
        ck_assert_int_eq (json_integer_value (json_object_get (answer, "ppid")), 0);
    }
    //  It may signal itself, not its process group (the keeper's).
    ck_assert_int_eq (json_integer_value (json_object_get (answer, "itself")), 0);
    if (strstr (nimbus_sandbox_summary (sandbox), "seccomp: signals to itself only"))
        ck_assert_int_eq (json_integer_value (json_object_get (answer, "group")), EPERM);
    json_decref (answer);
    nimbus_sandbox_destroy (&sandbox);
}
END_TEST

//  Writes succeed in the scratch directory only (Landlock), even where
//  the prisoner's user could write.
START_TEST (test_writes_stay_in_scratch)
{
    nimbus_sandbox_t *sandbox = s_sandbox (NULL);
    char dir[] = "/tmp/test_nimbus_sandbox-XXXXXX";
    ck_assert (mkdtemp (dir) && chmod (dir, 01777) == 0);
    char target[64];
    snprintf (target, sizeof target, "%s/outside", dir);
    json_t *answer = s_run (sandbox, s_write_outside, target);
    ck_assert_str_eq (json_string_value (json_object_get (answer, "inside")), "written");
    if (strstr (nimbus_sandbox_summary (sandbox), "Landlock: writes only to scratch"))
        ck_assert_str_eq (json_string_value (json_object_get (answer, "outside")),
                          "Permission denied");
    ck_assert ((access (target, F_OK) == 0) ==
               (strcmp (json_string_value (json_object_get (answer, "outside")), "written") == 0));
    unlink (target);
    rmdir (dir);
    json_decref (answer);
    nimbus_sandbox_destroy (&sandbox);
}
END_TEST

START_TEST (test_how_the_prisoner_ended)
{
    nimbus_sandbox_t *sandbox = s_sandbox ("nimbus.validation.cpu.secs=1");
    json_t *answer = s_run (sandbox, s_crash, NULL);
    ck_assert_str_eq (s_error (answer),
                      "the package crashed the validation process (signal 4: Illegal instruction)");
    json_decref (answer);
    answer = s_run (sandbox, s_exit_silently, NULL);
    ck_assert_str_eq (s_error (answer),
                      "the package ended the validation process (exit status 3) without an answer");
    json_decref (answer);
    answer = s_run (sandbox, s_spin, NULL);
    ck_assert_str_eq (s_error (answer), "the package used up the 1 s of CPU time a validation may "
                                        "take (nimbus.validation.cpu.secs)");
    json_decref (answer);
    nimbus_sandbox_destroy (&sandbox);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_sandbox");
    TCase *tc = tcase_create ("config");
    tcase_add_test (tc, test_bad_config);
    suite_add_tcase (suite, tc);
    //  Tagged "kernel": valgrind (make memcheck) refuses the prisoner's
    //  RLIMIT_NOFILE and lacks Landlock, so it leaves these out.
    tc = tcase_create ("walls");
    tcase_set_tags (tc, "kernel");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_answer_and_identity);
    tcase_add_test (tc, test_writes_stay_in_scratch);
    tcase_add_test (tc, test_how_the_prisoner_ended);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
