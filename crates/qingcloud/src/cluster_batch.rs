//! Looking up clusters with few calls and one round trip: a plan of a hundred resources reads a
//! hundred clusters, and one DescribeClusters call can answer for up to a hundred of them.
//!
//! Two kinds of lookup:
//! - **fresh** (`lookup`): answered by a call sent after it was asked for, so it sees the cluster
//!   as it is now; an apply's check before a submit and the idle wait need that. Per zone,
//!   lookups join the next call, which goes out after a short gathering window (`gather`) or at
//!   once with a hundred ids. A lookup never waits behind a call in flight: several calls of a
//!   zone may be in flight together, so each costs one round trip plus the window.
//! - **recent** (`lookup_recent`): a refresh, where every read of one plan may see the zone as
//!   of one moment. The first one lists the zone's clusters of the given apps (the first page,
//!   then up to `LISTED_PAGES` pages side by side) and the reads of the next `RECENT` share that
//!   listing, so a plan's reads cost no DescribeClusters call of their own. A cluster the
//!   listing does not hold (another app, beyond its pages, deleted and no longer listed) is
//!   looked up fresh, so absence is only ever concluded from a lookup by id.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::actions::{MAX_IDS_PER_CALL, describe_clusters};
use super::call::CallPath;
use super::error::Error;
use super::listing::{CLUSTERS_PAGE, ClusterFilter, ClusterPages};
use super::model::Cluster;
use super::sync::lock;

type Answer = Result<Option<Cluster>, Error>;
type Waiting = Vec<(String, oneshot::Sender<Answer>)>;

/// How long a zone listing answers recent lookups, from the moment it was sent: long enough to
/// serve the reads of a plan that take a few seconds, short enough that the state of a long
/// plan is never older than this.
pub(crate) const RECENT: Duration = Duration::from_secs(5);

/// The most pages a listing for recent lookups reads (a thousand clusters): a zone with more
/// costs its reads' lookups by id rather than a listing longer than the plan.
const LISTED_PAGES: u64 = 10;

/// The fresh lookups of one zone that have not gone out yet.
struct Forming {
    /// Which call this is: the task that sends it after the window checks it still is.
    call: u64,
    waiting: Waiting,
    last_joined: Instant,
}

/// A zone listing for recent lookups: the clusters it listed, or why it failed: an error that
/// a lookup by id would meet too (the endpoint or the credentials), or None when a lookup by id
/// may still succeed.
type Listed = Result<Arc<HashMap<String, Cluster>>, Option<Error>>;

/// Whether a failed listing's error is one a lookup by id would meet too: a failure to reach
/// the API at all (its retries are spent), or credentials or a clock the API refuses. Anything
/// else (a refused parameter, a permission, an answer that cannot be read) may be the listing's
/// own, so its lookups go by id.
fn fails_lookups_too(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::Api { ret_code, .. } => matches!(ret_code, 1200 | 1300),
        Error::BadResponse { .. } | Error::UnusableAnswer { .. } => false,
    }
}

struct Snapshot {
    sent_at: Instant,
    listed: watch::Receiver<Option<Listed>>,
}

/// What a fresh lookup does after joining.
enum Then {
    /// It opened a call: send it after the window.
    SendAfterWindow(u64),
    /// It filled the call: send it now.
    SendNow(Waiting),
    /// It joined a call someone else sends.
    Wait,
}

/// The cluster lookups of one client.
pub(crate) struct ClusterLookups {
    api: Arc<CallPath>,
    forming: Mutex<HashMap<String, Forming>>,
    next_call: Mutex<u64>,
    /// Per zone and apps.
    snapshots: Mutex<HashMap<(String, Vec<String>), Snapshot>>,
}

impl ClusterLookups {
    pub(crate) fn new(api: Arc<CallPath>) -> Arc<ClusterLookups> {
        Arc::new(ClusterLookups {
            api,
            forming: Mutex::default(),
            next_call: Mutex::default(),
            snapshots: Mutex::default(),
        })
    }

