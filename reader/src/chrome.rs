//! Chrome's Trace Event Format (JSON), which Perfetto's UI (ui.perfetto.dev) and
//! `chrome://tracing` open as a timeline.
//!
//! `{"displayTimeUnit":"ns","otherData":{…},"traceEvents":[…]}`. Times (`ts`, in µs with
//! three decimals) count from the first event, whose time from the clock's origin is
//! `otherData.first_event_ns`: from the Unix epoch, a double would keep only a quarter of a
//! microsecond. One track per process and thread: from
//! the `vpid`/`vtid` (or `pid`/`tid`) context fields, else the trace's `vpid` (one track for
//! the process when no context names the thread), else one process per trace with a thread
//! per CPU (`cpu_id` of the packet context). Events are
//! instants (`"ph":"i"`) with their payload as `args`; pairs that mark a span become slices
//! (`"B"`/`"E"`): `X_entry`/`X_exit`, `X_begin`/`X_end`, `X_start`/`X_end`, LTTng's
//! `syscall_entry_X`/`syscall_exit_X` and `lttng_ust_cyg_profile:func_entry`/`func_exit`
//! (named after the function address). An end whose beginning is not open on its thread is
//! an instant, and an end closes the slices opened above its beginning, so slices always
//! nest. LTTng kernel `sched_switch` events make per-CPU slices named after the thread
//! running. Process and thread names come last, as metadata events.

use super::decode::{Sink, State};
use super::error::ReadError;
use super::fmt::{push_i64, push_padded};
use super::json::{push_json_str, JsonSink};
use super::merge::Event;
use super::stream::Part;
use super::types::Int;
use std::collections::{BTreeMap, HashMap};

/// Where an event is drawn: a process and a thread of it.
type Track = (i64, i64);

/// Process ids given to traces without process contexts: far above real pids (at most
/// 2^22 on Linux).
const SYNTHETIC_PID: i64 = 1 << 30;

pub struct Chrome {
    /// Nanoseconds from the clock's origin of time 0.
    origin: i64,
    scratch: State,
    labels: Vec<usize>,
    counts: Vec<u64>,
    /// Open slices per track, innermost last.
    open: HashMap<Track, Vec<String>>,
    /// Process and thread names, written at the end.
    processes: BTreeMap<i64, String>,
    threads: BTreeMap<Track, String>,
    /// Trace name → its synthetic process id.
    synthetic: HashMap<String, i64>,
    first: bool,
}

/// What an event means for the timeline.
enum Kind {
    Instant,
    Begin(String),
    End(String),
}

impl Chrome {
    /// `origin`: nanoseconds from the clock's origin shown as time 0 (the first event's).
    pub fn new(origin: i64) -> Chrome {
        Chrome {
            origin,
            scratch: State::default(),
            labels: Vec::new(),
            counts: Vec::new(),
            open: HashMap::new(),
            processes: BTreeMap::new(),
            threads: BTreeMap::new(),
            synthetic: HashMap::new(),
            first: true,
        }
    }

