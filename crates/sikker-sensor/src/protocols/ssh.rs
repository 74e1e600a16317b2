//! SSH, on russh: the identification and algorithm lists of the persona's stock OpenSSH, every
//! login accepted and recorded, exec and PTY shells on the emulated system, SCP and SFTP
//! uploads into quarantine, forwarding recorded and refused.

use super::sftp::{SftpServer, SftpUpload};
use super::{Connection, ProtocolError, ProtocolHandler, SensorContext};
use crate::quarantine::Quarantine;
use crate::session::{SessionRecorder, Stage};
use crate::terminal::{to_crlf, Key, LineEditor, SharedFs, ShellSession};
use russh::keys::{Algorithm, EcdsaCurve, HashAlg, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, Response, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Preferred, SshId};
use sikker_event::{Auth as AuthEvent, AuthMethod, EventData, Protocol, Request, Transfer};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::mem::MaybeUninit;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

pub struct Ssh {
    config: Arc<russh::server::Config>,
    /// The identification line as sent, CR LF included.
    ident_line: String,
    ctx: SensorContext,
}

impl Ssh {
    pub async fn new(ctx: &SensorContext) -> Result<Ssh, ProtocolError> {
        let setup = |message: String| ProtocolError::Setup {
            protocol: Protocol::Ssh,
            message,
        };
        let dir = ctx.state_dir.clone();
        let keys = tokio::task::spawn_blocking(move || host_keys(&dir))
            .await
            .map_err(|e| setup(e.to_string()))?
            .map_err(|e| setup(format!("host keys: {e}")))?;
        let ident = ctx.system.persona().ssh_ident.clone();
        let config = russh::server::Config {
            server_id: SshId::Standard(Cow::Owned(ident.clone())),
            methods: MethodSet::from(
                &[
                    MethodKind::PublicKey,
                    MethodKind::Password,
                    MethodKind::KeyboardInteractive,
                ][..],
            ),
            auth_rejection_time: Duration::from_millis(0),
            auth_rejection_time_initial: Some(Duration::from_millis(0)),
            keys,
            preferred: openssh_preferred(&ident),
            inactivity_timeout: Some(ctx.limits.idle()),
            max_auth_attempts: 6,
            nodelay: true,
            ..Default::default()
        };
        Ok(Ssh {
            config: Arc::new(config),
            ident_line: format!("{ident}\r\n"),
            ctx: ctx.clone(),
        })
    }
}

/// OpenSSH's server algorithm lists (7.4 … 9.x), minus what russh lacks (sntrup761, umac).
fn openssh_preferred(ident: &str) -> Preferred {
    use russh::{cipher, compression, kex, mac};
    let version = ident
        .split("OpenSSH_")
        .nth(1)
        .and_then(|v| {
            let mut it = v.split(|c: char| !c.is_ascii_digit());
            Some((
                it.next()?.parse::<u32>().ok()?,
                it.next()?.parse::<u32>().ok()?,
            ))
        })
        .unwrap_or((9, 2));
    let mut kexes = Vec::new();
    if version >= (9, 9) {
        kexes.push(kex::MLKEM768X25519_SHA256);
    }
    kexes.extend([
        kex::CURVE25519,
        kex::CURVE25519_PRE_RFC_8731,
        kex::ECDH_SHA2_NISTP256,
        kex::ECDH_SHA2_NISTP384,
        kex::ECDH_SHA2_NISTP521,
        kex::DH_GEX_SHA256,
        kex::DH_G16_SHA512,
        kex::DH_G18_SHA512,
        kex::DH_G14_SHA256,
    ]);
    if version < (8, 0) {
        kexes.push(kex::DH_G14_SHA1);
    }
    Preferred {
        kex: Cow::Owned(kexes),
        key: Cow::Owned(vec![
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha512),
            },
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha256),
            },
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256,
            },
            Algorithm::Ed25519,
        ]),
        cipher: Cow::Owned(vec![
            cipher::CHACHA20_POLY1305,
            cipher::AES_128_CTR,
            cipher::AES_192_CTR,
            cipher::AES_256_CTR,
            cipher::AES_128_GCM,
            cipher::AES_256_GCM,
        ]),
        mac: Cow::Owned(vec![
            mac::HMAC_SHA256_ETM,
            mac::HMAC_SHA512_ETM,
            mac::HMAC_SHA1_ETM,
            mac::HMAC_SHA256,
            mac::HMAC_SHA512,
            mac::HMAC_SHA1,
        ]),
        compression: Cow::Owned(vec![compression::NONE, compression::ZLIB_LEGACY]),
        ..Preferred::default()
    }
}

