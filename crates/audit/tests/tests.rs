//! The audit library's integration tests, in one binary.

mod consent;
mod contract;
mod docs;
