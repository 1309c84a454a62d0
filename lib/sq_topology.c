/*  sq_topology - the topology builder and its validation */
#include "sq_topology.h"
#include "sq_error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _sq_topology_t {
    sq_component_t **components; //  in the order added
    size_t component_count;      //  number of components
    sq_config_t *config;         //  the topology's default config
    char *first_error;           //  first builder mistake, or NULL
    int stream_count;            //  streams declared so far, for their indices
    char *resources_dir;         //  where shell components run, or NULL: the current directory
};

sq_topology_t *
sq_topology_new (void)
{
    sq_topology_t *self = calloc (1, sizeof (sq_topology_t));
    if (self)
        self->config = sq_config_new ();
    return self;
}

static void
s_component_destroy (sq_component_t **self_p)
{
    sq_component_t *self = *self_p;
    for (size_t i = 0; i < self->stream_count; i++)
        sq_stream_destroy (&self->streams[i]);
    for (size_t i = 0; i < self->subscription_count; i++) {
        free (self->subscriptions[i].source);
        free (self->subscriptions[i].stream);
        free (self->subscriptions[i].fields);
    }
    free (self->streams);
    free (self->subscriptions);
    for (char **arg = self->shell_argv; arg && *arg; arg++)
        free (*arg);
    free (self->shell_argv);
    sq_config_destroy (&self->config);
    free (self->id);
    free (self);
    *self_p = NULL;
}

void
sq_topology_destroy (sq_topology_t **self_p)
{
    if (self_p && *self_p) {
        sq_topology_t *self = *self_p;
        for (size_t i = 0; i < self->component_count; i++)
            s_component_destroy (&self->components[i]);
        free (self->components);
        sq_config_destroy (&self->config);
        free (self->first_error);
        free (self->resources_dir);
        free (self);
        *self_p = NULL;
    }
}

//  Remember the first builder mistake; later ones are usually its echoes.
static void __attribute__ ((format (printf, 2, 3)))
s_builder_error (sq_topology_t *self, const char *format, ...)
{
    if (self->first_error)
        return;
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    self->first_error = strdup (text);
}

static void s_declare_implicit_streams (sq_component_t *component);

static sq_component_t *
s_add_component (sq_topology_t *self, const char *id, int parallelism)
{
    sq_component_t *component = calloc (1, sizeof (sq_component_t));
    sq_component_t **grown =
        realloc (self->components, (self->component_count + 1) * sizeof (sq_component_t *));
    if (!component || !grown) {
        free (component);
        s_builder_error (self, "out of memory adding component '%s'", id ? id : "");
        return NULL;
    }
    self->components = grown;
    self->components[self->component_count++] = component;
    component->topology = self;
    component->id = strdup (id ? id : "");
    component->parallelism = parallelism;
    component->task_count = parallelism;
    component->config = sq_config_new ();
    return component;
}

sq_component_t *
sq_topology_set_spout (sq_topology_t *self, const char *id, const sq_spout_t *spout,
                       int parallelism)
{
    sq_component_t *component = s_add_component (self, id, parallelism);
    if (component) {
        component->spout = spout;
        if (spout && spout->declare_outputs)
            spout->declare_outputs (&(sq_declarer_t){component});
        s_declare_implicit_streams (component);
    }
    return component;
}

sq_component_t *
sq_topology_set_bolt (sq_topology_t *self, const char *id, const sq_bolt_t *bolt, int parallelism)
{
    sq_component_t *component = s_add_component (self, id, parallelism);
    if (component) {
        component->bolt = bolt;
        if (bolt && bolt->declare_outputs)
            bolt->declare_outputs (&(sq_declarer_t){component});
        s_declare_implicit_streams (component);
    }
    return component;
}

sq_component_t *
sq_topology_add_acker (sq_topology_t *self, int executors, const sq_system_task_t *acker)
{
    assert (acker);
    sq_component_t *component = s_add_component (self, SQ_ACKER_COMPONENT, executors);
    if (component)
        component->system = acker;
    return component;
}

