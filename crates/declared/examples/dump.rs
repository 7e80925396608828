//! Prints what the extractor reads from an HTML file, as JSON:
//! `cargo run -p cookie-audit-declared --example dump -- page.html [URL]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: dump <file.html> [url]");
        std::process::exit(2);
    };
    let url = args
        .next()
        .unwrap_or_else(|| "https://council.example.gov.uk/cookies".to_string());
    let html = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let url = match url::Url::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("{url}: {e}");
            std::process::exit(2);
        }
    };
    let page = cookie_audit_declared::extract_declarations(&html, &url);
    let out = serde_json::json!({
        "tables": page.tables,
        "cookies": page.cookies,
        "prose_mentions": page.prose_mentions,
        "warnings": page.warnings,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("JSON of plain data")
    );
}
