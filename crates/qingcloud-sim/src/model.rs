//! Clusters and their job histories. Every reader first `settle`s, which applies the effect of
//! jobs that have finished by now (see `job.rs`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::clock::format_iso;
use super::job::{Job, MYSQL_PLUS_APP, OWNER, Origin};

/// Statuses a cluster can be put in through the admin API; only `active` accepts jobs.
pub(crate) const CLUSTER_STATUSES: [&str; 6] = [
    "active",
    "stopped",
    "pending",
    "suspended",
    "deleted",
    "ceased",
];

fn mysql_plus() -> String {
    MYSQL_PLUS_APP.into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Cluster {
    pub cluster_id: String,
    pub name: String,
    pub zone: String,
    #[serde(default = "mysql_plus")]
    pub app_id: String,
    pub status: String,
    pub create_ms: i64,
    pub status_ms: i64,
    pub ssl: bool,
    /// Overrides the global job duration for this cluster's jobs.
    pub job_duration_ms: Option<u64>,
    /// A `transition_status` a test set (`PATCH /_sim/clusters/{id}`): the cluster is busy with
    /// something the simulator does not model, until the test clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<String>,
    pub jobs: Vec<Job>,
}

impl Cluster {
    /// When its newest job was created (the job clock keeps the next one in a later second).
    pub(crate) fn newest_job_ms(&self) -> Option<i64> {
        self.jobs.iter().map(|j| j.created_ms).max()
    }

    pub(crate) fn new(cluster_id: String, zone: String, app_id: String, now: i64) -> Self {
        Self {
            name: cluster_id.clone(),
            cluster_id,
            zone,
            app_id,
            status: "active".into(),
            create_ms: now,
            status_ms: now,
            ssl: false,
            job_duration_ms: None,
            busy: None,
            jobs: Vec::new(),
        }
    }

    /// SSL is off by default in QingCloud; a cluster that has it on got there through a
    /// successful configuring_SSL job, and the job history is the only API that says so.
    pub(crate) fn with_ssl_on(mut self, job_at: i64) -> Self {
        let job = Job {
            created_ms: job_at,
            origin: Origin::Console,
            finished_ms: Some(job_at),
            applied: true,
            ..Job::ssl_toggle(&self.cluster_id, &self.zone, &self.app_id, true)
        };
        self.jobs.push(job);
        self.ssl = true;
        self
    }

    /// Applies finished jobs in order; returns whether anything changed.
    pub(crate) fn settle(&mut self, now: i64) -> bool {
        let mut changed = false;
        for job in self.jobs.iter_mut().filter(|j| !j.applied) {
            let p = job.progress(now);
            if !p.finished {
                // Jobs run one at a time, so nothing after an unfinished one can be finished.
                break;
            }
            if p.status == "successful" && job.is_ssl_toggle() {
                self.ssl = job.enable_ssl;
            }
            job.applied = true;
            changed = true;
        }
        changed
    }

    pub(crate) fn running_job(&self, now: i64) -> Option<&Job> {
        // Finished jobs are all `applied` once settled, so long histories cost little here.
        self.jobs
            .iter()
            .filter(|j| !j.applied)
            .find(|j| !j.progress(now).finished)
    }

    pub(crate) fn transition_status(&self, now: i64) -> &str {
        if let Some(busy) = self.busy.as_deref().filter(|b| !b.is_empty()) {
            busy
        } else if self.running_job(now).is_some() {
            "updating"
        } else {
            ""
        }
    }

    pub(crate) fn is_gone(&self) -> bool {
        self.status == "deleted" || self.status == "ceased"
    }

    pub(crate) fn to_api(&self, now: i64) -> Value {
        json!({
            "cluster_id": self.cluster_id,
            "name": self.name,
            "status": self.status,
            "transition_status": self.transition_status(now),
            "app_id": self.app_id,
            "zone_id": self.zone,
            "create_time": format_iso(self.create_ms),
            "status_time": format_iso(self.status_ms),
            "owner": OWNER,
        })
    }

    pub(crate) fn to_admin(&self, now: i64) -> Value {
        json!({
            "cluster_id": self.cluster_id,
            "name": self.name,
            "zone": self.zone,
            "app_id": self.app_id,
            "status": self.status,
            "transition_status": self.transition_status(now),
            "ssl": self.ssl,
            "job_duration_ms": self.job_duration_ms,
            "jobs": self.jobs.iter().map(|j| j.to_admin(now)).collect::<Vec<_>>(),
        })
    }
}

pub fn valid_cluster_id(id: &str) -> bool {
    qingcloud::ids::is_cluster_id(id)
}

/// `app-` and lower-case letters or digits, like `app-00r26u27`.
pub(crate) fn valid_app_id(id: &str) -> bool {
    id.strip_prefix("app-").is_some_and(lower_alnum)
}

pub fn valid_zone(zone: &str) -> bool {
    qingcloud::ids::is_zone(zone)
}

fn lower_alnum(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Fate;

    fn failing(status: &str) -> Fate {
        Fate::Fail {
            status: status.into(),
            error_codes: "5100".into(),
        }
    }

    fn job(fate: Fate, created_ms: i64, duration_ms: u64) -> Job {
        Job {
            created_ms,
            duration_ms,
            fate,
            ..Job::ssl_toggle("cl-a", "pek3a", MYSQL_PLUS_APP, true)
        }
    }

    #[test]
    fn ssl_changes_only_on_success() {
        let mut c = Cluster::new("cl-a".into(), "pek3a".into(), mysql_plus(), 0);
        c.jobs.push(job(failing("failed"), 1000, 100));
        assert!(!c.settle(1050));
        assert_eq!(c.transition_status(1050), "updating");
        assert!(c.settle(1100));
        assert!(!c.ssl);
        c.jobs.push(job(Fate::Succeed, 2000, 100));
        c.settle(2050);
        assert!(!c.ssl);
        c.settle(2100);
        assert!(c.ssl);
        assert_eq!(c.transition_status(2100), "");
    }

    #[test]
    fn other_services_leave_ssl_alone() {
        let mut c = Cluster::new("cl-a".into(), "pek3a".into(), mysql_plus(), 0);
        c.jobs.push(Job {
            service: "add_user".into(),
            service_params: r#"{"ssl":"YES"}"#.into(),
            ..job(Fate::Succeed, 1000, 0)
        });
        c.settle(1000);
        assert!(!c.ssl);
    }

    #[test]
    fn a_test_set_transition_status_wins() {
        let mut c = Cluster::new("cl-a".into(), "pek3a".into(), mysql_plus(), 0);
        c.busy = Some("updating".into());
        assert_eq!(c.transition_status(0), "updating");
        c.busy = Some(String::new());
        assert_eq!(c.transition_status(0), "");
    }

    #[test]
    fn ids() {
        assert!(valid_cluster_id("cl-abc12345"));
        assert!(!valid_cluster_id("cl-ABC"));
        assert!(!valid_cluster_id("cl-"));
        assert!(valid_app_id("app-00r26u27"));
        assert!(!valid_app_id("app-"));
        assert!(!valid_app_id("ap-00r26u27"));
    }
}
