/*  submit_monitor - the throughput table of storm-submit monitor */
#include "submit_monitor.h"
#include "sq_error.h"
#include "submit_list.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _submit_monitor_t {
    char *name;          //  the topology's name
    char *component;     //  the component watched, or NULL for all
    char *stream;        //  the stream watched
    bool transferred;    //  watch transferred instead of emitted
    json_t *previous;    //  the components of the reply before, or NULL
    int64_t previous_ms; //  when it came
    bool headed;         //  the header is printed
    char *failure_id;    //  id of the last worker failure printed, or NULL
};

submit_monitor_t *
submit_monitor_new (const char *name, const submit_monitor_options_t *options)
{
    assert (name);
    assert (options && options->stream);
    submit_monitor_t *self = calloc (1, sizeof (submit_monitor_t));
    if (!self)
        return NULL;
    self->name = strdup (name);
    self->component = options->component ? strdup (options->component) : NULL;
    self->stream = strdup (options->stream);
    self->transferred = options->transferred;
    if (!self->name || !self->stream || (options->component && !self->component))
        submit_monitor_destroy (&self);
    return self;
}

void
submit_monitor_destroy (submit_monitor_t **self_p)
{
    assert (self_p);
    submit_monitor_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    free (self->component);
    free (self->stream);
    json_decref (self->previous);
    free (self->failure_id);
    free (self);
    *self_p = NULL;
}

//  The count of a component at field, or of stream within field when
//  stream is given; 0 when missing.
static json_int_t
s_count (const json_t *component, const char *field, const char *stream)
{
    const json_t *value = json_object_get (component, field);
    return json_integer_value (stream ? json_object_get (value, stream) : value);
}

//  The growth of a count from before to now into *delta_p; false when it
//  went back (a worker restarted and counts again from 0), so that no
//  rate can be told for this interval.
static bool
s_delta (json_int_t before, json_int_t now, json_int_t *delta_p)
{
    return now >= before && !__builtin_sub_overflow (now, before, delta_p);
}

//  Print a count per second, or "-" when it went back or was not known
//  before.
static void
s_print_rate (bool known, json_int_t before, json_int_t now, double seconds, int width, FILE *out)
{
    json_int_t delta;
    if (known && s_delta (before, now, &delta))
        fprintf (out, "  %*.1f", width, (double) delta / seconds);
    else
        fprintf (out, "  %*s", width, "-");
}

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

//  True when a component is shown: the one asked for, or, with none
//  asked for, every one but the system components ("__acker").
static bool
s_shown (submit_monitor_t *self, const char *id)
{
    return self->component ? strcmp (id, self->component) == 0 : strncmp (id, "__", 2) != 0;
}

//  The width of the topology column.
static int
s_name_width (submit_monitor_t *self)
{
    int width = (int) strlen (self->name);
    return width > 8 ? width : 8;
}

//  One line: the watched count over the interval and the rates. A
//  component that was not in the reply before (its first report) has no
//  rate yet.
static void
s_print_line (submit_monitor_t *self, const char *id, const json_t *now, const json_t *before,
              int64_t elapsed_ms, int component_width, int stream_width, FILE *out)
{
    const char *watch = self->transferred ? "transferred" : "emitted";
    double seconds = (double) elapsed_ms / 1000.0;
    json_int_t count_before = s_count (before, watch, self->stream);
    json_int_t count_now = s_count (now, watch, self->stream);
    json_int_t delta;
    bool known = before != NULL;
    fprintf (out, "%-*s  %-*s  %9lld  %-*s  %12lld", s_name_width (self), self->name,
             component_width, id, (long long) s_count (now, "executors", NULL), stream_width,
             self->stream, (long long) elapsed_ms);
    if (known && s_delta (count_before, count_now, &delta))
        fprintf (out, "  %11lld", (long long) delta);
    else
        fprintf (out, "  %11s", "-");
    s_print_rate (known, count_before, count_now, seconds, 12, out);
    static const struct {
        const char *field; //  the count
        int width;         //  its column's width
    } rates[] = {{"acked", 10}, {"failed", 10}, {"timed_out", 11}};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        s_print_rate (known, s_count (before, rates[i].field, NULL),
                      s_count (now, rates[i].field, NULL), seconds, rates[i].width, out);
    //  The ackers' counts as they stand ("-" here means no rate, so a
    //  spout, which the ackers rarely blame, shows its count too).
    fprintf (out, "  %13lld  %12lld\n", (long long) s_count (now, "timeouts_held", NULL),
             (long long) s_count (now, "fails_blamed", NULL));
}

int
submit_monitor_update (submit_monitor_t *self, const json_t *reply, int64_t now_ms, FILE *out)
{
    assert (self);
    assert (out);
    json_t *components = json_object_get (reply, "components");
    if (!json_is_object (components))
        return sq_error_set ("nimbus answered metrics without the components of '%s'", self->name);
    if (self->component && !json_object_get (components, self->component))
        return sq_error_set ("topology '%s' has no component '%s'", self->name, self->component);
    //  A worker failure nimbus has not shown before: once, as it comes.
    const json_t *failure = json_object_get (reply, "last_failure");
    const char *failure_id = json_string_value (json_object_get (failure, "id"));
    if (failure_id && !(self->failure_id && strcmp (self->failure_id, failure_id) == 0)) {
        fprintf (out, "topology %s: a worker failed\n", self->name);
        submit_list_print_failure (failure, (int64_t) time (NULL), false, out);
        free (self->failure_id);
        self->failure_id = strdup (failure_id);
    }
    size_t count = 0;
    const char **ids = calloc (json_object_size (components) + 1, sizeof (char *));
    if (!ids)
        return sq_error_set ("out of memory");
    int component_width = 9, stream_width = (int) strlen (self->stream);
    if (stream_width < 6)
        stream_width = 6;
    const char *id;
    json_t *component;
    json_object_foreach (components, id, component)
    {
        if (!s_shown (self, id))
            continue;
        ids[count++] = id;
        if ((int) strlen (id) > component_width)
            component_width = (int) strlen (id);
    }
    qsort (ids, count, sizeof (char *), s_compare_names);
    int64_t elapsed_ms = now_ms - self->previous_ms;
    if (self->previous && elapsed_ms > 0) {
        if (!self->headed)
            fprintf (out, "%-*s  %-*s  %9s  %-*s  %12s  %11s  %12s  %10s  %10s  %11s  %13s  %12s\n",
                     s_name_width (self), "TOPOLOGY", component_width, "COMPONENT", "EXECUTORS",
                     stream_width, "STREAM", "TIME-DIFF MS",
                     self->transferred ? "TRANSFERRED" : "EMITTED", "THROUGHPUT/S", "ACKED/S",
                     "FAILED/S", "TIMED-OUT/S", "TIMEOUTS-HELD", "FAILS-BLAMED");
        self->headed = true;
        for (size_t i = 0; i < count; i++)
            s_print_line (self, ids[i], json_object_get (components, ids[i]),
                          json_object_get (self->previous, ids[i]), elapsed_ms, component_width,
                          stream_width, out);
    }
    free (ids);
    //  A clock that did not move keeps the older baseline.
    if (!self->previous || elapsed_ms > 0) {
        json_t *copy = json_deep_copy (components);
        if (!copy)
            return sq_error_set ("out of memory");
        json_decref (self->previous);
        self->previous = copy;
        self->previous_ms = now_ms;
    }
    return 0;
}
