/*  test_nimbus_authorizer - nimbus's decisions of who may do what

    The decision table is written out by hand, one row per kind of
    principal, one column per action, for each shape of daemon config and
    topology the rules tell apart; every cell is checked.
*/
#include "nimbus_authorizer.h"
#include "sq_config.h"

#include <check.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

//  One row: a principal and what it may do, one character per action in
//  the order of nimbus_action_t ('y' permitted, 'n' refused).
typedef struct {
    const char *principal; //  NULL: no authentication
    const char *expected;  //  NIMBUS_ACTION_COUNT characters
} s_row_t;

//  The daemon config of the tests: ada is an admin, sup1 a supervisor;
//  users is the nimbus.users text (NULL: unset).
static sq_config_t *
s_daemon_config (const char *users)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "nimbus.admins", "ada"), 0);
    ck_assert_int_eq (sq_config_set (config, "nimbus.supervisor.users", "sup1,sup2"), 0);
    if (users)
        ck_assert_int_eq (sq_config_set (config, "nimbus.users", users), 0);
    return config;
}

//  A topology config owned by owner (NULL: none) with topology.users
//  users (NULL: unset).
static sq_config_t *
s_topology_config (const char *owner, const char *users)
{
    sq_config_t *config = sq_config_new ();
    if (owner)
        ck_assert_int_eq (sq_config_set (config, "topology.submitter.user", owner), 0);
    if (users)
        ck_assert_int_eq (sq_config_set (config, "topology.users", users), 0);
    //  Keys of the daemon's lists in a topology's config grant nothing.
    ck_assert_int_eq (sq_config_set (config, "nimbus.admins", "eve,bob,carol,dave,sup1"), 0);
    return config;
}

//  Check every cell of rows against the authorizer of daemon_users and
//  the topology of owner and topology_users.
static void
s_check_table (const char *daemon_users, const char *owner, const char *topology_users,
               const s_row_t *rows, size_t row_count)
{
    sq_config_t *daemon = s_daemon_config (daemon_users);
    sq_config_t *topology = s_topology_config (owner, topology_users);
    nimbus_authorizer_t *authorizer = nimbus_authorizer_new (daemon);
    ck_assert (authorizer);
    const char *recorded = nimbus_authorizer_owner (topology);
    if (owner && *owner)
        ck_assert_str_eq (recorded, owner);
    else
        ck_assert_ptr_null (recorded);
    for (size_t r = 0; r < row_count; r++) {
        ck_assert_uint_eq (strlen (rows[r].expected), NIMBUS_ACTION_COUNT);
        for (int action = 0; action < NIMBUS_ACTION_COUNT; action++) {
            bool expected = rows[r].expected[action] == 'y';
            bool got = nimbus_authorizer_permits (authorizer, rows[r].principal,
                                                  (nimbus_action_t) action, recorded, topology);
            ck_assert_msg (got == expected,
                           "nimbus.users=%s owner=%s topology.users=%s: %s may%s %s, expected%s",
                           daemon_users ? daemon_users : "(unset)", owner ? owner : "(none)",
                           topology_users ? topology_users : "(unset)",
                           rows[r].principal ? rows[r].principal : "(no principal)",
                           got ? "" : " not", nimbus_authorizer_action_name (action),
                           expected ? " permitted" : " refused");
        }
    }
    nimbus_authorizer_destroy (&authorizer);
    ck_assert_ptr_null (authorizer);
    sq_config_destroy (&topology);
    sq_config_destroy (&daemon);
}

#define S_ROWS(rows) rows, sizeof rows / sizeof rows[0]

//  Columns: submit list view kill activate deactivate rebalance debug download

START_TEST (test_anyone_may_submit)
{
    //  nimbus.users unset: every principal may submit (as in Storm).
    static const s_row_t rows[] = {
        {NULL, "yyyyyyyyy"},    //  no authentication: everything, as before
        {"ada", "yyyyyyyyy"},   //  admin
        {"bob", "yyyyyyyyy"},   //  owner
        {"carol", "yyyyyyyyy"}, //  in topology.users
        {"sup1", "yynnnnnny"},  //  supervisor: downloads only
        {"dave", "yynnnnnnn"},  //  stranger
        {"", "yynnnnnnn"},      //  an empty name is nobody in particular
        {"Bob", "yynnnnnnn"},   //  names are case-sensitive
    };
    s_check_table (NULL, "bob", "carol", S_ROWS (rows));
    //  An empty nimbus.users is unset.
    s_check_table ("", "bob", "carol", S_ROWS (rows));
}
END_TEST

START_TEST (test_nimbus_users_may_submit)
{
    static const s_row_t rows[] = {
        {NULL, "yyyyyyyyy"},    //  no authentication
        {"ada", "yyyyyyyyy"},   //  admin, though not in nimbus.users
        {"bob", "yyyyyyyyy"},   //  owner, in nimbus.users
        {"carol", "nyyyyyyyy"}, //  topology user, not in nimbus.users
        {"sup1", "nynnnnnny"},  //  supervisor
        {"dave", "yynnnnnnn"},  //  in nimbus.users: submits, owns nothing here
        {"eve", "nynnnnnnn"},   //  stranger
    };
    s_check_table ("dave,bob", "bob", "carol", S_ROWS (rows));
}
END_TEST

