/*  nimbus_refusals - counts refused requests and says which to log

    A peer that is refused once is usually refused again and again (a
    script retrying, a flood): nimbus logs the first refusal of each peer
    and only counts the others, so that the log says who was refused and
    why without a line per request.

    DESIGN: the peers already logged are a set of at most `capacity` names
    (a hash table, plus a ring of the same names in the order they came);
    when the set is full, the peer logged longest ago is forgotten, and
    its next refusal is logged again. Memory is bounded by capacity times
    NIMBUS_REFUSALS_MAX_PEER bytes, whatever the peers send.
*/
#ifndef NIMBUS_REFUSALS_H_INCLUDED
#define NIMBUS_REFUSALS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NIMBUS_REFUSALS_MAX_PEER 160 //  longest peer name kept; longer ones are cut

typedef struct _nimbus_refusals_t nimbus_refusals_t;

//  New, empty, remembering at most capacity peers (at least 1). NULL when
//  out of memory. Caller owns.
nimbus_refusals_t *nimbus_refusals_new (size_t capacity);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_refusals_destroy (nimbus_refusals_t **self_p);
//  Count a refusal of peer (any text; cut at NIMBUS_REFUSALS_MAX_PEER
//  bytes). True when the caller should log it: the first refusal of that
//  peer since the set last forgot it.
bool nimbus_refusals_note (nimbus_refusals_t *self, const char *peer);
//  Refusals counted so far.
uint64_t nimbus_refusals_total (nimbus_refusals_t *self);
//  Peers remembered now (at most the capacity).
size_t nimbus_refusals_peers (nimbus_refusals_t *self);

#endif
