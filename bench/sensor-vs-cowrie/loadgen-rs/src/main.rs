//! Handshake load for bench/sensor-vs-cowrie, with russh as the client.
//!
//! `sensor-vs-cowrie-loadgen handshakes --port P --pid PID -n N [--concurrency C] [--threads T]
//! [--client russh|bare] [--hostkey ssh-ed25519] [--kex curve25519-sha256] [--user root]
//! [--password x] [--timeout SECS]`
//!
//! Each handshake is what `loadgen.py handshakes` does with asyncssh: TCP connect, version
//! exchange, key exchange with the host key type forced, `none` then `password`
//! authentication (asyncssh and OpenSSH both ask `none` first), disconnect. It prints one
//! JSON object in `loadgen.py`'s format. The server's CPU seconds are read from
//! `/proc/PID/stat` (the process and its descendants) before and after; the client's are this
//! process's own. Only 127.0.0.1 is contacted.
//!
//! `--client bare` sends the same messages with a client of this crate's own that does only
//! what the handshake needs (`bare.rs`), for a load generator that costs less CPU than the
//! servers it measures.

mod bare;

use russh::keys::{Algorithm, PublicKeyOrCertificate};
use russh::{client, kex, Disconnect, Preferred};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `/proc` reports CPU time in USER_HZ ticks, which Linux fixes at 100 for user space.
const TICKS_PER_SEC: f64 = 100.0;

#[derive(Clone, Copy, PartialEq)]
enum ClientKind {
    Russh,
    Bare,
}

impl ClientKind {
    fn name(self) -> &'static str {
        match self {
            ClientKind::Russh => "russh",
            ClientKind::Bare => "bare",
        }
    }
}

struct Args {
    client: ClientKind,
    port: u16,
    pid: u32,
    n: usize,
    concurrency: usize,
    threads: usize,
    hostkey: String,
    kex: String,
    user: String,
    password: String,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    match it.next().as_deref() {
        Some("handshakes") => {}
        other => return Err(format!("mode must be `handshakes`, not {other:?}")),
    }
    let mut a = Args {
        client: ClientKind::Russh,
        port: 0,
        pid: 0,
        n: 0,
        concurrency: 64,
        threads: 2,
        hostkey: "ssh-ed25519".into(),
        kex: kex::CURVE25519.as_ref().into(),
        user: "root".into(),
        password: "x".into(),
        timeout: Duration::from_secs(300),
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--client" => {
                a.client = match value.as_str() {
                    "russh" => ClientKind::Russh,
                    "bare" => ClientKind::Bare,
                    v => return Err(format!("--client {v}: russh or bare")),
                }
            }
            "--port" => a.port = num(&value)? as u16,
            "--pid" => a.pid = num(&value)? as u32,
            "-n" => a.n = num(&value)? as usize,
            "--concurrency" => a.concurrency = num(&value)?.max(1) as usize,
            "--threads" => a.threads = num(&value)?.max(1) as usize,
            "--hostkey" => a.hostkey = value,
            "--kex" => a.kex = value,
            "--user" => a.user = value,
            "--password" => a.password = value,
            "--timeout" => a.timeout = Duration::from_secs(num(&value)?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.port == 0 || a.pid == 0 || a.n == 0 {
        return Err("--port, --pid and -n are required".into());
    }
    if a.client == ClientKind::Bare && a.kex != kex::CURVE25519.as_ref() {
        return Err("--client bare speaks curve25519-sha256 only".into());
    }
    Ok(a)
}

/// Utime + stime of `pid` and every process below it, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut stats: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            // Fields after the command name, which may itself hold spaces and parentheses.
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
                continue;
            };
            let f: Vec<&str> = rest.split_whitespace().collect();
            let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            children.entry(field(1) as u32).or_default().push(p);
            stats.insert(p, (field(11), field(12)));
        }
    }
    let mut ticks = 0u64;
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        if let Some((u, s)) = stats.get(&p) {
            ticks += u + s;
        }
        if let Some(c) = children.get(&p) {
            todo.extend(c);
        }
    }
    ticks as f64 / TICKS_PER_SEC
}

fn own_cpu_secs() -> f64 {
    cpu_secs(std::process::id())
}

struct Client {
    seen: Arc<Mutex<BTreeSet<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(key.public_key().algorithm().to_string());
        }
        Ok(true)
    }
}

