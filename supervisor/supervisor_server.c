/*  supervisor_server - a supervisor: membership, assignments, packages, workers */
#include "supervisor_server.h"
#include "sq_cluster_config.h"
#include "sq_cluster_state.h"
#include "sq_supervisor_info.h"
#include "sq_config.h"
#include "sq_control.h"
#include "sq_nimbuses.h"
#include "sq_curve.h"
#include "sq_coverage.h"
#include "sq_error.h"
#include "sq_zk.h"
#include "supervisor_assignments.h"
#include "supervisor_packages.h"
#include "sq_slot_paths.h"
#include "supervisor_registry.h"
#include "supervisor_workers.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define S_RETRY_MS 1000 //  delay before ZooKeeper work that failed is tried again

struct _supervisor_server_t {
    sq_config_t *config;                   //  effective config, storm.local.dir absolute
    char *id;                              //  supervisor id
    int *ports;                            //  slot ports
    size_t port_count;                     //  number of slot ports
    sq_zk_t *zk;                           //  ZooKeeper session
    supervisor_registry_t *registry;       //  our /supervisors node
    supervisor_assignments_t *assignments; //  what each slot should run
    supervisor_packages_t *packages;       //  downloaded packages
    supervisor_workers_t *workers;         //  worker processes
    int64_t next_zk_retry;                 //  monotonic ms before which failed zk work waits
    sq_nimbuses_t *nimbus;                 //  our heartbeats go to each nimbus here
    int64_t heartbeat_interval_ms;         //  supervisor.heartbeat.frequency.secs
    int64_t next_heartbeat_ms;             //  monotonic ms when the next heartbeat is due
    bool retain_pending;                   //  unused packages may wait for deletion
    bool stopped;                          //  stop has run
    bool superseded;                       //  a supervisor with our id took over
};

//  Reads supervisor.slots.ports into self. Returns 0 or -1 with the error.
static int
s_read_ports (supervisor_server_t *self)
{
    const json_t *list = sq_config_list (self->config, "supervisor.slots.ports");
    size_t count = list ? json_array_size (list) : 0;
    if (count == 0)
        return sq_error_set ("config key 'supervisor.slots.ports' lists no port");
    if (count > SQ_CLUSTER_MAX_PORTS)
        return sq_error_set ("config key 'supervisor.slots.ports' lists %zu ports, at most %d",
                             count, SQ_CLUSTER_MAX_PORTS);
    self->ports = calloc (count, sizeof (int));
    if (!self->ports)
        return sq_error_set ("out of memory");
    for (size_t i = 0; i < count; i++) {
        json_int_t port = json_integer_value (json_array_get (list, i));
        if (port < 1 || port > 65535)
            return sq_error_set ("config key 'supervisor.slots.ports': port %lld is out of "
                                 "range (1..65535)",
                                 (long long) port);
        for (size_t j = 0; j < i; j++)
            if (self->ports[j] == port)
                return sq_error_set ("config key 'supervisor.slots.ports' lists port %lld twice",
                                     (long long) port);
        self->ports[i] = (int) port;
    }
    self->port_count = count;
    return 0;
}

//  Creates <storm.local.dir>/supervisor and makes storm.local.dir (and
//  storm.zookeeper.auth.payload.file) absolute in the config, so workers
//  find them whatever their directory.
static int
s_prepare_local_dir (supervisor_server_t *self)
{
    char *dir = sq_slot_paths_dir (self->config);
    if (!dir)
        return sq_error_set ("out of memory");
    int rc = sq_slot_paths_make_dirs (dir);
    free (dir);
    if (rc)
        return -1;
    const char *local = sq_config_string (self->config, "storm.local.dir", NULL);
    char *absolute = realpath (*local ? local : ".", NULL);
    if (!absolute)
        return sq_error_set ("config key 'storm.local.dir': cannot resolve '%s': %s", local,
                             strerror (errno));
    rc = sq_config_set_string (self->config, "storm.local.dir", absolute);
    free (absolute);
    //  The same for the ZooKeeper payload file; a missing one stays as it
    //  is, to be refused with its reason when the supervisor connects.
    const char *payload = sq_config_string (self->config, "storm.zookeeper.auth.payload.file", "");
    absolute = rc == 0 && payload && *payload ? realpath (payload, NULL) : NULL;
    if (absolute)
        rc = sq_config_set_string (self->config, "storm.zookeeper.auth.payload.file", absolute);
    free (absolute);
    return rc;
}

