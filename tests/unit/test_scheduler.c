/*  test_scheduler - nimbus spreads executors evenly over free slots, keeps
    survivors in place when a supervisor dies, and says so when it cannot */
#include "nimbus_scheduler.h"
#include "sq_acker.h"
#include "sq_runtime.h"
#include "squall.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_declare_word (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "word");
}

static void
s_next_tuple (void *state)
{
    (void) state;
}

static void
s_execute (void *state, const sq_tuple_t *input)
{
    (void) state;
    (void) input;
}

static const sq_spout_t s_spout = {.declare_outputs = s_declare_word, .next_tuple = s_next_tuple};
static const sq_bolt_t s_bolt = {.declare_outputs = s_declare_word, .execute = s_execute};

//  words (3 executors, 5 tasks) -> split (4, 8) -> count (5, 5) -> report (1, 1).
static sq_topology_t *
s_topology (void)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_component_t *words = sq_topology_set_spout (topology, "words", &s_spout, 3);
    sq_component_set_num_tasks (words, 5);
    sq_component_t *split = sq_topology_set_bolt (topology, "split", &s_bolt, 4);
    sq_component_shuffle_grouping (split, "words", NULL);
    sq_component_set_num_tasks (split, 8);
    sq_component_t *count = sq_topology_set_bolt (topology, "count", &s_bolt, 5);
    sq_component_fields_grouping (count, "split", NULL, "word");
    sq_component_t *report = sq_topology_set_bolt (topology, "report", &s_bolt, 1);
    sq_component_global_grouping (report, "count", NULL);
    return topology;
}

//  The test topology's executors with `ackers` acker executors.
static nimbus_executor_t *
s_executors (int ackers, size_t *count_p)
{
    sq_topology_t *topology = s_topology ();
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", ackers);
    nimbus_executor_t *executors = nimbus_scheduler_executors (topology, config, count_p);
    ck_assert_ptr_nonnull (executors);
    sq_config_destroy (&config);
    sq_topology_destroy (&topology);
    return executors;
}

//  Live supervisors, and the other input of a scheduling run.
typedef struct {
    sq_supervisor_info_t *supervisors[16]; //  live supervisors
    size_t supervisor_count;               //  how many
    nimbus_slot_t used[16];                //  slots of other topologies
    size_t used_count;                     //  how many
    nimbus_executor_t *executors;          //  the topology's executors
    size_t executor_count;                 //  how many
} s_cluster_t;

static void
s_add_supervisor (s_cluster_t *cluster, const char *id, int port_count)
{
    int ports[16];
    for (int i = 0; i < port_count; i++)
        ports[i] = 6700 + i;
    char host[64];
    snprintf (host, sizeof host, "host-%s", id);
    cluster->supervisors[cluster->supervisor_count++] =
        sq_supervisor_info_new (id, host, ports, (size_t) port_count, 1);
}

//  Forget a supervisor, as when its ephemeral node disappears.
static void
s_remove_supervisor (s_cluster_t *cluster, const char *id)
{
    for (size_t i = 0; i < cluster->supervisor_count; i++)
        if (strcmp (cluster->supervisors[i]->id, id) == 0) {
            sq_supervisor_info_destroy (&cluster->supervisors[i]);
            cluster->supervisors[i] = cluster->supervisors[--cluster->supervisor_count];
            return;
        }
    ck_abort_msg ("no supervisor %s", id);
}

static void
s_cluster_destroy (s_cluster_t *cluster)
{
    for (size_t i = 0; i < cluster->supervisor_count; i++)
        sq_supervisor_info_destroy (&cluster->supervisors[i]);
    nimbus_scheduler_executors_destroy (&cluster->executors);
}

static nimbus_scheduler_input_t
s_input (s_cluster_t *cluster, int workers, const sq_assignment_t *current)
{
    return (nimbus_scheduler_input_t){.topology_name = "wordcount",
                                      .topology_id = "wordcount-1",
                                      .executors = cluster->executors,
                                      .executor_count = cluster->executor_count,
                                      .workers = workers,
                                      .supervisors = cluster->supervisors,
                                      .supervisor_count = cluster->supervisor_count,
                                      .used_slots = cluster->used,
                                      .used_slot_count = cluster->used_count,
                                      .current = current};
}

