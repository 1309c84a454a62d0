/*  sq_archive - topology package archives: pack a directory, unpack safely */
#include "sq_archive.h"
#include "sq_error.h"

#include <archive.h>
#include <archive_entry.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_BLOCK 65536 //  bytes copied at a time

sq_archive_limits_t
sq_archive_default_limits (void)
{
    sq_archive_limits_t limits = {SQ_ARCHIVE_MAX_BYTES, SQ_ARCHIVE_MAX_ENTRIES};
    return limits;
}

bool
sq_archive_probe (const char *path)
{
    assert (path);
    unsigned char head[262] = {0};
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read (fd, head, sizeof head) : -1;
    if (fd >= 0)
        close (fd);
    if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        return true; //  gzip
    if (got >= 4 && memcmp (head, "PK\003\004", 4) == 0)
        return true; //  zip
    return got >= 262 && memcmp (head + 257, "ustar", 5) == 0;
}

//  ---------------------------------------------------------------------
//  Packing

//  State of one pack.
typedef struct {
    struct archive *archive; //  the archive being written
    const char *root;        //  the directory packed
    size_t entries;          //  entries written so far
    int64_t bytes;           //  file bytes written so far
} s_packer_t;

static int
s_by_name (const struct dirent **a, const struct dirent **b)
{
    return strcmp ((*a)->d_name, (*b)->d_name);
}

static int s_pack_dir (s_packer_t *self, const char *relative);

