#!/usr/bin/env bash
# bench/fuzz.sh [SECONDS]: runs every cargo-fuzz target in fuzz/ for SECONDS (default 600), from
# its committed seeds (fuzz/corpus/TARGET/seed-*), FUZZ_JOBS targets at a time (default 2), and
# prints a table: target, executions, corpus size, coverage (cov = edges, ft = features), crashes.
# FUZZ_TARGETS="a b" runs only those targets.
# Exits non-zero if any target crashed; the crashing inputs are in $work/artifacts/TARGET/.
#
# The grown corpus goes to $work (default target/fuzz-run), never into fuzz/corpus: the
# committed corpus stays seeds only. Built with AddressSanitizer (FUZZ_SANITIZER=none for a
# faster build); xacct-cred itself with debug assertions and overflow checks (fuzz/Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
jobs=${FUZZ_JOBS:-2}
sanitizer=${FUZZ_SANITIZER:-address}
work=${FUZZ_WORK:-$PWD/target/fuzz-run}
target_dir=${FUZZ_TARGET_DIR:-$PWD/fuzz/target}

command -v cargo-fuzz >/dev/null || {
  echo "cargo-fuzz is not installed: cargo install --locked cargo-fuzz" >&2; exit 1; }
rustup toolchain list | grep -q '^nightly' || {
  echo "the nightly toolchain is missing (libFuzzer needs it): rustup toolchain install nightly" >&2; exit 1; }

fuzz() { cargo +nightly fuzz "$@"; }
build_flags=(--sanitizer "$sanitizer" --target-dir "$target_dir")
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -ra targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets < <(fuzz list)
fi
echo "building ${#targets[@]} targets (sanitizer $sanitizer)..." >&2
fuzz build "${build_flags[@]}" >&2
bin_dir=$target_dir/$(rustc +nightly -vV | sed -n 's/^host: //p')/release

rm -rf "$work"
mkdir -p "$work/logs"
run_one() {
  local t=$1 dict=()
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  # The binary itself, not `cargo fuzz run`, which would re-check the build per target. The
  # first corpus directory receives what the run finds; the seeds are only read.
  "$bin_dir/$t" "$work/corpus/$t" "fuzz/corpus/$t" \
    -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/$t/" "${dict[@]}" > "$work/logs/$t.log" 2>&1 || true
}
echo "running each for $secs s, $jobs at a time; logs in $work/logs" >&2
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$t" &
done
wait

crashed=0
printf '%-12s %12s %9s %8s %8s %8s %8s\n' target executions exec/s corpus cov ft crashes
for t in "${targets[@]}"; do
  log=$work/logs/$t.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  crashes=$(find "$work/artifacts/$t" -type f | wc -l)
  [ "$crashes" -eq 0 ] || crashed=1
  printf '%-12s %12s %9s %8s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${corp:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
done
if [ "$crashed" -ne 0 ]; then
  echo "crashes: see $work/artifacts/ and the logs; reproduce with: cargo +nightly fuzz run TARGET FILE" >&2
  exit 1
fi
