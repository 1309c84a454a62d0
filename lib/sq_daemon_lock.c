/*  sq_daemon_lock - one daemon of a kind per storm.local.dir, and its pid file

    DESIGN: flock on a file that stays, rather than "a pid file exists":
    the lock needs no stale-file check, since it goes with its holder,
    and the pid written into the lock file is only there to name the
    holder in the error. The lock's descriptor is close-on-exec, so workers
    and package children that exec do not keep it; a child that forks
    without exec shares it until it ends.
*/
#include "sq_daemon_lock.h"
#include "sq_error.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define S_PID_TEXT 32 //  room for a pid as text, newline and NUL

struct _sq_daemon_lock_t {
    int fd;         //  the lock file, flock'ed
    char *pid_file; //  the pid file written, or NULL
};

long
sq_daemon_lock_parse_pid (const char *text)
{
    long pid = 0;
    const char *digit = text;
    for (; *digit >= '0' && *digit <= '9'; digit++) {
        if (pid > (LONG_MAX - 9) / 10)
            return -1;
        pid = pid * 10 + (*digit - '0');
    }
    if (digit == text || pid == 0 || (*digit != 0 && *digit != '\n'))
        return -1;
    return pid;
}

//  The pid at the start of the file open as fd, or -1 when it holds none.
static long
s_read_pid (int fd)
{
    char text[S_PID_TEXT];
    ssize_t size = pread (fd, text, sizeof text - 1, 0);
    if (size <= 0)
        return -1;
    text[size] = 0;
    return sq_daemon_lock_parse_pid (text);
}

//  Replace the contents of the file open as fd by our pid and a newline.
static int
s_write_pid (int fd)
{
    char text[S_PID_TEXT];
    int length = snprintf (text, sizeof text, "%ld\n", (long) getpid ());
    if (ftruncate (fd, 0) != 0 || pwrite (fd, text, (size_t) length, 0) != length)
        return -1;
    return 0;
}

//  Write our pid to path: to a new file beside it first, renamed over it,
//  so a reader sees the old contents or the whole pid. 0 or -1 with the
//  error set.
static int
s_write_pid_file (const char *path)
{
    char *scratch = zsys_sprintf ("%s.%ld.new", path, (long) getpid ());
    if (!scratch)
        return sq_error_set ("out of memory");
    int fd = open (scratch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int rc = fd >= 0 && s_write_pid (fd) == 0 ? 0 : -1;
    int error = errno;
    if (fd >= 0 && close (fd) != 0 && rc == 0) {
        rc = -1;
        error = errno;
    }
    if (rc == 0 && rename (scratch, path) != 0) {
        rc = -1;
        error = errno;
    }
    if (rc)
        unlink (scratch);
    free (scratch);
    return rc ? sq_error_set ("pid file '%s': %s", path, strerror (error)) : 0;
}

sq_daemon_lock_t *
sq_daemon_lock_new (const char *dir, const char *kind, const char *pid_file)
{
    assert (dir && kind);
    if (zsys_dir_create ("%s", *dir ? dir : ".") != 0) {
        sq_error_set ("storm.local.dir '%s': cannot make it: %s", dir, strerror (errno));
        return NULL;
    }
    char *path = zsys_sprintf ("%s/%s.lock", *dir ? dir : ".", kind);
    sq_daemon_lock_t *self = path ? calloc (1, sizeof (sq_daemon_lock_t)) : NULL;
    if (!self) {
        free (path);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    int rc = 0;
    if (self->fd < 0)
        rc = sq_error_set ("storm.local.dir '%s': cannot open %s: %s", dir, path, strerror (errno));
    else if (flock (self->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            //  The holder writes its pid just after it locks: a start in
            //  between sees no pid yet.
            long holder = s_read_pid (self->fd);
            char holder_text[S_PID_TEXT] = "a process";
            if (holder > 0)
                snprintf (holder_text, sizeof holder_text, "pid %ld", holder);
            rc = sq_error_set ("storm.local.dir '%s' is in use by another %s (%s holds %s)", dir,
                               kind, holder_text, path);
        } else
            rc = sq_error_set ("storm.local.dir '%s': cannot lock %s: %s", dir, path,
                               strerror (errno));
    } else if (s_write_pid (self->fd) != 0)
        rc =
            sq_error_set ("storm.local.dir '%s': cannot write %s: %s", dir, path, strerror (errno));
    free (path);
    if (rc == 0 && pid_file) {
        self->pid_file = strdup (pid_file);
        rc = self->pid_file ? s_write_pid_file (pid_file) : sq_error_set ("out of memory");
        if (rc) {
            free (self->pid_file);
            self->pid_file = NULL;
        }
    }
    if (rc) {
        sq_daemon_lock_destroy (&self);
        return NULL;
    }
    return self;
}

void
sq_daemon_lock_destroy (sq_daemon_lock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sq_daemon_lock_t *self = *self_p;
    //  Only our own: a pid file shared by mistake may name another daemon
    //  by now.
    int fd = self->pid_file ? open (self->pid_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd >= 0) {
        if (s_read_pid (fd) == (long) getpid ())
            unlink (self->pid_file);
        close (fd);
    }
    if (self->fd >= 0)
        close (self->fd);
    free (self->pid_file);
    free (self);
    *self_p = NULL;
}
