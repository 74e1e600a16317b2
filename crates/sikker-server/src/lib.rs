//! sikker's central service: routers by area, merged at the top.
//!
//! - `ingest`: `POST /v1/ingest` for sensors, and the [`Pipeline`] every event goes through
//!   (store → classify closed sessions → rescore touched IPs → publish indicator versions).
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
}

impl Default for CentralConfig {
    fn default() -> Self {
        CentralConfig {
            indicator_validity: Duration::from_secs(30 * 86_400),
            cursor_lifetime: Duration::from_secs(7 * 86_400),
            max_ingest_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Everything a request handler needs.
pub struct Central {
    pub store: Arc<dyn Store>,
    pub pipeline: Pipeline,
    pub config: CentralConfig,
    cursor_key: [u8; 32],
}

impl Central {
    /// Prepares the store (the feed's fixed objects) and finishes any work a previous run
    /// left half done (sessions closed but not classified, IPs touched but not published).
    pub async fn start(
        store: Arc<dyn Store>,
        analyst: Arc<dyn Analyst>,
        config: CentralConfig,
    ) -> anyhow::Result<Arc<Central>> {
        let cursor_key = store.cursor_secret().await?;
        let pipeline = Pipeline::new(store.clone(), analyst, config.indicator_validity);
        pipeline.publish_fixed_objects().await?;
        pipeline.process().await?;
        Ok(Arc::new(Central {
            store,
            pipeline,
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
