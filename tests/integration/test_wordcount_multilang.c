/*  test_wordcount_multilang - the word count with its split bolt in Python and in
    Node.js (Squall's adapters, multilang/), and as a Flux-style
    definition, in local mode and on a real cluster, with exact counts

    Every run counts the same input file (wordcount.input: each line is
    emitted once, replayed only on failure) of LINES lines drawn from a
    small vocabulary, so the expected count of every word is known. The
    package is the directory make builds, topologies/wordcount-multilang
    (wordcount.so, wordcount.yaml, resources/ with the split bolts and the
    adapters).

    Case "local": in this process (sq_package_open on the directory or on
    its wordcount.yaml, sq_local_cluster_submit), until every line is
    acked (polled, with a deadline); then the count tasks' final counts
    (wordcount.output, written at cleanup) must equal the expected ones,
    with nothing failed or timed out.

    Case "cluster": ZooKeeper, nimbus and two supervisors of two slots
    (cluster_harness); storm-submit uploads the directory (packed into an
    archive) or the definition (with its directory's resources/ and the
    libraries it names), over two workers; nimbus's `list` is polled until
    every line is acked, then the topology is killed and the counts its
    count tasks wrote are checked.

    Without python3 or node the suite skips, or fails where every suite
    must run (SQUALL_REQUIRE_ALL=1 or CI=true).
*/
#include "cluster_harness.h"
#include "sq_control.h"
#include "sq_package.h"
#include "test_processes.h"
#include "zk_server.h"
#include "squall.h"

#include <check.h>
#include <inttypes.h>
#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINES 600         //  lines of the input file
#define WORDS 6           //  words of its vocabulary
#define DEADLINE_MS 90000 //  longest a run may take to ack every line

static const char *s_vocabulary[WORDS] = {"spout", "bolt", "adapter", "python", "node", "flux"};
static long s_expected[WORDS]; //  count of each word in the input
static const char *s_dir;      //  the suite's directory
static char s_input[1024];     //  the input file

//  Write the input file and note what each word's count must be.
static void
s_write_input (void)
{
    snprintf (s_input, sizeof s_input, "%s/input.txt", s_dir);
    FILE *file = fopen (s_input, "w");
    ck_assert_ptr_nonnull (file);
    unsigned seed = 13;
    memset (s_expected, 0, sizeof s_expected);
    for (int line = 0; line < LINES; line++) {
        int words = 1 + rand_r (&seed) % 7;
        for (int index = 0; index < words; index++) {
            int word = rand_r (&seed) % WORDS;
            s_expected[word]++;
            fprintf (file, "%s%s", index ? " " : "", s_vocabulary[word]);
        }
        fputc ('\n', file);
    }
    fclose (file);
}

//  $top_builddir/relative (caller frees).
static char *
s_built (const char *relative)
{
    const char *top = getenv ("top_builddir");
    char *path = NULL;
    ck_assert (asprintf (&path, "%s/%s", top ? top : ".", relative) > 0);
    char *absolute = realpath (path, NULL);
    ck_assert_msg (absolute, "%s is not built", path);
    free (path);
    return absolute;
}

//  Wait until the count tasks wrote one line per word to output, then
//  compare the sums with the expected counts.
static void
s_check_counts (const char *output)
{
    long seen[WORDS];
    int lines = 0;
    long long deadline = test_processes_now_ms () + 30000;
    do {
        memset (seen, 0, sizeof seen);
        lines = 0;
        FILE *file = fopen (output, "r");
        char word[64];
        long count;
        while (file && fscanf (file, "%63[^\t]\t%ld\n", word, &count) == 2) {
            lines++;
            for (int index = 0; index < WORDS; index++)
                if (!strcmp (word, s_vocabulary[index]))
                    seen[index] += count;
        }
        if (file)
            fclose (file);
        if (lines < WORDS)
            usleep (100000);
    } while (lines < WORDS && test_processes_now_ms () < deadline);
    ck_assert_msg (lines == WORDS, "%d count lines in %s, expected %d", lines, output, WORDS);
    for (int index = 0; index < WORDS; index++)
        ck_assert_msg (seen[index] == s_expected[index], "'%s': counted %ld, expected %ld",
                       s_vocabulary[index], seen[index], s_expected[index]);
}

//  Run the package at path (relative to the build tree) in local mode with
//  the split in `language` (NULL: as the package says) until every line
//  is acked, and check the counts.
static void
s_run_local (const char *relative, const char *language, const char *tag)
{
    s_write_input ();
    char output[1024];
    snprintf (output, sizeof output, "%s/%s.counts", s_dir, tag);
    unlink (output);
    char *path = s_built (relative);
    sq_package_t *package = sq_package_open (path);
    ck_assert_msg (package, "%s", sq_last_error ());
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "wordcount.input", s_input), 0);
    ck_assert_int_eq (sq_config_set (config, "wordcount.output", output), 0);
    if (language)
        ck_assert_int_eq (sq_config_set (config, "wordcount.split", language), 0);
    sq_topology_t *topology = sq_package_build (package, config);
    ck_assert_msg (topology, "%s", sq_last_error ());
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_msg (sq_local_cluster_submit (cluster, tag, config, &topology) == 0, "%s",
                   sq_last_error ());
    sq_topology_stats_t stats = {0};
    long long deadline = test_processes_now_ms () + DEADLINE_MS;
    while (test_processes_now_ms () < deadline) {
        ck_assert_int_eq (sq_local_cluster_stats (cluster, tag, &stats), 0);
        if (stats.acked >= LINES || stats.failed || stats.timed_out)
            break;
        usleep (50000);
    }
    ck_assert_msg (stats.acked == LINES && stats.failed == 0 && stats.timed_out == 0,
                   "%s: acked %" PRIu64 " of %d lines, failed %" PRIu64 ", timed out %" PRIu64, tag,
                   stats.acked, LINES, stats.failed, stats.timed_out);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, tag, 1), 0);
    s_check_counts (output);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    sq_package_destroy (&package);
    free (path);
}

