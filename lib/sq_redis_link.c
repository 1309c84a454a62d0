/*  sq_redis_link - one task's connection to Redis, with backoff

    DESIGN: a blocking hiredis context with a connect and a command
    timeout of redis.timeout.ms bounds how long one call can hold the
    executor thread. Every failure ends in s_down: the context is freed
    (a broken hiredis context cannot be reused), the next attempt is
    scheduled one backoff from now, the backoff doubles (capped), and the
    reason is logged when it differs from the last one logged. The first
    success after that logs "reachable again" and resets the backoff.
*/
#include "sq_redis_link.h"
#include "sq_clock.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _sq_redis_link_t {
    redisContext *redis;    //  the connection, or NULL
    char *who;              //  "topology=.. component=.. task=.." for log lines
    char *host;             //  redis.host
    int port;               //  redis.port
    char *password;         //  redis.password, or NULL for none
    int database;           //  redis.database
    int timeout_ms;         //  redis.timeout.ms: connect and command timeout
    int backoff_initial_ms; //  redis.backoff.initial.ms
    int backoff_max_ms;     //  redis.backoff.max.ms
    int backoff_ms;         //  wait after the next failure
    int64_t retry_at_ms;    //  monotonic time of the next attempt while down
    bool down;              //  the last attempt or command failed
    bool fresh;             //  connected since sq_redis_link_fresh was last asked
    char reason[256];       //  why the link is down, as last logged
};

static int64_t
s_now_ms (void)
{
    return sq_clock_ns () / 1000000;
}

//  Takes the link down for reason; logs when the reason is new.
static void
s_down (sq_redis_link_t *self, const char *why)
{
    char reason[sizeof self->reason];
    snprintf (reason, sizeof reason, "%s", why && *why ? why : "connection lost");
    if (self->redis) {
        redisFree (self->redis);
        self->redis = NULL;
    }
    if (!self->down || strcmp (self->reason, reason) != 0) {
        snprintf (self->reason, sizeof self->reason, "%s", reason);
        zsys_error ("%s redis=%s:%d unavailable: %s; retrying with backoff up to %d ms", self->who,
                    self->host, self->port, self->reason, self->backoff_max_ms);
    }
    self->down = true;
    self->retry_at_ms = s_now_ms () + self->backoff_ms;
    self->backoff_ms =
        self->backoff_ms * 2 > self->backoff_max_ms ? self->backoff_max_ms : self->backoff_ms * 2;
}

//  True for error replies that mean Redis will not serve us now.
static bool
s_unavailable (const redisReply *reply)
{
    static const char *prefixes[] = {"NOAUTH",   "WRONGPASS",
                                     "LOADING",  "MASTERDOWN",
                                     "BUSY ",    "MISCONF",
                                     "READONLY", "ERR invalid password",
                                     "ERR AUTH", "ERR Client sent AUTH"};
    if (reply->type != REDIS_REPLY_ERROR || !reply->str)
        return false;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp (reply->str, prefixes[i], strlen (prefixes[i])) == 0)
            return true;
    return false;
}

//  Checks a reply: NULL (and the link down) for no reply or an
//  unavailable error, else the reply.
static redisReply *
s_checked (sq_redis_link_t *self, redisReply *reply)
{
    if (!reply) {
        s_down (self,
                self->redis && self->redis->errstr[0] ? self->redis->errstr : "connection lost");
        return NULL;
    }
    if (s_unavailable (reply)) {
        char reason[256];
        snprintf (reason, sizeof reason, "%s", reply->str);
        freeReplyObject (reply);
        s_down (self, reason);
        return NULL;
    }
    return reply;
}

//  Runs one command on the fresh connection during set-up; 0 or -1.
static int
s_setup_command (sq_redis_link_t *self, int argc, const char **argv)
{
    redisReply *reply = s_checked (self, redisCommandArgv (self->redis, argc, argv, NULL));
    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ERROR) {
        char reason[256];
        snprintf (reason, sizeof reason, "%s %s", argv[0], reply->str ? reply->str : "failed");
        freeReplyObject (reply);
        s_down (self, reason);
        return -1;
    }
    freeReplyObject (reply);
    return 0;
}

