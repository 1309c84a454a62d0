/*  submit_idle - when a local run has nothing left to do (--until-idle) */
#include "submit_idle.h"

#include <assert.h>
#include <stdlib.h>

struct _submit_idle_t {
    int64_t quiet_ms;       //  how long the run must stay quiet
    uint64_t spout_emitted; //  spout emits at the last update
    int64_t quiet_since;    //  monotonic ms the quiet began, -1 while busy
};

submit_idle_t *
submit_idle_new (int64_t quiet_ms)
{
    submit_idle_t *self = calloc (1, sizeof (submit_idle_t));
    if (self) {
        self->quiet_ms = quiet_ms;
        self->quiet_since = -1;
    }
    return self;
}

void
submit_idle_destroy (submit_idle_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

bool
submit_idle_update (submit_idle_t *self, const sq_topology_stats_t *stats, int64_t now_ms)
{
    assert (self);
    assert (stats);
    bool quiet = stats->spout_emitted == self->spout_emitted && stats->pending == 0 &&
                 stats->queued == 0;
    self->spout_emitted = stats->spout_emitted;
    if (!quiet)
        self->quiet_since = -1;
    else if (self->quiet_since < 0)
        self->quiet_since = now_ms;
    return quiet && now_ms - self->quiet_since >= self->quiet_ms;
}
