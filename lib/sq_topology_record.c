/*  sq_topology_record - a topology's record in ZooKeeper, /topologies/<name> */
#include "sq_topology_record.h"
#include "sq_config.h"
#include "sq_cluster_state.h"
#include "sq_error.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TOPOLOGY "topology record" //  record kind, as error messages name it

static const char *s_status_names[] = {"active", "inactive", "killed"};

sq_topology_record_t *
sq_topology_record_new (const char *name, const char *id, const char *package_checksum,
                        const sq_config_t *config)
{
    assert (name);
    assert (id);
    assert (package_checksum);
    sq_topology_record_t *self = calloc (1, sizeof (sq_topology_record_t));
    if (self) {
        self->name = strdup (name);
        self->id = strdup (id);
        self->status = SQ_TOPOLOGY_ACTIVE;
        self->package_checksum = strdup (package_checksum);
        self->config = config ? sq_config_dup (config) : sq_config_new ();
    }
    if (!self || !self->name || !self->id || !self->package_checksum || !self->config) {
        sq_topology_record_destroy (&self);
        sq_error_set ("%s: out of memory", S_TOPOLOGY);
        return NULL;
    }
    self->workers = (int) sq_config_int (self->config, "topology.workers", 1);
    return self;
}

void
sq_topology_record_destroy (sq_topology_record_t **self_p)
{
    assert (self_p);
    sq_topology_record_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    free (self->id);
    free (self->package_checksum);
    sq_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

const char *
sq_topology_record_status_name (sq_topology_status_t status)
{
    if ((int) status >= 0 && (size_t) status < sizeof s_status_names / sizeof *s_status_names)
        return s_status_names[status];
    return "unknown";
}

char *
sq_topology_record_encode (const sq_topology_record_t *self)
{
    assert (self);
    assert (self->config);
    int rc = 0;
    json_t *root = json_object ();
    json_t *config = sq_config_to_json (self->config);
    if (root) {
        sq_cluster_state_set (root, "version", json_integer (SQ_CLUSTER_STATE_VERSION), &rc);
        sq_cluster_state_set (root, "name", json_string (self->name), &rc);
        sq_cluster_state_set (root, "id", json_string (self->id), &rc);
        sq_cluster_state_set (root, "status",
                              json_string (sq_topology_record_status_name (self->status)), &rc);
        sq_cluster_state_set (root, "package_checksum", json_string (self->package_checksum), &rc);
        sq_cluster_state_set (root, "config", config, &rc);
        sq_cluster_state_set (root, "submitted", json_integer (self->submitted), &rc);
        sq_cluster_state_set (root, "workers", json_integer (self->workers), &rc);
        if (self->rebalance_workers > 0) {
            json_t *rebalance = json_object ();
            if (rebalance) {
                sq_cluster_state_set (rebalance, "workers", json_integer (self->rebalance_workers),
                                      &rc);
                sq_cluster_state_set (
                    rebalance, "resume",
                    json_string (sq_topology_record_status_name (self->rebalance_resume)), &rc);
                sq_cluster_state_set (rebalance, "due", json_integer (self->rebalance_due), &rc);
            }
            sq_cluster_state_set (root, "rebalance", rebalance, &rc);
        }
    } else
        json_decref (config);
    return sq_cluster_state_dump (S_TOPOLOGY, root, rc);
}

//  The status called name, as field `field` of a topology record: any
//  status, or with killed false only active and inactive. -1 (with the
//  error set) for another name.
static int
s_status_of_name (const char *field, const char *name, bool killed)
{
    size_t count = killed ? sizeof s_status_names / sizeof *s_status_names : 2;
    for (size_t i = 0; i < count; i++)
        if (strcmp (name, s_status_names[i]) == 0)
            return (int) i;
    sq_error_set ("%s: field '%s' must be \"active\"%s \"inactive\"%s, got \"%s\"", S_TOPOLOGY,
                  field, killed ? "," : " or", killed ? " or \"killed\"" : "", name);
    return -1;
}

sq_topology_record_t *
sq_topology_record_decode (const void *data, size_t size)
{
    json_t *root = sq_cluster_state_parse (S_TOPOLOGY, data, size);
    if (!root)
        return NULL;
    sq_topology_record_t *self = NULL;
    sq_config_t *config = NULL;
    const char *name, *id, *checksum, *status_name;
    long long submitted, workers;
    char path[SQ_CLUSTER_PATH_MAX];
    json_t *config_json = NULL;
    if (sq_cluster_state_get_name (S_TOPOLOGY, root, "", "name", SQ_CLUSTER_NODE_NAME, &name) ||
        sq_cluster_state_get_name (S_TOPOLOGY, root, "", "id", SQ_CLUSTER_TEXT, &id) ||
        sq_cluster_state_get_name (S_TOPOLOGY, root, "", "status", SQ_CLUSTER_TEXT, &status_name) ||
        sq_cluster_state_get_name (S_TOPOLOGY, root, "", "package_checksum", SQ_CLUSTER_TEXT,
                                   &checksum) ||
        !(config_json =
              sq_cluster_state_member (S_TOPOLOGY, root, "", "config", JSON_OBJECT, path)) ||
        sq_cluster_state_get_integer (S_TOPOLOGY, root, "", "submitted", 0, INT64_MAX,
                                      &submitted) ||
        sq_cluster_state_get_integer (S_TOPOLOGY, root, "", "workers", 1, SQ_CLUSTER_MAX_WORKERS,
                                      &workers))
        goto done;
    int status = s_status_of_name ("status", status_name, true);
    if (status < 0)
        goto done;
    long long rebalance_workers = 0, rebalance_due = 0;
    int rebalance_resume = SQ_TOPOLOGY_ACTIVE;
    json_t *rebalance = json_object_get (root, "rebalance");
    if (rebalance) {
        const char *resume_name;
        if (!sq_cluster_state_member (S_TOPOLOGY, root, "", "rebalance", JSON_OBJECT, path) ||
            sq_cluster_state_get_integer (S_TOPOLOGY, rebalance, "rebalance", "workers", 1,
                                          SQ_CLUSTER_MAX_WORKERS, &rebalance_workers) ||
            sq_cluster_state_get_name (S_TOPOLOGY, rebalance, "rebalance", "resume",
                                       SQ_CLUSTER_TEXT, &resume_name) ||
            sq_cluster_state_get_integer (S_TOPOLOGY, rebalance, "rebalance", "due", 0, INT64_MAX,
                                          &rebalance_due))
            goto done;
        rebalance_resume = s_status_of_name ("rebalance.resume", resume_name, false);
        if (rebalance_resume < 0)
            goto done;
    }
    config = sq_config_from_json (config_json);
    if (!config) {
        char reason[400];
        snprintf (reason, sizeof reason, "%s", sq_last_error ());
        sq_error_set ("%s: field 'config': %s", S_TOPOLOGY, reason);
        goto done;
    }
    self = sq_topology_record_new (name, id, checksum, config);
    if (self) {
        self->status = (sq_topology_status_t) status;
        self->submitted = (int64_t) submitted;
        self->workers = (int) workers;
        self->rebalance_workers = (int) rebalance_workers;
        self->rebalance_resume = (sq_topology_status_t) rebalance_resume;
        self->rebalance_due = (int64_t) rebalance_due;
    }
done:
    sq_config_destroy (&config);
    json_decref (root);
    return self;
}
