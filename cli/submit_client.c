/*  submit_client - storm-submit's cluster commands, over the control protocol */
#include "submit_client.h"
#include "submit_list.h"
#include "sq_config.h"
#include "sq_nimbuses.h"
#include "sq_archive.h"
#include "sq_error.h"
#include "sq_flux.h"
#include "sq_sha256.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _submit_client_t {
    sq_nimbuses_t *control; //  the nimbuses, requests going to the leader
    int timeout_ms;         //  how long to wait for each answer
};

submit_client_t *
submit_client_new (const char *endpoint, int timeout_ms)
{
    assert (endpoint);
    submit_client_t *self = calloc (1, sizeof (submit_client_t));
    if (!self)
        return NULL;
    self->control = sq_nimbuses_new (NULL, endpoint);
    if (!self->control) {
        free (self);
        return NULL;
    }
    self->timeout_ms = timeout_ms;
    return self;
}

int
submit_client_set_curve (submit_client_t *self, const sq_curve_t *curve)
{
    assert (self);
    return sq_nimbuses_set_curve (self->control, curve);
}

void
submit_client_destroy (submit_client_t **self_p)
{
    assert (self_p);
    submit_client_t *self = *self_p;
    if (!self)
        return;
    sq_nimbuses_destroy (&self->control);
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
        sq_nimbuses_request (self->control, request, NULL, 0, self->timeout_ms, NULL, NULL);
    json_decref (request);
    if (!reply)
        return -1;
    json_decref (reply);
    return 0;
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
                      const sq_config_t *config, const sq_submit_options_t *options, char **id_p)
{
    assert (self);
    assert (id_p);
    *id_p = NULL;
    //  A definition file goes as a package directory: laid out in a
    //  temporary one (sq_flux_stage), which is then packed.
    char *staged = NULL;
    if (sq_flux_is_definition (path)) {
        const char *tmp = getenv ("TMPDIR");
        staged = zsys_sprintf ("%s/squall-definition-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!staged || !mkdtemp (staged)) {
            zstr_free (&staged);
            return sq_error_set ("cannot make a temporary directory to lay out '%s' in", path);
        }
        if (sq_flux_stage (path, staged)) {
            sq_archive_remove_tree (staged);
            zstr_free (&staged);
            return -1;
        }
        path = staged;
    }
    //  A package directory goes to nimbus as one archive (doc/packages.md).
    char *packed = NULL;
    struct stat info;
    if (stat (path, &info) == 0 && S_ISDIR (info.st_mode)) {
        const char *tmp = getenv ("TMPDIR");
        packed = zsys_sprintf ("%s/squall-submit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = packed ? mkstemp (packed) : -1;
        if (fd < 0) {
            zstr_free (&packed);
            if (staged)
                sq_archive_remove_tree (staged);
            zstr_free (&staged);
            return sq_error_set ("cannot make a temporary file to pack '%s' into", path);
        }
        close (fd);
        int rc = sq_archive_pack (path, packed);
        if (staged)
            sq_archive_remove_tree (staged);
        zstr_free (&staged);
        if (rc) {
            unlink (packed);
            zstr_free (&packed);
            return -1;
        }
        path = packed;
    }
    size_t size;
    void *package = s_read_file (path, &size);
    if (packed)
        unlink (packed);
    zstr_free (&packed);
    if (!package)
        return -1;
    char checksum[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (package, size, checksum);
    json_t *request = json_pack ("{s:s, s:s, s:o, s:s}", "verb", "submit", "name", name, "config",
                                 sq_config_to_json (config), "checksum", checksum);
    //  The client's own key files are not the topology's business.
    json_t *topology_config = json_object_get (request, "config");
    json_object_del (topology_config, "squall.curve.secret.key.file");
    json_object_del (topology_config, "squall.curve.server.public.key.file");
    json_object_del (topology_config, "squall.curve.allowed.dir");
    //  Only a field of version 2 makes the request version 2: an older
    //  nimbus refuses it rather than start the topology active.
    if (request && options && options->initial_status == SQ_INITIAL_STATUS_INACTIVE &&
        (json_object_set_new (request, "version", json_integer (2)) ||
         json_object_set_new (request, "initial_status", json_string ("inactive")))) {
        json_decref (request);
        request = NULL;
    }
    json_t *reply = request ? sq_nimbuses_request (self->control, request, package, size,
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
    //  Submitted, but not as asked (fewer workers than topology.workers).
    const char *warning = json_string_value (json_object_get (reply, "warning"));
    if (warning)
        fprintf (stderr, "storm-submit: warning: %.500s\n", warning);
    json_decref (reply);
    return *id_p ? 0 : sq_error_set ("nimbus accepted the topology without naming its id");
}

int
submit_client_list (submit_client_t *self, FILE *out)
{
    assert (self);
    json_t *request = json_pack ("{s:s}", "verb", "list");
    json_t *reply = request ? sq_nimbuses_request (self->control, request, NULL, 0,
                                                   self->timeout_ms, NULL, NULL)
                            : NULL;
    json_decref (request);
    if (!reply)
        return -1;
    int rc = submit_list_print (reply, out);
    json_decref (reply);
    return rc;
}

//  Send request (taken; NULL: out of memory) and put nimbus's reply into
//  *reply_p. Returns 0 or -1.
static int
s_ask (submit_client_t *self, json_t *request, json_t **reply_p)
{
    *reply_p = request ? sq_nimbuses_request (self->control, request, NULL, 0, self->timeout_ms,
                                              NULL, NULL)
                       : NULL;
    if (!request)
        sq_error_set ("out of memory");
    json_decref (request);
    return *reply_p ? 0 : -1;
}

//  The summary of topology id in a list reply, or NULL.
static const json_t *
s_listed (const json_t *reply, const char *id)
{
    size_t index;
    const json_t *topology;
    json_array_foreach (json_object_get (reply, "topologies"), index, topology)
    {
        const char *listed = json_string_value (json_object_get (topology, "id"));
        if (listed && strcmp (listed, id) == 0)
            return topology;
    }
    return NULL;
}

int
submit_client_wait_running (submit_client_t *self, const char *name, const char *id,
                            double wait_secs, FILE *out)
{
    assert (self);
    assert (name);
    assert (id);
    int64_t deadline = zclock_mono () + (int64_t) (wait_secs * 1000);
    int64_t running_since = -1;
    json_int_t running = 0, workers = 0;
    while (true) {
        json_t *reply = NULL;
        int rc = s_ask (self, json_pack ("{s:s}", "verb", "list"), &reply);
        const json_t *topology = rc == 0 ? s_listed (reply, id) : NULL;
        const json_t *failure = json_object_get (topology, "last_failure");
        int64_t now = zclock_mono ();
        if (rc == 0 && !topology) {
            json_decref (reply);
            return sq_error_set ("topology '%s' (id %s) is gone from nimbus's list", name, id);
        }
        if (json_is_object (failure)) {
            fprintf (out, "topology '%s' failed to start:\n", name);
            struct timespec wall;
            clock_gettime (CLOCK_REALTIME, &wall);
            submit_list_print_failure (failure, (int64_t) wall.tv_sec, true, out);
            const char *component = json_string_value (json_object_get (failure, "component"));
            const char *cause = json_string_value (json_object_get (failure, "cause"));
            sq_error_set ("topology '%s' is failing%s%s: %s", name, component ? ": component " : "",
                          component ? component : "", cause ? cause : "?");
            json_decref (reply);
            return -1;
        }
        if (topology) {
            running = json_integer_value (json_object_get (topology, "running_workers"));
            workers = json_integer_value (json_object_get (topology, "workers"));
        }
        json_decref (reply);
        //  Running once every worker heartbeated, and still without a
        //  failure a settle time later: a component that crashes on its
        //  first tuples shows in that time.
        if (workers > 0 && running >= workers) {
            if (running_since < 0)
                running_since = now;
            if (now - running_since >= SUBMIT_CLIENT_SETTLE_MS) {
                fprintf (out, "topology '%s' is running: %lld workers\n", name,
                         (long long) workers);
                return 0;
            }
        } else
            running_since = -1;
        if (now >= deadline)
            return sq_error_set ("topology '%s' not running after %g s: %lld of %lld workers "
                                 "heartbeated%s",
                                 name, wait_secs, (long long) running, (long long) workers,
                                 rc ? " (nimbus did not answer)" : "");
        zclock_sleep (SUBMIT_CLIENT_POLL_MS);
    }
}

int
submit_client_metrics (submit_client_t *self, const char *name, json_t **reply_p)
{
    assert (self);
    assert (reply_p);
    return s_ask (self, json_pack ("{s:s, s:s}", "verb", "metrics", "name", name), reply_p);
}

int
submit_client_trace (submit_client_t *self, const char *name, double sample_pct, int limit,
                     json_t **reply_p)
{
    assert (self);
    assert (reply_p);
    json_t *request = json_pack ("{s:s, s:s, s:i}", "verb", "trace", "name", name, "limit", limit);
    if (request && sample_pct >= 0)
        json_object_set_new (request, "sample_pct", json_real (sample_pct));
    return s_ask (self, request, reply_p);
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
