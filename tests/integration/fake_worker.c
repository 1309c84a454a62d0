/*  fake_worker - a stand-in for squall-worker in the supervisor's tests

    fake_worker --config FILE --topology NAME --id ID --supervisor ID
                --port PORT --package PATH

    Behaves as a worker does towards its supervisor, and nothing more: it
    touches workers/<port>/heartbeat every 100 ms, next to the supervisor's
    config.json (<storm.local.dir>/supervisor/config.json). It records what
    the test checks in that directory: its arguments, one per line, in
    `argv`, and its pid appended to `starts`. Files the test creates there
    change its behaviour: `hang` stops the heartbeats, `ignore-term` makes
    it ignore SIGTERM. It exits by itself when the directory goes away or
    after 5 minutes, so a broken test cannot leave it running for long.
*/
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIFETIME_SECS 300 //  longest run, in case a test leaves us behind

static bool
s_exists (const char *dir, const char *name)
{
    char path[8192];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    return access (path, F_OK) == 0;
}

int
main (int argc, char *argv[])
{
    const char *config = NULL, *port = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp (argv[i], "--config") == 0)
            config = argv[i + 1];
        else if (strcmp (argv[i], "--port") == 0)
            port = argv[i + 1];
    }
    if (!config || !port) {
        fprintf (stderr, "fake_worker: --config and --port are required\n");
        return 2;
    }
    char copy[2048], dir[4096], path[8192];
    snprintf (copy, sizeof copy, "%s", config);
    snprintf (dir, sizeof dir, "%s/workers/%s", dirname (copy), port);

    //  Before argv appears: the test takes argv as the sign that this worker
    //  is set up, and may send SIGTERM right after.
    if (s_exists (dir, "ignore-term"))
        signal (SIGTERM, SIG_IGN);
    snprintf (path, sizeof path, "%s/argv.tmp", dir);
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, "fake_worker: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    for (int i = 1; i < argc; i++)
        fprintf (file, "%s\n", argv[i]);
    fclose (file);
    char final[8192];
    snprintf (final, sizeof final, "%s/argv", dir);
    rename (path, final);
    snprintf (path, sizeof path, "%s/starts", dir);
    file = fopen (path, "a");
    if (file) {
        fprintf (file, "%d\n", (int) getpid ());
        fclose (file);
    }
    printf ("fake_worker pid=%d port=%s started\n", (int) getpid (), port);
    fflush (stdout);

    snprintf (path, sizeof path, "%s/heartbeat", dir);
    time_t start = time (NULL);
    struct stat info;
    while (stat (dir, &info) == 0 && time (NULL) - start < LIFETIME_SECS) {
        if (!s_exists (dir, "hang")) {
            file = fopen (path, "w");
            if (file)
                fclose (file);
        }
        usleep (100 * 1000);
    }
    return 0;
}