//  Write the header of relative (a directory or regular file with info)
//  and, for a file, its bytes. 0 or -1.
static int
s_pack_entry (s_packer_t *self, const char *relative, const struct stat *info)
{
    if (++self->entries > SQ_ARCHIVE_MAX_ENTRIES)
        return sq_error_set ("cannot pack '%s': more than %d files and directories", self->root,
                             SQ_ARCHIVE_MAX_ENTRIES);
    if (strlen (relative) > SQ_ARCHIVE_MAX_NAME)
        return sq_error_set ("cannot pack '%s/%s': name longer than %d bytes", self->root, relative,
                             SQ_ARCHIVE_MAX_NAME);
    bool directory = S_ISDIR (info->st_mode);
    if (!directory && (self->bytes += info->st_size) > SQ_ARCHIVE_MAX_BYTES)
        return sq_error_set ("cannot pack '%s': more than %lld bytes", self->root,
                             (long long) SQ_ARCHIVE_MAX_BYTES);
    struct archive_entry *entry = archive_entry_new ();
    if (!entry)
        return sq_error_set ("out of memory");
    archive_entry_set_pathname (entry, relative);
    archive_entry_set_filetype (entry, directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm (entry, directory || (info->st_mode & S_IXUSR) ? 0755 : 0644);
    archive_entry_set_size (entry, directory ? 0 : info->st_size);
    int rc = archive_write_header (self->archive, entry) == ARCHIVE_OK
                 ? 0
                 : sq_error_set ("cannot pack '%s/%s': %s", self->root, relative,
                                 archive_error_string (self->archive));
    archive_entry_free (entry);
    if (rc || directory)
        return rc ? rc : s_pack_dir (self, relative);
    char *path = NULL;
    if (asprintf (&path, "%s/%s", self->root, relative) < 0)
        return sq_error_set ("out of memory");
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        rc = sq_error_set ("cannot pack '%s': %s", path, strerror (errno));
    char buffer[S_BLOCK];
    int64_t left = info->st_size;
    while (rc == 0 && left > 0) {
        ssize_t got = read (fd, buffer, left < S_BLOCK ? (size_t) left : S_BLOCK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            rc = sq_error_set ("cannot pack '%s': %s", path,
                               got < 0 ? strerror (errno) : "the file shrank while packing");
        else if (archive_write_data (self->archive, buffer, (size_t) got) != got)
            rc = sq_error_set ("cannot pack '%s': %s", path, archive_error_string (self->archive));
        else
            left -= got;
    }
    if (fd >= 0)
        close (fd);
    free (path);
    return rc;
}

//  Pack what the directory relative ("" for the root) holds, sorted by
//  name. 0 or -1.
static int
s_pack_dir (s_packer_t *self, const char *relative)
{
    char *path = NULL;
    if (asprintf (&path, "%s%s%s", self->root, *relative ? "/" : "", relative) < 0)
        return sq_error_set ("out of memory");
    struct dirent **names = NULL;
    int count = scandir (path, &names, NULL, s_by_name);
    int rc = count < 0 ? sq_error_set ("cannot pack '%s': %s", path, strerror (errno)) : 0;
    for (int i = 0; i < count; i++) {
        const char *name = names[i]->d_name;
        char *child = NULL, *child_path = NULL;
        struct stat info;
        if (rc || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
            ;
        else if (asprintf (&child, "%s%s%s", relative, *relative ? "/" : "", name) < 0 ||
                 asprintf (&child_path, "%s/%s", path, name) < 0)
            rc = sq_error_set ("out of memory");
        else if (lstat (child_path, &info) != 0)
            rc = sq_error_set ("cannot pack '%s': %s", child_path, strerror (errno));
        else if (!S_ISREG (info.st_mode) && !S_ISDIR (info.st_mode))
            rc = sq_error_set ("cannot pack '%s': only regular files and directories go into a "
                               "package (not links, devices, fifos or sockets)",
                               child_path);
        else
            rc = s_pack_entry (self, child, &info);
        free (child);
        free (child_path);
        free (names[i]);
    }
    free (names);
    free (path);
    return rc;
}

int
sq_archive_pack (const char *dir, const char *archive_path)
{
    assert (dir);
    assert (archive_path);
    struct stat info;
    if (stat (dir, &info) != 0 || !S_ISDIR (info.st_mode))
        return sq_error_set ("cannot pack '%s': not a directory", dir);
    s_packer_t packer = {archive_write_new (), dir, 0, 0};
    if (!packer.archive)
        return sq_error_set ("out of memory");
    int fd = open (archive_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;
    if (fd < 0)
        rc = sq_error_set ("cannot create '%s': %s", archive_path, strerror (errno));
    //  No time in the gzip header either: the same directory packs to the
    //  same bytes, whenever it is packed.
    else if (archive_write_add_filter_gzip (packer.archive) != ARCHIVE_OK ||
             archive_write_set_filter_option (packer.archive, "gzip", "timestamp", NULL) !=
                 ARCHIVE_OK ||
             archive_write_set_format_pax_restricted (packer.archive) != ARCHIVE_OK ||
             archive_write_open_fd (packer.archive, fd) != ARCHIVE_OK)
        rc = sq_error_set ("cannot write '%s': %s", archive_path,
                           archive_error_string (packer.archive));
    else
        rc = s_pack_dir (&packer, "");
    if (fd >= 0 && archive_write_close (packer.archive) != ARCHIVE_OK && rc == 0)
        rc = sq_error_set ("cannot write '%s': %s", archive_path,
                           archive_error_string (packer.archive));
    archive_write_free (packer.archive);
    if (fd >= 0 && close (fd) != 0 && rc == 0)
        rc = sq_error_set ("cannot write '%s': %s", archive_path, strerror (errno));
    if (rc && fd >= 0)
        unlink (archive_path);
    return rc;
}

//  ---------------------------------------------------------------------
//  Extraction

//  State of one extraction.
typedef struct {
    struct archive *archive;           //  the archive being read
    const char *path;                  //  its path, for errors
    int root;                          //  descriptor of the target directory
    const sq_archive_limits_t *limits; //  bounds
    int64_t bytes;                     //  file bytes written so far
} s_unpacker_t;

//  What kind of entry is refused, or NULL for a regular file or directory.
static const char *
s_refused_kind (struct archive_entry *entry)
{
    if (archive_entry_hardlink (entry))
        return "is a hard link";
    switch (archive_entry_filetype (entry)) {
    case AE_IFREG:
    case AE_IFDIR:
        return NULL;
    case AE_IFLNK:
        return "is a symbolic link";
    case AE_IFCHR:
    case AE_IFBLK:
        return "is a device";
    case AE_IFIFO:
        return "is a fifo";
    case AE_IFSOCK:
        return "is a socket";
    default:
        return "is of an unknown type";
    }
}

//  Splits name (a copy, changed in place) into components, dropping empty
//  and "." ones; their count in *count_p. NULL with why set when name is
//  absolute or holds "..".
static char **
s_components (char *name, size_t *count_p, const char **why_p)
{
    *count_p = 0;
    if (*name == '/') {
        *why_p = "has an absolute path";
        return NULL;
    }
    size_t slots = 1;
    for (const char *c = name; *c; c++)
        slots += *c == '/';
    char **parts = calloc (slots, sizeof (char *));
    if (!parts) {
        *why_p = "cannot be held: out of memory";
        return NULL;
    }
    char *save = NULL;
    for (char *part = strtok_r (name, "/", &save); part; part = strtok_r (NULL, "/", &save)) {
        if (strcmp (part, "..") == 0) {
            free (parts);
            *why_p = "has a '..' component";
            return NULL;
        }
        if (strcmp (part, ".") != 0)
            parts[(*count_p)++] = part;
    }
    return parts;
}

//  Opens (making it 0700 when missing) directory part under fd, never
//  through a link. The new descriptor, or -1 with errno set.
static int
s_enter (int fd, const char *part)
{
    if (mkdirat (fd, part, 0700) != 0 && errno != EEXIST)
        return -1;
    return openat (fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

//  Copy the current entry's data into fd, counting it against the limit.
//  0 or -1 with the error set.
static int
s_copy_data (s_unpacker_t *self, const char *name, int fd)
{
    char buffer[S_BLOCK];
    while (true) {
        la_ssize_t got = archive_read_data (self->archive, buffer, sizeof buffer);
        if (got == 0)
            return 0;
        if (got < 0)
            return sq_error_set ("package archive '%s' is corrupt or truncated at entry '%s': %s",
                                 self->path, name, archive_error_string (self->archive));
        self->bytes += got;
        if (self->bytes > self->limits->max_bytes)
            return sq_error_set ("package archive '%s' unpacks to more than %lld bytes "
                                 "(at entry '%s')",
                                 self->path, (long long) self->limits->max_bytes, name);
        for (la_ssize_t done = 0; done < got;) {
            ssize_t written = write (fd, buffer + done, (size_t) (got - done));
            if (written < 0 && errno == EINTR)
                continue;
            if (written < 0)
                return sq_error_set ("cannot unpack entry '%s' of package archive '%s': %s", name,
                                     self->path, strerror (errno));
            done += written;
        }
    }
}

//  Write one entry (its name already checked into parts) under the root.
//  0 or -1 with the error set.
static int
s_write_entry (s_unpacker_t *self, struct archive_entry *entry, const char *name, char **parts,
               size_t count)
{
    bool directory = archive_entry_filetype (entry) == AE_IFDIR;
    int fd = dup (self->root);
    size_t walk = directory ? count : count - 1;
    for (size_t i = 0; fd >= 0 && i < walk; i++) {
        int next = s_enter (fd, parts[i]);
        close (fd);
        fd = next;
    }
    if (fd < 0)
        return sq_error_set ("cannot unpack entry '%s' of package archive '%s': %s", name,
                             self->path,
                             errno == ENOTDIR || errno == ELOOP ? "a file of that name is in "
                                                                  "the way"
                                                                : strerror (errno));
    if (directory) {
        close (fd);
        return 0;
    }
    mode_t mode = archive_entry_perm (entry) & S_IXUSR ? 0700 : 0600;
    int file =
        openat (fd, parts[count - 1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    close (fd);
    if (file < 0)
        return sq_error_set ("cannot unpack entry '%s' of package archive '%s': %s", name,
                             self->path,
                             errno == EEXIST ? "it is in the archive twice" : strerror (errno));
    int rc = s_copy_data (self, name, file);
    if (close (file) != 0 && rc == 0)
        rc = sq_error_set ("cannot unpack entry '%s' of package archive '%s': %s", name, self->path,
                           strerror (errno));
    return rc;
}

//  Check and write the current entry. 0 or -1 with the error set.
static int
s_unpack_entry (s_unpacker_t *self, struct archive_entry *entry)
{
    const char *name = archive_entry_pathname (entry);
    if (!name || !*name)
        return sq_error_set ("package archive '%s' has an entry without a name", self->path);
    if (strlen (name) > SQ_ARCHIVE_MAX_NAME)
        return sq_error_set ("package archive '%s': entry '%.64s...' has a name longer than %d "
                             "bytes",
                             self->path, name, SQ_ARCHIVE_MAX_NAME);
    const char *why = s_refused_kind (entry);
    char *copy = why ? NULL : strdup (name);
    size_t count = 0;
    char **parts = copy ? s_components (copy, &count, &why) : NULL;
    if (!why && !copy)
        why = "cannot be held: out of memory";
    int rc = 0;
    if (why)
        rc = sq_error_set ("package archive '%s': entry '%s' %s; a package holds only regular "
                           "files and directories with relative names",
                           self->path, name, why);
    else if (count == 0 && archive_entry_filetype (entry) != AE_IFDIR)
        rc = sq_error_set ("package archive '%s': entry '%s' names no file", self->path, name);
    else if (count > 0)
        rc = s_write_entry (self, entry, name, parts, count);
    free (parts);
    free (copy);
    return rc;
}

int
sq_archive_extract (const char *archive_path, const char *dir, const sq_archive_limits_t *limits)
{
    assert (archive_path);
    assert (dir);
    sq_archive_limits_t defaults = sq_archive_default_limits ();
    s_unpacker_t self = {archive_read_new (), archive_path, -1, limits ? limits : &defaults, 0};
    if (!self.archive)
        return sq_error_set ("out of memory");
    int rc = 0;
    self.root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self.root < 0)
        rc = sq_error_set ("cannot unpack package archive '%s' into '%s': %s", archive_path, dir,
                           strerror (errno));
    else if (archive_read_support_filter_gzip (self.archive) != ARCHIVE_OK ||
             archive_read_support_format_tar (self.archive) != ARCHIVE_OK ||
             archive_read_support_format_zip (self.archive) != ARCHIVE_OK)
        rc = sq_error_set ("cannot read package archives: %s", archive_error_string (self.archive));
    else if (archive_read_open_filename (self.archive, archive_path, S_BLOCK) != ARCHIVE_OK)
        rc = sq_error_set ("package archive '%s' is not a tar, tar.gz or zip archive, or is "
                           "corrupt or truncated: %s",
                           archive_path, archive_error_string (self.archive));
    size_t entries = 0;
    char last[128] = ""; //  the last entry unpacked, for errors
    while (rc == 0) {
        struct archive_entry *entry;
        int status = archive_read_next_header (self.archive, &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN)
            rc = sq_error_set ("package archive '%s' is not a tar, tar.gz or zip archive, or is "
                               "corrupt or truncated%s%s%s: %s",
                               archive_path, entries ? " (after entry '" : "", last,
                               entries ? "')" : "", archive_error_string (self.archive));
        else if (++entries > self.limits->max_entries)
            rc =
                sq_error_set ("package archive '%s' has more than %zu entries (at entry '%s')",
                              archive_path, self.limits->max_entries,
                              archive_entry_pathname (entry) ? archive_entry_pathname (entry) : "");
        else
            rc = s_unpack_entry (&self, entry);
        if (rc == 0)
            snprintf (last, sizeof last, "%s", archive_entry_pathname (entry));
    }
    if (self.root >= 0)
        close (self.root);
    archive_read_free (self.archive);
    return rc;
}

//  Removes what the directory fd (taken) holds, walking by descriptor and
//  never through a link, so an entry swapped for a link meanwhile cannot
//  lead outside. 0, or -1 when something stayed.
static int
s_empty_dir (int fd)
{
    DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        const char *name = entry->d_name;
        if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
            continue;
        int child = openat (fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child >= 0) {
            if (s_empty_dir (child) || unlinkat (fd, name, AT_REMOVEDIR))
                rc = -1;
        } else if (unlinkat (fd, name, 0) != 0 && errno != ENOENT)
            rc = -1;
    }
    closedir (dir);
    return rc;
}

int
sq_archive_remove_tree (const char *path)
{
    if (!path)
        return 0;
    struct stat info;
    if (lstat (path, &info) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR (info.st_mode))
        return unlink (path) == 0 || errno == ENOENT ? 0 : -1;
    int rc = s_empty_dir (open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    return rc == 0 && rmdir (path) == 0 ? 0 : -1;
}
