/*  storm-submit - the Squall command line: argv, config and signals only

    storm-submit --local PKG.so NAME [--duration SECS] [--until-idle] [--wait SECS]
                 [--ui-port PORT] [--config FILE] [-c key=value ...]
    storm-submit [--nimbus HOST:PORT] [--config FILE] PKG.so NAME [--inactive]
                 [-c key=value ...]
    storm-submit [--nimbus HOST:PORT] list
    storm-submit [--nimbus HOST:PORT] kill NAME [-w SECS]
    storm-submit [--nimbus HOST:PORT] activate NAME
    storm-submit [--nimbus HOST:PORT] deactivate NAME
    storm-submit [--nimbus HOST:PORT] rebalance NAME [-n WORKERS] [-w SECS]
    storm-submit [--nimbus HOST:PORT] monitor NAME [-m COMPONENT] [-i SECS]
                 [-s STREAM] [-w emitted|transferred] [--count N]
    storm-submit [--nimbus HOST:PORT] trace NAME [--sample PCT | --off] [--count N]

    storm-submit keygen NAME [--dir DIR]

    storm-submit token PRINCIPAL

    token prints a new 'TOKEN PRINCIPAL' line for nimbus's ui.tokens.file
    (nimbus_tokens_mint; doc/security.md) and talks to no one.

    PKG.so may also be a package directory or archive (doc/packages.md) or
    a Flux-style YAML definition (.yaml/.yml, doc/flux.md); a definition
    goes to nimbus laid out as a package with its resources/.

    --local loads the topology package, builds its topology with the given
    config, validates it, and runs it in this process until the duration
    ends or SIGINT/SIGTERM arrives; then deactivates the spouts, waits up
    to --wait seconds for tuples in flight, and stops: an executor still
    in a callback supervisor.worker.shutdown.sleep.secs after the stop is
    named on stderr and the process exits 1 at once (sq_local_cluster_stop;
    the same for an open or prepare still running when the duration ends
    or a signal comes before the run began: sq_local_cluster_submit_watched),
    as does a second SIGINT/SIGTERM (status 128 + its number). It prints the
    topology's totals and a per-component table (submit_table) as they
    stand when the spouts are deactivated. With --ui-port it serves, while
    the run lasts, Storm's UI REST API for the topology on 127.0.0.1:PORT
    (submit_ui; the wait then runs a zloop that also serves HTTP).

    The other forms talk to nimbus (submit_client): at --nimbus, else at
    the nimbuses nimbus.seeds lists, else at nimbus.host:nimbus.port of
    the config; a standby's "not the leader; leader is HOST:PORT" is
    followed to the leader. --inactive submits the topology
    inactive (Storm's TopologyInitialStatus.INACTIVE): its workers start
    and open their tasks, but no spout emits until `activate NAME`.
    monitor (Storm's `storm monitor`) asks nimbus for the topology's counts
    every -i seconds (default 4) and prints each component's throughput
    over the interval (submit_monitor) until Ctrl-C, or --count refreshes.
    keygen makes a CURVE key pair for principal NAME (doc/security.md):
    DIR/NAME (public) and DIR/NAME_secret (0600), DIR defaulting to ".".
    A cluster command talks CURVE when the config names keys
    (squall.curve.secret.key.file, squall.curve.server.public.key.file).

    trace prints the topology's latest sampled tuple trees as timelines
    (submit_trace), at most --count (default 20); --sample sets the
    percentage of spout trees traced, --off stops tracing. A local run
    with topology.trace.sample.rate above 0 prints its trees at the end.
    An error is one line on stderr and exit status 1; a usage error
    exits 2.
*/
#include "nimbus_tokens.h"
#include "sq_cluster_config.h"
#include "sq_config.h"
#include "sq_curve.h"
#include "sq_local_cluster.h"
#include "sq_package.h"
#include "squall.h"
#include "submit_client.h"
#include "submit_idle.h"
#include "submit_isolation.h"
#include "submit_monitor.h"
#include "submit_table.h"
#include "submit_trace.h"
#include "submit_ui.h"

