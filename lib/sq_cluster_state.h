/*  sq_cluster_state - what the ZooKeeper records share: version, limits, checks

    Three records, each a JSON object stored in one ZooKeeper node under
    storm.zookeeper.root (doc/cluster.md describes every field), each a
    class with its own header:

      /supervisors/<id>     sq_supervisor_info.h   a live supervisor (ephemeral)
      /topologies/<name>    sq_topology_record.h   a submitted topology
      /assignments/<name>   sq_assignment.h        where its executors run

    Each record has new/destroy, encode (to a JSON string) and decode (from
    the bytes of a node). Records carry "version": 1. This header holds
    what they share: the version, the limits, and the field checks their
    decoders are built from.

    DESIGN: ZooKeeper data is outside input: another process, an older or a
    newer build, or a person with zkCli may have written it. Decode checks
    every field (presence, type, range) and the record as a whole (no
    overlapping task ranges, no slot used twice), bounds every array, and
    on any problem returns NULL with sq_last_error() naming the record kind
    and the field, e.g. "assignment: field 'workers[1].port' is out of range
    (1..65535), got 70000". Unknown fields are ignored, so a newer build may
    add optional fields without changing the version; a record of another
    version is refused. Records are plain structs: readers use the fields
    directly, and writers should go through the functions of the record so
    that the strings stay owned by the record.
*/
#ifndef SQ_CLUSTER_STATE_H_INCLUDED
#define SQ_CLUSTER_STATE_H_INCLUDED

#include "squall.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQ_CLUSTER_STATE_VERSION 1         //  the record version this build writes and reads
#define SQ_CLUSTER_MAX_RECORD_SIZE 1048576 //  largest record decoded (ZooKeeper's node limit)
#define SQ_CLUSTER_MAX_PORTS 1024          //  most slot ports one supervisor offers
#define SQ_CLUSTER_MAX_WORKERS 4096        //  most workers one topology runs in
#define SQ_CLUSTER_MAX_EXECUTORS 65535     //  most executors one assignment holds
#define SQ_CLUSTER_MAX_NAME 255            //  longest id, name, host or checksum, in bytes

#define SQ_CLUSTER_PATH_MAX 160 //  room for a field path such as "workers[4095].executors[65534]"

//  ---------------------------------------------------------------------
//  For the record classes: the checks their decoders and encoders share.
//  kind names the record ("assignment") at the start of every error
//  message; path buffers have SQ_CLUSTER_PATH_MAX bytes.

//  How strictly sq_cluster_state_check_name treats a string.
typedef enum {
    SQ_CLUSTER_TEXT,     //  1..SQ_CLUSTER_MAX_NAME bytes, no control characters
    SQ_CLUSTER_NODE_NAME //  also usable as a ZooKeeper node name: no '/', not "." or ".."
} sq_cluster_name_rule_t;

//  Parse a record's bytes: a JSON object of the version this build reads.
//  Returns the object (caller owns), or NULL with the error set.
json_t *sq_cluster_state_parse (const char *kind, const void *data, size_t size);
//  Member `field` of object (whose own path is prefix, "" at the top),
//  with the wanted type; else NULL with the error set. Writes the member's
//  path into path. Borrowed from object.
json_t *sq_cluster_state_member (const char *kind, json_t *object, const char *prefix,
                                 const char *field, json_type type, char *path);
//  Element index of array (whose path is prefix), with the wanted type;
//  else NULL with the error set. Writes its path into path. Borrowed.
json_t *sq_cluster_state_element (const char *kind, json_t *array, const char *prefix, size_t index,
                                  json_type type, char *path);
//  0 when value is in min..max; else -1 with the error set.
int sq_cluster_state_check_integer (const char *kind, const char *path, long long value,
                                    long long min, long long max);
//  0 when array has at most max entries; else -1 with the error set.
int sq_cluster_state_check_array_size (const char *kind, const char *path, const json_t *array,
                                       size_t max);
//  0 when value passes rule; else -1 with the error set.
int sq_cluster_state_check_name (const char *kind, const char *path, const char *value,
                                 sq_cluster_name_rule_t rule);
//  Integer member in min..max, stored in *value_p; 0, or -1 with the
//  error set.
int sq_cluster_state_get_integer (const char *kind, json_t *object, const char *prefix,
                                  const char *field, long long min, long long max,
                                  long long *value_p);
//  String member that passes sq_cluster_state_check_name, borrowed from
//  object into *value_p; 0, or -1 with the error set.
int sq_cluster_state_get_name (const char *kind, json_t *object, const char *prefix,
                               const char *field, sq_cluster_name_rule_t rule,
                               const char **value_p);
//  Set a member, taking the value; sets *rc to -1 when that failed, so an
//  encoder can collect the failures of many calls.
void sq_cluster_state_set (json_t *object, const char *field, json_t *value, int *rc);
//  Dump a record built by an encoder, taking root: a compact JSON string
//  the caller owns (free), or NULL with the error set when rc is not 0 or
//  building failed.
char *sq_cluster_state_dump (const char *kind, json_t *root, int rc);
#endif
