/*  test_ledger - the acker's ledger and message handler, driven by
    simulated tuple trees

    The simulator plays spouts and bolts by the acking protocol: a spout
    emits a root tuple to k tasks with fresh edge ids and sends init(root,
    XOR of them); a bolt that processes a tuple emits children anchored to
    it (and sometimes to a second pending input), then acks, per root of
    the input, input edge ^ the ids of the children anchored to it. The
    messages are then delivered, often shuffled, through sq_acker_handle,
    and every report is checked: a tree completes exactly once, on its very
    last message; a failed tree fails exactly once and reports nothing
    else. Operation choices are reproducible (SQ_TEST_SEED); the ids come
    from sq_ids, as in the runtime.
*/
#include "sq_acker.h"
#include "sq_ids.h"
#include "sq_ledger.h"
#include "test_random.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Check's ck_assert records every passing check with a system call,
//  which the hot loops here cannot afford; these call Check only on
//  failure, naming the expression and both values.
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg ("check failed: %s", #expr);                                              \
    } while (0)
#define CHECK_UINT(x, op, y)                                                                       \
    do {                                                                                           \
        uintmax_t x_ = (uintmax_t) (x), y_ = (uintmax_t) (y);                                      \
        if (!(x_ op y_))                                                                           \
            ck_abort_msg ("check failed: %s %s %s (%ju vs %ju)", #x, #op, #y, x_, y_);             \
    } while (0)
#define CHECK_INT(x, op, y)                                                                        \
    do {                                                                                           \
        intmax_t x_ = (intmax_t) (x), y_ = (intmax_t) (y);                                         \
        if (!(x_ op y_))                                                                           \
            ck_abort_msg ("check failed: %s %s %s (%jd vs %jd)", #x, #op, #y, x_, y_);             \
    } while (0)

#define MAX_ROOTS 8 //  most trees one simulated tuple belongs to

static uint64_t s_seed = 0xac4e12ed5eed0001ULL;
static void
s_setup (void)
{
    s_rng = s_seed;
}

//  A root id of a random spout task.
static uint64_t
s_new_root (void)
{
    return sq_ids_root (1 + (int) s_below (SQ_IDS_MAX_TASK));
}

//  ---------------------------------------------------------------------
//  The tree simulator

//  What the simulated topology looks like.
typedef struct {
    size_t trees;           //  spout tuples
    size_t group;           //  trees whose tuples may be joined together
    size_t spout_fanout;    //  a spout tuple goes to 1 .. spout_fanout tasks
    size_t bolt_fanout;     //  a bolt emits 0 .. bolt_fanout children
    bool chain;             //  a bolt emits exactly one child (deep chains)
    size_t budget;          //  tuples per group, after which bolts stop emitting
    unsigned multi_percent; //  children anchored to a second input, in %
    bool one_id;            //  one id shared by both anchors of a child,
                            //  only when they share no tree (see
                            //  test_diamond_needs_an_id_per_anchor)
    unsigned fail_permille; //  inputs failed instead of acked, in 1/1000
} shape_t;

//  A tuple in flight.
typedef struct {
    uint64_t roots[MAX_ROOTS]; //  trees it belongs to
    uint64_t edges[MAX_ROOTS]; //  its edge id in each
    size_t edge_count;         //  number of trees
    uint64_t ack_val;          //  XOR of ids of children anchored to it
} sim_tuple_t;

//  What a simulation produced.
typedef struct {
    sq_message_t *messages; //  acking messages, in emit order
    size_t message_count;   //  number of messages
    size_t message_limit;   //  allocated
    uint64_t *roots;        //  every root id emitted
    size_t root_count;      //  number of roots
    size_t root_limit;      //  allocated
    size_t tuples;          //  tuples emitted by bolts
    size_t multi_anchored;  //  tuples anchored to two inputs
    size_t joined;          //  tuples belonging to more than one tree
} sim_t;

static void
s_push_message (sim_t *sim, uint32_t kind, uint64_t root, uint64_t value)
{
    if (sim->message_count == sim->message_limit) {
        sim->message_limit = sim->message_limit ? sim->message_limit * 2 : 1024;
        sim->messages = realloc (sim->messages, sim->message_limit * sizeof (sq_message_t));
        CHECK (sim->messages != NULL);
    }
    sq_message_t message = {.kind = kind, .task = 0, .root = root, .value = value};
    sim->messages[sim->message_count++] = message;
}

static void
s_push_root (sim_t *sim, uint64_t root)
{
    if (sim->root_count == sim->root_limit) {
        sim->root_limit = sim->root_limit ? sim->root_limit * 2 : 256;
        sim->roots = realloc (sim->roots, sim->root_limit * sizeof (uint64_t));
        CHECK (sim->roots != NULL);
    }
    sim->roots[sim->root_count++] = root;
}

//  Trees of anchor the child does not belong to yet.
static size_t
s_new_roots (const sim_tuple_t *child, const sim_tuple_t *anchor)
{
    size_t count = 0;
    for (size_t index = 0; index < anchor->edge_count; index++) {
        bool known = false;
        for (size_t other = 0; other < child->edge_count; other++)
            known |= child->roots[other] == anchor->roots[index];
        count += !known;
    }
    return count;
}

//  Anchor child to anchor with edge id `id`: it goes into the anchor's ack
//  value and into the child's edge for every tree of the anchor.
static void
s_anchor (sim_tuple_t *child, sim_tuple_t *anchor, uint64_t id)
{
    anchor->ack_val ^= id;
    for (size_t index = 0; index < anchor->edge_count; index++) {
        size_t other = 0;
        while (other < child->edge_count && child->roots[other] != anchor->roots[index])
            other++;
        if (other == child->edge_count) {
            CHECK_UINT (other, <, MAX_ROOTS);
            child->roots[other] = anchor->roots[index];
            child->edges[other] = 0;
            child->edge_count++;
        }
        child->edges[other] ^= id;
    }
}

//  Play a group of trees to the end, appending their messages to sim.
static void
s_simulate_group (sim_t *sim, const shape_t *shape, size_t trees)
{
    size_t limit = 64, count = 0;
    sim_tuple_t *tuples = malloc (limit * sizeof (sim_tuple_t));
    CHECK (tuples != NULL);
    //  Spout tuples: each goes to 1 .. spout_fanout tasks, one edge each.
    for (size_t tree = 0; tree < trees; tree++) {
        uint64_t root = s_new_root ();
        s_push_root (sim, root);
        size_t fanout = 1 + s_below (shape->spout_fanout);
        uint64_t init = 0;
        for (size_t index = 0; index < fanout; index++) {
            if (count == limit) {
                limit *= 2;
                tuples = realloc (tuples, limit * sizeof (sim_tuple_t));
                CHECK (tuples != NULL);
            }
            sim_tuple_t *tuple = &tuples[count++];
            memset (tuple, 0, sizeof *tuple);
            tuple->roots[0] = root;
            tuple->edges[0] = sq_ids_edge (1, 16);
            tuple->edge_count = 1;
            init ^= tuple->edges[0];
        }
        s_push_message (sim, SQ_MSG_ACK_INIT, root, init);
    }
    //  Bolts process pending tuples in random order. The pending tuples are
    //  tuples[0 .. count - 1]; a processed tuple leaves the array.
    size_t emitted = 0;
    while (count > 0) {
        size_t which = s_below (count);
        sim_tuple_t input = tuples[which];
        tuples[which] = tuples[--count];
        size_t children = 0;
        if (emitted < shape->budget)
            children = shape->chain ? 1 : s_below (shape->bolt_fanout + 1);
        for (size_t index = 0; index < children; index++) {
            sim_tuple_t child = {.edge_count = 0};
            uint64_t id = sq_ids_edge (1, 16);
            s_anchor (&child, &input, id);
            if (count > 0 && s_below (100) < shape->multi_percent) {
                sim_tuple_t *other = &tuples[s_below (count)];
                size_t new_roots = s_new_roots (&child, other);
                bool disjoint = new_roots == other->edge_count;
                if (child.edge_count + new_roots <= MAX_ROOTS && (disjoint || !shape->one_id)) {
                    s_anchor (&child, other, shape->one_id ? id : sq_ids_edge (1, 16));
                    sim->multi_anchored++;
                }
            }
            sim->joined += child.edge_count > 1;
            if (count == limit) {
                limit *= 2;
                tuples = realloc (tuples, limit * sizeof (sim_tuple_t));
                CHECK (tuples != NULL);
            }
            tuples[count++] = child;
            emitted++;
        }
        bool fail = s_below (1000) < shape->fail_permille;
        for (size_t index = 0; index < input.edge_count; index++)
            if (fail)
                s_push_message (sim, SQ_MSG_ACK_FAIL, input.roots[index], 0);
            else
                s_push_message (sim, SQ_MSG_ACK_ACK, input.roots[index],
                                input.edges[index] ^ input.ack_val);
    }
    sim->tuples += emitted;
    free (tuples);
}

static void
s_simulate (sim_t *sim, const shape_t *shape)
{
    memset (sim, 0, sizeof *sim);
    size_t group = shape->group ? shape->group : 1;
    for (size_t done = 0; done < shape->trees; done += group)
        s_simulate_group (sim, shape, shape->trees - done < group ? shape->trees - done : group);
}

static void
s_sim_free (sim_t *sim)
{
    free (sim->messages);
    free (sim->roots);
    memset (sim, 0, sizeof *sim);
}

//  What the checker knows about one root.
typedef struct {
    uint64_t root;    //  root id
    size_t remaining; //  messages of the root not delivered yet
    bool fails;       //  a fail message exists for the root
    bool done;        //  TREE_DONE seen
    bool failed;      //  TREE_FAILED seen
} root_state_t;

static int
s_compare_roots (const void *a, const void *b)
{
    uint64_t left = ((const root_state_t *) a)->root;
    uint64_t right = ((const root_state_t *) b)->root;
    return left < right ? -1 : left > right;
}

static root_state_t *
s_lookup (root_state_t *states, size_t count, uint64_t root)
{
    root_state_t key = {.root = root};
    root_state_t *state = bsearch (&key, states, count, sizeof (root_state_t), s_compare_roots);
    CHECK (state != NULL);
    return state;
}

//  Deliver the simulation's messages to a new ledger (shuffled or in emit
//  order) and check every report. Returns the number of failed trees.
static size_t
s_deliver (sim_t *sim, bool shuffle)
{
    root_state_t *states = calloc (sim->root_count, sizeof (root_state_t));
    CHECK (states != NULL);
    for (size_t index = 0; index < sim->root_count; index++)
        states[index].root = sim->roots[index];
    qsort (states, sim->root_count, sizeof (root_state_t), s_compare_roots);
    for (size_t index = 1; index < sim->root_count; index++)
        CHECK_UINT (states[index].root, !=, states[index - 1].root);
    for (size_t index = 0; index < sim->message_count; index++) {
        root_state_t *state = s_lookup (states, sim->root_count, sim->messages[index].root);
        state->remaining++;
        state->fails |= sim->messages[index].kind == SQ_MSG_ACK_FAIL;
    }
    if (shuffle)
        for (size_t index = sim->message_count; index > 1; index--) {
            size_t other = s_below (index);
            sq_message_t swap = sim->messages[index - 1];
            sim->messages[index - 1] = sim->messages[other];
            sim->messages[other] = swap;
        }

    sq_ledger_t *ledger = sq_ledger_new (SQ_LEDGER_BUCKETS);
    size_t reports = 0;
    for (size_t index = 0; index < sim->message_count; index++) {
        const sq_message_t *message = &sim->messages[index];
        root_state_t *state = s_lookup (states, sim->root_count, message->root);
        state->remaining--;
        sq_message_t reply = {.kind = 0};
        int rc = sq_acker_handle (ledger, message, &reply);
        CHECK_INT (rc, >=, 0);
        if (rc == 0)
            continue;
        CHECK_INT (rc, ==, 1);
        reports++;
        CHECK_UINT (reply.root, ==, message->root);
        CHECK_INT (reply.task, ==, sq_ids_root_task (message->root));
        CHECK (reply.tuple == NULL);
        if (reply.kind == SQ_MSG_TREE_DONE) {
            //  Never early, never twice, never for a failed tree.
            CHECK (!state->fails);
            CHECK (!state->done);
            CHECK_UINT (state->remaining, ==, 0);
            state->done = true;
        } else {
            CHECK_UINT (reply.kind, ==, SQ_MSG_TREE_FAILED);
            CHECK_UINT (message->kind, ==, SQ_MSG_ACK_FAIL);
            CHECK (state->fails);
            CHECK (!state->failed);
            state->failed = true;
        }
    }
    size_t failed = 0;
    for (size_t index = 0; index < sim->root_count; index++) {
        CHECK (states[index].fails ? states[index].failed : states[index].done);
        failed += states[index].fails;
    }
    CHECK_UINT (reports, ==, sim->root_count);
    //  A failed tree misses the ack of its failed tuple, so its entry stays
    //  until it expires; it is not counted as expired then.
    CHECK_UINT (sq_ledger_pending (ledger), ==, failed);
    for (size_t turn = 0; turn < SQ_LEDGER_BUCKETS; turn++)
        CHECK_UINT (sq_ledger_rotate (ledger), ==, 0);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
    free (states);
    return failed;
}

//  ---------------------------------------------------------------------
//  Hand-made trees

START_TEST (test_single_tree)
{
    //  Spout emits root to two tasks (edges a, b); the bolt of a emits c
    //  anchored to a; the bolts of b and c emit nothing.
    uint64_t root = sq_ids_root (7);
    uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16), c = sq_ids_edge (1, 16);
    sq_ledger_t *ledger = sq_ledger_new (3);
    CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
    CHECK_INT (sq_ledger_ack (ledger, root, a ^ c), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_ack (ledger, root, b), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_ack (ledger, root, c), ==, SQ_LEDGER_COMPLETE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
    CHECK (ledger == NULL);
    sq_ledger_destroy (&ledger);
}
END_TEST

START_TEST (test_acks_before_init)
{
    uint64_t root = sq_ids_root (1);
    uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16);
    sq_ledger_t *ledger = sq_ledger_new (3);
    //  Every ack first: the XOR reaches 0 before the init, which must not
    //  complete the tree.
    CHECK_INT (sq_ledger_ack (ledger, root, a), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_ack (ledger, root, b), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_ack (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_ack (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
    CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_COMPLETE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    //  A spout tuple sent to no task: init of 0 completes at once.
    CHECK_INT (sq_ledger_init (ledger, root, 0), ==, SQ_LEDGER_COMPLETE);
    //  An ack of 0 for an unknown root leaves nothing behind.
    CHECK_INT (sq_ledger_ack (ledger, root, 0), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
}
END_TEST

//  Many trees in flight at once, their messages interleaved.
START_TEST (test_interleaved_trees)
{
    enum { TREES = 500 };
    uint64_t roots[TREES], edges[TREES][2];
    sq_ledger_t *ledger = sq_ledger_new (3);
    for (size_t index = 0; index < TREES; index++) {
        roots[index] = s_new_root ();
        edges[index][0] = sq_ids_edge (1, 16);
        edges[index][1] = sq_ids_edge (1, 16);
        CHECK_INT (sq_ledger_ack (ledger, roots[index], edges[index][0]), ==, SQ_LEDGER_NONE);
    }
    for (size_t index = 0; index < TREES; index++)
        CHECK_INT (sq_ledger_init (ledger, roots[index], edges[index][0] ^ edges[index][1]), ==,
                   SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, TREES);
    for (size_t index = TREES; index-- > 0;) {
        CHECK_INT (sq_ledger_ack (ledger, roots[index], edges[index][1]), ==, SQ_LEDGER_COMPLETE);
        CHECK_UINT (sq_ledger_pending (ledger), ==, index);
    }
    sq_ledger_destroy (&ledger);
}
END_TEST

//  A diamond: tuples a and b of one tree are both anchors of c, which has a
//  child d. Each anchor must get its own edge id. With one id x for both,
//  c's edge in the tree would be x ^ x = 0: c and its subtree would drop
//  out of the tree's XOR, and the tree would complete while d is pending.
START_TEST (test_diamond_needs_an_id_per_anchor)
{
    sq_ledger_t *ledger = sq_ledger_new (3);
    for (int shared = 0; shared < 2; shared++) {
        uint64_t root = s_new_root ();
        uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16);
        uint64_t x = sq_ids_edge (1, 16), y = shared ? x : sq_ids_edge (1, 16),
                 d = sq_ids_edge (1, 16);
        uint64_t c = x ^ y; //  c's edge: the XOR of its anchors' ids
        CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
        CHECK_INT (sq_ledger_ack (ledger, root, a ^ x), ==, SQ_LEDGER_NONE);
        int result = sq_ledger_ack (ledger, root, b ^ y);
        if (shared) {
            //  Complete too early: neither c nor d has been acked.
            CHECK_INT (result, ==, SQ_LEDGER_COMPLETE);
            continue;
        }
        CHECK_INT (result, ==, SQ_LEDGER_NONE);
        CHECK_INT (sq_ledger_ack (ledger, root, c ^ d), ==, SQ_LEDGER_NONE);
        CHECK_INT (sq_ledger_ack (ledger, root, d), ==, SQ_LEDGER_COMPLETE);
    }
    sq_ledger_destroy (&ledger);
}
END_TEST

//  ---------------------------------------------------------------------
//  Simulated topologies

START_TEST (test_fanout_trees)
{
    shape_t shape = {.trees = 2000, .spout_fanout = 4, .bolt_fanout = 4, .budget = 40};
    sim_t sim;
    s_simulate (&sim, &shape);
    CHECK_UINT (sim.tuples, >, 20000);
    CHECK_UINT (s_deliver (&sim, true), ==, 0);
    s_sim_free (&sim);
    //  The same kind of trees, delivered in the order they were emitted.
    s_simulate (&sim, &shape);
    CHECK_UINT (s_deliver (&sim, false), ==, 0);
    s_sim_free (&sim);
}
END_TEST

START_TEST (test_deep_chains)
{
    //  One chain of 20000 tuples, then 40 chains of 1000 interleaved.
    shape_t shape = {.trees = 1, .spout_fanout = 1, .chain = true, .budget = 20000};
    sim_t sim;
    s_simulate (&sim, &shape);
    CHECK_UINT (sim.message_count, ==, 20002);
    CHECK_UINT (s_deliver (&sim, true), ==, 0);
    s_sim_free (&sim);
    shape_t many = {.trees = 40, .spout_fanout = 1, .chain = true, .budget = 1000};
    s_simulate (&sim, &many);
    CHECK_UINT (s_deliver (&sim, true), ==, 0);
    s_sim_free (&sim);
}
END_TEST

START_TEST (test_multi_anchored_diamonds)
{
    //  Children anchored to a second pending tuple of the same tree.
    shape_t shape = {
        .trees = 1000, .spout_fanout = 3, .bolt_fanout = 3, .budget = 40, .multi_percent = 50};
    sim_t sim;
    s_simulate (&sim, &shape);
    CHECK_UINT (sim.multi_anchored, >, 1000);
    CHECK_UINT (sim.joined, ==, 0);
    CHECK_UINT (s_deliver (&sim, true), ==, 0);
    s_sim_free (&sim);
}
END_TEST

START_TEST (test_joins_across_trees)
{
    //  Children anchored to tuples of other trees: a tuple belongs to up to
    //  MAX_ROOTS trees and its ack reaches each of them. Anchors of distinct
    //  trees may share one edge id (one_id) or have one each.
    shape_t shape = {.trees = 1000,
                     .group = 10,
                     .spout_fanout = 2,
                     .bolt_fanout = 3,
                     .budget = 300,
                     .multi_percent = 40};
    for (int one_id = 0; one_id < 2; one_id++) {
        shape.one_id = one_id;
        sim_t sim;
        s_simulate (&sim, &shape);
        CHECK_UINT (sim.joined, >, 1000);
        CHECK_UINT (s_deliver (&sim, true), ==, 0);
        s_sim_free (&sim);
    }
}
END_TEST

START_TEST (test_fails_in_trees)
{
    //  Some inputs are failed instead of acked, in trees that are joined,
    //  and messages arrive shuffled (fails before inits too).
    shape_t shape = {.trees = 2000,
                     .group = 4,
                     .spout_fanout = 3,
                     .bolt_fanout = 3,
                     .budget = 80,
                     .multi_percent = 20,
                     .fail_permille = 15};
    sim_t sim;
    s_simulate (&sim, &shape);
    size_t failed = s_deliver (&sim, true);
    CHECK_UINT (failed, >, 100);
    CHECK_UINT (failed, <, sim.root_count);
    s_sim_free (&sim);
}
END_TEST

//  ---------------------------------------------------------------------
//  Fails

START_TEST (test_fail_after_init)
{
    uint64_t root = sq_ids_root (3);
    uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16);
    sq_ledger_t *ledger = sq_ledger_new (3);
    CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_ack (ledger, root, a), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_FAILED);
    CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
    //  The last ack would complete the tree: absorbed, entry dropped.
    CHECK_INT (sq_ledger_ack (ledger, root, b), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
}
END_TEST

START_TEST (test_fail_before_init)
{
    uint64_t root = sq_ids_root (SQ_IDS_MAX_TASK);
    uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16);
    sq_ledger_t *ledger = sq_ledger_new (3);
    CHECK_INT (sq_ledger_ack (ledger, root, a), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_FAILED);
    CHECK_INT (sq_ledger_ack (ledger, root, b), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);

    //  A fail as the very first message of a tree.
    root = sq_ids_root (2);
    CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_FAILED);
    CHECK_INT (sq_ledger_init (ledger, root, a), ==, SQ_LEDGER_NONE);
    CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
    //  It never completes; it expires without being counted again.
    for (int turn = 0; turn < 3; turn++)
        CHECK_UINT (sq_ledger_rotate (ledger), ==, 0);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
}
END_TEST

//  ---------------------------------------------------------------------
//  Timeouts

START_TEST (test_timeouts)
{
    for (size_t buckets = 2; buckets <= 5; buckets++) {
        sq_ledger_t *ledger = sq_ledger_new (buckets);
        //  Batch k of 100 trees (init only) starts after rotation k.
        enum { BATCH = 100 };
        uint64_t roots[6][BATCH];
        for (size_t batch = 0; batch < buckets + 1; batch++) {
            for (size_t index = 0; index < BATCH; index++) {
                roots[batch][index] = s_new_root ();
                sq_ledger_init (ledger, roots[batch][index], sq_ids_edge (1, 16));
            }
            //  Batch b expires at rotation b + buckets; rotation numbers
            //  count from 1 here.
            size_t expired = sq_ledger_rotate (ledger);
            size_t rotation = batch + 1;
            CHECK_UINT (expired, ==, rotation >= buckets ? BATCH : 0);
        }
        CHECK_UINT (sq_ledger_pending (ledger), ==, (buckets - 1) * BATCH);
        //  A tree of the oldest live batch still completes; an ack for an
        //  expired tree makes an orphan that never completes.
        uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16);
        uint64_t root = s_new_root ();
        CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
        for (size_t turn = 0; turn + 1 < buckets; turn++)
            sq_ledger_rotate (ledger);
        CHECK_INT (sq_ledger_ack (ledger, root, a), ==, SQ_LEDGER_NONE);
        CHECK_INT (sq_ledger_ack (ledger, root, b), ==, SQ_LEDGER_COMPLETE);
        CHECK_INT (sq_ledger_ack (ledger, roots[0][0], a), ==, SQ_LEDGER_NONE);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
        for (size_t turn = 0; turn < buckets; turn++)
            sq_ledger_rotate (ledger);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
        sq_ledger_destroy (&ledger);
    }
}
END_TEST

