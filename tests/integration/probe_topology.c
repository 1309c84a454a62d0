/*  probe_topology - a test package whose deliveries a test can audit

    numbers (spout, 1) -shuffle-> relay (4) -fields "number"-> sink (2)
    and, with probe.groupings set, also from relay:
        -custom (number % 2)-> custom (2)   -partial key "number"-> partial (2)

    The spout plays a durable source, like a message queue with committed
    offsets: it emits the numbers 0 .. probe.messages-1 as tracked tuples
    and appends each acked number to <probe.dir>/acked.log. A spout that
    starts again (its worker was killed) reads that log first and emits only
    the numbers not yet acked, so a test sees at-least-once across crashes
    by checking that the log holds every number. The spout also keeps the
    highest number it has emitted in <probe.dir>/emitted (rewritten when it
    changes, at most every probe.emitted.every seconds), so a test can tell
    which numbers went out before a moment. The sink appends what it
    receives to <probe.dir>/sink-<task>.log, so duplicates can be counted.
    It appends its lifecycle to <probe.dir>/spout.log, one word a line:
    "open", "activate", "deactivate", and "next" for the first next_tuple
    call after each of those, so a test sees when (and whether) the spout
    was activated and called.

    To time message timeouts, the sink can drop the first delivery of every
    probe.drop.every-th number (never acking it, so its tree times out;
    the fields grouping brings the replay to the same sink task, which then
    takes it), and the spout appends to <probe.dir>/failed.log, for every
    fail() call, the number and the seconds since its latest emit, measured
    with the monotonic clock. Likewise the sink can fail the first delivery
    of every number n with n % probe.fail.every == 1 (an explicit fail,
    which the ackers blame on the sink; the replay is then taken).

    For Storm's resetTimeout, the sink can hold the first delivery of every
    probe.hold.every-th number inside execute for probe.hold.secs,
    calling sq_collector_reset_timeout every probe.reset.secs meanwhile
    (0: never), then ack it. For task hooks, the package exports
    probe_counting_hook (name it in topology.auto.task.hooks): each task's
    hook counts what it sees and, at cleanup, writes one line to
    <probe.dir>/hooks-<task>.log: component, emits, emit targets, spout
    acks, spout fails, executes, bolt acks, bolt fails.

    Config keys: probe.dir (required), probe.messages (1000),
    probe.per.call (numbers emitted per next_tuple at most, 10),
    probe.shell.relay (a shell relay: see squall_topology),
    probe.rate (numbers per second at most, not counting replays of failed
    ones; 0, the default: no limit), probe.drop.every (0, the default:
    the sink drops nothing), probe.fail.every (0, the default: the sink
    fails nothing), probe.emitted.every (0.1; 0 rewrites
    <probe.dir>/emitted at every new number, for a test that must know what
    is in flight now), probe.groupings (false: add the custom and partial
    key bolts, which log like the sink). A restarted spout skips the numbers
    already acked at once, so it is back at the head of the stream as soon
    as it has emitted the ones its predecessor left unacked.
*/
#include <squall.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

typedef struct {
    sq_collector_t *collector; //  where numbers go
    FILE *acked_log;           //  <probe.dir>/acked.log, appended
    FILE *failed_log;          //  <probe.dir>/failed.log, appended
    FILE *spout_log;           //  <probe.dir>/spout.log, appended
    bool called;               //  next_tuple called since the last spout.log event
    double *emitted_at;        //  emitted_at[n]: monotonic seconds of n's latest emit
    bool *acked;               //  acked[n]: n was acked
    int *replay;               //  failed numbers to emit again
    int replay_count;          //  how many
    int messages;              //  numbers to deliver
    int next;                  //  next number to consider
    int fresh;                 //  numbers emitted from next since open
    int per_call;              //  most emits per next_tuple
    double rate;               //  new numbers per second at most, 0 for no limit
    double started;            //  monotonic seconds at open
    char *emitted_path;        //  <probe.dir>/emitted
    char *emitted_temporary;   //  where it is written before the rename
    double emitted_written;    //  monotonic seconds of the last rewrite
    double emitted_every;      //  seconds between rewrites at most
    int emitted_last;          //  number written there last, -2 for none yet
} numbers_t;

