/*  sq_log_file - a daemon's stdout and stderr in a file that rotates by size */
#include "sq_log_file.h"

#include "sq_error.h"
#include "sq_slot_paths.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_CHECK_EVERY_MS 1000 //  how often the watcher looks at the size
#define S_MAX_BACKUPS 99      //  most old files kept, whatever the config says

struct _sq_log_file_t {
    char *path;              //  the log file's name
    int fd;                  //  our descriptor of the current file
    int64_t max_bytes;       //  rotate at this size
    int backups;             //  old files kept: <path>.1 .. <path>.<backups>
    pthread_mutex_t lock;    //  guards fd, the limits and stopping
    pthread_cond_t wake;     //  signalled to stop the watcher
    bool stopping;           //  the watcher must end
    pthread_t watcher;       //  thread calling sq_log_file_check
    bool watching;           //  the watcher was started
};

char *
sq_log_file_path (const sq_config_t *config, const char *name)
{
    const char *dir = sq_config_string (config, "storm.log.dir", "");
    if (!dir || !*dir)
        return NULL;
    return zsys_sprintf ("%s/%s", dir, name);
}

//  Open path for appending, only its owner may read it; -1 on failure.
static int
s_open (const char *path)
{
    int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        sq_error_set ("cannot open log file '%s': %s", path, strerror (errno));
    return fd;
}

//  Make fd the process's stdout and stderr.
static int
s_redirect (const char *path, int fd)
{
    fflush (stdout);
    fflush (stderr);
    if (dup2 (fd, STDOUT_FILENO) < 0 || dup2 (fd, STDERR_FILENO) < 0)
        return sq_error_set ("cannot send output to log file '%s': %s", path, strerror (errno));
    return 0;
}

static void *
s_watch (void *argument)
{
    sq_log_file_t *self = argument;
    pthread_mutex_lock (&self->lock);
    while (!self->stopping) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_sec += S_CHECK_EVERY_MS / 1000;
        pthread_cond_timedwait (&self->wake, &self->lock, &until);
        if (self->stopping)
            break;
        pthread_mutex_unlock (&self->lock);
        if (sq_log_file_check (self) < 0)
            fprintf (stderr, "squall: %s\n", sq_last_error ());
        pthread_mutex_lock (&self->lock);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

sq_log_file_t *
sq_log_file_new (const char *path, const sq_config_t *config)
{
    assert (path);
    char *dir = strdup (path);
    char *slash = dir ? strrchr (dir, '/') : NULL;
    if (slash && slash != dir)
        *slash = 0;
    int rc = !dir ? sq_error_set ("out of memory")
             : slash && slash != dir ? sq_slot_paths_make_dirs (dir)
                                     : 0;
    free (dir);
    if (rc)
        return NULL;
    sq_log_file_t *self = calloc (1, sizeof (sq_log_file_t));
    if (!self || !(self->path = strdup (path))) {
        free (self);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->max_bytes = sq_config_int (config, "squall.log.max.mb", 100) * 1024 * 1024;
    self->backups = (int) sq_config_int (config, "squall.log.backups", 9);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    self->fd = s_open (path);
    if (self->fd < 0 || s_redirect (path, self->fd)) {
        sq_log_file_destroy (&self);
        return NULL;
    }
    //  The watcher takes no signal: they stay with the threads that wait
    //  for them.
    sigset_t all, previous;
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &previous);
    self->watching = pthread_create (&self->watcher, NULL, s_watch, self) == 0;
    pthread_sigmask (SIG_SETMASK, &previous, NULL);
    if (!self->watching)
        fprintf (stderr, "squall: log file '%s' will not rotate: no thread for it\n", path);
    return self;
}

int
sq_log_file_start (const sq_config_t *config, const char *name, sq_log_file_t **log_p)
{
    assert (log_p);
    *log_p = NULL;
    char *path = sq_log_file_path (config, name);
    if (!path)
        return 0;
    *log_p = sq_log_file_new (path, config);
    free (path);
    return *log_p ? 0 : -1;
}

void
sq_log_file_set_limits (sq_log_file_t *self, int64_t max_bytes, int backups)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->max_bytes = max_bytes;
    self->backups = backups;
    pthread_mutex_unlock (&self->lock);
}

//  <path>.<index>, or the path itself for 0. Caller frees.
static char *
s_backup_name (const char *path, int index)
{
    return index ? zsys_sprintf ("%s.%d", path, index) : strdup (path);
}

int
sq_log_file_check (sq_log_file_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    struct stat info;
    int rc = 0;
    int backups = self->backups < 0 ? 0 : self->backups > S_MAX_BACKUPS ? S_MAX_BACKUPS : self->backups;
    if (fstat (self->fd, &info) == 0 && self->max_bytes > 0 && info.st_size >= self->max_bytes) {
        //  Oldest first: <path>.<backups-1> -> .<backups>, ..., <path> -> .1;
        //  with no backups kept the file is simply started again.
        char *oldest = s_backup_name (self->path, backups);
        if (oldest && backups > 0)
            unlink (oldest);
        free (oldest);
        for (int index = backups - 1; index >= 0; index--) {
            char *from = s_backup_name (self->path, index);
            char *to = s_backup_name (self->path, index + 1);
            if (from && to)
                rename (from, to);
            free (from);
            free (to);
        }
        if (backups == 0)
            unlink (self->path);
        int fd = s_open (self->path);
        if (fd < 0 || s_redirect (self->path, fd)) {
            if (fd >= 0)
                close (fd);
            rc = -1;
        } else {
            close (self->fd);
            self->fd = fd;
            rc = 1;
        }
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

void
sq_log_file_destroy (sq_log_file_t **self_p)
{
    assert (self_p);
    sq_log_file_t *self = *self_p;
    if (!self)
        return;
    if (self->watching) {
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->watcher, NULL);
    }
    if (self->fd >= 0)
        close (self->fd);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self->path);
    free (self);
    *self_p = NULL;
}
