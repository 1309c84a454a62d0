#!/usr/bin/env python3
"""test_ui - Squall's web UI in a real browser, against a real cluster

Starts, each a process of its own on free 127.0.0.1 ports, a ZooKeeper
server, nimbus (serving the pages from the source tree: ui.dir) and one
supervisor, submits the probe topology (tests/integration/probe_topology.c,
300 trees a second, one in 50 failed) with storm-submit, and checks what the
REST API answers (the history endpoint included), then drives headless
Chromium through chromedriver (Debian's chromium, chromium-driver and
python3-selenium) over the pages, with the DOM hooks of the UI contract
(doc/metrics.md, "Web UI"; what it checks: doc/testing.md):

  - the cluster page lists the topology and the supervisor;
  - the topology page's graph has one node per spout and bolt of the REST
    answer, and one edge per input;
  - a plot redraws by itself (its data-updated changes) and draws the
    history's points;
  - tracing, switched on from the page's #trace-switch, changes the REST
    samplePct; a sampled tree then shows in #traces and its timeline has
    one row (with its bars) per hop of the REST answer; a failed tree's
    timeline lists where it stopped as the REST stoppedAt does; the edge
    latency table lists edges of the graph; switched off, samplePct is 0;
  - a bolt's component page has a row per executor, input and output;
  - the deactivate button, once confirmed, makes the REST status INACTIVE;
  - with the topology inactive and its counters still, every number of
    the spouts and bolts tables equals the REST answer's;
  - screenshots of both pages go to the output directory
    (tests/integration/test_ui.out, removed by make clean).

Every process it started is killed and every file it made outside the
output directory is removed, also when a check fails. Without selenium,
chromium or chromedriver (or ZooKeeper) it skips (exit 77), or fails
(99) where every suite must run (SQUALL_REQUIRE_ALL=1, or CI=true; see
tests/skip.sh).

Other uses of the same machinery:
  test_ui.py --bench N        load the topology page N times (default 9)
                              and print `BENCH ui_topology_page_ms` (make
                              bench): median ms until the graph is drawn
  test_ui.py --screenshots D  save ui-cluster.png and ui-topology.png of a
                              running word count into D (the README's)
"""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

NAME = "test_ui"
DEADLINE = 60  # seconds any one wait may take, unless said otherwise


def must_run():
    """True when a suite that cannot run must fail (tests/skip.sh's rule)."""
    require = os.environ.get("SQUALL_REQUIRE_ALL", "")
    if require:
        return require != "0"
    return os.environ.get("CI", "") in ("true", "1")


