//! Per-host politeness: one place that decides when the next request to a host may go.
//!
//! Every request counts — robots.txt, sitemaps, pages, redirect hops and subresources — because
//! that is what the site's operator sees. `--rate 0` switches the limit off (benchmarks only).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Rate limits per host plus a global cap on requests in flight.
#[derive(Debug, Clone)]
pub struct HostLimiter {
    per_host: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    in_flight: Arc<Semaphore>,
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
        }
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
    async fn rate_zero_is_unlimited() {
        let limiter = HostLimiter::new(0.0, 8);
        let start = Instant::now();
        for _ in 0..100 {
            drop(limiter.acquire("a.test").await);
        }
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
