fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: u32 = std::env::args().nth(2).map_or(50, |s| s.parse().unwrap());
    let html = std::fs::read_to_string(path).unwrap();
    let url = url::Url::parse("https://x.gov.uk/").unwrap();
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(scraper::Html::parse_document(&html));
    }
    eprintln!("parse {:?}", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(cookie_audit_declared::extract_declarations(&html, &url));
    }
    eprintln!("extract {:?}", t.elapsed() / n);
}
