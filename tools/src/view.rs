//! `ust view`: print the events of traces, merged by time, as babeltrace2 does by default;
//! or as JSON lines; or as a Chrome/Perfetto timeline; or a summary.

use crate::live::Live;
use crate::localtime;
use crate::timespec::TimeSpec;
use crate::view_filter::ExprFilter;
use clap::ValueEnum;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use ust_reader::{open_all, Chrome, Event, Json, Merger, Pretty, ReadError, Summary};

/// Print trace events, one per line, merged by time across streams and traces.
///
/// Reads every CTF 1.8 trace babeltrace2 2.0 reads: UST, LTTng-UST 2.x, LTTng kernel,
/// barectf. By default the text is exactly what `babeltrace2 DIR…` prints. Times are local time (set TZ=UTC for UTC). Warnings about events
/// the tracer discarded go to stderr.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Trace directories; each is searched recursively for traces (a `metadata` file beside
    /// stream files), e.g. a whole LTTng session output directory.
    #[arg(required_unless_present = "live", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Follow a live session on an LTTng relay (lttng-relayd's live port, default 5344),
    /// from its beginning until it ends: net://RELAY[:PORT]/host/HOSTNAME/SESSION.
    #[arg(long, value_name = "URL", conflicts_with_all = ["dirs", "follow", "summary"])]
    pub live: Option<String>,

    /// Only events whose name matches GLOB (`*` any run, `?` one character). Repeat to
    /// allow several patterns.
    #[arg(long = "events", value_name = "GLOB")]
    pub events: Vec<String>,

    /// Skip events before TIME: HH:MM:SS[.NS] (local, on the first event's day),
    /// 'YYYY-MM-DD HH:MM:SS[.NS]' (local), @SECONDS[.NS] since the epoch, or an offset from
    /// the first event such as +1.5s, +20ms, +3us.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub begin: Option<TimeSpec>,

    /// Stop after TIME (same forms as --begin).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub end: Option<TimeSpec>,

    /// Only events of process PID: from a `vpid` context field, else the trace's `vpid`
    /// (per-process traces). Repeat for several processes.
    #[arg(long, value_name = "PID")]
    pub pid: Vec<i64>,

    /// Only events for which EXPR is true: LTTng's filter language, e.g.
    /// 'duration_ns > 10000000 && table == "orders*"' or '$ctx.vpid == 1234' (see the
    /// README's "Filtering events").
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,

    /// Output format: babeltrace2's text; JSON lines with typed values; or `chrome`, the
    /// Trace Event Format that Perfetto's UI (ui.perfetto.dev) and chrome://tracing open as a
    /// timeline (a track per process and thread, `*_entry`/`*_exit`, `*_begin`/`*_end` and
    /// `*_start`/`*_end` pairs as slices): `ust view --format chrome DIR > trace.json`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Instead of events, print per event name: count, first and last time, rate; and the
    /// events and packets the tracer discarded, per stream (flagged first when non-zero).
    #[arg(long, conflicts_with = "follow")]
    pub summary: bool,

    /// Keep reading a trace that is still being written: wait for new packets, streams and
    /// metadata, until interrupted (Ctrl-C).
    #[arg(long, short = 'f')]
    pub follow: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Chrome,
}

/// How often `--follow` looks for new data.
const POLL: Duration = Duration::from_millis(200);

