/*  sq_local_cluster - run topologies inside this process (local mode)

    Storm's LocalCluster for C: submit a topology under a name, let it run,
    read its counters, kill it. Every executor of every topology runs as a
    thread of this process; nothing listens on a socket and no ZooKeeper is
    needed. Calls are not thread-safe: use one cluster from one thread.

    DESIGN: local mode assembles runtimes, so it lives beside them rather
    than in lib/: it is what joins the runtime (lib/) and the acker
    (acker/), handing the acker in as the runtime's system task, as the
    worker does in a cluster. lib/ itself never refers to acker/. Its
    object still goes into libsquall, which serves topology authors both.
*/
#include "sq_local_cluster.h"
#include "sq_acker.h"
#include "sq_error.h"
#include "sq_runtime.h"
#include "sq_topology.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct _sq_local_cluster_t {
    sq_runtime_t **runtimes; //  running topologies
    size_t runtime_count;    //  how many
};

sq_local_cluster_t *
sq_local_cluster_new (void)
{
    return calloc (1, sizeof (sq_local_cluster_t));
}

static sq_runtime_t **
s_find (sq_local_cluster_t *self, const char *name)
{
    for (size_t i = 0; i < self->runtime_count; i++)
        if (strcmp (self->runtimes[i]->name, name) == 0)
            return &self->runtimes[i];
    return NULL;
}

void
sq_local_cluster_destroy (sq_local_cluster_t **self_p)
{
    if (self_p && *self_p) {
        sq_local_cluster_t *self = *self_p;
        for (size_t i = 0; i < self->runtime_count; i++)
            sq_runtime_destroy (&self->runtimes[i]);
        free (self->runtimes);
        free (self);
        *self_p = NULL;
    }
}

int
sq_local_cluster_submit (sq_local_cluster_t *self, const char *name, const sq_config_t *config,
                         sq_topology_t **topology_p)
{
    return sq_local_cluster_submit_with_options (self, name, config, topology_p, NULL);
}

//  Submit as sq_local_cluster_submit_with_options, the start watched by
//  watch (may be NULL).
static int
s_submit (sq_local_cluster_t *self, const char *name, const sq_config_t *config,
          sq_topology_t **topology_p, const sq_submit_options_t *options,
          const sq_start_watch_t *watch)
{
    bool inactive = options && options->initial_status == SQ_INITIAL_STATUS_INACTIVE;
    if (options && !inactive && options->initial_status != SQ_INITIAL_STATUS_ACTIVE) {
        sq_topology_destroy (topology_p);
        return sq_error_set ("topology '%s': unknown initial status %d", name,
                             (int) options->initial_status);
    }
    if (sq_topology_check_name (name)) {
        sq_topology_destroy (topology_p);
        return -1;
    }
    if (s_find (self, name)) {
        sq_topology_destroy (topology_p);
        return sq_error_set ("a topology named '%s' is already running", name);
    }
    sq_runtime_t **grown = realloc (self->runtimes, (self->runtime_count + 1) * sizeof (void *));
    if (!grown) {
        sq_topology_destroy (topology_p);
        return sq_error_set ("out of memory");
    }
    self->runtimes = grown;
    sq_runtime_options_t runtime_options = {.acker = sq_acker_task (), .start_watch = watch};
    sq_runtime_t *runtime = sq_runtime_new (name, topology_p, config, &runtime_options);
    if (!runtime)
        return -1;
    sq_runtime_set_active (runtime, !inactive);
    int started = sq_runtime_start (runtime);
    if (started == SQ_RUNTIME_STUCK)
        return started; //  threads still use it: left abandoned, as by sq_local_cluster_stop
    if (started) {
        char error[512];
        snprintf (error, sizeof error, "%s", sq_last_error ());
        sq_runtime_destroy (&runtime);
        return sq_error_set ("%s", error);
    }
    self->runtimes[self->runtime_count++] = runtime;
    zsys_info ("topology=%s started%s: %zu executors, %d tasks, %d ackers", name,
               inactive ? " inactive" : "", runtime->executor_count, runtime->task_count,
               runtime->acker_count);
    return 0;
}

