/*  test_task_layout - task ids per component, executor ranges, ackers
    last, and the task id limit, on hand-made topologies */
#include "sq_error.h"
#include "sq_task_layout.h"
#include "squall.h"

#include <check.h>
#include <string.h>

//  Add a component with `tasks` tasks over `executors` executors. The
//  layout reads only the counts, so no callbacks are needed.
static void
s_add (sq_topology_t *topology, const char *id, int executors, int tasks)
{
    sq_component_t *component = sq_topology_set_bolt (topology, id, NULL, executors);
    ck_assert_ptr_nonnull (component);
    sq_component_set_num_tasks (component, tasks);
}

static void
s_assert_executor (const sq_task_layout_t *layout, size_t index, const char *component,
                   int first_task, int last_task)
{
    ck_assert_uint_lt (index, layout->executor_count);
    const sq_task_layout_executor_t *executor = &layout->executors[index];
    ck_assert_str_eq (layout->components[executor->component].component_id, component);
    ck_assert_int_eq (executor->first_task, first_task);
    ck_assert_int_eq (executor->last_task, last_task);
}

static void
s_assert_error (const sq_topology_t *topology, int64_t ackers, const char *expected)
{
    sq_task_layout_t *layout = sq_task_layout_new (topology, ackers);
    ck_assert_ptr_null (layout);
    ck_assert_msg (strstr (sq_last_error (), expected), "error '%s' lacks '%s'", sq_last_error (),
                   expected);
}

START_TEST (test_tasks_over_executors)
{
    //  Seven tasks over three executors: 0-1, 2-3, 4-6 of the component;
    //  ten over four: 0-1, 2-4, 5-6, 7-9.
    sq_topology_t *topology = sq_topology_new ();
    s_add (topology, "seven", 3, 7);
    s_add (topology, "ten", 4, 10);
    s_add (topology, "one", 1, 1);
    sq_task_layout_t *layout = sq_task_layout_new (topology, 0);
    ck_assert_ptr_nonnull (layout);
    ck_assert_int_eq (layout->task_count, 18);
    ck_assert_uint_eq (layout->component_count, 3);
    ck_assert_uint_eq (layout->executor_count, 8);
    ck_assert_int_eq (layout->acker_count, 0);
    ck_assert_int_eq (layout->acker_first_task, 0);
    s_assert_executor (layout, 0, "seven", 1, 2);
    s_assert_executor (layout, 1, "seven", 3, 4);
    s_assert_executor (layout, 2, "seven", 5, 7);
    s_assert_executor (layout, 3, "ten", 8, 9);
    s_assert_executor (layout, 4, "ten", 10, 12);
    s_assert_executor (layout, 5, "ten", 13, 14);
    s_assert_executor (layout, 6, "ten", 15, 17);
    s_assert_executor (layout, 7, "one", 18, 18);
    const sq_task_layout_component_t *ten = &layout->components[1];
    ck_assert_str_eq (ten->component_id, "ten");
    ck_assert_int_eq (ten->first_task, 8);
    ck_assert_int_eq (ten->task_count, 10);
    ck_assert_uint_eq (ten->first_executor, 3);
    ck_assert_uint_eq (ten->executor_count, 4);
    sq_task_layout_destroy (&layout);
    ck_assert_ptr_null (layout);
    sq_task_layout_destroy (&layout);
    sq_topology_destroy (&topology);
}
END_TEST

