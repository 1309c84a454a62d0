"""storm - Squall's Python 3 adapter for Storm's multilang protocol

A spout or bolt written in Python runs as a child process of a Squall shell
component (sq_shell_spout / sq_shell_bolt, or a Flux definition's
FluxShellSpout / FluxShellBolt). It speaks Storm's multilang protocol on its
stdin and stdout: JSON messages, each followed by a line `end`. This module
offers the names Storm's own storm.py offers, so a component written for
Storm runs here unchanged and the other way round:

    import storm

    class SplitSentence(storm.BasicBolt):
        def process(self, tup):
            for word in tup.values[0].split():
                storm.emit([word])

    SplitSentence().run()

Classes: Tuple, Bolt (acks and anchors itself), BasicBolt (anchors every
emit to the input being processed, acks it when process returns, fails it
and reports the error when process raises), Spout (nextTuple, ack, fail,
activate, deactivate; each answered with sync).

Functions: emit, emitDirect, emitBolt, emitSpout, ack, fail, reportError,
log (with levels) and logTrace/logDebug/logInfo/logWarn/logError,
rpcMetrics, sync, initComponent, readMsg, readCommand, readTuple,
readTaskIds, sendMsgToParent, sendpid.

Task ids: a bolt's or spout's emit is answered with the list of tasks the
tuple went to unless it says need_task_ids=False (or is a direct emit,
which is never answered). Answers and commands can arrive interleaved;
readTaskIds keeps commands that come first for readCommand, and
readCommand keeps task-id lists for readTaskIds, so neither is lost.

Heartbeats: a bolt receives a tuple on stream __heartbeat from task -1
about every second; Bolt.run and BasicBolt.run answer it with sync and do
not pass it to process.

The protocol: doc/multilang.md; this adapter: doc/multilang-adapters.md.
"""

import collections
import json
import os
import sys
import traceback

__all__ = [
    "Tuple", "Bolt", "BasicBolt", "Spout",
    "emit", "emitDirect", "emitBolt", "emitSpout", "ack", "fail",
    "reportError", "log", "logTrace", "logDebug", "logInfo", "logWarn",
    "logError", "rpcMetrics", "sync", "initComponent", "readMsg",
    "readCommand", "readTuple", "readTaskIds", "sendMsgToParent", "sendpid",
]

#   Storm's log levels, as the `level` of a log command carries them.
LOG_TRACE = 0
LOG_DEBUG = 1
LOG_INFO = 2
LOG_WARN = 3
LOG_ERROR = 4

#   The protocol goes over the process's real stdin and stdout; a component
#   that prints to stdout would corrupt it, so print() is sent to stderr
#   once run() starts (Squall shows the child's stderr tail in errors).
_input = sys.stdin
_output = sys.stdout

#   Commands read while waiting for a task-id list, and task-id lists read
#   while waiting for a command: each waits for its own reader.
_pending_commands = collections.deque()
_pending_taskids = collections.deque()

#   The input a BasicBolt is processing (its emits are anchored to it),
#   and which kind of component this process runs (emit's meaning).
ANCHOR_TUPLE = None
MODE = None


class Tuple(object):
    """An input tuple: its id (a string), the component and stream it came
    from, the task that emitted it and its values (a list)."""

    __slots__ = ("id", "component", "stream", "task", "values")

    def __init__(self, id, component, stream, task, values):
        self.id = id
        self.component = component
        self.stream = stream
        self.task = task
        self.values = values

    def is_heartbeat_tuple(self):
        return self.task == -1 and self.stream == "__heartbeat"

    def __repr__(self):
        return "<%s%s>" % (
            self.__class__.__name__,
            "".join(" %s=%r" % (name, getattr(self, name)) for name in self.__slots__),
        )


def readStringMsg():
    """One message's text: the lines up to the line `end`. Raises EOFError
    when the parent closed the pipe."""
    lines = []
    while True:
        line = _input.readline()
        if not line:
            raise EOFError("storm: stdin closed by the parent")
        line = line.rstrip("\n")
        if line == "end":
            return "\n".join(lines)
        lines.append(line)


def readMsg():
    """The next message, decoded from JSON."""
    return json.loads(readStringMsg())


def readTaskIds():
    """The task-id list answering the oldest unanswered emit."""
    if _pending_taskids:
        return _pending_taskids.popleft()
    while True:
        msg = readMsg()
        if isinstance(msg, list):
            return msg
        _pending_commands.append(msg)


def readCommand():
    """The next command (a JSON object) from the parent."""
    if _pending_commands:
        return _pending_commands.popleft()
    while True:
        msg = readMsg()
        if isinstance(msg, list):
            _pending_taskids.append(msg)
        else:
            return msg


def readTuple():
    """The next input tuple of a bolt."""
    cmd = readCommand()
    return Tuple(cmd["id"], cmd["comp"], cmd["stream"], cmd["task"], cmd["tuple"])


def sendMsgToParent(msg):
    """Write one message and flush it."""
    _output.write(json.dumps(msg))
    _output.write("\nend\n")
    _output.flush()


def sync():
    sendMsgToParent({"command": "sync"})


def sendpid(heartbeatdir):
    """Answer the handshake: an empty file named after our pid in the
    parent's pid directory, then the pid."""
    pid = os.getpid()
    open(os.path.join(heartbeatdir, str(pid)), "w").close()
    sendMsgToParent({"pid": pid})


def initComponent():
    """Read the handshake; return [conf, context]."""
    setup = readMsg()
    sendpid(setup["pidDir"])
    return [setup["conf"], setup["context"]]