//  Connects, authenticates and selects the database; 0 or -1 (down).
static int
s_connect (sq_redis_link_t *self)
{
    if (self->redis)
        return 0;
    if (self->down && s_now_ms () < self->retry_at_ms)
        return -1;
    struct timeval timeout = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    self->redis = redisConnectWithTimeout (self->host, self->port, timeout);
    if (!self->redis) {
        s_down (self, "out of memory");
        return -1;
    }
    if (self->redis->err) {
        char reason[256];
        snprintf (reason, sizeof reason, "connect: %s", self->redis->errstr);
        s_down (self, reason);
        return -1;
    }
    redisSetTimeout (self->redis, timeout);
    char database[16];
    snprintf (database, sizeof database, "%d", self->database);
    //  PING last: a server still loading its data answers -LOADING, and the
    //  link is not up until it serves.
    if ((self->password &&
         s_setup_command (self, 2, (const char *[]){"AUTH", self->password}) != 0) ||
        (self->database != 0 &&
         s_setup_command (self, 2, (const char *[]){"SELECT", database}) != 0) ||
        s_setup_command (self, 1, (const char *[]){"PING"}) != 0)
        return -1;
    if (self->down)
        zsys_notice ("%s redis=%s:%d reachable again", self->who, self->host, self->port);
    self->down = false;
    self->fresh = true;
    self->backoff_ms = self->backoff_initial_ms;
    return 0;
}

sq_redis_link_t *
sq_redis_link_new (const sq_config_t *config, const char *who)
{
    sq_redis_link_t *self = calloc (1, sizeof (sq_redis_link_t));
    if (!self)
        return NULL;
    const char *password = sq_config_string (config, "redis.password", "");
    self->host = strdup (sq_config_string (config, "redis.host", "127.0.0.1"));
    self->password = *password ? strdup (password) : NULL;
    self->port = (int) sq_config_int (config, "redis.port", 6379);
    self->database = (int) sq_config_int (config, "redis.database", 0);
    self->timeout_ms = (int) sq_config_int (config, "redis.timeout.ms", 2000);
    self->backoff_initial_ms = (int) sq_config_int (config, "redis.backoff.initial.ms", 100);
    self->backoff_max_ms = (int) sq_config_int (config, "redis.backoff.max.ms", 5000);
    if (self->timeout_ms < 1)
        self->timeout_ms = 1;
    if (self->backoff_initial_ms < 1)
        self->backoff_initial_ms = 1;
    if (self->backoff_max_ms < self->backoff_initial_ms)
        self->backoff_max_ms = self->backoff_initial_ms;
    self->backoff_ms = self->backoff_initial_ms;
    self->who = strdup (who);
    if (!self->host || !self->who || (*password && !self->password)) {
        sq_redis_link_destroy (&self);
        return NULL;
    }
    return self;
}

sq_redis_link_t *
sq_redis_link_for_task (const sq_context_t *context)
{
    char who[512];
    snprintf (who, sizeof who, "topology=%s component=%s task=%d",
              sq_context_topology_name (context), sq_context_component_id (context),
              sq_context_task_id (context));
    return sq_redis_link_new (sq_context_config (context), who);
}

void
sq_redis_link_destroy (sq_redis_link_t **self_p)
{
    if (self_p && *self_p) {
        sq_redis_link_t *self = *self_p;
        if (self->redis)
            redisFree (self->redis);
        free (self->who);
        free (self->host);
        free (self->password);
        free (self);
        *self_p = NULL;
    }
}

const char *
sq_redis_link_who (const sq_redis_link_t *self)
{
    return self->who;
}

bool
sq_redis_link_ready (sq_redis_link_t *self)
{
    return self->redis || !self->down || s_now_ms () >= self->retry_at_ms;
}

bool
sq_redis_link_fresh (sq_redis_link_t *self)
{
    bool fresh = self->fresh;
    self->fresh = false;
    return fresh;
}

redisReply *
sq_redis_link_command (sq_redis_link_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (s_connect (self) != 0)
        return NULL;
    return s_checked (self, redisCommandArgv (self->redis, argc, argv, argvlen));
}

int
sq_redis_link_append (sq_redis_link_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (s_connect (self) != 0)
        return -1;
    if (redisAppendCommandArgv (self->redis, argc, argv, argvlen) != REDIS_OK) {
        s_down (self, "out of memory queueing a command");
        return -1;
    }
    return 0;
}

redisReply *
sq_redis_link_reply (sq_redis_link_t *self)
{
    if (!self->redis)
        return NULL;
    void *reply = NULL;
    if (redisGetReply (self->redis, &reply) != REDIS_OK)
        reply = NULL;
    return s_checked (self, reply);
}

void
sq_redis_link_broken (sq_redis_link_t *self, const char *reason)
{
    s_down (self, reason);
}