//  The supervisor's keys must load; without keys its workers must bind
//  loopback only, or squall.insecure be set. 0 or -1 with the error set.
static int
s_check_keys (supervisor_server_t *self)
{
    sq_curve_t *curve = NULL;
    if (sq_curve_from_config (self->config, true, &curve))
        return -1;
    int rc = sq_curve_check_secure (self->config, "supervisor (its workers)",
                                    sq_config_string (self->config, "storm.local.hostname", ""),
                                    curve != NULL);
    sq_curve_destroy (&curve);
    return rc;
}

//  Writes the effective config as <storm.local.dir>/supervisor/config.json
//  for the workers; returns its path (caller frees) or NULL.
static char *
s_write_config (supervisor_server_t *self)
{
    char *dir = sq_slot_paths_dir (self->config);
    char *path = dir ? zsys_sprintf ("%s/config.json", dir) : NULL;
    json_t *json = sq_config_to_json (self->config);
    free (dir);
    //  Workers have their topology's keys, not the supervisor's.
    json_object_del (json, "squall.curve.secret.key.file");
    json_object_del (json, "squall.curve.allowed.dir");
    char *text = json ? json_dumps (json, JSON_INDENT (4) | JSON_SORT_KEYS) : NULL;
    json_decref (json);
    if (!path || !text) {
        free (path);
        free (text);
        sq_error_set ("out of memory");
        return NULL;
    }
    //  0600: the config may name credentials (storm.zookeeper.auth.*).
    if (sq_slot_paths_replace_private (path, text) != 0) {
        sq_error_set ("cannot write worker config '%s': %s", path, strerror (errno));
        zstr_free (&path);
    }
    free (text);
    return path;
}

//  The worker command: supervisor.worker.command, else squall-worker next
//  to this program; in a build tree (supervisor/supervisor, maybe behind a
//  libtool wrapper) the one in the parent directory. Caller frees; NULL
//  with the error set.
static char *
s_worker_command (supervisor_server_t *self)
{
    const char *configured = sq_config_string (self->config, "supervisor.worker.command", "");
    if (configured && *configured) {
        if (access (configured, X_OK) != 0)
            zsys_warning ("supervisor=%s worker command '%s' is not executable: %s", self->id,
                          configured, strerror (errno));
        return strdup (configured);
    }
    char dir[PATH_MAX];
    ssize_t size = readlink ("/proc/self/exe", dir, sizeof dir - 1);
    if (size <= 0) {
        sq_error_set ("cannot find this program's path in /proc/self/exe: %s; set "
                      "supervisor.worker.command",
                      strerror (errno));
        return NULL;
    }
    dir[size] = 0;
    *strrchr (dir, '/') = 0; //  the kernel gives an absolute path
    size_t length = strlen (dir);
    if (length >= 6 && strcmp (dir + length - 6, "/.libs") == 0)
        dir[length - 6] = 0;
    char *command = zsys_sprintf ("%s/squall-worker", dir);
    char *slash = strrchr (dir, '/');
    if (command && access (command, X_OK) != 0 && slash && slash != dir) {
        *slash = 0;
        char *parent = zsys_sprintf ("%s/squall-worker", dir);
        if (parent && access (parent, X_OK) == 0) {
            free (command);
            command = parent;
        } else
            free (parent);
    }
    if (command && access (command, X_OK) != 0)
        zsys_warning ("supervisor=%s worker command '%s' is not executable (%s); set "
                      "supervisor.worker.command",
                      self->id, command, strerror (errno));
    if (!command)
        sq_error_set ("out of memory");
    return command;
}