pub fn run(args: Args) -> ExitCode {
    if args.follow && args.format == Format::Chrome {
        eprintln!("ust view: error: --format chrome writes one document for the whole trace: it cannot --follow");
        return ExitCode::from(2);
    }
    let expr = match args.filter.as_deref().map(ExprFilter::new).transpose() {
        Ok(expr) => expr,
        Err(e) => {
            eprintln!("ust view: filter: {e}");
            return ExitCode::from(2);
        }
    };
    let live = match args.live.as_deref().map(Live::start).transpose() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ust view: error: {e}");
            return ExitCode::from(1);
        }
    };
    let dirs = live
        .as_ref()
        .map_or(args.dirs.clone(), |l| vec![l.dir().to_path_buf()]);
    let traces = match open_all(&dirs) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    for t in &traces {
        for w in &t.meta.warnings {
            let path = t.dir.join("metadata");
            eprintln!(
                "ust view: warning: {}: metadata line {}: {}",
                path.display(),
                w.line,
                w.msg
            );
        }
    }
    let clock = traces.first().and_then(|t| t.meta.clock.clone());
    let mut merger = Merger::new(traces, !args.summary, args.follow || live.is_some());
    if args.format == Format::Text && !args.summary {
        // Text lines decode every part of every event: once is enough.
        merger.decode_once();
    }
    let mut filter = Filter::new(&args, merger.earliest(), expr);
    let result = if args.summary {
        summarize(merger, &mut filter)
    } else {
        let more = |m: &mut Merger| match &live {
            None => args.follow,
            Some(l) => {
                let done = l.finished();
                let horizon = match (l.horizon(), &clock) {
                    (u64::MAX, _) | (_, None) => i64::MAX,
                    (cycles, Some(c)) => c.ns_from_origin(cycles).unwrap_or(i64::MAX),
                };
                m.set_horizon(horizon);
                !done
            }
        };
        print_events(merger, &mut filter, &args, &more)
    };
    for path in filter.expr.iter().flat_map(ExprFilter::never_found) {
        eprintln!(
            "ust view: filter: no event has the field {path}: the filter is false for every event"
        );
    }
    if let Some(e) = live.as_ref().and_then(Live::error) {
        eprintln!("ust view: error: {e}");
        return ExitCode::from(1);
    }
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ust view: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

fn fail(e: &ReadError) -> ExitCode {
    eprintln!("ust view: error: {e}");
    ExitCode::from(1)
}

/// Which events to show.
struct Filter {
    globs: Vec<String>,
    pids: Vec<i64>,
    begin: i64,
    end: i64,
    /// [stream][event class] → shown? (None until first asked)
    by_class: Vec<Vec<Option<bool>>>,
    expr: Option<ExprFilter>,
}

impl Filter {
    fn new(args: &Args, first: Option<i64>, expr: Option<ExprFilter>) -> Filter {
        let first = first.unwrap_or(0);
        Filter {
            globs: args.events.clone(),
            pids: args.pid.clone(),
            begin: args.begin.as_ref().map_or(i64::MIN, |t| t.resolve(first)),
            end: args.end.as_ref().map_or(i64::MAX, |t| t.resolve(first)),
            by_class: Vec::new(),
            expr,
        }
    }

    fn accepts(&mut self, ev: &Event<'_>) -> bool {
        if self.begin != i64::MIN || self.end != i64::MAX {
            let ns = ev.ns();
            if ns < self.begin || ns > self.end {
                return false;
            }
        }
        if !self.pids.is_empty() && !ev.vpid().is_some_and(|p| self.pids.contains(&p)) {
            return false;
        }
        (self.globs.is_empty() || self.name_matches(ev))
            && match &mut self.expr {
                Some(expr) => expr.accepts(ev),
                None => true,
            }
    }

    fn name_matches(&mut self, ev: &Event<'_>) -> bool {
        if self.by_class.len() <= ev.stream {
            self.by_class.resize_with(ev.stream + 1, Vec::new);
        }
        let classes = &mut self.by_class[ev.stream];
        let class = ev.cursor.event.class;
        if classes.len() <= class {
            classes.resize(class + 1, None);
        }
        let name = &ev.class().name;
        *classes[class]
            .get_or_insert_with(|| self.globs.iter().any(|g| ust::glob::matches(g, name)))
    }
}

