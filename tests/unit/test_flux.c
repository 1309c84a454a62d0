/*  test_flux - Flux-style YAML definitions: what a valid one builds, and
    one test per mistake, each reported with the file, the line and the key

    C components come from tests/unit/.libs/flux_components.so (its
    flux_test_spout and flux_test_bolt); shell components are only built,
    never run, here (tests/integration/test_multilang runs them). */
#include "sq_flux.h"
#include "sq_topology.h"
#include "squall.h"
#include "test_tempdir.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH "defs/flux.yaml"

static sq_flux_t *
s_parse (const char *text)
{
    return sq_flux_parse (text, strlen (text), PATH);
}

//  The text fails to load with an error that starts with PATH:line: and
//  contains expected.
static void
s_assert_error (const char *text, int line, const char *expected)
{
    sq_flux_t *flux = s_parse (text);
    ck_assert_msg (!flux, "loaded, but expected '%s'", expected);
    char prefix[64];
    snprintf (prefix, sizeof prefix, "%s:%d: ", PATH, line);
    ck_assert_msg (!strncmp (sq_last_error (), prefix, strlen (prefix)),
                   "error '%s' does not start with '%s'", sq_last_error (), prefix);
    ck_assert_msg (strstr (sq_last_error (), expected), "error '%s' does not mention '%s'",
                   sq_last_error (), expected);
}

//  Absolute path of the test library.
static char *
s_library (void)
{
    const char *top = getenv ("top_builddir");
    char relative[1024];
    snprintf (relative, sizeof relative, "%s/tests/unit/.libs/flux_components.so", top ? top : ".");
    char *path = realpath (relative, NULL);
    ck_assert_msg (path, "no %s", relative);
    return path;
}

//  The minimal valid definition's spout, for tests about other parts.
#define SHELL_SPOUT                                                                                \
    "spouts:\n"                                                                                    \
    "  - id: words\n"                                                                              \
    "    className: org.apache.storm.flux.wrappers.spouts.FluxShellSpout\n"                        \
    "    constructorArgs: [[python3, words.py], [word]]\n"

START_TEST (test_shell_definition)
{
    const char *text = "name: \"wordcount\"\n"
                       "config:\n"
                       "  topology.workers: 2\n"
                       "  topology.debug: true\n"
                       "  wordcount.words: [a, b]\n" SHELL_SPOUT "    parallelism: 2\n"
                       "bolts:\n"
                       "  - id: split\n"
                       "    className: FluxShellBolt\n"
                       "    constructorArgs:\n"
                       "      - [node, split.js, --fast]\n"
                       "      - default: [word]\n"
                       "        errors: [line, reason]\n"
                       "    parallelism: 3\n"
                       "    numTasks: 6\n"
                       "streams:\n"
                       "  - name: words to split\n"
                       "    from: words\n"
                       "    to: split\n"
                       "    grouping:\n"
                       "      type: FIELDS\n"
                       "      args: [word]\n";
    sq_flux_t *flux = s_parse (text);
    ck_assert_msg (flux, "%s", sq_last_error ());
    ck_assert_str_eq (sq_flux_name (flux), "wordcount");
    sq_topology_t *topology = sq_flux_build (flux);
    ck_assert_msg (topology, "%s", sq_last_error ());
    ck_assert_msg (sq_topology_validate (topology) == 0, "%s", sq_last_error ());
    sq_config_t *config = sq_topology_config (topology);
    ck_assert_int_eq (sq_config_int (config, "topology.workers", 0), 2);
    ck_assert (sq_config_bool (config, "topology.debug", false));
    ck_assert_int_eq (sq_topology_component_count (topology), 2);
    sq_component_t *words = sq_topology_component (topology, "words");
    ck_assert_int_eq (words->parallelism, 2);
    sq_component_t *split = sq_topology_component (topology, "split");
    ck_assert_int_eq (split->parallelism, 3);
    ck_assert_int_eq (split->task_count, 6);
    ck_assert_ptr_nonnull (sq_component_stream (split, "errors"));
    ck_assert_ptr_nonnull (sq_component_stream (split, "default"));
    ck_assert_int_eq (split->subscription_count, 1);
    ck_assert_str_eq (split->subscriptions[0].source, "words");
    ck_assert_int_eq (split->subscriptions[0].type, SQ_GROUPING_FIELDS);
    ck_assert_str_eq (split->subscriptions[0].fields, "word");
    //  No resources/ beside the file: the shell runs in its directory.
    ck_assert_str_eq (sq_topology_resources_dir (topology), "defs");
    sq_topology_destroy (&topology);
    sq_flux_destroy (&flux);
    ck_assert_ptr_null (flux);
}
END_TEST