void
sq_topology_set_resources_dir (sq_topology_t *self, const char *dir)
{
    free (self->resources_dir);
    self->resources_dir = dir ? strdup (dir) : NULL;
    if (dir && !self->resources_dir)
        s_builder_error (self, "out of memory setting the resources directory");
}

const char *
sq_topology_resources_dir (const sq_topology_t *self)
{
    return self->resources_dir;
}

sq_config_t *
sq_topology_config (sq_topology_t *self)
{
    return self->config;
}

size_t
sq_topology_component_count (const sq_topology_t *self)
{
    return self->component_count;
}

sq_component_t *
sq_topology_component_at (const sq_topology_t *self, size_t index)
{
    return index < self->component_count ? self->components[index] : NULL;
}

sq_component_t *
sq_topology_component (const sq_topology_t *self, const char *id)
{
    for (size_t i = 0; i < self->component_count; i++)
        if (strcmp (self->components[i]->id, id) == 0)
            return self->components[i];
    return NULL;
}

int
sq_topology_check_name (const char *name)
{
    size_t length = name ? strlen (name) : 0;
    if (length == 0)
        return sq_error_set ("invalid topology name '': a topology needs a name");
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char) name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-')
            continue;
        //  Printed only when printable: the message stays one clean line.
        if (c >= 0x20 && c < 0x7f)
            return sq_error_set ("invalid topology name '%s': '%c' is not allowed; use 1 to %d "
                                 "letters, digits, '_' or '-'",
                                 name, c, SQ_TOPOLOGY_MAX_NAME);
        return sq_error_set ("invalid topology name: byte 0x%02x at offset %zu is not allowed; "
                             "use 1 to %d letters, digits, '_' or '-'",
                             c, i, SQ_TOPOLOGY_MAX_NAME);
    }
    if (length > SQ_TOPOLOGY_MAX_NAME)
        return sq_error_set ("invalid topology name '%.32s...': %zu bytes; at most %d", name,
                             length, SQ_TOPOLOGY_MAX_NAME);
    return 0;
}

//  ---------------------------------------------------------------------
//  Component builder calls

//  Declare a stream, direct or not. Only the system's own declarations
//  (system) may use the reserved ids.
static void
s_declare (sq_declarer_t *self, const char *stream, const char *fields, bool direct, bool system)
{
    sq_component_t *component = self->component;
    if (!stream || !*stream) {
        s_builder_error (component->topology, "component '%s' declares a stream with no name",
                         component->id);
        return;
    }
    if (strncmp (stream, "__", 2) == 0 && !system) {
        s_builder_error (component->topology,
                         "stream id '%s' of '%s' is reserved: ids starting with '__' are "
                         "Squall's own",
                         stream, component->id);
        return;
    }
    if (sq_component_stream (component, stream)) {
        s_builder_error (component->topology, "component '%s' declares stream '%s' twice",
                         component->id, stream);
        return;
    }
    sq_stream_t *declared = sq_stream_new (component->id, stream, fields ? fields : "");
    if (!declared) {
        s_builder_error (component->topology, "%s", sq_last_error ());
        return;
    }
    if (declared->field_count > SQ_MAX_FIELDS) {
        s_builder_error (component->topology, "stream '%s' of '%s' has %zu fields; at most %d",
                         stream, component->id, declared->field_count, SQ_MAX_FIELDS);
        sq_stream_destroy (&declared);
        return;
    }
    sq_stream_t **grown =
        realloc (component->streams, (component->stream_count + 1) * sizeof (sq_stream_t *));
    if (!grown) {
        sq_stream_destroy (&declared);
        s_builder_error (component->topology, "out of memory declaring '%s'", stream);
        return;
    }
    component->streams = grown;
    component->streams[component->stream_count++] = declared;
    declared->index = component->topology->stream_count++;
    declared->direct = direct;
}

