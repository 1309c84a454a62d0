#!/usr/bin/env python3
"""make_corpus - writes the generated seeds of tests/fuzz/corpus/<target>

Each seed is named "<verdict>-<what it is>": the verdict is what the fuzz
target must make of it (tests/fuzz/fuzz_target.h), and the replay run by
`make check` fails a seed whose verdict differs. Batches are built here
from doc/wire.md, not with the C encoder, so the replay's round trip also
checks the codec against a second reading of the grammar. The seeds are
committed; run this again (python3 tests/fuzz/make_corpus.py) after
changing it. Hand-made seeds and inputs found by `make fuzz` sit beside
these in the same folders and are not touched.
"""
import os
import struct

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SEPARATOR = b"\n\0\n"  # fuzz_control.c cuts frames here


def write(target, prefix, seeds):
    """Writes each seed of the name -> bytes (or text) map as prefix + name."""
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(CORPUS, target, prefix + name), "wb") as file:
            file.write(data)


# A heartbeat's metrics object (doc/metrics.md): one bolt executor that
# executed one tuple in 1500 ns (bucket 206 of sq_histogram's layout).
HISTOGRAM_1500 = '{"v":1,"count":1,"sum":1500,"max":1500,"b":[206,1]}'
HISTOGRAM_EMPTY = '{"v":1,"count":0,"sum":0,"max":0,"b":[]}'
METRICS = (
    '{"v":1,"omitted":0,"executors":[{"component":"split","spout":false,"tasks":[2,3],'
    '"uptime_ns":1000,"queue":{"population":0,"capacity":16},'
    '"held_ns":{"max_pending":0,"backpressure":0,"inactive":0},"errors_total":0,'
    '"streams":[{"stream":"default","emitted":1,"transferred":2}],'
    '"inputs":[{"component":"spout","stream":"default","executed":1,"acked":0,"failed":0,'
    '"execute_latency":' + HISTOGRAM_1500 + ',"process_latency":' + HISTOGRAM_EMPTY + '}],'
    '"errors":[],"user":[]}]}')


# ---------------------------------------------------------------------
# codec: fuzz_codec.c resolves stream 0 (1 field), 1 (2 fields), 2 (3 fields)


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def u64(value):
    return struct.pack("<Q", value & 0xFFFFFFFFFFFFFFFF)


def header(count, version=1):
    return b"SQ" + bytes([version]) + struct.pack("<I", count)


def null():
    return b"\x00"


def integer(value):
    return b"\x01" + u64(value)


def double(value):
    return b"\x02" + struct.pack("<d", value)


def double_bits(bits):
    return b"\x02" + u64(bits)


def string(text):
    data = text.encode() if isinstance(text, str) else text
    return b"\x03" + varint(len(data)) + data


def blob(data):
    return b"\x04" + varint(len(data)) + data


def boolean(value):
    return b"\x05" + bytes([value])


def tuple_message(task, stream, source, values, edges=()):
    out = b"\x01" + varint(task) + varint(stream) + varint(source) + varint(len(edges))
    for root, edge in edges:
        out += u64(root) + u64(edge)
    return out + bytes([len(values)]) + b"".join(values)


def acking(kind, task, root, value):
    return bytes([kind]) + varint(task) + u64(root) + u64(value)


def batch(*messages):
    return header(len(messages)) + b"".join(messages)


ONE = tuple_message(1, 0, 2, [string("storm")])  # a valid tuple to build on


