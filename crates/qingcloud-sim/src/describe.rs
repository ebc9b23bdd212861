//! The listing actions, paged like the documentation says: `offset` (default 0), `limit`
//! (default 20, larger values cut to 100), `total_count` = every match, not the page size.

use serde_json::{Value, json};

use super::answer::{Answer, answer};
use super::error::ApiError;
use super::job::Job;
use super::params::Params;
use super::store::World;

pub(crate) const DEFAULT_LIMIT: u64 = 20;
pub(crate) const MAX_LIMIT: u64 = 100;

fn paged(params: &Params, items: Vec<Value>, key: &str) -> Result<Answer, ApiError> {
    let total = items.len();
    let offset = params.uint("offset")?.unwrap_or(0);
    let limit = params
        .uint("limit")?
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let items: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Ok(answer(json!({ key: items, "total_count": total })))
}

/// `name.N` values, plus a bare `name` as the Python SDK sends it.
fn list_or_single(params: &Params, name: &str) -> Vec<String> {
    let mut values = params.list(name);
    if let Some(v) = params
        .get(name)
        .filter(|v| !v.is_empty() && !values.iter().any(|x| x == v))
    {
        values.push(v.to_string());
    }
    values
}

fn status_matches(statuses: &[String], job: &Job, now: i64) -> bool {
    statuses.is_empty() || statuses.iter().any(|s| s == job.status(now))
}

/// Newest first: the order the console shows; the documentation states none.
pub(crate) fn jobs(
    params: &Params,
    zone: &str,
    world: &World,
    now: i64,
) -> Result<Answer, ApiError> {
    let ids = params.list("jobs");
    let statuses = list_or_single(params, "status");
    let actions = list_or_single(params, "job_action");
    let mut jobs: Vec<&Job> = world
        .clusters
        .values()
        .flat_map(|c| c.jobs.iter())
        .filter(|j| j.zone == zone)
        .filter(|j| ids.is_empty() || ids.contains(&j.job_id))
        .filter(|j| actions.is_empty() || actions.contains(&j.job_action))
        .filter(|j| status_matches(&statuses, j, now))
        .collect();
    jobs.sort_by(|a, b| {
        b.created_ms
            .cmp(&a.created_ms)
            .then(b.job_id.cmp(&a.job_id))
    });
    let items = jobs.iter().map(|j| j.to_api(now)).collect();
    paged(params, items, "job_set")
}

/// Oldest first, `reverse=1` newest first (the parameter is documented for this action).
pub(crate) fn clusters(
    params: &Params,
    zone: &str,
    world: &World,
    now: i64,
) -> Result<Answer, ApiError> {
    let ids = params.list("clusters");
    let apps = params.list("apps");
    let statuses = params.list("status");
    let name = params
        .get("cluster_name")
        .filter(|n| !n.is_empty())
        .map(str::to_lowercase);
    let mut clusters: Vec<_> = world
        .clusters
        .values()
        .filter(|c| c.zone == zone)
        .filter(|c| ids.is_empty() || ids.contains(&c.cluster_id))
        .filter(|c| apps.is_empty() || apps.contains(&c.app_id))
        .filter(|c| statuses.is_empty() || statuses.contains(&c.status))
        .filter(|c| {
            name.as_deref()
                .is_none_or(|n| c.name.to_lowercase().contains(n))
        })
        .collect();
    clusters.sort_by(|a, b| {
        a.create_ms
            .cmp(&b.create_ms)
            .then(a.cluster_id.cmp(&b.cluster_id))
    });
    if params.get("reverse") == Some("1") {
        clusters.reverse();
    }
    let items = clusters.iter().map(|c| c.to_api(now)).collect();
    paged(params, items, "cluster_set")
}

/// Oldest first whatever `reverse` and `sort_key` say: the documentation lists neither for
/// this action, so a client that relies on them breaks. With the `honour_reverse` setting,
/// `reverse=1` lists newest first, as QingCloud's Python SDK assumes.
pub(crate) fn cluster_jobs(
    params: &Params,
    zone: &str,
    world: &World,
    now: i64,
) -> Result<Answer, ApiError> {
    let id = params.required("cluster")?;
    let cluster = world
        .clusters
        .get(id)
        .filter(|c| c.zone == zone)
        .ok_or_else(|| ApiError::not_found(id))?;
    let ids = params.list("jobs");
    let statuses = list_or_single(params, "status");
    let mut jobs: Vec<&Job> = cluster
        .jobs
        .iter()
        .filter(|j| ids.is_empty() || ids.contains(&j.job_id))
        .filter(|j| status_matches(&statuses, j, now))
        .collect();
    // Stable: the job clock gives distinct times, and creation order breaks any tie.
    jobs.sort_by_key(|j| j.created_ms);
    if world.settings.honour_reverse && params.get("reverse") == Some("1") {
        jobs.reverse();
    }
    let items = jobs.iter().map(|j| j.to_api(now)).collect();
    paged(params, items, "job_set")
}
