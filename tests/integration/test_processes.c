/*  test_processes - ports, clock and clean-up for integration tests */
#include "test_processes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int
test_processes_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &address, sizeof address) == 0
        && getsockname (fd, (struct sockaddr *) &address, &length) == 0)
        port = ntohs (address.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

long long
test_processes_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

bool
test_processes_alive (int pid)
{
    if (pid <= 0)
        return false;
    char path[64], buffer[512];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    size_t size = fread (buffer, 1, sizeof buffer - 1, file);
    fclose (file);
    buffer[size] = 0;
    //  The state follows the command name, which is in parentheses.
    const char *close = strrchr (buffer, ')');
    return !(close && (close[2] == 'Z' || close[2] == 'X'));
}

void
test_processes_kill_mentioning (const char *text, const char *spare)
{
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    while (proc && (entry = readdir (proc))) {
        pid_t pid = (pid_t) atoi (entry->d_name);
        if (pid <= 0 || pid == getpid ())
            continue;
        char path[64], cmdline[8192];
        snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
        int fd = open (path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t size = read (fd, cmdline, sizeof cmdline - 1);
        close (fd);
        for (ssize_t i = 0; i < size; i++)
            if (cmdline[i] == 0)
                cmdline[i] = ' ';
        cmdline[size > 0 ? size : 0] = 0;
        if (strstr (cmdline, text) && !(spare && strstr (cmdline, spare)))
            kill (pid, SIGKILL);
    }
    if (proc)
        closedir (proc);
}

static char s_suite_dir[512]; //  the suite's directory, "" before there is one
static pid_t s_suite_pid;     //  the process that made it (not a forked test)

//  At exit of the process that made it: kill what is left, remove it.
static void
s_sweep_suite_dir (void)
{
    if (!*s_suite_dir || getpid () != s_suite_pid)
        return;
    //  A few rounds: a supervisor killed in one may have started a worker.
    for (int round = 0; round < 3; round++) {
        test_processes_kill_mentioning (s_suite_dir, NULL);
        usleep (100 * 1000);
    }
    char command[600];
    snprintf (command, sizeof command, "rm -rf '%s'", s_suite_dir);
    if (system (command) != 0)
        fprintf (stderr, "test_processes: could not remove %s\n", s_suite_dir);
    *s_suite_dir = 0;
}

const char *
test_processes_suite_dir (const char *name)
{
    if (*s_suite_dir)
        return s_suite_dir;
    const char *tmp = getenv ("TMPDIR");
    char pattern[512];
    snprintf (pattern, sizeof pattern, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    char *real = mkdtemp (pattern) ? realpath (pattern, NULL) : NULL;
    if (!real) {
        fprintf (stderr, "test_processes: cannot make %s: %s\n", pattern, strerror (errno));
        return NULL;
    }
    snprintf (s_suite_dir, sizeof s_suite_dir, "%s", real);
    free (real);
    s_suite_pid = getpid ();
    atexit (s_sweep_suite_dir);
    setenv ("TMPDIR", s_suite_dir, 1);
    return s_suite_dir;
}