def codec():
    good = {
        "one-string": batch(ONE),
        "two-fields": batch(tuple_message(3, 1, 1, [string("word"), integer(7)])),
        "three-fields": batch(tuple_message(4, 2, 1, [null(), integer(-1), double(2.5)])),
        "int-extremes": batch(
            tuple_message(1, 2, 0, [integer(-(2**63)), integer(2**63 - 1), integer(0)])),
        "double-specials": batch(
            tuple_message(1, 2, 0, [double(float("inf")), double(-0.0),
                                    double_bits(0x7FF8000000000000)])),
        "double-nan-payload": batch(tuple_message(1, 0, 0, [double_bits(0x7FF0000000000001)])),
        "double-subnormal": batch(tuple_message(1, 0, 0, [double_bits(1)])),
        "bools": batch(tuple_message(1, 1, 0, [boolean(0), boolean(1)])),
        "empty-string-and-bytes": batch(tuple_message(1, 1, 0, [string(""), blob(b"")])),
        "string-with-nul": batch(tuple_message(1, 0, 0, [string(b"a\0b")])),
        "string-utf8": batch(tuple_message(1, 0, 0, [string("h\u00e9llo w\u00f6rld \u2603")])),
        "string-invalid-utf8": batch(tuple_message(1, 0, 0, [string(b"\xff\xfe")])),
        "bytes-every-value": batch(tuple_message(1, 0, 0, [blob(bytes(range(256)))])),
        "string-127-bytes": batch(tuple_message(1, 0, 0, [string("x" * 127)])),
        "string-128-bytes": batch(tuple_message(1, 0, 0, [string("x" * 128)])),
        "string-16384-bytes": batch(tuple_message(1, 0, 0, [string("y" * 16384)])),
        "one-edge": batch(tuple_message(1, 0, 2, [null()], [(0x1111, 0x2222)])),
        "300-edges": batch(tuple_message(
            1, 0, 2, [null()], [(2**64 - 1 - i, i * 0x9E37) for i in range(300)])),
        "task-largest": batch(tuple_message(2**31 - 1, 0, 2**31 - 1, [null()])),
        "task-zero": batch(tuple_message(0, 0, 0, [null()])),
        "ack-init": batch(acking(2, 1, 0xDEADBEEFCAFEF00D, 1)),
        "ack-ack": batch(acking(3, 2, 1, 2**64 - 1)),
        "ack-fail": batch(acking(4, 3, 2**63, 0)),
        "tree-done": batch(acking(5, 2**31 - 1, 42, 0)),
        "tree-failed": batch(acking(6, 0, 43, 0)),
        "backpressure": batch(acking(7, 0, 0, 1)),
        "reset-timeout": batch(acking(8, 200, 0x0102030405060708, 0)),
        "hundred-mixed-messages": batch(*[
            acking(2 + i % 6, i, i * 7919, i) if i % 3 == 0 else
            tuple_message(i, i % 3, i % 5, [string("w%d" % i), integer(i), null()][:i % 3 + 1])
            for i in range(100)]),
    }
    write("codec", "batch-", good)

    int_message = tuple_message(1, 0, 0, [integer(5)])
    double_message = tuple_message(1, 0, 0, [double(0.5)])
    root_message = acking(3, 1, 5, 6)
    bad = {
        "empty-input": b"",
        "magic": b"SX" + header(0)[2:],
        "version-0": header(0, version=0),
        "version-2": header(0, version=2),
        "header-6-bytes": header(0)[:6],
        "count-2-holds-1": header(2) + ONE,
        "count-0-with-a-message": header(0) + ONE,
        "trailing-byte": batch(ONE) + b"\x00",
        "kind-0": header(1) + b"\x00" + ONE[1:],
        "kind-9": header(1) + b"\x09" + ONE[1:],
        "stream-3-unknown": batch(tuple_message(1, 3, 0, [null(), null(), null()])),
        "value-count-mismatch": batch(tuple_message(1, 0, 0, [null(), null()])),
        "value-type-6": batch(tuple_message(1, 0, 0, [b"\x06"])),
        "bool-2": batch(tuple_message(1, 0, 0, [b"\x05\x02"])),
        "string-length-beyond-end": batch(tuple_message(1, 0, 0, [b"\x03\x05ab"])),
        "string-length-4-gigabytes": batch(tuple_message(1, 0, 0, [b"\x03\xff\xff\xff\xff\x0f"])),
        "varint-not-shortest": header(1) + b"\x01\x81\x00" + ONE[2:],
        "varint-6-bytes": header(1) + b"\x01\x80\x80\x80\x80\x80\x00" + ONE[2:],
        "task-2-to-the-31": header(1) + b"\x01" + varint(2**31) + ONE[2:],
        "edge-count-65536": header(1) + b"\x01\x01\x00\x02" + varint(65536) + b"\x00",
        "edges-cannot-fit": header(1) + b"\x01\x01\x00\x02" + varint(2) + u64(1) + u64(2),
        # The boundary: an 8-byte read with 7 bytes left, at the end.
        "int-7-of-8-bytes": batch(int_message)[:-1],
        "double-7-of-8-bytes": batch(double_message)[:-1],
        "acking-value-7-of-8-bytes": batch(root_message)[:-1],
        "root-id-7-of-8-bytes": batch(root_message)[:-9],
        "edge-15-of-16-bytes": batch(tuple_message(1, 0, 2, [null()], [(1, 2)]))[:-3],
        "string-one-byte-short": batch(tuple_message(1, 0, 0, [string("hello")]))[:-1],
        "second-message-truncated": header(2) + ONE + ONE[:-3],
    }
    write("codec", "bad-", bad)


