//! Record time against read time, on traces UST's serializer really wrote: for every event,
//! a filter bound with `Filter::bind_payload` to the event's payload layout and run on the
//! event's raw payload bytes (what the runtime does before committing an event) must agree
//! with `ust view --filter` reading the decoded trace. Runs on the filter test program
//! (every field kind, the side-by-side expressions) and on c-examples/fields (every field
//! macro of UST's own API, `_nowrite` fields included). Then the same programs recorded
//! under each filter (`UST_FILTER`: integer chains run by the generated serializer on the
//! arguments, the rest by libust on the payload) keep what `ust view --filter` keeps from
//! their unfiltered trace. Needs no LTTng.

mod common;
mod filter_app;
mod programs;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use ust_filter::{
    ContextField, EventLayout, FieldKind, FieldLayout, FieldValue, Filter, IntLayout, ValueKind,
};
use ust_reader::lookup::{self, Lookup, Value};
use ust_reader::types::{EnvValue, EventClass, Int, Len, Type};
use ust_reader::{open_all, Merger};

/// Expressions on c-examples/fields' events.
const FIELDS_EXPRESSIONS: &[&str] = &[
    "i8 == -128",
    "u8 == 255 || u8 == 2",
    "i16 < 0 && u16 == 65535",
    "u16 == 0x1234",
    "i32 == -2147483648",
    "u32 == 4294967295 && hex == 4294967295",
    "i64 < 0",
    "u64 == -1",
    "port == 65535",
    "port == 0x3412",
    "addr == 0x0100000a",
    "hidden == 5 || i8 == 1",
    "f == 1.5 && d == -0.25",
    "d < 0",
    r#"s == "quote*""#,
    r#"s == "*é""#,
    r#"maybe_null == "(null)""#,
    "values[0] == -1 && values[2] == 2147483647",
    "mac[1] == 0x1b && mac[5] == 0xef",
    r#"tag == "abcd" || tag == "w*""#,
    "seq[0] == 0 && seq[2] == 0x21",
    "seq_hex[1] == 0x1b",
    r#"seq_text == "ab*""#,
    r#"seq_text == """#,
    "seq[0] == 0 || 1",
    "state == 4",
    "state > 1 && state <= 3",
    r#"id == 7 && path == "/index*""#,
    "$ctx.vpid > 0 && i8 == 1",
    r#"$ctx.procname == "fields*" && i8 == 1"#,
    "1",
];

#[test]
fn filter_program_payload_bytes_agree_with_view() {
    let app = filter_app::ust_app();
    let dir = programs::Scratch::new("filter-record");
    let trace = record(&app, &dir);
    check_agreement(&trace, filter_app::EXPRESSIONS);
}

#[test]
fn fields_example_payload_bytes_agree_with_view() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../c-examples/fields");
    let app = programs::compile(
        &[src.join("fields.c"), src.join("fields-tp.c")],
        &src,
        "fields",
    );
    let dir = programs::Scratch::new("filter-record-fields");
    let trace = record(&app, &dir);
    check_agreement(&trace, FIELDS_EXPRESSIONS);
}

/// Expressions on tests/c/value-tests-tp.h's event: integer chains the serializer runs
/// (up to its 8 tests), and others libust runs.
const VALUE_EXPRESSIONS: &[&str] = &[
    "i8 < 0",
    "i8 == -128 || i8 == 127",
    "u64 < 0",
    "u64 == -1 || u64 == 0x7fffffffffffffff",
    "u64 > 1 && i8 != 0",
    "color == 1",
    "port == 0x1234",
    "port == 0x3412 || port == 0xffff",
    "flag >= 0x80 && flag != 255",
    "flag == 0xff || color == 0 || i8 == 1",
    "i8 >= -1 && i8 <= 1 && u64 != 0 && color == 0 && flag > 0",
    "i8 != 1 && i8 != 2 && i8 != 3 && i8 != 4 && i8 != 5 && i8 != 6 && i8 != 7 && u64 == 1",
    "i8 != 1 && i8 != 2 && i8 != 3 && i8 != 4 && i8 != 5 && i8 != 6 && i8 != 7 && i8 != 8 && u64 == 1",
    r#"i8 < 0 && s == "o*""#,
    "d > 100 && i8 > 0",
    "hidden == 1 || i8 == 0",
    "(i8 == 0 || color == 1) && flag == 0",
];

