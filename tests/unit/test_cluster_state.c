/*  test_cluster_state - ZooKeeper records survive a round trip, and every
    malformed record is refused with a message naming the record and field */
#include "sq_assignment.h"
#include "sq_cluster_state.h"
#include "sq_supervisor_info.h"
#include "sq_topology_record.h"
#include "squall.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_SUPERVISOR, S_TOPOLOGY, S_ASSIGNMENT } s_kind_t;

//  Decode text as a record of `kind` from an exact-size heap copy (no NUL
//  after it, so a read past the end shows under ASAN). True when decoded.
static bool
s_decode (s_kind_t kind, const char *text, size_t size)
{
    char *copy = malloc (size ? size : 1);
    ck_assert_ptr_nonnull (copy);
    memcpy (copy, text, size);
    bool decoded = false;
    if (kind == S_SUPERVISOR) {
        sq_supervisor_info_t *record = sq_supervisor_info_decode (copy, size);
        decoded = record != NULL;
        sq_supervisor_info_destroy (&record);
    } else if (kind == S_TOPOLOGY) {
        sq_topology_record_t *record = sq_topology_record_decode (copy, size);
        decoded = record != NULL;
        sq_topology_record_destroy (&record);
    } else {
        sq_assignment_t *record = sq_assignment_decode (copy, size);
        decoded = record != NULL;
        sq_assignment_destroy (&record);
    }
    free (copy);
    return decoded;
}

START_TEST (test_supervisor_round_trip)
{
    int ports[] = {6700, 6701, 6703};
    sq_supervisor_info_t *info = sq_supervisor_info_new ("sup-1", "10.0.0.7", ports, 3, 1700000000);
    ck_assert_ptr_nonnull (info);
    ck_assert (sq_supervisor_info_has_port (info, 6701));
    ck_assert (!sq_supervisor_info_has_port (info, 6702));
    char *text = sq_supervisor_info_encode (info);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "{\"version\":1,\"id\":\"sup-1\",\"host\":\"10.0.0.7\","
                            "\"ports\":[6700,6701,6703],\"started\":1700000000}");

    sq_supervisor_info_t *copy = sq_supervisor_info_decode (text, strlen (text));
    ck_assert_ptr_nonnull (copy);
    ck_assert_str_eq (copy->id, "sup-1");
    ck_assert_str_eq (copy->host, "10.0.0.7");
    ck_assert_uint_eq (copy->port_count, 3);
    ck_assert_int_eq (copy->ports[2], 6703);
    ck_assert_int_eq (copy->started, 1700000000);
    char *again = sq_supervisor_info_encode (copy);
    ck_assert_str_eq (again, text);

    //  A supervisor may offer no slot at all.
    sq_supervisor_info_t *empty = sq_supervisor_info_new ("sup-2", "h", NULL, 0, 0);
    char *empty_text = sq_supervisor_info_encode (empty);
    sq_supervisor_info_destroy (&empty);
    empty = sq_supervisor_info_decode (empty_text, strlen (empty_text));
    ck_assert_ptr_nonnull (empty);
    ck_assert_uint_eq (empty->port_count, 0);

    free (text);
    free (again);
    free (empty_text);
    sq_supervisor_info_destroy (&info);
    sq_supervisor_info_destroy (&copy);
    sq_supervisor_info_destroy (&empty);
    ck_assert_ptr_null (info);
    sq_supervisor_info_destroy (&info);
}
END_TEST

