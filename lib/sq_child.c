/*  sq_child - what a daemon's forked child resets before it runs other code */
#include "sq_child.h"

#include <signal.h>
#include <string.h>

void
sq_child_reset_signals (void)
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    for (int number = 1; number < NSIG; number++)
        if (number != SIGKILL && number != SIGSTOP)
            sigaction (number, &action, NULL);
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
}
