/*  supervisor_failures - the recent failures of a supervisor's workers, for nimbus

    When a worker ends without being asked to, the supervisor makes a
    failure record of it (doc/control.md, "supervisor_heartbeat"):

      {"id", "topology", "topology_id", "host", "port", "time_ms", "cause",
       "restarts", "next_restart_ms", "log_tail",
       and "component", "task", "message" when the worker left them}

    cause is how it ended ("exit status 1", "killed by signal 11
    (SIGSEGV)", or why the supervisor killed it); component, task and
    message come from the failure file the worker wrote before it exited
    (workers/<port>/failure.json); log_tail is the end of its log (at most
    20 lines and 4 KiB). The class keeps the latest few records and hands
    them to every heartbeat for a minute: nimbus keeps one copy of each
    (by id), so repeating them costs bytes only, and a heartbeat that is
    lost loses nothing.
*/
#ifndef SUPERVISOR_FAILURES_H_INCLUDED
#define SUPERVISOR_FAILURES_H_INCLUDED

#include "squall.h"

#include <jansson.h>
#include <stdint.h>

#define SUPERVISOR_FAILURES_KEPT 8                //  records carried at once, newest kept
#define SUPERVISOR_FAILURES_CARRIED_MS 60000      //  how long a record rides in heartbeats
#define SUPERVISOR_FAILURES_LOG_BYTES 4096        //  most bytes of a log tail
#define SUPERVISOR_FAILURES_LOG_LINES 20          //  most lines of a log tail
#define SUPERVISOR_FAILURES_FILE_BYTES (8 * 1024) //  largest failure file read

typedef struct _supervisor_failures_t supervisor_failures_t;

//  What the supervisor knows of a worker that ended.
typedef struct {
    const char *topology;     //  topology name
    const char *topology_id;  //  topology id
    int port;                 //  slot port
    const char *cause;        //  how it ended, as text
    const char *failure_path; //  the worker's failure file (read, then removed), or NULL
    const char *log_path;     //  its log, or NULL
    int restarts;             //  failures in a row so far
    int64_t next_restart_ms;  //  delay before the next start (back-off)
} supervisor_failure_t;

//  New, empty; the ids are copied. NULL when out of memory. Caller owns.
supervisor_failures_t *supervisor_failures_new (const char *supervisor_id, const char *host);
//  Destroy; NULL-safe; nulls the caller's pointer.
void supervisor_failures_destroy (supervisor_failures_t **self_p);
//  Make the record of failure at monotonic time now_ms (the worker's files
//  are read here) and keep it, dropping the oldest beyond
//  SUPERVISOR_FAILURES_KEPT. Returns 0, or -1 when out of memory.
int supervisor_failures_add (supervisor_failures_t *self, const supervisor_failure_t *failure,
                             int64_t now_ms);
//  The records younger than SUPERVISOR_FAILURES_CARRIED_MS at now_ms,
//  oldest first, as a new array (empty when none); NULL when out of memory.
//  Caller owns.
json_t *supervisor_failures_recent (supervisor_failures_t *self, int64_t now_ms);
//  The end of the file at path: at most max_lines lines and max_bytes
//  bytes, bytes that are not printable ASCII (tab and newline kept) as '?'
//  so that any log makes valid JSON. Empty when the file cannot be read.
//  NULL when out of memory. Caller frees.
char *supervisor_failures_log_tail (const char *path, size_t max_bytes, int max_lines);

#endif