static void
s_declare_number (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "number");
}

//  <probe.dir>/name, or NULL when probe.dir is not set. Caller frees.
static char *
s_probe_path (const sq_context_t *context, const char *name)
{
    const char *dir = sq_config_string (sq_context_config (context), "probe.dir", NULL);
    if (!dir)
        return NULL;
    size_t size = strlen (dir) + strlen (name) + 2;
    char *path = malloc (size);
    if (path)
        snprintf (path, size, "%s/%s", dir, name);
    return path;
}

static FILE *
s_open_log (const sq_context_t *context, const char *name, const char *mode)
{
    char *path = s_probe_path (context, name);
    FILE *file = path ? fopen (path, mode) : NULL;
    free (path);
    return file;
}

//  Rewrite <probe.dir>/emitted with the highest number emitted, through a
//  file renamed into place so that readers never see half a number.
static void
s_write_emitted (numbers_t *self)
{
    double now = s_now ();
    if (self->next - 1 == self->emitted_last || now - self->emitted_written < self->emitted_every)
        return;
    self->emitted_written = now;
    FILE *file = fopen (self->emitted_temporary, "w");
    if (!file)
        return;
    fprintf (file, "%d\n", self->next - 1);
    if (fclose (file) == 0 && rename (self->emitted_temporary, self->emitted_path) == 0)
        self->emitted_last = self->next - 1;
}

static int
s_numbers_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    const sq_config_t *config = sq_context_config (context);
    numbers_t *self = calloc (1, sizeof (numbers_t));
    self->collector = collector;
    self->messages = (int) sq_config_int (config, "probe.messages", 1000);
    self->per_call = (int) sq_config_int (config, "probe.per.call", 10);
    self->rate = sq_config_double (config, "probe.rate", 0);
    self->emitted_every = sq_config_double (config, "probe.emitted.every", 0.1);
    self->emitted_last = -2;
    self->started = s_now ();
    self->acked = calloc ((size_t) self->messages, sizeof (bool));
    self->replay = calloc ((size_t) self->messages, sizeof (int));
    FILE *previous = s_open_log (context, "acked.log", "r");
    int number;
    while (previous && fscanf (previous, "%d\n", &number) == 1)
        if (number >= 0 && number < self->messages)
            self->acked[number] = true;
    if (previous)
        fclose (previous);
    self->acked_log = s_open_log (context, "acked.log", "a");
    self->failed_log = s_open_log (context, "failed.log", "a");
    self->spout_log = s_open_log (context, "spout.log", "a");
    self->emitted_at = calloc ((size_t) self->messages, sizeof (double));
    char name[64];
    snprintf (name, sizeof name, "emitted.%d", sq_context_task_id (context));
    self->emitted_temporary = s_probe_path (context, name);
    self->emitted_path = s_probe_path (context, "emitted");
    if (!self->acked_log || !self->failed_log || !self->spout_log || !self->emitted_temporary ||
        !self->emitted_path) {
        fprintf (stderr, "probe: config key probe.dir must name a writable directory\n");
        if (self->acked_log)
            fclose (self->acked_log);
        if (self->failed_log)
            fclose (self->failed_log);
        if (self->spout_log)
            fclose (self->spout_log);
        free (self->emitted_at);
        free (self->emitted_temporary);
        free (self->emitted_path);
        free (self->acked);
        free (self->replay);
        free (self);
        return -1;
    }
    setvbuf (self->acked_log, NULL, _IOLBF, 0);
    setvbuf (self->failed_log, NULL, _IOLBF, 0);
    setvbuf (self->spout_log, NULL, _IOLBF, 0);
    fprintf (self->spout_log, "open\n");
    *state_p = self;
    return 0;
}

