/*  sq_redis_spout - a spout that reads a Redis stream through a consumer group

    DESIGN: each task is one consumer of the group, named
    <prefix>-<task index>, so a restarted task is the same consumer and
    finds its pending entries list (PEL) again. An entry read from Redis
    is copied into one of redis.stream.max.pending slots and emitted as a
    tracked tuple whose message id names the slot (index in the low 32
    bits, the slot's generation in the high 32, so the ack or fail of an
    earlier use of the slot is recognised and ignored). An index from
    entry id to slot keeps one entry from being held twice when Redis
    hands it out again (a history scan, XAUTOCLAIM of our own entries).

    A slot moves FREE -> EMITTED -> ACKED -> FREE when its tree completes
    (the XACK is batched into the next next_tuple and the slot freed only
    once Redis answered it), EMITTED -> REPLAY -> EMITTED when it fails
    (re-emitted from memory after a delay that doubles with each delivery,
    from redis.backoff.initial.ms up to redis.backoff.max.ms: Redis is not
    asked again), and REPLAY -> DEAD
    -> FREE when it was delivered more than redis.stream.max.deliveries
    times (XADD to the dead-letter stream and XACK in one MULTI/EXEC, so
    the entry is either in both places or still pending). Redis's own
    delivery count is used for entries that come back from a PEL (ours
    after a restart, or another consumer's through XAUTOCLAIM); our
    replays from memory add to it.

    next_tuple does, in order, each step skipped when it has nothing to
    do: XACK what was acked, move what is dead, re-emit what failed,
    (re)create the group after a new connection (BUSYGROUP is fine), scan
    our own PEL from id 0 until it comes back empty (pending recovery),
    XAUTOCLAIM entries idle longer than redis.stream.claim.idle.ms (every
    half of that time), and last XREADGROUP ... > for new entries, with a
    BLOCK of redis.stream.block.ms (a few ms) so that an idle stream costs
    a round trip every few ms rather than a busy loop, and an executor
    thread is held at most that long. Reads ask for no more entries than
    free slots, so memory is bounded by max.pending entries per task.

    When Redis cannot be reached every step stops at once and the link
    backs off (sq_redis_link); held entries stay held, acked ones stay
    queued for their XACK, and nothing is freed that Redis has not
    acknowledged.
*/
#include "sq_error.h"
#include "sq_redis_link.h"
#include "sq_runtime.h"
#include "sq_topology.h"
#include "squall.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ACK_BATCH 512 //  most ids one XACK names
#define S_MAX_COUNT 10000   //  most entries one read may ask for

typedef enum {
    S_FREE = 0, //  holds nothing
    S_EMITTED,  //  emitted, tree in flight
    S_REPLAY,   //  failed, waiting to be emitted again
    S_ACKED,    //  tree completed, waiting for its XACK
    S_DEAD      //  delivered too often, waiting to move to the dead-letter stream
} s_slot_state_t;

//  One entry held by the task.
typedef struct {
    char *id;             //  entry id, e.g. "1700000000000-0"
    char **items;         //  field, value, field, value, ... (NUL-terminated copies)
    size_t *lengths;      //  length of each item
    size_t item_count;    //  number of items (twice the entry's fields)
    int64_t deliveries;   //  deliveries so far, Redis's count plus our replays
    int64_t replay_at_ms; //  while S_REPLAY: monotonic time it may go out again
    uint32_t generation;  //  uses of this slot so far, in message ids
    s_slot_state_t state; //  where it is in its life
} s_slot_t;

//  A FIFO of slot indexes, of fixed capacity.
typedef struct {
    uint32_t *items; //  capacity indexes
    size_t head;     //  index of the first in items
    size_t count;    //  indexes queued
    size_t capacity; //  room
} s_ring_t;