START_TEST (test_topology_round_trip)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.workers", 3);
    sq_config_set_int (config, "topology.acker.executors", 2);
    sq_config_set_string (config, "wordcount.input", "/data/words.txt");
    sq_topology_record_t *record =
        sq_topology_record_new ("wordcount", "wordcount-7-1700000000", "ab12cd34", config);
    sq_config_destroy (&config);
    ck_assert_ptr_nonnull (record);
    ck_assert_int_eq (record->workers, 3);
    ck_assert_int_eq (record->status, SQ_TOPOLOGY_ACTIVE);
    record->status = SQ_TOPOLOGY_INACTIVE;
    record->submitted = 1700000123;
    record->workers = 5;

    char *text = sq_topology_record_encode (record);
    ck_assert_ptr_nonnull (text);
    ck_assert_ptr_nonnull (strstr (text, "\"status\":\"inactive\""));
    sq_topology_record_t *copy = sq_topology_record_decode (text, strlen (text));
    ck_assert_ptr_nonnull (copy);
    ck_assert_str_eq (copy->name, "wordcount");
    ck_assert_str_eq (copy->id, "wordcount-7-1700000000");
    ck_assert_str_eq (copy->package_checksum, "ab12cd34");
    ck_assert_int_eq (copy->status, SQ_TOPOLOGY_INACTIVE);
    ck_assert_int_eq (copy->submitted, 1700000123);
    ck_assert_int_eq (copy->workers, 5);
    ck_assert_int_eq (sq_config_int (copy->config, "topology.acker.executors", 0), 2);
    ck_assert_str_eq (sq_config_string (copy->config, "wordcount.input", ""), "/data/words.txt");
    ck_assert_int_eq (copy->rebalance_workers, 0);
    ck_assert_ptr_null (strstr (text, "rebalance"));
    char *again = sq_topology_record_encode (copy);
    ck_assert_str_eq (again, text);

    //  A rebalance in progress travels with the record.
    record->rebalance_workers = 4;
    record->rebalance_resume = SQ_TOPOLOGY_ACTIVE;
    record->rebalance_due = 1700000123456;
    char *rebalancing = sq_topology_record_encode (record);
    sq_topology_record_t *pending = sq_topology_record_decode (rebalancing, strlen (rebalancing));
    ck_assert_ptr_nonnull (pending);
    ck_assert_int_eq (pending->rebalance_workers, 4);
    ck_assert_int_eq (pending->rebalance_resume, SQ_TOPOLOGY_ACTIVE);
    ck_assert_int_eq (pending->rebalance_due, 1700000123456);
    free (rebalancing);
    sq_topology_record_destroy (&pending);

    ck_assert_str_eq (sq_topology_record_status_name (SQ_TOPOLOGY_KILLED), "killed");
    ck_assert_str_eq (sq_topology_record_status_name ((sq_topology_status_t) 9), "unknown");

    //  Without a config: an empty one, one worker.
    sq_topology_record_t *plain = sq_topology_record_new ("t", "t-1", "00", NULL);
    ck_assert_int_eq (plain->workers, 1);
    ck_assert (!sq_config_has (plain->config, "topology.workers"));

    free (text);
    free (again);
    sq_topology_record_destroy (&record);
    sq_topology_record_destroy (&copy);
    sq_topology_record_destroy (&plain);
    ck_assert_ptr_null (record);
}
END_TEST

//  The assignment most tests use: two workers on sup-a, one on sup-b.
static sq_assignment_t *
s_sample_assignment (void)
{
    sq_assignment_t *assignment = sq_assignment_new ("wordcount", "wordcount-1");
    ck_assert_ptr_nonnull (assignment);
    assignment->generation = 4;
    ck_assert_int_eq (sq_assignment_add_worker (assignment, "sup-b", "hostb", 6700), 0);
    ck_assert_int_eq (sq_assignment_add_worker (assignment, "sup-a", "hosta", 6701), 1);
    ck_assert_int_eq (sq_assignment_add_worker (assignment, "sup-a", "hosta", 6700), 2);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 0, 1, 2), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 0, 7, 7), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 1, 3, 4), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 2, 5, 6), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 2, 8, 8), 0);
    ck_assert_int_eq (sq_assignment_validate (assignment), 0);
    return assignment;
}