//  The next number to emit: a failed one first, else the next one not
//  acked yet while the rate allows; -1 for none now.
static int
s_pick_number (numbers_t *self)
{
    if (self->replay_count)
        return self->replay[--self->replay_count];
    while (self->next < self->messages && self->acked[self->next])
        self->next++;
    if (self->next < self->messages &&
        (self->rate <= 0 || self->fresh < (s_now () - self->started) * self->rate)) {
        self->fresh++;
        return self->next++;
    }
    return -1;
}

static void
s_numbers_next (void *state)
{
    numbers_t *self = state;
    if (!self->called)
        fprintf (self->spout_log, "next\n");
    self->called = true;
    for (int emitted = 0; emitted < self->per_call;) {
        int number = s_pick_number (self);
        if (number < 0)
            break;
        if (self->acked[number])
            continue;
        sq_collector_emit_tracked (self->collector, NULL, (uint64_t) number,
                                   SQ_VALUES (sq_int (number)));
        self->emitted_at[number] = s_now ();
        emitted++;
    }
    s_write_emitted (self);
}

static void
s_numbers_ack (void *state, uint64_t msg_id)
{
    numbers_t *self = state;
    if (msg_id < (uint64_t) self->messages && !self->acked[msg_id]) {
        self->acked[msg_id] = true;
        fprintf (self->acked_log, "%d\n", (int) msg_id);
    }
}

static void
s_numbers_fail (void *state, uint64_t msg_id)
{
    numbers_t *self = state;
    if (msg_id >= (uint64_t) self->messages)
        return;
    fprintf (self->failed_log, "%d %.6f\n", (int) msg_id, s_now () - self->emitted_at[msg_id]);
    if (self->replay_count < self->messages)
        self->replay[self->replay_count++] = (int) msg_id;
}

//  Log a status change the spout was told of.
static void
s_numbers_status (numbers_t *self, const char *event)
{
    fprintf (self->spout_log, "%s\n", event);
    self->called = false;
}

static void
s_numbers_activate (void *state)
{
    s_numbers_status (state, "activate");
}

static void
s_numbers_deactivate (void *state)
{
    s_numbers_status (state, "deactivate");
}

static void
s_numbers_close (void *state)
{
    numbers_t *self = state;
    fclose (self->acked_log);
    fclose (self->failed_log);
    fclose (self->spout_log);
    free (self->emitted_at);
    free (self->emitted_temporary);
    free (self->emitted_path);
    free (self->acked);
    free (self->replay);
    free (self);
}

static const sq_spout_t s_numbers = {
    .declare_outputs = s_declare_number,
    .open = s_numbers_open,
    .next_tuple = s_numbers_next,
    .ack = s_numbers_ack,
    .fail = s_numbers_fail,
    .activate = s_numbers_activate,
    .deactivate = s_numbers_deactivate,
    .close = s_numbers_close,
};

static int
s_relay_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

static void
s_relay_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_emit (state, input, SQ_VALUES (sq_int (sq_tuple_get_int (input, 0))));
    sq_collector_ack (state, input);
}

static const sq_bolt_t s_relay = {
    .declare_outputs = s_declare_number,
    .prepare = s_relay_prepare,
    .execute = s_relay_execute,
};

typedef struct {
    sq_collector_t *collector; //  acks inputs
    FILE *log;                 //  <probe.dir>/sink-<task>.log
    int messages;              //  probe.messages
    int drop_every;            //  probe.drop.every, 0 for none
    int fail_every;            //  probe.fail.every, 0 for none
    bool *dropped;             //  dropped[n]: the first delivery of n was dropped,
                               //  failed or held
    int hold_every;            //  probe.hold.every, 0 for none
    double hold_secs;          //  probe.hold.secs
    double reset_secs;         //  probe.reset.secs, 0 for no resets
} sink_t;

