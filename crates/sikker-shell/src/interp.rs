//! The interpreter: expansions (parameters, `$(…)`, arithmetic, fields, globs), redirections,
//! pipelines, and-or lists, compound commands, and command lookup through the virtual PATH.
//!
//! Output model: every command writes tagged chunks (fd 1 or 2) into an [`Out`]; redirections
//! re-route chunks by fd; a pipe feeds the fd-1 bytes of one stage to the next as stdin; what
//! reaches the top is the terminal, interleaved in the order it was written.

use crate::commands::{self, Ctx, Io};
use crate::syntax::{self, AndOr, Command, List, Part, Pipeline, Redir, RedirOp, Simple, Word};
use crate::vfs::{self, FsError, Kind, Vfs};
use crate::{Effect, Outcome, System};
use std::sync::Arc;

/// Tagged output chunks, bounded by `cap` bytes in total.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub chunks: Vec<(u8, Vec<u8>)>,
    pub total: usize,
    pub cap: usize,
    /// Output was dropped at the cap: the producer was (practically) endless.
    pub truncated: bool,
}

impl Out {
    pub fn new(cap: usize) -> Out {
        Out {
            chunks: Vec::new(),
            total: 0,
            truncated: false,
            cap,
        }
    }
    pub fn push(&mut self, fd: u8, data: &[u8]) {
        let room = self.cap.saturating_sub(self.total);
        if data.len() > room {
            self.truncated = true;
        }
        let data = &data[..data.len().min(room)];
        if data.is_empty() {
            return;
        }
        self.total += data.len();
        match self.chunks.last_mut() {
            Some((f, buf)) if *f == fd => buf.extend_from_slice(data),
            _ => self.chunks.push((fd, data.to_vec())),
        }
    }
    /// Appends another buffer's chunks in order, keeping its truncation mark.
    pub fn absorb(&mut self, other: Out) {
        self.truncated |= other.truncated;
        for (fd, data) in other.chunks {
            self.push(fd, &data);
        }
    }
    pub fn is_full(&self) -> bool {
        self.total >= self.cap
    }
    /// All bytes, both fds, in order (what a terminal shows).
    pub fn into_bytes(self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.total);
        for (_, c) in self.chunks {
            v.extend_from_slice(&c);
        }
        v
    }
}

/// Bytes all shell variables of a session may hold together.
const VAR_BUDGET: usize = 64 * 1024;
/// Bytes of `history` kept per session.
const HISTORY_BUDGET: usize = 16 * 1024;
/// Functions a session may define, and the longest line that may define one.
const MAX_FUNCTIONS: usize = 16;
const MAX_FUNCTION_LINE: usize = 4096;

/// Which shell is interpreting: decides the wording of errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Bash,
    Dash,
    Ash,
}

#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub name: String,
    pub value: String,
    pub exported: bool,
    pub readonly: bool,
}

/// Per-session interpreter state. Kept small: the persona and base tree are shared.
pub(crate) struct State {
    pub sys: Arc<System>,
    pub vfs: Vfs,
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub cwd: String,
    pub oldpwd: String,
    pub vars: Vec<Var>,
    pub aliases: Vec<(String, String)>,
    pub functions: Vec<(String, Arc<Command>)>,
    pub positional: Vec<String>,
    pub status: i32,
    pub history: Vec<String>,
    pub effects: Vec<Effect>,
    pub exit_requested: Option<i32>,
    /// `break`/`continue` pending: (levels, is_continue)
    pub loop_ctl: Option<(u32, bool)>,
    pub loop_depth: u32,
    /// `return` ran: unwinds to the enclosing function or sourced script.
    pub returning: Option<i32>,
    pub steps: usize,
    pub depth: usize,
    pub clock: Option<i64>,
    pub exec_mode: bool,
    pub dialect: Dialect,
    /// Length of the line being executed (bounds what a function definition may hold).
    pub line_len: usize,
    /// Whether the running command's stdout reaches the terminal (for `ls` columns).
    pub tty_out: bool,
    /// Status of the last command substitution in the current simple command.
    pub status_from_subst: Option<i32>,
    pub killed: Vec<u32>,
    pub next_pid: u32,
    /// When the session began (for `$SECONDS`, `w`, `who`).
    pub started: i64,
    /// One frame per running function call: the outer values `local` shadowed, restored on
    /// return (bash's dynamic scoping). Hidden while a nested shell (`sh -c`, a script) runs.
    pub frames: Vec<Vec<(String, Option<Var>)>>,
    /// `trap` actions of the current shell, by signal number (0 is EXIT; see `commands::trap`).
    pub traps: Vec<(u8, String)>,
    /// `shopt` options that are on, one bit per entry of `commands::shopt::OPTIONS`.
    pub shopt: u64,
    /// How many non-interactive shells (`sh -c`, scripts, `$(…)`, `( )`) are running inside
    /// this one: an assignment error exits those, but not the interactive login shell.
    pub nested: u32,
}

fn now_real() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_732_000_000)
}

