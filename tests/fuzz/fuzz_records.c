/*  fuzz_records - fuzz target for the cluster records read from ZooKeeper

    The bytes are decoded as a supervisor record, a topology record and an
    assignment (lib/sq_supervisor_info.h, lib/sq_topology_record.h,
    lib/sq_assignment.h; verdicts "supervisor", "topology",
    "assignment"). Each must be refused cleanly or decode to a record that
    encodes to text that decodes again to the same record and encodes to
    the same text; never a crash, hang or leak. Built with libFuzzer by
    `make fuzz`, and replayed over tests/fuzz/corpus/records by
    `make check`.
*/
#include "fuzz_target.h"
#include "sq_assignment.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"

char fuzz_verdict[FUZZ_VERDICT_SIZE];

//  Checks that a record's two encodings are the same text; frees both.
static void
s_require_same_text (char *first, char *second, const char *what)
{
    FUZZ_REQUIRE (first && second && strcmp (first, second) == 0, what);
    free (first);
    free (second);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_verdict_reset ();
    sq_supervisor_info_t *supervisor = sq_supervisor_info_decode (data, size);
    if (supervisor) {
        fuzz_accepted ("supervisor");
        char *encoded = sq_supervisor_info_encode (supervisor);
        sq_supervisor_info_t *again = sq_supervisor_info_decode (encoded, strlen (encoded));
        FUZZ_REQUIRE (again && strcmp (again->id, supervisor->id) == 0 &&
                          again->port_count == supervisor->port_count,
                      "a supervisor record decodes from its own encoding");
        s_require_same_text (encoded, sq_supervisor_info_encode (again),
                             "a supervisor record encodes the same way twice");
        sq_supervisor_info_destroy (&again);
        sq_supervisor_info_destroy (&supervisor);
    }
    sq_topology_record_t *record = sq_topology_record_decode (data, size);
    if (record) {
        fuzz_accepted ("topology");
        char *encoded = sq_topology_record_encode (record);
        sq_topology_record_t *again = sq_topology_record_decode (encoded, strlen (encoded));
        FUZZ_REQUIRE (again && strcmp (again->id, record->id) == 0 &&
                          again->status == record->status,
                      "a topology record decodes from its own encoding");
        s_require_same_text (encoded, sq_topology_record_encode (again),
                             "a topology record encodes the same way twice");
        sq_topology_record_destroy (&again);
        sq_topology_record_destroy (&record);
    }
    sq_assignment_t *assignment = sq_assignment_decode (data, size);
    if (assignment) {
        fuzz_accepted ("assignment");
        char *encoded = sq_assignment_encode (assignment);
        sq_assignment_t *again = sq_assignment_decode (encoded, strlen (encoded));
        FUZZ_REQUIRE (again && sq_assignment_same_placement (again, assignment),
                      "an assignment decodes from its own encoding");
        s_require_same_text (encoded, sq_assignment_encode (again),
                             "an assignment encodes the same way twice");
        sq_assignment_destroy (&again);
        sq_assignment_destroy (&assignment);
    }
    return 0;
}
