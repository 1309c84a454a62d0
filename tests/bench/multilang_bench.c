/*  multilang_bench - the word count with its split bolt in Python, against
    the same topology all in C

    `make bench` runs this program after squall_bench. It loads the package
    directory topologies/wordcount-multilang (wordcount.so with resources/
    splitsentence.py and Squall's storm.py) and runs it in a local cluster
    twice, in turns, acking on (one acker, topology.max.spout.pending
    1000): with wordcount.split=python (the split bolt is a shell bolt, two
    python3 children speaking the multilang protocol) and with
    wordcount.split=c (the same graph, parallelism and spout, all in C).

    multilang_words_per_s   words the count bolt executed per second with
                            the Python split, between two samples taken
                            after WARMUP_SECS of warm-up (MEASURE_SECS
                            apart); the median of ROUNDS runs.
    multilang_c_ratio       that over the same figure with the split in C,
                            measured in the same run, in turns.

    Then a line, not a BENCH line, saying what bounds it, from what was
    measured over the Python runs: the cores the python3 children used
    (getrusage of the reaped children), the cores this process used (the
    C spout, count bolt, acker and the shell bolts' pipe relays), against
    the machine's cores. When the two come near the machine's cores, CPU
    bounds the figure; else the children wait on the pipes' round trips
    (or on other load on the machine).

    Run on a quiet machine: the Python figure is CPU-bound.
*/
#include "sq_package.h"
#include "squall.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define ROUNDS 3        //  runs of each kind
#define WARMUP_SECS 3   //  before the first sample
#define MEASURE_SECS 10 //  between the samples

//  Words the count bolt executed so far, or -1.
static double
s_counted (sq_local_cluster_t *cluster, const char *name)
{
    sq_component_metrics_t rows[8];
    int count = sq_local_cluster_component_metrics (cluster, name, rows, 8);
    for (int index = 0; index < count && index < 8; index++)
        if (!strcmp (rows[index].component, "count"))
            return (double) rows[index].executed;
    return -1;
}

static double
s_cpu_secs (int who)
{
    struct rusage usage;
    getrusage (who, &usage);
    return (double) usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
           (double) usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

//  One run of the package with the split in language; words/s, or -1.
static double
s_run (sq_package_t *package, const char *language)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set (config, "wordcount.split", language);
    sq_config_set_int (config, "topology.acker.executors", 1);
    sq_config_set_int (config, "topology.max.spout.pending", 1000);
    sq_config_set_int (config, "wordcount.report.secs", 3600);
    sq_topology_t *topology = sq_package_build (package, config);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    double rate = -1;
    if (!topology || sq_local_cluster_submit (cluster, "bench", config, &topology))
        fprintf (stderr, "multilang_bench: %s\n", sq_last_error ());
    else {
        zclock_sleep (WARMUP_SECS * 1000);
        double before = s_counted (cluster, "bench");
        int64_t start = zclock_usecs ();
        zclock_sleep (MEASURE_SECS * 1000);
        double after = s_counted (cluster, "bench");
        double secs = (double) (zclock_usecs () - start) / 1e6;
        if (before >= 0 && after >= before)
            rate = (after - before) / secs;
        sq_local_cluster_kill (cluster, "bench", 1);
    }
    sq_topology_destroy (&topology);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    return rate;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int
main (int argc, char *argv[])
{
    const char *top = getenv ("top_builddir");
    char path[4096];
    snprintf (path, sizeof path, "%s/topologies/wordcount-multilang", top ? top : ".");
    sq_package_t *package = sq_package_open (path);
    if (!package) {
        fprintf (stderr, "multilang_bench: %s\n", sq_last_error ());
        return 1;
    }
    zsys_set_logstream (NULL);
    double python[ROUNDS], c[ROUNDS];
    double children_cpu = 0, self_cpu = 0, python_secs = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double children_before = s_cpu_secs (RUSAGE_CHILDREN);
        double self_before = s_cpu_secs (RUSAGE_SELF);
        int64_t start = zclock_usecs ();
        python[round] = s_run (package, "python");
        python_secs += (double) (zclock_usecs () - start) / 1e6;
        children_cpu += s_cpu_secs (RUSAGE_CHILDREN) - children_before;
        self_cpu += s_cpu_secs (RUSAGE_SELF) - self_before;
        c[round] = s_run (package, "c");
        printf ("round %d: python split %.0f words/s, C split %.0f words/s\n", round + 1,
                python[round], c[round]);
        if (python[round] < 0 || c[round] < 0) {
            sq_package_destroy (&package);
            return 1;
        }
    }
    sq_package_destroy (&package);
    qsort (python, ROUNDS, sizeof python[0], s_compare);
    qsort (c, ROUNDS, sizeof c[0], s_compare);
    printf ("BENCH multilang_words_per_s %.0f words/s\n", python[ROUNDS / 2]);
    printf ("BENCH multilang_c_ratio %.3f\n", python[ROUNDS / 2] / c[ROUNDS / 2]);
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    double used = (children_cpu + self_cpu) / python_secs;
    printf ("multilang: over the Python runs (%.0f s) the two python3 children used %.2f cores "
            "and this process %.2f, %.2f of the %ld cores here: %s\n",
            python_secs, children_cpu / python_secs, self_cpu / python_secs, used, cores,
            used >= 0.9 * (double) cores
                ? "CPU bounds it (the children's JSON work per tuple, and the relays)"
                : "not CPU-bound here: the children wait on the pipes' round trips, or the "
                  "machine on other load");
    return 0;
}