typedef struct {
    sq_collector_t *collector; //  emits for this task
    sq_redis_link_t *link;     //  the connection
    char *key;                 //  redis.stream.key
    char *group;               //  redis.stream.group
    char *start_id;            //  redis.stream.group.start.id
    char *consumer;            //  this task's consumer name
    char *dead_key;            //  dead-letter stream
    char **fields;             //  entry fields emitted after "id"
    size_t field_count;        //  number of them
    sq_value_t *values;        //  1 + field_count values, reused per emit
    int count;                 //  redis.stream.count
    int block_ms;              //  redis.stream.block.ms
    int64_t claim_idle_ms;     //  redis.stream.claim.idle.ms, 0 off
    int64_t max_deliveries;    //  redis.stream.max.deliveries, 0 never
    int64_t replay_initial_ms; //  redis.backoff.initial.ms: first replay delay
    int64_t replay_max_ms;     //  redis.backoff.max.ms: longest replay delay
    s_slot_t *slots;           //  max_pending slots
    uint32_t max_pending;      //  redis.stream.max.pending
    uint32_t *free;            //  stack of free slot indexes
    uint32_t free_count;       //  entries in free
    zhashx_t *index;           //  entry id -> s_slot_t *, of every held entry
    s_ring_t acked;            //  slots waiting for their XACK
    s_ring_t replay;           //  slots waiting to be emitted again
    s_ring_t dead;             //  slots waiting to move to the dead-letter stream
    bool group_ready;          //  the group exists on this connection
    bool history;              //  scanning our own PEL
    char history_cursor[64];   //  last id seen by the PEL scan
    char claim_cursor[64];     //  XAUTOCLAIM's cursor
    int64_t next_claim_ms;     //  monotonic time of the next XAUTOCLAIM
    bool malformed_logged;     //  a malformed reply was logged already
} s_spout_t;

static int64_t
s_now_ms (void)
{
    return zclock_mono ();
}

static int
s_ring_init (s_ring_t *self, size_t capacity)
{
    self->items = calloc (capacity, sizeof (uint32_t));
    self->capacity = capacity;
    return self->items ? 0 : -1;
}

static void
s_ring_push (s_ring_t *self, uint32_t slot)
{
    assert (self->count < self->capacity); //  every slot is in one ring at most
    self->items[(self->head + self->count) % self->capacity] = slot;
    self->count++;
}

//  The index i places from the head.
static uint32_t
s_ring_peek (const s_ring_t *self, size_t i)
{
    return self->items[(self->head + i) % self->capacity];
}

static void
s_ring_drop (s_ring_t *self, size_t count)
{
    self->head = (self->head + count) % self->capacity;
    self->count -= count;
}

//  Frees what a slot holds and puts it back on the free stack.
static void
s_slot_release (s_spout_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots[index];
    if (slot->id)
        zhashx_delete (self->index, slot->id);
    for (size_t i = 0; i < slot->item_count; i++)
        free (slot->items[i]);
    free (slot->items);
    free (slot->lengths);
    free (slot->id);
    uint32_t generation = slot->generation + 1;
    memset (slot, 0, sizeof *slot);
    slot->generation = generation;
    self->free[self->free_count++] = index;
}

static void
s_malformed (s_spout_t *self, const char *what)
{
    if (!self->malformed_logged)
        zsys_error ("redis spout consumer=%s stream=%s: unexpected reply to %s; skipped (logged "
                    "once)",
                    self->consumer, self->key, what);
    self->malformed_logged = true;
}

