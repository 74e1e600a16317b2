//! A real central (SQLite store in a tempdir, `sikker_server::serve` on 127.0.0.1) and the
//! helpers the end-to-end tests share.
#![allow(dead_code)]

use sikker_event::Event;
use sikker_server::analyst::CountsOnly;
use sikker_server::{keys, Central, CentralConfig};
use sikker_store::{KeyRole, SqliteOptions, SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub struct TestCentral {
    pub store: SqliteStore,
    pub token: String,
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Opens a store in `dir` with a sensor token in it (central not yet serving).
pub async fn store_with_token(dir: &Path) -> (SqliteStore, String) {
    let store = SqliteStore::open(
        dir,
        SqliteOptions {
            durable: false,
            ..SqliteOptions::default()
        },
    )
    .expect("store opens");
    let (token, record) = keys::generate(KeyRole::Sensor, "free", "sensor").expect("key");
    store.insert_key(record).await.expect("key stored");
    (store, token)
}

/// Serves central for `store` on `addr` (port 0 for any).
pub async fn serve(store: SqliteStore, token: String, addr: &str) -> TestCentral {
    let central = Central::start(
        Arc::new(store.clone()),
        Arc::new(CountsOnly),
        CentralConfig::default(),
    )
    .await
    .expect("central starts");
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("central binds");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = sikker_server::serve(listener, central, async move {
            let _ = stopped.await;
        })
        .await;
    });
    TestCentral {
        store,
        token,
        url,
        stop: Some(stop),
    }
}

impl Drop for TestCentral {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Waits until `check` holds or the timeout passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    check().await
}

/// True when `bin` is on PATH; otherwise tries `apt-get install -y pkg` once.
pub fn require(bin: &str, pkg: &str) -> bool {
    let found = || {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {bin}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if found() {
        return true;
    }
    let _ = std::process::Command::new("apt-get")
        .args(["install", "-y", "-qq", pkg])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    if found() {
        return true;
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!! SKIPPED: `{bin}` is not installed and apt-get install {pkg} failed\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    false
}

/// Every event in the sensor's spool segments (read straight from disk).
pub fn spooled_events(spool_dir: &Path) -> Vec<Event> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(spool_dir) else {
        return out;
    };
    let mut paths: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .collect();
    paths.sort();
    for p in paths {
        if let Ok(text) = std::fs::read_to_string(&p) {
            out.extend(
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Event>(l).ok()),
            );
        }
    }
    out
}

/// Events central holds for these sessions.
pub async fn central_events(store: &SqliteStore, sessions: Vec<Uuid>) -> Vec<Event> {
    store
        .session_events(sessions)
        .await
        .expect("session events")
        .into_iter()
        .flat_map(|(_, e)| e)
        .collect()
}
