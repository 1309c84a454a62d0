/*  sq_cluster_config - the addresses a cluster daemon derives from config

    Nimbus, supervisors, workers and storm-submit all turn the same config
    keys into a ZooKeeper session and a nimbus endpoint; this is the one
    place that does it.
*/
#ifndef SQ_CLUSTER_CONFIG_H_INCLUDED
#define SQ_CLUSTER_CONFIG_H_INCLUDED

#include "sq_zk.h"
#include "squall.h"

#include <czmq.h>

//  "host:port,host:port" from storm.zookeeper.servers and
//  storm.zookeeper.port (a server given as host:port keeps its port).
//  Caller frees. NULL with sq_last_error() set when the list is empty.
char *sq_cluster_config_zookeeper (const sq_config_t *config);
//  Connect to ZooKeeper as the config says (servers, storm.zookeeper.root,
//  session and connection timeouts), trying again as Storm does
//  (storm.zookeeper.retry.times more attempts, waiting
//  storm.zookeeper.retry.interval ms, doubling up to
//  storm.zookeeper.retry.intervalceiling.millis; each failure logged), so
//  that a daemon started while ZooKeeper restarts waits for it. With
//  storm.zookeeper.auth.* set (sq_zk_auth), the session authenticates and
//  creates nodes only its identity may use; without, it warns that the
//  cluster's state is open to anyone. Blocks meanwhile. NULL with
//  sq_last_error() set when every attempt failed or the auth config is
//  wrong (then without retrying).
sq_zk_t *sq_cluster_config_connect (const sq_config_t *config);
//  "tcp://<nimbus.host>:<nimbus.port>". Caller frees.
char *sq_cluster_config_nimbus (const sq_config_t *config);
//  The nimbuses to try, "tcp://host:port" each: those nimbus.seeds lists
//  (a host alone gets nimbus.port), or the one sq_cluster_config_nimbus
//  names when nimbus.seeds is empty; no endpoint twice. NULL with
//  sq_last_error() set when a seed is malformed (empty, a port that is
//  not 1..65535). Caller destroys the list.
zlist_t *sq_cluster_config_nimbuses (const sq_config_t *config);

#endif
