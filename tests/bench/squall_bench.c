/*  squall_bench - word count throughput, complete latency and acker memory

    `make bench` runs this program. It prints one line per figure, as
    `BENCH <name> <value> <unit>`, and explanatory lines that never start
    with BENCH:

    baseline_words_per_s       plain C word count on one thread: pick a
                               sentence, split it, count its words in an
                               open-addressing hash table; no runtime.
    local_unacked_words_per_s  the same sentences, split and count as a
                               topology in a local cluster: sentences (1)
                               -shuffle-> split (1) -fields "word"-> count;
                               acking off. Words/s are the words the count
                               bolt executed between two samples taken after
                               warm-up. local_unacked_ratio is to baseline.
    local_acked_words_per_s    the same with one acker: tracked sentences,
                               anchored words, every input acked.
    local_unacked_spread       the fastest round over the slowest, acking
    local_acked_spread         off and on: how steady the runtime is.
    baseline_spread            the same for the hand loop, which has no
                               runtime: how steady the machine is.
    baseline_pipeline_words_per_s  the hand loop's work on two threads, no
    baseline_pipeline_spread   runtime: one picks and splits sentences, the
                               other counts, joined by a ring of 16384
                               words published 256 at a time, both spinning.
                               Its words cross cores as the topology's do,
                               so its spread says how steady the machine is
                               for that work; a single core's hand loop
                               does not see the cost of moving cache lines
                               between cores, which swings on a shared
                               host (doc/runtime.md, session 13).
    host_slowdown_spread       how much the host slowed the CPUs in the
                               worst run of the rounds over the quietest.
                               A thread pinned to each CPU times a fixed
                               loop every 50 ms (cpu_probe.c); a run's
                               figure is the mean time of its slowest CPU,
                               printed on each round's line (ns per loop).
                               The host of a virtual machine can take its
                               CPUs away for part of the time, for seconds,
                               with no steal time in the guest: the loop
                               then seems to run slower, and so does every
                               stage of the topology (doc/runtime.md,
                               session 14). 1 on a machine of its own.
                               SQUALL_BENCH_CPU_PROBE=0 runs without it.
                               `squall_bench throughput` runs only the
                               rounds and these figures.
    local_acked_latency_p50_ms complete latency of the acked topology fed
    local_acked_latency_p99_ms at half its measured sentence rate. Tuple i
                               is due at start + i / rate; latency runs from
                               the due time, not the emit, so a stalled
                               spout's delay counts (no coordinated omission).
                               SQUALL_BENCH_LATENCY_RATE=N feeds N sentences/s
                               instead: the same load for two builds compared
                               side by side, whatever their throughput.
                               `squall_bench latency N` runs only these two
                               figures, at N sentences/s.
    local_acked_latency_2k_p50_ms  the same at 2,000 sentences/s: a
    local_acked_latency_2k_p99_ms  topology that idles between tuples, where
                               the executors' waits decide the latency.
    acker_bytes_per_pending_tree  ledger memory with 100000 trees pending
                               under churn.
    metrics_overhead_ratio     acked words/s with topology.metrics.enabled
                               true over false: METRICS_ROUNDS rounds, each
                               one run with metrics on and one off (which
                               goes first alternates), the median words/s
                               on over the median off (as the other figures,
                               medians of rounds). At least 0.97 is the aim.
                               `squall_bench metrics [RATE]` runs only this
                               figure (RATE: topology.stats.sample.rate).
    trace_off_words_per_s      acked words/s with tracing off
    trace_sampled_words_per_s  (topology.trace.sample.rate 0) and with 1% of
    trace_off_ratio            trees traced (0.01): TRACE_ROUNDS rounds of
                               one run each (which goes first alternates),
                               medians of the rounds; the ratio is off over
                               sampled (above 1: what tracing 1% costs).
                               Tracing off costs one predictable branch per
                               emit, flush and spout tree end, present in
                               both runs. `squall_bench trace` runs only
                               these figures.
    worker_rss_per_executor_kib_100   growth of this process's resident
    worker_rss_per_executor_kib       memory per executor, over 100, 1,000
    worker_rss_per_executor_kib_5000  and 5,000 idle bolts (one idle spout
                               feeding them, acking off), read once a
                               second passed with under 2% CPU (start-up
                               over; at most 30 s), after a 20-bolt
                               topology ran once (allocator set-up).
    idle_cpu_percent_1000_executors   CPU of this process over 10 s with
                               the 1,000 idle bolts, percent of one core.
    idle_wakeup_latency_ms     emit to ack of one tuple (spout -> bolt ->
                               acker) after 2.5 s of idling, median of 3.
                               `squall_bench idle` runs only these figures.
                               SQUALL_BENCH_CONFIG="key=value ..." sets
                               config keys on the throughput topologies.
    `squall_bench ledger` prints acker_bytes_per_pending_tree alone.
    `squall_bench work acked|unacked WORDS` runs the word count until the
    count bolt executed WORDS words and prints CPU ns per word by stage: a
    fixed amount of work to count with `perf stat` (doc/benchmarks.md).
    histogram_record_ns        one sq_histogram_record on one thread, the
                               executor's per-tuple cost of a latency
                               histogram: median of 5 runs of 4 M records
                               of latencies spread over 100 ns .. 67 ms.

    DESIGN: the baseline and the two throughput runs interleave over a few
    rounds, and the medians are reported, so a noisy moment of the machine
    does not decide a figure. Topologies run with the runtime's defaults
    (batches, queue sizes, no max spout pending); the spout emits one
    sentence per next_tuple call. The components report through s_probe, one
    counter per writing task, each on its own cache line. The counts are
    checked against the counted words at the end so none of the work can be
    optimized away.
*/
#include "cpu_probe.h"
#include "squall.h"
#include "sq_histogram.h"
#include "sq_ids.h"
#include "sq_ledger.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5                  //  interleaved rounds of (a) and (b)
#define ROUND_SECS 2.0            //  measured time of each run
#define WARMUP_SECS 0.5           //  topology time before the first sample
#define BASELINE_CHECK_EVERY 1024 //  sentences between clock reads
#define PIPELINE_SLOTS 16384      //  hand pipeline ring: the runtime's default queue size
#define PIPELINE_BATCH 256        //  hand pipeline: words per publication, the default batch
//  Count tasks. On 2 cores 1 beats 2: the spout, split and count already
//  share the cores (with the acker, 4 threads), and a second count task
//  only adds switches and half-empty batches.
#define COUNT_TASKS 1
#define LATENCY_WARMUP_SECS 1.0     //  paced run: time before samples count
#define LATENCY_WINDOW_SECS 4.0     //  paced run: tuples due in this window count
#define LATENCY_GRACE_SECS 0.5      //  paced run: time for the last acks
#define LATENCY_BURST_MAX 256       //  most overdue tuples one next_tuple emits
#define LATENCY_LOW_RATE 2000.0     //  sentences/s of the low-rate latency run
#define LEDGER_TREES 100000         //  trees kept pending in the ledger
#define LEDGER_STEPS 150000         //  trees completed (and begun) under churn
#define LEDGER_ROTATE_EVERY 50000   //  steps between rotations: trees see 2
#define METRICS_ROUNDS 15           //  rounds of metrics on / off runs
#define METRICS_ROUND_SECS 1.0      //  measured time of each of those runs
#define TRACE_ROUNDS 9              //  rounds of tracing off / sampled runs
#define TRACE_ROUND_SECS 1.0        //  measured time of each of those runs
#define TRACE_SAMPLED_RATE 0.01     //  topology.trace.sample.rate of the sampled runs
#define HISTOGRAM_RUNS 5            //  timed runs of sq_histogram_record
#define HISTOGRAM_RECORDS 4000000   //  records per run
#define HISTOGRAM_VALUES 4096       //  latencies cycled through (a power of 2)
#define WORD_SLOTS_INITIAL 64       //  slots of a new word table
#define BUSY_SAMPLE_SECS 0.5        //  time the CPUs are watched before the run
#define BUSY_QUIET 0.05             //  most CPU use by others on a quiet machine
#define CACHE_LINE 64               //  bytes kept between counters of two threads
#define IDLE_SETTLE_SECS 1.0        //  idle topology's time before its memory is read
#define IDLE_QUIET_PERCENT 2.0      //  start-up is over: a second under this CPU
#define IDLE_QUIET_DEADLINE_SECS 30 //  longest wait for such a second
#define IDLE_CPU_SECS 10            //  seconds the CPU of idle executors is measured
#define IDLE_WARMUP_BOLTS 20        //  bolts of the topology run before the figures
#define IDLE_WAKEUPS 3              //  first tuples after idling timed
#define IDLE_BEFORE_WAKEUP_SECS 2.5 //  idle time before each of them
#define IDLE_ACK_DEADLINE_SECS 10.0 //  longest wait for its ack
#define WORK_DEADLINE_SECS 300      //  longest run of `squall_bench work`

