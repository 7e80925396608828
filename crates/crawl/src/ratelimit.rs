//! Per-host politeness: one place that decides when the next request to a host may go — and
//! whether it may go at all.
//!
//! Every request counts — robots.txt, sitemaps, pages, redirect hops and subresources — because
//! that is what the site's operator sees. `--rate 0` switches the limit off (benchmarks only).
//!
//! A host that stops answering (a server out of file descriptors: the kernel accepts connections
//! nobody serves) is given up after [`UNRESPONSIVE_AFTER`] timeouts or failed connections in a
//! row: nothing more is sent to it, requests waiting on it are abandoned, and the crawl lists it
//! as the `host_unresponsive` limit. Without this, each of its pages would hold a slot for a full
//! timeout and a crawl would sit idle for minutes.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit, watch};
use url::Url;

/// Timeouts or failed connections in a row after which a host is given up for the rest of the
/// crawl. A few, not one: a single slow page or a dropped connection must not cost a site its
/// audit; any answer (an error status included) resets the count.
pub(crate) const UNRESPONSIVE_AFTER: u32 = 3;

/// Rate limits per host, a global cap on requests in flight, and the hosts given up.
#[derive(Debug, Clone)]
pub struct HostLimiter {
    per_host: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    in_flight: Arc<Semaphore>,
    health: Arc<Health>,
}

/// A host given up: nothing more is sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresponsive {
    /// The host, lower case.
    pub host: String,
    /// The request whose failure made it [`UNRESPONSIVE_AFTER`] in a row.
    pub last_url: Url,
    /// Requests not sent, or abandoned while waiting, once it was given up.
    pub not_sent: u32,
}

/// How each host has been answering.
#[derive(Debug)]
struct Health {
    hosts: Mutex<HashMap<String, HostHealth>>,
    /// Counts the hosts given up, so requests waiting on one can stop waiting.
    given_up: watch::Sender<u32>,
}

#[derive(Debug, Default)]
struct HostHealth {
    failures_in_a_row: u32,
    given_up: Option<Unresponsive>,
}

impl HostLimiter {
    /// `rate` requests per second per host (0: unlimited), at most `concurrency` requests at once.
    pub fn new(rate: f64, concurrency: u32) -> HostLimiter {
        let per_host = (rate.is_finite() && rate > 0.0).then(|| {
            let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
            // A burst of one: requests are spaced evenly, never clumped.
            let quota = Quota::with_period(period)
                .expect("period is positive")
                .allow_burst(NonZeroU32::MIN);
            Arc::new(RateLimiter::keyed(quota))
        });
        HostLimiter {
            per_host,
            in_flight: Arc::new(Semaphore::new(concurrency.max(1) as usize)),
            health: Arc::new(Health {
                hosts: Mutex::default(),
                given_up: watch::Sender::new(0),
            }),
        }
    }