#include <czmq.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUBMIT_TABLE_ROWS 256 //  components the end-of-run table shows
#define S_LOCAL_TRACES 5      //  sampled trees a local run prints at its end
#define S_SUBMIT_WAIT_SECS 60 //  submit --wait without SECS: how long it waits

//  What the options of a cluster command asked for.
typedef struct {
    int workers;                      //  rebalance: -n, 0 when not given
    const char *wait;                 //  -w as given: seconds, or monitor's watch item
    sq_submit_options_t submit;       //  submit: --inactive
    submit_monitor_options_t monitor; //  monitor: -m, -s, -w
    double interval_secs;             //  monitor: -i
    long count;                       //  monitor: --count, 0 to run until Ctrl-C
    double sample_pct;                //  trace: --sample (0 with --off), -1 when not given
} s_arguments_t;

static volatile sig_atomic_t s_interrupted;

//  The first SIGINT or SIGTERM asks the run to end; a second one, while
//  it is ending, ends the process at once.
static void
s_on_signal (int signal)
{
    if (s_interrupted) {
        static const char message[] = "storm-submit: interrupted again: exiting now\n";
        ssize_t written = write (STDERR_FILENO, message, sizeof message - 1);
        (void) written;
        _exit (128 + signal);
    }
    s_interrupted = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: storm-submit --local PKG.so NAME [options]\n"
             "       storm-submit [--nimbus HOST:PORT] PKG.so NAME [--inactive]\n"
             "                    [-c key=value ...]\n"
             "       storm-submit [--nimbus HOST:PORT] list\n"
             "       storm-submit [--nimbus HOST:PORT] kill NAME [-w SECS]\n"
             "       storm-submit [--nimbus HOST:PORT] activate NAME\n"
             "       storm-submit [--nimbus HOST:PORT] deactivate NAME\n"
             "       storm-submit [--nimbus HOST:PORT] rebalance NAME [-n WORKERS] [-w SECS]\n"
             "       storm-submit [--nimbus HOST:PORT] monitor NAME [-m COMPONENT] [-i SECS]\n"
             "                    [-s STREAM] [-w emitted|transferred] [--count N]\n"
             "       storm-submit token PRINCIPAL   (a line for nimbus's ui.tokens.file)\n"
             "       storm-submit keygen NAME [--dir DIR]\n"
             "       storm-submit [--nimbus HOST:PORT] trace NAME [--sample PCT | --off]\n"
             "                    [--count N]\n"
             "\n"
             "Run the topology in package PKG.so under NAME in this process (--local),\n"
             "submit it to a cluster, or manage the topologies of a cluster. PKG.so may\n"
             "also be a package directory or archive, or a Flux-style YAML definition\n"
             "(FILE.yaml or FILE.yml; doc/flux.md).\n"
             "\n"
             "options:\n"
             "  --local            run in local mode (one process, no cluster)\n"
             "  --duration SECS    local: stop after SECS seconds (default: run until Ctrl-C)\n"
             "  --until-idle       local: stop once no spout emitted and no tuple was in\n"
             "                     flight for 2 s (every spout ran dry, every tree done)\n"
             "  -w, --wait SECS    local: on stop, wait up to SECS for tuples in flight\n"
             "                     (default 2); kill, rebalance: seconds nimbus waits first\n"
             "                     (default: the topology's topology.message.timeout.secs)\n"
             "  --ui-port PORT     local: serve Storm's UI REST API and /metrics on\n"
             "                     127.0.0.1:PORT while the run lasts (0: a free port)\n"
             "  -n, --workers N    rebalance: spread the topology over N workers\n"
             "  -w emitted|transferred\n"
             "                     monitor: the count to watch (default emitted)\n"
             "  -m COMPONENT       monitor: show only this component (default: all\n"
             "                     but system components)\n"
             "  -i SECS            monitor: seconds between refreshes (default 4)\n"
             "  -s STREAM          monitor: the stream to watch (default \"default\")\n"
             "  --count N          monitor: stop after N refreshes (default: at Ctrl-C);\n"
             "                     trace: show at most N trees (1 to 100, default 20)\n"
             "  --sample PCT       trace: trace PCT percent of spout trees from now on\n"
             "  --off              trace: stop tracing (as --sample 0)\n"
             "  --inactive         submit: start the topology inactive (no spout emits\n"
             "                     until 'storm-submit activate NAME')\n"
             "  --nimbus HOST:PORT nimbus to talk to (default: nimbus.host and nimbus.port\n"
             "                     of the config)\n"
             "  --timeout SECS     wait up to SECS for nimbus's answers, and for the\n"
             "                     package to build its topology (default 10)\n"
             "  --dir DIR          keygen: directory of the key files (default .)\n"
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

//  The run's sampled trees, when it traced some, once the trees in
//  flight had up to wait_secs to end (the spouts are deactivated).
static void
s_report_traces (sq_local_cluster_t *cluster, const char *name, sq_trace_store_t *store,
                 double wait_secs)
{
    sq_runtime_t *runtime = sq_local_cluster_runtime (cluster, name);
    double rate = runtime ? sq_config_double (runtime->config, "topology.trace.sample.rate", 0) : 0;
    if (!(rate > 0))
        return;
    sq_runtime_drain (runtime, wait_secs);
    submit_trace_fold_local (cluster, name, store);
    json_t *answer = sq_trace_store_json (store, name, rate * 100, S_LOCAL_TRACES);
    if (answer) {
        printf ("\n");
        submit_trace_print (answer, stdout);
    }
    json_decref (answer);
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
    sq_component_metrics_t rows[SUBMIT_TABLE_ROWS];
    int count = sq_local_cluster_component_metrics (cluster, name, rows, SUBMIT_TABLE_ROWS);
    if (count > 0)
        submit_table_print (rows, count < SUBMIT_TABLE_ROWS ? (size_t) count : SUBMIT_TABLE_ROWS,
                            stdout);
    if (count > SUBMIT_TABLE_ROWS)
        printf ("(%d more components not shown)\n", count - SUBMIT_TABLE_ROWS);
}

#define S_IDLE_QUIET_MS 2000 //  --until-idle: quiet this long ends the run

//  What ends a local run besides a signal.
typedef struct {
    int64_t deadline;            //  monotonic ms of --duration's end, 0 for none
    submit_idle_t *idle;         //  --until-idle's watch, or NULL
    sq_local_cluster_t *cluster; //  the run
    const char *name;            //  its topology
} s_run_end_t;

//  True when a signal, or deadline (monotonic ms, 0 for none) passing by
//  now, asks the run to end.
static bool
s_end_asked (int64_t deadline, int64_t now)
{
    return s_interrupted || (deadline > 0 && now >= deadline);
}

//  True when the run must end now.
static bool
s_run_over (s_run_end_t *end)
{
    int64_t now = zclock_mono ();
    if (s_end_asked (end->deadline, now))
        return true;
    sq_topology_stats_t stats;
    if (end->idle && sq_local_cluster_stats (end->cluster, end->name, &stats) == 0 &&
        submit_idle_update (end->idle, &stats, now)) {
        printf ("storm-submit: no spout emitted and no tuple was in flight for %d s: "
                "ending the run (--until-idle)\n",
                S_IDLE_QUIET_MS / 1000);
        return true;
    }
    return false;
}

//  Until the run is over: end the loop.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop, (void) timer_id;
    return s_run_over ((s_run_end_t *) arg) ? -1 : 0;
}

