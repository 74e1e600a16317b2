//! `sed` (s///, d, p, q, addresses, -n -i -e -E) and a basic `awk` (patterns, BEGIN/END,
//! `print`/`printf`, fields, NR/NF/FS/OFS, arithmetic, comparisons, regex matches, variables,
//! `length`/`substr`/`tolower`/`toupper`/`index`), both bounded.

use super::grep::build_regex;
use super::{bin, lines, Ctx, Spec};
use regex::bytes::Regex;
use std::collections::HashMap;

pub(crate) static SPECS: &[Spec] = &[bin("sed", sed), bin("awk", awk), bin("mawk", awk), bin("gawk", awk)];

// ------------------------------------------------------------------------------------- sed

enum Addr {
    Line(usize),
    Last,
    Re(Regex),
}

enum SedCmd {
    Subst { re: Regex, repl: Vec<u8>, global: bool, nth: usize, print: bool },
    Delete,
    Print,
    Quit,
    Append(String),
    Insert(String),
}

struct Rule {
    from: Option<Addr>,
    to: Option<Addr>,
    negate: bool,
    cmd: SedCmd,
}

fn sed_err(ctx: &mut Ctx<'_>, pos: usize, msg: &str) -> i32 {
    ctx.err(format!("sed: -e expression #1, char {pos}: {msg}\n"));
    1
}

fn parse_addr(s: &[u8], i: &mut usize, ere: bool) -> Result<Option<Addr>, String> {
    if *i >= s.len() {
        return Ok(None);
    }
    if s[*i] == b'$' {
        *i += 1;
        return Ok(Some(Addr::Last));
    }
    if s[*i].is_ascii_digit() {
        let st = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        return Ok(Some(Addr::Line(std::str::from_utf8(&s[st..*i]).ok().and_then(|v| v.parse().ok()).unwrap_or(0))));
    }
    if s[*i] == b'/' {
        *i += 1;
        let st = *i;
        while *i < s.len() && s[*i] != b'/' {
            if s[*i] == b'\\' {
                *i += 1;
            }
            *i += 1;
        }
        let pat = String::from_utf8_lossy(&s[st..(*i).min(s.len())]).into_owned();
        *i += 1;
        return build_regex(&pat, ere, false, false, false, false).map(|r| Some(Addr::Re(r))).map_err(|_| "unterminated address regex".into());
    }
    Ok(None)
}

