//! Clusters and their jobs. Job progress is a pure function of the clock, so nothing has to
//! tick: every reader first `settle`s, which applies the effect of jobs that have finished.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::clock::format_iso;

pub const JOB_ACTION: &str = "RunClusterCustomService";
pub const SERVICE: &str = "configuring_SSL";
pub const ROLE: &str = "maininstance";
pub const OWNER: &str = "usr-qysim001";
pub const APP_ID: &str = "app-m9jaimla";

/// Statuses a cluster can be put in through the admin API; only `active` accepts jobs.
pub const CLUSTER_STATUSES: [&str; 6] = [
    "active",
    "stopped",
    "pending",
    "suspended",
    "deleted",
    "ceased",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fate {
    Succeed,
    Fail { status: String, error_codes: String },
    Stuck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Api,
    Console,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub job_id: String,
    pub cluster_id: String,
    pub zone: String,
    pub created_ms: i64,
    pub duration_ms: u64,
    pub fate: Fate,
    pub enable_ssl: bool,
    /// The `service_params` string exactly as the caller sent it.
    pub service_params: String,
    pub origin: Origin,
    /// Set when the admin API finishes the job early (the way out of a stuck job).
    pub finished_ms: Option<i64>,
    /// Whether the job's effect has been applied to its cluster.
    pub applied: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub status: &'static str,
    pub since_ms: i64,
    pub finished: bool,
}

impl Job {
    pub fn progress(&self, now: i64) -> Progress {
        let at = |status, since_ms, finished| Progress {
            status,
            since_ms,
            finished,
        };
        if let Some(done) = self.finished_ms.filter(|done| now >= *done) {
            return at("successful", done, true);
        }
        let duration = i64::try_from(self.duration_ms).unwrap_or(i64::MAX);
        // A quarter of the time pending, the rest working, like the queue-then-run of the real one.
        let working_from = self.created_ms.saturating_add(duration / 4);
        let end = self.created_ms.saturating_add(duration);
        match &self.fate {
            Fate::Stuck if now >= working_from => at("working", working_from, false),
            Fate::Succeed if now >= end => at("successful", end, true),
            Fate::Fail { status, .. } if now >= end => {
                let status = if status == "done with failure" {
                    "done with failure"
                } else {
                    "failed"
                };
                at(status, end, true)
            }
            _ if now >= working_from && duration > 0 => at("working", working_from, false),
            _ => at("pending", self.created_ms, false),
        }
    }

    pub fn error_codes(&self, now: i64) -> &str {
        let p = self.progress(now);
        match &self.fate {
            Fate::Fail { error_codes, .. } if p.finished && p.status != "successful" => error_codes,
            _ => "",
        }
    }

    /// The original request as QingCloud records it: a JSON string, keys in sorted order.
    pub fn directive(&self) -> String {
        json!({
            "cluster": self.cluster_id,
            "role": ROLE,
            "service": SERVICE,
            "service_params": self.service_params,
        })
        .to_string()
    }

    /// The shape `DescribeJobs` and `DescribeClusterJobs` return.
    pub fn to_api(&self, now: i64) -> Value {
        let p = self.progress(now);
        json!({
            "job_id": self.job_id,
            "job_action": JOB_ACTION,
            "status": p.status,
            "create_time": format_iso(self.created_ms),
            "status_time": format_iso(p.since_ms),
            "resource_ids": self.cluster_id,
            "owner": OWNER,
            "error_codes": self.error_codes(now),
            "directive": self.directive(),
            "zone_id": self.zone,
        })
    }

    /// The API shape plus what only the simulator knows.
    pub fn to_admin(&self, now: i64) -> Value {
        let mut v = self.to_api(now);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("origin".into(), json!(self.origin));
            obj.insert("enable_ssl".into(), json!(self.enable_ssl));
            obj.insert("stuck".into(), json!(self.fate == Fate::Stuck));
        }
        v
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    pub cluster_id: String,
    pub name: String,
    pub zone: String,
    pub status: String,
    pub create_ms: i64,
    pub status_ms: i64,
    pub ssl: bool,
    /// Overrides the global job duration for this cluster's jobs.
    pub job_duration_ms: Option<u64>,
    pub jobs: Vec<Job>,
}

impl Cluster {
    pub fn new(cluster_id: String, zone: String, ssl: bool, now: i64) -> Self {
        // SSL is off by default in QingCloud; a cluster that has it on got there through a
        // successful configuring_SSL job, and the job history is the only API that says so.
        let jobs = if ssl {
            vec![Job {
                job_id: new_job_id(),
                cluster_id: cluster_id.clone(),
                zone: zone.clone(),
                created_ms: now,
                duration_ms: 0,
                fate: Fate::Succeed,
                enable_ssl: true,
                service_params: r#"{"configssl":"YES"}"#.into(),
                origin: Origin::Console,
                finished_ms: Some(now),
                applied: true,
            }]
        } else {
            Vec::new()
        };
        Self {
            name: cluster_id.clone(),
            cluster_id,
            zone,
            status: "active".into(),
            create_ms: now,
            status_ms: now,
            ssl,
            job_duration_ms: None,
            jobs,
        }
    }

    /// Applies finished jobs in order; returns whether anything changed.
    pub fn settle(&mut self, now: i64) -> bool {
        let mut changed = false;
        for job in self.jobs.iter_mut().filter(|j| !j.applied) {
            let p = job.progress(now);
            if !p.finished {
                // Jobs run one at a time, so nothing after an unfinished one can be finished.
                break;
            }
            if p.status == "successful" {
                self.ssl = job.enable_ssl;
            }
            job.applied = true;
            changed = true;
        }
        changed
    }

    pub fn running_job(&self, now: i64) -> Option<&Job> {
        self.jobs.iter().find(|j| !j.progress(now).finished)
    }

    pub fn transition_status(&self, now: i64) -> &'static str {
        if self.running_job(now).is_some() {
            "updating"
        } else {
            ""
        }
    }

    pub fn is_gone(&self) -> bool {
        self.status == "deleted" || self.status == "ceased"
    }

    pub fn to_api(&self, now: i64) -> Value {
        json!({
            "cluster_id": self.cluster_id,
            "name": self.name,
            "status": self.status,
            "transition_status": self.transition_status(now),
            "app_id": APP_ID,
            "zone_id": self.zone,
            "create_time": format_iso(self.create_ms),
            "status_time": format_iso(self.status_ms),
            "owner": OWNER,
        })
    }

    pub fn to_admin(&self, now: i64) -> Value {
        json!({
            "cluster_id": self.cluster_id,
            "name": self.name,
            "zone": self.zone,
            "status": self.status,
            "transition_status": self.transition_status(now),
            "ssl": self.ssl,
            "job_duration_ms": self.job_duration_ms,
            "jobs": self.jobs.iter().map(|j| j.to_admin(now)).collect::<Vec<_>>(),
        })
    }
}

