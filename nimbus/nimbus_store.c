/*  nimbus_store - topology packages on nimbus's disk */
#include "nimbus_store.h"
#include "sq_curve.h"
#include "sq_error.h"
#include "sq_sha256.h"
#include "sq_slot_paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_ID 200            //  longest id the store accepts, in bytes
#define S_SUFFIX ".so"          //  a package file's suffix
#define S_TEMP_SUFFIX ".so.tmp" //  suffix of a package being written

#define S_KEY_SUFFIX ".key_secret" //  suffix of a topology's CURVE key pair

struct _nimbus_store_t {
    char *dir; //  <storm.local.dir>/nimbus/packages
};

//  True when name ends with suffix.
static bool
s_ends_with (const char *name, const char *suffix)
{
    size_t length = strlen (name), suffix_length = strlen (suffix);
    return length >= suffix_length && strcmp (name + length - suffix_length, suffix) == 0;
}

nimbus_store_t *
nimbus_store_new (const char *local_dir)
{
    assert (local_dir);
    nimbus_store_t *self = calloc (1, sizeof (nimbus_store_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->dir = zsys_sprintf ("%s/nimbus/packages", local_dir);
    if (!self->dir) {
        sq_error_set ("out of memory");
        nimbus_store_destroy (&self);
        return NULL;
    }
    //  Packages are users' code: only nimbus's user reads them (0700).
    if (sq_slot_paths_make_dirs (self->dir)) {
        nimbus_store_destroy (&self);
        return NULL;
    }
    DIR *dir = opendir (self->dir);
    if (!dir) {
        sq_error_set ("cannot read the package directory '%s': %s", self->dir, strerror (errno));
        nimbus_store_destroy (&self);
        return NULL;
    }
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (s_ends_with (entry->d_name, S_TEMP_SUFFIX)) {
            char *path = zsys_sprintf ("%s/%s", self->dir, entry->d_name);
            if (path && unlink (path) == 0)
                zsys_info ("store: removed partial package file=%s", path);
            zstr_free (&path);
        }
    closedir (dir);
    return self;
}

void
nimbus_store_destroy (nimbus_store_t **self_p)
{
    assert (self_p);
    nimbus_store_t *self = *self_p;
    if (!self)
        return;
    zstr_free (&self->dir);
    free (self);
    *self_p = NULL;
}

bool
nimbus_store_valid_id (const char *id)
{
    if (!id || !*id || *id == '.' || strlen (id) > S_MAX_ID)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

char *
nimbus_store_path (nimbus_store_t *self, const char *id)
{
    assert (self);
    assert (nimbus_store_valid_id (id));
    return zsys_sprintf ("%s/%s%s", self->dir, id, S_SUFFIX);
}

//  Write size bytes to a new file at path and flush them to disk.
static int
s_write_file (const char *path, const void *data, size_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return sq_error_set ("cannot create '%s': %s", path, strerror (errno));
    const char *bytes = data;
    size_t done = 0;
    while (done < size) {
        ssize_t written = write (fd, bytes + done, size - done);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0) {
            int error = errno;
            close (fd);
            return sq_error_set ("cannot write '%s': %s", path, strerror (error));
        }
        done += (size_t) written;
    }
    if (fsync (fd) || close (fd))
        return sq_error_set ("cannot write '%s': %s", path, strerror (errno));
    return 0;
}

int
nimbus_store_put (nimbus_store_t *self, const char *id, const void *data, size_t size,
                  const char *checksum)
{
    assert (self);
    assert (checksum);
    char actual[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (data, size, actual);
    if (strcasecmp (actual, checksum) != 0)
        return sq_error_set ("package checksum mismatch: expected %s, got %s", checksum, actual);
    char *path = nimbus_store_path (self, id);
    char *temp = zsys_sprintf ("%s/%s%s", self->dir, id, S_TEMP_SUFFIX);
    int rc = path && temp ? s_write_file (temp, data, size) : sq_error_set ("out of memory");
    if (rc == 0 && rename (temp, path))
        rc = sq_error_set ("cannot rename '%s' to '%s': %s", temp, path, strerror (errno));
    if (rc && temp)
        unlink (temp);
    zstr_free (&path);
    zstr_free (&temp);
    return rc;
}

void *
nimbus_store_get (nimbus_store_t *self, const char *id, size_t *size_p, char checksum[65])
{
    assert (self);
    assert (size_p);
    *size_p = 0;
    if (!nimbus_store_valid_id (id)) {
        sq_error_set ("no package for topology id '%s'", id);
        return NULL;
    }
    char *path = nimbus_store_path (self, id);
    FILE *file = path ? fopen (path, "rbe") : NULL;
    if (!file) {
        sq_error_set ("no package for topology id '%s'", id);
        zstr_free (&path);
        return NULL;
    }
    void *data = NULL;
    struct stat info;
    if (fstat (fileno (file), &info) == 0 && info.st_size >= 0) {
        size_t size = (size_t) info.st_size;
        data = malloc (size ? size : 1);
        if (data && fread (data, 1, size, file) == size) {
            *size_p = size;
            sq_sha256_hex (data, size, checksum);
        } else {
            free (data);
            data = NULL;
        }
    }
    if (!data)
        sq_error_set ("cannot read the package '%s': %s", path, strerror (errno));
    fclose (file);
    zstr_free (&path);
    return data;
}

bool
nimbus_store_has (nimbus_store_t *self, const char *id)
{
    assert (self);
    if (!nimbus_store_valid_id (id))
        return false;
    char *path = nimbus_store_path (self, id);
    bool has = path && access (path, R_OK) == 0;
    zstr_free (&path);
    return has;
}

int
nimbus_store_remove (nimbus_store_t *self, const char *id)
{
    assert (self);
    if (!nimbus_store_valid_id (id))
        return 0;
    char *path = nimbus_store_path (self, id);
    char *key = zsys_sprintf ("%s/%s%s", self->dir, id, S_KEY_SUFFIX);
    int rc = 0;
    if (!path || !key)
        rc = sq_error_set ("out of memory");
    else if (unlink (path) && errno != ENOENT)
        rc = sq_error_set ("cannot remove '%s': %s", path, strerror (errno));
    else if (unlink (key) && errno != ENOENT)
        rc = sq_error_set ("cannot remove '%s': %s", key, strerror (errno));
    zstr_free (&path);
    zstr_free (&key);
    return rc;
}

int
nimbus_store_put_key (nimbus_store_t *self, const char *id, zcert_t *cert)
{
    assert (self);
    assert (cert);
    if (!nimbus_store_valid_id (id))
        return sq_error_set ("invalid topology id");
    char *path = zsys_sprintf ("%s/%s%s", self->dir, id, S_KEY_SUFFIX);
    int rc = path ? sq_curve_save_secret (cert, path) : sq_error_set ("out of memory");
    zstr_free (&path);
    return rc;
}

zcert_t *
nimbus_store_get_key (nimbus_store_t *self, const char *id)
{
    assert (self);
    if (!nimbus_store_valid_id (id))
        return NULL;
    char *path = zsys_sprintf ("%s/%s%s", self->dir, id, S_KEY_SUFFIX);
    zcert_t *cert = path && access (path, F_OK) == 0 ? sq_curve_load_cert (path, true) : NULL;
    zstr_free (&path);
    return cert;
}

//  True when keep holds the string id.
static bool
s_listed (zlist_t *keep, const char *id)
{
    for (const char *item = zlist_first (keep); item; item = zlist_next (keep))
        if (strcmp (item, id) == 0)
            return true;
    return false;
}

size_t
nimbus_store_prune (nimbus_store_t *self, zlist_t *keep)
{
    assert (self);
    assert (keep);
    DIR *dir = opendir (self->dir);
    if (!dir)
        return 0;
    size_t removed = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (!s_ends_with (entry->d_name, S_SUFFIX))
            continue;
        char *id = strndup (entry->d_name, strlen (entry->d_name) - strlen (S_SUFFIX));
        if (id && nimbus_store_valid_id (id) && !s_listed (keep, id) &&
            nimbus_store_remove (self, id) == 0) {
            zsys_info ("store: removed the package of a topology that is gone id=%s", id);
            removed++;
        }
        free (id);
    }
    closedir (dir);
    return removed;
}
