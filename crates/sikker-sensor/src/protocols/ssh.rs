//! SSH, on `sikker-ssh`: the identification and algorithm lists of the persona's stock
//! OpenSSH, every login accepted and recorded, exec and PTY shells on the emulated system, SCP
//! and SFTP uploads into quarantine, forwarding recorded and refused.
//!
//! One task per connection drives the sans-IO state machine: wait until the socket is
//! readable, read what is there, feed it, answer the events, write the output. An idle session
//! is that task parked on readability, holding the state machine and its channels' shells but
//! no buffers.

use super::sftp::{SftpServer, SftpUpload};
use super::{Connection, ProtocolError, ProtocolHandler, SensorContext};
use crate::listener::RecordedStream;
use crate::quarantine::Quarantine;
use crate::session::{SessionRecorder, Stage};
use crate::terminal::{to_crlf, Key, LineEditor, SharedFs, ShellSession};
use sikker_event::{Auth as AuthEvent, AuthMethod, EventData, Protocol, Request, Transfer};
use sikker_ssh::{
    disconnect, Algorithms, AuthAttempt, ChannelKind, ChannelRequest, ClientKexInit,
    Error as SshError, Event, HostKey, ServerConfig, ServerConnection, SignatureCheck,
};
use ssh_key::{Algorithm, EcdsaCurve, PrivateKey};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// OpenSSH's `MaxAuthTries`: failed attempts (not `none`, not key queries) before it hangs up.
const MAX_AUTH_TRIES: u32 = 6;

/// Most bytes held for a channel whose client window is full; beyond it, output is dropped
/// (a client that stops reading while sending commands cannot make the sensor grow).
const MAX_HELD_OUTPUT: usize = 1 << 20;

/// Largest read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

pub struct Ssh {
    config: Arc<ServerConfig>,
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
        let persona = ctx.system.persona();
        let ident = persona.ssh_ident.clone();
        let algorithms = openssh_algorithms(&persona.os.id, &ident)
            .map_err(|e| setup(format!("algorithms of {ident}: {e}")))?;
        let mut config = ServerConfig::new(ident.clone(), keys);
        config.algorithms = algorithms;
        config.auth_methods = stock_auth_methods(&persona.os.id)
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        config.server_sig_algs = openssh_server_sig_algs(&ident)
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        // The EXT_INFO extensions of the persona's OpenSSH.
        let version = openssh_version(&ident);
        config.ext_info_hostbound = version >= (8, 9);
        config.ext_info_ping = version >= (9, 5);
        // 9.6 on: a second EXT_INFO at the first login request, for clients that ask.
        config.ext_info_in_auth = version >= (9, 6);
        Ok(Ssh {
            config: Arc::new(config),
            ctx: ctx.clone(),
        })
    }
}

/// (major, minor) of `SSH-2.0-OpenSSH_9.2p1 …`; 9.2 when the line names no OpenSSH.
fn openssh_version(ident: &str) -> (u32, u32) {
    ident
        .split("OpenSSH_")
        .nth(1)
        .and_then(|v| {
            let mut it = v.split(|c: char| !c.is_ascii_digit());
            Some((
                it.next()?.parse::<u32>().ok()?,
                it.next()?.parse::<u32>().ok()?,
            ))
        })
        .unwrap_or((9, 2))
}

/// Whether the number right after `marker` in `ident` is at least `min` (`deb12u3` ≥ 2).
fn build_at_least(ident: &str, marker: &str, min: u32) -> bool {
    ident
        .split_once(marker)
        .and_then(|(_, rest)| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u32>()
                .ok()
        })
        .is_some_and(|n| n >= min)
}

/// Whether the persona's build offers strict key exchange: OpenSSH 9.6 on, and the
/// distributions' Terrapin (CVE-2023-48795) backports of December 2023 — Debian 12
/// `deb12u2`, Debian 11 `deb11u3`, Ubuntu 22.04 `3ubuntu0.6`, Ubuntu 20.04 `4ubuntu0.10`,
/// RHEL 9's 8.7.
fn offers_strict_kex(ident: &str) -> bool {
    let version = openssh_version(ident);
    version >= (9, 6)
        || version == (8, 7)
        || build_at_least(ident, "Debian-2+deb12u", 2)
        || build_at_least(ident, "Debian-5+deb11u", 3)
        || (version == (8, 9) && build_at_least(ident, "Ubuntu-3ubuntu0.", 6))
        || (version == (8, 2) && build_at_least(ident, "Ubuntu-4ubuntu0.", 10))
}

/// Stock sshd's default key exchange list, in order, for the persona's version and build
/// (from OpenSSH's `myproposal.h` of each release and Debian's changelog):
/// - `diffie-hellman-group14-sha1` until 8.1;
/// - `sntrup761x25519-sha512@openssh.com` from 8.9 (after the NIST curves), first from 9.0;
/// - its plain name `sntrup761x25519-sha512` first from 9.9, and in Debian's 9.2p1 from
///   `deb12u4`;
/// - `mlkem768x25519-sha256` third in 9.9, first from 10.0, where the finite-field groups go;
/// - `ext-info-s` from 9.6 and `kex-strict-s-v00@openssh.com` where the Terrapin fix is.
fn openssh_kex(ident: &str) -> Vec<&'static str> {
    let version = openssh_version(ident);
    let sntrup = "sntrup761x25519-sha512";
    let sntrup_openssh = "sntrup761x25519-sha512@openssh.com";
    let mut kex = Vec::new();
    if version >= (10, 0) {
        kex.extend(["mlkem768x25519-sha256", sntrup, sntrup_openssh]);
    } else if version >= (9, 9) {
        kex.extend([sntrup, sntrup_openssh, "mlkem768x25519-sha256"]);
    } else if version >= (9, 0) {
        if build_at_least(ident, "Debian-2+deb12u", 4) {
            kex.push(sntrup);
        }
        kex.push(sntrup_openssh);
    }
    kex.extend([
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
    ]);
    if version == (8, 9) {
        kex.push(sntrup_openssh);
    }
    if version < (10, 0) {
        kex.extend([
            "diffie-hellman-group-exchange-sha256",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512",
            "diffie-hellman-group14-sha256",
        ]);
    }
    if version < (8, 2) {
        kex.push("diffie-hellman-group14-sha1");
    }
    if version >= (9, 6) {
        kex.push("ext-info-s");
    }
    if offers_strict_kex(ident) {
        kex.push("kex-strict-s-v00@openssh.com");
    }
    kex
}

