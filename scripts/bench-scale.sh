#!/usr/bin/env bash
# Audit workers sharing one PostgreSQL history (issue 19): SITES virtual council sites on one
# loopback server, audited three ways, each in its own fresh database and round:
#
#   one    one worker, --sites-concurrency CONCURRENCY
#   shards WORKERS workers at once, --shard i/WORKERS, the same round, CONCURRENCY sites each
#   wide   one worker, --sites-concurrency CONCURRENCY x WORKERS (the same sites at once as
#          `shards`, without the claims between processes: what the coordination costs)
#
# Prints each wall time, the sites each worker audited, the round's progress as `cookie-audit
# rounds` reads it, and the requests each host received (every site audited once per round means
# exactly 3 x (PAGES + 2) per host: robots.txt, sitemap.xml and every page, in each of the three).
#
#   scripts/bench-scale.sh                          # 36 sites x 10 pages, 4 requests/s per host
#   SITES=60 WORKERS=4 PROFILE=release scripts/bench-scale.sh
#
# Needs: a Rust toolchain, Debian's postgresql (initdb, pg_ctl, createdb: run as the postgres user
# when we are root), GNU time. PROFILE (default release) is the cargo profile to build.
set -euo pipefail

SITES=${SITES:-36}
PAGES=${PAGES:-10}
RATE=${RATE:-4}
WORKERS=${WORKERS:-3}
CONCURRENCY=${CONCURRENCY:-4}
PROFILE=${PROFILE:-release}

cd "$(dirname "$0")/.."
cargo build --profile "$PROFILE" --quiet -p cookie-audit --bin cookie-audit
cargo build --profile "$PROFILE" --quiet -p cookie-audit-fixtures --example audit_sites
out_dir=target/$([[ "$PROFILE" == dev ]] && echo debug || echo "$PROFILE")
bin=$out_dir/cookie-audit

pg_bin=${COOKIE_AUDIT_PG_BIN:-$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")}
as_pg=()
if [[ "$(id -u)" -eq 0 ]]; then as_pg=(runuser -u postgres --); fi

work=$(mktemp -d)
chmod 755 "$work"
pg_dir=$work/pg
server_pid=
pg_started=
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    if [[ -n "$pg_started" ]]; then "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A throwaway PostgreSQL on a free loopback port, as the tests start one (crates/fixtures/src/postgres.rs).
mkdir -m 700 "$pg_dir"
if [[ "${#as_pg[@]}" -gt 0 ]]; then chown postgres: "$pg_dir"; fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
port=
for candidate in $(shuf -i 20000-60000 -n 20); do
    if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $candidate -k $pg_dir -c max_connections=200" start >/dev/null; then
        port=$candidate
        break
    fi
done
[[ -n "$port" ]] || { echo "PostgreSQL did not start:" >&2; cat "$pg_dir/server.log" >&2; exit 1; }
pg_started=1
db_url() { echo "postgres://postgres@127.0.0.1:$port/$1"; }
for db in one shards wide; do "${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"; done

"$out_dir/examples/audit_sites" --sites "$SITES" --pages "$PAGES" --rate "$RATE" \
    --config "$work/audit.toml" >"$work/server.json" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [[ -s "$work/audit.toml" ]] && break; sleep 0.1; done
[[ -s "$work/audit.toml" ]] || { echo "the fixture server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

now() { date +%s.%N; }
# worker NAME DB ROUND [audit flags…]: one audit worker, its summary in NAME.json.
worker() {
    local name=$1 db=$2 round=$3
    shift 3
    /usr/bin/time -f "%e s wall, %U s user, %S s system, %M KB peak RSS" -o "$work/$name.time" \
        "$bin" audit --config "$work/audit.toml" --out-dir "$work/reports-$db" --db "$(db_url "$db")" \
        --round "$round" --format json "$@" >"$work/$name.json" 2>"$work/$name.log"
}
complete() { grep -c '"status": "complete"' "$work/$1.json" || true; }

load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)
status=0
start=$(now)
worker one one round-one --sites-concurrency "$CONCURRENCY" || status=$?
one_wall=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')

start=$(now)
pids=()
for ((i = 0; i < WORKERS; i++)); do
    worker "shard-$i" shards round-shards --shard "$i/$WORKERS" --sites-concurrency "$CONCURRENCY" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
shards_wall=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')

start=$(now)
worker wide wide round-wide --sites-concurrency $((CONCURRENCY * WORKERS)) || status=$?
wide_wall=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')

"$bin" rounds round-shards --db "$(db_url shards)" --config "$work/audit.toml" --format json >"$work/progress.json"
kill -INT "$server_pid"
wait "$server_pid" || true
server_pid=

per_site=$((PAGES + 2))
echo "sites: $SITES of $PAGES pages, $RATE requests/s per host; load average at start: $load on $(nproc) CPUs; profile: $PROFILE"
echo "politeness bound per site: $per_site requests / $RATE per s = $(awk -v n=$per_site -v r="$RATE" 'BEGIN { printf "%.1f", n / r }') s"
echo "one worker, $CONCURRENCY sites at once: ${one_wall} s ($(complete one) sites complete; $(cat "$work/one.time"))"
echo "$WORKERS workers, $CONCURRENCY sites at once each: ${shards_wall} s"
for ((i = 0; i < WORKERS; i++)); do
    echo "  shard $i/$WORKERS: $(complete "shard-$i") sites complete; $(cat "$work/shard-$i.time")"
done
echo "one worker, $((CONCURRENCY * WORKERS)) sites at once: ${wide_wall} s ($(complete wide) sites complete; $(cat "$work/wide.time"))"
awk -v one="$one_wall" -v shards="$shards_wall" -v wide="$wide_wall" -v w="$WORKERS" 'BEGIN {
    printf "speed-up over one worker: %d workers %.2fx, one worker as wide %.2fx\n", w, one / shards, one / wide
}'
echo "round-shards as \`cookie-audit rounds\` reads it: $(tr -d ' \n' <"$work/progress.json" | grep -o '"complete":[0-9]*,"failed":[0-9]*,"in_progress":[0-9]*,"stalled":[0-9]*,"left":[0-9]*')"
echo "requests per host over the three rounds: $(cat "$work/server.json") (expected $((3 * per_site)) each)"

expected=$((3 * per_site))
max=$(sed -E 's/.*"max_per_host": ([0-9]+).*/\1/' "$work/server.json")
min=$(sed -E 's/.*"min_per_host": ([0-9]+).*/\1/' "$work/server.json")
shards_complete=0
for ((i = 0; i < WORKERS; i++)); do shards_complete=$((shards_complete + $(complete "shard-$i"))); done
if [[ "$status" -ne 0 || "$(complete one)" -ne "$SITES" || "$(complete wide)" -ne "$SITES" ||
    "$shards_complete" -ne "$SITES" || "$max" -ne "$expected" || "$min" -ne "$expected" ]]; then
    echo "not every site was audited exactly once per round; the workers said:" >&2
    cat "$work"/*.log >&2
    exit 1
fi
