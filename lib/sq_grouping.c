/*  sq_grouping - picks the target tasks of one emitted tuple: what every
    grouping shares, and the all, global and direct groupings */
#include "sq_grouping_kinds.h"
#include "sq_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_all_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    (void) values;
    for (int i = 0; i < self->task_count; i++)
        targets[i] = self->first_task + i;
    return self->task_count;
}

static const sq_grouping_kind_t s_all_kind = {.choose = s_all_choose};

static int
s_global_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    (void) values;
    targets[0] = self->first_task;
    return self->task_count ? 1 : 0; //  0 for a bolt without tasks
}

static const sq_grouping_kind_t s_global_kind = {.choose = s_global_choose};

//  Direct: the emitter names the task (sq_grouping_accepts checks it).
static int
s_direct_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    (void) self;
    (void) values;
    (void) targets;
    return 0;
}

static const sq_grouping_kind_t s_direct_kind = {.choose = s_direct_choose};

static const sq_grouping_kind_t *
s_kind (sq_grouping_type_t type)
{
    switch (type) {
    case SQ_GROUPING_SHUFFLE:
    case SQ_GROUPING_NONE:
    case SQ_GROUPING_LOCAL_OR_SHUFFLE:
        return &sq_grouping_shuffle_kind;
    case SQ_GROUPING_FIELDS:
        return &sq_grouping_fields_kind;
    case SQ_GROUPING_PARTIAL_KEY:
        return &sq_grouping_partial_key_kind;
    case SQ_GROUPING_ALL:
        return &s_all_kind;
    case SQ_GROUPING_GLOBAL:
        return &s_global_kind;
    case SQ_GROUPING_DIRECT:
        return &s_direct_kind;
    case SQ_GROUPING_CUSTOM:
        return &sq_grouping_custom_kind;
    }
    return NULL;
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
    self->kind = s_kind (spec->type);
    self->first_task = spec->first_task;
    self->task_count = spec->task_count;
    char name[512];
    snprintf (name, sizeof name, "'%s' on stream '%s' of '%s'", spec->target ? spec->target : "?",
              spec->stream ? spec->stream : "?", spec->source ? spec->source : "?");
    self->name = strdup (name);
    int rc = self->name ? 0 : sq_error_set ("out of memory");
    if (rc == 0 && !self->kind)
        rc = sq_error_set ("unknown grouping type %d", (int) spec->type);
    if (rc == 0 && self->kind->init)
        rc = self->kind->init (self, spec);
    if (rc)
        sq_grouping_destroy (&self);
    return self;
}

void
sq_grouping_destroy (sq_grouping_t **self_p)
{
    if (self_p && *self_p) {
        sq_grouping_t *self = *self_p;
        if (self->kind && self->kind->destroy)
            self->kind->destroy (self);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

int
sq_grouping_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    return self->kind->choose (self, values, targets);
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