/// The lists a default install of the persona's sshd sends: upstream OpenSSH's for the
/// version (7.4 … 10.x), except where the distribution changes them. Red Hat's do, and both
/// lists below match KEXINITs captured from stock servers:
/// - RHEL 9 (Rocky, `OpenSSH_8.7`) takes them from the system's DEFAULT crypto policy: no
///   sntrup761, UMAC-64, AES-192 or `ssh-rsa` signatures, AES-256-GCM first, group14 before
///   16 and 18; strict kex since the Terrapin update (`8.7p1-34.el9_3.3`), no `ext-info-s`.
/// - RHEL 7 (CentOS, `OpenSSH_7.4`) patches the compiled-in defaults back towards the legacy
///   algorithms: `diffie-hellman-group-exchange-sha1` before group14 and `group1-sha1` last,
///   the CBC ciphers after the others, and `ssh-rsa` first among the host key algorithms.
fn openssh_algorithms(os_id: &str, ident: &str) -> Result<Algorithms, SshError> {
    let version = openssh_version(ident);
    let red_hat = is_red_hat(os_id);
    if red_hat && version == (8, 7) {
        let mut kex = vec![
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256",
            "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp521",
            "diffie-hellman-group-exchange-sha256",
            "diffie-hellman-group14-sha256",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512",
        ];
        if offers_strict_kex(ident) {
            kex.push("kex-strict-s-v00@openssh.com");
        }
        return Algorithms::from_names(
            &kex,
            &[
                "rsa-sha2-512",
                "rsa-sha2-256",
                "ecdsa-sha2-nistp256",
                "ssh-ed25519",
            ],
            &[
                "aes256-gcm@openssh.com",
                "chacha20-poly1305@openssh.com",
                "aes256-ctr",
                "aes128-gcm@openssh.com",
                "aes128-ctr",
            ],
            &[
                "hmac-sha2-256-etm@openssh.com",
                "hmac-sha1-etm@openssh.com",
                "umac-128-etm@openssh.com",
                "hmac-sha2-512-etm@openssh.com",
                "hmac-sha2-256",
                "hmac-sha1",
                "umac-128@openssh.com",
                "hmac-sha2-512",
            ],
            &["none", "zlib@openssh.com"],
        );
    }
    let mut kex = openssh_kex(ident);
    if red_hat && version == (7, 4) {
        if let Some(at) = kex
            .iter()
            .position(|k| *k == "diffie-hellman-group14-sha256")
        {
            kex.insert(at, "diffie-hellman-group-exchange-sha1");
        }
        kex.push("diffie-hellman-group1-sha1");
    }
    let mut host_key = vec!["rsa-sha2-512", "rsa-sha2-256"];
    if red_hat && version == (7, 4) {
        host_key.insert(0, "ssh-rsa");
    } else if version < (8, 8) {
        host_key.push("ssh-rsa");
    }
    host_key.extend(["ecdsa-sha2-nistp256", "ssh-ed25519"]);
    let (ctr, gcm) = (
        ["aes128-ctr", "aes192-ctr", "aes256-ctr"],
        ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"],
    );
    // 10.0 moved AES-GCM ahead of AES-CTR.
    let mut cipher = vec!["chacha20-poly1305@openssh.com"];
    if version >= (10, 0) {
        cipher.extend(gcm.iter().chain(&ctr));
    } else {
        cipher.extend(ctr.iter().chain(&gcm));
    }
    if red_hat && version == (7, 4) {
        cipher.extend([
            "aes128-cbc",
            "aes192-cbc",
            "aes256-cbc",
            "blowfish-cbc",
            "cast128-cbc",
            "3des-cbc",
        ]);
    }
    let mac = [
        "umac-64-etm@openssh.com",
        "umac-128-etm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha1-etm@openssh.com",
        "umac-64@openssh.com",
        "umac-128@openssh.com",
        "hmac-sha2-256",
        "hmac-sha2-512",
        "hmac-sha1",
    ];
    Algorithms::from_names(
        &kex,
        &host_key,
        &cipher,
        &mac,
        &["none", "zlib@openssh.com"],
    )
}

/// The methods a stock install's sshd names in USERAUTH_FAILURE ("Authentications that can
/// continue", which `ssh -v` prints), from the distributions' stock `sshd_config`: Debian and
/// Ubuntu turn keyboard-interactive off (`KbdInteractiveAuthentication no`, before that
/// `ChallengeResponseAuthentication no`); Red Hat's turns it off too and GSSAPI on, which its
/// patched sshd lists as `gssapi-keyex` before `gssapi-with-mic`; Alpine keeps upstream's
/// defaults. Whatever is named, any password, keyboard-interactive answer or verified key is
/// still accepted when a client tries it.
fn stock_auth_methods(os_id: &str) -> &'static [&'static str] {
    if is_red_hat(os_id) {
        return &["publickey", "gssapi-keyex", "gssapi-with-mic", "password"];
    }
    match os_id {
        "alpine" => &["publickey", "password", "keyboard-interactive"],
        _ => &["publickey", "password"],
    }
}

/// Red Hat's family (`ID` in os-release), whose sshd builds and configuration differ from
/// upstream's.
fn is_red_hat(os_id: &str) -> bool {
    matches!(os_id, "rhel" | "rocky" | "almalinux" | "centos")
}