static const char *s_sentences[] = {
    "the quick brown fox jumps over the lazy dog",
    "a stream of tuples flows through every bolt",
    "rain fell softly on the quiet harbour town",
    "she counted seven crows on the old fence",
    "the river does not hurry yet it reaches the sea",
    "bread rises slowly in a cold kitchen",
    "nobody remembers who painted the bridge red",
    "two trains passed each other in the dark",
    "the lighthouse keeper listened to the fog arriving",
    "every spout emits sentences and every bolt splits them",
    "the old clock gained a minute every night",
    "a paper boat sailed the whole length of the gutter",
    "stars appear when the town turns its lights down",
    "the cat refused to leave the warm engine",
    "snow covered the station but the trains ran on time",
    "he climbed the same stairs every morning",
    "the wind carried salt far inland",
    "the library smelled of dust and rain",
    "storms gather slowly then break all at once over the hills",
    "the gardener planted tulips upside down to see what happens",
    "the baker knows the time",
};
#define SENTENCE_COUNT (sizeof (s_sentences) / sizeof (s_sentences[0]))

//  The executor threads of the word count whose CPU time is read apart.
typedef enum { STAGE_SPOUT, STAGE_SPLIT, STAGE_COUNT, STAGES } stage_t;
static const char *s_stage_names[STAGES + 1] = {"spout", "split", "count", "acker and rest"};
//  The runs of a throughput round.
typedef enum { RUN_HAND_LOOP, RUN_HAND_PIPELINE, RUN_UNACKED, RUN_ACKED, RUN_KINDS } run_kind_t;

//  A counter with one writer, alone on its cache line.
typedef struct {
    _Alignas(CACHE_LINE) _Atomic uint64_t value; //  the count
} counter_t;

//  What the components report; written by executor threads, read by main.
static struct {
    counter_t sentences;              //  inputs executed by split
    counter_t words[COUNT_TASKS];     //  inputs executed by each count task
    _Atomic int64_t counted;          //  words in the count tables, at cleanup
    int64_t *latencies;               //  paced spout: latency samples, ns
    size_t latency_capacity;          //  room in latencies
    size_t latency_count;             //  samples taken
    uint64_t latency_expected;        //  tuples due in the window
    _Atomic uint64_t failed;          //  spout fail calls
    double cpu_secs;                  //  CPU time the process used in the last measured run
    clockid_t stage_clocks[STAGES];   //  CPU clock of each stage's thread, once known
    _Atomic bool stage_known[STAGES]; //  stage_clocks[stage] is set
    double stage_secs[STAGES + 1];    //  last measured run: CPU per stage, then the rest
    uint64_t measured_words;          //  last measured run: words counted
    double cores;                     //  last measured run: cores this process kept busy
    double other_cores;               //  last measured run: cores the rest of the machine used
    double switches_per_s;            //  last measured run: this process's context switches
    double sample_rate;               //  topology.stats.sample.rate to run with; 0: the default
    double trace_rate;                //  topology.trace.sample.rate to run with
} s_probe;

//  ---------------------------------------------------------------------
//  Helpers

//  Note the CPU clock of the calling thread, the executor of stage.
static void
s_stage_register (stage_t stage)
{
    if (pthread_getcpuclockid (pthread_self (), &s_probe.stage_clocks[stage]) == 0)
        atomic_store (&s_probe.stage_known[stage], true);
}

