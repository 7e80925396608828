//! Runs the built binary against fixture servers on loopback.

use std::process::{Command, Output};

use cookie_audit_fixtures::FixtureServer;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_cookie-audit");

/// `cookie-audit scan URL` with the fixture's hosts mapped, offline, no rate limit.
pub(crate) fn scan(server: &FixtureServer, url: &str, extra: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("scan").arg(url).args([
        "--engine",
        "http",
        "--offline",
        "--insecure",
        "--rate",
        "0",
        "--timeout",
        "5",
    ]);
    for r in server.resolve_args() {
        cmd.arg("--resolve").arg(r);
    }
    cmd.args(extra);
    cmd.env_remove("RUST_LOG");
    cmd.output().expect("the binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Starts the council fixture on a runtime of its own that lives as long as the test.
pub(crate) fn council() -> (tokio::runtime::Runtime, FixtureServer) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(cookie_audit_fixtures::council::start())
        .unwrap();
    (runtime, server)
}
