/*  supervisor_packages - topology packages fetched from nimbus

    A worker loads its topology's package from the supervisor's disk:
    <storm.local.dir>/supervisor/packages/<topology id>.so, or, when that
    file is an archive (doc/packages.md), the directory <topology id>.pkg
    it is unpacked to once, after its checksum is verified. This class
    downloads each package once per topology id from nimbus (the control
    verb `download`, doc/control.md), checks its SHA-256 against the
    checksum of the topology record, and stores it. A package found on disk
    from an earlier run is checked the same way before it is used.

    DESIGN: downloads are synchronous, one request with a time limit
    (S_DOWNLOAD_TIMEOUT_MS), from the supervisor's one thread: a slot whose
    package is missing waits, and the caller asks again later. A failed
    attempt (nimbus away, checksum mismatch) is logged and retried after a
    back-off that doubles from 1 s up to 30 s, so an absent nimbus costs
    neither a busy loop nor a log line per tick. Each attempt uses a new
    control client, so a late reply to an abandoned request cannot be
    taken for the answer to the next one. Packages are written to a
    temporary name and renamed when verified: a package file is complete.
*/
#ifndef SUPERVISOR_PACKAGES_H_INCLUDED
#define SUPERVISOR_PACKAGES_H_INCLUDED

#include "squall.h"

#include <czmq.h>

typedef struct _supervisor_packages_t supervisor_packages_t;

//  New package store of the supervisor supervisor_id, under the config's
//  storm.local.dir, downloading from the config's nimbuses (nimbus.seeds,
//  or nimbus.host and nimbus.port: sq_nimbuses). The config is borrowed
//  and must outlive the store. NULL when out of memory. Caller owns.
supervisor_packages_t *supervisor_packages_new (const sq_config_t *config,
                                                const char *supervisor_id);
//  Destroy; keeps the files. NULL-safe; nulls the caller's pointer.
void supervisor_packages_destroy (supervisor_packages_t **self_p);
//  Path of the verified package of topology_id whose SHA-256 is checksum
//  (hex), downloading (and, for an archive, unpacking) it first when
//  needed (blocks up to the download time limit); an archive's path is
//  the directory it was unpacked to. NULL when it is not available yet: the reason is logged
//  and a later call tries again once the back-off has passed. Borrowed:
//  valid until the store is destroyed or retain removes the package.
const char *supervisor_packages_get (supervisor_packages_t *self, const char *topology_id,
                                     const char *checksum);
//  The downloaded file of the package at package_path (a path
//  supervisor_packages_get returned): itself, or the archive a .pkg
//  directory was unpacked from. Caller frees.
char *supervisor_packages_file (const char *package_path);
//  Where the topology key pair of the package at package_path is kept
//  (secured clusters: nimbus sends it with the package). Caller frees.
char *supervisor_packages_key_path (const char *package_path);
//  Delete the packages (on disk and in memory) of topology ids that are
//  not keys of keep (values ignored).
void supervisor_packages_retain (supervisor_packages_t *self, zhash_t *keep);

#endif