/// `server-sig-algs` in EXT_INFO as stock sshd sends it (matching `ssh -v` logs of each
/// persona's release): a fixed RSA pair in 7.x; from 8.2 the key table of `sshkey.c` in its
/// order (security keys from 8.2, webauthn from 8.4, the table reordered in 9.2); from 9.6 the
/// default `PubkeyAcceptedAlgorithms`, as signature names. Red Hat's builds send upstream's.
fn openssh_server_sig_algs(ident: &str) -> &'static [&'static str] {
    const RSA_SHA2: &[&str] = &["rsa-sha2-256", "rsa-sha2-512"];
    const V8_2: &[&str] = &[
        "ssh-ed25519",
        "sk-ssh-ed25519@openssh.com",
        "ssh-rsa",
        "rsa-sha2-256",
        "rsa-sha2-512",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ];
    const V8_4: &[&str] = &[
        "ssh-ed25519",
        "sk-ssh-ed25519@openssh.com",
        "ssh-rsa",
        "rsa-sha2-256",
        "rsa-sha2-512",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    ];
    const V9_2: &[&str] = &[
        "ssh-ed25519",
        "sk-ssh-ed25519@openssh.com",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-dss",
        "ssh-rsa",
        "rsa-sha2-256",
        "rsa-sha2-512",
    ];
    const V9_6: &[&str] = &[
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-256",
    ];
    match openssh_version(ident) {
        v if v < (8, 2) => RSA_SHA2,
        v if v < (8, 4) => V8_2,
        v if v < (9, 2) => V8_4,
        v if v < (9, 6) => V9_2,
        _ => V9_6,
    }
}

/// Loads the sensor's host keys, generating the missing ones once (RSA 3072, ECDSA P-256,
/// Ed25519, as `ssh-keygen -A` makes them) and keeping them as OpenSSH key files.
fn host_keys(dir: &Path) -> Result<Vec<HostKey>, String> {
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
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut rng = rand_core10::rng();
                let key = match algorithm {
                    Some(a) => PrivateKey::random(&mut rng, a),
                    None => ssh_key::private::RsaKeypair::random(&mut rng, 3072)
                        .and_then(|k| PrivateKey::new(k.into(), "")),
                }
                .map_err(|e| format!("generating {name}: {e}"))?;
                let text = key
                    .to_openssh(ssh_key::LineEnding::LF)
                    .map_err(|e| format!("encoding {name}: {e}"))?;
                write_private(&path, text.as_bytes())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                text.to_string()
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        keys.push(HostKey::from_openssh(&text).map_err(|e| format!("{}: {e}", path.display()))?);
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
        let mut ssh = ServerConnection::new(self.config.clone());
        // OpenSSH sends its identification at once and its KEXINIT only after the client's
        // identification arrived (and never to a client whose line it refuses).
        let ident_len = self.config.server_id.len() + 2;
        let Some(ours) = ssh.output().get(..ident_len) else {
            return "error";
        };
        if stream.write_all(ours).await.is_err() {
            return "closed";
        }
        ssh.consume_output(ident_len);
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
        let mut state = SshSession {
            session,
            ctx: self.ctx.clone(),
            user: String::new(),
            failures: 0,
            fingerprinted: false,
            channels: HashMap::new(),
            fs: SharedFs::default(),
        };
        drive(&mut stream, &mut ssh, &mut state, theirs).await
    }
}

/// What HASSH hashes: `kex;encryption;mac;compression`, the client-to-server lists.
fn hassh_algorithms(client: &ClientKexInit) -> String {
    [
        &client.kex,
        &client.cipher_c2s,
        &client.mac_c2s,
        &client.compression_c2s,
    ]
    .map(|list| list.as_str())
    .join(";")
}

/// The key type a public key blob begins with (`ssh-rsa` for a key used with `rsa-sha2-512`).
fn key_type(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4usize.checked_add(len)?)?;
    Some(String::from_utf8_lossy(name).into_owned())
}

/// Runs the connection until it ends; returns the disconnect reason.
async fn drive(
    stream: &mut RecordedStream<TcpStream>,
    ssh: &mut ServerConnection,
    state: &mut SshSession,
    first: Vec<u8>,
) -> &'static str {
    let mut input = first;
    loop {
        // Boxed: what answering an event needs (a shell command, a quarantine write) is held
        // only while it runs, not in every idle session's task.
        let stepped = Box::pin(state.step(ssh, &input)).await;
        // Fed, so not kept while the session waits for its next bytes.
        input = Vec::new();
        let flushed = flush(stream, ssh).await;
        if let Err(e) = stepped {
            return match e {
                SshError::PeerDisconnected { .. } | SshError::Closed => "closed",
                e => {
                    tracing::debug!("ssh session {}: {e}", state.session.id());
                    ssh.disconnect(disconnect::PROTOCOL_ERROR, "Protocol error");
                    let _ = flush(stream, ssh).await;
                    "error"
                }
            };
        }
        if flushed.is_err() || ssh.is_closed() {
            return "closed";
        }
        let room = ssh.input_room().min(READ_CHUNK);
        if room == 0 {
            // Every event is answered as it comes, so this is the state machine's bug.
            tracing::warn!("ssh session {}: input stalled", state.session.id());
            return "error";
        }
        if stream.readable().await.is_err() {
            return "closed";
        }
        // Spare capacity, not a zeroed buffer.
        input.reserve_exact(room);
        match stream.try_read_buf(&mut input).await {
            Ok(0) => return "closed",
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return "closed",
        }
    }
}

async fn flush(
    stream: &mut RecordedStream<TcpStream>,
    ssh: &mut ServerConnection,
) -> io::Result<()> {
    while !ssh.output().is_empty() {
        let n = stream.write(ssh.output()).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        ssh.consume_output(n);
    }
    Ok(())
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
    /// Output the client's window has no room for yet.
    held: Vec<u8>,
    /// Exit status to send (then EOF and CLOSE) once `held` is out.
    exit: Option<u32>,
}

