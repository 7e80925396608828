//! Keeping a claimed run's lease: a task that renews its heartbeat while the site is audited, and
//! says when the lease is lost so the worker stops auditing a site that is no longer its own.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::round::Lease;
use crate::{RunId, RunStatus, Store, StoreError};

/// Why a lease was lost.
#[derive(Clone, Debug)]
pub enum LeaseLost {
    /// The run is no longer `running`: another worker judged it abandoned (our heartbeats stopped
    /// reaching the database for longer than its lease), or it was finished elsewhere.
    Taken {
        run: RunId,
        status: Option<RunStatus>,
    },
    /// No heartbeat got through for a whole lease: by now another worker may have taken the site.
    Expired {
        run: RunId,
        /// The last renewal's error, whole (for its chain of causes).
        last_error: Arc<StoreError>,
    },
}

impl fmt::Display for LeaseLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeaseLost::Taken {
                run,
                status: Some(status),
            } => write!(f, "the lease of {run} was lost: it is {status} now"),
            LeaseLost::Taken { run, status: None } => {
                write!(f, "the lease of {run} was lost: the run is gone")
            }
            LeaseLost::Expired { run, last_error } => write!(
                f,
                "the lease of {run} ran out: no heartbeat reached the database ({last_error})"
            ),
        }
    }
}

/// A run's heartbeat, renewed every [`Lease::renew_every`] until this is dropped.
#[derive(Debug)]
pub struct Heartbeat {
    lost: watch::Receiver<Option<LeaseLost>>,
    task: JoinHandle<()>,
}

impl Heartbeat {
    pub(crate) fn start(store: Store, run: RunId, lease: Lease) -> Heartbeat {
        let (sender, lost) = watch::channel(None);
        let task = tokio::spawn(renew(store, run, lease, sender));
        Heartbeat { lost, task }
    }

    /// Whether the lease has been lost, and why.
    pub fn lost(&self) -> Option<LeaseLost> {
        self.lost.borrow().clone()
    }

    /// Resolves when the lease is lost; never while it is held. Race it against the audit.
    pub async fn until_lost(&mut self) -> LeaseLost {
        // The guard is dropped before any other await: a future holding it would not be `Send`,
        // and a worker races this against an audit running on its own task.
        let lost = self.lost.wait_for(Option::is_some).await.map(|l| l.clone());
        match lost {
            Ok(lost) => lost.expect("waited for Some"),
            // The renewing task ended without a verdict (the runtime is shutting down).
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn renew(store: Store, run: RunId, lease: Lease, lost: watch::Sender<Option<LeaseLost>>) {
    let mut last_renewed = Instant::now();
    let mut ticks = tokio::time::interval(lease.renew_every());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The claim itself set the first heartbeat.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match store.heartbeat(run).await {
            Ok(()) => last_renewed = Instant::now(),
            Err(StoreError::RunNotRunning { status, .. }) => {
                let _ = lost.send(Some(LeaseLost::Taken {
                    run,
                    status: Some(status),
                }));
                return;
            }
            Err(StoreError::RunNotFound { .. }) => {
                let _ = lost.send(Some(LeaseLost::Taken { run, status: None }));
                return;
            }
            Err(e) if last_renewed.elapsed() >= lease.duration() => {
                let _ = lost.send(Some(LeaseLost::Expired {
                    run,
                    last_error: Arc::new(e),
                }));
                return;
            }
            // A database slow or away for less than a lease: try again at the next tick.
            Err(e) => tracing::warn!("could not renew the lease of {run}: {e}"),
        }
    }
}
