/*  test_storm_submit - storm-submit --local run as a process on real packages

    Each test runs the built storm-submit ($top_builddir/storm-submit) as a
    child process, its stdout and stderr in files of the suite's directory
    (test_processes_suite_dir), and checks what it printed, wrote and
    returned: the word count over a known input file, stopped by SIGTERM
    once its report shows the last count, runs whose callbacks never
    return ended by --duration or a signal all the same, and the error paths (no package,
    a file that is not one, a package that refuses to build, a topology
    that does not validate, bad arguments), each a clear message and a
    nonzero exit status. The failing packages come from
    tests/integration/bad_topology.c. test_ui_port fetches the REST API a
    run serves with --ui-port (http_client) and checks it against the
    word count's known figures.
*/
#include "http_client.h"
#include "test_processes.h"

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 60000     //  longest a storm-submit run may take
#define REQUEST_MS 10000 //  longest an HTTP request may take

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

//  Write the word count's input, three lines (3 sentences, 8 words), to
//  <suite dir>/name; its path (caller frees).
static char *
s_write_input (const char *name)
{
    char *input = s_file (name);
    FILE *file = fopen (input, "w");
    ck_assert (file);
    fputs ("the cat sat\nthe dog sat\nthe end\n", file);
    fclose (file);
    return input;
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
    char *input = s_write_input ("wordcount.input"), *output = s_file ("wordcount.output");
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

#define STOP_MS 30000 //  longest a stuck run may take to end once told to

//  Wait until <suite dir>/name contains text, at most RUN_MS.
static void
s_wait_for_text (const char *name, const char *text)
{
    long long deadline = test_processes_now_ms () + RUN_MS;
    char *contents = s_contents (name);
    while (!strstr (contents, text) && test_processes_now_ms () < deadline) {
        free (contents);
        usleep (20000);
        contents = s_contents (name);
    }
    ck_assert_msg (strstr (contents, text), "%s lacks '%s' after %d ms: %s", name, text, RUN_MS,
                   contents);
    free (contents);
}

//  Expect the run tag (started earlier) to end within STOP_MS with status
//  1 and, as its last line on stderr, the report naming component and
//  task as not returning (from a callback: "" or "from open or prepare ")
//  within grace.
static void
s_expect_stuck (const char *tag, pid_t pid, const char *component, int task, const char *from,
                const char *grace)
{
    long long start = test_processes_now_ms ();
    int status = s_wait (pid);
    long long took = test_processes_now_ms () - start;
    char *name = NULL, *expected = NULL;
    ck_assert (asprintf (&name, "%s.err", tag) > 0);
    ck_assert (asprintf (&expected,
                         "component '%s' task %d did not return %swithin %s s of the stop; "
                         "exiting\n",
                         component, task, from, grace) > 0);
    char *err = s_contents (name);
    ck_assert_msg (status == 1, "%s: exit status %d, expected 1; stderr: %s", tag, status, err);
    ck_assert_msg (took < STOP_MS, "%s: took %lld ms to end", tag, took);
    size_t length = strlen (err), tail = strlen (expected);
    ck_assert_msg (length >= tail && strcmp (err + length - tail, expected) == 0,
                   "%s: stderr does not end with '%s': %s", tag, expected, err);
    free (err);
    free (expected);
    free (name);
}

//  A bolt whose execute never returns, and a spout whose next_tuple (or
//  open) never returns: --duration, SIGTERM and SIGINT still end the run,
//  within the grace period (supervisor.worker.shutdown.sleep.secs) of the
//  stop, naming what did not return, with status 1. A second SIGINT does
//  not wait for the grace period.
START_TEST (test_stuck_callbacks)
{
    char *bad = s_built ("tests/integration/.libs/bad_topology.so");
    const char *loop[] = {"-c", "bad.behaviour=loop-bolt"};
    const char *block[] = {"-c", "bad.behaviour=block-spout"};
    s_expect_stuck ("loop-duration",
                    s_start ("loop-duration", (const char *[]){"--local", bad, "loop", loop[0],
                                                               loop[1], "--duration", "2", NULL}),
                    "spin", 2, "", "3");

    //  The package says on stderr when its callback is stuck: a stop
    //  before that would find every callback returning.
    pid_t pid = s_start ("block-term",
                         (const char *[]){"--local", bad, "block", block[0], block[1], "-w", "0",
                                          "-c", "supervisor.worker.shutdown.sleep.secs=1", NULL});
    s_wait_for_text ("block-term.err", "next_tuple of 'block' blocks");
    ck_assert_int_eq (kill (pid, SIGTERM), 0);
    s_expect_stuck ("block-term", pid, "block", 1, "", "1");

    pid = s_start ("loop-int",
                   (const char *[]){"--local", bad, "loop", loop[0], loop[1], "-w", "0.5", NULL});
    s_wait_for_text ("loop-int.err", "execute of 'spin' loops");
    ck_assert_int_eq (kill (pid, SIGINT), 0);
    s_expect_stuck ("loop-int", pid, "spin", 2, "", "3");

    //  With a grace of 10 minutes, only the second SIGINT can end it in
    //  time: send one every 100 ms until it ends (two signals sent close
    //  together may arrive as one).
    pid = s_start ("loop-twice",
                   (const char *[]){"--local", bad, "loop", loop[0], loop[1], "-w", "0", "-c",
                                    "supervisor.worker.shutdown.sleep.secs=600", NULL});
    s_wait_for_text ("loop-twice.err", "execute of 'spin' loops");
    long long deadline = test_processes_now_ms () + STOP_MS;
    int status;
    pid_t done = 0;
    while (test_processes_now_ms () < deadline && (done = waitpid (pid, &status, WNOHANG)) == 0) {
        kill (pid, SIGINT);
        usleep (100000);
    }
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        ck_abort_msg ("a second SIGINT did not end the run within %d ms", STOP_MS);
    }
    ck_assert (WIFEXITED (status));
    ck_assert_int_eq (WEXITSTATUS (status), 128 + SIGINT);
    char *err = s_contents ("loop-twice.err");
    ck_assert_msg (strstr (err, "storm-submit: interrupted again: exiting now\n"), "stderr: %s",
                   err);
    free (err);

    //  A spout whose open never returns: the run has not begun, yet
    //  --duration and SIGTERM end it the same way.
    const char *open[] = {"-c", "bad.behaviour=block-open"};
    s_expect_stuck (
        "open-duration",
        s_start ("open-duration",
                 (const char *[]){"--local", bad, "opening", open[0], open[1], "--duration", "2",
                                  "-c", "supervisor.worker.shutdown.sleep.secs=1", NULL}),
        "opening", 1, "from open or prepare ", "1");
    pid = s_start ("open-term", (const char *[]){"--local", bad, "opening", open[0], open[1], "-c",
                                                 "supervisor.worker.shutdown.sleep.secs=1", NULL});
    s_wait_for_text ("open-term.err", "open of 'opening' blocks");
    ck_assert_int_eq (kill (pid, SIGTERM), 0);
    s_expect_stuck ("open-term", pid, "opening", 1, "from open or prepare ", "1");
    free (bad);
}
END_TEST

