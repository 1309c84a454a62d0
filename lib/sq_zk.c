/*  sq_zk - a small synchronous ZooKeeper client for the cluster daemons

    DESIGN: the ZooKeeper handle is created with s_watcher as its default
    watcher and self as context, so every watch armed with watch=1 and every
    session event reaches s_watcher on the client's completion thread. The
    watcher takes the mutex, ignores events of a handle that is no longer
    current (one being closed), records session state, queues the event and,
    when the queue was empty, writes one byte to a pipe. sq_zk_next_event
    reads that byte back when it takes the last event, so the pipe is
    readable exactly while events are queued.

    With credentials (sq_zk_new_auth), s_connect adds them to every new
    session with zoo_add_auth before it returns, so no call of the owner
    ever goes out unauthenticated; the client itself sends them again when
    it reconnects within a session. Nodes are then created with ZooKeeper's
    "auth" ACL (ZOO_CREATOR_ALL_ACL), which the server turns into the one
    digest identity of the session with every permission: no SHA-1 of the
    password needs computing here.
*/
//  THREADED declares the synchronous calls of zookeeper_mt. The C client
//  (3.6 and later) also declares its own zsock_t and zcert_t, which clash
//  with czmq's: rename them here, the one place both headers meet.
#define THREADED
#define zsock_t sq_zk_client_zsock_t
#define zcert_t sq_zk_client_zcert_t
#include <zookeeper/zookeeper.h>
#undef zsock_t
#undef zcert_t

#include "sq_zk.h"
#include "sq_clock.h"
#include "sq_error.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  Most times a recursive delete retries a node that keeps gaining children.
#define S_DELETE_ATTEMPTS 10

//  One queued event.
typedef struct {
    sq_zk_event_type_t type; //  what happened
    char *path;              //  relative to the root; "" for session events
} s_event_t;

struct _sq_zk_t {
    zhandle_t *handle;      //  current session; written only by the owner, under mutex
    char *servers;          //  connect string, "host:port,..."
    char *root;             //  prefix without trailing '/', "" for none
    int session_timeout_ms; //  asked of the server
    int connect_timeout_ms; //  how long new and reconnect wait for a session
    int pipe[2];            //  [0] polled by the owner, [1] written when events arrive
    char *event_path;       //  path of the event last returned by next_event
    pthread_mutex_t mutex;  //  guards the fields below, shared with the watcher
    pthread_cond_t changed; //  signalled on every session state change
    int state;              //  last session state ZooKeeper reported, 0 before any
    bool connecting;        //  new or reconnect is waiting for the first connect
    bool was_connected;     //  a connect happened since the handle was created
    bool expired;           //  the session expired (or its auth failed)
    zlist_t *events;        //  queued s_event_t, oldest first
    char *digest;           //  "user:password" added to every session, NULL for none
    int auth_rc;            //  result of the last zoo_add_auth, 1 while it runs
};

//  Most seconds between two copies of the same ZooKeeper log message.
#define S_LOG_REPEAT_SECS 10
//  Longest ZooKeeper log message kept, in bytes.
#define S_LOG_LINE 512

static pthread_once_t s_log_once = PTHREAD_ONCE_INIT;

//  The ZooKeeper client logs each failed connect attempt, dozens a second
//  while a server is down, and its log callback has no context argument:
//  so this one process-wide record, under its own lock, turns a burst of
//  one message into its first copy, then a count of the copies dropped
//  and another copy every S_LOG_REPEAT_SECS.
static struct {
    pthread_mutex_t mutex; //  guards the fields below
    char last[S_LOG_LINE]; //  text of the message logged last
    time_t logged;         //  when it was logged, monotonic seconds
    unsigned repeats;      //  copies of it dropped since
} s_log_state = {PTHREAD_MUTEX_INITIALIZER, "", 0, 0};