//  A start watch's test: s_end_asked of the deadline at arg.
static bool
s_start_abandoned (void *arg)
{
    return s_end_asked (*(int64_t *) arg, zclock_mono ());
}

//  Wait until deadline (monotonic ms; 0: until a signal), or with
//  until_idle until the run is idle, serving the REST API and the web UI
//  (from ui_dir) on ui_port meanwhile when it is 0 or more. Returns 0, or
//  -1 when the port cannot be served.
static int
s_wait (sq_local_cluster_t *cluster, const char *name, int64_t deadline, bool until_idle,
        int ui_port, const char *ui_dir, sq_trace_store_t *traces)
{
    s_run_end_t end = {
        .deadline = deadline,
        .idle = until_idle ? submit_idle_new (S_IDLE_QUIET_MS) : NULL,
        .cluster = cluster,
        .name = name,
    };
    if (until_idle && !end.idle) {
        fprintf (stderr, "storm-submit: out of memory\n");
        return -1;
    }
    if (ui_port < 0) {
        while (!s_run_over (&end))
            zclock_sleep (50);
        submit_idle_destroy (&end.idle);
        return 0;
    }
    zloop_t *loop = zloop_new ();
    submit_ui_t *ui = loop ? submit_ui_new (loop, ui_port, cluster, name, ui_dir) : NULL;
    if (!ui) {
        fprintf (stderr, "storm-submit: --ui-port %d: %s\n", ui_port, sq_last_error ());
        zloop_destroy (&loop);
        submit_idle_destroy (&end.idle);
        return -1;
    }
    submit_ui_set_traces (ui, traces);
    printf ("storm-submit: REST API on http://127.0.0.1:%d/api/v1/, web UI on "
            "http://127.0.0.1:%d/\n",
            submit_ui_port (ui), submit_ui_port (ui));
    fflush (stdout);
    zloop_timer (loop, 50, 0, s_on_tick, &end);
    zloop_start (loop);
    submit_ui_destroy (&ui);
    zloop_destroy (&loop);
    submit_idle_destroy (&end.idle);
    return 0;
}

