/*  sq_curve_auth - the ZAP handler of a process that serves CURVE sockets */
#include "sq_curve_auth.h"
#include "sq_connections.h"
#include "sq_error.h"

#include <stdatomic.h>
#include <string.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01" //  where libzmq asks (RFC 27)
#define S_KEY_SIZE 40                           //  Z85 text of a 32-byte key
#define S_LOGGED_MAX 1024                       //  refused keys logged one by one
#define S_SWEEP_MS 10000                        //  how often connections are checked

//  What the owner and the actor share.
typedef struct {
    char *directory;              //  allowed public certs, or NULL
    char *label;                  //  process name for log lines
    _Atomic uint64_t refused;     //  handshakes refused (written by the actor)
    _Atomic bool started;         //  the actor bound the ZAP endpoint
    _Atomic uint64_t failed;      //  handshakes failed on watched sockets
    _Atomic uint64_t disconnects; //  connections ended on watched sockets
    _Atomic uint64_t over_limit;  //  handshakes refused for the connection limits
    _Atomic size_t open;          //  connections of watched sockets open now
} s_shared_t;

struct _sq_curve_auth_t {
    zactor_t *actor;  //  the handler thread
    s_shared_t state; //  shared with it
};

//  The actor's own state.
typedef struct {
    s_shared_t *shared;            //  owner's part
    zsock_t *pipe;                 //  commands from the owner
    zsock_t *handler;              //  ZAP requests from libzmq
    zcertstore_t *store;           //  the allowed directory, or NULL
    zhashx_t *keys;                //  run-time key -> principal name
    zhashx_t *logged;              //  refused keys already logged
    bool logged_overflowed;        //  said that further refusals go unlogged
    zpoller_t *poller;             //  pipe, handler and the monitors
    zlist_t *monitors;             //  zsock_t: events of the watched sockets
    sq_connections_t *connections; //  open connections of the watched sockets
    size_t max_per_address;        //  limit per peer address; 0 for none
    size_t max_total;              //  limit over all addresses; 0 for none
} s_actor_t;