# ---------------------------------------------------------------------
# config: JSON config files ("json") and -c key=value text ("option")


def config():
    json_seeds = {
        "empty-object.json": "{}",
        "every-type.json": '{"topology.workers": 2, "topology.debug": true, '
                           '"topology.stats.sample.rate": 0.5, "storm.zookeeper.root": "/s", '
                           '"storm.zookeeper.servers": ["zk1", "zk2"], '
                           '"supervisor.slots.ports": [6700]}',
        "double-key-given-int.json": '{"topology.stats.sample.rate": 1}',
        "own-keys-any-value.json": '{"wordcount.limit": 12, "my.list": [1, "a", null], '
                                   '"my.object": {"nested": {"deep": [true]}}}',
        "unicode-key.json": '{"cl\u00e9.\u2603": "v\u00e4lue"}',
        "escaped-strings.json": '{"a\\"b": "line\\nbreak \\u00e9"}',
        "duplicate-key.json": '{"topology.workers": 1, "topology.workers": 3}',
        "empty-lists.json": '{"storm.zookeeper.servers": [], "supervisor.slots.ports": []}',
        "int-range-bounds.json": '{"topology.workers": 1, "nimbus.port": 65535, '
                                 '"ui.port": -1, "topology.stats.sample.rate": 0}',
        "whitespace-around.json": ' \n\t{"topology.workers": 4}\n\n',
    }
    write("config", "json-", json_seeds)
    option_seeds = {
        "bool-true": "topology.debug=true",
        "bool-false": "topology.enable.message.timeouts=false",
        "double": "topology.stats.sample.rate=0.25",
        "string": "storm.zookeeper.root=/squall",
        "string-empty": "supervisor.worker.command=",
        "string-list": "storm.zookeeper.servers=zk1,zk2,zk3",
        "int-negative": "ui.port=-1",
        "own-key-with-equals": "my.key=a=b=c",
        "own-key-utf8": "my.key=gr\u00fc\u00dfe",
        "second-line-ignored": "topology.workers=2\nthis line is not read",
    }
    write("config", "option-", option_seeds)
    bad = {
        "json-array.json": "[1, 2]",
        "json-number.json": "42",
        "json-list-key-not-array.json": '{"supervisor.slots.ports": 6700}',
        "json-int-list-with-text.json": '{"supervisor.slots.ports": [6700, "x"]}',
        "json-bool-key-given-string.json": '{"topology.debug": "yes"}',
        "json-trailing-garbage.json": '{"topology.workers": 1} x',
        "option-no-equals": "topology.workers",
        "option-int-not-number": "topology.workers=four",
        "option-int-overflow": "topology.workers=99999999999999999999",
        "option-int-below-range": "topology.max.spout.pending=-1",
        "option-int-above-range": "nimbus.port=70000",
        "option-double-above-range": "topology.stats.sample.rate=1.5",
        "option-int-list-element-out-of-range": "supervisor.slots.ports=6700,0",
        "json-int-extremes.json": '{"topology.workers": -9223372036854775808, '
                                  '"nimbus.port": 9223372036854775807}',
        "option-bool-maybe": "topology.debug=maybe",
        "option-int-list-with-text": "supervisor.slots.ports=6700,x",
        "option-invalid-utf8": b"my.key=\xff\xfe",
        "empty-input": "",
    }
    write("config", "bad-", bad)


# ---------------------------------------------------------------------
# records: supervisor, topology and assignment records