//  Trees that never complete, started between rotations, leave exactly
//  when they should, and pending returns to 0.
START_TEST (test_timeouts_random)
{
    enum { ROUNDS = 40 };
    size_t started[ROUNDS + 3] = {0};
    sq_ledger_t *ledger = sq_ledger_new (3);
    for (size_t round = 0; round < ROUNDS + 3; round++) {
        if (round < ROUNDS) {
            started[round] = s_below (2000);
            for (size_t index = 0; index < started[round]; index++) {
                uint64_t root = s_new_root ();
                uint64_t edge = sq_ids_edge (1, 16);
                sq_ledger_init (ledger, root, edge);
                //  Half of them complete right away.
                if (index % 2)
                    CHECK_INT (sq_ledger_ack (ledger, root, edge), ==, SQ_LEDGER_COMPLETE);
            }
        }
        size_t expected = round >= 2 ? (started[round - 2] + 1) / 2 : 0;
        CHECK_UINT (sq_ledger_rotate (ledger), ==, expected);
    }
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
}
END_TEST

//  ---------------------------------------------------------------------
//  Memory

//  100,000 pending trees under churn: trees complete in random order,
//  new ones start, buckets rotate and expire what is left. The ledger
//  holds at most 64 bytes per pending tree all along (its buckets' loads
//  stay within [1/4, 3/4]). At any number of trees, it holds at most 64
//  bytes per tree plus its fixed headers and one smallest slot array (8
//  slots of 16 bytes) per bucket.
START_TEST (test_bytes_per_tree)
{
    enum { PENDING = 100000, STEPS = 300000, ROTATE_EVERY = 25000 };
    uint64_t *roots = malloc (PENDING * sizeof (uint64_t));
    uint64_t *values = malloc (PENDING * sizeof (uint64_t));
    long *epochs = malloc (PENDING * sizeof (long));
    CHECK (roots && values && epochs);
    sq_ledger_t *ledger = sq_ledger_new (SQ_LEDGER_BUCKETS);
    size_t slack = sq_ledger_bytes (ledger) + SQ_LEDGER_BUCKETS * 8 * 16;
    size_t live = 0, completed = 0, expired_total = 0, most_bytes = 0;
    long epoch = 0;
    for (size_t step = 0; step < STEPS; step++) {
        while (live < PENDING) {
            //  A tree of two edges; one ack arrives now, before the init
            //  for half the trees, and the other when the tree completes.
            uint64_t root = s_new_root (), edge = sq_ids_edge (1, 16), part = sq_ids_edge (1, 16);
            if (live % 2)
                CHECK_INT (sq_ledger_ack (ledger, root, part), ==, SQ_LEDGER_NONE);
            CHECK_INT (sq_ledger_init (ledger, root, edge ^ part), ==, SQ_LEDGER_NONE);
            if (live % 2 == 0)
                CHECK_INT (sq_ledger_ack (ledger, root, part), ==, SQ_LEDGER_NONE);
            roots[live] = root;
            values[live] = edge;
            epochs[live] = epoch;
            live++;
            CHECK_UINT (sq_ledger_bytes (ledger), <=, 64 * live + slack);
        }
        CHECK_UINT (sq_ledger_pending (ledger), ==, live);
        size_t bytes = sq_ledger_bytes (ledger);
        CHECK_UINT (bytes, <=, 64 * live);
        if (bytes > most_bytes)
            most_bytes = bytes;
        //  Complete one tree at random.
        size_t which = s_below (live);
        CHECK_INT (sq_ledger_ack (ledger, roots[which], values[which]), ==, SQ_LEDGER_COMPLETE);
        live--;
        roots[which] = roots[live];
        values[which] = values[live];
        epochs[which] = epochs[live];
        completed++;
        if (step % ROTATE_EVERY == ROTATE_EVERY - 1) {
            size_t expected = 0;
            for (size_t index = 0; index < live;) {
                if (epochs[index] == epoch - SQ_LEDGER_BUCKETS + 1) {
                    expected++;
                    live--;
                    roots[index] = roots[live];
                    values[index] = values[live];
                    epochs[index] = epochs[live];
                } else
                    index++;
            }
            CHECK_UINT (sq_ledger_rotate (ledger), ==, expected);
            expired_total += expected;
            epoch++;
        }
    }
    CHECK_UINT (expired_total, >, 50000);
    printf ("test_ledger: %zu completed, %zu expired, at most %.1f bytes per pending tree\n",
            completed, expired_total, (double) most_bytes / PENDING);
    for (size_t turn = 0; turn < SQ_LEDGER_BUCKETS; turn++)
        sq_ledger_rotate (ledger);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    sq_ledger_destroy (&ledger);
    free (roots);
    free (values);
    free (epochs);
}
END_TEST