START_TEST (test_topology_without_owner)
{
    //  Submitted without authentication: only admins and topology.users.
    static const s_row_t rows[] = {
        {NULL, "yyyyyyyyy"},  {"ada", "yyyyyyyyy"}, {"carol", "yyyyyyyyy"},
        {"bob", "yynnnnnnn"}, {"", "yynnnnnnn"},    {"sup2", "yynnnnnny"},
    };
    s_check_table (NULL, NULL, "carol", S_ROWS (rows));
    s_check_table (NULL, "", "carol", S_ROWS (rows));
}
END_TEST

START_TEST (test_no_topology_users)
{
    static const s_row_t rows[] = {
        {"bob", "yyyyyyyyy"},
        {"carol", "yynnnnnnn"},
        {"ada", "yyyyyyyyy"},
    };
    s_check_table (NULL, "bob", NULL, S_ROWS (rows));
    //  Several topology users, the owner among them.
    static const s_row_t several[] = {
        {"bob", "yyyyyyyyy"}, {"carol", "yyyyyyyyy"}, {"frank", "yyyyyyyyy"},
        {"eve", "yynnnnnnn"}, {"fran", "yynnnnnnn"},
    };
    s_check_table (NULL, "bob", "carol,bob,frank", S_ROWS (several));
}
END_TEST

START_TEST (test_no_topology_config)
{
    //  Without a topology config (submit, list), only the owner argument
    //  counts for topology actions.
    sq_config_t *daemon = s_daemon_config (NULL);
    nimbus_authorizer_t *authorizer = nimbus_authorizer_new (daemon);
    ck_assert (nimbus_authorizer_permits (authorizer, "bob", NIMBUS_ACTION_KILL, "bob", NULL));
    ck_assert (!nimbus_authorizer_permits (authorizer, "eve", NIMBUS_ACTION_KILL, "bob", NULL));
    ck_assert (!nimbus_authorizer_permits (authorizer, "eve", NIMBUS_ACTION_KILL, NULL, NULL));
    ck_assert (nimbus_authorizer_permits (authorizer, "eve", NIMBUS_ACTION_SUBMIT, NULL, NULL));
    ck_assert (nimbus_authorizer_is_admin (authorizer, "ada"));
    ck_assert (!nimbus_authorizer_is_admin (authorizer, "bob"));
    ck_assert (!nimbus_authorizer_is_admin (authorizer, NULL));
    nimbus_authorizer_destroy (&authorizer);
    nimbus_authorizer_destroy (&authorizer);
    sq_config_destroy (&daemon);
    ck_assert_ptr_null (nimbus_authorizer_owner (NULL));
}
END_TEST

START_TEST (test_refusal_text)
{
    char *text = nimbus_authorizer_refusal ("alice", NIMBUS_ACTION_KILL, "wc", "bob");
    ck_assert_str_eq (text, "not authorized: principal alice may not kill topology wc (owner bob)");
    free (text);
    text = nimbus_authorizer_refusal ("alice", NIMBUS_ACTION_SUBMIT, NULL, NULL);
    ck_assert_str_eq (text,
                      "not authorized: principal alice may not submit topologies (nimbus.users)");
    free (text);
    text = nimbus_authorizer_refusal ("alice", NIMBUS_ACTION_REBALANCE, "wc", NULL);
    ck_assert_msg (strstr (text, "may not rebalance topology wc (it has no owner"), "%s", text);
    free (text);
    //  Names from outside are cut short.
    char longer[400];
    memset (longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    text = nimbus_authorizer_refusal (longer, NIMBUS_ACTION_DOWNLOAD, longer, longer);
    ck_assert_uint_lt (strlen (text), 3 * 128 + 100);
    free (text);
    ck_assert_str_eq (nimbus_authorizer_action_name (NIMBUS_ACTION_DEACTIVATE), "deactivate");
    for (int action = 0; action < NIMBUS_ACTION_COUNT; action++)
        ck_assert (nimbus_authorizer_action_name (action));
}
END_TEST

START_TEST (test_wrong_types_refused)
{
    //  The lists are typed config keys: a string where a list belongs is
    //  refused on the way in, so it cannot be misread as a name.
    json_t *json = json_pack ("{s:s}", "topology.users", "carol");
    ck_assert_ptr_null (sq_config_from_json (json));
    json_decref (json);
    json = json_pack ("{s:[i]}", "nimbus.admins", 7);
    ck_assert_ptr_null (sq_config_from_json (json));
    json_decref (json);
    json = json_pack ("{s:i}", "topology.submitter.user", 7);
    ck_assert_ptr_null (sq_config_from_json (json));
    json_decref (json);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_authorizer");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_anyone_may_submit);
    tcase_add_test (tc, test_nimbus_users_may_submit);
    tcase_add_test (tc, test_topology_without_owner);
    tcase_add_test (tc, test_no_topology_users);
    tcase_add_test (tc, test_no_topology_config);
    tcase_add_test (tc, test_refusal_text);
    tcase_add_test (tc, test_wrong_types_refused);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
