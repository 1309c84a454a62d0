/*  nimbus_authorizer - who may do what on nimbus (Storm's SimpleACLAuthorizer)

    The three lists of the daemon config are copied at construction (a
    config change needs a restart, as in Storm). Lists are short (a few
    names), so membership is a linear search; a topology's topology.users
    is read from its config on every decision, so that the config stored
    in ZooKeeper is the only truth.
*/
#include "nimbus_authorizer.h"
#include "sq_config.h"

#include <czmq.h>
#include <string.h>

struct _nimbus_authorizer_t {
    json_t *admins;           //  nimbus.admins: may do everything
    json_t *users;            //  nimbus.users: may submit (empty: anyone)
    json_t *supervisor_users; //  nimbus.supervisor.users: may download packages
};

static const char *s_action_names[NIMBUS_ACTION_COUNT] = {
    [NIMBUS_ACTION_SUBMIT] = "submit",       [NIMBUS_ACTION_LIST] = "list",
    [NIMBUS_ACTION_VIEW] = "view",           [NIMBUS_ACTION_KILL] = "kill",
    [NIMBUS_ACTION_ACTIVATE] = "activate",   [NIMBUS_ACTION_DEACTIVATE] = "deactivate",
    [NIMBUS_ACTION_REBALANCE] = "rebalance", [NIMBUS_ACTION_DEBUG] = "debug",
    [NIMBUS_ACTION_DOWNLOAD] = "download",
};

//  A copy of a list key's strings (an empty array when unset).
static json_t *
s_list_copy (const sq_config_t *config, const char *key)
{
    const json_t *list = sq_config_list (config, key);
    return list ? json_deep_copy (list) : json_array ();
}

//  True when name is one of the strings of list (a JSON array, or NULL).
static bool
s_listed (const json_t *list, const char *name)
{
    size_t index;
    const json_t *item;
    json_array_foreach (list, index, item)
    {
        const char *text = json_string_value (item);
        if (text && strcmp (text, name) == 0)
            return true;
    }
    return false;
}

nimbus_authorizer_t *
nimbus_authorizer_new (const sq_config_t *config)
{
    assert (config);
    nimbus_authorizer_t *self = calloc (1, sizeof (nimbus_authorizer_t));
    if (!self)
        return NULL;
    self->admins = s_list_copy (config, "nimbus.admins");
    self->users = s_list_copy (config, "nimbus.users");
    self->supervisor_users = s_list_copy (config, "nimbus.supervisor.users");
    if (!self->admins || !self->users || !self->supervisor_users)
        nimbus_authorizer_destroy (&self);
    return self;
}

void
nimbus_authorizer_destroy (nimbus_authorizer_t **self_p)
{
    assert (self_p);
    nimbus_authorizer_t *self = *self_p;
    if (!self)
        return;
    json_decref (self->admins);
    json_decref (self->users);
    json_decref (self->supervisor_users);
    free (self);
    *self_p = NULL;
}

bool
nimbus_authorizer_is_admin (nimbus_authorizer_t *self, const char *principal)
{
    assert (self);
    return principal && s_listed (self->admins, principal);
}

const char *
nimbus_authorizer_owner (const sq_config_t *topology_config)
{
    const char *owner = topology_config
                            ? sq_config_string (topology_config, "topology.submitter.user", NULL)
                            : NULL;
    return owner && *owner ? owner : NULL;
}

//  True when principal owns the topology or is one of its topology.users.
static bool
s_topology_user (const char *principal, const char *owner, const sq_config_t *topology_config)
{
    if (owner && *owner && strcmp (owner, principal) == 0)
        return true;
    return topology_config &&
           s_listed (sq_config_list (topology_config, "topology.users"), principal);
}

bool
nimbus_authorizer_permits (nimbus_authorizer_t *self, const char *principal, nimbus_action_t action,
                           const char *owner, const sq_config_t *topology_config)
{
    assert (self);
    assert (action >= 0 && action < NIMBUS_ACTION_COUNT);
    if (!principal)
        return true; //  no authentication: as before authorization existed
    if (s_listed (self->admins, principal))
        return true;
    switch (action) {
    case NIMBUS_ACTION_SUBMIT:
        return json_array_size (self->users) == 0 || s_listed (self->users, principal);
    case NIMBUS_ACTION_LIST:
        return true; //  each line of the list is decided by view
    case NIMBUS_ACTION_DOWNLOAD:
        if (s_listed (self->supervisor_users, principal))
            return true;
        return s_topology_user (principal, owner, topology_config);
    case NIMBUS_ACTION_VIEW:
    case NIMBUS_ACTION_KILL:
    case NIMBUS_ACTION_ACTIVATE:
    case NIMBUS_ACTION_DEACTIVATE:
    case NIMBUS_ACTION_REBALANCE:
    case NIMBUS_ACTION_DEBUG:
        return s_topology_user (principal, owner, topology_config);
    case NIMBUS_ACTION_COUNT:
        break;
    }
    return false;
}

const char *
nimbus_authorizer_action_name (nimbus_action_t action)
{
    assert (action >= 0 && action < NIMBUS_ACTION_COUNT);
    return s_action_names[action];
}

char *
nimbus_authorizer_refusal (const char *principal, nimbus_action_t action, const char *topology,
                           const char *owner)
{
    const char *who = principal ? principal : "(none)";
    const char *verb = nimbus_authorizer_action_name (action);
    if (action == NIMBUS_ACTION_SUBMIT)
        return zsys_sprintf ("not authorized: principal %.128s may not submit topologies "
                             "(nimbus.users)",
                             who);
    if (!topology)
        return zsys_sprintf ("not authorized: principal %.128s may not %s", who, verb);
    if (owner && *owner)
        return zsys_sprintf ("not authorized: principal %.128s may not %s topology %.128s "
                             "(owner %.128s)",
                             who, verb, topology, owner);
    return zsys_sprintf ("not authorized: principal %.128s may not %s topology %.128s "
                         "(it has no owner: only nimbus.admins and its topology.users may)",
                         who, verb, topology);
}
