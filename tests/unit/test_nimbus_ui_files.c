/*  test_nimbus_ui_files - the web UI's static files, without sockets

    Each test builds a directory of its own under /tmp with pages, a
    script, a style sheet and things that must not be served (a symbolic
    link to a file outside, a subdirectory, a hidden file, a name with a
    space, an unknown extension), reads it with nimbus_ui_files_new and
    asks for paths: the ones served, hostile ones (dot segments, encoded
    dots and slashes, NULs, doubled slashes, case), wrong methods and
    conditional requests. A randomized test assembles paths from those
    pieces and checks that whatever is answered 200 is one of the files
    kept, named exactly (reproducible with SQ_TEST_SEED). The limits (file
    count, total bytes, no index.html, no directory) are checked too.
*/
#include "nimbus_ui_files.h"
#include "sq_error.h"
#include "sq_sha256.h"
#include "squall.h"
#include "test_random.h"

#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_INDEX "<!doctype html><title>cluster</title>"
#define S_TOPOLOGY "<!doctype html><title>topology</title>"
#define S_SCRIPT "document.title = 'x';\n"
#define S_STYLE "body { margin: 0 }\n"
#define S_SECRET "secret outside the UI\n"

static uint64_t s_seed = 0x5e11ab1e00000011ULL; //  SQ_TEST_SEED replays a run

typedef struct {
    char root[256];   //  the test's directory (mkdtemp)
    char dir[300];    //  root/ui, the UI's directory
    char secret[300]; //  root/secret.js, outside the UI
} s_tree_t;

//  Write text to path.
static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    ck_assert_msg (file != NULL, "cannot write %s", path);
    ck_assert_int_eq (fputs (text, file) >= 0, 1);
    ck_assert_int_eq (fclose (file), 0);
}

//  Write text to dir/name.
static void
s_put (const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    s_write (path, text);
}

