/*  sq_package - loads a topology package (a shared object) and builds it */
#include "sq_package.h"
#include "sq_error.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct _sq_package_t {
    char *path;                  //  where the package was loaded from
    void *handle;                //  dlopen handle
    sq_topology_entry_fn *entry; //  the package's squall_topology
};

sq_package_t *
sq_package_open (const char *path)
{
    struct stat info;
    if (stat (path, &info) != 0) {
        sq_error_set ("topology package '%s' not found", path);
        return NULL;
    }
    if (!S_ISREG (info.st_mode)) {
        sq_error_set ("topology package '%s' is not a regular file", path);
        return NULL;
    }
    //  dlopen searches the library path for names without a slash.
    char *full = strchr (path, '/') ? strdup (path) : realpath (path, NULL);
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
    if (!self) {
        dlclose (handle);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->path = strdup (path);
    self->handle = handle;
    //  POSIX allows converting a dlsym result to a function pointer.
    memcpy (&self->entry, &symbol, sizeof symbol);
    return self;
}

void
sq_package_destroy (sq_package_t **self_p)
{
    if (self_p && *self_p) {
        dlclose ((*self_p)->handle);
        free ((*self_p)->path);
        free (*self_p);
        *self_p = NULL;
    }
}

sq_topology_t *
sq_package_build (sq_package_t *self, const sq_config_t *config)
{
    sq_topology_t *topology = sq_topology_new ();
    if (!topology) {
        sq_error_set ("out of memory");
        return NULL;
    }
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
