//! End-to-end tests of the `cookie-audit` binary. One test binary: linking once keeps CI fast.

mod support;

mod audit;
mod browser;
mod consent;
mod declared;
mod deploy;
mod docs;
mod findings;
mod hostile;
mod scan;
mod ux;