fn parse_sed(script: &str, ere: bool) -> Result<Vec<Rule>, (usize, String)> {
    let s = script.as_bytes();
    let mut i = 0;
    let mut rules = Vec::new();
    while i < s.len() {
        while i < s.len() && (s[i] == b' ' || s[i] == b';' || s[i] == b'\n') {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        let from = parse_addr(s, &mut i, ere).map_err(|e| (i, e))?;
        let mut to = None;
        if from.is_some() && i < s.len() && s[i] == b',' {
            i += 1;
            to = parse_addr(s, &mut i, ere).map_err(|e| (i, e))?;
        }
        let mut negate = false;
        while i < s.len() && (s[i] == b' ' || s[i] == b'!') {
            negate |= s[i] == b'!';
            i += 1;
        }
        let Some(&c) = s.get(i) else { return Err((i, "missing command".into())) };
        i += 1;
        let cmd = match c {
            b's' => {
                let Some(&delim) = s.get(i) else { return Err((i, "unterminated `s' command".into())) };
                i += 1;
                let mut parts: Vec<Vec<u8>> = vec![Vec::new(), Vec::new()];
                for part in parts.iter_mut() {
                    loop {
                        let Some(&b) = s.get(i) else { return Err((i, "unterminated `s' command".into())) };
                        i += 1;
                        if b == delim {
                            break;
                        }
                        if b == b'\\' {
                            if let Some(&n) = s.get(i) {
                                i += 1;
                                if n == delim {
                                    part.push(n);
                                } else {
                                    part.push(b'\\');
                                    part.push(n);
                                }
                                continue;
                            }
                        }
                        part.push(b);
                    }
                }
                let (mut global, mut print, mut nth, mut icase) = (false, false, 1, false);
                while let Some(&f) = s.get(i) {
                    match f {
                        b'g' => global = true,
                        b'p' => print = true,
                        b'I' | b'i' => icase = true,
                        b'0'..=b'9' => nth = (f - b'0') as usize,
                        _ => break,
                    }
                    i += 1;
                }
                let pat = String::from_utf8_lossy(&parts[0]).into_owned();
                let re = build_regex(&pat, ere, false, icase, false, false).map_err(|_| (i, "unterminated `s' command".to_owned()))?;
                SedCmd::Subst { re, repl: parts[1].clone(), global, nth: nth.max(1), print }
            }
            b'd' => SedCmd::Delete,
            b'p' => SedCmd::Print,
            b'q' => SedCmd::Quit,
            b'a' | b'i' => {
                while i < s.len() && (s[i] == b' ' || s[i] == b'\\') {
                    i += 1;
                }
                let st = i;
                while i < s.len() && s[i] != b'\n' && s[i] != b';' {
                    i += 1;
                }
                let text = String::from_utf8_lossy(&s[st..i]).into_owned();
                if c == b'a' { SedCmd::Append(text) } else { SedCmd::Insert(text) }
            }
            other => return Err((i, format!("unknown command: `{}'", other as char))),
        };
        rules.push(Rule { from, to, negate, cmd });
    }
    Ok(rules)
}

fn expand_repl(repl: &[u8], caps: &regex::bytes::Captures<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < repl.len() {
        match repl[i] {
            b'&' => out.extend_from_slice(caps.get(0).map(|m| m.as_bytes()).unwrap_or(b"")),
            b'\\' if i + 1 < repl.len() => {
                i += 1;
                match repl[i] {
                    d @ b'0'..=b'9' => out.extend_from_slice(caps.get((d - b'0') as usize).map(|m| m.as_bytes()).unwrap_or(b"")),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    other => out.push(other),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn sed_run(rules: &[Rule], data: &[u8], quiet: bool, limit: usize) -> Vec<u8> {
    let all = lines(data);
    let total = all.len();
    let mut out = Vec::new();
    let mut active: Vec<bool> = vec![false; rules.len()];
    'lines: for (n, line) in all.into_iter().enumerate() {
        let lineno = n + 1;
        let mut pat = line.to_vec();
        let mut deleted = false;
        let mut after: Vec<String> = Vec::new();
        for (k, r) in rules.iter().enumerate() {
            let matches = |a: &Addr, p: &[u8]| match a {
                Addr::Line(l) => *l == lineno,
                Addr::Last => lineno == total,
                Addr::Re(re) => re.is_match(p),
            };
            let mut hit = match (&r.from, &r.to) {
                (None, _) => true,
                (Some(f), None) => matches(f, &pat),
                (Some(f), Some(t)) => {
                    if active[k] {
                        if matches(t, &pat) || matches!(t, Addr::Line(l) if *l <= lineno) {
                            active[k] = false;
                        }
                        true
                    } else if matches(f, &pat) {
                        active[k] = !(matches!(t, Addr::Line(l) if *l <= lineno));
                        true
                    } else {
                        false
                    }
                }
            };
            if r.negate {
                hit = !hit;
            }
            if !hit {
                continue;
            }
            match &r.cmd {
                SedCmd::Subst { re, repl, global, nth, print } => {
                    let mut result = Vec::new();
                    let mut last = 0;
                    let mut count = 0;
                    let mut changed = false;
                    for caps in re.captures_iter(&pat) {
                        let Some(m) = caps.get(0) else { continue };
                        count += 1;
                        if count < *nth {
                            continue;
                        }
                        result.extend_from_slice(&pat[last..m.start()]);
                        result.extend(expand_repl(repl, &caps));
                        last = m.end();
                        changed = true;
                        if !global {
                            break;
                        }
                    }
                    if changed {
                        result.extend_from_slice(&pat[last..]);
                        pat = result;
                        if *print {
                            out.extend_from_slice(&pat);
                            out.push(b'\n');
                        }
                    }
                }
                SedCmd::Delete => {
                    deleted = true;
                    break;
                }
                SedCmd::Print => {
                    out.extend_from_slice(&pat);
                    out.push(b'\n');
                }
                SedCmd::Quit => {
                    if !quiet {
                        out.extend_from_slice(&pat);
                        out.push(b'\n');
                    }
                    break 'lines;
                }
                SedCmd::Append(t) => after.push(t.clone()),
                SedCmd::Insert(t) => {
                    out.extend_from_slice(t.as_bytes());
                    out.push(b'\n');
                }
            }
        }
        if !deleted && !quiet {
            out.extend_from_slice(&pat);
            out.push(b'\n');
        }
        for t in after {
            out.extend_from_slice(t.as_bytes());
            out.push(b'\n');
        }
        if out.len() > limit {
            break;
        }
    }
    out
}

fn sed(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut quiet = false;
    let mut in_place = false;
    let mut ere = false;
    let mut scripts = Vec::new();
    let mut files = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        match a.as_str() {
            "-n" | "--quiet" | "--silent" => quiet = true,
            "-E" | "-r" | "--regexp-extended" => ere = true,
            "-e" => {
                i += 1;
                scripts.push(args.get(i).cloned().unwrap_or_default());
            }
            "--version" => {
                ctx.out("sed (GNU sed) 4.9\n");
                return 0;
            }
            x if x.starts_with("-i") || x.starts_with("--in-place") => in_place = true,
            x if x.starts_with('-') && x.len() > 1 && x[1..].chars().all(|c| "nEri".contains(c)) => {
                quiet |= x.contains('n');
                ere |= x.contains('E') || x.contains('r');
                in_place |= x.contains('i');
            }
            x if x.starts_with('-') && x.len() > 1 => {
                ctx.err(format!("sed: invalid option -- '{}'\nUsage: sed [OPTION]... {{script-only-if-no-other-script}} [input-file]...\n\n", x.chars().nth(1).unwrap_or('?')));
                return 1;
            }
            _ => {
                if scripts.is_empty() {
                    scripts.push(a.clone());
                } else {
                    files.push(a.clone());
                }
            }
        }
        i += 1;
    }
    if scripts.is_empty() {
        ctx.err("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n\n");
        return 1;
    }
    let rules = match parse_sed(&scripts.join("\n"), ere) {
        Ok(r) => r,
        Err((pos, e)) => return sed_err(ctx, pos, &e),
    };
    let limit = ctx.limit();
    if in_place {
        let mut status = 0;
        for f in &files {
            match ctx.read(f) {
                Ok(d) => {
                    let out = sed_run(&rules, &d, quiet, limit);
                    if let Err(e) = ctx.write(f, &out, false) {
                        ctx.err(format!("sed: couldn't open temporary file {f}: {}\n", e.message()));
                        status = 4;
                    }
                }
                Err(e) => {
                    ctx.err(format!("sed: can't read {f}: {}\n", e.message()));
                    status = 2;
                }
            }
        }
        return status;
    }
    let mut data = Vec::new();
    let mut status = 0;
    if files.is_empty() {
        data = ctx.io.stdin.clone();
    }
    for f in &files {
        match ctx.read(f) {
            Ok(d) => data.extend(d),
            Err(e) => {
                ctx.err(format!("sed: can't read {f}: {}\n", e.message()));
                status = 2;
            }
        }
    }
    let out = sed_run(&rules, &data, quiet, limit);
    ctx.out(out);
    status
}

// ------------------------------------------------------------------------------------- awk

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Re(String),
    Id(String),
    Field,
    Op(&'static str),
}

const AWK_OPS: &[&str] = &["+=", "-=", "*=", "/=", "++", "--", "==", "!=", "<=", ">=", "&&", "||", "!~", "{", "}", "(", ")", ";", ",", "+", "-", "*", "/", "%", "<", ">", "!", "~", "=", "\n", "?", ":"];

fn awk_lex(src: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut v = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch == ' ' || ch == '\t' || ch == '\r' {
            i += 1;
        } else if ch == '#' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '"' {
            i += 1;
            let mut s = String::new();
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' && i + 1 < c.len() {
                    i += 1;
                    let e = match c[i] {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        '\\' => Some('\\'),
                        '"' => Some('"'),
                        '/' => Some('/'),
                        _ => None,
                    };
                    match e {
                        Some(ch) => s.push(ch),
                        None => {
                            s.push('\\');
                            s.push(c[i]);
                        }
                    }
                } else {
                    s.push(c[i]);
                }
                i += 1;
            }
            i += 1;
            v.push(Tok::Str(s));
        } else if ch == '/' && !matches!(v.last(), Some(Tok::Num(_)) | Some(Tok::Str(_)) | Some(Tok::Id(_)) | Some(Tok::Op(")")) | Some(Tok::Field)) {
            i += 1;
            let mut s = String::new();
            while i < c.len() && c[i] != '/' {
                if c[i] == '\\' && i + 1 < c.len() {
                    s.push('\\');
                    i += 1;
                }
                s.push(c[i]);
                i += 1;
            }
            i += 1;
            v.push(Tok::Re(s));
        } else if ch.is_ascii_digit() || (ch == '.' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let st = i;
            while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                i += 1;
            }
            v.push(Tok::Num(c[st..i].iter().collect::<String>().parse().unwrap_or(0.0)));
        } else if ch == '_' || ch.is_ascii_alphabetic() {
            let st = i;
            while i < c.len() && (c[i] == '_' || c[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            v.push(Tok::Id(c[st..i].iter().collect()));
        } else if ch == '$' {
            i += 1;
            v.push(Tok::Field);
        } else if let Some(op) = AWK_OPS.iter().find(|op| op.chars().enumerate().all(|(k, oc)| c.get(i + k) == Some(&oc))) {
            i += op.chars().count();
            v.push(Tok::Op(op));
        } else {
            return Err(format!("syntax error at source line 1\n context is\n\t>>> {} <<<", ch));
        }
    }
    Ok(v)
}

#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Str(String),
    Re(String),
    Var(String),
    Field(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Assign(&'static str, Box<Expr>, Box<Expr>),
    Incr(Box<Expr>, f64),
    Call(String, Vec<Expr>),
    Concat(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
enum Stmt {
    Print(Vec<Expr>),
    Printf(Vec<Expr>),
    Expr(Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    Next,
    Exit,
}

struct Item {
    pattern: Option<Expr>,
    kind: u8, // 0 normal, 1 BEGIN, 2 END
    body: Option<Vec<Stmt>>,
}

struct P {
    t: Vec<Tok>,
    i: usize,
    depth: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn is(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn eat(&mut self, op: &str) -> bool {
        if self.is(op) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_nl(&mut self) {
        while self.is("\n") || self.is(";") {
            self.i += 1;
        }
    }
    fn program(&mut self) -> Result<Vec<Item>, String> {
        let mut items = Vec::new();
        loop {
            self.skip_nl();
            if self.peek().is_none() {
                break;
            }
            let kind = match self.peek() {
                Some(Tok::Id(s)) if s == "BEGIN" => 1,
                Some(Tok::Id(s)) if s == "END" => 2,
                _ => 0,
            };
            let pattern = if kind != 0 {
                self.i += 1;
                None
            } else if self.is("{") {
                None
            } else {
                Some(self.expr()?)
            };
            let body = if self.is("{") { Some(self.block()?) } else { None };
            items.push(Item { pattern, kind, body });
        }
        Ok(items)
    }
    fn block(&mut self) -> Result<Vec<Stmt>, String> {
        self.depth += 1;
        if self.depth > 50 || !self.eat("{") {
            return Err("syntax error".into());
        }
        let mut v = Vec::new();
        loop {
            self.skip_nl();
            if self.eat("}") {
                break;
            }
            if self.peek().is_none() {
                return Err("syntax error: unexpected end of program".into());
            }
            v.push(self.stmt()?);
        }
        self.depth -= 1;
        Ok(v)
    }
    fn stmt(&mut self) -> Result<Stmt, String> {
        match self.peek().cloned() {
            Some(Tok::Id(k)) if k == "print" || k == "printf" => {
                self.i += 1;
                let mut args = Vec::new();
                let paren = self.is("(");
                if !(self.is(";") || self.is("}") || self.is("\n") || self.peek().is_none()) {
                    if paren {
                        self.i += 1;
                    }
                    args.push(self.expr_no_gt()?);
                    while self.eat(",") {
                        self.skip_nl();
                        args.push(self.expr_no_gt()?);
                    }
                    if paren {
                        self.eat(")");
                    }
                }
                // Output redirection inside awk is not supported; drop it.
                if self.eat(">") {
                    let _ = self.primary()?;
                }
                Ok(if k == "print" { Stmt::Print(args) } else { Stmt::Printf(args) })
            }
            Some(Tok::Id(k)) if k == "if" => {
                self.i += 1;
                self.eat("(");
                let c = self.expr()?;
                self.eat(")");
                self.skip_nl();
                let then = if self.is("{") { self.block()? } else { vec![self.stmt()?] };
                self.skip_nl();
                let mut otherwise = Vec::new();
                if matches!(self.peek(), Some(Tok::Id(e)) if e == "else") {
                    self.i += 1;
                    self.skip_nl();
                    otherwise = if self.is("{") { self.block()? } else { vec![self.stmt()?] };
                }
                Ok(Stmt::If(c, then, otherwise))
            }
            Some(Tok::Id(k)) if k == "next" => {
                self.i += 1;
                Ok(Stmt::Next)
            }
            Some(Tok::Id(k)) if k == "exit" => {
                self.i += 1;
                Ok(Stmt::Exit)
            }
            _ => Ok(Stmt::Expr(self.expr()?)),
        }
    }
    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err("expression too deep".into());
        }
        let r = self.ternary(true);
        self.depth -= 1;
        r
    }
    fn expr_no_gt(&mut self) -> Result<Expr, String> {
        self.ternary(false)
    }
    fn ternary(&mut self, gt: bool) -> Result<Expr, String> {
        let c = self.assign(gt)?;
        if self.eat("?") {
            let a = self.assign(gt)?;
            self.eat(":");
            let b = self.assign(gt)?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }
    fn assign(&mut self, gt: bool) -> Result<Expr, String> {
        let l = self.or(gt)?;
        for op in ["=", "+=", "-=", "*=", "/="] {
            if self.is(op) {
                self.i += 1;
                let r = self.assign(gt)?;
                let op: &'static str = AWK_OPS.iter().find(|o| **o == op).copied().unwrap_or("=");
                return Ok(Expr::Assign(op, Box::new(l), Box::new(r)));
            }
        }
        Ok(l)
    }
    fn or(&mut self, gt: bool) -> Result<Expr, String> {
        let mut l = self.and(gt)?;
        while self.eat("||") {
            l = Expr::Bin("||", Box::new(l), Box::new(self.and(gt)?));
        }
        Ok(l)
    }
    fn and(&mut self, gt: bool) -> Result<Expr, String> {
        let mut l = self.matching(gt)?;
        while self.eat("&&") {
            l = Expr::Bin("&&", Box::new(l), Box::new(self.matching(gt)?));
        }
        Ok(l)
    }
    fn matching(&mut self, gt: bool) -> Result<Expr, String> {
        let mut l = self.compare(gt)?;
        loop {
            if self.eat("~") {
                l = Expr::Bin("~", Box::new(l), Box::new(self.compare(gt)?));
            } else if self.eat("!~") {
                l = Expr::Not(Box::new(Expr::Bin("~", Box::new(l), Box::new(self.compare(gt)?))));
            } else {
                return Ok(l);
            }
        }
    }
    fn compare(&mut self, gt: bool) -> Result<Expr, String> {
        let l = self.concat()?;
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if op == ">" && !gt {
                continue;
            }
            if self.is(op) {
                self.i += 1;
                let r = self.concat()?;
                let op: &'static str = AWK_OPS.iter().find(|o| **o == op).copied().unwrap_or("==");
                return Ok(Expr::Bin(op, Box::new(l), Box::new(r)));
            }
        }
        Ok(l)
    }
    fn concat(&mut self) -> Result<Expr, String> {
        let mut l = self.additive()?;
        while matches!(self.peek(), Some(Tok::Num(_)) | Some(Tok::Str(_)) | Some(Tok::Id(_)) | Some(Tok::Field) | Some(Tok::Op("(")) | Some(Tok::Op("!")) | Some(Tok::Op("-"))) {
            if self.is("-") || self.is("!") {
                break;
            }
            if matches!(self.peek(), Some(Tok::Id(k)) if k == "in" || k == "else") {
                break;
            }
            let r = self.additive()?;
            l = Expr::Concat(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn additive(&mut self) -> Result<Expr, String> {
        let mut l = self.mul()?;
        loop {
            if self.eat("+") {
                l = Expr::Bin("+", Box::new(l), Box::new(self.mul()?));
            } else if self.eat("-") {
                l = Expr::Bin("-", Box::new(l), Box::new(self.mul()?));
            } else {
                return Ok(l);
            }
        }
    }
    fn mul(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        loop {
            let op = if self.eat("*") { "*" } else if self.eat("/") { "/" } else if self.eat("%") { "%" } else { return Ok(l) };
            l = Expr::Bin(op, Box::new(l), Box::new(self.unary()?));
        }
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat("++") {
            return Ok(Expr::Incr(Box::new(self.primary()?), 1.0));
        }
        if self.eat("--") {
            return Ok(Expr::Incr(Box::new(self.primary()?), -1.0));
        }
        let p = self.primary()?;
        if self.eat("++") {
            return Ok(Expr::Incr(Box::new(p), 1.0));
        }
        if self.eat("--") {
            return Ok(Expr::Incr(Box::new(p), -1.0));
        }
        Ok(p)
    }
    fn primary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err("expression too deep".into());
        }
        let r = match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.i += 1;
                Ok(Expr::Num(n))
            }
            Some(Tok::Str(s)) => {
                self.i += 1;
                Ok(Expr::Str(s))
            }
            Some(Tok::Re(s)) => {
                self.i += 1;
                Ok(Expr::Re(s))
            }
            Some(Tok::Field) => {
                self.i += 1;
                let e = self.primary()?;
                Ok(Expr::Field(Box::new(e)))
            }
            Some(Tok::Op("(")) => {
                self.i += 1;
                let e = self.expr()?;
                self.eat(")");
                Ok(e)
            }
            Some(Tok::Id(name)) => {
                self.i += 1;
                if self.is("(") {
                    self.i += 1;
                    let mut args = Vec::new();
                    if !self.is(")") {
                        args.push(self.expr()?);
                        while self.eat(",") {
                            args.push(self.expr()?);
                        }
                    }
                    self.eat(")");
                    Ok(Expr::Call(name, args))
                } else {
                    Ok(Expr::Var(name))
                }
            }
            _ => Err("syntax error".into()),
        };
        self.depth -= 1;
        r
    }
}

#[derive(Clone)]
enum Val {
    N(f64),
    S(String),
}

fn num_str(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.6}");
        let t = s.trim_end_matches('0').trim_end_matches('.');
        // %.6g-like: keep six significant digits.
        let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
        if digits > 6 {
            let int_len = format!("{}", n.abs().trunc() as i64).len();
            let prec = 6usize.saturating_sub(int_len);
            format!("{n:.prec$}").trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            t.to_owned()
        }
    }
}

impl Val {
    fn num(&self) -> f64 {
        match self {
            Val::N(n) => *n,
            Val::S(s) => {
                let t = s.trim_start();
                let end = t.char_indices().take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))).map(|(i, c)| i + c.len_utf8()).last().unwrap_or(0);
                t[..end].parse().unwrap_or(0.0)
            }
        }
    }
    fn str(&self) -> String {
        match self {
            Val::N(n) => num_str(*n),
            Val::S(s) => s.clone(),
        }
    }
    fn truthy(&self) -> bool {
        match self {
            Val::N(n) => *n != 0.0,
            Val::S(s) => !s.is_empty(),
        }
    }
}

