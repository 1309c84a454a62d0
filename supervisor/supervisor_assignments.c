/*  supervisor_assignments - which worker each slot of this supervisor runs */
#include "supervisor_assignments.h"
#include "sq_assignment.h"
#include "sq_config.h"
#include "sq_topology_record.h"
#include "sq_error.h"
#include "sq_slot_paths.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct _supervisor_assignments_t {
    sq_zk_t *zk;              //  session to read through (borrowed)
    char *supervisor_id;      //  this supervisor's id
    int *ports;               //  this supervisor's slot ports
    size_t port_count;        //  number of slot ports
    supervisor_slot_t *slots; //  what each port should run, in the order of ports
    bool stale;               //  an event or a new session asks for a sync
    bool ready;               //  a sync has succeeded
};

static void
s_slot_clear (supervisor_slot_t *slot)
{
    free (slot->topology_name);
    free (slot->topology_id);
    free (slot->checksum);
    free (slot->submitter);
    free (slot->executors);
    int port = slot->port;
    memset (slot, 0, sizeof *slot);
    slot->port = port;
}

static void
s_slots_destroy (supervisor_slot_t **slots_p, size_t count)
{
    supervisor_slot_t *slots = *slots_p;
    if (!slots)
        return;
    for (size_t i = 0; i < count; i++)
        s_slot_clear (&slots[i]);
    free (slots);
    *slots_p = NULL;
}

supervisor_assignments_t *
supervisor_assignments_new (sq_zk_t *zk, const char *supervisor_id, const int *ports,
                            size_t port_count)
{
    assert (zk);
    assert (supervisor_id);
    assert (ports || port_count == 0);
    supervisor_assignments_t *self = calloc (1, sizeof (supervisor_assignments_t));
    if (!self)
        return NULL;
    self->zk = zk;
    self->supervisor_id = strdup (supervisor_id);
    self->ports = calloc (port_count ? port_count : 1, sizeof (int));
    self->slots = calloc (port_count ? port_count : 1, sizeof (supervisor_slot_t));
    self->port_count = port_count;
    self->stale = true;
    if (!self->supervisor_id || !self->ports || !self->slots) {
        supervisor_assignments_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < port_count; i++)
        self->ports[i] = self->slots[i].port = ports[i];
    return self;
}

void
supervisor_assignments_destroy (supervisor_assignments_t **self_p)
{
    assert (self_p);
    supervisor_assignments_t *self = *self_p;
    if (!self)
        return;
    s_slots_destroy (&self->slots, self->port_count);
    free (self->ports);
    free (self->supervisor_id);
    free (self);
    *self_p = NULL;
}

bool
supervisor_assignments_handle_event (supervisor_assignments_t *self, const sq_zk_event_t *event)
{
    assert (self);
    assert (event);
    if (strcmp (event->path, "/assignments") == 0 ||
        strncmp (event->path, "/assignments/", 13) == 0 ||
        strncmp (event->path, "/topologies/", 12) == 0) {
        self->stale = true;
        return true;
    }
    return false;
}

void
supervisor_assignments_invalidate (supervisor_assignments_t *self)
{
    assert (self);
    self->stale = true;
}

bool
supervisor_assignments_stale (supervisor_assignments_t *self)
{
    assert (self);
    return self->stale;
}

bool
supervisor_assignments_ready (supervisor_assignments_t *self)
{
    assert (self);
    return self->ready;
}

const supervisor_slot_t *
supervisor_assignments_slot (supervisor_assignments_t *self, int port)
{
    assert (self);
    for (size_t i = 0; i < self->port_count; i++)
        if (self->slots[i].port == port)
            return self->slots[i].topology_name ? &self->slots[i] : NULL;
    return NULL;
}

//  Index of port among our slot ports, or -1.
static int
s_port_index (supervisor_assignments_t *self, int port)
{
    for (size_t i = 0; i < self->port_count; i++)
        if (self->ports[i] == port)
            return (int) i;
    return -1;
}

