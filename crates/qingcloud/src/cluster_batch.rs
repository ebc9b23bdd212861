//! Looking up clusters in batches: a plan of a hundred resources reads a hundred clusters, and
//! one DescribeClusters call can answer for up to a hundred of them.
//!
//! It works like a group commit, with no timer: per zone, at most one DescribeClusters call is in
//! flight; lookups that arrive meanwhile queue up and go out together in the next call. A lone
//! lookup therefore waits for nothing, and under load the batches grow by themselves.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::actions::{MAX_IDS_PER_CALL, describe_clusters};
use super::call::CallPath;
use super::error::Error;
use super::model::Cluster;
use super::sync::lock;

type Answer = Result<Option<Cluster>, Error>;

#[derive(Default)]
struct ZoneQueue {
    waiting: Vec<(String, oneshot::Sender<Answer>)>,
    /// A sender task is running for this zone and will pick up `waiting`.
    sending: bool,
}

/// The cluster lookups of one client: a queue per zone, and the task that empties it.
pub(crate) struct ClusterLookups {
    api: Arc<CallPath>,
    zones: Mutex<HashMap<String, ZoneQueue>>,
}

impl ClusterLookups {
    pub(crate) fn new(api: Arc<CallPath>) -> Arc<ClusterLookups> {
        Arc::new(ClusterLookups {
            api,
            zones: Mutex::default(),
        })
    }

    /// The cluster, or None when it is absent. Concurrent lookups in one zone share calls.
    pub(crate) async fn lookup(self: &Arc<Self>, zone: &str, cluster_id: &str) -> Answer {
        let (tx, rx) = oneshot::channel();
        let start_sender = {
            let mut zones = lock(&self.zones);
            let queue = zones.entry(zone.to_string()).or_default();
            queue.waiting.push((cluster_id.to_string(), tx));
            !std::mem::replace(&mut queue.sending, true)
        };
        if start_sender {
            // A task of its own, so that a caller who gives up (Ctrl-C) cannot strand the
            // lookups queued behind it.
            tokio::spawn(Arc::clone(self).send_batches(zone.to_string()));
        }
        match rx.await {
            Ok(answer) => answer,
            // The sender task died (a panic): look up alone rather than fail.
            Err(_) => {
                let list = describe_clusters(&self.api, zone, &[cluster_id]).await?;
                Ok(list.into_iter().find(|c| c.cluster_id == cluster_id))
            }
        }
    }

    async fn send_batches(self: Arc<Self>, zone: String) {
        loop {
            let batch: Vec<(String, oneshot::Sender<Answer>)> = {
                let mut zones = lock(&self.zones);
                let Some(queue) = zones.get_mut(&zone) else {
                    return;
                };
                if queue.waiting.is_empty() {
                    zones.remove(&zone);
                    return;
                }
                let n = queue.waiting.len().min(MAX_IDS_PER_CALL);
                queue.waiting.drain(..n).collect()
            };
            let mut ids: Vec<&str> = Vec::with_capacity(batch.len());
            let mut seen = HashSet::new();
            for (id, _) in &batch {
                if seen.insert(id.as_str()) {
                    ids.push(id);
                }
            }
            tracing::debug!(zone = %zone, clusters = ids.len(), "looking up clusters");
            let result = describe_clusters(&self.api, &zone, &ids).await;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeApi, Params, api_error, fake_call_path, indexed_values, ok};
    use serde_json::json;
    use std::time::Duration;

    fn ids_of(p: &Params) -> Vec<String> {
        indexed_values(p, "clusters")
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
            let set: Vec<_> = ids_of(p)
                .into_iter()
                .map(|id| json!({"cluster_id": id, "status": "active"}))
                .collect();
            ok(json!({ "cluster_set": set }))
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
