/*  sq_grouping - picks the target tasks of one emitted tuple */
#include "sq_grouping.h"
#include "sq_codec.h"
#include "sq_error.h"
#include "sq_ids.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _sq_grouping_t {
    sq_grouping_type_t type;            //  which grouping
    int first_task;                     //  lowest target task id
    int task_count;                     //  number of target tasks
    int *field_indices;                 //  fields, partial key: value indices to hash
    size_t field_count;                 //  fields, partial key: how many
    int *cycle;                         //  shuffle: task ids in the current permutation
    size_t cycle_size;                  //  shuffle: number of task ids in cycle
    size_t cycle_next;                  //  shuffle: next position in cycle
    uint64_t *sent;                     //  partial key: tuples sent to each task, by index
    const sq_custom_grouping_t *custom; //  custom: the callbacks
    void *state;                        //  custom: the instance's state
    bool prepared;                      //  custom: prepare succeeded
    int *chosen;                        //  custom: room for one choice
    int source_task;                    //  custom: the emitting task's id
    size_t value_count;                 //  custom: values in each tuple
    char *name;                         //  "bolt 'x' on stream 's' of 'y'", for messages
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

//  Run a custom grouping's prepare with the target task ids.
static int
s_prepare_custom (sq_grouping_t *self, const sq_grouping_spec_t *spec)
{
    self->custom = spec->custom;
    self->source_task = spec->source_task;
    self->value_count = spec->value_count;
    self->chosen = malloc ((size_t) spec->task_count * sizeof (int) + 1);
    if (!self->chosen)
        return sq_error_set ("out of memory");
    for (int i = 0; i < spec->task_count; i++)
        self->chosen[i] = spec->first_task + i;
    if (self->custom->prepare &&
        self->custom->prepare (&self->state, spec->context, spec->stream ? spec->stream : "",
                               self->chosen, (size_t) spec->task_count))
        return sq_error_set ("the custom grouping of %s failed to prepare", self->name);
    self->prepared = true;
    return 0;
}

sq_grouping_t *
sq_grouping_new (const sq_grouping_spec_t *spec)
{
    sq_grouping_t *self = calloc (1, sizeof (sq_grouping_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->type = spec->type;
    self->first_task = spec->first_task;
    self->task_count = spec->task_count;
    char name[512];
    snprintf (name, sizeof name, "'%s' on stream '%s' of '%s'", spec->target ? spec->target : "?",
              spec->stream ? spec->stream : "?", spec->source ? spec->source : "?");
    self->name = strdup (name);
    //  Arrays get one spare element, so that none is a malloc (0), which
    //  may return NULL and read as out of memory.
    bool keyed = spec->type == SQ_GROUPING_FIELDS || spec->type == SQ_GROUPING_PARTIAL_KEY;
    if (keyed) {
        self->field_indices = malloc (spec->field_count * sizeof (int) + 1);
        if (self->field_indices)
            memcpy (self->field_indices, spec->field_indices, spec->field_count * sizeof (int));
        self->field_count = spec->field_count;
    }
    if (spec->type == SQ_GROUPING_PARTIAL_KEY)
        self->sent = calloc ((size_t) spec->task_count + 1, sizeof (uint64_t));
    if (!self->name || (keyed && !self->field_indices) ||
        (spec->type == SQ_GROUPING_PARTIAL_KEY && !self->sent)) {
        sq_grouping_destroy (&self);
        sq_error_set ("out of memory");
        return NULL;
    }
    if (spec->type == SQ_GROUPING_CUSTOM && s_prepare_custom (self, spec)) {
        sq_grouping_destroy (&self);
        return NULL;
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
        sq_grouping_t *self = *self_p;
        if (self->prepared && self->custom->cleanup)
            self->custom->cleanup (self->state);
        free (self->field_indices);
        free (self->cycle);
        free (self->sent);
        free (self->chosen);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

void
sq_grouping_partial_key_candidates (const sq_value_t *values, const int *indices, size_t count,
                                    int task_count, int *first, int *second)
{
    assert (task_count > 0);
    uint64_t hash_1 = sq_codec_hash_values_seeded (values, indices, count, SQ_PARTIAL_KEY_SEED_1);
    uint64_t hash_2 = sq_codec_hash_values_seeded (values, indices, count, SQ_PARTIAL_KEY_SEED_2);
    *first = (int) (hash_1 % (uint64_t) task_count);
    *second = (int) (hash_2 % (uint64_t) task_count);
}

//  Ask the custom grouping, and check every task it chose.
static int
s_choose_custom (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    int count = self->custom->choose (self->state, self->source_task, values, self->value_count,
                                      self->chosen);
    if (count < 0)
        return sq_error_set ("the custom grouping of %s refused a tuple (choose returned %d)",
                             self->name, count);
    if (count > self->task_count)
        return sq_error_set ("the custom grouping of %s chose %d tasks; it has %d target tasks",
                             self->name, count, self->task_count);
    for (int i = 0; i < count; i++)
        if (!sq_grouping_accepts (self, self->chosen[i]))
            return sq_error_set ("the custom grouping of %s chose task %d, which is not one of "
                                 "its target tasks %d-%d",
                                 self->name, self->chosen[i], self->first_task,
                                 self->first_task + self->task_count - 1);
    memcpy (targets, self->chosen, (size_t) count * sizeof (int));
    return count;
}

int
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
    case SQ_GROUPING_PARTIAL_KEY: {
        if (self->task_count == 0)
            return 0;
        int first, second;
        sq_grouping_partial_key_candidates (values, self->field_indices, self->field_count,
                                            self->task_count, &first, &second);
        int chosen = self->sent[second] < self->sent[first] ? second : first;
        self->sent[chosen]++;
        targets[0] = self->first_task + chosen;
        return 1;
    }
    case SQ_GROUPING_ALL:
        for (int i = 0; i < self->task_count; i++)
            targets[i] = self->first_task + i;
        return self->task_count;
    case SQ_GROUPING_GLOBAL:
        targets[0] = self->first_task;
        return 1;
    case SQ_GROUPING_DIRECT:
        return 0;
    case SQ_GROUPING_CUSTOM:
        return s_choose_custom (self, values, targets);
    }
    return 0;
}

size_t
sq_grouping_max_targets (const sq_grouping_t *self)
{
    bool many = self->type == SQ_GROUPING_ALL || self->type == SQ_GROUPING_CUSTOM;
    return many ? (size_t) self->task_count : 1;
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