impl State {
    pub fn new(sys: Arc<System>, username: &str) -> State {
        let persona = &sys.persona;
        let clean: String = username
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
            .take(32)
            .collect();
        let user = if clean.is_empty() {
            "user".to_owned()
        } else {
            clean
        };
        let (uid, gid, home) = match persona.user(&user) {
            Some(u) => (u.uid, u.gid, u.home.clone()),
            None if user == "root" => (0, 0, "/root".to_owned()),
            None => (
                1000 + (user.len() as u32 % 7),
                1000 + (user.len() as u32 % 7),
                format!("/home/{user}"),
            ),
        };
        let mut vfs = Vfs::new(Arc::clone(&sys.base), sys.limits.fs_bytes);
        if !vfs.exists(&home) {
            // Logins as users the persona lacks still get a home, owned by them.
            let _ = vfs.create(
                &home,
                vfs::Node {
                    kind: Kind::Dir,
                    mode: 0o755,
                    uid,
                    gid,
                    mtime: persona.boot_time,
                    attrs: 0,
                },
            );
        }
        let path = if uid == 0 {
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        } else {
            "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
        };
        let shell = if persona.is_busybox() {
            "/bin/ash"
        } else {
            "/bin/bash"
        };
        let vars = [
            ("HOME", home.as_str()),
            ("USER", user.as_str()),
            ("LOGNAME", user.as_str()),
            ("SHELL", shell),
            ("PATH", path),
            ("PWD", home.as_str()),
            ("LANG", "C.UTF-8"),
            ("TERM", "xterm-256color"),
            ("HOSTNAME", persona.hostname.as_str()),
        ]
        .into_iter()
        .map(|(n, v)| Var {
            name: n.to_owned(),
            value: v.to_owned(),
            exported: n != "HOSTNAME",
            readonly: false,
        })
        .collect();
        let started = now_real();
        State {
            vfs,
            user,
            uid,
            gid,
            cwd: home.clone(),
            oldpwd: home.clone(),
            home,
            vars,
            aliases: Vec::new(),
            functions: Vec::new(),
            positional: vec!["-bash".to_owned()],
            status: 0,
            history: Vec::new(),
            effects: Vec::new(),
            exit_requested: None,
            loop_ctl: None,
            loop_depth: 0,
            returning: None,
            steps: 0,
            depth: 0,
            clock: None,
            exec_mode: false,
            line_len: 0,
            dialect: if sys.persona.is_busybox() {
                Dialect::Ash
            } else {
                Dialect::Bash
            },
            tty_out: true,
            status_from_subst: None,
            killed: Vec::new(),
            next_pid: 2000 + (sys.persona.seed % 20_000) as u32,
            started,
            frames: Vec::new(),
            traps: Vec::new(),
            shopt: commands::shopt::defaults(true),
            nested: 0,
            sys,
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.unwrap_or_else(now_real)
    }

    pub fn get_var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    pub fn is_readonly(&self, name: &str) -> bool {
        self.vars.iter().any(|v| v.name == name && v.readonly)
    }

    /// Whether this shell is non-interactive (`bash -c`, `ssh host cmd`, a nested shell).
    pub fn non_interactive(&self) -> bool {
        self.exec_mode || self.nested > 0
    }

    /// An assignment as the shell performs it: a readonly variable keeps its value and the
    /// shell says so. `fatal` marks the assignments after which bash leaves a non-interactive
    /// shell (plain `X=v` and `for X in`); dash and ash leave on any of them.
    pub fn assign(&mut self, name: &str, value: &str, out: &mut Out, fatal: bool) -> bool {
        if !self.is_readonly(name) {
            self.set_var(name, value);
            return true;
        }
        let msg = match self.dialect {
            Dialect::Bash => format!("{}{name}: readonly variable\n", self.err_prefix()),
            Dialect::Dash | Dialect::Ash => format!("{}{name}: is read only\n", self.err_prefix()),
        };
        out.push(2, msg.as_bytes());
        let leaves = match self.dialect {
            Dialect::Bash => fatal,
            Dialect::Dash | Dialect::Ash => true,
        };
        if leaves && self.non_interactive() {
            let code = if self.dialect == Dialect::Bash { 1 } else { 2 };
            self.exit_requested = Some(code);
        }
        false
    }

    /// Is `shopt` option `name` on?
    pub fn shopt_on(&self, name: &str) -> bool {
        commands::shopt::bit(name).is_some_and(|b| self.shopt & b != 0)
    }

    pub fn set_var(&mut self, name: &str, value: &str) {
        if self.is_readonly(name) {
            return;
        }
        // Variables share one budget, so `x=$x$x` loops cannot grow a session without bound.
        let others: usize = self
            .vars
            .iter()
            .filter(|v| v.name != name)
            .map(|v| v.name.len() + v.value.len())
            .sum();
        let room = VAR_BUDGET.saturating_sub(others + name.len());
        let mut cut = value.len().min(room).min(16 * 1024);
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        let value = value[..cut].to_owned();
        match self.vars.iter().position(|v| v.name == name) {
            Some(i) => self.vars[i].value = value,
            None if self.vars.len() < 512 => self.vars.push(Var {
                name: name.to_owned(),
                value,
                exported: false,
                readonly: false,
            }),
            None => {}
        }
    }

    pub fn cwd_display(&self) -> String {
        if self.cwd == self.home {
            "~".to_owned()
        } else if let Some(rest) = self.cwd.strip_prefix(&format!("{}/", self.home)) {
            format!("~/{rest}")
        } else {
            self.cwd.clone()
        }
    }

    /// The prefix of shell error messages: `-bash: ` interactively, `bash: line 1: ` for exec.
    pub fn err_prefix(&self) -> String {
        match (self.dialect, self.exec_mode || self.depth > 0) {
            (Dialect::Ash, false) => "-ash: ".to_owned(),
            (Dialect::Ash, true) => "sh: ".to_owned(),
            (Dialect::Dash, _) => "sh: 1: ".to_owned(),
            (Dialect::Bash, false) => "-bash: ".to_owned(),
            (Dialect::Bash, true) => "bash: line 1: ".to_owned(),
        }
    }

    pub fn abs(&self, path: &str) -> String {
        vfs::normalize(&self.cwd, path)
    }

    pub fn heap_bytes(&self) -> usize {
        let vars: usize = self
            .vars
            .iter()
            .map(|v| v.name.capacity() + v.value.capacity() + 56)
            .sum();
        let hist: usize = self.history.iter().map(|h| h.capacity() + 24).sum();
        let aliases: usize = self
            .aliases
            .iter()
            .map(|(a, b)| a.capacity() + b.capacity() + 48)
            .sum();
        std::mem::size_of::<State>()
            + vars
            + hist
            + aliases
            + self.functions.len() * 256
            + self
                .traps
                .iter()
                .map(|t| t.1.capacity() + 32)
                .sum::<usize>()
            + self
                .frames
                .iter()
                .flatten()
                .map(|(n, v)| n.capacity() + v.as_ref().map_or(0, |v| v.value.capacity()) + 96)
                .sum::<usize>()
            + self.vfs.heap_bytes()
            + self.user.capacity()
            + self.home.capacity()
            + self.cwd.capacity()
            + self.oldpwd.capacity()
            + self
                .positional
                .iter()
                .map(|p| p.capacity() + 24)
                .sum::<usize>()
    }

    pub fn record_history(&mut self, line: &str) {
        let line = line.trim_end_matches('\n');
        if line.trim().is_empty() {
            return;
        }
        let max = self.sys.limits.history_lines.max(1);
        let entry: String = line.chars().take(512).collect();
        while !self.history.is_empty()
            && (self.history.len() >= max
                || self.history.iter().map(String::len).sum::<usize>() + entry.len()
                    > HISTORY_BUDGET)
        {
            self.history.remove(0);
        }
        self.history.push(entry);
    }
}

/// Entry point for one line from the terminal.
pub(crate) fn execute_line(st: &mut State, line: &str) -> Outcome {
    let max_line = st.sys.limits.max_line;
    let line = if line.len() > max_line {
        let mut cut = max_line;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        &line[..cut]
    } else {
        line
    };
    st.steps = 0;
    st.line_len = line.len();
    st.depth = 0;
    st.loop_ctl = None;
    st.exit_requested = None;
    st.returning = None;
    st.tty_out = !st.exec_mode;
    st.vfs.dirty.clear();
    st.record_history(line);
    let mut out = Out::new(st.sys.limits.max_output);
    let status = run_source(st, line, Vec::new(), &mut out);
    // `bash -c` ends after its line; a login shell ends on `exit`: either runs the EXIT trap.
    let status = if st.exec_mode || st.exit_requested.is_some() {
        run_exit_trap(st, status, &mut out)
    } else {
        status
    };
    st.status = status;
    let close = st.exit_requested.is_some();
    let mut effects = std::mem::take(&mut st.effects);
    let dirty = std::mem::take(&mut st.vfs.dirty);
    for path in dirty {
        if let Some((sha256, size)) = st.vfs.file_sha_and_size(&path) {
            effects.push(Effect::FileWritten { path, sha256, size });
        }
    }
    Outcome {
        output: out.into_bytes(),
        exit_code: status,
        effects,
        close_session: close,
    }
}

/// Parses and runs source text at the current depth; syntax errors print like bash.
pub(crate) fn run_source(st: &mut State, src: &str, stdin: Vec<u8>, out: &mut Out) -> i32 {
    match syntax::parse(src) {
        Ok(list) => run_list(st, &list, &stdin, out),
        Err(e) => {
            let msg = if st.dialect == Dialect::Bash && (st.exec_mode || st.depth > 0) {
                let echo = match e {
                    syntax::SyntaxError::Unexpected(_) => {
                        format!("bash: -c: line 1: `{}'\n", src.trim_end_matches('\n'))
                    }
                    _ => String::new(),
                };
                format!("bash: -c: line 1: {}\n{echo}", e.message())
            } else if st.sys.persona.is_busybox() {
                format!(
                    "{}syntax error: {}\n",
                    st.err_prefix(),
                    e.message().trim_start_matches("syntax error: ")
                )
            } else {
                format!("{}{}\n", st.err_prefix(), e.message())
            };
            out.push(2, msg.as_bytes());
            2
        }
    }
}

/// Runs source in a nested shell (`sh -c`, scripts, `$(…)`): one level deeper, bounded.
pub(crate) fn run_nested(
    st: &mut State,
    nest: Nest,
    src: &str,
    args: Vec<String>,
    stdin: Vec<u8>,
    out: &mut Out,
) -> i32 {
    if st.depth >= st.sys.limits.max_depth {
        out.push(
            2,
            format!("{}maximum nesting level exceeded\n", st.err_prefix()).as_bytes(),
        );
        return 1;
    }
    st.depth += 1;
    let saved_pos = if args.is_empty() {
        None
    } else {
        Some(std::mem::replace(&mut st.positional, args))
    };
    // A new shell is not inside the caller's functions; `$(…)` still is.
    let frames = match nest {
        Nest::Shell => std::mem::take(&mut st.frames),
        Nest::Subst => Vec::new(),
    };
    // Both are other processes: what they change in variables, the working directory,
    // options, functions and aliases stays with them (the filesystem is shared). A new shell
    // starts from the caller's environment alone: exported variables, not readonly, with no
    // functions or aliases (bash sets its own HOSTNAME).
    let vars = st.vars.clone();
    let dirs = (st.cwd.clone(), st.oldpwd.clone());
    let shopt = st.shopt;
    let definitions = (st.functions.clone(), st.aliases.clone());
    if nest == Nest::Shell {
        let bash = st.dialect == Dialect::Bash;
        st.vars
            .retain(|v| v.exported || (bash && v.name == "HOSTNAME"));
        for v in &mut st.vars {
            v.readonly = false;
        }
        st.functions.clear();
        st.aliases.clear();
    }
    let status = in_child_shell(st, out, |st, out| {
        let status = run_source(st, src, stdin, out);
        st.returning.take().unwrap_or(status)
    });
    if nest == Nest::Shell {
        st.frames = frames;
    }
    st.vars = vars;
    (st.cwd, st.oldpwd) = dirs;
    st.shopt = shopt;
    (st.functions, st.aliases) = definitions;
    if let Some(p) = saved_pos {
        st.positional = p;
    }
    st.depth -= 1;
    st.loop_ctl = None;
    status
}

/// What kind of nested shell `run_nested` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nest {
    /// A new shell process: `sh -c`, a script.
    Shell,
    /// A command substitution: a subshell that keeps the caller's function scope.
    Subst,
}

