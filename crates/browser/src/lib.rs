//! The browser engine: what a visitor's Chrome stores, JavaScript cookies included.
//!
//! - [`launch`]: finding Chromium and starting it so it cannot outlive us (process group and a
//!   watchdog), with a fresh profile that allows third-party cookies as a visitor's Chrome does.
//! - `tap`: the DevTools side channel — a loopback proxy that reads every event as raw JSON
//!   before chromiumoxide decodes it, so no Set-Cookie is lost to a decode failure.
//! - `proxy`: the SSRF guard — an HTTP proxy on loopback through which Chromium makes every
//!   connection, resolved and judged by the HTTP client's own guard.
//! - `capture`: raw events of one visit → recorded cookies (headers, script writes, the jar).
//! - [`consent`]: consent banners — rules, the choice, its verification, the platform's list.
//! - `engine`: [`BrowserEngine`], the pool of tabs and a retry when a tab or the browser dies.
//! - `running`: one running browser, its tabs (all opened by one function), and how it presents
//!   itself (a visitor's desktop Chrome).
//! - `visit`: the visit of one page: navigate, settle, classify, read, record, leave the tab.
//! - `settle`: when a page has settled — the rule, as a pure state machine.
//! - `classify`: what a visit's outcome was, from what its document did — a pure function.
//! - [`procs`]: `/proc` helpers: a browser's processes and their memory (PSS).
//!
//! **Architecture invariant:** Chromium is always killed, with its whole process group, when the
//! engine shuts down, is dropped, or its process dies (even by SIGKILL).

#[cfg(test)]
mod agreement;
mod capture;
mod classify;
pub mod consent;
mod engine;
mod error;
pub mod launch;
pub mod procs;
mod proxy;
mod running;
mod settle;
mod tap;
mod visit;

pub use consent::{ConsentLook, ConsentPlan, ConsentRules};
pub use engine::{
    BrowserEngine, BrowserOptions, BrowserSettings, COOKIE_POLICY, DEFAULT_SETTLE_MS, DEFAULT_TABS,
    MAX_SETTLE_MS, SiteExtras, VisitStats,
};
pub use error::BrowserError;
pub use launch::{MARKER_ENV, find_chrome};
pub use settle::MAX_EXTENSION;
