/*  sq_curve_auth - the ZAP handler of a process that serves CURVE sockets

    Decides which CURVE clients may connect to the process's server
    sockets: those whose public key is in the allowed directory (public
    certs as czmq saves them; files added or removed there count at the
    next handshake) or was allowed at run time (the per-topology keys).
    An allowed client's frames carry User-Id = its Z85 public key and the
    property "name" = the name of its certificate. A refused client is
    counted and logged once per key.

    DESIGN: a zactor bound to inproc://zeromq.zap.01 (RFC 27), so one per
    process (one ZeroMQ context). The owner changes the run-time keys
    through the actor's pipe, and reads the counts, atomics the actor
    alone writes. The actor also reads the event monitors of the sockets
    it is asked to watch (zmq_socket_monitor), to count failed handshakes
    (which clients without keys cause before any ZAP request) and dropped
    connections. From the accepts and ends it keeps the open connections
    of each peer address (sq_connections); with limits set, a handshake
    from an address that has more open, or while more are open in all,
    is refused, counted apart and logged once per address.
*/
#ifndef SQ_CURVE_AUTH_H_INCLUDED
#define SQ_CURVE_AUTH_H_INCLUDED

#include "squall.h"
#include <czmq.h>
#include <stdint.h>

typedef struct _sq_curve_auth_t sq_curve_auth_t;

//  Start the handler. directory: allowed public certs, or NULL for none.
//  label names the process's sockets in log lines ("nimbus"). NULL with
//  sq_last_error() set (another handler in the process, out of memory).
//  Caller owns.
sq_curve_auth_t *sq_curve_auth_new (const char *directory, const char *label);
//  Stop; NULL-safe; nulls the caller's pointer.
void sq_curve_auth_destroy (sq_curve_auth_t **self_p);
//  Allow the Z85 public_key as principal name from now on (replaces an
//  earlier name). Returns 0, or -1 when the key is not 40 characters.
int sq_curve_auth_allow (sq_curve_auth_t *self, const char *public_key, const char *name);
//  Stop allowing a key allow added (directory keys stay).
void sq_curve_auth_forget (sq_curve_auth_t *self, const char *public_key);
//  Handshakes refused so far (keys not allowed). Any thread.
uint64_t sq_curve_auth_refused (sq_curve_auth_t *self);
//  Count the failed handshakes and ended connections of sock (a server
//  socket of the owner's thread; call before it is handed to another).
//  Returns 0, or -1 with sq_last_error() set.
int sq_curve_auth_watch (sq_curve_auth_t *self, zsock_t *sock);
//  Handshakes that failed on watched sockets: clients without keys, with
//  another mechanism or a key not allowed. Any thread.
uint64_t sq_curve_auth_handshakes_failed (sq_curve_auth_t *self);
//  Connections of watched sockets that ended: peers that left, and peers
//  dropped for a message over the socket's size limit or a broken
//  protocol. Any thread.
uint64_t sq_curve_auth_disconnects (sq_curve_auth_t *self);

//  Refuse handshakes from a peer address with more than per_address
//  connections open on the watched sockets (its own included), or while
//  more than total are open in all; 0 for no limit. Returns 0, or -1
//  with sq_last_error() set.
int sq_curve_auth_limit (sq_curve_auth_t *self, size_t per_address, size_t total);
//  Handshakes refused for the limits. Any thread.
uint64_t sq_curve_auth_over_limit (sq_curve_auth_t *self);
//  Connections of watched sockets open now, as last counted. Any thread.
size_t sq_curve_auth_open (sq_curve_auth_t *self);

#endif
