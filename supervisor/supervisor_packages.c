/*  supervisor_packages - topology packages fetched from nimbus */
#include "supervisor_packages.h"
#include "sq_cluster_config.h"
#include "sq_archive.h"
#include "sq_nimbuses.h"
#include "sq_curve.h"
#include "sq_error.h"
#include "sq_sha256.h"
#include "sq_slot_paths.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DOWNLOAD_TIMEOUT_MS 10000             //  longest wait for nimbus's answer to a download
#define S_RETRY_FIRST_MS 1000                   //  back-off after the first failed attempt
#define S_RETRY_MAX_MS 30000                    //  longest back-off between attempts
#define S_MAX_PACKAGE_SIZE (512L * 1024 * 1024) //  largest package file checked

//  What the store knows about one topology id.
typedef struct {
    char *path;             //  the package file
    char *open_path;        //  what workers open: path, or the archive unpacked
    char *checksum;         //  checksum it was verified against, NULL until verified
    int64_t next_attempt;   //  monotonic ms before which no download is tried
    int64_t retry_delay_ms; //  back-off after the next failure
} s_package_t;

struct _supervisor_packages_t {
    const sq_config_t *config; //  the supervisor's config (borrowed)
    char *supervisor_id;       //  for logs
    char *directory;           //  <storm.local.dir>/supervisor/packages
    zhash_t *packages;         //  topology id -> s_package_t
    sq_curve_t *curve;         //  CURVE keys towards nimbus, or NULL when unsecured
};

static void
s_package_destroy (void *item)
{
    s_package_t *package = (s_package_t *) item;
    free (package->path);
    free (package->open_path);
    free (package->checksum);
    free (package);
}

supervisor_packages_t *
supervisor_packages_new (const sq_config_t *config, const char *supervisor_id)
{
    assert (config);
    assert (supervisor_id);
    supervisor_packages_t *self = calloc (1, sizeof (supervisor_packages_t));
    if (!self)
        return NULL;
    self->config = config;
    self->supervisor_id = strdup (supervisor_id);
    char *dir = sq_slot_paths_dir (config);
    self->directory = dir ? zsys_sprintf ("%s/packages", dir) : NULL;
    free (dir);
    self->packages = zhash_new ();
    if (!self->supervisor_id || !self->directory || !self->packages ||
        sq_curve_from_config (config, true, &self->curve))
        supervisor_packages_destroy (&self);
    return self;
}

void
supervisor_packages_destroy (supervisor_packages_t **self_p)
{
    assert (self_p);
    supervisor_packages_t *self = *self_p;
    if (!self)
        return;
    zhash_destroy (&self->packages);
    sq_curve_destroy (&self->curve);
    free (self->directory);
    free (self->supervisor_id);
    free (self);
    *self_p = NULL;
}

