#!/usr/bin/env python3
"""test_adapters - Squall's multilang adapters driven from the Storm side

Plays the parent (Storm's ShellBolt / ShellSpout, Squall's sq_shell_bolt /
sq_shell_spout) to the fixtures in tests/integration/adapters/, once with
the Python adapter (multilang/py/storm.py, under python3) and once with the
Node.js one (multilang/js/storm.js, under Debian's nodejs). Both fixtures of
a pair do the same thing, so both adapters are held to one transcript:

  - the handshake: conf, context and pidDir in; {"pid": N} out, N the
    child's pid, and an empty file pidDir/N;
  - bolts: a tuple in; emits with their anchors (auto-anchored in a
    BasicBolt, named in a Bolt), stream, direct task and need_task_ids;
    task-id lists answered in emit order, also when a command comes
    before the answer; ack; fail (by a Bolt, and by a BasicBolt whose
    process raised, after an error report); log at every level, error
    and metrics; the __heartbeat tuple (task -1) answered with sync;
  - spouts: next (emit with a msg id, task ids, sync), ack, fail (and
    the re-emit), activate, deactivate, an unknown command (a warning,
    then sync), each answered with sync;
  - stdin closed: the child exits 0; a message that is not JSON: the
    child reports an error and exits non-zero.

Each read waits at most DEADLINE seconds. Without nodejs it skips (77), or
fails (99) where every suite must run (SQUALL_REQUIRE_ALL=1 or CI=true, as
tests/skip.sh says).
"""

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

NAME = "test_adapters"
DEADLINE = 20  # seconds a child may take to answer one message

SRCDIR = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
FIXTURES = os.path.join(SRCDIR, "tests", "integration", "adapters")


def required():
    flag = os.environ.get("SQUALL_REQUIRE_ALL")
    if flag is not None and flag != "":
        return flag != "0"
    return os.environ.get("CI") in ("true", "1")


def skip(reason):
    if required():
        print("%s: cannot run: %s; FAILED, as every suite must run here "
              "(SQUALL_REQUIRE_ALL=1, or CI=true)" % (NAME, reason), file=sys.stderr)
        sys.exit(99)
    print("%s: cannot run: %s; skipped" % (NAME, reason), file=sys.stderr)
    sys.exit(77)


class Failure(Exception):
    pass


