//! Options shared by the session commands and `ust trace`: the daemon socket, the buffer
//! geometry, and the checks on session names, event patterns and output directories.

use super::client::Failure;
use std::path::{Path, PathBuf};
use ust::config::{parse_blocking_timeout, parse_size, DEFAULT_NUM_SUBBUF};
use ust::ipc::proto::MAX_STRING;

/// Which daemon to talk to.
#[derive(clap::Args, Debug)]
pub struct Target {
    /// The daemon's socket [default: $UST_DAEMON_SOCKET, else the per-user socket
    /// ($XDG_RUNTIME_DIR/ust/daemon.sock), else /run/ust/daemon.sock].
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}

/// The default sub-buffer size, as shown in `--help` (`ust::config::DEFAULT_SUBBUF_SIZE`).
const DEFAULT_SUBBUF: &str = "512k";

/// Ring-buffer settings of a session.
#[derive(clap::Args, Debug)]
pub struct Buffers {
    /// Flight-recorder mode: when the buffers are full, overwrite the oldest events instead
    /// of discarding new ones.
    #[arg(long)]
    pub overwrite: bool,
    /// Size of each sub-buffer (packet), per CPU: a power of two from 4k to 256M, with an
    /// optional k/M/G suffix.
    #[arg(long, value_name = "SIZE", value_parser = subbuf_size,
          default_value = DEFAULT_SUBBUF)]
    pub subbuf_size: u64,
    /// Sub-buffers per CPU: a power of two from 2 to 1024.
    #[arg(long, value_name = "N", value_parser = num_subbuf,
          default_value_t = DEFAULT_NUM_SUBBUF as u32)]
    pub num_subbuf: u32,
    /// When the buffers are full, make the program wait up to US microseconds for room
    /// (`inf`: as long as it takes) instead of discarding the event; 0 never waits.
    /// A program waits only outside signal handlers.
    #[arg(long, value_name = "US|inf", value_parser = parse_blocking_timeout, default_value = "0")]
    pub blocking_timeout: i64,
}

fn power_of_two(v: u64, lo: u64, hi: u64) -> Result<u64, String> {
    if v.is_power_of_two() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not a power of two from {lo} to {hi}"))
    }
}

/// Buffer settings of an added channel: unset ones are the session's.
#[derive(clap::Args, Debug)]
pub struct ChannelBuffers {
    /// Flight-recorder mode: when the buffers are full, overwrite the oldest events instead
    /// of discarding new ones.
    #[arg(long)]
    pub overwrite: bool,
    /// Size of each sub-buffer (packet), per CPU: a power of two from 4k to 256M
    /// [default: the session's].
    #[arg(long, value_name = "SIZE", value_parser = subbuf_size)]
    pub subbuf_size: Option<u64>,
    /// Sub-buffers per CPU: a power of two from 2 to 1024 [default: the session's].
    #[arg(long, value_name = "N", value_parser = num_subbuf)]
    pub num_subbuf: Option<u32>,
    /// When the buffers are full, make the program wait up to US microseconds for room
    /// (`inf`: as long as it takes) instead of discarding the event; 0 never waits.
    /// A program waits only outside signal handlers.
    #[arg(long, value_name = "US|inf", value_parser = parse_blocking_timeout, default_value = "0")]
    pub blocking_timeout: i64,
}

/// A channel name: 1 to 64 letters, digits, `-`, `_` or `.`, not starting with `.`.
pub fn channel_name(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a channel name (1 to 64 letters, digits, '-', '_' or '.', not starting with '.')"
        ))
    }
}

fn subbuf_size(s: &str) -> Result<u64, String> {
    power_of_two(parse_size(s)?, 4096, 1 << 28)
}

fn num_subbuf(s: &str) -> Result<u32, String> {
    let n: u64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    Ok(power_of_two(n, 2, 1024)? as u32)
}

/// A session name: 1 to 255 letters, digits, `-`, `_` or `.`, not starting with `.`.
pub fn session_name(s: &str) -> Result<String, String> {
    let ok = (1..=255).contains(&s.len())
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a session name (1 to 255 letters, digits, '-', '_' or '.', not starting with '.')"
        ))
    }
}

/// An event-name pattern: not empty, no blanks or control characters.
pub fn event_glob(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("an event pattern cannot be empty (use '*' for every event)".into());
    }
    if s.len() > MAX_STRING {
        return Err(format!("an event pattern is at most {MAX_STRING} bytes"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} is not an event pattern (no blanks or control characters)"
        ));
    }
    Ok(s.to_string())
}

/// A byte count: digits with an optional k/M/G suffix, not 0.
pub fn size(s: &str) -> Result<u64, String> {
    match parse_size(s)? {
        0 => Err("a size of 0 bytes".into()),
        n => Ok(n),
    }
}

