/*  sq_acker - what an acker task does with one acking message

    The acker task (component __acker) receives SQ_MSG_ACK_INIT from
    spouts and SQ_MSG_ACK_ACK / SQ_MSG_ACK_FAIL / SQ_MSG_RESET_TIMEOUT from
    bolts, all addressed to it by the random bits of the root id modulo
    the number of ackers (sq_runtime_acker_for). It applies each to its
    ledger and, when a tree completes or fails, sends SQ_MSG_TREE_DONE or
    SQ_MSG_TREE_FAILED straight to the spout task named in the root id; a
    reset that moved a pending tree's entry goes on to that spout task as
    SQ_MSG_RESET_TIMEOUT. Timeouts are the
    caller's: it calls sq_ledger_rotate on a timer (see doc/acking.md).

    The runtime knows the acker only as a system task (sq_system_task.h):
    whoever assembles a runtime passes sq_acker_task () in its options.
*/
#ifndef SQ_ACKER_H_INCLUDED
#define SQ_ACKER_H_INCLUDED

#include "sq_ledger.h"
#include "sq_message.h"
#include "sq_system_task.h"

//  Apply one incoming message to the ledger. Returns 1 and fills *reply
//  (for the spout task; no tuple) when the message completed or failed its
//  tree or reset the timeout of a pending one, 0 when there is nothing to send, and -1 when the
//  message is not an acking message, carries an invalid root, or cannot be recorded (out of
//  memory); sq_last_error says which, and the caller counts and drops it. Never takes ownership of
//  message or of its tuple.
int sq_acker_handle (sq_ledger_t *ledger, const sq_message_t *message, sq_message_t *reply);
//  The acker as a system task, for sq_runtime_options_t: one ledger per
//  task, sq_acker_handle per message, sq_ledger_rotate per rotation.
//  Static: never destroy it.
const sq_system_task_t *sq_acker_task (void);

#endif