START_TEST (test_c_components)
{
    char *library = s_library ();
    char text[4096];
    snprintf (text, sizeof text,
              "spouts:\n"
              "  - {id: words, library: \"%s\", symbol: flux_test_spout}\n"
              "bolts:\n"
              "  - {id: sink, library: \"%s\", symbol: flux_test_bolt, parallelism: 2}\n"
              "  - {id: all, library: \"%s\", symbol: flux_test_bolt}\n"
              "streams:\n"
              "  - {from: words, to: sink, grouping: {type: PARTIAL_KEY, args: [word]}}\n"
              "  - {from: words, to: all, grouping: {type: ALL, streamId: extra}}\n"
              "  - {from: words, to: all, grouping: {type: LOCAL_OR_SHUFFLE}}\n",
              library, library, library);
    sq_flux_t *flux = s_parse (text);
    ck_assert_msg (flux, "%s", sq_last_error ());
    ck_assert_ptr_null (sq_flux_name (flux));
    sq_topology_t *topology = sq_flux_build (flux);
    ck_assert_msg (topology, "%s", sq_last_error ());
    ck_assert_msg (sq_topology_validate (topology) == 0, "%s", sq_last_error ());
    sq_component_t *all = sq_topology_component (topology, "all");
    ck_assert_int_eq (all->subscription_count, 2);
    ck_assert_str_eq (all->subscriptions[0].stream, "extra");
    ck_assert_int_eq (all->subscriptions[0].type, SQ_GROUPING_ALL);
    ck_assert_int_eq (all->subscriptions[1].type, SQ_GROUPING_LOCAL_OR_SHUFFLE);
    ck_assert_int_eq (sq_topology_component (topology, "sink")->parallelism, 2);
    ck_assert_ptr_nonnull (sq_topology_component (topology, "words")->spout);
    sq_topology_destroy (&topology);
    sq_flux_destroy (&flux);

    //  The graph is held to the C rules, with the C messages.
    snprintf (text, sizeof text,
              "spouts:\n"
              "  - {id: words, library: \"%s\", symbol: flux_test_spout}\n"
              "bolts:\n"
              "  - {id: sink, library: \"%s\", symbol: flux_test_bolt}\n"
              "streams:\n"
              "  - {from: words, to: sink, grouping: {type: FIELDS, args: [wrod]}}\n",
              library, library);
    flux = s_parse (text);
    ck_assert_msg (flux, "%s", sq_last_error ());
    topology = sq_flux_build (flux);
    ck_assert_int_eq (sq_topology_validate (topology), -1);
    ck_assert_msg (strstr (sq_last_error (), "wrod"), "%s", sq_last_error ());
    sq_topology_destroy (&topology);
    sq_flux_destroy (&flux);

    //  A symbol the library lacks, and a library that is not there.
    snprintf (text, sizeof text,
              "spouts:\n"
              "  - {id: words, library: \"%s\", symbol: no_such_spout}\n",
              library);
    flux = s_parse (text);
    ck_assert_ptr_null (sq_flux_build (flux));
    ck_assert_msg (strstr (sq_last_error (), PATH ":2: spout 'words'") &&
                       strstr (sq_last_error (), "exports no 'no_such_spout'"),
                   "%s", sq_last_error ());
    sq_flux_destroy (&flux);
    flux = s_parse ("spouts:\n"
                    "  - {id: words, library: missing.so, symbol: s}\n");
    ck_assert_ptr_null (sq_flux_build (flux));
    ck_assert_msg (strstr (sq_last_error (), PATH ":2: spout 'words': library 'defs/missing.so' "
                                                  "cannot be loaded"),
                   "%s", sq_last_error ());
    sq_flux_destroy (&flux);
    free (library);
}
END_TEST

