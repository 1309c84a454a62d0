/*  sq_curve - CURVE keys of a Squall process, and applying them to sockets */
#include "sq_curve.h"
#include "sq_config.h"
#include "sq_error.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ZERO_KEY "0000000000000000000000000000000000000000" //  Z85 of 32 zero bytes

struct _sq_curve_t {
    zcert_t *cert;       //  own key pair
    char *server_public; //  Z85 public key of the server we connect to, or NULL
};

sq_curve_t *
sq_curve_new (zcert_t **cert_p, const char *server_public)
{
    assert (cert_p && *cert_p);
    sq_curve_t *self = calloc (1, sizeof (sq_curve_t));
    if (self && server_public) {
        self->server_public = strdup (server_public);
        if (!self->server_public) {
            free (self);
            self = NULL;
        }
    }
    if (!self) {
        zcert_destroy (cert_p);
        return NULL;
    }
    self->cert = *cert_p;
    *cert_p = NULL;
    return self;
}

zcert_t *
sq_curve_load_cert (const char *path, bool need_secret)
{
    assert (path);
    if (access (path, R_OK) != 0) {
        sq_error_set ("cannot read key file '%s': %s", path, strerror (errno));
        return NULL;
    }
    //  zcert_load tries PATH_secret first, then PATH itself.
    zcert_t *cert = zcert_load (path);
    if (!cert || strcmp (zcert_public_txt (cert), S_ZERO_KEY) == 0) {
        zcert_destroy (&cert);
        sq_error_set ("key file '%s' holds no CURVE certificate", path);
        return NULL;
    }
    if (need_secret && strcmp (zcert_secret_txt (cert), S_ZERO_KEY) == 0) {
        zcert_destroy (&cert);
        sq_error_set ("key file '%s' holds no secret key (give the NAME_secret file)", path);
        return NULL;
    }
    return cert;
}

int
sq_curve_from_config (const sq_config_t *config, bool need_server, sq_curve_t **curve_p)
{
    assert (config);
    assert (curve_p);
    *curve_p = NULL;
    const char *secret = sq_config_string (config, "squall.curve.secret.key.file", "");
    const char *server = sq_config_string (config, "squall.curve.server.public.key.file", "");
    if (!secret || !*secret) {
        if (server && *server)
            return sq_error_set ("squall.curve.server.public.key.file is set but "
                                 "squall.curve.secret.key.file is not: a CURVE client needs "
                                 "keys of its own");
        return 0;
    }
    if (need_server && (!server || !*server))
        return sq_error_set ("squall.curve.secret.key.file is set but "
                             "squall.curve.server.public.key.file (nimbus's public key) is not");
    zcert_t *cert = sq_curve_load_cert (secret, true);
    if (!cert)
        return -1;
    zcert_t *server_cert = server && *server ? sq_curve_load_cert (server, false) : NULL;
    if (server && *server && !server_cert) {
        zcert_destroy (&cert);
        return -1;
    }
    *curve_p = sq_curve_new (&cert, server_cert ? zcert_public_txt (server_cert) : NULL);
    zcert_destroy (&server_cert);
    return *curve_p ? 0 : sq_error_set ("out of memory");
}

sq_curve_t *
sq_curve_dup (const sq_curve_t *self)
{
    assert (self);
    zcert_t *cert = zcert_dup (self->cert);
    return cert ? sq_curve_new (&cert, self->server_public) : NULL;
}

void
sq_curve_destroy (sq_curve_t **self_p)
{
    assert (self_p);
    sq_curve_t *self = *self_p;
    if (!self)
        return;
    zcert_destroy (&self->cert);
    free (self->server_public);
    free (self);
    *self_p = NULL;
}

const char *
sq_curve_public_key (const sq_curve_t *self)
{
    assert (self);
    return zcert_public_txt (self->cert);
}

zcert_t *
sq_curve_cert (const sq_curve_t *self)
{
    assert (self);
    return self->cert;
}

