/*  splitsentence - the word count's split bolt in Node.js (storm.js)

    Runs as the shell bolt "split" of topologies/wordcount (-c
    wordcount.split=node): each sentence in, one tuple per word out,
    anchored to the sentence and acked by done (). No onTaskIds callback:
    the parent does not answer with task ids. */
'use strict';

var storm = require ('./storm');

function SplitSentenceBolt () { storm.BasicBolt.call (this); }
SplitSentenceBolt.prototype = Object.create (storm.BasicBolt.prototype);

SplitSentenceBolt.prototype.process = function (tup, done)
{
    var self = this;
    tup.values[0].split (/\s+/).forEach (function (word) {
        if (word.length > 0)
            self.emit ({tuple: [word], anchorTupleId: tup.id});
    });
    done ();
};

new SplitSentenceBolt ().run ();
