#!/usr/bin/env bash
# The hot paths under wrk (an external load generator: the server, not the client, is what
# saturates), on the embedded file with the default flags, side by side in one run:
#   /healthz; authenticated tools/list, 2025-11-25 and 2026-07-28, each without and with
#   `Accept-Encoding: gzip`; search_memories (two words, limit 10) over 10,000 memories of the
#   caller beside 40,000 of four other users; the refresh grant of a public client, one
#   rotation chain per connection (each answer's refresh token is the next request's).
# Per phase: req/s, p99, bytes per response (wrk's transfer / requests, headers included) and
# the server's CPU per request (utime+stime from /proc over the phase: robust against other
# load on the machine, where req/s is not).
#
#   bench/wrk.sh                       # 8 s per phase, this tree (profile `profiling`)
#   SECONDS_PER=4 bench/wrk.sh
#   BASE=/tmp/mcp-oauth-before bench/wrk.sh
#                                      # the same phases against another binary first (e.g.
#                                      # one built from an older commit), in the same minutes
#   NEW=/path/to/mcp-oauth bench/wrk.sh  # that binary instead of building this tree
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
SECONDS_PER="${SECONDS_PER:-8}"
THREADS=2 CONNECTIONS=32
if [ -z "${NEW:-}" ]; then
    # Release code generation with symbols (see Cargo.toml), so `perf` can name what it samples.
    cargo build --profile profiling --quiet --bin mcp-oauth
    NEW="${CARGO_TARGET_DIR:-$PWD/target}/profiling/mcp-oauth"
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
password=$(head -c 18 /dev/urandom | base64)

# phase NAME PID URL [LUA]: one wrk run; prints req/s, p99, bytes per response and server µs
# of CPU per request.
phase() {
    local name=$1 pid=$2 url=$3 lua=${4:-} before after out rps p99 reqs bytes non2xx
    before=$(cpu_ticks "$pid")
    out=$(wrk -t$THREADS -c$CONNECTIONS -d"${SECONDS_PER}s" --latency ${lua:+-s "$lua"} "$url")
    after=$(cpu_ticks "$pid")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    bytes=$(awk '/requests in/ {v = $5; u = v; sub(/[0-9.]+/, "", v); sub(/[A-Za-z]+,?$/, "", u);
        m = (v ~ /^KB/) ? 1024 : (v ~ /^MB/) ? 1048576 : (v ~ /^GB/) ? 1073741824 : 1; print u * m}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    printf '  %-40s %9s req/s  p99 %-8s %7.0f B/resp  server %6.1f µs/req%s\n' "$name" "$rps" "$p99" \
        "$(awk -v b="$bytes" -v n="$reqs" 'BEGIN {print b / n}')" \
        "$(awk -v t=$((after - before)) -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {print t * 1e6 / hz / n}')" \
        "${non2xx:+  ($non2xx non-2xx!)}"
}

# mcp_lua FILE TOKEN VERSION ENCODING: tools/list in the 2025 (version 2025-11-25) or the
# 2026-07-28 form, with `Accept-Encoding: ENCODING` unless it is empty.
mcp_lua() {
    local file=$1 token=$2 version=$3 encoding=$4
    {
        echo 'wrk.method = "POST"'
        echo 'wrk.headers["Content-Type"] = "application/json"'
        echo 'wrk.headers["Accept"] = "application/json, text/event-stream"'
        echo "wrk.headers[\"Authorization\"] = \"Bearer $token\""
        echo "wrk.headers[\"MCP-Protocol-Version\"] = \"$version\""
        [ -n "$encoding" ] && echo "wrk.headers[\"Accept-Encoding\"] = \"$encoding\""
        if [ "$version" = 2026-07-28 ]; then
            echo 'wrk.headers["Mcp-Method"] = "tools/list"'
            echo "wrk.body = '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}'"
        else
            echo "wrk.body = '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}'"
        fi
    } >"$file"
}

