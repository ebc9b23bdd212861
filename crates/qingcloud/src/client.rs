//! The QingCloud API client: one call path and the components over it, behind one handle.
//!
//! Every call goes through the `CallPath` (signing, pacing, retries). Over it sit the cluster
//! lookups (`ClusterLookups`: concurrent lookups in a zone share one DescribeClusters call), the
//! job waits (`JobPoller`: one DescribeJobs call per round for every wait in a zone) and the idle
//! wait (`IdleWait`). Each owns its state; `Client` only builds them and hands calls on. Domain
//! logic over the client, such as `SslService`, lives in its own module.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::actions::describe_jobs;
use super::call::CallPath;
use super::clock::{Clock, SystemClock};
use super::cluster_batch::ClusterLookups;
use super::credentials::ClientConfig;
use super::error::Error;
use super::idle::IdleWait;
use super::jobs::{JobPoller, JobSource, JobsFuture, WaitError};
use super::listing::{ClusterFilter, ClusterPages};
use super::model::{Cluster, Job, JobStatus};
use super::transport::{ReqwestTransport, Transport};

/// The QingCloud API client. Cheap to clone; clones share connections, the rate limiter, the
/// cluster lookups and the job waits.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    api: Arc<CallPath>,
    lookups: Arc<ClusterLookups>,
    jobs: Arc<JobPoller>,
    idle: IdleWait,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", self.inner.api.config())
            .finish_non_exhaustive()
    }
}

/// The job poller asks the call path.
impl JobSource for CallPath {
    fn describe_jobs<'a>(&'a self, zone: &'a str, job_ids: &'a [String]) -> JobsFuture<'a> {
        Box::pin(describe_jobs(self, zone, job_ids))
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Client {
        let connect_timeout = config.timeout.min(Duration::from_secs(10));
        let transport = Arc::new(ReqwestTransport::new(connect_timeout));
        Client::assemble(config, transport, Arc::new(SystemClock))
    }

    /// A client over any transport and clock, for tests.
    #[cfg(any(test, feature = "test-util"))]
    pub fn with_parts(
        config: ClientConfig,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Client {
        Client::assemble(config, transport, clock)
    }

    fn assemble(
        config: ClientConfig,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Client {
        let wait = config.wait.clone();
        let api = Arc::new(CallPath::new(config, transport, clock.clone()));
        let lookups = ClusterLookups::new(api.clone());
        let jobs = JobPoller::new(
            api.clone(),
            clock.clone(),
            wait.clone(),
            api.gather().clone(),
        );
        let idle = IdleWait::new(lookups.clone(), clock, wait);
        Client {
            inner: Arc::new(Inner {
                api,
                lookups,
                jobs,
                idle,
            }),
        }
    }

    pub fn default_zone(&self) -> &str {
        &self.inner.api.config().zone
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.api.clock()
    }

    /// The call path, for the typed actions (`actions`) of the client's own modules.
    pub(crate) fn api(&self) -> &CallPath {
        &self.inner.api
    }

    /// The jobs with these ids, in as many calls of up to 100 ids as needed.
    pub async fn describe_jobs(
        &self,
        zone: &str,
        job_ids: &[impl AsRef<str>],
    ) -> Result<Vec<Job>, Error> {
        describe_jobs(&self.inner.api, zone, job_ids).await
    }

    /// The cluster as it is now, or None when it is absent. Concurrent lookups in one zone
    /// share calls.
    pub(crate) async fn describe_cluster(
        &self,
        zone: &str,
        cluster_id: &str,
    ) -> Result<Option<Cluster>, Error> {
        self.inner.lookups.lookup(zone, cluster_id).await
    }

    /// The cluster as a listing of the zone's clusters of `apps` shows it, sent moments ago and
    /// shared by the lookups of those moments (see `ClusterLookups::lookup_recent`).
    pub(crate) async fn describe_cluster_recent(
        &self,
        zone: &str,
        cluster_id: &str,
        apps: &[&str],
    ) -> Result<Option<Cluster>, Error> {
        self.inner
            .lookups
            .lookup_recent(zone, cluster_id, apps)
            .await
    }

    /// Waits until the job succeeds (Ok), fails, `deadline` passes or `cancel` fires, whichever
    /// comes first. Cancellation returns at once; the job itself is not affected.
    pub async fn wait_for_job(
        &self,
        zone: &str,
        job_id: &str,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> Result<Job, WaitError> {
        self.inner.jobs.wait(zone, job_id, deadline, cancel).await
    }

    /// `wait_for_job`, calling `on_status` with each new status the job is seen in.
    pub async fn wait_for_job_observed(
        &self,
        zone: &str,
        job_id: &str,
        deadline: Duration,
        cancel: &CancellationToken,
        on_status: impl FnMut(&JobStatus) + Send,
    ) -> Result<Job, WaitError> {
        self.inner
            .jobs
            .wait_observed(zone, job_id, deadline, cancel, on_status)
            .await
    }

    /// Polls until the cluster's `transition_status` is empty. Fails at once when the cluster is
    /// absent, `deleted` or `ceased`; transient polling errors are waited through until the
    /// deadline.
    pub async fn wait_cluster_idle(
        &self,
        zone: &str,
        cluster_id: &str,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> Result<Cluster, WaitError> {
        self.inner
            .idle
            .wait(zone, cluster_id, deadline, cancel)
            .await
    }

    /// The zone's clusters that `filter` selects, page by page (see `ClusterPages`).
    pub fn list_clusters(&self, zone: &str, filter: ClusterFilter) -> ClusterPages<'_> {
        ClusterPages::new(&self.inner.api, zone, filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssl::{HistoryPolicy, SslService};
    use crate::testing::{FakeApi, fake_client, ok};
    use serde_json::json;

    /// The provider awaits these inside gRPC handlers, which need Send futures.
    #[test]
    fn futures_are_send() {
        fn send<T: Send>(_: T) {}
        let api = FakeApi::new(|_, _| ok(json!({})));
        let client = fake_client(&api);
        let cancel = CancellationToken::new();
        let d = std::time::Duration::from_secs(1);
        send(client.api().call("A", "z", vec![], true));
        send(client.describe_jobs("z", &["j-1"]));
        send(client.wait_for_job("z", "j-1", d, &cancel));
        send(client.wait_cluster_idle("z", "cl-1", d, &cancel));
        let ssl = SslService::new(&client);
        send(ssl.read("z", "cl-1", None, HistoryPolicy::default()));
        let before = std::collections::HashSet::new();
        send(ssl.submit("z", "cl-1", true, &before));
        fn sync<T: Send + Sync + Clone>(_: &T) {}
        sync(&client);
    }
}
