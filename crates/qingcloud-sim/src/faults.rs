//! Fault injection: what can go wrong between a client and QingCloud, drawn per request.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::odd::OddAnswer;

/// Replaced as a whole by config, flags or `PUT /_sim/faults`. Unknown fields are refused so a
/// misspelt fault in a test fails loudly instead of silently injecting nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub error_rate: f64,
    pub error_codes: Vec<i64>,
    pub http_503_rate: f64,
    pub drop_rate: f64,
    pub slow_rate: f64,
    pub slow_ms: u64,
    /// cluster id -> final job status (`failed` or `done with failure`).
    pub fail_jobs: BTreeMap<String, String>,
    /// Clusters whose jobs never finish until `POST /_sim/jobs/{id}/finish`.
    pub stuck_jobs: Vec<String>,
    pub seed: Option<u64>,
    /// action name (or `*` for every action) -> odd answer, applied to every request of that
    /// action that passes the signature checks. A named action wins over `*`.
    pub odd_answers: BTreeMap<String, OddAnswer>,
    /// Requests that always fail with a given code: one action, optionally only at one
    /// listing `offset` (a page), so a test can break page 2 of a listing for good.
    pub error_requests: Vec<TargetedError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetedError {
    pub action: String,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default = "default_code")]
    pub code: i64,
}

fn default_code() -> i64 {
    5000
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            error_rate: 0.0,
            error_codes: vec![5000, 5100, 2500],
            http_503_rate: 0.0,
            drop_rate: 0.0,
            slow_rate: 0.0,
            slow_ms: 0,
            fail_jobs: BTreeMap::new(),
            stuck_jobs: Vec::new(),
            seed: None,
            odd_answers: BTreeMap::new(),
            error_requests: Vec::new(),
        }
    }
}

pub(crate) const FAILED_STATUSES: [&str; 2] = ["failed", "done with failure"];

impl Faults {
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("http_503_rate", self.http_503_rate),
            ("drop_rate", self.drop_rate),
            ("slow_rate", self.slow_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        if self.error_rate > 0.0 && self.error_codes.is_empty() {
            return Err("error_codes must not be empty when error_rate > 0".into());
        }
        if let Some(code) = self.error_codes.iter().find(|c| **c <= 0) {
            return Err(format!(
                "error_codes must be positive ret_codes, got {code}"
            ));
        }
        for (cluster, status) in &self.fail_jobs {
            if !FAILED_STATUSES.contains(&status.as_str()) {
                return Err(format!(
                    "fail_jobs[{cluster}] must be \"failed\" or \"done with failure\", got {status:?}"
                ));
            }
        }
        if let Some(action) = self
            .odd_answers
            .keys()
            .find(|a| *a != "*" && !super::answer::is_known(a))
        {
            return Err(format!(
                "odd_answers: unknown action {action:?} (use an action name or \"*\")"
            ));
        }
        if let Some(t) = self
            .error_requests
            .iter()
            .find(|t| !super::answer::is_known(&t.action) || t.code <= 0)
        {
            return Err(format!(
                "error_requests: unknown action {:?} or code {} (a known action and a positive ret_code)",
                t.action, t.code
            ));
        }
        Ok(())
    }

    /// The code a request of `action` at listing `offset` always fails with, if targeted.
    pub(crate) fn targeted_error(&self, action: &str, offset: Option<u64>) -> Option<i64> {
        self.error_requests
            .iter()
            .find(|t| t.action == action && (t.offset.is_none() || t.offset == offset))
            .map(|t| t.code)
    }

