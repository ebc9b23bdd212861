//! QingCloud's JSON shapes, read leniently: unknown fields are ignored, missing fields default,
//! and a field of an unexpected type becomes its text (or empty) instead of failing the whole
//! list. The server is not ours and its documentation is thin; one odd field must not make a
//! resource unreadable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Any JSON scalar as text; null/missing as empty; arrays joined with `,`; objects as JSON.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?))
}

pub(crate) fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(value_to_string)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => v.to_string(),
    }
}

/// `directive` is documented as a JSON string; accept an object too and keep its JSON text.
fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Null => None,
        other => Some(value_to_string(&other)).filter(|s| !s.is_empty()),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum JobStatus {
    #[default]
    Pending,
    Working,
    Successful,
    Failed,
    /// `done with failure` on the wire.
    DoneWithFailure,
    /// A status this client does not know; waited on, never taken for success.
    Other(String),
}

impl JobStatus {
    pub fn parse(s: &str) -> JobStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" => JobStatus::Pending,
            "working" => JobStatus::Working,
            "successful" => JobStatus::Successful,
            "failed" => JobStatus::Failed,
            "done with failure" => JobStatus::DoneWithFailure,
            _ => JobStatus::Other(s.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Working => "working",
            JobStatus::Successful => "successful",
            JobStatus::Failed => "failed",
            JobStatus::DoneWithFailure => "done with failure",
            JobStatus::Other(s) => s,
        }
    }

    pub fn is_in_progress(&self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::Working)
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, JobStatus::Failed | JobStatus::DoneWithFailure)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(JobStatus::parse(&value_to_string(&Value::deserialize(d)?)))
    }
}

impl Serialize for JobStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Job {
    #[serde(default, deserialize_with = "lenient_string")]
    pub job_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub job_action: String,
    #[serde(default)]
    pub status: JobStatus,
    #[serde(default, deserialize_with = "lenient_string")]
    pub create_time: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub status_time: String,
    /// Space-separated on the wire.
    #[serde(default, deserialize_with = "lenient_string")]
    pub resource_ids: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_codes: String,
    /// The original request as JSON text.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub directive: Option<String>,
}

/// The parts of a job's directive this client reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Directive {
    pub service: Option<String>,
    /// Parsed: the wire holds either a JSON string (itself JSON) or an object.
    pub service_params: Option<Value>,
    pub cluster: Option<String>,
    pub role: Option<String>,
}

