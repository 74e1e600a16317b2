//! What SSH PTYs and Telnet share: a line editor that behaves like a tty in canonical mode
//! (echo, backspace, ^C, ^D, ^U, CR/LF/CR-NUL), and the driver that runs finished lines
//! through the emulated shell and records them.

use crate::session::SessionRecorder;
use sikker_event::EventData;
use sikker_shell::{Filesystem, Outcome, Shell, System};
use std::sync::{Arc, Mutex};

/// What a chunk of keystrokes amounts to, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// Bytes to echo back to the terminal.
    Echo(Vec<u8>),
    /// A finished line (without its terminator).
    Line(String),
    /// ^C: the line was discarded.
    Interrupt,
    /// ^D on an empty line.
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    Esc,
    Csi,
    Ss3,
}

/// A canonical-mode line discipline. Holds at most `max` bytes of the current line.
#[derive(Debug)]
pub struct LineEditor {
    buf: Vec<u8>,
    max: usize,
    escape: Escape,
    after_cr: bool,
    echo: bool,
}

impl LineEditor {
    pub fn new(max: usize) -> LineEditor {
        LineEditor {
            buf: Vec::new(),
            max: max.max(1),
            escape: Escape::None,
            after_cr: false,
            echo: true,
        }
    }

    /// Turns echo off (for password prompts) or on.
    pub fn set_echo(&mut self, on: bool) {
        self.echo = on;
    }

