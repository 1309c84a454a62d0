/*  test_shell - shell spouts and bolts against a scripted multilang child

    The child is tests/multilang/scripted_child.py: it speaks Storm's
    multilang protocol and appends one JSON line per event to a transcript
    file, so each test checks both directions: what Squall sent (the
    handshake, tuples, heartbeats, spout commands, task id lists) and what
    the child's messages did (emits, acks, fails, errors, metrics). The
    failure tests make the first child misbehave (malformed JSON, no "end",
    an unknown command, silence past the timeout, an oversized message, an
    exit, a bad handshake) or kill it, and check the one error (reason and
    stderr tail), the restart, and that every spout message is acked
    exactly once in the end. Local mode throughout; test_cluster_shell
    runs a shell bolt on a real cluster.
*/
#include "cluster_harness.h"
#include "sq_topology.h"
#include "squall.h"

#include <check.h>
#include <czmq.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGES 4096
#define NS_PER_S 1000000000LL

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * NS_PER_S + now.tv_nsec;
}

//  What the C components saw; written by executor threads.
static struct {
    int total;                      //  messages the C spout emits
    _Atomic int acks[MAX_MESSAGES]; //  C spout: ack calls per message
    _Atomic int fails;              //  C spout: fail calls
    _Atomic long sink_inputs;       //  sink: inputs seen
    _Atomic long direct_inputs[8];  //  direct sinks, by task index
    _Atomic int fail_word;          //  words sink: message number to fail once (0: none)
} s_probe;

static char s_dir[64];          //  the test's scratch directory
static char s_transcript[4400]; //  the child's transcript
static char s_child[512];       //  path of scripted_child.py

