//! The MySQL Plus `configuring_SSL` custom service as QingCloud domain logic.
//!
//! No API reports whether SSL is on. The best API-only reading is the cluster's newest
//! *successful* configuring_SSL job: its `configssl` is the current setting; none means off, the
//! default. Toggling restarts the database, so submitting must never happen twice by accident.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::client::Client;
use super::error::Error;
use super::model::{Cluster, Job, JobStatus};

pub const SERVICE: &str = "configuring_SSL";
pub const ROLE: &str = "maininstance";
const ACTION: &str = "RunClusterCustomService";

/// Jobs per DescribeClusterJobs page when looking for the newest SSL job.
const PAGE: u32 = 50;
/// Pages to read at most: a cluster with hundreds of newer jobs and no SSL job in them is
/// treated as never having had SSL changed, rather than paging forever.
const MAX_PAGES: u32 = 10;
/// How many recent jobs `submit_ssl` looks at after an ambiguous failure.
const RECENT: u32 = 30;
/// After an ambiguous failure: looks at the cluster's jobs (a moment apart, since a new job may
/// take a moment to be listed) before concluding the server did not act.
const LOOKS: u32 = 3;
const LOOK_DELAY: Duration = Duration::from_secs(2);
/// Submissions at most, when every one fails ambiguously and no job appears. Sending again is
/// safe only because the jobs are looked at first; 3 gave up on about one change in 300 when a
/// fifth of calls ended in 503s or dropped connections.
const SUBMISSIONS: u32 = 5;

/// The value the parameter table documents: `YES` enables, `NO` disables. (The page's example
/// sends `ON`; `parse_configssl` accepts both when reading jobs.)
pub fn configssl_value(enabled: bool) -> &'static str {
    if enabled { "YES" } else { "NO" }
}

pub fn parse_configssl(s: &str) -> Option<bool> {
    match s.trim().to_ascii_uppercase().as_str() {
        "YES" | "ON" => Some(true),
        "NO" | "OFF" => Some(false),
        _ => None,
    }
}

