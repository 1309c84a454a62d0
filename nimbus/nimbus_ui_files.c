/*  nimbus_ui_files - the web UI's static files, read once, served from memory */
#include "nimbus_ui_files.h"
#include "sq_error.h"
#include "sq_sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ETAG_DIGITS 16 //  hex digits of the SHA-256 in an ETag

//  One file kept.
typedef struct {
    char name[NIMBUS_UI_FILES_MAX_NAME + 1]; //  its name in the directory
    const char *content_type;                //  static Content-Type
    bool page;                               //  an .html page, also served at the root
    char *data;                              //  its bytes
    size_t size;                             //  bytes in data
    char etag[S_ETAG_DIGITS + 3];            //  "\"<16 hex digits>\""
} s_file_t;

struct _nimbus_ui_files_t {
    s_file_t files[NIMBUS_UI_FILES_MAX]; //  the files kept, in no order
    size_t count;                        //  files in use
    size_t bytes;                        //  their bytes, all together
};

//  The Content-Type of a file name's extension; NULL when not served.
static const char *
s_content_type (const char *name)
{
    static const struct {
        const char *extension;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".json", "application/json"},
    };
    const char *dot = strrchr (name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp (dot, types[i].extension) == 0)
            return types[i].type;
    return NULL;
}

//  Whether name may be kept: 1 to NIMBUS_UI_FILES_MAX_NAME of [A-Za-z0-9._-],
//  not starting with '.'.
static bool
s_name_allowed (const char *name)
{
    size_t length = strlen (name);
    if (length == 0 || length > NIMBUS_UI_FILES_MAX_NAME || name[0] == '.')
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '-' || c == '_';
        if (!plain)
            return false;
    }
    return true;
}

//  The file's ETag from its bytes.
static void
s_set_etag (s_file_t *file)
{
    char hex[SQ_SHA256_HEX_SIZE];
    sq_sha256_hex (file->data, file->size, hex);
    snprintf (file->etag, sizeof file->etag, "\"%.*s\"", S_ETAG_DIGITS, hex);
}

