/*  nimbus - the Squall master daemon: argv, config and signals only

    nimbus [--config FILE] [-c key=value ...] [--pid-file PATH]

    Serves storm-submit, supervisors and workers on tcp://nimbus.host:
    nimbus.port (doc/control.md), Storm's UI REST API on
    http://ui.host:ui.port (doc/metrics.md), keeps topology packages under
    storm.local.dir/nimbus, and schedules topologies through ZooKeeper
    (storm.zookeeper.*). It first locks storm.local.dir/nimbus.lock
    (sq_daemon_lock): a second nimbus on the same directory exits 1 naming
    the first one's pid. --pid-file writes its pid there once it holds the
    lock, removed when it exits. Exits 0 on SIGINT or SIGTERM (topologies keep
    running), 1 when it cannot start or its loop fails, 2 on a usage error
    or a config file or -c option it cannot use. The work is done by
    nimbus_server.
*/
#include "nimbus_server.h"
#include "sq_config.h"
#include "sq_daemon_lock.h"
#include "sq_coverage.h"
#include "sq_log_file.h"

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: nimbus [--config FILE] [-c key=value ...] [--pid-file PATH]\n"
                  "\n"
                  "Run the Squall master: accept topologies, schedule them over the\n"
                  "supervisors registered in ZooKeeper, and watch their workers.\n"
                  "\n"
                  "options:\n"
                  "  --config FILE      read config keys from a JSON file\n"
                  "  -c key=value       set a config key (repeatable), e.g. -c nimbus.port=6627\n"
                  "  --pid-file PATH    write nimbus's pid to PATH (removed at exit)\n"
                  "  -h, --help         show this help\n"
                  "  --version          print the version\n");
}

int
main (int argc, char *argv[])
{
    signal (SIGPIPE, SIG_IGN);
    //  Files and directories made without an explicit mode are private
    //  too (packages, logs, configs: doc/security.md).
    umask (077);
    zsys_init ();
    zsys_set_logident ("nimbus");
    //  czmq's handler sets zsys_interrupted on SIGINT and SIGTERM, which
    //  ends the server's loop.
    zsys_catch_interrupts ();

    static const struct option options[] = {
        {"config", required_argument, NULL, 'f'},
        {"pid-file", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    sq_config_t *config = sq_config_new ();
    const char *pid_file = NULL;
    int option;
    while ((option = getopt_long (argc, argv, "c:h", options, NULL)) != -1) {
        switch (option) {
        case 'f':
        case 'c':
            if ((option == 'f' ? sq_config_merge_file : sq_config_set_option) (config, optarg)) {
                fprintf (stderr, "nimbus: %s\n", sq_last_error ());
                return 2;
            }
            break;
        case 'P':
            pid_file = optarg;
            break;
        case 'h':
            s_usage (stdout);
            return 0;
        case 'V':
            printf ("nimbus (squall) %s\n", PACKAGE_VERSION);
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
    //  Before anything else touches the directory, the log included.
    sq_daemon_lock_t *lock =
        sq_daemon_lock_new (sq_config_string (config, "storm.local.dir", ""), "nimbus", pid_file);
    sq_log_file_t *log = NULL;
    if (!lock || sq_log_file_start (config, "nimbus.log", &log)) {
        fprintf (stderr, "nimbus: %s\n", sq_last_error ());
        sq_daemon_lock_destroy (&lock);
        sq_config_destroy (&config);
        return 1;
    }
    nimbus_server_t *server = nimbus_server_new (config);
    sq_config_destroy (&config);
    if (!server) {
        zsys_error ("nimbus cannot start: %s", sq_last_error ());
        sq_log_file_destroy (&log);
        sq_daemon_lock_destroy (&lock);
        return 1;
    }
    int rc = nimbus_server_run (server);
    //  Asked to stop: a test may kill us should the shutdown hang.
    SQ_COVERAGE_FLUSH ();
    nimbus_server_destroy (&server);
    sq_log_file_destroy (&log);
    sq_daemon_lock_destroy (&lock);
    return rc == 0 ? 0 : 1;
}
