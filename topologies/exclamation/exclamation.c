/*  exclamation - Storm's exclamation topology: words get "!!!" added twice

    words (spout, 2) -shuffle-> exclaim1 (3) -shuffle-> exclaim2 (2)
          \--------------------shuffle-------------------/

    exclaim2 hears from both words and exclaim1, so it sees "nathan!!!" and
    "nathan!!!!!!"; it prints every 10000th result. Both bolts emit anchored
    and ack every input. The spout emits tracked words but does not replay
    a failed one: the words are random, another comes along.
*/
#include <squall.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRINT_EVERY 10000 //  exclaim2 prints one result in this many
#define SUFFIX "!!!"      //  what each bolt appends

static const char *s_words[] = {
    "nathan", "mike",   "jackson", "golda",  "bertels", "ada",    "grace",
    "alan",   "edsger", "barbara", "donald", "ken",     "dennis", "margaret",
};
#define WORD_COUNT (sizeof (s_words) / sizeof (s_words[0]))

//  ---------------------------------------------------------------------
//  Spout "words"

typedef struct {
    sq_collector_t *collector; //  where words go
    uint64_t random;           //  generator state (splitmix64)
    uint64_t last_msg_id;      //  msg id of the latest word
} words_t;

static uint64_t
s_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void
s_declare_word (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
}

static int
s_words_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    words_t *self = calloc (1, sizeof (words_t));
    if (!self)
        return -1;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    self->collector = collector;
    self->random = ((uint64_t) now.tv_sec << 30) ^ (uint64_t) now.tv_nsec ^
                   ((uint64_t) sq_context_task_id (context) << 52);
    *state_p = self;
    return 0;
}

static void
s_words_next_tuple (void *state)
{
    words_t *self = state;
    const char *word = s_words[s_random (&self->random) % WORD_COUNT];
    if (sq_collector_emit_tracked (self->collector, NULL, ++self->last_msg_id,
                                   SQ_VALUES (sq_str (word))) == -1)
        sq_collector_report_error (self->collector, sq_last_error ());
}

static void
s_words_close (void *state)
{
    free (state);
}

static const sq_spout_t s_words_spout = {
    .declare_outputs = s_declare_word,
    .open = s_words_open,
    .next_tuple = s_words_next_tuple,
    .close = s_words_close,
};

//  ---------------------------------------------------------------------
//  Bolts "exclaim1" and "exclaim2": the same code, only exclaim2 prints

typedef struct {
    sq_collector_t *collector; //  where results go
    int task_id;               //  this task, for printed lines
    uint64_t print_every;      //  print one result in this many; 0: never
    uint64_t executed;         //  inputs seen
    char *buffer;              //  the result being built
    size_t buffer_size;        //  bytes allocated for buffer
} exclaim_t;

static int
s_exclaim_start (void **state_p, const sq_context_t *context, sq_collector_t *collector,
                 uint64_t print_every)
{
    exclaim_t *self = calloc (1, sizeof (exclaim_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->task_id = sq_context_task_id (context);
    self->print_every = print_every;
    *state_p = self;
    return 0;
}

static int
s_exclaim_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    return s_exclaim_start (state_p, context, collector, 0);
}

static int
s_exclaim_printing_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    return s_exclaim_start (state_p, context, collector, PRINT_EVERY);
}

static void
s_exclaim_execute (void *state, const sq_tuple_t *input)
{
    exclaim_t *self = state;
    const char *word = sq_tuple_get_string (input, 0);
    if (!word)
        word = "";
    size_t length = strlen (word);
    size_t needed = length + sizeof (SUFFIX);
    if (needed > self->buffer_size) {
        char *buffer = realloc (self->buffer, needed);
        if (!buffer) {
            sq_collector_report_error (self->collector, "out of memory");
            sq_collector_fail (self->collector, input);
            return;
        }
        self->buffer = buffer;
        self->buffer_size = needed;
    }
    memcpy (self->buffer, word, length);
    memcpy (self->buffer + length, SUFFIX, sizeof (SUFFIX));
    sq_collector_emit (self->collector, input, SQ_VALUES (sq_strn (self->buffer, needed - 1)));
    sq_collector_ack (self->collector, input);

    self->executed++;
    if (self->print_every && self->executed % self->print_every == 0) {
        printf ("exclaim task=%d results=%" PRIu64 " latest=%s\n", self->task_id, self->executed,
                self->buffer);
        fflush (stdout);
    }
}

static void
s_exclaim_cleanup (void *state)
{
    exclaim_t *self = state;
    free (self->buffer);
    free (self);
}

static const sq_bolt_t s_exclaim_bolt = {
    .declare_outputs = s_declare_word,
    .prepare = s_exclaim_prepare,
    .execute = s_exclaim_execute,
    .cleanup = s_exclaim_cleanup,
};

static const sq_bolt_t s_exclaim_printing_bolt = {
    .declare_outputs = s_declare_word,
    .prepare = s_exclaim_printing_prepare,
    .execute = s_exclaim_execute,
    .cleanup = s_exclaim_cleanup,
};

//  ---------------------------------------------------------------------
//  The topology

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    (void) config;
    sq_topology_set_spout (topology, "words", &s_words_spout, 2);
    sq_component_t *exclaim1 = sq_topology_set_bolt (topology, "exclaim1", &s_exclaim_bolt, 3);
    sq_component_shuffle_grouping (exclaim1, "words", NULL);
    sq_component_t *exclaim2 =
        sq_topology_set_bolt (topology, "exclaim2", &s_exclaim_printing_bolt, 2);
    sq_component_shuffle_grouping (exclaim2, "words", NULL);
    sq_component_shuffle_grouping (exclaim2, "exclaim1", NULL);
    return 0;
}
