/*  sq_nimbuses - the nimbuses a client knows, and which of them leads

    With nimbus high availability (doc/operations.md) a cluster has
    several nimbuses, one of which leads; nimbus.seeds lists them. This
    class holds one control client (sq_control) per nimbus: heartbeats go
    to every one (so a standby that takes over knows at once which
    workers live), and a request goes to the nimbus that answered last,
    moving on to the next when one does not answer, and to the one a
    standby names when it answers "not the leader; leader is host:port".
    With no seeds it is the one nimbus at nimbus.host:nimbus.port, as
    before.
*/
#ifndef SQ_NIMBUSES_H_INCLUDED
#define SQ_NIMBUSES_H_INCLUDED

#include "sq_control.h"
#include "sq_curve.h"

#include <czmq.h>
#include <jansson.h>

typedef struct _sq_nimbuses_t sq_nimbuses_t;

//  Clients for the nimbuses of config (sq_cluster_config_nimbuses), or
//  for the endpoints in endpoints when not NULL ("tcp://host:port"
//  separated by commas). NULL with sq_last_error() set. Caller owns.
sq_nimbuses_t *sq_nimbuses_new (const sq_config_t *config, const char *endpoints);
//  Destroy; NULL-safe; nulls the caller's pointer.
void sq_nimbuses_destroy (sq_nimbuses_t **self_p);
//  Talk CURVE to every nimbus with a copy of curve's keys (NULL: plain).
//  Returns 0 or -1.
int sq_nimbuses_set_curve (sq_nimbuses_t *self, const sq_curve_t *curve);
//  Queue message (not taken) for every nimbus; never blocks. Returns 0
//  when at least one took it, else -1.
int sq_nimbuses_send (sq_nimbuses_t *self, json_t *message);
//  sq_control_request to the leader, as found above: each nimbus that
//  does not answer costs up to timeout_ms. Returns the ok reply (caller
//  decrefs), or NULL with sq_last_error() set: a refusal's error, or,
//  when no nimbus answered, one naming them all.
json_t *sq_nimbuses_request (sq_nimbuses_t *self, json_t *request, const void *payload,
                             size_t payload_size, int timeout_ms, void **payload_p,
                             size_t *payload_size_p);
//  Download the package of topology_id (the control verb "download")
//  through sq_nimbuses_request and check that its SHA-256 is checksum
//  (hex). Returns the package bytes (caller frees) with their size in
//  *size_p and nimbus's reply in *reply_p (caller decrefs; it may carry
//  the topology's key pair), or NULL with sq_last_error() set.
void *sq_nimbuses_download (sq_nimbuses_t *self, const char *topology_id, const char *checksum,
                            int timeout_ms, size_t *size_p, json_t **reply_p);
//  The topology key pair a download's reply carries over CURVE
//  ("topology_public_key", "topology_secret_key", Z85), or NULL with
//  sq_last_error() set when it has none or they do not decode. Caller
//  owns.
zcert_t *sq_nimbuses_topology_key (const json_t *reply);
//  The endpoint of the nimbus that answered last (or the first). Borrowed.
const char *sq_nimbuses_current (sq_nimbuses_t *self);

#endif