//  Copies one entry reply ([id, [field, value, ...]]) into a free slot.
//  Returns the slot index; -1 when it is held already, malformed or
//  deleted (its id in *deleted_p then, for an XACK), or no slot is free.
static int
s_slot_take (s_spout_t *self, const redisReply *entry, const char **deleted_p)
{
    *deleted_p = NULL;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING) {
        s_malformed (self, "a read (entry)");
        return -1;
    }
    const char *id = entry->element[0]->str;
    const redisReply *body = entry->element[1];
    if (zhashx_lookup (self->index, id))
        return -1;
    if (body->type == REDIS_REPLY_NIL) {
        *deleted_p = id; //  pending, but deleted from the stream
        return -1;
    }
    if (body->type != REDIS_REPLY_ARRAY || body->elements % 2 != 0) {
        s_malformed (self, "a read (entry body)");
        return -1;
    }
    for (size_t i = 0; i < body->elements; i++)
        if (body->element[i]->type != REDIS_REPLY_STRING) {
            s_malformed (self, "a read (entry field)");
            return -1;
        }
    if (self->free_count == 0)
        return -1;
    uint32_t index = self->free[--self->free_count];
    s_slot_t *slot = &self->slots[index];
    slot->id = strdup (id);
    slot->items = calloc (body->elements ? body->elements : 1, sizeof (char *));
    slot->lengths = calloc (body->elements ? body->elements : 1, sizeof (size_t));
    bool ok = slot->id && slot->items && slot->lengths;
    for (size_t i = 0; ok && i < body->elements; i++) {
        const redisReply *item = body->element[i];
        slot->items[i] = malloc (item->len + 1);
        ok = slot->items[i] != NULL;
        if (ok) {
            memcpy (slot->items[i], item->str, item->len);
            slot->items[i][item->len] = '\0';
            slot->lengths[i] = item->len;
            slot->item_count = i + 1;
        }
    }
    if (!ok || zhashx_insert (self->index, slot->id, slot) != 0) {
        zsys_error ("redis spout consumer=%s: out of memory holding entry %s; left pending",
                    self->consumer, id);
        s_slot_release (self, index);
        return -1;
    }
    slot->deliveries = 1;
    return (int) index;
}

static uint64_t
s_msg_id (const s_spout_t *self, uint32_t index)
{
    return ((uint64_t) self->slots[index].generation << 32) | index;
}

//  Emits a held entry, or queues it for the dead-letter stream when it
//  was delivered too often.
static void
s_dispatch (s_spout_t *self, uint32_t index)
{
    s_slot_t *slot = &self->slots[index];
    if (self->max_deliveries > 0 && slot->deliveries > self->max_deliveries) {
        slot->state = S_DEAD;
        s_ring_push (&self->dead, index);
        return;
    }
    self->values[0] = sq_strn (slot->id, strlen (slot->id));
    for (size_t f = 0; f < self->field_count; f++) {
        self->values[1 + f] = sq_null ();
        for (size_t i = 0; i + 1 < slot->item_count; i += 2)
            if (strcmp (slot->items[i], self->fields[f]) == 0) {
                self->values[1 + f] = sq_strn (slot->items[i + 1], slot->lengths[i + 1]);
                break;
            }
    }
    slot->state = S_EMITTED;
    sq_collector_emit_tracked (self->collector, NULL, s_msg_id (self, index), self->values,
                               1 + self->field_count);
}

//  Queues an XACK of ids on the link; 0, or -1 when the link is down.
static int
s_xack_send (s_spout_t *self, const char **ids, size_t count)
{
    const char *argv[3 + S_MAX_ACK_BATCH] = {"XACK", self->key, self->group};
    memcpy (argv + 3, ids, count * sizeof (char *));
    return sq_redis_link_append (self->link, (int) (3 + count), argv, NULL);
}

//  Takes the answer to an XACK; 0 when Redis answered (whatever it said),
//  -1 when the link went down.
static int
s_xack_answer (s_spout_t *self)
{
    redisReply *reply = sq_redis_link_reply (self->link);
    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ERROR)
        //  NOGROUP and such: the group that held them is gone, and with it
        //  the pending entries; nothing is left to acknowledge.
        zsys_warning ("redis spout consumer=%s stream=%s: XACK: %s", self->consumer, self->key,
                      reply->str);
    freeReplyObject (reply);
    return 0;
}

//  The ids of the first count acked slots, into ids.
static void
s_acked_ids (const s_spout_t *self, const char **ids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        ids[i] = self->slots[s_ring_peek (&self->acked, i)].id;
}

//  Frees the first count acked slots, which Redis has XACKed.
static void
s_acked_release (s_spout_t *self, size_t count)
{
    for (size_t i = 0; i < count; i++)
        s_slot_release (self, s_ring_peek (&self->acked, i));
    s_ring_drop (&self->acked, count);
}

//  Acked slots the next XACK names.
static size_t
s_ack_batch (const s_spout_t *self)
{
    return self->acked.count < S_MAX_ACK_BATCH ? self->acked.count : S_MAX_ACK_BATCH;
}

