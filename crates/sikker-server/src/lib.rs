//! sikker's central service: routers by area, merged at the top.
//!
//! - `ingest`: `POST /v1/ingest` for sensors, and the [`Pipeline`] every event goes through
//!   (store → classify closed sessions → rescore touched IPs → publish indicator versions).
//!   A request returns once its events are stored; the pipeline's worker task does the rest
//!   at once, and also closes sessions whose sensor never sent their disconnect.
//! - `taxii`: the read-only TAXII 2.1 server under `/taxii2/`.
//! - `keys`: API keys and sensor tokens (generation, hashing, request authentication).
//!
//! Invariant: no SQL here (everything goes through [`sikker_store::Store`]) and no matching
//! rules (classification and scoring go through the [`Analyst`]).

pub mod analyst;
pub mod ingest;
pub mod keys;
pub mod simulate;
pub mod taxii;

pub use analyst::{Analyst, Assessment, SessionVerdict};
pub use ingest::{IngestReport, Pipeline};

use axum::Router;
use sikker_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the central service.
#[derive(Debug, Clone)]
pub struct CentralConfig {
    /// How long an indicator stays valid after the IP was last seen (`valid_until`).
    pub indicator_validity: Duration,
    /// How long a pagination cursor may be used.
    pub cursor_lifetime: Duration,
    /// Largest ingest body accepted, after decompression.
    pub max_ingest_bytes: usize,
    /// Ingest requests handled at once; more wait before their bodies are read, so memory
    /// stays under about this times `max_ingest_bytes` (twice that with gzip).
    pub max_concurrent_ingests: usize,
    /// A session for which no event has arrived for this long (central's clock: a spool
    /// backlog of old events is not idle) is closed and classified as it stands: its sensor
    /// crashed or lost its spool before the disconnect. A sensor closes every session within
    /// its hard limit (an hour by default), so this is well past it. Later events reopen it.
    pub close_idle_sessions_after: Duration,
    /// How long an ingest request may take to deliver its body before it gets 408, so a
    /// stalled upload cannot hold one of the `max_concurrent_ingests` permits for long.
    pub ingest_body_timeout: Duration,
    /// How often the worker looks for such sessions.
    pub idle_sweep_every: Duration,
}

impl Default for CentralConfig {
    fn default() -> Self {
        CentralConfig {
            indicator_validity: Duration::from_secs(30 * 86_400),
            cursor_lifetime: Duration::from_secs(7 * 86_400),
            max_ingest_bytes: 64 * 1024 * 1024,
            max_concurrent_ingests: 4,
            close_idle_sessions_after: Duration::from_secs(2 * 3600),
            ingest_body_timeout: Duration::from_secs(60),
            idle_sweep_every: Duration::from_secs(60),
        }
    }
}

/// Everything a request handler needs.
pub struct Central {
    pub store: Arc<dyn Store>,
    pub pipeline: Arc<Pipeline>,
    pub config: CentralConfig,
    cursor_key: [u8; 32],
    /// Permits for ingest requests in progress (`max_concurrent_ingests`).
    ingests: tokio::sync::Semaphore,
}

impl Central {
    /// Prepares the store (the feed's fixed objects), finishes any work a previous run left
    /// half done (sessions closed but not classified, IPs touched but not published), and
    /// starts the pipeline's worker on the current tokio runtime. The worker stops when the
    /// returned `Central` is dropped.
    pub async fn start(
        store: Arc<dyn Store>,
        analyst: Arc<dyn Analyst>,
        config: CentralConfig,
    ) -> anyhow::Result<Arc<Central>> {
        let cursor_key = store.cursor_secret().await?;
        let pipeline = Arc::new(Pipeline::new(
            store.clone(),
            analyst,
            config.indicator_validity,
        ));
        pipeline.publish_fixed_objects().await?;
        pipeline.process().await?;
        pipeline.spawn_worker(config.close_idle_sessions_after, config.idle_sweep_every);
        Ok(Arc::new(Central {
            store,
            pipeline,
            ingests: tokio::sync::Semaphore::new(config.max_concurrent_ingests.max(1)),
            config,
            cursor_key,
        }))
    }
}

/// The whole HTTP surface. Trailing slashes are trimmed before routing, so every path is
/// served with and without one.
pub fn app(central: Arc<Central>) -> Router {
    Router::new()
        .merge(taxii::router())
        .merge(ingest::router())
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .fallback(taxii::not_found_anywhere)
        .with_state(central)
}

/// `app` behind the trailing-slash normalisation: what [`serve`] runs and tests call.
pub fn service(central: Arc<Central>) -> tower_http::normalize_path::NormalizePath<Router> {
    use tower::Layer;
    tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash().layer(app(central))
}

/// Serves [`service`] on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    central: Arc<Central>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service(service(central)),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
