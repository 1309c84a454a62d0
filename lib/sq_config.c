/*  sq_config - configuration with Storm's key names

    DESIGN: every way of setting a key (text, typed setter, JSON, file) ends
    in s_store, which checks a known key's type and stores a JSON value
    that the config owns alone (copies, never shared references, so configs
    handed to different threads share no reference counts). Defaults live
    in one process-wide JSON object built once from the key table's
    default texts, by the same parser sq_config_set uses; it is never
    modified after it is built.
*/
#include "sq_config.h"
#include "sq_error.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  storm.local.dir's default: $(localstatedir)/lib/squall, absolute, so a
//  daemon finds its state whatever directory it was started from.
#ifndef SQUALL_LOCAL_DIR
#error "lib/Makemodule.am defines SQUALL_LOCAL_DIR"
#endif

struct _sq_config_t {
    json_t *values; //  object of the keys set: key -> JSON value
};

//  Keep doc/config.md true to this table.
static const sq_config_key_t s_keys[] = {
    {"topology.workers", SQ_CONFIG_INT, "1", "worker processes the topology is spread over"},
    {"topology.acker.executors", SQ_CONFIG_INT, "1",
     "executors running acker tasks; 0 turns acking off (at-most-once)"},
    {"topology.message.timeout.secs", SQ_CONFIG_INT, "30",
     "seconds a spout tuple's tree may take before it is failed"},
    {"topology.max.spout.pending", SQ_CONFIG_INT, "0",
     "most trees in flight per spout task; 0 means no limit"},
    {"topology.tick.tuple.freq.secs", SQ_CONFIG_INT, "0",
     "seconds between tick tuples sent to each bolt task; 0 means none"},
    {"topology.bolts.window.length.count", SQ_CONFIG_INT, "0",
     "windowed bolts: window length in tuples; 0 when the length is a duration"},
    {"topology.bolts.window.length.duration.ms", SQ_CONFIG_INT, "0",
     "windowed bolts: window length in milliseconds; 0 when the length is a count"},
    {"topology.bolts.sliding.interval.count", SQ_CONFIG_INT, "0",
     "windowed bolts: tuples between window activations; 0 when the interval is a duration (both "
     "0: 1 tuple)"},
    {"topology.bolts.sliding.interval.duration.ms", SQ_CONFIG_INT, "0",
     "windowed bolts: milliseconds between window activations; 0 when the interval is a count"},
    {"topology.bolts.tuple.timestamp.field.name", SQ_CONFIG_STRING, "",
     "windowed bolts: int field holding each tuple's event time in ms; empty means processing "
     "time"},
    {"topology.bolts.tuple.timestamp.max.lag.ms", SQ_CONFIG_INT, "0",
     "windowed bolts: most an event time may lag the newest one seen before the tuple is late"},
    {"topology.bolts.watermark.event.interval.ms", SQ_CONFIG_INT, "1000",
     "windowed bolts: milliseconds between watermark computations (event time)"},
    {"topology.bolts.late.tuple.stream", SQ_CONFIG_STRING, "",
     "windowed bolts: stream late tuples are emitted on; empty means they are logged and acked"},
    {"topology.bolts.window.max.tuples", SQ_CONFIG_INT, "10000",
     "windowed bolts: most tuples one task's window holds (1 to 65535); more are failed"},
    {"topology.debug", SQ_CONFIG_BOOL, "false", "log every tuple emitted"},
    {"topology.executor.receive.buffer.size", SQ_CONFIG_INT, "16384",
     "messages an executor's input queue holds"},
    {"topology.producer.batch.size", SQ_CONFIG_INT, "256",
     "tuples gathered into one batch between executors"},
    {"topology.sleep.spout.wait.strategy.time.ms", SQ_CONFIG_INT, "1",
     "milliseconds a spout executor sleeps when its spouts have nothing to emit"},
    {"topology.spout.wait.strategy", SQ_CONFIG_STRING, "progressive",
     "what an idle spout executor does: \"progressive\" or \"sleep\" (Storm's class names too)"},
    {"topology.spout.wait.progressive.level1.count", SQ_CONFIG_INT, "0",
     "idle spout rounds that loop again at once"},
    {"topology.spout.wait.progressive.level2.count", SQ_CONFIG_INT, "0",
     "idle spout rounds after those that yield the core"},
    {"topology.spout.wait.progressive.level3.sleep.millis", SQ_CONFIG_INT, "1",
     "first sleep of an idle spout; each next idle round sleeps twice as long"},
    {"squall.spout.wait.progressive.max.sleep.millis", SQ_CONFIG_INT, "100",
     "longest sleep of an idle spout (an ack wakes it sooner)"},
    {"topology.bolt.wait.strategy", SQ_CONFIG_STRING, "progressive",
     "what a bolt or acker executor with an empty queue does: \"progressive\""},
    {"topology.bolt.wait.progressive.level1.count", SQ_CONFIG_INT, "1",
     "rounds with an empty queue that look again at once"},
    {"topology.bolt.wait.progressive.level2.count", SQ_CONFIG_INT, "0",
     "rounds after those that yield the core before parking"},
    {"topology.bolt.wait.progressive.level3.sleep.millis", SQ_CONFIG_INT, "1",
     "accepted for Storm; a bolt parks until input arrives or a timer is due"},
    {"topology.backpressure.wait.strategy", SQ_CONFIG_STRING, "progressive",
     "what a spout held back by full queues does: \"progressive\""},
    {"topology.backpressure.wait.progressive.level1.count", SQ_CONFIG_INT, "1",
     "held-back spout rounds that loop again at once"},
    {"topology.backpressure.wait.progressive.level2.count", SQ_CONFIG_INT, "0",
     "held-back spout rounds after those that sleep the shortest time"},
    {"topology.backpressure.wait.progressive.level3.sleep.millis", SQ_CONFIG_INT, "1",
     "sleep of a held-back spout after those rounds (an ack wakes it sooner)"},
    {"topology.enable.message.timeouts", SQ_CONFIG_BOOL, "true",
     "fail trees that time out; false waits for them forever"},
    {"topology.metrics.enabled", SQ_CONFIG_BOOL, "true",
     "record per-stream and per-input metrics and latencies in every executor"},
    {"topology.stats.sample.rate", SQ_CONFIG_DOUBLE, "0.05",
     "fraction of tuples whose latency is measured for statistics"},
    {"topology.trace.sample.rate", SQ_CONFIG_DOUBLE, "0",
     "fraction of spout trees whose hops are traced; 0 turns tracing off"},
    {"topology.auto.task.hooks", SQ_CONFIG_STRING_LIST, "",
     "exported sq_task_hook_t tables added to every spout and bolt task"},
    {"topology.subprocess.timeout.secs", SQ_CONFIG_INT, "30",
     "seconds a shell component's child may take to answer before it is failed"},
    {"topology.shellbolt.max.pending", SQ_CONFIG_INT, "100",
     "tuples a shell bolt's child may hold before execute waits for it"},
    {"storm.zookeeper.servers", SQ_CONFIG_STRING_LIST, "127.0.0.1",
     "hosts of the ZooKeeper ensemble"},
    {"storm.zookeeper.port", SQ_CONFIG_INT, "2181", "port of the ZooKeeper servers"},
    {"storm.zookeeper.root", SQ_CONFIG_STRING, "/storm",
     "ZooKeeper path under which the cluster keeps its state"},
    {"storm.zookeeper.session.timeout", SQ_CONFIG_INT, "6000",
     "milliseconds of silence after which ZooKeeper ends a session"},
    {"storm.zookeeper.connection.timeout", SQ_CONFIG_INT, "5000",
     "milliseconds allowed for connecting to ZooKeeper"},
    {"storm.zookeeper.retry.times", SQ_CONFIG_INT, "5",
     "attempts after the first to connect to ZooKeeper when a daemon or worker starts"},
    {"storm.zookeeper.retry.interval", SQ_CONFIG_INT, "1000",
     "milliseconds before the first retry; each next one waits twice as long"},
    {"storm.zookeeper.retry.intervalceiling.millis", SQ_CONFIG_INT, "30000",
     "longest wait in milliseconds between two attempts"},
    {"storm.zookeeper.auth.scheme", SQ_CONFIG_STRING, "",
     "ZooKeeper authentication scheme: \"digest\", or empty for none (insecure)"},
    {"storm.zookeeper.auth.payload.file", SQ_CONFIG_STRING, "",
     "file holding the digest user:password, readable by its owner only"},
    {"storm.zookeeper.auth.payload", SQ_CONFIG_STRING, "",
     "the digest user:password inline (prefer storm.zookeeper.auth.payload.file)"},
    {"nimbus.host", SQ_CONFIG_STRING, "127.0.0.1", "host nimbus listens on and clients reach"},
    {"nimbus.port", SQ_CONFIG_INT, "6627", "port of nimbus's ZeroMQ endpoint"},
    {"nimbus.seeds", SQ_CONFIG_STRING_LIST, "",
     "nimbuses (host or host:port) clients, supervisors and workers try, to find the leader"},
    {"nimbus.task.timeout.secs", SQ_CONFIG_INT, "5",
     "seconds without heartbeats after which nimbus reassigns a worker's executors"},
    {"nimbus.monitor.freq.secs", SQ_CONFIG_INT, "1",
     "seconds between nimbus's checks of heartbeats and assignments"},
    {"nimbus.supervisor.timeout.secs", SQ_CONFIG_DOUBLE, "2",
     "seconds without heartbeats from a supervisor and its workers after which nimbus moves "
     "its executors"},
    {"supervisor.slots.ports", SQ_CONFIG_INT_LIST, "6700,6701,6702,6703",
     "ports of a supervisor's worker slots, one worker per port"},
    {"supervisor.worker.timeout.secs", SQ_CONFIG_INT, "5",
     "seconds without heartbeats after which a supervisor restarts a worker"},
    {"supervisor.monitor.frequency.secs", SQ_CONFIG_INT, "1",
     "seconds between a supervisor's checks of its workers"},
    {"supervisor.heartbeat.frequency.secs", SQ_CONFIG_DOUBLE, "0.5",
     "seconds between a supervisor's heartbeats to nimbus"},
    {"worker.heartbeat.frequency.secs", SQ_CONFIG_INT, "1",
     "seconds between a worker's heartbeats"},
    {"storm.local.dir", SQ_CONFIG_STRING, SQUALL_LOCAL_DIR,
     "directory where daemons keep packages and state"},
    {"storm.log.dir", SQ_CONFIG_STRING, "",
     "directory of the daemons' and workers' log files; empty means stderr"},
    {"squall.log.max.mb", SQ_CONFIG_INT, "100",
     "size in MiB at which a log file under storm.log.dir is rotated"},
    {"squall.log.backups", SQ_CONFIG_INT, "9",
     "rotated log files kept beside each log (<name>.1 is the newest)"},
    {"storm.local.hostname", SQ_CONFIG_STRING, "127.0.0.1",
     "host name a supervisor registers and workers are reached at"},
    {"supervisor.worker.command", SQ_CONFIG_STRING, "",
     "program a supervisor runs as a worker; empty means squall-worker next to the supervisor"},
    {"topology.worker.max.heap.size.mb", SQ_CONFIG_INT, "768",
     "resident memory in MB a worker may use; a supervisor kills a worker over it and restarts it"},
    {"supervisor.worker.shutdown.sleep.secs", SQ_CONFIG_INT, "3",
     "seconds a supervisor waits after SIGTERM before it kills a worker with SIGKILL; "
     "workers (half of it) and local mode wait this long for callbacks to return"},
    {"nimbus.package.max.bytes", SQ_CONFIG_INT, "104857600",
     "largest topology package nimbus accepts, in bytes"},
    {"nimbus.max.connections.per.peer", SQ_CONFIG_INT, "32",
     "connections one peer address may have open to a secured nimbus; 0 for no limit"},
    {"nimbus.max.connections", SQ_CONFIG_INT, "1024",
     "connections a secured nimbus keeps open in all; 0 for no limit"},
    {"nimbus.zmq.rcvhwm", SQ_CONFIG_INT, "4",
     "messages nimbus holds received from one connection before it stops reading it"},
    {"nimbus.validation.timeout.secs", SQ_CONFIG_INT, "30",
     "seconds nimbus allows a submitted package to load, build and validate"},
    {"nimbus.validation.user", SQ_CONFIG_STRING, "nobody",
     "user a package's validation runs as when nimbus runs as root"},
    {"nimbus.validation.cpu.secs", SQ_CONFIG_INT, "10",
     "seconds of CPU time a package's validation may use"},
    {"nimbus.validation.memory.mb", SQ_CONFIG_INT, "256",
     "megabytes of memory a package's validation may map beyond what it starts with"},
    {"nimbus.validation.file.size.mb", SQ_CONFIG_INT, "16",
     "largest file, and size of the scratch directory, of a package's validation, in MB"},
    {"nimbus.validation.open.files", SQ_CONFIG_INT, "64",
     "descriptors a package's validation may hold open"},
    {"nimbus.validation.processes", SQ_CONFIG_INT, "8",
     "processes and threads a package's validation may run (RLIMIT_NPROC)"},
    {"supervisor.run.worker.as.user", SQ_CONFIG_BOOL, "false",
     "run each worker as its topology's topology.submitter.user (the supervisor must be root)"},
    {"ui.host", SQ_CONFIG_STRING, "127.0.0.1",
     "address nimbus serves Storm's UI REST API and /metrics on"},
    {"ui.port", SQ_CONFIG_INT, "8080",
     "port of the REST API; 0 picks a free port, -1 turns it off"},
    {"ui.max.connections", SQ_CONFIG_INT, "64", "most HTTP connections open at once"},
    {"ui.connection.timeout.secs", SQ_CONFIG_INT, "10",
     "seconds of silence after which nimbus closes an HTTP connection"},
    {"ui.connection.memory.bytes", SQ_CONFIG_INT, "32768",
     "bytes an HTTP connection may use for its request line and headers"},
    {"ui.max.request.bytes", SQ_CONFIG_INT, "16384",
     "largest HTTP request body accepted, in bytes"},
    //  Authorization (nimbus_authorizer, doc/security.md)
    {"nimbus.admins", SQ_CONFIG_STRING_LIST, "", "principals that may do everything on nimbus"},
    {"nimbus.users", SQ_CONFIG_STRING_LIST, "",
     "principals that may submit topologies; empty means every authenticated principal"},
    {"nimbus.supervisor.users", SQ_CONFIG_STRING_LIST, "",
     "principals that may download any topology's package (the supervisors)"},
    {"topology.users", SQ_CONFIG_STRING_LIST, "",
     "principals that may do to the topology what its owner may"},
    {"topology.submitter.user", SQ_CONFIG_STRING, "",
     "principal that submitted the topology (its owner); nimbus writes it"},
    {"ui.tokens.file", SQ_CONFIG_STRING, "",
     "file of 'TOKEN PRINCIPAL' lines for the REST API's bearer tokens; mode 0600"},
    {"squall.curve.secret.key.file", SQ_CONFIG_STRING, "",
     "this process's secret CURVE certificate (its identity)"},
    {"squall.curve.allowed.dir", SQ_CONFIG_STRING, "",
     "directory of the public CURVE certificates nimbus accepts; their name is the principal"},
    {"squall.curve.server.public.key.file", SQ_CONFIG_STRING, "",
     "nimbus's public CURVE certificate, for nimbus's clients"},
    {"squall.insecure", SQ_CONFIG_BOOL, "false",
     "allow a daemon to serve a non-loopback address without keys or tokens"},
    {"storm.messaging.max.message.bytes", SQ_CONFIG_INT, "16777216",
     "largest message a worker accepts from another worker, in bytes"},
    {"ui.dir", SQ_CONFIG_STRING, "",
     "directory nimbus reads its web UI's files from; empty means where make install put them"},
    //  The Redis Streams spout and bolt (doc/redis.md).
    {"redis.host", SQ_CONFIG_STRING, "127.0.0.1",
     "host of the Redis server the Redis Streams spout and bolt use"},
    {"redis.port", SQ_CONFIG_INT, "6379", "port of that Redis server"},
    {"redis.password", SQ_CONFIG_STRING, "",
     "password sent with AUTH after connecting; empty sends none"},
    {"redis.database", SQ_CONFIG_INT, "0", "database number selected after connecting"},
    {"redis.timeout.ms", SQ_CONFIG_INT, "2000",
     "milliseconds one connect or command to Redis may take"},
    {"redis.backoff.initial.ms", SQ_CONFIG_INT, "100",
     "milliseconds before the first new attempt after Redis failed, and before a failed "
     "entry's first replay; each next one waits twice as long"},
    {"redis.backoff.max.ms", SQ_CONFIG_INT, "5000",
     "longest wait in milliseconds between two attempts to reach Redis, or before a replay"},
    {"redis.stream.key", SQ_CONFIG_STRING, "",
     "key of the stream the spout reads or the bolt appends to"},
    {"redis.stream.group", SQ_CONFIG_STRING, "squall",
     "consumer group the spout reads in (created with MKSTREAM when missing)"},
    {"redis.stream.group.start.id", SQ_CONFIG_STRING, "0",
     "id the consumer group starts after when the spout creates it: 0 for the whole stream, $ "
     "for new entries only"},
    {"redis.stream.consumer", SQ_CONFIG_STRING, "",
     "prefix of the spout's consumer names, followed by -<task index>; empty means "
     "<topology>-<component>"},
    {"redis.stream.count", SQ_CONFIG_INT, "64",
     "most entries one XREADGROUP or XAUTOCLAIM returns"},
    {"redis.stream.block.ms", SQ_CONFIG_INT, "2",
     "milliseconds an XREADGROUP waits for new entries when there are none; 0 means it does "
     "not wait"},
    {"redis.stream.max.pending", SQ_CONFIG_INT, "1000",
     "most entries one spout task holds (emitted and not yet XACKed)"},
    {"redis.stream.claim.idle.ms", SQ_CONFIG_INT, "60000",
     "milliseconds a pending entry stays idle before the spout takes it over with XAUTOCLAIM; "
     "0 turns claiming off"},
    {"redis.stream.max.deliveries", SQ_CONFIG_INT, "10",
     "deliveries after which a failed entry goes to the dead-letter stream; 0 means never"},
    {"redis.stream.dead.letter.key", SQ_CONFIG_STRING, "",
     "key of the dead-letter stream; empty means <redis.stream.key>:dead"},
    {"redis.stream.maxlen", SQ_CONFIG_INT, "0",
     "the bolt trims its stream to about this many entries (XADD MAXLEN ~); 0 means no "
     "trimming"},
};

