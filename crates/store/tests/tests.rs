//! One test binary for the crate (linking once keeps the suite fast on CI's two cores).

mod changes;
mod crash;
mod runs;
mod support;
