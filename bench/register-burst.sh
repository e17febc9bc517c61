#!/usr/bin/env bash
# Memory under a burst of dynamic registrations: ADDRS client addresses each send PER
# registrations at once (default 8 × 30 = 240 in flight), against a fresh server on loopback;
# prints the answers by status and the server's VmHWM (peak RSS) and VmRSS before and after.
#
#   bench/register-burst.sh                          # release build of this tree
#   BIN=/tmp/mcp-oauth-before bench/register-burst.sh
#                                                    # another build (e.g. an older commit)
#   MODE=xff bench/register-burst.sh                 # one source address, --trust-proxy and a
#                                                    # distinct X-Forwarded-For per "address"
#   ADDRS=8 PER=30 bench/register-burst.sh
#
# MODE=source (default) sends from 127.0.0.1 … 127.0.0.ADDRS (curl --interface): real distinct
# peers, no proxy trusted. Each address runs one curl with --parallel, so the whole burst is in
# flight at once. The load lasts a second or two. Needs curl 7.66 or later.
set -euo pipefail
cd "$(dirname "$0")/.."

ADDRS="${ADDRS:-8}"
PER="${PER:-30}"
MODE="${MODE:-source}"

if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet --bin mcp-oauth
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/mcp-oauth"
fi
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="${PORT:-$((20000 + RANDOM % 20000))}"
DB="$WORK/bench.db"
"$BIN" --database "$DB" migrate -q
extra=()
[ "$MODE" = xff ] && extra=(--trust-proxy)
"$BIN" --database "$DB" serve --listen "127.0.0.1:$PORT" "${extra[@]}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

mem() { grep -E '^(VmHWM|VmRSS)' "/proc/$SERVER_PID/status" | awk '{ printf "%s %d MiB  ", $1, $2 / 1024 }'; echo; }
echo "before: $(mem)"

URL="http://127.0.0.1:$PORT/api/oauth/register"
BODY='{"redirect_uris":["http://127.0.0.1/callback"],"client_name":"burst","token_endpoint_auth_method":"client_secret_post"}'
urls=()
pids=()
for _ in $(seq 1 "$PER"); do urls+=(-o /dev/null "$URL"); done
for a in $(seq 1 "$ADDRS"); do
    if [ "$MODE" = xff ]; then
        route=(-H "X-Forwarded-For: 198.51.100.$a")
    else
        route=(--interface "127.0.0.$a")
    fi
    curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$PER" "${route[@]}" \
        -H 'Content-Type: application/json' -d "$BODY" \
        -w '%{http_code}\n' "${urls[@]}" >"$WORK/codes.$a" 2>/dev/null &
    pids+=($!)
done
wait "${pids[@]}" || true
sleep 1
echo "after:  $(mem)"
echo "answers: $(cat "$WORK"/codes.* | sort | uniq -c | awk '{ printf "%s×%s ", $1, $2 }')"
