#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, two at a time, and prints executions
# per second. Built with optimizations AND debug assertions (`-O -a`): the CSV reader's one
# unsafe block is guarded by a debug assertion that re-validates every column as UTF-8, and
# fuzzing is where that check must run (as must the SHA-NI token pairs' check against sha2). A fresh machine has only the stable toolchain (nightly cannot be fetched), so
# the targets build with it and RUSTC_BOOTSTRAP=1, which lets stable take the -Z flags
# cargo-fuzz passes for the sanitizer and coverage; FUZZ_TOOLCHAIN=nightly picks another. New inputs go to fuzz/scratch/ (not
# committed); crashes to fuzz/artifacts/<target>/. Exit non-zero if any target failed.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
targets=(rules csv_pipeline csv_reader redact ff1 readers tokens)
toolchain=${FUZZ_TOOLCHAIN:-stable}
export RUSTC_BOOTSTRAP=1
cargo "+$toolchain" fuzz build -O -a >/dev/null 2>&1 || { echo "building the fuzz targets failed"; exit 1; }
mkdir -p scratch logs
run() {
  local t=$1
  mkdir -p "scratch/$t"
  cargo "+$toolchain" fuzz run -O -a "$t" "scratch/$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 \
    >"logs/$t.log" 2>&1
  local rc=$?
  local done_line
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "logs/$t.log" | tail -1)
  local runs secs_run
  runs=$(echo "$done_line" | awk '{print $2}')
  secs_run=$(echo "$done_line" | awk '{print $5}')
  if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
    echo "$t: ok, $runs runs in $secs_run s ($((runs / (secs_run > 0 ? secs_run : 1))) exec/s)"
  else
    echo "$t: FAILED (exit $rc), see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    return 1
  fi
}
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  p1=$!
  p2=
  if [ $((i + 1)) -lt ${#targets[@]} ]; then
    run "${targets[i + 1]}" &
    p2=$!
  fi
  wait $p1 || status=1
  [ -n "$p2" ] && { wait "$p2" || status=1; }
done
exit $status
