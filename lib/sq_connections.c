/*  sq_connections - the open connections of a server socket, by peer address */
#include "sq_connections.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

//  One open connection.
typedef struct {
    int fd;                                   //  its descriptor
    char address[SQ_CONNECTIONS_MAX_ADDRESS]; //  the peer's IP
    char peer[SQ_CONNECTIONS_MAX_ADDRESS];    //  the peer's "ip:port"
} s_entry_t;

struct _sq_connections_t {
    zhashx_t *entries;   //  descriptor -> s_entry_t (owned)
    zhashx_t *addresses; //  IP -> open connections from it (a size_t, owned)
};

static void
s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  zhashx keys that are ints stored in the pointer.
static size_t
s_fd_hash (const void *key)
{
    return (size_t) (uintptr_t) key;
}

static int
s_fd_compare (const void *a, const void *b)
{
    return (uintptr_t) a < (uintptr_t) b ? -1 : (uintptr_t) a > (uintptr_t) b;
}

sq_connections_t *
sq_connections_new (void)
{
    sq_connections_t *self = calloc (1, sizeof (sq_connections_t));
    if (!self)
        return NULL;
    self->entries = zhashx_new ();
    self->addresses = zhashx_new ();
    if (!self->entries || !self->addresses) {
        sq_connections_destroy (&self);
        return NULL;
    }
    zhashx_set_key_hasher (self->entries, s_fd_hash);
    zhashx_set_key_comparator (self->entries, s_fd_compare);
    zhashx_set_key_duplicator (self->entries, NULL);
    zhashx_set_key_destructor (self->entries, NULL);
    zhashx_set_destructor (self->entries, s_free);
    zhashx_set_destructor (self->addresses, s_free);
    return self;
}

void
sq_connections_destroy (sq_connections_t **self_p)
{
    assert (self_p);
    sq_connections_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->entries);
    zhashx_destroy (&self->addresses);
    free (self);
    *self_p = NULL;
}

//  The map's key of descriptor fd: never NULL, which zhashx refuses.
static void *
s_fd_key (int fd)
{
    return (void *) ((uintptr_t) (unsigned) fd + 1);
}

//  Remove entry (of the map) and its share of its address's count.
static void
s_remove (sq_connections_t *self, s_entry_t *entry)
{
    size_t *count = zhashx_lookup (self->addresses, entry->address);
    if (count && --*count == 0)
        zhashx_delete (self->addresses, entry->address);
    zhashx_delete (self->entries, s_fd_key (entry->fd));
}

int
sq_connections_opened (sq_connections_t *self, int fd, const char *address, const char *peer)
{
    assert (self);
    assert (address && peer);
    s_entry_t *old = zhashx_lookup (self->entries, s_fd_key (fd));
    if (old)
        s_remove (self, old); //  its end was lost
    s_entry_t *entry = calloc (1, sizeof (s_entry_t));
    size_t *count = zhashx_lookup (self->addresses, address);
    size_t *fresh = count ? NULL : calloc (1, sizeof (size_t));
    if (!entry || (!count && !fresh)) {
        free (entry);
        free (fresh);
        return -1;
    }
    entry->fd = fd;
    snprintf (entry->address, sizeof entry->address, "%s", address);
    snprintf (entry->peer, sizeof entry->peer, "%s", peer);
    if (fresh) {
        if (zhashx_insert (self->addresses, entry->address, fresh)) {
            free (entry);
            free (fresh);
            return -1;
        }
        count = fresh;
    }
    if (zhashx_insert (self->entries, s_fd_key (fd), entry)) {
        if (*count == 0)
            zhashx_delete (self->addresses, entry->address);
        free (entry);
        return -1;
    }
    ++*count;
    return 0;
}

void
sq_connections_closed (sq_connections_t *self, int fd)
{
    assert (self);
    s_entry_t *entry = zhashx_lookup (self->entries, s_fd_key (fd));
    if (entry)
        s_remove (self, entry);
}

size_t
sq_connections_of (sq_connections_t *self, const char *address)
{
    assert (self);
    assert (address);
    size_t *count = zhashx_lookup (self->addresses, address);
    return count ? *count : 0;
}

size_t
sq_connections_total (sq_connections_t *self)
{
    assert (self);
    return zhashx_size (self->entries);
}

size_t
sq_connections_sweep (sq_connections_t *self, sq_connections_alive_fn *alive, void *arg)
{
    assert (self);
    assert (alive);
    zlist_t *dead = zlist_new ();
    if (!dead)
        return 0;
    for (s_entry_t *entry = zhashx_first (self->entries); entry;
         entry = zhashx_next (self->entries))
        if (!alive (entry->fd, entry->peer, arg))
            zlist_append (dead, entry);
    size_t dropped = zlist_size (dead);
    for (s_entry_t *entry = zlist_first (dead); entry; entry = zlist_next (dead))
        s_remove (self, entry);
    zlist_destroy (&dead);
    return dropped;
}

int
sq_connections_peer_of (int fd, char *address, char *peer)
{
    assert (address && peer);
    struct sockaddr_storage storage;
    socklen_t size = sizeof storage;
    if (fd < 0 || getpeername (fd, (struct sockaddr *) &storage, &size) != 0)
        return -1;
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
    if (storage.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *) &storage;
        if (!inet_ntop (AF_INET, &in->sin_addr, ip, sizeof ip))
            return -1;
        port = ntohs (in->sin_port);
    } else if (storage.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &storage;
        if (!inet_ntop (AF_INET6, &in6->sin6_addr, ip, sizeof ip))
            return -1;
        port = ntohs (in6->sin6_port);
    } else
        return -1;
    snprintf (address, SQ_CONNECTIONS_MAX_ADDRESS, "%s", ip);
    snprintf (peer, SQ_CONNECTIONS_MAX_ADDRESS, "%s:%u", ip, port);
    return 0;
}

bool
sq_connections_alive (int fd, const char *peer, void *arg)
{
    (void) arg;
    char address[SQ_CONNECTIONS_MAX_ADDRESS];
    char now[SQ_CONNECTIONS_MAX_ADDRESS];
    return sq_connections_peer_of (fd, address, now) == 0 && strcmp (now, peer) == 0;
}