    pub fn feed(&mut self, input: &[u8]) -> Vec<Key> {
        let mut keys = Vec::new();
        let mut echo = Vec::new();
        for &b in input {
            match self.escape {
                Escape::Esc => {
                    self.escape = match b {
                        b'[' => Escape::Csi,
                        b'O' => Escape::Ss3,
                        _ => Escape::None,
                    };
                    continue;
                }
                Escape::Csi => {
                    if (0x40..=0x7e).contains(&b) {
                        self.escape = Escape::None;
                    }
                    continue;
                }
                Escape::Ss3 => {
                    self.escape = Escape::None;
                    continue;
                }
                Escape::None => {}
            }
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match b {
                b'\r' => {
                    self.after_cr = true;
                    self.finish_line(&mut echo, &mut keys);
                }
                b'\n' if after_cr => {}
                b'\n' => self.finish_line(&mut echo, &mut keys),
                0 => {}
                0x1b => self.escape = Escape::Esc,
                0x7f | 0x08 => {
                    if self.pop_char() && self.echo {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x15 => {
                    while self.pop_char() {
                        if self.echo {
                            echo.extend_from_slice(b"\x08 \x08");
                        }
                    }
                }
                0x03 => {
                    echo.extend_from_slice(b"^C\r\n");
                    flush(&mut echo, &mut keys);
                    self.buf.clear();
                    keys.push(Key::Interrupt);
                }
                0x04 => {
                    if self.buf.is_empty() {
                        flush(&mut echo, &mut keys);
                        keys.push(Key::Eof);
                    }
                }
                b if b < 0x20 => {}
                b => {
                    if self.buf.len() < self.max {
                        self.buf.push(b);
                        if self.echo {
                            echo.push(b);
                        }
                    }
                }
            }
        }
        flush(&mut echo, &mut keys);
        keys
    }

    fn finish_line(&mut self, echo: &mut Vec<u8>, keys: &mut Vec<Key>) {
        echo.extend_from_slice(b"\r\n");
        flush(echo, keys);
        let line = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        keys.push(Key::Line(line));
    }

    /// Removes the last character (a whole UTF-8 sequence); false when the line is empty.
    fn pop_char(&mut self) -> bool {
        while let Some(b) = self.buf.pop() {
            if b & 0xC0 != 0x80 {
                return true;
            }
        }
        false
    }
}

fn flush(echo: &mut Vec<u8>, keys: &mut Vec<Key>) {
    if !echo.is_empty() {
        keys.push(Key::Echo(std::mem::take(echo)));
    }
}

/// `\n` → `\r\n`, as a tty with `onlcr` prints it.
pub fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// The filesystem the shells of one login share (the SSH channels of one connection: an
/// SFTP upload, then an exec that runs the file). Each shell keeps its own copy and trades it
/// here around every command or request, so a shell sees what another wrote before its turn.
/// Cheap to clone: clones are handles to the same slot.
#[derive(Clone, Default)]
pub struct SharedFs(Arc<Mutex<FsSlot>>);

#[derive(Default)]
struct FsSlot {
    fs: Option<Filesystem>,
    /// Bumped by every publication; a shell that saw an older one adopts the newer.
    version: u64,
}

impl SharedFs {
    /// Gives `shell` the shared filesystem if another shell published since `seen`.
    pub fn adopt(&self, seen: &mut u64, shell: &mut Shell) {
        let Ok(slot) = self.0.lock() else { return };
        if *seen < slot.version {
            if let Some(fs) = &slot.fs {
                shell.set_filesystem(fs.clone());
            }
            *seen = slot.version;
        }
    }

    /// Makes `shell`'s filesystem the shared one.
    pub fn publish(&self, seen: &mut u64, shell: &Shell) {
        let Ok(mut slot) = self.0.lock() else { return };
        slot.fs = Some(shell.filesystem());
        slot.version += 1;
        *seen = slot.version;
    }
}

/// A logged-in shell whose every line is recorded before it runs.
pub struct ShellSession {
    shell: Shell,
    session: SessionRecorder,
    /// The login's shared filesystem and the version of it this shell has.
    fs: Option<(SharedFs, u64)>,
}

impl ShellSession {
    pub fn new(system: &Arc<System>, username: &str, session: SessionRecorder) -> ShellSession {
        ShellSession {
            shell: Shell::new(system, username),
            session,
            fs: None,
        }
    }

    /// Shares the filesystem with the other shells of the same login.
    pub fn with_shared_fs(mut self, fs: SharedFs) -> ShellSession {
        let mut seen = 0;
        fs.adopt(&mut seen, &mut self.shell);
        self.fs = Some((fs, seen));
        self
    }

    pub fn shell(&self) -> &Shell {
        &self.shell
    }

    pub fn set_exec_mode(&mut self, exec: bool) {
        self.shell.set_exec_mode(exec);
    }

    /// Records the line as a `command`, interprets it, records its downloads.
    pub async fn run(&mut self, line: &str) -> Outcome {
        if !line.trim().is_empty() {
            self.session
                .record(EventData::Command {
                    line: line.to_owned(),
                })
                .await;
        }
        if let Some((fs, seen)) = &mut self.fs {
            fs.adopt(seen, &mut self.shell);
        }
        let outcome = self.shell.execute(line);
        if let Some((fs, seen)) = &mut self.fs {
            fs.publish(seen, &self.shell);
        }
        for effect in &outcome.effects {
            if let Some(data) = effect.to_event_data() {
                self.session.record(data).await;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_like_a_tty() {
        let mut ed = LineEditor::new(100);
        let keys = ed.feed(b"lx\x7fs -l\r\nuname\n");
        assert_eq!(
            keys,
            vec![
                Key::Echo(b"lx\x08 \x08s -l\r\n".to_vec()),
                Key::Line("ls -l".into()),
                Key::Echo(b"uname\r\n".to_vec()),
                Key::Line("uname".into()),
            ]
        );
        let keys = ed.feed(b"abc\x03\x1b[A\x04");
        assert_eq!(
            keys,
            vec![Key::Echo(b"abc^C\r\n".to_vec()), Key::Interrupt, Key::Eof]
        );
        let keys = ed.feed("é\x7f\r\0".as_bytes());
        assert_eq!(keys.last(), Some(&Key::Line(String::new())));
    }

    #[test]
    fn lines_are_bounded_and_crlf_is_added_once() {
        let mut ed = LineEditor::new(4);
        let keys = ed.feed(b"abcdefgh\r");
        assert_eq!(keys[1], Key::Line("abcd".into()));
        assert_eq!(to_crlf(b"a\nb\r\nc"), b"a\r\nb\r\nc".to_vec());
    }
}