#[test]
fn value_tests_program_recorded_under_each_filter_keeps_what_view_keeps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let app = programs::compile_with(
        &[root.join("tools/tests/c/value_tests_app.c")],
        &[&root.join("tests/c")],
        "value_tests_app",
    );
    let dir = programs::Scratch::new("filter-record-values");
    check_recorded(&app, &dir, VALUE_EXPRESSIONS);
}

#[test]
fn fields_example_recorded_under_each_filter_keeps_what_view_keeps() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../c-examples/fields");
    let app = programs::compile(
        &[src.join("fields.c"), src.join("fields-tp.c")],
        &src,
        "fields-each-filter",
    );
    let dir = programs::Scratch::new("filter-record-fields-each");
    check_recorded(&app, &dir, FIELDS_EXPRESSIONS);
}

/// For each expression, `app` recorded with `UST_FILTER` keeps the events (names and
/// payloads, in order) `ust view --filter` keeps from its unfiltered trace.
fn check_recorded(app: &Path, dir: &Path, expressions: &[&str]) {
    let everything = recorded_events(&record(app, dir), None);
    assert!(everything.len() > 10, "{} events", everything.len());
    let mut differences = Vec::new();
    let mut selective = 0;
    for (i, expr) in expressions.iter().enumerate() {
        let trace = record_filtered(app, &dir.join(format!("filtered-{i}")), Some(expr));
        let kept = recorded_events(&trace, None);
        let expected = recorded_events(&dir.join("trace"), Some(expr));
        if kept != expected {
            differences.push(format!(
                "{expr}: recorded {} events, ust view --filter keeps {}",
                kept.len(),
                expected.len()
            ));
        }
        selective += usize::from(!kept.is_empty() && kept.len() < everything.len());
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert!(selective > expressions.len() / 2, "{selective} selective");
}

/// The events `ust view` prints from `trace` (through `--filter expr` if given), each as
/// its name and payload: the timestamp, delta, pid and CPU differ between runs.
fn recorded_events(trace: &Path, expr: Option<&str>) -> Vec<String> {
    let mut args = vec![trace.to_str().unwrap()];
    args.extend(expr.iter().flat_map(|e| ["--filter", e]));
    let out = view(&args);
    assert!(out.status.success(), "{expr:?}: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|line| {
            let name = line.find(") vt:").or_else(|| line.find(") fields:"));
            let payload = line.find("}, {");
            match (name, payload) {
                (Some(name), Some(payload)) => {
                    let name = &line[name + 2..];
                    format!(
                        "{} {}",
                        &name[..name.find(' ').unwrap()],
                        &line[payload + 3..]
                    )
                }
                _ => panic!("not an event line: {line}"),
            }
        })
        .collect()
}

fn record(app: &Path, dir: &Path) -> PathBuf {
    record_filtered(app, &dir.join("trace"), None)
}

/// Runs `app` traced into `trace`, with `UST_FILTER` set to `filter` if given.
fn record_filtered(app: &Path, trace: &Path, filter: Option<&str>) -> PathBuf {
    let mut command = Command::new(app);
    command
        .env_remove("UST_EVENTS")
        .env_remove("UST_LOGLEVEL")
        .env_remove("UST_FILTER")
        .env("UST_TRACE", trace);
    if let Some(expr) = filter {
        command.env("UST_FILTER", expr);
    }
    let run = command.output().expect("run the program");
    assert!(run.status.success(), "{}", text(&run.stderr));
    trace.to_path_buf()
}

