/*  cluster_harness - a whole Squall cluster on this machine, for tests */
#include "cluster_harness.h"
#include "sq_control.h"
#include "sq_config.h"
#include "sq_curve.h"
#include "sq_error.h"
#include "squall.h"
#include "test_processes.h"
#include "zk_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_MAX_SUPERVISORS 8
#define HARNESS_LOSS_TIMEOUT_S 20 //  nimbus.supervisor.timeout.secs without fast_loss_detection
#define HARNESS_MAX_SLOTS 8
#define HARNESS_MAX_NIMBUSES 4 //  nimbus and its standbys (cluster_harness_options_t)

typedef struct {
    pid_t pid;                    //  the supervisor process, 0 when stopped
    char id[64];                  //  its supervisor id
    char config[4096];            //  its config file
    char local_dir[4096];         //  its storm.local.dir
    int ports[HARNESS_MAX_SLOTS]; //  its slot ports
} harness_supervisor_t;

//  A standby nimbus (nimbus high availability).
typedef struct {
    pid_t pid;            //  its process, 0 when stopped
    char config[4096];    //  its config file
    char local_dir[4096]; //  its storm.local.dir
    int port;             //  port it listens on
    int ui_port;          //  port of its REST API
} harness_nimbus_t;

struct _cluster_harness_t {
    char *dir;                //  temporary directory of everything
    zk_server_t *zookeeper;   //  the ZooKeeper server
    sq_zk_t *zk;              //  a session for the tests
    pid_t nimbus;             //  the nimbus process, 0 when stopped
    char nimbus_config[4096]; //  nimbus's config file
    int nimbus_port;          //  port nimbus listens on
    int ui_port;              //  port of nimbus's REST API (ui.port)
    harness_supervisor_t supervisors[HARNESS_MAX_SUPERVISORS]; //  the supervisors
    int supervisor_count;                                      //  how many
    int slots;                                                 //  slots per supervisor
    char *zk_digest;          //  "user:password" of ZooKeeper auth, NULL without
    char nimbus_local[4096];  //  nimbus's storm.local.dir
    char *nimbus_user;        //  user nimbus runs as (cluster_harness_options_t), or NULL
    bool secure;              //  CURVE on every link, keys under <dir>/keys
    char client_config[4096]; //  storm-submit's --config when secure
    harness_nimbus_t standbys[HARNESS_MAX_NIMBUSES]; //  nimbuses 1.. (index 0 is nimbus above)
    int nimbus_count;                                //  1 + standby nimbuses
};

//  The harness alive in this process, destroyed at exit if a failed test
//  (which exits without its teardown) left it running.
static cluster_harness_t *s_live;

static void
s_destroy_live (void)
{
    cluster_harness_destroy (&s_live);
}

char *
cluster_harness_build_path (const char *name)
{
    const char *top = getenv ("top_builddir");
    char *relative = malloc (4096);
    snprintf (relative, 4096, "%s/%s", top ? top : ".", name);
    char *absolute = realpath (relative, NULL);
    free (relative);
    return absolute;
}

//  Start a program with its output appended to log; the child dies with
//  the test process.
static pid_t
s_spawn (const char *log, char *const argv[])
{
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
            close (fd);
        }
        execv (argv[0], argv);
        fprintf (stderr, "cannot run %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    return pid;
}

static void
s_stop (pid_t *pid_p, int signal)
{
    if (*pid_p > 0) {
        kill (*pid_p, signal);
        //  A gentle signal gets 10 s before the hard one.
        for (int waited = 0; signal != SIGKILL && waited < 1000; waited++) {
            if (waitpid (*pid_p, NULL, WNOHANG) == *pid_p) {
                *pid_p = 0;
                return;
            }
            usleep (10000);
        }
        kill (*pid_p, SIGKILL);
        waitpid (*pid_p, NULL, 0);
        *pid_p = 0;
    }
}

//  Writes text to a new file only its owner may read (configs may name
//  credentials; as the daemons write theirs).
static int
s_write_config (const char *path, const char *json)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *file = fd >= 0 ? fdopen (fd, "w") : NULL;
    if (!file) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    int rc = fputs (json, file) >= 0 ? 0 : -1;
    if (fclose (file) != 0)
        rc = -1;
    return rc;
}

