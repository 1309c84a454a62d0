/*  supervisor_workers - the worker processes of a supervisor's slots */
#include "supervisor_workers.h"
#include "sq_archive.h"
#include "sq_child.h"
#include "supervisor_failures.h"
#include "supervisor_packages.h"
#include "sq_curve.h"
#include "sq_coverage.h"
#include "sq_error.h"
#include "sq_slot_paths.h"
#include "sq_user.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define S_HEALTHY_MS 5000      //  a worker that lived this long starts its back-off afresh
#define S_BACKOFF_FIRST_MS 100 //  delay before the second restart in a row
#define S_BACKOFF_MAX_MS 30000 //  longest delay between restarts
#define S_STALE_WAIT_MS 2000   //  how long adopt waits for the workers it kills to go
#define S_FORK_RETRY_MS 1000   //  delay after fork or setup failed
#define S_MAX_TIMEOUT_MS 1000  //  longest sleep timeout asks for

//  Life of a slot's process.
typedef enum {
    S_IDLE = 0, //  no process
    S_RUNNING,  //  running as wanted (or about to be told to stop)
    S_STOPPING, //  SIGTERM sent; SIGKILL at kill_at
    S_KILLED    //  SIGKILL sent; waiting to reap it
} s_state_t;

//  One slot: what it should run and what it runs.
typedef struct {
    int port;             //  slot port
    char *want_name;      //  topology the slot should run, NULL for none
    char *want_id;        //  its topology id
    char *want_executors; //  its executors (sq_assignment_worker_executors_text)
    char *want_package;   //  its package file, NULL while not downloaded
    char *want_user;      //  its topology.submitter.user, or NULL
    int64_t want_max_mb;  //  its topology.worker.max.heap.size.mb: resident memory allowed
    char *refused;        //  why the wanted worker cannot start (logged once), or NULL
    s_state_t state;      //  the process's life
    pid_t pid;            //  process id, 0 when idle
    char *name;           //  topology the process runs
    char *id;             //  its topology id
    char *executors;      //  its executors
    int64_t launched;     //  monotonic ms of the start
    int64_t kill_at;      //  monotonic ms of the SIGKILL, when stopping
    int64_t next_start;   //  monotonic ms before which no start happens
    int failures;         //  exits in a row that came soon after a start
    bool timed_out;       //  killed for a missing heartbeat
    bool adopted;         //  started by an earlier run: not our child, watched in /proc
    char *directory;      //  workers/<port>
    char *pid_path;       //  workers/<port>/pid
    char *slot_path;      //  workers/<port>/slot: what the process runs
    char *heartbeat_path; //  workers/<port>/heartbeat
    char *log_path;       //  the log of the last worker started or refused
    char *failure_path;   //  workers/<port>/failure.json: why the worker stopped, if it says
    char *tmp_path;       //  workers/<port>/tmp: the worker's $TMPDIR, emptied when it ends
    char *kill_reason;    //  why we killed the running worker, or NULL
} s_slot_t;

struct _supervisor_workers_t {
    const sq_config_t *config; //  the supervisor's config (borrowed)
    char *supervisor_id;       //  our id, passed to workers and in logs
    char *command;             //  the worker executable
    char *config_path;         //  --config of workers
    s_slot_t *slots;           //  one per slot port
    size_t slot_count;         //  number of slots
    int64_t timeout_ms;        //  supervisor.worker.timeout.secs
    int64_t shutdown_ms;       //  supervisor.worker.shutdown.sleep.secs
    int64_t monitor_ms;        //  supervisor.monitor.frequency.secs
    int64_t next_monitor;      //  monotonic ms of the next heartbeat check
    bool as_user;              //  supervisor.run.worker.as.user: workers run as their submitter
    supervisor_failures_t *failures; //  the recent failures, for heartbeats to nimbus
};

static int64_t
s_seconds_ms (const sq_config_t *config, const char *key, int64_t fallback, int64_t minimum)
{
    int64_t secs = sq_config_int (config, key, fallback);
    if (secs < minimum)
        secs = minimum;
    if (secs > 86400)
        secs = 86400;
    return secs * 1000;
}

static void
s_slot_forget_process (s_slot_t *slot)
{
    zstr_free (&slot->name);
    zstr_free (&slot->id);
    zstr_free (&slot->executors);
    slot->pid = 0;
    slot->state = S_IDLE;
    slot->timed_out = false;
    slot->adopted = false;
    zstr_free (&slot->kill_reason);
}

static void
s_slot_forget_want (s_slot_t *slot)
{
    zstr_free (&slot->want_name);
    zstr_free (&slot->want_id);
    zstr_free (&slot->want_user);
    zstr_free (&slot->refused);
    zstr_free (&slot->want_package);
    zstr_free (&slot->want_executors);
}

