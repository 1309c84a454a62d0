/*  sq_grouping - picks the target tasks of one emitted tuple */
#include "sq_grouping.h"
#include "sq_codec.h"
#include "sq_ids.h"

#include <stdlib.h>
#include <string.h>

struct _sq_grouping_t {
    sq_grouping_type_t type; //  which grouping
    int first_task;          //  lowest target task id
    int task_count;          //  number of target tasks
    int *field_indices;      //  fields grouping: value indices to hash
    size_t field_count;      //  fields grouping: how many
    int *cycle;              //  shuffle: task ids in the current permutation
    size_t cycle_size;       //  shuffle: number of task ids in cycle
    size_t cycle_next;       //  shuffle: next position in cycle
};

static void
s_redraw (sq_grouping_t *self)
{
    for (size_t i = self->cycle_size - 1; i > 0; i--) {
        size_t j = (size_t) (sq_ids_random () % (i + 1));
        int swap = self->cycle[i];
        self->cycle[i] = self->cycle[j];
        self->cycle[j] = swap;
    }
    self->cycle_next = 0;
}

static bool
s_is_shuffle (sq_grouping_type_t type)
{
    return type == SQ_GROUPING_SHUFFLE || type == SQ_GROUPING_NONE ||
           type == SQ_GROUPING_LOCAL_OR_SHUFFLE;
}

sq_grouping_t *
sq_grouping_new (const sq_grouping_spec_t *spec)
{
    sq_grouping_t *self = calloc (1, sizeof (sq_grouping_t));
    if (!self)
        return NULL;
    self->type = spec->type;
    self->first_task = spec->first_task;
    self->task_count = spec->task_count;
    if (spec->type == SQ_GROUPING_FIELDS) {
        self->field_indices = malloc (spec->field_count * sizeof (int));
        memcpy (self->field_indices, spec->field_indices, spec->field_count * sizeof (int));
        self->field_count = spec->field_count;
    }
    if (s_is_shuffle (spec->type)) {
        self->cycle = malloc ((size_t) spec->task_count * sizeof (int));
        for (int i = 0; i < spec->task_count; i++)
            if (spec->type != SQ_GROUPING_LOCAL_OR_SHUFFLE || !spec->local || spec->local[i])
                self->cycle[self->cycle_size++] = spec->first_task + i;
        if (self->cycle_size == 0)
            for (int i = 0; i < spec->task_count; i++)
                self->cycle[self->cycle_size++] = spec->first_task + i;
        s_redraw (self);
    }
    return self;
}

void
sq_grouping_destroy (sq_grouping_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->field_indices);
        free ((*self_p)->cycle);
        free (*self_p);
        *self_p = NULL;
    }
}

size_t
sq_grouping_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    switch (self->type) {
    case SQ_GROUPING_SHUFFLE:
    case SQ_GROUPING_NONE:
    case SQ_GROUPING_LOCAL_OR_SHUFFLE:
        if (self->cycle_next == self->cycle_size)
            s_redraw (self);
        targets[0] = self->cycle[self->cycle_next++];
        return 1;
    case SQ_GROUPING_FIELDS: {
        if (self->task_count == 1) {
            targets[0] = self->first_task;
            return 1;
        }
        uint64_t hash = sq_codec_hash_values (values, self->field_indices, self->field_count);
        targets[0] = self->first_task + (int) (hash % (uint64_t) self->task_count);
        return 1;
    }
    case SQ_GROUPING_ALL:
        for (int i = 0; i < self->task_count; i++)
            targets[i] = self->first_task + i;
        return (size_t) self->task_count;
    case SQ_GROUPING_GLOBAL:
        targets[0] = self->first_task;
        return 1;
    case SQ_GROUPING_DIRECT:
        return 0;
    }
    return 0;
}

size_t
sq_grouping_max_targets (const sq_grouping_t *self)
{
    return self->type == SQ_GROUPING_ALL ? (size_t) self->task_count : 1;
}

sq_grouping_type_t
sq_grouping_type (const sq_grouping_t *self)
{
    return self->type;
}

bool
sq_grouping_accepts (const sq_grouping_t *self, int task)
{
    return task >= self->first_task && task < self->first_task + self->task_count;
}