START_TEST (test_assignment_round_trip)
{
    sq_assignment_t *assignment = s_sample_assignment ();
    char *text = sq_assignment_encode (assignment);
    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, "{\"version\":1,\"topology_name\":\"wordcount\",\"topology_id\":"
                            "\"wordcount-1\",\"generation\":4,\"workers\":[{\"supervisor_id\":"
                            "\"sup-b\",\"host\":\"hostb\",\"port\":6700,\"executors\":[[1,2],"
                            "[7,7]]},{\"supervisor_id\":\"sup-a\",\"host\":\"hosta\",\"port\":"
                            "6701,\"executors\":[[3,4]]},{\"supervisor_id\":\"sup-a\",\"host\":"
                            "\"hosta\",\"port\":6700,\"executors\":[[5,6],[8,8]]}]}");
    sq_assignment_t *copy = sq_assignment_decode (text, strlen (text));
    ck_assert_ptr_nonnull (copy);
    ck_assert_str_eq (copy->topology_name, "wordcount");
    ck_assert_str_eq (copy->topology_id, "wordcount-1");
    ck_assert_int_eq (copy->generation, 4);
    ck_assert_uint_eq (copy->worker_count, 3);
    ck_assert_uint_eq (sq_assignment_executor_count (copy), 5);
    ck_assert (sq_assignment_same_placement (copy, assignment));
    char *again = sq_assignment_encode (copy);
    ck_assert_str_eq (again, text);

    //  A change of host, port or executors is a different placement.
    copy->workers[1].executors[0].last_task = 3;
    ck_assert (!sq_assignment_same_placement (copy, assignment));
    copy->workers[1].executors[0].last_task = 4;
    copy->workers[0].port = 6702;
    ck_assert (!sq_assignment_same_placement (copy, assignment));

    //  No workers at all is a valid (if useless) assignment.
    sq_assignment_t *empty = sq_assignment_new ("idle", "idle-1");
    char *empty_text = sq_assignment_encode (empty);
    sq_assignment_destroy (&empty);
    empty = sq_assignment_decode (empty_text, strlen (empty_text));
    ck_assert_ptr_nonnull (empty);
    ck_assert_uint_eq (empty->worker_count, 0);

    free (text);
    free (again);
    free (empty_text);
    sq_assignment_destroy (&assignment);
    sq_assignment_destroy (&copy);
    sq_assignment_destroy (&empty);
    ck_assert_ptr_null (assignment);
    sq_assignment_destroy (&assignment);
}
END_TEST

START_TEST (test_assignment_lookups)
{
    sq_assignment_t *assignment = s_sample_assignment ();
    const sq_assignment_worker_t *worker = sq_assignment_find_task (assignment, 7);
    ck_assert_ptr_nonnull (worker);
    ck_assert_str_eq (worker->supervisor_id, "sup-b");
    ck_assert_int_eq (worker->port, 6700);
    worker = sq_assignment_find_task (assignment, 6);
    ck_assert_str_eq (worker->supervisor_id, "sup-a");
    ck_assert_int_eq (worker->port, 6700);
    ck_assert_ptr_null (sq_assignment_find_task (assignment, 9));
    ck_assert_ptr_null (sq_assignment_find_task (assignment, 0));

    ck_assert_ptr_eq (sq_assignment_find_slot (assignment, "sup-a", 6701), &assignment->workers[1]);
    ck_assert_ptr_null (sq_assignment_find_slot (assignment, "sup-b", 6701));
    ck_assert_ptr_null (sq_assignment_find_slot (assignment, "sup-c", 6700));

    int ports[4] = {0};
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-a", ports, 4), 2);
    ck_assert_int_eq (ports[0], 6700);
    ck_assert_int_eq (ports[1], 6701);
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-a", ports, 1), 2);
    ck_assert_int_eq (ports[0], 6700);
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-a", NULL, 0), 2);
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-b", ports, 4), 1);
    ck_assert_int_eq (ports[0], 6700);
    ck_assert_uint_eq (sq_assignment_supervisor_slots (assignment, "sup-z", ports, 4), 0);
    sq_assignment_destroy (&assignment);
}
END_TEST

START_TEST (test_worker_executors_compare_as_sets)
{
    sq_assignment_t *assignment = sq_assignment_new ("wc", "wc-1");
    ck_assert_int_eq (sq_assignment_add_worker (assignment, "sup-a", "a", 6700), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 0, 7, 8), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 0, 1, 1), 0);
    ck_assert_int_eq (sq_assignment_add_worker (assignment, "sup-b", "b", 6700), 1);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 1, 1, 1), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 1, 7, 8), 0);
    ck_assert_int_eq (sq_assignment_add_worker (assignment, "sup-c", "c", 6700), 2);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 2, 1, 1), 0);
    ck_assert_int_eq (sq_assignment_add_executor (assignment, 2, 7, 7), 0);
    const sq_assignment_worker_t *a = &assignment->workers[0], *b = &assignment->workers[1],
                                 *c = &assignment->workers[2];
    //  Order does not matter; ranges must match exactly.
    ck_assert (sq_assignment_worker_same_executors (a, b));
    ck_assert (!sq_assignment_worker_same_executors (a, c));
    char *text_a = sq_assignment_worker_executors_text (a);
    char *text_b = sq_assignment_worker_executors_text (b);
    char *text_c = sq_assignment_worker_executors_text (c);
    ck_assert_str_eq (text_a, "1-1,7-8");
    ck_assert_str_eq (text_b, "1-1,7-8");
    ck_assert_str_eq (text_c, "1-1,7-7");
    free (text_a);
    free (text_b);
    free (text_c);
    sq_assignment_destroy (&assignment);
}
END_TEST

