/*  sq_message - what travels between tasks: tuples and acking messages

    Executor queues and the wire carry sq_message_t. A message is a tuple
    for a task, one of the acking messages exchanged between spouts, bolts
    and acker tasks (see doc/acking.md), or a worker's backpressure signal
    to the other workers (doc/runtime.md).

    The codec writes these kind numbers as they are, so they belong to the
    wire format (doc/wire.md) and never change. A new kind takes the next
    number and is added to the codec and the grammar under the same wire
    version, because decoders that do not know it reject it.
*/
#ifndef SQ_MESSAGE_H_INCLUDED
#define SQ_MESSAGE_H_INCLUDED

#include "sq_tuple.h"

typedef enum {
    SQ_MSG_TUPLE = 1,         //  tuple for task; tuple is set and owned
    SQ_MSG_ACK_INIT = 2,      //  to acker: spout emitted root, value = XOR of its edges
    SQ_MSG_ACK_ACK = 3,       //  to acker: value = input edge ^ edges emitted anchored to it
    SQ_MSG_ACK_FAIL = 4,      //  to acker: tree root failed
    SQ_MSG_TREE_DONE = 5,     //  to spout task: tree root completed
    SQ_MSG_TREE_FAILED = 6,   //  to spout task: tree root failed
    SQ_MSG_BACKPRESSURE = 7,  //  between workers: value 1 while the sender is
                              //  congested, 0 when it is not; task unused (0)
    SQ_MSG_RESET_TIMEOUT = 8, //  to acker: a bolt pushes root's timeout back;
                              //  to spout task: the acker passes it on
} sq_message_kind_t;

typedef struct {
    uint32_t kind;     //  sq_message_kind_t
    int32_t task;      //  destination task id
    uint64_t root;     //  root id, for acking messages
    uint64_t value;    //  XOR value, for SQ_MSG_ACK_INIT and SQ_MSG_ACK_ACK
    sq_tuple_t *tuple; //  for SQ_MSG_TUPLE; the message owns it
} sq_message_t;

#endif