//  XACKs the acked slots, in batches; frees each batch Redis answered.
//  Returns 0, or -1 when the link went down.
static int
s_flush_acks (s_spout_t *self)
{
    while (self->acked.count > 0) {
        size_t count = s_ack_batch (self);
        const char *ids[S_MAX_ACK_BATCH];
        s_acked_ids (self, ids, count);
        if (s_xack_send (self, ids, count) != 0 || s_xack_answer (self) != 0)
            return -1;
        s_acked_release (self, count);
    }
    return 0;
}

//  Moves the dead slots to the dead-letter stream: XADD and XACK in one
//  transaction. Returns 0, or -1 when the link went down.
static int
s_flush_dead (s_spout_t *self)
{
    while (self->dead.count > 0) {
        uint32_t index = s_ring_peek (&self->dead, 0);
        s_slot_t *slot = &self->slots[index];
        size_t argc = 3 + slot->item_count + 4;
        const char **argv = calloc (argc, sizeof (char *));
        size_t *lengths = calloc (argc, sizeof (size_t));
        if (!argv || !lengths) {
            free (argv);
            free (lengths);
            return -1;
        }
        char deliveries[32];
        //  deliveries counts the delivery about to be made: one more than made.
        snprintf (deliveries, sizeof deliveries, "%lld", (long long) slot->deliveries - 1);
        argv[0] = "XADD", argv[1] = self->dead_key, argv[2] = "*";
        for (size_t i = 0; i < slot->item_count; i++)
            argv[3 + i] = slot->items[i], lengths[3 + i] = slot->lengths[i];
        size_t at = 3 + slot->item_count;
        argv[at] = "squall.source.id", argv[at + 1] = slot->id;
        argv[at + 2] = "squall.deliveries", argv[at + 3] = deliveries;
        for (size_t i = 0; i < argc; i++)
            if (i < 3 || i >= at)
                lengths[i] = strlen (argv[i]);
        const char *ack[] = {"XACK", self->key, self->group, slot->id};
        int rc = sq_redis_link_append (self->link, 1, (const char *[]){"MULTI"}, NULL);
        if (rc == 0)
            rc = sq_redis_link_append (self->link, (int) argc, argv, lengths);
        if (rc == 0)
            rc = sq_redis_link_append (self->link, 4, ack, NULL);
        if (rc == 0)
            rc = sq_redis_link_append (self->link, 1, (const char *[]){"EXEC"}, NULL);
        free (argv);
        free (lengths);
        bool stored = false;
        for (int i = 0; rc == 0 && i < 4; i++) {
            redisReply *reply = sq_redis_link_reply (self->link);
            if (!reply)
                return -1;
            if (i == 3)
                stored = reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                         reply->element[0]->type == REDIS_REPLY_STRING;
            freeReplyObject (reply);
        }
        if (rc != 0)
            return -1;
        if (!stored) {
            sq_redis_link_broken (self->link, "dead-letter MULTI/EXEC refused");
            return -1;
        }
        zsys_warning ("redis spout consumer=%s stream=%s: entry %s delivered %s times, moved "
                      "to %s",
                      self->consumer, self->key, slot->id, deliveries, self->dead_key);
        s_ring_drop (&self->dead, 1);
        s_slot_release (self, index);
    }
    return 0;
}

//  Creates the consumer group (and the stream); 0, or -1 (link down).
static int
s_ensure_group (s_spout_t *self)
{
    const char *argv[] = {"XGROUP", "CREATE", self->key, self->group, self->start_id, "MKSTREAM"};
    redisReply *reply = sq_redis_link_command (self->link, 6, argv, NULL);
    if (!reply)
        return -1;
    bool ok = reply->type == REDIS_REPLY_STATUS ||
              (reply->type == REDIS_REPLY_ERROR && strncmp (reply->str, "BUSYGROUP", 9) == 0);
    char reason[256];
    if (!ok)
        snprintf (reason, sizeof reason, "XGROUP CREATE %s %s: %s", self->key, self->group,
                  reply->str ? reply->str : "unexpected reply");
    freeReplyObject (reply);
    if (!ok) {
        sq_redis_link_broken (self->link, reason);
        return -1;
    }
    self->group_ready = true;
    return 0;
}