START_TEST (test_validate_built_assignment)
{
    sq_assignment_t *assignment = s_sample_assignment ();
    assignment->workers[2].executors[1] = (sq_task_range_t){.first_task = 2, .last_task = 3};
    ck_assert_int_eq (sq_assignment_validate (assignment), -1);
    ck_assert_str_eq (sq_last_error (), "assignment: field 'workers[2].executors[1]' ([2, 3]) "
                                        "overlaps 'workers[0].executors[0]' ([1, 2])");
    assignment->workers[2].executors[1] = (sq_task_range_t){.first_task = 9, .last_task = 8};
    ck_assert_int_eq (sq_assignment_validate (assignment), -1);
    ck_assert_ptr_nonnull (
        strstr (sq_last_error (), "'workers[2].executors[1]' ([9, 8]) is reversed"));
    sq_assignment_destroy (&assignment);

    assignment = sq_assignment_new ("bad/name", "x");
    ck_assert_int_eq (sq_assignment_validate (assignment), -1);
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "field 'topology_name' must not contain '/'"));
    sq_assignment_destroy (&assignment);
}
END_TEST

//  A record that must be refused, and what the message must say.
typedef struct {
    s_kind_t kind;        //  which decoder
    const char *text;     //  the record
    const char *expected; //  part of the error message
} s_bad_record_t;

#define SUP "{\"version\":1,"
#define SUP_OK "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700],\"started\":1"
#define TOPO "{\"version\":1,"
#define TOPO_OK                                                                                    \
    "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","          \
    "\"config\":{},\"submitted\":5,\"workers\":2"
#define ASSIGN "{\"version\":1,\"topology_name\":\"wc\",\"topology_id\":\"wc-1\",\"generation\":3,"
#define WORKER "{\"supervisor_id\":\"s1\",\"host\":\"h\",\"port\":6700,"

