/*  fuzz_replay - runs a fuzz target over every file of its seed corpus

    `make check` builds each fuzz target with this main instead of
    libFuzzer and runs it over tests/fuzz/corpus/<target>: inputs that once
    mattered (seeds and every crash, hang or leak found) keep being
    checked on every build, under the sanitizers when they are on.

    DESIGN: each input runs in a child process, on a copy that ends at an
    inaccessible page (tests/unit/test_guard.h), so reading one byte past
    the input faults in a plain build too, and one bad input does not
    hide the others. The child fails when the target dies (a signal: an
    over-read, a failed FUZZ_REQUIRE, a sanitizer's report), takes longer
    than S_INPUT_SECONDS, exits non-zero (LeakSanitizer does on a leak), or
    when the target's verdict (fuzz_target.h) is not the one the file's
    name promises: "<verdict>-<what it is>". The replay prints one line
    per input and "N passed, M failed" last, and fails when any input
    failed or the corpus held no input at all.
*/
#include "../unit/test_guard.h"
#include "fuzz_target.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#define S_INPUT_SECONDS 20 //  one input's time limit (hangs are failures)
#define S_REPORTED 3       //  a child's exit status: failed, and said why

//  The whole file at path, its size in *size_p; NULL when it cannot be
//  read. Caller frees.
static uint8_t *
s_read_file (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    size_t size = 0, room = 4096;
    uint8_t *data = malloc (room);
    while (data) {
        size += fread (data + size, 1, room - size, file);
        if (size < room)
            break;
        uint8_t *bigger = realloc (data, room *= 2);
        if (!bigger)
            free (data);
        data = bigger;
    }
    bool failed = ferror (file);
    fclose (file);
    if (failed) {
        free (data);
        return NULL;
    }
    *size_p = size;
    return data;
}

//  In the child: runs the target over a guarded copy of the input (and
//  frees data, so that LeakSanitizer sees only the target's leaks), then
//  compares its verdict with the one the file's name promises. Returns
//  the child's exit status: 0, or S_REPORTED with the failure printed.
static int
s_replay_one (const char *name, uint8_t *data, size_t size)
{
    alarm (S_INPUT_SECONDS);
    const uint8_t *copy = test_guard_copy (data, size);
    free (data);
    LLVMFuzzerTestOneInput (copy, size);
    test_guard_free (&copy, size);
    const char *verdict = fuzz_verdict[0] ? fuzz_verdict : "bad";
    const char *dash = strchr (name, '-');
    if (!dash) {
        printf ("FAIL %s/%s (%zu bytes): the name does not say what it is: call it '%s-...'\n",
                FUZZ_CORPUS, name, size, verdict);
        return S_REPORTED;
    }
    size_t promised = (size_t) (dash - name);
    if (strlen (verdict) != promised || memcmp (name, verdict, promised) != 0) {
        printf ("FAIL %s/%s (%zu bytes): named for '%.*s' but decoded as '%s'\n", FUZZ_CORPUS, name,
                size, (int) promised, name, verdict);
        return S_REPORTED;
    }
    return 0;
}

//  Replays one corpus file in a child; prints its result line. Returns
//  true when it passed.
static bool
s_replay_file (const char *dir, const char *name)
{
    char path[8192];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    size_t size = 0;
    uint8_t *data = s_read_file (path, &size);
    if (!data) {
        printf ("FAIL %s/%s: cannot read it\n", FUZZ_CORPUS, name);
        return false;
    }
    fflush (stdout);
    fflush (stderr);
    pid_t child = fork ();
    if (child == 0)
        exit (s_replay_one (name, data, size)); //  exit, not _exit: LeakSanitizer runs
    free (data);                                //  the parent's copy
    int status = 0;
    if (child < 0 || waitpid (child, &status, 0) != child) {
        printf ("FAIL %s/%s: cannot run a child: %s\n", FUZZ_CORPUS, name, strerror (errno));
        return false;
    }
    if (WIFEXITED (status) && WEXITSTATUS (status) == 0) {
        printf ("PASS %s/%s (%zu bytes)\n", FUZZ_CORPUS, name, size);
        return true;
    }
    if (WIFEXITED (status) && WEXITSTATUS (status) == S_REPORTED)
        return false;
    if (WIFSIGNALED (status))
        printf ("FAIL %s/%s (%zu bytes): killed by signal %d (%s)%s\n", FUZZ_CORPUS, name, size,
                WTERMSIG (status), strsignal (WTERMSIG (status)),
                WTERMSIG (status) == SIGALRM ? ": took too long" : "");
    else
        printf ("FAIL %s/%s (%zu bytes): exit status %d (a sanitizer's report above?)\n",
                FUZZ_CORPUS, name, size, WEXITSTATUS (status));
    return false;
}

static int
s_visible (const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

int
main (void)
{
    const char *top = getenv ("top_srcdir");
    char dir[4096];
    snprintf (dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_CORPUS);
    struct dirent **entries = NULL;
    int count = scandir (dir, &entries, s_visible, alphasort);
    if (count < 0) {
        printf ("FAIL %s: cannot read the corpus %s: %s\n", FUZZ_CORPUS, dir, strerror (errno));
        printf ("0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0;
    for (int i = 0; i < count; i++) {
        if (s_replay_file (dir, entries[i]->d_name))
            passed++;
        else
            failed++;
        free (entries[i]);
    }
    free (entries);
    if (count == 0) {
        printf ("FAIL %s: the corpus %s holds no input\n", FUZZ_CORPUS, dir);
        failed++;
    }
    printf ("replayed %d inputs of %s from %s\n", count, FUZZ_CORPUS, dir);
    printf ("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