//  The streams Storm declares on every component (StormCommon's
//  addSystemStreams and addMetricStreams), with Storm's fields. Declared
//  after the component's own, so that a bolt may subscribe to them as in
//  Storm. Squall's runtime emits nothing on them (doc/runtime.md).
static void
s_declare_implicit_streams (sq_component_t *component)
{
    sq_declarer_t declarer = {component};
    s_declare (&declarer, SQ_SYSTEM_STREAM, "event", false, true);
    s_declare (&declarer, SQ_METRICS_STREAM, "task-info, data-points", false, true);
}

//  The streams of the __system component, which Storm declares with its
//  system bolt: ticks, metrics ticks and credential changes. They have no
//  wire index: Squall makes only ticks, and only for the executor's own
//  tasks, so nothing on them crosses the wire.
static char *s_interval_field[] = {"interval"};
static char *s_creds_field[] = {"creds"};
static const sq_stream_t s_system_component_streams[] = {
    {SQ_SYSTEM_COMPONENT, "__metrics_tick", s_interval_field, 1, -1, false},
    {SQ_SYSTEM_COMPONENT, "__credentials", s_creds_field, 1, -1, false},
};

//  A stream of the __system component by id, or NULL.
static const sq_stream_t *
s_system_component_stream (const char *stream)
{
    if (strcmp (stream, SQ_TICK_STREAM) == 0)
        return sq_tuple_tick_stream ();
    size_t count = sizeof s_system_component_streams / sizeof s_system_component_streams[0];
    for (size_t i = 0; i < count; i++)
        if (strcmp (s_system_component_streams[i].name, stream) == 0)
            return &s_system_component_streams[i];
    return NULL;
}

void
sq_declarer_stream (sq_declarer_t *self, const char *stream, const char *fields)
{
    s_declare (self, stream, fields, false, false);
}

void
sq_declarer_direct_stream (sq_declarer_t *self, const char *stream, const char *fields)
{
    s_declare (self, stream, fields, true, false);
}

const sq_stream_t *
sq_topology_stream_at (const sq_topology_t *self, int index)
{
    for (size_t c = 0; c < self->component_count; c++)
        for (size_t s = 0; s < self->components[c]->stream_count; s++)
            if (self->components[c]->streams[s]->index == index)
                return self->components[c]->streams[s];
    return NULL;
}

void
sq_component_declare (sq_component_t *self, const char *stream, const char *fields, bool direct)
{
    if (self)
        s_declare (&(sq_declarer_t){self}, stream, fields, direct, false);
}

void
sq_declarer_fields (sq_declarer_t *self, const char *fields)
{
    sq_declarer_stream (self, SQ_DEFAULT_STREAM, fields);
}

sq_stream_t *
sq_component_stream (const sq_component_t *self, const char *stream)
{
    for (size_t i = 0; i < self->stream_count; i++)
        if (strcmp (self->streams[i]->name, stream) == 0)
            return self->streams[i];
    return NULL;
}

void
sq_component_set_num_tasks (sq_component_t *self, int tasks)
{
    if (self)
        self->task_count = tasks;
}

sq_config_t *
sq_component_config (sq_component_t *self)
{
    return self->config;
}

static sq_subscription_t *
s_subscribe (sq_component_t *self, const char *source, const char *stream, sq_grouping_type_t type,
             const char *fields)
{
    if (!self)
        return NULL;
    if (!self->bolt) {
        s_builder_error (self->topology, "spout '%s' cannot subscribe to streams", self->id);
        return NULL;
    }
    sq_subscription_t *grown =
        realloc (self->subscriptions, (self->subscription_count + 1) * sizeof (sq_subscription_t));
    if (!grown) {
        s_builder_error (self->topology, "out of memory subscribing '%s'", self->id);
        return NULL;
    }
    self->subscriptions = grown;
    self->subscriptions[self->subscription_count++] = (sq_subscription_t){
        .source = strdup (source ? source : ""),
        .stream = strdup (stream ? stream : SQ_DEFAULT_STREAM),
        .type = type,
        .fields = fields ? strdup (fields) : NULL,
    };
    return &self->subscriptions[self->subscription_count - 1];
}

