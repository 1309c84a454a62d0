/*  sq_config - configuration with Storm's key names: the internal API

    The public functions (sq_config_new, sq_config_set, sq_config_int, ...)
    are declared in squall.h. This header adds what the daemons and the
    runtime need beyond them: loading a JSON config file, converting to and
    from jansson values (config travels inside JSON control messages),
    reading list keys, and walking the table of known keys.

    DESIGN: a config is a jansson object holding only the keys that were
    set; a getter falls back to the key's default from the table of known
    keys (doc/config.md lists them), then to the caller's fallback. Known
    keys are type-checked on every way in (text, typed setters, JSON, file);
    other keys belong to topologies and take any JSON value. A config is
    not thread-safe to modify, but many threads may read one that no one
    modifies.
*/
#ifndef SQ_CONFIG_H_INCLUDED
#define SQ_CONFIG_H_INCLUDED

#include "squall.h"

#include <jansson.h>

//  Type of a known key.
typedef enum {
    SQ_CONFIG_INT = 1,         //  64-bit integer
    SQ_CONFIG_DOUBLE = 2,      //  finite number
    SQ_CONFIG_BOOL = 3,        //  true or false
    SQ_CONFIG_STRING = 4,      //  text
    SQ_CONFIG_STRING_LIST = 5, //  list of strings
    SQ_CONFIG_INT_LIST = 6     //  list of integers
} sq_config_type_t;

//  One known key. default_text is in the syntax sq_config_set accepts
//  (lists comma-separated).
typedef struct {
    const char *name;         //  key, e.g. "topology.workers"
    sq_config_type_t type;    //  type every value of the key has
    const char *default_text; //  default value, as text
    const char *doc;          //  one-line meaning
} sq_config_key_t;

//  The range a numeric known key accepts, bounds included (for a list,
//  each element), in *min_p and *max_p (either may be NULL). False for a
//  key without one (not numeric, or not known).
bool sq_config_key_range (const char *name, double *min_p, double *max_p);
//  The known key at index (0, 1, ...), or NULL past the last one; for
//  iterating the table. The entry is static.
const sq_config_key_t *sq_config_key_at (size_t index);
//  The known key named name, or NULL for a key of a topology's own.
const sq_config_key_t *sq_config_key_lookup (const char *name);
//  Name of a type as the docs write it: "int", "double", "bool",
//  "string", "list of strings", "list of ints". Static string.
const char *sq_config_type_name (sq_config_type_t type);

//  Load a JSON config file: one object of key -> value. Known keys must
//  have their type (lists as JSON arrays); other keys take any JSON value.
//  Returns NULL when the file cannot be read, is not valid JSON (the error
//  names file, line and column), is not an object, or a known key has the
//  wrong type (the error names file and key). Caller owns.
sq_config_t *sq_config_load_file (const char *path);
//  Merge the keys of a JSON config file into self (--config FILE). Returns
//  0, or -1 with sq_last_error() naming the file and what is wrong with it.
int sq_config_merge_file (sq_config_t *self, const char *path);
//  Set one key from "key=value" text (-c key=value). Returns 0, or -1 with
//  sq_last_error() naming the problem.
int sq_config_set_option (sq_config_t *self, const char *option);
//  New config from a JSON object, as sq_config_load_file checks it.
//  NULL when json is not an object or a known key has the wrong type.
//  The config copies what it needs. Caller owns.
sq_config_t *sq_config_from_json (const json_t *json);
//  The keys set in the config as a JSON object (defaults not included).
//  NULL when out of memory. Caller owns (json_decref).
json_t *sq_config_to_json (const sq_config_t *self);
//  Set key to a copy of a JSON value, checked against a known key's type
//  (an integer is accepted for a double key). -1 on a wrong type.
int sq_config_set_json (sq_config_t *self, const char *key, const json_t *value);
//  Value of a key as JSON: the value set, else the known key's default,
//  else NULL. Borrowed: owned by the config (or, for defaults, by the
//  process); valid until the key is set again or the config destroyed.
const json_t *sq_config_json (const sq_config_t *self, const char *key);
//  A list key's JSON array: the value set, else the default, else NULL
//  (also NULL when the key holds something other than an array).
//  Borrowed, like sq_config_json.
const json_t *sq_config_list (const sq_config_t *self, const char *key);

#endif