//  GET path from 127.0.0.1:port: the status, and the JSON body into
//  *json_p (NULL when there is none or it is not JSON; caller decrefs).
static int
s_get (int port, const char *path, json_t **json_p)
{
    char *answer;
    int status = http_client_request (port, "GET", path, NULL, REQUEST_MS, &answer);
    ck_assert (answer);
    const char *body = http_client_body (answer);
    *json_p = body ? json_loads (body, 0, NULL) : NULL;
    free (answer);
    return status;
}

//  The integer at key of object; fails the test when it is not one.
static json_int_t
s_int (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    ck_assert_msg (json_is_integer (value), "field '%s' is not an integer", key);
    return json_integer_value (value);
}

//  --ui-port: while the word count over three lines (3 sentences, 8
//  words) runs, its REST API answers with those counts under nimbus's
//  field names; unknown ids get 404, bad requests 400, POST actions 405,
//  and a busy port ends the run with status 1. The web UI's pages are
//  served from ui.dir as nimbus serves them.
//  What a word count run with --ui-port needs.
typedef struct {
    char *input;        //  the input file, three lines
    char *input_option; //  wordcount.input=<input>
    int port;           //  a free port
    char *port_text;    //  the port, as text
    char *package;      //  the word count package
    char *ui_dir;       //  ui.dir=<the source tree's nimbus/ui>
} ui_run_t;