class Child(object):
    """One adapter process and the Storm side of its pipes."""

    def __init__(self, language, fixture, args=()):
        self.pid_dir = tempfile.mkdtemp(prefix="sq-adapters-")
        env = dict(os.environ)
        if language == "py":
            command = [sys.executable, os.path.join(FIXTURES, fixture + ".py")]
            env["PYTHONPATH"] = os.path.join(SRCDIR, "multilang", "py")
        else:
            command = [shutil.which("nodejs") or shutil.which("node"),
                       os.path.join(FIXTURES, fixture + ".js")]
            env["NODE_PATH"] = os.path.join(SRCDIR, "multilang", "js")
        self.name = "%s/%s%s" % (language, fixture, "".join(" " + a for a in args))
        self.process = subprocess.Popen(command + list(args), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env)
        self.buffer = b""

    def send(self, message):
        self.send_raw(json.dumps(message) + "\nend\n")

    def send_raw(self, text):
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def read(self):
        """The child's next message, decoded; fails after DEADLINE."""
        deadline = time.monotonic() + DEADLINE
        while True:
            marker = self.buffer.find(b"\nend\n")
            if marker >= 0:
                text = self.buffer[:marker]
                self.buffer = self.buffer[marker + 5:]
                try:
                    return json.loads(text)
                except ValueError:
                    raise Failure("%s wrote a message that is not JSON: %r" % (self.name, text))
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("%s: no message within %d s (have %r)" %
                              (self.name, DEADLINE, self.buffer))
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise Failure("%s closed stdout; stderr: %s" % (self.name, self.stderr_tail()))
                self.buffer += chunk

    def expect(self, wanted):
        got = self.read()
        if got != wanted:
            raise Failure("%s: expected %s, got %s" % (self.name, json.dumps(wanted),
                                                        json.dumps(got)))
        return got

    def expect_with_sync(self, wanted):
        """The messages `wanted`, in order, with one sync anywhere among
        them (a heartbeat's answer: a synchronous adapter answers it after
        the tuple it is busy with, an asynchronous one at once)."""
        got = [self.read() for _ in range(len(wanted) + 1)]
        if SYNC not in got:
            raise Failure("%s: no sync among %s" % (self.name, json.dumps(got)))
        got.remove(SYNC)
        if got != wanted:
            raise Failure("%s: expected %s (and a sync), got %s" %
                          (self.name, json.dumps(wanted), json.dumps(got)))

    def handshake(self, taskid=5):
        self.send({"conf": {"fixture.key": "fixture-value", "topology.name": "adapters"},
                   "pidDir": self.pid_dir,
                   "context": {"taskid": taskid, "componentid": "c",
                               "task->component": {str(taskid): "c"}}})
        got = self.read()
        if got != {"pid": self.process.pid}:
            raise Failure("%s: handshake answered %s, not pid %d" %
                          (self.name, json.dumps(got), self.process.pid))
        pid_file = os.path.join(self.pid_dir, str(self.process.pid))
        if not os.path.isfile(pid_file) or os.path.getsize(pid_file) != 0:
            raise Failure("%s: no empty pid file %s" % (self.name, pid_file))
        self.expect(log('init ["fixture-value",%d]' % taskid))

    def wait_exit(self):
        try:
            return self.process.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %d s" % (self.name, DEADLINE))

    def end_cleanly(self):
        """Close the child's stdin; it must exit 0 within DEADLINE."""
        self.process.stdin.close()
        status = self.wait_exit()
        if status != 0:
            raise Failure("%s exited %d at end of input; stderr: %s" %
                          (self.name, status, self.stderr_tail()))

    def stderr_tail(self):
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read()[-2000:].decode(errors="replace")

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.pid_dir, ignore_errors=True)


def log(msg, level=2):
    return {"command": "log", "msg": msg, "level": level}


def tup(id, *values, stream="default", task=9, comp="source"):
    return {"id": id, "comp": comp, "stream": stream, "task": task, "tuple": list(values)}


