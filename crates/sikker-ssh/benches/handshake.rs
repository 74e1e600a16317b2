//! sikker-ssh against a russh 0.65 server set up as the sensor sets it up, in the same run:
//! server CPU per full handshake (kex + `none` + password auth, russh's client in a child
//! process, as bench/sensor-vs-cowrie drives it) and server heap per idle session
//! (authenticated, PTY shell open, prompt received). Both servers use the same ed25519 host
//! key, run on one current-thread Tokio runtime each in this process, and answer only
//! 127.0.0.1. Prints the figures and the ratios.
//!
//!   cargo bench -p sikker-ssh --bench handshake             # N=2000 handshakes, K=1000 sessions
//!   N=500 K=200 cargo bench -p sikker-ssh --bench handshake
//!
//! Modes used by `benches/cost.sh` (instructions under callgrind): `serve sikker|russh`,
//! `client-handshakes PORT N CONC`, `client-idle PORT K`.

use russh::keys::PublicKeyOrCertificate;
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{client, kex, Channel, ChannelId, Disconnect, Preferred};
use sikker_ssh::driver::{serve_tcp, Handler};
use sikker_ssh::{
    AuthMethod, ChannelKind, ChannelRequest, Error, Event, HostKey, ServerConfig, ServerConnection,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts live heap bytes, so the server's share can be read while a client process holds
/// its sessions.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const IDENT: &str = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3";
const PASSWORD: &str = "hunter2";

// ---- sikker-ssh server ---------------------------------------------------------------

/// The state machine's own footprint (struct + heap) when it last went idle, waiting for input.
static SIKKER_FOOTPRINT: AtomicUsize = AtomicUsize::new(0);
/// Set for the idle phase only, so the handshake phase runs the crate's own driver.
static MEASURE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `driver::serve_tcp`'s loop, plus a note of the footprint each time the connection goes idle.
async fn serve_and_measure(
    sock: &mut tokio::net::TcpStream,
    conn: &mut ServerConnection,
) -> Result<(), Error> {
    use tokio::io::AsyncWriteExt;
    loop {
        while let Some(event) = conn.poll()? {
            SikkerPolicy.on_event(conn, event)?;
        }
        while !conn.output().is_empty() {
            let n = sock.write(conn.output()).await?;
            conn.consume_output(n);
        }
        if conn.is_closed() {
            return Ok(());
        }
        SIKKER_FOOTPRINT.store(
            std::mem::size_of::<ServerConnection>() + conn.heap_bytes(),
            Ordering::Relaxed,
        );
        sock.readable().await?;
        let mut buf = Vec::with_capacity(conn.input_room().min(16 * 1024));
        match sock.try_read_buf(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => conn.feed(&buf)?,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
    }
}

struct SikkerPolicy;

impl Handler for SikkerPolicy {
    fn on_event(&mut self, conn: &mut ServerConnection, event: Event) -> Result<(), Error> {
        match event {
            Event::Auth(a) => match a.method {
                AuthMethod::Password { .. } => conn.accept_auth(),
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
                if want_reply {
                    conn.channel_request_reply(channel, true)?;
                }
                if request == ChannelRequest::Shell {
                    conn.send_data(channel, b"$ ")?;
                }
                Ok(())
            }
            Event::Data { channel, data } => conn.send_data(channel, &data).map(|_| ()),
            _ => Ok(()),
        }
    }
}

async fn sikker_server(listener: tokio::net::TcpListener, text: &str) {
    let config = Arc::new(ServerConfig::new(
        IDENT,
        vec![HostKey::from_openssh(text).expect("host key")],
    ));
    while let Ok((mut sock, _)) = listener.accept().await {
        let _ = sock.set_nodelay(true);
        let config = config.clone();
        tokio::spawn(async move {
            let mut conn = ServerConnection::new(config);
            let _ = if MEASURE.load(Ordering::Relaxed) {
                serve_and_measure(&mut sock, &mut conn).await
            } else {
                serve_tcp(&mut sock, &mut conn, &mut SikkerPolicy).await
            };
        });
    }
}

// ---- russh server, configured as crates/sikker-sensor/src/protocols/ssh.rs does -----

struct RusshPolicy;

impl russh::server::Handler for RusshPolicy {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }
    async fn auth_password(&mut self, _user: &str, _password: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::Accept)
    }
    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _c: u32,
        _r: u32,
        _w: u32,
        _h: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }
    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        session.data(channel, &b"$ "[..])
    }
}