def records():
    supervisor = ('{"version":1,"id":"sup-%s","host":"10.0.0.7","ports":%s,'
                  '"started":1795340000}')
    topology = ('{"version":1,"name":"wc","id":"wc-1-1795340000","status":"%s",'
                '"package_checksum":"00ff","config":%s,"submitted":1795340000,"workers":%d%s}')
    assignment = ('{"version":1,"topology_name":"wc","topology_id":"wc-1-1795340000",'
                  '"generation":%d,"workers":[%s]}')
    worker = '{"supervisor_id":"%s","host":"127.0.0.1","port":%d,"executors":%s}'
    seeds = {
        "supervisor-one-port.json": supervisor % ("a", "[6700]"),
        "supervisor-no-ports.json": supervisor % ("b", "[]"),
        "supervisor-port-extremes.json": supervisor % ("c", "[1,65535]"),
        "supervisor-many-ports.json": supervisor % ("d", str(list(range(6700, 6764)))),
        "topology-inactive.json": topology % ("inactive", "{}", 1, ""),
        "topology-killed.json": topology % ("killed", "{}", 1, ""),
        "topology-full-config.json": topology % (
            "active", '{"topology.workers":4,"topology.debug":true,"wc.limit":"x"}', 4, ""),
        "topology-most-workers.json": topology % ("active", "{}", 4096, ""),
        "topology-rebalance-to-inactive.json": topology % (
            "active", "{}", 2, ',"rebalance":{"workers":1,"resume":"inactive","due":0}'),
        "assignment-no-workers.json": assignment % (0, ""),
        "assignment-one-executor.json": assignment % (1, worker % ("s1", 6700, "[[1,1]]")),
        "assignment-largest-task.json": assignment % (
            9, worker % ("s1", 6700, "[[1,65535]]")),
        "assignment-three-slots.json": assignment % (3, ",".join([
            worker % ("s1", 6700, "[[1,2]]"), worker % ("s1", 6701, "[[3,3],[5,6]]"),
            worker % ("s2", 6700, "[[4,4]]")])),
        "bad-empty-input": "",
        "bad-not-json": "supervisor a on port 6700",
        "bad-array.json": "[1,2,3]",
        "bad-supervisor-repeated-port.json": supervisor % ("e", "[6700,6700]"),
        "bad-supervisor-port-0.json": supervisor % ("f", "[0]"),
        "bad-supervisor-id-with-slash.json": supervisor % ("g/h", "[6700]"),
        "bad-topology-status-unknown.json": topology % ("paused", "{}", 1, ""),
        "bad-topology-workers-0.json": topology % ("active", "{}", 0, ""),
        "bad-topology-config-wrong-type.json": topology % (
            "active", '{"topology.workers":"two"}', 1, ""),
        "bad-topology-rebalance-resume-killed.json": topology % (
            "active", "{}", 2, ',"rebalance":{"workers":1,"resume":"killed","due":0}'),
        "bad-assignment-overlap.json": assignment % (1, ",".join([
            worker % ("s1", 6700, "[[1,3]]"), worker % ("s2", 6700, "[[3,4]]")])),
        "bad-assignment-same-slot.json": assignment % (1, ",".join([
            worker % ("s1", 6700, "[[1,1]]"), worker % ("s1", 6700, "[[2,2]]")])),
        "bad-assignment-reversed-range.json": assignment % (
            1, worker % ("s1", 6700, "[[3,1]]")),
        "bad-assignment-task-0.json": assignment % (1, worker % ("s1", 6700, "[[0,1]]")),
        "bad-assignment-no-executors.json": assignment % (1, worker % ("s1", 6700, "[]")),
        "bad-version-missing.json": '{"id":"sup-a","host":"h","ports":[],"started":0}',
    }
    write("records", "", seeds)


# ---------------------------------------------------------------------
# control: frames joined with SEPARATOR; a request's first frame is the
# sender's routing id, then (from a DEALER socket) an empty delimiter


ROUTING_ID = b"\x00\x6b\x8b\x45\x67"

# A heartbeat's traces section (doc/control.md): one hop event and the
# tree's outcome.
TRACES = ('{"v":1,"lost":0,"events":['
          '{"k":"emit","root":"00000000000c0004","edge":"00000000000000ff","ms":1.5e12,'
          '"task":3,"component":"split","from":1,"fromComponent":"spout","stream":"default"},'
          '{"k":"acked","root":"00000000000c0004","ms":1.5e12,"task":1,"component":"spout",'
          '"latencyMs":2.5}]}')


def request(body, *extra, delimiter=True):
    frames = [ROUTING_ID] + ([b""] if delimiter else []) + [body.encode()] + list(extra)
    return SEPARATOR.join(frames)


