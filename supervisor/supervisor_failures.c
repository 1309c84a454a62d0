/*  supervisor_failures - the recent failures of a supervisor's workers, for nimbus */
#include "supervisor_failures.h"

#include <assert.h>
#include <czmq.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

//  One kept record.
typedef struct {
    json_t *record;  //  the record sent to nimbus, NULL for an empty entry
    int64_t made_ms; //  monotonic ms it was made
} s_entry_t;

struct _supervisor_failures_t {
    char *supervisor_id;                         //  names records: <supervisor>:<sequence>
    char *host;                                  //  our host, as nimbus shows it
    s_entry_t entries[SUPERVISOR_FAILURES_KEPT]; //  ring of the latest records
    size_t next;                                 //  entry the next record goes to
    uint64_t sequence;                           //  records made, seeded by the wall clock
};

supervisor_failures_t *
supervisor_failures_new (const char *supervisor_id, const char *host)
{
    assert (supervisor_id);
    assert (host);
    supervisor_failures_t *self = calloc (1, sizeof (supervisor_failures_t));
    if (!self)
        return NULL;
    self->supervisor_id = strdup (supervisor_id);
    self->host = strdup (host);
    //  A restarted supervisor must not reuse the ids of its earlier run,
    //  which nimbus may still hold: start from the wall clock in ms.
    struct timespec wall;
    clock_gettime (CLOCK_REALTIME, &wall);
    self->sequence = (uint64_t) wall.tv_sec * 1000 + (uint64_t) wall.tv_nsec / 1000000;
    if (!self->supervisor_id || !self->host)
        supervisor_failures_destroy (&self);
    return self;
}

void
supervisor_failures_destroy (supervisor_failures_t **self_p)
{
    assert (self_p);
    supervisor_failures_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < SUPERVISOR_FAILURES_KEPT; i++)
        json_decref (self->entries[i].record);
    free (self->supervisor_id);
    free (self->host);
    free (self);
    *self_p = NULL;
}

char *
supervisor_failures_log_tail (const char *path, size_t max_bytes, int max_lines)
{
    char *tail = calloc (1, max_bytes + 1);
    if (!tail)
        return NULL;
    int fd = path ? open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) : -1;
    struct stat info;
    if (fd < 0 || fstat (fd, &info) != 0 || !S_ISREG (info.st_mode)) {
        if (fd >= 0)
            close (fd);
        return tail;
    }
    off_t start = info.st_size > (off_t) max_bytes ? info.st_size - (off_t) max_bytes : 0;
    ssize_t size = pread (fd, tail, max_bytes, start);
    close (fd);
    if (size <= 0) {
        tail[0] = 0;
        return tail;
    }
    tail[size] = 0;
    //  A tail cut inside a line starts after that line's end.
    char *begin = tail;
    if (start > 0) {
        char *newline = memchr (tail, '\n', (size_t) size);
        begin = newline ? newline + 1 : tail + size;
    }
    //  Keep the last max_lines lines (a final newline ends the last one).
    char *end = tail + size;
    int lines = 0;
    for (char *at = end; at > begin; at--)
        if (at[-1] == '\n' && at != end && ++lines == max_lines) {
            begin = at;
            break;
        }
    size_t length = (size_t) (end - begin);
    memmove (tail, begin, length);
    tail[length] = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char) tail[i];
        if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte >= 0x7f)
            tail[i] = '?';
    }
    return tail;
}

//  Copy what the worker's failure file says into record: "component"
//  (with "task") and "message", each checked and cut to its bound. The
//  file is the worker's, so outside input; it is removed once read.
static void
s_read_failure_file (json_t *record, const char *path)
{
    if (!path)
        return;
    json_error_t error;
    FILE *file = fopen (path, "re");
    char *text = file ? calloc (1, SUPERVISOR_FAILURES_FILE_BYTES + 1) : NULL;
    size_t size = text ? fread (text, 1, SUPERVISOR_FAILURES_FILE_BYTES, file) : 0;
    if (file)
        fclose (file);
    unlink (path);
    json_t *left = size ? json_loadb (text, size, 0, &error) : NULL;
    free (text);
    const char *component = json_string_value (json_object_get (left, "component"));
    const char *message = json_string_value (json_object_get (left, "message"));
    json_t *task = json_object_get (left, "task");
    if (component && *component && strlen (component) <= 256) {
        json_object_set_new (record, "component", json_string (component));
        if (json_is_integer (task) && json_integer_value (task) >= 0 &&
            json_integer_value (task) <= INT32_MAX)
            json_object_set (record, "task", task);
    }
    if (message && *message)
        json_object_set_new (record, "message", json_stringn (message, strnlen (message, 1024)));
    json_decref (left);
}

int
supervisor_failures_add (supervisor_failures_t *self, const supervisor_failure_t *failure,
                         int64_t now_ms)
{
    assert (self);
    assert (failure);
    struct timespec wall;
    clock_gettime (CLOCK_REALTIME, &wall);
    json_int_t time_ms = (json_int_t) wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    char id[256];
    snprintf (id, sizeof id, "%.200s:%llu", self->supervisor_id,
              (unsigned long long) self->sequence++);
    char *tail = supervisor_failures_log_tail (failure->log_path, SUPERVISOR_FAILURES_LOG_BYTES,
                                               SUPERVISOR_FAILURES_LOG_LINES);
    json_t *record =
        tail ? json_pack ("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:i, s:I, s:s}", "id", id,
                          "topology", failure->topology, "topology_id", failure->topology_id,
                          "host", self->host, "port", failure->port, "time_ms", time_ms, "cause",
                          failure->cause, "restarts", failure->restarts, "next_restart_ms",
                          (json_int_t) failure->next_restart_ms, "log_tail", tail)
             : NULL;
    free (tail);
    if (!record)
        return -1;
    s_read_failure_file (record, failure->failure_path);
    s_entry_t *entry = &self->entries[self->next];
    json_decref (entry->record);
    entry->record = record;
    entry->made_ms = now_ms;
    self->next = (self->next + 1) % SUPERVISOR_FAILURES_KEPT;
    return 0;
}

json_t *
supervisor_failures_recent (supervisor_failures_t *self, int64_t now_ms)
{
    assert (self);
    json_t *recent = json_array ();
    for (size_t i = 0; recent && i < SUPERVISOR_FAILURES_KEPT; i++) {
        const s_entry_t *entry = &self->entries[(self->next + i) % SUPERVISOR_FAILURES_KEPT];
        if (entry->record && now_ms - entry->made_ms < SUPERVISOR_FAILURES_CARRIED_MS &&
            json_array_append (recent, entry->record)) {
            json_decref (recent);
            recent = NULL;
        }
    }
    return recent;
}