//  A reset moves a pending tree's entry into the newest bucket: it then
//  expires `buckets` rotations after the reset, not after its init, and
//  can be pushed back again and again. A reset creates nothing: not for an
//  unknown root, nor one that completed or expired (no resurrection), and
//  it does not extend a tree already reported failed.
START_TEST (test_reset_timeout)
{
    for (size_t buckets = 2; buckets <= 5; buckets++) {
        sq_ledger_t *ledger = sq_ledger_new (buckets);
        uint64_t a = sq_ids_edge (1, 16), b = sq_ids_edge (1, 16);
        uint64_t root = s_new_root ();
        CHECK_INT (sq_ledger_init (ledger, root, a ^ b), ==, SQ_LEDGER_NONE);
        CHECK_INT (sq_ledger_ack (ledger, root, a), ==, SQ_LEDGER_NONE);
        //  Three timeouts' worth of rotations, reset before each expiry.
        for (size_t round = 0; round < 3; round++) {
            for (size_t turn = 0; turn + 1 < buckets; turn++)
                CHECK_UINT (sq_ledger_rotate (ledger), ==, 0);
            CHECK_INT (sq_ledger_reset (ledger, root), ==, SQ_LEDGER_RESET);
            CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
        }
        //  The XOR came through the moves: the last ack completes it.
        CHECK_INT (sq_ledger_ack (ledger, root, b), ==, SQ_LEDGER_COMPLETE);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 0);

        //  Completed, unknown: nothing to move, nothing made.
        size_t bytes = sq_ledger_bytes (ledger);
        CHECK_INT (sq_ledger_reset (ledger, root), ==, SQ_LEDGER_NONE);
        CHECK_INT (sq_ledger_reset (ledger, s_new_root ()), ==, SQ_LEDGER_NONE);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
        CHECK_UINT (sq_ledger_bytes (ledger), ==, bytes);

        //  Expires exactly `buckets` rotations after its last reset; then
        //  a reset finds nothing and brings nothing back.
        root = s_new_root ();
        CHECK_INT (sq_ledger_init (ledger, root, a), ==, SQ_LEDGER_NONE);
        for (size_t turn = 0; turn + 1 < buckets; turn++)
            sq_ledger_rotate (ledger);
        CHECK_INT (sq_ledger_reset (ledger, root), ==, SQ_LEDGER_RESET);
        for (size_t turn = 0; turn + 1 < buckets; turn++)
            CHECK_UINT (sq_ledger_rotate (ledger), ==, 0);
        CHECK_UINT (sq_ledger_rotate (ledger), ==, 1);
        CHECK_INT (sq_ledger_reset (ledger, root), ==, SQ_LEDGER_NONE);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 0);

        //  Failed: reported, absorbed, and gone on its original schedule.
        root = s_new_root ();
        CHECK_INT (sq_ledger_init (ledger, root, a), ==, SQ_LEDGER_NONE);
        for (size_t turn = 0; turn + 1 < buckets; turn++)
            sq_ledger_rotate (ledger);
        CHECK_INT (sq_ledger_fail (ledger, root), ==, SQ_LEDGER_FAILED);
        CHECK_INT (sq_ledger_reset (ledger, root), ==, SQ_LEDGER_NONE);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 1);
        sq_ledger_rotate (ledger);
        CHECK_UINT (sq_ledger_pending (ledger), ==, 0);

        CHECK_INT (sq_ledger_reset (ledger, 0), ==, -1);
        CHECK_INT (sq_ledger_reset (ledger, root | 2), ==, -1);
        sq_ledger_destroy (&ledger);
    }
}
END_TEST

