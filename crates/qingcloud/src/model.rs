//! QingCloud's JSON shapes, read leniently: unknown fields are ignored, missing fields default,
//! and a field of an unexpected type becomes its text (or empty) instead of failing the whole
//! list. The server is not ours and its documentation is thin; one odd field must not make a
//! resource unreadable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::error::Error;

/// The app ids of QingCloud MySQL Plus, in one place. `app-00r26u27` is the one the
/// documentation shows (three times, a real job's directive among them).
pub const MYSQL_PLUS_APP_IDS: &[&str] = &["app-00r26u27"];

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
    /// A status this client does not know: never taken for success, for failure or for "still
    /// running"; whoever meets it reports it (`wait_for_job`, the SSL history reading).
    Other(String),
}

impl JobStatus {
    pub(crate) fn parse(s: &str) -> JobStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" => JobStatus::Pending,
            "working" => JobStatus::Working,
            "successful" => JobStatus::Successful,
            "failed" => JobStatus::Failed,
            "done with failure" => JobStatus::DoneWithFailure,
            _ => JobStatus::Other(s.to_string()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
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

    pub(crate) fn is_failure(&self) -> bool {
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

    /// `create_time` as milliseconds since the epoch; None when absent or unreadable.
    pub(crate) fn created_ms(&self) -> Option<i64> {
        parse_time_ms(&self.create_time)
    }
}

/// Reads the times QingCloud answers with: `YYYY-MM-DDThh:mm:ssZ` as documented, and, since
/// only comparisons matter here, also fractions of a second, a space for the `T`, and a
/// `+hh:mm`/`-hh:mm` (or `+hhmm`) offset; no zone at all is taken as UTC. Anything else is
/// None: a time we cannot read is never guessed.
pub(crate) fn parse_time_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = t.get(from..to)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = t.get(19..)?;
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Milliseconds: the first three digits, padded.
        let ms_text = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = ms_text.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (h, m): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1_000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

    /// Status `active`: running, so a custom service can be sent to it.
    pub fn is_active(&self) -> bool {
        self.status.trim().eq_ignore_ascii_case("active")
    }

    /// True for a MySQL Plus cluster (`MYSQL_PLUS_APP_IDS`). An empty `app_id` counts as MySQL
    /// Plus too: older answers, and the simulator today, do not carry it, and refusing those
    /// clusters would break working configurations for no gain.
    pub fn is_mysql_plus(&self) -> bool {
        let app_id = self.app_id.trim();
        app_id.is_empty() || MYSQL_PLUS_APP_IDS.contains(&app_id)
    }
}

/// A record with an id that a Describe answer lists: the id is what tells a caller which
/// record is which, so a record without one cannot be used.
pub(crate) trait Listed {
    const KIND: &'static str;
    fn id(&self) -> &str;
}

impl Listed for Job {
    const KIND: &'static str = "job";
    fn id(&self) -> &str {
        &self.job_id
    }
}

impl Listed for Cluster {
    const KIND: &'static str = "cluster";
    fn id(&self) -> &str {
        &self.cluster_id
    }
}

pub(crate) fn unusable(action: &str, zone: &str, detail: impl Into<String>) -> Error {
    Error::UnusableAnswer {
        detail: detail.into(),
        action: action.into(),
        zone: zone.into(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads `key` of a successful answer as a list of records. A missing key, a key that is not
/// a list, an entry that is not a record or a record without an id makes the whole answer
/// unusable: a list read as empty, or with an entry dropped, would say "absent" of a record
/// that may exist (a cluster taken for deleted, an SSL job missed), which is worse than an
/// error. Messages name the JSON type, never the entry's text (a job's text can hold a
/// password).
pub(crate) fn parse_set<T: serde::de::DeserializeOwned + Listed>(
    response: &Value,
    key: &str,
    action: &str,
    zone: &str,
) -> Result<Vec<T>, Error> {
    let items = match response.get(key) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(unusable(action, zone, format!("no {key}"))),
        Some(other) => {
            return Err(unusable(
                action,
                zone,
                format!("{key} is {}, not a list", json_kind(other)),
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bad =
                |what: String| unusable(action, zone, format!("entry {} of {key} {what}", i + 1));
            if !item.is_object() {
                return Err(bad(format!("is {}, not an object", json_kind(item))));
            }
            let record = serde_json::from_value::<T>(item.clone())
                .map_err(|_| bad("cannot be read".to_string()))?;
            if record.id().trim().is_empty() {
                return Err(bad(format!("has no {}_id", T::KIND)));
            }
            Ok(record)
        })
        .collect()
}

/// `total_count` of an answer: None when absent; an error when present but not a count.
pub(crate) fn parse_total_count(
    response: &Value,
    action: &str,
    zone: &str,
) -> Result<Option<u64>, Error> {
    match response.get("total_count") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(other) => Err(unusable(
            action,
            zone,
            format!("total_count is {}, not a count", json_kind(other)),
        )),
    }
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
        assert_eq!(job.resource_ids, "cl-1 cln-2");
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
    fn clusters_read() {
        let r = json!({"cluster_set": [
            {"cluster_id": "cl-1", "status": "Active", "transition_status": "", "app_id": "app-00r26u27"},
            {"cluster_id": "cl-2", "status": "ceased", "transition_status": null},
            {"cluster_id": "cl-3", "status": "stopped", "app_id": "app-other"}
        ]});
        let list: Vec<Cluster> = parse_set(&r, "cluster_set", "DescribeClusters", "z").unwrap();
        assert_eq!(list.len(), 3);
        assert!(list[0].is_idle() && !list[0].is_gone() && list[0].is_active());
        assert!(list[0].is_mysql_plus());
        assert!(list[1].is_gone() && list[1].is_idle() && !list[1].is_active());
        // No app_id (older answers, the simulator): taken for MySQL Plus.
        assert!(list[1].is_mysql_plus());
        assert!(!list[2].is_mysql_plus() && !list[2].is_active());
    }

    #[test]
    fn unusable_lists_are_errors_not_empty() {
        let parse = |v: Value| parse_set::<Cluster>(&v, "cluster_set", "DescribeClusters", "z");
        let detail = |v: Value| match parse(v).unwrap_err() {
            Error::UnusableAnswer { detail, .. } => detail,
            e => panic!("{e:?}"),
        };
        assert_eq!(detail(json!({"total_count": 0})), "no cluster_set");
        assert_eq!(detail(json!({"cluster_set": null})), "no cluster_set");
        assert_eq!(
            detail(json!({"cluster_set": 3})),
            "cluster_set is a number, not a list"
        );
        // An entry we cannot read might be the very cluster asked about: never skipped.
        assert_eq!(
            detail(json!({"cluster_set": [{"cluster_id": "cl-1"}, "secret text"]})),
            "entry 2 of cluster_set is a string, not an object"
        );
        assert_eq!(
            detail(json!({"cluster_set": [{"status": "active"}]})),
            "entry 1 of cluster_set has no cluster_id"
        );
        let err =
            parse_set::<Job>(&json!({}), "job_set", "DescribeClusterJobs", "pek3a").unwrap_err();
        assert_eq!(
            err.to_string(),
            "QingCloud DescribeClusterJobs in zone pek3a: unusable answer: no job_set"
        );
        assert!(parse(json!({"cluster_set": []})).unwrap().is_empty());
    }

    #[test]
    fn total_counts() {
        let t = |v: Value| parse_total_count(&v, "A", "z");
        assert_eq!(t(json!({})).unwrap(), None);
        assert_eq!(t(json!({"total_count": 12})).unwrap(), Some(12));
        assert_eq!(t(json!({"total_count": "7"})).unwrap(), Some(7));
        assert!(t(json!({"total_count": -1})).is_err());
        assert!(t(json!({"total_count": "many"})).is_err());
    }

    #[test]
    fn times() {
        let ms = |s: &str| parse_time_ms(s);
        assert_eq!(ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(ms("2013-08-27T14:30:10Z"), Some(1_377_613_810_000));
        assert_eq!(ms("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(ms("2024-02-29T23:59:59Z"), Some(1_709_251_199_000));
        assert_eq!(ms("2013-08-27 14:30:10"), Some(1_377_613_810_000));
        assert_eq!(ms("2013-08-27T14:30:10.25Z"), Some(1_377_613_810_250));
        assert_eq!(ms("2013-08-27T22:30:10+08:00"), Some(1_377_613_810_000));
        assert_eq!(ms("2013-08-27T06:30:10-0800"), Some(1_377_613_810_000));
        for bad in [
            "",
            "yesterday",
            "2013-08-27",
            "2013-13-27T14:30:10Z",
            "2013-08-27T14:30:10X",
            "2013-08-27T14:30:10.Z",
        ] {
            assert_eq!(ms(bad), None, "{bad}");
        }
        let job = Job {
            create_time: "2024-01-01T00:00:01Z".into(),
            ..Job::default()
        };
        assert_eq!(job.created_ms(), Some(1_704_067_201_000));
    }
}
