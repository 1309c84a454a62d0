/*  sq_grouping - picks the target tasks of one emitted tuple

    One grouping instance serves one emitting task on one subscription, so
    its state needs no lock. The target component's tasks are the
    contiguous ids first_task .. first_task + task_count - 1. Each kind of
    grouping has a file of its own behind this interface
    (sq_grouping_kinds.h); a bolt without tasks gets no tuple from any.

    shuffle, none: cycles through a random permutation of the tasks, redrawn
                   after each cycle, so every task gets an even share.
    fields:        hash of the selected values' encoded bytes (sq_codec)
                   modulo the task count: the same values reach the same
                   task in every process.
    all:           every task.            global: the lowest task id.
    direct:        none; the emitter names the task (sq_grouping_accepts).
    local-or-shuffle: shuffle among the tasks in this process, or among all
                   tasks when none is local.
    partial-key:   two fixed hashes of the selected values (the fields hash
                   with seeds 1 and 2) pick two candidate tasks; the tuple
                   goes to the one this instance has sent fewer tuples (the
                   first on a tie). A hot key is split over two tasks, and
                   each key still reaches at most two tasks in every process.
    custom:        the author's callbacks choose; a choice outside the target
                   tasks fails the emit, naming the subscription.
*/
#ifndef SQ_GROUPING_H_INCLUDED
#define SQ_GROUPING_H_INCLUDED

#include "sq_topology.h"

typedef struct _sq_grouping_t sq_grouping_t;

//  Where a grouping sends tuples.
typedef struct {
    sq_grouping_type_t type;            //  which grouping
    int first_task;                     //  lowest task id of the target component
    int task_count;                     //  number of target tasks
    const int *field_indices;           //  fields, partial key: value indices to hash
    size_t field_count;                 //  fields, partial key: how many
    const bool *local;                  //  local-or-shuffle: local[i] for task first_task + i,
                                        //  or NULL when every task is local
    const sq_custom_grouping_t *custom; //  custom: the callbacks
    const sq_context_t *context;        //  custom: the emitting task, for prepare
    int source_task;                    //  custom: the emitting task's id
    size_t value_count;                 //  custom: values in each tuple of the stream
    const char *source;                 //  emitting component id, for messages
    const char *stream;                 //  stream id, for prepare and messages
    const char *target;                 //  subscribing component id, for messages
} sq_grouping_spec_t;

//  Seeds of the two candidate hashes of a partial key grouping.
#define SQ_PARTIAL_KEY_SEED_1 1
#define SQ_PARTIAL_KEY_SEED_2 2

//  New grouping instance. Copies what it needs from spec; a custom
//  grouping's prepare runs here. NULL with sq_last_error() set when out of
//  memory or when prepare fails. Caller owns.
sq_grouping_t *sq_grouping_new (const sq_grouping_spec_t *spec);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_grouping_destroy (sq_grouping_t **self_p);
//  Fill targets (room for sq_grouping_max_targets) with the task ids for a
//  tuple with these values; returns how many (0 for direct groupings), or
//  -1 with sq_last_error() set when a custom grouping chose wrongly.
int sq_grouping_choose (sq_grouping_t *self, const sq_value_t *values, int *targets);
//  Indices (from 0) of the two candidate tasks a partial key grouping over
//  task_count tasks has for these values; they may be equal.
void sq_grouping_partial_key_candidates (const sq_value_t *values, const int *indices, size_t count,
                                         int task_count, int *first, int *second);
//  Most targets one choice can return.
size_t sq_grouping_max_targets (const sq_grouping_t *self);
//  Type of this grouping.
sq_grouping_type_t sq_grouping_type (const sq_grouping_t *self);
//  True when task is one of the target tasks.
bool sq_grouping_accepts (const sq_grouping_t *self, int task);

#endif
