//! Extraction time for a ~200 KB page (target: 5 ms). Run with
//! `cargo bench -p cookie-audit-declared`; figures are recorded in docs/PERFORMANCE.md.
//! The two ~200 KB pages are described in `benches/pages/mod.rs`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod pages;

fn bench(c: &mut Criterion) {
    let url = url::Url::parse("https://www.example.gov.uk/cookies").expect("valid URL");
    let mut group = c.benchmark_group("extract");
    for (name, html) in [
        ("council_page_200kb", pages::council_page()),
        ("all_shapes_200kb", pages::all_shapes()),
    ] {
        group.throughput(Throughput::Bytes(html.len() as u64));
        let found = cookie_audit_declared::extract_declarations(&html, &url);
        assert!(!found.cookies.is_empty(), "{name} declares cookies");
        group.bench_function(name, |b| {
            b.iter(|| cookie_audit_declared::extract_declarations(black_box(&html), &url))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
