#!/usr/bin/env bash
# The audit job's benchmark: SITES virtual council sites (host names on 127.0.0.1, one loopback
# server) audited in one run with every site in parallel. Records the wall time and peak RSS of
# `cookie-audit audit` and compares the wall time with the politeness bound: the requests each
# site's host must receive (robots.txt, sitemap.xml, every page) divided by the per-host rate.
#
#   scripts/bench-audit.sh                       # 50 sites x 20 pages at 2 requests/s per host
#   SITES=10 PAGES=10 RATE=5 scripts/bench-audit.sh
#
# Needs: a Rust toolchain and GNU time (/usr/bin/time). Builds release binaries.
set -euo pipefail

SITES=${SITES:-50}
PAGES=${PAGES:-20}
RATE=${RATE:-2}

cd "$(dirname "$0")/.."
cargo build --release --quiet -p cookie-audit --bin cookie-audit
cargo build --release --quiet -p cookie-audit-fixtures --example audit_sites

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

target/release/examples/audit_sites --sites "$SITES" --pages "$PAGES" --rate "$RATE" \
    --config "$work/audit.toml" >"$work/server.json" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [[ -s "$work/audit.toml" ]] && break; sleep 0.1; done
[[ -s "$work/audit.toml" ]] || { echo "the fixture server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

# Other work on the machine slows the audit down: say how busy it was.
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)
start=$(date +%s.%N)
set +e
/usr/bin/time -v -o "$work/time.txt" target/release/cookie-audit audit \
    --config "$work/audit.toml" --out-dir "$work/reports" --db "$work/history.db" \
    --sites-concurrency "$SITES" --format json >"$work/summary.json" 2>"$work/audit.log"
status=$?
set -e
end=$(date +%s.%N)

kill -INT "$server_pid"
wait "$server_pid" || true
server_pid=

complete=$(grep -c '"status": "complete"' "$work/summary.json" || true)
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
per_host=$(sed -E 's/.*"max_per_host": ([0-9]+).*/\1/' "$work/server.json")
expected=$(sed -E 's/.*"expected_per_host": ([0-9]+).*/\1/' "$work/server.json")

awk -v start="$start" -v end="$end" -v rss="$rss_kb" -v n="$per_host" -v rate="$RATE" \
    -v sites="$SITES" -v pages="$PAGES" -v complete="$complete" -v expected="$expected" \
    -v status="$status" -v load="$load" -v cpus="$(nproc)" 'BEGIN {
    wall = end - start
    bound = n / rate
    printf "sites: %d (%d complete), pages per site: %d, rate: %s requests/s per host\n", sites, complete, pages, rate
    printf "requests per host: %d (expected %d)\n", n, expected
    printf "politeness bound: %.2f s (requests per host / rate, sites in parallel)\n", bound
    printf "wall time: %.2f s (%.3f x the bound; target <= 1.2)\n", wall, wall / bound
    printf "peak RSS: %.1f MB\n", rss / 1024
    printf "exit status: %d, load average at start: %s on %d CPUs\n", status, load, cpus
}'
if [[ "$complete" -ne "$SITES" ]]; then
    echo "not every site completed; the audit said:" >&2
    cat "$work/audit.log" >&2
    exit 1
fi
