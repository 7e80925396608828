//! Writing a complete run: its rows, its counts and the stored copy of its report, with every
//! cookie value left out.

use cookie_audit_model::redact::redact_set_cookie_line;
use cookie_audit_model::{
    Finding, FindingField, ObservedCookie, Report, SameSite, StaleReason, Summary,
};
use rusqlite::{Transaction, params};

use crate::changes::declaration_hash;

/// The report as the store keeps it: values dropped even when the audit ran with
/// `--show-values`. The database is long-lived and copied around; the report file the user
/// asked for is where values belong.
pub(crate) fn without_values(report: &Report) -> Report {
    let mut stored = report.clone();
    let had_values =
        report.config.show_values || report.observed.iter().any(|o| o.value.value.is_some());
    for cookie in &mut stored.observed {
        cookie.value.value = None;
        if had_values && let Some(malformed) = &mut cookie.malformed {
            // With --show-values the raw line kept its value; redact it as a default run would
            // have. (Without, it is redacted already and must not be redacted twice.)
            malformed.raw = redact_set_cookie_line(&malformed.raw, false);
        }
    }
    stored
}

pub(crate) fn insert_rows(tx: &Transaction<'_>, run: i64, report: &Report) -> rusqlite::Result<()> {
    let mut observed = tx.prepare(
        "INSERT INTO observed_cookies (run_id, name, domain, path, host_only, session,
             lifetime_seconds, secure, http_only, same_site, partitioned, party, source,
             set_by_url, first_seen_page, pages, value_length, value_sha256, rejected, malformed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20)",
    )?;
    for o in &report.observed {
        insert_observed(&mut observed, run, o)?;
    }

    let mut declared = tx.prepare(
        "INSERT INTO declared_cookies (run_id, position, name, pattern, glob, provider, domain,
             purpose, category, expiry_text, expiry_session, expiry_seconds, source_url,
             source_table, source_row)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for (position, d) in report.declared.iter().enumerate() {
        declared.execute(params![
            run,
            position as i64,
            d.name,
            d.pattern,
            d.glob,
            d.provider,
            d.domain,
            d.purpose,
            d.category,
            d.expiry.as_ref().map(|e| e.text.as_str()),
            d.expiry.as_ref().and_then(|e| e.session),
            d.expiry.as_ref().and_then(|e| e.seconds),
            d.source.url,
            d.source.table,
            d.source.row,
        ])?;
    }

    let mut findings = tx.prepare(
        "INSERT INTO findings (run_id, position, code, kind, cookie, domain, field, reason,
             severity, message, declared, observed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (position, f) in report.findings.iter().enumerate() {
        insert_finding(&mut findings, run, position, f)?;
    }
    Ok(())
}

fn insert_observed(
    statement: &mut rusqlite::Statement<'_>,
    run: i64,
    o: &ObservedCookie,
) -> rusqlite::Result<usize> {
    let same_site = o.same_site.map(|s| match s {
        SameSite::Strict => "strict",
        SameSite::Lax => "lax",
        SameSite::None => "none",
    });
    let source = o.source.as_str();
    // Only the fingerprint: `o.value.value` (present with --show-values) is never written.
    statement.execute(params![
        run,
        o.name,
        o.domain,
        o.path,
        o.host_only,
        o.lifetime.session,
        o.lifetime.seconds,
        o.secure,
        o.http_only,
        same_site,
        o.partitioned,
        o.party.as_str(),
        source,
        o.set_by_url,
        o.first_seen_page,
        o.pages,
        o.value.length as i64,
        o.value.sha256,
        o.rejected.as_ref().map(|r| r.reason.as_str()),
        o.malformed.as_ref().map(|m| m.error.as_str()),
    ])
}

fn insert_finding(
    statement: &mut rusqlite::Statement<'_>,
    run: i64,
    position: usize,
    f: &Finding,
) -> rusqlite::Result<usize> {
    statement.execute(params![
        run,
        position as i64,
        f.code.as_str(),
        f.kind.as_str(),
        f.cookie,
        f.domain,
        f.field.map(FindingField::as_str),
        f.reason.map(StaleReason::as_str),
        f.severity.as_str(),
        f.message,
        f.declared,
        f.observed,
    ])
}

/// Marks the run complete with its counts and stored report. The last write of `complete_run`:
/// a run is complete only once everything else about it is in.
pub(crate) fn mark_complete(
    tx: &Transaction<'_>,
    run: i64,
    report: &Report,
    report_json: &str,
) -> rusqlite::Result<usize> {
    // Counted from the lists the rows came from, so history agrees with the stored rows.
    let counts = Summary::tally(&report.declared, &report.observed, &report.findings);
    let declaration_status = match report.declaration.status {
        cookie_audit_model::DeclarationStatus::Found => "found",
        cookie_audit_model::DeclarationStatus::NotFound => "not_found",
    };
    tx.execute(
        "UPDATE runs SET status = 'complete', finished_at = ?2, engine = ?3, tool_version = ?4,
             declaration_status = ?5, declaration_hash = ?6, declared = ?7, observed = ?8,
             undeclared = ?9, stale = ?10, misdescribed = ?11, high = ?12, medium = ?13,
             low = ?14, report_json = ?15, error = NULL
         WHERE id = ?1",
        params![
            run,
            crate::timestamp(report.finished_at),
            report.engine.as_str(),
            report.tool.version,
            declaration_status,
            declaration_hash(&report.declared),
            counts.declared,
            counts.observed,
            counts.undeclared,
            counts.stale,
            counts.misdescribed,
            counts.high,
            counts.medium,
            counts.low,
            report_json,
        ],
    )
}