/// A duration: a number with a unit, `us`, `ms`, `s`, `m` or `h` (`500ms`, `10m`); a bare
/// number is seconds.
pub fn duration(s: &str) -> Result<std::time::Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 500ms, 10s, 10m, 1h)"))?;
    let micros = match unit {
        "us" => Some(n),
        "ms" => n.checked_mul(1_000),
        "" | "s" => n.checked_mul(1_000_000),
        "m" => n.checked_mul(60_000_000),
        "h" => n.checked_mul(3_600_000_000),
        _ => return Err(format!("{s:?}: the unit is one of us, ms, s, m, h")),
    };
    micros
        .map(std::time::Duration::from_micros)
        .ok_or_else(|| format!("{s:?} is too long a duration"))
}

/// A relay URL, checked: `net://HOST[:CONTROL_PORT[:DATA_PORT]]` or `tls://…`.
pub fn relay_url(s: &str) -> Result<String, String> {
    crate::relayd::url::RelayUrl::parse(s).map(|_| s.to_string())
}

/// A path made absolute from the current directory (the daemon has its own).
pub fn absolute(path: PathBuf) -> Result<PathBuf, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure(format!("cannot read the current directory: {e}")))?;
    let abs = normalize(&cwd.join(path));
    if abs.as_os_str().len() > MAX_STRING {
        return Err(Failure(format!(
            "{} is longer than {MAX_STRING} bytes",
            abs.display()
        )));
    }
    Ok(abs)
}

/// The trace directory, absolute: `dir` if given, else `./NAME-YYYYMMDD-HHMMSS`.
pub fn output_dir(dir: Option<PathBuf>, name: &str) -> Result<PathBuf, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure(format!("cannot read the current directory: {e}")))?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(format!("{name}-{}", timestamp())));
    let abs = cwd.join(dir);
    if abs.as_os_str().len() > MAX_STRING {
        return Err(Failure(format!(
            "the trace directory path is longer than {MAX_STRING} bytes"
        )));
    }
    Ok(normalize(&abs))
}

/// `abs` without `.` components (`..` stays: a symbolic link may precede it).
fn normalize(abs: &Path) -> PathBuf {
    abs.components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect()
}

/// The local time now as `YYYYMMDD-HHMMSS`.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let utc = ust_reader::time::utc;
    match crate::localtime::local(secs).or_else(|| utc(secs)) {
        Some(t) => format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            t.year, t.month, t.day, t.hour, t.min, t.sec
        ),
        None => secs.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ust::config::DEFAULT_SUBBUF_SIZE;

    #[test]
    fn sizes_and_counts() {
        assert_eq!(subbuf_size(DEFAULT_SUBBUF), Ok(DEFAULT_SUBBUF_SIZE));
        assert_eq!(subbuf_size("64k"), Ok(65536));
        assert_eq!(subbuf_size("1M"), Ok(1 << 20));
        assert!(subbuf_size("1000").is_err());
        assert!(subbuf_size("2k").is_err());
        assert!(subbuf_size("big").is_err());
        assert_eq!(num_subbuf("8"), Ok(8));
        assert!(num_subbuf("3").is_err());
        assert!(num_subbuf("1").is_err());
    }

    #[test]
    fn channel_settings() {
        assert_eq!(parse_blocking_timeout("inf"), Ok(-1));
        assert_eq!(parse_blocking_timeout("1500"), Ok(1500));
        assert!(parse_blocking_timeout("-5").is_err() && parse_blocking_timeout("soon").is_err());
        assert!(channel_name("debug").is_ok());
        assert!(channel_name("../x").is_err() && channel_name("").is_err());
    }

    #[test]
    fn durations_sizes_and_relays() {
        use std::time::Duration;
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("7us"), Ok(Duration::from_micros(7)));
        assert!(duration("1.5s").is_err() && duration("10 days").is_err() && duration("").is_err());
        assert_eq!(size("100M"), Ok(100 << 20));
        assert!(size("0").is_err() && size("big").is_err());
        assert!(relay_url("net://h:1:2").is_ok());
        assert!(relay_url("http://h").unwrap_err().contains("net://HOST"));
    }

    #[test]
    fn names_and_patterns() {
        assert!(session_name("my-session_1.2").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(256)] {
            assert!(session_name(bad).is_err(), "{bad:?}");
        }
        assert!(event_glob("hello:*").is_ok());
        for bad in ["", "a b", "a\tb"] {
            assert!(event_glob(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_output_is_dated_and_absolute() {
        let dir = output_dir(None, "s1").unwrap();
        assert!(dir.is_absolute());
        let name = dir.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("s1-") && name.len() == "s1-YYYYMMDD-HHMMSS".len());
        let given = output_dir(Some(PathBuf::from("./a/./b")), "s1").unwrap();
        assert_eq!(given, std::env::current_dir().unwrap().join("a/b"));
    }
}