//  A callback did not return once told to stop (sq_last_error names it):
//  its thread still runs the package's code, so end the process now.
static void
s_exit_stuck (void)
{
    fprintf (stderr, "storm-submit: %s; exiting\n", sq_last_error ());
    fflush (stdout);
    fflush (stderr);
    _exit (1);
}

static int
s_run_local (const char *path, const char *name, sq_config_t *config, double duration,
             bool until_idle, double wait_secs, int ui_port, int timeout_ms)
{
    //  The package's code runs here below, in this process: first see
    //  that it builds and validates in a child, where a crash, a loop or
    //  an exit() there cannot take storm-submit with it.
    if (submit_isolation_check (path, config, timeout_ms)) {
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
        return 1;
    }
    sq_package_t *package = sq_package_open (path);
    if (!package) {
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
        return 1;
    }
    int rc = 1;
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_topology_t *topology = sq_package_build (package, config);
    sq_trace_store_t *traces = sq_trace_store_new (SQ_TRACE_MAX_TREES, SQ_TRACE_MAX_HOPS);
    //  --duration counts from here, so that it also ends a run whose
    //  spouts' open or bolts' prepare never return. Executors get
    //  supervisor.worker.shutdown.sleep.secs to return from their
    //  callbacks once told to stop, as a supervisor gives a worker; one
    //  that loops or blocks still runs the package's code, so the process
    //  ends without unloading it or freeing what that thread uses.
    int64_t deadline = duration > 0 ? zclock_mono () + (int64_t) (duration * 1000) : 0;
    double grace = (double) sq_config_int (config, "supervisor.worker.shutdown.sleep.secs", 3);
    sq_start_watch_t watch = {
        .abandoned = s_start_abandoned, .arg = &deadline, .grace_secs = grace};
    int started = -1;
    if (!traces)
        fprintf (stderr, "storm-submit: out of memory\n");
    else if (!topology)
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
    else if ((started = sq_local_cluster_submit_watched (cluster, name, config, &topology,
                                                         &watch)) == SQ_RUNTIME_STUCK)
        s_exit_stuck ();
    else if (started)
        fprintf (stderr, "storm-submit: topology '%s' not started: %s\n", name, sq_last_error ());
    else {
        int64_t start = zclock_mono ();
        rc = s_wait (cluster, name, deadline, until_idle, ui_port,
                     sq_config_string (config, "ui.dir", ""), traces)
                 ? 1
                 : 0;
        double ran = (double) (zclock_mono () - start) / 1000.0;
        sq_local_cluster_deactivate (cluster, name);
        if (rc == 0) {
            s_report (cluster, name, ran);
            s_report_traces (cluster, name, traces, wait_secs);
        }
        if (sq_local_cluster_stop (cluster, name, wait_secs, grace))
            s_exit_stuck ();
    }
    sq_topology_destroy (&topology);
    sq_trace_store_destroy (&traces);
    sq_local_cluster_destroy (&cluster);
    sq_package_destroy (&package);
    return rc;
}