static void
s_setup (void)
{
    //  czmq's own descriptors (its context, /dev/null) open before any
    //  test counts descriptors. Here, in the test's own process, not in
    //  main: a context made before Check forks is never destroyed in the
    //  children, and the sanitizers count it as a leak.
    zsys_init ();
    memset (&s_probe, 0, sizeof s_probe);
    snprintf (s_dir, sizeof s_dir, "/tmp/test_shell_XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (s_dir));
    snprintf (s_transcript, sizeof s_transcript, "%s/transcript", s_dir);
    const char *src = getenv ("top_srcdir");
    snprintf (s_child, sizeof s_child, "%s/tests/multilang/scripted_child.py", src ? src : ".");
    ck_assert_int_eq (access (s_child, R_OK), 0);
}

static void
s_teardown (void)
{
    DIR *dir = opendir (s_dir);
    struct dirent *entry;
    char path[512];
    while (dir && (entry = readdir (dir)))
        if (entry->d_name[0] != '.') {
            snprintf (path, sizeof path, "%s/%s", s_dir, entry->d_name);
            unlink (path);
        }
    if (dir)
        closedir (dir);
    rmdir (s_dir);
}

//  The transcript's events, in order (an array; caller decrefs).
static json_t *
s_events (void)
{
    json_t *events = json_array ();
    FILE *file = fopen (s_transcript, "r");
    char line[65536];
    while (file && fgets (line, sizeof line, file)) {
        json_t *event = json_loads (line, 0, NULL);
        if (event)
            json_array_append_new (events, event);
    }
    if (file)
        fclose (file);
    return events;
}

//  Events of a kind.
static int
s_count_events (const char *kind)
{
    json_t *events = s_events ();
    int count = 0;
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
    {
        count += strcmp (json_string_value (json_object_get (event, "event")), kind) == 0;
    }
    json_decref (events);
    return count;
}

//  The first event of a kind (caller decrefs), or NULL.
static json_t *
s_first_event (const char *kind)
{
    json_t *events = s_events ();
    json_t *found = NULL;
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
    {
        if (!found && strcmp (json_string_value (json_object_get (event, "event")), kind) == 0)
            found = json_incref (event);
    }
    json_decref (events);
    return found;
}

static bool
s_wait_events (const char *kind, int count, double seconds)
{
    int64_t deadline = s_now_ns () + (int64_t) (seconds * NS_PER_S);
    while (s_count_events (kind) < count) {
        if (s_now_ns () > deadline)
            return false;
        usleep (20000);
    }
    return true;
}

//  Every message of the C spout acked (once at least), or the deadline.
static bool
s_wait_all_acked (double seconds)
{
    int64_t deadline = s_now_ns () + (int64_t) (seconds * NS_PER_S);
    for (int m = 1; m <= s_probe.total; m++)
        while (atomic_load (&s_probe.acks[m]) == 0) {
            if (s_now_ns () > deadline)
                return false;
            usleep (10000);
        }
    return true;
}

static void
s_assert_acked_once (void)
{
    for (int m = 1; m <= s_probe.total; m++)
        ck_assert_msg (atomic_load (&s_probe.acks[m]) == 1, "message %d acked %d times", m,
                       atomic_load (&s_probe.acks[m]));
}

//  The errors the topology's tasks reported, as one JSON text (caller
//  frees), from the metrics a worker would send.
static char *
s_metrics_text (sq_local_cluster_t *cluster, const char *name)
{
    char *text = sq_local_cluster_metrics_json (cluster, name);
    ck_assert_ptr_nonnull (text);
    return text;
}

static bool
s_process_gone (int pid)
{
    //  A zombie still answers kill (pid, 0): ESRCH means it was reaped.
    return kill (pid, 0) < 0 && errno == ESRCH;
}

//  Every child the transcript names is gone (killed and reaped).
static void
s_assert_children_gone (void)
{
    json_t *events = s_events ();
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
    {
        int pid = (int) json_integer_value (json_object_get (event, "pid"));
        ck_assert_msg (s_process_gone (pid), "child %d is still there", pid);
    }
    json_decref (events);
}

static int
s_open_fds (void)
{
    int count = 0;
    DIR *dir = opendir ("/proc/self/fd");
    while (dir && readdir (dir))
        count++;
    if (dir)
        closedir (dir);
    return count;
}

//  ---------------------------------------------------------------------
//  C components around the shell ones

typedef struct {
    sq_collector_t *collector; //  where to emit
    int next;                  //  next new message
    int replay[MAX_MESSAGES];  //  failed messages to emit again
    int replay_count;          //  how many
} source_state_t;

static void
s_declare_value (sq_declarer_t *declarer)
{
    sq_declarer_fields (declarer, "value");
}

static int
s_source_open (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    (void) context;
    source_state_t *self = calloc (1, sizeof (source_state_t));
    self->collector = collector;
    self->next = 1;
    *state_p = self;
    return 0;
}

//  Message m's value: "fail-me" for the protocol test's third message,
//  else a sentence of two words.
static void
s_source_emit (source_state_t *self, int m)
{
    char value[64];
    if (getenv ("TEST_SHELL_FAIL_THIRD") && m == 3)
        snprintf (value, sizeof value, "fail-me");
    else
        snprintf (value, sizeof value, "m%da m%db", m, m);
    sq_collector_emit_tracked (self->collector, NULL, (uint64_t) m, SQ_VALUES (sq_str (value)));
}

static void
s_source_next (void *state)
{
    source_state_t *self = state;
    for (int i = 0; i < 8; i++) {
        if (self->replay_count)
            s_source_emit (self, self->replay[--self->replay_count]);
        else if (self->next <= s_probe.total)
            s_source_emit (self, self->next++);
        else
            return;
    }
}

static void
s_source_ack (void *state, uint64_t msg_id)
{
    (void) state;
    if (msg_id < MAX_MESSAGES)
        atomic_fetch_add (&s_probe.acks[msg_id], 1);
}

static void
s_source_fail (void *state, uint64_t msg_id)
{
    source_state_t *self = state;
    atomic_fetch_add (&s_probe.fails, 1);
    //  The protocol test's "fail-me" is failed on purpose: not replayed.
    if (!(getenv ("TEST_SHELL_FAIL_THIRD") && msg_id == 3) && self->replay_count < MAX_MESSAGES)
        self->replay[self->replay_count++] = (int) msg_id;
}

static void
s_source_close (void *state)
{
    free (state);
}

static const sq_spout_t s_source = {.declare_outputs = s_declare_value,
                                    .open = s_source_open,
                                    .next_tuple = s_source_next,
                                    .ack = s_source_ack,
                                    .fail = s_source_fail,
                                    .close = s_source_close};

typedef struct {
    sq_collector_t *collector; //  for acks
    int index;                 //  task index
} sink_state_t;

static int
s_sink_prepare (void **state_p, const sq_context_t *context, sq_collector_t *collector)
{
    sink_state_t *self = calloc (1, sizeof (sink_state_t));
    self->collector = collector;
    self->index = sq_context_task_index (context);
    *state_p = self;
    return 0;
}

static void
s_sink_execute (void *state, const sq_tuple_t *input)
{
    sink_state_t *self = state;
    const char *word = sq_tuple_get_string (input, 0);
    int fail_word = atomic_load (&s_probe.fail_word);
    char failing[16];
    snprintf (failing, sizeof failing, "w%d", fail_word);
    if (fail_word && word && strcmp (word, failing) == 0 &&
        atomic_compare_exchange_strong (&s_probe.fail_word, &fail_word, 0)) {
        sq_collector_fail (self->collector, input);
        return;
    }
    if (strcmp (sq_tuple_stream (input), "direct") == 0)
        atomic_fetch_add (&s_probe.direct_inputs[self->index], 1);
    else
        atomic_fetch_add (&s_probe.sink_inputs, 1);
    sq_collector_ack (self->collector, input);
}

static void
s_sink_cleanup (void *state)
{
    free (state);
}

static const sq_bolt_t s_sink = {
    .prepare = s_sink_prepare, .execute = s_sink_execute, .cleanup = s_sink_cleanup};

//  python3 scripted_child.py MODE TRANSCRIPT [arg1 [arg2]]
static void
s_child_args (const char **args, const char *mode, const char *arg1, const char *arg2)
{
    args[0] = s_child;
    args[1] = mode;
    args[2] = s_transcript;
    args[3] = arg1;
    args[4] = arg1 ? arg2 : NULL;
    args[5] = NULL;
}

static sq_config_t *
s_config (int timeout_secs)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.message.timeout.secs", 20);
    sq_config_set_int (config, "topology.subprocess.timeout.secs", timeout_secs);
    return config;
}

