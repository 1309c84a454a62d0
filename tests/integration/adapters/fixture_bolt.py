"""fixture_bolt - a BasicBolt (or, with argument `manual`, a Bolt) that
test_adapters.py drives through every message of the protocol; its twin
fixture_bolt.js does exactly the same, so both adapters are held to one
transcript. The first value of each input says what to do."""

import json
import sys

import storm


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def act(tup, basic):
    what = tup.values[0]
    if what == "split":
        tasks = [storm.emit([word]) for word in tup.values[1].split()]
        storm.log("tasks " + compact(tasks))
    elif what == "stream":
        storm.emit([tup.values[1]], stream="other", need_task_ids=False)
    elif what == "direct":
        storm.emitDirect(tup.values[1], ["d"], stream="direct_s")
    elif what == "anchor":
        storm.emit([tup.values[1]], anchors=[tup], need_task_ids=False)
    elif what == "boom":
        raise ValueError("boom asked for")
    elif what == "log":
        storm.logTrace("t")
        storm.logDebug("d")
        storm.logInfo("i")
        storm.logWarn("w")
        storm.logError("e")
        storm.reportError("reported")
        storm.rpcMetrics("my-metric", 42)
    if not basic:
        if what == "fail":
            storm.fail(tup)
        else:
            storm.ack(tup)


class FixtureBasicBolt(storm.BasicBolt):
    def initialize(self, conf, context):
        storm.log("init " + compact([conf.get("fixture.key"), context.get("taskid")]))

    def process(self, tup):
        act(tup, True)


class FixtureBolt(storm.Bolt):
    def initialize(self, conf, context):
        storm.log("init " + compact([conf.get("fixture.key"), context.get("taskid")]))

    def process(self, tup):
        act(tup, False)


if len(sys.argv) > 1 and sys.argv[1] == "manual":
    FixtureBolt().run()
else:
    FixtureBasicBolt().run()
