#!/usr/bin/env bash
# Crawl throughput and memory: cookie-audit's HTTP engine against Scrapy, on the same generated
# loopback site (PAGES pages of ~8 KB, ~30 links and a cookie or two each), rate limits off,
# same concurrency, in one run so the ratio is fair. Prints a Markdown table.
#
#   scripts/bench-crawl.sh                 # 5000 pages, concurrency 16, 3 runs each
#   PAGES=1000 RUNS=1 scripts/bench-crawl.sh
#   PEERS=none scripts/bench-crawl.sh      # cookie-audit only
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-5000}
PORT=${PORT:-18080}
CONCURRENCY=${CONCURRENCY:-16}
RUNS=${RUNS:-3}
PEERS=${PEERS:-scrapy}

cargo build --release --locked -q -p cookie-audit -p cookie-audit-fixtures --bin cookie-audit --bin fixture-server
target/release/fixture-server bench --pages "$PAGES" --port "$PORT" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done

if [ "$PEERS" = scrapy ] && [ ! -x target/bench-venv/bin/scrapy ]; then
  python3 -m venv target/bench-venv
  target/bench-venv/bin/pip install -q scrapy
fi

out=$(mktemp -d)
# Prints "pages wall_s cpu_s peak_kib" for one run of the command after `--`.
measure() {
  local log=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$out/time" "$@" >"$log" 2>"$out/stderr" || {
    cat "$out/stderr" >&2
    return 1
  }
  read -r wall user sys kib <"$out/time"
  echo "$wall $(echo "$user + $sys" | bc) $kib"
}

run_cookie_audit() {
  local t pages
  t=$(measure "$out/report.json" target/release/cookie-audit scan "http://bench.test:$PORT/" \
    --engine http --rate 0 --max-pages "$PAGES" --max-depth 1000 --concurrency "$CONCURRENCY" \
    --resolve bench.test=127.0.0.1 --offline --format json -q)
  pages=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["crawl"]["pages_visited"])' "$out/report.json")
  echo "$pages $t"
}

run_scrapy() {
  local t pages
  t=$(measure "$out/scrapy.txt" target/bench-venv/bin/scrapy runspider scripts/bench/scrapy_spider.py \
    -a start="http://127.0.0.1:$PORT/" -s CONCURRENT_REQUESTS="$CONCURRENCY" \
    -s CONCURRENT_REQUESTS_PER_DOMAIN="$CONCURRENCY" -s DOWNLOAD_DELAY=0 -s ROBOTSTXT_OBEY=True \
    -s LOG_LEVEL=ERROR -s TELNETCONSOLE_ENABLED=False -s CLOSESPIDER_PAGECOUNT="$PAGES" \
    -s DEPTH_PRIORITY=1 -s SCHEDULER_DISK_QUEUE=scrapy.squeues.PickleFifoDiskQueue \
    -s SCHEDULER_MEMORY_QUEUE=scrapy.squeues.FifoMemoryQueue)
  pages=$(sed -n 's/.*scrapy pages=\([0-9]*\).*/\1/p' "$out/scrapy.txt")
  echo "$pages $t"
}

# The median run (by wall time) of RUNS.
median() {
  sort -k2 -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

declare -A result
for tool in cookie-audit $([ "$PEERS" = scrapy ] && echo scrapy); do
  for _ in $(seq "$RUNS"); do
    if [ "$tool" = cookie-audit ]; then run_cookie_audit; else run_scrapy; fi
  done | median >"$out/$tool.median"
  result[$tool]=$(cat "$out/$tool.median")
done

echo
echo "| crawler | pages | wall s | pages/s | CPU ms/page | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
for tool in "${!result[@]}"; do
  read -r pages wall cpu kib <<<"${result[$tool]}"
  awk -v t="$tool" -v p="$pages" -v w="$wall" -v c="$cpu" -v k="$kib" \
    'BEGIN { printf "| %s | %d | %.2f | %.0f | %.3f | %.1f |\n", t, p, w, p / w, 1000 * c / p, k / 1024 }'
done
if [ -n "${result[scrapy]:-}" ]; then
  read -r p1 w1 _ _ <<<"${result[cookie-audit]}"
  read -r p2 w2 _ _ <<<"${result[scrapy]}"
  awk -v p1="$p1" -v w1="$w1" -v p2="$p2" -v w2="$w2" \
    'BEGIN { printf "\ncookie-audit / Scrapy pages per second: %.1fx\n", (p1 / w1) / (p2 / w2) }'
fi
echo "(PAGES=$PAGES CONCURRENCY=$CONCURRENCY RUNS=$RUNS, median run by wall time; $(nproc) cores)"