int
sq_local_cluster_submit_with_options (sq_local_cluster_t *self, const char *name,
                                      const sq_config_t *config, sq_topology_t **topology_p,
                                      const sq_submit_options_t *options)
{
    return s_submit (self, name, config, topology_p, options, NULL);
}

int
sq_local_cluster_submit_watched (sq_local_cluster_t *self, const char *name,
                                 const sq_config_t *config, sq_topology_t **topology_p,
                                 const sq_start_watch_t *watch)
{
    return s_submit (self, name, config, topology_p, NULL, watch);
}

//  Kill topology name: deactivate, drain up to wait_secs, stop. With
//  grace_secs >= 0, executors still in a callback that long after the stop
//  leave their runtime abandoned (see sq_local_cluster_stop).
static int
s_kill (sq_local_cluster_t *self, const char *name, double wait_secs, double grace_secs)
{
    sq_runtime_t **slot = s_find (self, name);
    if (!slot)
        return sq_error_set ("no topology named '%s' is running", name);
    sq_runtime_t *runtime = *slot;
    sq_runtime_set_active (runtime, false);
    sq_runtime_drain (runtime, wait_secs);
    *slot = self->runtimes[--self->runtime_count];
    if (grace_secs >= 0 && sq_runtime_stop (runtime, grace_secs))
        return -1;
    sq_runtime_destroy (&runtime);
    zsys_info ("topology=%s killed", name);
    return 0;
}

int
sq_local_cluster_kill (sq_local_cluster_t *self, const char *name, double wait_secs)
{
    return s_kill (self, name, wait_secs, -1);
}

int
sq_local_cluster_stop (sq_local_cluster_t *self, const char *name, double wait_secs,
                       double grace_secs)
{
    return s_kill (self, name, wait_secs, grace_secs < 0 ? 0 : grace_secs);
}

static int
s_set_active (sq_local_cluster_t *self, const char *name, bool active)
{
    sq_runtime_t **slot = s_find (self, name);
    if (!slot)
        return sq_error_set ("no topology named '%s' is running", name);
    sq_runtime_set_active (*slot, active);
    return 0;
}

int
sq_local_cluster_deactivate (sq_local_cluster_t *self, const char *name)
{
    return s_set_active (self, name, false);
}

int
sq_local_cluster_activate (sq_local_cluster_t *self, const char *name)
{
    return s_set_active (self, name, true);
}

int
sq_local_cluster_stats (sq_local_cluster_t *self, const char *name, sq_topology_stats_t *stats)
{
    sq_runtime_t **slot = s_find (self, name);
    if (!slot)
        return sq_error_set ("no topology named '%s' is running", name);
    sq_runtime_stats (*slot, stats);
    return 0;
}

sq_runtime_t *
sq_local_cluster_runtime (sq_local_cluster_t *self, const char *name)
{
    sq_runtime_t **slot = s_find (self, name);
    return slot ? *slot : NULL;
}

int
sq_local_cluster_component_metrics (sq_local_cluster_t *self, const char *name,
                                    sq_component_metrics_t *rows, size_t max)
{
    sq_runtime_t **slot = s_find (self, name);
    if (!slot)
        return sq_error_set ("no topology named '%s' is running", name);
    return sq_runtime_component_metrics (*slot, rows, max);
}

char *
sq_local_cluster_metrics_json (sq_local_cluster_t *self, const char *name)
{
    sq_runtime_t **slot = s_find (self, name);
    if (!slot) {
        sq_error_set ("no topology named '%s' is running", name);
        return NULL;
    }
    json_t *report = sq_runtime_metrics (*slot, SIZE_MAX);
    char *text = report ? json_dumps (report, JSON_COMPACT) : NULL;
    json_decref (report);
    if (!text)
        sq_error_set ("out of memory");
    return text;
}