def control():
    seeds = {
        "submit-without-config": request(
            '{"version":1,"verb":"submit","name":"wc","checksum":"00ff"}', b"package"),
        "submit-empty-package": request(
            '{"version":1,"verb":"submit","name":"wc","checksum":"00ff","config":{}}', b""),
        "kill-name-longest": request(
            '{"version":1,"verb":"kill","name":"%s"}' % ("n" * 128)),
        "kill-wait-a-year": request('{"version":1,"verb":"kill","name":"wc","wait_secs":31536000}'),
        "activate-name-every-character": request(
            '{"version":1,"verb":"activate","name":"Az09._-x"}'),
        "rebalance-most-workers": request(
            '{"version":1,"verb":"rebalance","name":"wc","workers":4096}'),
        "list-no-delimiter": request('{"version":1,"verb":"list"}', delimiter=False),
        "list-request-number-large": request(
            '{"version":1,"request":9223372036854775807,"verb":"list"}'),
        "heartbeat-minimal": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":1}', delimiter=False),
        "heartbeat-metrics": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"metrics":' + METRICS + '}', delimiter=False),
        "download-any-id": request('{"version":1,"verb":"download","id":"x"}'),
        "metrics-request": request('{"version":1,"verb":"metrics","name":"wordcount"}'),
        "reply-empty-payload": '{"version":1,"ok":true}'.encode() + SEPARATOR,
        "reply-minimal": '{"version":1,"ok":true}',
        # One message, two readings: as a request the reply frame is the
        # routing id; as a reply the request frame is the payload.
        "list+reply-both-readings": '{"version":1,"ok":true}'.encode() + SEPARATOR
        + b'{"version":1,"verb":"list"}',
        "bad-empty-input": b"",
        "bad-routing-id-only": ROUTING_ID,
        "bad-not-an-object": request("[1,2]"),
        "bad-request-number-text": request('{"version":1,"request":"7","verb":"list"}'),
        "bad-no-version": request('{"verb":"list"}'),
        "bad-no-verb": request('{"version":1}'),
        "bad-submit-no-package": request(
            '{"version":1,"verb":"submit","name":"wc","checksum":"00ff"}'),
        "bad-submit-config-array": request(
            '{"version":1,"verb":"submit","name":"wc","checksum":"00ff","config":[]}', b"p"),
        "bad-kill-package-frame": request('{"version":1,"verb":"kill","name":"wc"}', b"p"),
        "bad-kill-name-too-long": request(
            '{"version":1,"verb":"kill","name":"%s"}' % ("n" * 129)),
        "bad-kill-name-starts-with-dot": request('{"version":1,"verb":"kill","name":".wc"}'),
        "bad-kill-wait-negative": request('{"version":1,"verb":"kill","name":"wc","wait_secs":-1}'),
        "bad-rebalance-workers-0": request(
            '{"version":1,"verb":"rebalance","name":"wc","workers":0}'),
        "bad-heartbeat-port-0": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":0}', delimiter=False),
        "bad-heartbeat-stats-array": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"stats":[]}', delimiter=False),
        # Metrics that break their grammar are dropped; the heartbeat counts.
        "heartbeat-metrics-count-dropped": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"metrics":' + METRICS.replace('"count":1,', '"count":2,') + '}',
            delimiter=False),
        # Traces (doc/control.md): kept, or dropped with the heartbeat kept.
        "heartbeat-traces": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"traces":' + TRACES + '}', delimiter=False),
        "heartbeat-traces-root-upper-case-dropped": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"traces":' + TRACES.replace("00000000000c0004", "00000000000C0004")
            + '}', delimiter=False),
        "heartbeat-traces-task-0-dropped": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"traces":' + TRACES.replace('"task":3', '"task":0') + '}',
            delimiter=False),
        "heartbeat-traces-not-object-dropped": request(
            '{"version":1,"verb":"heartbeat","topology":"t","id":"t-1","supervisor":"s",'
            '"port":6700,"traces":[]}', delimiter=False),
        "trace-request": request('{"version":1,"verb":"trace","name":"wordcount"}'),
        "trace-sample-off-limit-100": request(
            '{"version":1,"verb":"trace","name":"wc","sample_pct":0,"limit":100}'),
        "bad-trace-sample-pct-101": request(
            '{"version":1,"verb":"trace","name":"wc","sample_pct":101}'),
        "bad-trace-limit-0": request('{"version":1,"verb":"trace","name":"wc","limit":0}'),
        "bad-trace-no-name": request('{"version":1,"verb":"trace","sample_pct":1}'),
        "bad-download-no-id": request('{"version":1,"verb":"download"}'),
        "bad-metrics-no-name": request('{"version":1,"verb":"metrics"}'),
        "bad-reply-version-3": '{"version":3,"ok":true}',
        "bad-reply-ok-not-boolean": '{"version":1,"ok":1}',
        "bad-reply-error-empty": '{"version":1,"ok":false,"error":""}',
        "bad-reply-three-frames": SEPARATOR.join([b'{"version":1,"ok":true}', b"a", b"b"]),
    }
    write("control", "", seeds)


if __name__ == "__main__":
    codec()
    config()
    records()
    control()
