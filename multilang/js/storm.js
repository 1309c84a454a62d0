/*  storm - Squall's Node.js adapter for Storm's multilang protocol

    A spout or bolt written for Node.js runs as a child process of a Squall
    shell component and speaks Storm's multilang protocol on its stdin and
    stdout: JSON messages, each followed by a line `end`. This module
    offers the names Storm's own storm.js offers (BasicBolt, Spout, emit
    with an onTaskIds callback, emitDirect, ack, fail, log and its levels,
    sync, run), so a component written for Storm runs here unchanged; it
    adds Bolt (a bolt that acks itself), reportError and metrics.

        var storm = require('./storm');
        function SplitBolt () { storm.BasicBolt.call (this); }
        SplitBolt.prototype = Object.create (storm.BasicBolt.prototype);
        SplitBolt.prototype.process = function (tup, done) {
            var self = this;
            tup.values[0].split (' ').forEach (function (word) {
                self.emit ({tuple: [word], anchorTupleId: tup.id}, function (taskIds) {});
            });
            done ();
        };
        new SplitBolt ().run ();

    Emits: emit ({tuple, stream, anchorTupleId | anchors, task, id,
    need_task_ids}, onTaskIds). The parent answers with the tasks the tuple
    went to unless need_task_ids is false, or no onTaskIds is given (then
    need_task_ids false is sent), or the emit is direct (never answered);
    answers come in emit order and call the callbacks in that order.

    BasicBolt: process (tup, done); done () acks the input, done (err) fails
    it; an exception thrown by process fails it and reports the error. Emits
    made while process runs are anchored to its input unless they name
    anchors. Bolt: process (tup, done) acks and fails with this.ack (tup) /
    this.fail (tup); done is there for symmetry and does nothing.

    Heartbeats (a tuple on __heartbeat from task -1) are answered with sync
    and never reach process. Spout commands (next, ack, fail, activate,
    deactivate) call nextTuple (done), ack (id, done), fail (id, done),
    activate (done), deactivate (done); done () answers with sync.

    The protocol: doc/multilang.md; this adapter: doc/multilang-adapters.md.
*/
'use strict';

var fs = require ('fs');
var path = require ('path');

var LOG_LEVELS = {trace: 0, debug: 1, info: 2, warn: 3, error: 4};

function Tuple (id, component, stream, task, values)
{
    this.id = id;
    this.component = component;
    this.stream = stream;
    this.task = task;
    this.values = values;
}

Tuple.prototype.isHeartbeatTuple = function ()
{
    return this.task === -1 && this.stream === '__heartbeat';
};

Tuple.prototype.toString = function ()
{
    return '<Tuple id=' + this.id + ' component=' + this.component + ' stream=' +
        this.stream + ' task=' + this.task + ' values=' + JSON.stringify (this.values) + '>';
};

//  What spouts and bolts share: the framing, the handshake, logging, emits.
function Storm ()
{
    this.input = '';              //  bytes read and not yet a whole line
    this.lines = [];              //  lines of the message being read
    this.taskIdsCallbacks = [];   //  onTaskIds of the emits not yet answered
    this.isFirstMessage = true;   //  the handshake comes first
    this.anchorTuple = null;      //  a BasicBolt's input while process runs
}

Storm.prototype.sendMsgToParent = function (msg)
{
    process.stdout.write (JSON.stringify (msg) + '\nend\n');
};

Storm.prototype.sync = function ()
{
    this.sendMsgToParent ({command: 'sync'});
};

Storm.prototype.sendPid = function (heartbeatdir)
{
    var pid = process.pid;
    fs.closeSync (fs.openSync (path.join (heartbeatdir, String (pid)), 'w'));
    this.sendMsgToParent ({pid: pid});
};

Storm.prototype.sendToLogging = function (args, logLevel)
{
    var msg = Array.prototype.slice.call (args).join (' ');
    this.sendMsgToParent ({command: 'log', msg: msg, level: logLevel});
};