/// Loads the sensor's host keys, generating the missing ones once (RSA 3072, ECDSA P-256,
/// Ed25519, as `ssh-keygen -A` makes them).
fn host_keys(dir: &Path) -> Result<Vec<PrivateKey>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let kinds = [
        ("ssh_host_rsa_key", None),
        (
            "ssh_host_ecdsa_key",
            Some(Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256,
            }),
        ),
        ("ssh_host_ed25519_key", Some(Algorithm::Ed25519)),
    ];
    let mut keys = Vec::new();
    for (name, algorithm) in kinds {
        let path = dir.join(name);
        let key = match std::fs::read_to_string(&path) {
            Ok(text) => PrivateKey::from_openssh(text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut rng = rand_core10::rng();
                let key = match algorithm {
                    Some(a) => PrivateKey::random(&mut rng, a),
                    None => russh::keys::ssh_key::private::RsaKeypair::random(&mut rng, 3072)
                        .and_then(|k| PrivateKey::new(k.into(), "")),
                }
                .map_err(|e| format!("generating {name}: {e}"))?;
                let text = key
                    .to_openssh(russh::keys::ssh_key::LineEnding::LF)
                    .map_err(|e| format!("encoding {name}: {e}"))?;
                write_private(&path, text.as_bytes())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                key
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        keys.push(key);
    }
    Ok(keys)
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)
}

/// OpenSSH's limit on an identification line, its CR LF included.
const IDENT_MAX: usize = 256;

/// The client's identification, or what OpenSSH answers before hanging up. Reads in chunks
/// (not byte by byte: a syscall per byte was a tenth of a handshake's CPU) and returns
/// everything read, since a client may send its KEXINIT in the same segment, with the length
/// of the line within it.
async fn read_client_ident<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<(Vec<u8>, usize), &'static str> {
    let mut read = Vec::with_capacity(IDENT_MAX);
    let mut chunk = [0u8; IDENT_MAX];
    let line_len = loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Err(""),
            Ok(n) => n,
        };
        let start = read.len();
        read.extend_from_slice(&chunk[..n]);
        if let Some(i) = read[start..].iter().position(|&b| b == b'\n') {
            break start + i + 1;
        }
        if read.len() >= IDENT_MAX {
            return Err("Invalid SSH identification string.\r\n");
        }
    };
    if line_len > IDENT_MAX {
        return Err("Invalid SSH identification string.\r\n");
    }
    let line = &read[..line_len];
    if line.starts_with(b"SSH-1.99-") || line.starts_with(b"SSH-2.0-") {
        Ok((read, line_len))
    } else if line.starts_with(b"SSH-") {
        Err("Protocol major versions differ.\r\n")
    } else {
        Err("Invalid SSH identification string.\r\n")
    }
}

/// Lets russh run its usual exchange on a stream whose identification lines were already
/// exchanged: the client's line is replayed to it and russh's own (identical) line is
/// swallowed. Killing it fails every read and write, which ends russh's spawned session.
///
/// It also reads ahead: russh reads each packet with two exact reads (its first block, then
/// the rest), which unbuffered are two syscalls or more per packet. Small reads are served
/// from one read of up to [`READ_AHEAD`] bytes, kept only while it holds unread bytes, so an
/// idle session carries no buffer.
struct Replayed<S> {
    inner: S,
    /// Bytes already read from the client and not yet handed to russh.
    pending: Vec<u8>,
    pending_pos: usize,
    swallow: usize,
    kill: Arc<KillSwitch>,
}

/// Enough for any handshake packet but a large KEXINIT; a bigger read goes straight through.
const READ_AHEAD: usize = 2048;

#[derive(Default)]
struct KillSwitch {
    killed: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl KillSwitch {
    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Asks to be woken when killed; true if it already is. Called only before returning
    /// `Pending`: a ready read or write needs no waker.
    fn register(&self, cx: &Context<'_>) -> bool {
        let mut w = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
        if !w.iter().any(|x| x.will_wake(cx.waker())) {
            if w.len() >= 4 {
                w.remove(0);
            }
            w.push(cx.waker().clone());
        }
        drop(w);
        // After the push: a kill between the two is seen here, a later one wakes the waker.
        self.is_killed()
    }

    fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        let wakers = std::mem::take(&mut *self.wakers.lock().unwrap_or_else(|p| p.into_inner()));
        for w in wakers {
            w.wake();
        }
    }
}