//  Monitor topology name: a baseline, then a refresh every interval until
//  Ctrl-C (which ends the process) or count refreshes. Returns 0 or -1.
static int
s_monitor (submit_client_t *client, const char *name, const s_arguments_t *arguments)
{
    submit_monitor_t *monitor = submit_monitor_new (name, &arguments->monitor);
    if (!monitor) {
        fprintf (stderr, "storm-submit: out of memory\n");
        return -1;
    }
    int rc = 0;
    for (long refresh = 0; rc == 0 && (arguments->count == 0 || refresh <= arguments->count);
         refresh++) {
        if (refresh > 0)
            zclock_sleep ((int) (arguments->interval_secs * 1000));
        json_t *reply;
        rc = submit_client_metrics (client, name, &reply);
        if (rc == 0)
            rc = submit_monitor_update (monitor, reply, zclock_mono (), stdout);
        json_decref (reply);
        //  A pipe gets each refresh as it is printed.
        fflush (stdout);
    }
    submit_monitor_destroy (&monitor);
    return rc;
}

//  Print topology name's sampled trees, after setting its trace rate when
//  asked. Returns 0 or -1.
static int
s_trace (submit_client_t *client, const char *name, const s_arguments_t *arguments)
{
    json_t *reply;
    int limit = arguments->count > 0 ? (int) arguments->count : 20;
    if (submit_client_trace (client, name, arguments->sample_pct, limit, &reply))
        return -1;
    if (arguments->sample_pct >= 0)
        printf ("topology '%s': tracing %g%% of spout trees from now on\n", name,
                arguments->sample_pct);
    int rc = submit_trace_print (reply, stdout);
    json_decref (reply);
    return rc ? sq_error_set ("nimbus's answer is not an object") : 0;
}

//  Run a cluster command: submit (PKG.so NAME) or a verb and its NAME.
//  The nimbuses to try, from nimbus.seeds or nimbus.host:nimbus.port, as
//  "tcp://host:port,..." (caller frees). NULL with the error set.
static char *
s_nimbus_endpoints (const sq_config_t *config)
{
    zlist_t *endpoints = sq_cluster_config_nimbuses (config);
    char *joined = endpoints ? strdup ("") : NULL;
    for (const char *endpoint = endpoints ? zlist_first (endpoints) : NULL; joined && endpoint;
         endpoint = zlist_next (endpoints)) {
        char *longer = zsys_sprintf ("%s%s%s", joined, *joined ? "," : "", endpoint);
        free (joined);
        joined = longer;
    }
    if (endpoints && !joined)
        sq_error_set ("out of memory");
    zlist_destroy (&endpoints);
    return joined;
}

