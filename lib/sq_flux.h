/*  sq_flux - topologies defined in YAML, in the shape of Storm's Flux

    A definition names the topology, its default config, its spouts and
    bolts and the streams between them (doc/flux.md):

        name: "wordcount"
        config:
          topology.workers: 2
        spouts:
          - id: "sentences"
            className: "org.apache.storm.flux.wrappers.spouts.FluxShellSpout"
            constructorArgs: [["python3", "sentences.py"], ["sentence"]]
            parallelism: 1
        bolts:
          - id: "count"
            library: "resources/libcount.so"   # a C component: an exported
            symbol: "count_bolt"               # const sq_bolt_t of a library
            parallelism: 2
        streams:
          - from: "sentences"
            to: "count"
            grouping: {type: FIELDS, args: ["sentence"]}

    Loading parses the YAML with libyaml and checks its shape: mistakes
    (bad YAML, an unknown key, a value of the wrong type, a missing id, an
    unknown grouping, a duplicate id, a stream to or from no component, a
    config key of the wrong type) are reported with the file, line and key.
    Building turns the definition into an sq_topology_t, whose graph the
    caller validates with sq_topology_validate as it does a C package's.

    The file is outside input: its size, every list's length and the
    nesting of config values are bounded, and nothing in it is asserted.
*/
#ifndef SQ_FLUX_H_INCLUDED
#define SQ_FLUX_H_INCLUDED

#include "squall.h"

typedef struct _sq_flux_t sq_flux_t;

//  Name of the definition file a package directory or archive holds at its
//  top instead of a shared object.
#define SQ_FLUX_PACKAGE_FILE "topology.yaml"
//  Largest definition file, in bytes.
#define SQ_FLUX_MAX_BYTES (1024 * 1024)

//  Read and check the definition in the file at path. NULL, with
//  sq_last_error() naming the file, line and key, when it cannot be read
//  or is not a valid definition. Caller owns.
sq_flux_t *sq_flux_load (const char *path);
//  The same for a definition held in memory (size bytes); `path` names it
//  in errors, and its directory is where relative libraries and the
//  resources/ folder are looked for. Caller owns.
sq_flux_t *sq_flux_parse (const char *text, size_t size, const char *path);
//  Destroy, unloading the libraries of C components; NULL-safe; nulls the
//  caller's pointer. Destroy topologies built from it first.
void sq_flux_destroy (sq_flux_t **self_p);
//  The definition's `name`, or NULL when it has none. Owned by self.
const char *sq_flux_name (const sq_flux_t *self);
//  Build the topology: its default config from `config`, its components
//  and streams; shell components run in the definition's directory's
//  resources/ (or the directory itself when it has none). NULL, with
//  sq_last_error() naming the file, line and reason, when a C component's
//  library cannot be loaded or lacks its symbol. Caller owns.
sq_topology_t *sq_flux_build (sq_flux_t *self);
//  Lay out the definition at path as a package directory in dir (which
//  must exist, normally new and empty), as storm-submit does before it
//  packs and uploads it: dir/topology.yaml (a copy of the file), a copy
//  of the resources/ folder beside it, and a copy of every library its C
//  components name by a relative path (absolute ones must exist where the
//  topology runs). Only regular files and directories are copied. 0, or
//  -1 with sq_last_error() naming the file at fault (a library outside
//  the definition's directory, a link, an unreadable file).
int sq_flux_stage (const char *path, const char *dir);
//  True when path names a definition file (ends in .yaml or .yml).
bool sq_flux_is_definition (const char *path);

#endif