//  Write <input_name> and pick a free port.
static ui_run_t
s_ui_run (const char *input_name)
{
    ui_run_t run = {.input = s_write_input (input_name),
                    .port = test_processes_free_port (),
                    .package = s_built ("topologies/.libs/wordcount.so")};
    ck_assert (asprintf (&run.input_option, "wordcount.input=%s", run.input) > 0);
    ck_assert (run.port > 0);
    ck_assert (asprintf (&run.port_text, "%d", run.port) > 0);
    const char *src = getenv ("top_srcdir");
    ck_assert (asprintf (&run.ui_dir, "ui.dir=%s/nimbus/ui", src ? src : ".") > 0);
    return run;
}

static void
s_ui_run_free (ui_run_t *run)
{
    free (run->input);
    free (run->input_option);
    free (run->port_text);
    free (run->package);
    free (run->ui_dir);
}

START_TEST (test_ui_port)
{
    ui_run_t run = s_ui_run ("ui.input");
    const char *input_option = run.input_option, *port_text = run.port_text;
    const char *package = run.package;
    int port = run.port;
    pid_t pid = s_start ("ui", (const char *[]){"--local", package, "wc-ui", "-c", input_option,
                                                "-c", run.ui_dir, "--ui-port", port_text, NULL});

    //  Poll the topology until every word reached the report bolt and the
    //  spout heard of every tree's end (the acks come after the executes).
    long long deadline = test_processes_now_ms () + RUN_MS;
    json_t *topology = NULL;
    while (test_processes_now_ms () < deadline && waitpid (pid, NULL, WNOHANG) == 0) {
        json_decref (topology);
        topology = NULL;
        if (s_get (port, "/api/v1/topology/wc-ui", &topology) == 200 && topology &&
            json_integer_value (json_object_get (
                http_client_entry (json_object_get (topology, "bolts"), "boltId", "report"),
                "executed")) == 8 &&
            json_integer_value (json_object_get (
                http_client_entry (json_object_get (topology, "spouts"), "spoutId", "sentences"),
                "acked")) == 3)
            break;
        usleep (50000);
    }
    char *text = topology ? json_dumps (topology, JSON_COMPACT) : NULL;
    json_t *spout =
        http_client_entry (json_object_get (topology, "spouts"), "spoutId", "sentences");
    json_t *bolts = json_object_get (topology, "bolts");
    ck_assert_msg (spout && json_array_size (bolts) == 3, "spouts and bolts: %s", text);
    ck_assert_int_eq (s_int (spout, "emitted"), 3);
    ck_assert_int_eq (s_int (spout, "acked"), 3);
    ck_assert_int_eq (s_int (spout, "failed"), 0);
    json_t *split = http_client_entry (bolts, "boltId", "split");
    json_t *count = http_client_entry (bolts, "boltId", "count");
    ck_assert_msg (split && count, "bolts: %s", text);
    ck_assert_int_eq (s_int (split, "executed"), 3);
    ck_assert_int_eq (s_int (split, "emitted"), 8);
    ck_assert_int_eq (s_int (split, "executors"), 2);
    ck_assert_int_eq (s_int (count, "executed"), 8);
    json_t *stats = json_array_get (json_object_get (topology, "topologyStats"), 0);
    ck_assert_msg (stats, "no topologyStats: %s", text);
    ck_assert_int_eq (s_int (stats, "acked"), 3);
    ck_assert_int_eq (s_int (stats, "failed"), 0);
    ck_assert_str_eq (json_string_value (json_object_get (topology, "window")), ":all-time");
    json_int_t executors = s_int (topology, "executorsTotal");
    free (text);
    json_decref (topology);

    json_t *answer;
    ck_assert_int_eq (s_get (port, "/api/v1/cluster/summary", &answer), 200);
    ck_assert (answer);
    ck_assert_int_eq (s_int (answer, "topologies"), 1);
    ck_assert_int_eq (s_int (answer, "executorsTotal"), executors);
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/topology/summary", &answer), 200);
    json_t *summary = json_array_get (json_object_get (answer, "topologies"), 0);
    ck_assert_msg (summary && json_array_size (json_object_get (answer, "topologies")) == 1,
                   "topology summary");
    ck_assert_str_eq (json_string_value (json_object_get (summary, "id")), "wc-ui");
    ck_assert_str_eq (json_string_value (json_object_get (summary, "status")), "ACTIVE");
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/topology/wc-ui/component/split", &answer), 200);
    ck_assert_str_eq (json_string_value (json_object_get (answer, "componentType")), "bolt");
    json_t *window = json_array_get (json_object_get (answer, "boltStats"), 0);
    ck_assert_msg (window, "no boltStats");
    ck_assert_int_eq (s_int (window, "executed"), 3);
    ck_assert_int_eq (s_int (window, "emitted"), 8);
    json_t *output =
        http_client_entry (json_object_get (answer, "outputStats"), "stream", "default");
    json_t *from_spout =
        http_client_entry (json_object_get (answer, "inputStats"), "component", "sentences");
    ck_assert_msg (output && from_spout, "no default outputStats or sentences inputStats");
    ck_assert_int_eq (s_int (output, "emitted"), 8);
    ck_assert_int_eq (s_int (from_spout, "executed"), 3);
    ck_assert_msg (json_is_array (json_object_get (answer, "componentErrors")),
                   "no componentErrors");
    json_decref (answer);

    //  The history: a point 10 s into the run, over the run so far (its
    //  3 trees, all acked before the point).
    json_t *points = NULL;
    deadline = test_processes_now_ms () + 25000;
    while (test_processes_now_ms () < deadline) {
        ck_assert_int_eq (s_get (port, "/api/v1/topology/wc-ui/history", &answer), 200);
        points = json_object_get (answer, "points");
        if (json_array_size (points) > 0)
            break;
        json_decref (answer);
        usleep (200 * 1000);
    }
    ck_assert_msg (json_array_size (points) > 0, "no history point in 25 s");
    ck_assert_int_eq (s_int (answer, "intervalSecs"), 10);
    json_t *point = json_array_get (points, 0);
    double acked = json_real_value (json_object_get (point, "acked"));
    ck_assert_msg (acked > 0 && acked <= 3, "acked %f trees/s in the first point", acked);
    json_decref (answer);

    //  Refusals: JSON errors, the run goes on.
    ck_assert_int_eq (s_get (port, "/api/v1/topology/other/history", &answer), 404);
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/topology/other", &answer), 404);
    ck_assert_msg (json_object_get (answer, "errorMessage"), "404 without errorMessage");
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/topology/wc-ui/component/nope", &answer), 404);
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/nimbus/summary", &answer), 404);
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/topology/wc-ui/../x", &answer), 400);
    json_decref (answer);
    const char garbage[] = "\x01\x02 not http at all\r\n\r\n";
    ck_assert_int_eq (http_client_raw (port, garbage, sizeof garbage - 1, REQUEST_MS, NULL), 400);
    char *reply;
    ck_assert_int_eq (http_client_request (port, "POST", "/api/v1/topology/wc-ui/kill/0", NULL,
                                           REQUEST_MS, &reply),
                      405);
    free (reply);

    //  The web UI's pages and their scripts, as nimbus serves them.
    ck_assert_int_eq (http_client_request (port, "GET", "/", NULL, REQUEST_MS, &reply), 200);
    ck_assert_msg (strstr (reply, "id=\"topologies\""), "/: %.200s", reply);
    free (reply);
    ck_assert_int_eq (http_client_request (port, "GET", "/topology.html", NULL, REQUEST_MS, &reply),
                      200);
    ck_assert_msg (strstr (reply, "id=\"topology-graph\""), "/topology.html: %.200s", reply);
    free (reply);
    ck_assert_int_eq (
        http_client_request (port, "GET", "/ui/topology.js", NULL, REQUEST_MS, &reply), 200);
    free (reply);
    ck_assert_int_eq (http_client_request (port, "GET", "/nope.html", NULL, REQUEST_MS, &reply),
                      404);
    free (reply);

    //  Prometheus: the spout's emitted tuples on its default stream.
    ck_assert_int_eq (http_client_request (port, "GET", "/metrics", NULL, REQUEST_MS, &reply), 200);
    ck_assert_msg (strstr (reply, "\nsquall_stream_emitted_tuples_total{topology=\"wc-ui\","
                                  "component=\"sentences\",task=\"1-1\",stream=\"default\"} 3\n"),
                   "/metrics: %s", reply);
    free (reply);

    kill (pid, SIGTERM);
    ck_assert_int_eq (s_wait (pid), 0);
    char *out = s_contents ("ui.out");
    ck_assert_msg (strstr (out, "REST API on http://127.0.0.1:") && strstr (out, "web UI on ") &&
                       strstr (out, "topology wc-ui ran ") && strstr (out, "spout tuples 3,"),
                   "output: %s", out);
    free (out);
    //  Once the run ended nothing listens on the port.
    ck_assert_int_eq (http_client_request (port, "GET", "/metrics", NULL, REQUEST_MS, &reply), 0);
    free (reply);

    //  A port in use: status 1 and one line that names it.
    int busy = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int reuse = 1; //  the run's closed connections may leave the port in TIME_WAIT
    ck_assert (
        busy >= 0 && setsockopt (busy, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) == 0 &&
        bind (busy, (struct sockaddr *) &address, sizeof address) == 0 && listen (busy, 1) == 0);
    char *expected = NULL;
    ck_assert (asprintf (&expected, "--ui-port %d: ", port) > 0);
    s_expect_failure ("ui-busy",
                      (const char *[]){"--local", package, "busy", "-c", input_option, "--ui-port",
                                       port_text, NULL},
                      1, expected);
    close (busy);
    s_expect_failure ("ui-word",
                      (const char *[]){"--local", package, "x", "--ui-port", "web", NULL}, 2,
                      "--ui-port expects a port (0 to 65535), got 'web'");
    free (expected);
    s_ui_run_free (&run);
}
END_TEST

