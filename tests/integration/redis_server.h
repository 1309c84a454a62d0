/*  redis_server - a real redis-server for integration tests

    Starts Debian's redis-server as a child process on a free loopback
    port, with its data (an append-only file, fsync'ed on every write, so
    a stop and start loses nothing that was acknowledged) and its log in a
    new temporary directory, and waits until it answers PING. Tests stop
    and restart it to play a Redis that goes away, and destroy it at the
    end: the process is reaped and the directory removed.

    Like zk_server: servers still running at exit() are killed and their
    directories removed by an atexit handler (only in the process that
    started them), and the server gets SIGKILL from the kernel when the
    thread that started it dies (PR_SET_PDEATHSIG): start servers from the
    main thread. Skips are decided with zk_server_skip.

    Environment: SQ_REDIS_SERVER names the redis-server binary (default
    "redis-server" on the PATH).

    Not thread-safe: use it from one thread.
*/
#ifndef REDIS_SERVER_H_INCLUDED
#define REDIS_SERVER_H_INCLUDED

#include <stdbool.h>

typedef struct _redis_server_t redis_server_t;

//  Why no server can be started here: NULL when a redis-server binary can
//  be found, else a sentence naming what is missing. Static; do not free.
const char *redis_server_missing (void);

//  Start a server on a free 127.0.0.1 port with a new directory under
//  parent_dir (NULL: $TMPDIR, else /tmp), and wait up to 20 s until it
//  answers. Returns NULL on failure, having printed why (and the server's
//  log) on stderr and removed what it made. Caller owns.
redis_server_t *redis_server_new (const char *parent_dir);

//  redis_server_new with fsync once a second (appendfsync everysec, as
//  Redis ships) instead of on every write: for benchmarks, where a disk's
//  fsync would be what is measured. A stop still loses nothing (SIGTERM
//  flushes), a crash may lose the last second.
redis_server_t *redis_server_new_everysec (const char *parent_dir);

//  Stop the server if it runs, remove its directory, free. NULL-safe;
//  nulls the caller's pointer.
void redis_server_destroy (redis_server_t **self_p);

//  TCP port the server listens on; the same across restarts.
int redis_server_port (redis_server_t *self);

//  Pid of the server process, 0 while it is stopped.
int redis_server_pid (redis_server_t *self);

//  The server's directory (its append-only file and redis.log). Owned by
//  self.
const char *redis_server_dir (redis_server_t *self);

//  Stop the server: SIGTERM (it flushes its append-only file), SIGKILL
//  after 5 s, then reap it. Its data stays for redis_server_start.
//  Returns 0, or -1 when it was not running.
int redis_server_stop (redis_server_t *self);

//  Start a stopped server again on the same port and data, waiting until
//  it answers (20 s at most). Returns 0 or -1 (printed on stderr).
int redis_server_start (redis_server_t *self);

//  True while the server process runs.
bool redis_server_running (redis_server_t *self);

#endif