impl Job {
    /// The parsed directive, or None when it is absent or not a JSON object.
    pub fn directive(&self) -> Option<Directive> {
        let text = self.directive.as_deref()?;
        let Value::Object(map) = serde_json::from_str::<Value>(text).ok()? else {
            return None;
        };
        let text_field = |k: &str| {
            map.get(k)
                .map(value_to_string)
                .filter(|s: &String| !s.is_empty())
        };
        let service_params = match map.get("service_params") {
            None | Some(Value::Null) => None,
            // A string that holds JSON is the documented form; a string that does not parse is
            // kept as it is.
            Some(Value::String(s)) => {
                Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())))
            }
            Some(other) => Some(other.clone()),
        };
        Some(Directive {
            service: text_field("service"),
            service_params,
            cluster: text_field("cluster").or_else(|| text_field("cluster_id")),
            role: text_field("role"),
        })
    }

    pub fn resource_id_list(&self) -> Vec<&str> {
        self.resource_ids.split_whitespace().collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Cluster {
    #[serde(default, deserialize_with = "lenient_string")]
    pub cluster_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// `active`, `stopped`, `pending`, `suspended`, `deleted`, `ceased`, ...
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: String,
    /// Empty when idle.
    #[serde(default, deserialize_with = "lenient_string")]
    pub transition_status: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub app_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub app_version: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub zone_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub create_time: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub status_time: String,
}

impl Cluster {
    /// `deleted` and `ceased` clusters are listed for a while but no longer exist for users.
    pub fn is_gone(&self) -> bool {
        matches!(
            self.status.trim().to_ascii_lowercase().as_str(),
            "deleted" | "ceased"
        )
    }

    pub fn is_idle(&self) -> bool {
        self.transition_status.trim().is_empty()
    }
}

/// Reads `key` of a response as a list of `T`, skipping (and logging) entries that are not
/// objects instead of failing the whole answer.
pub(crate) fn parse_list<T: serde::de::DeserializeOwned>(response: &Value, key: &str) -> Vec<T> {
    let Some(Value::Array(items)) = response.get(key) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match serde_json::from_value::<T>(item.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(list = key, error = %e, "skipping an unreadable entry");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_from_documented_shape() {
        let v = json!({
            "status": "done with failure",
            "job_id": "j-abc12345",
            "job_action": "RunClusterCustomService",
            "create_time": "2024-01-01T00:00:00Z",
            "status_time": "2024-01-01T00:00:06Z",
            "resource_ids": "cl-1 cln-2",
            "error_codes": "",
            "owner": "usr-x",
            "extra": {"nested": [1, 2]},
            "directive": "{\"cluster\":\"cl-1\",\"role\":\"maininstance\",\"service\":\"configuring_SSL\",\"service_params\":\"{\\\"configssl\\\":\\\"YES\\\"}\"}"
        });
        let job: Job = serde_json::from_value(v).unwrap();
        assert_eq!(job.status, JobStatus::DoneWithFailure);
        assert_eq!(job.resource_id_list(), vec!["cl-1", "cln-2"]);
        let d = job.directive().unwrap();
        assert_eq!(d.service.as_deref(), Some("configuring_SSL"));
        assert_eq!(d.service_params, Some(json!({"configssl": "YES"})));
        assert_eq!(d.cluster.as_deref(), Some("cl-1"));
    }

    #[test]
    fn odd_json_does_not_fail() {
        let v = json!({
            "job_id": 17,
            "status": null,
            "error_codes": [1400, "x"],
            "directive": {"service": "configuring_SSL", "service_params": {"configssl": "NO"}}
        });
        let job: Job = serde_json::from_value(v).unwrap();
        assert_eq!(job.job_id, "17");
        assert_eq!(job.status, JobStatus::Other(String::new()));
        assert_eq!(job.error_codes, "1400,x");
        assert_eq!(
            job.directive().unwrap().service_params,
            Some(json!({"configssl": "NO"}))
        );

        let job: Job = serde_json::from_value(json!({})).unwrap();
        assert_eq!(job.status, JobStatus::Pending);
        assert!(job.directive().is_none());
        for d in ["not json", "[1,2]", "\"s\"", ""] {
            let job = Job {
                directive: Some(d.to_string()),
                ..Job::default()
            };
            assert!(job.directive().is_none(), "{d}");
        }
        let job = Job {
            directive: Some(r#"{"service_params":"plain"}"#.into()),
            ..Job::default()
        };
        assert_eq!(
            job.directive().unwrap().service_params,
            Some(Value::String("plain".into()))
        );
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            "pending",
            "working",
            "successful",
            "failed",
            "done with failure",
        ] {
            assert_eq!(JobStatus::parse(s).as_str(), s);
            assert!(!matches!(JobStatus::parse(s), JobStatus::Other(_)));
        }
        assert_eq!(JobStatus::parse("Successful"), JobStatus::Successful);
        assert_eq!(
            JobStatus::parse("rolling back"),
            JobStatus::Other("rolling back".into())
        );
    }

    #[test]
    fn lists_skip_bad_entries_and_clusters_read() {
        let r = json!({"cluster_set": [
            {"cluster_id": "cl-1", "status": "active", "transition_status": "", "app_id": "app-x"},
            "garbage",
            {"cluster_id": "cl-2", "status": "ceased", "transition_status": null}
        ]});
        let list: Vec<Cluster> = parse_list(&r, "cluster_set");
        assert_eq!(list.len(), 2);
        assert!(list[0].is_idle() && !list[0].is_gone());
        assert!(list[1].is_gone() && list[1].is_idle());
        assert!(parse_list::<Cluster>(&json!({"cluster_set": 3}), "cluster_set").is_empty());
        assert!(parse_list::<Cluster>(&json!(null), "cluster_set").is_empty());
    }
}
