//! Integration tests of the declared-table extractor, gathered in one binary.

mod declaration;
mod fixtures;
mod robustness;
mod seeds;
