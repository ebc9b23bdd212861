//! How long a shared call waits for company before it goes out.
//!
//! Cluster lookups (`cluster_batch`) and job looks (`jobs`) share calls: one DescribeClusters or
//! DescribeJobs call answers every lookup of a zone that joined it. A lookup never waits behind
//! a call already in flight: that call was sent before the lookup was asked for, so its answer
//! may be older than the question, and waiting for it and then for a call of its own costs two
//! round trips. Instead a lookup joins the call that has not gone out yet, or opens one, which
//! goes out after a short *gathering window*.
//!
//! Terraform starts reads and applies in waves (ten at a time by default), spaced by its own CPU
//! work, and a shared call ends every lookup in it at the same moment, which keeps the next wave
//! together. So a window closes once nobody has joined for a moment (`quiet`: the wave is over),
//! or at the latest at its `cap`. Both are small shares of the round trip measured on this
//! client's own calls, so the window costs little at any latency; against a simulator on the
//! same machine (well under a millisecond per call) nothing is slept.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::clock::Clock;

/// How long a shared call gathers, as shares of the measured round trip with limits.
///
/// Fresh cluster lookups (an apply's read before a submit, the idle wait) and first job looks
/// gather alike; refreshes make neither (they share a recent listing), so plans do not pay for
/// the window. Terraform hands out an apply's creates one by one as it records the ones before,
/// 7-25 ms apart on a busy 2-core machine (seen in the simulator's request log) whatever the
/// API's latency, irregularly: a quiet moment shorter than the cap ended most windows early and
/// left the calls per create above 2.8 (docs/performance.md), so the window stays open to its
/// cap, which bounds what a create pays: half a round trip, at most 30 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GatherPolicy {
    pub(crate) quiet_share: f64,
    pub(crate) quiet_max: Duration,
    pub(crate) cap_share: f64,
    pub(crate) cap_max: Duration,
}

pub(crate) const POLICY: GatherPolicy = GatherPolicy {
    quiet_share: 1.0 / 2.0,
    quiet_max: Duration::from_millis(30),
    cap_share: 1.0 / 2.0,
    cap_max: Duration::from_millis(30),
};

/// Before any call has been answered: short, so that a lone first lookup loses little.
const INITIAL: Window = Window {
    quiet: Duration::from_millis(1),
    cap: Duration::from_millis(4),
};

/// Windows shorter than this are not slept: tokio's timers tick in milliseconds, so a shorter
/// sleep lasts up to a millisecond. The gatherer only lets the tasks that are ready run first,
/// so that lookups asked for at the same moment still share the call.
const MIN_SLEEP: Duration = Duration::from_millis(1);

/// Weight of a new sample in the moving average of the round trip.
const NEW_SAMPLE: f64 = 0.25;

/// When a shared call goes out: once nobody has joined for `quiet`, or `cap` after it was
/// opened, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) quiet: Duration,
    pub(crate) cap: Duration,
}

/// The client's measured round trip (a moving average, in microseconds; 0 until the first
/// answer) and the windows derived from it.
#[derive(Debug)]
pub(crate) struct Gather {
    policy: GatherPolicy,
    round_trip_us: AtomicU64,
}

impl Default for Gather {
    fn default() -> Self {
        Gather::new(POLICY)
    }
}

impl Gather {
    pub(crate) fn new(policy: GatherPolicy) -> Gather {
        Gather {
            policy,
            round_trip_us: AtomicU64::new(0),
        }
    }

    /// One call's time from sending to an answer of the server (an error answer counts).
    pub(crate) fn observe(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros())
            .unwrap_or(u64::MAX >> 1)
            .max(1);
        let _ = self
            .round_trip_us
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 {
                    sample
                } else {
                    ((old as f64 * (1.0 - NEW_SAMPLE) + sample as f64 * NEW_SAMPLE) as u64).max(1)
                })
            });
    }

    pub(crate) fn round_trip(&self) -> Option<Duration> {
        match self.round_trip_us.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// The window of a shared call opened now.
    pub(crate) fn window(&self) -> Window {
        let Some(rtt) = self.round_trip() else {
            return INITIAL;
        };
        let p = &self.policy;
        let cap = rtt.mul_f64(p.cap_share).min(p.cap_max);
        let quiet = rtt.mul_f64(p.quiet_share).min(p.quiet_max);
        Window {
            quiet: quiet.min(cap),
            cap,
        }
    }

    /// Waits until a shared call opened at `opened` may go out. `last_joined` says when the
    /// last lookup joined it, or None when it has gone out already (it filled up).
    pub(crate) async fn wait(
        &self,
        clock: &dyn Clock,
        opened: Instant,
        last_joined: impl Fn() -> Option<Instant>,
    ) {
        let window = self.window();
        if window.quiet < MIN_SLEEP {
            tokio::task::yield_now().await;
            return;
        }
        while let Some(last) = last_joined() {
            let until = (last.max(opened) + window.quiet).min(opened + window.cap);
            let now = clock.instant();
            if now >= until {
                return;
            }
            clock.sleep(until - now).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    fn ms(n: f64) -> Duration {
        Duration::from_secs_f64(n / 1000.0)
    }

    #[test]
    fn the_window_is_a_share_of_the_measured_round_trip_with_limits() {
        let g = Gather::default();
        assert_eq!(g.round_trip(), None);
        assert_eq!(g.window(), INITIAL);
        g.observe(ms(48.0));
        assert_eq!(g.round_trip(), Some(ms(48.0)));
        assert_eq!(
            g.window(),
            Window {
                quiet: ms(24.0),
                cap: ms(24.0)
            }
        );
        // One slow call moves the average a quarter of the way.
        g.observe(ms(208.0));
        assert_eq!(g.round_trip(), Some(ms(88.0)));
        for _ in 0..40 {
            g.observe(Duration::from_secs(2));
        }
        assert_eq!(
            g.window(),
            Window {
                quiet: ms(30.0),
                cap: ms(30.0)
            }
        );
        // A simulator on the same machine: nothing worth a sleep.
        let g = Gather::default();
        g.observe(Duration::from_micros(800));
        assert!(g.window().quiet < MIN_SLEEP);
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_ends_when_nobody_joins_for_a_moment_or_at_its_cap() {
        // A policy whose quiet moment ends a window before its cap.
        let g = Gather::new(GatherPolicy {
            quiet_share: 1.0 / 4.0,
            quiet_max: ms(15.0),
            ..POLICY
        });
        g.observe(ms(16.0)); // quiet 4 ms, cap 8 ms
        let clock = SystemClock;
        // Gone out already (it filled up): no wait.
        let opened = Instant::now();
        g.wait(&clock, opened, || None).await;
        assert_eq!(opened.elapsed(), Duration::ZERO);
        // Nobody joins: it goes out after the quiet moment.
        let opened = Instant::now();
        g.wait(&clock, opened, || Some(opened)).await;
        assert_eq!(opened.elapsed(), ms(4.0));
        // Lookups keep joining: it goes out at the cap.
        let opened = Instant::now();
        g.wait(&clock, opened, || Some(Instant::now() - ms(0.5)))
            .await;
        assert_eq!(opened.elapsed(), ms(8.0));
        // A wave that ends 3 ms in: the quiet moment after its last lookup.
        let opened = Instant::now();
        let last = opened + ms(3.0);
        g.wait(&clock, opened, || Some(last.min(Instant::now())))
            .await;
        assert_eq!(opened.elapsed(), ms(7.0));
    }
}