//  Sets the delivery counts of the slots just taken from a PEL, from
//  XPENDING over their range of ids. -1 when the link went down.
static int
s_pending_counts (s_spout_t *self, const int *taken, size_t count)
{
    if (count == 0)
        return 0;
    //  The range may also hold entries we held before: ask for all.
    char number[24];
    snprintf (number, sizeof number, "%zu", (size_t) self->max_pending + count);
    const char *argv[] = {"XPENDING",
                          self->key,
                          self->group,
                          self->slots[taken[0]].id,
                          self->slots[taken[count - 1]].id,
                          number,
                          self->consumer};
    redisReply *reply = sq_redis_link_command (self->link, 7, argv, NULL);
    if (!reply)
        return -1;
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *row = reply->element[i];
        if (row->type != REDIS_REPLY_ARRAY || row->elements != 4 ||
            row->element[0]->type != REDIS_REPLY_STRING ||
            row->element[3]->type != REDIS_REPLY_INTEGER)
            continue;
        s_slot_t *slot = zhashx_lookup (self->index, row->element[0]->str);
        if (slot && row->element[3]->integer > 0)
            slot->deliveries = row->element[3]->integer;
    }
    freeReplyObject (reply);
    return 0;
}

//  Takes the entries of an array reply, XACKs those deleted from the
//  stream, counts deliveries when they come from a PEL, and dispatches
//  them. Returns entries seen (held or not), or -1 when the link went down.
static int
s_take_entries (s_spout_t *self, const redisReply *entries, bool from_pel)
{
    if (entries->type != REDIS_REPLY_ARRAY) {
        s_malformed (self, "a read (entries)");
        return 0;
    }
    int *taken = calloc (entries->elements + 1, sizeof (int));
    const char **deleted = calloc (entries->elements + 1, sizeof (char *));
    if (!taken || !deleted) {
        free (taken);
        free (deleted);
        return 0;
    }
    size_t taken_count = 0, deleted_count = 0;
    for (size_t i = 0; i < entries->elements; i++) {
        const char *gone;
        int index = s_slot_take (self, entries->element[i], &gone);
        if (index >= 0)
            taken[taken_count++] = index;
        else if (gone && deleted_count < S_MAX_ACK_BATCH)
            deleted[deleted_count++] = gone;
    }
    int rc = (int) entries->elements;
    if (deleted_count > 0 &&
        (s_xack_send (self, deleted, deleted_count) != 0 || s_xack_answer (self) != 0))
        rc = -1;
    if (rc >= 0 && from_pel && s_pending_counts (self, taken, taken_count) != 0)
        rc = -1;
    //  Held now whatever happened: emitted, or kept for the next round.
    for (size_t i = 0; i < taken_count; i++)
        s_dispatch (self, (uint32_t) taken[i]);
    free (taken);
    free (deleted);
    return rc;
}

//  Most entries a read may ask for now.
static int
s_room (const s_spout_t *self)
{
    return (int) self->free_count < self->count ? (int) self->free_count : self->count;
}

