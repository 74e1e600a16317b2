//! The read-only TAXII 2.1 server.
//!
//! `/taxii2/` is the discovery document and the one API root. The collection is addressed by
//! its UUIDv4 id or by its alias. Discovery, API root and collection metadata are public;
//! objects, manifest, object, versions and status need an API key.

mod query;
mod response;

use crate::keys::{authenticate, Credential};
use crate::Central;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use query::{Cursors, Endpoint, PageRequest};
pub use response::TaxiiError;
use response::{check_accept, taxii_body, taxii_json};
use sikker_stix::taxii::{self as res, ManifestRecord};
use sikker_stix::{indicator_id, stix_time, taxii_time, IndicatorInputs, TAXII_MEDIA_TYPE};
use sikker_store::{FeedPage, FeedQuery, FeedRow, KeyRole, VersionFilter};
use std::net::IpAddr;
use std::sync::Arc;

type Shared = State<Arc<Central>>;

pub fn router() -> Router<Arc<Central>> {
    Router::new()
        .route("/taxii2", get(discovery).fallback(method_not_allowed))
        .route(
            "/taxii2/status/{id}",
            get(status).fallback(method_not_allowed),
        )
        .route(
            "/taxii2/collections",
            get(collections).fallback(method_not_allowed),
        )
        .route(
            "/taxii2/collections/{cid}",
            get(collection).fallback(method_not_allowed),
        )
        .route(
            "/taxii2/collections/{cid}/objects",
            get(objects).post(read_only).fallback(method_not_allowed),
        )
        .route(
            "/taxii2/collections/{cid}/manifest",
            get(manifest).fallback(method_not_allowed),
        )
        .route(
            "/taxii2/collections/{cid}/objects/{oid}",
            get(object).delete(read_only).fallback(method_not_allowed),
        )
        .route(
            "/taxii2/collections/{cid}/objects/{oid}/versions",
            get(versions).fallback(method_not_allowed),
        )
        .route("/taxii2/{*rest}", get(not_found).fallback(not_found))
        .layer(middleware::from_fn(taxii_envelope))
}

/// Every TAXII answer leaves with the TAXII media type; anything produced without it (an
/// extractor's rejection, a panic guard) is turned into a TAXII error of the same status.
async fn taxii_envelope(request: Request, next: Next) -> Response {
    if let Err(e) = check_accept(request.headers()) {
        return e.into_response();
    }
    let response = next.run(request).await;
    let ok = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v == TAXII_MEDIA_TYPE);
    if ok {
        return response;
    }
    let status = response.status();
    let title = match status {
        StatusCode::BAD_REQUEST => "Bad request",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        _ => "Error",
    };
    TaxiiError::new(status, title, status.canonical_reason().unwrap_or("error")).into_response()
}

/// Outside `/taxii2/` too, an unknown path gets an error resource.
pub async fn not_found_anywhere(uri: Uri) -> Response {
    TaxiiError::not_found(format!("nothing is served at {}", uri.path())).into_response()
}

async fn not_found(uri: Uri) -> Response {
    not_found_anywhere(uri).await
}

async fn method_not_allowed(method: Method) -> Response {
    TaxiiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        format!("{method} is not supported here"),
    )
    .into_response()
}

async fn read_only(
    state: Shared,
    headers: HeaderMap,
    Path(p): Path<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = require_key(&state, &headers).await {
        return e.into_response();
    }
    let cid = p.first().map(|(_, v)| v.as_str()).unwrap_or("");
    if !res::is_collection(cid) {
        return TaxiiError::not_found(format!("no collection {cid:?}")).into_response();
    }
    TaxiiError::new(
        StatusCode::FORBIDDEN,
        "Read-only collection",
        "this collection has can_write false: objects cannot be added or deleted",
    )
    .into_response()
}

async fn discovery() -> Response {
    taxii_json(&res::discovery())
}

async fn collections() -> Response {
    taxii_json(&res::collections())
}

async fn collection(Path(cid): Path<String>) -> Result<Response, TaxiiError> {
    known_collection(&cid)?;
    Ok(taxii_json(&res::collection()))
}