#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

//  The values each numeric key of the table accepts, bounds included (for
//  a list, each element). Every numeric key is here (test_config checks),
//  and doc/config.md lists the ranges.
typedef struct {
    const char *name; //  a key of s_keys of type int, double or int list
    double min;       //  smallest value accepted
    double max;       //  largest value accepted
} s_range_t;

static const s_range_t s_ranges[] = {
    {"topology.workers", 1, 4096},
    {"topology.acker.executors", 0, 10000},
    {"topology.message.timeout.secs", 1, 604800},
    {"topology.max.spout.pending", 0, 100000000},
    {"topology.tick.tuple.freq.secs", 0, 86400},
    {"topology.executor.receive.buffer.size", 2, 16777216},
    {"topology.producer.batch.size", 1, 65536},
    {"topology.sleep.spout.wait.strategy.time.ms", 0, 10000},
    {"topology.spout.wait.progressive.level1.count", 0, 1000000},
    {"topology.spout.wait.progressive.level2.count", 0, 1000000},
    {"topology.spout.wait.progressive.level3.sleep.millis", 0, 10000},
    {"topology.bolt.wait.progressive.level1.count", 0, 1000000},
    {"topology.bolt.wait.progressive.level2.count", 0, 1000000},
    {"topology.bolt.wait.progressive.level3.sleep.millis", 0, 10000},
    {"topology.backpressure.wait.progressive.level1.count", 0, 1000000},
    {"topology.backpressure.wait.progressive.level2.count", 0, 1000000},
    {"topology.backpressure.wait.progressive.level3.sleep.millis", 0, 10000},
    {"squall.spout.wait.progressive.max.sleep.millis", 1, 10000},
    {"topology.stats.sample.rate", 0, 1},
    {"topology.trace.sample.rate", 0, 1},
    {"topology.bolts.window.length.count", 0, 65535},
    {"topology.bolts.window.length.duration.ms", 0, 604800000},
    {"topology.bolts.sliding.interval.count", 0, 65535},
    {"topology.bolts.sliding.interval.duration.ms", 0, 604800000},
    {"topology.bolts.tuple.timestamp.max.lag.ms", 0, 604800000},
    {"topology.bolts.watermark.event.interval.ms", 1, 3600000},
    {"topology.bolts.window.max.tuples", 1, 65535},
    {"topology.subprocess.timeout.secs", 1, 86400},
    {"topology.shellbolt.max.pending", 1, 1000000},
    {"storm.zookeeper.port", 1, 65535},
    {"storm.zookeeper.session.timeout", 1, 600000},
    {"storm.zookeeper.connection.timeout", 1, 600000},
    {"storm.zookeeper.retry.times", 0, 1000},
    {"storm.zookeeper.retry.interval", 1, 600000},
    {"storm.zookeeper.retry.intervalceiling.millis", 1, 3600000},
    {"nimbus.port", 1, 65535},
    {"nimbus.task.timeout.secs", 1, 86400},
    {"nimbus.monitor.freq.secs", 1, 3600},
    {"nimbus.supervisor.timeout.secs", 0.1, 3600},
    {"supervisor.heartbeat.frequency.secs", 0.1, 3600},
    {"supervisor.slots.ports", 1, 65535},
    {"supervisor.worker.timeout.secs", 1, 86400},
    {"supervisor.monitor.frequency.secs", 1, 3600},
    {"worker.heartbeat.frequency.secs", 1, 3600},
    {"squall.log.max.mb", 1, 1048576},
    {"squall.log.backups", 0, 99},
    {"supervisor.worker.shutdown.sleep.secs", 0, 3600},
    {"topology.worker.max.heap.size.mb", 16, 1048576},
    {"nimbus.package.max.bytes", 1, 536870912},
    {"nimbus.max.connections.per.peer", 0, 1000000},
    {"nimbus.max.connections", 0, 1000000},
    {"nimbus.zmq.rcvhwm", 1, 1000000},
    {"nimbus.validation.timeout.secs", 1, 3600},
    {"nimbus.validation.cpu.secs", 1, 3600},
    {"nimbus.validation.memory.mb", 1, 1048576},
    {"nimbus.validation.file.size.mb", 1, 1048576},
    {"nimbus.validation.open.files", 1, 1048576},
    {"nimbus.validation.processes", 1, 65536},
    {"ui.port", -1, 65535},
    {"ui.max.connections", 1, 100000},
    {"ui.connection.timeout.secs", 1, 3600},
    {"ui.connection.memory.bytes", 1024, 16777216},
    {"ui.max.request.bytes", 1, 16777216},
    {"storm.messaging.max.message.bytes", 1024, 1073741824},
    {"redis.port", 1, 65535},
    {"redis.database", 0, 65535},
    {"redis.timeout.ms", 1, 600000},
    {"redis.backoff.initial.ms", 1, 600000},
    {"redis.backoff.max.ms", 1, 3600000},
    {"redis.stream.count", 1, 100000},
    {"redis.stream.block.ms", 0, 60000},
    {"redis.stream.max.pending", 1, 10000000},
    {"redis.stream.claim.idle.ms", 0, 86400000},
    {"redis.stream.max.deliveries", 1, 1000000},
    {"redis.stream.maxlen", 0, 1000000000},
};

