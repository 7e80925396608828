# cookie-audit in a container: Debian stable (slim), Debian's own Chromium for the browser engine,
# the release binary, and a non-root user. Used by deploy/kubernetes/ (docs/scaling.md).
#
#   docker build -t cookie-audit .
#   docker run --rm -e COOKIE_AUDIT_DB=postgres://… -v "$PWD/config:/etc/cookie-audit:ro" \
#       --shm-size=512m --security-opt seccomp=unconfined \
#       cookie-audit audit --config /etc/cookie-audit/audit.toml --out-dir /tmp/reports
#
# The last two options are for the browser engine: Chromium shares memory between its processes
# through /dev/shm (64 MiB by default in a container), and its sandbox, on for a non-root user,
# needs user namespaces, which Docker's default seccomp profile refuses (docs/scaling.md).
#
# The builder is Debian 12 (bookworm): a binary linked against its glibc runs on that and every
# later Debian, so the runtime can follow `stable` as it moves on.

FROM rust:1-slim-bookworm AS build
# make: jemalloc, the binary's allocator, is built from source with configure and make, which the
# slim image lacks. The bundled SQLite and ring need only the C compiler it has; rustls means no
# OpenSSL.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# --locked: the dependencies the tests ran with.
RUN cargo build --release --locked -p cookie-audit --bin cookie-audit \
    && strip target/release/cookie-audit

FROM debian:stable-slim
# chromium: the browser engine (found on PATH, or $CHROME). fonts-liberation: pages lay out as
# in a visitor's browser (fonts change what is visible, and so what a banner's buttons are).
# ca-certificates: HTTPS sites and webhooks. tini: PID 1 that passes SIGTERM to cookie-audit and
# reaps Chromium's processes.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium fonts-liberation ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid, so Kubernetes' runAsNonRoot can check it and volumes can be owned by it.
RUN groupadd --system --gid 10001 cookie-audit \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/cookie-audit --create-home \
        --shell /usr/sbin/nologin cookie-audit
COPY --from=build /src/target/release/cookie-audit /usr/local/bin/cookie-audit
ENV CHROME=/usr/bin/chromium
USER 10001:10001
WORKDIR /home/cookie-audit
ENTRYPOINT ["/usr/bin/tini", "--", "cookie-audit"]
CMD ["--help"]
