//! A token bucket shared by every call of one `Client`, so that a plan touching many resources
//! (or many job waits) stays below QingCloud's API call-rate limit instead of provoking 2500s.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second; 0 or less disables the limiter.
    pub per_second: f64,
    /// Requests that may go out at once after a quiet period.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 10.0,
            burst: 10,
        }
    }
}

struct Bucket {
    /// May go negative: each waiter reserves its token before sleeping, so waiters are served in
    /// arrival order and nobody is starved.
    tokens: f64,
    last: tokio::time::Instant,
}

pub struct RateLimiter {
    limit: RateLimit,
    clock: Arc<dyn Clock>,
    bucket: Mutex<Bucket>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Self {
        let last = clock.instant();
        RateLimiter {
            limit,
            bucket: Mutex::new(Bucket {
                tokens: f64::from(limit.burst.max(1)),
                last,
            }),
            clock,
        }
    }

    /// Takes one token, returning how long the caller must wait before sending.
    fn reserve(&self) -> Duration {
        if self.limit.per_second <= 0.0 || !self.limit.per_second.is_finite() {
            return Duration::ZERO;
        }
        let now = self.clock.instant();
        // A poisoned lock only means another caller panicked mid-update; the numbers are fine.
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.last = now;
        let burst = f64::from(self.limit.burst.max(1));
        b.tokens = (b.tokens + elapsed * self.limit.per_second).min(burst);
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / self.limit.per_second)
        }
    }

    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qingcloud::clock::SystemClock;

    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let limiter = RateLimiter::new(
            RateLimit {
                per_second: 10.0,
                burst: 5,
            },
            Arc::new(SystemClock),
        );
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..10 {
            limiter.acquire().await;
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(990) && took <= Duration::from_millis(1010),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_bucket() {
        let limiter = Arc::new(RateLimiter::new(
            RateLimit {
                per_second: 20.0,
                burst: 1,
            },
            Arc::new(SystemClock),
        ));
        let start = tokio::time::Instant::now();
        let tasks: Vec<_> = (0..21)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move { l.acquire().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(990) && took <= Duration::from_millis(1010),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_never_waits() {
        let limiter = RateLimiter::new(
            RateLimit {
                per_second: 0.0,
                burst: 1,
            },
            Arc::new(SystemClock),
        );
        let start = tokio::time::Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
