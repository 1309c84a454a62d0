/*  sq_flux - topologies defined in YAML, in the shape of Storm's Flux

    DESIGN: libyaml loads the file into a document (a graph of scalar,
    sequence and mapping nodes, each with its line), which is walked once,
    shape by shape, into plain structs: nothing of the document survives
    the load, and every error is found with the node that caused it, so it
    can name the line. The walk has a fixed depth (config values, which may
    nest, stop at SQ_FLUX_MAX_DEPTH), every list it copies is bounded, and
    config values are counted as they are converted, each use of an alias
    again, so aliases that point at one node many times cost at most the
    bounds.
    The graph rules that C topologies have (fields a source never
    declared, groupings on unknown streams, names) stay in
    sq_topology_validate, so a definition and a C package are held to the
    same rules with the same messages; only what the YAML can say and C
    cannot (a duplicate key, a stream to nowhere) is checked here, with a
    line number.
*/
#include "sq_flux.h"
#include "sq_config.h"
#include "sq_error.h"
#include "sq_topology.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

//  Bounds on what a definition may hold.
#define SQ_FLUX_MAX_COMPONENTS 1024
#define SQ_FLUX_MAX_STREAMS 4096
#define SQ_FLUX_MAX_LIST 256
#define SQ_FLUX_MAX_CONFIG 1024
#define SQ_FLUX_MAX_DEPTH 16
#define SQ_FLUX_MAX_VALUES 100000 //  config values in all, aliases counted each time
#define SQ_FLUX_MAX_PARALLELISM 100000

static const char *const s_shell_spout_classes[] = {
    "org.apache.storm.flux.wrappers.spouts.FluxShellSpout", "FluxShellSpout", NULL};
static const char *const s_shell_bolt_classes[] = {
    "org.apache.storm.flux.wrappers.bolts.FluxShellBolt", "FluxShellBolt", NULL};

//  One output stream of a shell component.
typedef struct {
    char *name;   //  stream id
    char *fields; //  comma-separated fields ("" for none)
} flux_output_t;

//  One spout or bolt of the definition.
typedef struct {
    char *id;               //  component id
    bool spout;             //  a spout (else a bolt)
    size_t line;            //  where it is defined (1-based)
    int parallelism;        //  executors
    int num_tasks;          //  tasks, or -1: as many as executors
    char **argv;            //  shell: command and arguments, NULL-terminated
    flux_output_t *outputs; //  shell: declared streams
    size_t output_count;    //  number of outputs
    char *library;          //  C: shared object holding the component
    char *symbol;           //  C: its exported sq_spout_t / sq_bolt_t
} flux_component_t;

//  One subscription of the definition.
typedef struct {
    char *from;              //  emitting component
    char *to;                //  subscribing bolt
    char *stream;            //  stream id (NULL: default)
    sq_grouping_type_t type; //  grouping
    char *fields;            //  fields / partial key: comma-separated fields
    size_t line;             //  where it is defined (1-based)
} flux_stream_t;

struct _sq_flux_t {
    char *path;                   //  the file, for messages
    char *dir;                    //  its directory
    char *name;                   //  `name`, or NULL
    json_t *config;               //  `config` as a JSON object
    flux_component_t *components; //  spouts, then bolts
    size_t component_count;       //  number of components
    flux_stream_t *streams;       //  the streams
    size_t stream_count;          //  number of streams
    void **libraries;             //  dlopen handles of C components' libraries
    size_t library_count;         //  number of handles
};

//  What the walk needs at hand.
typedef struct {
    const char *path;     //  file name for messages
    yaml_document_t *doc; //  the loaded document
    sq_flux_t *flux;      //  what is being filled
    size_t values;        //  config values converted so far
} flux_walk_t;

