//! Time, injected: the wall clock (for `time_stamp` in signed requests) and the monotonic clock
//! plus sleeping (for backoff, rate limiting, job polling and deadlines).
//!
//! The monotonic side goes through `tokio::time`, so a test that calls `tokio::time::pause()`
//! runs a 30-minute wait in milliseconds. The wall clock is separate because a paused tokio clock
//! does not move `SystemTime`, and tests of expired timestamps need to choose it.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    /// Wall-clock time, used only for `time_stamp`.
    fn now(&self) -> SystemTime;

    /// Monotonic time for deadlines and intervals.
    fn instant(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The real clocks.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` in UTC, the only format QingCloud accepts for `time_stamp`.
/// Times before 1970 are clamped to the epoch (a clock that far off fails with 1300 anyway).
pub(crate) fn format_timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time.max(UNIX_EPOCH)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> String {
        format_timestamp(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn timestamps_are_utc_without_fractions() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // The signing example's time.
        assert_eq!(at(1_377_613_810), "2013-08-27T14:30:10Z");
        // Leap day and the turn of a century that is a leap year.
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(at(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(
            format_timestamp(UNIX_EPOCH + Duration::from_millis(1_377_613_810_999)),
            "2013-08-27T14:30:10Z"
        );
    }
}
