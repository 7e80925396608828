#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what the tests need (Debian's chromium,
# for the browser engine and the HTML report checks; Debian's postgresql, whose binaries the
# history store's tests start a throwaway server from; make, which builds jemalloc), then runs
# every test of the workspace.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p cookie-audit-crawl`).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# jemalloc, the binary's allocator, is built from source by its configure script and make.
if ! command -v make >/dev/null 2>&1; then
  missing+=(make)
fi
if [ -z "${CHROME:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# Debian keeps initdb in /usr/lib/postgresql/<version>/bin, off the PATH.
if [ -z "${COOKIE_AUDIT_PG_BIN:-}" ] && ! command -v initdb >/dev/null 2>&1 &&
  ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian's ${missing[*]} (the build, the browser engine, report and history tests need them)..." >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Incremental builds only cost time on a clean machine.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# A hung test must fail CI with a message, not eat its 90 minutes.
exec timeout --kill-after=30s 40m cargo test --workspace --locked "$@"
