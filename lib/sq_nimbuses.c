/*  sq_nimbuses - the nimbuses a client knows, and which of them leads */
#include "sq_nimbuses.h"
#include "sq_cluster_config.h"
#include "sq_error.h"
#include "sq_sha256.h"

#include <strings.h>

#include <string.h>

#define S_MAX_NIMBUSES 16                         //  most nimbuses one client knows
#define S_NOT_LEADER "not the leader; leader is " //  how a standby refuses

struct _sq_nimbuses_t {
    sq_control_t *controls[S_MAX_NIMBUSES]; //  one client per nimbus
    size_t count;                           //  clients in controls
    size_t current;                         //  the one a request tries first
    sq_curve_t *curve;                      //  keys for new clients, or NULL
};

//  Add a client for endpoint unless there is one. Returns its index, or
//  -1 when out of room or memory.
static int
s_add (sq_nimbuses_t *self, const char *endpoint)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (sq_control_endpoint (self->controls[i]), endpoint) == 0)
            return (int) i;
    if (self->count == S_MAX_NIMBUSES)
        return sq_error_set ("more than %d nimbuses", S_MAX_NIMBUSES);
    sq_control_t *control = sq_control_new (endpoint);
    if (!control || (self->curve && sq_control_set_curve (control, self->curve))) {
        sq_control_destroy (&control);
        return sq_error_set ("out of memory");
    }
    self->controls[self->count] = control;
    return (int) self->count++;
}

//  The endpoints in text, separated by commas, into a new list. NULL
//  when out of memory.
static zlist_t *
s_split (const char *text)
{
    zlist_t *list = zlist_new ();
    char *copy = strdup (text);
    if (!list || !copy) {
        zlist_destroy (&list);
        free (copy);
        return NULL;
    }
    zlist_autofree (list);
    char *rest = NULL;
    for (char *item = strtok_r (copy, ",", &rest); item; item = strtok_r (NULL, ",", &rest))
        zlist_append (list, item);
    free (copy);
    return list;
}

sq_nimbuses_t *
sq_nimbuses_new (const sq_config_t *config, const char *endpoints)
{
    zlist_t *list = endpoints ? s_split (endpoints) : sq_cluster_config_nimbuses (config);
    if (!list) {
        if (endpoints)
            sq_error_set ("out of memory");
        return NULL;
    }
    sq_nimbuses_t *self = zlist_size (list) ? calloc (1, sizeof (sq_nimbuses_t)) : NULL;
    if (!self)
        sq_error_set (zlist_size (list) ? "out of memory" : "no nimbus endpoint given");
    for (const char *item = zlist_first (list); self && item; item = zlist_next (list))
        if (s_add (self, item) < 0)
            sq_nimbuses_destroy (&self);
    zlist_destroy (&list);
    return self;
}

void
sq_nimbuses_destroy (sq_nimbuses_t **self_p)
{
    assert (self_p);
    sq_nimbuses_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        sq_control_destroy (&self->controls[i]);
    sq_curve_destroy (&self->curve);
    free (self);
    *self_p = NULL;
}

int
sq_nimbuses_set_curve (sq_nimbuses_t *self, const sq_curve_t *curve)
{
    assert (self);
    sq_curve_destroy (&self->curve);
    if (curve && !(self->curve = sq_curve_dup (curve)))
        return sq_error_set ("out of memory");
    for (size_t i = 0; i < self->count; i++)
        if (sq_control_set_curve (self->controls[i], curve))
            return -1;
    return 0;
}

int
sq_nimbuses_send (sq_nimbuses_t *self, json_t *message)
{
    assert (self);
    int taken = 0;
    for (size_t i = 0; i < self->count; i++)
        taken += sq_control_send (self->controls[i], message) == 0;
    return taken > 0 ? 0 : -1;
}

