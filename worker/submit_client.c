/*  submit_client - storm-submit's cluster commands, over the control protocol */
#include "submit_client.h"
#include "sq_config.h"
#include "sq_control.h"
#include "sq_error.h"
#include "sq_package.h"
#include "sq_sha256.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>

struct _submit_client_t {
    sq_control_t *control; //  the connection to nimbus
    int timeout_ms;        //  how long to wait for each answer
};

submit_client_t *
submit_client_new (const char *endpoint, int timeout_ms)
{
    assert (endpoint);
    submit_client_t *self = calloc (1, sizeof (submit_client_t));
    if (!self)
        return NULL;
    self->control = sq_control_new (endpoint);
    if (!self->control) {
        free (self);
        return NULL;
    }
    self->timeout_ms = timeout_ms;
    return self;
}

void
submit_client_destroy (submit_client_t **self_p)
{
    assert (self_p);
    submit_client_t *self = *self_p;
    if (!self)
        return;
    sq_control_destroy (&self->control);
    free (self);
    *self_p = NULL;
}

//  Send a request (taken) and return 0 when nimbus says ok, dropping the
//  reply.
static int
s_command (submit_client_t *self, json_t *request)
{
    if (!request)
        return sq_error_set ("out of memory");
    json_t *reply =
        sq_control_request (self->control, request, NULL, 0, self->timeout_ms, NULL, NULL);
    json_decref (request);
    if (!reply)
        return -1;
    json_decref (reply);
    return 0;
}

//  Check the package here: it must load, build and validate.
static int
s_validate_locally (const char *path, const sq_config_t *config)
{
    sq_package_t *package = sq_package_open (path);
    if (!package)
        return -1;
    sq_topology_t *topology = sq_package_build (package, config);
    int rc = topology ? sq_topology_validate (topology) : -1;
    if (rc && topology) {
        char error[400];
        snprintf (error, sizeof error, "%s", sq_last_error ());
        sq_error_set ("topology invalid: %s", error);
    }
    sq_topology_destroy (&topology);
    sq_package_destroy (&package);
    return rc;
}

//  Read a whole file into a new buffer. NULL with sq_last_error() set.
static void *
s_read_file (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        sq_error_set ("cannot read '%s': %s", path, strerror (errno));
        return NULL;
    }
    void *data = NULL;
    size_t size = 0, capacity = 0, got;
    do {
        if (size == capacity) {
            capacity = capacity ? 2 * capacity : 1 << 20;
            void *grown = realloc (data, capacity);
            if (!grown) {
                free (data);
                fclose (file);
                sq_error_set ("out of memory reading '%s'", path);
                return NULL;
            }
            data = grown;
        }
        got = fread ((char *) data + size, 1, capacity - size, file);
        size += got;
    } while (got > 0);
    bool failed = ferror (file);
    fclose (file);
    if (failed) {
        free (data);
        sq_error_set ("cannot read '%s'", path);
        return NULL;
    }
    *size_p = size;
    return data;
}

int
submit_client_submit (submit_client_t *self, const char *path, const char *name,
                      const sq_config_t *config, char **id_p)
{
    assert (self);
    assert (id_p);
    *id_p = NULL;
    if (s_validate_locally (path, config))
        return -1;
    size_t size;
    void *package = s_read_file (path, &size);
    if (!package)
        return -1;
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (package, size, checksum);
    json_t *request = json_pack ("{s:s, s:s, s:o, s:s}", "verb", "submit", "name", name, "config",
                                 sq_config_to_json (config), "checksum", checksum);
    json_t *reply = request ? sq_control_request (self->control, request, package, size,
                                                  self->timeout_ms, NULL, NULL)
                            : NULL;
    if (!request)
        sq_error_set ("out of memory");
    json_decref (request);
    free (package);
    if (!reply)
        return -1;
    const char *id = json_string_value (json_object_get (reply, "id"));
    *id_p = id ? strdup (id) : NULL;
    json_decref (reply);
    return *id_p ? 0 : sq_error_set ("nimbus accepted the topology without naming its id");
}

