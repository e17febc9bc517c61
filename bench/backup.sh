#!/usr/bin/env bash
# tools/list latency while `mcp-oauth backup` copies a large embedded database under a running
# `serve`: builds a database of about SIZE_MB (bulk rows in auth_events, written with the
# sqlite3 shell before the server starts), then measures authenticated MCP tools/list with wrk
# for the same duration twice: with no backup running, and with a backup running from the
# first second. Prints the backup's time and size and both p99s. Not part of CI.
#
#   bench/backup.sh                  # about 1 GB
#   SIZE_MB=256 bench/backup.sh      # smaller, on a busy machine
#   BIN=/path/to/mcp-oauth bench/backup.sh
# Needs wrk (Debian: apt-get install wrk) and sqlite3 (Debian: apt-get install sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3" >&2; exit 1; }
SIZE_MB="${SIZE_MB:-1024}"
CONNECTIONS="${CONNECTIONS:-16}"
# BIN=path/to/mcp-oauth measures that binary instead of building this tree.
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet --bin mcp-oauth
    BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/mcp-oauth
fi

work=$(mktemp -d "${WORKDIR:-/tmp}/mcp-oauth-backup-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
password=$(head -c 18 /dev/urandom | base64)
db=$work/bench.db

"$BIN" -q --database "$db" migrate
printf '%s\n' "$password" | "$BIN" -q --database "$db" user add bench --password-stdin
# ~1 KiB per row (client_id of 1000 hex characters), created now so that no cleanup would
# touch them; the index on created_at grows with them.
rows=$((SIZE_MB * 1024 * 1024 / 1100))
started=$(date +%s)
sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO auth_events (kind, client_id, created_at)
    SELECT 'login_failed', hex(randomblob(500)), strftime('%s', 'now') FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
size=$(stat -c %s "$db")
echo "database: $rows rows, $((size / 1024 / 1024)) MiB, built in $(( $(date +%s) - started )) s"

port=$(free_port)
"$BIN" -q --database "$db" serve --listen "127.0.0.1:$port" &
pid=$!; pids+=("$pid")
wait_port "$port"
token=$(python3 bench/oauth_token.py "http://127.0.0.1:$port" bench "$password")
cat > "$work/tools-list.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.headers["Authorization"] = "Bearer $token"
LUA

# A first backup, unmeasured: its duration sets the length of both wrk runs, and it warms the
# page cache the way a nightly backup finds it.
started=$(date +%s.%N)
"$BIN" -q --database "$db" backup "$work/warmup.db"
took=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
rm -f "$work/warmup.db"
seconds=$(awk -v t="$took" 'BEGIN {d = int(t + 0.999); print (d < 3 ? 3 : d)}')

wrk_p99() {
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${seconds}s" --latency -s "$work/tools-list.lua" "http://127.0.0.1:$port/api/mcp")
    printf '%s req/s, p50 %s, p99 %s%s' \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
        "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
        "$(awk '/Non-2xx/ {print "  (" $5 " non-2xx!)"}' <<<"$out")"
}

echo "wrk -t2 -c$CONNECTIONS -d${seconds}s tools/list, loopback; $(git rev-parse --short HEAD), $(date -u +%F)"
echo "  without a backup:  $(wrk_p99)"
started=$(date +%s.%N)
"$BIN" -q --database "$db" backup "$work/during.db" &
backup=$!; pids+=("$backup")
during=$(wrk_p99)
wait "$backup"
took=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
echo "  during a backup:   $during"
echo "backup: $(( $(stat -c %s "$work/during.db") / 1024 / 1024 )) MiB in ${took} s (VACUUM INTO, serve running)"