/// Runs `body` as a child shell: its traps start empty, its EXIT trap runs when it ends, and
/// an `exit` in it ends only it.
fn in_child_shell(
    st: &mut State,
    out: &mut Out,
    body: impl FnOnce(&mut State, &mut Out) -> i32,
) -> i32 {
    let traps = std::mem::take(&mut st.traps);
    st.nested += 1;
    let status = body(st, out);
    let status = st.exit_requested.unwrap_or(status);
    let status = run_exit_trap(st, status, out);
    st.exit_requested = None;
    st.nested -= 1;
    st.traps = traps;
    status
}

/// Runs the EXIT trap, if one is set, as the shell ends with `status`; `$?` is that status in
/// the handler, and the shell's status stays unless the handler calls `exit`.
pub(crate) fn run_exit_trap(st: &mut State, status: i32, out: &mut Out) -> i32 {
    let Some(pos) = st.traps.iter().position(|(sig, _)| *sig == 0) else {
        return status;
    };
    let (_, action) = st.traps.remove(pos);
    let requested = st.exit_requested.take();
    st.returning = None;
    st.loop_ctl = None;
    st.status = status;
    let _ = run_source(st, &action, Vec::new(), out);
    let status = st.exit_requested.take().unwrap_or(status);
    if requested.is_some() {
        st.exit_requested = Some(status);
    }
    status
}

fn stop(st: &State) -> bool {
    st.exit_requested.is_some()
        || st.returning.is_some()
        || st.loop_ctl.is_some()
        || st.steps > st.sys.limits.max_steps
}

pub(crate) fn run_list(st: &mut State, list: &List, stdin: &[u8], out: &mut Out) -> i32 {
    let mut status = st.status;
    for ao in list {
        if stop(st) || out.is_full() {
            break;
        }
        status = run_and_or(st, ao, stdin, out);
        st.status = status;
    }
    status
}

fn run_and_or(st: &mut State, ao: &AndOr, stdin: &[u8], out: &mut Out) -> i32 {
    if ao.background {
        st.next_pid += 3;
        if st.depth == 0 && !st.exec_mode {
            out.push(2, format!("[1] {}\n", st.next_pid).as_bytes());
        }
    }
    let mut status = run_pipeline(st, &ao.first, stdin, out);
    for (and, p) in &ao.rest {
        if stop(st) {
            break;
        }
        st.status = status;
        if (*and && status == 0) || (!*and && status != 0) {
            status = run_pipeline(st, p, stdin, out);
        }
    }
    status
}

fn run_pipeline(st: &mut State, p: &Pipeline, stdin: &[u8], out: &mut Out) -> i32 {
    let mut status = 0;
    if p.commands.len() == 1 {
        status = run_command(st, &p.commands[0], stdin, out);
    } else {
        let mut input = stdin.to_vec();
        let last = p.commands.len() - 1;
        for (i, cmd) in p.commands.iter().enumerate() {
            if stop(st) {
                break;
            }
            if i == last {
                status = run_command(st, cmd, &input, out);
            } else {
                let mut stage = Out::new(st.sys.limits.max_output);
                let tty = std::mem::replace(&mut st.tty_out, false);
                status = run_command(st, cmd, &input, &mut stage);
                st.tty_out = tty;
                input = Vec::new();
                for (fd, data) in stage.chunks {
                    if fd == 1 {
                        input.extend_from_slice(&data);
                    } else {
                        out.push(fd, &data);
                    }
                }
            }
        }
    }
    if p.negate {
        status = i32::from(status == 0);
    }
    status
}

