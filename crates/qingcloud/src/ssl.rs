//! The MySQL Plus `configuring_SSL` custom service as QingCloud domain logic.
//!
//! No API reports whether SSL is on. The best API-only reading is the cluster's newest
//! *successful* configuring_SSL job: its `configssl` is the current setting; none in the whole
//! history means off, the default. Toggling restarts the database, so submitting must never
//! happen twice by accident, and a reading must never invent a setting: what it cannot read is
//! an error, and what it did not read is `Setting::Unknown`.
//!
//! DescribeClusterJobs documents no order (the SDK sends `reverse=1`, which a server may
//! ignore), so `History` finds out which end of the listing holds the newest jobs and walks the
//! history newest to oldest, whichever order the server lists in.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::actions::{JobsPage, describe_cluster_jobs_page};
use super::client::Client;
use super::custom::{self, ServiceRequest, Sighting};
use super::error::Error;
use super::history::{History, JOBS, MAX_PAGE};
use super::model::{Cluster, Job, JobStatus, MYSQL_PLUS_APP_IDS, unusable};

pub const SERVICE: &str = "configuring_SSL";
pub const ROLE: &str = "maininstance";
const ACTION: &str = "RunClusterCustomService";

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

/// What a job is to the SSL reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslJobKind {
    /// Not a configuring_SSL job.
    NotSsl,
    /// A configuring_SSL job for this setting.
    Ssl(bool),
    /// Possibly a configuring_SSL job, but its record does not tell (why, for messages).
    Unreadable(&'static str),
}

/// Sorts a job out. Only RunClusterCustomService jobs (or jobs that name no action, which
/// could be one) can be configuring_SSL jobs; for those the directive must say which service
/// ran and, for configuring_SSL, which setting.
pub(crate) fn ssl_job_kind(job: &Job) -> SslJobKind {
    let action = job.job_action.trim();
    if !action.is_empty() && !action.eq_ignore_ascii_case(ACTION) {
        return SslJobKind::NotSsl;
    }
    let Some(directive) = job.directive() else {
        return SslJobKind::Unreadable("its directive is not a JSON object");
    };
    let Some(service) = directive.service else {
        return SslJobKind::Unreadable("its directive names no service");
    };
    if !service.trim().eq_ignore_ascii_case(SERVICE) {
        return SslJobKind::NotSsl;
    }
    let setting = match directive
        .service_params
        .as_ref()
        .and_then(|p| p.get("configssl"))
    {
        Some(Value::String(s)) => parse_configssl(s),
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    match setting {
        Some(enabled) => SslJobKind::Ssl(enabled),
        None => SslJobKind::Unreadable("its configssl cannot be read"),
    }
}

/// The setting a job applies, when it is a configuring_SSL job with a readable `configssl`.
pub fn ssl_job_setting(job: &Job) -> Option<bool> {
    match ssl_job_kind(job) {
        SslJobKind::Ssl(enabled) => Some(enabled),
        _ => None,
    }
}

/// What Terraform's state says: the job that made the setting (None = never switched) and the
/// setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prior<'a> {
    pub job_id: Option<&'a str>,
    pub enabled: bool,
}

/// How much of a cluster's job history one reading may read: `max_pages` DescribeClusterJobs
/// calls of `page_size` jobs (at most 100, the API's maximum). Default: 100 × 50, 5,000 jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryPolicy {
    page_size: u32,
    max_pages: u32,
}

impl Default for HistoryPolicy {
    fn default() -> Self {
        HistoryPolicy {
            page_size: MAX_PAGE,
            max_pages: 50,
        }
    }
}

impl HistoryPolicy {
    /// Pages of 100 enough for `n` jobs (rounded up), at least one.
    pub fn with_max_jobs(n: u32) -> Self {
        HistoryPolicy {
            page_size: MAX_PAGE,
            max_pages: n.div_ceil(MAX_PAGE).max(1),
        }
    }

    /// The `limit` sent: at most the API's 100; at least 2, since telling the order of a
    /// listing takes two jobs.
    fn page(&self) -> u32 {
        self.page_size.clamp(2, MAX_PAGE)
    }

    fn pages(&self) -> u32 {
        self.max_pages.max(1)
    }
}

/// The SSL setting as the job history shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// Seen in the history: from the newest successful configuring_SSL job (`job` Some), or
    /// "off" from a history read to its end (total_count) with no successful one (`job` None).
    Seen { enabled: bool, job: Option<Job> },
    /// Reached the job the state names before any newer successful configuring_SSL job: the
    /// state's setting stands.
    PriorStands { enabled: bool },
    /// The page limit was reached without an answer: the newest `jobs_read` of `total_count`
    /// jobs hold no successful configuring_SSL job and not the state's job.
    Unknown { jobs_read: u64, total_count: u64 },
}

/// What the API says about a cluster's SSL setting.
#[derive(Debug, Clone, PartialEq)]
pub struct SslState {
    /// None when the cluster is absent; a `deleted`/`ceased` cluster is gone too (see
    /// `is_gone`). For a gone cluster the history is not read and `setting` is `Unknown`.
    pub cluster: Option<Cluster>,
    pub setting: Setting,
    /// The newest pending or working configuring_SSL job newer than the job that decided
    /// `setting` (any, when `setting` is `Unknown` or "off").
    pub in_flight: Option<Job>,
    /// The ids of every job the reading fetched (the newest page at least): what
    /// `SslService::submit` must not take for the job of its own submission.
    pub seen_job_ids: HashSet<String>,
}

