#!/usr/bin/env bash
# Consent runs' cost (issue 14's target, docs/PERFORMANCE.md "Consent runs"): the same 60 pages of
# Benchshire with its consent banner (the vendored vanilla-cookieconsent; `fixture-server
# benchshire-banner`) scanned with `--consent none` and with `--consent all`, alternately, at the
# scan's defaults (4 tabs, default --settle-ms and --consent-pages) but --rate 0, on loopback.
# Prints each run's wall time and peak memory — the PSS summed over the scan's whole process tree,
# Chromium's processes included, sampled every 100 ms — then the medians and the ratio.
#
#   scripts/bench-consent.sh              # RUNS=3 PAGES=60
#   RUNS=1 scripts/bench-consent.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
PAGES=${PAGES:-60}
PORT=${PORT:-18180}
HOST=www.benchshire.gov.uk

cargo build --release --locked -q -p cookie-audit -p cookie-audit-fixtures --bin cookie-audit --bin fixture-server
target/release/fixture-server benchshire-banner --port "$PORT" 2>/dev/null &
server=$!
out=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
resolve=()
for host in $HOST siteimproveanalytics.io www.youtube.com www.facebook.com; do
  resolve+=(--resolve "$host=127.0.0.1")
done

# The PSS (KiB) of process $1 and every process below it.
pss_tree() {
  local pids
  pids=$(ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { for (p in parent) { q = p; while (q != "" && q != 0 && q != 1) { if (q == root) { print p; break } q = parent[q] } } }')
  for pid in $pids; do
    awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || true
  done | awk '{ s += $1 } END { print s + 0 }'
}

# Prints "seconds peak_pss_kib pages runs" for one scan with `--consent $1`.
scan() {
  local start end peak=0 pss
  start=$(date +%s.%N)
  target/release/cookie-audit scan "http://$HOST:$PORT/" --engine browser --rate 0 \
    --max-pages "$PAGES" --consent "$1" "${resolve[@]}" --offline --insecure \
    --format json -q >"$out/report.json" 2>"$out/stderr" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    pss=$(pss_tree "$pid")
    [ "$pss" -gt "$peak" ] && peak=$pss
    sleep 0.1
  done
  wait "$pid" || { cat "$out/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  python3 - "$out/report.json" "$start" "$end" "$peak" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
runs = ",".join(f"{r['state']}:{r['status']}:{r['pages_visited']}" for r in report["consent"]["runs"])
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.2f} {sys.argv[4]} {report['crawl']['pages_visited']} {runs}")
PY
}

echo "| --consent | seconds | peak PSS MiB | pages crawled | runs (state:status:pages) |"
echo "|---|---:|---:|---:|---|"
for _ in $(seq "$RUNS"); do
  for mode in none all; do
    read -r seconds kib pages runs <<<"$(scan $mode)"
    echo "$mode $seconds $kib" >>"$out/results"
    awk -v m="$mode" -v s="$seconds" -v k="$kib" -v p="$pages" -v r="$runs" \
      'BEGIN { printf "| %s | %.2f | %.0f | %d | %s |\n", m, s, k / 1024, p, r }'
  done
done
median() { awk -v m="$1" '$1 == m { print $2 }' "$out/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
none=$(median none)
all=$(median all)
peak=$(awk '$1 == "all" { print $3 }' "$out/results" | sort -n | tail -1)
awk -v n="$none" -v a="$all" -v k="$peak" 'BEGIN {
  printf "\nmedian: --consent none %.2f s, --consent all %.2f s: %.2fx (target <= 1.5x); peak PSS with --consent all %.0f MiB (target < 1.5 GB)\n", n, a, a / n, k / 1024 }'
echo "(RUNS=$RUNS PAGES=$PAGES, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