//  A random digest for ZooKeeper auth, written to <dir>/zk-auth; the
//  config keys naming it into common (appended). Returns 0 or -1.
static int
s_make_zk_auth (cluster_harness_t *self, char *common, size_t size)
{
    zuuid_t *uuid = zuuid_new ();
    self->zk_digest = uuid ? zsys_sprintf ("squall:%s", zuuid_str (uuid)) : NULL;
    zuuid_destroy (&uuid);
    char path[4200];
    snprintf (path, sizeof path, "%s/zk-auth", self->dir);
    if (!self->zk_digest || s_write_config (path, self->zk_digest) != 0)
        return -1;
    fprintf (stderr, "cluster_harness: ZooKeeper digest auth on (%s)\n", path);
    size_t used = strlen (common);
    snprintf (common + used, size - used,
              ", \"storm.zookeeper.auth.scheme\": \"digest\", "
              "\"storm.zookeeper.auth.payload.file\": \"%s\"",
              path);
    return 0;
}

int
cluster_harness_start_nimbus (cluster_harness_t *self)
{
    char *binary = cluster_harness_build_path ("nimbus/nimbus");
    char log[4200];
    snprintf (log, sizeof log, "%s/nimbus.log", self->dir);
    struct passwd *entry = self->nimbus_user ? getpwnam (self->nimbus_user) : NULL;
    char reuid[64], regid[64];
    snprintf (reuid, sizeof reuid, "--reuid=%u", entry ? (unsigned) entry->pw_uid : 0U);
    snprintf (regid, sizeof regid, "--regid=%u", entry ? (unsigned) entry->pw_gid : 0U);
    char tmpdir[4200];
    snprintf (tmpdir, sizeof tmpdir, "TMPDIR=%s/nimbus-local", self->dir);
    char *as_user[] = {"/usr/bin/env", tmpdir,           "/usr/bin/setpriv",  reuid,
                       regid,          "--clear-groups", "--pdeathsig=KILL",  "--",
                       binary,         "--config",       self->nimbus_config, NULL};
    char *argv[] = {binary, "--config", self->nimbus_config, NULL};
    //  Its config is private (0600): nimbus's own user must own it.
    if (entry && chown (self->nimbus_config, entry->pw_uid, entry->pw_gid) != 0) {
        fprintf (stderr, "cluster_harness: cannot give %s to %s: %s\n", self->nimbus_config,
                 self->nimbus_user, strerror (errno));
        free (binary);
        return -1;
    }
    self->nimbus = binary ? s_spawn (log, self->nimbus_user ? as_user : argv) : -1;
    free (binary);
    return self->nimbus > 0 ? 0 : -1;
}

void
cluster_harness_stop_nimbus (cluster_harness_t *self, int signal)
{
    s_stop (&self->nimbus, signal);
}

int
cluster_harness_start_nimbus_at (cluster_harness_t *self, int index)
{
    if (index == 0)
        return cluster_harness_start_nimbus (self);
    harness_nimbus_t *standby = &self->standbys[index];
    char *binary = cluster_harness_build_path ("nimbus/nimbus");
    char log[4200];
    snprintf (log, sizeof log, "%s/nimbus-%d.log", self->dir, index);
    char *argv[] = {binary, "--config", standby->config, NULL};
    standby->pid = binary ? s_spawn (log, argv) : -1;
    free (binary);
    return standby->pid > 0 ? 0 : -1;
}

void
cluster_harness_stop_nimbus_at (cluster_harness_t *self, int index, int signal)
{
    s_stop (index == 0 ? &self->nimbus : &self->standbys[index].pid, signal);
}

int
cluster_harness_nimbus_count (cluster_harness_t *self)
{
    return self->nimbus_count;
}

pid_t
cluster_harness_nimbus_pid_at (cluster_harness_t *self, int index)
{
    return index == 0 ? self->nimbus : self->standbys[index].pid;
}

int
cluster_harness_nimbus_port_at (cluster_harness_t *self, int index)
{
    return index == 0 ? self->nimbus_port : self->standbys[index].port;
}

int
cluster_harness_ui_port_at (cluster_harness_t *self, int index)
{
    return index == 0 ? self->ui_port : self->standbys[index].ui_port;
}

const char *
cluster_harness_nimbus_local_at (cluster_harness_t *self, int index)
{
    return index == 0 ? self->nimbus_local : self->standbys[index].local_dir;
}

