#!/usr/bin/env bash
# /healthz and authenticated MCP tools/list under wrk (an external load generator), for the
# same release build on the embedded file, on a real sqld with the bearer cache
# (--revocation-lag 2s, the remote default) and on sqld asking the database every time
# (--revocation-lag 0s), side by side in one run. Prints req/s, p99 and the server's CPU time
# per request (utime+stime from /proc, robust against other load on the machine).
#
#   bench/wrk-remote.sh                  # 8 s per phase
#   SECONDS_PER=15 bench/wrk-remote.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
SECONDS_PER="${SECONDS_PER:-8}"
cargo build --release --quiet --bin mcp-oauth
BIN=$PWD/target/release/mcp-oauth
if [ -n "${SQLD:-}" ]; then sqld=$SQLD
elif command -v sqld >/dev/null 2>&1; then sqld=$(command -v sqld)
else sqld=$(bash ../shared/tools/sqld --path); fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
password=$(head -c 18 /dev/urandom | base64)

# phase NAME PID URL [LUA]: one wrk run; prints req/s, p99 and server µs of CPU per request.
phase() {
    local name=$1 pid=$2 url=$3 lua=${4:-} before after out rps p99 reqs
    before=$(cpu_ticks "$pid")
    out=$(wrk -t2 -c32 -d"${SECONDS_PER}s" --latency ${lua:+-s "$lua"} "$url")
    after=$(cpu_ticks "$pid")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    printf '  %-34s %10s req/s  p99 %-8s server %5.1f µs/req%s\n' "$name" "$rps" "$p99" \
        "$(awk -v t=$((after - before)) -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {print t * 1e6 / hz / n}')" \
        "${non2xx:+  ($non2xx non-2xx!)}"
}

run() {
    local label=$1 database=$2; shift 2
    local port; port=$(free_port)
    MCP_OAUTH_DATABASE=$database "$BIN" -q migrate
    printf '%s\n' "$password" | MCP_OAUTH_DATABASE=$database "$BIN" -q user add "bench-$port" --password-stdin
    MCP_OAUTH_DATABASE=$database "$BIN" -q serve --listen "127.0.0.1:$port" "$@" &
    local pid=$!; pids+=("$pid")
    wait_port "$port"
    local token; token=$(python3 bench/oauth_token.py "http://127.0.0.1:$port" "bench-$port" "$password")
    cat > "$work/tools-list.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.headers["Authorization"] = "Bearer $token"
LUA
    echo "== $label"
    phase "GET /healthz" "$pid" "http://127.0.0.1:$port/healthz"
    phase "MCP tools/list (authenticated)" "$pid" "http://127.0.0.1:$port/api/mcp" "$work/tools-list.lua"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

db_port=$(free_port)
"$sqld" --db-path "$work/sqld" --http-listen-addr "127.0.0.1:$db_port" --no-welcome >/dev/null 2>&1 &
pids+=($!)
wait_port "$db_port"

echo "wrk -t2 -c32 -d${SECONDS_PER}s, loopback; $(git rev-parse --short HEAD), $(date -u +%F)"
run "embedded file" "$work/bench.db"
run "sqld, --revocation-lag 2s (default)" "http://127.0.0.1:$db_port"
run "sqld, --revocation-lag 0s" "http://127.0.0.1:$db_port" --revocation-lag 0s
