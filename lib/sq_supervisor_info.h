/*  sq_supervisor_info - a supervisor's record in ZooKeeper

    Supervisor info: /supervisors/<id>, an ephemeral node that exists while
    the supervisor's ZooKeeper session lives.

    The record is JSON, decoded as sq_cluster_state.h says: ZooKeeper data
    is outside input. doc/cluster.md describes every field.
*/
#ifndef SQ_SUPERVISOR_INFO_H_INCLUDED
#define SQ_SUPERVISOR_INFO_H_INCLUDED

#include "squall.h"
#include "sq_cluster_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *id;          //  supervisor id, unique in the cluster (node name)
    char *host;        //  host name or address workers on it are reached at
    int *ports;        //  slot ports (supervisor.slots.ports), in the order given
    size_t port_count; //  number of slot ports
    int64_t started;   //  unix time (seconds) the supervisor started
} sq_supervisor_info_t;

//  New supervisor info; copies id, host and the ports. NULL when out of
//  memory. Caller owns.
sq_supervisor_info_t *sq_supervisor_info_new (const char *id, const char *host, const int *ports,
                                              size_t port_count, int64_t started);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_supervisor_info_destroy (sq_supervisor_info_t **self_p);
//  True when port is one of the supervisor's slot ports.
bool sq_supervisor_info_has_port (const sq_supervisor_info_t *self, int port);
//  The record as a compact JSON string. NULL when out of memory. Caller
//  owns (free).
char *sq_supervisor_info_encode (const sq_supervisor_info_t *self);
//  Decode the bytes of a /supervisors node. NULL (sq_last_error() says why)
//  when they are not a valid version 1 record. Caller owns.
sq_supervisor_info_t *sq_supervisor_info_decode (const void *data, size_t size);

#endif