# search_lua FILE TOKEN WORDS: search_memories for two words of the vocabulary, a different pair
# each request.
search_lua() {
    local file=$1 token=$2 words=$3
    cat >"$file" <<LUA
local words = { $(sed 's/.*/"&",/' "$words" | tr -d '\n') }
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args) math.randomseed(seed or 1) end
function request()
    local q = words[math.random(#words)] .. " " .. words[math.random(#words)]
    return wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json, text/event-stream",
        ["MCP-Protocol-Version"] = "2025-11-25",
        ["Authorization"] = "Bearer $token",
    }, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_memories","arguments":{"query":"' .. q .. '","limit":10}}}')
end
LUA
}

# refresh_lua FILE CHAINS: the refresh grant, each thread with its share of the chains; a
# connection takes a refresh token from its thread's pool and puts back the one the answer
# carries, so every chain follows its own rotation.
refresh_lua() {
    local file=$1 chains=$2 client_id
    client_id=$(awk 'NR == 1 {print $1}' "$chains")
    cat >"$file" <<LUA
local all = { $(awk '{printf "\"%s\",", $2}' "$chains") }
local counter = 0
function setup(thread) counter = counter + 1; thread:set("index", counter) end
function init(args)
    pool = {}
    for i = index, #all, $THREADS do pool[#pool + 1] = all[i] end
end
function request()
    local token = table.remove(pool) or "mcp_rt_chain_lost"
    return wrk.format("POST", "/api/oauth/token", { ["Content-Type"] = "application/x-www-form-urlencoded" },
        "grant_type=refresh_token&client_id=$client_id&refresh_token=" .. token)
end
function response(status, headers, body)
    local token = body:match('"refresh_token":"([^"]+)"')
    if token then pool[#pool + 1] = token end
end
LUA
}

# run LABEL BINARY: a fresh database, seeded; every phase against one server.
run() {
    local label=$1 bin=$2 port database user_id token
    port=$(free_port)
    database="$work/$port.db"
    MCP_OAUTH_DATABASE=$database "$bin" -q migrate
    printf '%s\n' "$password" | MCP_OAUTH_DATABASE=$database "$bin" -q user add "bench" --password-stdin
    user_id=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT user_id FROM users").fetchone()[0])' "$database")
    python3 bench/seed_memories.py "$database" "$user_id" >"$work/words"
    MCP_OAUTH_DATABASE=$database "$bin" -q serve --listen "127.0.0.1:$port" &
    local pid=$!; pids+=("$pid")
    wait_port "$port"
    local base="http://127.0.0.1:$port"
    token=$(python3 bench/oauth_token.py "$base" bench "$password")
    # One chain per connection, and one more per thread: wrk calls request() once before the
    # run to check the script, which takes a token that is never sent.
    python3 bench/oauth_token.py "$base" bench "$password" $((CONNECTIONS + THREADS)) >"$work/chains"
    mcp_lua "$work/legacy.lua" "$token" 2025-11-25 ""
    mcp_lua "$work/legacy-gzip.lua" "$token" 2025-11-25 gzip
    mcp_lua "$work/modern.lua" "$token" 2026-07-28 ""
    mcp_lua "$work/modern-gzip.lua" "$token" 2026-07-28 gzip
    search_lua "$work/search.lua" "$token" "$work/words"
    refresh_lua "$work/refresh.lua" "$work/chains"
    echo "== $label"
    phase "GET /healthz" "$pid" "$base/healthz"
    phase "tools/list 2025-11-25" "$pid" "$base/api/mcp" "$work/legacy.lua"
    phase "tools/list 2025-11-25, gzip" "$pid" "$base/api/mcp" "$work/legacy-gzip.lua"
    phase "tools/list 2026-07-28" "$pid" "$base/api/mcp" "$work/modern.lua"
    phase "tools/list 2026-07-28, gzip" "$pid" "$base/api/mcp" "$work/modern-gzip.lua"
    phase "search_memories (10,000 memories)" "$pid" "$base/api/mcp" "$work/search.lua"
    phase "refresh grant ($CONNECTIONS chains)" "$pid" "$base" "$work/refresh.lua"
    # Again at the end: the machine's load drifts over a run, and the ratios to /healthz are
    # the figures to read, so bracket the run with it.
    phase "GET /healthz (again)" "$pid" "$base/healthz"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER}s, loopback, embedded file; $(git rev-parse --short HEAD), $(date -u +%F)"
if [ -n "${BASE:-}" ]; then run "before: $BASE" "$BASE"; fi
run "this tree: $NEW" "$NEW"
