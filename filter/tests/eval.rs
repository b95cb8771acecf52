//! Evaluation on every field kind of the payload layout, with LTTng-UST 2.13's semantics
//! (the expected answers below are what LTTng-UST keeps for the same values; see
//! tests/filter_lttng.rs at the top of the repository for the side-by-side run), and on
//! hostile payloads.

use ust_filter::*;

fn int(bits: u32, signed: bool) -> IntLayout {
    IntLayout::new(bits, signed)
}

fn network(bits: u32, signed: bool) -> IntLayout {
    IntLayout {
        big_endian: true,
        ..IntLayout::new(bits, signed)
    }
}

/// Every kind of field, fixed-size ones first, then variable-size ones, then a field whose
/// place depends on them.
fn layout() -> EventLayout {
    let f = FieldLayout::new;
    EventLayout {
        fields: vec![
            f("n", FieldKind::Int(int(32, true))),
            f("i8", FieldKind::Int(int(8, true))),
            f("u8", FieldKind::Int(int(8, false))),
            f("i16", FieldKind::Int(int(16, true))),
            f("u16", FieldKind::Int(int(16, false))),
            f("i32", FieldKind::Int(int(32, true))),
            f("u32", FieldKind::Int(int(32, false))),
            f("i64", FieldKind::Int(int(64, true))),
            f("u64", FieldKind::Int(int(64, false))),
            f("net", FieldKind::Int(network(16, false))),
            f("snet", FieldKind::Int(network(32, true))),
            f("color", FieldKind::Enum(int(32, true))),
            f("level", FieldKind::Enum(int(8, false))),
            f("f", FieldKind::Float { bits: 32 }),
            f("d", FieldKind::Float { bits: 64 }),
            f(
                "tag",
                FieldKind::Array {
                    elem: int(8, false),
                    len: 4,
                    text: true,
                },
            ),
            f(
                "arr",
                FieldKind::Array {
                    elem: int(32, true),
                    len: 3,
                    text: false,
                },
            ),
            f("s", FieldKind::String),
            f(
                "seq",
                FieldKind::Sequence {
                    len: int(64, false),
                    elem: int(16, false),
                    text: false,
                },
            ),
            f(
                "st",
                FieldKind::Sequence {
                    len: int(8, false),
                    elem: int(8, false),
                    text: true,
                },
            ),
            f(
                "hdr",
                FieldKind::Struct(vec![
                    f("a", FieldKind::Int(int(8, false))),
                    f("b", FieldKind::String),
                ]),
            ),
            f("after", FieldKind::Int(int(32, true))),
        ],
    }
}

fn context() -> Vec<ContextField> {
    vec![
        ContextField::new("vpid", ValueKind::Int),
        ContextField::new("procname", ValueKind::Text),
        ContextField::new("ratio", ValueKind::Float),
        ContextField::new("$app.prov:ctx", ValueKind::Int),
    ]
}

