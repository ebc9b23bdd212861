//! Locking shared state that stays consistent even when a holder panicked.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: callers update their state in steps without an `await` or a
/// fallible call in between, so another holder's panic cannot leave it half-changed, and one
/// panicking task must not take every later caller down with it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
