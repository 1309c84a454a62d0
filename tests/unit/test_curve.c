/*  test_curve - key pairs on disk and the secure-by-default rule (sq_curve) */
#include "sq_config.h"
#include "sq_curve.h"
#include "sq_error.h"

#include <check.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[256];

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "%s/test_curve-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull (mkdtemp (s_dir));
}

static void
s_teardown (void)
{
    char command[512];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    ck_assert_int_eq (system (command), 0);
}

static mode_t
s_mode (const char *path)
{
    struct stat info;
    ck_assert_int_eq (stat (path, &info), 0);
    return info.st_mode & 0777;
}

START_TEST (test_keygen_writes_a_private_pair_once)
{
    char keys[512], public_path[600], secret_path[600];
    snprintf (keys, sizeof keys, "%s/keys", s_dir);
    ck_assert_int_eq (sq_curve_keygen (keys, "alice"), 0);
    snprintf (public_path, sizeof public_path, "%s/alice", keys);
    snprintf (secret_path, sizeof secret_path, "%s/alice_secret", keys);
    ck_assert_uint_eq (s_mode (keys), 0700);
    ck_assert_uint_eq (s_mode (secret_path), 0600);
    //  The secret file holds both keys and the name; the public one no
    //  secret, so it cannot stand for the principal.
    zcert_t *cert = sq_curve_load_cert (secret_path, true);
    ck_assert_ptr_nonnull (cert);
    ck_assert_str_eq (zcert_meta (cert, "name"), "alice");
    zcert_t *public_cert = sq_curve_load_cert (public_path, false);
    ck_assert_ptr_nonnull (public_cert);
    ck_assert_str_eq (zcert_public_txt (public_cert), zcert_public_txt (cert));
    //  A copy of the public file alone (zcert_load reads NAME_secret
    //  instead when it is there) stands for no one.
    char copy_path[600];
    snprintf (copy_path, sizeof copy_path, "%s/alice.pub", s_dir);
    ck_assert_int_eq (zcert_save_public (public_cert, copy_path), 0);
    zcert_destroy (&public_cert);
    ck_assert_ptr_null (sq_curve_load_cert (copy_path, true));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "no secret key"));
    //  Never overwritten: the first pair stays.
    ck_assert_int_eq (sq_curve_keygen (keys, "alice"), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "not overwritten"));
    zcert_t *again = sq_curve_load_cert (secret_path, true);
    ck_assert_str_eq (zcert_secret_txt (again), zcert_secret_txt (cert));
    zcert_destroy (&again);
    zcert_destroy (&cert);
    //  A name is a file name.
    ck_assert_int_eq (sq_curve_keygen (keys, "../bob"), -1);
    ck_assert_int_eq (sq_curve_keygen (keys, ""), -1);
    //  (A file that is not a certificate is refused too, but czmq's
    //  zconfig_load leaks a little on bad syntax: not tested under
    //  memcheck.)
    ck_assert_ptr_null (sq_curve_load_cert ("/nonexistent/key", false));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "/nonexistent/key"));
}
END_TEST

START_TEST (test_keys_from_config)
{
    char keys[512], option[700];
    snprintf (keys, sizeof keys, "%s/keys", s_dir);
    ck_assert_int_eq (sq_curve_keygen (keys, "nimbus"), 0);
    ck_assert_int_eq (sq_curve_keygen (keys, "sup"), 0);
    sq_config_t *config = sq_config_new ();
    sq_curve_t *curve = NULL;
    //  No keys: security off, no error.
    ck_assert_int_eq (sq_curve_from_config (config, true, &curve), 0);
    ck_assert_ptr_null (curve);
    //  A client's own key without nimbus's is an error for a client.
    snprintf (option, sizeof option, "squall.curve.secret.key.file=%s/sup_secret", keys);
    ck_assert_int_eq (sq_config_set_option (config, option), 0);
    ck_assert_int_eq (sq_curve_from_config (config, true, &curve), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "server.public.key.file"));
    ck_assert_int_eq (sq_curve_from_config (config, false, &curve), 0);
    ck_assert_ptr_nonnull (curve);
    sq_curve_destroy (&curve);
    snprintf (option, sizeof option, "squall.curve.server.public.key.file=%s/nimbus", keys);
    ck_assert_int_eq (sq_config_set_option (config, option), 0);
    ck_assert_int_eq (sq_curve_from_config (config, true, &curve), 0);
    ck_assert_ptr_nonnull (curve);
    sq_curve_t *copy = sq_curve_dup (curve);
    ck_assert_str_eq (sq_curve_public_key (copy), sq_curve_public_key (curve));
    sq_curve_destroy (&copy);
    sq_curve_destroy (&curve);
    ck_assert_ptr_null (curve);
    //  A secret key file that is only public is refused.
    char public_only[400];
    snprintf (public_only, sizeof public_only, "%s/nimbus.pub", s_dir);
    zcert_t *cert =
        sq_curve_load_cert (option + strlen ("squall.curve.server.public.key.file="), false);
    ck_assert_int_eq (zcert_save_public (cert, public_only), 0);
    zcert_destroy (&cert);
    snprintf (option, sizeof option, "squall.curve.secret.key.file=%s", public_only);
    ck_assert_int_eq (sq_config_set_option (config, option), 0);
    ck_assert_int_eq (sq_curve_from_config (config, true, &curve), -1);
    ck_assert_ptr_null (curve);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_secure_by_default)
{
    ck_assert (sq_curve_host_is_loopback ("127.0.0.1"));
    ck_assert (sq_curve_host_is_loopback ("127.1.2.3"));
    ck_assert (sq_curve_host_is_loopback ("localhost"));
    ck_assert (sq_curve_host_is_loopback ("::1"));
    ck_assert (!sq_curve_host_is_loopback ("0.0.0.0"));
    ck_assert (!sq_curve_host_is_loopback ("*"));
    ck_assert (!sq_curve_host_is_loopback ("10.0.0.7"));
    ck_assert (!sq_curve_host_is_loopback ("127.0.0.1.evil.example"));
    ck_assert (!sq_curve_host_is_loopback ("127.example"));
    ck_assert (!sq_curve_host_is_loopback (""));
    ck_assert (!sq_curve_host_is_loopback (NULL));
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_curve_check_secure (config, "nimbus", "127.0.0.1", false), 0);
    ck_assert_int_eq (sq_curve_check_secure (config, "nimbus", "10.0.0.7", true), 0);
    ck_assert_int_eq (sq_curve_check_secure (config, "nimbus", "10.0.0.7", false), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "squall.insecure"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "nimbus would bind 10.0.0.7"));
    ck_assert_int_eq (sq_config_set_option (config, "squall.insecure=true"), 0);
    ck_assert_int_eq (sq_curve_check_secure (config, "nimbus", "0.0.0.0", false), 0);
    sq_config_destroy (&config);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("curve");
    TCase *tcase = tcase_create ("keys");
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_keygen_writes_a_private_pair_once);
    tcase_add_test (tcase, test_keys_from_config);
    tcase_add_test (tcase, test_secure_by_default);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