//  The leader a standby's refusal names, as "tcp://host:port" (caller
//  frees), or NULL when error is another refusal or names no leader.
static char *
s_named_leader (const char *error)
{
    if (strncmp (error, S_NOT_LEADER, strlen (S_NOT_LEADER)) != 0)
        return NULL;
    const char *address = error + strlen (S_NOT_LEADER);
    size_t size = strcspn (address, " ;,");
    const char *colon = memchr (address, ':', size);
    if (size == 0 || size > 300 || !colon || colon == address || colon + 1 == address + size)
        return NULL;
    return zsys_sprintf ("tcp://%.*s", (int) size, address);
}

json_t *
sq_nimbuses_request (sq_nimbuses_t *self, json_t *request, const void *payload, size_t payload_size,
                     int timeout_ms, void **payload_p, size_t *payload_size_p)
{
    assert (self);
    //  Each silent nimbus gets one try; redirects are bounded too.
    size_t silent = 0, redirects = 0;
    char errors[1024] = "";
    while (silent < self->count) {
        sq_control_t *control = self->controls[self->current];
        json_t *reply = sq_control_request (control, request, payload, payload_size, timeout_ms,
                                            payload_p, payload_size_p);
        if (reply)
            return reply;
        if (sq_control_answered (control)) {
            char *leader = s_named_leader (sq_last_error ());
            if (!leader)
                return NULL; //  a refusal of the request itself
            int index = s_add (self, leader);
            free (leader);
            if (index < 0 || (size_t) index == self->current || ++redirects > S_MAX_NIMBUSES)
                return NULL; //  keep the standby's own words
            self->current = (size_t) index;
            continue;
        }
        silent++;
        size_t used = strlen (errors);
        snprintf (errors + used, sizeof errors - used, "%s%s", used ? "; " : "", sq_last_error ());
        self->current = (self->current + 1) % self->count;
    }
    if (silent == 0)
        return NULL;
    sq_error_set ("no nimbus answered: %s", errors);
    return NULL;
}

void *
sq_nimbuses_download (sq_nimbuses_t *self, const char *topology_id, const char *checksum,
                      int timeout_ms, size_t *size_p, json_t **reply_p)
{
    assert (self);
    assert (size_p && reply_p);
    *size_p = 0;
    json_t *request = json_pack ("{s:s, s:s}", "verb", "download", "id", topology_id);
    if (!request) {
        sq_error_set ("out of memory");
        return NULL;
    }
    void *payload = NULL;
    json_t *reply = sq_nimbuses_request (self, request, NULL, 0, timeout_ms, &payload, size_p);
    json_decref (request);
    const char *endpoint = sq_nimbuses_current (self);
    char hex[SQ_SHA256_HEX_SIZE] = "";
    if (payload)
        sq_sha256_hex (payload, *size_p, hex);
    if (!reply)
        sq_error_set ("download from nimbus at %s failed: %s", endpoint, sq_last_error ());
    else if (!payload)
        sq_error_set ("nimbus at %s sent no package bytes", endpoint);
    else if (strcasecmp (hex, checksum) != 0)
        sq_error_set ("package checksum mismatch: expected %s, got %s", checksum, hex);
    if (!reply || !payload || strcasecmp (hex, checksum) != 0) {
        json_decref (reply);
        free (payload);
        *size_p = 0;
        return NULL;
    }
    *reply_p = reply;
    return payload;
}

zcert_t *
sq_nimbuses_topology_key (const json_t *reply)
{
    const char *public_key = json_string_value (json_object_get (reply, "topology_public_key"));
    const char *secret_key = json_string_value (json_object_get (reply, "topology_secret_key"));
    byte public_bytes[32], secret_bytes[32];
    zcert_t *cert = public_key && secret_key && strlen (public_key) == 40 &&
                            strlen (secret_key) == 40 &&
                            zmq_z85_decode (public_bytes, public_key) &&
                            zmq_z85_decode (secret_bytes, secret_key)
                        ? zcert_new_from (public_bytes, secret_bytes)
                        : NULL;
    if (!cert)
        sq_error_set ("nimbus sent no valid topology key pair with the package");
    return cert;
}

const char *
sq_nimbuses_current (sq_nimbuses_t *self)
{
    assert (self);
    return sq_control_endpoint (self->controls[self->current]);
}
