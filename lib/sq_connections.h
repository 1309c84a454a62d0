/*  sq_connections - the open connections of a server socket, by peer address

    Counts a server socket's open connections per peer address and in
    all, from its monitor's events, so that a ZAP handler can refuse a
    handshake that would go over a limit (sq_curve_auth).

    DESIGN: libzmq reports an accepted connection with its descriptor
    (ZMQ_EVENT_ACCEPTED), when the connection is still open and
    getpeername names its peer; it reports the end with the same
    descriptor (ZMQ_EVENT_DISCONNECTED) after it closed it, when nothing
    names the peer any more. So this keeps a map descriptor -> peer
    ("ip" and "ip:port") and derives every count from it. Events can be
    lost (a monitor's pipe drops events when full) or come late: an
    accept on a descriptor already in the map replaces the entry, an end
    of a descriptor not in it is ignored, and sq_connections_sweep asks
    the caller, for each entry, whether its descriptor still is that
    connection, dropping the ones that are not. Counts cannot drift
    further than the entries a sweep has not yet checked. Memory: one
    entry per open connection the socket accepted.
*/
#ifndef SQ_CONNECTIONS_H_INCLUDED
#define SQ_CONNECTIONS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define SQ_CONNECTIONS_MAX_ADDRESS 64 //  longest peer address kept ("ip:port")

typedef struct _sq_connections_t sq_connections_t;

//  True when descriptor fd still is the connection to peer ("ip:port").
typedef bool (sq_connections_alive_fn) (int fd, const char *peer, void *arg);

//  New, empty. NULL when out of memory. Caller owns.
sq_connections_t *sq_connections_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_connections_destroy (sq_connections_t **self_p);
//  Connection fd opened from address (the peer's IP) and peer (its
//  "ip:port"). Replaces what the map had for fd. Returns 0, or -1 when
//  out of memory (the connection is then not counted).
int sq_connections_opened (sq_connections_t *self, int fd, const char *address, const char *peer);
//  Connection fd ended; nothing when fd is not in the map.
void sq_connections_closed (sq_connections_t *self, int fd);
//  Open connections from address.
size_t sq_connections_of (sq_connections_t *self, const char *address);
//  Open connections in all.
size_t sq_connections_total (sq_connections_t *self);
//  Drop every entry alive says is no longer its connection. Returns the
//  number dropped.
size_t sq_connections_sweep (sq_connections_t *self, sq_connections_alive_fn *alive, void *arg);
//  Fill peer (SQ_CONNECTIONS_MAX_ADDRESS bytes) with the "ip:port" the
//  connected socket fd's peer has, and address (as many) with its IP.
//  Returns 0, or -1 when fd is not a connected IP socket.
int sq_connections_peer_of (int fd, char *address, char *peer);
//  An sq_connections_alive_fn asking the system (getpeername).
bool sq_connections_alive (int fd, const char *peer, void *arg);

#endif