START_TEST (test_bad_yaml)
{
    s_assert_error ("spouts: [\n  - id: a\n", 2, "not valid YAML");
    s_assert_error ("name: a\n name: b\n\tx", 2, "not valid YAML");
    s_assert_error ("", 1, "holds no definition");
    s_assert_error ("# only a comment\n", 1, "holds no definition");
}
END_TEST

START_TEST (test_wrong_shapes)
{
    s_assert_error ("- a\n- b\n", 1, "the definition must be a mapping, not a list");
    s_assert_error ("name: x\nspouts: {id: a}\n", 2, "'spouts' must be a list, not a mapping");
    s_assert_error (SHELL_SPOUT "bolts: 3\n", 5, "'bolts' must be a list");
    s_assert_error (SHELL_SPOUT "streams: {from: a}\n", 5, "'streams' must be a list");
    s_assert_error ("config: [a, b]\n" SHELL_SPOUT, 1, "'config' must be a mapping");
    s_assert_error ("spouts:\n  - just-a-name\n", 2, "a spout must be a mapping, not a scalar");
    s_assert_error ("name: [a]\n" SHELL_SPOUT, 1, "'name' must be a string, not a list");
    s_assert_error (SHELL_SPOUT "    parallelism: two\n", 5,
                    "'parallelism' must be an integer, not 'two'");
    s_assert_error (SHELL_SPOUT "    parallelism: \"2\"\n", 5,
                    "'parallelism' must be an integer, not a string");
    s_assert_error (SHELL_SPOUT "    parallelism: 0\n", 5, "'parallelism' must be from 1 to");
    s_assert_error (SHELL_SPOUT "    numTasks: -1\n", 5, "'numTasks' must be from 0 to");
    s_assert_error (SHELL_SPOUT "bolts:\n  - {id: b, className: FluxShellBolt, constructorArgs: "
                                "[[x]]}\nstreams:\n  - {from: words, to: b, grouping: SHUFFLE}\n",
                    8, "a grouping must be a mapping, not a scalar");
}
END_TEST

START_TEST (test_unknown_keys)
{
    s_assert_error ("components: []\n" SHELL_SPOUT, 1,
                    "unknown key 'components' in the definition (known: name, config, spouts, "
                    "bolts, streams)");
    s_assert_error (SHELL_SPOUT "    configMethods: []\n", 5,
                    "unknown key 'configMethods' in a spout");
    s_assert_error (SHELL_SPOUT "bolts:\n  - {id: b, className: FluxShellBolt, "
                                "constructorArgs: [[x]], propertes: 1}\n",
                    6, "unknown key 'propertes' in a bolt");
    s_assert_error (SHELL_SPOUT "bolts:\n  - {id: b, className: FluxShellBolt, constructorArgs: "
                                "[[x]]}\nstreams:\n  - {from: words, to: b, grouping: {type: "
                                "SHUFFLE}, form: x}\n",
                    8, "unknown key 'form' in a stream");
    s_assert_error (SHELL_SPOUT "bolts:\n  - {id: b, className: FluxShellBolt, constructorArgs: "
                                "[[x]]}\nstreams:\n  - {from: words, to: b, grouping: {type: "
                                "SHUFFLE, customClass: X}}\n",
                    8, "unknown key 'customClass' in a grouping");
    s_assert_error ("name: a\nname: b\n" SHELL_SPOUT, 2,
                    "key 'name' given twice in the definition");
}
END_TEST