#define S_RANGE_COUNT (sizeof s_ranges / sizeof s_ranges[0])

//  ---------------------------------------------------------------------
//  Key table

const sq_config_key_t *
sq_config_key_at (size_t index)
{
    return index < S_KEY_COUNT ? &s_keys[index] : NULL;
}

const sq_config_key_t *
sq_config_key_lookup (const char *name)
{
    assert (name);
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (strcmp (s_keys[i].name, name) == 0)
            return &s_keys[i];
    return NULL;
}

bool
sq_config_key_range (const char *name, double *min_p, double *max_p)
{
    assert (name);
    for (size_t i = 0; i < S_RANGE_COUNT; i++)
        if (strcmp (s_ranges[i].name, name) == 0) {
            if (min_p)
                *min_p = s_ranges[i].min;
            if (max_p)
                *max_p = s_ranges[i].max;
            return true;
        }
    return false;
}

const char *
sq_config_type_name (sq_config_type_t type)
{
    switch (type) {
    case SQ_CONFIG_INT:
        return "int";
    case SQ_CONFIG_DOUBLE:
        return "double";
    case SQ_CONFIG_BOOL:
        return "bool";
    case SQ_CONFIG_STRING:
        return "string";
    case SQ_CONFIG_STRING_LIST:
        return "list of strings";
    case SQ_CONFIG_INT_LIST:
        return "list of ints";
    }
    return "unknown";
}

