/*  nimbus_http - nimbus's HTTP server, libmicrohttpd run by nimbus's zloop */
#include "nimbus_http.h"
#include "sq_error.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#define S_RUNS_PER_WAKE 16  //  most MHD_run calls in one wake of the loop
#define S_MAX_TIMER_MS 1000 //  longest wait between two runs of the daemon
#define S_LOG_LIMIT 10      //  most libmicrohttpd messages logged in one second
#define S_OUT_OF_MEMORY                                                                            \
    "{\"error\":\"500 Internal Server Error\",\"errorMessage\":\"out of memory\"}"

struct _nimbus_http_t {
    struct MHD_Daemon *daemon;       //  libmicrohttpd, in external epoll mode
    zloop_t *loop;                   //  nimbus's loop (borrowed)
    zmq_pollitem_t item;             //  the daemon's epoll descriptor, polled by loop
    bool polling;                    //  item is registered with loop
    int timer_id;                    //  the one-shot timer of the daemon's timeout, or -1
    nimbus_http_handler_fn *handler; //  answers requests
    void *arg;                       //  the handler's argument
    size_t max_body;                 //  largest body accepted
    int port;                        //  port listened on
    uint64_t requests;               //  requests answered
    int64_t log_second;              //  the second log_count counts in
    uint64_t log_count;              //  messages of libmicrohttpd in that second
    uint64_t log_dropped;            //  those of them not logged
};

//  What libmicrohttpd keeps per request between the calls of s_on_access.
struct _nimbus_http_request_t {
    struct MHD_Connection *connection; //  the request's connection
    const char *method;                //  its method (libmicrohttpd's)
    const char *path;                  //  its path (libmicrohttpd's, not unescaped)
    char *body;                        //  body received so far, NUL-terminated
    size_t size;                       //  bytes in body
    bool too_large;                    //  the body outgrew max_body: answer 413
};

static void s_arm_timer (nimbus_http_t *self);

//  ---------------------------------------------------------------------
//  Replies

void
nimbus_http_reply_text (nimbus_http_reply_t *reply, int status, const char *content_type,
                        const char *text, size_t size)
{
    assert (reply && content_type && (text || size == 0));
    free (reply->body);
    reply->body = malloc (size + 1);
    if (!reply->body) {
        reply->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        reply->size = 0;
        reply->content_type = "application/json";
        return;
    }
    if (size)
        memcpy (reply->body, text, size);
    reply->body[size] = 0;
    reply->size = size;
    reply->status = status;
    reply->content_type = content_type;
}

void
nimbus_http_reply_json (nimbus_http_reply_t *reply, int status, json_t **json_p)
{
    assert (reply && json_p);
    char *text = *json_p ? json_dumps (*json_p, JSON_COMPACT) : NULL;
    json_decref (*json_p);
    *json_p = NULL;
    free (reply->body);
    reply->body = text;
    reply->size = text ? strlen (text) : 0;
    reply->status = text ? status : MHD_HTTP_INTERNAL_SERVER_ERROR;
    reply->content_type = "application/json";
    if (!text)
        nimbus_http_reply_text (reply, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json",
                                S_OUT_OF_MEMORY, strlen (S_OUT_OF_MEMORY));
}

//  Queue reply on connection; takes its body.
static enum MHD_Result
s_queue (struct MHD_Connection *connection, nimbus_http_reply_t *reply)
{
    if (!reply->body) {
        //  A handler that answered nothing: a bug, answered as one.
        nimbus_http_reply_text (reply, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json",
                                S_OUT_OF_MEMORY, strlen (S_OUT_OF_MEMORY));
        if (!reply->body)
            return MHD_NO;
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer (reply->size, reply->body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (reply->body);
        return MHD_NO;
    }
    reply->body = NULL;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             reply->content_type ? reply->content_type : "application/json");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             reply->cache_control ? reply->cache_control : "no-store");
    MHD_add_response_header (response, MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff");
    if (reply->etag)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ETAG, reply->etag);
    if (reply->security_policy)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY,
                                 reply->security_policy);
    if (reply->allow)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, reply->allow);
    enum MHD_Result rc = MHD_queue_response (connection, (unsigned) reply->status, response);
    MHD_destroy_response (response);
    return rc;
}

//  413 for a body over the limit.
static enum MHD_Result
s_too_large (nimbus_http_t *self, struct MHD_Connection *connection)
{
    nimbus_http_reply_t reply = {0};
    char *text = zsys_sprintf ("{\"error\":\"413 Content Too Large\",\"errorMessage\":\"the "
                               "request body is larger than %zu bytes (ui.max.request.bytes)\"}",
                               self->max_body);
    if (text)
        nimbus_http_reply_text (&reply, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", text,
                                strlen (text));
    zstr_free (&text);
    self->requests++;
    return s_queue (connection, &reply);
}

