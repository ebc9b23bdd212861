//! `/_sim/`: the test and demo control surface. Not QingCloud, so no signature, plain HTTP codes.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::admin_types::{
    ClusterPatch, ConsoleSsl, DeleteMode, JobPatch, NewCluster, SeedRequest, SeededJobs,
    SettingsPatch, StartedJob,
};
use super::error::ApiError;
use super::faults::Faults;
use super::job::{Job, MYSQL_PLUS_APP, Origin, ROLE, SSL_SERVICE};
use super::jobs::{self, JobRequest};
use super::model::{CLUSTER_STATUSES, Cluster, valid_app_id, valid_cluster_id, valid_zone};
use super::seed::{self, SeedError};
use super::state::Shared;

type Sh = State<Arc<Shared>>;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/health", get(health))
        .route("/_sim/clusters", post(create_cluster).get(list_clusters))
        .route(
            "/_sim/clusters/{id}",
            get(get_cluster).delete(delete_cluster).patch(patch_cluster),
        )
        .route("/_sim/clusters/{id}/console-ssl", post(console_ssl))
        .route("/_sim/clusters/{id}/seed-jobs", post(seed_jobs))
        .route("/_sim/faults", put(put_faults).get(get_faults))
        .route("/_sim/settings", put(put_settings).get(get_settings))
        .route("/_sim/jobs/{id}", get(get_job).patch(patch_job))
        .route("/_sim/jobs/{id}/finish", post(finish_job))
        .route("/_sim/requests", get(get_requests).delete(clear_requests))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// Parses the body ourselves so a bad one gets a JSON 400 naming the problem.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn create_cluster(State(shared): Sh, bytes: Bytes) -> Response {
    let new: NewCluster = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if !valid_cluster_id(&new.cluster_id) {
        return error(
            StatusCode::BAD_REQUEST,
            "cluster_id must look like cl-abc12345",
        );
    }
    if !valid_zone(&new.zone) {
        return error(
            StatusCode::BAD_REQUEST,
            "zone must be lower-case letters and digits",
        );
    }
    if let Some(s) = new
        .status
        .as_deref()
        .filter(|s| !CLUSTER_STATUSES.contains(s))
    {
        return error(StatusCode::BAD_REQUEST, format!("unknown status {s:?}"));
    }
    let app_id = new.app_id.unwrap_or_else(|| MYSQL_PLUS_APP.to_string());
    if !valid_app_id(&app_id) {
        return error(
            StatusCode::BAD_REQUEST,
            "app_id must look like app-00r26u27",
        );
    }
    if new.ssl && app_id != MYSQL_PLUS_APP {
        // Only MySQL Plus has configuring_SSL, the one way SSL gets on in this world.
        return error(StatusCode::BAD_REQUEST, "ssl needs the MySQL Plus app");
    }
    shared.with_world(|world, now| {
        if world.clusters.contains_key(&new.cluster_id) {
            let msg = format!("cluster {} already exists", new.cluster_id);
            return (error(StatusCode::CONFLICT, msg), false);
        }
        let mut cluster = Cluster::new(new.cluster_id.clone(), new.zone, app_id, now);
        if new.ssl {
            cluster = cluster.with_ssl_on(world.clock.stamp(now, None));
        }
        cluster.job_duration_ms = new.job_duration_ms;
        if let Some(name) = new.name {
            cluster.name = name;
        }
        if let Some(status) = new.status {
            cluster.status = status;
        }
        let out = (StatusCode::CREATED, Json(cluster.to_admin(now))).into_response();
        world.clusters.insert(new.cluster_id, cluster);
        (out, true)
    })
}

async fn list_clusters(State(shared): Sh) -> Json<Value> {
    Json(shared.read(|world, now| {
        Value::Array(world.clusters.values().map(|c| c.to_admin(now)).collect())
    }))
}

async fn get_cluster(State(shared): Sh, Path(id): Path<String>) -> Response {
    shared.read(|world, now| match world.clusters.get(&id) {
        Some(c) => Json(c.to_admin(now)).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no cluster {id}")),
    })
}

