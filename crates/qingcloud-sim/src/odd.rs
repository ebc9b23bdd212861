//! Odd answers: shapes a real endpoint (or a proxy in front of it) can answer with that the
//! documentation does not promise. A client that must be safe across restarts has to tell
//! "I could not read the answer" from "the answer says nothing is there", so tests need them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OddAnswer {
    /// ret_code 0 without the `*_set` list.
    NoSet,
    /// Every entry of the `*_set` list twice.
    DuplicateSet,
    /// HTTP 200, `text/html`, an HTML page (a proxy or captive portal).
    Html,
    /// HTTP 200 with an empty body.
    Empty,
    /// HTTP 200 JSON object without `ret_code`.
    NoRetCode,
    /// No answer at all until the client gives up (or the simulator stops).
    Hang,
}

impl OddAnswer {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::NoSet => "no_set",
            Self::DuplicateSet => "duplicate_set",
            Self::Html => "html",
            Self::Empty => "empty",
            Self::NoRetCode => "no_ret_code",
            Self::Hang => "hang",
        }
    }
}

/// What a gateway in front of an API server typically says, served with HTTP 200 as some
/// misconfigured proxies do.
pub(crate) const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n\
<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>\n";

fn set_keys(body: &Map<String, Value>) -> Vec<String> {
    body.iter()
        .filter(|(k, v)| k.ends_with("_set") && v.is_array())
        .map(|(k, _)| k.clone())
        .collect()
}

/// Reshapes a JSON answer for the JSON kinds; returns whether anything changed. An answer
/// without a `*_set` list (an error, or an action that has none) is left alone by the set kinds.
pub(crate) fn reshape(kind: OddAnswer, body: &mut Map<String, Value>) -> bool {
    match kind {
        OddAnswer::NoSet => {
            let keys = set_keys(body);
            for k in &keys {
                body.remove(k);
            }
            !keys.is_empty()
        }
        OddAnswer::DuplicateSet => {
            let keys = set_keys(body);
            for k in &keys {
                if let Some(Value::Array(items)) = body.get_mut(k) {
                    let doubled = items.iter().flat_map(|i| [i.clone(), i.clone()]).collect();
                    *items = doubled;
                }
            }
            !keys.is_empty()
        }
        OddAnswer::NoRetCode => body.remove("ret_code").is_some(),
        OddAnswer::Html | OddAnswer::Empty | OddAnswer::Hang => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn set_kinds_touch_only_sets() {
        let original = json!({"ret_code": 0, "total_count": 2, "job_set": [{"a": 1}, {"b": 2}]});
        let mut b = body(original.clone());
        assert!(reshape(OddAnswer::NoSet, &mut b));
        assert_eq!(Value::Object(b), json!({"ret_code": 0, "total_count": 2}));
        let mut b = body(original.clone());
        assert!(reshape(OddAnswer::DuplicateSet, &mut b));
        assert_eq!(
            b["job_set"],
            json!([{"a": 1}, {"a": 1}, {"b": 2}, {"b": 2}])
        );
        let mut b = body(original);
        assert!(reshape(OddAnswer::NoRetCode, &mut b));
        assert!(!b.contains_key("ret_code"));
        let mut err = body(json!({"ret_code": 1400, "message": "busy"}));
        assert!(!reshape(OddAnswer::NoSet, &mut err));
        assert!(!reshape(OddAnswer::DuplicateSet, &mut err));
    }

    #[test]
    fn names_match_serde() {
        for kind in [
            OddAnswer::NoSet,
            OddAnswer::DuplicateSet,
            OddAnswer::Html,
            OddAnswer::Empty,
            OddAnswer::NoRetCode,
            OddAnswer::Hang,
        ] {
            assert_eq!(json!(kind), json!(kind.name()));
        }
        assert!(serde_json::from_str::<OddAnswer>("\"weird\"").is_err());
    }
}
