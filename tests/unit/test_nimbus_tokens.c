/*  test_nimbus_tokens - the REST API's tokens file, friendly and hostile

    Parses texts in memory and loads files from a temporary directory with
    the modes and kinds nimbus must refuse (group- or world-readable, a
    symbolic link, a directory, a FIFO, oversized), then resolves
    Authorization headers.
*/
#include "nimbus_tokens.h"
#include "squall.h"
#include "test_tempdir.h"

#include <check.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALICE "alice-token-0123456789abcdef0123456789"
#define BOB "bob-token-ZYXWVUTSRQPONMLKJIHGFEDCBA-98765"

static char s_dir[256]; //  the test's temporary directory

static void
s_setup (void)
{
    test_tempdir_make (s_dir, sizeof s_dir, "test-tokens");
}

static void
s_teardown (void)
{
    test_tempdir_remove (s_dir);
}

//  Write text to s_dir/name with mode; returns the path (static buffer).
static const char *
s_write (const char *name, const char *text, size_t size, mode_t mode)
{
    static char path[400];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    ck_assert (file);
    ck_assert_uint_eq (fwrite (text, 1, size, file), size);
    fclose (file);
    ck_assert_int_eq (chmod (path, mode), 0);
    return path;
}

//  Expect text to be refused with an error containing expected.
static void
s_expect_refused (const char *text, size_t size, const char *expected)
{
    nimbus_tokens_t *tokens = nimbus_tokens_parse (text, size, "tokens");
    ck_assert_msg (!tokens, "accepted: %.*s", (int) size, text);
    ck_assert_msg (strstr (sq_last_error (), expected), "error '%s' lacks '%s'", sq_last_error (),
                   expected);
}

START_TEST (test_parse_and_resolve)
{
    const char *text = "# the REST API's tokens\n"
                       "\n" ALICE " alice\n"
                       "   \t" BOB "\tbob@EXAMPLE.com  \r\n"
                       "   # indented comment\n";
    nimbus_tokens_t *tokens = nimbus_tokens_parse (text, strlen (text), "tokens");
    ck_assert_msg (tokens, "%s", sq_last_error ());
    ck_assert_uint_eq (nimbus_tokens_count (tokens), 2);
    ck_assert_str_eq (nimbus_tokens_principal (tokens, "Bearer " ALICE), "alice");
    ck_assert_str_eq (nimbus_tokens_principal (tokens, "bearer  " BOB " "), "bob@EXAMPLE.com");
    ck_assert_str_eq (nimbus_tokens_principal (tokens, "BEARER " BOB), "bob@EXAMPLE.com");
    //  Unknown, partial, extended, other schemes, garbage.
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, NULL));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, ""));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer"));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer "));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, ALICE));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Basic " ALICE));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer" ALICE));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer " ALICE "x"));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer " ALICE " " BOB));
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer alice-token-0123456789abcdef"));
    char longer[2048] = "Bearer ";
    memset (longer + 7, 'a', sizeof longer - 8);
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, longer));
    nimbus_tokens_destroy (&tokens);
    nimbus_tokens_destroy (&tokens);
    ck_assert_ptr_null (tokens);
    //  An empty file (or only comments) holds no token.
    tokens = nimbus_tokens_parse ("", 0, "tokens");
    ck_assert (tokens);
    ck_assert_uint_eq (nimbus_tokens_count (tokens), 0);
    ck_assert_ptr_null (nimbus_tokens_principal (tokens, "Bearer " ALICE));
    nimbus_tokens_destroy (&tokens);
}
END_TEST

START_TEST (test_hostile_texts)
{
    s_expect_refused ("short alice\n", 12, "tokens:1: a token has 32 to 256 characters");
    s_expect_refused ("# c\n" ALICE "\n", strlen ("# c\n" ALICE "\n"), "tokens:2: expected");
    s_expect_refused (ALICE " alice bob\n", strlen (ALICE " alice bob\n"), "tokens:1: expected");
    s_expect_refused (ALICE " al/ice\n", strlen (ALICE " al/ice\n"), "tokens:1: expected");
    s_expect_refused (ALICE " alice\n" ALICE " bob\n", strlen (ALICE " alice\n" ALICE " bob\n"),
                      "tokens:2: this token is already on an earlier line");
    const char with_nul[] = ALICE " ali\0ce\n";
    s_expect_refused (with_nul, sizeof with_nul - 1, "tokens:1: a NUL byte");
    const char high[] = "tok\xc3\xa9n-0123456789abcdef0123456789abcdef alice\n";
    s_expect_refused (high, sizeof high - 1, "tokens:1: a token holds only visible ASCII");
    //  The error never repeats the token.
    s_expect_refused (BOB "\n", strlen (BOB "\n"), "tokens:1");
    ck_assert (!strstr (sq_last_error (), BOB));
    //  A principal of 129 characters.
    char line[512];
    snprintf (line, sizeof line, ALICE " %0129d\n", 7);
    s_expect_refused (line, strlen (line), "tokens:1: expected");
    //  A token of 257 characters.
    char token[300];
    memset (token, 't', 257);
    snprintf (token + 257, sizeof token - 257, " alice\n");
    s_expect_refused (token, strlen (token), "a token has 32 to 256 characters, this one 257");
    //  Too many tokens: 10001 lines.
    size_t size = (NIMBUS_TOKENS_MAX_COUNT + 1) * 64;
    char *many = malloc (size + 1);
    size_t at = 0;
    for (int i = 0; i <= NIMBUS_TOKENS_MAX_COUNT; i++)
        at += (size_t) sprintf (many + at, "token-%040d p\n", i);
    s_expect_refused (many, at, "more than 10000 tokens");
    //  Too large.
    s_expect_refused (many, NIMBUS_TOKENS_MAX_FILE + 1, "more than 1048576 bytes");
    free (many);
}
END_TEST

