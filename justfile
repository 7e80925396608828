# Thin recipes over the documented commands (a fresh machine has cargo, not just: every recipe
# is a command you can also type).

# Scan a site: just scan https://www.barnet.gov.uk/
scan url *args:
    cargo run --release -p cookie-audit -- scan {{url}} {{args}}

# The offline demo against the bundled fixture council.
demo *args:
    cargo run --release -p cookie-audit -- demo {{args}}

# The whole test suite (installs Chromium when missing).
test *args:
    scripts/test.sh {{args}}

# What CI runs.
ci:
    .ci/run

# Formatting and lints.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Long fuzz runs, not part of the tests (see docs/SECURITY.md): just fuzz, just fuzz expiry 60
fuzz *args:
    scripts/fuzz.sh {{args}}

# Benchmarks (see docs/PERFORMANCE.md).
bench:
    scripts/bench-crawl.sh