//  Every executor placed exactly once, no empty worker, a valid record.
static void
s_assert_complete (const sq_assignment_t *assignment, const s_cluster_t *cluster)
{
    ck_assert_int_eq (sq_assignment_validate (assignment), 0);
    ck_assert_uint_eq (sq_assignment_executor_count (assignment), cluster->executor_count);
    for (size_t e = 0; e < cluster->executor_count; e++) {
        const nimbus_executor_t *executor = &cluster->executors[e];
        const sq_assignment_worker_t *worker =
            sq_assignment_find_task (assignment, executor->first_task);
        ck_assert_ptr_nonnull (worker);
        bool found = false;
        for (size_t i = 0; i < worker->executor_count; i++)
            found |= worker->executors[i].first_task == executor->first_task &&
                     worker->executors[i].last_task == executor->last_task;
        ck_assert_msg (found, "executor [%d, %d] is not placed whole", executor->first_task,
                       executor->last_task);
    }
}

//  Executors per worker differ by at most one.
static void
s_assert_even (const sq_assignment_t *assignment)
{
    size_t least = (size_t) -1, most = 0;
    for (size_t w = 0; w < assignment->worker_count; w++) {
        size_t count = assignment->workers[w].executor_count;
        least = count < least ? count : least;
        most = count > most ? count : most;
    }
    ck_assert_msg (most - least <= 1, "executors per worker range from %zu to %zu", least, most);
}

//  Number of workers on a supervisor.
static size_t
s_workers_on (const sq_assignment_t *assignment, const char *supervisor_id)
{
    return sq_assignment_supervisor_slots (assignment, supervisor_id, NULL, 0);
}

//  Number of distinct workers running executors of a component.
static size_t
s_component_spread (const sq_assignment_t *assignment, const s_cluster_t *cluster,
                    const char *component)
{
    size_t spread = 0;
    for (size_t w = 0; w < assignment->worker_count; w++) {
        bool runs = false;
        for (size_t e = 0; e < cluster->executor_count; e++)
            runs |= strcmp (cluster->executors[e].component_id, component) == 0 &&
                    sq_assignment_find_task (assignment, cluster->executors[e].first_task) ==
                        &assignment->workers[w];
        spread += runs;
    }
    return spread;
}

START_TEST (test_executors_match_runtime)
{
    //  words 1-5, split 6-13, count 14-18, report 19, ackers 20-22.
    size_t count;
    nimbus_executor_t *executors = s_executors (3, &count);
    ck_assert_uint_eq (count, 3 + 4 + 5 + 1 + 3);
    ck_assert_str_eq (executors[0].component_id, "words");
    ck_assert_int_eq (executors[0].first_task, 1);
    ck_assert_int_eq (executors[0].last_task, 1);
    ck_assert_int_eq (executors[1].first_task, 2);
    ck_assert_int_eq (executors[1].last_task, 3);
    ck_assert_int_eq (executors[2].last_task, 5);
    ck_assert_str_eq (executors[3].component_id, "split");
    ck_assert_int_eq (executors[3].first_task, 6);
    ck_assert_int_eq (executors[3].last_task, 7);
    ck_assert_str_eq (executors[12].component_id, "report");
    ck_assert_int_eq (executors[12].first_task, 19);
    ck_assert_str_eq (executors[13].component_id, SQ_ACKER_COMPONENT);
    ck_assert_int_eq (executors[13].first_task, 20);
    ck_assert_int_eq (executors[15].last_task, 22);
    ck_assert_ptr_null (executors[count].component_id);

    //  The same numbering as the runtime that would run the topology.
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 3);
    sq_topology_t *topology = s_topology ();
    sq_runtime_options_t options = {.acker = sq_acker_task ()};
    sq_runtime_t *runtime = sq_runtime_new ("wordcount", &topology, config, &options);
    ck_assert_ptr_nonnull (runtime);
    ck_assert_uint_eq (runtime->executor_count, count);
    for (size_t e = 0; e < count; e++) {
        const sq_executor_t *executor = runtime->executors[e];
        ck_assert_str_eq (executor->component->id, executors[e].component_id);
        ck_assert_int_eq (executor->tasks[0]->task_id, executors[e].first_task);
        ck_assert_int_eq (executor->tasks[executor->task_count - 1]->task_id,
                          executors[e].last_task);
    }
    sq_runtime_destroy (&runtime);
    //  With acking on, whoever assembles a runtime must hand it an acker.
    topology = s_topology ();
    ck_assert_ptr_null (sq_runtime_new ("wordcount", &topology, config, NULL));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "given no acker"));
    ck_assert_ptr_null (topology);
    sq_config_destroy (&config);
    nimbus_scheduler_executors_destroy (&executors);
    ck_assert_ptr_null (executors);
    nimbus_scheduler_executors_destroy (&executors);

    //  Acking off: no acker executors. Default: one, from the topology's
    //  own config unless the submit config overrides it.
    executors = s_executors (0, &count);
    ck_assert_uint_eq (count, 13);
    ck_assert_str_eq (executors[12].component_id, "report");
    nimbus_scheduler_executors_destroy (&executors);
    topology = s_topology ();
    executors = nimbus_scheduler_executors (topology, NULL, &count);
    ck_assert_uint_eq (count, 14);
    nimbus_scheduler_executors_destroy (&executors);
    sq_config_set_int (sq_topology_config (topology), "topology.acker.executors", 2);
    executors = nimbus_scheduler_executors (topology, NULL, &count);
    ck_assert_uint_eq (count, 15);
    nimbus_scheduler_executors_destroy (&executors);

    //  Errors: a negative acker count (refused by the config itself), an
    //  invalid topology.
    config = sq_config_new ();
    ck_assert_int_eq (sq_config_set_int (config, "topology.acker.executors", -1), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "topology.acker.executors"));
    sq_config_destroy (&config);
    sq_topology_set_bolt (topology, "orphan", &s_bolt, 0);
    ck_assert_ptr_null (nimbus_scheduler_executors (topology, NULL, &count));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "parallelism"));
    sq_topology_destroy (&topology);
}
END_TEST

