//! The shipper: reads batches from the spool, sends them to `POST /v1/ingest`, and moves the
//! spool's cursor only after central has accounted for every event in the batch (stored,
//! known or rejected). Failures back off exponentially with jitter; nothing is ever dropped
//! here (the spool's size bound is the only place events can be lost).

use crate::config::ShipperConfig;
use crate::spool::{Batch, SpoolReader};
use serde::Deserialize;
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Where to ship and with which token.
#[derive(Debug, Clone)]
pub struct Central {
    /// Base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub token: String,
}

/// Counters for status pages and tests.
#[derive(Debug, Default)]
pub struct ShipperStats {
    /// Events central has accounted for.
    pub acknowledged: AtomicU64,
    pub rejected: AtomicU64,
    pub failures: AtomicU64,
    pub last_error: Mutex<Option<String>>,
}

#[derive(Deserialize)]
struct IngestReply {
    #[serde(default)]
    stored: Vec<String>,
    #[serde(default)]
    known: Vec<String>,
    #[serde(default)]
    rejected: Vec<Rejected>,
}

#[derive(Deserialize)]
struct Rejected {
    index: usize,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct IdOnly {
    id: Option<String>,
}

enum Outcome {
    Acknowledged { rejected: usize },
    Retry(String),
}

pub(crate) async fn run(
    mut reader: SpoolReader,
    central: Central,
    config: ShipperConfig,
    stats: Arc<ShipperStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(config.request_timeout_ms))
        .user_agent(concat!("sikker-sensor/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("shipper cannot start: {e}");
            return;
        }
    };
    let endpoint = format!("{}/v1/ingest", central.url.trim_end_matches('/'));
    let mut failures: u32 = 0;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let (r, batch) = {
            let max_events = config.batch_events;
            let max_bytes = config.batch_bytes;
            match tokio::task::spawn_blocking(move || {
                let b = reader.read_batch(max_events, max_bytes);
                (reader, b)
            })
            .await
            {
                Ok(x) => x,
                Err(e) => {
                    tracing::error!("shipper: spool read panicked: {e}");
                    return;
                }
            }
        };
        reader = r;
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                note_failure(&stats, format!("reading the spool: {e}"));
                failures += 1;
                if sleep_or_stop(backoff(&config, failures), &mut shutdown).await {
                    return;
                }
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = reader.written() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
            continue;
        }
        match send(&client, &endpoint, &central.token, &batch).await {
            Outcome::Acknowledged { rejected } => {
                let end = batch.end;
                let n = batch.lines.len() as u64;
                let committed = tokio::task::spawn_blocking(move || {
                    let r = reader.commit(end);
                    (reader, r)
                })
                .await;
                match committed {
                    Ok((r, Ok(()))) => {
                        reader = r;
                        failures = 0;
                        stats.acknowledged.fetch_add(n, Ordering::Relaxed);
                        stats.rejected.fetch_add(rejected as u64, Ordering::Relaxed);
                    }
                    Ok((r, Err(e))) => {
                        reader = r;
                        note_failure(&stats, format!("saving the spool cursor: {e}"));
                        failures += 1;
                    }
                    Err(e) => {
                        tracing::error!("shipper: cursor commit panicked: {e}");
                        return;
                    }
                }
            }
            Outcome::Retry(message) => {
                note_failure(&stats, message);
                failures += 1;
                if sleep_or_stop(backoff(&config, failures), &mut shutdown).await {
                    return;
                }
            }
        }
    }
}

fn note_failure(stats: &ShipperStats, message: String) {
    tracing::warn!("shipper: {message}");
    stats.failures.fetch_add(1, Ordering::Relaxed);
    *stats.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
}

/// Exponential backoff from `min_backoff_ms`, capped, with "equal jitter" (half fixed, half
/// random) so a fleet recovering together does not stampede central.
fn backoff(config: &ShipperConfig, failures: u32) -> Duration {
    let exp = config
        .min_backoff_ms
        .saturating_mul(1u64 << failures.saturating_sub(1).min(20));
    let capped = exp.min(config.max_backoff_ms).max(1);
    let half = capped / 2;
    Duration::from_millis(half + rand::random_range(0..=capped - half))
}

async fn sleep_or_stop(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = shutdown.changed() => true,
    }
}

async fn send(client: &reqwest::Client, endpoint: &str, token: &str, batch: &Batch) -> Outcome {
    let mut body = Vec::with_capacity(batch.lines.iter().map(|l| l.len() + 1).sum());
    for line in &batch.lines {
        body.extend_from_slice(line);
        body.push(b'\n');
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let compressed = match gz.write_all(&body).and_then(|_| gz.finish()) {
        Ok(c) => c,
        Err(e) => return Outcome::Retry(format!("gzip: {e}")),
    };
    let response = client
        .post(endpoint)
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .header("content-encoding", "gzip")
        .body(compressed)
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(format!("central unreachable: {e}")),
    };
    let status = response.status();
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return Outcome::Retry(format!(
            "central refused the sensor token ({status}); check --token"
        ));
    }
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        return Outcome::Retry(format!(
            "central answered {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let reply: IngestReply = match response.json().await {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(format!("central's answer is unreadable: {e}")),
    };
    match accounted(batch, &reply) {
        Ok(()) => {
            for r in &reply.rejected {
                tracing::warn!("central rejected spooled event {}: {}", r.index, r.reason);
            }
            Outcome::Acknowledged {
                rejected: reply.rejected.len(),
            }
        }
        Err(missing) => Outcome::Retry(format!(
            "central's answer leaves {missing} of {} events unaccounted for",
            batch.lines.len()
        )),
    }
}

/// Every line must be named in the answer: its id stored or known, or its index rejected.
fn accounted(batch: &Batch, reply: &IngestReply) -> Result<(), usize> {
    let acked: HashSet<&str> = reply
        .stored
        .iter()
        .chain(reply.known.iter())
        .map(String::as_str)
        .collect();
    let rejected: HashSet<usize> = reply.rejected.iter().map(|r| r.index).collect();
    let missing = batch
        .lines
        .iter()
        .enumerate()
        .filter(|(i, line)| {
            if rejected.contains(i) {
                return false;
            }
            let id = serde_json::from_slice::<IdOnly>(line)
                .ok()
                .and_then(|x| x.id);
            !id.is_some_and(|id| acked.contains(id.as_str()))
        })
        .count();
    if missing == 0 {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let c = ShipperConfig {
            min_backoff_ms: 100,
            max_backoff_ms: 1000,
            ..Default::default()
        };
        for _ in 0..50 {
            let d1 = backoff(&c, 1).as_millis();
            assert!((50..=100).contains(&d1), "{d1}");
            let d10 = backoff(&c, 10).as_millis();
            assert!((500..=1000).contains(&d10), "{d10}");
        }
    }

    #[test]
    fn a_batch_is_accounted_only_when_every_event_is_named() {
        let batch = Batch {
            lines: vec![br#"{"id":"a"}"#.to_vec(), b"garbage".to_vec()],
            end: Default::default(),
        };
        let reply: IngestReply = serde_json::from_str(
            r#"{"stored":["a"],"known":[],"rejected":[{"index":1,"id":null,"reason":"x"}]}"#,
        )
        .unwrap();
        assert!(accounted(&batch, &reply).is_ok());
        let reply: IngestReply = serde_json::from_str(r#"{"stored":["a"]}"#).unwrap();
        assert_eq!(accounted(&batch, &reply), Err(1));
    }
}