HEARTBEAT = {"id": "-1", "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}
SYNC = {"command": "sync"}


def emit(values, anchors=None, stream=None, task=None, need=True, id=None):
    m = {"command": "emit", "tuple": values, "need_task_ids": need}
    if anchors is not None:
        m["anchors"] = anchors
    if stream is not None:
        m["stream"] = stream
    if task is not None:
        m["task"] = task
    if id is not None:
        m["id"] = id
    return m


def check_basic_bolt(language):
    child = Child(language, "fixture_bolt")
    try:
        child.handshake()
        #   A heartbeat before any tuple.
        child.send(HEARTBEAT)
        child.expect(SYNC)
        #   Emits auto-anchored to the input, answered with task ids in
        #   order; a heartbeat sent before the first answer is answered
        #   too (Python answers it once done with the tuple, Node.js at
        #   once).
        child.send(tup("101", "split", "a b c"))
        child.expect(emit(["a"], anchors=["101"]))
        child.send(HEARTBEAT)
        child.send([4, 6])
        child.send([7])
        child.send([])
        child.expect_with_sync([emit(["b"], anchors=["101"]), emit(["c"], anchors=["101"]),
                                log("tasks [[4,6],[7],[]]"), {"command": "ack", "id": "101"}])
        #   Another stream, without task ids.
        child.send(tup("102", "stream", "x"))
        child.expect(emit(["x"], anchors=["102"], stream="other", need=False))
        child.expect({"command": "ack", "id": "102"})
        #   A direct emit: never answered with task ids.
        child.send(tup("103", "direct", 12))
        child.expect(emit(["d"], anchors=["103"], stream="direct_s", task=12, need=False))
        child.expect({"command": "ack", "id": "103"})
        #   Every log level, an error report and a metric.
        child.send(tup("104", "log"))
        for level, msg in enumerate("tdiwe"):
            child.expect(log(msg, level))
        child.expect({"command": "error", "msg": "reported"})
        child.expect({"command": "metrics", "name": "my-metric", "params": 42})
        child.expect({"command": "ack", "id": "104"})
        #   process raises: the error is reported and the input failed,
        #   and the bolt keeps serving.
        child.send(tup("105", "boom"))
        report = child.read()
        if report.get("command") != "error" or "boom asked for" not in report.get("msg", ""):
            raise Failure("%s: expected an error report naming the exception, got %s" %
                          (child.name, json.dumps(report)))
        child.expect({"command": "fail", "id": "105"})
        child.send(tup("106", "stream", "y"))
        child.expect(emit(["y"], anchors=["106"], stream="other", need=False))
        child.expect({"command": "ack", "id": "106"})
        #   stdin closed: a clean exit.
        child.end_cleanly()
    finally:
        child.close()


def check_manual_bolt(language):
    child = Child(language, "fixture_bolt", ["manual"])
    try:
        child.handshake(taskid=8)
        #   A Bolt does not anchor by itself...
        child.send(tup("201", "stream", "x"))
        child.expect(emit(["x"], anchors=[], stream="other", need=False))
        child.expect({"command": "ack", "id": "201"})
        #   ...but anchors where told,
        child.send(tup("202", "anchor", "y"))
        child.expect(emit(["y"], anchors=["202"], need=False))
        child.expect({"command": "ack", "id": "202"})
        #   and fails where told.
        child.send(tup("203", "fail"))
        child.expect({"command": "fail", "id": "203"})
        child.send(HEARTBEAT)
        child.expect(SYNC)
        #   A message that is not JSON: an error report, then exit non-zero.
        child.send_raw("{not json\nend\n")
        report = child.read()
        if report.get("command") != "error":
            raise Failure("%s: expected an error report for bad JSON, got %s" %
                          (child.name, json.dumps(report)))
        status = child.wait_exit()
        if status == 0:
            raise Failure("%s exited 0 after bad JSON" % child.name)
    finally:
        child.close()


def check_spout(language):
    child = Child(language, "fixture_spout")
    try:
        child.handshake(taskid=3)
        child.send({"command": "activate"})
        child.expect(log("activated"))
        child.expect(SYNC)
        child.send({"command": "next"})
        child.expect(emit(["w1"], id="m1"))
        child.send([2, 4])
        child.expect(log("tasks [2,4]"))
        child.expect(SYNC)
        child.send({"command": "next"})
        child.expect(emit(["w2"], id="m2"))
        child.send([4])
        child.expect(log("tasks [4]"))
        child.expect(SYNC)
        child.send({"command": "ack", "id": "m1"})
        child.expect(log("acked m1"))
        child.expect(SYNC)
        child.send({"command": "fail", "id": "m2"})
        child.expect(log("failed m2"))
        child.expect(emit(["again"], id="m2", need=False))
        child.expect(SYNC)
        child.send({"command": "deactivate"})
        child.expect(log("deactivated"))
        child.expect(SYNC)
        child.send({"command": "no-such-command"})
        warning = child.read()
        if warning.get("command") != "log" or warning.get("level") != 3 or \
                "no-such-command" not in warning.get("msg", ""):
            raise Failure("%s: expected a warning naming the command, got %s" %
                          (child.name, json.dumps(warning)))
        child.expect(SYNC)
        child.end_cleanly()
    finally:
        child.close()


def main():
    node = shutil.which("nodejs") or shutil.which("node")
    if not node:
        skip("no nodejs (Debian package nodejs)")
    failures = 0
    for language in ("py", "js"):
        for check in (check_basic_bolt, check_manual_bolt, check_spout):
            label = "%s %s" % (check.__name__, language)
            try:
                check(language)
                print("PASS: %s" % label)
            except Failure as failure:
                failures += 1
                print("FAIL: %s: %s" % (label, failure))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
