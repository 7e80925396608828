//! Audit rounds shared by workers: what a round id is, what a claim of a (round, site) decides,
//! and a round's progress. The decisions here are pure — rows in, verdict out — so both backends
//! reach the same one; the backends run them inside their claim transactions.
//!
//! A round is a name (`--round ID`) every worker of one audit shares. Each site is audited once
//! per round: a worker *claims* a (round, site) before auditing it, which begins a run unless the
//! site is complete in the round, another worker holds it, or it has failed too often. A holder
//! renews its run's heartbeat; a run whose heartbeat is older than the lease is taken to be
//! abandoned (its worker was killed or cut off) and is marked failed by the next claimer, who
//! audits the site again.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{RunId, RunStatus, StoreError};

/// The error a run abandoned by its worker is failed with.
pub const ABANDONED: &str = "abandoned: the worker stopped";

/// A round's name, shared by every worker of one audit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoundId(String);

impl RoundId {
    /// Long enough for a date, a job name and a counter; short enough for a table cell.
    pub const MAX_LEN: usize = 128;

    /// Letters, digits and `. _ : + -`, 1 to [`RoundId::MAX_LEN`] of them: what schedulers put
    /// in job names and dates, and safe in a file name or a log line.
    pub fn parse(given: &str) -> Result<RoundId, StoreError> {
        let bad = |reason| StoreError::BadRound {
            given: given.chars().take(RoundId::MAX_LEN + 8).collect(),
            reason,
        };
        if given.is_empty() {
            return Err(bad("it is empty"));
        }
        if !given.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(bad("it must start with a letter or a digit"));
        }
        if given.len() > RoundId::MAX_LEN {
            return Err(bad("it is longer than 128 characters"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:+-".contains(c);
        if !given.chars().all(allowed) {
            return Err(bad(
                "use letters, digits and . _ : + - only (e.g. 2025-06-02 or nightly-42)",
            ));
        }
        Ok(RoundId(given.to_string()))
    }

    /// A new round's id, unique across machines: the UTC start time (so ids sort by time) and
    /// 32 random bits (two workers started in the same second do not share a default round).
    pub fn generate(now: DateTime<Utc>) -> RoundId {
        RoundId(format!(
            "{}-{:08x}",
            now.format("%Y%m%dT%H%M%SZ"),
            random_bits() as u32
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A stored id, valid when it was written.
    pub(crate) fn from_stored(stored: String) -> RoundId {
        RoundId(stored)
    }
}

impl FromStr for RoundId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<RoundId, StoreError> {
        RoundId::parse(s)
    }
}

impl fmt::Display for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Random bits without a random-number crate: std seeds every `RandomState` from the OS.
fn random_bits() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// How long a run's heartbeat stays good. A run whose last heartbeat is older is abandoned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease(Duration);

impl Lease {
    /// Ten minutes: far longer than any pause of a healthy worker, short enough that a killed
    /// worker's site is audited again the same night.
    pub const DEFAULT: Lease = Lease(Duration::from_secs(600));

    pub fn new(duration: Duration) -> Lease {
        Lease(duration)
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    /// How often a holder renews: four heartbeats per lease, so one or two lost to a slow
    /// database do not lose the lease.
    pub fn renew_every(self) -> Duration {
        self.0 / 4
    }

    /// Whether a heartbeat at `heartbeat_at` is too old at `now`. No heartbeat at all counts as
    /// too old.
    pub(crate) fn expired(self, heartbeat_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match heartbeat_at {
            Some(at) => now - at > self.as_chrono(),
            None => true,
        }
    }

    /// Heartbeats before this instant are too old at `now`.
    pub(crate) fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.as_chrono()
    }

    fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

impl Default for Lease {
    fn default() -> Lease {
        Lease::DEFAULT
    }
}

/// What a worker asks for when it wants to audit a site in a round.
#[derive(Clone, Debug)]
pub struct ClaimRequest {
    pub round: RoundId,
    pub site_id: String,
    pub site_url: String,
    /// Who is asking (see [`worker_name`]); shown in progress and kept on the run.
    pub worker: String,
    pub started_at: DateTime<Utc>,
    /// Heartbeats older than this make another worker's run abandoned.
    pub lease: Lease,
    /// Runs of the site in the round, failed ones included, after which it is left alone: a site
    /// that kills its worker every time must not take every retry of the round with it.
    pub max_attempts: u32,
}

/// The answer to a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum Claim {
    /// The site is yours: a new run, `running`, with a fresh heartbeat. Renew it while auditing;
    /// complete or fail it at the end.
    Won {
        run: RunId,
        /// 1 for the first run of the site in the round.
        attempt: u32,
        /// Another worker's run this claim found abandoned and marked failed.
        abandoned: Option<RunId>,
    },
    /// Complete in this round already: skip it.
    AlreadyComplete { run: RunId },
    /// Another worker holds it and its heartbeat is fresh: skip it.
    HeldElsewhere {
        run: RunId,
        worker: Option<String>,
        heartbeat_at: Option<DateTime<Utc>>,
    },
    /// It has run and failed `attempts` times in this round: left alone.
    GaveUp {
        attempts: u32,
        last_error: Option<String>,
        /// Another worker's run this claim found abandoned and marked failed.
        abandoned: Option<RunId>,
    },
}

/// A run of a round as the decisions need it.
#[derive(Clone, Debug)]
pub(crate) struct RoundRun {
    pub id: RunId,
    pub site_id: String,
    pub status: RunStatus,
    pub worker: Option<String>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// What a claim does, given the site's runs in the round (oldest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    /// A running run whose lease expired: mark it failed ([`ABANDONED`]) first.
    pub abandon: Option<RunId>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Begin run number `attempt`.
    Begin { attempt: u32 },
    /// Begin nothing; answer this.
    Answer(Claim),
}

/// The claim's verdict. Complete beats everything; a fresh running run is another worker's; an
/// expired one is abandoned; then the attempts decide.
pub(crate) fn decide(
    runs: &[RoundRun],
    now: DateTime<Utc>,
    lease: Lease,
    max_attempts: u32,
) -> Decision {
    if let Some(done) = runs.iter().find(|r| r.status == RunStatus::Complete) {
        return Decision {
            abandon: None,
            outcome: Outcome::Answer(Claim::AlreadyComplete { run: done.id }),
        };
    }
    let mut abandon = None;
    if let Some(live) = runs.iter().find(|r| r.status == RunStatus::Running) {
        if !lease.expired(live.heartbeat_at, now) {
            return Decision {
                abandon: None,
                outcome: Outcome::Answer(Claim::HeldElsewhere {
                    run: live.id,
                    worker: live.worker.clone(),
                    heartbeat_at: live.heartbeat_at,
                }),
            };
        }
        abandon = Some(live.id);
    }
    // Every run so far has failed (or is the abandoned one, failing now).
    let attempts = runs.len() as u32;
    let outcome = if attempts >= max_attempts {
        let last_error = match abandon {
            Some(_) => Some(ABANDONED.to_string()),
            None => runs.last().and_then(|r| r.error.clone()),
        };
        Outcome::Answer(Claim::GaveUp {
            attempts,
            last_error,
            abandoned: abandon,
        })
    } else {
        Outcome::Begin {
            attempt: attempts + 1,
        }
    };
    Decision { abandon, outcome }
}

/// Where a site stands in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteState {
    Complete,
    /// Its last run failed; a later claim may try again (up to the attempts allowed).
    Failed,
    /// A worker holds it with a fresh heartbeat.
    InProgress,
    /// Running, but its heartbeat is older than the lease: its worker stopped, and the next claim
    /// will mark it abandoned.
    Stalled,
    /// Not begun in this round.
    Left,
}

/// One site's line of a round's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteProgress {
    pub site_id: String,
    pub state: SiteState,
    /// Its latest run in the round (the complete one, when there is one).
    pub run: Option<RunId>,
    /// Runs of it in the round, failed ones included.
    pub attempts: u32,
    pub worker: Option<String>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// Why its latest run failed.
    pub error: Option<String>,
}

/// A round's progress across every worker: how many of the listed sites are complete, failed,
/// in progress, stalled, or left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundProgress {
    pub round: RoundId,
    pub complete: u32,
    pub failed: u32,
    pub in_progress: u32,
    pub stalled: u32,
    pub left: u32,
    /// The listed sites, in the order given (duplicates once).
    pub sites: Vec<SiteProgress>,
    /// Sites with runs in the round that the list does not name (a config changed between
    /// workers), sorted. Not counted above.
    pub unlisted: Vec<String>,
}

/// The progress of `round` over `site_ids`, from every run of the round (any order).
pub(crate) fn progress(
    round: &RoundId,
    site_ids: &[String],
    mut runs: Vec<RoundRun>,
    now: DateTime<Utc>,
    lease: Lease,
) -> RoundProgress {
    runs.sort_by_key(|r| r.id);
    let mut report = RoundProgress {
        round: round.clone(),
        complete: 0,
        failed: 0,
        in_progress: 0,
        stalled: 0,
        left: 0,
        sites: Vec::new(),
        unlisted: Vec::new(),
    };
    let mut seen = std::collections::BTreeSet::new();
    for site in site_ids {
        if !seen.insert(site.as_str()) {
            continue;
        }
        let mine: Vec<&RoundRun> = runs.iter().filter(|r| &r.site_id == site).collect();
        let line = site_progress(site, &mine, now, lease);
        match line.state {
            SiteState::Complete => report.complete += 1,
            SiteState::Failed => report.failed += 1,
            SiteState::InProgress => report.in_progress += 1,
            SiteState::Stalled => report.stalled += 1,
            SiteState::Left => report.left += 1,
        }
        report.sites.push(line);
    }
    let mut unlisted: Vec<String> = runs
        .iter()
        .filter(|r| !seen.contains(r.site_id.as_str()))
        .map(|r| r.site_id.clone())
        .collect();
    unlisted.sort();
    unlisted.dedup();
    report.unlisted = unlisted;
    report
}

fn site_progress(site: &str, runs: &[&RoundRun], now: DateTime<Utc>, lease: Lease) -> SiteProgress {
    // The one that decides: the complete run, else the live one, else the latest.
    let decisive = runs
        .iter()
        .find(|r| r.status == RunStatus::Complete)
        .or_else(|| runs.iter().find(|r| r.status == RunStatus::Running))
        .or_else(|| runs.last());
    let Some(run) = decisive else {
        return SiteProgress {
            site_id: site.to_string(),
            state: SiteState::Left,
            run: None,
            attempts: 0,
            worker: None,
            heartbeat_at: None,
            error: None,
        };
    };
    let state = match run.status {
        RunStatus::Complete => SiteState::Complete,
        RunStatus::Failed => SiteState::Failed,
        RunStatus::Running if lease.expired(run.heartbeat_at, now) => SiteState::Stalled,
        RunStatus::Running => SiteState::InProgress,
    };
    SiteProgress {
        site_id: site.to_string(),
        state,
        run: Some(run.id),
        attempts: runs.len() as u32,
        worker: run.worker.clone(),
        heartbeat_at: run.heartbeat_at,
        error: run.error.clone(),
    }
}

/// One line of the list of rounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundSummary {
    pub round: RoundId,
    /// When its first run began.
    pub started_at: DateTime<Utc>,
    /// The latest start, heartbeat or finish of any of its runs.
    pub last_activity_at: DateTime<Utc>,
    /// Sites with at least one run in it.
    pub sites: u32,
    pub complete: u32,
    /// Sites with a running run (fresh or stalled).
    pub running: u32,
    /// Sites whose runs all failed.
    pub failed: u32,
}

