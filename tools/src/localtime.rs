//! Local time through the C library, so `TZ` and the system zone rules apply exactly as they
//! do for babeltrace2 (which calls `localtime_r` too).

use ust_reader::time::Tm;

/// Broken-down local time of `secs` since the epoch.
pub fn local(secs: i64) -> Option<Tm> {
    let t: libc::time_t = secs;
    // SAFETY: an all-zero `struct tm` is a valid value (integers and a null zone pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe variant
    // and writes only into `tm`.
    let res = unsafe { libc::localtime_r(&t, &mut tm) };
    if res.is_null() {
        return None;
    }
    Some(Tm {
        year: i64::from(tm.tm_year) + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        min: tm.tm_min as u32,
        sec: tm.tm_sec as u32,
    })
}

/// Seconds since the epoch of a local date and time (daylight saving time guessed by the
/// C library, like `date -d`).
pub fn to_epoch(t: &Tm) -> Option<i64> {
    // SAFETY: an all-zero `struct tm` is a valid value (integers and a null zone pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = i32::try_from(t.year - 1900).ok()?;
    tm.tm_mon = t.month as i32 - 1;
    tm.tm_mday = t.day as i32;
    tm.tm_hour = t.hour as i32;
    tm.tm_min = t.min as i32;
    tm.tm_sec = t.sec as i32;
    tm.tm_isdst = -1;
    // SAFETY: `tm` is a valid, initialised struct; mktime only reads and normalises it.
    let secs = unsafe { libc::mktime(&mut tm) };
    (secs != -1).then_some(secs)
}

/// The local time of `secs` as `YYYYmmddTHHMMSS±HHMM` (ISO 8601 basic, with the zone's
/// offset), as LTTng names trace chunks.
pub fn iso_basic(secs: i64) -> String {
    let t: libc::time_t = secs;
    // SAFETY: an all-zero `struct tm` is a valid value (integers and a null zone pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r writes only into `tm`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return format!("{secs}");
    }
    let off = tm.tm_gmtoff / 60;
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}{}{:02}{:02}",
        i64::from(tm.tm_year) + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        if off < 0 { '-' } else { '+' },
        off.abs() / 60,
        off.abs() % 60
    )
}

/// The local time of `secs` as `YYYYMMDD-HHMMSS`.
pub fn compact(secs: i64) -> String {
    match local(secs) {
        Some(t) => format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            t.year, t.month, t.day, t.hour, t.min, t.sec
        ),
        None => secs.to_string(),
    }
}

/// Seconds since the epoch now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_chunks_and_snapshots() {
        let secs = 1_700_000_000;
        let t = local(secs).unwrap();
        let date = format!("{:04}{:02}{:02}", t.year, t.month, t.day);
        let time = format!("{:02}{:02}{:02}", t.hour, t.min, t.sec);
        let iso = iso_basic(secs);
        assert_eq!(iso[..15], format!("{date}T{time}"));
        assert!(
            iso.len() == 20 && matches!(iso.as_bytes()[15], b'+' | b'-'),
            "{iso}"
        );
        assert_eq!(compact(secs), format!("{date}-{time}"));
    }
}
