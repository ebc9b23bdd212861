//! The QingCloud actions the provider uses, run on a verified request.

use serde_json::json;

use super::answer::{Answer, answer, unknown_action};
use super::describe;
use super::error::ApiError;
use super::job::{Origin, ROLE, SSL_SERVICE};
use super::jobs::{self, JobRequest};
use super::params::Params;
use super::services;
use super::store::World;

pub(crate) fn run(
    action: &str,
    params: &Params,
    world: &mut World,
    now: i64,
) -> Result<Answer, ApiError> {
    let zone = params.required("zone")?;
    match action {
        "RunClusterCustomService" => run_custom_service(params, zone, world, now),
        "DescribeJobs" => describe::jobs(params, zone, world, now),
        "DescribeClusters" => describe::clusters(params, zone, world, now),
        "DescribeClusterJobs" => describe::cluster_jobs(params, zone, world, now),
        other => Err(unknown_action(other)),
    }
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
    // configuring_SSL keeps its own checks (and answers) exactly as before; every other
    // documented service goes through the simulator's table.
    let (enable_ssl, duration_percent) = if service == SSL_SERVICE {
        if role != ROLE {
            return Err(ApiError::invalid(
                "role",
                role,
                "only maininstance runs configuring_SSL",
            ));
        }
        (jobs::parse_configssl(service_params)?, 100)
    } else {
        (false, services::check(service, role, service_params)?)
    };
    let job_id = jobs::start(
        world,
        JobRequest {
            cluster_id: cluster,
            zone: Some(zone),
            service,
            role,
            duration_percent,
            enable_ssl,
            service_params: service_params.to_string(),
            origin: Origin::Api,
        },
        now,
    )?;
    let mut a = answer(json!({
        "job_id": job_id,
        "service": service,
        "role": role,
        "cluster_id": cluster,
    }));
    a.job_id = Some(job_id);
    a.changed = true;
    Ok(a)
}
