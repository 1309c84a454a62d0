#!/usr/bin/env python3
"""scripted_child - a multilang child that the shell component tests drive

Usage: scripted_child.py MODE TRANSCRIPT [ARG...]

Speaks Storm's multilang protocol on stdin/stdout and appends one JSON line
per event to TRANSCRIPT, so that a test can check what Squall sent and
count what the child did. MODE picks the behaviour:

  words N [DIE_AFTER]  spout: emits tracked ids 1..N (["w<id>"]), replays
                       ids that fail; its progress lives in TRANSCRIPT.state
                       so a restarted child goes on where the last stopped.
                       With DIE_AFTER, the first child exits (status 3)
                       after emitting that many.
  split                bolt: emits each word of a sentence, anchored, and
                       acks the input.
  relay                bolt: emits each input's values unchanged, anchored,
                       and acks it.
  protocol             bolt: every bolt message once per input (emit with
                       task ids, direct emit, log at each level, error,
                       metrics) then ack, or fail for the value "fail-me".
  bad KIND             bolt or spout: the first child misbehaves at its first
                       tuple or next: malformed, noend, unknown, silent,
                       oversized, exit, nopid (at the handshake). Later
                       children (TRANSCRIPT.done exists) behave like split
                       or like a spout that emits nothing.
"""
import json
import os
import sys
import time

MODE = sys.argv[1]
TRANSCRIPT = sys.argv[2]
ARGS = sys.argv[3:]


def record(event, **fields):
    fields["event"] = event
    fields["pid"] = os.getpid()
    with open(TRANSCRIPT, "a") as out:
        out.write(json.dumps(fields) + "\n")


def read_message():
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line:
            record("eof")
            sys.exit(0)
        line = line.rstrip("\n")
        if line == "end":
            return json.loads("\n".join(lines))
        lines.append(line)


def send(message):
    sys.stdout.write(json.dumps(message) + "\nend\n")
    sys.stdout.flush()


def read_task_ids():
    """Read until the task id list; tuples that come first are kept."""
    while True:
        message = read_message()
        if isinstance(message, list):
            return message
        PENDING.append(message)


PENDING = []


def next_message():
    return PENDING.pop(0) if PENDING else read_message()


def handshake(misbehave_at_handshake=False):
    setup = read_message()
    pid = os.getpid()
    open(os.path.join(setup["pidDir"], str(pid)), "w").close()
    record("handshake", setup=setup, cwd=os.getcwd())
    if misbehave_at_handshake:
        send({"hello": "world"})
    else:
        send({"pid": pid})
    return setup


def first_child():
    """True for the first child of a test (the one that misbehaves)."""
    marker = TRANSCRIPT + ".done"
    if os.path.exists(marker):
        return False
    open(marker, "w").close()
    return True


def misbehave(kind):
    sys.stderr.write("scripted child: about to misbehave (%s)\n" % kind)
    sys.stderr.flush()
    if kind == "malformed":
        sys.stdout.write("{this is not json\nend\n")
    elif kind == "noend":
        sys.stdout.write('{"command": "sync"}\n')
        sys.stdout.flush()
        os._exit(0)
    elif kind == "unknown":
        send({"command": "dance"})
    elif kind == "oversized":
        sys.stdout.write('{"command": "log", "msg": "' + "x" * (17 * 1024 * 1024))
    elif kind == "exit":
        sys.stderr.write("scripted child: exiting with status 3\n")
        sys.stderr.flush()
        sys.exit(3)
    sys.stdout.flush()
    if kind == "silent":
        while True:
            time.sleep(1)


def run_words():
    total = int(ARGS[0])
    die_after = int(ARGS[1]) if len(ARGS) > 1 else 0
    dies = die_after and first_child()
    state = TRANSCRIPT + ".state"
    next_id = int(open(state).read()) if os.path.exists(state) else 1
    replays = []
    emitted = 0
    while True:
        message = next_message()
        command = message.get("command")
        if command == "next":
            if dies and emitted == die_after:
                sys.stderr.write("scripted child: dying after %d emits\n" % emitted)
                sys.exit(3)
            if replays:
                ident = replays.pop(0)
            elif next_id <= total:
                ident = next_id
                next_id += 1
                with open(state, "w") as out:
                    out.write(str(next_id))
            else:
                ident = None
            if ident is not None:
                emit = {"command": "emit", "id": ident, "tuple": ["w%d" % ident]}
                if ident == 1:
                    send(emit)  # need_task_ids left out: Storm's default, true
                    record("task_ids", ids=read_task_ids())
                else:
                    emit["need_task_ids"] = False
                    send(emit)
                emitted += 1
        elif command == "ack":
            record("ack", id=message["id"])
        elif command == "fail":
            record("fail", id=message["id"])
            replays.append(message["id"])
        elif command in ("activate", "deactivate"):
            record(command)
        send({"command": "sync"})


def is_heartbeat(message):
    return message.get("stream") == "__heartbeat" and message.get("task") == -1


def run_split():
    while True:
        message = next_message()
        if is_heartbeat(message):
            send({"command": "sync"})
            continue
        for word in str(message["tuple"][0]).split():
            send({"command": "emit", "anchors": [message["id"]], "tuple": [word],
                  "need_task_ids": False})
        send({"command": "ack", "id": message["id"]})


def run_relay():
    while True:
        message = next_message()
        if is_heartbeat(message):
            send({"command": "sync"})
            continue
        send({"command": "emit", "anchors": [message["id"]], "tuple": message["tuple"],
              "need_task_ids": False})
        send({"command": "ack", "id": message["id"]})


def run_protocol(setup):
    context = setup["context"]
    sinks = sorted(int(task) for task, component in context["task->component"].items()
                   if component == "direct-sink")
    while True:
        message = next_message()
        if is_heartbeat(message):
            record("heartbeat")
            send({"command": "sync"})
            continue
        record("tuple", tuple=message)
        value = message["tuple"][0]
        send({"command": "emit", "anchors": [message["id"]], "tuple": message["tuple"]})
        record("task_ids", ids=read_task_ids())
        send({"command": "emit", "anchors": [message["id"]], "stream": "direct",
              "task": sinks[-1], "tuple": [value], "need_task_ids": False})
        for level in range(5):
            send({"command": "log", "msg": "level %d says %s" % (level, value), "level": level})
        send({"command": "error", "msg": "reported error for %s" % value})
        send({"command": "metrics", "name": "shell_gauge", "params": 42})
        verb = "fail" if value == "fail-me" else "ack"
        send({"command": verb, "id": message["id"]})


def run_bad(kind, spout):
    first = first_child()
    handshake(misbehave_at_handshake=first and kind == "nopid")
    record("started", first=first)
    while True:
        message = next_message()
        if not spout and is_heartbeat(message):
            send({"command": "sync"})
            continue
        if first and kind != "nopid":
            misbehave(kind)
            first = False
        if spout:
            send({"command": "sync"})
        else:
            send({"command": "ack", "id": message["id"]})


def main():
    if MODE == "bad":
        run_bad(ARGS[0], len(ARGS) > 1 and ARGS[1] == "spout")
        return
    setup = handshake()
    if MODE == "words":
        run_words()
    elif MODE == "split":
        run_split()
    elif MODE == "relay":
        run_relay()
    elif MODE == "protocol":
        run_protocol(setup)
    else:
        sys.stderr.write("scripted child: unknown mode %s\n" % MODE)
        sys.exit(2)


main()