//  True when trace has a hop into component, executed on "local".
static bool
s_has_hop (const json_t *trace, const char *component)
{
    size_t i;
    json_t *hop;
    json_array_foreach (json_object_get (trace, "hops"), i, hop)
    {
        if (strcmp (json_string_value (json_object_get (hop, "component")) ?: "", component) == 0 &&
            strcmp (json_string_value (json_object_get (hop, "worker")) ?: "", "local") == 0 &&
            json_is_number (json_object_get (hop, "executeMs")))
            return true;
    }
    return false;
}

//  A local run tracing every tree: the traces endpoint of --ui-port shows
//  the three sentences' trees, each acked with a hop into every bolt; the
//  debug route is refused like the other POSTs; at its end the run prints
//  the trees and the hop latency per edge.
START_TEST (test_local_traces)
{
    ui_run_t run = s_ui_run ("trace.input");
    int port = run.port;
    pid_t pid =
        s_start ("trace", (const char *[]){"--local", run.package, "wc-trace", "-c",
                                           run.input_option, "-c", "topology.trace.sample.rate=1",
                                           "--ui-port", run.port_text, NULL});
    //  Poll until the three trees are acked with a hop into every bolt.
    long long deadline = test_processes_now_ms () + RUN_MS;
    json_t *answer = NULL;
    size_t whole = 0;
    while (whole < 3 && test_processes_now_ms () < deadline && waitpid (pid, NULL, WNOHANG) == 0) {
        json_decref (answer);
        answer = NULL;
        whole = 0;
        if (s_get (port, "/api/v1/topology/wc-trace/traces", &answer) == 200 && answer) {
            size_t i;
            json_t *trace;
            json_array_foreach (json_object_get (answer, "traces"), i, trace)
            {
                whole += strcmp (json_string_value (json_object_get (trace, "status")) ?: "",
                                 "acked") == 0 &&
                         s_has_hop (trace, "split") && s_has_hop (trace, "count") &&
                         s_has_hop (trace, "report");
            }
        }
        if (whole < 3)
            usleep (50000);
    }
    ck_assert_msg (answer, "no traces answer");
    char *text = json_dumps (answer, JSON_COMPACT);
    ck_assert_msg (whole == 3, "%zu whole trees: %s", whole, text);
    ck_assert_uint_eq (json_array_size (json_object_get (answer, "traces")), 3);
    ck_assert_double_eq (json_number_value (json_object_get (answer, "samplePct")), 100);
    ck_assert_uint_eq (json_array_size (json_object_get (answer, "edges")), 3);
    free (text);
    json_decref (answer);
    ck_assert_int_eq (s_get (port, "/api/v1/topology/other/traces", &answer), 404);
    json_decref (answer);
    char *reply;
    ck_assert_int_eq (http_client_request (port, "POST", "/api/v1/topology/wc-trace/debug/enable/5",
                                           NULL, REQUEST_MS, &reply),
                      405);
    free (reply);

    kill (pid, SIGTERM);
    ck_assert_int_eq (s_wait (pid), 0);
    char *out = s_contents ("trace.out");
    ck_assert_msg (
        strstr (out, "topology wc-trace: tracing 100% of spout trees; 3 sampled trees") &&
            strstr (out, "sentences:1 -> split:") && strstr (out, "hop latency per edge"),
        "output: %s", out);
    free (out);
    s_ui_run_free (&run);
}
END_TEST

