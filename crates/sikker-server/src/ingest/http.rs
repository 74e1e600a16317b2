//! `POST /v1/ingest`: a sensor's batch in, a per-event account out.
//!
//! Body: a JSON array of events or NDJSON, optionally `Content-Encoding: gzip`, at most
//! `max_ingest_bytes` after decompression. Auth: `Authorization: Bearer <sensor token>`.
//! Answer (200): `{"stored": [ids], "known": [ids], "rejected": [{"index", "id", "reason"}]}`.
//! A sensor may advance its cursor past every stored, known and rejected id: rejected events
//! would be rejected again.

use crate::keys::{authenticate, Credential};
use crate::Central;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use sikker_event::{parse_batch, Limits};
use sikker_store::KeyRole;
use std::io::Read;
use std::sync::Arc;

pub fn router() -> Router<Arc<Central>> {
    Router::new().route(
        "/v1/ingest",
        post(ingest).layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

/// A JSON problem answer for the sensor-facing API.
fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn ingest(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    match authenticate(&central, &headers).await {
        Ok(Credential::Key(k)) if k.role == KeyRole::Sensor && !k.disabled => {}
        Ok(Credential::Key(_)) => {
            return problem(
                StatusCode::FORBIDDEN,
                "this key is not an enabled sensor token",
            )
        }
        Ok(Credential::Missing) | Ok(Credential::Unknown) => {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"sikker ingest\"")],
                Json(json!({"error": "a sensor token is required: Authorization: Bearer <token>"})),
            )
                .into_response()
        }
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
    // Bodies are read only under a permit, so concurrent batches cannot pile up in memory.
    let Ok(_permit) = central.ingests.acquire().await else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "central is shutting down");
    };
    let max = central.config.max_ingest_bytes;
    let limit = central.config.ingest_body_timeout;
    let raw: Bytes = match tokio::time::timeout(limit, axum::body::to_bytes(body, max)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            // to_bytes fails for the size limit or for a broken connection.
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body is larger than {max} bytes"),
                )
            } else {
                problem(
                    StatusCode::BAD_REQUEST,
                    format!("body could not be read: {e}"),
                )
            };
        }
        Err(_) => {
            return problem(
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive within {}s", limit.as_secs()),
            )
        }
    };
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"))
        .map(|v| v.eq_ignore_ascii_case("gzip"));
    let body: Bytes = match gzip {
        Some(true) => match gunzip_bounded(&raw, max) {
            Ok(b) => b.into(),
            Err((status, message)) => return problem(status, message),
        },
        Some(false) => {
            return problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "only Content-Encoding: gzip is accepted",
            )
        }
        None => raw,
    };
    let items = match parse_batch(&body, &Limits::default()) {
        Ok(items) => items,
        Err(message) => return problem(StatusCode::BAD_REQUEST, message),
    };
    let mut events = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for item in items {
        match item {
            Ok(e) => events.push(e),
            Err(e) => rejected.push(json!({"index": e.index, "id": e.id, "reason": e.reason})),
        }
    }
    let report = if events.is_empty() {
        Default::default()
    } else {
        match central.pipeline.accept(events).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("ingest failed: {e:#}");
                return problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("events not stored, send them again: {e}"),
                );
            }
        }
    };
    Json(json!({
        "stored": report.stored,
        "known": report.known,
        "rejected": rejected,
    }))
    .into_response()
}

/// Decompresses at most `max` bytes; a bomb is refused, not inflated.
fn gunzip_bounded(raw: &[u8], max: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(raw).take(max as u64 + 1);
    decoder.read_to_end(&mut out).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("gzip body does not inflate: {e}"),
        )
    })?;
    if out.len() > max {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body inflates to more than {max} bytes"),
        ));
    }
    Ok(out)
}