def _emit(tup, stream=None, anchors=None, directTask=None, id=None, need_task_ids=True):
    """Send an emit command; True when the parent will answer it with task ids."""
    m = {"command": "emit", "tuple": tup}
    if stream is not None:
        m["stream"] = stream
    if directTask is not None:
        m["task"] = directTask
    if MODE is Spout:
        if id is not None:
            m["id"] = id
    else:
        if not anchors and ANCHOR_TUPLE is not None:
            anchors = [ANCHOR_TUPLE]
        m["anchors"] = [a.id if isinstance(a, Tuple) else a for a in (anchors or [])]
    answered = need_task_ids and directTask is None
    m["need_task_ids"] = bool(answered)
    sendMsgToParent(m)
    return answered


def emit(*args, **kwargs):
    """Emit a tuple (a list of values) on `stream` (default: "default").
    In a bolt: anchors=[tuples or ids]; in a BasicBolt the input being
    processed is the anchor unless anchors are given. In a spout: id=msg id
    (None: untracked). Returns the list of tasks it went to, or None with
    need_task_ids=False."""
    if _emit(*args, **kwargs):
        return readTaskIds()
    return None


def emitDirect(task, *args, **kwargs):
    """Emit to one task of a direct stream; not answered with task ids."""
    kwargs["directTask"] = task
    _emit(*args, **kwargs)


def emitBolt(tup, stream=None, anchors=None, directTask=None, need_task_ids=True):
    """A bolt's emit (what emit does in a bolt)."""
    if _emit(tup, stream=stream, anchors=anchors, directTask=directTask,
             need_task_ids=need_task_ids):
        return readTaskIds()
    return None


def emitSpout(tup, stream=None, id=None, directTask=None, need_task_ids=True):
    """A spout's emit (what emit does in a spout)."""
    if _emit(tup, stream=stream, id=id, directTask=directTask,
             need_task_ids=need_task_ids):
        return readTaskIds()
    return None


def ack(tup):
    """Ack an input (a Tuple, or its id)."""
    sendMsgToParent({"command": "ack", "id": tup.id if isinstance(tup, Tuple) else tup})


def fail(tup):
    """Fail an input (a Tuple, or its id): its tree is replayed."""
    sendMsgToParent({"command": "fail", "id": tup.id if isinstance(tup, Tuple) else tup})


def reportError(msg):
    """Report an error; it shows in the component's last errors."""
    sendMsgToParent({"command": "error", "msg": str(msg)})


def log(msg, level=LOG_INFO):
    """Write msg to the worker's log at `level` (0 trace ... 4 error)."""
    sendMsgToParent({"command": "log", "msg": str(msg), "level": level})


def logTrace(msg):
    log(msg, LOG_TRACE)


def logDebug(msg):
    log(msg, LOG_DEBUG)


def logInfo(msg):
    log(msg, LOG_INFO)


def logWarn(msg):
    log(msg, LOG_WARN)


def logError(msg):
    log(msg, LOG_ERROR)


def rpcMetrics(name, params):
    """Update the component's metric `name` with `params`."""
    sendMsgToParent({"command": "metrics", "name": name, "params": params})


def _serve(component, mode, step):
    """What every run() does: note the mode, keep print() off the
    protocol, read the handshake, initialize, then call step() for each
    message until the parent closes stdin. An exception from the
    component is reported and ends the process with status 1."""
    global MODE
    MODE = mode
    sys.stdout = sys.stderr
    conf, context = initComponent()
    try:
        component.initialize(conf, context)
        while True:
            step()
    except EOFError:
        return
    except Exception:
        reportError(traceback.format_exc())
        sys.exit(1)


class Bolt(object):
    """A bolt that anchors, acks and fails itself."""

    def initialize(self, stormconf, context):
        pass

    def process(self, tuple):
        pass

    def _step(self):
        tup = readTuple()
        if tup.is_heartbeat_tuple():
            sync()
        else:
            self.process(tup)

    def run(self):
        _serve(self, Bolt, self._step)


class BasicBolt(object):
    """A bolt whose emits are anchored to the input being processed, and
    whose input is acked when process returns, or failed (and the error
    reported) when it raises."""

    def initialize(self, stormconf, context):
        pass

    def process(self, tuple):
        pass

    def _step(self):
        global ANCHOR_TUPLE
        tup = readTuple()
        if tup.is_heartbeat_tuple():
            sync()
            return
        ANCHOR_TUPLE = tup
        try:
            self.process(tup)
            ack(tup)
        except Exception:
            reportError(traceback.format_exc())
            fail(tup)
        finally:
            ANCHOR_TUPLE = None

    def run(self):
        _serve(self, Bolt, self._step)


class Spout(object):
    """A spout: each command (next, ack, fail, activate, deactivate) calls
    the method of that name and is then answered with sync."""

    def initialize(self, conf, context):
        pass

    def ack(self, id):
        pass

    def fail(self, id):
        pass

    def nextTuple(self):
        pass

    def activate(self):
        pass

    def deactivate(self):
        pass

    def _step(self):
        msg = readCommand()
        command = msg.get("command")
        if command == "next":
            self.nextTuple()
        elif command == "ack":
            self.ack(msg["id"])
        elif command == "fail":
            self.fail(msg["id"])
        elif command == "activate":
            self.activate()
        elif command == "deactivate":
            self.deactivate()
        else:
            logWarn("storm: unknown command %r" % (command,))
        sync()

    def run(self):
        _serve(self, Spout, self._step)
