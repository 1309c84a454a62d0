/*  zk_server - a real ZooKeeper server for integration tests

    Starts Apache ZooKeeper's standalone server (ZooKeeperServerMain, from
    Debian's `zookeeper` package) as a child process on a free loopback
    port, with its configuration, data and log in a new temporary
    directory, and waits until it answers the `srvr` command. Tests stop,
    restart and pause it to play network and server failures, and destroy
    it at the end: the process is reaped and the directory removed.

    Nothing is left behind when a test fails: servers still running at
    exit() are killed and their directories removed by an atexit handler
    (only in the process that started them, so forked Check children do
    not kill their parent's server), and the server process gets SIGKILL
    from the kernel if the thread that started it dies (PR_SET_PDEATHSIG),
    so start servers from a thread that outlives them (the main thread).

    Environment: SQ_ZK_JAVA names the java binary (default "java" on the
    PATH); SQ_ZK_CLASSPATH replaces the default class path, which fits
    Debian's layout (/usr/share/java/zookeeper.jar, whose manifest names
    its dependencies, and slf4j-simple for the server's log).

    Not thread-safe: use it from one thread.
*/
#ifndef ZK_SERVER_H_INCLUDED
#define ZK_SERVER_H_INCLUDED

#include <stdbool.h>

typedef struct _zk_server_t zk_server_t;

//  Why no server can be started here: NULL when a java binary and the
//  ZooKeeper server jar can be found, else a sentence naming what is
//  missing. Static; do not free.
const char *zk_server_missing (void);

//  The exit status of suite, which cannot run for reason (from
//  zk_server_missing): 77, skipped, on a developer's machine; 99, a hard
//  error for the test driver, when every suite must run: SQUALL_REQUIRE_ALL
//  is 1, or it is unset and CI is true (SQUALL_REQUIRE_ALL=0 skips even
//  then). Prints the suite, the reason and the verdict on stderr.
int zk_server_skip (const char *suite, const char *reason);

//  Start a server on a free 127.0.0.1 port with a new directory under
//  parent_dir (NULL: $TMPDIR, else /tmp) and wait up to 30 s until it
//  answers. Returns NULL on failure, having printed why (and the server's
//  log) on stderr and removed what it made. Caller owns.
zk_server_t *zk_server_new (const char *parent_dir);

//  Stop the server if it runs, remove its directory, free. NULL-safe;
//  nulls the caller's pointer.
void zk_server_destroy (zk_server_t **self_p);

//  Connect string for clients, "127.0.0.1:PORT". Owned by self.
const char *zk_server_endpoint (zk_server_t *self);

//  TCP port the server listens on; the same across restarts.
int zk_server_port (zk_server_t *self);

//  The server's directory (zoo.cfg, data/, zookeeper.log). Owned by self.
const char *zk_server_dir (zk_server_t *self);

//  Stop the server: SIGTERM, SIGKILL after 5 s, then reap it. Its data
//  stays for zk_server_start. Returns 0, or -1 when it was not running.
int zk_server_stop (zk_server_t *self);

//  Start a stopped server again on the same port and data, waiting until
//  it answers (30 s at most). Returns 0 or -1 (printed on stderr).
int zk_server_start (zk_server_t *self);

//  Freeze the server process (SIGSTOP): connections stay open but nothing
//  answers, as in a network partition or a long GC pause. Returns 0 or -1.
int zk_server_pause (zk_server_t *self);

//  Thaw a paused server (SIGCONT). Returns 0 or -1.
int zk_server_resume (zk_server_t *self);

//  True while the server process runs (paused counts as running).
bool zk_server_running (zk_server_t *self);

#endif
