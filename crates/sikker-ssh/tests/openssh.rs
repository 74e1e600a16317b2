//! Interoperability with the OpenSSH client (`ssh`, with `sshpass` for passwords) on
//! 127.0.0.1: every supported kex, host key, cipher and MAC, every auth method, exec, a
//! PTY shell, and re-keying. Needs the apt packages openssh-client and sshpass.

mod common;

use common::{key_dir, start, Log, PASSWORD};
use sikker_ssh::{
    AuthMethod, ChannelRequest, Cipher, Event, HostKeyAlg, Kex, MacAlg, SignatureCheck,
};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

struct Run {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn ssh(
    port: u16,
    password: Option<&str>,
    opts: &[&str],
    remote: &[&str],
    stdin: &[u8],
) -> Run {
    let mut cmd = match password {
        Some(p) => {
            let mut c = Command::new("sshpass");
            c.args(["-p", p, "ssh"]);
            c
        }
        None => Command::new("ssh"),
    };
    cmd.args([
        "-F",
        "/dev/null",
        "-p",
        &port.to_string(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=20",
        "-o",
        "NumberOfPasswordPrompts=1",
    ])
    .args(opts)
    .arg("root@127.0.0.1")
    .args(remote)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .expect("run ssh (apt packages openssh-client, sshpass)");
    if let Some(mut i) = child.stdin.take() {
        let data = stdin.to_vec();
        tokio::spawn(async move {
            let _ = i.write_all(&data).await;
            // Keep stdin open a moment so a shell sees its input before EOF.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        });
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("ssh finished within 60 s")
        .expect("ssh output");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn password_opts() -> Vec<&'static str> {
    vec![
        "-o",
        "PreferredAuthentications=password",
        "-o",
        "PubkeyAuthentication=no",
    ]
}

fn last_negotiated(log: &Log) -> Option<sikker_ssh::Negotiated> {
    log.lock().expect("log").iter().rev().find_map(|e| match e {
        Event::KexInit { negotiated, .. } => Some(*negotiated),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_with_password_strict_kex_and_ext_info() {
    let (port, log) = start(common::config()).await;
    let r = ssh(
        port,
        Some(PASSWORD),
        &password_opts(),
        &["uname", "-a"],
        b"",
    )
    .await;
    assert_eq!(r.stdout, "exec:uname -a\n", "stderr: {}", r.stderr);
    assert_eq!(r.stderr, "to stderr\n");
    assert_eq!(r.code, Some(3));
    let n = last_negotiated(&log).expect("kex happened");
    assert!(n.strict, "OpenSSH ≥ 9.6 / patched clients offer strict KEX");
    assert!(n.ext_info);
    let events = log.lock().expect("log").clone();
    assert!(
        matches!(&events[0], Event::ClientIdentification(id) if id.starts_with("SSH-2.0-OpenSSH"))
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Auth(a) if a.user == "root"
        && matches!(&a.method, AuthMethod::Password { password, .. } if password == PASSWORD))));
    // A wrong password fails, and the attempt is reported.
    let r = ssh(port, Some("wrong"), &password_opts(), &["true"], b"").await;
    assert!(!r.ok);
    assert!(log
        .lock()
        .expect("log")
        .iter()
        .any(|e| matches!(e, Event::Auth(a)
        if matches!(&a.method, AuthMethod::Password { password, .. } if password == "wrong"))));
}

/// Names in this ssh's `ssh -Q <query>` list.
fn ssh_knows(query: &str) -> String {
    let out = std::process::Command::new("ssh")
        .args(["-Q", query])
        .output()
        .expect("ssh -Q");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every cipher against every MAC, the CBC ciphers included where this ssh still has them
/// (OpenSSH 9.x: the AES ones and 3des-cbc; blowfish-cbc and cast128-cbc went in 7.6 and
/// are covered by the known-answer tests in `src/cipher.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cipher_and_mac() {
    let (port, log) = start(common::config_all()).await;
    let known = ssh_knows("cipher");
    for c in Cipher::ALL {
        if !known.lines().any(|l| l == c.name()) {
            eprintln!("{}: not known to this ssh, skipped", c.name());
            continue;
        }
        let macs: Vec<Option<MacAlg>> = if c.is_aead() {
            vec![None]
        } else {
            MacAlg::ALL.iter().copied().map(Some).collect()
        };
        for m in macs {
            let cipher = format!("Ciphers={}", c.name());
            let mac = format!("MACs={}", m.map_or("hmac-sha2-256", |m| m.name()));
            let mut opts = password_opts();
            opts.extend(["-o", &cipher, "-o", &mac]);
            let r = ssh(port, Some(PASSWORD), &opts, &["echo", "hi"], b"").await;
            assert_eq!(r.stdout, "exec:echo hi\n", "{c:?}/{m:?}: {}", r.stderr);
            let n = last_negotiated(&log).expect("kex");
            assert_eq!((n.cipher_c2s, n.cipher_s2c), (c, c));
            assert_eq!((n.mac_c2s, n.mac_s2c), (m, m));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kex_and_host_key() {
    let (port, log) = start(common::config_all()).await;
    // Methods newer than the installed client are skipped: mlkem768x25519-sha256 (OpenSSH ≥
    // 9.9) is covered by the russh client tests; the un-suffixed sntrup761x25519-sha512
    // (OpenSSH ≥ 9.9) differs from the @openssh.com name, which runs here, only in its name.
    // diffie-hellman-group1-sha1 is still compiled into OpenSSH 9.x's client (off unless
    // asked for, as here).
    let known = ssh_knows("kex");
    for k in Kex::ALL {
        if !known.lines().any(|l| l == k.name()) {
            eprintln!("{}: not known to this ssh, skipped", k.name());
            continue;
        }
        for h in HostKeyAlg::ALL {
            let kex = format!("KexAlgorithms={}", k.name());
            let hk = format!("HostKeyAlgorithms={}", h.name());
            let mut opts = password_opts();
            opts.extend(["-o", &kex, "-o", &hk]);
            let r = ssh(port, Some(PASSWORD), &opts, &["id"], b"").await;
            assert_eq!(r.stdout, "exec:id\n", "{k:?}/{h:?}: {}", r.stderr);
            let n = last_negotiated(&log).expect("kex");
            assert_eq!((n.kex, n.host_key), (k, h));
        }
    }
}

/// OpenSSH 9.2's default server list, as a persona of that version offers it.
const OPENSSH_9_2_KEX: [&str; 10] = [
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];

/// A server offering `kex`, with OpenSSH's host key order and a few ciphers and MACs.
fn with_kex(kex: &[&str]) -> sikker_ssh::ServerConfig {
    let mut config = common::config();
    config.algorithms = sikker_ssh::Algorithms::from_names(
        kex,
        &[
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ecdsa-sha2-nistp256",
            "ssh-ed25519",
        ],
        &[
            "chacha20-poly1305@openssh.com",
            "aes128-ctr",
            "aes256-gcm@openssh.com",
        ],
        &["umac-64-etm@openssh.com", "hmac-sha2-256"],
        &["none", "zlib@openssh.com"],
    )
    .expect("implemented names");
    config
}

/// The kex method the client's `-v` log says it negotiated.
fn client_kex(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find_map(|l| l.split_once("kex: algorithm: "))
        .map(|(_, name)| name.trim_end())
}

/// The post-quantum hybrid sntrup761x25519-sha512 with the real client: forced under each
/// name the client knows (Debian's 9.2p1 since deb12u4 knows the IANA name too), and as the
/// client's own choice against OpenSSH 9.2's server list. The client's log must name it, and
/// login and exec work over the keys it made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sntrup761x25519_with_the_openssh_client() {
    let both = [&["sntrup761x25519-sha512"][..], &OPENSSH_9_2_KEX[..]].concat();
    let (port, log) = start(with_kex(&both)).await;
    let known = std::process::Command::new("ssh")
        .args(["-Q", "kex"])
        .output()
        .expect("ssh -Q kex");
    let known = String::from_utf8_lossy(&known.stdout).into_owned();
    for kex in [
        Kex::Sntrup761X25519Sha512Openssh,
        Kex::Sntrup761X25519Sha512,
    ] {
        if !known.lines().any(|l| l == kex.name()) {
            eprintln!("{}: not known to this ssh, skipped", kex.name());
            continue;
        }
        let forced = format!("KexAlgorithms={}", kex.name());
        let mut opts = password_opts();
        opts.extend(["-vv", "-o", &forced]);
        let r = ssh(port, Some(PASSWORD), &opts, &["echo", "pq"], b"").await;
        assert_eq!(r.stdout, "exec:echo pq\n", "{kex:?}: {}", r.stderr);
        assert_eq!(client_kex(&r.stderr), Some(kex.name()), "{}", r.stderr);
        assert_eq!(last_negotiated(&log).expect("kex").kex, kex);
    }
    // Unforced, against stock OpenSSH 9.2's list (no IANA name): OpenSSH ≥ 9.0 clients put
    // the hybrid first, so that is what an attacker's ssh negotiates with such a persona.
    let (port, log) = start(with_kex(&OPENSSH_9_2_KEX)).await;
    let mut opts = password_opts();
    opts.push("-vv");
    let r = ssh(port, Some(PASSWORD), &opts, &["echo", "pq"], b"").await;
    assert_eq!(r.stdout, "exec:echo pq\n", "{}", r.stderr);
    assert_eq!(
        client_kex(&r.stderr),
        Some("sntrup761x25519-sha512@openssh.com"),
        "{}",
        r.stderr
    );
    let n = last_negotiated(&log).expect("kex");
    assert_eq!(n.kex, Kex::Sntrup761X25519Sha512Openssh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_keys_of_every_type() {
    let (port, log) = start(common::config()).await;
    for name in ["user_ed25519", "user_ecdsa", "user_ecdsa521", "user_rsa"] {
        let key = key_dir().join(name);
        let key = key.to_str().expect("utf-8 path");
        let opts = [
            "-i",
            key,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PreferredAuthentications=publickey",
            "-o",
            "BatchMode=yes",
        ];
        let r = ssh(port, None, &opts, &["whoami"], b"").await;
        assert_eq!(r.stdout, "exec:whoami\n", "{name}: {}", r.stderr);
        let fp = std::process::Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(format!("{key}.pub"))
            .output()
            .expect("ssh-keygen -l");
        let fp = String::from_utf8_lossy(&fp.stdout)
            .split_whitespace()
            .nth(1)
            .expect("fingerprint")
            .to_owned();
        let events = log.lock().expect("log").clone();
        let seen: Vec<(String, SignatureCheck)> = events
            .iter()
            .filter_map(|e| match e {
                Event::Auth(a) => match &a.method {
                    AuthMethod::PublicKey {
                        fingerprint,
                        signature,
                        ..
                    } if *fingerprint == fp => Some((fingerprint.clone(), signature.clone())),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        // OpenSSH ≥ 8.9 binds its signature to our host key, since EXT_INFO offers that.
        assert!(events.iter().any(|e| matches!(e, Event::Auth(a)
            if matches!(&a.method, AuthMethod::PublicKey { host_bound: true, signature: SignatureCheck::Valid, .. }))));
        // OpenSSH asks first (query → PK_OK), then signs.
        assert!(
            seen.iter().any(|s| s.1 == SignatureCheck::Query),
            "{name}: {seen:?}"
        );
        assert!(
            seen.iter().any(|s| s.1 == SignatureCheck::Valid),
            "{name}: {seen:?}"
        );
    }
    let rsa = events_with_algorithm(&log, "rsa-sha2-512");
    assert!(
        rsa,
        "OpenSSH signs with rsa-sha2-512 when server-sig-algs lists it"
    );
}

/// A server that does not announce `publickey-hostbound@openssh.com` (OpenSSH before 8.9)
/// gets plain `publickey` signatures from OpenSSH's client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_bound_signatures_follow_ext_info() {
    let mut config = common::config();
    config.ext_info_hostbound = false;
    config.ext_info_ping = false;
    let (port, log) = start(config).await;
    let key = key_dir().join("user_ed25519");
    let key = key.to_str().expect("utf-8 path");
    let opts = [
        "-i",
        key,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "PreferredAuthentications=publickey",
        "-o",
        "BatchMode=yes",
    ];
    let r = ssh(port, None, &opts, &["id"], b"").await;
    assert_eq!(r.stdout, "exec:id\n", "{}", r.stderr);
    let signed: Vec<bool> = log
        .lock()
        .expect("log")
        .iter()
        .filter_map(|e| match e {
            Event::Auth(a) => match &a.method {
                AuthMethod::PublicKey {
                    host_bound,
                    signature: SignatureCheck::Valid,
                    ..
                } => Some(*host_bound),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(signed, [false]);
}

fn events_with_algorithm(log: &Log, alg: &str) -> bool {
    log.lock().expect("log").iter().any(|e| {
        matches!(e, Event::Auth(a) if matches!(&a.method,
            AuthMethod::PublicKey { algorithm, signature: SignatureCheck::Valid, .. } if algorithm == alg))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_interactive() {
    let (port, log) = start(common::config()).await;
    let opts = [
        "-o",
        "PreferredAuthentications=keyboard-interactive",
        "-o",
        "PubkeyAuthentication=no",
    ];
    let r = ssh(port, Some(PASSWORD), &opts, &["ls"], b"").await;
    assert_eq!(r.stdout, "exec:ls\n", "{}", r.stderr);
    assert!(log.lock().expect("log").iter().any(|e| matches!(e, Event::Auth(a)
        if a.user == "root" && matches!(&a.method, AuthMethod::KeyboardInteractive { responses } if responses == &[PASSWORD]))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pty_shell_with_env_and_rekeying() {
    let (port, log) = start(common::config()).await;
    let mut opts = password_opts();
    // Re-key every 16 KiB: the 40 KiB typed into the shell (echoed back) forces several.
    opts.extend(["-tt", "-o", "RekeyLimit=16K", "-o", "SetEnv=LANG=C.UTF-8"]);
    let mut input = Vec::new();
    for i in 0..400 {
        input.extend_from_slice(format!("line {i:04} {}\n", "z".repeat(90)).as_bytes());
    }
    input.extend_from_slice(b"exit\n");
    let r = ssh(port, Some(PASSWORD), &opts, &[], &input).await;
    assert!(r.stdout.starts_with("$ line 0000"), "{}", r.stderr);
    assert!(r.stdout.contains("line 0399"), "{}", r.stderr);
    assert!(r.stdout.contains("bye"), "{}", r.stderr);
    let events = log.lock().expect("log").clone();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ChannelRequest {
            request: ChannelRequest::PtyReq { .. },
            want_reply: true,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(e, Event::ChannelRequest {
        request: ChannelRequest::Env { name, value }, .. } if name == "LANG" && value == "C.UTF-8")));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ChannelRequest {
            request: ChannelRequest::Shell,
            ..
        }
    )));
    let rekeys = common::rekeys_logged(&log, 1).await;
    assert!(rekeys >= 1, "re-keys: {rekeys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_output_and_refused_forwarding() {
    let (port, log) = start(common::config()).await;
    let r = ssh(
        port,
        Some(PASSWORD),
        &password_opts(),
        &["big", "300000"],
        b"",
    )
    .await;
    assert_eq!(r.stdout.len(), 300000, "{}", r.stderr);
    // A local forward: the direct-tcpip open is reported and refused.
    let mut opts = password_opts();
    opts.extend(["-o", "ExitOnForwardFailure=no", "-W", "10.0.0.1:80"]);
    let _ = ssh(port, Some(PASSWORD), &opts, &[], b"").await;
    assert!(log.lock().expect("log").iter().any(|e| matches!(e, Event::ChannelOpen {
        kind: sikker_ssh::ChannelKind::DirectTcpip { host, port: 80, .. }, .. } if host == "10.0.0.1")));
    // A remote forward request is a global request, refused.
    let mut opts = password_opts();
    opts.extend([
        "-o",
        "ExitOnForwardFailure=yes",
        "-R",
        "127.0.0.1:0:127.0.0.1:9",
        "-N",
    ]);
    let r = ssh(port, Some(PASSWORD), &opts, &[], b"").await;
    assert!(!r.ok);
    assert!(log.lock().expect("log").iter().any(|e| matches!(e, Event::GlobalRequest { name, forward: Some(_), .. } if name == "tcpip-forward")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_zlib_compression_with_rekeying() {
    let (port, log) = start(common::config()).await;
    let mut opts = password_opts();
    opts.extend(["-C"]);
    let r = ssh(port, Some(PASSWORD), &opts, &["big", "300000"], b"").await;
    assert_eq!(r.stdout.len(), 300000, "{}", r.stderr);
    let n = last_negotiated(&log).expect("kex");
    assert_eq!(n.compression_s2c, sikker_ssh::Compression::ZlibOpenssh);
    assert_eq!(n.compression_c2s, sikker_ssh::Compression::ZlibOpenssh);
    // A shell whose input forces re-keys: each NEWKEYS restarts the zlib streams.
    opts.extend(["-tt", "-o", "RekeyLimit=16K"]);
    let mut input = Vec::new();
    for i in 0..300 {
        input.extend_from_slice(format!("line {i:04} {}\n", "q".repeat(90)).as_bytes());
    }
    input.extend_from_slice(b"exit\n");
    let r = ssh(port, Some(PASSWORD), &opts, &[], &input).await;
    assert!(r.stdout.contains("line 0299"), "{}", r.stderr);
    assert!(r.stdout.contains("bye"), "{}", r.stderr);
    let rekeys = common::rekeys_logged(&log, 1).await;
    assert!(rekeys >= 1, "re-keys: {rekeys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_initiated_rekeying() {
    let mut config = common::config();
    config.rekey_after_bytes = 1024;
    let (port, log) = start(config).await;
    let mut opts = password_opts();
    opts.extend(["-tt"]);
    let mut input = Vec::new();
    for i in 0..300 {
        input.extend_from_slice(format!("line {i:04} {}\n", "s".repeat(90)).as_bytes());
    }
    input.extend_from_slice(b"exit\n");
    let r = ssh(port, Some(PASSWORD), &opts, &[], &input).await;
    assert!(r.stdout.contains("line 0299"), "{}", r.stderr);
    assert!(r.stdout.contains("bye"), "{}", r.stderr);
    let rekeys = common::rekeys_logged(&log, 1).await;
    assert!(rekeys >= 1, "re-keys: {rekeys}");
}

/// CBC over many packets and across re-keys: 300 kB of output, then a shell whose typed
/// input forces re-keys (each NEWKEYS starts a new chain from the new IV), with the MAC over
/// the plaintext and encrypt-then-MAC, a 16-byte and an 8-byte block cipher.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cbc_on_long_sessions_with_rekeying() {
    let (port, log) = start(common::config_all()).await;
    for (cipher, mac) in [
        (Cipher::Aes256Cbc, MacAlg::HmacSha1),
        (Cipher::TripleDesCbc, MacAlg::HmacSha256Etm),
    ] {
        let c = format!("Ciphers={}", cipher.name());
        let m = format!("MACs={}", mac.name());
        let mut opts = password_opts();
        opts.extend(["-o", &c, "-o", &m]);
        let r = ssh(port, Some(PASSWORD), &opts, &["big", "300000"], b"").await;
        assert_eq!(r.stdout.len(), 300000, "{cipher:?}: {}", r.stderr);
        let n = last_negotiated(&log).expect("kex");
        assert_eq!((n.cipher_s2c, n.mac_s2c), (cipher, Some(mac)));
        opts.extend(["-tt", "-o", "RekeyLimit=16K"]);
        let mut input = Vec::new();
        for i in 0..300 {
            input.extend_from_slice(format!("line {i:04} {}\n", "c".repeat(90)).as_bytes());
        }
        input.extend_from_slice(b"exit\n");
        let before = rekeys(&log);
        let r = ssh(port, Some(PASSWORD), &opts, &[], &input).await;
        assert!(r.stdout.contains("line 0299"), "{cipher:?}: {}", r.stderr);
        assert!(r.stdout.contains("bye"), "{cipher:?}: {}", r.stderr);
        let after = common::rekeys_logged(&log, before + 1).await;
        assert!(after > before, "{cipher:?}: no re-key");
    }
}

fn rekeys(log: &Log) -> usize {
    log.lock()
        .expect("log")
        .iter()
        .filter(|e| matches!(e, Event::KeyExchangeDone { initial: false }))
        .count()
}

/// UMAC's POLY layer only runs on packets over 1 KiB: large output and large typed input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn umac_on_large_packets() {
    let (port, log) = start(common::config()).await;
    for mac in [
        MacAlg::Umac64,
        MacAlg::Umac128,
        MacAlg::Umac64Etm,
        MacAlg::Umac128Etm,
    ] {
        let m = format!("MACs={}", mac.name());
        let mut opts = password_opts();
        opts.extend(["-o", "Ciphers=aes128-ctr", "-o", &m]);
        let r = ssh(port, Some(PASSWORD), &opts, &["big", "300000"], b"").await;
        assert_eq!(r.stdout.len(), 300000, "{mac:?}: {}", r.stderr);
        assert_eq!(last_negotiated(&log).expect("kex").mac_s2c, Some(mac));
        opts.push("-tt");
        let mut input = Vec::new();
        for i in 0..400 {
            input.extend_from_slice(format!("line {i:04} {}\n", "u".repeat(90)).as_bytes());
        }
        input.extend_from_slice(b"exit\n");
        let r = ssh(port, Some(PASSWORD), &opts, &[], &input).await;
        assert!(r.stdout.contains("line 0399"), "{mac:?}: {}", r.stderr);
        assert!(r.stdout.contains("bye"), "{mac:?}: {}", r.stderr);
    }
}
