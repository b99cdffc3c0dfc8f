#!/usr/bin/env bash
# Peer comparison: importd vs Polars and DuckDB on the same anonymization of generated
# customer data, all pinned to the same 2 cores, alternating runs; prints medians, the
# throughput ratio (the median of each run's Polars/importd ratio) and both peak RSS.
#
#   benches/peer/compare.sh [ROWS=1000000] [RUNS=5] [THREADS=2]
#   REDACT=1 benches/peer/compare.sh …   # also redact e-mails, IBANs and phones in `notes`
#   PROFILE=text benches/peer/compare.sh …   # one profile: `customers` (benches/src/lib.rs) or
#                                          # `text` (benches/src/text.rs: multi-script, text-heavy);
#                                          # default `both`, one after the other
#   IMPORTD_BIN=/path/to/importd benches/peer/compare.sh …   # another build (before/after series)
#
# Installs polars, polars-hash and duckdb into benches/peer/.venv with pip. Peers are at
# their best: Polars lazy scan_csv → native expressions (polars-hash plugin for SHA-256,
# no Python callbacks) → sink_parquet; DuckDB one COPY … TO Parquet. Both get zstd level 1,
# like importd. Peer times are measured inside the process (interpreter start excluded);
# importd's time is the whole process.
set -euo pipefail
if [ "${PROFILE:-both}" = both ]; then
  PROFILE=customers "$0" "$@"
  echo
  PROFILE=text "$0" "$@"
  exit
fi
profile=$PROFILE
case "$profile" in customers | text) ;; *) echo "PROFILE must be customers, text or both" >&2; exit 2 ;; esac
rows=${1:-1000000}
runs=${2:-5}
threads=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${PEER_WORKDIR:-$root/benches/out}
mkdir -p "$work"
cpus=$(seq -s, 0 $((threads - 1)))
rules="$here/bench-rules.toml"
redact=(--profile="$profile")
[ "$profile" = text ] && rules="$here/bench-rules-text.toml"
if [ "${REDACT:-0}" = 1 ]; then
  rules="$here/bench-rules-redact.toml"
  [ "$profile" = text ] && rules="$here/bench-rules-text-redact.toml"
  redact+=(--redact)
fi

if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --disable-pip-version-check polars polars-hash duckdb
fi
py="$here/.venv/bin/python"

(cd "$root" && cargo build -q --release -p importd -p importd-bench)
importd="${IMPORTD_BIN:-$root/target/release/importd}"
input="$work/$profile-$rows.csv"
[ -f "$input" ] || "$root/target/release/gen-data" "$rows" 1 "$input" "$profile"
key="$work/bench.key"
[ -f "$key" ] || "$importd" keys new --out "$key" >/dev/null

echo "rules: $rules"
echo "input: $input ($(du -h "$input" | cut -f1), $rows rows); $threads threads on cores $cpus; $runs runs each"
imp=(); pol=(); duck=(); rss=(); prss=(); ratio=()
div() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
for i in $(seq "$runs"); do
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" taskset -c "$cpus" "$importd" anonymize -q --threads "$threads" \
    --rules "$rules" --key-file "$key" "$input" -o "$work/importd.parquet"
  t1=$(date +%s.%N)
  imp+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  rss+=("$(cat "$work/rss")")
  pol+=("$(POLARS_MAX_THREADS=$threads /usr/bin/time -f "%M" -o "$work/prss" taskset -c "$cpus" "$py" "$here/peer_polars.py" "$input" "$work/polars.parquet" "${redact[@]}")")
  prss+=("$(cat "$work/prss")")
  duck+=("$(taskset -c "$cpus" "$py" "$here/peer_duckdb.py" "$input" "$work/duckdb.parquet" "$threads" "${redact[@]}")")
  ratio+=("$(div "${pol[-1]}" "${imp[-1]}")")
  echo "run $i: importd ${imp[-1]} s (peak RSS ${rss[-1]} KB), polars ${pol[-1]} s (peak RSS ${prss[-1]} KB), duckdb ${duck[-1]} s; polars/importd ${ratio[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mi=$(median "${imp[@]}"); mp=$(median "${pol[@]}"); md=$(median "${duck[@]}"); mr=$(median "${rss[@]}")
mpr=$(median "${prss[@]}"); mratio=$(median "${ratio[@]}")
mb=$(du -m "$input" | cut -f1)
printf '\nmedian seconds: importd %.3f | polars %.3f | duckdb %.3f\n' "$mi" "$mp" "$md"
printf 'throughput MB/s: importd %.0f | polars %.0f | duckdb %.0f\n' "$(div "$mb" "$mi")" "$(div "$mb" "$mp")" "$(div "$mb" "$md")"
printf 'importd vs polars: %.2fx throughput (median of per-run ratios; ratio of medians %.2fx); vs duckdb: %.2fx\n' \
  "$mratio" "$(div "$mp" "$mi")" "$(div "$md" "$mi")"
printf 'peak RSS (median): importd %d MB | polars %d MB (importd/polars %.2f)\n' "$((mr / 1024))" "$((mpr / 1024))" "$(div "$mr" "$mpr")"

# Memory must not grow with the input: one importd run on 5× the rows.
if [ "${SCALE_CHECK:-1}" = 1 ]; then
  big="$work/$profile-$((rows * 5)).csv"
  [ -f "$big" ] || "$root/target/release/gen-data" "$((rows * 5))" 1 "$big" "$profile"
  /usr/bin/time -f "%M" -o "$work/rss5" taskset -c "$cpus" "$importd" anonymize -q --threads "$threads" \
    --rules "$rules" --key-file "$key" "$big" -o "$work/importd-5x.parquet"
  r5=$(cat "$work/rss5")
  printf 'importd peak RSS on 5x the rows (%s): %d MB (%+.1f %% vs %d MB)\n' "$(du -h "$big" | cut -f1)" "$((r5 / 1024))" \
    "$(awk -v a="$r5" -v b="$mr" 'BEGIN { print (a - b) * 100 / b }')" "$((mr / 1024))"
fi
