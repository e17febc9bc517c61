#!/usr/bin/env bash
# Benchmark: `mcp-oauth token cleanup` on 1,000,000 expired token rows in a local file.
#
#   bench/cleanup.sh                 # 1,000,000 rows, default batch size
#   ROWS=200000 BATCH=5000 bench/cleanup.sh
#   BIN=/tmp/mcp-oauth-before ROWS=300000 bench/cleanup.sh
#
# Builds the release binary, seeds the rows with one recursive-CTE INSERT per table (seconds,
# not minutes), plus 10,000 live tokens that must survive, then runs the cleanup under
# /usr/bin/time -v and prints wall time and peak RSS. Needs sqlite3 (the CLI) for seeding.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${ROWS:-1000000}"
BATCH="${BATCH:-1000}"
LIVE=10000

for tool in sqlite3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench/cleanup.sh needs $tool (apt-get install sqlite3 time)" >&2; exit 2; }
done

# BIN=/path/to/an/older/mcp-oauth measures another build (e.g. side by side with this one).
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$PWD/target/release/mcp-oauth"
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

echo "running: mcp-oauth token cleanup --batch-size $BATCH" >&2
/usr/bin/time -v "$BIN" --database "$DB" token cleanup --batch-size "$BATCH" >"$WORK/out" 2>"$WORK/time"
cat "$WORK/out"

left=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM oauth_access_tokens) + (SELECT count(*) FROM oauth_refresh_tokens)")
[ "$left" -eq "$LIVE" ] || { echo "FAIL: $left token rows left, expected the $LIVE live ones" >&2; exit 1; }

wall=$(sed -n 's/^\s*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time")
rss=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$WORK/time")
echo
echo "rows deleted:  $ROWS (the $LIVE live tokens kept)"
echo "batch size:    $BATCH"
echo "wall time:     $wall"
echo "peak RSS:      $((rss / 1024)) MiB ($rss KiB)"
