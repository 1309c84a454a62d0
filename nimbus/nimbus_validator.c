/*  nimbus_validator - validates a topology package in a child process */
#include "nimbus_validator.h"
#include "nimbus_sandbox.h"
#include "nimbus_scheduler.h"
#include "sq_cluster_state.h"
#include "sq_config.h"
#include "sq_coverage.h"
#include "sq_error.h"
#include "sq_package.h"
#include "sq_task_layout.h"
#include "sq_topology.h"
#include "sq_windowed_bolt.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_MAX_ANSWER (16 * 1024 * 1024) //  most bytes the child may write
#define S_CHILD_ALARM_SECS 120          //  the child's own limit, should nimbus not kill it
#define S_EXIT_GRACE_MS 500             //  wait for a child that closed its pipe to exit

struct _nimbus_validator_t {
    pid_t pid;                //  the child, until reaped; 0 after
    int fd;                   //  read end of the child's pipe; -1 once closed
    char *answer;             //  bytes the child wrote so far
    size_t answer_size;       //  number of them
    bool done;                //  the validation is over
    char *error;              //  why the package is invalid, or NULL
    json_t *executors;        //  when valid: the checked executor list
    json_t *components;       //  when valid: the checked component kinds and inputs
    int workers;              //  when valid: effective topology.workers
    int message_timeout_secs; //  when valid: effective topology.message.timeout.secs
    char *scratch;            //  the child's scratch directory, removed at the end
};

//  ---------------------------------------------------------------------
//  The child

//  Each component's kind and inputs, by component id (for the REST API's
//  spouts, bolts and visualization). NULL when out of memory.
static json_t *
s_child_components (const sq_topology_t *topology)
{
    json_t *components = json_object ();
    size_t count = sq_topology_component_count (topology);
    for (size_t c = 0; components && c < count; c++) {
        const sq_component_t *component = sq_topology_component_at (topology, c);
        json_t *inputs = json_array ();
        for (size_t i = 0; inputs && i < component->subscription_count; i++) {
            const sq_subscription_t *input = &component->subscriptions[i];
            if (json_array_append_new (inputs,
                                       json_pack ("{s:s, s:s, s:s}", "component", input->source,
                                                  "stream", input->stream, "grouping",
                                                  sq_grouping_type_name (input->type))))
                json_decref (inputs), inputs = NULL;
        }
        json_t *entry = inputs ? json_pack ("{s:s, s:o}", "type",
                                            component->spout ? "spout" : "bolt", "inputs", inputs)
                               : NULL;
        if (!entry || json_object_set_new (components, component->id, entry))
            json_decref (components), components = NULL;
    }
    return components;
}

//  The answer of a valid topology, or NULL with sq_last_error() set.
static json_t *
s_child_answer (const sq_topology_t *topology, const sq_config_t *config)
{
    size_t count;
    nimbus_executor_t *executors = nimbus_scheduler_executors (topology, config, &count);
    if (!executors)
        return NULL;
    json_t *list = json_array ();
    for (size_t i = 0; list && i < count; i++)
        if (json_array_append_new (list, json_pack ("{s:s, s:i, s:i}", "component",
                                                    executors[i].component_id, "first_task",
                                                    executors[i].first_task, "last_task",
                                                    executors[i].last_task)))
            json_decref (list), list = NULL;
    nimbus_scheduler_executors_destroy (&executors);
    sq_config_t *effective = sq_config_dup (sq_topology_config ((sq_topology_t *) topology));
    if (effective && config)
        sq_config_merge (effective, config);
    json_t *components = s_child_components (topology);
    json_t *answer = NULL;
    if (list && effective && components)
        answer = json_pack (
            "{s:o, s:o, s:I, s:I}", "executors", list, "components", components, "workers",
            (json_int_t) sq_config_int (effective, "topology.workers", 1), "message_timeout_secs",
            (json_int_t) sq_config_int (effective, "topology.message.timeout.secs", 30));
    else {
        json_decref (list);
        json_decref (components);
    }
    sq_config_destroy (&effective);
    if (!answer)
        sq_error_set ("out of memory");
    return answer;
}

//  Validate and answer on fd (in the sandbox's prisoner, arg being the
//  submit's config); never returns.
static void
s_child (int fd, const char *path, void *arg)
{
    const sq_config_t *config = arg;
    json_t *answer = NULL;
    sq_package_t *package = sq_package_open (path);
    sq_topology_t *topology = package ? sq_package_build (package, config) : NULL;
    if (topology && sq_topology_validate (topology) == 0 &&
        sq_windowed_bolts_check (topology, config) == 0)
        answer = s_child_answer (topology, config);
    if (!answer)
        answer = json_pack ("{s:s}", "error", sq_last_error ());
    char *text = answer ? json_dumps (answer, JSON_COMPACT) : NULL;
    if (text)
        nimbus_sandbox_write (fd, text);
    //  _exit: no atexit handlers, no destructors of the package or of
    //  the libraries whose threads stayed behind in the parent.
    SQ_COVERAGE_FLUSH ();
    _exit (text ? 0 : 1);
}

//  ---------------------------------------------------------------------
//  The parent