async fn russh_server(listener: tokio::net::TcpListener, text: &str) {
    use russh::{MethodKind, MethodSet};
    let key = russh::keys::decode_secret_key(text, None).expect("host key");
    let config = Arc::new(russh::server::Config {
        server_id: russh::SshId::Standard(Cow::Borrowed(IDENT)),
        methods: MethodSet::from(
            &[
                MethodKind::PublicKey,
                MethodKind::Password,
                MethodKind::KeyboardInteractive,
            ][..],
        ),
        auth_rejection_time: Duration::from_millis(0),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        keys: vec![key],
        max_auth_attempts: 6,
        nodelay: true,
        ..Default::default()
    });
    while let Ok((sock, _)) = listener.accept().await {
        let config = config.clone();
        tokio::spawn(async move {
            let started = Box::pin(russh::server::run_stream(config, sock, RusshPolicy)).await;
            if let Ok(running) = started {
                let _ = running.await;
            }
        });
    }
}

/// Starts one server on its own thread with a current-thread runtime; returns its port.
fn start(which: &'static str, key: String) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let _ = tx.send(l.local_addr().expect("addr").port());
            match which {
                "sikker" => sikker_server(l, &key).await,
                _ => russh_server(l, &key).await,
            }
        });
    });
    rx.recv().expect("server port")
}

// ---- russh client (child process) ----------------------------------------------------

struct Client;

impl client::Handler for Client {
    type Error = russh::Error;
    async fn check_server_key(&mut self, _k: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

fn client_config() -> Arc<client::Config> {
    Arc::new(client::Config {
        preferred: Preferred {
            kex: Cow::Owned(vec![
                kex::CURVE25519,
                kex::EXTENSION_SUPPORT_AS_CLIENT,
                kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
            ]),
            key: Cow::Owned(vec![russh::keys::Algorithm::Ed25519]),
            ..Preferred::default()
        },
        nodelay: true,
        ..Default::default()
    })
}

async fn handshake(port: u16) -> Result<(), String> {
    let mut h = client::connect(client_config(), ("127.0.0.1", port), Client)
        .await
        .map_err(|e| e.to_string())?;
    h.authenticate_none("root")
        .await
        .map_err(|e| e.to_string())?;
    let a = h
        .authenticate_password("root", PASSWORD)
        .await
        .map_err(|e| e.to_string())?;
    if !a.success() {
        return Err("rejected".into());
    }
    h.disconnect(Disconnect::ByApplication, "", "en")
        .await
        .map_err(|e| e.to_string())?;
    let _ = h.await;
    Ok(())
}

fn client_handshakes(port: u16, n: usize, conc: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..conc.min(n) {
            let (next, ok) = (next.clone(), ok.clone());
            tasks.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    if let Ok(Ok(())) =
                        tokio::time::timeout(Duration::from_secs(60), handshake(port)).await
                    {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    println!("OK {}", ok.load(Ordering::Relaxed));
}

async fn idle_session(port: u16) -> Result<(client::Handle<Client>, Channel<client::Msg>), String> {
    let mut h = client::connect(client_config(), ("127.0.0.1", port), Client)
        .await
        .map_err(|e| e.to_string())?;
    let a = h
        .authenticate_password("root", PASSWORD)
        .await
        .map_err(|e| e.to_string())?;
    if !a.success() {
        return Err("rejected".into());
    }
    let mut ch = h.channel_open_session().await.map_err(|e| e.to_string())?;
    ch.request_pty(true, "xterm", 80, 24, 0, 0, &[])
        .await
        .map_err(|e| e.to_string())?;
    ch.request_shell(true).await.map_err(|e| e.to_string())?;
    loop {
        match ch.wait().await {
            Some(russh::ChannelMsg::Data { .. }) => return Ok((h, ch)),
            Some(_) => {}
            None => return Err("channel closed before the prompt".into()),
        }
    }
}

fn client_idle(port: u16, k: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(64));
        let mut tasks = Vec::new();
        for _ in 0..k {
            let sem = sem.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await;
                idle_session(port).await
            }));
        }
        let mut held = Vec::new();
        for t in tasks {
            if let Ok(Ok(s)) = t.await {
                held.push(s);
            }
        }
        println!("READY {}", held.len());
        let _ = std::io::stdout().flush();
        // Hold until the parent closes stdin.
        let _ = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            let _ = std::io::stdin().read_line(&mut s);
        })
        .await;
        drop(held);
    });
}

// ---- orchestration -------------------------------------------------------------------

