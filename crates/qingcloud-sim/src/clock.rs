//! Wall-clock helpers in QingCloud's one timestamp format, `YYYY-MM-DDThh:mm:ssZ`.
//!
//! Formatting and parsing go through humantime; only the exact fixed-width UTC shape is accepted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch. Job progress is computed from these, so a restarted
/// simulator continues jobs exactly where the real clock says they are.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats epoch milliseconds as `2026-11-29T03:00:00Z` (fractions dropped, as QingCloud does).
pub fn format_iso(ms: i64) -> String {
    let since_epoch = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(UNIX_EPOCH + since_epoch).to_string()
}

/// Parses exactly `YYYY-MM-DDThh:mm:ssZ` into epoch seconds; anything else is `None`.
pub fn parse_iso(text: &str) -> Option<i64> {
    // humantime also takes fractions and a space for the `T`; QingCloud's format has neither.
    let b = text.as_bytes();
    if b.len() != 20 || b[10] != b'T' {
        return None;
    }
    let at = humantime::parse_rfc3339(text).ok()?;
    let secs = at.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_iso("2013-08-27T14:30:10Z"), Some(1_377_613_810));
        assert_eq!(parse_iso("2026-11-29T03:00:00Z"), Some(1_795_921_200));
        assert_eq!(format_iso(1_795_921_200_999), "2026-11-29T03:00:00Z");
        assert_eq!(format_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_iso("2024-02-29T00:00:00Z")
                .map(|s| format_iso(s * 1000))
                .as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "2013-08-27 14:30:10Z",
            "2013-08-27T14:30:10",
            "2013-08-27T14:30:10.5Z",
            "2013-02-30T00:00:00Z",
            "2013-13-01T00:00:00Z",
            "2013-08-27T24:00:00Z",
            "+013-08-27T14:30:10Z",
            "",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }
}