START_TEST (test_ackers_last)
{
    //  doc/cluster.md's example: words (3 executors, 5 tasks), split (4, 8),
    //  count (5, 5), report (1, 1) and 3 ackers.
    sq_topology_t *topology = sq_topology_new ();
    s_add (topology, "words", 3, 5);
    s_add (topology, "split", 4, 8);
    s_add (topology, "count", 5, 5);
    s_add (topology, "report", 1, 1);
    sq_task_layout_t *layout = sq_task_layout_new (topology, 3);
    ck_assert_ptr_nonnull (layout);
    ck_assert_int_eq (layout->task_count, 22);
    ck_assert_uint_eq (layout->executor_count, 16);
    ck_assert_uint_eq (layout->component_count, 5);
    s_assert_executor (layout, 0, "words", 1, 1);
    s_assert_executor (layout, 1, "words", 2, 3);
    s_assert_executor (layout, 2, "words", 4, 5);
    s_assert_executor (layout, 3, "split", 6, 7);
    s_assert_executor (layout, 6, "split", 12, 13);
    s_assert_executor (layout, 7, "count", 14, 14);
    s_assert_executor (layout, 11, "count", 18, 18);
    s_assert_executor (layout, 12, "report", 19, 19);
    s_assert_executor (layout, 13, SQ_ACKER_COMPONENT, 20, 20);
    s_assert_executor (layout, 14, SQ_ACKER_COMPONENT, 21, 21);
    s_assert_executor (layout, 15, SQ_ACKER_COMPONENT, 22, 22);
    ck_assert_int_eq (layout->acker_first_task, 20);
    ck_assert_int_eq (layout->acker_count, 3);
    const sq_task_layout_component_t *ackers = &layout->components[4];
    ck_assert_str_eq (ackers->component_id, SQ_ACKER_COMPONENT);
    ck_assert_int_eq (ackers->first_task, 20);
    ck_assert_int_eq (ackers->task_count, 3);
    ck_assert_uint_eq (ackers->first_executor, 13);
    ck_assert_uint_eq (ackers->executor_count, 3);
    sq_task_layout_destroy (&layout);
    sq_topology_destroy (&topology);
}
END_TEST

START_TEST (test_every_split)
{
    //  For every split of up to 40 tasks: the executors cover the
    //  component's ids once, in order, and their sizes differ by at most one.
    for (int tasks = 1; tasks <= 40; tasks++)
        for (int executors = 1; executors <= tasks; executors++) {
            sq_topology_t *topology = sq_topology_new ();
            s_add (topology, "before", 2, 3);
            s_add (topology, "split", executors, tasks);
            sq_task_layout_t *layout = sq_task_layout_new (topology, 1);
            ck_assert_ptr_nonnull (layout);
            ck_assert_int_eq (layout->task_count, 3 + tasks + 1);
            const sq_task_layout_component_t *split = &layout->components[1];
            ck_assert_uint_eq (split->executor_count, (size_t) executors);
            int next = split->first_task, smallest = tasks, largest = 0;
            for (size_t e = split->first_executor;
                 e < split->first_executor + split->executor_count; e++) {
                const sq_task_layout_executor_t *executor = &layout->executors[e];
                ck_assert_uint_eq (executor->component, 1);
                ck_assert_int_eq (executor->first_task, next);
                ck_assert_int_ge (executor->last_task, executor->first_task);
                int size = executor->last_task - executor->first_task + 1;
                smallest = size < smallest ? size : smallest;
                largest = size > largest ? size : largest;
                next = executor->last_task + 1;
            }
            ck_assert_int_eq (next, split->first_task + tasks);
            ck_assert_int_le (largest - smallest, 1);
            ck_assert_int_eq (layout->acker_first_task, next);
            sq_task_layout_destroy (&layout);
            sq_topology_destroy (&topology);
        }
}
END_TEST

START_TEST (test_limit)
{
    //  Every task id up to the limit may be used, ackers included.
    sq_topology_t *topology = sq_topology_new ();
    s_add (topology, "wide", 2, SQ_TASK_LAYOUT_MAX_TASK - 2);
    sq_task_layout_t *layout = sq_task_layout_new (topology, 2);
    ck_assert_ptr_nonnull (layout);
    ck_assert_int_eq (layout->task_count, SQ_TASK_LAYOUT_MAX_TASK);
    ck_assert_int_eq (layout->acker_first_task, SQ_TASK_LAYOUT_MAX_TASK - 1);
    sq_task_layout_destroy (&layout);
    //  One more acker is one task id too many; so is an acker count
    //  that is itself too large.
    s_assert_error (topology, 3, "needs 65536 task ids (65533 for its components, 3 for ackers)");
    s_assert_error (topology, 3, "at most 65535 are supported");
    s_assert_error (topology, (int64_t) 1 << 40, "at most 65535 are supported");
    sq_topology_destroy (&topology);

    //  Components alone past the limit, in counts whose int sum overflows.
    topology = sq_topology_new ();
    s_add (topology, "huge", 1, 0x7FFFFFFF);
    s_add (topology, "more", 1, 0x7FFFFFFF);
    s_assert_error (topology, 0, "needs 4294967294 task ids");
    sq_topology_destroy (&topology);
}
END_TEST

