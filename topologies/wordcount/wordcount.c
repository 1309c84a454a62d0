/*  wordcount - the word count topology: sentences, split, count, report

    sentences (spout, 1) -shuffle-> split (2) -fields "word"-> count (2)
        -global-> report (1)

    DESIGN: the spout emits tracked sentences numbered by a sequence and
    keeps each one until its tree completes: ack(msg_id) forgets it,
    fail(msg_id) puts it on a replay list that next_tuple empties first.
    (With acking off, the runtime acks each one right after next_tuple.)
    The spout's callbacks all run on its executor thread, so its state needs
    no lock. Counting is at-least-once: a replayed sentence counts again.
    Each count and report task keeps its words in a small chained hash
    table; words never leave it, so entries stay where they are.

    Config keys:
        wordcount.input=FILE        count each line of FILE once instead of
                                    random sentences (read by the spout)
        wordcount.output=FILE       count tasks append their final counts
                                    to FILE on cleanup, word<TAB>count
        wordcount.report.secs=N     how often report prints the top 10 (2)
        wordcount.count.executors=N count's executors, 1 to 256 (2)
        wordcount.split=c|python|node
                                    the split bolt in C (the default), or
                                    a shell bolt running
                                    resources/splitsentence.py (python3)
                                    or resources/splitsentence.js (node)
                                    through Squall's multilang adapters;
                                    needs the package directory
                                    topologies/wordcount-multilang

    The spout and the count bolt are exported (wordcount_sentences_spout,
    wordcount_count_bolt) for Flux-style definitions to name
    (topologies/wordcount/wordcount.yaml).
*/
#include <squall.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define REPORT_SECS_DEFAULT 2      //  wordcount.report.secs when not set
#define COUNT_EXECUTORS_DEFAULT 2  //  wordcount.count.executors when not set
#define COUNT_EXECUTORS_MAX 256    //  most wordcount.count.executors
#define PENDING_BUCKETS_INITIAL 64 //  buckets of a new pending table
#define WORD_BUCKETS_INITIAL 256   //  buckets of a new word table
#define TOP_SIZE 10                //  words the report prints
#define WHITESPACE " \t\r\n\v\f"   //  what separates words

static const char *s_sentences[] = {
    "the river does not hurry yet it reaches the sea",
    "a kettle sang on the stove while the rain kept time on the roof",
    "seven crows argued over one bright coin in the gutter",
    "she folded the map along the wrong creases and found a new road",
    "every lighthouse keeper knows the sound of fog arriving",
    "the old clock gained a minute each night and nobody minded",
    "bread rises slowly when the kitchen is cold",
    "two trains passed in the dark and each thought the other was late",
    "the gardener planted tulips upside down to see what would happen",
    "a quiet harbour hides more boats than a busy one",
    "the cat sat on the warm engine and refused to move",
    "snow fell on the station and the timetable stayed the same",
    "he counted the stairs every morning and the number never changed",
    "the library smelled of dust and rain and old arguments",
    "a paper boat sailed the length of the gutter without sinking",
    "the wind carried the smell of the sea far inland",
    "nobody remembers who painted the bridge red",
    "the baker's dog knows the time better than the baker",
    "stars are only visible when the town turns its lights down",
    "the stream split around the stone and met again below it",
};
#define SENTENCE_COUNT (sizeof (s_sentences) / sizeof (s_sentences[0]))

//  ---------------------------------------------------------------------
//  Random numbers, one generator per task (splitmix64)

static uint64_t
s_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

//  A seed that differs between tasks and between runs.
static uint64_t
s_seed (const sq_context_t *context)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return ((uint64_t) now.tv_sec << 30) ^ (uint64_t) now.tv_nsec ^
           ((uint64_t) sq_context_task_id (context) << 52);
}

//  ---------------------------------------------------------------------
//  Word table: word -> count, chained, doubling when as full as it is big

typedef struct _word_t word_t;
struct _word_t {
    word_t *next;  //  next word in the same bucket
    int64_t count; //  the word's count
    char text[];   //  the word, NUL-terminated
};

typedef struct {
    word_t **buckets;    //  chains of words
    size_t bucket_count; //  a power of two
    size_t size;         //  words held
} word_table_t;

