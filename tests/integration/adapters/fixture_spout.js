/*  fixture_spout - a Spout test_adapters.py drives through every spout
    command; the twin of fixture_spout.py, held to the same transcript. */
'use strict';

var storm = require ('storm');

function FixtureSpout () { storm.Spout.call (this); this.count = 0; }
FixtureSpout.prototype = Object.create (storm.Spout.prototype);

FixtureSpout.prototype.initialize = function (conf, context, done)
{
    this.log ('init ' + JSON.stringify ([conf['fixture.key'], context.taskid]));
    done ();
};

FixtureSpout.prototype.nextTuple = function (done)
{
    var self = this;
    this.count += 1;
    this.emit ({tuple: ['w' + this.count], id: 'm' + this.count}, function (taskIds) {
        self.log ('tasks ' + JSON.stringify (taskIds));
        done ();
    });
};

FixtureSpout.prototype.ack = function (id, done) { this.log ('acked ' + id); done (); };

FixtureSpout.prototype.fail = function (id, done)
{
    this.log ('failed ' + id);
    this.emit ({tuple: ['again'], id: id});
    done ();
};

FixtureSpout.prototype.activate = function (done) { this.log ('activated'); done (); };
FixtureSpout.prototype.deactivate = function (done) { this.log ('deactivated'); done (); };

new FixtureSpout ().run ();
