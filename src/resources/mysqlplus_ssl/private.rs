//! Private state: what Terraform keeps for this resource beside its attributes, unseen by users.
//!
//! - `running`: a configuring_SSL job that an update or delete left running, or that a refresh
//!   found running (the console's, say). The next refresh learns its outcome, the plan warns
//!   about it, and the next apply waits for it instead of starting another.
//! - `announced`: the setting whose switch the plan warned about beyond what the attributes
//!   show (a running job that leaves the wrong setting). Apply refuses to restart the database
//!   for a switch no plan announced.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningJob {
    pub job_id: String,
    /// The setting the job applies when it succeeds.
    pub enabled: bool,
}

/// One object's cluster and setting, as a plan saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub cluster_id: String,
    pub zone: String,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Private {
    /// Named `pending_job` since the first release: states written then still decode.
    #[serde(
        rename = "pending_job",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub running: Option<RunningJob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced: Option<bool>,
    /// Set by every plan of an existing object. Terraform plans a replacement twice, the second
    /// time with a null prior state but this private state: that is how the second plan knows
    /// it is the new half of a replacement, not a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_from: Option<Snapshot>,
    /// Set by the new half's plan; Terraform hands it to the delete of the old half, which
    /// then knows what will be set right after it (see `MysqlPlusSsl::delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<Snapshot>,
}

impl Private {
    pub fn running(job: Option<RunningJob>) -> Self {
        Private {
            running: job,
            ..Private::default()
        }
    }

    /// Empty bytes when there is nothing to keep, as Terraform stores no private state then.
    pub fn encode(&self) -> Vec<u8> {
        if *self == Private::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Private state this provider did not write (or cannot read) counts as empty: it only
    /// ever adds caution, so losing it costs a warning, never a restart.
    pub fn decode(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_the_first_releases_form() {
        let p = Private {
            running: Some(RunningJob {
                job_id: "j-1".into(),
                enabled: true,
            }),
            announced: Some(false),
            planned_from: None,
            replaced_by: Some(Snapshot {
                cluster_id: "cl-a".into(),
                zone: "pek3a".into(),
                enabled: Some(true),
            }),
        };
        assert_eq!(Private::decode(&p.encode()), p);
        let old = br#"{"pending_job":{"job_id":"j-2","enabled":false}}"#;
        assert_eq!(
            Private::decode(old).running,
            Some(RunningJob {
                job_id: "j-2".into(),
                enabled: false
            })
        );
        assert!(Private::default().encode().is_empty());
        assert_eq!(Private::decode(b"garbage"), Private::default());
    }
}