int
cluster_harness_leader (cluster_harness_t *self)
{
    char *data = NULL;
    size_t size = 0;
    if (sq_zk_get (self->zk, "/leader", &data, &size, false) != 0)
        return -1;
    const char *port_field = strstr (data, "\"port\":");
    int port = port_field ? atoi (port_field + strlen ("\"port\":")) : 0;
    free (data);
    for (int index = 0; port > 0 && index < self->nimbus_count; index++)
        if (cluster_harness_nimbus_port_at (self, index) == port)
            return index;
    return -1;
}

static void s_print_file (const char *path);

//  Start the standby nimbuses once nimbus leads, so that it is the
//  leader the tests start from. Returns 0 or -1.
static int
s_start_standbys (cluster_harness_t *self, const char *common, const char *nimbus_extra)
{
    for (int waited = 0; self->nimbus_count > 1 && waited < 300; waited++) {
        if (cluster_harness_leader (self) == 0)
            break;
        usleep (100000);
    }
    if (self->nimbus_count > 1 && cluster_harness_leader (self) != 0) {
        fprintf (stderr, "cluster_harness: nimbus did not become the leader in 30 s\n");
        char log[4200];
        snprintf (log, sizeof log, "%s/nimbus.log", self->dir);
        s_print_file (log);
        return -1;
    }
    char port_key[64];
    snprintf (port_key, sizeof port_key, "\"nimbus.port\": %d", self->nimbus_port);
    const char *at = strstr (common, port_key);
    for (int index = 1; at && index < self->nimbus_count; index++) {
        harness_nimbus_t *standby = &self->standbys[index];
        snprintf (standby->config, sizeof standby->config, "%s/nimbus-%d.json", self->dir, index);
        snprintf (standby->local_dir, sizeof standby->local_dir, "%s/nimbus-%d-local", self->dir,
                  index);
        char json[16384];
        snprintf (json, sizeof json,
                  "{%.*s\"nimbus.port\": %d%s, \"storm.local.dir\": \"%s\", \"ui.port\": "
                  "%d%s}\n",
                  (int) (at - common), common, standby->port, at + strlen (port_key),
                  standby->local_dir, standby->ui_port, nimbus_extra);
        if (s_write_config (standby->config, json) || cluster_harness_start_nimbus_at (self, index))
            return -1;
    }
    return at || self->nimbus_count == 1 ? 0 : -1;
}

static int
s_start_supervisor (cluster_harness_t *self, int index)
{
    harness_supervisor_t *supervisor = &self->supervisors[index];
    char *binary = cluster_harness_build_path ("supervisor/supervisor");
    char log[4200];
    snprintf (log, sizeof log, "%s/supervisor-%d.log", self->dir, index);
    char *argv[] = {binary, "--config", supervisor->config, "--id", supervisor->id, NULL};
    supervisor->pid = binary ? s_spawn (log, argv) : -1;
    free (binary);
    return supervisor->pid > 0 ? 0 : -1;
}

//  Copy the file at path to stderr, framed by its name.
static void
s_print_file (const char *path)
{
    fprintf (stderr, "---- %s\n", path);
    FILE *file = fopen (path, "r");
    char line[1024];
    while (file && fgets (line, sizeof line, file))
        fputs (line, stderr);
    if (file)
        fclose (file);
    fprintf (stderr, "---- end of %s\n", path);
}

//  Wait until n supervisors are registered in ZooKeeper; else show why.
static int
s_wait_registered (cluster_harness_t *self, int n)
{
    int count = 0;
    for (int waited = 0; waited < 300; waited++) {
        zlist_t *children = NULL;
        count = sq_zk_children (self->zk, "/supervisors", &children, false);
        zlist_destroy (&children);
        if (count >= n)
            return 0;
        usleep (100000);
    }
    fprintf (stderr, "cluster_harness: %d of %d supervisors registered in 30 s (%s)\n", count, n,
             count < 0 ? sq_last_error () : "see their logs");
    for (int index = 0; index < self->supervisor_count; index++) {
        char log[4200];
        snprintf (log, sizeof log, "%s/supervisor-%d.log", self->dir, index);
        s_print_file (log);
    }
    return -1;
}

