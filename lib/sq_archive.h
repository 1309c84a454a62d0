/*  sq_archive - topology package archives: pack a directory, unpack safely

    A package archive (doc/packages.md) is a tar, gzip-compressed tar or
    zip file holding a package directory: one shared object and an
    optional resources/ folder. storm-submit packs a directory into a
    .tar.gz before upload; nimbus's validator, the supervisors, workers and
    local mode unpack it with libarchive.

    DESIGN: an archive comes from a stranger, so unpacking trusts none of
    it. Only regular files and directories are written; an entry that is a
    symbolic or hard link, a device, a fifo or a socket, whose name is
    absolute or holds a '..' component, or that repeats an earlier file
    stops the extraction with one error naming the archive and the entry.
    Each name is walked one component at a time from a descriptor of the
    target directory (openat with O_NOFOLLOW), so nothing is created
    outside it. The entry count and the bytes of file data are bounded
    (sq_archive_limits_t); the data bytes are counted as they are read,
    not taken from the headers. Directories are made 0700, files 0600, or
    0700 when the archive marks them executable by their owner.
*/
#ifndef SQ_ARCHIVE_H_INCLUDED
#define SQ_ARCHIVE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Default bounds of one extraction (doc/packages.md).
#define SQ_ARCHIVE_MAX_BYTES (1024LL * 1024 * 1024) //  bytes of file data
#define SQ_ARCHIVE_MAX_ENTRIES 10000                //  files and directories
#define SQ_ARCHIVE_MAX_NAME 1024                    //  longest entry name, in bytes

//  What one extraction may write.
typedef struct {
    int64_t max_bytes;  //  most bytes of file data in all entries
    size_t max_entries; //  most entries (files and directories)
} sq_archive_limits_t;

//  The default limits (SQ_ARCHIVE_MAX_BYTES, SQ_ARCHIVE_MAX_ENTRIES).
sq_archive_limits_t sq_archive_default_limits (void);
//  True when the file at path starts like an archive sq_archive_extract
//  reads: gzip, zip or (at offset 257) tar's "ustar" magic. Says nothing
//  of the rest of the file.
bool sq_archive_probe (const char *path);
//  Pack the regular files and directories under dir into a gzip-compressed
//  tar at archive_path (created 0600, replaced if it exists), with names
//  relative to dir, in sorted order and with zero times, so the same tree
//  packs to the same bytes. A symbolic link or other special file under
//  dir, or more than the default limits, is refused. Returns 0, or -1 with
//  sq_last_error() set (and no archive left behind).
int sq_archive_pack (const char *dir, const char *archive_path);
//  Unpack the archive at archive_path into dir, an existing directory
//  (normally new and empty), within limits (NULL: the defaults). Returns
//  0, or -1 with sq_last_error() naming the archive and, where one is to
//  blame, the entry; dir may then hold part of the archive (remove it
//  with sq_archive_remove_tree), but nothing outside dir was written.
int sq_archive_extract (const char *archive_path, const char *dir,
                        const sq_archive_limits_t *limits);
//  Remove path and, when it is a directory, everything beneath it, walking
//  by descriptor (openat, O_NOFOLLOW) so that no symbolic link is
//  followed, even one swapped in during the walk. 0, or -1 when something
//  stayed. NULL-safe.
int sq_archive_remove_tree (const char *path);

#endif
