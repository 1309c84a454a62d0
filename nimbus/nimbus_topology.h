/*  nimbus_topology - what nimbus keeps in memory about one topology

    ZooKeeper holds a topology's record and assignment; this class holds
    the rest, which a nimbus learns again after a restart: the executors a
    validation of its package found (the scheduler needs them), the
    validation under way with its deadline, the submit that waits for that
    validation, and the one timer a kill or a rebalance waits on.

    DESIGN: the state runs its validation and its timer on the owner's
    zloop and tells the owner, through one handler, when either ends; what
    to do then (answer the submit, write ZooKeeper, arm the timer again) is
    the owner's, as the owner holds the cluster view, the store and the
    monitor. The handler may destroy the state. A state is keyed by its
    submission id, not by its name: a killed topology and a new one with
    the same name may exist at once.
*/
#ifndef NIMBUS_TOPOLOGY_H_INCLUDED
#define NIMBUS_TOPOLOGY_H_INCLUDED

#include "nimbus_request.h"
#include "nimbus_scheduler.h"
#include "nimbus_validator.h"
#include "squall.h"

#include <czmq.h>
#include <stdbool.h>

typedef struct _nimbus_topology_t nimbus_topology_t;

//  What ended, as the handler is told.
typedef enum {
    NIMBUS_TOPOLOGY_VALIDATED,     //  the validation ended (nimbus_topology_validator says how)
    NIMBUS_TOPOLOGY_REMOVAL_DUE,   //  the wait of a kill is over: remove the topology
    NIMBUS_TOPOLOGY_REBALANCE_DUE, //  the wait of a rebalance is over: reschedule it
} nimbus_topology_event_t;

//  Called from the loop when event happened to topology; arg is the
//  handler's argument given to new. May destroy topology.
typedef void (nimbus_topology_handler_fn) (nimbus_topology_t *topology,
                                           nimbus_topology_event_t event, void *arg);

//  New state of the topology name with submission id, whose validation and
//  timer run on loop (borrowed: it must outlive the state); handler is
//  called with arg when they end. No executors yet; message timeout 30 s.
//  NULL when out of memory. Caller owns.
nimbus_topology_t *nimbus_topology_new (const char *name, const char *id, zloop_t *loop,
                                        nimbus_topology_handler_fn *handler, void *arg);
//  Destroy: end the validation (killing its child), the timer and a
//  waiting submit (unanswered). NULL-safe; nulls the caller's pointer.
void nimbus_topology_destroy (nimbus_topology_t **self_p);
//  The topology's name. Borrowed.
const char *nimbus_topology_name (nimbus_topology_t *self);
//  Its submission id. Borrowed.
const char *nimbus_topology_id (nimbus_topology_t *self);

//  Its executors, as the last validation taken found them, and their count
//  in *count_p; NULL (count 0) while nimbus does not know them. Borrowed:
//  valid until the next nimbus_topology_take_executors.
const nimbus_executor_t *nimbus_topology_executors (nimbus_topology_t *self, size_t *count_p);
//  Its components' kinds and inputs, as the last validation taken found
//  them (nimbus_validator_components), or NULL while nimbus does not know
//  them. Borrowed, as the executors.
const json_t *nimbus_topology_components (nimbus_topology_t *self);
//  Its topology.message.timeout.secs: the default wait of kill and
//  rebalance.
int nimbus_topology_message_timeout (nimbus_topology_t *self);
//  Set that timeout (read from the topology's record at adoption).
void nimbus_topology_set_message_timeout (nimbus_topology_t *self, int secs);

//  Start validating the package at path with config (copied) in a child
//  inside sandbox (nimbus_validator_new); the handler hears
//  NIMBUS_TOPOLOGY_VALIDATED when it ends, or when timeout_ms passed (the
//  child is then killed). Returns 0, or -1 with sq_last_error() set.
int nimbus_topology_validate (nimbus_topology_t *self, const char *path, const sq_config_t *config,
                              nimbus_sandbox_t *sandbox, int timeout_ms);
//  The validation under way or just ended, or NULL. Borrowed: valid until
//  nimbus_topology_stop_validation.
nimbus_validator_t *nimbus_topology_validator (nimbus_topology_t *self);
//  Take the executors and the message timeout of the validation that
//  ended valid. Returns 0, or -1 with sq_last_error() set (out of memory;
//  the executors known before stay).
int nimbus_topology_take_executors (nimbus_topology_t *self);
//  End the validation, killing its child if it still runs. Safe when none
//  runs.
void nimbus_topology_stop_validation (nimbus_topology_t *self);

//  Keep the lowercase copy of a submitted package's checksum. Returns 0,
//  or -1 when out of memory.
int nimbus_topology_set_checksum (nimbus_topology_t *self, const char *checksum);
//  The checksum kept, or NULL. Borrowed.
const char *nimbus_topology_checksum (nimbus_topology_t *self);
//  Hold the submit that waits for the validation, with its config: takes
//  both and nulls the caller's pointers.
void nimbus_topology_hold_submit (nimbus_topology_t *self, nimbus_request_t **request_p,
                                  sq_config_t **config_p);
//  The submit held, or NULL. Borrowed.
nimbus_request_t *nimbus_topology_submit (nimbus_topology_t *self);
//  The config of the submit held, or NULL. Borrowed.
const sq_config_t *nimbus_topology_submit_config (nimbus_topology_t *self);
//  The submit was answered: drop it, its config and the ended validation.
void nimbus_topology_end_submit (nimbus_topology_t *self);

//  Arm the timer for the removal of the killed topology in wait_secs
//  (NIMBUS_TOPOLOGY_REMOVAL_DUE), replacing the timer armed before; ends
//  a rebalance.
void nimbus_topology_schedule_removal (nimbus_topology_t *self, double wait_secs);
//  Arm the timer for the end of a rebalance in wait_ms, at least 1 ms
//  (NIMBUS_TOPOLOGY_REBALANCE_DUE), replacing the timer armed before; the
//  topology is rebalancing until nimbus_topology_end_rebalance.
void nimbus_topology_schedule_rebalance (nimbus_topology_t *self, int64_t wait_ms);
//  True from nimbus_topology_schedule_rebalance until the rebalance ends.
bool nimbus_topology_rebalancing (nimbus_topology_t *self);
//  The rebalance is over (done, or no longer wanted).
void nimbus_topology_end_rebalance (nimbus_topology_t *self);

//  Note whether the latest scheduling of the topology failed. Returns true
//  when it fails now and did not before, so that the caller logs a failure
//  once however long it lasts.
bool nimbus_topology_note_unschedulable (nimbus_topology_t *self, bool failed);
//  The same for the latest write of its assignment.
bool nimbus_topology_note_unwritable (nimbus_topology_t *self, bool failed);

#endif