static int
s_sink_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    char name[64];
    snprintf (name, sizeof name, "sink-%d.log", sq_context_task_id (context));
    const sq_config_t *config = sq_context_config (context);
    sink_t *self = calloc (1, sizeof (sink_t));
    self->collector = collector;
    self->messages = (int) sq_config_int (config, "probe.messages", 1000);
    self->drop_every = (int) sq_config_int (config, "probe.drop.every", 0);
    self->fail_every = (int) sq_config_int (config, "probe.fail.every", 0);
    self->hold_every = (int) sq_config_int (config, "probe.hold.every", 0);
    self->hold_secs = sq_config_double (config, "probe.hold.secs", 0);
    self->reset_secs = sq_config_double (config, "probe.reset.secs", 0);
    self->dropped = calloc ((size_t) self->messages, sizeof (bool));
    self->log = s_open_log (context, name, "a");
    if (!self->log || !self->dropped) {
        if (self->log)
            fclose (self->log);
        free (self->dropped);
        free (self);
        return -1;
    }
    *state_p = self;
    return 0;
}

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    sink_t *self = state;
    int64_t number = sq_tuple_field_int (input, "number");
    if (self->drop_every > 0 && number >= 0 && number < self->messages &&
        number % self->drop_every == 0 && !self->dropped[number]) {
        self->dropped[number] = true;
        return; //  never acked: the tree times out
    }
    if (self->fail_every > 0 && number >= 0 && number < self->messages &&
        number % self->fail_every == 1 && !self->dropped[number]) {
        self->dropped[number] = true;
        sq_collector_fail (self->collector, input);
        return;
    }
    if (self->hold_every > 0 && number >= 0 && number < self->messages &&
        number % self->hold_every == 0 && !self->dropped[number]) {
        self->dropped[number] = true;
        //  Slow work, pushing the tree's timeout back as it goes.
        double end = s_now () + self->hold_secs;
        for (double now = s_now (); now < end; now = s_now ()) {
            double nap =
                self->reset_secs > 0 && self->reset_secs < end - now ? self->reset_secs : end - now;
            struct timespec pause = {(time_t) nap, (long) ((nap - (double) (time_t) nap) * 1e9)};
            nanosleep (&pause, NULL);
            if (self->reset_secs > 0)
                sq_collector_reset_timeout (self->collector, input);
        }
    }
    fprintf (self->log, "%lld\n", (long long) number);
    sq_collector_ack (self->collector, input);
}

static void
s_sink_cleanup (void *state)
{
    sink_t *self = state;
    fclose (self->log);
    free (self->dropped);
    free (self);
}

static const sq_bolt_t s_sink = {
    .prepare = s_sink_prepare,
    .execute = s_sink_execute,
    .cleanup = s_sink_cleanup,
};

//  Custom grouping: number n goes to target task n % target count.
typedef struct {
    int *targets; //  the target task ids
    size_t count; //  how many
} by_number_t;

static int
s_by_number_prepare (void **state_p, const sq_context_t *context, const char *stream,
                     const int *target_tasks, size_t target_count)
{
    (void) context;
    (void) stream;
    by_number_t *self = calloc (1, sizeof (by_number_t));
    int *targets = malloc (target_count * sizeof (int));
    if (!self || !targets || target_count == 0) {
        free (self);
        free (targets);
        return -1;
    }
    memcpy (targets, target_tasks, target_count * sizeof (int));
    self->targets = targets;
    self->count = target_count;
    *state_p = self;
    return 0;
}

//  ---------------------------------------------------------------------
//  probe_counting_hook: counts per task, written at cleanup.

typedef struct {
    FILE *log;          //  <probe.dir>/hooks-<task>.log
    char component[32]; //  the task's component id
    long emits;         //  emit calls
    long emit_targets;  //  out tasks over all emits
    long spout_acks;    //  spout_ack calls
    long spout_fails;   //  spout_fail calls
    long executes;      //  bolt_execute calls
    long bolt_acks;     //  bolt_ack calls
    long bolt_fails;    //  bolt_fail calls
} hook_counts_t;

static int
s_hook_prepare (void **state_p, const sq_context_t *context)
{
    hook_counts_t *self = calloc (1, sizeof (hook_counts_t));
    char name[64];
    snprintf (name, sizeof name, "hooks-%d.log", sq_context_task_id (context));
    self->log = s_open_log (context, name, "w");
    if (!self->log) {
        free (self);
        return -1;
    }
    snprintf (self->component, sizeof self->component, "%s", sq_context_component_id (context));
    *state_p = self;
    return 0;
}