//  Make the key pair of principal name in <dir>/keys, its public cert
//  also in <dir>/allowed when allowed. Returns the config keys naming
//  them (secret and nimbus's public), for a JSON object (caller frees),
//  or NULL.
static char *
s_make_key (cluster_harness_t *self, const char *name, bool allowed)
{
    char *keys = zsys_sprintf ("%s/keys", self->dir);
    if (!keys || sq_curve_keygen (keys, name)) {
        fprintf (stderr, "cluster_harness: %s\n", sq_last_error ());
        free (keys);
        return NULL;
    }
    int rc = 0;
    if (allowed) {
        char *from = zsys_sprintf ("%s/%s", keys, name);
        char *to = zsys_sprintf ("%s/allowed/%s", self->dir, name);
        zcert_t *cert = from ? sq_curve_load_cert (from, false) : NULL;
        rc = cert && to ? zcert_save_public (cert, to) : -1;
        zcert_destroy (&cert);
        free (from);
        free (to);
    }
    char *json = rc ? NULL
                    : zsys_sprintf (", \"squall.curve.secret.key.file\": \"%s/%s_secret\", "
                                    "\"squall.curve.server.public.key.file\": \"%s/nimbus\", "
                                    "\"squall.curve.allowed.dir\": \"%s/allowed\"",
                                    keys, name, keys, self->dir);
    free (keys);
    return json;
}

cluster_harness_t *
cluster_harness_new (int supervisors, int slots)
{
    const char *auth = getenv ("SQUALL_HARNESS_ZK_AUTH");
    cluster_harness_options_t options = {.zk_auth = auth && strcmp (auth, "1") == 0};
    return cluster_harness_new_with (supervisors, slots, &options);
}

//  Lets user run nimbus in dir: reach dir, own nimbus's local dir.
static int
s_prepare_nimbus_user (const char *dir, const char *user)
{
    struct passwd *entry = getpwnam (user);
    char local[4200];
    snprintf (local, sizeof local, "%s/nimbus-local", dir);
    if (!entry || chmod (dir, 0711) != 0 || mkdir (local, 0700) != 0 ||
        chown (local, entry->pw_uid, entry->pw_gid) != 0) {
        fprintf (stderr, "cluster_harness: cannot prepare %s for user %s: %s\n", local, user,
                 entry ? strerror (errno) : "no such user");
        return -1;
    }
    return 0;
}