START_TEST (test_missing_keys)
{
    s_assert_error ("name: a\n", 1, "the definition has no 'spouts'");
    s_assert_error ("spouts:\n  - className: FluxShellSpout\n    constructorArgs: [[x]]\n", 2,
                    "a spout without 'id'");
    s_assert_error ("spouts:\n  - id: \"\"\n", 2, "'id' must not be empty");
    s_assert_error ("spouts:\n  - id: a\n", 2, "spout 'a' needs 'className'");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout}\n", 2,
                    "spout 'a' needs 'constructorArgs'");
    s_assert_error ("spouts:\n  - {id: a, library: x.so}\n", 2,
                    "needs both 'library' and 'symbol'");
    s_assert_error ("spouts:\n  - {id: a, library: x.so, symbol: s, className: FluxShellSpout}\n",
                    2, "takes no 'className' or 'constructorArgs'");
    const char *bolt = "bolts:\n  - {id: b, className: FluxShellBolt, constructorArgs: [[x]]}\n"
                       "streams:\n";
    char text[1024];
    snprintf (text, sizeof text, "%s%s  - {to: b, grouping: {type: SHUFFLE}}\n", SHELL_SPOUT, bolt);
    s_assert_error (text, 8, "a stream without 'from'");
    snprintf (text, sizeof text, "%s%s  - {from: words, grouping: {type: SHUFFLE}}\n", SHELL_SPOUT,
              bolt);
    s_assert_error (text, 8, "a stream without 'to'");
    snprintf (text, sizeof text, "%s%s  - {from: words, to: b}\n", SHELL_SPOUT, bolt);
    s_assert_error (text, 8, "a stream without 'grouping'");
    snprintf (text, sizeof text, "%s%s  - {from: words, to: b, grouping: {args: [word]}}\n",
              SHELL_SPOUT, bolt);
    s_assert_error (text, 8, "a grouping without 'type'");
}
END_TEST

START_TEST (test_duplicate_and_dangling_ids)
{
    s_assert_error (SHELL_SPOUT "bolts:\n  - id: words\n", 6,
                    "id 'words' is already used by the spout on line 2");
    const char *bolt = "bolts:\n  - {id: b, className: FluxShellBolt, constructorArgs: [[x]]}\n"
                       "streams:\n";
    char text[1024];
    snprintf (text, sizeof text, "%s%s  - {from: wrods, to: b, grouping: {type: SHUFFLE}}\n",
              SHELL_SPOUT, bolt);
    s_assert_error (text, 8, "stream from 'wrods': no spout or bolt has that id");
    snprintf (text, sizeof text, "%s%s  - {from: words, to: c, grouping: {type: SHUFFLE}}\n",
              SHELL_SPOUT, bolt);
    s_assert_error (text, 8, "stream to 'c': no bolt has that id");
    snprintf (text, sizeof text, "%s%s  - {from: b, to: words, grouping: {type: SHUFFLE}}\n",
              SHELL_SPOUT, bolt);
    s_assert_error (text, 8, "stream to 'words': a spout takes no input");
}
END_TEST

