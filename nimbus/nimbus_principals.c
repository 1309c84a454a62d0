/*  nimbus_principals - the names of the CURVE keys nimbus accepts */
#include "nimbus_principals.h"
#include "sq_error.h"
#include "squall.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define S_MAX_CERT_BYTES (64 * 1024) //  largest certificate file read

struct _nimbus_principals_t {
    char *dir;             //  squall.curve.allowed.dir
    zhashx_t *names;       //  Z85 public key -> principal name (owned strings)
    struct timespec mtime; //  the directory's modification time at the last read
    bool racy;             //  mtime was recent when read: a change in the same tick is unseen
};

//  True when a directory modified at mtime may still change within the
//  same timestamp (file times are coarser than nanoseconds): read again.
static bool
s_racy (struct timespec mtime)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return now.tv_sec - mtime.tv_sec < 2;
}

static void
s_free_string (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t length = strlen (text), suffix_length = strlen (suffix);
    return length >= suffix_length && strcmp (text + length - suffix_length, suffix) == 0;
}

//  Read one certificate file into names; logs what it skips when loud.
static void
s_read_cert (zhashx_t *names, const char *path, bool loud)
{
    struct stat info;
    if (stat (path, &info) || !S_ISREG (info.st_mode))
        return;
    if (info.st_size > S_MAX_CERT_BYTES) {
        if (loud)
            zsys_warning ("%s: larger than %d bytes: not a certificate; skipped", path,
                          S_MAX_CERT_BYTES);
        return;
    }
    zcert_t *cert = zcert_load (path);
    const char *name = cert ? zcert_meta (cert, "name") : NULL;
    if (!cert && loud)
        zsys_warning ("%s: not a CURVE certificate czmq can read; skipped", path);
    else if ((!name || !*name) && loud)
        zsys_warning ("%s: the certificate has no 'name' metadata; its key names nobody", path);
    else if (cert && name && *name) {
        char *copy = strdup (name);
        if (copy && zhashx_insert (names, zcert_public_txt (cert), copy) != 0) {
            if (loud)
                zsys_warning ("%s: a certificate of the same key came first; skipped", path);
            free (copy);
        }
    }
    zcert_destroy (&cert);
}

//  Read the directory into a new table, logging what it skips when loud.
//  NULL when it cannot be read.
static zhashx_t *
s_read_dir (const char *dir, bool loud)
{
    DIR *handle = opendir (dir);
    if (!handle) {
        sq_error_set ("cannot read squall.curve.allowed.dir %s: %s", dir, strerror (errno));
        return NULL;
    }
    zhashx_t *names = zhashx_new ();
    if (!names) {
        closedir (handle);
        sq_error_set ("out of memory");
        return NULL;
    }
    zhashx_set_destructor (names, s_free_string);
    size_t files = 0;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        if (entry->d_name[0] == '.' || s_ends_with (entry->d_name, "_secret"))
            continue;
        if (++files > NIMBUS_PRINCIPALS_MAX) {
            if (loud)
                zsys_warning ("squall.curve.allowed.dir %s: more than %d certificates; the others "
                              "are skipped",
                              dir, NIMBUS_PRINCIPALS_MAX);
            break;
        }
        char *path = zsys_sprintf ("%s/%s", dir, entry->d_name);
        if (path)
            s_read_cert (names, path, loud);
        zstr_free (&path);
    }
    closedir (handle);
    return names;
}

//  Read the directory again when its modification time changed. Keeps
//  the names known when it cannot be read.
static void
s_refresh (nimbus_principals_t *self)
{
    struct stat info;
    if (stat (self->dir, &info) != 0)
        return;
    bool same =
        info.st_mtim.tv_sec == self->mtime.tv_sec && info.st_mtim.tv_nsec == self->mtime.tv_nsec;
    if (same && !self->racy)
        return;
    zhashx_t *names = s_read_dir (self->dir, !same);
    if (!names) {
        zsys_warning ("%s; the principals known stay", sq_last_error ());
        return;
    }
    zhashx_destroy (&self->names);
    self->names = names;
    self->mtime = info.st_mtim;
    self->racy = s_racy (info.st_mtim);
    if (!same)
        zsys_info ("squall.curve.allowed.dir %s changed: %zu named keys", self->dir,
                   zhashx_size (names));
}

nimbus_principals_t *
nimbus_principals_new (const char *dir)
{
    assert (dir);
    nimbus_principals_t *self = calloc (1, sizeof (nimbus_principals_t));
    struct stat info;
    if (!self || !(self->dir = strdup (dir))) {
        nimbus_principals_destroy (&self);
        sq_error_set ("out of memory");
        return NULL;
    }
    if (stat (dir, &info) != 0) {
        sq_error_set ("cannot read squall.curve.allowed.dir %s: %s", dir, strerror (errno));
        nimbus_principals_destroy (&self);
        return NULL;
    }
    self->names = s_read_dir (dir, true);
    if (!self->names) {
        nimbus_principals_destroy (&self);
        return NULL;
    }
    self->mtime = info.st_mtim;
    self->racy = s_racy (info.st_mtim);
    return self;
}

void
nimbus_principals_destroy (nimbus_principals_t **self_p)
{
    assert (self_p);
    nimbus_principals_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->names);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *
nimbus_principals_name (nimbus_principals_t *self, const char *public_key)
{
    assert (self);
    if (!public_key)
        return NULL;
    s_refresh (self);
    return zhashx_lookup (self->names, public_key);
}

size_t
nimbus_principals_count (nimbus_principals_t *self)
{
    assert (self);
    return zhashx_size (self->names);
}