static int s_fail (flux_walk_t *walk, const yaml_node_t *node, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (flux_walk_t *walk, const yaml_node_t *node, const char *format, ...)
{
    char message[512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    return sq_error_set ("%s:%zu: %s", walk->path, (size_t) node->start_mark.line + 1, message);
}

static yaml_node_t *
s_node (flux_walk_t *walk, int id)
{
    return yaml_document_get_node (walk->doc, id);
}

static const char *
s_node_kind (const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "empty";
    }
}

//  The scalar's text, or NULL (with the error set) when node is no string.
static const char *
s_string (flux_walk_t *walk, const yaml_node_t *node, const char *key)
{
    if (node->type != YAML_SCALAR_NODE)
        return s_fail (walk, node, "'%s' must be a string, not %s", key, s_node_kind (node)), NULL;
    if (strlen ((const char *) node->data.scalar.value) != node->data.scalar.length)
        return s_fail (walk, node, "'%s' holds a NUL byte", key), NULL;
    return (const char *) node->data.scalar.value;
}

//  A non-empty string, copied; NULL with the error set otherwise.
static char *
s_string_dup (flux_walk_t *walk, const yaml_node_t *node, const char *key)
{
    const char *text = s_string (walk, node, key);
    if (!text)
        return NULL;
    if (!*text)
        return s_fail (walk, node, "'%s' must not be empty", key), NULL;
    char *copy = strdup (text);
    if (!copy)
        sq_error_set ("out of memory");
    return copy;
}

static bool
s_plain (const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int
s_integer (flux_walk_t *walk, const yaml_node_t *node, const char *key, int min, int max,
           int *value)
{
    if (!s_plain (node))
        return s_fail (walk, node, "'%s' must be an integer, not %s", key,
                       node->type == YAML_SCALAR_NODE ? "a string" : s_node_kind (node));
    const char *text = (const char *) node->data.scalar.value;
    char *end = NULL;
    errno = 0;
    long number = strtol (text, &end, 10);
    if (!*text || *end || errno)
        return s_fail (walk, node, "'%s' must be an integer, not '%s'", key, text);
    if (number < min || number > max)
        return s_fail (walk, node, "'%s' must be from %d to %d, not %ld", key, min, max, number);
    *value = (int) number;
    return 0;
}

//  A plain scalar as YAML 1.2's core schema reads it; a quoted one is a
//  string. Caller owns.
static json_t *
s_scalar_json (const yaml_node_t *node)
{
    const char *text = (const char *) node->data.scalar.value;
    if (!s_plain (node))
        return json_stringn (text, node->data.scalar.length);
    if (!*text || !strcmp (text, "~") || !strcmp (text, "null") || !strcmp (text, "Null") ||
        !strcmp (text, "NULL"))
        return json_null ();
    if (!strcmp (text, "true") || !strcmp (text, "True") || !strcmp (text, "TRUE"))
        return json_true ();
    if (!strcmp (text, "false") || !strcmp (text, "False") || !strcmp (text, "FALSE"))
        return json_false ();
    char *end = NULL;
    errno = 0;
    long long integer = strtoll (text, &end, 10);
    if (*end == '\0' && errno == 0)
        return json_integer (integer);
    errno = 0;
    double real = strtod (text, &end);
    if (*end == '\0' && errno == 0 && strspn (text, "+-0123456789.eE") == strlen (text))
        return json_real (real);
    return json_stringn (text, node->data.scalar.length);
}

//  A config value (scalars, lists and mappings, nested at most
//  SQ_FLUX_MAX_DEPTH deep) as JSON; NULL with the error set.
static json_t *
s_value_json (flux_walk_t *walk, const yaml_node_t *node, const char *key, int depth)
{
    if (depth > SQ_FLUX_MAX_DEPTH)
        return s_fail (walk, node, "'%s' nests deeper than %d levels", key, SQ_FLUX_MAX_DEPTH),
               NULL;
    //  An alias repeats a node without repeating its text: count each use,
    //  or a few lines of aliases could expand to billions of values.
    if (++walk->values > SQ_FLUX_MAX_VALUES)
        return s_fail (walk, node,
                       "'config' holds more than %d values (aliases counted each "
                       "time they are used)",
                       SQ_FLUX_MAX_VALUES),
               NULL;
    json_t *value = NULL;
    if (node->type == YAML_SCALAR_NODE)
        value = s_scalar_json (node);
    else if (node->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *item = node->data.sequence.items.start;
        if (node->data.sequence.items.top - item > SQ_FLUX_MAX_CONFIG)
            return s_fail (walk, node, "'%s' has more than %d items", key, SQ_FLUX_MAX_CONFIG),
                   NULL;
        value = json_array ();
        for (; value && item < node->data.sequence.items.top; item++) {
            json_t *member = s_value_json (walk, s_node (walk, *item), key, depth + 1);
            if (!member || json_array_append_new (value, member)) {
                json_decref (value);
                return NULL;
            }
        }
    } else if (node->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *pair = node->data.mapping.pairs.start;
        if (node->data.mapping.pairs.top - pair > SQ_FLUX_MAX_CONFIG)
            return s_fail (walk, node, "'%s' has more than %d keys", key, SQ_FLUX_MAX_CONFIG), NULL;
        value = json_object ();
        for (; value && pair < node->data.mapping.pairs.top; pair++) {
            const char *name = s_string (walk, s_node (walk, pair->key), key);
            json_t *member =
                name ? s_value_json (walk, s_node (walk, pair->value), name, depth + 1) : NULL;
            if (!member || json_object_set_new (value, name, member)) {
                json_decref (value);
                return NULL;
            }
        }
    } else
        return s_fail (walk, node, "'%s' has no value", key), NULL;
    if (!value)
        sq_error_set ("out of memory");
    return value;
}

//  Walk a mapping's pairs: for each, find its key among `keys` (NULL-ended)
//  and store the value node in nodes[index]. An unknown key, a key given
//  twice or a key that is not a string is an error naming `what`.
static int
s_mapping (flux_walk_t *walk, const yaml_node_t *node, const char *what, const char *const *keys,
           yaml_node_t **nodes)
{
    if (node->type != YAML_MAPPING_NODE)
        return s_fail (walk, node, "%s must be a mapping, not %s", what, s_node_kind (node));
    for (size_t index = 0; keys[index]; index++)
        nodes[index] = NULL;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = s_node (walk, pair->key);
        const char *key = s_string (walk, key_node, "key");
        if (!key)
            return -1;
        size_t index = 0;
        while (keys[index] && strcmp (keys[index], key))
            index++;
        if (!keys[index]) {
            char known[256] = "";
            for (size_t other = 0; keys[other]; other++)
                snprintf (known + strlen (known), sizeof known - strlen (known), "%s%s",
                          other ? ", " : "", keys[other]);
            return s_fail (walk, key_node, "unknown key '%s' in %s (known: %s)", key, what, known);
        }
        if (nodes[index])
            return s_fail (walk, key_node, "key '%s' given twice in %s", key, what);
        nodes[index] = s_node (walk, pair->value);
    }
    return 0;
}

//  A list of strings joined with commas (fields); NULL with the error set.
static char *
s_fields (flux_walk_t *walk, const yaml_node_t *node, const char *key)
{
    if (node->type != YAML_SEQUENCE_NODE)
        return s_fail (walk, node, "'%s' must be a list of field names, not %s", key,
                       s_node_kind (node)),
               NULL;
    yaml_node_item_t *start = node->data.sequence.items.start;
    yaml_node_item_t *top = node->data.sequence.items.top;
    if (top - start > SQ_FLUX_MAX_LIST)
        return s_fail (walk, node, "'%s' has more than %d fields", key, SQ_FLUX_MAX_LIST), NULL;
    size_t size = 1;
    for (yaml_node_item_t *item = start; item < top; item++) {
        yaml_node_t *field = s_node (walk, *item);
        const char *text = s_string (walk, field, key);
        if (!text)
            return NULL;
        if (!*text || strchr (text, ','))
            return s_fail (walk, field, "'%s' holds a bad field name '%s'", key, text), NULL;
        size += strlen (text) + 1;
    }
    char *joined = calloc (1, size);
    if (!joined)
        return sq_error_set ("out of memory"), NULL;
    for (yaml_node_item_t *item = start; item < top; item++) {
        if (item > start)
            strcat (joined, ",");
        strcat (joined, (const char *) s_node (walk, *item)->data.scalar.value);
    }
    return joined;
}

static bool
s_in (const char *text, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp (text, *list))
            return true;
    return false;
}

