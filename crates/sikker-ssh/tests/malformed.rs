//! The state machine against hostile and malformed input, without sockets: every case ends
//! in a clear error (or waits for more bytes), never a panic, and memory stays bounded.

use proptest::prelude::*;
use sikker_ssh::packet::Sealer;
use sikker_ssh::{Error, Event, HostKey, ServerConfig, ServerConnection};
use std::sync::{Arc, OnceLock};

fn config() -> Arc<ServerConfig> {
    static C: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    C.get_or_init(|| {
        Arc::new(ServerConfig::new(
            "SSH-2.0-OpenSSH_9.6",
            vec![HostKey::generate_ed25519().expect("key")],
        ))
    })
    .clone()
}

fn plain_packet(payload: &[u8]) -> Vec<u8> {
    let mut s = Sealer::default();
    let mut out = Vec::new();
    let st = Sealer::begin(&mut out);
    out.extend_from_slice(payload);
    s.seal(&mut out, st);
    out
}

fn name_list(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn kexinit(kex: &str) -> Vec<u8> {
    kexinit_guess(kex, false)
}

fn kexinit_guess(kex: &str, follows: bool) -> Vec<u8> {
    let mut p = vec![20];
    p.extend_from_slice(&[7; 16]);
    for l in [
        kex,
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
        name_list(&mut p, l);
    }
    p.push(follows as u8);
    p.extend_from_slice(&[0; 4]);
    p
}

/// Feeds `bytes` and polls until the machine wants more input or fails.
fn run(conn: &mut ServerConnection, bytes: &[u8]) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    let mut rest = bytes;
    loop {
        let n = rest.len().min(conn.input_room());
        conn.feed(&rest[..n])?;
        rest = &rest[n..];
        while let Some(e) = conn.poll()? {
            events.push(e);
        }
        if rest.is_empty() || conn.is_closed() || conn.input_room() == 0 {
            return Ok(events);
        }
    }
}

fn id_err(input: &[u8]) -> &'static str {
    let mut c = ServerConnection::new(config());
    match run(&mut c, input) {
        Err(Error::Identification { reason, .. }) => reason,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

#[test]
fn server_speaks_first() {
    let c = ServerConnection::new(config());
    assert!(c.output().starts_with(b"SSH-2.0-OpenSSH_9.6\r\n"));
    // Its KEXINIT follows at once and offers strict KEX.
    let out = String::from_utf8_lossy(c.output()).into_owned();
    assert!(out.contains("kex-strict-s-v00@openssh.com"));
}

#[test]
fn identification_rules() {
    let mut c = ServerConnection::new(config());
    let ev = run(
        &mut c,
        b"hello there\r\nanother line\nSSH-2.0-PuTTY_0.81\r\n",
    )
    .unwrap();
    assert_eq!(
        ev,
        [Event::ClientIdentification("SSH-2.0-PuTTY_0.81".into())]
    );
    let mut c = ServerConnection::new(config());
    let ev = run(&mut c, b"SSH-1.99-old\n").unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        id_err(b"SSH-1.5-ancient\r\n"),
        "protocol version is not 2.0"
    );
    assert_eq!(id_err(b"SSH-2.0\r\n"), "malformed (no software version)");
    assert_eq!(id_err(b"SSH-2.0-\r\n"), "malformed");
    let long = [b"SSH-2.0-".as_slice(), &[b'a'; 300]].concat();
    assert_eq!(id_err(&long), "line too long");
    let many = b"junk\n".repeat(40);
    assert_eq!(id_err(&many), "too many lines before the identification");
    assert_eq!(id_err(&[b'x'; 2000]), "line too long");
    // Partial: waits for more.
    let mut c = ServerConnection::new(config());
    assert!(run(&mut c, b"SSH-2.0-Op").unwrap().is_empty());
}

fn after_id(packets: &[Vec<u8>]) -> Result<Vec<Event>, Error> {
    let mut c = ServerConnection::new(config());
    let mut bytes = b"SSH-2.0-test_1\r\n".to_vec();
    for p in packets {
        bytes.extend_from_slice(p);
    }
    run(&mut c, &bytes)
}