/// Values of one event, serialized as UST does.
#[derive(Clone)]
struct Event {
    n: i32,
    i64: i64,
    u64: u64,
    color: i32,
    level: u8,
    d: f64,
    tag: [u8; 4],
    arr: [i32; 3],
    s: &'static [u8],
    seq: Vec<u16>,
    st: &'static [u8],
    hdr: (u8, &'static [u8]),
    after: i32,
}

impl Default for Event {
    fn default() -> Event {
        Event {
            n: 0,
            i64: 0,
            u64: 0,
            color: 0,
            level: 0,
            d: 0.0,
            tag: *b"ab\0\0",
            arr: [1, 2, 3],
            s: b"abc",
            seq: vec![5, 65535],
            st: b"ab",
            hdr: (7, b"xyz"),
            after: 99,
        }
    }
}

impl Event {
    fn payload(&self) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&self.n.to_le_bytes());
        p.push(self.i64 as u8);
        p.push(self.u64 as u8);
        p.extend_from_slice(&(self.i64 as i16).to_le_bytes());
        p.extend_from_slice(&(self.u64 as u16).to_le_bytes());
        p.extend_from_slice(&(self.i64 as i32).to_le_bytes());
        p.extend_from_slice(&(self.u64 as u32).to_le_bytes());
        p.extend_from_slice(&self.i64.to_le_bytes());
        p.extend_from_slice(&self.u64.to_le_bytes());
        p.extend_from_slice(&(self.u64 as u16).to_be_bytes());
        p.extend_from_slice(&(self.i64 as i32).to_be_bytes());
        p.extend_from_slice(&self.color.to_le_bytes());
        p.push(self.level);
        p.extend_from_slice(&(self.d as f32).to_le_bytes());
        p.extend_from_slice(&self.d.to_le_bytes());
        p.extend_from_slice(&self.tag);
        for v in self.arr {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(self.s);
        p.push(0);
        p.extend_from_slice(&(self.seq.len() as u64).to_le_bytes());
        for v in &self.seq {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.push(self.st.len() as u8);
        p.extend_from_slice(self.st);
        p.push(self.hdr.0);
        p.extend_from_slice(self.hdr.1);
        p.push(0);
        p.extend_from_slice(&self.after.to_le_bytes());
        p
    }
}

impl Event {
    /// Each field's value as UST's C serializer has it before writing (the argument
    /// converted to the field's type, then to `int64_t`), indexed as `layout()`'s fields;
    /// non-integers get a value no test should read.
    fn values(&self) -> Vec<i64> {
        let unreadable = i64::MIN + 12345;
        let mut v = vec![unreadable; 22];
        v[0] = i64::from(self.n);
        v[1] = i64::from(self.i64 as i8);
        v[2] = i64::from(self.u64 as u8);
        v[3] = i64::from(self.i64 as i16);
        v[4] = i64::from(self.u64 as u16);
        v[5] = i64::from(self.i64 as i32);
        v[6] = i64::from(self.u64 as u32);
        v[7] = self.i64;
        v[8] = self.u64 as i64;
        // Network-order fields: the serializer has their big-endian bytes, not the number.
        v[9] = i64::from((self.u64 as u16).swap_bytes());
        v[10] = i64::from((self.i64 as i32).swap_bytes());
        v[11] = i64::from(self.color);
        v[12] = i64::from(self.level);
        v[21] = i64::from(self.after);
        v
    }
}

fn ctx_values() -> [FieldValue<'static>; 4] {
    [
        FieldValue::Int(4242),
        FieldValue::Text(b"app-ust"),
        FieldValue::Float(0.75),
        FieldValue::Int(1),
    ]
}

fn bound(expr: &str) -> Bound {
    Filter::parse(expr)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .bind_payload(&layout(), &context())
}

fn keeps(expr: &str, event: &Event) -> bool {
    bound(expr).matches(&event.payload(), &ctx_values()[..])
}

fn ints(i: i64, u: u64) -> Event {
    Event {
        i64: i,
        u64: u,
        ..Event::default()
    }
}

#[test]
fn signed_integers_are_sign_extended() {
    let e = ints(-42, 0);
    for expr in [
        "i8 == -42",
        "i16 == -42",
        "i32 == -42",
        "i64 == -42",
        "i8 < 0",
    ] {
        assert!(keeps(expr, &e), "{expr}");
    }
    assert!(
        keeps("i8 == -128", &ints(128, 0)),
        "i8 wraps like the C cast"
    );
}

#[test]
fn unsigned_integers_keep_their_bits_and_compare_signed() {
    let max = ints(0, u64::MAX);
    for expr in [
        "u8 == 255",
        "u16 == 65535",
        "u32 == 4294967295",
        "u64 == -1",
        "u64 < 0",
    ] {
        assert!(keeps(expr, &max), "{expr}");
    }
    assert!(keeps("u64 == 18446744073709551615", &max));
    assert!(keeps("u64 == 0xffffffffffffffff", &max));
    assert!(
        keeps("u64 < 0.5", &max),
        "unsigned vs float goes through signed"
    );
    assert!(keeps("u64 < 0", &ints(0, 1 << 63)));
    assert!(!keeps("u64 > 0", &ints(0, 1 << 63)));
    assert!(keeps("u64 > 0", &ints(0, (1 << 63) - 1)));
}

#[test]
fn network_order_integers_read_big_endian() {
    let e = ints(-2, 0x1234);
    assert!(keeps("net == 0x1234", &e));
    assert!(keeps("snet == -2", &e));
}

#[test]
fn enumerations_compare_as_their_integer() {
    let e = Event {
        color: -5,
        level: 200,
        ..Event::default()
    };
    assert!(keeps("color == -5", &e));
    assert!(keeps("5 != color", &e));
    assert!(keeps("level > 100 && level == 200", &e));
    assert!(keeps("color", &e), "non-zero alone is true");
}

#[test]
fn floats_and_integers_compare_as_floats() {
    let e = Event {
        d: 42.25,
        n: 42,
        ..Event::default()
    };
    assert!(keeps("d == 42.25", &e));
    assert!(keeps("f == 42.25", &e), "exact in float too");
    assert!(keeps("d > n && n < d", &e));
    assert!(keeps("d > 42", &e));
    assert!(!keeps("d == 42", &e));
    let tenth = Event {
        d: 0.1,
        ..Event::default()
    };
    assert!(
        !keeps("f == 0.1", &tenth),
        "float widened is not the double 0.1"
    );
    assert!(keeps("d == 0.1", &tenth));
    assert!(keeps("d == 1e-1", &tenth));
}

#[test]
fn logical_operands_that_are_floats_are_truncated() {
    let half = Event {
        d: 0.5,
        ..Event::default()
    };
    assert!(!keeps("d && 1", &half), "(int64) 0.5 is 0");
    assert!(keeps("d > 0 && 1", &half));
    let one = Event {
        d: -1.5,
        ..Event::default()
    };
    assert!(keeps("d && 1", &one));
    assert!(keeps("0 || d", &one));
    assert!(!keeps("d", &one), "a float alone is not a filter's answer");
    assert!(!keeps("0.5 && 1", &one));
}

#[test]
fn strings_compare_like_lttng() {
    let s = |s: &'static [u8]| Event {
        s,
        ..Event::default()
    };
    assert!(keeps(r#"s == "abc""#, &s(b"abc")));
    assert!(!keeps(r#"s == "abc""#, &s(b"abcd")));
    assert!(keeps(r#"s == "ab*""#, &s(b"abcd")));
    assert!(keeps(r#"s == "ab*""#, &s(b"ab")));
    assert!(keeps(r#"s == "*c""#, &s(b"abc")));
    assert!(keeps(r#"s == "*c""#, &s(b"ab*c")));
    assert!(keeps(r#"s == "a*c*e""#, &s(b"abcde")));
    assert!(keeps(r#"s != "*c""#, &s(b"abd")));
    assert!(keeps(r#"s == "hello\*""#, &s(b"hello*")));
    assert!(!keeps(r#"s == "hello\*""#, &s(b"hellox")));
    assert!(keeps(r#"s == "back\\slash""#, &s(b"back\\slash")));
    assert!(keeps(r#"s == "*\\*""#, &s(b"back\\slash")));
    assert!(keeps(r#"s < "abc""#, &s(b"ABC")));
    assert!(keeps(r#"s < "abc""#, &s(b"\xff")), "C chars are signed");
    assert!(!keeps(r#"s < "abc""#, &s("café".as_bytes())));
    assert!(!keeps(r#"s > "hello*""#, &s(b"hello world")), "star: equal");
    assert!(keeps(r#"s > "hello*""#, &s(b"hellx")));
    assert!(keeps(r#""a*" < s"#, &s(b"b")));
    assert!(keeps(r#"s == """#, &s(b"")));
    assert!(keeps(r#"s == 'abc' && s == L"abc""#, &s(b"abc")));
    assert!(keeps(r#"s == "a**""#, &s(b"a")));
}

#[test]
fn text_arrays_and_sequences_compare_as_strings() {
    let e = Event {
        tag: *b"abcd",
        st: b"ab",
        ..Event::default()
    };
    assert!(keeps(r#"tag == "abcd""#, &e), "no NUL: the whole array");
    assert!(keeps(r#"st == "ab" && st != "abc""#, &e));
    assert!(keeps(r#"tag == "ab*" && tag != st"#, &e));
    let short = Event {
        tag: *b"ab\0z",
        ..Event::default()
    };
    assert!(keeps(r#"tag == "ab""#, &short), "up to the NUL");
    assert!(keeps(r#"s == tag"#, &Event { s: b"ab", ..short }));
}

#[test]
fn array_and_sequence_elements() {
    let e = Event {
        arr: [-1, 5, 42],
        seq: vec![7, 65535],
        ..Event::default()
    };
    assert!(keeps("arr[0] == -1 && arr[1] == 5 && arr[2] == 42", &e));
    assert!(keeps("seq[0] == 7 && seq[1] == 65535", &e));
    assert!(!keeps("seq[2] == 0", &e), "past the sequence: false");
    assert!(!keeps("seq[2] == 0 || 1", &e), "even under ||");
    assert!(keeps("1 || seq[2] == 0", &e), "unless never evaluated");
    let empty = Event {
        seq: vec![],
        ..Event::default()
    };
    assert!(!keeps("seq[0] == 0 || 1", &empty));
    assert!(keeps("after == 99", &empty));
}

#[test]
fn fields_that_cannot_be_read_make_the_filter_constant_false() {
    for expr in [
        "missing == 1 || n < 3",
        "n < 3 || missing == 1",
        "arr[3] == 0 || 1",
        "arr == 1 || 1",
        "seq == 1 || 1",
        "tag[0] == 97 || 1",
        "st[0] == 97 || 1",
        "s.x == 1 || 1",
        "hdr == 1 || 1",
        "n[0] == 1 || 1",
        "$ctx.nope == 1 || 1",
        "$ctx.vpid.x == 1 || 1",
        "$app.nope == 1 || 1",
    ] {
        assert_eq!(bound(expr).constant(), Some(false), "{expr}");
        assert!(!keeps(expr, &Event::default()), "{expr}");
    }
}

#[test]
fn nested_struct_members_and_fields_after_variable_ones() {
    let e = Event {
        s: b"a longer string",
        seq: vec![1, 2, 3, 4],
        st: b"xy",
        hdr: (9, b"inner"),
        after: -7,
        ..Event::default()
    };
    assert!(keeps(r#"hdr.a == 9 && hdr.b == "inn*" && hdr->a == 9"#, &e));
    assert!(keeps("after == -7", &e));
}

#[test]
fn context_fields() {
    let e = Event::default();
    assert!(keeps("$ctx.vpid == 4242", &e));
    assert!(keeps(r#"$ctx.procname == "app*""#, &e));
    assert!(keeps("$ctx.ratio > 0.5", &e));
    assert!(keeps("$app.prov:ctx == 1", &e));
    let unavailable = bound("$ctx.vpid == 4242 || 1");
    assert!(
        !unavailable.matches(&e.payload(), &()),
        "no value now: false"
    );
}

#[test]
fn faults_make_the_whole_expression_false_when_reached() {
    let small = Event {
        n: 1,
        ..Event::default()
    };
    let big = Event {
        n: 10,
        ..Event::default()
    };
    for e in [&small, &big] {
        assert!(!keeps("s == 1 || n < 3", e), "type mismatch first");
        assert!(!keeps("n << 64 || 1", e));
        assert!(!keeps("n >> -1 || 1", e));
        assert!(!keeps("n / 0 == 0 || 1", e));
        assert!(!keeps("-s == 1 || 1", e));
        assert!(!keeps("~d == 1 || 1", e));
        assert!(!keeps("s && 1", e));
        assert!(!keeps("s", e));
    }
    assert!(
        keeps("n < 3 || s == 1", &small),
        "short-circuit before the fault"
    );
    assert!(!keeps("n < 3 || s == 1", &big));
    assert!(!keeps("n > 3 && s == 1", &small));
}

#[test]
fn bitwise_and_shift_operators_work_on_the_bits() {
    let e = ints(-8, 0xF0);
    assert!(keeps("u8 & 0x10 == 0x10", &e));
    assert!(keeps("(u8 | 0x0F) == 0xFF && (u8 ^ 0xFF) == 0x0F", &e));
    assert!(keeps("i64 >> 63 == 1", &e), "logical shift");
    assert!(keeps("(i64 >> 1) > 0", &e));
    assert!(keeps("1 << 63 < 0", &e));
    assert!(keeps("~u8 == -241", &e));
    assert!(keeps("-u8 == -240 && +u8 == 240", &e));
    assert!(keeps("!i8 == 0 && !!i8 == 1 && !(u8 - 240)", &e));
}

#[test]
fn arithmetic_extension() {
    let e = Event {
        n: 7,
        i64: i64::MAX,
        d: 2.5,
        ..Event::default()
    };
    assert!(keeps("n + 1 == 8 && n - 10 == -3 && n * 3 == 21", &e));
    assert!(keeps("n / 2 == 3 && n % 4 == 3 && -n / 2 == -3", &e));
    assert!(keeps("n * d == 17.5 && d / 2 == 1.25 && n % 2.5 == 2", &e));
    assert!(keeps("i64 + 1 < 0", &e), "wraps");
    assert!(!keeps("n % 0 == 0 || 1", &e));
    assert!(keeps("(n + 1) && 1 && n - 7 == 0", &e));
}

#[test]
fn logical_chains_return_lttng_values() {
    let e = Event {
        n: 6,
        ..Event::default()
    };
    assert!(
        keeps("(n & 4 && n & 2) == 2", &e),
        "&& gives its last operand"
    );
    assert!(keeps("(0 || n & 4) == 4", &e), "|| gives its last operand");
    assert!(keeps("(n || 0) == 1", &e), "|| gives 1 when it stops early");
    assert!(keeps("(0 && n) == 0", &e));
}

#[test]
fn constants_are_decided_when_binding() {
    assert_eq!(bound("1").constant(), Some(true));
    assert_eq!(bound("0").constant(), Some(false));
    assert_eq!(bound(r#""abc" == "abc""#).constant(), Some(true));
    assert_eq!(bound(r#""ab*" == "abd""#).constant(), Some(true));
    assert_eq!(bound(r#""a*c" == "abc""#).constant(), Some(true));
    assert_eq!(bound("1 || n").constant(), Some(true));
    assert_eq!(bound("0 && n").constant(), Some(false));
    assert_eq!(bound("1 << 64").constant(), Some(false));
    assert_eq!(
        bound("s == 1").constant(),
        Some(false),
        "known type mismatch"
    );
    assert_eq!(bound("0 || s == 1").constant(), Some(false));
    assert_eq!(bound("n == 1").constant(), None);
    assert_eq!(bound("1 && n == 1").constant(), None);
}

#[test]
fn hostile_payloads_never_read_out_of_bounds() {
    let exprs = [
        "after == 99",
        r#"hdr.b == "x*""#,
        "seq[1] == 2",
        r#"st == "ab""#,
        r#"s == "abc" && tag == "ab""#,
        "d > 0 || u64 == 1",
    ];
    let filters: Vec<Bound> = exprs.iter().map(|e| bound(e)).collect();
    let full = Event::default().payload();
    for filter in &filters {
        for cut in 0..full.len() {
            let _ = filter.matches(&full[..cut], &ctx_values()[..]);
        }
    }
    // A string with no NUL, and lengths that point far past the end.
    let mut no_nul = full.clone();
    for b in no_nul.iter_mut().skip(60) {
        *b = b'x';
    }
    let mut huge_seq = full.clone();
    let seq_len_at = full.windows(4).position(|w| w == b"abc\0").unwrap() + 4;
    huge_seq[seq_len_at..seq_len_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut wide_seq = full.clone();
    wide_seq[seq_len_at..seq_len_at + 8].copy_from_slice(&(1u64 << 62).to_le_bytes());
    let ctx = &ctx_values()[..];
    for (expr, filter) in exprs.iter().zip(&filters).take(4) {
        for payload in [&no_nul, &huge_seq, &wide_seq] {
            assert!(!filter.matches(payload, ctx), "{expr}");
        }
    }
    // Fields before the damage still read.
    assert!(!filters[4].matches(&no_nul, ctx));
    assert!(filters[4].matches(&huge_seq, ctx) && filters[4].matches(&wide_seq, ctx));
}

#[test]
fn filters_and_bound_filters_cross_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Filter>();
    shared::<Bound>();
    shared::<ParseError>();
}

/// xorshift64*: a small deterministic generator for the test below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// An integer near the edges of every width (and around 0), as a filter constant.
fn edge_constant(rng: &mut Rng) -> String {
    let edges = [
        0i128,
        1,
        -1,
        42,
        -42,
        127,
        128,
        255,
        256,
        -128,
        -129,
        32767,
        32768,
        65535,
        65536,
        -32768,
        2147483647,
        2147483648,
        4294967295,
        4294967296,
        -2147483648,
        -2147483649,
        9223372036854775807,
        -9223372036854775807,
    ];
    let v = edges[(rng.next() % edges.len() as u64) as usize] + i128::from(rng.next() % 3) - 1;
    match rng.next() % 8 {
        0 => format!("{v}.5"),
        1 if v >= 0 => format!("{v:#x}"),
        _ => v.to_string(),
    }
}

fn random_clause(rng: &mut Rng) -> String {
    let ints = [
        "n",
        "i8",
        "u8",
        "i16",
        "u16",
        "i32",
        "u32",
        "i64",
        "u64",
        "net",
        "snet",
        "color",
        "level",
        "arr[0]",
        "arr[2]",
        "seq[1]",
        "seq[7]",
        "hdr.a",
        "after",
        "$ctx.vpid",
        "$app.prov:ctx",
    ];
    let ops = ["==", "!=", "<", "<=", ">", ">="];
    match rng.next() % 10 {
        0 => format!(
            "{} {} \"{}\"",
            rng.pick(&["s", "tag", "st", "hdr.b", "$ctx.procname"]),
            rng.pick(&["==", "!=", "==", "<"]),
            rng.pick(&["abc", "ab*", "*b*", "a\\*", "x", "", "*"])
        ),
        1 => format!(
            "{} {} {}",
            rng.pick(&["f", "d", "$ctx.ratio"]),
            rng.pick(&ops),
            edge_constant(rng)
        ),
        2 => format!("{} {}", rng.pick(&["!", ""]), rng.pick(&ints)),
        3 => format!(
            "{} {} {}",
            edge_constant(rng),
            rng.pick(&ops),
            rng.pick(&ints)
        ),
        _ => format!(
            "{} {} {}",
            rng.pick(&ints),
            rng.pick(&ops),
            edge_constant(rng)
        ),
    }
}

/// `&&`/`||` chains of comparisons (the shapes `matches` answers without the general
/// program), sometimes mixed and nested (the general program).
fn random_expression(rng: &mut Rng) -> String {
    let clauses = 1 + rng.next() % 5;
    let joiner = rng.pick(&[" && ", " || "]);
    let mut expr = random_clause(rng);
    for _ in 1..clauses {
        let join = if rng.next() % 6 == 0 {
            rng.pick(&[" && ", " || "])
        } else {
            joiner
        };
        expr = if rng.next() % 8 == 0 {
            format!("({expr}){join}{}", random_clause(rng))
        } else {
            format!("{expr}{join}{}", random_clause(rng))
        };
    }
    expr
}

fn random_event(rng: &mut Rng) -> Event {
    let wide = |rng: &mut Rng| match rng.next() % 4 {
        0 => rng.next() % 300,
        1 => (rng.next() % 300).wrapping_neg(),
        _ => rng.next(),
    };
    let texts: [&'static [u8]; 5] = [b"abc", b"ab", b"", b"a*", b"xyz"];
    let pick = |rng: &mut Rng| texts[(rng.next() % texts.len() as u64) as usize];
    Event {
        n: wide(rng) as i32,
        i64: wide(rng) as i64,
        u64: wide(rng),
        color: wide(rng) as i32,
        level: wide(rng) as u8,
        d: (wide(rng) as i64) as f64 / 2.0,
        tag: [b'a', b'b', (rng.next() % 2) as u8 * b'c', 0],
        arr: [wide(rng) as i32, 2, wide(rng) as i32],
        s: pick(rng),
        seq: (0..rng.next() % 4).map(|_| wide(rng) as u16).collect(),
        st: pick(rng),
        hdr: (wide(rng) as u8, pick(rng)),
        after: wide(rng) as i32,
    }
}

#[test]
fn shortcuts_answer_as_the_general_program_does() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ctx = ctx_values();
    let (mut kept, mut checked) = (0, 0);
    for _ in 0..3_000 {
        let expr = random_expression(&mut rng);
        let Ok(filter) = Filter::parse(&expr) else {
            continue;
        };
        let bound = filter.bind_payload(&layout(), &context());
        for _ in 0..20 {
            let payload = random_event(&mut rng).payload();
            let cut = match rng.next() % 4 {
                0 => (rng.next() % (payload.len() as u64 + 1)) as usize,
                _ => payload.len(),
            };
            let payload = &payload[..cut];
            let answer = bound.interpret(payload, &ctx[..]);
            assert_eq!(
                bound.matches(payload, &ctx[..]),
                answer,
                "{expr} on {payload:?}"
            );
            if let Some(quick) = bound.int_test().and_then(|t| t.passes(payload)) {
                assert_eq!(quick, answer, "{expr} on {payload:?}");
            }
            kept += usize::from(answer);
            checked += 1;
        }
    }
    assert!(
        kept > checked / 20 && kept < checked * 19 / 20,
        "{kept} of {checked}"
    );
}

#[test]
fn value_tests_answer_as_the_payload_filter_does() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let ctx = ctx_values();
    let (mut stated, mut kept, mut checked) = (0, 0, 0);
    for _ in 0..3_000 {
        let expr = random_expression(&mut rng);
        let Ok(filter) = Filter::parse(&expr) else {
            continue;
        };
        let bound = filter.bind_payload(&layout(), &context());
        let Some(tests) = bound.value_tests() else {
            continue;
        };
        stated += 1;
        assert!(
            !["net", "snet", "$ctx", "$app", "arr[", "seq[", "hdr.", "\""]
                .iter()
                .any(|other| expr.contains(other)),
            "{expr}: only little-endian top-level integers are stated on values"
        );
        for _ in 0..20 {
            let event = random_event(&mut rng);
            let answer = bound.matches(&event.payload(), &ctx[..]);
            assert_eq!(tests.passes(&event.values()), answer, "{expr}");
            kept += usize::from(answer);
            checked += 1;
        }
    }
    assert!(stated > 200, "{stated} expressions stated on values");
    assert!(
        kept > checked / 20 && kept < checked * 19 / 20,
        "{kept} of {checked}"
    );
}

#[test]
fn value_tests_cover_fields_after_variable_ones_and_refuse_the_rest() {
    let tests = bound("after > 98 && n == 0")
        .value_tests()
        .expect("two integers");
    assert_eq!((tests.any, tests.tests.len()), (false, 2));
    assert_eq!((tests.tests[0].field, tests.tests[1].field), (21, 0));
    assert!(tests.passes(&Event::default().values()));
    for other in [
        "net == 1",
        "arr[0] == 1",
        "hdr.a == 7",
        "d > 1",
        "n > 1.5",
        "$ctx.vpid == 1",
        "s == \"abc\"",
        "n + 1 == 2",
        "n == 1 && (u8 == 2 || u16 == 3)",
        "nosuch == 1",
        "1",
    ] {
        assert_eq!(bound(other).value_tests(), None, "{other}");
    }
}