//  New empty table, or NULL when out of memory. Caller owns.
static word_table_t *
s_word_table_new (void)
{
    word_table_t *self = calloc (1, sizeof (word_table_t));
    if (self) {
        self->bucket_count = WORD_BUCKETS_INITIAL;
        self->buckets = calloc (self->bucket_count, sizeof (word_t *));
        if (!self->buckets) {
            free (self);
            self = NULL;
        }
    }
    return self;
}

static void
s_word_table_destroy (word_table_t **self_p)
{
    if (*self_p) {
        word_table_t *self = *self_p;
        for (size_t i = 0; i < self->bucket_count; i++) {
            word_t *word = self->buckets[i];
            while (word) {
                word_t *next = word->next;
                free (word);
                word = next;
            }
        }
        free (self->buckets);
        free (self);
        *self_p = NULL;
    }
}

//  FNV-1a
static uint64_t
s_hash (const char *text)
{
    uint64_t hash = 0xCBF29CE484222325ULL;
    for (; *text; text++)
        hash = (hash ^ (unsigned char) *text) * 0x100000001B3ULL;
    return hash;
}

//  Double the buckets; when that fails the chains just grow longer.
static void
s_word_table_grow (word_table_t *self)
{
    size_t bucket_count = self->bucket_count * 2;
    word_t **buckets = calloc (bucket_count, sizeof (word_t *));
    if (!buckets)
        return;
    for (size_t i = 0; i < self->bucket_count; i++) {
        word_t *word = self->buckets[i];
        while (word) {
            word_t *next = word->next;
            size_t bucket = s_hash (word->text) & (bucket_count - 1);
            word->next = buckets[bucket];
            buckets[bucket] = word;
            word = next;
        }
    }
    free (self->buckets);
    self->buckets = buckets;
    self->bucket_count = bucket_count;
}

//  The entry of a word, added with count 0 when new; NULL when out of
//  memory. The entry stays at the same address while the table lives.
static word_t *
s_word_table_entry (word_table_t *self, const char *text)
{
    uint64_t hash = s_hash (text);
    word_t *word = self->buckets[hash & (self->bucket_count - 1)];
    while (word && strcmp (word->text, text) != 0)
        word = word->next;
    if (word)
        return word;

    size_t length = strlen (text);
    word = malloc (sizeof (word_t) + length + 1);
    if (!word)
        return NULL;
    word->count = 0;
    memcpy (word->text, text, length + 1);
    if (self->size >= self->bucket_count)
        s_word_table_grow (self);
    size_t bucket = hash & (self->bucket_count - 1);
    word->next = self->buckets[bucket];
    self->buckets[bucket] = word;
    self->size++;
    return word;
}

//  Call visit on every word, in no particular order, until it returns -1.
//  Returns 0, or -1 when a visit did.
static int
s_word_table_foreach (word_table_t *self, int (*visit) (word_t *word, void *arg), void *arg)
{
    for (size_t i = 0; i < self->bucket_count; i++)
        for (word_t *word = self->buckets[i]; word; word = word->next)
            if (visit (word, arg) == -1)
                return -1;
    return 0;
}

//  ---------------------------------------------------------------------
//  Spout "sentences"

typedef struct _pending_t pending_t;
struct _pending_t {
    pending_t *next;      //  next in its bucket, or in the replay list
    uint64_t msg_id;      //  sequence number the sentence went out with
    const char *sentence; //  a built-in sentence or a line of the input
};

typedef struct {
    sq_collector_t *collector; //  where sentences go
    uint64_t random;           //  generator state for picking sentences
    char *text;                //  contents of wordcount.input, or NULL
    char **lines;              //  the lines inside text, NUL-terminated
    size_t line_count;         //  number of lines
    size_t line_next;          //  next line this task emits
    size_t line_step;          //  tasks of this spout; each takes every Nth
    uint64_t last_msg_id;      //  msg id of the latest new sentence
    pending_t **buckets;       //  sentences in flight, by msg id
    size_t bucket_count;       //  a power of two
    size_t pending_count;      //  sentences in flight
    pending_t *replay_head;    //  failed sentences to emit again, oldest first
    pending_t *replay_tail;    //  newest failed sentence
} sentences_t;