//  The clients our heartbeats to every nimbus (nimbus.seeds) go through
//  (doc/control.md, "supervisor_heartbeat"), over CURVE when the cluster
//  is secured.
//  Returns 0 or -1 with the error.
static int
s_connect_nimbus (supervisor_server_t *self)
{
    double secs = sq_config_double (self->config, "supervisor.heartbeat.frequency.secs", 0.5);
    if (!(secs >= 0.01 && secs <= 3600))
        return sq_error_set ("config key 'supervisor.heartbeat.frequency.secs' must be from "
                             "0.01 to 3600, got %g",
                             secs);
    self->heartbeat_interval_ms = (int64_t) (secs * 1000);
    sq_curve_t *curve = NULL;
    int rc = sq_curve_from_config (self->config, true, &curve);
    if (rc == 0 && !(self->nimbus = sq_nimbuses_new (self->config, NULL)))
        rc = -1;
    if (rc == 0 && curve)
        rc = sq_nimbuses_set_curve (self->nimbus, curve);
    sq_curve_destroy (&curve);
    return rc;
}

//  Tell nimbus we are alive, when it is time; it never blocks (a nimbus
//  that is away gets the heartbeats queued, up to the socket's limit).
static void
s_heartbeat (supervisor_server_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_heartbeat_ms)
        return;
    self->next_heartbeat_ms = now + self->heartbeat_interval_ms;
    json_t *message =
        json_pack ("{s:s, s:s}", "verb", "supervisor_heartbeat", "supervisor", self->id);
    json_t *failures = supervisor_workers_failures (self->workers);
    if (message && json_array_size (failures))
        json_object_set (message, "failures", failures);
    json_decref (failures);
    if (!message || sq_nimbuses_send (self->nimbus, message))
        zsys_debug ("supervisor=%s heartbeat to nimbus not sent", self->id);
    json_decref (message);
}

