//! The shared simulator state. One `std` mutex guards the world; it is only ever held for
//! synchronous work, never across an await, so thousands of concurrent requests stay correct.

use std::collections::BTreeMap;
use std::sync::Mutex;

use qingcloud::sync::lock;
use tokio::sync::watch;

use super::clock::now_ms;
use super::faults::{Decision, Faults};
use super::odd::OddAnswer;
use super::reqlog::{Entry, RequestLog};
use super::store::{Store, World};

struct Inner {
    world: World,
    rng: fastrand::Rng,
    revision: u64,
}

pub(crate) struct Shared {
    inner: Mutex<Inner>,
    keys: BTreeMap<String, String>,
    store: Option<Store>,
    log: Mutex<RequestLog>,
    stopping: watch::Sender<bool>,
}

fn rng_for(faults: &Faults) -> fastrand::Rng {
    faults
        .seed
        .map(fastrand::Rng::with_seed)
        .unwrap_or_default()
}

impl Shared {
    pub(crate) fn new(world: World, keys: BTreeMap<String, String>, store: Option<Store>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                rng: rng_for(&world.faults),
                world,
                revision: 0,
            }),
            keys,
            store,
            log: Mutex::new(RequestLog::default()),
            stopping: watch::Sender::new(false),
        }
    }

    pub(crate) fn keys(&self) -> &BTreeMap<String, String> {
        &self.keys
    }

    /// Runs `f` on the world after applying every job that has finished by now. `f` says whether
    /// it changed anything; any change (its own or a settled job) is persisted before returning,
    /// so the state file is never behind an answer already given.
    /// `now` is the simulated time (see `jobclock.rs`).
    pub(crate) fn with_world<R>(&self, f: impl FnOnce(&mut World, i64) -> (R, bool)) -> R {
        let (result, snapshot) = {
            let mut inner = lock(&self.inner);
            let now = inner.world.clock.now(now_ms());
            let mut settled = false;
            for cluster in inner.world.clusters.values_mut() {
                settled |= cluster.settle(now);
            }
            let (result, changed) = f(&mut inner.world, now);
            let snapshot = if (settled || changed) && self.store.is_some() {
                inner.revision += 1;
                serde_json::to_string_pretty(&inner.world)
                    .ok()
                    .map(|text| (inner.revision, text))
            } else {
                None
            };
            (result, snapshot)
        };
        if let (Some(store), Some((revision, text))) = (&self.store, snapshot) {
            store.save(revision, &text);
        }
        result
    }

    pub(crate) fn read<R>(&self, f: impl FnOnce(&World, i64) -> R) -> R {
        self.with_world(|world, now| (f(world, now), false))
    }

    /// The odd answer configured for `action`, if any.
    pub(crate) fn odd_answer(&self, action: &str) -> Option<OddAnswer> {
        lock(&self.inner).world.faults.odd_answer_for(action)
    }

    /// Releases every request held by the `hang` odd answer; called at shutdown.
    pub(crate) fn release_hangs(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once the simulator shuts down.
    pub(crate) async fn stopping(&self) {
        let mut rx = self.stopping.subscribe();
        // An error means the sender is gone, which also means the simulator is stopping.
        let _ = rx.wait_for(|stopping| *stopping).await;
    }

    /// The drawn faults of one request, plus a targeted error (`error_requests`) for its
    /// action and `offset`, which wins over a drawn one.
    pub(crate) fn draw_faults(&self, action: Option<&str>, offset: Option<u64>) -> Decision {
        let mut inner = lock(&self.inner);
        let Inner { world, rng, .. } = &mut *inner;
        let mut decision = Decision::draw(&world.faults, rng);
        if let Some(code) = action.and_then(|a| world.faults.targeted_error(a, offset)) {
            decision.error_code = Some(code);
        }
        decision
    }

    /// The fixed latency of every `/iaas/` answer (`Settings::latency_ms`). Read under the
    /// lock without settling jobs: it is not an action on the world.
    pub(crate) fn latency_ms(&self) -> u64 {
        lock(&self.inner).world.settings.latency_ms
    }

    /// Replaces the faults; a seed restarts the random sequence so a test can replay it.
    pub(crate) fn set_faults(&self, faults: Faults) {
        let rng = rng_for(&faults);
        self.with_world(|world, _| {
            world.faults = faults;
            ((), true)
        });
        lock(&self.inner).rng = rng;
    }

    /// Unconditional write, for shutdown.
    pub(crate) fn save_now(&self) {
        let Some(store) = &self.store else { return };
        let snapshot = {
            let mut inner = lock(&self.inner);
            inner.revision += 1;
            serde_json::to_string_pretty(&inner.world)
                .ok()
                .map(|text| (inner.revision, text))
        };
        if let Some((revision, text)) = snapshot {
            store.save(revision, &text);
        }
    }

    pub(crate) fn record(&self, entry: Entry) {
        lock(&self.log).push(entry);
    }

    pub(crate) fn requests(&self) -> Vec<Entry> {
        lock(&self.log).entries()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).clear();
    }
}
