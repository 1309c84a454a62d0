/*  graph.js - the topology as an SVG graph

    sqGraph.draw(svg, model) draws model = {nodes: [{id, type ("spout" |
    "bolt"), executors, tasks, capacity, latency, href}], edges: [{from, to,
    stream, grouping, rate (tuples/s or null), rateHint, hop ({p50Ms,
    p99Ms, count} or null)}]} into svg, replacing what was there.

    Layout: spouts in the first column, every bolt one column right of
    the furthest of its inputs (longest-path layering over the graph with
    its cycles broken: an edge back to a component on the current
    depth-first path is drawn as an arc and not counted). Within a column
    components are ordered by the mean row of their neighbours, swept a
    few times left to right and back, which keeps most edges from
    crossing. Bolts are filled by capacity, green (idle) to red (busy),
    so the bottleneck stands out. Each edge is labelled with its grouping
    and rate; its tooltip adds the stream and the traced hop latency.
*/
"use strict";

var sqGraph = (function () {
    var NODE_W = 172, NODE_H = 44, COL_GAP = 110, ROW_GAP = 26, PAD = 14;

    //  Cycles broken: the set of edges (indexes) that go back to a node on
    //  the depth-first path.
    function backEdges(nodes, edges) {
        var out = {}, state = {}, back = {};
        nodes.forEach(function (n) { out[n.id] = []; });
        edges.forEach(function (e, i) { if (out[e.from]) out[e.from].push(i); });
        function visit(id) {
            state[id] = 1;
            out[id].forEach(function (i) {
                var to = edges[i].to;
                if (!(to in out)) return;
                if (state[to] === 1) back[i] = true;
                else if (!state[to]) visit(to);
            });
            state[id] = 2;
        }
        nodes.filter(function (n) { return n.type === "spout"; }).concat(nodes).forEach(function (n) {
            if (!state[n.id]) visit(n.id);
        });
        return back;
    }

    //  Column of every node: 0 for spouts, else 1 + the furthest input.
    function layers(nodes, edges, back) {
        var layer = {};
        nodes.forEach(function (n) { layer[n.id] = 0; });
        //  The forward edges form a DAG: relaxing |nodes| times settles it.
        for (var round = 0; round < nodes.length; round++) {
            var moved = false;
            edges.forEach(function (e, i) {
                if (back[i] || !(e.from in layer) || !(e.to in layer)) return;
                if (layer[e.to] < layer[e.from] + 1) {
                    layer[e.to] = layer[e.from] + 1;
                    moved = true;
                }
            });
            if (!moved) break;
        }
        //  A bolt fed only by hidden components still sits right of the spouts.
        nodes.forEach(function (n) { if (n.type !== "spout" && layer[n.id] === 0) layer[n.id] = 1; });
        return layer;
    }

    //  Columns of node ids, ordered to cross few edges.
    function order(nodes, edges, layer) {
        var columns = [];
        nodes.forEach(function (n) {
            (columns[layer[n.id]] = columns[layer[n.id]] || []).push(n.id);
        });
        for (var c = 0; c < columns.length; c++) columns[c] = columns[c] || [];
        var row = {};
        function index() {
            columns.forEach(function (column) { column.forEach(function (id, i) { row[id] = i; }); });
        }
        function sweep(c, neighbourOf) {
            var mean = {};
            columns[c].forEach(function (id) {
                var sum = 0, n = 0;
                edges.forEach(function (e) {
                    var other = neighbourOf(e, id);
                    if (other !== null && other in row && other !== id) {
                        sum += row[other];
                        n++;
                    }
                });
                mean[id] = n ? sum / n : row[id];
            });
            columns[c].sort(function (a, b) { return mean[a] - mean[b] || row[a] - row[b]; });
            columns[c].forEach(function (id, i) { row[id] = i; });
        }
        index();
        for (var pass = 0; pass < 4; pass++) {
            for (var right = 1; right < columns.length; right++)
                sweep(right, function (e, id) { return e.to === id && layer[e.from] < layer[id] ? e.from : null; });
            for (var left = columns.length - 2; left >= 0; left--)
                sweep(left, function (e, id) { return e.from === id && layer[e.to] > layer[id] ? e.to : null; });
        }
        return columns;
    }

    //  Grouping and rate, either left out when not known (a local run
    //  has no groupings to tell).
    function label(edge) {
        var rate = edge.rate === null || edge.rate === undefined ? "" : sq.short(edge.rate) + "/s";
        return [edge.grouping, rate].filter(Boolean).join(" · ") || "?";
    }

    function tooltip(edge) {
        var lines = [edge.from + " → " + edge.to, "stream " + edge.stream + (edge.grouping ? ", " + edge.grouping + " grouping" : "")];
        if (edge.rate !== null && edge.rate !== undefined) lines.push(sq.short(edge.rate) + " tuples/s" + (edge.rateHint ? " (" + edge.rateHint + ")" : ""));
        if (edge.hop) lines.push("hop latency p50 " + sq.ms(edge.hop.p50Ms) + " ms, p99 " + sq.ms(edge.hop.p99Ms) + " ms (" + edge.hop.count + " traced)");
        return lines.join("\n");
    }

    function draw(svg, model) {
        var nodes = model.nodes, edges = model.edges;
        var back = backEdges(nodes, edges);
        var layer = layers(nodes, edges, back);
        var columns = order(nodes, edges, layer);
        var tallest = Math.max.apply(null, columns.map(function (c) { return c.length; }).concat([1]));
        var height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP + 24;
        var width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
        var at = {};
        columns.forEach(function (column, c) {
            var top = PAD + 20 + ((tallest - column.length) * (NODE_H + ROW_GAP)) / 2;
            column.forEach(function (id, i) {
                at[id] = { x: PAD + c * (NODE_W + COL_GAP), y: top + i * (NODE_H + ROW_GAP) };
            });
        });
        //  Natural size, shrunk by the style sheet (max-width) when wider
        //  than the page.
        svg.setAttribute("viewBox", "0 0 " + Math.max(width, 300) + " " + height);
        svg.setAttribute("width", String(Math.max(width, 300)));
        svg.setAttribute("height", String(height));
        svg.setAttribute("data-nodes", String(nodes.length));
        svg.setAttribute("data-edges", String(edges.length));
        var defs = sq.svg("defs", {}, sq.svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
            sq.svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#7b8794" })));
        var edgeLayer = sq.svg("g", { class: "edges" });
        var nodeLayer = sq.svg("g", { class: "nodes" });
        var pairs = {};
        edges.forEach(function (edge, i) {
            var a = at[edge.from], b = at[edge.to];
            if (!a || !b) return;
            var key = edge.from + "\u0000" + edge.to;
            var nth = (pairs[key] = (pairs[key] || 0) + 1) - 1;
            var d, lx, ly;
            if (back[i] || edge.from === edge.to || a.x >= b.x) {
                //  An arc over the top, from the right side of one back to
                //  the left side of the other (or itself).
                var x1 = a.x + NODE_W, y1 = a.y + 12, x2 = b.x, y2 = b.y + 12;
                var lift = Math.min(a.y, b.y) - 18 - nth * 12;
                d = "M" + x1 + "," + y1 + " C" + (x1 + 50) + "," + lift + " " + (x2 - 50) + "," + lift + " " + x2 + "," + y2;
                lx = (x1 + x2) / 2;
                ly = lift + 6;
            } else {
                var sx = a.x + NODE_W, sy = a.y + NODE_H / 2, tx = b.x, ty = b.y + NODE_H / 2;
                var mid = (sx + tx) / 2;
                d = "M" + sx + "," + sy + " C" + mid + "," + sy + " " + mid + "," + ty + " " + tx + "," + ty;
                lx = mid;
                ly = (sy + ty) / 2 - 4 + nth * 13;
            }
            var text = label(edge);
            edgeLayer.appendChild(sq.svg("g", { class: "edge", "data-from": edge.from, "data-to": edge.to, "data-stream": edge.stream, "data-grouping": edge.grouping || "", "data-rate": edge.rate === null || edge.rate === undefined ? "" : String(edge.rate) }, [
                sq.svg("title", {}, tooltip(edge)),
                sq.svg("path", { d: d, "marker-end": "url(#arrow)" }),
                sq.svg("text", { class: "halo", x: lx, y: ly, "text-anchor": "middle" }, text),
                sq.svg("text", { class: "label", x: lx, y: ly, "text-anchor": "middle" }, text),
            ]));
        });
        nodes.forEach(function (node) {
            var p = at[node.id];
            var spout = node.type === "spout";
            var attrs = { class: "node " + node.type, "data-component": node.id, "data-type": node.type, transform: "translate(" + p.x + "," + p.y + ")" };
            var rectAttrs = { width: NODE_W, height: NODE_H, rx: "4" };
            var detail;
            if (spout) {
                detail = "spout · " + node.executors + " exec" + (node.latency !== null ? " · " + sq.ms(node.latency) + " ms" : "");
            } else {
                attrs["data-capacity"] = String(node.capacity);
                rectAttrs.fill = sq.capacityColour(node.capacity);
                detail = "cap " + sq.num(node.capacity).toFixed(2) + " · " + node.executors + " exec · " + sq.ms(node.latency) + " ms";
            }
            var title = node.id + " (" + node.type + ")\n" + node.executors + " executors, " + node.tasks + " tasks" +
                (spout ? "" : "\ncapacity " + sq.num(node.capacity).toFixed(3) + " (busiest executor, last 10 min)") +
                (node.latency !== null ? "\n" + (spout ? "complete" : "execute") + " latency " + sq.ms(node.latency) + " ms" : "");
            var name = node.id.length > 22 ? node.id.slice(0, 21) + "…" : node.id;
            nodeLayer.appendChild(sq.svg("g", attrs, sq.svg("a", { href: node.href }, [
                sq.svg("title", {}, title),
                sq.svg("rect", rectAttrs),
                sq.svg("text", { class: "name", x: 8, y: 17 }, name),
                sq.svg("text", { class: "detail", x: 8, y: 34 }, detail),
            ])));
        });
        if (!nodes.length)
            nodeLayer.appendChild(sq.svg("text", { x: PAD, y: PAD + 30, class: "detail" }, "no components known yet (nimbus validates the package after a restart)"));
        svg.replaceChildren(defs, edgeLayer, nodeLayer);
    }

    return { draw: draw };
})();