//  CPU seconds the thread of stage used so far; 0 when unknown.
static double
s_stage_cpu (stage_t stage)
{
    struct timespec now;
    if (!atomic_load (&s_probe.stage_known[stage]) ||
        clock_gettime (s_probe.stage_clocks[stage], &now))
        return 0;
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  CPU seconds (user and system) this process used so far.
static double
s_cpu_secs (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6 +
           (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
}

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void
s_sleep (double seconds)
{
    struct timespec delay = {(time_t) seconds, (long) ((seconds - (time_t) seconds) * 1e9)};
    while (nanosleep (&delay, &delay) != 0)
        ;
}

//  Add to a counter that has one writer: a plain load and store.
static void
s_count (_Atomic uint64_t *counter, uint64_t amount)
{
    atomic_store_explicit (counter, atomic_load_explicit (counter, memory_order_relaxed) + amount,
                           memory_order_relaxed);
}

//  splitmix64: cheap and good enough to pick sentences.
static uint64_t
s_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const char *
s_pick_sentence (uint64_t *random)
{
    return s_sentences[s_random (random) % SENTENCE_COUNT];
}

static bool
s_is_space (char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

//  The next word at or after *cursor_p, with its length in *length_p, and
//  *cursor_p moved past it; NULL when no word is left.
static const char *
s_next_word (const char **cursor_p, size_t *length_p)
{
    const char *word = *cursor_p;
    while (s_is_space (*word))
        word++;
    if (*word == 0)
        return NULL;
    const char *end = word;
    while (*end && !s_is_space (*end))
        end++;
    *length_p = (size_t) (end - word);
    *cursor_p = end;
    return word;
}

static int
s_compare_doubles (const void *a, const void *b)
{
    double x = *(const double *) a;
    double y = *(const double *) b;
    return (x > y) - (x < y);
}

static double
s_median (double *values, size_t count)
{
    qsort (values, count, sizeof (double), s_compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

//  The largest of values over the smallest: how far apart rounds are.
static double
s_spread (const double *values, size_t count)
{
    double low = values[0], high = values[0];
    for (size_t i = 1; i < count; i++) {
        low = values[i] < low ? values[i] : low;
        high = values[i] > high ? values[i] : high;
    }
    return low > 0 ? high / low : 0;
}

static int
s_compare_int64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a;
    int64_t y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  Nearest-rank percentile of sorted nanoseconds, in milliseconds.
static double
s_percentile_ms (const int64_t *sorted, size_t count, size_t percent)
{
    size_t rank = (percent * count + 99) / 100;
    return count ? (double) sorted[rank > 0 ? rank - 1 : 0] / 1e6 : 0;
}

//  Busy and total CPU time of the machine so far, in clock ticks, from
//  /proc/stat; false when it cannot be read.
static bool
s_cpu_ticks (uint64_t *busy_p, uint64_t *total_p)
{
    FILE *file = fopen ("/proc/stat", "r");
    uint64_t ticks[8] = {0};
    int fields = file ? fscanf (file,
                                "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                                " %" SCNu64 " %" SCNu64 " %" SCNu64,
                                &ticks[0], &ticks[1], &ticks[2], &ticks[3], &ticks[4], &ticks[5],
                                &ticks[6], &ticks[7])
                      : 0;
    if (file)
        fclose (file);
    *total_p = 0;
    for (int i = 0; i < 8; i++)
        *total_p += ticks[i];
    *busy_p = *total_p - ticks[3] - ticks[4]; //  less idle and iowait
    return fields == 8;
}

//  Context switches of this process so far, voluntary and not.
static uint64_t
s_switches (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return (uint64_t) usage.ru_nvcsw + (uint64_t) usage.ru_nivcsw;
}

//  Share of the machine's CPU time in use over the next `seconds` (by
//  others: this process sleeps meanwhile), or 0 when unknown.
static double
s_cpu_busy (double seconds)
{
    uint64_t busy_before, total_before, busy_after, total_after;
    if (!s_cpu_ticks (&busy_before, &total_before))
        return 0;
    s_sleep (seconds);
    if (!s_cpu_ticks (&busy_after, &total_after) || total_after == total_before)
        return 0;
    return (double) (busy_after - busy_before) / (double) (total_after - total_before);
}

//  ---------------------------------------------------------------------
//  Word table: open addressing, linear probing, at most half full

typedef struct {
    char *text;    //  the word, NUL-terminated, owned; NULL for a free slot
    size_t length; //  bytes in text
    uint64_t hash; //  FNV-1a of text
    int64_t count; //  occurrences counted
} word_slot_t;

typedef struct {
    word_slot_t *slots; //  capacity slots
    size_t capacity;    //  a power of two
    size_t size;        //  words held
} word_table_t;

//  New empty table, or NULL when out of memory. Caller owns.
static word_table_t *
s_word_table_new (void)
{
    word_table_t *self = calloc (1, sizeof (word_table_t));
    if (self) {
        self->capacity = WORD_SLOTS_INITIAL;
        self->slots = calloc (self->capacity, sizeof (word_slot_t));
        if (!self->slots) {
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
        for (size_t i = 0; i < self->capacity; i++)
            free (self->slots[i].text);
        free (self->slots);
        free (self);
        *self_p = NULL;
    }
}

static uint64_t
s_hash (const char *text, size_t length)
{
    uint64_t hash = 0xCBF29CE484222325ULL;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ (unsigned char) text[i]) * 0x100000001B3ULL;
    return hash;
}

//  The slot of a word with this hash: its own, or the free one it would take.
static word_slot_t *
s_word_table_slot (word_slot_t *slots, size_t capacity, const char *text, size_t length,
                   uint64_t hash)
{
    size_t index = hash & (capacity - 1);
    while (slots[index].text && (slots[index].hash != hash || slots[index].length != length ||
                                 memcmp (slots[index].text, text, length) != 0))
        index = (index + 1) & (capacity - 1);
    return &slots[index];
}

//  Double the slots; returns 0, or -1 when out of memory.
static int
s_word_table_grow (word_table_t *self)
{
    size_t capacity = self->capacity * 2;
    word_slot_t *slots = calloc (capacity, sizeof (word_slot_t));
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->capacity; i++) {
        word_slot_t *word = &self->slots[i];
        if (word->text)
            *s_word_table_slot (slots, capacity, word->text, word->length, word->hash) = *word;
    }
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

//  Count one occurrence of a word. Returns 0, or -1 when out of memory.
static int
s_word_table_count (word_table_t *self, const char *text, size_t length)
{
    uint64_t hash = s_hash (text, length);
    word_slot_t *slot = s_word_table_slot (self->slots, self->capacity, text, length, hash);
    if (!slot->text) {
        if ((self->size + 1) * 2 > self->capacity) {
            if (s_word_table_grow (self) == -1)
                return -1;
            slot = s_word_table_slot (self->slots, self->capacity, text, length, hash);
        }
        slot->text = strndup (text, length);
        if (!slot->text)
            return -1;
        slot->length = length;
        slot->hash = hash;
        self->size++;
    }
    slot->count++;
    return 0;
}

//  Sum of the counts of every word.
static int64_t
s_word_table_total (const word_table_t *self)
{
    int64_t total = 0;
    for (size_t i = 0; i < self->capacity; i++)
        total += self->slots[i].count;
    return total;
}

//  ---------------------------------------------------------------------
//  (a) Baseline: the same work with no runtime, on this thread

//  Words counted per second over `seconds`, or -1 when out of memory.
static double
s_baseline (double seconds)
{
    word_table_t *table = s_word_table_new ();
    if (!table)
        return -1;
    uint64_t random = (uint64_t) s_now_ns ();
    int rc = 0;
    int64_t start = s_now_ns ();
    int64_t end = start + (int64_t) (seconds * 1e9);
    int64_t now;
    do {
        for (int i = 0; i < BASELINE_CHECK_EVERY; i++) {
            const char *cursor = s_pick_sentence (&random);
            const char *word;
            size_t length;
            while ((word = s_next_word (&cursor, &length)))
                rc |= s_word_table_count (table, word, length);
        }
        now = s_now_ns ();
    } while (now < end);
    int64_t words = s_word_table_total (table);
    s_word_table_destroy (&table);
    return rc ? -1 : (double) words / ((double) (now - start) / 1e9);
}

//  ---------------------------------------------------------------------
//  (a) The hand pipeline: the baseline's work on two threads, no runtime

//  A word in the ring, copied as the topology copies it into a tuple, so
//  that its bytes cross cores too. The sentences have no longer word.
#define PIPELINE_WORD_MAX 31
typedef struct {
    uint8_t length;
    char word[PIPELINE_WORD_MAX];
} pipeline_slot_t;

//  The ring between the splitting thread and the counting one. Each
//  position counter has one writer and a cache line of its own.
typedef struct {
    pipeline_slot_t *ring;                          //  PIPELINE_SLOTS slots
    _Alignas(CACHE_LINE) _Atomic uint64_t written;  //  words published by the splitter
    _Alignas(CACHE_LINE) _Atomic uint64_t consumed; //  words the counter is done with
    _Alignas(CACHE_LINE) _Atomic bool done;         //  the splitter published its last
    int64_t counted; //  the counter's words at the end; -1 when out of memory
} pipeline_t;

//  The counting thread: counts published words until the splitter is done
//  and the ring is empty.
static void *
s_pipeline_count (void *argument)
{
    pipeline_t *self = argument;
    word_table_t *table = s_word_table_new ();
    int rc = table ? 0 : -1;
    uint64_t consumed = 0;
    while (true) {
        //  done before written: once done is seen, written is final.
        bool done = atomic_load_explicit (&self->done, memory_order_acquire);
        uint64_t written = atomic_load_explicit (&self->written, memory_order_acquire);
        if (done && consumed == written)
            break;
        for (; consumed < written; consumed++) {
            const pipeline_slot_t *slot = &self->ring[consumed % PIPELINE_SLOTS];
            if (table)
                rc |= s_word_table_count (table, slot->word, slot->length);
        }
        atomic_store_explicit (&self->consumed, consumed, memory_order_release);
    }
    self->counted = rc ? -1 : s_word_table_total (table);
    s_word_table_destroy (&table);
    return NULL;
}

//  Words counted per second over `seconds` by the splitting thread (this
//  one) and a counting thread, or -1 when out of memory or threads.
static double
s_pipeline_baseline (double seconds)
{
    pipeline_t self = {.ring = calloc (PIPELINE_SLOTS, sizeof (pipeline_slot_t))};
    pthread_t counter;
    if (!self.ring || pthread_create (&counter, NULL, s_pipeline_count, &self)) {
        free (self.ring);
        return -1;
    }
    uint64_t random = (uint64_t) s_now_ns ();
    uint64_t written = 0, published = 0, consumed = 0;
    int64_t start = s_now_ns ();
    int64_t end = start + (int64_t) (seconds * 1e9);
    do {
        for (int i = 0; i < BASELINE_CHECK_EVERY; i++) {
            const char *cursor = s_pick_sentence (&random);
            const char *word;
            size_t length;
            while ((word = s_next_word (&cursor, &length))) {
                assert (length <= PIPELINE_WORD_MAX); //  the sentences are this file's
                //  Full: hand over what is written, wait for the counter.
                while (written - consumed == PIPELINE_SLOTS) {
                    atomic_store_explicit (&self.written, written, memory_order_release);
                    published = written;
                    consumed = atomic_load_explicit (&self.consumed, memory_order_acquire);
                }
                pipeline_slot_t *slot = &self.ring[written % PIPELINE_SLOTS];
                slot->length = (uint8_t) length;
                memcpy (slot->word, word, length);
                if (++written - published == PIPELINE_BATCH) {
                    atomic_store_explicit (&self.written, written, memory_order_release);
                    published = written;
                }
            }
        }
    } while (s_now_ns () < end);
    atomic_store_explicit (&self.written, written, memory_order_release);
    atomic_store_explicit (&self.done, true, memory_order_release);
    pthread_join (counter, NULL);
    int64_t now = s_now_ns ();
    free (self.ring);
    return self.counted < 0 ? -1 : (double) self.counted / ((double) (now - start) / 1e9);
}

//  ---------------------------------------------------------------------
//  Spout "sentences": as fast as the runtime calls it. Config key
//  bench.tracked: emit tracked sentences (acked runs) or untracked ones.

typedef struct {
    sq_collector_t *collector; //  where sentences go
    uint64_t random;           //  generator state for picking sentences
    bool tracked;              //  emit with message ids
    uint64_t last_msg_id;      //  msg id of the latest tracked sentence
} sentences_t;

static void
s_sentences_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "sentence");
}

static int
s_sentences_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    sentences_t *self = calloc (1, sizeof (sentences_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->random = (uint64_t) s_now_ns ();
    self->tracked = sq_config_bool (sq_context_config (context), "bench.tracked", false);
    s_stage_register (STAGE_SPOUT);
    *state_p = self;
    return 0;
}

//  One sentence per call, as a Storm spout would.
static void
s_sentences_next (void *state)
{
    sentences_t *self = state;
    sq_value_t sentence = sq_str (s_pick_sentence (&self->random));
    if (self->tracked)
        sq_collector_emit_tracked (self->collector, NULL, ++self->last_msg_id, &sentence, 1);
    else
        sq_collector_emit (self->collector, NULL, &sentence, 1);
}

static void
s_spout_fail (void *state, uint64_t msg_id)
{
    atomic_fetch_add (&s_probe.failed, 1);
}

static const sq_spout_t s_sentences_spout = {
    .declare_outputs = s_sentences_declare,
    .open = s_sentences_open,
    .next_tuple = s_sentences_next,
    .fail = s_spout_fail,
    .close = free,
};

//  ---------------------------------------------------------------------
//  Spout "sentences", paced: tuple i is due at start + i / bench.rate and
//  goes out at the first call after that; ack records now - due time.

typedef struct {
    sq_collector_t *collector; //  where sentences go
    uint64_t random;           //  generator state for picking sentences
    double period_ns;          //  time between due times
    int64_t start_ns;          //  due time of tuple 0; 0 before the first call
    uint64_t next;             //  next tuple (msg id) to emit
    uint64_t window_first;     //  first tuple whose latency is sampled
    uint64_t window_end;       //  first tuple past the sampled window
} paced_t;

static int
s_paced_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    paced_t *self = calloc (1, sizeof (paced_t));
    if (!self)
        return -1;
    double rate = sq_config_double (sq_context_config (context), "bench.rate", 1000);
    self->collector = collector;
    self->random = (uint64_t) s_now_ns ();
    self->period_ns = 1e9 / rate;
    self->window_first = (uint64_t) (LATENCY_WARMUP_SECS * rate);
    self->window_end = (uint64_t) ((LATENCY_WARMUP_SECS + LATENCY_WINDOW_SECS) * rate);
    s_probe.latency_expected = self->window_end - self->window_first;
    *state_p = self;
    return 0;
}

static int64_t
s_paced_due_ns (const paced_t *self, uint64_t msg_id)
{
    return self->start_ns + (int64_t) ((double) msg_id * self->period_ns);
}

//  Emit every tuple that is due, oldest first, at most a burst per call.
static void
s_paced_next (void *state)
{
    paced_t *self = state;
    int64_t now = s_now_ns ();
    if (self->start_ns == 0)
        self->start_ns = now;
    for (int burst = 0; burst < LATENCY_BURST_MAX && s_paced_due_ns (self, self->next) <= now;
         burst++) {
        sq_value_t sentence = sq_str (s_pick_sentence (&self->random));
        sq_collector_emit_tracked (self->collector, NULL, self->next++, &sentence, 1);
    }
}

static void
s_paced_ack (void *state, uint64_t msg_id)
{
    paced_t *self = state;
    if (msg_id >= self->window_first && msg_id < self->window_end &&
        s_probe.latency_count < s_probe.latency_capacity)
        s_probe.latencies[s_probe.latency_count++] = s_now_ns () - s_paced_due_ns (self, msg_id);
}

static const sq_spout_t s_paced_spout = {
    .declare_outputs = s_sentences_declare,
    .open = s_paced_open,
    .next_tuple = s_paced_next,
    .ack = s_paced_ack,
    .fail = s_spout_fail,
    .close = free,
};

//  ---------------------------------------------------------------------
//  Bolt "split": sentence -> words, anchored, then acks. With acking off
//  the runtime makes anchors and acks free, so both runs use this code.

static void
s_split_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
}

static int
s_split_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    s_stage_register (STAGE_SPLIT);
    *state_p = collector;
    return 0;
}

static void
s_split_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_t *collector = state;
    const char *cursor = sq_tuple_get_string (input, 0);
    const char *word;
    size_t length;
    while (cursor && (word = s_next_word (&cursor, &length)))
        sq_collector_emit (collector, input, SQ_VALUES (sq_strn (word, length)));
    sq_collector_ack (collector, input);
    s_count (&s_probe.sentences.value, 1);
}

