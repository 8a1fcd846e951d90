#!/usr/bin/env bash
# Release profiles compared: clean build time and stripped size of each, built from scratch in
# its own target directory; then the cache hit of all of them side by side in one hyperfine run,
# and their instruction counts (callgrind: deterministic, unlike wall time on a shared VM).
#   bash bench/profiles.sh [PROFILE…]     (default: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(release release-o3 release-thin release-default)
work=$(mktemp -d)
coproc STS { exec python3 bench/fake_sts.py; }
trap 'kill $STS_PID 2>/dev/null; rm -rf "$work"' EXIT
read -r port <&"${STS[0]}"
mkdir -p "$work/.aws"
printf '[profile p]\nrole_arn = arn:aws:iam::111111111111:role/bench\nsource_profile = dev\nregion = us-east-1\n' > "$work/.aws/config"
printf '[dev]\naws_access_key_id = AKIABENCHEXAMPLE0001\naws_secret_access_key = x\n' > "$work/.aws/credentials"
keep=target/bench/profiles
mkdir -p "$keep"
declare -A built sizes
for p in "${profiles[@]}"; do
  dir=/tmp/xacct-cred-profile-$p
  rm -rf "$dir"
  start=$(date +%s)
  CARGO_TARGET_DIR=$dir cargo build --locked --profile "$p" -q
  secs=$(( $(date +%s) - start ))
  bin=$dir/$p/xacct-cred
  size=$(stat -c %s "$bin")
  cp "$bin" "$keep/xacct-cred-$p"
  built[$p]=$secs sizes[$p]=$size
  rm -rf "$dir"
done

export HOME=$work XACCT_CRED_CACHE_DIR=$work/cache AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port
cmds=()
for p in "${profiles[@]}"; do
  "$keep/xacct-cred-$p" --profile p >/dev/null
  cmds+=(-n "$p" "$keep/xacct-cred-$p --profile p")
done
hyperfine -N --style none --warmup 100 --runs 1000 --export-json "$work/hit.json" "${cmds[@]}" >/dev/null
printf '%-16s %8s %8s %14s %14s\n' profile build_s size_MB hit_median_ms instructions
for p in "${profiles[@]}"; do
  median=$(python3 -c "import json;print([round(r['median']*1000,2) for r in json.load(open('$work/hit.json'))['results'] if r['command']=='$p'][0])")
  ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$keep/xacct-cred-$p" --profile p 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
  printf '%-16s %8s %8s %14s %14s\n' "$p" "${built[$p]}" "$(python3 -c "print(round(${sizes[$p]}/1e6, 1))")" "$median" "$ir"
done
