#!/usr/bin/env bash
# The whole test suite, set-up included: README's test command and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything a fresh Debian/Ubuntu machine with Rust lacks for the tests.
bash scripts/setup-test-deps.sh

echo "== unit and integration tests (fake STS/IMDS/ECS on 127.0.0.1)"
cargo test --locked
