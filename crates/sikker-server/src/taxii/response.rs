//! TAXII answers: the exact media type on every response, error resources for every failure,
//! and the lenient Accept check.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sikker_stix::taxii::ErrorResource;
use sikker_stix::TAXII_MEDIA_TYPE;

/// A failed TAXII request, answered with an error resource (§3.6.1).
#[derive(Debug, Clone)]
pub struct TaxiiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub description: Option<String>,
}

impl TaxiiError {
    pub fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        TaxiiError {
            status,
            title,
            description: Some(description.into()),
        }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        TaxiiError::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        TaxiiError::new(StatusCode::NOT_FOUND, "Not found", description)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("TAXII request failed: {e}");
        TaxiiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the server could not answer; try again",
        )
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = ErrorResource::new(self.status.as_u16(), self.title, self.description);
        let mut r = taxii_body(self.status, serde_json::to_vec(&body).unwrap_or_default());
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sikker TAXII\", charset=\"UTF-8\""),
            );
        }
        r
    }
}

/// A response with the TAXII media type, exactly as taxii2-client and others compare it.
pub fn taxii_body(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    r
}

pub fn taxii_json(value: &serde_json::Value) -> Response {
    taxii_body(
        StatusCode::OK,
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// Serve unless every media range names a TAXII or STIX media type of another version.
/// Missing Accept, `*/*`, `application/json`, unrelated types and `taxii+json` with or without
/// `version=2.1` are all served: clients in the wild send each of these.
pub fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let mut other_version = None;
    let mut any_range = false;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            if media.is_empty() {
                continue;
            }
            any_range = true;
            let version = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
                .map(|(_, v)| v.trim().trim_matches('"').to_owned());
            let ours = media == "application/taxii+json" || media == "application/stix+json";
            match (ours, version) {
                (true, Some(v)) if v != "2.1" => other_version = Some(v),
                _ => return Ok(()),
            }
        }
    }
    match other_version {
        Some(v) if any_range => Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server speaks TAXII 2.1 only, not version {v}; send Accept: {TAXII_MEDIA_TYPE}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Result<(), TaxiiError> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        check_accept(&h)
    }

    #[test]
    fn lenient_accept() {
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json",
            "application/taxii+json; version=\"2.1\"",
            "APPLICATION/TAXII+JSON;VERSION=2.1",
            "application/json, text/plain, */*",
            "*/*",
            "text/html",
            "application/taxii+json;version=2.0, application/taxii+json;version=2.1",
            "application/stix+json;version=2.1",
        ] {
            assert!(accept(ok).is_ok(), "{ok}");
        }
        assert!(check_accept(&HeaderMap::new()).is_ok());
        for refused in [
            "application/taxii+json;version=2.0",
            "application/taxii+json;version=3.0,application/stix+json;version=2.0",
        ] {
            assert_eq!(
                accept(refused).unwrap_err().status,
                StatusCode::NOT_ACCEPTABLE,
                "{refused}"
            );
        }
    }
}
