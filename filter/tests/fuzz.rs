//! Random inputs: every one is refused with an error or accepted, never a panic or a hang;
//! accepted ones then run on random payloads without panicking. Deterministic (fixed seeds),
//! bounded by iteration counts.

use ust_filter::*;

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOKENS: &[&str] = &[
    "a",
    "b",
    "s",
    "n",
    "seq",
    "arr",
    "tag",
    "d",
    "$ctx.vpid",
    "$ctx",
    "$app.x:y",
    "$",
    "0",
    "1",
    "42",
    "0x1F",
    "017",
    "08",
    "1.5",
    ".5",
    "1e3",
    "0x1p3",
    "99999999999999999999",
    "\"abc\"",
    "\"a*\"",
    "\"*b*\"",
    "\"\\*\"",
    "\"\\\\\"",
    "\"\\n\"",
    "'c'",
    "L\"x\"",
    "\"",
    "(",
    ")",
    "[",
    "]",
    ".",
    "->",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<<",
    ">>",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "&&",
    "||",
    "!",
    "~",
    "&",
    "^",
    "|",
    "=",
    "?",
    ",",
    ";",
    "/*",
    "*/",
    "//",
    " ",
    "\t",
    "\n",
    "é",
    "\0",
];

fn layout() -> EventLayout {
    let i = |bits, signed| IntLayout::new(bits, signed);
    EventLayout {
        fields: vec![
            FieldLayout::new("n", FieldKind::Int(i(32, true))),
            FieldLayout::new("a", FieldKind::Int(i(64, false))),
            FieldLayout::new("d", FieldKind::Float { bits: 64 }),
            FieldLayout::new("s", FieldKind::String),
            FieldLayout::new(
                "tag",
                FieldKind::Array {
                    elem: i(8, false),
                    len: 4,
                    text: true,
                },
            ),
            FieldLayout::new(
                "arr",
                FieldKind::Array {
                    elem: i(16, true),
                    len: 2,
                    text: false,
                },
            ),
            FieldLayout::new(
                "seq",
                FieldKind::Sequence {
                    len: i(32, false),
                    elem: i(8, true),
                    text: false,
                },
            ),
            FieldLayout::new("b", FieldKind::Enum(i(8, false))),
        ],
    }
}

fn context() -> Vec<ContextField> {
    vec![ContextField::new("vpid", ValueKind::Int)]
}

fn random_payload(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(80);
    (0..len)
        .map(|_| match rng.below(4) {
            0 => 0,
            1 => b'a' + rng.below(3) as u8,
            _ => rng.next() as u8,
        })
        .collect()
}

fn exercise(source: &str, rng: &mut Rng) {
    let Ok(filter) = Filter::parse(source) else {
        return;
    };
    let bound = filter.bind_payload(&layout(), &context());
    let ctx = [FieldValue::Int(rng.next() as i64)];
    for _ in 0..8 {
        let payload = random_payload(rng);
        let _ = bound.matches(&payload, &ctx[..]);
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let source = String::from_utf8_lossy(&bytes);
        exercise(&source, &mut rng);
    }
}

#[test]
fn random_token_soup() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut accepted = 0;
    for _ in 0..50_000 {
        let count = 1 + rng.below(12);
        let source: String = (0..count)
            .map(|_| rng.pick(TOKENS))
            .collect::<Vec<_>>()
            .join(" ");
        if Filter::parse(&source).is_ok() {
            accepted += 1;
        }
        exercise(&source, &mut rng);
    }
    assert!(
        accepted > 100,
        "the soup should sometimes be an expression ({accepted})"
    );
}

/// A random well-formed expression of at most `depth` levels.
fn expression(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(3) == 0 {
        return rng
            .pick(&[
                "n",
                "a",
                "d",
                "b",
                "s",
                "tag",
                "arr[1]",
                "seq[0]",
                "seq[3]",
                "$ctx.vpid",
                "0",
                "1",
                "-3",
                "0x10",
                "2.5",
                "\"a*\"",
                "\"abc\"",
                "\"*c\"",
            ])
            .to_string();
    }
    match rng.below(4) {
        0 => format!(
            "{}({})",
            rng.pick(&["!", "-", "~", "+"]),
            expression(rng, depth - 1)
        ),
        1 => format!("({})", expression(rng, depth - 1)),
        _ => format!(
            "{} {} {}",
            expression(rng, depth - 1),
            rng.pick(&[
                "==", "!=", "<", "<=", ">", ">=", "&&", "||", "&", "|", "^", "<<", ">>", "+", "-",
                "*", "/", "%",
            ]),
            expression(rng, depth - 1)
        ),
    }
}

#[test]
fn random_expressions_parse_or_are_refused_and_their_parse_is_stable() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    for _ in 0..20_000 {
        let source = expression(&mut rng, 5);
        if let Ok(filter) = Filter::parse(&source) {
            let shown = filter.to_string();
            let again = Filter::parse(&shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
            assert_eq!(again.to_string(), shown, "from {source}");
        }
        exercise(&source, &mut rng);
    }
}
