/*  fixture_bolt - a BasicBolt (or, with argument `manual`, a Bolt) that
    test_adapters.py drives through every message of the protocol; the twin
    of fixture_bolt.py, held to the same transcript. */
'use strict';

var storm = require ('storm');

function act (self, tup, basic, done)
{
    var what = tup.values[0];
    if (what === 'split') {
        var words = tup.values[1].split (' ');
        var tasks = [];
        words.forEach (function (word) {
            self.emit ({tuple: [word]}, function (taskIds) {
                tasks.push (taskIds);
                if (tasks.length === words.length) {
                    self.log ('tasks ' + JSON.stringify (tasks));
                    done ();
                }
            });
        });
        return;
    }
    if (what === 'stream')
        self.emit ({tuple: [tup.values[1]], stream: 'other'});
    else
    if (what === 'direct')
        self.emitDirect ({tuple: ['d'], stream: 'direct_s', task: tup.values[1]});
    else
    if (what === 'anchor')
        self.emit ({tuple: [tup.values[1]], anchorTupleId: tup.id});
    else
    if (what === 'boom')
        throw new Error ('boom asked for');
    else
    if (what === 'log') {
        self.logTrace ('t');
        self.logDebug ('d');
        self.logInfo ('i');
        self.logWarn ('w');
        self.logError ('e');
        self.reportError ('reported');
        self.metrics ('my-metric', 42);
    }
    done ();
}

function initialize (conf, context, done)
{
    this.log ('init ' + JSON.stringify ([conf['fixture.key'], context.taskid]));
    done ();
}

function FixtureBasicBolt () { storm.BasicBolt.call (this); }
FixtureBasicBolt.prototype = Object.create (storm.BasicBolt.prototype);
FixtureBasicBolt.prototype.initialize = initialize;
FixtureBasicBolt.prototype.process = function (tup, done) { act (this, tup, true, done); };

function FixtureBolt () { storm.Bolt.call (this); }
FixtureBolt.prototype = Object.create (storm.Bolt.prototype);
FixtureBolt.prototype.initialize = initialize;
FixtureBolt.prototype.process = function (tup, done) {
    var self = this;
    act (this, tup, false, function () {
        if (tup.values[0] === 'fail')
            self.fail (tup);
        else
            self.ack (tup);
        done ();
    });
};

if (process.argv[2] === 'manual')
    new FixtureBolt ().run ();
else
    new FixtureBasicBolt ().run ();
