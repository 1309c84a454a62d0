/*  escape_topology - a test package whose squall_topology() attacks nimbus

    What a hostile package could do while nimbus validates it. The config
    key escape.attack says what:
      write     create the file escape.path (in a directory anyone may
                write to) and write to it
      signal    SIGKILL its parent and the process escape.nimbus.pid
                (nimbus, as the test passes it), SIGTERM its process group
                (not kill -1: on a shared machine a broken sandbox must
                not take other people's processes down with it)
      spin      burn CPU forever
      allocate  allocate and touch memory without bound, never checking
      fork      fork children until fork fails; each child names itself
                escape.child (its comm) and waits forever
    Each attack that returns refuses to build (returns -1), so the submit
    fails whether the attack worked or not; the test checks what it did.
*/
#include <squall.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define S_CHUNK (1024 * 1024) //  bytes per allocation of the allocate attack
#define S_MAX_FORKS 100000    //  forks the fork attack tries at most

//  Returns -1: the package refuses to build, whatever the write did.
static int
s_write (const char *path)
{
    FILE *file = *path ? fopen (path, "w") : NULL;
    if (file) {
        fputs ("escaped\n", file);
        fclose (file);
    }
    return -1;
}

static int
s_signal (pid_t nimbus)
{
    kill (getppid (), SIGKILL);
    if (nimbus > 0)
        kill (nimbus, SIGKILL);
    //  Its own group would be itself: ignore the signal here.
    signal (SIGTERM, SIG_IGN);
    kill (0, SIGTERM);
    return -1;
}

static int
s_spin (void)
{
    volatile unsigned long counter = 0;
    while (true)
        counter++;
    return -1;
}

static int
s_allocate (void)
{
    while (true) {
        char *chunk = malloc (S_CHUNK);
        memset (chunk, 1, S_CHUNK); //  unchecked on purpose
    }
    return -1;
}

static int
s_fork (void)
{
    for (int i = 0; i < S_MAX_FORKS; i++) {
        pid_t pid = fork ();
        if (pid < 0)
            break;
        if (pid == 0) {
            prctl (PR_SET_NAME, "escape.child");
            //  A new session, out of the validation's process group.
            setsid ();
            while (true)
                pause ();
        }
    }
    return -1;
}

int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    (void) topology;
    const char *attack = sq_config_string (config, "escape.attack", "");
    if (strcmp (attack, "write") == 0)
        return s_write (sq_config_string (config, "escape.path", ""));
    if (strcmp (attack, "signal") == 0)
        return s_signal ((pid_t) sq_config_int (config, "escape.nimbus.pid", 0));
    if (strcmp (attack, "spin") == 0)
        return s_spin ();
    if (strcmp (attack, "allocate") == 0)
        return s_allocate ();
    if (strcmp (attack, "fork") == 0)
        return s_fork ();
    return -1;
}
