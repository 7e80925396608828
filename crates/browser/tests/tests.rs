//! The browser engine's integration tests, against a real Chromium (they fail, never skip, when
//! it is missing). One test binary, so linking stays fast.

mod support;

mod ashdown;
mod latchford;
mod lifecycle;
