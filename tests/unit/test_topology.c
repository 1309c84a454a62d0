/*  test_topology - invalid topologies, configs and packages fail before
    anything runs, with one message that names the problem */
#include "sq_package.h"
#include "sq_topology.h"
#include "squall.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_declare_word (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
}

static void
s_next_tuple (void *state)
{
    (void) state;
}

static void
s_execute (void *state, const sq_tuple_t *input)
{
    (void) state;
    (void) input;
}

static const sq_spout_t s_spout = {.declare_outputs = s_declare_word, .next_tuple = s_next_tuple};
static const sq_bolt_t s_bolt = {.declare_outputs = s_declare_word, .execute = s_execute};

//  Assert the topology is invalid with an error containing `expected`.
static void
s_assert_invalid (sq_topology_t *topology, const char *expected)
{
    ck_assert_int_eq (sq_topology_validate (topology), -1);
    ck_assert_msg (strstr (sq_last_error (), expected), "error '%s' does not mention '%s'",
                   sq_last_error (), expected);
    //  A local cluster refuses it too, with the same message, running nothing.
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "bad", NULL, &topology), -1);
    ck_assert_ptr_null (topology);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), expected));
    sq_topology_stats_t stats;
    ck_assert_int_eq (sq_local_cluster_stats (cluster, "bad", &stats), -1);
    sq_local_cluster_destroy (&cluster);
}

START_TEST (test_valid_topology)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_t *count = sq_topology_set_bolt (topology, "count", &s_bolt, 2);
    sq_component_fields_grouping (count, "words", NULL, "word");
    sq_component_set_num_tasks (count, 4);
    ck_assert_int_eq (sq_topology_validate (topology), 0);
    sq_topology_destroy (&topology);
    ck_assert_ptr_null (topology);
}
END_TEST

START_TEST (test_unknown_component)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "wrods",
                                   NULL);
    s_assert_invalid (topology, "unknown component 'wrods'");
}
END_TEST

START_TEST (test_unknown_stream)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "words",
                                   "errors");
    s_assert_invalid (topology, "stream 'errors' of 'words'");
}
END_TEST

static void
s_declare_word_and_count (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word, count");
}

//  The message lists the fields the stream declares, not the grouping's.
START_TEST (test_fields_grouping_on_undeclared_field)
{
    static const sq_spout_t counts = {.declare_outputs = s_declare_word_and_count,
                                      .next_tuple = s_next_tuple};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &counts, 1);
    sq_component_fields_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "words",
                                  NULL, "word,user");
    s_assert_invalid (topology, "field 'user', which is not declared (it declares: word, count)");
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_fields_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "words",
                                  NULL, "user");
    s_assert_invalid (topology, "field 'user', which is not declared (it declares: word)");
}
END_TEST

static void
s_declare_ordinary_streams (sq_declarer_t *declarer)
{
    sq_declarer_stream (declarer, "_x", "word");
    sq_declarer_stream (declarer, "a__b", "word");
}

static void
s_declare_system_stream (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
    sq_declarer_stream (declarer, "__metrics", "value");
}

//  Stream ids starting with "__" are the system's, as component ids are.
START_TEST (test_reserved_stream_id)
{
    static const sq_spout_t reserved = {.declare_outputs = s_declare_system_stream,
                                        .next_tuple = s_next_tuple};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &reserved, 1);
    s_assert_invalid (topology, "stream id '__metrics' of 'words' is reserved");
    //  "_x" and "a__b" are ordinary ids.
    static const sq_spout_t ordinary = {.declare_outputs = s_declare_ordinary_streams,
                                        .next_tuple = s_next_tuple};
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &ordinary, 1);
    ck_assert_int_eq (sq_topology_validate (topology), 0);
    sq_topology_destroy (&topology);
}
END_TEST

static void
s_declare_own_system (sq_declarer_t *declarer)
{
    sq_declarer_stream (declarer, "__system", "event");
}