//  Read a whole file into self->text and point self->lines at its lines.
static int
s_sentences_load (sentences_t *self, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "wordcount: cannot open wordcount.input file '%s': %s\n", path,
                 strerror (errno));
        return -1;
    }
    size_t size = 0;
    size_t capacity = 0;
    while (true) {
        if (size + 1 >= capacity) {
            capacity = capacity ? capacity * 2 : 65536;
            char *text = realloc (self->text, capacity);
            if (!text) {
                fclose (file);
                fprintf (stderr, "wordcount: out of memory reading '%s'\n", path);
                return -1;
            }
            self->text = text;
        }
        size_t read = fread (self->text + size, 1, capacity - size - 1, file);
        if (read == 0)
            break;
        size += read;
    }
    int error = ferror (file) ? errno : 0;
    fclose (file);
    if (error) {
        fprintf (stderr, "wordcount: cannot read wordcount.input file '%s': %s\n", path,
                 strerror (error));
        return -1;
    }
    self->text[size] = 0;

    size_t line_count = 0;
    for (size_t i = 0; i < size; i++)
        if (self->text[i] == '\n')
            line_count++;
    if (size > 0 && self->text[size - 1] != '\n')
        line_count++;
    self->lines = malloc ((line_count + 1) * sizeof (char *));
    if (!self->lines) {
        fprintf (stderr, "wordcount: out of memory reading '%s'\n", path);
        return -1;
    }
    char *cursor = self->text;
    char *end = self->text + size;
    while (self->line_count < line_count) {
        self->lines[self->line_count++] = cursor;
        char *newline = memchr (cursor, '\n', (size_t) (end - cursor));
        if (!newline)
            break;
        *newline = 0;
        cursor = newline + 1;
    }
    return 0;
}

static void
s_sentences_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "sentence");
}

