/*  http_client - a small HTTP/1.1 client spoken by hand, for tests */
#include "http_client.h"
#include "test_processes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
http_client_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0) {
        close (fd);
        return -1;
    }
    return fd;
}

int
http_client_raw (int port, const char *raw, size_t size, int timeout_ms, char **answer_p)
{
    size_t capacity = 1 << 16, used = 0;
    char *answer = malloc (capacity + 1);
    int fd = answer ? http_client_connect (port) : -1;
    //  The server may answer and close before it read everything (413,
    //  431): a failed send is not an error, the answer says what happened.
    for (size_t sent = 0; fd >= 0 && sent < size;) {
        ssize_t written = send (fd, raw + sent, size - sent, MSG_NOSIGNAL);
        if (written <= 0)
            break;
        sent += (size_t) written;
    }
    long long deadline = test_processes_now_ms () + timeout_ms;
    while (fd >= 0 && test_processes_now_ms () < deadline) {
        struct pollfd item = {fd, POLLIN, 0};
        if (poll (&item, 1, (int) (deadline - test_processes_now_ms ())) <= 0)
            break;
        if (used == capacity) {
            char *larger = realloc (answer, 2 * capacity + 1);
            if (!larger)
                break;
            answer = larger;
            capacity *= 2;
        }
        ssize_t got = recv (fd, answer + used, capacity - used, 0);
        if (got <= 0)
            break;
        used += (size_t) got;
    }
    if (fd >= 0)
        close (fd);
    int status = 0;
    if (answer) {
        answer[used] = 0;
        if (sscanf (answer, "HTTP/1.%*d %d", &status) != 1)
            status = 0;
    }
    if (answer_p)
        *answer_p = answer;
    else
        free (answer);
    return status;
}

int
http_client_request (int port, const char *method, const char *path, const char *body,
                     int timeout_ms, char **answer_p)
{
    const char *format = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Length: %zu\r\n\r\n%s";
    size_t length = body ? strlen (body) : 0;
    int size = snprintf (NULL, 0, format, method, path, length, body ? body : "");
    char *request = size >= 0 ? malloc ((size_t) size + 1) : NULL;
    if (!request) {
        if (answer_p)
            *answer_p = NULL;
        return 0;
    }
    snprintf (request, (size_t) size + 1, format, method, path, length, body ? body : "");
    int status = http_client_raw (port, request, (size_t) size, timeout_ms, answer_p);
    free (request);
    return status;
}

const char *
http_client_body (const char *answer)
{
    const char *end = answer ? strstr (answer, "\r\n\r\n") : NULL;
    return end ? end + 4 : NULL;
}

json_t *
http_client_entry (const json_t *array, const char *key, const char *value)
{
    size_t index;
    json_t *entry;
    json_array_foreach (array, index, entry)
    {
        const char *text = json_string_value (json_object_get (entry, key));
        if (text && strcmp (text, value) == 0)
            return entry;
    }
    return NULL;
}