//  constructorArgs of a shell component: [[command, args...], fields]
//  where fields is a list (the default stream's) or a mapping of stream
//  id to a list; the second item may be left out (no output).
static int
s_shell_args (flux_walk_t *walk, const yaml_node_t *node, flux_component_t *component)
{
    if (node->type != YAML_SEQUENCE_NODE)
        return s_fail (walk, node,
                       "'constructorArgs' must be a list: [[command, args...], [fields...]]");
    yaml_node_item_t *items = node->data.sequence.items.start;
    size_t count = (size_t) (node->data.sequence.items.top - items);
    if (count < 1 || count > 2)
        return s_fail (walk, node,
                       "'constructorArgs' must hold [command, args...] and the output fields, "
                       "not %zu items",
                       count);
    yaml_node_t *command = s_node (walk, items[0]);
    if (command->type != YAML_SEQUENCE_NODE ||
        command->data.sequence.items.top == command->data.sequence.items.start)
        return s_fail (walk, command, "the command in 'constructorArgs' must be a non-empty list");
    size_t words = (size_t) (command->data.sequence.items.top - command->data.sequence.items.start);
    if (words > SQ_FLUX_MAX_LIST)
        return s_fail (walk, command, "the command has more than %d words", SQ_FLUX_MAX_LIST);
    component->argv = calloc (words + 1, sizeof (char *));
    if (!component->argv)
        return sq_error_set ("out of memory");
    for (size_t index = 0; index < words; index++) {
        yaml_node_t *word = s_node (walk, command->data.sequence.items.start[index]);
        const char *text = s_string (walk, word, "constructorArgs");
        if (!text || !(component->argv[index] = strdup (text)))
            return text ? sq_error_set ("out of memory") : -1;
    }
    if (!*component->argv[0])
        return s_fail (walk, command, "the command in 'constructorArgs' is empty");
    if (count < 2)
        return 0;
    yaml_node_t *outputs = s_node (walk, items[1]);
    if (outputs->type == YAML_SEQUENCE_NODE) {
        component->outputs = calloc (1, sizeof (flux_output_t));
        if (!component->outputs || !(component->outputs[0].name = strdup (SQ_DEFAULT_STREAM)))
            return sq_error_set ("out of memory");
        component->output_count = 1;
        component->outputs[0].fields = s_fields (walk, outputs, "constructorArgs");
        return component->outputs[0].fields ? 0 : -1;
    }
    if (outputs->type != YAML_MAPPING_NODE)
        return s_fail (walk, outputs,
                       "the output fields in 'constructorArgs' must be a list, or a mapping of "
                       "stream id to list, not %s",
                       s_node_kind (outputs));
    yaml_node_pair_t *pairs = outputs->data.mapping.pairs.start;
    size_t streams = (size_t) (outputs->data.mapping.pairs.top - pairs);
    if (streams > SQ_FLUX_MAX_LIST)
        return s_fail (walk, outputs, "more than %d output streams", SQ_FLUX_MAX_LIST);
    component->outputs = calloc (streams ? streams : 1, sizeof (flux_output_t));
    if (!component->outputs)
        return sq_error_set ("out of memory");
    for (size_t index = 0; index < streams; index++) {
        flux_output_t *output = &component->outputs[component->output_count++];
        output->name = s_string_dup (walk, s_node (walk, pairs[index].key), "stream id");
        if (!output->name)
            return -1;
        output->fields = s_fields (walk, s_node (walk, pairs[index].value), output->name);
        if (!output->fields)
            return -1;
    }
    return 0;
}

static flux_component_t *
s_find (sq_flux_t *flux, const char *id)
{
    for (size_t index = 0; index < flux->component_count; index++)
        if (!strcmp (flux->components[index].id, id))
            return &flux->components[index];
    return NULL;
}