//  Read the regular file name of the directory open as dir_fd into file.
//  Returns 0, 1 when the file is not a regular one (left out), or -1
//  with sq_last_error() set. budget is the bytes still allowed.
static int
s_read (int dir_fd, const char *name, size_t budget, s_file_t *file)
{
    //  O_NOFOLLOW: a symbolic link is not opened; fstat then checks the
    //  very file read is a regular one.
    int fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ELOOP ? 1 : sq_error_set ("%s: %s", name, strerror (errno));
    struct stat info;
    if (fstat (fd, &info) || !S_ISREG (info.st_mode)) {
        close (fd);
        return 1;
    }
    if ((uint64_t) info.st_size > budget) {
        close (fd);
        return sq_error_set ("%s: the UI's files pass %d bytes", name, NIMBUS_UI_FILES_MAX_BYTES);
    }
    size_t size = (size_t) info.st_size;
    char *data = malloc (size + 1);
    if (!data) {
        close (fd);
        return sq_error_set ("%s: out of memory", name);
    }
    size_t done = 0;
    while (done < size) {
        ssize_t got = read (fd, data + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += (size_t) got;
    }
    close (fd);
    if (done != size) {
        free (data);
        return sq_error_set ("%s: read %zu of %zu bytes", name, done, size);
    }
    data[size] = 0;
    snprintf (file->name, sizeof file->name, "%s", name);
    file->data = data;
    file->size = size;
    s_set_etag (file);
    return 0;
}

static const s_file_t *s_lookup (nimbus_ui_files_t *self, const char *name);

//  The length of the name of a kept file (not a page: pages change here)
//  that text starts with, followed by a '"'; 0 when text does not start so.
static size_t
s_linked_name (nimbus_ui_files_t *self, const char *text)
{
    char name[NIMBUS_UI_FILES_MAX_NAME + 1];
    size_t length = 0;
    while (length < NIMBUS_UI_FILES_MAX_NAME && text[length] && text[length] != '"') {
        name[length] = text[length];
        length++;
    }
    if (length == 0 || text[length] != '"')
        return 0;
    name[length] = 0;
    const s_file_t *file = s_lookup (self, name);
    return file && !file->page ? length : 0;
}

//  Point every "/ui/<name>" of a page that names a kept file at that
//  file's version, "/ui/<name>?v=<its ETag's digits>", and give the page
//  its new ETag. Returns 0, or -1 with sq_last_error() set when the pages
//  grow past the budget or memory runs out.
static int
s_version_links (nimbus_ui_files_t *self, s_file_t *page)
{
    static const char prefix[] = "\"/ui/";
    size_t links = 0;
    for (const char *at = strstr (page->data, prefix); at; at = strstr (at + 1, prefix))
        if (s_linked_name (self, at + strlen (prefix)))
            links++;
    if (links == 0)
        return 0;
    size_t growth = links * (3 + S_ETAG_DIGITS); //  "?v=" and the digits
    if (self->bytes + growth > NIMBUS_UI_FILES_MAX_BYTES)
        return sq_error_set ("%s: the UI's files pass %d bytes", page->name,
                             NIMBUS_UI_FILES_MAX_BYTES);
    char *data = malloc (page->size + growth + 1);
    if (!data)
        return sq_error_set ("%s: out of memory", page->name);
    size_t size = 0;
    const char *from = page->data;
    for (const char *at = strstr (from, prefix); at; at = strstr (at + 1, prefix)) {
        size_t length = s_linked_name (self, at + strlen (prefix));
        if (!length)
            continue;
        const char *end = at + strlen (prefix) + length;
        memcpy (data + size, from, (size_t) (end - from));
        size += (size_t) (end - from);
        //  The linked file's ETag without its quotes.
        char name[NIMBUS_UI_FILES_MAX_NAME + 1];
        memcpy (name, at + strlen (prefix), length);
        name[length] = 0;
        const s_file_t *file = s_lookup (self, name);
        size += (size_t) sprintf (data + size, "?v=%.*s", S_ETAG_DIGITS, file->etag + 1);
        from = end;
    }
    size_t rest = page->size - (size_t) (from - page->data);
    memcpy (data + size, from, rest);
    size += rest;
    data[size] = 0;
    free (page->data);
    page->data = data;
    self->bytes += size - page->size;
    page->size = size;
    s_set_etag (page);
    return 0;
}

nimbus_ui_files_t *
nimbus_ui_files_new (const char *dir)
{
    assert (dir);
    int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        sq_error_set ("ui.dir %s: %s", dir, strerror (errno));
        return NULL;
    }
    DIR *listing = fdopendir (dir_fd);
    if (!listing) {
        sq_error_set ("ui.dir %s: %s", dir, strerror (errno));
        close (dir_fd);
        return NULL;
    }
    nimbus_ui_files_t *self = calloc (1, sizeof (nimbus_ui_files_t));
    if (!self) {
        sq_error_set ("out of memory");
        closedir (listing);
        return NULL;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (listing))) {
        const char *name = entry->d_name;
        if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
            continue;
        const char *type = s_content_type (name);
        if (!s_name_allowed (name) || !type) {
            zsys_warning ("ui.dir %s: not serving '%s' (name or type not served)", dir, name);
            continue;
        }
        if (self->count == NIMBUS_UI_FILES_MAX) {
            rc = sq_error_set ("ui.dir %s: more than %d files", dir, NIMBUS_UI_FILES_MAX);
            break;
        }
        s_file_t *file = &self->files[self->count];
        int read_rc = s_read (dir_fd, name, NIMBUS_UI_FILES_MAX_BYTES - self->bytes, file);
        if (read_rc < 0)
            rc = -1;
        else if (read_rc > 0)
            zsys_warning ("ui.dir %s: not serving '%s' (not a regular file)", dir, name);
        else {
            file->content_type = type;
            file->page = strcmp (strrchr (name, '.'), ".html") == 0;
            self->bytes += file->size;
            self->count++;
        }
    }
    closedir (listing); //  closes dir_fd
    //  Pages last: their links name the other files' final versions.
    for (size_t i = 0; rc == 0 && i < self->count; i++)
        if (self->files[i].page)
            rc = s_version_links (self, &self->files[i]);
    if (rc == 0 && !nimbus_ui_files_claims (self, "/index.html"))
        rc = sq_error_set ("ui.dir %s: no index.html", dir);
    if (rc)
        nimbus_ui_files_destroy (&self);
    return self;
}