//  A valid topology, for the name tests.
static sq_topology_t *
s_valid_topology (void)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    return topology;
}

//  Storm's rule: no '/', '.', ':' or '\\' in a topology name. Local mode
//  refuses them before anything runs, naming the character.
START_TEST (test_topology_names)
{
    const char *names[][2] = {
        {"test/aaa", "'/'"}, {"a.b", "'.'"}, {"a:b", "':'"},       {"a\\b", "'\\'"},
        {"..", "'.'"},       {"a b", "' '"}, {"", "needs a name"},
    };
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        sq_topology_t *topology = s_valid_topology ();
        ck_assert_int_eq (sq_local_cluster_submit (cluster, names[i][0], NULL, &topology), -1);
        ck_assert_ptr_null (topology);
        ck_assert_msg (strstr (sq_last_error (), "invalid topology name") &&
                           strstr (sq_last_error (), names[i][1]),
                       "name '%s': error '%s' does not name %s", names[i][0], sq_last_error (),
                       names[i][1]);
        sq_topology_stats_t stats;
        ck_assert_int_eq (sq_local_cluster_stats (cluster, names[i][0], &stats), -1);
    }
    //  A control character is named by its code, not printed.
    sq_topology_t *topology = s_valid_topology ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "a\nb", NULL, &topology), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "byte 0x0a"));
    ck_assert_ptr_null (strchr (sq_last_error (), '\n'));
    //  Too long.
    char long_name[200];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    topology = s_valid_topology ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, long_name, NULL, &topology), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "at most 128"));
    //  Letters, digits, '_' and '-' are fine.
    topology = s_valid_topology ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "Word_Count-2", NULL, &topology), 0);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "Word_Count-2", 0), 0);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

static int
s_refuse_prepare (void **state_p, const sq_context_t *context, const char *stream,
                  const int *target_tasks, size_t target_count)
{
    (void) state_p;
    (void) context;
    (void) stream;
    (void) target_tasks;
    (void) target_count;
    return -1;
}

static int
s_choose_none (void *state, int task_id, const sq_value_t *values, size_t count, int *chosen)
{
    (void) state;
    (void) task_id;
    (void) values;
    (void) count;
    (void) chosen;
    return 0;
}

START_TEST (test_partial_key_and_custom_grouping_mistakes)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_partial_key_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1),
                                       "words", NULL, "user");
    s_assert_invalid (topology, "field 'user', which is not declared");

    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_partial_key_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1),
                                       "words", NULL, NULL);
    s_assert_invalid (topology,
                      "bolt 'count' has a partial-key grouping on 'words' with no fields");

    static const sq_custom_grouping_t no_choose = {.prepare = s_refuse_prepare};
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_custom_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "words",
                                  NULL, &no_choose);
    s_assert_invalid (topology, "bolt 'count' has a custom grouping on 'words' with no choose");

    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_custom_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "words",
                                  NULL, NULL);
    s_assert_invalid (topology, "bolt 'count' has a custom grouping on 'words' with no choose");

    //  A prepare that fails stops the submit, naming the subscription.
    static const sq_custom_grouping_t refusing = {.prepare = s_refuse_prepare,
                                                  .choose = s_choose_none};
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_custom_grouping (sq_topology_set_bolt (topology, "count", &s_bolt, 1), "words",
                                  NULL, &refusing);
    ck_assert_int_eq (sq_topology_validate (topology), 0);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "refused", NULL, &topology), -1);
    ck_assert_str_eq (sq_last_error (),
                      "the custom grouping of 'count' on stream 'default' of 'words' failed to "
                      "prepare");
    sq_topology_stats_t stats;
    ck_assert_int_eq (sq_local_cluster_stats (cluster, "refused", &stats), -1);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_zero_parallelism)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 0);
    s_assert_invalid (topology, "spout 'words' has parallelism 0");
}
END_TEST

