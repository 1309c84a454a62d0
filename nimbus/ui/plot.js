/*  plot.js - small line plots over a time range, in SVG

    sqPlot.draw(svg, {from, to (ms), unit, series: [{name, colour,
    points: [[time ms, value or null], ...]}]}, measured) redraws svg: a y
    axis from 0 to a round maximum, x ticks every 2 minutes back from
    `to`, a line per series (broken where a value is null) and a legend
    with each series' latest value. measured (optional) is the size to
    draw at, as sqPlot.size(svg) read it before any plot was redrawn.
    Sets data-points (time points drawn, the most of any series) and
    data-updated (Date.now() of this redraw).
*/
"use strict";

var sqPlot = (function () {
    var LEFT = 44, RIGHT = 8, TOP = 16, BOTTOM = 16;

    //  A round number at least max (1, 2, 5 x 10^n).
    function roundUp(max) {
        if (!(max > 0)) return 1;
        var base = Math.pow(10, Math.floor(Math.log10(max)));
        var steps = [1, 2, 2.5, 5, 10];
        for (var i = 0; i < steps.length; i++) if (steps[i] * base >= max) return steps[i] * base;
        return 10 * base;
    }

    //  An axis label: 12500 -> "12.5k", 0.25 -> "0.25".
    function tick(v) {
        var units = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];
        for (var i = 0; i < units.length; i++)
            if (v >= units[i][0]) return String(parseFloat((v / units[i][0]).toPrecision(3))) + units[i][1];
        return String(parseFloat(v.toPrecision(3)));
    }

    //  The size of svg to draw at, [width, height]: read every plot's size
    //  first, then draw them all, so the page is laid out once, not once a
    //  plot.
    function size(svg) {
        return [Math.max(200, Math.round(svg.clientWidth || 400)), Math.max(80, Math.round(svg.clientHeight || 120))];
    }

    function draw(svg, plot, measured) {
        var wh = measured || size(svg);
        var W = wh[0], H = wh[1];
        svg.setAttribute("viewBox", "0 0 " + W + " " + H);
        var span = Math.max(1, plot.to - plot.from);
        var max = 0, drawn = 0;
        plot.series.forEach(function (s) {
            var n = 0;
            s.points.forEach(function (p) {
                if (p[0] < plot.from || p[0] > plot.to || p[1] === null || !isFinite(p[1])) return;
                max = Math.max(max, p[1]);
                n++;
            });
            drawn = Math.max(drawn, n);
        });
        var top = roundUp(max * 1.05);
        function x(t) { return LEFT + ((t - plot.from) / span) * (W - LEFT - RIGHT); }
        function y(v) { return TOP + (1 - v / top) * (H - TOP - BOTTOM); }
        var parts = [];
        var grid = sq.svg("g", { class: "grid" });
        var axis = sq.svg("g", { class: "axis" });
        for (var i = 0; i <= 2; i++) {
            var v = (top * i) / 2, yy = y(v);
            grid.appendChild(sq.svg("line", { x1: LEFT, x2: W - RIGHT, y1: yy, y2: yy }));
            axis.appendChild(sq.svg("text", { x: LEFT - 4, y: yy + 3, "text-anchor": "end" }, tick(v)));
        }
        for (var back = 0; back * 120000 <= span; back++) {
            var t = plot.to - back * 120000, xx = x(t);
            axis.appendChild(sq.svg("line", { x1: xx, x2: xx, y1: H - BOTTOM, y2: H - BOTTOM + 3 }));
            axis.appendChild(sq.svg("text", { x: xx, y: H - 3, "text-anchor": back === 0 ? "end" : "middle" }, back === 0 ? "now" : "-" + back * 2 + "m"));
        }
        axis.appendChild(sq.svg("line", { x1: LEFT, x2: W - RIGHT, y1: H - BOTTOM, y2: H - BOTTOM }));
        parts.push(grid, axis);
        var legend = sq.svg("text", { class: "label", x: LEFT, y: 11 });
        legend.appendChild(sq.svg("tspan", { "font-weight": "600" }, plot.title + " (" + plot.unit + ")  "));
        plot.series.forEach(function (s) {
            var pieces = [], current = [];
            var last = null;
            s.points.forEach(function (p) {
                var ok = p[0] >= plot.from && p[0] <= plot.to && p[1] !== null && isFinite(p[1]);
                if (ok) {
                    current.push(x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1));
                    last = p[1];
                } else if (current.length) {
                    pieces.push(current);
                    current = [];
                }
            });
            if (current.length) pieces.push(current);
            pieces.forEach(function (piece) {
                if (piece.length === 1) {
                    var xy = piece[0].split(",");
                    parts.push(sq.svg("circle", { cx: xy[0], cy: xy[1], r: "1.8", fill: s.colour }));
                } else {
                    parts.push(sq.svg("polyline", { class: "series", points: piece.join(" "), stroke: s.colour, "data-series": s.name }));
                }
            });
            legend.appendChild(sq.svg("tspan", { fill: s.colour }, "■ "));
            legend.appendChild(sq.svg("tspan", {}, s.name + " " + (last === null ? "–" : sq.short(last)) + "   "));
        });
        parts.push(legend);
        if (!drawn) parts.push(sq.svg("text", { class: "nodata", x: W / 2, y: H / 2, "text-anchor": "middle" }, plot.empty || "no points yet"));
        svg.replaceChildren.apply(svg, parts);
        svg.setAttribute("data-points", String(drawn));
        svg.setAttribute("data-updated", String(Date.now()));
    }

    return { draw: draw, size: size };
})();
