/*  cpu_probe - how fast each CPU runs a fixed loop, sampled during a run

    On a virtual machine the host can take a guest's CPU away for part of
    the time, for seconds on end, without the guest seeing steal time: the
    guest's clocks go on, so the thread that was running seems to run the
    same instructions several times slower. A probe keeps one thread
    pinned to each CPU the process may use; every CPU_PROBE_PERIOD_MS it
    times a short fixed loop on its thread's CPU clock. A bench ends a
    period with each measured run and takes the mean sample of the
    period's slowest CPU: over the same figure of its quietest period,
    that is how much more the host slowed the machine during the run. The
    probe costs each CPU well under a hundredth of its time.
*/
#ifndef CPU_PROBE_H_INCLUDED
#define CPU_PROBE_H_INCLUDED

typedef struct _cpu_probe_t cpu_probe_t;

//  Start a probe thread on each CPU of the process; NULL when none starts.
cpu_probe_t *cpu_probe_start (void);
//  Stop the threads and free the probe.
void cpu_probe_stop (cpu_probe_t **self_p);
//  The mean sample of the slowest CPU since the previous call (or the
//  start), in ns per loop iteration, 0 when none was taken or self is
//  NULL (no probe); a new period begins.
double cpu_probe_period_end (cpu_probe_t *self);

#endif
