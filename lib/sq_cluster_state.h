/*  sq_cluster_state - the records nimbus and supervisors keep in ZooKeeper

    Three records, each a JSON object stored in one ZooKeeper node under
    storm.zookeeper.root (doc/cluster.md describes every field):

      /supervisors/<id>     sq_supervisor_info_t   a live supervisor (ephemeral)
      /topologies/<name>    sq_topology_record_t   a submitted topology
      /assignments/<name>   sq_assignment_t        where its executors run

    Each record has new/destroy, encode (to a JSON string) and decode (from
    the bytes of a node). Records carry "version": 1.

    DESIGN: ZooKeeper data is outside input: another process, an older or a
    newer build, or a person with zkCli may have written it. Decode checks
    every field (presence, type, range) and the record as a whole (no
    overlapping task ranges, no slot used twice), bounds every array, and
    on any problem returns NULL with sq_last_error() naming the record kind
    and the field, e.g. "assignment: field 'workers[1].port' is out of range
    (1..65535), got 70000". Unknown fields are ignored, so a newer build may
    add optional fields without changing the version; a record of another
    version is refused. Records are plain structs: readers use the fields
    directly, and writers should go through the functions below so that the
    strings stay owned by the record.
*/
#ifndef SQ_CLUSTER_STATE_H_INCLUDED
#define SQ_CLUSTER_STATE_H_INCLUDED

#include "squall.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQ_CLUSTER_STATE_VERSION 1         //  the record version this build writes and reads
#define SQ_CLUSTER_MAX_RECORD_SIZE 1048576 //  largest record decoded (ZooKeeper's node limit)
#define SQ_CLUSTER_MAX_PORTS 1024          //  most slot ports one supervisor offers
#define SQ_CLUSTER_MAX_WORKERS 4096        //  most workers one topology runs in
#define SQ_CLUSTER_MAX_EXECUTORS 65535     //  most executors one assignment holds
#define SQ_CLUSTER_MAX_NAME 255            //  longest id, name, host or checksum, in bytes

//  ---------------------------------------------------------------------
//  Supervisor info: /supervisors/<id>, an ephemeral node that exists while
//  the supervisor's ZooKeeper session lives.

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

//  ---------------------------------------------------------------------
//  Topology record: /topologies/<name>, written by nimbus on submit and on
//  every status change. While a rebalance waits, the record says so (an
//  optional "rebalance" object), so that a nimbus started meanwhile
//  finishes it.

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

//  ---------------------------------------------------------------------
//  Assignment: /assignments/<name>, written by nimbus, read by supervisors
//  and workers. Executors are ranges of task ids, both ends included.

typedef struct {
    int first_task; //  first task id of the executor
    int last_task;  //  last task id of the executor (included)
} sq_task_range_t;

//  One worker of the topology: the slot it runs in and its executors.
typedef struct {
    char *supervisor_id;        //  supervisor running the worker
    char *host;                 //  that supervisor's host
    int port;                   //  the slot port the worker binds
    sq_task_range_t *executors; //  executors the worker runs
    size_t executor_count;      //  number of executors
    size_t executor_capacity;   //  room in executors
} sq_assignment_worker_t;

typedef struct {
    char *topology_name;             //  topology name (node name)
    char *topology_id;               //  id of the submission this assignment is for
    int64_t generation;              //  incremented on every change of the assignment
    sq_assignment_worker_t *workers; //  the workers, one per slot
    size_t worker_count;             //  number of workers
    size_t worker_capacity;          //  room in workers
} sq_assignment_t;

//  New assignment without workers, generation 0; copies the strings. NULL
//  when out of memory. Caller owns.
sq_assignment_t *sq_assignment_new (const char *topology_name, const char *topology_id);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_assignment_destroy (sq_assignment_t **self_p);
//  Add a worker without executors on a slot; copies the strings. Returns
//  the worker's index, or -1 when out of memory. Worker pointers taken
//  before the call may move.
int sq_assignment_add_worker (sq_assignment_t *self, const char *supervisor_id, const char *host,
                              int port);
//  Add the executor running tasks first_task..last_task to the worker at
//  index `worker` (which must exist). Returns 0, or -1 when out of memory.
int sq_assignment_add_executor (sq_assignment_t *self, size_t worker, int first_task,
                                int last_task);
//  Check the assignment as decode does: ports and task ids in range, every
//  worker with at least one executor, no slot twice, no task in two
//  executors. Returns 0, or -1 with sq_last_error() naming the problem.
int sq_assignment_validate (const sq_assignment_t *self);
//  The worker running `task`, or NULL when no executor has it. Borrowed:
//  valid until the assignment changes.
const sq_assignment_worker_t *sq_assignment_find_task (const sq_assignment_t *self, int task);
//  The worker on slot supervisor_id:port, or NULL. Borrowed, as above.
const sq_assignment_worker_t *sq_assignment_find_slot (const sq_assignment_t *self,
                                                       const char *supervisor_id, int port);
//  The slot ports the assignment gives a supervisor: writes up to `max` of
//  them, lowest first, into ports (may be NULL when max is 0), and returns
//  how many there are in all.
size_t sq_assignment_supervisor_slots (const sq_assignment_t *self, const char *supervisor_id,
                                       int *ports, size_t max);
//  Total number of executors over all workers.
size_t sq_assignment_executor_count (const sq_assignment_t *self);
//  True when both workers run the same executors, in any order.
bool sq_assignment_worker_same_executors (const sq_assignment_worker_t *self,
                                          const sq_assignment_worker_t *other);
//  A worker's executors as text, "first-last" ranges in task order joined
//  by commas ("1-1,4-5"): equal texts mean the same executors. NULL when
//  out of memory. Caller owns (free).
char *sq_assignment_worker_executors_text (const sq_assignment_worker_t *self);
//  True when both assign the same executors to the same slots (hosts too),
//  in any order; names, ids and generations are not compared.
bool sq_assignment_same_placement (const sq_assignment_t *self, const sq_assignment_t *other);
//  The record as a compact JSON string. NULL when out of memory. Caller
//  owns (free).
char *sq_assignment_encode (const sq_assignment_t *self);
//  Decode the bytes of an /assignments node, validated as by
//  sq_assignment_validate. NULL (sq_last_error() says why) when they are
//  not a valid version 1 record. Caller owns.
sq_assignment_t *sq_assignment_decode (const void *data, size_t size);

#endif
