/*  sq_topology_record - a topology's record in ZooKeeper

    Topology record: /topologies/<name>, written by nimbus on submit and on
    every status change. While a rebalance waits, the record says so (an
    optional "rebalance" object), so that a nimbus started meanwhile
    finishes it.

    The record is JSON, decoded as sq_cluster_state.h says: ZooKeeper data
    is outside input. doc/cluster.md describes every field.
*/
#ifndef SQ_TOPOLOGY_RECORD_H_INCLUDED
#define SQ_TOPOLOGY_RECORD_H_INCLUDED

#include "squall.h"
#include "sq_cluster_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SQ_TOPOLOGY_ACTIVE = 0,   //  running, spouts emit
    SQ_TOPOLOGY_INACTIVE = 1, //  running, spouts deactivated
    SQ_TOPOLOGY_KILLED = 2,   //  being killed; its assignment goes away
} sq_topology_status_t;

typedef struct {
    char *name;                  //  name the topology was submitted under (node name)
    char *id;                    //  unique id of this submission
    sq_topology_status_t status; //  active, inactive or killed
    char *package_checksum;      //  checksum of the package (e.g. hex SHA-256)
    sq_config_t *config;         //  the topology's config, as submitted
    int64_t submitted;           //  unix time (seconds) of the submission
    int workers;                 //  workers requested (topology.workers, or a rebalance)
    int rebalance_workers;       //  during a rebalance: workers after it; 0 when none runs
    sq_topology_status_t rebalance_resume; //  during a rebalance: status after it
    int64_t rebalance_due;                 //  during a rebalance: unix time (ms) it is due
} sq_topology_record_t;

//  New active topology record; copies the strings and the config (NULL:
//  an empty config). workers starts at the config's topology.workers,
//  submitted at 0. NULL when out of memory. Caller owns.
sq_topology_record_t *sq_topology_record_new (const char *name, const char *id,
                                              const char *package_checksum,
                                              const sq_config_t *config);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_topology_record_destroy (sq_topology_record_t **self_p);
//  "active", "inactive" or "killed"; "unknown" for other values.
const char *sq_topology_record_status_name (sq_topology_status_t status);
//  The record as a compact JSON string. NULL when out of memory. Caller
//  owns (free).
char *sq_topology_record_encode (const sq_topology_record_t *self);
//  Decode the bytes of a /topologies node. NULL (sq_last_error() says why)
//  when they are not a valid version 1 record. Caller owns.
sq_topology_record_t *sq_topology_record_decode (const void *data, size_t size);

#endif