//  ---------------------------------------------------------------------
//  libmicrohttpd's callbacks

//  Called by libmicrohttpd with the request's headers first (*state_p is
//  NULL), then with each piece of body, then once more with none.
static enum MHD_Result
s_on_access (void *arg, struct MHD_Connection *connection, const char *url, const char *method,
             const char *version, const char *upload_data, size_t *upload_data_size, void **state_p)
{
    nimbus_http_t *self = arg;
    nimbus_http_request_t *request = *state_p;
    if (!request) {
        //  Refuse a body announced too large before it comes.
        const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull (length, NULL, 10) > self->max_body)
            return s_too_large (self, connection);
        request = calloc (1, sizeof (nimbus_http_request_t));
        if (!request)
            return MHD_NO;
        request->connection = connection;
        request->method = method;
        request->path = url;
        *state_p = request;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t piece = *upload_data_size;
        *upload_data_size = 0;
        if (request->too_large || request->size + piece > self->max_body) {
            request->too_large = true;
            return MHD_YES;
        }
        char *body = realloc (request->body, request->size + piece + 1);
        if (!body)
            return MHD_NO;
        memcpy (body + request->size, upload_data, piece);
        request->body = body;
        request->size += piece;
        request->body[request->size] = 0;
        return MHD_YES;
    }
    if (request->too_large)
        return s_too_large (self, connection);
    nimbus_http_reply_t reply = {0};
    self->handler (request, &reply, self->arg);
    self->requests++;
    return s_queue (connection, &reply);
}

//  A request ended (answered, or its connection went): free its state.
static void
s_on_completed (void *arg, struct MHD_Connection *connection, void **state_p,
                enum MHD_RequestTerminationCode code)
{
    nimbus_http_request_t *request = *state_p;
    if (request) {
        free (request->body);
        free (request);
        *state_p = NULL;
    }
}

//  Keep the path and query as they came: nimbus_rest decodes them, one
//  segment at a time.
static size_t
s_no_unescape (void *arg, struct MHD_Connection *connection, char *text)
{
    return strlen (text);
}

//  Log libmicrohttpd's messages (one per malformed request, say): one
//  line each, but at most S_LOG_LIMIT a second, so that a hostile peer
//  cannot flood the log.
static void
s_on_log (void *arg, const char *format, va_list args)
{
    nimbus_http_t *self = arg;
    int64_t second = zclock_mono () / 1000;
    if (second != self->log_second) {
        if (self->log_dropped)
            zsys_warning ("ui: %llu more messages were not logged",
                          (unsigned long long) self->log_dropped);
        self->log_second = second;
        self->log_count = 0;
        self->log_dropped = 0;
    }
    if (self->log_count++ >= S_LOG_LIMIT) {
        self->log_dropped++;
        return;
    }
    char line[512];
    vsnprintf (line, sizeof line, format, args);
    size_t length = strlen (line);
    while (length > 0 && line[length - 1] == '\n')
        line[--length] = 0;
    zsys_warning ("ui: %s", line);
}

//  ---------------------------------------------------------------------
//  The loop

//  Connections the daemon holds now.
static unsigned
s_connections (nimbus_http_t *self)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

//  Let libmicrohttpd work until it has nothing ready, then arm its timer.
//  A run that closed connections is followed by another: at the
//  connection limit the daemon stops polling its listening socket, and it
//  polls it again only at the start of its next run.
static void
s_run (nimbus_http_t *self)
{
    for (int run = 0; run < S_RUNS_PER_WAKE; run++) {
        unsigned before = s_connections (self);
        MHD_run (self->daemon);
        MHD_UNSIGNED_LONG_LONG timeout;
        if (s_connections (self) >= before &&
            (MHD_get_timeout (self->daemon, &timeout) != MHD_YES || timeout > 0))
            break;
    }
    s_arm_timer (self);
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    nimbus_http_t *self = arg;
    self->timer_id = -1; //  one-shot: zloop drops it
    s_run (self);
    return 0;
}

//  Arm a one-shot timer for the timeout libmicrohttpd asks for, and at
//  most S_MAX_TIMER_MS away even when it asks for none, so that a state
//  the daemon leaves without a wakeup (see s_run) lasts a second at most.
static void
s_arm_timer (nimbus_http_t *self)
{
    if (self->timer_id >= 0) {
        zloop_timer_end (self->loop, self->timer_id);
        self->timer_id = -1;
    }
    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES)
        timeout = S_MAX_TIMER_MS;
    size_t wait_ms = timeout < 1 ? 1 : timeout > S_MAX_TIMER_MS ? S_MAX_TIMER_MS : (size_t) timeout;
    self->timer_id = zloop_timer (self->loop, wait_ms, 1, s_on_timer, self);
}

