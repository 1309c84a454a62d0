/*  nimbus_authorizer - who may do what on nimbus (Storm's SimpleACLAuthorizer)

    A pure decision: a function of the principal (the name of the
    authenticated peer, or NULL when nimbus runs without authentication),
    the action, and, for an action on a topology, the topology's owner
    (its topology.submitter.user) and its config. No I/O, no clock.

    The rules (doc/security.md, "Authorization"):
    - no principal (no CURVE: insecure mode) may do everything, as before
      authorization existed;
    - a principal of nimbus.admins may do everything;
    - submit: a principal of nimbus.users; when nimbus.users is empty,
      any principal (as in Storm);
    - list: any principal, but the list shows only the topologies the
      principal may view (admins see them all);
    - view (a topology's line in a list, its metrics), kill, activate,
      deactivate, rebalance, debug: the topology's owner and the
      principals of its topology.users;
    - download (a topology's package): those, and the principals of
      nimbus.supervisor.users (supervisors fetch the packages they run).
    A topology without an owner (submitted while nimbus ran without
    authentication) is left to the admins and its topology.users.
    Heartbeats are not decided here: a worker proves its topology with
    that topology's own key.
*/
#ifndef NIMBUS_AUTHORIZER_H_INCLUDED
#define NIMBUS_AUTHORIZER_H_INCLUDED

#include "squall.h"

#include <stdbool.h>

//  What a principal asks to do.
typedef enum {
    NIMBUS_ACTION_SUBMIT = 0, //  submit a topology
    NIMBUS_ACTION_LIST,       //  list the topologies (each line needs view)
    NIMBUS_ACTION_VIEW,       //  see a topology: its line in a list, its metrics
    NIMBUS_ACTION_KILL,       //  kill a topology
    NIMBUS_ACTION_ACTIVATE,   //  activate a topology
    NIMBUS_ACTION_DEACTIVATE, //  deactivate a topology
    NIMBUS_ACTION_REBALANCE,  //  rebalance a topology
    NIMBUS_ACTION_DEBUG,      //  turn a topology's debug logging on or off
    NIMBUS_ACTION_DOWNLOAD,   //  download a topology's package
    NIMBUS_ACTION_COUNT       //  number of actions (not an action)
} nimbus_action_t;

typedef struct _nimbus_authorizer_t nimbus_authorizer_t;

//  New authorizer with the lists of the daemon config: nimbus.admins,
//  nimbus.users, nimbus.supervisor.users (copied). NULL when out of
//  memory. Caller owns.
nimbus_authorizer_t *nimbus_authorizer_new (const sq_config_t *config);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_authorizer_destroy (nimbus_authorizer_t **self_p);
//  True when principal (NULL: no authentication) may do action. For an
//  action on a topology, owner is its topology.submitter.user (NULL or
//  empty: none) and topology_config its config (NULL: an empty one);
//  both are ignored for submit and list.
bool nimbus_authorizer_permits (nimbus_authorizer_t *self, const char *principal,
                                nimbus_action_t action, const char *owner,
                                const sq_config_t *topology_config);
//  True when principal is one of nimbus.admins.
bool nimbus_authorizer_is_admin (nimbus_authorizer_t *self, const char *principal);
//  The action's verb, e.g. "kill". Static string.
const char *nimbus_authorizer_action_name (nimbus_action_t action);
//  The owner a topology config records (topology.submitter.user), or NULL
//  when it records none. Borrowed from the config.
const char *nimbus_authorizer_owner (const sq_config_t *topology_config);
//  The answer to a refusal, e.g. "not authorized: principal alice may not
//  kill topology wc (owner bob)". topology is the topology's name (NULL
//  for submit and list). Caller frees; NULL when out of memory.
char *nimbus_authorizer_refusal (const char *principal, nimbus_action_t action,
                                 const char *topology, const char *owner);

#endif
