//! Telnet as a Linux telnetd (netkit) or, on BusyBox personas, BusyBox telnetd negotiates it:
//! the same opening options, answers to what the client offers (never stuck on an unknown
//! option: refused once, never re-negotiated), then `login:`/`Password:` and the shell.

use super::{Connection, ProtocolHandler, SensorContext};
use crate::session::Stage;
use crate::terminal::{to_crlf, Key, LineEditor, ShellSession};
use sikker_event::{Auth, AuthMethod, EventData, Protocol};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;

const ECHO: u8 = 1;
const SGA: u8 = 3;
const TTYPE: u8 = 24;
const NAWS: u8 = 31;
const TSPEED: u8 = 32;
const LFLOW: u8 = 33;
const XDISPLOC: u8 = 35;
const NEW_ENVIRON: u8 = 39;

pub struct Telnet {
    ctx: SensorContext,
}

impl Telnet {
    pub fn new(ctx: &SensorContext) -> Telnet {
        Telnet { ctx: ctx.clone() }
    }
}

/// One parsed piece of the client's stream.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Data(u8),
    Option(u8, u8),
    Sub(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParseState {
    Data,
    Iac,
    Verb(u8),
    Sub,
    SubIac,
}

/// The Telnet command parser. Subnegotiation payloads are not kept (only their option), so
/// its memory is constant whatever the client sends.
struct Parser {
    state: ParseState,
    sub_option: Option<u8>,
}

impl Parser {
    fn new() -> Parser {
        Parser {
            state: ParseState::Data,
            sub_option: None,
        }
    }

    fn feed(&mut self, input: &[u8], out: &mut Vec<Piece>) {
        for &b in input {
            self.state = match (self.state, b) {
                (ParseState::Data, IAC) => ParseState::Iac,
                (ParseState::Data, b) => {
                    out.push(Piece::Data(b));
                    ParseState::Data
                }
                (ParseState::Iac, IAC) => {
                    out.push(Piece::Data(IAC));
                    ParseState::Data
                }
                (ParseState::Iac, v @ (WILL | WONT | DO | DONT)) => ParseState::Verb(v),
                (ParseState::Iac, SB) => {
                    self.sub_option = None;
                    ParseState::Sub
                }
                (ParseState::Iac, _) => ParseState::Data,
                (ParseState::Verb(v), opt) => {
                    out.push(Piece::Option(v, opt));
                    ParseState::Data
                }
                (ParseState::Sub, IAC) => ParseState::SubIac,
                (ParseState::Sub, b) => {
                    if self.sub_option.is_none() {
                        self.sub_option = Some(b);
                    }
                    ParseState::Sub
                }
                (ParseState::SubIac, SE) => {
                    if let Some(opt) = self.sub_option.take() {
                        out.push(Piece::Sub(opt));
                    }
                    ParseState::Data
                }
                (ParseState::SubIac, _) => ParseState::Sub,
            }
        }
    }
}

/// Which options each side has agreed to, so every answer is sent at most once.
struct Options {
    /// Options we asked the client to enable (DO sent).
    asked_do: [bool; 256],
    /// Options we offered (WILL sent).
    offered: [bool; 256],
    /// Options already answered, to break negotiation loops.
    answered: [bool; 256],
    /// How many of the opening DOs the client has answered.
    opening_answers: usize,
}

impl Options {
    fn new() -> Options {
        Options {
            asked_do: [false; 256],
            offered: [false; 256],
            answered: [false; 256],
            opening_answers: 0,
        }
    }

    fn ask(&mut self, opt: u8, out: &mut Vec<u8>) {
        if !self.asked_do[opt as usize] {
            self.asked_do[opt as usize] = true;
            out.extend_from_slice(&[IAC, DO, opt]);
        }
    }

    fn offer(&mut self, opt: u8, out: &mut Vec<u8>) {
        if !self.offered[opt as usize] {
            self.offered[opt as usize] = true;
            out.extend_from_slice(&[IAC, WILL, opt]);
        }
    }

    /// The answer to one option command from the client.
    fn answer(&mut self, verb: u8, opt: u8, out: &mut Vec<u8>) {
        let i = opt as usize;
        let refusal = match verb {
            WILL | WONT if self.asked_do[i] => None,
            WILL => Some(DONT),
            DO if !self.offered[i] => Some(WONT),
            _ => return,
        };
        if std::mem::replace(&mut self.answered[i], true) {
            return;
        }
        match refusal {
            Some(answer) => out.extend_from_slice(&[IAC, answer, opt]),
            None => {
                self.opening_answers += 1;
                if verb == WILL && matches!(opt, TTYPE | TSPEED | XDISPLOC | NEW_ENVIRON) {
                    // Ask for the value, as telnetd's getterminaltype() does.
                    out.extend_from_slice(&[IAC, SB, opt, 1, IAC, SE]);
                }
            }
        }
    }
}

/// The connection as the login and the shell see it: data bytes after Telnet commands are
/// answered and stripped.
struct Line<'a, S> {
    stream: &'a mut S,
    parser: Parser,
    options: Options,
    pending: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Line<'_, S> {
    /// Reads the next chunk of data bytes; `None` at end of stream.
    async fn read(&mut self) -> Option<Vec<u8>> {
        let mut buf = [0u8; 2048];
        loop {
            let n = match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            };
            let mut pieces = Vec::new();
            self.parser.feed(&buf[..n], &mut pieces);
            let mut reply = Vec::new();
            let mut data = std::mem::take(&mut self.pending);
            for p in pieces {
                match p {
                    Piece::Data(b) => data.push(b),
                    Piece::Option(verb, opt) => self.options.answer(verb, opt, &mut reply),
                    Piece::Sub(_) => {}
                }
            }
            if !reply.is_empty() && self.stream.write_all(&reply).await.is_err() {
                return None;
            }
            if !data.is_empty() {
                return Some(data);
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// Reads one line with the given echo; `None` when the client left.
    async fn read_line(&mut self, editor: &mut LineEditor) -> Option<String> {
        loop {
            let data = self.read().await?;
            for key in editor.feed(&data) {
                match key {
                    Key::Echo(bytes) => {
                        if !self.write(&bytes).await {
                            return None;
                        }
                    }
                    Key::Line(line) => return Some(line),
                    Key::Interrupt => return Some(String::new()),
                    Key::Eof => return None,
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl ProtocolHandler for Telnet {
    fn protocol(&self) -> Protocol {
        Protocol::Telnet
    }

    async fn serve(&self, conn: Connection) -> &'static str {
        let Connection {
            mut stream,
            session,
        } = conn;
        let persona = self.ctx.system.persona();
        let busybox = persona.is_busybox();
        let mut line = Line {
            stream: &mut stream,
            parser: Parser::new(),
            options: Options::new(),
            pending: Vec::new(),
        };
        let mut opening = Vec::new();
        if busybox {
            line.options.ask(ECHO, &mut opening);
            line.options.ask(NAWS, &mut opening);
            line.options.ask(LFLOW, &mut opening);
            line.options.offer(ECHO, &mut opening);
            line.options.offer(SGA, &mut opening);
        } else {
            for opt in [TTYPE, TSPEED, XDISPLOC, NEW_ENVIRON] {
                line.options.ask(opt, &mut opening);
            }
        }
        if !line.write(&opening).await {
            return "closed";
        }
        if !busybox {
            // Wait (briefly) for the answers before the login prompt, as telnetd does.
            // netkit telnetd waits for them indefinitely; the pre-auth deadline bounds this wait.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
            while line.options.opening_answers < 4 {
                match tokio::time::timeout_at(deadline, line.read()).await {
                    Ok(Some(data)) => line.pending.extend_from_slice(&data),
                    Ok(None) => return "closed",
                    Err(_) => break,
                }
            }
            let mut more = Vec::new();
            line.options.offer(ECHO, &mut more);
            line.options.offer(SGA, &mut more);
            line.options.ask(NAWS, &mut more);
            if !line.write(&more).await {
                return "closed";
            }
        }
        let banner = to_crlf(format!("\n{}", persona.telnet_banner()).as_bytes());
        if !line.write(&banner).await {
            return "closed";
        }
        let mut editor = LineEditor::new(self.ctx.limits.line_bytes);
        let login_prompt = format!("{} login: ", persona.hostname);
        let username = loop {
            let Some(name) = line.read_line(&mut editor).await else {
                return "closed";
            };
            let name = name.trim().to_owned();
            if !name.is_empty() {
                break name;
            }
            if !line.write(login_prompt.as_bytes()).await {
                return "closed";
            }
        };
        session.set_stage(Stage::Authenticating);
        if !line.write(b"Password: ").await {
            return "closed";
        }
        editor.set_echo(false);
        let Some(password) = line.read_line(&mut editor).await else {
            session
                .record(EventData::Auth(Auth {
                    method: AuthMethod::Password,
                    username,
                    password: None,
                    key_type: None,
                    key_fingerprint: None,
                    success: false,
                }))
                .await;
            return "closed";
        };
        editor.set_echo(true);
        session
            .record(EventData::Auth(Auth {
                method: AuthMethod::Password,
                username: username.clone(),
                password: Some(password),
                key_type: None,
                key_fingerprint: None,
                success: true,
            }))
            .await;
        session.set_stage(Stage::Authenticated);
        let mut shell = ShellSession::new(&self.ctx.system, &username, session.clone());
        let mut welcome = to_crlf(shell.shell().login_banner(None).as_bytes());
        welcome.extend_from_slice(shell.shell().prompt().as_bytes());
        if !line.write(&welcome).await {
            return "closed";
        }
        loop {
            let Some(data) = line.read().await else {
                return "closed";
            };
            for key in editor.feed(&data) {
                let out = match key {
                    Key::Echo(bytes) => bytes,
                    Key::Line(text) => {
                        let outcome = shell.run(&text).await;
                        let mut out = to_crlf(&outcome.output);
                        if outcome.close_session {
                            let _ = line.write(&out).await;
                            return "closed";
                        }
                        out.extend_from_slice(shell.shell().prompt().as_bytes());
                        out
                    }
                    Key::Interrupt => shell.shell().prompt().into_bytes(),
                    Key::Eof => {
                        let _ = line.write(b"logout\r\n").await;
                        return "closed";
                    }
                };
                if !line.write(&out).await {
                    return "closed";
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_answers_once() {
        let mut p = Parser::new();
        let mut pieces = Vec::new();
        p.feed(
            &[
                b'a', IAC, WILL, TTYPE, IAC, SB, TTYPE, 0, b'x', IAC, SE, IAC, IAC, IAC, DO, 99,
            ],
            &mut pieces,
        );
        assert_eq!(
            pieces,
            vec![
                Piece::Data(b'a'),
                Piece::Option(WILL, TTYPE),
                Piece::Sub(TTYPE),
                Piece::Data(IAC),
                Piece::Option(DO, 99)
            ]
        );
        let mut o = Options::new();
        let mut out = Vec::new();
        o.ask(TTYPE, &mut out);
        out.clear();
        o.answer(WILL, TTYPE, &mut out);
        assert_eq!(out, vec![IAC, SB, TTYPE, 1, IAC, SE]);
        out.clear();
        o.answer(DO, 99, &mut out);
        o.answer(DO, 99, &mut out);
        o.answer(WILL, 77, &mut out);
        o.answer(WILL, 77, &mut out);
        assert_eq!(out, vec![IAC, WONT, 99, IAC, DONT, 77]);
    }
}
