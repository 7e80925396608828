//! The audit library's integration tests, in one binary.

mod contract;
mod docs;