//  ---------------------------------------------------------------------
//  The protocol, both ways

START_TEST (test_bolt_protocol)
{
    setenv ("TEST_SHELL_FAIL_THIRD", "1", 1);
    s_probe.total = 3;
    //  The descriptors a C-only topology leaves open (czmq and ZeroMQ
    //  make theirs on first use) are the baseline.
    sq_topology_t *warm = sq_topology_new ();
    sq_topology_set_spout (warm, "source", &s_source, 1);
    sq_local_cluster_t *warm_cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (warm_cluster, "warm", NULL, &warm), 0);
    ck_assert_int_eq (sq_local_cluster_kill (warm_cluster, "warm", 0), 0);
    sq_local_cluster_destroy (&warm_cluster);
    memset (&s_probe, 0, sizeof s_probe);
    s_probe.total = 3;
    int fds_before = s_open_fds ();
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "source", &s_source, 1);
    const char *args[6];
    s_child_args (args, "protocol", NULL, NULL);
    sq_component_t *shell = sq_shell_bolt (topology, "protocol", "python3", args, "value", 1);
    sq_shell_stream (shell, "direct", "value", true);
    sq_component_shuffle_grouping (shell, "source", NULL);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_shuffle_grouping (sink, "protocol", NULL);
    sq_component_t *direct = sq_topology_set_bolt (topology, "direct-sink", &s_sink, 2);
    sq_component_direct_grouping (direct, "protocol", "direct");
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (10);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "protocol", config, &topology), 0);
    ck_assert (s_wait_events ("tuple", 3, 30));
    ck_assert (s_wait_events ("heartbeat", 1, 30));
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    while ((atomic_load (&s_probe.acks[1]) == 0 || atomic_load (&s_probe.acks[2]) == 0 ||
            atomic_load (&s_probe.fails) == 0) &&
           s_now_ns () < deadline)
        usleep (10000);

    //  The handshake: conf, pidDir (with the child's pid file), context.
    json_t *handshake = s_first_event ("handshake");
    ck_assert_ptr_nonnull (handshake);
    json_t *setup = json_object_get (handshake, "setup");
    int pid = (int) json_integer_value (json_object_get (handshake, "pid"));
    ck_assert_int_eq (json_integer_value (json_object_get (json_object_get (setup, "conf"),
                                                           "topology.subprocess.timeout.secs")),
                      10);
    //  Defaults come too, as Storm sends its whole config.
    ck_assert_int_eq (json_integer_value (json_object_get (json_object_get (setup, "conf"),
                                                           "topology.shellbolt.max.pending")),
                      100);
    char pid_file[256];
    snprintf (pid_file, sizeof pid_file, "%s/%d",
              json_string_value (json_object_get (setup, "pidDir")), pid);
    ck_assert_int_eq (access (pid_file, F_OK), 0);
    json_t *context = json_object_get (setup, "context");
    //  Tasks are numbered in the order added: source 1, protocol 2, sink 3,
    //  direct-sink 4 and 5, then the acker.
    ck_assert_int_eq (json_integer_value (json_object_get (context, "taskid")), 2);
    ck_assert_str_eq (json_string_value (json_object_get (context, "componentid")), "protocol");
    json_t *task_component = json_object_get (context, "task->component");
    ck_assert_str_eq (json_string_value (json_object_get (task_component, "1")), "source");
    ck_assert_str_eq (json_string_value (json_object_get (task_component, "5")), "direct-sink");
    ck_assert_str_eq (json_string_value (json_object_get (task_component, "6")), "__acker");
    char *streams = json_dumps (json_object_get (context, "streams"), JSON_COMPACT);
    ck_assert_str_eq (streams, "[\"default\",\"direct\"]");
    free (streams);
    char *fields = json_dumps (json_object_get (context, "stream->outputfields"),
                               JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (fields, "{\"default\":[\"value\"],\"direct\":[\"value\"]}");
    free (fields);
    char *targets = json_dumps (json_object_get (context, "stream->target->grouping"),
                                JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (targets, "{\"default\":{\"sink\":{\"type\":\"SHUFFLE\"}},"
                               "\"direct\":{\"direct-sink\":{\"type\":\"DIRECT\"}}}");
    free (targets);
    char *sources = json_dumps (json_object_get (context, "source->stream->fields"),
                                JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (sources, "{\"source\":{\"default\":[\"value\"]}}");
    free (sources);
    json_decref (handshake);

    //  A tuple: string id, source component, stream, task, values.
    json_t *tuple_event = s_first_event ("tuple");
    json_t *tuple = json_object_get (tuple_event, "tuple");
    ck_assert (json_is_string (json_object_get (tuple, "id")));
    ck_assert_str_eq (json_string_value (json_object_get (tuple, "comp")), "source");
    ck_assert_str_eq (json_string_value (json_object_get (tuple, "stream")), "default");
    ck_assert_int_eq (json_integer_value (json_object_get (tuple, "task")), 1);
    ck_assert_str_eq (json_string_value (json_array_get (json_object_get (tuple, "tuple"), 0)),
                      "m1a m1b");
    json_decref (tuple_event);
    //  The emit's task ids: the one sink task.
    json_t *ids = s_first_event ("task_ids");
    char *text = json_dumps (json_object_get (ids, "ids"), JSON_COMPACT);
    ck_assert_str_eq (text, "[3]");
    free (text);
    json_decref (ids);

    //  Acks and fails from the child reach the spout; direct emits reach
    //  the task named; error and metrics show in the metrics.
    ck_assert_int_eq (atomic_load (&s_probe.acks[1]), 1);
    ck_assert_int_eq (atomic_load (&s_probe.acks[2]), 1);
    ck_assert_int_eq (atomic_load (&s_probe.acks[3]), 0);
    ck_assert_int_eq (atomic_load (&s_probe.fails), 1);
    ck_assert_int_eq (atomic_load (&s_probe.direct_inputs[0]), 0);
    ck_assert_int_eq (atomic_load (&s_probe.direct_inputs[1]), 3);
    ck_assert_int_eq (atomic_load (&s_probe.sink_inputs), 3);
    char *metrics = s_metrics_text (cluster, "protocol");
    ck_assert_msg (strstr (metrics, "reported error for m1a m1b"), "%s", metrics);
    ck_assert_msg (strstr (metrics, "shell_gauge"), "%s", metrics);
    ck_assert_msg (!strstr (metrics, "failed:"), "%s", metrics);
    free (metrics);

    ck_assert_int_eq (sq_local_cluster_kill (cluster, "protocol", 0), 0);
    //  The child is killed and reaped, its pid file gone, no fd left.
    ck_assert (s_process_gone (pid));
    ck_assert_int_ne (access (pid_file, F_OK), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    ck_assert_int_eq (s_open_fds (), fds_before);
    unsetenv ("TEST_SHELL_FAIL_THIRD");
}
END_TEST

START_TEST (test_spout_protocol)
{
    s_probe.fail_word = 5;
    //  The child runs in the topology's resources directory: a relative
    //  script path is found there.
    char copy[128];
    snprintf (copy, sizeof copy, "%s/child.py", s_dir);
    FILE *from = fopen (s_child, "r"), *to = fopen (copy, "w");
    ck_assert (from && to);
    char chunk[4096];
    size_t size;
    while ((size = fread (chunk, 1, sizeof chunk, from)) > 0)
        ck_assert_int_eq (fwrite (chunk, 1, size, to), size);
    fclose (from);
    fclose (to);
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_resources_dir (topology, s_dir);
    ck_assert_str_eq (sq_topology_resources_dir (topology), s_dir);
    const char *args[6];
    s_child_args (args, "words", "20", NULL);
    args[0] = "child.py";
    sq_shell_spout (topology, "words", "python3", args, "word", 1);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 2);
    sq_component_shuffle_grouping (sink, "words", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (10);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "words", config, &topology), 0);
    ck_assert (s_wait_events ("ack", 20, 30));
    json_t *handshake = s_first_event ("handshake");
    char dir[PATH_MAX];
    ck_assert_ptr_nonnull (realpath (s_dir, dir));
    ck_assert_str_eq (json_string_value (json_object_get (handshake, "cwd")), dir);
    json_decref (handshake);
    //  activate came first; the first emit asked for its task ids.
    ck_assert_int_eq (s_count_events ("activate"), 1);
    json_t *ids = s_first_event ("task_ids");
    ck_assert_int_eq (json_array_size (json_object_get (ids, "ids")), 1);
    int target = (int) json_integer_value (json_array_get (json_object_get (ids, "ids"), 0));
    ck_assert (target == 2 || target == 3);
    json_decref (ids);
    //  w5 failed once, was replayed, and every id is acked exactly once.
    ck_assert_int_eq (s_count_events ("fail"), 1);
    json_t *fail = s_first_event ("fail");
    ck_assert_int_eq (json_integer_value (json_object_get (fail, "id")), 5);
    json_decref (fail);
    json_t *events = s_events ();
    int acks[21] = {0};
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
    {
        if (strcmp (json_string_value (json_object_get (event, "event")), "ack") == 0) {
            json_int_t id = json_integer_value (json_object_get (event, "id"));
            ck_assert (id >= 1 && id <= 20);
            acks[id]++;
        }
    }
    json_decref (events);
    for (int id = 1; id <= 20; id++)
        ck_assert_msg (acks[id] == 1, "id %d acked %d times", id, acks[id]);
    //  21 words reached the sink; it failed one of them.
    ck_assert_int_eq (atomic_load (&s_probe.sink_inputs), 20);
    ck_assert_int_eq (sq_local_cluster_deactivate (cluster, "words"), 0);
    ck_assert (s_wait_events ("deactivate", 1, 10));
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "words", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    s_assert_children_gone ();
}
END_TEST

//  ---------------------------------------------------------------------
//  Failures

//  C source -> shell bolt whose first child misbehaves -> sink. The error
//  names the reason and the stderr tail; the child restarts; nothing is
//  lost.
static void
s_bad_bolt (const char *kind, const char *reason, int timeout_secs)
{
    s_probe.total = 40;
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "source", &s_source, 1);
    const char *args[6];
    s_child_args (args, "bad", kind, NULL);
    sq_component_t *shell = sq_shell_bolt (topology, "bad-bolt", "python3", args, NULL, 1);
    sq_component_shuffle_grouping (shell, "source", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (timeout_secs);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "bad", config, &topology), 0);
    ck_assert_msg (s_wait_all_acked (60), "%s: not every message was acked", kind);
    s_assert_acked_once ();
    ck_assert_int_eq (s_count_events ("started"), 2);
    char *metrics = s_metrics_text (cluster, "bad");
    ck_assert_msg (strstr (metrics, "shell bolt bad-bolt task 2: child"), "%s: %s", kind, metrics);
    ck_assert_msg (strstr (metrics, reason), "%s: no '%s' in %s", kind, reason, metrics);
    ck_assert_msg (strstr (metrics, "about to misbehave"), "%s: no stderr tail in %s", kind,
                   metrics);
    free (metrics);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "bad", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    s_assert_children_gone ();
}