/// `j-` and ten lower-case letters or digits, like the ids QingCloud hands out.
pub fn new_job_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect();
    format!("j-{tail}")
}

pub fn valid_cluster_id(id: &str) -> bool {
    id.strip_prefix("cl-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

pub fn valid_zone(zone: &str) -> bool {
    !zone.is_empty()
        && zone
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(fate: Fate, duration_ms: u64) -> Job {
        Job {
            job_id: "j-test".into(),
            cluster_id: "cl-a".into(),
            zone: "pek3a".into(),
            created_ms: 1000,
            duration_ms,
            fate,
            enable_ssl: true,
            service_params: r#"{"configssl":"YES"}"#.into(),
            origin: Origin::Api,
            finished_ms: None,
            applied: false,
        }
    }

    #[test]
    fn lifecycle_follows_the_clock() {
        let j = job(Fate::Succeed, 400);
        assert_eq!(j.progress(1000).status, "pending");
        assert_eq!(j.progress(1100).status, "working");
        assert_eq!(j.progress(1399).status, "working");
        assert_eq!(j.progress(1400).status, "successful");
        assert_eq!(job(Fate::Succeed, 0).progress(1000).status, "successful");
        let stuck = job(Fate::Stuck, 400);
        assert_eq!(stuck.progress(1_000_000).status, "working");
        let failed = job(
            Fate::Fail {
                status: "done with failure".into(),
                error_codes: "5100".into(),
            },
            0,
        );
        assert_eq!(failed.progress(1000).status, "done with failure");
        assert_eq!(failed.error_codes(1000), "5100");
    }

    #[test]
    fn ssl_changes_only_on_success() {
        let mut c = Cluster::new("cl-a".into(), "pek3a".into(), false, 0);
        c.jobs.push(job(
            Fate::Fail {
                status: "failed".into(),
                error_codes: "5100".into(),
            },
            100,
        ));
        assert!(!c.settle(1050));
        assert_eq!(c.transition_status(1050), "updating");
        assert!(c.settle(1100));
        assert!(!c.ssl);
        c.jobs.push(Job {
            created_ms: 2000,
            ..job(Fate::Succeed, 100)
        });
        c.settle(2050);
        assert!(!c.ssl);
        c.settle(2100);
        assert!(c.ssl);
        assert_eq!(c.transition_status(2100), "");
    }

    #[test]
    fn ids() {
        assert!(new_job_id().starts_with("j-"));
        assert!(valid_cluster_id("cl-abc12345"));
        assert!(!valid_cluster_id("cl-ABC"));
        assert!(!valid_cluster_id("cl-"));
    }
}