//  What a value of the type is, for error messages.
static const char *
s_expects (sq_config_type_t type)
{
    switch (type) {
    case SQ_CONFIG_INT:
        return "an integer";
    case SQ_CONFIG_DOUBLE:
        return "a finite number";
    case SQ_CONFIG_BOOL:
        return "true or false";
    case SQ_CONFIG_STRING:
        return "a UTF-8 string";
    case SQ_CONFIG_STRING_LIST:
        return "a list of UTF-8 strings";
    case SQ_CONFIG_INT_LIST:
        return "a list of integers";
    }
    return "a value";
}

//  ---------------------------------------------------------------------
//  Parsing text

//  Returns text without leading white space; its trimmed length in *len_p.
static const char *
s_trim (const char *text, size_t *len_p)
{
    while (isspace ((unsigned char) *text))
        text++;
    size_t len = strlen (text);
    while (len && isspace ((unsigned char) text[len - 1]))
        len--;
    *len_p = len;
    return text;
}

//  Parses the len bytes at text as a decimal integer. Returns 0 or -1.
static int
s_parse_int (const char *text, size_t len, json_int_t *value_p)
{
    char buffer[32];
    if (len == 0 || len >= sizeof buffer)
        return -1;
    memcpy (buffer, text, len);
    buffer[len] = 0;
    if (isspace ((unsigned char) buffer[0]))
        return -1;
    char *end;
    errno = 0;
    long long value = strtoll (buffer, &end, 10);
    if (end == buffer || *end || errno == ERANGE)
        return -1;
    *value_p = value;
    return 0;
}

