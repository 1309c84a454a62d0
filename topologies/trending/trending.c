/*  trending - trending topics from a Redis stream (Storm-starter's
    RollingTopWords, done with windowed bolts)

        words (Redis Streams spout, stream trending.input.key)
          -fields "word"-> counter (windowed bolt, sliding duration window)
          -fields "word"-> intermediate (rankers)
          -global-> total (ranker)
          -> publish (Redis Streams bolt, stream trending.output.key)

    counter sees the words of the last trending.window.secs, every
    trending.emit.secs, and emits each word's count in that window,
    anchored to that word's tuples of the window (so an output carries as
    many anchors as its count, not the whole window), and a count of 0
    for a word that has left the window. Each intermediate ranker keeps
    the latest count of its words and, on every tick, emits its top
    trending.top.n as one text; the total ranker keeps each intermediate
    ranker's latest text, and on every tick emits the overall top N as a
    JSON array [["word", count], ...] with the window's end, which the
    publish bolt XADDs to the output stream (trimmed to 1000 entries).

    Config keys (submit with -c key=value): trending.input.key ("words"),
    trending.output.key ("trending"), trending.top.n (5),
    trending.window.secs (9), trending.emit.secs (3), and the redis.*
    keys of doc/config.md (redis.host, redis.port, ...). doc/redis.md
    shows it running.
*/
#include <squall.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  One word and a count.
typedef struct {
    char *word;    //  the word (owned)
    int64_t count; //  its count
} s_count_t;

//  A list of counts, kept sorted by word.
typedef struct {
    s_count_t *items; //  capacity items, count in use
    size_t count;     //  in use
    size_t capacity;  //  room
} s_counts_t;

//  Highest count first, then by word.
static int
s_by_count (const void *a, const void *b)
{
    const s_count_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp (x->word, y->word);
}

//  Index of word, or where it would go (and *found false).
static size_t
s_counts_find (const s_counts_t *self, const char *word, bool *found)
{
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        int order = strcmp (self->items[middle].word, word);
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = false;
    return low;
}

//  Sets word's count (0 removes it). -1 when out of memory.
static int
s_counts_set (s_counts_t *self, const char *word, int64_t count)
{
    bool found;
    size_t at = s_counts_find (self, word, &found);
    if (found && count == 0) {
        free (self->items[at].word);
        memmove (self->items + at, self->items + at + 1,
                 (self->count - at - 1) * sizeof (s_count_t));
        self->count--;
    } else if (found)
        self->items[at].count = count;
    else if (count != 0) {
        if (self->count == self->capacity) {
            size_t capacity = self->capacity ? self->capacity * 2 : 64;
            s_count_t *items = realloc (self->items, capacity * sizeof (s_count_t));
            if (!items)
                return -1;
            self->items = items, self->capacity = capacity;
        }
        char *copy = strdup (word);
        if (!copy)
            return -1;
        memmove (self->items + at + 1, self->items + at, (self->count - at) * sizeof (s_count_t));
        self->items[at] = (s_count_t){copy, count};
        self->count++;
    }
    return 0;
}

static void
s_counts_clear (s_counts_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free (self->items[i].word);
    free (self->items);
    memset (self, 0, sizeof *self);
}

//  The top n of counts as text, one "word\tcount" a line (words holding a
//  tab or a newline are left out). Caller frees; NULL when out of memory.
static char *
s_top_text (const s_counts_t *counts, size_t n)
{
    s_count_t *sorted = malloc ((counts->count + 1) * sizeof (s_count_t));
    if (!sorted)
        return NULL;
    memcpy (sorted, counts->items, counts->count * sizeof (s_count_t));
    qsort (sorted, counts->count, sizeof (s_count_t), s_by_count);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    for (size_t i = 0, taken = 0; stream && i < counts->count && taken < n; i++)
        if (!strpbrk (sorted[i].word, "\t\n")) {
            fprintf (stream, "%s\t%lld\n", sorted[i].word, (long long) sorted[i].count);
            taken++;
        }
    if (stream)
        fclose (stream);
    free (sorted);
    return text;
}

//  ---------------------------------------------------------------------
//  counter: rolling counts over the window

typedef struct {
    sq_collector_t *collector; //  emits for this task
    s_counts_t last;           //  the words counted at the last activation
} s_counter_t;

//  A window tuple and its word, for sorting the window by word.
typedef struct {
    const char *word;        //  the tuple's word
    const sq_tuple_t *tuple; //  the tuple
} s_worded_t;

static int
s_worded_order (const void *a, const void *b)
{
    return strcmp (((const s_worded_t *) a)->word, ((const s_worded_t *) b)->word);
}

static void
s_counter_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word,count");
}

static int
s_counter_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    s_counter_t *self = calloc (1, sizeof (s_counter_t));
    if (!self)
        return -1;
    self->collector = collector;
    *state_p = self;
    return 0;
}

