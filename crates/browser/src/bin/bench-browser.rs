//! Placeholder replaced in the benchmark commit.
fn main() {}
