/*  nimbus_cluster - nimbus's view of the cluster state in ZooKeeper */
#include "nimbus_cluster.h"
#include "sq_cluster_config.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_zk.h"

#include <string.h>

#define S_RECONNECT_PAUSE_MS 10000 //  pause between failed attempts to renew the session

struct _nimbus_cluster_t {
    sq_zk_t *zk;            //  the ZooKeeper session
    zhashx_t *supervisors;  //  id -> sq_supervisor_info_t, the live supervisors
    zhashx_t *topologies;   //  name -> sq_topology_record_t
    zhashx_t *assignments;  //  name -> sq_assignment_t
    bool session_lost;      //  the session expired and reconnecting failed
    int64_t retry_at;       //  monotonic ms before which no reconnection is tried
    bool supervisors_stale; //  re-reading the supervisors failed; try again
    zhashx_t *lost;         //  id -> "lost": registered, but lost by their heartbeats
};

static void
s_supervisor_destroy (void **item_p)
{
    sq_supervisor_info_destroy ((sq_supervisor_info_t **) item_p);
}

static void
s_topology_destroy (void **item_p)
{
    sq_topology_record_destroy ((sq_topology_record_t **) item_p);
}

static void
s_assignment_destroy (void **item_p)
{
    sq_assignment_destroy ((sq_assignment_t **) item_p);
}

//  New table whose values are destroyed with destructor.
static zhashx_t *
s_table (zhashx_destructor_fn *destructor)
{
    zhashx_t *table = zhashx_new ();
    if (table)
        zhashx_set_destructor (table, destructor);
    return table;
}

//  Create the parents of the records, so that watches have a node.
static int
s_make_roots (nimbus_cluster_t *self)
{
    static const char *roots[] = {"/supervisors", "/topologies", "/assignments"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        int rc = sq_zk_create (self->zk, roots[i], NULL, 0, false);
        if (rc != 0 && rc != SQ_ENODEEXISTS)
            return -1;
    }
    return 0;
}

//  Read the supervisors and arm the children watch. Logs who joined and
//  who left. Returns 0 or -1.
static int
s_load_supervisors (nimbus_cluster_t *self)
{
    zlist_t *children = NULL;
    int rc = sq_zk_children (self->zk, "/supervisors", &children, true);
    if (rc == SQ_ENONODE) {
        //  Someone deleted it: make it again, and watch the new one.
        if (s_make_roots (self))
            return -1;
        rc = sq_zk_children (self->zk, "/supervisors", &children, true);
    }
    if (rc < 0)
        return -1;
    zhashx_t *live = s_table (s_supervisor_destroy);
    for (const char *id = zlist_first (children); live && id; id = zlist_next (children)) {
        char *path = zsys_sprintf ("/supervisors/%s", id);
        char *data = NULL;
        size_t size = 0;
        int got = path ? sq_zk_get (self->zk, path, &data, &size, false) : -1;
        sq_supervisor_info_t *info = got == 0 ? sq_supervisor_info_decode (data, size) : NULL;
        if (got == 0 && !info)
            zsys_warning ("cluster: ignoring supervisor id=%s: %s", id, sq_last_error ());
        else if (info && strcmp (info->id, id) != 0) {
            zsys_warning ("cluster: ignoring supervisor id=%s: its record names id=%s", id,
                          info->id);
            sq_supervisor_info_destroy (&info);
        } else if (info) {
            if (!zhashx_lookup (self->supervisors, id))
                zsys_info ("cluster: supervisor joined id=%s host=%s slots=%zu", id, info->host,
                           info->port_count);
            zhashx_update (live, id, info);
        }
        free (data);
        zstr_free (&path);
    }
    zlist_destroy (&children);
    if (!live)
        return sq_error_set ("out of memory");
    for (void *item = zhashx_first (self->supervisors); item;
         item = zhashx_next (self->supervisors))
        if (!zhashx_lookup (live, zhashx_cursor (self->supervisors)))
            zsys_info ("cluster: supervisor left id=%s",
                       (const char *) zhashx_cursor (self->supervisors));
    zhashx_destroy (&self->supervisors);
    self->supervisors = live;
    self->supervisors_stale = false;
    return 0;
}