//  Sends nothing: the placement test never starts the runtime.
static size_t
s_send_nowhere (void *arg, const sq_message_t *messages, size_t count, bool wait)
{
    (void) arg;
    (void) messages;
    (void) wait;
    return count;
}

//  words (2 executors) -> idle (2 executors, no tasks); words -> count (2).
static sq_topology_t *
s_idle_topology (void)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "words", &s_spout, 2);
    sq_component_t *idle = sq_topology_set_bolt (topology, "idle", &s_bolt, 2);
    sq_component_shuffle_grouping (idle, "words", NULL);
    sq_component_set_num_tasks (idle, 0);
    sq_component_t *count = sq_topology_set_bolt (topology, "count", &s_bolt, 2);
    sq_component_fields_grouping (count, "words", NULL, "word");
    return topology;
}

//  A component with no tasks (Storm's setNumTasks (0)) gets no executor
//  from nimbus, the ids after it follow on, and every worker of the
//  assignment builds its runtime from the same numbering.
START_TEST (test_component_without_tasks)
{
    sq_topology_t *topology = s_idle_topology ();
    s_cluster_t cluster = {0};
    cluster.executors = nimbus_scheduler_executors (topology, NULL, &cluster.executor_count);
    sq_topology_destroy (&topology);
    ck_assert_ptr_nonnull (cluster.executors);
    //  words 1-2, count 3-4, one acker 5.
    ck_assert_uint_eq (cluster.executor_count, 5);
    for (size_t e = 0; e < cluster.executor_count; e++)
        ck_assert_str_ne (cluster.executors[e].component_id, "idle");
    ck_assert_str_eq (cluster.executors[2].component_id, "count");
    ck_assert_int_eq (cluster.executors[2].first_task, 3);
    ck_assert_int_eq (cluster.executors[4].first_task, 5);

    s_add_supervisor (&cluster, "sup-a", 2);
    nimbus_scheduler_input_t input = s_input (&cluster, 2, NULL);
    sq_assignment_t *assignment = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (assignment);
    s_assert_complete (assignment, &cluster);
    for (size_t w = 0; w < assignment->worker_count; w++) {
        const sq_assignment_worker_t *worker = &assignment->workers[w];
        bool local[6] = {false};
        for (size_t e = 0; e < worker->executor_count; e++)
            for (int task = worker->executors[e].first_task; task <= worker->executors[e].last_task;
                 task++)
                local[task] = true;
        sq_placement_t placement = {.local = local, .task_count = 5, .send = s_send_nowhere};
        sq_runtime_options_t options = {.placement = &placement, .acker = sq_acker_task ()};
        topology = s_idle_topology ();
        sq_runtime_t *runtime = sq_runtime_new ("idle", &topology, NULL, &options);
        ck_assert_msg (runtime, "worker %zu: %s", w, sq_last_error ());
        ck_assert_uint_eq (runtime->executor_count, worker->executor_count);
        sq_runtime_destroy (&runtime);
    }
    sq_assignment_destroy (&assignment);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_even_spread)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (3, &cluster.executor_count);
    //  Given out of id order: the scheduler sorts supervisors by id.
    s_add_supervisor (&cluster, "sup-c", 4);
    s_add_supervisor (&cluster, "sup-a", 4);
    s_add_supervisor (&cluster, "sup-b", 4);
    nimbus_scheduler_input_t input = s_input (&cluster, 5, NULL);
    sq_assignment_t *assignment = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (assignment);
    s_assert_complete (assignment, &cluster);
    s_assert_even (assignment);
    ck_assert_int_eq (assignment->generation, 1);
    ck_assert_str_eq (assignment->topology_name, "wordcount");
    ck_assert_str_eq (assignment->topology_id, "wordcount-1");

    //  5 workers over 3 supervisors: round-robin by id, lowest port first.
    ck_assert_uint_eq (assignment->worker_count, 5);
    int ports[4];
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-a", ports, 4), 2);
    ck_assert_int_eq (ports[0], 6700);
    ck_assert_int_eq (ports[1], 6701);
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-b", ports, 4), 2);
    ck_assert_int_eq (ports[1], 6701);
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-c", ports, 4), 1);
    ck_assert_int_eq (ports[0], 6700);
    ck_assert_str_eq (sq_assignment_find_slot (assignment, "sup-c", 6700)->host, "host-sup-c");

    //  Each component spreads over as many workers as it has executors.
    ck_assert_uint_eq (s_component_spread (assignment, &cluster, "words"), 3);
    ck_assert_uint_eq (s_component_spread (assignment, &cluster, "split"), 4);
    ck_assert_uint_eq (s_component_spread (assignment, &cluster, "count"), 5);
    ck_assert_uint_eq (s_component_spread (assignment, &cluster, SQ_ACKER_COMPONENT), 3);
    sq_assignment_destroy (&assignment);

    //  Two workers on one supervisor each: both supervisors get one.
    input.workers = 2;
    assignment = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (assignment->worker_count, 2);
    ck_assert_uint_eq (s_workers_on (assignment, "sup-a"), 1);
    ck_assert_uint_eq (s_workers_on (assignment, "sup-b"), 1);
    ck_assert_uint_eq (s_component_spread (assignment, &cluster, SQ_ACKER_COMPONENT), 2);
    s_assert_even (assignment);
    sq_assignment_destroy (&assignment);

    //  Nine workers: 3 per supervisor.
    input.workers = 9;
    assignment = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (assignment->worker_count, 9);
    ck_assert_uint_eq (s_workers_on (assignment, "sup-a"), 3);
    ck_assert_uint_eq (s_workers_on (assignment, "sup-c"), 3);
    s_assert_even (assignment);
    s_assert_complete (assignment, &cluster);
    sq_assignment_destroy (&assignment);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_respects_used_slots)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (2, &cluster.executor_count);
    s_add_supervisor (&cluster, "sup-a", 3);
    s_add_supervisor (&cluster, "sup-b", 3);
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-a", 6700};
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-b", 6700};
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-b", 6701};
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-gone", 6702};
    nimbus_scheduler_input_t input = s_input (&cluster, 3, NULL);
    sq_assignment_t *assignment = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (assignment);
    s_assert_complete (assignment, &cluster);
    s_assert_even (assignment);
    ck_assert_uint_eq (assignment->worker_count, 3);
    for (size_t i = 0; i < cluster.used_count; i++)
        ck_assert_ptr_null (sq_assignment_find_slot (assignment, cluster.used[i].supervisor_id,
                                                     cluster.used[i].port));
    ck_assert_ptr_nonnull (sq_assignment_find_slot (assignment, "sup-a", 6701));
    ck_assert_ptr_nonnull (sq_assignment_find_slot (assignment, "sup-a", 6702));
    ck_assert_ptr_nonnull (sq_assignment_find_slot (assignment, "sup-b", 6702));
    sq_assignment_destroy (&assignment);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_workers_beyond_free_slots)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (1, &cluster.executor_count);
    s_add_supervisor (&cluster, "sup-a", 2);
    s_add_supervisor (&cluster, "sup-b", 2);
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-b", 6701};
    nimbus_scheduler_input_t input = s_input (&cluster, 10, NULL);
    sq_assignment_t *assignment = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (assignment);
    ck_assert_uint_eq (assignment->worker_count, 3);
    s_assert_complete (assignment, &cluster);
    s_assert_even (assignment);
    sq_assignment_destroy (&assignment);

    //  More workers than executors: one executor per worker, no idle worker.
    nimbus_executor_t two[] = {{"words", 1, 1}, {"count", 2, 3}};
    input.executors = two;
    input.executor_count = 2;
    assignment = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (assignment->worker_count, 2);
    ck_assert_uint_eq (assignment->workers[0].executor_count, 1);
    ck_assert_uint_eq (assignment->workers[1].executor_count, 1);
    ck_assert_uint_eq (s_workers_on (assignment, "sup-a"), 1);
    sq_assignment_destroy (&assignment);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_keeps_survivors_when_supervisor_dies)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (3, &cluster.executor_count);
    s_add_supervisor (&cluster, "sup-a", 2);
    s_add_supervisor (&cluster, "sup-b", 2);
    s_add_supervisor (&cluster, "sup-c", 2);
    nimbus_scheduler_input_t input = s_input (&cluster, 3, NULL);
    sq_assignment_t *before = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (before->worker_count, 3);
    ck_assert_uint_eq (s_workers_on (before, "sup-b"), 1);

    //  Scheduling again with nothing changed changes nothing.
    input.current = before;
    sq_assignment_t *same = nimbus_scheduler_schedule (&input);
    ck_assert (sq_assignment_same_placement (same, before));
    ck_assert_int_eq (same->generation, before->generation);
    sq_assignment_destroy (&same);

    //  sup-b dies: its executors move, every other stays put.
    s_remove_supervisor (&cluster, "sup-b");
    input = s_input (&cluster, 3, before);
    sq_assignment_t *after = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (after);
    s_assert_complete (after, &cluster);
    s_assert_even (after);
    ck_assert_int_eq (after->generation, before->generation + 1);
    ck_assert_uint_eq (after->worker_count, 3);
    ck_assert_uint_eq (s_workers_on (after, "sup-b"), 0);
    size_t moved = 0;
    for (size_t e = 0; e < cluster.executor_count; e++) {
        int task = cluster.executors[e].first_task;
        const sq_assignment_worker_t *old = sq_assignment_find_task (before, task);
        const sq_assignment_worker_t *now = sq_assignment_find_task (after, task);
        if (strcmp (old->supervisor_id, "sup-b") == 0) {
            moved++;
            ck_assert_str_ne (now->supervisor_id, "sup-b");
        } else {
            ck_assert_str_eq (now->supervisor_id, old->supervisor_id);
            ck_assert_int_eq (now->port, old->port);
        }
    }
    ck_assert_uint_eq (moved, before->workers[1].executor_count);
    //  The dead worker's executors fill a new slot: sup-a and sup-c tie at
    //  one worker each, sup-a has the lower id.
    ck_assert_ptr_nonnull (sq_assignment_find_slot (after, "sup-a", 6701));
    sq_assignment_destroy (&after);

    //  With no spare slot, they spread over the surviving workers.
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-a", 6701};
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-c", 6701};
    input = s_input (&cluster, 3, before);
    after = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (after);
    ck_assert_uint_eq (after->worker_count, 2);
    s_assert_complete (after, &cluster);
    s_assert_even (after);
    for (size_t e = 0; e < cluster.executor_count; e++) {
        int task = cluster.executors[e].first_task;
        const sq_assignment_worker_t *old = sq_assignment_find_task (before, task);
        if (strcmp (old->supervisor_id, "sup-b") != 0)
            ck_assert_ptr_eq (sq_assignment_find_task (after, task),
                              sq_assignment_find_slot (after, old->supervisor_id, old->port));
    }
    sq_assignment_destroy (&after);
    sq_assignment_destroy (&before);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_slot_taken_or_worker_lost)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (2, &cluster.executor_count);
    s_add_supervisor (&cluster, "sup-a", 2);
    s_add_supervisor (&cluster, "sup-b", 2);
    nimbus_scheduler_input_t input = s_input (&cluster, 2, NULL);
    sq_assignment_t *before = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (before->worker_count, 2);

    //  The slot sup-a:6700 is lost to us (its port no longer offered):
    //  its executors go to sup-a:6701, a new slot on the least used
    //  supervisor; sup-b's stay.
    int port = 6701;
    sq_supervisor_info_destroy (&cluster.supervisors[0]);
    cluster.supervisors[0] = sq_supervisor_info_new ("sup-a", "host-sup-a", &port, 1, 2);
    input = s_input (&cluster, 2, before);
    sq_assignment_t *after = nimbus_scheduler_schedule (&input);
    s_assert_complete (after, &cluster);
    ck_assert_uint_eq (after->worker_count, 2);
    const sq_assignment_worker_t *moved = sq_assignment_find_slot (after, "sup-a", 6701);
    ck_assert_ptr_nonnull (moved);
    ck_assert_uint_eq (moved->executor_count,
                       sq_assignment_find_slot (before, "sup-a", 6700)->executor_count);
    ck_assert (sq_assignment_find_slot (after, "sup-b", 6700)->executor_count ==
               sq_assignment_find_slot (before, "sup-b", 6700)->executor_count);

    //  An assignment of an earlier submission under the same name is not
    //  kept, but its generation goes on.
    sq_assignment_t *old = sq_assignment_new ("wordcount", "wordcount-0");
    old->generation = 41;
    int worker = sq_assignment_add_worker (old, "sup-b", "host-sup-b", 6701);
    sq_assignment_add_executor (old, (size_t) worker, 1, 22);
    input = s_input (&cluster, 2, old);
    sq_assignment_t *fresh = nimbus_scheduler_schedule (&input);
    ck_assert_int_eq (fresh->generation, 42);
    input.current = NULL;
    sq_assignment_t *expected = nimbus_scheduler_schedule (&input);
    ck_assert (sq_assignment_same_placement (fresh, expected));

    sq_assignment_destroy (&old);
    sq_assignment_destroy (&fresh);
    sq_assignment_destroy (&expected);
    sq_assignment_destroy (&after);
    sq_assignment_destroy (&before);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_rebalance)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (3, &cluster.executor_count);
    s_add_supervisor (&cluster, "sup-a", 4);
    s_add_supervisor (&cluster, "sup-b", 4);
    nimbus_scheduler_input_t input = s_input (&cluster, 2, NULL);
    sq_assignment_t *two = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (two->worker_count, 2);

    input.current = two;
    sq_assignment_t *six = nimbus_scheduler_rebalance (&input, 6);
    ck_assert_ptr_nonnull (six);
    ck_assert_uint_eq (six->worker_count, 6);
    ck_assert_int_eq (six->generation, two->generation + 1);
    ck_assert_uint_eq (s_workers_on (six, "sup-a"), 3);
    ck_assert_uint_eq (s_workers_on (six, "sup-b"), 3);
    s_assert_complete (six, &cluster);
    s_assert_even (six);
    ck_assert_uint_eq (s_component_spread (six, &cluster, SQ_ACKER_COMPONENT), 3);

    input.current = six;
    sq_assignment_t *one = nimbus_scheduler_rebalance (&input, 1);
    ck_assert_uint_eq (one->worker_count, 1);
    ck_assert_uint_eq (one->workers[0].executor_count, cluster.executor_count);
    ck_assert_int_eq (one->generation, six->generation + 1);
    s_assert_complete (one, &cluster);

    //  Schedule with fewer workers wanted than the current assignment has:
    //  the last slots in round-robin order are given up.
    input = s_input (&cluster, 4, six);
    sq_assignment_t *four = nimbus_scheduler_schedule (&input);
    ck_assert_uint_eq (four->worker_count, 4);
    ck_assert_uint_eq (s_workers_on (four, "sup-a"), 2);
    s_assert_complete (four, &cluster);
    s_assert_even (four);

    //  Rebalancing to the same count gives the same fresh placement.
    input = s_input (&cluster, 2, NULL);
    input.current = two;
    sq_assignment_t *again = nimbus_scheduler_rebalance (&input, 2);
    ck_assert (sq_assignment_same_placement (again, two));
    ck_assert_int_eq (again->generation, two->generation);

    ck_assert_ptr_null (nimbus_scheduler_rebalance (&input, 0));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "workers must be at least 1, got 0"));

    sq_assignment_destroy (&two);
    sq_assignment_destroy (&six);
    sq_assignment_destroy (&one);
    sq_assignment_destroy (&four);
    sq_assignment_destroy (&again);
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_no_free_slot)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (1, &cluster.executor_count);
    nimbus_scheduler_input_t input = s_input (&cluster, 2, NULL);
    ck_assert_ptr_null (nimbus_scheduler_schedule (&input));
    ck_assert_str_eq (sq_last_error (),
                      "topology 'wordcount': no free slot: no supervisor is alive");

    s_add_supervisor (&cluster, "sup-a", 2);
    s_add_supervisor (&cluster, "sup-b", 0);
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-a", 6700};
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-a", 6701};
    input = s_input (&cluster, 2, NULL);
    ck_assert_ptr_null (nimbus_scheduler_schedule (&input));
    ck_assert_str_eq (sq_last_error (), "topology 'wordcount': no free slot: every slot of the 2 "
                                        "live supervisor(s) is used by other topologies");

    cluster.used_count = 0;
    input = s_input (&cluster, 0, NULL);
    ck_assert_ptr_null (nimbus_scheduler_schedule (&input));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "workers must be at least 1"));
    input = s_input (&cluster, 1, NULL);
    input.executor_count = 0;
    ck_assert_ptr_null (nimbus_scheduler_schedule (&input));
    ck_assert_str_eq (sq_last_error (), "topology 'wordcount' has no executors to schedule");
    nimbus_executor_t overlapping[] = {{"a", 1, 3}, {"b", 3, 4}};
    input.executors = overlapping;
    input.executor_count = 2;
    ck_assert_ptr_null (nimbus_scheduler_schedule (&input));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "share tasks"));
    nimbus_executor_t reversed[] = {{"a", 2, 1}};
    input.executors = reversed;
    input.executor_count = 1;
    ck_assert_ptr_null (nimbus_scheduler_schedule (&input));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "task range [2, 1]"));
    s_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_deterministic)
{
    s_cluster_t cluster = {0};
    cluster.executors = s_executors (4, &cluster.executor_count);
    s_add_supervisor (&cluster, "sup-b", 3);
    s_add_supervisor (&cluster, "sup-a", 2);
    s_add_supervisor (&cluster, "sup-c", 1);
    cluster.used[cluster.used_count++] = (nimbus_slot_t){"sup-b", 6700};
    nimbus_scheduler_input_t input = s_input (&cluster, 4, NULL);
    sq_assignment_t *first = nimbus_scheduler_schedule (&input);
    char *first_text = sq_assignment_encode (first);

    //  Same input, again and with the supervisors in another order.
    for (int round = 0; round < 3; round++) {
        sq_supervisor_info_t *swap = cluster.supervisors[0];
        cluster.supervisors[0] = cluster.supervisors[round % 3];
        cluster.supervisors[round % 3] = swap;
        input = s_input (&cluster, 4, NULL);
        sq_assignment_t *again = nimbus_scheduler_schedule (&input);
        char *text = sq_assignment_encode (again);
        ck_assert_str_eq (text, first_text);
        free (text);
        sq_assignment_destroy (&again);
    }
    //  Workers come out sorted by supervisor id and port, executors by task.
    for (size_t w = 1; w < first->worker_count; w++) {
        int order = strcmp (first->workers[w - 1].supervisor_id, first->workers[w].supervisor_id);
        ck_assert (order < 0 ||
                   (order == 0 && first->workers[w - 1].port < first->workers[w].port));
    }
    for (size_t w = 0; w < first->worker_count; w++)
        for (size_t e = 1; e < first->workers[w].executor_count; e++)
            ck_assert_int_lt (first->workers[w].executors[e - 1].first_task,
                              first->workers[w].executors[e].first_task);
    free (first_text);
    sq_assignment_destroy (&first);
    s_cluster_destroy (&cluster);
}
END_TEST

