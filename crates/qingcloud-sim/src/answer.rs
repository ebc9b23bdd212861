//! The actions the simulator serves and the shape of a successful answer, for the actions
//! themselves, the request handler and the fault settings that name actions.

use serde_json::{Map, Value};

use super::error::ApiError;

/// A successful answer, and the job it created if any (for the request log).
pub(crate) struct Answer {
    pub body: Map<String, Value>,
    pub job_id: Option<String>,
    pub changed: bool,
}

pub(crate) fn answer(body: Value) -> Answer {
    Answer {
        body: body.as_object().cloned().unwrap_or_default(),
        job_id: None,
        changed: false,
    }
}

pub(crate) fn is_known(action: &str) -> bool {
    matches!(
        action,
        "RunClusterCustomService" | "DescribeJobs" | "DescribeClusters" | "DescribeClusterJobs"
    )
}

pub(crate) fn unknown_action(action: &str) -> ApiError {
    ApiError::new(
        1101,
        format!("InvalidAction, the action [{action}] is not supported"),
    )
}
