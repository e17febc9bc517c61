#!/usr/bin/env bash
# Soak: mixed load (grants, refreshes, revocations, tool calls) at a steady rate against the
# release server; per-minute p50/p99, RSS, open fds. Not part of CI (ten minutes).
#   bench/soak.sh                 # 600 s at 100 operations/s
#   SECONDS_=120 RATE=200 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mcp-oauth
exec cargo run --release --quiet --example soak -- "${SECONDS_:-600}" "${RATE:-100}"
