/*  test_tempdir - a temporary directory per test, for suites that write files

    test_tempdir_make fills dir with a new directory under $TMPDIR (or
    /tmp) named after prefix; test_tempdir_remove removes it and all it
    holds. Both fail the test when they cannot.
*/
#ifndef TEST_TEMPDIR_H_INCLUDED
#define TEST_TEMPDIR_H_INCLUDED

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline void
test_tempdir_make (char *dir, size_t size, const char *prefix)
{
    snprintf (dir, size, "%s/%s-XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp", prefix);
    ck_assert_msg (mkdtemp (dir), "cannot make %s", dir);
}

static inline void
test_tempdir_remove (const char *dir)
{
    char command[1024];
    snprintf (command, sizeof command, "rm -rf '%s'", dir);
    ck_assert_int_eq (system (command), 0);
}

#endif