//  ZooKeeper's log (errors only) through czmq's, without the client's own
//  timestamp and thread prefix. Runs on ZooKeeper's threads.
static void
s_log (const char *message)
{
    const char *start = strstr (message, "ZOO_");
    char text[S_LOG_LINE];
    snprintf (text, sizeof text, "%s", start ? start : message);
    size_t len = strlen (text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    pthread_mutex_lock (&s_log_state.mutex);
    bool same = strcmp (text, s_log_state.last) == 0;
    if (same && now.tv_sec - s_log_state.logged < S_LOG_REPEAT_SECS)
        s_log_state.repeats++;
    else {
        if (s_log_state.repeats)
            zsys_warning ("zookeeper: (last message repeated %u more times)", s_log_state.repeats);
        zsys_warning ("zookeeper: %s", text);
        memcpy (s_log_state.last, text, sizeof text);
        s_log_state.logged = now.tv_sec;
        s_log_state.repeats = 0;
    }
    pthread_mutex_unlock (&s_log_state.mutex);
}

static void
s_log_init (void)
{
    zoo_set_debug_level (ZOO_LOG_LEVEL_ERROR);
    zoo_set_log_stream (stderr);
}

//  Appends an event; caller holds the mutex. Runs on the completion thread.
static void
s_queue (sq_zk_t *self, sq_zk_event_type_t type, const char *path)
{
    s_event_t *event = malloc (sizeof (s_event_t));
    char *copy = strdup (path);
    if (!event || !copy || zlist_append (self->events, event) != 0) {
        zsys_error ("zookeeper: out of memory queueing a %s event for '%s'; event lost",
                    sq_zk_event_type_name (type), path);
        free (event);
        free (copy);
        return;
    }
    event->type = type;
    event->path = copy;
    if (zlist_size (self->events) == 1) {
        char byte = 1;
        ssize_t written = write (self->pipe[1], &byte, 1);
        (void) written; //  one byte into an empty pipe cannot fail
    }
}

//  Path relative to the root of an absolute path ZooKeeper reported.
static const char *
s_relative (sq_zk_t *self, const char *path)
{
    size_t root_len = strlen (self->root);
    if (root_len && strncmp (path, self->root, root_len) == 0) {
        if (path[root_len] == '\0')
            return "/";
        if (path[root_len] == '/')
            return path + root_len;
    }
    return path;
}

//  ZooKeeper's default watcher for every handle we create: runs on the
//  client's completion thread (or its I/O thread for some session events).
static void
s_watcher (zhandle_t *handle, int type, int state, const char *path, void *context)
{
    sq_zk_t *self = context;
    pthread_mutex_lock (&self->mutex);
    if (handle != self->handle) {
        pthread_mutex_unlock (&self->mutex);
        return; //  a handle being closed, or one that failed to connect
    }
    if (type == ZOO_SESSION_EVENT) {
        int previous = self->state;
        self->state = state;
        if (state == ZOO_CONNECTED_STATE) {
            self->was_connected = true;
            if (!self->connecting)
                s_queue (self, SQ_ZK_CONNECTED, "");
        } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
            if (!self->expired && !self->connecting)
                s_queue (self, SQ_ZK_SESSION_EXPIRED, "");
            self->expired = true;
        } else if (previous == ZOO_CONNECTED_STATE && !self->connecting)
            s_queue (self, SQ_ZK_DISCONNECTED, "");
        pthread_cond_broadcast (&self->changed);
    } else if (type == ZOO_CREATED_EVENT)
        s_queue (self, SQ_ZK_CREATED, s_relative (self, path));
    else if (type == ZOO_DELETED_EVENT)
        s_queue (self, SQ_ZK_DELETED, s_relative (self, path));
    else if (type == ZOO_CHANGED_EVENT)
        s_queue (self, SQ_ZK_CHANGED, s_relative (self, path));
    else if (type == ZOO_CHILD_EVENT)
        s_queue (self, SQ_ZK_CHILDREN, s_relative (self, path));
    //  ZOO_NOTWATCHING_EVENT (watch removed) needs nothing from us.
    pthread_mutex_unlock (&self->mutex);
}

//  Closes the current handle, if any. Owner thread only.
static void
s_close (sq_zk_t *self)
{
    pthread_mutex_lock (&self->mutex);
    zhandle_t *handle = self->handle;
    self->handle = NULL;
    self->state = 0;
    pthread_mutex_unlock (&self->mutex);
    if (handle)
        zookeeper_close (handle);
}

//  Completion of zoo_add_auth: records its result. Runs on the completion
//  thread.
static void
s_auth_done (int rc, const void *data)
{
    sq_zk_t *self = (sq_zk_t *) data;
    pthread_mutex_lock (&self->mutex);
    self->auth_rc = rc;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->mutex);
}