/// The reading's decision, one job at a time, newest to oldest.
struct Walk<'p> {
    prior: Option<Prior<'p>>,
    in_flight: Option<Job>,
}

impl Walk<'_> {
    fn is_prior(&self, job: &Job) -> bool {
        self.prior
            .and_then(|p| p.job_id)
            .is_some_and(|id| id == job.job_id)
    }

    /// A job that can change the decision (or, with `is_prior`, end it).
    fn matters(&self, job: &Job) -> bool {
        self.is_prior(job) || (!job.status.is_failure() && ssl_job_kind(job) != SslJobKind::NotSsl)
    }

    fn visit(&mut self, job: Job, zone: &str) -> Result<Option<Setting>, Error> {
        let kind = ssl_job_kind(&job);
        if let Some(prior) = self.prior
            && self.is_prior(&job)
            && job.status == JobStatus::Successful
        {
            return Ok(Some(match kind {
                // The history contradicts the state: the history wins.
                SslJobKind::Ssl(enabled) if enabled != prior.enabled => Setting::Seen {
                    enabled,
                    job: Some(job),
                },
                // Agreeing, or a record that does not tell: the state knows what it was.
                _ => Setting::PriorStands {
                    enabled: prior.enabled,
                },
            }));
        }
        // A failed job changed nothing, whatever it was (even one we cannot read). A job the
        // state names that has not succeeded did not make the setting: walk on past it.
        if job.status.is_failure() {
            return Ok(None);
        }
        let enabled = match kind {
            SslJobKind::NotSsl => return Ok(None),
            SslJobKind::Unreadable(why) => {
                return Err(unusable(
                    JOBS,
                    zone,
                    format!(
                        "job {} ({}, status \"{}\") may be a configuring_SSL job, but {why}",
                        job.job_id,
                        if job.job_action.is_empty() {
                            "no job_action"
                        } else {
                            &job.job_action
                        },
                        job.status
                    ),
                ));
            }
            SslJobKind::Ssl(enabled) => enabled,
        };
        match &job.status {
            JobStatus::Successful => Ok(Some(Setting::Seen {
                enabled,
                job: Some(job),
            })),
            JobStatus::Pending | JobStatus::Working => {
                if self.in_flight.is_none() {
                    self.in_flight = Some(job);
                }
                Ok(None)
            }
            JobStatus::Other(status) => Err(unusable(
                JOBS,
                zone,
                format!(
                    "configuring_SSL job {} has status \"{status}\", none of pending, working, \
                     successful, failed, done with failure",
                    job.job_id
                ),
            )),
            // Handled above.
            JobStatus::Failed | JobStatus::DoneWithFailure => Ok(None),
        }
    }

    /// In a listing whose order is not known (one page, every time equal), jobs of the same
    /// second cannot be ordered: refuse when two of them matter.
    fn check_ties(&self, jobs: &[Job], zone: &str) -> Result<(), Error> {
        let mut seen: Vec<(i64, &str)> = Vec::new();
        for job in jobs.iter().filter(|j| self.matters(j)) {
            let time = job.created_ms().unwrap_or(i64::MIN);
            if let Some((_, other)) = seen.iter().find(|(t, _)| *t == time) {
                return Err(unusable(
                    JOBS,
                    zone,
                    format!(
                        "jobs {other} and {} have the same create_time in a listing whose \
                         order cannot be told: which is newer is unknown",
                        job.job_id
                    ),
                ));
            }
            seen.push((time, &job.job_id));
        }
        Ok(())
    }
}

/// The configuring_SSL service of the clusters one client reaches: reading the setting,
/// submitting a switch. Cheap to make for each use.
#[derive(Clone, Copy, Debug)]
pub struct SslService<'c> {
    client: &'c Client,
    /// Whether `read` may take the cluster from a zone listing of the last moments.
    recent: bool,
}

impl<'c> SslService<'c> {
    pub fn new(client: &'c Client) -> SslService<'c> {
        SslService {
            client,
            recent: false,
        }
    }

    /// Reads for a refresh: the cluster may come from a listing of the zone's MySQL Plus
    /// clusters sent moments ago and shared by every read of the plan (see
    /// `cluster_batch::RECENT`), which spares each read a DescribeClusters call and a round
    /// trip. The job history is still read per cluster, now. Never for a read that decides a
    /// submission: that one must see the cluster as it is now.
    pub fn recent(self) -> SslService<'c> {
        SslService {
            recent: true,
            ..self
        }
    }

    /// Reads the cluster and its SSL setting from its job history, newest job first, reading at
    /// most `policy.max_pages` pages. With `prior`, the walk stops at the state's own job when
    /// no newer successful configuring_SSL job precedes it. An answer that cannot be read (see
    /// `Error::UnusableAnswer`) is an error, never a setting.
    ///
    /// The cluster lookup and the first page of jobs go out together: one round trip, and for
    /// a history of up to `page_size` jobs (the common case) one DescribeClusterJobs call in
    /// all. For a cluster that turns out to be gone, the job listing (even an error) is ignored.
    pub async fn read(
        self,
        zone: &str,
        cluster_id: &str,
        prior: Option<Prior<'_>>,
        policy: HistoryPolicy,
    ) -> Result<SslState, Error> {
        let page = policy.page();
        let lookup = async {
            if self.recent {
                (self.client)
                    .describe_cluster_recent(zone, cluster_id, MYSQL_PLUS_APP_IDS)
                    .await
            } else {
                self.client.describe_cluster(zone, cluster_id).await
            }
        };
        let (cluster, first) = tokio::join!(
            lookup,
            describe_cluster_jobs_page(self.client.api(), zone, cluster_id, 0, page)
        );
        self.read_history(zone, cluster_id, cluster?, first, prior, policy)
            .await
    }