#[test]
fn bad_packet_lengths_are_errors() {
    let r = after_id(&[vec![0xff, 0xff, 0xff, 0xff, 4, 0, 0, 0]]);
    assert!(matches!(r, Err(Error::PacketLength(_))), "{r:?}");
    let r = after_id(&[vec![0, 0, 0, 0]]);
    assert!(matches!(r, Err(Error::PacketLength(0))), "{r:?}");
    let r = after_id(&[vec![0, 0, 0, 12, 2, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    assert!(matches!(r, Err(Error::Padding(_))), "{r:?}");
}

#[test]
fn truncated_kexinit_is_an_error() {
    let full = kexinit("curve25519-sha256");
    for n in 1..full.len() - 1 {
        let r = after_id(&[plain_packet(&full[..n])]);
        assert!(matches!(r, Err(Error::Truncated(_))), "prefix {n}: {r:?}");
    }
    let r = after_id(&[plain_packet(&full)]).unwrap();
    assert!(matches!(&r[1], Event::KexInit { .. }));
}

#[test]
fn no_common_algorithm() {
    let r = after_id(&[plain_packet(&kexinit("diffie-hellman-group1-sha1"))]);
    assert!(
        matches!(r, Err(Error::NoCommonAlgorithm { kind: "kex", .. })),
        "{r:?}"
    );
}

#[test]
fn strict_kex_rules() {
    let strict = "curve25519-sha256,kex-strict-c-v00@openssh.com";
    // KEXINIT must be the first packet.
    let r = after_id(&[
        plain_packet(&[2, 0, 0, 0, 0]),
        plain_packet(&kexinit(strict)),
    ]);
    assert!(matches!(r, Err(Error::StrictKex(_))), "{r:?}");
    // Not strict: an IGNORE first is fine.
    let r = after_id(&[
        plain_packet(&[2, 0, 0, 0, 0]),
        plain_packet(&kexinit("curve25519-sha256")),
    ]);
    assert!(r.is_ok(), "{r:?}");
    // Strict: nothing but kex messages until NEWKEYS, not even IGNORE (Terrapin).
    let r = after_id(&[
        plain_packet(&kexinit(strict)),
        plain_packet(&[2, 0, 0, 0, 0]),
    ]);
    assert!(matches!(r, Err(Error::StrictKex(_))), "{r:?}");
    // Not strict, but still in the kex: a service request is a violation.
    let mut sr = vec![5];
    name_list(&mut sr, "ssh-userauth");
    let r = after_id(&[
        plain_packet(&kexinit("curve25519-sha256")),
        plain_packet(&sr),
    ]);
    assert!(matches!(r, Err(Error::Protocol(_))), "{r:?}");
    // Before any kex at all.
    let r = after_id(&[plain_packet(&sr)]);
    assert!(matches!(r, Err(Error::Protocol(_))), "{r:?}");
    // NEWKEYS before the ECDH exchange.
    let r = after_id(&[
        plain_packet(&kexinit("curve25519-sha256")),
        plain_packet(&[21]),
    ]);
    assert!(matches!(r, Err(Error::Protocol(_))), "{r:?}");
}

#[test]
fn bad_ephemeral_keys() {
    for q in [vec![], vec![0u8; 32], vec![9u8; 31], vec![1u8; 64]] {
        let mut init = vec![30];
        init.extend_from_slice(&(q.len() as u32).to_be_bytes());
        init.extend_from_slice(&q);
        let r = after_id(&[
            plain_packet(&kexinit("curve25519-sha256")),
            plain_packet(&init),
        ]);
        assert!(matches!(r, Err(Error::Kex(_))), "{q:?}: {r:?}");
    }
    // A string length beyond the packet.
    let r = after_id(&[
        plain_packet(&kexinit("curve25519-sha256")),
        plain_packet(&[30, 0, 0, 1, 0, 1, 2]),
    ]);
    assert!(matches!(r, Err(Error::Truncated(_))), "{r:?}");
}

#[test]
fn a_valid_ephemeral_key_gets_a_reply_and_newkeys() {
    let rng = ring::rand::SystemRandom::new();
    let k = ring::agreement::EphemeralPrivateKey::generate(&ring::agreement::X25519, &rng).unwrap();
    let q = k.compute_public_key().unwrap();
    let mut init = vec![30, 0, 0, 0, 32];
    init.extend_from_slice(q.as_ref());
    let mut c = ServerConnection::new(config());
    let before = c.output().len();
    let mut bytes = b"SSH-2.0-test_1\r\n".to_vec();
    bytes.extend(plain_packet(&kexinit("curve25519-sha256")));
    bytes.extend(plain_packet(&init));
    run(&mut c, &bytes).unwrap();
    assert!(c.output().len() > before + 100);
    assert_eq!(c.session_id().len(), 32);
}

/// sntrup761x25519-sha512 through the state machine: C_INIT values of the wrong length or
/// with a bad X25519 point end the exchange with a key exchange error, a good one gets the
/// 1039 + 32 byte Q_S and a 64-byte (SHA-512) session id.
#[test]
fn sntrup761x25519_client_values() {
    let rng = ring::rand::SystemRandom::new();
    let x = ring::agreement::EphemeralPrivateKey::generate(&ring::agreement::X25519, &rng).unwrap();
    let x = x.compute_public_key().unwrap();
    let (pk, _) = sntrup761::generate_key(rand10::rng());
    let good = [pk.as_ref(), x.as_ref()].concat();
    let init = |q: &[u8]| {
        let mut p = vec![30];
        p.extend_from_slice(&(q.len() as u32).to_be_bytes());
        p.extend_from_slice(q);
        p
    };
    for name in [
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
    ] {
        for q in [
            vec![],
            good[..1189].to_vec(),
            [&good[..], &[0]].concat(),
            [pk.as_ref(), &[0u8; 32]].concat(),
        ] {
            let r = after_id(&[plain_packet(&kexinit(name)), plain_packet(&init(&q))]);
            assert!(matches!(r, Err(Error::Kex(_))), "{name} {}: {r:?}", q.len());
        }
        let mut c = ServerConnection::new(config());
        let mut bytes = b"SSH-2.0-test_1\r\n".to_vec();
        bytes.extend(plain_packet(&kexinit(name)));
        bytes.extend(plain_packet(&init(&good)));
        let before = c.output().len();
        run(&mut c, &bytes).unwrap();
        // KEX_ECDH_REPLY: host key, Q_S (1071 bytes), signature; then NEWKEYS.
        assert!(c.output().len() > before + 1071 + 100, "{name}");
        assert_eq!(c.session_id().len(), 64, "{name}");
    }
}

fn ecdh_init() -> Vec<u8> {
    let rng = ring::rand::SystemRandom::new();
    let k = ring::agreement::EphemeralPrivateKey::generate(&ring::agreement::X25519, &rng).unwrap();
    let q = k.compute_public_key().unwrap();
    let mut init = vec![30, 0, 0, 0, 32];
    init.extend_from_slice(q.as_ref());
    init
}

#[test]
fn a_wrong_guess_is_skipped_and_a_right_one_is_used() {
    // The client's first kex is one we lack, so its guessed packet (garbage here) is ignored.
    let mut c = ServerConnection::new(config());
    let mut bytes = b"SSH-2.0-test_1\r\n".to_vec();
    bytes.extend(plain_packet(&kexinit_guess(
        "sntrup4591761x25519-sha512@tinyssh.org,curve25519-sha256",
        true,
    )));
    bytes.extend(plain_packet(&[30, 0, 0, 0, 1, 0]));
    bytes.extend(plain_packet(&ecdh_init()));
    run(&mut c, &bytes).unwrap();
    assert_eq!(c.session_id().len(), 32);
    // A right guess is the real thing: garbage in it is an error.
    let mut c = ServerConnection::new(config());
    let mut bytes = b"SSH-2.0-test_1\r\n".to_vec();
    bytes.extend(plain_packet(&kexinit_guess("curve25519-sha256", true)));
    bytes.extend(plain_packet(&[30, 0, 0, 0, 1, 0]));
    assert!(matches!(run(&mut c, &bytes), Err(Error::Kex(_))));
}

#[test]
fn input_is_bounded() {
    let mut c = ServerConnection::new(config());
    let room = c.input_room();
    assert!(room < 300 * 1024);
    assert!(matches!(
        c.feed(&vec![0; room + 1]),
        Err(Error::InputFull(_))
    ));
    c.feed(&[b'a'; 10]).unwrap();
    assert_eq!(c.input_room(), room - 10);
}

#[test]
fn footprint_before_auth_is_small() {
    let c = ServerConnection::new(config());
    let total = std::mem::size_of::<ServerConnection>() + c.heap_bytes();
    assert!(total < 4096, "{total} bytes");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_after_identification(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut c = ServerConnection::new(config());
        let mut bytes = b"SSH-2.0-fuzz\r\n".to_vec();
        bytes.extend_from_slice(&data);
        let _ = run(&mut c, &bytes);
        prop_assert!(c.heap_bytes() < 400 * 1024);
    }

    #[test]
    fn random_bytes_instead_of_identification(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut c = ServerConnection::new(config());
        let _ = run(&mut c, &data);
        prop_assert!(c.heap_bytes() < 400 * 1024);
    }

    #[test]
    fn mutated_kexinit(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut p = kexinit("curve25519-sha256,kex-strict-c-v00@openssh.com");
        for (i, v) in flips {
            let i = i.index(p.len());
            p[i] ^= v;
        }
        let keep = 1 + cut.index(p.len());
        p.truncate(keep);
        let mut c = ServerConnection::new(config());
        let mut bytes = b"SSH-2.0-fuzz\r\n".to_vec();
        bytes.extend(plain_packet(&p));
        bytes.extend(plain_packet(&[30, 0, 0, 0, 32, 1, 2, 3]));
        let _ = run(&mut c, &bytes);
    }

    #[test]
    fn mutated_framing(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = b"SSH-2.0-fuzz\r\n".to_vec();
        let at = bytes.len();
        bytes.extend(plain_packet(&kexinit("curve25519-sha256")));
        bytes.extend(plain_packet(&[2, 0, 0, 0, 1, 9]));
        let n = bytes.len() - at;
        for (i, v) in flips {
            bytes[at + i.index(n)] ^= v;
        }
        let mut c = ServerConnection::new(config());
        let _ = run(&mut c, &bytes);
        prop_assert!(c.heap_bytes() < 400 * 1024);
    }
}
