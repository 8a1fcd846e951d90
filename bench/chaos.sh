#!/usr/bin/env bash
# The chaos run: 640 invocations (or $1), 32 at a time, against the in-process fake STS
# with faults injected in phases, callers and background renewals SIGKILLed — inside the cache
# write too — while a reader checks every entry. Prints the figures; fails if a caller failed
# while a valid session was cached, a reader saw a torn entry, an AssumeRole was redundant, a
# caller took 15 s or a process was left behind. The binary is a release build with
# `--features test-hooks` (the pause inside the write); `--debug` uses the debug build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
size=640
bin=""
for arg in "$@"; do
  case $arg in
    --debug) bin=debug ;;
    *) size=$arg ;;
  esac
done
if [ "$bin" != debug ]; then
  cargo build --release --locked -q --features test-hooks
  export XACCT_CRED_CHAOS_BIN=$PWD/target/release/xacct-cred
fi
XACCT_CRED_CHAOS_INVOCATIONS=$size cargo test --locked -q --test chaos -- --ignored --nocapture chaos_full
