/*  sq_zk_auth - ZooKeeper credentials from config (storm.zookeeper.auth.*) */
#include "sq_zk_auth.h"
#include "sq_config.h"
#include "sq_error.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SCHEME_KEY "storm.zookeeper.auth.scheme"
#define S_PAYLOAD_KEY "storm.zookeeper.auth.payload"
#define S_FILE_KEY "storm.zookeeper.auth.payload.file"

int
sq_zk_auth_check_payload (const char *payload, const char *origin)
{
    const char *colon = payload ? strchr (payload, ':') : NULL;
    if (!payload || !*payload)
        return sq_error_set ("ZooKeeper auth payload in %s is empty (want user:password)", origin);
    if (strpbrk (payload, "\r\n"))
        return sq_error_set ("ZooKeeper auth payload in %s has a line break inside (want one "
                             "line, user:password)",
                             origin);
    if (!colon)
        return sq_error_set ("ZooKeeper auth payload in %s has no ':' (want user:password)",
                             origin);
    if (colon == payload)
        return sq_error_set ("ZooKeeper auth payload in %s has an empty user (want "
                             "user:password)",
                             origin);
    if (colon[1] == '\0')
        return sq_error_set ("ZooKeeper auth payload in %s has an empty password (want "
                             "user:password)",
                             origin);
    return 0;
}

void
sq_zk_auth_free (char **payload_p)
{
    if (payload_p && *payload_p) {
        explicit_bzero (*payload_p, strlen (*payload_p));
        free (*payload_p);
        *payload_p = NULL;
    }
}

//  Checks what fstat says of an opened payload file. Returns 0 or -1.
static int
s_check_file (const char *path, const struct stat *info)
{
    if (!S_ISREG (info->st_mode))
        return sq_error_set ("ZooKeeper auth payload file '%s' is not a regular file", path);
    if (info->st_uid != geteuid ())
        return sq_error_set ("ZooKeeper auth payload file '%s' is owned by uid %ld, not by this "
                             "daemon's user (uid %ld); refusing it",
                             path, (long) info->st_uid, (long) geteuid ());
    if (info->st_mode & (S_IRWXG | S_IRWXO))
        return sq_error_set ("ZooKeeper auth payload file '%s' has mode %04o: others than its "
                             "owner may use it; refusing it (chmod 600 '%s')",
                             path, (unsigned) (info->st_mode & 07777), path);
    if (info->st_size == 0)
        return sq_error_set ("ZooKeeper auth payload file '%s' is empty (want user:password)",
                             path);
    if (info->st_size > SQ_ZK_AUTH_MAX_BYTES)
        return sq_error_set ("ZooKeeper auth payload file '%s' has %lld bytes, more than the "
                             "%d a payload may have",
                             path, (long long) info->st_size, SQ_ZK_AUTH_MAX_BYTES);
    return 0;
}

int
sq_zk_auth_read_file (const char *path, char **payload_p)
{
    *payload_p = NULL;
    //  Check the file opened, not the name: no swap between check and read.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return sq_error_set ("cannot open ZooKeeper auth payload file '%s': %s", path,
                             strerror (errno));
    struct stat info;
    int rc = fstat (fd, &info) == 0
                 ? s_check_file (path, &info)
                 : sq_error_set ("cannot stat ZooKeeper auth payload file '%s': %s", path,
                                 strerror (errno));
    char *buffer = rc == 0 ? calloc (1, SQ_ZK_AUTH_MAX_BYTES + 2) : NULL;
    if (rc == 0 && !buffer)
        rc = sq_error_set ("out of memory");
    size_t size = 0;
    while (rc == 0 && size <= SQ_ZK_AUTH_MAX_BYTES) {
        ssize_t got = read (fd, buffer + size, SQ_ZK_AUTH_MAX_BYTES + 1 - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = sq_error_set ("cannot read ZooKeeper auth payload file '%s': %s", path,
                               strerror (errno));
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    close (fd);
    if (rc == 0 && size > SQ_ZK_AUTH_MAX_BYTES)
        rc = sq_error_set ("ZooKeeper auth payload file '%s' grew past %d bytes", path,
                           SQ_ZK_AUTH_MAX_BYTES);
    if (rc == 0 && memchr (buffer, '\0', size))
        rc = sq_error_set ("ZooKeeper auth payload file '%s' holds a NUL byte", path);
    if (rc == 0) {
        if (size > 0 && buffer[size - 1] == '\n')
            buffer[--size] = '\0';
        if (size > 0 && buffer[size - 1] == '\r')
            buffer[--size] = '\0';
        char *origin = zsys_sprintf ("file '%s'", path);
        rc = sq_zk_auth_check_payload (buffer, origin ? origin : path);
        zstr_free (&origin);
    }
    if (rc == 0)
        *payload_p = buffer;
    else if (buffer) {
        explicit_bzero (buffer, SQ_ZK_AUTH_MAX_BYTES + 2);
        free (buffer);
    }
    return rc;
}

int
sq_zk_auth_from_config (const sq_config_t *config, char **payload_p)
{
    *payload_p = NULL;
    const char *scheme = sq_config_string (config, S_SCHEME_KEY, "");
    const char *inline_payload = sq_config_string (config, S_PAYLOAD_KEY, "");
    const char *file = sq_config_string (config, S_FILE_KEY, "");
    scheme = scheme ? scheme : "";
    inline_payload = inline_payload ? inline_payload : "";
    file = file ? file : "";
    if (!*scheme) {
        if (*inline_payload || *file)
            return sq_error_set ("config key '%s' is set but '%s' is not: set it to \"digest\"",
                                 *file ? S_FILE_KEY : S_PAYLOAD_KEY, S_SCHEME_KEY);
        return 0;
    }
    if (strcmp (scheme, "digest") != 0)
        return sq_error_set ("config key '%s' is \"%.64s\": only \"digest\" is supported",
                             S_SCHEME_KEY, scheme);
    if (*inline_payload && *file)
        return sq_error_set ("config keys '%s' and '%s' are both set: keep only the file",
                             S_PAYLOAD_KEY, S_FILE_KEY);
    if (*file)
        return sq_zk_auth_read_file (file, payload_p);
    if (!*inline_payload)
        return sq_error_set ("config key '%s' is \"digest\" but neither '%s' nor '%s' gives the "
                             "user:password",
                             S_SCHEME_KEY, S_FILE_KEY, S_PAYLOAD_KEY);
    if (sq_zk_auth_check_payload (inline_payload, "config key '" S_PAYLOAD_KEY "'"))
        return -1;
    zsys_warning ("the ZooKeeper password is inline in config key '%s', where anyone who can "
                  "read the config sees it: prefer a file only this user can read, named by "
                  "'%s'",
                  S_PAYLOAD_KEY, S_FILE_KEY);
    *payload_p = strdup (inline_payload);
    return *payload_p ? 0 : sq_error_set ("out of memory");
}

void
sq_zk_auth_redact (json_t *config_json)
{
    if (json_is_object (config_json) && json_object_get (config_json, S_PAYLOAD_KEY))
        json_object_set_new (config_json, S_PAYLOAD_KEY, json_string ("########"));
}
