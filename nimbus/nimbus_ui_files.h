/*  nimbus_ui_files - the web UI's static files, read once, served from memory

    Nimbus serves its web UI (nimbus/ui/, installed in $(pkgdatadir)/ui,
    config key ui.dir) from the HTTP server that serves the REST API. At
    start nimbus_ui_files_new reads the directory once: every regular file
    whose name is made of letters, digits, '-', '_' and '.' (not first),
    with a known extension (.html .css .js .svg .png .ico .txt .json), is
    kept in memory with its Content-Type and an ETag (the first 16 hex
    digits of its SHA-256); anything else (subdirectories, symbolic links,
    hidden files, other names) is left out and logged. At most
    NIMBUS_UI_FILES_MAX files of NIMBUS_UI_FILES_MAX_BYTES in all.

    The pages' links to the other files ("/ui/common.js") are rewritten
    once, at load, to name their version ("/ui/common.js?v=<the file's
    ETag digits>"): such an address always means the same bytes, so it is
    cached for a year and a warm page load asks nothing for its scripts
    and styles, while the pages themselves (and any unversioned address)
    are revalidated on every load, so a new nimbus/ui takes effect at
    once.

    A request is answered from that list only: its raw path is compared
    with the names kept, never joined to the directory, so no path a peer
    sends can reach another file ("..", "%2e%2e", "%2F" and the like
    simply match no name). The paths served are "/" (index.html),
    "/topology.html", "/component.html" (and any other page kept, at the
    root) and "/ui/<name>" for every file kept; the rest of the server's
    paths (/api/v1/..., /metrics) are not this class's.
*/
#ifndef NIMBUS_UI_FILES_H_INCLUDED
#define NIMBUS_UI_FILES_H_INCLUDED

#include "nimbus_http.h"

#include <stdbool.h>
#include <stddef.h>

#define NIMBUS_UI_FILES_MAX 64              //  most files kept
#define NIMBUS_UI_FILES_MAX_BYTES (4 << 20) //  most bytes kept, all files together
#define NIMBUS_UI_FILES_MAX_NAME 64         //  longest file name kept
#define NIMBUS_UI_FILES_CACHE "no-cache"    //  Cache-Control: revalidate with the ETag
#define NIMBUS_UI_FILES_CACHE_VERSION "public, max-age=31536000, immutable" //  ?v=<current>
#define NIMBUS_UI_FILES_POLICY                                                                     \
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "               \
    "frame-ancestors 'none'; form-action 'none'"

typedef struct _nimbus_ui_files_t nimbus_ui_files_t;

//  Read the files of directory dir. NULL with sq_last_error() set when dir
//  cannot be read, holds no index.html, or its files pass the limits.
//  Files left out are logged once each. Caller owns.
nimbus_ui_files_t *nimbus_ui_files_new (const char *dir);
//  Free; NULL-safe; nulls the caller's pointer.
void nimbus_ui_files_destroy (nimbus_ui_files_t **self_p);
//  Files kept.
size_t nimbus_ui_files_count (nimbus_ui_files_t *self);
//  Bytes kept, all files together.
size_t nimbus_ui_files_bytes (nimbus_ui_files_t *self);

//  Whether path (raw, without the query) is one of the UI's paths: "/",
//  a page at the root ("/topology.html", ...) or anything under "/ui/".
//  The server routes the other paths to the REST API.
bool nimbus_ui_files_claims (nimbus_ui_files_t *self, const char *path);

//  Answer a request for a path this class claims into reply: 200 with the
//  file, its Content-Type, Cache-Control and ETag; 304 with no body when
//  if_none_match (the If-None-Match header, or NULL) names its ETag; 404
//  when no file kept has that name; 405 (Allow: GET, HEAD) for a method
//  other than GET or HEAD. version is the request's v parameter (or
//  NULL): when it is the file's current version (its ETag's digits, as
//  the pages' links carry it) the answer may be cached for a year, else
//  it must be revalidated (no-cache). Returns the status.
int nimbus_ui_files_answer (nimbus_ui_files_t *self, const char *method, const char *path,
                            const char *version, const char *if_none_match,
                            nimbus_http_reply_t *reply);

//  What an HTTP server calls first: when self (may be NULL: no UI) claims
//  the request's path, answer it into reply (nimbus_ui_files_answer, with
//  the request's v parameter and If-None-Match header) and return true;
//  else false, and the server routes the request on.
bool nimbus_ui_files_serve (nimbus_ui_files_t *self, const nimbus_http_request_t *request,
                            nimbus_http_reply_t *reply);

#endif