supervisor_server_t *
supervisor_server_new (const sq_config_t *config, const char *id)
{
    assert (config);
    assert (id);
    supervisor_server_t *self = calloc (1, sizeof (supervisor_server_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->config = sq_config_dup (config);
    self->id = strdup (id);
    char *config_path = NULL, *command = NULL, *servers = NULL;
    sq_supervisor_info_t *info = NULL;
    int rc = self->config && self->id ? 0 : sq_error_set ("out of memory");
    if (rc == 0)
        rc = s_read_ports (self);
    if (rc == 0)
        rc = s_check_keys (self);
    if (rc == 0)
        rc = s_connect_nimbus (self);
    if (rc == 0)
        rc = s_prepare_local_dir (self);
    if (rc == 0 && !(config_path = s_write_config (self)))
        rc = -1;
    if (rc == 0 && !(command = s_worker_command (self)))
        rc = -1;
    if (rc == 0 && !(servers = sq_cluster_config_zookeeper (self->config)))
        rc = -1;
    if (rc == 0) {
        zsys_info ("supervisor=%s connecting zookeeper=%s", id, servers);
        self->zk = sq_cluster_config_connect (self->config);
        if (!self->zk)
            rc = -1;
    }
    if (rc == 0) {
        const char *host = sq_config_string (self->config, "storm.local.hostname", "127.0.0.1");
        info =
            sq_supervisor_info_new (id, host, self->ports, self->port_count, (int64_t) time (NULL));
        self->workers = supervisor_workers_new (self->config, id, self->ports, self->port_count,
                                                command, config_path);
        self->registry = info ? supervisor_registry_new (self->zk, info) : NULL;
        self->assignments =
            supervisor_assignments_new (self->zk, id, self->ports, self->port_count);
        self->packages = supervisor_packages_new (self->config, id);
        if (!self->workers || !self->registry || !self->assignments || !self->packages)
            rc = sq_error_set ("out of memory");
    }
    if (rc == 0) {
        supervisor_workers_adopt (self->workers);
        zsys_info ("supervisor=%s started host=%s slots=%zu local-dir=%s worker-command=%s "
                   "session-timeout-ms=%d",
                   id, info->host, self->port_count,
                   sq_config_string (self->config, "storm.local.dir", ""), command,
                   sq_zk_session_timeout (self->zk));
        if (supervisor_registry_register (self->registry))
            self->next_zk_retry = zclock_mono () + S_RETRY_MS;
    }
    sq_supervisor_info_destroy (&info);
    free (config_path);
    free (command);
    free (servers);
    if (rc != 0) {
        //  Keep the error across the destructor's calls.
        char *error = strdup (sq_last_error ());
        supervisor_server_destroy (&self);
        sq_error_set ("%s", error ? error : "out of memory");
        free (error);
    }
    return self;
}

void
supervisor_server_destroy (supervisor_server_t **self_p)
{
    assert (self_p);
    supervisor_server_t *self = *self_p;
    if (!self)
        return;
    supervisor_workers_destroy (&self->workers);
    supervisor_packages_destroy (&self->packages);
    supervisor_assignments_destroy (&self->assignments);
    supervisor_registry_destroy (&self->registry);
    sq_nimbuses_destroy (&self->nimbus);
    sq_zk_destroy (&self->zk);
    sq_config_destroy (&self->config);
    free (self->ports);
    free (self->id);
    free (self);
    *self_p = NULL;
}

const sq_config_t *
supervisor_server_config (supervisor_server_t *self)
{
    assert (self);
    return self->config;
}

//  Milliseconds until s_tick has something to do (0 to 1000).
static int
s_timeout (supervisor_server_t *self)
{
    int timeout = supervisor_workers_timeout (self->workers);
    int64_t heartbeat = self->next_heartbeat_ms - zclock_mono ();
    if (heartbeat < timeout)
        timeout = heartbeat < 0 ? 0 : (int) heartbeat;
    bool zk_work = sq_zk_expired (self->zk) || !supervisor_registry_registered (self->registry) ||
                   supervisor_assignments_stale (self->assignments);
    if (zk_work) {
        int64_t wait = self->next_zk_retry - zclock_mono ();
        if (wait < timeout)
            timeout = wait < 0 ? 0 : (int) wait;
    }
    return timeout;
}

//  Takes the queued ZooKeeper events.
static void
s_handle_zk (supervisor_server_t *self)
{
    sq_zk_event_t event;
    while (sq_zk_next_event (self->zk, &event) == 1) {
        switch (event.type) {
        case SQ_ZK_SESSION_EXPIRED:
            zsys_warning ("supervisor=%s zookeeper session expired; opening a new one", self->id);
            self->next_zk_retry = 0;
            break;
        case SQ_ZK_DISCONNECTED:
            zsys_warning ("supervisor=%s zookeeper disconnected; workers keep running", self->id);
            break;
        case SQ_ZK_CONNECTED:
            zsys_info ("supervisor=%s zookeeper connected session=%llx", self->id,
                       (unsigned long long) sq_zk_session_id (self->zk));
            break;
        default:
            if (!supervisor_registry_handle_event (self->registry, &event) &&
                !supervisor_assignments_handle_event (self->assignments, &event))
                zsys_debug ("supervisor=%s ignoring zookeeper event=%s path=%s", self->id,
                            sq_zk_event_type_name (event.type), event.path);
            break;
        }
    }
}

//  Reaps exited workers (on SIGCHLD).
static void
s_reap (supervisor_server_t *self)
{
    //  A worker may have exited because it saw its assignment change: read
    //  the assignments before restarting it, so the restart runs the new one.
    if (supervisor_workers_reap (self->workers) > 0)
        supervisor_assignments_invalidate (self->assignments);
}

//  Renews the session, registers and reads assignments as needed. Returns
//  true when the view of the assignments changed.
static bool
s_sync_zookeeper (supervisor_server_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_zk_retry)
        return false;
    if (sq_zk_expired (self->zk)) {
        if (sq_zk_reconnect (self->zk)) {
            zsys_warning ("supervisor=%s cannot open a new zookeeper session: %s", self->id,
                          sq_last_error ());
            self->next_zk_retry = zclock_mono () + S_RETRY_MS;
            return false;
        }
        zsys_info ("supervisor=%s new zookeeper session=%llx", self->id,
                   (unsigned long long) sq_zk_session_id (self->zk));
        supervisor_registry_register (self->registry);
        supervisor_assignments_invalidate (self->assignments);
    }
    int registered = supervisor_registry_sync (self->registry);
    if (registered == SQ_ETAKENOVER) {
        self->superseded = true;
        return false;
    }
    bool failed = registered != 0;
    bool stale = supervisor_assignments_stale (self->assignments);
    bool changed = false;
    if (stale) {
        if (supervisor_assignments_sync (self->assignments) == 0)
            changed = true;
        else
            failed = true;
    }
    if (failed)
        self->next_zk_retry = zclock_mono () + S_RETRY_MS;
    return changed;
}

//  Deletes packages neither assigned nor in use. Stays pending while a
//  worker of a topology that is no longer assigned is still stopping.
static void
s_retain_packages (supervisor_server_t *self)
{
    zhash_t *keep = zhash_new ();
    zhash_t *running = zhash_new ();
    if (!keep || !running) {
        zhash_destroy (&keep);
        zhash_destroy (&running);
        return;
    }
    for (size_t i = 0; i < self->port_count; i++) {
        const supervisor_slot_t *slot =
            supervisor_assignments_slot (self->assignments, self->ports[i]);
        if (slot)
            zhash_insert (keep, slot->topology_id, (void *) "assigned");
    }
    supervisor_workers_topology_ids (self->workers, running);
    bool in_transition = false;
    for (void *item = zhash_first (running); item; item = zhash_next (running)) {
        const char *id = zhash_cursor (running);
        if (!zhash_lookup (keep, id)) {
            in_transition = true;
            zhash_insert (keep, id, (void *) "running");
        }
    }
    supervisor_packages_retain (self->packages, keep);
    self->retain_pending = in_transition;
    zhash_destroy (&keep);
    zhash_destroy (&running);
}

//  Does what is due: renews the session, registers, re-reads the
//  assignments, fetches packages, starts, stops and checks workers.
static void
s_tick (supervisor_server_t *self)
{
    if (self->stopped)
        return;
    s_heartbeat (self);
    if (supervisor_workers_reap (self->workers) > 0)
        supervisor_assignments_invalidate (self->assignments);
    bool changed = s_sync_zookeeper (self);
    if (supervisor_assignments_ready (self->assignments)) {
        for (size_t i = 0; i < self->port_count; i++) {
            const supervisor_slot_t *slot =
                supervisor_assignments_slot (self->assignments, self->ports[i]);
            const char *package =
                slot ? supervisor_packages_get (self->packages, slot->topology_id, slot->checksum)
                     : NULL;
            supervisor_workers_want (self->workers, self->ports[i], slot, package);
        }
        //  Not before the assignments were read once: until then adopted
        //  workers would look unwanted.
        supervisor_workers_check (self->workers);
    }
    if (changed)
        self->retain_pending = true;
    if (self->retain_pending)
        s_retain_packages (self);
}

//  Shuts down: stops every worker (SIGTERM, then SIGKILL), deletes the
//  membership node. Blocks up to supervisor.worker.shutdown.sleep.secs
//  and a little more.
static void
s_stop (supervisor_server_t *self)
{
    if (self->stopped)
        return;
    self->stopped = true;
    zsys_info ("supervisor=%s stopping workers=%zu", self->id,
               supervisor_workers_alive (self->workers));
    supervisor_workers_stop_all (self->workers);
    if (!sq_zk_expired (self->zk))
        supervisor_registry_deregister (self->registry);
    zsys_info ("supervisor=%s stopped", self->id);
}

int
supervisor_server_run (supervisor_server_t *self, int signal_fd)
{
    assert (self);
    int zk_fd = sq_zk_fd (self->zk);
    zpoller_t *poller = zpoller_new (&signal_fd, &zk_fd, NULL);
    assert (poller);
    bool stop = false;
    while (!stop) {
        zpoller_wait (poller, s_timeout (self));
        bool children = false;
        struct signalfd_siginfo info;
        while (read (signal_fd, &info, sizeof info) == (ssize_t) sizeof info) {
            if (info.ssi_signo == SIGCHLD)
                children = true;
            else {
                zsys_info ("supervisor=%s received signal=%s", self->id,
                           strsignal ((int) info.ssi_signo));
                stop = true;
            }
        }
        if (children)
            s_reap (self);
        s_handle_zk (self);
        if (!stop)
            s_tick (self);
        if (self->superseded)
            stop = true;
    }
    //  Stopping waits for the workers: a test may kill us meanwhile.
    SQ_COVERAGE_FLUSH ();
    s_stop (self);
    zpoller_destroy (&poller);
    return self->superseded ? -1 : 0;
}