//  Parses the len bytes at text as a finite number. Returns 0 or -1.
static int
s_parse_double (const char *text, size_t len, double *value_p)
{
    char buffer[64];
    if (len == 0 || len >= sizeof buffer)
        return -1;
    memcpy (buffer, text, len);
    buffer[len] = 0;
    if (isspace ((unsigned char) buffer[0]))
        return -1;
    char *end;
    errno = 0;
    double value = strtod (buffer, &end);
    if (end == buffer || *end || !isfinite (value))
        return -1;
    *value_p = value;
    return 0;
}

//  Parses a comma-separated list of strings or integers. Returns a new
//  JSON array, or NULL for an empty item or an item that is not an
//  integer in an integer list.
static json_t *
s_parse_list (const char *text, size_t len, sq_config_type_t type)
{
    json_t *list = json_array ();
    if (!list || len == 0)
        return list;
    const char *limit = text + len;
    const char *start = text;
    while (true) {
        const char *comma = memchr (start, ',', (size_t) (limit - start));
        const char *stop = comma ? comma : limit;
        while (start < stop && isspace ((unsigned char) *start))
            start++;
        while (stop > start && isspace ((unsigned char) stop[-1]))
            stop--;
        size_t item_len = (size_t) (stop - start);
        json_t *item = NULL;
        json_int_t number;
        if (item_len && type == SQ_CONFIG_STRING_LIST)
            item = json_stringn (start, item_len);
        else if (item_len && s_parse_int (start, item_len, &number) == 0)
            item = json_integer (number);
        if (!item || json_array_append_new (list, item)) {
            json_decref (list);
            return NULL;
        }
        if (!comma)
            break;
        start = comma + 1;
    }
    return list;
}

