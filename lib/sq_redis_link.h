/*  sq_redis_link - one task's connection to Redis, with backoff

    The Redis Streams spout and bolt talk to Redis through a link: a
    hiredis context made from the component's config (redis.host,
    redis.port, redis.password, redis.database, redis.timeout.ms), opened
    when first needed and again after it broke. While Redis cannot be
    reached (refused, timed out, closed, or refusing us: NOAUTH, WRONGPASS,
    LOADING, ...) the link is down and tries again only after a backoff
    that doubles from redis.backoff.initial.ms up to redis.backoff.max.ms,
    so a task never spends more than one connect timeout per backoff
    period on a dead server. It logs once per change of state (up, or
    down for a new reason), never per command.

    A link belongs to one task and is used on its executor's thread only.
*/
#ifndef SQ_REDIS_LINK_H_INCLUDED
#define SQ_REDIS_LINK_H_INCLUDED

#include "squall.h"

#include <hiredis/hiredis.h>

typedef struct _sq_redis_link_t sq_redis_link_t;

//  New link, not connected yet, with the redis.* settings of config; who
//  starts its log lines (e.g. "topology=t component=c task=3"). NULL when
//  out of memory. Caller owns.
sq_redis_link_t *sq_redis_link_new (const sq_config_t *config, const char *who);
//  sq_redis_link_new for a task: its config, and its identity in log
//  lines. NULL when out of memory. Caller owns.
sq_redis_link_t *sq_redis_link_for_task (const sq_context_t *context);
//  Close and destroy; NULL-safe; nulls the caller's pointer.
void sq_redis_link_destroy (sq_redis_link_t **self_p);

//  The identity given to sq_redis_link_new, for the owner's log lines.
const char *sq_redis_link_who (const sq_redis_link_t *self);
//  True when the link is connected or may try to connect now; false while
//  it backs off.
bool sq_redis_link_ready (sq_redis_link_t *self);
//  True when the link was (re)connected since the last call: callers redo
//  what a new server or connection needs (a consumer group, a scan).
bool sq_redis_link_fresh (sq_redis_link_t *self);

//  Send one command (argv form; argvlen NULL means NUL-terminated
//  arguments) and wait for its reply, connecting first if needed. Returns
//  the reply (caller frees it with freeReplyObject), which may be an error
//  reply; NULL when there is no connection or it broke (the link is then
//  down and backs off). An error reply saying Redis cannot serve us now
//  (NOAUTH, WRONGPASS, LOADING, MASTERDOWN, BUSY, MISCONF, READONLY) also
//  takes the link down and is freed: NULL.
redisReply *sq_redis_link_command (sq_redis_link_t *self, int argc, const char **argv,
                                   const size_t *argvlen);

//  Pipelining: queue commands with append, then take each reply in order
//  with reply. append returns 0 or -1 (link down); reply behaves like
//  sq_redis_link_command's return.
int sq_redis_link_append (sq_redis_link_t *self, int argc, const char **argv,
                          const size_t *argvlen);
redisReply *sq_redis_link_reply (sq_redis_link_t *self);

//  Take the link down with a reason (e.g. an unexpected reply), closing
//  the connection and starting the backoff.
void sq_redis_link_broken (sq_redis_link_t *self, const char *reason);

#endif
