/*  sq_grouping_custom - groupings whose tasks the topology's author picks

    The author's sq_custom_grouping_t (squall.h) gets one state per
    instance, that is per emitting task and subscription. Its choices are
    written to a buffer of this instance and checked before any reaches the
    caller, so a wrong choice fails the emit without a tuple going anywhere.
*/
#include "sq_grouping_kinds.h"
#include "sq_error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const sq_custom_grouping_t *callbacks; //  the author's table
    void *state;                           //  the author's state for this instance
    bool prepared;                         //  prepare succeeded: cleanup is due
    int source_task;                       //  the emitting task's id
    size_t value_count;                    //  values in each tuple of the stream
    int chosen[];                          //  room for one choice (task_count ids)
} custom_t;

static int
s_init (sq_grouping_t *self, const sq_grouping_spec_t *spec)
{
    assert (spec->custom && spec->custom->choose); //  validation refuses others
    //  One spare entry, so that no task count asks calloc for 0 bytes.
    custom_t *custom =
        calloc (1, sizeof (custom_t) + ((size_t) spec->task_count + 1) * sizeof (int));
    if (!custom)
        return sq_error_set ("out of memory");
    self->state = custom;
    custom->callbacks = spec->custom;
    custom->source_task = spec->source_task;
    custom->value_count = spec->value_count;
    //  prepare gets the target task ids in the room choose will use.
    for (int i = 0; i < spec->task_count; i++)
        custom->chosen[i] = spec->first_task + i;
    if (custom->callbacks->prepare &&
        custom->callbacks->prepare (&custom->state, spec->context, spec->stream ? spec->stream : "",
                                    custom->chosen, (size_t) spec->task_count))
        return sq_error_set ("the custom grouping of %s failed to prepare", self->name);
    custom->prepared = true;
    return 0;
}

static int
s_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    custom_t *custom = self->state;
    int count = custom->callbacks->choose (custom->state, custom->source_task, values,
                                           custom->value_count, custom->chosen);
    if (count < 0)
        return sq_error_set ("the custom grouping of %s refused a tuple (choose returned %d)",
                             self->name, count);
    if (count > self->task_count)
        return sq_error_set ("the custom grouping of %s chose %d tasks; it has %d target tasks",
                             self->name, count, self->task_count);
    for (int i = 0; i < count; i++)
        if (!sq_grouping_accepts (self, custom->chosen[i]))
            return sq_error_set ("the custom grouping of %s chose task %d, which is not one of "
                                 "its target tasks %d-%d",
                                 self->name, custom->chosen[i], self->first_task,
                                 self->first_task + self->task_count - 1);
    memcpy (targets, custom->chosen, (size_t) count * sizeof (int));
    return count;
}

static void
s_destroy (sq_grouping_t *self)
{
    custom_t *custom = self->state;
    if (custom && custom->prepared && custom->callbacks->cleanup)
        custom->callbacks->cleanup (custom->state);
    free (custom);
}

const sq_grouping_kind_t sq_grouping_custom_kind = {
    .init = s_init, .choose = s_choose, .destroy = s_destroy};
