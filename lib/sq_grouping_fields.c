/*  sq_grouping_fields - fields and partial key groupings

    Fields: the hash of the selected values' encoded bytes (sq_codec)
    modulo the task count, so the same values reach the same task in every
    process.

    Partial key: two hashes of the same bytes with fixed seeds pick two
    candidate tasks; this instance sends to the one it has sent fewer
    tuples (the first on a tie). A hot key is split over two tasks, and
    every process agrees on each key's two candidates.
*/
#include "sq_grouping_kinds.h"
#include "sq_codec.h"
#include "sq_error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t *sent;      //  partial key: tuples sent to each task, by index
    size_t field_count;  //  number of value indices to hash
    int field_indices[]; //  value indices to hash
} keyed_t;

static int
s_init (sq_grouping_t *self, const sq_grouping_spec_t *spec)
{
    keyed_t *keyed = calloc (1, sizeof (keyed_t) + spec->field_count * sizeof (int));
    if (!keyed)
        return sq_error_set ("out of memory");
    self->state = keyed;
    keyed->field_count = spec->field_count;
    if (spec->field_count)
        memcpy (keyed->field_indices, spec->field_indices, spec->field_count * sizeof (int));
    if (spec->type == SQ_GROUPING_PARTIAL_KEY) {
        //  One spare entry, so that no task count asks calloc for 0 bytes.
        keyed->sent = calloc ((size_t) spec->task_count + 1, sizeof (uint64_t));
        if (!keyed->sent)
            return sq_error_set ("out of memory");
    }
    return 0;
}

static void
s_destroy (sq_grouping_t *self)
{
    keyed_t *keyed = self->state;
    if (keyed)
        free (keyed->sent);
    free (keyed);
}

static int
s_fields_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    if (self->task_count <= 1) {
        targets[0] = self->first_task;
        return self->task_count; //  0 for a bolt without tasks
    }
    keyed_t *keyed = self->state;
    uint64_t hash = sq_codec_hash_values (values, keyed->field_indices, keyed->field_count);
    targets[0] = self->first_task + (int) (hash % (uint64_t) self->task_count);
    return 1;
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

static int
s_partial_key_choose (sq_grouping_t *self, const sq_value_t *values, int *targets)
{
    if (self->task_count == 0)
        return 0; //  a bolt without tasks
    keyed_t *keyed = self->state;
    int first, second;
    sq_grouping_partial_key_candidates (values, keyed->field_indices, keyed->field_count,
                                        self->task_count, &first, &second);
    int chosen = keyed->sent[second] < keyed->sent[first] ? second : first;
    keyed->sent[chosen]++;
    targets[0] = self->first_task + chosen;
    return 1;
}

const sq_grouping_kind_t sq_grouping_fields_kind = {
    .init = s_init, .choose = s_fields_choose, .destroy = s_destroy};

const sq_grouping_kind_t sq_grouping_partial_key_kind = {
    .init = s_init, .choose = s_partial_key_choose, .destroy = s_destroy};
