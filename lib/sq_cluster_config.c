/*  sq_cluster_config - the addresses a cluster daemon derives from config */
#include "sq_cluster_config.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_zk_auth.h"

#include <czmq.h>
#include <string.h>

char *
sq_cluster_config_zookeeper (const sq_config_t *config)
{
    const json_t *servers = sq_config_list (config, "storm.zookeeper.servers");
    int64_t port = sq_config_int (config, "storm.zookeeper.port", 2181);
    size_t count = servers ? json_array_size (servers) : 0;
    if (count == 0) {
        sq_error_set ("config key 'storm.zookeeper.servers' lists no server");
        return NULL;
    }
    char *result = strdup ("");
    for (size_t i = 0; i < count && result; i++) {
        const char *server = json_string_value (json_array_get (servers, i));
        char *grown = zsys_sprintf (strchr (server, ':') ? "%s%s%s" : "%s%s%s:%lld", result,
                                    i ? "," : "", server, (long long) port);
        free (result);
        result = grown;
    }
    return result;
}

sq_zk_t *
sq_cluster_config_connect (const sq_config_t *config)
{
    char *digest = NULL;
    if (sq_zk_auth_from_config (config, &digest))
        return NULL; //  a config error: no retry mends it
    if (!digest)
        zsys_warning ("ZooKeeper without authentication: anyone who reaches it can read and "
                      "change this cluster's state (set storm.zookeeper.auth.scheme; see "
                      "doc/security.md)");
    char *servers = sq_cluster_config_zookeeper (config);
    if (!servers) {
        sq_zk_auth_free (&digest);
        return NULL;
    }
    int64_t retries = sq_config_int (config, "storm.zookeeper.retry.times", 5);
    int64_t wait_ms = sq_config_int (config, "storm.zookeeper.retry.interval", 1000);
    int64_t ceiling_ms =
        sq_config_int (config, "storm.zookeeper.retry.intervalceiling.millis", 30000);
    //  Nonsense (negative) settings mean: no retry, no wait.
    retries = retries > 0 ? retries : 0;
    ceiling_ms = ceiling_ms > 0 ? ceiling_ms : 0;
    wait_ms = wait_ms > 0 ? (wait_ms < ceiling_ms ? wait_ms : ceiling_ms) : 0;
    sq_zk_t *zk = NULL;
    for (int64_t attempt = 0; !zk && attempt <= retries; attempt++) {
        if (attempt > 0) {
            zsys_warning ("%s; trying again in %lld ms (retry %lld of %lld)", sq_last_error (),
                          (long long) wait_ms, (long long) attempt, (long long) retries);
            zclock_sleep ((int) wait_ms);
            wait_ms = wait_ms * 2 < ceiling_ms ? wait_ms * 2 : ceiling_ms;
        }
        zk = sq_zk_new_auth (
            servers, sq_config_string (config, "storm.zookeeper.root", "/storm"),
            (int) sq_config_int (config, "storm.zookeeper.session.timeout", 6000),
            (int) sq_config_int (config, "storm.zookeeper.connection.timeout", 5000), digest);
    }
    sq_zk_auth_free (&digest);
    free (servers);
    return zk;
}

char *
sq_cluster_config_nimbus (const sq_config_t *config)
{
    return zsys_sprintf ("tcp://%s:%lld", sq_config_string (config, "nimbus.host", "127.0.0.1"),
                         (long long) sq_config_int (config, "nimbus.port", 6627));
}

zlist_t *
sq_cluster_config_nimbuses (const sq_config_t *config)
{
    zlist_t *endpoints = zlist_new ();
    if (!endpoints) {
        sq_error_set ("out of memory");
        return NULL;
    }
    zlist_autofree (endpoints);
    zlist_comparefn (endpoints, (zlist_compare_fn *) strcmp);
    const json_t *seeds = sq_config_list (config, "nimbus.seeds");
    int64_t default_port = sq_config_int (config, "nimbus.port", 6627);
    size_t count = seeds ? json_array_size (seeds) : 0;
    for (size_t i = 0; i < count; i++) {
        const char *seed = json_string_value (json_array_get (seeds, i));
        const char *colon = seed ? strrchr (seed, ':') : NULL;
        size_t host_size = colon ? (size_t) (colon - seed) : (seed ? strlen (seed) : 0);
        char *end = NULL;
        long long port = colon ? strtoll (colon + 1, &end, 10) : (long long) default_port;
        if (!seed || host_size == 0 || host_size > 255 || (colon && (*end || end == colon + 1)) ||
            port < 1 || port > 65535) {
            zlist_destroy (&endpoints);
            sq_error_set ("config key 'nimbus.seeds': entry %zu '%s' is not host or host:port "
                          "(port 1..65535)",
                          i, seed ? seed : "");
            return NULL;
        }
        char *endpoint = zsys_sprintf ("tcp://%.*s:%lld", (int) host_size, seed, port);
        if (endpoint && !zlist_exists (endpoints, endpoint))
            zlist_append (endpoints, endpoint);
        free (endpoint);
    }
    if (zlist_size (endpoints) == 0) {
        char *endpoint = sq_cluster_config_nimbus (config);
        if (endpoint)
            zlist_append (endpoints, endpoint);
        free (endpoint);
    }
    if (zlist_size (endpoints) == 0) {
        zlist_destroy (&endpoints);
        sq_error_set ("out of memory");
    }
    return endpoints;
}
