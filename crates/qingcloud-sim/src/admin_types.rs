//! The bodies of the `/_sim/` admin API, shared by the server (`admin.rs`) and the client
//! (`client.rs`), so both sides agree by construction. Requests refuse unknown fields: a
//! misspelt field in a test fails loudly instead of being ignored.

use serde::{Deserialize, Serialize};

/// `POST /_sim/clusters`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCluster {
    pub cluster_id: String,
    pub zone: String,
    #[serde(default)]
    pub ssl: bool,
    /// Overrides the global job duration for this cluster's jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One of the cluster statuses (`active`, `stopped`, ...); default `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Default `app-00r26u27` (MySQL Plus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

/// `PATCH /_sim/clusters/{id}`. `Some(None)` is sent as `null`: it removes the override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterPatch {
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_duration_ms: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Makes the cluster busy (`updating`, ...) until `""` or `null` clears it.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub transition_status: Option<Option<String>>,
}

/// `PATCH /_sim/jobs/{id}`: overrides what the API serves for a job; `Some(None)` (`null`)
/// restores the real value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobPatch {
    /// Served as the job's `directive` verbatim.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub directive: Option<Option<String>>,
    /// Served as the job's `status` verbatim (and matched by `status` filters).
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<Option<String>>,
}

/// `POST /_sim/clusters/{id}/console-ssl`: SSL changed as a console user would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsoleSsl {
    pub enabled: bool,
}

/// The answer to `console-ssl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StartedJob {
    pub job_id: String,
}

/// `POST /_sim/clusters/{id}/seed-jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRequest {
    pub count: usize,
    /// `mix` (default), `backup`, `add_user`, `del_user` or `set_readonly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// The answer to `seed-jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededJobs {
    pub cluster_id: String,
    pub seeded: usize,
    pub total_jobs: usize,
    pub first_job_id: String,
    pub last_job_id: String,
    pub first_create_time: String,
    pub last_create_time: String,
}

/// `PUT /_sim/settings`: the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honour_reverse: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// `DELETE /_sim/clusters/{id}?mode=...`: what becomes of the cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeleteMode {
    /// Listed with status `deleted`.
    #[default]
    Deleted,
    /// Listed with status `ceased`.
    Ceased,
    /// Gone from every listing.
    Absent,
}

impl DeleteMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deleted => "deleted",
            Self::Ceased => "ceased",
            Self::Absent => "absent",
        }
    }

    pub(crate) fn parse(mode: &str) -> Option<Self> {
        [Self::Deleted, Self::Ceased, Self::Absent]
            .into_iter()
            .find(|m| m.as_str() == mode)
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }

    /// Only called for `Some` (the field is skipped when `None`).
    pub(super) fn serialize<S, T>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        value.as_ref().and_then(Option::as_ref).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patches_send_null_for_some_none_and_nothing_for_none() {
        let patch = ClusterPatch {
            job_duration_ms: Some(None),
            transition_status: Some(Some("updating".into())),
            ..ClusterPatch::default()
        };
        let sent = serde_json::to_value(&patch).unwrap_or_default();
        assert_eq!(
            sent,
            json!({"job_duration_ms": null, "transition_status": "updating"})
        );
        assert_eq!(
            serde_json::from_value::<ClusterPatch>(sent).ok(),
            Some(patch)
        );
        assert_eq!(
            serde_json::to_value(JobPatch::default()).ok(),
            Some(json!({}))
        );
        assert!(serde_json::from_value::<JobPatch>(json!({"stauts": "x"})).is_err());
        assert_eq!(DeleteMode::parse("ceased"), Some(DeleteMode::Ceased));
        assert_eq!(DeleteMode::parse("gone"), None);
    }
}