//  Many trees, half of them reset before every rotation: the reset half
//  all stay, the rest expire on time, and moving entries between buckets
//  keeps the ledger within its 64 bytes per pending tree.
START_TEST (test_reset_many)
{
    enum { TREES = 20000 };
    uint64_t *roots = malloc (TREES * sizeof (uint64_t));
    CHECK (roots);
    sq_ledger_t *ledger = sq_ledger_new (SQ_LEDGER_BUCKETS);
    size_t slack = sq_ledger_bytes (ledger) + SQ_LEDGER_BUCKETS * 8 * 16;
    for (size_t index = 0; index < TREES; index++) {
        roots[index] = s_new_root ();
        CHECK_INT (sq_ledger_init (ledger, roots[index], sq_ids_edge (1, 16)), ==, SQ_LEDGER_NONE);
    }
    size_t expired = 0;
    for (size_t round = 0; round < 4 * SQ_LEDGER_BUCKETS; round++) {
        for (size_t index = 0; index < TREES; index += 2)
            CHECK_INT (sq_ledger_reset (ledger, roots[index]), ==, SQ_LEDGER_RESET);
        size_t pending = sq_ledger_pending (ledger);
        CHECK_UINT (sq_ledger_bytes (ledger), <=, 64 * pending + slack);
        expired += sq_ledger_rotate (ledger);
    }
    CHECK_UINT (expired, ==, TREES / 2);
    CHECK_UINT (sq_ledger_pending (ledger), ==, TREES / 2);
    for (size_t index = 1; index < TREES; index += 2)
        CHECK_INT (sq_ledger_reset (ledger, roots[index]), ==, SQ_LEDGER_NONE);
    CHECK_UINT (sq_ledger_pending (ledger), ==, TREES / 2);
    sq_ledger_destroy (&ledger);
    free (roots);
}
END_TEST

