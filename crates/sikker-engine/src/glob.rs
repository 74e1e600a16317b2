//! `WILDCARD` patterns: `*` is any run of characters, `?` exactly one character, `\*` and `\?`
//! are literal. A pattern must match the whole value. Case folding is ASCII-only, like the
//! other literal operators, so the compiled and the naive matcher agree byte for byte.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Star,
    One,
    Byte(u8),
}

/// What a case-insensitive hit of the pattern's one literal run already proves, so the
/// prefilter can skip the walk: most catalog wildcards are `word*`, `*word*` or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `*`: matches every value.
    All,
    /// `lit`: the value is the literal.
    Exact,
    /// `lit*`: the value starts with the literal.
    Prefix,
    /// `*lit`: the value ends with the literal.
    Suffix,
    /// `*lit*`: the value contains the literal.
    Infix,
    /// Anything else (`?`, several literal runs, case-sensitive): walk the pattern.
    Other,
}

#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
    case_sensitive: bool,
}

impl Glob {
    /// Parses a pattern; the only error is a trailing lone backslash.
    pub fn new(pattern: &str, case_sensitive: bool) -> Result<Glob, String> {
        let mut tokens = Vec::with_capacity(pattern.len());
        let mut bytes = pattern.bytes();
        while let Some(b) = bytes.next() {
            let t = match b {
                b'*' => {
                    if tokens.last() == Some(&Token::Star) {
                        continue;
                    }
                    Token::Star
                }
                b'?' => Token::One,
                b'\\' => match bytes.next() {
                    Some(next) => Token::Byte(fold(next, case_sensitive)),
                    None => return Err("wildcard pattern ends with a lone backslash".into()),
                },
                other => Token::Byte(fold(other, case_sensitive)),
            };
            tokens.push(t);
        }
        Ok(Glob {
            tokens,
            case_sensitive,
        })
    }

    pub fn shape(&self) -> Shape {
        let is_byte = |t: &Token| matches!(t, Token::Byte(_));
        let t = self.tokens.as_slice();
        let literal = |run: &[Token]| !run.is_empty() && run.iter().all(is_byte);
        match t {
            [Token::Star] => Shape::All,
            _ if self.case_sensitive => Shape::Other,
            _ if literal(t) => Shape::Exact,
            [Token::Star, mid @ .., Token::Star] if literal(mid) => Shape::Infix,
            [Token::Star, rest @ ..] if literal(rest) => Shape::Suffix,
            [rest @ .., Token::Star] if literal(rest) => Shape::Prefix,
            _ => Shape::Other,
        }
    }

    /// The longest run of literal bytes every match must contain (for the literal prefilter).
    pub fn required_literal(&self) -> Option<String> {
        let mut best: &[Token] = &[];
        for run in self
            .tokens
            .split(|t| !matches!(t, Token::Byte(_)))
            .filter(|r| !r.is_empty())
        {
            if run.len() > best.len() {
                best = run;
            }
        }
        let bytes: Vec<u8> = best
            .iter()
            .filter_map(|t| match t {
                Token::Byte(b) => Some(*b),
                _ => None,
            })
            .collect();
        // A run may split a multi-byte character only at a wildcard, which cannot happen
        // inside a literal run, so this is valid UTF-8 whenever the pattern was.
        String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
    }

    /// The literal bytes the pattern starts with (every match begins with them), if any.
    pub fn leading_literal(&self) -> Option<String> {
        let bytes: Vec<u8> = self
            .tokens
            .iter()
            .map_while(|t| match t {
                Token::Byte(b) => Some(*b),
                _ => None,
            })
            .collect();
        // Cut back to a character boundary: a `?` may follow a partial multi-byte prefix.
        let mut end = bytes.len();
        while end > 0 && std::str::from_utf8(&bytes[..end]).is_err() {
            end -= 1;
        }
        String::from_utf8(bytes[..end].to_vec())
            .ok()
            .filter(|s| !s.is_empty())
    }

    pub fn matches(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let p = &self.tokens;
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(Token::Star) => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                Some(Token::One) => {
                    pi += 1;
                    ti += char_len(t[ti]);
                    continue;
                }
                Some(Token::Byte(b)) if *b == fold(t[ti], self.case_sensitive) => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, st)) => {
                    let next = st + char_len(t[st]);
                    star = Some((sp, next));
                    pi = sp + 1;
                    ti = next;
                }
                None => return false,
            }
        }
        p[pi.min(p.len())..].iter().all(|t| *t == Token::Star)
    }
}

fn fold(b: u8, case_sensitive: bool) -> u8 {
    if case_sensitive {
        b
    } else {
        b.to_ascii_lowercase()
    }
}

fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p, false).unwrap().matches(t)
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("wget *", "wget http://x/y"));
        assert!(m("wget *", "WGET "));
        assert!(!m("wget *", "wget"));
        assert!(m("*bins.sh", "sh bins.sh"));
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-b-b-"));
        assert!(m("\\*x", "*x"));
        assert!(!m("\\*x", "yx"));
        assert!(Glob::new("oops\\", false).is_err());
    }

    #[test]
    fn case_sensitivity() {
        assert!(!Glob::new("Wget *", true).unwrap().matches("wget x"));
        assert!(Glob::new("Wget *", true).unwrap().matches("Wget x"));
    }

    #[test]
    fn shapes() {
        let shape = |p: &str, cs: bool| Glob::new(p, cs).unwrap().shape();
        assert_eq!(shape("*", false), Shape::All);
        assert_eq!(shape("**", true), Shape::All);
        assert_eq!(shape("uname", false), Shape::Exact);
        assert_eq!(shape("uname*", false), Shape::Prefix);
        assert_eq!(shape("*.sh", false), Shape::Suffix);
        assert_eq!(shape("*chpasswd*", false), Shape::Infix);
        assert_eq!(
            shape("*bus\\*y*", false),
            Shape::Infix,
            "an escaped star is literal"
        );
        assert_eq!(shape("*a*b*", false), Shape::Other);
        assert_eq!(shape("a?c*", false), Shape::Other);
        assert_eq!(shape("uname*", true), Shape::Other);
        assert_eq!(shape("", false), Shape::Other);
    }

    #[test]
    fn required_literal_is_the_longest_run() {
        let g = Glob::new("*chmod*777*", false).unwrap();
        assert_eq!(g.required_literal().as_deref(), Some("chmod"));
        assert_eq!(Glob::new("*?*", false).unwrap().required_literal(), None);
        assert_eq!(
            Glob::new("wget *x", false)
                .unwrap()
                .leading_literal()
                .as_deref(),
            Some("wget ")
        );
        assert_eq!(Glob::new("*x", false).unwrap().leading_literal(), None);
    }
}