/// For each expression: the events kept by binding to payload bytes equal those
/// `ust view --filter` keeps, and the expression keeps some events for some expression.
fn check_agreement(trace: &Path, expressions: &[&str]) {
    let all = view(&[trace.to_str().unwrap()]);
    assert!(all.status.success());
    let lines: Vec<String> = text(&all.stdout).lines().map(without_delta).collect();
    let mut differences = Vec::new();
    let mut kept_something = 0;
    for expr in expressions {
        let by_bytes = kept_by_payload_bytes(trace, expr);
        let out = view(&[trace.to_str().unwrap(), "--filter", expr]);
        assert!(out.status.success(), "{expr}: {}", text(&out.stderr));
        let by_view: Vec<usize> = text(&out.stdout)
            .lines()
            .map(|line| {
                let line = without_delta(line);
                lines
                    .iter()
                    .position(|l| *l == line)
                    .expect("a line of the trace")
            })
            .collect();
        if by_bytes != by_view {
            differences.push(format!(
                "{expr}\n  payload bytes keep {by_bytes:?}\n  ust view keeps     {by_view:?}"
            ));
        }
        kept_something += usize::from(!by_view.is_empty());
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert!(kept_something > expressions.len() / 2);
}

/// A line of `ust view` without its `(+delta)`, which depends on the line printed before.
fn without_delta(line: &str) -> String {
    match (line.find("] (+"), line.find(") ")) {
        (Some(open), Some(close)) if close > open => {
            format!("{}{}", &line[..open + 1], &line[close + 1..])
        }
        _ => line.to_string(),
    }
}

/// Indexes (in trace order) of the events whose raw payload passes `expr`, bound per event
/// class as the runtime binds it, with `vpid`, `procname` and `cpu_id` as context.
fn kept_by_payload_bytes(trace: &Path, expr: &str) -> Vec<usize> {
    let filter = Filter::parse(expr).unwrap();
    let context = [
        ContextField::new("vpid", ValueKind::Int),
        ContextField::new("procname", ValueKind::Text),
        ContextField::new("cpu_id", ValueKind::Int),
    ];
    let mut lookup = Lookup::new();
    let traces = open_all(&[trace.to_path_buf()]).unwrap();
    let mut merger = Merger::new(traces, true, false);
    let mut kept = Vec::new();
    let mut index = 0;
    while let Some(event) = merger.next_event() {
        let meta = event.meta();
        let vpid = match meta.env("vpid") {
            Some(EnvValue::Int(v)) => FieldValue::Int(*v),
            _ => panic!("no vpid in the environment"),
        };
        let procname = FieldValue::Text(meta.env_str("procname").unwrap().as_bytes());
        let stream_class = event.cursor.packet.stream_class;
        let cpu_field = lookup::context_field(meta, stream_class, event.class(), "cpu_id");
        lookup
            .read(&event, &[cpu_field.expect("cpu_id in the packet context")])
            .unwrap();
        let Some(Value::Int(cpu)) = lookup.value(0) else {
            panic!("no cpu_id")
        };
        let bound = filter.bind_payload(&layout(event.class()), &context);
        let pos = event.cursor.event;
        let payload = event.cursor.window_bytes(pos.payload, pos.end).unwrap();
        if bound.matches(payload, &[vpid, procname, FieldValue::Int(cpu)][..]) {
            kept.push(index);
        }
        index += 1;
    }
    kept
}

/// The payload layout of an event class, from its metadata, as the runtime describes it
/// from the provider's fields: a sequence's length field belongs to the sequence.
fn layout(class: &EventClass) -> EventLayout {
    let mut fields = Vec::new();
    let Some(Type::Struct(payload)) = class.payload.as_ref().map(|p| &p.ty) else {
        return EventLayout { fields };
    };
    let mut length: Option<IntLayout> = None;
    for field in &payload.fields {
        let kind = match &field.ty {
            Type::Int(i) if i.reg.is_some() => {
                length = Some(int(i));
                continue;
            }
            Type::Int(i) => FieldKind::Int(int(i)),
            Type::Enum(e) => FieldKind::Enum(int(&e.int)),
            Type::Float(f) => FieldKind::Float { bits: f.size },
            Type::String => FieldKind::String,
            Type::Array(a) => {
                let Type::Int(elem) = a.elem.as_ref() else {
                    panic!("array of non-integers in {}", class.name)
                };
                match a.len {
                    Len::Fixed(len) => FieldKind::Array {
                        elem: int(elem),
                        len: len as u32,
                        text: a.text,
                    },
                    Len::Reg(_) => FieldKind::Sequence {
                        len: length.take().expect("a length before the sequence"),
                        elem: int(elem),
                        text: a.text,
                    },
                }
            }
            other => panic!("unexpected type in {}: {other:?}", class.name),
        };
        fields.push(FieldLayout::new(field.name.clone(), kind));
    }
    EventLayout { fields }
}

fn int(i: &Int) -> IntLayout {
    IntLayout {
        bits: i.size,
        signed: i.signed,
        big_endian: i.big_endian,
    }
}