/// Prints events; Ok(false) when some stream could not be read completely. Goes on reading
/// as the trace grows while `more` says so (asked before each refresh, so the last data
/// written before it turned false is still read; it may also move the merger's horizon).
fn print_events(
    mut merger: Merger,
    filter: &mut Filter,
    args: &Args,
    more: &dyn Fn(&mut Merger) -> bool,
) -> io::Result<bool> {
    let mut going = more(&mut merger);
    // Whole lines go straight to stdout in large chunks; no second buffer.
    let mut out = io::stdout().lock();
    let mut pretty = Pretty::new(localtime::local);
    let mut json = Json::new(localtime::local);
    let mut chrome = Chrome::new(merger.earliest().unwrap_or(0));
    let mut buf = Vec::with_capacity(1 << 19);
    let mut ok = true;
    if args.format == Format::Chrome {
        chrome.begin(&mut buf);
    }
    loop {
        while let Some(ev) = merger.next_event() {
            if ev.ns() > filter.end && !going {
                break;
            }
            if filter.accepts(&ev) {
                let written = match args.format {
                    Format::Text => pretty.event(&ev, &mut buf),
                    Format::Json => json.event(&ev, &mut buf),
                    Format::Chrome => chrome.event(&ev, &mut buf),
                };
                if let Err(e) = written {
                    ok = false;
                    eprintln!("ust view: error: {e}");
                }
                if buf.len() >= 1 << 18 {
                    out.write_all(&buf)?;
                    buf.clear();
                }
            }
            if merger.has_reports() {
                ok &= report(&mut merger, &mut pretty, &mut out, &mut buf)?;
            }
        }
        ok &= report(&mut merger, &mut pretty, &mut out, &mut buf)?;
        if args.format == Format::Chrome {
            chrome.finish(&mut buf);
        }
        out.write_all(&buf)?;
        buf.clear();
        out.flush()?;
        if !going {
            return Ok(ok);
        }
        std::thread::sleep(POLL);
        going = more(&mut merger);
        merger.refresh();
    }
}

/// Writes pending loss warnings and read errors to stderr (after the events printed so far,
/// so both streams read in order on a terminal). False if there were errors.
fn report(
    merger: &mut Merger,
    pretty: &mut Pretty,
    out: &mut impl Write,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    let errors = merger.take_errors();
    let warnings = merger.take_warnings();
    let losses = merger.take_losses();
    if errors.is_empty() && losses.is_empty() && warnings.is_empty() {
        return Ok(true);
    }
    out.write_all(buf)?;
    buf.clear();
    out.flush()?;
    for l in &losses {
        let stream = absolute(&l.path).display().to_string();
        eprintln!(
            "{}",
            pretty.loss(
                &l.loss,
                &l.trace.name(),
                &stream,
                l.stream_class,
                l.stream_id,
                &l.trace.meta
            )
        );
    }
    for w in &warnings {
        eprintln!("ust view: warning: {w}");
    }
    for e in &errors {
        eprintln!("ust view: error: {e}");
    }
    Ok(errors.is_empty())
}

/// Prints the summary; Ok(false) when some stream could not be read completely.
fn summarize(mut merger: Merger, filter: &mut Filter) -> io::Result<bool> {
    let mut summary = Summary::new();
    let mut ok = true;
    while let Some(ev) = merger.next_event() {
        if filter.accepts(&ev) {
            summary.add_event(&ev);
        }
        if merger.has_reports() {
            ok &= summary_reports(&mut merger, &mut summary);
        }
    }
    ok &= summary_reports(&mut merger, &mut summary);
    let mut out = io::stdout().lock();
    out.write_all(summary.render(localtime::local).as_bytes())?;
    out.flush()?;
    Ok(ok)
}

/// Counts pending losses in the summary and prints pending warnings and errors; false if
/// there were errors.
fn summary_reports(merger: &mut Merger, summary: &mut Summary) -> bool {
    for l in merger.take_losses() {
        summary.add_loss(&l);
    }
    for w in merger.take_warnings() {
        eprintln!("ust view: warning: {w}");
    }
    let errors = merger.take_errors();
    for e in &errors {
        eprintln!("ust view: error: {e}");
    }
    errors.is_empty()
}

/// `path` made absolute and cleaned of `.` and `..` without resolving symbolic links, as
/// babeltrace2 names stream files in its warnings.
fn absolute(path: &Path) -> PathBuf {
    let full = std::env::current_dir().unwrap_or_default().join(path);
    let mut out = PathBuf::new();
    for c in full.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