//  Reads /topologies/<name>, watched. Returns 0 with *record_p set (NULL
//  when the node is missing or does not decode, which is logged), or -1
//  when ZooKeeper failed.
static int
s_read_topology (supervisor_assignments_t *self, const char *name, sq_topology_record_t **record_p)
{
    *record_p = NULL;
    char *path = zsys_sprintf ("/topologies/%s", name);
    if (!path)
        return sq_error_set ("out of memory");
    char *data = NULL;
    size_t size = 0;
    int rc = sq_zk_get (self->zk, path, &data, &size, true);
    if (rc == SQ_ENONODE) {
        //  Watch for its creation. Created meanwhile, it gets a data watch
        //  instead, and no event would come: read everything again.
        if (sq_zk_exists (self->zk, path, true))
            self->stale = true;
        zsys_warning ("supervisor=%s topology=%s has an assignment but no record at %s",
                      self->supervisor_id, name, path);
        rc = 0;
    } else if (rc == 0) {
        *record_p = sq_topology_record_decode (data, size);
        if (!*record_p)
            zsys_warning ("supervisor=%s topology=%s ignoring malformed record: %s",
                          self->supervisor_id, name, sq_last_error ());
    }
    free (data);
    free (path);
    return rc == 0 ? 0 : -1;
}

//  Fills the slots of slots (indexed as self->ports) that assignment gives
//  this supervisor. Returns 0, or -1 when ZooKeeper failed.
static int
s_apply_assignment (supervisor_assignments_t *self, const char *name,
                    const sq_assignment_t *assignment, supervisor_slot_t *slots)
{
    size_t mine = sq_assignment_supervisor_slots (assignment, self->supervisor_id, NULL, 0);
    if (mine == 0)
        return 0;
    if (strcmp (assignment->topology_name, name) != 0)
        zsys_warning ("supervisor=%s topology=%s assignment names topology '%s'; using the "
                      "node name",
                      self->supervisor_id, name, assignment->topology_name);
    if (!sq_slot_paths_safe_name (name) || !sq_slot_paths_safe_name (assignment->topology_id)) {
        zsys_warning ("supervisor=%s topology=%s ignoring assignment: topology name or id '%s' "
                      "cannot be a file name",
                      self->supervisor_id, name, assignment->topology_id);
        return 0;
    }
    sq_topology_record_t *record = NULL;
    if (s_read_topology (self, name, &record))
        return -1;
    if (!record)
        return 0;
    if (record->status == SQ_TOPOLOGY_KILLED)
        zsys_debug ("supervisor=%s topology=%s is killed; its slots stay empty",
                    self->supervisor_id, name);
    else if (strcmp (record->id, assignment->topology_id) != 0)
        zsys_info ("supervisor=%s topology=%s assignment is for id=%s, the record for id=%s; "
                   "waiting for nimbus",
                   self->supervisor_id, name, assignment->topology_id, record->id);
    else
        for (size_t w = 0; w < assignment->worker_count; w++) {
            const sq_assignment_worker_t *worker = &assignment->workers[w];
            if (strcmp (worker->supervisor_id, self->supervisor_id) != 0)
                continue;
            int index = s_port_index (self, worker->port);
            if (index < 0) {
                zsys_warning ("supervisor=%s topology=%s is assigned port=%d, which is not "
                              "one of this supervisor's slots",
                              self->supervisor_id, name, worker->port);
                continue;
            }
            supervisor_slot_t *slot = &slots[index];
            if (slot->topology_name) {
                zsys_warning ("supervisor=%s port=%d is assigned to topology=%s and "
                              "topology=%s; keeping %s",
                              self->supervisor_id, worker->port, slot->topology_name, name,
                              slot->topology_name);
                continue;
            }
            slot->topology_name = strdup (name);
            slot->topology_id = strdup (assignment->topology_id);
            slot->checksum = strdup (record->package_checksum);
            //  Written by nimbus at submit: the same for the whole id.
            const char *submitter =
                sq_config_string (record->config, "topology.submitter.user", NULL);
            slot->submitter = submitter ? strdup (submitter) : NULL;
            slot->max_heap_mb =
                sq_config_int (record->config, "topology.worker.max.heap.size.mb", 768);
            slot->generation = assignment->generation;
            slot->executors = sq_assignment_worker_executors_text (worker);
            if (!slot->topology_name || !slot->topology_id || !slot->checksum || !slot->executors) {
                sq_topology_record_destroy (&record);
                return sq_error_set ("out of memory");
            }
        }
    sq_topology_record_destroy (&record);
    return 0;
}