    /// The cluster as it is now, or None when it is absent. Concurrent lookups in one zone
    /// share calls.
    pub(crate) async fn lookup(self: &Arc<Self>, zone: &str, cluster_id: &str) -> Answer {
        let (tx, rx) = oneshot::channel();
        let now = self.api.clock().instant();
        let then = self.join(zone, cluster_id, tx, now);
        // Tasks of their own, so that a caller who gives up (Ctrl-C) cannot strand the lookups
        // that joined its call.
        match then {
            Then::SendAfterWindow(call) => {
                tokio::spawn(Arc::clone(self).send_after_window(zone.to_string(), call, now));
            }
            Then::SendNow(waiting) => {
                let this = Arc::clone(self);
                let zone = zone.to_string();
                tokio::spawn(async move { this.send(&zone, waiting).await });
            }
            Then::Wait => {}
        }
        match rx.await {
            Ok(answer) => answer,
            // The sending task died (a panic): look up alone rather than fail.
            Err(_) => {
                let list = describe_clusters(&self.api, zone, &[cluster_id]).await?;
                Ok(list.into_iter().find(|c| c.cluster_id == cluster_id))
            }
        }
    }

    /// The cluster as a listing of the zone's clusters of `apps` sent at most `RECENT` ago
    /// shows it, or as a fresh lookup does when that listing does not hold it.
    pub(crate) async fn lookup_recent(
        self: &Arc<Self>,
        zone: &str,
        cluster_id: &str,
        apps: &[&str],
    ) -> Answer {
        let mut listed = self.snapshot(zone, apps);
        let hit = match listed.wait_for(Option::is_some).await {
            Ok(listed) => match listed.as_ref() {
                Some(Ok(clusters)) => clusters.get(cluster_id).cloned(),
                Some(Err(Some(e))) => return Err(e.clone()),
                Some(Err(None)) | None => None,
            },
            // The listing task died (a panic): look up fresh.
            Err(_) => None,
        };
        match hit {
            Some(cluster) => Ok(Some(cluster)),
            None => self.lookup(zone, cluster_id).await,
        }
    }

    /// The zone listing recent lookups share: the current one, or a new one sent now.
    fn snapshot(self: &Arc<Self>, zone: &str, apps: &[&str]) -> watch::Receiver<Option<Listed>> {
        let now = self.api.clock().instant();
        let key = (
            zone.to_string(),
            apps.iter().map(|a| a.to_string()).collect(),
        );
        let mut snapshots = lock(&self.snapshots);
        if let Some(s) = snapshots.get(&key)
            && now.saturating_duration_since(s.sent_at) <= RECENT
        {
            return s.listed.clone();
        }
        let (tx, rx) = watch::channel(None);
        let filter = ClusterFilter {
            apps: key.1.clone(),
            ..ClusterFilter::default()
        };
        snapshots.insert(
            key,
            Snapshot {
                sent_at: now,
                listed: rx.clone(),
            },
        );
        tokio::spawn(list_zone(self.api.clone(), zone.to_string(), filter, tx));
        rx
    }

    /// Adds a fresh lookup to the zone's forming call, opening one if there is none.
    fn join(
        &self,
        zone: &str,
        cluster_id: &str,
        tx: oneshot::Sender<Answer>,
        now: Instant,
    ) -> Then {
        let mut forming = lock(&self.forming);
        if let Some(f) = forming.get_mut(zone) {
            f.waiting.push((cluster_id.to_string(), tx));
            f.last_joined = now;
            if f.waiting.len() < MAX_IDS_PER_CALL {
                return Then::Wait;
            }
            return forming
                .remove(zone)
                .map_or(Then::Wait, |f| Then::SendNow(f.waiting));
        }
        let call = {
            let mut next = lock(&self.next_call);
            *next += 1;
            *next
        };
        forming.insert(
            zone.to_string(),
            Forming {
                call,
                waiting: vec![(cluster_id.to_string(), tx)],
                last_joined: now,
            },
        );
        Then::SendAfterWindow(call)
    }

    async fn send_after_window(self: Arc<Self>, zone: String, call: u64, opened: Instant) {
        let last_joined = || {
            lock(&self.forming)
                .get(&zone)
                .filter(|f| f.call == call)
                .map(|f| f.last_joined)
        };
        self.api
            .gather()
            .wait(self.api.clock().as_ref(), opened, last_joined)
            .await;
        let waiting = {
            let mut forming = lock(&self.forming);
            match forming.get(&zone) {
                Some(f) if f.call == call => forming.remove(&zone).map(|f| f.waiting),
                // Sent already, when it filled up.
                _ => None,
            }
        };
        if let Some(waiting) = waiting {
            self.send(&zone, waiting).await;
        }
    }

