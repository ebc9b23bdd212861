//! One job as QingCloud records it. Progress is a pure function of the clock, so nothing has to
//! tick; the record also keeps what a test overwrote, because the provider must survive records
//! the documentation does not promise.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::clock::format_iso;

/// Every custom service job, SSL or not, is recorded under this action (not the service name).
pub(crate) const CUSTOM_SERVICE_ACTION: &str = "RunClusterCustomService";
/// Backups of app clusters are snapshots of the cluster resource. Unconfirmed which action name
/// QingCloud records for a scheduled backup; only its being *not* a custom service matters here.
pub(crate) const BACKUP_ACTION: &str = "CreateSnapshots";
pub(crate) use qingcloud::{SSL_ROLE as ROLE, SSL_SERVICE};
pub(crate) const OWNER: &str = "usr-qysim001";
/// "QingCloud MySQL Plus", as the documentation and a real job's directive name it.
pub(crate) const MYSQL_PLUS_APP: &str = qingcloud::MYSQL_PLUS_APP_IDS[0];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Fate {
    Succeed,
    Fail { status: String, error_codes: String },
    Stuck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Origin {
    Api,
    Console,
    /// History made up by `POST /_sim/clusters/{id}/seed-jobs`.
    Seed,
}

fn mysql_plus() -> String {
    MYSQL_PLUS_APP.into()
}
fn custom_service_action() -> String {
    CUSTOM_SERVICE_ACTION.into()
}
fn ssl_service() -> String {
    SSL_SERVICE.into()
}
fn main_role() -> String {
    ROLE.into()
}

// Defaults on the fields added later keep state files of older simulators loadable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub job_id: String,
    pub cluster_id: String,
    pub zone: String,
    #[serde(default = "mysql_plus")]
    pub app_id: String,
    #[serde(default = "custom_service_action")]
    pub job_action: String,
    /// The custom service; empty for jobs that are not custom services.
    #[serde(default = "ssl_service")]
    pub service: String,
    #[serde(default = "main_role")]
    pub role: String,
    pub created_ms: i64,
    pub duration_ms: u64,
    pub fate: Fate,
    /// What a successful configuring_SSL job sets; meaningless for other jobs.
    pub enable_ssl: bool,
    /// The `service_params` string exactly as the caller sent it.
    pub service_params: String,
    pub origin: Origin,
    /// Set when the admin API finishes the job early (the way out of a stuck job).
    pub finished_ms: Option<i64>,
    /// Whether the job's effect has been applied to its cluster.
    pub applied: bool,
    /// Served instead of the real directive (`PATCH /_sim/jobs/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_directive: Option<String>,
    /// Served instead of the real status; the lifecycle underneath goes on unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_status: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    pub status: &'static str,
    pub since_ms: i64,
    pub finished: bool,
}

impl Job {
    /// A configuring_SSL job about to start; the caller sets fate, duration and time.
    pub(crate) fn ssl_toggle(cluster_id: &str, zone: &str, app_id: &str, enable_ssl: bool) -> Self {
        let setting = qingcloud::configssl_value(enable_ssl);
        Self {
            job_id: new_job_id(),
            cluster_id: cluster_id.into(),
            zone: zone.into(),
            app_id: app_id.into(),
            job_action: CUSTOM_SERVICE_ACTION.into(),
            service: SSL_SERVICE.into(),
            role: ROLE.into(),
            created_ms: 0,
            duration_ms: 0,
            fate: Fate::Succeed,
            enable_ssl,
            service_params: json!({ "configssl": setting }).to_string(),
            origin: Origin::Api,
            finished_ms: None,
            applied: false,
            raw_directive: None,
            raw_status: None,
        }
    }

    pub(crate) fn is_ssl_toggle(&self) -> bool {
        self.job_action == CUSTOM_SERVICE_ACTION && self.service == SSL_SERVICE
    }

    pub(crate) fn progress(&self, now: i64) -> Progress {
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

    /// The status as served: a test's raw override, else the lifecycle's.
    pub(crate) fn status(&self, now: i64) -> &str {
        match &self.raw_status {
            Some(raw) => raw,
            None => self.progress(now).status,
        }
    }

    pub(crate) fn error_codes(&self, now: i64) -> &str {
        let p = self.progress(now);
        match &self.fate {
            Fate::Fail { error_codes, .. } if p.finished && p.status != "successful" => error_codes,
            _ => "",
        }
    }

    /// The original request as QingCloud records it: a JSON string whose `service_params` is
    /// itself a JSON string, with the cluster's app in `app_ids`.
    pub(crate) fn directive(&self) -> String {
        if let Some(raw) = &self.raw_directive {
            return raw.clone();
        }
        if self.job_action == CUSTOM_SERVICE_ACTION {
            json!({
                "service": self.service,
                "service_params": self.service_params,
                "role": self.role,
                "cluster": self.cluster_id,
                "app_ids": self.app_id,
            })
            .to_string()
        } else {
            json!({
                "resources": [self.cluster_id],
                "snapshot_name": "auto-backup",
                "is_full": 1,
            })
            .to_string()
        }
    }

    /// The shape `DescribeJobs` and `DescribeClusterJobs` return.
    pub(crate) fn to_api(&self, now: i64) -> Value {
        let p = self.progress(now);
        json!({
            "job_id": self.job_id,
            "job_action": self.job_action,
            "status": self.status(now),
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
    pub(crate) fn to_admin(&self, now: i64) -> Value {
        let mut v = self.to_api(now);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("origin".into(), json!(self.origin));
            obj.insert("enable_ssl".into(), json!(self.enable_ssl));
            obj.insert("stuck".into(), json!(self.fate == Fate::Stuck));
            obj.insert("lifecycle_status".into(), json!(self.progress(now).status));
        }
        v
    }
}

/// `j-` and ten lower-case letters or digits, like the ids QingCloud hands out.
pub(crate) fn new_job_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect();
    format!("j-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn job(fate: Fate, duration_ms: u64) -> Job {
        Job {
            created_ms: 1000,
            duration_ms,
            fate,
            ..Job::ssl_toggle("cl-a", "pek3a", MYSQL_PLUS_APP, true)
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
        for status in ["failed", "done with failure"] {
            let failed = job(
                Fate::Fail {
                    status: status.into(),
                    error_codes: "5100".into(),
                },
                0,
            );
            assert_eq!(failed.progress(1000).status, status);
            assert_eq!(failed.error_codes(1000), "5100");
        }
    }

    #[test]
    fn directive_echoes_the_request_with_nested_json() {
        let j = job(Fate::Succeed, 0);
        let d: Value = serde_json::from_str(&j.directive()).unwrap_or(Value::Null);
        assert_eq!(
            d,
            json!({"service":"configuring_SSL","service_params":"{\"configssl\":\"YES\"}",
                   "role":"maininstance","cluster":"cl-a","app_ids":"app-00r26u27"})
        );
        let api = j.to_api(2000);
        assert_eq!(api["job_action"], "RunClusterCustomService");
        assert_eq!(api["resource_ids"], "cl-a");
    }

    #[test]
    fn raw_overrides_are_served_but_the_lifecycle_goes_on() {
        let mut j = job(Fate::Succeed, 400);
        j.raw_status = Some("paused".into());
        j.raw_directive = Some("not json".into());
        let api = j.to_api(2000);
        assert_eq!(api["status"], "paused");
        assert_eq!(api["directive"], "not json");
        assert!(j.progress(2000).finished);
    }

    #[test]
    fn ids() {
        assert!(new_job_id().starts_with("j-"));
        assert_eq!(new_job_id().len(), 12);
    }
}
