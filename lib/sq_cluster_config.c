/*  sq_cluster_config - the addresses a cluster daemon derives from config */
#include "sq_cluster_config.h"
#include "sq_config.h"
#include "sq_error.h"

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
    char *servers = sq_cluster_config_zookeeper (config);
    if (!servers)
        return NULL;
    sq_zk_t *zk =
        sq_zk_new (servers, sq_config_string (config, "storm.zookeeper.root", "/storm"),
                   (int) sq_config_int (config, "storm.zookeeper.session.timeout", 6000),
                   (int) sq_config_int (config, "storm.zookeeper.connection.timeout", 5000));
    free (servers);
    return zk;
}

char *
sq_cluster_config_nimbus (const sq_config_t *config)
{
    return zsys_sprintf ("tcp://%s:%lld", sq_config_string (config, "nimbus.host", "127.0.0.1"),
                         (long long) sq_config_int (config, "nimbus.port", 6627));
}