struct Awk {
    vars: HashMap<String, Val>,
    fields: Vec<String>,
    record: String,
    out: Vec<u8>,
    steps: usize,
    next: bool,
    exit: bool,
}

impl Awk {
    fn fs(&self) -> String {
        self.vars.get("FS").map(Val::str).unwrap_or_else(|| " ".into())
    }
    fn split(&mut self) {
        let fs = self.fs();
        self.fields = if fs == " " {
            self.record.split_whitespace().map(str::to_owned).collect()
        } else if fs.chars().count() == 1 {
            self.record.split(fs.as_str()).map(str::to_owned).collect()
        } else {
            match Regex::new(&fs) {
                Ok(re) => re.split(self.record.as_bytes()).map(|b| String::from_utf8_lossy(b).into_owned()).collect(),
                Err(_) => vec![self.record.clone()],
            }
        };
        if self.record.is_empty() {
            self.fields.clear();
        }
        self.vars.insert("NF".into(), Val::N(self.fields.len() as f64));
    }
    fn field(&self, i: usize) -> String {
        if i == 0 {
            self.record.clone()
        } else {
            self.fields.get(i - 1).cloned().unwrap_or_default()
        }
    }
    fn set_field(&mut self, i: usize, v: String) {
        if i == 0 {
            self.record = v;
            self.split();
            return;
        }
        if i > 10_000 {
            return;
        }
        while self.fields.len() < i {
            self.fields.push(String::new());
        }
        self.fields[i - 1] = v;
        let ofs = self.vars.get("OFS").map(Val::str).unwrap_or_else(|| " ".into());
        self.record = self.fields.join(&ofs);
        self.vars.insert("NF".into(), Val::N(self.fields.len() as f64));
    }
    fn eval(&mut self, e: &Expr) -> Val {
        self.steps += 1;
        match e {
            Expr::Num(n) => Val::N(*n),
            Expr::Str(s) => Val::S(s.clone()),
            Expr::Re(r) => Val::N(f64::from(u8::from(Regex::new(r).map(|re| re.is_match(self.record.as_bytes())).unwrap_or(false)))),
            Expr::Var(v) => self.vars.get(v).cloned().unwrap_or(Val::S(String::new())),
            Expr::Field(i) => {
                let n = self.eval(i).num().max(0.0) as usize;
                let s = self.field(n);
                Val::S(s)
            }
            Expr::Not(x) => Val::N(f64::from(u8::from(!self.eval(x).truthy()))),
            Expr::Neg(x) => Val::N(-self.eval(x).num()),
            Expr::Concat(a, b) => {
                let s = self.eval(a).str() + &self.eval(b).str();
                Val::S(s)
            }
            Expr::Cond(c, a, b) => {
                if self.eval(c).truthy() {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::Bin(op, a, b) => {
                if *op == "~" {
                    let s = self.eval(a).str();
                    let pat = match &**b {
                        Expr::Re(r) => r.clone(),
                        other => self.eval(other).str(),
                    };
                    return Val::N(f64::from(u8::from(Regex::new(&pat).map(|re| re.is_match(s.as_bytes())).unwrap_or(false))));
                }
                if *op == "&&" {
                    return Val::N(f64::from(u8::from(self.eval(a).truthy() && self.eval(b).truthy())));
                }
                if *op == "||" {
                    return Val::N(f64::from(u8::from(self.eval(a).truthy() || self.eval(b).truthy())));
                }
                let (x, y) = (self.eval(a), self.eval(b));
                let numeric = |v: &Val| match v {
                    Val::N(_) => true,
                    Val::S(s) => !s.trim().is_empty() && s.trim().parse::<f64>().is_ok(),
                };
                let cmp = if numeric(&x) && numeric(&y) { x.num().partial_cmp(&y.num()) } else { Some(x.str().cmp(&y.str())) };
                let b2n = |b: bool| Val::N(f64::from(u8::from(b)));
                match *op {
                    "+" => Val::N(x.num() + y.num()),
                    "-" => Val::N(x.num() - y.num()),
                    "*" => Val::N(x.num() * y.num()),
                    "/" => Val::N(if y.num() == 0.0 { 0.0 } else { x.num() / y.num() }),
                    "%" => Val::N(if y.num() == 0.0 { 0.0 } else { x.num() % y.num() }),
                    "==" => b2n(cmp == Some(std::cmp::Ordering::Equal)),
                    "!=" => b2n(cmp != Some(std::cmp::Ordering::Equal)),
                    "<" => b2n(cmp == Some(std::cmp::Ordering::Less)),
                    ">" => b2n(cmp == Some(std::cmp::Ordering::Greater)),
                    "<=" => b2n(cmp != Some(std::cmp::Ordering::Greater)),
                    ">=" => b2n(cmp != Some(std::cmp::Ordering::Less)),
                    _ => Val::N(0.0),
                }
            }
            Expr::Assign(op, target, value) => {
                let v = self.eval(value);
                let new = if *op == "=" {
                    v
                } else {
                    let old = self.eval(target).num();
                    Val::N(match *op {
                        "+=" => old + v.num(),
                        "-=" => old - v.num(),
                        "*=" => old * v.num(),
                        _ => if v.num() == 0.0 { 0.0 } else { old / v.num() },
                    })
                };
                self.store(target, new.clone());
                new
            }
            Expr::Incr(target, d) => {
                let old = self.eval(target).num();
                self.store(target, Val::N(old + d));
                Val::N(old)
            }
            Expr::Call(name, args) => {
                let vals: Vec<Val> = args.iter().map(|a| self.eval(a)).collect();
                let s = |k: usize| vals.get(k).map(Val::str).unwrap_or_default();
                match name.as_str() {
                    "length" => Val::N(if vals.is_empty() { self.record.chars().count() } else { s(0).chars().count() } as f64),
                    "substr" => {
                        let src: Vec<char> = s(0).chars().collect();
                        let start = vals.get(1).map(Val::num).unwrap_or(1.0).round() as i64;
                        let len = vals.get(2).map(|v| v.num().round() as i64).unwrap_or(i64::MAX / 4);
                        let from = start.max(1);
                        let to = (start.saturating_add(len)).min(src.len() as i64 + 1);
                        if to <= from {
                            Val::S(String::new())
                        } else {
                            Val::S(src[(from - 1) as usize..(to - 1) as usize].iter().collect())
                        }
                    }
                    "tolower" => Val::S(s(0).to_lowercase()),
                    "toupper" => Val::S(s(0).to_uppercase()),
                    "index" => Val::N(s(0).find(&s(1)).map(|i| s(0)[..i].chars().count() + 1).unwrap_or(0) as f64),
                    "int" => Val::N(vals.first().map(Val::num).unwrap_or(0.0).trunc()),
                    "sqrt" => Val::N(vals.first().map(Val::num).unwrap_or(0.0).sqrt()),
                    _ => Val::S(String::new()),
                }
            }
        }
    }
    fn store(&mut self, target: &Expr, v: Val) {
        match target {
            Expr::Var(name) => {
                if name == "NF" {
                    let n = v.num().max(0.0) as usize;
                    self.fields.truncate(n);
                }
                self.vars.insert(name.clone(), v);
            }
            Expr::Field(i) => {
                let n = self.eval(i).num().max(0.0) as usize;
                self.set_field(n, v.str());
            }
            _ => {}
        }
    }
    fn run(&mut self, stmts: &[Stmt], limit: usize) {
        for s in stmts {
            if self.next || self.exit || self.steps > 200_000 || self.out.len() > limit {
                return;
            }
            match s {
                Stmt::Print(args) => {
                    let ofs = self.vars.get("OFS").map(Val::str).unwrap_or_else(|| " ".into());
                    let text = if args.is_empty() {
                        self.record.clone()
                    } else {
                        args.iter().map(|a| self.eval(a).str()).collect::<Vec<_>>().join(&ofs)
                    };
                    self.out.extend(text.into_bytes());
                    self.out.push(b'\n');
                }
                Stmt::Printf(args) => {
                    let vals: Vec<String> = args.iter().map(|a| self.eval(a).str()).collect();
                    if let Some((fmt, rest)) = vals.split_first() {
                        self.out.extend(awk_printf(fmt, rest));
                    }
                }
                Stmt::Expr(e) => {
                    self.eval(e);
                }
                Stmt::If(c, a, b) => {
                    if self.eval(c).truthy() {
                        self.run(a, limit);
                    } else {
                        self.run(b, limit);
                    }
                }
                Stmt::Next => self.next = true,
                Stmt::Exit => self.exit = true,
            }
        }
    }
}

fn awk_printf(fmt: &str, args: &[String]) -> Vec<u8> {
    let mut out = String::new();
    let mut it = args.iter();
    let c: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < c.len() {
        if c[i] != '%' {
            out.push(c[i]);
            i += 1;
            continue;
        }
        i += 1;
        if c.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let st = i;
        while i < c.len() && "-0123456789.".contains(c[i]) {
            i += 1;
        }
        let spec: String = c[st..i].iter().collect();
        let conv = c.get(i).copied().unwrap_or('s');
        i += 1;
        let arg = it.next().cloned().unwrap_or_default();
        let left = spec.starts_with('-');
        let (w, p) = match spec.trim_start_matches('-').split_once('.') {
            Some((w, p)) => (w.parse::<usize>().unwrap_or(0), p.parse::<usize>().ok()),
            None => (spec.trim_start_matches('-').parse::<usize>().unwrap_or(0), None),
        };
        let w = w.min(1000);
        let v = Val::S(arg.clone());
        let body = match conv {
            'd' | 'i' => format!("{}", v.num() as i64),
            'f' => format!("{:.*}", p.unwrap_or(6).min(50), v.num()),
            'x' => format!("{:x}", v.num() as i64),
            'c' => arg.chars().next().map(String::from).unwrap_or_default(),
            _ => match p {
                Some(p) => arg.chars().take(p).collect(),
                None => arg,
            },
        };
        if left {
            out.push_str(&format!("{body:<w$}"));
        } else if spec.starts_with('0') && conv != 's' {
            out.push_str(&format!("{body:0>w$}"));
        } else {
            out.push_str(&format!("{body:>w$}"));
        }
    }
    out.replace("\\n", "\n").into_bytes()
}

fn awk(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut fs = None;
    let mut assigns = Vec::new();
    let mut program = None;
    let mut files = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if a == "-F" {
            i += 1;
            fs = args.get(i).cloned();
        } else if let Some(f) = a.strip_prefix("-F") {
            fs = Some(f.to_owned());
        } else if a == "-v" {
            i += 1;
            if let Some(v) = args.get(i) {
                assigns.push(v.clone());
            }
        } else if a == "--version" || a == "-W" {
            ctx.out("mawk 1.3.4 20200120\nCopyright 2008-2019,2020, Thomas E. Dickey\nCopyright 1991-1996,2014, Michael D. Brennan\n\nrandom-funcs:       srandom/random\nregex-funcs:        internal\ncompiled limits:\nsprintf buffer      8192\nmaximum-integer     2147483647\n");
            return 0;
        } else if program.is_none() {
            program = Some(a.clone());
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    let Some(src) = program else {
        ctx.err("usage: mawk [-F value] [-v var=value] [--] 'program text' [file ...]\nusage: mawk [-F value] [-v var=value] [-f program-file] [--] [file ...]\n");
        return 2;
    };
    let items = match awk_lex(&src).and_then(|t| P { t, i: 0, depth: 0 }.program()) {
        Ok(p) => p,
        Err(e) => {
            ctx.err(format!("mawk: line 1: {e}\n"));
            return 2;
        }
    };
    let mut a = Awk { vars: HashMap::new(), fields: Vec::new(), record: String::new(), out: Vec::new(), steps: 0, next: false, exit: false };
    let fs_value = match fs.as_deref() {
        Some("\\t") | Some("t") => "\t".to_owned(),
        Some(f) => f.to_owned(),
        None => " ".to_owned(),
    };
    a.vars.insert("FS".into(), Val::S(fs_value));
    a.vars.insert("OFS".into(), Val::S(" ".into()));
    for v in assigns {
        if let Some((n, val)) = v.split_once('=') {
            a.vars.insert(n.to_owned(), Val::S(val.to_owned()));
        }
    }
    let limit = ctx.limit();
    for it in items.iter().filter(|it| it.kind == 1) {
        if let Some(b) = &it.body {
            a.run(b, limit);
        }
    }
    let has_main = items.iter().any(|it| it.kind != 1);
    let mut status = 0;
    if has_main && !a.exit {
        let (inputs, ok) = ctx.inputs("awk", &files);
        if !ok {
            status = 2;
        }
        let mut nr = 0;
        'outer: for (_, data) in inputs {
            for line in lines(&data) {
                nr += 1;
                a.record = String::from_utf8_lossy(line).into_owned();
                a.vars.insert("NR".into(), Val::N(nr as f64));
                a.split();
                a.next = false;
                for it in items.iter().filter(|it| it.kind == 0) {
                    let hit = match &it.pattern {
                        Some(p) => a.eval(p).truthy(),
                        None => true,
                    };
                    if hit {
                        match &it.body {
                            Some(b) => a.run(b, limit),
                            None => {
                                a.out.extend(a.record.clone().into_bytes());
                                a.out.push(b'\n');
                            }
                        }
                    }
                    if a.next || a.exit {
                        break;
                    }
                }
                if a.exit || a.steps > 200_000 || a.out.len() > limit {
                    break 'outer;
                }
            }
        }
    }
    a.exit = false;
    for it in items.iter().filter(|it| it.kind == 2) {
        if let Some(b) = &it.body {
            a.run(b, limit);
        }
    }
    ctx.out(std::mem::take(&mut a.out));
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn sed_forms() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "echo hello world | sed 's/o/0/g'").0, "hell0 w0rld\n");
        assert_eq!(run(&mut sh, "printf 'a\\nb\\nc\\n' | sed -n '2p'; printf 'a\\nb\\n' | sed '1d'").0, "b\nb\n");
        assert_eq!(run(&mut sh, "echo abc | sed -E 's/(b)(c)/\\2\\1/'").0, "acb\n");
        run(&mut sh, "echo PasswordAuthentication no > /tmp/c; sed -i 's/no/yes/' /tmp/c");
        assert_eq!(run(&mut sh, "cat /tmp/c").0, "PasswordAuthentication yes\n");
    }

    #[test]
    fn awk_forms() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "echo 'a b c d' | awk '{print $2,$4;}'").0, "b d\n");
        assert_eq!(run(&mut sh, "echo 'root:x:0' | awk -F: '{print $1}'").0, "root\n");
        assert_eq!(run(&mut sh, "printf '1 a\\n2 b\\n3 c\\n' | awk '{s+=$1} END {print s}'").0, "6\n");
        assert_eq!(run(&mut sh, "printf 'x 1\\ny 2\\n' | awk 'NR==2{print $1}'").0, "y\n");
        assert_eq!(run(&mut sh, "printf 'MemTotal: 10 kB\\n' | awk '/MemTotal/ {print $2/2}'").0, "5\n");
        assert_eq!(run(&mut sh, "echo a b c | awk '{print $NF; print NF}'").0, "c\n3\n");
        assert_eq!(run(&mut sh, "echo 'a b' | awk '{printf \"%s-%5.1f\\n\", $1, 2.25}'").0, "a-  2.2\n");
    }
}