fn cpu_seconds() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn child(args: &[String]) -> std::process::Child {
    Command::new(std::env::current_exe().expect("exe"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn client")
}

fn handshakes(port: u16, n: usize, conc: usize) -> (usize, f64, f64) {
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    let out = child(&[
        "client-handshakes".into(),
        port.to_string(),
        n.to_string(),
        conc.to_string(),
    ])
    .wait_with_output()
    .expect("client");
    let cpu = cpu_seconds() - c0;
    let wall = t0.elapsed().as_secs_f64();
    let ok = String::from_utf8_lossy(&out.stdout)
        .trim()
        .strip_prefix("OK ")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (ok, cpu, wall)
}

fn idle(port: u16, k: usize) -> (usize, f64) {
    std::thread::sleep(Duration::from_millis(300));
    let before = LIVE.load(Ordering::Relaxed);
    let mut c = child(&["client-idle".into(), port.to_string(), k.to_string()]);
    let mut line = String::new();
    if let Some(out) = c.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let held: usize = line
        .trim()
        .strip_prefix("READY ")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    std::thread::sleep(Duration::from_millis(1000));
    let after = LIVE.load(Ordering::Relaxed);
    drop(c.stdin.take());
    let _ = c.wait();
    std::thread::sleep(Duration::from_millis(500));
    (held, (after - before) as f64 / held.max(1) as f64)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An ed25519 host key made by ssh-keygen, as OpenSSH private key text (both servers read it).
fn host_key() -> String {
    let dir = std::env::temp_dir().join(format!("sikker-ssh-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let key = dir.join("ssh_host_ed25519_key");
    let _ = std::fs::remove_file(&key);
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "ssh-keygen (apt package openssh-client) is needed");
    let text = std::fs::read_to_string(&key).expect("read host key");
    let _ = std::fs::remove_dir_all(&dir);
    text
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |i: usize| {
        args.get(i)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0)
    };
    match args.first().map(String::as_str) {
        Some("client-handshakes") => {
            return client_handshakes(arg(1) as u16, arg(2), arg(3).max(1))
        }
        Some("client-idle") => return client_idle(arg(1) as u16, arg(2)),
        Some("serve") => {
            let which = if args.get(1).map(String::as_str) == Some("russh") {
                "russh"
            } else {
                "sikker"
            };
            let port = start(which, host_key());
            println!("LISTEN {port}");
            let _ = std::io::stdout().flush();
            let mut s = String::new();
            let _ = std::io::stdin().read_line(&mut s);
            return;
        }
        _ => {}
    }
    let n = env("N", 2000);
    let conc = env("CONC", 64);
    let k = env("K", 1000);
    let rounds = env("ROUNDS", 2);
    let key = host_key();
    let sikker = start("sikker", key.clone());
    let russh = start("russh", key);
    println!(
        "sikker-ssh vs russh 0.65 server (sensor's settings), ed25519 host key, curve25519-sha256,"
    );
    println!("russh client in a child process: N={n} handshakes at concurrency {conc}, {rounds} interleaved rounds");
    let mut cpu = [0.0f64; 2];
    let mut done = [0usize; 2];
    for _ in 0..rounds {
        for (i, port) in [(0, russh), (1, sikker)] {
            let (ok, c, wall) = handshakes(port, n, conc);
            let name = ["russh", "sikker-ssh"][i];
            println!(
                "  {name:11} {ok} ok, {:.3} ms server CPU per handshake, {:.0} handshakes/s wall",
                1e3 * c / ok.max(1) as f64,
                ok as f64 / wall
            );
            cpu[i] += c;
            done[i] += ok;
        }
    }
    let per = |i: usize| 1e3 * cpu[i] / done[i].max(1) as f64;
    println!(
        "handshake server CPU: russh {:.3} ms, sikker-ssh {:.3} ms  → ratio {:.1}×",
        per(0),
        per(1),
        per(0) / per(1)
    );
    let (hr, r_bytes) = idle(russh, k);
    MEASURE.store(true, Ordering::Relaxed);
    let (hs, s_bytes) = idle(sikker, k);
    println!(
        "idle session (authenticated, PTY shell, prompt received), server heap per session, K={k}:"
    );
    println!("  russh      {hr} held, {:.1} KiB", r_bytes / 1024.0);
    println!(
        "  sikker-ssh {hs} held, {:.1} KiB (of which the idle state machine {} B: {} B struct + heap)",
        s_bytes / 1024.0,
        SIKKER_FOOTPRINT.load(Ordering::Relaxed),
        std::mem::size_of::<ServerConnection>()
    );
    println!(
        "memory per idle session ratio: {:.1}×",
        r_bytes / s_bytes.max(1.0)
    );
}