//  Adds the digest credentials to the new session and waits, until
//  deadline, for the server to take them. On failure closes the session.
//  Returns 0 or -1. Owner thread only.
static int
s_authenticate (sq_zk_t *self, const struct timespec *deadline)
{
    pthread_mutex_lock (&self->mutex);
    self->auth_rc = 1;
    int rc = zoo_add_auth (self->handle, "digest", self->digest, (int) strlen (self->digest),
                           s_auth_done, self);
    if (rc == ZOK)
        while (self->auth_rc == 1 && !self->expired)
            if (pthread_cond_timedwait (&self->changed, &self->mutex, deadline) == ETIMEDOUT)
                break;
    if (rc == ZOK)
        rc = self->auth_rc == 1 ? ZOPERATIONTIMEOUT : self->auth_rc;
    if (rc == ZOK && self->expired)
        rc = ZAUTHFAILED;
    pthread_mutex_unlock (&self->mutex);
    if (rc == ZOK)
        return 0;
    s_close (self);
    return sq_error_set ("cannot authenticate to ZooKeeper at %s with scheme digest: %s",
                         self->servers, zerror (rc));
}

//  Opens a session and waits until it is connected or the connect timeout
//  passes, then adds the credentials, if any. Returns 0 or -1. Owner
//  thread only.
static int
s_connect (sq_zk_t *self)
{
    //  Holding the mutex across zookeeper_init makes the watcher wait until
    //  self->handle names the new handle (init only starts threads).
    pthread_mutex_lock (&self->mutex);
    self->connecting = true;
    self->was_connected = false;
    self->expired = false;
    self->state = 0;
    errno = 0;
    self->handle =
        zookeeper_init2 (self->servers, s_watcher, self->session_timeout_ms, NULL, self, 0, s_log);
    if (!self->handle) {
        int error = errno;
        self->connecting = false;
        pthread_mutex_unlock (&self->mutex);
        const char *reason = error == EINVAL   ? "malformed server list (want host:port,...)"
                             : error == ENOENT ? "unknown host"
                                               : strerror (error);
        return sq_error_set ("cannot connect to ZooKeeper at %s: %s", self->servers, reason);
    }
    struct timespec deadline = sq_clock_deadline (CLOCK_MONOTONIC, self->connect_timeout_ms);
    while (!self->was_connected && !self->expired) {
        if (pthread_cond_timedwait (&self->changed, &self->mutex, &deadline) == ETIMEDOUT)
            break;
    }
    bool connected = self->was_connected && !self->expired;
    bool refused = self->expired;
    self->connecting = false;
    pthread_mutex_unlock (&self->mutex);
    if (connected && self->digest)
        return s_authenticate (self, &deadline);
    if (!connected) {
        s_close (self);
        if (refused)
            return sq_error_set (
                "cannot connect to ZooKeeper at %s: the server refused the session", self->servers);
        return sq_error_set ("cannot connect to ZooKeeper at %s: no session within %d ms (is a "
                             "server running there?)",
                             self->servers, self->connect_timeout_ms);
    }
    return 0;
}

sq_zk_t *
sq_zk_new (const char *servers, const char *root, int session_timeout_ms, int connect_timeout_ms)
{
    return sq_zk_new_auth (servers, root, session_timeout_ms, connect_timeout_ms, NULL);
}