//  The misbehaviours of scripted_child.py's bad mode, and what the error
//  must say.
static const struct {
    const char *kind;   //  scripted_child.py bad KIND
    const char *reason; //  part of the error (as the metrics' JSON has it)
    int timeout_secs;   //  topology.subprocess.timeout.secs
} s_bad_kinds[] = {
    {"malformed", "malformed JSON", 10},
    {"noend", "in the middle of a message (no \\\"end\\\" line)", 10},
    {"unknown", "unknown command 'dance'", 10},
    {"silent", "(topology.subprocess.timeout.secs is 1)", 1},
    {"oversized", "message longer than 16777216 bytes", 10},
    {"exit", "exited with status 3", 10},
};

START_TEST (test_bad_bolt)
{
    s_bad_bolt (s_bad_kinds[_i].kind, s_bad_kinds[_i].reason, s_bad_kinds[_i].timeout_secs);
}
END_TEST

START_TEST (test_bad_handshake)
{
    //  A child that cannot do the handshake fails the task's prepare, and
    //  with it the submit; it is killed and reaped.
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "source", &s_source, 1);
    const char *args[6];
    s_child_args (args, "bad", "nopid", NULL);
    sq_component_t *shell = sq_shell_bolt (topology, "bad-bolt", "python3", args, NULL, 1);
    sq_component_shuffle_grouping (shell, "source", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (10);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "nopid", config, &topology), -1);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    ck_assert_int_eq (s_count_events ("handshake"), 1);
    s_assert_children_gone ();
    //  The pid file it wrote went with its pid directory.
    json_t *handshake = s_first_event ("handshake");
    const char *pid_dir =
        json_string_value (json_object_get (json_object_get (handshake, "setup"), "pidDir"));
    ck_assert_ptr_nonnull (pid_dir);
    ck_assert_int_ne (access (pid_dir, F_OK), 0);
    json_decref (handshake);
}
END_TEST