async fn one_handshake(
    config: Arc<client::Config>,
    a: &Args,
    seen: Arc<Mutex<BTreeSet<String>>>,
) -> Result<(), String> {
    let mut handle = client::connect(config, ("127.0.0.1", a.port), Client { seen })
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // Whatever `none` answers, the password comes next, as asyncssh and OpenSSH do it.
    handle
        .authenticate_none(a.user.clone())
        .await
        .map_err(|e| format!("auth none: {e}"))?;
    let auth = handle
        .authenticate_password(a.user.clone(), a.password.clone())
        .await
        .map_err(|e| format!("auth password: {e}"))?;
    if !auth.success() {
        return Err("password rejected".into());
    }
    handle
        .disconnect(Disconnect::ByApplication, "", "en")
        .await
        .map_err(|e| format!("disconnect: {e}"))?;
    // The session ends when the server closes; its error on a closed socket is expected.
    let _ = handle.await;
    Ok(())
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let a = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("sensor-vs-cowrie-loadgen: {e}");
            std::process::exit(2);
        }
    };
    let hostkey = match Algorithm::from_str(&a.hostkey) {
        Ok(alg) => alg,
        Err(e) => {
            eprintln!("--hostkey {}: {e}", a.hostkey);
            std::process::exit(2);
        }
    };
    let Some(kex_name) = kex::ALL_KEX_ALGORITHMS
        .iter()
        .find(|k| k.as_ref() == a.kex.as_str())
        .map(|k| **k)
    else {
        eprintln!("--kex {}: not a key exchange russh knows", a.kex);
        std::process::exit(2);
    };
    let config = Arc::new(client::Config {
        preferred: Preferred {
            kex: Cow::Owned(vec![
                kex_name,
                kex::EXTENSION_SUPPORT_AS_CLIENT,
                kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
            ]),
            key: Cow::Owned(vec![hostkey]),
            ..Preferred::default()
        },
        nodelay: true,
        ..Default::default()
    });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let errors: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let server0 = cpu_secs(a.pid);
    let client0 = own_cpu_secs();
    let t0 = Instant::now();
    let timed_out = rt.block_on(async {
        let mut workers = Vec::new();
        for _ in 0..a.concurrency.min(a.n) {
            let (a, config, seen, errors, next, ok) = (
                a.clone(),
                config.clone(),
                seen.clone(),
                errors.clone(),
                next.clone(),
                ok.clone(),
            );
            workers.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < a.n {
                    let one = async {
                        match a.client {
                            ClientKind::Russh => {
                                one_handshake(config.clone(), &a, seen.clone()).await
                            }
                            ClientKind::Bare => {
                                let key = bare::handshake(a.port, &a.hostkey, &a.user, &a.password)
                                    .await?;
                                if let Ok(mut seen) = seen.lock() {
                                    seen.insert(key);
                                }
                                Ok(())
                            }
                        }
                    };
                    let r = match tokio::time::timeout(Duration::from_secs(60), one).await {
                        Ok(r) => r,
                        Err(_) => Err("timed out after 60 s".into()),
                    };
                    match r {
                        Ok(()) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            let mut e: String = e;
                            e.truncate(160);
                            if let Ok(mut m) = errors.lock() {
                                *m.entry(e).or_default() += 1;
                            }
                        }
                    }
                }
            }));
        }
        let all = async {
            for w in workers {
                let _ = w.await;
            }
        };
        tokio::time::timeout(a.timeout, all).await.is_err()
    });
    let elapsed = t0.elapsed().as_secs_f64();
    let server = cpu_secs(a.pid) - server0;
    let client = own_cpu_secs() - client0;
    let ok = ok.load(Ordering::Relaxed);
    let errors = errors.lock().map(|m| m.clone()).unwrap_or_default();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let errors_json: Vec<String> = errors
        .iter()
        .map(|(k, v)| format!("{}: {v}", json_str(k)))
        .collect();
    let seen_json: Vec<String> = seen.iter().map(|s| json_str(s)).collect();
    println!(
        "{{\"mode\": \"handshakes\", \"client\": {}, \"n\": {}, \"concurrency\": {}, \
         \"procs\": 1, \"threads\": {}, \"kex\": {}, \"ok\": {ok}, \"failed\": {}, \
         \"errors\": {{{}}}, \"timed_out\": {timed_out}, \"elapsed_s\": {:.3}, \"rate\": {:.1}, \
         \"server_cpu_s\": {:.2}, \"client_cpu_s\": {:.2}, \"hostkey_seen\": [{}]}}",
        json_str(a.client.name()),
        a.n,
        a.concurrency,
        a.threads,
        json_str(&a.kex),
        a.n.saturating_sub(ok),
        errors_json.join(", "),
        elapsed,
        if elapsed > 0.0 {
            ok as f64 / elapsed
        } else {
            0.0
        },
        server,
        client,
        seen_json.join(", "),
    );
    // Workers still blocked on a dead server must not keep the process alive.
    rt.shutdown_timeout(Duration::from_secs(1));
}
