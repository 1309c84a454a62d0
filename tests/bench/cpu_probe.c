/*  cpu_probe - how fast each CPU runs a fixed loop, sampled during a run

    See cpu_probe.h. The loop adds into a volatile counter: each iteration
    stores and reloads it, a chain of a few cycles that needs no cache
    beyond the thread's own stack line, so its time moves with the share
    of the CPU the host gives the guest, not with what the bench does to
    the caches.
*/
#include "cpu_probe.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define CPU_PROBE_PERIOD_MS 50      //  time between two samples of one CPU
#define CPU_PROBE_ITERATIONS 200000 //  loop iterations a sample times (about 70 us)
#define CPU_PROBE_MAX_THREADS 64    //  CPUs probed at most

typedef struct {
    cpu_probe_t *probe;
    int cpu;
    pthread_t thread;
    double period_sum;  //  ns per iteration of the samples in this period
    int period_samples; //  samples in this period
} probe_thread_t;

struct _cpu_probe_t {
    atomic_bool stopping;
    pthread_mutex_t lock; //  guards the threads' period figures
    probe_thread_t threads[CPU_PROBE_MAX_THREADS];
    int thread_count;
};

static double
s_thread_cpu_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
    return (double) now.tv_sec * 1e9 + (double) now.tv_nsec;
}

//  Time CPU_PROBE_ITERATIONS of the loop on this thread's CPU clock.
static double
s_sample_ns_per_iteration (void)
{
    volatile unsigned long sum = 0;
    double start = s_thread_cpu_ns ();
    for (unsigned long i = 0; i < CPU_PROBE_ITERATIONS; i++)
        sum += i;
    return (s_thread_cpu_ns () - start) / CPU_PROBE_ITERATIONS;
}

static void
s_record (probe_thread_t *thread, double sample)
{
    cpu_probe_t *self = thread->probe;
    pthread_mutex_lock (&self->lock);
    thread->period_sum += sample;
    thread->period_samples++;
    pthread_mutex_unlock (&self->lock);
}

static void *
s_probe_thread (void *arg)
{
    probe_thread_t *thread = arg;
    cpu_set_t cpus;
    CPU_ZERO (&cpus);
    CPU_SET (thread->cpu, &cpus);
    if (pthread_setaffinity_np (pthread_self (), sizeof cpus, &cpus) != 0)
        return NULL; //  a sample from another CPU would say nothing of this one
    const struct timespec period = {0, CPU_PROBE_PERIOD_MS * 1000000L};
    while (!atomic_load (&thread->probe->stopping)) {
        nanosleep (&period, NULL);
        s_record (thread, s_sample_ns_per_iteration ());
    }
    return NULL;
}

cpu_probe_t *
cpu_probe_start (void)
{
    cpu_set_t allowed;
    if (sched_getaffinity (0, sizeof allowed, &allowed) != 0)
        return NULL;
    cpu_probe_t *self = calloc (1, sizeof (cpu_probe_t));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    for (int cpu = 0; cpu < CPU_SETSIZE && self->thread_count < CPU_PROBE_MAX_THREADS; cpu++) {
        if (!CPU_ISSET (cpu, &allowed))
            continue;
        probe_thread_t *thread = &self->threads[self->thread_count];
        thread->probe = self;
        thread->cpu = cpu;
        if (pthread_create (&thread->thread, NULL, s_probe_thread, thread) == 0)
            self->thread_count++;
    }
    if (self->thread_count == 0)
        cpu_probe_stop (&self);
    return self;
}

void
cpu_probe_stop (cpu_probe_t **self_p)
{
    if (self_p && *self_p) {
        cpu_probe_t *self = *self_p;
        atomic_store (&self->stopping, true);
        for (int i = 0; i < self->thread_count; i++)
            pthread_join (self->threads[i].thread, NULL);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

double
cpu_probe_period_end (cpu_probe_t *self)
{
    double slowest = 0;
    if (!self)
        return 0;
    pthread_mutex_lock (&self->lock);
    for (int i = 0; i < self->thread_count; i++) {
        probe_thread_t *thread = &self->threads[i];
        double mean = thread->period_samples ? thread->period_sum / thread->period_samples : 0;
        slowest = mean > slowest ? mean : slowest;
        thread->period_sum = 0;
        thread->period_samples = 0;
    }
    pthread_mutex_unlock (&self->lock);
    return slowest;
}