    /// `read` of a cluster the caller has just listed (a page of `terraform query`): its job
    /// history only, without looking the cluster up a second time.
    pub async fn read_listed(
        self,
        zone: &str,
        cluster: Cluster,
        policy: HistoryPolicy,
    ) -> Result<SslState, Error> {
        let cluster_id = cluster.cluster_id.clone();
        let first =
            describe_cluster_jobs_page(self.client.api(), zone, &cluster_id, 0, policy.page())
                .await;
        self.read_history(zone, &cluster_id, Some(cluster), first, None, policy)
            .await
    }

    async fn read_history(
        self,
        zone: &str,
        cluster_id: &str,
        cluster: Option<Cluster>,
        first: Result<JobsPage, Error>,
        prior: Option<Prior<'_>>,
        policy: HistoryPolicy,
    ) -> Result<SslState, Error> {
        let page = policy.page();
        if cluster.as_ref().is_none_or(Cluster::is_gone) {
            return Ok(SslState {
                cluster,
                setting: Setting::Unknown {
                    jobs_read: 0,
                    total_count: 0,
                },
                in_flight: None,
                seen_job_ids: HashSet::new(),
            });
        }
        let mut history = History::new(self.client.api(), zone, cluster_id, page, first?)?;
        let mut walk = Walk {
            prior,
            in_flight: None,
        };
        let setting = 'walk: loop {
            let jobs = history.next().await?;
            if history.order.is_none() {
                walk.check_ties(&jobs, zone)?;
            }
            for job in jobs {
                if let Some(setting) = walk.visit(job, zone)? {
                    break 'walk setting;
                }
            }
            if history.is_done() {
                // The whole history, and no successful configuring_SSL job: off, the default.
                break Setting::Seen {
                    enabled: false,
                    job: None,
                };
            }
            if history.next_needs_call() && history.calls >= policy.pages() {
                break Setting::Unknown {
                    jobs_read: history.handed_out.len() as u64,
                    total_count: history.total,
                };
            }
        };
        Ok(SslState {
            cluster,
            setting,
            in_flight: walk.in_flight,
            seen_job_ids: history.fetched,
        })
    }

    /// Submits configuring_SSL once and returns the job id. `before` holds the ids of the
    /// cluster's jobs as listed just before (`SslState::seen_job_ids`): when the submission
    /// fails with an unknown outcome, a new configuring_SSL job for the same setting that is not
    /// among them is adopted instead of submitting again (`custom::submit`, the rule every
    /// custom service follows).
    pub async fn submit(
        self,
        zone: &str,
        cluster_id: &str,
        enabled: bool,
        before: &HashSet<String>,
    ) -> Result<String, Error> {
        let params = json!({ "configssl": configssl_value(enabled) });
        let request = ServiceRequest {
            role: ROLE,
            service: SERVICE,
            params: &params,
        };
        custom::submit(
            self.client,
            zone,
            cluster_id,
            request,
            before,
            |job| match ssl_job_kind(job) {
                SslJobKind::Ssl(e) if e == enabled => Sighting::Ours,
                SslJobKind::Unreadable(_) => Sighting::MaybeOurs,
                _ => Sighting::Other,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::format_timestamp;
    use crate::custom::{LOOKS, SUBMISSIONS};
    use crate::error::TransportKind;
    use crate::testing::{FakeApi, Params, Reply, api_error, fake_client, ok};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, UNIX_EPOCH};

    /// Readings as the tests look at them.
    impl SslState {
        fn is_gone(&self) -> bool {
            self.cluster.as_ref().is_none_or(Cluster::is_gone)
        }

        /// The setting, when the reading established it (`Seen` or `PriorStands`).
        fn enabled(&self) -> Option<bool> {
            match &self.setting {
                Setting::Seen { enabled, .. } | Setting::PriorStands { enabled } => Some(*enabled),
                Setting::Unknown { .. } => None,
            }
        }

        /// The job the history shows made the setting. None when SSL was never switched (off, the
        /// default), when the state's job stands (`PriorStands`: keep the state's job id) and when
        /// the setting is unknown.
        fn setting_job_id(&self) -> Option<&str> {
            match &self.setting {
                Setting::Seen { job: Some(job), .. } => Some(&job.job_id),
                _ => None,
            }
        }
    }

    /// Second `t` of the test's history (2024-01-01 plus t seconds).
    fn at(t: u64) -> String {
        format_timestamp(UNIX_EPOCH + Duration::from_secs(1_704_067_200 + t))
    }

    fn ssl_job(id: &str, status: &str, configssl: &str) -> Value {
        let directive = json!({
            "cluster": "cl-1", "role": "maininstance", "service": SERVICE,
            "service_params": json!({"configssl": configssl}).to_string(),
        });
        json!({"job_id": id, "job_action": ACTION, "status": status, "directive": directive.to_string()})
    }

    fn ssl_job_at(id: &str, status: &str, configssl: &str, t: u64) -> Value {
        let mut job = ssl_job(id, status, configssl);
        job["create_time"] = json!(at(t));
        job
    }

    fn other_job(id: &str) -> Value {
        json!({"job_id": id, "job_action": "StartClusters", "status": "successful", "directive": "{}"})
    }

    fn other_job_at(id: &str, t: u64) -> Value {
        let mut job = other_job(id);
        job["create_time"] = json!(at(t));
        job
    }

    fn param(p: &Params, k: &str) -> u64 {
        p.get(k).and_then(|v| v.parse().ok()).unwrap_or(0)
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
    fn job_kinds() {
        let job = |v: Value| serde_json::from_value::<Job>(v).unwrap();
        let kind = |v: Value| ssl_job_kind(&job(v));
        assert_eq!(
            kind(ssl_job("j-1", "successful", "ON")),
            SslJobKind::Ssl(true)
        );
        assert_eq!(
            ssl_job_setting(&job(ssl_job("j-1", "failed", "NO"))),
            Some(false)
        );
        assert!(matches!(
            kind(ssl_job("j-1", "successful", "??")),
            SslJobKind::Unreadable(_)
        ));
        assert_eq!(
            ssl_job_setting(&job(ssl_job("j-1", "successful", "??"))),
            None
        );
        assert_eq!(kind(other_job("j-2")), SslJobKind::NotSsl);
        // service_params as an object rather than a JSON string.
        let d = json!({"service": SERVICE, "service_params": {"configssl": "YES"}}).to_string();
        assert_eq!(
            kind(json!({"job_id": "j", "directive": d})),
            SslJobKind::Ssl(true)
        );
        let d = json!({"service": "add_user", "service_params": {"configssl": "YES"}}).to_string();
        assert_eq!(
            kind(json!({"job_id": "j", "directive": d})),
            SslJobKind::NotSsl
        );
        // A custom-service job whose directive does not say which service: could be SSL.
        for directive in [json!("not json"), json!("{}"), Value::Null] {
            let v = json!({"job_id": "j", "job_action": ACTION, "directive": directive});
            assert!(matches!(kind(v), SslJobKind::Unreadable(_)), "{directive}");
        }
        let d = json!({"service": SERVICE, "service_params": "not json"}).to_string();
        assert!(matches!(
            kind(json!({"job_id": "j", "job_action": ACTION, "directive": d})),
            SslJobKind::Unreadable(_)
        ));
    }

    #[test]
    fn policies() {
        assert_eq!(
            HistoryPolicy::default(),
            HistoryPolicy {
                page_size: 100,
                max_pages: 50
            }
        );
        for (jobs, pages) in [(0, 1), (1, 1), (100, 1), (101, 2), (5_000, 50), (5_001, 51)] {
            let p = HistoryPolicy::with_max_jobs(jobs);
            assert_eq!((p.page_size, p.max_pages), (100, pages), "{jobs}");
        }
        let odd = HistoryPolicy {
            page_size: 1_000,
            max_pages: 0,
        };
        assert_eq!((odd.page(), odd.pages()), (100, 1));
    }

    fn cluster_ok() -> Reply {
        ok(
            json!({"cluster_set": [{"cluster_id": "cl-1", "status": "active", "transition_status": ""}]}),
        )
    }

    /// A server holding `jobs` (oldest first: index = age order) that lists them newest first
    /// when `newest_first` (honouring `reverse=1`), else oldest first (ignoring it).
    /// `on_page` may change the history after each DescribeClusterJobs answer.
    fn history_server(
        jobs: Vec<Value>,
        newest_first: bool,
        on_page: impl Fn(&mut Vec<Value>) + Send + Sync + 'static,
    ) -> Arc<FakeApi> {
        let jobs = Mutex::new(jobs);
        FakeApi::new(move |action, p| match action {
            "DescribeClusters" => cluster_ok(),
            "DescribeClusterJobs" => {
                assert_eq!(p["cluster"], "cl-1");
                assert_eq!(p["reverse"], "1");
                assert_eq!(p["sort_key"], "create_time");
                let (offset, limit) = (param(p, "offset") as usize, param(p, "limit") as usize);
                assert!((1..=100).contains(&limit), "{limit}");
                let mut jobs = jobs.lock().unwrap();
                let mut listed = jobs.clone();
                if newest_first {
                    listed.reverse();
                }
                let set: Vec<Value> = listed.into_iter().skip(offset).take(limit).collect();
                let answer = json!({"job_set": set, "total_count": jobs.len()});
                on_page(&mut jobs);
                ok(answer)
            }
            _ => api_error(1100),
        })
    }

    /// 2,001 jobs a second apart, `ssl` (successful configuring_SSL jobs: position, setting)
    /// among unrelated ones.
    fn long_history(ssl: &[(usize, &str)]) -> Vec<Value> {
        (0..2_001)
            .map(|i| match ssl.iter().find(|(pos, _)| *pos == i) {
                Some((_, setting)) => {
                    ssl_job_at(&format!("j-s{i}"), "successful", setting, i as u64)
                }
                None => other_job_at(&format!("j-{i}"), i as u64),
            })
            .collect()
    }

    async fn read(
        api: &Arc<FakeApi>,
        prior: Option<Prior<'_>>,
        policy: HistoryPolicy,
    ) -> Result<SslState, Error> {
        SslService::new(&fake_client(api))
            .read("pek3a", "cl-1", prior, policy)
            .await
    }

    fn seen(enabled: bool, job_id: &str) -> impl Fn(&SslState) -> bool {
        let job_id = job_id.to_string();
        move |s: &SslState| {
            s.enabled() == Some(enabled) && s.setting_job_id() == Some(job_id.as_str())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn both_orders_read_the_same_setting_deep_in_a_long_history() {
        // (ssl jobs, expected setting job, DescribeClusterJobs calls newest-first, oldest-first)
        type Case<'a> = (
            &'a [(usize, &'a str)],
            Option<(bool, &'a str)>,
            usize,
            usize,
        );
        let cases: [Case; 4] = [
            // The only SSL job is the oldest of 2,001: every page must be read either way.
            (&[(0, "YES")], Some((true, "j-s0")), 21, 21),
            // Two, both deep: the newer one counts.
            // Newest first, position 40 is in the 20th page.
            (&[(3, "YES"), (40, "OFF")], Some((false, "j-s40")), 20, 21),
            // Among the newest hundred: one page newest-first; oldest-first, the oldest page
            // comes first and the newest next.
            (&[(5, "NO"), (1_950, "ON")], Some((true, "j-s1950")), 1, 2),
            // None at all: off, only after reading all 2,001.
            (&[], None, 21, 21),
        ];
        for (ssl, want, calls_newest, calls_oldest) in cases {
            for (newest_first, calls) in [(true, calls_newest), (false, calls_oldest)] {
                let api = history_server(long_history(ssl), newest_first, |_| {});
                let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
                match want {
                    Some((enabled, job)) => assert!(seen(enabled, job)(&s), "{:?}", s.setting),
                    None => assert_eq!(
                        s.setting,
                        Setting::Seen {
                            enabled: false,
                            job: None
                        }
                    ),
                }
                assert_eq!(
                    api.count("DescribeClusterJobs"),
                    calls,
                    "newest_first {newest_first}, {ssl:?}"
                );
                assert_eq!(api.count("DescribeClusters"), 1);
                if calls == 21 {
                    assert_eq!(s.seen_job_ids.len(), 2_001);
                }
                assert!(s.in_flight.is_none() && !s.is_gone());
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_states_job_ends_the_walk_early() {
        // The state's job at 1,900 (in the second-newest page); an older successful disable at
        // 10 must not be reached.
        let jobs = || long_history(&[(10, "NO"), (1_900, "YES")]);
        let prior = Prior {
            job_id: Some("j-s1900"),
            enabled: true,
        };
        for (newest_first, calls) in [(true, 2), (false, 3)] {
            let api = history_server(jobs(), newest_first, |_| {});
            let s = read(&api, Some(prior), HistoryPolicy::default())
                .await
                .unwrap();
            assert_eq!(s.setting, Setting::PriorStands { enabled: true });
            assert_eq!(s.enabled(), Some(true));
            assert_eq!(s.setting_job_id(), None);
            assert_eq!(api.count("DescribeClusterJobs"), calls, "{newest_first}");
        }

        // A newer successful job wins over the state's.
        let api = history_server(
            long_history(&[(1_900, "YES"), (1_990, "NO")]),
            false,
            |_| {},
        );
        let s = read(&api, Some(prior), HistoryPolicy::default())
            .await
            .unwrap();
        assert!(seen(false, "j-s1990")(&s), "{:?}", s.setting);

        // The history contradicts the state about its own job: the history wins.
        let api = history_server(jobs(), true, |_| {});
        let wrong = Prior {
            job_id: Some("j-s1900"),
            enabled: false,
        };
        let s = read(&api, Some(wrong), HistoryPolicy::default())
            .await
            .unwrap();
        assert!(seen(true, "j-s1900")(&s), "{:?}", s.setting);

        // The state names a job that is not an SSL job we can read: the state explains it.
        let api = history_server(long_history(&[]), true, |_| {});
        let other = Prior {
            job_id: Some("j-1999"),
            enabled: true,
        };
        let s = read(&api, Some(other), HistoryPolicy::default())
            .await
            .unwrap();
        assert_eq!(s.setting, Setting::PriorStands { enabled: true });
        assert_eq!(api.count("DescribeClusterJobs"), 1);

        // The state's job failed (or has not finished): it made no setting; walk on.
        let mut jobs = long_history(&[(10, "NO")]);
        jobs[1_990] = ssl_job_at("j-mine", "failed", "YES", 1_990);
        let api = history_server(jobs, true, |_| {});
        let mine = Prior {
            job_id: Some("j-mine"),
            enabled: true,
        };
        let s = read(&api, Some(mine), HistoryPolicy::default())
            .await
            .unwrap();
        assert!(seen(false, "j-s10")(&s), "{:?}", s.setting);
    }

    #[tokio::test(start_paused = true)]
    async fn the_page_limit_gives_unknown_never_off() {
        for (newest_first, jobs_read) in [(true, 500), (false, 400)] {
            let api = history_server(long_history(&[(0, "YES")]), newest_first, |_| {});
            let s = read(&api, None, HistoryPolicy::with_max_jobs(500))
                .await
                .unwrap();
            assert_eq!(
                s.setting,
                Setting::Unknown {
                    jobs_read,
                    total_count: 2_001
                }
            );
            assert_eq!(s.enabled(), None);
            assert_eq!(api.count("DescribeClusterJobs"), 5);
            // Every job fetched counts as seen, handed out or not.
            assert_eq!(s.seen_job_ids.len(), 500);
        }
        // One page only: nothing beyond it.
        let api = history_server(long_history(&[]), true, |_| {});
        let s = read(&api, None, HistoryPolicy::with_max_jobs(1))
            .await
            .unwrap();
        assert!(matches!(s.setting, Setting::Unknown { jobs_read: 100, .. }));
        assert_eq!(api.count("DescribeClusterJobs"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_history_is_one_call_beside_the_cluster_lookup() {
        for n in [0usize, 1, 99, 100] {
            for newest_first in [true, false] {
                let mut jobs: Vec<Value> = (0..n)
                    .map(|i| other_job_at(&format!("j-{i}"), i as u64))
                    .collect();
                if n > 1 {
                    jobs[n / 2] = ssl_job_at("j-ssl", "successful", "YES", (n / 2) as u64);
                }
                let api = history_server(jobs, newest_first, |_| {});
                let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
                assert_eq!(s.enabled(), Some(n > 1), "{n}");
                assert_eq!(api.count("DescribeClusterJobs"), 1, "{n} {newest_first}");
                assert_eq!(api.count("DescribeClusters"), 1);
                assert_eq!(s.seen_job_ids.len(), n);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_listed_cluster_is_read_from_its_history_alone_with_the_same_rules() {
        let long = long_history(&[(1_500, "YES"), (2_000, "NO")]);
        for (jobs, enabled) in [
            (long, false),
            (vec![ssl_job_at("j-1", "successful", "YES", 1)], true),
        ] {
            let api = history_server(jobs, true, |_| {});
            let listed: Cluster = serde_json::from_value(
                json!({"cluster_id": "cl-1", "status": "active", "transition_status": ""}),
            )
            .unwrap();
            let s = SslService::new(&fake_client(&api))
                .read_listed("pek3a", listed, HistoryPolicy::default())
                .await
                .unwrap();
            assert_eq!(s.enabled(), Some(enabled));
            assert_eq!(
                api.count("DescribeClusters"),
                0,
                "the listing already had it"
            );
            assert!(api.count("DescribeClusterJobs") >= 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_created_while_reading_are_neither_missed_nor_counted_twice() {
        // After every page a new unrelated job arrives: newest first, the pages shift by one
        // and each page repeats a job of the one before.
        for newest_first in [true, false] {
            let n = AtomicUsize::new(0);
            let api = history_server(long_history(&[(0, "YES")]), newest_first, move |jobs| {
                let i = n.fetch_add(1, Ordering::SeqCst);
                jobs.push(other_job_at(&format!("j-new{i}"), 5_000 + i as u64));
            });
            let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
            assert!(seen(true, "j-s0")(&s), "{:?}", s.setting);
            // No job of the history is missed.
            for i in (1..2_001).step_by(7) {
                assert!(s.seen_job_ids.contains(&format!("j-{i}")), "j-{i}");
            }
            // Both ways every page is read once: newest first, the pages shift by one job a
            // page and the repeats are skipped; oldest first, offsets counted from the oldest
            // job do not move.
            assert_eq!(api.count("DescribeClusterJobs"), 21, "{newest_first}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_skipped_and_running_jobs_are_in_flight() {
        let jobs = vec![
            ssl_job_at("j-on", "successful", "YES", 1),
            ssl_job_at("j-off-failed", "failed", "NO", 2),
            ssl_job_at("j-off-dwf", "done with failure", "NO", 3),
            // A failed custom-service job we cannot read changed nothing either.
            json!({"job_id": "j-junk", "job_action": ACTION, "status": "failed", "directive": "garbage", "create_time": at(4)}),
            ssl_job_at("j-old-run", "pending", "NO", 5),
            ssl_job_at("j-run", "working", "NO", 6),
            other_job_at("j-x", 7),
        ];
        for newest_first in [true, false] {
            let api = history_server(jobs.clone(), newest_first, |_| {});
            let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
            assert!(seen(true, "j-on")(&s), "{:?}", s.setting);
            assert_eq!(s.in_flight.as_ref().unwrap().job_id, "j-run");
            assert_eq!(s.in_flight.as_ref().and_then(ssl_job_setting), Some(false));
        }
    }

    fn unusable_detail(err: Error) -> String {
        match err {
            Error::UnusableAnswer { detail, .. } => detail,
            other => panic!("{other:?}"),
        }
    }

    /// A server answering DescribeClusterJobs with `answer(offset)`.
    fn jobs_answer(answer: impl Fn(u64) -> Value + Send + Sync + 'static) -> Arc<FakeApi> {
        FakeApi::new(move |action, p| match action {
            "DescribeClusters" => cluster_ok(),
            "DescribeClusterJobs" => ok(answer(param(p, "offset"))),
            _ => api_error(1100),
        })
    }

    async fn read_err(api: &Arc<FakeApi>) -> String {
        let err = read(api, None, HistoryPolicy::default()).await.unwrap_err();
        assert_eq!(
            crate::retry::classify(&err),
            crate::retry::RetryClass::Never
        );
        assert!(err.to_string().contains("unusable answer"), "{err}");
        unusable_detail(err)
    }

    #[tokio::test(start_paused = true)]
    async fn unusable_job_listings_are_errors_never_a_setting() {
        let full = |from: u64| -> Vec<Value> {
            (0..100)
                .map(|i| other_job_at(&format!("j-{}", from + i), 10_000 - from - i))
                .collect()
        };
        let cases: Vec<(Value, &str)> = vec![
            (json!({"total_count": 0}), "no job_set"),
            (
                json!({"job_set": {"a": 1}}),
                "job_set is an object, not a list",
            ),
            (
                json!({"job_set": ["j-1"]}),
                "entry 1 of job_set is a string, not an object",
            ),
            (
                json!({"job_set": [{"status": "successful"}]}),
                "entry 1 of job_set has no job_id",
            ),
            (
                json!({"job_set": [{"job_id": "j-1", "job_action": ACTION, "status": "successful", "directive": "not json", "create_time": at(1)}]}),
                "job j-1 (RunClusterCustomService, status \"successful\") may be a configuring_SSL job, but its directive is not a JSON object",
            ),
            (
                json!({"job_set": [{"job_id": "j-1", "status": "working", "create_time": at(1)}]}),
                "job j-1 (no job_action, status \"working\") may be a configuring_SSL job, but its directive is not a JSON object",
            ),
            (
                json!({"job_set": [ssl_job_at("j-1", "successful", "MAYBE", 1)]}),
                "job j-1 (RunClusterCustomService, status \"successful\") may be a configuring_SSL job, but its configssl cannot be read",
            ),
            (
                json!({"job_set": [ssl_job_at("j-1", "rolling back", "YES", 1)]}),
                "configuring_SSL job j-1 has status \"rolling back\", none of pending, working, successful, failed, done with failure",
            ),
            (
                json!({"job_set": [ssl_job("j-1", "successful", "YES")]}),
                "job j-1 has no readable create_time",
            ),
            (
                json!({"job_set": [other_job_at("j-1", 1)], "total_count": -3}),
                "total_count is a number, not a count",
            ),
            (
                json!({"job_set": full(0)}),
                "a full page of 100 jobs without total_count",
            ),
            (
                json!({"job_set": [other_job_at("j-1", 1)], "total_count": 5}),
                "1 jobs at offset 0 with limit 100, although total_count is 5",
            ),
        ];
        for (answer, want) in cases {
            let a = answer.clone();
            let api = jobs_answer(move |_| a.clone());
            let detail = read_err(&api).await;
            assert!(detail.starts_with(want), "{detail} / {want}");
            // No directive text in any message (they can hold passwords).
            assert!(!detail.contains("service_params"), "{detail}");
        }

        // The first page's times do not tell the order, or do not follow one at all.
        let same: Vec<Value> = (0..100)
            .map(|i| other_job_at(&format!("j-{i}"), 7))
            .collect();
        let api = jobs_answer(move |_| json!({"job_set": same.clone(), "total_count": 300}));
        assert!(
            read_err(&api)
                .await
                .starts_with("the order of the listing cannot be told")
        );
        let mut mixed = full(0);
        mixed.swap(3, 60);
        let api = jobs_answer(move |_| json!({"job_set": mixed.clone(), "total_count": 300}));
        assert_eq!(read_err(&api).await, "jobs not listed in create_time order");

        // A later page in another order than the first, or one that starts newer than the
        // first ended: the pages do not follow one order.
        let api = jobs_answer(move |offset| {
            let mut page = full(offset);
            if offset > 0 {
                page.reverse();
            }
            json!({"job_set": page, "total_count": 300})
        });
        assert_eq!(
            read_err(&api).await,
            "the page at offset 100 is not listed in the order of the first"
        );
        let api = jobs_answer(move |offset| {
            let page: Vec<Value> = (0..100)
                .map(|i| other_job_at(&format!("j-{}", offset + i), 10_000 - offset / 2 - i))
                .collect();
            json!({"job_set": page, "total_count": 300})
        });
        assert_eq!(
            read_err(&api).await,
            "job j-100 is listed among older jobs: the pages do not follow one order"
        );
        // Pages that overlap although no job was added: something may be missing.
        let api =
            jobs_answer(move |offset| json!({"job_set": full(offset / 2), "total_count": 300}));
        assert_eq!(
            read_err(&api).await,
            "job j-50 listed again although 0 jobs were added meanwhile: the pages overlap, so some job may be missing"
        );

        // A page shorter than the count says, after the first.
        let api = jobs_answer(move |offset| {
            let page: Vec<Value> = full(offset)
                .into_iter()
                .take(if offset > 0 { 10 } else { 100 })
                .collect();
            json!({"job_set": page, "total_count": 300})
        });
        assert_eq!(
            read_err(&api).await,
            "10 jobs at offset 100 with limit 100, although total_count is 300"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unusable_cluster_answers_are_errors_never_gone() {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"total_count": 0}), "no cluster_set"),
            (
                json!({"cluster_set": ["cl-1"]}),
                "entry 1 of cluster_set is a string, not an object",
            ),
            (
                json!({"cluster_set": [{"status": "active"}]}),
                "entry 1 of cluster_set has no cluster_id",
            ),
            (
                json!({"cluster_set": [{"cluster_id": "cl-1", "status": "active"}, {"cluster_id": "cl-1", "status": "ceased"}]}),
                "cluster cl-1 listed twice in cluster_set",
            ),
            (
                json!({"cluster_set": [], "total_count": 1}),
                "0 of total_count 1 in cluster_set",
            ),
        ];
        for (answer, want) in cases {
            let api = FakeApi::new(move |action, _| match action {
                "DescribeClusters" => ok(answer.clone()),
                _ => ok(json!({"job_set": [], "total_count": 0})),
            });
            let detail = read_err(&api).await;
            assert!(detail.starts_with(want), "{detail} / {want}");
        }
        // Only a plain absence means gone.
        let api = FakeApi::new(|action, _| match action {
            "DescribeClusters" => ok(json!({"cluster_set": [], "total_count": 0})),
            _ => ok(json!({})),
        });
        let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
        assert!(s.is_gone() && s.cluster.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_of_the_same_second_in_a_listing_of_unknown_order() {
        // Every time equal: the order cannot be told. Two SSL jobs: which is newer is unknown.
        let jobs = vec![
            ssl_job_at("j-a", "successful", "YES", 5),
            ssl_job_at("j-b", "successful", "NO", 5),
        ];
        let api = history_server(jobs, true, |_| {});
        assert_eq!(
            read_err(&api).await,
            "jobs j-b and j-a have the same create_time in a listing whose order cannot be told: which is newer is unknown"
        );
        // One job that matters among them: the order does not matter.
        let jobs = vec![
            ssl_job_at("j-a", "successful", "YES", 5),
            ssl_job_at("j-b", "failed", "NO", 5),
            other_job_at("j-c", 5),
        ];
        let api = history_server(jobs, false, |_| {});
        let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
        assert!(seen(true, "j-a")(&s));
        // Known order (times differ at the ends): same-second jobs keep the listing's order,
        // read in its direction.
        for newest_first in [true, false] {
            let jobs = vec![
                other_job_at("j-0", 1),
                ssl_job_at("j-a", "successful", "YES", 5),
                ssl_job_at("j-b", "successful", "NO", 5),
            ];
            let api = history_server(jobs, newest_first, |_| {});
            let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
            assert!(seen(false, "j-b")(&s), "{newest_first}: {:?}", s.setting);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn gone_clusters_ignore_jobs() {
        // The job listing goes out beside the cluster lookup; for a gone cluster its answer,
        // here an error, does not matter.
        let api = FakeApi::new(|action, _| match action {
            "DescribeClusters" => {
                ok(json!({"cluster_set": [{"cluster_id": "cl-1", "status": "ceased"}]}))
            }
            _ => api_error(2100),
        });
        let s = read(&api, None, HistoryPolicy::default()).await.unwrap();
        assert!(s.is_gone());
        assert_eq!(s.enabled(), None);
        assert_eq!(api.count("DescribeClusterJobs"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_look_after_an_ambiguous_submission_finds_the_newest_jobs_in_either_order() {
        // 250 jobs the reading saw; the submission times out but the server acts, appending
        // our job as the newest.
        for (newest_first, calls_per_look) in [(true, 1), (false, 2)] {
            let jobs: Vec<Value> = (0..250)
                .map(|i| other_job_at(&format!("j-{i}"), i))
                .collect();
            let before: HashSet<String> = (0..250).map(|i| format!("j-{i}")).collect();
            let jobs = Arc::new(Mutex::new(jobs));
            let j2 = jobs.clone();
            let api = FakeApi::new(move |action, p| match action {
                "DescribeClusterJobs" => {
                    let (offset, limit) = (param(p, "offset") as usize, param(p, "limit") as usize);
                    let all = j2.lock().unwrap();
                    let mut listed = all.clone();
                    if newest_first {
                        listed.reverse();
                    }
                    let set: Vec<Value> = listed.into_iter().skip(offset).take(limit).collect();
                    ok(json!({"job_set": set, "total_count": all.len()}))
                }
                "RunClusterCustomService" => {
                    j2.lock()
                        .unwrap()
                        .push(ssl_job_at("j-mine", "pending", "NO", 900));
                    Reply::Fail(TransportKind::Timeout)
                }
                _ => api_error(1100),
            });
            let client = fake_client(&api);
            let id = SslService::new(&client)
                .submit("pek3a", "cl-1", false, &before)
                .await
                .unwrap();
            assert_eq!(id, "j-mine");
            assert_eq!(api.count("RunClusterCustomService"), 1);
            assert_eq!(
                api.count("DescribeClusterJobs"),
                calls_per_look,
                "{newest_first}"
            );
            let _ = &jobs;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_job_that_cannot_be_read_is_not_resent_over() {
        let api = FakeApi::new(|action, _| match action {
            "DescribeClusterJobs" => ok(json!({"job_set": [
                {"job_id": "j-new", "job_action": ACTION, "status": "pending", "directive": "?"}
            ]})),
            _ => Reply::Fail(TransportKind::Timeout),
        });
        let client = fake_client(&api);
        let err = SslService::new(&client)
            .submit("pek3a", "cl-1", true, &HashSet::new())
            .await
            .unwrap_err();
        assert!(err.outcome_unknown());
        assert_eq!(api.count("RunClusterCustomService"), 1);
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
        let id = SslService::new(&client)
            .submit("pek3a", "cl-1", true, &before())
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
        let id = SslService::new(&client)
            .submit("pek3a", "cl-1", false, &before)
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
        let id = SslService::new(&client)
            .submit("pek3a", "cl-1", true, &before)
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
            SslService::new(&client)
                .submit("pek3a", "cl-1", false, &before())
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
            SslService::new(&client)
                .submit("pek3a", "cl-1", true, &before())
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
        let err = SslService::new(&client)
            .submit("pek3a", "cl-1", true, &before())
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
        let err = SslService::new(&client)
            .submit("pek3a", "cl-1", true, &before())
            .await
            .unwrap_err();
        assert!(err.outcome_unknown());
        assert_eq!(api.count("RunClusterCustomService"), SUBMISSIONS as usize);
    }
}
