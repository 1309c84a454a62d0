/*  test_error - the table of error codes, sq_strerror, sq_err_name and the
    per-thread last error

    The table is read through SQ_ERROR_MAP itself, so a code added to it is
    checked here without touching this file.
*/
#include "sq_error.h"
#include "squall.h"

#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  One row of the table, as the X-macro spells it.
typedef struct {
    int code;         //  the enum constant, SQ_<name>
    int value;        //  the value written in the table
    const char *name; //  "SQ_<name>"
    const char *text; //  what it means
} s_row_t;

#define S_ROW(name, value, text) {SQ_##name, value, "SQ_" #name, text},
static const s_row_t s_rows[] = {SQ_ERROR_MAP (S_ROW)};
#undef S_ROW
#define S_ROW_COUNT (sizeof s_rows / sizeof s_rows[0])

START_TEST (test_every_code_named)
{
    ck_assert_uint_ge (S_ROW_COUNT, 6);
    for (size_t i = 0; i < S_ROW_COUNT; i++) {
        const s_row_t *row = &s_rows[i];
        ck_assert_int_eq (row->code, row->value);
        ck_assert_msg (row->code < 0, "%s is %d, not negative", row->name, row->code);
        ck_assert_str_eq (sq_err_name (row->code), row->name);
        ck_assert_str_eq (sq_strerror (row->code), row->text);
        ck_assert_msg (strlen (row->text) > 0, "%s has no text", row->name);
        ck_assert_msg (strncmp (row->text, "unknown", 7) != 0, "%s reads as unknown", row->name);
        for (size_t j = 0; j < i; j++) {
            ck_assert_msg (s_rows[j].code != row->code, "%s and %s are both %d", s_rows[j].name,
                           row->name, row->code);
            ck_assert_str_ne (s_rows[j].name, row->name);
            ck_assert_str_ne (s_rows[j].text, row->text);
        }
    }
}
END_TEST

START_TEST (test_codes_callers_use)
{
    //  -1 stays the plain failure most functions return.
    ck_assert_int_eq (SQ_EFAIL, -1);
    //  Each meaning has its own code (codec, ZooKeeper client, registry).
    int codes[] = {SQ_EMALFORMED, SQ_ENOMEM, SQ_ENONODE, SQ_ENODEEXISTS, SQ_ETAKENOVER};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        ck_assert_int_ne (codes[i], SQ_EFAIL);
    ck_assert_str_eq (sq_strerror (SQ_EMALFORMED), "malformed input");
    ck_assert_str_eq (sq_err_name (SQ_ENONODE), "SQ_ENONODE");
    ck_assert_str_eq (sq_err_name (SQ_ETAKENOVER), "SQ_ETAKENOVER");
}
END_TEST

START_TEST (test_unknown_codes)
{
    ck_assert_str_eq (sq_strerror (0), "no error");
    ck_assert_str_eq (sq_err_name (0), "unknown");
    int lowest = 0;
    for (size_t i = 0; i < S_ROW_COUNT; i++)
        if (s_rows[i].code < lowest)
            lowest = s_rows[i].code;
    int unknown[] = {1, 2, 42, lowest - 1, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        char expected[64];
        snprintf (expected, sizeof expected, "unknown error code %d", unknown[i]);
        ck_assert_str_eq (sq_strerror (unknown[i]), expected);
        ck_assert_str_eq (sq_err_name (unknown[i]), "unknown");
    }
}
END_TEST

START_TEST (test_error_set)
{
    ck_assert_int_eq (sq_error_set ("cannot read %s", "x.yaml"), SQ_EFAIL);
    ck_assert_str_eq (sq_last_error (), "cannot read x.yaml");
    ck_assert_int_eq (sq_error_set_code (SQ_ENONODE, "no node %d", 7), SQ_ENONODE);
    ck_assert_str_eq (sq_last_error (), "no node 7");
    //  The text is cut to the buffer, never overrun.
    char long_text[2000];
    memset (long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    sq_error_set ("%s", long_text);
    size_t length = strlen (sq_last_error ());
    ck_assert_uint_gt (length, 0);
    ck_assert_uint_lt (length, sizeof long_text - 1);
}
END_TEST

//  Sets its own error and an unknown code's text on another thread.
static void *
s_other_thread (void *arg)
{
    (void) arg;
    sq_error_set_code (SQ_EMALFORMED, "the other thread's error");
    bool ok = strcmp (sq_last_error (), "the other thread's error") == 0 &&
              strcmp (sq_strerror (-77), "unknown error code -77") == 0;
    return (void *) (intptr_t) ok;
}

START_TEST (test_per_thread)
{
    sq_error_set ("this thread's error");
    const char *unknown = sq_strerror (-55);
    pthread_t thread;
    ck_assert_int_eq (pthread_create (&thread, NULL, s_other_thread, NULL), 0);
    void *other_ok = NULL;
    ck_assert_int_eq (pthread_join (thread, &other_ok), 0);
    ck_assert_msg (other_ok, "the other thread did not see its own texts");
    ck_assert_str_eq (sq_last_error (), "this thread's error");
    ck_assert_str_eq (unknown, "unknown error code -55");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("error");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_every_code_named);
    tcase_add_test (tcase, test_codes_callers_use);
    tcase_add_test (tcase, test_unknown_codes);
    tcase_add_test (tcase, test_error_set);
    tcase_add_test (tcase, test_per_thread);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