nimbus_validator_t *
nimbus_validator_new (const char *path, const sq_config_t *config, nimbus_sandbox_t *sandbox)
{
    assert (path);
    assert (config);
    assert (sandbox);
    nimbus_validator_t *self = calloc (1, sizeof (nimbus_validator_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->fd = -1;
    self->scratch = nimbus_sandbox_make_scratch (sandbox);
    if (!self->scratch) {
        free (self);
        return NULL;
    }
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC)) {
        sq_error_set ("cannot start a validation: pipe: %s", strerror (errno));
        nimbus_validator_destroy (&self);
        return NULL;
    }
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        sq_error_set ("cannot start a validation: fork: %s", strerror (errno));
        close (fds[0]);
        close (fds[1]);
        nimbus_validator_destroy (&self);
        return NULL;
    }
    if (pid == 0) {
        SQ_COVERAGE_FORKED ();
        close (fds[0]);
        alarm (S_CHILD_ALARM_SECS);
        nimbus_sandbox_run (sandbox, parent, self->scratch, fds[1], path, s_child, (void *) config);
    }
    close (fds[1]);
    fcntl (fds[0], F_SETFL, fcntl (fds[0], F_GETFL) | O_NONBLOCK);
    self->pid = pid;
    self->fd = fds[0];
    return self;
}