supervisor_workers_t *
supervisor_workers_new (const sq_config_t *config, const char *supervisor_id, const int *ports,
                        size_t port_count, const char *command, const char *config_path)
{
    assert (config);
    assert (supervisor_id);
    assert (ports || port_count == 0);
    assert (command);
    assert (config_path);
    supervisor_workers_t *self = calloc (1, sizeof (supervisor_workers_t));
    if (!self)
        return NULL;
    self->config = config;
    self->supervisor_id = strdup (supervisor_id);
    self->command = strdup (command);
    self->config_path = strdup (config_path);
    self->slots = calloc (port_count ? port_count : 1, sizeof (s_slot_t));
    self->slot_count = port_count;
    self->timeout_ms = s_seconds_ms (config, "supervisor.worker.timeout.secs", 5, 1);
    self->shutdown_ms = s_seconds_ms (config, "supervisor.worker.shutdown.sleep.secs", 3, 0);
    self->monitor_ms = s_seconds_ms (config, "supervisor.monitor.frequency.secs", 1, 1);
    self->as_user = sq_config_bool (config, "supervisor.run.worker.as.user", false);
    if (self->as_user && geteuid () != 0)
        zsys_warning ("supervisor=%s supervisor.run.worker.as.user is set but the supervisor "
                      "is not root: it cannot switch users, and will start no worker",
                      supervisor_id);
    else if (!self->as_user && geteuid () == 0)
        zsys_warning ("supervisor=%s runs as root without supervisor.run.worker.as.user: "
                      "workers will run as root, and so will every package submitted to the "
                      "cluster; set supervisor.run.worker.as.user or run the supervisor as "
                      "an unprivileged user",
                      supervisor_id);
    self->failures = supervisor_failures_new (
        supervisor_id, sq_config_string (config, "storm.local.hostname", "127.0.0.1"));
    bool ok =
        self->supervisor_id && self->command && self->config_path && self->slots && self->failures;
    for (size_t i = 0; ok && i < port_count; i++) {
        s_slot_t *slot = &self->slots[i];
        slot->port = ports[i];
        slot->directory = sq_slot_paths_worker_dir (config, ports[i]);
        slot->pid_path = sq_slot_paths_worker_file (config, ports[i], "pid");
        slot->slot_path = sq_slot_paths_worker_file (config, ports[i], "slot");
        slot->heartbeat_path = sq_slot_paths_worker_file (config, ports[i], "heartbeat");
        slot->log_path = sq_slot_paths_worker_file (config, ports[i], "worker.log");
        slot->failure_path = sq_slot_paths_worker_file (config, ports[i], "failure.json");
        slot->tmp_path = sq_slot_paths_worker_file (config, ports[i], "tmp");
        ok = slot->directory && slot->pid_path && slot->slot_path && slot->heartbeat_path &&
             slot->log_path && slot->failure_path && slot->tmp_path;
    }
    if (!ok)
        supervisor_workers_destroy (&self);
    return self;
}

void
supervisor_workers_destroy (supervisor_workers_t **self_p)
{
    assert (self_p);
    supervisor_workers_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->slots && i < self->slot_count; i++) {
        s_slot_t *slot = &self->slots[i];
        s_slot_forget_want (slot);
        s_slot_forget_process (slot);
        free (slot->directory);
        free (slot->pid_path);
        free (slot->slot_path);
        free (slot->heartbeat_path);
        free (slot->log_path);
        free (slot->failure_path);
        free (slot->tmp_path);
    }
    supervisor_failures_destroy (&self->failures);
    free (self->slots);
    free (self->supervisor_id);
    free (self->command);
    free (self->config_path);
    free (self);
    *self_p = NULL;
}

static s_slot_t *
s_slot_of_port (supervisor_workers_t *self, int port)
{
    for (size_t i = 0; i < self->slot_count; i++)
        if (self->slots[i].port == port)
            return &self->slots[i];
    return NULL;
}

//  Sends signal to the worker's process group, or to the process alone
//  when the group is gone (it may not have been made yet).
static void
s_signal (pid_t pid, int signal)
{
    if (pid <= 0)
        return;
    if (kill (-pid, signal) != 0)
        kill (pid, signal);
}

//  ---------------------------------------------------------------------
//  Stale workers

//  True when process pid's command line has "--supervisor <id>" and
//  "--port <port>": one of our workers from an earlier life.
static bool
s_is_our_worker (pid_t pid, const char *supervisor_id, int port)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
    FILE *file = fopen (path, "rbe");
    if (!file)
        return false;
    char buffer[8192];
    size_t size = fread (buffer, 1, sizeof buffer - 1, file);
    fclose (file);
    buffer[size] = 0;
    char port_text[16];
    snprintf (port_text, sizeof port_text, "%d", port);
    bool supervisor_matches = false, port_matches = false;
    const char *previous = NULL;
    for (size_t at = 0; at < size; at += strlen (buffer + at) + 1) {
        const char *argument = buffer + at;
        if (previous && strcmp (previous, "--supervisor") == 0)
            supervisor_matches |= strcmp (argument, supervisor_id) == 0;
        if (previous && strcmp (previous, "--port") == 0)
            port_matches |= strcmp (argument, port_text) == 0;
        previous = argument;
    }
    return supervisor_matches && port_matches;
}

//  True while pid exists and is not a zombie.
static bool
s_process_alive (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "re");
    if (!file)
        return false;
    char buffer[512];
    size_t size = fread (buffer, 1, sizeof buffer - 1, file);
    fclose (file);
    buffer[size] = 0;
    //  "pid (comm) S ...": the state follows the last ')'.
    const char *close = strrchr (buffer, ')');
    return !(close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X'));
}

//  Reads what the slot file says the slot's process runs into the
//  slot (name, id, executors: one a line). Returns 0, or -1 when the file
//  is missing or incomplete.
static int
s_read_slot_file (s_slot_t *slot)
{
    FILE *file = fopen (slot->slot_path, "re");
    if (!file)
        return -1;
    char *lines[3] = {NULL, NULL, NULL};
    size_t sizes[3] = {0, 0, 0};
    int complete = 0;
    for (int i = 0; i < 3; i++) {
        ssize_t length = getline (&lines[i], &sizes[i], file);
        if (length > 1 && lines[i][length - 1] == '\n') {
            lines[i][length - 1] = 0;
            complete++;
        }
    }
    fclose (file);
    if (complete == 3) {
        slot->name = lines[0];
        slot->id = lines[1];
        slot->executors = lines[2];
        return 0;
    }
    for (int i = 0; i < 3; i++)
        free (lines[i]);
    return -1;
}