//  One XREADGROUP: our PEL after history_cursor while scanning history,
//  else new entries. -1 when the link went down.
static int
s_read (s_spout_t *self)
{
    //  The acks since the last call go in the same round trip, first, so
    //  the slots they free count as room for this read.
    size_t acks = s_ack_batch (self);
    size_t room = self->free_count + acks < (size_t) self->count ? self->free_count + acks
                                                                 : (size_t) self->count;
    char count[16], block[16];
    snprintf (count, sizeof count, "%zu", room);
    snprintf (block, sizeof block, "%d", self->block_ms);
    const char *argv[11] = {"XREADGROUP", "GROUP", self->group, self->consumer, "COUNT", count};
    int argc = 6;
    if (!self->history && self->block_ms > 0)
        argv[argc++] = "BLOCK", argv[argc++] = block;
    argv[argc++] = "STREAMS";
    argv[argc++] = self->key;
    argv[argc++] = self->history ? self->history_cursor : ">";
    const char *ids[S_MAX_ACK_BATCH];
    s_acked_ids (self, ids, acks);
    if ((acks > 0 && s_xack_send (self, ids, acks) != 0) ||
        sq_redis_link_append (self->link, argc, argv, NULL) != 0)
        return -1;
    if (acks > 0) {
        if (s_xack_answer (self) != 0)
            return -1;
        s_acked_release (self, acks);
    }
    redisReply *reply = sq_redis_link_reply (self->link);
    if (!reply)
        return -1; //  what Redis handed us is in our PEL: the next scan finds it
    int rc = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp (reply->str, "NOGROUP", 7) == 0)
            self->group_ready = false; //  the stream or group was deleted: make it again
        else
            s_malformed (self, "XREADGROUP");
    } else if (reply->type == REDIS_REPLY_NIL)
        self->history = false; //  nothing (a history scan always answers an array)
    else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
             reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
        const redisReply *entries = reply->element[0]->element[1];
        if (self->history) {
            if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
                self->history = false;
            else {
                const redisReply *last = entries->element[entries->elements - 1];
                if (last->type == REDIS_REPLY_ARRAY && last->elements == 2 &&
                    last->element[0]->type == REDIS_REPLY_STRING)
                    snprintf (self->history_cursor, sizeof self->history_cursor, "%s",
                              last->element[0]->str);
                else
                    self->history = false;
            }
        }
        rc = s_take_entries (self, entries, self->history) < 0 ? -1 : 0;
    } else
        s_malformed (self, "XREADGROUP");
    freeReplyObject (reply);
    return rc;
}

//  One XAUTOCLAIM step; -1 when the link went down.
static int
s_claim (s_spout_t *self)
{
    char idle[32], count[16];
    snprintf (idle, sizeof idle, "%lld", (long long) self->claim_idle_ms);
    snprintf (count, sizeof count, "%d", s_room (self));
    const char *argv[] = {"XAUTOCLAIM", self->key,          self->group, self->consumer,
                          idle,         self->claim_cursor, "COUNT",     count};
    redisReply *reply = sq_redis_link_command (self->link, 8, argv, NULL);
    if (!reply)
        return -1;
    int rc = 0;
    bool done = true;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {
        snprintf (self->claim_cursor, sizeof self->claim_cursor, "%s", reply->element[0]->str);
        done = strcmp (self->claim_cursor, "0-0") == 0;
        rc = s_take_entries (self, reply->element[1], true) < 0 ? -1 : 0;
    } else if (reply->type == REDIS_REPLY_ERROR && strncmp (reply->str, "NOGROUP", 7) == 0)
        self->group_ready = false;
    else
        s_malformed (self, "XAUTOCLAIM");
    freeReplyObject (reply);
    if (done) {
        snprintf (self->claim_cursor, sizeof self->claim_cursor, "0-0");
        self->next_claim_ms =
            s_now_ms () + (self->claim_idle_ms / 2 > 0 ? self->claim_idle_ms / 2 : 1);
    }
    return rc;
}

static void
s_next_tuple (void *state)
{
    s_spout_t *self = state;
    if (!sq_redis_link_ready (self->link))
        return;
    if (s_flush_dead (self) != 0)
        return;
    if (sq_redis_link_fresh (self->link)) {
        //  A new connection (maybe a new server): check the group, and
        //  look for our pending entries again.
        self->group_ready = false;
        self->history = true;
        snprintf (self->history_cursor, sizeof self->history_cursor, "0");
    }
    //  Failed entries whose delay is over go out again; the others go
    //  back to the end of the queue.
    int64_t now = s_now_ms ();
    size_t replays = 0, waiting = self->replay.count;
    for (size_t i = 0; i < waiting && replays < (size_t) self->count; i++) {
        uint32_t index = s_ring_peek (&self->replay, 0);
        s_ring_drop (&self->replay, 1);
        if (self->slots[index].replay_at_ms > now) {
            s_ring_push (&self->replay, index);
            continue;
        }
        self->slots[index].deliveries++;
        s_dispatch (self, index);
        replays++;
    }
    //  Every way out but the read sends the acks on their own; the read
    //  takes them along.
    if (replays > 0) {
        s_flush_acks (self);
        return;
    }
    if (!self->group_ready && (s_flush_acks (self) != 0 || s_ensure_group (self) != 0))
        return;
    if (self->claim_idle_ms > 0 && s_now_ms () >= self->next_claim_ms) {
        if (s_flush_acks (self) != 0 || (s_room (self) > 0 && s_claim (self) != 0))
            return;
    }
    if (self->free_count + s_ack_batch (self) == 0)
        return;
    s_read (self);
}

