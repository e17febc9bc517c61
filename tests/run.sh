#!/usr/bin/env bash
# The test command (README): installs what the tests need when it is missing, then runs every
# test. Safe to run again; installs are skipped when already current.
#   - Debian's chromium, for the browser tests of the login, consent and connections pages
#   - Debian's prometheus, for `promtool check rules` on deploy/prometheus (tests/deploy_monitoring.rs)
#   - the pinned MCP SDK clients (npm, PyPI) for the interoperability tests
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/run.sh: chromium is missing; install it with: sudo apt-get install chromium" >&2
        exit 1
    fi
    echo "tests/run.sh: installing chromium (Debian package)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! command -v promtool >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/run.sh: promtool is missing; install it with: sudo apt-get install prometheus" >&2
        exit 1
    fi
    echo "tests/run.sh: installing promtool (Debian package prometheus)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

bash tests/interop/install.sh

# playwright-core for tests/browser_pages.rs (it drives the chromium above; it downloads nothing).
if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.installed-lock; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
    cp tests/browser/package-lock.json tests/browser/node_modules/.installed-lock
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked --all-targets 2>&1 | tee "$log"

# One closing line over every test binary (cargo prints one "test result" per binary, and the
# last binaries, the examples, hold no tests).
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "\ntests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