//  True when value is of the type; integers pass for doubles.
static bool
s_has_type (const json_t *value, sq_config_type_t type)
{
    switch (type) {
    case SQ_CONFIG_INT:
        return json_is_integer (value);
    case SQ_CONFIG_DOUBLE:
        return json_is_number (value);
    case SQ_CONFIG_BOOL:
        return json_is_boolean (value);
    case SQ_CONFIG_STRING:
        return json_is_string (value);
    case SQ_CONFIG_STRING_LIST:
    case SQ_CONFIG_INT_LIST: {
        if (!json_is_array (value))
            return false;
        size_t index;
        const json_t *item;
        json_array_foreach (value, index, item)
        {
            if (type == SQ_CONFIG_STRING_LIST ? !json_is_string (item) : !json_is_integer (item))
                return false;
        }
        return true;
    }
    }
    return false;
}

//  Parses text for a value of the type; NULL when it is not one.
static json_t *
s_parse_typed (const char *text, sq_config_type_t type)
{
    size_t len;
    const char *trimmed = s_trim (text, &len);
    json_int_t number;
    double real;
    switch (type) {
    case SQ_CONFIG_INT:
        return s_parse_int (trimmed, len, &number) ? NULL : json_integer (number);
    case SQ_CONFIG_DOUBLE:
        return s_parse_double (trimmed, len, &real) ? NULL : json_real (real);
    case SQ_CONFIG_BOOL:
        if (len == 4 && memcmp (trimmed, "true", 4) == 0)
            return json_true ();
        if (len == 5 && memcmp (trimmed, "false", 5) == 0)
            return json_false ();
        return NULL;
    case SQ_CONFIG_STRING:
        return json_string (text);
    case SQ_CONFIG_STRING_LIST:
    case SQ_CONFIG_INT_LIST:
        if (len && trimmed[0] == '[') {
            json_t *list = json_loadb (trimmed, len, 0, NULL);
            if (list && !s_has_type (list, type)) {
                json_decref (list);
                list = NULL;
            }
            return list;
        }
        return s_parse_list (trimmed, len, type);
    }
    return NULL;
}

//  ---------------------------------------------------------------------
//  Defaults, built once per process

static json_t *s_default_values; //  known key -> default; never modified once built
static pthread_once_t s_default_once = PTHREAD_ONCE_INIT;

