/*  nimbus_topology - what nimbus keeps in memory about one topology */
#include "nimbus_topology.h"
#include "sq_config.h"
#include "sq_error.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

//  What the timer does when it fires.
typedef enum {
    S_TIMER_NONE,      //  no timer armed
    S_TIMER_REMOVAL,   //  removal of a killed topology
    S_TIMER_REBALANCE, //  end of a rebalance
} s_timer_kind_t;

struct _nimbus_topology_t {
    char *name;                          //  topology name
    char *id;                            //  submission id
    zloop_t *loop;                       //  the owner's loop (borrowed)
    nimbus_topology_handler_fn *handler; //  told when the validation or the timer ends
    void *handler_arg;                   //  its argument
    json_t *executors_json;              //  executors from the validation, or NULL
    json_t *components;                  //  component kinds and inputs from it, or NULL
    nimbus_executor_t *executors;        //  the same for the scheduler (strings in executors_json)
    size_t executor_count;               //  number of executors
    int message_timeout_secs;            //  default wait of kill and rebalance
    nimbus_validator_t *validator;       //  validation under way, or NULL
    zmq_pollitem_t validator_item;       //  its pipe, while polled (fd -1 otherwise)
    int validator_timer;                 //  its deadline timer, or -1
    int validation_timeout_ms;           //  that deadline
    nimbus_request_t *submit;            //  the submit that waits for the validation, or NULL
    sq_config_t *submit_config;          //  that submit's config
    char *checksum;                      //  that submit's package checksum
    int timer;                           //  kill or rebalance timer, or -1
    s_timer_kind_t timer_kind;           //  what that timer does
    bool rebalancing;                    //  a rebalance waits (as the record notes)
    bool unschedulable;                  //  the last scheduling failed (logged once)
    bool unwritable;                     //  the last assignment write failed (logged once)
};

nimbus_topology_t *
nimbus_topology_new (const char *name, const char *id, zloop_t *loop,
                     nimbus_topology_handler_fn *handler, void *arg)
{
    assert (name);
    assert (id);
    assert (loop);
    assert (handler);
    nimbus_topology_t *self = calloc (1, sizeof (nimbus_topology_t));
    if (!self)
        return NULL;
    self->name = strdup (name);
    self->id = strdup (id);
    self->loop = loop;
    self->handler = handler;
    self->handler_arg = arg;
    self->validator_item.fd = -1;
    self->validator_timer = -1;
    self->timer = -1;
    self->message_timeout_secs = 30;
    if (!self->name || !self->id)
        nimbus_topology_destroy (&self);
    return self;
}

void
nimbus_topology_destroy (nimbus_topology_t **self_p)
{
    assert (self_p);
    nimbus_topology_t *self = *self_p;
    if (!self)
        return;
    nimbus_topology_stop_validation (self);
    if (self->timer >= 0)
        zloop_timer_end (self->loop, self->timer);
    nimbus_request_destroy (&self->submit);
    sq_config_destroy (&self->submit_config);
    json_decref (self->executors_json);
    json_decref (self->components);
    free (self->executors);
    free (self->checksum);
    free (self->name);
    free (self->id);
    free (self);
    *self_p = NULL;
}

const char *
nimbus_topology_name (nimbus_topology_t *self)
{
    assert (self);
    return self->name;
}

const char *
nimbus_topology_id (nimbus_topology_t *self)
{
    assert (self);
    return self->id;
}

const nimbus_executor_t *
nimbus_topology_executors (nimbus_topology_t *self, size_t *count_p)
{
    assert (self);
    assert (count_p);
    *count_p = self->executor_count;
    return self->executors;
}

const json_t *
nimbus_topology_components (nimbus_topology_t *self)
{
    assert (self);
    return self->components;
}

int
nimbus_topology_message_timeout (nimbus_topology_t *self)
{
    assert (self);
    return self->message_timeout_secs;
}

void
nimbus_topology_set_message_timeout (nimbus_topology_t *self, int secs)
{
    assert (self);
    self->message_timeout_secs = secs;
}

//  ---------------------------------------------------------------------
//  Validation

static int
s_on_validator_readable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    nimbus_topology_t *self = arg;
    if (nimbus_validator_read (self->validator) == 1) {
        zloop_poller_end (loop, &self->validator_item);
        self->validator_item.fd = -1;
        self->handler (self, NIMBUS_TOPOLOGY_VALIDATED, self->handler_arg);
    }
    return 0;
}

static int
s_on_validator_timeout (zloop_t *loop, int timer_id, void *arg)
{
    nimbus_topology_t *self = arg;
    self->validator_timer = -1;
    nimbus_validator_kill (self->validator, self->validation_timeout_ms);
    zloop_poller_end (loop, &self->validator_item);
    self->validator_item.fd = -1;
    self->handler (self, NIMBUS_TOPOLOGY_VALIDATED, self->handler_arg);
    return 0;
}

int
nimbus_topology_validate (nimbus_topology_t *self, const char *path, const sq_config_t *config,
                          nimbus_sandbox_t *sandbox, int timeout_ms)
{
    assert (self);
    assert (path);
    assert (!self->validator);
    self->validator = nimbus_validator_new (path, config, sandbox);
    if (!self->validator)
        return -1;
    self->validator_item =
        (zmq_pollitem_t){NULL, nimbus_validator_fd (self->validator), ZMQ_POLLIN, 0};
    if (zloop_poller (self->loop, &self->validator_item, s_on_validator_readable, self)) {
        self->validator_item.fd = -1;
        nimbus_validator_destroy (&self->validator);
        return sq_error_set ("cannot poll the validation of topology '%s'", self->name);
    }
    //  The child closing its pipe reads as an error: the handler takes it.
    zloop_poller_set_tolerant (self->loop, &self->validator_item);
    self->validation_timeout_ms = timeout_ms;
    self->validator_timer =
        zloop_timer (self->loop, (size_t) timeout_ms, 1, s_on_validator_timeout, self);
    return 0;
}