static const s_bad_record_t s_bad_records[] = {
    //  Any record: bytes, JSON, version.
    {S_SUPERVISOR, "", "supervisor info: the record is empty"},
    {S_SUPERVISOR, "{\"version\":1,", "supervisor info: not valid JSON"},
    {S_SUPERVISOR, "nonsense", "supervisor info: not valid JSON"},
    {S_TOPOLOGY, "[1,2]", "topology record: the record must be a JSON object, got an array"},
    {S_ASSIGNMENT, "{}", "assignment: field 'version' is missing"},
    {S_ASSIGNMENT, "{\"version\":\"1\"}",
     "assignment: field 'version' must be an integer, got a string"},
    {S_SUPERVISOR, "{\"version\":2," SUP_OK "}",
     "supervisor info: field 'version' is 2; this build reads version 1 only"},
    {S_TOPOLOGY, "{\"version\":0," TOPO_OK "}", "topology record: field 'version' is 0"},
    {S_TOPOLOGY, TOPO TOPO_OK ",\"rebalance\":7}",
     "topology record: field 'rebalance' must be an object, got an integer"},
    {S_TOPOLOGY, TOPO TOPO_OK ",\"rebalance\":{\"workers\":0,\"resume\":\"active\",\"due\":1}}",
     "topology record: field 'rebalance.workers' is out of range"},
    {S_TOPOLOGY, TOPO TOPO_OK ",\"rebalance\":{\"workers\":2,\"resume\":\"killed\",\"due\":1}}",
     "topology record: field 'rebalance.resume' must be \"active\" or \"inactive\", got \"killed\""},
    {S_TOPOLOGY, TOPO TOPO_OK ",\"rebalance\":{\"workers\":2,\"resume\":\"active\"}}",
     "topology record: field 'rebalance.due' is missing"},
    {S_SUPERVISOR, "{\"version\":-1," SUP_OK "}", "field 'version' is out of range"},
    {S_SUPERVISOR, SUP SUP_OK ",\"id\":\"s2\"}", "supervisor info: not valid JSON: duplicate"},
    {S_SUPERVISOR, SUP "\"id\":\"a\\u0000b\",\"host\":\"h\",\"ports\":[],\"started\":1}",
     "supervisor info: not valid JSON"},
    //  Supervisor info fields.
    {S_SUPERVISOR, SUP "\"host\":\"h\",\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'id' is missing"},
    {S_SUPERVISOR, SUP "\"id\":7,\"host\":\"h\",\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'id' must be a string, got an integer"},
    {S_SUPERVISOR, SUP "\"id\":\"\",\"host\":\"h\",\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'id' must not be empty"},
    {S_SUPERVISOR, SUP "\"id\":\"a/b\",\"host\":\"h\",\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'id' must not contain '/'"},
    {S_SUPERVISOR, SUP "\"id\":\"..\",\"host\":\"h\",\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'id' must not be \"..\""},
    {S_SUPERVISOR, SUP "\"id\":\"a\\nb\",\"host\":\"h\",\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'id' contains a control character"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":null,\"ports\":[6700],\"started\":1}",
     "supervisor info: field 'host' must be a string, got null"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"started\":1}",
     "supervisor info: field 'ports' is missing"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":\"6700\",\"started\":1}",
     "supervisor info: field 'ports' must be an array, got a string"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[-1],\"started\":1}",
     "supervisor info: field 'ports[0]' is out of range (1..65535), got -1"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700,70000],\"started\":1}",
     "supervisor info: field 'ports[1]' is out of range (1..65535), got 70000"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700,6700.5],\"started\":1}",
     "supervisor info: field 'ports[1]' must be an integer, got a real number"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700,true],\"started\":1}",
     "supervisor info: field 'ports[1]' must be an integer, got a boolean"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700,6701,6700],\"started\":1}",
     "supervisor info: field 'ports[2]' repeats port 6700 of 'ports[0]'"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700],\"started\":-5}",
     "supervisor info: field 'started' is out of range"},
    {S_SUPERVISOR, SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[6700]}",
     "supervisor info: field 'started' is missing"},
    //  Topology record fields.
    {S_TOPOLOGY,
     TOPO "\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\",\"config\":{},"
          "\"submitted\":5,\"workers\":2}",
     "topology record: field 'name' is missing"},
    {S_TOPOLOGY,
     TOPO "\"name\":\".\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","
          "\"config\":{},\"submitted\":5,\"workers\":2}",
     "topology record: field 'name' must not be \".\""},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"running\",\"package_checksum\":\"abc\","
          "\"config\":{},\"submitted\":5,\"workers\":2}",
     "topology record: field 'status' must be \"active\", \"inactive\" or \"killed\", got "
     "\"running\""},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":1,\"package_checksum\":\"abc\",\"config\":{},"
          "\"submitted\":5,\"workers\":2}",
     "topology record: field 'status' must be a string, got an integer"},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"config\":{},\"submitted\":5,"
          "\"workers\":2}",
     "topology record: field 'package_checksum' is missing"},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","
          "\"config\":[],\"submitted\":5,\"workers\":2}",
     "topology record: field 'config' must be an object, got an array"},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","
          "\"config\":{\"topology.workers\":\"three\"},\"submitted\":5,\"workers\":2}",
     "topology record: field 'config': config key 'topology.workers'"},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","
          "\"config\":{},\"submitted\":1.5,\"workers\":2}",
     "topology record: field 'submitted' must be an integer, got a real number"},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","
          "\"config\":{},\"submitted\":5,\"workers\":0}",
     "topology record: field 'workers' is out of range (1..4096), got 0"},
    {S_TOPOLOGY,
     TOPO "\"name\":\"wc\",\"id\":\"wc-1\",\"status\":\"active\",\"package_checksum\":\"abc\","
          "\"config\":{},\"submitted\":5}",
     "topology record: field 'workers' is missing"},
    //  Assignment fields.
    {S_ASSIGNMENT, "{\"version\":1,\"topology_id\":\"wc-1\",\"generation\":3,\"workers\":[]}",
     "assignment: field 'topology_name' is missing"},
    {S_ASSIGNMENT,
     "{\"version\":1,\"topology_name\":\"wc\",\"topology_id\":\"wc-1\",\"generation\":-1,"
     "\"workers\":[]}",
     "assignment: field 'generation' is out of range"},
    {S_ASSIGNMENT,
     "{\"version\":1,\"topology_name\":\"wc\",\"topology_id\":\"wc-1\",\"generation\":\"3\","
     "\"workers\":[]}",
     "assignment: field 'generation' must be an integer, got a string"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":{}}",
     "assignment: field 'workers' must be an array, got an object"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[5]}",
     "assignment: field 'workers[0]' must be an object, got an integer"},
    {S_ASSIGNMENT,
     ASSIGN "\"workers\":[{\"supervisor_id\":\"s1\",\"host\":\"h\",\"executors\":[[1,1]]}]}",
     "assignment: field 'workers[0].port' is missing"},
    {S_ASSIGNMENT,
     ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,1]]},{\"supervisor_id\":\"s2\",\"host\":"
            "\"h\",\"port\":-6700,\"executors\":[[2,2]]}]}",
     "assignment: field 'workers[1].port' is out of range (1..65535), got -6700"},
    {S_ASSIGNMENT,
     ASSIGN
     "\"workers\":[{\"supervisor_id\":\"s1\",\"host\":\"h\",\"port\":0,\"executors\":[[1,1]]}]}",
     "assignment: field 'workers[0].port' is out of range (1..65535), got 0"},
    {S_ASSIGNMENT,
     ASSIGN "\"workers\":[{\"supervisor_id\":\"s1\",\"host\":\"h\",\"port\":\"6700\",\"executors\":"
            "[[1,1]]}]}",
     "assignment: field 'workers[0].port' must be an integer, got a string"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[{\"host\":\"h\",\"port\":6700,\"executors\":[[1,1]]}]}",
     "assignment: field 'workers[0].supervisor_id' is missing"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[]}]}",
     "assignment: field 'workers[0].executors' is empty"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[1,2]}]}",
     "assignment: field 'workers[0].executors[0]' must be an array, got an integer"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[1]]}]}",
     "assignment: field 'workers[0].executors[0]' must be a [first_task, last_task] pair, got 1 "
     "entries"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,2,3]]}]}",
     "must be a [first_task, last_task] pair, got 3 entries"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,\"2\"]]}]}",
     "assignment: field 'workers[0].executors[0][1]' must be an integer, got a string"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[0,2]]}]}",
     "assignment: field 'workers[0].executors[0][0]' is out of range (1..65535), got 0"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,65536]]}]}",
     "assignment: field 'workers[0].executors[0][1]' is out of range (1..65535), got 65536"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,2],[5,3]]}]}",
     "assignment: field 'workers[0].executors[1]' ([5, 3]) is reversed"},
    {S_ASSIGNMENT, ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,3],[3,4]]}]}",
     "assignment: field 'workers[0].executors[1]' ([3, 4]) overlaps 'workers[0].executors[0]' ([1, "
     "3])"},
    {S_ASSIGNMENT,
     ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,3]]},{\"supervisor_id\":\"s2\",\"host\":"
            "\"h\",\"port\":6700,\"executors\":[[2,2]]}]}",
     "assignment: field 'workers[1].executors[0]' ([2, 2]) overlaps 'workers[0].executors[0]' ([1, "
     "3])"},
    {S_ASSIGNMENT,
     ASSIGN "\"workers\":[" WORKER "\"executors\":[[4,9]]},{\"supervisor_id\":\"s2\",\"host\":"
            "\"h\",\"port\":6700,\"executors\":[[1,4]]}]}",
     "overlaps"},
    {S_ASSIGNMENT,
     ASSIGN "\"workers\":[" WORKER "\"executors\":[[1,1]]}," WORKER "\"executors\":[[2,2]]}]}",
     "assignment: field 'workers[1]' uses slot s1:6700, as does 'workers[0]'"},
};