struct KillOnDrop(Arc<KillSwitch>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill();
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "session ended by the sensor",
    )
}

impl<S> Replayed<S> {
    /// Hands out pending bytes; true if there were any.
    fn serve_pending(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        if self.pending_pos >= self.pending.len() {
            return false;
        }
        let rest = &self.pending[self.pending_pos..];
        let n = rest.len().min(buf.remaining());
        buf.put_slice(&rest[..n]);
        self.pending_pos += n;
        if self.pending_pos == self.pending.len() {
            // Not kept for the rest of a session that may idle for hours.
            self.pending = Vec::new();
            self.pending_pos = 0;
        }
        true
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replayed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.kill.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        if buf.remaining() == 0 || this.serve_pending(buf) {
            return Poll::Ready(Ok(()));
        }
        let res = if buf.remaining() >= READ_AHEAD {
            Pin::new(&mut this.inner).poll_read(cx, buf)
        } else {
            // On the stack and uninitialised: most polls find nothing to read, and a zeroed
            // heap buffer per poll was a fiftieth of a handshake's instructions.
            let mut ahead = [MaybeUninit::<u8>::uninit(); READ_AHEAD];
            let mut ahead_buf = ReadBuf::uninit(&mut ahead);
            let res = Pin::new(&mut this.inner).poll_read(cx, &mut ahead_buf);
            if let Poll::Ready(Ok(())) = res {
                let read = ahead_buf.filled();
                let n = read.len().min(buf.remaining());
                buf.put_slice(&read[..n]);
                if n < read.len() {
                    this.pending = read[n..].to_vec();
                    this.pending_pos = 0;
                }
            }
            res
        };
        if res.is_pending() && this.kill.register(cx) {
            return Poll::Ready(Err(killed()));
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replayed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.kill.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        if this.swallow > 0 {
            let n = this.swallow.min(buf.len());
            this.swallow -= n;
            return Poll::Ready(Ok(n));
        }
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        if res.is_pending() && this.kill.register(cx) {
            return Poll::Ready(Err(killed()));
        }
        res
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[async_trait::async_trait]
impl ProtocolHandler for Ssh {
    fn protocol(&self) -> Protocol {
        Protocol::Ssh
    }

    fn records_wire(&self) -> bool {
        false
    }

    async fn serve(&self, conn: Connection) -> &'static str {
        let Connection {
            mut stream,
            session,
        } = conn;
        let ours = self.ident_line.as_bytes();
        if stream.write_all(ours).await.is_err() {
            return "closed";
        }
        let (theirs, line_len) = match read_client_ident(&mut stream).await {
            Ok(read) => read,
            Err("") => return "closed",
            Err(answer) => {
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
                return "invalid_identification";
            }
        };
        session.record_nowait(EventData::Request(Request {
            method: Some("identification".into()),
            target: Some(
                String::from_utf8_lossy(&theirs[..line_len])
                    .trim_end()
                    .to_owned(),
            ),
            ..Default::default()
        }));
        let kill = Arc::new(KillSwitch::default());
        let _guard = KillOnDrop(kill.clone());
        let stream = Replayed {
            inner: stream,
            pending: theirs,
            pending_pos: 0,
            swallow: ours.len(),
            kill,
        };
        let handler = SshSession {
            session: session.clone(),
            ctx: self.ctx.clone(),
            user: String::new(),
            channels: HashMap::new(),
            fs: SharedFs::default(),
        };
        // Boxed so that its state, gone once the session task is spawned, is not kept in this
        // future for the whole session.
        let started = Box::pin(russh::server::run_stream(
            self.config.clone(),
            stream,
            handler,
        ))
        .await;
        match started {
            Ok(running) => match running.await {
                Ok(()) => "closed",
                Err(e) => {
                    tracing::debug!("ssh session {}: {e}", session.id());
                    "closed"
                }
            },
            Err(_) => "closed",
        }
    }
}

enum Mode {
    Idle,
    /// An interactive shell; `pty` says whether a terminal was requested.
    Shell,
    Scp(ScpSink),
    Sftp(Box<SftpServer>),
    Done,
}

struct Chan {
    pty: bool,
    mode: Mode,
    editor: LineEditor,
    shell: Option<ShellSession>,
    /// Without a PTY, input is split into lines as they end.
    raw_line: Vec<u8>,
}

struct SshSession {
    session: SessionRecorder,
    ctx: SensorContext,
    user: String,
    /// Boxed: a map with one channel has room for four, and a `Chan` holds a whole shell.
    channels: HashMap<ChannelId, Box<Chan>>,
    /// One filesystem for every channel of the connection, as on a real host: a file put
    /// there by SFTP or SCP is there for an exec in the next channel.
    fs: SharedFs,
}

impl SshSession {
    async fn auth(&mut self, method: AuthMethod, user: &str, password: Option<String>) {
        self.auth_key(method, user, password, None, None).await
    }

    async fn auth_key(
        &mut self,
        method: AuthMethod,
        user: &str,
        password: Option<String>,
        key_type: Option<String>,
        key_fingerprint: Option<String>,
    ) {
        self.session.set_stage(Stage::Authenticating);
        let success = method != AuthMethod::None;
        if success {
            self.user = user.to_owned();
        }
        self.session
            .record(EventData::Auth(AuthEvent {
                method,
                username: user.to_owned(),
                password,
                key_type,
                key_fingerprint,
                success,
            }))
            .await;
    }

    fn send(&self, session: &mut Session, channel: ChannelId, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        self.session.record_output(&bytes);
        let _ = session.data(channel, bytes);
    }

    fn finish(&mut self, session: &mut Session, channel: ChannelId, status: u32) {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.mode = Mode::Done;
        }
        let _ = session.exit_status_request(channel, status);
        let _ = session.eof(channel);
        let _ = session.close(channel);
    }

    fn shell_for(&mut self, channel: ChannelId) -> Option<&mut Chan> {
        let user = if self.user.is_empty() {
            "root".to_owned()
        } else {
            self.user.clone()
        };
        let chan = self.channels.get_mut(&channel)?;
        if chan.shell.is_none() {
            chan.shell = Some(
                ShellSession::new(&self.ctx.system, &user, self.session.clone())
                    .with_shared_fs(self.fs.clone()),
            );
        }
        Some(chan)
    }

    /// Runs one line in a channel's shell and sends what it printed; true when it exited.
    async fn run_line(&mut self, session: &mut Session, channel: ChannelId, line: &str) -> bool {
        let Some(chan) = self.shell_for(channel) else {
            return true;
        };
        let pty = chan.pty;
        let Some(shell) = chan.shell.as_mut() else {
            return true;
        };
        let outcome = shell.run(line).await;
        let mut out = if pty {
            to_crlf(&outcome.output)
        } else {
            outcome.output
        };
        if outcome.close_session {
            self.send(session, channel, out);
            self.finish(session, channel, outcome.exit_code as u32);
            return true;
        }
        if pty {
            out.extend_from_slice(shell.shell().prompt().as_bytes());
        }
        self.send(session, channel, out);
        false
    }
}

/// Each handler that records or runs something boxes its body: russh holds the future of the
/// handler it is in inline in every session's task (which it also copies once), so an unboxed
/// body is paid for by every idle session; boxed, only while it runs.
impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        Box::pin(async move {
            self.auth(AuthMethod::None, user, None).await;
            Ok(Auth::Reject {
                proceed_with_methods: None,
                partial_success: false,
            })
        })
        .await
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Box::pin(async move {
            self.auth(AuthMethod::Password, user, Some(password.to_owned()))
                .await;
            Ok(Auth::Accept)
        })
        .await
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Box::pin(async move {
            let fingerprint = key.public_key.fingerprint(HashAlg::Sha256).to_string();
            let key_type = key.public_key.algorithm().to_string();
            self.auth_key(
                AuthMethod::Publickey,
                user,
                None,
                Some(key_type),
                Some(fingerprint),
            )
            .await;
            Ok(Auth::Accept)
        })
        .await
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        Box::pin(async move {
            let Some(mut response) = response else {
                self.session.set_stage(Stage::Authenticating);
                return Ok(Auth::Partial {
                    name: Cow::Borrowed(""),
                    instructions: Cow::Borrowed(""),
                    prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
                });
            };
            let password = response
                .next()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            self.auth(AuthMethod::KeyboardInteractive, user, Some(password))
                .await;
            Ok(Auth::Accept)
        })
        .await
    }

    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        self.session.set_stage(Stage::Authenticated);
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            if self.channels.len() >= 10 {
                return Ok(());
            }
            self.channels.insert(
                channel.id(),
                Box::new(Chan {
                    pty: false,
                    mode: Mode::Idle,
                    editor: LineEditor::new(self.ctx.limits.line_bytes),
                    shell: None,
                    raw_line: Vec::new(),
                }),
            );
            reply.accept().await;
            Ok(())
        })
        .await
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        _channel: Channel<Msg>,
        host: &str,
        port: u32,
        originator: &str,
        originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            let mut fields = std::collections::BTreeMap::new();
            fields.insert(
                "originator".into(),
                format!("{originator}:{originator_port}"),
            );
            self.session
                .record(EventData::Request(Request {
                    method: Some("direct-tcpip".into()),
                    target: Some(format!("{host}:{port}")),
                    fields,
                    ..Default::default()
                }))
                .await;
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            Ok(())
        })
        .await
    }

    async fn tcpip_forward(
        &mut self,
        address: &str,
        port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        Box::pin(async move {
            self.session
                .record(EventData::Request(Request {
                    method: Some("tcpip-forward".into()),
                    target: Some(format!("{address}:{port}")),
                    ..Default::default()
                }))
                .await;
            Ok(false)
        })
        .await
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.pty = true;
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let peer = self.session.peer().ip().to_string();
        let Some(chan) = self.shell_for(channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        chan.mode = Mode::Shell;
        let pty = chan.pty;
        session.channel_success(channel)?;
        if pty {
            if let Some(shell) = chan.shell.as_ref() {
                let mut text = to_crlf(shell.shell().login_banner(Some(&peer)).as_bytes());
                text.extend_from_slice(shell.shell().prompt().as_bytes());
                self.send(session, channel, text);
            }
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            let command = String::from_utf8_lossy(data).into_owned();
            if !self.channels.contains_key(&channel) {
                session.channel_failure(channel)?;
                return Ok(());
            }
            session.channel_success(channel)?;
            if let Some(target) = scp_sink_target(&command) {
                self.session
                    .record(EventData::Command {
                        line: command.clone(),
                    })
                    .await;
                if let Some(c) = self.channels.get_mut(&channel) {
                    c.mode = Mode::Scp(ScpSink::new(target, self.ctx.limits.upload_bytes));
                }
                // Ready for the first header.
                self.send(session, channel, vec![0]);
                return Ok(());
            }
            if let Some(c) = self.shell_for(channel) {
                if let Some(shell) = c.shell.as_mut() {
                    shell.set_exec_mode(true);
                }
            }
            let Some(chan) = self.channels.get_mut(&channel) else {
                return Ok(());
            };
            let pty = chan.pty;
            let Some(shell) = chan.shell.as_mut() else {
                return Ok(());
            };
            let outcome = shell.run(&command).await;
            let out = if pty {
                to_crlf(&outcome.output)
            } else {
                outcome.output
            };
            self.send(session, channel, out);
            self.finish(session, channel, outcome.exit_code as u32);
            Ok(())
        })
        .await
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            self.session
                .record(EventData::Request(Request {
                    method: Some("subsystem".into()),
                    target: Some(name.to_owned()),
                    ..Default::default()
                }))
                .await;
            if name != "sftp" || !self.channels.contains_key(&channel) {
                // Refused as OpenSSH refuses a subsystem it has no `Subsystem` line for.
                session.channel_failure(channel)?;
                return Ok(());
            }
            let user = if self.user.is_empty() {
                "root".to_owned()
            } else {
                self.user.clone()
            };
            let shell = sikker_shell::Shell::new(&self.ctx.system, &user);
            let persona = self.ctx.system.persona();
            let server = SftpServer::new(shell, self.ctx.limits.upload_bytes)
                .with_disk(persona.root_disk_bytes(), persona.disk_used_pct)
                .with_shared_fs(self.fs.clone());
            if let Some(c) = self.channels.get_mut(&channel) {
                c.mode = Mode::Sftp(Box::new(server));
            }
            session.channel_success(channel)?;
            Ok(())
        })
        .await
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            let Some(chan) = self.channels.get_mut(&channel) else {
                self.session.record_input(data);
                return Ok(());
            };
            // SFTP payloads are binary file content: the content goes to quarantine and each
            // operation is recorded, rather than the raw bytes.
            if !matches!(chan.mode, Mode::Sftp(_)) {
                self.session.record_input(data);
            }
            match &mut chan.mode {
                Mode::Sftp(server) => match server.feed(data) {
                    Ok(out) => {
                        let _ = session.data(channel, out.reply);
                        for a in out.actions {
                            let mut fields = std::collections::BTreeMap::new();
                            if let Some(t) = a.target {
                                fields.insert("to".into(), t);
                            }
                            self.session
                                .record(EventData::Request(Request {
                                    method: Some(format!("sftp-{}", a.op)),
                                    target: Some(a.path),
                                    fields,
                                    ..Default::default()
                                }))
                                .await;
                        }
                        for file in out.uploads {
                            record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                        }
                        Ok(())
                    }
                    Err(e) => {
                        tracing::debug!("ssh session {}: {e}", self.session.id());
                        let files = server.finish();
                        for file in files {
                            record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                        }
                        self.finish(session, channel, 1);
                        Ok(())
                    }
                },
                Mode::Scp(sink) => {
                    let (reply, files) = sink.feed(data);
                    for file in files {
                        place_scp_upload(&self.fs, &self.ctx.system, &self.user, &sink.dir, &file);
                        record_upload(&self.session, &self.ctx.quarantine, file).await;
                    }
                    self.send(session, channel, reply);
                    Ok(())
                }
                Mode::Shell if chan.pty => {
                    let keys = chan.editor.feed(data);
                    for key in keys {
                        match key {
                            Key::Echo(bytes) => self.send(session, channel, bytes),
                            Key::Line(line) => {
                                if self.run_line(session, channel, &line).await {
                                    return Ok(());
                                }
                            }
                            Key::Interrupt => {
                                let prompt = self
                                    .channels
                                    .get(&channel)
                                    .and_then(|c| c.shell.as_ref())
                                    .map(|s| s.shell().prompt())
                                    .unwrap_or_default();
                                self.send(session, channel, prompt.into_bytes());
                            }
                            Key::Eof => {
                                self.send(session, channel, b"logout\r\n".to_vec());
                                self.finish(session, channel, 0);
                                return Ok(());
                            }
                        }
                    }
                    Ok(())
                }
                Mode::Shell => {
                    let limit = self.ctx.limits.line_bytes;
                    let mut lines = Vec::new();
                    for &b in data {
                        if b == b'\n' {
                            lines.push(String::from_utf8_lossy(&chan.raw_line).into_owned());
                            chan.raw_line.clear();
                        } else if chan.raw_line.len() < limit {
                            chan.raw_line.push(b);
                        }
                    }
                    for line in lines {
                        if self.run_line(session, channel, &line).await {
                            return Ok(());
                        }
                    }
                    Ok(())
                }
                Mode::Idle | Mode::Done => Ok(()),
            }
        })
        .await
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            let Some(chan) = self.channels.get_mut(&channel) else {
                return Ok(());
            };
            match &mut chan.mode {
                Mode::Shell if !chan.pty => {
                    let rest = std::mem::take(&mut chan.raw_line);
                    if !rest.is_empty() {
                        let line = String::from_utf8_lossy(&rest).into_owned();
                        if self.run_line(session, channel, &line).await {
                            return Ok(());
                        }
                    }
                    self.finish(session, channel, 0);
                }
                Mode::Scp(sink) => {
                    if let Some(file) = sink.abandon() {
                        place_scp_upload(&self.fs, &self.ctx.system, &self.user, &sink.dir, &file);
                        record_upload(&self.session, &self.ctx.quarantine, file).await;
                    }
                    self.finish(session, channel, 0);
                }
                Mode::Sftp(server) => {
                    let files = server.finish();
                    for file in files {
                        record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                    }
                    self.finish(session, channel, 0);
                }
                _ => {}
            }
            Ok(())
        })
        .await
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        Box::pin(async move {
            if let Some(Mode::Sftp(mut server)) = self.channels.remove(&channel).map(|c| c.mode) {
                for file in server.finish() {
                    record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                }
            }
            Ok(())
        })
        .await
    }
}