nimbus_validator_t *
nimbus_topology_validator (nimbus_topology_t *self)
{
    assert (self);
    return self->validator;
}

int
nimbus_topology_take_executors (nimbus_topology_t *self)
{
    assert (self);
    assert (self->validator);
    json_t *list = nimbus_validator_executors (self->validator);
    size_t count = json_array_size (list);
    nimbus_executor_t *executors = calloc (count, sizeof (nimbus_executor_t));
    if (!executors)
        return sq_error_set ("out of memory");
    for (size_t i = 0; i < count; i++) {
        json_t *executor = json_array_get (list, i);
        executors[i] =
            (nimbus_executor_t){json_string_value (json_object_get (executor, "component")),
                                (int) json_integer_value (json_object_get (executor, "first_task")),
                                (int) json_integer_value (json_object_get (executor, "last_task"))};
    }
    json_decref (self->executors_json);
    free (self->executors);
    json_decref (self->components);
    self->components = json_incref (nimbus_validator_components (self->validator));
    self->executors_json = json_incref (list);
    self->executors = executors;
    self->executor_count = count;
    self->message_timeout_secs = nimbus_validator_message_timeout (self->validator);
    return 0;
}

void
nimbus_topology_stop_validation (nimbus_topology_t *self)
{
    assert (self);
    if (self->validator_item.fd >= 0)
        zloop_poller_end (self->loop, &self->validator_item);
    self->validator_item.fd = -1;
    if (self->validator_timer >= 0)
        zloop_timer_end (self->loop, self->validator_timer);
    self->validator_timer = -1;
    nimbus_validator_destroy (&self->validator);
}

//  ---------------------------------------------------------------------
//  The submit that waits for the validation

int
nimbus_topology_set_checksum (nimbus_topology_t *self, const char *checksum)
{
    assert (self);
    assert (checksum);
    char *copy = strdup (checksum);
    if (!copy)
        return -1;
    //  Lowercase, as every component compares checksums.
    for (char *c = copy; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    free (self->checksum);
    self->checksum = copy;
    return 0;
}

const char *
nimbus_topology_checksum (nimbus_topology_t *self)
{
    assert (self);
    return self->checksum;
}

void
nimbus_topology_hold_submit (nimbus_topology_t *self, nimbus_request_t **request_p,
                             sq_config_t **config_p)
{
    assert (self);
    assert (request_p && *request_p);
    assert (config_p && *config_p);
    assert (!self->submit);
    self->submit = *request_p;
    self->submit_config = *config_p;
    *request_p = NULL;
    *config_p = NULL;
}

nimbus_request_t *
nimbus_topology_submit (nimbus_topology_t *self)
{
    assert (self);
    return self->submit;
}

const sq_config_t *
nimbus_topology_submit_config (nimbus_topology_t *self)
{
    assert (self);
    return self->submit_config;
}

void
nimbus_topology_end_submit (nimbus_topology_t *self)
{
    assert (self);
    nimbus_request_destroy (&self->submit);
    sq_config_destroy (&self->submit_config);
    nimbus_topology_stop_validation (self);
}

//  ---------------------------------------------------------------------
//  Kill and rebalance timer

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    nimbus_topology_t *self = arg;
    s_timer_kind_t kind = self->timer_kind;
    self->timer = -1;
    self->timer_kind = S_TIMER_NONE;
    self->handler (
        self, kind == S_TIMER_REMOVAL ? NIMBUS_TOPOLOGY_REMOVAL_DUE : NIMBUS_TOPOLOGY_REBALANCE_DUE,
        self->handler_arg);
    return 0;
}

//  Arm the timer to fire once in wait_ms, replacing the one armed before.
static void
s_arm_timer (nimbus_topology_t *self, s_timer_kind_t kind, size_t wait_ms)
{
    if (self->timer >= 0)
        zloop_timer_end (self->loop, self->timer);
    self->timer_kind = kind;
    self->timer = zloop_timer (self->loop, wait_ms, 1, s_on_timer, self);
}

void
nimbus_topology_schedule_removal (nimbus_topology_t *self, double wait_secs)
{
    assert (self);
    self->rebalancing = false;
    s_arm_timer (self, S_TIMER_REMOVAL, (size_t) (wait_secs * 1000));
}

void
nimbus_topology_schedule_rebalance (nimbus_topology_t *self, int64_t wait_ms)
{
    assert (self);
    self->rebalancing = true;
    s_arm_timer (self, S_TIMER_REBALANCE, (size_t) (wait_ms > 1 ? wait_ms : 1));
}

bool
nimbus_topology_rebalancing (nimbus_topology_t *self)
{
    assert (self);
    return self->rebalancing;
}

void
nimbus_topology_end_rebalance (nimbus_topology_t *self)
{
    assert (self);
    self->rebalancing = false;
}

bool
nimbus_topology_note_unschedulable (nimbus_topology_t *self, bool failed)
{
    assert (self);
    bool newly = failed && !self->unschedulable;
    self->unschedulable = failed;
    return newly;
}

bool
nimbus_topology_note_unwritable (nimbus_topology_t *self, bool failed)
{
    assert (self);
    bool newly = failed && !self->unwritable;
    self->unwritable = failed;
    return newly;
}