static int
s_component (flux_walk_t *walk, const yaml_node_t *node, bool spout)
{
    static const char *const keys[] = {"id",       "className", "constructorArgs", "parallelism",
                                       "numTasks", "library",   "symbol",          NULL};
    enum { ID, CLASS, ARGS, PARALLELISM, TASKS, LIBRARY, SYMBOL };
    yaml_node_t *value[7];
    const char *what = spout ? "a spout" : "a bolt";
    if (s_mapping (walk, node, what, keys, value))
        return -1;
    sq_flux_t *flux = walk->flux;
    flux_component_t *component = &flux->components[flux->component_count++];
    component->spout = spout;
    component->line = (size_t) node->start_mark.line + 1;
    component->parallelism = 1;
    component->num_tasks = -1;
    if (!value[ID])
        return s_fail (walk, node, "%s without 'id'", what);
    component->id = s_string_dup (walk, value[ID], "id");
    if (!component->id)
        return -1;
    flux_component_t *other = s_find (flux, component->id);
    if (other != component)
        return s_fail (walk, value[ID], "id '%s' is already used by the %s on line %zu",
                       component->id, other->spout ? "spout" : "bolt", other->line);
    if (value[PARALLELISM] && s_integer (walk, value[PARALLELISM], "parallelism", 1,
                                         SQ_FLUX_MAX_PARALLELISM, &component->parallelism))
        return -1;
    if (value[TASKS] && s_integer (walk, value[TASKS], "numTasks", 0, SQ_FLUX_MAX_PARALLELISM,
                                   &component->num_tasks))
        return -1;
    if (value[LIBRARY] || value[SYMBOL]) {
        if (!value[LIBRARY] || !value[SYMBOL])
            return s_fail (walk, node, "%s '%s' from a C library needs both 'library' and 'symbol'",
                           what, component->id);
        if (value[CLASS] || value[ARGS])
            return s_fail (walk, value[CLASS] ? value[CLASS] : value[ARGS],
                           "%s '%s' from a C library takes no 'className' or 'constructorArgs'",
                           what, component->id);
        component->library = s_string_dup (walk, value[LIBRARY], "library");
        component->symbol =
            component->library ? s_string_dup (walk, value[SYMBOL], "symbol") : NULL;
        return component->symbol ? 0 : -1;
    }
    if (!value[CLASS])
        return s_fail (walk, node,
                       "%s '%s' needs 'className' (%s) or 'library' and 'symbol' (a C component)",
                       what, component->id, spout ? "FluxShellSpout" : "FluxShellBolt");
    const char *class_name = s_string (walk, value[CLASS], "className");
    if (!class_name)
        return -1;
    const char *const *shell = spout ? s_shell_spout_classes : s_shell_bolt_classes;
    if (!s_in (class_name, shell))
        return s_fail (walk, value[CLASS],
                       "className '%s' of %s '%s': Squall runs %s (a shell component) or a C "
                       "component ('library' and 'symbol'), not Java classes",
                       class_name, what, component->id, shell[0]);
    if (!value[ARGS])
        return s_fail (walk, node,
                       "%s '%s' needs 'constructorArgs': [[command, args...], [fields...]]", what,
                       component->id);
    return s_shell_args (walk, value[ARGS], component);
}

static int
s_components (flux_walk_t *walk, const yaml_node_t *node, bool spout)
{
    const char *key = spout ? "spouts" : "bolts";
    if (node->type != YAML_SEQUENCE_NODE)
        return s_fail (walk, node, "'%s' must be a list, not %s", key, s_node_kind (node));
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++)
        if (s_component (walk, s_node (walk, *item), spout))
            return -1;
    return 0;
}

static const struct {
    const char *name;        //  Flux's grouping type
    sq_grouping_type_t type; //  ours
} s_groupings[] = {
    {"SHUFFLE", SQ_GROUPING_SHUFFLE},
    {"FIELDS", SQ_GROUPING_FIELDS},
    {"ALL", SQ_GROUPING_ALL},
    {"GLOBAL", SQ_GROUPING_GLOBAL},
    {"NONE", SQ_GROUPING_NONE},
    {"DIRECT", SQ_GROUPING_DIRECT},
    {"LOCAL_OR_SHUFFLE", SQ_GROUPING_LOCAL_OR_SHUFFLE},
    {"PARTIAL_KEY", SQ_GROUPING_PARTIAL_KEY},
};

static int
s_grouping (flux_walk_t *walk, const yaml_node_t *node, flux_stream_t *stream)
{
    static const char *const keys[] = {"type", "args", "streamId", NULL};
    enum { TYPE, ARGS, STREAM_ID };
    yaml_node_t *value[3];
    if (s_mapping (walk, node, "a grouping", keys, value))
        return -1;
    if (!value[TYPE])
        return s_fail (walk, node, "a grouping without 'type'");
    const char *type = s_string (walk, value[TYPE], "type");
    if (!type)
        return -1;
    size_t index = 0;
    size_t count = sizeof s_groupings / sizeof s_groupings[0];
    while (index < count && strcmp (s_groupings[index].name, type))
        index++;
    if (index == count)
        return s_fail (walk, value[TYPE],
                       "unknown grouping type '%s' (known: SHUFFLE, FIELDS, ALL, GLOBAL, NONE, "
                       "DIRECT, LOCAL_OR_SHUFFLE, PARTIAL_KEY)",
                       type);
    stream->type = s_groupings[index].type;
    bool keyed = stream->type == SQ_GROUPING_FIELDS || stream->type == SQ_GROUPING_PARTIAL_KEY;
    if (keyed && !value[ARGS])
        return s_fail (walk, node, "a %s grouping needs 'args': the fields to group on", type);
    if (!keyed && value[ARGS])
        return s_fail (walk, value[ARGS], "a %s grouping takes no 'args'", type);
    if (keyed) {
        stream->fields = s_fields (walk, value[ARGS], "args");
        if (!stream->fields)
            return -1;
        if (!*stream->fields)
            return s_fail (walk, value[ARGS], "a %s grouping needs at least one field", type);
    }
    if (value[STREAM_ID] && !(stream->stream = s_string_dup (walk, value[STREAM_ID], "streamId")))
        return -1;
    return 0;
}

