/*  test_storm_submit - storm-submit --local run as a process on real packages

    Each test runs the built storm-submit ($top_builddir/storm-submit) as a
    child process, its stdout and stderr in files of the suite's directory
    (test_processes_suite_dir), and checks what it printed, wrote and
    returned: the word count over a known input file, stopped by SIGTERM
    once its report shows the last count, and the error paths (no package,
    a file that is not one, a package that refuses to build, a topology
    that does not validate, bad arguments), each a clear message and a
    nonzero exit status. The failing packages come from
    tests/integration/bad_topology.c.
*/
#include "test_processes.h"

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 60000 //  longest a storm-submit run may take

static const char *s_dir; //  the suite's directory

//  $top_builddir/name (caller frees).
static char *
s_built (const char *name)
{
    const char *top = getenv ("top_builddir");
    char *path = NULL;
    ck_assert (asprintf (&path, "%s/%s", top ? top : ".", name) > 0);
    return path;
}

//  <suite dir>/<name> (caller frees).
static char *
s_file (const char *name)
{
    char *path = NULL;
    ck_assert (asprintf (&path, "%s/%s", s_dir, name) > 0);
    return path;
}

//  Whole contents of <suite dir>/<name> (caller frees); "" when missing.
static char *
s_contents (const char *name)
{
    char *path = s_file (name);
    FILE *file = fopen (path, "r");
    free (path);
    char *text = NULL;
    size_t size = 0;
    FILE *memory = open_memstream (&text, &size);
    ck_assert (memory);
    int byte;
    while (file && (byte = getc (file)) != EOF)
        putc (byte, memory);
    fclose (memory);
    if (file)
        fclose (file);
    return text;
}

//  Start storm-submit with args (NULL terminated) in the background, with
//  stdout in <tag>.out and stderr in <tag>.err of the suite's directory.
static pid_t
s_start (const char *tag, const char *const *args)
{
    char *binary = s_built ("storm-submit");
    char *argv[32] = {binary};
    int argc = 1;
    for (int i = 0; args[i] && argc < 31; i++)
        argv[argc++] = (char *) args[i];
    argv[argc] = NULL;
    char *out = s_file (tag), *out_path = NULL, *err_path = NULL;
    ck_assert (asprintf (&out_path, "%s.out", out) > 0 && asprintf (&err_path, "%s.err", out) > 0);
    pid_t pid = fork ();
    ck_assert (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen (out_path, "w", stdout) || !freopen (err_path, "w", stderr))
            _exit (126);
        execv (binary, argv);
        _exit (127);
    }
    free (out);
    free (out_path);
    free (err_path);
    free (binary);
    return pid;
}

//  Wait for pid to end, at most RUN_MS; its exit status, or 128 + the
//  signal that ended it.
static int
s_wait (pid_t pid)
{
    long long deadline = test_processes_now_ms () + RUN_MS;
    int status;
    pid_t done;
    while ((done = waitpid (pid, &status, WNOHANG)) == 0 && test_processes_now_ms () < deadline)
        usleep (20000);
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        ck_abort_msg ("storm-submit still ran after %d ms", RUN_MS);
    }
    ck_assert (done == pid);
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

//  Run storm-submit with args to its end; its exit status.
static int
s_run (const char *tag, const char *const *args)
{
    return s_wait (s_start (tag, args));
}

//  Expect storm-submit with args to exit with status and to write one line,
//  containing expected, to stderr.
static void
s_expect_failure (const char *tag, const char *const *args, int status, const char *expected)
{
    int got = s_run (tag, args);
    char *name = NULL;
    ck_assert (asprintf (&name, "%s.err", tag) > 0);
    char *err = s_contents (name);
    ck_assert_msg (got == status, "%s: exit status %d, expected %d; stderr: %s", tag, got, status,
                   err);
    ck_assert_msg (strstr (err, expected), "%s: stderr lacks '%s': %s", tag, expected, err);
    if (status == 1)
        ck_assert_msg (strncmp (err, "storm-submit: ", 14) == 0 &&
                           strchr (err, '\n') == err + strlen (err) - 1,
                       "%s: not one storm-submit line: %s", tag, err);
    free (err);
    free (name);
}

//  True when the latest report in text shows word with count.
static bool
s_reported (const char *text, const char *word, long count)
{
    const char *report = strstr (text, "top words at "), *next;
    while (report && (next = strstr (report + 1, "top words at ")))
        report = next;
    if (!report)
        return false;
    char line_word[64];
    long line_count;
    const char *line = strchr (report, '\n');
    while (line && sscanf (line + 1, " %63s %ld", line_word, &line_count) == 2) {
        if (strcmp (line_word, word) == 0)
            return line_count == count;
        line = strchr (line + 1, '\n');
    }
    return false;
}

//  ---------------------------------------------------------------------
//  Tests

