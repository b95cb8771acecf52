//! Per-event-name and per-stream statistics of a trace: counts, time span, rate, and losses.
//!
//! Counting is indexed by (stream, event class) so adding an event costs no hashing, and
//! keeps raw clock values; names are joined and times converted when the report is rendered.

use super::fmt;
use super::merge::{Event, LossReport};
use super::stream::Loss;
use super::time::Calendar;
use super::types::Clock;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    count: u64,
    first: i64,
    last: i64,
}

impl Counter {
    fn merge(&mut self, o: &Counter) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *o;
            return;
        }
        self.count += o.count;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

#[derive(Debug, Clone, Default)]
struct StreamLosses {
    path: PathBuf,
    events: u64,
    packets: u64,
}

/// Events of one class in one stream, with times as raw clock values: converting them to
/// nanoseconds waits for the report (the conversion keeps their order).
#[derive(Debug, Clone, Default)]
struct Seen {
    count: u64,
    first: u64,
    last: u64,
    name: String,
}

/// What was seen in one stream, and its trace's clock.
#[derive(Debug, Clone, Default)]
struct StreamSeen {
    clock: Option<Clock>,
    classes: Vec<Seen>,
}

impl StreamSeen {
    /// Counters of the classes seen, with times in nanoseconds from the clock origin.
    fn counters(&self) -> impl Iterator<Item = (&str, Counter)> + '_ {
        let ns = |raw: u64| {
            self.clock
                .as_ref()
                .and_then(|c| c.ns_from_origin(raw))
                .unwrap_or(0)
        };
        self.classes.iter().filter(|s| s.count > 0).map(move |s| {
            let counter = Counter {
                count: s.count,
                first: ns(s.first),
                last: ns(s.last),
            };
            (s.name.as_str(), counter)
        })
    }
}

/// Statistics gathered event by event.
#[derive(Default)]
pub struct Summary {
    /// [stream] → per event class counts.
    streams: Vec<StreamSeen>,
    losses: Vec<StreamLosses>,
}

impl Summary {
    pub fn new() -> Summary {
        Summary::default()
    }

    #[inline]
    pub fn add_event(&mut self, ev: &Event<'_>) {
        if self.streams.len() <= ev.stream {
            self.streams.resize_with(ev.stream + 1, StreamSeen::default);
        }
        let stream = &mut self.streams[ev.stream];
        let class = ev.cursor.event.class;
        if stream.classes.len() <= class {
            stream.clock.clone_from(&ev.meta().clock);
            stream.classes.resize_with(class + 1, Seen::default);
        }
        let seen = &mut stream.classes[class];
        let raw = ev.cursor.event.clock;
        if seen.count == 0 {
            seen.name.clone_from(&ev.class().name);
            seen.first = raw;
            seen.last = raw;
        }
        seen.count += 1;
        seen.first = seen.first.min(raw);
        seen.last = seen.last.max(raw);
    }

    pub fn add_loss(&mut self, report: &LossReport<'_>) {
        let i = match self.losses.iter().position(|l| l.path == report.path) {
            Some(i) => i,
            None => {
                self.losses.push(StreamLosses {
                    path: report.path.clone(),
                    ..Default::default()
                });
                self.losses.len() - 1
            }
        };
        match report.loss {
            Loss::Events { count, .. } => {
                self.losses[i].events = self.losses[i].events.saturating_add(count)
            }
            Loss::Packets { count, .. } => {
                self.losses[i].packets = self.losses[i].packets.saturating_add(count)
            }
        }
    }

    /// Total events discarded by the tracer, over all streams.
    pub fn discarded_events(&self) -> u64 {
        self.losses
            .iter()
            .fold(0u64, |n, l| n.saturating_add(l.events))
    }

    /// The report, as text lines. Times are shown with `calendar`.
    pub fn render(&self, calendar: Calendar) -> String {
        let mut clock = fmt::Clock::new(calendar);
        let mut by_name: BTreeMap<&str, Counter> = BTreeMap::new();
        for (name, c) in self.streams.iter().flat_map(StreamSeen::counters) {
            by_name.entry(name).or_default().merge(&c);
        }
        let mut total = Counter::default();
        by_name.values().for_each(|c| total.merge(c));
        let mut out = String::new();
        self.render_loss_banner(&mut out);
        out.push_str(&format!(
            "{} {}, {} {}",
            total.count,
            plural(total.count, "event", "events"),
            by_name.len(),
            plural(by_name.len() as u64, "event name", "event names")
        ));
        if total.count > 0 {
            out.push_str(&format!(
                ", from {} to {} ({} s)",
                time(&mut clock, total.first),
                time(&mut clock, total.last),
                seconds(total.last.saturating_sub(total.first))
            ));
        }
        out.push('\n');
        if !by_name.is_empty() {
            let width = by_name.keys().map(|n| n.len()).max().unwrap_or(0).max(5);
            out.push_str(&format!(
                "{:<width$}  {:>12}  {:<29}  {:<29}  {:>14}\n",
                "EVENT", "COUNT", "FIRST", "LAST", "RATE (/s)"
            ));
            for (name, c) in &by_name {
                out.push_str(&format!(
                    "{name:<width$}  {:>12}  {:<29}  {:<29}  {:>14}\n",
                    c.count,
                    time(&mut clock, c.first),
                    time(&mut clock, c.last),
                    rate(c)
                ));
            }
        }
        self.render_streams(&mut out);
        out
    }

    fn render_loss_banner(&self, out: &mut String) {
        let events = self.discarded_events();
        let packets = self
            .losses
            .iter()
            .fold(0u64, |n, l| n.saturating_add(l.packets));
        if events > 0 {
            out.push_str(&format!("WARNING: the tracer discarded {events} events (buffers full): this trace is incomplete\n"));
        }
        if packets > 0 {
            out.push_str(&format!(
                "WARNING: the tracer discarded {packets} packets: this trace is incomplete\n"
            ));
        }
    }

    fn render_streams(&self, out: &mut String) {
        let lossy: Vec<&StreamLosses> = self
            .losses
            .iter()
            .filter(|l| l.events > 0 || l.packets > 0)
            .collect();
        if lossy.is_empty() {
            out.push_str("no events discarded\n");
            return;
        }
        out.push_str("STREAM  DISCARDED EVENTS  DISCARDED PACKETS\n");
        for l in lossy {
            out.push_str(&format!(
                "{}  {}  {}\n",
                l.path.display(),
                l.events,
                l.packets
            ));
        }
    }
}

fn time(clock: &mut fmt::Clock, ns: i64) -> String {
    let mut out = Vec::new();
    clock.push(&mut out, ns, true);
    String::from_utf8_lossy(&out).into_owned()
}

fn seconds(ns: i64) -> String {
    let mut out = Vec::new();
    fmt::push_seconds(&mut out, ns);
    String::from_utf8_lossy(&out).into_owned()
}

fn rate(c: &Counter) -> String {
    let span = c.last.saturating_sub(c.first) as f64 / 1e9;
    if c.count < 2 || span <= 0.0 {
        return "-".to_string();
    }
    format!("{:.1}", (c.count - 1) as f64 / span)
}

/// `one` for a count of 1, `many` otherwise.
fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