START_TEST (test_groupings)
{
    const char *head = SHELL_SPOUT
        "bolts:\n  - {id: b, className: FluxShellBolt, constructorArgs: [[x]]}\nstreams:\n"
        "  - from: words\n    to: b\n    grouping:\n";
    char text[1024];
    snprintf (text, sizeof text, "%s      type: RANDOM\n", head);
    s_assert_error (text, 11, "unknown grouping type 'RANDOM' (known: SHUFFLE, FIELDS");
    snprintf (text, sizeof text, "%s      type: shuffle\n", head);
    s_assert_error (text, 11, "unknown grouping type 'shuffle'");
    snprintf (text, sizeof text, "%s      type: CUSTOM\n", head);
    s_assert_error (text, 11, "unknown grouping type 'CUSTOM'");
    snprintf (text, sizeof text, "%s      type: FIELDS\n", head);
    s_assert_error (text, 11, "a FIELDS grouping needs 'args'");
    snprintf (text, sizeof text, "%s      type: PARTIAL_KEY\n      args: []\n", head);
    s_assert_error (text, 12, "a PARTIAL_KEY grouping needs at least one field");
    snprintf (text, sizeof text, "%s      type: SHUFFLE\n      args: [word]\n", head);
    s_assert_error (text, 12, "a SHUFFLE grouping takes no 'args'");
    snprintf (text, sizeof text, "%s      type: FIELDS\n      args: [[word]]\n", head);
    s_assert_error (text, 12, "'args' must be a string, not a list");
    snprintf (text, sizeof text, "%s      type: FIELDS\n      args: \"word\"\n", head);
    s_assert_error (text, 12, "'args' must be a list of field names");
    snprintf (text, sizeof text, "%s      type: FIELDS\n      args: [\"a,b\"]\n", head);
    s_assert_error (text, 12, "bad field name 'a,b'");
    //  Every type Flux names is accepted.
    const char *types[] = {"SHUFFLE", "ALL", "GLOBAL", "NONE", "DIRECT", "LOCAL_OR_SHUFFLE"};
    for (size_t index = 0; index < sizeof types / sizeof types[0]; index++) {
        snprintf (text, sizeof text, "%s      type: %s\n", head, types[index]);
        sq_flux_t *flux = s_parse (text);
        ck_assert_msg (flux, "%s: %s", types[index], sq_last_error ());
        sq_flux_destroy (&flux);
    }
}
END_TEST

START_TEST (test_components)
{
    s_assert_error ("spouts:\n  - id: a\n    className: org.apache.storm.testing.TestWordSpout\n",
                    3,
                    "className 'org.apache.storm.testing.TestWordSpout' of a spout 'a': Squall "
                    "runs org.apache.storm.flux.wrappers.spouts.FluxShellSpout");
    //  A bolt's class as a spout.
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellBolt, constructorArgs: [[x]]}\n", 2,
                    "className 'FluxShellBolt' of a spout 'a'");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: x}\n", 2,
                    "'constructorArgs' must be a list");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: []}\n", 2,
                    "not 0 items");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [[x], [y], "
                    "[z]]}\n",
                    2, "not 3 items");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [[], [y]]}\n",
                    2, "must be a non-empty list");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [x, [y]]}\n",
                    2, "must be a non-empty list");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [[\"\"]]}\n",
                    2, "the command in 'constructorArgs' is empty");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [[x], y]}\n",
                    2, "must be a list, or a mapping of stream id to list, not a scalar");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [[x], "
                    "{s: y}]}\n",
                    2, "'s' must be a list of field names");
    s_assert_error ("spouts:\n  - {id: a, className: FluxShellSpout, constructorArgs: [[x, {k: "
                    "v}]]}\n",
                    2, "'constructorArgs' must be a string, not a mapping");
}
END_TEST

