//! Integration tests of the crawl, against the fixture council on loopback. One binary: linking
//! once keeps the suite fast on CI's two cores.

mod support;

mod crawl_fixture;
mod network;
mod politeness;
