//! Waiting for jobs, and the shape of every wait's error (`WaitError`, also the idle wait's).
//!
//! `JobPoller` owns the waits of one client: every wait registers its job with the poller's
//! task for its zone, and each poll round asks about all registered jobs of the zone in one
//! DescribeJobs call (100 ids per call), so parallel waits cost one call per round between
//! them. Each waiter watches its own job's latest observation and decides alone: success,
//! failure, keep waiting, its own deadline, its own cancellation. The poller reaches the API
//! only through its `JobSource`.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::error::Error;
use super::gather::Gather;
use super::model::{Job, JobStatus};
use super::retry::{RetryClass, classify};
use super::sync::lock;

pub(crate) type JobsFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Job>, Error>> + Send + 'a>>;

/// How the poller learns about jobs: DescribeJobs for some ids of one zone, every id asked
/// about (the client wires in its call path).
pub(crate) trait JobSource: Send + Sync + 'static {
    fn describe_jobs<'a>(&'a self, zone: &'a str, job_ids: &'a [String]) -> JobsFuture<'a>;
}

/// How often to look again: `first_look` after the wait starts, then after delays that start at
/// `initial_delay` and grow by `multiplier` up to `max_delay`. A job is then seen within a fixed
/// fraction (`multiplier - 1`) of the time waited after it ends, plus `initial_delay`; what the
/// defaults cost in calls is in docs/performance.md.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitPolicy {
    /// The first look comes this long after the wait starts.
    pub(crate) first_look: Duration,
    /// The delay after the first look.
    pub(crate) initial_delay: Duration,
    /// Each delay is the previous one times this.
    pub(crate) multiplier: f64,
    pub(crate) max_delay: Duration,
    /// A job DescribeJobs does not list counts as not found only after this many rounds and
    /// this much time: a new job may take a moment to be listed.
    pub(crate) missing_rounds: u32,
    pub(crate) missing_grace: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            first_look: Duration::ZERO,
            initial_delay: Duration::from_millis(200),
            multiplier: 1.15,
            max_delay: Duration::from_secs(10),
            missing_rounds: 5,
            missing_grace: Duration::from_secs(10),
        }
    }
}

