//! Calendar time: nanoseconds since the Unix epoch split into date and time of day.
//!
//! UTC is computed here; local time comes from the caller (the tool asks the C library, which
//! knows the TZ rules), so the library stays free of time-zone code.

/// A broken-down time of day (no nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tm {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
}

/// Converts seconds since the epoch to a local (or any) broken-down time.
pub type Calendar = fn(i64) -> Option<Tm>;

/// UTC broken-down time of `secs` since the epoch (proleptic Gregorian calendar).
pub fn utc(secs: i64) -> Option<Tm> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Some(Tm {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        min: (rem / 60 % 60) as u32,
        sec: (rem % 60) as u32,
    })
}

/// Days since 1970-01-01 → (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
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

/// Days since 1970-01-01 of a UTC date (inverse of `civil_from_days`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_round_trips() {
        let t = utc(1_795_741_619).unwrap();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.min, t.sec),
            (2026, 11, 27, 1, 6, 59)
        );
        assert_eq!(
            days_from_civil(2026, 11, 27) * 86_400 + 3600 + 6 * 60 + 59,
            1_795_741_619
        );
        assert_eq!(utc(-1).unwrap().year, 1969);
    }
}