fn run_command(st: &mut State, cmd: &Command, stdin: &[u8], out: &mut Out) -> i32 {
    match cmd {
        Command::Simple(s) => run_simple(st, s, stdin, out),
        Command::Group(list, redirs) => with_redirs(st, redirs, "", stdin, out, |st, input, o| {
            run_list(st, list, input, o)
        }),
        Command::Subshell(list, redirs) => {
            let cwd = st.cwd.clone();
            let vars = st.vars.clone();
            let shopt = st.shopt;
            let status = with_redirs(st, redirs, "", stdin, out, |st, input, o| {
                in_child_shell(st, o, |st, o| run_list(st, list, input, o))
            });
            st.cwd = cwd;
            st.vars = vars;
            st.shopt = shopt;
            status
        }
        Command::If {
            branches,
            otherwise,
            redirs,
        } => with_redirs(st, redirs, "", stdin, out, |st, input, o| {
            for (cond, body) in branches {
                let c = run_list(st, cond, input, o);
                if stop(st) {
                    return c;
                }
                if c == 0 {
                    return run_list(st, body, input, o);
                }
            }
            match otherwise {
                Some(body) => run_list(st, body, input, o),
                None => 0,
            }
        }),
        Command::While {
            cond,
            body,
            until,
            redirs,
        } => with_redirs(st, redirs, "", stdin, out, |st, input, o| {
            let mut status = 0;
            st.loop_depth += 1;
            for _ in 0..st.sys.limits.max_steps {
                st.steps += 1;
                let c = run_list(st, cond, input, o);
                if stop(st) || o.is_full() || ((c == 0) == *until) {
                    break;
                }
                status = run_list(st, body, input, o);
                if loop_control(st) {
                    break;
                }
                if stop(st) || o.is_full() {
                    break;
                }
            }
            st.loop_depth -= 1;
            status
        }),
        Command::For {
            var,
            items,
            body,
            redirs,
        } => with_redirs(st, redirs, "", stdin, out, |st, input, o| {
            let values = match items {
                Some(words) => {
                    let mut v = Vec::new();
                    for w in words {
                        v.extend(expand_word(st, w, o));
                    }
                    v
                }
                None => st.positional.iter().skip(1).cloned().collect(),
            };
            let mut status = 0;
            st.loop_depth += 1;
            for value in values.into_iter().take(st.sys.limits.max_steps) {
                st.steps += 1;
                if !st.assign(var, &value, o, false) {
                    return 1;
                }
                status = run_list(st, body, input, o);
                if loop_control(st) || stop(st) || o.is_full() {
                    break;
                }
            }
            st.loop_depth -= 1;
            status
        }),
        Command::Function { name, body } => {
            if st.line_len <= MAX_FUNCTION_LINE
                && (st.functions.len() < MAX_FUNCTIONS
                    || st.functions.iter().any(|(n, _)| n == name))
            {
                st.functions.retain(|(n, _)| n != name);
                st.functions
                    .push((name.clone(), Arc::new((**body).clone())));
            }
            0
        }
    }
}

