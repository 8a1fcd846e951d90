#!/usr/bin/env bash
# Release profiles compared: clean build time, stripped size, and cache-hit median (hyperfine)
# for each [profile.*] below, each built from scratch in its own target directory.
#   bash bench/profiles.sh [PROFILE…]     (default: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(release release-default release-s release-thin)
work=$(mktemp -d)
coproc STS { exec python3 bench/fake_sts.py; }
trap 'kill $STS_PID 2>/dev/null; rm -rf "$work"' EXIT
read -r port <&"${STS[0]}"
mkdir -p "$work/.aws"
printf '[profile p]\nrole_arn = arn:aws:iam::111111111111:role/bench\nsource_profile = dev\nregion = us-east-1\n' > "$work/.aws/config"
printf '[dev]\naws_access_key_id = AKIABENCHEXAMPLE0001\naws_secret_access_key = x\n' > "$work/.aws/credentials"
printf '%-16s %10s %10s %12s\n' profile build_s size_MB hit_median_ms
for p in "${profiles[@]}"; do
  dir=/tmp/xacct-cred-profile-$p
  rm -rf "$dir"
  start=$(date +%s)
  CARGO_TARGET_DIR=$dir cargo build --locked --profile "$p" -q
  secs=$(( $(date +%s) - start ))
  bin=$dir/$p/xacct-cred
  size=$(stat -c %s "$bin")
  HOME=$work XACCT_CRED_CACHE_DIR=$work/cache-$p AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port "$bin" --profile p >/dev/null
  HOME=$work XACCT_CRED_CACHE_DIR=$work/cache-$p AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port \
    hyperfine -N --style none --warmup 50 --runs 500 --export-json "$work/$p.json" "$bin --profile p" >/dev/null
  median=$(python3 -c "import json;print(round(json.load(open('$work/$p.json'))['results'][0]['median']*1000,2))")
  printf '%-16s %10s %10s %12s\n' "$p" "$secs" "$(python3 -c "print(round($size/1e6, 1))")" "$median"
  rm -rf "$dir"
done
