/*  common.js - what every page of Squall's web UI shares

    Reads the REST API (doc/metrics.md) and nothing else: sq.get and
    sq.post fetch JSON; a POST answered 401 or 403 asks for a token in a
    dialog and is sent again with "Authorization: Bearer <token>" (kept
    in sessionStorage for the tab's life, and sent with every request
    once given). sq.el builds elements, sq.fill fills a table's body,
    sq.every polls without piling requests up, and the formatters write
    numbers the way the tables show them.
*/
"use strict";

var sq = (function () {
    var TOKEN_KEY = "squall.token";

    function token() {
        try {
            return sessionStorage.getItem(TOKEN_KEY);
        } catch (e) {
            return null;
        }
    }

    function headers(extra) {
        var all = { Accept: "application/json" };
        var t = token();
        if (t) all.Authorization = "Bearer " + t;
        for (var k in extra || {}) all[k] = extra[k];
        return all;
    }

    //  The answer of a request as {status, data}: data is the JSON body, or
    //  null when the body is not JSON. A network failure rejects.
    function request(method, path, body) {
        var init = { method: method, headers: headers(body !== undefined ? { "Content-Type": "application/json" } : {}) };
        if (body !== undefined) init.body = JSON.stringify(body);
        return fetch(path, init).catch(function (error) {
            //  fetch rejects only when nimbus cannot be reached.
            throw new Error("cannot reach nimbus (" + error.message + "); trying again");
        }).then(function (response) {
            return response.text().then(function (text) {
                var data = null;
                try {
                    data = text ? JSON.parse(text) : null;
                } catch (e) {
                    data = null;
                }
                return { status: response.status, data: data };
            });
        });
    }

    //  GET path: {status, data}.
    function get(path) {
        return request("GET", path);
    }

    //  Ask for a token in a dialog; resolves to the token, or null when
    //  cancelled.
    function askToken(why) {
        return new Promise(function (resolve) {
            var dialog = document.getElementById("token-dialog");
            if (!dialog) {
                dialog = el("dialog", { id: "token-dialog" }, [
                    el("p", { id: "token-why" }),
                    el("label", {}, ["Token ", el("input", { id: "token-input", type: "password", size: "40", autocomplete: "off" })]),
                    el("div", { class: "buttons" }, [
                        el("button", { id: "token-cancel", type: "button" }, "Cancel"),
                        el("button", { id: "token-ok", type: "button" }, "Send"),
                    ]),
                ]);
                document.body.appendChild(dialog);
            }
            var input = document.getElementById("token-input");
            document.getElementById("token-why").textContent = why;
            input.value = "";
            function finish(value) {
                document.getElementById("token-ok").onclick = null;
                document.getElementById("token-cancel").onclick = null;
                dialog.close();
                resolve(value);
            }
            document.getElementById("token-ok").onclick = function () {
                finish(input.value.trim() || null);
            };
            document.getElementById("token-cancel").onclick = function () {
                finish(null);
            };
            input.onkeydown = function (event) {
                if (event.key === "Enter") finish(input.value.trim() || null);
            };
            dialog.showModal();
            input.focus();
        });
    }

    //  POST path (body: a value to send as JSON, or undefined): {status,
    //  data}. On 401 or 403 asks for a token once and sends again with it.
    function post(path, body) {
        return request("POST", path, body).then(function (answer) {
            if (answer.status !== 401 && answer.status !== 403) return answer;
            var why = "Nimbus answered " + answer.status + (answer.data && answer.data.errorMessage ? ": " + answer.data.errorMessage : "") + ". Give a token to send the request with.";
            return askToken(why).then(function (t) {
                if (!t) return answer;
                try {
                    sessionStorage.setItem(TOKEN_KEY, t);
                } catch (e) {
                    //  no storage: the token is not kept
                }
                return request("POST", path, body);
            });
        });
    }

    //  A new element tag with attributes attrs (class, data-*, ...; a
    //  function value becomes a listener: onclick) and children (a string,
    //  a node, or a list of them; null skipped).
    function el(tag, attrs, children) {
        var node = document.createElement(tag);
        for (var key in attrs || {}) {
            var value = attrs[key];
            if (value === null || value === undefined) continue;
            if (typeof value === "function") node.addEventListener(key.replace(/^on/, ""), value);
            else node.setAttribute(key, value);
        }
        append(node, children);
        return node;
    }

    function append(node, children) {
        if (children === null || children === undefined) return;
        if (Array.isArray(children)) children.forEach(function (child) { append(node, child); });
        else if (children instanceof Node) node.appendChild(children);
        else node.appendChild(document.createTextNode(String(children)));
    }

    //  An SVG element.
    function svg(tag, attrs, children) {
        var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
        for (var key in attrs || {}) if (attrs[key] !== null && attrs[key] !== undefined) node.setAttribute(key, attrs[key]);
        append(node, children);
        return node;
    }

    //  Number of a REST field (numbers, or Storm's strings like "1.250").
    function num(value) {
        var n = typeof value === "number" ? value : parseFloat(value);
        return isFinite(n) ? n : 0;
    }

    //  One formatter for every number written with separators:
    //  toLocaleString makes a new one on each call, which costs a page of
    //  tables tens of milliseconds.
    var grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

    //  A count: 1234567 -> "1,234,567".
    function count(value) {
        return grouped.format(Math.round(num(value)));
    }

    //  A rate or a large number, short: 12345 -> "12.3k".
    function short(value) {
        var n = num(value);
        var a = Math.abs(n);
        if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "G";
        if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
        if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
        if (a >= 10 || n === 0) return n.toFixed(0);
        return n.toFixed(1);
    }

    //  Milliseconds: "0.022", "12.5", "1,234".
    function ms(value) {
        var n = num(value);
        if (n >= 100) return grouped.format(Math.round(n));
        if (n >= 10) return n.toFixed(1);
        return n.toFixed(3);
    }

    //  A table cell of a REST number: td[data-field][data-value=raw].
    function cell(field, raw, text) {
        return el("td", { class: "num", "data-field": field, "data-value": raw === undefined || raw === null ? "" : String(raw) }, text);
    }

    //  Replace the body rows of table (an element or its id) with rows;
    //  when none, one row saying empty.
    function fill(table, rows, empty) {
        if (typeof table === "string") table = document.getElementById(table);
        var body = table.tBodies[0] || table.appendChild(el("tbody"));
        var columns = table.tHead && table.tHead.rows[0] ? table.tHead.rows[0].cells.length : 1;
        body.replaceChildren.apply(body, rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: String(columns) }, empty || "none"))]);
    }

    //  A table's head row from column names ("#name" right-aligns).
    function head(table, names) {
        if (typeof table === "string") table = document.getElementById(table);
        var row = el("tr", {}, names.map(function (name) {
            return name.charAt(0) === "#" ? el("th", { class: "num" }, name.slice(1)) : el("th", {}, name);
        }));
        (table.tHead || table.createTHead()).replaceChildren(row);
    }

    //  Run step (which returns a promise) now and then ms after each run
    //  ends, so requests never pile up; a hidden tab skips runs.
    function every(ms, step) {
        function run() {
            var done = function () { setTimeout(run, ms); };
            if (document.hidden) return done();
            Promise.resolve()
                .then(step)
                .then(done, function (error) {
                    banner(String(error && error.message ? error.message : error));
                    done();
                });
        }
        run();
    }

    //  Show text in the page's banner (or hide it when text is empty).
    function banner(text) {
        var node = document.getElementById("banner");
        if (!node) return;
        node.textContent = text || "";
        node.classList.toggle("shown", !!text);
    }

    //  Say when the page was last refreshed.
    function refreshed() {
        var node = document.getElementById("refreshed");
        if (node) node.textContent = "refreshed " + new Date().toLocaleTimeString();
    }

    //  The query parameter name of the page's address, or "".
    function param(name) {
        return new URLSearchParams(location.search).get(name) || "";
    }

    //  A path segment, encoded.
    function seg(text) {
        return encodeURIComponent(text);
    }

    //  The fill colour of a capacity from 0 (green) to 1 (red).
    function capacityColour(capacity) {
        var c = Math.max(0, Math.min(1, num(capacity)));
        return "hsl(" + Math.round(120 * (1 - c)) + ", " + Math.round(55 + 20 * c) + "%, " + Math.round(72 - 10 * c) + "%)";
    }

    //  Show a list of Storm's componentErrors (or lastError entries) in node.
    function errors(node, list) {
        if (typeof node === "string") node = document.getElementById(node);
        if (!list.length) {
            node.replaceChildren(el("div", { class: "none" }, "no errors reported"));
            return;
        }
        node.replaceChildren.apply(node, list.map(function (e) {
            var when = e.errorTime ? new Date(num(e.errorTime)).toLocaleString() : "";
            var where = [e.component, e.errorHost && e.errorHost + ":" + e.errorPort, e.errorTask !== undefined ? "task " + e.errorTask : null].filter(Boolean).join(" · ");
            return el("div", { class: "error" }, [el("div", { class: "meta" }, [when, where ? " · " + where : ""]), e.error || e.lastError || ""]);
        }));
    }

    return {
        get: get,
        post: post,
        el: el,
        svg: svg,
        num: num,
        count: count,
        short: short,
        ms: ms,
        cell: cell,
        fill: fill,
        head: head,
        every: every,
        banner: banner,
        refreshed: refreshed,
        param: param,
        seg: seg,
        capacityColour: capacityColour,
        errors: errors,
    };
})();
