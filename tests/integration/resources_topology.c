/*  resources_topology - a test package that reads a file of its resources/

    ticks (spout, 1) -shuffle-> proof (bolt, 1)

    Packed with a resources/secret.txt (test_packages), as a directory or
    an archive. The proof bolt finds its package directory from where its
    own shared object was loaded (dladdr), reads resources/secret.txt in
    prepare, and at its first tuple writes what it read, or why it could
    not, to <resources.proof.dir>/proof-<task> (through a temporary file
    renamed into place, so a reader never sees half of it). The spout
    emits 100 untracked ticks, then nothing.

    Config key: resources.proof.dir (required).
*/
#include <squall.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TICKS 100       //  ticks the spout emits
#define S_MAX_SECRET 1024 //  bytes of secret.txt read at most

typedef struct {
    sq_collector_t *collector; //  where ticks go
    int emitted;               //  ticks so far
} s_ticks_t;

static void
s_ticks_declare (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "tick");
}

static int
s_ticks_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    s_ticks_t *self = calloc (1, sizeof (s_ticks_t));
    if (!self)
        return -1;
    self->collector = collector;
    *state_p = self;
    return 0;
}

static void
s_ticks_next (void *state)
{
    s_ticks_t *self = state;
    if (self->emitted < S_TICKS) {
        sq_value_t value = sq_int (self->emitted++);
        sq_collector_emit (self->collector, NULL, &value, 1);
    }
}

static void
s_ticks_close (void *state)
{
    free (state);
}

typedef struct {
    sq_collector_t *collector;      //  to ack ticks
    char proof[4096];               //  <resources.proof.dir>/proof-<task>
    char found[S_MAX_SECRET + 512]; //  the secret, or why it could not be read
    bool written;                   //  the proof is on disk
} s_proof_t;

//  What resources/secret.txt beside this shared object holds, into found.
static void
s_read_secret (char *found, size_t size)
{
    Dl_info info;
    if (!dladdr ((void *) s_read_secret, &info) || !info.dli_fname) {
        snprintf (found, size, "missing: dladdr found no shared object");
        return;
    }
    char path[4096];
    const char *slash = strrchr (info.dli_fname, '/');
    int length = slash ? (int) (slash - info.dli_fname) : 1;
    snprintf (path, sizeof path, "%.*s/resources/secret.txt", length, slash ? info.dli_fname : ".");
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (found, size, "missing: %s: %s", path, strerror (errno));
        return;
    }
    size_t got = fread (found, 1, size < S_MAX_SECRET ? size - 1 : S_MAX_SECRET, file);
    found[got] = 0;
    fclose (file);
}

static int
s_proof_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    const char *dir = sq_config_string (sq_context_config (context), "resources.proof.dir", NULL);
    s_proof_t *self = dir ? calloc (1, sizeof (s_proof_t)) : NULL;
    if (!self)
        return -1;
    self->collector = collector;
    snprintf (self->proof, sizeof self->proof, "%s/proof-%d", dir, sq_context_task_id (context));
    s_read_secret (self->found, sizeof self->found);
    *state_p = self;
    return 0;
}

static void
s_proof_execute (void *state, const sq_tuple_t *input)
{
    s_proof_t *self = state;
    if (!self->written) {
        char temporary[4200];
        snprintf (temporary, sizeof temporary, "%s.tmp", self->proof);
        FILE *file = fopen (temporary, "w");
        if (file) {
            fputs (self->found, file);
            self->written = fclose (file) == 0 && rename (temporary, self->proof) == 0;
        }
    }
    sq_collector_ack (self->collector, input);
}

static void
s_proof_cleanup (void *state)
{
    free (state);
}

static const sq_spout_t s_ticks = {.declare_outputs = s_ticks_declare,
                                   .open = s_ticks_open,
                                   .next_tuple = s_ticks_next,
                                   .close = s_ticks_close};
static const sq_bolt_t s_proof = {
    .prepare = s_proof_prepare, .execute = s_proof_execute, .cleanup = s_proof_cleanup};

SQ_EXPORT int
squall_topology (sq_topology_t *topology, const sq_config_t *config)
{
    (void) config;
    sq_topology_set_spout (topology, "ticks", &s_ticks, 1);
    sq_component_t *proof = sq_topology_set_bolt (topology, "proof", &s_proof, 1);
    sq_component_shuffle_grouping (proof, "ticks", SQ_DEFAULT_STREAM);
    return 0;
}