//  The three ways to run the word count with a shell split bolt.
static const struct {
    const char *package;  //  relative to the build tree
    const char *language; //  wordcount.split, or NULL: as the package says
    const char *name;     //  the topology's name
} s_runs[] = {
    {"topologies/wordcount-multilang", "python", "python"},
    {"topologies/wordcount-multilang", "node", "node"},
    {"topologies/wordcount-multilang/wordcount.yaml", NULL, "flux"},
};

START_TEST (test_local)
{
    s_run_local (s_runs[_i].package, s_runs[_i].language, s_runs[_i].name);
}
END_TEST

//  ---------------------------------------------------------------------
//  On a cluster

static cluster_harness_t *s_cluster;

static void
s_cluster_setup (void)
{
    s_cluster = cluster_harness_new (2, 2);
    ck_assert_msg (s_cluster != NULL, "the cluster did not start");
}

static void
s_cluster_teardown (void)
{
    cluster_harness_destroy (&s_cluster);
}

//  Acked trees of topology name, as nimbus's list sums them; -1 when it
//  does not answer.
static long
s_acked (sq_control_t *control, const char *name)
{
    json_t *list = json_pack ("{s:s}", "verb", "list");
    json_t *reply = sq_control_request (control, list, NULL, 0, 5000, NULL, NULL);
    json_decref (list);
    long acked = -1;
    json_t *topologies = reply ? json_object_get (reply, "topologies") : NULL;
    size_t index;
    json_t *topology;
    json_array_foreach (topologies, index, topology)
    {
        if (!strcmp (json_string_value (json_object_get (topology, "name")) ?: "", name))
            acked = (long) json_integer_value (json_object_get (topology, "acked"));
    }
    json_decref (reply);
    return acked;
}

static void
s_run_cluster (const char *relative, const char *language, const char *name)
{
    s_write_input ();
    char output[1024], input_option[1100], output_option[1100], split_option[64];
    snprintf (output, sizeof output, "%s/%s.counts", cluster_harness_dir (s_cluster), name);
    snprintf (input_option, sizeof input_option, "wordcount.input=%s", s_input);
    snprintf (output_option, sizeof output_option, "wordcount.output=%s", output);
    snprintf (split_option, sizeof split_option, "wordcount.split=%s", language ? language : "c");
    char *path = s_built (relative);
    const char *args[] = {path, name,         "-c", input_option,         "-c", output_option,
                          "-c", split_option, "-c", "topology.workers=2", NULL};
    char *printed = NULL;
    int status = cluster_harness_cli (s_cluster, &printed, args);
    ck_assert_msg (status == 0, "storm-submit %s exited %d: %s", relative, status, printed);
    free (printed);
    free (path);

    sq_control_t *control = cluster_harness_control (s_cluster);
    ck_assert_ptr_nonnull (control);
    long acked = 0;
    long long deadline = test_processes_now_ms () + DEADLINE_MS;
    while (acked < LINES && test_processes_now_ms () < deadline) {
        usleep (200000);
        acked = s_acked (control, name);
    }
    sq_control_destroy (&control);
    ck_assert_msg (acked == LINES, "%s: acked %ld of %d lines", name, acked, LINES);
    const char *kill_args[] = {"kill", name, "-w", "1", NULL};
    ck_assert_int_eq (cluster_harness_cli (s_cluster, &printed, kill_args), 0);
    free (printed);
    //  The count tasks write their files when their workers stop.
    s_check_counts (output);
}

START_TEST (test_cluster)
{
    s_run_cluster (s_runs[_i].package, s_runs[_i].language, s_runs[_i].name);
}
END_TEST

//  The suite needs python3 and node on PATH.
static bool
s_have (const char *program)
{
    char *command = NULL;
    if (asprintf (&command, "command -v %s >/dev/null 2>&1", program) < 0)
        return false;
    bool found = system (command) == 0;
    free (command);
    return found;
}

int
main (void)
{
    s_dir = test_processes_suite_dir ("test_wordcount_multilang");
    if (!s_dir) {
        fprintf (stderr, "test_wordcount_multilang: cannot make the suite's directory\n");
        return EXIT_FAILURE;
    }
    if (!s_have ("python3") || !s_have ("node"))
        return zk_server_skip ("test_wordcount_multilang", "python3 or node is not installed");
    if (zk_server_missing ())
        return zk_server_skip ("test_wordcount_multilang", zk_server_missing ());
    Suite *suite = suite_create ("multilang");
    TCase *local = tcase_create ("local");
    tcase_set_timeout (local, 180);
    tcase_add_loop_test (local, test_local, 0, (int) (sizeof s_runs / sizeof s_runs[0]));
    suite_add_tcase (suite, local);
    TCase *cluster = tcase_create ("cluster");
    tcase_set_timeout (cluster, 240);
    tcase_add_checked_fixture (cluster, s_cluster_setup, s_cluster_teardown);
    tcase_add_loop_test (cluster, test_cluster, 0, (int) (sizeof s_runs / sizeof s_runs[0]));
    suite_add_tcase (suite, cluster);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
