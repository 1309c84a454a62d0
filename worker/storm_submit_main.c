/*  storm-submit - the Squall command line: argv, config and signals only

    storm-submit --local PKG.so NAME [--duration SECS] [--wait SECS]
                 [--config FILE] [-c key=value ...]

    Loads the topology package, builds its topology with the given config,
    validates it, and runs it in this process until the duration ends or
    SIGINT/SIGTERM arrives; then deactivates the spouts, waits up to --wait
    seconds for tuples in flight, and stops.
*/
#include "sq_config.h"
#include "sq_package.h"
#include "squall.h"

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t s_interrupted;

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
             "usage: storm-submit --local PKG.so NAME [options]\n"
             "\n"
             "Run the topology in package PKG.so under NAME in this process.\n"
             "\n"
             "options:\n"
             "  --local            run in local mode (one process, no cluster)\n"
             "  --duration SECS    stop after SECS seconds (default: run until Ctrl-C)\n"
             "  --wait SECS        on stop, wait up to SECS for tuples in flight (default 2)\n"
             "  --config FILE      read config keys from a JSON file\n"
             "  -c key=value       set a config key (repeatable), e.g. -c topology.workers=2\n"
             "  -h, --help         show this help\n"
             "  --version          print the version\n");
}

static double
s_parse_seconds (const char *option, const char *text)
{
    char *end;
    double value = strtod (text, &end);
    if (*text == 0 || *end != 0 || value < 0) {
        fprintf (stderr, "storm-submit: %s expects a number of seconds, got '%s'\n", option, text);
        exit (2);
    }
    return value;
}

static void
s_report (sq_local_cluster_t *cluster, const char *name, double seconds)
{
    sq_topology_stats_t stats;
    if (sq_local_cluster_stats (cluster, name, &stats))
        return;
    printf ("topology %s ran %.1f s: spout tuples %llu, tuples emitted %llu, acked %llu, "
            "failed %llu, timed out %llu, complete latency %.3f ms\n",
            name, seconds, (unsigned long long) stats.spout_emitted,
            (unsigned long long) stats.emitted, (unsigned long long) stats.acked,
            (unsigned long long) stats.failed, (unsigned long long) stats.timed_out,
            stats.complete_latency_ms);
}

static int
s_run_local (const char *path, const char *name, sq_config_t *config, double duration,
             double wait_secs)
{
    sq_package_t *package = sq_package_open (path);
    if (!package) {
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
        return 1;
    }
    int rc = 1;
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_topology_t *topology = sq_package_build (package, config);
    if (!topology)
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
    else if (sq_local_cluster_submit (cluster, name, config, &topology))
        fprintf (stderr, "storm-submit: topology '%s' not started: %s\n", name, sq_last_error ());
    else {
        int64_t start = zclock_mono ();
        while (!s_interrupted && (duration <= 0 || zclock_mono () - start < duration * 1000))
            zclock_sleep (50);
        double ran = (double) (zclock_mono () - start) / 1000.0;
        sq_local_cluster_deactivate (cluster, name);
        s_report (cluster, name, ran);
        sq_local_cluster_kill (cluster, name, wait_secs);
        rc = 0;
    }
    sq_local_cluster_destroy (&cluster);
    sq_package_destroy (&package);
    return rc;
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    zsys_set_logident ("storm-submit");
    zsys_handler_set (NULL);
    struct sigaction action = {.sa_handler = s_on_signal};
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);

    static const struct option options[] = {
        {"local", no_argument, NULL, 'l'},          {"duration", required_argument, NULL, 'd'},
        {"wait", required_argument, NULL, 'w'},     {"config", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},           {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    bool local = false;
    double duration = 0, wait_secs = 2;
    sq_config_t *config = sq_config_new ();
    int option;
    while ((option = getopt_long (argc, argv, "c:h", options, NULL)) != -1) {
        switch (option) {
        case 'l':
            local = true;
            break;
        case 'd':
            duration = s_parse_seconds ("--duration", optarg);
            break;
        case 'w':
            wait_secs = s_parse_seconds ("--wait", optarg);
            break;
        case 'f': {
            sq_config_t *loaded = sq_config_load_file (optarg);
            if (!loaded) {
                fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
                return 2;
            }
            sq_config_merge (config, loaded);
            sq_config_destroy (&loaded);
            break;
        }
        case 'c': {
            char *equals = strchr (optarg, '=');
            if (!equals || equals == optarg) {
                fprintf (stderr, "storm-submit: -c expects key=value, got '%s'\n", optarg);
                return 2;
            }
            *equals = 0;
            if (sq_config_set (config, optarg, equals + 1)) {
                fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
                return 2;
            }
            break;
        }
        case 'h':
            s_usage (stdout);
            return 0;
        case 'V':
            printf ("storm-submit (squall) %s\n", PACKAGE_VERSION);
            return 0;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        s_usage (stderr);
        return 2;
    }
    if (!local) {
        fprintf (stderr, "storm-submit: this build runs topologies in local mode only; add "
                         "--local\n");
        return 2;
    }
    int rc = s_run_local (argv[optind], argv[optind + 1], config, duration, wait_secs);
    sq_config_destroy (&config);
    return rc;
}
