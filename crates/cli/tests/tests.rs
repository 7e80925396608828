//! Integration tests of the `cookie-audit` binary, gathered in one test binary.

mod browser;
