/*  trace.js - the tracing view of the topology page

    sqTrace.start(base, onEdges) polls GET base/traces every 5 s (base is
    /api/v1/topology/:id) and shows: the sample switch #trace-switch (a
    change POSTs base/debug/enable/:pct or base/debug/disable), the
    sampled trees #traces (one [data-root-id] each, newest first; a click
    opens its timeline), the timeline #timeline of the chosen tree (one
    row per hop: light from emit to enqueue, mid from enqueue to execute,
    dark from execute to done; a hop not done runs to the end of the tree
    in red when the tree failed or timed out, amber while pending,
    outlined when the tree was acked (the hop ran, nimbus has not heard
    its times yet); the
    places it stopped are marked and listed; hops nimbus did not keep,
    hopsDropped, are counted), and table#edge-latency
    (hop latency p50/p99 per edge). sqTrace.edgeStats() gives the same
    per edge ("from|to|stream" -> {p50Ms, p99Ms, count}) for the graph's
    tooltips; onEdges is called when they change. A nimbus without the
    endpoints (404) leaves the view saying so and is not asked again; a
    server that takes no commands (405 to the switch: a local run, whose
    rate is its topology.trace.sample.rate) leaves the switch disabled.

    Nimbus hears of a tree's events from several workers, each in its own
    heartbeat, so a tree seen early has holes: no spout yet (null), a hop
    emitted but not yet enqueued or executed anywhere (its worker null,
    its times null). Such values are shown as not known, never as 0.
*/
"use strict";

