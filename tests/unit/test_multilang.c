/*  test_multilang - the multilang framing and values (sq_multilang)

    Messages are cut at "end" lines however the bytes arrive (all at once,
    a byte at a time, several in one read, CRLF); a malformed message is
    an error the reader survives; an oversized one is refused before it
    is buffered whole; values map to JSON and back as doc/multilang.md
    says.
*/
#include "sq_multilang.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static json_t *
s_next (sq_multilang_reader_t *reader)
{
    json_t *message = NULL;
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), 1);
    return message;
}

START_TEST (test_framing)
{
    sq_multilang_reader_t *reader = sq_multilang_reader_new (1024);
    const char *text = "{\"command\":\"sync\"}\nend\n{\"command\": \"emit\",\n \"tuple\": [1]}\r\n"
                       "end\r\n[3, 4]\nend\n{\"pid\"";
    //  A byte at a time: nothing until a whole message is there.
    json_t *message = NULL;
    size_t length = strlen (text);
    int found = 0;
    for (size_t i = 0; i < length; i++) {
        ck_assert_int_eq (sq_multilang_reader_feed (reader, text + i, 1), 0);
        int rc;
        while ((rc = sq_multilang_reader_next (reader, &message)) == 1) {
            found++;
            if (found == 1)
                ck_assert_str_eq (json_string_value (json_object_get (message, "command")), "sync");
            if (found == 2)
                ck_assert_int_eq (
                    json_integer_value (json_array_get (json_object_get (message, "tuple"), 0)), 1);
            if (found == 3)
                ck_assert_int_eq (json_array_size (message), 2);
            json_decref (message);
        }
        ck_assert_int_eq (rc, 0);
    }
    ck_assert_int_eq (found, 3);
    ck_assert_int_eq (sq_multilang_reader_partial (reader), strlen ("{\"pid\""));
    //  The rest of the last message comes in one piece with the next one.
    const char *rest = ": 7}\nend\n{\"command\":\"sync\"}\nend\n";
    ck_assert_int_eq (sq_multilang_reader_feed (reader, rest, strlen (rest)), 0);
    message = s_next (reader);
    ck_assert_int_eq (json_integer_value (json_object_get (message, "pid")), 7);
    json_decref (message);
    message = s_next (reader);
    json_decref (message);
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), 0);
    ck_assert_int_eq (sq_multilang_reader_partial (reader), 0);
    sq_multilang_reader_destroy (&reader);
    ck_assert_ptr_null (reader);
}
END_TEST

START_TEST (test_malformed)
{
    sq_multilang_reader_t *reader = sq_multilang_reader_new (1024);
    const char *text = "{not json\nend\n\"a string\"\nend\n{\"a\":1}\n{\"b\":2}\nend\n"
                       "{\"command\":\"sync\"}\nend\n";
    ck_assert_int_eq (sq_multilang_reader_feed (reader, text, strlen (text)), 0);
    json_t *message = NULL;
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "malformed JSON"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "{not json"));
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "neither a JSON object nor an array"));
    //  Two messages with no "end" between them are one malformed message.
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "malformed JSON"));
    //  The reader goes on after each.
    message = s_next (reader);
    ck_assert_str_eq (json_string_value (json_object_get (message, "command")), "sync");
    json_decref (message);
    sq_multilang_reader_destroy (&reader);
}
END_TEST

START_TEST (test_oversized)
{
    sq_multilang_reader_t *reader = sq_multilang_reader_new (100);
    char big[200];
    memset (big, 'x', sizeof big);
    //  With no "end" in sight, the buffer is refused past the bound.
    ck_assert_int_eq (sq_multilang_reader_feed (reader, big, sizeof big), 0);
    json_t *message = NULL;
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "longer than 100 bytes"));
    char huge[8192];
    memset (huge, 'x', sizeof huge);
    ck_assert_int_eq (sq_multilang_reader_feed (reader, huge, sizeof huge), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "longer than 100 bytes"));
    sq_multilang_reader_destroy (&reader);
    //  A whole message over the bound is refused too.
    reader = sq_multilang_reader_new (10);
    const char *text = "{\"command\":\"sync\"}\nend\n";
    ck_assert_int_eq (sq_multilang_reader_feed (reader, text, strlen (text)), 0);
    ck_assert_int_eq (sq_multilang_reader_next (reader, &message), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "at most 10"));
    sq_multilang_reader_destroy (&reader);
}
END_TEST

START_TEST (test_encode)
{
    json_t *message = json_pack ("{s:s}", "command", "next");
    size_t size = 0;
    char *text = sq_multilang_encode (message, &size);
    ck_assert_str_eq (text, "{\"command\":\"next\"}\nend\n");
    ck_assert_int_eq (size, strlen (text));
    free (text);
    json_decref (message);
}
END_TEST

START_TEST (test_values)
{
    const unsigned char bytes[] = {0x00, 0x7f, 0x80, 0xff};
    sq_value_t values[] = {sq_int (-42),   sq_double (2.5), sq_strn ("a\0b", 3),
                           sq_bool (true), sq_null (),      sq_bytes (bytes, sizeof bytes)};
    json_t *array = json_array ();
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        json_array_append_new (array, sq_multilang_value_to_json (&values[i]));
    char *text = json_dumps (array, JSON_COMPACT);
    //  Bytes as Storm writes a Java byte[]: signed byte values.
    ck_assert_str_eq (text, "[-42,2.5,\"a\\u0000b\",true,null,[0,127,-128,-1]]");
    free (text);
    //  Back: the same scalars; the array becomes its JSON text.
    sq_value_t back[6];
    char *owned[6];
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq (
            sq_multilang_value_from_json (json_array_get (array, i), &back[i], &owned[i]), 0);
    ck_assert_int_eq (back[0].type, SQ_TYPE_INT);
    ck_assert_int_eq (back[0].as.i, -42);
    ck_assert_int_eq (back[1].type, SQ_TYPE_DOUBLE);
    ck_assert (back[1].as.d == 2.5);
    ck_assert_int_eq (back[2].type, SQ_TYPE_STRING);
    ck_assert_int_eq (back[2].as.s.len, 3);
    ck_assert_int_eq (memcmp (back[2].as.s.ptr, "a\0b", 3), 0);
    ck_assert_int_eq (back[3].type, SQ_TYPE_BOOL);
    ck_assert (back[3].as.b);
    ck_assert_int_eq (back[4].type, SQ_TYPE_NULL);
    ck_assert_int_eq (back[5].type, SQ_TYPE_STRING);
    ck_assert_str_eq (back[5].as.s.ptr, "[0,127,-128,-1]");
    //  Only the array needed text of its own.
    ck_assert_ptr_null (owned[0]);
    ck_assert_ptr_null (owned[2]);
    ck_assert_ptr_nonnull (owned[5]);
    for (size_t i = 0; i < 6; i++)
        free (owned[i]);
    json_decref (array);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("multilang");
    TCase *tcase = tcase_create ("core");
    tcase_add_test (tcase, test_framing);
    tcase_add_test (tcase, test_malformed);
    tcase_add_test (tcase, test_oversized);
    tcase_add_test (tcase, test_encode);
    tcase_add_test (tcase, test_values);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
