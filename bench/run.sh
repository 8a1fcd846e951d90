#!/usr/bin/env bash
# Benchmark: xacct-cred's cache hit against a floor (a Rust binary that reads one file and prints
# it) and against the AWS CLI v2's own cached role credentials, all in this one run; then the
# cold path against a raw AssumeRole round trip (curl --aws-sigv4) to the same local STS, and 64
# parallel cold invocations. Ratios, not absolute times, are the targets. Needs hyperfine, GNU
# time, curl, python3 and Debian's awscli (v2); installs the missing ones. XACCT_CRED_BENCH_BIN=PATH
# measures that build instead of this tree's (to compare two releases side by side).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/aws ] || need+=(awscli)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cargo build --release --locked -q
# XACCT_CRED_BENCH_BIN measures another build (an older release, say) with the same floor.
bin=${XACCT_CRED_BENCH_BIN:-$root/target/release/xacct-cred}
mkdir -p target/bench
rustc -O -C strip=symbols -o target/bench/floor bench/floor.rs

work=$(mktemp -d)
sts_pid=""
cleanup() { [ -n "$sts_pid" ] && kill "$sts_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
coproc STS { exec python3 bench/fake_sts.py; }
sts_pid=$STS_PID
read -r port <&"${STS[0]}"
sts=http://127.0.0.1:$port

role=arn:aws:iam::111111111111:role/bench
mkdir -p "$work/.aws"
cat > "$work/.aws/config" <<CFG
[profile prod]
role_arn = $role
source_profile = dev
region = us-east-1

[profile prod-cli]
role_arn = $role
source_profile = dev
region = us-east-1
CFG
printf '[dev]\naws_access_key_id = AKIABENCHEXAMPLE0001\naws_secret_access_key = bench-source-secret\n' > "$work/.aws/credentials"
export HOME=$work XACCT_CRED_CACHE_DIR=$work/cache AWS_ENDPOINT_URL_STS=$sts
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE

"$bin" --profile prod > /dev/null
entry=$(ls "$work"/cache/*.json)
/usr/bin/python3 bench/plant_cli_cache.py "$role" "$work/.aws/cli/cache" > /dev/null
if ! /usr/bin/aws configure export-credentials --profile prod-cli --format process 2>/dev/null | grep -q ASIACLIV2CACHED; then
  echo "the AWS CLI v2 did not serve its warm cache; its figure would be meaningless" >&2; exit 1
fi

echo "== cache hit (hyperfine, no shell): 10 rounds of 50 hits then 50 floors, so that the ratio"
echo "   compares runs made a moment apart, whatever else the machine does meanwhile"
for round in $(seq 10); do
  hyperfine -N --style basic --warmup 10 --runs 50 --export-json "$work/hit-$round.json" \
    -n xacct-cred-hit "$bin --profile prod" -n floor "$root/target/bench/floor $entry" >/dev/null
done
hyperfine -N --style basic --warmup 2 --runs 15 --export-json "$work/cli.json" \
  -n aws-cli-v2-cached "/usr/bin/aws configure export-credentials --profile prod-cli --format process" >/dev/null

echo "== cold path (--no-cache) vs a raw AssumeRole round trip (curl's own time for the exchange)"
hyperfine -N --style basic --warmup 5 --runs 100 --export-json "$work/cold.json" \
  -n xacct-cred-cold "$bin --profile prod --no-cache" >/dev/null
for _ in $(seq 100); do
  curl -s -o /dev/null -w '%{time_total}\n' --aws-sigv4 aws:amz:us-east-1:sts --user AKIABENCHEXAMPLE0001:bench-source-secret \
    -d "Action=AssumeRole&Version=2011-06-15&RoleArn=$role&RoleSessionName=bench" "$sts/"
done | sort -n | sed -n 50p > "$work/curl.txt"

rss() { # peak RSS in KiB, the largest of 5 runs
  local max=0 v
  for _ in 1 2 3 4 5; do
    v=$( /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 )
    [ "$v" -gt "$max" ] && max=$v
  done
  echo "$max"
}
rss_hit=$(rss "$bin" --profile prod)
rss_floor=$(rss "$root/target/bench/floor" "$entry")
rss_cli=$(rss /usr/bin/aws configure export-credentials --profile prod-cli --format process)

echo "== 64 parallel cold invocations"
rm -f "$work"/cache/*.json
curl -s -X POST -d '' "$sts/reset" >/dev/null
par=$(python3 bench/parallel.py 64 "$bin" --profile prod)
calls=$(curl -s "$sts/count")

size=$(stat -c %s "$bin")
python3 - "$work" "$rss_hit" "$rss_floor" "$rss_cli" "$par" "$calls" "$size" <<'PY'
import json, sys
work, rss_hit, rss_floor, rss_cli, par, calls, size = sys.argv[1:]
def med(f, name):
    for r in json.load(open(f"{work}/{f}"))["results"]:
        if r["command"] == name:
            return r["median"] * 1000
def median(xs):
    xs = sorted(xs)
    return (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2]) / 2
rounds = [(med(f"hit-{r}.json", "xacct-cred-hit"), med(f"hit-{r}.json", "floor")) for r in range(1, 11)]
hit, floor = median([h for h, _ in rounds]), median([f for _, f in rounds])
ratios = [h / f for h, f in rounds]
cli = med("cli.json", "aws-cli-v2-cached")
cold = med("cold.json", "xacct-cred-cold")
curl = float(open(f"{work}/curl.txt").read()) * 1000
par = json.loads(par)
rows = [
    ("cache hit, median of rounds", f"{hit:.2f} ms", "<= 2 ms"),
    ("floor (read+print a file), median of rounds", f"{floor:.2f} ms", ""),
    ("cache hit / floor (median of 10 rounds)", f"{median(ratios):.2f}x", "<= 2x"),
    ("  rounds' range", f"{min(ratios):.2f}x .. {max(ratios):.2f}x", ""),
    ("AWS CLI v2 cached role creds, median", f"{cli:.0f} ms", ""),
    ("AWS CLI v2 / cache hit", f"{cli / hit:.0f}x", ">= 300x"),
    ("peak RSS: hit / floor / CLI v2", f"{int(rss_hit)/1024:.1f} / {int(rss_floor)/1024:.1f} / {int(rss_cli)/1024:.1f} MB", "hit <= 8 MB"),
    ("cold (--no-cache), median", f"{cold:.1f} ms", ""),
    ("raw AssumeRole round trip (curl), median", f"{curl:.1f} ms", ""),
    ("cold minus round trip", f"{cold - curl:.1f} ms", "<= 15 ms"),
    ("64 parallel cold: STS calls", calls, "1"),
    ("64 parallel cold: p50 / p99", f"{par['p50_ms']} / {par['p99_ms']} ms", ""),
    ("64 parallel cold: all ok, same creds", f"{par['all_ok']}, {par['all_same']}", "True, True"),
    ("release binary size", f"{int(size)/1e6:.1f} MB", "<= 8 MB"),
]
w = max(len(r[0]) for r in rows)
print()
for name, value, target in rows:
    print(f"{name:<{w}}  {value:>22}  {target}")
PY