//  --until-idle: the word count's spout runs dry after its three lines;
//  the run ends by itself, with every tree done.
START_TEST (test_until_idle)
{
    char *input = s_write_input ("idle.input");
    char *input_option = NULL;
    ck_assert (asprintf (&input_option, "wordcount.input=%s", input) > 0);
    char *package = s_built ("topologies/.libs/wordcount.so");
    ck_assert_int_eq (s_run ("idle", (const char *[]){"--local", package, "wc", "-c", input_option,
                                                      "--until-idle", NULL}),
                      0);
    char *out = s_contents ("idle.out");
    ck_assert_msg (strstr (out, "ending the run (--until-idle)") &&
                       strstr (out, "spout tuples 3,") && strstr (out, "acked 3,"),
                   "output: %s", out);
    free (out);
    free (package);
    free (input_option);
    free (input);
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

    //  A Flux-style definition with a mistake: one line naming file, line and key.
    char *definition = s_file ("bad.yaml");
    file = fopen (definition, "w");
    ck_assert (file);
    fputs ("name: bad\nspouts:\n  - id: a\n    parallelism: many\n", file);
    fclose (file);
    char *expected = NULL;
    ck_assert (
        asprintf (&expected, "%s:4: 'parallelism' must be an integer, not 'many'", definition) > 0);
    s_expect_failure ("definition", (const char *[]){"--local", definition, "x", NULL}, 1,
                      expected);
    free (expected);
    free (definition);

    char *bad = s_built ("tests/integration/.libs/bad_topology.so");
    s_expect_failure ("refuses", (const char *[]){"--local", bad, "x", NULL}, 1,
                      "refused to build its topology");
    s_expect_failure ("invalid",
                      (const char *[]){"--local", bad, "bad", "-c", "bad.behaviour=invalid", NULL},
                      1, "topology invalid: ");
    char *err = s_contents ("invalid.err");
    ck_assert_msg (strstr (err, "no-such-spout"), "the error does not name the source: %s", err);
    free (err);
    //  The package's code runs in a child first: its crash, exit or loop
    //  is one error, not storm-submit's end.
    s_expect_failure ("crash",
                      (const char *[]){"--local", bad, "bad", "-c", "bad.behaviour=crash", NULL}, 1,
                      "crashed while building its topology: signal 11");
    s_expect_failure ("exit",
                      (const char *[]){"--local", bad, "bad", "-c", "bad.behaviour=exit", NULL}, 1,
                      "exited with status 0 while building its topology");
    s_expect_failure (
        "hang",
        (const char *[]){"--local", bad, "bad", "--timeout", "1", "-c", "bad.behaviour=hang", NULL},
        1, "building its topology did not end within 1.0 s");
    s_expect_failure (
        "submit-crash",
        (const char *[]){bad, "bad", "--nimbus", "127.0.0.1:1", "-c", "bad.behaviour=crash", NULL},
        1, "crashed while building its topology: signal 11");

    //  Arguments: status 2 with the usage or the reason.
    s_expect_failure ("one-argument", (const char *[]){"--local", bad, NULL}, 2, "usage:");
    s_expect_failure ("duration-word",
                      (const char *[]){"--local", bad, "x", "--duration", "soon", NULL}, 2,
                      "--duration expects a number of seconds, got 'soon'");
    s_expect_failure ("option", (const char *[]){"--local", bad, "x", "-c", "novalue", NULL}, 2,
                      "-c expects key=value, got 'novalue'");
    //  trace's options, refused before anything talks to nimbus.
    s_expect_failure ("sample-200", (const char *[]){"trace", "wc", "--sample", "200", NULL}, 2,
                      "--sample expects a percentage (0 to 100), got '200'");
    s_expect_failure ("sample-list", (const char *[]){"list", "--sample", "5", NULL}, 2, "usage:");
    s_expect_failure ("off-kill", (const char *[]){"kill", "wc", "--off", NULL}, 2, "usage:");
    s_expect_failure ("trace-count", (const char *[]){"trace", "wc", "--count", "101", NULL}, 2,
                      "usage:");
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
    tcase_add_test (tcase, test_until_idle);
    tcase_add_test (tcase, test_duration);
    tcase_add_test (tcase, test_stuck_callbacks);
    tcase_add_test (tcase, test_ui_port);
    tcase_add_test (tcase, test_local_traces);
    tcase_add_test (tcase, test_errors);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
