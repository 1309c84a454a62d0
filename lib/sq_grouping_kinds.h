/*  sq_grouping_kinds - what each kind of grouping implements behind
    sq_grouping.h

    sq_grouping.c holds what every grouping shares (the target task range,
    the name for messages) and the simplest kinds (all, global, direct);
    each other kind has a file of its own: sq_grouping_shuffle.c (shuffle,
    none, local-or-shuffle), sq_grouping_fields.c (fields, partial key) and
    sq_grouping_custom.c. A kind keeps its own state in `state`.
*/
#ifndef SQ_GROUPING_KINDS_H_INCLUDED
#define SQ_GROUPING_KINDS_H_INCLUDED

#include "sq_grouping.h"

//  The behaviour of one kind of grouping.
typedef struct {
    //  Set up self->state from spec (the shared fields are set already);
    //  0, or -1 with sq_last_error() set. destroy runs after a failure too.
    int (*init) (sq_grouping_t *self, const sq_grouping_spec_t *spec);
    //  As sq_grouping_choose.
    int (*choose) (sq_grouping_t *self, const sq_value_t *values, int *targets);
    //  Free self->state, whatever init got to; may be NULL.
    void (*destroy) (sq_grouping_t *self);
} sq_grouping_kind_t;

struct _sq_grouping_t {
    sq_grouping_type_t type;        //  which grouping
    const sq_grouping_kind_t *kind; //  its behaviour
    int first_task;                 //  lowest target task id
    int task_count;                 //  number of target tasks
    char *name;                     //  "'bolt' on stream 's' of 'source'", for messages
    void *state;                    //  the kind's own state, or NULL
};

//  Shuffle, none and local-or-shuffle (sq_grouping_shuffle.c).
extern const sq_grouping_kind_t sq_grouping_shuffle_kind;
//  Fields and partial key (sq_grouping_fields.c).
extern const sq_grouping_kind_t sq_grouping_fields_kind;
extern const sq_grouping_kind_t sq_grouping_partial_key_kind;
//  Custom (sq_grouping_custom.c).
extern const sq_grouping_kind_t sq_grouping_custom_kind;

#endif
