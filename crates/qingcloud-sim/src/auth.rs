//! Request verification, in the order QingCloud's front end applies it: common parameters,
//! key and signature, then freshness. Only after all three does an action see the request.

use std::collections::BTreeMap;

use super::clock::parse_iso;
use super::error::ApiError;
use super::params::Params;
use qingcloud::signer;

/// The real service documents 60 s (in one place 30 s); the contract of this simulator is 60 s.
pub(crate) const MAX_SKEW_SECS: i64 = 60;

const COMMON: [&str; 7] = [
    "action",
    "zone",
    "access_key_id",
    "signature_method",
    "signature_version",
    "time_stamp",
    "signature",
];

/// Returns the verified access key id.
pub(crate) fn verify<'p>(
    method: &str,
    path: &str,
    params: &'p Params,
    keys: &BTreeMap<String, String>,
    now_secs: i64,
) -> Result<&'p str, ApiError> {
    for name in COMMON {
        params.required(name)?;
    }
    let method_name = params.required("signature_method")?;
    if method_name != signer::SIGNATURE_METHOD {
        return Err(ApiError::invalid(
            "signature_method",
            method_name,
            "only HmacSHA256 is supported",
        ));
    }
    let version = params.required("signature_version")?;
    if version != signer::SIGNATURE_VERSION {
        return Err(ApiError::invalid(
            "signature_version",
            version,
            "only 1 is supported",
        ));
    }

    let key_id = params.required("access_key_id")?;
    let Some(secret) = keys.get(key_id) else {
        return Err(ApiError::new(
            1200,
            format!("AuthFailure, access key [{key_id}] does not exist"),
        ));
    };
    let canonical = signer::canonical_query(params.pairs());
    let expected = signer::signature(secret, method, path, &canonical);
    let received = params.required("signature")?;
    if !signer::signatures_match(&expected, received) {
        return Err(ApiError::new(1200, "AuthFailure, signature not matched"));
    }

    let stamp = params.required("time_stamp")?;
    let Some(stamp_secs) = parse_iso(stamp) else {
        return Err(ApiError::invalid(
            "time_stamp",
            stamp,
            "expected YYYY-MM-DDThh:mm:ssZ",
        ));
    };
    let expires =
        match params.get("expires") {
            None | Some("") => None,
            Some(text) => Some(parse_iso(text).ok_or_else(|| {
                ApiError::invalid("expires", text, "expected YYYY-MM-DDThh:mm:ssZ")
            })?),
        };
    let fresh = match expires {
        Some(until) => now_secs <= until,
        None => (now_secs - stamp_secs).abs() <= MAX_SKEW_SECS,
    };
    if !fresh {
        return Err(ApiError::new(
            1300,
            format!(
                "RequestExpired, the request has expired: time_stamp [{stamp}] is too far from the server time"
            ),
        ));
    }
    Ok(key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, stamp: &str, extra: &[(&str, &str)]) -> Params {
        let mut params = vec![("action", "DescribeJobs"), ("zone", "pek3a")];
        params.extend_from_slice(extra);
        let query = crate::client::signed_query("AK", secret, "GET", "/iaas/", &params, stamp);
        Params::parse(&query)
    }

    fn keys() -> BTreeMap<String, String> {
        BTreeMap::from([("AK".to_string(), "SK".to_string())])
    }

    #[test]
    fn accepts_fresh_signed_request_and_rejects_the_rest() {
        let now = 1_795_921_200;
        let ok = signed("SK", "2026-11-29T03:00:00Z", &[]);
        assert_eq!(verify("GET", "/iaas/", &ok, &keys(), now), Ok("AK"));
        // The path is part of what is signed.
        assert_eq!(
            verify("GET", "/iaas", &ok, &keys(), now).map_err(|e| e.code),
            Err(1200)
        );
        let wrong = signed("other", "2026-11-29T03:00:00Z", &[]);
        assert_eq!(
            verify("GET", "/iaas/", &wrong, &keys(), now).map_err(|e| e.code),
            Err(1200)
        );
        let stale = signed("SK", "2026-11-29T02:58:59Z", &[]);
        assert_eq!(
            verify("GET", "/iaas/", &stale, &keys(), now).map_err(|e| e.code),
            Err(1300)
        );
        let extended = signed(
            "SK",
            "2026-11-29T02:00:00Z",
            &[("expires", "2026-11-29T03:00:30Z")],
        );
        assert_eq!(verify("GET", "/iaas/", &extended, &keys(), now), Ok("AK"));
        let unsigned = Params::parse("action=DescribeJobs&zone=pek3a");
        assert_eq!(
            verify("GET", "/iaas/", &unsigned, &keys(), now).map_err(|e| e.code),
            Err(1100)
        );
    }
}
