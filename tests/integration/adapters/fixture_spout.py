"""fixture_spout - a Spout test_adapters.py drives through every spout
command; its twin fixture_spout.js does exactly the same. Each next emits
w<n> with msg id m<n> and logs the tasks it went to; a failed id is
emitted again."""

import json

import storm


class FixtureSpout(storm.Spout):
    def initialize(self, conf, context):
        self.count = 0
        storm.log("init " + json.dumps([conf.get("fixture.key"), context.get("taskid")],
                                       separators=(",", ":")))

    def nextTuple(self):
        self.count += 1
        tasks = storm.emit(["w%d" % self.count], id="m%d" % self.count)
        storm.log("tasks " + json.dumps(tasks, separators=(",", ":")))

    def ack(self, id):
        storm.log("acked " + id)

    def fail(self, id):
        storm.log("failed " + id)
        storm.emit(["again"], id=id, need_task_ids=False)

    def activate(self):
        storm.log("activated")

    def deactivate(self):
        storm.log("deactivated")


FixtureSpout().run()