void
sq_curve_apply_server (const sq_curve_t *self, zsock_t *sock)
{
    assert (self);
    assert (sock);
    zcert_apply (self->cert, sock);
    zsock_set_curve_server (sock, 1);
}

void
sq_curve_apply_client (const sq_curve_t *self, zsock_t *sock)
{
    assert (self);
    assert (sock);
    zcert_apply (self->cert, sock);
    zsock_set_curve_serverkey (sock, self->server_public ? self->server_public
                                                         : zcert_public_txt (self->cert));
}

int
sq_curve_save_secret (zcert_t *cert, const char *path)
{
    assert (cert);
    assert (path);
    char *temporary = zsys_sprintf ("%s.%d.tmp", path, (int) getpid ());
    if (!temporary)
        return sq_error_set ("out of memory");
    mode_t old_mask = umask (077);
    int rc = zcert_save_secret (cert, temporary);
    umask (old_mask);
    if (rc == 0 && chmod (temporary, 0600) == 0 && rename (temporary, path) == 0) {
        free (temporary);
        return 0;
    }
    sq_error_set ("cannot write key file '%s': %s", path, strerror (errno));
    unlink (temporary);
    free (temporary);
    return -1;
}

int
sq_curve_keygen (const char *directory, const char *name)
{
    assert (directory);
    assert (name);
    if (!*name || strchr (name, '/') || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        return sq_error_set ("key name '%s' must be a file name (no '/')", name);
    if (mkdir (directory, 0700) != 0 && errno != EEXIST)
        return sq_error_set ("cannot create directory '%s': %s", directory, strerror (errno));
    char *public_path = zsys_sprintf ("%s/%s", directory, name);
    char *secret_path = zsys_sprintf ("%s/%s_secret", directory, name);
    int rc = 0;
    if (!public_path || !secret_path)
        rc = sq_error_set ("out of memory");
    else if (access (public_path, F_OK) == 0 || access (secret_path, F_OK) == 0)
        rc = sq_error_set ("'%s' or its _secret file exists already; not overwritten", public_path);
    zcert_t *cert = rc == 0 ? zcert_new () : NULL;
    if (rc == 0 && !cert)
        rc = sq_error_set ("cannot make a key pair");
    if (rc == 0) {
        zcert_set_meta (cert, "name", "%s", name);
        rc = sq_curve_save_secret (cert, secret_path);
    }
    if (rc == 0 && zcert_save_public (cert, public_path) != 0)
        rc = sq_error_set ("cannot write '%s': %s", public_path, strerror (errno));
    zcert_destroy (&cert);
    free (public_path);
    free (secret_path);
    return rc;
}

bool
sq_curve_host_is_loopback (const char *host)
{
    if (!host)
        return false;
    if (strcmp (host, "localhost") == 0 || strcmp (host, "::1") == 0 || strcmp (host, "[::1]") == 0)
        return true;
    //  127.0.0.0/8, written as a dotted quad of digits only.
    if (strncmp (host, "127.", 4) != 0)
        return false;
    int dots = 0;
    for (const char *c = host + 4; *c; c++) {
        if (*c == '.')
            dots++;
        else if (*c < '0' || *c > '9')
            return false;
    }
    return dots == 2;
}

int
sq_curve_check_secure (const sq_config_t *config, const char *daemon, const char *host, bool keyed)
{
    assert (config);
    assert (daemon);
    if (keyed || sq_curve_host_is_loopback (host))
        return 0;
    if (sq_config_bool (config, "squall.insecure", false)) {
        zsys_warning ("%s binds %s WITHOUT authentication or encryption (squall.insecure is "
                      "true): anyone who reaches that address can use this cluster",
                      daemon, host);
        return 0;
    }
    return sq_error_set ("%s would bind %s, which is not a loopback address, without keys: set "
                         "squall.curve.secret.key.file (and squall.curve.server.public.key.file, "
                         "squall.curve.allowed.dir; see doc/security.md), or squall.insecure: "
                         "true to run unprotected",
                         daemon, host);
}
