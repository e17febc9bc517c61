#!/usr/bin/env bash
# Fuzzing: runs every cargo-fuzz target in fuzz/ for a set time and prints executions,
# coverage and crashes per target. Not part of CI.
#   bench/fuzz.sh            # 60 s per target
#   bench/fuzz.sh 600        # 10 minutes per target
#   bench/fuzz.sh 60 scope   # one target
# cargo-fuzz needs unstable rustc flags: with no nightly toolchain, RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept them. Built without a sanitizer (-s none): the targets are safe Rust
# over safe parsers, and SQLite's C is not instrumented by rustc anyway; libFuzzer still finds
# panics, overflows (debug assertions are on) and hangs. A crash leaves its input in
# fuzz/artifacts/<target>/ and makes the script exit 1: add it to tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECS="${1:-60}"
ONLY="${2:-}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none --release >&2
mkdir -p logs
failed=0
printf '%-18s %12s %9s %7s %7s %6s %s\n' target executions exec/s cov ft corpus result
for target in $(cargo fuzz list); do
    [ -n "$ONLY" ] && [ "$target" != "$ONLY" ] && continue
    mkdir -p "corpus/$target"
    cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
    log="logs/$target.log"
    if cargo fuzz run -s none --release "$target" "corpus/$target" -- \
        -max_total_time="$SECS" -print_final_stats=1 -max_len=8192 -timeout=10 >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see fuzz/$log and fuzz/artifacts/$target/)"
        failed=1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    printf '%-18s %12s %9s %7s %7s %6s %s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
exit $failed
