/*  squall-worker - a worker process, started by a supervisor

    squall-worker --config FILE --topology NAME --id TOPOLOGY_ID
                  --supervisor SUPERVISOR_ID --port PORT --package PATH

    Exit status 0: stopped on request or because the topology or its
    assignment went away; 1: could not start, or must be restarted (its
    slot's executors changed, or the ZooKeeper session could not be
    renewed); 2: a usage error.
*/
#include "sq_config.h"
#include "sq_coverage.h"
#include "worker.h"

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static volatile int s_interrupted;

static void
s_on_signal (int signal)
{
    (void) signal;
    s_interrupted = 1;
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
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    worker_identity_t identity = {0};
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
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
        default:
            return 2;
        }
    }
    if (!config_path || !identity.topology_name || !identity.topology_id ||
        !identity.supervisor_id || identity.port <= 0 || !identity.package_path) {
        fprintf (stderr, "usage: squall-worker --config FILE --topology NAME --id ID "
                         "--supervisor ID --port PORT --package PATH\n");
        return 2;
    }
    sq_config_t *config = sq_config_load_file (config_path);
    if (!config) {
        zsys_error ("%s", sq_last_error ());
        return 1;
    }
    worker_t *worker = worker_new (config, &identity);
    int rc = 1;
    if (!worker)
        zsys_error ("worker topology=%s port=%d not started: %s", identity.topology_name,
                    identity.port, sq_last_error ());
    else {
        rc = worker_run (worker, &s_interrupted) == 0 ? 0 : 1;
        //  Asked to stop: the supervisor kills us should the shutdown hang.
        SQ_COVERAGE_FLUSH ();
        worker_destroy (&worker);
    }
    sq_config_destroy (&config);
    return rc;
}
