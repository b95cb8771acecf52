//! The daemonless configuration, read once from the environment:
//! `UST_TRACE` (trace directory; unset = not traced), `UST_EVENTS`,
//! `UST_FILTER`, `UST_BLOCKING_TIMEOUT`, `UST_LOGLEVEL`, `UST_SUBBUF_SIZE`, `UST_NUM_SUBBUF`, `UST_OVERWRITE` and
//! `UST_CLOCK`. A bad value is reported as one message and the program runs
//! untraced. A setuid or setgid program ignores them all (`secure`).

use crate::clock::Source;
use crate::ringbuf::Geometry;
use std::path::PathBuf;

/// Default sub-buffer size (bytes) and count, per CPU.
pub const DEFAULT_SUBBUF_SIZE: u64 = 512 * 1024;
pub const DEFAULT_NUM_SUBBUF: u64 = 4;

/// What to trace and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub trace_dir: PathBuf,
    /// Event-name globs; an event is recorded if it matches any.
    pub events: Vec<String>,
    /// Record only events at this level or more severe (numerically lower).
    pub loglevel: Option<i32>,
    pub geometry: Geometry,
    pub clock: Option<Source>,
    /// `UST_FILTER`: record only the selected events this expression accepts.
    pub filter: Option<ust_filter::Filter>,
    /// `UST_BLOCKING_TIMEOUT`: how long a writer waits for room, in µs
    /// (0 never: discard; -1 forever).
    pub blocking_timeout_us: i64,
}

impl Config {
    /// Whether an event with this name and level is selected.
    pub fn selects(&self, name: &str, loglevel: i32) -> bool {
        self.loglevel.is_none_or(|max| loglevel <= max)
            && self.events.iter().any(|g| crate::glob::matches(g, name))
    }
}

/// The log level names, in numeric order.
pub const LOGLEVEL_NAMES: [&str; 15] = [
    "EMERG",
    "ALERT",
    "CRIT",
    "ERR",
    "WARNING",
    "NOTICE",
    "INFO",
    "DEBUG_SYSTEM",
    "DEBUG_PROGRAM",
    "DEBUG_PROCESS",
    "DEBUG_MODULE",
    "DEBUG_UNIT",
    "DEBUG_FUNCTION",
    "DEBUG_LINE",
    "DEBUG",
];

/// Parses a level: 0..14, or a name with or without `TRACE_`, any case.
pub fn parse_loglevel(s: &str) -> Result<i32, String> {
    if let Ok(n) = s.parse::<i32>() {
        if (0..15).contains(&n) {
            return Ok(n);
        }
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("TRACE_").unwrap_or(&upper);
    LOGLEVEL_NAMES
        .iter()
        .position(|l| *l == name)
        .map(|i| i as i32)
        .ok_or_else(|| format!("{s:?} is not a log level (0..14 or EMERG, ALERT, …, DEBUG)"))
}

/// Parses a byte size with an optional k/M/G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size (e.g. 4096, 64k, 1M)"))
}

fn power_of_two_in(v: u64, lo: u64, hi: u64, what: &str) -> Result<u64, String> {
    if v.is_power_of_two() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{what}={v}: must be a power of two from {lo} to {hi}"
        ))
    }
}

/// Parses the sub-buffer geometry from optional strings.
pub fn parse_geometry(
    subbuf: Option<&str>,
    num: Option<&str>,
    overwrite: Option<&str>,
) -> Result<Geometry, String> {
    let subbuf_size = match subbuf {
        Some(s) => parse_size(s).map_err(|e| format!("UST_SUBBUF_SIZE: {e}"))?,
        None => DEFAULT_SUBBUF_SIZE,
    };
    let num_subbuf = match num {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| format!("UST_NUM_SUBBUF: {s:?} is not a number"))?,
        None => DEFAULT_NUM_SUBBUF,
    };
    let overwrite = match overwrite {
        None | Some("0") | Some("") => false,
        Some("1") => true,
        Some(o) => return Err(format!("UST_OVERWRITE: {o:?} must be 0 or 1")),
    };
    check_geometry(Geometry {
        subbuf_size,
        num_subbuf,
        overwrite,
    })
}

/// Checks sub-buffer size and count against the supported ranges.
pub fn check_geometry(g: Geometry) -> Result<Geometry, String> {
    power_of_two_in(g.subbuf_size, 4096, 1 << 28, "UST_SUBBUF_SIZE")?;
    power_of_two_in(g.num_subbuf, 2, 1024, "UST_NUM_SUBBUF")?;
    Ok(g)
}

/// Whether this process must not trust its environment: a setuid or
/// setgid program (real and effective ids differ, or the kernel's
/// `AT_SECURE`), where the variables come from whoever ran it.
pub fn secure() -> bool {
    static SECURE: once_cell::sync::OnceCell<bool> = once_cell::sync::OnceCell::new();
    // SAFETY: getauxval and the id getters have no preconditions.
    *SECURE.get_or_init(|| unsafe {
        libc::getauxval(libc::AT_SECURE) != 0
            || libc::getuid() != libc::geteuid()
            || libc::getgid() != libc::getegid()
    })
}