static void
s_build_defaults (void)
{
    json_t *defaults = json_object ();
    assert (defaults);
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        json_t *value = s_parse_typed (s_keys[i].default_text, s_keys[i].type);
        assert (value); //  a default that does not parse is a bug in s_keys
        json_object_set_new (defaults, s_keys[i].name, value);
    }
    s_default_values = defaults;
}

static const json_t *
s_default (const char *key)
{
    pthread_once (&s_default_once, s_build_defaults);
    return json_object_get (s_default_values, key);
}

//  ---------------------------------------------------------------------
//  Storing

//  Compact JSON text of a value, for error messages, in buffer.
static const char *
s_describe (const json_t *value, char *buffer, size_t size)
{
    char *text = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf (buffer, size, "%s", text ? text : "?");
    if (text && strlen (text) >= size && size > 4)
        memcpy (buffer + size - 4, "...", 4);
    free (text);
    return buffer;
}

//  True, with the error set, when a number of value (the value, or an
//  element of a list) lies outside key's range.
static bool
s_out_of_range (const char *key, const json_t *value)
{
    double min, max;
    if (!sq_config_key_range (key, &min, &max))
        return false;
    size_t count = json_is_array (value) ? json_array_size (value) : 1;
    for (size_t i = 0; i < count; i++) {
        const json_t *number = json_is_array (value) ? json_array_get (value, i) : value;
        double got = json_number_value (number);
        if (got < min || got > max) {
            char buffer[64];
            sq_error_set ("config key '%s' must be between %.15g and %.15g, got %s", key, min, max,
                          s_describe (number, buffer, sizeof buffer));
            return true;
        }
    }
    return false;
}

//  Stores value (taking it over) under key, after checking a known key's
//  type and range. Returns 0 or -1.
static int
s_store (sq_config_t *self, const char *key, json_t *value)
{
    assert (self);
    assert (key);
    if (!value)
        return sq_error_set ("config key '%s': out of memory", key);
    if (!*key) {
        json_decref (value);
        return sq_error_set ("config key is empty");
    }
    const sq_config_key_t *known = sq_config_key_lookup (key);
    if (known && !s_has_type (value, known->type)) {
        char buffer[128];
        sq_error_set ("config key '%s' expects %s, got %s", key, s_expects (known->type),
                      s_describe (value, buffer, sizeof buffer));
        json_decref (value);
        return -1;
    }
    if (known && s_out_of_range (key, value)) {
        json_decref (value);
        return -1;
    }
    if (known && known->type == SQ_CONFIG_DOUBLE && json_is_integer (value)) {
        json_t *real = json_real ((double) json_integer_value (value));
        json_decref (value);
        if (!real)
            return sq_error_set ("config key '%s': out of memory", key);
        value = real;
    }
    if (json_object_set_new (self->values, key, value))
        return sq_error_set ("config key '%s' is not valid UTF-8", key);
    return 0;
}

//  ---------------------------------------------------------------------
//  Public API (squall.h)

sq_config_t *
sq_config_new (void)
{
    sq_config_t *self = calloc (1, sizeof (sq_config_t));
    if (!self)
        return NULL;
    self->values = json_object ();
    if (!self->values) {
        free (self);
        return NULL;
    }
    return self;
}

void
sq_config_destroy (sq_config_t **self_p)
{
    if (self_p && *self_p) {
        json_decref ((*self_p)->values);
        free (*self_p);
        *self_p = NULL;
    }
}

sq_config_t *
sq_config_dup (const sq_config_t *self)
{
    assert (self);
    sq_config_t *copy = calloc (1, sizeof (sq_config_t));
    if (!copy)
        return NULL;
    copy->values = json_deep_copy (self->values);
    if (!copy->values) {
        free (copy);
        return NULL;
    }
    return copy;
}

void
sq_config_merge (sq_config_t *self, const sq_config_t *source)
{
    assert (self);
    assert (source);
    if (self == source)
        return;
    const char *key;
    json_t *value;
    json_object_foreach (source->values, key, value)
    {
        json_t *copy = json_deep_copy (value);
        if (copy)
            json_object_set_new (self->values, key, copy);
    }
}

int
sq_config_set (sq_config_t *self, const char *key, const char *text)
{
    assert (self);
    assert (key);
    if (!text)
        return sq_error_set ("config key '%s': no value given", key);
    const sq_config_key_t *known = sq_config_key_lookup (key);
    json_t *value = known ? s_parse_typed (text, known->type) : json_string (text);
    if (!value && !known)
        return sq_error_set ("config key '%s' expects UTF-8 text", key);
    if (!value)
        return sq_error_set ("config key '%s' expects %s, got '%s'", key, s_expects (known->type),
                             text);
    return s_store (self, key, value);
}

int
sq_config_set_int (sq_config_t *self, const char *key, int64_t value)
{
    return s_store (self, key, json_integer ((json_int_t) value));
}

int
sq_config_set_double (sq_config_t *self, const char *key, double value)
{
    assert (key);
    if (!isfinite (value))
        return sq_error_set ("config key '%s' expects a finite number, got %g", key, value);
    return s_store (self, key, json_real (value));
}

