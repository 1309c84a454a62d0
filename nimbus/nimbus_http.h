/*  nimbus_http - nimbus's HTTP server, libmicrohttpd run by nimbus's zloop

    Serves HTTP/1.1 on one address for Storm's UI REST API and /metrics
    (nimbus_rest). Every complete request is handed to one handler, on the
    thread of the loop, with its method, its raw path (still
    percent-encoded: the router decodes each segment itself, so an
    encoded "/" cannot split a segment), its query and its body; the
    handler fills a reply. storm-submit --local --ui-port serves a local
    run with it too (cli/submit_ui), on that process's own zloop.

    Limits against hostile peers (each a config key, doc/config.md): at
    most max_connections open connections (further ones are accepted and
    closed at once), connection_memory bytes per connection for the
    request line and headers (a longer URL or bigger headers get
    libmicrohttpd's own 414 or 431, with an HTML body), timeout_secs of
    silence before a connection is closed, and max_body bytes of request
    body (more gets 413 without the body being kept).

    DESIGN: libmicrohttpd runs without threads of its own, in its external
    event mode with epoll: the daemon keeps one epoll descriptor for its
    listening socket and every connection, and that one descriptor is
    polled by nimbus's zloop (zloop_poller). When it is readable, or when
    the timeout libmicrohttpd asks for is due (a one-shot zloop timer,
    re-armed after every run, at most a second away), the loop calls
    MHD_run, which reads, parses, calls the handler and writes without
    blocking. A run that closed connections is followed by another one at
    once: at its connection limit libmicrohttpd stops polling its
    listening socket and polls it again only at the start of a run, which
    nothing else would trigger (a test found nimbus deaf for good after
    more idle connections than the limit came and went). So the
    handler reads nimbus's state on nimbus's own thread, with no locks,
    and a slow or silent peer costs one descriptor and a little memory,
    never a blocked loop.
*/
#ifndef NIMBUS_HTTP_H_INCLUDED
#define NIMBUS_HTTP_H_INCLUDED

#include <czmq.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _nimbus_http_t nimbus_http_t;

//  Where to listen and how much a peer may use.
typedef struct {
    const char *host;         //  address or host name to bind (e.g. 127.0.0.1)
    int port;                 //  port to bind; 0 picks a free one
    unsigned max_connections; //  most connections open at once
    size_t connection_memory; //  bytes per connection for request line and headers
    unsigned timeout_secs;    //  seconds of silence before a connection is closed
    size_t max_body;          //  largest request body accepted, in bytes
} nimbus_http_options_t;

//  One complete request, as the handler sees it. Borrowed for the call.
typedef struct _nimbus_http_request_t nimbus_http_request_t;

//  What the handler answers; nimbus_http_reply_* fill it.
typedef struct {
    int status;                  //  HTTP status code
    char *body;                  //  body (malloc'ed; the server frees it)
    size_t size;                 //  bytes in body
    const char *content_type;    //  static string, e.g. "application/json"
    const char *allow;           //  static Allow header for a 405, or NULL
    const char *cache_control;   //  Cache-Control (static), or NULL for no-store
    const char *etag;            //  ETag header (outlives the call), or NULL
    const char *security_policy; //  Content-Security-Policy (static), or NULL
} nimbus_http_reply_t;

//  Answer request into reply (which comes zeroed). Called on the loop's
//  thread; must not block.
typedef void (nimbus_http_handler_fn) (const nimbus_http_request_t *request,
                                       nimbus_http_reply_t *reply, void *arg);

//  Listen on options->host:port and serve on loop (borrowed: it must
//  outlive the server), calling handler with arg for each request. NULL
//  with sq_last_error() set when the address cannot be used. Caller owns.
nimbus_http_t *nimbus_http_new (const nimbus_http_options_t *options, zloop_t *loop,
                                nimbus_http_handler_fn *handler, void *arg);
//  Close every connection and the listening socket and free; NULL-safe;
//  nulls the caller's pointer.
void nimbus_http_destroy (nimbus_http_t **self_p);
//  The port listened on (the one picked, when options gave 0).
int nimbus_http_port (nimbus_http_t *self);
//  Requests answered so far (by the handler or with 413).
uint64_t nimbus_http_requests (nimbus_http_t *self);

//  The request's method ("GET", "POST", ...). Borrowed.
const char *nimbus_http_request_method (const nimbus_http_request_t *request);
//  Its path, without the query, still percent-encoded. Borrowed.
const char *nimbus_http_request_path (const nimbus_http_request_t *request);
//  The raw (percent-encoded) value of query parameter key: NULL when the
//  query has no such key or gives it no value ("?sys"). Borrowed.
const char *nimbus_http_request_query (const nimbus_http_request_t *request, const char *key);
//  The value of its header name (case-insensitive); NULL when it has
//  none. Borrowed.
const char *nimbus_http_request_header (const nimbus_http_request_t *request, const char *name);
//  Its body and its size in *size_p (NULL and 0 when it has none). The
//  body ends with a NUL byte not counted in the size. Borrowed.
const char *nimbus_http_request_body (const nimbus_http_request_t *request, size_t *size_p);

//  Reply status with the JSON value (taken; nulls the caller's pointer) as
//  body, "application/json". When json is NULL or cannot be encoded, the
//  reply becomes 500 with a JSON error.
void nimbus_http_reply_json (nimbus_http_reply_t *reply, int status, json_t **json_p);
//  Reply status with text (copied) as body of content_type (static).
void nimbus_http_reply_text (nimbus_http_reply_t *reply, int status, const char *content_type,
                             const char *text, size_t size);

#endif
