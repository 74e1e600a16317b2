//! `grep` (and `egrep`, `fgrep`): BRE/ERE/fixed patterns, `-i -v -c -n -l -L -h -H -o -q -s -w
//! -x -r -m -e`, GNU output prefixes.

use super::{bin, getopt, lines, Ctx, Spec};
use regex::bytes::{Regex, RegexBuilder};

pub(crate) static SPECS: &[Spec] = &[bin("grep", grep), bin("egrep", egrep), bin("fgrep", fgrep)];

/// Translates a POSIX basic regular expression to the `regex` crate's syntax.
pub(crate) fn bre_to_ere(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars().peekable();
    let mut in_bracket = false;
    while let Some(c) = chars.next() {
        if in_bracket {
            if c == ']' {
                in_bracket = false;
            }
            if c == '\\' || (c == '[' && chars.peek() != Some(&':')) {
                out.push('\\');
            }
            out.push(c);
            continue;
        }
        match c {
            '\\' => match chars.next() {
                Some(n @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_bracket = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '*' if out.is_empty() || out.ends_with('^') => out.push_str("\\*"),
            _ => out.push(c),
        }
    }
    out
}

/// Fixes ERE details the crate reads differently: a literal `{` not starting a repetition.
fn ere_fix(p: &str) -> String {
    let mut out = String::new();
    let b: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '\\' && i + 1 < b.len() {
            out.push(b[i]);
            out.push(b[i + 1]);
            i += 2;
            continue;
        }
        if b[i] == '{' {
            let rest: String = b[i + 1..].iter().take_while(|c| **c != '}').collect();
            if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit() || c == ',') || !b[i + 1..].contains(&'}') {
                out.push_str("\\{");
                i += 1;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

pub(crate) fn build_regex(pattern: &str, extended: bool, fixed: bool, icase: bool, word: bool, line: bool) -> Result<Regex, String> {
    let mut p = if fixed { regex::escape(pattern) } else if extended { ere_fix(pattern) } else { bre_to_ere(pattern) };
    if word {
        p = format!(r"\b(?:{p})\b");
    }
    if line {
        p = format!("^(?:{p})$");
    }
    RegexBuilder::new(&p).case_insensitive(icase).unicode(false).size_limit(1 << 20).build().map_err(|_| "Unmatched [, [^, [:, [., or [=".to_owned())
}

fn grep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    run(ctx, args, "grep", false, false)
}
fn egrep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    run(ctx, args, "egrep", true, false)
}
fn fgrep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    run(ctx, args, "fgrep", false, true)
}

fn run(ctx: &mut Ctx<'_>, args: &[String], name: &str, ere: bool, fixed: bool) -> i32 {
    let o = match getopt(args, "EFGivcnlLhHoqswxrRIaz", "emABCf", &["ignore-case", "invert-match", "count", "line-number", "files-with-matches", "quiet", "silent", "recursive", "extended-regexp", "fixed-strings", "word-regexp", "line-regexp", "only-matching", "color", "color=", "colour=", "help", "version", "include=", "exclude=", "max-count=", "no-filename", "with-filename", "regexp="]) {
        Ok(o) => o,
        Err(e) => {
            ctx.err(format!("{name}: {}\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", e.message()));
            return 2;
        }
    };
    if o.long("version") {
        ctx.out("grep (GNU grep) 3.8\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n\nWritten by Mike Haertel and others; see\n<https://git.sv.gnu.org/cgit/grep.git/tree/AUTHORS>.\n");
        return 0;
    }
    let mut patterns: Vec<String> = o.values.iter().filter(|(c, _)| *c == 'e').map(|(_, v)| v.clone()).collect();
    patterns.extend(o.longs.iter().filter(|(n, _)| n == "regexp").filter_map(|(_, v)| v.clone()));
    let mut files = o.args.clone();
    if patterns.is_empty() {
        if files.is_empty() {
            ctx.err("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
            return 2;
        }
        patterns.push(files.remove(0));
    }
    let pats: Vec<String> = patterns.iter().flat_map(|p| p.split('\n').map(str::to_owned).collect::<Vec<_>>()).collect();
    let extended = ere || o.has('E') || o.long("extended-regexp");
    let fixed = fixed || o.has('F') || o.long("fixed-strings");
    let icase = o.has('i') || o.long("ignore-case");
    let mut regexes = Vec::new();
    for p in &pats {
        match build_regex(p, extended, fixed, icase, o.has('w') || o.long("word-regexp"), o.has('x') || o.long("line-regexp")) {
            Ok(r) => regexes.push(r),
            Err(e) => {
                ctx.err(format!("{name}: {e}\n"));
                return 2;
            }
        }
    }
    let invert = o.has('v') || o.long("invert-match");
    let count = o.has('c') || o.long("count");
    let number = o.has('n') || o.long("line-number");
    let list = o.has('l') || o.long("files-with-matches");
    let list_missing = o.has('L');
    let quiet = o.has('q') || o.long("quiet") || o.long("silent");
    let only = o.has('o') || o.long("only-matching");
    let silent_errors = o.has('s');
    let max: Option<usize> = o.value('m').or(o.long_value("max-count")).and_then(|v| v.parse().ok());
    let recursive = o.has('r') || o.has('R') || o.long("recursive");
    if recursive && files.is_empty() {
        files.push(".".into());
    }
    // Expand directories for -r.
    let mut inputs: Vec<String> = Vec::new();
    let mut status_err = false;
    for f in &files {
        let abs = ctx.abs(f);
        if ctx.st.vfs.is_dir(&abs) {
            if recursive {
                for (p, n) in ctx.st.vfs.walk(&abs, 5000) {
                    if !n.is_dir() && !n.is_link() {
                        let shown = if f == "." { p.strip_prefix(&format!("{}/", ctx.st.cwd)).map(|s| s.to_owned()).unwrap_or(p.clone()) } else { format!("{}{}", f.trim_end_matches('/'), &p[abs.len()..]) };
                        inputs.push(shown);
                    }
                }
            } else {
                if !silent_errors {
                    ctx.err(format!("{name}: {f}: Is a directory\n"));
                }
                status_err = true;
            }
        } else {
            inputs.push(f.clone());
        }
    }
    let show_names = !o.has('h') && !o.long("no-filename") && (inputs.len() > 1 || recursive || o.has('H') || o.long("with-filename"));
    let mut any = false;
    let sources: Vec<(String, Option<Vec<u8>>)> = if files.is_empty() {
        vec![("(standard input)".into(), Some(ctx.io.stdin.clone()))]
    } else {
        inputs.iter().map(|f| (f.clone(), if f == "-" { Some(ctx.io.stdin.clone()) } else { None })).collect()
    };
    for (fname, preset) in sources {
        let data = match preset {
            Some(d) => d,
            None => match ctx.read(&fname) {
                Ok(d) => d,
                Err(e) => {
                    if !silent_errors {
                        ctx.err(format!("{name}: {fname}: {}\n", e.message()));
                    }
                    status_err = true;
                    continue;
                }
            },
        };
        let binary = data.iter().take(4096).any(|b| *b == 0) && !o.has('a');
        let mut n_match = 0usize;
        let mut out = Vec::new();
        for (i, line) in lines(&data).into_iter().enumerate() {
            if max.is_some_and(|m| n_match >= m) {
                break;
            }
            let hit = regexes.iter().any(|r| r.is_match(line));
            if hit == invert {
                continue;
            }
            n_match += 1;
            if quiet || list || list_missing || count || binary {
                continue;
            }
            let prefix = |out: &mut Vec<u8>| {
                if show_names {
                    out.extend_from_slice(fname.as_bytes());
                    out.push(b':');
                }
                if number {
                    out.extend_from_slice(format!("{}:", i + 1).as_bytes());
                }
            };
            if only && !invert {
                for r in &regexes {
                    for m in r.find_iter(line) {
                        if m.as_bytes().is_empty() {
                            continue;
                        }
                        prefix(&mut out);
                        out.extend_from_slice(m.as_bytes());
                        out.push(b'\n');
                    }
                }
            } else {
                prefix(&mut out);
                out.extend_from_slice(line);
                out.push(b'\n');
            }
            if out.len() > ctx.limit() {
                break;
            }
        }
        if n_match > 0 {
            any = true;
        }
        if quiet {
            if any {
                return 0;
            }
            continue;
        }
        if count {
            if show_names {
                ctx.out(format!("{fname}:{n_match}\n"));
            } else {
                ctx.out(format!("{n_match}\n"));
            }
        } else if list {
            if n_match > 0 {
                ctx.out(format!("{fname}\n"));
            }
        } else if list_missing {
            if n_match == 0 {
                ctx.out(format!("{fname}\n"));
            }
        } else if binary && n_match > 0 {
            ctx.out(format!("{name}: {fname}: binary file matches\n"));
        } else {
            ctx.out(out);
        }
    }
    if status_err && !(quiet && any) {
        2
    } else if any {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::bre_to_ere;
    use crate::commands::testing::{run, shell};

    #[test]
    fn bre_translation() {
        assert_eq!(bre_to_ere(r"a\(b\)*c+"), r"a(b)*c\+");
        assert_eq!(bre_to_ere(r"x\{2\}"), r"x{2}");
    }

    #[test]
    fn grep_forms() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "grep -c processor /proc/cpuinfo").1, 0);
        assert_eq!(run(&mut sh, "printf 'a\\nB\\nab\\n' | grep -in '^a'").0, "1:a\n3:ab\n");
        assert_eq!(run(&mut sh, "printf 'a\\nb\\n' | grep -v a").0, "b\n");
        assert_eq!(run(&mut sh, "grep x /nope; echo $?").0, "grep: /nope: No such file or directory\n2\n");
        assert_eq!(run(&mut sh, "grep -q root /etc/passwd && echo y").0, "y\n");
        assert_eq!(run(&mut sh, "echo abc123 | grep -oE '[0-9]+'").0, "123\n");
    }
}
