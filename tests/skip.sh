#   skip.sh - how a test script that cannot run here ends
#
#   Sourced by tests/chaos/chaos_run and tests/soak/soak_run. A suite that
#   lacks what it needs (root, a tool, ZooKeeper) skips on a developer's
#   machine, but must not look green where every suite has to run: in CI
#   and in ./quickstart check. zk_server_skip (tests/integration/zk_server.c)
#   is the same rule for the C suites.
#
#     skip_suite NAME REASON
#         prints "NAME: cannot run: REASON" and exits 77 (skipped), or 99 (a
#         hard error for the test driver) when every suite must run:
#         SQUALL_REQUIRE_ALL is 1, or it is unset and CI is true
#         (SQUALL_REQUIRE_ALL=0 skips even then)

skip_suite() {
    local name=$1 reason=$2 required=0
    if [ -n "${SQUALL_REQUIRE_ALL:-}" ]; then
        [ "$SQUALL_REQUIRE_ALL" = 0 ] || required=1
    elif [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
        required=1
    fi
    if [ "$required" = 1 ]; then
        printf '%s: cannot run: %s; FAILED, as every suite must run here (SQUALL_REQUIRE_ALL=1, or CI=true)\n' \
            "$name" "$reason" >&2
        exit 99
    fi
    printf '%s: cannot run: %s; skipped\n' "$name" "$reason" >&2
    exit 77
}