sq_zk_t *
sq_zk_new_auth (const char *servers, const char *root, int session_timeout_ms,
                int connect_timeout_ms, const char *digest)
{
    assert (servers);
    if (session_timeout_ms <= 0 || connect_timeout_ms <= 0) {
        sq_error_set ("ZooKeeper timeouts must be positive (session %d ms, connect %d ms)",
                      session_timeout_ms, connect_timeout_ms);
        return NULL;
    }
    if (!root || strcmp (root, "/") == 0)
        root = "";
    if (*root && *root != '/') {
        sq_error_set ("ZooKeeper root '%s' must start with '/'", root);
        return NULL;
    }
    pthread_once (&s_log_once, s_log_init);
    //  s_log calls zsys_warning on ZooKeeper's threads, and the first
    //  zsys_* call initializes czmq: do that here, on the owner thread.
    zsys_init ();

    sq_zk_t *self = calloc (1, sizeof (sq_zk_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->pipe[0] = self->pipe[1] = -1;
    self->servers = strdup (servers);
    self->root = strdup (root);
    self->events = zlist_new ();
    if (self->root) {
        size_t len = strlen (self->root);
        while (len > 0 && self->root[len - 1] == '/')
            self->root[--len] = '\0';
    }
    self->session_timeout_ms = session_timeout_ms;
    self->connect_timeout_ms = connect_timeout_ms;
    self->digest = digest ? strdup (digest) : NULL;
    pthread_mutex_init (&self->mutex, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init (&attributes);
    pthread_condattr_setclock (&attributes, CLOCK_MONOTONIC);
    pthread_cond_init (&self->changed, &attributes);
    pthread_condattr_destroy (&attributes);

    if (!self->servers || !self->root || !self->events || (digest && !self->digest)) {
        sq_error_set ("out of memory");
        sq_zk_destroy (&self);
        return NULL;
    }
    if (pipe2 (self->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        sq_error_set ("cannot create the ZooKeeper event pipe: %s", strerror (errno));
        sq_zk_destroy (&self);
        return NULL;
    }
    if (s_connect (self) != 0) {
        sq_zk_destroy (&self); //  keeps the error s_connect set
        return NULL;
    }
    return self;
}

void
sq_zk_destroy (sq_zk_t **self_p)
{
    if (self_p && *self_p) {
        sq_zk_t *self = *self_p;
        s_close (self);
        if (self->events) {
            s_event_t *event;
            while ((event = zlist_pop (self->events))) {
                free (event->path);
                free (event);
            }
            zlist_destroy (&self->events);
        }
        if (self->pipe[0] >= 0)
            close (self->pipe[0]);
        if (self->pipe[1] >= 0)
            close (self->pipe[1]);
        pthread_cond_destroy (&self->changed);
        pthread_mutex_destroy (&self->mutex);
        if (self->digest) {
            explicit_bzero (self->digest, strlen (self->digest));
            free (self->digest);
        }
        free (self->event_path);
        free (self->servers);
        free (self->root);
        free (self);
        *self_p = NULL;
    }
}

//  The absolute ZooKeeper path of a path relative to the root, in a new
//  string the caller frees; NULL with the error set when path is invalid.
static char *
s_full_path (sq_zk_t *self, const char *operation, const char *path)
{
    assert (path);
    size_t len = strlen (path);
    if (path[0] != '/' || (len > 1 && path[len - 1] == '/') || strstr (path, "//")) {
        sq_error_set ("ZooKeeper %s '%s': invalid path (want /name/name...)", operation, path);
        return NULL;
    }
    char *full = NULL;
    if (strcmp (path, "/") == 0)
        full = strdup (*self->root ? self->root : "/");
    else if (asprintf (&full, "%s%s", self->root, path) < 0)
        full = NULL;
    if (!full)
        sq_error_set ("out of memory");
    return full;
}

//  Turns a ZooKeeper return code into ours and sets the error.
static int
s_error (sq_zk_t *self, const char *operation, const char *full, int rc)
{
    if (rc == ZNONODE)
        return sq_error_set_code (SQ_ENONODE, "ZooKeeper %s %s: no such node", operation, full);
    if (rc == ZNODEEXISTS)
        return sq_error_set_code (SQ_ENODEEXISTS, "ZooKeeper %s %s: node exists", operation, full);
    if (rc == ZNOAUTH)
        sq_error_set ("ZooKeeper %s %s failed: not authorized (the node's ACL does not admit %s; "
                      "see storm.zookeeper.auth.scheme and storm.zookeeper.auth.payload.file)",
                      operation, full,
                      self->digest ? "this client's digest identity" : "unauthenticated clients");
    else if (!self->handle || sq_zk_expired (self))
        sq_error_set ("ZooKeeper %s %s failed: no session with %s (expired; reconnect)", operation,
                      full, self->servers);
    else
        sq_error_set ("ZooKeeper %s %s failed: %s (servers %s)", operation, full, zerror (rc),
                      self->servers);
    return -1;
}

//  The ACL of every node this client creates: only its own digest identity
//  with credentials, anyone (insecure) without.
static const struct ACL_vector *
s_acl (sq_zk_t *self)
{
    return self->digest ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE;
}

//  Creates every missing ancestor of full, persistent and empty. Returns a
//  ZooKeeper code.
static int
s_create_parents (sq_zk_t *self, const char *full)
{
    char *prefix = strdup (full);
    if (!prefix)
        return ZSYSTEMERROR;
    int rc = ZOK;
    for (char *slash = strchr (prefix + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = '\0';
        rc = zoo_create (self->handle, prefix, NULL, -1, s_acl (self), ZOO_PERSISTENT, NULL, 0);
        *slash = '/';
        if (rc == ZNODEEXISTS)
            rc = ZOK;
        if (rc != ZOK)
            break;
    }
    free (prefix);
    return rc;
}

//  Creates full with its missing parents. Returns a ZooKeeper code.
static int
s_create (sq_zk_t *self, const char *full, const void *data, size_t len, bool ephemeral)
{
    const char *value = len ? data : NULL;
    int value_len = len ? (int) len : -1;
    int flags = ephemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT;
    int rc = zoo_create (self->handle, full, value, value_len, s_acl (self), flags, NULL, 0);
    if (rc == ZNONODE) {
        rc = s_create_parents (self, full);
        if (rc == ZOK)
            rc = zoo_create (self->handle, full, value, value_len, s_acl (self), flags, NULL, 0);
    }
    return rc;
}

//  Fails the call when there is no handle to call with. Returns 0 or -1.
static int
s_check_session (sq_zk_t *self, const char *operation, const char *path)
{
    if (self->handle)
        return 0;
    return sq_error_set ("ZooKeeper %s %s%s failed: no session with %s (reconnect)", operation,
                         self->root, path, self->servers);
}

//  Checks a data length against what one ZooKeeper node can hold.
static int
s_check_length (const char *operation, const char *full, size_t len)
{
    if (len < INT_MAX)
        return 0;
    return sq_error_set ("ZooKeeper %s %s: %zu bytes is too much data for a node", operation, full,
                         len);
}

int
sq_zk_create (sq_zk_t *self, const char *path, const void *data, size_t len, bool ephemeral)
{
    assert (self);
    assert (data || len == 0);
    if (s_check_session (self, "create", path))
        return -1;
    char *full = s_full_path (self, "create", path);
    if (!full)
        return -1;
    int result = s_check_length ("create", full, len);
    if (result == 0) {
        int rc = s_create (self, full, data, len, ephemeral);
        result = rc == ZOK ? 0 : s_error (self, "create", full, rc);
    }
    free (full);
    return result;
}

int
sq_zk_set (sq_zk_t *self, const char *path, const void *data, size_t len)
{
    assert (self);
    assert (data || len == 0);
    if (s_check_session (self, "set", path))
        return -1;
    char *full = s_full_path (self, "set", path);
    if (!full)
        return -1;
    int result = s_check_length ("set", full, len);
    if (result == 0) {
        const char *value = len ? data : NULL;
        int value_len = len ? (int) len : -1;
        int rc = zoo_set (self->handle, full, value, value_len, -1);
        if (rc == ZNONODE) {
            rc = s_create (self, full, data, len, false);
            if (rc == ZNODEEXISTS) //  somebody else created it meanwhile
                rc = zoo_set (self->handle, full, value, value_len, -1);
        }
        result = rc == ZOK ? 0 : s_error (self, "set", full, rc);
    }
    free (full);
    return result;
}

int
sq_zk_get (sq_zk_t *self, const char *path, char **data_p, size_t *len_p, bool watch)
{
    assert (self);
    assert (data_p);
    assert (len_p);
    *data_p = NULL;
    *len_p = 0;
    if (s_check_session (self, "get", path))
        return -1;
    char *full = s_full_path (self, "get", path);
    if (!full)
        return -1;
    //  ZooKeeper copies at most the buffer's size; the stat says how much
    //  there was, so a node that outgrew the buffer is read again.
    int capacity = 1024;
    int result = 0;
    while (true) {
        char *buffer = malloc ((size_t) capacity + 1);
        if (!buffer) {
            result = sq_error_set ("out of memory reading %s", full);
            break;
        }
        int len = capacity;
        struct Stat stat;
        int rc = zoo_get (self->handle, full, watch, buffer, &len, &stat);
        if (rc != ZOK) {
            free (buffer);
            result = s_error (self, "get", full, rc);
            break;
        }
        if (stat.dataLength > capacity) {
            free (buffer);
            capacity = stat.dataLength;
            continue;
        }
        if (len < 0) //  a node without data
            len = 0;
        buffer[len] = '\0';
        *data_p = buffer;
        *len_p = (size_t) len;
        break;
    }
    free (full);
    return result;
}

static int
s_compare_names (void *item1, void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

int
sq_zk_children (sq_zk_t *self, const char *path, zlist_t **children_p, bool watch)
{
    assert (self);
    assert (children_p);
    *children_p = NULL;
    if (s_check_session (self, "children", path))
        return -1;
    char *full = s_full_path (self, "children", path);
    if (!full)
        return -1;
    struct String_vector names = {0, NULL};
    int rc = zoo_get_children (self->handle, full, watch, &names);
    if (rc != ZOK) {
        int result = s_error (self, "children", full, rc);
        free (full);
        return result;
    }
    zlist_t *children = zlist_new ();
    bool ok = children != NULL;
    if (ok)
        zlist_autofree (children);
    for (int i = 0; ok && i < names.count; i++)
        ok = zlist_append (children, names.data[i]) == 0; //  autofree copies
    deallocate_String_vector (&names);
    if (!ok) {
        zlist_destroy (&children);
        sq_error_set ("out of memory listing %s", full);
        free (full);
        return -1;
    }
    free (full);
    zlist_sort (children, s_compare_names);
    *children_p = children;
    return (int) zlist_size (children);
}

//  Deletes full, and with recursive its descendants. Returns a ZooKeeper
//  code; a descendant that vanished meanwhile is not an error.
static int
s_delete (sq_zk_t *self, const char *full, bool recursive)
{
    for (int attempt = 0; attempt < S_DELETE_ATTEMPTS; attempt++) {
        int rc = zoo_delete (self->handle, full, -1);
        if (rc != ZNOTEMPTY || !recursive)
            return rc;
        struct String_vector names = {0, NULL};
        rc = zoo_get_children (self->handle, full, 0, &names);
        if (rc != ZOK)
            return rc;
        for (int i = 0; rc == ZOK && i < names.count; i++) {
            char *child = NULL;
            const char *parent = strcmp (full, "/") == 0 ? "" : full;
            if (asprintf (&child, "%s/%s", parent, names.data[i]) < 0)
                rc = ZSYSTEMERROR;
            else {
                rc = s_delete (self, child, true);
                if (rc == ZNONODE)
                    rc = ZOK;
                free (child);
            }
        }
        deallocate_String_vector (&names);
        if (rc != ZOK)
            return rc;
    }
    return ZNOTEMPTY; //  children keep appearing faster than we delete them
}

int
sq_zk_delete (sq_zk_t *self, const char *path, bool recursive)
{
    assert (self);
    if (s_check_session (self, "delete", path))
        return -1;
    char *full = s_full_path (self, "delete", path);
    if (!full)
        return -1;
    int rc = s_delete (self, full, recursive);
    int result = rc == ZOK ? 0 : s_error (self, "delete", full, rc);
    free (full);
    return result;
}

bool
sq_zk_exists (sq_zk_t *self, const char *path, bool watch)
{
    assert (self);
    if (s_check_session (self, "exists", path))
        return false;
    char *full = s_full_path (self, "exists", path);
    if (!full)
        return false;
    struct Stat stat;
    int rc = zoo_exists (self->handle, full, watch, &stat);
    if (rc != ZOK)
        s_error (self, "exists", full, rc);
    free (full);
    return rc == ZOK;
}

int
sq_zk_owner (sq_zk_t *self, const char *path, int64_t *owner_p)
{
    assert (self);
    assert (owner_p);
    if (s_check_session (self, "owner", path))
        return -1;
    char *full = s_full_path (self, "owner", path);
    if (!full)
        return -1;
    struct Stat stat;
    int rc = zoo_exists (self->handle, full, 0, &stat);
    int result = rc == ZOK ? 0 : s_error (self, "owner", full, rc);
    if (rc == ZOK)
        *owner_p = stat.ephemeralOwner;
    free (full);
    return result;
}

//  True when acl is one digest identity with every permission, as
//  ZOO_CREATOR_ALL_ACL becomes for a session with digest credentials.
static bool
s_acl_is_private (const struct ACL_vector *acl)
{
    return acl->count == 1 && acl->data[0].perms == ZOO_PERM_ALL && acl->data[0].id.scheme &&
           strcmp (acl->data[0].id.scheme, "digest") == 0;
}

//  Gives full and its descendants this session's ACL, counting in
//  *changed_p the nodes whose ACL was another; *failed_p gets a copy of
//  the path that failed. A node deleted meanwhile is not an error.
//  Returns a ZooKeeper code.
static int
s_protect (sq_zk_t *self, const char *full, int *changed_p, char **failed_p)
{
    struct ACL_vector acl = {0, NULL};
    struct Stat stat;
    int rc = zoo_get_acl (self->handle, full, &acl, &stat);
    if (rc == ZOK) {
        if (!s_acl_is_private (&acl))
            (*changed_p)++;
        deallocate_ACL_vector (&acl);
        //  Set even an ACL that looks right: one of another identity
        //  refuses the change, and that must not pass unnoticed.
        rc = zoo_set_acl (self->handle, full, -1, s_acl (self));
    }
    struct String_vector names = {0, NULL};
    if (rc == ZOK)
        rc = zoo_get_children (self->handle, full, 0, &names);
    if (rc != ZOK && !*failed_p)
        *failed_p = strdup (full);
    for (int i = 0; rc == ZOK && i < names.count; i++) {
        char *child = zsys_sprintf ("%s/%s", full, names.data[i]);
        rc = child ? s_protect (self, child, changed_p, failed_p) : ZSYSTEMERROR;
        if (rc == ZNONODE) {
            rc = ZOK;
            zstr_free (failed_p);
        }
        zstr_free (&child);
    }
    deallocate_String_vector (&names);
    return rc;
}

int
sq_zk_protect (sq_zk_t *self)
{
    assert (self);
    if (!self->digest)
        return 0;
    if (s_check_session (self, "protect", "/"))
        return -1;
    if (*self->root == '\0')
        return sq_error_set ("ZooKeeper protect: with credentials, storm.zookeeper.root must "
                             "name a node of Squall's own, not ZooKeeper's root /");
    int rc = s_create (self, self->root, NULL, 0, false);
    if (rc == ZNODEEXISTS)
        rc = ZOK;
    int changed = 0;
    char *failed = NULL;
    if (rc == ZOK)
        rc = s_protect (self, self->root, &changed, &failed);
    int result = rc == ZOK ? changed : s_error (self, "protect", failed ? failed : self->root, rc);
    free (failed);
    return result;
}

int
sq_zk_fd (sq_zk_t *self)
{
    assert (self);
    return self->pipe[0];
}

size_t
sq_zk_event_count (sq_zk_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    size_t count = zlist_size (self->events);
    pthread_mutex_unlock (&self->mutex);
    return count;
}

int
sq_zk_next_event (sq_zk_t *self, sq_zk_event_t *event)
{
    assert (self);
    assert (event);
    pthread_mutex_lock (&self->mutex);
    s_event_t *next = zlist_pop (self->events);
    if (next && zlist_size (self->events) == 0) {
        char bytes[16];
        while (read (self->pipe[0], bytes, sizeof bytes) > 0)
            ;
    }
    pthread_mutex_unlock (&self->mutex);
    if (!next)
        return 0;
    free (self->event_path);
    self->event_path = next->path;
    event->type = next->type;
    event->path = self->event_path;
    free (next);
    return 1;
}

bool
sq_zk_expired (sq_zk_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    bool expired = self->expired || !self->handle;
    pthread_mutex_unlock (&self->mutex);
    return expired;
}

bool
sq_zk_connected (sq_zk_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    bool connected = self->handle && self->state == ZOO_CONNECTED_STATE;
    pthread_mutex_unlock (&self->mutex);
    return connected;
}

int
sq_zk_reconnect (sq_zk_t *self)
{
    assert (self);
    s_close (self);
    return s_connect (self);
}

int64_t
sq_zk_session_id (sq_zk_t *self)
{
    assert (self);
    if (!self->handle)
        return 0;
    const clientid_t *client = zoo_client_id (self->handle);
    return client ? client->client_id : 0;
}

int
sq_zk_session_timeout (sq_zk_t *self)
{
    assert (self);
    return self->handle ? zoo_recv_timeout (self->handle) : 0;
}

const char *
sq_zk_event_type_name (sq_zk_event_type_t type)
{
    switch (type) {
    case SQ_ZK_CREATED:
        return "created";
    case SQ_ZK_DELETED:
        return "deleted";
    case SQ_ZK_CHANGED:
        return "changed";
    case SQ_ZK_CHILDREN:
        return "children";
    case SQ_ZK_CONNECTED:
        return "connected";
    case SQ_ZK_DISCONNECTED:
        return "disconnected";
    case SQ_ZK_SESSION_EXPIRED:
        return "session-expired";
    }
    return "unknown";
}
