//! The watchdog's deadlines on a real listener: a client that connects and then says nothing
//! is cut off at the pre-auth deadline, not before it and not long after.

use sikker_event::Protocol;
use sikker_sensor::{Limits, Sensor, SensorConfig};
use std::io::Read;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_cut_off_at_the_preauth_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SensorConfig {
        name: "deadlines".into(),
        listen: vec!["ssh=127.0.0.1:0".parse().expect("listener spec")],
        state_dir: dir.path().join("sensor"),
        limits: Limits {
            preauth_secs: 1,
            ..Limits::default()
        },
        ..Default::default()
    };
    let sensor = Sensor::start(config).await.expect("sensor starts");
    let addr = sensor.addr(Protocol::Ssh).expect("ssh listener");
    let waited = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let started = Instant::now();
        let mut banner = [0u8; 256];
        let n = conn.read(&mut banner).expect("the server speaks first");
        assert!(banner[..n].starts_with(b"SSH-2.0-"), "{:?}", &banner[..n]);
        // Say nothing: the server must close the connection at its pre-auth deadline.
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
        started.elapsed()
    })
    .await
    .expect("client thread");
    assert!(
        waited >= Duration::from_millis(900),
        "closed early: {waited:?}"
    );
    assert!(waited < Duration::from_secs(20), "never closed: {waited:?}");
}