    async fn send(&self, zone: &str, batch: Waiting) {
        let mut ids: Vec<&str> = Vec::with_capacity(batch.len());
        let mut seen = HashSet::new();
        for (id, _) in &batch {
            if seen.insert(id.as_str()) {
                ids.push(id);
            }
        }
        tracing::debug!(zone, clusters = ids.len(), "looking up clusters");
        let result = describe_clusters(&self.api, zone, &ids).await;
        for (id, tx) in batch {
            let answer = match &result {
                Ok(list) => Ok(list.iter().find(|c| c.cluster_id == id).cloned()),
                Err(e) => Err(e.clone()),
            };
            // The caller may have stopped waiting; nothing to do then.
            let _ = tx.send(answer);
        }
    }
}

/// Lists the zone's clusters of `filter` for recent lookups: the first page, then the others
/// (up to `LISTED_PAGES`) side by side. A later page that fails leaves its clusters to lookups
/// by id; a first page that fails decides for all (see `fails_lookups_too`).
async fn list_zone(
    api: Arc<CallPath>,
    zone: String,
    filter: ClusterFilter,
    tx: watch::Sender<Option<Listed>>,
) {
    let mut first = ClusterPages::new(&api, &zone, filter.clone());
    let page = match first.next().await {
        Some(Ok(page)) => page,
        Some(Err(e)) if fails_lookups_too(e.error()) => {
            tx.send_replace(Some(Err(Some(e.error().clone()))));
            return;
        }
        Some(Err(e)) => {
            tracing::debug!(zone = %zone, error = %e, "listing the zone's clusters failed; looking up by id");
            tx.send_replace(Some(Err(None)));
            return;
        }
        None => Vec::new(),
    };
    let total = first.total().unwrap_or(0);
    let mut clusters: HashMap<String, Cluster> = page
        .into_iter()
        .map(|c| (c.cluster_id.clone(), c))
        .collect();
    let mut rest = tokio::task::JoinSet::new();
    let offsets = (1..LISTED_PAGES).map(|k| k * CLUSTERS_PAGE);
    for offset in offsets.take_while(|o| *o < total) {
        let (api, zone, filter) = (api.clone(), zone.clone(), filter.clone());
        rest.spawn(async move {
            ClusterPages::starting_at(&api, &zone, filter, offset)
                .next()
                .await
        });
    }
    while let Some(page) = rest.join_next().await {
        match page {
            Ok(Some(Ok(page))) => {
                clusters.extend(page.into_iter().map(|c| (c.cluster_id.clone(), c)));
            }
            Ok(Some(Err(e))) => {
                tracing::debug!(zone = %zone, error = %e, "a page of the zone's clusters failed; its clusters are looked up by id");
            }
            Ok(None) | Err(_) => {}
        }
    }
    tracing::debug!(zone = %zone, clusters = clusters.len(), total, "listed the zone's clusters");
    tx.send_replace(Some(Ok(Arc::new(clusters))));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeApi, Params, Reply, api_error, fake_call_path, indexed_values, ok};
    use serde_json::json;
    use std::time::Duration;

    fn ids_of(p: &Params) -> Vec<String> {
        indexed_values(p, "clusters")
    }

    /// Every asked-for id exists and is active.
    fn active_clusters(p: &Params) -> Reply {
        let set: Vec<_> = ids_of(p)
            .into_iter()
            .map(|id| json!({"cluster_id": id, "status": "active"}))
            .collect();
        ok(json!({ "cluster_set": set }))
    }

    /// Every asked-for id exists except those starting with `cl-gone`.
    fn clusters_api() -> std::sync::Arc<FakeApi> {
        FakeApi::new(|action, p| {
            assert_eq!(action, "DescribeClusters");
            let set: Vec<_> = ids_of(p)
                .into_iter()
                .filter(|id| !id.starts_with("cl-gone"))
                .map(|id| json!({"cluster_id": id, "status": "active", "transition_status": ""}))
                .collect();
            ok(json!({ "cluster_set": set }))
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_lookup_is_one_call_with_one_id() {
        let api = clusters_api();
        let lookups = ClusterLookups::new(fake_call_path(&api));
        let c = lookups.lookup("pek3a", "cl-a").await.unwrap();
        assert_eq!(c.unwrap().cluster_id, "cl-a");
        assert!(lookups.lookup("pek3a", "cl-gone").await.unwrap().is_none());
        let calls = api.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(ids_of(&calls[0].1), ["cl-a"]);
        assert_eq!(calls[0].1.get("limit").map(String::as_str), Some("1"));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_lookups_share_calls_and_each_gets_its_own_answer() {
        let api = clusters_api();
        let lookups = ClusterLookups::new(fake_call_path(&api));
        let tasks: Vec<_> = (0..250)
            .map(|i| {
                let lookups = lookups.clone();
                // Every 10th is absent; a few ids are asked for twice.
                let id = if i % 10 == 0 {
                    format!("cl-gone{i}")
                } else {
                    format!("cl-{}", i % 240)
                };
                tokio::spawn(async move { (id.clone(), lookups.lookup("gd2", &id).await) })
            })
            .collect();
        for t in tasks {
            let (id, answer) = t.await.unwrap();
            let answer = answer.unwrap();
            if id.starts_with("cl-gone") {
                assert!(answer.is_none(), "{id}");
            } else {
                assert_eq!(answer.unwrap().cluster_id, id);
            }
        }
        let calls = api.calls();
        // The first lookup goes alone; the other 249 queue behind it in calls of at most 100.
        assert!(calls.len() <= 4, "{} calls", calls.len());
        assert!(
            calls
                .iter()
                .all(|(_, p)| ids_of(p).len() <= MAX_IDS_PER_CALL)
        );
        assert!(calls.iter().all(|(_, p)| p["zone"] == "gd2"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_call_fails_every_lookup_in_it_and_the_next_batch_starts_clean() {
        let fail = std::sync::atomic::AtomicBool::new(true);
        let api = FakeApi::new(move |_, p| {
            if fail.swap(false, std::sync::atomic::Ordering::SeqCst) {
                return api_error(1200);
            }
            active_clusters(p)
        });
        let lookups = ClusterLookups::new(fake_call_path(&api));
        let err = lookups.lookup("pek3a", "cl-a").await.unwrap_err();
        assert_eq!(err.ret_code(), Some(1200));
        let c = lookups.lookup("pek3a", "cl-a").await.unwrap();
        assert!(c.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_malformed_answer_fails_every_lookup_in_its_batch() {
        // Each answer is broken in its own way; none may read as "absent" (gone) for anyone.
        for broken in [
            json!({"total_count": 3}),
            json!({"cluster_set": [{"cluster_id": "cl-1", "status": "active"}, "junk"]}),
            json!({"cluster_set": [
                {"cluster_id": "cl-1", "status": "active"},
                {"cluster_id": "cl-1", "status": "deleted"}
            ]}),
        ] {
            let api = FakeApi::new(move |_, _| ok(broken.clone()));
            let lookups = ClusterLookups::new(fake_call_path(&api));
            let lookups: Vec<_> = ["cl-1", "cl-2", "cl-3"]
                .into_iter()
                .map(|id| {
                    let lookups = lookups.clone();
                    tokio::spawn(async move { lookups.lookup("pek3a", id).await })
                })
                .collect();
            for lookup in lookups {
                let err = lookup.await.unwrap().unwrap_err();
                assert!(matches!(err, Error::UnusableAnswer { .. }), "{err:?}");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_listing_fails_recent_lookups_only_when_a_lookup_by_id_would_fail_too() {
        // (listing's ret_code, whether the lookups then go by id)
        for (code, by_id) in [(1200, false), (1300, false), (1100, true), (5000, true)] {
            let api = FakeApi::new(move |_, p| {
                if ids_of(p).is_empty() {
                    return api_error(code);
                }
                active_clusters(p)
            });
            let lookups = ClusterLookups::new(fake_call_path(&api));
            for id in ["cl-a", "cl-b"] {
                let answer = lookups.lookup_recent("pek3a", id, &["app-1"]).await;
                if by_id {
                    assert_eq!(answer.unwrap().unwrap().cluster_id, id, "{code}");
                } else {
                    assert_eq!(answer.unwrap_err().ret_code(), Some(code));
                }
            }
            let listings = api
                .calls()
                .iter()
                .filter(|(_, p)| ids_of(p).is_empty())
                .count();
            // One listing serves both lookups, failed or not (5000 is retried within it).
            let attempts = if code == 5000 {
                5
            } else if code == 1300 {
                2
            } else {
                1
            };
            assert_eq!(listings, attempts, "{code}");
            assert_eq!(
                api.count("DescribeClusters") - listings,
                if by_id { 2 } else { 0 }
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_gives_up_strands_nobody() {
        let api = clusters_api();
        let lookups = ClusterLookups::new(fake_call_path(&api));
        // Dropped before it is answered: the batch it started still serves the others.
        let c2 = lookups.clone();
        let quitter = tokio::spawn(async move { c2.lookup("pek3a", "cl-q").await });
        quitter.abort();
        let answer = tokio::time::timeout(Duration::from_secs(5), lookups.lookup("pek3a", "cl-b"))
            .await
            .expect("lookup stranded");
        assert_eq!(answer.unwrap().unwrap().cluster_id, "cl-b");
    }
}