    /// The opening of the document.
    pub fn begin(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"first_event_ns\":\"");
        push_i64(out, self.origin);
        out.extend_from_slice(b"\"},\"traceEvents\":[");
    }

    /// Appends the timeline events of `ev`.
    pub fn event(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) -> Result<(), ReadError> {
        let name = ev.class().name.as_str();
        if name == "sched_switch" {
            return self.sched_switch(ev, out);
        }
        let track = self.track(ev)?;
        let kind = match span(name) {
            Some((true, base)) => Kind::Begin(self.slice_name(ev, base)?),
            Some((false, base)) => Kind::End(self.slice_name(ev, base)?),
            None => Kind::Instant,
        };
        let ns = ev.ns();
        match kind {
            Kind::Begin(slice) => {
                self.record(out, "B", &slice, ns, track, Some(ev))?;
                self.open.entry(track).or_default().push(slice);
            }
            Kind::End(slice) => {
                let stack = self.open.entry(track).or_default();
                match stack.iter().rposition(|s| *s == slice) {
                    Some(at) => {
                        let closed: Vec<String> = stack.drain(at..).rev().collect();
                        for s in &closed[..closed.len() - 1] {
                            self.record(out, "E", s, ns, track, None)?;
                        }
                        self.record(out, "E", &slice, ns, track, Some(ev))?;
                    }
                    None => self.record(out, "i", name, ns, track, Some(ev))?,
                }
            }
            Kind::Instant => self.record(out, "i", name, ns, track, Some(ev))?,
        }
        Ok(())
    }

    /// Closes what is still open and writes the process and thread names.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        for (pid, name) in std::mem::take(&mut self.processes) {
            self.separator(out);
            out.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
            push_i64(out, pid);
            out.extend_from_slice(b",\"args\":{\"name\":");
            push_json_str(out, name.as_bytes());
            out.extend_from_slice(b"}}");
        }
        for ((pid, tid), name) in std::mem::take(&mut self.threads) {
            self.separator(out);
            out.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
            push_i64(out, pid);
            out.extend_from_slice(b",\"tid\":");
            push_i64(out, tid);
            out.extend_from_slice(b",\"args\":{\"name\":");
            push_json_str(out, name.as_bytes());
            out.extend_from_slice(b"}}");
        }
        out.extend_from_slice(b"\n]}\n");
    }

    fn separator(&mut self, out: &mut Vec<u8>) {
        if !std::mem::take(&mut self.first) {
            out.push(b',');
        }
        out.push(b'\n');
    }

    /// One trace event; `ev` gives its payload as `args`.
    fn record(
        &mut self,
        out: &mut Vec<u8>,
        ph: &str,
        name: &str,
        ns: i64,
        (pid, tid): Track,
        ev: Option<&Event<'_>>,
    ) -> Result<(), ReadError> {
        self.separator(out);
        out.extend_from_slice(b"{\"ph\":\"");
        out.extend_from_slice(ph.as_bytes());
        out.extend_from_slice(b"\",\"name\":");
        push_json_str(out, name.as_bytes());
        if let Some(ev) = ev {
            let cat = ev.class().name.split(':').next().unwrap_or("");
            out.extend_from_slice(b",\"cat\":");
            push_json_str(out, cat.as_bytes());
        }
        out.extend_from_slice(b",\"ts\":");
        push_micros(out, ns.saturating_sub(self.origin));
        out.extend_from_slice(b",\"pid\":");
        push_i64(out, pid);
        out.extend_from_slice(b",\"tid\":");
        push_i64(out, tid);
        if ph == "i" {
            out.extend_from_slice(b",\"s\":\"t\"");
        }
        if let Some(ev) = ev {
            let mark = out.len();
            out.extend_from_slice(b",\"args\":");
            let mut sink = JsonSink {
                out,
                labels: &mut self.labels,
                counts: &mut self.counts,
            };
            if !ev.decode(Part::Payload, &mut self.scratch, &mut sink)? {
                out.truncate(mark);
            }
        }
        out.push(b'}');
        Ok(())
    }

    /// The track of `ev`, naming its process and thread on first sight.
    fn track(&mut self, ev: &Event<'_>) -> Result<Track, ReadError> {
        let ctx = self.contexts(ev)?;
        let pid = ctx.int("vpid").or(ctx.int("pid"));
        let tid = ctx.int("vtid").or(ctx.int("tid"));
        let procname = ctx
            .string("procname")
            .or_else(|| ev.meta().env_str("procname").map(str::to_string));
        let track = match (pid.or_else(|| ev.meta().env_int("vpid")), tid) {
            (Some(pid), tid) => (pid, tid.unwrap_or(pid)),
            (None, Some(tid)) => (tid, tid),
            (None, None) => return self.cpu_track(ev),
        };
        let name = procname.unwrap_or_else(|| format!("process {}", track.0));
        self.processes.entry(track.0).or_insert(name.clone());
        self.threads
            .entry(track)
            .or_insert_with(|| format!("{name} {}", track.1));
        Ok(track)
    }

    /// The per-CPU track of `ev`'s trace: a process for the trace, a thread per CPU (or per
    /// stream, without a `cpu_id`).
    fn cpu_track(&mut self, ev: &Event<'_>) -> Result<Track, ReadError> {
        let trace = ev.trace.name();
        let next = SYNTHETIC_PID + self.synthetic.len() as i64;
        let pid = *self.synthetic.entry(trace.clone()).or_insert(next);
        let mut packet = Fields::new(&["cpu_id"]);
        ev.decode(Part::PacketContext, &mut self.scratch, &mut packet)?;
        let (tid, name) = match packet.int("cpu_id") {
            Some(cpu) => (cpu, format!("CPU {cpu}")),
            None => (ev.stream as i64, format!("stream {}", ev.stream)),
        };
        let label = if trace.is_empty() {
            "trace".into()
        } else {
            trace
        };
        self.processes.entry(pid).or_insert(label);
        self.threads.entry((pid, tid)).or_insert(name);
        Ok((pid, tid))
    }

    /// The process and thread fields of `ev`'s contexts (UST's daemon traces carry the
    /// process in the packet context).
    fn contexts(&mut self, ev: &Event<'_>) -> Result<Fields, ReadError> {
        let mut fields = Fields::new(&["vpid", "pid", "vtid", "tid", "procname"]);
        for part in [Part::PacketContext, Part::StreamContext, Part::Context] {
            ev.decode(part, &mut self.scratch, &mut fields)?;
        }
        Ok(fields)
    }

    /// The slice a span event opens or closes: named after the function for LTTng's
    /// function-entry instrumentation, else after the event name without its suffix.
    fn slice_name(&mut self, ev: &Event<'_>, base: &str) -> Result<String, ReadError> {
        if base == "lttng_ust_cyg_profile:func" {
            let mut payload = Fields::new(&["addr"]);
            ev.decode(Part::Payload, &mut self.scratch, &mut payload)?;
            if let Some(addr) = payload.int("addr") {
                return Ok(format!("func 0x{addr:x}"));
            }
        }
        Ok(base.to_string())
    }

    /// LTTng kernel `sched_switch`: ends the slice of the thread leaving the CPU and begins
    /// the one of the thread coming in (none for the idle thread, tid 0).
    fn sched_switch(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) -> Result<(), ReadError> {
        let track = self.cpu_track(ev)?;
        let mut payload = Fields::new(&["next_comm", "next_tid"]);
        ev.decode(Part::Payload, &mut self.scratch, &mut payload)?;
        let ns = ev.ns();
        let running = std::mem::take(self.open.entry(track).or_default());
        for slice in running.iter().rev() {
            self.record(out, "E", slice, ns, track, None)?;
        }
        let tid = payload.int("next_tid").unwrap_or(0);
        if tid != 0 {
            let comm = payload.string("next_comm").unwrap_or_default();
            let slice = format!("{comm} ({tid})");
            self.record(out, "B", &slice, ns, track, Some(ev))?;
            self.open.entry(track).or_default().push(slice);
        }
        Ok(())
    }
}