/// `host:pid`: who holds a run, for the people reading a round's progress. In a Kubernetes pod
/// the host name is the pod's name.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string());
    format!("{host}:{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 2, 9, 0, 0).unwrap() + chrono::Duration::seconds(secs)
    }

    fn run(id: i64, status: RunStatus, heartbeat: i64) -> RoundRun {
        RoundRun {
            id: RunId(id),
            site_id: "a.test".into(),
            status,
            worker: Some("w1:7".into()),
            heartbeat_at: Some(at(heartbeat)),
            error: (status == RunStatus::Failed).then(|| format!("error of {id}")),
        }
    }

    const LEASE: Lease = Lease(Duration::from_secs(60));

    #[test]
    fn a_claim_decides_by_complete_then_lease_then_attempts() {
        let begin = |attempt| Outcome::Begin { attempt };
        let d = decide(&[], at(0), LEASE, 3);
        assert_eq!((d.abandon, d.outcome), (None, begin(1)));

        let done = [run(1, RunStatus::Failed, 0), run(2, RunStatus::Complete, 5)];
        assert_eq!(
            decide(&done, at(10_000), LEASE, 3).outcome,
            Outcome::Answer(Claim::AlreadyComplete { run: RunId(2) })
        );

        let live = [run(1, RunStatus::Running, 100)];
        let d = decide(&live, at(160), LEASE, 3);
        assert_eq!(d.abandon, None, "60 s old is not older than a 60 s lease");
        assert!(matches!(
            d.outcome,
            Outcome::Answer(Claim::HeldElsewhere { run: RunId(1), .. })
        ));

        let d = decide(&live, at(161), LEASE, 3);
        assert_eq!((d.abandon, d.outcome), (Some(RunId(1)), begin(2)));

        let failed = [run(1, RunStatus::Failed, 0), run(2, RunStatus::Failed, 0)];
        assert_eq!(decide(&failed, at(0), LEASE, 3).outcome, begin(3));
        assert_eq!(
            decide(&failed, at(0), LEASE, 2).outcome,
            Outcome::Answer(Claim::GaveUp {
                attempts: 2,
                last_error: Some("error of 2".into()),
                abandoned: None,
            })
        );
        // An abandoned last attempt is still marked failed when the claim gives up.
        let stalled = [run(1, RunStatus::Failed, 0), run(2, RunStatus::Running, 0)];
        let d = decide(&stalled, at(1_000), LEASE, 2);
        assert_eq!(d.abandon, Some(RunId(2)));
        assert!(matches!(
            d.outcome,
            Outcome::Answer(Claim::GaveUp { attempts: 2, .. })
        ));
    }

    #[test]
    fn progress_counts_each_listed_site_once_by_its_decisive_run() {
        let mut runs = vec![
            run(1, RunStatus::Failed, 0),
            run(4, RunStatus::Complete, 0),
            run(2, RunStatus::Running, 990),
            run(3, RunStatus::Running, 0),
            run(5, RunStatus::Failed, 0),
            run(6, RunStatus::Complete, 0),
        ];
        for (run, site) in runs.iter_mut().zip(["a", "a", "b", "c", "d", "gone"]) {
            run.site_id = site.into();
        }
        let sites: Vec<String> = ["a", "b", "c", "d", "e", "a"].map(String::from).into();
        let round = RoundId::parse("r1").unwrap();
        let p = progress(&round, &sites, runs, at(1_000), LEASE);
        assert_eq!(
            (p.complete, p.in_progress, p.stalled, p.failed, p.left),
            (1, 1, 1, 1, 1)
        );
        let states: Vec<SiteState> = p.sites.iter().map(|s| s.state).collect();
        use SiteState::*;
        assert_eq!(states, [Complete, InProgress, Stalled, Failed, Left]);
        assert_eq!(p.sites[0].attempts, 2);
        assert_eq!(p.sites[0].run, Some(RunId(4)));
        assert_eq!(p.sites[3].error.as_deref(), Some("error of 5"));
        assert_eq!(p.unlisted, ["gone"]);
    }

    #[test]
    fn round_ids_are_checked_and_generated_unique() {
        for good in [
            "2025-06-02",
            "nightly-42",
            "cron:2025-06-02T02:00:00+00:00",
            "a",
        ] {
            assert_eq!(RoundId::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "two words",
            "../etc",
            "..",
            "-x",
            "tab\there",
            &"x".repeat(129),
            "é",
        ] {
            let error = RoundId::parse(bad).unwrap_err();
            assert!(
                matches!(error, StoreError::BadRound { .. }),
                "{bad}: {error}"
            );
        }
        let a = RoundId::generate(at(0));
        let b = RoundId::generate(at(0));
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("20250602T090000Z-"), "{a}");
        assert_eq!(RoundId::parse(a.as_str()).unwrap(), a);
    }
}