static const sq_bolt_t s_split_bolt = {
    .declare_outputs = s_split_declare,
    .prepare = s_split_prepare,
    .execute = s_split_execute,
};

//  ---------------------------------------------------------------------
//  Bolt "count": counts words, emits nothing, acks

typedef struct {
    sq_collector_t *collector; //  for acks
    word_table_t *words;       //  count per word seen by this task
    _Atomic uint64_t *counter; //  this task's counter in s_probe
} count_t;

static int
s_count_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    count_t *self = calloc (1, sizeof (count_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->words = s_word_table_new ();
    self->counter = &s_probe.words[sq_context_task_index (context)].value;
    if (sq_context_task_index (context) == 0)
        s_stage_register (STAGE_COUNT);
    if (!self->words) {
        free (self);
        return -1;
    }
    *state_p = self;
    return 0;
}

static void
s_count_execute (void *state, const sq_tuple_t *input)
{
    count_t *self = state;
    const sq_value_t *word = sq_tuple_value (input, 0);
    if (s_word_table_count (self->words, word->as.s.ptr, word->as.s.len) == 0) {
        s_count (self->counter, 1);
        sq_collector_ack (self->collector, input);
    } else
        sq_collector_fail (self->collector, input);
}

static void
s_count_cleanup (void *state)
{
    count_t *self = state;
    atomic_fetch_add (&s_probe.counted, s_word_table_total (self->words));
    s_word_table_destroy (&self->words);
    free (self);
}

static const sq_bolt_t s_count_bolt = {
    .prepare = s_count_prepare,
    .execute = s_count_execute,
    .cleanup = s_count_cleanup,
};

//  ---------------------------------------------------------------------
//  (b) and (c): runs of the topology in the local cluster

static uint64_t
s_words_counted (void)
{
    uint64_t words = 0;
    for (int t = 0; t < COUNT_TASKS; t++)
        words += atomic_load (&s_probe.words[t].value);
    return words;
}

//  Zero the probe's counts and submit the word count with this spout and
//  config as "wordcount"; returns 0 or -1.
static int
s_submit_wordcount (sq_local_cluster_t *cluster, const sq_spout_t *spout, const sq_config_t *config)
{
    for (int t = 0; t < COUNT_TASKS; t++)
        atomic_store (&s_probe.words[t].value, 0);
    atomic_store (&s_probe.sentences.value, 0);
    atomic_store (&s_probe.counted, 0);
    atomic_store (&s_probe.failed, 0);
    for (int stage = 0; stage < STAGES; stage++)
        atomic_store (&s_probe.stage_known[stage], false);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "sentences", spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "split", &s_split_bolt, 1),
                                   "sentences", NULL);
    sq_component_fields_grouping (
        sq_topology_set_bolt (topology, "count", &s_count_bolt, COUNT_TASKS), "split", NULL,
        "word");
    if (sq_local_cluster_submit (cluster, "wordcount", config, &topology) == -1) {
        fprintf (stderr, "squall_bench: cannot run the topology: %s\n", sq_last_error ());
        return -1;
    }
    return 0;
}

//  Run the word count with this spout and config for warm-up plus
//  measured seconds, then kill it. Words and sentences per second of the
//  measured interval go to *words_p and *sentences_p. Returns 0 or -1.
static int
s_run (sq_local_cluster_t *cluster, const sq_spout_t *spout, const sq_config_t *config,
       double warmup_secs, double measured_secs, double *words_p, double *sentences_p)
{
    if (s_submit_wordcount (cluster, spout, config))
        return -1;
    s_sleep (warmup_secs);
    int64_t start = s_now_ns ();
    double cpu_start = s_cpu_secs ();
    double stage_start[STAGES];
    for (int stage = 0; stage < STAGES; stage++)
        stage_start[stage] = s_stage_cpu ((stage_t) stage);
    uint64_t words = s_words_counted ();
    uint64_t sentences = atomic_load (&s_probe.sentences.value);
    uint64_t busy_start, total_start, busy_end, total_end;
    bool ticks = s_cpu_ticks (&busy_start, &total_start);
    uint64_t switches = s_switches ();
    s_sleep (measured_secs);
    int64_t end = s_now_ns ();
    s_probe.cpu_secs = s_cpu_secs () - cpu_start;
    double seconds = (double) (end - start) / 1e9;
    //  Where the time of a slow round went: cores this process used, cores
    //  others took from it, and how often its threads were switched.
    s_probe.switches_per_s = (double) (s_switches () - switches) / seconds;
    s_probe.cores = s_probe.cpu_secs / seconds;
    ticks = s_cpu_ticks (&busy_end, &total_end) && ticks && total_end > total_start;
    s_probe.other_cores = ticks ? (double) (busy_end - busy_start) /
                                          (double) (total_end - total_start) *
                                          (double) sysconf (_SC_NPROCESSORS_ONLN) -
                                      s_probe.cores
                                : 0;
    s_probe.stage_secs[STAGES] = s_probe.cpu_secs;
    for (int stage = 0; stage < STAGES; stage++) {
        s_probe.stage_secs[stage] = s_stage_cpu ((stage_t) stage) - stage_start[stage];
        s_probe.stage_secs[STAGES] -= s_probe.stage_secs[stage];
    }
    words = s_words_counted () - words;
    s_probe.measured_words = words;
    sentences = atomic_load (&s_probe.sentences.value) - sentences;
    sq_local_cluster_kill (cluster, "wordcount", 0);
    if (atomic_load (&s_probe.failed))
        printf ("note: %" PRIu64 " spout trees failed or timed out\n",
                (uint64_t) atomic_load (&s_probe.failed));
    //  Every word executed was counted in a table, and nothing else was.
    if ((uint64_t) atomic_load (&s_probe.counted) != s_words_counted ()) {
        fprintf (stderr,
                 "squall_bench: count tables hold %" PRId64 " words, count executed %" PRIu64 "\n",
                 atomic_load (&s_probe.counted), s_words_counted ());
        return -1;
    }
    *words_p = (double) words / seconds;
    *sentences_p = (double) sentences / seconds;
    return 0;
}

