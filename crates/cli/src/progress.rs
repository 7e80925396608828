//! What the user sees while a command runs: a progress bar on stderr when it is a terminal
//! (nothing otherwise), and the signal that stops it.

use std::io::IsTerminal;

use cookie_audit_crawl::{NoProgress, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use url::Url;

struct Bar(ProgressBar);

impl Progress for Bar {
    fn page_done(&self, url: &Url, done: u32, known: u32) {
        self.0.set_length(known as u64);
        self.0.set_position(done.min(known) as u64);
        self.0
            .set_message(url.path().chars().take(60).collect::<String>());
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A bar when stderr is a terminal and not `--quiet`.
pub(crate) fn for_terminal(quiet: bool) -> Box<dyn Progress> {
    if quiet || !std::io::stderr().is_terminal() {
        return Box::new(NoProgress);
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        // `len` is the pages known so far (it grows as links are found), so the ETA is for
        // those: a floor, said as "about".
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} pages, {elapsed} so far, about {eta} left {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Box::new(Bar(bar))
}

/// The first SIGTERM or SIGINT, by name. Pending for ever if the handlers cannot be installed
/// (the default action then applies, as before).
pub(crate) async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
