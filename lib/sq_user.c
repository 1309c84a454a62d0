/*  sq_user - a local account a daemon runs package code as */
#include "sq_user.h"
#include "sq_error.h"

#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_GROUPS 256 //  most supplementary groups kept

struct _sq_user_t {
    char *name;                 //  the account's name
    uid_t uid;                  //  its user id
    gid_t gid;                  //  its primary group
    gid_t groups[S_MAX_GROUPS]; //  the groups it is a member of (primary included)
    int group_count;            //  how many
};

sq_user_t *
sq_user_lookup (const char *name)
{
    assert (name);
    struct passwd entry, *found = NULL;
    char buffer[16384];
    int rc = *name ? getpwnam_r (name, &entry, buffer, sizeof buffer, &found) : 0;
    if (rc != 0 || !found) {
        sq_error_set ("no user named '%s' on this machine%s%s", name, rc ? ": " : "",
                      rc ? strerror (rc) : "");
        return NULL;
    }
    sq_user_t *self = calloc (1, sizeof (sq_user_t));
    if (!self || !(self->name = strdup (name))) {
        free (self);
        sq_error_set ("out of memory");
        return NULL;
    }
    self->uid = found->pw_uid;
    self->gid = found->pw_gid;
    self->group_count = S_MAX_GROUPS;
    if (getgrouplist (name, self->gid, self->groups, &self->group_count) < 0) {
        //  More groups than kept: the primary one alone.
        self->groups[0] = self->gid;
        self->group_count = 1;
    }
    return self;
}

void
sq_user_destroy (sq_user_t **self_p)
{
    assert (self_p);
    sq_user_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    free (self);
    *self_p = NULL;
}

const char *
sq_user_name (const sq_user_t *self)
{
    assert (self);
    return self->name;
}

uid_t
sq_user_uid (const sq_user_t *self)
{
    assert (self);
    return self->uid;
}

gid_t
sq_user_gid (const sq_user_t *self)
{
    assert (self);
    return self->gid;
}

int
sq_user_become (const sq_user_t *self)
{
    assert (self);
    if (setgroups ((size_t) self->group_count, self->groups) != 0 ||
        setresgid (self->gid, self->gid, self->gid) != 0 ||
        setresuid (self->uid, self->uid, self->uid) != 0)
        return -1;
    uid_t real, effective, saved;
    gid_t group_real, group_effective, group_saved;
    if (getresuid (&real, &effective, &saved) != 0 ||
        getresgid (&group_real, &group_effective, &group_saved) != 0)
        return -1;
    if (real != self->uid || effective != self->uid || saved != self->uid ||
        group_real != self->gid || group_effective != self->gid || group_saved != self->gid) {
        errno = EPERM;
        return -1;
    }
    return 0;
}