//  Read every node under parent and decode it with decode into a new
//  table keyed by node name. NULL when ZooKeeper could not be read.
static zhashx_t *
s_load_records (nimbus_cluster_t *self, const char *parent, zhashx_destructor_fn *destructor,
                void *(*decode) (const void *, size_t), const char *(*name_of) (void *) )
{
    zlist_t *children = NULL;
    if (sq_zk_children (self->zk, parent, &children, false) < 0)
        return NULL;
    zhashx_t *table = s_table (destructor);
    for (const char *name = zlist_first (children); table && name; name = zlist_next (children)) {
        char *path = zsys_sprintf ("%s/%s", parent, name);
        char *data = NULL;
        size_t size = 0;
        int got = path ? sq_zk_get (self->zk, path, &data, &size, false) : -1;
        void *record = got == 0 ? decode (data, size) : NULL;
        if (got == 0 && !record)
            zsys_warning ("cluster: ignoring node=%s: %s", path, sq_last_error ());
        else if (record && strcmp (name_of (record), name) != 0) {
            zsys_warning ("cluster: ignoring node=%s: its record names '%s'", path,
                          name_of (record));
            destructor (&record);
        } else if (record)
            zhashx_update (table, name, record);
        else if (got != SQ_ENONODE) {
            zsys_error ("cluster: cannot read node=%s: %s", path, sq_last_error ());
            zhashx_destroy (&table);
        }
        free (data);
        zstr_free (&path);
    }
    zlist_destroy (&children);
    return table;
}

static void *
s_decode_topology (const void *data, size_t size)
{
    return sq_topology_record_decode (data, size);
}

static const char *
s_topology_name (void *record)
{
    return ((sq_topology_record_t *) record)->name;
}

static void *
s_decode_assignment (const void *data, size_t size)
{
    return sq_assignment_decode (data, size);
}

static const char *
s_assignment_name (void *record)
{
    return ((sq_assignment_t *) record)->topology_name;
}

//  Rebuild the whole view from ZooKeeper. Returns 0 or -1.
static int
s_load (nimbus_cluster_t *self)
{
    if (s_make_roots (self))
        return -1;
    zhashx_t *topologies = s_load_records (self, "/topologies", s_topology_destroy,
                                           s_decode_topology, s_topology_name);
    zhashx_t *assignments = topologies ? s_load_records (self, "/assignments", s_assignment_destroy,
                                                         s_decode_assignment, s_assignment_name)
                                       : NULL;
    if (!topologies || !assignments) {
        zhashx_destroy (&topologies);
        return -1;
    }
    zhashx_destroy (&self->topologies);
    zhashx_destroy (&self->assignments);
    self->topologies = topologies;
    self->assignments = assignments;
    return s_load_supervisors (self);
}

//  With ZooKeeper credentials: the root and every node under it admit
//  only Squall's identity, also nodes made while auth was off. Returns 0
//  or -1 (a node nimbus cannot take over).
static int
s_protect (nimbus_cluster_t *self)
{
    int changed = sq_zk_protect (self->zk);
    if (changed > 0)
        zsys_warning ("cluster: %d ZooKeeper nodes had an ACL open to others; now only Squall's "
                      "digest identity may use them",
                      changed);
    return changed < 0 ? -1 : 0;
}

