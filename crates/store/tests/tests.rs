//! One test binary for the crate (linking once keeps the suite fast on CI's two cores).
//! Most tests run against both backends: see [`backends`].

#[macro_use]
mod backends;
mod changes;
mod crash;
mod postgres;
mod rounds;
mod runs;
mod support;