static int
s_streams (flux_walk_t *walk, const yaml_node_t *node)
{
    static const char *const keys[] = {"name", "from", "to", "grouping", NULL};
    enum { NAME, FROM, TO, GROUPING };
    if (node->type != YAML_SEQUENCE_NODE)
        return s_fail (walk, node, "'streams' must be a list, not %s", s_node_kind (node));
    sq_flux_t *flux = walk->flux;
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++) {
        yaml_node_t *entry = s_node (walk, *item);
        yaml_node_t *value[4];
        if (s_mapping (walk, entry, "a stream", keys, value))
            return -1;
        flux_stream_t *stream = &flux->streams[flux->stream_count++];
        stream->line = (size_t) entry->start_mark.line + 1;
        if (value[NAME] && !s_string (walk, value[NAME], "name"))
            return -1;
        if (!value[FROM] || !value[TO] || !value[GROUPING])
            return s_fail (walk, entry, "a stream without '%s'",
                           !value[FROM] ? "from"
                           : !value[TO] ? "to"
                                        : "grouping");
        stream->from = s_string_dup (walk, value[FROM], "from");
        if (!stream->from)
            return -1;
        stream->to = s_string_dup (walk, value[TO], "to");
        if (!stream->to)
            return -1;
        if (!s_find (flux, stream->from))
            return s_fail (walk, value[FROM], "stream from '%s': no spout or bolt has that id",
                           stream->from);
        flux_component_t *target = s_find (flux, stream->to);
        if (!target)
            return s_fail (walk, value[TO], "stream to '%s': no bolt has that id", stream->to);
        if (target->spout)
            return s_fail (walk, value[TO], "stream to '%s': a spout takes no input", stream->to);
        if (s_grouping (walk, value[GROUPING], stream))
            return -1;
    }
    return 0;
}

static size_t
s_length (const yaml_node_t *node)
{
    return node && node->type == YAML_SEQUENCE_NODE
               ? (size_t) (node->data.sequence.items.top - node->data.sequence.items.start)
               : 0;
}

static int
s_config (flux_walk_t *walk, const yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE)
        return s_fail (walk, node, "'config' must be a mapping, not %s", s_node_kind (node));
    if (node->data.mapping.pairs.top - node->data.mapping.pairs.start > SQ_FLUX_MAX_CONFIG)
        return s_fail (walk, node, "'config' has more than %d keys", SQ_FLUX_MAX_CONFIG);
    sq_config_t *check = sq_config_new ();
    walk->flux->config = json_object ();
    if (!check || !walk->flux->config) {
        sq_config_destroy (&check);
        return sq_error_set ("out of memory");
    }
    int rc = 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         rc == 0 && pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = s_node (walk, pair->key);
        const char *key = s_string (walk, key_node, "config key");
        json_t *value = key ? s_value_json (walk, s_node (walk, pair->value), key, 1) : NULL;
        if (!value)
            rc = -1;
        else if (json_object_get (walk->flux->config, key)) {
            json_decref (value);
            rc = s_fail (walk, key_node, "config key '%s' given twice", key);
        } else if (sq_config_set_json (check, key, value)) {
            //  sq_last_error() says which type the key wants.
            char reason[256];
            snprintf (reason, sizeof reason, "%s", sq_last_error ());
            json_decref (value);
            rc = s_fail (walk, s_node (walk, pair->value), "%s", reason);
        } else if (json_object_set_new (walk->flux->config, key, value))
            rc = sq_error_set ("out of memory");
    }
    sq_config_destroy (&check);
    return rc;
}

static int
s_top (flux_walk_t *walk, const yaml_node_t *root)
{
    static const char *const keys[] = {"name", "config", "spouts", "bolts", "streams", NULL};
    enum { NAME, CONFIG, SPOUTS, BOLTS, STREAMS };
    yaml_node_t *value[5];
    if (s_mapping (walk, root, "the definition", keys, value))
        return -1;
    sq_flux_t *flux = walk->flux;
    if (value[NAME]) {
        flux->name = s_string_dup (walk, value[NAME], "name");
        if (!flux->name)
            return -1;
        if (sq_topology_check_name (flux->name))
            return s_fail (walk, value[NAME], "name: %s", sq_last_error ());
    }
    if (value[CONFIG] && s_config (walk, value[CONFIG]))
        return -1;
    if (!flux->config && !(flux->config = json_object ()))
        return sq_error_set ("out of memory");
    if (!value[SPOUTS])
        return s_fail (walk, root, "the definition has no 'spouts'");
    size_t components = s_length (value[SPOUTS]) + s_length (value[BOLTS]);
    if (components > SQ_FLUX_MAX_COMPONENTS)
        return s_fail (walk, root, "more than %d spouts and bolts", SQ_FLUX_MAX_COMPONENTS);
    flux->components = calloc (components ? components : 1, sizeof (flux_component_t));
    if (!flux->components)
        return sq_error_set ("out of memory");
    if (s_components (walk, value[SPOUTS], true))
        return -1;
    if (value[BOLTS] && s_components (walk, value[BOLTS], false))
        return -1;
    size_t streams = s_length (value[STREAMS]);
    if (streams > SQ_FLUX_MAX_STREAMS)
        return s_fail (walk, value[STREAMS], "more than %d streams", SQ_FLUX_MAX_STREAMS);
    flux->streams = calloc (streams ? streams : 1, sizeof (flux_stream_t));
    if (!flux->streams)
        return sq_error_set ("out of memory");
    if (value[STREAMS] && s_streams (walk, value[STREAMS]))
        return -1;
    return 0;
}