nimbus_cluster_t *
nimbus_cluster_new (const sq_config_t *config)
{
    assert (config);
    nimbus_cluster_t *self = calloc (1, sizeof (nimbus_cluster_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->supervisors = s_table (s_supervisor_destroy);
    self->topologies = s_table (s_topology_destroy);
    self->assignments = s_table (s_assignment_destroy);
    self->lost = s_table (NULL);
    if (!self->supervisors || !self->topologies || !self->assignments || !self->lost) {
        sq_error_set ("out of memory");
        nimbus_cluster_destroy (&self);
        return NULL;
    }
    self->zk = sq_cluster_config_connect (config);
    if (!self->zk || s_protect (self) || s_load (self)) {
        nimbus_cluster_destroy (&self);
        return NULL;
    }
    zsys_info ("cluster: connected to ZooKeeper session=0x%llx topologies=%zu assignments=%zu "
               "supervisors=%zu",
               (unsigned long long) sq_zk_session_id (self->zk), zhashx_size (self->topologies),
               zhashx_size (self->assignments), zhashx_size (self->supervisors));
    return self;
}

void
nimbus_cluster_destroy (nimbus_cluster_t **self_p)
{
    assert (self_p);
    nimbus_cluster_t *self = *self_p;
    if (!self)
        return;
    sq_zk_destroy (&self->zk);
    zhashx_destroy (&self->supervisors);
    zhashx_destroy (&self->topologies);
    zhashx_destroy (&self->assignments);
    zhashx_destroy (&self->lost);
    free (self);
    *self_p = NULL;
}

int
nimbus_cluster_fd (nimbus_cluster_t *self)
{
    assert (self);
    return sq_zk_fd (self->zk);
}

//  Open a new session after the old one expired and re-read everything.
static int
s_reconnect (nimbus_cluster_t *self)
{
    if (sq_zk_reconnect (self->zk) || s_load (self)) {
        zsys_error ("cluster: cannot renew the ZooKeeper session: %s", sq_last_error ());
        self->session_lost = true;
        //  Each attempt blocks up to the connection timeout: space them.
        self->retry_at = zclock_mono () + S_RECONNECT_PAUSE_MS;
        return -1;
    }
    zsys_info ("cluster: new ZooKeeper session=0x%llx; state re-read",
               (unsigned long long) sq_zk_session_id (self->zk));
    self->session_lost = false;
    return 0;
}

int
nimbus_cluster_handle_events (nimbus_cluster_t *self)
{
    assert (self);
    bool reload = false, expired = false;
    sq_zk_event_t event;
    while (sq_zk_next_event (self->zk, &event) == 1) {
        if (event.type == SQ_ZK_SESSION_EXPIRED)
            expired = true;
        else if (event.type == SQ_ZK_CONNECTED)
            zsys_info ("cluster: ZooKeeper connection back session=0x%llx",
                       (unsigned long long) sq_zk_session_id (self->zk));
        else if (event.type == SQ_ZK_DISCONNECTED)
            zsys_warning ("cluster: ZooKeeper connection lost; the client is reconnecting");
        else if (strcmp (event.path, "/supervisors") == 0)
            reload = true;
    }
    if (expired) {
        zsys_warning ("cluster: ZooKeeper session expired; opening a new one");
        s_reconnect (self);
        return 1;
    }
    if (reload && s_load_supervisors (self)) {
        zsys_warning ("cluster: cannot read the supervisors: %s", sq_last_error ());
        self->supervisors_stale = true;
    }
    return reload ? 1 : 0;
}

int
nimbus_cluster_reload (nimbus_cluster_t *self)
{
    assert (self);
    return s_load (self);
}

sq_zk_t *
nimbus_cluster_zk (nimbus_cluster_t *self)
{
    assert (self);
    return self->zk;
}

int
nimbus_cluster_check_session (nimbus_cluster_t *self)
{
    assert (self);
    if ((self->session_lost || sq_zk_expired (self->zk)) && zclock_mono () < self->retry_at)
        return -1;
    if (self->session_lost || sq_zk_expired (self->zk))
        return s_reconnect (self);
    if (self->supervisors_stale && s_load_supervisors (self))
        return -1;
    return 0;
}

//  The keys of table, sorted, copied into a new list. NULL when out of
//  memory.
static zlist_t *
s_sorted_keys (zhashx_t *table)
{
    zlist_t *keys = zlist_new ();
    if (!keys)
        return NULL;
    zlist_autofree (keys);
    for (void *item = zhashx_first (table); item; item = zhashx_next (table))
        zlist_append (keys, (void *) zhashx_cursor (table));
    zlist_sort (keys, (zlist_compare_fn *) strcmp);
    return keys;
}

zlist_t *
nimbus_cluster_topology_names (nimbus_cluster_t *self)
{
    assert (self);
    return s_sorted_keys (self->topologies);
}

const sq_topology_record_t *
nimbus_cluster_topology (nimbus_cluster_t *self, const char *name)
{
    assert (self);
    return zhashx_lookup (self->topologies, name);
}

const sq_topology_record_t *
nimbus_cluster_topology_by_id (nimbus_cluster_t *self, const char *id)
{
    assert (self);
    for (sq_topology_record_t *record = zhashx_first (self->topologies); record;
         record = zhashx_next (self->topologies))
        if (strcmp (record->id, id) == 0)
            return record;
    return NULL;
}

const sq_assignment_t *
nimbus_cluster_assignment (nimbus_cluster_t *self, const char *name)
{
    assert (self);
    return zhashx_lookup (self->assignments, name);
}

bool
nimbus_cluster_supervisor_alive (nimbus_cluster_t *self, const char *id)
{
    assert (self);
    return zhashx_lookup (self->supervisors, id) != NULL;
}

zlist_t *
nimbus_cluster_supervisor_ids (nimbus_cluster_t *self)
{
    assert (self);
    return s_sorted_keys (self->supervisors);
}

const sq_supervisor_info_t *
nimbus_cluster_supervisor (nimbus_cluster_t *self, const char *id)
{
    assert (self);
    return zhashx_lookup (self->supervisors, id);
}

int
nimbus_cluster_set_supervisor_lost (nimbus_cluster_t *self, const char *id, bool lost)
{
    assert (self);
    assert (id);
    if (!lost)
        zhashx_delete (self->lost, id);
    else if (!zhashx_lookup (self->lost, id) && zhashx_insert (self->lost, id, (void *) "lost"))
        return sq_error_set ("out of memory");
    return 0;
}

bool
nimbus_cluster_supervisor_lost (nimbus_cluster_t *self, const char *id)
{
    assert (self);
    assert (id);
    return zhashx_lookup (self->lost, id) != NULL;
}

size_t
nimbus_cluster_supervisor_count (nimbus_cluster_t *self)
{
    assert (self);
    return zhashx_size (self->supervisors);
}

//  True when some assignment uses supervisor_id:port.
static bool
s_slot_used (nimbus_cluster_t *self, const char *supervisor_id, int port)
{
    for (sq_assignment_t *assignment = zhashx_first (self->assignments); assignment;
         assignment = zhashx_next (self->assignments))
        if (sq_assignment_find_slot (assignment, supervisor_id, port))
            return true;
    return false;
}

size_t
nimbus_cluster_free_slot_count (nimbus_cluster_t *self)
{
    assert (self);
    size_t count = 0;
    for (sq_supervisor_info_t *info = zhashx_first (self->supervisors); info;
         info = zhashx_next (self->supervisors))
        for (size_t p = 0; p < info->port_count; p++)
            count += !s_slot_used (self, info->id, info->ports[p]);
    return count;
}

//  Write the encoded record to path, creating it (exclusive) or replacing it.
static int
s_write (nimbus_cluster_t *self, const char *path, char *data, bool exclusive)
{
    if (!data)
        return sq_error_set ("out of memory");
    int rc = exclusive ? sq_zk_create (self->zk, path, data, strlen (data), false)
                       : sq_zk_set (self->zk, path, data, strlen (data));
    free (data);
    return rc == 0 ? 0 : -1;
}

int
nimbus_cluster_add (nimbus_cluster_t *self, sq_topology_record_t **record_p,
                    sq_assignment_t **assignment_p)
{
    assert (self);
    assert (record_p && *record_p);
    assert (assignment_p && *assignment_p);
    sq_topology_record_t *record = *record_p;
    sq_assignment_t *assignment = *assignment_p;
    *record_p = NULL;
    *assignment_p = NULL;
    char *topology_path = zsys_sprintf ("/topologies/%s", record->name);
    char *assignment_path = zsys_sprintf ("/assignments/%s", record->name);
    int rc = -1;
    if (!topology_path || !assignment_path)
        sq_error_set ("out of memory");
    else if (s_write (self, topology_path, sq_topology_record_encode (record), true) == 0) {
        rc = s_write (self, assignment_path, sq_assignment_encode (assignment), false);
        if (rc) {
            char error[512];
            snprintf (error, sizeof error, "%s", sq_last_error ());
            sq_zk_delete (self->zk, topology_path, false);
            sq_error_set ("%s", error);
        }
    }
    if (rc == 0) {
        zhashx_update (self->topologies, record->name, record);
        zhashx_update (self->assignments, assignment->topology_name, assignment);
    } else {
        sq_topology_record_destroy (&record);
        sq_assignment_destroy (&assignment);
    }
    zstr_free (&topology_path);
    zstr_free (&assignment_path);
    return rc;
}

//  Write the in-memory record of topology name as it is now.
static int
s_write_topology (nimbus_cluster_t *self, sq_topology_record_t *record)
{
    char *path = zsys_sprintf ("/topologies/%s", record->name);
    int rc = path ? s_write (self, path, sq_topology_record_encode (record), false)
                  : sq_error_set ("out of memory");
    zstr_free (&path);
    return rc;
}

int
nimbus_cluster_set_status (nimbus_cluster_t *self, const char *name, sq_topology_status_t status)
{
    assert (self);
    sq_topology_record_t *record = zhashx_lookup (self->topologies, name);
    assert (record);
    sq_topology_status_t old = record->status;
    record->status = status;
    if (s_write_topology (self, record)) {
        record->status = old;
        return -1;
    }
    return 0;
}

int
nimbus_cluster_set_trace_rate (nimbus_cluster_t *self, const char *name, double rate)
{
    assert (self);
    assert (rate >= 0 && rate <= 1);
    sq_topology_record_t *record = zhashx_lookup (self->topologies, name);
    assert (record);
    sq_config_t *before = sq_config_dup (record->config);
    json_t *value = json_real (rate);
    int rc = before && value
                 ? sq_config_set_json (record->config, "topology.trace.sample.rate", value)
                 : sq_error_set ("out of memory");
    json_decref (value);
    if (rc == 0 && s_write_topology (self, record)) {
        sq_config_destroy (&record->config);
        record->config = before;
        before = NULL;
        rc = -1;
    }
    sq_config_destroy (&before);
    return rc;
}

int
nimbus_cluster_begin_rebalance (nimbus_cluster_t *self, const char *name, int workers,
                                int64_t due_ms)
{
    assert (self);
    assert (workers > 0);
    sq_topology_record_t *record = zhashx_lookup (self->topologies, name);
    assert (record);
    assert (record->status != SQ_TOPOLOGY_KILLED);
    sq_topology_record_t before = *record;
    record->rebalance_resume = record->status;
    record->status = SQ_TOPOLOGY_INACTIVE;
    record->rebalance_workers = workers;
    record->rebalance_due = due_ms;
    if (s_write_topology (self, record)) {
        *record = before;
        return -1;
    }
    return 0;
}

int
nimbus_cluster_end_rebalance (nimbus_cluster_t *self, const char *name)
{
    assert (self);
    sq_topology_record_t *record = zhashx_lookup (self->topologies, name);
    assert (record);
    assert (record->rebalance_workers > 0);
    sq_topology_record_t before = *record;
    record->status = record->rebalance_resume;
    record->workers = record->rebalance_workers;
    record->rebalance_workers = 0;
    record->rebalance_resume = SQ_TOPOLOGY_ACTIVE;
    record->rebalance_due = 0;
    if (s_write_topology (self, record)) {
        *record = before;
        return -1;
    }
    return 0;
}

int
nimbus_cluster_put_assignment (nimbus_cluster_t *self, sq_assignment_t **assignment_p)
{
    assert (self);
    assert (assignment_p && *assignment_p);
    sq_assignment_t *assignment = *assignment_p;
    *assignment_p = NULL;
    char *path = zsys_sprintf ("/assignments/%s", assignment->topology_name);
    int rc = path ? s_write (self, path, sq_assignment_encode (assignment), false)
                  : sq_error_set ("out of memory");
    zstr_free (&path);
    if (rc == 0)
        zhashx_update (self->assignments, assignment->topology_name, assignment);
    else
        sq_assignment_destroy (&assignment);
    return rc;
}

int
nimbus_cluster_remove (nimbus_cluster_t *self, const char *name)
{
    assert (self);
    char *assignment_path = zsys_sprintf ("/assignments/%s", name);
    char *topology_path = zsys_sprintf ("/topologies/%s", name);
    int rc = -1;
    if (!assignment_path || !topology_path)
        sq_error_set ("out of memory");
    else {
        rc = sq_zk_delete (self->zk, assignment_path, false);
        if (rc == 0 || rc == SQ_ENONODE) {
            zhashx_delete (self->assignments, name);
            rc = sq_zk_delete (self->zk, topology_path, false);
        }
        if (rc == 0 || rc == SQ_ENONODE) {
            zhashx_delete (self->topologies, name);
            rc = 0;
        }
    }
    zstr_free (&assignment_path);
    zstr_free (&topology_path);
    return rc == 0 ? 0 : -1;
}

sq_assignment_t *
nimbus_cluster_schedule (nimbus_cluster_t *self, const sq_topology_record_t *record,
                         const nimbus_executor_t *executors, size_t executor_count,
                         const nimbus_slot_t *dead_slots, size_t dead_slot_count, int workers)
{
    assert (self);
    assert (record);
    const char *name = record->name;
    const sq_assignment_t *current = zhashx_lookup (self->assignments, name);
    if (current && strcmp (current->topology_id, record->id) != 0)
        current = NULL;
    size_t supervisor_count = zhashx_size (self->supervisors);
    size_t used_capacity = dead_slot_count;
    for (sq_assignment_t *other = zhashx_first (self->assignments); other;
         other = zhashx_next (self->assignments))
        used_capacity += other->worker_count;
    sq_supervisor_info_t **supervisors =
        calloc (supervisor_count + 1, sizeof (sq_supervisor_info_t *));
    nimbus_slot_t *used = calloc (used_capacity + 1, sizeof (nimbus_slot_t));
    if (!supervisors || !used) {
        free (supervisors);
        free (used);
        sq_error_set ("out of memory");
        return NULL;
    }
    size_t count = 0;
    for (sq_supervisor_info_t *info = zhashx_first (self->supervisors); info;
         info = zhashx_next (self->supervisors))
        if (!zhashx_lookup (self->lost, info->id))
            supervisors[count++] = info;
    size_t used_count = 0;
    for (sq_assignment_t *other = zhashx_first (self->assignments); other;
         other = zhashx_next (self->assignments)) {
        if (strcmp (other->topology_name, name) == 0)
            continue;
        for (size_t w = 0; w < other->worker_count; w++)
            used[used_count++] =
                (nimbus_slot_t){other->workers[w].supervisor_id, other->workers[w].port};
    }
    for (size_t d = 0; d < dead_slot_count; d++)
        used[used_count++] = dead_slots[d];
    nimbus_scheduler_input_t input = {.topology_name = name,
                                      .topology_id = record->id,
                                      .executors = executors,
                                      .executor_count = executor_count,
                                      .workers = record->workers,
                                      .supervisors = supervisors,
                                      .supervisor_count = count,
                                      .used_slots = used,
                                      .used_slot_count = used_count,
                                      .current = current};
    sq_assignment_t *result = workers > 0 ? nimbus_scheduler_rebalance (&input, workers)
                                          : nimbus_scheduler_schedule (&input);
    free (supervisors);
    free (used);
    return result;
}