//  Apply SQUALL_BENCH_CONFIG ("key=value key=value ...") to config, so
//  two runtime settings can be compared with one build; 0 or -1.
static int
s_apply_overrides (sq_config_t *config)
{
    const char *overrides = getenv ("SQUALL_BENCH_CONFIG");
    char *copy = overrides ? strdup (overrides) : NULL;
    int rc = 0;
    char *saved = NULL;
    for (char *item = copy ? strtok_r (copy, " ", &saved) : NULL; rc == 0 && item;
         item = strtok_r (NULL, " ", &saved)) {
        char *equals = strchr (item, '=');
        if (equals)
            *equals = 0;
        rc = equals ? sq_config_set (config, item, equals + 1) : -1;
        if (rc)
            fprintf (stderr, "squall_bench: SQUALL_BENCH_CONFIG: cannot set '%s': %s\n", item,
                     equals ? sq_last_error () : "no '='");
    }
    free (copy);
    return rc;
}

//  Put the last run's CPU nanoseconds per word of each stage (and of the
//  rest: ackers, the main thread) into costs[stage][round], and print
//  them with the cores used and the context switches of the run.
static void
s_stage_costs (double costs[STAGES + 1][ROUNDS], int round, const char *run)
{
    double words = s_probe.measured_words ? (double) s_probe.measured_words : 1;
    double sum = 0;
    for (int stage = 0; stage <= STAGES; stage++) {
        costs[stage][round] = s_probe.stage_secs[stage] * 1e9 / words;
        sum += costs[stage][round];
    }
    printf ("  %s: %.0f CPU ns per word (", run, sum);
    for (int stage = 0; stage <= STAGES; stage++)
        printf ("%s%s %.0f", stage ? ", " : "", s_stage_names[stage], costs[stage][round]);
    printf ("), %.2f cores busy (other work %.2f), %.0f switches/s\n", s_probe.cores,
            s_probe.other_cores, s_probe.switches_per_s);
}

//  Throughput for measured_secs, acking on or off, executor metrics on or
//  off (on is the default topologies run with).
//  The config of a throughput run, acking on or off, executor metrics
//  on or off; NULL when SQUALL_BENCH_CONFIG is wrong. Caller owns.
static sq_config_t *
s_throughput_config (bool acked, bool metrics)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", acked ? 1 : 0);
    sq_config_set_bool (config, "bench.tracked", acked);
    sq_config_set_bool (config, "topology.metrics.enabled", metrics);
    if (s_probe.sample_rate > 0)
        sq_config_set_double (config, "topology.stats.sample.rate", s_probe.sample_rate);
    sq_config_set_double (config, "topology.trace.sample.rate", s_probe.trace_rate);
    if (s_apply_overrides (config))
        sq_config_destroy (&config);
    return config;
}

//  Throughput for measured_secs, acking on or off, executor metrics on or
//  off (on is the default topologies run with).
static int
s_run_throughput (sq_local_cluster_t *cluster, bool acked, bool metrics, double measured_secs,
                  double *words_p, double *sentences_p)
{
    sq_config_t *config = s_throughput_config (acked, metrics);
    if (!config)
        return -1;
    int rc = s_run (cluster, &s_sentences_spout, config, WARMUP_SECS, measured_secs, words_p,
                    sentences_p);
    sq_config_destroy (&config);
    return rc;
}

//  `squall_bench work acked|unacked WORDS`: a fixed amount of work, for
//  counting instructions, cache misses and switches with `perf stat`
//  rather than timing it on a busy machine. Runs the word count until
//  the count bolt executed WORDS words, then prints the CPU nanoseconds
//  per word of each stage since its thread started, and the wall time.
static int
s_work (const char *mode, const char *words_arg)
{
    bool acked = strcmp (mode, "acked") == 0;
    long long target = words_arg ? atoll (words_arg) : 0;
    if ((!acked && strcmp (mode, "unacked")) || target <= 0) {
        fprintf (stderr, "usage: squall_bench work acked|unacked WORDS\n");
        return -1;
    }
    sq_config_t *config = s_throughput_config (acked, true);
    sq_local_cluster_t *cluster = config ? sq_local_cluster_new () : NULL;
    int64_t start = s_now_ns ();
    int rc = cluster ? s_submit_wordcount (cluster, &s_sentences_spout, config) : -1;
    int64_t deadline = start + (int64_t) WORK_DEADLINE_SECS * 1000000000LL;
    while (rc == 0 && s_words_counted () < (uint64_t) target && s_now_ns () < deadline)
        s_sleep (0.001);
    int64_t end = s_now_ns ();
    uint64_t words = s_words_counted ();
    double stage_secs[STAGES];
    for (int stage = 0; stage < STAGES; stage++)
        stage_secs[stage] = s_stage_cpu ((stage_t) stage);
    double cpu_secs = s_cpu_secs ();
    if (rc == 0 && words < (uint64_t) target) {
        fprintf (stderr, "squall_bench: only %" PRIu64 " words counted in %d s\n", words,
                 WORK_DEADLINE_SECS);
        rc = -1;
    }
    if (rc == 0) {
        sq_local_cluster_kill (cluster, "wordcount", 0);
        printf ("work %s: %" PRIu64 " words in %.3f s; CPU ns per word:", mode, words,
                (double) (end - start) / 1e9);
        double rest = cpu_secs;
        for (int stage = 0; stage < STAGES; stage++) {
            printf (" %s %.1f,", s_stage_names[stage], stage_secs[stage] * 1e9 / (double) words);
            rest -= stage_secs[stage];
        }
        printf (" %s %.1f, sum %.1f\n", s_stage_names[STAGES], rest * 1e9 / (double) words,
                cpu_secs * 1e9 / (double) words);
    }
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    return rc;
}

//  The metrics_overhead_ratio figure: the median over the rounds of acked
//  words/s with metrics on over the median with them off. Returns the
//  ratio, or -1.
static double
s_metrics_overhead (sq_local_cluster_t *cluster)
{
    double on[METRICS_ROUNDS], off[METRICS_ROUNDS], ratios[METRICS_ROUNDS], sentences;
    double cpu_ratios[METRICS_ROUNDS], words_per_cpu[2];
    for (int round = 0; round < METRICS_ROUNDS; round++) {
        //  Alternate which goes first, so a drift of the machine does not
        //  favour one side.
        bool on_first = round % 2 == 0;
        for (int run = 0; run < 2; run++) {
            bool metrics = (run == 0) == on_first;
            if (s_run_throughput (cluster, true, metrics, METRICS_ROUND_SECS,
                                  metrics ? &on[round] : &off[round], &sentences))
                return -1;
            words_per_cpu[metrics] =
                (metrics ? on[round] : off[round]) * METRICS_ROUND_SECS / s_probe.cpu_secs;
        }
        ratios[round] = on[round] / off[round];
        cpu_ratios[round] = words_per_cpu[1] / words_per_cpu[0];
        printf ("metrics round %d: on %.0f, off %.0f words/s, ratio %.3f (words per CPU "
                "second: ratio %.3f)\n",
                round + 1, on[round], off[round], ratios[round], cpu_ratios[round]);
    }
    double on_median = s_median (on, METRICS_ROUNDS), off_median = s_median (off, METRICS_ROUNDS);
    printf ("metrics medians: on %.0f, off %.0f words/s; median of the rounds' ratios %.3f, of "
            "their ratios of words per CPU second %.3f\n",
            on_median, off_median, s_median (ratios, METRICS_ROUNDS),
            s_median (cpu_ratios, METRICS_ROUNDS));
    return on_median / off_median;
}

