//! The values that cross the [`crate::Store`] interface.

use serde::{Deserialize, Serialize};
use sikker_event::Timestamp;
use std::collections::BTreeMap;
use std::net::IpAddr;
use uuid::Uuid;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Reads the feed and (later) the REST API.
    Api,
    /// Ships events to `/v1/ingest`.
    Sensor,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Api => "api",
            KeyRole::Sensor => "sensor",
        }
    }

    pub fn parse(s: &str) -> Option<KeyRole> {
        match s {
            "api" => Some(KeyRole::Api),
            "sensor" => Some(KeyRole::Sensor),
            _ => None,
        }
    }
}

/// A stored key: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub hash: [u8; 32],
    /// The first characters of the key, for operators to recognise it (`sk_free_3f9a…`).
    pub prefix: String,
    pub name: String,
    pub tier: String,
    pub role: KeyRole,
    pub created: Timestamp,
    pub disabled: bool,
}

/// What [`crate::Store::append_events`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Ids stored now, in batch order.
    pub stored: Vec<Uuid>,
    /// Ids stored before (this batch or an earlier one repeated them).
    pub known: Vec<Uuid>,
    /// Sessions whose `disconnect` arrived in this batch.
    pub closed_sessions: Vec<Uuid>,
    /// IPs seen for the first time in this batch.
    pub new_ips: Vec<IpAddr>,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub ip: IpAddr,
    pub sensor: String,
    pub protocol: String,
    pub started: Timestamp,
    pub last: Timestamp,
    pub ended: Option<Timestamp>,
    pub events: u64,
    pub synthetic: bool,
}

/// A session's classification, as the engine decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub session: Uuid,
    pub ip: IpAddr,
    /// The behavior id, or `None` for unclassified.
    pub behavior: Option<String>,
    /// Ids of the primitives the session matched, sorted.
    pub primitives: Vec<String>,
    /// How many events the verdict was made from. If more are stored by the time it is
    /// recorded, it is dropped and the session stays pending for the next pass.
    pub events: u64,
}

/// One protocol's share of an IP's activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolCount {
    pub protocol: String,
    pub sessions: u64,
    pub events: u64,
}

/// Everything known of one source IP.
#[derive(Debug, Clone, PartialEq)]
pub struct IpRecord {
    pub ip: IpAddr,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub sessions: u64,
    pub events: u64,
    /// Sessions that matched primitives but no behavior.
    pub unclassified: u64,
    /// True when every event of this IP came from `sikker simulate`.
    pub synthetic: bool,
    pub protocols: Vec<ProtocolCount>,
    /// Behavior id → number of sessions classified as it.
    pub behaviors: BTreeMap<String, u64>,
    /// Primitive id → number of sessions that matched it.
    pub primitives: BTreeMap<String, u64>,
    /// The last published confidence, if any.
    pub confidence: Option<u8>,
    /// Generation counter: bumped when the IP is first seen and whenever one of its sessions is
    /// classified (not for every event, so an active IP is not re-versioned per batch);
    /// publication records the generation it saw.
    pub generation: i64,
}

/// A new version to publish if its inputs differ from the latest.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub object_id: String,
    /// The STIX type (`indicator`, `identity`, `marking-definition`).
    pub kind: String,
    /// What the object is rendered from; compared byte for byte with the latest version.
    pub inputs: Vec<u8>,
    /// For indicators: the IP, its score and the generation the score was computed from.
    pub ip: Option<IpPublication>,
    /// For fixed objects: their own `created`/`modified`; indicators get the store's clock.
    pub fixed_times: Option<(Timestamp, Timestamp)>,
    /// Renders the published object once the store has chosen `created` and `modified`; the
    /// result is kept with the version and served as it is, so a version never changes.
    /// Without it, readers get `inputs` back and render themselves.
    pub render: Option<Renderer>,
}

/// `(created, modified) -> the object's JSON`.
#[derive(Clone)]
pub struct Renderer(pub std::sync::Arc<dyn Fn(Timestamp, Timestamp) -> Vec<u8> + Send + Sync>);

impl Renderer {
    pub fn new(f: impl Fn(Timestamp, Timestamp) -> Vec<u8> + Send + Sync + 'static) -> Renderer {
        Renderer(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

impl PartialEq for Renderer {
    fn eq(&self, other: &Renderer) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IpPublication {
    pub ip: IpAddr,
    pub confidence: u8,
    pub generation: i64,
}

/// Which versions of each object a feed query returns (TAXII `match[version]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionFilter {
    pub all: bool,
    pub first: bool,
    pub last: bool,
    /// Exact `modified` values, in microseconds.
    pub exact: Vec<i64>,
}

impl VersionFilter {
    /// TAXII's default: the latest version only.
    pub fn last() -> VersionFilter {
        VersionFilter {
            last: true,
            ..VersionFilter::default()
        }
    }
}

/// A page request over the version log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// Exclusive keyset position: rows strictly after (date_added, object_id).
    pub after: Option<(i64, String)>,
    /// Rows with date_added strictly greater (microseconds).
    pub added_after: Option<i64>,
    /// Only these object ids (empty: all).
    pub ids: Vec<String>,
    /// Only these STIX types (empty: all).
    pub types: Vec<String>,
    pub versions: VersionFilter,
    pub limit: usize,
    /// Read the stored objects (and inputs): false for manifest and versions, which need
    /// only ids and times.
    pub with_objects: bool,
}

/// One version of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub date_added: Timestamp,
    pub object_id: String,
    pub kind: String,
    pub created: Timestamp,
    pub modified: Timestamp,
    /// The object as rendered at publication, when it was.
    pub object: Option<Vec<u8>>,
    /// The inputs, when there is no rendered object (empty otherwise: not read).
    pub inputs: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedPage {
    pub rows: Vec<FeedRow>,
    /// More rows match after the last one of this page.
    pub more: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    pub events: u64,
    pub sessions: u64,
    pub ips: u64,
    pub feed_versions: u64,
    pub feed_objects: u64,
}