//  A small deterministic pseudo-random sequence, so the pinned scenarios
//  below are the same on every machine.
static uint32_t
s_next_random (uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7fff;
}

//  FNV-1a over text, continuing from hash.
static uint64_t
s_hash_text (uint64_t hash, const char *text)
{
    for (const char *c = text; *c; c++) {
        hash ^= (unsigned char) *c;
        hash *= 1099511628211ull;
    }
    return hash;
}

//  Fold an assignment (slots, executors per slot, generation) into hash.
static uint64_t
s_hash_assignment (uint64_t hash, const sq_assignment_t *assignment)
{
    char line[128];
    snprintf (line, sizeof line, "gen=%lld;", (long long) assignment->generation);
    hash = s_hash_text (hash, line);
    for (size_t w = 0; w < assignment->worker_count; w++) {
        const sq_assignment_worker_t *worker = &assignment->workers[w];
        snprintf (line, sizeof line, "%s:%d=", worker->supervisor_id, worker->port);
        hash = s_hash_text (hash, line);
        char *text = sq_assignment_worker_executors_text (worker);
        ck_assert_ptr_nonnull (text);
        hash = s_hash_text (s_hash_text (hash, text), ";");
        free (text);
    }
    return hash;
}

//  One pseudo-random scenario: supervisors with scattered ports, slots held
//  by other topologies, components of various sizes; a fresh schedule, a
//  reschedule after a supervisor dies and another joins with a new worker
//  count, a reschedule of that unchanged, and a rebalance. Returns the
//  hash of the four results.
static uint64_t
s_pinned_scenario (uint32_t seed)
{
    uint32_t random = seed;
    sq_supervisor_info_t *supervisors[12];
    nimbus_slot_t used[24];
    char ids[12][16];
    size_t supervisor_count = 2 + s_next_random (&random) % 9, used_count = 0;
    for (size_t s = 0; s < supervisor_count; s++) {
        int ports[8], port = 6700 + (int) (s_next_random (&random) % 3);
        size_t port_count = 1 + s_next_random (&random) % 6;
        for (size_t p = 0; p < port_count; p++) {
            ports[p] = port;
            port += 1 + (int) (s_next_random (&random) % 2);
        }
        snprintf (ids[s], sizeof ids[s], "sup-%02u", (unsigned) (s_next_random (&random) % 90));
        supervisors[s] = sq_supervisor_info_new (ids[s], "host", ports, port_count, 1);
        if (s_next_random (&random) % 3 == 0 && used_count < 24)
            used[used_count++] = (nimbus_slot_t){ids[s], ports[0]};
    }
    //  Components c0, c1, ... of 1 to 12 executors, some of several tasks.
    nimbus_executor_t executors[200];
    static const char *components[] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6"};
    size_t component_count = 1 + s_next_random (&random) % 7, executor_count = 0;
    int task = 1;
    for (size_t c = 0; c < component_count; c++) {
        size_t count = 1 + s_next_random (&random) % 12;
        for (size_t e = 0; e < count; e++) {
            int tasks = 1 + (int) (s_next_random (&random) % 3 == 0);
            executors[executor_count++] =
                (nimbus_executor_t){components[c], task, task + tasks - 1};
            task += tasks;
        }
    }
    nimbus_scheduler_input_t input = {.topology_name = "pinned",
                                      .topology_id = "pinned-1",
                                      .executors = executors,
                                      .executor_count = executor_count,
                                      .workers = 1 + (int) (s_next_random (&random) % 16),
                                      .supervisors = supervisors,
                                      .supervisor_count = supervisor_count,
                                      .used_slots = used,
                                      .used_slot_count = used_count};
    uint64_t hash = 14695981039346656037ull;
    sq_assignment_t *fresh = nimbus_scheduler_schedule (&input);
    if (!fresh) {
        hash = s_hash_text (hash, "none");
        goto done;
    }
    hash = s_hash_assignment (hash, fresh);
    //  A supervisor dies (its ports stay listed as used nowhere), one joins.
    size_t dead = s_next_random (&random) % supervisor_count;
    sq_supervisor_info_destroy (&supervisors[dead]);
    int joined_ports[] = {6700, 6701, 6702};
    supervisors[dead] = sq_supervisor_info_new ("sup-new", "host", joined_ports, 3, 1);
    for (size_t u = 0; u < used_count; u++)
        if (strcmp (used[u].supervisor_id, ids[dead]) == 0)
            used[u] = (nimbus_slot_t){"sup-new", 6702};
    input.current = fresh;
    input.workers = 1 + (int) (s_next_random (&random) % 16);
    sq_assignment_t *moved = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (moved);
    hash = s_hash_assignment (hash, moved);
    input.current = moved;
    sq_assignment_t *again = nimbus_scheduler_schedule (&input);
    ck_assert_ptr_nonnull (again);
    ck_assert_int_eq (again->generation, moved->generation);
    ck_assert (sq_assignment_same_placement (again, moved));
    hash = s_hash_assignment (hash, again);
    sq_assignment_t *rebalanced =
        nimbus_scheduler_rebalance (&input, 1 + (int) (s_next_random (&random) % 16));
    ck_assert_ptr_nonnull (rebalanced);
    hash = s_hash_assignment (hash, rebalanced);
    sq_assignment_destroy (&moved);
    sq_assignment_destroy (&again);
    sq_assignment_destroy (&rebalanced);
done:
    sq_assignment_destroy (&fresh);
    for (size_t s = 0; s < supervisor_count; s++)
        sq_supervisor_info_destroy (&supervisors[s]);
    return hash;
}