START_TEST (test_load_files)
{
    const char *text = ALICE " alice\n";
    const char *path = s_write ("tokens", text, strlen (text), 0600);
    nimbus_tokens_t *tokens = nimbus_tokens_load (path);
    ck_assert_msg (tokens, "%s", sq_last_error ());
    ck_assert_str_eq (nimbus_tokens_principal (tokens, "Bearer " ALICE), "alice");
    nimbus_tokens_destroy (&tokens);
    ck_assert_int_eq (chmod (path, 0400), 0);
    tokens = nimbus_tokens_load (path);
    ck_assert (tokens);
    nimbus_tokens_destroy (&tokens);
    //  Open to the group or others: refused, whatever the bit.
    mode_t modes[] = {0640, 0604, 0620, 0602, 0610, 0601, 0644, 0666};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        ck_assert_int_eq (chmod (path, modes[i]), 0);
        ck_assert_ptr_null (nimbus_tokens_load (path));
        ck_assert_msg (strstr (sq_last_error (), "open to its group or others"), "%s",
                       sq_last_error ());
        ck_assert (strstr (sq_last_error (), "chmod 600"));
    }
    ck_assert_int_eq (chmod (path, 0600), 0);
    //  Not there; a symbolic link; a directory; a FIFO.
    char other[400];
    snprintf (other, sizeof other, "%s/absent", s_dir);
    ck_assert_ptr_null (nimbus_tokens_load (other));
    ck_assert (strstr (sq_last_error (), "cannot open the tokens file"));
    snprintf (other, sizeof other, "%s/link", s_dir);
    ck_assert_int_eq (symlink (path, other), 0);
    ck_assert_ptr_null (nimbus_tokens_load (other));
    ck_assert_ptr_null (nimbus_tokens_load (s_dir));
    snprintf (other, sizeof other, "%s/fifo", s_dir);
    ck_assert_int_eq (mkfifo (other, 0600), 0);
    ck_assert_ptr_null (nimbus_tokens_load (other));
    ck_assert (strstr (sq_last_error (), "not a regular file"));
    //  A bad line in a file names the file and the line.
    const char *bad = "# fine\n" ALICE " alice\nnonsense\n";
    path = s_write ("bad", bad, strlen (bad), 0600);
    ck_assert_ptr_null (nimbus_tokens_load (path));
    ck_assert_msg (strstr (sq_last_error (), "/bad:3:"), "%s", sq_last_error ());
    //  Oversized.
    size_t size = NIMBUS_TOKENS_MAX_FILE + 10;
    char *big = malloc (size);
    memset (big, '#', size);
    path = s_write ("big", big, size, 0600);
    free (big);
    ck_assert_ptr_null (nimbus_tokens_load (path));
    ck_assert (strstr (sq_last_error (), "more than 1048576 bytes"));
}
END_TEST

START_TEST (test_mint)
{
    char *first = nimbus_tokens_mint ("alice");
    char *second = nimbus_tokens_mint ("alice");
    ck_assert_msg (first && second, "%s", sq_last_error ());
    ck_assert_uint_eq (strlen (first), 64 + strlen (" alice\n"));
    ck_assert_str_ne (first, second);
    //  What it mints, the file takes, and the header finds.
    size_t size = strlen (first) + strlen (second);
    char *both = malloc (size + 1);
    snprintf (both, size + 1, "%s%s", first, second);
    nimbus_tokens_t *tokens = nimbus_tokens_parse (both, size, "minted");
    ck_assert_msg (tokens, "%s", sq_last_error ());
    ck_assert_uint_eq (nimbus_tokens_count (tokens), 2);
    char header[128];
    snprintf (header, sizeof header, "Bearer %.64s", second);
    ck_assert_str_eq (nimbus_tokens_principal (tokens, header), "alice");
    nimbus_tokens_destroy (&tokens);
    free (both);
    free (first);
    free (second);
    ck_assert_ptr_null (nimbus_tokens_mint (""));
    ck_assert_ptr_null (nimbus_tokens_mint ("al ice"));
    ck_assert_ptr_null (nimbus_tokens_mint ("alice\nbob"));
    ck_assert (strstr (sq_last_error (), "invalid principal name"));
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_tokens");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, test_parse_and_resolve);
    tcase_add_test (tc, test_hostile_texts);
    tcase_add_test (tc, test_load_files);
    tcase_add_test (tc, test_mint);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
