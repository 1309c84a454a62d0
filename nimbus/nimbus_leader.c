/*  nimbus_leader - which nimbus leads, elected through ZooKeeper */
#include "nimbus_leader.h"
#include "sq_error.h"
#include "squall.h"

#include <string.h>
#include <time.h>

#define S_LEADER_PATH "/leader"     //  the ephemeral node the leader holds
#define S_NIMBUSES_PATH "/nimbuses" //  parent of every nimbus's own node
#define S_MAX_NIMBUSES 64           //  most registered nimbuses listed

struct _nimbus_leader_t {
    sq_zk_t *zk;           //  nimbus_cluster's session (borrowed)
    char *name;            //  "host:port": the name of our node
    char *path;            //  "/nimbuses/host:port"
    char *data;            //  our node's JSON data
    bool leader;           //  we lead
    bool registered;       //  our node exists in the current session
    int64_t session;       //  session the registration belongs to
    char *leader_endpoint; //  "tcp://host:port" of the leader, or NULL
};

nimbus_leader_t *
nimbus_leader_new (sq_zk_t *zk, const char *endpoint, int64_t ui_port)
{
    assert (zk);
    assert (endpoint);
    nimbus_leader_t *self = calloc (1, sizeof (nimbus_leader_t));
    if (!self)
        return NULL;
    self->zk = zk;
    const char *name = strncmp (endpoint, "tcp://", 6) == 0 ? endpoint + 6 : endpoint;
    self->name = strdup (name);
    self->path = zsys_sprintf ("%s/%s", S_NIMBUSES_PATH, name);
    const char *colon = strrchr (name, ':');
    json_t *data = json_pack (
        "{s:s%, s:I, s:I, s:s, s:I}", "host", name, colon ? (size_t) (colon - name) : strlen (name),
        "port", (json_int_t) (colon ? atoll (colon + 1) : 0), "ui_port", (json_int_t) ui_port,
        "version", PACKAGE_VERSION, "started", (json_int_t) time (NULL));
    self->data = data ? json_dumps (data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref (data);
    if (!self->name || !self->path || !self->data)
        nimbus_leader_destroy (&self);
    return self;
}

void
nimbus_leader_destroy (nimbus_leader_t **self_p)
{
    assert (self_p);
    nimbus_leader_t *self = *self_p;
    if (!self)
        return;
    //  Hand over at once rather than after our session times out.
    if (self->zk && sq_zk_connected (self->zk)) {
        int64_t owner = 0;
        int64_t session = sq_zk_session_id (self->zk);
        if (self->leader && sq_zk_owner (self->zk, S_LEADER_PATH, &owner) == 0 && owner == session)
            sq_zk_delete (self->zk, S_LEADER_PATH, false);
        if (self->path && sq_zk_owner (self->zk, self->path, &owner) == 0 && owner == session)
            sq_zk_delete (self->zk, self->path, false);
    }
    free (self->name);
    free (self->path);
    free (self->data);
    free (self->leader_endpoint);
    free (self);
    *self_p = NULL;
}

//  Make sure our own node exists and belongs to this session (a node of
//  an earlier session of ours, say before a quick restart, goes first).
//  Returns 0 or -1.
static int
s_register (nimbus_leader_t *self, int64_t session)
{
    if (self->registered && self->session == session)
        return 0;
    int64_t owner = 0;
    int rc = sq_zk_owner (self->zk, self->path, &owner);
    if (rc == 0 && owner != session) {
        if (sq_zk_delete (self->zk, self->path, false) &&
            sq_zk_exists (self->zk, self->path, false))
            return -1;
        rc = SQ_ENONODE;
    }
    if (rc == SQ_ENONODE)
        rc = sq_zk_create (self->zk, self->path, self->data, strlen (self->data), true);
    if (rc != 0)
        return -1;
    self->registered = true;
    self->session = session;
    zsys_info ("leader: registered as %s session=0x%llx", self->path, (unsigned long long) session);
    return 0;
}

//  Remember the leader's endpoint from the JSON of the /leader node.
static void
s_note_leader (nimbus_leader_t *self, const char *data, size_t size)
{
    json_t *object = json_loadb (data, size, 0, NULL);
    const char *host = json_string_value (json_object_get (object, "host"));
    json_int_t port = json_integer_value (json_object_get (object, "port"));
    char *endpoint = host && *host && port > 0 && port < 65536
                         ? zsys_sprintf ("tcp://%s:%lld", host, (long long) port)
                         : NULL;
    json_decref (object);
    if (endpoint && self->leader_endpoint && strcmp (endpoint, self->leader_endpoint) == 0) {
        free (endpoint);
        return;
    }
    free (self->leader_endpoint);
    self->leader_endpoint = endpoint;
    if (endpoint)
        zsys_info ("leader: the leader is %s", endpoint);
}

//  Read /leader (arming a watch), and create it when absent and we are
//  eligible. Returns whether we hold it; false on errors too.
static bool
s_elect (nimbus_leader_t *self, int64_t session, bool eligible)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char *data = NULL;
        size_t size = 0;
        int rc = sq_zk_get (self->zk, S_LEADER_PATH, &data, &size, true);
        if (rc == 0) {
            s_note_leader (self, data, size);
            free (data);
            int64_t owner = 0;
            if (sq_zk_owner (self->zk, S_LEADER_PATH, &owner) != 0)
                return false;
            if (owner == session)
                return true;
            //  Our own address in another session: this nimbus before a
            //  crash (we hold its port now). Take the lock back at once
            //  rather than wait for that session to expire.
            if (!eligible || !self->leader_endpoint ||
                strcmp (self->leader_endpoint + strlen ("tcp://"), self->name) != 0)
                return false;
            zsys_info ("leader: the lock is held by this nimbus's previous session 0x%llx; "
                       "taking it back",
                       (unsigned long long) owner);
            if (sq_zk_delete (self->zk, S_LEADER_PATH, false) != 0 &&
                sq_zk_exists (self->zk, S_LEADER_PATH, false))
                return false;
            continue;
        }
        free (self->leader_endpoint);
        self->leader_endpoint = NULL;
        if (rc != SQ_ENONODE)
            return false;
        //  No leader: watch for one, and stand if we may.
        if (!eligible) {
            sq_zk_exists (self->zk, S_LEADER_PATH, true);
            return false;
        }
        rc = sq_zk_create (self->zk, S_LEADER_PATH, self->data, strlen (self->data), true);
        if (rc != 0 && rc != SQ_ENODEEXISTS)
            return false;
        //  Created, or another nimbus won: read it again either way.
    }
    return false;
}