//  The slot a message id names while it is in state, or NULL.
static s_slot_t *
s_slot_of (s_spout_t *self, uint64_t msg_id, s_slot_state_t state)
{
    uint32_t index = (uint32_t) msg_id;
    if (index >= self->max_pending)
        return NULL;
    s_slot_t *slot = &self->slots[index];
    return slot->generation == (uint32_t) (msg_id >> 32) && slot->state == state ? slot : NULL;
}

static void
s_ack (void *state, uint64_t msg_id)
{
    s_spout_t *self = state;
    s_slot_t *slot = s_slot_of (self, msg_id, S_EMITTED);
    if (slot) {
        slot->state = S_ACKED;
        s_ring_push (&self->acked, (uint32_t) msg_id);
    }
}

static void
s_fail (void *state, uint64_t msg_id)
{
    s_spout_t *self = state;
    s_slot_t *slot = s_slot_of (self, msg_id, S_EMITTED);
    if (slot) {
        //  Wait before the replay, twice as long after each delivery: a
        //  bolt that fails everything (its Redis is down, say) must not
        //  use up an entry's deliveries in a few milliseconds.
        int64_t delay = self->replay_initial_ms;
        for (int64_t d = 1; d < slot->deliveries && delay < self->replay_max_ms; d++)
            delay *= 2;
        slot->replay_at_ms =
            s_now_ms () + (delay < self->replay_max_ms ? delay : self->replay_max_ms);
        slot->state = S_REPLAY;
        s_ring_push (&self->replay, (uint32_t) msg_id);
    }
}

static void
s_close (void *state)
{
    s_spout_t *self = state;
    if (!self)
        return;
    //  Last chance for acks not yet sent; those Redis does not take stay
    //  pending and come back to the next consumer of this name.
    if (self->link && sq_redis_link_ready (self->link))
        s_flush_acks (self);
    for (uint32_t i = 0; self->slots && i < self->max_pending; i++)
        if (self->slots[i].state != S_FREE)
            s_slot_release (self, i);
    sq_redis_link_destroy (&self->link);
    zhashx_destroy (&self->index);
    for (size_t f = 0; f < self->field_count; f++)
        free (self->fields[f]);
    free (self->fields);
    free (self->values);
    free (self->slots);
    free (self->free);
    free (self->acked.items);
    free (self->replay.items);
    free (self->dead.items);
    free (self->key);
    free (self->group);
    free (self->start_id);
    free (self->consumer);
    free (self->dead_key);
    free (self);
}

