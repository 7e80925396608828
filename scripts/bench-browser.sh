#!/bin/sh
# Browser engine benchmark (docs/PERFORMANCE.md, "Browser engine"): a generated council with
# third parties, 90 pages, --engine browser at the default settings but --rate 0, on loopback.
# Options go to the benchmark binary: --site benchshire|exampleshire|bench, --pages N,
# --tabs 4 (a list: 1,4), --settle-ms default (a list: default,1500,500), --chrome PATH.
# `--site bench --tabs 1,4 --settle-ms 1500,500` is the older 40-page run on the generated site.
set -eu
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p cookie-audit-browser --features bench --bin bench-browser -- "$@"
