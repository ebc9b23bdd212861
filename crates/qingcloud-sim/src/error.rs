//! QingCloud's application errors: HTTP 200 with `{"ret_code": N, "message": "..."}`.

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: i64,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn missing(name: &str) -> Self {
        Self::new(
            1100,
            format!("MissingParameter, you should specify the parameter [{name}]"),
        )
    }

    pub(crate) fn invalid(name: &str, value: &str, why: &str) -> Self {
        Self::new(
            1100,
            format!(
                "InvalidParameterValue, the value [{value}] of parameter [{name}] is not valid: {why}"
            ),
        )
    }

    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(2100, format!("ResourceNotFound, resource [{id}] not found"))
    }

    /// The messages an injected fault answers with, worded like the real service's.
    pub(crate) fn injected(code: i64) -> Self {
        let message = match code {
            2500 => "QuotaExceeded, API call rate limit exceeded, please retry later",
            5000 => "ServerInternalError, please retry later",
            5100 => "ServerBusy, the server is busy, please retry later",
            5300 => "ServiceUpdating, the service is being updated, please retry later",
            _ => "injected error",
        };
        Self::new(code, message)
    }

    pub(crate) fn body(&self) -> Value {
        json!({"ret_code": self.code, "message": self.message})
    }
}
