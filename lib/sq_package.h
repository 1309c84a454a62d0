/*  sq_package - loads a topology package (a shared object) and builds it

    A package exports SQ_TOPOLOGY_ENTRY ("squall_topology"). Loading it
    opens the shared object, finds the entry, and lets it fill an empty
    topology. The shared object stays loaded while the package object
    lives, since the topology's callbacks point into it.
*/
#ifndef SQ_PACKAGE_H_INCLUDED
#define SQ_PACKAGE_H_INCLUDED

#include "squall.h"

typedef struct _sq_package_t sq_package_t;

//  Open the package at path. NULL (with sq_last_error() naming the path and
//  the reason) when it is missing, not a shared object, or lacks the
//  entry. Caller owns.
sq_package_t *sq_package_open (const char *path);
//  Unload; NULL-safe; nulls the caller's pointer. Destroy topologies built
//  from the package first.
void sq_package_destroy (sq_package_t **self_p);
//  Build the package's topology with the submit-time config. NULL when the
//  entry refuses (returns non-zero). Caller owns.
sq_topology_t *sq_package_build (sq_package_t *self, const sq_config_t *config);

#endif
