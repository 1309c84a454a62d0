/*  nimbus_validator - validates a topology package in a child process

    A submitted package is code nimbus has never run. Loading it runs its
    constructors, building it runs its entry: either may crash, hang or
    exit. So a validation forks a child that opens the package
    (sq_package), builds the topology with the submitted config, checks it
    (sq_topology_validate), and writes back over a pipe what nimbus needs
    to schedule it: its executors, numbered as the runtime numbers them
    (nimbus_scheduler_executors, ackers included), and the effective
    topology.workers and topology.message.timeout.secs. Nimbus never loads
    a package itself.

    DESIGN: the validation is asynchronous so that nimbus's loop keeps
    serving: the caller polls nimbus_validator_fd with its sockets, calls
    nimbus_validator_read whenever it is readable until it reports the end,
    and kills validations that outlive their deadline. The child builds
    the sandbox's walls (nimbus_sandbox: another user, namespaces, limits,
    Landlock, a scratch directory) and loads the package in a grandchild;
    it only uses its own memory after fork (no sockets, no ZooKeeper),
    leaves with _exit, and dies with nimbus (PR_SET_PDEATHSIG).

    The child's answer on the pipe is one JSON object:
      {"executors": [{"component": "split", "first_task": 3, "last_task": 4}, ...],
       "components": {"split": {"type": "bolt", "inputs": [{"component": "spout",
                      "stream": "default", "grouping": "shuffle"}]}, ...},
       "workers": 2, "message_timeout_secs": 30}
    or {"error": "<why the package is invalid>"}.
*/
#ifndef NIMBUS_VALIDATOR_H_INCLUDED
#define NIMBUS_VALIDATOR_H_INCLUDED

#include "nimbus_sandbox.h"
#include "squall.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct _nimbus_validator_t nimbus_validator_t;

//  Start validating the package at path with the submit-time config
//  (copied into the child) in a new child process, inside sandbox
//  (borrowed; used only now). NULL with sq_last_error() set when no child
//  could be started. Caller owns.
nimbus_validator_t *nimbus_validator_new (const char *path, const sq_config_t *config,
                                          nimbus_sandbox_t *sandbox);
//  Kill the child if it still runs, reap it, free everything. NULL-safe;
//  nulls the caller's pointer.
void nimbus_validator_destroy (nimbus_validator_t **self_p);
//  Descriptor to poll for input; readable when the child wrote or ended.
//  -1 once the validation is done. Belongs to self.
int nimbus_validator_fd (nimbus_validator_t *self);
//  Read what the child wrote. Returns 0 while the validation goes on, 1
//  when it is done (never blocks).
int nimbus_validator_read (nimbus_validator_t *self);
//  Give up: kill the child; the validation is done, with an error saying
//  it took longer than the caller's timeout_ms.
void nimbus_validator_kill (nimbus_validator_t *self, int timeout_ms);
//  True when done.
bool nimbus_validator_done (nimbus_validator_t *self);
//  When done: NULL when the package is valid, else why not (owned by self).
const char *nimbus_validator_error (nimbus_validator_t *self);
//  When done and valid: the executors as a JSON array of
//  {"component", "first_task", "last_task"}, checked (ranges ascending,
//  contiguous from task 1). Borrowed: valid until destroy; json_incref to
//  keep it.
json_t *nimbus_validator_executors (nimbus_validator_t *self);
//  When done and valid: each component's kind and inputs, as a JSON
//  object {id: {"type": "spout" or "bolt", "inputs": [{"component",
//  "stream", "grouping"}]}}, checked. Borrowed, as above.
json_t *nimbus_validator_components (nimbus_validator_t *self);
//  When done and valid: the effective topology.workers (at least 1).
int nimbus_validator_workers (nimbus_validator_t *self);
//  When done and valid: the effective topology.message.timeout.secs.
int nimbus_validator_message_timeout (nimbus_validator_t *self);

#endif
