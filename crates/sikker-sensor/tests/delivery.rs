//! Delivery survives SIGKILL: 10,000 events are spooled by a real sensor process while
//! central is down; the process is SIGKILLed and restarted; central comes up on the URL the
//! sensor was given; exactly 10,000 events are stored, none twice. The sensor is then killed
//! once more while shipping, to show that resending after a crash is deduplicated.

mod common;

use common::*;
use sikker_store::Store;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn start_sensor(config: &Path, generate: Option<usize>) -> (Child, Vec<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sikker-sensor-harness"));
    cmd.arg("--config").arg(config);
    if let Some(n) = generate {
        cmd.args(["--generate", &n.to_string()]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("harness starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    let want = if generate.is_some() {
        "GENERATED"
    } else {
        "READY"
    };
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("harness output");
        let done = line.starts_with(want);
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

fn sigkill(child: &mut Child) {
    // std's kill() is SIGKILL on Unix: no handler runs, nothing is flushed.
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, token) = store_with_token(&dir.path().join("central")).await;
    // A port nobody listens on yet: central will come up there later.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.path().join("sensor.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"delivery-1\"\ncentral = \"http://127.0.0.1:{port}\"\ntoken = \"{token}\"\n\
             state_dir = \"{}\"\n[shipper]\nbatch_events = 700\nmin_backoff_ms = 50\n\
             max_backoff_ms = 400\n",
            dir.path().join("state").display()
        ),
    )
    .unwrap();

    let (mut sensor, lines) = start_sensor(&config, Some(10_000));
    assert_eq!(lines.last().map(String::as_str), Some("GENERATED 10000"));
    sigkill(&mut sensor);

    let (mut sensor, _) = start_sensor(&config, None);
    let central = serve(store, token, &format!("127.0.0.1:{port}")).await;
    let store = central.store.clone();
    // Kill it again as soon as shipping has begun, then let a fresh process finish.
    let began = eventually(Duration::from_secs(30), || {
        let store = store.clone();
        async move { store.stats().await.map(|s| s.events > 0).unwrap_or(false) }
    })
    .await;
    assert!(began, "nothing shipped after central came up");
    sigkill(&mut sensor);
    let (mut sensor, _) = start_sensor(&config, None);

    let done = eventually(Duration::from_secs(60), || {
        let store = store.clone();
        async move {
            store
                .stats()
                .await
                .map(|s| s.events >= 10_000)
                .unwrap_or(false)
        }
    })
    .await;
    // Give a duplicate, if any were to be stored, time to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stats = store.stats().await.unwrap();
    sigkill(&mut sensor);
    assert!(done, "only {} of 10000 events arrived", stats.events);
    assert_eq!(stats.events, 10_000, "every event exactly once");
    assert_eq!(stats.sessions, 1);
}