cluster_harness_t *
cluster_harness_new_with (int supervisors, int slots, const cluster_harness_options_t *options)
{
    cluster_harness_options_t none = {0};
    if (!options)
        options = &none;
    bool secure = options->secure;
    if (supervisors > HARNESS_MAX_SUPERVISORS || slots > HARNESS_MAX_SLOTS)
        return NULL;
    cluster_harness_t *self = calloc (1, sizeof (cluster_harness_t));
    char dir[1024];
    snprintf (dir, sizeof dir, "%s/squall-cluster-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    if (!mkdtemp (dir)) {
        free (self);
        return NULL;
    }
    self->dir = strdup (dir);
    self->slots = slots;
    self->nimbus_user = options->nimbus_user ? strdup (options->nimbus_user) : NULL;
    if (self->nimbus_user && s_prepare_nimbus_user (self->dir, self->nimbus_user)) {
        cluster_harness_destroy (&self);
        return NULL;
    }
    self->secure = secure;
    char allowed[1100];
    snprintf (allowed, sizeof allowed, "%s/allowed", dir);
    //  Config keys of nimbus, of the client ("operator"), of a supervisor.
    char *nimbus_keys = NULL, *client_keys = NULL, *supervisor_keys = NULL;
    if (secure && (mkdir (allowed, 0700) || !(nimbus_keys = s_make_key (self, "nimbus", false)) ||
                   !(client_keys = s_make_key (self, "operator", true)))) {
        free (nimbus_keys);
        cluster_harness_destroy (&self);
        return NULL;
    }
    self->zookeeper = zk_server_new (self->dir);
    if (!self->zookeeper) {
        cluster_harness_destroy (&self);
        return NULL;
    }
    self->nimbus_port = test_processes_free_port ();
    self->ui_port = test_processes_free_port ();
    self->nimbus_count = 1 + (options->standby_nimbuses > 0 ? options->standby_nimbuses : 0);
    if (self->nimbus_count > HARNESS_MAX_NIMBUSES) {
        cluster_harness_destroy (&self);
        return NULL;
    }
    char seeds[512] = "";
    for (int index = 0; self->nimbus_count > 1 && index < self->nimbus_count; index++) {
        if (index > 0) {
            self->standbys[index].port = test_processes_free_port ();
            self->standbys[index].ui_port = test_processes_free_port ();
        }
        snprintf (seeds + strlen (seeds), sizeof seeds - strlen (seeds), "%s\"127.0.0.1:%d\"%s",
                  index ? ", " : ", \"nimbus.seeds\": [",
                  cluster_harness_nimbus_port_at (self, index),
                  index + 1 == self->nimbus_count ? "]" : "");
    }
    char common[8192];
    snprintf (common, sizeof common,
              "\"storm.zookeeper.servers\": [\"127.0.0.1\"], \"storm.zookeeper.port\": %d, "
              "\"storm.zookeeper.root\": \"/storm\", \"nimbus.host\": \"127.0.0.1\", "
              "\"nimbus.port\": %d, \"storm.local.hostname\": \"127.0.0.1\"",
              zk_server_port (self->zookeeper), self->nimbus_port);
    if (!options || !options->fast_loss_detection) {
        size_t used = strlen (common);
        snprintf (common + used, sizeof common - used, ", \"nimbus.supervisor.timeout.secs\": %d",
                  HARNESS_LOSS_TIMEOUT_S);
    }
    strncat (common, seeds, sizeof common - strlen (common) - 1);
    if (options && options->zk_session_timeout_ms > 0) {
        size_t used = strlen (common);
        snprintf (common + used, sizeof common - used, ", \"storm.zookeeper.session.timeout\": %d",
                  options->zk_session_timeout_ms);
    }
    if (options && options->zk_auth && s_make_zk_auth (self, common, sizeof common) != 0) {
        cluster_harness_destroy (&self);
        return NULL;
    }
    self->zk = sq_zk_new_auth (zk_server_endpoint (self->zookeeper), "/storm", 10000, 10000,
                               self->zk_digest);
    char json[16384];
    snprintf (self->nimbus_config, sizeof self->nimbus_config, "%s/nimbus.json", self->dir);
    snprintf (self->nimbus_local, sizeof self->nimbus_local, "%s/nimbus-local", self->dir);
    //  A secured nimbus lets the supervisors download packages.
    char supervisor_users[64 * HARNESS_MAX_SUPERVISORS + 64] = "";
    for (int index = 0; secure && index < supervisors; index++)
        snprintf (supervisor_users + strlen (supervisor_users),
                  sizeof supervisor_users - strlen (supervisor_users), "%s\"supervisor-%d\"",
                  index ? ", " : ", \"nimbus.supervisor.users\": [", index);
    if (secure && supervisors > 0)
        strcat (supervisor_users, "]");
    snprintf (json, sizeof json, "{%s, \"storm.local.dir\": \"%s\", \"ui.port\": %d%s%s%s%s}\n",
              common, self->nimbus_local, self->ui_port, nimbus_keys ? nimbus_keys : "",
              supervisor_users, options->nimbus_config ? ", " : "",
              options->nimbus_config ? options->nimbus_config : "");
    int rc = self->zk ? s_write_config (self->nimbus_config, json) : -1;
    if (rc == 0 && secure) {
        snprintf (self->client_config, sizeof self->client_config, "%s/client.json", self->dir);
        snprintf (json, sizeof json, "{%s}\n", client_keys + 2);
        rc = s_write_config (self->client_config, json);
    }
    if (rc == 0)
        rc = cluster_harness_start_nimbus (self);
    char nimbus_extra[4200];
    snprintf (nimbus_extra, sizeof nimbus_extra, "%s%s", options->nimbus_config ? ", " : "",
              options->nimbus_config ? options->nimbus_config : "");
    if (rc == 0)
        rc = s_start_standbys (self, common, nimbus_extra);
    char *worker = cluster_harness_build_path ("squall-worker");
    for (int index = 0; rc == 0 && index < supervisors; index++) {
        harness_supervisor_t *supervisor = &self->supervisors[index];
        snprintf (supervisor->id, sizeof supervisor->id, "supervisor-%d", index);
        snprintf (supervisor->config, sizeof supervisor->config, "%s/supervisor-%d.json", self->dir,
                  index);
        snprintf (supervisor->local_dir, sizeof supervisor->local_dir, "%s/supervisor-%d-local",
                  self->dir, index);
        char ports[256] = "";
        for (int slot = 0; slot < slots; slot++) {
            supervisor->ports[slot] = test_processes_free_port ();
            snprintf (ports + strlen (ports), sizeof ports - strlen (ports), "%s%d",
                      slot ? "," : "", supervisor->ports[slot]);
        }
        free (supervisor_keys);
        supervisor_keys = secure ? s_make_key (self, supervisor->id, true) : NULL;
        if (secure && !supervisor_keys)
            rc = -1;
        snprintf (json, sizeof json,
                  "{%s, \"storm.local.dir\": \"%s\", \"supervisor.slots.ports\": [%s], "
                  "\"supervisor.worker.command\": \"%s\"%s%s%s}\n",
                  common, supervisor->local_dir, ports, worker ? worker : "squall-worker",
                  supervisor_keys ? supervisor_keys : "", options->supervisor_config ? ", " : "",
                  options->supervisor_config ? options->supervisor_config : "");
        if (rc == 0)
            rc = s_write_config (supervisor->config, json);
        if (rc == 0)
            rc = s_start_supervisor (self, index);
        if (rc == 0)
            self->supervisor_count++;
    }
    free (worker);
    free (nimbus_keys);
    free (client_keys);
    free (supervisor_keys);
    if (rc == 0)
        rc = s_wait_registered (self, supervisors);
    if (rc) {
        cluster_harness_destroy (&self);
        return NULL;
    }
    static bool registered;
    if (!registered)
        atexit (s_destroy_live);
    registered = true;
    s_live = self;
    return self;
}

