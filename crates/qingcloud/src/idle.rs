//! Waiting for a cluster to be idle: a custom service sent to a cluster in transition is refused
//! with 1400, so callers wait here first.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::cluster_batch::ClusterLookups;
use super::jobs::{WaitError, WaitPolicy};
use super::model::Cluster;
use super::retry::{RetryClass, classify};

/// The idle wait: looks at the cluster through the shared lookups, at once and then after delays
/// that grow as the job waits' do (`WaitPolicy`).
pub(crate) struct IdleWait {
    lookups: Arc<ClusterLookups>,
    clock: Arc<dyn Clock>,
    policy: WaitPolicy,
}

impl IdleWait {
    pub(crate) fn new(
        lookups: Arc<ClusterLookups>,
        clock: Arc<dyn Clock>,
        policy: WaitPolicy,
    ) -> IdleWait {
        IdleWait {
            lookups,
            clock,
            policy,
        }
    }

    /// Polls until `transition_status` is empty. Fails at once when the cluster is absent,
    /// `deleted` or `ceased`; transient polling errors are waited through until the deadline.
    pub(crate) async fn wait(
        &self,
        zone: &str,
        cluster_id: &str,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> Result<Cluster, WaitError> {
        let (clock, policy) = (&self.clock, &self.policy);
        let deadline_passed = clock.sleep(deadline);
        tokio::pin!(deadline_passed);
        let mut delay = policy.initial_delay;
        let mut transition = String::new();
        loop {
            let poll = async {
                match self.lookups.lookup(zone, cluster_id).await {
                    Ok(None) => Err(WaitError::ClusterGone {
                        cluster_id: cluster_id.into(),
                        status: None,
                    }),
                    Ok(Some(c)) if c.is_gone() => Err(WaitError::ClusterGone {
                        cluster_id: cluster_id.into(),
                        status: Some(c.status),
                    }),
                    Ok(Some(c)) => Ok(Some(c)),
                    Err(e) if classify(&e) == RetryClass::Never => Err(WaitError::Api(e)),
                    Err(e) => {
                        tracing::warn!(zone, cluster_id, error = %e, "reading the cluster failed; still waiting");
                        Ok(None)
                    }
                }
            };
            let seen = tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    return Err(WaitError::ClusterWaitCancelled { cluster_id: cluster_id.into() });
                }
                _ = &mut deadline_passed => {
                    return Err(WaitError::ClusterNotIdle { cluster_id: cluster_id.into(), transition_status: transition });
                }
                seen = poll => seen?,
            };
            if let Some(c) = seen {
                if c.is_idle() {
                    return Ok(c);
                }
                transition = c.transition_status;
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    return Err(WaitError::ClusterWaitCancelled { cluster_id: cluster_id.into() });
                }
                _ = &mut deadline_passed => {
                    return Err(WaitError::ClusterNotIdle { cluster_id: cluster_id.into(), transition_status: transition });
                }
                _ = clock.sleep(delay) => {}
            }
            delay = policy.next_delay(delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeApi, fake_call_path, ok};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn cluster_api(states: Vec<serde_json::Value>) -> Arc<FakeApi> {
        let n = AtomicUsize::new(0);
        FakeApi::new(move |action, p| {
            assert_eq!(action, "DescribeClusters");
            assert_eq!(p.get("clusters.1").map(String::as_str), Some("cl-1"));
            assert_eq!(p.get("verbose").map(String::as_str), Some("1"));
            let i = n.fetch_add(1, Ordering::SeqCst).min(states.len() - 1);
            ok(json!({"cluster_set": states[i].clone()}))
        })
    }

    /// An idle wait over the fake API, with the default policy.
    fn idle_wait(api: &Arc<FakeApi>) -> IdleWait {
        let path = fake_call_path(api);
        let clock = path.clock().clone();
        IdleWait::new(ClusterLookups::new(path), clock, WaitPolicy::default())
    }

    /// Waits for cl-1 in pek3a for `secs`, uncancelled.
    async fn wait_secs(idle: &IdleWait, secs: u64) -> Result<Cluster, WaitError> {
        let never = CancellationToken::new();
        idle.wait("pek3a", "cl-1", Duration::from_secs(secs), &never)
            .await
    }

    fn cl(status: &str, transition: &str) -> serde_json::Value {
        json!([{"cluster_id": "cl-1", "status": status, "transition_status": transition}])
    }

    #[tokio::test(start_paused = true)]
    async fn waits_until_idle() {
        let api = cluster_api(vec![
            cl("active", "updating"),
            cl("active", "updating"),
            cl("active", ""),
        ]);
        let idle = idle_wait(&api);
        let c = wait_secs(&idle, 60).await.unwrap();
        assert_eq!(c.status, "active");
        assert_eq!(api.count("DescribeClusters"), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gone_clusters_fail_fast() {
        for (states, status) in [
            (json!([]), None),
            (cl("ceased", ""), Some("ceased".to_string())),
            (cl("deleted", "deleting"), Some("deleted".to_string())),
        ] {
            let api = cluster_api(vec![states]);
            let idle = idle_wait(&api);
            let err = wait_secs(&idle, 60).await.unwrap_err();
            assert_eq!(
                err,
                WaitError::ClusterGone {
                    cluster_id: "cl-1".into(),
                    status
                }
            );
            assert_eq!(api.count("DescribeClusters"), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_and_cancel() {
        let api = cluster_api(vec![cl("active", "starting")]);
        let idle = idle_wait(&api);
        let err = wait_secs(&idle, 1800).await.unwrap_err();
        assert_eq!(
            err,
            WaitError::ClusterNotIdle {
                cluster_id: "cl-1".into(),
                transition_status: "starting".into()
            }
        );
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = idle
            .wait("pek3a", "cl-1", Duration::from_secs(1800), &cancel)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            WaitError::ClusterWaitCancelled {
                cluster_id: "cl-1".into()
            }
        );
    }
}
