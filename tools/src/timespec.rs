//! `--begin` / `--end` values: a wall-clock time, a full local date and time, seconds since
//! the epoch, or an offset from the first event of the trace.

use crate::localtime;
use ust_reader::time::Tm;

/// A time bound as given on the command line, resolved once the first event is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSpec {
    /// `+1.5s`, `+250ms`: nanoseconds after the first event.
    Offset(i64),
    /// `HH:MM:SS[.ns]`: that local time on the day of the first event.
    TimeOfDay { secs: i64, nanos: i64 },
    /// `YYYY-MM-DD HH:MM:SS[.ns]` (local) or `@SECONDS[.ns]`: nanoseconds since the epoch.
    Absolute(i64),
}

impl std::str::FromStr for TimeSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<TimeSpec, String> {
        let bad = || {
            format!("invalid time `{s}`: use HH:MM:SS[.NS], 'YYYY-MM-DD HH:MM:SS[.NS]', @SECONDS[.NS] or an offset like +1.5s, +20ms")
        };
        if let Some(rest) = s.strip_prefix('+') {
            return offset(rest).map(TimeSpec::Offset).ok_or_else(bad);
        }
        if let Some(rest) = s.strip_prefix('@') {
            let (secs, nanos) = seconds(rest).ok_or_else(bad)?;
            return Ok(TimeSpec::Absolute(secs * 1_000_000_000 + nanos));
        }
        match s.split_once(' ') {
            Some((date, time)) => {
                let (year, month, day) = parse_date(date).ok_or_else(bad)?;
                let (secs, nanos) = time_of_day(time).ok_or_else(bad)?;
                let tm = Tm {
                    year,
                    month,
                    day,
                    hour: (secs / 3600) as u32,
                    min: (secs / 60 % 60) as u32,
                    sec: (secs % 60) as u32,
                };
                let epoch = localtime::to_epoch(&tm).ok_or_else(bad)?;
                Ok(TimeSpec::Absolute(epoch * 1_000_000_000 + nanos))
            }
            None => {
                let (secs, nanos) = time_of_day(s).ok_or_else(bad)?;
                Ok(TimeSpec::TimeOfDay { secs, nanos })
            }
        }
    }
}

impl TimeSpec {
    /// Nanoseconds since the epoch, given the first event's time.
    pub fn resolve(&self, first_ns: i64) -> i64 {
        match *self {
            TimeSpec::Offset(ns) => first_ns.saturating_add(ns),
            TimeSpec::Absolute(ns) => ns,
            TimeSpec::TimeOfDay { secs, nanos } => {
                let day = localtime::local(first_ns.div_euclid(1_000_000_000)).unwrap_or(Tm {
                    year: 1970,
                    month: 1,
                    day: 1,
                    hour: 0,
                    min: 0,
                    sec: 0,
                });
                let midnight = Tm {
                    hour: 0,
                    min: 0,
                    sec: 0,
                    ..day
                };
                let base = localtime::to_epoch(&midnight).unwrap_or(0);
                (base + secs)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(nanos)
            }
        }
    }
}

/// `1.5s`, `20ms`, `3us`, `7ns`, `2` (seconds) → nanoseconds.
fn offset(s: &str) -> Option<i64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let scale = match unit {
        "" | "s" => 1e9,
        "ms" => 1e6,
        "us" => 1e3,
        "ns" => 1.0,
        "m" | "min" => 60e9,
        _ => return None,
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| (v * scale).round() as i64)
}

/// `SECONDS[.FRACTION]` → (seconds, nanoseconds).
fn seconds(s: &str) -> Option<(i64, i64)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some((int.parse().ok()?, nanos))
}

/// `HH:MM:SS[.NS]` → (seconds since midnight, nanoseconds).
fn time_of_day(s: &str) -> Option<(i64, i64)> {
    let mut parts = s.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let (sec, nanos) = seconds(parts.next()?)?;
    (h < 24 && m < 60 && sec < 61).then_some((h * 3600 + m * 60 + sec, nanos))
}

fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let mut parts = s.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!("+1.5s".parse(), Ok(TimeSpec::Offset(1_500_000_000)));
        assert_eq!("+20ms".parse(), Ok(TimeSpec::Offset(20_000_000)));
        assert_eq!("@12.5".parse(), Ok(TimeSpec::Absolute(12_500_000_000)));
        assert_eq!(
            "01:02:03.5".parse(),
            Ok(TimeSpec::TimeOfDay {
                secs: 3723,
                nanos: 500_000_000
            })
        );
        assert!("25:00:00".parse::<TimeSpec>().is_err());
        assert!("+3 parsecs".parse::<TimeSpec>().is_err());
        assert_eq!(TimeSpec::Offset(5).resolve(10), 15);
    }
}
