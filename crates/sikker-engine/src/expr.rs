//! Behavior expressions: primitive (or group) ids combined with `AND`, `OR` and parentheses.
//! `AND` binds tighter than `OR`. There is no `NOT`: exact-set matching already rules out
//! anything a behavior does not name, and monotone expressions keep the validator decidable.

use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Longest expression text accepted.
pub const MAX_EXPR_LEN: usize = 8 * 1024;
/// Deepest parenthesis nesting accepted.
pub const MAX_EXPR_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    Ref(String),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    /// Parses `a AND (b OR c)`. The error says where, as a 1-based column.
    pub fn parse(text: &str) -> Result<Expr, String> {
        if text.len() > MAX_EXPR_LEN {
            return Err(format!("expression longer than {MAX_EXPR_LEN} bytes"));
        }
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err("empty expression".into());
        }
        let mut p = Parser {
            tokens: &tokens,
            pos: 0,
            depth: 0,
        };
        let e = p.or()?;
        match p.tokens.get(p.pos) {
            None => Ok(e),
            Some((col, t)) => Err(format!("unexpected {t} at column {col}")),
        }
    }

    /// Every id the expression mentions.
    pub fn refs(&self) -> Vec<&str> {
        let mut v = Vec::new();
        self.walk(&mut |id| v.push(id));
        v
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        match self {
            Expr::Ref(id) => f(id),
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.walk(f)),
        }
    }

    /// Evaluates with `holds(id)` deciding each reference.
    pub fn eval(&self, holds: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expr::Ref(id) => holds(id),
            Expr::And(xs) => xs.iter().all(|x| x.eval(holds)),
            Expr::Or(xs) => xs.iter().any(|x| x.eval(holds)),
        }
    }

    /// The minimal sets of leaves that make the expression true (its monotone DNF, absorbed),
    /// with `expand` turning a reference into alternatives (a group is an OR of its members).
    /// `None` when more than `cap` terms would be needed.
    pub fn minimal_terms(
        &self,
        expand: &dyn Fn(&str) -> Vec<usize>,
        cap: usize,
    ) -> Option<BTreeSet<BTreeSet<usize>>> {
        let terms = match self {
            Expr::Ref(id) => expand(id)
                .into_iter()
                .map(|p| BTreeSet::from([p]))
                .collect(),
            Expr::Or(xs) => {
                let mut all = BTreeSet::new();
                for x in xs {
                    all.extend(x.minimal_terms(expand, cap)?);
                    if all.len() > cap {
                        return None;
                    }
                }
                all
            }
            Expr::And(xs) => {
                let mut acc: BTreeSet<BTreeSet<usize>> = BTreeSet::from([BTreeSet::new()]);
                for x in xs {
                    let rhs = x.minimal_terms(expand, cap)?;
                    let mut next = BTreeSet::new();
                    for a in &acc {
                        for b in &rhs {
                            next.insert(a.union(b).copied().collect::<BTreeSet<usize>>());
                            if next.len() > cap {
                                return None;
                            }
                        }
                    }
                    acc = next;
                }
                acc
            }
        };
        Some(absorb(terms))
    }
}

fn absorb(terms: BTreeSet<BTreeSet<usize>>) -> BTreeSet<BTreeSet<usize>> {
    let mut sorted: Vec<BTreeSet<usize>> = terms.into_iter().collect();
    sorted.sort_by_key(|t| t.len());
    let mut kept: Vec<BTreeSet<usize>> = Vec::new();
    for t in sorted {
        if !kept.iter().any(|k| k.is_subset(&t)) {
            kept.push(t);
        }
    }
    kept.into_iter().collect()
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, xs: &[Expr], op: &str| {
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                match x {
                    Expr::Ref(_) => write!(f, "{x}")?,
                    _ => write!(f, "({x})")?,
                }
            }
            Ok(())
        };
        match self {
            Expr::Ref(id) => f.write_str(id),
            Expr::And(xs) => join(f, xs, "AND"),
            Expr::Or(xs) => join(f, xs, "OR"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Id(String),
    And,
    Or,
    Open,
    Close,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Id(s) => write!(f, "{s:?}"),
            Tok::And => f.write_str("AND"),
            Tok::Or => f.write_str("OR"),
            Tok::Open => f.write_str("'('"),
            Tok::Close => f.write_str("')'"),
        }
    }
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

