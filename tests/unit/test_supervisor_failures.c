/*  test_supervisor_failures - a worker's end becomes a bounded record: the
    log's last lines, what the worker's failure file says (checked), kept
    for heartbeats a minute, the newest eight */
#include "supervisor_failures.h"
#include "test_tempdir.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Write text to dir/name; returns the path (caller frees).
static char *
s_write (const char *dir, const char *name, const char *text)
{
    char *path = NULL;
    ck_assert (asprintf (&path, "%s/%s", dir, name) > 0);
    FILE *file = fopen (path, "w");
    ck_assert (file);
    fputs (text, file);
    fclose (file);
    return path;
}

START_TEST (test_log_tail_is_bounded)
{
    char dir[512];
    test_tempdir_make (dir, sizeof dir, "supervisor_failures");
    //  Thirty lines: the last twenty, whole.
    char text[1024] = "";
    for (int i = 1; i <= 30; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "line %d\n", i);
    char *path = s_write (dir, "short.log", text);
    char *tail = supervisor_failures_log_tail (path, 4096, 20);
    ck_assert_msg (strncmp (tail, "line 11\n", 8) == 0, "tail: %s", tail);
    ck_assert_msg (strstr (tail, "line 30\n") && !strstr (tail, "line 10\n"), "tail: %s", tail);
    free (tail);
    //  Few bytes allowed: no line cut at its start.
    tail = supervisor_failures_log_tail (path, 20, 20);
    ck_assert_str_eq (tail, "line 29\nline 30\n");
    free (tail);
    free (path);
    //  Bytes JSON cannot hold as text become '?'.
    path = s_write (dir, "binary.log", "ok\x01\xff\tend\n");
    tail = supervisor_failures_log_tail (path, 4096, 20);
    ck_assert_str_eq (tail, "ok??\tend\n");
    free (tail);
    free (path);
    //  No file: empty.
    tail = supervisor_failures_log_tail ("/nonexistent/worker.log", 4096, 20);
    ck_assert_str_eq (tail, "");
    free (tail);
    test_tempdir_remove (dir);
}
END_TEST

START_TEST (test_records_take_the_workers_word)
{
    char dir[512];
    test_tempdir_make (dir, sizeof dir, "supervisor_failures");
    char *log = s_write (dir, "worker.log", "starting\nsplit: cannot open input\n");
    char *file = s_write (dir, "failure.json",
                          "{\"component\": \"split\", \"task\": 3, \"message\": \"open failed\"}");
    supervisor_failures_t *failures = supervisor_failures_new ("sup-1", "h1");
    ck_assert_ptr_nonnull (failures);
    supervisor_failure_t failure = {.topology = "wc",
                                    .topology_id = "wc-1",
                                    .port = 6700,
                                    .cause = "exit status 1",
                                    .failure_path = file,
                                    .log_path = log,
                                    .restarts = 2,
                                    .next_restart_ms = 200};
    ck_assert_int_eq (supervisor_failures_add (failures, &failure, 1000), 0);
    //  The file is read once: gone.
    ck_assert_ptr_null (fopen (file, "r"));
    json_t *recent = supervisor_failures_recent (failures, 1000);
    ck_assert_uint_eq (json_array_size (recent), 1);
    json_t *record = json_array_get (recent, 0);
    ck_assert_str_eq (json_string_value (json_object_get (record, "component")), "split");
    ck_assert_int_eq (json_integer_value (json_object_get (record, "task")), 3);
    ck_assert_str_eq (json_string_value (json_object_get (record, "message")), "open failed");
    ck_assert_str_eq (json_string_value (json_object_get (record, "host")), "h1");
    ck_assert_str_eq (json_string_value (json_object_get (record, "log_tail")),
                      "starting\nsplit: cannot open input\n");
    ck_assert_int_eq (json_integer_value (json_object_get (record, "next_restart_ms")), 200);
    ck_assert_ptr_nonnull (strstr (json_string_value (json_object_get (record, "id")), "sup-1:"));
    json_decref (recent);
    //  A failure file of the wrong shape adds nothing of its own.
    free (file);
    file = s_write (dir, "failure.json", "{\"component\": 7, \"task\": \"x\", \"message\": []}");
    failure.failure_path = file;
    ck_assert_int_eq (supervisor_failures_add (failures, &failure, 2000), 0);
    recent = supervisor_failures_recent (failures, 2000);
    record = json_array_get (recent, 1);
    ck_assert_ptr_null (json_object_get (record, "component"));
    ck_assert_ptr_null (json_object_get (record, "task"));
    ck_assert_ptr_null (json_object_get (record, "message"));
    ck_assert_str_ne (json_string_value (json_object_get (json_array_get (recent, 0), "id")),
                      json_string_value (json_object_get (record, "id")));
    json_decref (recent);
    //  Ten more: the newest eight ride; a minute later, none.
    failure.failure_path = NULL;
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq (supervisor_failures_add (failures, &failure, 3000 + i), 0);
    recent = supervisor_failures_recent (failures, 3010);
    ck_assert_uint_eq (json_array_size (recent), SUPERVISOR_FAILURES_KEPT);
    json_decref (recent);
    recent = supervisor_failures_recent (failures, 3009 + SUPERVISOR_FAILURES_CARRIED_MS);
    ck_assert_uint_eq (json_array_size (recent), 0);
    json_decref (recent);
    supervisor_failures_destroy (&failures);
    ck_assert_ptr_null (failures);
    free (file);
    free (log);
    test_tempdir_remove (dir);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("supervisor_failures");
    TCase *tcase = tcase_create ("failures");
    tcase_add_test (tcase, test_log_tail_is_bounded);
    tcase_add_test (tcase, test_records_take_the_workers_word);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
