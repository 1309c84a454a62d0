/*  component.js - the component page: a spout's or bolt's stats per
    window, per executor, per input and per output stream, and its
    errors; refreshed every 5 s from
    GET /api/v1/topology/:topology/component/:id?window=W. */
"use strict";

(function () {
    var el = sq.el;
    var topology = sq.param("topology");
    var id = sq.param("id");
    var windowChoice = document.getElementById("window");
    var path = "/api/v1/topology/" + sq.seg(topology) + "/component/" + sq.seg(id);

    function countCell(field, value) {
        return sq.cell(field, value, sq.count(value));
    }

    function msCell(field, value) {
        return sq.cell(field, value, sq.ms(value));
    }

    //  The columns of a spout's or a bolt's figures: [title, cell of an entry].
    function figures(spout) {
        var common = [["#Emitted", function (s) { return countCell("emitted", s.emitted); }],
                      ["#Transferred", function (s) { return countCell("transferred", s.transferred); }]];
        if (spout) {
            return common.concat([
                ["#Acked", function (s) { return countCell("acked", s.acked); }],
                ["#Failed", function (s) { return countCell("failed", s.failed); }],
                ["#Timed out", function (s) { return countCell("timedOut", s.timedOut); }],
                ["#Complete latency (ms)", function (s) { return msCell("completeLatency", s.completeLatency); }],
                ["#p99", function (s) { return msCell("completeLatencyP99", s.completeLatencyP99); }],
            ]);
        }
        return common.concat([
            ["#Executed", function (s) { return countCell("executed", s.executed); }],
            ["#Acked", function (s) { return countCell("acked", s.acked); }],
            ["#Failed", function (s) { return countCell("failed", s.failed); }],
            ["#Capacity", function (s) {
                var c = sq.cell("capacity", s.capacity, sq.num(s.capacity).toFixed(3));
                c.style.background = sq.capacityColour(s.capacity);
                return c;
            }],
            ["#Execute latency (ms)", function (s) { return msCell("executeLatency", s.executeLatency); }],
            ["#p99", function (s) { return msCell("executeLatencyP99", s.executeLatencyP99); }],
            ["#Process latency (ms)", function (s) { return msCell("processLatency", s.processLatency); }],
        ]);
    }

    function show(c) {
        var spout = c.componentType === "spout";
        document.title = c.id + " · " + c.name + " · Squall";
        document.getElementById("name").textContent = c.id;
        document.getElementById("crumb-name").textContent = c.id;
        var link = document.getElementById("topology-link");
        link.textContent = c.name;
        link.href = "/topology.html?id=" + encodeURIComponent(c.topologyId);
        var status = document.getElementById("status");
        status.textContent = c.topologyStatus;
        status.className = "status " + c.topologyStatus;
        document.getElementById("type").textContent = c.componentType;
        document.getElementById("executors-total").textContent = sq.count(c.executors);
        document.getElementById("tasks-total").textContent = sq.count(c.tasks);
        document.querySelectorAll(".window-hint").forEach(function (node) { node.textContent = "window: " + c.windowHint; });
        var columns = figures(spout);
        var titles = columns.map(function (col) { return col[0]; });

        sq.head("stats", ["Window"].concat(titles));
        sq.fill("stats", ((spout ? c.spoutSummary : c.boltStats) || []).map(function (s) {
            return el("tr", { "data-window": s.window }, [el("td", {}, s.windowPretty)].concat(columns.map(function (col) { return col[1](s); })));
        }));

        sq.head("executors", ["Executor", "Worker", "Supervisor", "#Uptime"].concat(titles, ["#Queue full"]));
        sq.fill("executors", (c.executorStats || []).map(function (e) {
            return el("tr", { "data-executor": e.id }, [
                el("td", { class: "mono" }, e.id),
                el("td", { class: "mono" }, e.host ? e.host + ":" + e.port : "–"),
                el("td", {}, e.supervisorId || ""),
                el("td", { class: "num", "data-value": e.uptimeSeconds }, e.uptime || ""),
            ].concat(columns.map(function (col) { return col[1](e); }), [
                sq.cell("receiveQueuePercentFull", e.receiveQueuePercentFull, sq.num(e.receiveQueuePercentFull).toFixed(1) + "%"),
            ]));
        }), "no executor has reported yet");

        sq.head("inputs", ["From", "Stream", "#Executed", "#Acked", "#Failed", "#Execute latency (ms)", "#p99", "#Process latency (ms)", "#p99"]);
        sq.fill("inputs", (c.inputStats || []).map(function (i) {
            return el("tr", { "data-component": i.component, "data-stream": i.stream }, [
                el("td", {}, el("a", { href: "/component.html?topology=" + encodeURIComponent(c.topologyId) + "&id=" + encodeURIComponent(i.component) }, i.component)),
                el("td", {}, i.stream),
                countCell("executed", i.executed),
                countCell("acked", i.acked),
                countCell("failed", i.failed),
                msCell("executeLatency", i.executeLatency),
                msCell("executeLatencyP99", i.executeLatencyP99),
                msCell("processLatency", i.processLatency),
                msCell("processLatencyP99", i.processLatencyP99),
            ]);
        }), spout ? "a spout has no inputs" : "no input has been executed yet");

        var outputColumns = [["Stream"], ["#Emitted"], ["#Transferred"]].concat(spout ? [["#Acked"], ["#Failed"], ["#Timed out"], ["#Complete latency (ms)"]] : []);
        sq.head("outputs", outputColumns.map(function (col) { return col[0]; }));
        sq.fill("outputs", (c.outputStats || []).map(function (o) {
            var cells = [el("td", {}, o.stream), countCell("emitted", o.emitted), countCell("transferred", o.transferred)];
            if (spout) cells.push(countCell("acked", o.acked), countCell("failed", o.failed), countCell("timedOut", o.timedOut), msCell("completeLatency", o.completeLatency));
            return el("tr", { "data-stream": o.stream }, cells);
        }), "nothing emitted yet");

        sq.errors("errors", c.componentErrors || []);
    }

    function refresh() {
        return sq.get(path + "?window=" + encodeURIComponent(windowChoice.value)).then(function (answer) {
            if (answer.status !== 200 || !answer.data) {
                sq.banner(answer.status === 404 ? "no component " + id + " in topology " + topology : "nimbus answered " + answer.status + (answer.data && answer.data.errorMessage ? ": " + answer.data.errorMessage : ""));
                return;
            }
            sq.banner("");
            show(answer.data);
            sq.refreshed();
        });
    }

    if (!topology || !id) {
        sq.banner("the address names no component (component.html?topology=ID&id=NAME)");
        return;
    }
    windowChoice.addEventListener("change", refresh);
    sq.every(5000, refresh);
})();