//  SHA-256 of the file at path, as hex. Returns 0, or -1 with the error
//  set when it cannot be read (*missing_p tells a file that is not there).
static int
s_file_checksum (const char *path, char hex[SQ_SHA256_HEX_SIZE], bool *missing_p)
{
    *missing_p = false;
    FILE *file = fopen (path, "rbe");
    if (!file) {
        *missing_p = errno == ENOENT;
        return sq_error_set ("cannot open package '%s': %s", path, strerror (errno));
    }
    sq_sha256_t hash;
    sq_sha256_init (&hash);
    unsigned char buffer[65536];
    size_t got;
    long total = 0;
    while ((got = fread (buffer, 1, sizeof buffer, file)) > 0 && total <= S_MAX_PACKAGE_SIZE) {
        sq_sha256_update (&hash, buffer, got);
        total += (long) got;
    }
    int failed = ferror (file);
    fclose (file);
    if (failed)
        return sq_error_set ("cannot read package '%s'", path);
    if (total > S_MAX_PACKAGE_SIZE)
        return sq_error_set ("package '%s' is larger than %ld bytes", path, S_MAX_PACKAGE_SIZE);
    uint8_t digest[SQ_SHA256_SIZE];
    sq_sha256_final (&hash, digest);
    for (int i = 0; i < SQ_SHA256_SIZE; i++)
        snprintf (hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

//  Writes size bytes to path through a temporary file renamed into place.
static int
s_write_file (const char *path, const void *data, size_t size)
{
    char *temporary = zsys_sprintf ("%s.tmp", path);
    if (!temporary)
        return sq_error_set ("out of memory");
    int rc = 0;
    int fd = open (temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        rc = sq_error_set ("cannot create '%s': %s", temporary, strerror (errno));
    const char *next = (const char *) data;
    size_t left = size;
    while (rc == 0 && left > 0) {
        ssize_t written = write (fd, next, left);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            rc = sq_error_set ("cannot write '%s': %s", temporary, strerror (errno));
        else {
            next += written;
            left -= (size_t) written;
        }
    }
    if (fd >= 0 && close (fd) != 0 && rc == 0)
        rc = sq_error_set ("cannot write '%s': %s", temporary, strerror (errno));
    if (rc == 0 && rename (temporary, path) != 0)
        rc = sq_error_set ("cannot rename '%s' to '%s': %s", temporary, path, strerror (errno));
    if (rc != 0)
        unlink (temporary);
    free (temporary);
    return rc;
}

char *
supervisor_packages_file (const char *package_path)
{
    assert (package_path);
    size_t length = strlen (package_path);
    if (length > 4 && strcmp (package_path + length - 4, ".pkg") == 0)
        return zsys_sprintf ("%.*s.so", (int) (length - 4), package_path);
    return strdup (package_path);
}

char *
supervisor_packages_key_path (const char *package_path)
{
    assert (package_path);
    char *file = supervisor_packages_file (package_path);
    char *key_path = file ? zsys_sprintf ("%s.key_secret", file) : NULL;
    free (file);
    return key_path;
}

//  Sets what workers open for the verified package: the file itself unless
//  it is an archive (a shared object, or bytes the worker will refuse),
//  else the directory it unpacks to,
//  <id>.pkg beside it, unpacked (through <id>.pkg.tmp, renamed when
//  complete) unless there already. 0, or -1 with the error set.
static int
s_unpack (s_package_t *package)
{
    free (package->open_path);
    package->open_path = NULL;
    if (!sq_archive_probe (package->path)) {
        package->open_path = strdup (package->path);
        return package->open_path ? 0 : sq_error_set ("out of memory");
    }
    size_t length = strlen (package->path);
    char *dir = zsys_sprintf ("%.*s.pkg", (int) (length - 3), package->path);
    char *temporary = dir ? zsys_sprintf ("%s.tmp", dir) : NULL;
    struct stat info;
    int rc = temporary ? 0 : sq_error_set ("out of memory");
    if (rc == 0 && (stat (dir, &info) != 0 || !S_ISDIR (info.st_mode))) {
        if (sq_archive_remove_tree (temporary) || mkdir (temporary, 0700))
            rc = sq_error_set ("cannot make '%s': %s", temporary, strerror (errno));
        if (rc == 0)
            rc = sq_archive_extract (package->path, temporary, NULL);
        if (rc == 0 && (sq_archive_remove_tree (dir) || rename (temporary, dir)))
            rc = sq_error_set ("cannot rename '%s' to '%s': %s", temporary, dir, strerror (errno));
        if (rc)
            sq_archive_remove_tree (temporary);
    }
    if (rc == 0)
        package->open_path = dir, dir = NULL;
    free (dir);
    free (temporary);
    return rc;
}

//  Keep the topology key pair a download's reply carries beside the
//  package (0600). A secured nimbus always sends one. 0 or -1.
static int
s_save_key (supervisor_packages_t *self, json_t *reply, const char *path)
{
    if (!self->curve)
        return 0;
    zcert_t *cert = sq_nimbuses_topology_key (reply);
    if (!cert)
        return -1;
    char *key_path = supervisor_packages_key_path (path);
    int rc =
        cert && key_path ? sq_curve_save_secret (cert, key_path) : sq_error_set ("out of memory");
    zcert_destroy (&cert);
    free (key_path);
    return rc;
}

//  True when a secured supervisor lacks the key pair of the package at
//  path (then the package is downloaded again, with its key).
static bool
s_key_missing (supervisor_packages_t *self, const char *path)
{
    if (!self->curve)
        return false;
    char *key_path = supervisor_packages_key_path (path);
    bool missing = !key_path || access (key_path, R_OK) != 0;
    free (key_path);
    return missing;
}

//  Asks nimbus for the package, checks it against checksum, and stores it
//  at path. Returns 0 or -1 with the error set.
static int
s_download (supervisor_packages_t *self, const char *topology_id, const char *checksum,
            const char *path)
{
    if (sq_slot_paths_make_dirs (self->directory))
        return -1;
    //  A new client each time: no late reply to an abandoned request.
    sq_nimbuses_t *nimbuses = sq_nimbuses_new (self->config, NULL);
    if (!nimbuses || sq_nimbuses_set_curve (nimbuses, self->curve)) {
        sq_nimbuses_destroy (&nimbuses);
        return -1;
    }
    json_t *reply = NULL;
    size_t size = 0;
    void *payload = sq_nimbuses_download (nimbuses, topology_id, checksum, S_DOWNLOAD_TIMEOUT_MS,
                                          &size, &reply);
    sq_nimbuses_destroy (&nimbuses);
    int rc = payload ? s_save_key (self, reply, path) : -1;
    if (rc == 0)
        rc = s_write_file (path, payload, size);
    json_decref (reply);
    free (payload);
    if (rc == 0)
        zsys_info ("supervisor=%s topology-id=%s downloaded package size=%zu path=%s",
                   self->supervisor_id, topology_id, size, path);
    return rc;
}

//  Log why the package is not ready and back off before the next attempt.
static void
s_failed (supervisor_packages_t *self, const char *topology_id, s_package_t *package)
{
    zsys_warning ("supervisor=%s topology-id=%s package not ready, retry in %lld ms: %s",
                  self->supervisor_id, topology_id, (long long) package->retry_delay_ms,
                  sq_last_error ());
    package->next_attempt = zclock_mono () + package->retry_delay_ms;
    package->retry_delay_ms =
        package->retry_delay_ms * 2 > S_RETRY_MAX_MS ? S_RETRY_MAX_MS : package->retry_delay_ms * 2;
}

const char *
supervisor_packages_get (supervisor_packages_t *self, const char *topology_id, const char *checksum)
{
    assert (self);
    assert (topology_id);
    assert (checksum);
    s_package_t *package = (s_package_t *) zhash_lookup (self->packages, topology_id);
    if (package && package->checksum && strcasecmp (package->checksum, checksum) == 0)
        return package->open_path;
    if (!package) {
        package = (s_package_t *) calloc (1, sizeof (s_package_t));
        if (package)
            package->path = sq_slot_paths_package (self->config, topology_id);
        if (!package || !package->path) {
            zsys_error ("supervisor=%s topology-id=%s no package: %s", self->supervisor_id,
                        topology_id, package ? sq_last_error () : "out of memory");
            if (package)
                s_package_destroy (package);
            return NULL;
        }
        package->retry_delay_ms = S_RETRY_FIRST_MS;
        zhash_insert (self->packages, topology_id, package);
        zhash_freefn (self->packages, topology_id, s_package_destroy);
    }
    //  Not verified for this checksum yet: a file on disk from an earlier
    //  run may do; else download, unless a recent attempt failed.
    free (package->checksum);
    package->checksum = NULL;
    if (!sq_sha256_is_hex (checksum)) {
        if (zclock_mono () >= package->next_attempt) {
            zsys_warning ("supervisor=%s topology-id=%s checksum '%.80s' of the topology "
                          "record is not a hex SHA-256",
                          self->supervisor_id, topology_id, checksum);
            package->next_attempt = zclock_mono () + S_RETRY_MAX_MS;
        }
        return NULL;
    }
    char hex[SQ_SHA256_HEX_SIZE];
    bool missing;
    if (s_file_checksum (package->path, hex, &missing) == 0) {
        if (strcasecmp (hex, checksum) == 0 && !s_key_missing (self, package->path)) {
            if (s_unpack (package)) {
                s_failed (self, topology_id, package);
                return NULL;
            }
            package->checksum = strdup (checksum);
            return package->checksum ? package->open_path : NULL;
        }
        zsys_warning ("supervisor=%s topology-id=%s package on disk has checksum %s, not %s; "
                      "downloading it again",
                      self->supervisor_id, topology_id, hex, checksum);
        unlink (package->path);
    } else if (!missing)
        zsys_warning ("supervisor=%s topology-id=%s %s", self->supervisor_id, topology_id,
                      sq_last_error ());
    int64_t now = zclock_mono ();
    if (now < package->next_attempt)
        return NULL;
    if (s_download (self, topology_id, checksum, package->path) || s_unpack (package)) {
        s_failed (self, topology_id, package);
        return NULL;
    }
    package->retry_delay_ms = S_RETRY_FIRST_MS;
    package->next_attempt = 0;
    package->checksum = strdup (checksum);
    return package->checksum ? package->open_path : NULL;
}

void
supervisor_packages_retain (supervisor_packages_t *self, zhash_t *keep)
{
    assert (self);
    assert (keep);
    DIR *dir = opendir (self->directory);
    if (!dir)
        return;
    zlist_t *doomed = zlist_new ();
    zlist_autofree (doomed);
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        const char *name = entry->d_name;
        size_t length = strlen (name);
        //  <id>.so, its <id>.so.key_secret, the archive unpacked in
        //  <id>.pkg, and <id>.so.tmp or <id>.pkg.tmp left by a crash
        static const char *suffixes[] = {".so", ".so.tmp", ".so.key_secret", ".pkg", ".pkg.tmp"};
        const char *suffix = NULL;
        for (size_t i = 0; !suffix && i < sizeof suffixes / sizeof suffixes[0]; i++)
            if (length > strlen (suffixes[i]) &&
                strcmp (name + length - strlen (suffixes[i]), suffixes[i]) == 0)
                suffix = suffixes[i];
        if (!suffix)
            continue;
        char *id = strndup (name, length - strlen (suffix));
        if (id && (!zhash_lookup (keep, id) || strstr (suffix, ".tmp")))
            zlist_append (doomed, (void *) name);
        free (id);
    }
    closedir (dir);
    for (const char *name = zlist_first (doomed); name; name = zlist_next (doomed)) {
        char *path = zsys_sprintf ("%s/%s", self->directory, name);
        if (path && sq_archive_remove_tree (path) == 0)
            zsys_info ("supervisor=%s removed unused package path=%s", self->supervisor_id, path);
        free (path);
    }
    zlist_destroy (&doomed);
    //  Forget what is no longer kept, so a new assignment checks the disk.
    zlist_t *ids = zhash_keys (self->packages);
    for (const char *id = ids ? zlist_first (ids) : NULL; id; id = zlist_next (ids))
        if (!zhash_lookup (keep, id))
            zhash_delete (self->packages, id);
    zlist_destroy (&ids);
}