START_TEST (test_fewer_tasks_than_executors)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_component_set_num_tasks (sq_topology_set_spout (topology, "words", &s_spout, 3), 2);
    s_assert_invalid (topology, "2 tasks, fewer than its parallelism 3");
}
END_TEST

//  A component may have no tasks, as in Storm (setNumTasks (0)): it gets
//  no executors and validates whatever its parallelism. Negative counts
//  are still refused.
START_TEST (test_zero_tasks)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_component_t *idle = sq_topology_set_bolt (topology, "idle", &s_bolt, 3);
    sq_component_shuffle_grouping (idle, "words", NULL);
    sq_component_set_num_tasks (idle, 0);
    sq_component_t *after = sq_topology_set_bolt (topology, "after", &s_bolt, 1);
    sq_component_fields_grouping (after, "idle", NULL, "word");
    ck_assert_int_eq (sq_topology_validate (topology), 0);
    sq_topology_destroy (&topology);

    topology = sq_topology_new ();
    sq_component_set_num_tasks (sq_topology_set_spout (topology, "words", &s_spout, 1), -1);
    s_assert_invalid (topology, "spout 'words' has -1 tasks");
}
END_TEST

//  Storm declares streams of its own on every component, which a bolt may
//  subscribe to: __system ("event") and __metrics ("task-info",
//  "data-points"); and the __system component has __tick ("rate_secs"),
//  __metrics_tick ("interval") and __credentials ("creds").
START_TEST (test_implicit_system_streams)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "sp", &s_spout, 1);
    sq_component_t *watch = sq_topology_set_bolt (topology, "watch", &s_bolt, 1);
    sq_component_shuffle_grouping (watch, "sp", "__system");
    sq_component_fields_grouping (watch, "sp", "__metrics", "task-info, data-points");
    sq_component_t *other = sq_topology_set_bolt (topology, "other", &s_bolt, 1);
    sq_component_fields_grouping (other, "watch", "__system", "event");
    sq_component_all_grouping (other, SQ_SYSTEM_COMPONENT, SQ_TICK_STREAM);
    sq_component_shuffle_grouping (other, SQ_SYSTEM_COMPONENT, "__metrics_tick");
    sq_component_shuffle_grouping (other, SQ_SYSTEM_COMPONENT, "__credentials");
    ck_assert_int_eq (sq_topology_validate (topology), 0);
    const sq_stream_t *system =
        sq_component_stream (sq_topology_component (topology, "watch"), "__system");
    ck_assert_ptr_nonnull (system);
    ck_assert_uint_eq (system->field_count, 1);
    ck_assert_str_eq (system->fields[0], "event");
    const sq_stream_t *metrics =
        sq_component_stream (sq_topology_component (topology, "sp"), "__metrics");
    ck_assert_ptr_nonnull (metrics);
    ck_assert_uint_eq (metrics->field_count, 2);
    ck_assert_str_eq (metrics->fields[1], "data-points");
    ck_assert_str_eq (sq_tuple_tick_stream ()->fields[0], "rate_secs");
    sq_topology_destroy (&topology);

    //  A wrong field lists the fields Storm gives the stream.
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "sp", &s_spout, 1);
    sq_component_fields_grouping (sq_topology_set_bolt (topology, "watch", &s_bolt, 1), "sp",
                                  "__system", "events");
    s_assert_invalid (topology, "field 'events', which is not declared (it declares: event)");
    //  Storm's acking streams are not streams in Squall (acking travels as
    //  system messages), and __system has only the streams above.
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "sp", &s_spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "watch", &s_bolt, 1), "sp",
                                   "__ack_init");
    s_assert_invalid (topology, "stream '__ack_init' of 'sp', which 'sp' does not declare");
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "sp", &s_spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "watch", &s_bolt, 1),
                                   SQ_SYSTEM_COMPONENT, "__system");
    s_assert_invalid (topology, "stream '__system' of '__system', which '__system' does not");
    //  The implicit streams are the system's: a component cannot declare them.
    static const sq_spout_t own_system = {.declare_outputs = s_declare_own_system,
                                          .next_tuple = s_next_tuple};
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "sp", &own_system, 1);
    s_assert_invalid (topology, "stream id '__system' of 'sp' is reserved");
}
END_TEST