//  Count one event of a watched socket: two frames, the first the event
//  number (16 bits) and its value (32 bits: the connection's descriptor
//  for an accept or an end), the second the endpoint.
static void
s_monitor_event (s_actor_t *self, zsock_t *monitor)
{
    zmsg_t *event = zmsg_recv (monitor);
    zframe_t *frame = event ? zmsg_first (event) : NULL;
    if (frame && zframe_size (frame) == 6) {
        uint16_t number;
        uint32_t value;
        memcpy (&number, zframe_data (frame), sizeof number);
        memcpy (&value, zframe_data (frame) + sizeof number, sizeof value);
        if (number & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                      ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
            atomic_fetch_add (&self->shared->failed, 1);
        if (number & ZMQ_EVENT_DISCONNECTED) {
            atomic_fetch_add (&self->shared->disconnects, 1);
            sq_connections_closed (self->connections, (int) value);
        }
        char address[SQ_CONNECTIONS_MAX_ADDRESS];
        char peer[SQ_CONNECTIONS_MAX_ADDRESS];
        //  Still open: the peer is known. Gone already: its end follows.
        if ((number & ZMQ_EVENT_ACCEPTED) &&
            sq_connections_peer_of ((int) value, address, peer) == 0)
            sq_connections_opened (self->connections, (int) value, address, peer);
        atomic_store (&self->shared->open, sq_connections_total (self->connections));
    }
    zmsg_destroy (&event);
}

//  Take every event the watched sockets have queued, so that the counts
//  include the connection a ZAP request comes from (libzmq reports its
//  accept before its handshake, on another pipe).
static void
s_monitor_drain (s_actor_t *self)
{
    for (zsock_t *monitor = zlist_first (self->monitors); monitor;
         monitor = zlist_next (self->monitors))
        while (zsock_events (monitor) & ZMQ_POLLIN)
            s_monitor_event (self, monitor);
}

//  Drop the connections whose end was never reported.
static void
s_sweep (s_actor_t *self)
{
    size_t dropped = sq_connections_sweep (self->connections, sq_connections_alive, NULL);
    if (dropped)
        zsys_info ("%s: %zu connections had ended unreported; no longer counted",
                   self->shared->label, dropped);
    atomic_store (&self->shared->open, sq_connections_total (self->connections));
}

//  True when a handshake from address goes over a limit (the counts hold
//  its own connection).
static bool
s_over_limit (s_actor_t *self, const char *address)
{
    return (self->max_per_address &&
            sq_connections_of (self->connections, address) > self->max_per_address) ||
           (self->max_total && sq_connections_total (self->connections) > self->max_total);
}

//  Encode one ZMTP property (RFC 37 metadata) into buffer, which has
//  room. Returns its size.
static size_t
s_property (byte *buffer, const char *name, const char *value)
{
    size_t name_size = strlen (name);
    size_t value_size = strlen (value);
    buffer[0] = (byte) name_size;
    memcpy (buffer + 1, name, name_size);
    buffer[1 + name_size] = (byte) (value_size >> 24);
    buffer[2 + name_size] = (byte) (value_size >> 16);
    buffer[3 + name_size] = (byte) (value_size >> 8);
    buffer[4 + name_size] = (byte) value_size;
    memcpy (buffer + 5 + name_size, value, value_size);
    return 5 + name_size + value_size;
}

//  Send the ZAP reply. user_id and name only when allowed.
static void
s_reply (s_actor_t *self, zframe_t *version, zframe_t *sequence, bool allowed, const char *user_id,
         const char *name)
{
    zmsg_t *reply = zmsg_new ();
    if (!reply)
        return;
    zmsg_append (reply, &version);
    zmsg_append (reply, &sequence);
    zmsg_addstr (reply, allowed ? "200" : "400");
    zmsg_addstr (reply, allowed ? "OK" : "No access");
    zmsg_addstr (reply, allowed ? user_id : "");
    byte metadata[256 + 5 + 255];
    size_t size = 0;
    if (allowed && name && strlen (name) < 256)
        size = s_property (metadata, "name", name);
    zmsg_addmem (reply, metadata, size);
    zmsg_send (&reply, self->handler);
}

//  True the first time name (a key or an address) is refused, while
//  fewer than S_LOGGED_MAX were.
static bool
s_first_refusal (s_actor_t *self, const char *name)
{
    if (zhashx_lookup (self->logged, name))
        return false;
    if (zhashx_size (self->logged) >= S_LOGGED_MAX) {
        if (!self->logged_overflowed)
            zsys_warning ("%s: %d distinct peers refused; further ones are counted, not logged",
                          self->shared->label, S_LOGGED_MAX);
        self->logged_overflowed = true;
        return false;
    }
    zhashx_insert (self->logged, name, "");
    return true;
}

static void
s_log_refusal (s_actor_t *self, const char *key, const char *mechanism, const char *address)
{
    uint64_t refused = atomic_load (&self->shared->refused);
    if (s_first_refusal (self, key))
        zsys_warning ("%s: connection refused: key %s (%s) from %s is not allowed refused=%llu",
                      self->shared->label, *key ? key : "(none)", mechanism, address,
                      (unsigned long long) refused);
}

static void
s_log_over_limit (s_actor_t *self, const char *address)
{
    char name[8 + SQ_CONNECTIONS_MAX_ADDRESS];
    snprintf (name, sizeof name, "address %s", address);
    if (s_first_refusal (self, name))
        zsys_warning ("%s: connection refused: %zu connections open from %s, %zu in all "
                      "(limits %zu per address, %zu in all); further refusals of %s are "
                      "counted, not logged over_limit=%llu",
                      self->shared->label, sq_connections_of (self->connections, address), address,
                      sq_connections_total (self->connections), self->max_per_address,
                      self->max_total, address,
                      (unsigned long long) atomic_load (&self->shared->over_limit));
}

//  Answer one ZAP request: version, sequence, domain, address, identity,
//  mechanism, credentials.
static void
s_authenticate (s_actor_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    zframe_t *version = zmsg_pop (request);
    zframe_t *sequence = zmsg_pop (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credential = zmsg_pop (request);
    char key[S_KEY_SIZE + 1] = "";
    s_monitor_drain (self);
    bool over = address && s_over_limit (self, address);
    if (over) {
        s_sweep (self);
        over = s_over_limit (self, address);
    }
    bool curve = !over && mechanism && strcmp (mechanism, "CURVE") == 0 && credential &&
                 zframe_size (credential) == 32;
    if (curve)
        zmq_z85_encode (key, zframe_data (credential), 32);
    const char *name = curve ? zhashx_lookup (self->keys, key) : NULL;
    zcert_t *cert = curve && !name && self->store ? zcertstore_lookup (self->store, key) : NULL;
    if (cert)
        name = zcert_meta (cert, "name");
    bool allowed = name || cert;
    if (version && sequence)
        s_reply (self, version, sequence, allowed, key, name ? name : "");
    else {
        zframe_destroy (&version);
        zframe_destroy (&sequence);
    }
    if (over) {
        atomic_fetch_add (&self->shared->over_limit, 1);
        s_log_over_limit (self, address);
    } else if (!allowed) {
        atomic_fetch_add (&self->shared->refused, 1);
        s_log_refusal (self, key, mechanism ? mechanism : "?", address ? address : "?");
    }
    zframe_destroy (&credential);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zmsg_destroy (&request);
}

//  A command from the owner: ALLOW key name, FORGET key, $TERM. Returns
//  -1 to stop.
static int
s_command (s_actor_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg)
        return -1;
    char *command = zmsg_popstr (msg);
    char *key = zmsg_popstr (msg);
    char *name = zmsg_popstr (msg);
    int rc = 0;
    if (command && strcmp (command, "$TERM") == 0)
        rc = -1;
    else if (command && strcmp (command, "ALLOW") == 0 && key && name) {
        zhashx_update (self->keys, key, name);
        zsock_signal (self->pipe, 0);
    } else if (command && strcmp (command, "WATCH") == 0 && key) {
        //  key is the monitor's endpoint here.
        zsock_t *monitor = zsock_new_pair (NULL);
        if (monitor && zsock_connect (monitor, "%s", key) == 0 &&
            zpoller_add (self->poller, monitor) == 0)
            zlist_append (self->monitors, monitor);
        else
            zsock_destroy (&monitor);
        zsock_signal (self->pipe, 0);
    } else if (command && strcmp (command, "LIMIT") == 0 && key && name) {
        //  key and name are the two limits here.
        self->max_per_address = (size_t) strtoull (key, NULL, 10);
        self->max_total = (size_t) strtoull (name, NULL, 10);
        zsock_signal (self->pipe, 0);
    } else if (command && strcmp (command, "FORGET") == 0 && key) {
        zhashx_delete (self->keys, key);
        zhashx_delete (self->logged, key);
        zsock_signal (self->pipe, 0);
    }
    zstr_free (&command);
    zstr_free (&key);
    zstr_free (&name);
    zmsg_destroy (&msg);
    return rc;
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    s_actor_t self = {.shared = arg, .pipe = pipe};
    self.handler = zsock_new (ZMQ_REP);
    self.keys = zhashx_new ();
    self.logged = zhashx_new ();
    self.connections = sq_connections_new ();
    if (self.keys) {
        zhashx_set_destructor (self.keys, (zhashx_destructor_fn *) zstr_free);
        zhashx_set_duplicator (self.keys, (zhashx_duplicator_fn *) strdup);
    }
    if (self.shared->directory)
        self.store = zcertstore_new (self.shared->directory);
    bool ok = self.handler && self.keys && self.logged && self.connections &&
              (!self.shared->directory || self.store) &&
              zsock_bind (self.handler, S_ZAP_ENDPOINT) == 0;
    atomic_store (&self.shared->started, ok);
    zsock_signal (pipe, 0);
    self.monitors = zlist_new ();
    self.poller = ok && self.monitors ? zpoller_new (pipe, self.handler, NULL) : NULL;
    while (self.poller) {
        void *which = zpoller_wait (self.poller, S_SWEEP_MS);
        if (!which && zpoller_expired (self.poller))
            s_sweep (&self);
        else if (which == self.handler)
            s_authenticate (&self);
        else if (which && which != pipe)
            s_monitor_event (&self, which);
        else if (!which || s_command (&self))
            break;
    }
    zpoller_destroy (&self.poller);
    for (zsock_t *monitor = self.monitors ? zlist_first (self.monitors) : NULL; monitor;
         monitor = zlist_next (self.monitors))
        zsock_destroy (&monitor);
    zlist_destroy (&self.monitors);
    if (ok)
        zsock_unbind (self.handler, S_ZAP_ENDPOINT);
    zsock_destroy (&self.handler);
    zcertstore_destroy (&self.store);
    zhashx_destroy (&self.keys);
    zhashx_destroy (&self.logged);
    sq_connections_destroy (&self.connections);
}

sq_curve_auth_t *
sq_curve_auth_new (const char *directory, const char *label)
{
    assert (label);
    sq_curve_auth_t *self = calloc (1, sizeof (sq_curve_auth_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    atomic_init (&self->state.refused, 0);
    atomic_init (&self->state.started, false);
    atomic_init (&self->state.failed, 0);
    atomic_init (&self->state.disconnects, 0);
    atomic_init (&self->state.over_limit, 0);
    atomic_init (&self->state.open, 0);
    self->state.label = strdup (label);
    self->state.directory = directory ? strdup (directory) : NULL;
    if (self->state.label && (!directory || self->state.directory))
        self->actor = zactor_new (s_actor, &self->state);
    if (!self->actor || !atomic_load (&self->state.started)) {
        sq_error_set ("cannot start the CURVE authenticator (is another one running in this "
                      "process?)");
        sq_curve_auth_destroy (&self);
    }
    return self;
}

void
sq_curve_auth_destroy (sq_curve_auth_t **self_p)
{
    assert (self_p);
    sq_curve_auth_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    free (self->state.label);
    free (self->state.directory);
    free (self);
    *self_p = NULL;
}

int
sq_curve_auth_allow (sq_curve_auth_t *self, const char *public_key, const char *name)
{
    assert (self);
    assert (public_key && name);
    if (strlen (public_key) != S_KEY_SIZE)
        return sq_error_set ("'%.60s' is not a Z85 CURVE public key", public_key);
    if (zstr_sendx (self->actor, "ALLOW", public_key, name, NULL))
        return sq_error_set ("the CURVE authenticator is gone");
    return zsock_wait (self->actor) == 0 ? 0 : sq_error_set ("the CURVE authenticator is gone");
}

void
sq_curve_auth_forget (sq_curve_auth_t *self, const char *public_key)
{
    assert (self);
    assert (public_key);
    if (zstr_sendx (self->actor, "FORGET", public_key, NULL) == 0)
        zsock_wait (self->actor);
}

uint64_t
sq_curve_auth_refused (sq_curve_auth_t *self)
{
    assert (self);
    return atomic_load (&self->state.refused);
}

int
sq_curve_auth_watch (sq_curve_auth_t *self, zsock_t *sock)
{
    assert (self);
    assert (sock);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://sq-curve-auth-watch-%p", (void *) sock);
    if (zmq_socket_monitor (
            zsock_resolve (sock), endpoint,
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0)
        return sq_error_set ("cannot watch a socket: %s", zmq_strerror (zmq_errno ()));
    if (zstr_sendx (self->actor, "WATCH", endpoint, NULL) || zsock_wait (self->actor))
        return sq_error_set ("the CURVE authenticator is gone");
    return 0;
}

uint64_t
sq_curve_auth_handshakes_failed (sq_curve_auth_t *self)
{
    assert (self);
    return atomic_load (&self->state.failed);
}

uint64_t
sq_curve_auth_disconnects (sq_curve_auth_t *self)
{
    assert (self);
    return atomic_load (&self->state.disconnects);
}

int
sq_curve_auth_limit (sq_curve_auth_t *self, size_t per_address, size_t total)
{
    assert (self);
    char first[24];
    char second[24];
    snprintf (first, sizeof first, "%zu", per_address);
    snprintf (second, sizeof second, "%zu", total);
    if (zstr_sendx (self->actor, "LIMIT", first, second, NULL) || zsock_wait (self->actor))
        return sq_error_set ("the CURVE authenticator is gone");
    return 0;
}

uint64_t
sq_curve_auth_over_limit (sq_curve_auth_t *self)
{
    assert (self);
    return atomic_load (&self->state.over_limit);
}

size_t
sq_curve_auth_open (sq_curve_auth_t *self)
{
    assert (self);
    return atomic_load (&self->state.open);
}
