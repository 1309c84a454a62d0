/*  test_package - package archives (sq_archive) and package forms (sq_package)

    Hostile archives are written with libarchive's writer, each holding
    what a stranger might send: absolute names, '..' escapes, links,
    devices, fifos, too many entries, too many bytes, duplicates, and
    truncated or garbage files. Each must be refused with a message naming
    the archive and the entry, and nothing may appear outside the target
    directory.
*/
#include "sq_archive.h"
#include "sq_error.h"
#include "sq_package.h"
#include "sq_topology.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

//  A scratch directory per test, removed by s_teardown.
static char s_scratch[64];

static void
s_setup (void)
{
    snprintf (s_scratch, sizeof s_scratch, "/tmp/squall-test-package-XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (s_scratch));
}

static void
s_teardown (void)
{
    ck_assert_int_eq (sq_archive_remove_tree (s_scratch), 0);
}

//  s_scratch/relative, in one of four static buffers taken in turn (so a
//  call may pass up to four).
static const char *
s_at (const char *relative)
{
    static char paths[4][PATH_MAX];
    static int next = 0;
    char *path = paths[next++ % 4];
    snprintf (path, PATH_MAX, "%s/%s", s_scratch, relative);
    return path;
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
}

//  Contents of the file at path (up to 4 KB), in a new string.
static char *
s_read (const char *path)
{
    char *text = calloc (1, 4097);
    int fd = open (path, O_RDONLY);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_ge (read (fd, text, 4096), 0);
    close (fd);
    return text;
}

static mode_t
s_mode (const char *path)
{
    struct stat info;
    ck_assert_int_eq (lstat (path, &info), 0);
    return info.st_mode & 07777;
}

//  Number of entries in directory path, "." and ".." aside.
static int
s_count (const char *path)
{
    DIR *dir = opendir (path);
    ck_assert_ptr_nonnull (dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        count += strcmp (entry->d_name, ".") && strcmp (entry->d_name, "..");
    closedir (dir);
    return count;
}

//  One entry of a hand-made archive.
typedef struct {
    const char *name;     //  path in the archive
    unsigned type;        //  AE_IFREG, AE_IFDIR, AE_IFLNK, ...
    const char *data;     //  regular files: contents
    const char *link;     //  symbolic links: target
    const char *hardlink; //  hard links: the entry linked to
} s_entry_t;

//  Write entries (up to one with a NULL name) as a gzip'd tar, or a zip,
//  at path.
static void
s_make_archive (const char *path, const s_entry_t *entries, bool zip)
{
    struct archive *archive = archive_write_new ();
    if (zip)
        ck_assert_int_eq (archive_write_set_format_zip (archive), ARCHIVE_OK);
    else {
        ck_assert_int_eq (archive_write_add_filter_gzip (archive), ARCHIVE_OK);
        ck_assert_int_eq (archive_write_set_format_pax_restricted (archive), ARCHIVE_OK);
    }
    ck_assert_int_eq (archive_write_open_filename (archive, path), ARCHIVE_OK);
    for (const s_entry_t *e = entries; e->name; e++) {
        struct archive_entry *entry = archive_entry_new ();
        archive_entry_set_pathname (entry, e->name);
        archive_entry_set_filetype (entry, e->type);
        archive_entry_set_perm (entry, 0644);
        if (e->link)
            archive_entry_set_symlink (entry, e->link);
        if (e->hardlink)
            archive_entry_set_hardlink (entry, e->hardlink);
        if (e->type == AE_IFCHR)
            archive_entry_set_rdev (entry, makedev (1, 3));
        size_t size = e->data ? strlen (e->data) : 0;
        archive_entry_set_size (entry, (la_int64_t) size);
        ck_assert_int_eq (archive_write_header (archive, entry), ARCHIVE_OK);
        if (size)
            ck_assert_int_eq (archive_write_data (archive, e->data, size), (la_ssize_t) size);
        archive_entry_free (entry);
    }
    ck_assert_int_eq (archive_write_close (archive), ARCHIVE_OK);
    archive_write_free (archive);
}

//  Extract the archive at s_scratch/bad.tgz into s_scratch/out (new) and
//  expect the refusal to name the archive and to contain each of words.
//  Checks nothing besides the archive and out/ appeared in s_scratch.
static void
s_expect_refused (const sq_archive_limits_t *limits, const char *word1, const char *word2)
{
    char archive[PATH_MAX], out[PATH_MAX];
    snprintf (archive, sizeof archive, "%s", s_at ("bad.tgz"));
    snprintf (out, sizeof out, "%s", s_at ("out"));
    ck_assert_int_eq (mkdir (out, 0700), 0);
    ck_assert_int_eq (sq_archive_extract (archive, out, limits), -1);
    const char *error = sq_last_error ();
    ck_assert_msg (strstr (error, archive), "'%s' does not name the archive", error);
    ck_assert_msg (strstr (error, word1), "'%s' lacks '%s'", error, word1);
    ck_assert_msg (!word2 || strstr (error, word2), "'%s' lacks '%s'", error, word2);
    ck_assert_int_eq (s_count (s_scratch), 2);
    ck_assert_int_eq (sq_archive_remove_tree (out), 0);
    unlink (archive);
}

//  A package directory under s_scratch/name: a regular file called
//  topo.so, resources/words.txt and an executable resources/bin/run.sh.
static void
s_make_tree (const char *name)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", s_scratch, name);
    ck_assert_int_eq (mkdir (path, 0755), 0);
    snprintf (path, sizeof path, "%s/%s/resources", s_scratch, name);
    ck_assert_int_eq (mkdir (path, 0755), 0);
    snprintf (path, sizeof path, "%s/%s/resources/bin", s_scratch, name);
    ck_assert_int_eq (mkdir (path, 0755), 0);
    snprintf (path, sizeof path, "%s/%s/topo.so", s_scratch, name);
    s_write (path, "not really ELF", 0644);
    snprintf (path, sizeof path, "%s/%s/resources/words.txt", s_scratch, name);
    s_write (path, "apple pear\n", 0644);
    snprintf (path, sizeof path, "%s/%s/resources/bin/run.sh", s_scratch, name);
    s_write (path, "#!/bin/sh\necho hi\n", 0755);
}

START_TEST (test_pack_and_extract)
{
    s_make_tree ("tree");
    char archive[PATH_MAX], again[PATH_MAX], out[PATH_MAX];
    snprintf (archive, sizeof archive, "%s", s_at ("tree.tgz"));
    snprintf (again, sizeof again, "%s", s_at ("again.tgz"));
    snprintf (out, sizeof out, "%s", s_at ("out"));
    ck_assert_int_eq (sq_archive_pack (s_at ("tree"), archive), 0);
    ck_assert_int_eq (s_mode (archive), 0600);
    //  The same tree packs to the same bytes, whatever its times.
    ck_assert_int_eq (sq_archive_pack (s_at ("tree"), again), 0);
    char *first = s_read (archive), *second = s_read (again);
    ck_assert_mem_eq (first, second, 4096);
    free (first);
    free (second);

    ck_assert_int_eq (mkdir (out, 0700), 0);
    ck_assert_int_eq (sq_archive_extract (archive, out, NULL), 0);
    char *text = s_read (s_at ("out/resources/words.txt"));
    ck_assert_str_eq (text, "apple pear\n");
    free (text);
    text = s_read (s_at ("out/topo.so"));
    ck_assert_str_eq (text, "not really ELF");
    free (text);
    ck_assert_int_eq (s_mode (s_at ("out/resources")), 0700);
    ck_assert_int_eq (s_mode (s_at ("out/resources/bin")), 0700);
    ck_assert_int_eq (s_mode (s_at ("out/resources/words.txt")), 0600);
    ck_assert_int_eq (s_mode (s_at ("out/resources/bin/run.sh")), 0700);
    ck_assert_int_eq (s_count (out), 2);

    //  Not a directory, a link inside: refused, and no archive left.
    ck_assert_int_eq (sq_archive_pack (s_at ("tree/topo.so"), s_at ("x.tgz")), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "not a directory"));
    ck_assert_int_eq (symlink ("/etc/passwd", s_at ("tree/resources/passwd")), 0);
    ck_assert_int_eq (sq_archive_pack (s_at ("tree"), s_at ("x.tgz")), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "resources/passwd"));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "only regular files and directories"));
    ck_assert_int_eq (access (s_at ("x.tgz"), F_OK), -1);
}
END_TEST