START_TEST (test_duplicate_component)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_topology_set_bolt (topology, "words", &s_bolt, 1);
    s_assert_invalid (topology, "duplicate component id 'words'");
}
END_TEST

START_TEST (test_reserved_and_empty_ids)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "__acker", &s_spout, 1);
    s_assert_invalid (topology, "'__acker' is reserved");
    topology = sq_topology_new ();
    sq_topology_set_spout (topology, "", &s_spout, 1);
    s_assert_invalid (topology, "empty component id");
}
END_TEST

START_TEST (test_missing_callbacks_and_spouts)
{
    static const sq_spout_t no_next = {.declare_outputs = s_declare_word};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &no_next, 1);
    s_assert_invalid (topology, "no next_tuple");
    topology = sq_topology_new ();
    sq_topology_set_bolt (topology, "count", &s_bolt, 1);
    s_assert_invalid (topology, "no spout");
    topology = sq_topology_new ();
    s_assert_invalid (topology, "no components");
}
END_TEST

static void
s_declare_twice (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word,count,word");
}

START_TEST (test_repeated_field)
{
    static const sq_spout_t repeated = {.declare_outputs = s_declare_twice,
                                        .next_tuple = s_next_tuple};
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &repeated, 1);
    s_assert_invalid (topology, "repeated field name");
}
END_TEST

START_TEST (test_config_value_of_wrong_type)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "topology.workers", "two"), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "topology.workers"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "two"));
    ck_assert_int_eq (sq_config_set (config, "topology.max.spout.pending", "-5"), 0);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 1);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "negative", config, &topology), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "topology.max.spout.pending"));
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
}
END_TEST

//  Path of a file in the build tree.
static char *
s_build_path (const char *relative)
{
    const char *top = getenv ("top_builddir");
    char *path = malloc (4096);
    snprintf (path, 4096, "%s/%s", top ? top : ".", relative);
    return path;
}

START_TEST (test_package_errors)
{
    ck_assert_ptr_null (sq_package_open ("/nonexistent/topology.so"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "'/nonexistent/topology.so' not found"));

    char text_file[] = "/tmp/squall-not-a-package-XXXXXX";
    int fd = mkstemp (text_file);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (write (fd, "hello\n", 6), 6);
    close (fd);
    ck_assert_ptr_null (sq_package_open (text_file));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "not a loadable shared object"));
    unlink (text_file);

    //  libsquall itself is a shared object without the entry.
    char *library = s_build_path (".libs/libsquall.so");
    ck_assert_ptr_null (sq_package_open (library));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "does not export squall_topology"));
    free (library);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("topology");
    TCase *tcase = tcase_create ("validation");
    tcase_add_test (tcase, test_valid_topology);
    tcase_add_test (tcase, test_unknown_component);
    tcase_add_test (tcase, test_unknown_stream);
    tcase_add_test (tcase, test_fields_grouping_on_undeclared_field);
    tcase_add_test (tcase, test_reserved_stream_id);
    tcase_add_test (tcase, test_topology_names);
    tcase_add_test (tcase, test_partial_key_and_custom_grouping_mistakes);
    tcase_add_test (tcase, test_zero_parallelism);
    tcase_add_test (tcase, test_fewer_tasks_than_executors);
    tcase_add_test (tcase, test_zero_tasks);
    tcase_add_test (tcase, test_implicit_system_streams);
    tcase_add_test (tcase, test_duplicate_component);
    tcase_add_test (tcase, test_reserved_and_empty_ids);
    tcase_add_test (tcase, test_missing_callbacks_and_spouts);
    tcase_add_test (tcase, test_repeated_field);
    tcase_add_test (tcase, test_config_value_of_wrong_type);
    tcase_add_test (tcase, test_package_errors);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