static int
s_on_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_run ((nimbus_http_t *) arg);
    return 0;
}

//  ---------------------------------------------------------------------
//  Construction

//  The address of host:port into *address (of *length_p bytes), IPv4
//  preferred. Returns 0, or -1 with sq_last_error() set.
static int
s_resolve (const char *host, int port, struct sockaddr_storage *address, socklen_t *length_p)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char service[16];
    snprintf (service, sizeof service, "%d", port);
    struct addrinfo *found = NULL;
    int rc = getaddrinfo (host, service, &hints, &found);
    if (rc != 0)
        return sq_error_set ("host '%s': %s", host, gai_strerror (rc));
    const struct addrinfo *pick = found;
    for (const struct addrinfo *info = found; info; info = info->ai_next)
        if (info->ai_family == AF_INET) {
            pick = info;
            break;
        }
    memcpy (address, pick->ai_addr, pick->ai_addrlen);
    *length_p = pick->ai_addrlen;
    freeaddrinfo (found);
    return 0;
}

nimbus_http_t *
nimbus_http_new (const nimbus_http_options_t *options, zloop_t *loop,
                 nimbus_http_handler_fn *handler, void *arg)
{
    assert (options && options->host && loop && handler);
    if (options->port < 0 || options->port > 65535) {
        sq_error_set ("%d is not a port", options->port);
        return NULL;
    }
    struct sockaddr_storage address;
    socklen_t length;
    if (s_resolve (options->host, options->port, &address, &length))
        return NULL;
    nimbus_http_t *self = calloc (1, sizeof (nimbus_http_t));
    if (!self) {
        sq_error_set ("out of memory");
        return NULL;
    }
    self->loop = loop;
    self->handler = handler;
    self->arg = arg;
    self->max_body = options->max_body;
    self->timer_id = -1;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (address.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->daemon = MHD_start_daemon (
        flags, (uint16_t) options->port, NULL, NULL, s_on_access, self, MHD_OPTION_EXTERNAL_LOGGER,
        s_on_log, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned) 1, MHD_OPTION_CONNECTION_LIMIT,
        options->max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT, options->connection_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, options->timeout_secs, MHD_OPTION_NOTIFY_COMPLETED,
        s_on_completed, self, MHD_OPTION_UNESCAPE_CALLBACK, s_no_unescape, self, MHD_OPTION_END);
    if (!self->daemon) {
        sq_error_set ("cannot listen on %s:%d for HTTP: %s", options->host, options->port,
                      strerror (errno));
        nimbus_http_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *epoll =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    const union MHD_DaemonInfo *port =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = port ? port->port : options->port;
    self->item = (zmq_pollitem_t){NULL, epoll ? epoll->epoll_fd : -1, ZMQ_POLLIN, 0};
    if (!epoll || zloop_poller (loop, &self->item, s_on_ready, self)) {
        sq_error_set ("cannot poll the HTTP server from the loop");
        nimbus_http_destroy (&self);
        return NULL;
    }
    self->polling = true;
    s_arm_timer (self);
    return self;
}

void
nimbus_http_destroy (nimbus_http_t **self_p)
{
    assert (self_p);
    nimbus_http_t *self = *self_p;
    if (!self)
        return;
    if (self->timer_id >= 0)
        zloop_timer_end (self->loop, self->timer_id);
    if (self->polling)
        zloop_poller_end (self->loop, &self->item);
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}

int
nimbus_http_port (nimbus_http_t *self)
{
    assert (self);
    return self->port;
}

uint64_t
nimbus_http_requests (nimbus_http_t *self)
{
    assert (self);
    return self->requests;
}

//  ---------------------------------------------------------------------
//  Requests

const char *
nimbus_http_request_method (const nimbus_http_request_t *request)
{
    assert (request);
    return request->method;
}

const char *
nimbus_http_request_path (const nimbus_http_request_t *request)
{
    assert (request);
    return request->path;
}

const char *
nimbus_http_request_query (const nimbus_http_request_t *request, const char *key)
{
    assert (request && key);
    return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, key);
}

const char *
nimbus_http_request_header (const nimbus_http_request_t *request, const char *name)
{
    assert (request && name);
    return MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND, name);
}

const char *
nimbus_http_request_body (const nimbus_http_request_t *request, size_t *size_p)
{
    assert (request && size_p);
    *size_p = request->size;
    return request->body;
}