/// A session cut short (a limit, a deadline, the client vanishing) still records the files
/// its SFTP and SCP channels were receiving.
impl Drop for SshSession {
    fn drop(&mut self) {
        let mut files = Vec::new();
        let mut scp_files = Vec::new();
        for chan in self.channels.values_mut() {
            match &mut chan.mode {
                Mode::Sftp(server) => files.extend(server.finish()),
                Mode::Scp(sink) => scp_files.extend(sink.abandon()),
                _ => {}
            }
        }
        if files.is_empty() && scp_files.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let session = self.session.clone();
        let quarantine = self.ctx.quarantine.clone();
        runtime.spawn(async move {
            for file in files {
                record_sftp_upload(&session, &quarantine, file).await;
            }
            for file in scp_files {
                record_upload(&session, &quarantine, file).await;
            }
        });
    }
}

async fn record_sftp_upload(
    session: &SessionRecorder,
    quarantine: &Arc<Quarantine>,
    file: SftpUpload,
) {
    let file = ScpFile {
        name: file.path,
        size: file.size,
        content: file.content,
        truncated: file.truncated,
    };
    record_upload_as(session, quarantine, file, "sftp").await;
}

/// Puts an SCP upload (as much of it as was kept) into the connection's filesystem where
/// `scp -t TARGET` puts it: inside TARGET when that is a directory, else as TARGET.
fn place_scp_upload(
    fs: &SharedFs,
    system: &Arc<sikker_shell::System>,
    user: &str,
    target: &str,
    file: &ScpFile,
) {
    let user = if user.is_empty() { "root" } else { user };
    let mut shell = sikker_shell::Shell::new(system, user);
    let mut seen = 0;
    fs.adopt(&mut seen, &mut shell);
    let base = file.name.rsplit('/').next().unwrap_or(&file.name);
    let path = if shell.is_dir(target) {
        format!("{}/{base}", target.trim_end_matches('/'))
    } else {
        target.to_owned()
    };
    match shell.write_file(&path, &file.content) {
        Ok(()) => fs.publish(&mut seen, &shell),
        Err(e) => tracing::debug!("scp upload {path} not placed in the session filesystem: {e}"),
    }
}

