#!/usr/bin/env bash
# Two users at the largest knowledge graph the quotas allow, both calling read_graph (every
# page) and search_nodes in a loop; /healthz latency beside them (examples/graph_load.rs).
#
#   bench/graph-load.sh                              # this tree's server
#   BASE=/tmp/mcp-oauth-main bench/graph-load.sh     # and another binary, first
# BENCH_SECONDS (default 5) sets the length of the load. Figures: README, "Knowledge-graph quotas".
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mcp-oauth --example graph_load
TARGET="${CARGO_TARGET_DIR:-$PWD/target}/release"
if [ -n "${BASE:-}" ]; then
    echo "== before ($BASE)"
    BENCH_SERVER="$BASE" "$TARGET/examples/graph_load"
fi
echo "== this tree"
BENCH_SERVER="$TARGET/mcp-oauth" "$TARGET/examples/graph_load"
