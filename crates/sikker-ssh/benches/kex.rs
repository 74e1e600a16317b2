//! Server CPU for one key exchange, per method, against curve25519-sha256 measured in the same
//! run: a fresh `ServerConnection` takes the client's identification, KEXINIT and
//! KEX_ECDH_INIT and produces its KEX_ECDH_REPLY (ephemeral key, KEM encapsulation, exchange
//! hash, Ed25519 signature) and NEWKEYS. No sockets, one thread, timed by the thread's CPU
//! clock. The client's values are made once: the server's work does not depend on them being
//! fresh.
//!
//!   cargo bench -p sikker-ssh --bench kex                 # N=2000 exchanges per method
//!   N=500 cargo bench -p sikker-ssh --bench kex

use sikker_ssh::packet::Sealer;
use sikker_ssh::{HostKey, Kex, ServerConfig, ServerConnection};
use std::sync::Arc;

fn plain_packet(out: &mut Vec<u8>, payload: &[u8]) {
    let st = Sealer::begin(out);
    out.extend_from_slice(payload);
    Sealer::default().seal(out, st);
}

fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// What a client sends up to and including its KEX_ECDH_INIT for `kex`.
fn client_bytes(kex: Kex) -> Vec<u8> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let x =
        aws_lc_rs::agreement::EphemeralPrivateKey::generate(&aws_lc_rs::agreement::X25519, &rng)
            .expect("X25519 key");
    let x = x.compute_public_key().expect("X25519 public");
    let pq = match kex {
        Kex::Mlkem768X25519Sha256 => {
            use ml_kem::{Kem, KeyExport, MlKem768};
            let (_, ek) = MlKem768::generate_keypair();
            ek.to_bytes().to_vec()
        }
        Kex::Sntrup761X25519Sha512 | Kex::Sntrup761X25519Sha512Openssh => {
            sntrup761::generate_key(rand10::rng()).0.as_ref().to_vec()
        }
        _ => Vec::new(),
    };
    let mut out = b"SSH-2.0-OpenSSH_9.2p1\r\n".to_vec();
    let mut kexinit = vec![20];
    kexinit.extend_from_slice(&[7; 16]);
    for list in [
        kex.name(),
        "ssh-ed25519",
        "aes128-ctr",
        "aes128-ctr",
        "hmac-sha2-256",
        "hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ] {
        string(&mut kexinit, list.as_bytes());
    }
    kexinit.extend_from_slice(&[0; 5]);
    plain_packet(&mut out, &kexinit);
    let mut init = vec![30];
    string(&mut init, &[&pq[..], x.as_ref()].concat());
    plain_packet(&mut out, &init);
    out
}

fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a pointer to a timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Seconds of this thread's CPU for `n` server-side key exchanges of `kex`.
fn run(config: &Arc<ServerConfig>, kex: Kex, n: usize) -> f64 {
    let bytes = client_bytes(kex);
    let start = thread_cpu_seconds();
    for _ in 0..n {
        let mut conn = ServerConnection::new(config.clone());
        conn.feed(&bytes).expect("feed");
        while conn.poll().expect("key exchange").is_some() {}
        assert!(!conn.session_id().is_empty(), "{kex:?}: no exchange hash");
    }
    thread_cpu_seconds() - start
}

fn main() {
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let config = Arc::new(ServerConfig::new(
        "SSH-2.0-OpenSSH_9.2p1",
        vec![HostKey::generate_ed25519().expect("host key")],
    ));
    let methods = [
        Kex::Curve25519Sha256,
        Kex::Mlkem768X25519Sha256,
        Kex::Sntrup761X25519Sha512Openssh,
    ];
    // Warm up caches and the allocator before the timed rounds.
    for k in methods {
        run(&config, k, n / 20 + 1);
    }
    let base = run(&config, Kex::Curve25519Sha256, n);
    println!("server CPU for one key exchange, N={n}:");
    for k in methods {
        let t = if k == Kex::Curve25519Sha256 {
            base
        } else {
            run(&config, k, n)
        };
        println!(
            "  {:<36} {:>8.1} µs   {:>5.2}× curve25519-sha256",
            k.name(),
            t / n as f64 * 1e6,
            t / base
        );
    }
}
