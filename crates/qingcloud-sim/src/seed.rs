//! Made-up job history (`POST /_sim/clusters/{id}/seed-jobs`): a cluster that has run for years
//! has thousands of jobs, and a client that reads only the first page of its history reads the
//! wrong thing. Seeded jobs are successful, touch no SSL setting, and are newer than every job
//! the cluster had, so that its SSL-changing jobs disappear deep into the history.

use serde_json::json;

use super::admin_types::SeedRequest;
use super::job::{BACKUP_ACTION, Fate, Job, Origin, new_job_id};
use super::model::Cluster;
use super::store::World;

/// Enough for any paging test; bounds the memory one request can take.
pub(crate) const MAX_COUNT: usize = 100_000;

/// The custom services a seed may use: non-SSL MySQL Plus services whose records look like the
/// SSL ones (same action, same role) so a careless reader mistakes them.
const SERVICES: [&str; 3] = ["add_user", "del_user", "set_readonly"];

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SeedError {
    Invalid(String),
    NotFound,
    Busy(String),
}

pub(crate) struct Seeded {
    pub first: Job,
    pub last: Job,
    pub total_jobs: usize,
}

/// The kind of the `i`-th seeded job: `None` for a backup, else the custom service.
fn kind_of(service: &str, i: usize) -> Option<&'static str> {
    match service {
        "backup" => None,
        "mix" => [
            None,
            Some("add_user"),
            None,
            Some("del_user"),
            Some("set_readonly"),
        ][i % 5],
        named => SERVICES.iter().copied().find(|s| *s == named),
    }
}

fn params_for(service: &str, i: usize) -> String {
    let user = format!("seed_user{i}");
    match service {
        "add_user" => json!({
            "user": user, "passwd": format!("Seed#Pass{i}x"), "database": "*",
            "host": "%", "ssl": "NO", "priv": "StandardAccount",
        }),
        "del_user" => json!({ "user": user, "host": "%" }),
        _ => json!({ "readonly": if i.is_multiple_of(2) { "NO" } else { "YES" } }),
    }
    .to_string()
}

