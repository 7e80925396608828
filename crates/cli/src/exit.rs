//! Exit codes, one documented enum (README "Exit codes").

use cookie_audit_model::{FailOn, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The audit ran and no finding reached `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// Usage error, or nothing could be audited (start URL unreachable, browser failed to start,
    /// output not writable), or the scan was interrupted (Ctrl-C, SIGTERM; a second one too).
    Error = 2,
}

impl Exit {
    /// The exit for a finished report under `--fail-on`.
    pub(crate) fn for_report(report: &Report, fail_on: FailOn) -> Exit {
        if cookie_audit_audit::fails(report, fail_on) {
            Exit::Findings
        } else {
            Exit::Clean
        }
    }

    pub(crate) fn code(self) -> std::process::ExitCode {
        std::process::ExitCode::from(self as u8)
    }
}