int
sq_config_set_bool (sq_config_t *self, const char *key, bool value)
{
    return s_store (self, key, json_boolean (value));
}

int
sq_config_set_string (sq_config_t *self, const char *key, const char *value)
{
    assert (key);
    if (!value)
        return sq_error_set ("config key '%s': no value given", key);
    json_t *string = json_string (value);
    if (!string)
        return sq_error_set ("config key '%s' expects UTF-8 text", key);
    return s_store (self, key, string);
}

bool
sq_config_has (const sq_config_t *self, const char *key)
{
    assert (self);
    assert (key);
    return json_object_get (self->values, key) != NULL;
}

//  A value as a typed getter sees it: as stored, or, for a topology's own
//  keys (kept as text), the text parsed as the type. Shared values (the
//  defaults) are never touched, so threads may read one config at once.
typedef struct {
    const json_t *value; //  what the getter reads; NULL when unset
    json_t *parsed;      //  owned parse of text, to decref; or NULL
} s_reading_t;

static s_reading_t
s_read (const sq_config_t *self, const char *key, sq_config_type_t type)
{
    const json_t *value = sq_config_json (self, key);
    json_t *parsed =
        json_is_string (value) ? s_parse_typed (json_string_value (value), type) : NULL;
    return (s_reading_t){parsed ? parsed : value, parsed};
}

int64_t
sq_config_int (const sq_config_t *self, const char *key, int64_t fallback)
{
    s_reading_t reading = s_read (self, key, SQ_CONFIG_INT);
    int64_t result =
        json_is_integer (reading.value) ? json_integer_value (reading.value) : fallback;
    json_decref (reading.parsed);
    return result;
}

double
sq_config_double (const sq_config_t *self, const char *key, double fallback)
{
    s_reading_t reading = s_read (self, key, SQ_CONFIG_DOUBLE);
    double result = json_is_number (reading.value) ? json_number_value (reading.value) : fallback;
    json_decref (reading.parsed);
    return result;
}

bool
sq_config_bool (const sq_config_t *self, const char *key, bool fallback)
{
    s_reading_t reading = s_read (self, key, SQ_CONFIG_BOOL);
    bool result = json_is_boolean (reading.value) ? json_is_true (reading.value) : fallback;
    json_decref (reading.parsed);
    return result;
}

const char *
sq_config_string (const sq_config_t *self, const char *key, const char *fallback)
{
    const json_t *value = sq_config_json (self, key);
    return json_is_string (value) ? json_string_value (value) : fallback;
}

//  ---------------------------------------------------------------------
//  Internal API (sq_config.h)

const json_t *
sq_config_json (const sq_config_t *self, const char *key)
{
    assert (self);
    assert (key);
    const json_t *value = json_object_get (self->values, key);
    return value ? value : s_default (key);
}

const json_t *
sq_config_list (const sq_config_t *self, const char *key)
{
    const json_t *value = sq_config_json (self, key);
    return json_is_array (value) ? value : NULL;
}

int
sq_config_set_json (sq_config_t *self, const char *key, const json_t *value)
{
    assert (value);
    return s_store (self, key, json_deep_copy (value));
}

json_t *
sq_config_to_json (const sq_config_t *self)
{
    assert (self);
    return json_deep_copy (self->values);
}

sq_config_t *
sq_config_from_json (const json_t *json)
{
    assert (json);
    if (!json_is_object (json)) {
        char buffer[64];
        sq_error_set ("config expects a JSON object, got %s",
                      s_describe (json, buffer, sizeof buffer));
        return NULL;
    }
    sq_config_t *self = sq_config_new ();
    if (!self) {
        sq_error_set ("config: out of memory");
        return NULL;
    }
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) json, key, value)
    {
        if (sq_config_set_json (self, key, value)) {
            sq_config_destroy (&self);
            return NULL;
        }
    }
    return self;
}

sq_config_t *
sq_config_load_file (const char *path)
{
    assert (path);
    json_error_t error;
    json_t *json = json_load_file (path, 0, &error);
    if (!json) {
        if (error.line > 0)
            sq_error_set ("config file '%s': line %d column %d: %s", path, error.line, error.column,
                          error.text);
        else
            sq_error_set ("config file '%s': %s", path, error.text);
        return NULL;
    }
    sq_config_t *self = sq_config_from_json (json);
    json_decref (json);
    if (!self) {
        char reason[512];
        snprintf (reason, sizeof reason, "%s", sq_last_error ());
        sq_error_set ("config file '%s': %s", path, reason);
    }
    return self;
}

int
sq_config_merge_file (sq_config_t *self, const char *path)
{
    sq_config_t *loaded = sq_config_load_file (path);
    if (!loaded)
        return -1;
    sq_config_merge (self, loaded);
    sq_config_destroy (&loaded);
    return 0;
}

int
sq_config_set_option (sq_config_t *self, const char *option)
{
    const char *equals = strchr (option, '=');
    if (!equals || equals == option)
        return sq_error_set ("-c expects key=value, got '%s'", option);
    char *key = strndup (option, (size_t) (equals - option));
    if (!key)
        return sq_error_set ("out of memory");
    int rc = sq_config_set (self, key, equals + 1);
    free (key);
    return rc;
}