int
supervisor_workers_adopt (supervisor_workers_t *self)
{
    assert (self);
    pid_t *killed = calloc (self->slot_count ? self->slot_count : 1, sizeof (pid_t));
    if (!killed)
        return 0;
    int count = 0, adopted = 0;
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *slot = &self->slots[i];
        FILE *file = fopen (slot->pid_path, "re");
        if (!file)
            continue;
        long pid = 0;
        int fields = fscanf (file, "%ld", &pid);
        fclose (file);
        if (fields != 1 || pid <= 1 || pid > INT32_MAX || (pid_t) pid == getpid () ||
            !s_is_our_worker ((pid_t) pid, self->supervisor_id, slot->port)) {
            unlink (slot->pid_path);
            continue;
        }
        if (s_read_slot_file (slot) == 0) {
            slot->pid = (pid_t) pid;
            slot->state = S_RUNNING;
            slot->adopted = true;
            slot->launched = zclock_mono ();
            zsys_info ("supervisor=%s port=%d adopting worker pid=%ld of an earlier run "
                       "topology=%s id=%s executors=%s",
                       self->supervisor_id, slot->port, pid, slot->name, slot->id, slot->executors);
            adopted++;
            continue;
        }
        zsys_warning ("supervisor=%s port=%d killing worker pid=%ld of an earlier run: %s "
                      "does not say what it runs",
                      self->supervisor_id, slot->port, pid, slot->slot_path);
        s_signal ((pid_t) pid, SIGKILL);
        killed[count++] = (pid_t) pid;
        unlink (slot->pid_path);
    }
    int64_t deadline = zclock_mono () + S_STALE_WAIT_MS;
    for (int i = 0; i < count; i++)
        while (s_process_alive (killed[i]) && zclock_mono () < deadline)
            zclock_sleep (10);
    free (killed);
    return adopted;
}

//  ---------------------------------------------------------------------
//  Wants

static bool
s_same (const char *a, const char *b)
{
    return a && b ? strcmp (a, b) == 0 : a == b;
}

void
supervisor_workers_want (supervisor_workers_t *self, int port, const supervisor_slot_t *want,
                         const char *package)
{
    assert (self);
    s_slot_t *slot = s_slot_of_port (self, port);
    assert (slot);
    if (!want) {
        s_slot_forget_want (slot);
        return;
    }
    if (s_same (slot->want_name, want->topology_name) &&
        s_same (slot->want_id, want->topology_id) &&
        s_same (slot->want_executors, want->executors) && s_same (slot->want_package, package) &&
        s_same (slot->want_user, want->submitter) && slot->want_max_mb == want->max_heap_mb)
        return;
    //  Back-off is for the worker that kept failing: another topology's
    //  (or another submission's) starts at once, however long the
    //  pending restart had to wait.
    if (!s_same (slot->want_id, want->topology_id)) {
        slot->failures = 0;
        slot->next_start = 0;
    }
    s_slot_forget_want (slot);
    slot->want_name = strdup (want->topology_name);
    slot->want_id = strdup (want->topology_id);
    slot->want_executors = strdup (want->executors);
    slot->want_package = package ? strdup (package) : NULL;
    slot->want_user = want->submitter ? strdup (want->submitter) : NULL;
    slot->want_max_mb = want->max_heap_mb;
    if (!slot->want_name || !slot->want_id || !slot->want_executors ||
        (package && !slot->want_package) || (want->submitter && !slot->want_user)) {
        zsys_error ("supervisor=%s port=%d out of memory", self->supervisor_id, port);
        s_slot_forget_want (slot);
    }
}

//  True when the slot's process runs what the slot should run.
static bool
s_runs_wanted (const s_slot_t *slot)
{
    return slot->want_name && s_same (slot->name, slot->want_name) &&
           s_same (slot->id, slot->want_id) && s_same (slot->executors, slot->want_executors);
}

//  ---------------------------------------------------------------------
//  Starting

//  Writes text to path through a temporary file renamed into place, so
//  that a reader never sees half of it.
static void
s_write_file (supervisor_workers_t *self, s_slot_t *slot, const char *path, const char *text)
{
    if (sq_slot_paths_replace_private (path, text) != 0)
        zsys_warning ("supervisor=%s port=%d cannot write %s: %s", self->supervisor_id, slot->port,
                      path, strerror (errno));
}

//  Records the started worker for a later run of the supervisor (adopt):
//  what it runs in the slot file, then its pid in the pid file.
static void
s_record_worker (supervisor_workers_t *self, s_slot_t *slot)
{
    char *what = zsys_sprintf ("%s\n%s\n%s\n", slot->name, slot->id, slot->executors);
    char *pid = zsys_sprintf ("%d\n", (int) slot->pid);
    if (what && pid) {
        s_write_file (self, slot, slot->slot_path, what);
        s_write_file (self, slot, slot->pid_path, pid);
    }
    free (what);
    free (pid);
}

