/*  sq_grouping_shuffle - shuffle, none and local-or-shuffle groupings

    Cycles through a random permutation of the tasks, redrawn after each
    cycle, so every task gets an even share. Local-or-shuffle cycles
    through the tasks of this process only, or through all of them when
    none is local.
*/
#include "sq_grouping_kinds.h"
#include "sq_error.h"
#include "sq_ids.h"

#include <stdlib.h>

typedef struct {
    size_t size; //  number of task ids in the cycle
    size_t next; //  next position in the cycle
    int tasks[]; //  task ids in the current permutation
} shuffle_t;

static void
s_redraw (shuffle_t *cycle)
{
    for (size_t i = cycle->size; i > 1; i--) {
        size_t j = (size_t) (sq_ids_random () % i);
        int swap = cycle->tasks[i - 1];
        cycle->tasks[i - 1] = cycle->tasks[j];
        cycle->tasks[j] = swap;
    }
    cycle->next = 0;
}

static int
s_init (sq_grouping_t *self, const sq_grouping_spec_t *spec)
{
    shuffle_t *cycle = malloc (sizeof (shuffle_t) + (size_t) spec->task_count * sizeof (int));
    if (!cycle)
        return sq_error_set ("out of memory");
    cycle->size = 0;
    bool local_only = spec->type == SQ_GROUPING_LOCAL_OR_SHUFFLE && spec->local;
    for (int i = 0; i < spec->task_count; i++)
        if (!local_only || spec->local[i])
            cycle->tasks[cycle->size++] = spec->first_task + i;
    if (cycle->size == 0)
        for (int i = 0; i < spec->task_count; i++)
            cycle->tasks[cycle->size++] = spec->first_task + i;
    s_redraw (cycle);
    self->state = cycle;
    return 0;
}

static int
s_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    (void) values;
    shuffle_t *cycle = self->state;
    if (cycle->size == 0)
        return 0; //  a bolt without tasks
    if (cycle->next == cycle->size)
        s_redraw (cycle);
    targets[0] = cycle->tasks[cycle->next++];
    return 1;
}

static void
s_destroy (sq_grouping_t *self)
{
    free (self->state);
}

const sq_grouping_kind_t sq_grouping_shuffle_kind = {
    .init = s_init, .choose = s_choose, .destroy = s_destroy};
