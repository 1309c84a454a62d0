/*  topology.js - the topology page

    Every 5 s: GET /api/v1/topology/:id (the chosen window) fills the
    header, the stats, spouts, bolts, workers, configuration and errors;
    GET .../visualization (10-minute window, for capacity) and each bolt's
    GET .../component/:bolt (all time: executed per input, whose growth
    between two polls is the rate of that edge; not for more than 40
    bolts) draw the graph. Every
    10 s: GET .../history feeds the plots; while nimbus has no history
    (404), the plots use the page's own polls of the all-time totals since
    it opened. The plots are redrawn every 5 s. The actions POST Storm's
    routes after a confirmation dialog.

    Speed: the page asks everything it needs at once (topology,
    visualization, history and traces in parallel), draws the graph as
    soon as the two answers it needs are in and lets the browser paint it
    before the tables are built; the per-bolt requests for the edge rates
    go out after that and redraw the graph when they are in. Nothing reads
    the layout between writes (the plots measure their sizes first).

    A local run (storm-submit --local --ui-port) has no visualization
    (404): the graph is then drawn from the spouts and bolts tables and
    the bolts' inputs (the per-bolt answers), without groupings. It takes
    no commands: when /api/v1/nimbus/summary answers 404 or an action
    answers 405, the action buttons are disabled and say why.
*/
"use strict";