Storm.prototype.log = function ()      { this.sendToLogging (arguments, LOG_LEVELS.info); };
Storm.prototype.logTrace = function () { this.sendToLogging (arguments, LOG_LEVELS.trace); };
Storm.prototype.logDebug = function () { this.sendToLogging (arguments, LOG_LEVELS.debug); };
Storm.prototype.logInfo = function ()  { this.sendToLogging (arguments, LOG_LEVELS.info); };
Storm.prototype.logWarn = function ()  { this.sendToLogging (arguments, LOG_LEVELS.warn); };
Storm.prototype.logError = function () { this.sendToLogging (arguments, LOG_LEVELS.error); };

Storm.prototype.reportError = function (msg)
{
    this.sendMsgToParent ({command: 'error', msg: String (msg)});
};

Storm.prototype.metrics = function (name, params)
{
    this.sendMsgToParent ({command: 'metrics', name: name, params: params});
};

//  Called once with the handshake's conf and context; call done () when ready.
Storm.prototype.initialize = function (conf, context, done)
{
    done ();
};

Storm.prototype.emit = function (messageDetails, onTaskIds)
{
    var direct = messageDetails.task !== undefined && messageDetails.task !== null;
    var wanted = !direct && typeof onTaskIds === 'function' &&
        messageDetails.need_task_ids !== false;
    if (wanted)
        this.taskIdsCallbacks.push (onTaskIds);
    messageDetails.need_task_ids = wanted;
    this.__emit (messageDetails);
};

Storm.prototype.emitDirect = function (commandDetails)
{
    if (commandDetails.task === undefined || commandDetails.task === null)
        throw new Error ('emitDirect needs a task');
    commandDetails.need_task_ids = false;
    this.__emit (commandDetails);
};

Storm.prototype.handleNewTaskId = function (taskIds)
{
    var callback = this.taskIdsCallbacks.shift ();
    if (!callback)
        throw new Error ('task ids ' + JSON.stringify (taskIds) + ' answer no emit');
    callback (taskIds);
};

Storm.prototype.handleNewMessage = function (text)
{
    var msg = JSON.parse (text);
    if (this.isFirstMessage) {
        this.isFirstMessage = false;
        var self = this;
        this.sendPid (msg.pidDir);
        this.initialize (msg.conf, msg.context, function () { self.afterInitialize (); });
    }
    else
    if (Array.isArray (msg))
        this.handleNewTaskId (msg);
    else
        this.handleNewCommand (msg);
};

Storm.prototype.afterInitialize = function () {};

Storm.prototype.handleNewChunk = function (chunk)
{
    this.input += chunk;
    var newline;
    while ((newline = this.input.indexOf ('\n')) >= 0) {
        var line = this.input.slice (0, newline);
        this.input = this.input.slice (newline + 1);
        if (line === 'end') {
            var text = this.lines.join ('\n');
            this.lines = [];
            this.handleNewMessage (text);
        }
        else
            this.lines.push (line);
    }
};

Storm.prototype.run = function ()
{
    var self = this;
    //  console.log would corrupt the protocol on stdout: send it to stderr.
    console.log = console.error;
    process.stdin.setEncoding ('utf8');
    process.stdin.on ('data', function (chunk) {
        try {
            self.handleNewChunk (chunk);
        }
        catch (err) {
            self.reportError (err && err.stack ? err.stack : String (err));
            process.exitCode = 1;
            process.stdin.destroy ();
        }
    });
    process.stdin.on ('end', function () { process.exit (process.exitCode || 0); });
};

//  A bolt that acks and fails its inputs itself.
function Bolt ()
{
    Storm.call (this);
}
Bolt.prototype = Object.create (Storm.prototype);
Bolt.prototype.constructor = Bolt;

Bolt.prototype.process = function (tup, done)
{
    done ();
};

Bolt.prototype.ack = function (tup)
{
    this.sendMsgToParent ({command: 'ack', id: typeof tup === 'object' ? tup.id : tup});
};

Bolt.prototype.fail = function (tup)
{
    this.sendMsgToParent ({command: 'fail', id: typeof tup === 'object' ? tup.id : tup});
};