def cannot_run(reason):
    if must_run():
        print(f"{NAME}: cannot run: {reason}; FAILED, as every suite must run here "
              "(SQUALL_REQUIRE_ALL=1, or CI=true)", file=sys.stderr)
        sys.exit(99)
    print(f"{NAME}: cannot run: {reason}; skipped", file=sys.stderr)
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
except ImportError:
    # Debian's python3-selenium is for Debian's python3: another python3
    # first on the PATH (pyenv, a venv) does not see it.
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
            os.access("/usr/bin/python3", os.X_OK) and not os.environ.get("TEST_UI_REEXEC"):
        os.environ["TEST_UI_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    cannot_run("no python3 selenium module (install the Debian package python3-selenium)")


class Failure(Exception):
    """A check that did not hold."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def poll(what, fn, deadline=DEADLINE, interval=0.2):
    """fn's first true value, tried until deadline seconds have passed."""
    end = time.monotonic() + deadline
    last = None
    while True:
        try:
            value = fn()
            if value:
                return value
        except (OSError, ValueError, KeyError, WebDriverException) as error:
            last = error
        if time.monotonic() > end:
            raise Failure(f"{what}: not within {deadline} s" + (f" (last: {last})" if last else ""))
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def absolute(variable):
    return os.path.abspath(os.environ.get(variable, "."))


def log(message):
    print(f"{NAME}: {message}", flush=True)


class Cluster:
    """ZooKeeper, nimbus and one supervisor, in a temporary directory."""

    ZK_JAR = "/usr/share/java/zookeeper.jar"
    ZK_CLASSPATH = ZK_JAR + ":/usr/share/java/slf4j-simple.jar"

    def __init__(self):
        self.src = absolute("top_srcdir")
        self.build = absolute("top_builddir")
        self.dir = tempfile.mkdtemp(prefix="squall-ui-")
        self.processes = {}  # name -> Popen, each the leader of its own group
        self.ui_port = None
        self.nimbus_port = None

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, name, argv):
        logfile = open(self.path(name + ".log"), "ab")
        self.processes[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logfile,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        logfile.close()
        return self.processes[name]

    def start_zookeeper(self):
        for attempt in range(3):
            port = free_port()
            os.makedirs(self.path("zookeeper", "data"), exist_ok=True)
            with open(self.path("zookeeper", "zoo.cfg"), "w") as cfg:
                cfg.write(f"tickTime=250\nminSessionTimeout=500\nmaxSessionTimeout=60000\n"
                          f"dataDir={self.path('zookeeper', 'data')}\nclientPort={port}\n"
                          "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                          "4lw.commands.whitelist=srvr\nforceSync=no\npreAllocSize=1024\n")
            process = self.spawn("zookeeper", [
                os.environ.get("SQ_ZK_JAVA") or "java", "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                "-cp", os.environ.get("SQ_ZK_CLASSPATH") or self.ZK_CLASSPATH,
                "org.apache.zookeeper.server.ZooKeeperServerMain", self.path("zookeeper", "zoo.cfg")])

            def serving():
                if process.poll() is not None:
                    return "exited"
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"srvr")
                    return "serving" if b"Mode" in s.recv(4096) else None

            if poll("ZooKeeper answering srvr", serving, deadline=30) == "serving":
                return port
            self.stop("zookeeper")  # its port was taken meanwhile: another
        raise Failure("ZooKeeper did not start (see zookeeper.log)")

    def start(self):
        zk_port = self.start_zookeeper()
        self.nimbus_port = free_port()
        self.ui_port = free_port()
        common = {"storm.zookeeper.servers": ["127.0.0.1"], "storm.zookeeper.port": zk_port,
                  "storm.zookeeper.root": "/storm", "nimbus.host": "127.0.0.1",
                  "nimbus.port": self.nimbus_port, "storm.local.hostname": "127.0.0.1"}
        with open(self.path("nimbus.json"), "w") as f:
            json.dump(dict(common, **{"storm.local.dir": self.path("nimbus-local")}), f)
        self.spawn("nimbus", [os.path.join(self.build, "nimbus", "nimbus"),
                              "--config", self.path("nimbus.json"),
                              "-c", f"ui.port={self.ui_port}",
                              "-c", f"ui.dir={os.path.join(self.src, 'nimbus', 'ui')}"])
        supervisor = dict(common, **{
            "storm.local.dir": self.path("supervisor-local"),
            "supervisor.slots.ports": [free_port(), free_port()],
            "supervisor.worker.command": os.path.join(self.build, "squall-worker")})
        with open(self.path("supervisor.json"), "w") as f:
            json.dump(supervisor, f)
        self.spawn("supervisor", [os.path.join(self.build, "supervisor", "supervisor"),
                                  "--config", self.path("supervisor.json"), "--id", "supervisor-ui"])
        poll("the supervisor registered (REST supervisor summary)",
             lambda: len(self.rest("/api/v1/supervisor/summary")["supervisors"]) == 1)

    def url(self, path):
        return f"http://127.0.0.1:{self.ui_port}{path}"

    def rest(self, path, method="GET"):
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)

    def status_of(self, path):
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def submit(self, package, name, *options):
        argv = [os.path.join(self.build, "storm-submit"), "--nimbus",
                f"127.0.0.1:{self.nimbus_port}", os.path.join(self.build, package), name]
        for option in options:
            argv += ["-c", option]
        run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=DEADLINE, start_new_session=True)
        check(run.returncode == 0, f"storm-submit failed ({run.returncode}): {run.stdout}{run.stderr}")

    def stop(self, name):
        process = self.processes.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def kill_mentioning_dir(self):
        """SIGKILL what still names the directory (workers, Chromium)."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if self.dir.encode() in f.read():
                        os.kill(int(entry), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass

    def logs(self):
        for name in ("nimbus", "supervisor"):
            try:
                with open(self.path(name + ".log"), errors="replace") as f:
                    tail = f.readlines()[-40:]
                print(f"---- {name}.log (end)\n{''.join(tail)}---- end of {name}.log",
                      file=sys.stderr)
            except OSError:
                pass

    def destroy(self):
        for name in ("supervisor", "nimbus", "zookeeper"):
            self.stop(name)
        for _ in range(3):  # a supervisor stopped in one round may have started a worker
            self.kill_mentioning_dir()
            time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)


def browser_paths():
    """Chromium's and chromedriver's paths; skips when one is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium:
        cannot_run("no chromium (install the Debian package chromium)")
    if not driver_path:
        cannot_run("no chromedriver (install the Debian package chromium-driver)")
    return chromium, driver_path