//  ---------------------------------------------------------------------
//  Bad input

START_TEST (test_rejects_bad_messages)
{
    sq_ledger_t *ledger = sq_ledger_new (3);
    uint64_t root = sq_ids_root (5);
    sq_message_t reply = {.kind = 0};
    //  Kinds an acker does not take, including unknown ones.
    uint32_t kinds[] = {0, SQ_MSG_TUPLE, SQ_MSG_TREE_DONE, SQ_MSG_TREE_FAILED, 7, 0xFFFFFFFF};
    for (size_t index = 0; index < sizeof kinds / sizeof kinds[0]; index++) {
        sq_message_t message = {.kind = kinds[index], .root = root, .value = 1};
        CHECK_INT (sq_acker_handle (ledger, &message, &reply), ==, -1);
    }
    //  Roots no spout makes: 0, flag bits set, no spout task.
    uint32_t acker_kinds[] = {SQ_MSG_ACK_INIT, SQ_MSG_ACK_ACK, SQ_MSG_ACK_FAIL,
                              SQ_MSG_RESET_TIMEOUT};
    uint64_t bad_roots[] = {0, root | 1, root | 2, root | 3, root & ~((uint64_t) 0xFFFF << 2)};
    for (size_t index = 0; index < sizeof bad_roots / sizeof bad_roots[0]; index++)
        for (size_t k = 0; k < sizeof acker_kinds / sizeof acker_kinds[0]; k++) {
            sq_message_t message = {.kind = acker_kinds[k], .root = bad_roots[index]};
            CHECK_INT (sq_acker_handle (ledger, &message, &reply), ==, -1);
        }
    CHECK_UINT (reply.kind, ==, 0);
    CHECK_UINT (sq_ledger_pending (ledger), ==, 0);
    CHECK_INT (sq_ledger_init (ledger, 0, 1), ==, -1);
    CHECK_INT (sq_ledger_ack (ledger, root | 1, 1), ==, -1);
    CHECK_INT (sq_ledger_fail (ledger, root | 2), ==, -1);
    CHECK (!sq_ledger_root_valid (0));
    CHECK (sq_ledger_root_valid (root));

    //  Random garbage never asserts and never reports a tree it made up
    //  out of an invalid root.
    for (int index = 0; index < 100000; index++) {
        sq_message_t message = {.kind = (uint32_t) s_below (9),
                                .task = (int32_t) s_random (),
                                .root = s_random () >> s_below (64),
                                .value = s_below (4) ? s_random () : 0};
        int rc = sq_acker_handle (ledger, &message, &reply);
        CHECK (rc >= -1 && rc <= 1);
        if (rc == 1) {
            CHECK (sq_ledger_root_valid (message.root));
            CHECK_INT (reply.task, >, 0);
        }
    }
    sq_ledger_destroy (&ledger);
}
END_TEST