/// An environment variable the runtime reads (`UST_*`, `XDG_RUNTIME_DIR`),
/// unset or empty as `None`; always `None` in a `secure` process, which
/// ignores them all, as LTTng-UST does.
pub fn env_var(name: &str) -> Option<std::ffi::OsString> {
    if secure() {
        return None;
    }
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// Checks that `ncpu` buffers of geometry `g` fit in the memory available
/// now (`MemAvailable`), so an oversized request is refused with a message
/// instead of ending in the OOM killer.
pub fn check_memory(g: Geometry, ncpu: u32) -> Result<(), String> {
    let total = g
        .subbuf_size
        .saturating_mul(g.num_subbuf)
        .saturating_mul(u64::from(ncpu));
    match crate::sysinfo::available_memory() {
        Some(avail) if total > avail => Err(format!(
            "{ncpu} CPUs × {} sub-buffers of {} need {}, more than the {} of memory available",
            g.num_subbuf,
            human_size(g.subbuf_size),
            human_size(total),
            human_size(avail)
        )),
        _ => Ok(()),
    }
}

/// A byte count with a binary suffix (`512 KiB`, `3.5 GiB`).
fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v.fract() == 0.0 {
        format!("{v} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parses a blocking timeout: microseconds (0 never waits), or `inf` (-1).
pub fn parse_blocking_timeout(s: &str) -> Result<i64, String> {
    if s == "inf" {
        return Ok(-1);
    }
    s.parse::<u32>()
        .map(i64::from)
        .map_err(|_| format!("{s:?} is not a number of microseconds (0 to 4294967295) or `inf`"))
}

/// Parses `UST_EVENTS`: comma-separated globs.
pub fn parse_events(s: &str) -> Result<Vec<String>, String> {
    let globs: Vec<String> = s.split(',').map(|g| g.trim().to_string()).collect();
    if globs.iter().any(|g| g.is_empty()) {
        return Err(format!("UST_EVENTS: {s:?} has an empty pattern"));
    }
    Ok(globs)
}

fn parse_clock(s: &str) -> Result<Source, String> {
    match s {
        "tsc" => Ok(Source::Tsc),
        "monotonic" => Ok(Source::Monotonic),
        _ => Err(format!("UST_CLOCK: {s:?} must be tsc or monotonic")),
    }
}

/// Builds the configuration from a variable lookup; `Ok(None)` when
/// `UST_TRACE` is unset (not traced).
pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Config>, String> {
    let Some(dir) = get("UST_TRACE") else {
        return Ok(None);
    };
    if dir.is_empty() {
        return Err("UST_TRACE is empty: set it to the trace directory".into());
    }
    let events = match get("UST_EVENTS") {
        Some(s) => parse_events(&s)?,
        None => vec!["*".to_string()],
    };
    let loglevel = match get("UST_LOGLEVEL") {
        Some(s) => Some(parse_loglevel(&s).map_err(|e| format!("UST_LOGLEVEL: {e}"))?),
        None => None,
    };
    let geometry = parse_geometry(
        get("UST_SUBBUF_SIZE").as_deref(),
        get("UST_NUM_SUBBUF").as_deref(),
        get("UST_OVERWRITE").as_deref(),
    )?;
    let clock = get("UST_CLOCK").map(|s| parse_clock(&s)).transpose()?;
    let filter = get("UST_FILTER")
        .map(|s| ust_filter::Filter::parse(&s).map_err(|e| format!("UST_FILTER: {e}")))
        .transpose()?;
    let blocking_timeout_us = match get("UST_BLOCKING_TIMEOUT") {
        Some(s) => parse_blocking_timeout(&s).map_err(|e| format!("UST_BLOCKING_TIMEOUT: {e}"))?,
        None => 0,
    };
    Ok(Some(Config {
        trace_dir: PathBuf::from(dir),
        events,
        loglevel,
        geometry,
        clock,
        filter,
        blocking_timeout_us,
    }))
}

/// The configuration of this process's environment.
pub fn from_env() -> Result<Option<Config>, String> {
    from_lookup(|k| env_var(k).and_then(|v| v.into_string().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(vars: &[(&str, &str)]) -> Result<Option<Config>, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn untraced_without_ust_trace() {
        assert_eq!(cfg(&[("UST_EVENTS", "x")]), Ok(None));
    }

    #[test]
    fn defaults_record_everything() {
        let c = cfg(&[("UST_TRACE", "/tmp/t")]).unwrap().unwrap();
        assert!(c.selects("any:thing", 14));
        assert_eq!(c.geometry.subbuf_size, DEFAULT_SUBBUF_SIZE);
        assert!(!c.geometry.overwrite);
    }

    #[test]
    fn globs_and_levels_select() {
        let c = cfg(&[
            ("UST_TRACE", "t"),
            ("UST_EVENTS", "a:*, b:x"),
            ("UST_LOGLEVEL", "TRACE_WARNING"),
        ])
        .unwrap()
        .unwrap();
        assert!(c.selects("a:y", 4) && c.selects("b:x", 0));
        assert!(!c.selects("a:y", 5), "less severe than WARNING");
        assert!(!c.selects("b:y", 0));
    }

    #[test]
    fn sizes_and_levels_parse() {
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_loglevel("debug"), Ok(14));
        assert_eq!(parse_loglevel("3"), Ok(3));
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        for (k, v) in [
            ("UST_SUBBUF_SIZE", "1000"),
            ("UST_SUBBUF_SIZE", "lots"),
            ("UST_NUM_SUBBUF", "3"),
            ("UST_NUM_SUBBUF", "-1"),
            ("UST_OVERWRITE", "yes"),
            ("UST_LOGLEVEL", "LOUD"),
            ("UST_LOGLEVEL", "15"),
            ("UST_EVENTS", "a,,b"),
            ("UST_CLOCK", "sundial"),
        ] {
            let err = cfg(&[("UST_TRACE", "t"), (k, v)]).unwrap_err();
            assert!(err.contains(k), "{err}");
        }
    }
}
