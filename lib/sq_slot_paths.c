/*  sq_slot_paths - where a supervisor and its workers keep their files */
#include "sq_slot_paths.h"
#include "sq_error.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Longest topology id used as a file name.
#define S_MAX_NAME 200

static const char *
s_local_dir (const sq_config_t *config)
{
    const char *dir = sq_config_string (config, "storm.local.dir", NULL);
    return dir && *dir ? dir : ".";
}

char *
sq_slot_paths_dir (const sq_config_t *config)
{
    return zsys_sprintf ("%s/supervisor", s_local_dir (config));
}

char *
sq_slot_paths_worker_dir (const sq_config_t *config, int port)
{
    return zsys_sprintf ("%s/supervisor/workers/%d", s_local_dir (config), port);
}

char *
sq_slot_paths_worker_file (const sq_config_t *config, int port, const char *name)
{
    return zsys_sprintf ("%s/supervisor/workers/%d/%s", s_local_dir (config), port, name);
}

char *
sq_slot_paths_worker_log (const sq_config_t *config, int port, const char *topology_id)
{
    const char *log_dir = sq_config_string (config, "storm.log.dir", "");
    if (log_dir && *log_dir && sq_slot_paths_safe_name (topology_id))
        return zsys_sprintf ("%s/workers-artifacts/%s/%d/worker.log", log_dir, topology_id, port);
    return sq_slot_paths_worker_file (config, port, "worker.log");
}

bool
sq_slot_paths_safe_name (const char *name)
{
    size_t length = name ? strlen (name) : 0;
    if (length == 0 || length > S_MAX_NAME || name[0] == '.')
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

char *
sq_slot_paths_package (const sq_config_t *config, const char *topology_id)
{
    if (!sq_slot_paths_safe_name (topology_id)) {
        sq_error_set ("topology id '%.64s' cannot name a package file",
                      topology_id ? topology_id : "");
        return NULL;
    }
    return zsys_sprintf ("%s/supervisor/packages/%s.so", s_local_dir (config), topology_id);
}

int
sq_slot_paths_make_dirs (const char *path)
{
    char *copy = strdup (path);
    if (!copy)
        return sq_error_set ("out of memory");
    //  Create each prefix ending before a '/', then the whole path.
    for (char *slash = strchr (copy + 1, '/');; slash = strchr (slash + 1, '/')) {
        if (slash)
            *slash = 0;
        if (*copy && mkdir (copy, 0700) != 0 && errno != EEXIST) {
            sq_error_set ("cannot create directory '%s': %s", copy, strerror (errno));
            free (copy);
            return -1;
        }
        if (!slash)
            break;
        *slash = '/';
    }
    free (copy);
    struct stat info;
    if (stat (path, &info) != 0 || !S_ISDIR (info.st_mode))
        return sq_error_set ("'%s' is not a directory", path);
    if ((info.st_mode & 0077) && chmod (path, 0700) != 0)
        return sq_error_set ("cannot make directory '%s' private (mode 0700): %s", path,
                             strerror (errno));
    return 0;
}

FILE *
sq_slot_paths_fopen_private (const char *path, const char *mode_text)
{
    assert (path);
    assert (mode_text && (*mode_text == 'w' || *mode_text == 'a'));
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (*mode_text == 'a' ? O_APPEND : O_TRUNC);
    int fd = open (path, flags, 0600);
    if (fd < 0)
        return NULL;
    FILE *file = fchmod (fd, 0600) == 0 ? fdopen (fd, mode_text) : NULL;
    if (!file) {
        int error = errno;
        close (fd);
        errno = error;
    }
    return file;
}

int
sq_slot_paths_replace_private (const char *path, const char *text)
{
    assert (path && text);
    char *temporary = zsys_sprintf ("%s.tmp", path);
    if (!temporary) {
        errno = ENOMEM;
        return -1;
    }
    FILE *file = sq_slot_paths_fopen_private (temporary, "w");
    int rc = file && fputs (text, file) >= 0 ? 0 : -1;
    if (file && fclose (file) != 0)
        rc = -1;
    if (rc == 0 && rename (temporary, path) != 0)
        rc = -1;
    if (rc) {
        int error = errno;
        unlink (temporary);
        errno = error;
    }
    free (temporary);
    return rc;
}
