#!/usr/bin/env bash
# Benchmark: `mcp-oauth token cleanup` on 1,000,000 expired token rows in a local file, alone
# and beside a serving `serve`, and both figures side by side.
#
#   bench/cleanup.sh                 # 1,000,000 rows, default batch size
#   ROWS=200000 BATCH=5000 bench/cleanup.sh
#   BIN=/tmp/mcp-oauth-before ROWS=300000 bench/cleanup.sh
#   UNDER_LOAD=0 bench/cleanup.sh    # the idle figure only
#
# 1. Idle: builds the release binary, seeds the rows with one recursive-CTE INSERT per table
#    (seconds, not minutes), plus 10,000 live tokens that must survive, then runs the cleanup
#    under /usr/bin/time -v: wall time, CPU (user + sys) and peak RSS.
# 2. Under load: examples/cleanup_under_load.rs, the same rows, while the release server answers
#    RATE (default 300) tools/list per second and rotates refresh tokens (its writes): the
#    cleanup's wall time and the serving p99 before and during it.
# Needs sqlite3 (the CLI) for seeding. On a shared machine the wall times follow the load; the
# CPU time does much less.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${ROWS:-1000000}"
BATCH="${BATCH:-}"
LIVE=10000

for tool in sqlite3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench/cleanup.sh needs $tool (apt-get install sqlite3 time)" >&2; exit 2; }
done

# BIN=/path/to/an/older/mcp-oauth measures another build (e.g. side by side with this one).
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet --bin mcp-oauth
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/mcp-oauth"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/bench.db"

"$BIN" --database "$DB" migrate -q

half=$((ROWS / 2))
now=$(date +%s)
echo "seeding $ROWS expired rows ($half access, $((ROWS - half)) refresh) and $LIVE live ones…" >&2
seed_started=$(date +%s.%N)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO oauth_clients (client_id, client_name, redirect_uris, scopes, token_endpoint_auth_method, created_at)
VALUES ('mcp_oauth_bench', 'bench', '["https://claude.ai/api/mcp/auth_callback"]', 'memories:read', 'none', $now);
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $half)
INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at)
SELECT randomblob(32), 'g' || i, 'mcp_oauth_bench', 'usr_' || (i % 500), 'memories:read', 'https://x/api/mcp',
       $now - 90000 - i, $now - 86400 - (i % 86400) FROM seq;
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $((ROWS - half)))
INSERT INTO oauth_refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at)
SELECT randomblob(32), 'g' || i, 'mcp_oauth_bench', 'usr_' || (i % 500), 'memories:read', 'https://x/api/mcp',
       $now - 40 * 86400 - i, $now - 86400 - (i % 86400) FROM seq;
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $LIVE)
INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at, expires_at)
SELECT randomblob(32), 'live' || i, 'mcp_oauth_bench', 'usr_live', 'memories:read', 'https://x/api/mcp', $now, $now + 3600 FROM seq;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
seed_finished=$(date +%s.%N)
size=$(du -h "$DB" | cut -f1)
awk -v a="$seed_started" -v b="$seed_finished" -v s="$size" 'BEGIN { printf "seeded in %.1fs; database %s\n", b - a, s }' >&2

batch_args=()
[ -n "$BATCH" ] && batch_args=(--batch-size "$BATCH")
echo "running: mcp-oauth token cleanup ${batch_args[*]}" >&2
/usr/bin/time -v "$BIN" --database "$DB" token cleanup "${batch_args[@]}" >"$WORK/out" 2>"$WORK/time"
cat "$WORK/out"

left=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM oauth_access_tokens) + (SELECT count(*) FROM oauth_refresh_tokens)")
[ "$left" -eq "$LIVE" ] || { echo "FAIL: $left token rows left, expected the $LIVE live ones" >&2; exit 1; }

wall=$(sed -n 's/^\s*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time")
rss=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$WORK/time")
user=$(sed -n 's/^\s*User time (seconds): //p' "$WORK/time")
sys=$(sed -n 's/^\s*System time (seconds): //p' "$WORK/time")
rm -f "$DB" "$DB-wal" "$DB-shm"

load_summary="(skipped: UNDER_LOAD=0)"
if [ "${UNDER_LOAD:-1}" != 0 ]; then
    echo "under load: the same rows, serve answering ${RATE:-300} tools/list/s and rotating refresh tokens…" >&2
    cargo build --release --quiet --example cleanup_under_load
    MCP_OAUTH_BIN="$BIN" "${CARGO_TARGET_DIR:-$PWD/target}/release/examples/cleanup_under_load" \
        "$ROWS" "${BATCH:-default}" "${RATE:-300}" >"$WORK/load" || true
    sed 's/^/  /' "$WORK/load" >&2
    load_wall=$(sed -n 's/^cleanup: [0-9]* rows in \([0-9.]*\) s wall.*/\1 s/p' "$WORK/load")
    p99() { awk -v p="$1" '$1 == p && $2 == "'"$2"'" { print $6 " ms" }' "$WORK/load"; }
    load_summary="wall $load_wall; p99 tools/list $(p99 before tools/list) before, $(p99 during tools/list) during; refresh $(p99 before refresh) before, $(p99 during refresh) during"
fi
echo
echo "rows deleted:  $ROWS (the $LIVE live tokens kept)"
echo "batch size:    ${BATCH:-default}"
echo "idle:          wall $wall, CPU ${user}s user + ${sys}s sys, peak RSS $((rss / 1024)) MiB"
echo "under load:    $load_summary"
