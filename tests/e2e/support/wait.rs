//! Waiting for something a test cannot be told about, such as a job the console started.

use std::thread;
use std::time::{Duration, Instant};

/// Polls `done` every 100 ms until it holds; fails the test, naming `what`, after `timeout`.
#[track_caller]
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}