/// Transition statuses are lower-case words (`updating`, `stopping`, ...); anything of that
/// shape is allowed so tests can use ones the simulator does not know.
fn valid_transition(t: &str) -> bool {
    t.bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
}

async fn patch_cluster(State(shared): Sh, Path(id): Path<String>, bytes: Bytes) -> Response {
    let patch: ClusterPatch = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if let Some(s) = patch
        .status
        .as_deref()
        .filter(|s| !CLUSTER_STATUSES.contains(s))
    {
        return error(StatusCode::BAD_REQUEST, format!("unknown status {s:?}"));
    }
    if let Some(Some(t)) = patch
        .transition_status
        .as_ref()
        .filter(|t| t.as_deref().is_some_and(|t| !valid_transition(t)))
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("transition_status must be a lower-case word, got {t:?}"),
        );
    }
    shared.with_world(|world, now| {
        let Some(c) = world.clusters.get_mut(&id) else {
            return (
                error(StatusCode::NOT_FOUND, format!("no cluster {id}")),
                false,
            );
        };
        if let Some(d) = patch.job_duration_ms {
            c.job_duration_ms = d;
        }
        if let Some(s) = patch.status {
            c.status = s;
            c.status_ms = now;
        }
        if let Some(t) = patch.transition_status {
            c.busy = t.filter(|t| !t.is_empty());
        }
        (Json(c.to_admin(now)).into_response(), true)
    })
}

async fn delete_cluster(
    State(shared): Sh,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mode = match q.get("mode").map(|m| DeleteMode::parse(m)) {
        None => DeleteMode::default(),
        Some(Some(mode)) => mode,
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "mode must be deleted, ceased or absent",
            );
        }
    };
    shared.with_world(|world, now| {
        if mode == DeleteMode::Absent {
            return match world.clusters.remove(&id) {
                Some(_) => (
                    Json(json!({"cluster_id": id, "status": "absent"})).into_response(),
                    true,
                ),
                None => (
                    error(StatusCode::NOT_FOUND, format!("no cluster {id}")),
                    false,
                ),
            };
        }
        match world.clusters.get_mut(&id) {
            Some(c) => {
                c.status = mode.as_str().to_string();
                c.status_ms = now;
                (Json(c.to_admin(now)).into_response(), true)
            }
            None => (
                error(StatusCode::NOT_FOUND, format!("no cluster {id}")),
                false,
            ),
        }
    })
}

async fn console_ssl(State(shared): Sh, Path(id): Path<String>, bytes: Bytes) -> Response {
    let req: ConsoleSsl = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let setting = qingcloud::configssl_value(req.enabled);
    let result = shared.with_world(|world, now| {
        let r = jobs::start(
            world,
            JobRequest {
                cluster_id: &id,
                zone: None,
                service: SSL_SERVICE,
                role: ROLE,
                duration_percent: 100,
                enable_ssl: req.enabled,
                service_params: json!({"configssl": setting}).to_string(),
                origin: Origin::Console,
            },
            now,
        );
        let changed = r.is_ok();
        (r, changed)
    });
    match result {
        Ok(job_id) => Json(StartedJob { job_id }).into_response(),
        Err(ApiError {
            code: 2100,
            message,
        }) => error(StatusCode::NOT_FOUND, message),
        Err(ApiError { message, .. }) => error(StatusCode::CONFLICT, message),
    }
}

async fn put_faults(State(shared): Sh, bytes: Bytes) -> Response {
    let faults: Faults = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if let Err(e) = faults.validate() {
        return error(StatusCode::BAD_REQUEST, e);
    }
    shared.set_faults(faults.clone());
    Json(faults).into_response()
}

async fn get_faults(State(shared): Sh) -> Json<Faults> {
    Json(shared.read(|world, _| world.faults.clone()))
}