START_TEST (test_bad_counts)
{
    sq_topology_t *topology = sq_topology_new ();
    s_add (topology, "fine", 2, 2);
    s_assert_error (topology, -1, "'topology.acker.executors' must not be negative, got -1");
    s_add (topology, "few", 3, 2);
    s_assert_error (topology, 1, "component 'few' has 2 tasks, fewer than its parallelism 3");
    sq_topology_destroy (&topology);
    topology = sq_topology_new ();
    s_add (topology, "none", 0, 0);
    s_assert_error (topology, 1, "component 'none' has parallelism 0");
    sq_topology_destroy (&topology);

    //  An empty topology has only its ackers.
    topology = sq_topology_new ();
    sq_task_layout_t *layout = sq_task_layout_new (topology, 2);
    ck_assert_ptr_nonnull (layout);
    ck_assert_int_eq (layout->task_count, 2);
    ck_assert_uint_eq (layout->component_count, 1);
    s_assert_executor (layout, 1, SQ_ACKER_COMPONENT, 2, 2);
    sq_task_layout_destroy (&layout);
    sq_topology_destroy (&topology);
}
END_TEST

//  A component with no tasks (Storm's setNumTasks (0)) takes no task ids
//  and gets no executors, whatever its parallelism; the next component's
//  ids follow on.
START_TEST (test_zero_tasks)
{
    sq_topology_t *topology = sq_topology_new ();
    s_add (topology, "first", 2, 2);
    s_add (topology, "idle", 3, 0);
    s_add (topology, "last", 1, 1);
    sq_task_layout_t *layout = sq_task_layout_new (topology, 1);
    ck_assert_ptr_nonnull (layout);
    ck_assert_int_eq (layout->task_count, 4);
    ck_assert_uint_eq (layout->component_count, 4);
    ck_assert_uint_eq (layout->executor_count, 4);
    const sq_task_layout_component_t *idle = &layout->components[1];
    ck_assert_str_eq (idle->component_id, "idle");
    ck_assert_int_eq (idle->task_count, 0);
    ck_assert_uint_eq (idle->executor_count, 0);
    ck_assert_uint_eq (idle->first_executor, 2);
    s_assert_executor (layout, 1, "first", 2, 2);
    s_assert_executor (layout, 2, "last", 3, 3);
    s_assert_executor (layout, 3, SQ_ACKER_COMPONENT, 4, 4);
    ck_assert_int_eq (layout->acker_first_task, 4);
    sq_task_layout_destroy (&layout);
    //  Negative task counts are still refused.
    s_add (topology, "negative", 1, -2);
    s_assert_error (topology, 1, "component 'negative' has -2 tasks");
    sq_topology_destroy (&topology);
}
END_TEST

START_TEST (test_acker_count_from_config)
{
    sq_topology_t *topology = sq_topology_new ();
    s_add (topology, "only", 1, 1);
    //  Neither config sets it: one acker.
    sq_task_layout_t *layout = sq_task_layout_from_config (topology, NULL);
    ck_assert_ptr_nonnull (layout);
    ck_assert_int_eq (layout->acker_count, 1);
    sq_task_layout_destroy (&layout);
    //  The topology's own config, unless the submitted config overrides it.
    sq_config_set_int (sq_topology_config (topology), "topology.acker.executors", 2);
    layout = sq_task_layout_from_config (topology, NULL);
    ck_assert_int_eq (layout->acker_count, 2);
    sq_task_layout_destroy (&layout);
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.acker.executors", 0);
    layout = sq_task_layout_from_config (topology, config);
    ck_assert_int_eq (layout->acker_count, 0);
    ck_assert_int_eq (layout->task_count, 1);
    sq_task_layout_destroy (&layout);
    ck_assert_int_eq (sq_config_set_int (config, "topology.acker.executors", -4), -1);
    layout = sq_task_layout_from_config (topology, config);
    ck_assert_int_eq (layout->acker_count, 0); //  the value set before stays
    sq_task_layout_destroy (&layout);
    sq_config_destroy (&config);
    sq_topology_destroy (&topology);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("task_layout");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_tasks_over_executors);
    tcase_add_test (tc, test_ackers_last);
    tcase_add_test (tc, test_every_split);
    tcase_add_test (tc, test_limit);
    tcase_add_test (tc, test_bad_counts);
    tcase_add_test (tc, test_acker_count_from_config);
    tcase_add_test (tc, test_zero_tasks);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? 1 : 0;
}