static int
s_run_cluster (const char *endpoint, int timeout_ms, int argc, char **argv, sq_config_t *config,
               s_arguments_t *arguments)
{
    const char *verb = argv[0];
    bool is_list = strcmp (verb, "list") == 0;
    bool is_monitor = strcmp (verb, "monitor") == 0;
    bool is_trace = strcmp (verb, "trace") == 0;
    bool named = strcmp (verb, "kill") == 0 || strcmp (verb, "activate") == 0 ||
                 strcmp (verb, "deactivate") == 0 || strcmp (verb, "rebalance") == 0 ||
                 is_monitor || is_trace;
    bool is_submit = !is_list && !named;
    bool monitor_options =
        arguments->monitor.component || arguments->interval_secs > 0 || arguments->monitor.stream;
    if ((is_list && argc != 1) || (named && argc != 2) || (is_submit && argc != 2) ||
        (!is_submit && arguments->submit.initial_status != SQ_INITIAL_STATUS_ACTIVE) ||
        (!is_monitor && monitor_options) || (!is_monitor && !is_trace && arguments->count > 0) ||
        (is_trace && arguments->count > 100) || (!is_trace && arguments->sample_pct >= 0)) {
        s_usage (stderr);
        return 2;
    }
    double wait_secs = -1;
    if (is_monitor) {
        const char *watch = arguments->wait ? arguments->wait : "emitted";
        if (strcmp (watch, "emitted") != 0 && strcmp (watch, "transferred") != 0) {
            fprintf (stderr, "storm-submit: monitor: -w expects emitted or transferred, got '%s'\n",
                     watch);
            return 2;
        }
        arguments->monitor.transferred = strcmp (watch, "transferred") == 0;
        if (!arguments->monitor.stream)
            arguments->monitor.stream = "default";
        if (arguments->interval_secs <= 0)
            arguments->interval_secs = 4;
    } else if (arguments->wait && *arguments->wait)
        wait_secs = s_parse_seconds ("--wait", arguments->wait);
    else if (arguments->wait && !is_submit) {
        fprintf (stderr, "storm-submit: %s: --wait expects a number of seconds\n", verb);
        return 2;
    }
    //  The package must load, build and validate. Its code runs in a child
    //  (submit_isolation), before this process has threads (ZeroMQ's) that
    //  a fork could catch holding a lock.
    if (is_submit && submit_isolation_check (argv[0], config, timeout_ms)) {
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
        return 1;
    }
    sq_curve_t *curve = NULL;
    if (sq_curve_from_config (config, true, &curve)) {
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
        return 1;
    }
    submit_client_t *client = submit_client_new (endpoint, timeout_ms);
    if (!client || submit_client_set_curve (client, curve)) {
        fprintf (stderr, "storm-submit: out of memory\n");
        submit_client_destroy (&client);
        sq_curve_destroy (&curve);
        return 1;
    }
    sq_curve_destroy (&curve);
    int rc;
    char *id = NULL;
    if (is_list)
        rc = submit_client_list (client, stdout);
    else if (is_monitor)
        rc = s_monitor (client, argv[1], arguments);
    else if (is_trace)
        rc = s_trace (client, argv[1], arguments);
    else if (strcmp (verb, "kill") == 0)
        rc = submit_client_kill (client, argv[1], wait_secs);
    else if (strcmp (verb, "activate") == 0 || strcmp (verb, "deactivate") == 0)
        rc = submit_client_set_active (client, argv[1], strcmp (verb, "activate") == 0);
    else if (strcmp (verb, "rebalance") == 0)
        rc = submit_client_rebalance (client, argv[1], arguments->workers, wait_secs);
    else
        rc = submit_client_submit (client, argv[0], argv[1], config, &arguments->submit, &id);
    if (rc)
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
    else if (id)
        printf ("submitted topology '%s' with id %s%s\n", argv[1], id,
                arguments->submit.initial_status == SQ_INITIAL_STATUS_INACTIVE ? " (inactive)"
                                                                               : "");
    else if (named && !is_monitor && !is_trace)
        printf ("topology '%s': %s%s\n", argv[1], verb,
                strcmp (verb, "kill") == 0 || strcmp (verb, "rebalance") == 0 ? " requested" : "d");
    //  --wait: until it runs, or fails to start.
    if (rc == 0 && id && arguments->wait) {
        fflush (stdout);
        rc = submit_client_wait_running (client, argv[1], id,
                                         wait_secs >= 0 ? wait_secs : S_SUBMIT_WAIT_SECS, stdout);
        if (rc)
            fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
    }
    free (id);
    submit_client_destroy (&client);
    return rc ? 1 : 0;
}

//  Everything the command line asked for.
typedef struct {
    bool local;              //  --local
    double duration;         //  --duration, 0 to run until Ctrl-C
    bool until_idle;         //  --until-idle: end when the run has nothing left to do
    double timeout_secs;     //  --timeout: how long to wait for nimbus
    int ui_port;             //  --ui-port; -1: no REST API
    char *endpoint;          //  --nimbus as tcp://HOST:PORT, or NULL
    const char *key_dir;     //  keygen: --dir
    sq_config_t *config;     //  -c and --config
    s_arguments_t arguments; //  what a cluster command reads
} s_options_t;

