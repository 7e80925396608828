//! Writing a complete run: its rows, its counts and the stored copy of its report, with every
//! cookie value left out.
//!
//! The columns and the values that go in them are written once, here, for both backends: a row
//! is a list of [`Value`]s, which both drivers can bind, and each table's statements are built
//! from its column list in the backend's placeholder style. The schemas of the two backends
//! have the same columns (a test holds them equal).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use cookie_audit_model::redact::redact_set_cookie_line;
use cookie_audit_model::{
    ConsentState, DeclaredCookie, Finding, FindingField, ObservedCookie, Report, SameSite,
    StaleReason, Summary,
};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

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

/// One column's value, bindable by either driver. Integers are 64-bit in both schemas
/// (SQLite's INTEGER, PostgreSQL's BIGINT); booleans are 0/1 in SQLite and BOOLEAN in
/// PostgreSQL; times are RFC 3339 text in SQLite and TIMESTAMPTZ in PostgreSQL.
#[derive(Clone, Debug)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(Cow<'a, str>),
    Time(DateTime<Utc>),
}

impl<'a> Value<'a> {
    fn text(text: &'a str) -> Value<'a> {
        Value::Text(Cow::Borrowed(text))
    }

    fn opt_text(text: Option<&'a str>) -> Value<'a> {
        text.map_or(Value::Null, Value::text)
    }

    fn opt_int(n: Option<i64>) -> Value<'a> {
        n.map_or(Value::Null, Value::Int)
    }

    fn opt_bool(b: Option<bool>) -> Value<'a> {
        b.map_or(Value::Null, Value::Bool)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::from(*n),
            Value::Bool(b) => ToSqlOutput::from(*b),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Time(t) => ToSqlOutput::from(crate::timestamp(*t)),
        })
    }
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Text(s) => s.as_ref().to_sql(ty, out),
            Value::Time(t) => t.to_sql(ty, out),
        }
    }

    /// Each variant's own `to_sql` checks the type; a mismatch is a bug the tests catch.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// How a backend writes the n-th parameter (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholder {
    /// `?1`
    Sqlite,
    /// `$1`
    Postgres,
}

impl Placeholder {
    pub(crate) fn nth(self, n: usize) -> String {
        match self {
            Placeholder::Sqlite => format!("?{n}"),
            Placeholder::Postgres => format!("${n}"),
        }
    }
}

/// A table the store writes rows of, by column list.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

impl Table {
    /// `INSERT INTO name (a, b) VALUES (?1, ?2)`.
    pub(crate) fn insert(&self, style: Placeholder) -> String {
        let values: Vec<String> = (1..=self.columns.len()).map(|n| style.nth(n)).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.name,
            self.columns.join(", "),
            values.join(", ")
        )
    }
}

pub(crate) const OBSERVED: Table = Table {
    name: "observed_cookies",
    columns: &[
        "run_id",
        "name",
        "domain",
        "path",
        "host_only",
        "session",
        "lifetime_seconds",
        "secure",
        "http_only",
        "same_site",
        "partitioned",
        "party",
        "source",
        "set_by_url",
        "first_seen_page",
        "pages",
        "value_length",
        "value_sha256",
        "rejected",
        "malformed",
        "state_none",
        "state_accept",
        "state_reject",
        "set_then_deleted",
        "stored_after_accept",
        "stored_after_reject",
    ],
};

pub(crate) const DECLARED: Table = Table {
    name: "declared_cookies",
    columns: &[
        "run_id",
        "position",
        "name",
        "pattern",
        "glob",
        "provider",
        "domain",
        "purpose",
        "category",
        "expiry_text",
        "expiry_session",
        "expiry_seconds",
        "source_url",
        "source_table",
        "source_row",
    ],
};

pub(crate) const FINDINGS: Table = Table {
    name: "findings",
    columns: &[
        "run_id", "position", "code", "kind", "cookie", "domain", "field", "reason", "severity",
        "message", "declared", "observed",
    ],
};

/// The row of an observed cookie: only its fingerprint, never `o.value.value` (present with
/// `--show-values`).
pub(crate) fn observed_row(run: i64, o: &ObservedCookie) -> Vec<Value<'_>> {
    let same_site = o.same_site.map(|s| match s {
        SameSite::Strict => "strict",
        SameSite::Lax => "lax",
        SameSite::None => "none",
    });
    vec![
        Value::Int(run),
        Value::text(&o.name),
        Value::text(&o.domain),
        Value::text(&o.path),
        Value::Bool(o.host_only),
        Value::Bool(o.lifetime.session),
        Value::opt_int(o.lifetime.seconds),
        Value::Bool(o.secure),
        Value::Bool(o.http_only),
        Value::opt_text(same_site),
        Value::Bool(o.partitioned),
        Value::text(o.party.as_str()),
        Value::text(o.source.as_str()),
        Value::text(&o.set_by_url),
        Value::text(&o.first_seen_page),
        Value::Int(o.pages.into()),
        Value::Int(o.value.length as i64),
        Value::text(&o.value.sha256),
        Value::opt_text(o.rejected.as_ref().map(|r| r.reason.as_str())),
        Value::opt_text(o.malformed.as_ref().map(|m| m.error.as_str())),
        // A report without states (made before consent runs) describes a visitor who has not
        // chosen, as every run then did.
        Value::Bool(o.states.is_empty() || o.states.contains(&ConsentState::None)),
        Value::Bool(o.states.contains(&ConsentState::Accept)),
        Value::Bool(o.states.contains(&ConsentState::Reject)),
        Value::Bool(o.set_then_deleted),
        Value::Bool(o.stored_after_click.contains(&ConsentState::Accept)),
        Value::Bool(o.stored_after_click.contains(&ConsentState::Reject)),
    ]
}