fn tokenize(text: &str) -> Result<Vec<(usize, Tok)>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let col = text[..i].chars().count() + 1;
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push((col, Tok::Open)),
            ')' => out.push((col, Tok::Close)),
            c if is_id_char(c) => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !is_id_char(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let word = &text[i..end];
                out.push((
                    col,
                    match word {
                        "AND" | "and" => Tok::And,
                        "OR" | "or" => Tok::Or,
                        _ => Tok::Id(word.to_owned()),
                    },
                ));
            }
            other => return Err(format!("unexpected character {other:?} at column {col}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: &'a [(usize, Tok)],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn or(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.and()?];
        while self.eat(&Tok::Or) {
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::Or(xs)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.atom()?];
        while self.eat(&Tok::And) {
            xs.push(self.atom()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::And(xs)
        })
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.tokens.get(self.pos) {
            Some((_, Tok::Id(id))) => {
                self.pos += 1;
                Ok(Expr::Ref(id.clone()))
            }
            Some((col, Tok::Open)) => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > MAX_EXPR_DEPTH {
                    return Err(format!("parentheses nested deeper than {MAX_EXPR_DEPTH}"));
                }
                let e = self.or()?;
                self.depth -= 1;
                if !self.eat(&Tok::Close) {
                    return Err(format!("'(' at column {col} is never closed"));
                }
                Ok(e)
            }
            Some((col, t)) => Err(format!("expected an id or '(' at column {col}, found {t}")),
            None => Err("expression ends where an id or '(' was expected".into()),
        }
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.tokens.get(self.pos).map(|(_, x)| x) == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds<'a>(set: &'a [&'a str]) -> impl Fn(&str) -> bool + 'a {
        move |id| set.contains(&id)
    }

    #[test]
    fn precedence_and_parentheses() {
        let e = Expr::parse("a OR b AND c").unwrap();
        assert_eq!(e.to_string(), "a OR (b AND c)");
        assert!(e.eval(&holds(&["a"])));
        assert!(!e.eval(&holds(&["b"])));
        assert!(e.eval(&holds(&["b", "c"])));
        let e = Expr::parse("(a OR b) AND c").unwrap();
        assert!(!e.eval(&holds(&["a"])));
        assert!(e.eval(&holds(&["a", "c"])));
        assert!(e.eval(&holds(&["b", "c"])));
        assert_eq!(Expr::parse("x").unwrap(), Expr::Ref("x".into()));
        assert_eq!(Expr::parse("a and b").unwrap().refs(), vec!["a", "b"]);
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(Expr::parse("  ").unwrap_err(), "empty expression");
        assert!(Expr::parse("a AND").unwrap_err().contains("ends"));
        assert!(Expr::parse("a b").unwrap_err().contains("column 3"));
        assert!(Expr::parse("(a OR b").unwrap_err().contains("never closed"));
        assert!(Expr::parse("a | b").unwrap_err().contains("column 3"));
        assert!(Expr::parse(&"(".repeat(100))
            .unwrap_err()
            .contains("nested"));
        assert!(Expr::parse(&"a OR ".repeat(5000)).is_err());
    }

    #[test]
    fn minimal_terms_absorb() {
        let ids = ["a", "b", "c"];
        let expand = |id: &str| vec![ids.iter().position(|x| *x == id).unwrap()];
        let e = Expr::parse("a OR (a AND b) OR (b AND c)").unwrap();
        let t = e.minimal_terms(&expand, 100).unwrap();
        assert_eq!(
            t,
            BTreeSet::from([BTreeSet::from([0]), BTreeSet::from([1, 2])])
        );
        let wide = Expr::parse("(a OR b OR c) AND (a OR b OR c) AND (a OR b OR c)").unwrap();
        assert!(wide.minimal_terms(&expand, 2).is_none());
    }
}