static void
s_counter_execute (void *state, const sq_window_t *window)
{
    s_counter_t *self = state;
    size_t size = sq_window_count (window);
    s_worded_t *worded = malloc ((size + 1) * sizeof (s_worded_t));
    const sq_tuple_t **anchors = malloc ((size + 1) * sizeof (sq_tuple_t *));
    if (!worded || !anchors) {
        free (worded);
        free (anchors);
        return; //  the window's tuples are acked when they expire all the same
    }
    size_t count = 0;
    for (size_t i = 0; i < size; i++) {
        const sq_tuple_t *tuple = sq_window_tuple (window, i);
        const char *word = sq_tuple_field_string (tuple, "word");
        if (word && *word)
            worded[count++] = (s_worded_t){word, tuple};
    }
    qsort (worded, count, sizeof (s_worded_t), s_worded_order);
    s_counts_t now = {0};
    for (size_t start = 0, end; start < count; start = end) {
        for (end = start; end < count && strcmp (worded[end].word, worded[start].word) == 0; end++)
            anchors[end - start] = worded[end].tuple;
        int64_t n = (int64_t) (end - start);
        sq_collector_emit_anchored (self->collector, NULL, anchors, end - start,
                                    SQ_VALUES (sq_str (worded[start].word), sq_int (n)));
        s_counts_set (&now, worded[start].word, n);
    }
    //  Words counted last time and gone now: their count is 0.
    for (size_t i = 0; i < self->last.count; i++) {
        bool found;
        s_counts_find (&now, self->last.items[i].word, &found);
        if (!found)
            sq_collector_emit_anchored (self->collector, NULL, NULL, 0,
                                        SQ_VALUES (sq_str (self->last.items[i].word), sq_int (0)));
    }
    s_counts_clear (&self->last);
    self->last = now;
    free (worded);
    free (anchors);
}

static void
s_counter_cleanup (void *state)
{
    s_counter_t *self = state;
    if (self) {
        s_counts_clear (&self->last);
        free (self);
    }
}

static const sq_windowed_bolt_t s_counter = {
    .declare_outputs = s_counter_declare,
    .prepare = s_counter_prepare,
    .execute = s_counter_execute,
    .cleanup = s_counter_cleanup,
};

//  ---------------------------------------------------------------------
//  intermediate: each task's top N of its words, on every tick

typedef struct {
    sq_collector_t *collector; //  emits for this task
    s_counts_t counts;         //  latest count of each of its words
    size_t top_n;              //  trending.top.n
    int task;                  //  this task's id, sent with its rankings
} s_intermediate_t;

static void
s_intermediate_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "task,rankings");
}

static int
s_intermediate_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    s_intermediate_t *self = calloc (1, sizeof (s_intermediate_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->top_n = (size_t) sq_config_int (sq_context_config (context), "trending.top.n", 5);
    self->task = sq_context_task_id (context);
    *state_p = self;
    return 0;
}

static void
s_intermediate_execute (void *state, const sq_tuple_t *input)
{
    s_intermediate_t *self = state;
    if (sq_tuple_is_tick (input)) {
        char *text = s_top_text (&self->counts, self->top_n);
        if (text)
            sq_collector_emit (self->collector, NULL,
                               SQ_VALUES (sq_int (self->task), sq_str (text)));
        free (text);
    } else {
        const char *word = sq_tuple_field_string (input, "word");
        if (word)
            s_counts_set (&self->counts, word, sq_tuple_field_int (input, "count"));
    }
    sq_collector_ack (self->collector, input);
}

static void
s_intermediate_cleanup (void *state)
{
    s_intermediate_t *self = state;
    if (self) {
        s_counts_clear (&self->counts);
        free (self);
    }
}

static const sq_bolt_t s_intermediate = {
    .declare_outputs = s_intermediate_declare,
    .prepare = s_intermediate_prepare,
    .execute = s_intermediate_execute,
    .cleanup = s_intermediate_cleanup,
};

//  ---------------------------------------------------------------------
//  total: the overall top N, on every tick

#define S_MAX_RANKERS 64 //  intermediate tasks the total ranker listens to

typedef struct {
    sq_collector_t *collector;     //  emits for this task
    int tasks[S_MAX_RANKERS];      //  intermediate task ids seen
    char *rankings[S_MAX_RANKERS]; //  each one's latest text
    size_t ranker_count;           //  how many
    size_t top_n;                  //  trending.top.n
} s_total_t;

static void
s_total_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "rankings,at");
}

