//! Starting a custom-service job (configuring_SSL or another documented service), shared by
//! the API action and the simulated console so both go through the same checks and the same
//! lifecycle.

use super::error::ApiError;
use super::job::{Fate, Job, MYSQL_PLUS_APP, Origin};
use super::model::Cluster;
use super::store::World;

pub(crate) struct JobRequest<'a> {
    pub cluster_id: &'a str,
    /// The zone the request named; `None` for the console, which has no zone parameter.
    pub zone: Option<&'a str>,
    pub service: &'a str,
    pub role: &'a str,
    /// The job's duration in percent of the configured one (100 for configuring_SSL).
    pub duration_percent: u64,
    /// What a configuring_SSL job sets; false for other services.
    pub enable_ssl: bool,
    pub service_params: String,
    pub origin: Origin,
}

/// Returns the new job's id.
pub(crate) fn start(world: &mut World, req: JobRequest<'_>, now: i64) -> Result<String, ApiError> {
    let fate = fate_for(world, req.cluster_id);
    let default_duration = world.settings.job_duration_ms;
    let cluster = world
        .clusters
        .get(req.cluster_id)
        .ok_or_else(|| ApiError::not_found(req.cluster_id))?;
    check(cluster, &req, now)?;
    let created_ms = world.clock.stamp(now, cluster.newest_job_ms());
    let cluster = world
        .clusters
        .get_mut(req.cluster_id)
        .ok_or_else(|| ApiError::not_found(req.cluster_id))?;
    let duration_ms = cluster.job_duration_ms.unwrap_or(default_duration);
    let job = Job {
        created_ms,
        duration_ms: duration_ms.saturating_mul(req.duration_percent) / 100,
        fate,
        service: req.service.to_string(),
        role: req.role.to_string(),
        service_params: req.service_params,
        origin: req.origin,
        ..Job::ssl_toggle(
            &cluster.cluster_id,
            &cluster.zone,
            &cluster.app_id,
            req.enable_ssl,
        )
    };
    let job_id = job.job_id.clone();
    cluster.jobs.push(job);
    Ok(job_id)
}

fn check(cluster: &Cluster, req: &JobRequest<'_>, now: i64) -> Result<(), ApiError> {
    // QingCloud answers "not found" for a resource in another zone: ids are zone-scoped.
    if req.zone.is_some_and(|z| z != cluster.zone) || cluster.is_gone() {
        return Err(ApiError::not_found(req.cluster_id));
    }
    // A custom service is part of an app version's definition, so the server can refuse an
    // unknown one while validating the request, before any job exists; no documented code is
    // more specific than "bad parameter value". Checked before the state, as validation is.
    if cluster.app_id != MYSQL_PLUS_APP {
        return Err(ApiError::invalid(
            "service",
            req.service,
            &format!(
                "the app [{}] of cluster [{}] has no such custom service",
                cluster.app_id, cluster.cluster_id
            ),
        ));
    }
    if cluster.status != "active" {
        return Err(ApiError::new(
            1400,
            format!(
                "PermissionDenied, cluster [{}] is [{}], the operation needs it active",
                cluster.cluster_id, cluster.status
            ),
        ));
    }
    let busy_job = cluster.running_job(now).map(|j| j.job_id.as_str());
    // A transition a test set models work the console started behind the provider's back; the
    // console itself is not held up by it (it is what races the provider).
    let busy_other = cluster
        .busy
        .as_deref()
        .filter(|b| !b.is_empty() && req.origin != Origin::Console);
    if busy_job.is_some() || busy_other.is_some() {
        return Err(ApiError::new(
            1400,
            format!(
                "PermissionDenied, cluster [{}] is busy (transition_status [{}]{}), please try later",
                cluster.cluster_id,
                busy_other.unwrap_or("updating"),
                busy_job.map(|j| format!(", job [{j}]")).unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// A job's end is decided when it starts, so changing faults later does not rewrite history.
fn fate_for(world: &World, cluster_id: &str) -> Fate {
    if world.faults.stuck_jobs.iter().any(|c| c == cluster_id) {
        Fate::Stuck
    } else if let Some(status) = world.faults.fail_jobs.get(cluster_id) {
        Fate::Fail {
            status: status.clone(),
            error_codes: "5100".into(),
        }
    } else {
        Fate::Succeed
    }
}

/// Parses `configssl` from `service_params`: YES/ON enable, NO/OFF disable, any case.
pub(crate) fn parse_configssl(service_params: &str) -> Result<bool, ApiError> {
    let bad = |why: &str| ApiError::invalid("service_params", service_params, why);
    let value: serde_json::Value =
        serde_json::from_str(service_params).map_err(|_| bad("not a JSON object"))?;
    let setting = value
        .as_object()
        .ok_or_else(|| bad("not a JSON object"))?
        .get("configssl")
        .ok_or_else(|| bad("configssl is required"))?
        .as_str()
        .ok_or_else(|| bad("configssl must be a string"))?;
    qingcloud::parse_configssl(setting).ok_or_else(|| bad("configssl must be YES or NO"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configssl_values() {
        assert_eq!(parse_configssl(r#"{"configssl":"YES"}"#), Ok(true));
        assert_eq!(parse_configssl(r#"{"configssl":"on"}"#), Ok(true));
        assert_eq!(parse_configssl(r#"{"configssl":"No"}"#), Ok(false));
        assert_eq!(parse_configssl(r#"{"configssl":"OFF"}"#), Ok(false));
        for bad in [
            r#"{"configssl":"maybe"}"#,
            r#"{"configssl":true}"#,
            "{}",
            "[]",
            "nope",
        ] {
            assert_eq!(parse_configssl(bad).map_err(|e| e.code), Err(1100), "{bad}");
        }
    }
}
