//! The audit library's integration tests, in one binary.

mod consent;
mod consent_variants;
mod contract;
mod docs;
