/*  fuzz_records - fuzz target for the cluster records read from ZooKeeper

    The bytes are decoded as a supervisor record, a topology record and an
    assignment (lib/sq_supervisor_info.h, lib/sq_topology_record.h,
    lib/sq_assignment.h). Each must be refused cleanly or decode to a
    record that encodes and decodes again to the same thing; never a
    crash, hang or leak. Built with libFuzzer by `make fuzz`, and
    replayed over tests/fuzz/corpus/records by `make check`.
*/
#include "sq_assignment.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    sq_supervisor_info_t *supervisor = sq_supervisor_info_decode (data, size);
    if (supervisor) {
        char *encoded = sq_supervisor_info_encode (supervisor);
        sq_supervisor_info_t *again = sq_supervisor_info_decode (encoded, strlen (encoded));
        if (!again || strcmp (again->id, supervisor->id) != 0 ||
            again->port_count != supervisor->port_count)
            abort ();
        sq_supervisor_info_destroy (&again);
        free (encoded);
        sq_supervisor_info_destroy (&supervisor);
    }
    sq_topology_record_t *record = sq_topology_record_decode (data, size);
    if (record) {
        char *encoded = sq_topology_record_encode (record);
        sq_topology_record_t *again = sq_topology_record_decode (encoded, strlen (encoded));
        if (!again || strcmp (again->id, record->id) != 0 || again->status != record->status)
            abort ();
        sq_topology_record_destroy (&again);
        free (encoded);
        sq_topology_record_destroy (&record);
    }
    sq_assignment_t *assignment = sq_assignment_decode (data, size);
    if (assignment) {
        char *encoded = sq_assignment_encode (assignment);
        sq_assignment_t *again = sq_assignment_decode (encoded, strlen (encoded));
        if (!again || !sq_assignment_same_placement (again, assignment))
            abort ();
        sq_assignment_destroy (&again);
        free (encoded);
        sq_assignment_destroy (&assignment);
    }
    return 0;
}