//  Reads every assignment into slots. Returns 0 or -1.
static int
s_read_all (supervisor_assignments_t *self, supervisor_slot_t *slots)
{
    zlist_t *names = NULL;
    int rc = sq_zk_children (self->zk, "/assignments", &names, true);
    if (rc == SQ_ENONODE) {
        //  No topology was ever assigned: watch for the node (as above,
        //  read again when it appeared meanwhile).
        if (sq_zk_exists (self->zk, "/assignments", true))
            self->stale = true;
        return 0;
    }
    if (rc < 0)
        return -1;
    for (const char *name = zlist_first (names); name && rc >= 0; name = zlist_next (names)) {
        char *path = zsys_sprintf ("/assignments/%s", name);
        char *data = NULL;
        size_t size = 0;
        rc = path ? sq_zk_get (self->zk, path, &data, &size, true) : -1;
        if (rc == SQ_ENONODE)
            rc = 0; //  deleted since the listing; the children watch tells
        else if (rc == 0) {
            sq_assignment_t *assignment = sq_assignment_decode (data, size);
            if (assignment)
                rc = s_apply_assignment (self, name, assignment, slots);
            else
                zsys_warning ("supervisor=%s topology=%s ignoring malformed assignment: %s",
                              self->supervisor_id, name, sq_last_error ());
            sq_assignment_destroy (&assignment);
        }
        free (data);
        free (path);
    }
    zlist_destroy (&names);
    return rc < 0 ? -1 : 0;
}

static bool
s_same_slot (const supervisor_slot_t *a, const supervisor_slot_t *b)
{
    if (!a->topology_name || !b->topology_name)
        return !a->topology_name && !b->topology_name;
    return strcmp (a->topology_name, b->topology_name) == 0 &&
           strcmp (a->topology_id, b->topology_id) == 0 &&
           strcmp (a->executors, b->executors) == 0 && strcmp (a->checksum, b->checksum) == 0;
}

int
supervisor_assignments_sync (supervisor_assignments_t *self)
{
    assert (self);
    if (!self->stale)
        return 0;
    //  Cleared first: an event arriving during the reads marks it again.
    self->stale = false;
    supervisor_slot_t *slots =
        calloc (self->port_count ? self->port_count : 1, sizeof (supervisor_slot_t));
    if (!slots) {
        self->stale = true;
        return sq_error_set ("out of memory");
    }
    for (size_t i = 0; i < self->port_count; i++)
        slots[i].port = self->ports[i];
    if (s_read_all (self, slots)) {
        zsys_warning ("supervisor=%s cannot read assignments, keeping the previous view: %s",
                      self->supervisor_id, sq_last_error ());
        s_slots_destroy (&slots, self->port_count);
        self->stale = true;
        return -1;
    }
    for (size_t i = 0; i < self->port_count; i++) {
        const supervisor_slot_t *now = &slots[i];
        if (s_same_slot (&self->slots[i], now))
            continue;
        if (now->topology_name)
            zsys_info ("supervisor=%s port=%d assigned topology=%s id=%s generation=%lld "
                       "executors=%s",
                       self->supervisor_id, now->port, now->topology_name, now->topology_id,
                       (long long) now->generation, now->executors);
        else
            zsys_info ("supervisor=%s port=%d unassigned", self->supervisor_id, now->port);
    }
    s_slots_destroy (&self->slots, self->port_count);
    self->slots = slots;
    self->ready = true;
    return 0;
}