START_TEST (test_config_and_name)
{
    s_assert_error ("config:\n  topology.workers: many\n" SHELL_SPOUT, 2,
                    "config key 'topology.workers'");
    s_assert_error ("config:\n  topology.workers: \"2\"\n" SHELL_SPOUT, 2,
                    "config key 'topology.workers'");
    s_assert_error ("config:\n  topology.debug: true\n  topology.debug: false\n" SHELL_SPOUT, 3,
                    "config key 'topology.debug' given twice");
    s_assert_error ("config:\n  a: [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]\n" SHELL_SPOUT, 2,
                    "'a' nests deeper than 16 levels");
    //  Aliases that would expand to 64^5 values stop at the bound.
    char laughs[4096] = "config:\n  a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8]\n";
    for (int level = 1; level <= 5; level++) {
        char line[1024];
        int length = snprintf (line, sizeof line, "  a%d: &a%d [", level, level);
        for (int copy = 0; copy < 64; copy++)
            length += snprintf (line + length, sizeof line - (size_t) length, "%s*a%d",
                                copy ? ", " : "", level - 1);
        snprintf (line + length, sizeof line - (size_t) length, "]\n");
        strncat (laughs, line, sizeof laughs - strlen (laughs) - 1);
    }
    strncat (laughs, SHELL_SPOUT, sizeof laughs - strlen (laughs) - 1);
    s_assert_error (laughs, 2, "'config' holds more than 100000 values");
    s_assert_error ("name: \"a/b\"\n" SHELL_SPOUT, 1, "name: ");
    s_assert_error ("name: \"\"\n" SHELL_SPOUT, 1, "'name' must not be empty");
    //  Free keys take any value; known keys are parsed by type.
    sq_flux_t *flux = s_parse ("config:\n  my.list: [1, two, 3.5, null, {k: v}]\n"
                               "  topology.message.timeout.secs: 45\n"
                               "  my.quoted: \"12\"\n" SHELL_SPOUT);
    ck_assert_msg (flux, "%s", sq_last_error ());
    sq_topology_t *topology = sq_flux_build (flux);
    sq_config_t *config = sq_topology_config (topology);
    ck_assert_int_eq (sq_config_int (config, "topology.message.timeout.secs", 0), 45);
    ck_assert_str_eq (sq_config_string (config, "my.quoted", ""), "12");
    sq_topology_destroy (&topology);
    sq_flux_destroy (&flux);
}
END_TEST

START_TEST (test_files)
{
    ck_assert_ptr_null (sq_flux_load ("/nonexistent/flux.yaml"));
    ck_assert_msg (strstr (sq_last_error (), "/nonexistent/flux.yaml: cannot open"), "%s",
                   sq_last_error ());
    char dir[512];
    test_tempdir_make (dir, sizeof dir, "test_flux");
    char path[1024];
    snprintf (path, sizeof path, "%s/big.yaml", dir);
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    for (int line = 0; line < SQ_FLUX_MAX_BYTES / 16 + 1; line++)
        fputs ("# padding line.\n", file);
    fclose (file);
    ck_assert_ptr_null (sq_flux_load (path));
    ck_assert_msg (strstr (sq_last_error (), "larger than"), "%s", sq_last_error ());

    //  A resources/ beside the file is where shell components run.
    snprintf (path, sizeof path, "%s/resources", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/topology.yaml", dir);
    file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("name: t\n" SHELL_SPOUT, file);
    fclose (file);
    sq_flux_t *flux = sq_flux_load (path);
    ck_assert_msg (flux, "%s", sq_last_error ());
    sq_topology_t *topology = sq_flux_build (flux);
    char resources[1024];
    snprintf (resources, sizeof resources, "%s/resources", dir);
    ck_assert_str_eq (sq_topology_resources_dir (topology), resources);
    sq_topology_destroy (&topology);
    sq_flux_destroy (&flux);
    test_tempdir_remove (dir);

    ck_assert (sq_flux_is_definition ("topology.yaml"));
    ck_assert (sq_flux_is_definition ("dir/wc.yml"));
    ck_assert (!sq_flux_is_definition ("wc.so"));
    ck_assert (!sq_flux_is_definition (".yml"));
    ck_assert (!sq_flux_is_definition (NULL));
}
END_TEST

//  Whether path is a regular file holding exactly text.
static bool
s_file_is (const char *path, const char *text)
{
    FILE *file = fopen (path, "r");
    char buffer[256] = "";
    size_t size = file ? fread (buffer, 1, sizeof buffer - 1, file) : 0;
    if (file)
        fclose (file);
    return file && size == strlen (text) && !memcmp (buffer, text, size);
}

static void
s_write (const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "w");
    ck_assert_msg (file, "cannot write %s", path);
    fputs (text, file);
    fclose (file);
}

