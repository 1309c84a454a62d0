/*  sq_zk - a small synchronous ZooKeeper client for the cluster daemons

    Nimbus, supervisors and workers keep the cluster's shared state in
    ZooKeeper under one root (storm.zookeeper.root, "/storm" by default):
    /supervisors/<id> (ephemeral), /topologies/<name> and /assignments/<name>
    (persistent). This class wraps the ZooKeeper C client (zookeeper_mt) so
    that a daemon's main loop can read and write those nodes with blocking
    calls and learn about changes through a file descriptor it polls with
    the rest of its sockets (zpoller, zloop).

    Paths given to and returned by this class are relative to the root: "/"
    is the root itself, "/supervisors/a" is <root>/supervisors/a.

    DESIGN: one owner thread makes every call. The ZooKeeper client runs two
    threads of its own; its completion thread calls our watcher, which only
    appends an event to a queue under a mutex and makes the event descriptor
    readable. Watches are ZooKeeper's one-shot watches: a get, children or
    exists call with watch=true arms one, it fires once, and the owner arms
    it again by reading the node again, which is also how it learns the new
    state. Session events (connection lost, back, expired) go through the
    same queue. An expired session is final for its handle; sq_zk_reconnect
    opens a new session, after which the owner re-creates its ephemeral
    nodes and re-arms its watches.

    Security: a client made with sq_zk_new_auth authenticates every
    session it opens with ZooKeeper's digest scheme, and every node it
    creates (parents and the root included) gets an ACL that admits only
    that digest identity, with every permission. Without credentials nodes
    are open to anyone who can reach ZooKeeper (world:anyone), as before:
    insecure, for tests and single-user machines.

    Return codes: 0 (or a count) on success, -1 on error with
    sq_last_error() naming the operation, the full path and ZooKeeper's own
    reason. Two outcomes that callers routinely branch on have their own
    codes from sq_error.h: SQ_ENONODE (the node, or for a create a parent,
    does not exist) and SQ_ENODEEXISTS (a create found the node already
    there); sq_last_error() is set for them too.
*/
#ifndef SQ_ZK_H_INCLUDED
#define SQ_ZK_H_INCLUDED

#include "sq_error.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sq_zk_t sq_zk_t;

//  What an event reports.
typedef enum {
    SQ_ZK_CREATED = 1,    //  a node watched with sq_zk_exists was created
    SQ_ZK_DELETED,        //  a watched node was deleted
    SQ_ZK_CHANGED,        //  a watched node's data changed
    SQ_ZK_CHILDREN,       //  a watched node's children changed
    SQ_ZK_CONNECTED,      //  the connection came back; the session and its watches live on
    SQ_ZK_DISCONNECTED,   //  the connection dropped; the client is reconnecting
    SQ_ZK_SESSION_EXPIRED //  the session is gone: call sq_zk_reconnect
} sq_zk_event_type_t;

//  One event taken from the queue by sq_zk_next_event.
typedef struct {
    sq_zk_event_type_t type; //  what happened
    const char *path;        //  node relative to the root; "" for session events
} sq_zk_event_t;

//  Connect to servers ("host:port,host:port") and wait up to
//  connect_timeout_ms for a session. root is the prefix every path lives
//  under ("/storm"; NULL, "" or "/" for none); it is created on the first
//  sq_zk_create or sq_zk_set that needs it. The server may adjust
//  session_timeout_ms into its allowed range. Returns NULL on failure, with
//  sq_last_error() naming the servers. Caller owns; the calling thread
//  becomes the owner thread.
sq_zk_t *sq_zk_new (const char *servers, const char *root, int session_timeout_ms,
                    int connect_timeout_ms);

//  sq_zk_new with digest credentials, "user:password" (NULL for none, as
//  sq_zk_new): they are added to every session before any call, and every
//  node created gets an ACL of only that identity. The client keeps a
//  copy, wiped at destroy. Also NULL when the server does not take them.
sq_zk_t *sq_zk_new_auth (const char *servers, const char *root, int session_timeout_ms,
                         int connect_timeout_ms, const char *digest);

//  Close the session (its ephemeral nodes go at once) and free everything,
//  including queued events. NULL-safe; nulls the caller's pointer.
void sq_zk_destroy (sq_zk_t **self_p);