def browser(cluster):
    """Headless Chromium whose profile lives in the cluster's directory."""
    chromium, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                     f"--user-data-dir={cluster.path('chromium')}"):
        options.add_argument(argument)
    service = Service(executable_path=driver_path,
                                               log_path=cluster.path("chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


def components(topology):
    """Spout and bolt ids of a REST topology answer (no system ones)."""
    return ({s["spoutId"] for s in topology["spouts"]}, {b["boltId"] for b in topology["bolts"]})


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def attributes(driver, selector, *names):
    """[[attribute, ...], ...] of the elements selector matches, read in one
    script: the pages redraw by themselves, so elements found in one call
    may be gone in the next."""
    return driver.execute_script(
        "var names = arguments[1];"
        "return Array.from(document.querySelectorAll(arguments[0])).map(function (e) {"
        "  return names.map(function (n) { return e.getAttribute(n); }); });",
        selector, list(names))


def screenshot(driver, path):
    """The whole page (up to 1600 pixels high) into the PNG path."""
    height = driver.execute_script(
        "return Math.max.apply(null, Array.from(document.body.children).map(function (e) {"
        "  return e.getBoundingClientRect().bottom + window.scrollY; })) + 16;")
    chrome = driver.execute_script("return window.outerHeight - window.innerHeight")
    driver.set_window_size(1280, min(max(int(height), 300), 1600) + int(chrome))
    try:
        driver.save_screenshot(path)
    finally:
        driver.set_window_size(1280, 1000)


def click(driver, selector, what, deadline=10):
    """Click the element selector matches (found again if redrawn); Failure
    when none matches within deadline seconds."""
    def first_clicked():
        found = css(driver, selector)
        return found and (found[0].click() or True)
    poll(what, first_clicked, deadline=deadline)


def wait_topology(cluster, name):
    """Id of the topology named name once its spouts have acked trees."""
    def running():
        for entry in cluster.rest("/api/v1/topology/summary")["topologies"]:
            if entry["name"] == name:
                return entry["id"]
    topology_id = poll(f"topology {name} listed", running)

    def acking():
        topology = cluster.rest(f"/api/v1/topology/{topology_id}?window=:all-time")
        return all(s["acked"] > 0 for s in topology["spouts"]) and topology["spouts"]
    poll(f"topology {name}'s spouts acking trees", acking)
    return topology_id


def check_history(cluster, topology_id):
    """The history endpoint: its shape, then points that grow in time."""
    check(cluster.status_of("/api/v1/topology/no-such-id/history") == 404,
          "history of an unknown topology is not 404")
    check(cluster.status_of(f"/api/v1/topology/{topology_id}/history") == 200,
          "history is not 200")

    def points(n):
        history = cluster.rest(f"/api/v1/topology/{topology_id}/history")
        return history if len(history["points"]) >= n else None
    # A sample every 10 s; the first with no figures yet gives no point.
    history = poll("the history has two points", lambda: points(2), deadline=45)
    check(history["topologyId"] == topology_id and history["intervalSecs"] == 10,
          f"history's head: {history}")
    previous = None
    for point in history["points"]:
        check(set(point) == {"time", "emitted", "acked", "failed", "completeLatencyP50Ms",
                             "completeLatencyP99Ms"}, f"history point fields: {point}")
        for key in ("emitted", "acked", "failed"):
            check(point[key] >= 0, f"negative rate: {point}")
        p50, p99 = point["completeLatencyP50Ms"], point["completeLatencyP99Ms"]
        check((p50 is None) == (p99 is None) and (p50 is None or 0 <= p50 <= p99),
              f"history latencies: {point}")
        if previous:
            check(point["time"] - previous["time"] >= 5, f"history times: {history['points']}")
        previous = point
    newest = history["points"][-1]
    check(newest["emitted"] > 0 and newest["acked"] > 0 and newest["failed"] > 0 and
          newest["completeLatencyP99Ms"], f"the newest history point misses traffic: {newest}")
    # Per second, not per interval: the probe's spout emits 300 numbers a
    # second at most, plus the replays of the one in 50 that fail.
    check(all(point["acked"] <= 400 for point in history["points"]),
          f"acked rates above the probe's: {history['points']}")
    log(f"history: {len(history['points'])} points, newest {newest}")


def check_cluster_page(driver, cluster, topology_id, out):
    driver.get(cluster.url("/"))
    links = poll("cluster page lists the topology", lambda: attributes(
        driver, f'table#topologies tr[data-topology-id="{topology_id}"] a', "href"))
    check(any(f"topology.html?id={topology_id}" in href for href, in links),
          f"topology links: {links}")
    supervisors = poll("cluster page lists the supervisor",
                       lambda: attributes(driver, "table#supervisors tr[data-supervisor]",
                                          "data-supervisor"))
    check(len(supervisors) == 1, f"supervisor rows {supervisors}, 1 expected")
    check(css(driver, "#nimbus"), "no #nimbus")
    screenshot(driver, os.path.join(out, "ui-cluster.png"))


def check_graph(driver, cluster, topology_id):
    """One node per spout and bolt, one edge per input of the REST answer."""
    spouts, bolts = components(cluster.rest(f"/api/v1/topology/{topology_id}"))
    expected = spouts | bolts

    def drawn():
        nodes = attributes(driver, "svg#topology-graph g.node", "data-component",
                           "data-capacity")
        return nodes if {n for n, _ in nodes} == expected else None
    nodes = poll(f"the graph's nodes are {sorted(expected)}", drawn, deadline=20)
    check(len(nodes) == len(expected), f"{len(nodes)} nodes for {len(expected)} components")
    for component, capacity in nodes:
        if component in bolts:
            check(capacity is not None and 0 <= float(capacity) <= 1,
                  f"bolt {component}'s node has data-capacity {capacity!r}")
    visualization = cluster.rest(f"/api/v1/topology/{topology_id}/visualization")
    inputs = {(i[":component"], target)
              for target, entry in visualization.items() for i in entry[":inputs"]}
    edges = attributes(driver, "svg#topology-graph g.edge", "data-from", "data-to")
    check(len(edges) == len(inputs) and {tuple(e) for e in edges} == inputs,
          f"graph edges {sorted(edges)}, REST inputs {sorted(inputs)}")


def check_plot_updates(driver, cluster, topology_id):
    """The throughput plot redraws by itself and draws the history."""
    plot = "svg#plot-throughput"
    first = poll("the throughput plot drawn",
                 lambda: attributes(driver, f"{plot}[data-updated]", "data-updated"))[0][0]
    poll("the throughput plot redrawn without a reload",
         lambda: attributes(driver, plot, "data-updated")[0][0] != first, deadline=30)
    for other in ("svg#plot-latency", "svg#plot-failures"):
        check(attributes(driver, f"{other}[data-points]", "data-points"),
              f"no {other} with data-points")

    def points_match():
        drawn = int(attributes(driver, plot, "data-points")[0][0])
        kept = len(cluster.rest(f"/api/v1/topology/{topology_id}/history")["points"])
        return drawn >= 1 and abs(drawn - kept) <= 1
    poll("the throughput plot draws the history's points", points_match, deadline=30)


def traces(cluster, topology_id):
    return cluster.rest(f"/api/v1/topology/{topology_id}/traces")


def switch_tracing(driver, cluster, topology_id, pct):
    """Choose pct on the page's #trace-switch; REST's samplePct follows."""
    def choose():
        Select(css(driver, "#trace-switch")[0]).select_by_value(str(pct))
        return True
    poll(f"choose {pct}% on #trace-switch", choose, deadline=10)
    poll(f"REST samplePct {pct} after the page's switch",
         lambda: traces(cluster, topology_id)["samplePct"] == pct, deadline=20)


def open_tree(driver, cluster, topology_id, status):
    """Open the timeline of a sampled tree of that status listed in
    #traces; once the timeline has one row per hop of the REST answer's
    tree, each with a bar, returns that tree (REST's). A tree that left
    REST's kept trees meanwhile (nimbus keeps the newest) makes it choose
    another."""
    item = f'#traces [data-root-id][data-status="{status}"]'
    seen = {}

    def matches(root):
        shown = driver.execute_script(
            "var box = document.querySelector('#timeline');"
            "if (!box || box.getAttribute('data-root-id') !== arguments[0]) return null;"
            "return Array.from(box.querySelectorAll('g.hop')).map(function (g) {"
            "  return [g.getAttribute('data-component'), g.getAttribute('data-task'),"
            "          g.querySelectorAll('rect').length]; });", root)
        tree = next((t for t in traces(cluster, topology_id)["traces"] if t["rootId"] == root), None)
        seen.update(tree=tree, shown=shown)
        if tree is None:
            return "gone"
        if shown is None:
            return None
        hops = sorted((h["component"], str(h["task"])) for h in tree["hops"])
        rows = sorted((component, task) for component, task, _ in shown)
        return tree if hops and hops == rows and all(bars >= 1 for _, _, bars in shown) else None

    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        root = poll(f"a {status} tree listed in #traces",
                    lambda: attributes(driver, item, "data-root-id"), deadline=45)[0][0]
        try:
            click(driver, f'#traces [data-root-id="{root}"]', f"click tree {root}", deadline=2)
        except Failure:
            continue  # it left the page's list before the click: choose another
        try:
            tree = poll(f"the timeline of tree {root}: one row with a bar per REST hop",
                        lambda: matches(root), deadline=20)
        except Failure as failure:
            raise Failure(f"{failure}; REST {seen.get('tree')}, page {seen.get('shown')}")
        if tree != "gone":
            return tree
    raise Failure(f"every {status} tree chosen left REST's kept trees before its timeline was read")


def open_complete_tree(driver, cluster, topology_id):
    """Open the timeline of an acked tree every hop of which nimbus heard
    done, the shortest of those listed (for the README's picture)."""
    def listed_complete():
        listed = {r for r, in attributes(driver, '#traces [data-root-id][data-status="acked"]',
                                          "data-root-id")}
        complete = [tree for tree in traces(cluster, topology_id)["traces"]
                    if tree["rootId"] in listed and tree["status"] == "acked" and
                    len(tree["hops"]) >= 4 and
                    all(h["doneMs"] is not None and h["worker"] for h in tree["hops"])]
        # The shortest, so that its whole timeline fits the picture.
        return min(complete, key=lambda tree: len(tree["hops"]))["rootId"] if complete else None
    root = poll("an acked tree with every hop done listed in #traces", listed_complete,
                deadline=45, interval=1)
    click(driver, f'#traces [data-root-id="{root}"]', f"click tree {root}")
    poll(f"the timeline of tree {root}", lambda: attributes(
        driver, f'#timeline[data-root-id="{root}"] g.hop', "data-component"), deadline=20)


def check_tracing(driver, cluster, topology_id):
    """Tracing switched on from the page: an acked tree's timeline, then a
    failed one's with where it stopped, and the edge latency table."""
    check(traces(cluster, topology_id)["samplePct"] == 0, "tracing is not off by default")
    switch_tracing(driver, cluster, topology_id, 1)
    tree = open_tree(driver, cluster, topology_id, "acked")
    log(f"tracing: acked tree {tree['rootId']}, {len(tree['hops'])} hops in its timeline")
    # The probe fails one tree in 50: sampling one in ten finds some.
    switch_tracing(driver, cluster, topology_id, 10)
    tree = open_tree(driver, cluster, topology_id, "failed")
    stopped = sorted(f"{s['component']}[{s['task']}]" for s in tree["stoppedAt"])
    shown = sorted(a for a, in attributes(driver, "#timeline [data-stopped]", "data-stopped"))
    check(stopped and shown == stopped, f"failed tree {tree['rootId']}: page lists stops {shown}, "
          f"REST stoppedAt {stopped}")
    log(f"tracing: failed tree {tree['rootId']} stopped at {', '.join(stopped)}")
    visualization = cluster.rest(f"/api/v1/topology/{topology_id}/visualization")
    inputs = {(i[":component"], target)
              for target, entry in visualization.items() for i in entry[":inputs"]}
    rows = poll("table#edge-latency filled", lambda: attributes(
        driver, "table#edge-latency tr[data-from]", "data-from", "data-to"), deadline=20)
    check({tuple(r) for r in rows} <= inputs, f"edge latency rows {rows}, graph edges {inputs}")


def check_component_page(driver, cluster, topology_id, component):
    """A bolt's page: as many executor, input and output rows as the REST
    answer has entries."""
    driver.get(cluster.url(f"/component.html?topology={topology_id}&id={component}"))
    answer = cluster.rest(f"/api/v1/topology/{topology_id}/component/{component}")
    expected = {"executors": len(answer["executorStats"]), "inputs": len(answer["inputStats"]),
                "outputs": len(answer["outputStats"])}
    check(all(expected.values()), f"REST component {component}: {expected}")

    def rows():
        return {table: len(css(driver, f"table#{table} tbody tr")) for table in expected}
    poll(f"component page rows {expected}", lambda: rows() == expected, deadline=20)
    check(css(driver, "#errors"), "no #errors on the component page")


def deactivate(driver, cluster, topology_id):
    """Through the button and the confirmation; REST says INACTIVE."""
    click(driver, "#action-deactivate", "click #action-deactivate")
    poll("the confirmation dialog opens", lambda: css(driver, "dialog#confirm[open]"), deadline=10)
    check(cluster.rest(f"/api/v1/topology/{topology_id}")["status"] == "ACTIVE",
          "the topology is not ACTIVE before the confirmation")
    click(driver, "dialog#confirm #confirm-yes", "click #confirm-yes")
    poll("REST status INACTIVE after the deactivate button",
         lambda: cluster.rest(f"/api/v1/topology/{topology_id}")["status"] == "INACTIVE")
    poll("the page's #status says INACTIVE",
         lambda: driver.execute_script(
             "return document.querySelector('#status').textContent.trim()") == "INACTIVE",
         deadline=20)


# The numeric cells the contract names, per table.
FIELDS = {"spouts": ("emitted", "transferred", "acked", "failed", "completeLatency"),
          "bolts": ("emitted", "transferred", "acked", "failed", "executed", "capacity",
                    "processLatency", "executeLatency")}


def table_numbers(driver):
    """{(table, component, field): data-value} of the spouts and bolts
    tables, read in one script (the page redraws them meanwhile)."""
    cells = driver.execute_script(
        "var out = [];"
        "['spouts', 'bolts'].forEach(function (table) {"
        "  document.querySelectorAll('table#' + table + ' tr[data-component] td[data-field]')"
        "    .forEach(function (td) {"
        "      out.push([table, td.closest('tr').getAttribute('data-component'),"
        "                td.getAttribute('data-field'), td.getAttribute('data-value')]); }); });"
        "return out;")
    return {(table, component, field): value for table, component, field, value in cells}


def rest_numbers(cluster, topology_id, window):
    """{(table, component, field): number} of every top-level number of the
    REST answer's spouts and bolts."""
    topology = cluster.rest(f"/api/v1/topology/{topology_id}?window={window}")
    numbers = {}
    for table, key in (("spouts", "spoutId"), ("bolts", "boltId")):
        for entry in topology[table]:
            for field, value in entry.items():
                try:
                    if not isinstance(value, (bool, dict, list)):
                        numbers[(table, entry[key], field)] = float(value)
                except (TypeError, ValueError):
                    pass  # not a number (ids, lastError)
    return numbers


def counters(numbers):
    return {k: v for k, v in numbers.items() if k[2] != "capacity"}


def check_numbers(driver, cluster, topology_id):
    """With the topology still, the tables' numbers are the REST answer's
    (capacity, a share of a span that grows, within 0.01 of it): every
    field the contract names, and any other cell that REST has."""
    window = driver.execute_script("return document.querySelector('select#window').value")
    previous = {}

    def still():
        nonlocal previous
        now = counters(rest_numbers(cluster, topology_id, window))
        same = now == previous
        previous = now
        return same
    # Heartbeats every second: equal reads 3 s apart mean nothing moves.
    poll("the inactive topology's counters still", still, deadline=60, interval=3)
    driver.refresh()
    poll("the tables drawn", lambda: css(driver, "table#bolts td[data-field]"), deadline=20)
    shown = table_numbers(driver)
    answer = rest_numbers(cluster, topology_id, window)
    rows = {(table, component) for table, component, _ in answer}
    missing = [(table, component, field) for table, component in rows
               for field in FIELDS[table] if (table, component, field) not in shown]
    check(not missing, f"table cells missing: {sorted(missing)}")
    compared = 0
    for key, value in shown.items():
        if key not in answer:
            continue  # shown from elsewhere (heldSecs, say): not a top-level field
        tolerance = 0.01 if key[2] == "capacity" else 0
        check(value is not None and abs(float(value) - answer[key]) <= tolerance,
              f"{key}: page {value}, REST {answer[key]}")
        compared += 1
    log(f"{compared} table numbers equal the REST answer (window {window})")


def graph_drawn_script():
    """Run before any page script: note when the graph's first node appears."""
    return ("new MutationObserver(function (changes, observer) {"
            "  if (document.querySelector('svg#topology-graph g.node')) {"
            "    window.squallGraphMs = performance.now(); observer.disconnect (); }"
            "}).observe(document, {childList: true, subtree: true});")


def bench(driver, cluster, topology_id, loads):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                           {"source": graph_drawn_script()})
    page = cluster.url(f"/topology.html?id={topology_id}")
    loaded, drawn = [], []
    for _ in range(loads):
        driver.get("about:blank")
        driver.get(page)
        graph = poll("graph drawn", lambda: driver.execute_script("return window.squallGraphMs"),
                     deadline=20, interval=0.05)
        load = poll("load event", lambda: driver.execute_script(
            "var n = performance.getEntriesByType('navigation')[0];"
            "return n && n.loadEventEnd > 0 ? n.loadEventEnd : null;"), deadline=20, interval=0.05)
        loaded.append(load)
        drawn.append(max(graph, load))
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (r) {"
        "  return [r.name.replace(location.origin, ''), r.startTime, r.responseEnd]; });")
    print(f"topology page over {loads} loads: loadEventEnd ms {[round(x) for x in loaded]}, "
          f"graph drawn ms {[round(x) for x in drawn]}; the last load's requests "
          "(path start-end ms): " +
          ", ".join(f"{path} {start:.0f}-{end:.0f}" for path, start, end in resources))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"BENCH ui_topology_page_ms {statistics.median(drawn):.0f} ms")
    print(f"BENCH ui_topology_load_event_ms {statistics.median(loaded):.0f} ms")