struct SshSession {
    session: SessionRecorder,
    ctx: SensorContext,
    user: String,
    /// Failed authentication attempts, against [`MAX_AUTH_TRIES`].
    failures: u32,
    /// The client's first KEXINIT is recorded.
    fingerprinted: bool,
    /// Boxed: a map with one channel has room for four, and a `Chan` holds a whole shell.
    channels: HashMap<u32, Box<Chan>>,
    /// One filesystem for every channel of the connection, as on a real host: a file put
    /// there by SFTP or SCP is there for an exec in the next channel.
    fs: SharedFs,
}

impl SshSession {
    /// Feeds what was read, then answers every event it produced.
    async fn step(&mut self, ssh: &mut ServerConnection, input: &[u8]) -> Result<(), SshError> {
        if !input.is_empty() {
            ssh.feed(input)?;
        }
        while let Some(event) = ssh.poll()? {
            self.on_event(ssh, event).await?;
        }
        Ok(())
    }

    async fn on_event(&mut self, ssh: &mut ServerConnection, event: Event) -> Result<(), SshError> {
        match event {
            Event::Auth(attempt) => self.on_auth(ssh, attempt).await?,
            Event::ChannelOpen { channel, kind } => {
                self.on_channel_open(ssh, channel, kind).await?
            }
            Event::ChannelRequest {
                channel,
                want_reply,
                request,
            } => self.on_request(ssh, channel, want_reply, request).await?,
            Event::Data { channel, data } => self.on_data(ssh, channel, &data).await,
            Event::ExtendedData { data, .. } => self.session.record_input(&data),
            Event::Eof { channel } => self.on_eof(ssh, channel).await,
            Event::Close { channel } => self.on_close(channel).await,
            Event::WindowAdjusted { channel, .. } => self.pump(ssh, channel),
            Event::KeyExchangeDone { .. } => {
                let open: Vec<u32> = self.channels.keys().copied().collect();
                for channel in open {
                    self.pump(ssh, channel);
                }
            }
            Event::GlobalRequest {
                name,
                forward: Some((address, port)),
                ..
            } => {
                self.record_request(&name, format!("{address}:{port}"), BTreeMap::new())
                    .await
            }
            // The first key exchange fingerprints the client (HASSH); re-keys repeat it.
            Event::KexInit { client, .. } if !self.fingerprinted => {
                self.fingerprinted = true;
                self.record_kexinit(&client);
            }
            Event::GlobalRequest { .. }
            | Event::ClientIdentification(_)
            | Event::KexInit { .. }
            | Event::Disconnected { .. } => {}
        }
        Ok(())
    }

    /// `kexinit`, its target the client's HASSH (MD5 of its kex, client-to-server cipher,
    /// MAC and compression lists, `;`-joined, as Salesforce's HASSH defines it), with the
    /// string it hashes; recorded without waiting, ordered before the login's records.
    fn record_kexinit(&self, client: &ClientKexInit) {
        let algorithms = hassh_algorithms(client);
        let mut fields = BTreeMap::new();
        fields.insert("hassh_algorithms".into(), algorithms.clone());
        self.session.record_nowait(EventData::Request(Request {
            method: Some("kexinit".into()),
            target: Some(format!("{:x}", md5::compute(algorithms.as_bytes()))),
            fields,
            ..Default::default()
        }));
    }

    async fn record_request(&self, method: &str, target: String, fields: BTreeMap<String, String>) {
        self.session
            .record(EventData::Request(Request {
                method: Some(method.to_owned()),
                target: Some(target),
                fields,
                ..Default::default()
            }))
            .await;
    }

