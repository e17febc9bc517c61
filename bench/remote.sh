#!/usr/bin/env bash
# The same build on the embedded file and on a remote database (a real sqld on loopback), side
# by side in one run: /healthz, MCP tools/list and search_memories, the refresh grant and the
# code exchange (examples/bench.rs; its header lists the knobs, all passed through).
#
#   bench/remote.sh                      # one run of each
#   RUNS=3 BENCH_SECONDS=8 bench/remote.sh
#   SQLD=/path/to/sqld bench/remote.sh   # default: sqld on PATH, else ../shared/tools/sqld
#
# `serve` runs with its defaults for each database: on sqld that is --revocation-lag 2s (the
# bearer-token cache); BENCH_SERVE_ARGS adds flags to both (e.g. "--revocation-lag 0s").
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-1}"
export BENCH_ONLY="${BENCH_ONLY:-healthz,tools/list,search,refresh,one confidential}"
export BENCH_MEMORIES="${BENCH_MEMORIES:-2000}" BENCH_OTHER_MEMORIES="${BENCH_OTHER_MEMORIES:-8000}"
export BENCH_CODES="${BENCH_CODES:-5000}"

if [ -n "${SQLD:-}" ]; then sqld=$SQLD
elif command -v sqld >/dev/null 2>&1; then sqld=$(command -v sqld)
else sqld=$(bash ../shared/tools/sqld --path); fi

cargo build --profile profiling --quiet --bin mcp-oauth --example bench
BENCH="$PWD/target/profiling/examples/bench"
export BENCH_SERVER="$PWD/target/profiling/mcp-oauth"

work=$(mktemp -d)
sqld_pid=
cleanup() { [ -n "$sqld_pid" ] && kill "$sqld_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start_sqld() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$sqld" --db-path "$work/sqld-$1" --http-listen-addr "127.0.0.1:$port" --no-welcome >/dev/null 2>&1 &
    sqld_pid=$!
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
}

for run in $(seq 1 "$RUNS"); do
    echo "== run $run/$RUNS: embedded file"
    BENCH_DATABASE= "$BENCH"
    start_sqld "$run"
    echo "== run $run/$RUNS: sqld 127.0.0.1:$port"
    BENCH_DATABASE="http://127.0.0.1:$port" "$BENCH"
    kill "$sqld_pid"; wait "$sqld_pid" 2>/dev/null || true; sqld_pid=
done