static int
s_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    const sq_config_t *config = sq_context_config (context);
    const char *key = sq_config_string (config, "redis.stream.key", "");
    if (!*key) {
        sq_error_set ("redis spout %s: redis.stream.key is not set",
                      sq_context_component_id (context));
        return -1;
    }
    s_spout_t *self = calloc (1, sizeof (s_spout_t));
    if (!self)
        return -1;
    self->collector = collector;
    self->count = (int) sq_config_int (config, "redis.stream.count", 64);
    self->block_ms = (int) sq_config_int (config, "redis.stream.block.ms", 2);
    self->claim_idle_ms = sq_config_int (config, "redis.stream.claim.idle.ms", 60000);
    self->max_deliveries = sq_config_int (config, "redis.stream.max.deliveries", 10);
    self->replay_initial_ms = sq_config_int (config, "redis.backoff.initial.ms", 100);
    self->replay_max_ms = sq_config_int (config, "redis.backoff.max.ms", 5000);
    if (self->replay_initial_ms < 1)
        self->replay_initial_ms = 1;
    if (self->replay_max_ms < self->replay_initial_ms)
        self->replay_max_ms = self->replay_initial_ms;
    int64_t max_pending = sq_config_int (config, "redis.stream.max.pending", 1000);
    int64_t timeout_ms = sq_config_int (config, "redis.timeout.ms", 2000);
    if (self->count < 1 || self->count > S_MAX_COUNT || max_pending < 1 || max_pending > 1000000 ||
        self->block_ms < 0 || self->block_ms >= timeout_ms || self->claim_idle_ms < 0 ||
        self->max_deliveries < 0) {
        sq_error_set ("redis spout %s: redis.stream.count must be 1 to %d, "
                      "redis.stream.max.pending 1 to 1000000, redis.stream.block.ms 0 to less "
                      "than redis.timeout.ms, and claim.idle.ms and max.deliveries not negative",
                      sq_context_component_id (context), S_MAX_COUNT);
        free (self);
        return -1;
    }
    self->max_pending = (uint32_t) max_pending;
    const char *prefix = sq_config_string (config, "redis.stream.consumer", "");
    const char *dead_key = sq_config_string (config, "redis.stream.dead.letter.key", "");
    int rc = *prefix
                 ? asprintf (&self->consumer, "%s-%d", prefix, sq_context_task_index (context))
                 : asprintf (&self->consumer, "%s-%s-%d", sq_context_topology_name (context),
                             sq_context_component_id (context), sq_context_task_index (context));
    if (rc < 0)
        self->consumer = NULL;
    rc = *dead_key ? asprintf (&self->dead_key, "%s", dead_key)
                   : asprintf (&self->dead_key, "%s:dead", key);
    if (rc < 0)
        self->dead_key = NULL;
    self->key = strdup (key);
    self->group = strdup (sq_config_string (config, "redis.stream.group", "squall"));
    self->start_id = strdup (sq_config_string (config, "redis.stream.group.start.id", "0"));
    self->link = sq_redis_link_for_task (context);
    self->index = zhashx_new ();
    self->slots = calloc (self->max_pending, sizeof (s_slot_t));
    self->free = calloc (self->max_pending, sizeof (uint32_t));
    const sq_stream_t *stream = sq_component_stream (context->component, SQ_DEFAULT_STREAM);
    self->field_count = stream && stream->field_count > 0 ? stream->field_count - 1 : 0;
    self->fields = calloc (self->field_count + 1, sizeof (char *));
    self->values = calloc (self->field_count + 1, sizeof (sq_value_t));
    bool ok = self->consumer && self->dead_key && self->key && self->group && self->start_id &&
              self->link && self->index && self->slots && self->free && self->fields &&
              self->values && s_ring_init (&self->acked, self->max_pending) == 0 &&
              s_ring_init (&self->replay, self->max_pending) == 0 &&
              s_ring_init (&self->dead, self->max_pending) == 0;
    for (size_t f = 0; ok && f < self->field_count; f++)
        ok = (self->fields[f] = strdup (stream->fields[f + 1])) != NULL;
    if (!ok) {
        s_close (self);
        sq_error_set ("redis spout: out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < self->max_pending; i++)
        self->free[self->free_count++] = self->max_pending - 1 - i;
    self->history = true;
    snprintf (self->history_cursor, sizeof self->history_cursor, "0");
    snprintf (self->claim_cursor, sizeof self->claim_cursor, "0-0");
    *state_p = self;
    return 0;
}

static const sq_spout_t s_spout = {
    .open = s_open,
    .next_tuple = s_next_tuple,
    .ack = s_ack,
    .fail = s_fail,
    .close = s_close,
};

sq_component_t *
sq_topology_set_redis_spout (sq_topology_t *self, const char *id, const char *fields,
                             int parallelism)
{
    sq_component_t *component = sq_topology_set_spout (self, id, &s_spout, parallelism);
    if (component) {
        char *declared = NULL;
        if (asprintf (&declared, "id%s%s", fields && *fields ? "," : "", fields ? fields : "") < 0)
            declared = NULL;
        if (declared)
            sq_declarer_stream (&(sq_declarer_t){component}, SQ_DEFAULT_STREAM, declared);
        free (declared);
    }
    return component;
}