pub(crate) fn declared_row(run: i64, position: usize, d: &DeclaredCookie) -> Vec<Value<'_>> {
    vec![
        Value::Int(run),
        Value::Int(position as i64),
        Value::text(&d.name),
        Value::Bool(d.pattern),
        Value::opt_text(d.glob.as_deref()),
        Value::opt_text(d.provider.as_deref()),
        Value::opt_text(d.domain.as_deref()),
        Value::opt_text(d.purpose.as_deref()),
        Value::opt_text(d.category.as_deref()),
        Value::opt_text(d.expiry.as_ref().map(|e| e.text.as_str())),
        Value::opt_bool(d.expiry.as_ref().and_then(|e| e.session)),
        Value::opt_int(d.expiry.as_ref().and_then(|e| e.seconds)),
        Value::text(&d.source.url),
        Value::Int(d.source.table.into()),
        Value::Int(d.source.row.into()),
    ]
}

pub(crate) fn finding_row(run: i64, position: usize, f: &Finding) -> Vec<Value<'_>> {
    vec![
        Value::Int(run),
        Value::Int(position as i64),
        Value::text(f.code.as_str()),
        Value::text(f.kind.as_str()),
        Value::text(&f.cookie),
        Value::opt_text(f.domain.as_deref()),
        Value::opt_text(f.field.map(FindingField::as_str)),
        Value::opt_text(f.reason.map(StaleReason::as_str)),
        Value::text(f.severity.as_str()),
        Value::text(&f.message),
        Value::opt_text(f.declared.as_deref()),
        Value::opt_text(f.observed.as_deref()),
    ]
}

/// Every row of a report, table by table.
pub(crate) fn rows(run: i64, report: &Report) -> [(&'static Table, Vec<Vec<Value<'_>>>); 3] {
    [
        (
            &OBSERVED,
            report
                .observed
                .iter()
                .map(|o| observed_row(run, o))
                .collect(),
        ),
        (
            &DECLARED,
            report
                .declared
                .iter()
                .enumerate()
                .map(|(i, d)| declared_row(run, i, d))
                .collect(),
        ),
        (
            &FINDINGS,
            report
                .findings
                .iter()
                .enumerate()
                .map(|(i, f)| finding_row(run, i, f))
                .collect(),
        ),
    ]
}

/// What marking a run complete sets, after `status = 'complete'`: the columns and their values.
/// The last write of completing a run: a run is complete only once everything else about it is
/// in.
const COMPLETE_COLUMNS: [&str; 20] = [
    "finished_at",
    "engine",
    "tool_version",
    "declaration_status",
    "declaration_hash",
    "declared",
    "observed",
    "undeclared",
    "stale",
    "misdescribed",
    "high",
    "medium",
    "low",
    "report_json",
    "error",
    "consent",
    "cmp_mismatch",
    "coverage_pages",
    "coverage_previous_pages",
    "coverage_revisited",
];

/// `UPDATE runs SET status = 'complete', finished_at = ?2, … WHERE id = ?1`.
pub(crate) fn mark_complete_sql(style: Placeholder) -> String {
    let sets: Vec<String> = COMPLETE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = {}", style.nth(i + 2)))
        .collect();
    format!(
        "UPDATE runs SET status = 'complete', {} WHERE id = {}",
        sets.join(", "),
        style.nth(1)
    )
}

/// The values of [`mark_complete_sql`], the run's id first.
pub(crate) fn mark_complete_values<'a>(
    run: i64,
    report: &'a Report,
    report_json: &'a str,
) -> Vec<Value<'a>> {
    // Counted from the lists the rows came from, so history agrees with the stored rows.
    let counts = Summary::tally(&report.declared, &report.observed, &report.findings);
    let declaration_status = report.declaration.status.as_str();
    let coverage = report.changes.as_ref().and_then(|c| c.coverage);
    let values = vec![
        Value::Int(run),
        Value::Time(report.finished_at),
        Value::text(report.engine.as_str()),
        Value::text(&report.tool.version),
        Value::text(declaration_status),
        Value::Text(Cow::Owned(declaration_hash(&report.declared))),
        Value::Int(counts.declared.into()),
        Value::Int(counts.observed.into()),
        Value::Int(counts.undeclared.into()),
        Value::Int(counts.stale.into()),
        Value::Int(counts.misdescribed.into()),
        Value::Int(counts.high.into()),
        Value::Int(counts.medium.into()),
        Value::Int(counts.low.into()),
        Value::text(report_json),
        Value::Null,
        Value::Int(counts.consent.into()),
        Value::Int(counts.cmp_mismatch.into()),
        Value::opt_int(coverage.map(|c| c.pages_visited.into())),
        Value::opt_int(coverage.map(|c| c.previous_pages_visited.into())),
        Value::opt_int(coverage.map(|c| c.pages_revisited.into())),
    ];
    debug_assert_eq!(values.len(), COMPLETE_COLUMNS.len() + 1);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_built_in_each_backends_placeholders() {
        let table = Table {
            name: "t",
            columns: &["a", "b"],
        };
        assert_eq!(
            table.insert(Placeholder::Sqlite),
            "INSERT INTO t (a, b) VALUES (?1, ?2)"
        );
        assert_eq!(
            table.insert(Placeholder::Postgres),
            "INSERT INTO t (a, b) VALUES ($1, $2)"
        );
        let sql = mark_complete_sql(Placeholder::Postgres);
        assert!(sql.starts_with("UPDATE runs SET status = 'complete', finished_at = $2,"));
        assert!(
            sql.ends_with("coverage_revisited = $21 WHERE id = $1"),
            "{sql}"
        );
    }
}