//  The trace figures: acked words/s with tracing off and with 1% of trees
//  traced, alternating which runs first, medians over the rounds into
//  *off_p and *sampled_p. Returns 0 or -1.
static int
s_trace_overhead (sq_local_cluster_t *cluster, double *off_p, double *sampled_p)
{
    double runs[2][TRACE_ROUNDS], per_cpu[2][TRACE_ROUNDS], sentences;
    for (int round = 0; round < TRACE_ROUNDS; round++) {
        for (int run = 0; run < 2; run++) {
            int sampled = (run + round) % 2; //  0: off, 1: sampled
            s_probe.trace_rate = sampled ? TRACE_SAMPLED_RATE : 0;
            int rc = s_run_throughput (cluster, true, true, TRACE_ROUND_SECS, &runs[sampled][round],
                                       &sentences);
            s_probe.trace_rate = 0;
            if (rc)
                return -1;
            per_cpu[sampled][round] = runs[sampled][round] * TRACE_ROUND_SECS / s_probe.cpu_secs;
        }
        printf ("trace round %d: off %.0f, sampled %.0f words/s, ratio %.3f (words per CPU "
                "second: ratio %.3f)\n",
                round + 1, runs[0][round], runs[1][round], runs[0][round] / runs[1][round],
                per_cpu[0][round] / per_cpu[1][round]);
    }
    *off_p = s_median (runs[0], TRACE_ROUNDS);
    *sampled_p = s_median (runs[1], TRACE_ROUNDS);
    printf ("trace medians: off %.0f, sampled %.0f words/s; words per CPU second: off %.0f, "
            "sampled %.0f\n",
            *off_p, *sampled_p, s_median (per_cpu[0], TRACE_ROUNDS),
            s_median (per_cpu[1], TRACE_ROUNDS));
    return 0;
}

//  Print the trace figures; returns 0 or -1.
static int
s_print_trace_overhead (sq_local_cluster_t *cluster)
{
    double off, sampled;
    if (s_trace_overhead (cluster, &off, &sampled))
        return -1;
    printf ("BENCH trace_off_words_per_s %.0f words/s\n", off);
    printf ("BENCH trace_sampled_words_per_s %.0f words/s\n", sampled);
    printf ("BENCH trace_off_ratio %.3f ratio\n", off / sampled);
    return 0;
}

//  Run the acked topology paced at rate sentences/s; latency percentiles
//  go to *p50_p and *p99_p. Returns 0 or -1.
static int
s_run_latency (sq_local_cluster_t *cluster, double rate, double *p50_p, double *p99_p)
{
    s_probe.latency_capacity = (size_t) (rate * LATENCY_WINDOW_SECS) + 16;
    s_probe.latency_count = 0;
    s_probe.latencies = malloc (s_probe.latency_capacity * sizeof (int64_t));
    if (!s_probe.latencies) {
        fprintf (stderr, "squall_bench: out of memory for latency samples\n");
        return -1;
    }
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 1);
    sq_config_set_double (config, "bench.rate", rate);
    double words, sentences;
    int rc = s_run (cluster, &s_paced_spout, config, LATENCY_WARMUP_SECS,
                    LATENCY_WINDOW_SECS + LATENCY_GRACE_SECS, &words, &sentences);
    sq_config_destroy (&config);
    if (rc == 0) {
        //  Tuples due in the window but never acked took at least the
        //  grace time; count them as that, not as nothing.
        size_t missing = s_probe.latency_expected > s_probe.latency_count
                             ? (size_t) s_probe.latency_expected - s_probe.latency_count
                             : 0;
        for (size_t i = 0; i < missing && s_probe.latency_count < s_probe.latency_capacity; i++)
            s_probe.latencies[s_probe.latency_count++] = (int64_t) (LATENCY_GRACE_SECS * 1e9);
        qsort (s_probe.latencies, s_probe.latency_count, sizeof (int64_t), s_compare_int64);
        *p50_p = s_percentile_ms (s_probe.latencies, s_probe.latency_count, 50);
        *p99_p = s_percentile_ms (s_probe.latencies, s_probe.latency_count, 99);
        printf ("latency run: %.0f sentences/s offered, %.0f executed by split, %zu samples, "
                "%zu never acked, max %.3f ms\n",
                rate, sentences, s_probe.latency_count, missing,
                s_percentile_ms (s_probe.latencies, s_probe.latency_count, 100));
    }
    free (s_probe.latencies);
    s_probe.latencies = NULL;
    return rc;
}

//  Print the complete latency percentiles at rate sentences/s, as
//  local_acked_latency<infix>_p50_ms and _p99_ms; 0 or -1.
static int
s_print_latency (sq_local_cluster_t *cluster, double rate, const char *infix)
{
    double p50, p99;
    if (s_run_latency (cluster, rate, &p50, &p99))
        return -1;
    printf ("BENCH local_acked_latency%s_p50_ms %.3f ms\n", infix, p50);
    printf ("BENCH local_acked_latency%s_p99_ms %.3f ms\n", infix, p99);
    return 0;
}

//  ---------------------------------------------------------------------
//  (d) Acker memory: LEDGER_TREES trees pending under churn

//  A tree of two tuples, as the test spout emitted it.
typedef struct {
    uint64_t root;   //  root id
    uint64_t first;  //  edge id of the first tuple
    uint64_t second; //  edge id of the second tuple
} tree_t;

//  Ledger bytes per pending tree at the end, or -1 when the ledger went
//  wrong. Step s completes the tree begun at step s - LEDGER_TREES (ack of
//  its second tuple), acks the first tuple of the tree begun half as long
//  ago, and begins a new tree (init); the ledger rotates its buckets every
//  LEDGER_ROTATE_EVERY steps, so each tree lives through two rotations.
static double
s_ledger_bytes_per_tree (void)
{
    sq_ledger_t *ledger = sq_ledger_new (SQ_LEDGER_BUCKETS);
    tree_t *trees = calloc (LEDGER_TREES, sizeof (tree_t));
    if (!ledger || !trees) {
        fprintf (stderr, "squall_bench: out of memory for the ledger test\n");
        sq_ledger_destroy (&ledger);
        free (trees);
        return -1;
    }
    size_t completed = 0;
    size_t surprises = 0;
    size_t expired = 0;
    size_t operations = 0;
    int64_t start = s_now_ns ();
    for (size_t step = 0; step < LEDGER_TREES + LEDGER_STEPS; step++) {
        tree_t *tree = &trees[step % LEDGER_TREES];
        if (step >= LEDGER_TREES) {
            int rc = sq_ledger_ack (ledger, tree->root, tree->second);
            completed += rc == SQ_LEDGER_COMPLETE;
            surprises += rc != SQ_LEDGER_COMPLETE;
            operations++;
        }
        if (step >= LEDGER_TREES / 2) {
            tree_t *middle = &trees[(step - LEDGER_TREES / 2) % LEDGER_TREES];
            surprises += sq_ledger_ack (ledger, middle->root, middle->first) != SQ_LEDGER_NONE;
            operations++;
        }
        tree->root = sq_ids_root (1);
        tree->first = sq_ids_edge (2, 7);
        do
            tree->second = sq_ids_edge (3, 7);
        while (tree->second == tree->first);
        surprises +=
            sq_ledger_init (ledger, tree->root, tree->first ^ tree->second) != SQ_LEDGER_NONE;
        operations++;
        if ((step + 1) % LEDGER_ROTATE_EVERY == 0)
            expired += sq_ledger_rotate (ledger);
    }
    double seconds = (double) (s_now_ns () - start) / 1e9;
    size_t pending = sq_ledger_pending (ledger);
    size_t bytes = sq_ledger_bytes (ledger);
    printf ("ledger: %zu operations in %.3f s (%.1f M/s), %zu trees completed, %zu pending, "
            "%zu bytes\n",
            operations, seconds, (double) operations / seconds / 1e6, completed, pending, bytes);
    sq_ledger_destroy (&ledger);
    free (trees);
    if (surprises || expired || completed != LEDGER_STEPS || pending != LEDGER_TREES) {
        fprintf (stderr, "squall_bench: ledger went wrong: %zu unexpected results, %zu expired\n",
                 surprises, expired);
        return -1;
    }
    return (double) bytes / (double) pending;
}

//  Median nanoseconds per sq_histogram_record, or -1 if the counts are
//  off. The latencies are drawn beforehand so the generator is not timed.
static double
s_histogram_record_ns (void)
{
    sq_histogram_t *histogram = sq_histogram_new ();
    uint64_t *values = calloc (HISTOGRAM_VALUES, sizeof (uint64_t));
    if (!histogram || !values) {
        sq_histogram_destroy (&histogram);
        free (values);
        return -1;
    }
    uint64_t random = (uint64_t) s_now_ns ();
    for (size_t at = 0; at < HISTOGRAM_VALUES; at++)
        values[at] = 100 + s_random (&random) % (1ULL << (7 + s_random (&random) % 20));
    double runs[HISTOGRAM_RUNS];
    for (int run = 0; run < HISTOGRAM_RUNS; run++) {
        int64_t start = s_now_ns ();
        for (size_t at = 0; at < HISTOGRAM_RECORDS; at++)
            sq_histogram_record (histogram, values[at & (HISTOGRAM_VALUES - 1)]);
        runs[run] = (double) (s_now_ns () - start) / HISTOGRAM_RECORDS;
    }
    uint64_t count = sq_histogram_count (histogram);
    sq_histogram_destroy (&histogram);
    free (values);
    if (count != (uint64_t) HISTOGRAM_RUNS * HISTOGRAM_RECORDS) {
        fprintf (stderr, "squall_bench: histogram counted %" PRIu64 " records\n", count);
        return -1;
    }
    return s_median (runs, HISTOGRAM_RUNS);
}