void
sq_component_shuffle_grouping (sq_component_t *self, const char *source, const char *stream)
{
    s_subscribe (self, source, stream, SQ_GROUPING_SHUFFLE, NULL);
}

void
sq_component_fields_grouping (sq_component_t *self, const char *source, const char *stream,
                              const char *fields)
{
    s_subscribe (self, source, stream, SQ_GROUPING_FIELDS, fields ? fields : "");
}

void
sq_component_all_grouping (sq_component_t *self, const char *source, const char *stream)
{
    s_subscribe (self, source, stream, SQ_GROUPING_ALL, NULL);
}

void
sq_component_global_grouping (sq_component_t *self, const char *source, const char *stream)
{
    s_subscribe (self, source, stream, SQ_GROUPING_GLOBAL, NULL);
}

void
sq_component_direct_grouping (sq_component_t *self, const char *source, const char *stream)
{
    s_subscribe (self, source, stream, SQ_GROUPING_DIRECT, NULL);
}

void
sq_component_local_or_shuffle_grouping (sq_component_t *self, const char *source,
                                        const char *stream)
{
    s_subscribe (self, source, stream, SQ_GROUPING_LOCAL_OR_SHUFFLE, NULL);
}

void
sq_component_none_grouping (sq_component_t *self, const char *source, const char *stream)
{
    s_subscribe (self, source, stream, SQ_GROUPING_NONE, NULL);
}

void
sq_component_partial_key_grouping (sq_component_t *self, const char *source, const char *stream,
                                   const char *fields)
{
    s_subscribe (self, source, stream, SQ_GROUPING_PARTIAL_KEY, fields ? fields : "");
}

void
sq_component_custom_grouping (sq_component_t *self, const char *source, const char *stream,
                              const sq_custom_grouping_t *grouping)
{
    sq_subscription_t *input = s_subscribe (self, source, stream, SQ_GROUPING_CUSTOM, NULL);
    if (input)
        input->custom = grouping;
}

const char *
sq_grouping_type_name (sq_grouping_type_t type)
{
    switch (type) {
    case SQ_GROUPING_SHUFFLE:
        return "shuffle";
    case SQ_GROUPING_FIELDS:
        return "fields";
    case SQ_GROUPING_ALL:
        return "all";
    case SQ_GROUPING_GLOBAL:
        return "global";
    case SQ_GROUPING_DIRECT:
        return "direct";
    case SQ_GROUPING_LOCAL_OR_SHUFFLE:
        return "local-or-shuffle";
    case SQ_GROUPING_NONE:
        return "none";
    case SQ_GROUPING_PARTIAL_KEY:
        return "partial-key";
    case SQ_GROUPING_CUSTOM:
        return "custom";
    }
    return "unknown";
}

//  ---------------------------------------------------------------------
//  Validation

//  The declared fields of stream as "a, b, c" ("none" for no fields),
//  cut short with "..." when they do not fit.
static void
s_join_fields (const sq_stream_t *stream, char *text, size_t size)
{
    snprintf (text, size, "%s", stream->field_count ? "" : "none");
    size_t used = strlen (text);
    for (size_t f = 0; f < stream->field_count && used < size; f++) {
        int written = snprintf (text + used, size - used, "%s%s", f ? ", " : "", stream->fields[f]);
        used += written > 0 ? (size_t) written : 0;
    }
    if (used >= size && size > 4)
        memcpy (text + size - 4, "...", 4);
}

