/*  sq_daemon_lock - one daemon of a kind per storm.local.dir, and its pid file

    A daemon takes an exclusive lock (flock) on <storm.local.dir>/<kind>.lock
    before it touches the directory and holds it until it exits; the lock
    file holds the holder's pid, so a second daemon of the same kind on the
    same directory refuses to start with one error naming the directory and
    that pid. The kernel drops the lock when the holder ends, however it
    ends: a crash leaves the file but no stale lock. With a pid file, the
    daemon's pid is written there once the lock is taken, and the file is
    removed when the lock is released on a clean exit.
*/
#ifndef SQ_DAEMON_LOCK_H_INCLUDED
#define SQ_DAEMON_LOCK_H_INCLUDED

typedef struct _sq_daemon_lock_t sq_daemon_lock_t;

//  Lock <dir>/<kind>.lock for this process (making dir when it is
//  missing), then write this process's pid to pid_file unless it is NULL.
//  Returns the lock, or NULL with sq_last_error() set: the directory
//  cannot be made or opened, another process holds the lock
//  ("storm.local.dir '/var/lib/squall' is in use by another nimbus (pid
//  1234 holds /var/lib/squall/nimbus.lock)"), or the pid file cannot be
//  written. Caller owns.
sq_daemon_lock_t *sq_daemon_lock_new (const char *dir, const char *kind, const char *pid_file);
//  Remove the pid file (when it still holds this process's pid) and
//  release the lock; NULL-safe; nulls the pointer.
void sq_daemon_lock_destroy (sq_daemon_lock_t **self_p);
//  The pid read from the start of text (a pid or lock file's contents):
//  decimal digits, then a newline or the end; -1 for anything else.
long sq_daemon_lock_parse_pid (const char *text);

#endif