async fn record_upload(session: &SessionRecorder, quarantine: &Arc<Quarantine>, file: ScpFile) {
    record_upload_as(session, quarantine, file, "scp").await;
}

/// Keeps an upload in quarantine and records it. A file cut at the upload cap is recorded
/// with its full size and no hash (the hash would not be the file's), and a request event
/// names what was kept.
async fn record_upload_as(
    session: &SessionRecorder,
    quarantine: &Arc<Quarantine>,
    file: ScpFile,
    tool: &str,
) {
    let q = quarantine.clone();
    let content = file.content;
    let kept_bytes = content.len() as u64;
    let stored = tokio::task::spawn_blocking(move || q.store(&content)).await;
    let (sha256, kept) = match stored {
        Ok(Ok(s)) => (Some(s.sha256), s.path.is_some()),
        Ok(Err(e)) => {
            tracing::warn!("quarantine: {e}");
            (None, false)
        }
        Err(_) => (None, false),
    };
    if !kept {
        tracing::debug!("upload {} not kept in quarantine", file.name);
    }
    session
        .record(EventData::Upload(Transfer {
            url: None,
            name: Some(file.name.clone()),
            size: Some(file.size),
            sha256: if file.truncated { None } else { sha256.clone() },
            tool: Some(tool.into()),
        }))
        .await;
    if file.truncated {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("kept_bytes".into(), kept_bytes.to_string());
        fields.insert("size".into(), file.size.to_string());
        if let Some(h) = sha256 {
            fields.insert("kept_sha256".into(), h);
        }
        session
            .record(EventData::Request(Request {
                method: Some("upload-truncated".into()),
                target: Some(file.name),
                fields,
                ..Default::default()
            }))
            .await;
    }
}