START_TEST (test_zip_and_plain_tar)
{
    s_entry_t entries[] = {{"resources/", AE_IFDIR, NULL, NULL, NULL},
                           {"resources/a.txt", AE_IFREG, "zip data", NULL, NULL},
                           {NULL, 0, NULL, NULL, NULL}};
    s_make_archive (s_at ("p.zip"), entries, true);
    ck_assert_int_eq (mkdir (s_at ("out"), 0700), 0);
    ck_assert_int_eq (sq_archive_extract (s_at ("p.zip"), s_at ("out"), NULL), 0);
    char *text = s_read (s_at ("out/resources/a.txt"));
    ck_assert_str_eq (text, "zip data");
    free (text);

    //  An uncompressed tar, with "./" names.
    struct archive *archive = archive_write_new ();
    ck_assert_int_eq (archive_write_set_format_ustar (archive), ARCHIVE_OK);
    ck_assert_int_eq (archive_write_open_filename (archive, s_at ("p.tar")), ARCHIVE_OK);
    struct archive_entry *entry = archive_entry_new ();
    archive_entry_set_pathname (entry, "./b.txt");
    archive_entry_set_filetype (entry, AE_IFREG);
    archive_entry_set_perm (entry, 0644);
    archive_entry_set_size (entry, 3);
    ck_assert_int_eq (archive_write_header (archive, entry), ARCHIVE_OK);
    ck_assert_int_eq (archive_write_data (archive, "tar", 3), 3);
    archive_entry_free (entry);
    archive_write_close (archive);
    archive_write_free (archive);
    ck_assert_int_eq (sq_archive_extract (s_at ("p.tar"), s_at ("out"), NULL), 0);
    text = s_read (s_at ("out/b.txt"));
    ck_assert_str_eq (text, "tar");
    free (text);

    //  What the supervisor unpacks: archives, not other files.
    ck_assert (sq_archive_probe (s_at ("p.tar")));
    ck_assert (sq_archive_probe (s_at ("p.zip")));
    ck_assert_int_eq (sq_archive_pack (s_at ("out"), s_at ("p.tgz")), 0);
    ck_assert (sq_archive_probe (s_at ("p.tgz")));
    ck_assert (!sq_archive_probe (s_at ("out/b.txt")));
    ck_assert (!sq_archive_probe (s_at ("missing")));
}
END_TEST

