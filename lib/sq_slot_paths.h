/*  sq_slot_paths - where a supervisor and its workers keep their files

    Everything a supervisor writes lives under <storm.local.dir>/supervisor:

      config.json               the supervisor's effective config, for its workers
      packages/<id>.so          topology packages, one per topology id
      workers/<port>/pid        process id of the worker on slot <port>
      workers/<port>/slot       what that worker runs: topology name, id, executors
      workers/<port>/heartbeat  rewritten by that worker; its mtime is the heartbeat
      workers/<port>/failure.json  why that worker stopped on an error, if it could say
      workers/<port>/tmp/       the worker's $TMPDIR, emptied when the worker ends
      workers/<port>/worker.log the worker's stdout and stderr, appended
                                (without storm.log.dir; see sq_log_file)
      workers/<port>/package.so, config.json
                                copies for a worker run as its submitter
                                (supervisor.run.worker.as.user)

    It lives in lib/ because both sides use it: the supervisor lays the
    files out and the worker writes its own, so they agree on the paths.
    doc/supervisor.md describes the files.

    Nothing here is for other users: the directories Squall makes are
    0700 and the files it writes 0600 (packages hold a user's code, the
    config may name credentials, logs show data). The daemons also set
    umask 077 at start, so files made through other paths follow.
*/
#ifndef SQ_SLOT_PATHS_H_INCLUDED
#define SQ_SLOT_PATHS_H_INCLUDED

#include "squall.h"

#include <stdbool.h>
#include <stdio.h>

//  <storm.local.dir>/supervisor. NULL when out of memory. Caller frees.
char *sq_slot_paths_dir (const sq_config_t *config);
//  <storm.local.dir>/supervisor/workers/<port>: the directory of the worker
//  on slot port. NULL when out of memory. Caller frees.
char *sq_slot_paths_worker_dir (const sq_config_t *config, int port);
//  <worker dir>/<name> for a file of the worker on slot port ("heartbeat",
//  "pid", "slot", "worker.log"). NULL when out of memory. Caller frees.
char *sq_slot_paths_worker_file (const sq_config_t *config, int port, const char *name);
//  Where the worker of topology_id on slot port logs: with storm.log.dir
//  set, <storm.log.dir>/workers-artifacts/<topology_id>/<port>/worker.log
//  (one file per topology and port, Storm's layout); without it, or for a
//  topology id that cannot be a file name, the slot's worker.log. NULL
//  when out of memory. Caller frees.
char *sq_slot_paths_worker_log (const sq_config_t *config, int port, const char *topology_id);
//  <storm.local.dir>/supervisor/packages/<topology_id>.so. NULL, with
//  sq_last_error() set, when topology_id cannot be a file name (empty,
//  longer than 200 bytes, starting with '.', or holding anything but
//  letters, digits, '.', '_' and '-'): ids come from ZooKeeper, which is
//  outside input. Caller frees.
char *sq_slot_paths_package (const sq_config_t *config, const char *topology_id);
//  True when name is safe as one path component by the rule above.
bool sq_slot_paths_safe_name (const char *name);
//  Create directory path and its missing parents (mode 0700), and make
//  path itself 0700 when it existed with a wider mode. Returns 0, or -1
//  with sq_last_error() naming the directory and the reason.
int sq_slot_paths_make_dirs (const char *path);
//  Open path for writing, truncated, as only its owner may read it: a new
//  file is created 0600, an existing one is made 0600. mode_text is
//  fdopen's ("w" or "a", "e" is added). NULL with errno set on failure.
//  Caller closes.
FILE *sq_slot_paths_fopen_private (const char *path, const char *mode_text);
//  Replace path with text as only its owner may read it (0600), through
//  <path>.tmp renamed into place, so that a reader sees the old contents
//  or all of text, never part of it. 0, or -1 with errno set (the
//  temporary file removed).
int sq_slot_paths_replace_private (const char *path, const char *text);

#endif
