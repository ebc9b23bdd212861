//! Cluster custom services (RunClusterCustomService) submitted once: the rule every service
//! follows, configuring_SSL included, and `CustomService` for any documented service.
//!
//! RunClusterCustomService is not idempotent. When a submission fails with an unknown outcome
//! (the request may have reached the server), the cluster's newest jobs are looked at first: a
//! new job that is ours (not among the jobs listed before) is adopted; one that may be ours but
//! cannot be read stops everything (report the ambiguity); only when none appears after a few
//! looks is the request sent again. Service parameters can hold passwords: they are never
//! logged, and errors never quote them.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::actions::run_cluster_custom_service;
use super::client::Client;
use super::error::Error;
use super::history::newest_cluster_jobs;
use super::model::Job;

const ACTION: &str = "RunClusterCustomService";
/// How many recent jobs are looked at after an ambiguous failure, and for a running job to
/// adopt.
const RECENT: u32 = 30;
/// After an ambiguous failure: looks at the cluster's jobs (a moment apart, since a new job may
/// take a moment to be listed) before concluding the server did not act.
pub(crate) const LOOKS: u32 = 3;
const LOOK_DELAY: Duration = Duration::from_secs(2);
/// Submissions at most, when every one fails ambiguously and no job appears. Sending again is
/// safe only because the jobs are looked at first (why 5: docs/performance.md).
pub(crate) const SUBMISSIONS: u32 = 5;

/// One custom-service request: which service, on which role, with which parameters (a JSON
/// object; sent as compact JSON).
#[derive(Debug, Clone, Copy)]
pub struct ServiceRequest<'a> {
    pub role: &'a str,
    pub service: &'a str,
    pub params: &'a Value,
}

/// What a job is to a submission whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// The job this request started (or an identical one).
    Ours,
    /// Possibly ours, but its record does not tell.
    MaybeOurs,
    Other,
}

/// Submits `request` once and returns the job id, following the rule above. `before` holds the
/// ids of the cluster's jobs as listed just before; `sighting` says which new job is ours.
/// 1400 (busy) and every other certain failure are returned as they are; so is the ambiguous
/// failure when the jobs cannot be looked at, or a new job there might be ours but cannot be
/// read.
pub(crate) async fn submit(
    client: &Client,
    zone: &str,
    cluster_id: &str,
    request: ServiceRequest<'_>,
    before: &HashSet<String>,
    sighting: impl Fn(&Job) -> Sighting + Send + Sync,
) -> Result<String, Error> {
    let service = request.service;
    let mut submissions = 0;
    loop {
        submissions += 1;
        let err = match run_cluster_custom_service(
            client.api(),
            zone,
            cluster_id,
            request.role,
            service,
            request.params,
        )
        .await
        {
            Ok(job_id) => return Ok(job_id),
            Err(e) if !e.outcome_unknown() => return Err(e),
            Err(e) => e,
        };
        tracing::warn!(zone, cluster_id, service, error = %err, "custom service outcome unknown; looking for its job before sending again");
        for look in 0..LOOKS {
            if look > 0 {
                client.clock().sleep(LOOK_DELAY).await;
            }
            // If we cannot even look, we must not resend: report the ambiguity.
            let jobs = match newest_cluster_jobs(client.api(), zone, cluster_id, RECENT).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(zone, cluster_id, error = %e, "cannot look at the cluster's jobs");
                    return Err(err);
                }
            };
            let new: Vec<&Job> = jobs
                .iter()
                .filter(|j| !before.contains(&j.job_id))
                .collect();
            if let Some(job) = new.iter().find(|j| sighting(j) == Sighting::Ours) {
                tracing::info!(zone, cluster_id, service, job_id = %job.job_id, "adopted the job of an ambiguous submission");
                return Ok(job.job_id.clone());
            }
            if let Some(job) = new.iter().find(|j| sighting(j) == Sighting::MaybeOurs) {
                tracing::warn!(zone, cluster_id, job_id = %job.job_id, "a new job may be ours but cannot be read; not sending again");
                return Err(err);
            }
        }
        if submissions >= SUBMISSIONS {
            return Err(err);
        }
    }
}

/// A parameter value as compared between a request and a job's directive, which may echo a
/// number as a string or the other way round.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn param_texts(params: &Value) -> Option<BTreeMap<&str, String>> {
    match params {
        Value::Object(m) => Some(m.iter().map(|(k, v)| (k.as_str(), text(v))).collect()),
        Value::Null => Some(BTreeMap::new()),
        _ => None,
    }
}

/// Whether `job` ran `request`: the same service, role and parameters.
pub fn request_sighting(job: &Job, request: ServiceRequest<'_>) -> Sighting {
    let action = job.job_action.trim();
    if !action.is_empty() && !action.eq_ignore_ascii_case(ACTION) {
        return Sighting::Other;
    }
    let Some(directive) = job.directive() else {
        return Sighting::MaybeOurs;
    };
    let Some(service) = directive.service else {
        return Sighting::MaybeOurs;
    };
    if service.trim() != request.service {
        return Sighting::Other;
    }
    if directive.role.is_some_and(|r| r.trim() != request.role) {
        return Sighting::Other;
    }
    let theirs = directive.service_params.unwrap_or(Value::Null);
    match (param_texts(&theirs), param_texts(request.params)) {
        (Some(theirs), Some(ours)) if theirs == ours => Sighting::Ours,
        (Some(_), Some(_)) => Sighting::Other,
        _ => Sighting::MaybeOurs,
    }
}

