#!/usr/bin/env bash
# CI's fuzzing step (.ci/run, after the tests): every cargo-fuzz target for FUZZ_SECONDS
# (default 30) from its seeds; fails on any crash. Installs cargo-fuzz if missing; fails
# clearly if the nightly toolchain (libFuzzer needs it) is missing. The fuzz build is cached
# outside the clone, so later runs rebuild only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzzing needs the nightly toolchain beside stable: rustup toolchain install nightly" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "installing cargo-fuzz (cargo install --locked cargo-fuzz)" >&2
  cargo install --locked cargo-fuzz >&2
fi
export FUZZ_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/xacct-cred-fuzz/target}
bash bench/fuzz.sh "${FUZZ_SECONDS:-30}"