/// The setting a job applies, when it is a configuring_SSL job with a readable `configssl`.
pub fn ssl_job_setting(job: &Job) -> Option<bool> {
    if !job.job_action.is_empty() && job.job_action != ACTION {
        return None;
    }
    let directive = job.directive()?;
    if directive.service.as_deref() != Some(SERVICE) {
        return None;
    }
    match directive.service_params?.get("configssl")? {
        Value::String(s) => parse_configssl(s),
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// What the API says about a cluster's SSL setting.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SslState {
    /// None when the cluster is absent; a `deleted`/`ceased` cluster is gone too (see `is_gone`).
    pub cluster: Option<Cluster>,
    /// The newest successful configuring_SSL job's setting; false when there is none.
    pub enabled: bool,
    pub last_successful: Option<Job>,
    /// A pending or working configuring_SSL job newer than `last_successful`.
    pub in_flight: Option<Job>,
    /// The ids of every job the reading saw (the newest first page at least): what
    /// `submit_ssl` must not take for the job of its own submission.
    pub seen_job_ids: HashSet<String>,
}

impl SslState {
    pub fn is_gone(&self) -> bool {
        self.cluster.as_ref().is_none_or(Cluster::is_gone)
    }

    /// The job that put the current setting in place; None when SSL was never switched (off,
    /// the default).
    pub fn setting_job_id(&self) -> Option<&str> {
        self.last_successful.as_ref().map(|j| j.job_id.as_str())
    }

    /// The setting the in-flight job will apply, if any.
    pub fn in_flight_setting(&self) -> Option<bool> {
        self.in_flight.as_ref().and_then(ssl_job_setting)
    }
}

impl Client {
    pub async fn read_ssl(&self, zone: &str, cluster_id: &str) -> Result<SslState, Error> {
        // Both at once: one round trip instead of two. For a cluster that turns out to be gone
        // the job listing was wasted (and its answer, even an error, is ignored).
        let (cluster, first_page) = tokio::join!(
            self.describe_cluster(zone, cluster_id),
            self.describe_cluster_jobs_page(zone, cluster_id, 0, PAGE)
        );
        let mut state = SslState {
            cluster: cluster?,
            ..SslState::default()
        };
        if state.is_gone() {
            return Ok(state);
        }
        let mut first_page = Some(first_page);
        'pages: for page in 0..MAX_PAGES {
            let jobs = match first_page.take() {
                Some(jobs) => jobs?,
                None => {
                    self.describe_cluster_jobs_page(zone, cluster_id, page * PAGE, PAGE)
                        .await?
                }
            };
            let full_page = jobs.len() as u32 >= PAGE;
            state
                .seen_job_ids
                .extend(jobs.iter().map(|j| j.job_id.clone()));
            for job in jobs {
                let Some(setting) = ssl_job_setting(&job) else {
                    continue;
                };
                if job.status == JobStatus::Successful {
                    state.enabled = setting;
                    state.last_successful = Some(job);
                    break 'pages;
                }
                if job.status.is_in_progress() && state.in_flight.is_none() {
                    state.in_flight = Some(job);
                }
            }
            if !full_page {
                break;
            }
        }
        Ok(state)
    }

    /// Submits configuring_SSL once and returns the job id. `before` holds the ids of the
    /// cluster's newest jobs as listed just before (`SslState::seen_job_ids`): when the submission
    /// fails with an unknown outcome, a new configuring_SSL job for the same setting that is not
    /// among them is adopted instead of submitting again; only when none appears is it sent
    /// again. 1400 (busy) and every other certain failure are returned as they are.
    pub async fn submit_ssl(
        &self,
        zone: &str,
        cluster_id: &str,
        enabled: bool,
        before: &HashSet<String>,
    ) -> Result<String, Error> {
        let params = json!({ "configssl": configssl_value(enabled) });
        let mut submissions = 0;
        loop {
            submissions += 1;
            let err = match self
                .run_cluster_custom_service(zone, cluster_id, ROLE, SERVICE, &params)
                .await
            {
                Ok(job_id) => return Ok(job_id),
                Err(e) if !e.outcome_unknown() => return Err(e),
                Err(e) => e,
            };
            tracing::warn!(zone, cluster_id, error = %err, "configuring_SSL outcome unknown; looking for its job before sending again");
            for look in 0..LOOKS {
                if look > 0 {
                    self.clock().sleep(LOOK_DELAY).await;
                }
                // If we cannot even look, we must not resend: report the ambiguity.
                let Ok(jobs) = self.describe_cluster_jobs(zone, cluster_id, RECENT).await else {
                    return Err(err);
                };
                if let Some(job) = jobs
                    .iter()
                    .find(|j| !before.contains(&j.job_id) && ssl_job_setting(j) == Some(enabled))
                {
                    tracing::info!(zone, cluster_id, job_id = %job.job_id, "adopted the configuring_SSL job of an ambiguous submission");
                    return Ok(job.job_id.clone());
                }
            }
            if submissions >= SUBMISSIONS {
                return Err(err);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qingcloud::error::TransportKind;
    use crate::qingcloud::testing::{FakeApi, Reply, api_error, fake_client, ok};
    use std::sync::Mutex;

    fn ssl_job(id: &str, status: &str, configssl: &str) -> Value {
        let directive = json!({
            "cluster": "cl-1", "role": "maininstance", "service": SERVICE,
            "service_params": json!({"configssl": configssl}).to_string(),
        });
        json!({"job_id": id, "job_action": ACTION, "status": status, "directive": directive.to_string()})
    }

    fn other_job(id: &str) -> Value {
        json!({"job_id": id, "job_action": "StartClusters", "status": "successful", "directive": "{}"})
    }

    #[test]
    fn values_and_parsing() {
        assert_eq!(configssl_value(true), "YES");
        assert_eq!(configssl_value(false), "NO");
        for (s, v) in [("YES", true), ("on", true), ("No", false), ("OFF", false)] {
            assert_eq!(parse_configssl(s), Some(v), "{s}");
        }
        assert_eq!(parse_configssl("maybe"), None);
    }

    #[test]
    fn job_settings() {
        let job = |v: Value| serde_json::from_value::<Job>(v).unwrap();
        assert_eq!(
            ssl_job_setting(&job(ssl_job("j-1", "successful", "ON"))),
            Some(true)
        );
        assert_eq!(
            ssl_job_setting(&job(ssl_job("j-1", "failed", "NO"))),
            Some(false)
        );
        assert_eq!(
            ssl_job_setting(&job(ssl_job("j-1", "successful", "??"))),
            None
        );
        assert_eq!(ssl_job_setting(&job(other_job("j-2"))), None);
        // service_params as an object rather than a JSON string.
        let d = json!({"service": SERVICE, "service_params": {"configssl": "YES"}}).to_string();
        assert_eq!(
            ssl_job_setting(&job(json!({"job_id": "j", "directive": d}))),
            Some(true)
        );
        let d = json!({"service": "add_user", "service_params": {"configssl": "YES"}}).to_string();
        assert_eq!(
            ssl_job_setting(&job(json!({"job_id": "j", "directive": d}))),
            None
        );
    }

    fn cluster_ok() -> Reply {
        ok(
            json!({"cluster_set": [{"cluster_id": "cl-1", "status": "active", "transition_status": ""}]}),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn read_finds_the_newest_successful_job_across_pages() {
        // Page 1: an in-flight enable, a failed enable and 48 unrelated jobs; page 2: a successful
        // disable, then an older successful enable that must not count.
        let api = FakeApi::new(|action, p| match action {
            "DescribeClusters" => cluster_ok(),
            "DescribeClusterJobs" => {
                assert_eq!(p.get("reverse").map(String::as_str), Some("1"));
                let offset: usize = p["offset"].parse().unwrap();
                let mut set = vec![];
                if offset == 0 {
                    set.push(ssl_job("j-new", "working", "YES"));
                    set.push(ssl_job("j-fail", "failed", "YES"));
                    set.extend((0..48).map(|i| other_job(&format!("j-o{i}"))));
                } else if offset == 50 {
                    set.push(ssl_job("j-off", "successful", "NO"));
                    set.push(ssl_job("j-on", "successful", "YES"));
                }
                ok(json!({"job_set": set}))
            }
            _ => api_error(1100),
        });
        let client = fake_client(&api);
        let s = client.read_ssl("pek3a", "cl-1").await.unwrap();
        assert!(!s.enabled);
        assert_eq!(s.seen_job_ids.len(), 52);
        assert_eq!(s.last_successful.as_ref().unwrap().job_id, "j-off");
        assert_eq!(s.in_flight.as_ref().unwrap().job_id, "j-new");
        assert!(!s.is_gone());
        assert_eq!(api.count("DescribeClusterJobs"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn read_without_jobs_is_off_and_gone_clusters_ignore_jobs() {
        let api = FakeApi::new(|action, _| match action {
            "DescribeClusters" => cluster_ok(),
            _ => ok(json!({"job_set": []})),
        });
        let s = fake_client(&api).read_ssl("pek3a", "cl-1").await.unwrap();
        assert!(!s.enabled && s.last_successful.is_none() && s.in_flight.is_none());

        // The job listing goes out beside the cluster lookup; for a gone cluster its answer,
        // here an error, does not matter.
        let api = FakeApi::new(|action, _| match action {
            "DescribeClusters" => {
                ok(json!({"cluster_set": [{"cluster_id": "cl-1", "status": "ceased"}]}))
            }
            _ => api_error(2100),
        });
        let s = fake_client(&api).read_ssl("pek3a", "cl-1").await.unwrap();
        assert!(s.is_gone());
        assert_eq!(api.count("DescribeClusterJobs"), 1);
    }

    /// A cluster whose RunClusterCustomService replies are scripted; jobs it "creates" show up in
    /// DescribeClusterJobs.
    /// The jobs `submit_api`'s cluster has before any submission, as a reading lists them.
    fn before() -> HashSet<String> {
        HashSet::from(["j-old".to_string()])
    }

    fn submit_api(
        replies: Vec<(Reply, bool)>,
    ) -> (std::sync::Arc<FakeApi>, std::sync::Arc<Mutex<Vec<Value>>>) {
        let jobs = std::sync::Arc::new(Mutex::new(vec![ssl_job("j-old", "successful", "YES")]));
        let replies = Mutex::new(replies.into_iter());
        let j2 = jobs.clone();
        let api = FakeApi::new(move |action, p| match action {
            "DescribeClusterJobs" => ok(json!({"job_set": j2.lock().unwrap().clone()})),
            "RunClusterCustomService" => {
                assert_eq!(p["service"], SERVICE);
                assert_eq!(p["role"], "maininstance");
                let configssl = if p["service_params"] == r#"{"configssl":"YES"}"# {
                    "YES"
                } else {
                    "NO"
                };
                let (reply, acted) = replies
                    .lock()
                    .unwrap()
                    .next()
                    .unwrap_or((api_error(5000), false));
                if acted {
                    let mut jobs = j2.lock().unwrap();
                    let id = format!("j-{}", jobs.len());
                    jobs.insert(0, ssl_job(&id, "pending", configssl));
                }
                reply
            }
            _ => api_error(1100),
        });
        (api, jobs)
    }

    #[tokio::test(start_paused = true)]
    async fn submit_adopts_the_job_of_an_ambiguous_failure() {
        let (api, _) = submit_api(vec![(Reply::Fail(TransportKind::Timeout), true)]);
        let client = fake_client(&api);
        let id = client
            .submit_ssl("pek3a", "cl-1", true, &before())
            .await
            .unwrap();
        assert_eq!(id, "j-1");
        assert_eq!(api.count("RunClusterCustomService"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn submitting_after_a_reading_lists_nothing_more_unless_in_doubt() {
        let (api, _) = submit_api(vec![(ok(json!({"job_id": "j-1"})), true)]);
        let client = fake_client(&api);
        let before = before();
        let id = client
            .submit_ssl("pek3a", "cl-1", false, &before)
            .await
            .unwrap();
        assert_eq!(id, "j-1");
        assert_eq!(api.count("DescribeClusterJobs"), 0);

        // In doubt, the jobs the reading saw are still not taken for ours.
        let (api, _) = submit_api(vec![
            (Reply::Fail(TransportKind::Timeout), false),
            (ok(json!({"job_id": "j-9"})), true),
        ]);
        let client = fake_client(&api);
        let id = client
            .submit_ssl("pek3a", "cl-1", true, &before)
            .await
            .unwrap();
        assert_eq!(id, "j-9");
        assert_eq!(api.count("RunClusterCustomService"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn submit_sends_again_only_when_no_job_appeared() {
        let (api, _) = submit_api(vec![
            (Reply::Fail(TransportKind::Reset), false),
            (ok(json!({"job_id": "j-9"})), true),
        ]);
        let client = fake_client(&api);
        assert_eq!(
            client
                .submit_ssl("pek3a", "cl-1", false, &before())
                .await
                .unwrap(),
            "j-9"
        );
        assert_eq!(api.count("RunClusterCustomService"), 2);
        // Every look after the ambiguous failure (the listing before is the caller's reading).
        assert_eq!(api.count("DescribeClusterJobs"), LOOKS as usize);
    }

    #[tokio::test(start_paused = true)]
    async fn an_old_job_with_the_same_setting_is_not_adopted() {
        let (api, _) = submit_api(vec![
            (Reply::Fail(TransportKind::Timeout), false),
            (ok(json!({"job_id": "j-9"})), true),
        ]);
        let client = fake_client(&api);
        // j-old enables too, but it existed before: it must not be taken for ours.
        assert_eq!(
            client
                .submit_ssl("pek3a", "cl-1", true, &before())
                .await
                .unwrap(),
            "j-9"
        );
        assert_eq!(api.count("RunClusterCustomService"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn busy_and_certain_failures_are_returned() {
        let (api, _) = submit_api(vec![(api_error(1400), false)]);
        let client = fake_client(&api);
        let err = client
            .submit_ssl("pek3a", "cl-1", true, &before())
            .await
            .unwrap_err();
        assert!(err.is_busy());
        assert_eq!(api.count("RunClusterCustomService"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn submit_gives_up_after_repeated_ambiguity() {
        let (api, _) = submit_api(vec![
            (Reply::Fail(TransportKind::Timeout), false),
            (Reply::Fail(TransportKind::Timeout), false),
            (Reply::Fail(TransportKind::Timeout), false),
            (Reply::Fail(TransportKind::Timeout), false),
            (Reply::Fail(TransportKind::Timeout), false),
            (ok(json!({"job_id": "j-never"})), true),
        ]);
        let client = fake_client(&api);
        let err = client
            .submit_ssl("pek3a", "cl-1", true, &before())
            .await
            .unwrap_err();
        assert!(err.outcome_unknown());
        assert_eq!(api.count("RunClusterCustomService"), SUBMISSIONS as usize);
    }
}
