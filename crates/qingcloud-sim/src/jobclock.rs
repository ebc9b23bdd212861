//! The simulator's clock for jobs: the wall clock plus an offset that only grows.
//!
//! QingCloud shows times to the second. A client that orders a cluster's jobs by `create_time`
//! needs every job in a later second than the one before, but tests start jobs many times a
//! second. Holding a job back until the next second would stretch its lifecycle; instead the
//! whole simulated world jumps to that second, so durations stay real and everything the
//! simulator serves (job and cluster times, progress) stays consistent. Request time stamps
//! are still checked against the real clock.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct JobClock {
    /// Simulated minus real time, in milliseconds; never negative, never shrinks.
    pub offset_ms: i64,
    /// Creation time of the newest job so far (simulated milliseconds).
    pub last_job_ms: i64,
}

fn second(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

impl JobClock {
    /// Simulated now for a real `now_ms`.
    pub(crate) fn now(&self, real_ms: i64) -> i64 {
        real_ms.saturating_add(self.offset_ms)
    }

    /// The creation time of a new job at simulated `now`: `now` itself unless that second
    /// already has a job, else the start of the next free second (and the clock jumps there).
    pub(crate) fn stamp(&mut self, now: i64) -> i64 {
        let at = if second(now) > second(self.last_job_ms) {
            now
        } else {
            (second(self.last_job_ms) + 1) * 1000
        };
        self.offset_ms += at - now;
        self.last_job_ms = at;
        at
    }

    /// Reserves `count` consecutive seconds for made-up history ending no earlier than now and
    /// after every job so far; returns the first second's time (jobs go one per second).
    pub(crate) fn reserve_block(&mut self, now: i64, count: i64) -> i64 {
        let last = self.stamp(now);
        let first = (second(last) - (count - 1)) * 1000;
        // Every later job must come after the whole block.
        self.last_job_ms = second(last) * 1000;
        first
    }

    /// Takes in jobs that exist already (a loaded state file from before the clock existed).
    pub(crate) fn observe(&mut self, job_ms: i64) {
        self.last_job_ms = self.last_job_ms.max(job_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_in_one_second_move_the_clock_to_the_next() {
        let mut c = JobClock::default();
        assert_eq!(c.stamp(10_100), 10_100);
        assert_eq!(c.offset_ms, 0);
        // Two more in the same real second: 11 s and 12 s, the clock now 1.9 s ahead.
        assert_eq!(c.stamp(c.now(10_200)), 11_000);
        assert_eq!(c.stamp(c.now(10_300)), 12_000);
        assert_eq!(c.offset_ms, 1_700);
        assert_eq!(c.now(10_300), 12_000);
        // Real time catches up: no further jump.
        assert_eq!(c.stamp(c.now(20_000)), 21_700);
        assert_eq!(c.offset_ms, 1_700);
    }

    #[test]
    fn a_reserved_block_ends_now_and_later_jobs_come_after_it() {
        let mut c = JobClock::default();
        c.stamp(100_000);
        let first = c.reserve_block(500_500, 5);
        assert_eq!(first, 496_000);
        assert_eq!(c.offset_ms, 0);
        assert_eq!(c.stamp(500_900), 501_000);
        // A block right after a job in the same second starts the jump.
        let mut c = JobClock::default();
        c.stamp(7_000);
        assert_eq!(c.reserve_block(7_100, 3), 6_000);
        assert_eq!(c.last_job_ms, 8_000);
        assert!(c.stamp(c.now(7_200)) >= 9_000);
    }
}
