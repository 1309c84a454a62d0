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

//  Start ZooKeeper, nimbus and `supervisors` supervisors of `slots` slots
//  each, and wait until every supervisor has registered. NULL (with the
//  reason on stderr) on failure. Caller owns.
cluster_harness_t *cluster_harness_new (int supervisors, int slots);
//  The same; with secure, every link runs CURVE (doc/security.md): key
//  pairs for nimbus, each supervisor and the principal "operator" (the
//  one storm-submit and cluster_harness_control use) in <dir>/keys, the
//  public certs nimbus accepts in <dir>/allowed.
cluster_harness_t *cluster_harness_new_with (int supervisors, int slots, bool secure);
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
//  Port of nimbus's HTTP server (Storm's UI REST API, /metrics).
int cluster_harness_ui_port (cluster_harness_t *self);
//  Path of a binary in the build tree ($top_builddir/name). Caller frees.
char *cluster_harness_build_path (const char *name);

#endif