/// Consumes a pending `break`/`continue` aimed at this loop; `true` means leave the loop.
fn loop_control(st: &mut State) -> bool {
    match st.loop_ctl {
        Some((n, is_continue)) => {
            if n > 1 {
                st.loop_ctl = Some((n - 1, is_continue));
                true
            } else {
                st.loop_ctl = None;
                !is_continue
            }
        }
        None => false,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Dest {
    Parent(u8),
    File(usize),
    Null,
}

/// Applies redirections around `body`: opens (truncates) targets first like the shell does, runs
/// the body with its own output buffer, then routes each chunk by fd.
fn with_redirs(
    st: &mut State,
    redirs: &[Redir],
    cmd_name: &str,
    stdin: &[u8],
    out: &mut Out,
    body: impl FnOnce(&mut State, &[u8], &mut Out) -> i32,
) -> i32 {
    if redirs.is_empty() {
        return body(st, stdin, out);
    }
    let mut dest = [Dest::Parent(1), Dest::Parent(1), Dest::Parent(2)];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut input: Option<Vec<u8>> = None;
    for r in redirs {
        let fd = (r.fd as usize).min(2);
        if r.fd > 2 {
            continue;
        }
        match &r.op {
            RedirOp::Dup(n) => {
                if (*n as usize) <= 2 {
                    dest[fd] = dest[*n as usize];
                }
                continue;
            }
            RedirOp::Close => {
                dest[fd] = Dest::Null;
                continue;
            }
            _ => {}
        }
        let fields = expand_word(st, &r.target, out);
        let target = match (fields.len(), &r.op) {
            (_, RedirOp::HereString) => fields.join(" "),
            (_, RedirOp::HereDoc) => String::new(),
            (1, _) => fields.into_iter().next().unwrap_or_default(),
            _ => {
                let raw = word_text(&r.target);
                out.push(
                    2,
                    format!("{}{raw}: ambiguous redirect\n", st.err_prefix()).as_bytes(),
                );
                return 1;
            }
        };
        match &r.op {
            RedirOp::In => {
                let path = st.abs(&target);
                match st.vfs.read(
                    &path,
                    st.uid,
                    64 * 1024,
                    st.now(),
                    st.sys.persona.boot_at(st.now()),
                ) {
                    Ok(data) => input = Some(data),
                    Err(e) => {
                        out.push(
                            2,
                            format!("{}{target}: {}\n", st.err_prefix(), e.message()).as_bytes(),
                        );
                        return 1;
                    }
                }
            }
            RedirOp::HereString => {
                let mut d = target.into_bytes();
                d.push(b'\n');
                input = Some(d);
            }
            RedirOp::HereDoc => input = Some(Vec::new()),
            RedirOp::Out | RedirOp::Append | RedirOp::Both { .. } => {
                let append = matches!(r.op, RedirOp::Append | RedirOp::Both { append: true });
                let path = st.abs(&target);
                let d = if matches!(st.vfs.stat(&path), Ok((_, n)) if matches!(n.kind, Kind::Dev(_)))
                {
                    Dest::Null
                } else {
                    let now = st.now();
                    if let Err(e) = st.vfs.write(&path, b"", append, st.uid, now) {
                        out.push(
                            2,
                            format!("{}{target}: {}\n", st.err_prefix(), e.message()).as_bytes(),
                        );
                        return 1;
                    }
                    match files.iter().position(|(p, _)| *p == path) {
                        Some(i) => Dest::File(i),
                        None => {
                            files.push((path, Vec::new()));
                            Dest::File(files.len() - 1)
                        }
                    }
                };
                if matches!(r.op, RedirOp::Both { .. }) {
                    dest[1] = d;
                    dest[2] = d;
                } else {
                    dest[fd] = d;
                }
            }
            RedirOp::Dup(_) | RedirOp::Close => {}
        }
    }
    let stdin_data = input.unwrap_or_else(|| stdin.to_vec());
    let mut inner = Out::new(st.sys.limits.max_output);
    let tty = st.tty_out;
    st.tty_out = tty && dest[1] == Dest::Parent(1);
    let status = body(st, &stdin_data, &mut inner);
    st.tty_out = tty;
    // An endless producer redirected to a file fills the disk, as it would on a real host.
    let endless = inner.truncated && matches!(dest[1], Dest::File(_));
    for (fd, data) in inner.chunks {
        match dest[(fd as usize).min(2)] {
            Dest::Parent(p) => out.push(p, &data),
            Dest::File(i) => {
                if let Some(f) = files.get_mut(i) {
                    f.1.extend_from_slice(&data);
                }
            }
            Dest::Null => {}
        }
    }
    let mut status = status;
    let mut reported = false;
    for (path, data) in files {
        if data.is_empty() {
            continue;
        }
        let now = st.now();
        if let Err(e) = st.vfs.write(&path, &data, true, st.uid, now) {
            // A full overlay keeps what fits, as a full disk does.
            if e == FsError::NoSpace {
                let room = st
                    .vfs
                    .capacity()
                    .saturating_sub(st.vfs.used() + path.len() + 256);
                let cur = st
                    .vfs
                    .read(&path, 0, 0, now, 0)
                    .map(|d| d.len())
                    .unwrap_or(0);
                let keep = room.saturating_sub(cur).min(data.len());
                let _ = st.vfs.write(&path, &data[..keep], true, st.uid, now);
            }
            let who = if cmd_name.is_empty() {
                st.err_prefix()
                    .trim_end_matches(": ")
                    .trim_start_matches('-')
                    .to_owned()
            } else {
                cmd_name.to_owned()
            };
            out.push(
                2,
                format!("{who}: write error: {}\n", e.message()).as_bytes(),
            );
            status = 1;
            reported = true;
        }
    }
    if endless && !reported {
        let who = if cmd_name.is_empty() {
            "bash".to_owned()
        } else {
            cmd_name.to_owned()
        };
        out.push(
            2,
            format!("{who}: write error: No space left on device\n").as_bytes(),
        );
        status = 1;
    }
    status
}

fn word_text(w: &Word) -> String {
    let mut s = String::new();
    for p in w {
        match p {
            Part::Lit(t) | Part::Quoted(t) => s.push_str(t),
            Part::Var { name, .. } => {
                s.push('$');
                s.push_str(name);
            }
            Part::Len { name, .. } => s.push_str(&format!("${{#{name}}}")),
            Part::Cmd { src, .. } => s.push_str(&format!("$({src})")),
            Part::Arith { src, .. } => s.push_str(&format!("$(({src}))")),
            Part::Tilde(u) => {
                s.push('~');
                s.push_str(u);
            }
        }
    }
    s
}

fn run_simple(st: &mut State, s: &Simple, stdin: &[u8], out: &mut Out) -> i32 {
    st.steps += 1;
    if st.steps > st.sys.limits.max_steps {
        return 1;
    }
    st.status_from_subst = None;
    let mut argv: Vec<String> = Vec::new();
    for w in &s.words {
        argv.extend(expand_word(st, w, out));
        if argv.len() > 4096 {
            argv.truncate(4096);
            break;
        }
    }
    let mut assigns = Vec::new();
    for (name, w) in &s.assigns {
        let value = expand_joined(st, w, out);
        assigns.push((name.clone(), value));
    }
    if argv.is_empty() {
        for (n, v) in &assigns {
            if !st.assign(n, v, out, true) {
                return 1;
            }
        }
        let status = st.status_from_subst.unwrap_or(0);
        return with_redirs(st, &s.redirs, "", stdin, out, |_, _, _| status);
    }
    // Aliases apply to the first word (one level, as bash does for a plain alias).
    if let Some((_, value)) = st.aliases.iter().find(|(a, _)| *a == argv[0]).cloned() {
        let mut expanded: Vec<String> = value.split_whitespace().map(str::to_owned).collect();
        if !expanded.is_empty() {
            expanded.extend(argv.drain(1..));
            argv = expanded;
        }
    }
    // `VAR=x cmd` sets VAR for cmd only.
    let saved: Vec<(String, Option<Var>)> = assigns
        .iter()
        .map(|(n, _)| (n.clone(), st.vars.iter().find(|v| v.name == *n).cloned()))
        .collect();
    for (n, v) in &assigns {
        if st.assign(n, v, out, false) {
            if let Some(var) = st.vars.iter_mut().find(|x| x.name == *n) {
                var.exported = true;
            }
        }
    }
    if st.exit_requested.is_some() {
        return 2;
    }
    let name = argv[0].clone();
    let status = with_redirs(st, &s.redirs, &name, stdin, out, |st, input, o| {
        dispatch(st, argv, input, o)
    });
    for (n, old) in saved {
        match old {
            Some(v) => match st.vars.iter_mut().find(|x| x.name == n) {
                Some(slot) => *slot = v,
                None => st.vars.push(v),
            },
            None => st.vars.retain(|v| v.name != n),
        }
    }
    status
}

/// Puts back the variables a function's `local`s shadowed, newest first.
fn restore_locals(st: &mut State, frame: Vec<(String, Option<Var>)>) {
    for (name, old) in frame.into_iter().rev() {
        let slot = st.vars.iter().position(|v| v.name == name);
        match (slot, old) {
            (Some(i), Some(v)) => st.vars[i] = v,
            (None, Some(v)) => st.vars.push(v),
            (Some(i), None) => {
                st.vars.remove(i);
            }
            (None, None) => {}
        }
    }
}

/// Finds what `name` runs: a function, a builtin, or a program found on the virtual PATH.
pub(crate) enum Found {
    Function(Arc<Command>),
    Builtin(&'static commands::Spec),
    Program(&'static commands::Spec),
    Script(String),
    /// An executable file whose content we do not interpret (a fetched binary).
    Opaque,
    NotExecutable(String),
    Missing,
}

pub(crate) fn lookup(st: &State, name: &str) -> Found {
    if name.contains('/') {
        let path = st.abs(name);
        return match st.vfs.stat(&path) {
            Ok((_, node)) => classify(st, node, &path, vfs::base_name(name)),
            Err(_) => Found::Missing,
        };
    }
    if let Some((_, f)) = st.functions.iter().find(|(n, _)| n == name) {
        return Found::Function(Arc::clone(f));
    }
    if let Some(spec) = commands::find(name).filter(|s| s.builtin) {
        return Found::Builtin(spec);
    }
    let path_var = st.get_var("PATH").unwrap_or("/usr/bin:/bin").to_owned();
    for dir in path_var.split(':').filter(|d| !d.is_empty()).take(32) {
        let candidate = vfs::normalize("/", &format!("{dir}/{name}"));
        if let Ok((_, node)) = st.vfs.stat(&candidate) {
            if node.is_dir() {
                continue;
            }
            return classify(st, node, &candidate, name);
        }
    }
    Found::Missing
}

fn classify(st: &State, node: &vfs::Node, path: &str, name: &str) -> Found {
    if node.is_dir() {
        return Found::NotExecutable(path.to_owned());
    }
    if node.mode & 0o111 == 0 {
        return Found::NotExecutable(path.to_owned());
    }
    match &node.kind {
        Kind::Fetched { script: true, .. } => Found::Script(path.to_owned()),
        Kind::Fetched { script: false, .. } => Found::Opaque,
        Kind::Binary { .. } => {
            // Emulated programs answer to the name they were invoked by (BusyBox applets too).
            match commands::find(name).or_else(|| {
                commands::find("busybox").filter(|_| {
                    st.vfs
                        .lstat(path)
                        .map(|(_, n)| n.is_link())
                        .unwrap_or(false)
                })
            }) {
                Some(spec) => Found::Program(spec),
                None => Found::Opaque,
            }
        }
        Kind::File(data) => {
            if data.starts_with(b"\x7fELF") || data.iter().take(512).any(|b| *b == 0) {
                Found::Opaque
            } else {
                Found::Script(path.to_owned())
            }
        }
        _ => Found::NotExecutable(path.to_owned()),
    }
}

fn dispatch(st: &mut State, argv: Vec<String>, stdin: &[u8], out: &mut Out) -> i32 {
    let name = argv[0].clone();
    match lookup(st, &name) {
        Found::Function(body) => {
            if st.depth >= st.sys.limits.max_depth {
                out.push(
                    2,
                    format!(
                        "{}{name}: maximum function nesting level exceeded\n",
                        st.err_prefix()
                    )
                    .as_bytes(),
                );
                return 1;
            }
            st.depth += 1;
            let saved = std::mem::replace(&mut st.positional, argv);
            st.frames.push(Vec::new());
            let status = run_command(st, &body, stdin, out);
            let status = st.returning.take().unwrap_or(status);
            if let Some(frame) = st.frames.pop() {
                restore_locals(st, frame);
            }
            st.positional = saved;
            st.depth -= 1;
            status
        }
        Found::Builtin(spec) | Found::Program(spec) => run_spec(st, spec, argv, stdin, out),
        Found::Script(path) => {
            let src = st
                .vfs
                .read(&path, st.uid, 64 * 1024, st.now(), 0)
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&src).into_owned();
            run_nested(st, Nest::Shell, &text, argv, stdin.to_vec(), out)
        }
        Found::Opaque => 0,
        Found::NotExecutable(path) => {
            let msg = if st.vfs.is_dir(&path) {
                "Is a directory"
            } else {
                "Permission denied"
            };
            out.push(2, format!("{}{name}: {msg}\n", st.err_prefix()).as_bytes());
            126
        }
        Found::Missing => {
            let msg = if name.contains('/') {
                format!("{}{name}: No such file or directory\n", st.err_prefix())
            } else if st.dialect != Dialect::Bash {
                format!("{}{name}: not found\n", st.err_prefix())
            } else {
                format!("{}{name}: command not found\n", st.err_prefix())
            };
            out.push(2, msg.as_bytes());
            127
        }
    }
}

pub(crate) fn run_spec(
    st: &mut State,
    spec: &'static commands::Spec,
    argv: Vec<String>,
    stdin: &[u8],
    out: &mut Out,
) -> i32 {
    let mut io = Io {
        stdin: stdin.to_vec(),
        out: Out::new(st.sys.limits.max_output),
    };
    let status = {
        let mut ctx = Ctx { st, io: &mut io };
        (spec.run)(&mut ctx, &argv)
    };
    out.absorb(io.out);
    status
}

// ---------------------------------------------------------------------------------------------
// Expansion

/// A character of an expanded word: whether it may split fields and whether it may glob.
struct Piece {
    text: String,
    splittable: bool,
    globbable: bool,
}

pub(crate) fn expand_joined(st: &mut State, w: &Word, out: &mut Out) -> String {
    let pieces = expand_pieces(st, w, out);
    pieces.into_iter().map(|p| p.text).collect()
}

fn expand_pieces(st: &mut State, w: &Word, out: &mut Out) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for part in w {
        match part {
            Part::Lit(t) => pieces.push(Piece {
                text: t.clone(),
                splittable: false,
                globbable: true,
            }),
            Part::Quoted(t) => pieces.push(Piece {
                text: t.clone(),
                splittable: false,
                globbable: false,
            }),
            Part::Tilde(user) => {
                let home = if user.is_empty() {
                    st.get_var("HOME").unwrap_or("/root").to_owned()
                } else if let Some(u) = st.sys.persona.user(user) {
                    u.home.clone()
                } else {
                    format!("~{user}")
                };
                pieces.push(Piece {
                    text: home,
                    splittable: false,
                    globbable: false,
                });
            }
            Part::Var { name, op, quoted } => {
                let value = param(st, name, op.as_ref(), out);
                pieces.push(Piece {
                    text: value,
                    splittable: !quoted,
                    globbable: !quoted,
                });
            }
            Part::Len { name, quoted } => {
                let n = param(st, name, None, out).chars().count();
                pieces.push(Piece {
                    text: n.to_string(),
                    splittable: !quoted,
                    globbable: false,
                });
            }
            Part::Cmd { src, quoted } => {
                let mut sub = Out::new(st.sys.limits.max_output);
                let tty = std::mem::replace(&mut st.tty_out, false);
                let status = run_nested(st, Nest::Subst, src, Vec::new(), Vec::new(), &mut sub);
                st.tty_out = tty;
                st.status_from_subst = Some(status);
                st.status = status;
                let mut text = Vec::new();
                for (fd, data) in sub.chunks {
                    if fd == 1 {
                        text.extend_from_slice(&data);
                    } else {
                        out.push(fd, &data);
                    }
                }
                while text.last() == Some(&b'\n') {
                    text.pop();
                }
                pieces.push(Piece {
                    text: String::from_utf8_lossy(&text).into_owned(),
                    splittable: !quoted,
                    globbable: !quoted,
                });
            }
            Part::Arith { src, quoted } => {
                let text = match arith(st, src, out) {
                    Ok(v) => v.to_string(),
                    Err(e) => {
                        out.push(2, format!("{}{src}: {e}\n", st.err_prefix()).as_bytes());
                        String::new()
                    }
                };
                pieces.push(Piece {
                    text,
                    splittable: !quoted,
                    globbable: false,
                });
            }
        }
    }
    pieces
}

fn param(st: &mut State, name: &str, op: Option<&(String, Vec<Part>)>, out: &mut Out) -> String {
    let value: Option<String> = match name {
        "?" => Some(st.status.to_string()),
        "$" => Some((st.next_pid.saturating_sub(1000)).to_string()),
        "!" => Some(st.next_pid.to_string()),
        "#" => Some(st.positional.len().saturating_sub(1).to_string()),
        "-" => Some(if st.exec_mode { "hB" } else { "himBHs" }.to_owned()),
        "@" | "*" => Some(
            st.positional
                .iter()
                .skip(1)
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "RANDOM" => Some(((st.now() as u64).wrapping_mul(2_654_435_761) % 32_768).to_string()),
        "UID" => Some(st.uid.to_string()),
        "EUID" => Some(st.uid.to_string()),
        "PPID" => Some("1".to_owned()),
        "SECONDS" => Some((st.now() - st.started).max(0).to_string()),
        "BASH_VERSION" if !st.sys.persona.is_busybox() => st
            .get_var(name)
            .map(str::to_owned)
            .or(Some(bash_version(st).to_owned())),
        n if n.chars().all(|c| c.is_ascii_digit()) => n
            .parse::<usize>()
            .ok()
            .and_then(|i| st.positional.get(i).cloned()),
        n => st.get_var(n).map(str::to_owned),
    };
    let Some((op, arg)) = op else {
        return value.unwrap_or_default();
    };
    let unset_or_empty = value.as_deref().is_none_or(str::is_empty);
    let is_unset = value.is_none();
    match op.as_str() {
        ":-" | "-" => {
            if (op == ":-" && unset_or_empty) || (op == "-" && is_unset) {
                expand_joined(st, arg, out)
            } else {
                value.unwrap_or_default()
            }
        }
        ":=" | "=" => {
            if (op == ":=" && unset_or_empty) || (op == "=" && is_unset) {
                let v = expand_joined(st, arg, out);
                st.set_var(name, &v);
                v
            } else {
                value.unwrap_or_default()
            }
        }
        ":+" | "+" => {
            if (op == ":+" && !unset_or_empty) || (op == "+" && !is_unset) {
                expand_joined(st, arg, out)
            } else {
                String::new()
            }
        }
        ":?" | "?" => {
            if unset_or_empty {
                out.push(
                    2,
                    format!("{}{name}: parameter null or not set\n", st.err_prefix()).as_bytes(),
                );
            }
            value.unwrap_or_default()
        }
        "#" | "##" | "%" | "%%" => {
            let v = value.unwrap_or_default();
            let pat: Vec<char> = expand_joined(st, arg, out).chars().collect();
            let chars: Vec<char> = v.chars().collect();
            let n = chars.len();
            let cut = |k: usize, front: bool| -> bool {
                if front {
                    glob_match(&pat, &chars[..k])
                } else {
                    glob_match(&pat, &chars[n - k..])
                }
            };
            let range: Vec<usize> = if op.len() == 2 {
                (0..=n).rev().collect()
            } else {
                (0..=n).collect()
            };
            for k in range {
                if op.starts_with('#') && cut(k, true) {
                    return chars[k..].iter().collect();
                }
                if op.starts_with('%') && cut(k, false) {
                    return chars[..n - k].iter().collect();
                }
            }
            v
        }
        _ => value.unwrap_or_default(),
    }
}

pub(crate) fn bash_version(st: &State) -> &'static str {
    match (
        st.sys.persona.os.id.as_str(),
        st.sys.persona.os.version_id.as_str(),
    ) {
        ("debian", "12") => "5.2.15(1)-release",
        ("debian", _) => "5.1.4(1)-release",
        ("ubuntu", "24.04") => "5.2.21(1)-release",
        ("ubuntu", "22.04") => "5.1.16(1)-release",
        ("ubuntu", _) => "5.0.17(1)-release",
        ("centos", _) => "4.2.46(2)-release",
        _ => "5.1.8(1)-release",
    }
}

/// Expands one word into fields: parameter/command/arithmetic expansion, field splitting of
/// unquoted results, then pathname expansion against the virtual filesystem.
pub(crate) fn expand_word(st: &mut State, w: &Word, out: &mut Out) -> Vec<String> {
    // "$@" expands to one field per positional parameter.
    if w.len() == 1 {
        if let Part::Var {
            name,
            op: None,
            quoted: true,
        } = &w[0]
        {
            if name == "@" {
                return st.positional.iter().skip(1).cloned().collect();
            }
        }
    }
    let pieces = expand_pieces(st, w, out);
    let had_quotes = w.iter().any(|p| {
        matches!(p, Part::Quoted(_))
            || matches!(
                p,
                Part::Var { quoted: true, .. }
                    | Part::Cmd { quoted: true, .. }
                    | Part::Arith { quoted: true, .. }
                    | Part::Len { quoted: true, .. }
            )
    });
    let ifs = st
        .get_var("IFS")
        .map(str::to_owned)
        .unwrap_or_else(|| " \t\n".to_owned());
    // Each field: (text, per-char glob flags).
    let mut fields: Vec<(String, Vec<bool>)> = Vec::new();
    let mut cur = String::new();
    let mut mask: Vec<bool> = Vec::new();
    let mut cur_started = false;
    for p in pieces {
        if p.splittable {
            for c in p.text.chars() {
                if ifs.contains(c) {
                    if cur_started || !cur.is_empty() {
                        fields.push((std::mem::take(&mut cur), std::mem::take(&mut mask)));
                    }
                    cur_started = false;
                } else {
                    cur.push(c);
                    mask.push(p.globbable);
                    cur_started = true;
                }
            }
        } else {
            for c in p.text.chars() {
                cur.push(c);
                mask.push(p.globbable);
            }
            cur_started = true;
        }
    }
    if cur_started || !cur.is_empty() {
        fields.push((cur, mask));
    } else if fields.is_empty() && had_quotes {
        fields.push((String::new(), Vec::new()));
    }
    let mut result = Vec::new();
    for (text, mask) in fields {
        let active = text
            .chars()
            .zip(mask.iter())
            .any(|(c, g)| *g && matches!(c, '*' | '?' | '['));
        if active {
            let matches = glob(st, &text);
            if matches.is_empty() {
                if !st.shopt_on("nullglob") {
                    result.push(text);
                }
            } else {
                result.extend(matches);
            }
        } else {
            result.push(text);
        }
    }
    result
}

/// Shell pattern matching: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`, backslash escapes.
pub(crate) fn glob_match(p: &[char], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star_p, mut star_s) = (usize::MAX, 0);
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star_p = pi;
                    star_s = si;
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, len)) = bracket(&p[pi..], s[si]) {
                        if matched {
                            pi += len;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == '[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == s[si] {
                        pi += 2;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[si] {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        if star_p != usize::MAX {
            pi = star_p + 1;
            star_s += 1;
            si = star_s;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn bracket(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(1), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Pathname expansion over the virtual filesystem; sorted; hidden files need a leading dot.
pub(crate) fn glob(st: &State, pattern: &str) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let mut partial: Vec<String> = vec![String::new()];
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let has_glob = comp.contains(['*', '?', '[']);
        let mut next = Vec::new();
        for base in &partial {
            let dir = if absolute {
                if base.is_empty() {
                    "/".to_owned()
                } else {
                    base.clone()
                }
            } else if base.is_empty() {
                st.cwd.clone()
            } else {
                st.abs(base)
            };
            let join = |name: &str| -> String {
                if absolute {
                    format!(
                        "{}/{name}",
                        if base.is_empty() { "" } else { base.as_str() }
                    )
                } else if base.is_empty() {
                    name.to_owned()
                } else {
                    format!("{base}/{name}")
                }
            };
            if has_glob {
                let pat: Vec<char> = comp.chars().collect();
                let dotglob = st.shopt_on("dotglob");
                if let Ok(entries) = st.vfs.list(&dir) {
                    for (name, node) in entries {
                        if name.starts_with('.') && !comp.starts_with('.') && !dotglob {
                            continue;
                        }
                        if name == "." || name == ".." {
                            continue;
                        }
                        let chars: Vec<char> = name.chars().collect();
                        if glob_match(&pat, &chars) && (last || node.is_dir() || node.is_link()) {
                            next.push(join(&name));
                        }
                    }
                }
            } else {
                let candidate = join(comp);
                let abs = if absolute {
                    candidate.clone()
                } else {
                    st.abs(&candidate)
                };
                if st.vfs.lstat(&abs).is_ok() {
                    next.push(candidate);
                }
            }
            if next.len() > 4096 {
                break;
            }
        }
        partial = next;
        if partial.is_empty() {
            break;
        }
    }
    partial.sort();
    if pattern.ends_with('/') {
        for p in &mut partial {
            p.push('/');
        }
    }
    partial
}

// ---------------------------------------------------------------------------------------------
// Arithmetic: integers, + - * / % ** comparisons && || ! unary minus, parentheses, variables.

pub(crate) fn arith(st: &mut State, src: &str, out: &mut Out) -> Result<i64, String> {
    let toks = arith_tokens(src)?;
    let mut p = ArithParser {
        toks,
        i: 0,
        depth: 0,
    };
    let v = p.or(st, out)?;
    if p.i < p.toks.len() {
        return Err("syntax error in expression".into());
    }
    Ok(v)
}

#[derive(Debug, Clone, PartialEq)]
enum AT {
    Num(i64),
    Name(String),
    Op(String),
}

fn arith_tokens(s: &str) -> Result<Vec<AT>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut v = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch.is_ascii_digit() {
            let st = i;
            while i < c.len() && c[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let t: String = c[st..i].iter().collect();
            let n = if let Some(h) = t.strip_prefix("0x") {
                i64::from_str_radix(h, 16)
            } else if t.len() > 1 && t.starts_with('0') {
                i64::from_str_radix(&t[1..], 8)
            } else {
                t.parse()
            };
            v.push(AT::Num(n.map_err(|_| {
                format!("{t}: value too great for base (error token is \"{t}\")")
            })?));
        } else if ch == '$' || ch == '_' || ch.is_ascii_alphabetic() {
            let st = if ch == '$' { i + 1 } else { i };
            i = st;
            while i < c.len() && (c[i].is_ascii_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            v.push(AT::Name(c[st..i].iter().collect()));
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            if ["**", "<=", ">=", "==", "!=", "&&", "||", "<<", ">>"].contains(&two.as_str()) {
                v.push(AT::Op(two));
                i += 2;
            } else if "+-*/%()<>!~&|^".contains(ch) {
                v.push(AT::Op(ch.to_string()));
                i += 1;
            } else {
                return Err(format!(
                    "syntax error: invalid arithmetic operator (error token is \"{}\")",
                    c[i..].iter().collect::<String>()
                ));
            }
        }
    }
    Ok(v)
}

struct ArithParser {
    toks: Vec<AT>,
    i: usize,
    depth: usize,
}

impl ArithParser {
    fn op(&self, o: &str) -> bool {
        matches!(self.toks.get(self.i), Some(AT::Op(x)) if x == o)
    }
    fn bin(&mut self, st: &mut State, out: &mut Out, level: usize) -> Result<i64, String> {
        const LEVELS: &[&[&str]] = &[
            &["||"],
            &["&&"],
            &["|"],
            &["^"],
            &["&"],
            &["==", "!="],
            &["<", ">", "<=", ">="],
            &["<<", ">>"],
            &["+", "-"],
            &["*", "/", "%"],
        ];
        if level >= LEVELS.len() {
            return self.unary(st, out);
        }
        let mut l = self.bin(st, out, level + 1)?;
        loop {
            let Some(o) = LEVELS[level].iter().find(|o| self.op(o)).copied() else {
                return Ok(l);
            };
            self.i += 1;
            let r = self.bin(st, out, level + 1)?;
            l = match o {
                "||" => i64::from(l != 0 || r != 0),
                "&&" => i64::from(l != 0 && r != 0),
                "|" => l | r,
                "^" => l ^ r,
                "&" => l & r,
                "==" => i64::from(l == r),
                "!=" => i64::from(l != r),
                "<" => i64::from(l < r),
                ">" => i64::from(l > r),
                "<=" => i64::from(l <= r),
                ">=" => i64::from(l >= r),
                "<<" => l.wrapping_shl((r & 63) as u32),
                ">>" => l.wrapping_shr((r & 63) as u32),
                "+" => l.wrapping_add(r),
                "-" => l.wrapping_sub(r),
                "*" => l.wrapping_mul(r),
                "/" | "%" => {
                    if r == 0 {
                        return Err("division by 0 (error token is \"0\")".into());
                    }
                    if o == "/" {
                        l.wrapping_div(r)
                    } else {
                        l.wrapping_rem(r)
                    }
                }
                _ => l,
            };
        }
    }
    fn or(&mut self, st: &mut State, out: &mut Out) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("expression recursion level exceeded".into());
        }
        let v = self.bin(st, out, 0);
        self.depth -= 1;
        v
    }
    fn unary(&mut self, st: &mut State, out: &mut Out) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("expression recursion level exceeded".into());
        }
        let r = if self.op("-") {
            self.i += 1;
            self.unary(st, out).map(|v| v.wrapping_neg())
        } else if self.op("+") {
            self.i += 1;
            self.unary(st, out)
        } else if self.op("!") {
            self.i += 1;
            self.unary(st, out).map(|v| i64::from(v == 0))
        } else if self.op("~") {
            self.i += 1;
            self.unary(st, out).map(|v| !v)
        } else {
            let base = self.atom(st, out)?;
            if self.op("**") {
                self.i += 1;
                let e = self.unary(st, out)?;
                Ok(base.wrapping_pow(e.clamp(0, 64) as u32))
            } else {
                Ok(base)
            }
        };
        self.depth -= 1;
        r
    }
    fn atom(&mut self, st: &mut State, out: &mut Out) -> Result<i64, String> {
        match self.toks.get(self.i).cloned() {
            Some(AT::Num(n)) => {
                self.i += 1;
                Ok(n)
            }
            Some(AT::Name(n)) => {
                self.i += 1;
                let v = param(st, &n, None, out);
                Ok(v.trim().parse().unwrap_or(0))
            }
            Some(AT::Op(o)) if o == "(" => {
                self.i += 1;
                let v = self.or(st, out)?;
                if !self.op(")") {
                    return Err("missing `)'".into());
                }
                self.i += 1;
                Ok(v)
            }
            _ => Err("syntax error: operand expected".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matching() {
        let m = |p: &str, s: &str| {
            glob_match(
                &p.chars().collect::<Vec<_>>(),
                &s.chars().collect::<Vec<_>>(),
            )
        };
        assert!(m("*.sh", "x.sh"));
        assert!(!m("*.sh", "x.shx"));
        assert!(m("a?c", "abc"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("*", ""));
    }
}
