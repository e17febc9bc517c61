#!/usr/bin/env bash
# Benchmark of the running server: /healthz, MCP tools/list and search_memories, the refresh
# grant, code exchanges (examples/bench.rs prints the table; see its header for the knobs).
#
#   bench/serve.sh                          # build (profile `profiling`), run once
#   RUNS=3 bench/serve.sh                   # three runs
#   BASE=/tmp/mcp-oauth-before RUNS=3 bench/serve.sh
#                                           # alternate runs against another server binary
#                                           # (e.g. one built from an older commit), so
#                                           # before/after figures come from the same minutes
# Knobs passed through to the bench: BENCH_SECONDS, BENCH_ONLY, BENCH_MEMORIES,
# BENCH_OTHER_MEMORIES, BENCH_CODES, BENCH_FRESH.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-1}"
cargo build --profile profiling --quiet --bin mcp-oauth --example bench
NEW="$PWD/target/profiling/mcp-oauth"
BENCH="$PWD/target/profiling/examples/bench"

for run in $(seq 1 "$RUNS"); do
    if [ -n "${BASE:-}" ]; then
        echo "== run $run/$RUNS: before ($BASE)"
        BENCH_SERVER="$BASE" "$BENCH"
    fi
    echo "== run $run/$RUNS: this tree ($NEW)"
    BENCH_SERVER="$NEW" "$BENCH"
done
