/*  supervisor - the Squall supervisor daemon: argv, config and signals only

    supervisor [--config FILE] [-c key=value ...] [--id ID] [--pid-file PATH]

    Registers this machine's worker slots in ZooKeeper, runs the workers
    nimbus assigns to them, and restarts those that die or stop
    heartbeating (doc/supervisor.md). The id defaults to the host name and
    the first slot port ("host-6700"), so several supervisors on one
    machine (with different ports) get different ids. Each needs a
    storm.local.dir of its own: it first locks storm.local.dir/
    supervisor.lock (sq_daemon_lock), and a second supervisor on the same
    directory exits 1 naming the first one's pid. --pid-file writes its pid
    there once it holds the lock, removed when it exits.

    Signals arrive through a signalfd that the server's loop polls with its
    ZooKeeper descriptor: SIGCHLD reaps workers, SIGTERM or SIGINT stops every
    worker, deletes the membership node and exits 0. When another
    supervisor with the same id takes the membership node over, this one
    stops its workers and exits 1, leaving the node to the other. Exit
    status 1 also means it could not start; 2 is a usage error (an option,
    config or id it cannot use). Signals are blocked in every thread
    (ZeroMQ's and ZooKeeper's start later and inherit the mask); workers
    get an empty mask and default handlers.
*/
#include "sq_config.h"
#include "sq_daemon_lock.h"
#include "sq_log_file.h"
#include "supervisor_server.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: supervisor [--config FILE] [-c key=value ...] [--id ID]\n"
                  "                  [--pid-file PATH]\n"
                  "\n"
                  "Run the workers nimbus assigns to this machine's slots.\n"
                  "\n"
                  "options:\n"
                  "  --config FILE      read config keys from a JSON file\n"
                  "  -c key=value       set a config key (repeatable), e.g.\n"
                  "                     -c supervisor.slots.ports=6700,6701\n"
                  "  --id ID            supervisor id (default: host name and first slot port)\n"
                  "  --pid-file PATH    write the supervisor's pid to PATH (removed at exit)\n"
                  "  -h, --help         show this help\n"
                  "  --version          print the version\n");
}

//  True when id can name a ZooKeeper node and appear in a command line.
static bool
s_valid_id (const char *id)
{
    size_t length = strlen (id);
    if (length == 0 || length > 200 || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
        return false;
    for (const char *c = id; *c; c++)
        if (*c == '/' || (unsigned char) *c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

//  "<host name>-<first slot port>"; caller frees.
static char *
s_default_id (const sq_config_t *config)
{
    char host[256] = "localhost";
    if (gethostname (host, sizeof host) != 0)
        strcpy (host, "localhost");
    host[sizeof host - 1] = 0;
    const json_t *ports = sq_config_list (config, "supervisor.slots.ports");
    json_int_t port = ports ? json_integer_value (json_array_get (ports, 0)) : 0;
    return zsys_sprintf ("%s-%lld", host, (long long) port);
}

int
main (int argc, char *argv[])
{
    //  Block the signals before any thread starts, so all threads inherit
    //  the mask and the signals wait in the signalfd.
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGCHLD);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    sigprocmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);
    //  Files and directories made without an explicit mode are private
    //  too (packages, logs, configs: doc/security.md).
    umask (077);
    zsys_init ();
    zsys_set_logident ("supervisor");
    zsys_handler_set (NULL);

    // clang-format off
    static const struct option options[] = {
        {"config", required_argument, NULL, 'f'},
        {"id", required_argument, NULL, 'i'},
        {"pid-file", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    // clang-format on
    sq_config_t *config = sq_config_new ();
    char *id = NULL;
    const char *pid_file = NULL;
    int option;
    while ((option = getopt_long (argc, argv, "c:h", options, NULL)) != -1) {
        switch (option) {
        case 'f':
        case 'c':
            if ((option == 'f' ? sq_config_merge_file : sq_config_set_option) (config, optarg)) {
                fprintf (stderr, "supervisor: %s\n", sq_last_error ());
                return 2;
            }
            break;
        case 'i':
            free (id);
            id = strdup (optarg);
            break;
        case 'P':
            pid_file = optarg;
            break;
        case 'h':
            s_usage (stdout);
            return 0;
        case 'V':
            printf ("supervisor (squall) %s\n", PACKAGE_VERSION);
            return 0;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (optind != argc) {
        s_usage (stderr);
        return 2;
    }
    if (!id)
        id = s_default_id (config);
    if (!id || !s_valid_id (id)) {
        fprintf (stderr, "supervisor: --id '%s' cannot name a ZooKeeper node\n", id ? id : "");
        return 2;
    }
    int signal_fd = signalfd (-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) {
        fprintf (stderr, "supervisor: signalfd: %s\n", strerror (errno));
        return 1;
    }
    //  Before anything else touches the directory, the log included.
    sq_daemon_lock_t *lock = sq_daemon_lock_new (sq_config_string (config, "storm.local.dir", ""),
                                                 "supervisor", pid_file);
    sq_log_file_t *log = NULL;
    supervisor_server_t *server = NULL;
    if (lock && sq_log_file_start (config, "supervisor.log", &log) == 0)
        server = supervisor_server_new (config, id);
    sq_config_destroy (&config);
    if (!server) {
        fprintf (stderr, "supervisor: %s\n", sq_last_error ());
        zsys_error ("supervisor=%s not started: %s", id, sq_last_error ());
        sq_log_file_destroy (&log);
        sq_daemon_lock_destroy (&lock);
        free (id);
        close (signal_fd);
        return 1;
    }
    int rc = supervisor_server_run (server, signal_fd);
    supervisor_server_destroy (&server);
    sq_log_file_destroy (&log);
    sq_daemon_lock_destroy (&lock);
    close (signal_fd);
    free (id);
    return rc == 0 ? 0 : 1;
}
