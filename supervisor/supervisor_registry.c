/*  supervisor_registry - the supervisor's membership node in ZooKeeper */
#include "supervisor_registry.h"
#include "sq_error.h"

#include <assert.h>

#include <stdlib.h>
#include <string.h>

struct _supervisor_registry_t {
    sq_zk_t *zk;             //  session the node lives in (borrowed)
    char *id;                //  supervisor id
    char *path;              //  "/supervisors/<id>"
    char *record;            //  encoded sq_supervisor_info_t, the node's data
    bool registered;         //  the node is believed to exist
    bool check;              //  an event asks to look at the node again
    bool deleted;            //  the watch saw the node deleted while our session lived
    int64_t deleted_at;      //  monotonic ms of that deletion
    int64_t deleted_session; //  the session it happened in
};

//  How long a supervisor whose node was deleted under it waits before it
//  creates the node again: time for a second supervisor with its id, which
//  deletes the node to replace it, to create its own.
#define S_TAKEOVER_GRACE_MS 1000

supervisor_registry_t *
supervisor_registry_new (sq_zk_t *zk, const sq_supervisor_info_t *info)
{
    assert (zk);
    assert (info);
    supervisor_registry_t *self = calloc (1, sizeof (supervisor_registry_t));
    if (!self)
        return NULL;
    self->zk = zk;
    self->id = strdup (info->id);
    self->path = zsys_sprintf ("/supervisors/%s", info->id);
    self->record = sq_supervisor_info_encode (info);
    if (!self->id || !self->path || !self->record)
        supervisor_registry_destroy (&self);
    return self;
}

void
supervisor_registry_destroy (supervisor_registry_t **self_p)
{
    assert (self_p);
    supervisor_registry_t *self = *self_p;
    if (!self)
        return;
    free (self->id);
    free (self->path);
    free (self->record);
    free (self);
    *self_p = NULL;
}

//  True when our node was deleted by someone else in the current session
//  and we have not registered since.
static bool
s_deleted_in_this_session (supervisor_registry_t *self)
{
    return self->deleted && self->deleted_session == sq_zk_session_id (self->zk);
}

int
supervisor_registry_register (supervisor_registry_t *self)
{
    assert (self);
    self->registered = false;
    self->check = false;
    //  Seen deleted in this session: the node that is there now is not a
    //  leftover of ours, so it is not ours to replace.
    bool may_replace = !s_deleted_in_this_session (self);
    size_t size = strlen (self->record);
    int rc = sq_zk_create (self->zk, self->path, self->record, size, true);
    if (rc == SQ_ENODEEXISTS && may_replace) {
        //  Left by an earlier session of ours (a restart within the session
        //  timeout), or a second supervisor with our id: take it over.
        zsys_warning ("supervisor=%s replacing node %s left by an earlier session", self->id,
                      self->path);
        rc = sq_zk_delete (self->zk, self->path, false);
        if (rc == 0 || rc == SQ_ENONODE)
            rc = sq_zk_create (self->zk, self->path, self->record, size, true);
    }
    if (rc != 0) {
        zsys_warning ("supervisor=%s not registered: %s", self->id, sq_last_error ());
        return -1;
    }
    //  The watch reports a deletion by anyone but our session's end.
    if (!sq_zk_exists (self->zk, self->path, true)) {
        zsys_warning ("supervisor=%s node %s vanished after its creation: %s", self->id, self->path,
                      sq_last_error ());
        return -1;
    }
    self->registered = true;
    self->deleted = false;
    zsys_info ("supervisor=%s registered node=%s session=%llx", self->id, self->path,
               (unsigned long long) sq_zk_session_id (self->zk));
    return 0;
}

bool
supervisor_registry_handle_event (supervisor_registry_t *self, const sq_zk_event_t *event)
{
    assert (self);
    assert (event);
    if (strcmp (event->path, self->path) != 0)
        return false;
    if (event->type == SQ_ZK_DELETED) {
        zsys_warning ("supervisor=%s node %s was deleted", self->id, self->path);
        self->registered = false;
        self->deleted = true;
        self->deleted_at = zclock_mono ();
        self->deleted_session = sq_zk_session_id (self->zk);
    } else
        //  Created or changed by someone else: look again, which re-arms
        //  the watch.
        self->check = true;
    return true;
}

//  True when the node that was deleted under our live session is back,
//  owned by another live session: a second supervisor with our id replaced
//  it. Taking it back would only make the two replace each other forever.
static bool
s_taken_over (supervisor_registry_t *self)
{
    int64_t owner = 0;
    if (sq_zk_owner (self->zk, self->path, &owner) != 0)
        return false;
    if (owner == 0 || owner == sq_zk_session_id (self->zk))
        return false;
    zsys_error ("supervisor=%s another supervisor with this id took over node %s (session=%llx); "
                "give each supervisor its own id",
                self->id, self->path, (unsigned long long) owner);
    return true;
}

int
supervisor_registry_sync (supervisor_registry_t *self)
{
    assert (self);
    if (self->registered && self->check) {
        self->check = false;
        char *data = NULL;
        size_t size = 0;
        int rc = sq_zk_get (self->zk, self->path, &data, &size, true);
        if (rc == SQ_ENONODE)
            self->registered = false;
        else if (rc == 0 && (size != strlen (self->record) || memcmp (data, self->record, size)))
            zsys_warning ("supervisor=%s node %s was overwritten by another process", self->id,
                          self->path);
        else if (rc != 0)
            self->check = true;
        free (data);
    }
    if (self->registered)
        return 0;
    if (s_deleted_in_this_session (self)) {
        if (s_taken_over (self))
            return sq_error_set_code (SQ_ETAKENOVER, "supervisor=%s node %s taken over", self->id,
                                      self->path);
        if (zclock_mono () - self->deleted_at < S_TAKEOVER_GRACE_MS)
            return -1;
    }
    return supervisor_registry_register (self);
}

bool
supervisor_registry_registered (supervisor_registry_t *self)
{
    assert (self);
    return self->registered;
}

int
supervisor_registry_deregister (supervisor_registry_t *self)
{
    assert (self);
    if (!self->registered)
        return 0;
    self->registered = false;
    int rc = sq_zk_delete (self->zk, self->path, false);
    if (rc != 0 && rc != SQ_ENONODE) {
        zsys_warning ("supervisor=%s node %s not deleted: %s", self->id, self->path,
                      sq_last_error ());
        return -1;
    }
    zsys_info ("supervisor=%s deregistered node=%s", self->id, self->path);
    return 0;
}

const char *
supervisor_registry_path (supervisor_registry_t *self)
{
    assert (self);
    return self->path;
}
