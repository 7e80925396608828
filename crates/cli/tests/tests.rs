//! The `cookie-audit` binary's integration tests, one test binary (see STYLE.md).

mod audit;