START_TEST (test_missing_program)
{
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "source", &s_source, 1);
    sq_component_t *shell =
        sq_shell_bolt (topology, "nothing", "/nonexistent/squall-child", NULL, NULL, 1);
    sq_component_shuffle_grouping (shell, "source", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "missing", NULL, &topology), -1);
    sq_local_cluster_destroy (&cluster);
}
END_TEST

START_TEST (test_bad_spout)
{
    //  A spout child silent past the timeout is failed and restarted.
    sq_topology_t *topology = sq_topology_new ();
    const char *args[6];
    s_child_args (args, "bad", "silent", "spout");
    sq_shell_spout (topology, "bad-spout", "python3", args, "word", 1);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_shuffle_grouping (sink, "bad-spout", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (1);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "bad-spout", config, &topology), 0);
    ck_assert (s_wait_events ("started", 2, 30));
    char *metrics = s_metrics_text (cluster, "bad-spout");
    ck_assert_msg (strstr (metrics, "no answer to \\\"activate\\\" within 1 s"), "%s", metrics);
    ck_assert_msg (strstr (metrics, "about to misbehave (silent)"), "%s", metrics);
    free (metrics);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "bad-spout", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    s_assert_children_gone ();
}
END_TEST

START_TEST (test_bolt_child_killed)
{
    //  Sentences -> shell split bolt -> sink; the child is killed (SIGKILL)
    //  mid-run: its tuples fail and replay, a new child takes over, and
    //  every sentence is acked exactly once in the end.
    s_probe.total = 3000;
    sq_topology_t *topology = sq_topology_new ();
    sq_topology_set_spout (topology, "source", &s_source, 1);
    const char *args[6];
    s_child_args (args, "split", NULL, NULL);
    sq_component_t *split = sq_shell_bolt (topology, "split", "python3", args, "word", 1);
    sq_component_shuffle_grouping (split, "source", NULL);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_shuffle_grouping (sink, "split", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (10);
    sq_config_set_int (config, "topology.max.spout.pending", 200);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "killed", config, &topology), 0);
    ck_assert (s_wait_events ("handshake", 1, 30));
    json_t *handshake = s_first_event ("handshake");
    int pid = (int) json_integer_value (json_object_get (handshake, "pid"));
    json_decref (handshake);
    int64_t deadline = s_now_ns () + 60 * NS_PER_S;
    while (atomic_load (&s_probe.sink_inputs) < 1000 && s_now_ns () < deadline)
        usleep (1000);
    ck_assert_int_ge (atomic_load (&s_probe.sink_inputs), 1000);
    ck_assert_int_eq (kill (pid, SIGKILL), 0);
    ck_assert (s_wait_all_acked (90));
    s_assert_acked_once ();
    ck_assert_int_eq (s_count_events ("handshake"), 2);
    ck_assert (s_process_gone (pid));
    char *metrics = s_metrics_text (cluster, "killed");
    ck_assert_msg (strstr (metrics, "killed by signal 9"), "%s", metrics);
    free (metrics);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "killed", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    s_assert_children_gone ();
}
END_TEST