async fn status(
    state: Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, TaxiiError> {
    require_key(&state, &headers).await?;
    Err(TaxiiError::not_found(format!(
        "no status {id:?}: this server accepts no writes, so it has no status resources"
    )))
}

fn known_collection(cid: &str) -> Result<(), TaxiiError> {
    if res::is_collection(cid) {
        Ok(())
    } else {
        Err(TaxiiError::not_found(format!(
            "no collection {cid:?}; see /taxii2/collections/"
        )))
    }
}

async fn require_key(central: &Central, headers: &HeaderMap) -> Result<(), TaxiiError> {
    match authenticate(central, headers).await.map_err(TaxiiError::internal)? {
        Credential::Key(k) if k.role == KeyRole::Api && !k.disabled => Ok(()),
        Credential::Key(k) if k.disabled => Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Key disabled",
            "this API key is disabled",
        )),
        Credential::Key(_) => Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Not an API key",
            "sensor tokens cannot read the feed; use an API key",
        )),
        Credential::Missing => Err(TaxiiError::new(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "send an API key: Authorization: Bearer <key>, x-api-key: <key>, or HTTP Basic with the key as password",
        )),
        Credential::Unknown => Err(TaxiiError::new(
            StatusCode::UNAUTHORIZED,
            "Unknown API key",
            "the API key sent is not valid",
        )),
    }
}

fn cursors(central: &Central) -> Cursors<'_> {
    Cursors {
        key: &central.cursor_key,
        lifetime_secs: central.config.cursor_lifetime.as_secs() as i64,
    }
}

/// Runs one page of a feed query, honouring match[spec_version] (everything here is 2.1).
async fn run(
    central: &Central,
    req: &PageRequest,
    ids: Vec<String>,
    versions: VersionFilter,
    with_objects: bool,
) -> Result<FeedPage, TaxiiError> {
    if !req.filters.wants_spec_21() {
        return Ok(FeedPage::default());
    }
    let query = FeedQuery {
        after: req.after.clone(),
        added_after: req.filters.added_after,
        ids,
        types: req.filters.types.clone(),
        versions,
        limit: req.limit,
        with_objects,
    };
    central
        .store
        .feed_page(query)
        .await
        .map_err(TaxiiError::internal)
}

/// Adds X-TAXII-Date-Added-First/-Last for a non-empty page.
fn date_headers(response: &mut Response, rows: &[FeedRow]) {
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        for (name, t) in [
            ("x-taxii-date-added-first", first.date_added),
            ("x-taxii-date-added-last", last.date_added),
        ] {
            if let Ok(v) = HeaderValue::from_str(&taxii_time(t)) {
                response.headers_mut().insert(name, v);
            }
        }
    }
}

fn next_token(
    central: &Central,
    scope: &str,
    req: &PageRequest,
    page: &FeedPage,
) -> Option<String> {
    match (page.more, page.rows.last()) {
        (true, Some(last)) => {
            Some(cursors(central).make(scope, req, (last.date_added.0, &last.object_id)))
        }
        _ => None,
    }
}

/// Writes one stored version as its STIX object: as rendered when it was published, or (for
/// versions stored before objects were kept) rendered from its inputs now.
fn render(central: &Central, row: &FeedRow, out: &mut Vec<u8>) -> Result<(), TaxiiError> {
    if let Some(object) = &row.object {
        out.extend_from_slice(object);
    } else if row.kind == "indicator" {
        let inputs: IndicatorInputs = serde_json::from_slice(&row.inputs).map_err(|e| {
            TaxiiError::internal(format!("stored inputs of {}: {e}", row.object_id))
        })?;
        let valid_for = central.config.indicator_validity.as_micros() as i64;
        inputs.render_with_id(
            row.object_id.clone(),
            row.created,
            row.modified,
            valid_for,
            out,
        );
    } else {
        out.extend_from_slice(&row.inputs);
    }
    Ok(())
}

fn envelope(
    central: &Central,
    scope: &str,
    req: &PageRequest,
    page: &FeedPage,
) -> Result<Response, TaxiiError> {
    let mut w = res::EnvelopeWriter::with_capacity(page.rows.len() * 1_400);
    for row in &page.rows {
        render(central, row, w.next_object())?;
    }
    let next = next_token(central, scope, req, page);
    let mut response = taxii_body(StatusCode::OK, w.finish(page.more, next.as_deref()));
    date_headers(&mut response, &page.rows);
    Ok(response)
}

