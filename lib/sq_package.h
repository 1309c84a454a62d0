/*  sq_package - loads a topology package and builds it

    A package is a shared object that exports SQ_TOPOLOGY_ENTRY
    ("squall_topology"); or a directory holding one such shared object
    (*.so) at its top and an optional resources/ folder (Storm's jar
    resources: files the topology reads, the programs shell components
    run); or an archive (tar, tar.gz, zip) of such a directory
    (doc/packages.md). A file is taken for a shared object when it starts
    with the ELF magic, else for an archive. A package may also be a
    Flux-style definition (sq_flux, doc/flux.md): a .yaml / .yml file, or
    a directory or archive with topology.yaml at its top (which then wins
    over shared objects there: they are libraries its C components name).

    Loading opens the shared object, finds the entry, and lets it fill an
    empty topology. The shared object stays loaded while the package object
    lives, since the topology's callbacks point into it. An archive is
    unpacked (sq_archive, with its default limits) into a new private
    directory squall-package-XXXXXX under $TMPDIR (else /tmp), which
    sq_package_destroy removes.
*/
#ifndef SQ_PACKAGE_H_INCLUDED
#define SQ_PACKAGE_H_INCLUDED

#include "squall.h"

typedef struct _sq_package_t sq_package_t;

//  Open the package at path (a shared object, package directory or
//  archive). NULL (with sq_last_error() naming the path and the reason)
//  when it is missing, neither a shared object nor a valid archive, holds
//  no or several shared objects, or lacks the entry. Caller owns.
sq_package_t *sq_package_open (const char *path);
//  Unload; NULL-safe; nulls the caller's pointer. Destroy topologies built
//  from the package first.
void sq_package_destroy (sq_package_t **self_p);
//  Build the package's topology with the submit-time config; its resources
//  dir (sq_topology_resources_dir) is the package's resources/ when it has
//  one. NULL when the entry refuses (returns non-zero). Caller owns.
sq_topology_t *sq_package_build (sq_package_t *self, const sq_config_t *config);
//  The directory the package lives in (absolute, unless its parents may
//  not be searched): the directory given, the
//  one an archive was unpacked to, or the one holding a bare shared
//  object. Belongs to self.
const char *sq_package_dir (const sq_package_t *self);

#endif