static void
s_sentences_destroy (sentences_t **self_p)
{
    if (*self_p) {
        sentences_t *self = *self_p;
        for (size_t i = 0; i < self->bucket_count; i++) {
            pending_t *node = self->buckets[i];
            while (node) {
                pending_t *next = node->next;
                free (node);
                node = next;
            }
        }
        while (self->replay_head) {
            pending_t *next = self->replay_head->next;
            free (self->replay_head);
            self->replay_head = next;
        }
        free (self->buckets);
        free (self->lines);
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

static int
s_sentences_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    sentences_t *self = calloc (1, sizeof (sentences_t));
    if (!self)
        return -1;
    const sq_config_t *config = sq_context_config (context);
    self->collector = collector;
    self->random = s_seed (context);
    self->bucket_count = PENDING_BUCKETS_INITIAL;
    self->buckets = calloc (self->bucket_count, sizeof (pending_t *));
    if (!self->buckets) {
        s_sentences_destroy (&self);
        return -1;
    }
    const char *input = sq_config_string (config, "wordcount.input", NULL);
    if (input) {
        //  With several spout tasks, task i emits lines i, i + n, i + 2n, ...
        int tasks = 1;
        sq_context_component_tasks (context, sq_context_component_id (context), &tasks);
        self->line_next = (size_t) sq_context_task_index (context);
        self->line_step = tasks > 0 ? (size_t) tasks : 1;
        if (s_sentences_load (self, input) == -1) {
            s_sentences_destroy (&self);
            return -1;
        }
    }
    *state_p = self;
    return 0;
}

//  Double the pending buckets; when that fails the chains grow longer.
static void
s_sentences_grow (sentences_t *self)
{
    size_t bucket_count = self->bucket_count * 2;
    pending_t **buckets = calloc (bucket_count, sizeof (pending_t *));
    if (!buckets)
        return;
    for (size_t i = 0; i < self->bucket_count; i++) {
        pending_t *node = self->buckets[i];
        while (node) {
            pending_t *next = node->next;
            size_t bucket = node->msg_id & (bucket_count - 1);
            node->next = buckets[bucket];
            buckets[bucket] = node;
            node = next;
        }
    }
    free (self->buckets);
    self->buckets = buckets;
    self->bucket_count = bucket_count;
}

//  Msg ids are a sequence, so their low bits spread them over the buckets.
static void
s_sentences_hold (sentences_t *self, pending_t *node)
{
    if (self->pending_count >= self->bucket_count)
        s_sentences_grow (self);
    size_t bucket = node->msg_id & (self->bucket_count - 1);
    node->next = self->buckets[bucket];
    self->buckets[bucket] = node;
    self->pending_count++;
}

//  Remove and return the pending sentence with this msg id, or NULL.
static pending_t *
s_sentences_take (sentences_t *self, uint64_t msg_id)
{
    pending_t **link = &self->buckets[msg_id & (self->bucket_count - 1)];
    while (*link && (*link)->msg_id != msg_id)
        link = &(*link)->next;
    pending_t *node = *link;
    if (node) {
        *link = node->next;
        node->next = NULL;
        self->pending_count--;
    }
    return node;
}

//  Emit a sentence and keep it pending until ack or fail.
static void
s_sentences_send (sentences_t *self, pending_t *node)
{
    if (sq_collector_emit_tracked (self->collector, NULL, node->msg_id,
                                   SQ_VALUES (sq_str (node->sentence))) == -1) {
        sq_collector_report_error (self->collector, sq_last_error ());
        free (node);
    } else
        s_sentences_hold (self, node);
}

//  One sentence per call, which keeps topology.max.spout.pending exact:
//  a failed one if any, else a new one.
static void
s_sentences_next_tuple (void *state)
{
    sentences_t *self = state;
    pending_t *node = self->replay_head;
    if (node) {
        self->replay_head = node->next;
        if (!self->replay_head)
            self->replay_tail = NULL;
        node->next = NULL;
        s_sentences_send (self, node);
        return;
    }
    if (self->text && self->line_next >= self->line_count)
        return; //  every line of the input went out
    node = malloc (sizeof (pending_t));
    if (!node) {
        sq_collector_report_error (self->collector, "out of memory");
        return;
    }
    node->next = NULL;
    node->msg_id = ++self->last_msg_id;
    if (self->text) {
        node->sentence = self->lines[self->line_next];
        self->line_next += self->line_step;
    } else
        node->sentence = s_sentences[s_random (&self->random) % SENTENCE_COUNT];
    s_sentences_send (self, node);
}

static void
s_sentences_ack (void *state, uint64_t msg_id)
{
    free (s_sentences_take (state, msg_id));
}

static void
s_sentences_fail (void *state, uint64_t msg_id)
{
    sentences_t *self = state;
    pending_t *node = s_sentences_take (self, msg_id);
    if (!node)
        return; //  not pending: nothing to replay
    if (self->replay_tail)
        self->replay_tail->next = node;
    else
        self->replay_head = node;
    self->replay_tail = node;
}

static void
s_sentences_close (void *state)
{
    sentences_t *self = state;
    s_sentences_destroy (&self);
}

//  Exported: a Flux-style definition names it (library, symbol).
const sq_spout_t wordcount_sentences_spout = {
    .declare_outputs = s_sentences_declare,
    .open = s_sentences_open,
    .next_tuple = s_sentences_next_tuple,
    .ack = s_sentences_ack,
    .fail = s_sentences_fail,
    .close = s_sentences_close,
};

//  ---------------------------------------------------------------------
//  Bolt "split": sentence -> words. Its state is just the collector.

static void
s_split_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
}

static int
s_split_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

static void
s_split_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_t *collector = state;
    const char *cursor = sq_tuple_field_string (input, "sentence");
    while (cursor && *cursor) {
        cursor += strspn (cursor, WHITESPACE);
        size_t length = strcspn (cursor, WHITESPACE);
        if (length > 0)
            sq_collector_emit (collector, input, SQ_VALUES (sq_strn (cursor, length)));
        cursor += length;
    }
    sq_collector_ack (collector, input);
}

static const sq_bolt_t s_split_bolt = {
    .declare_outputs = s_split_declare,
    .prepare = s_split_prepare,
    .execute = s_split_execute,
};

//  ---------------------------------------------------------------------
//  Bolt "count": word -> (word, count)

typedef struct {
    sq_collector_t *collector; //  where counts go
    word_table_t *words;       //  count per word seen by this task
    char *output;              //  wordcount.output file, or NULL
} count_t;

static void
s_count_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word,count");
}

static void
s_count_destroy (count_t **self_p)
{
    if (*self_p) {
        count_t *self = *self_p;
        s_word_table_destroy (&self->words);
        free (self->output);
        free (self);
        *self_p = NULL;
    }
}