//  In the child, between fork and exec: only async-signal-safe calls (but
//  for coverage builds' counters: libgcov writes files with malloc and
//  stdio, which glibc makes usable again in a forked child).
static void
s_child (int null_fd, int log_fd, const char *command, char **argv, char **env, const char *failure,
         const sq_user_t *user)
{
    setpgid (0, 0);
    if (user && sq_user_become (user) != 0) {
        const char *why = "supervisor: cannot switch the worker to its submitter's user\n";
        ssize_t ignored = write (log_fd, why, strlen (why));
        (void) ignored;
        _exit (126);
    }
    sq_child_reset_signals ();
    if (dup2 (null_fd, 0) < 0 || dup2 (log_fd, 1) < 0 || dup2 (log_fd, 2) < 0)
        _exit (127);
#ifdef SYS_close_range
    if (syscall (SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
        long limit = sysconf (_SC_OPEN_MAX);
        for (long fd = 3; fd < (limit > 0 && limit < 65536 ? limit : 65536); fd++)
            close ((int) fd);
    }
    SQ_COVERAGE_FLUSH ();
    execve (command, argv, env);
    ssize_t ignored = write (2, failure, strlen (failure));
    (void) ignored;
    SQ_COVERAGE_FLUSH ();
    _exit (127);
}

//  Point slot->log_path at the log of the wanted worker (one per topology
//  and port under storm.log.dir, else the slot's worker.log) and make its
//  directory when it is missing (an existing one keeps its mode: the
//  slot's may have been opened to a worker run as its submitter). Returns
//  0, or -1 with the error set.
static int
s_slot_log_path (supervisor_workers_t *self, s_slot_t *slot)
{
    char *path = sq_slot_paths_worker_log (self->config, slot->port, slot->want_id);
    if (!path)
        return sq_error_set ("out of memory");
    free (slot->log_path);
    slot->log_path = path;
    char *directory = strdup (path);
    char *slash = directory ? strrchr (directory, '/') : NULL;
    if (slash)
        *slash = 0;
    struct stat info;
    int rc = !directory                              ? sq_error_set ("out of memory")
             : slash && stat (directory, &info) != 0 ? sq_slot_paths_make_dirs (directory)
                                                     : 0;
    free (directory);
    return rc;
}

//  The wanted worker of the slot cannot start, because why: say so once,
//  in the supervisor's log and in the worker's log.
static void
s_refuse (supervisor_workers_t *self, s_slot_t *slot, const char *why)
{
    if (s_same (slot->refused, why))
        return;
    zstr_free (&slot->refused);
    slot->refused = strdup (why);
    zsys_error ("supervisor=%s port=%d refuses to start a worker for topology=%s id=%s: %s",
                self->supervisor_id, slot->port, slot->want_name, slot->want_id, why);
    if (s_slot_log_path (self, slot))
        return;
    int fd = open (slot->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        dprintf (fd, "---- supervisor=%s refuses to start a worker for topology=%s id=%s: %s\n",
                 self->supervisor_id, slot->want_name, slot->want_id, why);
        close (fd);
    }
}

//  Copies the file at from to a new file at to (replacing it) that only
//  user may read. 0, or -1 with the error set.
static int
s_copy_for (const char *from, const char *to, const sq_user_t *user)
{
    int in = open (from, O_RDONLY | O_CLOEXEC);
    unlink (to);
    int out = open (to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    char buffer[65536];
    ssize_t got = in >= 0 && out >= 0 ? 0 : -1;
    while (got >= 0 && (got = read (in, buffer, sizeof buffer)) > 0)
        if (write (out, buffer, (size_t) got) != got)
            got = -1;
    int rc = got == 0 && fchown (out, sq_user_uid (user), sq_user_gid (user)) == 0 ? 0 : -1;
    if (rc)
        sq_error_set ("cannot copy %s to %s for user %s: %s", from, to, sq_user_name (user),
                      strerror (errno));
    if (in >= 0)
        close (in);
    if (out >= 0)
        close (out);
    return rc;
}

//  Gives the tree under the directory fd (taken) to uid:gid, never
//  following a link. 0 or -1.
static int
s_chown_tree (int fd, uid_t uid, gid_t gid)
{
    DIR *dir = fdopendir (fd);
    if (!dir) {
        close (fd);
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (dir))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        struct stat info;
        if (fstatat (fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0)
            rc = -1;
        else if (S_ISDIR (info.st_mode))
            rc = s_chown_tree (
                openat (fd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), uid,
                gid);
        if (rc == 0 && fchownat (fd, entry->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
            rc = -1;
    }
    closedir (dir);
    return rc;
}

//  Unpacks the archive at from into a new directory at to (replacing it)
//  that only user may use: the worker's own copy of a package that is an
//  archive (doc/packages.md). Everything is given to user only once it is
//  all written. 0, or -1 with the error set.
static int
s_unpack_for (const char *from, const char *to, const sq_user_t *user)
{
    if (sq_archive_remove_tree (to) || mkdir (to, 0700))
        return sq_error_set ("cannot make '%s': %s", to, strerror (errno));
    int rc = sq_archive_extract (from, to, NULL);
    int fd = rc == 0 ? open (to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (rc == 0 && (fd < 0 || s_chown_tree (fd, sq_user_uid (user), sq_user_gid (user)) ||
                    chown (to, sq_user_uid (user), sq_user_gid (user))))
        rc = sq_error_set ("cannot give '%s' to user %s: %s", to, sq_user_name (user),
                           strerror (errno));
    if (rc)
        sq_archive_remove_tree (to);
    return rc;
}

//  Let other users pass through (not list) the worker's directory and the
//  three above it (workers/, supervisor/, storm.local.dir), which Squall
//  makes 0700: a worker running as its submitter reads its files there.
//  0, or -1 with the error set.
static int
s_let_workers_reach (const char *directory)
{
    char *path = strdup (directory);
    int rc = path ? 0 : sq_error_set ("out of memory");
    for (int level = 0; rc == 0 && level < 4; level++) {
        struct stat info;
        if (stat (path, &info) != 0 || chmod (path, (info.st_mode & 07777) | 0011) != 0)
            rc = sq_error_set ("cannot let workers reach '%s': %s", path, strerror (errno));
        char *slash = strrchr (path, '/');
        if (!slash || slash == path)
            break;
        *slash = 0;
    }
    free (path);
    return rc;
}

//  With supervisor.run.worker.as.user: the account the slot's worker runs
//  as, its package and config copied into the slot's directory for it
//  (the copies' paths in *package_p and *config_p, caller frees), and its
//  heartbeat file made its own. NULL, the slot refused, when the topology
//  names no account the supervisor may switch to.
static sq_user_t *
s_prepare_user (supervisor_workers_t *self, s_slot_t *slot, char **package_p, char **config_p)
{
    char *why = NULL;
    sq_user_t *user = NULL;
    if (geteuid () != 0)
        why = zsys_sprintf ("supervisor.run.worker.as.user is set but the supervisor is not "
                            "root, so it cannot switch users");
    else if (!slot->want_user || !*slot->want_user)
        why = zsys_sprintf ("the topology's config has no topology.submitter.user to run it as "
                            "(supervisor.run.worker.as.user is set)");
    else if (!(user = sq_user_lookup (slot->want_user)))
        why = zsys_sprintf ("topology.submitter.user '%s' is not a user of this machine",
                            slot->want_user);
    else if (sq_user_uid (user) == 0)
        why = zsys_sprintf ("topology.submitter.user '%s' is root: no worker runs as root "
                            "under supervisor.run.worker.as.user",
                            slot->want_user);
    if (!why && s_let_workers_reach (slot->directory))
        why = zsys_sprintf ("%s", sq_last_error ());
    //  A package that was an archive: the worker's own unpacked copy.
    char *package_file = why ? NULL : supervisor_packages_file (slot->want_package);
    bool archive = package_file && strcmp (package_file, slot->want_package) != 0;
    *package_p = why ? NULL
                     : sq_slot_paths_worker_file (self->config, slot->port,
                                                  archive ? "package" : "package.so");
    *config_p = why ? NULL : sq_slot_paths_worker_file (self->config, slot->port, "config.json");
    if (!why && (!*package_p || !*config_p))
        why = zsys_sprintf ("out of memory");
    if (!why && (!package_file ||
                 (archive ? s_unpack_for (package_file, *package_p, user)
                          : s_copy_for (package_file, *package_p, user)) ||
                 s_copy_for (self->config_path, *config_p, user)))
        why = zsys_sprintf ("%s", package_file ? sq_last_error () : "out of memory");
    free (package_file);
    //  The worker rewrites its heartbeat in place: the file is its own,
    //  the directory stays the supervisor's (a directory the worker owned
    //  would let it swap the supervisor's files for links).
    int heartbeat = why ? -1
                        : open (slot->heartbeat_path,
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (!why && (heartbeat < 0 || fchown (heartbeat, sq_user_uid (user), sq_user_gid (user))))
        why = zsys_sprintf ("cannot make %s: %s", slot->heartbeat_path, strerror (errno));
    if (heartbeat >= 0)
        close (heartbeat);
    if (why) {
        s_refuse (self, slot, why);
        zstr_free (&why);
        zstr_free (package_p);
        zstr_free (config_p);
        sq_user_destroy (&user);
    }
    return user;
}

//  Give the worker its topology's key pair: <worker dir>/topology.key_secret
//  (0600, owned by user when the worker runs as one) from the copy beside
//  the package, or no file when the package has none (an unsecured
//  cluster). 0 or -1 with the error set.
static int
s_give_key (s_slot_t *slot, const sq_user_t *user)
{
    char *source = supervisor_packages_key_path (slot->want_package);
    char *target = zsys_sprintf ("%s/topology.key_secret", slot->directory);
    int rc = source && target ? 0 : sq_error_set ("out of memory");
    if (rc == 0 && access (source, F_OK) == 0) {
        zcert_t *cert = sq_curve_load_cert (source, true);
        rc = cert ? sq_curve_save_secret (cert, target) : -1;
        zcert_destroy (&cert);
        if (rc == 0 && user && chown (target, sq_user_uid (user), sq_user_gid (user)))
            rc = sq_error_set ("cannot give '%s' to user %s: %s", target, sq_user_name (user),
                               strerror (errno));
    } else if (rc == 0 && unlink (target) != 0 && errno != ENOENT)
        rc = sq_error_set ("cannot remove '%s': %s", target, strerror (errno));
    free (source);
    free (target);
    return rc;
}

//  Make the slot's tmp directory anew and empty (what an earlier worker
//  left there goes), 0700 and owned by user when the worker runs as one.
//  0, or -1 with the error set.
static int
s_fresh_tmp (s_slot_t *slot, const sq_user_t *user)
{
    if (sq_archive_remove_tree (slot->tmp_path) || mkdir (slot->tmp_path, 0700))
        return sq_error_set ("cannot make '%s': %s", slot->tmp_path, strerror (errno));
    if (user && chown (slot->tmp_path, sq_user_uid (user), sq_user_gid (user)))
        return sq_error_set ("cannot give '%s' to user %s: %s", slot->tmp_path, sq_user_name (user),
                             strerror (errno));
    return 0;
}

//  The supervisor's environment with TMPDIR=<tmp_path> in place of its
//  own: what the worker and its multilang subprocesses leave in $TMPDIR
//  goes with the slot's tmp directory, also when the worker is killed.
//  The strings are environ's but the first; NULL when out of memory.
//  Free with s_worker_env_destroy.
static char **
s_worker_env (const s_slot_t *slot)
{
    size_t count = 0;
    while (environ[count])
        count++;
    char **env = calloc (count + 2, sizeof (char *));
    char *tmpdir = zsys_sprintf ("TMPDIR=%s", slot->tmp_path);
    if (!env || !tmpdir) {
        free (env);
        zstr_free (&tmpdir);
        return NULL;
    }
    size_t kept = 0;
    env[kept++] = tmpdir;
    for (size_t i = 0; i < count; i++)
        if (strncmp (environ[i], "TMPDIR=", 7) != 0)
            env[kept++] = environ[i];
    return env;
}

static void
s_worker_env_destroy (char ***env_p)
{
    if (*env_p) {
        zstr_free (&(*env_p)[0]);
        free (*env_p);
        *env_p = NULL;
    }
}

//  Starts the slot's wanted worker. Returns 0 or -1 (logged; retried later).
static int
s_start (supervisor_workers_t *self, s_slot_t *slot)
{
    if (sq_slot_paths_make_dirs (slot->directory)) {
        zsys_error ("supervisor=%s port=%d cannot start worker: %s", self->supervisor_id,
                    slot->port, sq_last_error ());
        return -1;
    }
    //  A heartbeat or failure of the previous worker must not count for
    //  this one.
    unlink (slot->heartbeat_path);
    unlink (slot->failure_path);
    char *package = NULL, *config = NULL;
    sq_user_t *user = self->as_user ? s_prepare_user (self, slot, &package, &config) : NULL;
    if (self->as_user && !user)
        return -1;
    if (s_give_key (slot, user) || s_fresh_tmp (slot, user)) {
        zsys_error ("supervisor=%s port=%d cannot start worker: %s", self->supervisor_id,
                    slot->port, sq_last_error ());
        zstr_free (&package);
        zstr_free (&config);
        sq_user_destroy (&user);
        return -1;
    }
    zstr_free (&slot->refused);
    int log_fd =
        s_slot_log_path (self, slot)
            ? -1
            : open (slot->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    char port_text[16];
    snprintf (port_text, sizeof port_text, "%d", slot->port);
    char *argv[] = {self->command,
                    "--config",
                    config ? config : self->config_path,
                    "--topology",
                    slot->want_name,
                    "--id",
                    slot->want_id,
                    "--supervisor",
                    self->supervisor_id,
                    "--port",
                    port_text,
                    "--package",
                    package ? package : slot->want_package,
                    NULL};
    char *failure =
        zsys_sprintf ("supervisor: cannot execute worker command '%s'\n", self->command);
    char **env = s_worker_env (slot);
    pid_t pid = -1;
    if (!env)
        zsys_error ("supervisor=%s port=%d cannot start worker: out of memory", self->supervisor_id,
                    slot->port);
    else if (log_fd < 0 || null_fd < 0 || !failure)
        zsys_error ("supervisor=%s port=%d cannot start worker: cannot open %s: %s",
                    self->supervisor_id, slot->port, log_fd < 0 ? slot->log_path : "/dev/null",
                    strerror (errno));
    else {
        char stamp[64];
        time_t now = time (NULL);
        struct tm local;
        strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", localtime_r (&now, &local));
        dprintf (log_fd,
                 "---- %s supervisor=%s starting worker topology=%s id=%s executors=%s "
                 "port=%d\n",
                 stamp, self->supervisor_id, slot->want_name, slot->want_id, slot->want_executors,
                 slot->port);
        pid = fork ();
        if (pid == 0) {
            SQ_COVERAGE_FORKED ();
            s_child (null_fd, log_fd, self->command, argv, env, failure, user);
        }
        if (pid < 0)
            zsys_error ("supervisor=%s port=%d cannot fork a worker: %s", self->supervisor_id,
                        slot->port, strerror (errno));
    }
    if (log_fd >= 0)
        close (log_fd);
    if (null_fd >= 0)
        close (null_fd);
    free (failure);
    s_worker_env_destroy (&env);
    zstr_free (&package);
    zstr_free (&config);
    bool as_user = user != NULL;
    uid_t uid = user ? sq_user_uid (user) : geteuid ();
    sq_user_destroy (&user);
    if (pid < 0)
        return -1;
    //  Also here, so the group exists before we signal it; fails harmlessly
    //  once the child has exec'd, after making the group itself.
    setpgid (pid, pid);
    slot->pid = pid;
    slot->state = S_RUNNING;
    slot->name = strdup (slot->want_name);
    slot->id = strdup (slot->want_id);
    slot->executors = strdup (slot->want_executors);
    slot->launched = zclock_mono ();
    slot->timed_out = false;
    s_record_worker (self, slot);
    zsys_info ("supervisor=%s port=%d started worker pid=%d topology=%s id=%s executors=%s "
               "uid=%u%s",
               self->supervisor_id, slot->port, (int) pid, slot->want_name, slot->want_id,
               slot->want_executors, (unsigned) uid, as_user ? " (topology.submitter.user)" : "");
    return 0;
}

//  ---------------------------------------------------------------------
//  Reaping

//  Keep the failure record of the slot's worker, which ended because of
//  cause, to be restarted in delay ms.
static void
s_note_failure (supervisor_workers_t *self, s_slot_t *slot, const char *cause, int64_t delay)
{
    supervisor_failure_t failure = {.topology = slot->name,
                                    .topology_id = slot->id,
                                    .port = slot->port,
                                    .cause = slot->kill_reason ? slot->kill_reason : cause,
                                    .failure_path = slot->failure_path,
                                    .log_path = slot->log_path,
                                    .restarts = slot->failures,
                                    .next_restart_ms = delay};
    if (slot->name && slot->id &&
        supervisor_failures_add (self->failures, &failure, zclock_mono ()))
        zsys_error ("supervisor=%s port=%d out of memory recording a worker failure",
                    self->supervisor_id, slot->port);
}

//  True when the end of the slot's worker (how: its exit status, as text)
//  is a failure to report: a signal, a kill of ours, or an exit status but
//  0 (a clean stop: its topology went) and 1 without a failure file (the
//  worker asks to be restarted: its slot's executors changed, or its
//  ZooKeeper session could not be renewed, as in a rebalance).
static bool
s_is_failure (const s_slot_t *slot, const char *how)
{
    if (slot->kill_reason)
        return true;
    if (strcmp (how, "exit-0") == 0)
        return false;
    if (strcmp (how, "exit-1") == 0)
        return access (slot->failure_path, F_OK) == 0;
    return true;
}

//  The slot's process is gone (how: its exit status, as text; cause: the
//  same for people): restart it when it should still run, backing off
//  when it keeps failing soon after its start. A worker that ends without
//  being asked to, in a failure (s_is_failure), leaves a failure record.
//  Returns true when it was not asked to stop.
static bool
s_slot_exited (supervisor_workers_t *self, s_slot_t *slot, const char *how, const char *cause)
{
    int64_t now = zclock_mono ();
    int64_t lived = now - slot->launched;
    bool unexpected = slot->state == S_RUNNING || slot->timed_out;
    unlink (slot->pid_path);
    if (sq_archive_remove_tree (slot->tmp_path))
        zsys_warning ("supervisor=%s port=%d cannot empty %s after its worker: %s",
                      self->supervisor_id, slot->port, slot->tmp_path, strerror (errno));
    if (unexpected) {
        slot->failures = lived >= S_HEALTHY_MS ? 1 : slot->failures + 1;
        int64_t delay = 0;
        if (slot->failures > 1) {
            delay = S_BACKOFF_FIRST_MS;
            for (int i = 2; i < slot->failures && delay < S_BACKOFF_MAX_MS; i++)
                delay *= 2;
            if (delay > S_BACKOFF_MAX_MS)
                delay = S_BACKOFF_MAX_MS;
        }
        slot->next_start = now + delay;
        if (s_is_failure (slot, how))
            s_note_failure (self, slot, cause, s_runs_wanted (slot) ? delay : -1);
        if (s_runs_wanted (slot))
            zsys_warning ("supervisor=%s port=%d worker exited status=%s pid=%d "
                          "topology=%s lived-ms=%lld restarting in-ms=%lld",
                          self->supervisor_id, slot->port, how, (int) slot->pid, slot->name,
                          (long long) lived, (long long) delay);
        else
            zsys_warning ("supervisor=%s port=%d worker exited status=%s pid=%d "
                          "topology=%s lived-ms=%lld",
                          self->supervisor_id, slot->port, how, (int) slot->pid, slot->name,
                          (long long) lived);
    } else {
        zsys_info ("supervisor=%s port=%d worker stopped status=%s pid=%d topology=%s",
                   self->supervisor_id, slot->port, how, (int) slot->pid, slot->name);
        slot->next_start = now;
    }
    s_slot_forget_process (slot);
    return unexpected;
}

//  The usual name of a signal a worker may die of ("SIGSEGV"), or "?".
static const char *
s_signal_name (int signal)
{
    switch (signal) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGKILL:
        return "SIGKILL";
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGPIPE:
        return "SIGPIPE";
    case SIGXCPU:
        return "SIGXCPU";
    default:
        return "?";
    }
}

int
supervisor_workers_reap (supervisor_workers_t *self)
{
    assert (self);
    int unexpected = 0;
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
        s_slot_t *slot = NULL;
        for (size_t i = 0; i < self->slot_count && !slot; i++)
            if (self->slots[i].pid == pid && !self->slots[i].adopted)
                slot = &self->slots[i];
        if (!slot) {
            zsys_debug ("supervisor=%s reaped child pid=%d that is not a worker",
                        self->supervisor_id, (int) pid);
            continue;
        }
        char how[32], cause[64];
        if (WIFEXITED (status)) {
            snprintf (how, sizeof how, "exit-%d", WEXITSTATUS (status));
            snprintf (cause, sizeof cause, "exit status %d", WEXITSTATUS (status));
        } else if (WIFSIGNALED (status)) {
            snprintf (how, sizeof how, "signal-%d", WTERMSIG (status));
            snprintf (cause, sizeof cause, "killed by signal %d (%s)", WTERMSIG (status),
                      s_signal_name (WTERMSIG (status)));
        } else {
            snprintf (how, sizeof how, "0x%x", (unsigned) status);
            snprintf (cause, sizeof cause, "wait status 0x%x", (unsigned) status);
        }
        unexpected += s_slot_exited (self, slot, how, cause);
    }
    //  Adopted workers are not our children: their end shows in /proc only
    //  (a process of the same pid started since is not ours: its command
    //  line differs).
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *slot = &self->slots[i];
        if (slot->adopted && slot->state != S_IDLE &&
            !(s_process_alive (slot->pid) &&
              s_is_our_worker (slot->pid, self->supervisor_id, slot->port)))
            unexpected += s_slot_exited (self, slot, "unknown", "ended (status unknown: adopted)");
    }
    return unexpected;
}

//  ---------------------------------------------------------------------
//  Checking

//  True when the worker's heartbeat is older than the timeout, counting
//  from its start.
static bool
s_heartbeat_late (supervisor_workers_t *self, s_slot_t *slot, int64_t now, int64_t *age_p)
{
    *age_p = now - slot->launched;
    if (*age_p <= self->timeout_ms)
        return false;
    struct stat info;
    if (stat (slot->heartbeat_path, &info) != 0)
        return true;
    struct timespec wall;
    clock_gettime (CLOCK_REALTIME, &wall);
    int64_t age = (int64_t) (wall.tv_sec - info.st_mtim.tv_sec) * 1000 +
                  (wall.tv_nsec - info.st_mtim.tv_nsec) / 1000000;
    if (age < *age_p)
        *age_p = age;
    return *age_p > self->timeout_ms;
}

//  A sanitizer build of the worker holds several times the memory of the
//  same code built for use (shadow memory, freed blocks held back): the
//  limit a topology sets is for the latter, so such a build stretches it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define S_MEMORY_FACTOR 8
#else
#define S_MEMORY_FACTOR 1
#endif

//  True when the worker's resident memory, in *resident_mb_p, is over
//  what its topology allows (topology.worker.max.heap.size.mb).
static bool
s_over_memory (const s_slot_t *slot, int64_t *resident_mb_p)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/statm", (int) slot->pid);
    FILE *file = fopen (path, "re");
    long long size = 0, resident = 0;
    bool read = file && fscanf (file, "%lld %lld", &size, &resident) == 2;
    if (file)
        fclose (file);
    *resident_mb_p = read ? resident * (sysconf (_SC_PAGESIZE) / 1024) / 1024 : 0;
    return read && slot->want_max_mb > 0 && *resident_mb_p > slot->want_max_mb * S_MEMORY_FACTOR;
}

//  Kill the slot's worker for using resident_mb of memory, over its
//  topology's limit; say so in the supervisor's log and the worker's.
static void
s_kill_over_memory (supervisor_workers_t *self, s_slot_t *slot, int64_t resident_mb)
{
    char why[160];
    snprintf (why, sizeof why,
              "resident memory %lld MB is over topology.worker.max.heap.size.mb=%lld",
              (long long) resident_mb, (long long) slot->want_max_mb);
    free (slot->kill_reason);
    slot->kill_reason = zsys_sprintf ("killed: over topology.worker.max.heap.size.mb (%lld MiB, "
                                      "using %lld MiB)",
                                      (long long) slot->want_max_mb, (long long) resident_mb);
    zsys_error ("supervisor=%s port=%d worker pid=%d topology=%s killed: %s", self->supervisor_id,
                slot->port, (int) slot->pid, slot->name, why);
    int fd = open (slot->log_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        dprintf (fd, "---- supervisor=%s killed the worker: %s\n", self->supervisor_id, why);
        close (fd);
    }
    s_signal (slot->pid, SIGKILL);
    slot->state = S_KILLED;
    slot->timed_out = true;
}

void
supervisor_workers_check (supervisor_workers_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    bool monitor = now >= self->next_monitor;
    if (monitor)
        self->next_monitor = now + self->monitor_ms;
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *slot = &self->slots[i];
        int64_t age, resident_mb;
        switch (slot->state) {
        case S_RUNNING:
            if (!s_runs_wanted (slot)) {
                zsys_info ("supervisor=%s port=%d stopping worker pid=%d topology=%s id=%s "
                           "executors=%s: %s",
                           self->supervisor_id, slot->port, (int) slot->pid, slot->name, slot->id,
                           slot->executors,
                           !slot->want_name ? "slot unassigned" : "assignment changed");
                s_signal (slot->pid, SIGTERM);
                slot->state = S_STOPPING;
                slot->kill_at = now + self->shutdown_ms;
            } else if (monitor && s_heartbeat_late (self, slot, now, &age)) {
                zsys_warning ("supervisor=%s port=%d worker pid=%d topology=%s heartbeat "
                              "timed out age-ms=%lld timeout-ms=%lld; killing it",
                              self->supervisor_id, slot->port, (int) slot->pid, slot->name,
                              (long long) age, (long long) self->timeout_ms);
                s_signal (slot->pid, SIGKILL);
                slot->state = S_KILLED;
                slot->timed_out = true;
                free (slot->kill_reason);
                slot->kill_reason = zsys_sprintf (
                    "killed: no heartbeat for %lld ms (supervisor.worker.timeout.secs)",
                    (long long) age);
            } else if (monitor && s_over_memory (slot, &resident_mb))
                s_kill_over_memory (self, slot, resident_mb);
            break;
        case S_STOPPING:
            if (now >= slot->kill_at) {
                zsys_warning ("supervisor=%s port=%d worker pid=%d topology=%s still running "
                              "after SIGTERM; sending SIGKILL",
                              self->supervisor_id, slot->port, (int) slot->pid, slot->name);
                s_signal (slot->pid, SIGKILL);
                slot->state = S_KILLED;
            }
            break;
        case S_KILLED:
            break;
        case S_IDLE:
            if (slot->want_name && slot->want_package && now >= slot->next_start &&
                s_start (self, slot) != 0)
                slot->next_start = now + S_FORK_RETRY_MS;
            break;
        }
    }
}

int
supervisor_workers_timeout (supervisor_workers_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    int64_t due = self->next_monitor;
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *slot = &self->slots[i];
        if (slot->state == S_RUNNING && !s_runs_wanted (slot))
            due = now;
        else if (slot->state == S_STOPPING && slot->kill_at < due)
            due = slot->kill_at;
        else if (slot->state == S_IDLE && slot->want_name && slot->want_package &&
                 slot->next_start < due)
            due = slot->next_start;
    }
    int64_t wait = due - now;
    return wait < 0 ? 0 : wait > S_MAX_TIMEOUT_MS ? S_MAX_TIMEOUT_MS : (int) wait;
}

void
supervisor_workers_topology_ids (supervisor_workers_t *self, zhash_t *ids)
{
    assert (self);
    assert (ids);
    for (size_t i = 0; i < self->slot_count; i++)
        if (self->slots[i].id)
            zhash_insert (ids, self->slots[i].id, (void *) "running");
}

json_t *
supervisor_workers_failures (supervisor_workers_t *self)
{
    assert (self);
    return supervisor_failures_recent (self->failures, zclock_mono ());
}

size_t
supervisor_workers_alive (supervisor_workers_t *self)
{
    assert (self);
    size_t alive = 0;
    for (size_t i = 0; i < self->slot_count; i++)
        alive += self->slots[i].state != S_IDLE;
    return alive;
}

int
supervisor_workers_pid (supervisor_workers_t *self, int port)
{
    assert (self);
    s_slot_t *slot = s_slot_of_port (self, port);
    return slot ? (int) slot->pid : 0;
}

void
supervisor_workers_stop_all (supervisor_workers_t *self)
{
    assert (self);
    for (size_t i = 0; i < self->slot_count; i++)
        s_slot_forget_want (&self->slots[i]);
    //  check sends SIGTERM to every worker now that none is wanted, then
    //  SIGKILL at the deadline; reap collects them.
    int64_t deadline = zclock_mono () + self->shutdown_ms + 2000;
    supervisor_workers_check (self);
    while (supervisor_workers_alive (self) > 0 && zclock_mono () < deadline) {
        zclock_sleep (20);
        supervisor_workers_reap (self);
        supervisor_workers_check (self);
    }
    if (supervisor_workers_alive (self) > 0)
        zsys_error ("supervisor=%s %zu workers did not exit after SIGKILL", self->supervisor_id,
                    supervisor_workers_alive (self));
}