START_TEST (test_malformed_records)
{
    const s_bad_record_t *bad = &s_bad_records[_i];
    ck_assert_msg (!s_decode (bad->kind, bad->text, strlen (bad->text)), "accepted: %s", bad->text);
    ck_assert_msg (strstr (sq_last_error (), bad->expected),
                   "record %s\n  error: %s\n  expected: %s", bad->text, sq_last_error (),
                   bad->expected);
}
END_TEST

//  head, then `count` copies of item joined by separator, then tail.
static char *
s_repeat (const char *head, const char *item, const char *separator, size_t count, const char *tail)
{
    size_t size = strlen (head) + count * (strlen (item) + strlen (separator)) + strlen (tail) + 1;
    char *text = malloc (size);
    ck_assert_ptr_nonnull (text);
    char *cursor = text + sprintf (text, "%s", head);
    for (size_t i = 0; i < count; i++)
        cursor += sprintf (cursor, "%s%s", i ? separator : "", item);
    sprintf (cursor, "%s", tail);
    return text;
}

START_TEST (test_huge_records)
{
    //  Too many slot ports.
    char *text = s_repeat (SUP "\"id\":\"s1\",\"host\":\"h\",\"ports\":[", "6700", ",", 2000,
                           "],\"started\":1}");
    ck_assert (!s_decode (S_SUPERVISOR, text, strlen (text)));
    ck_assert_str_eq (sq_last_error (),
                      "supervisor info: field 'ports' has 2000 entries, at most 1024 are allowed");
    free (text);

    //  Too many workers, too many executors in one worker.
    text = s_repeat (ASSIGN "\"workers\":[", "{}", ",", 5000, "]}");
    ck_assert (!s_decode (S_ASSIGNMENT, text, strlen (text)));
    ck_assert_str_eq (sq_last_error (),
                      "assignment: field 'workers' has 5000 entries, at most 4096 are allowed");
    free (text);
    text = s_repeat (ASSIGN "\"workers\":[" WORKER "\"executors\":[", "[1,1]", ",", 70000, "]}]}");
    ck_assert (!s_decode (S_ASSIGNMENT, text, strlen (text)));
    ck_assert_str_eq (sq_last_error (), "assignment: field 'workers[0].executors' has 70000 "
                                        "entries, at most 65535 are allowed");
    free (text);

    //  Too many bytes, whatever they hold.
    size_t size = SQ_CLUSTER_MAX_RECORD_SIZE + 1;
    text = malloc (size);
    memset (text, ' ', size);
    ck_assert (!s_decode (S_TOPOLOGY, text, size));
    ck_assert_str_eq (sq_last_error (),
                      "topology record: the record is 1048577 bytes, at most 1048576 are read");
    free (text);

    //  Deep nesting is refused, not a stack overflow.
    char *closing = s_repeat ("", "]", "", 100000, "}");
    char *opening = s_repeat (TOPO TOPO_OK ",\"extra\":", "[", "", 100000, closing);
    free (closing);
    text = opening;
    ck_assert (!s_decode (S_TOPOLOGY, text, strlen (text)));
    ck_assert_ptr_nonnull (strstr (sq_last_error (), "topology record: not valid JSON"));
    free (text);
}
END_TEST