//  Create a node holding len bytes of data (data may be NULL when len is 0),
//  ephemeral (deleted when this session ends) or persistent. Missing
//  parents, the root included, are created persistent and empty. Returns 0,
//  SQ_ENODEEXISTS, or -1.
int sq_zk_create (sq_zk_t *self, const char *path, const void *data, size_t len, bool ephemeral);

//  Replace a node's data, creating the node (persistent, with parents) when
//  it is absent. Returns 0 or -1.
int sq_zk_set (sq_zk_t *self, const char *path, const void *data, size_t len);

//  Read a node's data into a new buffer: *data_p gets the bytes followed by
//  a NUL that len does not count, *len_p their number. Caller owns *data_p
//  and frees it. With watch, arms a one-shot watch that reports CHANGED or
//  DELETED. Returns 0, SQ_ENONODE (no watch is armed then), or -1; on
//  failure *data_p is NULL.
int sq_zk_get (sq_zk_t *self, const char *path, char **data_p, size_t *len_p, bool watch);

//  List a node's children (names, not paths), sorted, into a new list of
//  strings. Caller owns *children_p and destroys it. With watch, arms a
//  one-shot watch that reports CHILDREN or DELETED. Returns the number of
//  children, SQ_ENONODE or -1; on failure *children_p is NULL.
int sq_zk_children (sq_zk_t *self, const char *path, zlist_t **children_p, bool watch);

//  Delete a node; with recursive, its descendants first (nodes that others
//  delete meanwhile are fine). Without recursive, a node with children is
//  an error. Returns 0, SQ_ENONODE, or -1.
int sq_zk_delete (sq_zk_t *self, const char *path, bool recursive);

//  True when the node exists. With watch, arms a one-shot watch that
//  reports CREATED, CHANGED or DELETED, also when the node is absent. On an
//  error returns false and sets sq_last_error(); use sq_zk_get when absence
//  and failure must be told apart.
bool sq_zk_exists (sq_zk_t *self, const char *path, bool watch);

//  Session that owns an ephemeral node, into *owner_p (0 for a persistent
//  node). Returns 0, SQ_ENONODE, or -1.
int sq_zk_owner (sq_zk_t *self, const char *path, int64_t *owner_p);

//  With credentials: create the root when missing and give the root and
//  every node under it the ACL of this client's identity, whatever ACL
//  they had (nodes made before auth was configured are open to anyone).
//  Returns the number of nodes whose ACL was not a single digest identity
//  with every permission, or -1 (a node of another identity refuses the
//  change: sq_last_error() names it). Without credentials does nothing and
//  returns 0. The root must not be ZooKeeper's own "/".
int sq_zk_protect (sq_zk_t *self);

//  Descriptor that is readable while events are queued, to poll for input
//  with the owner's sockets: zpoller_add (poller, &fd) or a zloop_poller
//  item with .fd. Never read it; call sq_zk_next_event. It stays the same
//  across sq_zk_reconnect and belongs to self.
int sq_zk_fd (sq_zk_t *self);

//  Take the oldest queued event into *event. Returns 1 when it did, 0 when
//  the queue is empty. event->path belongs to self and stays valid until
//  the next call or destroy.
int sq_zk_next_event (sq_zk_t *self, sq_zk_event_t *event);

//  Number of events queued and not taken yet (for tests and monitoring).
size_t sq_zk_event_count (sq_zk_t *self);

//  True once ZooKeeper has reported the session expired, and while there
//  is no session because sq_zk_reconnect failed: every call but
//  sq_zk_reconnect and sq_zk_destroy then fails.
bool sq_zk_expired (sq_zk_t *self);

//  True while connected to a server (the session may be alive but
//  disconnected for up to its timeout).
bool sq_zk_connected (sq_zk_t *self);

//  Close the current session and open a new one, waiting as sq_zk_new
//  does. Watches and ephemeral nodes of the old session are gone: the
//  caller re-creates and re-arms them. Queued events stay queued. Returns
//  0 or -1 (then try again later; calls fail until it succeeds).
int sq_zk_reconnect (sq_zk_t *self);

//  The current session's id (for logs), 0 when there is none.
int64_t sq_zk_session_id (sq_zk_t *self);

//  The session timeout the server granted, in milliseconds.
int sq_zk_session_timeout (sq_zk_t *self);

//  Printable name of an event type ("changed", "session-expired", ...).
const char *sq_zk_event_type_name (sq_zk_event_type_t type);

#endif
