//! `ust view --filter` on the hand-made trace, whose shapes are LTTng's and the kernel's
//! rather than UST's: bit-packed and big-endian integers, a big-endian float, an event
//! context, a variant, a nested struct; and the command's errors and warnings.

mod common;
use common::*;

fn trace(test: &str) -> std::path::PathBuf {
    let dir = scratch(&format!("view-filter-{test}"));
    write_trace(&dir);
    dir
}

/// The payload groups of the events `ust view --filter expr` prints.
fn kept(dir: &std::path::Path, expr: &str) -> Vec<String> {
    let out = view(&[dir.to_str().unwrap(), "--filter", expr]);
    assert!(out.status.success(), "{expr}: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|line| line[line.rfind("}, {").map_or(0, |i| i + 3)..].to_string())
        .collect()
}

#[test]
fn every_field_shape_of_the_hand_made_trace() {
    let dir = trace("shapes");
    let count = |expr: &str| kept(&dir, expr).len();
    assert_eq!(
        kept(&dir, "x < 0"),
        ["{ x = -7, msg = \"hello \\\"world\\\"\" }"]
    );
    assert_eq!(count("x > 40"), 3);
    assert_eq!(count(r#"msg == "*gap*""#), 1);
    assert_eq!(count("d < 0"), 1);
    assert_eq!(count("state == 2"), 1, "enumeration");
    assert_eq!(count("flags3 == 5 && small5 == -3"), 2, "bit-packed");
    assert_eq!(count("arr[1] == 0xBEEF"), 1);
    assert_eq!(count(r#"tag == "abc""#), 1);
    assert_eq!(count(r#"tag == "xy""#), 1);
    assert_eq!(count("seq[1] == 8"), 1);
    assert_eq!(
        count("seq[0] >= 0"),
        1,
        "the empty sequence has no element 0"
    );
    assert_eq!(
        count("be32 == -5 && bits12 == 0xA05 && oct12 == -9"),
        2,
        "big-endian"
    );
    assert_eq!(count("f == 1.5"), 2, "big-endian float");
    assert_eq!(count(r#"nested.a == 200 && nested.b == "in*""#), 2);
    assert_eq!(count("n == 123456789"), 1);
    assert_eq!(count("$ctx.vtid == 8"), 2, "event context");
    assert_eq!(count("$ctx.cpu_id == 1"), 3, "packet context");
    assert_eq!(count("$ctx.vpid == 4242"), 11, "environment");
    assert_eq!(count(r#"$ctx.procname == "demo""#), 11);
    assert_eq!(count("val == 77"), 0, "variants cannot be filtered on");
    assert_eq!(
        count("seq_length == 2"),
        0,
        "nor sequence lengths, as in LTTng"
    );
    // Each class lacks some of these fields: false for all, as LTTng would record none.
    assert_eq!(count("x > 40 || d < 0 || n > 0"), 0);
}

#[test]
fn filter_combines_with_the_other_options() {
    let dir = trace("options");
    let d = dir.to_str().unwrap();
    let out = view(&[d, "--events", "myprov:hello", "--filter", "x > 1"]);
    assert_eq!(text(&out.stdout).lines().count(), 4);
    let out = view(&[d, "--filter", "$ctx.vtid == 9", "--summary"]);
    assert!(
        text(&out.stdout).contains("\n2 events, 1 event name"),
        "{}",
        text(&out.stdout)
    );
    let out = view(&[d, "--filter", "-x == 7", "--format", "json"]);
    let json = text(&out.stdout);
    assert_eq!(json.lines().count(), 1);
    assert!(json.contains("\"x\":-7"), "{json}");
}

#[test]
fn a_bad_expression_is_one_line_naming_the_column() {
    let dir = trace("bad");
    let out = view(&[dir.to_str().unwrap(), "--filter", "duration_ns > 1 &&"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "ust view: filter: column 19: expected an operand after '&&'\n"
    );
    let out = view(&[dir.to_str().unwrap(), "--filter", "s == 1.5 ||"]);
    assert_eq!(
        text(&out.stderr),
        "ust view: filter: column 12: expected an operand after '||'\n"
    );
}

#[test]
fn a_field_no_event_has_is_reported() {
    let dir = trace("missing");
    let out = view(&[
        dir.to_str().unwrap(),
        "--filter",
        "durat1on > 5 || $ctx.vtid == 99",
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let warning = "ust view: filter: no event has the field durat1on: \
                   the filter is false for every event\n";
    assert!(
        text(&out.stderr).ends_with(warning),
        "{}",
        text(&out.stderr)
    );
}