START_TEST (test_hostile_names)
{
    char absolute[PATH_MAX];
    snprintf (absolute, sizeof absolute, "%s/absolute.txt", s_scratch);
    s_entry_t absolute_entry[] = {{absolute, AE_IFREG, "x", NULL, NULL}, {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), absolute_entry, false);
    s_expect_refused (NULL, absolute, "absolute path");
    ck_assert_int_eq (access (absolute, F_OK), -1);

    s_entry_t escape[] = {{"ok.txt", AE_IFREG, "fine", NULL, NULL},
                          {"../escape.txt", AE_IFREG, "x", NULL, NULL},
                          {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), escape, false);
    s_expect_refused (NULL, "'../escape.txt'", "'..' component");

    s_entry_t deeper[] = {{"a/b/../../../escape.txt", AE_IFREG, "x", NULL, NULL},
                          {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), deeper, false);
    s_expect_refused (NULL, "'a/b/../../../escape.txt'", "'..' component");

    s_entry_t twice[] = {{"same.txt", AE_IFREG, "one", NULL, NULL},
                         {"same.txt", AE_IFREG, "two", NULL, NULL},
                         {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), twice, false);
    s_expect_refused (NULL, "'same.txt'", "twice");

    s_entry_t through_file[] = {{"f", AE_IFREG, "file", NULL, NULL},
                                {"f/inside.txt", AE_IFREG, "x", NULL, NULL},
                                {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), through_file, false);
    s_expect_refused (NULL, "'f/inside.txt'", "in the way");
}
END_TEST

