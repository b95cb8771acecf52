//! The language as written: every operator, LTTng's precedence, every literal form, and
//! the one-line errors with their columns. `Filter`'s `Display` shows the tree fully
//! parenthesized, which is how these tests see the parse.

use ust_filter::{Filter, Scope, Segment};

fn tree(source: &str) -> String {
    match Filter::parse(source) {
        Ok(filter) => filter.to_string(),
        Err(e) => panic!("{source:?} does not parse: {e}"),
    }
}

fn error(source: &str) -> String {
    match Filter::parse(source) {
        Ok(filter) => panic!("{source:?} parses as {filter}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_binary_operator() {
    for op in [
        "==", "!=", "<", "<=", ">", ">=", "&", "|", "^", "<<", ">>", "+", "-", "*", "/", "%",
    ] {
        assert_eq!(tree(&format!("a {op} b")), format!("(a {op} b)"));
    }
    assert_eq!(tree("a && b"), "(a && b)");
    assert_eq!(tree("a || b"), "(a || b)");
}

#[test]
fn every_unary_operator() {
    assert_eq!(tree("!a"), "(!a)");
    assert_eq!(tree("~a"), "(~a)");
    assert_eq!(tree("-a"), "(-a)");
    assert_eq!(tree("+a"), "(+a)");
    assert_eq!(tree("!-~+a"), "(!(-(~(+a))))");
    assert_eq!(tree("- -1"), "(-(-1))");
}

#[test]
fn bitwise_operators_bind_tighter_than_comparisons() {
    assert_eq!(tree("flags & 0x10 == 0x10"), "((flags & 16) == 16)");
    assert_eq!(tree("a | b != c ^ d"), "((a | b) != (c ^ d))");
    assert_eq!(tree("a < b & c"), "(a < (b & c))");
}

#[test]
fn precedence_ladder_from_loosest_to_tightest() {
    assert_eq!(
        tree("a || b && c == d < e | f ^ g & h << i + j * k"),
        "(a || (b && (c == (d < (e | (f ^ (g & (h << (i + (j * k))))))))))"
    );
    assert_eq!(
        tree("a * b + c << d & e ^ f | g < h == i && j || k"),
        "((((((((((a * b) + c) << d) & e) ^ f) | g) < h) == i) && j) || k)"
    );
    assert_eq!(tree("-a * b"), "((-a) * b)");
    assert_eq!(tree("!a == b"), "((!a) == b)");
}

#[test]
fn binary_operators_associate_left_and_chains_stay_flat() {
    assert_eq!(tree("a - b - c"), "((a - b) - c)");
    assert_eq!(tree("a / b % c"), "((a / b) % c)");
    assert_eq!(tree("a == b != c"), "((a == b) != c)");
    assert_eq!(tree("a < b >= c"), "((a < b) >= c)");
    assert_eq!(tree("a >> b << c"), "((a >> b) << c)");
    assert_eq!(tree("a && b && c"), "(a && b && c)");
    assert_eq!(tree("a || b || c && d"), "(a || b || (c && d))");
}

#[test]
fn parentheses_override_precedence() {
    assert_eq!(tree("(a || b) && c"), "((a || b) && c)");
    assert_eq!(tree("a & (b == c)"), "(a & (b == c))");
    assert_eq!(tree("((((a))))"), "a");
}

#[test]
fn integer_literals() {
    assert_eq!(tree("a == 42"), "(a == 42)");
    assert_eq!(tree("a == 0x2A"), "(a == 42)");
    assert_eq!(tree("a == 0X2a"), "(a == 42)");
    assert_eq!(tree("a == 052"), "(a == 42)");
    assert_eq!(tree("a == 0"), "(a == 0)");
    assert_eq!(tree("a == 42u && a == 42UL && a == 42llu && a == 42LLU"), {
        "((a == 42) && (a == 42) && (a == 42) && (a == 42))"
    });
    assert_eq!(
        tree("a == 18446744073709551615"),
        "(a == 18446744073709551615)"
    );
    assert_eq!(
        tree("a == 0xffffffffffffffff"),
        "(a == 18446744073709551615)"
    );
}

#[test]
fn float_literals() {
    assert_eq!(tree("a == 1.5"), "(a == 1.5)");
    assert_eq!(tree("a == .5"), "(a == 0.5)");
    assert_eq!(tree("a == 5."), "(a == 5.0)");
    assert_eq!(tree("a == 1e3"), "(a == 1000.0)");
    assert_eq!(tree("a == 2.5E-1"), "(a == 0.25)");
    assert_eq!(tree("a == 0.5f && a == 0.5L"), "((a == 0.5) && (a == 0.5))");
    assert_eq!(tree("a == 0x1.8p1"), "(a == 3.0)");
}

#[test]
fn string_literals() {
    assert_eq!(tree(r#"s == "abc""#), r#"(s == "abc")"#);
    assert_eq!(tree("s == 'abc'"), r#"(s == "abc")"#);
    assert_eq!(tree(r#"s == L"abc""#), r#"(s == "abc")"#);
    assert_eq!(tree(r#"s == """#), r#"(s == "")"#);
    assert_eq!(tree(r#"s == "a\*b\\c""#), r#"(s == "a\*b\\c")"#);
    assert_eq!(tree(r#"s == "é*""#), r#"(s == "é*")"#);
    // Runs of stars in a pattern are one star.
    assert_eq!(tree(r#"s == "a**b***""#), r#"(s == "a*b*")"#);
    assert_eq!(tree(r#"s == "a\***b""#), r#"(s == "a\**b")"#);
    // Ordering comparisons accept a literal whose only star ends it (a prefix).
    assert_eq!(tree(r#"s < "ab*""#), r#"(s < "ab*")"#);
}

#[test]
fn field_paths() {
    assert_eq!(tree("a.b->c[3][0x1] == 1"), "(a.b.c[3][1] == 1)");
    assert_eq!(tree("$ctx.vpid == 1"), "($ctx.vpid == 1)");
    assert_eq!(tree("$app.myprov:myctx == 1"), "($app.myprov:myctx == 1)");
    let filter = Filter::parse("x[2].y == $ctx.procname").unwrap();
    let paths: Vec<_> = filter.paths().collect();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0].scope, Scope::Payload);
    assert_eq!(
        paths[0].segments,
        vec![
            Segment::Name("x".into()),
            Segment::Index(2),
            Segment::Name("y".into())
        ]
    );
    assert_eq!(paths[1].scope, Scope::Context);
    assert_eq!(paths[1].root_name(), "procname");
}

#[test]
fn blanks_and_comments() {
    assert_eq!(tree("\ta\n==\t1 /* one */ // done"), "(a == 1)");
}

#[test]
fn a_field_or_a_number_alone_is_a_filter() {
    assert_eq!(tree("a"), "a");
    assert_eq!(tree("1"), "1");
    assert_eq!(tree(r#""a" == "a""#), r#"("a" == "a")"#);
}

#[test]
fn errors_name_the_column() {
    let cases: &[(&str, &str)] = &[
        ("", "column 1: empty filter expression"),
        ("   ", "column 4: empty filter expression"),
        ("duration_ns > 1 &&", "column 19: expected an operand after '&&'"),
        ("a == 1 && )", "column 11: expected an operand after '&&', found ')'"),
        ("a ||", "column 5: expected an operand after '||'"),
        ("a == ", "column 6: expected an operand after '=='"),
        ("a + * b", "column 5: expected an operand after '+', found '*'"),
        ("-", "column 2: expected an operand after '-'"),
        ("(a == 1", "column 8: expected ')' to close the '(' of column 1, found the end of the expression"),
        ("()", "column 2: expected an operand after '(', found ')'"),
        ("a b", "column 3: expected an operator before 'b'"),
        ("a == 1)", "column 7: expected an operator before ')'"),
        ("a[b] == 1", "column 3: an array index must be an integer constant, as in [0]"),
        ("a[-1] == 1", "column 3: an array index must be an integer constant, as in [0]"),
        ("a[1 == 1", "column 5: expected ']' after the index, found '=='"),
        ("a. == 1", "column 4: expected a field name after '.', found '=='"),
        ("a->1 == 1", "column 4: expected a field name after '->', found a number"),
        ("$ctx == 1", "column 6: expected '.NAME' after '$ctx' (as in $ctx.vpid)"),
        ("$ctx.1 == 1", "column 5: expected '.NAME' after '$ctx' (as in $ctx.vpid)"),
        ("$ctx. == 1", "column 7: expected a name after '$ctx.', found '=='"),
        ("$foo.bar == 1", "column 1: unknown '$foo': use $ctx.NAME or $app.NAME"),
        ("a = 1", "column 3: unexpected '=': compare with '=='"),
        ("a == 1 ? 2", "column 8: unexpected character '?'"),
        ("a == 08", "column 7: invalid digit in octal constant '08'"),
        ("a == 99999999999999999999", "column 6: integer constant 99999999999999999999 does not fit in 64 bits"),
        ("a == 1x", "column 6: invalid number '1x'"),
        ("a == 1.2.3", "column 6: invalid number '1.2.'"),
        ("a == 1e", "column 7: exponent has no digits"),
        (r#"s == "ab\n""#, r#"column 9: unsupported escape in a string: only '\\' and '\*' are allowed"#),
        (r#"s == "abc"#, "column 6: string is never closed"),
        ("a /* x", "column 3: comment '/*' is never closed"),
        // What LTTng's IR checks refuse.
        (r#""abc""#, r#"column 1: a string alone is not a filter: compare it, as in name == "text""#),
        ("1.5", "column 1: a floating-point constant alone is not a filter"),
        ("-1.5", "column 1: a floating-point constant alone is not a filter"),
        ("(!1.5)", "column 2: a floating-point constant alone is not a filter"),
        (r#"!"abc" == 1"#, "column 1: unary '!' cannot take a string"),
        (r#"-"abc""#, "column 1: unary '-' cannot take a string"),
        (r#""a" == 1"#, "column 5: '==' cannot compare a string with a number"),
        (r#"1.5 < "a""#, "column 5: '<' cannot compare a string with a number"),
        (r#"a && "x""#, "column 6: '&&' cannot take a string operand"),
        (r#""x" || a"#, "column 1: '||' cannot take a string operand"),
        (r#"a & "x""#, "column 3: '&' cannot take a string operand"),
        (r#"a + "x" == 1"#, "column 3: '+' cannot take a string operand"),
        ("1.5 & a", "column 5: '&' cannot take a floating-point operand"),
        ("a << 0.5", "column 3: '<<' cannot take a floating-point operand"),
        (r#""a*b" == "c*""#, "column 7: cannot compare two globbing patterns"),
        (r#""a*b" == "c*d""#, "column 7: cannot compare two globbing patterns"),
        (r#"s < "a*b""#, "column 3: only '==' and '!=' can compare with a globbing pattern ('*' inside a string)"),
        (r#""*b" >= s"#, "column 6: only '==' and '!=' can compare with a globbing pattern ('*' inside a string)"),
    ];
    for (source, expected) in cases {
        assert_eq!(&error(source), expected, "for {source:?}");
    }
}

#[test]
fn lttng_accepts_these_so_ust_does() {
    for source in [
        r#""a*b" == "cd""#,
        r#""ab*" == "cd*""#,
        r#"s == "*""#,
        r#""a*" < s"#,
        "a.b == 1",
        "a->b == 1",
        "$app.x:y == 1",
        "arr[1][2] == 1",
        "n << 64",
        "1 || n",
        "0.5 && n",
        "~d == 1",
    ] {
        assert!(Filter::parse(source).is_ok(), "{source:?} refused");
    }
}

#[test]
fn errors_count_columns_in_characters() {
    assert_eq!(
        error(r#"s == "é" &&"#),
        "column 12: expected an operand after '&&'"
    );
}

#[test]
fn limits_are_errors_not_crashes() {
    let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
    assert!(error(&deep).contains("nested more than 64 levels"));
    let long_chain = vec!["a"; 100].join(" + ");
    assert!(error(&long_chain).contains("nested more than 64 levels"));
    let unary = format!("{}a", "-".repeat(1000));
    assert!(error(&unary).contains("nested more than 64 levels"));
    let wide = format!("a {}", "== (b ".repeat(20)) + &")".repeat(20);
    assert!(
        error(&wide).contains("more than 16 intermediate values"),
        "{}",
        error(&wide)
    );
    let huge = "a".repeat(ust_filter::MAX_SOURCE_LEN + 1);
    assert_eq!(
        error(&huge),
        "column 1: expression is longer than 65536 bytes"
    );
    // Long || chains are flat: a list of 2000 alternatives is fine.
    let alternatives: Vec<String> = (0..2000).map(|i| format!("pid == {i}")).collect();
    assert!(Filter::parse(&alternatives.join(" || ")).is_ok());
}

#[test]
fn parsing_the_deepest_accepted_expression_fits_a_small_thread_stack() {
    let deep = format!("{}a{} == 1", "(-".repeat(31), ")".repeat(31));
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || Filter::parse(&deep).map(|f| f.to_string()))
        .unwrap();
    assert!(handle.join().unwrap().is_ok());
}