Bolt.prototype.__emit = function (commandDetails)
{
    var anchors = commandDetails.anchors;
    if (!anchors && commandDetails.anchorTupleId !== undefined &&
        commandDetails.anchorTupleId !== null)
        anchors = [commandDetails.anchorTupleId];
    if (!anchors && this.anchorTuple)
        anchors = [this.anchorTuple.id];
    var message = {
        command: 'emit',
        tuple: commandDetails.tuple,
        anchors: (anchors || []).map (function (a) { return typeof a === 'object' ? a.id : a; }),
        need_task_ids: commandDetails.need_task_ids
    };
    if (commandDetails.stream !== undefined && commandDetails.stream !== null)
        message.stream = commandDetails.stream;
    if (commandDetails.task !== undefined && commandDetails.task !== null)
        message.task = commandDetails.task;
    this.sendMsgToParent (message);
};

Bolt.prototype.handleNewCommand = function (command)
{
    var tup = new Tuple (command.id, command.comp, command.stream, command.task, command.tuple);
    if (tup.isHeartbeatTuple ()) {
        this.sync ();
        return;
    }
    this.processTuple (tup);
};

Bolt.prototype.processTuple = function (tup)
{
    this.process (tup, function () {});
};

//  A bolt whose emits while process runs are anchored to its input, and
//  whose input is acked by done (), failed by done (err) or an exception.
function BasicBolt ()
{
    Bolt.call (this);
}
BasicBolt.prototype = Object.create (Bolt.prototype);
BasicBolt.prototype.constructor = BasicBolt;

BasicBolt.prototype.processTuple = function (tup)
{
    var self = this;
    var settled = false;
    var done = function (err) {
        if (settled)
            return;
        settled = true;
        if (err) {
            self.reportError (err && err.stack ? err.stack : String (err));
            self.fail (tup);
        }
        else
            self.ack (tup);
    };
    this.anchorTuple = tup;
    try {
        this.process (tup, done);
    }
    catch (err) {
        done (err || new Error ('process threw'));
    }
    finally {
        this.anchorTuple = null;
    }
};

//  A spout: each command calls its method, whose done () answers sync.
function Spout ()
{
    Storm.call (this);
}
Spout.prototype = Object.create (Storm.prototype);
Spout.prototype.constructor = Spout;

Spout.prototype.nextTuple = function (done) { done (); };
Spout.prototype.ack = function (id, done) { done (); };
Spout.prototype.fail = function (id, done) { done (); };
Spout.prototype.activate = function (done) { done (); };
Spout.prototype.deactivate = function (done) { done (); };

Spout.prototype.__emit = function (commandDetails)
{
    var message = {
        command: 'emit',
        tuple: commandDetails.tuple,
        need_task_ids: commandDetails.need_task_ids
    };
    if (commandDetails.id !== undefined && commandDetails.id !== null)
        message.id = commandDetails.id;
    if (commandDetails.stream !== undefined && commandDetails.stream !== null)
        message.stream = commandDetails.stream;
    if (commandDetails.task !== undefined && commandDetails.task !== null)
        message.task = commandDetails.task;
    this.sendMsgToParent (message);
};

Spout.prototype.handleNewCommand = function (command)
{
    var self = this;
    var done = function () { self.sync (); };
    switch (command.command) {
        case 'next':       this.nextTuple (done); break;
        case 'ack':        this.ack (command.id, done); break;
        case 'fail':       this.fail (command.id, done); break;
        case 'activate':   this.activate (done); break;
        case 'deactivate': this.deactivate (done); break;
        default:
            this.logWarn ('storm: unknown command ' + JSON.stringify (command.command));
            done ();
    }
};

module.exports.Tuple = Tuple;
module.exports.Storm = Storm;
module.exports.Bolt = Bolt;
module.exports.BasicBolt = BasicBolt;
module.exports.Spout = Spout;
module.exports.LOG_LEVELS = LOG_LEVELS;
