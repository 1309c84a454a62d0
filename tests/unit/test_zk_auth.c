/*  test_zk_auth - ZooKeeper credentials: payload file checks, config keys */
#include "sq_config.h"
#include "sq_zk_auth.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Asserts that the last error contains text.
#define ASSERT_ERROR(text)                                                                         \
    ck_assert_msg (strstr (sq_last_error (), (text)), "error '%s' lacks '%s'", sq_last_error (),   \
                   (text))

//  Writes size bytes to a new file of the given mode in a fresh directory;
//  returns its path (caller removes it with s_remove).
static char *
s_payload_file (const char *bytes, size_t size, mode_t mode)
{
    char dir[] = "/tmp/test_zk_auth_XXXXXX";
    ck_assert_ptr_nonnull (mkdtemp (dir));
    char *path = NULL;
    ck_assert_int_ge (asprintf (&path, "%s/payload", dir), 0);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (write (fd, bytes, size), (ssize_t) size);
    close (fd);
    ck_assert_int_eq (chmod (path, mode), 0);
    return path;
}

static void
s_remove (char **path_p)
{
    unlink (*path_p);
    char *slash = strrchr (*path_p, '/');
    *slash = '\0';
    rmdir (*path_p);
    free (*path_p);
    *path_p = NULL;
}

//  Reads the payload of a file holding text with mode; returns the
//  result code, the payload (or NULL) in *payload_p.
static int
s_read (const char *text, mode_t mode, char **payload_p)
{
    char *path = s_payload_file (text, strlen (text), mode);
    int rc = sq_zk_auth_read_file (path, payload_p);
    s_remove (&path);
    return rc;
}

//  ---------------------------------------------------------------------

START_TEST (test_good_files)
{
    char *payload = NULL;
    ck_assert_int_eq (s_read ("squall:s3cret", 0600, &payload), 0);
    ck_assert_str_eq (payload, "squall:s3cret");
    sq_zk_auth_free (&payload);
    ck_assert_ptr_null (payload);
    //  One trailing line break, as echo writes it, is not part of it.
    ck_assert_int_eq (s_read ("squall:s3cret\n", 0400, &payload), 0);
    ck_assert_str_eq (payload, "squall:s3cret");
    sq_zk_auth_free (&payload);
    ck_assert_int_eq (s_read ("squall:a:b\r\n", 0600, &payload), 0);
    ck_assert_str_eq (payload, "squall:a:b"); //  the password may hold ':'
    sq_zk_auth_free (&payload);
    sq_zk_auth_free (&payload); //  NULL-safe
}
END_TEST

START_TEST (test_hostile_modes)
{
    const mode_t modes[] = {0640, 0604, 0620, 0602, 0660, 0644, 0666, 0610, 0601, 0700 | 0070};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char *payload = (char *) "untouched";
        ck_assert_int_eq (s_read ("squall:s3cret", modes[i], &payload), -1);
        ck_assert_ptr_null (payload);
        ASSERT_ERROR ("others than its owner may use it");
        ASSERT_ERROR ("chmod 600");
        ck_assert_msg (!strstr (sq_last_error (), "s3cret"), "error shows the password");
    }
}
END_TEST

START_TEST (test_foreign_owner)
{
    if (geteuid () == 0) {
        //  As root: a file of another user (nobody) is refused, even 0600.
        char *path = s_payload_file ("squall:s3cret", 13, 0600);
        ck_assert_int_eq (chown (path, 65534, 65534), 0);
        char *payload = NULL;
        ck_assert_int_eq (sq_zk_auth_read_file (path, &payload), -1);
        ASSERT_ERROR ("is owned by uid 65534, not by this daemon's user (uid 0)");
        s_remove (&path);
    } else {
        //  Not root: a file of root's.
        char *payload = NULL;
        ck_assert_int_eq (sq_zk_auth_read_file ("/etc/passwd", &payload), -1);
        ASSERT_ERROR ("is owned by uid 0, not by this daemon's user");
    }
}
END_TEST

START_TEST (test_bad_contents)
{
    char *payload = NULL;
    ck_assert_int_eq (s_read ("", 0600, &payload), -1);
    ASSERT_ERROR ("is empty");
    ck_assert_int_eq (s_read ("\n", 0600, &payload), -1);
    ASSERT_ERROR ("is empty");
    ck_assert_int_eq (s_read ("squall-s3cret\n", 0600, &payload), -1);
    ASSERT_ERROR ("has no ':'");
    ck_assert_int_eq (s_read (":s3cret", 0600, &payload), -1);
    ASSERT_ERROR ("empty user");
    ck_assert_int_eq (s_read ("squall:", 0600, &payload), -1);
    ASSERT_ERROR ("empty password");
    ck_assert_int_eq (s_read ("squall:s3cret\nmore:lines\n", 0600, &payload), -1);
    ASSERT_ERROR ("line break inside");
    char *path = s_payload_file ("squall:s3\0cret", 14, 0600);
    ck_assert_int_eq (sq_zk_auth_read_file (path, &payload), -1);
    ASSERT_ERROR ("NUL byte");
    s_remove (&path);
    ck_assert_ptr_null (payload);

    //  A file far too large is refused before it is read.
    size_t size = SQ_ZK_AUTH_MAX_BYTES + 1;
    char *big = malloc (size);
    memset (big, 'a', size);
    big[1] = ':';
    path = s_payload_file (big, size, 0600);
    ck_assert_int_eq (sq_zk_auth_read_file (path, &payload), -1);
    ASSERT_ERROR ("more than the 4096 a payload may have");
    s_remove (&path);
    free (big);
}
END_TEST