//  Kill (when still running) and reap the child; returns its wait status.
static int
s_reap (nimbus_validator_t *self, bool kill_first)
{
    int status = 0;
    if (self->pid <= 0)
        return status;
    //  The child leads its own process group: end the group, the
    //  package's own children with it.
    if (kill_first) {
        kill (-self->pid, SIGKILL);
        kill (self->pid, SIGKILL);
    }
    //  A child that closed its pipe is usually exiting: give it a moment
    //  to finish before killing it.
    pid_t rc = 0;
    for (int waited = 0; !kill_first && rc == 0 && waited < S_EXIT_GRACE_MS; waited++) {
        rc = waitpid (self->pid, &status, WNOHANG);
        if (rc == 0)
            zclock_sleep (1);
    }
    if (rc <= 0) {
        kill (-self->pid, SIGKILL);
        kill (self->pid, SIGKILL);
        while (waitpid (self->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    self->pid = 0;
    return status;
}

void
nimbus_validator_destroy (nimbus_validator_t **self_p)
{
    assert (self_p);
    nimbus_validator_t *self = *self_p;
    if (!self)
        return;
    s_reap (self, true);
    if (self->fd >= 0)
        close (self->fd);
    free (self->answer);
    free (self->error);
    json_decref (self->executors);
    json_decref (self->components);
    nimbus_sandbox_remove_scratch (self->scratch);
    zstr_free (&self->scratch);
    free (self);
    *self_p = NULL;
}

int
nimbus_validator_fd (nimbus_validator_t *self)
{
    assert (self);
    return self->fd;
}

//  Finish with an error (printf-style).
static void s_fail (nimbus_validator_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fail (nimbus_validator_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    free (self->error);
    self->error = zsys_vprintf (format, args);
    va_end (args);
    if (!self->error)
        self->error = strdup ("out of memory");
    json_decref (self->executors);
    self->executors = NULL;
    json_decref (self->components);
    self->components = NULL;
    self->done = true;
}

//  Check the executor list of a valid answer; NULL when fine, else why not.
static const char *
s_check_executors (json_t *executors)
{
    size_t count = json_array_size (executors);
    if (!json_is_array (executors) || count == 0 || count > SQ_CLUSTER_MAX_EXECUTORS)
        return "no executors, or too many";
    int next_task = 1;
    for (size_t i = 0; i < count; i++) {
        json_t *executor = json_array_get (executors, i);
        const char *component = json_string_value (json_object_get (executor, "component"));
        json_t *first = json_object_get (executor, "first_task");
        json_t *last = json_object_get (executor, "last_task");
        if (!component || !*component || strlen (component) > SQ_CLUSTER_MAX_NAME ||
            !json_is_integer (first) || !json_is_integer (last))
            return "an executor lacks its component or task range";
        if (json_integer_value (first) != next_task ||
            json_integer_value (last) < json_integer_value (first) ||
            json_integer_value (last) > SQ_TASK_LAYOUT_MAX_TASK)
            return "executor task ranges are not contiguous from task 1 or exceed the task limit";
        next_task = (int) json_integer_value (last) + 1;
    }
    return NULL;
}

//  Check the component list of a valid answer against its executors; NULL
//  when fine, else why not.
static const char *
s_check_components (json_t *components, json_t *executors)
{
    if (!json_is_object (components) || json_object_size (components) > SQ_CLUSTER_MAX_EXECUTORS)
        return "no component list, or too long a one";
    const char *id;
    json_t *component;
    json_object_foreach (components, id, component)
    {
        const char *type = json_string_value (json_object_get (component, "type"));
        json_t *inputs = json_object_get (component, "inputs");
        if (strlen (id) > SQ_CLUSTER_MAX_NAME || !type ||
            (strcmp (type, "spout") != 0 && strcmp (type, "bolt") != 0) ||
            !json_is_array (inputs) || json_array_size (inputs) > SQ_CLUSTER_MAX_EXECUTORS)
            return "a component lacks its type or inputs";
        size_t i;
        json_t *input;
        json_array_foreach (inputs, i, input)
        {
            const char *fields[] = {"component", "stream", "grouping"};
            for (size_t f = 0; f < 3; f++) {
                const char *text = json_string_value (json_object_get (input, fields[f]));
                if (!text || strlen (text) > SQ_CLUSTER_MAX_NAME)
                    return "a component's input lacks its component, stream or grouping";
            }
        }
    }
    size_t e;
    json_t *executor;
    json_array_foreach (executors, e, executor)
    {
        const char *name = json_string_value (json_object_get (executor, "component"));
        if (strcmp (name, SQ_ACKER_COMPONENT) != 0 && !json_object_get (components, name))
            return "an executor's component is not in the component list";
    }
    return NULL;
}

//  The child is gone and its pipe closed: judge what it said.
static void
s_finish (nimbus_validator_t *self, int status)
{
    json_error_t error;
    json_t *answer = self->answer ? json_loadb (self->answer, self->answer_size, 0, &error) : NULL;
    const char *reason = json_string_value (json_object_get (answer, "error"));
    json_t *executors = json_object_get (answer, "executors");
    json_t *workers = json_object_get (answer, "workers");
    json_t *timeout = json_object_get (answer, "message_timeout_secs");
    json_t *components = json_object_get (answer, "components");
    const char *problem = NULL;
    if (reason)
        s_fail (self, "%s", reason);
    else if (WIFSIGNALED (status))
        s_fail (self, "the package crashed the validation process (signal %d: %s)",
                WTERMSIG (status), strsignal (WTERMSIG (status)));
    else if (!answer || WEXITSTATUS (status) != 0)
        s_fail (self,
                "the package ended the validation process (exit status %d) without an "
                "answer",
                WEXITSTATUS (status));
    else if ((problem = s_check_executors (executors)) ||
             (problem = s_check_components (components, executors)))
        s_fail (self, "the validation process answered nonsense: %s", problem);
    else if (!json_is_integer (workers) || json_integer_value (workers) < 1 ||
             json_integer_value (workers) > SQ_CLUSTER_MAX_WORKERS)
        s_fail (self, "config key 'topology.workers' must be between 1 and %d, got %lld",
                SQ_CLUSTER_MAX_WORKERS, (long long) json_integer_value (workers));
    else if (!json_is_integer (timeout) || json_integer_value (timeout) < 0 ||
             json_integer_value (timeout) > INT32_MAX)
        s_fail (self, "config key 'topology.message.timeout.secs' must not be negative");
    else {
        self->executors = json_incref (executors);
        self->components = json_incref (components);
        self->workers = (int) json_integer_value (workers);
        self->message_timeout_secs = (int) json_integer_value (timeout);
        self->done = true;
    }
    json_decref (answer);
    free (self->answer);
    self->answer = NULL;
    self->answer_size = 0;
}

int
nimbus_validator_read (nimbus_validator_t *self)
{
    assert (self);
    if (self->done)
        return 1;
    char buffer[65536];
    while (true) {
        ssize_t got = read (self->fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (got > 0 && self->answer_size + (size_t) got > S_MAX_ANSWER) {
            s_reap (self, true);
            s_fail (self, "the validation process wrote more than %d bytes", S_MAX_ANSWER);
            break;
        }
        if (got > 0) {
            char *grown = realloc (self->answer, self->answer_size + (size_t) got);
            if (!grown) {
                s_reap (self, true);
                s_fail (self, "out of memory");
                break;
            }
            memcpy (grown + self->answer_size, buffer, (size_t) got);
            self->answer = grown;
            self->answer_size += (size_t) got;
            continue;
        }
        //  End of file (or a read error): the child is done.
        s_finish (self, s_reap (self, false));
        break;
    }
    close (self->fd);
    self->fd = -1;
    return 1;
}

void
nimbus_validator_kill (nimbus_validator_t *self, int timeout_ms)
{
    assert (self);
    if (self->done)
        return;
    s_reap (self, true);
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
    s_fail (self, "the package took longer than %g s to build and validate", timeout_ms / 1000.0);
}

bool
nimbus_validator_done (nimbus_validator_t *self)
{
    assert (self);
    return self->done;
}

const char *
nimbus_validator_error (nimbus_validator_t *self)
{
    assert (self);
    assert (self->done);
    return self->error;
}

json_t *
nimbus_validator_executors (nimbus_validator_t *self)
{
    assert (self);
    assert (self->done && !self->error);
    return self->executors;
}

json_t *
nimbus_validator_components (nimbus_validator_t *self)
{
    assert (self);
    return self->components;
}

int
nimbus_validator_workers (nimbus_validator_t *self)
{
    assert (self);
    assert (self->done && !self->error);
    return self->workers;
}

int
nimbus_validator_message_timeout (nimbus_validator_t *self)
{
    assert (self);
    assert (self->done && !self->error);
    return self->message_timeout_secs;
}
