//! Wall-clock helpers in QingCloud's one timestamp format, `YYYY-MM-DDThh:mm:ssZ`.
//!
//! Hand-rolled because the crate has no date library and the format is fixed-width UTC.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::calendar::{civil_from_days, days_from_civil, utc_date_time};

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
    format!("{}Z", utc_date_time(ms.div_euclid(1000)))
}

/// Parses exactly `YYYY-MM-DDThh:mm:ssZ` into epoch seconds; anything else is `None`.
pub fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = text.get(from..to)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, s) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || d < 1 || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let (mo, d) = (u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    let days = days_from_civil(y, mo, d);
    // Round-tripping rejects dates such as Feb 30 without a month-length table.
    if civil_from_days(days) != (y, mo, d) {
        return None;
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
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
