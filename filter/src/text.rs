//! String comparison as LTTng-UST's interpreter does it.
//!
//! Two algorithms: `compare`, a `strcmp` over C `char`s (signed: bytes from 0x80 sort before
//! ASCII) in which a literal's unescaped trailing `*` matches any rest (`"abc*"`), and
//! `glob_matches`, a star-only glob (`*` matches any run, `\*` a star, `\\` a backslash) used
//! by `==` and `!=` when a literal has a star elsewhere than at its end; `Glob` is the same
//! match prepared once for a pattern compared with many fields. All run in time bounded by
//! the product of the two lengths and never allocate.

/// A string operand: its bytes (up to a NUL or the end of its array or sequence), and
/// whether it is a literal from the expression (whose `\` escapes and `*` are special).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Text<'a> {
    pub bytes: &'a [u8],
    pub literal: bool,
}

/// One step of a literal: a byte to compare, or its wildcard star.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    Byte(u8),
    Star,
    End,
}

/// The step at `*i` of `t`, and where the next step starts.
fn step(t: &Text<'_>, i: usize) -> (Step, usize) {
    match t.bytes.get(i) {
        None | Some(0) => (Step::End, i),
        Some(b'\\') if t.literal => match t.bytes.get(i + 1) {
            Some(&c) => (Step::Byte(c), i + 2),
            None => (Step::Byte(b'\\'), i + 1),
        },
        Some(b'*') if t.literal => (Step::Star, i + 1),
        Some(&c) => (Step::Byte(c), i + 1),
    }
}

/// LTTng's `stack_strcmp`: negative, zero or positive as `a` sorts before, with or after `b`.
pub(crate) fn compare(a: Text<'_>, b: Text<'_>) -> i32 {
    let (mut i, mut j) = (0, 0);
    loop {
        let (sa, next_i) = step(&a, i);
        let (sb, next_j) = step(&b, j);
        match (sa, sb) {
            (Step::End, Step::End | Step::Star) => return 0,
            (Step::End, Step::Byte(_)) => return -1,
            (Step::Star, Step::End) => return 0,
            (Step::Byte(_), Step::End) => return 1,
            (Step::Star, _) | (_, Step::Star) => return 0,
            (Step::Byte(x), Step::Byte(y)) => {
                let diff = i32::from(x as i8) - i32::from(y as i8);
                if diff != 0 {
                    return diff;
                }
            }
        }
        i = next_i;
        j = next_j;
    }
}

/// LTTng's `strutils_star_glob_match`: whether `candidate` matches `pattern`.
pub(crate) fn glob_matches(pattern: &[u8], candidate: &[u8]) -> bool {
    let end = |s: &[u8], i: usize| s.get(i).is_none_or(|&c| c == 0);
    let (mut retry_c, mut retry_p) = (0usize, 0usize);
    let mut got_a_star = false;
    'retry: loop {
        let (mut c, mut p) = (retry_c, retry_p);
        while !end(candidate, c) {
            let mismatch = if end(pattern, p) {
                true
            } else {
                match pattern[p] {
                    b'*' => {
                        got_a_star = true;
                        retry_c = c;
                        retry_p = p + 1;
                        if end(pattern, retry_p) {
                            return true;
                        }
                        continue 'retry;
                    }
                    b'\\' => {
                        p += 1;
                        end(pattern, p) || candidate[c] != pattern[p]
                    }
                    other => candidate[c] != other,
                }
            };
            if mismatch {
                if !got_a_star {
                    return false;
                }
                retry_c += 1;
                continue 'retry;
            }
            c += 1;
            p += 1;
        }
        return end(pattern, p) || (pattern[p] == b'*' && end(pattern, p + 1));
    }
}

/// A star-only glob split at its stars, escapes resolved: `first*middle…*last`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glob {
    /// The text before the first star: a prefix.
    first: Box<[u8]>,
    /// The texts between stars, found in order, each at its leftmost place.
    middle: Box<[Box<[u8]>]>,
    /// The text after the last star: a suffix (the pattern has at least one star).
    last: Box<[u8]>,
}