async fn put_settings(State(shared): Sh, bytes: Bytes) -> Response {
    let patch: SettingsPatch = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let settings = shared.with_world(|world, _| {
        if let Some(d) = patch.job_duration_ms {
            world.settings.job_duration_ms = d;
        }
        if let Some(h) = patch.honour_reverse {
            world.settings.honour_reverse = h;
        }
        if let Some(ms) = patch.latency_ms {
            world.settings.latency_ms = ms;
        }
        (world.settings.clone(), true)
    });
    Json(settings).into_response()
}

async fn get_settings(State(shared): Sh) -> Response {
    Json(shared.read(|world, _| world.settings.clone())).into_response()
}

async fn get_job(State(shared): Sh, Path(id): Path<String>) -> Response {
    shared.read(|world, now| {
        let job = world
            .clusters
            .values()
            .flat_map(|c| c.jobs.iter())
            .find(|j| j.job_id == id);
        match job {
            Some(j) => Json(j.to_admin(now)).into_response(),
            None => error(StatusCode::NOT_FOUND, format!("no job {id}")),
        }
    })
}

/// Overwrites what the API serves for a job, for records the documentation does not promise.
async fn patch_job(State(shared): Sh, Path(id): Path<String>, bytes: Bytes) -> Response {
    let patch: JobPatch = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    shared.with_world(|world, now| {
        let job = world
            .clusters
            .values_mut()
            .flat_map(|c| c.jobs.iter_mut())
            .find(|j| j.job_id == id);
        let Some(job) = job else {
            return (error(StatusCode::NOT_FOUND, format!("no job {id}")), false);
        };
        if let Some(d) = patch.directive {
            job.raw_directive = d;
        }
        if let Some(s) = patch.status {
            job.raw_status = s;
        }
        (Json(job.to_admin(now)).into_response(), true)
    })
}

async fn seed_jobs(State(shared): Sh, Path(id): Path<String>, bytes: Bytes) -> Response {
    let req: SeedRequest = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    shared.with_world(|world, now| match seed::seed(world, &id, &req, now) {
        Ok(s) => {
            let create_time = |job: &Job| {
                let api = job.to_api(now);
                api["create_time"].as_str().unwrap_or_default().to_string()
            };
            let out = SeededJobs {
                cluster_id: id.clone(),
                seeded: req.count,
                total_jobs: s.total_jobs,
                first_create_time: create_time(&s.first),
                last_create_time: create_time(&s.last),
                first_job_id: s.first.job_id,
                last_job_id: s.last.job_id,
            };
            (Json(out).into_response(), true)
        }
        Err(SeedError::NotFound) => (
            error(StatusCode::NOT_FOUND, format!("no cluster {id}")),
            false,
        ),
        Err(SeedError::Busy(m)) => (error(StatusCode::CONFLICT, m), false),
        Err(SeedError::Invalid(m)) => (error(StatusCode::BAD_REQUEST, m), false),
    })
}

/// Finishes a running job successfully now (the way out of `stuck_jobs`).
async fn finish_job(State(shared): Sh, Path(id): Path<String>) -> Response {
    shared.with_world(|world, now| {
        let Some(cluster) = world
            .clusters
            .values_mut()
            .find(|c| c.jobs.iter().any(|j| j.job_id == id))
        else {
            return (error(StatusCode::NOT_FOUND, format!("no job {id}")), false);
        };
        let Some(job) = cluster.jobs.iter_mut().find(|j| j.job_id == id) else {
            return (error(StatusCode::NOT_FOUND, format!("no job {id}")), false);
        };
        if job.progress(now).finished {
            let msg = format!("job {id} already finished ({})", job.progress(now).status);
            return (error(StatusCode::CONFLICT, msg), false);
        }
        job.finished_ms = Some(now);
        cluster.settle(now);
        let out = cluster
            .jobs
            .iter()
            .find(|j| j.job_id == id)
            .map(|j| Json(j.to_admin(now)).into_response())
            .unwrap_or_else(|| error(StatusCode::NOT_FOUND, format!("no job {id}")));
        (out, true)
    })
}

async fn get_requests(State(shared): Sh) -> Response {
    Json(shared.requests()).into_response()
}

async fn clear_requests(State(shared): Sh) -> StatusCode {
    shared.clear_requests();
    StatusCode::NO_CONTENT
}
