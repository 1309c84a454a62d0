/*  bad_topology - a test package whose squall_topology() goes wrong on request

    The config key bad.behaviour says how:
      hang     never returns, like a package stuck while it builds: nimbus
               must give up on it after nimbus.validation.timeout.secs
      invalid  builds a topology whose bolt reads from a component that
               does not exist, so validation refuses it
      crash    dies of SIGSEGV, like a package with a bad pointer
      exit     calls exit(0), like a package that quits on an error
      loop-bolt    builds a spout that emits numbers into bolt 'spin', whose
                   execute never returns (a loop)
      block-spout  builds spout 'block', whose next_tuple never returns
                   (blocked in pause())
      block-open   builds spout 'opening', whose open never returns
      prepare  builds a valid topology whose bolt "sink" fails in prepare
               (returns -1) on every worker: a worker that cannot start
      segv     builds a valid topology whose bolt "sink" dies of SIGSEGV
               on its first tuple: a worker that crashes while it runs
      idle     builds a valid topology that runs and does nothing
    Any other value, or none, refuses to build (returns -1). loop-bolt,
    block-spout and block-open let storm-submit --local and a worker show
    how they end a run whose callbacks do not return (test_storm_submit,
    test_cluster);
    prepare, segv and idle are the failing workers of test_failures.
*/
#include <squall.h>

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_next_tuple (void *state)
{
    (void) state;
}

static void
s_declare_line (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "line");
}

static void
s_execute (void *state, const sq_tuple_t *input)
{
    (void) state;
    (void) input;
}

typedef struct {
    sq_collector_t *collector; //  where to emit
    long next;                 //  next number
} s_counter_t;

static int
s_counter_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    s_counter_t *self = calloc (1, sizeof (s_counter_t));
    if (!self)
        return -1;
    self->collector = collector;
    *state_p = self;
    return 0;
}

static void
s_counter_next (void *state)
{
    s_counter_t *self = state;
    sq_collector_emit_tracked (self->collector, NULL, (uint64_t) self->next,
                               SQ_VALUES (sq_int (self->next)));
    self->next++;
}

static void
s_counter_close (void *state)
{
    free (state);
}

static void
s_spin_execute (void *state, const sq_tuple_t *input)
{
    (void) state;
    (void) input;
    //  A test waits for this line before it asks the run to stop.
    fputs ("bad_topology: execute of 'spin' loops from now on\n", stderr);
    //  Yields the core each turn: a stuck bolt, not a load on the machine.
    while (true)
        sched_yield ();
}

static void
s_blocked_next (void *state)
{
    (void) state;
    fputs ("bad_topology: next_tuple of 'block' blocks from now on\n", stderr);
    while (true)
        pause ();
}

static int
s_blocked_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) state_p, (void) context, (void) collector;
    fputs ("bad_topology: open of 'opening' blocks from now on\n", stderr);
    while (true)
        pause ();
    return 0;
}

static const sq_spout_t s_counter_spout = {
    .declare_outputs = s_declare_line,
    .open = s_counter_open,
    .next_tuple = s_counter_next,
    .close = s_counter_close,
};

static const sq_spout_t s_unopened_spout = {
    .declare_outputs = s_declare_line,
    .open = s_blocked_open,
    .next_tuple = s_next_tuple,
};

static const sq_bolt_t s_spin_bolt = {
    .execute = s_spin_execute,
};

static const sq_spout_t s_blocked_spout = {
    .declare_outputs = s_declare_line,
    .next_tuple = s_blocked_next,
};

//  The spout of "segv": one line now and then.
static int
s_open_emitting (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    *state_p = collector;
    return 0;
}

static void
s_next_line (void *state)
{
    sq_collector_emit (state, NULL, SQ_VALUES (sq_str ("line")));
    usleep (10000);
}

static int
s_prepare_fails (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) state_p;
    (void) context;
    (void) collector;
    fprintf (stderr, "bad_topology: sink refuses to prepare\n");
    return -1;
}

static void
s_execute_crashes (void *state, const sq_tuple_t *input)
{
    (void) state;
    (void) input;
    //  The default action, not a handler a sanitizer build installed
    //  (AddressSanitizer's would report and exit 1): the worker dies of
    //  the signal, as an unsanitized one does.
    struct sigaction default_action = {.sa_handler = SIG_DFL};
    sigaction (SIGSEGV, &default_action, NULL);
    raise (SIGSEGV);
}

static const sq_spout_t s_emitting_spout = {
    .declare_outputs = s_declare_line,
    .open = s_open_emitting,
    .next_tuple = s_next_line,
};

static const sq_bolt_t s_unprepared_bolt = {
    .prepare = s_prepare_fails,
    .execute = s_execute,
};

static const sq_bolt_t s_crashing_bolt = {
    .execute = s_execute_crashes,
};

static const sq_spout_t s_quiet_spout = {
    .declare_outputs = s_declare_line,
    .next_tuple = s_next_tuple,
};

static const sq_bolt_t s_idle_bolt = {
    .execute = s_execute,
};

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    const char *behaviour = sq_config_string (config, "bad.behaviour", "");
    if (strcmp (behaviour, "hang") == 0)
        while (true)
            pause ();
    if (strcmp (behaviour, "crash") == 0)
        raise (SIGSEGV);
    if (strcmp (behaviour, "exit") == 0)
        exit (0);
    if (strcmp (behaviour, "loop-bolt") == 0) {
        sq_topology_set_spout (topology, "numbers", &s_counter_spout, 1);
        sq_component_t *bolt = sq_topology_set_bolt (topology, "spin", &s_spin_bolt, 1);
        sq_component_shuffle_grouping (bolt, "numbers", NULL);
        return 0;
    }
    if (strcmp (behaviour, "block-open") == 0) {
        sq_topology_set_spout (topology, "opening", &s_unopened_spout, 1);
        sq_component_t *bolt = sq_topology_set_bolt (topology, "sink", &s_idle_bolt, 1);
        sq_component_shuffle_grouping (bolt, "opening", NULL);
        return 0;
    }
    if (strcmp (behaviour, "block-spout") == 0) {
        sq_topology_set_spout (topology, "block", &s_blocked_spout, 1);
        sq_component_t *bolt = sq_topology_set_bolt (topology, "sink", &s_idle_bolt, 1);
        sq_component_shuffle_grouping (bolt, "block", NULL);
        return 0;
    }
    const sq_bolt_t *sink = strcmp (behaviour, "prepare") == 0 ? &s_unprepared_bolt
                            : strcmp (behaviour, "segv") == 0  ? &s_crashing_bolt
                            : strcmp (behaviour, "idle") == 0  ? &s_idle_bolt
                                                               : NULL;
    if (sink) {
        sq_topology_set_spout (topology, "lines",
                               sink == &s_crashing_bolt ? &s_emitting_spout : &s_quiet_spout, 1);
        sq_component_t *bolt = sq_topology_set_bolt (topology, "sink", sink, 1);
        sq_component_shuffle_grouping (bolt, "lines", NULL);
        return 0;
    }
    if (strcmp (behaviour, "invalid") == 0) {
        sq_topology_set_spout (topology, "lines", &s_quiet_spout, 1);
        sq_component_t *bolt = sq_topology_set_bolt (topology, "sink", &s_idle_bolt, 1);
        sq_component_shuffle_grouping (bolt, "no-such-spout", NULL);
        return 0;
    }
    return -1;
}
