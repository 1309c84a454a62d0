/*  cluster_harness - a whole Squall cluster on this machine, for tests

    Starts a real ZooKeeper server (zk_server), the real nimbus binary and
    any number of real supervisor binaries (which start real worker
    processes), each a separate process on free 127.0.0.1 ports, with
    config files and local dirs in one temporary directory. Tests run the
    real storm-submit against it and kill or restart its parts. Destroying
    the harness kills every process whose command line names that
    directory (workers included, even those orphaned by a killed
    supervisor) and removes the directory.
*/
#ifndef CLUSTER_HARNESS_H_INCLUDED
#define CLUSTER_HARNESS_H_INCLUDED

#include "sq_control.h"
#include "sq_zk.h"
#include <stdbool.h>
#include <sys/types.h>

typedef struct _cluster_harness_t cluster_harness_t;

//  What a cluster runs with beyond the defaults (all false: as before).
typedef struct {
    bool zk_auth; //  ZooKeeper digest auth: a random user:password in <dir>/zk-auth (0600)
                  //  named by every daemon's config, so every Squall znode is private
    int zk_session_timeout_ms; //  storm.zookeeper.session.timeout of the daemons, 0: default
    const char *nimbus_config; //  more members of nimbus's JSON config ("\"k\": v, ..."), or NULL
    const char *supervisor_config; //  more members of each supervisor's config, or NULL
    const char *nimbus_user; //  run nimbus as this user (setpriv; the test must be root), or NULL
    bool secure; //  CURVE on every link (doc/security.md): key pairs for nimbus, each supervisor
                 //  and the principal "operator" (storm-submit's, cluster_harness_control's)
                 //  in <dir>/keys; the public certs nimbus accepts in <dir>/allowed
    bool fast_loss_detection; //  nimbus.supervisor.timeout.secs at its default (2 s); else 20 s,
                              //  so that a loaded machine's stalls (sanitizer builds, two
                              //  cores) move no executors in suites about something else
    int standby_nimbuses;     //  more nimbuses (at most 3), each on its own ports and
                              //  storm.local.dir, started once nimbus leads; every daemon then
                              //  gets nimbus.seeds naming them all (doc/operations.md)
} cluster_harness_options_t;

//  Start ZooKeeper, nimbus and `supervisors` supervisors of `slots` slots
//  each, and wait until every supervisor has registered. NULL (with the
//  reason on stderr) on failure. Caller owns. With SQUALL_HARNESS_ZK_AUTH=1
//  in the environment the cluster runs with zk_auth (to run any suite so).
cluster_harness_t *cluster_harness_new (int supervisors, int slots);
//  cluster_harness_new with options (NULL for the defaults, the
//  environment aside).
cluster_harness_t *cluster_harness_new_with (int supervisors, int slots,
                                             const cluster_harness_options_t *options);
//  The "user:password" the daemons authenticate to ZooKeeper with, NULL
//  without zk_auth. Owned by the harness.
const char *cluster_harness_zk_digest (cluster_harness_t *self);
//  The cluster's ZooKeeper endpoint, "127.0.0.1:PORT".
const char *cluster_harness_zk_endpoint (cluster_harness_t *self);
//  The ZooKeeper server's directory (its log is zookeeper.log there).
const char *cluster_harness_zk_dir (cluster_harness_t *self);
//  Pid of nimbus, 0 while it is stopped.
pid_t cluster_harness_nimbus_pid (cluster_harness_t *self);
//  Pid of supervisor index, 0 while it is stopped.
pid_t cluster_harness_supervisor_pid (cluster_harness_t *self, int index);
//  storm.local.dir of nimbus and of supervisor index (-1 for nimbus).
const char *cluster_harness_local_dir (cluster_harness_t *self, int index);
//  Kill everything, remove the directory, free. NULL-safe.
void cluster_harness_destroy (cluster_harness_t **self_p);
//  The temporary directory (tests may put their files there).
const char *cluster_harness_dir (cluster_harness_t *self);
//  A ZooKeeper session on the cluster's root, owned by the harness.
sq_zk_t *cluster_harness_zk (cluster_harness_t *self);
//  Run storm-submit against the cluster with the arguments in args (NULL
//  terminated); its stdout and stderr in *output_p (caller frees; may be
//  NULL). Returns its exit status, or -1 when it did not exit normally.
int cluster_harness_cli (cluster_harness_t *self, char **output_p, const char *const *args);
//  The same as principal: on a secure cluster, with a key pair of that
//  name (made at the first call, its public cert allowed by nimbus).
//  -1 on a cluster without security or when the key cannot be made.
int cluster_harness_cli_as (cluster_harness_t *self, const char *principal, char **output_p,
                            const char *const *args);