void
cluster_harness_destroy (cluster_harness_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cluster_harness_t *self = *self_p;
    if (s_live == self)
        s_live = NULL;
    for (int index = 0; index < self->supervisor_count; index++)
        s_stop (&self->supervisors[index].pid, SIGKILL);
    s_stop (&self->nimbus, SIGKILL);
    for (int index = 1; index < self->nimbus_count; index++)
        s_stop (&self->standbys[index].pid, SIGKILL);
    test_processes_kill_mentioning (self->dir, "ZooKeeperServerMain");
    sq_zk_destroy (&self->zk);
    zk_server_destroy (&self->zookeeper);
    char command[4200];
    snprintf (command, sizeof command, "rm -rf '%s'", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "cluster_harness: could not remove %s\n", self->dir);
    free (self->dir);
    free (self->zk_digest);
    free (self->nimbus_user);
    free (self);
    *self_p = NULL;
}

const char *
cluster_harness_dir (cluster_harness_t *self)
{
    return self->dir;
}

sq_zk_t *
cluster_harness_zk (cluster_harness_t *self)
{
    return self->zk;
}

//  Run storm-submit with client config (NULL: none) and args.
static int
s_cli_via (cluster_harness_t *self, const char *via, const char *config, char **output_p,
           const char *const *args)
{
    char *binary = cluster_harness_build_path ("storm-submit");
    char *argv[64] = {binary, "--nimbus", (char *) via, "--config", (char *) config};
    if (!via)
        argv[1] = "--config", argv[2] = (char *) config;
    int first = (via ? 3 : 1) + (config ? 2 : 0);
    int argc = first;
    while (argc < 63 && args[argc - first])
        argv[argc] = (char *) args[argc - first], argc++;
    argv[argc] = NULL;
    char log[4200];
    snprintf (log, sizeof log, "%s/cli-%ld.out", self->dir, (long) random ());
    pid_t pid = binary ? s_spawn (log, argv) : -1;
    free (binary);
    int status = -1;
    if (pid > 0)
        waitpid (pid, &status, 0);
    if (output_p) {
        FILE *file = fopen (log, "r");
        *output_p = calloc (1, 65536);
        if (file) {
            size_t size = fread (*output_p, 1, 65535, file);
            (*output_p)[size] = 0;
            fclose (file);
        }
    }
    unlink (log);
    return pid > 0 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  Run storm-submit with client config (NULL: none) and args, at nimbus.
static int
s_cli (cluster_harness_t *self, const char *config, char **output_p, const char *const *args)
{
    char nimbus[64];
    snprintf (nimbus, sizeof nimbus, "127.0.0.1:%d", self->nimbus_port);
    return s_cli_via (self, nimbus, config, output_p, args);
}

int
cluster_harness_cli_via (cluster_harness_t *self, const char *nimbus, char **output_p,
                         const char *const *args)
{
    return s_cli_via (self, nimbus, self->secure ? self->client_config : NULL, output_p, args);
}

int
cluster_harness_cli (cluster_harness_t *self, char **output_p, const char *const *args)
{
    return s_cli (self, self->secure ? self->client_config : NULL, output_p, args);
}

int
cluster_harness_cli_as (cluster_harness_t *self, const char *principal, char **output_p,
                        const char *const *args)
{
    char config[4200];
    snprintf (config, sizeof config, "%s/client-%s.json", self->dir, principal);
    if (access (config, F_OK) != 0) {
        char *keys = self->secure ? s_make_key (self, principal, true) : NULL;
        char *json = keys ? zsys_sprintf ("{%s}\n", keys + 2) : NULL;
        int rc = json ? s_write_config (config, json) : -1;
        free (keys);
        free (json);
        if (rc)
            return -1;
    }
    return s_cli (self, config, output_p, args);
}

void
cluster_harness_stop_supervisor (cluster_harness_t *self, int index, int signal, bool with_workers)
{
    harness_supervisor_t *supervisor = &self->supervisors[index];
    if (with_workers)
        for (int slot = 0; slot < self->slots; slot++) {
            pid_t pid = cluster_harness_worker_pid (self, index, slot);
            if (pid > 0)
                kill (pid, SIGKILL);
        }
    s_stop (&supervisor->pid, signal);
    if (with_workers)
        test_processes_kill_mentioning (supervisor->config, NULL);
}

const char *
cluster_harness_supervisor_id (cluster_harness_t *self, int index)
{
    return self->supervisors[index].id;
}

pid_t
cluster_harness_worker_pid (cluster_harness_t *self, int index, int slot)
{
    char path[4300];
    snprintf (path, sizeof path, "%s/supervisor/workers/%d/pid", self->supervisors[index].local_dir,
              self->supervisors[index].ports[slot]);
    FILE *file = fopen (path, "r");
    long pid = -1;
    if (file) {
        if (fscanf (file, "%ld", &pid) != 1)
            pid = -1;
        fclose (file);
    }
    return test_processes_alive ((int) pid) ? (pid_t) pid : -1;
}

int
cluster_harness_slot_port (cluster_harness_t *self, int index, int slot)
{
    return self->supervisors[index].ports[slot];
}

int
cluster_harness_nimbus_port (cluster_harness_t *self)
{
    return self->nimbus_port;
}

sq_control_t *
cluster_harness_control (cluster_harness_t *self)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", self->nimbus_port);
    sq_control_t *control = sq_control_new (endpoint);
    if (!control || !self->secure)
        return control;
    sq_config_t *config = sq_config_load_file (self->client_config);
    sq_curve_t *curve = NULL;
    if (!config || sq_curve_from_config (config, true, &curve) ||
        sq_control_set_curve (control, curve))
        sq_control_destroy (&control);
    sq_curve_destroy (&curve);
    sq_config_destroy (&config);
    return control;
}