START_TEST (test_spout_child_dies)
{
    //  The first spout child exits after 10 emits: a new one goes on from
    //  its saved progress, the acks of the first one's ids reach it, and
    //  every id is acked exactly once.
    sq_topology_t *topology = sq_topology_new ();
    const char *args[6];
    s_child_args (args, "words", "50", "10");
    sq_shell_spout (topology, "words", "python3", args, "word", 1);
    sq_component_t *sink = sq_topology_set_bolt (topology, "sink", &s_sink, 1);
    sq_component_shuffle_grouping (sink, "words", NULL);
    sq_local_cluster_t *cluster = sq_local_cluster_new ();
    sq_config_t *config = s_config (10);
    ck_assert_int_eq (sq_local_cluster_submit (cluster, "dies", config, &topology), 0);
    ck_assert (s_wait_events ("ack", 50, 60));
    ck_assert_int_eq (s_count_events ("handshake"), 2);
    json_t *events = s_events ();
    int acks[51] = {0};
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
    {
        if (strcmp (json_string_value (json_object_get (event, "event")), "ack") == 0)
            acks[json_integer_value (json_object_get (event, "id"))]++;
    }
    json_decref (events);
    for (int id = 1; id <= 50; id++)
        ck_assert_msg (acks[id] == 1, "id %d acked %d times", id, acks[id]);
    char *metrics = s_metrics_text (cluster, "dies");
    ck_assert_msg (strstr (metrics, "exited with status 3"), "%s", metrics);
    ck_assert_msg (strstr (metrics, "dying after 10 emits"), "%s", metrics);
    free (metrics);
    ck_assert_int_eq (sq_local_cluster_kill (cluster, "dies", 0), 0);
    sq_local_cluster_destroy (&cluster);
    sq_config_destroy (&config);
    s_assert_children_gone ();
}
END_TEST