(function () {
    var el = sq.el;
    var id = sq.param("id");
    var base = "/api/v1/topology/" + sq.seg(id);
    var windowChoice = document.getElementById("window");
    var last = null; //  the latest topology answer
    var inputsBefore = {}; //  "bolt|from|stream" -> {executed, time} of the previous poll
    var rates = {}; //  "from|to|stream" -> {rate, hint}
    var own = []; //  the page's own points: {time, emitted, acked, failed, p50, p99}
    var history = null; //  the latest /history answer, or null when there is none
    var historyMissing = false; //  /history answered 404
    var inputsOf = {}; //  bolt -> [{component, stream}] from its component answer
    var noCommands = false; //  the server takes no commands (a local run)

    function componentHref(name) {
        return "/component.html?topology=" + encodeURIComponent(id) + "&id=" + encodeURIComponent(name);
    }

    //  ------------------------------------------------------------------
    //  Header, tables

    function showHeader(t) {
        document.title = t.name + " · Squall";
        document.getElementById("name").textContent = t.name;
        document.getElementById("crumb-name").textContent = t.name;
        var status = document.getElementById("status");
        status.textContent = t.status + (t.failing ? " (failing)" : "");
        status.className = "status " + t.status;
        document.getElementById("uptime").textContent = t.uptime;
        document.getElementById("uptime").setAttribute("data-value", t.uptimeSeconds);
        document.getElementById("workers-total").textContent = sq.count(t.workersTotal);
        document.getElementById("executors-total").textContent = sq.count(t.executorsTotal);
        document.getElementById("tasks-total").textContent = sq.count(t.tasksTotal);
        document.getElementById("msg-timeout").textContent = t.msgTimeout === undefined ? "–" : t.msgTimeout + " s";
        document.getElementById("topology-id").textContent = t.id;
        document.querySelectorAll(".window-hint").forEach(function (node) {
            node.textContent = "window: " + t.windowHint;
        });
        var killed = t.status === "KILLED";
        document.getElementById("action-activate").disabled = killed || t.status === "ACTIVE";
        document.getElementById("action-deactivate").disabled = killed || t.status === "INACTIVE";
        document.getElementById("action-rebalance").disabled = killed || t.status === "REBALANCING";
        document.getElementById("action-kill").disabled = killed;
        if (noCommands) showNoCommands();
    }

    //  The server takes no commands: every action button disabled, saying why.
    function showNoCommands() {
        noCommands = true;
        document.querySelectorAll(".actions button").forEach(function (button) {
            button.disabled = true;
            button.title = "this server takes no commands (a local run: storm-submit --local)";
        });
        sqTrace.fixed();
    }

    function countCell(field, value) {
        return sq.cell(field, value, sq.count(value));
    }

    function msCell(field, value) {
        return sq.cell(field, value, sq.ms(value));
    }

    function showStats(t) {
        sq.head("stats", ["Window", "#Emitted", "#Transferred", "#Acked", "#Failed", "#Timed out", "#Complete latency (ms)", "#p50", "#p99"]);
        sq.fill("stats", (t.topologyStats || []).map(function (s) {
            return el("tr", { "data-window": s.window }, [
                el("td", {}, s.windowPretty),
                countCell("emitted", s.emitted),
                countCell("transferred", s.transferred),
                countCell("acked", s.acked),
                countCell("failed", s.failed),
                countCell("timedOut", s.timedOut),
                msCell("completeLatency", s.completeLatency),
                msCell("completeLatencyP50", s.completeLatencyP50),
                msCell("completeLatencyP99", s.completeLatencyP99),
            ]);
        }));
    }

    function errorCell(c) {
        if (!c.lastError) return el("td", {}, "");
        return el("td", { class: "wrap", title: c.lastError }, el("span", { class: "outcome-failed" }, c.lastError.length > 60 ? c.lastError.slice(0, 59) + "…" : c.lastError));
    }

    function showSpouts(t) {
        sq.head("spouts", ["Spout", "#Executors", "#Tasks", "#Emitted", "#Transferred", "#Acked", "#Failed", "#Timed out", "#Complete latency (ms)", "#p99", "#Held by backpressure (s)", "Last error"]);
        sq.fill("spouts", (t.spouts || []).map(function (c) {
            var held = c.heldSecs || {};
            return el("tr", { "data-component": c.spoutId }, [
                el("td", {}, el("a", { href: componentHref(c.spoutId) }, c.spoutId)),
                countCell("executors", c.executors),
                countCell("tasks", c.tasks),
                countCell("emitted", c.emitted),
                countCell("transferred", c.transferred),
                countCell("acked", c.acked),
                countCell("failed", c.failed),
                countCell("timedOut", c.timedOut),
                msCell("completeLatency", c.completeLatency),
                msCell("completeLatencyP99", c.completeLatencyP99),
                sq.cell("backpressure", held.backpressure, sq.num(held.backpressure).toFixed(1)),
                errorCell(c),
            ]);
        }), "no spouts (nimbus has not validated the package yet)");
    }

    function showBolts(t) {
        sq.head("bolts", ["Bolt", "#Executors", "#Tasks", "#Emitted", "#Transferred", "#Executed", "#Acked", "#Failed", "#Capacity", "#Execute latency (ms)", "#p99", "#Process latency (ms)", "#Queue full", "Last error"]);
        sq.fill("bolts", (t.bolts || []).map(function (c) {
            var capacity = sq.num(c.capacity);
            var capacityCell = sq.cell("capacity", c.capacity, capacity.toFixed(3));
            capacityCell.style.background = sq.capacityColour(capacity);
            return el("tr", { "data-component": c.boltId }, [
                el("td", {}, el("a", { href: componentHref(c.boltId) }, c.boltId)),
                countCell("executors", c.executors),
                countCell("tasks", c.tasks),
                countCell("emitted", c.emitted),
                countCell("transferred", c.transferred),
                countCell("executed", c.executed),
                countCell("acked", c.acked),
                countCell("failed", c.failed),
                capacityCell,
                msCell("executeLatency", c.executeLatency),
                msCell("executeLatencyP99", c.executeLatencyP99),
                msCell("processLatency", c.processLatency),
                sq.cell("receiveQueuePercentFull", c.receiveQueuePercentFull, sq.num(c.receiveQueuePercentFull).toFixed(1) + "%"),
                errorCell(c),
            ]);
        }), "no bolts");
    }

    function showWorkers(t) {
        sq.head("workers", ["Worker", "Supervisor", "#Executors", "Tasks per component"]);
        var workers = (t.workers || []).slice().sort(function (a, b) {
            return (a.host + ":" + a.port).localeCompare(b.host + ":" + b.port);
        });
        sq.fill("workers", workers.map(function (w) {
            var tasks = Object.keys(w.componentNumTasks || {}).sort().map(function (name) {
                return name + " " + w.componentNumTasks[name];
            }).join(", ");
            return el("tr", { "data-worker": w.host + ":" + w.port }, [
                el("td", { class: "mono" }, w.host + ":" + w.port),
                el("td", {}, w.supervisorId),
                countCell("executorsTotal", w.executorsTotal),
                el("td", { class: "wrap" }, tasks),
            ]);
        }), "no workers assigned");
    }

    function showConfiguration(t) {
        var config = t.configuration || {};
        sq.head("configuration", ["Key", "Value"]);
        sq.fill("configuration", Object.keys(config).sort().map(function (key) {
            var value = config[key];
            return el("tr", { "data-key": key }, [el("td", { class: "mono" }, key), el("td", { class: "mono wrap" }, typeof value === "string" ? value : JSON.stringify(value))]);
        }));
    }

    function showErrors(t) {
        var list = [];
        (t.spouts || []).concat(t.bolts || []).forEach(function (c) {
            if (!c.lastError) return;
            list.push({ component: c.spoutId || c.boltId, error: c.lastError, errorTime: c.errorTime, errorHost: c.errorHost, errorPort: c.errorPort, errorTask: c.errorTask });
        });
        //  A worker failure that names no component (a crash) shows too,
        //  with its log's last lines.
        var f = t.lastFailure;
        if (f && !f.component) {
            var text = "worker " + f.cause + (f.message ? ": " + f.message : "") + (f.log_tail ? "\n" + f.log_tail : "");
            list.push({ component: "worker", error: text, errorTime: f.time_ms, errorHost: f.host, errorPort: f.port });
        }
        list.sort(function (a, b) { return sq.num(b.errorTime) - sq.num(a.errorTime); });
        sq.errors("errors", list);
    }

    //  ------------------------------------------------------------------
    //  The graph

    //  What the visualization would say, from the topology answer and the
    //  bolts' inputs: for a server without /visualization (a local run).
    function visualizationOf(t) {
        var v = {};
        (t.spouts || []).forEach(function (c) {
            v[c.spoutId] = { ":type": "spout", ":capacity": 0, ":latency": c.completeLatency, ":inputs": [] };
        });
        (t.bolts || []).forEach(function (c) {
            v[c.boltId] = { ":type": "bolt", ":capacity": sq.num(c.capacity), ":latency": c.executeLatency, ":inputs": (inputsOf[c.boltId] || []).map(function (input) {
                return { ":component": input.component, ":stream": input.stream, ":grouping": null };
            }) };
        });
        return v;
    }

    function drawGraph(t, visualization) {
        var parallel = {};
        (t.spouts || []).forEach(function (c) { parallel[c.spoutId] = c; });
        (t.bolts || []).forEach(function (c) { parallel[c.boltId] = c; });
        var edgeStats = sqTrace.edgeStats();
        var nodes = [], edges = [];
        Object.keys(visualization).forEach(function (name) {
            var v = visualization[name];
            var p = parallel[name] || {};
            nodes.push({ id: name, type: v[":type"], executors: p.executors || 0, tasks: p.tasks || 0, capacity: v[":capacity"] || 0, latency: v[":latency"] === undefined ? null : v[":latency"], href: componentHref(name) });
            (v[":inputs"] || []).forEach(function (input) {
                var from = input[":component"];
                if (!(from in visualization)) return;
                var key = from + "|" + name + "|" + input[":stream"];
                edges.push({ from: from, to: name, stream: input[":stream"], grouping: input[":grouping"], rate: rates[key] ? rates[key].rate : null, rateHint: rates[key] ? rates[key].hint : "", hop: edgeStats[key] || null });
            });
        });
        nodes.sort(function (a, b) { return (a.type === "spout" ? 0 : 1) - (b.type === "spout" ? 0 : 1); });
        sqGraph.draw(document.getElementById("topology-graph"), { nodes: nodes, edges: edges });
    }

    //  Rates of the edges into each bolt, from its all-time executed per
    //  input between this poll and the last: one request per bolt, so a
    //  topology of more than MAX_RATE_BOLTS bolts gets no rates (its
    //  edges show the grouping alone) rather than a flood of requests.
    var MAX_RATE_BOLTS = 40;
    function pollRates(t) {
        var now = Date.now();
        var bolts = (t.bolts || []).map(function (c) { return c.boltId; });
        if (bolts.length > MAX_RATE_BOLTS) return Promise.resolve();
        return Promise.all(bolts.map(function (bolt) {
            return sq.get(base + "/component/" + sq.seg(bolt) + "?window=" + encodeURIComponent(":all-time")).then(function (answer) {
                if (answer.status !== 200 || !answer.data) return;
                inputsOf[bolt] = (answer.data.inputStats || []).map(function (input) {
                    return { component: input.component, stream: input.stream };
                });
                (answer.data.inputStats || []).forEach(function (input) {
                    var key = input.component + "|" + bolt + "|" + input.stream;
                    var executed = sq.num(input.executed);
                    var before = inputsBefore[key];
                    if (before && now > before.time && executed >= before.executed) {
                        rates[key] = { rate: ((executed - before.executed) * 1000) / (now - before.time), hint: "over the last " + Math.round((now - before.time) / 1000) + " s" };
                    } else if (!before && t.uptimeSeconds > 0) {
                        rates[key] = { rate: executed / t.uptimeSeconds, hint: "mean since the topology started" };
                    }
                    inputsBefore[key] = { executed: executed, time: now };
                });
            });
        }));
    }

    //  ------------------------------------------------------------------
    //  Plots

    //  Keep a point of the page's own from the all-time totals.
    function keepOwnPoint(t) {
        var all = (t.topologyStats || []).filter(function (s) { return s.window === ":all-time"; })[0];
        var ten = (t.topologyStats || []).filter(function (s) { return s.window === "600"; })[0] || {};
        if (!all) return;
        own.push({ time: Date.now(), emitted: sq.num(all.emitted), acked: sq.num(all.acked), failed: sq.num(all.failed) + sq.num(all.timedOut), p50: ten.completeLatencyP50, p99: ten.completeLatencyP99 });
        var cut = Date.now() - 11 * 60 * 1000;
        while (own.length && own[0].time < cut) own.shift();
    }

    //  The plots' points: nimbus's history when it has one, else the
    //  rates between the page's own points.
    function plotPoints() {
        if (history && history.points) {
            return history.points.map(function (p) {
                return { time: p.time * 1000, emitted: p.emitted, acked: p.acked, failed: p.failed, p50: p.completeLatencyP50Ms, p99: p.completeLatencyP99Ms };
            });
        }
        var points = [];
        for (var i = 1; i < own.length; i++) {
            var a = own[i - 1], b = own[i], secs = (b.time - a.time) / 1000;
            if (secs <= 0) continue;
            var rate = function (field) {
                return b[field] >= a[field] ? (b[field] - a[field]) / secs : null;
            };
            points.push({ time: b.time, emitted: rate("emitted"), acked: rate("acked"), failed: rate("failed"), p50: b.p50 === undefined ? null : sq.num(b.p50), p99: b.p99 === undefined ? null : sq.num(b.p99) });
        }
        return points;
    }

    function drawPlots() {
        var to = Date.now(), from = to - 10 * 60 * 1000;
        var plots = ["plot-throughput", "plot-latency", "plot-failures"].map(function (name) { return document.getElementById(name); });
        var sizes = plots.map(sqPlot.size);
        var points = plotPoints();
        function series(name, field, colour) {
            return { name: name, colour: colour, points: points.map(function (p) { return [p.time, p[field] === null || p[field] === undefined ? null : sq.num(p[field])]; }) };
        }
        var empty = history ? "no points yet" : "collecting (a point every 5 s while this page is open)";
        sqPlot.draw(plots[0], { title: "throughput", unit: "tuples/s", from: from, to: to, empty: empty, series: [series("emitted", "emitted", "#1f5f99"), series("acked", "acked", "#2e7d32")] }, sizes[0]);
        sqPlot.draw(plots[1], { title: "complete latency", unit: "ms", from: from, to: to, empty: empty, series: [series("p50", "p50", "#1f5f99"), series("p99", "p99", "#c62828")] }, sizes[1]);
        sqPlot.draw(plots[2], { title: "failures (failed + timed out)", unit: "trees/s", from: from, to: to, empty: empty, series: [series("failed", "failed", "#c62828")] }, sizes[2]);
        document.getElementById("plot-source").textContent = history
            ? "nimbus's history, a point every " + history.intervalSecs + " s"
            : historyMissing ? "this page's own polls since it opened (nimbus keeps no history); latency: 10-minute quantiles" : "";
    }

    function pollHistory() {
        return sq.get(base + "/history").then(function (answer) {
            if (answer.status === 200 && answer.data && Array.isArray(answer.data.points)) {
                history = answer.data;
                historyMissing = false;
            } else {
                history = null;
                historyMissing = answer.status === 404 || answer.status === 405;
            }
            if (started) drawPlots();
        });
    }

    //  ------------------------------------------------------------------
    //  Actions

    var actions = {
        activate: { text: "Activate topology {name}? Its spouts start emitting.", path: function () { return base + "/activate"; } },
        deactivate: { text: "Deactivate topology {name}? Its spouts stop emitting; trees in flight complete.", path: function () { return base + "/deactivate"; } },
        rebalance: {
            text: "Rebalance topology {name}? It is deactivated for the wait, then its executors are spread again.",
            options: function () {
                return [
                    el("label", {}, ["wait (s) ", el("input", { id: "rebalance-wait", type: "number", min: "0", max: "604800", value: "10", size: "6" })]),
                    el("label", {}, ["workers ", el("input", { id: "rebalance-workers", type: "number", min: "1", placeholder: "unchanged", size: "6" })]),
                ];
            },
            path: function () { return base + "/rebalance/" + Math.max(0, parseInt(document.getElementById("rebalance-wait").value, 10) || 0); },
            body: function () {
                var workers = parseInt(document.getElementById("rebalance-workers").value, 10);
                return workers > 0 ? { rebalanceOptions: { numWorkers: workers } } : undefined;
            },
        },
        kill: {
            text: "Kill topology {name}? It is deactivated for the wait, then its workers stop and it is removed. This cannot be undone.",
            options: function () {
                return [el("label", {}, ["wait (s) ", el("input", { id: "kill-wait", type: "number", min: "0", max: "604800", value: "30", size: "6" })])];
            },
            path: function () { return base + "/kill/" + Math.max(0, parseInt(document.getElementById("kill-wait").value, 10) || 0); },
        },
    };
    var pending = null; //  the action the dialog asks about

    function ask(name) {
        var action = actions[name];
        pending = name;
        document.getElementById("confirm-text").textContent = action.text.replace("{name}", last ? last.name : id);
        document.getElementById("confirm-options").replaceChildren.apply(document.getElementById("confirm-options"), action.options ? action.options() : []);
        document.getElementById("confirm").showModal();
    }

    function run() {
        var name = pending;
        pending = null;
        document.getElementById("confirm").close();
        if (!name) return;
        var action = actions[name];
        var body = action.body ? action.body() : undefined;
        sq.post(action.path(), body).then(function (answer) {
            if (answer.status === 405) {
                showNoCommands();
                sq.banner(name + ": this server takes no commands (a local run)");
                return;
            }
            if (answer.status === 200) sq.banner("");
            else sq.banner(name + " refused: " + answer.status + (answer.data && answer.data.errorMessage ? ": " + answer.data.errorMessage : ""));
            return refresh();
        }, function (error) {
            sq.banner(name + " failed: " + error.message);
        });
    }

    Object.keys(actions).forEach(function (name) {
        document.getElementById("action-" + name).addEventListener("click", function () { ask(name); });
    });
    document.getElementById("confirm-yes").addEventListener("click", run);
    document.getElementById("confirm-no").addEventListener("click", function () {
        pending = null;
        document.getElementById("confirm").close();
    });

    //  ------------------------------------------------------------------
    //  Refresh

    var started = false; //  the plots and the commands check are under way

    //  Once the first answers are drawn: the plots every 5 s, and whether
    //  this server takes commands (a local run has no nimbus).
    function start() {
        started = true;
        sq.every(5000, function () { drawPlots(); });
        sq.get("/api/v1/nimbus/summary").then(function (answer) {
            if (answer.status === 404) showNoCommands();
        }, function () {});
    }

    var visualization = null; //  the latest /visualization answer
    var noVisualization = false; //  /visualization answered 404: drawn from the tables

    function graph() {
        if (!last) return;
        if (visualization) drawGraph(last, visualization);
        else if (noVisualization) drawGraph(last, visualizationOf(last));
    }

    //  The next frame, once the browser painted what was drawn.
    function painted() {
        return new Promise(function (resolve) {
            requestAnimationFrame(function () { setTimeout(resolve, 0); });
        });
    }

    function refresh() {
        var w = encodeURIComponent(windowChoice.value);
        return Promise.all([sq.get(base + "?window=" + w), sq.get(base + "/visualization?window=600")]).then(function (answers) {
            var t = answers[0];
            if (t.status !== 200 || !t.data) {
                sq.banner(t.status === 404 ? "no topology with id " + id + " (killed and removed?)" : "nimbus answered " + t.status + (t.data && t.data.errorMessage ? ": " + t.data.errorMessage : ""));
                return;
            }
            sq.banner("");
            last = t.data;
            if (answers[1].status === 200 && answers[1].data) visualization = answers[1].data;
            noVisualization = answers[1].status === 404;
            //  The graph first: it is what the page is looked at for.
            showHeader(last);
            graph();
            if (!performance.getEntriesByName("squall-rendered").length) performance.mark("squall-rendered");
            var rates = pollRates(last);
            return painted().then(function () {
                showStats(last);
                showSpouts(last);
                showBolts(last);
                showWorkers(last);
                showConfiguration(last);
                showErrors(last);
                keepOwnPoint(last);
                sq.refreshed();
                if (!started) start();
                return rates;
            }).then(graph);
        });
    }

    if (!id) {
        sq.banner("no topology id in the address (topology.html?id=ID)");
        return;
    }
    document.getElementById("crumb-name").textContent = id;
    windowChoice.addEventListener("change", refresh);
    sq.every(5000, refresh);
    sqTrace.start(base, graph);
    sq.every(10000, function () {
        //  Asked once more only while nimbus has one: a 404 stays a 404.
        return historyMissing ? null : pollHistory();
    });
    window.addEventListener("resize", drawPlots);
})();