    fn hosts(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostHealth>> {
        self.health.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `host` was given up: nothing more may be sent to it.
    pub fn unresponsive(&self, host: &str) -> bool {
        self.hosts()
            .get(&host.to_ascii_lowercase())
            .is_some_and(|h| h.given_up.is_some())
    }

    /// A request to `host` was not sent, or was abandoned, because the host was given up.
    pub fn not_sent(&self, host: &str) {
        if let Some(given_up) = self
            .hosts()
            .get_mut(&host.to_ascii_lowercase())
            .and_then(|h| h.given_up.as_mut())
        {
            given_up.not_sent += 1;
        }
    }

    /// `host` answered (whatever the status): its run of failures is over.
    pub fn answered(&self, host: &str) {
        if let Some(health) = self.hosts().get_mut(&host.to_ascii_lowercase()) {
            health.failures_in_a_row = 0;
        }
    }

    /// A request to `host` (for `url`) timed out or could not connect. Returns `true` when this
    /// failure gave the host up.
    pub fn failed(&self, host: &str, url: &Url) -> bool {
        let host = host.to_ascii_lowercase();
        let mut hosts = self.hosts();
        let health = hosts.entry(host.clone()).or_default();
        if health.given_up.is_some() {
            return false;
        }
        health.failures_in_a_row += 1;
        if health.failures_in_a_row < UNRESPONSIVE_AFTER {
            return false;
        }
        health.given_up = Some(Unresponsive {
            host,
            last_url: url.clone(),
            not_sent: 0,
        });
        drop(hosts);
        self.health.given_up.send_modify(|count| *count += 1);
        true
    }

    /// Resolves once `host` is given up (at once if it already is): a request waiting on it stops.
    pub async fn until_unresponsive(&self, host: &str) {
        let mut changes = self.health.given_up.subscribe();
        loop {
            if self.unresponsive(host) {
                return;
            }
            if changes.changed().await.is_err() {
                // The sender lives as long as this limiter: never closed while we wait.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The hosts given up so far, by name.
    pub fn unresponsive_hosts(&self) -> Vec<Unresponsive> {
        let mut hosts: Vec<Unresponsive> = self
            .hosts()
            .values()
            .filter_map(|h| h.given_up.clone())
            .collect();
        hosts.sort_by(|a, b| a.host.cmp(&b.host));
        hosts
    }

    /// Waits until a request to `host` may be sent, and holds a global slot until the guard drops.
    pub async fn acquire(&self, host: &str) -> RequestSlot<'_> {
        if let Some(limiter) = &self.per_host {
            limiter.until_key_ready(&host.to_ascii_lowercase()).await;
        }
        let permit = self
            .in_flight
            .acquire()
            .await
            .expect("the semaphore is never closed");
        RequestSlot { _permit: permit }
    }
}

/// A global in-flight slot; dropped when the request is done.
#[derive(Debug)]
pub struct RequestSlot<'a> {
    _permit: SemaphorePermit<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn spaces_requests_to_one_host_but_not_across_hosts() {
        let limiter = HostLimiter::new(20.0, 8);
        let start = Instant::now();
        for _ in 0..3 {
            drop(limiter.acquire("a.test").await);
        }
        // Three requests at 20/s: the 2nd and 3rd wait ~50 ms each.
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "{:?}",
            start.elapsed()
        );
        let other = Instant::now();
        drop(limiter.acquire("b.test").await);
        assert!(other.elapsed() < Duration::from_millis(40));
    }

    #[tokio::test]
    async fn a_host_is_given_up_after_failures_in_a_row_and_waiters_are_released() {
        let limiter = HostLimiter::new(0.0, 8);
        let url = Url::parse("http://dead.test/p").unwrap();
        let waiter = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.until_unresponsive("dead.test").await })
        };
        for _ in 1..UNRESPONSIVE_AFTER {
            assert!(!limiter.failed("dead.test", &url));
        }
        // An answer ends the run of failures: it starts again from zero.
        limiter.answered("dead.test");
        for _ in 1..UNRESPONSIVE_AFTER {
            assert!(!limiter.failed("dead.test", &url));
        }
        assert!(!limiter.unresponsive("dead.test"));
        assert!(!waiter.is_finished());
        assert!(limiter.failed("DEAD.test", &url), "the third in a row");
        assert!(limiter.unresponsive("dead.test"));
        assert!(!limiter.unresponsive("alive.test"));
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("a request waiting on the host is released")
            .unwrap();
        limiter.not_sent("dead.test");
        limiter.not_sent("alive.test");
        let given_up = limiter.unresponsive_hosts();
        assert_eq!(given_up.len(), 1);
        assert_eq!(given_up[0].host, "dead.test");
        assert_eq!(given_up[0].not_sent, 1);
        assert_eq!(given_up[0].last_url, url);
    }

    #[tokio::test]
    async fn rate_zero_is_unlimited() {
        let limiter = HostLimiter::new(0.0, 8);
        let start = Instant::now();
        for _ in 0..100 {
            drop(limiter.acquire("a.test").await);
        }
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
