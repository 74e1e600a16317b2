//! TAXII 2.1 resources (§4, §5, §3.6, §3.7).
//!
//! Envelopes are written straight into a byte buffer: the objects arrive already serialised,
//! and a feed page of a thousand indicators should not be parsed and re-serialised.

use crate::{taxii_time, Timestamp, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE};
use serde::Serialize;
use serde_json::{json, Value};

/// The one collection of the feed. Its id is a UUIDv4 (Sentinel rejects anything else);
/// the alias is what SikkerAPI-style clients put in URLs.
pub const COLLECTION_ID: &str = "07e4891b-3647-45de-b49f-138bff69d0ab";
pub const COLLECTION_ALIAS: &str = "sikker-threat-intel";
/// Where discovery and the API root live: one document serves both (see [`discovery`]).
pub const API_ROOT_PATH: &str = "/taxii2/";
/// Largest request body the API root accepts (it accepts none: the feed is read-only).
pub const MAX_CONTENT_LENGTH: u64 = 10 * 1024 * 1024;

/// The document at `/taxii2/`: the discovery resource and the API root resource in one, so
/// clients that treat `/taxii2/` as either (Sentinel asks for an API root URL) are served.
pub fn discovery() -> Value {
    json!({
        "title": "sikker TAXII 2.1 server",
        "description": "STIX 2.1 indicators of IP addresses observed attacking sikker honeypot sensors. This document is both the discovery resource and the API root.",
        "default": API_ROOT_PATH,
        "api_roots": [API_ROOT_PATH],
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": MAX_CONTENT_LENGTH,
    })
}

/// The collection resource (§5.2.1).
pub fn collection() -> Value {
    json!({
        "id": COLLECTION_ID,
        "title": "sikker threat intelligence",
        "description": "One STIX indicator per source IP seen by sikker honeypot sensors, with its behaviors, MITRE ATT&CK techniques and confidence. Each change of an indicator is a new version.",
        "alias": COLLECTION_ALIAS,
        "can_read": true,
        "can_write": false,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

/// The collections resource (§5.1.1).
pub fn collections() -> Value {
    json!({ "collections": [collection()] })
}

/// True when a path segment names the collection, by id or alias.
pub fn is_collection(segment: &str) -> bool {
    segment.eq_ignore_ascii_case(COLLECTION_ID) || segment == COLLECTION_ALIAS
}

/// The error resource (§3.6.1). `http_status` is the status as a string, as the spec wants.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorResource {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub http_status: String,
}

impl ErrorResource {
    pub fn new(status: u16, title: &str, description: Option<String>) -> ErrorResource {
        ErrorResource {
            title: title.to_owned(),
            description,
            http_status: status.to_string(),
        }
    }
}

/// Builds an envelope (§3.7) from objects that are already JSON.
pub struct EnvelopeWriter {
    buf: Vec<u8>,
    count: usize,
}

impl EnvelopeWriter {
    pub fn with_capacity(bytes: usize) -> EnvelopeWriter {
        let mut buf = Vec::with_capacity(bytes + 64);
        buf.extend_from_slice(b"{\"objects\":[");
        EnvelopeWriter { buf, count: 0 }
    }

    /// Starts the next object; the caller appends its JSON to the returned buffer.
    pub fn next_object(&mut self) -> &mut Vec<u8> {
        if self.count > 0 {
            self.buf.push(b',');
        }
        self.count += 1;
        &mut self.buf
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Closes the envelope. With no objects the `objects` key is omitted, as §3.7 requires.
    pub fn finish(mut self, more: bool, next: Option<&str>) -> Vec<u8> {
        if self.count == 0 {
            let mut v = Vec::with_capacity(64);
            v.extend_from_slice(b"{\"more\":");
            v.extend_from_slice(if more { b"true" } else { b"false" });
            v.push(b'}');
            return v;
        }
        self.buf.extend_from_slice(b"],\"more\":");
        self.buf
            .extend_from_slice(if more { b"true" } else { b"false" });
        if let (true, Some(next)) = (more, next) {
            self.buf.extend_from_slice(b",\"next\":");
            // Cursor tokens are base64url, but escape anyway rather than trust it.
            let _ = serde_json::to_writer(&mut self.buf, next);
        }
        self.buf.push(b'}');
        self.buf
    }
}

/// One manifest record (§5.3.1).
#[derive(Debug, Clone, Serialize)]
pub struct ManifestRecord {
    pub id: String,
    pub date_added: String,
    pub version: String,
    pub media_type: &'static str,
}

impl ManifestRecord {
    pub fn new(id: String, date_added: Timestamp, version: String) -> ManifestRecord {
        ManifestRecord {
            id,
            date_added: taxii_time(date_added),
            version,
            media_type: STIX_MEDIA_TYPE,
        }
    }
}

/// A manifest resource; `objects` omitted when empty.
pub fn manifest(records: Vec<ManifestRecord>, more: bool, next: Option<&str>) -> Value {
    paged(
        "objects",
        serde_json::to_value(records).unwrap_or(Value::Null),
        more,
        next,
    )
}

/// A versions resource (§5.8.1); `versions` omitted when empty.
pub fn versions(list: Vec<String>, more: bool, next: Option<&str>) -> Value {
    paged("versions", json!(list), more, next)
}

fn paged(key: &str, list: Value, more: bool, next: Option<&str>) -> Value {
    let mut v = json!({ "more": more });
    if list.as_array().is_some_and(|a| !a.is_empty()) {
        v[key] = list;
    }
    if let (true, Some(next)) = (more, next) {
        v["next"] = json!(next);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_default_is_an_api_root() {
        let d = discovery();
        let roots = d["api_roots"].as_array().unwrap();
        assert!(roots.contains(&d["default"]));
        assert_eq!(d["versions"][0], TAXII_MEDIA_TYPE);
        assert!(d["max_content_length"].as_u64().unwrap() > 0);
    }

    #[test]
    fn collection_id_is_uuid_v4() {
        let id = uuid::Uuid::parse_str(COLLECTION_ID).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert!(is_collection(COLLECTION_ALIAS));
        assert!(is_collection(&COLLECTION_ID.to_uppercase()));
        assert!(!is_collection("other"));
    }

    #[test]
    fn envelopes() {
        let empty = EnvelopeWriter::with_capacity(0).finish(false, None);
        assert_eq!(empty, b"{\"more\":false}");
        let mut w = EnvelopeWriter::with_capacity(0);
        w.next_object().extend_from_slice(b"{\"a\":1}");
        w.next_object().extend_from_slice(b"{\"b\":2}");
        let v: Value = serde_json::from_slice(&w.finish(true, Some("tok"))).unwrap();
        assert_eq!(
            v,
            json!({"objects":[{"a":1},{"b":2}],"more":true,"next":"tok"})
        );
    }

    #[test]
    fn empty_lists_are_omitted() {
        assert_eq!(manifest(vec![], false, None), json!({"more": false}));
        assert_eq!(versions(vec![], false, None), json!({"more": false}));
        let m = manifest(
            vec![ManifestRecord::new(
                "indicator--x".into(),
                Timestamp(1_000),
                "v".into(),
            )],
            true,
            Some("n"),
        );
        assert_eq!(m["objects"][0]["date_added"], "1970-01-01T00:00:00.001000Z");
        assert_eq!(m["next"], "n");
    }

    #[test]
    fn error_resource_status_is_a_string() {
        let e = serde_json::to_value(ErrorResource::new(404, "Not found", None)).unwrap();
        assert_eq!(e, json!({"title": "Not found", "http_status": "404"}));
    }
}
