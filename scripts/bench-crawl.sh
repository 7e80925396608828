#!/usr/bin/env bash
# Crawl throughput and memory: cookie-audit's HTTP engine against spider-rs and Scrapy, on the same
# generated loopback site (PAGES pages of ~8 KB, ~30 links and a cookie or two each), rate limits
# off, same concurrency, in one run so the ratios are fair. Prints a Markdown table per site size.
#
#   scripts/bench-crawl.sh                       # 5000 pages, concurrency 16, 3 runs each
#   PAGES="5000 50000" scripts/bench-crawl.sh    # both sizes, and how memory grows between them
#   PAGES=1000 RUNS=1 PEERS=spider scripts/bench-crawl.sh
#   PEERS=none scripts/bench-crawl.sh            # cookie-audit only
#
# The spider-rs peer (scripts/bench/spider_peer: spider's library with `subscribe`) is built here,
# into target/bench-peers, from crates.io: it is never a dependency of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-5000}
PORT=${PORT:-18080}
CONCURRENCY=${CONCURRENCY:-16}
RUNS=${RUNS:-3}
PEERS=${PEERS:-spider scrapy}
SPIDER=target/bench-peers/release/spider-peer

peer() { [[ " $PEERS " == *" $1 "* ]]; }

cargo build --release --locked -q -p cookie-audit -p cookie-audit-fixtures --bin cookie-audit --bin fixture-server
if peer spider; then
  cargo build --release --locked -q --manifest-path scripts/bench/spider_peer/Cargo.toml \
    --target-dir target/bench-peers
fi
if peer scrapy && [ ! -x target/bench-venv/bin/scrapy ]; then
  python3 -m venv target/bench-venv
  target/bench-venv/bin/pip install -q scrapy
fi

out=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT

# Serves the generated site of $1 pages on PORT until the next call (or the end).
serve() {
  [ -z "$server" ] || { kill "$server"; wait "$server" 2>/dev/null || true; }
  target/release/fixture-server bench --pages "$1" --port "$PORT" 2>/dev/null &
  server=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return; fi
    sleep 0.1
  done
}

# Prints "wall_s cpu_s peak_kib" for one run of the command after the log file.
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
    --engine http --rate 0 --max-pages "$1" --max-depth 1000 --concurrency "$CONCURRENCY" \
    --resolve bench.test=127.0.0.1 --offline --format json -q)
  pages=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["crawl"]["pages_visited"])' "$out/report.json")
  echo "$pages $t"
}

run_spider() {
  local t pages
  t=$(measure "$out/spider.txt" "$SPIDER" "http://127.0.0.1:$PORT/" "$1" "$CONCURRENCY")
  pages=$(sed -n 's/.*spider pages=\([0-9]*\).*/\1/p' "$out/spider.txt")
  echo "$pages $t"
}

run_scrapy() {
  local t pages
  t=$(measure "$out/scrapy.txt" target/bench-venv/bin/scrapy runspider scripts/bench/scrapy_spider.py \
    -a start="http://127.0.0.1:$PORT/" -s CONCURRENT_REQUESTS="$CONCURRENCY" \
    -s CONCURRENT_REQUESTS_PER_DOMAIN="$CONCURRENCY" -s DOWNLOAD_DELAY=0 -s ROBOTSTXT_OBEY=True \
    -s LOG_LEVEL=ERROR -s TELNETCONSOLE_ENABLED=False -s CLOSESPIDER_PAGECOUNT="$1" \
    -s DEPTH_PRIORITY=1 -s SCHEDULER_DISK_QUEUE=scrapy.squeues.PickleFifoDiskQueue \
    -s SCHEDULER_MEMORY_QUEUE=scrapy.squeues.FifoMemoryQueue)
  pages=$(sed -n 's/.*scrapy pages=\([0-9]*\).*/\1/p' "$out/scrapy.txt")
  echo "$pages $t"
}

# The median run (by wall time) of RUNS.
median() {
  sort -k2 -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

# "a / b" of a per-page figure, given two "pages wall cpu kib" lines.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    printf "pages/s %.2fx, CPU per page %.2fx, peak RSS %.2fx\n",
      (x[1] / x[2]) / (y[1] / y[2]), (x[3] / x[1]) / (y[3] / y[1]), x[4] / y[4] }'
}

declare -A small
for pages in $PAGES; do
  serve "$pages"
  declare -A result=()
  tools="cookie-audit"
  for p in spider scrapy; do peer "$p" && tools+=" $p"; done
  for tool in $tools; do
    for _ in $(seq "$RUNS"); do
      "run_${tool//-/_}" "$pages"
    done | median >"$out/$tool.median"
    result[$tool]=$(cat "$out/$tool.median")
  done

  echo
  echo "### $pages pages"
  echo
  echo "| crawler | pages | wall s | pages/s | CPU ms/page | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|"
  for tool in $tools; do
    read -r p wall cpu kib <<<"${result[$tool]}"
    awk -v t="$tool" -v p="$p" -v w="$wall" -v c="$cpu" -v k="$kib" \
      'BEGIN { printf "| %s | %d | %.2f | %.0f | %.3f | %.1f |\n", t, p, w, p / w, 1000 * c / p, k / 1024 }'
  done
  echo
  for tool in $tools; do
    [ "$tool" = cookie-audit ] && continue
    echo "cookie-audit / $tool: $(ratio "${result[cookie-audit]}" "${result[$tool]}")"
  done
  [ -n "${small[cookie-audit]:-}" ] &&
    echo "cookie-audit at $pages pages / at ${small[pages]} pages: $(ratio "${result[cookie-audit]}" "${small[cookie-audit]}")"
  [ -n "${small[cookie-audit]:-}" ] || small=([pages]=$pages [cookie-audit]="${result[cookie-audit]}")
done
echo
echo "(PAGES=\"$PAGES\" CONCURRENCY=$CONCURRENCY RUNS=$RUNS PEERS=\"$PEERS\", median run by wall time; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
