//! Private state: what Terraform keeps for this resource beside its attributes, unseen by users.
//!
//! - `running`: a configuring_SSL job that an update or delete left running, or that a refresh
//!   found running (the console's, say). The next refresh learns its outcome, the plan warns
//!   about it, and the next apply waits for it instead of starting another.
//! - `announced`: the setting whose switch the plan warned about beyond what the attributes
//!   show (a running job that leaves the wrong setting). Apply refuses to restart the database
//!   for a switch no plan announced.
//!
//! The kit stores it as JSON (`tfplugin::framework::private`); field names stay as they are so
//! that stored states decode, and unreadable private state reads as empty, which only costs
//! caution (a warning), never a restart.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct RunningJob {
    pub(super) job_id: String,
    /// The setting the job applies when it succeeds.
    pub(super) enabled: bool,
}

/// One object's cluster and setting, as a plan saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Snapshot {
    pub(super) cluster_id: String,
    pub(super) zone: String,
    pub(super) enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Private {
    /// Named `pending_job` since the first release: states written then still decode.
    #[serde(
        rename = "pending_job",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) running: Option<RunningJob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) announced: Option<bool>,
    /// Set by every plan of an existing object. Terraform plans a replacement twice, the second
    /// time with a null prior state but this private state: that is how the second plan knows
    /// it is the new half of a replacement, not a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) planned_from: Option<Snapshot>,
    /// Set by the new half's plan; Terraform hands it to the delete of the old half, which
    /// then knows what will be set right after it (see `apply::delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) replaced_by: Option<Snapshot>,
}

impl Private {
    pub(super) fn running(job: Option<RunningJob>) -> Self {
        Private {
            running: job,
            ..Private::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::private::{decode, encode};

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
        assert_eq!(decode::<Private>(&encode(&p)), p);
        // The bytes every release so far has written for it.
        let stored = br#"{"pending_job":{"job_id":"j-1","enabled":true},"announced":false,"replaced_by":{"cluster_id":"cl-a","zone":"pek3a","enabled":true}}"#;
        assert_eq!(encode(&p), stored);
        assert_eq!(decode::<Private>(stored), p);
        let old = br#"{"pending_job":{"job_id":"j-2","enabled":false}}"#;
        assert_eq!(
            decode::<Private>(old).running,
            Some(RunningJob {
                job_id: "j-2".into(),
                enabled: false
            })
        );
        assert!(encode(&Private::default()).is_empty());
        assert_eq!(decode::<Private>(b"garbage"), Private::default());
    }
}