def main(argv):
    mode, argument = (argv[1], argv[2] if len(argv) > 2 else None) if len(argv) > 1 else (None, None)
    if mode not in (None, "--bench", "--screenshots") or (mode == "--screenshots" and not argument):
        print(f"usage: {argv[0]} [--bench [LOADS] | --screenshots DIR]", file=sys.stderr)
        return 2
    if not (shutil.which(os.environ.get("SQ_ZK_JAVA") or "java") and
            os.access(Cluster.ZK_JAR, os.R_OK)):
        cannot_run("no java or ZooKeeper server jar (install the Debian package zookeeper)")
    browser_paths()
    out = os.path.join(absolute("top_builddir"), "tests", "integration", "test_ui.out")
    if mode == "--screenshots":
        out = os.path.abspath(argument)
    os.makedirs(out, exist_ok=True)
    cluster = Cluster()
    driver = None
    try:
        cluster.start()
        if mode == "--screenshots":
            # The word count, its trees in flight bounded (the latency a
            # reader sees is then not that of full queues) and few enough
            # that nimbus still keeps a tree sampled at 1% when the other
            # worker's heartbeat brings its hops (it keeps the newest 100).
            name = "wordcount"
            cluster.submit(os.path.join("topologies", ".libs", "wordcount.so"), name,
                           "topology.workers=2", "topology.max.spout.pending=10")
        else:
            # The probe at a gentle rate, some trees failed (the machine is shared).
            name = "probe"
            os.makedirs(cluster.path("probe"))
            cluster.submit(os.path.join("tests", "integration", ".libs", "probe_topology.so"),
                           name, f"probe.dir={cluster.path('probe')}", "probe.messages=1000000",
                           "probe.rate=300", "probe.fail.every=50", "probe.groupings=true",
                           "topology.workers=2")
        topology_id = wait_topology(cluster, name)
        log(f"{name} {topology_id} acking; REST on {cluster.url('/api/v1/')}")
        driver = browser(cluster)
        if mode == "--bench":
            bench(driver, cluster, topology_id, int(argument or 9))
            return 0
        if mode == "--screenshots":
            # Let the plots gather a minute of points first.
            poll("six history points", lambda: len(cluster.rest(
                f"/api/v1/topology/{topology_id}/history")["points"]) >= 6, deadline=90, interval=2)
        else:
            check_history(cluster, topology_id)
        check_cluster_page(driver, cluster, topology_id, out)
        log("cluster page: topology and supervisor listed")
        driver.get(cluster.url(f"/topology.html?id={topology_id}"))
        check_graph(driver, cluster, topology_id)
        log("topology page: one node per component, one edge per input")
        check_plot_updates(driver, cluster, topology_id)
        log("topology page: the throughput plot redraws and draws the history")
        if mode == "--screenshots":
            # Tracing on, a tree's timeline open.
            switch_tracing(driver, cluster, topology_id, 1)
            open_complete_tree(driver, cluster, topology_id)
            driver.execute_script("window.scrollTo(0, 0)")
            screenshot(driver, os.path.join(out, "ui-topology.png"))
            return 0
        check_tracing(driver, cluster, topology_id)
        screenshot(driver, os.path.join(out, "ui-topology.png"))
        switch_tracing(driver, cluster, topology_id, 0)
        log("tracing: switched off from the page, REST samplePct 0")
        check_component_page(driver, cluster, topology_id, "relay")
        log("component page: its executors, inputs and outputs")
        driver.get(cluster.url(f"/topology.html?id={topology_id}"))
        deactivate(driver, cluster, topology_id)
        log("deactivate button: REST status INACTIVE")
        check_numbers(driver, cluster, topology_id)
        screenshot(driver, os.path.join(out, "ui-topology-inactive.png"))
        log(f"screenshots in {out}")
        return 0
    except (Failure, WebDriverException) as failure:
        print(f"{NAME}: FAILED: {failure}", file=sys.stderr)
        if driver:
            try:
                driver.save_screenshot(os.path.join(out, "failure.png"))
                print(f"{NAME}: the page at the failure: {out}/failure.png", file=sys.stderr)
            except WebDriverException:
                pass
        cluster.logs()
        return 1
    finally:
        if driver:
            try:
                driver.quit()
            except WebDriverException:
                pass
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