START_TEST (test_hostile_kinds)
{
    s_entry_t symbolic[] = {{"resources/", AE_IFDIR, NULL, NULL, NULL},
                            {"resources/out", AE_IFLNK, NULL, "/tmp", NULL},
                            {"resources/out/planted.txt", AE_IFREG, "x", NULL, NULL},
                            {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), symbolic, false);
    s_expect_refused (NULL, "'resources/out'", "symbolic link");
    ck_assert_int_eq (access ("/tmp/planted.txt", F_OK), -1);

    s_entry_t hard[] = {{"passwd", AE_IFREG, NULL, NULL, "/etc/passwd"}, {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), hard, false);
    s_expect_refused (NULL, "'passwd'", "hard link");

    s_entry_t device[] = {{"null", AE_IFCHR, NULL, NULL, NULL}, {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), device, false);
    s_expect_refused (NULL, "'null'", "is a device");

    s_entry_t block[] = {{"disk", AE_IFBLK, NULL, NULL, NULL}, {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), block, false);
    s_expect_refused (NULL, "'disk'", "is a device");

    s_entry_t fifo[] = {{"pipe", AE_IFIFO, NULL, NULL, NULL}, {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), fifo, false);
    s_expect_refused (NULL, "'pipe'", "is a fifo");
}
END_TEST

START_TEST (test_limits)
{
    s_entry_t many[] = {{"1", AE_IFREG, "a", NULL, NULL},
                        {"2", AE_IFREG, "b", NULL, NULL},
                        {"3", AE_IFREG, "c", NULL, NULL},
                        {"4", AE_IFREG, "d", NULL, NULL},
                        {NULL, 0, 0, 0, 0}};
    sq_archive_limits_t three = {1000, 3};
    s_make_archive (s_at ("bad.tgz"), many, false);
    s_expect_refused (&three, "more than 3 entries", "'4'");

    char big[2001];
    memset (big, 'z', 2000);
    big[2000] = 0;
    s_entry_t large[] = {{"small", AE_IFREG, "tiny", NULL, NULL},
                         {"big", AE_IFREG, big, NULL, NULL},
                         {NULL, 0, 0, 0, 0}};
    sq_archive_limits_t kilobyte = {1000, 100};
    s_make_archive (s_at ("bad.tgz"), large, false);
    s_expect_refused (&kilobyte, "more than 1000 bytes", "'big'");

    //  The same archives fit the default limits.
    s_make_archive (s_at ("ok.tgz"), large, false);
    ck_assert_int_eq (mkdir (s_at ("fits"), 0700), 0);
    ck_assert_int_eq (sq_archive_extract (s_at ("ok.tgz"), s_at ("fits"), NULL), 0);
}
END_TEST