var sqTrace = (function () {
    var el = sq.el;
    var base = "";
    var answer = null; //  the latest /traces answer
    var chosen = null; //  rootId of the tree shown
    var chosenTree = null; //  that tree as last seen
    var edges = {}; //  "from|to|stream" -> edge entry
    var missing = false; //  nimbus has no /traces
    var fixed = false; //  the server takes no commands: the switch stays disabled
    var onEdges = function () {};

    function state(text) {
        document.getElementById("trace-state").textContent = text;
    }

    function known(v) {
        return v !== null && v !== undefined;
    }

    //  The first of the values given that is known, or null.
    function first() {
        for (var i = 0; i < arguments.length; i++) if (known(arguments[i])) return arguments[i];
        return null;
    }

    function spoutName(t) {
        return (known(t.spout) ? t.spout : "spout?") + "[" + t.spoutTask + "]";
    }

    function edgeStats() {
        return edges;
    }

    function showSwitch(pct) {
        var sw = document.getElementById("trace-switch");
        if (document.activeElement === sw) return;
        var value = String(pct || 0);
        if (!Array.prototype.some.call(sw.options, function (o) { return o.value === value; }))
            sw.appendChild(el("option", { value: value }, value + "% of trees"));
        sw.value = value;
    }

    function showList(traces) {
        var list = document.getElementById("traces");
        if (!traces.length) {
            list.replaceChildren(el("li", { class: "none" }, answer.samplePct > 0 ? "no tree sampled yet" : "tracing is off: choose a sample rate to record trees"));
            return;
        }
        list.replaceChildren.apply(list, traces.map(function (t) {
            var item = el("li", { "data-root-id": t.rootId, "data-status": t.status, class: t.rootId === chosen ? "chosen" : null, title: "open the timeline of tree " + t.rootId }, [
                el("span", {}, new Date(sq.num(t.startMs)).toLocaleTimeString()),
                el("span", { class: "mono" }, t.rootId),
                el("span", {}, spoutName(t)),
                el("span", { class: "outcome-" + t.status }, t.status),
                el("span", { class: "num" }, known(t.completeMs) ? sq.ms(t.completeMs) + " ms" : "–"),
                el("span", {}, (t.hops || []).length + " hops" + (t.hopsDropped > 0 ? " (+" + t.hopsDropped + " not kept)" : "")),
            ]);
            item.addEventListener("click", function () {
                chosen = t.rootId;
                chosenTree = t;
                showList(traces);
                showTimeline(t);
            });
            return item;
        }));
    }

    //  The timeline of tree t.
    function showTimeline(t) {
        var box = document.getElementById("timeline");
        box.setAttribute("data-root-id", t.rootId);
        var hops = (t.hops || []).slice().sort(function (a, b) { return sq.num(a.emitMs) - sq.num(b.emitMs) || sq.num(a.enqueueMs) - sq.num(b.enqueueMs); });
        var end = sq.num(t.completeMs);
        hops.forEach(function (h) {
            [h.emitMs, h.enqueueMs, h.executeMs, h.doneMs].forEach(function (v) { if (known(v)) end = Math.max(end, sq.num(v)); });
        });
        end = end > 0 ? end : 1;
        var W = Math.max(360, box.clientWidth || 600), LABEL = 190, ROW = 18, TOP = 18;
        var H = TOP + hops.length * ROW + 16;
        function x(v) { return LABEL + (sq.num(v) / end) * (W - LABEL - 10); }
        var stopped = {};
        (t.stoppedAt || []).forEach(function (s) { stopped[s.component + "|" + s.task] = s.reason; });
        var failedTree = t.status === "failed" || t.status === "timedOut";
        //  In an acked tree every hop ran: one not done is one nimbus has
        //  not heard of yet (another worker's heartbeat), not one pending.
        var ackedTree = t.status === "acked";
        var parts = [sq.svg("text", { class: "row-label", x: 0, y: 12, "font-weight": "600" },
            "tree " + t.rootId + " from " + spoutName(t) + ": " + t.status + (known(t.completeMs) ? " in " + sq.ms(t.completeMs) + " ms" : "")),
            sq.svg("text", { class: "row-label", x: W - 10, y: 12, "text-anchor": "end" }, sq.ms(end) + " ms")];
        hops.forEach(function (h, i) {
            var y = TOP + i * ROW;
            var row = sq.svg("g", { class: "hop", "data-component": h.component, "data-task": h.task, "data-outcome": h.outcome });
            var where = known(h.worker) ? h.worker : ackedTree ? "not reported yet" : "not executed yet";
            var at = function (v) { return known(v) ? sq.ms(v) : "–"; };
            var tip = h.component + "[" + h.task + "] on " + where + (h.fromComponent ? " from " + h.fromComponent + "[" + h.fromTask + "]" : "") + ", stream " + h.stream +
                "\nemit " + at(h.emitMs) + ", enqueue " + at(h.enqueueMs) + ", execute " + at(h.executeMs) + ", done " + at(h.doneMs) + " ms; " + h.outcome;
            row.appendChild(sq.svg("title", {}, tip));
            row.appendChild(sq.svg("text", { class: "row-label", x: 0, y: y + 12 }, (h.component + "[" + h.task + "] " + where).slice(0, 30)));
            var bar = function (cls, from, to) {
                if (!known(from) || !known(to)) return;
                var x1 = x(from), x2 = Math.max(x(to), x1 + 1);
                row.appendChild(sq.svg("rect", { class: cls, x: x1, y: y + 3, width: x2 - x1, height: ROW - 6 }));
            };
            bar("bar-transfer", h.emitMs, h.enqueueMs);
            bar("bar-queue", h.enqueueMs, h.executeMs);
            if (known(h.doneMs)) {
                bar(h.outcome === "failed" ? "bar-execute failed" : "bar-execute", h.executeMs, h.doneMs);
            } else {
                //  Not done: open from the last thing known of it.
                bar(failedTree ? "bar-open failed" : ackedTree ? "bar-unreported" : "bar-open", first(h.executeMs, h.enqueueMs, h.emitMs), end);
            }
            var reason = stopped[h.component + "|" + h.task];
            if (reason !== undefined) {
                var sx = x(first(h.doneMs, h.executeMs, h.enqueueMs, h.emitMs, 0));
                row.appendChild(sq.svg("path", { class: "stopped", d: "M" + (sx - 5) + "," + (y + 2) + " l10,14 m0,-14 l-10,14", stroke: "#c62828", "stroke-width": "2" }));
            }
            parts.push(row);
        });
        var svg = sq.svg("svg", { viewBox: "0 0 " + W + " " + H, xmlns: "http://www.w3.org/2000/svg" }, parts);
        var notes = (t.stoppedAt || []).map(function (s) {
            return el("div", { class: "outcome-failed", "data-stopped": s.component + "[" + s.task + "]" }, "stopped at " + s.component + "[" + s.task + "]: " + s.reason);
        });
        if (t.hopsDropped > 0) notes.push(el("div", { class: "hint", "data-hops-dropped": t.hopsDropped }, t.hopsDropped + " more hops of this tree were not kept (nimbus keeps a bounded number per tree)"));
        box.replaceChildren.apply(box, [svg].concat(notes, [el("div", { class: "legend" }, "emit→enqueue (light), queued (mid), executing→done (dark); open bars: not done (red: the tree failed or timed out; outlined: the tree was acked, the hop's times not reported yet)")]));
    }

    function showEdges(list) {
        sq.head("edge-latency", ["From", "To", "Stream", "#Traced hops", "#p50 (ms)", "#p99 (ms)"]);
        sq.fill("edge-latency", list.map(function (e) {
            return el("tr", { "data-from": e.from, "data-to": e.to, "data-stream": e.stream }, [
                el("td", {}, e.from),
                el("td", {}, e.to),
                el("td", {}, e.stream),
                sq.cell("count", e.count, sq.count(e.count)),
                sq.cell("p50Ms", e.p50Ms, sq.ms(e.p50Ms)),
                sq.cell("p99Ms", e.p99Ms, sq.ms(e.p99Ms)),
            ]);
        }), "no hop traced yet");
    }

    //  The server takes no commands (a local run): the rate is the
    //  topology's configuration.
    function showFixed() {
        fixed = true;
        var sw = document.getElementById("trace-switch");
        sw.disabled = true;
        sw.title = "this server takes no commands: the sample rate is the topology's topology.trace.sample.rate";
    }

    function showMissing() {
        state("this nimbus does not trace tuples (no /traces)");
        document.getElementById("trace-switch").disabled = true;
        document.getElementById("traces").replaceChildren(el("li", { class: "none" }, "tracing is not available"));
        showEdges([]);
    }

    function poll() {
        if (missing) return null;
        return sq.get(base + "/traces").then(function (reply) {
            if (reply.status === 404 || reply.status === 405) {
                missing = true;
                showMissing();
                return;
            }
            if (reply.status !== 200 || !reply.data) {
                state("traces: nimbus answered " + reply.status);
                return;
            }
            answer = reply.data;
            var traces = answer.traces || [];
            showSwitch(answer.samplePct);
            state(answer.samplePct > 0 ? "sampling " + answer.samplePct + "% of trees; " + traces.length + " kept" : "off");
            showList(traces);
            var found = traces.filter(function (t) { return t.rootId === chosen; })[0];
            if (found) chosenTree = found;
            if (chosenTree) showTimeline(chosenTree);
            edges = {};
            (answer.edges || []).forEach(function (e) { edges[e.from + "|" + e.to + "|" + e.stream] = e; });
            showEdges(answer.edges || []);
            onEdges();
        });
    }

    function start(topologyBase, changed) {
        base = topologyBase;
        onEdges = changed || onEdges;
        var sw = document.getElementById("trace-switch");
        sw.addEventListener("change", function () {
            var pct = parseInt(sw.value, 10) || 0;
            var path = pct > 0 ? base + "/debug/enable/" + pct : base + "/debug/disable";
            sw.disabled = true;
            sq.post(path).then(function (reply) {
                sw.disabled = missing;
                if (reply.status === 405) showFixed();
                else if (reply.status !== 200) sq.banner("tracing: nimbus answered " + reply.status + (reply.data && reply.data.errorMessage ? ": " + reply.data.errorMessage : ""));
                sw.blur();
                return poll();
            }, function (error) {
                sw.disabled = missing || fixed;
                sq.banner("tracing: " + error.message);
            });
        });
        sq.every(5000, poll);
    }

    return { start: start, edgeStats: edgeStats, fixed: showFixed };
})();
