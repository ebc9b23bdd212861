//! The QingCloud actions the provider uses, run on a verified request.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::jobs::{self, JobRequest};
use super::model::{Origin, ROLE, SERVICE};
use super::params::Params;
use super::store::World;

const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 100;

/// A successful answer, and the job it created if any (for the request log).
pub struct Answer {
    pub body: Map<String, Value>,
    pub job_id: Option<String>,
    pub changed: bool,
}

fn answer(body: Value) -> Answer {
    Answer {
        body: body.as_object().cloned().unwrap_or_default(),
        job_id: None,
        changed: false,
    }
}

pub fn is_known(action: &str) -> bool {
    matches!(
        action,
        "RunClusterCustomService" | "DescribeJobs" | "DescribeClusters" | "DescribeClusterJobs"
    )
}

pub fn run(action: &str, params: &Params, world: &mut World, now: i64) -> Result<Answer, ApiError> {
    let zone = params.required("zone")?;
    match action {
        "RunClusterCustomService" => run_custom_service(params, zone, world, now),
        "DescribeJobs" => describe_jobs(params, zone, world, now),
        "DescribeClusters" => describe_clusters(params, zone, world, now),
        "DescribeClusterJobs" => describe_cluster_jobs(params, zone, world, now),
        other => Err(unknown_action(other)),
    }
}

pub fn unknown_action(action: &str) -> ApiError {
    ApiError::new(
        1101,
        format!("InvalidAction, the action [{action}] is not supported"),
    )
}

fn run_custom_service(
    params: &Params,
    zone: &str,
    world: &mut World,
    now: i64,
) -> Result<Answer, ApiError> {
    let cluster = params.required("cluster")?;
    let role = params.required("role")?;
    let service = params.required("service")?;
    let service_params = params.required("service_params")?;
    if role != ROLE {
        return Err(ApiError::invalid(
            "role",
            role,
            "only maininstance runs configuring_SSL",
        ));
    }
    if service != SERVICE {
        return Err(ApiError::invalid(
            "service",
            service,
            "unknown custom service",
        ));
    }
    let enable_ssl = jobs::parse_configssl(service_params)?;
    let job_id = jobs::start(
        world,
        JobRequest {
            cluster_id: cluster,
            zone: Some(zone),
            enable_ssl,
            service_params: service_params.to_string(),
            origin: Origin::Api,
        },
        now,
    )?;
    let mut a = answer(json!({
        "job_id": job_id,
        "service": SERVICE,
        "role": ROLE,
        "cluster_id": cluster,
    }));
    a.job_id = Some(job_id);
    a.changed = true;
    Ok(a)
}

fn page(params: &Params, total: usize) -> Result<(usize, usize), ApiError> {
    let offset = params.uint("offset")?.unwrap_or(0);
    // Like the real service: a default page of 10, anything above 100 is cut to 100.
    let limit = params
        .uint("limit")?
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok((offset, limit))
}

fn paged(params: &Params, items: Vec<Value>, key: &str) -> Result<Answer, ApiError> {
    let total = items.len();
    let (offset, limit) = page(params, total)?;
    let items: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Ok(answer(json!({ key: items, "total_count": total })))
}

fn describe_jobs(params: &Params, zone: &str, world: &World, now: i64) -> Result<Answer, ApiError> {
    let ids = params.list("jobs");
    let statuses = params.list("status");
    let mut jobs: Vec<_> = world
        .clusters
        .values()
        .flat_map(|c| c.jobs.iter())
        .filter(|j| j.zone == zone)
        .filter(|j| ids.is_empty() || ids.contains(&j.job_id))
        .filter(|j| statuses.is_empty() || statuses.iter().any(|s| s == j.progress(now).status))
        .collect();
    jobs.sort_by(|a, b| {
        b.created_ms
            .cmp(&a.created_ms)
            .then(b.job_id.cmp(&a.job_id))
    });
    let items = jobs.iter().map(|j| j.to_api(now)).collect();
    paged(params, items, "job_set")
}

fn describe_clusters(
    params: &Params,
    zone: &str,
    world: &World,
    now: i64,
) -> Result<Answer, ApiError> {
    let ids = params.list("clusters");
    let statuses = params.list("status");
    let items = world
        .clusters
        .values()
        .filter(|c| c.zone == zone)
        .filter(|c| ids.is_empty() || ids.contains(&c.cluster_id))
        .filter(|c| statuses.is_empty() || statuses.contains(&c.status))
        .map(|c| c.to_api(now))
        .collect();
    paged(params, items, "cluster_set")
}

fn describe_cluster_jobs(
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
    let statuses = params.list("status");
    let newest_first = params.get("reverse") == Some("1");
    let mut jobs: Vec<_> = cluster
        .jobs
        .iter()
        .filter(|j| statuses.is_empty() || statuses.iter().any(|s| s == j.progress(now).status))
        .collect();
    if newest_first {
        jobs.reverse();
    }
    let items = jobs.iter().map(|j| j.to_api(now)).collect();
    paged(params, items, "job_set")
}