void
nimbus_ui_files_destroy (nimbus_ui_files_t **self_p)
{
    assert (self_p);
    nimbus_ui_files_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free (self->files[i].data);
    free (self);
    *self_p = NULL;
}

size_t
nimbus_ui_files_count (nimbus_ui_files_t *self)
{
    assert (self);
    return self->count;
}

size_t
nimbus_ui_files_bytes (nimbus_ui_files_t *self)
{
    assert (self);
    return self->bytes;
}

//  The file kept under exactly name; NULL when none.
static const s_file_t *
s_lookup (nimbus_ui_files_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->files[i].name, name) == 0)
            return &self->files[i];
    return NULL;
}

//  The file path names, compared as it came (never decoded, never
//  joined to a directory); NULL when it names none.
static const s_file_t *
s_file_of (nimbus_ui_files_t *self, const char *path)
{
    if (strcmp (path, "/") == 0)
        return s_lookup (self, "index.html");
    if (strncmp (path, "/ui/", 4) == 0)
        return s_lookup (self, path + 4);
    const s_file_t *file = path[0] == '/' ? s_lookup (self, path + 1) : NULL;
    return file && file->page ? file : NULL;
}

bool
nimbus_ui_files_claims (nimbus_ui_files_t *self, const char *path)
{
    assert (self && path);
    return strcmp (path, "/ui") == 0 || strncmp (path, "/ui/", 4) == 0 ||
           s_file_of (self, path) != NULL;
}

//  Whether the If-None-Match header names etag ("*", or a list of tags,
//  weak ones too, separated by commas).
static bool
s_etag_matches (const char *header, const char *etag)
{
    if (!header)
        return false;
    size_t length = strlen (etag);
    const char *cursor = header;
    while (*cursor) {
        while (*cursor == ' ' || *cursor == '\t' || *cursor == ',')
            cursor++;
        if (*cursor == '*')
            return true;
        if (strncmp (cursor, "W/", 2) == 0)
            cursor += 2;
        if (strncmp (cursor, etag, length) == 0 &&
            (cursor[length] == 0 || cursor[length] == ',' || cursor[length] == ' ' ||
             cursor[length] == '\t'))
            return true;
        while (*cursor && *cursor != ',')
            cursor++;
    }
    return false;
}

int
nimbus_ui_files_answer (nimbus_ui_files_t *self, const char *method, const char *path,
                        const char *version, const char *if_none_match, nimbus_http_reply_t *reply)
{
    assert (self && method && path && reply);
    const char *text_type = "text/plain; charset=utf-8";
    const s_file_t *file = s_file_of (self, path);
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
        const char *text = "405 Method Not Allowed: the UI's files take GET and HEAD\n";
        nimbus_http_reply_text (reply, 405, text_type, text, strlen (text));
        reply->allow = "GET, HEAD";
        return reply->status;
    }
    if (!file) {
        const char *text = "404 Not Found: no such file in the UI\n";
        nimbus_http_reply_text (reply, 404, text_type, text, strlen (text));
        return reply->status;
    }
    if (s_etag_matches (if_none_match, file->etag))
        nimbus_http_reply_text (reply, 304, file->content_type, "", 0);
    else
        nimbus_http_reply_text (reply, 200, file->content_type, file->data, file->size);
    if (reply->status == 200 || reply->status == 304) {
        reply->etag = file->etag;
        //  The address of this very version may be cached for good.
        bool current = version && strlen (version) == S_ETAG_DIGITS &&
                       strncmp (version, file->etag + 1, S_ETAG_DIGITS) == 0;
        reply->cache_control = current ? NIMBUS_UI_FILES_CACHE_VERSION : NIMBUS_UI_FILES_CACHE;
        if (file->page)
            reply->security_policy = NIMBUS_UI_FILES_POLICY;
    }
    return reply->status;
}

bool
nimbus_ui_files_serve (nimbus_ui_files_t *self, const nimbus_http_request_t *request,
                       nimbus_http_reply_t *reply)
{
    assert (request && reply);
    const char *path = nimbus_http_request_path (request);
    if (!self || !nimbus_ui_files_claims (self, path))
        return false;
    nimbus_ui_files_answer (self, nimbus_http_request_method (request), path,
                            nimbus_http_request_query (request, "v"),
                            nimbus_http_request_header (request, "If-None-Match"), reply);
    return true;
}
