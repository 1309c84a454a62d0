/*  test_nimbus_principals - CURVE public keys to principal names

    Saves real czmq certificates (zcert_save) in a temporary directory,
    next to files that are not certificates, and checks the names found,
    and that adding and removing certificates is seen at the next lookup.
*/
#include "nimbus_principals.h"
#include "squall.h"
#include "test_tempdir.h"

#include <check.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_dir[256]; //  the test's certificate directory

static void
s_setup (void)
{
    test_tempdir_make (s_dir, sizeof s_dir, "test-principals");
}

static void
s_teardown (void)
{
    test_tempdir_remove (s_dir);
}

//  A new certificate saved as s_dir/file (and file_secret), named name
//  (NULL: no name). Caller destroys.
static zcert_t *
s_cert (const char *file, const char *name)
{
    zcert_t *cert = zcert_new ();
    ck_assert (cert);
    if (name)
        zcert_set_meta (cert, "name", "%s", name);
    char path[400];
    snprintf (path, sizeof path, "%s/%s", s_dir, file);
    ck_assert_int_eq (zcert_save (cert, path), 0);
    return cert;
}

START_TEST (test_names)
{
    zcert_t *alice = s_cert ("alice", "alice");
    zcert_t *bob = s_cert ("bob.cert", "bob");
    zcert_t *nameless = s_cert ("nameless", NULL);
    char path[400];
    snprintf (path, sizeof path, "%s/garbage", s_dir);
    FILE *file = fopen (path, "w");
    fputs ("curve\n    public-key = \"short\"\n", file);
    fclose (file);
    snprintf (path, sizeof path, "%s/subdir", s_dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);

    nimbus_principals_t *principals = nimbus_principals_new (s_dir);
    ck_assert_msg (principals, "%s", sq_last_error ());
    ck_assert_uint_eq (nimbus_principals_count (principals), 2);
    ck_assert_str_eq (nimbus_principals_name (principals, zcert_public_txt (alice)), "alice");
    ck_assert_str_eq (nimbus_principals_name (principals, zcert_public_txt (bob)), "bob");
    ck_assert_ptr_null (nimbus_principals_name (principals, zcert_public_txt (nameless)));
    ck_assert_ptr_null (nimbus_principals_name (principals, NULL));
    ck_assert_ptr_null (nimbus_principals_name (principals, ""));
    //  A secret key is not a public one.
    ck_assert_ptr_null (nimbus_principals_name (principals, zcert_secret_txt (alice)));

    //  A certificate added is known at the next lookup; one removed is not.
    zcert_t *carol = s_cert ("carol", "carol");
    ck_assert_str_eq (nimbus_principals_name (principals, zcert_public_txt (carol)), "carol");
    snprintf (path, sizeof path, "%s/alice", s_dir);
    ck_assert_int_eq (unlink (path), 0);
    ck_assert_ptr_null (nimbus_principals_name (principals, zcert_public_txt (alice)));
    ck_assert_str_eq (nimbus_principals_name (principals, zcert_public_txt (bob)), "bob");
    ck_assert_uint_eq (nimbus_principals_count (principals), 2);

    nimbus_principals_destroy (&principals);
    nimbus_principals_destroy (&principals);
    ck_assert_ptr_null (principals);
    zcert_destroy (&alice);
    zcert_destroy (&bob);
    zcert_destroy (&nameless);
    zcert_destroy (&carol);
}
END_TEST

START_TEST (test_no_directory)
{
    char path[400];
    snprintf (path, sizeof path, "%s/absent", s_dir);
    ck_assert_ptr_null (nimbus_principals_new (path));
    ck_assert_msg (strstr (sq_last_error (), "cannot read squall.curve.allowed.dir"), "%s",
                   sq_last_error ());
    //  An empty directory names nobody.
    nimbus_principals_t *principals = nimbus_principals_new (s_dir);
    ck_assert (principals);
    ck_assert_uint_eq (nimbus_principals_count (principals), 0);
    zcert_t *cert = zcert_new ();
    ck_assert_ptr_null (nimbus_principals_name (principals, zcert_public_txt (cert)));
    zcert_destroy (&cert);
    //  The directory going away keeps the names known.
    ck_assert_int_eq (rmdir (s_dir), 0);
    ck_assert_ptr_null (nimbus_principals_name (principals, "x"));
    ck_assert_int_eq (mkdir (s_dir, 0700), 0);
    nimbus_principals_destroy (&principals);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("nimbus_principals");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, test_names);
    tcase_add_test (tc, test_no_directory);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