impl WaitPolicy {
    pub(crate) fn next_delay(&self, current: Duration) -> Duration {
        let factor = if self.multiplier.is_finite() && self.multiplier >= 1.0 {
            self.multiplier
        } else {
            1.0
        };
        // Never a busy loop, even with a zero delay configured.
        current
            .mul_f64(factor)
            .max(Duration::from_millis(50))
            .min(self.max_delay)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    JobFailed {
        job_id: String,
        status: JobStatus,
        error_codes: String,
    },
    DeadlineExceeded {
        job_id: String,
        last_status: Option<JobStatus>,
    },
    Cancelled {
        job_id: String,
    },
    /// The job has a status none of the documented five: whether it still runs, succeeded or
    /// failed is unknown, so the wait neither goes on (it might never end) nor succeeds.
    UnknownStatus {
        job_id: String,
        status: String,
    },
    JobNotFound {
        job_id: String,
        zone: String,
    },
    /// The cluster is absent (`status` None) or `deleted`/`ceased`.
    ClusterGone {
        cluster_id: String,
        status: Option<String>,
    },
    ClusterNotIdle {
        cluster_id: String,
        transition_status: String,
    },
    ClusterWaitCancelled {
        cluster_id: String,
    },
    /// Polling failed in a way that waiting will not fix (e.g. authentication).
    Api(Error),
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::JobFailed {
                job_id,
                status,
                error_codes,
            } => {
                write!(f, "QingCloud job {job_id} ended with status \"{status}\"")?;
                if error_codes.is_empty() {
                    f.write_str(" (no error codes)")
                } else {
                    write!(f, " (error codes: {error_codes})")
                }
            }
            WaitError::DeadlineExceeded {
                job_id,
                last_status,
            } => {
                write!(f, "timed out waiting for QingCloud job {job_id}")?;
                match last_status {
                    Some(s) => write!(f, " (last status \"{s}\"); it may still finish"),
                    None => f.write_str(" (its status was never read)"),
                }
            }
            WaitError::Cancelled { job_id } => {
                // Whether the job goes on is for the caller to say, once.
                write!(
                    f,
                    "stopped waiting for QingCloud job {job_id} (interrupted)"
                )
            }
            WaitError::UnknownStatus { job_id, status } => write!(
                f,
                "QingCloud job {job_id} has status \"{status}\", which is none of pending, \
                 working, successful, failed, done with failure: whether it ran cannot be told"
            ),
            WaitError::JobNotFound { job_id, zone } => {
                write!(f, "QingCloud job {job_id} not found in zone {zone}")
            }
            WaitError::ClusterGone { cluster_id, status } => match status {
                Some(s) => write!(f, "QingCloud cluster {cluster_id} is {s}"),
                None => write!(f, "QingCloud cluster {cluster_id} does not exist"),
            },
            WaitError::ClusterNotIdle {
                cluster_id,
                transition_status,
            } => write!(
                f,
                "timed out waiting for QingCloud cluster {cluster_id} to finish \"{transition_status}\""
            ),
            WaitError::ClusterWaitCancelled { cluster_id } => {
                write!(f, "stopped waiting for QingCloud cluster {cluster_id}")
            }
            WaitError::Api(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for WaitError {}

/// What the poller last learned about one job.
#[derive(Debug, Clone)]
enum Observation {
    Nothing,
    Seen(Job),
    NotFound,
    PollFailed(Error),
}

struct Entry {
    tx: watch::Sender<Observation>,
    waiters: usize,
    /// The delay after the next look.
    interval: Duration,
    next_due: Instant,
    misses: u32,
    first_missed: Option<Instant>,
    /// A look at this job is in flight: a round that starts meanwhile leaves it out.
    asking: bool,
    /// The last look ended every wait on the job (it finished, has an unknown status, is not
    /// found, or polling cannot go on): it is not looked at again while its waiters leave.
    settled: bool,
}

impl Entry {
    fn may_be_asked(&self) -> bool {
        !self.asking && !self.settled
    }
}

/// Whether an observation ends every wait on the job (see `JobPoller::wait_observed`).
fn settles(observation: &Observation) -> bool {
    match observation {
        Observation::Nothing => false,
        Observation::Seen(job) => !job.status.is_in_progress(),
        Observation::NotFound | Observation::PollFailed(_) => true,
    }
}

/// The registered jobs of one zone and the wake-up bell for its polling task.
struct ZonePoller {
    jobs: Mutex<HashMap<String, Entry>>,
    wake: Notify,
    /// When a job last joined (its first look is due at once): a round gathers until they stop.
    last_joined: Mutex<Option<Instant>>,
}

/// One waiter's membership; leaving (drop) unregisters the job when nobody else waits on it.
struct Registration {
    poller: Arc<ZonePoller>,
    job_id: String,
    rx: watch::Receiver<Observation>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut jobs = lock(&self.poller.jobs);
        if let Some(entry) = jobs.get_mut(&self.job_id) {
            entry.waiters = entry.waiters.saturating_sub(1);
            if entry.waiters == 0 {
                jobs.remove(&self.job_id);
            }
        }
        if jobs.is_empty() {
            self.poller.wake.notify_one();
        }
    }
}

/// The job waits of one client, and the polling tasks (one per zone with waiters) they share.
pub(crate) struct JobPoller {
    source: Arc<dyn JobSource>,
    clock: Arc<dyn Clock>,
    policy: WaitPolicy,
    /// How long a round waits for the looks that fall due together.
    gather: Arc<Gather>,
    /// One poller per zone, created on demand and removed when it has nothing to poll.
    zones: Mutex<HashMap<String, Arc<ZonePoller>>>,
}

impl JobPoller {
    pub(crate) fn new(
        source: Arc<dyn JobSource>,
        clock: Arc<dyn Clock>,
        policy: WaitPolicy,
        gather: Arc<Gather>,
    ) -> Arc<JobPoller> {
        Arc::new(JobPoller {
            source,
            clock,
            policy,
            gather,
            zones: Mutex::new(HashMap::new()),
        })
    }

    fn register(self: &Arc<Self>, zone: &str, job_id: &str) -> Registration {
        let policy = &self.policy;
        let now = self.clock.instant();
        let mut pollers = lock(&self.zones);
        let poller = match pollers.get(zone) {
            Some(p) => p.clone(),
            None => {
                let p = Arc::new(ZonePoller {
                    jobs: Mutex::new(HashMap::new()),
                    wake: Notify::new(),
                    last_joined: Mutex::new(None),
                });
                pollers.insert(zone.to_string(), p.clone());
                tokio::spawn(Arc::clone(self).poll_zone(zone.to_string(), p.clone()));
                p
            }
        };
        let rx = {
            let mut jobs = lock(&poller.jobs);
            let entry = jobs.entry(job_id.to_string()).or_insert_with(|| Entry {
                tx: watch::Sender::new(Observation::Nothing),
                waiters: 0,
                interval: policy.initial_delay,
                next_due: now + policy.first_look,
                misses: 0,
                first_missed: None,
                asking: false,
                settled: false,
            });
            entry.waiters += 1;
            entry.tx.subscribe()
        };
        *lock(&poller.last_joined) = Some(now);
        drop(pollers);
        poller.wake.notify_one();
        Registration {
            poller,
            job_id: job_id.to_string(),
            rx,
        }
    }

    /// The polling task of one zone; ends when no job of the zone is waited on.
    ///
    /// A round asks about every registered job that is not being asked about already, due or
    /// not (it costs nothing extra), in one DescribeJobs call (per 100 jobs). Rounds run in tasks
    /// of their own, so a look that falls due while another round is in flight (the first look
    /// at a job just submitted) does not wait for that round: it goes out after the gathering
    /// window, with every other look that fell due meanwhile.
    async fn poll_zone(self: Arc<Self>, zone: String, poller: Arc<ZonePoller>) {
        let clock = &self.clock;
        // When the last round went out: only looks at jobs that joined since then gather.
        let mut last_round: Option<Instant> = None;
        loop {
            let due = {
                // Same lock order as `register`: zones, then jobs.
                let mut pollers = lock(&self.zones);
                let jobs = lock(&poller.jobs);
                if jobs.is_empty() {
                    if pollers.get(&zone).is_some_and(|p| Arc::ptr_eq(p, &poller)) {
                        pollers.remove(&zone);
                    }
                    return;
                }
                jobs.values()
                    .filter(|e| e.may_be_asked())
                    .map(|e| e.next_due)
                    .min()
            };
            let Some(due) = due else {
                // Every job is being asked about or settled: wait for a round to end or for
                // someone to join or leave.
                poller.wake.notified().await;
                continue;
            };
            let now = clock.instant();
            if due > now {
                tokio::select! {
                    _ = clock.sleep(due - now) => {}
                    // Someone joined or left, or a round ended: recompute the next due time.
                    _ = poller.wake.notified() => continue,
                }
            }
            // First looks that fall due together (the jobs of a wave of submissions) share the
            // call; later rounds are aligned by their schedule already.
            let opened = clock.instant();
            let joined = *lock(&poller.last_joined);
            if joined.is_some_and(|j| last_round.is_none_or(|r| j >= r)) {
                self.gather
                    .wait(clock.as_ref(), opened, || *lock(&poller.last_joined))
                    .await;
            }
            let round_start = clock.instant();
            last_round = Some(round_start);
            let ids: Vec<String> = lock(&poller.jobs)
                .iter_mut()
                .filter(|(_, e)| e.may_be_asked())
                .map(|(id, e)| {
                    e.asking = true;
                    id.clone()
                })
                .collect();
            if !ids.is_empty() {
                // The source splits more than 100 ids into several calls.
                tokio::spawn(Arc::clone(&self).poll_round(
                    zone.clone(),
                    poller.clone(),
                    ids,
                    round_start,
                ));
            }
        }
    }

    /// One DescribeJobs call about `ids`, and what it tells each of their waiters.
    async fn poll_round(
        self: Arc<Self>,
        zone: String,
        poller: Arc<ZonePoller>,
        ids: Vec<String>,
        round_start: Instant,
    ) {
        let policy = &self.policy;
        let result = self.source.describe_jobs(&zone, &ids).await;
        let now = self.clock.instant();
        let mut jobs = lock(&poller.jobs);
        let mut found: HashMap<String, Job> = match &result {
            Ok(list) => list.iter().map(|j| (j.job_id.clone(), j.clone())).collect(),
            Err(e) => {
                tracing::warn!(zone = %zone, error = %e, "polling QingCloud jobs failed");
                HashMap::new()
            }
        };
        for id in &ids {
            let Some(entry) = jobs.get_mut(id) else {
                continue;
            };
            entry.asking = false;
            let observation = match &result {
                Ok(_) => match found.remove(id) {
                    Some(job) => {
                        entry.misses = 0;
                        entry.first_missed = None;
                        Some(Observation::Seen(job))
                    }
                    None => {
                        entry.misses += 1;
                        let since = *entry.first_missed.get_or_insert(now);
                        (entry.misses >= policy.missing_rounds
                            && now.saturating_duration_since(since) >= policy.missing_grace)
                            .then_some(Observation::NotFound)
                    }
                },
                // Waiting cannot fix a rejected key or a bad parameter; anything else is
                // probably transient, and the waiters' deadlines bound it.
                Err(e) if classify(e) == RetryClass::Never => {
                    Some(Observation::PollFailed(e.clone()))
                }
                Err(_) => None,
            };
            if let Some(observation) = observation {
                entry.settled = settles(&observation);
                entry.tx.send_replace(observation);
            }
            // A job that was nearly due joins this round's schedule, which keeps concurrent
            // waits aligned to one call per round; one far from due keeps its own, so that
            // rounds it merely rode along do not stretch its delays.
            let slack = entry.interval / 4;
            if entry.next_due <= round_start + slack {
                entry.next_due = now + entry.interval;
                entry.interval = policy.next_delay(entry.interval);
            }
        }
        drop(jobs);
        poller.wake.notify_one();
    }

    /// Waits until the job succeeds (Ok), fails, `deadline` passes or `cancel` fires, whichever
    /// comes first. Cancellation returns at once; the job itself is not affected.
    pub(crate) async fn wait(
        self: &Arc<Self>,
        zone: &str,
        job_id: &str,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> Result<Job, WaitError> {
        self.wait_observed(zone, job_id, deadline, cancel, |_| {})
            .await
    }

    /// `wait`, calling `on_status` with each status the job is seen in that differs from the
    /// one seen before (the first included).
    pub(crate) async fn wait_observed(
        self: &Arc<Self>,
        zone: &str,
        job_id: &str,
        deadline: Duration,
        cancel: &CancellationToken,
        mut on_status: impl FnMut(&JobStatus) + Send,
    ) -> Result<Job, WaitError> {
        if cancel.is_cancelled() {
            return Err(WaitError::Cancelled {
                job_id: job_id.into(),
            });
        }
        let mut registration = self.register(zone, job_id);
        let deadline_passed = self.clock.sleep(deadline);
        tokio::pin!(deadline_passed);
        let mut last_status: Option<JobStatus> = None;
        loop {
            let observation = registration.rx.borrow_and_update().clone();
            match observation {
                Observation::Nothing => {}
                Observation::Seen(job) => {
                    if last_status.as_ref() != Some(&job.status) {
                        tracing::debug!(zone, job_id, status = %job.status, "job status");
                        on_status(&job.status);
                    }
                    match &job.status {
                        JobStatus::Successful => return Ok(job),
                        JobStatus::Failed | JobStatus::DoneWithFailure => {
                            return Err(WaitError::JobFailed {
                                job_id: job_id.into(),
                                status: job.status.clone(),
                                error_codes: job.error_codes.clone(),
                            });
                        }
                        JobStatus::Pending | JobStatus::Working => {}
                        JobStatus::Other(status) => {
                            return Err(WaitError::UnknownStatus {
                                job_id: job_id.into(),
                                status: status.clone(),
                            });
                        }
                    }
                    last_status = Some(job.status);
                }
                Observation::NotFound => {
                    return Err(WaitError::JobNotFound {
                        job_id: job_id.into(),
                        zone: zone.into(),
                    });
                }
                Observation::PollFailed(e) => return Err(WaitError::Api(e)),
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    return Err(WaitError::Cancelled { job_id: job_id.into() });
                }
                _ = &mut deadline_passed => {
                    return Err(WaitError::DeadlineExceeded { job_id: job_id.into(), last_status });
                }
                changed = registration.rx.changed() => {
                    if changed.is_err() {
                        // The entry vanished under us, which `Registration` prevents; register
                        // again rather than spin.
                        registration = self.register(zone, job_id);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeApi, Params, Reply, api_error, fake_call_path, indexed_values, ok};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn job_ids(p: &Params) -> Vec<String> {
        indexed_values(p, "jobs")
    }

    /// A DescribeJobs that reports `status(job_id, round)`; round counts DescribeJobs calls.
    fn jobs_api(
        status: impl Fn(&str, usize) -> Option<&'static str> + Send + Sync + 'static,
    ) -> Arc<FakeApi> {
        let round = AtomicUsize::new(0);
        FakeApi::new(move |action, p| {
            assert_eq!(action, "DescribeJobs");
            let n = round.fetch_add(1, Ordering::SeqCst) + 1;
            let set: Vec<_> = job_ids(p)
                .iter()
                .filter_map(|id| {
                    status(id, n).map(|s| json!({"job_id": id, "status": s, "error_codes": "1400"}))
                })
                .collect();
            ok(json!({"job_set": set}))
        })
    }

    /// A poller over the fake API, with the default policy.
    fn fake_poller(api: &Arc<FakeApi>) -> Arc<JobPoller> {
        let path = fake_call_path(api);
        let clock = path.clock().clone();
        let gather = path.gather().clone();
        JobPoller::new(path, clock, WaitPolicy::default(), gather)
    }

    async fn wait(poller: &Arc<JobPoller>, job: &str, secs: u64) -> Result<Job, WaitError> {
        poller
            .wait(
                "pek3a",
                job,
                Duration::from_secs(secs),
                &CancellationToken::new(),
            )
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn pending_working_then_successful() {
        let api =
            jobs_api(|_, n| Some(["pending", "working", "working", "successful"][(n - 1).min(3)]));
        let poller = fake_poller(&api);
        let start = Instant::now();
        let job = wait(&poller, "j-1", 600).await.unwrap();
        assert_eq!(job.status, JobStatus::Successful);
        assert_eq!(api.count("DescribeJobs"), 4);
        // At once (after the first look's gathering window: 1 ms before any answer, on tokio's
        // millisecond timer), then 0.2 s, 0.23 s, 0.2645 s.
        let took = start.elapsed().as_secs_f64();
        assert!((0.6955..=0.6965).contains(&took), "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn both_failure_statuses_fail_at_once() {
        for status in ["failed", "done with failure"] {
            let api = jobs_api(move |_, _| Some(status));
            let poller = fake_poller(&api);
            let err = wait(&poller, "j-2", 600).await.unwrap_err();
            assert_eq!(
                err,
                WaitError::JobFailed {
                    job_id: "j-2".into(),
                    status: JobStatus::parse(status),
                    error_codes: "1400".into()
                }
            );
            let text = err.to_string();
            assert!(
                text.contains("j-2") && text.contains(status) && text.contains("1400"),
                "{text}"
            );
            assert_eq!(api.count("DescribeJobs"), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_status_is_an_error_not_success_nor_an_endless_wait() {
        let api = jobs_api(|_, n| Some(if n < 2 { "working" } else { "rolling back" }));
        let poller = fake_poller(&api);
        let err = wait(&poller, "j-3", 600).await.unwrap_err();
        assert_eq!(
            err,
            WaitError::UnknownStatus {
                job_id: "j-3".into(),
                status: "rolling back".into()
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("j-3") && text.contains("rolling back"),
            "{text}"
        );
        assert_eq!(api.count("DescribeJobs"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn thirty_minute_deadline_in_no_time() {
        let api = jobs_api(|_, _| Some("working"));
        let poller = fake_poller(&api);
        let started = std::time::Instant::now();
        let err = wait(&poller, "j-4", 1800).await.unwrap_err();
        assert_eq!(
            err,
            WaitError::DeadlineExceeded {
                job_id: "j-4".into(),
                last_status: Some(JobStatus::Working)
            }
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        // Delays grow to 10 s within ~65 s (28 looks), then ~173 looks at 10 s: about 200
        // rounds, not thousands and not a handful.
        let calls = api.count("DescribeJobs");
        assert!((195..=210).contains(&calls), "{calls}");
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_returns_at_once() {
        let api = jobs_api(|_, _| Some("working"));
        let poller = fake_poller(&api);
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            c2.cancel();
        });
        let start = Instant::now();
        let err = poller
            .wait("pek3a", "j-5", Duration::from_secs(3600), &cancel)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            WaitError::Cancelled {
                job_id: "j-5".into()
            }
        );
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
        // Already cancelled: no call at all.
        let calls = api.count("DescribeJobs");
        let err = poller
            .wait("pek3a", "j-5", Duration::from_secs(3600), &cancel)
            .await
            .unwrap_err();
        assert!(matches!(err, WaitError::Cancelled { .. }));
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(api.count("DescribeJobs"), calls);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waits_share_one_call_per_round() {
        // Job i succeeds in round (i % 3) + 1.
        let api = jobs_api(|id, n| {
            let i: usize = id.trim_start_matches("j-").parse().unwrap();
            Some(if n > i % 3 { "successful" } else { "working" })
        });
        let poller = fake_poller(&api);
        let waits: Vec<_> = (0..20)
            .map(|i| {
                let c = poller.clone();
                tokio::spawn(async move { wait(&c, &format!("j-{i}"), 600).await })
            })
            .collect();
        for w in waits {
            assert!(w.await.unwrap().is_ok());
        }
        let calls = api.calls();
        assert_eq!(calls.len(), 3, "one DescribeJobs per round");
        let sizes: Vec<usize> = calls.iter().map(|(_, p)| job_ids(p).len()).collect();
        assert_eq!(sizes, vec![20, 13, 6]);
        // The zone's poller is gone once nobody waits.
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(poller.zones.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_seen_finished_is_not_looked_at_again() {
        // j-done has succeeded already; j-slow works for three rounds.
        let api = jobs_api(|id, n| {
            Some(if id == "j-done" || n > 3 {
                "successful"
            } else {
                "working"
            })
        });
        let poller = fake_poller(&api);
        // A waiter slow to leave: its registration outlives the look that saw the job done.
        let lingering = poller.register("pek3a", "j-done");
        wait(&poller, "j-slow", 600).await.unwrap();
        let looks = |id: &str| {
            api.calls()
                .iter()
                .filter(|(_, p)| job_ids(p).iter().any(|j| j == id))
                .count()
        };
        assert_eq!(looks("j-slow"), 4);
        assert_eq!(looks("j-done"), 1);
        assert!(matches!(
            &*lingering.rx.borrow(),
            Observation::Seen(job) if job.status == JobStatus::Successful
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_first_look_does_not_wait_for_a_round_in_flight() {
        let rtt = Duration::from_millis(50);
        let api = FakeApi::with_delay(rtt, |_, p| {
            let set: Vec<_> = job_ids(p)
                .iter()
                .map(|id| {
                    let status = if id == "j-long" {
                        "working"
                    } else {
                        "successful"
                    };
                    json!({"job_id": id, "status": status})
                })
                .collect();
            ok(json!({"job_set": set}))
        });
        let poller = fake_poller(&api);
        let p = poller.clone();
        let long = tokio::spawn(async move { wait(&p, "j-long", 600).await });
        // Submitted while the look at j-long is in flight.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let start = Instant::now();
        wait(&poller, "j-new", 600).await.unwrap();
        // One round trip and a gathering window (half of it at most), not two round trips.
        assert!(
            start.elapsed() <= rtt + rtt / 2 + Duration::from_millis(1),
            "{:?}",
            start.elapsed()
        );
        let calls = api.calls();
        assert_eq!(job_ids(&calls[0].1), ["j-long"]);
        assert_eq!(job_ids(&calls[1].1), ["j-new"]);
        long.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn more_than_a_hundred_waits_split_into_calls_of_a_hundred() {
        let api = jobs_api(|_, _| Some("successful"));
        let poller = fake_poller(&api);
        let waits: Vec<_> = (0..150)
            .map(|i| {
                let c = poller.clone();
                tokio::spawn(async move { wait(&c, &format!("j-{i}"), 600).await })
            })
            .collect();
        for w in waits {
            assert!(w.await.unwrap().is_ok());
        }
        let sizes: Vec<usize> = api.calls().iter().map(|(_, p)| job_ids(p).len()).collect();
        assert_eq!(sizes, vec![100, 50]);
    }

    #[tokio::test(start_paused = true)]
    async fn missing_job_and_fatal_poll_errors() {
        let api = jobs_api(|_, _| None);
        let poller = fake_poller(&api);
        let start = Instant::now();
        let err = wait(&poller, "j-404", 600).await.unwrap_err();
        assert_eq!(
            err,
            WaitError::JobNotFound {
                job_id: "j-404".into(),
                zone: "pek3a".into()
            }
        );
        // Not before the 10 s grace (a new job may be listed late), and soon after it.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(10) && took < Duration::from_secs(12),
            "{took:?}"
        );
        assert!(api.count("DescribeJobs") >= 5);

        let api = FakeApi::new(|_, _| api_error(1200));
        let poller = fake_poller(&api);
        let err = wait(&poller, "j-6", 600).await.unwrap_err();
        assert!(
            matches!(err, WaitError::Api(Error::Api { ret_code: 1200, .. })),
            "{err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_without_job_set_fails_the_wait_instead_of_reading_as_not_found() {
        let api = FakeApi::new(|_, _| ok(json!({"total_count": 0})));
        let poller = fake_poller(&api);
        let err = wait(&poller, "j-8", 600).await.unwrap_err();
        assert!(
            matches!(&err, WaitError::Api(Error::UnusableAnswer { detail, .. }) if detail == "no job_set"),
            "{err:?}"
        );
        assert_eq!(api.count("DescribeJobs"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn transient_poll_errors_are_waited_through() {
        let round = AtomicUsize::new(0);
        let api = FakeApi::new(move |_, p| {
            let n = round.fetch_add(1, Ordering::SeqCst);
            if n < 6 {
                Reply::Fail(crate::error::TransportKind::Reset)
            } else {
                ok(json!({"job_set": [{"job_id": job_ids(p)[0], "status": "successful"}]}))
            }
        });
        let poller = fake_poller(&api);
        assert!(wait(&poller, "j-7", 600).await.is_ok());
    }
}
