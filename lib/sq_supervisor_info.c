/*  sq_supervisor_info - a supervisor's record in ZooKeeper, /supervisors/<id> */
#include "sq_supervisor_info.h"
#include "sq_cluster_state.h"
#include "sq_error.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define S_SUPERVISOR "supervisor info" //  record kind, as error messages name it

sq_supervisor_info_t *
sq_supervisor_info_new (const char *id, const char *host, const int *ports, size_t port_count,
                        int64_t started)
{
    assert (id);
    assert (host);
    assert (ports || port_count == 0);
    sq_supervisor_info_t *self = calloc (1, sizeof (sq_supervisor_info_t));
    if (self) {
        self->id = strdup (id);
        self->host = strdup (host);
        self->ports = malloc ((port_count ? port_count : 1) * sizeof (int));
        self->port_count = port_count;
        self->started = started;
    }
    if (!self || !self->id || !self->host || !self->ports) {
        sq_supervisor_info_destroy (&self);
        sq_error_set ("%s: out of memory", S_SUPERVISOR);
        return NULL;
    }
    if (port_count)
        memcpy (self->ports, ports, port_count * sizeof (int));
    return self;
}

void
sq_supervisor_info_destroy (sq_supervisor_info_t **self_p)
{
    assert (self_p);
    sq_supervisor_info_t *self = *self_p;
    if (!self)
        return;
    free (self->id);
    free (self->host);
    free (self->ports);
    free (self);
    *self_p = NULL;
}

bool
sq_supervisor_info_has_port (const sq_supervisor_info_t *self, int port)
{
    assert (self);
    for (size_t i = 0; i < self->port_count; i++)
        if (self->ports[i] == port)
            return true;
    return false;
}

char *
sq_supervisor_info_encode (const sq_supervisor_info_t *self)
{
    assert (self);
    int rc = 0;
    json_t *root = json_object ();
    json_t *ports = json_array ();
    for (size_t i = 0; ports && i < self->port_count; i++)
        if (json_array_append_new (ports, json_integer (self->ports[i])))
            rc = -1;
    if (root) {
        sq_cluster_state_set (root, "version", json_integer (SQ_CLUSTER_STATE_VERSION), &rc);
        sq_cluster_state_set (root, "id", json_string (self->id), &rc);
        sq_cluster_state_set (root, "host", json_string (self->host), &rc);
        sq_cluster_state_set (root, "ports", ports, &rc);
        sq_cluster_state_set (root, "started", json_integer (self->started), &rc);
    } else
        json_decref (ports);
    return sq_cluster_state_dump (S_SUPERVISOR, root, rc);
}

sq_supervisor_info_t *
sq_supervisor_info_decode (const void *data, size_t size)
{
    json_t *root = sq_cluster_state_parse (S_SUPERVISOR, data, size);
    if (!root)
        return NULL;
    sq_supervisor_info_t *self = NULL;
    const char *id, *host;
    long long started;
    char path[SQ_CLUSTER_PATH_MAX];
    json_t *ports = NULL;
    int *values = NULL;
    if (sq_cluster_state_get_name (S_SUPERVISOR, root, "", "id", SQ_CLUSTER_NODE_NAME, &id) ||
        sq_cluster_state_get_name (S_SUPERVISOR, root, "", "host", SQ_CLUSTER_TEXT, &host) ||
        !(ports = sq_cluster_state_member (S_SUPERVISOR, root, "", "ports", JSON_ARRAY, path)) ||
        sq_cluster_state_check_array_size (S_SUPERVISOR, "ports", ports, SQ_CLUSTER_MAX_PORTS) ||
        sq_cluster_state_get_integer (S_SUPERVISOR, root, "", "started", 0, INT64_MAX, &started))
        goto done;
    size_t count = json_array_size (ports);
    values = malloc ((count ? count : 1) * sizeof (int));
    if (!values) {
        sq_error_set ("%s: out of memory", S_SUPERVISOR);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *port =
            sq_cluster_state_element (S_SUPERVISOR, ports, "ports", i, JSON_INTEGER, path);
        if (!port || sq_cluster_state_check_integer (S_SUPERVISOR, path, json_integer_value (port),
                                                     1, 65535))
            goto done;
        values[i] = (int) json_integer_value (port);
        for (size_t j = 0; j < i; j++)
            if (values[j] == values[i]) {
                sq_error_set ("%s: field '%s' repeats port %d of 'ports[%zu]'", S_SUPERVISOR, path,
                              values[i], j);
                goto done;
            }
    }
    self = sq_supervisor_info_new (id, host, values, count, (int64_t) started);
done:
    free (values);
    json_decref (root);
    return self;
}
