/*  sq_package - loads a topology package and builds it */
#include "sq_package.h"
#include "sq_archive.h"
#include "sq_error.h"
#include "sq_flux.h"
#include "sq_topology.h"

#include <assert.h>
#include <czmq.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _sq_package_t {
    char *path;                  //  where the package was loaded from
    char *dir;                   //  absolute directory the package lives in
    char *resources;             //  its resources/ directory, or NULL
    bool temporary;              //  dir was unpacked here: remove it on destroy
    void *handle;                //  dlopen handle
    sq_topology_entry_fn *entry; //  the package's squall_topology
    sq_flux_t *flux;             //  its definition, when it is one (then no handle)
};

//  True when the file at path starts with the ELF magic.
static bool
s_is_elf (const char *path)
{
    unsigned char magic[4] = {0};
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    bool elf = fd >= 0 && read (fd, magic, sizeof magic) == (ssize_t) sizeof magic &&
               memcmp (magic, "\177ELF", sizeof magic) == 0;
    if (fd >= 0)
        close (fd);
    return elf;
}

//  Loads the shared object at library (the package being path) into a
//  new package. NULL with the error set.
static sq_package_t *
s_load (const char *path, const char *library)
{
    //  dlopen searches the library path for names without a slash.
    char *full = strchr (library, '/') ? strdup (library) : realpath (library, NULL);
    void *handle = full ? dlopen (full, RTLD_NOW | RTLD_LOCAL) : NULL;
    free (full);
    if (!handle) {
        sq_error_set ("topology package '%s' is not a loadable shared object: %s", path,
                      dlerror ());
        return NULL;
    }
    dlerror ();
    void *symbol = dlsym (handle, SQ_TOPOLOGY_ENTRY);
    if (!symbol) {
        dlclose (handle);
        sq_error_set ("topology package '%s' does not export %s(); see squall.h", path,
                      SQ_TOPOLOGY_ENTRY);
        return NULL;
    }
    sq_package_t *self = calloc (1, sizeof (sq_package_t));
    self->path = self ? strdup (path) : NULL;
    if (!self || !self->path) {
        free (self);
        dlclose (handle);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->handle = handle;
    //  POSIX allows converting a dlsym result to a function pointer.
    memcpy (&self->entry, &symbol, sizeof symbol);
    return self;
}

static bool
s_ends_with (const char *name, const char *suffix)
{
    size_t length = strlen (name), tail = strlen (suffix);
    return length > tail && strcmp (name + length - tail, suffix) == 0;
}

//  Loads the definition file `file` (the package being path) into a new
//  package. NULL with the error set, naming the file and line.
static sq_package_t *
s_load_definition (const char *path, const char *file)
{
    sq_flux_t *flux = sq_flux_load (file);
    if (!flux)
        return NULL;
    sq_package_t *self = calloc (1, sizeof (sq_package_t));
    self->path = self ? strdup (path) : NULL;
    if (!self || !self->path) {
        free (self);
        sq_flux_destroy (&flux);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->flux = flux;
    return self;
}

//  Opens the package directory dir (the package being path): its
//  definition (SQ_FLUX_PACKAGE_FILE) when it has one at its top, else the
//  one shared object at its top; and resources/ when present. NULL with
//  the error set.
static sq_package_t *
s_open_dir (const char *path, const char *dir)
{
    //  A directory whose parents the process may not search (nimbus's
    //  validation in its scratch directory) keeps the name it was given.
    char *absolute = realpath (dir, NULL);
    if (!absolute && errno == EACCES)
        absolute = strdup (dir);
    char *definition = NULL;
    struct stat definition_info;
    if (absolute && asprintf (&definition, "%s/%s", absolute, SQ_FLUX_PACKAGE_FILE) >= 0 &&
        lstat (definition, &definition_info) == 0 && S_ISREG (definition_info.st_mode)) {
        sq_package_t *self = s_load_definition (path, definition);
        free (definition);
        if (!self) {
            free (absolute);
            return NULL;
        }
        self->dir = absolute;
        return self;
    }
    free (definition);
    DIR *listing = absolute ? opendir (absolute) : NULL;
    if (!listing) {
        sq_error_set ("cannot read topology package '%s': %s", path, strerror (errno));
        free (absolute);
        return NULL;
    }
    char *library = NULL;
    int found = 0;
    struct dirent *entry;
    while ((entry = readdir (listing))) {
        struct stat info;
        char *candidate = NULL;
        if (!s_ends_with (entry->d_name, ".so") ||
            asprintf (&candidate, "%s/%s", absolute, entry->d_name) < 0)
            continue;
        if (lstat (candidate, &info) == 0 && S_ISREG (info.st_mode) && ++found == 1) {
            library = candidate;
            candidate = NULL;
        }
        free (candidate);
    }
    closedir (listing);
    sq_package_t *self = NULL;
    if (found == 0)
        sq_error_set ("topology package '%s' holds no shared object (*.so) at its top", path);
    else if (found > 1)
        sq_error_set ("topology package '%s' holds %d shared objects (*.so) at its top; a "
                      "package has one",
                      path, found);
    else
        self = s_load (path, library);
    free (library);
    if (!self) {
        free (absolute);
        return NULL;
    }
    self->dir = absolute;
    struct stat info;
    char *resources = NULL;
    if (asprintf (&resources, "%s/resources", absolute) >= 0 && stat (resources, &info) == 0 &&
        S_ISDIR (info.st_mode))
        self->resources = resources;
    else
        free (resources);
    return self;
}

//  Unpacks the archive at path into a new private directory and opens
//  it. NULL with the error set (and nothing left on disk).
static sq_package_t *
s_open_archive (const char *path)
{
    const char *tmp = getenv ("TMPDIR");
    char *dir = NULL;
    if (asprintf (&dir, "%s/squall-package-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
        sq_error_set ("out of memory");
        return NULL;
    }
    if (!mkdtemp (dir)) {
        sq_error_set ("cannot make a directory to unpack topology package '%s' in: %s: %s", path,
                      dir, strerror (errno));
        free (dir);
        return NULL;
    }
    sq_package_t *self = NULL;
    if (sq_archive_extract (path, dir, NULL) == 0)
        self = s_open_dir (path, dir);
    else {
        char reason[600];
        snprintf (reason, sizeof reason, "%s", sq_last_error ());
        sq_error_set ("topology package '%s' is not a loadable shared object, nor a valid "
                      "package archive: %s",
                      path, reason);
    }
    if (self)
        self->temporary = true;
    else
        sq_archive_remove_tree (dir);
    free (dir);
    return self;
}

sq_package_t *
sq_package_open (const char *path)
{
    struct stat info;
    if (stat (path, &info) != 0) {
        sq_error_set ("topology package '%s' not found", path);
        return NULL;
    }
    if (S_ISDIR (info.st_mode))
        return s_open_dir (path, path);
    if (!S_ISREG (info.st_mode)) {
        sq_error_set ("topology package '%s' is neither a regular file nor a directory", path);
        return NULL;
    }
    if (sq_flux_is_definition (path)) {
        sq_package_t *self = s_load_definition (path, path);
        char *absolute = self ? realpath (path, NULL) : NULL;
        char *slash = absolute ? strrchr (absolute, '/') : NULL;
        if (slash)
            *slash = 0;
        if (self && !slash) {
            free (absolute);
            sq_package_destroy (&self);
            sq_error_set ("out of memory");
        } else if (self)
            self->dir = absolute;
        return self;
    }
    if (!s_is_elf (path))
        return s_open_archive (path);
    sq_package_t *self = s_load (path, path);
    if (!self)
        return NULL;
    //  A path realpath cannot resolve (a memory file's /proc/self/fd/N in
    //  nimbus's validation) keeps the directory it names.
    char *absolute = realpath (path, NULL);
    if (!absolute)
        absolute = strdup (path);
    char *slash = absolute ? strrchr (absolute, '/') : NULL;
    if (slash)
        *(slash == absolute ? slash + 1 : slash) = 0;
    self->dir = slash ? absolute : strdup (".");
    if (!slash)
        free (absolute);
    if (!self->dir)
        sq_package_destroy (&self), sq_error_set ("out of memory");
    return self;
}

void
sq_package_destroy (sq_package_t **self_p)
{
    if (self_p && *self_p) {
        sq_package_t *self = *self_p;
        if (self->handle)
            dlclose (self->handle);
        sq_flux_destroy (&self->flux);
        if (self->temporary && sq_archive_remove_tree (self->dir))
            zsys_warning ("cannot remove the unpacked package %s: %s", self->dir, strerror (errno));
        free (self->path);
        free (self->dir);
        free (self->resources);
        free (self);
        *self_p = NULL;
    }
}

const char *
sq_package_dir (const sq_package_t *self)
{
    assert (self);
    return self->dir;
}

sq_topology_t *
sq_package_build (sq_package_t *self, const sq_config_t *config)
{
    //  A definition's shell components run in its directory's resources/.
    if (self->flux)
        return sq_flux_build (self->flux);
    sq_topology_t *topology = sq_topology_new ();
    if (!topology) {
        sq_error_set ("out of memory");
        return NULL;
    }
    if (self->resources)
        sq_topology_set_resources_dir (topology, self->resources);
    sq_config_t *empty = config ? NULL : sq_config_new ();
    int rc = self->entry (topology, config ? config : empty);
    sq_config_destroy (&empty);
    if (rc != 0) {
        sq_topology_destroy (&topology);
        sq_error_set ("topology package '%s' refused to build its topology (%s returned %d)",
                      self->path, SQ_TOPOLOGY_ENTRY, rc);
    }
    return topology;
}
