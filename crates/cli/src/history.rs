//! `cookie-audit history <site>` and `cookie-audit rounds [ROUND]`: what the history database
//! holds about a site's runs and about audit rounds (the data and its tables are the library's:
//! [`cookie_audit_audit::history`], [`cookie_audit_audit::views`]).

use std::time::Duration;

use cookie_audit_audit::job::config;
use cookie_audit_audit::views::{history_table, round_table, rounds_table};
use cookie_audit_audit::{history_location, list_rounds, round_progress, site_history};
use cookie_audit_store::Lease;

use crate::cli::{HistoryArgs, RoundsArgs};
use crate::exit::Exit;
use crate::options::ScanOptions;
use crate::output::print_listing;

/// `cookie-audit history <site>`.
pub(crate) async fn history(args: HistoryArgs) -> anyhow::Result<Exit> {
    let db = history_location(args.db.as_deref(), args.config.as_deref());
    let history = site_history(&db, &args.site).await?;
    print_listing(&history, args.format, history_table)?;
    Ok(Exit::Clean)
}

/// `cookie-audit rounds [ROUND]`.
pub(crate) async fn rounds(args: RoundsArgs) -> anyhow::Result<Exit> {
    let db = history_location(args.db.as_deref(), args.config.as_deref());
    let Some(round) = &args.round else {
        let listing = list_rounds(&db).await?;
        print_listing(&listing, args.format, rounds_table)?;
        return Ok(Exit::Clean);
    };
    // The config's sites are the round's list, so sites no worker has begun show as "left".
    let sites: Option<Vec<String>> = match &args.config {
        Some(path) => Some(
            config::load(path, &ScanOptions::default())?
                .sites
                .into_iter()
                .map(|s| s.id)
                .collect(),
        ),
        None => None,
    };
    let lease = Lease::new(Duration::from_secs(args.lease));
    let progress = round_progress(&db, round, sites.as_deref(), lease).await?;
    let listed = sites.is_some();
    print_listing(&progress, args.format, |progress| {
        round_table(progress, listed)
    })?;
    Ok(Exit::Clean)
}
