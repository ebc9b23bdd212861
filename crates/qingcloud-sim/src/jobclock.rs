//! The simulator's clock for jobs: the wall clock plus an offset that only grows.
//!
//! QingCloud shows times to the second. A client that orders a cluster's jobs by `create_time`
//! needs each of that cluster's jobs in a later second than the one before, but tests start jobs
//! on one cluster many times a second. Holding a job back until the next second would stretch
//! its lifecycle; instead the whole simulated world jumps to that second, so durations stay real
//! and everything the simulator serves (job and cluster times, progress) stays consistent. Jobs
//! of different clusters may share a second, as they do on QingCloud, and move nothing: many
//! clusters switched at once must not age every job by a second each. Request time stamps are
//! still checked against the real clock.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct JobClock {
    /// Simulated minus real time, in milliseconds; never negative, never shrinks.
    pub(crate) offset_ms: i64,
}

fn second(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

impl JobClock {
    /// Simulated now for a real `now_ms`.
    pub(crate) fn now(&self, real_ms: i64) -> i64 {
        real_ms.saturating_add(self.offset_ms)
    }

    /// The creation time of a new job at simulated `now` on a cluster whose newest job was
    /// created at `newest` (None: it has none): `now` itself unless that second already has one
    /// of the cluster's jobs, else the start of the next free second (and the clock jumps there).
    pub(crate) fn stamp(&mut self, now: i64, newest: Option<i64>) -> i64 {
        let at = match newest {
            Some(newest) if second(now) <= second(newest) => (second(newest) + 1) * 1000,
            _ => now,
        };
        self.offset_ms += at - now;
        at
    }

    /// Reserves `count` consecutive seconds for made-up history of a cluster, ending no earlier
    /// than now and after the cluster's `newest` job; returns the first second's time (jobs go
    /// one per second). The caller moves the cluster's older jobs back before the block.
    pub(crate) fn reserve_block(&mut self, now: i64, count: i64, newest: Option<i64>) -> i64 {
        let last = self.stamp(now, newest);
        (second(last) - (count - 1)) * 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_of_one_cluster_in_one_second_move_the_clock_to_the_next() {
        let mut c = JobClock::default();
        assert_eq!(c.stamp(10_100, None), 10_100);
        assert_eq!(c.offset_ms, 0);
        // Two more on the same cluster in the same real second: 11 s and 12 s, the clock now
        // 1.7 s ahead.
        let second = c.stamp(c.now(10_200), Some(10_100));
        assert_eq!(second, 11_000);
        assert_eq!(c.stamp(c.now(10_300), Some(second)), 12_000);
        assert_eq!(c.offset_ms, 1_700);
        assert_eq!(c.now(10_300), 12_000);
        // Real time catches up: no further jump.
        assert_eq!(c.stamp(c.now(20_000), Some(12_000)), 21_700);
        assert_eq!(c.offset_ms, 1_700);
    }

    #[test]
    fn jobs_of_different_clusters_in_one_second_leave_the_clock_alone() {
        let mut c = JobClock::default();
        for (i, real) in (10_100..10_200).step_by(10).enumerate() {
            // Each cluster's newest job is long past; fifty clusters switched in one second.
            assert_eq!(c.stamp(c.now(real), Some(i as i64)), real);
        }
        assert_eq!(c.offset_ms, 0);
    }

    #[test]
    fn a_reserved_block_ends_now_and_later_jobs_come_after_it() {
        let mut c = JobClock::default();
        let first = c.reserve_block(500_500, 5, Some(100_000));
        assert_eq!(first, 496_000);
        assert_eq!(c.offset_ms, 0);
        // The block's newest job is at 500 s: the cluster's next job goes to 501 s.
        assert_eq!(c.stamp(500_900, Some(500_000)), 501_000);
        // A block right after a job of the cluster in the same second starts the jump.
        let mut c = JobClock::default();
        assert_eq!(c.reserve_block(7_100, 3, Some(7_000)), 6_000);
        assert_eq!(c.offset_ms, 900);
    }
}