static int
s_by_number_choose (void *state, int task_id, const sq_value_t *values, size_t count, int *chosen)
{
    (void) task_id;
    (void) count;
    by_number_t *self = state;
    chosen[0] = self->targets[(uint64_t) values[0].as.i % self->count];
    return 1;
}

static void
s_by_number_cleanup (void *state)
{
    by_number_t *self = state;
    free (self->targets);
    free (self);
}

static const sq_custom_grouping_t s_by_number = {
    .prepare = s_by_number_prepare,
    .choose = s_by_number_choose,
    .cleanup = s_by_number_cleanup,
};

static void
s_hook_emit (void *state, const sq_hook_emit_t *emit)
{
    hook_counts_t *self = state;
    self->emits++;
    self->emit_targets += (long) emit->out_task_count;
}

static void
s_hook_spout_ack (void *state, uint64_t msg_id, double latency_ms)
{
    ((hook_counts_t *) state)->spout_acks++;
}

static void
s_hook_spout_fail (void *state, uint64_t msg_id, double latency_ms)
{
    ((hook_counts_t *) state)->spout_fails++;
}

static void
s_hook_execute (void *state, const sq_tuple_t *input, double latency_ms)
{
    ((hook_counts_t *) state)->executes++;
}

static void
s_hook_bolt_ack (void *state, const sq_tuple_t *input, double latency_ms)
{
    ((hook_counts_t *) state)->bolt_acks++;
}

static void
s_hook_bolt_fail (void *state, const sq_tuple_t *input, double latency_ms)
{
    ((hook_counts_t *) state)->bolt_fails++;
}

static void
s_hook_cleanup (void *state)
{
    hook_counts_t *self = state;
    fprintf (self->log, "%s %ld %ld %ld %ld %ld %ld %ld\n", self->component, self->emits,
             self->emit_targets, self->spout_acks, self->spout_fails, self->executes,
             self->bolt_acks, self->bolt_fails);
    fclose (self->log);
    free (self);
}

SQ_EXPORT const sq_task_hook_t probe_counting_hook = {.prepare = s_hook_prepare,
                                                      .emit = s_hook_emit,
                                                      .spout_ack = s_hook_spout_ack,
                                                      .spout_fail = s_hook_spout_fail,
                                                      .bolt_execute = s_hook_execute,
                                                      .bolt_ack = s_hook_bolt_ack,
                                                      .bolt_fail = s_hook_bolt_fail,
                                                      .cleanup = s_hook_cleanup};

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    sq_topology_set_spout (topology, "numbers", &s_numbers, 1);
    //  With probe.shell.relay (the path of tests/multilang/scripted_child.py),
    //  the relay is a shell bolt running it in relay mode, its transcript in
    //  <probe.dir>/shell-transcript.
    const char *shell = sq_config_string (config, "probe.shell.relay", "");
    char transcript[4200];
    snprintf (transcript, sizeof transcript, "%s/shell-transcript",
              sq_config_string (config, "probe.dir", "."));
    const char *args[] = {shell, "relay", transcript, NULL};
    sq_component_t *relay = *shell ? sq_shell_bolt (topology, "relay", "python3", args, "number", 4)
                                   : sq_topology_set_bolt (topology, "relay", &s_relay, 4);
    sq_component_shuffle_grouping (relay, "numbers", NULL);
    sq_component_fields_grouping (sq_topology_set_bolt (topology, "sink", &s_sink, 2), "relay",
                                  NULL, "number");
    if (sq_config_bool (config, "probe.groupings", false)) {
        sq_component_custom_grouping (sq_topology_set_bolt (topology, "custom", &s_sink, 2),
                                      "relay", NULL, &s_by_number);
        sq_component_partial_key_grouping (sq_topology_set_bolt (topology, "partial", &s_sink, 2),
                                           "relay", NULL, "number");
    }
    return 0;
}