sq_flux_t *
sq_flux_parse (const char *text, size_t size, const char *path)
{
    if (!text || !path)
        return sq_error_set ("sq_flux_parse: no text or path"), NULL;
    if (size > SQ_FLUX_MAX_BYTES)
        return sq_error_set ("%s: larger than %d bytes", path, SQ_FLUX_MAX_BYTES), NULL;
    sq_flux_t *self = calloc (1, sizeof (sq_flux_t));
    if (!self)
        return sq_error_set ("out of memory"), NULL;
    self->path = strdup (path);
    const char *slash = strrchr (path, '/');
    self->dir = slash ? strndup (path, (size_t) (slash - path) + (slash == path)) : strdup (".");
    if (!self->path || !self->dir) {
        sq_flux_destroy (&self);
        return sq_error_set ("out of memory"), NULL;
    }
    yaml_parser_t parser;
    yaml_document_t document;
    if (!yaml_parser_initialize (&parser)) {
        sq_flux_destroy (&self);
        return sq_error_set ("out of memory"), NULL;
    }
    yaml_parser_set_input_string (&parser, (const unsigned char *) text, size);
    int rc = 0;
    if (!yaml_parser_load (&parser, &document)) {
        rc = sq_error_set ("%s:%zu: not valid YAML: %s%s%s", path,
                           (size_t) parser.problem_mark.line + 1,
                           parser.problem ? parser.problem : "unreadable",
                           parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete (&parser);
        sq_flux_destroy (&self);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node (&document);
    flux_walk_t walk = {.path = path, .doc = &document, .flux = self};
    if (!root)
        rc = sq_error_set ("%s:1: the file holds no definition", path);
    else
        rc = s_top (&walk, root);
    yaml_document_delete (&document);
    yaml_parser_delete (&parser);
    if (rc)
        sq_flux_destroy (&self);
    return self;
}

sq_flux_t *
sq_flux_load (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return sq_error_set ("%s: cannot open: %s", path, strerror (errno)), NULL;
    char *text = malloc (SQ_FLUX_MAX_BYTES + 1);
    size_t size = text ? fread (text, 1, SQ_FLUX_MAX_BYTES + 1, file) : 0;
    bool failed = !text || ferror (file);
    fclose (file);
    sq_flux_t *self = NULL;
    if (!text)
        sq_error_set ("out of memory");
    else if (failed)
        sq_error_set ("%s: cannot read", path);
    else
        self = sq_flux_parse (text, size, path);
    free (text);
    return self;
}

static void
s_component_free (flux_component_t *component)
{
    free (component->id);
    for (char **word = component->argv; word && *word; word++)
        free (*word);
    free (component->argv);
    for (size_t index = 0; index < component->output_count; index++) {
        free (component->outputs[index].name);
        free (component->outputs[index].fields);
    }
    free (component->outputs);
    free (component->library);
    free (component->symbol);
}

void
sq_flux_destroy (sq_flux_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sq_flux_t *self = *self_p;
    for (size_t index = 0; index < self->component_count; index++)
        s_component_free (&self->components[index]);
    free (self->components);
    for (size_t index = 0; index < self->stream_count; index++) {
        free (self->streams[index].from);
        free (self->streams[index].to);
        free (self->streams[index].stream);
        free (self->streams[index].fields);
    }
    free (self->streams);
    for (size_t index = 0; index < self->library_count; index++)
        dlclose (self->libraries[index]);
    free (self->libraries);
    json_decref (self->config);
    free (self->name);
    free (self->path);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *
sq_flux_name (const sq_flux_t *self)
{
    return self->name;
}

bool
sq_flux_is_definition (const char *path)
{
    size_t length = path ? strlen (path) : 0;
    return (length > 5 && !strcmp (path + length - 5, ".yaml")) ||
           (length > 4 && !strcmp (path + length - 4, ".yml"));
}

//  The library's exported symbol (a spout or bolt table), loading the
//  library once per build; NULL with the error set.
static const void *
s_symbol (sq_flux_t *self, const flux_component_t *component)
{
    char *path = NULL;
    if (component->library[0] == '/')
        path = strdup (component->library);
    else if (asprintf (&path, "%s/%s", self->dir, component->library) < 0)
        path = NULL;
    if (!path)
        return sq_error_set ("out of memory"), NULL;
    void **grown = realloc (self->libraries, (self->library_count + 1) * sizeof (void *));
    if (!grown) {
        free (path);
        return sq_error_set ("out of memory"), NULL;
    }
    self->libraries = grown;
    void *handle = dlopen (path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        sq_error_set ("%s:%zu: %s '%s': library '%s' cannot be loaded: %s", self->path,
                      component->line, component->spout ? "spout" : "bolt", component->id, path,
                      dlerror ());
        free (path);
        return NULL;
    }
    self->libraries[self->library_count++] = handle;
    dlerror ();
    const void *symbol = dlsym (handle, component->symbol);
    if (!symbol)
        sq_error_set ("%s:%zu: %s '%s': library '%s' exports no '%s'", self->path, component->line,
                      component->spout ? "spout" : "bolt", component->id, path, component->symbol);
    free (path);
    return symbol;
}

static sq_component_t *
s_build_shell (sq_topology_t *topology, const flux_component_t *component)
{
    //  The default stream's fields go to the constructor, others after it.
    const char *fields = NULL;
    for (size_t index = 0; index < component->output_count; index++)
        if (!strcmp (component->outputs[index].name, SQ_DEFAULT_STREAM))
            fields = component->outputs[index].fields;
    const char *const *args = (const char *const *) component->argv + 1;
    sq_component_t *built = component->spout
                                ? sq_shell_spout (topology, component->id, component->argv[0], args,
                                                  fields, component->parallelism)
                                : sq_shell_bolt (topology, component->id, component->argv[0], args,
                                                 fields, component->parallelism);
    for (size_t index = 0; built && index < component->output_count; index++)
        if (strcmp (component->outputs[index].name, SQ_DEFAULT_STREAM))
            sq_shell_stream (built, component->outputs[index].name,
                             component->outputs[index].fields, false);
    return built;
}

static void
s_subscribe (sq_component_t *bolt, const flux_stream_t *stream)
{
    switch (stream->type) {
    case SQ_GROUPING_SHUFFLE:
        sq_component_shuffle_grouping (bolt, stream->from, stream->stream);
        break;
    case SQ_GROUPING_FIELDS:
        sq_component_fields_grouping (bolt, stream->from, stream->stream, stream->fields);
        break;
    case SQ_GROUPING_ALL:
        sq_component_all_grouping (bolt, stream->from, stream->stream);
        break;
    case SQ_GROUPING_GLOBAL:
        sq_component_global_grouping (bolt, stream->from, stream->stream);
        break;
    case SQ_GROUPING_DIRECT:
        sq_component_direct_grouping (bolt, stream->from, stream->stream);
        break;
    case SQ_GROUPING_LOCAL_OR_SHUFFLE:
        sq_component_local_or_shuffle_grouping (bolt, stream->from, stream->stream);
        break;
    case SQ_GROUPING_NONE:
        sq_component_none_grouping (bolt, stream->from, stream->stream);
        break;
    case SQ_GROUPING_PARTIAL_KEY:
        sq_component_partial_key_grouping (bolt, stream->from, stream->stream, stream->fields);
        break;
    case SQ_GROUPING_CUSTOM:
        break; //  a definition cannot name one
    }
}

sq_topology_t *
sq_flux_build (sq_flux_t *self)
{
    sq_topology_t *topology = sq_topology_new ();
    if (!topology)
        return sq_error_set ("out of memory"), NULL;
    sq_config_t *config = sq_topology_config (topology);
    const char *key;
    json_t *value;
    json_object_foreach (self->config, key, value)
    {
        //  Checked when loaded; only memory can fail here.
        if (sq_config_set_json (config, key, value)) {
            sq_topology_destroy (&topology);
            return NULL;
        }
    }
    char *resources = NULL;
    struct stat info;
    if (asprintf (&resources, "%s/resources", self->dir) < 0) {
        sq_topology_destroy (&topology);
        return sq_error_set ("out of memory"), NULL;
    }
    sq_topology_set_resources_dir (
        topology, stat (resources, &info) == 0 && S_ISDIR (info.st_mode) ? resources : self->dir);
    free (resources);
    for (size_t index = 0; index < self->component_count; index++) {
        const flux_component_t *component = &self->components[index];
        sq_component_t *built = NULL;
        if (component->library) {
            const void *table = s_symbol (self, component);
            if (!table) {
                sq_topology_destroy (&topology);
                return NULL;
            }
            built =
                component->spout
                    ? sq_topology_set_spout (topology, component->id, table, component->parallelism)
                    : sq_topology_set_bolt (topology, component->id, table, component->parallelism);
        } else
            built = s_build_shell (topology, component);
        if (built && component->num_tasks >= 0)
            sq_component_set_num_tasks (built, component->num_tasks);
    }
    for (size_t index = 0; index < self->stream_count; index++) {
        const flux_stream_t *stream = &self->streams[index];
        sq_component_t *bolt = sq_topology_component (topology, stream->to);
        if (bolt)
            s_subscribe (bolt, stream);
    }
    return topology;
}

//  Copy the regular file from to the new file to (0700 when from is
//  executable by its owner, else 0600). 0, or -1 with the error set.
static int
s_copy_file (const char *from, const char *to, mode_t mode)
{
    int in = open (from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int out =
        in < 0 ? -1
               : open (to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode & S_IXUSR) ? 0700 : 0600);
    int rc = in < 0 || out < 0 ? -1 : 0;
    char buffer[65536];
    ssize_t got = 0;
    while (rc == 0 && (got = read (in, buffer, sizeof buffer)) > 0)
        for (ssize_t done = 0, wrote; rc == 0 && done < got; done += wrote)
            if ((wrote = write (out, buffer + done, (size_t) (got - done))) <= 0)
                rc = -1;
    if (got < 0)
        rc = -1;
    if (rc)
        sq_error_set ("cannot copy '%s' to '%s': %s", from, to, strerror (errno));
    if (in >= 0)
        close (in);
    if (out >= 0 && close (out) && rc == 0)
        rc = sq_error_set ("cannot write '%s': %s", to, strerror (errno));
    return rc;
}

//  Copy the tree under from (regular files and directories; anything else
//  is refused) to the new directory to, at most SQ_FLUX_MAX_DEPTH deep.
static int
s_copy_tree (const char *from, const char *to, int depth)
{
    if (depth > SQ_FLUX_MAX_DEPTH)
        return sq_error_set ("'%s' nests deeper than %d levels", from, SQ_FLUX_MAX_DEPTH);
    if (mkdir (to, 0700))
        return sq_error_set ("cannot make '%s': %s", to, strerror (errno));
    DIR *listing = opendir (from);
    if (!listing)
        return sq_error_set ("cannot read '%s': %s", from, strerror (errno));
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (listing))) {
        if (!strcmp (entry->d_name, ".") || !strcmp (entry->d_name, ".."))
            continue;
        char *source = NULL, *target = NULL;
        struct stat info;
        if (asprintf (&source, "%s/%s", from, entry->d_name) < 0)
            source = NULL;
        if (asprintf (&target, "%s/%s", to, entry->d_name) < 0)
            target = NULL;
        if (!source || !target)
            rc = sq_error_set ("out of memory");
        else if (lstat (source, &info))
            rc = sq_error_set ("cannot read '%s': %s", source, strerror (errno));
        else if (S_ISDIR (info.st_mode))
            rc = s_copy_tree (source, target, depth + 1);
        else if (S_ISREG (info.st_mode))
            rc = s_copy_file (source, target, info.st_mode);
        else
            rc = sq_error_set ("'%s' is neither a regular file nor a directory; a package "
                               "holds only those",
                               source);
        free (source);
        free (target);
    }
    closedir (listing);
    return rc;
}

//  Copy the library `relative` (to the definition's directory) into the
//  same place under dir, making the directories on its way.
static int
s_stage_library (const sq_flux_t *self, const char *relative, const char *dir)
{
    for (const char *part = relative; part;
         part = strchr (part, '/'), part = part ? part + 1 : NULL)
        if (!strncmp (part, "..", 2) && (part[2] == '/' || part[2] == 0))
            return sq_error_set ("%s: library '%s' lies outside the definition's directory, so "
                                 "it cannot travel with it; move it under that directory",
                                 self->path, relative);
    char *source = NULL, *target = NULL;
    int rc = 0;
    if (asprintf (&source, "%s/%s", self->dir, relative) < 0)
        source = NULL;
    if (asprintf (&target, "%s/%s", dir, relative) < 0)
        target = NULL;
    if (!source || !target)
        rc = sq_error_set ("out of memory");
    for (char *slash = target ? strchr (target + strlen (dir) + 1, '/') : NULL; rc == 0 && slash;
         slash = strchr (slash + 1, '/')) {
        *slash = 0;
        if (mkdir (target, 0700) && errno != EEXIST)
            rc = sq_error_set ("cannot make '%s': %s", target, strerror (errno));
        *slash = '/';
    }
    struct stat info;
    if (rc == 0 && lstat (target, &info) == 0)
        rc = 0; //  named twice, or already inside resources/
    else if (rc == 0 && (lstat (source, &info) || !S_ISREG (info.st_mode)))
        rc = sq_error_set ("%s: library '%s' is not a regular file", self->path, source);
    else if (rc == 0)
        rc = s_copy_file (source, target, info.st_mode);
    free (source);
    free (target);
    return rc;
}

int
sq_flux_stage (const char *path, const char *dir)
{
    sq_flux_t *self = sq_flux_load (path);
    if (!self)
        return -1;
    char *target = NULL, *resources = NULL;
    int rc = 0;
    struct stat info;
    if (asprintf (&target, "%s/%s", dir, SQ_FLUX_PACKAGE_FILE) < 0)
        target = NULL;
    if (asprintf (&resources, "%s/resources", self->dir) < 0)
        resources = NULL;
    if (!target || !resources)
        rc = sq_error_set ("out of memory");
    if (rc == 0 && (lstat (path, &info) || !S_ISREG (info.st_mode)))
        rc = sq_error_set ("%s is not a regular file", path);
    if (rc == 0)
        rc = s_copy_file (path, target, 0600);
    free (target);
    target = NULL;
    if (rc == 0 && lstat (resources, &info) == 0) {
        if (!S_ISDIR (info.st_mode))
            rc = sq_error_set ("'%s' is not a directory", resources);
        else if (asprintf (&target, "%s/resources", dir) < 0)
            rc = sq_error_set ("out of memory");
        else
            rc = s_copy_tree (resources, target, 1);
    }
    for (size_t index = 0; rc == 0 && index < self->component_count; index++) {
        const char *library = self->components[index].library;
        if (library && library[0] != '/')
            rc = s_stage_library (self, library, dir);
    }
    free (target);
    free (resources);
    sq_flux_destroy (&self);
    return rc;
}
