/*  squall-worker - a worker process, started by a supervisor

    squall-worker --config FILE --topology NAME --id TOPOLOGY_ID
                  --supervisor SUPERVISOR_ID --port PORT --package PATH

    Exit status 0: stopped on request or because the topology or its
    assignment went away; 1: could not start, or must be restarted (its
    slot's executors changed, or the ZooKeeper session could not be
    renewed); 2: a usage error. A worker that could not start, or stops
    because a task failed, says why in its slot's failure.json first
    (its supervisor reports it to nimbus; a plain restart leaves none).
*/
#include "sq_config.h"
#include "sq_coverage.h"
#include "sq_log_file.h"
#include "sq_slot_paths.h"
#include "worker.h"

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int s_interrupted;

static void
s_on_signal (int signal)
{
    (void) signal;
    s_interrupted = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: squall-worker --config FILE --topology NAME --id TOPOLOGY_ID\n"
             "                     --supervisor ID --port PORT --package PATH\n"
             "Run one worker of a topology: its executors on slot PORT. A supervisor\n"
             "starts workers; running one by hand is for debugging.\n"
             "\n"
             "options:\n"
             "  --config FILE      the supervisor's effective config (JSON)\n"
             "  --topology NAME    the topology's name\n"
             "  --id TOPOLOGY_ID   the topology's id\n"
             "  --supervisor ID    the supervisor that started the worker\n"
             "  --port PORT        the slot port the worker listens on\n"
             "  --package PATH     the topology package\n"
             "  -h, --help         show this help\n"
             "  --version          print the version\n");
}

int
main (int argc, char *argv[])
{
    //  Files and directories made without an explicit mode are private
    //  too (packages, logs, configs: doc/security.md).
    umask (077);
    zsys_init ();
    zsys_set_logident ("squall-worker");
    zsys_handler_set (NULL);
    struct sigaction action = {.sa_handler = s_on_signal};
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);

    static const struct option options[] = {
        {"config", required_argument, NULL, 'f'},
        {"topology", required_argument, NULL, 't'},
        {"id", required_argument, NULL, 'i'},
        {"supervisor", required_argument, NULL, 's'},
        {"port", required_argument, NULL, 'p'},
        {"package", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    worker_identity_t identity = {0};
    int option;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'f':
            config_path = optarg;
            break;
        case 't':
            identity.topology_name = optarg;
            break;
        case 'i':
            identity.topology_id = optarg;
            break;
        case 's':
            identity.supervisor_id = optarg;
            break;
        case 'p':
            identity.port = atoi (optarg);
            break;
        case 'k':
            identity.package_path = optarg;
            break;
        case 'h':
            s_usage (stdout);
            return 0;
        case 'V':
            printf ("squall-worker (squall) %s\n", PACKAGE_VERSION);
            return 0;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (optind != argc || !config_path || !identity.topology_name || !identity.topology_id ||
        !identity.supervisor_id || identity.port <= 0 || !identity.package_path) {
        s_usage (stderr);
        return 2;
    }
    sq_config_t *config = sq_config_load_file (config_path);
    if (!config) {
        zsys_error ("%s", sq_last_error ());
        return 1;
    }
    //  The supervisor opened the log for us; taking it over by name lets it
    //  rotate. A worker that cannot (another user's directory) keeps
    //  writing to what it was given.
    sq_log_file_t *log = NULL;
    char *log_path = sq_config_string (config, "storm.log.dir", "")[0]
                         ? sq_slot_paths_worker_log (config, identity.port, identity.topology_id)
                         : NULL;
    if (log_path && !(log = sq_log_file_new (log_path, config)))
        zsys_warning ("worker topology=%s port=%d: its log will not rotate: %s",
                      identity.topology_name, identity.port, sq_last_error ());
    free (log_path);
    worker_t *worker = worker_new (config, &identity);
    int rc = 1;
    if (!worker)
        zsys_error ("worker topology=%s port=%d not started: %s", identity.topology_name,
                    identity.port, sq_last_error ());
    else {
        rc = worker_run (worker, &s_interrupted) == 0 ? 0 : 1;
        //  The supervisor sends SIGKILL supervisor.worker.shutdown.sleep.secs
        //  after its SIGTERM: give the executors half of that to return
        //  from their callbacks, and leave the other half to say which did
        //  not before exiting on our own.
        double grace =
            (double) sq_config_int (config, "supervisor.worker.shutdown.sleep.secs", 3) / 2;
        if (worker_stop (worker, grace)) {
            zsys_error ("worker topology=%s port=%d: %s; exiting", identity.topology_name,
                        identity.port, sq_last_error ());
            SQ_COVERAGE_FLUSH ();
            fflush (stdout);
            fflush (stderr);
            _exit (1);
        }
        SQ_COVERAGE_FLUSH ();
        worker_destroy (&worker);
    }
    sq_config_destroy (&config);
    sq_log_file_destroy (&log);
    return rc;
}
