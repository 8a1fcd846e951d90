#!/usr/bin/env bash
# The credential endpoint's benchmark: requests/s and p50/p99 from 32 concurrent clients on a
# cache hit beside credential_process for the same role, AssumeRole calls per renewal under
# load, and the server's memory across a simulated day of renewals. Not a timed test: it prints
# figures (docs/BENCHMARKS.md, "The credential endpoint"). Needs wrk (apt-get install wrk).
# Everything it starts listens on 127.0.0.1 and is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --offline --quiet
python3 bench/endpoint.py "$PWD/target/release/xacct-cred"
