#!/usr/bin/env bash
# README's demo command (under Develop): the cross-account scenario on a local AWS emulator, end to end.
# Installs what it needs (Debian packages, a Python venv, npm packages), builds xacct-cred,
# runs tests/e2e/demo.py, and leaves nothing running or behind.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup-test-deps.sh | tail -1)
cargo build --release --locked -q
exec "$python" tests/e2e/demo.py "$PWD/target/release/xacct-cred"