    async fn record_auth(
        &mut self,
        method: AuthMethod,
        user: &str,
        password: Option<String>,
        key: Option<(String, String)>,
        success: bool,
    ) {
        self.session.set_stage(Stage::Authenticating);
        if success {
            self.user = user.to_owned();
        }
        let (key_type, key_fingerprint) = key.unzip();
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

    /// Every password and every verified key is accepted; `none` and bad signatures are not.
    async fn on_auth(
        &mut self,
        ssh: &mut ServerConnection,
        attempt: AuthAttempt,
    ) -> Result<(), SshError> {
        use sikker_ssh::AuthMethod as Method;
        let user = attempt.user;
        match attempt.method {
            Method::None => {
                self.record_auth(AuthMethod::None, &user, None, None, false)
                    .await;
                ssh.reject_auth()?;
            }
            Method::Password { password, .. } => {
                self.record_auth(AuthMethod::Password, &user, Some(password), None, true)
                    .await;
                ssh.accept_auth()?;
            }
            Method::PublicKey {
                algorithm,
                fingerprint,
                key,
                signature,
                ..
            } => match signature {
                // "Would this key do?": yes; the signed attempt follows and is recorded.
                SignatureCheck::Query => ssh.accept_auth()?,
                SignatureCheck::Valid | SignatureCheck::Invalid => {
                    let valid = signature == SignatureCheck::Valid;
                    let key_type = key_type(&key).unwrap_or(algorithm);
                    let key = Some((key_type, fingerprint));
                    self.record_auth(AuthMethod::Publickey, &user, None, key, valid)
                        .await;
                    if valid {
                        ssh.accept_auth()?;
                    } else {
                        self.failures += 1;
                        ssh.reject_auth()?;
                    }
                }
            },
            Method::KeyboardInteractiveStart { .. } => {
                self.session.set_stage(Stage::Authenticating);
                ssh.keyboard_interactive_prompt("", "", &[("Password: ", false)])?;
            }
            Method::KeyboardInteractive { responses } => {
                let password = responses.into_iter().next().unwrap_or_default();
                self.record_auth(
                    AuthMethod::KeyboardInteractive,
                    &user,
                    Some(password),
                    None,
                    true,
                )
                .await;
                ssh.accept_auth()?;
            }
            Method::Other(_) => {
                self.failures += 1;
                ssh.reject_auth()?;
            }
        }
        if ssh.is_authenticated() {
            self.session.set_stage(Stage::Authenticated);
        } else if self.failures >= MAX_AUTH_TRIES {
            ssh.disconnect(
                disconnect::NO_MORE_AUTH_METHODS_AVAILABLE,
                "Too many authentication failures",
            );
        }
        Ok(())
    }

    async fn on_channel_open(
        &mut self,
        ssh: &mut ServerConnection,
        channel: u32,
        kind: ChannelKind,
    ) -> Result<(), SshError> {
        match kind {
            ChannelKind::Session => {
                self.channels.insert(
                    channel,
                    Box::new(Chan {
                        pty: false,
                        mode: Mode::Idle,
                        editor: LineEditor::new(self.ctx.limits.line_bytes),
                        shell: None,
                        raw_line: Vec::new(),
                        held: Vec::new(),
                        exit: None,
                    }),
                );
                ssh.accept_channel(channel)?;
            }
            // Already refused by the state machine: a honeypot never connects out.
            ChannelKind::DirectTcpip {
                host,
                port,
                originator,
                originator_port,
            } => {
                let mut fields = BTreeMap::new();
                fields.insert(
                    "originator".into(),
                    format!("{originator}:{originator_port}"),
                );
                self.record_request("direct-tcpip", format!("{host}:{port}"), fields)
                    .await;
            }
            ChannelKind::Other(kind) => {
                self.record_request("channel-open", kind, BTreeMap::new())
                    .await;
            }
        }
        Ok(())
    }

    async fn on_request(
        &mut self,
        ssh: &mut ServerConnection,
        channel: u32,
        want_reply: bool,
        request: ChannelRequest,
    ) -> Result<(), SshError> {
        let reply = |ssh: &mut ServerConnection, ok: bool| {
            if want_reply {
                ssh.channel_request_reply(channel, ok)
            } else {
                Ok(())
            }
        };
        let known = self.channels.contains_key(&channel);
        match request {
            ChannelRequest::PtyReq { .. } => {
                if let Some(c) = self.channels.get_mut(&channel) {
                    c.pty = true;
                }
                reply(ssh, known)?;
            }
            // Debian's and Ubuntu's sshd_config: `AcceptEnv LANG LC_*`.
            ChannelRequest::Env { name, .. } => {
                reply(ssh, known && (name == "LANG" || name.starts_with("LC_")))?
            }
            ChannelRequest::Shell => {
                reply(ssh, known)?;
                self.start_shell(ssh, channel);
            }
            ChannelRequest::Exec { command } => {
                reply(ssh, known)?;
                if known {
                    let command = String::from_utf8_lossy(&command).into_owned();
                    self.exec(ssh, channel, command).await;
                }
            }
            ChannelRequest::Subsystem { name } => {
                self.record_request("subsystem", name.clone(), BTreeMap::new())
                    .await;
                // Refused as OpenSSH refuses a subsystem it has no `Subsystem` line for.
                let ok = known && name == "sftp";
                if ok {
                    self.start_sftp(channel);
                }
                reply(ssh, ok)?;
            }
            ChannelRequest::WindowChange { .. }
            | ChannelRequest::Signal { .. }
            | ChannelRequest::Other { .. } => reply(ssh, false)?,
        }
        Ok(())
    }

    fn login_user(&self) -> String {
        if self.user.is_empty() {
            "root".to_owned()
        } else {
            self.user.clone()
        }
    }

    fn shell_for(&mut self, channel: u32) -> Option<&mut Chan> {
        let user = self.login_user();
        let chan = self.channels.get_mut(&channel)?;
        if chan.shell.is_none() {
            chan.shell = Some(
                ShellSession::new(&self.ctx.system, &user, self.session.clone())
                    .with_shared_fs(self.fs.clone()),
            );
        }
        Some(chan)
    }

    fn start_shell(&mut self, ssh: &mut ServerConnection, channel: u32) {
        let peer = self.session.peer().ip().to_string();
        let Some(chan) = self.shell_for(channel) else {
            return;
        };
        chan.mode = Mode::Shell;
        if !chan.pty {
            return;
        }
        let Some(shell) = chan.shell.as_ref() else {
            return;
        };
        let mut text = to_crlf(shell.shell().login_banner(Some(&peer)).as_bytes());
        text.extend_from_slice(shell.shell().prompt().as_bytes());
        self.send(ssh, channel, text);
    }

    async fn exec(&mut self, ssh: &mut ServerConnection, channel: u32, command: String) {
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
            self.send(ssh, channel, vec![0]);
            return;
        }
        let Some(chan) = self.shell_for(channel) else {
            return;
        };
        let pty = chan.pty;
        let Some(shell) = chan.shell.as_mut() else {
            return;
        };
        shell.set_exec_mode(true);
        let outcome = shell.run(&command).await;
        let out = if pty {
            to_crlf(&outcome.output)
        } else {
            outcome.output
        };
        self.send(ssh, channel, out);
        self.finish(ssh, channel, outcome.exit_code as u32);
    }

    fn start_sftp(&mut self, channel: u32) {
        let shell = sikker_shell::Shell::new(&self.ctx.system, &self.login_user());
        let persona = self.ctx.system.persona();
        let server = SftpServer::new(shell, self.ctx.limits.upload_bytes)
            .with_disk(persona.root_disk_bytes(), persona.disk_used_pct)
            .with_shared_fs(self.fs.clone());
        if let Some(c) = self.channels.get_mut(&channel) {
            c.mode = Mode::Sftp(Box::new(server));
        }
    }