START_TEST (test_not_a_file)
{
    char *payload = NULL;
    ck_assert_int_eq (sq_zk_auth_read_file ("/tmp/test_zk_auth-no-such-file", &payload), -1);
    ASSERT_ERROR ("cannot open ZooKeeper auth payload file '/tmp/test_zk_auth-no-such-file'");
    ASSERT_ERROR ("No such file");
    char dir[] = "/tmp/test_zk_auth_XXXXXX";
    ck_assert_ptr_nonnull (mkdtemp (dir));
    ck_assert_int_eq (sq_zk_auth_read_file (dir, &payload), -1);
    ASSERT_ERROR ("is not a regular file");
    rmdir (dir);
    ck_assert_ptr_null (payload);
}
END_TEST

//  sq_zk_auth_from_config on a config of the given "key=value" options.
static int
s_from_config (const char *const *options, char **payload_p)
{
    sq_config_t *config = sq_config_new ();
    for (size_t i = 0; options[i]; i++)
        ck_assert_int_eq (sq_config_set_option (config, options[i]), 0);
    int rc = sq_zk_auth_from_config (config, payload_p);
    sq_config_destroy (&config);
    return rc;
}

START_TEST (test_config_keys)
{
    char *payload = (char *) "untouched";
    //  Nothing set: no authentication.
    const char *const none[] = {NULL};
    ck_assert_int_eq (s_from_config (none, &payload), 0);
    ck_assert_ptr_null (payload);

    char *path = s_payload_file ("squall:from-file\n", 17, 0600);
    char *file_option = NULL;
    ck_assert_int_ge (asprintf (&file_option, "storm.zookeeper.auth.payload.file=%s", path), 0);
    const char *const from_file[] = {"storm.zookeeper.auth.scheme=digest", file_option, NULL};
    ck_assert_int_eq (s_from_config (from_file, &payload), 0);
    ck_assert_str_eq (payload, "squall:from-file");
    sq_zk_auth_free (&payload);

    const char *const both[] = {"storm.zookeeper.auth.scheme=digest", file_option,
                                "storm.zookeeper.auth.payload=squall:inline", NULL};
    ck_assert_int_eq (s_from_config (both, &payload), -1);
    ASSERT_ERROR ("are both set");
    const char *const no_scheme[] = {file_option, NULL};
    ck_assert_int_eq (s_from_config (no_scheme, &payload), -1);
    ASSERT_ERROR ("'storm.zookeeper.auth.payload.file' is set but "
                  "'storm.zookeeper.auth.scheme' is not");
    s_remove (&path);
    free (file_option);

    const char *const inline_payload[] = {"storm.zookeeper.auth.scheme=digest",
                                          "storm.zookeeper.auth.payload=squall:inline", NULL};
    ck_assert_int_eq (s_from_config (inline_payload, &payload), 0);
    ck_assert_str_eq (payload, "squall:inline");
    sq_zk_auth_free (&payload);
    const char *const inline_bad[] = {"storm.zookeeper.auth.scheme=digest",
                                      "storm.zookeeper.auth.payload=no-colon", NULL};
    ck_assert_int_eq (s_from_config (inline_bad, &payload), -1);
    ASSERT_ERROR ("in config key 'storm.zookeeper.auth.payload' has no ':'");

    const char *const sasl[] = {"storm.zookeeper.auth.scheme=sasl",
                                "storm.zookeeper.auth.payload=squall:x", NULL};
    ck_assert_int_eq (s_from_config (sasl, &payload), -1);
    ASSERT_ERROR ("'storm.zookeeper.auth.scheme' is \"sasl\": only \"digest\" is supported");
    const char *const scheme_only[] = {"storm.zookeeper.auth.scheme=digest", NULL};
    ck_assert_int_eq (s_from_config (scheme_only, &payload), -1);
    ASSERT_ERROR ("neither 'storm.zookeeper.auth.payload.file' nor");
    const char *const missing_file[] = {"storm.zookeeper.auth.scheme=digest",
                                        "storm.zookeeper.auth.payload.file=/nonexistent/p", NULL};
    ck_assert_int_eq (s_from_config (missing_file, &payload), -1);
    ASSERT_ERROR ("cannot open ZooKeeper auth payload file '/nonexistent/p'");
    ck_assert_ptr_null (payload);
}
END_TEST

START_TEST (test_redact)
{
    json_t *config =
        json_pack ("{s:s, s:s, s:i}", "storm.zookeeper.auth.payload", "squall:s3cret",
                   "storm.zookeeper.auth.payload.file", "/etc/squall/zk", "nimbus.port", 6627);
    sq_zk_auth_redact (config);
    ck_assert_str_eq (json_string_value (json_object_get (config, "storm.zookeeper.auth.payload")),
                      "########");
    ck_assert_str_eq (
        json_string_value (json_object_get (config, "storm.zookeeper.auth.payload.file")),
        "/etc/squall/zk");
    ck_assert_int_eq (json_integer_value (json_object_get (config, "nimbus.port")), 6627);
    //  Nothing to hide: nothing added.
    json_object_del (config, "storm.zookeeper.auth.payload");
    sq_zk_auth_redact (config);
    ck_assert_ptr_null (json_object_get (config, "storm.zookeeper.auth.payload"));
    sq_zk_auth_redact (NULL);
    json_decref (config);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("sq_zk_auth");
    TCase *tcase = tcase_create ("zk_auth");
    tcase_add_test (tcase, test_good_files);
    tcase_add_test (tcase, test_hostile_modes);
    tcase_add_test (tcase, test_foreign_owner);
    tcase_add_test (tcase, test_bad_contents);
    tcase_add_test (tcase, test_not_a_file);
    tcase_add_test (tcase, test_config_keys);
    tcase_add_test (tcase, test_redact);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