START_TEST (test_unknown_fields_ignored)
{
    const char *text = ASSIGN "\"future\":{\"x\":[1,2]},\"workers\":[" WORKER
                              "\"executors\":[[1,4]],\"weight\":2}]}";
    sq_assignment_t *assignment = sq_assignment_decode (text, strlen (text));
    ck_assert_ptr_nonnull (assignment);
    ck_assert_uint_eq (sq_assignment_executor_count (assignment), 1);
    ck_assert_str_eq (sq_assignment_find_task (assignment, 3)->host, "h");
    sq_assignment_destroy (&assignment);
    ck_assert (s_decode (S_SUPERVISOR, SUP SUP_OK ",\"rack\":\"r1\"}",
                         strlen (SUP SUP_OK ",\"rack\":\"r1\"}")));
    ck_assert (s_decode (S_TOPOLOGY, TOPO TOPO_OK "}", strlen (TOPO TOPO_OK "}")));
    //  Decoding reads only `size` bytes: a valid record followed by junk.
    const char *prefix = TOPO TOPO_OK "}garbage";
    ck_assert (s_decode (S_TOPOLOGY, prefix, strlen (prefix) - strlen ("garbage")));
    ck_assert (!s_decode (S_TOPOLOGY, prefix, strlen (prefix)));
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("cluster_state");
    TCase *tcase = tcase_create ("records");
    tcase_add_test (tcase, test_supervisor_round_trip);
    tcase_add_test (tcase, test_topology_round_trip);
    tcase_add_test (tcase, test_assignment_round_trip);
    tcase_add_test (tcase, test_assignment_lookups);
    tcase_add_test (tcase, test_worker_executors_compare_as_sets);
    tcase_add_test (tcase, test_validate_built_assignment);
    tcase_add_loop_test (tcase, test_malformed_records, 0,
                         (int) (sizeof s_bad_records / sizeof *s_bad_records));
    tcase_add_test (tcase, test_huge_records);
    tcase_add_test (tcase, test_unknown_fields_ignored);
    suite_add_tcase (suite, tcase);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