impl Glob {
    /// The glob of a literal's text (escapes kept, at least one unescaped star).
    pub(crate) fn new(pattern: &[u8]) -> Glob {
        let mut parts: Vec<Box<[u8]>> = Vec::new();
        let mut part = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'\\' if i + 1 < pattern.len() => {
                    part.push(pattern[i + 1]);
                    i += 2;
                    continue;
                }
                b'*' => parts.push(std::mem::take(&mut part).into()),
                c => part.push(c),
            }
            i += 1;
        }
        parts.push(part.into());
        let last = parts.pop().unwrap_or_default();
        let first = if parts.is_empty() {
            Box::default()
        } else {
            parts.remove(0)
        };
        Glob {
            first,
            middle: parts.into(),
            last,
        }
    }

    /// Whether `text` (no NUL) matches.
    pub(crate) fn matches(&self, text: &[u8]) -> bool {
        if text.len() < self.first.len() + self.last.len()
            || !text.starts_with(&self.first)
            || !text.ends_with(&self.last)
        {
            return false;
        }
        let mut rest = &text[self.first.len()..text.len() - self.last.len()];
        for part in self.middle.iter() {
            match find(rest, part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&head, tail) = match needle.split_first() {
        Some(split) => split,
        None => return Some(0),
    };
    let last_start = haystack.len().checked_sub(needle.len())?;
    (0..=last_start).find(|&i| haystack[i] == head && &haystack[i + 1..i + needle.len()] == tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> Text<'_> {
        Text {
            bytes: s.as_bytes(),
            literal: false,
        }
    }

    fn lit(s: &str) -> Text<'_> {
        Text {
            bytes: s.as_bytes(),
            literal: true,
        }
    }

    #[test]
    fn strcmp_with_a_trailing_star() {
        assert_eq!(compare(field("abc"), lit("abc")), 0);
        assert!(compare(field("abd"), lit("abc")) > 0);
        assert!(compare(field("ab"), lit("abc")) < 0);
        assert!(compare(field("abc"), lit("ab")) > 0);
        assert_eq!(compare(field("abcdef"), lit("abc*")), 0);
        assert_eq!(compare(field("abc"), lit("abc*")), 0);
        assert!(compare(field("ab"), lit("abc*")) < 0);
        assert_eq!(compare(lit("a*"), field("abc")), 0);
        assert!(compare(lit("a*"), field("")) > 0);
        // A field's star is an ordinary character; an escaped literal star too.
        assert!(compare(field("a*"), field("abc")) < 0);
        assert_eq!(compare(field("hello*"), lit("hello\\*")), 0);
        assert!(compare(field("hellox"), lit("hello\\*")) > 0);
        assert_eq!(compare(field("back\\slash"), lit("back\\\\slash")), 0);
    }

    #[test]
    fn strcmp_uses_signed_chars() {
        assert!(compare(field("\u{e9}"), field("a")) < 0);
        assert!(compare(field("A"), field("a")) < 0);
    }

    #[test]
    fn strcmp_stops_at_nul() {
        assert_eq!(compare(field("ab\0cd"), lit("ab")), 0);
    }

    #[test]
    fn globs() {
        let g = |p: &str, c: &str| glob_matches(p.as_bytes(), c.as_bytes());
        assert!(g("*", ""));
        assert!(g("*c", "abc"));
        assert!(!g("*c", "abd"));
        assert!(g("a*c", "ac"));
        assert!(g("hi*every*one", "hi ev every onyx one"));
        assert!(!g("hi*every*one", "hi ev every onyx on"));
        assert!(g("x*y*z", "x*y*z"));
        assert!(g("*\\*", "back*"));
        assert!(!g("*\\*", "back"));
        assert!(g("*\\\\*", "back\\slash"));
        assert!(!g("abc", "ab"));
        assert!(g("ab*", "ab"));
        assert!(g("a*", "a"));
    }

    #[test]
    fn prepared_globs_agree_with_lttngs_matcher() {
        // What a literal may hold: characters, stars, and the two escapes.
        let tokens: [&[u8]; 5] = [b"a", b"b", b"*", b"\\\\", b"\\*"];
        let alphabet = [b'a', b'b', b'*', b'\\'];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let plen = (next() % 6) as usize;
            let mut pattern: Vec<u8> = Vec::new();
            let (mut star_last, mut has_star) = (false, false);
            for _ in 0..plen {
                // Runs of stars are one star once parsed: LTTng's matcher expects that.
                let token = tokens[(next() % 5) as usize];
                if !(star_last && token == b"*") {
                    pattern.extend_from_slice(token);
                }
                star_last = token == b"*";
                has_star |= star_last;
            }
            if !has_star {
                pattern.push(b'*');
            }
            let clen = (next() % 8) as usize;
            let text: Vec<u8> = (0..clen).map(|_| alphabet[(next() % 4) as usize]).collect();
            assert_eq!(
                Glob::new(&pattern).matches(&text),
                glob_matches(&pattern, &text),
                "pattern {:?} text {:?}",
                String::from_utf8_lossy(&pattern),
                String::from_utf8_lossy(&text)
            );
        }
    }
}
