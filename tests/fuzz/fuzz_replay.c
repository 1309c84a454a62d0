/*  fuzz_replay - runs a fuzz target over every file of its seed corpus

    `make check` builds each fuzz target with this main instead of
    libFuzzer and runs it over tests/fuzz/corpus/<target>: inputs that once
    mattered (seeds and every crash, hang or leak found) keep being
    checked on every build, under the sanitizers when they are on.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (void)
{
    const char *top = getenv ("top_srcdir");
    char dir[4096];
    snprintf (dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_CORPUS);
    DIR *corpus = opendir (dir);
    if (!corpus) {
        fprintf (stderr, "fuzz_replay: cannot open corpus %s\n", dir);
        return 1;
    }
    int replayed = 0;
    struct dirent *entry;
    while ((entry = readdir (corpus))) {
        if (entry->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        FILE *file = fopen (path, "rb");
        if (!file)
            continue;
        static uint8_t data[1 << 20];
        size_t size = fread (data, 1, sizeof data, file);
        fclose (file);
        //  A copy of exactly the input's size, so reading past it is caught.
        uint8_t *input = malloc (size ? size : 1);
        memcpy (input, data, size);
        LLVMFuzzerTestOneInput (input, size);
        free (input);
        replayed++;
    }
    closedir (corpus);
    printf ("%d passed, 0 failed\n", replayed);
    return replayed > 0 ? 0 : 1;
}
