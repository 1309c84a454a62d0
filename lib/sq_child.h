/*  sq_child - what a daemon's forked child resets before it runs other code

    A child forked to run a worker (supervisor) or a package's validation
    (nimbus) must not keep the daemon's signal handlers (they would run
    the daemon's code on the child's signals) nor its blocked signals.
*/
#ifndef SQ_CHILD_H_INCLUDED
#define SQ_CHILD_H_INCLUDED

//  Every signal back to its default action, none blocked.
//  Async-signal-safe.
void sq_child_reset_signals (void);

#endif