/// Whether `name` begins (true) or ends (false) a span, and the span's name.
fn span(name: &str) -> Option<(bool, &str)> {
    if let Some((prov, event)) = name.split_once(':') {
        if prov == "lttng_ust_cyg_profile" || prov == "lttng_ust_cyg_profile_fast" {
            return match event {
                "func_entry" => Some((true, "lttng_ust_cyg_profile:func")),
                "func_exit" => Some((false, "lttng_ust_cyg_profile:func")),
                _ => None,
            };
        }
    }
    for (prefix, begins) in [("syscall_entry_", true), ("syscall_exit_", false)] {
        if let Some(call) = name.strip_prefix(prefix) {
            return Some((begins, call));
        }
    }
    for (suffix, begins) in [
        ("_entry", true),
        ("_begin", true),
        ("_start", true),
        ("_exit", false),
        ("_end", false),
    ] {
        if let Some(base) = name.strip_suffix(suffix) {
            return (!base.is_empty()).then_some((begins, base));
        }
    }
    None
}

/// `ns` nanoseconds as microseconds with three decimals (the format's time unit).
fn push_micros(out: &mut Vec<u8>, ns: i64) {
    if ns < 0 {
        out.push(b'-');
    }
    let abs = ns.unsigned_abs();
    push_i64(out, (abs / 1000) as i64);
    out.push(b'.');
    push_padded(out, abs % 1000, 3);
}

/// Picks top-level integer and string fields by name.
struct Fields {
    wanted: &'static [&'static str],
    depth: usize,
    current: Option<&'static str>,
    ints: Vec<(&'static str, i64)>,
    strings: Vec<(&'static str, String)>,
}

impl Fields {
    fn new(wanted: &'static [&'static str]) -> Fields {
        Fields {
            wanted,
            depth: 0,
            current: None,
            ints: Vec::new(),
            strings: Vec::new(),
        }
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.ints.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.strings
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

impl Sink for Fields {
    fn int(&mut self, ty: &Int, v: u64) {
        if let Some(name) = self.current.take() {
            let v = if ty.signed {
                v as i64
            } else {
                v.min(i64::MAX as u64) as i64
            };
            self.ints.push((name, v));
        }
    }

    fn string(&mut self, bytes: &[u8]) {
        if let Some(name) = self.current.take() {
            self.strings
                .push((name, String::from_utf8_lossy(bytes).into_owned()));
        }
    }

    fn enumeration(&mut self, ty: &super::types::Enum, v: u64) {
        self.int(&ty.int, v);
    }

    fn begin_struct(&mut self) {
        self.depth += 1;
        self.current = None;
    }

    fn field(&mut self, name: &str) {
        self.current = if self.depth == 1 {
            self.wanted.iter().find(|w| **w == name).copied()
        } else {
            None
        };
    }

    fn end_struct(&mut self) {
        self.depth -= 1;
    }

    fn begin_array(&mut self) {
        self.current = None;
        self.depth += 1;
    }

    fn end_array(&mut self) {
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_names() {
        assert_eq!(span("app:request_begin"), Some((true, "app:request")));
        assert_eq!(span("app:request_end"), Some((false, "app:request")));
        assert_eq!(span("app:io_start"), Some((true, "app:io")));
        assert_eq!(span("irq_handler_entry"), Some((true, "irq_handler")));
        assert_eq!(span("irq_handler_exit"), Some((false, "irq_handler")));
        assert_eq!(span("syscall_entry_openat"), Some((true, "openat")));
        assert_eq!(span("syscall_exit_openat"), Some((false, "openat")));
        assert_eq!(span("syscall_entry_exit"), Some((true, "exit")));
        assert_eq!(
            span("lttng_ust_cyg_profile:func_exit"),
            Some((false, "lttng_ust_cyg_profile:func"))
        );
        assert_eq!(span("hello:greeting"), None);
        assert_eq!(span("_end"), None);
    }

    #[test]
    fn microseconds_keep_nanoseconds() {
        let mut out = Vec::new();
        push_micros(&mut out, 1_700_000_000_123_456_789);
        out.push(b' ');
        push_micros(&mut out, 5);
        assert_eq!(out, b"1700000000123456.789 0.005");
    }
}
