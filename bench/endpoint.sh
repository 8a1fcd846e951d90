#!/usr/bin/env bash
# The credential endpoint's benchmark, beside nginx in the same run: requests/s, p50 and p99
# from 32 concurrent clients on a cache hit, a connection per request and with keep-alive,
# against Debian's nginx (one worker) serving a JSON body of the same size to the same wrk
# command, with the ratios; then one client, credential_process for the same role, AssumeRole
# calls per renewal under load and the server's memory across a simulated day of renewals.
# Not a timed test: it prints figures (docs/BENCHMARKS.md, "The credential endpoint").
# Installs wrk and nginx if missing (apt-get, as root). Everything it starts listens on
# 127.0.0.1 and is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
if ((${#need[@]})); then
  echo "installing ${need[*]} (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cargo build --release --locked --quiet
python3 bench/endpoint.py "$PWD/target/release/xacct-cred"