static int
s_validate_subscription (const sq_topology_t *self, const sq_component_t *bolt,
                         const sq_subscription_t *input)
{
    //  The __system component is Storm's too: it is not in the topology,
    //  but its streams may be subscribed to.
    const char *source = input->source;
    const sq_component_t *component = sq_topology_component (self, source);
    const sq_stream_t *stream = NULL;
    if (component)
        stream = sq_component_stream (component, input->stream);
    else if (strcmp (source, SQ_SYSTEM_COMPONENT) == 0)
        stream = s_system_component_stream (input->stream);
    else
        return sq_error_set ("bolt '%s' subscribes to unknown component '%s'", bolt->id, source);
    if (!stream)
        return sq_error_set ("bolt '%s' subscribes to stream '%s' of '%s', which '%s' does "
                             "not declare",
                             bolt->id, input->stream, source, source);
    if (input->type == SQ_GROUPING_CUSTOM && (!input->custom || !input->custom->choose))
        return sq_error_set ("bolt '%s' has a custom grouping on '%s' with no choose callback",
                             bolt->id, source);
    if (input->type != SQ_GROUPING_FIELDS && input->type != SQ_GROUPING_PARTIAL_KEY)
        return 0;
    sq_stream_t *grouped = sq_stream_new (source, input->stream, input->fields);
    if (!grouped || grouped->field_count == 0) {
        sq_stream_destroy (&grouped);
        return sq_error_set ("bolt '%s' has a %s grouping on '%s' with no fields", bolt->id,
                             sq_grouping_type_name (input->type), source);
    }
    int rc = 0;
    for (size_t i = 0; i < grouped->field_count && rc == 0; i++)
        if (sq_stream_field_index (stream, grouped->fields[i]) < 0) {
            char declared[256];
            s_join_fields (stream, declared, sizeof declared);
            rc = sq_error_set ("bolt '%s' groups stream '%s' of '%s' on field '%s', which is "
                               "not declared (it declares: %s)",
                               bolt->id, input->stream, source, grouped->fields[i], declared);
        }
    sq_stream_destroy (&grouped);
    return rc;
}

static int
s_validate_component (const sq_topology_t *self, const sq_component_t *component, size_t index)
{
    const char *kind = component->spout ? "spout" : "bolt";
    if (!*component->id)
        return sq_error_set ("a %s has an empty component id", kind);
    if (strncmp (component->id, "__", 2) == 0)
        return sq_error_set ("component id '%s' is reserved: ids starting with '__' are "
                             "Squall's own",
                             component->id);
    for (size_t i = 0; i < index; i++)
        if (strcmp (self->components[i]->id, component->id) == 0)
            return sq_error_set ("duplicate component id '%s'", component->id);
    if (component->spout && !component->spout->next_tuple)
        return sq_error_set ("spout '%s' has no next_tuple callback", component->id);
    if (!component->spout && !component->bolt)
        return sq_error_set ("component '%s' has no spout or bolt callbacks", component->id);
    if (component->bolt && !component->bolt->execute)
        return sq_error_set ("bolt '%s' has no execute callback", component->id);
    if (component->parallelism < 1)
        return sq_error_set ("%s '%s' has parallelism %d; it must be at least 1", kind,
                             component->id, component->parallelism);
    //  No tasks at all is allowed, as in Storm: the component runs nowhere.
    if (component->task_count < 0)
        return sq_error_set ("%s '%s' has %d tasks; it must not be negative", kind, component->id,
                             component->task_count);
    if (component->task_count > 0 && component->task_count < component->parallelism)
        return sq_error_set ("%s '%s' has %d tasks, fewer than its parallelism %d", kind,
                             component->id, component->task_count, component->parallelism);
    for (size_t i = 0; i < component->subscription_count; i++)
        if (s_validate_subscription (self, component, &component->subscriptions[i]))
            return -1;
    return 0;
}

int
sq_topology_validate (const sq_topology_t *self)
{
    if (self->first_error)
        return sq_error_set ("%s", self->first_error);
    if (self->component_count == 0)
        return sq_error_set ("the topology has no components");
    bool has_spout = false;
    for (size_t i = 0; i < self->component_count; i++) {
        const sq_component_t *component = self->components[i];
        if (s_validate_component (self, component, i))
            return -1;
        has_spout |= component->spout != NULL;
    }
    if (!has_spout)
        return sq_error_set ("the topology has no spout");
    //  The task id limit, ackers included, is sq_task_layout_new's check.
    return 0;
}