//  A directory with the files served and the traps.
static void
s_tree_new (s_tree_t *tree)
{
    snprintf (tree->root, sizeof tree->root, "/tmp/test_ui_files-XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (tree->root));
    snprintf (tree->dir, sizeof tree->dir, "%s/ui", tree->root);
    ck_assert_int_eq (mkdir (tree->dir, 0700), 0);
    snprintf (tree->secret, sizeof tree->secret, "%s/secret.js", tree->root);
    s_write (tree->secret, S_SECRET);
    s_put (tree->dir, "index.html", S_INDEX);
    s_put (tree->dir, "topology.html", S_TOPOLOGY);
    s_put (tree->dir, "app.js", S_SCRIPT);
    s_put (tree->dir, "squall.css", S_STYLE);
    //  The traps: none of them may be served.
    char path[512];
    snprintf (path, sizeof path, "%s/link.js", tree->dir);
    ck_assert_int_eq (symlink (tree->secret, path), 0);
    snprintf (path, sizeof path, "%s/sub.js", tree->dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    s_put (path, "inner.js", S_SECRET);
    s_put (tree->dir, ".hidden.js", S_SECRET);
    s_put (tree->dir, "a b.js", S_SECRET);
    s_put (tree->dir, "notes.md", S_SECRET);
    s_put (tree->dir, "backup.js~", S_SECRET);
}

//  Remove the tree (rm -r of a directory this test made).
static void
s_tree_destroy (s_tree_t *tree)
{
    char command[600];
    snprintf (command, sizeof command, "rm -rf '%s'", tree->root);
    ck_assert_int_eq (system (command), 0);
}

//  Answer method path (If-None-Match: etag, or NULL) into reply; returns
//  the status. The caller frees reply->body.
static int
s_answer (nimbus_ui_files_t *files, const char *method, const char *path, const char *etag,
          nimbus_http_reply_t *reply)
{
    *reply = (nimbus_http_reply_t){0};
    int status = nimbus_ui_files_answer (files, method, path, NULL, etag, reply);
    ck_assert_int_eq (status, reply->status);
    ck_assert_ptr_nonnull (reply->body);
    ck_assert_ptr_nonnull (reply->content_type);
    return status;
}

//  Expect GET path to be 200 with body and content type.
static void
s_served (nimbus_ui_files_t *files, const char *path, const char *body, const char *type)
{
    ck_assert_msg (nimbus_ui_files_claims (files, path), "%s not claimed", path);
    nimbus_http_reply_t reply;
    int status = s_answer (files, "GET", path, NULL, &reply);
    ck_assert_msg (status == 200, "GET %s: %d", path, status);
    ck_assert_uint_eq (reply.size, strlen (body));
    ck_assert_str_eq (reply.body, body);
    ck_assert_str_eq (reply.content_type, type);
    ck_assert_str_eq (reply.cache_control, NIMBUS_UI_FILES_CACHE);
    ck_assert_ptr_nonnull (reply.etag);
    ck_assert_uint_eq (strlen (reply.etag), 18);
    ck_assert_int_eq (reply.etag[0], '"');
    //  Pages carry the content security policy; other files need none.
    ck_assert_int_eq (reply.security_policy != NULL, strstr (type, "text/html") != NULL);
    free (reply.body);
}

//  Expect path, claimed or not, never to be answered with a file: not
//  claimed (the REST API's 404 then), or 404.
static void
s_not_served (nimbus_ui_files_t *files, const char *path)
{
    if (!nimbus_ui_files_claims (files, path))
        return;
    nimbus_http_reply_t reply;
    int status = s_answer (files, "GET", path, NULL, &reply);
    ck_assert_msg (status == 404, "GET %s: %d, expected 404", path, status);
    ck_assert_ptr_null (reply.etag);
    ck_assert_ptr_null (strstr (reply.body, "secret"));
    free (reply.body);
}

START_TEST (test_served)
{
    s_tree_t tree;
    s_tree_new (&tree);
    nimbus_ui_files_t *files = nimbus_ui_files_new (tree.dir);
    ck_assert_msg (files != NULL, "%s", sq_last_error ());
    //  index.html, topology.html, app.js, squall.css: the traps are left out.
    ck_assert_uint_eq (nimbus_ui_files_count (files), 4);
    ck_assert_uint_eq (nimbus_ui_files_bytes (files), strlen (S_INDEX) + strlen (S_TOPOLOGY) +
                                                          strlen (S_SCRIPT) + strlen (S_STYLE));
    const char *html = "text/html; charset=utf-8";
    s_served (files, "/", S_INDEX, html);
    s_served (files, "/index.html", S_INDEX, html);
    s_served (files, "/topology.html", S_TOPOLOGY, html);
    s_served (files, "/ui/topology.html", S_TOPOLOGY, html);
    s_served (files, "/ui/app.js", S_SCRIPT, "text/javascript; charset=utf-8");
    s_served (files, "/ui/squall.css", S_STYLE, "text/css; charset=utf-8");
    //  The REST API's paths are not the UI's.
    ck_assert (!nimbus_ui_files_claims (files, "/api/v1/cluster/summary"));
    ck_assert (!nimbus_ui_files_claims (files, "/metrics"));
    ck_assert (!nimbus_ui_files_claims (files, "/app.js"));         //  scripts only under /ui/
    ck_assert (!nimbus_ui_files_claims (files, "/component.html")); //  not in this directory
    //  HEAD is answered as GET (libmicrohttpd leaves the body out).
    nimbus_http_reply_t reply;
    ck_assert_int_eq (s_answer (files, "HEAD", "/ui/app.js", NULL, &reply), 200);
    ck_assert_str_eq (reply.body, S_SCRIPT);
    free (reply.body);
    nimbus_ui_files_destroy (&files);
    ck_assert_ptr_null (files);
    nimbus_ui_files_destroy (&files);
    s_tree_destroy (&tree);
}
END_TEST

START_TEST (test_hostile_paths)
{
    s_tree_t tree;
    s_tree_new (&tree);
    nimbus_ui_files_t *files = nimbus_ui_files_new (tree.dir);
    ck_assert_ptr_nonnull (files);
    const char *paths[] = {
        "/ui/link.js", //  a symbolic link to a file outside
        "/ui/sub.js",
        "/ui/sub.js/inner.js",
        "/ui/.hidden.js",
        "/ui/a b.js",
        "/ui/a%20b.js",
        "/ui/notes.md",
        "/ui/backup.js~",
        "/ui/../secret.js",
        "/ui/..%2fsecret.js",
        "/ui/..%2Fsecret.js",
        "/ui/%2e%2e/secret.js",
        "/ui/%2e%2e%2fsecret.js",
        "/ui/../ui/app.js",
        "/ui/./app.js",
        "/ui//app.js",
        "/ui/app.js/",
        "/ui/app.js/.",
        "/ui/app.js%00",
        "/ui/app%2ejs",
        "/ui/APP.JS",
        "/ui/app.js ",
        "/ui/",
        "/ui",
        "/ui/ui/app.js",
        "/ui/%2fetc/passwd",
        "/ui//etc/passwd",
        "/ui/\\..\\secret.js",
        "/../secret.js",
        "/../../../../etc/passwd",
        "/..",
        "/.",
        "//",
        "//index.html",
        "/index.html/",
        "/index.html/..",
        "/%2e%2e/secret.js",
        "/secret.js",
        "/.hidden.js",
        "/link.js",
        "",
        "ui/app.js",
        "index.html",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        s_not_served (files, paths[i]);
    //  Under /ui/ everything is the UI's, answered 404 when unknown.
    ck_assert (nimbus_ui_files_claims (files, "/ui/../secret.js"));
    ck_assert (nimbus_ui_files_claims (files, "/ui"));
    nimbus_ui_files_destroy (&files);
    s_tree_destroy (&tree);
}
END_TEST

START_TEST (test_methods_and_etags)
{
    s_tree_t tree;
    s_tree_new (&tree);
    nimbus_ui_files_t *files = nimbus_ui_files_new (tree.dir);
    ck_assert_ptr_nonnull (files);
    const char *methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "TRACE", "get"};
    nimbus_http_reply_t reply;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        ck_assert_int_eq (s_answer (files, methods[i], "/ui/app.js", NULL, &reply), 405);
        ck_assert_str_eq (reply.allow, "GET, HEAD");
        free (reply.body);
        ck_assert_int_eq (s_answer (files, methods[i], "/ui/nothing.js", NULL, &reply), 405);
        free (reply.body);
    }
    ck_assert_int_eq (s_answer (files, "GET", "/ui/app.js", NULL, &reply), 200);
    char etag[32];
    snprintf (etag, sizeof etag, "%s", reply.etag);
    free (reply.body);
    //  Distinct contents, distinct tags.
    ck_assert_int_eq (s_answer (files, "GET", "/ui/squall.css", NULL, &reply), 200);
    ck_assert_str_ne (reply.etag, etag);
    free (reply.body);
    //  If-None-Match naming the tag (alone, weak, in a list, or "*"): 304, no body.
    char weak[40], list[80];
    snprintf (weak, sizeof weak, "W/%s", etag);
    snprintf (list, sizeof list, "\"0000000000000000\", %s", etag);
    const char *matching[] = {etag, weak, list, "*"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq (s_answer (files, "GET", "/ui/app.js", matching[i], &reply), 304);
        ck_assert_uint_eq (reply.size, 0);
        ck_assert_str_eq (reply.etag, etag);
        free (reply.body);
    }
    //  Another tag, a prefix of it, garbage: the file again.
    char prefix[32];
    snprintf (prefix, sizeof prefix, "%.10s", etag);
    const char *other[] = {"\"0000000000000000\"", prefix, "", ",,,", "W/", "\""};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        ck_assert_int_eq (s_answer (files, "GET", "/ui/app.js", other[i], &reply), 200);
        ck_assert_str_eq (reply.body, S_SCRIPT);
        free (reply.body);
    }
    nimbus_ui_files_destroy (&files);
    s_tree_destroy (&tree);
}
END_TEST

