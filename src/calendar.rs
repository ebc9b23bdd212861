//! Civil (proleptic Gregorian) dates from days since 1970-01-01 and back, for the three places
//! that print or parse UTC timestamps (request signing, hclog lines, the simulator) without a
//! date library. Howard Hinnant's algorithm: 400-year eras, March-based years so the leap day
//! is the year's last.

/// Days since 1970-01-01 -> (year, month 1-12, day 1-31).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Seconds since 1970-01-01 UTC -> `YYYY-MM-DDThh:mm:ss`, without a zone suffix: QingCloud's
/// `time_stamp` appends `Z`, hclog's `@timestamp` appends microseconds and `Z`.
pub fn utc_date_time(epoch_secs: i64) -> String {
    let (days, rem) = (epoch_secs.div_euclid(86_400), epoch_secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// (year, month 1-12, day) -> days since 1970-01-01. Out-of-range days roll over, so callers
/// that parse check the round trip.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2026, 11, 29), 20_786);
        assert_eq!(
            utc_date_time(20_786 * 86_400 + 3 * 3600 + 4 * 60 + 5),
            "2026-11-29T03:04:05"
        );
        assert_eq!(utc_date_time(-1), "1969-12-31T23:59:59");
    }

    #[test]
    fn round_trips_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