nimbus_leader_change_t
nimbus_leader_check (nimbus_leader_t *self, bool eligible)
{
    assert (self);
    bool was = self->leader;
    if (!sq_zk_connected (self->zk) || sq_zk_expired (self->zk)) {
        //  Fencing: whoever holds the lock, it may not be us for long.
        self->leader = false;
        if (sq_zk_expired (self->zk))
            self->registered = false;
    } else {
        int64_t session = sq_zk_session_id (self->zk);
        if (s_register (self, session))
            zsys_warning ("leader: cannot register %s: %s", self->path, sq_last_error ());
        self->leader = s_elect (self, session, eligible);
    }
    if (self->leader == was)
        return NIMBUS_LEADER_SAME;
    if (self->leader)
        zsys_info ("leader: %s leads now", self->name);
    else
        zsys_warning ("leader: %s no longer leads (%s)", self->name,
                      sq_zk_connected (self->zk) ? "another nimbus holds the lock"
                                                 : "ZooKeeper connection lost");
    return self->leader ? NIMBUS_LEADER_GAINED : NIMBUS_LEADER_LOST;
}

bool
nimbus_leader_is_leader (nimbus_leader_t *self)
{
    assert (self);
    //  The connection is checked live: fencing must not wait for the
    //  owner to take the DISCONNECTED event from the queue.
    return self->leader && sq_zk_connected (self->zk);
}

const char *
nimbus_leader_endpoint (nimbus_leader_t *self)
{
    assert (self);
    return self->leader_endpoint;
}

json_t *
nimbus_leader_nimbuses (nimbus_leader_t *self, int64_t now)
{
    assert (self);
    zlist_t *names = NULL;
    if (sq_zk_children (self->zk, S_NIMBUSES_PATH, &names, false) < 0)
        return NULL;
    json_t *list = json_array ();
    const char *leader = self->leader_endpoint ? self->leader_endpoint + 6 : "";
    size_t count = 0;
    for (const char *name = zlist_first (names); list && name && count < S_MAX_NIMBUSES;
         name = zlist_next (names)) {
        char *path = zsys_sprintf ("%s/%s", S_NIMBUSES_PATH, name);
        char *data = NULL;
        size_t size = 0;
        int rc = path ? sq_zk_get (self->zk, path, &data, &size, false) : -1;
        free (path);
        json_t *record = rc == 0 ? json_loadb (data, size, 0, NULL) : NULL;
        free (data);
        const char *host = json_string_value (json_object_get (record, "host"));
        json_int_t started = json_integer_value (json_object_get (record, "started"));
        const char *version = json_string_value (json_object_get (record, "version"));
        if (json_is_object (record) && host)
            json_array_append_new (
                list, json_pack ("{s:s, s:O, s:s, s:s, s:I, s:O}", "host", host, "port",
                                 json_object_get (record, "port"), "status",
                                 strcmp (name, leader) == 0 ? "Leader" : "Not a Leader", "version",
                                 version ? version : "", "nimbusUpTimeSeconds",
                                 (json_int_t) (started > 0 && now > started ? now - started : 0),
                                 "uiPort", json_object_get (record, "ui_port")));
        json_decref (record);
        count++;
    }
    zlist_destroy (&names);
    if (!list)
        sq_error_set ("out of memory");
    return list;
}
