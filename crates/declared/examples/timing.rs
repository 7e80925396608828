//! Splits the time of reading one page into HTML parsing and everything else:
//! `cargo run --release -p cookie-audit-declared --example timing -- [page.html | --council | --all-shapes] [iterations]`.
//! `--council` and `--all-shapes` are the bench's generated pages (`benches/pages/mod.rs`).

use std::time::Instant;

#[path = "../benches/pages/mod.rs"]
mod pages;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(source) = args.next() else {
        eprintln!("usage: timing <file.html | --council | --all-shapes> [iterations]");
        std::process::exit(2);
    };
    let iterations: u32 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50)
        .max(1);
    let html = match source.as_str() {
        "--council" => pages::council_page(),
        "--all-shapes" => pages::all_shapes(),
        path => match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        },
    };
    let url = url::Url::parse("https://www.example.gov.uk/cookies").expect("a valid URL");
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(scraper::Html::parse_document(&html));
    }
    let parse = start.elapsed() / iterations;
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(cookie_audit_declared::extract_declarations(&html, &url));
    }
    let total = start.elapsed() / iterations;
    println!(
        "{} bytes: html5ever parse {parse:?}, whole extraction {total:?} (mean of {iterations})",
        html.len()
    );
}
