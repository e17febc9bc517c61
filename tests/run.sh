#!/usr/bin/env bash
# The test command (README): installs what the tests need when it is missing, then runs
# every test. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --all-targets
