//! A site's audit runs over time, and audit rounds' progress across workers, read from the
//! history database (`cookie-audit history`, `cookie-audit rounds`).

use std::path::PathBuf;

use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::{host_of, parse_start_url};
use cookie_audit_store::{
    Lease, Location, RoundId, RoundProgress, RoundSummary, RunSummary, Store, StoreError,
};
use serde::Serialize;

/// One site's runs, oldest first.
#[derive(Debug, Serialize)]
pub struct SiteHistory {
    /// The site's id in the history.
    pub site: String,
    /// The history database read: a path, or a PostgreSQL URL without its password.
    pub db: String,
    /// Oldest first.
    pub runs: Vec<RunSummary>,
}

/// Why a history could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No file at the path (opening would create an empty database).
    #[error(
        "no history database at {}: pass --db PATH, or --config FILE of the audit (the database is beside it)",
        path.display()
    )]
    NoDatabase {
        /// The path looked at.
        path: PathBuf,
    },
    /// The database has no runs of that site.
    #[error("no runs of `{given}` in {db}: {}", known_sites(known))]
    UnknownSite {
        /// The site as the user gave it.
        given: String,
        /// The database read.
        db: Location,
        /// The sites it does have.
        known: Vec<String>,
    },
    /// The database has no runs in that round, and no site list was given.
    #[error("no runs in round `{round}` in {db}: {}", known_rounds(known))]
    UnknownRound {
        /// The round asked for.
        round: RoundId,
        /// The database read.
        db: Location,
        /// The rounds it does have, newest first.
        known: Vec<RoundId>,
    },
    /// The database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn known_rounds(known: &[RoundId]) -> String {
    match known {
        [] => "it has no rounds yet".to_string(),
        _ => {
            let shown: Vec<&str> = known.iter().take(10).map(RoundId::as_str).collect();
            format!("its latest rounds are: {}", shown.join(", "))
        }
    }
}

/// Every round of the history at `db`, newest first.
#[derive(Debug, Serialize)]
pub struct RoundsListing {
    /// The history database read: a path, or a PostgreSQL URL without its password.
    pub db: String,
    /// Newest first.
    pub rounds: Vec<RoundSummary>,
}

/// The rounds in the history at `db`.
pub async fn list_rounds(db: &Location) -> Result<RoundsListing, HistoryError> {
    let store = open_existing(db).await?;
    Ok(RoundsListing {
        db: db.to_string(),
        rounds: store.rounds().await?,
    })
}

/// Where each site of `round` stands across its workers. `sites` is the round's list (the audit
/// config's site ids): sites on it with no run are "left". Without a list, the sites with runs in
/// the round are the list, so nothing is "left".
pub async fn round_progress(
    db: &Location,
    round: &RoundId,
    sites: Option<&[String]>,
    lease: Lease,
) -> Result<RoundProgress, HistoryError> {
    let store = open_existing(db).await?;
    if let Some(sites) = sites {
        return Ok(store.round_progress(round, sites, lease).await?);
    }
    let seen = store.round_progress(round, &[], lease).await?.unlisted;
    if seen.is_empty() {
        let known = store.rounds().await?.into_iter().map(|r| r.round).collect();
        return Err(HistoryError::UnknownRound {
            round: round.clone(),
            db: db.clone(),
            known,
        });
    }
    Ok(store.round_progress(round, &seen, lease).await?)
}

/// Opens the history at `db` for reading: a SQLite path must exist (opening would create an empty
/// database, and a mistyped path must not leave one behind).
async fn open_existing(db: &Location) -> Result<Store, HistoryError> {
    if let Some(path) = db.sqlite_path()
        && !path.is_file()
    {
        return Err(HistoryError::NoDatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(Store::open(db).await?)
}

fn known_sites(known: &[String]) -> String {
    if known.is_empty() {
        "it has no runs yet".to_string()
    } else {
        format!("its sites are: {}", known.join(", "))
    }
}

/// The runs of `given` (a site id, a URL or a host name) in the history at `db`: a SQLite file,
/// or the PostgreSQL database workers share.
pub async fn site_history(db: &Location, given: &str) -> Result<SiteHistory, HistoryError> {
    let store = open_existing(db).await?;
    let known = store.sites().await?;
    let Some(site) = pick_site(given, &known) else {
        return Err(HistoryError::UnknownSite {
            given: given.to_string(),
            db: db.clone(),
            known,
        });
    };
    let runs = store.history(&site).await?;
    Ok(SiteHistory {
        site,
        db: db.to_string(),
        runs,
    })
}

/// The site as stored: its id as given, else the registrable domain of a URL or host name
/// (`https://www.barnet.gov.uk/` finds `barnet.gov.uk`).
fn pick_site(given: &str, known: &[String]) -> Option<String> {
    if known.iter().any(|k| k == given) {
        return Some(given.to_string());
    }
    let url = parse_start_url(given).ok()?;
    let domain = registrable_domain(&host_of(&url));
    known.iter().find(|k| **k == domain).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_found_by_id_url_or_host() {
        let known = vec!["barnet-libraries".to_string(), "barnet.gov.uk".to_string()];
        assert_eq!(
            pick_site("barnet-libraries", &known).as_deref(),
            Some("barnet-libraries")
        );
        assert_eq!(
            pick_site("https://www.barnet.gov.uk/council", &known).as_deref(),
            Some("barnet.gov.uk")
        );
        assert_eq!(
            pick_site("forms.barnet.gov.uk", &known).as_deref(),
            Some("barnet.gov.uk")
        );
        assert_eq!(pick_site("lbbd.gov.uk", &known), None);
    }
}
