#   zookeeper.sh - a standalone ZooKeeper server for Squall's scripts
#
#   Sourced by quickstart, tests/chaos/chaos_run and tests/soak/soak_run,
#   which start the server their own way (in the background, niced, in a
#   network namespace):
#
#     zookeeper_prepare DIR ADDRESS PORT
#         writes DIR/zoo.cfg (data in DIR/data, listening on ADDRESS:PORT)
#         and sets the array ZOOKEEPER_COMMAND to the server's command line
#         (Debian's zookeeper package)
#     zookeeper_missing
#         prints why no server can start here (no java on the PATH, or no
#         server jar) and returns 0; returns 1, printing nothing, when both
#         are there
#     zookeeper_wait ADDRESS PORT [RUN ...]
#         waits until the server answers `srvr` (150 probes 0.2 s apart, each
#         given at most 2 s), probing through
#         RUN when given (ip netns exec NS, say); returns 1 when it does not

ZOOKEEPER_JAR=/usr/share/java/zookeeper.jar

zookeeper_missing() {
    if ! command -v java >/dev/null; then
        echo "no java on the PATH (install the Debian package zookeeper, which brings one)"
    elif [ ! -r "$ZOOKEEPER_JAR" ]; then
        echo "no ZooKeeper server jar ($ZOOKEEPER_JAR; install the Debian package zookeeper)"
    else
        return 1
    fi
}

zookeeper_prepare() {
    local dir=$1 address=$2 port=$3
    mkdir -p "$dir/data"
    printf '%s\n' "tickTime=2000" "dataDir=$dir/data" "clientPort=$port" \
        "clientPortAddress=$address" "admin.enableServer=false" >"$dir/zoo.cfg"
    ZOOKEEPER_COMMAND=(java -Xmx256m
        -cp "$ZOOKEEPER_JAR":/usr/share/java/slf4j-simple.jar
        org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg")
}

zookeeper_wait() {
    local address=$1 port=$2 attempt
    shift 2
    for attempt in $(seq 150); do
        #   timeout: a server that accepts and never answers (seen once, a
        #   chaos run beside another) must not hang the probe for good.
        if "$@" timeout 2 bash -c \
            "exec 3<>/dev/tcp/$address/$port && printf srvr >&3 && grep -q Mode <&3" \
            2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}