//  The ETag of path, without its quotes, into digits (17 bytes).
static void
s_version (nimbus_ui_files_t *files, const char *path, char *digits)
{
    nimbus_http_reply_t reply;
    ck_assert_int_eq (s_answer (files, "GET", path, NULL, &reply), 200);
    snprintf (digits, 17, "%s", reply.etag + 1);
    free (reply.body);
}

START_TEST (test_versioned_links)
{
    s_tree_t tree;
    s_tree_new (&tree);
    //  Links to kept files get their version; links to what is not kept,
    //  to pages, or not closed by a quote stay as they are.
    s_put (tree.dir, "linked.html",
           "<script src=\"/ui/app.js\" defer></script>"
           "<link rel=\"stylesheet\" href=\"/ui/squall.css\">"
           "<script src=\"/ui/missing.js\"></script>"
           "<a href=\"/ui/topology.html\">t</a>"
           "<script src=\"/ui/app.js?x\"></script>"
           "<script src=\"/ui/app.js\"></script>\"/ui/");
    nimbus_ui_files_t *files = nimbus_ui_files_new (tree.dir);
    ck_assert_ptr_nonnull (files);
    char app[17], style[17];
    s_version (files, "/ui/app.js", app);
    s_version (files, "/ui/squall.css", style);
    char expected[1024];
    snprintf (expected, sizeof expected,
              "<script src=\"/ui/app.js?v=%s\" defer></script>"
              "<link rel=\"stylesheet\" href=\"/ui/squall.css?v=%s\">"
              "<script src=\"/ui/missing.js\"></script>"
              "<a href=\"/ui/topology.html\">t</a>"
              "<script src=\"/ui/app.js?x\"></script>"
              "<script src=\"/ui/app.js?v=%s\"></script>\"/ui/",
              app, style, app);
    s_served (files, "/linked.html", expected, "text/html; charset=utf-8");
    ck_assert_uint_eq (nimbus_ui_files_bytes (files), strlen (S_INDEX) + strlen (S_TOPOLOGY) +
                                                          strlen (S_SCRIPT) + strlen (S_STYLE) +
                                                          strlen (expected));
    //  The page's ETag is that of what it serves.
    nimbus_http_reply_t reply;
    ck_assert_int_eq (s_answer (files, "GET", "/linked.html", NULL, &reply), 200);
    char hex[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (expected, strlen (expected), hex);
    ck_assert_int_eq (strncmp (reply.etag + 1, hex, 16), 0);
    free (reply.body);
    //  The current version may be cached for good; another one, or none,
    //  is revalidated.
    const char *versions[] = {app, "0000000000000000", "", style, NULL};
    for (size_t i = 0; i < 5; i++) {
        reply = (nimbus_http_reply_t){0};
        ck_assert_int_eq (
            nimbus_ui_files_answer (files, "GET", "/ui/app.js", versions[i], NULL, &reply), 200);
        ck_assert_str_eq (reply.cache_control,
                          i == 0 ? NIMBUS_UI_FILES_CACHE_VERSION : NIMBUS_UI_FILES_CACHE);
        free (reply.body);
    }
    nimbus_ui_files_destroy (&files);
    s_tree_destroy (&tree);
}
END_TEST

START_TEST (test_limits)
{
    //  No such directory, a file instead of one.
    ck_assert_ptr_null (nimbus_ui_files_new ("/nonexistent/squall/ui"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "/nonexistent/squall/ui"));
    ck_assert_ptr_null (nimbus_ui_files_new ("/etc/passwd"));
    s_tree_t tree;
    s_tree_new (&tree);
    //  No index.html.
    char path[512];
    snprintf (path, sizeof path, "%s/index.html", tree.dir);
    ck_assert_int_eq (unlink (path), 0);
    ck_assert_ptr_null (nimbus_ui_files_new (tree.dir));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "index.html"));
    s_put (tree.dir, "index.html", S_INDEX);
    nimbus_ui_files_t *files = nimbus_ui_files_new (tree.dir);
    ck_assert_ptr_nonnull (files);
    nimbus_ui_files_destroy (&files);
    //  A file larger than the budget (sparse: nothing is written).
    snprintf (path, sizeof path, "%s/huge.js", tree.dir);
    int fd = open (path, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (ftruncate (fd, NIMBUS_UI_FILES_MAX_BYTES + 1), 0);
    close (fd);
    ck_assert_ptr_null (nimbus_ui_files_new (tree.dir));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "bytes"));
    //  Exactly the budget, all files together, is fine.
    fd = open (path, O_WRONLY, 0600);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (
        ftruncate (fd, NIMBUS_UI_FILES_MAX_BYTES - (off_t) (strlen (S_INDEX) + strlen (S_TOPOLOGY) +
                                                            strlen (S_SCRIPT) + strlen (S_STYLE))),
        0);
    close (fd);
    files = nimbus_ui_files_new (tree.dir);
    ck_assert_msg (files != NULL, "%s", sq_last_error ());
    ck_assert_uint_eq (nimbus_ui_files_bytes (files), NIMBUS_UI_FILES_MAX_BYTES);
    nimbus_ui_files_destroy (&files);
    ck_assert_int_eq (unlink (path), 0);
    //  Too many files.
    for (int i = 0; i < NIMBUS_UI_FILES_MAX; i++) {
        char name[32];
        snprintf (name, sizeof name, "extra-%d.js", i);
        s_put (tree.dir, name, S_SCRIPT);
    }
    ck_assert_ptr_null (nimbus_ui_files_new (tree.dir));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "files"));
    s_tree_destroy (&tree);
}
END_TEST

