#!/bin/sh
# Browser engine benchmark (docs/PERFORMANCE.md, "Browser engine"): a 40-page fixture site on
# loopback, 1 and 4 tabs, --settle-ms 1500 (the default) and 500. Extra options go to the
# benchmark binary: --pages N, --tabs 1,4, --settle-ms 1500,500, --chrome PATH.
set -eu
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p cookie-audit-browser --features bench --bin bench-browser -- "$@"
