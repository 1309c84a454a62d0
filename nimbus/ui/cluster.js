/*  cluster.js - the cluster page: nimbus, supervisors with their slots,
    topologies; refreshed every 5 s from /api/v1/cluster/summary,
    /nimbus/summary, /supervisor/summary and /topology/summary. A local
    run (storm-submit --local --ui-port) has no nimbus and no
    supervisors: those two answer 404, and the page says so. */
"use strict";

(function () {
    var el = sq.el;

    function fact(label, value) {
        return el("span", {}, [label + " ", el("b", {}, value)]);
    }

    function showNimbus(cluster, nimbus) {
        var n = nimbus ? (nimbus.nimbuses || [])[0] || {} : null;
        var node = document.getElementById("nimbus");
        node.replaceChildren.apply(node, [
            n ? fact("nimbus", (n.host || "?") + ":" + (n.port || "?")) : fact("nimbus", "none: a local run (storm-submit --local)"),
            n ? fact("status", n.status || "?") : null,
            fact("version", cluster.stormVersion || (n && n.version) || "?"),
            n ? fact("uptime", cluster.nimbusUptime || n.nimbusUpTime || "?") : null,
            fact("supervisors", sq.count(cluster.supervisors)),
            fact("slots used", sq.count(cluster.slotsUsed) + " / " + sq.count(cluster.slotsTotal)),
            fact("topologies", sq.count(cluster.topologies)),
            fact("executors", sq.count(cluster.executorsTotal)),
            fact("tasks", sq.count(cluster.tasksTotal)),
        ].filter(Boolean));
    }

    function showSupervisors(answer) {
        sq.fill("supervisors", (answer ? answer.supervisors || [] : []).map(function (s) {
            var used = sq.num(s.slotsUsed), total = sq.num(s.slotsTotal);
            var bar = el("span", { class: "meter", title: used + " of " + total + " slots used" }, el("span"));
            bar.firstChild.style.width = (total > 0 ? Math.round((100 * Math.min(used, total)) / total) : 0) + "%";
            return el("tr", { "data-supervisor": s.id }, [
                el("td", {}, s.id),
                el("td", {}, s.host),
                el("td", { class: "num", "data-value": s.uptimeSeconds }, s.uptime),
                el("td", { "data-field": "slots", "data-used": used, "data-total": total }, [bar, used + " / " + total]),
                el("td", {}, s.version || ""),
            ]);
        }), answer ? "no supervisor has registered" : "none: a local run has no supervisors");
    }

    function showTopologies(answer) {
        sq.fill("topologies", (answer.topologies || []).map(function (t) {
            return el("tr", { "data-topology-id": t.id }, [
                el("td", {}, el("a", { href: "/topology.html?id=" + encodeURIComponent(t.id) }, t.name)),
                el("td", { class: "mono" }, t.id),
                el("td", {}, el("span", { class: "status " + t.status }, t.status)),
                el("td", { class: "num", "data-value": t.uptimeSeconds }, t.uptime),
                sq.cell("workersTotal", t.workersTotal, sq.count(t.workersTotal)),
                sq.cell("executorsTotal", t.executorsTotal, sq.count(t.executorsTotal)),
                sq.cell("tasksTotal", t.tasksTotal, sq.count(t.tasksTotal)),
            ]);
        }), "no topology is running");
    }

    function refresh() {
        return Promise.all([
            sq.get("/api/v1/cluster/summary"),
            sq.get("/api/v1/nimbus/summary"),
            sq.get("/api/v1/supervisor/summary"),
            sq.get("/api/v1/topology/summary"),
        ]).then(function (answers) {
            //  Nimbus and the supervisors may be absent (404: a local run).
            var bad = answers.filter(function (a, i) { return (a.status !== 200 || !a.data) && !((i === 1 || i === 2) && a.status === 404); });
            if (bad.length) {
                sq.banner("nimbus answered " + bad[0].status + (bad[0].data && bad[0].data.errorMessage ? ": " + bad[0].data.errorMessage : ""));
                return;
            }
            sq.banner("");
            showNimbus(answers[0].data, answers[1].status === 200 ? answers[1].data : null);
            showSupervisors(answers[2].status === 200 ? answers[2].data : null);
            showTopologies(answers[3].data);
            sq.refreshed();
        });
    }

    sq.every(5000, refresh);
})();