    /// Records output to the client and sends it, holding what its window has no room for.
    fn send(&mut self, ssh: &mut ServerConnection, channel: u32, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.session.record_output(&bytes);
            self.send_unrecorded(ssh, channel, bytes);
        }
    }

    fn send_unrecorded(&mut self, ssh: &mut ServerConnection, channel: u32, bytes: Vec<u8>) {
        let Some(chan) = self.channels.get_mut(&channel) else {
            return;
        };
        if chan.held.is_empty() {
            chan.held = bytes;
        } else {
            let room = MAX_HELD_OUTPUT.saturating_sub(chan.held.len());
            chan.held.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        self.pump(ssh, channel);
    }

    /// Sends what the window allows of a channel's held output; once all of it is out, the
    /// exit status, EOF and CLOSE the channel was finished with.
    fn pump(&mut self, ssh: &mut ServerConnection, channel: u32) {
        let Some(chan) = self.channels.get_mut(&channel) else {
            return;
        };
        let mut sent = 0;
        while sent < chan.held.len() {
            match ssh.send_data(channel, &chan.held[sent..]) {
                Ok(0) => break,
                Ok(n) => sent += n,
                // The channel is closing: nothing more can go out on it.
                Err(_) => sent = chan.held.len(),
            }
        }
        if sent == chan.held.len() {
            chan.held = Vec::new();
        } else {
            chan.held.drain(..sent);
            return;
        }
        if let Some(status) = chan.exit.take() {
            let _ = ssh.send_exit_status(channel, status);
            let _ = ssh.send_eof(channel);
            let _ = ssh.send_close(channel);
        }
    }

    /// Ends a channel: exit status, EOF and CLOSE, after any output still held.
    fn finish(&mut self, ssh: &mut ServerConnection, channel: u32, status: u32) {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.mode = Mode::Done;
            c.exit = Some(status);
        }
        self.pump(ssh, channel);
    }

    /// Runs one line in a channel's shell and sends what it printed; true when it exited.
    async fn run_line(&mut self, ssh: &mut ServerConnection, channel: u32, line: &str) -> bool {
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
            self.send(ssh, channel, out);
            self.finish(ssh, channel, outcome.exit_code as u32);
            return true;
        }
        if pty {
            out.extend_from_slice(shell.shell().prompt().as_bytes());
        }
        self.send(ssh, channel, out);
        false
    }

    async fn on_data(&mut self, ssh: &mut ServerConnection, channel: u32, data: &[u8]) {
        let Some(chan) = self.channels.get_mut(&channel) else {
            self.session.record_input(data);
            return;
        };
        // SFTP payloads are binary file content: the content goes to quarantine and each
        // operation is recorded, rather than the raw bytes.
        if !matches!(chan.mode, Mode::Sftp(_)) {
            self.session.record_input(data);
        }
        match &mut chan.mode {
            Mode::Sftp(server) => match server.feed(data) {
                Ok(out) => {
                    self.send_unrecorded(ssh, channel, out.reply);
                    for a in out.actions {
                        let mut fields = BTreeMap::new();
                        if let Some(t) = a.target {
                            fields.insert("to".into(), t);
                        }
                        self.record_request(&format!("sftp-{}", a.op), a.path, fields)
                            .await;
                    }
                    for file in out.uploads {
                        record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                    }
                }
                Err(e) => {
                    tracing::debug!("ssh session {}: {e}", self.session.id());
                    let files = server.finish();
                    for file in files {
                        record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                    }
                    self.finish(ssh, channel, 1);
                }
            },
            Mode::Scp(sink) => {
                let (reply, files) = sink.feed(data);
                let dir = sink.dir.clone();
                for file in files {
                    place_scp_upload(&self.fs, &self.ctx.system, &self.user, &dir, &file);
                    record_upload(&self.session, &self.ctx.quarantine, file).await;
                }
                self.send(ssh, channel, reply);
            }
            Mode::Shell if chan.pty => {
                let keys = chan.editor.feed(data);
                for key in keys {
                    match key {
                        Key::Echo(bytes) => self.send(ssh, channel, bytes),
                        Key::Line(line) => {
                            if self.run_line(ssh, channel, &line).await {
                                return;
                            }
                        }
                        Key::Interrupt => {
                            let prompt = self
                                .channels
                                .get(&channel)
                                .and_then(|c| c.shell.as_ref())
                                .map(|s| s.shell().prompt())
                                .unwrap_or_default();
                            self.send(ssh, channel, prompt.into_bytes());
                        }
                        Key::Eof => {
                            self.send(ssh, channel, b"logout\r\n".to_vec());
                            self.finish(ssh, channel, 0);
                            return;
                        }
                    }
                }
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
                    if self.run_line(ssh, channel, &line).await {
                        return;
                    }
                }
            }
            Mode::Idle | Mode::Done => {}
        }
    }

    async fn on_eof(&mut self, ssh: &mut ServerConnection, channel: u32) {
        let Some(chan) = self.channels.get_mut(&channel) else {
            return;
        };
        match &mut chan.mode {
            Mode::Shell if !chan.pty => {
                let rest = std::mem::take(&mut chan.raw_line);
                if !rest.is_empty() {
                    let line = String::from_utf8_lossy(&rest).into_owned();
                    if self.run_line(ssh, channel, &line).await {
                        return;
                    }
                }
                self.finish(ssh, channel, 0);
            }
            Mode::Scp(sink) => {
                if let Some(file) = sink.abandon() {
                    let dir = sink.dir.clone();
                    place_scp_upload(&self.fs, &self.ctx.system, &self.user, &dir, &file);
                    record_upload(&self.session, &self.ctx.quarantine, file).await;
                }
                self.finish(ssh, channel, 0);
            }
            Mode::Sftp(server) => {
                let files = server.finish();
                for file in files {
                    record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
                }
                self.finish(ssh, channel, 0);
            }
            _ => {}
        }
    }

    async fn on_close(&mut self, channel: u32) {
        if let Some(Mode::Sftp(mut server)) = self.channels.remove(&channel).map(|c| c.mode) {
            for file in server.finish() {
                record_sftp_upload(&self.session, &self.ctx.quarantine, file).await;
            }
        }
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
    use sikker_ssh::NameList;

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
        let names = |ident: &str| {
            let a = openssh_algorithms("debian", ident).expect("every listed name is implemented");
            format!("{a:?}")
        };
        let debian12 = names("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        assert!(!debian12.contains("Mlkem"), "{debian12}");
        assert!(
            debian12.contains("Sntrup761X25519Sha512Openssh"),
            "{debian12}"
        );
        assert!(debian12.contains("strict: true"), "{debian12}");
        assert!(debian12.contains("ext_info_s: false"), "{debian12}");
        assert!(names("SSH-2.0-OpenSSH_9.9p1").contains("Mlkem"));
        assert!(names("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5").contains("ext_info_s: true"));
        // Before the Terrapin backports: no strict key exchange.
        assert!(names("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1").contains("strict: false"));
        assert!(names("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.9").contains("strict: false"));
        assert!(names("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11").contains("strict: true"));
        assert!(names("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3").contains("strict: true"));
        // SHA-1 kex and ssh-rsa signatures only for the old ones.
        let centos7 = names("SSH-2.0-OpenSSH_7.4");
        assert!(
            centos7.contains("DhGroup14Sha1") && centos7.contains("SshRsa"),
            "{centos7}"
        );
        assert!(
            !debian12.contains("DhGroup14Sha1") && !debian12.contains("SshRsa"),
            "{debian12}"
        );
    }

    #[test]
    fn red_hat_personas_send_red_hats_lists() {
        let names = |os: &str, ident: &str| {
            let a = openssh_algorithms(os, ident).expect("every listed name is implemented");
            format!("{a:?}")
        };
        // RHEL 9's DEFAULT crypto policy: AES-256-GCM first, no UMAC-64, AES-192, sntrup761
        // or SHA-1 signatures; strict kex but no ext-info-s.
        let rocky = names("rocky", "SSH-2.0-OpenSSH_8.7");
        assert!(
            rocky
                .contains("cipher: [Aes256Gcm, ChaCha20Poly1305, Aes256Ctr, Aes128Gcm, Aes128Ctr]"),
            "{rocky}"
        );
        assert!(
            rocky.contains("DhGexSha256, DhGroup14Sha256, DhGroup16Sha512"),
            "{rocky}"
        );
        for absent in ["Umac64", "Aes192", "Sntrup", "SshRsa"] {
            assert!(!rocky.contains(absent), "{absent} in {rocky}");
        }
        assert!(rocky.contains("strict: true") && rocky.contains("ext_info_s: false"));
        // The same version string from elsewhere is upstream 8.7.
        assert!(names("debian", "SSH-2.0-OpenSSH_8.7").contains("Umac64"));
        // RHEL 7: gex-sha1 before group14, ssh-rsa first.
        let centos = names("centos", "SSH-2.0-OpenSSH_7.4");
        assert!(centos.contains("DhGexSha1, DhGroup14Sha256"), "{centos}");
        assert!(
            centos.contains("host_key: [SshRsa, RsaSha2_512"),
            "{centos}"
        );
    }

    #[test]
    fn auth_methods_are_the_stock_configs() {
        assert_eq!(stock_auth_methods("debian"), ["publickey", "password"]);
        assert_eq!(stock_auth_methods("ubuntu"), ["publickey", "password"]);
        assert_eq!(
            stock_auth_methods("rocky"),
            ["publickey", "gssapi-keyex", "gssapi-with-mic", "password"]
        );
        assert_eq!(stock_auth_methods("centos"), stock_auth_methods("rocky"));
        assert_eq!(
            stock_auth_methods("alpine"),
            ["publickey", "password", "keyboard-interactive"]
        );
    }

    #[test]
    fn server_sig_algs_follow_the_release() {
        let first_and_len = |ident: &str| {
            let l = openssh_server_sig_algs(ident);
            (l[0], l.len())
        };
        assert_eq!(first_and_len("SSH-2.0-OpenSSH_7.4"), ("rsa-sha2-256", 2));
        assert_eq!(
            first_and_len("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11"),
            ("ssh-ed25519", 10)
        );
        // Debian 11 and RHEL 9 alike: webauthn added, ssh-rsa still third.
        for ident in [
            "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3",
            "SSH-2.0-OpenSSH_8.7",
        ] {
            let l = openssh_server_sig_algs(ident);
            assert_eq!((l.len(), l[2]), (11, "ssh-rsa"), "{ident}");
        }
        let debian12 = openssh_server_sig_algs("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5");
        assert_eq!(
            debian12[1..3],
            ["sk-ssh-ed25519@openssh.com", "ecdsa-sha2-nistp256"]
        );
        // 9.6 on: PubkeyAcceptedAlgorithms, no DSA, no webauthn, RSA last.
        let noble = openssh_server_sig_algs("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5");
        assert_eq!(noble.last(), Some(&"rsa-sha2-256"));
        assert!(!noble.contains(&"ssh-dss") && !noble.contains(&"ssh-rsa"));
    }

    /// The server's KEXINIT lists and server-sig-algs as `ssh -vvv` printed them for stock
    /// servers in a public capture set (docker `debian:11` with `openssh-server`, August 2026;
    /// an Ubuntu 24.04 server): kex, host key, cipher, MAC, compression, server-sig-algs.
    #[test]
    fn lists_match_captured_stock_servers() {
        let macs = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,\
            hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,\
            hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,\
            hmac-sha2-512,hmac-sha1";
        let ciphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,\
            aes128-gcm@openssh.com,aes256-gcm@openssh.com";
        let cases = [
            (
                "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u7",
                "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,\
                 ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,\
                 diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,\
                 diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com",
                "rsa-sha2-512,rsa-sha2-256,ssh-rsa,ecdsa-sha2-nistp256,ssh-ed25519",
                "ssh-ed25519,sk-ssh-ed25519@openssh.com,ssh-rsa,rsa-sha2-256,rsa-sha2-512,\
                 ssh-dss,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,\
                 sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
            ),
            (
                "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.18",
                "sntrup761x25519-sha512@openssh.com,curve25519-sha256,\
                 curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,\
                 ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,\
                 diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,\
                 diffie-hellman-group14-sha256,ext-info-s,kex-strict-s-v00@openssh.com",
                "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
                "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,\
                 sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,\
                 rsa-sha2-256",
            ),
        ];
        for (ident, kex, host_key, sig_algs) in cases {
            let os = if ident.contains("Debian") {
                "debian"
            } else {
                "ubuntu"
            };
            let names = openssh_algorithms(os, ident).expect("implemented").names();
            assert_eq!(names.kex.join(","), kex, "{ident}");
            assert_eq!(names.host_key.join(","), host_key, "{ident}");
            assert_eq!(names.cipher.join(","), ciphers, "{ident}");
            assert_eq!(names.mac.join(","), macs, "{ident}");
            assert_eq!(
                names.compression.join(","),
                "none,zlib@openssh.com",
                "{ident}"
            );
            assert_eq!(
                openssh_server_sig_algs(ident).join(","),
                sig_algs,
                "{ident}"
            );
        }
        assert_eq!(stock_auth_methods("debian").join(","), "publickey,password");
    }

    /// HASSH-server: MD5 of the server's kex, cipher, MAC and compression lists, `;`-joined.
    fn hassh_server(lists: &sikker_ssh::NameLists) -> String {
        let s = [&lists.kex, &lists.cipher, &lists.mac, &lists.compression]
            .map(|l| l.join(","))
            .join(";");
        format!("{:x}", md5::compute(s.as_bytes()))
    }

    /// Against HASSH-server values published for real servers: Suricata's HASSH test capture
    /// of an `OpenSSH_7.4` server (RHEL 7's build), and a JA4+ sample of an `OpenSSH_8.7`
    /// server from before RHEL 9's Terrapin update (so without the strict-kex marker).
    #[test]
    fn red_hat_personas_have_published_hassh_server_values() {
        let centos = openssh_algorithms("centos", "SSH-2.0-OpenSSH_7.4").expect("implemented");
        assert_eq!(
            hassh_server(&centos.names()),
            "6832f1ce43d4397c2c0a3e2f8c94334e"
        );
        let rocky = openssh_algorithms("rocky", "SSH-2.0-OpenSSH_8.7").expect("implemented");
        let mut before_terrapin = rocky.names();
        assert_eq!(
            before_terrapin.kex.pop(),
            Some("kex-strict-s-v00@openssh.com")
        );
        assert_eq!(
            hassh_server(&before_terrapin),
            "2307c390c7c9aba5b4c9519e72347f34"
        );
    }

    #[test]
    fn key_exchange_lists_are_stock_sshds_in_order() {
        let first = |ident: &str| openssh_kex(ident)[0];
        let has = |ident: &str, name: &str| openssh_kex(ident).contains(&name);
        let sntrup = "sntrup761x25519-sha512@openssh.com";
        // Debian 12's 9.2p1 gained the plain name in deb12u4.
        assert_eq!(first("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"), sntrup);
        let u5 = openssh_kex("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5");
        assert_eq!(
            &u5[..3],
            ["sntrup761x25519-sha512", sntrup, "curve25519-sha256"]
        );
        assert_eq!(first("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5"), sntrup);
        // 8.9 offers it after the NIST curves; 8.2–8.8 implement it but do not offer it.
        let jammy = openssh_kex("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6");
        assert_eq!(jammy[5], sntrup, "{jammy:?}");
        assert!(!has("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3", sntrup));
        assert!(!has("SSH-2.0-OpenSSH_8.7", sntrup));
        // ML-KEM: third in 9.9, first in 10.0, which also dropped the finite-field groups.
        let v99 = openssh_kex("SSH-2.0-OpenSSH_9.9p1");
        assert_eq!(v99[2], "mlkem768x25519-sha256", "{v99:?}");
        assert!(v99.contains(&"diffie-hellman-group16-sha512"));
        let v10 = openssh_kex("SSH-2.0-OpenSSH_10.0");
        assert_eq!(
            v10[..2],
            ["mlkem768x25519-sha256", "sntrup761x25519-sha512"]
        );
        assert!(
            !v10.iter().any(|k| k.starts_with("diffie-hellman")),
            "{v10:?}"
        );
        // group14-sha1 left the defaults in 8.2.
        assert!(has("SSH-2.0-OpenSSH_8.1", "diffie-hellman-group14-sha1"));
        assert!(!has(
            "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11",
            "diffie-hellman-group14-sha1"
        ));
        for ident in [
            "SSH-2.0-OpenSSH_7.4",
            "SSH-2.0-OpenSSH_9.6",
            "SSH-2.0-OpenSSH_10.0",
        ] {
            openssh_algorithms("debian", ident).expect("every name offered is implemented");
        }
    }

    #[test]
    fn hassh_hashes_the_client_to_server_lists() {
        let client = ClientKexInit {
            kex: NameList::new(b"curve25519-sha256,ext-info-c"),
            cipher_c2s: NameList::new(b"aes128-ctr"),
            cipher_s2c: NameList::new(b"not-in-hassh"),
            mac_c2s: NameList::new(b"hmac-sha2-256"),
            compression_c2s: NameList::new(b"none"),
            ..Default::default()
        };
        let s = hassh_algorithms(&client);
        assert_eq!(
            s,
            "curve25519-sha256,ext-info-c;aes128-ctr;hmac-sha2-256;none"
        );
        // MD5 of that string, as `printf %s "$s" | md5sum` prints it.
        assert_eq!(
            format!("{:x}", md5::compute(s.as_bytes())),
            "cafb69eb1dbb2a4a505b5b25342a4940"
        );
    }

    #[test]
    fn key_type_is_read_from_the_blob() {
        let mut blob = 7u32.to_be_bytes().to_vec();
        blob.extend_from_slice(b"ssh-rsa\0\0\0\x01\x03");
        assert_eq!(key_type(&blob).as_deref(), Some("ssh-rsa"));
        assert_eq!(key_type(&blob[..6]), None);
        assert_eq!(key_type(&[0xff, 0xff, 0xff, 0xff]), None);
    }
}
