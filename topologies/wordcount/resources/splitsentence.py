"""splitsentence - the word count's split bolt in Python (storm.py)

Runs as the shell bolt "split" of topologies/wordcount (-c
wordcount.split=python) and of topologies/wordcount/wordcount.yaml: each
sentence in, one tuple per word out, anchored to the sentence (BasicBolt
anchors and acks). The emits do not ask which tasks got the words
(need_task_ids=False), which saves a round trip per word."""

import storm


class SplitSentenceBolt(storm.BasicBolt):
    def process(self, tup):
        for word in tup.values[0].split():
            storm.emit([word], need_task_ids=False)


SplitSentenceBolt().run()