//  ---------------------------------------------------------------------

//  Only the metrics_overhead_ratio figure (`squall_bench metrics [RATE]`,
//  RATE the topology.stats.sample.rate to run with).
//  ---------------------------------------------------------------------
//  Idle executors: memory, CPU and the wake-up of the first tuple

//  Spout "idle": emits nothing until main raises s_idle.fire, then one
//  tracked tuple per raise; its ack records the time from emit to ack.
static struct {
    _Atomic int fire;         //  raised by main: tuples wanted
    _Atomic int64_t emit_ns;  //  when the last one went out
    _Atomic int64_t acked_ns; //  when its ack came back; 0 until then
    uint64_t emitted;         //  tuples emitted (spout thread only)
} s_idle;

static void
s_idle_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "n");
}

static int
s_idle_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_idle_next (void *state)
{
    if (atomic_load (&s_idle.fire) == 0)
        return;
    atomic_fetch_sub (&s_idle.fire, 1);
    s_idle.emitted++;
    atomic_store (&s_idle.acked_ns, 0);
    atomic_store (&s_idle.emit_ns, s_now_ns ());
    sq_collector_emit_tracked (state, NULL, s_idle.emitted, SQ_VALUES (sq_int (1)));
}

static void
s_idle_ack (void *state, uint64_t msg_id)
{
    atomic_store (&s_idle.acked_ns, s_now_ns ());
}

static const sq_spout_t s_idle_spout = {
    .declare_outputs = s_idle_declare,
    .open = s_idle_open,
    .next_tuple = s_idle_next,
    .ack = s_idle_ack,
    .fail = s_spout_fail,
};

static int
s_ack_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_ack_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_ack_bolt = {
    .prepare = s_ack_prepare,
    .execute = s_ack_execute,
};

//  Resident set of this process in KiB, from /proc/self/statm; -1 if unknown.
static double
s_rss_kib (void)
{
    FILE *file = fopen ("/proc/self/statm", "r");
    long pages = -1, resident = -1;
    if (file) {
        if (fscanf (file, "%ld %ld", &pages, &resident) != 2)
            resident = -1;
        fclose (file);
    }
    return resident < 0 ? -1 : (double) resident * (double) sysconf (_SC_PAGESIZE) / 1024;
}

//  Submit topology "idle": the idle spout and `bolts` bolt executors
//  (each acking what it gets, all subscribed to the spout), acking on or
//  off. Puts the RSS growth per bolt, once they are all waiting, in
//  *kib_p. The topology keeps running; returns 0 or -1.
static int
s_idle_submit (sq_local_cluster_t *cluster, int bolts, bool acked, double *kib_p)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "idle", &s_idle_spout, 1);
    sq_component_shuffle_grouping (sq_topology_set_bolt (topology, "ack", &s_ack_bolt, bolts),
                                   "idle", NULL);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", acked ? 1 : 0);
    double before = s_rss_kib ();
    int rc = sq_local_cluster_submit (cluster, "idle", config, &topology);
    sq_config_destroy (&config);
    if (rc == -1) {
        fprintf (stderr, "squall_bench: cannot run the idle topology: %s\n", sq_last_error ());
        return -1;
    }
    //  Let every executor reach its wait before reading the memory: the
    //  start-up is over once a whole second uses little CPU (on a loaded
    //  machine the executors' short sleeps before parking take longer).
    s_sleep (IDLE_SETTLE_SECS);
    int64_t deadline = s_now_ns () + (int64_t) IDLE_QUIET_DEADLINE_SECS * 1000000000LL;
    double busy = 100;
    while (busy >= IDLE_QUIET_PERCENT && s_now_ns () < deadline) {
        double cpu = s_cpu_secs ();
        s_sleep (1);
        busy = 100 * (s_cpu_secs () - cpu);
    }
    if (busy >= IDLE_QUIET_PERCENT)
        printf ("note: %d idle bolts still used %.1f%% of a core after %d s\n", bolts, busy,
                IDLE_QUIET_DEADLINE_SECS);
    *kib_p = (s_rss_kib () - before) / bolts;
    return 0;
}

//  CPU this process uses over whole seconds, in percent of one core; the
//  figure of each second goes to stdout too.
static double
s_cpu_percent (int seconds)
{
    double cpu_start = s_cpu_secs ();
    int64_t start = s_now_ns ();
    printf ("CPU per second:");
    for (int second = 0; second < seconds; second++) {
        double before = s_cpu_secs ();
        s_sleep (1);
        printf (" %.1f%%", 100 * (s_cpu_secs () - before));
    }
    printf ("\n");
    return 100 * (s_cpu_secs () - cpu_start) / ((double) (s_now_ns () - start) / 1e9);
}

//  Milliseconds from emit to ack of one tuple sent after `idle_secs` of
//  idling, the median of IDLE_WAKEUPS of them; -1 on a lost tuple.
static double
s_idle_wakeup_ms (sq_local_cluster_t *cluster)
{
    double kib, latencies[IDLE_WAKEUPS];
    if (s_idle_submit (cluster, 1, true, &kib))
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < IDLE_WAKEUPS; i++) {
        s_sleep (IDLE_BEFORE_WAKEUP_SECS);
        atomic_store (&s_idle.acked_ns, 0);
        atomic_store (&s_idle.fire, 1);
        int64_t deadline = s_now_ns () + (int64_t) (IDLE_ACK_DEADLINE_SECS * 1e9);
        while (atomic_load (&s_idle.acked_ns) == 0 && s_now_ns () < deadline)
            s_sleep (0.001);
        int64_t acked = atomic_load (&s_idle.acked_ns);
        if (acked == 0) {
            fprintf (stderr, "squall_bench: the idle topology's tuple was not acked in %.0f s\n",
                     IDLE_ACK_DEADLINE_SECS);
            rc = -1;
        } else
            latencies[i] = (double) (acked - atomic_load (&s_idle.emit_ns)) / 1e6;
    }
    sq_local_cluster_kill (cluster, "idle", 0);
    if (rc)
        return -1;
    printf ("idle wake-ups (emit to ack after %.1f s idle):", IDLE_BEFORE_WAKEUP_SECS);
    for (int i = 0; i < IDLE_WAKEUPS; i++)
        printf (" %.3f", latencies[i]);
    printf (" ms\n");
    return s_median (latencies, IDLE_WAKEUPS);
}

//  The idle figures: memory per idle executor at 100, 1,000 and 5,000
//  bolts in this process, CPU of 1,000 idle bolts, and the wake-up of the
//  first tuple after idling.
static int
s_print_idle (sq_local_cluster_t *cluster)
{
    //  A small topology first: what the first executor threads of a
    //  process set up once (allocator arenas) is not a cost per executor.
    double kib;
    if (s_idle_submit (cluster, IDLE_WARMUP_BOLTS, false, &kib))
        return -1;
    sq_local_cluster_kill (cluster, "idle", 0);
    static const int sizes[] = {100, 1000, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        if (s_idle_submit (cluster, sizes[i], false, &kib))
            return -1;
        if (sizes[i] == 1000) {
            printf ("BENCH worker_rss_per_executor_kib %.1f KiB\n", kib);
            printf ("BENCH idle_cpu_percent_1000_executors %.2f %%\n",
                    s_cpu_percent (IDLE_CPU_SECS));
        } else
            printf ("BENCH worker_rss_per_executor_kib_%d %.1f KiB\n", sizes[i], kib);
        sq_local_cluster_kill (cluster, "idle", 0);
    }
    double wakeup_ms = s_idle_wakeup_ms (cluster);
    if (wakeup_ms < 0)
        return -1;
    printf ("BENCH idle_wakeup_latency_ms %.3f ms\n", wakeup_ms);
    return 0;
}

