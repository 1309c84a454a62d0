/*  nimbus_failures - the latest worker failures of each topology

    Supervisors report the workers that ended without being asked to in
    their heartbeats (doc/control.md, "supervisor_heartbeat"; the records
    are made by supervisor_failures). Nimbus keeps, in memory only, the
    latest NIMBUS_FAILURES_KEPT of each topology id, once each (a record
    comes again in every heartbeat for a minute: its id makes it known),
    and forgets a topology's when it is killed. Storm's REST API shows them
    as a component's lastError and the topology's errors; storm-submit's
    list, monitor and --wait show the latest.

    A record is outside input: every field is checked for its type and
    bounds before it is kept, and a malformed one is refused whole. The
    owner keeps records only of topologies it knows (bounding memory by
    the topologies, whatever strangers send).
*/
#ifndef NIMBUS_FAILURES_H_INCLUDED
#define NIMBUS_FAILURES_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define NIMBUS_FAILURES_KEPT 5           //  records kept per topology, newest kept
#define NIMBUS_FAILURES_PER_HEARTBEAT 16 //  most records a heartbeat may carry
#define NIMBUS_FAILURES_TEXT_MAX 256     //  longest id, name, host, cause or component
#define NIMBUS_FAILURES_MESSAGE_MAX 1024 //  longest message
#define NIMBUS_FAILURES_LOG_MAX 4096     //  longest log tail
#define NIMBUS_FAILURES_FAILING_SECS 60  //  a topology failed this recently is failing

typedef struct _nimbus_failures_t nimbus_failures_t;

//  New, empty. NULL when out of memory. Caller owns.
nimbus_failures_t *nimbus_failures_new (void);
//  Destroy; NULL-safe; nulls the caller's pointer.
void nimbus_failures_destroy (nimbus_failures_t **self_p);
//  0 when record is a well-formed failure record: "id", "topology",
//  "topology_id", "host", "cause" non-empty strings of at most
//  NIMBUS_FAILURES_TEXT_MAX bytes; "port" 1..65535; "time_ms" >= 0;
//  "restarts" 0..INT32_MAX; "next_restart_ms" -1 (none) .. 86400000;
//  "log_tail" a string of at most NIMBUS_FAILURES_LOG_MAX bytes; optional
//  "component" (as "cause"), "task" 0..INT32_MAX (only with a component)
//  and "message" (at most NIMBUS_FAILURES_MESSAGE_MAX bytes); no other
//  field. Else -1 with sq_last_error() naming the field.
int nimbus_failures_check (const json_t *record);
//  Keep a copy of record, reported by supervisor supervisor_id, as its
//  topology's latest failure. Returns 1 when kept, 0 when its id is
//  already known, -1 when malformed (sq_last_error() says why) or out of
//  memory.
int nimbus_failures_add (nimbus_failures_t *self, const char *supervisor_id, const json_t *record);
//  The failures of topology_id, newest first, as a new array (empty when
//  none); each record as sent with "supervisor" added. NULL when out of
//  memory. Caller owns.
json_t *nimbus_failures_list (nimbus_failures_t *self, const char *topology_id);
//  The newest failure of topology_id, or NULL. Borrowed: valid until the
//  next add or forget.
const json_t *nimbus_failures_last (nimbus_failures_t *self, const char *topology_id);
//  The newest failure of topology_id that names component, or NULL.
//  Borrowed, as last.
const json_t *nimbus_failures_last_of (nimbus_failures_t *self, const char *topology_id,
                                       const char *component);
//  Add to a topology's summary (the list, the REST topology summary)
//  "failing": true when its newest failure is less than
//  NIMBUS_FAILURES_FAILING_SECS old at unix time now, and "last_failure":
//  that failure, when there is one.
void nimbus_failures_summarize (nimbus_failures_t *self, const char *topology_id, int64_t now,
                                json_t *summary);
//  Forget the failures of topology_id (killed).
void nimbus_failures_forget (nimbus_failures_t *self, const char *topology_id);
//  Number of topologies with failures kept.
size_t nimbus_failures_topologies (nimbus_failures_t *self);

#endif