/// `scp -t [-r] [-d] [-p] [-v] TARGET`: the remote end of an upload in legacy SCP mode.
fn scp_sink_target(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    let program = words.next()?;
    if program != "scp" && !program.ends_with("/scp") {
        return None;
    }
    let mut sink = false;
    let mut target = None;
    for w in words {
        if let Some(flags) = w.strip_prefix('-') {
            sink |= flags.contains('t');
        } else {
            target = Some(w.to_owned());
        }
    }
    sink.then(|| target.unwrap_or_else(|| ".".into()))
}

struct ScpFile {
    name: String,
    size: u64,
    content: Vec<u8>,
    truncated: bool,
}

/// The receiving side of the SCP protocol: `C`/`D`/`E`/`T` headers answered with a zero byte,
/// file bodies kept up to the upload cap.
struct ScpSink {
    dir: String,
    max: u64,
    header: Vec<u8>,
    file: Option<(String, u64, Vec<u8>, u64)>,
    await_trailer: bool,
}

impl ScpSink {
    fn new(dir: String, max: u64) -> ScpSink {
        ScpSink {
            dir,
            max,
            header: Vec::new(),
            file: None,
            await_trailer: false,
        }
    }

    /// The file being received when the channel ended, as far as it got.
    fn abandon(&mut self) -> Option<ScpFile> {
        let (name, size, content, _) = self.file.take()?;
        Some(ScpFile {
            truncated: (content.len() as u64) < size,
            name,
            size,
            content,
        })
    }