//  ---------------------------------------------------------------------
//  A real cluster

#define CLUSTER_MESSAGES 2000

static cluster_harness_t *s_cluster; //  the running cluster, destroyed even when a test fails

static void
s_teardown_cluster (void)
{
    cluster_harness_destroy (&s_cluster);
    s_teardown ();
}

static int
s_probe_acked (const char *probe_dir)
{
    return cluster_harness_probe_acked (probe_dir, CLUSTER_MESSAGES);
}

static bool
s_wait_probe_acked (const char *probe_dir, int messages, double seconds)
{
    int64_t deadline = s_now_ns () + (int64_t) (seconds * NS_PER_S);
    while (s_probe_acked (probe_dir) < messages) {
        if (s_now_ns () > deadline)
            return false;
        usleep (100000);
    }
    return true;
}

//  The tmp directory of supervisor 0's slot (0 or 1), into tmp.
static void
s_slot_tmp (cluster_harness_t *cluster, int slot, char *tmp, size_t size)
{
    snprintf (tmp, size, "%s/supervisor/workers/%d/tmp", cluster_harness_local_dir (cluster, 0),
              cluster_harness_slot_port (cluster, 0, slot));
}

//  The slot (0 or 1) of supervisor 0 whose tmp directory holds path, or -1.
static int
s_slot_holding (cluster_harness_t *cluster, const char *path)
{
    for (int slot = 0; slot < 2; slot++) {
        char tmp[4400];
        s_slot_tmp (cluster, slot, tmp, sizeof tmp);
        size_t length = strlen (tmp);
        if (strncmp (path, tmp, length) == 0 && path[length] == '/')
            return slot;
    }
    return -1;
}

//  Paths of the shell pid directories in supervisor 0's slot tmp
//  directory, as a JSON array (empty when there is none or no directory).
static json_t *
s_pid_dirs_of_slot (cluster_harness_t *cluster, int slot)
{
    char tmp[4400];
    s_slot_tmp (cluster, slot, tmp, sizeof tmp);
    json_t *paths = json_array ();
    DIR *dir = opendir (tmp);
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (strncmp (entry->d_name, "squall-shell-", 13) == 0) {
            char path[4800];
            snprintf (path, sizeof path, "%s/%s", tmp, entry->d_name);
            json_array_append_new (paths, json_string (path));
        }
    if (dir)
        closedir (dir);
    return paths;
}

//  True once none of paths exists, within seconds.
static bool
s_wait_all_gone (json_t *paths, double seconds)
{
    int64_t deadline = s_now_ns () + (int64_t) (seconds * NS_PER_S);
    while (true) {
        size_t i, left = 0;
        json_t *path;
        json_array_foreach (paths, i, path) left += access (json_string_value (path), F_OK) == 0;
        if (left == 0)
            return true;
        if (s_now_ns () > deadline)
            return false;
        usleep (50000);
    }
}

