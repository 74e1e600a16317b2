//! A test server on 127.0.0.1 port 0: sikker-ssh with a tiny policy (password "secret",
//! any valid public key), an exec handler that prints its command and an echo shell.
#![allow(dead_code)]

pub mod memory_client;

use sikker_ssh::driver::serve_tcp;
use sikker_ssh::{
    AuthMethod, ChannelKind, ChannelRequest, Error, Event, HostKey, ServerConfig, ServerConnection,
    SignatureCheck,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

pub const PASSWORD: &str = "secret";

/// Host keys of every supported type; ECDSA P-384 and RSA come from ssh-keygen files, so the
/// OpenSSH key file reader is exercised too.
pub fn host_keys() -> Vec<HostKey> {
    let dir = key_dir();
    let read = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).expect("key file");
        HostKey::from_openssh(&text).expect("parse key file")
    };
    vec![
        read("host_ed25519"),
        HostKey::generate_ecdsa_p256().expect("p256"),
        read("host_ecdsa384"),
        read("host_rsa"),
    ]
}

/// A directory with host keys and user keys made by ssh-keygen, kept in the target's test
/// tmp dir and reused across runs; made in a directory of its own and renamed into place,
/// so test binaries running at once never see half of it.
pub fn key_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sikker-ssh-test-keys");
        if dir.is_dir() {
            return dir;
        }
        let fresh = dir.with_extension(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&fresh);
        std::fs::create_dir_all(&fresh).expect("key dir");
        for (name, args) in [
            ("host_ed25519", &["-t", "ed25519"][..]),
            ("host_ecdsa384", &["-t", "ecdsa", "-b", "384"][..]),
            ("host_rsa", &["-t", "rsa", "-b", "2048"][..]),
            ("user_ed25519", &["-t", "ed25519"][..]),
            ("user_ecdsa", &["-t", "ecdsa", "-b", "256"][..]),
            ("user_ecdsa521", &["-t", "ecdsa", "-b", "521"][..]),
            ("user_rsa", &["-t", "rsa", "-b", "2048"][..]),
        ] {
            let ok = Command::new("ssh-keygen")
                .args(args)
                .args(["-q", "-N", "", "-C", "test", "-f"])
                .arg(fresh.join(name))
                .stdin(std::process::Stdio::null())
                .status()
                .expect("run ssh-keygen (apt package openssh-client)")
                .success();
            assert!(ok, "ssh-keygen {name}");
        }
        if std::fs::rename(&fresh, &dir).is_err() {
            // Another test binary got there first.
            let _ = std::fs::remove_dir_all(&fresh);
        }
        dir
    })
}

pub type Log = Arc<Mutex<Vec<Event>>>;