pub(crate) fn seed(
    world: &mut World,
    cluster_id: &str,
    req: &SeedRequest,
    now: i64,
) -> Result<Seeded, SeedError> {
    let service = req.service.as_deref().unwrap_or("mix");
    if service != "mix" && service != "backup" && !SERVICES.contains(&service) {
        return Err(SeedError::Invalid(format!(
            "service must be mix, backup or one of {SERVICES:?} (SSL history comes from real jobs)"
        )));
    }
    if req.count == 0 || req.count > MAX_COUNT {
        return Err(SeedError::Invalid(format!("count must be 1..={MAX_COUNT}")));
    }
    let cluster = world.clusters.get(cluster_id).ok_or(SeedError::NotFound)?;
    if let Some(job) = cluster.running_job(now) {
        // Finished jobs newer than a running one would be a history no cluster can have.
        return Err(SeedError::Busy(format!(
            "cluster {cluster_id} is running job {}",
            job.job_id
        )));
    }
    let count = i64::try_from(req.count).unwrap_or(i64::MAX);
    let newest = world
        .clusters
        .get(cluster_id)
        .and_then(Cluster::newest_job_ms);
    let first_ms = world.clock.reserve_block(now, count, newest);
    let Some(cluster) = world.clusters.get_mut(cluster_id) else {
        return Err(SeedError::NotFound);
    };
    // The block ends now; older jobs of this cluster that fall inside it move back in time,
    // keeping their order and their distances.
    let newest = cluster.jobs.iter().map(|j| j.created_ms).max();
    if let Some(shift) = newest.map(|n| n - first_ms + 1000).filter(|s| *s > 0) {
        let shift = shift - shift.rem_euclid(1000);
        for job in &mut cluster.jobs {
            job.created_ms -= shift;
            job.finished_ms = job.finished_ms.map(|f| f - shift);
        }
    }
    let oldest = cluster.jobs.first().map(|j| j.created_ms);
    cluster.create_ms = cluster
        .create_ms
        .min(oldest.unwrap_or(first_ms))
        .min(first_ms);
    cluster.jobs.reserve(req.count);
    let template = Job {
        origin: Origin::Seed,
        applied: true,
        ..Job::ssl_toggle(&cluster.cluster_id, &cluster.zone, &cluster.app_id, false)
    };
    for (i, at) in (0..req.count).zip((0..).map(|k: i64| first_ms + k * 1000)) {
        let mut job = Job {
            job_id: new_job_id(),
            created_ms: at,
            fate: Fate::Succeed,
            ..template.clone()
        };
        match kind_of(service, i) {
            Some(custom) => {
                job.service = custom.into();
                job.service_params = params_for(custom, i);
            }
            None => {
                job.job_action = BACKUP_ACTION.into();
                job.service = String::new();
                job.role = String::new();
                job.service_params = String::new();
            }
        }
        cluster.jobs.push(job);
    }
    let total_jobs = cluster.jobs.len();
    let seeded = &cluster.jobs[total_jobs - req.count..];
    match (seeded.first(), seeded.last()) {
        (Some(first), Some(last)) => Ok(Seeded {
            first: first.clone(),
            last: last.clone(),
            total_jobs,
        }),
        _ => Err(SeedError::Invalid("nothing seeded".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cluster;

    fn world_with(id: &str) -> World {
        let mut w = World::default();
        let c = Cluster::new(id.into(), "pek3a".into(), "app-00r26u27".into(), 0);
        w.clusters.insert(id.into(), c);
        w
    }

    fn req(count: usize, service: Option<&str>) -> SeedRequest {
        SeedRequest {
            count,
            service: service.map(String::from),
        }
    }

    #[test]
    fn seeded_jobs_are_newer_than_old_ones_and_older_than_new_ones() {
        let mut w = world_with("cl-a");
        let now = 1_000_000_000;
        let at = w.clock.stamp(now, None);
        if let Some(c) = w.clusters.remove("cl-a") {
            w.clusters.insert("cl-a".into(), c.with_ssl_on(at));
        }
        let started = std::time::Instant::now();
        let seeded = seed(&mut w, "cl-a", &req(2000, None), now + 10);
        assert!(started.elapsed().as_millis() < 500);
        let Ok(seeded) = seeded else {
            panic!("seed failed")
        };
        assert_eq!(seeded.total_jobs, 2001);
        let jobs = &w.clusters["cl-a"].jobs;
        assert!(
            jobs.windows(2)
                .all(|p| p[0].created_ms / 1000 < p[1].created_ms / 1000)
        );
        assert!(jobs[0].is_ssl_toggle());
        assert!(jobs[1..].iter().all(|j| !j.is_ssl_toggle()));
        assert!(jobs.iter().any(|j| j.job_action == BACKUP_ACTION));
        assert!(jobs.iter().any(|j| j.service == "add_user"));
        assert!(w.clusters["cl-a"].ssl);
        let newest = w.clusters["cl-a"].newest_job_ms();
        let later = w.clock.stamp(w.clock.now(now + 20), newest);
        assert!(later / 1000 > seeded.last.created_ms / 1000);
        assert!(seeded.last.created_ms <= w.clock.now(now + 20));
    }

    #[test]
    fn refuses_bad_requests() {
        let mut w = world_with("cl-a");
        assert_eq!(
            seed(&mut w, "cl-b", &req(1, None), 0).err(),
            Some(SeedError::NotFound)
        );
        for bad in [
            req(0, None),
            req(1, Some("configuring_SSL")),
            req(MAX_COUNT + 1, None),
        ] {
            assert!(matches!(
                seed(&mut w, "cl-a", &bad, 0),
                Err(SeedError::Invalid(_))
            ));
        }
        let Ok(s) = seed(&mut w, "cl-a", &req(3, Some("add_user")), 5000) else {
            panic!("seed failed")
        };
        assert_eq!(s.first.service, "add_user");
        assert!(s.first.service_params.contains("\"ssl\":\"NO\""));
    }
}
