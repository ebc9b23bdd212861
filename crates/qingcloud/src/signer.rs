//! QingCloud request signing, signature_version 1 with HmacSHA256.
//!
//! Shared by the API client (which signs) and the simulator (which verifies), so both sides
//! agree by construction and the official test vectors pin the algorithm down.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` is escaped; space becomes `%20`, never `+`.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub const SIGNATURE_METHOD: &str = "HmacSHA256";
pub const SIGNATURE_VERSION: &str = "1";

/// Percent-encodes one name or value (UTF-8, upper-case hex).
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, ESCAPED).to_string()
}

/// The canonical query: parameters sorted by raw name (byte order, so `jobs.10` < `jobs.2`),
/// each `name=value` percent-encoded, joined with `&`. The same string is signed and sent.
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != "signature")
        .collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD \n PATH \n CANONICAL_QUERY`.
pub fn string_to_sign(method: &str, path: &str, canonical_query: &str) -> String {
    format!("{method}\n{path}\n{canonical_query}")
}

/// HMAC-SHA256 of the string to sign, standard base64 with padding (not yet URL-encoded).
pub fn signature(secret_key: &str, method: &str, path: &str, canonical_query: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign(method, path, canonical_query).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of two signatures, for the verifying side.
pub fn signatures_match(expected: &str, received: &str) -> bool {
    let (a, b) = (expected.as_bytes(), received.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The full query string to send: the canonical query plus `&signature=...`.
pub fn signed_query(secret_key: &str, method: &str, path: &str, canonical_query: &str) -> String {
    let sig = signature(secret_key, method, path, canonical_query);
    format!("{canonical_query}&signature={}", percent_encode(&sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = "QYACCESSKEYIDEXAMPLE";
    const SECRET: &str = "SECRETACCESSKEY";

    fn official_params(zone: &str) -> Vec<(&'static str, String)> {
        vec![
            ("count", "1".into()),
            ("vxnets.1", "vxnet-0".into()),
            ("zone", zone.into()),
            ("instance_type", "small_b".into()),
            ("instance_name", "demo".into()),
            ("image_id", "centos64x86a".into()),
            ("login_mode", "passwd".into()),
            ("login_passwd", "QingCloud20130712".into()),
            ("version", "1".into()),
            ("action", "RunInstances".into()),
            ("time_stamp", "2013-08-27T14:30:10Z".into()),
            ("access_key_id", ACCESS.into()),
            ("signature_method", SIGNATURE_METHOD.into()),
            ("signature_version", SIGNATURE_VERSION.into()),
        ]
    }

    #[test]
    fn official_documentation_vector() {
        let q = canonical_query(&official_params("pek3a"));
        assert_eq!(
            string_to_sign("GET", "/iaas/", &q),
            "GET\n/iaas/\naccess_key_id=QYACCESSKEYIDEXAMPLE&action=RunInstances&count=1&image_id=centos64x86a&instance_name=demo&instance_type=small_b&login_mode=passwd&login_passwd=QingCloud20130712&signature_method=HmacSHA256&signature_version=1&time_stamp=2013-08-27T14%3A30%3A10Z&version=1&vxnets.1=vxnet-0&zone=pek3a"
        );
        assert_eq!(
            signature(SECRET, "GET", "/iaas/", &q),
            "byjccvWIvAftaq+oublemagH3bYAlDWxxLFAzAsyslw="
        );
        assert!(
            signed_query(SECRET, "GET", "/iaas/", &q)
                .ends_with("&signature=byjccvWIvAftaq%2BoublemagH3bYAlDWxxLFAzAsyslw%3D")
        );
    }

    #[test]
    fn go_sdk_vector_with_pek1() {
        let q = canonical_query(&official_params("pek1"));
        assert_eq!(
            signature(SECRET, "GET", "/iaas/", &q),
            "32bseYy39DOlatuewpeuW5vpmW51sD1A/JdGynqSpP8="
        );
    }

    #[test]
    fn encoding_edge_cases() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("a/b"), "a%2Fb");
        assert_eq!(percent_encode("~-_."), "~-_.");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("+="), "%2B%3D");
        assert_eq!(
            percent_encode(r#"{"configssl":"ON"}"#),
            "%7B%22configssl%22%3A%22ON%22%7D"
        );
        assert_eq!(percent_encode("数据库"), "%E6%95%B0%E6%8D%AE%E5%BA%93");
    }

    #[test]
    fn names_sort_in_byte_order_and_signature_is_excluded() {
        let q = canonical_query(&[
            ("jobs.2", "b"),
            ("jobs.10", "c"),
            ("signature", "x"),
            ("jobs.1", "a"),
        ]);
        assert_eq!(q, "jobs.1=a&jobs.10=c&jobs.2=b");
    }

    #[test]
    fn more_encoding_edge_cases() {
        // `%` itself, control characters, reserved delimiters, empty values.
        assert_eq!(percent_encode("100%"), "100%25");
        assert_eq!(percent_encode("a\nb\t"), "a%0Ab%09");
        assert_eq!(
            percent_encode(":?#[]@!$&'()*+,;="),
            "%3A%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D"
        );
        assert_eq!(percent_encode(""), "");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(canonical_query(&[("b", ""), ("a", "x y")]), "a=x%20y&b=");
        // Sorting is on the raw names, before encoding: `_` (0x5F) sorts after `.` (0x2E)
        // and after upper-case letters.
        assert_eq!(
            canonical_query(&[("a_b", "1"), ("a.b", "2"), ("aB", "3")]),
            "a.b=2&aB=3&a_b=1"
        );
    }

    #[test]
    fn signing_depends_on_path_and_secret() {
        let q = canonical_query(&official_params("pek3a"));
        let base = signature(SECRET, "GET", "/iaas/", &q);
        assert_ne!(signature(SECRET, "GET", "/iaas", &q), base);
        assert_ne!(signature("OTHER", "GET", "/iaas/", &q), base);
        assert_ne!(signature(SECRET, "POST", "/iaas/", &q), base);
    }

    #[test]
    fn signature_comparison() {
        assert!(signatures_match("abc=", "abc="));
        assert!(!signatures_match("abc=", "abd="));
        assert!(!signatures_match("abc=", "abc"));
    }
}
