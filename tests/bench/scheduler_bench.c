/*  scheduler_bench - how long nimbus's scheduler takes for large topologies

    Part of `make bench`. Builds a topology's executors (five components of
    1/8, 1/4, 1/4, 1/4 and 1/16 of the executors, then ackers for the rest)
    and a cluster of supervisors of four slots each, and times
    nimbus_scheduler_schedule without a current assignment (fresh), then
    with the result as the current assignment (unchanged). Each figure is
    the median of 5 runs, in milliseconds of this process's CPU time (the
    process has one thread; on a quiet machine that is the wall-clock
    time, and on a shared one it leaves out the time other programs ran):

    - scheduler_ms_10k_executors: 10,000 executors over 1,000 slots, fresh;
    - scheduler_ms_40k_executors: 40,000 executors over 4,000 slots, fresh;
    - scheduler_ms_40k_unchanged: the 40,000 rescheduled on the same
      cluster, nothing moving.
*/
#include "nimbus_scheduler.h"
#include "sq_acker.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_RUNS 5 //  runs per figure; the median is printed

//  A synthetic topology and cluster.
typedef struct {
    nimbus_executor_t *executors;       //  one task per executor
    size_t executor_count;              //  how many
    sq_supervisor_info_t **supervisors; //  four ports each
    size_t supervisor_count;            //  how many
} bench_cluster_t;

static bench_cluster_t
s_cluster_new (size_t executor_count, size_t slot_count)
{
    static const char *components[] = {"spout", "split", "count", "report", "store"};
    static const size_t shares[] = {8, 4, 4, 4, 16}; //  1/share of the executors each
    bench_cluster_t self = {.executor_count = executor_count, .supervisor_count = slot_count / 4};
    self.executors = calloc (executor_count, sizeof *self.executors);
    self.supervisors = calloc (self.supervisor_count, sizeof *self.supervisors);
    assert (self.executors && self.supervisors);
    size_t e = 0;
    for (size_t c = 0; c < 5; c++)
        for (size_t i = 0; i < executor_count / shares[c]; i++, e++)
            self.executors[e] = (nimbus_executor_t){components[c], (int) e + 1, (int) e + 1};
    for (; e < executor_count; e++)
        self.executors[e] = (nimbus_executor_t){SQ_ACKER_COMPONENT, (int) e + 1, (int) e + 1};
    int ports[] = {6700, 6701, 6702, 6703};
    for (size_t s = 0; s < self.supervisor_count; s++) {
        char id[32], host[32];
        snprintf (id, sizeof id, "sup-%05zu", s);
        snprintf (host, sizeof host, "host-%05zu", s);
        self.supervisors[s] = sq_supervisor_info_new (id, host, ports, 4, 1);
        assert (self.supervisors[s]);
    }
    return self;
}

static void
s_cluster_destroy (bench_cluster_t *self)
{
    for (size_t s = 0; s < self->supervisor_count; s++)
        sq_supervisor_info_destroy (&self->supervisors[s]);
    free (self->supervisors);
    free (self->executors);
}

//  This process's CPU time in milliseconds.
static double
s_cpu_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);
    return (double) now.tv_sec * 1000.0 + (double) now.tv_nsec / 1e6;
}

static int
s_compare_doubles (const void *a, const void *b)
{
    double left = *(const double *) a, right = *(const double *) b;
    return (left > right) - (left < right);
}

//  Median milliseconds of BENCH_RUNS schedules; fresh without current.
static double
s_schedule_ms (const bench_cluster_t *cluster, const sq_assignment_t *current)
{
    nimbus_scheduler_input_t input = {.topology_name = "bench",
                                      .topology_id = "bench-1",
                                      .executors = cluster->executors,
                                      .executor_count = cluster->executor_count,
                                      .workers = (int) (cluster->supervisor_count * 4),
                                      .supervisors = cluster->supervisors,
                                      .supervisor_count = cluster->supervisor_count,
                                      .current = current};
    double runs[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
        double start = s_cpu_ms ();
        sq_assignment_t *assignment = nimbus_scheduler_schedule (&input);
        runs[r] = s_cpu_ms () - start;
        if (!assignment) {
            fprintf (stderr, "scheduler_bench: %s\n", sq_last_error ());
            exit (EXIT_FAILURE);
        }
        if (current && assignment->generation != current->generation) {
            fprintf (stderr, "scheduler_bench: an unchanged reschedule moved executors\n");
            exit (EXIT_FAILURE);
        }
        sq_assignment_destroy (&assignment);
    }
    qsort (runs, BENCH_RUNS, sizeof runs[0], s_compare_doubles);
    return runs[BENCH_RUNS / 2];
}

int
main (void)
{
    bench_cluster_t small = s_cluster_new (10000, 1000);
    printf ("BENCH scheduler_ms_10k_executors %.1f ms\n", s_schedule_ms (&small, NULL));
    s_cluster_destroy (&small);

    bench_cluster_t large = s_cluster_new (40000, 4000);
    printf ("BENCH scheduler_ms_40k_executors %.1f ms\n", s_schedule_ms (&large, NULL));
    nimbus_scheduler_input_t input = {.topology_name = "bench",
                                      .topology_id = "bench-1",
                                      .executors = large.executors,
                                      .executor_count = large.executor_count,
                                      .workers = 4000,
                                      .supervisors = large.supervisors,
                                      .supervisor_count = large.supervisor_count};
    sq_assignment_t *current = nimbus_scheduler_schedule (&input);
    assert (current);
    printf ("BENCH scheduler_ms_40k_unchanged %.1f ms\n", s_schedule_ms (&large, current));
    sq_assignment_destroy (&current);
    s_cluster_destroy (&large);
    return EXIT_SUCCESS;
}
