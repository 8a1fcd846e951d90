#!/usr/bin/env bash
# README's quick start, followed literally by a newcomer in an empty HOME against a local AWS
# emulator (moto): tests/quickstart.py takes the commands from README.md's marked block, so the
# two cannot drift. Run by .ci/run. XACCT_CRED_BIN overrides the binary (default: a debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup-test-deps.sh | tail -1)
bin=${XACCT_CRED_BIN:-}
if [ -z "$bin" ]; then
  cargo build --locked -q --bin xacct-cred
  bin=$PWD/target/debug/xacct-cred
fi
exec "$python" tests/quickstart.py "$bin"
