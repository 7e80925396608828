//! `audit --dry-run`: what a worker would audit and how, from a checked config, with nothing
//! fetched, written or opened. It answers "which sites does worker 2 of 3 take, and with which
//! limits?" before a schedule is trusted, and lets a deployment's command line be tested against
//! the real binary.

use std::path::PathBuf;

use cookie_audit_model::ScanConfig;
use cookie_audit_store::{Location, RoundId};
use serde::Serialize;
use url::Url;

use super::SiteJob;
use super::shard::Shard;

/// What an audit would do: the sites this worker takes, each with the settings its scan would run
/// with. JSON fields are documented in docs/audit.md ("Checking a config").
#[derive(Debug, Serialize)]
pub struct AuditPlan {
    /// The config file read.
    pub config: PathBuf,
    /// The round this worker would join; `None`: a new round of its own.
    pub round: Option<RoundId>,
    /// `--shard`, as `INDEX/COUNT`.
    pub shard: Option<String>,
    /// The history database it would use: a path, or a PostgreSQL URL without its password.
    pub db: String,
    /// Where the reports would go.
    pub out_dir: PathBuf,
    /// Sites of the config this worker would audit, in the config's order.
    pub sites: Vec<PlannedSite>,
    /// Sites of the config left to the other shards.
    pub other_shards: usize,
}

/// One site a worker would audit.
#[derive(Debug, Serialize)]
pub struct PlannedSite {
    /// Its id in the history and its report folder.
    pub id: String,
    /// The start URL.
    pub url: Url,
    /// Who looks after it.
    pub owner: Option<String>,
    /// Whom to tell.
    pub contact: Option<String>,
    /// Its labels.
    pub tags: Vec<String>,
    /// The options its scan would run with, as its report would record them.
    pub config: ScanConfig,
    /// `--cookie-db`, resolved against the config's directory.
    pub cookie_db: Option<PathBuf>,
    /// `--chrome`, resolved against the config's directory.
    pub chrome: Option<PathBuf>,
}

/// Where a planned audit would keep things.
#[derive(Debug)]
pub struct PlanPlaces<'a> {
    /// The config file.
    pub config: &'a std::path::Path,
    /// The history database.
    pub db: &'a Location,
    /// The reports' directory.
    pub out_dir: &'a std::path::Path,
}

impl AuditPlan {
    /// The plan for `sites` (a checked config's), of which this worker takes `shard`'s.
    pub fn new(
        sites: &[SiteJob],
        shard: Option<Shard>,
        round: Option<RoundId>,
        places: PlanPlaces<'_>,
    ) -> AuditPlan {
        let (mine, others): (Vec<&SiteJob>, Vec<&SiteJob>) = sites
            .iter()
            .partition(|site| shard.is_none_or(|shard| shard.contains(&site.id)));
        AuditPlan {
            config: places.config.to_path_buf(),
            round,
            shard: shard.map(|shard| shard.to_string()),
            db: places.db.to_string(),
            out_dir: places.out_dir.to_path_buf(),
            sites: mine.into_iter().map(PlannedSite::new).collect(),
            other_shards: others.len(),
        }
    }
}

impl PlannedSite {
    fn new(site: &SiteJob) -> PlannedSite {
        PlannedSite {
            id: site.id.clone(),
            url: site.url.clone(),
            owner: site.owner.clone(),
            contact: site.contact.clone(),
            tags: site.tags.clone(),
            config: site.settings.record(),
            cookie_db: site.cookie_db.clone(),
            chrome: site.settings.chrome.clone(),
        }
    }
}