START_TEST (test_corrupt)
{
    //  Garbage.
    s_write (s_at ("bad.tgz"), "this is no archive at all, just some text", 0600);
    s_expect_refused (NULL, "not a tar, tar.gz or zip archive", NULL);

    //  A valid archive cut short in its second file's data.
    char big[30001];
    for (int i = 0; i < 30000; i++)
        big[i] = (char) ('a' + (i * 7919) % 26);
    big[30000] = 0;
    s_entry_t entries[] = {{"first", AE_IFREG, "one", NULL, NULL},
                           {"second", AE_IFREG, big, NULL, NULL},
                           {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("whole.tgz"), entries, false);
    struct stat info;
    ck_assert_int_eq (stat (s_at ("whole.tgz"), &info), 0);
    char *bytes = malloc ((size_t) info.st_size);
    int fd = open (s_at ("whole.tgz"), O_RDONLY);
    ck_assert_int_eq (read (fd, bytes, (size_t) info.st_size), info.st_size);
    close (fd);
    unlink (s_at ("whole.tgz"));
    fd = open (s_at ("bad.tgz"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_eq (write (fd, bytes, (size_t) info.st_size * 2 / 3),
                      (ssize_t) (info.st_size * 2 / 3));
    close (fd);
    free (bytes);
    s_expect_refused (NULL, "corrupt or truncated", NULL);

    //  Missing target directory.
    s_write (s_at ("bad.tgz"), "x", 0600);
    ck_assert_int_eq (sq_archive_extract (s_at ("bad.tgz"), s_at ("nowhere"), NULL), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "nowhere"));
}
END_TEST

START_TEST (test_remove_tree_follows_no_link)
{
    //  A tree holding links to a directory and a file outside it.
    ck_assert_int_eq (mkdir (s_at ("outside"), 0700), 0);
    s_write (s_at ("outside/keep.txt"), "keep", 0600);
    ck_assert_int_eq (mkdir (s_at ("tree"), 0700), 0);
    ck_assert_int_eq (mkdir (s_at ("tree/sub"), 0700), 0);
    s_write (s_at ("tree/sub/file"), "x", 0600);
    ck_assert_int_eq (symlink (s_at ("outside"), s_at ("tree/sub/dirlink")), 0);
    ck_assert_int_eq (symlink (s_at ("outside/keep.txt"), s_at ("tree/filelink")), 0);
    ck_assert_int_eq (sq_archive_remove_tree (s_at ("tree")), 0);
    ck_assert_int_eq (access (s_at ("tree"), F_OK), -1);
    char *text = s_read (s_at ("outside/keep.txt"));
    ck_assert_str_eq (text, "keep");
    free (text);
    //  A link given as the tree: the link goes, not its target.
    ck_assert_int_eq (symlink (s_at ("outside"), s_at ("link")), 0);
    ck_assert_int_eq (sq_archive_remove_tree (s_at ("link")), 0);
    ck_assert_int_eq (s_count (s_at ("outside")), 1);
    ck_assert_int_eq (sq_archive_remove_tree (s_at ("missing")), 0);
    ck_assert_int_eq (sq_archive_remove_tree (NULL), 0);
}
END_TEST

//  Path of the built word count package.
static char *
s_wordcount (void)
{
    const char *top = getenv ("top_builddir");
    char *path = malloc (PATH_MAX);
    snprintf (path, PATH_MAX, "%s/topologies/.libs/wordcount.so", top ? top : ".");
    return path;
}

//  Copy the file at from to to.
static void
s_copy (const char *from, const char *to)
{
    int in = open (from, O_RDONLY);
    int out = open (to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge (in, 0);
    ck_assert_int_ge (out, 0);
    char buffer[65536];
    ssize_t got;
    while ((got = read (in, buffer, sizeof buffer)) > 0)
        ck_assert_int_eq (write (out, buffer, (size_t) got), got);
    close (in);
    close (out);
}

START_TEST (test_package_forms)
{
    char *wordcount = s_wordcount ();
    ck_assert_int_eq (mkdir (s_at ("pkg"), 0755), 0);
    ck_assert_int_eq (mkdir (s_at ("pkg/resources"), 0755), 0);
    s_copy (wordcount, s_at ("pkg/wordcount.so"));
    s_write (s_at ("pkg/resources/words.txt"), "apple\n", 0644);
    char *real = realpath (s_scratch, NULL);
    char expected[PATH_MAX];

    //  A bare shared object: no resources, its directory.
    sq_package_t *package = sq_package_open (s_at ("pkg/wordcount.so"));
    ck_assert_ptr_nonnull (package);
    snprintf (expected, sizeof expected, "%s/pkg", real);
    ck_assert_str_eq (sq_package_dir (package), expected);
    sq_topology_t *topology = sq_package_build (package, NULL);
    ck_assert_ptr_nonnull (topology);
    ck_assert_ptr_null (sq_topology_resources_dir (topology));
    sq_topology_destroy (&topology);
    sq_package_destroy (&package);

    //  The directory.
    package = sq_package_open (s_at ("pkg"));
    ck_assert_ptr_nonnull (package);
    ck_assert_str_eq (sq_package_dir (package), expected);
    topology = sq_package_build (package, NULL);
    ck_assert_ptr_nonnull (topology);
    snprintf (expected, sizeof expected, "%s/pkg/resources", real);
    ck_assert_str_eq (sq_topology_resources_dir (topology), expected);
    ck_assert_int_eq (sq_topology_validate (topology), 0);
    sq_topology_destroy (&topology);
    sq_package_destroy (&package);

    //  Its archive, unpacked under $TMPDIR and removed on destroy.
    ck_assert_int_eq (sq_archive_pack (s_at ("pkg"), s_at ("pkg.tgz")), 0);
    ck_assert_int_eq (mkdir (s_at ("tmp"), 0700), 0);
    setenv ("TMPDIR", s_at ("tmp"), 1);
    package = sq_package_open (s_at ("pkg.tgz"));
    unsetenv ("TMPDIR");
    ck_assert_ptr_nonnull (package);
    char *dir = strdup (sq_package_dir (package));
    ck_assert_ptr_nonnull (strstr (dir, "/tmp/squall-package-"));
    ck_assert_int_eq (s_mode (dir), 0700);
    topology = sq_package_build (package, NULL);
    ck_assert_ptr_nonnull (topology);
    char words[PATH_MAX];
    snprintf (words, sizeof words, "%s/words.txt", sq_topology_resources_dir (topology));
    char *text = s_read (words);
    ck_assert_str_eq (text, "apple\n");
    free (text);
    sq_topology_destroy (&topology);
    sq_package_destroy (&package);
    ck_assert_int_eq (access (dir, F_OK), -1);
    ck_assert_int_eq (s_count (s_at ("tmp")), 0);
    free (dir);

    //  Two shared objects, or none.
    s_copy (wordcount, s_at ("pkg/other.so"));
    ck_assert_ptr_null (sq_package_open (s_at ("pkg")));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "holds 2 shared objects"));
    unlink (s_at ("pkg/other.so"));
    unlink (s_at ("pkg/wordcount.so"));
    ck_assert_ptr_null (sq_package_open (s_at ("pkg")));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "holds no shared object"));

    //  A hostile archive: refused, its temporary directory gone.
    s_entry_t escape[] = {{"../x.so", AE_IFREG, "x", NULL, NULL}, {NULL, 0, 0, 0, 0}};
    s_make_archive (s_at ("bad.tgz"), escape, false);
    setenv ("TMPDIR", s_at ("tmp"), 1);
    ck_assert_ptr_null (sq_package_open (s_at ("bad.tgz")));
    unsetenv ("TMPDIR");
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "'../x.so'"));
    ck_assert_int_eq (s_count (s_at ("tmp")), 0);
    free (real);
    free (wordcount);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("package");
    TCase *tcase = tcase_create ("archives");
    tcase_add_checked_fixture (tcase, s_setup, s_teardown);
    tcase_add_test (tcase, test_pack_and_extract);
    tcase_add_test (tcase, test_zip_and_plain_tar);
    tcase_add_test (tcase, test_hostile_names);
    tcase_add_test (tcase, test_hostile_kinds);
    tcase_add_test (tcase, test_limits);
    tcase_add_test (tcase, test_corrupt);
    tcase_add_test (tcase, test_package_forms);
    tcase_add_test (tcase, test_remove_tree_follows_no_link);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