START_TEST (test_random_paths)
{
    s_tree_t tree;
    s_tree_new (&tree);
    nimbus_ui_files_t *files = nimbus_ui_files_new (tree.dir);
    ck_assert_ptr_nonnull (files);
    const char *pieces[] = {
        "/",   "ui",     "ui/",   "..",    ".",         "%2e",     "%2f",       "%2F",
        "%00", "app.js", "index", ".html", "secret.js", "link.js", "sub.js",    "topology.html",
        "//",  "\\",     "%",     "?",     "#",         "a b.js",  ".hidden.js"};
    size_t count = sizeof pieces / sizeof pieces[0];
    //  What may be answered 200, and with what.
    struct {
        const char *path;
        const char *body;
    } allowed[] = {{"/", S_INDEX},
                   {"/index.html", S_INDEX},
                   {"/ui/index.html", S_INDEX},
                   {"/topology.html", S_TOPOLOGY},
                   {"/ui/topology.html", S_TOPOLOGY},
                   {"/ui/app.js", S_SCRIPT},
                   {"/ui/squall.css", S_STYLE}};
    int served = 0, refused = 0, passed = 0;
    s_rng = s_seed;
    for (int round = 0; round < 20000; round++) {
        char path[256] = "";
        int parts = 1 + (int) s_below (6);
        if (s_below (4) > 0)
            strcat (path, s_below (2) ? "/ui/" : "/");
        for (int i = 0; i < parts; i++)
            strcat (path, pieces[s_below (count)]);
        if (!nimbus_ui_files_claims (files, path)) {
            passed++;
            continue;
        }
        nimbus_http_reply_t reply;
        int status = s_answer (files, "GET", path, NULL, &reply);
        ck_assert_ptr_null (strstr (reply.body, "secret"));
        if (status == 200) {
            bool known = false;
            for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
                if (strcmp (path, allowed[i].path) == 0) {
                    ck_assert_str_eq (reply.body, allowed[i].body);
                    known = true;
                }
            ck_assert_msg (known, "served %s", path);
            served++;
        } else {
            ck_assert_int_eq (status, 404);
            refused++;
        }
        free (reply.body);
    }
    printf ("test_random_paths: served=%d refused=%d passed=%d\n", served, refused, passed);
    fflush (stdout);
    ck_assert_int_ge (served, 50);
    ck_assert_int_ge (refused, 1000);
    ck_assert_int_ge (passed, 1000);
    nimbus_ui_files_destroy (&files);
    s_tree_destroy (&tree);
}
END_TEST

int
main (void)
{
    const char *seed = getenv ("SQ_TEST_SEED");
    if (seed)
        s_seed = strtoull (seed, NULL, 0);
    printf ("test_nimbus_ui_files: SQ_TEST_SEED=0x%016" PRIx64 "\n", s_seed);
    Suite *suite = suite_create ("nimbus_ui_files");
    TCase *tcase = tcase_create ("files");
    tcase_add_test (tcase, test_served);
    tcase_add_test (tcase, test_hostile_paths);
    tcase_add_test (tcase, test_methods_and_etags);
    tcase_add_test (tcase, test_versioned_links);
    tcase_add_test (tcase, test_limits);
    tcase_add_test (tcase, test_random_paths);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
