//! The emulated commands: one module per command or family, each exporting `SPECS`. Adding a
//! command is a new file with its `SPECS` and tests, plus its module name in [`families!`].

use crate::interp::{self, Out, State};
use crate::persona::{Family, Persona};
use crate::vfs::FsError;
use crate::{Effect, System};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Where a program's executable lives in the virtual tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A shell builtin only: no file.
    Builtin,
    Bin,
    Sbin,
}

/// One emulated command.
pub(crate) struct Spec {
    pub name: &'static str,
    pub place: Place,
    /// The shell runs it without a PATH lookup (and `type` says "is a shell builtin").
    pub builtin: bool,
    /// Whether this persona has it installed (e.g. `yum` only on EL, `nvidia-smi` with a GPU).
    pub present: fn(&Persona) -> bool,
    pub run: fn(&mut Ctx<'_>, &[String]) -> i32,
}

pub(crate) fn always(_: &Persona) -> bool {
    true
}
pub(crate) fn debian_like(p: &Persona) -> bool {
    matches!(p.os.family, Family::Debian | Family::Ubuntu)
}
pub(crate) fn rhel_like(p: &Persona) -> bool {
    p.os.family == Family::Rhel
}

/// A program in /usr/bin (or /bin on BusyBox systems), present everywhere.
pub(crate) const fn bin(name: &'static str, run: fn(&mut Ctx<'_>, &[String]) -> i32) -> Spec {
    Spec {
        name,
        place: Place::Bin,
        builtin: false,
        present: always,
        run,
    }
}
pub(crate) const fn sbin(name: &'static str, run: fn(&mut Ctx<'_>, &[String]) -> i32) -> Spec {
    Spec {
        name,
        place: Place::Sbin,
        builtin: false,
        present: always,
        run,
    }
}
/// A builtin that also exists as a program file (`echo`, `printf`, `kill`, `pwd`, `test` …).
pub(crate) const fn both(name: &'static str, run: fn(&mut Ctx<'_>, &[String]) -> i32) -> Spec {
    Spec {
        name,
        place: Place::Bin,
        builtin: true,
        present: always,
        run,
    }
}
pub(crate) const fn builtin(name: &'static str, run: fn(&mut Ctx<'_>, &[String]) -> i32) -> Spec {
    Spec {
        name,
        place: Place::Builtin,
        builtin: true,
        present: always,
        run,
    }
}

macro_rules! families {
    ($($m:ident),* $(,)?) => {
        $(pub(crate) mod $m;)*
        /// Every spec of every family.
        pub(crate) fn all() -> &'static [&'static Spec] {
            static ALL: OnceLock<Vec<&'static Spec>> = OnceLock::new();
            ALL.get_or_init(|| {
                let mut v: Vec<&'static Spec> = Vec::new();
                $(v.extend($m::SPECS.iter());)*
                v
            })
        }
    };
}

families![
    accounts,
    archive,
    attrs,
    busybox,
    cat,
    crontab,
    date,
    docker,
    echo,
    fetch,
    file,
    fileops,
    find,
    flow,
    git,
    grep,
    hash,
    headtail,
    hw,
    identity,
    interpreters,
    iptables,
    kill,
    lscpu,
    ls,
    mem,
    misc,
    nav,
    net,
    nvidia,
    perms,
    pkg,
    printf,
    ps,
    remote,
    services,
    sessions,
    shells,
    sortuniq,
    shopt,
    sudo,
    sysinfo,
    test,
    text,
    textproc,
    trap,
    vars,
    which,
    who
];

/// The spec for a name, if any family provides one.
pub(crate) fn find(name: &str) -> Option<&'static Spec> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Spec>> = OnceLock::new();
    INDEX
        .get_or_init(|| all().iter().map(|s| (s.name, *s)).collect())
        .get(name)
        .copied()
}

/// A command's standard streams.
pub(crate) struct Io {
    pub stdin: Vec<u8>,
    pub out: Out,
}

/// What a running command sees: the session state and its streams.
pub(crate) struct Ctx<'a> {
    pub st: &'a mut State,
    pub io: &'a mut Io,
}