//  The word count over a file of three lines: runs until SIGTERM, which
//  the test sends once the report bolt shows the last count; then the
//  count tasks' final counts are in wordcount.output and the summary
//  counts the three lines and no failure.
START_TEST (test_wordcount)
{
    char *input = s_file ("wordcount.input"), *output = s_file ("wordcount.output");
    FILE *file = fopen (input, "w");
    ck_assert (file);
    fputs ("the cat sat\nthe dog sat\nthe end\n", file);
    fclose (file);
    char *input_option = NULL, *output_option = NULL;
    ck_assert (asprintf (&input_option, "wordcount.input=%s", input) > 0);
    ck_assert (asprintf (&output_option, "wordcount.output=%s", output) > 0);
    char *package = s_built ("topologies/.libs/wordcount.so");
    pid_t pid = s_start ("wordcount",
                         (const char *[]){"--local", package, "wc", "-c", input_option, "-c",
                                          output_option, "-c", "wordcount.report.secs=1", NULL});
    long long deadline = test_processes_now_ms () + RUN_MS;
    char *out = s_contents ("wordcount.out");
    while (!s_reported (out, "the", 3) && test_processes_now_ms () < deadline &&
           waitpid (pid, NULL, WNOHANG) == 0) {
        usleep (50000);
        free (out);
        out = s_contents ("wordcount.out");
    }
    ck_assert_msg (s_reported (out, "the", 3), "no report of the=3: %s", out);
    kill (pid, SIGTERM);
    ck_assert_int_eq (s_wait (pid), 0);
    free (out);
    out = s_contents ("wordcount.out");
    ck_assert_msg (strstr (out, "topology wc ran ") && strstr (out, "spout tuples 3,") &&
                       strstr (out, "failed 0, timed out 0"),
                   "summary: %s", out);

    //  Each word is counted by one count task, which appends it once.
    char *counts = s_contents ("wordcount.output");
    const char *expected[] = {"the\t3\n", "sat\t2\n", "cat\t1\n", "dog\t1\n", "end\t1\n"};
    size_t length = 0;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        ck_assert_msg (strstr (counts, expected[i]), "no '%s' in the counts: %s", expected[i],
                       counts);
        length += strlen (expected[i]);
    }
    ck_assert_msg (strlen (counts) == length, "other counts too: %s", counts);
    free (counts);
    free (out);
    free (package);
    free (input_option);
    free (output_option);
    free (input);
    free (output);
}
END_TEST

//  --duration stops the run by itself, with the summary and status 0.
START_TEST (test_duration)
{
    char *package = s_built ("topologies/.libs/wordcount.so");
    ck_assert_int_eq (s_run ("duration", (const char *[]){"--local", package, "timed", "--duration",
                                                          "0.5", "--wait", "1", NULL}),
                      0);
    char *out = s_contents ("duration.out");
    ck_assert_msg (strstr (out, "topology timed ran "), "summary: %s", out);
    free (out);
    free (package);
}
END_TEST

START_TEST (test_errors)
{
    char *missing = s_file ("no-such-package.so");
    s_expect_failure ("missing", (const char *[]){"--local", missing, "x", NULL}, 1, "not found");

    char *text = s_file ("text.so");
    FILE *file = fopen (text, "w");
    ck_assert (file);
    fputs ("not a shared object\n", file);
    fclose (file);
    s_expect_failure ("text", (const char *[]){"--local", text, "x", NULL}, 1,
                      "is not a loadable shared object");

    char *bad = s_built ("tests/integration/.libs/bad_topology.so");
    s_expect_failure ("refuses", (const char *[]){"--local", bad, "x", NULL}, 1,
                      "refused to build its topology");
    s_expect_failure ("invalid",
                      (const char *[]){"--local", bad, "bad", "-c", "bad.behaviour=invalid", NULL},
                      1, "topology 'bad' not started: ");
    char *err = s_contents ("invalid.err");
    ck_assert_msg (strstr (err, "no-such-spout"), "the error does not name the source: %s", err);
    free (err);

    //  Arguments: status 2 with the usage or the reason.
    s_expect_failure ("one-argument", (const char *[]){"--local", bad, NULL}, 2, "usage:");
    s_expect_failure ("duration-word",
                      (const char *[]){"--local", bad, "x", "--duration", "soon", NULL}, 2,
                      "--duration expects a number of seconds, got 'soon'");
    s_expect_failure ("option", (const char *[]){"--local", bad, "x", "-c", "novalue", NULL}, 2,
                      "-c expects key=value, got 'novalue'");
    free (missing);
    free (text);
    free (bad);
}
END_TEST

int
main (void)
{
    s_dir = test_processes_suite_dir ("test_storm_submit");
    if (!s_dir) {
        fprintf (stderr, "test_storm_submit: cannot make the suite's directory\n");
        return EXIT_FAILURE;
    }
    Suite *suite = suite_create ("storm_submit");
    TCase *tcase = tcase_create ("local");
    tcase_set_timeout (tcase, 120);
    tcase_add_test (tcase, test_wordcount);
    tcase_add_test (tcase, test_duration);
    tcase_add_test (tcase, test_errors);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