int
cluster_harness_ui_port (cluster_harness_t *self)
{
    return self->ui_port;
}

const char *
cluster_harness_zk_digest (cluster_harness_t *self)
{
    return self->zk_digest;
}

const char *
cluster_harness_zk_endpoint (cluster_harness_t *self)
{
    return zk_server_endpoint (self->zookeeper);
}

pid_t
cluster_harness_nimbus_pid (cluster_harness_t *self)
{
    return self->nimbus;
}

pid_t
cluster_harness_supervisor_pid (cluster_harness_t *self, int index)
{
    return self->supervisors[index].pid;
}

const char *
cluster_harness_local_dir (cluster_harness_t *self, int index)
{
    return index < 0 ? self->nimbus_local : self->supervisors[index].local_dir;
}

const char *
cluster_harness_zk_dir (cluster_harness_t *self)
{
    return zk_server_dir (self->zookeeper);
}

int
cluster_harness_probe_distinct (const char *probe_dir, const char *const *logs, int messages)
{
    bool *seen = calloc ((size_t) messages, sizeof (bool));
    int distinct = 0, number;
    for (size_t i = 0; seen && logs[i]; i++) {
        char path[4300];
        snprintf (path, sizeof path, "%s/%s", probe_dir, logs[i]);
        FILE *file = fopen (path, "r");
        while (file && fscanf (file, "%d\n", &number) == 1)
            if (number >= 0 && number < messages && !seen[number]) {
                seen[number] = true;
                distinct++;
            }
        if (file)
            fclose (file);
    }
    free (seen);
    return distinct;
}

int
cluster_harness_probe_acked (const char *probe_dir, int messages)
{
    return cluster_harness_probe_distinct (probe_dir, (const char *const[]){"acked.log", NULL},
                                           messages);
}
