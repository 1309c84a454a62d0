/*  sq_user - a local account a daemon runs package code as

    A daemon that runs code it did not write (nimbus's validation, a
    supervisor's workers) looks the account up once, in its own process
    (the lookup reads /etc/passwd and /etc/group, which a forked child of
    a threaded process must not), and switches to it in the child between
    fork and exec with sq_user_become, which makes only system calls.
*/
#ifndef SQ_USER_H_INCLUDED
#define SQ_USER_H_INCLUDED

#include "squall.h"

#include <sys/types.h>

typedef struct _sq_user_t sq_user_t;

//  The account named name, with its primary group and the groups it is a
//  member of. NULL with sq_last_error() set when this machine has no
//  such user. Caller owns.
sq_user_t *sq_user_lookup (const char *name);
//  Free. NULL-safe; nulls the caller's pointer.
void sq_user_destroy (sq_user_t **self_p);
//  The account's name, user id and primary group id.
const char *sq_user_name (const sq_user_t *self);
uid_t sq_user_uid (const sq_user_t *self);
gid_t sq_user_gid (const sq_user_t *self);
//  Switch this process to the account for good: supplementary groups,
//  then group, then user (real, effective and saved), and check the
//  result. Async-signal-safe. 0, or -1 with errno set.
int sq_user_become (const sq_user_t *self);

#endif
