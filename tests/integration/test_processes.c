/*  test_processes - ports, clock and clean-up for integration tests */
#include "test_processes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
    if (fd >= 0 && bind (fd, (struct sockaddr *) &address, sizeof address) == 0 &&
        getsockname (fd, (struct sockaddr *) &address, &length) == 0)
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

int
test_processes_zmtp_frame (int port, const char *socket_type, uint64_t declared, size_t max_send,
                           size_t *sent_p)
{
    *sent_p = 0;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) != 0) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    struct timeval timeout = {.tv_sec = 2};
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    //  Greeting (64 bytes): signature, version 3.0, mechanism NULL, client.
    unsigned char greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0};
    memcpy (greeting + 12, "NULL", 4);
    //  READY command with the Socket-Type property.
    unsigned char ready[64];
    size_t type_size = strlen (socket_type);
    size_t body = 6 + 1 + 11 + 4 + type_size;
    ready[0] = 0x04;
    ready[1] = (unsigned char) body;
    memcpy (ready + 2, "\x05READY\x0bSocket-Type", 18);
    ready[20] = ready[21] = ready[22] = 0;
    ready[23] = (unsigned char) type_size;
    memcpy (ready + 24, socket_type, type_size);
    if (send (fd, greeting, sizeof greeting, MSG_NOSIGNAL) == (ssize_t) sizeof greeting &&
        send (fd, ready, 2 + body, MSG_NOSIGNAL) == (ssize_t) (2 + body))
        test_processes_start_frame (fd, declared, max_send, sent_p);
    return fd;
}

int
test_processes_start_frame (int fd, uint64_t declared, size_t max_send, size_t *sent_p)
{
    *sent_p = 0;
    //  A long message frame's header: flags, then the size in 8 bytes.
    unsigned char header[9] = {0x02};
    for (int i = 0; i < 8; i++)
        header[1 + i] = (unsigned char) (declared >> (56 - 8 * i));
    if (send (fd, header, sizeof header, MSG_NOSIGNAL) != (ssize_t) sizeof header)
        return -1;
    static char chunk[1 << 20];
    memset (chunk, 'x', sizeof chunk);
    while (*sent_p < max_send) {
        size_t want = max_send - *sent_p < sizeof chunk ? max_send - *sent_p : sizeof chunk;
        ssize_t sent = send (fd, chunk, want, MSG_NOSIGNAL);
        if (sent <= 0)
            return -1;
        *sent_p += (size_t) sent;
    }
    return 0;
}

bool
test_processes_closed_by_peer (int fd, int timeout_ms)
{
    long long deadline = test_processes_now_ms () + timeout_ms;
    char buffer[4096];
    while (test_processes_now_ms () < deadline) {
        struct pollfd item = {.fd = fd, .events = POLLIN};
        int ready = poll (&item, 1, (int) (deadline - test_processes_now_ms ()));
        if (ready <= 0)
            continue;
        ssize_t got = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
    return false;
}

long
test_processes_rss_kb (int pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/status", pid);
    FILE *file = fopen (path, "r");
    char line[256];
    long kb = -1;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kb = atol (line + 6);
    if (file)
        fclose (file);
    return kb;
}
