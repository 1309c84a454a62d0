/*  http_client - a small HTTP/1.1 client spoken by hand, for tests

    What the integration tests need to talk to an HTTP port of Squall
    (nimbus's ui.port, storm-submit --local --ui-port) without an HTTP
    library: a raw request on a new loopback connection, read until the
    server closes it or a deadline passes, so that the tests can also send
    what no library would (garbage, huge headers). Nothing here asserts:
    the callers check the statuses with their own messages.
*/
#ifndef HTTP_CLIENT_H_INCLUDED
#define HTTP_CLIENT_H_INCLUDED

#include <jansson.h>
#include <stddef.h>

//  A new connection to 127.0.0.1:port, or -1 with errno set.
int http_client_connect (int port);

//  Send size bytes of raw on a new connection to 127.0.0.1:port, then read
//  until the server closes it or timeout_ms pass. Returns the HTTP status
//  of the answer (0 when none came, or when the port refused the
//  connection); when answer_p is not NULL, *answer_p gets the whole answer,
//  NUL-terminated (caller frees; "" when none came).
int http_client_raw (int port, const char *raw, size_t size, int timeout_ms, char **answer_p);

//  http_client_raw of "method path HTTP/1.1" with Connection: close and
//  body (NULL: none).
int http_client_request (int port, const char *method, const char *path, const char *body,
                         int timeout_ms, char **answer_p);

//  The body of a whole answer (after its headers), or NULL when it has
//  none. Borrowed from answer.
const char *http_client_body (const char *answer);

//  The entry of a REST answer's array (an array of objects) whose string
//  at key is value, or NULL. Borrowed from array.
json_t *http_client_entry (const json_t *array, const char *key, const char *value);

#endif