static int
s_count_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    count_t *self = calloc (1, sizeof (count_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->words = s_word_table_new ();
    const char *output = sq_config_string (sq_context_config (context), "wordcount.output", NULL);
    if (output)
        self->output = strdup (output);
    if (!self->words || (output && !self->output)) {
        s_count_destroy (&self);
        return -1;
    }
    *state_p = self;
    return 0;
}

static void
s_count_execute (void *state, const sq_tuple_t *input)
{
    count_t *self = state;
    const char *text = sq_tuple_field_string (input, "word");
    word_t *word = text ? s_word_table_entry (self->words, text) : NULL;
    if (text && !word) {
        sq_collector_report_error (self->collector, "out of memory counting words");
        sq_collector_fail (self->collector, input);
        return;
    }
    if (word) {
        word->count++;
        sq_collector_emit (self->collector, input,
                           SQ_VALUES (sq_str (word->text), sq_int (word->count)));
    }
    sq_collector_ack (self->collector, input);
}

static int
s_count_write_word (word_t *word, void *arg)
{
    return fprintf ((FILE *) arg, "%s\t%" PRId64 "\n", word->text, word->count) < 0 ? -1 : 0;
}

//  Append this task's counts to the output file. Other count tasks append
//  to the same file, so all our lines go out under one exclusive lock.
static void
s_count_write (count_t *self)
{
    int fd = open (self->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    FILE *file = fd == -1 ? NULL : fdopen (fd, "a");
    if (!file) {
        fprintf (stderr, "wordcount: cannot open wordcount.output file '%s': %s\n", self->output,
                 strerror (errno));
        if (fd != -1)
            close (fd);
        return;
    }
    int rc;
    while ((rc = flock (fd, LOCK_EX)) == -1 && errno == EINTR)
        ;
    if (rc == 0)
        rc = s_word_table_foreach (self->words, s_count_write_word, file);
    int error = errno;
    //  fclose writes out the buffered lines, then closing drops the lock
    if (fclose (file) != 0 && rc == 0) {
        rc = -1;
        error = errno;
    }
    if (rc == -1)
        fprintf (stderr, "wordcount: cannot write counts to '%s': %s\n", self->output,
                 strerror (error));
}

static void
s_count_cleanup (void *state)
{
    count_t *self = state;
    if (self->output)
        s_count_write (self);
    s_count_destroy (&self);
}

//  Exported: a Flux-style definition names it (library, symbol).
const sq_bolt_t wordcount_count_bolt = {
    .declare_outputs = s_count_declare,
    .prepare = s_count_prepare,
    .execute = s_count_execute,
    .cleanup = s_count_cleanup,
};

//  ---------------------------------------------------------------------
//  Bolt "report": prints the top words on each tick when they changed

typedef struct {
    const word_t *word; //  entry in the report's word table
    int64_t count;      //  the word's count when it was ranked
} rank_t;

typedef struct {
    rank_t ranks[TOP_SIZE]; //  highest count first, then by word
    size_t size;            //  ranks in use
} top_t;

typedef struct {
    sq_collector_t *collector; //  for acks
    word_table_t *words;       //  latest count per word
    top_t top;                 //  the top words last printed
} report_t;

static int
s_report_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    report_t *self = calloc (1, sizeof (report_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->words = s_word_table_new ();
    if (!self->words) {
        free (self);
        return -1;
    }
    *state_p = self;
    return 0;
}

//  True when word ranks above rank: a higher count, or the same count and
//  a word earlier in byte order.
static bool
s_ranks_above (const word_t *word, const rank_t *rank)
{
    return word->count > rank->count ||
           (word->count == rank->count && strcmp (word->text, rank->word->text) < 0);
}

//  Word table visitor: insert the word into the top list when it belongs.
static int
s_report_rank (word_t *word, void *arg)
{
    top_t *top = arg;
    size_t slot = top->size;
    while (slot > 0 && s_ranks_above (word, &top->ranks[slot - 1]))
        slot--;
    if (slot == TOP_SIZE)
        return 0;
    size_t kept = top->size < TOP_SIZE ? top->size : TOP_SIZE - 1;
    memmove (&top->ranks[slot + 1], &top->ranks[slot], (kept - slot) * sizeof (rank_t));
    top->ranks[slot].word = word;
    top->ranks[slot].count = word->count;
    if (top->size < TOP_SIZE)
        top->size++;
    return 0;
}

static bool
s_top_equal (const top_t *a, const top_t *b)
{
    if (a->size != b->size)
        return false;
    for (size_t i = 0; i < a->size; i++)
        if (a->ranks[i].word != b->ranks[i].word || a->ranks[i].count != b->ranks[i].count)
            return false;
    return true;
}

//  Print the top list as one block, so other output does not cut into it.
static void
s_report_print (const top_t *top)
{
    char stamp[32];
    time_t now = time (NULL);
    struct tm local;
    strftime (stamp, sizeof (stamp), "%Y-%m-%d %H:%M:%S", localtime_r (&now, &local));
    int width = 0;
    for (size_t i = 0; i < top->size; i++) {
        size_t length = strlen (top->ranks[i].word->text);
        if (length > (size_t) width)
            width = length < 40 ? (int) length : 40;
    }
    flockfile (stdout);
    printf ("top words at %s\n", stamp);
    for (size_t i = 0; i < top->size; i++)
        printf ("  %-*s  %" PRId64 "\n", width, top->ranks[i].word->text, top->ranks[i].count);
    fflush (stdout);
    funlockfile (stdout);
}

static void
s_report_tick (report_t *self)
{
    top_t top = {.size = 0};
    s_word_table_foreach (self->words, s_report_rank, &top);
    if (!s_top_equal (&top, &self->top)) {
        s_report_print (&top);
        self->top = top;
    }
}

static void
s_report_execute (void *state, const sq_tuple_t *input)
{
    report_t *self = state;
    if (sq_tuple_is_tick (input))
        s_report_tick (self);
    else {
        const char *text = sq_tuple_field_string (input, "word");
        word_t *word = text ? s_word_table_entry (self->words, text) : NULL;
        if (word)
            word->count = sq_tuple_field_int (input, "count");
        else if (text)
            sq_collector_report_error (self->collector, "out of memory keeping counts");
    }
    sq_collector_ack (self->collector, input);
}

static void
s_report_cleanup (void *state)
{
    report_t *self = state;
    s_word_table_destroy (&self->words);
    free (self);
}

static const sq_bolt_t s_report_bolt = {
    .prepare = s_report_prepare,
    .execute = s_report_execute,
    .cleanup = s_report_cleanup,
};

//  ---------------------------------------------------------------------
//  The topology

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    int64_t report_secs = sq_config_int (config, "wordcount.report.secs", REPORT_SECS_DEFAULT);
    if (report_secs < 1) {
        fprintf (stderr, "wordcount: wordcount.report.secs must be at least 1, not %" PRId64 "\n",
                 report_secs);
        return -1;
    }
    int64_t counts = sq_config_int (config, "wordcount.count.executors", COUNT_EXECUTORS_DEFAULT);
    if (counts < 1 || counts > COUNT_EXECUTORS_MAX) {
        fprintf (stderr,
                 "wordcount: wordcount.count.executors must be from 1 to %d, not %" PRId64 "\n",
                 COUNT_EXECUTORS_MAX, counts);
        return -1;
    }
    sq_topology_set_spout (topology, "sentences", &wordcount_sentences_spout, 1);
    const char *language = sq_config_string (config, "wordcount.split", "c");
    sq_component_t *split = NULL;
    if (!strcmp (language, "c"))
        split = sq_topology_set_bolt (topology, "split", &s_split_bolt, 2);
    else if (!strcmp (language, "python"))
        split = sq_shell_bolt (topology, "split", "python3",
                               (const char *const[]){"splitsentence.py", NULL}, "word", 2);
    else if (!strcmp (language, "node"))
        split = sq_shell_bolt (topology, "split", "node",
                               (const char *const[]){"splitsentence.js", NULL}, "word", 2);
    else {
        fprintf (stderr, "wordcount: wordcount.split must be c, python or node, not '%s'\n",
                 language);
        return -1;
    }
    sq_component_shuffle_grouping (split, "sentences", NULL);
    sq_component_t *count =
        sq_topology_set_bolt (topology, "count", &wordcount_count_bolt, (int) counts);
    sq_component_fields_grouping (count, "split", NULL, "word");
    sq_component_t *report = sq_topology_set_bolt (topology, "report", &s_report_bolt, 1);
    sq_component_global_grouping (report, "count", NULL);
    if (sq_config_set_int (sq_component_config (report), "topology.tick.tuple.freq.secs",
                           report_secs) == -1) {
        fprintf (stderr, "wordcount: %s\n", sq_last_error ());
        return -1;
    }
    return 0;
}