START_TEST (test_acker_replies)
{
    sq_ledger_t *ledger = sq_ledger_new (3);
    uint64_t root = sq_ids_root (42), edge = sq_ids_edge (1, 16);
    sq_message_t reply = {.kind = 0};
    sq_message_t init = {.kind = SQ_MSG_ACK_INIT, .task = 99, .root = root, .value = edge};
    sq_message_t ack = {.kind = SQ_MSG_ACK_ACK, .task = 99, .root = root, .value = edge};
    sq_message_t fail = {.kind = SQ_MSG_ACK_FAIL, .task = 99, .root = root};
    sq_message_t reset = {.kind = SQ_MSG_RESET_TIMEOUT, .task = 99, .root = root};
    //  A reset before the init finds no entry: nothing to pass on.
    CHECK_INT (sq_acker_handle (ledger, &reset, &reply), ==, 0);
    CHECK_INT (sq_acker_handle (ledger, &init, &reply), ==, 0);
    //  A pending tree's reset goes on to its spout task.
    CHECK_INT (sq_acker_handle (ledger, &reset, &reply), ==, 1);
    CHECK_UINT (reply.kind, ==, SQ_MSG_RESET_TIMEOUT);
    CHECK_INT (reply.task, ==, 42);
    CHECK_UINT (reply.root, ==, root);
    CHECK (reply.tuple == NULL);
    CHECK_INT (sq_acker_handle (ledger, &ack, &reply), ==, 1);
    CHECK_UINT (reply.kind, ==, SQ_MSG_TREE_DONE);
    CHECK_INT (reply.task, ==, 42);
    CHECK_UINT (reply.root, ==, root);
    CHECK_UINT (reply.value, ==, 0);
    CHECK (reply.tuple == NULL);
    CHECK_INT (sq_acker_handle (ledger, &fail, &reply), ==, 1);
    CHECK_UINT (reply.kind, ==, SQ_MSG_TREE_FAILED);
    CHECK_INT (reply.task, ==, 42);
    CHECK_UINT (reply.root, ==, root);
    CHECK_INT (sq_acker_handle (ledger, &fail, &reply), ==, 0);
    CHECK_INT (sq_acker_handle (ledger, &reset, &reply), ==, 0);
    sq_ledger_destroy (&ledger);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("ledger");
    TCase *tcase = tcase_create ("protocol");
    tcase_add_checked_fixture (tcase, s_setup, NULL);
    tcase_add_test (tcase, test_single_tree);
    tcase_add_test (tcase, test_acks_before_init);
    tcase_add_test (tcase, test_interleaved_trees);
    tcase_add_test (tcase, test_diamond_needs_an_id_per_anchor);
    tcase_add_test (tcase, test_fail_after_init);
    tcase_add_test (tcase, test_fail_before_init);
    tcase_add_test (tcase, test_acker_replies);
    tcase_add_test (tcase, test_rejects_bad_messages);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("simulated");
    tcase_add_checked_fixture (tcase, s_setup, NULL);
    tcase_add_test (tcase, test_fanout_trees);
    tcase_add_test (tcase, test_deep_chains);
    tcase_add_test (tcase, test_multi_anchored_diamonds);
    tcase_add_test (tcase, test_joins_across_trees);
    tcase_add_test (tcase, test_fails_in_trees);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("expiry");
    tcase_add_checked_fixture (tcase, s_setup, NULL);
    tcase_add_test (tcase, test_timeouts);
    tcase_add_test (tcase, test_timeouts_random);
    tcase_add_test (tcase, test_bytes_per_tree);
    tcase_add_test (tcase, test_reset_timeout);
    tcase_add_test (tcase, test_reset_many);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    s_seed = test_random_seed ("test_ledger", s_seed);
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
