/*  submit_list - the table storm-submit list prints from nimbus's reply */
#include "submit_list.h"
#include "sq_error.h"

#include <string.h>
#include <time.h>

//  "45s", "12m03s", "2h05m00s", "3d02h05m00s".
static void
s_format_uptime (json_int_t secs, char *text, size_t size)
{
    json_int_t days = secs / 86400, hours = secs / 3600 % 24, minutes = secs / 60 % 60;
    json_int_t seconds = secs % 60;
    if (days)
        snprintf (text, size, "%lldd%02lldh%02lldm%02llds", (long long) days, (long long) hours,
                  (long long) minutes, (long long) seconds);
    else if (hours)
        snprintf (text, size, "%lldh%02lldm%02llds", (long long) hours, (long long) minutes,
                  (long long) seconds);
    else if (minutes)
        snprintf (text, size, "%lldm%02llds", (long long) minutes, (long long) seconds);
    else
        snprintf (text, size, "%llds", (long long) seconds);
}

//  The counters shown, in their order: fields of a list reply.
static const struct {
    const char *field; //  the reply's field
    const char *title; //  the column's title
    int width;         //  the column's width
} s_counters[] = {
    {"emitted", "EMITTED", 12}, {"executed", "EXECUTED", 12},  {"acked", "ACKED", 12},
    {"failed", "FAILED", 9},    {"timed_out", "TIMED_OUT", 9}, {"pending", "PENDING", 7},
};

int
submit_list_print (const json_t *reply, FILE *out)
{
    json_t *topologies = json_object_get (reply, "topologies");
    if (!json_is_array (topologies))
        return sq_error_set ("nimbus answered list without a topology list");
    int name_width = 4, id_width = 2;
    size_t index;
    json_t *topology;
    json_array_foreach (topologies, index, topology)
    {
        const char *name = json_string_value (json_object_get (topology, "name"));
        const char *id = json_string_value (json_object_get (topology, "id"));
        if (name && (int) strlen (name) > name_width)
            name_width = (int) strlen (name);
        if (id && (int) strlen (id) > id_width)
            id_width = (int) strlen (id);
    }
    if (json_array_size (topologies) == 0)
        fprintf (out, "no topologies running\n");
    else {
        fprintf (out, "%-*s  %-*s  %-16s  %11s  %7s  %9s  %5s", name_width, "NAME", id_width, "ID",
                 "STATUS", "UPTIME", "WORKERS", "EXECUTORS", "TASKS");
        for (size_t i = 0; i < sizeof s_counters / sizeof s_counters[0]; i++)
            fprintf (out, "  %*s", s_counters[i].width, s_counters[i].title);
        fprintf (out, "\n");
    }
    json_array_foreach (topologies, index, topology)
    {
        const char *name = json_string_value (json_object_get (topology, "name"));
        const char *id = json_string_value (json_object_get (topology, "id"));
        const char *status = json_string_value (json_object_get (topology, "status"));
        bool failing = json_is_true (json_object_get (topology, "failing"));
        char status_text[64];
        snprintf (status_text, sizeof status_text, "%.40s%s", status ? status : "?",
                  failing ? " (failing)" : "");
        char uptime[32];
        s_format_uptime (json_integer_value (json_object_get (topology, "uptime_secs")), uptime,
                         sizeof uptime);
        fprintf (out, "%-*s  %-*s  %-16s  %11s  %7lld  %9lld  %5lld", name_width, name ? name : "?",
                 id_width, id ? id : "?", status_text, uptime,
                 (long long) json_integer_value (json_object_get (topology, "workers")),
                 (long long) json_integer_value (json_object_get (topology, "executors")),
                 (long long) json_integer_value (json_object_get (topology, "tasks")));
        //  Counters come from the workers' latest heartbeats, each since
        //  its worker started; failed are explicit fails, timeouts apart.
        for (size_t i = 0; i < sizeof s_counters / sizeof s_counters[0]; i++)
            fprintf (
                out, "  %*lld", s_counters[i].width,
                (long long) json_integer_value (json_object_get (topology, s_counters[i].field)));
        fprintf (out, "\n");
        json_int_t asked = json_integer_value (json_object_get (topology, "requested_workers"));
        json_int_t got = json_integer_value (json_object_get (topology, "workers"));
        if (asked > got)
            fprintf (out,
                     "  warning: %lld of the %lld workers asked for (topology.workers): "
                     "fewer free slots or executors\n",
                     (long long) got, (long long) asked);
        const json_t *failure = json_object_get (topology, "last_failure");
        if (failing && json_is_object (failure))
            submit_list_print_failure (failure, (int64_t) time (NULL), false, out);
    }
    return 0;
}

void
submit_list_print_failure (const json_t *failure, int64_t now, bool with_log, FILE *out)
{
    const char *component = json_string_value (json_object_get (failure, "component"));
    const char *host = json_string_value (json_object_get (failure, "host"));
    const char *cause = json_string_value (json_object_get (failure, "cause"));
    const char *message = json_string_value (json_object_get (failure, "message"));
    json_int_t lapsed = now - json_integer_value (json_object_get (failure, "time_ms")) / 1000;
    fprintf (out, "  last failure %llds ago on %s:%lld", (long long) (lapsed > 0 ? lapsed : 0),
             host ? host : "?", (long long) json_integer_value (json_object_get (failure, "port")));
    if (component)
        fprintf (out, " component %s task %lld", component,
                 (long long) json_integer_value (json_object_get (failure, "task")));
    fprintf (out, ": %s", cause ? cause : "?");
    if (message && *message)
        fprintf (out, ": %s", message);
    json_int_t next = json_integer_value (json_object_get (failure, "next_restart_ms"));
    fprintf (out, " (%lld in a row",
             (long long) json_integer_value (json_object_get (failure, "restarts")));
    if (next >= 0)
        fprintf (out, ", restart in %lld ms", (long long) next);
    fprintf (out, ")\n");
    const char *tail = json_string_value (json_object_get (failure, "log_tail"));
    if (with_log && tail && *tail) {
        fprintf (out, "  worker log (last lines):\n");
        for (const char *line = tail; *line;) {
            const char *end = strchr (line, '\n');
            int length = end ? (int) (end - line) : (int) strlen (line);
            fprintf (out, "    %.*s\n", length, line);
            line += length + (end ? 1 : 0);
        }
    }
}