static int
s_total_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    s_total_t *self = calloc (1, sizeof (s_total_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->top_n = (size_t) sq_config_int (sq_context_config (context), "trending.top.n", 5);
    *state_p = self;
    return 0;
}

//  Adds the "word\tcount" lines of text to counts.
static void
s_total_merge (s_counts_t *counts, const char *text)
{
    char *copy = strdup (text);
    for (char *save = NULL, *line = copy ? strtok_r (copy, "\n", &save) : NULL; line;
         line = strtok_r (NULL, "\n", &save)) {
        char *tab = strchr (line, '\t');
        if (tab) {
            *tab = '\0';
            s_counts_set (counts, line, atoll (tab + 1));
        }
    }
    free (copy);
}

//  Writes word as a JSON string.
static void
s_json_string (FILE *stream, const char *word)
{
    fputc ('"', stream);
    for (const unsigned char *c = (const unsigned char *) word; *c; c++)
        if (*c == '"' || *c == '\\')
            fprintf (stream, "\\%c", *c);
        else if (*c < 0x20)
            fprintf (stream, "\\u%04x", *c);
        else
            fputc (*c, stream);
    fputc ('"', stream);
}

static void
s_total_publish (s_total_t *self)
{
    s_counts_t all = {0};
    for (size_t i = 0; i < self->ranker_count; i++)
        s_total_merge (&all, self->rankings[i]);
    qsort (all.items, all.count, sizeof (s_count_t), s_by_count);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    if (stream) {
        fputc ('[', stream);
        for (size_t i = 0; i < all.count && i < self->top_n; i++) {
            fputs (i ? ", [" : "[", stream);
            s_json_string (stream, all.items[i].word);
            fprintf (stream, ", %lld]", (long long) all.items[i].count);
        }
        fputc (']', stream);
        fclose (stream);
        struct timespec now;
        clock_gettime (CLOCK_REALTIME, &now);
        int64_t at = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
        sq_collector_emit (self->collector, NULL, SQ_VALUES (sq_str (text), sq_int (at)));
    }
    free (text);
    //  Sorted by count now: clear frees the words whatever the order.
    s_counts_clear (&all);
}

static void
s_total_execute (void *state, const sq_tuple_t *input)
{
    s_total_t *self = state;
    if (sq_tuple_is_tick (input))
        s_total_publish (self);
    else {
        int task = (int) sq_tuple_field_int (input, "task");
        const char *text = sq_tuple_field_string (input, "rankings");
        size_t at = 0;
        while (at < self->ranker_count && self->tasks[at] != task)
            at++;
        if (text && at < S_MAX_RANKERS) {
            char *copy = strdup (text);
            if (copy) {
                if (at == self->ranker_count)
                    self->ranker_count++;
                else
                    free (self->rankings[at]);
                self->tasks[at] = task;
                self->rankings[at] = copy;
            }
        }
    }
    sq_collector_ack (self->collector, input);
}

static void
s_total_cleanup (void *state)
{
    s_total_t *self = state;
    if (self) {
        for (size_t i = 0; i < self->ranker_count; i++)
            free (self->rankings[i]);
        free (self);
    }
}

static const sq_bolt_t s_total = {
    .declare_outputs = s_total_declare,
    .prepare = s_total_prepare,
    .execute = s_total_execute,
    .cleanup = s_total_cleanup,
};

//  ---------------------------------------------------------------------

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    int64_t window_secs = sq_config_int (config, "trending.window.secs", 9);
    int64_t emit_secs = sq_config_int (config, "trending.emit.secs", 3);
    if (window_secs < 1 || emit_secs < 1 || sq_config_int (config, "trending.top.n", 5) < 1) {
        fprintf (stderr, "trending: trending.window.secs, trending.emit.secs and "
                         "trending.top.n must be at least 1\n");
        return -1;
    }
    sq_component_t *words = sq_topology_set_redis_spout (topology, "words", "word", 1);
    sq_config_set_string (sq_component_config (words), "redis.stream.key",
                          sq_config_string (config, "trending.input.key", "words"));
    sq_component_t *counter = sq_topology_set_windowed_bolt (topology, "counter", &s_counter, 2);
    sq_component_window_sliding_duration (counter, window_secs * 1000, emit_secs * 1000);
    sq_component_fields_grouping (counter, "words", NULL, "word");
    sq_component_t *intermediate =
        sq_topology_set_bolt (topology, "intermediate", &s_intermediate, 2);
    sq_component_fields_grouping (intermediate, "counter", NULL, "word");
    sq_config_set_int (sq_component_config (intermediate), "topology.tick.tuple.freq.secs",
                       emit_secs);
    sq_component_t *total = sq_topology_set_bolt (topology, "total", &s_total, 1);
    sq_component_global_grouping (total, "intermediate", NULL);
    sq_config_set_int (sq_component_config (total), "topology.tick.tuple.freq.secs", emit_secs);
    sq_component_t *publish = sq_topology_set_redis_bolt (topology, "publish", 1);
    sq_component_shuffle_grouping (publish, "total", NULL);
    sq_config_set_string (sq_component_config (publish), "redis.stream.key",
                          sq_config_string (config, "trending.output.key", "trending"));
    sq_config_set_int (sq_component_config (publish), "redis.stream.maxlen", 1000);
    return 0;
}