impl Ctx<'_> {
    pub fn out(&mut self, s: impl AsRef<[u8]>) {
        self.io.out.push(1, s.as_ref());
    }
    pub fn err(&mut self, s: impl AsRef<[u8]>) {
        self.io.out.push(2, s.as_ref());
    }
    pub fn output_full(&self) -> bool {
        self.io.out.is_full()
    }
    pub fn sys(&self) -> Arc<System> {
        Arc::clone(&self.st.sys)
    }
    pub fn now(&self) -> i64 {
        self.st.now()
    }
    pub fn abs(&self, path: &str) -> String {
        self.st.abs(path)
    }
    pub fn uid(&self) -> u32 {
        self.st.uid
    }
    pub fn is_root(&self) -> bool {
        self.st.uid == 0
    }
    pub fn limit(&self) -> usize {
        self.st.sys.limits.max_output
    }
    pub fn effect(&mut self, e: Effect) {
        if self.st.effects.len() < 256 {
            self.st.effects.push(e);
        }
    }
    pub fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        let abs = self.abs(path);
        self.st.vfs.read(
            &abs,
            self.st.uid,
            self.limit(),
            self.now(),
            self.st.sys.persona.boot_at(self.now()),
        )
    }
    pub fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        let abs = self.abs(path);
        let now = self.now();
        self.st.vfs.write(&abs, data, append, self.st.uid, now)
    }
    /// Reads each operand (or stdin for none or `-`), reporting errors as `cmd: path: msg`.
    pub fn inputs(&mut self, cmd: &str, files: &[String]) -> (Vec<(String, Vec<u8>)>, bool) {
        let mut out = Vec::new();
        let mut ok = true;
        if files.is_empty() {
            out.push(("-".to_owned(), self.io.stdin.clone()));
        }
        for f in files {
            if f == "-" {
                out.push((f.clone(), self.io.stdin.clone()));
                continue;
            }
            match self.read(f) {
                Ok(d) => out.push((f.clone(), d)),
                Err(e) => {
                    self.err(format!("{cmd}: {f}: {}\n", e.message()));
                    ok = false;
                }
            }
        }
        (out, ok)
    }
    /// Runs a nested script (for `sh -c`, `eval`, `source`) with this command's streams.
    pub fn run_script(&mut self, src: &str, args: Vec<String>) -> i32 {
        let mut out = Out::new(self.limit());
        let stdin = self.io.stdin.clone();
        let status = interp::run_nested(self.st, interp::Nest::Shell, src, args, stdin, &mut out);
        for (fd, d) in out.chunks {
            self.io.out.push(fd, &d);
        }
        status
    }
    /// Runs a script in the current shell (for `eval` and `.`): variables and cwd persist.
    pub fn run_here(&mut self, src: &str) -> i32 {
        let mut out = Out::new(self.limit());
        if self.st.depth >= self.st.sys.limits.max_depth {
            self.err("maximum nesting level exceeded\n");
            return 1;
        }
        self.st.depth += 1;
        let stdin = self.io.stdin.clone();
        let status = interp::run_source(self.st, src, stdin, &mut out);
        let status = self.st.returning.take().unwrap_or(status);
        self.st.depth -= 1;
        for (fd, d) in out.chunks {
            self.io.out.push(fd, &d);
        }
        status
    }
    /// Runs argv as a command (for `sudo`, `nohup`, `timeout`, `xargs`, `busybox APPLET`).
    pub fn run_argv(&mut self, argv: Vec<String>) -> i32 {
        let src = argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        let mut out = Out::new(self.limit());
        let stdin = self.io.stdin.clone();
        self.st.depth += 1;
        let status = if self.st.depth > self.st.sys.limits.max_depth {
            1
        } else {
            interp::run_source(self.st, &src, stdin, &mut out)
        };
        self.st.depth -= 1;
        for (fd, d) in out.chunks {
            self.io.out.push(fd, &d);
        }
        status
    }
    /// GNU-style usage error: `cmd: invalid option -- 'x'` plus the `--help` hint.
    pub fn bad_option(&mut self, cmd: &str, e: &OptError, code: i32) -> i32 {
        if self.st.sys.persona.is_busybox() {
            self.err(format!(
                "{cmd}: {}\nBusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n",
                e.message()
            ));
        } else {
            self.err(format!(
                "{cmd}: {}\nTry '{cmd} --help' for more information.\n",
                e.message()
            ));
        }
        code
    }
    pub fn persona_is_busybox(&self) -> bool {
        self.st.sys.persona.is_busybox()
    }
}

/// Quotes a word so the parser reads it back unchanged.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OptError {
    Invalid(char),
    Missing(char),
    Unrecognized(String),
}

impl OptError {
    pub fn message(&self) -> String {
        match self {
            OptError::Invalid(c) => format!("invalid option -- '{c}'"),
            OptError::Missing(c) => format!("option requires an argument -- '{c}'"),
            OptError::Unrecognized(s) => format!("unrecognized option '{s}'"),
        }
    }
}

/// Parsed command-line options.
#[derive(Debug, Default)]
pub(crate) struct Opts {
    pub flags: Vec<char>,
    pub values: Vec<(char, String)>,
    pub longs: Vec<(String, Option<String>)>,
    pub args: Vec<String>,
}

