#!/usr/bin/env bash
# Long fuzz runs with cargo-fuzz: not part of `cargo test` or CI (fuzz/ is outside the workspace).
#
#   scripts/fuzz.sh                          # every target, 600 s each, one after the other
#   scripts/fuzz.sh expiry 60                # one target for 60 s
#   scripts/fuzz.sh "set_cookie url_norm"    # some targets, 600 s each
#
# One libFuzzer process at a time (one core), debug assertions on (so integer overflow is a
# crash), 10 s per input before it counts as a hang. New inputs go to fuzz/corpus/<target>/, which
# is minimised afterwards (`cargo fuzz cmin`) and committed; crashes land in fuzz/artifacts/.
# cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 unlocks them on the stable toolchain.
# Figures (time, executions) go to fuzz/logs/summary.tsv, for docs/SECURITY.md.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1

TARGETS=${1:-"set_cookie expiry declared url_norm"}
SECS=${2:-600}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p logs
failed=()
for target in $TARGETS; do
  mkdir -p "corpus/$target" "artifacts/$target"
  # Tables need room: a cookie table with a few rows is a few kilobytes of HTML.
  max_len=4096
  [ "$target" = declared ] && max_len=16384
  log="logs/$target.log"
  start=$(date +%s)
  cargo fuzz run -a "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$SECS" -timeout=10 -max_len="$max_len" -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1
  status=$?
  secs=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  printf '%s\t%s\t%ss\t%s executions\t%s\n' "$(date -u +%F)" "$target" "$secs" "${execs:-?}" \
    "$([ $status = 0 ] && echo clean || echo "FAILED (see $log)")" | tee -a logs/summary.tsv
  if [ $status != 0 ]; then
    failed+=("$target")
    continue
  fi
  cargo fuzz cmin -a "$target" "corpus/$target" >>"$log" 2>&1 || failed+=("$target (cmin)")
done
if [ ${#failed[@]} != 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