/// Re-keys the server finished, once at least `at_least` are in the log or 5 s have passed.
/// A client can see the output a re-key's end released, and exit, before the server's task
/// has logged the event (seen once under load), so a single look can come too early.
pub async fn rekeys_logged(log: &Log, at_least: usize) -> usize {
    let count = || {
        log.lock()
            .expect("log")
            .iter()
            .filter(|e| matches!(e, Event::KeyExchangeDone { initial: false }))
            .count()
    };
    for _ in 0..50 {
        if count() >= at_least {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    count()
}

/// The test policy and the echo shell.
pub struct EchoHandler {
    pub log: Log,
    shell_input: Vec<u8>,
}

impl EchoHandler {
    pub fn new(log: Log) -> Self {
        EchoHandler {
            log,
            shell_input: Vec::new(),
        }
    }
}

impl sikker_ssh::driver::Handler for EchoHandler {
    fn on_event(&mut self, conn: &mut ServerConnection, event: Event) -> Result<(), Error> {
        self.log.lock().expect("log").push(event.clone());
        match event {
            Event::Auth(a) => match a.method {
                AuthMethod::Password { password, .. } if password == PASSWORD => conn.accept_auth(),
                AuthMethod::PublicKey { signature, .. } if signature != SignatureCheck::Invalid => {
                    conn.accept_auth()
                }
                AuthMethod::KeyboardInteractiveStart { .. } => {
                    conn.keyboard_interactive_prompt("", "", &[("Password: ", false)])
                }
                AuthMethod::KeyboardInteractive { responses } if responses == [PASSWORD] => {
                    conn.accept_auth()
                }
                _ => conn.reject_auth(),
            },
            Event::ChannelOpen {
                channel,
                kind: ChannelKind::Session,
            } => conn.accept_channel(channel),
            Event::ChannelRequest {
                channel,
                want_reply,
                request,
            } => {
                let ok = !matches!(
                    request,
                    ChannelRequest::Subsystem { .. } | ChannelRequest::Other { .. }
                );
                if want_reply {
                    conn.channel_request_reply(channel, ok)?;
                }
                match request {
                    ChannelRequest::Exec { command } => {
                        let mut out = b"exec:".to_vec();
                        out.extend_from_slice(&command);
                        out.push(b'\n');
                        if command.starts_with(b"big ") {
                            let n: usize = String::from_utf8_lossy(&command[4..])
                                .trim()
                                .parse()
                                .unwrap_or(0);
                            out = vec![b'x'; n];
                        }
                        let sent = conn.send_data(channel, &out)?;
                        assert_eq!(sent, out.len(), "test output fits the window");
                        conn.send_extended_data(channel, 1, b"to stderr\n")?;
                        conn.send_exit_status(channel, 3)?;
                        conn.send_eof(channel)?;
                        conn.send_close(channel)?;
                    }
                    ChannelRequest::Shell => {
                        conn.send_data(channel, b"$ ")?;
                    }
                    _ => {}
                }
                Ok(())
            }
            Event::Data { channel, data } => {
                conn.send_data(channel, &data)?;
                self.shell_input.extend_from_slice(&data);
                let exit = self.shell_input.windows(4).any(|w| w == b"exit");
                if exit {
                    conn.send_data(channel, b"\r\nbye\r\n")?;
                    conn.send_exit_status(channel, 0)?;
                    conn.send_eof(channel)?;
                    conn.send_close(channel)?;
                }
                Ok(())
            }
            // After an exec our CLOSE may already be out: the client's EOF crossed it, and
            // the channel takes no more requests. Failing here would drop the connection
            // while the client still reads the output (a reset loses what it had not read).
            Event::Eof { channel } => match conn.send_exit_status(channel, 0) {
                Err(Error::NoSuchChannel(_)) => Ok(()),
                r => r.and_then(|()| conn.send_close(channel)),
            },
            _ => Ok(()),
        }
    }
}

/// Starts a server with `config`; every event of every connection goes to the returned log.
pub async fn start(config: ServerConfig) -> (u16, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let log: Log = Arc::default();
    let config = Arc::new(config);
    let l = log.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let config = config.clone();
            let log = l.clone();
            tokio::spawn(async move {
                let mut conn = ServerConnection::new(config);
                let mut h = EchoHandler::new(log);
                if let Err(e) = serve_tcp(&mut sock, &mut conn, &mut h).await {
                    eprintln!("server: connection ended with {e}");
                }
            });
        }
    });
    (port, log)
}

pub fn config() -> ServerConfig {
    ServerConfig::new("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", host_keys())
}

/// Every implemented algorithm offered, SHA-1 key exchanges included.
pub fn config_all() -> ServerConfig {
    let mut c = config();
    let kex: Vec<&str> = sikker_ssh::Kex::ALL.iter().map(|k| k.name()).collect();
    let hk: Vec<&str> = sikker_ssh::HostKeyAlg::ALL
        .iter()
        .map(|k| k.name())
        .collect();
    let ciphers: Vec<&str> = sikker_ssh::Cipher::ALL.iter().map(|k| k.name()).collect();
    let macs: Vec<&str> = sikker_ssh::MacAlg::ALL.iter().map(|k| k.name()).collect();
    c.algorithms = sikker_ssh::Algorithms::from_names(&kex, &hk, &ciphers, &macs, &["none"])
        .expect("every implemented name");
    c
}