//  "45s", "12m03s", "2h05m00s", "3d02h05m00s".
static void
s_format_uptime (json_int_t secs, char *text, size_t size)
{
    json_int_t days = secs / 86400, hours = secs / 3600 % 24, minutes = secs / 60 % 60;
    json_int_t seconds = secs % 60;
    if (days)
        snprintf (text, size, "%lldd%02lldh%02lldm%02llds", (long long) days, (long long) hours,
                  (long long) minutes, (long long) seconds);
    else if (hours)
        snprintf (text, size, "%lldh%02lldm%02llds", (long long) hours, (long long) minutes,
                  (long long) seconds);
    else if (minutes)
        snprintf (text, size, "%lldm%02llds", (long long) minutes, (long long) seconds);
    else
        snprintf (text, size, "%llds", (long long) seconds);
}

int
submit_client_list (submit_client_t *self, FILE *out)
{
    assert (self);
    json_t *request = json_pack ("{s:s}", "verb", "list");
    json_t *reply =
        request ? sq_control_request (self->control, request, NULL, 0, self->timeout_ms, NULL, NULL)
                : NULL;
    json_decref (request);
    if (!reply)
        return -1;
    json_t *topologies = json_object_get (reply, "topologies");
    if (!json_is_array (topologies)) {
        json_decref (reply);
        return sq_error_set ("nimbus answered list without a topology list");
    }
    int name_width = 4, id_width = 2;
    size_t index;
    json_t *topology;
    json_array_foreach (topologies, index, topology)
    {
        const char *name = json_string_value (json_object_get (topology, "name"));
        const char *id = json_string_value (json_object_get (topology, "id"));
        if (name && (int) strlen (name) > name_width)
            name_width = (int) strlen (name);
        if (id && (int) strlen (id) > id_width)
            id_width = (int) strlen (id);
    }
    if (json_array_size (topologies) == 0)
        fprintf (out, "no topologies running\n");
    else
        fprintf (out, "%-*s  %-*s  %-11s  %11s  %7s  %9s  %5s  %12s  %12s  %9s\n", name_width,
                 "NAME", id_width, "ID", "STATUS", "UPTIME", "WORKERS", "EXECUTORS", "TASKS",
                 "EMITTED", "ACKED", "FAILED");
    json_array_foreach (topologies, index, topology)
    {
        const char *name = json_string_value (json_object_get (topology, "name"));
        const char *id = json_string_value (json_object_get (topology, "id"));
        const char *status = json_string_value (json_object_get (topology, "status"));
        char uptime[32];
        s_format_uptime (json_integer_value (json_object_get (topology, "uptime_secs")), uptime,
                         sizeof uptime);
        //  Counters come from the workers' latest heartbeats, each since
        //  its worker started; a failed count includes timeouts.
        fprintf (out, "%-*s  %-*s  %-11s  %11s  %7lld  %9lld  %5lld  %12lld  %12lld  %9lld\n",
                 name_width, name ? name : "?", id_width, id ? id : "?", status ? status : "?",
                 uptime, (long long) json_integer_value (json_object_get (topology, "workers")),
                 (long long) json_integer_value (json_object_get (topology, "executors")),
                 (long long) json_integer_value (json_object_get (topology, "tasks")),
                 (long long) json_integer_value (json_object_get (topology, "emitted")),
                 (long long) json_integer_value (json_object_get (topology, "acked")),
                 (long long) (json_integer_value (json_object_get (topology, "failed")) +
                              json_integer_value (json_object_get (topology, "timed_out"))));
    }
    json_decref (reply);
    return 0;
}

int
submit_client_kill (submit_client_t *self, const char *name, double wait_secs)
{
    assert (self);
    json_t *request = json_pack ("{s:s, s:s}", "verb", "kill", "name", name);
    if (request && wait_secs >= 0)
        json_object_set_new (request, "wait_secs", json_real (wait_secs));
    return s_command (self, request);
}

int
submit_client_set_active (submit_client_t *self, const char *name, bool active)
{
    assert (self);
    return s_command (
        self, json_pack ("{s:s, s:s}", "verb", active ? "activate" : "deactivate", "name", name));
}

int
submit_client_rebalance (submit_client_t *self, const char *name, int workers, double wait_secs)
{
    assert (self);
    json_t *request = json_pack ("{s:s, s:s}", "verb", "rebalance", "name", name);
    if (request && workers > 0)
        json_object_set_new (request, "workers", json_integer (workers));
    if (request && wait_secs >= 0)
        json_object_set_new (request, "wait_secs", json_real (wait_secs));
    return s_command (self, request);
}