//  The placement rules (doc/cluster.md) pinned: these hashes were recorded
//  from the scheduler before it was made near-linear; any change to where
//  an executor lands, fresh, after a loss, unchanged or rebalanced, shows.
START_TEST (test_pinned_placements)
{
    uint64_t hash = 14695981039346656037ull;
    for (uint32_t seed = 1; seed <= 300; seed++) {
        char line[32];
        snprintf (line, sizeof line, "%016llx", (unsigned long long) s_pinned_scenario (seed));
        hash = s_hash_text (hash, line);
    }
    char text[32];
    snprintf (text, sizeof text, "%016llx", (unsigned long long) hash);
    ck_assert_str_eq (text, "751428b6460fb0e1");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("scheduler");
    TCase *tcase = tcase_create ("scheduler");
    tcase_add_test (tcase, test_executors_match_runtime);
    tcase_add_test (tcase, test_component_without_tasks);
    tcase_add_test (tcase, test_even_spread);
    tcase_add_test (tcase, test_respects_used_slots);
    tcase_add_test (tcase, test_workers_beyond_free_slots);
    tcase_add_test (tcase, test_keeps_survivors_when_supervisor_dies);
    tcase_add_test (tcase, test_slot_taken_or_worker_lost);
    tcase_add_test (tcase, test_rebalance);
    tcase_add_test (tcase, test_no_free_slot);
    tcase_add_test (tcase, test_deterministic);
    tcase_add_test (tcase, test_pinned_placements);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