//  *value_p = text as an integer from low to high. Returns 0, or -1 after
//  saying on stderr that option expects what.
static int
s_parse_integer (const char *option, const char *text, long low, long high, const char *what,
                 long *value_p)
{
    char *end;
    long value = strtol (text, &end, 10);
    if (*text == 0 || *end != 0 || value < low || value > high) {
        fprintf (stderr, "storm-submit: %s expects %s, got '%s'\n", option, what, text);
        return -1;
    }
    *value_p = value;
    return 0;
}

//  True when text, after a --wait without '=', is its value: seconds, or
//  monitor's watch item.
static bool
s_wait_value (const char *text)
{
    char *end;
    strtod (text, &end);
    return (*text && *end == 0) || strcmp (text, "emitted") == 0 ||
           strcmp (text, "transferred") == 0;
}

//  Reads the options into self (from argv[1] to argv[optind - 1]).
//  Returns 0 to go on, 1 when done (help, version) and 2 on a usage error,
//  which it has reported.
static int
s_parse_options (int argc, char *argv[], s_options_t *self)
{
    //  Two options a line, as before --ui-port made their number odd.
    // clang-format off
    static const struct option options[] = {
        {"local", no_argument, NULL, 'l'},         {"duration", required_argument, NULL, 'd'},
        {"until-idle", no_argument, NULL, 'Y'},
        {"wait", optional_argument, NULL, 'w'},    {"config", required_argument, NULL, 'f'},
        {"nimbus", required_argument, NULL, 'N'},  {"workers", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {"inactive", no_argument, NULL, 'I'},
        {"count", required_argument, NULL, 'C'},   {"ui-port", required_argument, NULL, 'U'},
        {"dir", required_argument, NULL, 'D'},     {"sample", required_argument, NULL, 'S'},
        {"off", no_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    // clang-format on
    s_arguments_t *arguments = &self->arguments;
    long value;
    int option;
    while ((option = getopt_long (argc, argv, "c:hw:n:m:i:s:", options, NULL)) != -1) {
        switch (option) {
        case 'l':
            self->local = true;
            break;
        case 'I':
            arguments->submit.initial_status = SQ_INITIAL_STATUS_INACTIVE;
            break;
        case 'm':
            arguments->monitor.component = optarg;
            break;
        case 's':
            arguments->monitor.stream = optarg;
            break;
        case 'i':
            arguments->interval_secs = s_parse_seconds ("-i", optarg);
            if (arguments->interval_secs <= 0 || arguments->interval_secs > 86400) {
                fprintf (stderr, "storm-submit: -i expects 0 < SECS <= 86400, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'C':
            if (s_parse_integer ("--count", optarg, 1, LONG_MAX,
                                 "a number of refreshes (1 or more)", &value))
                return 2;
            arguments->count = value;
            break;
        case 'D':
            self->key_dir = optarg;
            break;
        case 'S': {
            char *end;
            double pct = strtod (optarg, &end);
            if (*optarg == 0 || *end != 0 || !(pct >= 0 && pct <= 100)) {
                fprintf (stderr,
                         "storm-submit: --sample expects a percentage (0 to 100), got "
                         "'%s'\n",
                         optarg);
                return 2;
            }
            arguments->sample_pct = pct;
            break;
        }
        case 'O':
            arguments->sample_pct = 0;
            break;
        case 'U':
            if (s_parse_integer ("--ui-port", optarg, 0, 65535, "a port (0 to 65535)", &value))
                return 2;
            self->ui_port = (int) value;
            break;
        case 'd':
            self->duration = s_parse_seconds ("--duration", optarg);
            break;
        case 'Y':
            self->until_idle = true;
            break;
        case 'w':
            //  Seconds, or monitor's watch item: read with the verb. Also
            //  "--wait SECS" (as before the value became optional), and a
            //  bare --wait ("": submit's default).
            if (!optarg && optind < argc && s_wait_value (argv[optind]))
                optarg = argv[optind++];
            arguments->wait = optarg ? optarg : "";
            break;
        case 'T':
            self->timeout_secs = s_parse_seconds ("--timeout", optarg);
            break;
        case 'n':
            if (s_parse_integer ("-n", optarg, 1, 4096, "a number of workers (1 to 4096)", &value))
                return 2;
            arguments->workers = (int) value;
            break;
        case 'N':
            if (!strchr (optarg, ':') || strchr (optarg, ':') == optarg) {
                fprintf (stderr, "storm-submit: --nimbus expects HOST:PORT, got '%s'\n", optarg);
                return 2;
            }
            free (self->endpoint);
            self->endpoint = zsys_sprintf ("tcp://%s", optarg);
            break;
        case 'f':
        case 'c':
            if ((option == 'f' ? sq_config_merge_file : sq_config_set_option) (self->config,
                                                                               optarg)) {
                fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
                return 2;
            }
            break;
        case 'h':
            s_usage (stdout);
            return 1;
        case 'V':
            printf ("storm-submit (squall) %s\n", PACKAGE_VERSION);
            return 1;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (self->local && arguments->submit.initial_status != SQ_INITIAL_STATUS_ACTIVE) {
        //  Nothing could activate it: a local run takes no commands.
        fprintf (stderr, "storm-submit: --inactive is for cluster submits: nothing can "
                         "activate a local run\n");
        return 2;
    }
    if (self->local ? argc - optind != 2 : argc - optind < 1) {
        s_usage (stderr);
        return 2;
    }
    return 0;
}

//  storm-submit token PRINCIPAL: print a new bearer token line to append
//  to nimbus's ui.tokens.file (doc/security.md). Returns the exit status.
static int
s_token (int argc, char **argv)
{
    if (argc != 2) {
        s_usage (stderr);
        return 2;
    }
    char *line = nimbus_tokens_mint (argv[1]);
    if (!line) {
        fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
        return 1;
    }
    fputs (line, stdout);
    free (line);
    return 0;
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

    s_options_t options = {
        .timeout_secs = 10,
        .ui_port = -1,
        .config = sq_config_new (),
        .arguments = {.submit = {.initial_status = SQ_INITIAL_STATUS_ACTIVE}, .sample_pct = -1},
    };
    int rc = s_parse_options (argc, argv, &options);
    if (rc == 1)
        rc = 0;
    else if (rc == 0 && !options.local && strcmp (argv[optind], "token") == 0)
        rc = s_token (argc - optind, argv + optind);
    else if (rc == 0 && options.local) {
        const char *wait = options.arguments.wait;
        rc = s_run_local (argv[optind], argv[optind + 1], options.config, options.duration,
                          options.until_idle, wait && *wait ? s_parse_seconds ("--wait", wait) : 2,
                          options.ui_port, (int) (options.timeout_secs * 1000));
    } else if (rc == 0 && strcmp (argv[optind], "keygen") == 0) {
        if (argc - optind != 2) {
            s_usage (stderr);
            rc = 2;
        } else if (sq_curve_keygen (options.key_dir ? options.key_dir : ".", argv[optind + 1])) {
            fprintf (stderr, "storm-submit: keygen: %s\n", sq_last_error ());
            rc = 1;
        } else
            printf ("wrote %s/%s (public) and %s/%s_secret (secret, mode 0600)\n",
                    options.key_dir ? options.key_dir : ".", argv[optind + 1],
                    options.key_dir ? options.key_dir : ".", argv[optind + 1]);
    } else if (rc == 0) {
        //  Nothing to clean up while talking to nimbus: Ctrl-C just ends.
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        if (!options.endpoint && !(options.endpoint = s_nimbus_endpoints (options.config))) {
            fprintf (stderr, "storm-submit: %s\n", sq_last_error ());
            free (options.endpoint);
            sq_config_destroy (&options.config);
            return 2;
        }
        rc = s_run_cluster (options.endpoint, (int) (options.timeout_secs * 1000), argc - optind,
                            argv + optind, options.config, &options.arguments);
    }
    free (options.endpoint);
    sq_config_destroy (&options.config);
    return rc;
}