    pub(crate) fn odd_answer_for(&self, action: &str) -> Option<OddAnswer> {
        self.odd_answers
            .get(action)
            .or_else(|| self.odd_answers.get("*"))
            .copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drop {
    /// The request is never acted on.
    BeforeActing,
    /// The request took effect but its answer is lost: the ambiguous case clients must handle.
    AfterActing,
}

/// What happens to one request; each kind is drawn independently.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    pub slow_ms: Option<u64>,
    pub drop: Option<Drop>,
    pub http_503: bool,
    pub error_code: Option<i64>,
}

impl Decision {
    pub(crate) fn draw(faults: &Faults, rng: &mut fastrand::Rng) -> Self {
        // Every draw happens every time, so a seeded sequence does not shift with the outcome.
        let slow = rng.f64() < faults.slow_rate;
        let drop = rng.f64() < faults.drop_rate;
        let drop_after = rng.bool();
        let http_503 = rng.f64() < faults.http_503_rate;
        let error = rng.f64() < faults.error_rate;
        let code_index = rng.usize(..faults.error_codes.len().max(1));
        Self {
            slow_ms: slow.then_some(faults.slow_ms),
            drop: drop.then_some(if drop_after {
                Drop::AfterActing
            } else {
                Drop::BeforeActing
            }),
            http_503,
            error_code: if error {
                Some(faults.error_codes.get(code_index).copied().unwrap_or(5000))
            } else {
                None
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_and_seeded_draws_repeat() {
        let faults = Faults {
            error_rate: 0.5,
            drop_rate: 1.0,
            ..Faults::default()
        };
        let mut a = fastrand::Rng::with_seed(7);
        let mut b = fastrand::Rng::with_seed(7);
        let da: Vec<_> = (0..200).map(|_| Decision::draw(&faults, &mut a)).collect();
        let db: Vec<_> = (0..200).map(|_| Decision::draw(&faults, &mut b)).collect();
        assert_eq!(da, db);
        assert!(
            da.iter()
                .all(|d| d.drop.is_some() && !d.http_503 && d.slow_ms.is_none())
        );
        let errors = da.iter().filter(|d| d.error_code.is_some()).count();
        assert!((60..140).contains(&errors), "{errors}");
        let after = da
            .iter()
            .filter(|d| d.drop == Some(Drop::AfterActing))
            .count();
        assert!((60..140).contains(&after), "{after}");
    }

    #[test]
    fn validation() {
        assert!(Faults::default().validate().is_ok());
        let bad = Faults {
            drop_rate: 1.5,
            ..Faults::default()
        };
        assert!(bad.validate().is_err());
        let mut bad = Faults::default();
        bad.fail_jobs.insert("cl-x".into(), "successful".into());
        assert!(bad.validate().is_err());
        assert!(serde_json::from_str::<Faults>(r#"{"eror_rate": 1}"#).is_err());
        assert!(serde_json::from_str::<Faults>(r#"{"odd_answers": {"*": "weird"}}"#).is_err());
        let mut bad = Faults::default();
        bad.odd_answers
            .insert("DescribeJob".into(), OddAnswer::Empty);
        assert!(bad.validate().is_err());
    }

    #[test]
    fn targeted_errors_hit_only_their_action_and_page() {
        let f: Faults = serde_json::from_str(
            r#"{"error_requests": [{"action": "DescribeClusters", "offset": 100}]}"#,
        )
        .unwrap();
        assert!(f.validate().is_ok());
        assert_eq!(f.targeted_error("DescribeClusters", Some(100)), Some(5000));
        assert_eq!(f.targeted_error("DescribeClusters", Some(0)), None);
        assert_eq!(f.targeted_error("DescribeClusters", None), None);
        assert_eq!(f.targeted_error("DescribeJobs", Some(100)), None);
        let bad: Faults =
            serde_json::from_str(r#"{"error_requests": [{"action": "Nope"}]}"#).unwrap();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn a_named_action_wins_over_the_wildcard() {
        let mut f = Faults::default();
        f.odd_answers.insert("*".into(), OddAnswer::Empty);
        f.odd_answers
            .insert("DescribeJobs".into(), OddAnswer::NoSet);
        assert!(f.validate().is_ok());
        assert_eq!(f.odd_answer_for("DescribeJobs"), Some(OddAnswer::NoSet));
        assert_eq!(f.odd_answer_for("DescribeClusters"), Some(OddAnswer::Empty));
        assert_eq!(Faults::default().odd_answer_for("DescribeJobs"), None);
    }
}