    fn feed(&mut self, mut data: &[u8]) -> (Vec<u8>, Vec<ScpFile>) {
        let mut reply = Vec::new();
        let mut files = Vec::new();
        while !data.is_empty() {
            if self.await_trailer {
                // The zero byte after a file body.
                data = &data[1..];
                self.await_trailer = false;
                if let Some((name, size, content, _)) = self.file.take() {
                    let truncated = (content.len() as u64) < size;
                    files.push(ScpFile {
                        name,
                        size,
                        content,
                        truncated,
                    });
                }
                reply.push(0);
                continue;
            }
            if let Some((_, size, content, received)) = self.file.as_mut() {
                let want = (*size - *received).min(data.len() as u64) as usize;
                let keep = (self.max.saturating_sub(content.len() as u64) as usize).min(want);
                content.extend_from_slice(&data[..keep]);
                *received += want as u64;
                data = &data[want..];
                if *received >= *size {
                    self.await_trailer = true;
                }
                continue;
            }
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                if self.header.len() + data.len() > 4096 {
                    reply.extend_from_slice(b"\x01scp: protocol error: header too long\n");
                    self.header.clear();
                } else {
                    self.header.extend_from_slice(data);
                }
                break;
            };
            self.header.extend_from_slice(&data[..nl]);
            data = &data[nl + 1..];
            let header = String::from_utf8_lossy(&std::mem::take(&mut self.header)).into_owned();
            match header.as_bytes().first() {
                Some(b'C') => {
                    let mut parts = header[1..].splitn(3, ' ');
                    let _mode = parts.next();
                    let size = parts.next().and_then(|s| s.parse::<u64>().ok());
                    let name = parts.next().unwrap_or("").to_owned();
                    match size {
                        Some(size) if !name.is_empty() && !name.contains('/') => {
                            let path = format!("{}/{}", self.dir.trim_end_matches('/'), name);
                            self.file = Some((path, size, Vec::new(), 0));
                            self.await_trailer = size == 0;
                            reply.push(0);
                        }
                        _ => reply.extend_from_slice(b"\x01scp: protocol error: bad mode\n"),
                    }
                }
                Some(b'D') | Some(b'E') | Some(b'T') => reply.push(0),
                _ => reply.extend_from_slice(b"\x01scp: protocol error: unexpected <newline>\n"),
            }
        }
        (reply, files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scp_sink_receives_files() {
        assert_eq!(scp_sink_target("scp -t /tmp"), Some("/tmp".into()));
        assert_eq!(scp_sink_target("scp -f /etc/passwd"), None);
        assert_eq!(scp_sink_target("uname -a"), None);
        let mut sink = ScpSink::new("/tmp".into(), 3);
        let (reply, files) = sink.feed(b"T1 0 1 0\nC0755 5 x.sh\nhel");
        assert_eq!(reply, vec![0, 0]);
        assert!(files.is_empty());
        let (reply, files) = sink.feed(b"lo\0");
        assert_eq!(reply, vec![0]);
        assert_eq!(files[0].name, "/tmp/x.sh");
        assert_eq!(files[0].content, b"hel");
        assert!(files[0].truncated);
        let (_, files) = sink.feed(b"C0644 10 y\nabcd");
        assert!(files.is_empty());
        let cut = sink.abandon().expect("the file being received");
        assert_eq!((cut.name.as_str(), cut.size), ("/tmp/y", 10));
        assert_eq!(cut.content, b"abc");
        assert!(cut.truncated);
        assert!(sink.abandon().is_none());
    }

    #[test]
    fn algorithm_lists_follow_the_openssh_version() {
        let p = openssh_preferred("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        assert_eq!(p.kex[0], russh::kex::CURVE25519);
        let p = openssh_preferred("SSH-2.0-OpenSSH_9.9p1");
        assert_eq!(p.kex[0], russh::kex::MLKEM768X25519_SHA256);
    }
}
