#!/usr/bin/env bash
# The whole test suite, set-up included: README's test command and what .ci/run runs.
#   1. unit and integration tests: the real binary against fake STS/IMDS/ECS on 127.0.0.1;
#   2. end to end: AWS CLI v1 and v2, boto3, the JS and Rust SDKs and bash against moto.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/setup-test-deps.sh | tail -1)

t0=$(date +%s)
echo "== tier 1: unit and integration tests (cargo test)"
cargo test --locked
if [ "$(id -u)" = 0 ]; then
  # The tests that need root (chown to another user, a mount namespace) are #[ignore]d for
  # everyone else.
  cargo test --locked -q --test token_file -- --ignored
  cargo test --locked -q --test keys -- --ignored
  if unshare -m true 2>/dev/null; then
    cargo test --locked -q --test cache -- --ignored
    cargo test --locked -q --test setup -- --ignored
  else
    echo "NOT RUN: the bind-mount, full-disk and read-only tests of tests/setup.rs and tests/cache.rs (unshare -m is refused here)" >&2
    cargo test --locked -q --test cache -- --ignored --skip a_read_only
    cargo test --locked -q --test setup -- --ignored --skip a_bind_mounted_config --skip a_full_disk
  fi
fi
t1=$(date +%s)

echo "== tier 2: end to end with real clients against moto (pytest)"
cargo build --locked --bin xacct-cred --example s3_client -q
XACCT_CRED_BIN=$PWD/target/debug/xacct-cred "$python" -m pytest -q -p no:cacheprovider tests/e2e
t2=$(date +%s)
echo "tier times: cargo test $((t1 - t0)) s, end to end $((t2 - t1)) s"