impl Opts {
    pub fn has(&self, c: char) -> bool {
        self.flags.contains(&c) || self.values.iter().any(|(k, _)| *k == c)
    }
    pub fn value(&self, c: char) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| v.as_str())
    }
    pub fn long(&self, name: &str) -> bool {
        self.longs.iter().any(|(n, _)| n == name)
    }
    pub fn long_value(&self, name: &str) -> Option<&str> {
        self.longs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// getopt-like parsing: `noarg` letters are flags, `witharg` letters take a value; long options
/// (`--x`, `--x=v`) are collected as given (in `known_long`, or any when it is empty); options
/// and operands may mix (GNU permutation); `--` ends options.
pub(crate) fn getopt(
    args: &[String],
    noarg: &str,
    witharg: &str,
    known_long: &[&str],
) -> Result<Opts, OptError> {
    let mut o = Opts::default();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            o.args.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (long.to_owned(), None),
            };
            let takes_value = known_long
                .iter()
                .any(|k| k.strip_suffix('=') == Some(name.as_str()));
            let known =
                known_long.is_empty() || known_long.iter().any(|k| k.trim_end_matches('=') == name);
            if !known {
                return Err(OptError::Unrecognized(a.clone()));
            }
            let val = if takes_value && val.is_none() && i < args.len() {
                i += 1;
                Some(args[i - 1].clone())
            } else {
                val
            };
            o.longs.push((name, val));
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                k += 1;
                if witharg.contains(c) {
                    let rest: String = chars[k..].iter().collect();
                    if !rest.is_empty() {
                        o.values.push((c, rest));
                    } else if i < args.len() {
                        o.values.push((c, args[i].clone()));
                        i += 1;
                    } else {
                        return Err(OptError::Missing(c));
                    }
                    break;
                } else if noarg.contains(c) {
                    o.flags.push(c);
                } else {
                    return Err(OptError::Invalid(c));
                }
            }
            continue;
        }
        o.args.push(a.clone());
    }
    Ok(o)
}

/// Human-readable sizes as coreutils `-h` prints them (1024-based, one decimal under 10).
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut v = bytes as f64;
    let mut u = 0;
    v /= 1024.0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v < 10.0 {
        let r = (v * 10.0).ceil() / 10.0;
        if r >= 10.0 {
            format!("{:.0}{}", r, UNITS[u])
        } else {
            format!("{:.1}{}", r, UNITS[u])
        }
    } else {
        format!("{:.0}{}", v.ceil(), UNITS[u])
    }
}

/// Splits bytes into lines keeping the final line even without a newline.
pub(crate) fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    if data.ends_with(b"\n") || data.is_empty() {
        v.pop();
    }
    v
}

/// Resolves a user name or numeric id against the persona.
pub(crate) fn lookup_user(p: &Persona, name: &str) -> Option<(String, u32, u32)> {
    if let Some(u) = p.users.iter().find(|u| u.name == name) {
        return Some((u.name.clone(), u.uid, u.gid));
    }
    match name {
        "daemon" => Some(("daemon".into(), 1, 1)),
        "bin" => Some(("bin".into(), 2, 2)),
        "www-data" => Some(("www-data".into(), 33, 33)),
        "nobody" => Some(("nobody".into(), 65534, 65534)),
        _ => name.parse::<u32>().ok().map(|n| (name.to_owned(), n, n)),
    }
}

/// The user name for a uid, as `ls -l` shows owners.
pub(crate) fn user_name(st: &State, uid: u32) -> String {
    if uid == st.uid {
        return st.user.clone();
    }
    match uid {
        0 => "root".into(),
        1 => "daemon".into(),
        2 => "bin".into(),
        33 => "www-data".into(),
        65534 => "nobody".into(),
        _ => st
            .sys
            .persona
            .users
            .iter()
            .find(|u| u.uid == uid)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| uid.to_string()),
    }
}

pub(crate) fn group_name(st: &State, gid: u32) -> String {
    if gid == st.gid {
        return st.user.clone();
    }
    match gid {
        0 => "root".into(),
        4 => "adm".into(),
        6 => "disk".into(),
        42 => "shadow".into(),
        43 => "utmp".into(),
        101 => "crontab".into(),
        65534 => "nogroup".into(),
        _ => st
            .sys
            .persona
            .users
            .iter()
            .find(|u| u.gid == gid)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| gid.to_string()),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::{Persona, Shell, System};

    /// A Debian 12 persona (seeds are searched, so the test does not depend on pool order).
    pub fn persona(family: &str) -> Persona {
        (0..10_000u64)
            .map(Persona::generate)
            .find(|p| match family {
                "debian12" => p.os.id == "debian" && p.os.version_id == "12",
                "ubuntu" => p.os.id == "ubuntu",
                "centos" => p.os.id == "centos",
                "alpine" => p.os.id == "alpine",
                "gpu" => p.gpu.is_some() && p.os.id == "debian",
                "nogpu" => p.gpu.is_none() && p.os.id == "debian",
                _ => true,
            })
            .unwrap_or_else(|| Persona::generate(0))
    }

    pub fn shell(family: &str) -> Shell {
        let sys = System::new(persona(family));
        let mut sh = Shell::new(&sys, "root");
        sh.set_clock(1_732_433_497);
        sh
    }

    /// Runs a line and returns (output, status).
    pub fn run(sh: &mut Shell, line: &str) -> (String, i32) {
        let o = sh.execute(line);
        (String::from_utf8_lossy(&o.output).into_owned(), o.exit_code)
    }
}