//  Signal nimbus (e.g. SIGKILL) and reap it.
void cluster_harness_stop_nimbus (cluster_harness_t *self, int signal);
//  Start nimbus again after a stop. Returns 0 or -1.
int cluster_harness_start_nimbus (cluster_harness_t *self);
//  Signal supervisor index (from 0) and reap it; with_workers also
//  SIGKILLs the workers it started, as when its machine dies.
void cluster_harness_stop_supervisor (cluster_harness_t *self, int index, int signal,
                                      bool with_workers);
//  Id of supervisor index, as registered in ZooKeeper.
const char *cluster_harness_supervisor_id (cluster_harness_t *self, int index);
//  Pid of the worker supervisor index runs on its slot number `slot`
//  (from 0), or -1 when none runs (a zombie does not run).
pid_t cluster_harness_worker_pid (cluster_harness_t *self, int index, int slot);
//  Port of slot number `slot` of supervisor index.
int cluster_harness_slot_port (cluster_harness_t *self, int index, int slot);
//  A control client of nimbus, keyed as "operator" on a secure cluster.
//  NULL when out of memory or the keys cannot be read. Caller owns.
sq_control_t *cluster_harness_control (cluster_harness_t *self);
//  Port nimbus listens on.
int cluster_harness_nimbus_port (cluster_harness_t *self);
//  Nimbuses of the cluster: 1 + standby_nimbuses. Index 0 is nimbus.
int cluster_harness_nimbus_count (cluster_harness_t *self);
//  Pid of nimbus index, 0 while it is stopped.
pid_t cluster_harness_nimbus_pid_at (cluster_harness_t *self, int index);
//  Control and REST ports of nimbus index.
int cluster_harness_nimbus_port_at (cluster_harness_t *self, int index);
int cluster_harness_ui_port_at (cluster_harness_t *self, int index);
//  storm.local.dir of nimbus index.
const char *cluster_harness_nimbus_local_at (cluster_harness_t *self, int index);
//  Signal nimbus index and reap it; start it again (same config).
void cluster_harness_stop_nimbus_at (cluster_harness_t *self, int index, int signal);
int cluster_harness_start_nimbus_at (cluster_harness_t *self, int index);
//  Index of the nimbus whose port the ZooKeeper node /leader names, or -1
//  when none leads.
int cluster_harness_leader (cluster_harness_t *self);
//  cluster_harness_cli at nimbus ("host:port" for --nimbus), or with NULL
//  without --nimbus (args then say where, e.g. -c nimbus.seeds=...).
int cluster_harness_cli_via (cluster_harness_t *self, const char *nimbus, char **output_p,
                             const char *const *args);
//  Port of nimbus's HTTP server (Storm's UI REST API, /metrics).
int cluster_harness_ui_port (cluster_harness_t *self);
//  Distinct numbers 0 .. messages-1 in the acked log of the probe topology
//  (tests/integration/probe_topology.c) whose probe.dir is probe_dir.
int cluster_harness_probe_acked (const char *probe_dir, int messages);
//  Distinct numbers 0 .. messages-1 over the probe's logs named in logs
//  (NULL-terminated, e.g. its sink tasks' "sink-6.log"), in probe_dir.
int cluster_harness_probe_distinct (const char *probe_dir, const char *const *logs, int messages);
//  Path of a binary in the build tree ($top_builddir/name). Caller frees.
char *cluster_harness_build_path (const char *name);

#endif
