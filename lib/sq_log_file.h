/*  sq_log_file - a daemon's stdout and stderr in a file that rotates by size

    With storm.log.dir set, each daemon writes its log to a file of its own
    there instead of the terminal: nimbus.log, supervisor.log, and
    workers-artifacts/<topology id>/<port>/worker.log for each worker
    (Storm's layout). Everything the process writes to stdout or stderr
    lands in the file, libraries' messages too, since the file replaces
    descriptors 1 and 2.

    A watcher thread looks at the file's size once a second; past
    squall.log.max.mb it renames the file to <name>.1 (shifting older ones
    up to squall.log.backups, dropping the oldest) and reopens the name, so
    a log never grows without bound and `tail -F` follows it. Lines written
    during the rename land in the file just renamed: nothing is lost.
*/
#ifndef SQ_LOG_FILE_H_INCLUDED
#define SQ_LOG_FILE_H_INCLUDED

#include "squall.h"

#include <stdint.h>

typedef struct _sq_log_file_t sq_log_file_t;

//  The log file path a process named `name` ("nimbus.log", or
//  "workers-artifacts/<id>/<port>/worker.log") gets under storm.log.dir,
//  or NULL when the key is empty (log to stderr) or out of memory. Caller
//  frees.
char *sq_log_file_path (const sq_config_t *config, const char *name);
//  Create the file's missing directories (0700), open it (appending,
//  0600), make it the process's stdout and stderr, and start the watcher
//  with the config's rotation limits (squall.log.max.mb,
//  squall.log.backups). NULL, with sq_last_error() naming the path and
//  the reason, when that fails; stdout and stderr are then untouched.
//  Caller owns.
sq_log_file_t *sq_log_file_new (const char *path, const sq_config_t *config);
//  What a daemon calls at start: with storm.log.dir set, sq_log_file_new
//  on <storm.log.dir>/<name> into *log_p; without it, *log_p = NULL and
//  output stays where it is. Returns 0, or -1 with the error set.
int sq_log_file_start (const sq_config_t *config, const char *name, sq_log_file_t **log_p);
//  Rotate now when the file has reached max_bytes. Returns 1 when it
//  rotated, 0 when not, -1 (with the error set) when it could not.
int sq_log_file_check (sq_log_file_t *self);
//  The same with the limits given, for tests: rotation past max_bytes,
//  keeping `backups` old files.
void sq_log_file_set_limits (sq_log_file_t *self, int64_t max_bytes, int backups);
//  Stop the watcher; stdout and stderr stay on the file. NULL-safe; nulls
//  the caller's pointer.
void sq_log_file_destroy (sq_log_file_t **self_p);

#endif
