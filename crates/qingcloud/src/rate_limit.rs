//! The pace of one `Client`'s calls, shared by all of them.
//!
//! QingCloud does not publish its call-rate limit; it answers ret_code 2500 when a caller goes
//! too fast. So by default nothing is held back until the server pushes back (as the AWS SDKs'
//! adaptive mode does): a 2500 cuts the pace to a fraction of the rate that provoked it, and every
//! call answered without one raises it again a little. A fixed ceiling can be set as well.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second never exceeded; None: no ceiling of our own.
    pub(crate) max_per_second: Option<f64>,
    /// Requests that may go out at once after a quiet period, when a pace is in force.
    pub(crate) burst: u32,
    /// Whether a 2500 answer slows the pace down.
    pub(crate) adaptive: bool,
    /// After a 2500 the pace becomes this fraction of the rate that provoked it.
    pub(crate) backoff_factor: f64,
    /// The pace never drops below this many requests per second.
    pub(crate) min_per_second: f64,
    /// Each call answered without a 2500 raises a reduced pace by this many requests per second,
    /// so the pace grows back by about this fraction every second.
    pub(crate) recovery_per_call: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            max_per_second: None,
            burst: 10,
            adaptive: true,
            backoff_factor: 0.5,
            min_per_second: 1.0,
            recovery_per_call: 0.1,
        }
    }
}

impl RateLimit {
    /// No pacing at all, whatever the server says (unit tests).
    #[cfg(any(test, feature = "test-util"))]
    pub fn off() -> Self {
        RateLimit {
            adaptive: false,
            ..RateLimit::default()
        }
    }
}

/// Several 2500s arrive together when many calls were in flight; they are one signal, so the
/// pace is cut at most once per this period.
const ONE_SIGNAL: Duration = Duration::from_secs(1);
/// The window over which the offered rate is counted.
const WINDOW: Duration = Duration::from_secs(1);

struct State {
    /// The pace in force; None when calls go out unpaced.
    pace: Option<f64>,
    /// May go negative: each caller reserves its token before sleeping, so callers are served
    /// in arrival order and nobody is starved.
    tokens: f64,
    last: Instant,
    /// When the calls of the last `WINDOW` asked to go out.
    recent: VecDeque<Instant>,
    last_cut: Option<Instant>,
}

pub(crate) struct RateLimiter {
    limit: RateLimit,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

fn valid_rate(r: Option<f64>) -> Option<f64> {
    r.filter(|r| r.is_finite() && *r > 0.0)
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Self {
        let last = clock.instant();
        RateLimiter {
            state: Mutex::new(State {
                pace: valid_rate(limit.max_per_second),
                tokens: f64::from(limit.burst.max(1)),
                last,
                recent: VecDeque::new(),
                last_cut: None,
            }),
            limit,
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    /// The pace in force, in requests per second; None when unpaced.
    #[cfg(test)]
    fn pace(&self) -> Option<f64> {
        self.lock().pace
    }

    /// Takes one token, returning how long the caller must wait before sending.
    fn reserve(&self) -> Duration {
        let now = self.clock.instant();
        let mut s = self.lock();
        if self.limit.adaptive {
            while s
                .recent
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
            {
                s.recent.pop_front();
            }
            s.recent.push_back(now);
        }
        let Some(pace) = s.pace else {
            return Duration::ZERO;
        };
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.last = now;
        let burst = f64::from(self.limit.burst.max(1));
        s.tokens = (s.tokens + elapsed * pace).min(burst);
        s.tokens -= 1.0;
        if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / pace)
        }
    }

    pub(crate) async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
    }

    /// The server said 2500: slow down.
    pub(crate) fn throttled(&self) {
        if !self.limit.adaptive {
            return;
        }
        let now = self.clock.instant();
        let mut s = self.lock();
        if s.last_cut
            .is_some_and(|t| now.saturating_duration_since(t) < ONE_SIGNAL)
        {
            return;
        }
        let floor = valid_rate(Some(self.limit.min_per_second)).unwrap_or(1.0);
        // The rate that provoked it: what was asked for in the last window, but no more than the
        // pace already in force.
        let offered = (s.recent.len() as f64).max(floor);
        let provoking = s.pace.map_or(offered, |p| p.min(offered));
        let factor = self.limit.backoff_factor.clamp(0.01, 1.0);
        let mut pace = (provoking * factor).max(floor);
        if let Some(max) = valid_rate(self.limit.max_per_second) {
            pace = pace.min(max);
        }
        tracing::warn!(
            pace_per_second = pace,
            "QingCloud says calls are too frequent (2500); slowing down"
        );
        s.pace = Some(pace);
        // The cut takes effect now, not after a saved-up burst.
        s.tokens = s.tokens.min(1.0);
        s.last_cut = Some(now);
    }

    /// A call was answered without a 2500: a reduced pace grows back.
    pub(crate) fn answered(&self) {
        if !self.limit.adaptive {
            return;
        }
        let mut s = self.lock();
        if let Some(pace) = s.pace {
            let ceiling = valid_rate(self.limit.max_per_second).unwrap_or(f64::INFINITY);
            s.pace = Some((pace + self.limit.recovery_per_call.max(0.0)).min(ceiling));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    fn limiter(limit: RateLimit) -> Arc<RateLimiter> {
        Arc::new(RateLimiter::new(limit, Arc::new(SystemClock)))
    }

    fn ceiling(per_second: f64, burst: u32) -> RateLimit {
        RateLimit {
            max_per_second: Some(per_second),
            burst,
            ..RateLimit::default()
        }
    }

    fn assert_about(took: Duration, secs: f64) {
        let want = Duration::from_secs_f64(secs);
        assert!(
            took + Duration::from_millis(10) >= want && took <= want + Duration::from_millis(10),
            "took {took:?}, expected about {want:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_ceiling_allows_a_burst_then_a_steady_rate() {
        let limiter = limiter(ceiling(10.0, 5));
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..10 {
            limiter.acquire().await;
        }
        assert_about(start.elapsed(), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_bucket() {
        let limiter = limiter(ceiling(20.0, 1));
        let start = Instant::now();
        let tasks: Vec<_> = (0..21)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move { l.acquire().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_about(start.elapsed(), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn unpaced_until_the_server_pushes_back() {
        let limiter = limiter(RateLimit::default());
        let start = Instant::now();
        for _ in 0..200 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(limiter.pace(), None);

        // 200 calls in the last second provoked the 2500: the pace becomes half of that, and
        // a burst of 2500s counts once.
        limiter.throttled();
        limiter.throttled();
        assert_eq!(limiter.pace(), Some(100.0));
        let start = Instant::now();
        for _ in 0..101 {
            limiter.acquire().await;
        }
        assert_about(start.elapsed(), 1.0);

        // Answers raise the pace back, 0.1 per call.
        for _ in 0..100 {
            limiter.answered();
        }
        assert!((limiter.pace().unwrap() - 110.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn cuts_stop_at_the_floor_and_recovery_stops_at_the_ceiling() {
        let limiter = limiter(ceiling(4.0, 1));
        for _ in 0..10 {
            limiter.throttled();
            tokio::time::advance(ONE_SIGNAL).await;
        }
        assert_eq!(limiter.pace(), Some(1.0));
        for _ in 0..1000 {
            limiter.answered();
        }
        assert_eq!(limiter.pace(), Some(4.0));
    }

    #[tokio::test(start_paused = true)]
    async fn off_never_waits_nor_adapts() {
        let limiter = limiter(RateLimit::off());
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        limiter.throttled();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(limiter.pace(), None);
    }
}