START_TEST (test_cluster_shell_child_killed)
{
    //  The probe topology with its relay a shell bolt (4 tasks over 2
    //  workers). One child is killed mid-run: its worker exits with the
    //  error, the supervisor restarts it, the trees in flight fail and
    //  replay, and every number is acked in the end.
    //  A worker opens its tasks, and so starts its Python children, before
    //  its first heartbeat: on a loaded machine that outlasts the default
    //  5 s worker timeouts, so the cluster waits longer.
    cluster_harness_options_t options = {.nimbus_config = "\"nimbus.task.timeout.secs\": 60",
                                         .supervisor_config =
                                             "\"supervisor.worker.timeout.secs\": 60"};
    s_cluster = cluster_harness_new_with (1, 2, &options);
    cluster_harness_t *cluster = s_cluster;
    ck_assert_msg (cluster != NULL, "the cluster did not start");
    char probe_dir[4200];
    snprintf (probe_dir, sizeof probe_dir, "%s/probe", cluster_harness_dir (cluster));
    mkdir (probe_dir, 0755);
    snprintf (s_transcript, sizeof s_transcript, "%s/shell-transcript", probe_dir);
    char child[PATH_MAX];
    ck_assert_ptr_nonnull (realpath (s_child, child));
    char *package = cluster_harness_build_path ("tests/integration/.libs/probe_topology.so");
    char dir_option[4300], shell_option[PATH_MAX + 32], messages_option[64];
    snprintf (dir_option, sizeof dir_option, "probe.dir=%s", probe_dir);
    snprintf (shell_option, sizeof shell_option, "probe.shell.relay=%s", child);
    snprintf (messages_option, sizeof messages_option, "probe.messages=%d", CLUSTER_MESSAGES);
    const char *args[] = {package, "shellprobe",
                          "-c",    dir_option,
                          "-c",    shell_option,
                          "-c",    messages_option,
                          "-c",    "topology.workers=2",
                          "-c",    "probe.rate=200",
                          "-c",    "topology.message.timeout.secs=5",
                          NULL};
    char *output = NULL;
    int status = cluster_harness_cli (cluster, &output, args);
    ck_assert_msg (status == 0, "storm-submit exited %d: %s", status, output);
    free (output);
    free (package);
    ck_assert_msg (s_wait_events ("handshake", 4, 60), "the 4 relay children did not start");
    ck_assert (s_wait_probe_acked (probe_dir, 200, 60));
    ck_assert_msg (s_probe_acked (probe_dir) < CLUSTER_MESSAGES / 2, "the run is not mid-way");
    pid_t workers[2] = {cluster_harness_worker_pid (cluster, 0, 0),
                        cluster_harness_worker_pid (cluster, 0, 1)};
    json_t *handshake = s_first_event ("handshake");
    int pid = (int) json_integer_value (json_object_get (handshake, "pid"));
    json_decref (handshake);
    ck_assert_int_eq (kill (pid, SIGKILL), 0);
    //  The worker that ran it exits and is replaced; its children (the
    //  other relay tasks there too) start again.
    ck_assert_msg (s_wait_events ("handshake", 6, 60), "no relay child was restarted");
    int64_t deadline = s_now_ns () + 30 * NS_PER_S;
    bool replaced = false;
    while (!replaced && s_now_ns () < deadline) {
        for (int slot = 0; slot < 2; slot++) {
            pid_t now = cluster_harness_worker_pid (cluster, 0, slot);
            replaced = replaced || (now > 0 && now != workers[slot]);
        }
        usleep (50000);
    }
    ck_assert_msg (replaced, "no worker was restarted");
    ck_assert_msg (s_wait_probe_acked (probe_dir, CLUSTER_MESSAGES, 150),
                   "only %d of %d numbers acked", s_probe_acked (probe_dir), CLUSTER_MESSAGES);
    ck_assert (s_process_gone (pid));
    //  Workers keep temporary files in their slot's tmp directory ($TMPDIR),
    //  which the supervisor empties when the worker ends, however it ends:
    //  the killed child's pid directory went with its worker, and a worker
    //  killed outright leaves none of its own behind either.
    json_t *first = s_first_event ("handshake");
    const char *first_dir =
        json_string_value (json_object_get (json_object_get (first, "setup"), "pidDir"));
    int slot = first_dir ? s_slot_holding (cluster, first_dir) : -1;
    ck_assert_msg (slot >= 0, "pid directory %s is not in a slot's tmp directory",
                   first_dir ? first_dir : "(none)");
    ck_assert_msg (access (first_dir, F_OK) != 0, "%s outlived its worker", first_dir);
    json_decref (first);
    json_t *pid_dirs = s_pid_dirs_of_slot (cluster, slot);
    ck_assert_msg (json_array_size (pid_dirs) > 0, "the restarted worker has no pid directory");
    pid_t worker = cluster_harness_worker_pid (cluster, 0, slot);
    ck_assert_int_gt (worker, 0);
    ck_assert_int_eq (kill (worker, SIGKILL), 0);
    ck_assert_msg (s_wait_all_gone (pid_dirs, 30),
                   "a worker killed with SIGKILL left its pid directories behind");
    json_decref (pid_dirs);
    cluster_harness_destroy (&s_cluster);
    //  Every child the workers started is gone with them.
    s_assert_children_gone ();
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("shell");
    TCase *protocol = tcase_create ("protocol");
    tcase_add_checked_fixture (protocol, s_setup, s_teardown);
    tcase_set_timeout (protocol, 90);
    tcase_add_test (protocol, test_bolt_protocol);
    tcase_add_test (protocol, test_spout_protocol);
    suite_add_tcase (suite, protocol);
    TCase *failures = tcase_create ("failures");
    tcase_add_checked_fixture (failures, s_setup, s_teardown);
    tcase_set_timeout (failures, 120);
    tcase_add_loop_test (failures, test_bad_bolt, 0,
                         (int) (sizeof s_bad_kinds / sizeof s_bad_kinds[0]));
    tcase_add_test (failures, test_bad_handshake);
    tcase_add_test (failures, test_missing_program);
    tcase_add_test (failures, test_bad_spout);
    tcase_add_test (failures, test_bolt_child_killed);
    tcase_add_test (failures, test_spout_child_dies);
    suite_add_tcase (suite, failures);
    TCase *cluster = tcase_create ("cluster");
    tcase_add_checked_fixture (cluster, s_setup, s_teardown_cluster);
    tcase_set_timeout (cluster, 300);
    tcase_add_test (cluster, test_cluster_shell_child_killed);
    suite_add_tcase (suite, cluster);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
