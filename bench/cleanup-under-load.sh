#!/usr/bin/env bash
# `token cleanup` of 1,000,000 expired rows while `serve` answers authenticated tools/list at a
# steady rate: cleanup wall time, serving p50/p99/max before, during and after. Exit 1 if the
# p99 during the cleanup reaches 50 ms. Not part of CI.
#   bench/cleanup-under-load.sh                   # 1,000,000 rows, default batch, 300 req/s
#   ROWS=200000 BATCH=500 RATE=500 bench/cleanup-under-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mcp-oauth
exec cargo run --release --quiet --example cleanup_under_load -- \
    "${ROWS:-1000000}" "${BATCH:-default}" "${RATE:-300}"