const COLLECTION_SCOPE: &str = "collection";

/// The shared part of the objects and manifest endpoints: the same query, the same page.
async fn collection_page(
    central: &Central,
    headers: &HeaderMap,
    cid: &str,
    uri: &Uri,
    with_objects: bool,
) -> Result<(PageRequest, FeedPage), TaxiiError> {
    known_collection(cid)?;
    require_key(central, headers).await?;
    let req = query::parse(
        uri.query(),
        Endpoint::Collection,
        COLLECTION_SCOPE,
        &cursors(central),
    )?;
    let versions = req
        .filters
        .versions
        .clone()
        .unwrap_or_else(VersionFilter::last);
    let page = run(
        central,
        &req,
        req.filters.ids.clone(),
        versions,
        with_objects,
    )
    .await?;
    Ok((req, page))
}

async fn objects(
    state: Shared,
    headers: HeaderMap,
    Path(cid): Path<String>,
    uri: Uri,
) -> Result<Response, TaxiiError> {
    let (req, page) = collection_page(&state, &headers, &cid, &uri, true).await?;
    envelope(&state, COLLECTION_SCOPE, &req, &page)
}

async fn manifest(
    state: Shared,
    headers: HeaderMap,
    Path(cid): Path<String>,
    uri: Uri,
) -> Result<Response, TaxiiError> {
    let (req, page) = collection_page(&state, &headers, &cid, &uri, false).await?;
    let records = page
        .rows
        .iter()
        .map(|r| ManifestRecord::new(r.object_id.clone(), r.date_added, stix_time(r.modified)))
        .collect();
    let next = next_token(&state, COLLECTION_SCOPE, &req, &page);
    let mut response = taxii_json(&res::manifest(records, page.more, next.as_deref()));
    date_headers(&mut response, &page.rows);
    Ok(response)
}

/// A STIX id as given, or the indicator id of an IP address.
fn resolve_object(oid: &str) -> Result<String, TaxiiError> {
    if let Ok(ip) = oid.parse::<IpAddr>() {
        return Ok(indicator_id(ip));
    }
    let valid = oid.split_once("--").is_some_and(|(kind, uuid)| {
        !kind.is_empty()
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && uuid::Uuid::parse_str(uuid).is_ok()
    });
    if valid {
        Ok(oid.to_owned())
    } else {
        Err(TaxiiError::not_found(format!(
            "{oid:?} is neither a STIX id nor an IP address"
        )))
    }
}

async fn existing_object(central: &Central, oid: &str) -> Result<String, TaxiiError> {
    let id = resolve_object(oid)?;
    if central
        .store
        .object_exists(id.clone())
        .await
        .map_err(TaxiiError::internal)?
    {
        Ok(id)
    } else {
        Err(TaxiiError::not_found(format!(
            "no object {oid:?} in this collection"
        )))
    }
}

async fn object(
    state: Shared,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, TaxiiError> {
    known_collection(&cid)?;
    require_key(&state, &headers).await?;
    let id = existing_object(&state, &oid).await?;
    let scope = format!("object:{id}");
    let req = query::parse(uri.query(), Endpoint::Object, &scope, &cursors(&state))?;
    let versions = req
        .filters
        .versions
        .clone()
        .unwrap_or_else(VersionFilter::last);
    let page = run(&state, &req, vec![id], versions, true).await?;
    envelope(&state, &scope, &req, &page)
}

async fn versions(
    state: Shared,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, TaxiiError> {
    known_collection(&cid)?;
    require_key(&state, &headers).await?;
    let id = existing_object(&state, &oid).await?;
    let scope = format!("versions:{id}");
    let req = query::parse(uri.query(), Endpoint::Versions, &scope, &cursors(&state))?;
    let all = VersionFilter {
        all: true,
        ..VersionFilter::default()
    };
    let page = run(&state, &req, vec![id], all, false).await?;
    let list = page.rows.iter().map(|r| stix_time(r.modified)).collect();
    let next = next_token(&state, &scope, &req, &page);
    let mut response = taxii_json(&res::versions(list, page.more, next.as_deref()));
    date_headers(&mut response, &page.rows);
    Ok(response)
}
