#!/usr/bin/env bash
# Installs the pinned MCP SDK clients the interop tests run (tests/mcp_interop.rs):
#   node/node_modules   npm ci from node/package-lock.json (@modelcontextprotocol/sdk 1.x,
#                       @modelcontextprotocol/client 2.x for MCP 2026-07-28)
#   python/.venv        a venv with python/requirements.txt (PyPI `mcp`)
#   conformance/node_modules
#                       npm ci from conformance/package-lock.json: the official conformance
#                       suite (tests/mcp_conformance.rs) and the pinned Node 22 it needs, which
#                       the `node` package installs as an ordinary dependency
# Safe to run again: an install that is already current is kept. Needs node >= 20 with npm, and
# python3 >= 3.10 with venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ ! -f "$here/node/node_modules/.package-lock.json" ] \
    || ! cmp -s "$here/node/package-lock.json" "$here/node/.installed-lock"; then
    (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/node/package-lock.json" "$here/node/.installed-lock"
fi

if [ ! -x "$here/conformance/node_modules/.bin/node" ] \
    || ! cmp -s "$here/conformance/package-lock.json" "$here/conformance/.installed-lock"; then
    (cd "$here/conformance" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/conformance/package-lock.json" "$here/conformance/.installed-lock"
fi

if [ ! -x "$here/python/.venv/bin/python" ] \
    || ! cmp -s "$here/python/requirements.txt" "$here/python/.venv/.installed-requirements"; then
    python3 -m venv "$here/python/.venv"
    "$here/python/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/python/requirements.txt"
    cp "$here/python/requirements.txt" "$here/python/.venv/.installed-requirements"
fi