START_TEST (test_stage)
{
    char dir[512], path[2048], staged[1024];
    test_tempdir_make (dir, sizeof dir, "test_flux_stage");
    snprintf (path, sizeof path, "%s/src", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/src/resources", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/src/resources/deep", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/src/lib", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/src", dir);
    s_write (path, "resources/split.py", "print(1)\n");
    s_write (path, "resources/deep/data.txt", "data\n");
    s_write (path, "lib/libc.so", "not really\n");
    s_write (path, "unrelated.txt", "stays home\n");
    const char *definition = "spouts:\n"
                             "  - {id: a, library: lib/libc.so, symbol: s}\n"
                             "  - {id: b, library: /usr/lib/absolute.so, symbol: s}\n";
    s_write (path, "wc.yaml", definition);
    snprintf (staged, sizeof staged, "%s/staged", dir);
    ck_assert_int_eq (mkdir (staged, 0700), 0);
    snprintf (path, sizeof path, "%s/src/wc.yaml", dir);
    ck_assert_msg (sq_flux_stage (path, staged) == 0, "%s", sq_last_error ());
    snprintf (path, sizeof path, "%s/topology.yaml", staged);
    ck_assert (s_file_is (path, definition));
    snprintf (path, sizeof path, "%s/resources/split.py", staged);
    ck_assert (s_file_is (path, "print(1)\n"));
    snprintf (path, sizeof path, "%s/resources/deep/data.txt", staged);
    ck_assert (s_file_is (path, "data\n"));
    snprintf (path, sizeof path, "%s/lib/libc.so", staged);
    ck_assert (s_file_is (path, "not really\n"));
    snprintf (path, sizeof path, "%s/unrelated.txt", staged);
    ck_assert_int_eq (access (path, F_OK), -1);

    //  A library outside the definition's directory cannot travel.
    snprintf (path, sizeof path, "%s/src", dir);
    s_write (path, "out.yaml", "spouts:\n  - {id: a, library: ../x.so, symbol: s}\n");
    snprintf (staged, sizeof staged, "%s/staged-out", dir);
    ck_assert_int_eq (mkdir (staged, 0700), 0);
    snprintf (path, sizeof path, "%s/src/out.yaml", dir);
    ck_assert_int_eq (sq_flux_stage (path, staged), -1);
    ck_assert_msg (strstr (sq_last_error (), "library '../x.so' lies outside"), "%s",
                   sq_last_error ());
    //  Nor does a link in resources/.
    snprintf (path, sizeof path, "%s/src/resources/link", dir);
    ck_assert_int_eq (symlink ("/etc/passwd", path), 0);
    snprintf (staged, sizeof staged, "%s/staged-link", dir);
    ck_assert_int_eq (mkdir (staged, 0700), 0);
    snprintf (path, sizeof path, "%s/src/wc.yaml", dir);
    ck_assert_int_eq (sq_flux_stage (path, staged), -1);
    ck_assert_msg (strstr (sq_last_error (), "neither a regular file nor a directory"), "%s",
                   sq_last_error ());
    //  And a definition with mistakes is not staged at all.
    snprintf (path, sizeof path, "%s/src", dir);
    s_write (path, "bad.yaml", "spouts: 3\n");
    snprintf (path, sizeof path, "%s/src/bad.yaml", dir);
    ck_assert_int_eq (sq_flux_stage (path, staged), -1);
    ck_assert_msg (strstr (sq_last_error (), "bad.yaml:1: 'spouts' must be a list"), "%s",
                   sq_last_error ());
    test_tempdir_remove (dir);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("flux");
    TCase *tcase = tcase_create ("definitions");
    tcase_add_test (tcase, test_shell_definition);
    tcase_add_test (tcase, test_c_components);
    tcase_add_test (tcase, test_bad_yaml);
    tcase_add_test (tcase, test_wrong_shapes);
    tcase_add_test (tcase, test_unknown_keys);
    tcase_add_test (tcase, test_missing_keys);
    tcase_add_test (tcase, test_duplicate_and_dangling_ids);
    tcase_add_test (tcase, test_groupings);
    tcase_add_test (tcase, test_components);
    tcase_add_test (tcase, test_config_and_name);
    tcase_add_test (tcase, test_files);
    tcase_add_test (tcase, test_stage);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
