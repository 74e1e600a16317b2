//! Bytes no SSH client sends, after a valid identification line: random bytes, a packet length
//! far over the limit, a KEXINIT whose name list runs past its end, a packet with bad padding. Each session
//! ends with its disconnect recorded, nothing panics, and the listener still serves the next
//! client.

mod common;

use common::*;
use sikker_event::{EventData, Protocol};
use sikker_sensor::{Sensor, SensorConfig};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// A small xorshift generator: the same bytes on every run.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// An SSH binary packet (no encryption yet) around `payload`, with `pad` padding bytes.
fn packet(payload: &[u8], pad: u8) -> Vec<u8> {
    let len = 1 + payload.len() + usize::from(pad);
    let mut p = (len as u32).to_be_bytes().to_vec();
    p.push(pad);
    p.extend_from_slice(payload);
    p.extend(std::iter::repeat_n(0u8, usize::from(pad)));
    p
}

/// Connects, sends a client identification and then `rest`, and reads until the server
/// closes; returns what the server sent.
fn attack(addr: SocketAddr, rest: &[u8]) -> Vec<u8> {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut hello = b"SSH-2.0-libssh_0.9.6\r\n".to_vec();
    hello.extend_from_slice(rest);
    // The server may hang up before it has read everything: a failed write is fine.
    let _ = s.write_all(&hello);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_after_the_identification_ends_the_session_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SensorConfig {
        name: "garbage".into(),
        listen: vec!["ssh=127.0.0.1:0".parse().expect("listener spec")],
        state_dir: dir.path().join("sensor"),
        ..Default::default()
    };
    let spool_dir = config.spool_dir();
    let sensor = Sensor::start(config).await.expect("sensor starts");
    let addr = sensor.addr(Protocol::Ssh).expect("ssh listener");

    let mut kexinit = vec![20u8];
    kexinit.extend(noise(7, 16));
    kexinit.extend(200u32.to_be_bytes());
    kexinit.extend_from_slice(b"curve25519-sha256");
    let short_kexinit = packet(&kexinit, 4);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", noise(1, 4096)),
        (
            "huge packet length",
            [0x7f, 0xff, 0xff, 0xff, 4, 1, 2, 3].to_vec(),
        ),
        ("truncated kexinit", short_kexinit),
        // Padding must be at least 4 bytes and the length a multiple of 8.
        ("bad padding", packet(&[2, 0, 0, 0, 0], 1)),
        ("more random bytes", noise(99, 70_000)),
    ];
    let n = cases.len();
    for (what, bytes) in cases {
        let got = tokio::task::spawn_blocking(move || attack(addr, &bytes))
            .await
            .expect("client thread");
        assert!(got.starts_with(b"SSH-2.0-OpenSSH_"), "{what}: {got:?}");
    }

    // The listener still serves: a new client gets the banner.
    let banner = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut b = [0u8; 64];
        let k = s.read(&mut b).expect("banner");
        b[..k].to_vec()
    })
    .await
    .expect("client thread");
    assert!(banner.starts_with(b"SSH-2.0-OpenSSH_"), "{banner:?}");

    // Every garbage session is on disk, from its connect to its disconnect.
    let ended = eventually(Duration::from_secs(20), || {
        let spool = sensor.spool().clone();
        let spool_dir = spool_dir.clone();
        async move {
            let _ = spool.flush().await;
            let mut reasons: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
            for e in spooled_events(&spool_dir) {
                if let EventData::Disconnect(d) = e.data {
                    reasons.entry(e.session).or_default().push(d.reason);
                }
            }
            reasons.len() >= n
        }
    })
    .await;
    assert!(ended, "every garbage session recorded its disconnect");
    let events = spooled_events(&spool_dir);
    let identified: Vec<_> = events
        .iter()
        .filter(|e| {
            matches!(&e.data, EventData::Request(r)
                if r.method.as_deref() == Some("identification")
                    && r.target.as_deref() == Some("SSH-2.0-libssh_0.9.6"))
        })
        .map(|e| e.session)
        .collect();
    assert_eq!(identified.len(), n, "{events:?}");
    for session in identified {
        let reason = events
            .iter()
            .find_map(|e| match &e.data {
                EventData::Disconnect(d) if e.session == session => Some(d.reason.clone()),
                _ => None,
            })
            .expect("a disconnect");
        // The sensor hung up on a protocol error, not the client on the sensor.
        assert_eq!(reason, "error", "session {session}");
    }
    sensor.shutdown().await;
}
