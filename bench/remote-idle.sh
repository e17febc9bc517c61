#!/usr/bin/env bash
# A server on a real sqld, left idle past the server's stream expiry: after each pause, the
# whole deployment checklist (`verify --base-url`: sign-in, code exchange, MCP calls, refresh,
# revocation) runs against it: any 5xx would fail one of its checks.
#
#   bench/remote-idle.sh                 # pauses of 15 s, 60 s and 5 min
#   PAUSES="15 60" bench/remote-idle.sh
#   BIN=/path/to/mcp-oauth SQLD=/path/to/sqld bench/remote-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PAUSES="${PAUSES:-15 60 300}"
if [ -z "${BIN:-}" ]; then cargo build --release --quiet --bin mcp-oauth; BIN=$PWD/target/release/mcp-oauth; fi
if [ -n "${SQLD:-}" ]; then sqld=$SQLD
elif command -v sqld >/dev/null 2>&1; then sqld=$(command -v sqld)
else sqld=$(bash ../shared/tools/sqld --path); fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

db_port=$(free_port); port=$(free_port)
"$sqld" --db-path "$work/sqld" --http-listen-addr "127.0.0.1:$db_port" --no-welcome >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$db_port") 2>/dev/null && break; sleep 0.1; done
export MCP_OAUTH_DATABASE="http://127.0.0.1:$db_port"
"$BIN" -q migrate
password=$(head -c 18 /dev/urandom | base64)
printf '%s\n' "$password" | "$BIN" -q user add idle-check --password-stdin
"$BIN" serve --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

check() {
    local label=$1 ready verdict
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
    if printf '%s\n' "$password" | "$BIN" -q verify --base-url "http://127.0.0.1:$port" \
        --username idle-check --password-stdin --skip security.rate-limit >/dev/null 2>"$work/verify.err"; then
        verdict=pass
    else
        verdict="FAIL ($(tail -1 "$work/verify.err"))"
    fi
    printf '%-22s readyz %s, verify %s\n' "$label" "$ready" "$verdict"
}

check "before any pause"
for pause in $PAUSES; do
    sleep "$pause"
    check "after ${pause}s idle"
done