/// What the cluster's newest jobs say before a submission.
#[derive(Debug, Clone, Default)]
pub struct RecentJobs {
    /// The newest unfinished job that ran the same request: adopt it instead of submitting.
    pub running: Option<Job>,
    /// The ids listed, for `CustomService::submit`.
    pub seen_job_ids: HashSet<String>,
}

/// The custom services of the clusters one client reaches. Cheap to make for each use.
#[derive(Clone, Copy, Debug)]
pub struct CustomService<'c> {
    client: &'c Client,
}

impl<'c> CustomService<'c> {
    pub fn new(client: &'c Client) -> CustomService<'c> {
        CustomService { client }
    }

    /// The cluster's newest jobs: a running job of the same request, and the ids seen.
    pub async fn recent(
        self,
        zone: &str,
        cluster_id: &str,
        request: ServiceRequest<'_>,
    ) -> Result<RecentJobs, Error> {
        let jobs = newest_cluster_jobs(self.client.api(), zone, cluster_id, RECENT).await?;
        let mut running = jobs
            .iter()
            .filter(|j| j.status.is_in_progress())
            .filter(|j| request_sighting(j, request) == Sighting::Ours)
            .collect::<Vec<_>>();
        running.sort_by_key(|j| std::cmp::Reverse(j.created_ms().unwrap_or(i64::MIN)));
        Ok(RecentJobs {
            running: running.first().map(|j| (*j).clone()),
            seen_job_ids: jobs.iter().map(|j| j.job_id.clone()).collect(),
        })
    }

    /// Submits `request` once (see `submit`) and returns the job id; `before` is
    /// `RecentJobs::seen_job_ids` of a look just before.
    pub async fn submit(
        self,
        zone: &str,
        cluster_id: &str,
        request: ServiceRequest<'_>,
        before: &HashSet<String>,
    ) -> Result<String, Error> {
        submit(self.client, zone, cluster_id, request, before, |job| {
            request_sighting(job, request)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TransportKind;
    use crate::testing::{FakeApi, fake_client, ok};
    use serde_json::json;

    fn job(id: &str, status: &str, service: &str, params: Value) -> Value {
        let directive = json!({
            "cluster": "cl-1", "role": "maininstance", "service": service,
            "service_params": params.to_string(),
        });
        json!({"job_id": id, "job_action": ACTION, "status": status,
               "create_time": "2024-01-01T00:00:00Z", "directive": directive.to_string()})
    }

    #[test]
    fn a_job_is_ours_when_service_role_and_parameters_match() {
        let params = json!({"user": "app", "passwd": "Secret#123", "port": 3306});
        let request = ServiceRequest {
            role: "maininstance",
            service: "add_user",
            params: &params,
        };
        let parse = |v: Value| serde_json::from_value::<Job>(v).unwrap();
        let echoed = json!({"user": "app", "passwd": "Secret#123", "port": "3306"});
        let sighting = |v| request_sighting(&parse(v), request);
        assert_eq!(
            sighting(job("j-1", "working", "add_user", echoed)),
            Sighting::Ours
        );
        let other_user = json!({"user": "bob", "passwd": "Secret#123", "port": 3306});
        assert_eq!(
            sighting(job("j-1", "working", "add_user", other_user)),
            Sighting::Other
        );
        assert_eq!(
            sighting(job("j-1", "working", "del_user", params.clone())),
            Sighting::Other
        );
        assert_eq!(
            sighting(json!({"job_id": "j", "job_action": ACTION, "directive": "?"})),
            Sighting::MaybeOurs
        );
        assert_eq!(
            sighting(json!({"job_id": "j", "job_action": "StartClusters"})),
            Sighting::Other
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_identical_request_is_found_and_an_ambiguous_submission_adopts_its_job() {
        let params = json!({"node_id": "cln-1"});
        let listed = std::sync::Mutex::new(vec![job(
            "j-old",
            "working",
            "restart_node",
            params.clone(),
        )]);
        let api = FakeApi::new(move |action, _| match action {
            "DescribeClusterJobs" => {
                let jobs = listed.lock().unwrap().clone();
                ok(json!({"job_set": jobs, "total_count": jobs.len()}))
            }
            "RunClusterCustomService" => {
                listed.lock().unwrap().push(job(
                    "j-new",
                    "pending",
                    "restart_node",
                    json!({"node_id": "cln-2"}),
                ));
                crate::testing::Reply::Fail(TransportKind::Timeout)
            }
            _ => ok(json!({})),
        });
        let client = fake_client(&api);
        let service = CustomService::new(&client);
        let same = ServiceRequest {
            role: "proxy",
            service: "restart_node",
            params: &params,
        };
        // Another role is another request.
        let recent = service.recent("pek3a", "cl-1", same).await.unwrap();
        assert!(recent.running.is_none());
        let main = ServiceRequest {
            role: "maininstance",
            ..same
        };
        let recent = service.recent("pek3a", "cl-1", main).await.unwrap();
        assert_eq!(recent.running.unwrap().job_id, "j-old");

        let other = json!({"node_id": "cln-2"});
        let request = ServiceRequest {
            params: &other,
            ..main
        };
        let id = service
            .submit("pek3a", "cl-1", request, &recent.seen_job_ids)
            .await
            .unwrap();
        assert_eq!(id, "j-new");
        assert_eq!(api.count("RunClusterCustomService"), 1);
    }
}
