/*  flux_components - a library of C components that test_flux's
    definitions name by symbol (library: flux_components.so, symbol: ...):
    a spout emitting "word" and a bolt acking what it gets; the spout
    declares a second stream, "extra", with fields "a,b". */
#include <squall.h>

static void
s_spout_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
    sq_declarer_stream (declarer, "extra", "a,b");
}

static int
s_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_next_tuple (void *state)
{
    (void) state;
}

static int
s_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    *state_p = collector;
    return 0;
}

static void
s_execute (void *state, const sq_tuple_t *input)
{
    sq_collector_ack (state, input);
}

const sq_spout_t flux_test_spout = {
    .declare_outputs = s_spout_declare,
    .open = s_open,
    .next_tuple = s_next_tuple,
};

const sq_bolt_t flux_test_bolt = {
    .prepare = s_prepare,
    .execute = s_execute,
};