static int
s_metrics_only (const char *rate)
{
    if (rate) {
        s_probe.sample_rate = atof (rate);
        printf ("topology.stats.sample.rate %g\n", s_probe.sample_rate);
    }
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double ratio = s_metrics_overhead (cluster);
    if (ratio >= 0)
        printf ("BENCH metrics_overhead_ratio %.3f ratio\n", ratio);
    sq_local_cluster_destroy (&cluster);
    return ratio < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

//  How much more the host slowed the CPUs in the worst run of the rounds
//  than in the quietest (slowest: the CPU probe's figure for each run).
static void
s_print_host_slowdown (double slowest[RUN_KINDS][ROUNDS])
{
    double quietest = 0, worst = 0;
    for (int run = 0; run < RUN_KINDS; run++)
        for (int round = 0; round < ROUNDS; round++) {
            double figure = slowest[run][round];
            quietest = figure > 0 && (quietest == 0 || figure < quietest) ? figure : quietest;
            worst = figure > worst ? figure : worst;
        }
    if (quietest > 0)
        printf ("BENCH host_slowdown_spread %.3f ratio\n", worst / quietest);
    else
        printf ("note: no CPU probe figure (SQUALL_BENCH_CPU_PROBE=0, or no sample taken)\n");
}

int
main (int argc, char *argv[])
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp (argv[1], "metrics") == 0)
        return s_metrics_only (argc > 2 ? argv[2] : NULL);
    if (argc > 1 && strcmp (argv[1], "idle") == 0) {
        sq_local_cluster_t *cluster = sq_local_cluster_new ();
        int rc = s_print_idle (cluster);
        sq_local_cluster_destroy (&cluster);
        return rc ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (argc > 1 && strcmp (argv[1], "ledger") == 0) {
        double bytes = s_ledger_bytes_per_tree ();
        if (bytes >= 0)
            printf ("BENCH acker_bytes_per_pending_tree %.1f bytes\n", bytes);
        return bytes < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (argc > 1 && strcmp (argv[1], "work") == 0)
        return s_work (argc > 2 ? argv[2] : "", argc > 3 ? argv[3] : NULL) ? EXIT_FAILURE
                                                                           : EXIT_SUCCESS;
    if (argc > 1 && strcmp (argv[1], "trace") == 0) {
        sq_local_cluster_t *cluster = sq_local_cluster_new ();
        int rc = s_print_trace_overhead (cluster);
        sq_local_cluster_destroy (&cluster);
        return rc ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (argc > 1 && strcmp (argv[1], "latency") == 0) {
        double rate = argc > 2 ? atof (argv[2]) : 0;
        if (rate <= 0) {
            fprintf (stderr, "usage: squall_bench latency SENTENCES_PER_S\n");
            return EXIT_FAILURE;
        }
        sq_local_cluster_t *cluster = sq_local_cluster_new ();
        int rc = s_print_latency (cluster, rate, "");
        sq_local_cluster_destroy (&cluster);
        return rc ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    bool throughput_only = argc > 1 && strcmp (argv[1], "throughput") == 0;
    printf ("squall_bench: word count with no runtime, on one thread and on two (a), and as a "
            "local-mode topology, "
            "acking off and on (b),\n%d interleaved rounds of %.0f s each, medians reported; "
            "then complete latency at half the acked rate and at 2000 sentences/s (c),\n"
            "acker memory (d).\n",
            ROUNDS, ROUND_SECS);
    double busy = s_cpu_busy (BUSY_SAMPLE_SECS);
    if (busy > BUSY_QUIET)
        printf ("note: other work kept the CPUs %.0f%% busy just before the run; it skews the "
                "figures\n",
                busy * 100);
    const char *probe_setting = getenv ("SQUALL_BENCH_CPU_PROBE");
    bool probe_off = probe_setting && strcmp (probe_setting, "0") == 0;
    cpu_probe_t *cpu_probe = probe_off ? NULL : cpu_probe_start ();
    if (!cpu_probe && !probe_off) {
        fprintf (stderr, "squall_bench: cannot start the CPU probe's threads\n");
        return EXIT_FAILURE;
    }
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double baseline[ROUNDS], pipeline[ROUNDS], unacked[ROUNDS], acked[ROUNDS],
        acked_sentences[ROUNDS];
    double slowest[RUN_KINDS][ROUNDS];      //  each run's CPU probe figure: its slowest CPU's mean
    double stage_ns[2][STAGES + 1][ROUNDS]; //  [acked][stage][round]: CPU ns per word
    int rc = 0;
    cpu_probe_period_end (cpu_probe);
    for (int round = 0; rc == 0 && round < ROUNDS; round++) {
        double sentences;
        baseline[round] = s_baseline (ROUND_SECS);
        slowest[RUN_HAND_LOOP][round] = cpu_probe_period_end (cpu_probe);
        pipeline[round] = s_pipeline_baseline (ROUND_SECS);
        slowest[RUN_HAND_PIPELINE][round] = cpu_probe_period_end (cpu_probe);
        rc = baseline[round] < 0 || pipeline[round] < 0 ? -1 : 0;
        if (rc == 0)
            rc = s_run_throughput (cluster, false, true, ROUND_SECS, &unacked[round], &sentences);
        slowest[RUN_UNACKED][round] = cpu_probe_period_end (cpu_probe);
        if (rc == 0)
            s_stage_costs (stage_ns[0], round, "unacked");
        if (rc == 0)
            rc = s_run_throughput (cluster, true, true, ROUND_SECS, &acked[round],
                                   &acked_sentences[round]);
        slowest[RUN_ACKED][round] = cpu_probe_period_end (cpu_probe);
        if (rc == 0)
            s_stage_costs (stage_ns[1], round, "acked");
        if (rc == 0)
            printf ("round %d: baseline %.0f, pipeline %.0f, unacked %.0f, acked %.0f words/s "
                    "(%.0f sentences/s); CPU probe %.2f, %.2f, %.2f, %.2f ns a loop\n",
                    round + 1, baseline[round], pipeline[round], unacked[round], acked[round],
                    acked_sentences[round], slowest[RUN_HAND_LOOP][round],
                    slowest[RUN_HAND_PIPELINE][round], slowest[RUN_UNACKED][round],
                    slowest[RUN_ACKED][round]);
    }
    cpu_probe_stop (&cpu_probe);
    if (rc == 0) {
        double baseline_median = s_median (baseline, ROUNDS);
        double unacked_median = s_median (unacked, ROUNDS);
        double acked_median = s_median (acked, ROUNDS);
        printf ("BENCH baseline_words_per_s %.0f words/s\n", baseline_median);
        printf ("BENCH local_unacked_words_per_s %.0f words/s\n", unacked_median);
        printf ("BENCH local_unacked_ratio %.3f ratio\n", unacked_median / baseline_median);
        printf ("BENCH local_acked_words_per_s %.0f words/s\n", acked_median);
        printf ("BENCH local_acked_ratio %.3f ratio\n", acked_median / baseline_median);
        printf ("BENCH local_unacked_spread %.3f ratio\n", s_spread (unacked, ROUNDS));
        printf ("BENCH local_acked_spread %.3f ratio\n", s_spread (acked, ROUNDS));
        printf ("BENCH baseline_spread %.3f ratio\n", s_spread (baseline, ROUNDS));
        printf ("BENCH baseline_pipeline_words_per_s %.0f words/s\n", s_median (pipeline, ROUNDS));
        printf ("BENCH baseline_pipeline_spread %.3f ratio\n", s_spread (pipeline, ROUNDS));
        s_print_host_slowdown (slowest);
        printf ("CPU ns per word by stage, medians (the hand loop: %.1f ns per word):\n",
                1e9 / baseline_median);
        for (int run = 0; run < 2; run++) {
            printf ("  %s:", run ? "acked" : "unacked");
            double total = 0;
            for (int stage = 0; stage <= STAGES; stage++) {
                double median = s_median (stage_ns[run][stage], ROUNDS);
                total += median;
                printf (" %s %.1f,", s_stage_names[stage], median);
            }
            printf (" sum %.1f\n", total);
        }
        if (throughput_only)
            return EXIT_SUCCESS;
        const char *fixed_rate = getenv ("SQUALL_BENCH_LATENCY_RATE");
        double rate = fixed_rate && atof (fixed_rate) > 0 ? atof (fixed_rate)
                                                          : s_median (acked_sentences, ROUNDS) / 2;
        rc = s_print_latency (cluster, rate, "");
        if (rc == 0)
            rc = s_print_latency (cluster, LATENCY_LOW_RATE, "_2k");
    }
    if (rc == 0) {
        double bytes = s_ledger_bytes_per_tree ();
        rc = bytes < 0 ? -1 : 0;
        if (rc == 0)
            printf ("BENCH acker_bytes_per_pending_tree %.1f bytes\n", bytes);
    }
    if (rc == 0) {
        double ratio = s_metrics_overhead (cluster);
        rc = ratio < 0 ? -1 : 0;
        if (rc == 0)
            printf ("BENCH metrics_overhead_ratio %.3f ratio\n", ratio);
    }
    if (rc == 0)
        rc = s_print_trace_overhead (cluster);
    if (rc == 0) {
        double nanos = s_histogram_record_ns ();
        rc = nanos < 0 ? -1 : 0;
        if (rc == 0)
            printf ("BENCH histogram_record_ns %.2f ns\n", nanos);
    }
    if (rc == 0)
        rc = s_print_idle (cluster);
    sq_local_cluster_destroy (&cluster);
    return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
