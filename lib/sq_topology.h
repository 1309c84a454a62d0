/*  sq_topology - the topology builder and its validation

    A topology is a list of components (spouts and bolts). Each component
    declares its output streams (through its declare_outputs callback, run
    when it is added) and subscribes to other components' streams with a
    grouping. Builder calls never fail: the first mistake is remembered and
    sq_topology_validate reports it, with every other check, before anything
    runs.
*/
#ifndef SQ_TOPOLOGY_H_INCLUDED
#define SQ_TOPOLOGY_H_INCLUDED

#include "sq_system_task.h"
#include "sq_tuple.h"

typedef enum {
    SQ_GROUPING_SHUFFLE,
    SQ_GROUPING_FIELDS,
    SQ_GROUPING_ALL,
    SQ_GROUPING_GLOBAL,
    SQ_GROUPING_DIRECT,
    SQ_GROUPING_LOCAL_OR_SHUFFLE,
    SQ_GROUPING_NONE,
    SQ_GROUPING_PARTIAL_KEY,
    SQ_GROUPING_CUSTOM,
} sq_grouping_type_t;

//  One input of a bolt: which stream it reads and how it is grouped.
typedef struct {
    char *source;                       //  id of the emitting component
    char *stream;                       //  stream id
    sq_grouping_type_t type;            //  grouping
    char *fields;                       //  comma-separated fields (fields, partial key), else NULL
    const sq_custom_grouping_t *custom; //  custom grouping's callbacks, else NULL
} sq_subscription_t;

struct _sq_component_t {
    sq_topology_t *topology;          //  owner, for recording builder errors
    char *id;                         //  component id, unique in the topology
    const sq_spout_t *spout;          //  callbacks when this is a spout, else NULL
    const sq_bolt_t *bolt;            //  callbacks when this is a bolt, else NULL
    const sq_system_task_t *system;   //  runs its tasks when this is the runtime's own
    int parallelism;                  //  executors
    int task_count;                   //  tasks (>= parallelism, or 0: runs nowhere)
    sq_config_t *config;              //  per-component config overrides
    sq_stream_t **streams;            //  declared output streams
    size_t stream_count;              //  number of streams
    sq_subscription_t *subscriptions; //  inputs (bolts only)
    size_t subscription_count;        //  number of inputs

    const sq_windowed_bolt_t *windowed; //  windowed bolts: the author's callbacks, else NULL
};

struct _sq_declarer_t {
    sq_component_t *component; //  component whose outputs are being declared
};

//  Longest topology name, in bytes.
#define SQ_TOPOLOGY_MAX_NAME 128

//  0 when name may name a topology, else -1 and sq_last_error() names the
//  first offending character. The one rule of local mode and nimbus:
//  Storm's (no '/', '.', ':' or '\\'), narrowed to what is safe as a
//  ZooKeeper node name, a file name and part of a topology id: 1 to
//  SQ_TOPOLOGY_MAX_NAME ASCII letters, digits, '_' and '-'.
int sq_topology_check_name (const char *name);
//  Number of components, and the component at index (in the order added).
size_t sq_topology_component_count (const sq_topology_t *self);
sq_component_t *sq_topology_component_at (const sq_topology_t *self, size_t index);
//  Component by id, or NULL.
sq_component_t *sq_topology_component (const sq_topology_t *self, const char *id);
//  Add the system acker bolt (SQ_ACKER_COMPONENT) with `executors`
//  executors and tasks, run by `acker` (borrowed; it must outlive the
//  topology); its spout and bolt callbacks are NULL. NULL when out of
//  memory.
sq_component_t *sq_topology_add_acker (sq_topology_t *self, int executors,
                                       const sq_system_task_t *acker);
//  The stream with this index (streams are numbered from 0 in the order
//  declared, the same in every process that builds the topology), or NULL.
const sq_stream_t *sq_topology_stream_at (const sq_topology_t *self, int index);
//  Output stream of a component by name, or NULL.
sq_stream_t *sq_component_stream (const sq_component_t *self, const char *stream);
//  Name of a grouping type, for messages.
const char *sq_grouping_type_name (sq_grouping_type_t type);

#endif
